import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238) as authenticator apps compute them: HMAC-SHA-1, 6 digits, 30 s.
///
/// ```swift
/// let totp = TOTP(secret: secret)
/// if let step = totp.matchingStep(code, at: clock.now, after: user.totpLastStep) { /* spend `step` */ }
/// ```
public struct TOTP: Sendable {
    /// Seconds per step.
    public static let period: Int64 = 30
    /// Digits in a code.
    public static let digits = 6
    /// Steps accepted either side of the current one, for clocks that drift.
    public static let drift: Int64 = 1
    /// Bytes in a new secret: 160 bits, as RFC 4226 recommends.
    public static let secretBytes = 20

    public let secret: [UInt8]

    public init(secret: [UInt8]) {
        self.secret = secret
    }

    /// A new secret from the system CSPRNG.
    public static func newSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<Self.secretBytes).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The step `date` falls in.
    public static func step(at date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down)) / Self.period
    }

    /// The code of `step` (RFC 4226 dynamic truncation of HMAC-SHA-1 over the big-endian step).
    public func code(step: Int64, digits: Int = TOTP.digits) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Array($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: self.secret)))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary =
            (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// The step within ``drift`` of `now` whose code is `code` and that comes after `lastUsedStep`; `nil` for a
    /// wrong code and for a replayed one.
    ///
    /// Every step of the window is computed and compared in constant time, whether or not an earlier one matched,
    /// so the time taken says nothing about the code.
    public func matchingStep(_ code: String, at now: Date, after lastUsedStep: Int64?) -> Int64? {
        guard code.utf8.count == Self.digits, code.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let current = Self.step(at: now)
        var found: Int64?
        for step in (current - Self.drift)...(current + Self.drift) {
            let matches = SecretDigest.constantTimeEquals(self.code(step: step), code)
            let fresh = lastUsedStep.map { step > $0 } ?? true
            if matches && fresh && found == nil { found = step }
        }
        return found
    }

    /// The `otpauth://` URL authenticator apps read (usually as a QR code).
    public static func provisioningURL(secret: [UInt8], issuer: String, account: String) -> String {
        let label = Self.escape(issuer) + ":" + Self.escape(account)
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))&issuer=\(Self.escape(issuer))"
            + "&algorithm=SHA1&digits=\(Self.digits)&period=\(Self.period)"
    }

    private static func escape(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
