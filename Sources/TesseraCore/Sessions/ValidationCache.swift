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
///
/// Memory is bounded by ``capacity`` and kept small per entry: the key is the digest's 32 bytes, a token keeps
/// only what validation and its routes read (not the login's address and user agent, which the session list
/// reads from the store), and a user is held once for all of that user's tokens, as a ``SignedInUser``: no
/// password hash or other secret of theirs is cached.
public final class ValidationCache: Sendable {
    /// The most tokens held; past it, about an eighth of them (in no particular order) make room.
    public let capacity: Int

    /// A token's SHA-256 digest as its 32 bytes: no hex text kept per entry.
    struct Key: Hashable {
        let words: (UInt64, UInt64, UInt64, UInt64)

        /// `nil` unless `hex` is 64 hex digits — which every digest the stores keep is.
        init?(hex: String) {
            let bytes = hex.utf8
            guard bytes.count == 64 else { return nil }
            var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            var index = 0
            for byte in bytes {
                let nibble: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
                default: return nil
                }
                switch index / 16 {
                case 0: words.0 = words.0 << 4 | UInt64(nibble)
                case 1: words.1 = words.1 << 4 | UInt64(nibble)
                case 2: words.2 = words.2 << 4 | UInt64(nibble)
                default: words.3 = words.3 << 4 | UInt64(nibble)
                }
                index += 1
            }
            self.words = words
        }

        static func == (lhs: Key, rhs: Key) -> Bool { lhs.words == rhs.words }

