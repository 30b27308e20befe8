import Foundation
import TesseraCore
import TesseraStorage

/// Every store of the core in memory, behaving as the SQL stores do: the storage contract suites run against it
/// as they run against SQLite and PostgreSQL, so the fake behind the core's unit tests cannot drift from them.
public actor InMemoryStore: DirectoryStore, LoginTransactionStore, AccessTokenStore, TicketStore, AttemptStore, AuditLog,
    ResetCodeStore, MessageQueue, RefreshTokenStore, DeviceStore
{
    public private(set) var failures: [LoginAttempt] = []
    public private(set) var auditEvents: [AuditEvent] = []
    public private(set) var transactions: [String: LoginTransaction] = [:]
    public private(set) var tokens: [String: AccessTokenRecord] = [:]
    var locks: [String: Date] = [:]
    var companiesByID: [Int64: Company] = [:]
    var appKeys: [Int64: AppKey] = [:]
    var usersByID: [Int64: User] = [:]
    var tokenOrder: [String: Int64] = [:]
    var ticketsByDigest: [String: Ticket] = [:]
    var resetCodes: [String: ResetCode] = [:]
    var settings: [String: String] = [:]
    var resetWindows: [String: Date] = [:]
    var refreshTokensByDigest: [String: RefreshTokenRecord] = [:]
    var passwordHistories: [Int64: [String]] = [:]
    var deviceSightings: [Int64: [String: Date]] = [:]
    var trustedDevicesByID: [String: TrustedDevice] = [:]
    var operatorRoles: [Int64: OperatorRole] = [:]
    public private(set) var queue: [Int64: (message: NewQueuedMessage, attempts: Int, due: Date, leasedUntil: Date?)] = [:]
    private var nextIDs: [String: Int64] = [:]

    public init() {}

    /// Every store, as the services take them.
    public nonisolated var stores: TesseraStores { TesseraStores(self) }

    /// The store as a database: purge, ping and settings as the SQL databases have them; closing keeps the data,
    /// so a reopen finds it.
    public nonisolated var database: TesseraDatabase {
        TesseraDatabase(
            stores: self.stores,
            purge: { now in try await self.purge(now) },
            ping: {},
            close: {},
            setting: { name in await self.settings[name] },
            setSetting: { name, value in await self.set(setting: name, value) }
        )
    }

    private func newID(_ table: String) -> Int64 {
        let id = (self.nextIDs[table] ?? 0) + 1
        self.nextIDs[table] = id
        return id
    }

    private func set(setting name: String, _ value: String) { self.settings[name] = value }

    private func purge(_ now: Date) async throws {
        _ = try await self.purgeExpired(before: now)
        let dayAgo = now.addingTimeInterval(-86_400)
        self.failures.removeAll { $0.at < dayAgo }
        self.locks = self.locks.filter { $0.value >= dayAgo }
        self.resetWindows = self.resetWindows.filter { $0.value >= dayAgo }
    }

    /// Times are stored to the millisecond, as the SQL stores keep them.
    static func stored(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    // MARK: Directory

    public func createCompany(name: String, policy: CompanyPolicy, now: Date) async throws -> Company {
        guard !self.companiesByID.values.contains(where: { $0.name == name }) else { throw DuplicateName("company \"\(name)\"") }
        let company = Company(id: self.newID("companies"), name: name, policy: policy)
        self.companiesByID[company.id] = company
        return company
    }

    public func updateCompany(id: Int64, policy: CompanyPolicy) async throws -> Company? {
        guard self.companiesByID[id] != nil else { return nil }
        self.companiesByID[id]?.policy = policy
        return self.companiesByID[id]
    }

    public func company(named name: String) async throws -> Company? { self.companiesByID.values.first { $0.name == name } }
    public func company(id: Int64) async throws -> Company? { self.companiesByID[id] }
    public func companies() async throws -> [Company] { self.companiesByID.values.sorted { $0.name < $1.name } }

    public func createAppKey(companyID: Int64, name: String, digest: String, now: Date) async throws -> AppKey {
        let key = AppKey(id: self.newID("app_keys"), companyID: companyID, name: name, digest: digest, createdAt: Self.stored(now))
        self.appKeys[key.id] = key
        return key
    }

    public func app(digest: String) async throws -> ResolvedApp? {
        guard let key = self.appKeys.values.first(where: { $0.digest == digest }), let company = self.companiesByID[key.companyID]
        else { return nil }
        return ResolvedApp(appKey: key, company: company)
    }

    public func appKeys(companyID: Int64) async throws -> [AppKey] {
        self.appKeys.values.filter { $0.companyID == companyID }.sorted { $0.id < $1.id }
    }

    public func setIntrospectionSecret(appKeyID: Int64, digest: String) async throws {
        self.appKeys[appKeyID]?.introspectionSecretDigest = digest
    }

    public func revokeAppKey(digest: String, now: Date) async throws -> Bool {
        guard let key = self.appKeys.values.first(where: { $0.digest == digest }) else { return false }
        let revoked = key.revokedAt == nil
        if revoked { self.appKeys[key.id]?.revokedAt = Self.stored(now) }
        // The key's tokens die with it, also when the key was revoked already (a retried revoke).
        for (tokenDigest, record) in self.tokens where record.appKeyID == key.id && record.revokedAt == nil {
            self.tokens[tokenDigest]?.revokedAt = Self.stored(now)
        }
        return revoked
    }

    public func createUser(_ user: NewUser, now: Date) async throws -> User {
        let username = Username.canonical(user.username)
        guard
            !self.usersByID.values.contains(where: { $0.companyID == user.companyID && $0.usernameKey == Username.key(username) })
        else { throw DuplicateName("user \"\(username)\"") }
        let created = User(
            id: self.newID("users"),
            companyID: user.companyID,
            username: username,
            passwordHash: user.passwordHash,
            email: user.email,
            phone: user.phone,
            twoFactor: user.twoFactor,
            pinDigest: user.pinDigest,
            profile: user.profile,
            addedAt: Self.stored(now)
        )
        self.usersByID[created.id] = created
        return created
    }

    public func user(companyID: Int64, usernameKey: String) async throws -> User? {
        self.usersByID.values.first { $0.companyID == companyID && $0.usernameKey == usernameKey }
    }

    public func user(id: Int64) async throws -> User? { self.usersByID[id] }

    public func resetProfile(companyID: Int64, usernameKey: String) async throws -> ResetProfile? {
        try await self.user(companyID: companyID, usernameKey: usernameKey).map {
            ResetProfile(userID: $0.id, isDisabled: $0.isDisabled, secretAnswerDigest: $0.secretAnswerDigest)
        }
    }

    public func users(companyID: Int64) async throws -> [User] {
        self.usersByID.values.filter { $0.companyID == companyID }.sorted { $0.usernameKey < $1.usernameKey }
    }

    public func setUserDisabled(id: Int64, at date: Date?) async throws { self.usersByID[id]?.disabledAt = date.map(Self.stored) }
    public func recordSignIn(userID: Int64, at date: Date) async throws { self.usersByID[userID]?.lastSignInAt = Self.stored(date) }
    public func setPinDigest(userID: Int64, digest: String?) async throws { self.usersByID[userID]?.pinDigest = digest }

    public func setPassword(userID: Int64, hash: String, changedAt: Date) async throws {
        if let replaced = self.usersByID[userID]?.passwordHash {
            self.passwordHistories[userID, default: []].insert(replaced, at: 0)
            self.passwordHistories[userID] = Array(self.passwordHistories[userID, default: []].prefix(PasswordPolicy.maximumHistory))
        }
        self.usersByID[userID]?.passwordHash = hash
        self.usersByID[userID]?.passwordChangedAt = Self.stored(changedAt)
        self.usersByID[userID]?.passwordExpired = false
        for (id, device) in self.trustedDevicesByID where device.userID == userID && device.revokedAt == nil {
            self.trustedDevicesByID[id]?.revokedAt = Self.stored(changedAt)
        }
    }

    public func passwordHistory(userID: Int64, limit: Int) async throws -> [String] {
        Array(self.passwordHistories[userID, default: []].prefix(max(limit, 0)))
    }

    public func expirePassword(userID: Int64) async throws { self.usersByID[userID]?.passwordExpired = true }

    public func setPin(userID: Int64, digest: String, image: String?, phrase: String?) async throws {
        self.usersByID[userID]?.pinDigest = digest
        self.usersByID[userID]?.pinImage = image
        self.usersByID[userID]?.pinPhrase = phrase
    }

    public func setSecretQuestion(userID: Int64, question: String?, answerDigest: String?) async throws {
        self.usersByID[userID]?.secretQuestion = question
        self.usersByID[userID]?.secretAnswerDigest = answerDigest
    }

    public func setPendingAuthenticator(userID: Int64, sealedSecret: String?) async throws {
        self.usersByID[userID]?.totpPendingSecret = sealedSecret
    }

    public func confirmAuthenticator(userID: Int64, sealedSecret: String, usedStep: Int64) async throws -> Bool {
        guard let user = self.usersByID[userID], user.totpPendingSecret == sealedSecret else { return false }
        self.usersByID[userID]?.totpSecret = sealedSecret
        self.usersByID[userID]?.totpPendingSecret = nil
        self.usersByID[userID]?.totpLastStep = usedStep
        self.usersByID[userID]?.twoFactor = .totp
        return true
    }

    public func setAuthenticator(userID: Int64, sealedSecret: String) async throws {
        self.usersByID[userID]?.totpSecret = sealedSecret
        self.usersByID[userID]?.totpPendingSecret = nil
        self.usersByID[userID]?.totpLastStep = nil
        self.usersByID[userID]?.twoFactor = .totp
    }

    public func spendAuthenticatorStep(userID: Int64, step: Int64) async throws -> Bool {
        guard let user = self.usersByID[userID], user.totpLastStep.map({ step > $0 }) ?? true else { return false }
        self.usersByID[userID]?.totpLastStep = step
        return true
    }

    // MARK: Login transactions

    public func insert(_ transaction: LoginTransaction) async throws {
        guard self.transactions[transaction.id] == nil,
            !self.transactions.values.contains(where: { $0.interimTokenDigest == transaction.interimTokenDigest })
        else { throw DuplicateName("login transaction") }
        self.transactions[transaction.id] = transaction
    }

    public func transaction(interimTokenDigest: String) async throws -> LoginTransaction? {
        self.transactions.values.first { $0.interimTokenDigest == interimTokenDigest }
    }

    public func update(_ transaction: LoginTransaction, expectedVersion: Int) async throws -> Bool {
        guard var stored = self.transactions[transaction.id], stored.version == expectedVersion else { return false }
        // Only what an update may change: the identity of the transaction stays as it was inserted.
        stored.step = transaction.step
        stored.codeDigest = transaction.codeDigest
        stored.codeExpiresAt = transaction.codeExpiresAt
        stored.codeSentAt = transaction.codeSentAt
        stored.codeFailures = transaction.codeFailures
        stored.pinFailures = transaction.pinFailures
        stored.version = transaction.version
        stored.codeVerified = transaction.codeVerified
        self.transactions[transaction.id] = stored
        return true
    }

    public func delete(id: String, expectedVersion: Int) async throws -> Bool {
        guard self.transactions[id]?.version == expectedVersion else { return false }
        self.transactions[id] = nil
        return true
    }

    public func purgeExpired(before now: Date) async throws -> Int {
        self.resetCodes = self.resetCodes.filter { $0.value.expiresAt > now }
        self.refreshTokensByDigest = self.refreshTokensByDigest.filter { $0.value.expiresAt > now }
        self.trustedDevicesByID = self.trustedDevicesByID.filter { $0.value.expiresAt > now }
        let expired = self.transactions.values.filter { $0.expiresAt < now }
        for transaction in expired { self.transactions[transaction.id] = nil }
        return expired.count
    }

    // MARK: Access tokens

    public func insert(_ record: AccessTokenRecord) async throws -> Bool {
        guard self.tokens[record.digest] == nil else { throw DuplicateName("access token") }
        guard let key = self.appKeys[record.appKeyID], key.revokedAt == nil else { return false }
        var stored = record
        stored.authenticatedAt = Self.stored(record.authenticatedAt)
        stored.sessionStartedAt = Self.stored(record.sessionStartedAt)
        self.tokens[record.digest] = stored
        self.tokenOrder[record.digest] = self.newID("access_tokens")
        return true
    }

    public func accessToken(digest: String) async throws -> AccessTokenRecord? { self.tokens[digest] }

    public func revoke(digest: String, at date: Date) async throws -> Bool {
        if let session = self.tokens[digest]?.sessionID { self.endRefresh(at: date) { $0.sessionID == session && $0.revokedAt == nil } }
        guard let session = self.tokens[digest]?.sessionID else { return false }
        var changed = false
        for (key, record) in self.tokens where record.sessionID == session && record.revokedAt == nil {
            self.tokens[key]?.revokedAt = Self.stored(date)
            changed = true
        }
        return changed
    }

    public func sessionOwner(sessionID: String) async throws -> Int64? {
        self.tokens.values.first { $0.sessionID == sessionID }?.userID
    }

    public func revoke(sessionID: String, userID: Int64?, at date: Date) async throws -> Bool {
        let refreshed = self.endRefresh(at: date) {
            $0.sessionID == sessionID && $0.revokedAt == nil && $0.expiresAt > date && (userID == nil || $0.userID == userID)
        }
        let live = self.tokens.values.filter {
            $0.sessionID == sessionID && $0.revokedAt == nil && $0.expiresAt > date && (userID == nil || $0.userID == userID)
        }
        for record in live { self.tokens[record.digest]?.revokedAt = Self.stored(date) }
        return !live.isEmpty || refreshed > 0
    }

    /// Revokes the refresh tokens that match; returns how many.
    @discardableResult
    private func endRefresh(at date: Date, _ matches: (RefreshTokenRecord) -> Bool) -> Int {
        let ended = self.refreshTokensByDigest.values.filter(matches)
        for record in ended { self.refreshTokensByDigest[record.digest]?.revokedAt = Self.stored(date) }
        return ended.count
    }

    public func revokeAll(userID: Int64, keeping: String?, at date: Date) async throws -> Int {
        let kept = keeping.flatMap { self.tokens[$0]?.sessionID }
        self.endRefresh(at: date) { $0.userID == userID && $0.revokedAt == nil && $0.sessionID != kept }
        let live = self.tokens.values.filter { $0.userID == userID && $0.revokedAt == nil && $0.expiresAt > date && $0.digest != keeping }
        for record in live { self.tokens[record.digest]?.revokedAt = Self.stored(date) }
        return live.count
    }

    public func sessions(userID: Int64, now: Date) async throws -> [Session] {
        self.tokens.values.filter { $0.userID == userID && $0.revokedAt == nil && $0.expiresAt > now }
            .sorted { ($0.issuedAt, self.tokenOrder[$0.digest] ?? 0) > ($1.issuedAt, self.tokenOrder[$1.digest] ?? 0) }
            .map { Session(record: $0, appName: self.appKeys[$0.appKeyID]?.name ?? "") }
    }

    public func lookup(digest: String) async throws -> TokenLookup? {
        guard let record = self.tokens[digest], let user = self.usersByID[record.userID], let key = self.appKeys[record.appKeyID]
        else { return nil }
        return TokenLookup(record: record, user: user, appName: key.name, appKeyRevokedAt: key.revokedAt)
    }

    public func touch(digest: String, at date: Date) async throws { self.tokens[digest]?.lastSeenAt = Self.stored(date) }

    public func touch(_ uses: [(digest: String, at: Date)]) async throws {
        for use in uses where (self.tokens[use.digest]?.lastSeenAt ?? .distantFuture) < Self.stored(use.at) {
            self.tokens[use.digest]?.lastSeenAt = Self.stored(use.at)
        }
    }

    // MARK: Tickets and reset codes

    public func insert(_ ticket: Ticket) async throws {
        guard self.ticketsByDigest[ticket.digest] == nil else { throw DuplicateName("ticket") }
        self.ticketsByDigest[ticket.digest] = ticket
    }

    public func ticket(digest: String) async throws -> Ticket? { self.ticketsByDigest[digest] }

    public func markUsed(digest: String, at date: Date) async throws -> Bool {
        guard let ticket = self.ticketsByDigest[digest], ticket.usedAt == nil else { return false }
        self.ticketsByDigest[digest]?.usedAt = Self.stored(date)
        return true
    }

    public func replaceResetCode(_ code: ResetCode) async throws -> Bool {
        if let held = self.resetCodes[code.digest], held.userID != code.userID { return false }
        self.resetCodes = self.resetCodes.filter { $0.value.userID != code.userID }
        self.resetCodes[code.digest] = code
        return true
    }

    public func latestResetCode(userID: Int64) async throws -> ResetCode? {
        self.resetCodes.values.first { $0.userID == userID }
    }

    public func takeResetCode(digest: String, now: Date) async throws -> ResetCode? {
        guard let code = self.resetCodes[digest], code.expiresAt > now else { return nil }
        self.resetCodes[digest] = nil
        return code
    }

    // MARK: Attempts

    public func reserveAttempt(_ attempt: LoginAttempt, limits: AttemptLimits) async throws -> AttemptReservation {
        let (address, oldest) = self.failures(address: attempt.address, since: limits.addressSince, scope: attempt.scope)
        guard address < limits.addressLimit else { return .addressExhausted(oldest: oldest) }
        let counts = self.counts(attempt, pairSince: limits.pairSince, accountSince: limits.accountSince)
        let locked = try await self.lockedUntil(companyID: attempt.companyID, usernameKey: attempt.usernameKey, now: attempt.at) != nil
        if !locked && counts.pair < limits.pairLimit && counts.account < limits.accountLimit {
            self.failures.append(attempt)
            return .reserved
        }
        if limits.countsRefusals {
            var refused = attempt
            refused.usernameKey = BruteForceGuard.refusedAttemptsKey
            self.failures.append(refused)
        }
        return .refused
    }

    public func recordAttempt(_ attempt: LoginAttempt, pairSince: Date, accountSince: Date) async throws -> AttemptCounts {
        self.failures.append(attempt)
        return self.counts(attempt, pairSince: pairSince, accountSince: accountSince)
    }

    public func forgetAttempt(id: String) async throws { self.failures.removeAll { $0.id == id } }

    public func counts(
        companyID: Int64,
        usernameKey: String,
        address: String,
        pairSince: Date,
        accountSince: Date
    ) async throws
        -> AttemptCounts
    {
        self.counts(
            LoginAttempt(id: "", companyID: companyID, usernameKey: usernameKey, address: address, at: Date(), scope: .login),
            pairSince: pairSince,
            accountSince: accountSince
        )
    }

    /// The counts of `attempt`'s account, from its address and from anywhere, in its scope.
    private func counts(_ attempt: LoginAttempt, pairSince: Date, accountSince: Date) -> AttemptCounts {
        let account = self.failures.filter {
            $0.scope == attempt.scope && $0.companyID == attempt.companyID && $0.usernameKey == attempt.usernameKey
        }
        return AttemptCounts(
            pair: account.filter { $0.address == attempt.address && $0.at > pairSince }.count,
            account: account.filter { $0.at > accountSince }.count
        )
    }

    public func failures(address: String, since: Date) async throws -> (count: Int, oldest: Date?) {
        self.failures(address: address, since: since, scope: .login)
    }

    private func failures(address: String, since: Date, scope: AttemptScope) -> (count: Int, oldest: Date?) {
        let matching = self.failures.filter { $0.scope == scope && $0.address == address && $0.at > since }
        return (matching.count, matching.map(\.at).min())
    }

    public func lock(companyID: Int64, usernameKey: String, until: Date, now: Date) async throws -> Bool {
        let key = "\(companyID)/\(usernameKey)"
        if let current = self.locks[key], current > now { return false }
        self.locks[key] = until
        return true
    }

    public func lockedUntil(companyID: Int64, usernameKey: String, now: Date) async throws -> Date? {
        self.locks["\(companyID)/\(usernameKey)"].flatMap { $0 > now ? $0 : nil }
    }

    public func unlock(companyID: Int64, usernameKey: String) async throws -> Bool {
        let key = "\(companyID)/\(usernameKey)"
        let hadLock = self.locks.removeValue(forKey: key) != nil
        let before = self.failures.count
        self.failures.removeAll { $0.companyID == companyID && $0.usernameKey == usernameKey }
        return hadLock || self.failures.count != before
    }

    public func claimResetWindow(companyID: Int64, usernameKey: String, now: Date, interval: TimeInterval) async throws -> Bool {
        let key = "\(companyID)/\(usernameKey)"
        if let opened = self.resetWindows[key], opened > now.addingTimeInterval(-interval) { return false }
        self.resetWindows[key] = Self.stored(now)
        return true
    }

    // MARK: Messages

    public func enqueue(_ message: NewQueuedMessage) async throws {
        var stored = message
        stored.createdAt = Self.stored(message.createdAt)
        self.queue[self.newID("message_queue")] = (stored, 0, stored.createdAt, nil)
    }

    public func lease(now: Date, limit: Int, for lease: TimeInterval) async throws -> [QueuedMessage] {
        let due = self.queue.filter { $0.value.due <= now && ($0.value.leasedUntil.map { $0 < now } ?? true) }
            .sorted { ($0.value.due, $0.key) < ($1.value.due, $1.key) }.prefix(limit)
        return due.map { id, entry in
            self.queue[id]?.attempts += 1
            self.queue[id]?.leasedUntil = Self.stored(now.addingTimeInterval(lease))
            return QueuedMessage(id: id, message: entry.message, attempts: entry.attempts + 1)
        }.sorted { $0.id < $1.id }
    }

    public func complete(id: Int64) async throws { self.queue[id] = nil }

    public func retry(id: Int64, at date: Date) async throws {
        self.queue[id]?.due = Self.stored(date)
        self.queue[id]?.leasedUntil = nil
    }

    public func pendingCount() async throws -> Int { self.queue.count }

    // MARK: Audit

    public func record(_ event: AuditEvent) async throws {
        var stored = event
        stored.at = Self.stored(event.at)
        self.auditEvents.append(stored)
    }

    public func events(kind: AuditKind?, companyID: Int64?, userID: Int64?, since: Date?, limit: Int) async throws -> [AuditEvent] {
        let matching = self.auditEvents.enumerated().filter { _, event in
            (kind == nil || event.kind == kind) && (companyID == nil || event.companyID == companyID) && (userID == nil || event.userID == userID)
                && (since.map { event.at >= $0 } ?? true)
        }
        return matching.sorted { ($0.element.at, $0.offset) > ($1.element.at, $1.offset) }.prefix(limit).map(\.element)
    }
}
