import Crypto
import Foundation
import HummingbirdBcrypt
import NIOCore
import NIOPosix
import TesseraCore

/// bcrypt over a SHA-256 pre-hash, run on a thread pool with a bounded number of hashes in flight.
///
/// The pre-hash (base64 of SHA-256, 44 bytes) lets passwords longer than bcrypt's 72 bytes count in full instead
/// of being cut. Hashes are stored as `bcrypt-sha256$<bcrypt string>`, so the cost (in the bcrypt string) can be
/// raised later and another algorithm added under another prefix.
public struct BcryptPasswordHasher: PasswordHasher {
    static let prefix = "bcrypt-sha256$"

    /// The bcrypt cost; DESIGN.md asks for 10 or more.
    public let cost: UInt8
    private let pool: HashingPool
    private let dummyHash: String

    /// How many hashes one client address may have running at once, by default.
    public static let defaultPerAddress = 2

    /// - Parameters:
    ///   - cost: bcrypt cost, at least 10 in production.
    ///   - maximumConcurrent: hashes that may run at once; defaults to the number of cores.
    ///   - maximumWait: how long a request may wait for a slot before it is refused with
    ///     ``PasswordHashingError/overloaded``.
    ///   - perAddress: hashes one client address may have running at once; its other requests wait, behind the
    ///     addresses served less recently.
    ///   - threads: where the hashes run (NIO's shared pool, unless a caller wants its own).
    public init(
        cost: UInt8 = 10,
        maximumConcurrent: Int = System.coreCount,
        maximumWait: Duration = .seconds(2),
        perAddress: Int = Self.defaultPerAddress,
        threads: NIOThreadPool = .singleton
    ) {
        self.cost = cost
        self.pool = HashingPool(limit: maximumConcurrent, perLane: perAddress, maximumWait: maximumWait, threads: threads)
        self.dummyHash = Self.prefix + Bcrypt.hash(Self.prehash(SecureRandom().token()), cost: cost)
    }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await self.pool.run(lane: .unattributed) { Self.prefix + Bcrypt.hash(Self.prehash(password), cost: cost) }
    }

    public func verify(_ password: String, against hash: String, lane: HashLane) async throws -> Bool {
        guard hash.hasPrefix(Self.prefix) else {
            // Unknown format: spend the same time, never match.
            try await self.verifyDummy(password, lane: lane)
            return false
        }
        let bcrypt = String(hash.dropFirst(Self.prefix.count))
        return try await self.pool.run(lane: lane) { Bcrypt.verify(Self.prehash(password), hash: bcrypt) }
    }

    public func verifyDummy(_ password: String, lane: HashLane) async throws {
        _ = try await self.verify(password, against: self.dummyHash, lane: lane)
    }

    static func prehash(_ password: String) -> String {
        Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }
}

/// Runs blocking work on NIO's thread pool, at most `limit` jobs at once. The rest wait their turn, but no longer
/// than `maximumWait`: past it they are refused, so a flood of logins sheds load instead of queueing without end.
///
/// The turns are fair between lanes (client addresses): a lane has at most `perLane` jobs running at once, and a
/// freed slot goes to the waiting lane served least recently — a client that has not hashed for a while goes
/// before one that floods. So no single address can take the pool: a user arriving in a flood waits for about
/// one hash, not for the flood. A lane may keep at most ``maximumWaitingPerLane`` jobs waiting; one more is
/// refused at once. A login that comes with the user's remembered device goes before all other waiting work, in a
/// lane of its own: a flood from the same address (a shared NAT) fills the flood's lane, not the returning user's.
final class HashingPool: Sendable {
    /// Jobs one lane may have waiting: enough for a busy office behind one address, not for a flood to fill memory.
    static let maximumWaitingPerLane = 64

    private let gate: Gate
    private let maximumWait: Duration
    private let threads: NIOThreadPool

    init(limit: Int, perLane: Int, maximumWait: Duration, threads: NIOThreadPool = .singleton) {
        self.gate = Gate(limit: max(limit, 1), perLane: max(perLane, 1), maximumWaiting: Self.maximumWaitingPerLane)
        self.maximumWait = maximumWait
        self.threads = threads
    }

    func run<T: Sendable>(lane: HashLane, _ work: @escaping @Sendable () -> T) async throws -> T {
        switch await self.gate.acquire(lane, waitingAtMost: self.maximumWait) {
        case .granted: break
        case .timedOut: throw PasswordHashingError.overloaded
        case .laneFull: throw PasswordHashingError.laneFull
        }
        do {
            let result = try await self.threads.runIfActive(work)
            await self.gate.release(lane)
            return result
        } catch {
            await self.gate.release(lane)
            throw error
        }
    }

