import ArgumentParser
import Foundation
import TesseraClient

/// `tessera token …`: what `tessera login --save` kept.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Renew a session saved by `tessera login --save`.",
        subcommands: [Refresh.self]
    )

    struct Refresh: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exchange the saved refresh token for a new pair and save it (companies with refresh tokens)."
        )

        @Option(help: "The file `tessera login --save` wrote.")
        var saved: String

        @Flag(help: "Print the new access token too.")
        var print = false

        func run() async throws {
            let session = try SavedSession.read(self.saved)
            guard let tokens = try await session.load() else { throw CommandError("\(self.saved) holds no session: log in again") }
            guard tokens.refreshToken != nil else {
                throw CommandError("\(self.saved) holds no refresh token: the company gives none; log in again instead")
            }
            guard let base = URL(string: session.url) else { throw CommandError("\(self.saved) names no server URL") }
            let client = TesseraClient(baseURL: base, appKey: session.appKey, tokenStore: session)
            do {
                let token = try await client.refresh()
                if self.print { Swift.print(token) }
                Prompt.note("Renewed; the new tokens are in \(self.saved).")
            } catch let error as TesseraClientError {
                throw CommandError(LoginCommand.describe(error))
            }
        }
    }
}

/// A session on disk (mode 0600): the access token on the first line, so `read -r TOKEN < PATH` reads it; then
/// `Name: value` lines for the refresh token, a remembered device's token, the server and the app key, so the
/// session can be renewed with nothing else. Rewritten whole (through a file beside it, renamed) on every change.
final class SavedSession: TesseraTokenStore, Sendable {
    let path: String
    let url: String
    let appKey: String

    init(path: String, url: String, appKey: String) {
        self.path = path
        self.url = url
        self.appKey = appKey
    }

    /// The session saved at `path`.
    static func read(_ path: String) throws -> SavedSession {
        guard let fields = Self.fields(path), let url = fields["URL"], let appKey = fields["AppKey"] else {
            throw CommandError("\(path) is not a session saved by `tessera login --save`")
        }
        return SavedSession(path: path, url: url, appKey: appKey)
    }

    /// The first line as `""`, then every `Name: value` line; `nil` when the file cannot be read.
    private static func fields(_ path: String) -> [String: String]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        var fields = ["": lines.first.map(String.init) ?? ""]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return fields
    }

    func load() async throws -> TesseraTokens? {
        guard let fields = Self.fields(self.path), let access = fields[""], !access.isEmpty else { return nil }
        return TesseraTokens(accessToken: access, refreshToken: fields["RefreshToken"])
    }

    func save(_ tokens: TesseraTokens?) async throws {
        try self.write(tokens: tokens, device: try await self.loadDeviceToken())
    }

    func loadDeviceToken() async throws -> String? {
        Self.fields(self.path)?["DeviceToken"]
    }

    func saveDeviceToken(_ token: String?) async throws {
        try self.write(tokens: try await self.load(), device: token)
    }

    private func write(tokens: TesseraTokens?, device: String?) throws {
        var text = (tokens?.accessToken ?? "") + "\n"
        if let refresh = tokens?.refreshToken { text += "RefreshToken: \(refresh)\n" }
        if let device { text += "DeviceToken: \(device)\n" }
        text += "URL: \(self.url)\nAppKey: \(self.appKey)\n"
        let temporary = self.path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CommandError("cannot write \(self.path)")
        }
        guard rename(temporary, self.path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw CommandError("cannot write \(self.path)")
        }
    }
}
