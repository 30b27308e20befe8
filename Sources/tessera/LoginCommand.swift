import ArgumentParser
import Foundation
import TesseraClient

#if canImport(Glibc)
import Glibc
#endif

/// `tessera login`: an interactive client of the `/token` flow, built on ``TesseraClient``.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in to a Tessera server and print the access token.",
        discussion: """
            Asks for the password without echo, then for the verification code or PIN when the server asks. \
            When standard input is not a terminal, each answer is read as one line, so the command can be scripted.
            """
    )

    @Option(help: "The server's base URL, e.g. http://127.0.0.1:8080.")
    var url: String

    @Option(help: "The app's Et-App-Key.")
    var appKey: String

    @Option(help: "The username.")
    var username: String

    @Option(
        help:
            "Save the session to this file (mode 0600) instead of printing the token: the access token on its first line, then the refresh token (renew with `tessera token refresh --saved PATH`) and a remembered device."
    )
    var save: String?

    @Flag(help: "Ask the server to remember this device after the code (companies with remembered devices; needs --save).")
    var rememberDevice = false

    func run() async throws {
        guard let base = URL(string: self.url.hasSuffix("/") ? self.url : self.url + "/"), base.scheme != nil else {
            throw ValidationError("--url must be an http(s) URL")
        }
        if self.rememberDevice && self.save == nil { throw ValidationError("--remember-device needs --save, where the device token is kept") }
        // An earlier session saved at the same path for the same server and app keeps its remembered device.
        let saved = self.save.map { path in
            let earlier = try? SavedSession.read(path)
            return earlier.flatMap { $0.url == base.absoluteString && $0.appKey == self.appKey ? $0 : nil }
                ?? SavedSession(path: path, url: base.absoluteString, appKey: self.appKey)
        }
        let client = TesseraClient(baseURL: base, appKey: self.appKey, tokenStore: saved, rememberDevice: self.rememberDevice)
        let password = try Prompt.secret("Password: ")
        var progress: LoginProgress
        do {
            progress = try await client.login(username: self.username, password: password)
            while true {
                switch progress {
                case .authenticated(let token):
                    try self.deliver(token)
                    return
                case .verificationCodeRequired(let pending, let reason):
                    Prompt.note(reason == "Expecting confirmation code" ? "A verification code was sent." : reason)
                    progress = try await client.submit(code: try Prompt.line("Verification code: "), to: pending)
                case .pinRequired(let pending, let reason, let image):
                    if let image { Prompt.note("Your security image: \(image.fileName)\(image.personalPhrase.map { " — \($0)" } ?? "")") }
                    if reason != "Expecting pin code" { Prompt.note(reason) }
                    progress = try await client.submit(pin: try Prompt.secret("PIN: "), to: pending)
                case .passwordChangeRequired(let ticket):
                    Prompt.note("Your password has expired and must be changed.")
                    let new = try Prompt.secret("New password: ")
                    guard try Prompt.secret("New password again: ") == new else { throw CommandError("the passwords do not match") }
                    try await client.setPassword(ticket: ticket, newPassword: new)
                    progress = try await client.login(username: self.username, password: new)
                case .pinSetupRequired:
                    throw CommandError("the company requires a PIN and you have none yet: set it in your trading app first")
                }
            }
        } catch let error as TesseraClientError {
            throw CommandError(Self.describe(error))
        }
    }

    /// The client has saved the session already when there is a file; otherwise the token is printed.
    private func deliver(_ token: String) throws {
        guard let save = self.save else {
            print(token)
            return
        }
        Prompt.note("Logged in; the session is in \(save).")
    }

    static func describe(_ error: TesseraClientError) -> String {
        switch error {
        case .loginFailed(let step, let reason): "login failed at \(step): \(reason)"
        case .throttled(let retryAfter): "too many attempts; try again in \(retryAfter ?? 60) s"
        case .unavailable(let retryAfter): "the server is unavailable; try again in \(retryAfter ?? 5) s"
        case .unknownAppKey: "the app key is not defined or does not exist"
        case .requestFailed(let status, let errors, _): "the server refused (\(status)): \(errors.joined(separator: " "))"
        case .invalidResponse: "the server's answer did not follow the contract"
        case .signedOut: "no saved session: log in first"
        case .reauthenticationRequired: "this change needs a recent sign-in: log in again"
        }
    }
}

/// Terminal prompts: on stderr, so stdout carries only the token.
enum Prompt {
    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func line(_ prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        guard let line = readLine(strippingNewline: true) else { throw CommandError("standard input ended") }
        return line.hasSuffix("\r") ? String(line.dropLast()) : line
    }

    /// A line read without echo when standard input is a terminal.
    static func secret(_ prompt: String) throws -> String {
        guard isatty(STDIN_FILENO) == 1 else { return try self.line(prompt) }
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return try self.line(prompt)
    }
}
