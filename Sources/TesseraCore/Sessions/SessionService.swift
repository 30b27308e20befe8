import Foundation

/// Ending access tokens: logout, the user's own session list, and operators.
public struct SessionService: Sendable {
    let accessTokens: any AccessTokenStore
    let audit: any AuditLog
    let clock: any WallClock
    /// This node's last-seen times not yet written, written before the user's sessions are listed.
    let lastSeen: LastSeenBatch?

    public init(accessTokens: any AccessTokenStore, audit: any AuditLog, clock: any WallClock, lastSeen: LastSeenBatch? = nil) {
        self.accessTokens = accessTokens
        self.audit = audit
        self.clock = clock
        self.lastSeen = lastSeen
    }

    /// `DELETE /token`: ends the presented token if it is a live token of the app's company. Anything else —
    /// unknown, already revoked, another company's — is quietly nothing (RFC 7009): the caller learns nothing.
    public func logout(token: String, app: ResolvedApp, client: RequestOrigin) async throws {
        guard !token.isEmpty, token.utf8.count <= LoginLimits().maximumCredentialLength else { return }
        let digest = SecretDigest.sha256(token)
        guard let record = try await self.accessTokens.accessToken(digest: digest), record.companyID == app.company.id
        else { return }
        if try await self.accessTokens.revoke(digest: digest, at: self.clock.now) {
            await self.record(record.userID, app: app, client: client, outcome: "logout")
        }
    }

    /// The user's live sessions, newest first.
    public func sessions(of identity: AuthenticatedUser) async throws -> [Session] {
        // What this node saw is in the list; another node's lags by at most its write interval.
        try await self.lastSeen?.flush()
        return try await self.accessTokens.sessions(userID: identity.user.id, now: self.clock.now)
    }

    /// Ends one of the user's sessions; `false` when they have no such live session.
    public func end(session id: String, of identity: AuthenticatedUser, app: ResolvedApp, client: RequestOrigin) async throws -> Bool {
        let ended = try await self.accessTokens.revoke(sessionID: id, userID: identity.user.id, at: self.clock.now)
        if ended { await self.record(identity.user.id, app: app, client: client, outcome: "session \(id) ended") }
        return ended
    }

    /// Ends every session of the user but the one asking; returns how many.
    public func endOthers(of identity: AuthenticatedUser, app: ResolvedApp, client: RequestOrigin) async throws -> Int {
        let count = try await self.accessTokens.revokeAll(userID: identity.user.id, keeping: identity.token.digest, at: self.clock.now)
        await self.record(identity.user.id, app: app, client: client, outcome: "\(count) other sessions ended")
        return count
    }

    private func record(_ userID: Int64, app: ResolvedApp, client: RequestOrigin, outcome: String) async {
        await self.audit.record(.tokensRevoked, at: self.clock.now, app: app, userID: userID, client: client, outcome: outcome)
    }
}

/// What introspection tells a resource server about a token (RFC 7662).
public struct Introspection: Sendable, Equatable {
    public var subject: String
    public var username: String
    public var company: String
    public var clientID: String
    public var expiresAt: Date
    public var issuedAt: Date
    public var sessionID: String
    /// When the session's user last signed in with credentials (OpenID's `auth_time`), for a resource server's own
    /// step-up.
    public var authenticatedAt: Date
}

/// `POST /token/introspect`: for resource servers that authenticate with a key marked for introspection and
/// its secret. Every token that does not open the API — unknown, expired, revoked, interim, another company's —
/// is simply inactive.
public struct IntrospectionService: Sendable {
    let directory: any DirectoryStore
    let accessTokens: any AccessTokenStore
    let refreshTokens: any RefreshTokenStore
    let clock: any WallClock

    public init(
        directory: any DirectoryStore,
        accessTokens: any AccessTokenStore,
        refreshTokens: any RefreshTokenStore,
        clock: any WallClock
    ) {
        self.directory = directory
        self.accessTokens = accessTokens
        self.refreshTokens = refreshTokens
        self.clock = clock
    }

    /// Whether `token` is a refresh token of `app`'s company that could still be exchanged: introspection then
    /// says what it is, and that it is not active — it never opens the API.
    public func isUsableRefreshToken(_ token: String, for app: ResolvedApp) async throws -> Bool {
        guard !token.isEmpty, token.utf8.count <= LoginLimits().maximumCredentialLength,
            let record = try await self.refreshTokens.refreshToken(digest: SecretDigest.sha256(token)),
            record.companyID == app.company.id, record.isUsable(at: self.clock.now)
        else { return false }
        return !(try await self.refreshTokens.isSessionEnded(sessionID: record.sessionID))
    }

    /// The resource server behind a key and secret, or `nil`: unknown, revoked, not a resource server, wrong
    /// secret.
    public func authenticateResourceServer(key: String, secret: String) async throws -> ResolvedApp? {
        let limit = LoginLimits().maximumCredentialLength
        guard !key.isEmpty, key.utf8.count <= limit, !secret.isEmpty, secret.utf8.count <= limit,
            let app = try await self.directory.app(digest: SecretDigest.sha256(key)), !app.appKey.isRevoked,
            let expected = app.appKey.introspectionSecretDigest,
            SecretDigest.constantTimeEquals(SecretDigest.sha256(secret), expected)
        else { return nil }
        return app
    }

    /// What `token` is, for a resource server of `app`'s company; `nil` when it is not active.
    public func introspect(_ token: String, for app: ResolvedApp) async throws -> Introspection? {
        guard !token.isEmpty, token.utf8.count <= LoginLimits().maximumCredentialLength,
            let found = try await self.accessTokens.lookup(digest: SecretDigest.sha256(token)),
            found.opensAPI(at: self.clock.now),
            found.record.companyID == app.company.id
        else { return nil }
        let (session, user) = (Session(record: found.record, appName: found.appName), found.user)
        return Introspection(
            subject: String(user.id),
            username: user.username,
            company: app.company.name,
            clientID: session.appName,
            expiresAt: session.record.expiresAt,
            issuedAt: session.record.issuedAt,
            sessionID: session.record.sessionID,
            authenticatedAt: session.record.authenticatedAt
        )
    }
}
