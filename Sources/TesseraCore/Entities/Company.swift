/// A tenant: a broker's company. Its app keys and users belong to it, and its policy shapes every login.
public struct Company: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var policy: CompanyPolicy

    public init(id: Int64, name: String, policy: CompanyPolicy) {
        self.id = id
        self.name = name
        self.policy = policy
    }
}

/// The security rules a company sets for its users' logins.
public struct CompanyPolicy: Sendable, Equatable {
    /// The longest life of an access token, and the default.
    public static let maximumTokenLifetime: Int = 24 * 60 * 60

    /// Every user of the company must pass the `VerificationCode` step, whatever their own setting.
    public var requireTwoFactor: Bool
    /// Every user of the company must pass the `SecutityPin` step.
    public var requirePin: Bool
    /// How long an access token lives, in seconds (at most ``maximumTokenLifetime``).
    public var tokenLifetime: Int

    public init(requireTwoFactor: Bool = false, requirePin: Bool = false, tokenLifetime: Int = Self.maximumTokenLifetime) {
        self.requireTwoFactor = requireTwoFactor
        self.requirePin = requirePin
        self.tokenLifetime = tokenLifetime
    }
}
