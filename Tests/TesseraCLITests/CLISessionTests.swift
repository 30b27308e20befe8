import Foundation
import Synchronization
import TesseraCore
import TesseraStorage
import TesseraTestSupport
import Testing

/// The operator's flags for step-up, user expiry and devices, and `tessera login --save` with `tessera token
/// refresh`, through the real executable.
extension CLITests {
    @Test func stepUpExpiryAndDevicesArePerCompany() async throws {
        defer { self.cleanUp() }
        let created = try await self.tessera(
            ["company", "create", "devco", "--step-up", "--user-expiry-days", "30", "--new-device-notices", "--trusted-device-days", "14"]
        )
        #expect(created.status == 0, "\(created.stderr)")
        let shown = try await self.tessera(["company", "show", "devco"]).stdout
        #expect(shown.contains("sign-in within 10 minutes"), "\(shown)")
        #expect(shown.contains("accounts unused for 30 days") && shown.contains("notify the user") && shown.contains("devices for 14 days"))

        let updated = try await self.tessera(
            ["company", "update", "devco", "--recent-auth", "5", "--no-new-device-notices", "--trusted-device-days", "0", "--user-expiry-days", "0"]
        )
        #expect(updated.status == 0, "\(updated.stderr)")
        let after = try await self.tessera(["company", "show", "devco"]).stdout
        #expect(after.contains("sign-in within 5 minutes") && after.contains("new device: off") && after.contains("remember:   off"), "\(after)")
        #expect(after.contains("expiry:     off"))
        #expect(try await self.tessera(["company", "update", "devco", "--no-step-up"]).status == 0)
        #expect(try await self.tessera(["company", "show", "devco"]).stdout.contains("step-up:    off"))

        self.expectFailure(try await self.tessera(["company", "update", "devco", "--recent-auth", "0"]), mentioning: "--recent-auth")
        self.expectFailure(
            try await self.tessera(["company", "update", "devco", "--trusted-device-days", "400"]),
            mentioning: "--trusted-device-days"
        )
        // A company that opts into nothing has none of it.
        try await self.tessera(["company", "create", "plain"])
        let plain = try await self.tessera(["company", "show", "plain"]).stdout
        #expect(plain.contains("step-up:    off") && plain.contains("expiry:     off") && plain.contains("new device: off"))
    }

    /// Runs `tessera login` with `arguments`, writing the password, and the code from `outbox` once it arrives when
    /// `expectCode`; returns what it printed and its status.
    func loginThroughPipe(_ arguments: [String], password: String, outbox: String, codesBefore: Int, expectCode: Bool) async throws -> Run {
        let login = Process()
        login.executableURL = Self.executable
        login.arguments = ["login"] + arguments
        let input = Pipe()
        let out = Pipe()
        let err = Pipe()
        login.standardInput = input
        login.standardOutput = out
        login.standardError = err
        try launch(login)
        input.fileHandleForWriting.write(Data((password + "\n").utf8))
        if expectCode {
            var code: String?
            for _ in 0..<200 where code == nil {
                try await Task.sleep(for: .milliseconds(50))
                let lines = (FileManager.default.contents(atPath: outbox).map { String(decoding: $0, as: UTF8.self) } ?? "").split(separator: "\n")
                if lines.count > codesBefore, let object = try JSONSerialization.jsonObject(with: Data(lines[codesBefore].utf8)) as? [String: Any] {
                    code = object["code"] as? String
                }
            }
            input.fileHandleForWriting.write(Data((try #require(code) + "\n").utf8))
        }
        try input.fileHandleForWriting.close()
        return try await blocking {
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            login.waitUntilExit()
            return Run(status: login.terminationStatus, stdout: stdout, stderr: stderr)
        }
    }

    @Test func loginSavesTheSessionAndTokenRefreshRenewsIt() async throws {
        defer { self.cleanUp() }
        try await self.tessera(["company", "create", "devco", "--refresh-tokens", "--trusted-device-days", "30"])
        let key = try #require(try await self.tessera(["app", "create", "--company", "devco", "--name", "cli"]).lines.last)
        let password = "tom-password-long-enough"
        try await self.tessera(
            ["user", "create", "--company", "devco", "--username", "tom", "--password-stdin", "--email", "tom@example.com", "--two-factor", "email"],
            stdin: password + "\n"
        )
        let outbox = self.directory.appendingPathComponent("outbox.jsonl").path
        let (server, port, output) = try await self.startServer(["--outbox", outbox])
        try await withCleanup { cleanup in
            cleanup.add {
                server.terminate()
                _ = try? await blocking { server.waitUntilExit() }
            }
            let path = self.directory.appendingPathComponent("session").path
            let arguments = ["--url", "http://127.0.0.1:\(port)", "--app-key=\(key)", "--username", "tom", "--save", path, "--remember-device"]
            let first = try await self.loginThroughPipe(arguments, password: password, outbox: outbox, codesBefore: 0, expectCode: true)
            #expect(first.status == 0, "\(first.stderr) \(output.text.withLock { $0 })")
            #expect(first.stdout.isEmpty, "the token goes to the file, not the terminal")

            func saved() throws -> [String] {
                String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self).split(separator: "\n").map(String.init)
            }
            let lines = try saved()
            let access = try #require(lines.first)
            #expect(lines.contains { $0.hasPrefix("RefreshToken: ") } && lines.contains { $0.hasPrefix("DeviceToken: ") }, "\(lines)")
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let database = try await self.open()
            #expect(try await database.accessTokens.accessToken(digest: SecretDigest.sha256(access))?.revokedAt == nil)

            // Renewed with nothing but the file.
            let renewed = try await Self.run(["token", "refresh", "--saved", path])
            #expect(renewed.status == 0, "\(renewed.stderr)")
            let after = try saved()
            #expect(after.first != access && after.first?.count == 43)
            #expect(after.first { $0.hasPrefix("RefreshToken: ") } != lines.first { $0.hasPrefix("RefreshToken: ") })
            #expect(after.contains { $0.hasPrefix("DeviceToken: ") }, "the remembered device is kept")
            #expect(try await database.accessTokens.accessToken(digest: SecretDigest.sha256(after[0])) != nil)

            // The remembered device: the next login needs only the password.
            let again = try await self.loginThroughPipe(arguments, password: password, outbox: outbox, codesBefore: 1, expectCode: false)
            #expect(again.status == 0, "\(again.stderr)")
            #expect(!again.stderr.contains("Verification code"))
            #expect(try await self.tessera(["user", "devices", "tom"]).lines.count == 1)
            #expect(try await self.tessera(["user", "forget-devices", "tom"]).stdout.contains("Forgot 1 remembered device"))
            await database.close()

            self.expectFailure(
                try await Self.run(["token", "refresh", "--saved", self.directory.appendingPathComponent("none").path]),
                mentioning: "not a session saved"
            )
        }
    }
}
