import Foundation

/// The stored side of a refresh token. Every refresh token of a login shares the login's session id (its
/// family): the access tokens refreshed from it carry the same id, and ending the session ends them all.
public struct RefreshTokenRecord: Sendable, Equatable {
    public var digest: String
    public var sessionID: String
    public var userID: Int64
    public var appKeyID: Int64
    public var companyID: Int64
    /// When the user logged in with their credentials: a refresh never carries the session past
    /// ``RefreshPolicy/sessionMaxAge`` from here.
    public var sessionStartedAt: Date
    public var issuedAt: Date
    public var expiresAt: Date
    /// When it was exchanged for a new pair: presented again after this, it gives the family away.
    public var spentAt: Date?
    public var revokedAt: Date?
    /// When the user last proved who they are with credentials: handed on to the access tokens refreshed from it.
    public var authenticatedAt: Date

    public init(
        digest: String,
        sessionID: String,
        userID: Int64,
        appKeyID: Int64,
        companyID: Int64,
        sessionStartedAt: Date,
        issuedAt: Date,
        expiresAt: Date,
        spentAt: Date? = nil,
        revokedAt: Date? = nil,
        authenticatedAt: Date? = nil
    ) {
        self.digest = digest
        self.sessionID = sessionID
        self.userID = userID
        self.appKeyID = appKeyID
        self.companyID = companyID
        self.sessionStartedAt = sessionStartedAt
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.spentAt = spentAt
        self.revokedAt = revokedAt
        self.authenticatedAt = authenticatedAt ?? sessionStartedAt
    }

    /// Whether it can still be exchanged at `now` (its session aside).
    public func isUsable(at now: Date) -> Bool {
        self.spentAt == nil && self.revokedAt == nil && now < self.expiresAt
    }
}

/// A freshly minted refresh token: the secret for the client and the record for the store.
public struct IssuedRefreshToken: Sendable, Equatable {
    public var token: String
    public var record: RefreshTokenRecord

    public init(token: String, record: RefreshTokenRecord) {
        self.token = token
        self.record = record
    }

    /// A new refresh token of the session `sessionID`, started at `sessionStartedAt`, under `policy`.
    static func mint(
        _ token: String,
        sessionID: String,
        userID: Int64,
        app: ResolvedApp,
        sessionStartedAt: Date,
        authenticatedAt: Date,
        now: Date,
        policy: RefreshPolicy
    ) -> IssuedRefreshToken {
        let end = sessionStartedAt.addingTimeInterval(TimeInterval(policy.sessionMaxAge))
        return IssuedRefreshToken(
            token: token,
            record: RefreshTokenRecord(
                digest: SecretDigest.sha256(token),
                sessionID: sessionID,
                userID: userID,
                appKeyID: app.appKey.id,
                companyID: app.company.id,
                sessionStartedAt: sessionStartedAt,
                issuedAt: now,
                expiresAt: min(now.addingTimeInterval(TimeInterval(policy.lifetime)), end),
                authenticatedAt: authenticatedAt
            )
        )
    }
}
