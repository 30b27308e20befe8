import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import Synchronization
import TesseraBcrypt
import TesseraCore
import TesseraDelivery
import TesseraServer
import TesseraStorage
import Testing

/// A real SQLite file in a temp directory, seeded with companies, apps and users, and a server built on it by
/// the same `buildApplication` the executable uses.
struct TestWorld {
    static let password = "correct horse battery staple"
    /// bcrypt's cost in most tests: real bcrypt, at a sixteenth of the production cost's work. The whole suite
    /// runs at once on two cores, and at cost 10 its hashes queued behind each other for ten seconds and more:
    /// a request with two hashes in it (a password change) ran into the client's 20 s timeout.
    static let testCost: UInt8 = 6
    /// The cost a server runs at unless told otherwise, for the tests about hashing slots and hash timing.
    static let productionCost: UInt8 = 10
    /// The web origin acme's browser terminal is served from (acme's only allowed origin).
    static let acmeTerminal = "https://trade.acme.example"

    let directory: URL
    let databasePath: String
    let outboxPath: String
    /// The cost of the seeded users' hashes and of the server's.
    let bcryptCost: UInt8
    let clock = ManualClock()
    let key = try! ServerKey(bytes: (0..<32).map { UInt8($0) })
    /// App keys by name: `acme` (terminal), `acme-mobile` (same company, other app), `pinco`, `shortco`,
    /// `otherco`, `etnaco`, `devco`, `devco-mobile`, `revoked`.
    var appKeys: [String: String] = [:]

    /// Runs `body` with a fresh world and removes its files afterwards, whatever happens.
    static func with<T>(bcryptCost: UInt8 = Self.testCost, _ body: (TestWorld) async throws -> T) async throws -> T {
        let world = try await Self.make(bcryptCost: bcryptCost)
        defer { world.removeFiles() }
        return try await body(world)
    }

    static func make(bcryptCost: UInt8 = Self.testCost) async throws -> TestWorld {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var world = TestWorld(
            directory: directory,
            databasePath: directory.appendingPathComponent("tessera.sqlite").path,
            outboxPath: directory.appendingPathComponent("outbox.jsonl").path,
            bcryptCost: bcryptCost
        )
        try await world.seed()
        return world
    }

