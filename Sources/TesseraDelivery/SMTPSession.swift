import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One email as it goes on the wire.
struct SMTPMail: Sendable {
    var from: String
    var to: String
    var subject: String
    var text: String
    var date: Date
    var messageID: String
}

/// The client side of one SMTP session (RFC 5321): greeting, `EHLO`, `STARTTLS` when offered, `AUTH PLAIN` or
/// `LOGIN`, `MAIL`/`RCPT`/`DATA`, `QUIT`. Every reply has a deadline (the reply timeout, and the whole send's);
/// a deadline that passes closes the connection.
enum SMTPSession {
    static func deliver(
        _ mail: SMTPMail,
        configuration: SMTPConfiguration,
        tlsContext: NIOSSLContext,
        group: any EventLoopGroup
    ) async throws {
        guard let sender = SMTPAddress.envelope(of: mail.from), let recipient = SMTPAddress.envelope(of: mail.to),
            recipient == mail.to
        else { throw DeliveryError.unusableDestination }
        let serverHostname = Self.isIPAddress(configuration.host) ? nil : configuration.host
        let channel: NIOAsyncChannel<SMTPReply, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(configuration.connectTimeout))
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if configuration.security == .implicitTLS {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname)
                            )
                        }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                        return try NIOAsyncChannel<SMTPReply, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw DeliveryError.smtp(stage: "connect", reply: nil, problem: "could not connect (\(type(of: error)))")
        }
        let deadline = NIODeadline.now() + TimeAmount(configuration.sendTimeout)
        try await channel.executeThenClose { inbound, outbound in
            var conversation = Conversation(
                channel: channel.channel,
                replies: inbound.makeAsyncIterator(),
                outbound: outbound,
                deadline: deadline,
                replyTimeout: TimeAmount(configuration.replyTimeout)
            )
            _ = try await conversation.expect("greeting", 220...220)
            var capabilities = try await conversation.hello(configuration.heloName)
            var secure = configuration.security == .implicitTLS
            if !secure && capabilities["STARTTLS"] != nil {
                try await conversation.say("STARTTLS", stage: "STARTTLS")
                _ = try await conversation.expect("STARTTLS", 220...220)
                let handler = try NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname)
                try await channel.channel.pipeline.addHandler(handler, position: .first).get()
                secure = true
                capabilities = try await conversation.hello(configuration.heloName)
            }
            if let username = configuration.username {
                guard secure || configuration.isLoopback else {
                    throw DeliveryError.smtp(stage: "AUTH", reply: nil, problem: "the server offers no TLS; credentials are not sent in the clear")
                }
                try await conversation.authenticate(username, configuration.password ?? "", mechanisms: capabilities["AUTH"] ?? [])
            }
            try await conversation.say("MAIL FROM:<\(sender)>", stage: "MAIL FROM")
            _ = try await conversation.expect("MAIL FROM", 250...250)
            try await conversation.say("RCPT TO:<\(recipient)>", stage: "RCPT TO")
            _ = try await conversation.expect("RCPT TO", 250...251)
            try await conversation.say("DATA", stage: "DATA")
            _ = try await conversation.expect("DATA", 354...354)
            try await conversation.write(Self.render(mail, recipient: recipient), stage: "message")
            _ = try await conversation.expect("message", 250...250)
            // The message is accepted; a server that hangs up instead of answering QUIT changes nothing.
            try? await conversation.say("QUIT", stage: "QUIT")
            _ = try? await conversation.expect("QUIT", 221...221)
        }
    }

    /// The message after `DATA`: headers, a blank line, the dot-stuffed text with CRLF line ends, and the final
    /// `.` line.
    static func render(_ mail: SMTPMail, recipient: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let ascii = mail.text.unicodeScalars.allSatisfy(\.isASCII)
        let headers = [
            "From: \(mail.from)",
            "To: \(recipient)",
            "Subject: \(Self.encodedWord(mail.subject))",
            "Date: \(formatter.string(from: mail.date))",
            "Message-ID: <\(mail.messageID)@tessera>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: \(ascii ? "7bit" : "base64")",
        ]
        let lines: [String]
        if ascii {
            let normalised = mail.text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            lines = normalised.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.hasPrefix(".") ? "." + line : String(line)
            }
        } else {
            lines = Data(mail.text.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
                .components(separatedBy: "\r\n")
        }
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + lines.joined(separator: "\r\n") + "\r\n.\r\n"
    }

    /// A header value, as an RFC 2047 encoded word when it is not ASCII.
    static func encodedWord(_ text: String) -> String {
        let clean = String(text.unicodeScalars.filter { $0.properties.generalCategory != .control })
        guard !clean.unicodeScalars.allSatisfy(\.isASCII) else { return clean }
        return "=?utf-8?B?\(Data(clean.utf8).base64EncodedString())?="
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
    }
}

