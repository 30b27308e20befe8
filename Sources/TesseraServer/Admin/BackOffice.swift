import Foundation
import HTTPTypes
import Hummingbird
import TesseraCore

/// What the back office's routes share: operators sign in through the login state machine like everyone, and
/// every action goes through the operator service with the operator as actor. No rule lives here.
struct BackOffice: Sendable {
    let operators: OperatorService
    let login: LoginService
    let validator: AccessTokenValidator
    let accessTokens: any AccessTokenStore
    /// For names in lists (the audit's company and user ids): reading, never deciding.
    let directory: any DirectoryStore
    let secrets: KeyedDigester
    let clock: any WallClock
    let trustedProxies: [TrustedProxy]
    /// Whether the admin listener is on loopback: its cookie may then go without `Secure` (plain HTTP on the
    /// operator's own machine or through a tunnel); anywhere else it needs TLS in front.
    let onLoopback: Bool

    /// An idle console session ends after this long.
    static let idleTimeout: TimeInterval = 15 * 60

    var cookieName: String { self.onLoopback ? "tessera_admin" : "__Host-tessera_admin" }
    var csrfCookieName: String { self.onLoopback ? "tessera_admin_csrf" : "__Host-tessera_admin_csrf" }

    /// A signed-in operator: who, and the session's token.
    struct Session: Sendable {
        var backOfficeOperator: BackOfficeOperator
        var token: String
        var record: AccessTokenRecord

        var actor: OperatorActor { self.backOfficeOperator.actor }
        var role: OperatorRole { self.backOfficeOperator.role }
        var username: String { self.backOfficeOperator.user.username }
    }

    enum SignInResult: Sendable {
        case signedIn(token: String, BackOfficeOperator)
        case refused
        case throttled(retryAfter: Int)
    }

    func origin(_ request: Request, context: TesseraRequestContext) -> RequestOrigin {
        RequestOrigin(request, context: context, trustedProxies: self.trustedProxies)
    }

    /// Password and authenticator code through the operators' company's login flow: lockout, throttling and the
    /// audit trail apply as to any login. A user of that company without a role is refused like a wrong password.
    func signIn(username: String, password: String, code: String, origin: RequestOrigin) async throws -> SignInResult {
        let app = try await self.operators.operatorsApp()
        var outcome = try await self.login.login(LoginRequest(username: username, password: password), app: app, origin: origin)
        if case .expecting(.verificationCode, _, let interim, _) = outcome {
            outcome = try await self.login.login(LoginRequest(verificationCode: code, interimToken: interim), app: app, origin: origin)
        }
        switch outcome {
        case .succeeded(let token, _, _):
            guard let identity = try await self.validator.authenticate(token: token, app: app),
                let found = try await self.operators.backOfficeOperator(identity.user)
            else {
                _ = try await self.accessTokens.revoke(digest: SecretDigest.sha256(token), at: self.clock.now)
                return .refused
            }
            return .signedIn(token: token, found)
        case .throttled(let retryAfter):
            return .throttled(retryAfter: retryAfter)
        case .expecting, .failed:
            return .refused
        }
    }

    /// The operator behind a session token, if it is live, an operator's, and not idle past the timeout (an idle
    /// one is ended). Each use counts as activity.
    func session(token: String) async throws -> Session? {
        let app = try await self.operators.operatorsApp()
        let now = self.clock.now
        // The last use as stored, before this one counts: every use of a console session writes it.
        guard token.utf8.count <= LoginLimits().maximumCredentialLength,
            let stored = try await self.accessTokens.accessToken(digest: SecretDigest.sha256(token))
        else { return nil }
        let idle = now.timeIntervalSince(max(stored.lastSeenAt, stored.authenticatedAt)) > Self.idleTimeout
        // A re-confirmed session has a fresh token, never a longer life: 8 hours from the sign-in, whatever happened.
        let old = now.timeIntervalSince(stored.sessionStartedAt) > TimeInterval(OperatorService.operatorsSessionLifetime)
        if stored.revokedAt == nil, idle || old {
            try await self.operators.endConsoleSession(stored, reason: idle ? "idle for 15 minutes" : "8 hours old")
            return nil
        }
        // Only a session of the console app: a token of the operators' company from anywhere else opens nothing.
        guard let identity = try await self.validator.authenticate(token: token, app: app), identity.token.appKeyID == app.appKey.id,
            let found = try await self.operators.backOfficeOperator(identity.user)
        else { return nil }
        try await self.accessTokens.touch(digest: identity.token.digest, at: now)
        return Session(backOfficeOperator: found, token: token, record: identity.token)
    }

    /// The session of a console request (its cookie) or an API request (its bearer).
    func session(_ request: Request, bearer: Bool) async throws -> Session? {
        let token: String?
        if bearer {
            token = BearerToken.parse(request.credential(.authorization))
        } else {
            token = Self.cookie(self.cookieName, in: request)
        }
        guard let token else { return nil }
        return try await self.session(token: token)
    }

    /// The operator's password and code once more, before a destructive action: a re-authentication of the
    /// session through the login flow (counted, throttled and audited as a login). The fresh token of the same
    /// session when both were right (the console goes on with it), else `nil`.
    func reconfirm(_ session: Session, password: String, code: String, origin: RequestOrigin) async throws -> String? {
        let app = try await self.operators.operatorsApp()
        var outcome = try await self.login.login(LoginRequest(password: password, interimToken: session.token), app: app, origin: origin)
        if case .expecting(.verificationCode, _, let interim, _) = outcome {
            outcome = try await self.login.login(LoginRequest(verificationCode: code, interimToken: interim), app: app, origin: origin)
        }
        guard case .succeeded(let fresh, _, _) = outcome else { return nil }
        return fresh
    }

    /// The CSRF token of a console session: a keyed digest of the session, so it needs no storage and dies with it.
    func csrfToken(_ session: Session) -> String {
        self.secrets.formToken(sessionID: session.record.digest)
    }

    /// The value of cookie `name` in the request's `Cookie` headers.
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    return parts[1].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return nil
    }

    /// `Set-Cookie` for the session cookie (`nil`: clear it).
    func sessionCookie(_ token: String?) -> String {
        let attributes = "; Path=/; HttpOnly; SameSite=Strict" + (self.onLoopback ? "" : "; Secure")
        guard let token else { return "\(self.cookieName)=\(attributes); Max-Age=0" }
        let lifetime = OperatorService.operatorsSessionLifetime
        return "\(self.cookieName)=\(token)\(attributes); Max-Age=\(lifetime)"
    }

    /// `Set-Cookie` for the sign-in form's CSRF cookie (a double submit: the form carries the same value); `nil`
    /// clears it.
    func signInCookie(_ value: String?) -> String {
        "\(self.csrfCookieName)=\(value ?? ""); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(value == nil ? 0 : 3600)"
            + (self.onLoopback ? "" : "; Secure")
    }
}
