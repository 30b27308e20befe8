import Foundation
import Logging
import PostgresNIO
import TesseraStorage

/// The backends every storage-facing test runs against: the two SQL engines, and the in-memory store the core's
/// unit tests use, which must keep the same contract.
public enum TestBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres
    case memory

    /// The engines with a schema, a file or a server behind them.
    public static let sql: [TestBackend] = [.sqlite, .postgres]

    public var description: String { self.rawValue }
}

/// A database of its own for one test: a fresh SQLite file, or a fresh database on the test PostgreSQL server
/// (`TESSERA_TEST_DATABASE_URL`, as `scripts/test` starts one; default `postgres://postgres@127.0.0.1:5432/postgres`).
public struct TestDatabase: Sendable {
    public let backend: TestBackend
    /// The database's URL; the in-memory store has none.
    public let url: DatabaseURL
    let cleanUp: @Sendable () async -> Void
    /// The in-memory store, kept for the life of the test so a reopen finds what was stored.
    let memory: InMemoryStore?

    init(backend: TestBackend, url: DatabaseURL, memory: InMemoryStore? = nil, cleanUp: @escaping @Sendable () async -> Void) {
        self.backend = backend
        self.url = url
        self.memory = memory
        self.cleanUp = cleanUp
    }

    /// The server tests create their databases on.
    public static var adminURL: String {
        ProcessInfo.processInfo.environment["TESSERA_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres"
    }

    public static func make(_ backend: TestBackend) async throws -> TestDatabase {
        switch backend {
        case .sqlite:
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("tessera-test-\(UUID().uuidString).sqlite").path
            return TestDatabase(backend: backend, url: .sqlite(path: path)) {
                for suffix in ["", "-wal", "-shm", ".key"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
        case .postgres:
            let name = "tessera_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            try await Self.admin("CREATE DATABASE \(name)")
            let admin = Self.adminURL
            guard let slash = admin.range(of: "/", options: .backwards), admin[..<slash.lowerBound].contains("@") else {
                throw TestDatabaseError("TESSERA_TEST_DATABASE_URL must end in /DATABASE")
            }
            let url = String(admin[..<slash.upperBound]) + name
            return TestDatabase(backend: backend, url: .postgres(url: url)) {
                try? await Self.admin("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            }
        case .memory:
            return TestDatabase(backend: backend, url: .sqlite(path: "/nonexistent/in-memory"), memory: InMemoryStore()) {}
        }
    }

    /// Opens, runs `body`, closes and removes the database whatever happens.
    public static func with<T>(_ backend: TestBackend, _ body: (TestDatabase) async throws -> T) async throws -> T {
        let database = try await Self.make(backend)
        do {
            let result = try await body(database)
            await database.cleanUp()
            return result
        } catch {
            await database.cleanUp()
            throw error
        }
    }

    /// The database URL as `--database` takes it.
    public var argument: String {
        switch self.url {
        case .sqlite(let path): "sqlite://\(path)"
        case .postgres(let url): url
        }
    }

    /// Opens the database. Statements get 120 s (the wait for a pooled connection included), not a server's 5: the
    /// whole suite runs at once on a small machine, and 40 parallel reservations queued behind one account's lock
    /// took over 30 s there while every other suite ran.
    public func open(logger: Logger = Logger(label: "test")) async throws -> TesseraDatabase {
        if let memory = self.memory { return memory.database }
        return try await TesseraDatabase.open(self.url, postgres: PostgresOptions(statementTimeout: .seconds(120)), logger: logger)
    }

    /// Runs one statement on the test server's admin database.
    public static func admin(_ sql: String) async throws {
        let url = Self.adminURL
        guard let components = URLComponents(string: url), let host = components.host else {
            throw TestDatabaseError("TESSERA_TEST_DATABASE_URL is not a postgres:// URL: \(url)")
        }
        var configuration = PostgresConnection.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: components.user ?? "postgres",
            password: components.password,
            database: components.path.isEmpty ? nil : String(components.path.dropFirst()),
            tls: .disable
        )
        configuration.options.connectTimeout = .seconds(5)
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Logger(label: "test-admin"))
        } catch {
            throw TestDatabaseError(
                "no test PostgreSQL at \(host):\(components.port ?? 5432) — run the tests through scripts/test, which starts one, "
                    + "or set TESSERA_TEST_DATABASE_URL (\(String(reflecting: error)))"
            )
        }
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test-admin"))
        } catch {
            try? await connection.close()
            throw TestDatabaseError("\(sql): \(String(reflecting: error))")
        }
        try? await connection.close()
    }
}

public struct TestDatabaseError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
