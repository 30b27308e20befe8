import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Bad input gets a 4xx with the contract's body, never a 5xx.
@Suite struct HostileInputTests {
    @Test func tenKilobyteHeaderValues() async throws {
        try await TestWorld.with { world in
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
    }

    @Test func unicodeUsernamesInNFCAndNFDAndAnyCase() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                for spelling in ["Jos\u{e9}", "Jose\u{301}", "JOS\u{c9}", "jos\u{e9}"] {
                    let answer = try await client.login(spelling)
                    #expect(answer.isSuccess, "\(spelling.unicodeScalars.map { String($0.value, radix: 16) }): \(answer.body)")
                }
                let unknown = try await client.login("\u{1F600}\u{4E2D}\u{6587}")
                #expect(unknown.isFailure("BaseAuthentication", "Invalid credentials"))
            }
        }
    }

    @Test func emptyStringsCountAsAbsent() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // ETNA's documented defaults: empty VerificationCode, PinCode and Authorization.
                let answer = try await client.login("alice", [("VerificationCode", ""), ("PinCode", ""), ("Authorization", "")])
                #expect(answer.isSuccess, "\(answer.body)")
                let empty = try await client.token([("Username", ""), ("Password", ""), ("Authorization", "Bearer ")])
                #expect(empty.isFailure("BaseAuthentication", "Invalid credentials"))
            }
        }
    }

    @Test func aBodyOnTokenIsIgnored() async throws {
        try await TestWorld.with { world in
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

    @Test func tooManyHeadersAndTooLargeBodies() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let many = (0..<101).map { ("X-Filler-\($0)", "x") }
                let crowded = try await client.login("alice", many)
                #expect(crowded.status == 431)
                #expect(crowded.json["error"] as? String != nil)

                let big = try await client.client.execute(
                    uri: "/token",
                    method: .post,
                    headers: [.init("Et-App-Key")!: world.appKeys["acme"]!],
                    body: .init(string: String(repeating: "x", count: 70_000))
                ) { $0 }
                #expect(big.status.code == 413)
            }
        }
    }

    @Test func bytesThatAreNotUTF8AreRefusedCleanly() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // What Python's requests sends for "José": ISO 8859-1, which the HTTP layer cannot read as UTF-8.
                var fields = HTTPFields()
                fields.append(HTTPField(name: .init("Et-App-Key")!, value: world.appKeys["acme"]!))
                fields.append(HTTPField(name: .init("Username")!, value: [0x4A, 0x6F, 0x73, 0xE9]))
                fields.append(HTTPField(name: .init("Password")!, value: TestWorld.password))
                let latin1 = try await client.client.execute(uri: "/token", method: .post, headers: fields) { $0 }
                #expect(latin1.status.code == 401)
                #expect(String(buffer: latin1.body) == #"{"State":"Failed","Step":"BaseAuthentication","Reason":"Invalid credentials"}"#)
                var invalid = HTTPFields()
                invalid.append(HTTPField(name: .init("Et-App-Key")!, value: world.appKeys["acme"]!))
                invalid.append(HTTPField(name: .init("Username")!, value: [0xFF, 0xFE, 0xC3]))
                invalid.append(HTTPField(name: .init("Password")!, value: [0xC3, 0x28]))
                let garbage = try await client.client.execute(uri: "/token", method: .post, headers: invalid) { $0 }
                #expect(garbage.status.code == 401)
            }
        }
    }

    @Test func controlCharactersAreRefusedByTheHTTPLayer() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let port = try #require(client.client.port)
                for bad: [UInt8] in [[0x00], [0x01], [0x7F], [0x1B, 0x5B]] {
                    let request = RawHTTP.request(
                        ["Et-App-Key: \(world.appKeys["acme"]!)", "Password: x"],
                        rawHeader: Array("Username: ali".utf8) + bad + Array("ce".utf8)
                    )
                    let status = try RawHTTP.status(port: port, request: request)
                    #expect(status.map { (400..<500).contains($0) } == true, "byte \(bad): \(String(describing: status))")
                }
                // The server is still there.
                #expect(try await client.login("alice").isSuccess)
            }
        }
    }
}
