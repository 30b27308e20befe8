import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// How a node uses its PostgreSQL server.
public struct PostgresOptions: Sendable, Equatable {
    /// The most connections this node opens (`--database-pool`).
    public var poolSize: Int
    /// How long one statement (waiting for a connection included) may take before the request is answered `503`.
    public var statementTimeout: Duration
    /// How long connecting may take, at start and when reconnecting.
    public var connectTimeout: Duration
    /// Whether the statements of the hot path are prepared once per connection (`--database-prepared-statements`).
    /// Off for a connection pooler that hands one server connection to several clients in turn (PgBouncer in
    /// transaction mode without `max_prepared_statements`).
    public var preparedStatements: Bool

    public init(
        poolSize: Int = 10,
        statementTimeout: Duration = .seconds(5),
        connectTimeout: Duration = .seconds(5),
        preparedStatements: Bool = true
    ) {
        self.poolSize = poolSize
        self.statementTimeout = statementTimeout
        self.connectTimeout = connectTimeout
        self.preparedStatements = preparedStatements
    }
}

/// A PostgreSQL server shared by every node: a pool of connections from postgres-nio.
///
/// Atomic steps that span rows (the failure-counter reservation) hold advisory locks inside a transaction, so
/// nodes take turns exactly where one SQLite writer would. PostgreSQL commits durably (`synchronous_commit` on,
/// its default) before a statement returns, so a token answered `200` is on disk.
///
/// When the server goes away the pool backs off further and further between reconnects; a watchdog probes the
/// server every second while statements fail and starts a fresh pool as soon as it answers, so a node recovers
/// within seconds of the database's return without a restart.
final class PostgresBackend: SQLBackend {
    let target: PostgresTarget
    let options: PostgresOptions
    private let logger: Logger
    /// What postgres-nio is given: at trace level it would log rows, which hold hashes and digests.
    let quiet: Logger
    let closed = Atomic<Bool>(false)
    /// One probe at a time, from the watchdog or a timed-out request.
    private let probing = Atomic<Bool>(false)
    private let pool: Mutex<Pool>
    private let suspect = Atomic<Bool>(false)
    /// Why the server cannot be reached, while the watchdog's last probe failed: statements fail at once with it
    /// instead of each waiting out the timeout.
    private let downCause: Mutex<String?> = Mutex(nil)
    private let watchdog: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let lastReplaced: Mutex<ContinuousClock.Instant?> = Mutex(nil)

    private struct Pool {
        var client: PostgresClient
        var runner: Task<Void, Never>
    }

    private init(target: PostgresTarget, options: PostgresOptions, logger: Logger) {
        self.target = target
        self.options = options
        self.logger = logger
        self.quiet = Self.quiet(logger)
        self.pool = Mutex(Self.startPool(target: target, options: options, logger: logger))
    }

