/// The steps of ETNA's `/token` flow, in order. Raw values are the wire's spellings (`SecutityPin` included).
public enum LoginStep: String, Sendable, Equatable, CaseIterable {
    case baseAuthentication = "BaseAuthentication"
    case verificationCode = "VerificationCode"
    case securityPin = "SecutityPin"
}

/// The `Reason` strings of the contract.
public enum LoginReason: String, Sendable, Equatable {
    case expectingCode = "Expecting confirmation code"
    /// A Tessera extension: the code comes from the user's authenticator app, and nothing was sent.
    case expectingAuthenticatorCode = "Expecting authenticator code"
    case expectingPin = "Expecting pin code"
    case invalidCode = "Invalid verification code"
    case invalidPin = "Invalid pin"
    case invalidCredentials = "Invalid credentials"
    case corruptedTicket = "Corrupted ticket"
    case pinNotInitialised = "PIN code is not init"
    case noDeliveryChannel = "No channel to send the verification code"
    case tooManyAttempts = "Too many attempts"
    case passwordExpired = "Your Password has expired and must be changed"
    /// A Tessera extension: the refresh token is unknown, spent, expired, or its session ended.
    case invalidRefreshToken = "Invalid refresh token"
    /// A Tessera extension (ETNA's user expiration): the account went unused past the company's user expiry and
    /// waits for an operator to enable it again. Given only after the right password.
    case accountExpired = "User account has expired"
}

/// What the PIN step shows the user so they know the server is theirs: the image and phrase they chose.
extension LoginReason {
    /// The answer's token is a single-purpose ticket (to set a first PIN, or a new password), not an interim token
    /// of the login: ETNA's clients read it from `ConfirmationToken`.
    public var comesWithTicket: Bool { self == .pinNotInitialised || self == .passwordExpired }
}

public struct PinHint: Sendable, Equatable {
    public var imageName: String
    public var phrase: String?

    public init(imageName: String, phrase: String?) {
        self.imageName = imageName
        self.phrase = phrase
    }
}

/// What `/token` answers, before it is put on the wire.
public enum LoginOutcome: Sendable, Equatable {
    /// Every required step passed: an access token, a refresh token when the company has them, and a device token
    /// when the client asked for its device to be remembered.
    case succeeded(token: String, refreshToken: String? = nil, deviceToken: String? = nil)
    /// The flow waits for `step`; `token` is the interim token (or a single-purpose ticket) to send back. At the PIN
    /// step, `hint` carries the user's security image and phrase.
    case expecting(step: LoginStep, reason: LoginReason, token: String, hint: PinHint? = nil)
    /// The attempt failed at `step`.
    case failed(step: LoginStep, reason: LoginReason)
    /// The client address has failed too often: nothing was checked; try again after `retryAfter` seconds.
    case throttled(retryAfter: Int)
}
