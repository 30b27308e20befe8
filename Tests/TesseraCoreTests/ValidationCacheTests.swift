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

    static func lookup(_ digest: String, user: Int64 = 1, app: Int64 = 1) -> TokenLookup {
        let now = Date()
        return TokenLookup(
            record: AccessTokenRecord(
                digest: digest,
                userID: user,
                appKeyID: app,
                companyID: 1,
                issuedAt: now,
                expiresAt: now.addingTimeInterval(3600),
                sessionID: "s-\(digest)"
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
        feed.append(.token(digest: "d"))
        await follower.changed()
        #expect(cache.lookup(digest: "d") == nil && cache.count == 3)
        feed.append(.user(id: 1))
        await follower.changed()
        #expect(cache.lookup(digest: "a") == nil && cache.lookup(digest: "b") == nil && cache.lookup(digest: "c") != nil)
        feed.append(.appKey(id: 1))
        await follower.changed()
        #expect(cache.count == 0)

        // A token stored again after its user's entries ended is ended by the next change of that user; a table
        // emptied (or a kind this build does not know) ends everything.
        cache.store(Self.lookup("a", user: 1, app: 2), readAt: cache.epoch)
        cache.store(Self.lookup("e", user: 4, app: 4), readAt: cache.epoch)
        feed.append(.user(id: 1))
        await follower.changed()
        #expect(cache.lookup(digest: "a") == nil && cache.lookup(digest: "e") != nil)
        feed.append(.everything)
        await follower.changed()
        #expect(cache.count == 0)
    }

    @Test func aTouchMovesOnlyTheLastSeenTimeOfWhatIsHeld() async throws {
        let cache = ValidationCache()
        cache.trust()
        var fresh = Self.lookup("a")
        fresh.user.passwordHash = "new"
        cache.store(fresh, readAt: cache.epoch)
        let later = Date().addingTimeInterval(600)
        cache.touched(digest: "a", at: later)
        #expect(cache.lookup(digest: "a")?.user.passwordHash == "new")
        #expect(cache.lookup(digest: "a")?.record.lastSeenAt == later)
        cache.touched(digest: "b", at: later)
        #expect(cache.count == 1, "a touch never adds")
    }

    @Test func aLookupReadBeforeAChangeIsNeverStoredAfterIt() async throws {
        let feed = FakeFeed()
        let follower = RevocationFollower(feed: feed, cache: ValidationCache())
        let cache = follower.cache
        await follower.listening()
        let began = cache.epoch
        // The revocation lands between the database read and the store.
        feed.append(.token(digest: "a"))
        await follower.changed()
        cache.store(Self.lookup("a"), readAt: began)
        #expect(cache.lookup(digest: "a") == nil)
    }

    @Test func aCutChannelOrAFailedReadTrustsNothingUntilTheLogIsReadAgain() async throws {
        let feed = FakeFeed()
        let follower = RevocationFollower(feed: feed, cache: ValidationCache())
        let cache = follower.cache
        #expect(!cache.isTrusted, "nothing is trusted before the channel listens")
        await follower.listening()
        cache.store(Self.lookup("a"), readAt: cache.epoch)
        #expect(cache.lookup(digest: "a") != nil)

        await follower.lost()
        #expect(cache.lookup(digest: "a") == nil, "cut: nothing answered from the cache")
        cache.store(Self.lookup("a"), readAt: cache.epoch)
        #expect(cache.count == 0, "cut: nothing stored either")
        // A change made while cut is never heard; the cache starts empty when the channel is back.
        feed.append(.token(digest: "a"))
        await follower.changed()
        #expect(!cache.isTrusted, "a signal without the channel does not restore trust")
        await follower.listening()
        #expect(cache.isTrusted && cache.count == 0)

        cache.store(Self.lookup("b"), readAt: cache.epoch)
        feed.failing.store(true, ordering: .relaxed)
        await follower.changed()
        #expect(!cache.isTrusted && cache.lookup(digest: "b") == nil, "a failed read distrusts")
        feed.failing.store(false, ordering: .relaxed)
        await follower.changed()
        #expect(cache.isTrusted, "the next read that works resyncs")
    }

    @Test func theCacheIsBounded() {
        let cache = ValidationCache(capacity: 3)
        cache.trust()
        for digest in ["a", "b", "c", "d", "e"] { cache.store(Self.lookup(digest), readAt: cache.epoch) }
        #expect(cache.count <= 3)
    }
}
