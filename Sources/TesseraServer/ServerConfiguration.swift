import Logging
import TesseraCore
import TesseraStorage

/// Everything `buildApplication` needs. The executable fills it from flags; tests from their own values.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var database: DatabaseURL
    /// Append codes to this file instead of sending them.
    public var outboxPath: String?
    /// Seed a demo company, app key and users, and print how to use them.
    public var demo: Bool
    /// Where the server key lives when `TESSERA_SECRET_KEY` is not set.
    public var secretKeyFile: String?
    public var logLevel: Logger.Level
    public var bcryptCost: UInt8

    // Seams for tests: the clock, the source of secrets, the code sender, the key.
    public var clock: any WallClock
    public var generator: any SecretGenerator
    public var codeSender: (any CodeSender)?
    public var serverKey: ServerKey?

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        database: DatabaseURL = .sqlite(path: "tessera.sqlite"),
        outboxPath: String? = nil,
        demo: Bool = false,
        secretKeyFile: String? = nil,
        logLevel: Logger.Level = .info,
        bcryptCost: UInt8 = 10,
        clock: any WallClock = SystemClock(),
        generator: any SecretGenerator = SecureRandom(),
        codeSender: (any CodeSender)? = nil,
        serverKey: ServerKey? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.outboxPath = outboxPath
        self.demo = demo
        self.secretKeyFile = secretKeyFile
        self.logLevel = logLevel
        self.bcryptCost = bcryptCost
        self.clock = clock
        self.generator = generator
        self.codeSender = codeSender
        self.serverKey = serverKey
    }
}
