import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import TesseraCore
import TesseraStorage
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The life cycle around `/token`, end to end through the real server: expiry, first PIN, reset, change.
@Suite struct CredentialLifecycleTests {
    static let newPassword = "a brand new passphrase 42"

    @Test func anExpiredPasswordIsChangedThenLogsIn() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                #expect(try await client.login("ivan", app: "expco").isSuccess)
                world.clock.advance(by: 31 * 86_400)
                let expired = try await client.login("ivan", app: "expco")
                #expect(expired.isExpecting("BaseAuthentication", "Your Password has expired and must be changed"), "\(expired.body)")
                let ticket = try #require(expired.token)
                // ETNA's clients read the ticket from ConfirmationToken.
                #expect(expired.json["ConfirmationToken"] as? String == ticket)
                // A wrong password is still just wrong: the expiry is only told to the right one.
                #expect(
                    try await client.login("ivan", password: "not the password", app: "expco").isFailure("BaseAuthentication", "Invalid credentials")
                )

                let reset = try await client.json(
                    .put,
                    "/v1.0/users/passwords/reset",
                    app: "expco",
                    ["Token": ticket, "Password": Self.newPassword, "PasswordConfirmation": Self.newPassword]
                )
                #expect(reset.succeeded, "\(reset.body)")
                #expect(try await client.login("ivan", app: "expco").isFailure("BaseAuthentication", "Invalid credentials"))
                #expect(try await client.login("ivan", password: Self.newPassword, app: "expco").isSuccess)
            }
        }
    }

    @Test func anOperatorExpiredPasswordGoesThroughTwoFactorAfterTheChange() async throws {
        try await TestWorld.with { world in
            let database = try await TesseraDatabase.open(.sqlite(path: world.databasePath), logger: Logger(label: "test"))
            let acme = try #require(try await database.directory.company(named: "acme"))
            let bob = try #require(try await database.directory.user(companyID: acme.id, usernameKey: "bob"))
            try await database.directory.expirePassword(userID: bob.id)
            await database.close()
            try await world.withServer { client in
                let expired = try await client.login("bob")
                #expect(expired.isExpecting("BaseAuthentication", "Your Password has expired and must be changed"))
                let body = ["Token": try #require(expired.token), "Password": Self.newPassword, "PasswordConfirmation": Self.newPassword]
                #expect(try await client.json(.put, "/v1.0/users/passwords/reset", body).succeeded)
                let next = try await client.login("bob", password: Self.newPassword)
                #expect(next.isExpecting("VerificationCode", "Expecting confirmation code"), "\(next.body)")
            }
        }
    }

    @Test func weakNewPasswordsAreRefusedWithoutSpendingTheTicket() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                world.clock.advance(by: 31 * 86_400)
                let ticket = try #require(try await client.login("ivan", app: "expco").token)
                let cases: [(String, String, String)] = [
                    ("a brand new passphrase", "a different confirmation", "ErrorPasswordsDoNotMatch"),
                    ("short", "short", "ErrorPasswordTooShort"),
                    (String(repeating: "long", count: 40), String(repeating: "long", count: 40), "ErrorPasswordTooLong"),
                    ("IVAN", "IVAN", "ErrorPasswordEqualsUsername"),
                    ("1qaz2wsx3edc", "1qaz2wsx3edc", "ErrorPasswordTooCommon"),
                    (TestWorld.password, TestWorld.password, "ErrorPasswordSameAsCurrent"),
                ]
                for (password, confirmation, code) in cases {
                    let answer = try await client.json(
                        .put,
                        "/v1.0/users/passwords/reset",
                        app: "expco",
                        ["Token": ticket, "Password": password, "PasswordConfirmation": confirmation]
                    )
                    #expect(answer.status == 400, "\(code): \(answer.body)")
                    #expect(answer.refuses(code), "\(code): \(answer.body)")
                }
                let missing = try await client.json(.put, "/v1.0/users/passwords/reset", app: "expco", ["Token": ticket])
                #expect(missing.status == 400)
                let modelState = try #require(missing.json["ModelState"] as? [String: [String]])
                #expect(modelState["model.Password"] == ["The Password field is required."])
                #expect(modelState["model.PasswordConfirmation"] != nil)
                #expect(missing.json["Message"] as? String == "The request is invalid.")
                let good = try await client.json(
                    .put,
                    "/v1.0/users/passwords/reset",
                    app: "expco",
                    ["Token": ticket, "Password": Self.newPassword, "PasswordConfirmation": Self.newPassword]
                )
                #expect(good.succeeded, "\(good.body)")
            }
        }
    }

    @Test func aFirstPinIsSetWithAnImageAndThenAskedFor() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let notInit = try await client.login("erin", app: "pinco")
                #expect(notInit.isExpecting("SecutityPin", "PIN code is not init"))
                let ticket = try #require(notInit.token)
                // ETNA's docs: set the first PIN with the ConfirmationToken of this answer.
                #expect(notInit.json["ConfirmationToken"] as? String == ticket)

                let images = try await client.send(
                    .get,
                    "/v1.0/assets/security-images",
                    [("Et-App-Key", world.appKeys["pinco"]!), ("Authorization", "Bearer \(ticket)")]
                )
                #expect(images.succeeded, "\(images.body)")
                let list = try #require(images.json["Model"] as? [[String: String]])
                #expect(list.count == 8)
                for image in list {
                    let png = try #require(Data(base64Encoded: image["Content"] ?? ""))
                    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
                    #expect(image["FileName"]?.hasSuffix(".png") == true)
                }
                let chosen = try #require(list[2]["FileName"])

                let set = try await client.json(
                    .post,
                    "/v1.0/users/pincode/change",
                    app: "pinco",
                    ["Token": ticket, "Pin": "5791", "ImageName": chosen, "PersonalPhrase": "blue skies"]
                )
                #expect(set.succeeded, "\(set.body)")

                let first = try await client.login("erin", app: "pinco")
                #expect(first.status == 202)
                #expect(first.json["Step"] as? String == "SecutityPin")
                #expect(first.json["Reason"] as? String == "Expecting pin code")
                let hint = try #require(first.json["SecurityImage"] as? [String: String])
                #expect(hint["FileName"] == chosen)
                #expect(hint["PersonalPhrase"] == "blue skies")
                #expect(hint["Content"] == list[2]["Content"])
                // ETNA's own keys for the same: the phrase, and the image as base64 PNG.
                #expect(first.json["PersonalPhrase"] as? String == "blue skies")
                #expect(first.json["Image"] as? String == list[2]["Content"])
                #expect(first.json["ConfirmationToken"] == nil, "an interim token is not a ticket")
                let done = try await client.login("erin", app: "pinco", [("PinCode", "5791"), ("Authorization", try #require(first.token))])
                #expect(done.isSuccess, "\(done.body)")
            }
        }
    }

    @Test func badPinSetupsAreRefused() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let ticket = try #require(try await client.login("erin", app: "pinco").token)
                let cases: [([String: String], String)] = [
                    (["Token": ticket, "Pin": "12"], "ErrorInvalidPin"),
                    (["Token": ticket, "Pin": "12ab"], "ErrorInvalidPin"),
                    (["Token": ticket, "Pin": "1234", "ImageName": "../../etc/passwd"], "ErrorUnknownImage"),
                    (["Token": ticket, "Pin": "1234", "PersonalPhrase": String(repeating: "p", count: 101)], "ErrorPhraseTooLong"),
                ]
                for (body, code) in cases {
                    let answer = try await client.json(.post, "/v1.0/users/pincode/change", app: "pinco", body)
                    #expect(answer.refuses(code), "\(code): \(answer.body)")
                }
                let missing = try await client.json(.post, "/v1.0/users/pincode/change", app: "pinco", ["Token": ticket])
                #expect((missing.json["ModelState"] as? [String: [String]])?["model.Pin"] != nil)
                // None of those spent the ticket.
                #expect(try await client.json(.post, "/v1.0/users/pincode/change", app: "pinco", ["Token": ticket, "Pin": "2580"]).succeeded)
            }
        }
    }

    @Test func resetWithASecretQuestion() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let question = try await client.send(
                    .get,
                    "/v1.0/users/password/secret-question?username=quinn",
                    [("Et-App-Key", world.appKeys["acme"]!)]
                )
                #expect(question.succeeded)
                #expect(question.json["Model"] as? String == "Name of your first pet?")

                let wrong = try await client.json(.post, "/v1.0/users/password/reset", ["User": "quinn", "SecretQuestionAnswer": "Fido"])
                #expect(wrong.refuses("ErrorIncorrectAnswer"), "\(wrong.body)")
                let none = try await client.json(.post, "/v1.0/users/password/reset", ["User": "quinn"])
                #expect(none.refuses("ErrorIncorrectAnswer"), "\(none.body)")
                #expect(try world.codes(to: "quinn@example.com").isEmpty)

                let right = try await client.json(.post, "/v1.0/users/password/reset", ["User": "QUINN", "SecretQuestionAnswer": "  rex THE   dog "])
                #expect(right.succeeded, "\(right.body)")
                let code = try #require(try await world.awaitCodes(to: "quinn@example.com", purpose: "reset").last)

                let redeemed = try await client.json(.post, "/v1.0/users/identifiers/reset/code", ["Code": code, "Identifier": "ResetPassword"])
                #expect(redeemed.succeeded, "\(redeemed.body)")
                let ticket = try #require(redeemed.json["Model"] as? String)
                // A code is redeemed once.
                let again = try await client.json(.post, "/v1.0/users/identifiers/reset/code", ["Code": code, "Identifier": "ResetPassword"])
                #expect(again.refuses("ErrorInvalidCode"))

                let reset = try await client.json(
                    .put,
                    "/v1.0/users/passwords/reset",
                    ["Token": ticket, "Password": Self.newPassword, "PasswordConfirmation": Self.newPassword]
                )
                #expect(reset.succeeded, "\(reset.body)")
                #expect(try await client.login("quinn").isFailure("BaseAuthentication", "Invalid credentials"))
                #expect(try await client.login("quinn", password: Self.newPassword).isSuccess)
            }
        }
    }

    @Test func resetWithoutAQuestionAndTheSameAnswerForUnknownUsers() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let key = [("Et-App-Key", world.appKeys["acme"]!)]
                let known = try await client.send(.get, "/v1.0/users/password/secret-question?username=alice", key)
                let unknown = try await client.send(.get, "/v1.0/users/password/secret-question?username=nobody-here", key)
                #expect(known.status == 200 && known.body == unknown.body)
                #expect(known.json["Model"] as? String == "")

                let resetKnown = try await client.json(.post, "/v1.0/users/password/reset", ["User": "alice"])
                let resetUnknown = try await client.json(.post, "/v1.0/users/password/reset", ["User": "nobody-here"])
                #expect(resetKnown.status == 200 && resetKnown.body == resetUnknown.body)
                let code = try #require(try await world.awaitCodes(to: "alice@example.com", purpose: "reset").last)
                try await world.drainQueue()
                #expect(try world.codes(to: "nobody-here@example.com").isEmpty)

                let ticket = try #require(
                    try await client.json(.post, "/v1.0/users/identifiers/reset/code", ["Code": code, "Identifier": "ResetPassword"]).json["Model"]
                        as? String
                )
                let reset = try await client.json(
                    .put,
                    "/v1.0/users/passwords/reset",
                    ["Token": ticket, "Password": Self.newPassword, "PasswordConfirmation": Self.newPassword]
                )
                #expect(reset.succeeded)
                #expect(try await client.login("alice", password: Self.newPassword).isSuccess)
                #expect(try await client.login("alice").isFailure("BaseAuthentication", "Invalid credentials"))
            }
        }
    }

    @Test func resetCodesAllowFiveTriesAndExpireAfterFifteenMinutes() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                #expect(try await client.json(.post, "/v1.0/users/password/reset", ["User": "alice"]).succeeded)
                let code = try #require(try await world.awaitCodes(to: "alice@example.com", purpose: "reset").last)
                let wrong = code == "000000" ? "111111" : "000000"
                for _ in 0..<5 {
                    let answer = try await client.json(.post, "/v1.0/users/identifiers/reset/code", ["Code": wrong, "Identifier": "ResetPassword"])
                    #expect(answer.refuses("ErrorInvalidCode"))
                }
                let right = try await client.json(.post, "/v1.0/users/identifiers/reset/code", ["Code": code, "Identifier": "ResetPassword"])
                #expect(right.refuses("ErrorInvalidCode"), "the sixth try must fail even with the right code")

                // After the window, a new code works — until it is 15 minutes old.
                world.clock.advance(by: 15 * 60 + 1)
                #expect(try await client.json(.post, "/v1.0/users/password/reset", ["User": "alice"]).succeeded)
                let fresh = try #require(try await world.awaitCodes(to: "alice@example.com", purpose: "reset", count: 2).last)
                world.clock.advance(by: 15 * 60 + 1)
                let late = try await client.json(.post, "/v1.0/users/identifiers/reset/code", ["Code": fresh, "Identifier": "ResetPassword"])
                #expect(late.refuses("ErrorInvalidCode"))
            }
        }
    }

    @Test func aPinIsResetThroughACode() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                #expect(try await client.json(.post, "/v1.0/users/password/reset", app: "pinco", ["User": "dave"]).succeeded)
                let code = try #require(try await world.awaitCodes(to: "dave@example.com", purpose: "reset").last)
                let ticket = try #require(
                    try await client.json(.post, "/v1.0/users/identifiers/reset/code", app: "pinco", ["Code": code, "Identifier": "ResetPinCode"])
                        .json["Model"] as? String
                )
                #expect(try await client.json(.post, "/v1.0/users/pincode/change", app: "pinco", ["Token": ticket, "Pin": "97531"]).succeeded)
                #expect(try await client.login("dave", app: "pinco", [("PinCode", "2468")]).status == 202)
                #expect(try await client.login("dave", app: "pinco", [("PinCode", "97531")]).isSuccess)
            }
        }
    }

    @Test func everyTicketOpensOnlyItsOwnEndpointOnceAndNotWhenExpired() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // One ticket of each kind.
                world.clock.advance(by: 31 * 86_400)
                let passwordChange = try #require(try await client.login("ivan", app: "expco").token)
                let pinSetup = try #require(try await client.login("erin", app: "pinco").token)
                #expect(try await client.json(.post, "/v1.0/users/password/reset", app: "pinco", ["User": "dave"]).succeeded)
                let code = try #require(try await world.awaitCodes(to: "dave@example.com", purpose: "reset").last)
                let resetPin = try #require(
                    try await client.json(.post, "/v1.0/users/identifiers/reset/code", app: "pinco", ["Code": code, "Identifier": "ResetPinCode"])
                        .json["Model"] as? String
                )
                let tickets: [(name: String, app: String, token: String, setsPassword: Bool)] = [
                    ("password-change", "expco", passwordChange, true),
                    ("pin-setup", "pinco", pinSetup, false),
                    ("reset-pin", "pinco", resetPin, false),
                ]
                for ticket in tickets {
                    // Never an access token, never an interim token.
                    #expect(try await client.info(ticket.token, app: ticket.app).status == 401, "\(ticket.name)")
                    let asInterim = try await client.token(app: ticket.app, [("PinCode", "1234"), ("Authorization", ticket.token)])
                    #expect(asInterim.isFailure("SecutityPin", "Corrupted ticket"), "\(ticket.name)")
                    // Not the other kind's endpoint.
                    let wrongEndpoint =
                        ticket.setsPassword
                        ? try await client.json(.post, "/v1.0/users/pincode/change", app: ticket.app, ["Token": ticket.token, "Pin": "4680"])
                        : try await client.json(
                            .put,
                            "/v1.0/users/passwords/reset",
                            app: ticket.app,
                            ["Token": ticket.token, "Password": Self.newPassword, "PasswordConfirmation": Self.newPassword]
                        )
                    #expect(wrongEndpoint.refuses("ErrorInvalidToken"), "\(ticket.name): \(wrongEndpoint.body)")
                    if ticket.setsPassword {
                        let images = try await client.send(
                            .get,
                            "/v1.0/assets/security-images",
                            [("Et-App-Key", world.appKeys[ticket.app]!), ("Authorization", "Bearer \(ticket.token)")]
                        )
                        #expect(images.refuses("ErrorInvalidToken"), "\(ticket.name)")
                    }
                    // Not through another app.
                    let otherApp = try await client.json(.post, "/v1.0/users/pincode/change", app: "acme", ["Token": ticket.token, "Pin": "4680"])
                    #expect(otherApp.refuses("ErrorInvalidToken"))
                }
                // Each opens its own endpoint once.
                let body = ["Token": passwordChange, "Password": Self.newPassword, "PasswordConfirmation": Self.newPassword]
                #expect(try await client.json(.put, "/v1.0/users/passwords/reset", app: "expco", body).succeeded)
                #expect(try await client.json(.put, "/v1.0/users/passwords/reset", app: "expco", body).refuses("ErrorInvalidToken"))
                let pin = ["Token": pinSetup, "Pin": "4680"]
                #expect(try await client.json(.post, "/v1.0/users/pincode/change", app: "pinco", pin).succeeded)
                #expect(try await client.json(.post, "/v1.0/users/pincode/change", app: "pinco", pin).refuses("ErrorInvalidToken"))
                // And none after its 10 minutes.
                world.clock.advance(by: 601)
                let late = try await client.json(.post, "/v1.0/users/pincode/change", app: "pinco", ["Token": resetPin, "Pin": "4680"])
                #expect(late.refuses("ErrorInvalidToken"))
            }
        }
    }

    @Test func changingThePasswordEndsOtherSessionsAndTellsTheUser() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let current = try #require(try await client.login("alice").token)
                let other = try #require(try await client.login("alice", app: "acme-mobile").token)

                let missing = try await client.json(.put, "/v1.0/users/@me/password/change", bearer: current, ["OldPassword": TestWorld.password])
                #expect(missing.status == 400)
                let state = try #require(missing.json["ModelState"] as? [String: [String]])
                #expect(Set(state.keys) == ["model.Password", "model.PasswordConfirm"])

                let wrongOld = try await client.json(
                    .put,
                    "/v1.0/users/@me/password/change",
                    bearer: current,
                    ["OldPassword": "not it", "Password": Self.newPassword, "PasswordConfirm": Self.newPassword]
                )
                #expect(wrongOld.refuses("ErrorIncorrectPassword"))
                let unauthenticated = try await client.json(
                    .put,
                    "/v1.0/users/@me/password/change",
                    ["OldPassword": TestWorld.password, "Password": Self.newPassword, "PasswordConfirm": Self.newPassword]
                )
                #expect(unauthenticated.status == 401)

                let changed = try await client.json(
                    .put,
                    "/v1.0/users/@me/password/change",
                    bearer: current,
                    ["OldPassword": TestWorld.password, "Password": Self.newPassword, "PasswordConfirm": Self.newPassword]
                )
                #expect(changed.succeeded, "\(changed.body)")
                #expect(try await client.info(current).status == 200)
                #expect(try await client.info(other, app: "acme-mobile").status == 401)
                let notices = try await world.awaitMessages(to: "alice@example.com").filter { $0["purpose"] as? String == "notice" }
                #expect(notices.count == 1)
                #expect(notices.first?["notice"] as? String == "password-changed")
                #expect(notices.first?["code"] == nil)
                #expect(try await client.login("alice", password: Self.newPassword).isSuccess)
            }
        }
    }

    @Test func aCompanyMayKeepSessionsOnChange() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                let current = try #require(try await client.login("kim", app: "keepco").token)
                let other = try #require(try await client.login("kim", app: "keepco").token)
                let changed = try await client.json(
                    .put,
                    "/v1.0/users/@me/password/change",
                    app: "keepco",
                    bearer: current,
                    ["OldPassword": TestWorld.password, "Password": Self.newPassword, "PasswordConfirm": Self.newPassword]
                )
                #expect(changed.succeeded)
                #expect(try await client.info(other, app: "keepco").status == 200)
            }
        }
    }

    @Test func secretAnswersHaveABudgetOfTheirOwn() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                for index in 0..<CredentialService.answerPairLimit {
                    let wrong = try await client.json(
                        .post,
                        "/v1.0/users/password/reset",
                        ["User": "quinn", "SecretQuestionAnswer": "guess \(index)"]
                    )
                    #expect(wrong.refuses("ErrorIncorrectAnswer"))
                }
                let right = try await client.json(.post, "/v1.0/users/password/reset", ["User": "quinn", "SecretQuestionAnswer": "Rex the Dog"])
                #expect(right.refuses("ErrorIncorrectAnswer"), "the sixth try from one address must not be checked")
                try await world.drainQueue()
                #expect(try world.codes(to: "quinn@example.com").isEmpty)
                // The answers never count against the logins.
                #expect(try await client.login("quinn").isSuccess)
            }
        }
    }

    @Test func resetCodesAreSentAtMostOnceAMinute() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                for _ in 0..<3 {
                    #expect(try await client.json(.post, "/v1.0/users/password/reset", ["User": "alice"]).succeeded)
                }
                _ = try await world.awaitCodes(to: "alice@example.com", purpose: "reset")
                try await world.drainQueue()
                #expect(try world.codes(to: "alice@example.com", purpose: "reset").count == 1)
                world.clock.advance(by: 60)
                #expect(try await client.json(.post, "/v1.0/users/password/reset", ["User": "alice"]).succeeded)
                let codes = try await world.awaitCodes(to: "alice@example.com", purpose: "reset", count: 2)
                #expect(codes.count == 2)
                // Only the newest code is good.
                let first = try await client.json(.post, "/v1.0/users/identifiers/reset/code", ["Code": codes[0], "Identifier": "ResetPassword"])
                #expect(codes[0] == codes[1] || first.refuses("ErrorInvalidCode"))
                #expect(
                    try await client.json(.post, "/v1.0/users/identifiers/reset/code", ["Code": codes[1], "Identifier": "ResetPassword"]).succeeded
                )
            }
        }
    }

    @Test func aChunkedBodyOverTheLimitIs413() async throws {
        try await TestWorld.with { world in
            try await world.withServer { client in
                // A streamed body goes out chunked, with no Content-Length to refuse it by.
                var request = URLRequest(url: URL(string: "http://127.0.0.1:\(client.client.port!)/v1.0/users/passwords/reset")!)
                request.httpMethod = "PUT"
                request.setValue(world.appKeys["acme"]!, forHTTPHeaderField: "Et-App-Key")
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                request.httpBodyStream = InputStream(data: Data(repeating: UInt8(ascii: "x"), count: 80_000))
                let (_, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 413)
            }
        }
    }

}
