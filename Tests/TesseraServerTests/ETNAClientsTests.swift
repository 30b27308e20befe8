import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import TesseraServer

/// What ETNA's real clients and browser terminals need of the server (../shared/ETNA-CLIENTS.md): its `/api`
/// paths, SignOut, its throttle answer, credentials in a body, HTTP's 405, and CORS. Against the real server.
@Suite struct ETNAClientsTests {
    @Test func theAPIAnswersUnderAPIAsAtTheRoot() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let login = try await client.send(
                    .post,
                    "/api/token",
                    [("Et-App-Key", world.appKeys["acme"]!), ("Username", "alice"), ("Password", TestWorld.password)]
                )
                #expect(login.isSuccess, "\(login.body)")
                let token = try #require(login.token)
                let info = try await client.send(
                    .get,
                    "/api/v1.0/users/@me/info",
                    [("Et-App-Key", world.appKeys["acme"]!), ("Authorization", "Bearer \(token)")]
                )
                #expect(info.succeeded, "\(info.body)")
                // One API, two spellings: the token works at the root too.
                #expect(try await client.info(token).succeeded)
                // Operations stay at the root.
                #expect(try await client.send(.get, "/api/healthz", []).status == 404)
                #expect(try await client.send(.get, "/healthz", []).status == 200)
            }
        }
    }

    @Test func basePathNarrowsTheAPIToOneOfTheTwo() async throws {
        try await TestWorld.with { world in
            let headers = [("Et-App-Key", world.appKeys["acme"]!), ("Username", "alice"), ("Password", TestWorld.password)]
            try await world.withServer(basePaths: [.api]) { (client: Client) async throws in
                #expect(try await client.send(.post, "/api/token", headers).isSuccess)
                #expect(try await client.send(.post, "/token", headers).status == 404)
                let document = try await client.send(.get, "/openapi.yaml", [])
                #expect(document.body.contains("\n  - url: /api\n") && !document.body.contains("\n  - url: /\n"))
            }
            try await world.withServer(basePaths: [.root]) { (client: Client) async throws in
                #expect(try await client.send(.post, "/token", headers).isSuccess)
                #expect(try await client.send(.post, "/api/token", headers).status == 404)
            }
        }
    }

    @Test func postLogoutEndsTheSessionAndAnswersAlikeForAnyToken() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let key = world.appKeys["acme"]!
                for path in ["/logout", "/api/logout"] {
                    let token = try #require(try await client.login("alice").token)
                    #expect(try await client.info(token).succeeded)
                    let live = try await client.send(.post, path, [("Et-App-Key", key), ("Authorization", "Bearer \(token)")])
                    #expect(live.status == 204)
                    #expect(try await client.info(token).status == 401, "\(path) ended the session")
                    let again = try await client.send(.post, path, [("Et-App-Key", key), ("Authorization", "Bearer \(token)")])
                    let unknown = try await client.send(.post, path, [("Et-App-Key", key), ("Authorization", "Bearer nothing-such")])
                    #expect(again.status == 204 && unknown.status == 204)
                    #expect(again.body == live.body && unknown.body == live.body)
                }
                #expect(try await client.send(.post, "/logout", [("Authorization", "Bearer x")]).status == 401, "app key needed")
            }
        }
    }

    @Test func etnaThrottleAnswerIs401TooManyLoginRequestsWithRetryAfter() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                for _ in 0..<2 {
                    let wrong = try await client.login("lena", password: "not it at all", app: "etnaco")
                    #expect(wrong.isFailure("BaseAuthentication", "Invalid credentials"))
                }
                let throttled = try await client.login("lena", app: "etnaco")
                #expect(throttled.status == 401, "\(throttled.body)")
                #expect(throttled.json["State"] as? String == "Failed")
                #expect(throttled.json["Step"] as? String == "BaseAuthentication")
                #expect(throttled.json["Reason"] as? String == "Too many login requests")
                #expect(throttled.body.contains("Too many login requests"), "load plans look for the phrase")
                #expect(Int(throttled.headers[.retryAfter] ?? "") ?? 0 >= 1)
                // The same address on a company with the default answer: still 429 once over its own limit.
                #expect(try await client.login("alice").isSuccess, "other companies' limits are their own")
            }
        }
    }

    @Test func credentialsMayComeInAFormOrJSONBody() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let key = world.appKeys["acme"]!
                let password = TestWorld.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let form = try await client.send(
                    .post,
                    "/api/token",
                    [("Et-App-Key", key), ("Content-Type", "application/x-www-form-urlencoded")],
                    body: "Username=alice&Password=\(password)"
                )
                #expect(form.isSuccess, "\(form.body)")
                let json = try await client.send(
                    .post,
                    "/token",
                    [("Et-App-Key", key), ("Content-Type", "application/json")],
                    body: #"{"username":"alice","password":"\#(TestWorld.password)"}"#
                )
                #expect(json.isSuccess, "\(json.body)")
                // A body that says the same as the headers is fine; an empty body with headers works as ever.
                let same = try await client.send(
                    .post,
                    "/token",
                    [("Et-App-Key", key), ("Username", "alice"), ("Content-Type", "application/x-www-form-urlencoded")],
                    body: "Username=alice&Password=\(password)"
                )
                #expect(same.isSuccess, "\(same.body)")
                let empty = try await client.send(
                    .post,
                    "/token",
                    [("Et-App-Key", key), ("Username", "alice"), ("Password", TestWorld.password), ("Content-Length", "0")]
                )
                #expect(empty.isSuccess)
                // A 2-FA login finished with the code in the body.
                let first = try await client.send(
                    .post,
                    "/token",
                    [("Et-App-Key", key), ("Content-Type", "application/x-www-form-urlencoded")],
                    body: "Username=bob&Password=\(password)"
                )
                #expect(first.isExpecting("VerificationCode", "Expecting confirmation code"))
                let code = try #require(try await world.awaitCodes(to: "bob@example.com").last)
                let second = try await client.send(
                    .post,
                    "/token",
                    [("Et-App-Key", key), ("Authorization", "Bearer \(try #require(first.token))")],
                    body: "VerificationCode=\(code)"
                )
                #expect(second.isSuccess, "\(second.body)")
            }
        }
    }

    @Test func aBodyThatContradictsAHeaderIsRefusedAndNothingIsChecked() async throws {
        try await TestWorld.with { world in
            let hasher = CountingBcrypt(cost: world.bcryptCost)
            try await world.withServer(hasher: hasher) { client in
                let before = hasher.count
                let secret = "a secret that must not be echoed"
                let answer = try await client.send(
                    .post,
                    "/token",
                    [("Et-App-Key", world.appKeys["acme"]!), ("Username", "alice"), ("Password", TestWorld.password)],
                    body: #"{"Password":"\#(secret)"}"#
                )
                #expect(answer.status == 400, "\(answer.body)")
                #expect(answer.body.contains("Password in the body differs from the Password header"))
                #expect(!answer.body.contains(secret) && !answer.body.contains(TestWorld.password))
                #expect(hasher.count == before, "refused before any hash")
                let user = try await client.send(
                    .post,
                    "/token",
                    [("Et-App-Key", world.appKeys["acme"]!), ("Username", "alice"), ("Password", TestWorld.password)],
                    body: "Username=mallory"
                )
                #expect(user.status == 400 && user.body.contains("Username in the body"))
            }
        }
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                for path in ["/token", "/api/token"] {
                    let answer = try await client.send(.get, path, [])
                    #expect(answer.status == 405, "\(path): \(answer.body)")
                    #expect(answer.headers[.allow] == "DELETE, POST")
                }
                let sessions = try await client.send(.put, "/v1.0/users/@me/sessions/abc", [])
                #expect(sessions.status == 405 && sessions.headers[.allow] == "DELETE")
                #expect(try await client.send(.get, "/no/such/path", []).status == 404)
            }
        }
    }

    @Test func preflightsAreAnsweredForAllowedOriginsOnly() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let preflight = try await client.send(
                    .options,
                    "/api/token",
                    [
                        ("Origin", TestWorld.acmeTerminal), ("Access-Control-Request-Method", "POST"),
                        ("Access-Control-Request-Headers", "et-app-key,username,password"),
                    ]
                )
                #expect(preflight.status == 204)
                #expect(preflight.headers[.accessControlAllowOrigin] == TestWorld.acmeTerminal)
                let allowed = Set(
                    (preflight.headers[.accessControlAllowHeaders] ?? "").split(separator: ",").map {
                        $0.trimmingCharacters(in: .whitespaces).lowercased()
                    }
                )
                for header in ["et-app-key", "username", "password", "verificationcode", "pincode", "authorization", "content-type"] {
                    #expect(allowed.contains(header), "preflight allows \(header)")
                }
                #expect(Int(preflight.headers[.accessControlMaxAge] ?? "") ?? 0 > 0)
                #expect(preflight.headers[.vary] == "Origin")

                let stranger = try await client.send(
                    .options,
                    "/api/token",
                    [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST")]
                )
                #expect(stranger.status == 403)
                #expect(stranger.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }

    @Test func responsesAllowOnlyTheAppKeysCompanysOrigins() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let origin = ("Origin", TestWorld.acmeTerminal)
                let ours = try await client.login("alice", [origin])
                #expect(ours.isSuccess)
                #expect(ours.headers[.accessControlAllowOrigin] == TestWorld.acmeTerminal)
                #expect(ours.headers[.accessControlExposeHeaders]?.contains("Retry-After") == true)
                #expect(ours.headers[.vary] == "Origin")
                // A failed login is readable by the page too.
                let failed = try await client.login("alice", password: "wrong password here", [origin])
                #expect(failed.status == 401 && failed.headers[.accessControlAllowOrigin] == TestWorld.acmeTerminal)
                // acme's origin with another company's key: not allowed, though it is a known origin.
                let theirs = try await client.login("alice", app: "otherco", [origin])
                #expect(theirs.headers[.accessControlAllowOrigin] == nil)
                #expect(theirs.headers[.vary] == "Origin")
                let stranger = try await client.login("alice", [("Origin", "https://evil.example")])
                #expect(stranger.headers[.accessControlAllowOrigin] == nil)
                // Never a wildcard, and nothing without an Origin.
                #expect(try await client.login("alice").headers[.accessControlAllowOrigin] == nil)
            }
        }
    }
}

extension Client {
    /// A request with a body, on the shared connection.
    func send(_ method: HTTPRequest.Method, _ uri: String, _ headers: [(String, String)], body: String) async throws -> Answer {
        var fields = HTTPFields()
        for (name, value) in headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return try await self.client.execute(uri: uri, method: method, headers: fields, body: ByteBuffer(string: body)) {
            Answer(status: Int($0.status.code), headers: $0.headers, body: String(buffer: $0.body))
        }
    }
}
