import Foundation
import Synchronization
import TesseraCore
import TesseraTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Several `tessera serve` processes on one database, as a broker runs them behind a load balancer: what one node
/// does, the others see at once; a database outage is answered with `503`s and heals by itself; a node killed
/// mid-burst has lost no token it answered `200`.
@Suite(.serialized) struct MultiNodeTests {
    static let password = "correct horse battery staple 42"
    let key = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    let directory: URL

    init() throws {
        self.directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-nodes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    // MARK: Shared state

    @Test func twoNodesShareLoginsTokensCountersAndSingleUse() async throws {
        defer { try? FileManager.default.removeItem(at: self.directory) }
        try await TestDatabase.with(.postgres) { database in
            try await withCleanup { cleanup in
                let appKey = try await self.seed(database.argument, maxFailuresPerDevice: 4)
                let a = try await Node.start(database: database.argument, key: self.key, outbox: self.outbox("a"))
                cleanup.add { await a.stop() }
                let b = try await Node.start(database: database.argument, key: self.key, outbox: self.outbox("b"))
                cleanup.add { await b.stop() }

                // A 202 from A, the code to B.
                let first = try await a.login(appKey, "bob")
                #expect(first.status == 202, "\(first.body)")
                let interim = try #require(first.json["Token"] as? String)
                let code = try #require(try await self.latestCode(to: "bob@example.com"))
                let done = try await b.login(appKey, "bob", interim: interim, code: code)
                #expect(done.status == 200, "\(done.body)")
                let bobToken = try #require(done.json["Token"] as? String)

                // Issued on B, valid on A; revoked on A, refused on B at once.
                #expect(try await a.info(appKey, bobToken).status == 200)
                #expect(try await a.logout(appKey, bobToken) == 204)
                #expect(try await b.info(appKey, bobToken).status == 401)

                // The same code to A and B at the same moment: it works at most once.
                let again = try await b.login(appKey, "bob")
                let secondInterim = try #require(again.json["Token"] as? String)
                let secondCode = try #require(try await self.latestCode(to: "bob@example.com", other: code))
                async let onA = a.login(appKey, "bob", interim: secondInterim, code: secondCode)
                async let onB = b.login(appKey, "bob", interim: secondInterim, code: secondCode)
                let statuses = try await [onA.status, onB.status]
                #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")

                // One authenticator code, two logins in flight, one on each node: the code is accepted once.
                let enrolled = try await Self.check(
                    Self.tessera(
                        [
                            "user", "create", "--company", "acme", "--username", "tia", "--password-stdin", "--two-factor", "totp", "--database",
                            database.argument,
                        ],
                        key: self.key,
                        stdin: Self.password + "\n"
                    )
                )
                let secretLine = try #require(enrolled.stdout.split(separator: "\n").first { $0.hasPrefix("  secret: ") })
                let secret = try #require(Base32.decode(String(secretLine.dropFirst("  secret: ".count))))
                let onATicket = try #require(try await a.login(appKey, "tia").json["Token"] as? String)
                let onBTicket = try #require(try await b.login(appKey, "tia").json["Token"] as? String)
                let totp = TOTP(secret: secret).code(step: TOTP.step(at: Date()))
                async let totpOnA = a.login(appKey, "tia", interim: onATicket, code: totp)
                async let totpOnB = b.login(appKey, "tia", interim: onBTicket, code: totp)
                let totpStatuses = try await [totpOnA.status, totpOnB.status]
                #expect(totpStatuses.filter { $0 == 200 }.count == 1, "\(totpStatuses)")

                // Failures on A and on B add up: 2 + 2 reach the device limit of 4, so even the right password is
                // refused now, on either node.
                for node in [a, a, b, b] {
                    #expect(try await node.login(appKey, "ann", password: "wrong password \(UUID())").status == 401)
                }
                #expect(try await a.login(appKey, "ann").status == 401)
                #expect(try await b.login(appKey, "ann").status == 401)
            }
        }
    }

    @Test func aRefreshOnOneNodeAndAReuseOnTheOtherEndTheSession() async throws {
        defer { try? FileManager.default.removeItem(at: self.directory) }
        try await TestDatabase.with(.postgres) { database in
            try await withCleanup { cleanup in
                let appKey = try await self.seed(database.argument, maxFailuresPerDevice: 10)
                try await Self.check(
                    Self.tessera(["company", "update", "acme", "--refresh-tokens", "--database", database.argument], key: self.key)
                )
                let a = try await Node.start(database: database.argument, key: self.key, outbox: self.outbox("a"))
                cleanup.add { await a.stop() }
                let b = try await Node.start(database: database.argument, key: self.key, outbox: self.outbox("b"))
                cleanup.add { await b.stop() }

                let login = try await a.login(appKey, "ann")
                let first = try #require(login.json["RefreshToken"] as? String, "\(login.body)")
                let refreshed = try await a.send("POST", "/token", ["Et-App-Key": appKey, "RefreshToken": first])
                #expect(refreshed.status == 200, "\(refreshed.body)")
                let newest = try #require(refreshed.json["Token"] as? String)
                #expect(try await b.info(appKey, newest).status == 200)
                // The spent token, on the other node: a reuse, and the session ends on both.
                let reused = try await b.send("POST", "/token", ["Et-App-Key": appKey, "RefreshToken": first])
                #expect(reused.status == 401 && reused.body.contains("Invalid refresh token"), "\(reused.body)")
                #expect(try await a.info(appKey, newest).status == 401)
                #expect(try await b.info(appKey, newest).status == 401)
                let next = try #require(refreshed.json["RefreshToken"] as? String)
                #expect(try await a.send("POST", "/token", ["Et-App-Key": appKey, "RefreshToken": next]).status == 401)
                let audit = try await Self.check(Self.tessera(["audit", "list", "--database", database.argument], key: self.key))
                #expect(audit.stdout.contains("token.reuse_detected"), "\(audit.stdout)")
            }
        }
    }

    // MARK: Outage

    @Test func anOutageIsAnswered503AndHealsWithoutARestart() async throws {
        defer { try? FileManager.default.removeItem(at: self.directory) }
        try await withCleanup { cleanup in
            let cluster = self.directory.appendingPathComponent("pg").path
            let url = try await Self.script(["start", cluster]).trimmingCharacters(in: .whitespacesAndNewlines)
            cleanup.add { _ = try? await Self.script(["stop", cluster]) }
            let database = url
            let appKey = try await self.seed(database, maxFailuresPerDevice: 1000)
            let node = try await Node.start(database: database, key: self.key, outbox: self.outbox("a"), extra: ["--database-timeout", "2"])
            cleanup.add { await node.stop() }
            let token = try #require(try await node.login(appKey, "ann").json["Token"] as? String)

            let phase = Shared("up")
            // A flag, not task cancellation: FoundationNetworking's URLSession may never return a cancelled request.
            let stop = Shared(false)
            let results = Shared<[Sample]>([])
            let load = Task {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<3 {
                        group.addTask {
                            var index = 0
                            while !stop.withLock({ $0 }) {
                                index += 1
                                let started = phase.withLock { $0 }
                                let answer =
                                    worker == 0 && index % 4 == 0
                                    ? try await node.login(appKey, "ann")
                                    : try await node.info(appKey, token)
                                let ended = phase.withLock { $0 }
                                // Only answers that began and ended inside one phase say something about it.
                                guard started == ended else { continue }
                                results.withLock {
                                    $0.append(Sample(phase: started, status: answer.status, retryAfter: answer.retryAfter != nil, body: answer.body))
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await Task.sleep(for: .seconds(1))
            phase.withLock { $0 = "stopping" }
            _ = try await Self.script(["pause", cluster])
            phase.withLock { $0 = "down" }
            try await Task.sleep(for: .seconds(4))
            let readyWhileDown = try await node.get("/readyz").status
            phase.withLock { $0 = "restarting" }
            _ = try await Self.script(["resume", cluster])
            let restarted = ContinuousClock.now
            var healed: Duration?
            while ContinuousClock.now - restarted < .seconds(30) {
                if try await node.get("/readyz").status == 200 {
                    healed = ContinuousClock.now - restarted
                    break
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            phase.withLock { $0 = "healed" }
            try await Task.sleep(for: .seconds(1))
            stop.withLock { $0 = true }
            _ = try? await load.value

            let answers = results.withLock { $0 }
            let down = answers.filter { $0.phase == "down" }
            let healedAnswers = answers.filter { $0.phase == "healed" }
            print(
                "outage: \(down.count) answers while PostgreSQL was down (statuses \(Set(down.map(\.status)))), healed \(healed.map { "\($0)" } ?? "never") after its restart, \(healedAnswers.count) answers after"
            )
            #expect(readyWhileDown == 503)
            #expect(!down.isEmpty)
            #expect(down.allSatisfy { $0.status == 503 && $0.retryAfter }, "\(Set(down.map { "\($0.status) \($0.body)" }))")
            #expect(try #require(healed) < .seconds(10))
            #expect(!healedAnswers.isEmpty)
            #expect(healedAnswers.allSatisfy { $0.status == 200 }, "\(Set(healedAnswers.map { "\($0.status) \($0.body)" }))")
            // The token from before the outage is still good, and new logins work.
            #expect(try await node.info(appKey, token).status == 200)
            #expect(try await node.login(appKey, "ann").status == 200)
            // One line for the outage, with its cause, and one for the return.
            let log = node.output.text.withLock { $0 }
            let outageLines = log.split(separator: "\n").filter { $0.contains("the database does not answer;") }
            #expect(outageLines.count == 1, "\(outageLines)")
            #expect(outageLines.first?.contains("cause=") == true)
            #expect(log.contains("the database answers again"))
        }
    }

    @Test func aFrozenDatabaseIsAnswered503WithinTheTimeout() async throws {
        defer { try? FileManager.default.removeItem(at: self.directory) }
        try await withCleanup { cleanup in
            let cluster = self.directory.appendingPathComponent("pg").path
            let database = try await Self.script(["start", cluster]).trimmingCharacters(in: .whitespacesAndNewlines)
            cleanup.add { _ = try? await Self.script(["stop", cluster]) }
            let appKey = try await self.seed(database, maxFailuresPerDevice: 1000)
            let node = try await Node.start(database: database, key: self.key, outbox: self.outbox("a"), extra: ["--database-timeout", "2"])
            cleanup.add { await node.stop() }
            let token = try #require(try await node.login(appKey, "ann").json["Token"] as? String)

            // The server stops answering without closing a connection (a hung host, a cut network): statements
            // already sent never return, so only the node's own clock can end them.
            _ = try await Self.script(["freeze", cluster])
            let thawed = Shared(false)
            cleanup.add { if !thawed.withLock({ $0 }) { _ = try? await Self.script(["thaw", cluster]) } }
            var slowest = Duration.zero
            for index in 0..<4 {
                let started = ContinuousClock.now
                let answer = index == 2 ? try await node.login(appKey, "ann") : try await node.info(appKey, token)
                slowest = max(slowest, ContinuousClock.now - started)
                #expect(answer.status == 503 && answer.retryAfter != nil, "\(answer.status) \(answer.body)")
            }
            #expect(try await node.get("/readyz").status == 503)
            print("frozen database: slowest answer \(slowest) with --database-timeout 2")
            // The timeout (2 s) plus at most a second for the probe that tells why, and some slack for a busy machine.
            #expect(slowest < .seconds(6))

            _ = try await Self.script(["thaw", cluster])
            thawed.withLock { $0 = true }
            let restarted = ContinuousClock.now
            var ready = false
            while !ready && ContinuousClock.now - restarted < .seconds(30) {
                ready = try await node.get("/readyz").status == 200
                if !ready { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(ready)
            #expect(try await node.info(appKey, token).status == 200)
        }
    }

    // MARK: Durability

    @Test(arguments: TestBackend.sql) func aNodeKilledMidBurstLostNoAnsweredToken(_ backend: TestBackend) async throws {
        defer { try? FileManager.default.removeItem(at: self.directory) }
        try await TestDatabase.with(backend) { database in
            try await withCleanup { cleanup in
                let appKey = try await self.seed(database.argument, maxFailuresPerDevice: 1000)
                let node = try await Node.start(database: database.argument, key: self.key, outbox: self.outbox("a"))
                let tokens = Shared<[String]>([])
                let stop = Shared(false)
                let burst = Task {
                    await withTaskGroup(of: Void.self) { group in
                        for _ in 0..<6 {
                            group.addTask {
                                while !stop.withLock({ $0 }) {
                                    // A connection refused or cut by the kill is no answer: nothing to check.
                                    guard let answer = try? await node.login(appKey, "ann") else { continue }
                                    if answer.status == 200, let token = answer.json["Token"] as? String {
                                        tokens.withLock { $0.append(token) }
                                    }
                                }
                            }
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(2500))
                await node.kill()
                try await Task.sleep(for: .milliseconds(300))
                stop.withLock { $0 = true }
                await burst.value
                let answered = tokens.withLock { $0 }
                print("SIGKILL on \(backend): \(answered.count) tokens answered 200 before the kill")
                #expect(answered.count >= 5, "the burst got too few tokens to mean anything: \(answered.count)")

                let restarted = try await Node.start(database: database.argument, key: self.key, outbox: self.outbox("b"))
                cleanup.add { await restarted.stop() }
                var lost: [String] = []
                for token in answered where try await restarted.info(appKey, token).status != 200 {
                    lost.append(token)
                }
                #expect(lost.isEmpty, "\(lost.count) of \(answered.count) tokens answered 200 were lost")
            }
        }
    }

    // MARK: The message queue

    @Test(arguments: TestBackend.sql) func aQueuedResetCodeSurvivesAKilledNode(_ backend: TestBackend) async throws {
        defer { try? FileManager.default.removeItem(at: self.directory) }
        try await TestDatabase.with(backend) { database in
            try await withCleanup { cleanup in
                let appKey = try await self.seed(database.argument, maxFailuresPerDevice: 10)
                // Node a's mail server refuses every connection: the code cannot leave, and is due again in 5 s.
                let deadPort = try Self.freePort()
                let failing = try await Node.start(
                    database: database.argument,
                    key: self.key,
                    outbox: self.outbox("a"),
                    extra: ["--smtp", "smtp://127.0.0.1:\(deadPort)", "--smtp-from", "no-reply@broker.example"]
                )
                let asked = try await failing.send(
                    "POST",
                    "/v1.0/users/password/reset",
                    ["Et-App-Key": appKey, "Content-Type": "application/json"],
                    body: #"{"User":"bob"}"#
                )
                #expect(asked.status == 200, "\(asked.body)")
                // The answer came before any try to send; give the first try its moment, then kill the node outright.
                try await Task.sleep(for: .milliseconds(500))
                await failing.kill()
                #expect(try await self.latestCode(to: "bob@example.com", attempts: 1) == nil)

                // Another node, whose mail works, sends it when it is due: nothing queued was lost.
                let node = try await Node.start(database: database.argument, key: self.key, outbox: self.outbox("b"))
                cleanup.add { await node.stop() }
                let code = try #require(try await self.latestCode(to: "bob@example.com", attempts: 400), "the queued code never left")
                let redeemed = try await node.send(
                    "POST",
                    "/v1.0/users/identifiers/reset/code",
                    ["Et-App-Key": appKey, "Content-Type": "application/json"],
                    body: #"{"Code":"\#(code)","Identifier":"ResetPassword"}"#
                )
                #expect(redeemed.status == 200, "\(redeemed.body)")
            }
        }
    }

    @Test func aPolicyChangeReachesEveryNodeWithinTheCacheLifeAndIsAudited() async throws {
        defer { try? FileManager.default.removeItem(at: self.directory) }
        try await TestDatabase.with(.postgres) { database in
            try await withCleanup { cleanup in
                let appKey = try await self.seed(database.argument, maxFailuresPerDevice: 10)
                let a = try await Node.start(database: database.argument, key: self.key, outbox: self.outbox("a"))
                cleanup.add { await a.stop() }
                let b = try await Node.start(database: database.argument, key: self.key, outbox: self.outbox("b"))
                cleanup.add { await b.stop() }
                #expect(try await a.login(appKey, "ann").status == 200)
                #expect(try await b.login(appKey, "ann").status == 200)

                let updated = try await Self.check(
                    Self.tessera(
                        [
                            "company", "update", "acme", "--throttle-answer", "etna", "--max-failures-per-address", "1",
                            "--cors-origin", "HTTPS://Trade.Broker.Example:443/", "--database", database.argument,
                        ],
                        key: self.key
                    )
                )
                #expect(updated.stdout.contains("Updated company"))
                let shown = try await Self.check(Self.tessera(["company", "show", "acme", "--database", database.argument], key: self.key))
                #expect(shown.stdout.contains("etna") && shown.stdout.contains("https://trade.broker.example"), "\(shown.stdout)")
                let audit = try await Self.check(Self.tessera(["audit", "list", "--database", database.argument], key: self.key))
                #expect(audit.stdout.contains("company.updated") && audit.stdout.contains("throttleAnswer: 429 → etna"), "\(audit.stdout)")
                let refused = try await Self.tessera(
                    ["company", "update", "acme", "--cors-origin", "https://*.broker.example", "--database", database.argument],
                    key: self.key
                )
                #expect(refused.status != 0 && refused.stderr.contains("--cors-origin"), "\(refused.stderr)")

                // Within the app-key cache's life (2 s) both nodes answer by the new policy: one failure, then ETNA's
                // throttle answer.
                try await Task.sleep(for: .milliseconds(2_500))
                for node in [a, b] {
                    _ = try await node.login(appKey, "ann", password: "not the password")
                    let throttled = try await node.login(appKey, "ann")
                    #expect(throttled.status == 401 && throttled.body.contains("Too many login requests"), "\(throttled.body)")
                }
            }
        }
    }

    // MARK: Start

    @Test func aDatabaseThatCannotBeUsedStopsTheStartAtOnceWithTheReason() async throws {
        defer { try? FileManager.default.removeItem(at: self.directory) }
        try await withCleanup { cleanup in
            let port = try Self.freePort()
            let cluster = self.directory.appendingPathComponent("pg").path
            let admin = try await Self.script(["start", cluster]).trimmingCharacters(in: .whitespacesAndNewlines)
            cleanup.add { _ = try? await Self.script(["stop", cluster]) }
            _ = try await Self.script(["password-user", cluster, "teller", "the-right-secret"])
            let server = try #require(URLComponents(string: admin)).port ?? 0
            for (url, reason) in [
                ("postgres://tessera:secret@127.0.0.1:\(port)/tessera", "cannot connect"),
                ("postgres://postgres@127.0.0.1:\(server)/no_such_database", "does not exist"),
                ("postgres://teller:the-wrong-secret@127.0.0.1:\(server)/postgres", "password authentication failed"),
            ] {
                let started = ContinuousClock.now
                let run = try await Self.tessera(["serve", "--database", url, "--port", "0"], key: self.key)
                #expect(run.status != 0)
                #expect(run.stderr.contains(reason), "\(run.stderr)")
                #expect(!run.stderr.contains("secret"), "the password must not be printed: \(run.stderr)")
                #expect(!run.stderr.contains("wrong"), "the password must not be printed: \(run.stderr)")
                #expect(ContinuousClock.now - started < .seconds(15))
            }
        }
    }

    // MARK: Helpers

    func outbox(_ name: String) -> String { self.directory.appendingPathComponent("outbox-\(name).jsonl").path }

    /// A company whose device limit is `maxFailuresPerDevice`, an app key (returned), `ann` (password only) and
    /// `bob` (email 2-FA).
    func seed(_ database: String, maxFailuresPerDevice: Int) async throws -> String {
        try await Self.check(
            Self.tessera(
                ["company", "create", "acme", "--max-failures-per-device", "\(maxFailuresPerDevice)", "--database", database],
                key: self.key
            )
        )
        let app = try await Self.check(
            Self.tessera(["app", "create", "--company", "acme", "--name", "terminal", "--database", database], key: self.key)
        )
        try await Self.check(
            Self.tessera(
                ["user", "create", "--company", "acme", "--username", "ann", "--password-stdin", "--database", database],
                key: self.key,
                stdin: Self.password + "\n"
            )
        )
        try await Self.check(
            Self.tessera(
                [
                    "user", "create", "--company", "acme", "--username", "bob", "--password-stdin", "--email", "bob@example.com", "--two-factor",
                    "email", "--database", database,
                ],
                key: self.key,
                stdin: Self.password + "\n"
            )
        )
        return try #require(app.stdout.split(separator: "\n").last.map(String.init))
    }

    /// The newest code sent to `destination` by any node (waiting up to `attempts` × 50 ms for it), other than
    /// `other`.
    func latestCode(to destination: String, other: String? = nil, attempts: Int = 100) async throws -> String? {
        for _ in 0..<attempts {
            var found: String?
            for name in ["a", "b"] {
                guard let data = FileManager.default.contents(atPath: self.outbox(name)) else { continue }
                for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                    guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                        object["to"] as? String == destination || object["destination"] as? String == destination,
                        let code = object["code"] as? String, code != other
                    else { continue }
                    found = code
                }
            }
            if let found { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    typealias Run = CLITests.Run

    @discardableResult
    static func check(_ run: Run) throws -> Run {
        guard run.status == 0 else { throw TestDatabaseError("tessera failed: \(run.stderr)") }
        return run
    }

    static func tessera(_ arguments: [String], key: String, stdin: String? = nil) async throws -> Run {
        try await CLITests.run(arguments, stdin: stdin, environment: ["TESSERA_SECRET_KEY": key])
    }

    /// Runs `scripts/pg-test-server` and returns what it printed.
    static func script(_ arguments: [String]) async throws -> String {
        try await blocking { try Self.scriptBlocking(arguments) }
    }

    private static func scriptBlocking(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.packageRoot.appendingPathComponent("scripts/pg-test-server").path] + arguments
        // Into a file, not a pipe: the PostgreSQL server it starts may keep inherited pipe ends open for its life.
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("pg-test-server-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardOutput = output
        try launch(process)
        process.waitUntilExit()
        try output.close()
        guard process.terminationStatus == 0 else { throw TestDatabaseError("pg-test-server \(arguments) failed") }
        return String(decoding: FileManager.default.contents(atPath: outputPath) ?? Data(), as: UTF8.self)
    }

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// State the test's tasks share.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func withLock<T>(_ body: (inout Value) -> T) -> T { self.value.withLock { body(&$0) } }
}

/// One answer of a load test, and the phase of the test it began and ended in.
struct Sample: Sendable {
    var phase: String
    var status: Int
    var retryAfter: Bool
    var body: String
}

/// One `tessera serve` process.
final class Node: Sendable {
    let process: Process
    let port: String
    let output: CLITests.Output

    private init(process: Process, port: String, output: CLITests.Output) {
        self.process = process
        self.port = port
        self.output = output
    }

    static func start(database: String, key: String, outbox: String, extra: [String] = []) async throws -> Node {
        let process = Process()
        process.executableURL = CLITests.executable
        process.arguments = ["serve", "--database", database, "--port", "0", "--outbox", outbox] + extra
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TESSERA_") }
            .merging(["TESSERA_SECRET_KEY": key]) { $1 }
        let log = Pipe()
        process.standardOutput = log
        process.standardError = log
        let output = CLITests.Output()
        log.fileHandleForReading.readabilityHandler = { handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            output.text.withLock { $0 += text }
        }
        try launch(process)
        for _ in 0..<400 {
            try await Task.sleep(for: .milliseconds(50))
            let port = output.text.withLock { text in
                text.range(of: "address=127.0.0.1:").map { String(text[$0.upperBound...].prefix { $0.isNumber }) }
            }
            if let port { return Node(process: process, port: port, output: output) }
            if !process.isRunning { break }
        }
        process.terminate()
        throw TestDatabaseError("the node did not start: \(output.text.withLock { $0 })")
    }

    /// SIGTERM, and SIGKILL if the node has not stopped 20 s later (a test must not hang on a node).
    func stop() async {
        guard self.process.isRunning else { return }
        self.process.terminate()
        let deadline = ContinuousClock.now + .seconds(20)
        while self.process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if self.process.isRunning {
            let tail = self.output.text.withLock { $0 }.split(separator: "\n").suffix(20).joined(separator: "\n")
            print("node on port \(self.port) did not stop within 20 s of SIGTERM; killing it. Its last lines:\n\(tail)")
            await self.kill()
        } else {
            _ = try? await blocking { self.process.waitUntilExit() }
        }
    }

    func kill() async {
        Foundation.kill(self.process.processIdentifier, SIGKILL)
        _ = try? await blocking { self.process.waitUntilExit() }
    }

    struct Answer: Sendable {
        var status: Int
        var body: String
        var retryAfter: String?
        var json: [String: any Sendable] {
            ((try? JSONSerialization.jsonObject(with: Data(self.body.utf8))) as? [String: Any])?.compactMapValues { $0 as? String } ?? [:]
        }
    }

    func send(_ method: String, _ path: String, _ headers: [String: String], body: String? = nil) async throws -> Answer {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(self.port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        request.timeoutInterval = 30
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return Answer(
            status: http?.statusCode ?? 0,
            body: String(decoding: data, as: UTF8.self),
            retryAfter: http?.value(forHTTPHeaderField: "Retry-After")
        )
    }

    func get(_ path: String) async throws -> Answer {
        try await self.send("GET", path, [:])
    }

    func login(
        _ appKey: String,
        _ username: String,
        password: String = MultiNodeTests.password,
        interim: String? = nil,
        code: String? = nil
    )
        async throws -> Answer
    {
        var headers = ["Et-App-Key": appKey, "Username": username, "Password": password]
        if let interim { headers["Authorization"] = "Bearer \(interim)" }
        if let code { headers["VerificationCode"] = code }
        return try await self.send("POST", "/token", headers)
    }

    func info(_ appKey: String, _ token: String) async throws -> Answer {
        try await self.send("GET", "/v1.0/users/@me/info", ["Et-App-Key": appKey, "Authorization": "Bearer \(token)"])
    }

    func logout(_ appKey: String, _ token: String) async throws -> Int {
        try await self.send("DELETE", "/token", ["Et-App-Key": appKey, "Authorization": "Bearer \(token)"]).status
    }
}
