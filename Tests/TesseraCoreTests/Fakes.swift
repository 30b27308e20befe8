import Foundation
import Synchronization
import TesseraCore

typealias TestClock = ManualClock

/// Predictable secrets: `token-1`, `token-2`, … and codes from a list (then `000000`).
final class CountingGenerator: SecretGenerator {
    private let state: Mutex<(tokens: Int, codes: [String])>

    init(codes: [String] = ["123456", "234567", "345678"]) {
        self.state = Mutex((0, codes))
    }

    func token() -> String {
        self.state.withLock {
            $0.tokens += 1
            return "token-\($0.tokens)"
        }
    }

    func numericCode(digits: Int) -> String {
        self.state.withLock { $0.codes.isEmpty ? String(repeating: "0", count: digits) : $0.codes.removeFirst() }
    }
}

/// A hasher that counts its work: `hash:<password>` strings, no slowness.
final class CountingHasher: PasswordHasher {
    private let counts = Mutex((verifies: 0, dummies: 0))

    var verifies: Int { self.counts.withLock { $0.verifies } }
    var dummies: Int { self.counts.withLock { $0.dummies } }

    func hash(_ password: String) async throws -> String { "hash:" + password }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        self.counts.withLock { $0.verifies += 1 }
        return hash == "hash:" + password
    }

    func verifyDummy(_ password: String) async throws {
        self.counts.withLock { $0.dummies += 1 }
    }
}

/// Records what would be sent.
final class RecordingSender: CodeSender {
    private let sent = Mutex<[OutgoingMessage]>([])
    var messages: [OutgoingMessage] { self.sent.withLock { $0 } }

    func send(_ message: OutgoingMessage) async throws {
        self.sent.withLock { $0.append(message) }
    }
}

/// A channel that is down until told otherwise: records only what it delivered.
final class FlakySender: CodeSender {
    struct Down: Error {}
    private let state = Mutex((up: false, delivered: [OutgoingMessage](), refused: 0))

    var messages: [OutgoingMessage] { self.state.withLock { $0.delivered } }
    var refused: Int { self.state.withLock { $0.refused } }

    func comeUp() { self.state.withLock { $0.up = true } }

    func send(_ message: OutgoingMessage) async throws {
        try self.state.withLock {
            guard $0.up else {
                $0.refused += 1
                throw Down()
            }
            $0.delivered.append(message)
        }
    }
}

