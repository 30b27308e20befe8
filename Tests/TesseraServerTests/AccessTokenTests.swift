import Foundation
import TesseraCore
import Testing

/// Access tokens against `GET /v1.0/users/@me/info`.
@Suite struct AccessTokenTests {
    @Test func twoTokensOfOneUserAreBothValid() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let one = try #require(try await client.login("alice").token)
                let two = try #require(try await client.login("alice", app: "acme-mobile").token)
                #expect(one != two)
                #expect(try await client.info(one).status == 200)
                #expect(try await client.info(two).status == 200)
                #expect(try await client.info(two, app: "acme-mobile").status == 200)
            }
        }
    }

    @Test func authorizationWorksWithOrWithoutBearer() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let token = try #require(try await client.login("alice").token)
                #expect(try await client.info(token, bearer: true).status == 200)
                #expect(try await client.info(token, bearer: false).status == 200)
            }
        }
    }

    @Test func refusedTokens() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let token = try #require(try await client.login("alice").token)
                let interim = try #require(try await client.login("bob").token)
                let refusals: [(String?, String)] = [
                    (nil, "acme"),  // no token
                    ("not-a-token", "acme"),
                    (interim, "acme"),  // interim tokens never open the API
                    (token, "otherco"),  // another company's app key
                ]
                for (presented, app) in refusals {
                    let answer = try await client.info(presented, app: app)
                    #expect(answer.status == 401)
                    #expect(answer.json["IsSucceed"] as? Bool == false)
                    #expect(answer.json.keys.contains("Model"))
                    #expect(!answer.body.contains(token))
                }
                let noApp = try await client.info(token, app: "revoked")
                #expect(noApp.status == 401)
                #expect(noApp.body == #"{"error":"Application key is not defined or does not exist"}"#)
            }
        }
    }

    @Test func tokensExpireAfter24HoursOrTheCompanysTTL() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let day = try #require(try await client.login("alice").token)
                let minute = try #require(try await client.login("gina", app: "shortco").token)
                world.clock.advance(by: 59)
                #expect(try await client.info(minute, app: "shortco").status == 200)
                world.clock.advance(by: 1)
                #expect(try await client.info(minute, app: "shortco").status == 401)
                world.clock.advance(by: 24 * 3600 - 61)
                #expect(try await client.info(day).status == 200)
                world.clock.advance(by: 1)
                #expect(try await client.info(day).status == 401)
            }
        }
    }
}