    private mutating func seed() async throws {
        let database = try await TesseraDatabase.open(.sqlite(path: self.databasePath), logger: Logger(label: "test"))
        let directory = database.directory
        let now = self.clock.now
        let hash = try await BcryptPasswordHasher(cost: self.bcryptCost).hash(Self.password)
        let secrets = KeyedDigester(key: self.key)

        func company(_ name: String, _ policy: CompanyPolicy) async throws -> Company {
            try await directory.createCompany(name: name, policy: policy, now: now)
        }
        func app(_ label: String, _ company: Company) async throws {
            let key = SecureRandom().token()
            _ = try await directory.createAppKey(companyID: company.id, name: label, digest: SecretDigest.sha256(key), now: now)
            self.appKeys[label] = key
        }
        func user(_ name: String, _ company: Company, twoFactor: TwoFactorMethod = .none, pin: String? = nil) async throws -> User {
            let user = try await directory.createUser(
                NewUser(
                    companyID: company.id,
                    username: name,
                    passwordHash: hash,
                    email: "\(name.lowercased())@example.com",
                    phone: "+1555000\(name.count)000",
                    twoFactor: twoFactor,
                    profile: UserProfile(firstName: "First", lastName: name)
                ),
                now: now
            )
            if let pin {
                try await directory.setPinDigest(userID: user.id, digest: secrets.pinDigest(pin, userID: user.id))
            }
            return user
        }

        let acme = try await company("acme", CompanyPolicy(browserOrigins: [Self.acmeTerminal]))
        try await app("acme", acme)
        try await app("resource", acme)
        let resourceSecret = SecureRandom().token()
        let resource = try #require(try await directory.app(digest: SecretDigest.sha256(self.appKeys["resource"]!)))
        try await directory.setIntrospectionSecret(appKeyID: resource.appKey.id, digest: SecretDigest.sha256(resourceSecret))
        self.appKeys["resource-secret"] = resourceSecret
        try await app("acme-mobile", acme)
        try await app("revoked", acme)
        _ = try await directory.revokeAppKey(digest: SecretDigest.sha256(self.appKeys["revoked"]!), now: now)
        _ = try await user("alice", acme)
        _ = try await user("bob", acme, twoFactor: .email)
        _ = try await user("carol", acme, twoFactor: .sms)
        _ = try await user("Jos\u{e9}", acme)
        let henry = try await user("henry", acme)
        try await directory.setUserDisabled(id: henry.id, at: now)

        let pinco = try await company("pinco", CompanyPolicy(requirePin: true))
        try await app("pinco", pinco)
        _ = try await user("dave", pinco, pin: "2468")
        _ = try await user("erin", pinco)
        _ = try await user("frank", pinco, twoFactor: .email, pin: "1357")

        let shortco = try await company("shortco", CompanyPolicy(tokenLifetime: 60))
        try await app("shortco", shortco)
        _ = try await user("gina", shortco)

        let quinn = try await user("quinn", acme)
        try await directory.setSecretQuestion(
            userID: quinn.id,
            question: "Name of your first pet?",
            answerDigest: secrets.secretAnswerDigest("Rex the Dog", userID: quinn.id)
        )

        let expco = try await company("expco", CompanyPolicy(passwords: PasswordPolicy(maximumAgeDays: 30)))
        try await app("expco", expco)
        _ = try await user("ivan", expco)

        let keepco = try await company("keepco", CompanyPolicy(passwords: PasswordPolicy(revokeSessionsOnChange: false)))
        try await app("keepco", keepco)
        _ = try await user("kim", keepco)

        // Refresh tokens: each lives an hour, a session at most two.
        let refco = try await company(
            "refco",
            CompanyPolicy(tokenLifetime: 600, refresh: RefreshPolicy(lifetime: 3600, sessionMaxAge: 7200))
        )
        try await app("refco", refco)
        try await app("refco-resource", refco)
        let refcoSecret = SecureRandom().token()
        let refcoResource = try #require(try await directory.app(digest: SecretDigest.sha256(self.appKeys["refco-resource"]!)))
        try await directory.setIntrospectionSecret(appKeyID: refcoResource.appKey.id, digest: SecretDigest.sha256(refcoSecret))
        self.appKeys["refco-resource-secret"] = refcoSecret
        _ = try await user("rita", refco)
        _ = try await user("rob", refco, twoFactor: .email)

        // ETNA's password policies: three character classes, and the last two passwords not again.
        let polco = try await company("polco", CompanyPolicy(passwords: PasswordPolicy(requiredClasses: 3, history: 2)))
        try await app("polco", polco)
        _ = try await user("pat", polco)

        // Step-up within 10 minutes, accounts expiring after 30 unused days, new-device notices, devices remembered
        // for 30 days.
        let devco = try await company(
            "devco",
            CompanyPolicy(
                refresh: RefreshPolicy(lifetime: 3600, sessionMaxAge: 7200),
                recentAuthentication: 10,
                userExpiryDays: 30,
                devices: DevicePolicy(newDeviceNotices: true, trustedDeviceDays: 30)
            )
        )
        try await app("devco", devco)
        try await app("devco-mobile", devco)
        _ = try await user("dina", devco, twoFactor: .email)
        _ = try await user("dex", devco)
        _ = try await user("dora", devco, twoFactor: .email)

        let otherco = try await company("otherco", CompanyPolicy(requireTwoFactor: true))
        try await app("otherco", otherco)
        try await app("otherco-resource", otherco)
        let otherSecret = SecureRandom().token()
        let otherResource = try #require(try await directory.app(digest: SecretDigest.sha256(self.appKeys["otherco-resource"]!)))
        try await directory.setIntrospectionSecret(appKeyID: otherResource.appKey.id, digest: SecretDigest.sha256(otherSecret))
        self.appKeys["otherco-resource-secret"] = otherSecret
        _ = try await user("alice", otherco)

        // Answers a throttled /token as ETNA's login guard does.
        let etnaco = try await company(
            "etnaco",
            CompanyPolicy(lockout: LockoutPolicy(addressFailureLimit: 2), throttleAnswer: .etna)
        )
        try await app("etnaco", etnaco)
        _ = try await user("lena", etnaco)
        await database.close()
    }

