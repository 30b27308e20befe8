import Foundation

/// A login between its first `202` and its end: which user passed the password, and where the flow stands.
public struct LoginTransaction: Sendable, Equatable {
    public var id: String
    /// SHA-256 of the interim token.
    public var interimTokenDigest: String
    public var appKeyID: Int64
    public var userID: Int64
    /// Keyed digest of the password that passed `BaseAuthentication`, so a resent password is checked without a
    /// second slow hash.
    public var passwordProof: String
    public var step: LoginStep
    /// Keyed digest of the current verification code.
    public var codeDigest: String?
    public var codeExpiresAt: Date?
    public var codeSentAt: Date?
    public var codeFailures: Int
    public var pinFailures: Int
    public var createdAt: Date
    public var expiresAt: Date
    /// Bumped on every change; stores update only the version they read (optimistic concurrency).
    public var version: Int
    /// A verification code was passed in this transaction (not skipped by a remembered device): only such a
    /// login may remember its device.
    public var codeVerified: Bool
    /// Set when the transaction re-authenticates a live session (step-up) instead of opening a new one.
    public var reauthentication: Reauthentication?

    public init(
        id: String,
        interimTokenDigest: String,
        appKeyID: Int64,
        userID: Int64,
        passwordProof: String,
        step: LoginStep,
        codeDigest: String? = nil,
        codeExpiresAt: Date? = nil,
        codeSentAt: Date? = nil,
        codeFailures: Int = 0,
        pinFailures: Int = 0,
        createdAt: Date,
        expiresAt: Date,
        version: Int = 0,
        codeVerified: Bool = false,
        reauthentication: Reauthentication? = nil
    ) {
        self.id = id
        self.interimTokenDigest = interimTokenDigest
        self.appKeyID = appKeyID
        self.userID = userID
        self.passwordProof = passwordProof
        self.step = step
        self.codeDigest = codeDigest
        self.codeExpiresAt = codeExpiresAt
        self.codeSentAt = codeSentAt
        self.codeFailures = codeFailures
        self.pinFailures = pinFailures
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.version = version
        self.codeVerified = codeVerified
        self.reauthentication = reauthentication
    }
}

/// The session a re-authentication (`POST /token` with the session's bearer and the password) is for: its fresh
/// token joins the same session, with the session's start kept and its authentication time renewed.
public struct Reauthentication: Sendable, Equatable {
    public var sessionID: String
    public var sessionStartedAt: Date
    /// The digest of the access token presented: the session must still be live (that token unrevoked) when the
    /// fresh token is stored.
    public var tokenDigest: String

    public init(sessionID: String, sessionStartedAt: Date, tokenDigest: String) {
        self.sessionID = sessionID
        self.sessionStartedAt = sessionStartedAt
        self.tokenDigest = tokenDigest
    }
}
