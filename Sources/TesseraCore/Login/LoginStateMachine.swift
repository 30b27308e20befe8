import Foundation

/// The `/token` flow as a state machine without I/O: every rule of the flow and of the three layers against
/// guessing lives here.
///
/// The caller feeds it events and performs the actions it returns, one at a time, until `.answer`: check the
/// address's budget, load a transaction or a user, reserve an attempt, verify a password (or spend the time of
/// one), make the ``LoginDecision`` durable, settle the failure counters and the lock, and record the audit events
/// the answer comes with. The time is taken once, when the request arrives.
///
/// ```swift
/// var machine = LoginStateMachine(request: request, app: app, address: origin.address, now: clock.now, secrets: secrets)
/// var action = machine.start()
/// while true {
///     switch action {
///     case .checkAddress(let address, let since):
///         let (count, oldest) = try await attempts.failures(address: address, since: since)
///         action = machine.addressChecked(failures: count, oldest: oldest)
///     // … one case per action, each feeding its result back …
///     case .answer(let outcome, let audit): return outcome
///     }
/// }
/// ```
public struct LoginStateMachine: Sendable {
    /// What the caller must do next.
    public enum Action: Sendable, Equatable {
        /// Layer 3, before anything else: count the address's failures across accounts since `since`
        /// (``addressChecked(failures:oldest:)``).
        case checkAddress(address: String, since: Date)
        /// Load the transaction whose interim token has this digest, and its user (``transactionLoaded(_:user:)``).
        case loadTransaction(interimTokenDigest: String)
        /// The bearer with the password is no interim token: load the access token it may be, and its user, for a
        /// re-authentication of that session (``sessionLoaded(_:user:)``).
        case loadSession(accessTokenDigest: String)
        /// Load the remembered device of the request's `DeviceToken` (``trustedDeviceLoaded(_:)``).
        case loadTrustedDevice(digest: String)
        /// Layers 1 and 2 for a step after the password: the account's failures and its lock
        /// (``accountChecked(_:lockedUntil:)``).
        case checkAccount(AccountQuery)
        /// Load the user with this username key in the company, if there is one (``userLoaded(_:)``).
        case loadUser(companyID: Int64, usernameKey: String)
        /// Decide all three layers for the password attempt in one atomic step (``attemptReserved(_:)``).
        case reserveAttempt(LoginAttempt, AttemptLimits)
        /// Verify the password against the user's slow hash (``passwordVerified(matches:)``); `trusted` when the
        /// request comes with the user's remembered device, which gets the pool's reserved turns.
        case verifyPassword(password: String, hash: String, trusted: Bool)
        /// Spend the time of one verification without a user, so the answer's timing tells nothing
        /// (``passwordVerified(matches:)`` with `false`).
        case verifyDummy(password: String)
        /// Make the decision durable in the order that never hands out what was not stored
        /// (``decisionApplied(_:)``: `false` when another request changed the transaction first).
        case apply(LoginDecision)
        /// A re-authentication was stored: check that the token it was asked with is still live, and if not revoke
        /// the one just issued (``reauthenticationConfirmed(live:)``).
        case confirmReauthentication(presentedDigest: String, issuedDigest: String)
        /// The reserved attempt did not turn out a failure: forget it (``attemptForgotten()``).
        case forgetAttempt(id: String)
        /// Record a failure that was not reserved (a wrong code or PIN, another password resent) and count the
        /// account's failures with it (``failureRecorded(_:)``).
        case recordFailure(LoginAttempt, pairSince: Date, accountSince: Date)
        /// Count the account's failures, to decide on a lock (``failuresCounted(_:)``).
        case countFailures(AccountQuery)
        /// Lock the account until `until` (``accountLocked(newly:)``).
        case lock(companyID: Int64, usernameKey: String, until: Date, now: Date)
        /// Tell the account's user, if there is one, that it was locked (``lockNoticed()``).
        case noticeLock(companyID: Int64, usernameKey: String, userID: Int64?)
        /// Record the device of the request (its user agent family and network) as seen for the user now
        /// (``deviceSeen(_:)``).
        case seeDevice(userID: Int64)
        /// Tell the user they signed in from a new device (``newDeviceNoticed()``).
        case noticeNewDevice(companyID: Int64, usernameKey: String)
        /// Record `audit` (in order) and answer `outcome`. The machine is finished.
        case answer(LoginOutcome, audit: [LoginAuditEntry])
    }

