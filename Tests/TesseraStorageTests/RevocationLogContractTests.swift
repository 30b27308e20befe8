import Foundation
import Logging
import PostgresNIO
import Synchronization
import TesseraCore
import TesseraTestSupport
import Testing

@testable import TesseraStorage

/// The revocation log behind the token cache: the database itself records each change that can end a validated
/// token, on SQLite and on PostgreSQL, and nothing for a use of a token.
@Suite struct RevocationLogContractTests {
    @Test(arguments: TestBackend.sql) func everyEndingIsLoggedInCommitOrderAndAUseIsNot(_ backend: TestBackend) async throws {
        try await StorageContractTests().withDatabase(backend) { database in
            let feed = try #require(database.revocations)
            let (company, app, user) = try await StorageContractTests().seed(database)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let record = AccessTokenRecord(
                digest: "token-digest",
                userID: user.id,
                appKeyID: app.id,
                companyID: company.id,
                issuedAt: now,
                expiresAt: now.addingTimeInterval(3600),
                sessionID: "session"
            )
            #expect(try await database.accessTokens.insert(record))
            let start = try await feed.latestRevocation()

            // A use of the token writes its last-seen time: not an ending.
            try await database.accessTokens.touch(digest: "token-digest", at: now.addingTimeInterval(600))
            #expect(try await feed.revocations(after: start, limit: 10).isEmpty)

            _ = try await database.accessTokens.revoke(digest: "token-digest", at: now)
            try await database.directory.setUserDisabled(id: user.id, at: now)
            _ = try await database.directory.revokeAppKey(digest: "app-digest", now: now)
            let logged = try await feed.revocations(after: start, limit: 10)
            #expect(logged.map(\.change) == [.token(digest: "token-digest"), .user(id: user.id), .appKey(id: app.id)])
            #expect(logged.map(\.sequence) == logged.map(\.sequence).sorted())
            #expect(try await feed.latestRevocation() == logged.last?.sequence)
            #expect(try await feed.revocations(after: logged[0].sequence, limit: 1).map(\.change) == [.user(id: user.id)])
        }
    }

    @Test func onPostgreSQLTheLogCommitsInTheOrderOfItsNumbers() async throws {
        try await TestDatabase.with(.postgres) { test in
            let database = try await test.open()
            defer { Task { await database.close() } }
            let (company, app, user) = try await StorageContractTests().seed(database)
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            for digest in ["first", "second"] {
                let record = AccessTokenRecord(
                    digest: digest,
                    userID: user.id,
                    appKeyID: app.id,
                    companyID: company.id,
                    issuedAt: now,
                    expiresAt: now.addingTimeInterval(3600)
                )
                #expect(try await database.accessTokens.insert(record))
            }
            guard case .postgres(let url) = test.url else { return }
            let target = try PostgresTarget(parsing: url)
            let logger = Logger(label: "test")
            let held = try await PostgresConnection.connect(configuration: target.connectionConfiguration(PostgresOptions()), id: 9, logger: logger)
            // A writer logs "first" and has not committed yet; another logs "second" meanwhile.
            try await held.query("BEGIN", logger: logger)
            try await held.query("UPDATE access_tokens SET revoked_at = 1 WHERE token_digest = 'first'", logger: logger)
            let secondDone = Mutex(false)
            let second = Task {
                _ = try await database.accessTokens.revoke(digest: "second", at: now)
                secondDone.withLock { $0 = true }
            }
            try await Task.sleep(for: .milliseconds(500))
            // Had "second" committed now, a node reading the log would pass the uncommitted "first" for good.
            let committedEarly = secondDone.withLock { $0 }
            #expect(!committedEarly, "a later number committed before an earlier one")
            try await held.query("COMMIT", logger: logger)
            try await second.value
            try? await held.close()
            let logged = try await #require(database.revocations).revocations(after: 0, limit: 10)
            #expect(logged.map(\.change) == [.token(digest: "first"), .token(digest: "second")])
        }
    }
}
