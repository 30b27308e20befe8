import Foundation
import HTTPTypes
import TesseraCore
import Testing

/// Authenticator apps (TOTP) over live HTTP: self-enrolment, the login step, drift, replay and wrong codes.
@Suite struct AuthenticatorLoginTests {
    static let begin = "/v1.0/users/@me/totp"
    static let confirm = "/v1.0/users/@me/totp/confirm"

    /// Enrols `username` through the API at the clock's current step and returns their authenticator.
    static func enrol(_ username: String, client: Client) async throws -> (TOTP, confirmedStep: Int64) {
        let access = try #require(try await client.login(username).token)
        let started = try await client.json(.post, Self.begin, bearer: access, [:])
        #expect(started.succeeded, "\(started.status)")
        let model = try #require(started.json["Model"] as? [String: any Sendable])
        let secret = try #require(model["Secret"] as? String)
        #expect(model["Url"] as? String == "otpauth://totp/acme:\(username)?secret=\(secret)&issuer=acme&algorithm=SHA1&digits=6&period=30")
        let totp = TOTP(secret: try #require(Base32.decode(secret)))
        let step = TOTP.step(at: client.world.clock.now)
        let confirmed = try await client.json(.post, Self.confirm, bearer: access, ["Code": totp.code(step: step)])
        #expect(confirmed.succeeded, "\(confirmed.status)")
        return (totp, step)
    }

    @Test func enrolmentIsPendingUntilAFirstCodeConfirmsIt() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let access = try #require(try await client.login("alice").token)
                #expect(try await client.json(.post, Self.begin, [:]).status == 401)
                let started = try await client.json(.post, Self.begin, bearer: access, [:])
                let model = try #require(started.json["Model"] as? [String: any Sendable])
                let secret = try #require(model["Secret"] as? String)
                let totp = TOTP(secret: try #require(Base32.decode(secret)))
                // Pending: the user still logs in with the password alone.
                #expect(try await client.login("alice").isSuccess)
                #expect(try await client.json(.post, Self.confirm, bearer: access, [:]).status == 400)
                let step = TOTP.step(at: world.clock.now)
                let wrong = try await client.json(.post, Self.confirm, bearer: access, ["Code": totp.code(step: step + 3)])
                #expect(wrong.refuses("ErrorInvalidCode"), "\(wrong.body)")
                #expect(try await client.login("alice").isSuccess)
                let confirmed = try await client.json(.post, Self.confirm, bearer: access, ["Code": totp.code(step: step)])
                #expect(confirmed.succeeded)
                let again = try await client.json(.post, Self.confirm, bearer: access, ["Code": totp.code(step: step)])
                #expect(again.refuses("ErrorNoPendingEnrolment"), "\(again.body)")
                #expect(try await client.login("alice").isExpecting("VerificationCode", "Expecting authenticator code"))
            }
        }
    }

    @Test func anAuthenticatorCodeLogsInOnceWithinOneStepOfDrift() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let (totp, confirmed) = try await Self.enrol("alice", client: client)
                let first = try await client.login("alice")
                #expect(first.isExpecting("VerificationCode", "Expecting authenticator code"), "\(first.body)")
                #expect(try world.messages(to: "alice@example.com").isEmpty, "nothing is sent to an authenticator user")
                let interim = try #require(first.token)
                func send(_ step: Int64, _ token: String) async throws -> Answer {
                    try await client.login("alice", [("VerificationCode", totp.code(step: step)), ("Authorization", "Bearer \(token)")])
                }
                // The code that confirmed the enrolment is spent.
                #expect(try await send(confirmed, interim).isExpecting("VerificationCode", "Invalid verification code"))
                world.clock.advance(by: 30)
                // Two steps ahead of the server's clock: refused; one step ahead: accepted.
                #expect(try await send(confirmed + 3, interim).isExpecting("VerificationCode", "Invalid verification code"))
                #expect(try await send(confirmed + 2, interim).isSuccess)
                // The same code in a new login: a replay. An older step: refused too.
                let next = try #require(try await client.login("alice").token)
                #expect(try await send(confirmed + 2, next).isExpecting("VerificationCode", "Invalid verification code"))
                #expect(try await send(confirmed + 1, next).isExpecting("VerificationCode", "Invalid verification code"))
                world.clock.advance(by: 60)
                #expect(try await send(confirmed + 3, next).isSuccess)
            }
        }
    }

    @Test func wrongAuthenticatorCodesEndTheTransactionOnTheFifth() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let (totp, confirmed) = try await Self.enrol("alice", client: client)
                let interim = try #require(try await client.login("alice").token)
                let wrong = totp.code(step: confirmed + 5)
                for _ in 1...4 {
                    let answer = try await client.login("alice", [("VerificationCode", wrong), ("Authorization", "Bearer \(interim)")])
                    #expect(answer.isExpecting("VerificationCode", "Invalid verification code"), "\(answer.body)")
                }
                let fifth = try await client.login("alice", [("VerificationCode", wrong), ("Authorization", "Bearer \(interim)")])
                #expect(fifth.isFailure("VerificationCode", "Invalid verification code"), "\(fifth.body)")
                world.clock.advance(by: 30)
                let right = try await client.login(
                    "alice",
                    [("VerificationCode", totp.code(step: confirmed + 1)), ("Authorization", "Bearer \(interim)")]
                )
                #expect(right.isFailure("VerificationCode", "Corrupted ticket"), "\(right.body)")
            }
        }
    }
}
