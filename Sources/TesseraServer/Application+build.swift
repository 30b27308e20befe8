import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle
import TesseraBcrypt
import TesseraCore
import TesseraDelivery
import TesseraStorage

/// Builds the whole Tessera server. The executable and the tests call this same function.
///
/// ```swift
/// let app = try await buildApplication(ServerConfiguration(port: 8080, database: .sqlite(path: "t.sqlite")))
/// try await app.runService()
/// ```
public func buildApplication(_ configuration: ServerConfiguration) async throws -> some ApplicationProtocol {
    var logger = configuration.logger ?? Logger(label: "tessera")
    logger.logLevel = configuration.logLevel
    var configuration = configuration
    let metrics = configuration.metrics ?? TesseraMetrics()
    configuration.metrics = metrics

    // The key first: a missing key must not leave a database half opened.
    let key =
        try configuration.serverKey
        ?? ServerKeyLoader.load(database: configuration.database, keyFile: configuration.secretKeyFile)
    configuration.serverKey = key
    let database = try await TesseraDatabase.open(configuration.database, postgres: configuration.postgres, logger: logger) {
        metrics.queryDuration.record($0)
    }
    let router: Router<TesseraRequestContext>
    var background: [any Service]
    let demo: DemoSeed.Credentials?
    do {
        let parts = try buildRouter(configuration, database: database, logger: logger)
        router = parts.router
        background = parts.services
        if let admin = parts.admin, let adminPort = configuration.adminPort {
            // Stopped before the database closes, like the public listener.
            background.append(
                Application(
                    router: admin,
                    server: .tessera(ConnectionLimits(idleTimeout: configuration.idleTimeout, requestHeadTimeout: configuration.requestHeadTimeout)),
                    configuration: .init(address: .hostname(configuration.adminHost, port: adminPort), serverName: "Tessera"),
                    onServerRunning: { [logger, configuration] channel in
                        let port = channel.localAddress?.port ?? adminPort
                        logger.notice("Tessera's admin listener is listening", metadata: ["address": "\(configuration.adminHost):\(port)"])
                    },
                    logger: logger
                )
            )
        }
        // The operator's commands hash new passwords at the cost this server does.
        try await database.setSetting(TesseraDatabase.bcryptCostSetting, String(configuration.bcryptCost))
        demo =
            configuration.demo
            ? try await DemoSeed.ensure(in: database.directory, key: key, hasher: parts.hasher, clock: configuration.clock)
            : nil
    } catch {
        await database.close()
        throw error
    }

    return Application(
        router: router,
        server: .tessera(ConnectionLimits(idleTimeout: configuration.idleTimeout, requestHeadTimeout: configuration.requestHeadTimeout)),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Tessera"),
        // Stopped in reverse order: the queue's worker before the database closes.
        services: [DatabaseService(database: database, clock: configuration.clock, logger: logger)] + background,
        onServerRunning: { [logger, configuration] channel in
            let port = channel.localAddress?.port ?? configuration.port
            logger.notice("Tessera is listening", metadata: ["address": "\(configuration.host):\(port)"])
            if let demo {
                let banner = demo.banner(host: configuration.host, port: port, outbox: configuration.outboxPath)
                FileHandle.standardOutput.write(Data(banner.utf8))
            }
        },
        logger: logger
    )
}

/// Builds the server and runs it until SIGTERM or SIGINT, then shuts it down gracefully.
public func serve(_ configuration: ServerConfiguration) async throws {
    try await buildApplication(configuration).runService()
}

/// The sender behind every code and notice: SMTP for email and the webhook for SMS when configured, the outbox
/// (or, with `--demo`, the log) for the channels without one, else nothing — a 2-FA login then answers `503`.
func codeSender(_ configuration: ServerConfiguration, logger: Logger) throws -> any CodeSender {
    if let custom = configuration.codeSender { return custom }
    let email = try configuration.smtp.map { try SMTPCodeSender(configuration: $0, logger: logger, clock: configuration.clock) }
    let sms = configuration.smsWebhook.map { SMSWebhookSender(configuration: $0, logger: logger) }
    let fallback: (any CodeSender)? =
        if let outbox = configuration.outboxPath {
            OutboxCodeSender(path: outbox, clock: configuration.clock)
        } else if configuration.demo {
            ConsoleCodeSender(logger: logger)
        } else {
            nil
        }
    if email == nil && sms == nil && fallback == nil {
        logger.warning("no code channel configured (--smtp, --sms-webhook or --outbox): 2-FA logins will answer 503")
    } else if fallback == nil && (email == nil || sms == nil) {
        logger.warning(
            "only one code channel configured: codes for the other will answer 503",
            metadata: [
                "email": "\(configuration.smtp.map { "\($0)" } ?? "none")",
                "sms": "\(configuration.smsWebhook.map { "\($0)" } ?? "none")",
            ]
        )
    }
    return ChannelCodeSender(email: email, sms: sms, fallback: fallback)
}

/// Keeps the database for the life of the server: purges what has expired every minute and closes
/// the connections after the HTTP server has stopped.
struct DatabaseService: Service {
    let database: TesseraDatabase
    let clock: any WallClock
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await self.database.purge(self.clock.now)
            } catch {
                self.logger.warning("could not purge expired rows")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(60)) }
        }
        await self.database.close()
    }
}
