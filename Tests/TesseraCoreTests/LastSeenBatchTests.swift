import Foundation
import TesseraTestSupport
import Testing

@testable import TesseraCore

/// Last-seen times: a validation notes them in the node's batch instead of writing them on the request's way,
/// and a flush writes them — forward only, and kept when the write fails.
@Suite struct LastSeenBatchTests {
    @Test func aValidationNotesTheTimeAndTheFlushWritesIt() async throws {
        let store = InMemoryStore()
        let clock = ManualClock()
        let company = try await store.createCompany(name: "acme", policy: CompanyPolicy(), now: clock.now)
        let key = try await store.createAppKey(companyID: company.id, name: "terminal", digest: "k", now: clock.now)
        let user = try await store.createUser(NewUser(companyID: company.id, username: "alice", passwordHash: "x"), now: clock.now)
        let token = "the token"
        let digest = SecretDigest.sha256(token)
        let record = AccessTokenRecord(
            digest: digest,
            userID: user.id,
            appKeyID: key.id,
            companyID: company.id,
            issuedAt: clock.now,
            expiresAt: clock.now.addingTimeInterval(86_400)
        )
        #expect(try await store.insert(record))
        let batch = LastSeenBatch(accessTokens: store)
        let validator = AccessTokenValidator(accessTokens: store, directory: store, clock: clock, lastSeen: batch)
        let app = ResolvedApp(appKey: key, company: company)

        #expect(try await validator.authenticate(token: token, app: app) != nil)
        #expect(batch.count == 0, "a fresh token's last-seen time is its issue time")
        clock.advance(by: AccessTokenValidator.lastSeenResolution)
        let seen = clock.now
        #expect(try await validator.authenticate(token: token, app: app) != nil)
        #expect(batch.count == 1)
        #expect(try await store.accessToken(digest: digest)?.lastSeenAt == record.issuedAt, "nothing written on the request's way")

        try await batch.flush()
        #expect(batch.count == 0)
        #expect(try await store.accessToken(digest: digest)?.lastSeenAt == seen)
        // An older time noted later never wins over the newer one pending.
        batch.record(digest: digest, at: seen.addingTimeInterval(60))
        batch.record(digest: digest, at: seen.addingTimeInterval(30))
        try await batch.flush()
        #expect(try await store.accessToken(digest: digest)?.lastSeenAt == seen.addingTimeInterval(60))
    }

    @Test func aFailedWriteKeepsTheTimesForTheNext() async throws {
        let store = FlakyTouchStore()
        let batch = LastSeenBatch(accessTokens: store)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        batch.record(digest: "a", at: now)
        await #expect(throws: FlakyTouchStore.Down.self) { try await batch.flush() }
        #expect(batch.count == 1)
        batch.record(digest: "b", at: now)
        await store.heal()
        try await batch.flush()
        #expect(batch.count == 0)
        #expect(await store.written == ["a", "b"], "written in digest order")
    }

    @Test func theBatchIsBounded() {
        let batch = LastSeenBatch(accessTokens: FlakyTouchStore())
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for index in 0..<(LastSeenBatch.limit + 10) { batch.record(digest: "d\(index)", at: now) }
        #expect(batch.count == LastSeenBatch.limit, "new sessions past the limit wait for the next write")
        batch.record(digest: "d0", at: now.addingTimeInterval(1))
        #expect(batch.count == LastSeenBatch.limit, "a waiting session's time still moves")
    }
}

/// Only batched touches, which fail until healed.
actor FlakyTouchStore: AccessTokenStore {
    struct Down: Error {}
    var failing = true
    var written: [String] = []

    func heal() { self.failing = false }

    func touch(_ uses: [(digest: String, at: Date)]) async throws {
        if self.failing { throw Down() }
        self.written += uses.map(\.digest)
    }

    func insert(_ record: AccessTokenRecord) async throws -> Bool { false }
    func accessToken(digest: String) async throws -> AccessTokenRecord? { nil }
    func revokeAll(userID: Int64, keeping: String?, at: Date) async throws -> Int { 0 }
    func revoke(digest: String, at: Date) async throws -> Bool { false }
    func revoke(sessionID: String, userID: Int64?, at: Date) async throws -> Bool { false }
    func sessions(userID: Int64, now: Date) async throws -> [Session] { [] }
    func sessionOwner(sessionID: String) async throws -> Int64? { nil }
    func lookup(digest: String) async throws -> TokenLookup? { nil }
    func touch(digest: String, at: Date) async throws {}
}