    /// An account (a username key of the company, whether or not such a user exists) from the request's address,
    /// with the windows its failures are counted in.
    public struct AccountQuery: Sendable, Equatable {
        public var companyID: Int64
        public var usernameKey: String
        public var address: String
        public var pairSince: Date
        public var accountSince: Date
    }

    enum State: Sendable {
        case initial
        case checkingAddress
        case loadingTransaction
        case loadingSession
        case loadingDevice(usernameKey: String, password: String)
        case checkingAccount(LoginTransaction, User)
        case loadingUser(usernameKey: String, password: String)
        case reserving(LoginAttempt, password: String)
        case verifying(password: String, refused: Bool)
        case applying
        case confirming
        case settling
        case finished
    }

    /// The account the request is about, once known.
    struct Account: Sendable {
        var usernameKey: String
        var user: User?
    }

    /// What is left to do after the decision is stored.
    struct Settlement: Sendable {
        var forgetReservation = false
        var recordFailure = false
        var checkLock = false
        var seeDevice = false
    }

    var state: State = .initial
    let request: LoginRequest
    let app: ResolvedApp
    let address: String
    let now: Date
    let secrets: KeyedDigester
    let generator: any SecretGenerator
    let limits: LoginLimits
    let guardian: BruteForceGuard

    var account: Account?
    /// The password attempt recorded against the account until the password proves right.
    var reservation: LoginAttempt?
    var decision: LoginDecision?
    var settlement = Settlement()
    var audit: [LoginAuditEntry] = []
    /// Times another request changed the transaction first, so this one was replayed.
    var conflicts = 0
    /// The step of the last transaction seen, for the answer when replays run out.
    var lastStep = LoginStep.baseAuthentication
    /// The account's failures when it was locked, for the audit event.
    var lockedAfter = 0
    /// The remembered device of the request's `DeviceToken`, when there is a live one of this app.
    var trustedDevice: TrustedDevice?
    /// The session a bearer with a password re-authenticates.
    var reauthentication: Reauthentication?

    /// How often a request is replayed when another request changed its transaction first.
    public static let conflictRetries = 3

    public init(
        request: LoginRequest,
        app: ResolvedApp,
        address: String,
        now: Date,
        secrets: KeyedDigester,
        generator: any SecretGenerator = SecureRandom(),
        limits: LoginLimits = LoginLimits()
    ) {
        self.request = request
        self.app = app
        self.address = address
        self.now = now
        self.secrets = secrets
        self.generator = generator
        self.limits = limits
        self.guardian = BruteForceGuard(policy: app.company.policy.lockout)
    }

    // MARK: Events

    /// The request arrived: its address's budget is checked before anything else is looked at.
    public mutating func start() -> Action {
        guard case .initial = self.state else { preconditionFailure("start() is the first event") }
        self.state = .checkingAddress
        return .checkAddress(address: self.address, since: self.guardian.addressSince(self.now))
    }

    /// The address's failures across accounts in its window, and the oldest of them.
    public mutating func addressChecked(failures count: Int, oldest: Date?) -> Action {
        guard case .checkingAddress = self.state else { preconditionFailure("addressChecked() answers checkAddress") }
        if let retryAfter = self.guardian.retryAfter(addressFailures: count, oldest: oldest, now: self.now) {
            return self.throttle(retryAfter: retryAfter)
        }
        if let interim = self.request.interimToken {
            guard interim.utf8.count <= self.limits.maximumCredentialLength else {
                return self.finish(.failed(step: self.stepOfMissingTicket, reason: .corruptedTicket))
            }
            self.state = .loadingTransaction
            return .loadTransaction(interimTokenDigest: SecretDigest.sha256(interim))
        }
        // A verification code always belongs to a transaction.
        if self.request.verificationCode != nil {
            return self.finish(.failed(step: .verificationCode, reason: .corruptedTicket))
        }
        guard let username = self.request.username, let password = self.request.password,
            username.utf8.count <= Username.maximumLength, Username.isAcceptable(username),
            password.utf8.count <= self.limits.maximumCredentialLength
        else {
            return self.finish(.failed(step: .baseAuthentication, reason: .invalidCredentials))
        }
        let usernameKey = Username.key(username)
        if let device = self.request.deviceToken, self.app.company.policy.devices.trustedDeviceDays != nil,
            device.utf8.count <= self.limits.maximumCredentialLength
        {
            self.state = .loadingDevice(usernameKey: usernameKey, password: password)
            return .loadTrustedDevice(digest: SecretDigest.sha256(device))
        }
        self.state = .loadingUser(usernameKey: usernameKey, password: password)
        return .loadUser(companyID: self.app.company.id, usernameKey: usernameKey)
    }

