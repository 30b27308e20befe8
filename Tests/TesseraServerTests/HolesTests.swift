import Foundation
import HTTPTypes
import Logging
import Synchronization
import TesseraCore
import TesseraStorage
import Testing

/// The holes an attacker found, each tried again against the real server: revoked keys, reset races and
/// timing, reset lock-outs, parallel throttling, the hash pool, passwords that cannot be sent.
@Suite struct HolesTests {
    static func from(_ address: String) -> (String, String) { ("X-Forwarded-For", address) }
    static let reset = "/v1.0/users/password/reset"

    func database(_ world: TestWorld) async throws -> TesseraDatabase {
        try await TesseraDatabase.open(.sqlite(path: world.databasePath), logger: Logger(label: "test"))
    }

    // MARK: Revoked app keys

    @Test func aKeyRevokedWhileANodeStillCachesItEndsEveryTokenOfIt() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // The node holds the key in its cache (a login just used it) and a token issued through it.
                let before = try #require(try await client.login("alice").token)
                #expect(try await client.info(before).status == 200)
                // Revoked behind the node's back, as `tessera app revoke` does from another process.
                let database = try await self.database(world)
                #expect(try await database.directory.revokeAppKey(digest: SecretDigest.sha256(world.appKeys["acme"]!), now: world.clock.now))
                await database.close()
                // Within the cache's lifetime: no login through the key gets a token, and no token of it opens the API
                // or passes introspection.
                let during = try await client.login("alice")
                #expect(during.status == 401 && during.body == #"{"error":"Application key is not defined or does not exist"}"#, "\(during.body)")
                #expect(try await client.info(before).status == 401)
                #expect(try await client.introspect(before).json["active"] as? Bool == false)
                // Another app of the company is untouched.
                let mobile = try #require(try await client.login("alice", app: "acme-mobile").token)
                #expect(try await client.info(mobile, app: "acme-mobile").status == 200)
            }
        }
    }

    // MARK: Reset codes

    @Test func oneResetCodeAMinuteHoldsUnderParallelRequestsAndARedeemedCodeOpensNoWindow() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let statuses = try await Self.parallel(50, client) { own, _ in try await own.json(.post, Self.reset, ["User": "alice"]).status }
                #expect(statuses.allSatisfy { $0 == 200 })
                let code = try #require(try await world.awaitCodes(to: "alice@example.com", purpose: "reset").last)
                try await world.drainQueue()
                #expect(try world.codes(to: "alice@example.com", purpose: "reset").count == 1)

                // Right answers in parallel: one code.
                _ = try await Self.parallel(20, client) { own, index in
                    try await own.json(
                        .post,
                        Self.reset,
                        headers: [Self.from("198.51.100.\(index)")],
                        ["User": "quinn", "SecretQuestionAnswer": "Rex the Dog"]
                    ).status
                }
                _ = try await world.awaitCodes(to: "quinn@example.com", purpose: "reset")
                try await world.drainQueue()
                #expect(try world.codes(to: "quinn@example.com", purpose: "reset").count == 1)

                // Redeeming the code at once does not let another one out within the minute.
                let redeemed = try await client.json(.post, "/v1.0/users/identifiers/reset/code", ["Code": code, "Identifier": "ResetPassword"])
                #expect(redeemed.succeeded, "\(redeemed.body)")
                #expect(try await client.json(.post, Self.reset, ["User": "alice"]).succeeded)
                try await world.drainQueue()
                #expect(try world.codes(to: "alice@example.com", purpose: "reset").count == 1)
                world.clock.advance(by: 60)
                #expect(try await client.json(.post, Self.reset, ["User": "alice"]).succeeded)
                #expect(try await world.awaitCodes(to: "alice@example.com", purpose: "reset", count: 2).count == 2)
            }
        }
    }

    @Test func aResetRequestTakesAsLongForAnUnknownUserAsForARealOne() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                for _ in 0..<5 { _ = try await client.json(.post, Self.reset, ["User": "warm-up"]) }
                // Every sample opens a new minute, so the real user's request is one that sends a code.
                let timing = try await Timing.compareInRounds(
                    "reset requests, real user against unknown",
                    samples: 200,
                    { _ in
                        world.clock.advance(by: 61)
                        _ = try await client.json(.post, Self.reset, ["User": "alice"])
                    },
                    { _ in
                        world.clock.advance(by: 61)
                        _ = try await client.json(.post, Self.reset, ["User": "nobody-here"])
                    }
                )
                #expect(timing.within, "\(timing.rounds)")
                // The real user's codes went out all the same, from the queue.
                #expect(try await world.awaitCodes(to: "alice@example.com", purpose: "reset").isEmpty == false)
            }
        }
    }

    @Test func wrongSecretAnswersThrottleResetsButNeverLogins() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // 100 wrong answers from 10 addresses.
                _ = try await Self.parallel(10, client) { own, address in
                    for attempt in 0..<10 {
                        let answer = try await own.json(
                            .post,
                            Self.reset,
                            headers: [Self.from("203.0.113.\(address)")],
                            ["User": "quinn", "SecretQuestionAnswer": "guess \(attempt)"]
                        )
                        #expect(answer.refuses("ErrorIncorrectAnswer"))
                    }
                    return 0
                }
                // The victim still logs in, from the attackers' addresses too.
                #expect(try await client.login("quinn", [Self.from("192.0.2.30")]).isSuccess)
                #expect(try await client.login("quinn", [Self.from("203.0.113.0")]).isSuccess)
                // Resets of the account are throttled: the right answer from a fresh address is not checked.
                let right = try await client.json(
                    .post,
                    Self.reset,
                    headers: [Self.from("192.0.2.31")],
                    ["User": "quinn", "SecretQuestionAnswer": "Rex the Dog"]
                )
                #expect(right.refuses("ErrorIncorrectAnswer"))

                // Nothing is silent: no lock, every throttle audited and counted.
                let database = try await self.database(world)
                let events = try await database.audit.events(companyID: nil, userID: nil, since: nil, limit: 1000)
                await database.close()
                let checked = events.filter { $0.kind == .resetRequested && $0.outcome == "incorrect answer" }.count
                let throttled = events.filter { $0.kind == .resetThrottled }.count
                #expect(checked == CredentialService.answerAccountLimit)
                #expect(throttled == 101 - CredentialService.answerAccountLimit)
                #expect(!events.contains { $0.kind == .accountLocked })
                let metrics = try await client.send(.get, "/metrics", []).body
                #expect(metrics.contains("tessera_reset_throttled_total \(throttled)"), "\(metrics)")
            }
        }
    }

    // MARK: Throttling

    @Test func layerThreeIsAtomicAndEvery429IsAuditedAndCounted() async throws {
        try await TestWorld.with(bcryptCost: TestWorld.productionCost) { world in
            let attacker = "198.51.100.200"
            // The address has 5 failures left of its 100, and the account it aims at is locked.
            let database = try await self.database(world)
            let acme = try #require(try await database.directory.company(named: "acme"))
            for index in 0..<95 {
                _ = try await database.attempts.recordAttempt(
                    LoginAttempt(id: "seed-\(index)", companyID: acme.id, usernameKey: "other-\(index)", address: attacker, at: world.clock.now),
                    pairSince: world.clock.now,
                    accountSince: world.clock.now
                )
            }
            _ = try await database.attempts.lock(
                companyID: acme.id,
                usernameKey: "alice",
                until: world.clock.now.addingTimeInterval(600),
                now: world.clock.now
            )
            await database.close()

            let hasher = CountingBcrypt(perAddress: 100)
            try await world.withServer(hashingWait: .seconds(60), hasher: hasher) { client in
                let statuses = try await Self.parallel(30, client) { own, _ in
                    try await own.login("alice", password: "guess", [Self.from(attacker)]).status
                }
                #expect(hasher.count <= 5, "\(hasher.count) hashes ran")
                #expect(statuses.filter { $0 == 401 }.count == 5)
                let throttled = statuses.filter { $0 == 429 }.count
                #expect(throttled == 25)
                let database = try await self.database(world)
                let events = try await database.audit.events(companyID: nil, userID: nil, since: nil, limit: 1000)
                await database.close()
                #expect(events.filter { $0.kind == .loginThrottled && $0.address == attacker }.count == throttled)
                let metrics = try await client.send(.get, "/metrics", []).body
                #expect(metrics.contains("tessera_throttled_total \(throttled)"), "\(metrics)")
            }
        }
    }

    @Test func noSingleAddressCanTakeTheHashPool() async throws {
        try await TestWorld.with(bcryptCost: TestWorld.productionCost) { world in
            // One slot on a thread of its own, so a queue forms at once and only this test's hashes are in it; a
            // request may wait 2 s for its turn. Without fair turns the user waits behind the flood's 95 waiting
            // hashes (several seconds); with them, behind about one.
            let hasher = CountingBcrypt(maximumConcurrent: 1, maximumWait: .seconds(2), ownThreads: 1)
            try await world.withServer(hasher: hasher) { client in
                let stop = Mutex(false)
                let flood = Task {
                    try await Self.parallel(96, client) { own, worker in
                        var index = 0
                        while !stop.withLock({ $0 }) {
                            index += 1
                            let answer = try await own.login("flood-\(worker)-\(index)", password: "guess", [Self.from("198.51.100.66")])
                            if answer.status == 503 { try await Task.sleep(for: .milliseconds(20)) }
                        }
                        return 0
                    }
                }
                try await Task.sleep(for: .milliseconds(800))
                // On a connection with a generous read timeout: on a loaded machine 96 flooding connections can
                // hold an answer past the shared client's 20 s, and only a refusal or a failure says the pool was taken.
                let (successes, slowest) = try await client.onNewConnection { own in
                    var successes = 0
                    var slowest = Duration.zero
                    for _ in 0..<5 {
                        let started = ContinuousClock.now
                        if try await own.login("alice", [Self.from("192.0.2.44")]).isSuccess { successes += 1 }
                        slowest = max(slowest, ContinuousClock.now - started)
                    }
                    return (successes, slowest)
                }
                print("a user under a flood from one address: \(successes) of 5 in, the slowest in \(slowest)")
                stop.withLock { $0 = true }
                _ = try await flood.value
                #expect(successes == 5, "the user got in \(successes) times of 5 under the flood")
            }
        }
    }

    // MARK: Passwords

    @Test func passwordsThatCannotBeSentAtSignInAreRefusedWhenSet() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let token = try #require(try await client.login("alice").token)
                let cases: [(String, String)] = [
                    (" a leading space in this one", "ErrorPasswordSurroundingWhitespace"),
                    ("a trailing space in this one ", "ErrorPasswordSurroundingWhitespace"),
                    ("a line\nbreak in this password", "ErrorPasswordControlCharacters"),
                    ("a tab\tin this long password", "ErrorPasswordControlCharacters"),
                ]
                for (password, code) in cases {
                    let answer = try await client.json(
                        .put,
                        "/v1.0/users/@me/password/change",
                        bearer: token,
                        ["OldPassword": TestWorld.password, "Password": password, "PasswordConfirm": password]
                    )
                    #expect(answer.refuses(code), "\(answer.body)")
                }
                // Spaces inside a password are fine: only the ones around it cannot be sent.
                let inside = "spaces inside are fine here"
                let changed = try await client.json(
                    .put,
                    "/v1.0/users/@me/password/change",
                    bearer: token,
                    ["OldPassword": TestWorld.password, "Password": inside, "PasswordConfirm": inside]
                )
                #expect(changed.succeeded, "\(changed.body)")
                #expect(try await client.login("alice", password: inside).isSuccess)
            }
        }
    }

    // MARK: Helpers

    /// Runs `count` requests at once, each on a connection of its own; their results in any order.
    static func parallel<T: Sendable>(_ count: Int, _ client: Client, _ body: @escaping @Sendable (Client, Int) async throws -> T) async throws -> [T]
    {
        try await withThrowingTaskGroup(of: T.self) { group in
            for index in 0..<count {
                group.addTask { try await client.onNewConnection { own in try await body(own, index) } }
            }
            return try await group.reduce(into: [T]()) { $0.append($1) }
        }
    }
}
