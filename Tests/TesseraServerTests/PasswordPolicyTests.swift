import Foundation
import HTTPTypes
import Testing

/// ETNA's per-company password policies, through the real server: `polco` asks for three character classes and
/// forbids the last two passwords.
@Suite struct PasswordPolicyTests {
    static func change(_ client: Client, _ token: String, from old: String, to new: String) async throws -> Answer {
        try await client.json(
            .put,
            "/v1.0/users/@me/password/change",
            app: "polco",
            bearer: token,
            ["OldPassword": old, "Password": new, "PasswordConfirm": new]
        )
    }

    @Test func aNewPasswordMixesTheCompanysCharacterClasses() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let token = try #require(try await client.login("pat", app: "polco").token)
                // Two classes (lower case and a space count as one; digits as another).
                let weak = try await Self.change(client, token, from: TestWorld.password, to: "only lower case words 42")
                #expect(weak.refuses("ErrorPasswordTooFewCharacterClasses"), "\(weak.body)")
                #expect((weak.json["Errors"] as? [String])?.first?.contains("at least 3 of") == true, "\(weak.body)")
                // Lower, upper and digits: three. In any script.
                #expect(try await Self.change(client, token, from: TestWorld.password, to: "Ünïcode Wörds here 42").succeeded)
                // A company without the rule takes lower case alone.
                let other = try #require(try await client.login("alice").token)
                let plain = try await client.json(
                    .put,
                    "/v1.0/users/@me/password/change",
                    bearer: other,
                    ["OldPassword": TestWorld.password, "Password": "only lower case words here", "PasswordConfirm": "only lower case words here"]
                )
                #expect(plain.succeeded, "\(plain.body)")
            }
        }
    }

    @Test func theLastPasswordsCannotComeBack() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let token = try #require(try await client.login("pat", app: "polco").token)
                let first = TestWorld.password + " A1"
                let (p1, p2, p3) = ("Second Password 12", "Third Password 123", "Fourth Password 1234")
                #expect(try await Self.change(client, token, from: TestWorld.password, to: first).succeeded)
                #expect(try await Self.change(client, token, from: first, to: p1).succeeded)
                // `first` is one of the last two now; the seeded one too.
                let back = try await Self.change(client, token, from: p1, to: first)
                #expect(back.refuses("ErrorPasswordRecentlyUsed"), "\(back.body)")
                #expect((back.json["Errors"] as? [String]) == ["The new password must differ from the last 2 passwords."])
                #expect(try await Self.change(client, token, from: p1, to: p2).succeeded)
                #expect(try await Self.change(client, token, from: p2, to: first).refuses("ErrorPasswordRecentlyUsed"))
                #expect(try await Self.change(client, token, from: p2, to: p3).succeeded)
                // Three changes on, `first` has left the history: it may come back.
                #expect(try await Self.change(client, token, from: p3, to: first).succeeded)
                #expect(try await client.login("pat", password: first, app: "polco").isSuccess)
            }
        }
    }
}
