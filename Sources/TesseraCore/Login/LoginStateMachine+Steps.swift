import Foundation

/// The steps of the flow: what a passed password or a loaded transaction leads to.
extension LoginStateMachine {
    /// After the transaction of an interim token (and the account's layers) was checked.
    mutating func continueTransaction(_ found: LoginTransaction?, user: User?) -> Action {
        guard let transaction = found, let user,
            transaction.appKeyID == self.app.appKey.id,
            transaction.userID == user.id,
            user.companyID == self.app.company.id,
            self.now < transaction.expiresAt,
            !user.isDisabled
        else {
            return self.finish(.failed(step: self.stepOfMissingTicket, reason: .corruptedTicket))
        }
        // Resent credentials must be the ones that opened the transaction.
        if let username = self.request.username, Username.key(username) != user.usernameKey {
            return self.finish(.failed(step: transaction.step, reason: .corruptedTicket))
        }
        if let password = self.request.password {
            let proof = self.secrets.passwordProof(password, transactionID: transaction.id)
            guard SecretDigest.constantTimeEquals(proof, transaction.passwordProof) else {
                return self.finish(
                    LoginDecision(
                        outcome: .failed(step: .baseAuthentication, reason: .invalidCredentials),
                        transaction: .delete(id: transaction.id, expectedVersion: transaction.version),
                        countsAsFailure: true
                    )
                )
            }
        }
        guard let interim = self.request.interimToken else {
            preconditionFailure("a transaction is only loaded for an interim token")
        }
        return self.advance(transaction, interim: interim, user: user, isNew: false)
    }

    /// After the slow hash of the password ran (or a dummy one, for an unknown user).
    mutating func continueAfterPassword(password: String, matches: Bool) -> Action {
        guard let user = self.account?.user, matches, !user.isDisabled, user.companyID == self.app.company.id else {
            return self.finish(.failed(step: .baseAuthentication, reason: .invalidCredentials))
        }
        let now = self.now
        if self.app.company.policy.hasExpired(user, at: now) {
            // Unused past the company's user expiry: told only to whoever knows the password, and until an
            // operator enables the account again.
            return self.finish(.failed(step: .baseAuthentication, reason: .accountExpired))
        }
        if user.passwordExpired || self.app.company.policy.passwords.isExpired(changedAt: user.passwordChangedAt, now: now) {
            // The password was right but has run out: only a password-change ticket, no transaction.
            let (token, ticket) = self.ticket(.passwordChange, for: user)
            let outcome = LoginOutcome.expecting(step: .baseAuthentication, reason: .passwordExpired, token: token)
            return self.finish(LoginDecision(outcome: outcome, ticket: ticket))
        }
        let id = self.generator.token()
        let interim = self.generator.token()
        let transaction = LoginTransaction(
            id: id,
            interimTokenDigest: SecretDigest.sha256(interim),
            appKeyID: self.app.appKey.id,
            userID: user.id,
            passwordProof: self.secrets.passwordProof(password, transactionID: id),
            step: .baseAuthentication,
            createdAt: now,
            expiresAt: now.addingTimeInterval(self.limits.interimLifetime),
            reauthentication: self.reauthentication
        )
        return self.advance(transaction, interim: interim, user: user, isNew: true)
    }