    /// A counting semaphore for async callers, with a bounded wait and fair turns between lanes.
    /// The gate is internal so the fairness rules can be tested without hashing.
    actor Gate {
        enum Outcome {
            case granted
            case timedOut
            case laneFull
        }

        private struct Waiter {
            var ticket: UInt64
            var lane: HashLane
            var continuation: CheckedContinuation<Bool, Never>
        }

        private let limit: Int
        private let perLane: Int
        private let maximumWaiting: Int
        private var running = 0
        private var nextTicket: UInt64 = 0
        private var waiting: [Waiter] = []
        /// Jobs of each address running, and waiting.
        private var runningInLane: [String: Int] = [:]
        private var waitingInLane: [String: Int] = [:]
        /// When each lane last got a slot (a ticket number): the least recent goes first.
        private var lastServed: [String: UInt64] = [:]

        init(limit: Int, perLane: Int, maximumWaiting: Int) {
            self.limit = limit
            self.perLane = perLane
            self.maximumWaiting = maximumWaiting
        }

        /// Jobs waiting for a slot (for tests).
        var waitingCount: Int { self.waiting.count }

        func acquire(_ lane: HashLane, waitingAtMost wait: Duration) async -> Outcome {
            let ticket = self.nextTicket
            self.nextTicket += 1
            if self.running < self.limit && self.mayRun(lane) {
                self.start(lane, ticket)
                return .granted
            }
            if let address = lane.key {
                guard self.waitingInLane[address, default: 0] < self.maximumWaiting else { return .laneFull }
                self.waitingInLane[address, default: 0] += 1
            }
            let granted = await withCheckedContinuation { continuation in
                self.waiting.append(Waiter(ticket: ticket, lane: lane, continuation: continuation))
                Task {
                    try? await Task.sleep(for: wait)
                    await self.expire(ticket)
                }
            }
            return granted ? .granted : .timedOut
        }

        func release(_ lane: HashLane) {
            self.running -= 1
            if let address = lane.key {
                let left = self.runningInLane[address, default: 1] - 1
                self.runningInLane[address] = left > 0 ? left : nil
            }
            // Hand free slots straight to the chosen waiters.
            while self.running < self.limit, let next = self.nextWaiter() {
                let waiter = self.waiting.remove(at: next)
                self.leaveWaiting(waiter.lane)
                self.start(waiter.lane, waiter.ticket)
                waiter.continuation.resume(returning: true)
            }
        }

        private func mayRun(_ lane: HashLane) -> Bool {
            guard let address = lane.key else { return true }
            return self.runningInLane[address, default: 0] < self.perLane
        }

        /// Among the waiters whose lane may run one more: a remembered device's work first, then priority work;
        /// then the lane served least recently (one never served before all others); then the oldest ticket.
        private func nextWaiter() -> Int? {
            self.waiting.indices.filter { self.mayRun(self.waiting[$0].lane) }.min { left, right in
                let a = self.waiting[left]
                let b = self.waiting[right]
                if a.lane.trusted != b.lane.trusted { return a.lane.trusted }
                if a.lane.priority != b.lane.priority { return a.lane.priority }
                let servedA = self.lastServed[a.lane.key ?? ""].map { $0 + 1 } ?? 0
                let servedB = self.lastServed[b.lane.key ?? ""].map { $0 + 1 } ?? 0
                return (servedA, a.ticket) < (servedB, b.ticket)
            }
        }

        private func start(_ lane: HashLane, _ ticket: UInt64) {
            self.running += 1
            if let address = lane.key { self.runningInLane[address, default: 0] += 1 }
            self.lastServed[lane.key ?? ""] = ticket
            // Keep the memory bounded under a flood of fresh addresses: the oldest entries matter least.
            if self.lastServed.count > 10_000 {
                let cutoff = ticket > 5_000 ? ticket - 5_000 : 0
                self.lastServed = self.lastServed.filter { $0.value >= cutoff }
            }
        }

        private func leaveWaiting(_ lane: HashLane) {
            guard let address = lane.key else { return }
            let left = self.waitingInLane[address, default: 1] - 1
            self.waitingInLane[address] = left > 0 ? left : nil
        }

        private func expire(_ ticket: UInt64) {
            guard let index = self.waiting.firstIndex(where: { $0.ticket == ticket }) else { return }
            let waiter = self.waiting.remove(at: index)
            self.leaveWaiting(waiter.lane)
            waiter.continuation.resume(returning: false)
        }
    }
}

extension HashLane {
    /// What the pool counts the lane's turns under: its address, apart for a remembered device's work.
    var key: String? {
        guard let address = self.address else { return nil }
        return self.trusted ? "trusted " + address : address
    }
}
