import Foundation

/// The channel a message goes out on.
public enum DeliveryChannel: String, Sendable, Equatable {
    case email
    case sms
}

/// Why a message is sent.
public enum DeliveryPurpose: String, Sendable, Equatable {
    case login
    case reset
    case notice
}

/// One message for a user: a verification code, or a notice.
public struct OutgoingMessage: Sendable, Equatable {
    public var channel: DeliveryChannel
    public var destination: String
    public var purpose: DeliveryPurpose
    public var code: String?
    public var userID: Int64
    /// What a notice is about (for its wording); `nil` for codes.
    public var notice: NoticeReason?

    public init(
        channel: DeliveryChannel,
        destination: String,
        purpose: DeliveryPurpose,
        code: String?,
        userID: Int64,
        notice: NoticeReason? = nil
    ) {
        self.channel = channel
        self.destination = destination
        self.purpose = purpose
        self.code = code
        self.userID = userID
        self.notice = notice
    }
}

/// Delivers codes and notices to users (outbox file, console, SMTP, SMS gateway).
public protocol CodeSender: Sendable {
    func send(_ message: OutgoingMessage) async throws
}
