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

    /// Unpadded base64url: safe in headers, URLs and JSON without escaping.
    public static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
