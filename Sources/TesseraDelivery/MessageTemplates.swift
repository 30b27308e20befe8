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
    /// The words of a notice whose reason has none of its own in ``notices``.
    public var notice: Template
    /// The words of notices by what they are about.
    public var notices: [NoticeReason: Template]

    public init(login: Template, reset: Template, notice: Template, notices: [NoticeReason: Template] = [:]) {
        self.login = login
        self.reset = reset
        self.notice = notice
        self.notices = notices
    }

    /// The default, in English.
    public static let english = MessageTemplates(
        login: Template(subject: "Your sign-in code", text: "Your sign-in code is {code}."),
        reset: Template(subject: "Your password reset code", text: "Your password reset code is {code}."),
        notice: Template(
            subject: "Security notice",
            text: "Your account's sign-in was locked, or its password or PIN was changed. If this was not you, contact support."
        ),
        notices: [
            .accountLocked: Template(
                subject: "Your sign-in was locked",
                text: "Too many failed sign-ins locked your account for a while. If this was not you, contact support."
            ),
            .passwordChanged: Template(
                subject: "Your password was changed",
                text: "Your account's password was changed. If this was not you, contact support at once."
            ),
            .pinChanged: Template(
                subject: "Your PIN was changed",
                text: "Your account's security PIN was set or changed. If this was not you, contact support at once."
            ),
            .refreshTokenReused: Template(
                subject: "A sign-in of yours was ended",
                text: "A session of your account was used from two places, so it was ended. Sign in again; if this keeps happening, contact support."
            ),
            .newDevice: Template(
                subject: "New sign-in to your account",
                text:
                    "Your account was signed in to from a device or network not seen before. If this was not you, change your password and contact support."
            ),
        ]
    )

    /// The subject and the text of `message`.
    public func render(_ message: OutgoingMessage) -> (subject: String, text: String) {
        let template: Template =
            switch message.purpose {
            case .login: self.login
            case .reset: self.reset
            case .notice: message.notice.flatMap { self.notices[$0] } ?? self.notice
            }
        return (template.subject, template.text.replacingOccurrences(of: "{code}", with: message.code ?? ""))
    }
}
