/// A slow, salted password hash behind a port, so the core never picks the algorithm.
///
/// Implementations run the work off the caller's thread and bound how many hashes run at once.
public protocol PasswordHasher: Sendable {
    /// A self-describing hash string (algorithm and parameters included) of `password`.
    func hash(_ password: String) async throws -> String
    /// Whether `password` matches `hash`. A hash in an unknown format never matches.
    func verify(_ password: String, against hash: String) async throws -> Bool
    /// Spends the time of a real verification without a user, so an unknown username costs what a wrong
    /// password costs.
    func verifyDummy(_ password: String) async throws
}

/// Why a hash was not computed.
public enum PasswordHashingError: Error, Equatable {
    /// Every hashing slot stayed busy past the wait bound: shed the load rather than queue without limit.
    case overloaded
}
