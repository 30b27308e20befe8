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
        let user = identity.user
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
            check: { try await self.hasher.verify(old, against: user.passwordHash) }
        ) {
        case .right:
            break
        case .wrong:
            throw CredentialError.incorrectPassword
        case .refused:
            // Throttled or locked: the time of a verification is spent all the same, and the answer is a wrong one's.
            try await self.hasher.verifyDummy(old)
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
        try await self.afterChange(of: user, app: app, client: client, keeping: keeping)
    }

    /// Ends the other sessions (per policy) and tells the user.
    private func afterChange(of user: User, app: ResolvedApp, client: RequestOrigin, keeping: String?) async throws {
        if app.company.policy.passwords.revokeSessionsOnChange {
            let revoked = try await self.accessTokens.revokeAll(userID: user.id, keeping: keeping, at: self.clock.now)
            await self.record(.tokensRevoked, app: app, userID: user.id, client: client, outcome: "\(revoked) revoked")
        }
        if let (channel, destination) = Self.channel(of: user) {
            try? await self.sender.send(OutgoingMessage(channel: channel, destination: destination, purpose: .notice, code: nil, userID: user.id))
        }
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
        try await self.afterChange(of: user, app: app, client: client, keeping: nil)
    }

    // MARK: Reset

    /// `GET /v1.0/users/password/secret-question`: the user's question, or `nil` when there is none — and for an
    /// unknown user, who is treated as one without a question.
    public func secretQuestion(username: String, app: ResolvedApp) async throws -> String? {
        guard Username.isAcceptable(username),
            let user = try await self.directory.user(companyID: app.company.id, usernameKey: Username.key(username)),
            !user.isDisabled
        else { return nil }
        return user.secretQuestion
    }

    /// `POST /v1.0/users/password/reset`: sends a reset code when the answer is right (or no question is set).
    /// Unknown and disabled users get the same answer as a known one, and nothing is sent.
    public func requestReset(username: String, answer: String?, app: ResolvedApp, client: RequestOrigin) async throws {
        guard Username.isAcceptable(username),
            let user = try await self.directory.user(companyID: app.company.id, usernameKey: Username.key(username)),
            !user.isDisabled
        else { return }
        if let expected = user.secretAnswerDigest {
            // Answers are guessed like passwords: reserved under the same limits before they are checked.
            let guardian = BruteForceGuard(policy: app.company.policy.lockout)
            let attempt = LoginAttempt(
                id: self.generator.token(),
                companyID: app.company.id,
                usernameKey: user.usernameKey,
                address: client.address,
                at: self.clock.now
            )
            let given = answer.map { self.secrets.secretAnswerDigest($0, userID: user.id) } ?? ""
            let judgement = try await self.attempts.judge(attempt, limits: guardian.limits(at: self.clock.now)) {
                SecretDigest.constantTimeEquals(given, expected)
            }
            guard judgement == .right else {
                await self.record(
                    .resetRequested,
                    app: app,
                    userID: user.id,
                    client: client,
                    outcome: judgement == .wrong ? "incorrect answer" : "throttled"
                )
                throw CredentialError.incorrectAnswer
            }
        }
        guard let (channel, destination) = Self.channel(of: user) else { return }
        let now = self.clock.now
        // One code a minute at most: a stranger cannot flood the user's inbox or keep cancelling their code.
        if let latest = try await self.resetCodes.latestResetCode(userID: user.id),
            now.timeIntervalSince(latest.createdAt) < self.limits.resendInterval, latest.expiresAt > now
        {
            return
        }
        for _ in 0..<5 {
            let code = self.generator.numericCode(digits: self.limits.codeDigits)
            let stored = ResetCode(
                digest: self.secrets.resetCodeDigest(code, companyID: app.company.id),
                userID: user.id,
                companyID: app.company.id,
                createdAt: now,
                expiresAt: now.addingTimeInterval(Self.resetCodeLifetime)
            )
            guard try await self.resetCodes.replaceResetCode(stored) else { continue }
            do {
                try await self.sender.send(OutgoingMessage(channel: channel, destination: destination, purpose: .reset, code: code, userID: user.id))
                await self.record(.resetRequested, app: app, userID: user.id, client: client, outcome: channel.rawValue)
            } catch {
                // Answered like any other request, so a failed delivery does not tell that the user exists.
                await self.record(.resetRequested, app: app, userID: user.id, client: client, outcome: "delivery failed")
            }
            return
        }
    }

    /// `POST /v1.0/users/identifiers/reset/code`: trades a reset code for a single-use ticket of `purpose`.
    public func redeemResetCode(_ code: String, purpose: TicketPurpose, app: ResolvedApp, client: RequestOrigin) async throws -> String {
        precondition(purpose == .resetPassword || purpose == .resetPin, "reset codes open only reset tickets")
        let now = self.clock.now
        // Each try is reserved first, so one address gets exactly `resetCodeTries` wrong codes per window.
        let attempt = LoginAttempt(
            id: self.generator.token(),
            companyID: app.company.id,
            usernameKey: Self.resetCodeAccount,
            address: client.address,
            at: now
        )
        let window = now.addingTimeInterval(-Self.resetCodeLifetime)
        let limits = AttemptLimits(
            pairSince: window,
            pairLimit: Self.resetCodeTries,
            accountSince: window,
            accountLimit: .max,
            addressSince: BruteForceGuard(policy: app.company.policy.lockout).addressSince(now),
            addressLimit: app.company.policy.lockout.addressFailureLimit
        )
        var redeemed: (ResetCode, User)?
        let judgement = try await self.attempts.judge(attempt, limits: limits) {
            guard code.utf8.count == self.limits.codeDigits, code.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let stored = try await self.resetCodes.takeResetCode(
                    digest: self.secrets.resetCodeDigest(code, companyID: app.company.id),
                    now: now
                ),
                let user = try await self.directory.user(id: stored.userID), !user.isDisabled
            else { return false }
            redeemed = (stored, user)
            return true
        }
        guard judgement == .right, let (_, user) = redeemed else { throw CredentialError.invalidCode }
        let token = self.generator.token()
        try await self.tickets.insert(
            Ticket(
                digest: SecretDigest.sha256(token),
                userID: user.id,
                appKeyID: app.appKey.id,
                purpose: purpose,
                createdAt: now,
                expiresAt: now.addingTimeInterval(self.limits.ticketLifetime)
            )
        )
        await self.record(.resetRedeemed, app: app, userID: user.id, client: client, outcome: purpose.rawValue)
        return token
    }

    // MARK: Helpers

    /// The live ticket and its user, or ``CredentialError/invalidTicket``.
    private func ticket(_ token: String, app: ResolvedApp, accepts: (TicketPurpose) -> Bool) async throws -> (Ticket, User) {
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

    private func record(_ kind: AuditKind, app: ResolvedApp, userID: Int64?, client: RequestOrigin, outcome: String?) async {
        await self.audit.record(kind, at: self.clock.now, app: app, userID: userID, client: client, outcome: outcome)
    }
}
