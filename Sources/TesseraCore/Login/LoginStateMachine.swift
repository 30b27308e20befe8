import Foundation

/// The `/token` flow as a state machine without I/O.
///
/// The caller feeds it events and performs the actions it returns: load a transaction, verify a password,
/// and at the end make a ``LoginDecision`` durable and answer with its outcome. Every rule of the flow lives
/// here, so it can be tested as a table of events and actions with a hand-moved clock.
///
/// ```swift
/// var machine = LoginStateMachine(request: request, app: app, secrets: secrets, generator: SecureRandom())
/// var action = machine.start(now: clock.now)
/// // perform `action`, feed the result back with `transactionLoaded` or `passwordChecked`, until `.finish`.
/// ```
public struct LoginStateMachine: Sendable {
    /// What the caller must do next.
    public enum Action: Sendable, Equatable {
        /// Load the transaction whose interim token has this digest, and its user.
        case loadTransaction(interimTokenDigest: String)
        /// Load the user and verify the password with the slow hash (a dummy hash when there is no such user).
        case verifyPassword(username: String, password: String)
        /// Make the decision durable, then answer with its outcome.
        case finish(LoginDecision)
    }

    private enum State: Sendable {
        case initial
        case awaitingTransaction
        case awaitingPassword
        case finished
    }

    private var state: State = .initial
    private let request: LoginRequest
    private let app: ResolvedApp
    private let secrets: KeyedDigester
    private let generator: any SecretGenerator
    private let limits: LoginLimits

    public init(
        request: LoginRequest,
        app: ResolvedApp,
        secrets: KeyedDigester,
        generator: any SecretGenerator,
        limits: LoginLimits = LoginLimits()
    ) {
        self.request = request
        self.app = app
        self.secrets = secrets
        self.generator = generator
        self.limits = limits
    }

    // MARK: Events

    /// The request arrived.
    public mutating func start(now: Date) -> Action {
        precondition(self.state == .initial, "start() is the first event")
        if let interim = self.request.interimToken {
            guard interim.utf8.count <= self.limits.maximumCredentialLength else {
                return self.finish(.failed(step: self.stepOfMissingTicket, reason: .corruptedTicket))
            }
            self.state = .awaitingTransaction
            return .loadTransaction(interimTokenDigest: SecretDigest.sha256(interim))
        }
        // A verification code always belongs to a transaction.
        if self.request.verificationCode != nil {
            return self.finish(.failed(step: .verificationCode, reason: .corruptedTicket))
        }
        guard let username = self.request.username, let password = self.request.password,
            self.isPlausible(username: username), password.utf8.count <= self.limits.maximumCredentialLength
        else {
            return self.finish(.failed(step: .baseAuthentication, reason: .invalidCredentials))
        }
        self.state = .awaitingPassword
        return .verifyPassword(username: Username.canonical(username), password: password)
    }

    /// The transaction of the interim token was looked up: `nil` when there is none.
    public mutating func transactionLoaded(_ transaction: LoginTransaction?, user: User?, now: Date) -> Action {
        precondition(self.state == .awaitingTransaction, "transactionLoaded() answers loadTransaction")
        guard let transaction, let user,
            transaction.appKeyID == self.app.appKey.id,
            transaction.userID == user.id,
            user.companyID == self.app.company.id,
            now < transaction.expiresAt,
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
        return self.advance(transaction, interim: interim, user: user, isNew: false, now: now)
    }

    /// The password was checked: `user` is `nil` when the username is unknown, `matches` whether the slow hash
    /// agreed.
    public mutating func passwordChecked(_ user: User?, matches: Bool, now: Date) -> Action {
        precondition(self.state == .awaitingPassword, "passwordChecked() answers verifyPassword")
        guard let user, matches, !user.isDisabled, user.companyID == self.app.company.id,
            let password = self.request.password
        else {
            return self.finish(.failed(step: .baseAuthentication, reason: .invalidCredentials))
        }
        if user.passwordExpired || self.app.company.policy.passwords.isExpired(changedAt: user.passwordChangedAt, now: now) {
            // The password was right but has run out: only a password-change ticket, no transaction.
            let (token, ticket) = self.ticket(.passwordChange, for: user, now: now)
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
            expiresAt: now.addingTimeInterval(self.limits.interimLifetime)
        )
        return self.advance(transaction, interim: interim, user: user, isNew: true, now: now)
    }

