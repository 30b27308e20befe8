import TesseraCore

/// The sender of a server with no channel configured: every send fails, so a 2-FA login answers `503` instead
/// of writing live codes to a log.
struct UndeliverableCodeSender: CodeSender {
    struct NoChannel: Error {}

    func send(_ message: OutgoingMessage) async throws {
        throw NoChannel()
    }
}
