import Foundation

/// Runs ``LoginStateMachine`` against the ports: loads what it asks for, verifies passwords behind the
/// ``BruteForceGuard``, records failures and audit events, and makes each decision durable before the answer
/// leaves.
///
/// ```swift
/// let outcome = try await service.login(LoginRequest(username: "alice", password: "…"), app: app, client: client)
/// ```
public struct LoginService: Sendable {
    /// How often a request is replayed when another request changed its transaction first.
    static let conflictRetries = 3

    let directory: any DirectoryStore
    let transactions: any LoginTransactionStore
    let accessTokens: any AccessTokenStore
    let tickets: any TicketStore
    let attempts: any AttemptStore
    let audit: any AuditLog
    let hasher: any PasswordHasher
    let sender: any CodeSender
    let clock: any WallClock
    let secrets: KeyedDigester
    let generator: any SecretGenerator
    let limits: LoginLimits

    public init(
        directory: any DirectoryStore,
        transactions: any LoginTransactionStore,
        accessTokens: any AccessTokenStore,
        tickets: any TicketStore,
        attempts: any AttemptStore,
        audit: any AuditLog,
        hasher: any PasswordHasher,
        sender: any CodeSender,
        clock: any WallClock,
        secrets: KeyedDigester,
        generator: any SecretGenerator = SecureRandom(),
        limits: LoginLimits = LoginLimits()
    ) {
        self.directory = directory
        self.transactions = transactions
        self.accessTokens = accessTokens
        self.tickets = tickets
        self.attempts = attempts
        self.audit = audit
        self.hasher = hasher
        self.sender = sender
        self.clock = clock
        self.secrets = secrets
        self.generator = generator
        self.limits = limits
    }

    /// Runs one `/token` request for the app it came from.
    ///
    /// - Throws: ``LoginServiceError/deliveryFailed`` when a code could not be sent,
    ///   ``PasswordHashingError/overloaded`` when no hashing slot came free in time; storage errors as they come.
    public func login(_ request: LoginRequest, app: ResolvedApp, client: RequestOrigin) async throws -> LoginOutcome {
        let guardian = BruteForceGuard(policy: app.company.policy.lockout)
        let now = self.clock.now
        // Layer 3, before anything is hashed: an address that failed too often across accounts waits.
        let (addressFailures, oldest) = try await self.attempts.failures(address: client.address, since: guardian.addressSince(now))
        if let retryAfter = guardian.retryAfter(addressFailures: addressFailures, oldest: oldest, now: now) {
            await self.record(.loginThrottled, app: app, userID: nil, client: client, outcome: "Too many attempts")
            return .throttled(retryAfter: retryAfter)
        }

        var lastStep = LoginStep.baseAuthentication
        for _ in 0..<Self.conflictRetries {
            var machine = LoginStateMachine(
                request: request,
                app: app,
                secrets: self.secrets,
                generator: self.generator,
                limits: self.limits
            )
            var action = machine.start(now: self.clock.now)
            var account: (usernameKey: String, user: User?)?
            var reservation: LoginAttempt?
            while true {
                switch action {
                case .loadTransaction(let digest):
                    let transaction = try await self.transactions.transaction(interimTokenDigest: digest)
                    let user: User? = if let transaction { try await self.directory.user(id: transaction.userID) } else { nil }
                    lastStep = transaction?.step ?? lastStep
                    if let user, transaction?.appKeyID == app.appKey.id {
                        account = (user.usernameKey, user)
                        // Layers 1 and 2 hold for every step: a throttled or locked account gets the ordinary answer.
                        guard try await self.mayContinue(user.usernameKey, app: app, client: client, guardian: guardian) else {
                            return await self.finishBlocked(app: app, user: user, client: client)
                        }
                    }
                    action = machine.transactionLoaded(transaction, user: user, now: self.clock.now)
                    continue

                case .verifyPassword(let username, let password):
                    let usernameKey = Username.key(username)
                    let user = try await self.directory.user(companyID: app.company.id, usernameKey: usernameKey)
                    account = (usernameKey, user)
                    let now = self.clock.now
                    let attempt = LoginAttempt(
                        id: self.generator.token(),
                        companyID: app.company.id,
                        usernameKey: usernameKey,
                        address: client.address,
                        at: now
                    )
                    let lockedUntil = try await self.attempts.lockedUntil(companyID: app.company.id, usernameKey: usernameKey, now: now)
                    var reserved = false
                    if lockedUntil == nil {
                        reserved = try await self.attempts.reserveAttempt(attempt, limits: guardian.limits(at: now))
                    }
                    guard reserved else {
                        // Not a try. If the address's budget is what ran out, say so before any hash.
                        let (count, oldest) = try await self.attempts.failures(address: client.address, since: guardian.addressSince(now))
                        if let retryAfter = guardian.retryAfter(addressFailures: count, oldest: oldest, now: now) {
                            return .throttled(retryAfter: retryAfter)
                        }
                        // Throttled or locked: it still counts against the address, never against an account.
                        var refused = attempt
                        refused.usernameKey = BruteForceGuard.refusedAttemptsKey
                        _ = try await self.attempts.recordAttempt(refused, pairSince: now, accountSince: now)
                        // Spend the time of one verification and answer as for a wrong password.
                        try await self.hasher.verifyDummy(password)
                        return await self.finishBlocked(app: app, user: user, client: client)
                    }
                    reservation = attempt
                    let matches: Bool
                    do {
                        if let user {
                            matches = try await self.hasher.verify(password, against: user.passwordHash)
                        } else {
                            try await self.hasher.verifyDummy(password)
                            matches = false
                        }
                    } catch {
                        try? await self.attempts.forgetAttempt(id: attempt.id)
                        throw error
                    }
                    action = machine.passwordChecked(user, matches: matches, now: self.clock.now)
                    continue

                case .finish(let decision):
                    let applied: Bool
                    do {
                        applied = try await self.apply(decision, app: app, user: account?.user, client: client)
                    } catch {
                        // Not answered on its merits (a code that could not be sent): not a failure.
                        if let reservation { try? await self.attempts.forgetAttempt(id: reservation.id) }
                        throw error
                    }
                    guard applied else { break }
                    try await self.settle(decision, reservation: reservation, account: account, app: app, client: client, guardian: guardian)
                    return decision.outcome
                }
                // Another request moved this transaction on first: replay against what it left.
                break
            }
        }
        return .failed(step: lastStep, reason: .corruptedTicket)
    }