    // MARK: The steps

    /// Runs as many steps as the request's headers allow, from where the transaction stands.
    private mutating func advance(
        _ start: LoginTransaction,
        interim: String,
        user: User,
        isNew: Bool,
        now: Date
    ) -> Action {
        var transaction = start
        var message: OutgoingMessage?
        var spentStep: SpentAuthenticatorStep?
        var current: LoginStep? =
            transaction.step == .baseAuthentication ? self.step(after: .baseAuthentication, for: user) : transaction.step

        /// Keeps the transaction (and sends a code, when one was drawn) and answers `outcome`.
        func keep(_ outcome: LoginOutcome, failure: Bool = false) -> LoginDecision {
            transaction.version = start.version + 1
            let change: LoginDecision.TransactionChange =
                isNew ? .insert(transaction) : .update(transaction, expectedVersion: start.version)
            return LoginDecision(
                outcome: outcome,
                transaction: change,
                message: message,
                countsAsFailure: failure,
                spentAuthenticatorStep: spentStep
            )
        }
        /// Ends the transaction (if it was stored) and answers `outcome`.
        func end(
            _ outcome: LoginOutcome,
            accessToken: IssuedAccessToken? = nil,
            ticket: Ticket? = nil,
            failure: Bool = false
        ) -> LoginDecision {
            let change: LoginDecision.TransactionChange =
                isNew ? .none : .delete(id: start.id, expectedVersion: start.version)
            return LoginDecision(
                outcome: outcome,
                transaction: change,
                accessToken: accessToken,
                ticket: ticket,
                countsAsFailure: failure,
                spentAuthenticatorStep: spentStep
            )
        }
        /// A wrong or expired code: one try spent; the last try ends the transaction.
        func wrongCode() -> LoginDecision {
            transaction.codeFailures += 1
            if transaction.codeFailures >= self.limits.attempts {
                return end(.failed(step: .verificationCode, reason: .invalidCode), failure: true)
            }
            return keep(.expecting(step: .verificationCode, reason: .invalidCode, token: interim), failure: true)
        }

        while let step = current {
            transaction.step = step
            switch step {
            case .baseAuthentication:
                preconditionFailure("BaseAuthentication is passed before a transaction exists")

            case .verificationCode where user.twoFactor == .totp:
                // Nothing is sent: the code comes from the user's authenticator app.
                guard let sealed = user.totpSecret, let secret = self.secrets.openAuthenticatorSecret(sealed, userID: user.id)
                else {
                    return self.finish(end(.failed(step: .verificationCode, reason: .noDeliveryChannel)))
                }
                guard let code = self.request.verificationCode else {
                    return self.finish(keep(.expecting(step: .verificationCode, reason: .expectingAuthenticatorCode, token: interim)))
                }
                guard let step = TOTP(secret: secret).matchingStep(code, at: now, after: user.totpLastStep) else {
                    return self.finish(wrongCode())
                }
                spentStep = SpentAuthenticatorStep(userID: user.id, step: step)
                current = self.step(after: .verificationCode, for: user)

            case .verificationCode:
                guard let code = self.request.verificationCode, let codeDigest = transaction.codeDigest else {
                    if transaction.codeSentAt.map({ now.timeIntervalSince($0) >= self.limits.resendInterval }) ?? true {
                        guard let (channel, destination) = self.deliveryTarget(for: user) else {
                            return self.finish(end(.failed(step: .verificationCode, reason: .noDeliveryChannel)))
                        }
                        let code = self.generator.numericCode(digits: self.limits.codeDigits)
                        transaction.codeDigest = self.secrets.codeDigest(code, transactionID: transaction.id)
                        transaction.codeExpiresAt = now.addingTimeInterval(self.limits.codeLifetime)
                        transaction.codeSentAt = now
                        message = OutgoingMessage(
                            channel: channel,
                            destination: destination,
                            purpose: .login,
                            code: code,
                            userID: user.id
                        )
                    }
                    return self.finish(keep(.expecting(step: .verificationCode, reason: .expectingCode, token: interim)))
                }
                let isLive = transaction.codeExpiresAt.map { now < $0 } ?? false
                let matches = SecretDigest.constantTimeEquals(
                    self.secrets.codeDigest(code, transactionID: transaction.id),
                    codeDigest
                )
                guard isLive && matches else { return self.finish(wrongCode()) }
                transaction.codeDigest = nil
                transaction.codeExpiresAt = nil
                current = self.step(after: .verificationCode, for: user)

            case .securityPin:
                guard let pinDigest = user.pinDigest else {
                    let (token, ticket) = self.ticket(.pinSetup, for: user, now: now)
                    let outcome = LoginOutcome.expecting(step: .securityPin, reason: .pinNotInitialised, token: token)
                    return self.finish(end(outcome, ticket: ticket))
                }
                let hint = user.pinImage.map { PinHint(imageName: $0, phrase: user.pinPhrase) }
                guard let pin = self.request.pin else {
                    return self.finish(keep(.expecting(step: .securityPin, reason: .expectingPin, token: interim, hint: hint)))
                }
                let matches =
                    pin.utf8.count <= self.limits.maximumCredentialLength
                    && SecretDigest.constantTimeEquals(self.secrets.pinDigest(pin, userID: user.id), pinDigest)
                guard matches else {
                    transaction.pinFailures += 1
                    if transaction.pinFailures >= self.limits.attempts {
                        return self.finish(end(.failed(step: .securityPin, reason: .invalidPin), failure: true))
                    }
                    return self.finish(
                        keep(.expecting(step: .securityPin, reason: .invalidPin, token: interim, hint: hint), failure: true)
                    )
                }
                current = self.step(after: .securityPin, for: user)
            }
        }

        let token = self.generator.token()
        let lifetime = min(max(self.app.company.policy.tokenLifetime, 1), CompanyPolicy.maximumTokenLifetime)
        let issued = IssuedAccessToken(
            token: token,
            record: AccessTokenRecord(
                digest: SecretDigest.sha256(token),
                userID: user.id,
                appKeyID: self.app.appKey.id,
                companyID: self.app.company.id,
                issuedAt: now,
                expiresAt: now.addingTimeInterval(TimeInterval(lifetime)),
                sessionID: AccessTokenRecord.sessionID(of: token)
            )
        )
        return self.finish(end(.succeeded(token: token), accessToken: issued))
    }

