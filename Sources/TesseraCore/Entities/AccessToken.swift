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

    public init(
        digest: String,
        userID: Int64,
        appKeyID: Int64,
        companyID: Int64,
        issuedAt: Date,
        expiresAt: Date,
        revokedAt: Date? = nil
    ) {
        self.digest = digest
        self.userID = userID
        self.appKeyID = appKeyID
        self.companyID = companyID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
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
}
