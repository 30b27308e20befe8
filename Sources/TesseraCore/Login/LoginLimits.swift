/// The fixed numbers of the flow (DESIGN.md §2).
public struct LoginLimits: Sendable, Equatable {
    /// Digits in a verification code.
    public var codeDigits = 6
    /// How long a verification code is accepted, in seconds.
    public var codeLifetime: Double = 5 * 60
    /// Wrong codes (or PINs) a transaction survives is `attempts - 1`; the last wrong one ends it.
    public var attempts = 5
    /// The shortest time between two codes sent for one transaction, in seconds.
    public var resendInterval: Double = 60
    /// How long an interim token lives, in seconds.
    public var interimLifetime: Double = 10 * 60
    /// How long a single-purpose ticket lives, in seconds.
    public var ticketLifetime: Double = 10 * 60
    /// The longest header value worth reading; anything longer cannot be a valid credential.
    public var maximumCredentialLength = 4096

    public init() {}
}
