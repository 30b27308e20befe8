import Foundation

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
    /// How failed logins are throttled.
    public var lockout: LockoutPolicy
    /// What a new password must be, and how long one lasts.
    public var passwords: PasswordPolicy
    /// How a throttled `/token` is answered.
    public var throttleAnswer: ThrottleAnswer
    /// The web origins (`https://trade.example.com`) whose pages may call the API with this company's app keys
    /// from a browser (CORS), normalised by ``CompanyPolicy/normalizedOrigin(_:)``. Empty: none.
    public var browserOrigins: [String]
    /// Refresh tokens beside each access token, and how long they and a session last; `nil` (the default): none,
    /// the ETNA contract as it is.
    public var refresh: RefreshPolicy?
    /// Minutes after the session's last sign-in with credentials within which sensitive changes (enrolling an
    /// authenticator) are allowed; past them the client must re-authenticate. `nil` (the default): no step-up.
    public var recentAuthentication: Int?
    /// Days an account may go without a sign-in before it can no longer sign in, until an operator enables it
    /// again; `nil` (the default): accounts never expire.
    public var userExpiryDays: Int?
    /// New-device notices and remembered devices.
    public var devices: DevicePolicy

    public init(
        requireTwoFactor: Bool = false,
        requirePin: Bool = false,
        tokenLifetime: Int = Self.maximumTokenLifetime,
        lockout: LockoutPolicy = LockoutPolicy(),
        passwords: PasswordPolicy = PasswordPolicy(),
        throttleAnswer: ThrottleAnswer = .tooManyRequests,
        browserOrigins: [String] = [],
        refresh: RefreshPolicy? = nil,
        recentAuthentication: Int? = nil,
        userExpiryDays: Int? = nil,
        devices: DevicePolicy = DevicePolicy()
    ) {
        self.requireTwoFactor = requireTwoFactor
        self.requirePin = requirePin
        self.tokenLifetime = tokenLifetime
        self.lockout = lockout
        self.passwords = passwords
        self.throttleAnswer = throttleAnswer
        self.browserOrigins = browserOrigins
        self.refresh = refresh
        self.recentAuthentication = recentAuthentication
        self.userExpiryDays = userExpiryDays
        self.devices = devices
    }

    /// The minutes of step-up a company gets when it turns step-up on without saying how many.
    public static let defaultRecentAuthentication = 10

    /// Whether `user` has gone unused past the company's user expiry at `now`: no sign-in (or, never signed in, no
    /// enabling by an operator or creation) within ``userExpiryDays``.
    public func hasExpired(_ user: User, at now: Date) -> Bool {
        guard let days = self.userExpiryDays else { return false }
        return now.timeIntervalSince(user.lastUsedAt) > Double(days) * 86_400
    }

    /// Whether a session last signed in with credentials at `authenticatedAt` may make a sensitive change at `now`.
    public func allowsSensitiveChange(authenticatedAt: Date, at now: Date) -> Bool {
        guard let minutes = self.recentAuthentication else { return true }
        return now.timeIntervalSince(authenticatedAt) <= Double(minutes) * 60
    }
}

/// What a company does about the devices its users sign in from.
public struct DevicePolicy: Sendable, Equatable {
    /// A device (user-agent family and network) not seen for a user this long is new again.
    public static let unseenInterval: TimeInterval = 90 * 86_400
    /// The longest a device may be remembered, in days.
    public static let maximumTrustedDays = 365

    /// Tell the user (and audit `login.new_device`) when they sign in from a device not seen for 90 days.
    public var newDeviceNotices: Bool
    /// Days a `DeviceToken` lets its device skip the verification code; `nil` (the default): no remembered devices.
    public var trustedDeviceDays: Int?

    public init(newDeviceNotices: Bool = false, trustedDeviceDays: Int? = nil) {
        self.newDeviceNotices = newDeviceNotices
        self.trustedDeviceDays = trustedDeviceDays
    }
}

/// How long a refresh token and a refreshed session live.
public struct RefreshPolicy: Sendable, Equatable {
    public static let defaultLifetime = 30 * 86_400
    public static let defaultSessionMaxAge = 90 * 86_400
    /// The longest a refresh token or a session may be set to live: a year.
    public static let maximumAge = 365 * 86_400

