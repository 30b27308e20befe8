import Synchronization

/// A change in the database that may end validations this node has cached: a token revoked, a user changed
/// (disabled, a new password…), an app key revoked. The database records each one as it commits (see
/// ``RevocationFeed``).
public enum Revocation: Sendable, Equatable {
    case token(digest: String)
    case user(id: Int64)
    case appKey(id: Int64)
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
        var trusted = false
        var epoch: UInt64 = 0
        var hits = 0
        var misses = 0
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
            if state.entries.count >= self.capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[lookup.record.digest] = lookup
        }
    }

    /// Replaces an entry still held (its last-seen time moved on); never adds one.
    public func update(_ lookup: TokenLookup) {
        self.state.withLock { state in
            if state.entries[lookup.record.digest] != nil { state.entries[lookup.record.digest] = lookup }
        }
    }

    /// Ends the entries the changes touch.
    public func apply(_ changes: [Revocation]) {
        guard !changes.isEmpty else { return }
        self.state.withLock { state in
            state.epoch &+= 1
            var users: Set<Int64> = []
            var apps: Set<Int64> = []
            for change in changes {
                switch change {
                case .token(let digest): state.entries[digest] = nil
                case .user(let id): users.insert(id)
                case .appKey(let id): apps.insert(id)
                }
            }
            if !users.isEmpty || !apps.isEmpty {
                state.entries = state.entries.filter { !users.contains($0.value.user.id) && !apps.contains($0.value.record.appKeyID) }
            }
        }
    }

    /// The feed is cut: forget everything and answer nothing until ``trust()``.
    public func distrust() {
        self.state.withLock { state in
            state.epoch &+= 1
            state.trusted = false
            state.entries.removeAll()
        }
    }

    /// The feed is heard again and caught up: the cache may answer (it starts empty).
    public func trust() {
        self.state.withLock { state in
            state.epoch &+= 1
            state.entries.removeAll()
            state.trusted = true
        }
    }
}