    /// Runs as many steps as the request's headers allow, from where the transaction stands.
    private mutating func advance(_ start: LoginTransaction, interim: String, user: User, isNew: Bool) -> Action {
        var step = FlowStep(start: start, interim: interim, isNew: isNew)
        let now = self.now
        var current: LoginStep? =
            start.step == .baseAuthentication ? self.step(after: .baseAuthentication, for: user) : start.step

        while let next = current {
            step.transaction.step = next
            switch next {
            case .baseAuthentication:
                preconditionFailure("BaseAuthentication is passed before a transaction exists")

            case .verificationCode where self.remembered(user) != nil:
                // A device the user had remembered after a sign-in with a code: the code is skipped, nothing else.
                step.usedDevice = self.remembered(user)?.id
                current = self.step(after: .verificationCode, for: user)

            case .verificationCode where user.twoFactor == .totp:
                // Nothing is sent: the code comes from the user's authenticator app.
                guard let sealed = user.totpSecret, let secret = self.secrets.openAuthenticatorSecret(sealed, userID: user.id)
                else {
                    return self.finish(step.end(.failed(step: .verificationCode, reason: .noDeliveryChannel)))
                }
                guard let code = self.request.verificationCode else {
                    return self.finish(step.keep(.expecting(step: .verificationCode, reason: .expectingAuthenticatorCode, token: interim)))
                }
                guard let matched = TOTP(secret: secret).matchingStep(code, at: now, after: user.totpLastStep) else {
                    return self.finish(step.wrongCode(attempts: self.limits.attempts))
                }
                step.spentStep = SpentAuthenticatorStep(userID: user.id, step: matched)
                step.transaction.codeVerified = true
                current = self.step(after: .verificationCode, for: user)

            case .verificationCode:
                guard let code = self.request.verificationCode, let codeDigest = step.transaction.codeDigest else {
                    if step.transaction.codeSentAt.map({ now.timeIntervalSince($0) >= self.limits.resendInterval }) ?? true {
                        guard let (channel, destination) = Self.deliveryTarget(for: user) else {
                            return self.finish(step.end(.failed(step: .verificationCode, reason: .noDeliveryChannel)))
                        }
                        let code = self.generator.numericCode(digits: self.limits.codeDigits)
                        step.transaction.codeDigest = self.secrets.codeDigest(code, transactionID: step.transaction.id)
                        step.transaction.codeExpiresAt = now.addingTimeInterval(self.limits.codeLifetime)
                        step.transaction.codeSentAt = now
                        step.message = OutgoingMessage(
                            channel: channel,
                            destination: destination,
                            purpose: .login,
                            code: code,
                            userID: user.id
                        )
                    }
                    return self.finish(step.keep(.expecting(step: .verificationCode, reason: .expectingCode, token: interim)))
                }
                let isLive = step.transaction.codeExpiresAt.map { now < $0 } ?? false
                let matches = SecretDigest.constantTimeEquals(
                    self.secrets.codeDigest(code, transactionID: step.transaction.id),
                    codeDigest
                )
                guard isLive && matches else { return self.finish(step.wrongCode(attempts: self.limits.attempts)) }
                step.transaction.codeDigest = nil
                step.transaction.codeExpiresAt = nil
                step.transaction.codeVerified = true
                current = self.step(after: .verificationCode, for: user)

            case .securityPin:
                guard let pinDigest = user.pinDigest else {
                    let (token, ticket) = self.ticket(.pinSetup, for: user)
                    let outcome = LoginOutcome.expecting(step: .securityPin, reason: .pinNotInitialised, token: token)
                    return self.finish(step.end(outcome, ticket: ticket))
                }
                let hint = user.pinImage.map { PinHint(imageName: $0, phrase: user.pinPhrase) }
                guard let pin = self.request.pin else {
                    return self.finish(step.keep(.expecting(step: .securityPin, reason: .expectingPin, token: interim, hint: hint)))
                }
                let matches =
                    pin.utf8.count <= self.limits.maximumCredentialLength
                    && SecretDigest.constantTimeEquals(self.secrets.pinDigest(pin, userID: user.id), pinDigest)
                guard matches else {
                    step.transaction.pinFailures += 1
                    if step.transaction.pinFailures >= self.limits.attempts {
                        return self.finish(step.end(.failed(step: .securityPin, reason: .invalidPin), failure: true))
                    }
                    return self.finish(
                        step.keep(.expecting(step: .securityPin, reason: .invalidPin, token: interim, hint: hint), failure: true)
                    )
                }
                current = self.step(after: .securityPin, for: user)
            }
        }

        let token = self.generator.token()
        // A re-authentication renews its session's proof of identity; a login opens a session of its own.
        let reauthentication = step.transaction.reauthentication
        let sessionID = reauthentication?.sessionID ?? AccessTokenRecord.sessionID(of: token)
        let sessionStartedAt = reauthentication?.sessionStartedAt ?? now
        // A login whose code a remembered device skipped proved the second factor when the device was remembered,
        // not now: step-up asks such a session for the code again.
        let provedAt = step.usedDevice == nil ? now : min(self.remembered(user)?.createdAt ?? now, now)
        let issued = IssuedAccessToken.mint(
            token,
            sessionID: sessionID,
            userID: user.id,
            app: self.app,
            sessionStartedAt: sessionStartedAt,
            authenticatedAt: provedAt,
            now: now
        )
        let policy = self.app.company.policy
        // A company that opted into refresh tokens gets one beside the access token (a re-authentication keeps the
        // session's own); the others, ETNA's answer.
        let refresh = policy.refresh.flatMap { refresh in
            reauthentication != nil
                ? nil
                : IssuedRefreshToken.mint(
                    self.generator.token(),
                    sessionID: sessionID,
                    userID: user.id,
                    app: self.app,
                    sessionStartedAt: now,
                    authenticatedAt: provedAt,
                    now: now,
                    policy: refresh
                )
        }
        // A device is remembered when the client asks, the company allows it, and a code was passed just now.
        let device = policy.devices.trustedDeviceDays.flatMap { days in
            self.request.rememberDevice && step.transaction.codeVerified && reauthentication == nil
                ? self.rememberDevice(of: user, days: days) : nil
        }
        var decision = step.end(.succeeded(token: token, refreshToken: refresh?.token, deviceToken: device?.token), accessToken: issued)
        decision.refreshToken = refresh
        decision.reauthentication = reauthentication
        decision.trustedDevice = device
        decision.usedTrustedDevice = step.usedDevice
        return self.finish(decision)
    }

