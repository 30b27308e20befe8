import Foundation

/// Contact details an operator types, checked and brought to one form before they are stored.
public enum ContactAddress {
    /// An email address: one `@`, a dotted domain, no spaces or control characters, at most 254 characters.
    public static func email(_ text: String) throws(OperatorError) -> String {
        let email = text.trimmingCharacters(in: .whitespaces)
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix("."), email.count <= 254,
            !email.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
        else { throw OperatorError(.invalid, "\(.email) \"\(text)\" is not an email address") }
        return email
    }

    /// A phone number in international form: `+` and 7 to 15 digits; spaces, dashes, dots and parentheses dropped.
    public static func phone(_ text: String) throws(OperatorError) -> String {
        let compact = text.filter { !" -().".contains($0) }
        let digits = compact.hasPrefix("+") ? compact.dropFirst() : Substring(compact)
        guard (7...15).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw OperatorError(.invalid, "\(.phone) \"\(text)\" is not a phone number (use the international form, e.g. +15551234567)")
        }
        return compact.hasPrefix("+") ? compact : "+" + compact
    }
}
