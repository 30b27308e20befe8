import Foundation
import Testing

@testable import TesseraCore

/// TOTP against RFC 6238's own vectors, the acceptance window, replay, base32 and the sealing of secrets.
@Suite struct AuthenticatorTests {
    /// RFC 6238 appendix B, SHA-1 rows: the key is the ASCII of "12345678901234567890", codes have 8 digits.
    @Test(
        arguments: [
            (59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
        ] as [(Int64, String)]
    )
    func rfc6238Vectors(time: Int64, expected: String) {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let step = TOTP.step(at: Date(timeIntervalSince1970: TimeInterval(time)))
        #expect(totp.code(step: step, digits: 8) == expected)
        // Six digits are the last six of the eight (the same truncation, a smaller modulus).
        #expect(totp.code(step: step) == String(expected.suffix(6)))
    }

    @Test func oneStepOfDriftEitherWayIsAcceptedTwoAreNot() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let now = Date(timeIntervalSince1970: 1_800_000_015)
        let step = TOTP.step(at: now)
        for offset: Int64 in -1...1 {
            #expect(totp.matchingStep(totp.code(step: step + offset), at: now, after: nil) == step + offset)
        }
        #expect(totp.matchingStep(totp.code(step: step - 2), at: now, after: nil) == nil)
        #expect(totp.matchingStep(totp.code(step: step + 2), at: now, after: nil) == nil)
    }

    @Test func aSpentStepAndEveryEarlierOneAreRefused() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let now = Date(timeIntervalSince1970: 1_800_000_015)
        let step = TOTP.step(at: now)
        #expect(totp.matchingStep(totp.code(step: step), at: now, after: step) == nil)
        #expect(totp.matchingStep(totp.code(step: step - 1), at: now, after: step - 1) == nil)
        #expect(totp.matchingStep(totp.code(step: step), at: now, after: step - 1) == step)
        #expect(totp.matchingStep(totp.code(step: step + 1), at: now, after: step) == step + 1)
    }

    @Test func onlySixAsciiDigitsAreACode() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let now = Date(timeIntervalSince1970: 1_800_000_015)
        let code = totp.code(step: TOTP.step(at: now))
        for bad in ["", " " + code, code + "0", String(code.prefix(5)), "١٢٣٤٥٦", "12 456"] {
            #expect(totp.matchingStep(bad, at: now, after: nil) == nil)
        }
    }

    @Test func base32FollowsRFC4648() {
        let vectors = [("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI")]
        for (plain, encoded) in vectors {
            #expect(Base32.encode(Array(plain.utf8)) == encoded)
            #expect(Base32.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base32.decode("mzxw 6ytb oi==") == Array("foobar".utf8))
        #expect(Base32.decode("MZXW1") == nil)
        let secret = TOTP.newSecret()
        #expect(secret.count == 20)
        #expect(Base32.decode(Base32.encode(secret)) == secret)
    }

    @Test func provisioningURLNamesIssuerAccountAndParameters() {
        let url = TOTP.provisioningURL(secret: Array("12345678901234567890".utf8), issuer: "Acme & Co", account: "José")
        #expect(
            url
                == "otpauth://totp/Acme%20%26%20Co:Jos%C3%A9?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20%26%20Co&algorithm=SHA1&digits=6&period=30"
        )
    }

    @Test func aSealedSecretOpensOnlyWithItsKeyAndContext() throws {
        let key = try ServerKey(bytes: Array(repeating: 7, count: 32))
        let secrets = KeyedDigester(key: key)
        let secret = TOTP.newSecret()
        let sealed = try secrets.sealAuthenticatorSecret(secret, userID: 1)
        #expect(sealed.hasPrefix("v1."))
        #expect(!sealed.contains(Base32.encode(secret)))
        #expect(secrets.openAuthenticatorSecret(sealed, userID: 1) == secret)
        // Another user's row, another key, or one flipped byte: nothing.
        #expect(secrets.openAuthenticatorSecret(sealed, userID: 2) == nil)
        let other = KeyedDigester(key: try ServerKey(bytes: Array(repeating: 8, count: 32)))
        #expect(other.openAuthenticatorSecret(sealed, userID: 1) == nil)
        var bytes = try #require(Data(base64Encoded: String(sealed.dropFirst(3))))
        bytes[bytes.count / 2] ^= 1
        #expect(secrets.openAuthenticatorSecret("v1." + bytes.base64EncodedString(), userID: 1) == nil)
        // A fresh nonce each time: the same secret never seals to the same text.
        #expect(try secrets.sealAuthenticatorSecret(secret, userID: 1) != sealed)
    }
}
