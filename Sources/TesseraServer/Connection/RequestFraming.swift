import NIOHTTP1

/// An answer the connection layer writes itself, before or instead of any route, after which it closes the
/// connection: the request's framing cannot be trusted, so nothing after it on the same connection can be either.
struct ConnectionRefusal: Equatable, Sendable {
    let status: HTTPResponseStatus
    /// The `error` of the JSON body. A fixed sentence: never an echo of the client's bytes.
    let message: String
    /// A short stable word for the log line, so refusals can be counted and grepped.
    let reason: String

    /// The head of a request ran out of time (`--request-head-timeout`) between its first byte and its last.
    static func headTimeout(seconds: Int64) -> ConnectionRefusal {
        ConnectionRefusal(
            status: .requestTimeout,
            message: "The request head did not arrive within \(seconds) seconds",
            reason: "head-timeout"
        )
    }

    /// What NIO's parser refused before a route saw the request: too-large header fields are a `431`, any other
    /// broken syntax (including `Content-Length` beside `Transfer-Encoding`, or two `chunked`) is a `400`.
    static func malformed(_ error: any Error) -> ConnectionRefusal {
        if let error = error as? HTTPParserError, error == .headerOverflow {
            return ConnectionRefusal(
                status: .init(statusCode: 431, reasonPhrase: "Request Header Fields Too Large"),
                message: "The request's header fields are too large",
                reason: "header-overflow"
            )
        }
        return ConnectionRefusal(status: .badRequest, message: "The request is not valid HTTP/1.1", reason: "malformed")
    }
}

/// Raised into a request whose body broke off mid-stream (a chunk size that is not hexadecimal, a missing CRLF):
/// the route reading the body gets this instead of NIO's parser error, and `RequestLogMiddleware` answers `400`.
///
/// It is a type of Tessera's own on purpose. Hummingbird writes an extra bare `400` on a connection whose stream
/// ends in NIO's `HTTPParserError` after the route has already answered — two answers to one request. This error
/// ends its keep-alive loop without writing anything.
struct HTTPFramingError: Error, Sendable, CustomStringConvertible {
    var description: String { "the request body's framing is malformed" }
}

/// RFC 9112's rules on a request's message framing that NIO's parser (llhttp) lets through, checked on the head
/// before any route runs.
///
/// llhttp refuses `Content-Length` beside `Transfer-Encoding` and a doubled `chunked` before the head is out; it
/// passes on the head of a request whose final coding is not `chunked` and fails later, inside the body — a route
/// reading it saw an unexpected error (`500`). It also reads `gzip, chunked` as plain chunked, dropping the
/// `gzip`, and reads a chunked HTTP/1.0 body.
enum RequestFraming {
    /// Why this request's framing must be refused, or `nil` when its body length is well defined.
    static func refusal(for head: HTTPRequestHead) -> ConnectionRefusal? {
        let values = head.headers["transfer-encoding"]
        guard !values.isEmpty else { return nil }
        // A list; empty elements are allowed and ignored (RFC 9110 §5.6.1). Coding names are case-insensitive.
        let codings = values.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingASCIISpaces().lowercased() }
            .filter { !$0.isEmpty }

        // §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing, even with a Content-Length.
        if head.version.major == 1 && head.version.minor == 0 {
            return Self.badRequest("An HTTP/1.0 request cannot use Transfer-Encoding", reason: "http10-transfer-encoding")
        }
        // §6.1: a server may reject both; it must close the connection after either way. Tessera rejects.
        if head.headers.contains(name: "content-length") {
            return Self.badRequest(
                "A request cannot carry both Content-Length and Transfer-Encoding",
                reason: "content-length-with-transfer-encoding"
            )
        }
        // §6.3: without chunked as the final coding the body's length cannot be determined: 400, then close.
        guard codings.last == "chunked" else {
            return Self.badRequest("The request's Transfer-Encoding must end in chunked", reason: "final-coding-not-chunked")
        }
        // §7.1: a sender must not apply chunked more than once.
        if codings.dropLast().contains("chunked") {
            return Self.badRequest("The chunked transfer coding may be applied only once", reason: "chunked-twice")
        }
        // §6.1: a transfer coding the server does not understand is a 501. Tessera implements only chunked.
        if codings.count > 1 {
            return ConnectionRefusal(
                status: .notImplemented,
                message: "Only the chunked transfer coding is implemented",
                reason: "coding-not-implemented"
            )
        }
        return nil
    }

    private static func badRequest(_ message: String, reason: String) -> ConnectionRefusal {
        ConnectionRefusal(status: .badRequest, message: message, reason: reason)
    }
}

extension Substring {
    /// Without the optional whitespace (spaces and tabs) HTTP allows around list elements.
    fileprivate func trimmingASCIISpaces() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
