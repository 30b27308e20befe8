import Foundation
import NIOSSL

/// Where and how email leaves: parsed from `--smtp smtp://user:pass@host:port` (STARTTLS when the server offers
/// it) or `smtps://…` (TLS from the first byte), with `--smtp-from`.
public struct SMTPConfiguration: Sendable, CustomStringConvertible {
    /// How the connection is protected.
    public enum Security: Sendable, Equatable {
        /// Plain TCP, upgraded with STARTTLS when the server offers it (`smtp://`, default port 587).
        case startTLSWhenOffered
        /// TLS from the first byte (`smtps://`, default port 465).
        case implicitTLS
    }

    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var security: Security
    /// The `From` header, e.g. `Broker <no-reply@broker.example>`; its address is also the envelope sender.
    public var from: String
    /// The name Tessera gives itself in `EHLO`.
    public var heloName = "tessera"
    public var connectTimeout: Duration = .seconds(5)
    /// How long each reply of the server may take.
    public var replyTimeout: Duration = .seconds(10)
    /// How long one whole message may take after the connection is up.
    public var sendTimeout: Duration = .seconds(20)
    /// Messages in flight at once; one more fails at once (the login answers `503`).
    public var maximumConcurrentSends = 8
    /// Certificate checks for STARTTLS and `smtps://` (full verification against the system's roots by default).
    public var tls = TLSConfiguration.makeClientConfiguration()

    public init(url text: String, from: String) throws(DeliveryConfigurationError) {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            let host = url.host, !host.isEmpty
        else { throw DeliveryConfigurationError("--smtp must look like smtp://user:pass@host:port or smtps://…") }
        switch scheme {
        case "smtp": self.security = .startTLSWhenOffered
        case "smtps": self.security = .implicitTLS
        default: throw DeliveryConfigurationError("--smtp must start with smtp:// or smtps://")
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = url.port ?? (self.security == .implicitTLS ? 465 : 587)
        guard (1...65535).contains(self.port) else { throw DeliveryConfigurationError("--smtp has an invalid port") }
        self.username = url.percentEncodedUser.flatMap { $0.removingPercentEncoding }
        self.password = url.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        guard SMTPAddress.envelope(of: from) != nil else {
            throw DeliveryConfigurationError("--smtp-from must be an address like no-reply@broker.example or Name <no-reply@broker.example>")
        }
        self.from = from
    }

    /// The URL without its password, for logs and banners.
    public var description: String {
        let scheme = self.security == .implicitTLS ? "smtps" : "smtp"
        return "\(scheme)://\(self.username.map { "\($0)@" } ?? "")\(self.host):\(self.port)"
    }

    /// Whether credentials may cross the wire without TLS: only to this machine.
    var isLoopback: Bool {
        ["localhost", "127.0.0.1", "::1"].contains(self.host.lowercased()) || self.host.hasPrefix("127.")
    }
}

/// Checks on the addresses that go into the envelope and headers.
enum SMTPAddress {
    /// The bare address of `Name <a@b>` or `a@b`; `nil` when it could smuggle a header or a command.
    static func envelope(of text: String) -> String? {
        var address = text
        if let open = text.lastIndex(of: "<"), let close = text.lastIndex(of: ">"), open < close {
            address = String(text[text.index(after: open)..<close])
        }
        guard self.isSafe(text), self.isSafe(address), address.contains("@"), !address.contains(" "),
            !address.contains("<"), !address.contains(">"), !address.isEmpty
        else { return nil }
        return address
    }

    /// No line breaks or other control characters.
    static func isSafe(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
