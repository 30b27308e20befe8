import Foundation
import Testing

@testable import TesseraCore

/// The `/token` flow as a table of events and the actions they must produce.
@Suite struct LoginStateMachineTests {
    static let key = try! ServerKey(bytes: Array(repeating: 7, count: 32))
    static let secrets = KeyedDigester(key: key)
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func app(_ policy: CompanyPolicy = CompanyPolicy(), appKeyID: Int64 = 10, companyID: Int64 = 1) -> ResolvedApp {
        ResolvedApp(
            appKey: AppKey(id: appKeyID, companyID: companyID, name: "terminal", digest: "d", createdAt: t0),
            company: Company(id: companyID, name: "acme", policy: policy)
        )
    }

    static func user(_ twoFactor: TwoFactorMethod = .none, pin: String? = nil, disabled: Bool = false) -> User {
        User(
            id: 5,
            companyID: 1,
            username: "Alice",
            passwordHash: "hash:pw",
            email: "alice@example.com",
            phone: "+15550001111",
            twoFactor: twoFactor,
            pinDigest: pin.map { secrets.pinDigest($0, userID: 5) },
            addedAt: t0,
            disabledAt: disabled ? t0 : nil
        )
    }

    static func machine(
        _ request: LoginRequest,
        policy: CompanyPolicy = CompanyPolicy(),
        app: ResolvedApp? = nil,
        generator: CountingGenerator = CountingGenerator(),
        now: Date = t0
    ) -> LoginStateMachine {
        LoginStateMachine(request: request, app: app ?? Self.app(policy), address: "192.0.2.1", now: now, secrets: secrets, generator: generator)
    }

    /// What the world answers the machine's actions with.
    struct Script {
        var addressFailures = 0
        var oldest: Date?
        var transaction: LoginTransaction?
        var user: User?
        var counts = AttemptCounts(pair: 0, account: 0)
        var lockedUntil: Date?
        var reservation = AttemptReservation.reserved
        var matches = true
        /// What each `apply` answers, in turn (then `true`).
        var applied: [Bool] = []
        /// The counts after a failure was recorded or when failures are counted for a lock.
        var countsAfter: AttemptCounts?
        var newlyLocked = true
        /// The access token (and its user) a bearer with a password turns out to be, for a re-authentication.
        var session: AccessTokenRecord?
        /// The remembered device of the request's `DeviceToken`.
        var device: TrustedDevice?
        var sessionLive = true
        var sighting = DeviceSighting(previouslySeenAt: nil, knownDevices: 0)
    }

    /// A run of the machine to its answer.
    struct Run {
        var actions: [LoginStateMachine.Action] = []
        var decision: LoginDecision?
        var outcome: LoginOutcome?
        var audit: [LoginAuditEntry] = []

        /// The names of the actions, for table rows.
        var steps: [String] {
            self.actions.map { action in
                switch action {
                case .checkAddress: "checkAddress"
                case .loadTransaction: "loadTransaction"
                case .loadSession: "loadSession"
                case .loadTrustedDevice: "loadTrustedDevice"
                case .confirmReauthentication: "confirmReauthentication"
                case .seeDevice: "seeDevice"
                case .noticeNewDevice: "noticeNewDevice"
                case .checkAccount: "checkAccount"
                case .loadUser: "loadUser"
                case .reserveAttempt: "reserveAttempt"
                case .verifyPassword: "verifyPassword"
                case .verifyDummy: "verifyDummy"
                case .apply: "apply"
                case .forgetAttempt: "forgetAttempt"
                case .recordFailure: "recordFailure"
                case .countFailures: "countFailures"
                case .lock: "lock"
                case .noticeLock: "noticeLock"
                case .answer: "answer"
                }
            }
        }
    }

