import ArgumentParser
import Foundation
import Logging
import TesseraDelivery
import TesseraServer
import TesseraStorage

/// `tessera serve`: runs the HTTP server until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the token service.")

    @OptionGroup var store: StoreOptions

    @Option(name: .customLong("database-pool"), help: "Most PostgreSQL connections this node opens.")
    var databasePool: Int = 10

    @Option(name: .customLong("database-timeout"), help: "Seconds a database statement may take before the request is answered 503.")
    var databaseTimeout: Int = 5

    @Flag(
        name: .customLong("database-prepared-statements"),
        inversion: .prefixedNo,
        help: "Prepare the hot statements once per PostgreSQL connection (off behind a pooler that shares server connections)."
    )
    var databasePreparedStatements = true

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8080

    @Option(help: "Port of the back office (console and admin API); off unless given. Never the public port.")
    var adminPort: Int?

    @Option(help: "Address the back office listens on (default 127.0.0.1; elsewhere put TLS in front: its cookie is Secure).")
    var adminHost = "127.0.0.1"

    @Option(help: "Append every email/SMS that would be sent to this file as a JSON line (development and tests).")
    var outbox: String?

    @Option(
        help:
            "Send email codes through this SMTP server: smtp://user:pass@host:port (STARTTLS when offered) or smtps://… (TLS from the start). Also TESSERA_SMTP_URL, which keeps the password out of process lists."
    )
    var smtp: String?

    @Option(help: "The From address of emails, e.g. 'Broker <no-reply@broker.example>'. Required with --smtp.")
    var smtpFrom: String?

    @Option(help: "Send SMS codes by POSTing {\"to\",\"text\",\"purpose\"} as JSON to this URL.")
    var smsWebhook: String?

    @Option(help: "A file holding the bearer secret sent to --sms-webhook (or set TESSERA_SMS_WEBHOOK_SECRET).")
    var smsWebhookSecretFile: String?

    @Flag(help: "Seed a demo company, app key and users, and print how to use them. Codes are printed to the log.")
    var demo = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Log format: text, or json (one object per line).")
    var logFormat: String = "text"

    @Option(help: "bcrypt cost for new password hashes (10 to 16).")
    var bcryptCost: UInt8 = 10

    @Option(name: .customLong("trusted-proxy"), help: "A proxy (address or CIDR) whose X-Forwarded-For is believed. Repeatable.")
    var trustedProxies: [String] = []

    @Option(
        name: .customLong("idle-timeout"),
        help: "Seconds a connection may stay open with no request in progress before the server closes it (1 to 3600)."
    )
    var idleTimeout: Int = 60

    @Option(
        name: .customLong("request-head-timeout"),
        help:
            "Seconds from a request's first byte until its head (request line and headers) must be complete, else 408 and close (1 to 300, at most --idle-timeout)."
    )
    var requestHeadTimeout: Int = 10

    @Option(
        name: .customLong("base-path"),
        help: "Serve the API only under this base path: / (Tessera's /token) or /api (ETNA's /api/token). Default: both."
    )
    var basePath: APIBasePath?

    @Option(
        name: .customLong("token-cache"),
        help: "Validated tokens this node keeps in memory, about 650 bytes each, ended by the database's revocation log (0: none)."
    )
    var tokenCache: Int = 10_000

    func validate() throws {
        guard (1...1000).contains(self.databasePool) else { throw ValidationError("--database-pool must be between 1 and 1000") }
        guard (1...300).contains(self.databaseTimeout) else { throw ValidationError("--database-timeout must be between 1 and 300 seconds") }
        guard (0...65535).contains(self.port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard Logger.Level(rawValue: self.logLevel) != nil else { throw ValidationError("unknown --log-level \(self.logLevel)") }
        guard ["text", "json"].contains(self.logFormat) else { throw ValidationError("--log-format must be text or json") }
        guard (0...10_000_000).contains(self.tokenCache) else { throw ValidationError("--token-cache must be between 0 and 10000000") }
        guard (1...3600).contains(self.idleTimeout) else { throw ValidationError("--idle-timeout must be between 1 and 3600 seconds") }
        guard (1...300).contains(self.requestHeadTimeout) else {
            throw ValidationError("--request-head-timeout must be between 1 and 300 seconds")
        }
        // The idle clock runs while a head trickles in, so a longer head timeout would never be reached.
        guard self.requestHeadTimeout <= self.idleTimeout else {
            throw ValidationError("--request-head-timeout must not exceed --idle-timeout")
        }
        guard (10...16).contains(self.bcryptCost) else { throw ValidationError("--bcrypt-cost must be between 10 and 16") }
        for proxy in self.trustedProxies where TrustedProxy(proxy) == nil {
            throw ValidationError("--trusted-proxy \(proxy) is not an IP address or CIDR block")
        }
        _ = try self.smtpConfiguration()
        _ = try self.smsWebhookConfiguration()
        if let adminPort = self.adminPort {
            guard (0...65535).contains(adminPort) else { throw ValidationError("--admin-port must be between 0 and 65535") }
            guard adminPort != self.port || adminPort == 0 else { throw ValidationError("--admin-port must not be the public --port") }
        }
    }

    /// The SMTP server from the flag or the environment, with `--smtp-from`.
    func smtpConfiguration() throws -> SMTPConfiguration? {
        let environment = ProcessInfo.processInfo.environment["TESSERA_SMTP_URL"].flatMap { $0.isEmpty ? nil : $0 }
        guard let url = self.smtp ?? environment else { return nil }
        guard let from = self.smtpFrom else { throw ValidationError("--smtp needs --smtp-from") }
        do {
            return try SMTPConfiguration(url: url, from: from)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The SMS webhook from the flags, with its secret from the file or the environment.
    func smsWebhookConfiguration() throws -> SMSWebhookConfiguration? {
        guard let url = self.smsWebhook else { return nil }
        var secret = ProcessInfo.processInfo.environment["TESSERA_SMS_WEBHOOK_SECRET"]
        if let path = self.smsWebhookSecretFile {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("--sms-webhook-secret-file \(path) cannot be read")
            }
            secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        do {
            return try SMSWebhookConfiguration(url: url, bearerSecret: secret)
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        if self.logFormat == "json" {
            LoggingSystem.bootstrap { JSONLogHandler(label: $0) }
        }
        let configuration = ServerConfiguration(
            host: self.host,
            port: self.port,
            database: try self.store.databaseURL(),
            postgres: PostgresOptions(
                poolSize: self.databasePool,
                statementTimeout: .seconds(self.databaseTimeout),
                preparedStatements: self.databasePreparedStatements
            ),
            outboxPath: self.outbox,
            smtp: try self.smtpConfiguration(),
            smsWebhook: try self.smsWebhookConfiguration(),
            demo: self.demo,
            secretKeyFile: self.store.secretKeyFile,
            logLevel: Logger.Level(rawValue: self.logLevel) ?? .info,
            bcryptCost: self.bcryptCost,
            trustedProxies: self.trustedProxies.compactMap(TrustedProxy.init),
            idleTimeout: .seconds(self.idleTimeout),
            requestHeadTimeout: .seconds(self.requestHeadTimeout),
            basePaths: self.basePath.map { [$0] } ?? APIBasePath.allCases,
            tokenCacheCapacity: self.tokenCache
        )
        var withAdmin = configuration
        withAdmin.adminPort = self.adminPort
        withAdmin.adminHost = self.adminHost
        try await serve(withAdmin)
    }
}

extension APIBasePath: ExpressibleByArgument {}
