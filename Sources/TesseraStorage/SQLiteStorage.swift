import Foundation
import Logging
import Synchronization
import SQLiteNIO
import TesseraCore

/// Tessera's state in one SQLite file: the embedded default for a single node.
///
/// Writes go through one connection (SQLite has one writer at a time anyway); reads use their own connections,
/// which WAL mode lets run beside the writer. Every write that must not be lost commits with
/// `synchronous=FULL` before the call returns.
public final class SQLiteStorage: Sendable {
    let writer: SQLiteConnection
    let readers: [SQLiteConnection]
    public let path: String
    /// Told how long each statement took (for metrics).
    let observe: @Sendable (Duration) -> Void
    private let closed = Mutex(false)

    private init(path: String, writer: SQLiteConnection, readers: [SQLiteConnection], observe: @escaping @Sendable (Duration) -> Void) {
        self.path = path
        self.writer = writer
        self.readers = readers
        self.observe = observe
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public static func open(
        path: String,
        readerCount: Int = 2,
        logger: Logger,
        observe: @escaping @Sendable (Duration) -> Void = { _ in }
    ) async throws -> SQLiteStorage {
        let existed = FileManager.default.fileExists(atPath: path)
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            if !existed {
                // The file holds password hashes: keep it from other local users.
                try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            }
            _ = try await writer.query("PRAGMA journal_mode=WAL")
            _ = try await writer.query("PRAGMA synchronous=FULL")
            _ = try await writer.query("PRAGMA foreign_keys=ON")
            _ = try await writer.query("PRAGMA busy_timeout=5000")
            try await Self.migrate(writer, logger: logger)
            var readers: [SQLiteConnection] = []
            for _ in 0..<max(readerCount, 1) {
                let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                _ = try await reader.query("PRAGMA busy_timeout=5000")
                readers.append(reader)
            }
            return SQLiteStorage(path: path, writer: writer, readers: readers, observe: observe)
        } catch {
            try? await writer.close()
            throw error
        }
    }

    /// Closes every connection.
    public func close() async {
        guard self.closed.withLock({ closed in defer { closed = true }; return !closed }) else { return }
        for connection in self.readers + [self.writer] {
            try? await connection.close()
        }
    }

    deinit {
        // Dropped without `close()` (an error path): close the connections on the way out rather than leak them.
        guard !self.closed.withLock({ $0 }) else { return }
        let connections = self.readers + [self.writer]
        Task.detached {
            for connection in connections { try? await connection.close() }
        }
    }

    /// Whether the database answers — and its file is still there: a deleted file keeps answering through the
    /// open handles but would be gone at the next start.
    public func ping() async throws {
        guard FileManager.default.fileExists(atPath: self.path) else { throw StorageError.unsupported("the database file \(self.path) is gone") }
        _ = try await self.read("SELECT 1")
    }

    // MARK: Queries

    func read(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try await self.timed(on: self.readers.randomElement() ?? self.writer, sql, binds)
    }

    @discardableResult
    func write(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try await self.timed(on: self.writer, sql, binds)
    }

    func timed(on connection: SQLiteConnection, _ sql: String, _ binds: [SQLiteData]) async throws -> [SQLiteRow] {
        let start = ContinuousClock.now
        defer { self.observe(ContinuousClock.now - start) }
        return try await connection.query(sql, binds)
    }

    /// Runs a write whose only effect is a change count: `UPDATE`/`DELETE … RETURNING 1`.
    func writeChangedAny(_ sql: String, _ binds: [SQLiteData]) async throws -> Bool {
        try await self.write(sql + " RETURNING 1", binds).isEmpty == false
    }

    private static func migrate(_ connection: SQLiteConnection, logger: Logger) async throws {
        _ = try await connection.query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"
        )
        _ = try await connection.query("BEGIN IMMEDIATE")
        do {
            let rows = try await connection.query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations")
            let current = Int(rows.first?.column("version")?.integer ?? 0)
            guard current <= Migrations.latestVersion else {
                throw StorageError.schemaTooNew(found: current, known: Migrations.latestVersion)
            }
            for step in Migrations.steps where step.version > current {
                for statement in step.statements {
                    _ = try await connection.query(statement)
                }
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    [.integer(step.version), SQLiteData(Date())]
                )
                logger.info("applied schema migration", metadata: ["version": "\(step.version)"])
            }
            _ = try await connection.query("COMMIT")
        } catch {
            _ = try? await connection.query("ROLLBACK")
            throw error
        }
    }
}

// MARK: Column helpers

extension Date {
    var millisecondsSince1970: Int64 { Int64((self.timeIntervalSince1970 * 1000).rounded()) }
    init(millisecondsSince1970 value: Int64) { self.init(timeIntervalSince1970: Double(value) / 1000) }
}

extension SQLiteData {
    init(_ date: Date?) {
        self = date.map { .integer(Int($0.millisecondsSince1970)) } ?? .null
    }

    init(_ text: String?) {
        self = text.map { .text($0) } ?? .null
    }
}

extension SQLiteRow {
    func int(_ name: String) -> Int64 { Int64(self.column(name)?.integer ?? 0) }
    func bool(_ name: String) -> Bool { (self.column(name)?.integer ?? 0) != 0 }
    func string(_ name: String) -> String { self.column(name)?.string ?? "" }

    func optionalString(_ name: String) -> String? {
        guard let data = self.column(name), !data.isNull else { return nil }
        return data.string
    }

    func date(_ name: String) -> Date { Date(millisecondsSince1970: self.int(name)) }

    func optionalDate(_ name: String) -> Date? {
        guard let data = self.column(name), !data.isNull, let value = data.integer else { return nil }
        return Date(millisecondsSince1970: Int64(value))
    }
}

extension SQLiteError {
    var isUniqueViolation: Bool {
        switch self.reason {
        case .constraintUniqueFailed, .constraintPrimaryKeyFailed, .constraint: true
        default: false
        }
    }
}
