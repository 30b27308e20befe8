import Foundation
import Logging
import TesseraCore
import TesseraTestSupport
import Testing

@testable import TesseraStorage

/// The storage contract: what every backend must do behind the core's ports, on a real SQLite file and a real
/// PostgreSQL server.
@Suite struct StorageContractTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func withDatabase(_ backend: TestBackend, _ body: (TesseraDatabase) async throws -> Void) async throws {
        try await TestDatabase.with(backend) { test in
            let database = try await test.open()
            do {
                try await body(database)
            } catch {
                await database.close()
                throw error
            }
            await database.close()
        }
    }

    func seed(_ database: TesseraDatabase) async throws -> (Company, AppKey, User) {
        let company = try await database.directory.createCompany(
            name: "acme",
            policy: CompanyPolicy(requireTwoFactor: true, requirePin: false, tokenLifetime: 3600),
            now: self.now
        )
        let app = try await database.directory.createAppKey(companyID: company.id, name: "terminal", digest: "app-digest", now: self.now)
        let user = try await database.directory.createUser(
            NewUser(
                companyID: company.id,
                username: "Jose\u{301}",
                passwordHash: "bcrypt-sha256$x",
                email: "jose@example.com",
                phone: "+15550001111",
                twoFactor: .sms,
                profile: UserProfile(firstName: "Jos\u{e9}", middleName: "M", lastName: "Q", salutation: "Mr", suffix: "Jr")
            ),
            now: self.now
        )
        return (company, app, user)
    }

    @Test(arguments: TestBackend.allCases) func companiesAppKeysAndUsersRoundTrip(_ backend: TestBackend) async throws {
        try await self.withDatabase(backend) { database in
            let (company, app, user) = try await self.seed(database)
            #expect(try await database.directory.company(named: "acme") == company)
            #expect(try await database.directory.company(id: company.id) == company)
            #expect(try await database.directory.companies() == [company])
            let resolved = try #require(try await database.directory.app(digest: "app-digest"))
            #expect(resolved.appKey == app)
            #expect(resolved.company == company)
            #expect(try await database.directory.app(digest: "other") == nil)

            #expect(user.username == "Jos\u{e9}")
            let found = try #require(try await database.directory.user(companyID: company.id, usernameKey: Username.key("JOSÉ")))
            #expect(found == user)
            #expect(try await database.directory.user(id: user.id) == user)
            #expect(try await database.directory.users(companyID: company.id) == [user])
            #expect(try await database.directory.user(companyID: company.id + 1, usernameKey: user.usernameKey) == nil)
        }
    }

    @Test(arguments: TestBackend.allCases) func authenticatorSecretsArePendingThenConfirmedAndStepsAreSpentOnce(_ backend: TestBackend) async throws {
        try await self.withDatabase(backend) { database in
            let (_, _, user) = try await self.seed(database)
            let directory = database.directory
            try await directory.setPendingAuthenticator(userID: user.id, sealedSecret: "v1.pending")
            var stored = try #require(try await directory.user(id: user.id))
            #expect(stored.totpPendingSecret == "v1.pending" && stored.totpSecret == nil && stored.twoFactor == .sms)
            // Only the pending secret that was checked can be confirmed.
            #expect(try await directory.confirmAuthenticator(userID: user.id, sealedSecret: "v1.other", usedStep: 7) == false)
            #expect(try await directory.confirmAuthenticator(userID: user.id, sealedSecret: "v1.pending", usedStep: 7))
            stored = try #require(try await directory.user(id: user.id))
            #expect(stored.totpSecret == "v1.pending" && stored.totpPendingSecret == nil)
            #expect(stored.totpLastStep == 7 && stored.twoFactor == .totp)
            #expect(try await directory.confirmAuthenticator(userID: user.id, sealedSecret: "v1.pending", usedStep: 8) == false)

            // A step is spent once, and never an earlier one after a later one.
            #expect(try await directory.spendAuthenticatorStep(userID: user.id, step: 7) == false)
            #expect(try await directory.spendAuthenticatorStep(userID: user.id, step: 9))
            #expect(try await directory.spendAuthenticatorStep(userID: user.id, step: 9) == false)
            #expect(try await directory.spendAuthenticatorStep(userID: user.id, step: 8) == false)
            #expect(try await directory.user(id: user.id)?.totpLastStep == 9)

            // Operator enrolment: in force at once, nothing pending, no step spent.
            try await directory.setPendingAuthenticator(userID: user.id, sealedSecret: "v1.next")
            try await directory.setAuthenticator(userID: user.id, sealedSecret: "v1.operator")
            stored = try #require(try await directory.user(id: user.id))
            #expect(stored.totpSecret == "v1.operator" && stored.totpPendingSecret == nil && stored.totpLastStep == nil)
            #expect(try await directory.spendAuthenticatorStep(userID: user.id, step: 1))
            #expect(stored.twoFactor == .totp)
        }
    }

    @Test(arguments: TestBackend.allCases) func namesAreUnique(_ backend: TestBackend) async throws {
        try await self.withDatabase(backend) { database in
            let (company, _, _) = try await self.seed(database)
            await #expect(throws: DuplicateName("company \"acme\"")) {
                _ = try await database.directory.createCompany(name: "acme", policy: CompanyPolicy(), now: self.now)
            }
            await #expect(throws: DuplicateName.self) {
                _ = try await database.directory.createUser(
                    NewUser(companyID: company.id, username: "JOS\u{c9}", passwordHash: "h"),
                    now: self.now
                )
            }
            let other = try await database.directory.createCompany(name: "other", policy: CompanyPolicy(), now: self.now)
            _ = try await database.directory.createUser(NewUser(companyID: other.id, username: "jos\u{e9}", passwordHash: "h"), now: self.now)
        }
    }

    @Test(arguments: TestBackend.allCases) func revokingAndDisabling(_ backend: TestBackend) async throws {
        try await self.withDatabase(backend) { database in
            let (_, _, user) = try await self.seed(database)
            #expect(try await database.directory.revokeAppKey(digest: "app-digest", now: self.now))
            #expect(try await database.directory.app(digest: "app-digest")?.appKey.revokedAt == self.now)
            #expect(try await database.directory.revokeAppKey(digest: "app-digest", now: self.now) == false)
            try await database.directory.setUserDisabled(id: user.id, at: self.now)
            #expect(try await database.directory.user(id: user.id)?.disabledAt == self.now)
            try await database.directory.setUserDisabled(id: user.id, at: nil)
            #expect(try await database.directory.user(id: user.id)?.isDisabled == false)
            try await database.directory.setPinDigest(userID: user.id, digest: "pin")
            #expect(try await database.directory.user(id: user.id)?.pinDigest == "pin")
        }
    }

    @Test(arguments: TestBackend.allCases) func transactionsChangeOnlyAtTheVersionTheyWereRead(_ backend: TestBackend) async throws {
        try await self.withDatabase(backend) { database in
            let (_, app, user) = try await self.seed(database)
            var transaction = LoginTransaction(
                id: "t1",
                interimTokenDigest: "ticket",
                appKeyID: app.id,
                userID: user.id,
                passwordProof: "proof",
                step: .verificationCode,
                codeDigest: "code",
                codeExpiresAt: self.now.addingTimeInterval(300),
                codeSentAt: self.now,
                createdAt: self.now,
                expiresAt: self.now.addingTimeInterval(600),
                version: 1
            )
            try await database.transactions.insert(transaction)
            #expect(try await database.transactions.transaction(interimTokenDigest: "ticket") == transaction)

            transaction.codeFailures = 1
            transaction.version = 2
            #expect(try await database.transactions.update(transaction, expectedVersion: 1))
            #expect(try await database.transactions.update(transaction, expectedVersion: 1) == false)
            #expect(try await database.transactions.transaction(interimTokenDigest: "ticket")?.codeFailures == 1)

            #expect(try await database.transactions.delete(id: "t1", expectedVersion: 1) == false)
            #expect(try await database.transactions.delete(id: "t1", expectedVersion: 2))
            #expect(try await database.transactions.transaction(interimTokenDigest: "ticket") == nil)
        }
    }

    @Test(arguments: TestBackend.allCases) func expiredTransactionsArePurged(_ backend: TestBackend) async throws {
        try await self.withDatabase(backend) { database in
            let (_, app, user) = try await self.seed(database)
            for (id, life) in [("old", -1.0), ("live", 600.0)] {
                try await database.transactions.insert(
                    LoginTransaction(
                        id: id,
                        interimTokenDigest: id,
                        appKeyID: app.id,
                        userID: user.id,
                        passwordProof: "p",
                        step: .securityPin,
                        createdAt: self.now,
                        expiresAt: self.now.addingTimeInterval(life)
                    )
                )
            }
            #expect(try await database.transactions.purgeExpired(before: self.now) == 1)
            #expect(try await database.transactions.transaction(interimTokenDigest: "old") == nil)
            #expect(try await database.transactions.transaction(interimTokenDigest: "live") != nil)
        }
    }

    @Test(arguments: TestBackend.allCases) func accessTokensAndTicketsSurviveAReopen(_ backend: TestBackend) async throws {
        try await TestDatabase.with(backend) { test in
            let database = try await test.open()
            let (company, app, user) = try await self.seed(database)
            let record = AccessTokenRecord(
                digest: "token-digest",
                userID: user.id,
                appKeyID: app.id,
                companyID: company.id,
                issuedAt: self.now,
                expiresAt: self.now.addingTimeInterval(3600)
            )
            #expect(try await database.accessTokens.insert(record))
            let ticket = Ticket(
                digest: "ticket-digest",
                userID: user.id,
                appKeyID: app.id,
                purpose: .pinSetup,
                createdAt: self.now,
                expiresAt: self.now.addingTimeInterval(600)
            )
            try await database.tickets.insert(ticket)
            await database.close()

            let reopened = try await test.open()
            #expect(try await reopened.accessTokens.accessToken(digest: "token-digest") == record)
            #expect(try await reopened.tickets.ticket(digest: "ticket-digest") == ticket)
            #expect(try await reopened.tickets.markUsed(digest: "ticket-digest", at: self.now))
            #expect(try await reopened.tickets.markUsed(digest: "ticket-digest", at: self.now) == false)
            try await reopened.ping()
            await reopened.close()
        }
    }

    @Test(arguments: TestBackend.sql) func aNewerSchemaIsRefused(_ backend: TestBackend) async throws {
        try await TestDatabase.with(backend) { test in
            let storage: SQLStorage
            switch test.url {
            case .sqlite(let path): storage = try await SQLStorage.openSQLite(path: path, logger: Logger(label: "test"))
            case .postgres(let url): storage = try await SQLStorage.openPostgres(url: url, logger: Logger(label: "test"))
            }
            try await storage.write("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)")
            await storage.close()
            await #expect(throws: StorageError.schemaTooNew(found: 999, known: Migrations.latestVersion)) {
                _ = try await test.open()
            }
        }
    }

    @Test func theDatabaseFileIsPrivate() async throws {
        try await TestDatabase.with(.sqlite) { test in
            let database = try await test.open()
            await database.close()
            guard case .sqlite(let path) = test.url else { return }
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o077 } == 0)
        }
    }

    @Test func nodesStartingTogetherMigrateOnce() async throws {
        try await TestDatabase.with(.postgres) { test in
            // Eight nodes' worth of openers race on an empty database: each must come up, none may apply a step
            // twice (that would fail on "table exists"). SQLite is one node's file: its writer lock does the same.
            try await withThrowingTaskGroup(of: TesseraDatabase.self) { group in
                for _ in 0..<8 { group.addTask { try await test.open() } }
                for try await database in group {
                    try await database.ping()
                    await database.close()
                }
            }
        }
    }
}

@Suite struct DatabaseURLTests {
    @Test func parsing() throws {
        #expect(try DatabaseURL(parsing: "sqlite://tessera.sqlite") == .sqlite(path: "tessera.sqlite"))
        #expect(try DatabaseURL(parsing: "sqlite:///var/lib/t.sqlite") == .sqlite(path: "/var/lib/t.sqlite"))
        #expect(try DatabaseURL(parsing: "postgres://u:p@h:5432/d") == .postgres(url: "postgres://u:p@h:5432/d"))
        #expect(throws: StorageError.self) { try DatabaseURL(parsing: "mysql://x") }
        #expect(throws: StorageError.self) { try DatabaseURL(parsing: "sqlite://") }
    }

    @Test func descriptionsHideThePassword() throws {
        let url = try DatabaseURL(parsing: "postgres://tessera:s3cret@db:5432/tessera")
        #expect(!url.description.contains("s3cret"))
        #expect(url.description.contains("tessera:***@db:5432/tessera"))
    }
}
