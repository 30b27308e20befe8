import PostgresNIO
import Synchronization

/// Statements of the hot path, prepared once on each pooled connection and reused (`--database-prepared-statements`):
/// the server parses and plans each one once per connection instead of on every use.
extension PostgresBackend {
    func query<Statement: HotStatement>(_ statement: Statement.Type, _ binds: [SQLBind], primary: Bool) async throws -> [StorageRow] {
        guard self.options.preparedStatements else { return try await self.query(Statement.sql, binds, primary: primary) }
        let client = self.client
        return try await self.guarded {
            try await client.withConnection { connection in
                try await self.closingOnFailure(connection) {
                    try await Self.collect(connection.execute(Prepared<Statement>(binds: binds), logger: self.quiet))
                }
            }
        }
    }

    /// postgres-nio remembers a failed preparation for the life of its connection, and answers every later use of
    /// that statement there with the same error without asking the server again: a preparation that met a lock
    /// timeout during a newer node's migration would fail one request in every pooled connection's turn until the
    /// node restarts. So a connection on which a statement failed, other than a refused duplicate, is closed, and
    /// the pool opens a fresh one.
    func closingOnFailure<T>(_ connection: PostgresConnection, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            if self.options.preparedStatements, !self.isUniqueViolation(error) {
                try? await connection.close()
            }
            throw error
        }
    }

    func exclusive<Statement: HotStatement>(_ keys: [String], _ statement: Statement.Type, _ binds: [SQLBind]) async throws -> [StorageRow] {
        try await self.holding(keys) { connection in
            try await self.run(Statement.self, binds, on: connection)
        }
    }

    /// Runs a hot statement on a connection already taken from the pool (inside a transaction).
    func run<Statement: HotStatement>(
        _ statement: Statement.Type,
        _ binds: [SQLBind],
        on connection: PostgresConnection
    ) async throws -> [StorageRow] {
        if self.options.preparedStatements {
            return try await Self.collect(connection.execute(Prepared<Statement>(binds: binds), logger: self.quiet))
        }
        return try await Self.rows(connection.query(Self.query(Statement.sql, binds), logger: self.quiet))
    }

    private static func collect(_ rows: AsyncThrowingMapSequence<PostgresRowSequence, StorageRow>) async throws -> [StorageRow] {
        var collected: [StorageRow] = []
        for try await row in rows { collected.append(row) }
        return collected
    }

    /// Holds a key until the transaction ends.
    enum AdvisoryLock: HotStatement {
        static let sql = "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))"
    }
}

/// A hot statement as postgres-nio prepares it, named after its type (which Swift keeps unique).
struct Prepared<Statement: HotStatement>: PostgresPreparedStatement {
    typealias Row = StorageRow

    let binds: [SQLBind]

    static var name: String { self.form.name }
    static var sql: String { self.form.sql }

    /// postgres-nio asks for both on every use; they are worked out once per statement.
    private static var form: PreparedForm {
        let key = ObjectIdentifier(Statement.self)
        return preparedForms.withLock { forms in
            if let form = forms[key] { return form }
            let form = PreparedForm(name: String(reflecting: Statement.self), sql: numberedPlaceholders(Statement.sql))
            forms[key] = form
            return form
        }
    }

    func makeBindings() -> PostgresBindings { PostgresBackend.bindings(self.binds) }
    func decodeRow(_ row: PostgresRow) -> StorageRow { PostgresBackend.row(row) }
}

private struct PreparedForm: Sendable {
    var name: String
    var sql: String
}

private let preparedForms = Mutex<[ObjectIdentifier: PreparedForm]>([:])
