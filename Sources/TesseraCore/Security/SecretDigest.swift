import Crypto
import Foundation

/// Digests of the secrets Tessera hands out.
///
/// Random secrets of 128 bits or more (access tokens, interim tokens, tickets, app keys) are stored as a
/// plain SHA-256: nobody can guess the input. Guessable secrets (codes, PINs) use ``ServerKey/digest(_:context:)``.
public enum SecretDigest {
    /// Lower-case hex SHA-256 of the UTF-8 bytes of `secret`.
    public static func sha256(_ secret: String) -> String {
        var secret = secret
        return secret.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }.hexString
    }

    /// Compares two digests in time independent of where they differ.
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices {
            difference |= left[index] ^ right[index]
        }
        return difference == 0
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal.
    var hexString: String {
        let bytes = Array(self)
        return String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = digit(byte >> 4)
                out[2 * index + 1] = digit(byte & 0x0F)
            }
            return bytes.count * 2
        }
    }
}
