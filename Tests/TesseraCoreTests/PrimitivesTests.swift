import Foundation
import Testing

@testable import TesseraCore

@Suite struct PrimitivesTests {
    @Test func usernamesCompareInNFCAndCaseInsensitively() {
        #expect(Username.key("Jos\u{e9}") == Username.key("Jose\u{301}"))
        #expect(Username.key("ALICE") == Username.key("alice"))
        #expect(Username.canonical("Jose\u{301}") == "Jos\u{e9}")
        #expect(!Username.isAcceptable(""))
        #expect(!Username.isAcceptable("a\u{0}b"))
        #expect(!Username.isAcceptable(String(repeating: "x", count: 300)))
    }

    @Test func bearerTokensAreReadWithOrWithoutThePrefix() {
        #expect(BearerToken.parse("Bearer abc") == "abc")
        #expect(BearerToken.parse("bearer abc") == "abc")
        #expect(BearerToken.parse("abc") == "abc")
        #expect(BearerToken.parse("Bearer ") == nil)
        #expect(BearerToken.parse("") == nil)
        #expect(BearerToken.parse(nil) == nil)
        // The common form's short cut and the general path agree.
        #expect(BearerToken.parse("Bearer  abc ") == "abc")
        #expect(BearerToken.parse("Bearer \tabc") == "abc")
        #expect(BearerToken.parse("Bearer a b") == "a b")
        #expect(BearerToken.parse("Bearer abc\u{00A0}") == "abc")
        #expect(BearerToken.parse("Bearer abc€") == "abc€")
        #expect(BearerToken.parse("Bearer Bearer x") == "Bearer x")
        #expect(BearerToken.parse("BEARER abc") == "abc")
        #expect(BearerToken.parse("Bearer") == nil)
        #expect(BearerToken.parse(" Bearer abc") == "abc")
    }

    @Test func tokensCarryAtLeast128RandomBits() {
        let tokens = (0..<100).map { _ in SecureRandom().token() }
        #expect(Set(tokens).count == 100)
        for token in tokens {
            // 43 base64url characters = 256 bits.
            #expect(token.count == 43)
            #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        }
    }

    /// Session ids are base64url of a keyed digest: the encoding must stay what stored sessions were made with.
    @Test func base64URLIsFoundationsBase64WithTheURLAlphabetAndNoPadding() {
        var generator = SystemRandomNumberGenerator()
        for length in Array(0...70) + [255, 256, 257] {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let expected = Data(bytes).base64EncodedString()
                    .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
                #expect(SecureRandom.base64URL(bytes) == expected, "\(bytes)")
            }
        }
        #expect(SecureRandom.base64URL([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(SecureRandom.base64URL(Array("foob".utf8)) == "Zm9vYg")
    }

    @Test func codesAreSixUniformDigits() {
        var counts = [Character: Int]()
        for _ in 0..<2000 {
            let code = SecureRandom().numericCode(digits: 6)
            #expect(code.count == 6)
            for digit in code { counts[digit, default: 0] += 1 }
        }
        #expect(counts.count == 10)
        // 12,000 digits: each should appear about 1,200 times.
        #expect(counts.values.allSatisfy { (900...1500).contains($0) })
    }

    @Test func keyedDigestsDependOnKeyAndContext() throws {
        let one = try ServerKey(bytes: Array(repeating: 1, count: 32))
        let two = try ServerKey(bytes: Array(repeating: 2, count: 32))
        #expect(one.digest("1234", context: "pin:1") != two.digest("1234", context: "pin:1"))
        #expect(one.digest("1234", context: "pin:1") != one.digest("1234", context: "pin:2"))
        #expect(one.digest("1234", context: "pin:1") == one.digest("1234", context: "pin:1"))
        #expect(throws: ServerKeyError.tooShort) { try ServerKey(bytes: [1, 2, 3]) }
        #expect(throws: ServerKeyError.notHex) { try ServerKey(hex: "zz") }
        #expect(try ServerKey(hex: ServerKey.generateHex()).digest("x", context: "y").count == 64)
    }

    @Test func constantTimeEqualityIsEquality() {
        #expect(SecretDigest.constantTimeEquals("abc", "abc"))
        #expect(!SecretDigest.constantTimeEquals("abc", "abd"))
        #expect(!SecretDigest.constantTimeEquals("abc", "abcd"))
    }
}

@Suite struct PasswordRulesTests {
    @Test func theCommonListHoldsTenThousandPasswords() {
        #expect(CommonPasswords.count == 10_000)
        #expect(CommonPasswords.contains("password"))
        #expect(CommonPasswords.contains("PaSsWoRd"))
        #expect(!CommonPasswords.contains("a long and unusual passphrase"))
    }

    @Test func rules() {
        let policy = PasswordPolicy()
        #expect(PasswordRules.problems("a long and unusual passphrase", confirmation: nil, username: "alice", policy: policy).isEmpty)
        #expect(PasswordRules.problems("", confirmation: nil, username: "alice", policy: policy) == [.missing])
        #expect(PasswordRules.problems("short", confirmation: nil, username: "alice", policy: policy) == [.tooShort])
        #expect(PasswordRules.problems(String(repeating: "é", count: 129), confirmation: nil, username: "a", policy: policy) == [.tooLong])
        #expect(PasswordRules.problems("Alice-The-Trader", confirmation: nil, username: "alice-the-trader", policy: policy) == [.equalsUsername])
        #expect(PasswordRules.problems("1qaz2wsx3edc", confirmation: "1qaz2wsx3edc", username: "alice", policy: policy) == [.tooCommon])
        #expect(PasswordRules.problems("a long and unusual passphrase", confirmation: "other", username: "a", policy: policy) == [.mismatch])
        // What a header cannot carry at sign-in cannot be set either; spaces inside are fine.
        for password in [" a long passphrase here", "a long passphrase here ", "a long passphrase\u{00A0}"] {
            #expect(PasswordRules.problems(password, confirmation: nil, username: "a", policy: policy) == [.surroundingWhitespace], "\(password)")
        }
        for password in ["a long\npassphrase here", "a long\tpassphrase here", "a long\u{7F}passphrase", "a long\u{2028}passphrase"] {
            #expect(PasswordRules.problems(password, confirmation: nil, username: "a", policy: policy) == [.controlCharacters])
        }
        #expect(PasswordRules.problems("a long passphrase here", confirmation: nil, username: "a", policy: policy).isEmpty)
        #expect(
            PasswordPolicy(maximumAgeDays: 30).isExpired(changedAt: Date(timeIntervalSince1970: 0), now: Date(timeIntervalSince1970: 31 * 86_400))
        )
        #expect(
            !PasswordPolicy(maximumAgeDays: 30).isExpired(changedAt: Date(timeIntervalSince1970: 0), now: Date(timeIntervalSince1970: 29 * 86_400))
        )
        #expect(!PasswordPolicy().isExpired(changedAt: .distantPast, now: Date()))
    }

    @Test func securityImagesAreValidPNGs() {
        #expect(SecurityImages.all.count == 8)
        #expect(Set(SecurityImages.all.map(\.fileName)).count == 8)
        for image in SecurityImages.all {
            #expect(image.png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            // IHDR: 48 × 48, 8-bit RGB.
            #expect(Array(image.png[16..<24]) == [0, 0, 0, 48, 0, 0, 0, 48])
            #expect(image.png[24] == 8 && image.png[25] == 2)
        }
        #expect(PNG.crc32(Array("IEND".utf8)) == 0xAE42_6082)
        #expect(PNG.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
    }
}