    /// Drives `machine` from its start to its answer, answering each action from `script`.
    static func run(_ machine: inout LoginStateMachine, _ script: Script, from first: LoginStateMachine.Action? = nil) -> Run {
        var script = script
        var run = Run()
        var action = first ?? machine.start()
        while true {
            run.actions.append(action)
            switch action {
            case .checkAddress: action = machine.addressChecked(failures: script.addressFailures, oldest: script.oldest)
            case .loadTransaction: action = machine.transactionLoaded(script.transaction, user: script.user)
            case .loadSession: action = machine.sessionLoaded(script.session, user: script.user)
            case .loadTrustedDevice: action = machine.trustedDeviceLoaded(script.device)
            case .confirmReauthentication: action = machine.reauthenticationConfirmed(live: script.sessionLive)
            case .seeDevice: action = machine.deviceSeen(script.sighting)
            case .noticeNewDevice: action = machine.newDeviceNoticed()
            case .checkAccount: action = machine.accountChecked(script.counts, lockedUntil: script.lockedUntil)
            case .loadUser: action = machine.userLoaded(script.user)
            case .reserveAttempt: action = machine.attemptReserved(script.reservation)
            case .verifyPassword: action = machine.passwordVerified(matches: script.matches)
            case .verifyDummy: action = machine.passwordVerified(matches: false)
            case .apply(let decision):
                run.decision = decision
                action = machine.decisionApplied(script.applied.isEmpty ? true : script.applied.removeFirst())
            case .forgetAttempt: action = machine.attemptForgotten()
            case .recordFailure:
                action = machine.failureRecorded(
                    script.countsAfter ?? AttemptCounts(pair: script.counts.pair + 1, account: script.counts.account + 1)
                )
            case .countFailures: action = machine.failuresCounted(script.countsAfter ?? script.counts)
            case .lock: action = machine.accountLocked(newly: script.newlyLocked)
            case .noticeLock: action = machine.lockNoticed()
            case .answer(let outcome, let audit):
                run.decision = run.decision ?? machine.decision
                run.outcome = outcome
                run.audit = audit
                return run
            }
        }
    }

    static func run(
        _ request: LoginRequest,
        policy: CompanyPolicy = CompanyPolicy(),
        generator: CountingGenerator = CountingGenerator(),
        now: Date = t0,
        _ script: Script
    ) -> Run {
        var machine = Self.machine(request, policy: policy, generator: generator, now: now)
        return Self.run(&machine, script)
    }

    /// Runs a first request through password verification with `user` and returns the decision.
    static func firstRequest(
        _ request: LoginRequest,
        user: User = user(),
        policy: CompanyPolicy = CompanyPolicy(),
        generator: CountingGenerator = CountingGenerator(),
        now: Date = t0
    ) -> LoginDecision? {
        Self.run(request, policy: policy, generator: generator, now: now, Script(user: user)).decision
    }

    /// Runs a later request of `transaction` and returns the decision.
    static func laterRequest(
        _ request: LoginRequest,
        transaction: LoginTransaction?,
        user: User?,
        policy: CompanyPolicy = CompanyPolicy(),
        app: ResolvedApp? = nil,
        generator: CountingGenerator = CountingGenerator(),
        now: Date = t0
    ) -> LoginDecision? {
        var machine = Self.machine(request, policy: policy, app: app, generator: generator, now: now)
        return Self.run(&machine, Script(transaction: transaction, user: user)).decision
    }

    /// A transaction waiting for the code `123456` (sent at t0), as a first 2-FA request leaves it.
    static func waitingForCode(policy: CompanyPolicy = CompanyPolicy()) -> LoginTransaction {
        let decision = firstRequest(LoginRequest(username: "alice", password: "pw"), user: user(.email), policy: policy)
        guard case .insert(let transaction) = decision?.transaction else { fatalError("expected a new transaction") }
        return transaction
    }

    // MARK: The first request

    struct StartCase: CustomTestStringConvertible, Sendable {
        var name: String
        var request: LoginRequest
        /// The action after the address check.
        var expected: LoginStateMachine.Action
        var testDescription: String { self.name }
    }

    static let invalid = LoginStateMachine.Action.answer(
        .failed(step: .baseAuthentication, reason: .invalidCredentials),
        audit: [LoginAuditEntry(.loginFailed, userID: nil, outcome: "BaseAuthentication: Invalid credentials")]
    )

