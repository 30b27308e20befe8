import Foundation
import HTTPTypes
import TesseraCore
import Testing

/// Logout, the user's sessions, and introspection for resource servers.
@Suite struct SessionTests {
    @Test func logoutKillsTheTokenAndUnknownTokensAreNoError() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let token = try #require(try await client.login("alice").token)
                let other = try #require(try await client.login("alice").token)
                let key = world.appKeys["acme"]!
                let out = try await client.send(.delete, "/token", [("Et-App-Key", key), ("Authorization", "Bearer \(token)")])
                #expect(out.status == 204)
                #expect(try await client.info(token).status == 401)
                #expect(try await client.introspect(token).json["active"] as? Bool == false)
                #expect(try await client.info(other).status == 200)
                for again in [token, "never-issued", ""] {
                    let answer = try await client.send(.delete, "/token", [("Et-App-Key", key), ("Authorization", "Bearer \(again)")])
                    #expect(answer.status == 204)
                }
                // Another company's app key cannot end acme's tokens.
                let foreign = try await client.send(.delete, "/token", [("Et-App-Key", world.appKeys["otherco"]!), ("Authorization", other)])
                #expect(foreign.status == 204)
                #expect(try await client.info(other).status == 200)
                let noApp = try await client.send(.delete, "/token", [("Authorization", other)])
                #expect(noApp.status == 401)
            }
        }
    }

    @Test func usersListAndEndTheirSessions() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let current = try #require(try await client.login("alice", [("User-Agent", "TerminalApp/1.0")]).token)
                let mobile = try #require(try await client.login("alice", app: "acme-mobile", [("User-Agent", "Phone/2.0")]).token)
                let third = try #require(try await client.login("alice").token)
                _ = try await client.login("bob")

                let listed = try await client.send(
                    .get,
                    "/v1.0/users/@me/sessions",
                    [("Et-App-Key", world.appKeys["acme"]!), ("Authorization", "Bearer \(current)")]
                )
                #expect(listed.succeeded)
                let sessions = try #require(listed.json["Model"] as? [[String: any Sendable]])
                #expect(sessions.count == 3)
                #expect(sessions.filter { $0["Current"] as? Bool == true }.count == 1)
                let currentSession = try #require(sessions.first { $0["Current"] as? Bool == true })
                #expect(currentSession["UserAgent"] as? String == "TerminalApp/1.0")
                #expect(currentSession["AppName"] as? String == "acme")
                #expect(currentSession["ClientAddress"] as? String == "127.0.0.1")
                let mobileSession = try #require(sessions.first { $0["UserAgent"] as? String == "Phone/2.0" })
                #expect(mobileSession["AppName"] as? String == "acme-mobile")
                #expect(!listed.body.contains(current) && !listed.body.contains(mobile))

                let id = try #require(mobileSession["Id"] as? String)
                let ended = try await client.send(
                    .delete,
                    "/v1.0/users/@me/sessions/\(id)",
                    [("Et-App-Key", world.appKeys["acme"]!), ("Authorization", current)]
                )
                #expect(ended.succeeded)
                #expect(try await client.info(mobile, app: "acme-mobile").status == 401)
                let twice = try await client.send(
                    .delete,
                    "/v1.0/users/@me/sessions/\(id)",
                    [("Et-App-Key", world.appKeys["acme"]!), ("Authorization", current)]
                )
                #expect(twice.status == 404)

                let all = try await client.send(
                    .delete,
                    "/v1.0/users/@me/sessions",
                    [("Et-App-Key", world.appKeys["acme"]!), ("Authorization", current)]
                )
                #expect(all.succeeded)
                #expect(try await client.info(third).status == 401)
                #expect(try await client.info(current).status == 200)
            }
        }
    }

    @Test func lastSeenIsWrittenCoarsely() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let token = try #require(try await client.login("alice").token)
                let key = world.appKeys["acme"]!
                func lastSeen() async throws -> String? {
                    let listed = try await client.send(.get, "/v1.0/users/@me/sessions", [("Et-App-Key", key), ("Authorization", token)])
                    return (listed.json["Model"] as? [[String: any Sendable]])?.first?["LastSeen"] as? String
                }
                let first = try await lastSeen()
                world.clock.advance(by: 60)
                #expect(try await lastSeen() == first)
                world.clock.advance(by: 240)
                let later = try await lastSeen()
                #expect(later != first)
                #expect(later == world.clock.now.formatted(.iso8601))
            }
        }
    }

    @Test func introspectionAnswersForEveryKindOfToken() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let token = try #require(try await client.login("alice").token)
                let active = try await client.introspect(token)
                #expect(active.status == 200)
                #expect(active.json["active"] as? Bool == true)
                #expect(active.json["username"] as? String == "alice")
                #expect(active.json["company"] as? String == "acme")
                #expect(active.json["client_id"] as? String == "acme")
                #expect((active.json["sub"] as? String).flatMap(Int.init) != nil)
                let exp = try #require(active.json["exp"] as? Int)
                let iat = try #require(active.json["iat"] as? Int)
                #expect(exp - iat == 86_400)
                #expect((active.json["sid"] as? String)?.count == 24)

                let interim = try #require(try await client.login("bob").token)
                let pinSetup = try #require(try await client.login("erin", app: "pinco").token)
                let revoked = try #require(try await client.login("alice").token)
                _ = try await client.send(.delete, "/token", [("Et-App-Key", world.appKeys["acme"]!), ("Authorization", revoked)])
                let expiring = try #require(try await client.login("gina", app: "shortco").token)
                let foreign = try #require(try await client.login("alice", app: "otherco").token)
                world.clock.advance(by: 61)
                for inactive in [interim, pinSetup, revoked, expiring, "unknown-token", "", foreign, String(repeating: "x", count: 5000)] {
                    let answer = try await client.introspect(inactive)
                    #expect(answer.status == 200)
                    #expect(answer.body == #"{"active":false}"#)
                }
                // Another company's resource server sees acme's live token as inactive.
                #expect(try await client.introspect(token, as: "otherco-resource").body == #"{"active":false}"#)
            }
        }
    }

    @Test func introspectionRefusesCallersThatAreNotResourceServers() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let token = try #require(try await client.login("alice").token)
                let refusals = [
                    try await client.introspect(token, secret: "wrong secret"),
                    try await client.introspect(token, as: "acme", secret: "anything"),  // a client app, not a resource server
                    try await client.introspect(token, as: "nobody", secret: "x"),
                ]
                for answer in refusals {
                    #expect(answer.status == 401)
                    #expect(answer.body == #"{"error":"invalid_client"}"#)
                    #expect(answer.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
                }
                let bare = try await client.send(.post, "/token/introspect", [])
                #expect(bare.status == 401)
            }
        }
    }
}
