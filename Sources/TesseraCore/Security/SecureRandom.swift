import Crypto
import Foundation

/// A source of secrets: tokens and verification codes.
///
/// The production source draws from the system CSPRNG; tests substitute a predictable one.
public protocol SecretGenerator: Sendable {
    /// A new opaque token with at least 128 bits of entropy.
    func token() -> String
    /// A new numeric code of `digits` digits, uniformly distributed.
    func numericCode(digits: Int) -> String
}

/// Secrets from the operating system's CSPRNG.
public struct SecureRandom: SecretGenerator {
    /// Bytes per token: 256 bits.
    public static let tokenBytes = 32

    public init() {}

    public func token() -> String {
        let key = SymmetricKey(size: .bits256)
        return key.withUnsafeBytes { Self.base64URL(Array($0)) }
    }

    public func numericCode(digits: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var code = ""
        for _ in 0..<digits {
            // `random(in:using:)` rejects out-of-range draws, so each digit is uniform.
            code.append(Character(String(Int.random(in: 0...9, using: &generator))))
        }
        return code
    }

    /// Unpadded base64url (RFC 4648 §5): safe in headers, URLs and JSON without escaping. Written directly, as
    /// every login makes several.
    public static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        let bytes = Array(bytes)
        let count = bytes.count / 3 * 4 + [0, 2, 3][bytes.count % 3]
        return String(unsafeUninitializedCapacity: count) { output in
            var written = 0
            func put(_ sextet: UInt32) {
                output[written] = Self.alphabet[Int(sextet & 0x3F)]
                written += 1
            }
            var index = 0
            while index + 3 <= bytes.count {
                let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                put(group >> 18)
                put(group >> 12)
                put(group >> 6)
                put(group)
                index += 3
            }
            switch bytes.count - index {
            case 1:
                let group = UInt32(bytes[index]) << 16
                put(group >> 18)
                put(group >> 12)
            case 2:
                let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
                put(group >> 18)
                put(group >> 12)
                put(group >> 6)
            default:
                break
            }
            return written
        }
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
}
