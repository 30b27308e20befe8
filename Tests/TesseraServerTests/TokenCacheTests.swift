import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import TesseraBcrypt
import TesseraCore
import TesseraTestSupport
import Testing

@testable import TesseraServer
@testable import TesseraStorage

/// The per-node cache of validated tokens (DESIGN §6: a revoked token is refused at once): every way a token
/// dies is honoured on the node that did it before its answer leaves, behind its back (the CLI, another node)
/// within the revocation channel's delay, and not at all from the cache while the channel is cut.
@Suite struct TokenCacheTests {
    @Test func theCacheIsReallyUsed() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // With the log's trigger gone, a change goes unseen by a cached token, and is seen by one not yet
                // cached: the cached one was answered from memory.
                let cached = try #require(try await client.login("alice").token)
                #expect(try await client.info(cached).succeeded)
                let uncached = try #require(try await client.login("alice").token)
                try await Self.sql(
                    world,
                    ["DROP TRIGGER access_token_changed"]
                        + [cached, uncached].map { "UPDATE access_tokens SET expires_at = 0 WHERE token_digest = '\(SecretDigest.sha256($0))'" }
                )
                #expect(try await client.info(cached).succeeded, "answered from the cache")
                #expect(try await client.info(uncached).status == 401, "read from the database")
            }
        }
    }

    @Test func theCacheEndsAtOnceEveryTokenThisNodeEnded() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // Logout, SignOut, one session ended, the others ended: refused by the very next request.
                for end in ["DELETE /token", "POST /logout"] {
                    let token = try #require(try await client.login("alice").token)
                    #expect(try await client.info(token).succeeded)
                    let parts = end.split(separator: " ")
                    _ = try await client.send(
                        .init(rawValue: String(parts[0]))!,
                        String(parts[1]),
                        [("Et-App-Key", world.appKeys["acme"]!), ("Authorization", "Bearer \(token)")]
                    )
                    #expect(try await client.info(token).status == 401, "\(end)")
                }
                let keeper = try #require(try await client.login("alice").token)
                let victim = try #require(try await client.login("alice", app: "acme-mobile").token)
                #expect(try await client.info(victim, app: "acme-mobile").succeeded)
                let sessions = try await client.send(
                    .get,
                    "/v1.0/users/@me/sessions",
                    [("Et-App-Key", world.appKeys["acme"]!), ("Authorization", "Bearer \(keeper)")]
                )
                let list = try #require(sessions.json["Model"] as? [[String: any Sendable]])
                let victimID = try #require(list.first { $0["AppName"] as? String == "acme-mobile" }?["Id"] as? String)
                _ = try await client.send(
                    .delete,
                    "/v1.0/users/@me/sessions/\(victimID)",
                    [("Et-App-Key", world.appKeys["acme"]!), ("Authorization", "Bearer \(keeper)")]
                )
                #expect(try await client.info(victim, app: "acme-mobile").status == 401, "one session ended")
                let other = try #require(try await client.login("alice", app: "acme-mobile").token)
                #expect(try await client.info(other, app: "acme-mobile").succeeded)
                _ = try await client.send(
                    .delete,
                    "/v1.0/users/@me/sessions",
                    [("Et-App-Key", world.appKeys["acme"]!), ("Authorization", "Bearer \(keeper)")]
                )
                #expect(try await client.info(other, app: "acme-mobile").status == 401, "the others ended")

                // A password change ends the user's other sessions.
                let before = try #require(try await client.login("Jos\u{e9}", app: "acme-mobile").token)
                let current = try #require(try await client.login("Jos\u{e9}").token)
                #expect(try await client.info(before, app: "acme-mobile").succeeded)
                let changed = try await client.json(
                    .put,
                    "/v1.0/users/@me/password/change",
                    bearer: current,
                    [
                        "OldPassword": TestWorld.password, "Password": CredentialLifecycleTests.newPassword,
                        "PasswordConfirm": CredentialLifecycleTests.newPassword,
                    ]
                )
                #expect(changed.succeeded, "\(changed.body)")
                #expect(try await client.info(before, app: "acme-mobile").status == 401, "password change")

                // Expiry is checked on every use, cached or not.
                let short = try #require(try await client.login("gina", app: "shortco").token)
                #expect(try await client.info(short, app: "shortco").succeeded)
                world.clock.advance(by: 61)
                #expect(try await client.info(short, app: "shortco").status == 401, "expired")
            }
        }
    }

    @Test func changesBehindTheNodesBackEndCachedTokensToo() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // What the CLI does, from another connection to the same file: disable a user, revoke an app key,
                // end a session. The node hears of each through the revocation log.
                let bob = try await Self.loginWithCode(client, world, "bob")
                let mobile = try #require(try await client.login("alice", app: "acme-mobile").token)
                let alice = try #require(try await client.login("alice").token)
                for (token, app) in [(bob, "acme"), (mobile, "acme-mobile"), (alice, "acme")] {
                    #expect(try await client.info(token, app: app).succeeded)
                }
                try await Self.sql(
                    world,
                    [
                        "UPDATE users SET disabled_at = 1 WHERE username_key = 'bob'",
                        "UPDATE app_keys SET revoked_at = 1 WHERE key_digest = '\(SecretDigest.sha256(world.appKeys["acme-mobile"]!))'",
                        "UPDATE access_tokens SET revoked_at = 1 WHERE token_digest = '\(SecretDigest.sha256(alice))'",
                    ]
                )
                #expect(try await Self.refusedSoon { try await client.info(bob) }, "disabled user")
                #expect(try await Self.refusedSoon { try await client.info(mobile, app: "acme") }, "revoked app key")
                #expect(try await Self.refusedSoon { try await client.info(alice) }, "revoked token")

                // Even a statement typed by hand is heard: the trigger logs any change to a token's row.
                let handled = try #require(try await client.login("Jos\u{e9}").token)
                #expect(try await client.info(handled).succeeded)
                try await Self.sql(world, ["UPDATE access_tokens SET expires_at = 0 WHERE token_digest = '\(SecretDigest.sha256(handled))'"])
                #expect(try await Self.refusedSoon { try await client.info(handled) }, "a hand-typed change")
            }
        }
    }

    @Test func aRevokeOnOneNodeIsRefusedOnTheOtherAndACutNodeTrustsNothingCached() async throws {
        try await TestDatabase.with(.postgres) { database in
            let appKey = try await Self.seed(database)
            let configuration = try Self.node(on: database)
            let a = try await buildApplication(configuration)
            // B's log says when it knows its channel is cut.
            let logs = LogRecorder()
            var configurationB = configuration
            configurationB.logger = Logger(label: "tessera") { _ in RecordingLogHandler(recorder: logs) }
            let b = try await buildApplication(configurationB)
            try await a.test(.live) { nodeA in
                try await b.test(.live) { nodeB in
                    func login(_ node: some TestClientProtocol) async throws -> String {
                        try await node.execute(
                            uri: "/token",
                            method: .post,
                            headers: [.init("Et-App-Key")!: appKey, .init("Username")!: "ann", .init("Password")!: TestWorld.password]
                        ) { response in
                            let body = String(buffer: response.body)
                            let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
                            return try #require(json?["Token"] as? String, "\(body)")
                        }
                    }
                    func info(_ node: some TestClientProtocol, _ token: String) async throws -> Int {
                        try await node.execute(
                            uri: "/v1.0/users/@me/info",
                            method: .get,
                            headers: [.init("Et-App-Key")!: appKey, .authorization: "Bearer \(token)"]
                        ) { Int($0.status.code) }
                    }
                    func logout(_ node: some TestClientProtocol, _ token: String) async throws {
                        _ = try await node.execute(
                            uri: "/token",
                            method: .delete,
                            headers: [.init("Et-App-Key")!: appKey, .authorization: "Bearer \(token)"]
                        ) { $0.status }
                    }

                    // Revoked on A, cached on B: B refuses it once it hears, well within a second.
                    for _ in 0..<5 {
                        let token = try await login(nodeA)
                        #expect(try await info(nodeB, token) == 200)
                        #expect(try await info(nodeB, token) == 200)
                        try await logout(nodeA, token)
                        #expect(try await info(nodeA, token) == 401, "at once on the node that did it")
                        #expect(try await Self.refusedSoon(within: .seconds(1)) { try await info(nodeB, token) }, "heard by B")
                    }

                    // Cut B's channel, and end a token B has cached before B can listen again: B must not answer
                    // it from its cache — it forgot what it held when the channel went.
                    let token = try await login(nodeA)
                    #expect(try await info(nodeB, token) == 200)
                    let name = database.argument.split(separator: "/").last.map(String.init) ?? ""
                    // The nodes' listening connections, by the name they give PostgreSQL (their last query is the
                    // heartbeat's, not the LISTEN).
                    try await TestDatabase.admin(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)' AND application_name = 'tessera-revocations'"
                    )
                    // Once B has noticed, however the connection died (its heartbeat asks every second; a loaded
                    // machine has taken longer than 1.5 s).
                    let cut = ContinuousClock.now
                    var noticed = false
                    while !noticed && ContinuousClock.now - cut < .seconds(30) {
                        noticed = logs.entries(atLeast: .warning).contains { $0.message.contains("revocation channel is lost") }
                        if !noticed { try await Task.sleep(for: .milliseconds(20)) }
                    }
                    print("node B noticed its cut revocation channel after \(ContinuousClock.now - cut)")
                    #expect(noticed, "B never noticed its channel was cut")
                    try await logout(nodeA, token)
                    #expect(try await info(nodeB, token) == 401, "B answered a token ended while its channel was cut")
                    // And B keeps working, from its cache again once it listens again.
                    let fresh = try await login(nodeB)
                    #expect(try await info(nodeB, fresh) == 200)
                }
            }
        }
    }

    // MARK: Helpers

    /// The configuration of a node on a test PostgreSQL database, on a free port.
    static func node(on database: TestDatabase) throws -> ServerConfiguration {
        var configuration = ServerConfiguration(
            host: "127.0.0.1",
            port: 0,
            database: database.url,
            logLevel: .warning,
            idleTimeout: .seconds(600),
            serverKey: try ServerKey(bytes: (0..<32).map { UInt8($0) })
        )
        configuration.postgres = PostgresOptions(statementTimeout: .seconds(30))
        return configuration
    }

    /// Whether `answer` turns 401 within `limit`, asking every 10 ms.
    static func refusedSoon(within limit: Duration = .seconds(2), _ answer: () async throws -> Int) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await answer() == 401 { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await answer() == 401
    }

    static func refusedSoon(within limit: Duration = .seconds(2), _ answer: () async throws -> Answer) async throws -> Bool {
        try await Self.refusedSoon(within: limit) { try await answer().status }
    }

    static func loginWithCode(_ client: Client, _ world: TestWorld, _ username: String) async throws -> String {
        let first = try await client.login(username)
        let code = try #require(try await world.awaitCodes(to: "\(username)@example.com").last)
        let done = try await client.login(username, [("Authorization", "Bearer \(try #require(first.token))"), ("VerificationCode", code)])
        return try #require(done.token)
    }

    /// Runs statements on the world's SQLite file from another process, as the CLI or an operator's `sqlite3`
    /// would: a second connection in this process would share the server's thread pool, and its lock waits could
    /// stall every server of the test run.
    static func sql(_ world: TestWorld, _ statements: [String]) async throws {
        let path = world.databasePath
        try await blocking { try Self.sqlBlocking(path, statements) }
    }

    private static func sqlBlocking(_ path: String, _ statements: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "python3", "-c",
                "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1], timeout=30)\nfor s in sys.argv[2:]: c.execute(s)\nc.commit()",
                path,
            ] + statements
        try launch(process)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestDatabaseError("sqlite statements failed: \(statements)") }
    }

    /// A company, an app key (returned) and `ann` on the database.
    static func seed(_ database: TestDatabase) async throws -> String {
        let opened = try await database.open()
        let now = Date()
        let company = try await opened.directory.createCompany(name: "acme", policy: CompanyPolicy(), now: now)
        let key = SecureRandom().token()
        _ = try await opened.directory.createAppKey(companyID: company.id, name: "terminal", digest: SecretDigest.sha256(key), now: now)
        _ = try await opened.directory.createUser(
            NewUser(companyID: company.id, username: "ann", passwordHash: try await BcryptPasswordHasher(cost: 10).hash(TestWorld.password)),
            now: now
        )
        await opened.close()
        return key
    }
}