    /// The request's remembered device, when it vouches for `user` through this app now.
    private func remembered(_ user: User) -> TrustedDevice? {
        guard self.app.company.policy.devices.trustedDeviceDays != nil, let device = self.trustedDevice,
            device.vouches(for: user, appKeyID: self.app.appKey.id, at: self.now)
        else { return nil }
        return device
    }

    /// A new remembered device of `user` for `days`; the executor adds the label and address of the request.
    private func rememberDevice(of user: User, days: Int) -> IssuedDeviceToken {
        let token = self.generator.token()
        let record = TrustedDevice(
            id: String(SecretDigest.sha256("device:" + token).prefix(24)),
            digest: SecretDigest.sha256(token),
            userID: user.id,
            appKeyID: self.app.appKey.id,
            companyID: self.app.company.id,
            label: "",
            address: nil,
            createdAt: self.now,
            expiresAt: self.now.addingTimeInterval(TimeInterval(days) * 86_400)
        )
        return IssuedDeviceToken(token: token, record: record)
    }

    /// A new single-purpose ticket for the user: the token for the client and the record to store.
    private func ticket(_ purpose: TicketPurpose, for user: User) -> (String, Ticket) {
        let token = self.generator.token()
        let ticket = Ticket(
            digest: SecretDigest.sha256(token),
            userID: user.id,
            appKeyID: self.app.appKey.id,
            purpose: purpose,
            createdAt: self.now,
            expiresAt: self.now.addingTimeInterval(self.limits.ticketLifetime)
        )
        return (token, ticket)
    }

    // MARK: Policy

    /// The step that follows `step` for this user under the company's policy; `nil` when the login is complete.
    private func step(after step: LoginStep, for user: User) -> LoginStep? {
        let policy = self.app.company.policy
        let needsCode = user.twoFactor != .none || policy.requireTwoFactor
        switch step {
        case .baseAuthentication:
            if needsCode { return .verificationCode }
            return policy.requirePin ? .securityPin : nil
        case .verificationCode:
            return policy.requirePin ? .securityPin : nil
        case .securityPin:
            return nil
        }
    }

    /// Where the user's code goes: their own method, or, when only the company asks for 2-FA, email before SMS.
    private static func deliveryTarget(for user: User) -> (DeliveryChannel, String)? {
        switch user.twoFactor {
        case .email: user.email.map { (.email, $0) }
        case .sms: user.phone.map { (.sms, $0) }
        case .none, .totp: user.email.map { (.email, $0) } ?? user.phone.map { (.sms, $0) }
        }
    }

    /// The step named in a `Corrupted ticket` answer when the transaction is unknown: the step the request's
    /// headers were meant for.
    var stepOfMissingTicket: LoginStep {
        if self.request.verificationCode != nil { return .verificationCode }
        if self.request.pin != nil { return .securityPin }
        return .baseAuthentication
    }
}

/// A transaction on its way through the steps of one request, and how it ends.
private struct FlowStep {
    let start: LoginTransaction
    let interim: String
    let isNew: Bool
    var transaction: LoginTransaction
    var message: OutgoingMessage?
    var spentStep: SpentAuthenticatorStep?
    /// The remembered device that skipped the code.
    var usedDevice: String?

    init(start: LoginTransaction, interim: String, isNew: Bool) {
        self.start = start
        self.interim = interim
        self.isNew = isNew
        self.transaction = start
    }

    /// Keeps the transaction (and sends a code, when one was drawn) and answers `outcome`.
    func keep(_ outcome: LoginOutcome, failure: Bool = false) -> LoginDecision {
        var kept = self.transaction
        kept.version = self.start.version + 1
        return LoginDecision(
            outcome: outcome,
            transaction: self.isNew ? .insert(kept) : .update(kept, expectedVersion: self.start.version),
            message: self.message,
            countsAsFailure: failure,
            spentAuthenticatorStep: self.spentStep
        )
    }

    /// Ends the transaction (if it was stored) and answers `outcome`.
    func end(_ outcome: LoginOutcome, accessToken: IssuedAccessToken? = nil, ticket: Ticket? = nil, failure: Bool = false) -> LoginDecision {
        LoginDecision(
            outcome: outcome,
            transaction: self.isNew ? .none : .delete(id: self.start.id, expectedVersion: self.start.version),
            accessToken: accessToken,
            ticket: ticket,
            countsAsFailure: failure,
            spentAuthenticatorStep: self.spentStep
        )
    }

    /// A wrong or expired code: one try spent; the last try ends the transaction.
    mutating func wrongCode(attempts: Int) -> LoginDecision {
        self.transaction.codeFailures += 1
        if self.transaction.codeFailures >= attempts {
            return self.end(.failed(step: .verificationCode, reason: .invalidCode), failure: true)
        }
        return self.keep(.expecting(step: .verificationCode, reason: .invalidCode, token: self.interim), failure: true)
    }
}
