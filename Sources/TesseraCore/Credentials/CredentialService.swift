import Foundation

/// Why a credential call is refused. Each case maps to one ETNA error code in the HTTP layer.
public enum CredentialError: Error, Equatable {
    /// The ticket is unknown, used, expired, of another app, or for another purpose.
    case invalidTicket
    /// The new password breaks the company's rules.
    case weakPassword([PasswordProblem], PasswordPolicy)
    /// The answer to the secret question is wrong or missing.
    case incorrectAnswer
    /// The reset code is wrong, used or expired — or this address has tried too many.
    case invalidCode
    /// The current password given for a change is wrong (or the account is throttled).
    case incorrectPassword
    /// The image is not one of ``SecurityImages``.
    case unknownImage
    /// The PIN is not 4 to 12 digits.
    case invalidPin
    /// The personal phrase is longer than ``CredentialService/maximumPhraseLength``.
    case phraseTooLong
}

/// The credential life cycle around `/token`: expired passwords, first PINs, password reset by emailed code,
/// password change. Each change ends the user's other sessions (unless the company opts out), tells the user,
/// and is audited.
public struct CredentialService: Sendable {
    public static let maximumPhraseLength = 100
    /// How long a reset code can be redeemed, in seconds.
    public static let resetCodeLifetime: TimeInterval = 15 * 60
    /// Wrong reset codes one address may send within ``resetCodeLifetime``.
    public static let resetCodeTries = 5
    /// The username key wrong reset codes are counted under (no user is known when a code is wrong).
    static let resetCodeAccount = "#reset-code"
    /// Wrong secret answers for one account from one address that throttle its resets from there (15 minutes)…
    public static let answerPairLimit = 5
    /// …and from anywhere (an hour). Logins never count them.
    public static let answerAccountLimit = 20

    let stores: TesseraStores
    let environment: ServiceEnvironment

    public init(stores: TesseraStores, environment: ServiceEnvironment) {
        self.stores = stores
        self.environment = environment
    }

    var directory: any DirectoryStore { self.stores.directory }
    var tickets: any TicketStore { self.stores.tickets }
    var accessTokens: any AccessTokenStore { self.stores.accessTokens }
    var resetCodes: any ResetCodeStore { self.stores.resetCodes }
    var attempts: any AttemptStore { self.stores.attempts }
    var audit: any AuditLog { self.stores.audit }
    var hasher: any PasswordHasher { self.environment.hasher }
    var sender: any CodeSender { self.environment.sender }
    var clock: any WallClock { self.environment.clock }
    var secrets: KeyedDigester { self.environment.secrets }
    var generator: any SecretGenerator { self.environment.generator }
    var limits: LoginLimits { self.environment.limits }

    // MARK: Passwords

    /// `PUT /v1.0/users/passwords/reset`: a new password with a password-change or reset ticket.
    public func setPassword(
        ticket token: String,
        password: String,
        confirmation: String,
        app: ResolvedApp,
        client: RequestOrigin
    )
        async throws
    {
        let (ticket, user) = try await self.ticket(token, app: app) { $0.setsPassword }
        try await self.validateNewPassword(password, confirmation: confirmation, for: user, policy: app.company.policy.passwords)
        guard try await self.tickets.markUsed(digest: ticket.digest, at: self.clock.now) else { throw CredentialError.invalidTicket }
        try await self.storePassword(password, for: user, app: app, client: client, keeping: nil)
    }

    /// `PUT /v1.0/users/@me/password/change`: a signed-in user changes their password.
    public func changePassword(
        _ identity: AuthenticatedUser,
        old: String,
        new: String,
        confirmation: String,
        app: ResolvedApp,
        client: RequestOrigin
    ) async throws {
        // The signed-in identity carries no password hash: the user's record as it is now.
        guard let user = try await self.directory.user(id: identity.user.id), !user.isDisabled else {
            throw CredentialError.incorrectPassword
        }
        let guardian = BruteForceGuard(policy: app.company.policy.lockout)
        let now = self.clock.now
        // A stolen token must not become a way to guess the password: old passwords count like logins.
        let attempt = LoginAttempt(
            id: self.generator.token(),
            companyID: app.company.id,
            usernameKey: user.usernameKey,
            address: client.address,
            at: now
        )
        switch try await self.attempts.judge(
            attempt,
            limits: guardian.limits(at: now),
            check: { try await self.hasher.verify(old, against: user.passwordHash, lane: HashLane(address: client.address)) }
        ) {
        case .right:
            break
        case .wrong:
            throw CredentialError.incorrectPassword
        case .refused:
            // Throttled or locked: the time of a verification is spent all the same, and the answer is a wrong one's.
            try await self.hasher.verifyDummy(old, lane: HashLane(address: client.address))
            throw CredentialError.incorrectPassword
        }
        try await self.validateNewPassword(new, confirmation: confirmation, for: user, policy: app.company.policy.passwords)
        try await self.storePassword(new, for: user, app: app, client: client, keeping: identity.token.digest)
    }