/// Every store in memory: the fake behind the core's unit tests.
actor InMemoryStore: DirectoryStore, LoginTransactionStore, AccessTokenStore, TicketStore, AttemptStore, AuditLog {
    var failures: [LoginAttempt] = []
    var locks: [String: Date] = [:]
    var auditEvents: [AuditEvent] = []
    var companiesByID: [Int64: Company] = [:]
    var appKeys: [Int64: AppKey] = [:]
    var usersByID: [Int64: User] = [:]
    var transactions: [String: LoginTransaction] = [:]
    var tokens: [String: AccessTokenRecord] = [:]
    var ticketsByDigest: [String: Ticket] = [:]
    private var nextID: Int64 = 1

    private func newID() -> Int64 {
        defer { self.nextID += 1 }
        return self.nextID
    }

    func createCompany(name: String, policy: CompanyPolicy, now: Date) async throws -> Company {
        let company = Company(id: self.newID(), name: name, policy: policy)
        self.companiesByID[company.id] = company
        return company
    }

    func company(named name: String) async throws -> Company? { self.companiesByID.values.first { $0.name == name } }
    func company(id: Int64) async throws -> Company? { self.companiesByID[id] }
    func companies() async throws -> [Company] { Array(self.companiesByID.values) }

    func createAppKey(companyID: Int64, name: String, digest: String, now: Date) async throws -> AppKey {
        let key = AppKey(id: self.newID(), companyID: companyID, name: name, digest: digest, createdAt: now)
        self.appKeys[key.id] = key
        return key
    }

    func app(digest: String) async throws -> ResolvedApp? {
        guard let key = self.appKeys.values.first(where: { $0.digest == digest }),
            let company = self.companiesByID[key.companyID]
        else { return nil }
        return ResolvedApp(appKey: key, company: company)
    }

    func appKeys(companyID: Int64) async throws -> [AppKey] { self.appKeys.values.filter { $0.companyID == companyID } }

    func revokeAppKey(digest: String, now: Date) async throws -> Bool {
        guard let key = self.appKeys.values.first(where: { $0.digest == digest && $0.revokedAt == nil }) else { return false }
        self.appKeys[key.id]?.revokedAt = now
        return true
    }

    func createUser(_ user: NewUser, now: Date) async throws -> User {
        let created = User(
            id: self.newID(),
            companyID: user.companyID,
            username: Username.canonical(user.username),
            passwordHash: user.passwordHash,
            email: user.email,
            phone: user.phone,
            twoFactor: user.twoFactor,
            pinDigest: user.pinDigest,
            profile: user.profile,
            addedAt: now
        )
        self.usersByID[created.id] = created
        return created
    }

    func user(companyID: Int64, usernameKey: String) async throws -> User? {
        self.usersByID.values.first { $0.companyID == companyID && $0.usernameKey == usernameKey }
    }

    func user(id: Int64) async throws -> User? { self.usersByID[id] }
    func users(companyID: Int64) async throws -> [User] { self.usersByID.values.filter { $0.companyID == companyID } }
    func setUserDisabled(id: Int64, at date: Date?) async throws { self.usersByID[id]?.disabledAt = date }
    func setPinDigest(userID: Int64, digest: String?) async throws { self.usersByID[userID]?.pinDigest = digest }

    func setPassword(userID: Int64, hash: String, changedAt: Date) async throws {
        self.usersByID[userID]?.passwordHash = hash
        self.usersByID[userID]?.passwordChangedAt = changedAt
        self.usersByID[userID]?.passwordExpired = false
    }

    func expirePassword(userID: Int64) async throws { self.usersByID[userID]?.passwordExpired = true }

    func setPin(userID: Int64, digest: String, image: String?, phrase: String?) async throws {
        self.usersByID[userID]?.pinDigest = digest
        self.usersByID[userID]?.pinImage = image
        self.usersByID[userID]?.pinPhrase = phrase
    }

    func setSecretQuestion(userID: Int64, question: String?, answerDigest: String?) async throws {
        self.usersByID[userID]?.secretQuestion = question
        self.usersByID[userID]?.secretAnswerDigest = answerDigest
    }

    func setPendingAuthenticator(userID: Int64, sealedSecret: String?) async throws {
        self.usersByID[userID]?.totpPendingSecret = sealedSecret
    }

    func confirmAuthenticator(userID: Int64, sealedSecret: String, usedStep: Int64) async throws -> Bool {
        guard let user = self.usersByID[userID], user.totpPendingSecret == sealedSecret else { return false }
        self.usersByID[userID]?.totpSecret = sealedSecret
        self.usersByID[userID]?.totpPendingSecret = nil
        self.usersByID[userID]?.totpLastStep = usedStep
        self.usersByID[userID]?.twoFactor = .totp
        return true
    }

    func setAuthenticator(userID: Int64, sealedSecret: String) async throws {
        self.usersByID[userID]?.totpSecret = sealedSecret
        self.usersByID[userID]?.totpPendingSecret = nil
        self.usersByID[userID]?.totpLastStep = nil
        self.usersByID[userID]?.twoFactor = .totp
    }

    func spendAuthenticatorStep(userID: Int64, step: Int64) async throws -> Bool {
        guard let user = self.usersByID[userID], user.totpLastStep.map({ step > $0 }) ?? true else { return false }
        self.usersByID[userID]?.totpLastStep = step
        return true
    }

    func setIntrospectionSecret(appKeyID: Int64, digest: String) async throws {
        self.appKeys[appKeyID]?.introspectionSecretDigest = digest
    }

    func revoke(digest: String, at date: Date) async throws -> Bool {
        guard self.tokens[digest]?.revokedAt == nil, self.tokens[digest] != nil else { return false }
        self.tokens[digest]?.revokedAt = date
        return true
    }

    func revoke(sessionID: String, userID: Int64?, at date: Date) async throws -> Bool {
        guard let record = self.tokens.values.first(where: { $0.sessionID == sessionID && (userID == nil || $0.userID == userID) })
        else { return false }
        return try await self.revoke(digest: record.digest, at: date)
    }

    func sessions(userID: Int64, now: Date) async throws -> [Session] {
        self.tokens.values.filter { $0.userID == userID && $0.isLive(at: now) }.map { Session(record: $0, appName: "app") }
    }

    func accessTokenWithUser(digest: String) async throws -> (AccessTokenRecord, User)? {
        guard let record = self.tokens[digest], let user = self.usersByID[record.userID] else { return nil }
        return (record, user)
    }

    func session(digest: String) async throws -> Session? {
        self.tokens[digest].map { Session(record: $0, appName: "app") }
    }

    func touch(digest: String, at date: Date) async throws { self.tokens[digest]?.lastSeenAt = date }

    func revokeAll(userID: Int64, keeping: String?, at date: Date) async throws -> Int {
        var count = 0
        for (digest, record) in self.tokens where record.userID == userID && record.revokedAt == nil && digest != keeping {
            self.tokens[digest]?.revokedAt = date
            count += 1
        }
        return count
    }

    func insert(_ transaction: LoginTransaction) async throws { self.transactions[transaction.id] = transaction }

    func transaction(interimTokenDigest: String) async throws -> LoginTransaction? {
        self.transactions.values.first { $0.interimTokenDigest == interimTokenDigest }
    }

    func update(_ transaction: LoginTransaction, expectedVersion: Int) async throws -> Bool {
        guard self.transactions[transaction.id]?.version == expectedVersion else { return false }
        self.transactions[transaction.id] = transaction
        return true
    }

    func delete(id: String, expectedVersion: Int) async throws -> Bool {
        guard self.transactions[id]?.version == expectedVersion else { return false }
        self.transactions[id] = nil
        return true
    }

    func purgeExpired(before now: Date) async throws -> Int {
        let expired = self.transactions.values.filter { $0.expiresAt < now }
        for transaction in expired { self.transactions[transaction.id] = nil }
        return expired.count
    }

    func insert(_ record: AccessTokenRecord) async throws { self.tokens[record.digest] = record }
    func accessToken(digest: String) async throws -> AccessTokenRecord? { self.tokens[digest] }

    func insert(_ ticket: Ticket) async throws { self.ticketsByDigest[ticket.digest] = ticket }
    func ticket(digest: String) async throws -> Ticket? { self.ticketsByDigest[digest] }

    func markUsed(digest: String, at date: Date) async throws -> Bool {
        guard self.ticketsByDigest[digest]?.usedAt == nil, self.ticketsByDigest[digest] != nil else { return false }
        self.ticketsByDigest[digest]?.usedAt = date
        return true
    }

    func recordAttempt(_ attempt: LoginAttempt, pairSince: Date, accountSince: Date) async throws -> AttemptCounts {
        self.failures.append(attempt)
        return try await self.counts(
            companyID: attempt.companyID,
            usernameKey: attempt.usernameKey,
            address: attempt.address,
            pairSince: pairSince,
            accountSince: accountSince
        )
    }

    func reserveAttempt(_ attempt: LoginAttempt, limits: AttemptLimits) async throws -> Bool {
        let counts = try await self.counts(
            companyID: attempt.companyID,
            usernameKey: attempt.usernameKey,
            address: attempt.address,
            pairSince: limits.pairSince,
            accountSince: limits.accountSince
        )
        let address = try await self.failures(address: attempt.address, since: limits.addressSince).count
        guard counts.pair < limits.pairLimit, counts.account < limits.accountLimit, address < limits.addressLimit else {
            return false
        }
        self.failures.append(attempt)
        return true
    }

    func forgetAttempt(id: String) async throws { self.failures.removeAll { $0.id == id } }

    func counts(
        companyID: Int64,
        usernameKey: String,
        address: String,
        pairSince: Date,
        accountSince: Date
    ) async throws
        -> AttemptCounts
    {
        let account = self.failures.filter { $0.companyID == companyID && $0.usernameKey == usernameKey }
        return AttemptCounts(
            pair: account.filter { $0.address == address && $0.at > pairSince }.count,
            account: account.filter { $0.at > accountSince }.count
        )
    }

    func failures(address: String, since: Date) async throws -> (count: Int, oldest: Date?) {
        let matching = self.failures.filter { $0.address == address && $0.at > since }
        return (matching.count, matching.map(\.at).min())
    }

    func lock(companyID: Int64, usernameKey: String, until: Date, now: Date) async throws -> Bool {
        let key = "\(companyID)/\(usernameKey)"
        if let current = self.locks[key], current > now { return false }
        self.locks[key] = until
        return true
    }

    func lockedUntil(companyID: Int64, usernameKey: String, now: Date) async throws -> Date? {
        self.locks["\(companyID)/\(usernameKey)"].flatMap { $0 > now ? $0 : nil }
    }

    func unlock(companyID: Int64, usernameKey: String) async throws -> Bool {
        let key = "\(companyID)/\(usernameKey)"
        let had = self.locks[key] != nil
        self.locks[key] = nil
        self.failures.removeAll { $0.companyID == companyID && $0.usernameKey == usernameKey }
        return had
    }

    func record(_ event: AuditEvent) async throws { self.auditEvents.append(event) }

    func events(companyID: Int64?, userID: Int64?, since: Date?, limit: Int) async throws -> [AuditEvent] {
        Array(
            self.auditEvents.filter { (userID == nil || $0.userID == userID) && (companyID == nil || $0.companyID == companyID) }
                .reversed().prefix(limit)
        )
    }
}
