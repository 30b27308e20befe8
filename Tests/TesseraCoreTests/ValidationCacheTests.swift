import Foundation
import Synchronization
import Testing

@testable import TesseraCore

/// The cache of validated tokens and the follower of the revocation log, with a fake log: what ends an entry,
/// and that a cut channel or a failed read trusts nothing.
@Suite struct ValidationCacheTests {
    struct Unavailable: Error {}

    final class FakeFeed: RevocationFeed {
        let log = Mutex<[(sequence: Int64, change: Revocation)]>([])
        let failing = Atomic<Bool>(false)

        func append(_ change: Revocation) {
            self.log.withLock { $0.append((Int64($0.count + 1), change)) }
        }

        func latestRevocation() async throws -> Int64 {
            if self.failing.load(ordering: .relaxed) { throw Unavailable() }
            return self.log.withLock { Int64($0.count) }
        }

        func revocations(after sequence: Int64, limit: Int) async throws -> [(sequence: Int64, change: Revocation)] {
            if self.failing.load(ordering: .relaxed) { throw Unavailable() }
            return self.log.withLock { Array($0.filter { $0.sequence > sequence }.prefix(limit)) }
        }
    }

    /// The digest the stores would keep for the token `name`.
    static func d(_ name: String) -> String { SecretDigest.sha256(name) }

    static func lookup(_ name: String, user: Int64 = 1, app: Int64 = 1) -> TokenLookup {
        let now = Date()
        return TokenLookup(
            record: AccessTokenRecord(
                digest: Self.d(name),
                userID: user,
                appKeyID: app,
                companyID: 1,
                issuedAt: now,
                expiresAt: now.addingTimeInterval(3600),
                sessionID: "s-\(name)",
                address: "192.0.2.1",
                userAgent: "terminal/1.0"
            ),
            user: User(id: user, companyID: 1, username: "u\(user)", passwordHash: "x", addedAt: now, passwordChangedAt: now),
            appName: "terminal",
            appKeyRevokedAt: nil
        )
    }

    @Test func changesEndWhatTheyTouchAndNothingElse() async throws {
        let feed = FakeFeed()
        let follower = RevocationFollower(feed: feed, cache: ValidationCache())
        let cache = follower.cache
        await follower.listening()
        for (digest, user, app) in [("a", 1, 1), ("b", 1, 2), ("c", 2, 1), ("d", 3, 3)] as [(String, Int64, Int64)] {
            cache.store(Self.lookup(digest, user: user, app: app), readAt: cache.epoch)
        }
        #expect(cache.count == 4)
        feed.append(.token(digest: Self.d("d")))
        await follower.changed()
        #expect(cache.lookup(digest: Self.d("d")) == nil && cache.count == 3)
        feed.append(.user(id: 1))
        await follower.changed()
        #expect(cache.lookup(digest: Self.d("a")) == nil && cache.lookup(digest: Self.d("b")) == nil && cache.lookup(digest: Self.d("c")) != nil)
        // A change of an app key ends everything held (rare, and no index by app is kept per entry).
        feed.append(.appKey(id: 1))
        await follower.changed()
        #expect(cache.count == 0)

        // A token stored again after its user's entries ended is ended by the next change of that user; a table
        // emptied (or a kind this build does not know) ends everything.
        cache.store(Self.lookup("a", user: 1, app: 2), readAt: cache.epoch)
        cache.store(Self.lookup("e", user: 4, app: 4), readAt: cache.epoch)
        feed.append(.user(id: 1))
        await follower.changed()
        #expect(cache.lookup(digest: Self.d("a")) == nil && cache.lookup(digest: Self.d("e")) != nil)
        feed.append(.everything)
        await follower.changed()
        #expect(cache.count == 0)
    }

    @Test func aTouchMovesOnlyTheLastSeenTimeOfWhatIsHeld() async throws {
        let cache = ValidationCache()
        cache.trust()
        var fresh = Self.lookup("a")
        fresh.user.profile.firstName = "new"
        cache.store(fresh, readAt: cache.epoch)
        let later = Date().addingTimeInterval(600)
        cache.touched(digest: Self.d("a"), at: later)
        #expect(cache.lookup(digest: Self.d("a"))?.user.profile.firstName == "new")
        #expect(cache.lookup(digest: Self.d("a"))?.token.lastSeenAt == later)
        cache.touched(digest: Self.d("b"), at: later)
        #expect(cache.count == 1, "a touch never adds")
    }

