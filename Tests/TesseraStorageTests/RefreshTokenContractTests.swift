import Foundation
import Logging
import TesseraCore
import TesseraTestSupport
import Testing

@testable import TesseraStorage

/// The refresh-token store on every backend: spent once, a reuse seen as one, bound to its app, ended with its
/// session, and the policy that turns them on kept with the company.
@Suite struct RefreshTokenContractTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: TestBackend.allCases) func aRefreshTokenIsSpentOnceAndEndsWithItsSession(_ backend: TestBackend) async throws {
        try await TestDatabase.with(backend) { test in
            let database = try await test.open()
            let policy = CompanyPolicy(refresh: RefreshPolicy(lifetime: 3600, sessionMaxAge: 7200))
            let company = try await database.directory.createCompany(name: "refco", policy: policy, now: self.now)
            #expect(try await database.directory.company(id: company.id)?.policy.refresh == policy.refresh)
            var off = policy
            off.refresh = nil
            #expect(try await database.directory.updateCompany(id: company.id, policy: off)?.policy.refresh == nil)

            let app = try await database.directory.createAppKey(companyID: company.id, name: "app", digest: "app", now: self.now)
            let other = try await database.directory.createAppKey(companyID: company.id, name: "other", digest: "other", now: self.now)
            let user = try await database.directory.createUser(NewUser(companyID: company.id, username: "rita", passwordHash: "x"), now: self.now)
            let record = RefreshTokenRecord(
                digest: "refresh-1",
                sessionID: "session-1",
                userID: user.id,
                appKeyID: app.id,
                companyID: company.id,
                sessionStartedAt: self.now,
                issuedAt: self.now,
                expiresAt: self.now.addingTimeInterval(3600)
            )
            let store = database.stores.refreshTokens
            #expect(try await store.insert(record))
            #expect(try await store.refreshToken(digest: "refresh-1") == record)
            #expect(try await store.spend(digest: "refresh-1", appKeyID: other.id, at: self.now) == nil, "bound to its app")
            guard case .spent(let spent) = try await store.spend(digest: "refresh-1", appKeyID: app.id, at: self.now) else {
                Issue.record("the first spend must spend it")
                return
            }
            #expect(spent.sessionID == "session-1" && spent.sessionStartedAt == self.now)
            guard case .alreadySpent = try await store.spend(digest: "refresh-1", appKeyID: app.id, at: self.now) else {
                Issue.record("a second spend is a reuse")
                return
            }
            #expect(try await store.spend(digest: "unknown", appKeyID: app.id, at: self.now) == nil)

            // A session ends when its refresh tokens are revoked — by a logout of any of its access tokens, a
            // session revoke, the end of the other sessions — not when a token expires.
            func access(_ digest: String, _ session: String) -> AccessTokenRecord {
                AccessTokenRecord(
                    digest: digest,
                    userID: user.id,
                    appKeyID: app.id,
                    companyID: company.id,
                    issuedAt: self.now,
                    expiresAt: self.now.addingTimeInterval(60),
                    sessionID: session
                )
            }
            func refresh(_ digest: String, _ session: String) -> RefreshTokenRecord {
                var next = record
                next.digest = digest
                next.sessionID = session
                return next
            }
            #expect(try await database.accessTokens.insert(access("access-1", "session-1")))
            #expect(try await store.isSessionEnded(sessionID: "session-1") == false)
            #expect(try await store.insert(refresh("refresh-2", "session-1")))
            #expect(try await database.accessTokens.revoke(digest: "access-1", at: self.now))
            #expect(try await store.isSessionEnded(sessionID: "session-1"))
            #expect(try await store.refreshToken(digest: "refresh-2")?.isUsable(at: self.now) == false, "a logout ends refresh")

            // The end of the other sessions spares the kept one's refresh tokens and ends idle sessions too (their
            // access tokens long expired).
            let later = self.now.addingTimeInterval(120)
            #expect(try await database.accessTokens.insert(access("access-kept", "session-kept")))
            #expect(try await store.insert(refresh("refresh-kept", "session-kept")))
            #expect(try await database.accessTokens.insert(access("access-idle", "session-idle")))
            #expect(try await store.insert(refresh("refresh-idle", "session-idle")))
            _ = try await database.accessTokens.revokeAll(userID: user.id, keeping: "access-kept", at: later)
            #expect(try await store.isSessionEnded(sessionID: "session-idle"))
            #expect(try await store.isSessionEnded(sessionID: "session-kept") == false)
            // A session revoke ends an idle session by its refresh tokens alone.
            #expect(try await database.accessTokens.revoke(sessionID: "session-kept", userID: user.id, at: later))
            #expect(try await store.isSessionEnded(sessionID: "session-kept"))
            #expect(try await store.revokeRefreshTokens(sessionID: "session-kept", at: later) == 0, "already ended")

            // Never stored for a revoked key.
            var next = record
            _ = try await database.directory.revokeAppKey(digest: "app", now: self.now)
            next.digest = "refresh-3"
            #expect(try await store.insert(next) == false)
            await database.close()
        }
    }
}
