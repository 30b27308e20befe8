import Foundation

/// An operator of the back office: a user of the built-in operators company, with a role.
public struct BackOfficeOperator: Sendable, Equatable {
    public var user: User
    public var role: OperatorRole

    public init(user: User, role: OperatorRole) {
        self.user = user
        self.role = role
    }

    /// The actor the back office's actions are checked against and audited as.
    public var actor: OperatorActor {
        OperatorActor(name: "operator:\(self.user.username)", role: self.role, userID: self.user.id)
    }
}

/// What a support operator may do to a user, by the name the back office's routes use.
public enum SupportAction: String, Sendable, CaseIterable {
    case unlock, disable, enable
    case endSessions = "end-sessions"
    case expirePassword = "expire-password"
    case sendReset = "send-reset"
    case reenrolAuthenticator = "reenrol-totp"
    case clearPin = "clear-pin"
}

/// Logins per hour, for the back office's overview.
public struct LoginActivityHour: Sendable, Equatable {
    public var start: Date
    public var succeeded = 0
    public var failed = 0
    public var throttled = 0
    public var locked = 0

    public init(start: Date) {
        self.start = start
    }
}

/// A current account lock, for the overview.
public struct CurrentLock: Sendable, Equatable {
    public var company: String
    public var usernameKey: String
    public var until: Date

    public init(company: String, usernameKey: String, until: Date) {
        self.company = company
        self.usernameKey = usernameKey
        self.until = until
    }
}

extension OperatorService {
    /// The built-in company whose users are the back office's operators. Its name cannot clash with a broker's:
    /// no other company name starts with `#`.
    public static let operatorsCompany = "#operators"
    /// The app the back office signs operators in through.
    static let consoleApp = "console"

    /// The operators' company and the app their sign-ins go through, made on first use: authenticator codes
    /// required, sessions of 8 hours, a recent sign-in (15 minutes) for destructive actions.
    public func operatorsApp() async throws -> ResolvedApp {
        let company: Company
        if let found = try await self.directory.company(named: Self.operatorsCompany) {
            company = found
        } else {
            do {
                company = try await self.directory.createCompany(name: Self.operatorsCompany, policy: Self.operatorsPolicy, now: self.now)
            } catch is DuplicateName {
                // Another process made it first.
                guard let made = try await self.directory.company(named: Self.operatorsCompany) else { throw OperatorError(.conflict, "retry") }
                company = made
            }
        }
        let keys = try await self.directory.appKeys(companyID: company.id)
        // The oldest, should two processes have made one at once on the very first start.
        if let key = keys.filter({ $0.name == Self.consoleApp && !$0.isRevoked }).min(by: { $0.id < $1.id }) {
            return ResolvedApp(appKey: key, company: company)
        }
        // Nobody knows this key: the back office finds it by name and signs operators in through it.
        let key = try await self.directory.createAppKey(
            companyID: company.id,
            name: Self.consoleApp,
            digest: SecretDigest.sha256(self.generator.token()),
            now: self.now
        )
        return ResolvedApp(appKey: key, company: company)
    }

    /// How long an operator's session lasts at most, in seconds.
    public static let operatorsSessionLifetime = 8 * 3600

    static let operatorsPolicy = CompanyPolicy(
        requireTwoFactor: true,
        tokenLifetime: operatorsSessionLifetime,
        passwords: PasswordPolicy(minimumLength: 12),
        recentAuthentication: 15
    )

    /// Creates an operator with an authenticator (returned once) and a role.
    public func createOperator(
        username: String,
        role: OperatorRole,
        password: String,
        email: String?,
        by actor: OperatorActor
    ) async throws -> (BackOfficeOperator, AuthenticatorEnrolment) {
        try actor.require(.admin)
        _ = try await self.operatorsApp()
        let draft = UserDraft(company: Self.operatorsCompany, username: username, password: password, email: email, twoFactor: .totp)
        let (user, _) = try await self.createUser(draft, by: actor)
        // The authenticator app shows the back office's name, not the built-in company's.
        let enrolment = try await self.authenticators(try self.keyring()).enrol(
            userID: user.id,
            issuer: "Tessera back office",
            account: user.username
        )
        try await self.directory.setOperatorRole(userID: user.id, role: role)
        try await self.record(.operatorCreated, by: actor, companyID: user.companyID, userID: user.id, outcome: role.rawValue)
        return (BackOfficeOperator(user: user, role: role), enrolment)
    }