        func hash(into hasher: inout Hasher) {
            hasher.combine(self.words.0)
            hasher.combine(self.words.1)
            hasher.combine(self.words.2)
            hasher.combine(self.words.3)
        }
    }

    /// A cached token: its record without the digest (the key) and without the login's address and user agent.
    struct Entry {
        let userID: Int64
        let appKeyID: Int64
        let companyID: Int64
        let issuedAt: Date
        let expiresAt: Date
        let sessionID: String
        var lastSeenAt: Date
        let authenticatedAt: Date
        let sessionStartedAt: Date
        let holder: Holder

        init(_ record: AccessTokenRecord, holder: Holder) {
            self.holder = holder
            self.userID = record.userID
            self.appKeyID = record.appKeyID
            self.companyID = record.companyID
            self.issuedAt = record.issuedAt
            self.expiresAt = record.expiresAt
            self.sessionID = record.sessionID
            self.lastSeenAt = record.lastSeenAt
            self.authenticatedAt = record.authenticatedAt
            self.sessionStartedAt = record.sessionStartedAt
        }

        func record(digest: String) -> AccessTokenRecord {
            AccessTokenRecord(
                digest: digest,
                userID: self.userID,
                appKeyID: self.appKeyID,
                companyID: self.companyID,
                issuedAt: self.issuedAt,
                expiresAt: self.expiresAt,
                sessionID: self.sessionID,
                lastSeenAt: self.lastSeenAt,
                authenticatedAt: self.authenticatedAt,
                sessionStartedAt: self.sessionStartedAt
            )
        }
    }

    /// A user held once for all their cached tokens, and which those are, so that a change of the user ends only
    /// them (a scan of the whole cache under its lock would stall every validation of the node). A reference, so
    /// that the tables hold a pointer to it, not the record; it never leaves the cache's lock.
    final class Holder {
        var user: SignedInUser
        /// A set, so that ending one of a user's many tokens (a client that logs in again and again) costs the
        /// same as ending the only one.
        var tokens: Set<Key>

        init(user: SignedInUser) {
            self.user = user
            self.tokens = []
        }
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var users: [Int64: Holder] = [:]
        var trusted = false
        var epoch: UInt64 = 0
        var hits = 0
        var misses = 0

        mutating func insert(_ key: Key, _ lookup: TokenLookup) {
            self.remove(key)
            let holder: Holder
            let user = SignedInUser(lookup.user)
            if let held = self.users[user.id] {
                // The freshest read of the user is the one kept (a change of the user ends them all anyway).
                holder = held
                holder.user = user
            } else {
                holder = Holder(user: user)
                self.users[user.id] = holder
            }
            holder.tokens.insert(key)
            self.entries[key] = Entry(lookup.record, holder: holder)
        }

        mutating func remove(_ key: Key) {
            guard let held = self.entries.removeValue(forKey: key) else { return }
            held.holder.tokens.remove(key)
            if held.holder.tokens.isEmpty { self.users[held.userID] = nil }
        }

        mutating func removeUser(_ id: Int64) {
            guard let holder = self.users.removeValue(forKey: id) else { return }
            for key in holder.tokens { self.entries[key] = nil }
        }

        /// Makes room for `count` entries, taking them in the dictionary's order — as good as random.
        mutating func evict(_ count: Int) {
            for key in Array(self.entries.keys.prefix(count)) { self.remove(key) }
        }

        mutating func clear() {
            // The tables keep their room: the cache fills up again, and growing them costs a copy each time.
            self.entries.removeAll(keepingCapacity: true)
            self.users.removeAll(keepingCapacity: true)
        }
    }
    private let state: Mutex<State>

    public init(capacity: Int = 10_000) {
        self.capacity = max(capacity, 1)
        // Room for the whole capacity from the start: a table that grows holds its old and its new storage at
        // once, and the node's peak memory would be that, not the full cache. Pages are touched as entries come.
        var state = State()
        state.entries.reserveCapacity(min(self.capacity, 1_000_000))
        self.state = Mutex(state)
    }

    /// Changes whenever what the cache may hold changes: a change applied, trust lost or regained.
    public var epoch: UInt64 { self.state.withLock { $0.epoch } }
    /// Whether the cache answers at all.
    public var isTrusted: Bool { self.state.withLock { $0.trusted } }
    public var count: Int { self.state.withLock { $0.entries.count } }
    /// The users whose records are held.
    public var userCount: Int { self.state.withLock { $0.users.count } }
    /// Lookups answered from the cache and from the database, since start.
    public var counts: (hits: Int, misses: Int) { self.state.withLock { ($0.hits, $0.misses) } }

    /// The cached identity of a token, while the cache is trusted. Its record carries no address or user agent.
    public func lookup(digest: String) -> AuthenticatedUser? {
        let key = Key(hex: digest)
        return self.state.withLock { state in
            guard state.trusted, let key, let entry = state.entries[key] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            return AuthenticatedUser(user: entry.holder.user, token: entry.record(digest: digest))
        }
    }

    /// Keeps a lookup read from the database — unless a change was applied since `epoch`, when the lookup began.
    /// Only a token that opened the API when read is kept (a live one of a live key and an enabled user).
    public func store(_ lookup: TokenLookup, readAt epoch: UInt64) {
        guard let key = Key(hex: lookup.record.digest), lookup.record.revokedAt == nil, lookup.appKeyRevokedAt == nil,
            !lookup.user.isDisabled
        else { return }
        self.state.withLock { state in
            guard state.trusted, state.epoch == epoch else { return }
            if state.entries[key] == nil, state.entries.count >= self.capacity {
                state.evict(max(self.capacity / 8, 1))
            }
            state.insert(key, lookup)
        }
    }

    /// Moves the last-seen time of an entry still held; never adds one, and never moves it back (a fresher read
    /// may have been stored since this one began).
    public func touched(digest: String, at date: Date) {
        guard let key = Key(hex: digest) else { return }
        self.state.withLock { state in
            guard let held = state.entries[key], held.lastSeenAt < date else { return }
            state.entries[key]?.lastSeenAt = date
        }
    }

    /// Ends the entries the changes touch. A change of an app key (rare: a revocation, a new introspection secret)
    /// ends everything, so that no index of tokens by app is kept per entry.
    public func apply(_ changes: [Revocation]) {
        guard !changes.isEmpty else { return }
        let keyed = changes.map { change -> (Revocation, Key?) in
            if case .token(let digest) = change { return (change, Key(hex: digest)) }
            return (change, nil)
        }
        self.state.withLock { state in
            state.epoch &+= 1
            for (change, key) in keyed {
                switch change {
                case .token: if let key { state.remove(key) }
                case .user(let id): state.removeUser(id)
                case .appKey, .everything: state.clear()
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
