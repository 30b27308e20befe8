import Foundation

/// The identity behind a valid access token.
public struct AuthenticatedUser: Sendable, Equatable {
    public var user: SignedInUser
    public var token: AccessTokenRecord

    public init(user: SignedInUser, token: AccessTokenRecord) {
        self.user = user
        self.token = token
    }

    public init(user: User, token: AccessTokenRecord) {
        self.init(user: SignedInUser(user), token: token)
    }
}

/// The user behind a valid access token, as API requests see them: who they are and what the API shows of them,
/// never their secrets (password hash, PIN, secret answer, TOTP secrets). A service that needs those reads the
/// user from the directory; each node's token cache holds this much per user, no more.
public struct SignedInUser: Sendable, Equatable {
    public var id: Int64
    public var companyID: Int64
    public var username: String
    public var email: String?
    public var profile: UserProfile
    public var addedAt: Date

    public init(_ user: User) {
        self.id = user.id
        self.companyID = user.companyID
        self.username = user.username
        self.email = user.email
        self.profile = user.profile
        self.addedAt = user.addedAt
    }
}

/// Decides whether a presented bearer token opens the API for the app that presents it.
public struct AccessTokenValidator: Sendable {
    /// How stale a session's last-seen time may get before a use of the token writes it again, in seconds.
    public static let lastSeenResolution: TimeInterval = 300

    let accessTokens: any AccessTokenStore
    let directory: any DirectoryStore
    let clock: any WallClock
    /// This node's validated tokens, when it keeps any.
    let cache: ValidationCache?
    /// Where last-seen times wait to be written, when the node writes them in batches; otherwise each is written
    /// before the request goes on.
    let lastSeen: LastSeenBatch?

    public init(
        accessTokens: any AccessTokenStore,
        directory: any DirectoryStore,
        clock: any WallClock,
        cache: ValidationCache? = nil,
        lastSeen: LastSeenBatch? = nil
    ) {
        self.accessTokens = accessTokens
        self.directory = directory
        self.clock = clock
        self.cache = cache
        self.lastSeen = lastSeen
    }

    /// The user of a live access token issued to a user of the app's company; `nil` for anything else —
    /// interim tokens and tickets included, since they live in other stores. The token's record comes without the
    /// login's address and user agent (the session list reads those), whether it was cached or read.
    public func authenticate(token: String, app: ResolvedApp) async throws -> AuthenticatedUser? {
        guard !token.isEmpty, token.utf8.count <= LoginLimits().maximumCredentialLength else { return nil }
        let now = self.clock.now
        let digest = SecretDigest.sha256(token)
        var found: AuthenticatedUser
        if let cached = self.cache?.lookup(digest: digest) {
            // Held only while its key and user stayed as they were when it opened the API; expiry is checked below.
            found = cached
        } else {
            let epoch = self.cache?.epoch
            guard var read = try await self.accessTokens.lookup(digest: digest), read.opensAPI(at: now) else { return nil }
            (read.record.address, read.record.userAgent) = (nil, nil)
            found = AuthenticatedUser(user: read.user, token: read.record)
            if let epoch { self.cache?.store(read, readAt: epoch) }
        }
        guard found.token.isLive(at: now), found.token.companyID == app.company.id else { return nil }
        if now.timeIntervalSince(found.token.lastSeenAt) >= Self.lastSeenResolution {
            // Coarse on purpose: one write per session every few minutes, not one per request.
            if let lastSeen = self.lastSeen {
                lastSeen.record(digest: found.token.digest, at: now)
            } else {
                try await self.accessTokens.touch(digest: found.token.digest, at: now)
            }
            found.token.lastSeenAt = now
            self.cache?.touched(digest: found.token.digest, at: now)
        }
        return found
    }
}