    /// Every live operator, by username.
    public func operators(by actor: OperatorActor) async throws -> [BackOfficeOperator] {
        try actor.require(.viewer)
        let app = try await self.operatorsApp()
        var found: [BackOfficeOperator] = []
        for user in try await self.directory.users(companyID: app.company.id) where !user.isDisabled {
            if let role = try await self.directory.operatorRole(userID: user.id) { found.append(BackOfficeOperator(user: user, role: role)) }
        }
        return found
    }

    /// The operator behind a user of the operators' company, if it is one and enabled.
    public func backOfficeOperator(_ signedIn: SignedInUser) async throws -> BackOfficeOperator? {
        guard let user = try await self.directory.user(id: signedIn.id), !user.isDisabled,
            let company = try await self.directory.company(id: user.companyID),
            company.name == Self.operatorsCompany, let role = try await self.directory.operatorRole(userID: user.id)
        else { return nil }
        return BackOfficeOperator(user: user, role: role)
    }

    /// Removes an operator: no role, the user disabled, every session ended. An operator cannot remove themself.
    public func deleteOperator(username: String, by actor: OperatorActor) async throws {
        try actor.require(.admin)
        let (company, user) = try await self.resolve(UserReference(username: username, company: Self.operatorsCompany))
        guard user.id != actor.userID else { throw OperatorError(.conflict, "an operator cannot delete themself") }
        guard try await self.directory.operatorRole(userID: user.id) != nil else {
            throw OperatorError(.notFound, "no operator is named \"\(username)\"")
        }
        try await self.directory.setOperatorRole(userID: user.id, role: nil)
        try await self.directory.setUserDisabled(id: user.id, at: self.now)
        _ = try await self.stores.accessTokens.revokeAll(userID: user.id, keeping: nil, at: self.now)
        try await self.record(.operatorDeleted, by: actor, companyID: company.id, userID: user.id)
    }

    /// The user a support action is about. The operators' own accounts are the admins' to act on: a support
    /// operator cannot disable an admin or re-enrol their authenticator.
    func resolveForSupport(_ reference: UserReference, by actor: OperatorActor) async throws -> (Company, User) {
        let (company, user) = try await self.resolve(reference)
        if company.name == Self.operatorsCompany { try actor.require(.admin) }
        return (company, user)
    }

    /// Refuses changes to the built-in operators' company: its policy (authenticator codes, 8-hour sessions) and
    /// its one app are what the back office's security rests on.
    func refuseOperatorsCompany(_ name: String) throws(OperatorError) {
        guard name != Self.operatorsCompany else {
            throw OperatorError(.conflict, "the operators' company is built in: its policy and app keys cannot be changed")
        }
    }

    /// Ends a console session (a sign-out, an idle or an 8-hour-old session) and audits it.
    public func endConsoleSession(_ record: AccessTokenRecord, by actor: OperatorActor? = nil, reason: String) async throws {
        guard try await self.stores.accessTokens.revoke(digest: record.digest, at: self.now) else { return }
        try await self.stores.audit.record(
            AuditEvent(
                at: self.now,
                kind: .tokensRevoked,
                companyID: record.companyID,
                userID: record.userID,
                appKeyID: record.appKeyID,
                outcome: "console session ended: \(reason)",
                actor: actor?.name ?? "back office"
            )
        )
    }

    // MARK: What the back office adds to the CLI's actions

    /// Performs one support action on a user, by its name in the back office; a re-enrolment returns the new
    /// authenticator secret (shown once).
    public func perform(_ action: SupportAction, on reference: UserReference, by actor: OperatorActor) async throws -> AuthenticatorEnrolment? {
        switch action {
        case .unlock: _ = try await self.unlock(reference, by: actor)
        case .disable: _ = try await self.setDisabled(reference, true, by: actor)
        case .enable: _ = try await self.setDisabled(reference, false, by: actor)
        case .endSessions: _ = try await self.endSessions(of: reference, by: actor)
        case .expirePassword: try await self.expirePassword(reference, by: actor)
        case .sendReset: try await self.sendReset(reference, by: actor)
        case .clearPin: try await self.clearPin(reference, by: actor)
        case .reenrolAuthenticator: return try await self.enrolAuthenticator(reference, by: actor)
        }
        return nil
    }

