import Foundation

/// Password and PIN reset by a code sent to the user: the question, the request, the redemption.
extension CredentialService {
    /// `GET /v1.0/users/password/secret-question`: the user's question, or `nil` when there is none — and for an
    /// unknown user, who is treated as one without a question.
    public func secretQuestion(username: String, app: ResolvedApp) async throws -> String? {
        guard Username.isAcceptable(username),
            let user = try await self.directory.user(companyID: app.company.id, usernameKey: Username.key(username)),
            !user.isDisabled
        else { return nil }
        return user.secretQuestion
    }

    /// `POST /v1.0/users/password/reset`: queues a reset code when the answer is right (or no question is set), at
    /// most one a minute per account.
    ///
    /// Nothing is sent inside the request: it claims the account's sending window and queues one message, the same
    /// work for a real user and for an unknown or disabled one, whose message the worker drops. So neither the
    /// answer, nor its latency, nor a failed delivery tells who exists. Wrong answers count against the reset
    /// path's own budget: they throttle resets of the account, never its logins.
    public func requestReset(username: String, answer: String?, app: ResolvedApp, client: RequestOrigin) async throws {
        guard Username.isAcceptable(username) else { return }
        let now = self.clock.now
        let usernameKey = Username.key(username)
        let found = try await self.directory.resetProfile(companyID: app.company.id, usernameKey: usernameKey)
        let user = found.flatMap { $0.isDisabled ? nil : $0 }
        if let user, let expected = user.secretAnswerDigest {
            let given = answer.map { self.secrets.secretAnswerDigest($0, userID: user.userID) } ?? ""
            let attempt = LoginAttempt(
                id: self.generator.token(),
                companyID: app.company.id,
                usernameKey: usernameKey,
                address: client.address,
                at: now,
                scope: .reset
            )
            let judgement = try await self.attempts.judge(attempt, limits: self.answerLimits(app, now: now)) {
                SecretDigest.constantTimeEquals(given, expected)
            }
            switch judgement {
            case .right:
                break
            case .wrong:
                await self.record(.resetRequested, app: app, userID: user.userID, client: client, outcome: "incorrect answer")
                throw CredentialError.incorrectAnswer
            case .refused:
                await self.record(.resetThrottled, app: app, userID: user.userID, client: client, outcome: "too many wrong answers")
                throw CredentialError.incorrectAnswer
            }
        }
        // From here on the same for every name.
        guard
            try await self.resetCodes.claimResetWindow(
                companyID: app.company.id,
                usernameKey: usernameKey,
                now: now,
                interval: self.limits.resendInterval
            )
        else {
            await self.record(.resetRequested, app: app, userID: user?.userID, client: client, outcome: "within the minute of the last")
            return
        }
        try await self.stores.messages.enqueue(
            NewQueuedMessage(
                kind: .resetCode,
                companyID: app.company.id,
                usernameKey: usernameKey,
                appKeyID: app.appKey.id,
                address: client.address,
                requestID: client.requestID,
                createdAt: now
            )
        )
        await self.record(.resetRequested, app: app, userID: user?.userID, client: client, outcome: "queued")
    }

    /// The reset path's budget for secret answers: per account and address, per account, and per address, counted
    /// apart from logins.
    func answerLimits(_ app: ResolvedApp, now: Date) -> AttemptLimits {
        let guardian = BruteForceGuard(policy: app.company.policy.lockout)
        return AttemptLimits(
            pairSince: guardian.pairSince(now),
            pairLimit: Self.answerPairLimit,
            accountSince: guardian.accountSince(now),
            accountLimit: Self.answerAccountLimit,
            addressSince: guardian.addressSince(now),
            addressLimit: app.company.policy.lockout.addressFailureLimit
        )
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
            at: now,
            scope: .reset
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
}
