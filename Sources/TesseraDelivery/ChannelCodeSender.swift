import TesseraCore

/// Hands each message to the sender of its channel (SMTP for email, the webhook for SMS); a channel without a
/// sender goes to the fallback (the outbox in development), or fails.
public struct ChannelCodeSender: CodeSender {
    let email: (any CodeSender)?
    let sms: (any CodeSender)?
    let fallback: (any CodeSender)?

    public init(email: (any CodeSender)?, sms: (any CodeSender)?, fallback: (any CodeSender)?) {
        self.email = email
        self.sms = sms
        self.fallback = fallback
    }

    public func send(_ message: OutgoingMessage) async throws {
        let sender: (any CodeSender)? =
            switch message.channel {
            case .email: self.email ?? self.fallback
            case .sms: self.sms ?? self.fallback
            }
        guard let sender else { throw DeliveryError.noChannel(message.channel.rawValue) }
        try await sender.send(message)
    }
}
