import Foundation
import Testing

@testable import TesseraServer

/// The hand-written parts of the wire text: they must write exactly what Foundation would.
@Suite struct WireTextTests {
    @Test func datesAreWrittenAsFoundationsISO8601() {
        var generator = SystemRandomNumberGenerator()
        let edges: [TimeInterval] = [0, -1, -86_400, 951_782_400, 4_107_542_399, 1_800_000_000.999, 253_402_300_799]
        let random = (0..<5_000).map { _ in TimeInterval(Int64.random(in: -2_208_988_800...4_102_444_800, using: &generator)) }
        for seconds in edges + random {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(JSONText.iso8601(date) == date.formatted(.iso8601), "at \(seconds)")
        }
        #expect(JSONText.render(.date(nil)) == "null")
        #expect(JSONText.render(.date(Date(timeIntervalSince1970: 0))) == #""1970-01-01T00:00:00Z""#)
    }

    @Test func textsNeedingNoEscapeAndTextsNeedingOneAreQuotedAlike() throws {
        for text in ["plain", "", "naïve €", "a\"b", "back\\slash", "line\nbreak", "tab\t", "\u{01}", "sep\u{2028}ara\u{2029}te"] {
            let quoted = JSONText.quoted(text)
            let decoded = try JSONSerialization.jsonObject(with: Data("[\(quoted)]".utf8)) as? [String]
            #expect(decoded == [text], "\(quoted)")
            #expect(!quoted.contains("\u{2028}") && !quoted.contains("\n"))
        }
    }
}