    static let startCases: [StartCase] = [
        StartCase(
            name: "username and password: load the user",
            request: LoginRequest(username: "alice", password: "pw"),
            expected: .loadUser(companyID: 1, usernameKey: "alice")
        ),
        StartCase(
            name: "NFD username is looked up in NFC, case-folded",
            request: LoginRequest(username: "Jose\u{301}", password: "pw"),
            expected: .loadUser(companyID: 1, usernameKey: "jos\u{e9}")
        ),
        StartCase(
            name: "interim token: load its transaction",
            request: LoginRequest(interimToken: "abc"),
            expected: .loadTransaction(interimTokenDigest: SecretDigest.sha256("abc"))
        ),
        StartCase(
            name: "a code without an interim token is a corrupted ticket",
            request: LoginRequest(username: "alice", password: "pw", verificationCode: "123456"),
            expected: .answer(
                .failed(step: .verificationCode, reason: .corruptedTicket),
                audit: [LoginAuditEntry(.loginFailed, userID: nil, outcome: "VerificationCode: Corrupted ticket")]
            )
        ),
        StartCase(name: "no password", request: LoginRequest(username: "alice"), expected: invalid),
        StartCase(name: "no username", request: LoginRequest(password: "pw"), expected: invalid),
        StartCase(
            name: "empty strings count as absent",
            request: LoginRequest(username: "", password: "", verificationCode: "", pin: "", interimToken: ""),
            expected: invalid
        ),
        StartCase(
            name: "a 10 kB password is never hashed",
            request: LoginRequest(username: "alice", password: String(repeating: "p", count: 10_000)),
            expected: invalid
        ),
        StartCase(
            name: "a 10 kB username is never looked up",
            request: LoginRequest(username: String(repeating: "u", count: 10_000), password: "pw"),
            expected: invalid
        ),
        StartCase(
            name: "a 10 kB interim token is a corrupted ticket",
            request: LoginRequest(pin: "1234", interimToken: String(repeating: "t", count: 10_000)),
            expected: .answer(
                .failed(step: .securityPin, reason: .corruptedTicket),
                audit: [LoginAuditEntry(.loginFailed, userID: nil, outcome: "SecutityPin: Corrupted ticket")]
            )
        ),
    ]

    @Test(arguments: startCases)
    func start(_ testCase: StartCase) {
        var machine = Self.machine(testCase.request)
        #expect(machine.start() == .checkAddress(address: "192.0.2.1", since: Self.t0.addingTimeInterval(-3600)))
        #expect(machine.addressChecked(failures: 0, oldest: nil) == testCase.expected)
    }

    // MARK: The three layers, as rows

    struct LayerCase: CustomTestStringConvertible, Sendable {
        var name: String
        var request = LoginRequest(username: "alice", password: "pw")
        var script: Script
        var steps: [String]
        var outcome: LoginOutcome
        var audit: [AuditKind]
        var testDescription: String { self.name }
    }

    static let failed = LoginOutcome.failed(step: .baseAuthentication, reason: .invalidCredentials)