    @Test func aLookupReadBeforeAChangeIsNeverStoredAfterIt() async throws {
        let feed = FakeFeed()
        let follower = RevocationFollower(feed: feed, cache: ValidationCache())
        let cache = follower.cache
        await follower.listening()
        let began = cache.epoch
        // The revocation lands between the database read and the store.
        feed.append(.token(digest: Self.d("a")))
        await follower.changed()
        cache.store(Self.lookup("a"), readAt: began)
        #expect(cache.lookup(digest: Self.d("a")) == nil)
    }

    @Test func aCutChannelOrAFailedReadTrustsNothingUntilTheLogIsReadAgain() async throws {
        let feed = FakeFeed()
        let follower = RevocationFollower(feed: feed, cache: ValidationCache())
        let cache = follower.cache
        #expect(!cache.isTrusted, "nothing is trusted before the channel listens")
        await follower.listening()
        cache.store(Self.lookup("a"), readAt: cache.epoch)
        #expect(cache.lookup(digest: Self.d("a")) != nil)

        await follower.lost()
        #expect(cache.lookup(digest: Self.d("a")) == nil, "cut: nothing answered from the cache")
        cache.store(Self.lookup("a"), readAt: cache.epoch)
        #expect(cache.count == 0, "cut: nothing stored either")
        // A change made while cut is never heard; the cache starts empty when the channel is back.
        feed.append(.token(digest: Self.d("a")))
        await follower.changed()
        #expect(!cache.isTrusted, "a signal without the channel does not restore trust")
        await follower.listening()
        #expect(cache.isTrusted && cache.count == 0)

        cache.store(Self.lookup("b"), readAt: cache.epoch)
        feed.failing.store(true, ordering: .relaxed)
        await follower.changed()
        #expect(!cache.isTrusted && cache.lookup(digest: Self.d("b")) == nil, "a failed read distrusts")
        feed.failing.store(false, ordering: .relaxed)
        await follower.changed()
        #expect(cache.isTrusted, "the next read that works resyncs")
    }

    @Test func theCacheIsBoundedAndMakesRoomWithoutStartingOver() {
        let cache = ValidationCache(capacity: 3)
        cache.trust()
        for name in ["a", "b", "c", "d", "e"] { cache.store(Self.lookup(name), readAt: cache.epoch) }
        #expect(cache.count == 3, "full, room made one entry at a time for a capacity of 3")
        #expect(cache.lookup(digest: Self.d("e")) != nil, "the newest is held")

        let large = ValidationCache(capacity: 800)
        large.trust()
        for index in 0..<2_000 { large.store(Self.lookup("t\(index)", user: Int64(index % 50)), readAt: large.epoch) }
        #expect(large.count <= 800 && large.count >= 700, "an eighth makes room, the rest stays: \(large.count)")
        #expect(large.userCount <= 50)
    }

    @Test func aUserIsHeldOnceForAllTheirTokensAndLeavesWithTheLast() async throws {
        let cache = ValidationCache()
        cache.trust()
        cache.store(Self.lookup("a", user: 7), readAt: cache.epoch)
        var newer = Self.lookup("b", user: 7)
        newer.user.profile.firstName = "Ada"
        cache.store(newer, readAt: cache.epoch)
        #expect(cache.count == 2 && cache.userCount == 1)
        #expect(cache.lookup(digest: Self.d("a"))?.user.profile.firstName == "Ada", "the freshest read of the user is kept")

        let found = try #require(cache.lookup(digest: Self.d("a")))
        #expect(found.token.digest == Self.d("a") && found.token.sessionID == "s-a" && found.user.username == "u7")
        #expect(found.token.address == nil && found.token.userAgent == nil, "the login's address and agent are not kept")

        cache.apply([.token(digest: Self.d("a"))])
        #expect(cache.userCount == 1 && cache.lookup(digest: Self.d("b")) != nil)
        cache.apply([.token(digest: Self.d("b"))])
        #expect(cache.count == 0 && cache.userCount == 0, "the user leaves with their last token")
    }

    @Test func onlyWhatOpensTheAPIIsStoredAndOnlyDigestsAreLookedUp() {
        let cache = ValidationCache()
        cache.trust()
        var revoked = Self.lookup("a")
        revoked.record.revokedAt = Date()
        var disabled = Self.lookup("b")
        disabled.user.disabledAt = Date()
        var keyRevoked = Self.lookup("c")
        keyRevoked.appKeyRevokedAt = Date()
        for lookup in [revoked, disabled, keyRevoked] { cache.store(lookup, readAt: cache.epoch) }
        #expect(cache.count == 0)
        #expect(cache.lookup(digest: "not a digest") == nil && cache.lookup(digest: Self.d("a").uppercased()) == nil)
    }
}