    /// The transaction of the interim token was looked up: `nil` when there is none (or its user is gone).
    public mutating func transactionLoaded(_ transaction: LoginTransaction?, user: User?) -> Action {
        guard case .loadingTransaction = self.state else { preconditionFailure("transactionLoaded() answers loadTransaction") }
        self.lastStep = transaction?.step ?? self.lastStep
        if let transaction, let user, transaction.appKeyID == self.app.appKey.id {
            // Layers 1 and 2 hold for every step: a throttled or locked account gets the ordinary answer.
            self.account = Account(usernameKey: user.usernameKey, user: user)
            self.state = .checkingAccount(transaction, user)
            return .checkAccount(self.query(user.usernameKey))
        }
        if transaction == nil, self.conflicts == 0, self.app.company.policy.recentAuthentication != nil,
            self.request.password != nil, self.request.verificationCode == nil, self.request.pin == nil,
            let bearer = self.request.interimToken
        {
            // No login waits behind this bearer: with a password, in a company with step-up, it may be a session's
            // access token asking to re-authenticate.
            self.state = .loadingSession
            return .loadSession(accessTokenDigest: SecretDigest.sha256(bearer))
        }
        return self.continueTransaction(transaction, user: user)
    }

    /// The account's failures and lock, for a step after the password.
    public mutating func accountChecked(_ counts: AttemptCounts, lockedUntil: Date?) -> Action {
        guard case .checkingAccount(let transaction, let user) = self.state else {
            preconditionFailure("accountChecked() answers checkAccount")
        }
        guard self.guardian.allowsContinuing(counts, lockedUntil: lockedUntil) else { return self.block() }
        return self.continueTransaction(transaction, user: user)
    }

    /// The user of the username, or `nil` when the company has none by that name.
    public mutating func userLoaded(_ user: User?) -> Action {
        guard case .loadingUser(let usernameKey, let password) = self.state else { preconditionFailure("userLoaded() answers loadUser") }
        self.account = Account(usernameKey: usernameKey, user: user)
        let attempt = LoginAttempt(
            id: self.generator.token(),
            companyID: self.app.company.id,
            usernameKey: usernameKey,
            address: self.address,
            at: self.now
        )
        self.state = .reserving(attempt, password: password)
        return .reserveAttempt(attempt, self.guardian.limits(at: self.now, countingRefusals: true))
    }

    /// What the reservation found.
    public mutating func attemptReserved(_ reservation: AttemptReservation) -> Action {
        guard case .reserving(let attempt, let password) = self.state else { preconditionFailure("attemptReserved() answers reserveAttempt") }
        switch reservation {
        case .reserved:
            self.reservation = attempt
            self.state = .verifying(password: password, refused: false)
            if let user = self.account?.user {
                let trusted = self.trustedDevice?.vouches(for: user, appKeyID: self.app.appKey.id, at: self.now) ?? false
                return .verifyPassword(password: password, hash: user.passwordHash, trusted: trusted)
            }
            return .verifyDummy(password: password)
        case .refused:
            // Not a try: the time of one verification is spent all the same, and the answer is a wrong password's.
            self.state = .verifying(password: password, refused: true)
            return .verifyDummy(password: password)
        case .addressExhausted(let oldest):
            let retryAfter = self.guardian.retryAfter(addressFailures: Int.max, oldest: oldest, now: self.now) ?? 1
            return self.throttle(retryAfter: retryAfter)
        }
    }

    /// The password was verified (`false` after a dummy verification).
    public mutating func passwordVerified(matches: Bool) -> Action {
        guard case .verifying(let password, let refused) = self.state else {
            preconditionFailure("passwordVerified() answers verifyPassword or verifyDummy")
        }
        if refused { return self.block() }
        return self.continueAfterPassword(password: password, matches: matches)
    }

