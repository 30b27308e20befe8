import Foundation

/// `POST /token` with a `RefreshToken`: exchanges a refresh token, once, for a new access token and a new refresh
/// token of the same session (rotation). A refresh token presented after it was spent gives the session away — it
/// was copied, or its holder lost an answer — so the whole session ends: every access and refresh token of it. The
/// user is told, and the event audited.
///
/// A refresh never outlives what ended the session: a logout, a session revoke, a password change elsewhere, a
/// disabled user, a revoked app key, an expired password, or the session's maximum age from the login.
public struct RefreshService: Sendable {
    let stores: TesseraStores
    let environment: ServiceEnvironment

    public init(stores: TesseraStores, environment: ServiceEnvironment) {
        self.stores = stores
        self.environment = environment
    }

    static let refused = LoginOutcome.failed(step: .baseAuthentication, reason: .invalidRefreshToken)

    /// The new pair, or ``LoginReason/invalidRefreshToken`` for anything that is not a usable refresh token of
    /// this app.
    ///
    /// - Throws: ``LoginServiceError/appKeyRevoked`` when the key was revoked while this node cached it; storage
    ///   errors as they come.
    public func refresh(_ token: String, app: ResolvedApp, origin: RequestOrigin) async throws -> LoginOutcome {
        let now = self.environment.clock.now
        guard let policy = app.company.policy.refresh, !token.isEmpty,
            token.utf8.count <= self.environment.limits.maximumCredentialLength
        else { return Self.refused }
        let refreshTokens = self.stores.refreshTokens
        switch try await refreshTokens.spend(digest: SecretDigest.sha256(token), appKeyID: app.appKey.id, at: now) {
        case nil:
            return Self.refused
        case .alreadySpent(let record):
            try await self.endReusedSession(record, app: app, origin: origin, now: now)
            return Self.refused
        case .spent(let record):
            guard record.revokedAt == nil, now < record.expiresAt,
                now < record.sessionStartedAt.addingTimeInterval(TimeInterval(policy.sessionMaxAge)),
                !(try await refreshTokens.isSessionEnded(sessionID: record.sessionID)),
                let user = try await self.stores.directory.user(id: record.userID), !user.isDisabled,
                user.companyID == app.company.id, !user.passwordExpired,
                !app.company.policy.passwords.isExpired(changedAt: user.passwordChangedAt, now: now),
                !app.company.policy.hasExpired(user, at: now)
            else { return Self.refused }
            let access = IssuedAccessToken.mint(
                self.environment.generator.token(),
                sessionID: record.sessionID,
                userID: user.id,
                app: app,
                sessionStartedAt: record.sessionStartedAt,
                authenticatedAt: record.authenticatedAt,
                now: now
            )
            let next = IssuedRefreshToken.mint(
                self.environment.generator.token(),
                sessionID: record.sessionID,
                userID: user.id,
                app: app,
                sessionStartedAt: record.sessionStartedAt,
                authenticatedAt: record.authenticatedAt,
                now: now,
                policy: policy
            )
            var stored = access.record
            stored.address = origin.address
            stored.userAgent = origin.userAgent
            guard try await self.stores.accessTokens.insert(stored), try await refreshTokens.insert(next.record) else {
                throw LoginServiceError.appKeyRevoked
            }
            // The session may have ended while this refresh ran (a reuse of the token just spent, a password
            // change): an end that came before the new tokens were stored could not revoke them, so look again
            // now that they are, and end them too.
            if try await refreshTokens.isSessionEnded(sessionID: record.sessionID) {
                _ = try await self.stores.accessTokens.revoke(sessionID: record.sessionID, userID: user.id, at: now)
                return Self.refused
            }
            // A session kept alive by refreshes is an account in use.
            try await self.stores.directory.recordSignIn(userID: user.id, at: now)
            await self.stores.audit.record(.tokenRefreshed, at: now, app: app, userID: user.id, client: origin, outcome: nil)
            return .succeeded(token: access.token, refreshToken: next.token)
        }
    }

    /// Ends every token of the session the reused refresh token belongs to, audits it and queues the user's notice
    /// — once: a second reuse of an ended session changes nothing more.
    private func endReusedSession(_ record: RefreshTokenRecord, app: ResolvedApp, origin: RequestOrigin, now: Date) async throws {
        let refreshTokens = try await self.stores.refreshTokens.revokeRefreshTokens(sessionID: record.sessionID, at: now)
        let accessTokens = try await self.stores.accessTokens.revoke(sessionID: record.sessionID, userID: record.userID, at: now)
        guard refreshTokens > 0 || accessTokens else { return }
        await self.stores.audit.record(
            .tokenReuseDetected,
            at: now,
            app: app,
            userID: record.userID,
            client: origin,
            outcome: "session \(record.sessionID) ended"
        )
        guard let user = try await self.stores.directory.user(id: record.userID) else { return }
        try await self.stores.messages.enqueue(
            .notice(.refreshTokenReused, companyID: user.companyID, usernameKey: user.usernameKey, app: app, origin: origin, at: now)
        )
    }
}
