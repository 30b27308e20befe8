import Foundation
import HTTPTypes
import Logging
import TesseraCore
import TesseraStorage
import Testing

/// Step-up, user expiry, new-device notices and remembered devices, for the company that opts in (`devco` in the
/// test world: step-up within 10 minutes, accounts expire after 30 unused days, notices on, devices remembered for
/// 30 days), through the real server.
@Suite struct SessionSafetyTests {
    static let firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0"
    static let iPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 Version/17.1 Mobile/15E148 Safari/604.1"

    /// Starts an authenticator enrolment: the sensitive change step-up guards.
    static func enrol(_ client: Client, _ token: String, app: String = "devco") async throws -> Answer {
        try await client.json(.post, "/v1.0/users/@me/totp", app: app, bearer: token, [:])
    }

    /// `POST /token` with a session's bearer and the password: a re-authentication.
    static func reauthenticate(_ client: Client, _ bearer: String, password: String = TestWorld.password) async throws -> Answer {
        try await client.token(app: "devco", [("Authorization", "Bearer \(bearer)"), ("Password", password)])
    }

    /// The id of the session `token` belongs to, from the user's own session list.
    static func sessionID(_ client: Client, _ token: String) async throws -> String? {
        let answer = try await client.send(
            .get,
            "/v1.0/users/@me/sessions",
            [("Et-App-Key", client.world.appKeys["devco"]!), ("Authorization", "Bearer \(token)")]
        )
        let sessions = answer.json["Model"] as? [[String: any Sendable]] ?? []
        return sessions.first { $0["Current"] as? Bool == true }?["Id"] as? String
    }

    func events(_ world: TestWorld, _ kind: AuditKind) async throws -> [AuditEvent] {
        let database = try await TesseraDatabase.open(.sqlite(path: world.databasePath), logger: Logger(label: "test"))
        defer { Task { await database.close() } }
        return try await database.audit.events(companyID: nil, userID: nil, since: nil, limit: 1000).filter { $0.kind == kind }
    }

    // MARK: Step-up

    @Test func stepUpRefusesAnOldSignInUntilTheUserReauthenticates() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let login = try await client.login("dex", app: "devco")
                let access = try #require(login.token)
                let refresh = try #require(login.json["RefreshToken"] as? String)
                #expect(try await Self.enrol(client, access).succeeded)

                world.clock.advance(by: 11 * 60)
                let refused = try await Self.enrol(client, access)
                #expect(refused.status == 401 && refused.refuses("ReauthenticationRequired"), "\(refused.body)")
                // A refresh renews the token, not the proof: its login is as old as before.
                let refreshed = try await client.token(app: "devco", [("RefreshToken", refresh)])
                let renewed = try #require(refreshed.token)
                #expect(try await Self.enrol(client, renewed).refuses("ReauthenticationRequired"))

