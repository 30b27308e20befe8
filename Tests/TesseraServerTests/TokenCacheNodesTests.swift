import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import TesseraBcrypt
import TesseraCore
import TesseraStorage
import TesseraTestSupport
import Testing

@testable import TesseraServer

/// Two nodes on one PostgreSQL, each with its token cache: every way a token dies, done on node A or by an
/// operator's tool on the database, is refused by node B — which had the token cached — as soon as B hears of it
/// (within a second here; `scripts/bench` measures the delay). The cut-channel case is in ``TokenCacheTests``.
@Suite struct TokenCacheNodesTests {
    /// One node's calls, as a client app makes them.
    struct Node {
        let client: any TestClientProtocol
        let keys: [String: String]

        func send(
            _ method: HTTPRequest.Method,
            _ uri: String,
            app: String = "terminal",
            bearer: String? = nil,
            _ headers: [(String, String)] = [],
            body: String? = nil
        ) async throws -> Answer {
            var fields: HTTPFields = [.init("Et-App-Key")!: self.keys[app]!]
            if let bearer { fields[.authorization] = "Bearer \(bearer)" }
            for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
            if body != nil { fields[.contentType] = "application/json" }
            return try await self.client.execute(uri: uri, method: method, headers: fields, body: body.map { ByteBuffer(string: $0) }) {
                Answer(status: Int($0.status.code), headers: $0.headers, body: String(buffer: $0.body))
            }
        }

        /// A password login; with the refresh token when the company hands them out.
        func login(_ username: String, app: String = "terminal") async throws -> (token: String, refresh: String?) {
            let answer = try await self.send(.post, "/token", app: app, [("Username", username), ("Password", TestWorld.password)])
            let token = try #require(answer.token, "\(answer.body)")
            return (token, answer.json["RefreshToken"] as? String)
        }

        func info(_ token: String, app: String = "terminal") async throws -> Int {
            try await self.send(.get, "/v1.0/users/@me/info", app: app, bearer: token).status
        }

        /// The node's `/metrics` line for `name`, as a number.
        func metric(_ name: String) async throws -> Int? {
            let text = try await self.client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
            return line.flatMap { Int($0.split(separator: " ").last ?? "") }
        }

        /// The session id of `token`, from its user's session list.
        func sessionID(of token: String, app: String = "terminal") async throws -> String {
            let list = try await self.send(.get, "/v1.0/users/@me/sessions", app: app, bearer: token)
            let sessions = try #require(list.json["Model"] as? [[String: any Sendable]])
            return try #require(sessions.first { $0["Current"] as? Bool == true }?["Id"] as? String)
        }
    }

