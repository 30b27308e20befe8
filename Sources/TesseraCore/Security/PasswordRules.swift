import Foundation

/// Why a new password is refused. The raw value is ETNA's error code; ``message`` the text for `Errors`.
public enum PasswordProblem: String, Sendable, Equatable, Error {
    case missing = "ErrorPasswordRequired"
    case mismatch = "ErrorPasswordsDoNotMatch"
    case tooShort = "ErrorPasswordTooShort"
    case tooLong = "ErrorPasswordTooLong"
    case equalsUsername = "ErrorPasswordEqualsUsername"
    case tooCommon = "ErrorPasswordTooCommon"
    case sameAsCurrent = "ErrorPasswordSameAsCurrent"
    case surroundingWhitespace = "ErrorPasswordSurroundingWhitespace"
    case controlCharacters = "ErrorPasswordControlCharacters"
    case tooFewClasses = "ErrorPasswordTooFewCharacterClasses"
    case recentlyUsed = "ErrorPasswordRecentlyUsed"

    public func message(_ policy: PasswordPolicy) -> String {
        switch self {
        case .missing: "A password is required."
        case .mismatch: "The password and its confirmation do not match."
        case .tooShort: "The password must have at least \(policy.minimumLength) characters."
        case .tooLong: "The password must have at most \(PasswordPolicy.maximumLength) characters."
        case .equalsUsername: "The password must not be the username."
        case .tooCommon: "The password is one of the most common passwords."
        case .sameAsCurrent: "The new password must differ from the current one."
        case .surroundingWhitespace: "The password must not begin or end with a space: it could not be sent at sign-in."
        case .controlCharacters: "The password must not contain line breaks, tabs or other control characters: it could not be sent at sign-in."
        case .tooFewClasses:
            "The password must mix at least \(policy.requiredClasses) of: lower-case letters, upper-case letters, digits, symbols."
        case .recentlyUsed: "The new password must differ from the last \(policy.history) passwords."
        }
    }
}

/// The rules every new password meets, whoever sets it.
public enum PasswordRules {
    /// The problems of `password` as a new password for `username`; empty when it is acceptable.
    public static func problems(
        _ password: String,
        confirmation: String?,
        username: String,
        policy: PasswordPolicy
    ) -> [PasswordProblem] {
        guard !password.isEmpty else { return [.missing] }
        var problems: [PasswordProblem] = []
        if let confirmation, confirmation != password { problems.append(.mismatch) }
        if password.count < policy.minimumLength { problems.append(.tooShort) }
        if password.count > PasswordPolicy.maximumLength { problems.append(.tooLong) }
        if Username.key(password) == Username.key(username) { problems.append(.equalsUsername) }
        if CommonPasswords.contains(password) { problems.append(.tooCommon) }
        // `/token` reads the password from a header: HTTP trims the spaces around a field value and a value cannot
        // hold a line break or another control character, so such a password could never be sent at sign-in.
        if let first = password.unicodeScalars.first, let last = password.unicodeScalars.last,
            first.properties.isWhitespace || last.properties.isWhitespace
        {
            problems.append(.surroundingWhitespace)
        }
        if password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
            problems.append(.controlCharacters)
        }
        if Self.classes(of: password) < policy.requiredClasses { problems.append(.tooFewClasses) }
        return problems
    }

    /// How many of lower-case letters, upper-case letters, digits and symbols (anything else but white space)
    /// `password` has, in any script.
    public static func classes(of password: String) -> Int {
        var lower = false
        var upper = false
        var digit = false
        var symbol = false
        for scalar in password.unicodeScalars {
            let properties = scalar.properties
            if properties.isLowercase {
                lower = true
            } else if properties.isUppercase {
                upper = true
            } else if properties.numericType == .decimal {
                digit = true
            } else if !properties.isWhitespace && !properties.isAlphabetic {
                symbol = true
            }
        }
        return [lower, upper, digit, symbol].filter { $0 }.count
    }
}

/// The 10,000 most common passwords (the first entries of zxcvbn's "passwords" frequency list, MIT licence; see
/// NOTICE), compared case-insensitively. The list is `Resources/common-passwords.txt`, one password per line,
/// embedded into the binary at build time (`PackageResources`) and decoded once, at first use.
public enum CommonPasswords {
    static let list: Set<String> = Set(
        String(decoding: PackageResources.common_passwords_txt, as: UTF8.self)
            .split(whereSeparator: \.isNewline)
            .map { $0.lowercased() }
    )

    public static var count: Int { self.list.count }

    public static func contains(_ password: String) -> Bool {
        self.list.contains(password.lowercased())
    }
}
