import ArgumentParser
import Foundation
import Logging
import Synchronization
import TesseraBcrypt
import TesseraCore
import TesseraStorage

/// The options every command that touches the database shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "Database URL: sqlite://PATH (default sqlite://tessera.sqlite) or postgres://…; also TESSERA_DATABASE_URL.")
    var database: String?

    @Option(name: .long, help: "File holding the server key (hex). Default: TESSERA_SECRET_KEY, else PATH.key beside an SQLite database.")
    var secretKeyFile: String?

    /// The database URL from the flag, the environment or the default.
    func databaseURL() throws -> DatabaseURL {
        let text =
            self.database
            ?? ProcessInfo.processInfo.environment["TESSERA_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? DatabaseURL.defaultValue
        return try DatabaseURL(parsing: text)
    }

    func open() async throws -> TesseraDatabase {
        var logger = Logger(label: "tessera")
        logger.logLevel = .warning
        return try await TesseraDatabase.open(self.databaseURL(), logger: logger)
    }

    func serverKey() throws -> ServerKey {
        try ServerKeyLoader.load(database: self.databaseURL(), keyFile: self.secretKeyFile)
    }

    /// Runs `body` with the open database and closes it afterwards, whatever happens.
    func withDatabase<T>(_ body: (TesseraDatabase) async throws -> T) async throws -> T {
        let database = try await self.open()
        do {
            let result = try await body(database)
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }

    /// Runs `body` with the operator service on the open database, acting as ``OperatorActor/cli``. Passwords
    /// are hashed at the cost the server last started with (or `bcryptCost`); the server key is loaded only by
    /// the actions that need it. A refusal is printed with this command's flags for the fields it names.
    func withOperators<T>(bcryptCost: UInt8? = nil, _ body: (OperatorService) async throws -> T) async throws -> T {
        do {
            return try await self.withDatabase { database in
                let stored = try await database.setting(TesseraDatabase.bcryptCostSetting).flatMap { UInt8($0) }
                let cost = bcryptCost ?? stored ?? 10
                let keyFile = self.secretKeyFile
                let url = try self.databaseURL()
                let operators = OperatorService(
                    stores: database.stores,
                    hasher: LazyBcrypt(cost: cost),
                    clock: SystemClock()
                ) {
                    KeyedDigester(key: try ServerKeyLoader.load(database: url, keyFile: keyFile))
                }
                return try await body(operators)
            }
        } catch let error as OperatorError {
            throw CommandError(error.message(naming: Self.flag))
        }
    }

    /// How the commands name the core's fields.
    static func flag(_ field: OperatorError.Field) -> String {
        switch field {
        case .company: "--company"
        case .companyName, .appName: "name"
        case .tokenLifetime: "--token-ttl"
        case .pairFailureLimit: "--max-failures-per-device"
        case .accountFailureLimit: "--max-failures-per-account"
        case .addressFailureLimit: "--max-failures-per-address"
        case .passwordMaxAge: "--password-max-age"
        case .passwordMinLength: "--password-min-length"
        case .appKey: "app key"
        case .username: "username"
        case .password: "--password"
        case .email: "--email"
        case .phone: "--phone"
        case .twoFactor: "--two-factor"
        case .pin: "PIN"
        case .secretQuestion: "--secret-question"
        case .secretAnswer: "--secret-answer"
        case .session: "session"
        case .user: "user"
        case .role: "--role"
        case .corsOrigin: "--cors-origin"
        case .throttleAnswer: "--throttle-answer"
        case .refreshLifetime: "--refresh-ttl"
        case .sessionMaxAge: "--session-max-age"
        case .passwordClasses: "--password-classes"
        case .passwordHistory: "--password-history"
        case .recentAuthentication: "--recent-auth"
        case .userExpiryDays: "--user-expiry-days"
        case .trustedDeviceDays: "--trusted-device-days"
        }
    }
}

/// bcrypt made on first use: most commands never hash, and making one hashes a dummy password first.
final class LazyBcrypt: PasswordHasher {
    private let cost: UInt8
    private let made: Mutex<BcryptPasswordHasher?> = Mutex(nil)

    init(cost: UInt8) {
        self.cost = cost
    }

    private var hasher: BcryptPasswordHasher {
        self.made.withLock { made in
            if let made { return made }
            let hasher = BcryptPasswordHasher(cost: self.cost)
            made = hasher
            return hasher
        }
    }

    func hash(_ password: String) async throws -> String { try await self.hasher.hash(password) }
    func verify(_ password: String, against hash: String, lane: HashLane) async throws -> Bool {
        try await self.hasher.verify(password, against: hash, lane: lane)
    }
    func verifyDummy(_ password: String, lane: HashLane) async throws { try await self.hasher.verifyDummy(password, lane: lane) }
}

/// An operator mistake, printed as `Error: …` with a non-zero exit and no stack trace.
struct CommandError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
