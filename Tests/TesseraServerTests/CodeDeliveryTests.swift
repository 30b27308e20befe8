import Foundation
import HTTPTypes
import NIOSSL
import TesseraCore
import TesseraDelivery
import Testing

/// Codes over real channels: a real SMTP server (aiosmtpd) and a real HTTP receiver standing in for an SMS
/// gateway, both separate processes, with the live Tessera server of the other tests.
@Suite struct CodeDeliveryTests {
    static let loginText = "Your sign-in code is "

    static func smtp(port: Int, credentials: String = "") throws -> SMTPConfiguration {
        var configuration = try SMTPConfiguration(url: "smtp://\(credentials)127.0.0.1:\(port)", from: "Acme Broker <no-reply@acme.example>")
        configuration.connectTimeout = .seconds(2)
        configuration.replyTimeout = .seconds(2)
        return configuration
    }

    static func webhook(port: Int, secret: String? = nil) throws -> SMSWebhookConfiguration {
        var configuration = try SMSWebhookConfiguration(url: "http://127.0.0.1:\(port)/sms", bearerSecret: secret)
        configuration.retryDelay = .milliseconds(10)
        return configuration
    }

    /// Runs `body` against a server whose SMS go to a real HTTP receiver (the first `failing` requests answer
    /// 500; with `secret`, a request without that bearer answers 401), with the path of the receiver's log.
    static func withGateway(
        failing: Int = 0,
        secret: String? = nil,
        sending sentSecret: String? = nil,
        _ body: @escaping @Sendable (Client, String) async throws -> Void
    ) async throws {
        try await TestWorld.with { world in
            let log = world.directory.appendingPathComponent("sms.jsonl").path
            let gateway = try await HelperProcess.smsGateway(log: log, failing: failing, secret: secret)
            defer { gateway.stop() }
            try await world.withServer(smsWebhook: try Self.webhook(port: gateway.port, secret: sentSecret)) { client in
                try await body(client, log)
            }
        }
    }

    /// The code in a message text of the login template, checking the text holds nothing else.
    static func code(in text: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let code = String(trimmed.dropFirst(Self.loginText.count).prefix(6))
        #expect(trimmed == Self.loginText + code + ".", "the message holds the code and its purpose, nothing else")
        #expect(code.count == 6 && code.allSatisfy(\.isNumber))
        return code
    }

