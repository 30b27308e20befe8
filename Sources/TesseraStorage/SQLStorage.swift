import Foundation
import Logging
import Synchronization
import TesseraCore

/// Tessera's state in a SQL database — an SQLite file (the embedded default for one node) or PostgreSQL (shared
/// by several nodes) — behind the core's storage ports. The statements are the same on both; the backend runs
/// them.
///
/// Every failure of the database other than a refused duplicate surfaces as ``StorageError/unavailable(_:)``, so
/// the server answers `503` and never takes "could not read" for "nothing there". The first such failure of an
/// outage is logged with its cause; the first success after it is logged too.
public final class SQLStorage: Sendable {
    let backend: any SQLBackend
    /// Told how long each statement took (for metrics).
    let observe: @Sendable (Duration) -> Void
    private let logger: Logger
    private let failing = Atomic<Bool>(false)
    /// When the database last answered again after failing.
    private let recovered = Mutex<ContinuousClock.Instant?>(nil)

    init(backend: any SQLBackend, logger: Logger, observe: @escaping @Sendable (Duration) -> Void) {
        self.backend = backend
        self.logger = logger
        self.observe = observe
    }

    /// Closes every connection.
    public func close() async {
        await self.backend.close()
    }

    /// Throws ``StorageError/unavailable(_:)`` when the database cannot be used.
    public func ping() async throws {
        try await self.run { try await self.backend.ping() }
    }

    // MARK: Queries

    /// A read that may be served by any connection.
    func read(_ sql: String, _ binds: [SQLBind] = []) async throws -> [StorageRow] {
        try await self.run { try await self.backend.query(sql, binds, primary: false) }
    }

    /// A write, or a read that must see every earlier write.
    @discardableResult
    func write(_ sql: String, _ binds: [SQLBind] = []) async throws -> [StorageRow] {
        try await self.run { try await self.backend.query(sql, binds, primary: true) }
    }

    /// A statement run while `keys` are held exclusively across every node.
    func exclusive(_ keys: [String], _ sql: String, _ binds: [SQLBind]) async throws -> [StorageRow] {
        try await self.run { try await self.backend.exclusive(keys, sql, binds) }
    }

    /// `read`, `write` and `exclusive` for a statement of the hot path (see ``HotStatement``).
    func read<Statement: HotStatement>(_ statement: Statement.Type, _ binds: [SQLBind]) async throws -> [StorageRow] {
        try await self.run { try await self.backend.query(statement, binds, primary: false) }
    }

    @discardableResult
    func write<Statement: HotStatement>(_ statement: Statement.Type, _ binds: [SQLBind]) async throws -> [StorageRow] {
        try await self.run { try await self.backend.query(statement, binds, primary: true) }
    }

    func exclusive<Statement: HotStatement>(_ keys: [String], _ statement: Statement.Type, _ binds: [SQLBind]) async throws -> [StorageRow] {
        try await self.run { try await self.backend.exclusive(keys, statement, binds) }
    }

    /// Runs a write whose only effect is a change count: `UPDATE`/`DELETE … RETURNING 1`.
    func writeChangedAny(_ sql: String, _ binds: [SQLBind]) async throws -> Bool {
        try await self.write(sql + " RETURNING 1", binds).isEmpty == false
    }

    private func run<T>(_ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        defer { self.observe(ContinuousClock.now - start) }
        do {
            let result = try await body()
            if self.failing.load(ordering: .relaxed), self.failing.exchange(false, ordering: .relaxed) {
                self.recovered.withLock { $0 = ContinuousClock.now }
                self.logger.notice("the database answers again")
            }
            return result
        } catch is CancellationError {
            // The caller gave up (its client left, the node stops): not the database's failure.
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if self.backend.isUniqueViolation(error) { throw UniqueViolation() }
            let cause: String
            switch error {
            case StorageError.unavailable(let reason): cause = reason
            case let error as StorageError: throw error
            default: cause = self.backend.describe(error)
            }
            if !self.failing.exchange(true, ordering: .relaxed) {
                // Once per outage, with the cause: a flood of identical lines would hide it. A server going down
                // or coming up often answers a few statements in between; failing again within 10 s of coming
                // back is the same outage, noted as a warning.
                let flapping = self.recovered.withLock { $0.map { ContinuousClock.now - $0 < .seconds(10) } ?? false }
                if flapping {
                    self.logger.warning("the database fails again shortly after it came back", metadata: ["cause": "\(cause)"])
                } else {
                    self.logger.error("the database does not answer; requests that need it get 503", metadata: ["cause": "\(cause)"])
                }
            }
            throw StorageError.unavailable(cause)
        }
    }
}

/// The database refused a row because a unique key already has it.
struct UniqueViolation: Error {}

// MARK: Column helpers

extension Date {
    var millisecondsSince1970: Int64 { Int64((self.timeIntervalSince1970 * 1000).rounded()) }
    init(millisecondsSince1970 value: Int64) { self.init(timeIntervalSince1970: Double(value) / 1000) }
}
