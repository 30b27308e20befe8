import Foundation

/// The stored side of an access token: its digest and what it stands for. The token itself is never stored.
public struct AccessTokenRecord: Sendable, Equatable {
    public var digest: String
    public var userID: Int64
    public var appKeyID: Int64
    public var companyID: Int64
    public var issuedAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?
    /// The session's public id: derived from the token, so it names the session without revealing the token or
    /// its digest.
    public var sessionID: String
    /// Where the session came from and with what, for the user's session list.
    public var address: String?
    public var userAgent: String?
    /// When the token was last used, to the minute or so (updated coarsely, not on every request).
    public var lastSeenAt: Date
    /// When the session's user last proved who they are with credentials (the login, or a re-authentication):
    /// refreshes carry it on. Step-up compares it with the company's ``CompanyPolicy/recentAuthentication``.
    public var authenticatedAt: Date
    /// When the session's login was: refreshes and re-authentications keep it, and no token of the session
    /// outlives the company's session maximum age from here.
    public var sessionStartedAt: Date

    public init(
        digest: String,
        userID: Int64,
        appKeyID: Int64,
        companyID: Int64,
        issuedAt: Date,
        expiresAt: Date,
        revokedAt: Date? = nil,
        sessionID: String = "",
        address: String? = nil,
        userAgent: String? = nil,
        lastSeenAt: Date? = nil,
        authenticatedAt: Date? = nil,
        sessionStartedAt: Date? = nil
    ) {
        self.digest = digest
        self.userID = userID
        self.appKeyID = appKeyID
        self.companyID = companyID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.sessionID = sessionID
        self.address = address
        self.userAgent = userAgent
        self.lastSeenAt = lastSeenAt ?? issuedAt
        self.authenticatedAt = authenticatedAt ?? issuedAt
        self.sessionStartedAt = sessionStartedAt ?? issuedAt
    }

    /// The public session id of a token.
    public static func sessionID(of token: String) -> String {
        String(SecretDigest.sha256("session:" + token).prefix(24))
    }

    /// Whether the token opens the API at `now`.
    public func isLive(at now: Date) -> Bool {
        self.revokedAt == nil && now < self.expiresAt
    }
}

/// A freshly minted access token: the secret for the client and the record for the store.
public struct IssuedAccessToken: Sendable, Equatable {
    public var token: String
    public var record: AccessTokenRecord

    public init(token: String, record: AccessTokenRecord) {
        self.token = token
        self.record = record
    }

    /// A new access token of the session `sessionID`: it lives the company's token lifetime, and never past the
    /// session's maximum age when the company has refresh tokens.
    static func mint(
        _ token: String,
        sessionID: String,
        userID: Int64,
        app: ResolvedApp,
        sessionStartedAt: Date,
        authenticatedAt: Date,
        now: Date
    )
        -> IssuedAccessToken
    {
        let policy = app.company.policy
        let lifetime = min(max(policy.tokenLifetime, 1), CompanyPolicy.maximumTokenLifetime)
        var expiresAt = now.addingTimeInterval(TimeInterval(lifetime))
        if let refresh = policy.refresh {
            expiresAt = min(expiresAt, sessionStartedAt.addingTimeInterval(TimeInterval(refresh.sessionMaxAge)))
        }
        return IssuedAccessToken(
            token: token,
            record: AccessTokenRecord(
                digest: SecretDigest.sha256(token),
                userID: userID,
                appKeyID: app.appKey.id,
                companyID: app.company.id,
                issuedAt: now,
                expiresAt: expiresAt,
                sessionID: sessionID,
                authenticatedAt: authenticatedAt,
                sessionStartedAt: sessionStartedAt
            )
        )
    }
}
