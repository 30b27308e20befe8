import Foundation

/// The identity behind a valid access token.
public struct AuthenticatedUser: Sendable, Equatable {
    public var user: User
    public var token: AccessTokenRecord

    public init(user: User, token: AccessTokenRecord) {
        self.user = user
        self.token = token
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

    public init(accessTokens: any AccessTokenStore, directory: any DirectoryStore, clock: any WallClock, cache: ValidationCache? = nil) {
        self.accessTokens = accessTokens
        self.directory = directory
        self.clock = clock
        self.cache = cache
    }

    /// The user of a live access token issued to a user of the app's company; `nil` for anything else —
    /// interim tokens and tickets included, since they live in other stores.
    public func authenticate(token: String, app: ResolvedApp) async throws -> AuthenticatedUser? {
        guard !token.isEmpty, token.utf8.count <= LoginLimits().maximumCredentialLength else { return nil }
        let now = self.clock.now
        let digest = SecretDigest.sha256(token)
        var found: TokenLookup
        if let cached = self.cache?.lookup(digest: digest) {
            found = cached
        } else {
            let epoch = self.cache?.epoch
            guard let read = try await self.accessTokens.lookup(digest: digest) else { return nil }
            found = read
            if let epoch, read.opensAPI(at: now) { self.cache?.store(read, readAt: epoch) }
        }
        guard found.opensAPI(at: now), found.record.companyID == app.company.id else { return nil }
        if now.timeIntervalSince(found.record.lastSeenAt) >= Self.lastSeenResolution {
            // Coarse on purpose: one write per session every few minutes, not one per request.
            try await self.accessTokens.touch(digest: found.record.digest, at: now)
            found.record.lastSeenAt = now
            self.cache?.touched(digest: found.record.digest, at: now)
        }
        return AuthenticatedUser(user: found.user, token: found.record)
    }
}