    private func validateNewPassword(_ password: String, confirmation: String, for user: User, policy: PasswordPolicy) async throws {
        let problems = PasswordRules.problems(password, confirmation: confirmation, username: user.username, policy: policy)
        guard problems.isEmpty else { throw CredentialError.weakPassword(problems, policy) }
        if try await self.hasher.verify(password, against: user.passwordHash) {
            throw CredentialError.weakPassword([.sameAsCurrent], policy)
        }
        // One hash per remembered password: the company's history length bounds the work.
        for earlier in try await self.directory.passwordHistory(userID: user.id, limit: policy.history) {
            if try await self.hasher.verify(password, against: earlier) {
                throw CredentialError.weakPassword([.recentlyUsed], policy)
            }
        }
    }

    private func storePassword(
        _ password: String,
        for user: User,
        app: ResolvedApp,
        client: RequestOrigin,
        keeping: String?
    )
        async throws
    {
        let hash = try await self.hasher.hash(password)
        try await self.directory.setPassword(userID: user.id, hash: hash, changedAt: self.clock.now)
        await self.record(.passwordChanged, app: app, userID: user.id, client: client, outcome: "success")
        try await self.afterChange(of: user, .passwordChanged, app: app, client: client, keeping: keeping)
    }

    /// Ends the other sessions (per policy) and queues the notice that tells the user.
    private func afterChange(
        of user: User,
        _ reason: NoticeReason,
        app: ResolvedApp,
        client: RequestOrigin,
        keeping: String?
    )
        async throws
    {
        if app.company.policy.passwords.revokeSessionsOnChange {
            let revoked = try await self.accessTokens.revokeAll(userID: user.id, keeping: keeping, at: self.clock.now)
            await self.record(.tokensRevoked, app: app, userID: user.id, client: client, outcome: "\(revoked) revoked")
        }
        try await self.stores.messages.enqueue(
            NewQueuedMessage(
                kind: .notice(reason),
                companyID: app.company.id,
                usernameKey: user.usernameKey,
                appKeyID: app.appKey.id,
                address: client.address,
                requestID: client.requestID,
                createdAt: self.clock.now
            )
        )
    }

    // MARK: PIN

    /// `GET /v1.0/assets/security-images`: open to a PIN ticket, which it does not consume.
    public func securityImages(ticket token: String, app: ResolvedApp) async throws -> [SecurityImages.Image] {
        _ = try await self.ticket(token, app: app) { $0.setsPin }
        return SecurityImages.all
    }

    /// `POST /v1.0/users/pincode/change`: a first PIN (or a reset one) with the image and phrase to show with it.
    public func setPin(
        ticket token: String,
        pin: String,
        imageName: String?,
        phrase: String?,
        app: ResolvedApp,
        client: RequestOrigin
    ) async throws {
        let (ticket, user) = try await self.ticket(token, app: app) { $0.setsPin }
        guard Pin.isAcceptable(pin) else { throw CredentialError.invalidPin }
        if let imageName, SecurityImages.named(imageName) == nil { throw CredentialError.unknownImage }
        if let phrase, phrase.count > Self.maximumPhraseLength { throw CredentialError.phraseTooLong }
        guard try await self.tickets.markUsed(digest: ticket.digest, at: self.clock.now) else { throw CredentialError.invalidTicket }
        try await self.directory.setPin(
            userID: user.id,
            digest: self.secrets.pinDigest(pin, userID: user.id),
            image: imageName,
            phrase: phrase
        )
        await self.record(.pinChanged, app: app, userID: user.id, client: client, outcome: "success")
        try await self.afterChange(of: user, .pinChanged, app: app, client: client, keeping: nil)
    }

    // MARK: Helpers

    /// The live ticket and its user, or ``CredentialError/invalidTicket``.
    func ticket(_ token: String, app: ResolvedApp, accepts: (TicketPurpose) -> Bool) async throws -> (Ticket, User) {
        guard !token.isEmpty, token.utf8.count <= self.limits.maximumCredentialLength,
            let ticket = try await self.tickets.ticket(digest: SecretDigest.sha256(token)),
            ticket.isUsable(at: self.clock.now, appKeyID: app.appKey.id, for: accepts),
            let user = try await self.directory.user(id: ticket.userID), !user.isDisabled, user.companyID == app.company.id
        else { throw CredentialError.invalidTicket }
        return (ticket, user)
    }

    static func channel(of user: User) -> (DeliveryChannel, String)? {
        user.email.map { (.email, $0) } ?? user.phone.map { (.sms, $0) }
    }

    func record(_ kind: AuditKind, app: ResolvedApp, userID: Int64?, client: RequestOrigin, outcome: String?) async {
        await self.audit.record(kind, at: self.clock.now, app: app, userID: userID, client: client, outcome: outcome)
    }
}
