import Foundation
import Testing

/// Bad input gets a 4xx with the contract's body, never a 5xx.
@Suite struct HostileInputTests {
    @Test func tenKilobyteHeaderValues() async throws {
        let world = try await TestWorld.make()
        defer { world.removeFiles() }
        let big = String(repeating: "A", count: 10_000)
        try await world.withServer { client in
            let username = try await client.login(big)
            #expect(username.isFailure("BaseAuthentication", "Invalid credentials"))
            let password = try await client.login("alice", password: big)
            #expect(password.isFailure("BaseAuthentication", "Invalid credentials"))
            let appKey = try await client.login("alice", app: big)
            #expect(appKey.status == 401 && appKey.json["error"] != nil)
            let ticket = try await client.login("bob", [("VerificationCode", "123456"), ("Authorization", big)])
            #expect(ticket.isFailure("VerificationCode", "Corrupted ticket"))
            let interim = try #require(try await client.login("bob").token)
            let code = try await client.login("bob", [("VerificationCode", big), ("Authorization", interim)])
            #expect(code.isExpecting("VerificationCode", "Invalid verification code"))
            let info = try await client.info(big)
            #expect(info.status == 401)
        }
    }

    @Test func unicodeUsernamesInNFCAndNFDAndAnyCase() async throws {
        let world = try await TestWorld.make()
        defer { world.removeFiles() }
        try await world.withServer { client in
            for spelling in ["Jos\u{e9}", "Jose\u{301}", "JOS\u{c9}", "jos\u{e9}"] {
                let answer = try await client.login(spelling)
                #expect(answer.isSuccess, "\(spelling.unicodeScalars.map { String($0.value, radix: 16) }): \(answer.body)")
            }
            let unknown = try await client.login("\u{1F600}\u{4E2D}\u{6587}")
            #expect(unknown.isFailure("BaseAuthentication", "Invalid credentials"))
        }
    }

    @Test func emptyStringsCountAsAbsent() async throws {
        let world = try await TestWorld.make()
        defer { world.removeFiles() }
        try await world.withServer { client in
            // ETNA's documented defaults: empty VerificationCode, PinCode and Authorization.
            let answer = try await client.login("alice", [("VerificationCode", ""), ("PinCode", ""), ("Authorization", "")])
            #expect(answer.isSuccess, "\(answer.body)")
            let empty = try await client.token([("Username", ""), ("Password", ""), ("Authorization", "Bearer ")])
            #expect(empty.isFailure("BaseAuthentication", "Invalid credentials"))
        }
    }

    @Test func aBodyOnTokenIsIgnored() async throws {
        let world = try await TestWorld.make()
        defer { world.removeFiles() }
        try await world.withServer { client in
            let answer = try await client.client.execute(
                uri: "/token",
                method: .post,
                headers: [.init("Et-App-Key")!: world.appKeys["acme"]!, .init("Username")!: "alice", .init("Password")!: TestWorld.password],
                body: .init(string: "{\"garbage\": true}")
            ) { Int($0.status.code) }
            #expect(answer == 200)
        }
    }
}
