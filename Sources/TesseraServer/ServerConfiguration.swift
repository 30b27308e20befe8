import Logging
import TesseraCore
import TesseraDelivery
import TesseraStorage

/// Everything `buildApplication` needs. The executable fills it from flags; tests from their own values.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// The back office's listener (console and admin API), off unless a port is given; on loopback by default.
    public var adminHost: String = "127.0.0.1"
    public var adminPort: Int?
    public var database: DatabaseURL
    /// Pool size and timeouts when `database` is PostgreSQL.
    public var postgres: PostgresOptions
    /// Append codes to this file instead of sending them (for the channels without a real sender).
    public var outboxPath: String?
    /// Send email through this SMTP server.
    public var smtp: SMTPConfiguration?
    /// Send SMS through this webhook.
    public var smsWebhook: SMSWebhookConfiguration?
    /// Seed a demo company, app key and users, and print how to use them.
    public var demo: Bool
    /// Where the server key lives when `TESSERA_SECRET_KEY` is not set.
    public var secretKeyFile: String?
    public var logLevel: Logger.Level
    public var bcryptCost: UInt8
    /// Proxies whose `X-Forwarded-For` is believed; without any, the socket peer is the client.
    public var trustedProxies: [TrustedProxy]
    /// How long a login may wait for a password-hashing slot before it is answered `503`.
    public var hashingWait: Duration
    /// A connection with no request in progress for this long is closed (`--idle-timeout`): idle connections
    /// must not pile up until the process runs out of file descriptors.
    public var idleTimeout: Duration
    /// From the first byte of a request until its head is complete (`--request-head-timeout`); past it the
    /// request is answered `408` and the connection closed, so a head sent a byte at a time cannot hold a socket.
    public var requestHeadTimeout: Duration
    /// The base paths the API answers under (`--base-path`): both the root and ETNA's `/api` by default.
    public var basePaths: [APIBasePath]
    /// Validated tokens this node keeps (`--token-cache`; 0: none, every request reads the database).
    public var tokenCacheCapacity: Int

    // Seams for tests: the clock, the source of secrets, the code sender, the key.
    public var clock: any WallClock
    public var generator: any SecretGenerator
    public var codeSender: (any CodeSender)?
    /// The metrics registry (a new one when `nil`).
    public var metrics: TesseraMetrics?
    /// Replaces the bcrypt hasher (tests count hashes through a wrapper).
    public var passwordHasher: (any PasswordHasher)?
    public var serverKey: ServerKey?
    /// The logger (a new `tessera` one when `nil`); its level is set to `logLevel`. Tests record what is logged.
    public var logger: Logger?

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        database: DatabaseURL = .sqlite(path: "tessera.sqlite"),
        postgres: PostgresOptions = PostgresOptions(),
        outboxPath: String? = nil,
        smtp: SMTPConfiguration? = nil,
        smsWebhook: SMSWebhookConfiguration? = nil,
        demo: Bool = false,
        secretKeyFile: String? = nil,
        logLevel: Logger.Level = .info,
        bcryptCost: UInt8 = 10,
        trustedProxies: [TrustedProxy] = [],
        hashingWait: Duration = .seconds(2),
        idleTimeout: Duration = .seconds(60),
        requestHeadTimeout: Duration = .seconds(10),
        basePaths: [APIBasePath] = APIBasePath.allCases,
        tokenCacheCapacity: Int = 10_000,
        clock: any WallClock = SystemClock(),
        generator: any SecretGenerator = SecureRandom(),
        codeSender: (any CodeSender)? = nil,
        passwordHasher: (any PasswordHasher)? = nil,
        serverKey: ServerKey? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.postgres = postgres
        self.outboxPath = outboxPath
        self.smtp = smtp
        self.smsWebhook = smsWebhook
        self.demo = demo
        self.secretKeyFile = secretKeyFile
        self.logLevel = logLevel
        self.bcryptCost = bcryptCost
        self.trustedProxies = trustedProxies
        self.hashingWait = hashingWait
        self.idleTimeout = idleTimeout
        self.requestHeadTimeout = requestHeadTimeout
        self.basePaths = basePaths
        self.tokenCacheCapacity = tokenCacheCapacity
        self.clock = clock
        self.generator = generator
        self.codeSender = codeSender
        self.passwordHasher = passwordHasher
        self.serverKey = serverKey
    }
}
