import Foundation
import Synchronization
import TesseraTestSupport
import Testing

@testable import TesseraCore

/// The login driver against in-memory stores.
@Suite struct LoginServiceTests {
    let store = InMemoryStore()
    let hasher = CountingHasher()
    let sender = RecordingSender()
    let clock = TestClock()
    let key = try! ServerKey(bytes: Array(repeating: 9, count: 32))
    let client = RequestOrigin(address: "192.0.2.1", requestID: "r1")

    func service(sender: (any CodeSender)? = nil) -> LoginService {
        LoginService(
            stores: self.store.stores,
            environment: ServiceEnvironment(
                hasher: self.hasher,
                sender: sender ?? self.sender,
                clock: self.clock,
                secrets: KeyedDigester(key: self.key)
            )
        )
    }

    func world(twoFactor: TwoFactorMethod = .email, policy: CompanyPolicy = CompanyPolicy()) async throws -> ResolvedApp {
        let company = try await self.store.createCompany(name: "acme", policy: policy, now: self.clock.now)
        let appKey = try await self.store.createAppKey(companyID: company.id, name: "t", digest: "k", now: self.clock.now)
        _ = try await self.store.createUser(
            NewUser(companyID: company.id, username: "alice", passwordHash: "hash:pw", email: "a@example.com", twoFactor: twoFactor),
            now: self.clock.now
        )
        return ResolvedApp(appKey: appKey, company: company)
    }

