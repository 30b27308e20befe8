import Foundation

/// The keyed digests of guessable secrets, each bound to what it belongs to, so that a digest copied from one
/// row never verifies in another.
public struct KeyedDigester: Sendable {
    public let key: ServerKey

    public init(key: ServerKey) {
        self.key = key
    }

    /// A user's security PIN.
    public func pinDigest(_ pin: String, userID: Int64) -> String {
        self.key.digest(pin, context: "pin:\(userID)")
    }

    /// A verification code of one login transaction.
    public func codeDigest(_ code: String, transactionID: String) -> String {
        self.key.digest(code, context: "login-code:\(transactionID)")
    }

    /// A user's answer to their secret question, normalised: case and white space do not count.
    public func secretAnswerDigest(_ answer: String, userID: Int64) -> String {
        let normalised = answer.precomposedStringWithCanonicalMapping.lowercased()
            .unicodeScalars.filter { !$0.properties.isWhitespace }
        return self.key.digest(String(String.UnicodeScalarView(normalised)), context: "secret-answer:\(userID)")
    }

    /// A password-reset code, within one company (the redeem call names no user).
    public func resetCodeDigest(_ code: String, companyID: Int64) -> String {
        self.key.digest(code, context: "reset-code:\(companyID)")
    }

    /// A user's authenticator (TOTP) secret, encrypted: unlike a code it must be read back, so it is sealed, not
    /// digested.
    public func sealAuthenticatorSecret(_ secret: [UInt8], userID: Int64) throws -> String {
        try self.key.seal(secret, context: "totp:\(userID)")
    }

    /// The authenticator secret sealed for this user; `nil` when it was sealed for another user or key.
    public func openAuthenticatorSecret(_ sealed: String, userID: Int64) -> [UInt8]? {
        self.key.open(sealed, context: "totp:\(userID)")
    }

    /// The password that passed `BaseAuthentication` in one login transaction.
    public func passwordProof(_ password: String, transactionID: String) -> String {
        self.key.digest(password, context: "login-password:\(transactionID)")
    }

    /// The CSRF token of the back-office session whose token has this digest: no storage, and it dies with the
    /// session.
    public func formToken(sessionID: String) -> String {
        self.key.digest(sessionID, context: "console-form")
    }

    /// A device a user signed in from (``DeviceFingerprint``): the same device gives the same key for one user only.
    public func deviceKey(family: String, network: String, userID: Int64) -> String {
        self.key.digest(family + "\n" + network, context: "device:\(userID)")
    }
}

/// Rules for a security PIN.
public enum Pin {
    /// A PIN is 4 to 12 ASCII digits.
    public static func isAcceptable(_ pin: String) -> Bool {
        (4...12).contains(pin.utf8.count) && pin.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
