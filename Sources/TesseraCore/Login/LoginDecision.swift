/// What the login flow decided at its end: the answer, and the effects to make durable before answering.
public struct LoginDecision: Sendable, Equatable {
    /// How the login transaction changes.
    public enum TransactionChange: Sendable, Equatable {
        case none
        case insert(LoginTransaction)
        /// Replace the stored transaction if it is still at `expectedVersion`.
        case update(LoginTransaction, expectedVersion: Int)
        /// End the transaction if it is still at `expectedVersion` (success, or attempts used up).
        case delete(id: String, expectedVersion: Int)
    }

    public var outcome: LoginOutcome
    public var transaction: TransactionChange
    /// A verification code to send, after the transaction is stored.
    public var message: OutgoingMessage?
    /// The access token to store before answering `200`.
    public var accessToken: IssuedAccessToken?
    /// Its refresh token, stored right after it, when the company has refresh tokens.
    public var refreshToken: IssuedRefreshToken?
    /// A single-purpose ticket to store before answering.
    public var ticket: Ticket?
    /// A wrong code, PIN or resent password: counts against the account like a wrong password.
    public var countsAsFailure: Bool
    /// The authenticator step whose code passed: spent before anything else is stored, so a code works once.
    public var spentAuthenticatorStep: SpentAuthenticatorStep?
    /// Set when the access token re-authenticates a live session: stored only while that session still is.
    public var reauthentication: Reauthentication?
    /// A device to remember, stored before answering with its token.
    public var trustedDevice: IssuedDeviceToken?
    /// The remembered device that skipped the verification code, to note as used.
    public var usedTrustedDevice: String?

    /// Whether anything must be stored or sent before the answer.
    public var hasEffects: Bool {
        self.transaction != .none || self.message != nil || self.accessToken != nil || self.ticket != nil
            || self.spentAuthenticatorStep != nil || self.trustedDevice != nil || self.usedTrustedDevice != nil
    }

    public init(
        outcome: LoginOutcome,
        transaction: TransactionChange = .none,
        message: OutgoingMessage? = nil,
        accessToken: IssuedAccessToken? = nil,
        ticket: Ticket? = nil,
        countsAsFailure: Bool = false,
        spentAuthenticatorStep: SpentAuthenticatorStep? = nil
    ) {
        self.outcome = outcome
        self.transaction = transaction
        self.message = message
        self.accessToken = accessToken
        self.ticket = ticket
        self.countsAsFailure = countsAsFailure
        self.spentAuthenticatorStep = spentAuthenticatorStep
    }
}

/// A TOTP step a user's code was accepted for.
public struct SpentAuthenticatorStep: Sendable, Equatable {
    public var userID: Int64
    public var step: Int64

    public init(userID: Int64, step: Int64) {
        self.userID = userID
        self.step = step
    }
}
