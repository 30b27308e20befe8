import Foundation
import Synchronization

/// Last-seen times waiting to be written, so that no API request waits on that write: validations record them
/// here, and the node writes them all at once every ``interval`` (``flush()``), a statement per
/// ``AccessTokenStore/touch(_:)`` batch instead of one per session.
///
/// The times are coarse anyway (``AccessTokenValidator/lastSeenResolution``): a second more before they reach
/// the store changes nothing a user or an operator reads, and this node's own session list flushes first.
public final class LastSeenBatch: Sendable {
    /// How often the node writes what is pending.
    public static let interval: Duration = .seconds(1)
    /// The most sessions kept waiting (while the store refuses writes, say); past it, the times of sessions not
    /// already waiting are dropped until the next write: bounded memory matters more than a coarse time.
    public static let limit = 100_000

    let accessTokens: any AccessTokenStore
    private let pending = Mutex<[String: Date]>([:])

    public init(accessTokens: any AccessTokenStore) {
        self.accessTokens = accessTokens
    }

    /// Sessions waiting to be written.
    public var count: Int { self.pending.withLock { $0.count } }

    /// Notes that the token with `digest` was used at `date` (unless a later time is waiting for it, or the
    /// batch is full).
    public func record(digest: String, at date: Date) {
        self.pending.withLock { pending in
            if let held = pending[digest] {
                if held < date { pending[digest] = date }
            } else if pending.count < Self.limit {
                pending[digest] = date
            }
        }
    }

    /// Writes everything pending. On failure the times go back into the batch (unless newer ones came meanwhile)
    /// for the next write, and the error is thrown.
    public func flush() async throws {
        let taken = self.pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
        guard !taken.isEmpty else { return }
        do {
            // In digest order: two nodes' batches lock the rows they share in the same order.
            try await self.accessTokens.touch(taken.map { (digest: $0.key, at: $0.value) }.sorted { $0.digest < $1.digest })
        } catch {
            self.pending.withLock { pending in
                pending.merge(taken) { newer, _ in newer }
            }
            throw error
        }
    }
}
