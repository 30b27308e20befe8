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
