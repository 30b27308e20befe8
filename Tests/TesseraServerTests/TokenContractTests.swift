import Foundation
import HTTPTypes
import TesseraCore
import Testing

/// Every row of DESIGN.md §2, through the real HTTP server on a real SQLite file.
@Suite struct TokenContractTests {
    @Test func singleFactorAnswers200WithAToken() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let answer = try await client.login("alice")
                #expect(answer.isSuccess, "\(answer.body)")
                #expect(answer.headers[.cacheControl] == "no-store")
                #expect(answer.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(answer.body.hasPrefix(#"{"State":"Succeeded","Token":""#))
                let info = try await client.info(answer.token)
                #expect(info.status == 200)
                let model = try #require(info.json["Model"] as? [String: any Sendable])
                #expect(model["Login"] as? String == "alice")
                #expect(Set(model.keys) == ["UserId", "FirstName", "MiddleName", "LastName", "Login", "Email", "AddedDate", "Salutation", "Suffix"])
                #expect(info.json["IsSucceed"] as? Bool == true)
                #expect((info.json["Errors"] as? [Any])?.isEmpty == true)
                #expect((info.json["ErrorsCode"] as? [Any])?.isEmpty == true)
            }
        }
    }

    @Test func emailTwoFactorTakesTheCodeFromTheEmail() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let first = try await client.login("bob")
                #expect(first.isExpecting("VerificationCode", "Expecting confirmation code"), "\(first.body)")
                #expect(first.headers[.cacheControl] == "no-store")
                let interim = try #require(first.token)
                let codes = try world.codes(to: "bob@example.com")
                #expect(codes.count == 1)
                let code = try #require(codes.first)
                #expect(code.count == 6 && code.allSatisfy(\.isNumber))
                // The interim token never opens the API.
                #expect(try await client.info(interim).status == 401)
                let second = try await client.login("bob", [("VerificationCode", code), ("Authorization", "Bearer \(interim)")])
                #expect(second.isSuccess, "\(second.body)")
                #expect(try await client.info(second.token).status == 200)
                // Single use at success.
                let again = try await client.login("bob", [("VerificationCode", code), ("Authorization", "Bearer \(interim)")])
                #expect(again.isFailure("VerificationCode", "Corrupted ticket"), "\(again.body)")
            }
        }
    }

    @Test func smsTwoFactorWritesTheCodeToThePhone() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let first = try await client.login("carol")
                #expect(first.isExpecting("VerificationCode", "Expecting confirmation code"))
                let line = try #require(String(data: FileManager.default.contents(atPath: world.outboxPath) ?? Data(), encoding: .utf8))
                #expect(line.contains(#""channel":"sms""#))
                #expect(line.contains(#""purpose":"login""#))
                let code = try #require(try world.codes(to: "+15550005000").last)
                // Without resending username and password, the interim token alone carries the transaction.
                let second = try await client.token([("VerificationCode", code), ("Authorization", try #require(first.token))])
                #expect(second.isSuccess, "\(second.body)")
            }
        }
    }

    @Test func wrongCodesLeaveAttemptsThenEndTheTransaction() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let interim = try #require(try await client.login("bob").token)
                let code = try #require(try world.codes(to: "bob@example.com").last)
                let wrong = code == "000000" ? "111111" : "000000"
                for _ in 1...4 {
                    let answer = try await client.login("bob", [("VerificationCode", wrong), ("Authorization", "Bearer \(interim)")])
                    #expect(answer.isExpecting("VerificationCode", "Invalid verification code"), "\(answer.body)")
                    #expect(answer.token == interim)
                }
                let fifth = try await client.login("bob", [("VerificationCode", wrong), ("Authorization", "Bearer \(interim)")])
                #expect(fifth.isFailure("VerificationCode", "Invalid verification code"), "\(fifth.body)")
                let right = try await client.login("bob", [("VerificationCode", code), ("Authorization", "Bearer \(interim)")])
                #expect(right.isFailure("VerificationCode", "Corrupted ticket"), "\(right.body)")
            }
        }
    }

    @Test func pinStepInOneRequestOrTwo() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let atOnce = try await client.login("dave", app: "pinco", [("PinCode", "2468")])
                #expect(atOnce.isSuccess, "\(atOnce.body)")

                let first = try await client.login("dave", app: "pinco")
                #expect(first.isExpecting("SecutityPin", "Expecting pin code"), "\(first.body)")
                let interim = try #require(first.token)
                let wrong = try await client.login("dave", app: "pinco", [("PinCode", "0000"), ("Authorization", "Bearer \(interim)")])
                #expect(wrong.isExpecting("SecutityPin", "Invalid pin"), "\(wrong.body)")
                #expect(wrong.token == interim)
                let right = try await client.login("dave", app: "pinco", [("PinCode", "2468"), ("Authorization", "Bearer \(interim)")])
                #expect(right.isSuccess, "\(right.body)")
            }
        }
    }

    @Test func fiveWrongPinsEndTheTransaction() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let interim = try #require(try await client.login("dave", app: "pinco").token)
                for _ in 1...4 {
                    let answer = try await client.token(app: "pinco", [("PinCode", "9999"), ("Authorization", interim)])
                    #expect(answer.isExpecting("SecutityPin", "Invalid pin"))
                }
                let fifth = try await client.token(app: "pinco", [("PinCode", "9999"), ("Authorization", interim)])
                #expect(fifth.isFailure("SecutityPin", "Invalid pin"), "\(fifth.body)")
                let right = try await client.token(app: "pinco", [("PinCode", "2468"), ("Authorization", interim)])
                #expect(right.isFailure("SecutityPin", "Corrupted ticket"), "\(right.body)")
            }
        }
    }

    @Test func codeThenPinThenToken() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let first = try await client.login("frank", app: "pinco", [("PinCode", "1357")])
                #expect(first.isExpecting("VerificationCode", "Expecting confirmation code"))
                let interim = try #require(first.token)
                let code = try #require(try world.codes(to: "frank@example.com").last)
                let second = try await client.login("frank", app: "pinco", [("VerificationCode", code), ("Authorization", interim)])
                #expect(second.isExpecting("SecutityPin", "Expecting pin code"), "\(second.body)")
                let third = try await client.login("frank", app: "pinco", [("PinCode", "1357"), ("Authorization", interim)])
                #expect(third.isSuccess, "\(third.body)")
            }
        }
    }

    @Test func codeAndPinTogetherFinishInOneRequest() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let interim = try #require(try await client.login("frank", app: "pinco").token)
                let code = try #require(try world.codes(to: "frank@example.com").last)
                let answer = try await client.login(
                    "frank",
                    app: "pinco",
                    [("VerificationCode", code), ("PinCode", "1357"), ("Authorization", "Bearer \(interim)")]
                )
                #expect(answer.isSuccess, "\(answer.body)")
            }
        }
    }

    @Test func pinNotInitAnswersWithASetupTicket() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let answer = try await client.login("erin", app: "pinco")
                #expect(answer.isExpecting("SecutityPin", "PIN code is not init"), "\(answer.body)")
                // The setup ticket is no interim token: the PIN step refuses it.
                let pin = try await client.token(app: "pinco", [("PinCode", "1111"), ("Authorization", try #require(answer.token))])
                #expect(pin.isFailure("SecutityPin", "Corrupted ticket"), "\(pin.body)")
                #expect(try await client.info(answer.token, app: "pinco").status == 401)
            }
        }
    }

    @Test func wrongOrMissingCredentialsAnswerInvalidCredentials() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let cases: [[(String, String)]] = [
                    [("Username", "alice"), ("Password", "wrong password!")],
                    [("Username", "nobody"), ("Password", TestWorld.password)],
                    [("Username", "henry"), ("Password", TestWorld.password)],  // disabled
                    [("Username", "alice")],
                    [("Password", TestWorld.password)],
                    [],
                    [("Username", ""), ("Password", "")],
                ]
                for headers in cases {
                    let answer = try await client.token(headers)
                    #expect(answer.isFailure("BaseAuthentication", "Invalid credentials"), "\(headers.map(\.0)): \(answer.body)")
                }
            }
        }
    }

    @Test func appKeyMissingUnknownOrRevoked() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                for app in [nil, "not-a-key", "revoked", ""] as [String?] {
                    let answer = try await client.login("alice", app: app ?? "")
                    let bare = try await client.token(app: app, [("Username", "alice"), ("Password", TestWorld.password)])
                    for response in [answer, bare] {
                        #expect(response.status == 401)
                        #expect(response.body == #"{"error":"Application key is not defined or does not exist"}"#)
                    }
                }
            }
        }
    }

    @Test func corruptedTickets() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // A code with no interim token at all.
                let missing = try await client.login("bob", [("VerificationCode", "123456")])
                #expect(missing.isFailure("VerificationCode", "Corrupted ticket"), "\(missing.body)")
                // An unknown interim token.
                let unknown = try await client.login("bob", [("VerificationCode", "123456"), ("Authorization", "Bearer nonsense")])
                #expect(unknown.isFailure("VerificationCode", "Corrupted ticket"))

                let interim = try #require(try await client.login("bob").token)
                let code = try #require(try world.codes(to: "bob@example.com").last)
                // Another app of the same company, and another company.
                for app in ["acme-mobile", "otherco"] {
                    let answer = try await client.token(app: app, [("VerificationCode", code), ("Authorization", "Bearer \(interim)")])
                    #expect(answer.isFailure("VerificationCode", "Corrupted ticket"), "\(app): \(answer.body)")
                }
                // Another user's name resent with the ticket.
                let otherUser = try await client.login("alice", [("VerificationCode", code), ("Authorization", "Bearer \(interim)")])
                #expect(otherUser.isFailure("VerificationCode", "Corrupted ticket"), "\(otherUser.body)")
                // None of those spent the transaction: the right request still works.
                let right = try await client.login("bob", [("VerificationCode", code), ("Authorization", "Bearer \(interim)")])
                #expect(right.isSuccess, "\(right.body)")
            }
        }
    }

    @Test func interimTokensExpireAfterTenMinutes() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let interim = try #require(try await client.login("dave", app: "pinco").token)
                world.clock.advance(by: 600)
                let answer = try await client.login("dave", app: "pinco", [("PinCode", "2468"), ("Authorization", interim)])
                #expect(answer.isFailure("SecutityPin", "Corrupted ticket"), "\(answer.body)")
            }
        }
    }

    @Test func codesExpireAfterFiveMinutes() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let interim = try #require(try await client.login("bob").token)
                let code = try #require(try world.codes(to: "bob@example.com").last)
                world.clock.advance(by: 301)
                let late = try await client.login("bob", [("VerificationCode", code), ("Authorization", interim)])
                #expect(late.isExpecting("VerificationCode", "Invalid verification code"), "\(late.body)")
            }
        }
    }

    @Test func theCodeIsResentAtMostOncePerMinute() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let interim = try #require(try await client.login("bob").token)
                world.clock.advance(by: 30)
                let early = try await client.login("bob", [("Authorization", interim)])
                #expect(early.isExpecting("VerificationCode", "Expecting confirmation code"))
                #expect(try world.codes(to: "bob@example.com").count == 1)
                world.clock.advance(by: 30)
                _ = try await client.login("bob", [("Authorization", interim)])
                let codes = try world.codes(to: "bob@example.com")
                #expect(codes.count == 2)
                // The new code works; the first one no longer does (unless the draw repeated it).
                let answer = try await client.login("bob", [("VerificationCode", codes[1]), ("Authorization", interim)])
                #expect(answer.isSuccess, "\(answer.body)")
            }
        }
    }

    @Test func resentCredentialsMustMatchTheTransaction() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let interim = try #require(try await client.login("bob").token)
                let code = try #require(try world.codes(to: "bob@example.com").last)
                let wrongPassword = try await client.login(
                    "bob",
                    password: "not the password",
                    [("VerificationCode", code), ("Authorization", interim)]
                )
                #expect(wrongPassword.isFailure("BaseAuthentication", "Invalid credentials"), "\(wrongPassword.body)")
                // That ended the transaction.
                let after = try await client.login("bob", [("VerificationCode", code), ("Authorization", interim)])
                #expect(after.isFailure("VerificationCode", "Corrupted ticket"), "\(after.body)")
            }
        }
    }

    @Test func headersAreMatchedCaseInsensitively() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let answer = try await client.send(
                    .post,
                    "/token",
                    [("et-app-key", world.appKeys["acme"]!), ("USERNAME", "alice"), ("password", TestWorld.password)]
                )
                #expect(answer.isSuccess, "\(answer.body)")
                let info = try await client.send(
                    .get,
                    "/v1.0/users/@me/info",
                    [("ET-APP-KEY", world.appKeys["acme"]!), ("authorization", "bearer \(answer.token!)")]
                )
                #expect(info.status == 200)
            }
        }
    }
}
