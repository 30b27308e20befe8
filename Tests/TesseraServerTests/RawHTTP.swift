import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Sends bytes no well-behaved client would, over a plain TCP socket, and reads the status line back.
enum RawHTTP {
    /// The status code of the answer to `request`, or `nil` when the server closed without one.
    static func status(port: Int, request: [UInt8]) throws -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var offset = 0
        while offset < request.count {
            let sent = request[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { break }
            offset += sent
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let head = String(decoding: buffer[0..<count], as: UTF8.self)
        let parts = head.split(separator: " ", maxSplits: 2)
        return parts.count >= 2 ? Int(parts[1]) : nil
    }

    static func request(_ lines: [String], rawHeader: [UInt8]? = nil) -> [UInt8] {
        var bytes = Array((["POST /token HTTP/1.1", "Host: localhost"] + lines).joined(separator: "\r\n").utf8)
        if let rawHeader {
            bytes += Array("\r\n".utf8) + rawHeader
        }
        return bytes + Array("\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
    }
}

/// One answer read off a raw socket: its status, its header fields as sent, and its body.
struct RawResponse: Sendable {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: String

    /// The values of the header `name` (case-insensitive).
    func values(_ name: String) -> [String] {
        self.headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// Whether the `Connection` header carries `token` (case-insensitive, in any position of the list).
    func connectionHas(_ token: String) -> Bool {
        self.values("Connection").flatMap { $0.split(separator: ",") }
            .contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == token }
    }
}

/// A TCP connection kept open across several exchanges: for keep-alive, pipelining, timeouts and whether the
/// server closed it. Reads block for at most `timeout` seconds each.
final class RawConnection {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var closedByServer = false

    init(port: Int) throws {
        self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard self.fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(self.fd)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    deinit {
        close(self.fd)
    }

    func send(_ text: String) throws {
        try self.send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw POSIXError(.EPIPE) }
            offset += sent
        }
    }

    /// The next whole answer (its body as long as its `Content-Length`), or `nil` when the server closed first.
    func readResponse(timeout: Double = 30) throws -> RawResponse? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while true {
            if headEnd == nil, let range = self.buffer.firstRange(of: separator) { headEnd = range.upperBound }
            if let end = headEnd {
                let head = String(decoding: self.buffer[..<end], as: UTF8.self)
                let lines = head.components(separatedBy: "\r\n").filter { !$0.isEmpty }
                let parts = lines.first?.split(separator: " ", maxSplits: 2) ?? []
                let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
                    guard let colon = line.firstIndex(of: ":") else { return nil }
                    return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                }
                let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
                if self.buffer.count >= end + length {
                    let body = String(decoding: self.buffer[end..<(end + length)], as: UTF8.self)
                    self.buffer.removeFirst(end + length)
                    return RawResponse(status: parts.count >= 2 ? Int(parts[1]) ?? 0 : 0, headers: headers, body: body)
                }
            }
            guard try self.receive(timeout: timeout) else { return nil }
        }
    }

    /// Whether the server closes the connection (a FIN, or a reset) within `timeout` seconds; anything it sends
    /// before is discarded.
    func waitForClose(timeout: Double) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !self.closedByServer {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return false }
            do {
                _ = try self.receive(timeout: left)
            } catch POSIXError.EAGAIN {
                return false
            }
        }
        return true
    }

    /// Bytes received and not yet read as an answer.
    var unreadBytes: Int { self.buffer.count }

    /// Whether the server has not closed the connection, checked without waiting (what it sent is kept for
    /// `readResponse`).
    var isOpenNow: Bool {
        var chunk = [UInt8](repeating: 0, count: 16384)
        while !self.closedByServer {
            let count = recv(self.fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
            if count > 0 {
                self.buffer += chunk[0..<count]
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return true
            } else {
                self.closedByServer = true
            }
        }
        return false
    }

    /// Reads what is there into the buffer: `false` when the server closed the connection.
    private func receive(timeout: Double) throws -> Bool {
        guard !self.closedByServer else { return false }
        var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        if time.tv_sec == 0 && time.tv_usec == 0 { time.tv_usec = 1000 }
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var chunk = [UInt8](repeating: 0, count: 16384)
        let count = recv(self.fd, &chunk, chunk.count, 0)
        if count > 0 {
            self.buffer += chunk[0..<count]
            return true
        }
        if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { throw POSIXError(.EAGAIN) }
        // 0 is the server's FIN; ECONNRESET its reset: closed either way.
        self.closedByServer = true
        return false
    }
}

extension RawHTTP {
    /// Runs blocking socket code on a thread of its own. The server under test answers on Swift's cooperative
    /// pool (as many threads as cores: two here), which a `recv` blocking there could starve until it times out.
    /// `#expect` needs the test's task, so the body checks through `Checks`, recorded as issues when it returns.
    static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable (Checks) throws -> T) async throws -> T {
        let checks = Checks()
        let result = try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body(checks) }) }.start()
        }
        checks.record()
        return result
    }
}

/// Expectations made off the test's task, recorded as the test's issues afterwards.
final class Checks: Sendable {
    private let failures = Mutex<[(comment: String, location: SourceLocation)]>([])

    func callAsFunction(_ condition: Bool, _ comment: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        guard !condition else { return }
        let comment = comment()
        self.failures.withLock { $0.append((comment, sourceLocation)) }
    }

    fileprivate func record() {
        for failure in self.failures.withLock({ $0 }) {
            Issue.record(Comment(rawValue: failure.comment), sourceLocation: failure.location)
        }
    }
}