    /// Runs the requests all at once; how many got an access token.
    func successes(of requests: [LoginRequest], app: ResolvedApp) async throws -> Int {
        let service = self.service()
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            for request in requests {
                group.addTask {
                    if case .succeeded = try await service.login(request, app: app, origin: RequestOrigin(address: "192.0.2.1")) {
                        return true
                    }
                    return false
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
    }

    @Test func resentPasswordIsCheckedWithoutASecondSlowHash() async throws {
        let app = try await self.world()
        let first = try await self.service().login(LoginRequest(username: "alice", password: "pw"), app: app, origin: self.client)
        guard case .expecting(.verificationCode, .expectingCode, let interim, _) = first else {
            Issue.record("expected the code step, got \(first)")
            return
        }
        let code = try #require(self.sender.messages.last?.code)
        let second = try await self.service().login(
            LoginRequest(username: "alice", password: "pw", verificationCode: code, interimToken: interim),
            app: app,
            origin: self.client
        )
        guard case .succeeded(let token, _, _) = second else {
            Issue.record("expected success, got \(second)")
            return
        }
        #expect(self.hasher.verifies == 1)
        #expect(try await self.store.accessToken(digest: SecretDigest.sha256(token)) != nil)
        #expect(await self.store.transactions.isEmpty)
    }

    @Test func unknownUsersCostADummyHash() async throws {
        let app = try await self.world()
        let outcome = try await self.service().login(LoginRequest(username: "mallory", password: "pw"), app: app, origin: self.client)
        #expect(outcome == .failed(step: .baseAuthentication, reason: .invalidCredentials))
        #expect(self.hasher.dummies == 1)
        #expect(self.hasher.verifies == 0)
    }

    @Test func theCodeIsSentOncePerTransaction() async throws {
        let app = try await self.world()
        let first = try await self.service().login(LoginRequest(username: "alice", password: "pw"), app: app, origin: self.client)
        guard case .expecting(_, _, let interim, _) = first else { return }
        _ = try await self.service().login(LoginRequest(username: "alice", password: "pw", interimToken: interim), app: app, origin: self.client)
        #expect(self.sender.messages.count == 1)
        self.clock.advance(by: 61)
        _ = try await self.service().login(LoginRequest(username: "alice", password: "pw", interimToken: interim), app: app, origin: self.client)
        #expect(self.sender.messages.count == 2)
        #expect(self.sender.messages[0].code != nil)
    }

    @Test func anInterimTokenIsSingleUse() async throws {
        let app = try await self.world()
        guard
            case .expecting(_, _, let interim, _) = try await self.service().login(
                LoginRequest(username: "alice", password: "pw"),
                app: app,
                origin: self.client
            )
        else { return }
        let code = try #require(self.sender.messages.last?.code)
        let request = LoginRequest(verificationCode: code, interimToken: interim)
        guard case .succeeded = try await self.service().login(request, app: app, origin: self.client) else {
            Issue.record("expected success")
            return
        }
        #expect(try await self.service().login(request, app: app, origin: self.client) == .failed(step: .verificationCode, reason: .corruptedTicket))
    }

    @Test func parallelRightCodesSucceedAtMostOnce() async throws {
        let app = try await self.world()
        guard
            case .expecting(_, _, let interim, _) = try await self.service().login(
                LoginRequest(username: "alice", password: "pw"),
                app: app,
                origin: self.client
            )
        else { return }
        let code = try #require(self.sender.messages.last?.code)
        let requests = Array(repeating: LoginRequest(verificationCode: code, interimToken: interim), count: 10)
        #expect(try await self.successes(of: requests, app: app) == 1)
        #expect(await self.store.tokens.count == 1)
    }

    @Test func accessTokensExpireAndStayInTheirCompany() async throws {
        let app = try await self.world(twoFactor: .none, policy: CompanyPolicy(tokenLifetime: 3600))
        guard
            case .succeeded(let token, _, _) = try await self.service().login(
                LoginRequest(username: "alice", password: "pw"),
                app: app,
                origin: self.client
            )
        else {
            Issue.record("expected success")
            return
        }
        let validator = AccessTokenValidator(accessTokens: self.store, directory: self.store, clock: self.clock)
        #expect(try await validator.authenticate(token: token, app: app)?.user.username == "alice")
        var otherCompany = app
        otherCompany.company.id += 100
        #expect(try await validator.authenticate(token: token, app: otherCompany) == nil)
        self.clock.advance(by: 3599)
        #expect(try await validator.authenticate(token: token, app: app) != nil)
        self.clock.advance(by: 1)
        #expect(try await validator.authenticate(token: token, app: app) == nil)
    }

    @Test func aDisabledUsersTokensStopWorking() async throws {
        let app = try await self.world(twoFactor: .none)
        guard
            case .succeeded(let token, _, _) = try await self.service().login(
                LoginRequest(username: "alice", password: "pw"),
                app: app,
                origin: self.client
            )
        else { return }
        let validator = AccessTokenValidator(accessTokens: self.store, directory: self.store, clock: self.clock)
        let user = try #require(try await self.store.user(companyID: app.company.id, usernameKey: "alice"))
        try await self.store.setUserDisabled(id: user.id, at: self.clock.now)
        #expect(try await validator.authenticate(token: token, app: app) == nil)
    }

    @Test func unknownUsernamesAreLockedLikeRealOnes() async throws {
        var lockout = LockoutPolicy()
        lockout.accountFailureLimit = 3
        let app = try await self.world(policy: CompanyPolicy(lockout: lockout))
        for address in ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"] {
            _ = try await self.service().login(
                LoginRequest(username: "mallory", password: "guess"),
                app: app,
                origin: RequestOrigin(address: address)
            )
            _ = try await self.service().login(LoginRequest(username: "alice", password: "guess"), app: app, origin: RequestOrigin(address: address))
        }
        let locks = await self.store.auditEvents.filter { $0.kind == .accountLocked }
        #expect(locks.count == 2)
        #expect(locks.contains { $0.userID == nil })
        #expect(locks.contains { $0.userID != nil })
        // Both locks queue a notice (the request does the same work either way); only the real user is told.
        #expect(await self.store.queue.count == 2)
        #expect(self.sender.messages.isEmpty, "nothing is sent inside the request")
        let dispatcher = MessageDispatcher(
            stores: self.store.stores,
            environment: ServiceEnvironment(hasher: self.hasher, sender: self.sender, clock: self.clock, secrets: KeyedDigester(key: self.key))
        )
        #expect(try await dispatcher.dispatchDue().sorted { $0.rawValue < $1.rawValue } == [.dropped, .sent])
        #expect(self.sender.messages.filter { $0.purpose == .notice && $0.notice == .accountLocked }.count == 1)
        #expect(await self.store.queue.isEmpty)
    }

    @Test func aFailedSendCountsNoCodeAndTheSameInterimTokenRetries() async throws {
        let app = try await self.world()
        let channel = FlakySender()
        let service = self.service(sender: channel)
        var interim: String?
        do {
            _ = try await service.login(LoginRequest(username: "alice", password: "pw"), app: app, origin: self.client)
            Issue.record("a send that failed must not answer")
        } catch LoginServiceError.deliveryFailed(let failed, let token) {
            #expect(failed == .email)
            interim = token
        }
        let token = try #require(interim)
        let stored = try #require(try await self.store.transaction(interimTokenDigest: SecretDigest.sha256(token)))
        #expect(stored.codeDigest == nil && stored.codeSentAt == nil && stored.codeExpiresAt == nil)
        #expect(await self.store.auditEvents.allSatisfy { $0.kind != .codeSent })
        #expect(await self.store.failures.isEmpty)

        // The channel comes back within the resend interval: the same interim token gets a fresh code at once.
        channel.comeUp()
        let retried = try await service.login(LoginRequest(interimToken: token), app: app, origin: self.client)
        #expect(retried == .expecting(step: .verificationCode, reason: .expectingCode, token: token))
        let code = try #require(channel.messages.last?.code)
        #expect(channel.messages.count == 1 && channel.refused == 1)
        let done = try await service.login(LoginRequest(verificationCode: code, interimToken: token), app: app, origin: self.client)
        guard case .succeeded = done else {
            Issue.record("expected success, got \(done)")
            return
        }
    }

    @Test func anAuthenticatorCodeOpensAtMostOneLoginEvenInParallel() async throws {
        let app = try await self.world(twoFactor: .none)
        let user = try #require(try await self.store.user(companyID: app.company.id, usernameKey: "alice"))
        let secret = TOTP.newSecret()
        try await self.store.setAuthenticator(
            userID: user.id,
            sealedSecret: try KeyedDigester(key: self.key).sealAuthenticatorSecret(secret, userID: user.id)
        )
        let service = self.service()
        var interims: [String] = []
        for _ in 0..<8 {
            let first = try await service.login(LoginRequest(username: "alice", password: "pw"), app: app, origin: self.client)
            guard case .expecting(.verificationCode, .expectingAuthenticatorCode, let interim, _) = first else {
                Issue.record("expected the authenticator step, got \(first)")
                return
            }
            interims.append(interim)
        }
        #expect(self.sender.messages.isEmpty, "nothing is sent to an authenticator user")
        let code = TOTP(secret: secret).code(step: TOTP.step(at: self.clock.now))
        let requests = interims.map { LoginRequest(verificationCode: code, interimToken: $0) }
        #expect(try await self.successes(of: requests, app: app) == 1)
        #expect(try await self.store.user(id: user.id)?.totpLastStep == TOTP.step(at: self.clock.now))
    }
}

/// Secrets an operator handles on the command line.
@Suite struct OperatorKeyTests {
    /// Hands out the given tokens in turn.
    final class ScriptedGenerator: SecretGenerator {
        private let tokens: Mutex<[String]>
        init(_ tokens: [String]) { self.tokens = Mutex(tokens) }
        func token() -> String { self.tokens.withLock { $0.removeFirst() } }
        func numericCode(digits: Int) -> String { String(repeating: "1", count: digits) }
    }

    @Test func anAppKeyNeverStartsWithADashSoACommandCanTakeIt() async throws {
        let store = InMemoryStore()
        let operators = OperatorService(
            stores: store.stores,
            hasher: CountingHasher(),
            clock: TestClock(),
            generator: ScriptedGenerator(["-looks-like-an-option", "--two", "fine-key"])
        ) { KeyedDigester(key: try ServerKey(bytes: Array(repeating: 9, count: 32))) }
        _ = try await operators.createCompany(name: "acme", policy: CompanyPolicy(), by: .cli)
        let created = try await operators.createAppKey(company: "acme", name: "terminal", by: .cli)
        #expect(created.key == "fine-key")
        #expect(try await store.app(digest: SecretDigest.sha256("fine-key"))?.appKey.name == "terminal")
    }
}
