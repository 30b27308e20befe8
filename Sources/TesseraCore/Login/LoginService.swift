import Foundation

/// Runs ``LoginStateMachine`` against the ports: it performs each action the machine returns and feeds the result
/// back, and decides nothing itself.
///
/// ```swift
/// let service = LoginService(stores: database.stores, environment: environment)
/// let outcome = try await service.login(LoginRequest(username: "alice", password: "…"), app: app, origin: origin)
/// ```
public struct LoginService: Sendable {
    let stores: TesseraStores
    let environment: ServiceEnvironment

    public init(stores: TesseraStores, environment: ServiceEnvironment) {
        self.stores = stores
        self.environment = environment
    }

    /// Runs one `/token` request for the app it came from.
    ///
    /// - Throws: ``LoginServiceError/deliveryFailed`` when a code could not be sent,
    ///   ``PasswordHashingError/overloaded`` when no hashing slot came free in time; storage errors as they come.
    ///   A try that was not answered on its merits does not count as a failure.
    public func login(_ request: LoginRequest, app: ResolvedApp, origin: RequestOrigin) async throws -> LoginOutcome {
        let now = self.environment.clock.now
        var machine = LoginStateMachine(
            request: request,
            app: app,
            address: origin.address,
            now: now,
            secrets: self.environment.secrets,
            generator: self.environment.generator,
            limits: self.environment.limits
        )
        let attempts = self.stores.attempts
        // Hashes run in the address's share of the pool: one address cannot take it from the others. An address
        // with no failures in its window goes first (set once the address is checked): a flood racks up failures,
        // a user logging in has none.
        var lane = HashLane(address: origin.address)
        var action = machine.start()
        do {
            while true {
                switch action {
                case .checkAddress(let address, let since):
                    let (count, oldest) = try await attempts.failures(address: address, since: since)
                    lane.priority = count == 0
                    action = machine.addressChecked(failures: count, oldest: oldest)
                case .loadTransaction(let digest):
                    let transaction = try await self.stores.transactions.transaction(interimTokenDigest: digest)
                    let user = try await transaction.asyncMap { try await self.stores.directory.user(id: $0.userID) } ?? nil
                    action = machine.transactionLoaded(transaction, user: user)
                case .loadSession(let digest):
                    let record = try await self.stores.accessTokens.accessToken(digest: digest)
                    let user = try await record.asyncMap { try await self.stores.directory.user(id: $0.userID) } ?? nil
                    action = machine.sessionLoaded(record, user: user)
                case .loadTrustedDevice(let digest):
                    action = machine.trustedDeviceLoaded(try await self.stores.devices.trustedDevice(digest: digest))
                case .checkAccount(let account):
                    let counts = try await attempts.counts(account)
                    let lockedUntil = try await attempts.lockedUntil(companyID: account.companyID, usernameKey: account.usernameKey, now: now)
                    action = machine.accountChecked(counts, lockedUntil: lockedUntil)
                case .loadUser(let companyID, let usernameKey):
                    action = machine.userLoaded(try await self.stores.directory.user(companyID: companyID, usernameKey: usernameKey))
                case .reserveAttempt(let attempt, let limits):
                    action = machine.attemptReserved(try await attempts.reserveAttempt(attempt, limits: limits))
                case .verifyPassword(let password, let hash, let trusted):
                    lane.trusted = trusted
                    let matches = try await self.environment.hasher.verify(password, against: hash, lane: lane)
                    action = machine.passwordVerified(matches: matches)
                case .verifyDummy(let password):
                    try await self.environment.hasher.verifyDummy(password, lane: lane)
                    action = machine.passwordVerified(matches: false)
                case .apply(let decision):
                    action = machine.decisionApplied(try await self.apply(decision, origin: origin))
                case .confirmReauthentication(let presented, let issued):
                    // Ended, not merely expired: a token that ran out during the code step still names a live
                    // session, and a session that ended is ended whole (the fresh token with it).
                    let live = try await self.stores.accessTokens.accessToken(digest: presented).map { $0.revokedAt == nil } ?? false
                    if !live { _ = try await self.stores.accessTokens.revoke(digest: issued, at: now) }
                    action = machine.reauthenticationConfirmed(live: live)
                case .seeDevice(let userID):
                    let device = DeviceFingerprint(userAgent: origin.userAgent, address: origin.address)
                    let key = device.key(self.environment.secrets, userID: userID)
                    action = machine.deviceSeen(try await self.stores.devices.seeDevice(userID: userID, key: key, at: now))
                case .noticeNewDevice(let companyID, let usernameKey):
                    try await self.stores.messages.enqueue(
                        .notice(.newDevice, companyID: companyID, usernameKey: usernameKey, app: app, origin: origin, at: now)
                    )
                    action = machine.newDeviceNoticed()
                case .forgetAttempt(let id):
                    try await attempts.forgetAttempt(id: id)
                    action = machine.attemptForgotten()
                case .recordFailure(let attempt, let pairSince, let accountSince):
                    action = machine.failureRecorded(try await attempts.recordAttempt(attempt, pairSince: pairSince, accountSince: accountSince))
                case .countFailures(let account):
                    action = machine.failuresCounted(try await attempts.counts(account))
                case .lock(let companyID, let usernameKey, let until, let lockedAt):
                    action = machine.accountLocked(
                        newly: try await attempts.lock(companyID: companyID, usernameKey: usernameKey, until: until, now: lockedAt)
                    )
                case .noticeLock(let companyID, let usernameKey, _):
                    // Queued for unknown usernames too: the worker drops those, and the request did the same work.
                    try await self.stores.messages.enqueue(
                        .notice(.accountLocked, companyID: companyID, usernameKey: usernameKey, app: app, origin: origin, at: now)
                    )
                    action = machine.lockNoticed()
                case .answer(let outcome, let audit):
                    for entry in audit {
                        await self.stores.audit.record(entry.kind, at: now, app: app, userID: entry.userID, client: origin, outcome: entry.outcome)
                    }
                    return outcome
                }
            }
        } catch {
            if let reservation = machine.errorCaught() { try? await attempts.forgetAttempt(id: reservation) }
            throw error
        }
    }

