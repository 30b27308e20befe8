import Foundation
import TesseraCore

/// The words of each message, per purpose. They hold the code and say what it is for — nothing about the
/// account, the device or the request. Give another set to send them in another language.
///
/// ```swift
/// let german = MessageTemplates(
///     login: .init(subject: "Ihr Anmeldecode", text: "Ihr Anmeldecode: {code}"),
///     reset: .init(subject: "Ihr Code zum Zurücksetzen", text: "Ihr Code zum Zurücksetzen des Passworts: {code}"),
///     notice: .init(subject: "Sicherheitshinweis", text: "An Ihrem Konto wurde eine Sicherheitsänderung vorgenommen.")
/// )
/// ```
public struct MessageTemplates: Sendable {
    /// One purpose's words: `{code}` in `text` is replaced by the code.
    public struct Template: Sendable {
        public var subject: String
        public var text: String

        public init(subject: String, text: String) {
            self.subject = subject
            self.text = text
        }
    }

    public var login: Template
    public var reset: Template
    public var notice: Template

    public init(login: Template, reset: Template, notice: Template) {
        self.login = login
        self.reset = reset
        self.notice = notice
    }

    /// The default, in English.
    public static let english = MessageTemplates(
        login: Template(subject: "Your sign-in code", text: "Your sign-in code is {code}."),
        reset: Template(subject: "Your password reset code", text: "Your password reset code is {code}."),
        notice: Template(
            subject: "Security notice",
            text: "Your account's sign-in was locked, or its password or PIN was changed. If this was not you, contact support."
        )
    )

    /// The subject and the text of `message`.
    public func render(_ message: OutgoingMessage) -> (subject: String, text: String) {
        let template: Template =
            switch message.purpose {
            case .login: self.login
            case .reset: self.reset
            case .notice: self.notice
            }
        return (template.subject, template.text.replacingOccurrences(of: "{code}", with: message.code ?? ""))
    }
}
