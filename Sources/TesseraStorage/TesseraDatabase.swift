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
        logger: Logger,
        observeQuery: @escaping @Sendable (Duration) -> Void = { _ in }
    ) async throws -> TesseraDatabase {
        switch url {
        case .sqlite(let path):
            let storage = try await SQLiteStorage.open(path: path, logger: logger, observe: observeQuery)
            return TesseraDatabase(
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
        case .postgres:
            throw StorageError.unsupported("PostgreSQL storage is not available yet; use sqlite://PATH")
        }
    }

    /// Opens the database, runs `body`, and closes it whatever happens.
    public static func with<T>(
        _ url: DatabaseURL,
        logger: Logger,
        _ body: (TesseraDatabase) async throws -> T
    ) async throws -> T {
        let database = try await Self.open(url, logger: logger)
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
