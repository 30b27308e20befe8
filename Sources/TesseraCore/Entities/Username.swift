import Foundation

/// Username normalisation: usernames are stored in NFC and compared case-insensitively within a company.
public enum Username {
    /// The longest username accepted, in UTF-8 bytes.
    public static let maximumLength = 256

    /// The canonical spelling: Unicode NFC, surrounding white space removed.
    public static func canonical(_ username: String) -> String {
        username.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespaces)
    }

    /// The lookup key: canonical and lower-cased, so `Alice`, `alice` and an NFD `alice` are one account.
    public static func key(_ username: String) -> String {
        canonical(username).lowercased()
    }

    /// Whether a name may be given to a new user: not empty, not too long, no control characters, not starting
    /// with `#` (kept for Tessera's internal counters).
    public static func isAcceptable(_ username: String) -> Bool {
        let canonical = canonical(username)
        guard !canonical.isEmpty, canonical.utf8.count <= maximumLength, !canonical.hasPrefix("#") else { return false }
        return !canonical.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