    static let layerCases: [LayerCase] = [
        LayerCase(
            name: "an address out of failures is throttled before anything is looked up",
            script: Script(addressFailures: 100, oldest: t0.addingTimeInterval(-3000)),
            steps: ["checkAddress", "answer"],
            outcome: .throttled(retryAfter: 600),
            audit: [.loginThrottled]
        ),
        LayerCase(
            name: "an account refused by its pair, its count or its lock costs a dummy hash and the ordinary answer",
            script: Script(user: user(), reservation: .refused),
            steps: ["checkAddress", "loadUser", "reserveAttempt", "verifyDummy", "answer"],
            outcome: failed,
            audit: [.loginFailed]
        ),
        LayerCase(
            name: "the address running out at the reservation is throttled, with no hash",
            script: Script(user: user(), reservation: .addressExhausted(oldest: t0.addingTimeInterval(-3599))),
            steps: ["checkAddress", "loadUser", "reserveAttempt", "answer"],
            outcome: .throttled(retryAfter: 1),
            audit: [.loginThrottled]
        ),
        LayerCase(
            name: "a wrong password keeps its reservation and is counted for a lock",
            script: Script(user: user(), matches: false, countsAfter: AttemptCounts(pair: 3, account: 3)),
            steps: ["checkAddress", "loadUser", "reserveAttempt", "verifyPassword", "countFailures", "answer"],
            outcome: failed,
            audit: [.loginFailed]
        ),
        LayerCase(
            name: "the hundredth failure locks the account and tells its user",
            script: Script(user: user(), matches: false, countsAfter: AttemptCounts(pair: 1, account: 100)),
            steps: ["checkAddress", "loadUser", "reserveAttempt", "verifyPassword", "countFailures", "lock", "noticeLock", "answer"],
            outcome: failed,
            audit: [.accountLocked, .loginFailed]
        ),
        LayerCase(
            name: "a lock already in place is not announced twice",
            script: Script(user: user(), matches: false, countsAfter: AttemptCounts(pair: 1, account: 101), newlyLocked: false),
            steps: ["checkAddress", "loadUser", "reserveAttempt", "verifyPassword", "countFailures", "lock", "answer"],
            outcome: failed,
            audit: [.loginFailed]
        ),
        LayerCase(
            name: "an unknown username costs a dummy hash and is counted like a real one",
            script: Script(user: nil, countsAfter: AttemptCounts(pair: 1, account: 100)),
            steps: ["checkAddress", "loadUser", "reserveAttempt", "verifyDummy", "countFailures", "lock", "noticeLock", "answer"],
            outcome: failed,
            audit: [.accountLocked, .loginFailed]
        ),
        LayerCase(
            name: "a right password forgets its reservation",
            script: Script(user: user()),
            steps: ["checkAddress", "loadUser", "reserveAttempt", "verifyPassword", "apply", "forgetAttempt", "answer"],
            outcome: .succeeded(token: "token-4"),
            audit: [.loginSucceeded, .tokenIssued]
        ),
        LayerCase(
            name: "a later step of a throttled pair gets the ordinary answer and changes nothing",
            request: LoginRequest(verificationCode: "123456", interimToken: "token-3"),
            script: Script(transaction: waitingForCode(), user: user(.email), counts: AttemptCounts(pair: 10, account: 10)),
            steps: ["checkAddress", "loadTransaction", "checkAccount", "answer"],
            outcome: failed,
            audit: [.loginFailed]
        ),
        LayerCase(
            name: "a later step of a locked account gets the ordinary answer too",
            request: LoginRequest(verificationCode: "123456", interimToken: "token-3"),
            script: Script(transaction: waitingForCode(), user: user(.email), lockedUntil: t0.addingTimeInterval(60)),
            steps: ["checkAddress", "loadTransaction", "checkAccount", "answer"],
            outcome: failed,
            audit: [.loginFailed]
        ),
        LayerCase(
            name: "a wrong code is recorded as a failure of the account",
            request: LoginRequest(verificationCode: "999999", interimToken: "token-3"),
            script: Script(transaction: waitingForCode(), user: user(.email)),
            steps: ["checkAddress", "loadTransaction", "checkAccount", "apply", "recordFailure", "answer"],
            outcome: .expecting(step: .verificationCode, reason: .invalidCode, token: "token-3"),
            audit: [.loginStep]
        ),
        LayerCase(
            name: "the wrong code that reaches the account's limit locks it",
            request: LoginRequest(verificationCode: "999999", interimToken: "token-3"),
            script: Script(transaction: waitingForCode(), user: user(.email), counts: AttemptCounts(pair: 2, account: 99)),
            steps: ["checkAddress", "loadTransaction", "checkAccount", "apply", "recordFailure", "lock", "noticeLock", "answer"],
            outcome: .expecting(step: .verificationCode, reason: .invalidCode, token: "token-3"),
            audit: [.accountLocked, .loginStep]
        ),
        LayerCase(
            name: "another request moved the transaction on: replayed, then a corrupted ticket",
            request: LoginRequest(verificationCode: "123456", interimToken: "token-3"),
            script: Script(transaction: waitingForCode(), user: user(.email), applied: [false, false, false]),
            steps: [
                "checkAddress", "loadTransaction", "checkAccount", "apply", "loadTransaction", "checkAccount", "apply",
                "loadTransaction", "checkAccount", "apply", "answer",
            ],
            outcome: .failed(step: .verificationCode, reason: .corruptedTicket),
            audit: [.loginFailed]
        ),
    ]

