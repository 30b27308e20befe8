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
        generator: CountingGenerator = CountingGenerator()
    ) -> LoginStateMachine {
        LoginStateMachine(request: request, app: app ?? Self.app(policy), secrets: secrets, generator: generator)
    }

    /// Runs a first request through password verification with `user` and returns the decision.
    static func firstRequest(
        _ request: LoginRequest,
        user: User = user(),
        policy: CompanyPolicy = CompanyPolicy(),
        generator: CountingGenerator = CountingGenerator(),
        now: Date = t0
    ) -> LoginDecision? {
        var machine = Self.machine(request, policy: policy, generator: generator)
        guard case .verifyPassword = machine.start(now: now) else { return nil }
        guard case .finish(let decision) = machine.passwordChecked(user, matches: true, now: now) else { return nil }
        return decision
    }

    /// A transaction waiting for the code `123456` (sent at t0), as a first 2-FA request leaves it.
    static func waitingForCode(policy: CompanyPolicy = CompanyPolicy()) -> LoginTransaction {
        let decision = firstRequest(LoginRequest(username: "alice", password: "pw"), user: user(.email), policy: policy)
        guard case .insert(let transaction) = decision?.transaction else { fatalError("expected a new transaction") }
        return transaction
    }

    // MARK: start()

    struct StartCase: CustomTestStringConvertible, Sendable {
        var name: String
        var request: LoginRequest
        var expected: LoginStateMachine.Action
        var testDescription: String { self.name }
    }

    static let startCases: [StartCase] = [
        StartCase(
            name: "username and password: verify the password",
            request: LoginRequest(username: "alice", password: "pw"),
            expected: .verifyPassword(username: "alice", password: "pw")
        ),
        StartCase(
            name: "NFD username is verified in NFC",
            request: LoginRequest(username: "Jose\u{301}", password: "pw"),
            expected: .verifyPassword(username: "Jos\u{e9}", password: "pw")
        ),
        StartCase(
            name: "interim token: load its transaction",
            request: LoginRequest(interimToken: "abc"),
            expected: .loadTransaction(interimTokenDigest: SecretDigest.sha256("abc"))
        ),
        StartCase(
            name: "a code without an interim token is a corrupted ticket",
            request: LoginRequest(username: "alice", password: "pw", verificationCode: "123456"),
            expected: .finish(LoginDecision(outcome: .failed(step: .verificationCode, reason: .corruptedTicket)))
        ),
        StartCase(
            name: "no password",
            request: LoginRequest(username: "alice"),
            expected: .finish(LoginDecision(outcome: .failed(step: .baseAuthentication, reason: .invalidCredentials)))
        ),
        StartCase(
            name: "no username",
            request: LoginRequest(password: "pw"),
            expected: .finish(LoginDecision(outcome: .failed(step: .baseAuthentication, reason: .invalidCredentials)))
        ),
        StartCase(
            name: "empty strings count as absent",
            request: LoginRequest(username: "", password: "", verificationCode: "", pin: "", interimToken: ""),
            expected: .finish(LoginDecision(outcome: .failed(step: .baseAuthentication, reason: .invalidCredentials)))
        ),
        StartCase(
            name: "a 10 kB password is never hashed",
            request: LoginRequest(username: "alice", password: String(repeating: "p", count: 10_000)),
            expected: .finish(LoginDecision(outcome: .failed(step: .baseAuthentication, reason: .invalidCredentials)))
        ),
        StartCase(
            name: "a 10 kB username is never looked up",
            request: LoginRequest(username: String(repeating: "u", count: 10_000), password: "pw"),
            expected: .finish(LoginDecision(outcome: .failed(step: .baseAuthentication, reason: .invalidCredentials)))
        ),
        StartCase(
            name: "a 10 kB interim token is a corrupted ticket",
            request: LoginRequest(pin: "1234", interimToken: String(repeating: "t", count: 10_000)),
            expected: .finish(LoginDecision(outcome: .failed(step: .securityPin, reason: .corruptedTicket)))
        ),
    ]

    @Test(arguments: startCases)
    func start(_ testCase: StartCase) {
        var machine = Self.machine(testCase.request)
        #expect(machine.start(now: Self.t0) == testCase.expected)
    }

    // MARK: BaseAuthentication

    @Test func unknownWrongOrDisabledUsersGetTheSameAnswer() {
        let expected = LoginStateMachine.Action.finish(
            LoginDecision(outcome: .failed(step: .baseAuthentication, reason: .invalidCredentials))
        )
        for (user, matches) in [(nil, false), (Self.user(), false), (Self.user(disabled: true), true)] as [(User?, Bool)] {
            var machine = Self.machine(LoginRequest(username: "alice", password: "pw"))
            _ = machine.start(now: Self.t0)
            #expect(machine.passwordChecked(user, matches: matches, now: Self.t0) == expected)
        }
    }

    @Test func singleFactorSucceedsWithATokenOf24Hours() throws {
        let decision = try #require(Self.firstRequest(LoginRequest(username: "alice", password: "pw")))
        // token-1 is the transaction id, token-2 the interim token, token-3 the access token.
        #expect(decision.outcome == .succeeded(token: "token-3"))
        #expect(decision.transaction == .none)
        let record = try #require(decision.accessToken?.record)
        #expect(record.digest == SecretDigest.sha256("token-3"))
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
        #expect(decision.outcome == .expecting(step: .verificationCode, reason: .expectingCode, token: "token-2"))
        #expect(decision.message == OutgoingMessage(channel: .email, destination: "alice@example.com", purpose: .login, code: "123456", userID: 5))
        guard case .insert(let transaction) = decision.transaction else {
            Issue.record("expected a new transaction")
            return
        }
        #expect(transaction.interimTokenDigest == SecretDigest.sha256("token-2"))
        #expect(transaction.step == .verificationCode)
        #expect(transaction.codeDigest == Self.secrets.codeDigest("123456", transactionID: "token-1"))
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
        #expect(decision.outcome == .expecting(step: .verificationCode, reason: .expectingCode, token: "token-2"))
        #expect(decision.message?.channel == .email)
    }

    @Test func rightCodeSucceedsAndEndsTheTransaction() throws {
        let transaction = Self.waitingForCode()
        var machine = Self.machine(LoginRequest(username: "ALICE", password: "pw", verificationCode: "123456", interimToken: "token-2"))
        #expect(machine.start(now: Self.t0) == .loadTransaction(interimTokenDigest: transaction.interimTokenDigest))
        let action = machine.transactionLoaded(transaction, user: Self.user(.email), now: Self.t0.addingTimeInterval(60))
        guard case .finish(let decision) = action else {
            Issue.record("expected a decision")
            return
        }
        #expect(decision.outcome == .succeeded(token: "token-1"))
        #expect(decision.transaction == .delete(id: transaction.id, expectedVersion: transaction.version))
    }

    @Test func wrongCodesCountUntilTheFifthEndsTheTransaction() throws {
        var transaction = Self.waitingForCode()
        for attempt in 1...5 {
            var machine = Self.machine(LoginRequest(verificationCode: "999999", interimToken: "token-2"))
            _ = machine.start(now: Self.t0)
            guard case .finish(let decision) = machine.transactionLoaded(transaction, user: Self.user(.email), now: Self.t0) else {
                Issue.record("expected a decision")
                return
            }
            if attempt < 5 {
                #expect(decision.outcome == .expecting(step: .verificationCode, reason: .invalidCode, token: "token-2"))
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
        let transaction = Self.waitingForCode()
        var machine = Self.machine(LoginRequest(verificationCode: "123456", interimToken: "token-2"))
        _ = machine.start(now: Self.t0)
        let action = machine.transactionLoaded(transaction, user: Self.user(.email), now: Self.t0.addingTimeInterval(301))
        guard case .finish(let decision) = action else {
            Issue.record("expected a decision")
            return
        }
        #expect(decision.outcome == .expecting(step: .verificationCode, reason: .invalidCode, token: "token-2"))
    }

    @Test func theCodeIsResentAtMostOncePerMinute() throws {
        let transaction = Self.waitingForCode()
        let generator = CountingGenerator(codes: ["777777"])

        var early = Self.machine(LoginRequest(username: "alice", password: "pw", interimToken: "token-2"), generator: generator)
        _ = early.start(now: Self.t0)
        guard case .finish(let quiet) = early.transactionLoaded(transaction, user: Self.user(.email), now: Self.t0.addingTimeInterval(59)) else {
            Issue.record("expected a decision")
            return
        }
        #expect(quiet.outcome == .expecting(step: .verificationCode, reason: .expectingCode, token: "token-2"))
        #expect(quiet.message == nil)

        var late = Self.machine(LoginRequest(username: "alice", password: "pw", interimToken: "token-2"), generator: generator)
        _ = late.start(now: Self.t0)
        guard case .finish(let resent) = late.transactionLoaded(transaction, user: Self.user(.email), now: Self.t0.addingTimeInterval(60)) else {
            Issue.record("expected a decision")
            return
        }
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
            request: LoginRequest(verificationCode: "123456", interimToken: "token-2"),
            app: app(),
            now: 600,
            expectedStep: .verificationCode
        ),
        TicketCase(
            name: "another app",
            request: LoginRequest(verificationCode: "123456", interimToken: "token-2"),
            app: app(appKeyID: 11),
            now: 0,
            expectedStep: .verificationCode
        ),
        TicketCase(
            name: "another user's name resent",
            request: LoginRequest(username: "bob", password: "pw", verificationCode: "123456", interimToken: "token-2"),
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
        let transaction = Self.waitingForCode()
        var machine = LoginStateMachine(request: testCase.request, app: testCase.app, secrets: Self.secrets, generator: CountingGenerator())
        _ = machine.start(now: Self.t0)
        let action = machine.transactionLoaded(
            testCase.missing ? nil : transaction,
            user: testCase.missing ? nil : Self.user(.email),
            now: Self.t0.addingTimeInterval(testCase.now)
        )
        #expect(action == .finish(LoginDecision(outcome: .failed(step: testCase.expectedStep, reason: .corruptedTicket))))
    }

    @Test func aDifferentResentPasswordEndsTheTransaction() {
        let transaction = Self.waitingForCode()
        var machine = Self.machine(LoginRequest(username: "alice", password: "other", verificationCode: "123456", interimToken: "token-2"))
        _ = machine.start(now: Self.t0)
        let action = machine.transactionLoaded(transaction, user: Self.user(.email), now: Self.t0)
        #expect(
            action
                == .finish(
                    LoginDecision(
                        outcome: .failed(step: .baseAuthentication, reason: .invalidCredentials),
                        transaction: .delete(id: transaction.id, expectedVersion: transaction.version),
                        countsAsFailure: true
                    )
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
        #expect(decision.outcome == .succeeded(token: "token-3"))
        #expect(decision.transaction == .none)
    }

    @Test func withoutThePinTheFlowAsksForIt() throws {
        let decision = try #require(
            Self.firstRequest(LoginRequest(username: "alice", password: "pw"), user: Self.user(pin: "2468"), policy: CompanyPolicy(requirePin: true))
        )
        #expect(decision.outcome == .expecting(step: .securityPin, reason: .expectingPin, token: "token-2"))
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
        #expect(first.outcome == .expecting(step: .securityPin, reason: .invalidPin, token: "token-2"))
        guard case .insert(var transaction) = first.transaction else {
            Issue.record("expected a new transaction")
            return
        }
        #expect(transaction.pinFailures == 1)
        for attempt in 2...5 {
            var machine = Self.machine(LoginRequest(pin: "0000", interimToken: "token-2"), policy: policy)
            _ = machine.start(now: Self.t0)
            guard case .finish(let decision) = machine.transactionLoaded(transaction, user: Self.user(pin: "2468"), now: Self.t0) else {
                Issue.record("expected a decision")
                return
            }
            if attempt < 5 {
                #expect(decision.outcome == .expecting(step: .securityPin, reason: .invalidPin, token: "token-2"))
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
        let transaction = Self.waitingForCode(policy: policy)
        var machine = Self.machine(LoginRequest(verificationCode: "123456", pin: "2468", interimToken: "token-2"), policy: policy)
        _ = machine.start(now: Self.t0)
        guard case .finish(let decision) = machine.transactionLoaded(transaction, user: Self.user(.email, pin: "2468"), now: Self.t0) else {
            Issue.record("expected a decision")
            return
        }
        #expect(decision.outcome == .succeeded(token: "token-1"))
    }

    @Test func aUserWithoutPinGetsAPinSetupTicket() throws {
        let decision = try #require(
            Self.firstRequest(LoginRequest(username: "alice", password: "pw"), policy: CompanyPolicy(requirePin: true))
        )
        #expect(decision.outcome == .expecting(step: .securityPin, reason: .pinNotInitialised, token: "token-3"))
        #expect(decision.ticket?.purpose == .pinSetup)
        #expect(decision.ticket?.digest == SecretDigest.sha256("token-3"))
        #expect(decision.ticket?.expiresAt == Self.t0.addingTimeInterval(600))
        #expect(decision.transaction == .none)
        #expect(decision.accessToken == nil)
    }
}