    /// Seconds a refresh token can be used after it was issued.
    public var lifetime: Int
    /// Seconds from the login (not its last refresh) after which no refresh extends the session.
    public var sessionMaxAge: Int

    public init(lifetime: Int = Self.defaultLifetime, sessionMaxAge: Int = Self.defaultSessionMaxAge) {
        self.lifetime = lifetime
        self.sessionMaxAge = sessionMaxAge
    }
}

/// How `/token` answers an address over its layer-3 budget. Either way nothing is checked and `Retry-After` says
/// when to come back.
public enum ThrottleAnswer: String, Sendable, Equatable, CaseIterable {
    /// `429 Too Many Requests`, `Reason` "Too many attempts": HTTP's own answer, the default.
    case tooManyRequests = "429"
    /// ETNA's login guard: `401`, `Reason` "Too many login requests", which existing clients and load plans
    /// look for.
    case etna
}

/// The three layers against guessing (DESIGN.md §6). Wrong passwords, codes and PINs all count as failures.
public struct LockoutPolicy: Sendable, Equatable {
    /// Failures of one account from one client address that throttle that pair…
    public var pairFailureLimit: Int
    /// …within this many seconds (and for as long).
    public var pairWindow: TimeInterval
    /// Failures of one account from anywhere that lock it (NIST SP 800-63B caps this at 100)…
    public var accountFailureLimit: Int
    /// …within this many seconds.
    public var accountWindow: TimeInterval
    /// How long an account lock lasts, in seconds.
    public var accountLockDuration: TimeInterval
    /// Failures from one client address, across accounts, before `/token` answers `429`…
    public var addressFailureLimit: Int
    /// …within this many seconds.
    public var addressWindow: TimeInterval

    public init(
        pairFailureLimit: Int = 10,
        pairWindow: TimeInterval = 15 * 60,
        accountFailureLimit: Int = 100,
        accountWindow: TimeInterval = 3600,
        accountLockDuration: TimeInterval = 3600,
        addressFailureLimit: Int = 100,
        addressWindow: TimeInterval = 3600
    ) {
        self.pairFailureLimit = pairFailureLimit
        self.pairWindow = pairWindow
        self.accountFailureLimit = accountFailureLimit
        self.accountWindow = accountWindow
        self.accountLockDuration = accountLockDuration
        self.addressFailureLimit = addressFailureLimit
        self.addressWindow = addressWindow
    }
}

/// The company's rules for passwords.
public struct PasswordPolicy: Sendable, Equatable {
    /// The longest password accepted, in characters. Never truncated.
    public static let maximumLength = 128

    /// The shortest password accepted, in characters.
    public var minimumLength: Int
    /// Days a password lasts before `/token` asks for a new one; `nil` for no limit.
    public var maximumAgeDays: Int?
    /// On a password or PIN change, end every other live session of the user.
    public var revokeSessionsOnChange: Bool
    /// How many of lower-case letters, upper-case letters, digits and symbols a new password must mix; 0 (the
    /// default, as NIST SP 800-63B advises) for no such rule.
    public var requiredClasses: Int
    /// How many earlier passwords (besides the current one) a new password must differ from; 0 for none.
    public var history: Int

    /// The most earlier passwords a company may forbid reusing.
    public static let maximumHistory = 24

    public init(
        minimumLength: Int = 12,
        maximumAgeDays: Int? = nil,
        revokeSessionsOnChange: Bool = true,
        requiredClasses: Int = 0,
        history: Int = 0
    ) {
        self.minimumLength = minimumLength
        self.maximumAgeDays = maximumAgeDays
        self.revokeSessionsOnChange = revokeSessionsOnChange
        self.requiredClasses = requiredClasses
        self.history = history
    }

    /// Whether a password set at `changedAt` has outlived its age at `now`.
    public func isExpired(changedAt: Date, now: Date) -> Bool {
        guard let days = self.maximumAgeDays else { return false }
        return now.timeIntervalSince(changedAt) > Double(days) * 86_400
    }
}