    /// Stores the decision's effects in an order that never hands out what was not stored; `false` on a
    /// concurrent change of the transaction.
    private func apply(_ decision: LoginDecision, origin: RequestOrigin) async throws -> Bool {
        if let spent = decision.spentAuthenticatorStep {
            // First, so a replayed authenticator code changes nothing; the replay then sees the step spent.
            guard try await self.stores.directory.spendAuthenticatorStep(userID: spent.userID, step: spent.step) else { return false }
        }
        let transactions = self.stores.transactions
        switch decision.transaction {
        case .none:
            break
        case .insert(let transaction):
            try await transactions.insert(transaction)
        case .update(let transaction, let expectedVersion):
            guard try await transactions.update(transaction, expectedVersion: expectedVersion) else { return false }
        case .delete(let id, let expectedVersion):
            guard try await transactions.delete(id: id, expectedVersion: expectedVersion) else { return false }
        }
        if let ticket = decision.ticket {
            try await self.stores.tickets.insert(ticket)
        }
        if let issued = decision.accessToken {
            var record = issued.record
            record.address = origin.address
            record.userAgent = origin.userAgent
            guard try await self.stores.accessTokens.insert(record) else { throw LoginServiceError.appKeyRevoked }
        }
        if let refresh = decision.refreshToken {
            guard try await self.stores.refreshTokens.insert(refresh.record) else { throw LoginServiceError.appKeyRevoked }
        }
        if let device = decision.trustedDevice {
            var record = device.record
            record.label = DeviceFingerprint(userAgent: origin.userAgent, address: origin.address).family
            record.address = origin.address
            guard try await self.stores.devices.insert(record) else { throw LoginServiceError.appKeyRevoked }
        }
        if let used = decision.usedTrustedDevice {
            try await self.stores.devices.touchTrustedDevice(id: used, at: self.environment.clock.now)
        }
        if let issued = decision.accessToken {
            // The account is in use: its user expiry counts from now.
            try await self.stores.directory.recordSignIn(userID: issued.record.userID, at: issued.record.issuedAt)
        }
        if let message = decision.message {
            do {
                try await self.environment.sender.send(message)
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
        _ = try? await self.stores.transactions.update(cleared, expectedVersion: stored.version)
    }
}

/// Failures of the login flow that are not an answer of the contract.
public enum LoginServiceError: Error, Equatable {
    /// The verification code could not be handed to its channel. No code counts as sent; `interimToken`, when
    /// set, continues the same login on a retry.
    case deliveryFailed(channel: DeliveryChannel, interimToken: String?)
    /// The app key was revoked while this node still held it in its cache: no token was stored, and the
    /// request is answered as for a revoked key.
    case appKeyRevoked
}

extension AttemptStore {
    /// The failures of an account from the query's address and from anywhere, in the query's windows.
    func counts(_ account: LoginStateMachine.AccountQuery) async throws -> AttemptCounts {
        try await self.counts(
            companyID: account.companyID,
            usernameKey: account.usernameKey,
            address: account.address,
            pairSince: account.pairSince,
            accountSince: account.accountSince
        )
    }
}

extension Optional {
    /// The async `map`: `nil` stays `nil`.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