    @Test(arguments: layerCases)
    func layers(_ testCase: LayerCase) {
        let run = Self.run(testCase.request, testCase.script)
        #expect(run.steps == testCase.steps)
        #expect(run.outcome == testCase.outcome)
        #expect(run.audit.map(\.kind) == testCase.audit)
    }

    @Test func theReservationIsDecidedUnderEveryLimitAndRefusalsCountAgainstTheAddress() {
        var machine = Self.machine(LoginRequest(username: "Alice", password: "pw"))
        _ = machine.start()
        _ = machine.addressChecked(failures: 0, oldest: nil)
        guard case .reserveAttempt(let attempt, let limits) = machine.userLoaded(Self.user()) else {
            Issue.record("expected a reservation")
            return
        }
        #expect(attempt.usernameKey == "alice" && attempt.address == "192.0.2.1" && attempt.at == Self.t0 && attempt.companyID == 1)
        #expect(limits.pairLimit == 10 && limits.accountLimit == 100 && limits.addressLimit == 100)
        #expect(limits.pairSince == Self.t0.addingTimeInterval(-900) && limits.accountSince == Self.t0.addingTimeInterval(-3600))
        #expect(limits.countsRefusals)
    }

    @Test func aTryThatWasNotJudgedForgetsItsReservation() {
        var machine = Self.machine(LoginRequest(username: "alice", password: "pw"))
        _ = machine.start()
        _ = machine.addressChecked(failures: 0, oldest: nil)
        guard case .reserveAttempt(let attempt, _) = machine.userLoaded(Self.user()) else { return }
        _ = machine.attemptReserved(.reserved)
        // The hash could not run (no slot came free): the attempt must not count.
        #expect(machine.errorCaught() == attempt.id)

        var settled = Self.machine(LoginRequest(username: "alice", password: "pw"))
        _ = settled.start()
        _ = settled.addressChecked(failures: 0, oldest: nil)
        _ = settled.userLoaded(Self.user())
        _ = settled.attemptReserved(.reserved)
        _ = settled.passwordVerified(matches: false)
        // A wrong password already judged keeps its failure, whatever fails afterwards.
        #expect(settled.errorCaught() == nil)
    }

    @Test func theTimeIsTakenOnceForTheWholeRequest() throws {
        let decision = try #require(Self.firstRequest(LoginRequest(username: "alice", password: "pw"), user: Self.user(.email)))
        guard case .insert(let transaction) = decision.transaction else {
            Issue.record("expected a new transaction")
            return
        }
        #expect(transaction.createdAt == Self.t0 && transaction.codeSentAt == Self.t0)
    }

    // MARK: BaseAuthentication

    @Test func unknownWrongOrDisabledUsersGetTheSameAnswer() {
        for (user, matches) in [(nil, false), (Self.user(), false), (Self.user(disabled: true), true)] as [(User?, Bool)] {
            let run = Self.run(LoginRequest(username: "alice", password: "pw"), Script(user: user, matches: matches))
            #expect(run.outcome == Self.failed)
            #expect(run.decision?.hasEffects == false)
        }
    }

    @Test func singleFactorSucceedsWithATokenOf24Hours() throws {
        let decision = try #require(Self.firstRequest(LoginRequest(username: "alice", password: "pw")))
        // token-1 is the attempt, token-2 the transaction id, token-3 the interim token, token-4 the access token.
        #expect(decision.outcome == .succeeded(token: "token-4"))
        #expect(decision.transaction == .none)
        let record = try #require(decision.accessToken?.record)
        #expect(record.digest == SecretDigest.sha256("token-4"))
        #expect(record.expiresAt == Self.t0.addingTimeInterval(24 * 3600))
        #expect(record.userID == 5 && record.appKeyID == 10 && record.companyID == 1)
    }