                // A wrong password is a wrong password, counted as one.
                #expect(
                    try await Self.reauthenticate(client, access, password: "not the password at all").isFailure(
                        "BaseAuthentication",
                        "Invalid credentials"
                    )
                )
                // The right one: a fresh token of the same session (without a second refresh token), which may.
                let again = try await Self.reauthenticate(client, renewed)
                #expect(again.isSuccess, "\(again.body)")
                let fresh = try #require(again.token)
                #expect(try await Self.enrol(client, fresh).succeeded)
                #expect(try await Self.sessionID(client, fresh) == Self.sessionID(client, access))
                #expect(try await self.events(world, .loginSucceeded).contains { $0.outcome == "re-authenticated" })

                // A company without step-up: an old token may still enrol.
                let alice = try #require(try await client.login("alice").token)
                world.clock.advance(by: 60 * 60)
                #expect(try await Self.enrol(client, alice, app: "acme").succeeded)
            }
        }
    }

    @Test func aReauthenticationAsksForTheSecondFactorAndNeedsALiveSession() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let first = try await client.login("dina", app: "devco")
                #expect(first.isExpecting("VerificationCode", "Expecting confirmation code"))
                let code = try #require(try await world.awaitCodes(to: "dina@example.com").last)
                let login = try await client.token(app: "devco", [("Authorization", "Bearer \(first.token!)"), ("VerificationCode", code)])
                let access = try #require(login.token)
                world.clock.advance(by: 11 * 60)

                // The password alone does not re-authenticate a user with a second factor.
                let step = try await Self.reauthenticate(client, access)
                #expect(step.isExpecting("VerificationCode", "Expecting confirmation code"), "\(step.body)")
                let second = try #require(try await world.awaitCodes(to: "dina@example.com", count: 2).last)
                let done = try await client.token(app: "devco", [("Authorization", "Bearer \(step.token!)"), ("VerificationCode", second)])
                let fresh = try #require(done.token)
                #expect(done.isSuccess, "\(done.body)")
                #expect(try await Self.enrol(client, fresh).succeeded)

                // A logout ends the session, every token of it: nothing re-authenticates it afterwards.
                let logout = try await client.send(
                    .delete,
                    "/token",
                    [("Et-App-Key", world.appKeys["devco"]!), ("Authorization", "Bearer \(access)")]
                )
                #expect(logout.status == 204)
                #expect(try await client.info(fresh, app: "devco").status == 401)
                #expect(try await Self.reauthenticate(client, access).isFailure("BaseAuthentication", "Corrupted ticket"))
            }
        }
    }

    // MARK: User expiry

    @Test func anAccountUnusedPastTheExpiryCannotSignInUntilAnOperatorEnablesIt() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                #expect(try await client.login("dex", app: "devco").status == 200)
                world.clock.advance(by: 20 * 86_400)
                // A sign-in within the expiry keeps the account in use.
                #expect(try await client.login("dex", app: "devco").status == 200)
                world.clock.advance(by: 20 * 86_400)
                #expect(try await client.login("dex", app: "devco").status == 200)

                world.clock.advance(by: 31 * 86_400)
                let expired = try await client.login("dex", app: "devco")
                #expect(expired.isFailure("BaseAuthentication", "User account has expired"), "\(expired.body)")
                // Told only to whoever knows the password.
                #expect(
                    try await client.login("dex", password: "not the password at all", app: "devco").isFailure(
                        "BaseAuthentication",
                        "Invalid credentials"
                    )
                )
                // An account that never signed in expires from its creation.
                #expect(try await client.login("dina", app: "devco").isFailure("BaseAuthentication", "User account has expired"))
                // A company without user expiry: nothing changes.
                #expect(try await client.login("alice").status == 200)

                _ = try await world.withOperators { try await $0.setDisabled(UserReference(username: "dex", company: "devco"), false, by: .cli) }
                #expect(try await client.login("dex", app: "devco").status == 200)
            }
        }
    }

    // MARK: New devices

    @Test func aSignInFromANewDeviceIsAuditedAndToldOnce() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                func login(_ agent: String, from address: String? = nil) async throws {
                    var headers = [("User-Agent", agent)]
                    if let address { headers.append(("X-Forwarded-For", address)) }
                    #expect(try await client.login("dex", app: "devco", headers).status == 200)
                }
                func notices() throws -> Int {
                    try world.messages(to: "dex@example.com").filter { $0["notice"] as? String == "new-device" }.count
                }
                // The first device on record is not news; the same one again is not either.
                try await login(Self.firefox)
                try await login(Self.firefox)
                try await world.drainQueue()
                #expect(try notices() == 0)
                #expect(try await self.events(world, .loginNewDevice).isEmpty)

                // Another browser: news, once.
                try await login(Self.iPhone)
                _ = try await world.awaitMessages(to: "dex@example.com")
                try await login(Self.iPhone)
                // The first browser from another network: news again.
                try await login(Self.firefox, from: "203.0.113.9")
                try await login(Self.firefox, from: "203.0.113.77")
                try await world.drainQueue()
                #expect(try notices() == 2)
                let audited = try await self.events(world, .loginNewDevice)
                #expect(audited.count == 2)
                #expect(audited.map(\.address).contains("203.0.113.9"))
                let notice = try world.messages(to: "dex@example.com").first { $0["notice"] as? String == "new-device" }
                #expect(notice?["code"] == nil)

                // A company without notices records nothing.
                #expect(try await client.login("alice", [("User-Agent", Self.iPhone)]).status == 200)
                try await world.drainQueue()
                #expect(try world.messages(to: "alice@example.com").isEmpty)
            }
        }
    }

    // MARK: Remembered devices

    /// A sign-in of `dina` with her code; `remember` asks for a `DeviceToken` on the request that completes it.
    static func signInWithCode(_ client: Client, _ world: TestWorld, remember: Bool, app: String = "devco", codesBefore: Int) async throws -> Answer {
        let first = try await client.login("dina", app: app)
        #expect(first.isExpecting("VerificationCode", "Expecting confirmation code"), "\(first.body)")
        let code = try #require(try await world.awaitCodes(to: "dina@example.com", count: codesBefore + 1).last)
        var headers = [("Authorization", "Bearer \(first.token!)"), ("VerificationCode", code), ("User-Agent", Self.firefox)]
        if remember { headers.append(("RememberDevice", "true")) }
        return try await client.token(app: app, headers)
    }

    @Test func aRememberedDeviceSkipsTheCodeAndDiesWithAPasswordChange() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // Not asked for: no device token.
                let plain = try await Self.signInWithCode(client, world, remember: false, codesBefore: 0)
                #expect(plain.status == 200 && plain.json["DeviceToken"] == nil, "\(plain.body)")
                let remembered = try await Self.signInWithCode(client, world, remember: true, codesBefore: 1)
                #expect(Set(remembered.json.keys) == ["State", "Token", "RefreshToken", "DeviceToken"], "\(remembered.body)")
                let device = try #require(remembered.json["DeviceToken"] as? String)
                #expect(device.count >= 43)

                // With it, the password alone signs in: no code is sent.
                let skipped = try await client.login("dina", app: "devco", [("DeviceToken", device)])
                #expect(skipped.status == 200, "\(skipped.body)")
                try await world.drainQueue()
                #expect(try world.codes(to: "dina@example.com").count == 2)
                // Never the password: a wrong one with the device is a wrong one.
                #expect(
                    try await client.login("dina", password: "not the password at all", app: "devco", [("DeviceToken", device)]).isFailure(
                        "BaseAuthentication",
                        "Invalid credentials"
                    )
                )
                // Bound to its app and its user.
                #expect(
                    try await client.login("dina", app: "devco-mobile", [("DeviceToken", device)]).isExpecting(
                        "VerificationCode",
                        "Expecting confirmation code"
                    )
                )
                #expect(
                    try await client.login("dora", app: "devco", [("DeviceToken", device)]).isExpecting(
                        "VerificationCode",
                        "Expecting confirmation code"
                    )
                )

                // The user sees it.
                let token = try #require(skipped.token)
                let list = try await client.send(
                    .get,
                    "/v1.0/users/@me/devices",
                    [("Et-App-Key", world.appKeys["devco"]!), ("Authorization", "Bearer \(token)")]
                )
                let devices = list.json["Model"] as? [[String: any Sendable]] ?? []
                #expect(devices.count == 1 && devices.first?["Label"] as? String == "Firefox on Windows", "\(list.body)")
                #expect(!list.body.contains(device))

                // A password change forgets it.
                let change = try await client.changePassword(app: "devco", bearer: token, to: "a whole new passphrase")
                #expect(change.succeeded, "\(change.body)")
                let after = try await client.login("dina", password: "a whole new passphrase", app: "devco", [("DeviceToken", device)])
                #expect(after.isExpecting("VerificationCode", "Expecting confirmation code"), "\(after.body)")
                #expect(try await self.events(world, .deviceRemembered).count == 1)
            }
        }
    }

    @Test func aLoginThatARememberedDeviceLetSkipTheCodeIsNoRecentSignIn() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let device = try #require(try await Self.signInWithCode(client, world, remember: true, codesBefore: 0).json["DeviceToken"] as? String)
                world.clock.advance(by: 11 * 60)
                // The device skips the code, but the session has not proved the second factor now: enrolling an
                // authenticator (which would replace it) asks for a re-authentication, with the code.
                let token = try #require(try await client.login("dina", app: "devco", [("DeviceToken", device)]).token)
                #expect(try await Self.enrol(client, token).refuses("ReauthenticationRequired"))
                let step = try await Self.reauthenticate(client, token)
                #expect(step.isExpecting("VerificationCode", "Expecting confirmation code"), "\(step.body)")
            }
        }
    }

    @Test func theUserAndOperatorsForgetRememberedDevices() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let first = try #require(try await Self.signInWithCode(client, world, remember: true, codesBefore: 0).json["DeviceToken"] as? String)
                // Remembered a second apart, so the list (newest first) has the first one last.
                world.clock.advance(by: 1)
                let second = try #require(try await Self.signInWithCode(client, world, remember: true, codesBefore: 1).json["DeviceToken"] as? String)
                let token = try #require(try await client.login("dina", app: "devco", [("DeviceToken", first)]).token)
                let headers = [("Et-App-Key", world.appKeys["devco"]!), ("Authorization", "Bearer \(token)")]
                let listed = try await client.send(.get, "/v1.0/users/@me/devices", headers).json["Model"] as? [[String: any Sendable]] ?? []
                #expect(listed.count == 2)
                let firstID = try #require(listed.last?["Id"] as? String)

                // The user forgets one: it asks for the code again; the other still skips it.
                #expect(try await client.send(.delete, "/v1.0/users/@me/devices/\(firstID)", headers).succeeded)
                #expect(try await client.send(.delete, "/v1.0/users/@me/devices/\(firstID)", headers).status == 404)
                #expect(
                    try await client.login("dina", app: "devco", [("DeviceToken", first)]).isExpecting(
                        "VerificationCode",
                        "Expecting confirmation code"
                    )
                )
                #expect(try await client.login("dina", app: "devco", [("DeviceToken", second)]).status == 200)

                // An operator forgets the rest.
                let reference = UserReference(username: "dina", company: "devco")
                #expect(try await world.withOperators { try await $0.trustedDevices(of: reference, by: .cli) }.count == 1)
                #expect(try await world.withOperators { try await $0.forgetTrustedDevices(of: reference, id: nil, by: .cli) } == 1)
                #expect(
                    try await client.login("dina", app: "devco", [("DeviceToken", second)]).isExpecting(
                        "VerificationCode",
                        "Expecting confirmation code"
                    )
                )
                #expect(try await self.events(world, .deviceForgotten).count == 2)
            }
        }
    }

    @Test func companiesThatOptIntoNothingAnswerAsBefore() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // acme's bob has email 2-FA; acme remembers no devices: the flag is ignored, no DeviceToken.
                let first = try await client.login("bob")
                let code = try #require(try await world.awaitCodes(to: "bob@example.com").last)
                let done = try await client.token([
                    ("Authorization", "Bearer \(first.token!)"), ("VerificationCode", code), ("RememberDevice", "true"),
                ])
                #expect(done.isSuccess, "\(done.body)")
                // Without step-up, an access token with a password is no interim token: Corrupted ticket, as before.
                let token = try #require(done.token)
                let reauthentication = try await client.token([("Authorization", "Bearer \(token)"), ("Password", TestWorld.password)])
                #expect(reauthentication.isFailure("BaseAuthentication", "Corrupted ticket"), "\(reauthentication.body)")
            }
        }
    }
}
