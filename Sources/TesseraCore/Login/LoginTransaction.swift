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
        version: Int = 0
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
    }
}
