import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import TesseraCore
import Testing

@testable import TesseraDelivery

/// The SMTP client without Tessera around it: what it writes, what it refuses, how it bounds slow servers, and
/// what it never logs.
@Suite struct SMTPCodeSenderTests {
    static let message = OutgoingMessage(channel: .email, destination: "bob@example.com", purpose: .login, code: "482913", userID: 1)

    @Test func theURLGivesSecurityPortAndCredentials() throws {
        let plain = try SMTPConfiguration(url: "smtp://mailer:s%40cret@mail.example", from: "no-reply@b.example")
        #expect(plain.security == .startTLSWhenOffered && plain.port == 587)
        #expect(plain.username == "mailer" && plain.password == "s@cret")
        #expect(plain.description == "smtp://mailer@mail.example:587", "the password never shows")
        let implicit = try SMTPConfiguration(url: "smtps://mail.example", from: "Broker <no-reply@b.example>")
        #expect(implicit.security == .implicitTLS && implicit.port == 465 && implicit.username == nil)
        #expect(try SMTPConfiguration(url: "smtp://[::1]:2525", from: "a@b.example").host == "::1")
        #expect(throws: DeliveryConfigurationError.self) { try SMTPConfiguration(url: "http://mail.example", from: "a@b.example") }
        #expect(throws: DeliveryConfigurationError.self) { try SMTPConfiguration(url: "smtp://mail.example", from: "nobody") }
        #expect(throws: DeliveryConfigurationError.self) { try SMTPConfiguration(url: "smtp://mail.example", from: "a@b.example\r\nBcc: x@y") }
    }

    @Test func theMessageIsDotStuffedWithCRLFAndEndsWithADotLine() {
        let mail = SMTPMail(
            from: "Broker <no-reply@b.example>",
            to: "bob@example.com",
            subject: "Code",
            text: "first\n.hidden\n..two\nlast",
            date: Date(timeIntervalSince1970: 0),
            messageID: "m1"
        )
        let wire = SMTPSession.render(mail, recipient: "bob@example.com")
        #expect(wire.hasSuffix("\r\n\r\nfirst\r\n..hidden\r\n...two\r\nlast\r\n.\r\n"))
        #expect(wire.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"))
        #expect(!wire.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "every line ends in CRLF")
        let german = SMTPMail(
            from: "a@b.example",
            to: "c@d.example",
            subject: "Ihr Code für die Anmeldung",
            text: "Code für Sie: 1",
            date: Date(),
            messageID: "m2"
        )
        let encoded = SMTPSession.render(german, recipient: "c@d.example")
        #expect(encoded.contains("Subject: =?utf-8?B?"))
        #expect(encoded.contains("Content-Transfer-Encoding: base64\r\n"))
    }

    @Test func aDestinationThatCouldInjectAHeaderIsRefused() async throws {
        let sender = try SMTPCodeSender(
            configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:1", from: "a@b.example"),
            logger: Logger(label: "test")
        )
        var message = Self.message
        message.destination = "bob@example.com\r\nBcc: mallory@example.com"
        await #expect(throws: DeliveryError.unusableDestination) { try await sender.send(message) }
    }

    @Test func aSilentServerTimesOutAndAFullLimitFailsAtOnce() async throws {
        // Accepts connections and never says a word.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        var configuration = try SMTPConfiguration(url: "smtp://127.0.0.1:\(silent.localAddress!.port!)", from: "a@b.example")
        configuration.replyTimeout = .seconds(2)
        configuration.maximumConcurrentSends = 1
        let sender = try SMTPCodeSender(configuration: configuration, logger: Logger(label: "test"))

        let clock = ContinuousClock()
        let started = clock.now
        let slow = Task { try await sender.send(Self.message) }
        try await Task.sleep(for: .milliseconds(100))
        let refusedAt = clock.now
        await #expect(throws: DeliveryError.busy) { try await sender.send(Self.message) }
        let refusal = clock.now - refusedAt
        // Queued behind the slow send, it would wait for the slow one's 2 s reply timeout: 1.9 s at least. The
        // bound leaves room for a loaded machine (a full local run once took 0.3 s to refuse).
        #expect(refusal < .seconds(1), "a full limit refuses at once (took \(refusal))")
        await #expect(throws: DeliveryError.smtp(stage: "greeting", reply: nil, problem: "timed out")) { try await slow.value }
        let waited = clock.now - started
        // Without the deadline it would wait forever; the margin is for a loaded machine.
        #expect(waited >= .seconds(2) && waited < .seconds(12), "the greeting waited its timeout (\(waited))")
        // The slot is free again.
        await #expect(throws: DeliveryError.smtp(stage: "greeting", reply: nil, problem: "timed out")) { try await sender.send(Self.message) }
    }

    @Test func failuresAreLoggedWithoutCodeAddressOrPassword() async throws {
        let lines = LogLines()
        let logger = Logger(label: "test") { _ in lines }
        let sender = try SMTPCodeSender(
            configuration: try SMTPConfiguration(url: "smtp://mailer:hunter2secret@127.0.0.1:1", from: "a@b.example"),
            logger: logger
        )
        await #expect(throws: DeliveryError.self) { try await sender.send(Self.message) }
        let logged = lines.text
        #expect(logged.contains("email not delivered"))
        for secret in ["482913", "hunter2secret", "bob@example.com", "sign-in"] {
            #expect(!logged.contains(secret), "the log must not hold \(secret)")
        }
    }
}

/// Collects every log line, message and metadata, as text.
final class LogLines: LogHandler, Sendable {
    private let lines = Mutex<[String]>([])
    var text: String { self.lines.withLock { $0.joined(separator: "\n") } }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        self.lines.withLock { $0.append("\(event.message) \(event.metadata ?? [:])") }
    }
}