    @Test func everyWayATokenDiesOnOneNodeIsHeardByTheOther() async throws {
        try await TestDatabase.with(.postgres) { database in
            let clock = ManualClock(Date())
            let (keys, users) = try await Self.seed(database, now: clock.now)
            var configuration = try TokenCacheTests.node(on: database)
            configuration.clock = clock
            let operatorTools = try await database.open()
            let a = try await buildApplication(configuration)
            let b = try await buildApplication(configuration)
            try await a.test(.live) { clientA in
                try await b.test(.live) { clientB in
                    let (nodeA, nodeB) = (Node(client: clientA, keys: keys), Node(client: clientB, keys: keys))
                    // B answers from its cache only once it follows the revocation log (right after it starts).
                    for _ in 0..<200 where try await nodeB.metric("tessera_token_cache_trusted") != 1 {
                        try await Task.sleep(for: .milliseconds(25))
                    }
                    let hit = #"tessera_token_cache_lookups_total{result="hit"}"#
                    /// `token` validates on B (and is cached there), `end` runs, and B refuses it soon after.
                    func endedEverywhere(_ path: String, _ token: String, app: String = "terminal", _ end: () async throws -> Void) async throws {
                        #expect(try await nodeB.info(token, app: app) == 200, "\(path): valid on B first")
                        let hits = try await nodeB.metric(hit) ?? 0
                        #expect(try await nodeB.info(token, app: app) == 200, "\(path): cached on B")
                        #expect(try await nodeB.metric(hit) ?? 0 > hits, "\(path): B answered from its cache")
                        try await end()
                        #expect(
                            try await TokenCacheTests.refusedSoon(within: .seconds(1)) { try await nodeB.info(token, app: app) },
                            "\(path): heard by B"
                        )
                    }

                    // The user's own endings, on A.
                    for (method, path) in [(HTTPRequest.Method.delete, "/token"), (.post, "/logout")] {
                        let token = try await nodeA.login("ann").token
                        try await endedEverywhere("\(method) \(path)", token) {
                            let status = try await nodeA.send(method, path, bearer: token).status
                            #expect(status < 300)
                        }
                    }
                    let keeper = try await nodeA.login("ann").token
                    let victim = try await nodeA.login("ann", app: "mobile").token
                    let victimID = try await nodeA.sessionID(of: victim, app: "mobile")
                    try await endedEverywhere("one session ended by its user", victim, app: "mobile") {
                        let ended = try await nodeA.send(.delete, "/v1.0/users/@me/sessions/\(victimID)", bearer: keeper)
                        #expect(ended.status == 200, "\(ended.body)")
                    }
                    let other = try await nodeA.login("ann", app: "mobile").token
                    try await endedEverywhere("the other sessions ended by their user", other, app: "mobile") {
                        let ended = try await nodeA.send(.delete, "/v1.0/users/@me/sessions", bearer: keeper)
                        #expect(ended.status == 200, "\(ended.body)")
                    }
                    let before = try await nodeA.login("ann", app: "mobile").token
                    try await endedEverywhere("a password change", before, app: "mobile") {
                        let body =
                            #"{"OldPassword":"\#(TestWorld.password)","Password":"\#(CredentialLifecycleTests.newPassword)","PasswordConfirm":"\#(CredentialLifecycleTests.newPassword)"}"#
                        let changed = try await nodeA.send(.put, "/v1.0/users/@me/password/change", bearer: keeper, body: body)
                        #expect(changed.succeeded, "\(changed.body)")
                    }

                    // A refresh token used twice ends its whole family: the access token it last gave too.
                    let first = try await nodeA.login("rita", app: "refreshing")
                    let rotated = try await nodeA.send(.post, "/token", app: "refreshing", [("RefreshToken", try #require(first.refresh))])
                    let current = try #require(rotated.token, "\(rotated.body)")
                    try await endedEverywhere("a refresh token's reuse", current, app: "refreshing") {
                        let reused = try await nodeA.send(.post, "/token", app: "refreshing", [("RefreshToken", first.refresh!)])
                        #expect(reused.status == 401, "\(reused.body)")
                    }

                    // An operator's endings, by the CLI's calls on the database: a session, a user, an app key.
                    let session = try await nodeA.login("otto").token
                    let sessionID = try await nodeA.sessionID(of: session)
                    try await endedEverywhere("a session ended by an operator", session) {
                        let ended = try await operatorTools.accessTokens.revoke(sessionID: sessionID, userID: nil, at: clock.now)
                        #expect(ended)
                    }
                    let disabled = try await nodeA.login("otto").token
                    try await endedEverywhere("a disabled user", disabled) {
                        try await operatorTools.directory.setUserDisabled(id: users["otto"]!, at: clock.now)
                    }
                    let throughKey = try await nodeA.login("rita", app: "doomed").token
                    try await endedEverywhere("a revoked app key", throughKey, app: "doomed") {
                        let revoked = try await operatorTools.directory.revokeAppKey(digest: SecretDigest.sha256(keys["doomed"]!), now: clock.now)
                        #expect(revoked)
                    }

                    // Expiry: checked on every use, on every node, cached or not.
                    let expiring = try await nodeA.login("rita", app: "refreshing").token
                    try await endedEverywhere("expiry", expiring, app: "refreshing") {
                        clock.advance(by: 601)
                    }
                }
            }
            await operatorTools.close()
        }
    }

    /// Company `acme` (apps `terminal`, `mobile`; users `ann`, `otto`) and company `refco` with refresh tokens and
    /// 10-minute access tokens (apps `refreshing`, `doomed`; user `rita`).
    static func seed(_ database: TestDatabase, now: Date) async throws -> (keys: [String: String], users: [String: Int64]) {
        let opened = try await database.open()
        let directory = opened.directory
        let hash = try await BcryptPasswordHasher(cost: 4).hash(TestWorld.password)
        var keys: [String: String] = [:]
        var users: [String: Int64] = [:]
        let acme = try await directory.createCompany(name: "acme", policy: CompanyPolicy(), now: now)
        let refco = try await directory.createCompany(
            name: "refco",
            policy: CompanyPolicy(tokenLifetime: 600, refresh: RefreshPolicy(lifetime: 3600, sessionMaxAge: 7200)),
            now: now
        )
        for (name, company) in [("terminal", acme), ("mobile", acme), ("refreshing", refco), ("doomed", refco)] {
            let key = SecureRandom().token()
            _ = try await directory.createAppKey(companyID: company.id, name: name, digest: SecretDigest.sha256(key), now: now)
            keys[name] = key
        }
        for (name, company) in [("ann", acme), ("otto", acme), ("rita", refco)] {
            users[name] = try await directory.createUser(NewUser(companyID: company.id, username: name, passwordHash: hash), now: now).id
        }
        await opened.close()
        return (keys, users)
    }
}