    /// Connects once (so a wrong address or password fails at start, with the server's reason, instead of
    /// after the pool's minute of retries), applies migrations under an advisory lock so nodes starting together
    /// take turns, and starts the pool.
    static func open(url: String, options: PostgresOptions, logger: Logger) async throws -> PostgresBackend {
        let target = try PostgresTarget(parsing: url)
        let connection: PostgresConnection
        do {
            connection = try await withConnectTimeout(options.connectTimeout) {
                try await PostgresConnection.connect(
                    configuration: target.connectionConfiguration(options),
                    id: 0,
                    logger: Self.quiet(logger)
                )
            }
        } catch {
            throw StorageError.unavailable("cannot connect to \(target.redacted): \(Self.explain(error))")
        }
        do {
            let quiet = Self.quiet(logger)
            try await connection.withTransaction(logger: quiet) { connection in
                // Waiting for another node's migration may take longer than a statement may.
                _ = try await connection.query("SET LOCAL lock_timeout = 0", logger: quiet)
                _ = try await connection.query("SET LOCAL statement_timeout = 0", logger: quiet)
                _ = try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLockKey))", logger: quiet)
                try await Migrations.apply(dialect: .postgres, logger: logger) { sql, binds in
                    try await Self.rows(connection.query(Self.query(sql, binds), logger: quiet))
                }
            }
        } catch let error as PostgresTransactionError where error.closureError is StorageError {
            try? await connection.close()
            throw error.closureError!
        } catch {
            try? await connection.close()
            throw StorageError.unavailable("cannot migrate \(target.redacted): \(Self.explain(error))")
        }
        try? await connection.close()
        let backend = PostgresBackend(target: target, options: options, logger: logger)
        backend.startWatchdog()
        return backend
    }

    /// The advisory lock every migrating node takes: `tessera` in ASCII.
    static let migrationLockKey: Int64 = 0x7465_7373_6572_61

    private static func startPool(target: PostgresTarget, options: PostgresOptions, logger: Logger) -> Pool {
        var configuration = target.clientConfiguration
        configuration.options.maximumConnections = max(options.poolSize, 1)
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = options.connectTimeout
        configuration.options.additionalStartupParameters = target.sessionParameters(options)
        // postgres-nio logs every failed connection attempt; the storage logs each outage once instead.
        let client = PostgresClient(configuration: configuration, backgroundLogger: Self.quiet(logger))
        let runner = Task { await client.run() }
        return Pool(client: client, runner: runner)
    }

    var client: PostgresClient { self.pool.withLock { $0.client } }

    private static func quiet(_ logger: Logger) -> Logger {
        var quiet = logger
        quiet.logLevel = .critical
        return quiet
    }

    func query(_ sql: String, _ binds: [SQLBind], primary: Bool) async throws -> [StorageRow] {
        let client = self.client
        return try await self.guarded {
            try await Self.rows(client.query(Self.query(sql, binds), logger: self.quiet))
        }
    }

    func exclusive(_ keys: [String], _ sql: String, _ binds: [SQLBind]) async throws -> [StorageRow] {
        try await self.holding(keys) { connection in
            try await Self.rows(connection.query(Self.query(sql, binds), logger: self.quiet))
        }
    }

    /// Runs `body` in a transaction that holds an advisory lock on each of `keys`.
    func holding(
        _ keys: [String],
        _ body: @escaping @Sendable (PostgresConnection) async throws -> [StorageRow]
    ) async throws -> [StorageRow] {
        let client = self.client
        return try await self.guarded {
            try await client.withConnection { connection in
                try await self.closingOnFailure(connection) {
                    try await connection.withTransaction(logger: self.quiet) { connection in
                        // Every caller takes its keys in the same order (account, then address), so no two wait
                        // on each other in a circle.
                        for key in keys {
                            _ = try await self.run(AdvisoryLock.self, [.text(key)], on: connection)
                        }
                        return try await body(connection)
                    }
                }
            }
        }
    }

    /// Bounds a statement in time and marks the pool suspect when it fails for any reason but a refusal.
    func guarded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        if let cause = self.downCause.withLock({ $0 }) {
            throw StorageError.unavailable(cause)
        }
        do {
            return try await withTimeout(self.options.statementTimeout, body)
        } catch is StatementTimeout {
            self.suspect.store(true, ordering: .relaxed)
            // A pool waiting to reconnect only times out; a connection of our own tells why — if it can tell
            // within a second (a refused connection can; a frozen server cannot, and the probe then goes on
            // without this request).
            let probe = Task { await self.probeOnce() }
            if case .down(let cause) = try? await withTimeout(.seconds(1), { await probe.value }) {
                throw StorageError.unavailable(cause)
            }
            throw StatementTimeout()
        } catch {
            if !self.isUniqueViolation(error), !Self.isStatementError(error) {
                self.suspect.store(true, ordering: .relaxed)
            }
            throw error
        }
    }

    func isUniqueViolation(_ error: any Error) -> Bool {
        (Self.root(error) as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }

    /// The error inside a failed transaction.
    private static func root(_ error: any Error) -> any Error {
        guard let error = error as? PostgresTransactionError else { return error }
        return error.beginError ?? error.closureError ?? error.commitError ?? error.rollbackError ?? error
    }

    /// An error the server gave about one statement (a constraint, a syntax error), as opposed to the server
    /// or the way to it failing.
    private static func isStatementError(_ error: any Error) -> Bool {
        guard let error = Self.root(error) as? PSQLError, error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        // 08 connection, 53 resources, 57 operator intervention (shutdown), 58 system errors, 40 rollbacks;
        // 25006: a read-only transaction — the server was demoted to a standby by a failover, so the pool must
        // reconnect (to wherever the URL's host name now points).
        return !["08", "53", "57", "58", "40"].contains(String(state.prefix(2))) && state != "25006"
    }

    func describe(_ error: any Error) -> String {
        Self.explain(error)
    }

    /// The reason an error happened, from the server's message or the connection's failure — never the
    /// statement's bound values.
    static func explain(_ error: any Error) -> String {
        if error is PostgresTransactionError {
            let inner = Self.root(error)
            return inner is PostgresTransactionError ? "transaction failed" : Self.explain(inner)
        }
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let state = info[.sqlState] ?? "?"
                // A prepared statement missing, or already there, on a connection that should hold exactly this
                // node's: a pooler hands the server connection to other clients in turn.
                let pooler =
                    ["26000", "42P05"].contains(state)
                    ? " (a connection pooler that shares server connections? start the nodes with --no-database-prepared-statements)" : ""
                return "\(state): \(info[.message] ?? "server error")\(pooler)"
            }
            if let underlying = error.underlying {
                return "\(error.code): \(Self.explain(underlying))"
            }
            return "\(error.code)"
        }
        if error is StatementTimeout { return "no answer within the statement timeout" }
        return String(describing: error)
    }

    func ping() async throws {
        _ = try await self.query("SELECT 1", [], primary: true)
    }

    func close() async {
        self.closed.store(true, ordering: .relaxed)
        self.watchdog.withLock { $0?.cancel() }
        let runner = self.pool.withLock { $0.runner }
        runner.cancel()
        // The pool closes its connections as their statements end; a process on its way out waits a few
        // seconds for that, not for ever.
        _ = try? await withTimeout(.seconds(5)) { await runner.value }
    }

    // MARK: Recovery

    private func startWatchdog() {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                guard let self else { return }
                await self.recoverIfNeeded()
            }
        }
        self.watchdog.withLock { $0 = task }
    }

    /// While statements fail, checks the server with a connection of its own; once it answers, replaces the
    /// pool (whose reconnect back-off may by then be most of a minute) with a fresh one.
    private func recoverIfNeeded() async {
        guard self.suspect.load(ordering: .relaxed), !self.closed.load(ordering: .relaxed) else { return }
        // Only a probe of its own that got through says the server is back.
        guard case .up = await self.probeOnce() else { return }
        // The server answers. After an outage, replace the pool at once. When statements were only slow (the
        // server never stopped answering), replace it at most every 30 s, so a loaded database is not also
        // handed a new set of connections every second.
        let wasDown = self.downCause.withLock { $0 != nil }
        let now = ContinuousClock.now
        let recentlyReplaced = self.lastReplaced.withLock { $0.map { now - $0 < .seconds(30) } ?? false }
        if !wasDown && recentlyReplaced {
            self.suspect.store(false, ordering: .relaxed)
            return
        }
        self.lastReplaced.withLock { $0 = now }
        let fresh = Self.startPool(target: self.target, options: self.options, logger: self.logger)
        let old = self.pool.withLock { pool -> Pool? in
            // A node closing keeps its pool: close() has taken that one's runner.
            guard !self.closed.load(ordering: .relaxed) else { return nil }
            defer { pool = fresh }
            return pool
        }
        guard let old else {
            fresh.runner.cancel()
            return
        }
        self.suspect.store(false, ordering: .relaxed)
        self.downCause.withLock { $0 = nil }
        // Statements still running on the old pool finish or fail on their own; then it closes.
        Task {
            try? await Task.sleep(for: self.options.statementTimeout)
            old.runner.cancel()
        }
    }

    enum ProbeResult: Sendable {
        case up
        case down(String)
        /// Another probe is under way.
        case busy
    }

    /// Connects and runs `SELECT 1` on a connection of its own. When that fails, its reason becomes the cause
    /// statements fail with at once, and the watchdog keeps probing until one gets through. A server that
    /// refuses for lack of resources (too many connections) answers, so it counts as up.
    private func probeOnce() async -> ProbeResult {
        guard self.probing.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return .busy }
        defer { self.probing.store(false, ordering: .relaxed) }
        do {
            let connection = try await withConnectTimeout(self.options.connectTimeout) { [target, options, quiet] in
                try await PostgresConnection.connect(configuration: target.connectionConfiguration(options), id: 0, logger: quiet)
            }
            defer { Task { try? await connection.close() } }
            _ = try await withTimeout(self.options.statementTimeout) { [quiet] in
                try await connection.query("SELECT 1", logger: quiet).collect()
            }
            return .up
        } catch {
            if let error = Self.root(error) as? PSQLError, error.serverInfo?[.sqlState]?.hasPrefix("53") == true { return .up }
            let cause = "cannot connect to \(self.target.redacted): \(Self.explain(error))"
            self.downCause.withLock { $0 = cause }
            self.suspect.store(true, ordering: .relaxed)
            return .down(cause)
        }
    }

    // MARK: Statements

    static func query(_ sql: String, _ binds: [SQLBind]) -> PostgresQuery {
        PostgresQuery(unsafeSQL: numberedPlaceholders(sql), binds: Self.bindings(binds))
    }

    static func bindings(_ binds: [SQLBind]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case .integer(let value): bindings.append(Int64(value))
            case .text(let value): bindings.append(value)
            case .null: bindings.appendNull()
            }
        }
        return bindings
    }

    static func rows(_ sequence: PostgresRowSequence) async throws -> [StorageRow] {
        try await sequence.collect().map(Self.row)
    }

    static func row(_ row: PostgresRow) -> StorageRow {
        var values: [String: SQLBind] = [:]
        for cell in row {
            values[cell.columnName] = Self.value(cell)
        }
        return .values(values)
    }

    private static func value(_ cell: PostgresCell) -> SQLBind {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8:
            return (try? cell.decode(Int64.self)).map { .integer(Int($0)) } ?? .null
        case .bool:
            return (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .null
        default:
            return (try? cell.decode(String.self)).map { .text($0) } ?? .null
        }
    }
}

extension SQLStorage {
    /// Connects to the PostgreSQL server at `url` and brings its schema up to date.
    public static func openPostgres(
        url: String,
        options: PostgresOptions = PostgresOptions(),
        logger: Logger,
        observe: @escaping @Sendable (Duration) -> Void = { _ in }
    ) async throws -> SQLStorage {
        let backend = try await PostgresBackend.open(url: url, options: options, logger: logger)
        return SQLStorage(backend: backend, logger: logger, observe: observe)
    }
}
