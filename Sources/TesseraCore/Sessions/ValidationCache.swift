import Foundation
import Synchronization

/// A change in the database that may end validations this node has cached: a token revoked, a user changed
/// (disabled, a new password…), an app key revoked. The database records each one as it commits (see
/// ``RevocationFeed``).
public enum Revocation: Sendable, Equatable {
    case token(digest: String)
    case user(id: Int64)
    case appKey(id: Int64)
    /// Anything may have ended (a table emptied, or a kind of change this build does not know).
    case everything
}

/// The changes the database has recorded, in commit order, for nodes to catch up on.
public protocol RevocationFeed: Sendable {
    /// The sequence number of the newest change (0 when none).
    func latestRevocation() async throws -> Int64
    /// The changes after `sequence`, oldest first, at most `limit`.
    func revocations(after sequence: Int64, limit: Int) async throws -> [(sequence: Int64, change: Revocation)]
}

/// This node's validated tokens, so that a request's token costs no database round trip — with revocation kept
/// exact: every change the database records ends the entries it touches, and while this node cannot hear of
/// changes (its feed is cut) it trusts nothing it holds.
///
/// Only tokens that opened the API are kept; expiry is checked on every use. Lookups that start before a
/// change is applied never store their answer after it (``epoch``), so an answer read just before a revocation
/// cannot outlive it.
public final class ValidationCache: Sendable {
    /// The most tokens held; past it, the cache starts over (cheap, and bounded memory whatever the load).
    public let capacity: Int

    private struct State {
        var entries: [String: TokenLookup] = [:]
        /// The digests held per user and per app key, so that a change ends only what it touches (a scan of the
        /// whole cache under its lock would stall every validation of the node).
        var byUser: [Int64: Set<String>] = [:]
        var byApp: [Int64: Set<String>] = [:]
        var trusted = false
        var epoch: UInt64 = 0
        var hits = 0
        var misses = 0

        mutating func insert(_ lookup: TokenLookup) {
            let digest = lookup.record.digest
            self.remove(digest)
            self.entries[digest] = lookup
            self.byUser[lookup.user.id, default: []].insert(digest)
            self.byApp[lookup.record.appKeyID, default: []].insert(digest)
        }

        mutating func remove(_ digest: String) {
            guard let held = self.entries.removeValue(forKey: digest) else { return }
            self.byUser[held.user.id]?.remove(digest)
            if self.byUser[held.user.id]?.isEmpty == true { self.byUser[held.user.id] = nil }
            self.byApp[held.record.appKeyID]?.remove(digest)
            if self.byApp[held.record.appKeyID]?.isEmpty == true { self.byApp[held.record.appKeyID] = nil }
        }

        mutating func clear() {
            self.entries.removeAll()
            self.byUser.removeAll()
            self.byApp.removeAll()
        }
    }
    private let state = Mutex(State())

    public init(capacity: Int = 100_000) {
        self.capacity = max(capacity, 1)
    }

    /// Changes whenever what the cache may hold changes: a change applied, trust lost or regained.
    public var epoch: UInt64 { self.state.withLock { $0.epoch } }
    /// Whether the cache answers at all.
    public var isTrusted: Bool { self.state.withLock { $0.trusted } }
    public var count: Int { self.state.withLock { $0.entries.count } }
    /// Lookups answered from the cache and from the database, since start.
    public var counts: (hits: Int, misses: Int) { self.state.withLock { ($0.hits, $0.misses) } }

    /// The cached lookup of a token, while the cache is trusted.
    public func lookup(digest: String) -> TokenLookup? {
        self.state.withLock { state in
            guard state.trusted, let found = state.entries[digest] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            return found
        }
    }

    /// Keeps a lookup read from the database — unless a change was applied since `epoch`, when the lookup began.
    public func store(_ lookup: TokenLookup, readAt epoch: UInt64) {
        self.state.withLock { state in
            guard state.trusted, state.epoch == epoch else { return }
            if state.entries.count >= self.capacity { state.clear() }
            state.insert(lookup)
        }
    }

    /// Moves the last-seen time of an entry still held; never adds one, and never replaces what it holds (a
    /// fresher read may have been stored since this one began).
    public func touched(digest: String, at date: Date) {
        self.state.withLock { state in
            guard let held = state.entries[digest], held.record.lastSeenAt < date else { return }
            state.entries[digest]?.record.lastSeenAt = date
        }
    }

    /// Ends the entries the changes touch.
    public func apply(_ changes: [Revocation]) {
        guard !changes.isEmpty else { return }
        self.state.withLock { state in
            state.epoch &+= 1
            for change in changes {
                switch change {
                case .token(let digest): state.remove(digest)
                case .user(let id): for digest in state.byUser[id] ?? [] { state.remove(digest) }
                case .appKey(let id): for digest in state.byApp[id] ?? [] { state.remove(digest) }
                case .everything: state.clear()
                }
            }
        }
    }

    /// The feed is cut: forget everything and answer nothing until ``trust()``.
    public func distrust() {
        self.state.withLock { state in
            state.epoch &+= 1
            state.trusted = false
            state.clear()
        }
    }

    /// The feed is heard again and caught up: the cache may answer (it starts empty).
    public func trust() {
        self.state.withLock { state in
            state.epoch &+= 1
            state.clear()
            state.trusted = true
        }
    }
}
