import Logging
import TesseraCore

/// Prints codes to the server's log — for `--demo` only, which says so at start. Never use it in production:
/// the log then holds live codes.
public struct ConsoleCodeSender: CodeSender {
    private let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func send(_ message: OutgoingMessage) async throws {
        self.logger.notice(
            "demo: a \(message.purpose.rawValue) message would go by \(message.channel.rawValue) to \(message.destination): code \(message.code ?? "(none)")"
        )
    }
}