    /// A new single-purpose ticket for the user: the token for the client and the record to store.
    private func ticket(_ purpose: TicketPurpose, for user: User, now: Date) -> (String, Ticket) {
        let token = self.generator.token()
        let ticket = Ticket(
            digest: SecretDigest.sha256(token),
            userID: user.id,
            appKeyID: self.app.appKey.id,
            purpose: purpose,
            createdAt: now,
            expiresAt: now.addingTimeInterval(self.limits.ticketLifetime)
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
    private func deliveryTarget(for user: User) -> (DeliveryChannel, String)? {
        switch user.twoFactor {
        case .email: return user.email.map { (.email, $0) }
        case .sms: return user.phone.map { (.sms, $0) }
        case .none, .totp: return user.email.map { (.email, $0) } ?? user.phone.map { (.sms, $0) }
        }
    }

    /// The step named in a `Corrupted ticket` answer when the transaction is unknown: the step the request's
    /// headers were meant for.
    private var stepOfMissingTicket: LoginStep {
        if self.request.verificationCode != nil { return .verificationCode }
        if self.request.pin != nil { return .securityPin }
        return .baseAuthentication
    }

    private func isPlausible(username: String) -> Bool {
        username.utf8.count <= Username.maximumLength && Username.isAcceptable(username)
    }

    private mutating func finish(_ outcome: LoginOutcome, transaction: LoginDecision.TransactionChange = .none) -> Action {
        self.finish(LoginDecision(outcome: outcome, transaction: transaction))
    }

    private mutating func finish(_ decision: LoginDecision) -> Action {
        self.state = .finished
        return .finish(decision)
    }
}
