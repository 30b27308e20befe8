import Foundation

/// Writes JSON objects with keys in the order given — the contract's bodies read `State`, `Step`, `Reason`,
/// `Token` in ETNA's order.
struct JSONText {
    enum Value {
        case string(String?)
        case int(Int64)
        case bool(Bool)
        case strings([String])
        case raw(String)
        /// Leaves the member out.
        case omit
    }

    static func object(_ members: KeyValuePairs<String, Value>) -> String {
        var out = "{"
        var first = true
        for (key, value) in members {
            if case .omit = value { continue }
            if !first { out += "," }
            first = false
            out += Self.quoted(key) + ":" + Self.render(value)
        }
        return out + "}"
    }

    static func render(_ value: Value) -> String {
        switch value {
        case .string(let text): text.map(Self.quoted) ?? "null"
        case .int(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .strings(let texts): "[" + texts.map(Self.quoted).joined(separator: ",") + "]"
        case .raw(let json): json
        case .omit: "null"
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
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
        return out + "\""
    }
}
