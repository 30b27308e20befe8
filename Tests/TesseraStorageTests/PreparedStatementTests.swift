import Foundation
import Logging
import TesseraCore
import TesseraTestSupport
import Testing

@testable import TesseraStorage

/// The hot path's statements on PostgreSQL: prepared once per connection and reused, typed right whatever values
/// their first use bound, and still valid after a newer node's migration adds a column.
@Suite struct PreparedStatementTests {
    let base = StorageContractTests()
    var now: Date { self.base.now }

    /// A storage with one pooled connection, so every statement (and the look at `pg_prepared_statements`, which
    /// shows one session's statements) runs on the same one.
    func withOneConnection(prepared: Bool, _ body: (SQLStorage) async throws -> Void) async throws {
        try await TestDatabase.with(.postgres) { test in
            guard case .postgres(let url) = test.url else { return }
            let storage = try await SQLStorage.openPostgres(
                url: url,
                options: PostgresOptions(poolSize: 1, preparedStatements: prepared),
                logger: Logger(label: "test")
            )
            do {
                try await body(storage)
            } catch {
                await storage.close()
                throw error
            }
            await storage.close()
        }
    }

    /// A login and two validations' worth of statements: the user named, the lockout's verdict (under its locks),
    /// the token issued, the sign-in, the audit record, the lookups.
    func useTheHotPath(_ storage: SQLStorage) async throws -> (User, AccessTokenRecord) {
        let (company, app, user) = try await self.base.seed(TesseraDatabase(storage))
        #expect(try await storage.user(companyID: company.id, usernameKey: user.usernameKey) == user)
        let attempt = LoginAttempt(id: "attempt-1", companyID: company.id, usernameKey: user.usernameKey, address: "10.0.0.1", at: self.now)
        let since = self.now.addingTimeInterval(-3600)
        let limits = AttemptLimits(pairSince: since, pairLimit: 5, accountSince: since, accountLimit: 20, addressSince: since, addressLimit: 50)
        #expect(try await storage.reserveAttempt(attempt, limits: limits) == .reserved)
        try await storage.forgetAttempt(id: attempt.id)
        let record = AccessTokenRecord(
            digest: "digest-1",
            userID: user.id,
            appKeyID: app.id,
            companyID: company.id,
            issuedAt: self.now,
            expiresAt: self.now.addingTimeInterval(3600),
            sessionID: "session-1"
        )
        #expect(try await storage.insert(record))
        try await storage.recordSignIn(userID: user.id, at: self.now)
        try await storage.record(AuditEvent(at: self.now, kind: .loginSucceeded, companyID: company.id, userID: user.id, outcome: "ok"))
        for _ in 0..<2 { #expect(try await storage.lookup(digest: record.digest)?.record == record) }
        _ = try await storage.revocations(after: 0, limit: 10)
        return (user, record)
    }

    func preparedNames(_ storage: SQLStorage) async throws -> [String] {
        try await storage.read("SELECT name FROM pg_prepared_statements").map { $0.string("name") }
    }

    @Test func theHotStatementsArePreparedOncePerConnectionAndReused() async throws {
        try await self.withOneConnection(prepared: true) { storage in
            _ = try await self.useTheHotPath(storage)
            let first = try await self.preparedNames(storage)
            let expected: [any HotStatement.Type] = [
                SQLStorage.UserByName.self, SQLStorage.AttemptVerdict.self, PostgresBackend.AdvisoryLock.self,
                SQLStorage.ForgetAttempt.self, SQLStorage.InsertToken.self, SQLStorage.RecordSignIn.self,
                SQLStorage.RecordEvent.self, SQLStorage.TokenLookupByDigest.self, SQLStorage.RevocationsAfter.self,
            ]
            #expect(Set(first) == Set(expected.map { String(reflecting: $0) }), "\(first)")
            // Each under its own name, and used again without preparing anew.
            #expect(first.count == Set(first).count)
            _ = try await storage.lookup(digest: "digest-1")
            #expect(try await self.preparedNames(storage).count == first.count)
        }
    }

    @Test func turnedOffNothingIsPrepared() async throws {
        try await self.withOneConnection(prepared: false) { storage in
            _ = try await self.useTheHotPath(storage)
            #expect(try await self.preparedNames(storage).isEmpty)
        }
    }

    /// A statement is prepared with the types of its first use: a NULL there must not make a later value mean
    /// something else.
    @Test func valuesAfterAFirstNullAreStoredAsTheyWere() async throws {
        try await self.withOneConnection(prepared: true) { storage in
            let (user, first) = try await self.useTheHotPath(storage)
            #expect(first.address == nil && first.userAgent == nil && first.revokedAt == nil)
            var second = first
            second.digest = "digest-2"
            second.address = "203.0.113.7"
            second.userAgent = "Terminal/2.1"
            second.lastSeenAt = self.now.addingTimeInterval(5)
            second.authenticatedAt = self.now.addingTimeInterval(6)
            second.sessionStartedAt = self.now.addingTimeInterval(-60)
            // An integer first bound NULL (revoked_at), now a value.
            second.revokedAt = self.now.addingTimeInterval(30)
            #expect(try await storage.insert(second))
            #expect(try await storage.lookup(digest: "digest-2")?.record == second)
            #expect(try await storage.lookup(digest: "digest-2")?.user == user)
            // The first event had no app key, request id or actor, this one has them all.
            let event = AuditEvent(
                at: self.now,
                kind: .loginFailed,
                companyID: user.companyID,
                userID: user.id,
                appKeyID: first.appKeyID,
                address: "10.0.0.9",
                outcome: "refused",
                requestID: "request-9",
                actor: "operator:ana"
            )
            try await storage.record(event)
            let events = try await storage.events(kind: .loginFailed, companyID: nil, userID: nil, since: nil, limit: 5)
            #expect(events.count == 1)
            #expect(events.first?.appKeyID == first.appKeyID && events.first?.address == "10.0.0.9")
            #expect(events.first?.requestID == "request-9" && events.first?.actor == "operator:ana")
        }
    }

    /// postgres-nio keeps a failed preparation for the life of its connection: the connection is closed, so the
    /// statement is prepared afresh once the cause is gone.
    @Test func aStatementWhosePreparationFailedIsPreparedAgainOnAFreshConnection() async throws {
        try await self.withOneConnection(prepared: true) { storage in
            let (_, _, user) = try await self.base.seed(TesseraDatabase(storage))
            let record = AccessTokenRecord(
                digest: "digest-1",
                userID: user.id,
                appKeyID: 1,
                companyID: user.companyID,
                issuedAt: self.now,
                expiresAt: self.now.addingTimeInterval(3600)
            )
            #expect(try await storage.insert(record))
            try await storage.write("ALTER TABLE access_tokens RENAME COLUMN user_agent TO user_agent_away")
            await #expect(throws: StorageError.self) { _ = try await storage.lookup(digest: record.digest) }
            try await storage.write("ALTER TABLE access_tokens RENAME COLUMN user_agent_away TO user_agent")
            #expect(try await storage.lookup(digest: record.digest)?.record == record)
        }
    }

    /// A rolling upgrade: a newer node's migration adds columns while this node's statements are prepared.
    @Test func aColumnAddedByANewerNodeDoesNotBreakPreparedStatements() async throws {
        try await self.withOneConnection(prepared: true) { storage in
            let (user, record) = try await self.useTheHotPath(storage)
            let signedIn = try await storage.user(companyID: user.companyID, usernameKey: user.usernameKey)
            #expect(signedIn?.lastSignInAt == self.now)
            for table in ["users", "access_tokens", "app_keys", "user_sign_ins"] {
                try await storage.write("ALTER TABLE \(table) ADD COLUMN added_by_a_newer_node TEXT")
            }
            let found = try #require(try await storage.lookup(digest: record.digest))
            #expect(found.record == record && found.user == user)
            #expect(try await storage.user(companyID: user.companyID, usernameKey: user.usernameKey) == signedIn)
        }
    }
}