/// Sends lines and waits for replies, each under a deadline.
private struct Conversation {
    let channel: any Channel
    var replies: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let deadline: NIODeadline
    let replyTimeout: TimeAmount

    /// The next reply, which must have a code in `accepted`.
    mutating func expect(_ stage: String, _ accepted: ClosedRange<Int>) async throws -> SMTPReply {
        let timedOut = Flag()
        let channel = self.channel
        let timer = channel.eventLoop.scheduleTask(deadline: min(.now() + self.replyTimeout, self.deadline)) {
            timedOut.raise()
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        let reply: SMTPReply?
        do {
            reply = try await self.replies.next()
        } catch let error as DeliveryError {
            throw error
        } catch {
            throw DeliveryError.smtp(stage: stage, reply: nil, problem: timedOut.isRaised ? "timed out" : "connection failed (\(type(of: error)))")
        }
        guard let reply else {
            throw DeliveryError.smtp(stage: stage, reply: nil, problem: timedOut.isRaised ? "timed out" : "connection closed")
        }
        guard accepted.contains(reply.code) else { throw DeliveryError.smtp(stage: stage, reply: reply.code, problem: "refused") }
        return reply
    }

    func say(_ line: String, stage: String) async throws {
        try await self.write(line + "\r\n", stage: stage)
    }

    func write(_ text: String, stage: String) async throws {
        do {
            try await self.outbound.write(ByteBuffer(string: text))
        } catch {
            throw DeliveryError.smtp(stage: stage, reply: nil, problem: "connection failed (\(type(of: error)))")
        }
    }

    /// `EHLO`; the extensions the server offers, keyword (upper case) to parameters.
    mutating func hello(_ name: String) async throws -> [String: [String]] {
        try await self.say("EHLO \(name)", stage: "EHLO")
        let reply = try await self.expect("EHLO", 250...250)
        var capabilities: [String: [String]] = [:]
        for line in reply.lines.dropFirst() {
            let words = line.uppercased().split(whereSeparator: { $0 == " " || $0 == "=" }).map(String.init)
            guard let keyword = words.first else { continue }
            capabilities[keyword, default: []].append(contentsOf: words.dropFirst())
        }
        return capabilities
    }

    /// `AUTH PLAIN` when offered, else `AUTH LOGIN`.
    mutating func authenticate(_ username: String, _ password: String, mechanisms: [String]) async throws {
        func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
        if mechanisms.contains("PLAIN") {
            try await self.say("AUTH PLAIN " + base64("\u{0}\(username)\u{0}\(password)"), stage: "AUTH")
            _ = try await self.expect("AUTH", 235...235)
        } else if mechanisms.contains("LOGIN") {
            try await self.say("AUTH LOGIN", stage: "AUTH")
            _ = try await self.expect("AUTH", 334...334)
            try await self.say(base64(username), stage: "AUTH")
            _ = try await self.expect("AUTH", 334...334)
            try await self.say(base64(password), stage: "AUTH")
            _ = try await self.expect("AUTH", 235...235)
        } else {
            let offered = mechanisms.isEmpty ? "no AUTH" : "AUTH " + mechanisms.joined(separator: " ")
            throw DeliveryError.smtp(stage: "AUTH", reply: nil, problem: "the server offers neither AUTH PLAIN nor AUTH LOGIN (it offers \(offered))")
        }
    }
}

/// Set once by a timer, read by the waiting task.
private final class Flag: Sendable {
    private let value = Mutex(false)

    func raise() { self.value.withLock { $0 = true } }
    var isRaised: Bool { self.value.withLock { $0 } }
}
