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

    /// - Parameters:
    ///   - cost: bcrypt cost, at least 10 in production.
    ///   - maximumConcurrent: hashes that may run at once; defaults to the number of cores.
    ///   - maximumWait: how long a request may wait for a slot before it is refused with
    ///     ``PasswordHashingError/overloaded``.
    public init(cost: UInt8 = 10, maximumConcurrent: Int = System.coreCount, maximumWait: Duration = .seconds(2)) {
        self.cost = cost
        self.pool = HashingPool(limit: maximumConcurrent, maximumWait: maximumWait)
        self.dummyHash = Self.prefix + Bcrypt.hash(Self.prehash(SecureRandom().token()), cost: cost)
    }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await self.pool.run { Self.prefix + Bcrypt.hash(Self.prehash(password), cost: cost) }
    }

    public func verify(_ password: String, against hash: String) async throws -> Bool {
        guard hash.hasPrefix(Self.prefix) else {
            // Unknown format: spend the same time, never match.
            try await self.verifyDummy(password)
            return false
        }
        let bcrypt = String(hash.dropFirst(Self.prefix.count))
        return try await self.pool.run { Bcrypt.verify(Self.prehash(password), hash: bcrypt) }
    }

    public func verifyDummy(_ password: String) async throws {
        _ = try await self.verify(password, against: self.dummyHash)
    }

    static func prehash(_ password: String) -> String {
        Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }
}

/// Runs blocking work on NIO's thread pool, at most `limit` jobs at once. The rest wait their turn, but no longer
/// than `maximumWait`: past it they are refused, so a flood of logins sheds load instead of queueing without end.
final class HashingPool: Sendable {
    private let gate: Gate
    private let maximumWait: Duration

    init(limit: Int, maximumWait: Duration) {
        self.gate = Gate(limit: max(limit, 1))
        self.maximumWait = maximumWait
    }

    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async throws -> T {
        guard await self.gate.acquire(waitingAtMost: self.maximumWait) else {
            throw PasswordHashingError.overloaded
        }
        do {
            let result = try await NIOThreadPool.singleton.runIfActive(work)
            await self.gate.release()
            return result
        } catch {
            await self.gate.release()
            throw error
        }
    }

    /// A counting semaphore for async callers, with a bounded wait.
    actor Gate {
        private let limit: Int
        private var running = 0
        private var nextTicket: UInt64 = 0
        private var waiting: [(ticket: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []

        init(limit: Int) {
            self.limit = limit
        }

        /// `true` with a slot held, `false` when none came free in time.
        func acquire(waitingAtMost wait: Duration) async -> Bool {
            if self.running < self.limit {
                self.running += 1
                return true
            }
            let ticket = self.nextTicket
            self.nextTicket += 1
            return await withCheckedContinuation { continuation in
                self.waiting.append((ticket, continuation))
                Task {
                    try? await Task.sleep(for: wait)
                    await self.expire(ticket)
                }
            }
        }

        func release() {
            if self.waiting.isEmpty {
                self.running -= 1
            } else {
                // Hand the slot straight to the next waiter.
                self.waiting.removeFirst().continuation.resume(returning: true)
            }
        }

        private func expire(_ ticket: UInt64) {
            guard let index = self.waiting.firstIndex(where: { $0.ticket == ticket }) else { return }
            self.waiting.remove(at: index).continuation.resume(returning: false)
        }
    }
}
