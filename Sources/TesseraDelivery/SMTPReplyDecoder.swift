import NIOCore

/// One SMTP reply: its code and the text of each line (multi-line replies joined).
struct SMTPReply: Sendable, Equatable {
    var code: Int
    var lines: [String]
}

/// Frames the server's bytes into replies (RFC 5321 §4.2): lines `ddd-text` continue, `ddd text` ends one.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply

    /// Longer lines or replies are not a mail server talking.
    static let maximumLine = 4096
    static let maximumLines = 64

    private var lines: [String] = []

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maximumLine { throw DeliveryError.smtp(stage: "reply", reply: nil, problem: "line too long") }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex + 1
        guard var bytes = buffer.readBytes(length: length) else { return .needMoreData }
        // On bytes: in a String, "\r\n" is one Character and would survive a strip of "\n" and "\r".
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        let line = String(decoding: bytes, as: UTF8.self)
        guard bytes.count >= 3, bytes[0..<3].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let code = Int(String(line.prefix(3))) else {
            throw DeliveryError.smtp(stage: "reply", reply: nil, problem: "malformed reply")
        }
        self.lines.append(bytes.count > 4 ? String(line.dropFirst(4)) : "")
        if bytes.count > 3 && bytes[3] == UInt8(ascii: "-") {
            if self.lines.count > Self.maximumLines { throw DeliveryError.smtp(stage: "reply", reply: code, problem: "reply too long") }
            return .continue
        }
        let reply = SMTPReply(code: code, lines: self.lines)
        self.lines = []
        context.fireChannelRead(Self.wrapInboundOut(reply))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        .needMoreData
    }
}
