import Foundation

/// A client application's `Et-App-Key`. Only the digest of the key is kept; the key itself is shown once.
public struct AppKey: Sendable, Equatable {
    public var id: Int64
    public var companyID: Int64
    public var name: String
    public var digest: String
    public var createdAt: Date
    public var revokedAt: Date?
    /// For a resource server: the SHA-256 of the secret that, with the key, authenticates its introspection
    /// calls. `nil` for a client app, which may not introspect.
    public var introspectionSecretDigest: String?

    public init(
        id: Int64,
        companyID: Int64,
        name: String,
        digest: String,
        createdAt: Date,
        revokedAt: Date? = nil,
        introspectionSecretDigest: String? = nil
    ) {
        self.id = id
        self.companyID = companyID
        self.name = name
        self.digest = digest
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.introspectionSecretDigest = introspectionSecretDigest
    }

    public var isRevoked: Bool { self.revokedAt != nil }
}

/// An app key that was found, with the company it belongs to.
public struct ResolvedApp: Sendable, Equatable {
    public var appKey: AppKey
    public var company: Company

    public init(appKey: AppKey, company: Company) {
        self.appKey = appKey
        self.company = company
    }
}
