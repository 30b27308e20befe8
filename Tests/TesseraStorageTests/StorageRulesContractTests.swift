import Foundation
import Logging
import TesseraCore
import TesseraTestSupport
import Testing

@testable import TesseraStorage

/// The storage rules the front door and the sessions rest on — counted failures, locks, single use, sessions,
/// audit — on every backend, parallel callers included.
@Suite struct StorageRulesContractTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let base = StorageContractTests()

    func limits(device: Int = 10, account: Int = 100, address: Int = 100) -> AttemptLimits {
        let since = self.now.addingTimeInterval(-3600)
        return AttemptLimits(
            pairSince: since,
            pairLimit: device,
            accountSince: since,
            accountLimit: account,
            addressSince: since,
            addressLimit: address
        )
    }

    func attempt(_ username: String = "jose", address: String = "10.0.0.1", company: Int64 = 1) -> LoginAttempt {
        LoginAttempt(id: UUID().uuidString, companyID: company, usernameKey: username, address: address, at: self.now)
    }

    @Test(arguments: TestBackend.allCases) func parallelReservationsGetExactlyTheLimit(_ backend: TestBackend) async throws {
        try await self.base.withDatabase(backend) { database in
            // Two pools of parallel callers (as two nodes would be) against one account.
            let granted = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        try await database.attempts.reserveAttempt(
                            self.attempt(address: "10.0.0.\(index % 2)"),
                            limits: self.limits(device: 100, account: 7)
                        ) == .reserved
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(granted == 7)
            let counts = try await database.attempts.counts(
                companyID: 1,
                usernameKey: "jose",
                address: "10.0.0.0",
                pairSince: self.now.addingTimeInterval(-3600),
                accountSince: self.now.addingTimeInterval(-3600)
            )
            #expect(counts.account == 7)
        }
    }

    @Test(arguments: TestBackend.allCases) func reservationsRespectEveryLimit(_ backend: TestBackend) async throws {
        try await self.base.withDatabase(backend) { database in
            let attempts = database.attempts
            // Pair: this account from this address.
            for _ in 0..<3 { #expect(try await attempts.reserveAttempt(self.attempt(), limits: self.limits(device: 3)) == .reserved) }
            #expect(try await attempts.reserveAttempt(self.attempt(), limits: self.limits(device: 3)) == .refused)
            // Another address still may.
            #expect(try await attempts.reserveAttempt(self.attempt(address: "10.0.0.2"), limits: self.limits(device: 3)) == .reserved)
            // Address: across accounts; nothing is recorded once it is out of failures.
            for index in 0..<2 {
                let reservation = try await attempts.reserveAttempt(self.attempt("u\(index)", address: "10.9.9.9"), limits: self.limits(address: 2))
                #expect(reservation == .reserved)
            }
            let exhausted = try await attempts.reserveAttempt(self.attempt("u9", address: "10.9.9.9"), limits: self.limits(address: 2))
            #expect(exhausted == .addressExhausted(oldest: self.now))
            let failures = try await attempts.failures(address: "10.9.9.9", since: self.now.addingTimeInterval(-60))
            #expect(failures.count == 2)
            #expect(failures.oldest == self.now)
            // A forgotten attempt no longer counts; an old one is outside the window.
            let extra = self.attempt("v", address: "10.8.8.8")
            #expect(try await attempts.reserveAttempt(extra, limits: self.limits(address: 1)) == .reserved)
            try await attempts.forgetAttempt(id: extra.id)
            #expect(try await attempts.reserveAttempt(self.attempt("v", address: "10.8.8.8"), limits: self.limits(address: 1)) == .reserved)
            var old = self.attempt("w", address: "10.7.7.7")
            old.at = self.now.addingTimeInterval(-7200)
            _ = try await attempts.recordAttempt(old, pairSince: self.now, accountSince: self.now)
            #expect(try await attempts.reserveAttempt(self.attempt("w", address: "10.7.7.7"), limits: self.limits(address: 1)) == .reserved)
        }
    }

    @Test(arguments: TestBackend.allCases) func aLockedAccountIsRefusedAndRefusalsCountAgainstTheAddressOnlyWhenAsked(
        _ backend: TestBackend
    )
        async throws
    {
        try await self.base.withDatabase(backend) { database in
            let attempts = database.attempts
            #expect(try await attempts.lock(companyID: 1, usernameKey: "jose", until: self.now.addingTimeInterval(60), now: self.now))
            var counting = self.limits(address: 3)
            counting.countsRefusals = true
            #expect(try await attempts.reserveAttempt(self.attempt(address: "10.1.1.1"), limits: self.limits(address: 3)) == .refused)
            #expect(try await attempts.failures(address: "10.1.1.1", since: self.now.addingTimeInterval(-60)).count == 0)
            for _ in 0..<3 { #expect(try await attempts.reserveAttempt(self.attempt(address: "10.1.1.1"), limits: counting) == .refused) }
            // The refusals used up the address: the next try is not even a refusal, and another account from the
            // same address is stopped as well.
            #expect(try await attempts.failures(address: "10.1.1.1", since: self.now.addingTimeInterval(-60)).count == 3)
            #expect(
                try await attempts.reserveAttempt(self.attempt("ana", address: "10.1.1.1"), limits: counting) == .addressExhausted(oldest: self.now)
            )
            let counts = try await attempts.counts(
                companyID: 1,
                usernameKey: "jose",
                address: "10.1.1.1",
                pairSince: self.now.addingTimeInterval(-3600),
                accountSince: self.now.addingTimeInterval(-3600)
            )
            #expect(counts == AttemptCounts(pair: 0, account: 0))
        }
    }

    @Test(arguments: TestBackend.allCases) func parallelRefusalsNeverOverrunTheAddressBudget(_ backend: TestBackend) async throws {
        try await self.base.withDatabase(backend) { database in
            // The account is out of failures; its address has five left. Of 30 parallel tries, exactly five are
            // refusals (each of which costs the caller a dummy hash) and the rest find the address exhausted.
            for _ in 0..<3 {
                _ = try await database.attempts.recordAttempt(self.attempt(address: "10.2.2.2"), pairSince: self.now, accountSince: self.now)
            }
            var counting = self.limits(device: 3, address: 8)
            counting.countsRefusals = true
            let limits = counting
            let outcomes = try await withThrowingTaskGroup(of: AttemptReservation.self) { group in
                for _ in 0..<30 { group.addTask { try await database.attempts.reserveAttempt(self.attempt(address: "10.2.2.2"), limits: limits) } }
                return try await group.reduce(into: [AttemptReservation]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .refused }.count == 5)
            #expect(outcomes.filter { if case .addressExhausted = $0 { true } else { false } }.count == 25)
        }
    }

    @Test(arguments: TestBackend.allCases) func recordedFailuresCountAndLocksHoldUntilTheyEnd(_ backend: TestBackend) async throws {
        try await self.base.withDatabase(backend) { database in
            let since = self.now.addingTimeInterval(-60)
            _ = try await database.attempts.recordAttempt(self.attempt(), pairSince: since, accountSince: since)
            let counts = try await database.attempts.recordAttempt(self.attempt(address: "10.0.0.2"), pairSince: since, accountSince: since)
            #expect(counts == AttemptCounts(pair: 1, account: 2))

            let until = self.now.addingTimeInterval(3600)
            #expect(try await database.attempts.lock(companyID: 1, usernameKey: "jose", until: until, now: self.now))
            #expect(try await database.attempts.lock(companyID: 1, usernameKey: "jose", until: until, now: self.now) == false)
            #expect(try await database.attempts.lockedUntil(companyID: 1, usernameKey: "jose", now: self.now) == until)
            #expect(try await database.attempts.lockedUntil(companyID: 2, usernameKey: "jose", now: self.now) == nil)
            #expect(try await database.attempts.lockedUntil(companyID: 1, usernameKey: "jose", now: until) == nil)
            // A lock that ran out is replaced (and reported as new).
            #expect(try await database.attempts.lock(companyID: 1, usernameKey: "jose", until: until.addingTimeInterval(60), now: until))
            #expect(try await database.attempts.unlock(companyID: 1, usernameKey: "jose"))
            #expect(try await database.attempts.unlock(companyID: 1, usernameKey: "jose") == false)
            let after = try await database.attempts.counts(
                companyID: 1,
                usernameKey: "jose",
                address: "10.0.0.1",
                pairSince: since,
                accountSince: since
            )
            #expect(after == AttemptCounts(pair: 0, account: 0))
        }
    }

    @Test(arguments: TestBackend.allCases) func singleUseHoldsUnderParallelCallers(_ backend: TestBackend) async throws {
        try await self.base.withDatabase(backend) { database in
            let (company, app, user) = try await self.base.seed(database)
            try await database.tickets.insert(
                Ticket(
                    digest: "t",
                    userID: user.id,
                    appKeyID: app.id,
                    purpose: .passwordChange,
                    createdAt: self.now,
                    expiresAt: self.now.addingTimeInterval(600)
                )
            )
            #expect(
                try await database.resetCodes.replaceResetCode(
                    ResetCode(digest: "r", userID: user.id, companyID: company.id, createdAt: self.now, expiresAt: self.now.addingTimeInterval(900))
                )
            )
            try await database.transactions.insert(
                LoginTransaction(
                    id: "tx",
                    interimTokenDigest: "tx",
                    appKeyID: app.id,
                    userID: user.id,
                    passwordProof: "p",
                    step: .verificationCode,
                    createdAt: self.now,
                    expiresAt: self.now.addingTimeInterval(600),
                    version: 1
                )
            )
            let wins = try await withThrowingTaskGroup(of: (Bool, Bool, Bool).self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        (
                            try await database.tickets.markUsed(digest: "t", at: self.now),
                            try await database.resetCodes.takeResetCode(digest: "r", now: self.now) != nil,
                            try await database.transactions.delete(id: "tx", expectedVersion: 1)
                        )
                    }
                }
                return try await group.reduce(into: [0, 0, 0]) { counts, won in
                    counts[0] += won.0 ? 1 : 0
                    counts[1] += won.1 ? 1 : 0
                    counts[2] += won.2 ? 1 : 0
                }
            }
            #expect(wins == [1, 1, 1])
        }
    }

    @Test(arguments: TestBackend.allCases) func resetCodesReplaceAndExpire(_ backend: TestBackend) async throws {
        try await self.base.withDatabase(backend) { database in
            let (company, _, user) = try await self.base.seed(database)
            let first = ResetCode(
                digest: "a",
                userID: user.id,
                companyID: company.id,
                createdAt: self.now,
                expiresAt: self.now.addingTimeInterval(900)
            )
            #expect(try await database.resetCodes.replaceResetCode(first))
            var second = first
            second.digest = "b"
            #expect(try await database.resetCodes.replaceResetCode(second))
            #expect(try await database.resetCodes.latestResetCode(userID: user.id) == second)
            #expect(try await database.resetCodes.takeResetCode(digest: "a", now: self.now) == nil)
            #expect(try await database.resetCodes.takeResetCode(digest: "b", now: self.now.addingTimeInterval(901)) == nil)
            #expect(try await database.resetCodes.takeResetCode(digest: "b", now: self.now) == second)
            // Another user's live code with the same digest: draw again.
            let other = try await database.directory.createUser(NewUser(companyID: company.id, username: "ana", passwordHash: "h"), now: self.now)
            #expect(
                try await database.resetCodes.replaceResetCode(
                    ResetCode(digest: "c", userID: user.id, companyID: company.id, createdAt: self.now, expiresAt: self.now.addingTimeInterval(900))
                )
            )
            #expect(
                try await database.resetCodes.replaceResetCode(
                    ResetCode(digest: "c", userID: other.id, companyID: company.id, createdAt: self.now, expiresAt: self.now.addingTimeInterval(900))
                ) == false
            )
        }
    }

    @Test(arguments: TestBackend.allCases) func sessionsRevocationAndTheValidationLookup(_ backend: TestBackend) async throws {
        try await self.base.withDatabase(backend) { database in
            let (company, app, user) = try await self.base.seed(database)
            func token(_ digest: String, session: String, issued: TimeInterval) -> AccessTokenRecord {
                AccessTokenRecord(
                    digest: digest,
                    userID: user.id,
                    appKeyID: app.id,
                    companyID: company.id,
                    issuedAt: self.now.addingTimeInterval(issued),
                    expiresAt: self.now.addingTimeInterval(3600),
                    sessionID: session,
                    address: "10.0.0.1",
                    userAgent: "test"
                )
            }
            for (index, name) in ["a", "b", "c"].enumerated() {
                #expect(try await database.accessTokens.insert(token(name, session: "s-\(name)", issued: Double(index))))
            }
            let found = try #require(try await database.accessTokens.lookup(digest: "a"))
            #expect(found.record == token("a", session: "s-a", issued: 0))
            #expect(found.user.id == user.id && found.user.username == user.username)
            #expect(found.appName == "terminal" && found.appKeyRevokedAt == nil && found.opensAPI(at: self.now))
            #expect(try await database.accessTokens.lookup(digest: "zzz") == nil)

            #expect(try await database.accessTokens.sessions(userID: user.id, now: self.now).map(\.record.digest) == ["c", "b", "a"])
            try await database.accessTokens.touch(digest: "b", at: self.now.addingTimeInterval(600))
            #expect(try await database.accessTokens.accessToken(digest: "b")?.lastSeenAt == self.now.addingTimeInterval(600))
            // A batch moves each time forward, never back, and passes over tokens it does not know.
            try await database.accessTokens.touch([
                (digest: "a", at: self.now.addingTimeInterval(700)), (digest: "b", at: self.now.addingTimeInterval(300)),
                (digest: "zzz", at: self.now.addingTimeInterval(900)),
            ])
            #expect(try await database.accessTokens.accessToken(digest: "a")?.lastSeenAt == self.now.addingTimeInterval(700))
            #expect(try await database.accessTokens.accessToken(digest: "b")?.lastSeenAt == self.now.addingTimeInterval(600))
            try await database.accessTokens.touch(
                (0..<1_200).map { (digest: "a\($0)", at: self.now) } + [(digest: "c", at: self.now.addingTimeInterval(60))]
            )
            #expect(
                try await database.accessTokens.accessToken(digest: "c")?.lastSeenAt == self.now.addingTimeInterval(60),
                "past one statement's 500"
            )

            #expect(try await database.accessTokens.revoke(sessionID: "s-b", userID: user.id + 1, at: self.now) == false)
            #expect(try await database.accessTokens.revoke(sessionID: "s-b", userID: user.id, at: self.now))
            #expect(try await database.accessTokens.revoke(sessionID: "s-b", userID: nil, at: self.now) == false)
            #expect(try await database.accessTokens.revoke(digest: "c", at: self.now))
            #expect(try await database.accessTokens.revoke(digest: "c", at: self.now) == false)
            #expect(try await database.accessTokens.insert(token("d", session: "s-d", issued: 5)))
            #expect(try await database.accessTokens.revokeAll(userID: user.id, keeping: "d", at: self.now) == 1)
            #expect(try await database.accessTokens.revokeAll(userID: user.id, keeping: nil, at: self.now) == 1)
            #expect(try await database.accessTokens.sessions(userID: user.id, now: self.now).isEmpty)
        }
    }

    @Test(arguments: TestBackend.allCases) func aRevokedKeyMintsNothingAndEndsWhatItMinted(_ backend: TestBackend) async throws {
        try await self.base.withDatabase(backend) { database in
            let (company, app, user) = try await self.base.seed(database)
            func token(_ digest: String) -> AccessTokenRecord {
                AccessTokenRecord(
                    digest: digest,
                    userID: user.id,
                    appKeyID: app.id,
                    companyID: company.id,
                    issuedAt: self.now,
                    expiresAt: self.now.addingTimeInterval(3600)
                )
            }
            #expect(try await database.accessTokens.insert(token("before")))
            #expect(try await database.directory.revokeAppKey(digest: "app-digest", now: self.now))
            #expect(try await database.accessTokens.accessToken(digest: "before")?.revokedAt == self.now)
            // A node whose cache still holds the key cannot store a token for it any more.
            #expect(try await database.accessTokens.insert(token("after")) == false)
            #expect(try await database.accessTokens.lookup(digest: "after") == nil)
            #expect(try await database.directory.revokeAppKey(digest: "app-digest", now: self.now) == false)
        }
    }

    @Test(arguments: TestBackend.sql) func aTokenThatSlippedPastTheRevocationNeverValidates(_ backend: TestBackend) async throws {
        try await TestDatabase.with(backend) { test in
            let database = try await test.open()
            let (company, app, user) = try await self.base.seed(database)
            #expect(try await database.directory.revokeAppKey(digest: "app-digest", now: self.now))
            await database.close()
            // As a node racing the revocation would have written it: the key was live when it checked.
            let storage: SQLStorage =
                switch test.url {
                case .sqlite(let path): try await SQLStorage.openSQLite(path: path, logger: Logger(label: "test"))
                case .postgres(let url): try await SQLStorage.openPostgres(url: url, logger: Logger(label: "test"))
                }
            try await storage.write(
                """
                INSERT INTO access_tokens (token_digest, user_id, app_key_id, company_id, issued_at, expires_at, session_id,
                    last_seen_at) VALUES ('slipped', ?, ?, ?, ?, ?, 's', ?)
                """,
                [
                    .integer(Int(user.id)), .integer(Int(app.id)), .integer(Int(company.id)), SQLBind(self.now),
                    SQLBind(self.now.addingTimeInterval(3600)), SQLBind(self.now),
                ]
            )
            let found = try #require(try await storage.lookup(digest: "slipped"))
            #expect(found.record.revokedAt == nil)
            #expect(found.appKeyRevokedAt == self.now)
            #expect(!found.opensAPI(at: self.now))
            // Revoking again ends it in the table too.
            #expect(try await storage.revokeAppKey(digest: "app-digest", now: self.now) == false)
            #expect(try await storage.accessToken(digest: "slipped")?.revokedAt == self.now)
            await storage.close()
        }
    }

    @Test(arguments: TestBackend.allCases) func auditEventsFilterAndOrder(_ backend: TestBackend) async throws {
        try await self.base.withDatabase(backend) { database in
            for (index, kind) in [AuditKind.loginFailed, .loginSucceeded, .accountLocked].enumerated() {
                try await database.audit.record(
                    AuditEvent(
                        at: self.now.addingTimeInterval(Double(index)),
                        kind: kind,
                        companyID: 1,
                        userID: Int64(index % 2),
                        address: "10.0.0.1",
                        outcome: "o"
                    )
                )
            }
            let all = try await database.audit.events(companyID: 1, userID: nil, since: nil, limit: 10)
            #expect(all.map(\.kind) == [.accountLocked, .loginSucceeded, .loginFailed])
            #expect(try await database.audit.events(companyID: nil, userID: 0, since: nil, limit: 10).count == 2)
            #expect(try await database.audit.events(companyID: 1, userID: nil, since: self.now.addingTimeInterval(1), limit: 10).count == 2)
            #expect(try await database.audit.events(companyID: 2, userID: nil, since: nil, limit: 10).isEmpty)
            #expect(try await database.audit.events(companyID: nil, userID: nil, since: nil, limit: 1).count == 1)
        }
    }
}
