import Foundation

/// Enrols users in an authenticator app (TOTP): a new secret is pending until the user proves with a first code
/// that their app holds it, and only then becomes their second factor.
///
/// ```swift
/// let enrolment = try await service.begin(identity, app: app, client: client)   // show enrolment.url as a QR code
/// try await service.confirm(identity, code: "123456", app: app, client: client)
/// ```
public struct AuthenticatorService: Sendable {
    let directory: any DirectoryStore
    let audit: any AuditLog
    let secrets: KeyedDigester
    let clock: any WallClock

    public init(directory: any DirectoryStore, audit: any AuditLog, secrets: KeyedDigester, clock: any WallClock) {
        self.directory = directory
        self.audit = audit
        self.secrets = secrets
        self.clock = clock
    }

    /// Draws a new secret and keeps it, sealed, as the user's pending enrolment (replacing any earlier one). The
    /// user's current second factor stays in force until ``confirm(_:code:app:client:)``.
    ///
    /// - Throws: ``ReauthenticationRequired`` when the company asks for a recent sign-in and the session's is not.
    public func begin(_ identity: AuthenticatedUser, app: ResolvedApp, client: RequestOrigin) async throws -> AuthenticatorEnrolment {
        try identity.requireRecentSignIn(app.company.policy, at: self.clock.now)
        let secret = TOTP.newSecret()
        let sealed = try self.secrets.sealAuthenticatorSecret(secret, userID: identity.user.id)
        try await self.directory.setPendingAuthenticator(userID: identity.user.id, sealedSecret: sealed)
        await self.audit.record(.authenticatorEnrolled, at: self.clock.now, app: app, userID: identity.user.id, client: client, outcome: "pending")
        return AuthenticatorEnrolment(secret: secret, issuer: app.company.name, account: identity.user.username)
    }

    /// Switches the user to the pending authenticator if `code` is its code now (±1 step). The step is spent: the
    /// same code does not open a login afterwards.
    ///
    /// - Throws: ``ReauthenticationRequired``, ``AuthenticatorError``.
    public func confirm(_ identity: AuthenticatedUser, code: String, app: ResolvedApp, client: RequestOrigin) async throws {
        try identity.requireRecentSignIn(app.company.policy, at: self.clock.now)
        guard let user = try await self.directory.user(id: identity.user.id), let sealed = user.totpPendingSecret,
            let secret = self.secrets.openAuthenticatorSecret(sealed, userID: user.id)
        else { throw AuthenticatorError.noPendingEnrolment }
        guard let step = TOTP(secret: secret).matchingStep(code, at: self.clock.now, after: nil) else {
            throw AuthenticatorError.invalidCode
        }
        guard try await self.directory.confirmAuthenticator(userID: user.id, sealedSecret: sealed, usedStep: step) else {
            throw AuthenticatorError.noPendingEnrolment
        }
        await self.audit.record(.authenticatorEnrolled, at: self.clock.now, app: app, userID: user.id, client: client, outcome: "confirmed")
    }

    /// Operator enrolment (`tessera user create --two-factor totp`): the secret is in force at once.
    public func enrol(userID: Int64, issuer: String, account: String) async throws -> AuthenticatorEnrolment {
        let secret = TOTP.newSecret()
        try await self.directory.setAuthenticator(userID: userID, sealedSecret: try self.secrets.sealAuthenticatorSecret(secret, userID: userID))
        return AuthenticatorEnrolment(secret: secret, issuer: issuer, account: account)
    }
}

/// A new authenticator secret as the user's app takes it: shown once, never stored in the clear.
public struct AuthenticatorEnrolment: Sendable, Equatable {
    /// The secret in base32.
    public var secret: String
    /// The `otpauth://` URL (for a QR code).
    public var url: String

    init(secret: [UInt8], issuer: String, account: String) {
        self.secret = Base32.encode(secret)
        self.url = TOTP.provisioningURL(secret: secret, issuer: issuer, account: account)
    }
}

/// A sensitive change asked with a session whose last sign-in with credentials is older than the company's
/// step-up window: the client re-authenticates at `/token` (the bearer and the password) and asks again.
public struct ReauthenticationRequired: Error, Equatable {}

extension AuthenticatedUser {
    /// Throws ``ReauthenticationRequired`` unless the company's step-up allows a sensitive change by this session now.
    public func requireRecentSignIn(_ policy: CompanyPolicy, at now: Date) throws(ReauthenticationRequired) {
        guard policy.allowsSensitiveChange(authenticatedAt: self.token.authenticatedAt, at: now) else {
            throw ReauthenticationRequired()
        }
    }
}

/// Why an authenticator enrolment was not confirmed.
public enum AuthenticatorError: Error, Equatable {
    /// There is no enrolment waiting for a code (or another request confirmed or replaced it first).
    case noPendingEnrolment
    /// The code is not the pending secret's code now.
    case invalidCode
}
