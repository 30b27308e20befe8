import Foundation

/// Everything an operator does — companies and their policies, app keys, users, locks, authenticators,
/// sessions, audit — with the rules each action follows, checked against the actor's role and audited with the
/// actor's name. The CLI and the admin API call this one service; neither writes rules of its own.
///
/// ```swift
/// let operators = OperatorService(stores: database.stores, environment: environment)
/// let company = try await operators.createCompany(name: "acme", policy: CompanyPolicy(requireTwoFactor: true), by: .cli)
/// let created = try await operators.createAppKey(company: "acme", name: "terminal", by: .cli)
/// print(created.key)   // shown once; only its digest is kept
/// ```
public struct OperatorService: Sendable {
    let stores: TesseraStores
    let hasher: any PasswordHasher
    let clock: any WallClock
    let generator: any SecretGenerator
    /// The keyed digester, asked for only by the actions that digest or seal (PINs, secret answers,
    /// authenticators): the CLI loads the server key for those alone.
    let keyring: @Sendable () throws -> KeyedDigester

    public init(
        stores: TesseraStores,
        hasher: any PasswordHasher,
        clock: any WallClock,
        generator: any SecretGenerator = SecureRandom(),
        keyring: @escaping @Sendable () throws -> KeyedDigester
    ) {
        self.stores = stores
        self.hasher = hasher
        self.clock = clock
        self.generator = generator
        self.keyring = keyring
    }

    /// The service inside the server, which holds its key.
    public init(stores: TesseraStores, environment: ServiceEnvironment) {
        let secrets = environment.secrets
        self.init(stores: stores, hasher: environment.hasher, clock: environment.clock, generator: environment.generator) { secrets }
    }

    var directory: any DirectoryStore { self.stores.directory }
    var now: Date { self.clock.now }

    // MARK: Companies

    /// Every company, by name.
    public func companies(by actor: OperatorActor) async throws -> [Company] {
        try actor.require(.viewer)
        // The built-in operators' company is the back office's own, not a broker's: see ``operators(by:)``.
        return try await self.directory.companies().filter { $0.name != Self.operatorsCompany }
    }

    /// The company named `name`.
    public func company(named name: String, by actor: OperatorActor) async throws -> Company {
        try actor.require(.viewer)
        return try await self.requireCompany(name)
    }

    /// Creates a company with a policy in range.
    public func createCompany(name: String, policy: CompanyPolicy, by actor: OperatorActor) async throws -> Company {
        try actor.require(.admin)
        let name = try DisplayName.validated(name, as: .companyName, what: "a company")
        // `#` names are the built-in ones' (the operators' company).
        guard !name.hasPrefix("#") else { throw OperatorError(.invalid, "a \(.companyName) cannot begin with #") }
        try policy.validate()
        let company: Company
        do {
            company = try await self.directory.createCompany(name: name, policy: policy, now: self.now)
        } catch let error as DuplicateName {
            throw OperatorError(.conflict, "\(error.what) already exists")
        }
        try await self.record(.companyCreated, by: actor, companyID: company.id)
        return company
    }

    /// Changes a company's policy: `change` edits the current one; the result must be in range. The change is
    /// audited with what changed, and takes effect on each node when its app-key cache next reads the company.
    public func updateCompany(
        named name: String,
        by actor: OperatorActor,
        _ change: (inout CompanyPolicy) throws -> Void
    ) async throws
        -> Company
    {
        try actor.require(.admin)
        try self.refuseOperatorsCompany(name)
        let company = try await self.requireCompany(name)
        var policy = company.policy
        try change(&policy)
        try policy.validate()
        guard let updated = try await self.directory.updateCompany(id: company.id, policy: policy) else {
            throw OperatorError(.notFound, "no company is named \"\(name)\"")
        }
        let changes = company.policy.changes(to: policy)
        try await self.record(.companyUpdated, by: actor, companyID: company.id, outcome: changes.isEmpty ? "no change" : changes)
        return updated
    }

    // MARK: App keys

    /// An app key, and — for a resource server — the secret it introspects with. Both are shown once.
    public struct CreatedAppKey: Sendable {
        public var appKey: AppKey
        /// The `Et-App-Key`; only its digest is kept.
        public var key: String
        /// The introspection secret of a resource server; only its digest is kept.
        public var introspectionSecret: String?
    }

    /// A company's app keys (never the keys themselves: only their digests are stored).
    public func appKeys(company name: String, by actor: OperatorActor) async throws -> [AppKey] {
        try actor.require(.viewer)
        let company = try await self.requireCompany(name)
        return try await self.directory.appKeys(companyID: company.id)
    }

    /// Creates an app key for the company; a resource server also gets a secret for `POST /token/introspect`.
    public func createAppKey(
        company name: String,
        name appName: String,
        resourceServer: Bool = false,
        by actor: OperatorActor
    )
        async throws -> CreatedAppKey
    {
        try actor.require(.admin)
        try self.refuseOperatorsCompany(name)
        let appName = try DisplayName.validated(appName, as: .appName, what: "an app")
        let company = try await self.requireCompany(name)
        let key = self.argumentSafeToken()
        let secret = resourceServer ? self.generator.token() : nil
        let appKey = try await self.directory.createAppKey(companyID: company.id, name: appName, digest: SecretDigest.sha256(key), now: self.now)
        if let secret {
            try await self.directory.setIntrospectionSecret(appKeyID: appKey.id, digest: SecretDigest.sha256(secret))
        }
        try await self.record(.appKeyCreated, by: actor, companyID: company.id, appKeyID: appKey.id)
        return CreatedAppKey(appKey: appKey, key: key, introspectionSecret: secret)
    }

    /// A new app key that an operator can give a command as its argument (`tessera app revoke KEY`): base64url
    /// starts one in 64 with `-`, which would be read as an option.
    func argumentSafeToken() -> String {
        while true {
            let key = self.generator.token()
            if !key.hasPrefix("-") { return key }
        }
    }

    /// Revokes a live app key, and with it every token issued through it.
    public func revokeAppKey(_ key: String, by actor: OperatorActor) async throws -> AppKey {
        try actor.require(.admin)
        let digest = SecretDigest.sha256(key)
        guard let app = try await self.directory.app(digest: digest), app.company.name != Self.operatorsCompany,
            try await self.directory.revokeAppKey(digest: digest, now: self.now)
        else { throw OperatorError(.notFound, "no live app key matches") }
        try await self.record(.appKeyRevoked, by: actor, companyID: app.company.id, appKeyID: app.appKey.id)
        return app.appKey
    }

    // MARK: Shared

    func requireCompany(_ name: String) async throws -> Company {
        guard let company = try await self.directory.company(named: name) else {
            throw OperatorError(.notFound, "no company is named \"\(name)\"")
        }
        return company
    }

    /// Records an operator's action: who, on what, when.
    func record(
        _ kind: AuditKind,
        by actor: OperatorActor,
        companyID: Int64? = nil,
        userID: Int64? = nil,
        appKeyID: Int64? = nil,
        outcome: String = "success"
    ) async throws {
        try await self.stores.audit.record(
            AuditEvent(
                at: self.now,
                kind: kind,
                companyID: companyID,
                userID: userID,
                appKeyID: appKeyID,
                outcome: outcome,
                actor: actor.name
            )
        )
    }
}

/// A store refused a name because it is taken (a company's, a user's in its company). Stores throw it; the
/// services turn it into their own refusal.
public struct DuplicateName: Error, Equatable {
    /// What is taken, for a message: `company "acme"`.
    public var what: String

    public init(_ what: String) {
        self.what = what
    }
}
