/// A slow, salted password hash behind a port, so the core never picks the algorithm.
///
/// Implementations run the work off the caller's thread, bound how many hashes run at once, and share the slots
/// fairly between the lanes (client addresses) asking for them.
public protocol PasswordHasher: Sendable {
    /// A self-describing hash string (algorithm and parameters included) of `password`.
    func hash(_ password: String) async throws -> String
    /// Whether `password` matches `hash`, as work of `lane`. A hash in an unknown format never matches.
    func verify(_ password: String, against hash: String, lane: HashLane) async throws -> Bool
    /// Spends the time of a real verification without a user, so an unknown username costs what a wrong
    /// password costs.
    func verifyDummy(_ password: String, lane: HashLane) async throws
}

extension PasswordHasher {
    /// A verification no client asked for directly (an operator's, a test's).
    public func verify(_ password: String, against hash: String) async throws -> Bool {
        try await self.verify(password, against: hash, lane: .unattributed)
    }

    public func verifyDummy(_ password: String) async throws {
        try await self.verifyDummy(password, lane: .unattributed)
    }
}

/// Whose share of the hashing slots a verification is: one client address may not take them all.
public struct HashLane: Sendable, Hashable {
    /// The client address the request counts against; `nil` for work no client asked for directly.
    public var address: String?
    /// Work served before the other waiting work: a login from an address with no failures in its window.
    public var priority: Bool
    /// Work of a login that came with the user's remembered device (OWASP's device cookie): it has the pool's
    /// reserved turns, before any other waiting work, and is never refused for its address's queue being full.
    public var trusted: Bool

    public init(address: String?, priority: Bool = false, trusted: Bool = false) {
        self.address = address
        self.priority = priority
        self.trusted = trusted
    }

    public static let unattributed = HashLane(address: nil)
}

/// Why a hash was not computed.
public enum PasswordHashingError: Error, Equatable {
    /// Every hashing slot stayed busy past the wait bound: shed the load rather than queue without limit.
    case overloaded
    /// The client address already has as many hashes waiting as one address may: shed at once, so one address
    /// cannot fill memory with waiting work.
    case laneFull
}
