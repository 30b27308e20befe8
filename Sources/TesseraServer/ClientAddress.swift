import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An address or a CIDR block (`10.0.0.0/8`, `::1`, `2001:db8::/32`) of proxies trusted to tell the client's
/// address in `X-Forwarded-For`.
public struct TrustedProxy: Sendable, Equatable, CustomStringConvertible {
    let network: [UInt8]
    let prefixLength: Int
    public let description: String

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let address = parts.first, let bytes = Self.bytes(of: address) else { return nil }
        let length = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
        guard let length, (0...(bytes.count * 8)).contains(length) else { return nil }
        self.network = bytes
        self.prefixLength = length
        self.description = text
    }

    /// Whether `address` (textual) lies in this block.
    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(of: address), bytes.count == self.network.count else { return false }
        var remaining = self.prefixLength
        for index in bytes.indices where remaining > 0 {
            let bits = min(remaining, 8)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if bytes[index] & mask != self.network[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// The bytes of an IPv4 or IPv6 address, or `nil` when the text is neither.
    static func bytes(of address: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

/// The address a request counts against for throttling.
enum ClientAddress {
    /// The socket peer, unless it is a trusted proxy: then the right-most `X-Forwarded-For` entry that is not
    /// itself a trusted proxy (entries further left are the client's own claims and can be forged).
    static func resolve(peer: SocketAddress?, forwardedFor: [String], trusted: [TrustedProxy]) -> String {
        let socket = peer?.ipAddress ?? "unknown"
        guard !trusted.isEmpty, trusted.contains(where: { $0.contains(socket) }) else { return socket }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard TrustedProxy.bytes(of: hop) != nil else { return socket }
            if !trusted.contains(where: { $0.contains(hop) }) { return hop }
        }
        return hops.first.flatMap { TrustedProxy.bytes(of: $0) != nil ? $0 : nil } ?? socket
    }
}
