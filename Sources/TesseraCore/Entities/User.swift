import Foundation

/// How a user receives the second factor.
public enum TwoFactorMethod: String, Sendable, CaseIterable {
    case none
    case email
    case sms
}

/// A trader: one account of one company.
public struct User: Sendable, Equatable {
    public var id: Int64
    public var companyID: Int64
    /// The username as the operator typed it (NFC).
    public var username: String
    /// The slow, self-describing password hash (see ``PasswordHasher``).
    public var passwordHash: String
    public var email: String?
    public var phone: String?
    public var twoFactor: TwoFactorMethod
    /// Keyed digest of the security PIN, or `nil` when the user has not set one.
    public var pinDigest: String?
    public var profile: UserProfile
    public var addedAt: Date
    public var disabledAt: Date?

    public init(
        id: Int64,
        companyID: Int64,
        username: String,
        passwordHash: String,
        email: String? = nil,
        phone: String? = nil,
        twoFactor: TwoFactorMethod = .none,
        pinDigest: String? = nil,
        profile: UserProfile = UserProfile(),
        addedAt: Date,
        disabledAt: Date? = nil
    ) {
        self.id = id
        self.companyID = companyID
        self.username = username
        self.passwordHash = passwordHash
        self.email = email
        self.phone = phone
        self.twoFactor = twoFactor
        self.pinDigest = pinDigest
        self.profile = profile
        self.addedAt = addedAt
        self.disabledAt = disabledAt
    }

    public var isDisabled: Bool { self.disabledAt != nil }

    /// The key a username is looked up by: NFC, case-folded.
    public var usernameKey: String { Username.key(self.username) }
}

/// The descriptive fields of ETNA's user info.
public struct UserProfile: Sendable, Equatable {
    public var firstName: String?
    public var middleName: String?
    public var lastName: String?
    public var salutation: String?
    public var suffix: String?

    public init(
        firstName: String? = nil,
        middleName: String? = nil,
        lastName: String? = nil,
        salutation: String? = nil,
        suffix: String? = nil
    ) {
        self.firstName = firstName
        self.middleName = middleName
        self.lastName = lastName
        self.salutation = salutation
        self.suffix = suffix
    }
}
