import Foundation

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
