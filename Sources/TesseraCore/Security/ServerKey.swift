import Crypto
import Foundation

/// The server's secret key, kept outside the database.
///
/// Guessable secrets (verification codes, PINs, the password proof of a login transaction) are stored as an
/// HMAC under this key, so a stolen database alone does not let an attacker test guesses offline.
public struct ServerKey: Sendable {
    let key: SymmetricKey

    /// The key in bytes; at least 32.
    public init(bytes: some Sequence<UInt8>) throws(ServerKeyError) {
        let bytes = Array(bytes)
        guard bytes.count >= 32 else { throw ServerKeyError.tooShort }
        self.key = SymmetricKey(data: bytes)
    }

    /// Reads a key written as hexadecimal (64 characters or more), as in a key file or `TESSERA_SECRET_KEY`.
    public init(hex: String) throws(ServerKeyError) {
        let text = hex.trimmingCharacters(in: .whitespacesAndNewlines)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count / 2)
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) ?? text.endIndex
            guard let byte = UInt8(text[index..<next], radix: 16), text.distance(from: index, to: next) == 2 else {
                throw ServerKeyError.notHex
            }
            bytes.append(byte)
            index = next
        }
        try self.init(bytes: bytes)
    }

    /// A new random key, written as hexadecimal.
    public static func generateHex() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }.hexString
    }

    /// HMAC-SHA256 of `secret`, bound to `context` so one digest never stands for another purpose.
    public func digest(_ secret: String, context: String) -> String {
        var hmac = HMAC<SHA256>(key: self.key)
        hmac.update(data: Data(context.utf8))
        hmac.update(data: [0])
        hmac.update(data: Data(secret.utf8))
        return Data(hmac.finalize()).hexString
    }

    /// A stable secret derived from the key, for values that must survive restarts without being stored (the demo's).
    public func derivedSecret(_ label: String) -> String {
        var hmac = HMAC<SHA256>(key: self.key)
        hmac.update(data: Data("tessera-derived".utf8))
        hmac.update(data: [0])
        hmac.update(data: Data(label.utf8))
        return SecureRandom.base64URL(Array(hmac.finalize()).prefix(24))
    }
}

/// Why a server key could not be used.
public enum ServerKeyError: Error, Equatable, CustomStringConvertible {
    case tooShort
    case notHex

    public var description: String {
        switch self {
        case .tooShort: "the server key must hold at least 32 bytes (64 hexadecimal characters)"
        case .notHex: "the server key must be written in hexadecimal"
        }
    }
}
