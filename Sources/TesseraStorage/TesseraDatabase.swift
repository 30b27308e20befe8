import Foundation
import Logging
import TesseraCore

/// The stores of one database, whatever the backend, as the server and the CLI use them.
public struct TesseraDatabase: Sendable {
    public var directory: any DirectoryStore
    public var transactions: any LoginTransactionStore
    public var accessTokens: any AccessTokenStore
    public var tickets: any TicketStore
    public var attempts: any AttemptStore
    public var audit: any AuditLog
    public var resetCodes: any ResetCodeStore
    /// Removes what has expired everywhere: login transactions, old failures, run-out locks.
    public var purge: @Sendable (Date) async throws -> Void
    /// Throws when the database does not answer.
    public var ping: @Sendable () async throws -> Void
    public var close: @Sendable () async -> Void

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
            directory: storage,
            transactions: storage,
            accessTokens: storage,
            tickets: storage,
            attempts: storage,
            audit: storage,
            resetCodes: storage,
            purge: { now in
                _ = try await storage.purgeExpired(before: now)
                // No window reaches further back than a day.
                try await storage.purgeFailures(before: now.addingTimeInterval(-86_400))
            },
            ping: { try await storage.ping() },
            close: { await storage.close() }
        )
    }
}
