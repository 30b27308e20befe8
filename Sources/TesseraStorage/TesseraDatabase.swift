import Foundation
import Logging
import TesseraCore

/// The stores of one database, whatever the backend, as the server and the CLI use them.
public struct TesseraDatabase: Sendable {
    /// Every store of the database, as the core's services take them.
    public var stores: TesseraStores
    /// Removes what has expired everywhere: login transactions, old failures, run-out locks.
    public var purge: @Sendable (Date) async throws -> Void
    /// Throws when the database does not answer.
    public var ping: @Sendable () async throws -> Void
    public var close: @Sendable () async -> Void
    /// A setting a server left for the operator's commands, by name (`bcrypt_cost`).
    public var setting: @Sendable (String) async throws -> String?
    public var setSetting: @Sendable (String, String) async throws -> Void
    /// The log of changes that end validated tokens, when the backend keeps one; a node caches validations only
    /// then.
    public var revocations: (any RevocationFeed)?
    /// Tells its handler when to read ``revocations`` again, awaiting each call, until the task is cancelled.
    public var followRevocations: @Sendable (@escaping @Sendable (RevocationSignal) async -> Void) async -> Void

    /// The name of the setting that holds the bcrypt cost the server hashes new passwords at.
    public static let bcryptCostSetting = "bcrypt_cost"

    /// A database of any backend; ``open(_:postgres:logger:observeQuery:)`` makes the SQL ones.
    public init(
        stores: TesseraStores,
        purge: @escaping @Sendable (Date) async throws -> Void,
        ping: @escaping @Sendable () async throws -> Void,
        close: @escaping @Sendable () async -> Void,
        setting: @escaping @Sendable (String) async throws -> String?,
        setSetting: @escaping @Sendable (String, String) async throws -> Void,
        revocations: (any RevocationFeed)? = nil,
        followRevocations: @escaping @Sendable (@escaping @Sendable (RevocationSignal) async -> Void) async -> Void = { _ in }
    ) {
        self.stores = stores
        self.purge = purge
        self.ping = ping
        self.close = close
        self.setting = setting
        self.setSetting = setSetting
        self.revocations = revocations
        self.followRevocations = followRevocations
    }

    public var directory: any DirectoryStore { self.stores.directory }
    public var transactions: any LoginTransactionStore { self.stores.transactions }
    public var accessTokens: any AccessTokenStore { self.stores.accessTokens }
    public var tickets: any TicketStore { self.stores.tickets }
    public var attempts: any AttemptStore { self.stores.attempts }
    public var audit: any AuditLog { self.stores.audit }
    public var resetCodes: any ResetCodeStore { self.stores.resetCodes }

    /// Opens the database at `url`, applying migrations.
    public static func open(
        _ url: DatabaseURL,
        postgres: PostgresOptions = PostgresOptions(),
        logger: Logger,
        observeQuery: @escaping @Sendable (Duration) -> Void = { _ in }
    ) async throws -> TesseraDatabase {
        let storage: SQLStorage
        switch url {
        case .sqlite(let path):
            storage = try await SQLStorage.openSQLite(path: path, logger: logger, observe: observeQuery)
        case .postgres(let url):
            storage = try await SQLStorage.openPostgres(url: url, options: postgres, logger: logger, observe: observeQuery)
        }
        return TesseraDatabase(storage)
    }

    /// Opens the database, runs `body`, and closes it whatever happens.
    public static func with<T>(
        _ url: DatabaseURL,
        postgres: PostgresOptions = PostgresOptions(),
        logger: Logger,
        _ body: (TesseraDatabase) async throws -> T
    ) async throws -> T {
        let database = try await Self.open(url, postgres: postgres, logger: logger)
        do {
            let result = try await body(database)
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }
}

extension TesseraDatabase {
    /// The stores of one SQL database.
    init(_ storage: SQLStorage) {
        self.init(
            stores: TesseraStores(storage),
            purge: { now in
                _ = try await storage.purgeExpired(before: now)
                // No window reaches further back than a day.
                try await storage.purgeFailures(before: now.addingTimeInterval(-86_400))
            },
            ping: { try await storage.ping() },
            close: { await storage.close() },
            setting: { try await storage.setting($0) },
            setSetting: { try await storage.setSetting($0, $1) },
            revocations: storage,
            followRevocations: { await storage.backend.followRevocations($0) }
        )
    }
}
