import Foundation

/// How a user receives the second factor.
public enum TwoFactorMethod: String, Sendable, CaseIterable {
    case none
    case email
    case sms
    /// An authenticator app (RFC 6238): nothing is sent; the user reads the code off their device.
    case totp
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
    /// When the password was last set; with the company's maximum age, when it expires.
    public var passwordChangedAt: Date
    /// Set by an operator (`tessera user expire-password`): the next login must change the password.
    public var passwordExpired: Bool
    /// The secret question for password reset, and the keyed digest of its normalised answer.
    public var secretQuestion: String?
    public var secretAnswerDigest: String?
    /// The security image and phrase the user chose with their PIN, shown at the PIN step.
    public var pinImage: String?
    public var pinPhrase: String?
    /// The authenticator secret, sealed with the server key (see ``KeyedDigester/sealAuthenticatorSecret(_:userID:)``).
    public var totpSecret: String?
    /// A sealed authenticator secret the user asked for and has not yet confirmed with a first code.
    public var totpPendingSecret: String?
    /// The last TOTP step whose code was accepted: a code of this step or an earlier one is a replay.
    public var totpLastStep: Int64?
    /// The last sign-in with credentials or refresh (or when an operator last enabled the account); `nil` for none.
    public var lastSignInAt: Date?

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
        disabledAt: Date? = nil,
        passwordChangedAt: Date? = nil,
        passwordExpired: Bool = false,
        secretQuestion: String? = nil,
        secretAnswerDigest: String? = nil,
        pinImage: String? = nil,
        pinPhrase: String? = nil,
        totpSecret: String? = nil,
        totpPendingSecret: String? = nil,
        totpLastStep: Int64? = nil,
        lastSignInAt: Date? = nil
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
        self.passwordChangedAt = passwordChangedAt ?? addedAt
        self.passwordExpired = passwordExpired
        self.secretQuestion = secretQuestion
        self.secretAnswerDigest = secretAnswerDigest
        self.pinImage = pinImage
        self.pinPhrase = pinPhrase
        self.totpSecret = totpSecret
        self.totpPendingSecret = totpPendingSecret
        self.totpLastStep = totpLastStep
        self.lastSignInAt = lastSignInAt
    }

    public var isDisabled: Bool { self.disabledAt != nil }

    /// When the account was last used: its last sign-in, or its creation when it has none.
    public var lastUsedAt: Date { self.lastSignInAt ?? self.addedAt }

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