    func configuration(logLevel: Logger.Level = .warning) -> ServerConfiguration {
        ServerConfiguration(
            host: "127.0.0.1",
            port: 0,
            database: .sqlite(path: self.databasePath),
            outboxPath: self.outboxPath,
            logLevel: logLevel,
            bcryptCost: self.bcryptCost,
            trustedProxies: [TrustedProxy("127.0.0.1")!, TrustedProxy("::1")!],
            // The shared test client keeps one connection for a whole test, which can sit unused for over a
            // minute on a loaded machine; the connection tests set their own timeouts.
            idleTimeout: .seconds(600),
            clock: self.clock,
            serverKey: self.key
        )
    }

    /// Runs `body` against a live server on a real socket.
    func withServer<T: Sendable>(
        trustedProxies: [TrustedProxy]? = nil,
        hashingWait: Duration? = nil,
        hasher: (any PasswordHasher)? = nil,
        smtp: SMTPConfiguration? = nil,
        smsWebhook: SMSWebhookConfiguration? = nil,
        basePaths: [APIBasePath]? = nil,
        _ body: @Sendable (Client) async throws -> T
    ) async throws -> T {
        var configuration = self.configuration()
        if let basePaths { configuration.basePaths = basePaths }
        configuration.passwordHasher = hasher
        configuration.smtp = smtp
        configuration.smsWebhook = smsWebhook
        if let trustedProxies { configuration.trustedProxies = trustedProxies }
        if let hashingWait { configuration.hashingWait = hashingWait }
        let app = try await buildApplication(configuration)
        return try await app.test(.live) { client in try await body(Client(client: client, world: self)) }
    }

    /// The codes written to the outbox for `destination`, oldest first (of one purpose, when given).
    func codes(to destination: String, purpose: String? = nil) throws -> [String] {
        try self.messages(to: destination).filter { purpose == nil || $0["purpose"] as? String == purpose }
            .compactMap { $0["code"] as? String }
    }

    /// The codes for `destination` once there are at least `count` of them: reset codes and notices leave from the
    /// message queue, after the request that asked for them was answered.
    func awaitCodes(to destination: String, purpose: String? = nil, count: Int = 1) async throws -> [String] {
        for _ in 0..<200 {
            let codes = try self.codes(to: destination, purpose: purpose)
            if codes.count >= count { return codes }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try self.codes(to: destination, purpose: purpose)
    }

    /// The outbox lines for `destination` once there are at least `count` of them.
    func awaitMessages(to destination: String, count: Int = 1) async throws -> [[String: any Sendable]] {
        for _ in 0..<200 {
            let messages = try self.messages(to: destination)
            if messages.count >= count { return messages }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try self.messages(to: destination)
    }

    /// Waits until the message queue has nothing left to send (at most 10 s), so a test can check what was not sent.
    func drainQueue() async throws {
        let database = try await TesseraDatabase.open(.sqlite(path: self.databasePath), logger: Logger(label: "test"))
        defer { Task { await database.close() } }
        for _ in 0..<200 {
            if try await database.stores.messages.pendingCount() == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the message queue did not drain")
    }

    /// The outbox lines for `destination`, oldest first.
    func messages(to destination: String) throws -> [[String: any Sendable]] {
        guard let data = FileManager.default.contents(atPath: self.outboxPath) else { return [] }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: any Sendable]
            return object?["to"] as? String == destination ? object : nil
        }
    }

    /// Runs `body` with the operator service on the world's database and clock, as the CLI and the admin API have it.
    func withOperators<T>(_ body: (OperatorService) async throws -> T) async throws -> T {
        let database = try await TesseraDatabase.open(.sqlite(path: self.databasePath), logger: Logger(label: "test"))
        let key = self.key
        let operators = OperatorService(stores: database.stores, hasher: BcryptPasswordHasher(cost: self.bcryptCost), clock: self.clock) {
            KeyedDigester(key: key)
        }
        do {
            let result = try await body(operators)
            await database.close()
            return result
        } catch {
            await database.close()
            throw error
        }
    }

    func removeFiles() {
        try? FileManager.default.removeItem(at: self.directory)
    }
}