    /// The code of the one email in `mailbox`, after checking its envelope and headers.
    static func emailedCode(_ mailbox: String, to recipient: String) throws -> String {
        let mails = try HelperProcess.lines(mailbox)
        #expect(mails.count == 1)
        let mail = try #require(mails.last)
        #expect(mail["rcpt_tos"] as? [String] == [recipient])
        #expect(mail["mail_from"] as? String == "no-reply@acme.example")
        let data = try #require(mail["data"] as? String)
        let parts = data.components(separatedBy: "\r\n\r\n")
        #expect(parts[0].contains("Subject: Your sign-in code\r\n"))
        #expect(parts[0].contains("From: Acme Broker <no-reply@acme.example>\r\n"))
        return try Self.code(in: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test func theLoginCodeArrivesOverRealSMTPAndCompletesTwoFactor() async throws {
        try await TestWorld.with { world in
            let mailbox = world.directory.appendingPathComponent("mailbox.jsonl").path
            let server = try await HelperProcess.smtp(mailbox: mailbox, auth: "tessera:p@ss word")
            defer { server.stop() }
            try await world.withServer(smtp: try Self.smtp(port: server.port, credentials: "tessera:p%40ss%20word@")) { client in
                let first = try await client.login("bob")
                #expect(first.isExpecting("VerificationCode", "Expecting confirmation code"), "\(first.body)")
                let interim = try #require(first.token)
                let code = try Self.emailedCode(mailbox, to: "bob@example.com")
                #expect(try HelperProcess.lines(mailbox).last?["authenticated"] as? Bool == true)
                #expect(try world.codes(to: "bob@example.com").isEmpty, "email goes by SMTP, not to the outbox")
                let second = try await client.login("bob", [("VerificationCode", code), ("Authorization", "Bearer \(interim)")])
                #expect(second.isSuccess, "\(second.body)")
            }
        }
    }

    @Test(arguments: [false, true])
    func theCodeTravelsOverTLSWithStartTLSOrFromTheFirstByte(implicitTLS: Bool) async throws {
        try await TestWorld.with { world in
            let mailbox = world.directory.appendingPathComponent("mailbox.jsonl").path
            let server = try await HelperProcess.smtp(mailbox: mailbox, auth: "tessera:pw", tls: world.directory.path, implicitTLS: implicitTLS)
            defer { server.stop() }
            var smtp = try SMTPConfiguration(
                url: "\(implicitTLS ? "smtps" : "smtp")://tessera:pw@localhost:\(server.port)",
                from: "Acme Broker <no-reply@acme.example>"
            )
            smtp.tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(world.directory.appendingPathComponent("cert.pem").path))
            try await world.withServer(smtp: smtp) { client in
                let first = try await client.login("bob")
                #expect(first.isExpecting("VerificationCode", "Expecting confirmation code"), "\(first.body)")
                let code = try Self.emailedCode(mailbox, to: "bob@example.com")
                let mail = try #require(try HelperProcess.lines(mailbox).last)
                #expect(mail["tls"] as? Bool == true && mail["authenticated"] as? Bool == true)
                let second = try await client.token([("VerificationCode", code), ("Authorization", try #require(first.token))])
                #expect(second.isSuccess, "\(second.body)")
            }
        }
    }

    @Test func aCertificateTheServerCannotProveIsRefused() async throws {
        try await TestWorld.with { world in
            let mailbox = world.directory.appendingPathComponent("mailbox.jsonl").path
            let server = try await HelperProcess.smtp(mailbox: mailbox, tls: world.directory.path)
            defer { server.stop() }
            // The system's roots do not know the self-signed certificate: STARTTLS fails, nothing is sent in the clear.
            let smtp = try SMTPConfiguration(url: "smtp://localhost:\(server.port)", from: "no-reply@acme.example")
            try await world.withServer(smtp: smtp) { client in
                let first = try await client.login("bob")
                #expect(first.status == 503, "\(first.body)")
                #expect(try HelperProcess.lines(mailbox).isEmpty)
            }
        }
    }

    @Test func aDeadSMTPServerAnswers503AndTheSameInterimTokenSucceedsOnceItIsBack() async throws {
        try await TestWorld.with { world in
            let mailbox = world.directory.appendingPathComponent("mailbox.jsonl").path
            // A port nothing listens on any more.
            let probe = try await HelperProcess.smtp(mailbox: mailbox)
            let port = probe.port
            probe.stop()
            try await world.withServer(smtp: try Self.smtp(port: port)) { client in
                let first = try await client.login("bob")
                #expect(first.status == 503, "\(first.body)")
                #expect(first.headers[.retryAfter] == "5")
                #expect(first.json["error"] as? String == "The verification code could not be sent; try again")
                let interim = try #require(first.token)
                let stillDown = try await client.token([("Authorization", "Bearer \(interim)")])
                #expect(stillDown.status == 503 && stillDown.token == interim)

                let server = try await HelperProcess.smtp(mailbox: mailbox, port: port)
                defer { server.stop() }
                // Seconds later, well inside the 60 s resend interval: no code counted as sent, so one goes now.
                let retried = try await client.token([("Authorization", "Bearer \(interim)")])
                #expect(retried.isExpecting("VerificationCode", "Expecting confirmation code"), "\(retried.body)")
                #expect(retried.token == interim)
                let code = try Self.emailedCode(mailbox, to: "bob@example.com")
                let done = try await client.token([("VerificationCode", code), ("Authorization", "Bearer \(interim)")])
                #expect(done.isSuccess, "\(done.body)")
            }
        }
    }

    @Test func smsCodesArePostedToTheWebhookWithItsSecretAndRetriedAfterA500() async throws {
        try await Self.withGateway(failing: 1, secret: "hook-secret", sending: "hook-secret") { client, log in
            let first = try await client.login("carol")
            #expect(first.isExpecting("VerificationCode", "Expecting confirmation code"), "\(first.body)")
            let posts = try HelperProcess.lines(log)
            #expect(posts.map { $0["answered"] as? Int } == [500, 200])
            #expect(posts.allSatisfy { $0["content_type"] as? String == "application/json" })
            let body = try #require(posts.last?["body"] as? [String: any Sendable])
            #expect(Set(body.keys) == ["to", "text", "purpose"])
            #expect(body["to"] as? String == "+15550005000")
            #expect(body["purpose"] as? String == "login")
            let code = try Self.code(in: try #require(body["text"] as? String))
            #expect(try client.world.codes(to: "+15550005000").isEmpty, "SMS goes to the webhook, not to the outbox")
            let second = try await client.token([("VerificationCode", code), ("Authorization", try #require(first.token))])
            #expect(second.isSuccess, "\(second.body)")
        }
    }

    @Test func aWebhookAnswering500Gives503AndALaterRetrySucceeds() async throws {
        // Three tries per send: the whole first send fails, the retry's first try gets through.
        try await Self.withGateway(failing: 3) { client, log in
            let first = try await client.login("carol")
            #expect(first.status == 503, "\(first.body)")
            #expect(first.headers[.retryAfter] == "5")
            #expect(try HelperProcess.lines(log).map { $0["answered"] as? Int } == [500, 500, 500])
            let interim = try #require(first.token)
            let retried = try await client.token([("Authorization", "Bearer \(interim)")])
            #expect(retried.isExpecting("VerificationCode", "Expecting confirmation code"), "\(retried.body)")
            let posts = try HelperProcess.lines(log)
            #expect(posts.map { $0["answered"] as? Int } == [500, 500, 500, 200])
            let body = try #require(posts.last?["body"] as? [String: any Sendable])
            let code = try Self.code(in: try #require(body["text"] as? String))
            let done = try await client.token([("VerificationCode", code), ("Authorization", "Bearer \(interim)")])
            #expect(done.isSuccess, "\(done.body)")
        }
    }

    @Test func aWebhookRefusalIsNotRetried() async throws {
        try await Self.withGateway(secret: "right-secret", sending: "wrong-secret") { client, log in
            let first = try await client.login("carol")
            #expect(first.status == 503, "\(first.body)")
            #expect(try HelperProcess.lines(log).map { $0["answered"] as? Int } == [401])
        }
    }
}