    /// The decision was stored; `false` when another request changed or ended the transaction first.
    public mutating func decisionApplied(_ applied: Bool) -> Action {
        guard case .applying = self.state else { preconditionFailure("decisionApplied() answers apply") }
        guard applied else {
            // Replay against what the other request left.
            self.conflicts += 1
            if self.conflicts < Self.conflictRetries, let interim = self.request.interimToken {
                self.decision = nil
                self.state = .loadingTransaction
                return .loadTransaction(interimTokenDigest: SecretDigest.sha256(interim))
            }
            self.decision = nil
            return self.answer(.failed(step: self.lastStep, reason: .corruptedTicket))
        }
        if let reauthentication = self.decision?.reauthentication, let issued = self.decision?.accessToken {
            self.state = .confirming
            return .confirmReauthentication(presentedDigest: reauthentication.tokenDigest, issuedDigest: issued.record.digest)
        }
        return self.settle()
    }

    /// The reserved attempt was forgotten.
    public mutating func attemptForgotten() -> Action {
        self.reservation = nil
        return self.nextSettlement()
    }

    /// A failure was recorded; `counts` include it.
    public mutating func failureRecorded(_ counts: AttemptCounts) -> Action {
        self.settlement.checkLock = false
        return self.lockIfNeeded(counts)
    }

    /// The account's failures were counted.
    public mutating func failuresCounted(_ counts: AttemptCounts) -> Action {
        self.lockIfNeeded(counts)
    }

    /// The lock was written; `newly` when the account was not locked already (so the user is told once).
    public mutating func accountLocked(newly: Bool) -> Action {
        guard newly, let account else { return self.nextSettlement() }
        // Recorded (and counted in the metrics) for unknown usernames too, so a lock tells nothing about existence.
        self.audit.append(LoginAuditEntry(.accountLocked, userID: account.user?.id, outcome: "locked after \(self.lockedAfter) failures"))
        return .noticeLock(companyID: self.app.company.id, usernameKey: account.usernameKey, userID: account.user?.id)
    }

    /// The lock notice was handed on.
    public mutating func lockNoticed() -> Action {
        self.nextSettlement()
    }

    /// An action failed: the request is not answered on its merits. Returns the id of a reserved attempt to forget,
    /// so that a try that was never judged (no hashing slot, a code that could not be sent) does not count.
    public mutating func errorCaught() -> String? {
        defer {
            self.state = .finished
            self.reservation = nil
        }
        switch self.state {
        case .verifying, .applying, .confirming: return self.reservation?.id
        default: return nil
        }
    }

    // MARK: Endings

    /// The address has used up its budget: `429`, with nothing checked.
    mutating func throttle(retryAfter: Int) -> Action {
        self.audit.append(LoginAuditEntry(.loginThrottled, userID: nil, outcome: LoginReason.tooManyAttempts.rawValue))
        self.state = .finished
        return .answer(.throttled(retryAfter: retryAfter), audit: self.audit)
    }

    /// A throttled or locked account: the ordinary answer of a wrong password, whatever the password was.
    mutating func block() -> Action {
        self.audit.append(LoginAuditEntry(.loginFailed, userID: self.account?.user?.id, outcome: "blocked: throttled or locked"))
        self.state = .finished
        return .answer(.failed(step: .baseAuthentication, reason: .invalidCredentials), audit: self.audit)
    }

    mutating func finish(_ outcome: LoginOutcome, transaction: LoginDecision.TransactionChange = .none) -> Action {
        self.finish(LoginDecision(outcome: outcome, transaction: transaction))
    }

    /// Stores the decision if it changes anything, then settles.
    mutating func finish(_ decision: LoginDecision) -> Action {
        self.decision = decision
        guard decision.hasEffects else { return self.settle() }
        self.state = .applying
        return .apply(decision)
    }

    func query(_ usernameKey: String) -> AccountQuery {
        AccountQuery(
            companyID: self.app.company.id,
            usernameKey: usernameKey,
            address: self.address,
            pairSince: self.guardian.pairSince(self.now),
            accountSince: self.guardian.accountSince(self.now)
        )
    }
}

/// One audit event a login answers with: the executor adds the time, the app and the request's origin.
public struct LoginAuditEntry: Sendable, Equatable {
    public var kind: AuditKind
    public var userID: Int64?
    public var outcome: String?

    public init(_ kind: AuditKind, userID: Int64?, outcome: String?) {
        self.kind = kind
        self.userID = userID
        self.outcome = outcome
    }
}
