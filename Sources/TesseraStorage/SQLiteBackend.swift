import Foundation
import Logging
import NIOPosix
import SQLiteNIO
import Synchronization

/// One SQLite file: the embedded default for a single node.
///
/// Writes go through one connection (SQLite has one writer at a time anyway); reads use their own connections,
/// which WAL mode lets run beside the writer. Every write commits with `synchronous=FULL` — the WAL is synced
/// before the statement returns — so a token answered `200` survives a crash of the process or the machine.
///
/// Its statements run on threads of its own: SQLite waits for another process's lock (`busy_timeout`) inside the
/// call, and on the process-wide pool such waits would stall what else runs there (password hashing, other
/// databases) for as long.
final class SQLiteBackend: SQLBackend {
    let writer: SQLiteConnection
    let readers: [SQLiteConnection]
    let path: String
    let threads: NIOThreadPool
    private let closed = Mutex(false)

    private init(path: String, writer: SQLiteConnection, readers: [SQLiteConnection], threads: NIOThreadPool) {
        self.path = path
        self.writer = writer
        self.readers = readers
        self.threads = threads
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    static func open(path: String, readerCount: Int, logger: Logger) async throws -> SQLiteBackend {
        let existed = FileManager.default.fileExists(atPath: path)
        let threads = NIOThreadPool(numberOfThreads: max(readerCount, 1) + 1)
        threads.start()
        func connect() async throws -> SQLiteConnection {
            try await SQLiteConnection.open(
                storage: .file(path: path),
                threadPool: threads,
                logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any()
            )
        }
        let writer: SQLiteConnection
        do {
            writer = try await connect()
        } catch {
            try? await threads.shutdownGracefully()
            throw error
        }
        do {
            if !existed {
                // The file holds password hashes: keep it from other local users.
                try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            }
            // Wait for other processes (another node's start, a CLI command) rather than fail at once.
            _ = try await writer.query("PRAGMA busy_timeout=5000")
            _ = try await writer.query("PRAGMA journal_mode=WAL")
            _ = try await writer.query("PRAGMA synchronous=FULL")
            _ = try await writer.query("PRAGMA foreign_keys=ON")
            _ = try await writer.query("BEGIN IMMEDIATE")
            do {
                try await Migrations.apply(dialect: .sqlite, logger: logger) { sql, binds in
                    try await writer.query(sql, binds.map(\.sqlite)).map(StorageRow.sqlite)
                }
                _ = try await writer.query("COMMIT")
            } catch {
                _ = try? await writer.query("ROLLBACK")
                throw error
            }
        } catch {
            try? await writer.close()
            try? await threads.shutdownGracefully()
            throw error
        }
        var readers: [SQLiteConnection] = []
        do {
            for _ in 0..<max(readerCount, 1) {
                let reader = try await connect()
                readers.append(reader)
                _ = try await reader.query("PRAGMA busy_timeout=5000")
                // 512 KiB of pages each instead of 2 MiB: with the token cache, reads are the cache's misses, and
                // the operating system keeps the file's pages anyway.
                _ = try await reader.query("PRAGMA cache_size=-512")
            }
        } catch {
            for connection in readers + [writer] { try? await connection.close() }
            try? await threads.shutdownGracefully()
            throw error
        }
        return SQLiteBackend(path: path, writer: writer, readers: readers, threads: threads)
    }

    func query(_ sql: String, _ binds: [SQLBind], primary: Bool) async throws -> [StorageRow] {
        let connection = primary ? self.writer : (self.readers.randomElement() ?? self.writer)
        return try await connection.query(sql, binds.map(\.sqlite)).map(StorageRow.sqlite)
    }

    /// The one writer runs one statement at a time: holding it is holding every key.
    func exclusive(_ keys: [String], _ sql: String, _ binds: [SQLBind]) async throws -> [StorageRow] {
        try await self.query(sql, binds, primary: true)
    }

    func isUniqueViolation(_ error: any Error) -> Bool {
        guard let error = error as? SQLiteError else { return false }
        switch error.reason {
        case .constraintUniqueFailed, .constraintPrimaryKeyFailed, .constraint: return true
        default: return false
        }
    }

    func describe(_ error: any Error) -> String {
        guard let error = error as? SQLiteError else { return "\(type(of: error))" }
        return "SQLite: \(error.reason): \(error.message)"
    }

    /// Whether the database answers — and its file is still there: a deleted file keeps answering through the
    /// open handles but would be gone at the next start.
    func ping() async throws {
        guard FileManager.default.fileExists(atPath: self.path) else {
            throw StorageError.unavailable("the database file \(self.path) is gone")
        }
        _ = try await self.query("SELECT 1", [], primary: false)
    }

    func close() async {
        guard
            self.closed.withLock({ closed in
                defer { closed = true }
                return !closed
            })
        else { return }
        // In a task of its own: a cancelled caller (a server torn down by cancellation) would otherwise have each
        // close refused at once and leave the files open.
        let (connections, threads) = (self.readers + [self.writer], self.threads)
        await Task.detached {
            for connection in connections { try? await connection.close() }
            try? await threads.shutdownGracefully()
        }.value
    }

    deinit {
        // Dropped without `close()` (an error path): close the connections on the way out rather than leak them.
        guard !self.closed.withLock({ $0 }) else { return }
        let (connections, threads) = (self.readers + [self.writer], self.threads)
        Task.detached {
            for connection in connections { try? await connection.close() }
            try? await threads.shutdownGracefully()
        }
    }
}

extension SQLStorage {
    /// Opens (creating if needed) the SQLite database at `path` and brings its schema up to date.
    public static func openSQLite(
        path: String,
        readerCount: Int = 2,
        logger: Logger,
        observe: @escaping @Sendable (Duration) -> Void = { _ in }
    ) async throws -> SQLStorage {
        let backend = try await SQLiteBackend.open(path: path, readerCount: readerCount, logger: logger)
        return SQLStorage(backend: backend, logger: logger, observe: observe)
    }
}

extension SQLiteBackend {
    /// How often a node reads SQLite's revocation log. Only other processes (the CLI) write it behind the
    /// node's back; the node's own writes are caught up before their answers leave.
    static let revocationPollInterval: Duration = .milliseconds(25)

    func followRevocations(_ handle: @escaping @Sendable (RevocationSignal) async -> Void) async {
        await handle(.listening)
        while !Task.isCancelled {
            // Each read is awaited before the next pause: a busy node reads less often, never falls behind.
            try? await Task.sleep(for: Self.revocationPollInterval)
            guard !Task.isCancelled else { return }
            await handle(.changed)
        }
    }
}
