import Foundation

/// Writes JSON objects with keys in the order given — the contract's bodies read `State`, `Step`, `Reason`,
/// `Token` in ETNA's order.
struct JSONText {
    enum Value {
        case string(String?)
        case int(Int64)
        case bool(Bool)
        case strings([String])
        /// A time as ISO 8601 in UTC to the second (`2026-12-01T22:17:28Z`), as Foundation's `.iso8601` writes it.
        case date(Date?)
        case raw(String)
        /// Leaves the member out.
        case omit
    }

    static func object(_ members: KeyValuePairs<String, Value>) -> String {
        // One string grown in place: the bodies are on every request's way.
        var out = "{"
        out.reserveCapacity(256)
        var first = true
        for (key, value) in members {
            if case .omit = value { continue }
            if !first { out += "," }
            first = false
            Self.appendQuoted(key, to: &out)
            out += ":"
            Self.append(value, to: &out)
        }
        out += "}"
        return out
    }

    static func render(_ value: Value) -> String {
        var out = ""
        Self.append(value, to: &out)
        return out
    }

    private static func append(_ value: Value, to out: inout String) {
        switch value {
        case .string(let text):
            if let text { Self.appendQuoted(text, to: &out) } else { out += "null" }
        case .int(let number): out += String(number)
        case .bool(let flag): out += flag ? "true" : "false"
        case .strings(let texts):
            out += "["
            for (index, text) in texts.enumerated() {
                if index > 0 { out += "," }
                Self.appendQuoted(text, to: &out)
            }
            out += "]"
        case .date(let date):
            if let date { out += "\"" + Self.iso8601(date) + "\"" } else { out += "null" }
        case .raw(let json): out += json
        case .omit: out += "null"
        }
    }

    static func quoted(_ text: String) -> String {
        var out = ""
        Self.appendQuoted(text, to: &out)
        return out
    }

    private static func appendQuoted(_ text: String, to out: inout String) {
        // Most texts need no escape at all: a quote, a backslash, a control character or the lead byte of
        // U+2028/U+2029 (0xE2) sends them the long way.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0xE2 }) {
            out += "\""
            out += text
            out += "\""
            return
        }
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// `date` as `yyyy-MM-ddTHH:mm:ssZ` in UTC, by arithmetic on the civil calendar: Foundation's format style
    /// costs microseconds per call, and `GET /v1.0/users/@me/info` writes one on every request.
    static func iso8601(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let (days, second) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let (day, secondOfDay) = second < 0 ? (days - 1, second + 86_400) : (days, second)
        // Days since 1970-01-01 to year, month, day (the proleptic Gregorian calendar, eras of 400 years).
        let shifted = day + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let dayOfMonth = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        // Outside the years a record can hold, Foundation's calendar (its Julian centuries, its signs) decides.
        guard (1970...9_999).contains(year) else { return date.formatted(.iso8601) }
        // Twenty ASCII bytes written in place.
        let fields: [(value: Int64, width: Int, separator: UInt8)] = [
            (year, 4, UInt8(ascii: "-")), (month, 2, UInt8(ascii: "-")), (dayOfMonth, 2, UInt8(ascii: "T")),
            (secondOfDay / 3_600, 2, UInt8(ascii: ":")), (secondOfDay / 60 % 60, 2, UInt8(ascii: ":")),
            (secondOfDay % 60, 2, UInt8(ascii: "Z")),
        ]
        return String(unsafeUninitializedCapacity: 20) { out in
            var end = 0
            for field in fields {
                var value = field.value
                for place in stride(from: field.width - 1, through: 0, by: -1) {
                    out[end + place] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                out[end + field.width] = field.separator
                end += field.width + 1
            }
            return end
        }
    }
}
