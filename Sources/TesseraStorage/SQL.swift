import Foundation
import SQLiteNIO

/// A value bound to a `?` placeholder. Tessera's schema needs only integers (ids, counts, flags and times in
/// milliseconds) and text, on every backend.
enum SQLBind: Sendable, Equatable {
    case integer(Int)
    case text(String)
    case null

    init(_ date: Date?) {
        self = date.map { .integer(Int($0.millisecondsSince1970)) } ?? .null
    }

    init(_ text: String?) {
        self = text.map { .text($0) } ?? .null
    }

    init(_ number: Int64?) {
        self = number.map { .integer(Int($0)) } ?? .null
    }

    var sqlite: SQLiteData {
        switch self {
        case .integer(let value): .integer(value)
        case .text(let value): .text(value)
        case .null: .null
        }
    }
}

/// One result row, read by column name, whatever backend it came from.
enum StorageRow: Sendable {
    /// SQLite rows are read in place: the validation hot path reads one row per request.
    case sqlite(SQLiteRow)
    /// Rows of other backends, decoded once into values.
    case values([String: SQLBind])

    func value(_ name: String) -> SQLBind {
        switch self {
        case .sqlite(let row):
            switch row.column(name) {
            case .integer(let value): return .integer(value)
            case .text(let value): return .text(value)
            case .float(let value): return .integer(Int(value))
            case .blob, .null, .none: return .null
            }
        case .values(let values):
            return values[name] ?? .null
        }
    }

    func optionalInt(_ name: String) -> Int64? {
        switch self.value(name) {
        case .integer(let value): Int64(value)
        case .text(let value): Int64(value)
        case .null: nil
        }
    }

    func optionalString(_ name: String) -> String? {
        switch self.value(name) {
        case .text(let value): value
        case .integer(let value): String(value)
        case .null: nil
        }
    }

    func int(_ name: String) -> Int64 { self.optionalInt(name) ?? 0 }
    func bool(_ name: String) -> Bool { self.int(name) != 0 }
    func string(_ name: String) -> String { self.optionalString(name) ?? "" }
    func date(_ name: String) -> Date { Date(millisecondsSince1970: self.int(name)) }
    func optionalDate(_ name: String) -> Date? { self.optionalInt(name).map { Date(millisecondsSince1970: $0) } }
}

/// A statement on the hot path (validating a token, logging in, following revocations), declared as a type of its
/// own so that a backend can prepare it once per connection and reuse it: on PostgreSQL, planning the token lookup's
/// join costs several times more than running it. The SQL is the same one every backend speaks, as for any other
/// statement.
///
/// PostgreSQL prepares the statement with the types of its first use's values. A parameter that may be NULL must
/// therefore stand where the server takes its type from a column (a value inserted, or compared with a column), and
/// the statement names its columns rather than `*`, so that a column a newer node adds does not change the prepared
/// statement's result (which PostgreSQL refuses, "cached plan must not change result type").
protocol HotStatement: Sendable {
    static var sql: String { get }
}

/// A place the storage runs its statements: one SQLite file, or a PostgreSQL server.
///
/// Statements are written once, in the SQL both engines speak (`?` placeholders, `RETURNING`,
/// `ON CONFLICT … DO UPDATE`, `IS DISTINCT FROM`); a backend translates what it must.
protocol SQLBackend: Sendable {
    /// Runs one statement. `primary` asks for the connection that has seen every earlier write (SQLite reads may
    /// go to a reader connection; PostgreSQL has one view).
    func query(_ sql: String, _ binds: [SQLBind], primary: Bool) async throws -> [StorageRow]
    /// Runs a statement of the hot path, prepared once per connection where the backend can.
    func query<Statement: HotStatement>(_ statement: Statement.Type, _ binds: [SQLBind], primary: Bool) async throws -> [StorageRow]
    /// Runs one statement while holding an exclusive, cluster-wide hold on each of `keys`, so that statements
    /// holding a common key run one after the other, whichever node sent them.
    func exclusive(_ keys: [String], _ sql: String, _ binds: [SQLBind]) async throws -> [StorageRow]
    func exclusive<Statement: HotStatement>(_ keys: [String], _ statement: Statement.Type, _ binds: [SQLBind]) async throws -> [StorageRow]
    /// Whether the error is the database refusing a duplicate (a unique or primary key).
    func isUniqueViolation(_ error: any Error) -> Bool
    /// A short account of an error for the operator's log, never holding bound values.
    func describe(_ error: any Error) -> String
    /// Throws when the database cannot be used.
    func ping() async throws
    func close() async
    /// Tells `handle` when to read the revocation log again (see ``RevocationSignal``), awaiting each call before
    /// the next, until the calling task is cancelled.
    func followRevocations(_ handle: @escaping @Sendable (RevocationSignal) async -> Void) async
}

extension SQLBackend {
    /// A backend that prepares nothing runs a hot statement as any other.
    func query<Statement: HotStatement>(_ statement: Statement.Type, _ binds: [SQLBind], primary: Bool) async throws -> [StorageRow] {
        try await self.query(Statement.sql, binds, primary: primary)
    }

    func exclusive<Statement: HotStatement>(_ keys: [String], _ statement: Statement.Type, _ binds: [SQLBind]) async throws -> [StorageRow] {
        try await self.exclusive(keys, Statement.sql, binds)
    }
}

/// A `?`-placeholder statement turned into PostgreSQL's `$1, $2, …`, leaving quoted text alone.
func numberedPlaceholders(_ sql: String) -> String {
    var result = ""
    result.reserveCapacity(sql.utf8.count + 16)
    var number = 0
    var inQuote = false
    for character in sql {
        if character == "'" {
            inQuote.toggle()
            result.append(character)
        } else if character == "?" && !inQuote {
            number += 1
            result += "$\(number)"
        } else {
            result.append(character)
        }
    }
    return result
}

/// What a node hears about the revocation log (`token_revocations`).
public enum RevocationSignal: Sendable, Equatable {
    /// The node hears every change from now on: read the log's end and trust what is read after it.
    case listening
    /// Something may have changed: read the log from where the node is.
    case changed
    /// The node may miss changes from now on: trust nothing cached until `listening` comes again.
    case lost
}
