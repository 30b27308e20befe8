import Foundation
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
}
