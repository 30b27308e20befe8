/// Why a message did not go out. Never carries the message, the code or a credential: it is logged.
public enum DeliveryError: Error, Equatable, CustomStringConvertible {
    /// Every sending slot is taken: refused at once rather than queued without bound.
    case busy
    /// No sender is configured for the message's channel.
    case noChannel(String)
    /// The destination cannot be written into a message header or envelope safely.
    case unusableDestination
    /// The SMTP conversation stopped at `stage`: a reply outside the expected range (`reply` is its code), a
    /// timeout, or a closed connection.
    case smtp(stage: String, reply: Int?, problem: String)
    /// The SMS webhook answered `status` (or, with `nil`, could not be reached) on every try.
    case webhook(status: Int?, tries: Int)

    public var description: String {
        switch self {
        case .busy: "every sending slot is busy"
        case .noChannel(let channel): "no sender is configured for \(channel)"
        case .unusableDestination: "the destination contains characters that cannot be sent"
        case .smtp(let stage, let reply, let problem): "SMTP \(stage): \(problem)\(reply.map { " (reply \($0))" } ?? "")"
        case .webhook(let status, let tries): "SMS webhook: \(status.map { "HTTP \($0)" } ?? "unreachable") after \(tries) tries"
        }
    }
}

/// A delivery flag that cannot be used as given.
public struct DeliveryConfigurationError: Error, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
