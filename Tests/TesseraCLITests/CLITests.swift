import Foundation
import Logging
import Synchronization
import TesseraCore
import TesseraStorage
import TesseraTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The `tessera` executable, run as an operator runs it: a real process on a real SQLite file.
@Suite struct CLITests {
    let directory: URL
    let database: String

    init() throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        self.database = "sqlite://" + self.directory.appendingPathComponent("t.sqlite").path
    }

    struct Run: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { self.stdout.split(separator: "\n").map(String.init) }
    }

    /// The built `tessera` beside the test bundle.
    static var executable: URL {
        var url = Bundle.main.bundleURL
        while url.path != "/" {
            let candidate = url.appendingPathComponent("tessera")
            if FileManager.default.isExecutableFile(atPath: candidate.path) && !url.path.hasSuffix(".xctest") {
                return candidate
            }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/tessera")
    }

    @discardableResult
    func tessera(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws -> Run {
        try await Self.run(arguments + ["--database", self.database], stdin: stdin, environment: environment)
    }

    /// Runs `tessera` with `arguments`, none of the caller's `TESSERA_` variables but `environment`, and `stdin`.
    /// The wait for it runs off Swift's concurrency pool (see ``blocking(_:)``).
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) async throws -> Run {
        try await blocking { try Self.runBlocking(arguments, stdin: stdin, environment: environment) }
    }

    private static func runBlocking(_ arguments: [String], stdin: String?, environment: [String: String]) throws -> Run {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TESSERA_") }
            .merging(environment) { $1 }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try launch(process)
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus,
            stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self)
        )
    }

    func open() async throws -> TesseraDatabase {
        try await TesseraDatabase.open(try DatabaseURL(parsing: self.database), logger: Logger(label: "test"))
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: self.directory)
    }

    /// A failed command: non-zero, a clear message on stderr, no stack trace.
    func expectFailure(_ run: Run, mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.status != 0, sourceLocation: sourceLocation)
        #expect(run.stderr.contains(text), "stderr: \(run.stderr)", sourceLocation: sourceLocation)
        #expect(!run.stderr.contains("Fatal error"), sourceLocation: sourceLocation)
        #expect(!run.stderr.contains("Stack dump"), sourceLocation: sourceLocation)
    }

    @Test func companyCreateAndList() async throws {
        defer { self.cleanUp() }
        let created = try await self.tessera(["company", "create", "acme", "--require-2fa", "--require-pin", "--token-ttl", "3600"])
        #expect(created.status == 0, "\(created.stderr)")
        let database = try await self.open()
        let company = try await database.directory.company(named: "acme")
        await database.close()
        #expect(company?.policy == CompanyPolicy(requireTwoFactor: true, requirePin: true, tokenLifetime: 3600))
        #expect(try await self.tessera(["company", "list"]).stdout.contains("acme"))

        self.expectFailure(try await self.tessera(["company", "create", "acme"]), mentioning: "already exists")
        self.expectFailure(try await self.tessera(["company", "create", "x", "--token-ttl", "0"]), mentioning: "--token-ttl")
        self.expectFailure(try await self.tessera(["company", "create", "y", "--token-ttl", "90000"]), mentioning: "--token-ttl")
    }

    @Test func passwordClassesAndHistoryArePerCompany() async throws {
        defer { self.cleanUp() }
        try await self.tessera(["company", "create", "acme", "--password-classes", "3", "--password-history", "5"])
        let shown = try await self.tessera(["company", "show", "acme"]).stdout
        #expect(shown.contains("at least 3 of 4") && shown.contains("differ from the last 5"), "\(shown)")
        self.expectFailure(try await self.tessera(["company", "update", "acme", "--password-classes", "5"]), mentioning: "--password-classes")
        self.expectFailure(try await self.tessera(["company", "update", "acme", "--password-history", "25"]), mentioning: "--password-history")
        // The operator's own passwords follow the company's classes too.
        self.expectFailure(
            try await self.tessera(
                ["user", "create", "--company", "acme", "--username", "u", "--password-stdin"],
                stdin: "only lower case words here\n"
            ),
            mentioning: "at least 3 of"
        )
    }

    @Test func refreshTokensAreOptInPerCompany() async throws {
        defer { self.cleanUp() }
        try await self.tessera(["company", "create", "acme"])
        #expect(try await self.tessera(["company", "show", "acme"]).stdout.contains("refresh:    off"))
        self.expectFailure(try await self.tessera(["company", "update", "acme", "--refresh-ttl", "1h"]), mentioning: "--refresh-tokens")
        let updated = try await self.tessera(["company", "update", "acme", "--refresh-tokens", "--refresh-ttl", "12h", "--session-max-age", "7d"])
        #expect(updated.status == 0, "\(updated.stderr)")
        let shown = try await self.tessera(["company", "show", "acme"]).stdout
        #expect(shown.contains("tokens live 12h, sessions at most 7d"), "\(shown)")
        self.expectFailure(
            try await self.tessera(["company", "update", "acme", "--session-max-age", "1h"]),
            mentioning: "--session-max-age must be at least --refresh-ttl"
        )
        self.expectFailure(try await self.tessera(["company", "update", "acme", "--refresh-ttl", "400d"]), mentioning: "--refresh-ttl")
        self.expectFailure(try await self.tessera(["company", "update", "acme", "--refresh-ttl", "soon"]), mentioning: "--refresh-ttl")
        #expect(try await self.tessera(["audit", "list"]).stdout.contains("refreshLifetime: off → 43200"))
        #expect(try await self.tessera(["company", "update", "acme", "--no-refresh-tokens"]).status == 0)
        #expect(try await self.tessera(["company", "show", "acme"]).stdout.contains("refresh:    off"))
    }

    @Test func appCreatePrintsTheKeyOnceAndStoresOnlyItsHash() async throws {
        defer { self.cleanUp() }
        try await self.tessera(["company", "create", "acme"])
        let created = try await self.tessera(["app", "create", "--company", "acme", "--name", "terminal"])
        #expect(created.status == 0, "\(created.stderr)")
        let key = try #require(created.lines.last)
        #expect(key.count >= 22 && !key.contains(" "))

        let database = try await self.open()
        let app = try await database.directory.app(digest: SecretDigest.sha256(key))
        await database.close()
        #expect(app?.appKey.name == "terminal")
        let file = try Data(contentsOf: self.directory.appendingPathComponent("t.sqlite"))
        let wal = (try? Data(contentsOf: self.directory.appendingPathComponent("t.sqlite-wal"))) ?? Data()
        #expect(file.range(of: Data(key.utf8)) == nil && wal.range(of: Data(key.utf8)) == nil)
        #expect(try await self.tessera(["app", "list", "--company", "acme"]).stdout.contains("terminal"))

        #expect(try await self.tessera(["app", "revoke", key]).status == 0)
        let reopened = try await self.open()
        #expect(try await reopened.directory.app(digest: SecretDigest.sha256(key))?.appKey.isRevoked == true)
        await reopened.close()
        self.expectFailure(try await self.tessera(["app", "revoke", key]), mentioning: "no live app key")
        self.expectFailure(try await self.tessera(["app", "create", "--company", "nope", "--name", "x"]), mentioning: "no company")
    }

    @Test func userCreateWithAnAuthenticatorPrintsItsSecretOnceAndStoresItSealed() async throws {
        defer { self.cleanUp() }
        // A company that requires 2-FA takes an authenticator user without email or phone.
        try await self.tessera(["company", "create", "acme", "--require-2fa"])
        let created = try await self.tessera(
            ["user", "create", "--company", "acme", "--username", "tia", "--password-stdin", "--two-factor", "totp"],
            stdin: "a long enough password\n"
        )
        #expect(created.status == 0, "\(created.stderr)")
        let secretLine = try #require(created.lines.first { $0.hasPrefix("  secret: ") })
        let secret = String(secretLine.dropFirst("  secret: ".count))
        #expect(created.lines.contains("  url:    otpauth://totp/acme:tia?secret=\(secret)&issuer=acme&algorithm=SHA1&digits=6&period=30"))
        let database = try await self.open()
        let company = try #require(try await database.directory.company(named: "acme"))
        let user = try #require(try await database.directory.user(companyID: company.id, usernameKey: "tia"))
        await database.close()
        #expect(user.twoFactor == .totp)
        let sealed = try #require(user.totpSecret)
        #expect(!sealed.contains(secret), "stored only encrypted")
        let key = try ServerKey(hex: String(contentsOfFile: self.directory.appendingPathComponent("t.sqlite.key").path, encoding: .utf8))
        #expect(KeyedDigester(key: key).openAuthenticatorSecret(sealed, userID: user.id) == Base32.decode(secret))
        // Shown once: nothing else prints it.
        #expect(!(try await self.tessera(["user", "show", "tia"])).stdout.contains(secret))

        // A lost phone: the operator gives a new secret; the old one no longer opens anything.
        let again = try await self.tessera(["user", "enrol-totp", "tia"])
        #expect(again.status == 0, "\(again.stderr)")
        let newSecret = String(try #require(again.lines.first { $0.hasPrefix("  secret: ") }).dropFirst("  secret: ".count))
        #expect(newSecret != secret)
        let reopened = try await self.open()
        let renewed = try #require(try await reopened.directory.user(id: user.id))
        let events = try await reopened.audit.events(companyID: company.id, userID: user.id, since: nil, limit: 10)
        await reopened.close()
        #expect(renewed.twoFactor == .totp && renewed.totpLastStep == nil)
        #expect(KeyedDigester(key: key).openAuthenticatorSecret(try #require(renewed.totpSecret), userID: user.id) == Base32.decode(newSecret))
        #expect(events.contains { $0.kind == .authenticatorEnrolled && $0.actor == "cli" })
    }

    @Test func userCreateWithEveryOption() async throws {
        defer { self.cleanUp() }
        try await self.tessera(["company", "create", "acme"])
        let created = try await self.tessera(
            [
                "user", "create", "--company", "acme", "--username", "Alice", "--password-stdin", "--email", "alice@example.com",
                "--phone", "+1 (555) 000-1111", "--two-factor", "sms", "--pin", "2468", "--first-name", "Alice",
                "--middle-name", "B", "--last-name", "Liddell", "--salutation", "Ms", "--suffix", "III",
            ],
            stdin: "a long enough password\n"
        )
        #expect(created.status == 0, "\(created.stderr)")
        let database = try await self.open()
        let company = try #require(try await database.directory.company(named: "acme"))
        let user = try #require(try await database.directory.user(companyID: company.id, usernameKey: "alice"))
        await database.close()
        #expect(user.username == "Alice")
        #expect(user.phone == "+15550001111")
        #expect(user.twoFactor == .sms)
        #expect(user.profile == UserProfile(firstName: "Alice", middleName: "B", lastName: "Liddell", salutation: "Ms", suffix: "III"))
        #expect(user.passwordHash.hasPrefix("bcrypt-sha256$"))
        #expect(!user.passwordHash.contains("a long enough password"))
        let key = try ServerKey(hex: String(contentsOfFile: self.directory.appendingPathComponent("t.sqlite.key").path, encoding: .utf8))
        #expect(user.pinDigest == KeyedDigester(key: key).pinDigest("2468", userID: user.id))

        let shown = try await self.tessera(["user", "show", "alice"])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("Liddell") && shown.stdout.contains("pin:") && !shown.stdout.contains("bcrypt"))
        #expect(try await self.tessera(["user", "list", "--company", "acme"]).stdout.contains("Alice"))
    }

    @Test func userCreateRefusesBadInput() async throws {
        defer { self.cleanUp() }
        try await self.tessera(["company", "create", "acme"])
        try await self.tessera(["company", "create", "strict", "--require-2fa"])
        let ok = try await self.tessera(["user", "create", "--company", "acme", "--username", "bob", "--password", "bob-password-long-enough"])
        #expect(ok.status == 0, "\(ok.stderr)")

        let base = ["user", "create", "--company", "acme", "--password", "some long password here"]
        self.expectFailure(try await self.tessera(base + ["--username", "BOB"]), mentioning: "already exists")
        self.expectFailure(
            try await self.tessera(["user", "create", "--company", "nope", "--username", "x", "--password", "p"]),
            mentioning: "no company"
        )
        self.expectFailure(try await self.tessera(base + ["--username", "c", "--email", "not-an-email"]), mentioning: "not an email")
        self.expectFailure(try await self.tessera(base + ["--username", "c", "--phone", "12ab"]), mentioning: "not a phone")
        self.expectFailure(try await self.tessera(base + ["--username", "c", "--two-factor", "email"]), mentioning: "needs --email")
        self.expectFailure(try await self.tessera(base + ["--username", "c", "--two-factor", "pigeon"]), mentioning: "--two-factor")
        self.expectFailure(try await self.tessera(base + ["--username", "c", "--pin", "12"]), mentioning: "PIN")
        self.expectFailure(try await self.tessera(base + ["--username", ""]), mentioning: "username")
        self.expectFailure(
            try await self.tessera(["user", "create", "--company", "acme", "--username", "c", "--password", ""]),
            mentioning: "empty"
        )
        self.expectFailure(
            try await self.tessera(["user", "create", "--company", "acme", "--username", "c", "--password-stdin"], stdin: "\n"),
            mentioning: "empty"
        )
        self.expectFailure(
            try await self.tessera(["user", "create", "--company", "strict", "--username", "c", "--password", "p"]),
            mentioning: "requires 2-FA"
        )
        self.expectFailure(try await self.tessera(["user", "show", "nobody"]), mentioning: "no user")
        let weak = ["user", "create", "--company", "acme", "--username", "erin-the-trader", "--password"]
        self.expectFailure(try await self.tessera(weak + ["short-pw"]), mentioning: "at least 12 characters")
        self.expectFailure(try await self.tessera(weak + ["1qaz2wsx3edc"]), mentioning: "most common passwords")
        self.expectFailure(try await self.tessera(weak + ["Erin-The-Trader"]), mentioning: "must not be the username")
        self.expectFailure(try await self.tessera(weak + [String(repeating: "x", count: 129)]), mentioning: "at most 128")
        self.expectFailure(
            try await self.tessera(base + ["--username", "q", "--secret-question", "Pet?"]),
            mentioning: "--secret-answer together"
        )
    }

    @Test func disableAndEnable() async throws {
        defer { self.cleanUp() }
        try await self.tessera(["company", "create", "acme"])
        try await self.tessera(["user", "create", "--company", "acme", "--username", "carol", "--password", "carol-password-long-enough"])
        #expect(try await self.tessera(["user", "disable", "carol", "--company", "acme"]).status == 0)
        #expect(try await self.tessera(["user", "show", "carol"]).stdout.contains("disabled"))
        #expect(try await self.tessera(["user", "enable", "carol"]).status == 0)
        #expect(try await self.tessera(["user", "show", "carol"]).stdout.contains("active"))
    }

    @Test func unlockLiftsALockAndAuditListShowsOperatorActions() async throws {
        defer { self.cleanUp() }
        try await self.tessera(["company", "create", "acme", "--max-failures-per-account", "50"])
        try await self.tessera(["user", "create", "--company", "acme", "--username", "dana", "--password", "dana-password-long-enough"])
        let database = try await self.open()
        let company = try #require(try await database.directory.company(named: "acme"))
        #expect(company.policy.lockout.accountFailureLimit == 50)
        let now = Date()
        _ = try await database.attempts.lock(companyID: company.id, usernameKey: "dana", until: now.addingTimeInterval(3600), now: now)
        await database.close()

        let unlocked = try await self.tessera(["user", "unlock", "dana"])
        #expect(unlocked.status == 0, "\(unlocked.stderr)")
        #expect(unlocked.stdout.contains("Unlocked"))
        let reopened = try await self.open()
        #expect(try await reopened.attempts.lockedUntil(companyID: company.id, usernameKey: "dana", now: Date()) == nil)
        await reopened.close()

        let audit = try await self.tessera(["audit", "list", "--user", "dana", "--since", "1h"])
        #expect(audit.status == 0, "\(audit.stderr)")
        #expect(audit.stdout.contains("account.unlocked"))
        #expect(audit.stdout.contains("user.created"))
        #expect(audit.stdout.contains("actor=cli"))
        #expect(!audit.stdout.contains("dana-password-long-enough"))
        let all = try await self.tessera(["audit", "list"])
        #expect(all.stdout.contains("company.created"))
        self.expectFailure(try await self.tessera(["audit", "list", "--since", "yesterday-ish"]), mentioning: "--since")
        let future = try await self.tessera(["audit", "list", "--since", "2999-01-01T00:00:00Z"])
        #expect(future.status == 0 && future.stdout.isEmpty)
    }

    @Test func sessionListAndRevoke() async throws {
        defer { self.cleanUp() }
        try await self.tessera(["company", "create", "acme"])
        try await self.tessera(["user", "create", "--company", "acme", "--username", "sam", "--password", "sam-password-long-enough"])
        let resource = try await self.tessera(["app", "create", "--company", "acme", "--name", "api", "--introspect"])
        #expect(resource.stdout.contains("secret: "))
        let key = try #require(resource.lines.last)
        let database = try await self.open()
        let app = try #require(try await database.directory.app(digest: SecretDigest.sha256(key)))
        #expect(app.appKey.introspectionSecretDigest != nil)
        let company = try #require(try await database.directory.company(named: "acme"))
        let user = try #require(try await database.directory.user(companyID: company.id, usernameKey: "sam"))
        let now = Date()
        for token in ["token-one", "token-two", "token-three"] {
            _ = try await database.accessTokens.insert(
                AccessTokenRecord(
                    digest: SecretDigest.sha256(token),
                    userID: user.id,
                    appKeyID: app.appKey.id,
                    companyID: company.id,
                    issuedAt: now,
                    expiresAt: now.addingTimeInterval(3600),
                    sessionID: AccessTokenRecord.sessionID(of: token),
                    address: "192.0.2.5",
                    userAgent: "curl/8"
                )
            )
        }
        await database.close()

        let listed = try await self.tessera(["session", "list", "--user", "sam"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.lines.count == 3)
        #expect(listed.stdout.contains("192.0.2.5") && listed.stdout.contains("curl/8"))
        #expect(!listed.stdout.contains("token-one"))
        let one = AccessTokenRecord.sessionID(of: "token-one")
        #expect(try await self.tessera(["session", "revoke", one]).status == 0)
        #expect(try await self.tessera(["session", "list", "--user", "sam"]).lines.count == 2)
        self.expectFailure(try await self.tessera(["session", "revoke", one]), mentioning: "no live session")
        #expect(try await self.tessera(["session", "revoke", "--user", "sam"]).stdout.contains("Ended 2 session(s)"))
        #expect(try await self.tessera(["session", "list", "--user", "sam"]).stdout.isEmpty)
    }

    @Test func loginCompletesTwoFactorThroughAPipe() async throws {
        defer { self.cleanUp() }
        try await self.tessera(["company", "create", "acme"])
        let key = try #require(try await self.tessera(["app", "create", "--company", "acme", "--name", "cli"]).lines.last)
        try await self.tessera(
            ["user", "create", "--company", "acme", "--username", "tom", "--password-stdin", "--email", "tom@example.com", "--two-factor", "email"],
            stdin: "tom-password-long-enough\n"
        )
        let outbox = self.directory.appendingPathComponent("outbox.jsonl").path
        let (server, port, _) = try await self.startServer(["--outbox", outbox])
        try await withCleanup { cleanup in
            cleanup.add {
                server.terminate()
                _ = try? await blocking { server.waitUntilExit() }
            }
            let login = try await self.loginThroughPipe(
                ["--url", "http://127.0.0.1:\(port)", "--app-key=\(key)", "--username", "tom"],
                password: "tom-password-long-enough",
                outbox: outbox,
                codesBefore: 0,
                expectCode: true
            )
            let token = login.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(login.status == 0, "\(login.stderr)")
            #expect(login.stderr.contains("Verification code"))
            #expect(token.count == 43)
            let database = try await self.open()
            #expect(try await database.accessTokens.accessToken(digest: SecretDigest.sha256(token)) != nil)
            await database.close()
        }
    }

    @Test func sigtermLetsALoginInFlightFinish() async throws {
        defer { self.cleanUp() }
        try await self.tessera(["company", "create", "acme"])
        let key = try #require(try await self.tessera(["app", "create", "--company", "acme", "--name", "cli"]).lines.last)
        // A high cost makes the dummy hash of an unknown user slow enough to signal the server during it.
        let (server, port, output) = try await self.startServer(["--bcrypt-cost", "16"])
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/token")!)
        request.httpMethod = "POST"
        request.setValue(key, forHTTPHeaderField: "Et-App-Key")
        request.setValue("nobody", forHTTPHeaderField: "Username")
        request.setValue("some password", forHTTPHeaderField: "Password")
        let login = Task { try await URLSession.shared.data(for: request) }
        // Signal while the login is inside the server: wait until its hash runs (the metrics say so; a fixed
        // sleep was not always enough on a loaded machine), then signal — at cost 16 the hash takes seconds more.
        var hashing = false
        for _ in 0..<300 where !hashing {
            try await Task.sleep(for: .milliseconds(100))
            let (metrics, _) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            hashing = String(decoding: metrics, as: UTF8.self).split(separator: "\n").contains {
                $0.hasPrefix("tessera_password_hashes_in_flight") && !$0.hasSuffix(" 0") && !$0.hasSuffix(" 0.0")
            }
        }
        #expect(hashing, "the login never reached the hasher")
        let started = ContinuousClock.now
        kill(server.processIdentifier, SIGTERM)
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await login.value
        } catch {
            throw CommandFailure(message: "\(error); server running: \(server.isRunning); its output: \(output.text.withLock { $0 })")
        }
        // The answer came after the signal: the drain waited for it (the hash at cost 16 outlasts this easily).
        #expect(ContinuousClock.now - started > .milliseconds(500))
        #expect((response as? HTTPURLResponse)?.statusCode == 401)
        #expect(String(decoding: data, as: UTF8.self) == #"{"State":"Failed","Step":"BaseAuthentication","Reason":"Invalid credentials"}"#)
        _ = try await blocking { server.waitUntilExit() }
        #expect(server.terminationStatus == 0, "\(output.text.withLock { $0 })")
    }

    /// Starts `tessera serve` on a free port; returns the process, the port and its growing output.
    func startServer(_ extra: [String]) async throws -> (Process, String, Output) {
        let server = Process()
        server.executableURL = Self.executable
        server.arguments = ["serve", "--database", self.database, "--port", "0"] + extra
        let log = Pipe()
        server.standardOutput = log
        server.standardError = log
        let output = Output()
        log.fileHandleForReading.readabilityHandler = { handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            output.text.withLock { $0 += text }
        }
        try launch(server)
        var port: String?
        // Up to a minute: at --bcrypt-cost 16 the server's start hashes its dummy password for seconds, many more
        // on a machine busy with the rest of the suite.
        for _ in 0..<1200 where port == nil {
            try await Task.sleep(for: .milliseconds(50))
            port = output.text.withLock { text in
                text.range(of: "address=127.0.0.1:").map { String(text[$0.upperBound...].prefix { $0.isNumber }) }
            }
        }
        guard let port else {
            server.terminate()
            throw CommandFailure(message: "the server did not start: \(output.text.withLock { $0 })")
        }
        return (server, port, output)
    }

    final class Output: Sendable {
        let text = Mutex("")
    }

    struct CommandFailure: Error { let message: String }

    @Test func theDatabaseComesFromTheEnvironment() async throws {
        defer { self.cleanUp() }
        let other = "sqlite://" + self.directory.appendingPathComponent("env.sqlite").path
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["company", "create", "from-env"]
        process.environment = ["TESSERA_DATABASE_URL": other]
        try launch(process)
        _ = try await blocking { process.waitUntilExit() }
        #expect(process.terminationStatus == 0)
        #expect(FileManager.default.fileExists(atPath: self.directory.appendingPathComponent("env.sqlite").path))
        let bad = Process()
        let err = Pipe()
        bad.executableURL = Self.executable
        bad.arguments = ["company", "list"]
        bad.environment = ["TESSERA_DATABASE_URL": "mysql://x"]
        bad.standardError = err
        try launch(bad)
        let message = try await blocking {
            defer { bad.waitUntilExit() }
            return String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        #expect(bad.terminationStatus != 0)
        #expect(message.contains("invalid database URL"))
    }
}
