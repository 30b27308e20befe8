import Foundation
import TesseraCore

/// Appends every message to a file, one JSON object per line, instead of sending it (development and tests).
///
/// Each line: `{"at":…,"channel":"email"|"sms","code":…,"purpose":"login"|…,"to":…}`. The file is created with
/// mode 0600: it holds live codes.
public actor OutboxCodeSender: CodeSender {
    private let path: String
    private let clock: any WallClock
    private let encoder: JSONEncoder

    public init(path: String, clock: any WallClock = SystemClock()) {
        self.path = path
        self.clock = clock
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.encoder = encoder
    }

    struct Line: Encodable {
        var channel: String
        var to: String
        var purpose: String
        var code: String?
        var notice: String?
        var at: String
    }

    public func send(_ message: OutgoingMessage) async throws {
        let line = Line(
            channel: message.channel.rawValue,
            to: message.destination,
            purpose: message.purpose.rawValue,
            code: message.code,
            notice: message.notice?.rawValue,
            at: self.clock.now.formatted(.iso8601)
        )
        var data = try self.encoder.encode(line)
        data.append(UInt8(ascii: "\n"))
        if !FileManager.default.fileExists(atPath: self.path) {
            guard FileManager.default.createFile(atPath: self.path, contents: nil, attributes: [.posixPermissions: 0o600])
            else { throw CocoaError(.fileWriteUnknown) }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: self.path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }
}
