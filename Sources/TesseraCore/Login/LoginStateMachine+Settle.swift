import Foundation

/// After the decision is stored: the failure counters, the lock, and the audit events the answer comes with.
extension LoginStateMachine {
    /// Decides what follows a stored decision: keep or forget the reserved attempt, count a failure, lock.
    mutating func settle() -> Action {
        guard let decision else { preconditionFailure("settle() follows a decision") }
        self.state = .settling
        var failedPassword = false
        // Only a wrong password is a failed guess: an expired account or an ended session answered a right one.
        if self.reservation != nil, case .failed(.baseAuthentication, .invalidCredentials) = decision.outcome { failedPassword = true }
        let hasAccount = self.account != nil
        var signedIn = false
        if case .succeeded = decision.outcome { signedIn = decision.reauthentication == nil }
        self.settlement = Settlement(
            forgetReservation: self.reservation != nil && !failedPassword,
            recordFailure: decision.countsAsFailure && hasAccount,
            checkLock: (failedPassword || decision.countsAsFailure) && hasAccount,
            seeDevice: signedIn && self.app.company.policy.devices.newDeviceNotices
        )
        return self.nextSettlement()
    }

    mutating func nextSettlement() -> Action {
        guard let account else { return self.answer() }
        if self.settlement.forgetReservation, let reservation {
            self.settlement.forgetReservation = false
            return .forgetAttempt(id: reservation.id)
        }
        if self.settlement.recordFailure {
            self.settlement.recordFailure = false
            let failure = LoginAttempt(
                id: self.generator.token(),
                companyID: self.app.company.id,
                usernameKey: account.usernameKey,
                address: self.address,
                at: self.now
            )
            return .recordFailure(failure, pairSince: self.guardian.pairSince(self.now), accountSince: self.guardian.accountSince(self.now))
        }
        if self.settlement.checkLock {
            self.settlement.checkLock = false
            return .countFailures(self.query(account.usernameKey))
        }
        if self.settlement.seeDevice, let user = account.user {
            self.settlement.seeDevice = false
            return .seeDevice(userID: user.id)
        }
        return self.answer()
    }

    mutating func lockIfNeeded(_ counts: AttemptCounts) -> Action {
        guard let account, self.guardian.shouldLock(counts) else { return self.nextSettlement() }
        self.lockedAfter = counts.account
        return .lock(
            companyID: self.app.company.id,
            usernameKey: account.usernameKey,
            until: self.now.addingTimeInterval(self.guardian.policy.accountLockDuration),
            now: self.now
        )
    }

    /// The answer of the stored decision, with its audit events.
    mutating func answer() -> Action {
        guard let decision else { preconditionFailure("answer() follows a decision") }
        return self.answer(decision.outcome, message: decision.message)
    }

    mutating func answer(_ outcome: LoginOutcome, message: OutgoingMessage? = nil) -> Action {
        let userID = self.account?.user?.id
        switch outcome {
        case .succeeded(_, _, let deviceToken):
            let reauthenticated = self.decision?.reauthentication != nil
            if let used = self.decision?.usedTrustedDevice {
                self.audit.append(LoginAuditEntry(.loginStep, userID: userID, outcome: "VerificationCode: skipped for remembered device \(used)"))
            }
            self.audit.append(LoginAuditEntry(.loginSucceeded, userID: userID, outcome: reauthenticated ? "re-authenticated" : "success"))
            self.audit.append(LoginAuditEntry(.tokenIssued, userID: userID, outcome: nil))
            if deviceToken != nil, let device = self.decision?.trustedDevice {
                self.audit.append(LoginAuditEntry(.deviceRemembered, userID: userID, outcome: "device \(device.record.id)"))
            }
        case .expecting(let step, let reason, _, _):
            self.audit.append(LoginAuditEntry(.loginStep, userID: userID, outcome: "\(step.rawValue): \(reason.rawValue)"))
        case .failed(let step, let reason):
            self.audit.append(LoginAuditEntry(.loginFailed, userID: userID, outcome: "\(step.rawValue): \(reason.rawValue)"))
        case .throttled:
            break
        }
        if let message {
            self.audit.append(LoginAuditEntry(.codeSent, userID: message.userID, outcome: message.channel.rawValue))
        }
        self.state = .finished
        return .answer(outcome, audit: self.audit)
    }
}