    // MARK: Guessing

    /// The failures of an account, from this address and from anywhere, in the policy's windows.
    private func counts(
        _ usernameKey: String,
        app: ResolvedApp,
        client: RequestOrigin,
        guardian: BruteForceGuard,
        now: Date
    )
        async throws -> AttemptCounts
    {
        try await self.attempts.counts(
            companyID: app.company.id,
            usernameKey: usernameKey,
            address: client.address,
            pairSince: guardian.pairSince(now),
            accountSince: guardian.accountSince(now)
        )
    }

    private func mayContinue(_ usernameKey: String, app: ResolvedApp, client: RequestOrigin, guardian: BruteForceGuard) async throws -> Bool {
        let now = self.clock.now
        let counts = try await self.counts(usernameKey, app: app, client: client, guardian: guardian, now: now)
        let lockedUntil = try await self.attempts.lockedUntil(companyID: app.company.id, usernameKey: usernameKey, now: now)
        return guardian.allowsContinuing(counts, lockedUntil: lockedUntil)
    }

    private func finishBlocked(app: ResolvedApp, user: User?, client: RequestOrigin) async -> LoginOutcome {
        await self.record(.loginFailed, app: app, userID: user?.id, client: client, outcome: "blocked: throttled or locked")
        return .failed(step: .baseAuthentication, reason: .invalidCredentials)
    }

    /// After the decision is stored: keeps or forgets the password attempt, counts failures, locks, audits.
    private func settle(
        _ decision: LoginDecision,
        reservation: LoginAttempt?,
        account: (usernameKey: String, user: User?)?,
        app: ResolvedApp,
        client: RequestOrigin,
        guardian: BruteForceGuard
    ) async throws {
        let now = self.clock.now
        var failedAttempt = false
        if let reservation {
            if case .failed(.baseAuthentication, _) = decision.outcome {
                failedAttempt = true
            } else {
                try await self.attempts.forgetAttempt(id: reservation.id)
            }
        }
        if let account {
            if decision.countsAsFailure {
                _ = try await self.attempts.recordAttempt(
                    LoginAttempt(
                        id: self.generator.token(),
                        companyID: app.company.id,
                        usernameKey: account.usernameKey,
                        address: client.address,
                        at: now
                    ),
                    pairSince: guardian.pairSince(now),
                    accountSince: guardian.accountSince(now)
                )
                failedAttempt = true
            }
            if failedAttempt {
                try await self.lockIfNeeded(account.usernameKey, user: account.user, app: app, client: client, guardian: guardian)
            }
        }
        let userID = account?.user?.id
        switch decision.outcome {
        case .succeeded:
            await self.record(.loginSucceeded, app: app, userID: userID, client: client, outcome: "success")
            await self.record(.tokenIssued, app: app, userID: userID, client: client, outcome: nil)
        case .expecting(let step, let reason, _, _):
            await self.record(.loginStep, app: app, userID: userID, client: client, outcome: "\(step.rawValue): \(reason.rawValue)")
        case .failed(let step, let reason):
            await self.record(.loginFailed, app: app, userID: userID, client: client, outcome: "\(step.rawValue): \(reason.rawValue)")
        case .throttled:
            break
        }
        if let message = decision.message {
            await self.record(.codeSent, app: app, userID: message.userID, client: client, outcome: message.channel.rawValue)
        }
    }