    @Test func companyPolicyShortensTheToken() throws {
        let decision = try #require(
            Self.firstRequest(LoginRequest(username: "alice", password: "pw"), policy: CompanyPolicy(tokenLifetime: 600))
        )
        #expect(decision.accessToken?.record.expiresAt == Self.t0.addingTimeInterval(600))
    }

    // MARK: VerificationCode

    @Test func twoFactorSendsOneCodeAndExpectsIt() throws {
        let decision = try #require(Self.firstRequest(LoginRequest(username: "alice", password: "pw"), user: Self.user(.email)))
        #expect(decision.outcome == .expecting(step: .verificationCode, reason: .expectingCode, token: "token-3"))
        #expect(decision.message == OutgoingMessage(channel: .email, destination: "alice@example.com", purpose: .login, code: "123456", userID: 5))
        guard case .insert(let transaction) = decision.transaction else {
            Issue.record("expected a new transaction")
            return
        }
        #expect(transaction.interimTokenDigest == SecretDigest.sha256("token-3"))
        #expect(transaction.step == .verificationCode)
        #expect(transaction.codeDigest == Self.secrets.codeDigest("123456", transactionID: "token-2"))
        #expect(transaction.codeExpiresAt == Self.t0.addingTimeInterval(300))
        #expect(transaction.expiresAt == Self.t0.addingTimeInterval(600))
        #expect(transaction.passwordProof != "pw")
        #expect(decision.accessToken == nil)
    }

    @Test func smsUsersGetTheCodeBySMS() throws {
        let decision = try #require(Self.firstRequest(LoginRequest(username: "alice", password: "pw"), user: Self.user(.sms)))
        #expect(decision.message?.channel == .sms)
        #expect(decision.message?.destination == "+15550001111")
    }

    @Test func companyRequiredTwoFactorAppliesToUsersWithoutIt() throws {
        let decision = try #require(
            Self.firstRequest(LoginRequest(username: "alice", password: "pw"), policy: CompanyPolicy(requireTwoFactor: true))
        )
        #expect(decision.outcome == .expecting(step: .verificationCode, reason: .expectingCode, token: "token-3"))
        #expect(decision.message?.channel == .email)
    }

    @Test func rightCodeSucceedsAndEndsTheTransaction() throws {
        let transaction = Self.waitingForCode()
        let request = LoginRequest(username: "ALICE", password: "pw", verificationCode: "123456", interimToken: "token-3")
        var machine = Self.machine(request, now: Self.t0.addingTimeInterval(60))
        _ = machine.start()
        let load = machine.addressChecked(failures: 0, oldest: nil)
        #expect(load == .loadTransaction(interimTokenDigest: transaction.interimTokenDigest))
        let decision = try #require(Self.run(&machine, Script(transaction: transaction, user: Self.user(.email)), from: load).decision)
        #expect(decision.outcome == .succeeded(token: "token-1"))
        #expect(decision.transaction == .delete(id: transaction.id, expectedVersion: transaction.version))
    }

    @Test func wrongCodesCountUntilTheFifthEndsTheTransaction() throws {
        var transaction = Self.waitingForCode()
        for attempt in 1...5 {
            let decision = try #require(
                Self.laterRequest(
                    LoginRequest(verificationCode: "999999", interimToken: "token-3"),
                    transaction: transaction,
                    user: Self.user(.email)
                )
            )
            #expect(decision.countsAsFailure)
            if attempt < 5 {
                #expect(decision.outcome == .expecting(step: .verificationCode, reason: .invalidCode, token: "token-3"))
                guard case .update(let updated, let expected) = decision.transaction else {
                    Issue.record("expected an update")
                    return
                }
                #expect(expected == transaction.version)
                #expect(updated.codeFailures == attempt)
                #expect(updated.version == transaction.version + 1)
                transaction = updated
            } else {
                #expect(decision.outcome == .failed(step: .verificationCode, reason: .invalidCode))
                #expect(decision.transaction == .delete(id: transaction.id, expectedVersion: transaction.version))
            }
        }
    }

    @Test func anExpiredCodeIsRefusedEvenWhenRight() throws {
        let decision = try #require(
            Self.laterRequest(
                LoginRequest(verificationCode: "123456", interimToken: "token-3"),
                transaction: Self.waitingForCode(),
                user: Self.user(.email),
                now: Self.t0.addingTimeInterval(301)
            )
        )
        #expect(decision.outcome == .expecting(step: .verificationCode, reason: .invalidCode, token: "token-3"))
    }

    @Test func theCodeIsResentAtMostOncePerMinute() throws {
        let transaction = Self.waitingForCode()
        let generator = CountingGenerator(codes: ["777777"])
        let resend = LoginRequest(username: "alice", password: "pw", interimToken: "token-3")

        let quiet = try #require(
            Self.laterRequest(resend, transaction: transaction, user: Self.user(.email), generator: generator, now: Self.t0.addingTimeInterval(59))
        )
        #expect(quiet.outcome == .expecting(step: .verificationCode, reason: .expectingCode, token: "token-3"))
        #expect(quiet.message == nil)

        let resent = try #require(
            Self.laterRequest(resend, transaction: transaction, user: Self.user(.email), generator: generator, now: Self.t0.addingTimeInterval(60))
        )
        #expect(resent.message?.code == "777777")
        guard case .update(let updated, _) = resent.transaction else {
            Issue.record("expected an update")
            return
        }
        #expect(updated.codeDigest == Self.secrets.codeDigest("777777", transactionID: transaction.id))
        #expect(updated.codeSentAt == Self.t0.addingTimeInterval(60))
        #expect(updated.codeExpiresAt == Self.t0.addingTimeInterval(360))
    }

    // MARK: Corrupted tickets

    struct TicketCase: CustomTestStringConvertible, Sendable {
        var name: String
        var request: LoginRequest
        var app: ResolvedApp
        var now: TimeInterval
        var missing = false
        var expectedStep: LoginStep
        var testDescription: String { self.name }
    }

    static let ticketCases: [TicketCase] = [
        TicketCase(
            name: "unknown",
            request: LoginRequest(verificationCode: "123456", interimToken: "nope"),
            app: app(),
            now: 0,
            missing: true,
            expectedStep: .verificationCode
        ),
        TicketCase(
            name: "expired after 10 minutes",
            request: LoginRequest(verificationCode: "123456", interimToken: "token-3"),
            app: app(),
            now: 600,
            expectedStep: .verificationCode
        ),
        TicketCase(
            name: "another app",
            request: LoginRequest(verificationCode: "123456", interimToken: "token-3"),
            app: app(appKeyID: 11),
            now: 0,
            expectedStep: .verificationCode
        ),
        TicketCase(
            name: "another user's name resent",
            request: LoginRequest(username: "bob", password: "pw", verificationCode: "123456", interimToken: "token-3"),
            app: app(),
            now: 0,
            expectedStep: .verificationCode
        ),
        TicketCase(
            name: "unknown, with a PIN",
            request: LoginRequest(pin: "1234", interimToken: "nope"),
            app: app(),
            now: 0,
            missing: true,
            expectedStep: .securityPin
        ),
    ]

    @Test(arguments: ticketCases)
    func corruptedTicket(_ testCase: TicketCase) {
        var machine = LoginStateMachine(
            request: testCase.request,
            app: testCase.app,
            address: "192.0.2.1",
            now: Self.t0.addingTimeInterval(testCase.now),
            secrets: Self.secrets,
            generator: CountingGenerator()
        )
        let run = Self.run(
            &machine,
            Script(transaction: testCase.missing ? nil : Self.waitingForCode(), user: testCase.missing ? nil : Self.user(.email))
        )
        #expect(run.outcome == .failed(step: testCase.expectedStep, reason: .corruptedTicket))
        #expect(run.decision?.hasEffects == false)
        #expect(!run.steps.contains("recordFailure"))
    }

    @Test func aDifferentResentPasswordEndsTheTransaction() throws {
        let transaction = Self.waitingForCode()
        let decision = try #require(
            Self.laterRequest(
                LoginRequest(username: "alice", password: "other", verificationCode: "123456", interimToken: "token-3"),
                transaction: transaction,
                user: Self.user(.email)
            )
        )
        #expect(
            decision
                == LoginDecision(
                    outcome: .failed(step: .baseAuthentication, reason: .invalidCredentials),
                    transaction: .delete(id: transaction.id, expectedVersion: transaction.version),
                    countsAsFailure: true
                )
        )
    }

    // MARK: SecutityPin

    @Test func pinAndPasswordInOneRequestSucceedAtOnce() throws {
        let decision = try #require(
            Self.firstRequest(
                LoginRequest(username: "alice", password: "pw", pin: "2468"),
                user: Self.user(pin: "2468"),
                policy: CompanyPolicy(requirePin: true)
            )
        )
        #expect(decision.outcome == .succeeded(token: "token-4"))
        #expect(decision.transaction == .none)
    }

    @Test func withoutThePinTheFlowAsksForIt() throws {
        let decision = try #require(
            Self.firstRequest(LoginRequest(username: "alice", password: "pw"), user: Self.user(pin: "2468"), policy: CompanyPolicy(requirePin: true))
        )
        #expect(decision.outcome == .expecting(step: .securityPin, reason: .expectingPin, token: "token-3"))
        guard case .insert(let transaction) = decision.transaction else {
            Issue.record("expected a new transaction")
            return
        }
        #expect(transaction.step == .securityPin)
    }

    @Test func wrongPinsCountUntilTheFifthEndsTheTransaction() throws {
        let policy = CompanyPolicy(requirePin: true)
        let first = try #require(
            Self.firstRequest(LoginRequest(username: "alice", password: "pw", pin: "0000"), user: Self.user(pin: "2468"), policy: policy)
        )
        #expect(first.outcome == .expecting(step: .securityPin, reason: .invalidPin, token: "token-3"))
        guard case .insert(var transaction) = first.transaction else {
            Issue.record("expected a new transaction")
            return
        }
        #expect(transaction.pinFailures == 1)
        for attempt in 2...5 {
            let decision = try #require(
                Self.laterRequest(
                    LoginRequest(pin: "0000", interimToken: "token-3"),
                    transaction: transaction,
                    user: Self.user(pin: "2468"),
                    policy: policy
                )
            )
            if attempt < 5 {
                #expect(decision.outcome == .expecting(step: .securityPin, reason: .invalidPin, token: "token-3"))
                guard case .update(let updated, _) = decision.transaction else { return }
                transaction = updated
            } else {
                #expect(decision.outcome == .failed(step: .securityPin, reason: .invalidPin))
                #expect(decision.transaction == .delete(id: transaction.id, expectedVersion: transaction.version))
            }
        }
    }

    @Test func codeAndPinInOneRequestSucceed() throws {
        let policy = CompanyPolicy(requirePin: true)
        let decision = try #require(
            Self.laterRequest(
                LoginRequest(verificationCode: "123456", pin: "2468", interimToken: "token-3"),
                transaction: Self.waitingForCode(policy: policy),
                user: Self.user(.email, pin: "2468"),
                policy: policy
            )
        )
        #expect(decision.outcome == .succeeded(token: "token-1"))
    }

    @Test func aUserWithoutPinGetsAPinSetupTicket() throws {
        let decision = try #require(
            Self.firstRequest(LoginRequest(username: "alice", password: "pw"), policy: CompanyPolicy(requirePin: true))
        )
        #expect(decision.outcome == .expecting(step: .securityPin, reason: .pinNotInitialised, token: "token-4"))
        #expect(decision.ticket?.purpose == .pinSetup)
        #expect(decision.ticket?.digest == SecretDigest.sha256("token-4"))
        #expect(decision.ticket?.expiresAt == Self.t0.addingTimeInterval(600))
        #expect(decision.transaction == .none)
        #expect(decision.accessToken == nil)
    }
}