    /// Revokes an app key by its id (the back office never holds the key itself).
    public func revokeAppKey(id: Int64, company name: String, by actor: OperatorActor) async throws -> AppKey {
        try actor.require(.admin)
        try self.refuseOperatorsCompany(name)
        let company = try await self.requireCompany(name)
        guard let key = try await self.directory.appKeys(companyID: company.id).first(where: { $0.id == id }), !key.isRevoked,
            try await self.directory.revokeAppKey(digest: key.digest, now: self.now)
        else { throw OperatorError(.notFound, "\(name) has no live app key with the id \(id)") }
        try await self.record(.appKeyRevoked, by: actor, companyID: company.id, appKeyID: key.id)
        var revoked = key
        revoked.revokedAt = self.now
        return revoked
    }

    /// Queues a password reset code to the user, as `POST /v1.0/users/password/reset` would.
    public func sendReset(_ reference: UserReference, by actor: OperatorActor) async throws {
        try actor.require(.support)
        let (company, user) = try await self.resolveForSupport(reference, by: actor)
        guard user.email != nil || user.phone != nil else { throw OperatorError(.conflict, "the user has no email or phone to send a code to") }
        try await self.stores.messages.enqueue(
            NewQueuedMessage(kind: .resetCode, companyID: company.id, usernameKey: user.usernameKey, createdAt: self.now)
        )
        try await self.record(.resetRequested, by: actor, companyID: company.id, userID: user.id, outcome: "queued by an operator")
    }

    /// Clears the user's PIN: a company that requires one asks for a new one at the next login (`PIN code is not
    /// init`), where the user also picks an image and phrase again.
    public func clearPin(_ reference: UserReference, by actor: OperatorActor) async throws {
        try actor.require(.support)
        let (company, user) = try await self.resolveForSupport(reference, by: actor)
        try await self.directory.setPinDigest(userID: user.id, digest: nil)
        try await self.record(.pinChanged, by: actor, companyID: company.id, userID: user.id, outcome: "cleared by an operator")
    }

    /// Users of every company whose username or email contains `text` (case-insensitive), at most `limit`.
    public func searchUsers(_ text: String, limit: Int = 100, by actor: OperatorActor) async throws -> [(Company, User)] {
        try actor.require(.viewer)
        let companies = Dictionary(uniqueKeysWithValues: try await self.companies(by: actor).map { ($0.id, $0) })
        let found = try await self.directory.searchUsers(text.trimmingCharacters(in: .whitespaces), limit: limit)
        // Operators are on their own page; `companies` leaves their company out.
        return found.compactMap { user in companies[user.companyID].map { ($0, user) } }
    }

    /// The user's account lock, if it is locked now.
    public func lockedUntil(_ reference: UserReference, by actor: OperatorActor) async throws -> Date? {
        try actor.require(.viewer)
        let (company, user) = try await self.resolve(reference)
        return try await self.stores.attempts.lockedUntil(companyID: company.id, usernameKey: user.usernameKey, now: self.now)
    }

    /// Logins succeeded, failed, throttled and locked in each of the last `hours` hours (oldest first), from the
    /// audit log, and the accounts locked now.
    public func overview(hours: Int = 24, by actor: OperatorActor) async throws -> (hours: [LoginActivityHour], locks: [CurrentLock]) {
        try actor.require(.viewer)
        let now = self.now
        let hour: TimeInterval = 3600
        let first = (now.timeIntervalSince1970 / hour).rounded(.down) * hour - TimeInterval(hours - 1) * hour
        var buckets = (0..<hours).map { LoginActivityHour(start: Date(timeIntervalSince1970: first + TimeInterval($0) * hour)) }
        let events = try await self.stores.audit.events(companyID: nil, userID: nil, since: Date(timeIntervalSince1970: first), limit: 200_000)
        for event in events {
            let index = Int((event.at.timeIntervalSince1970 - first) / hour)
            guard buckets.indices.contains(index) else { continue }
            switch event.kind {
            case .loginSucceeded: buckets[index].succeeded += 1
            case .loginFailed: buckets[index].failed += 1
            case .loginThrottled: buckets[index].throttled += 1
            case .accountLocked: buckets[index].locked += 1
            default: break
            }
        }
        let names = Dictionary(uniqueKeysWithValues: try await self.directory.companies().map { ($0.id, $0.name) })
        let locks = try await self.stores.attempts.currentLocks(now: now).map { lock in
            CurrentLock(company: names[lock.companyID] ?? "#\(lock.companyID)", usernameKey: lock.usernameKey, until: lock.until)
        }
        return (buckets, locks)
    }
}
