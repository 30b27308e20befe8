import Logging
import NIOCore
import NIOPosix
import NIOSSL
import TesseraCore

/// Sends email messages through an SMTP server, at most ``SMTPConfiguration/maximumConcurrentSends`` at a time.
///
/// ```swift
/// let sender = try SMTPCodeSender(configuration: SMTPConfiguration(url: "smtp://u:p@mail:587", from: "no-reply@b.example"), logger: logger)
/// ```
///
/// Its log lines name the server, the stage and the reply code — never the recipient, the text, the code or the
/// password.
public struct SMTPCodeSender: CodeSender {
    let configuration: SMTPConfiguration
    let templates: MessageTemplates
    let limiter: DeliveryLimiter
    let tlsContext: NIOSSLContext
    let group: any EventLoopGroup
    let clock: any WallClock
    let logger: Logger

    public init(
        configuration: SMTPConfiguration,
        templates: MessageTemplates = .english,
        logger: Logger,
        clock: any WallClock = SystemClock(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        self.configuration = configuration
        self.templates = templates
        self.limiter = DeliveryLimiter(limit: configuration.maximumConcurrentSends)
        self.tlsContext = try NIOSSLContext(configuration: configuration.tls)
        self.group = group
        self.clock = clock
        self.logger = logger
    }

    public func send(_ message: OutgoingMessage) async throws {
        guard message.channel == .email else { throw DeliveryError.noChannel(message.channel.rawValue) }
        let (subject, text) = self.templates.render(message)
        let mail = SMTPMail(
            from: self.configuration.from,
            to: message.destination,
            subject: subject,
            text: text,
            date: self.clock.now,
            messageID: SecureRandom().token()
        )
        do {
            try await self.limiter.run {
                try await SMTPSession.deliver(mail, configuration: self.configuration, tlsContext: self.tlsContext, group: self.group)
            }
        } catch let error as DeliveryError {
            self.logger.warning(
                "email not delivered",
                metadata: ["smtp.server": "\(self.configuration.host):\(self.configuration.port)", "problem": "\(error)"]
            )
            throw error
        }
    }
}