    private func lockIfNeeded(
        _ usernameKey: String,
        user: User?,
        app: ResolvedApp,
        client: RequestOrigin,
        guardian: BruteForceGuard
    ) async throws {
        let now = self.clock.now
        let counts = try await self.counts(usernameKey, app: app, client: client, guardian: guardian, now: now)
        guard guardian.shouldLock(counts) else { return }
        let newlyLocked = try await self.attempts.lock(
            companyID: app.company.id,
            usernameKey: usernameKey,
            until: now.addingTimeInterval(guardian.policy.accountLockDuration),
            now: now
        )
        guard newlyLocked else { return }
        // Recorded (and counted in the metrics) for unknown usernames too, so a lock tells nothing about existence.
        await self.record(.accountLocked, app: app, userID: user?.id, client: client, outcome: "locked after \(counts.account) failures")
        guard let user else { return }
        let destination: (DeliveryChannel, String)? = user.email.map { (.email, $0) } ?? user.phone.map { (.sms, $0) }
        if let (channel, address) = destination {
            // The user learns of the lock once; a failed notice must not turn into a failed login answer.
            try? await self.sender.send(
                OutgoingMessage(channel: channel, destination: address, purpose: .notice, code: nil, userID: user.id)
            )
        }
    }

    private func record(_ kind: AuditKind, app: ResolvedApp, userID: Int64?, client: RequestOrigin, outcome: String?) async {
        await self.audit.record(kind, at: self.clock.now, app: app, userID: userID, client: client, outcome: outcome)
    }

    /// Stores the decision's effects in an order that never hands out what was not stored; `false` on a
    /// concurrent change of the transaction.
    private func apply(_ decision: LoginDecision, app: ResolvedApp, user: User?, client: RequestOrigin) async throws -> Bool {
        if let spent = decision.spentAuthenticatorStep {
            // First, so a replayed authenticator code changes nothing; the replay then sees the step spent.
            guard try await self.directory.spendAuthenticatorStep(userID: spent.userID, step: spent.step) else { return false }
        }
        switch decision.transaction {
        case .none:
            break
        case .insert(let transaction):
            try await self.transactions.insert(transaction)
        case .update(let transaction, let expectedVersion):
            guard try await self.transactions.update(transaction, expectedVersion: expectedVersion) else { return false }
        case .delete(let id, let expectedVersion):
            guard try await self.transactions.delete(id: id, expectedVersion: expectedVersion) else { return false }
        }
        if let ticket = decision.ticket {
            try await self.tickets.insert(ticket)
        }
        if let issued = decision.accessToken {
            var record = issued.record
            record.address = client.address
            record.userAgent = client.userAgent
            try await self.accessTokens.insert(record)
        }
        if let message = decision.message {
            do {
                try await self.sender.send(message)
            } catch {
                await self.forgetUnsentCode(decision.transaction)
                var interim: String?
                if case .expecting(_, _, let token, _) = decision.outcome { interim = token }
                throw LoginServiceError.deliveryFailed(channel: message.channel, interimToken: interim)
            }
        }
        return true
    }

    /// After a failed send: the transaction holds no code and no send time, so the code that never left cannot
    /// be guessed at and the next request with the same interim token sends a fresh one at once.
    private func forgetUnsentCode(_ change: LoginDecision.TransactionChange) async {
        let stored: LoginTransaction
        switch change {
        case .insert(let transaction), .update(let transaction, _): stored = transaction
        case .none, .delete: return
        }
        var cleared = stored
        cleared.codeDigest = nil
        cleared.codeExpiresAt = nil
        cleared.codeSentAt = nil
        cleared.version = stored.version + 1
        // Best effort: if this write fails too, the client waits out the resend interval instead.
        _ = try? await self.transactions.update(cleared, expectedVersion: stored.version)
    }
}

/// Failures of the login flow that are not an answer of the contract.
public enum LoginServiceError: Error, Equatable {
    /// The verification code could not be handed to its channel. No code counts as sent; `interimToken`, when
    /// set, continues the same login on a retry.
    case deliveryFailed(channel: DeliveryChannel, interimToken: String?)
}
