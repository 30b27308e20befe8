import Foundation
import Synchronization
import TesseraTestSupport

/// A real server the test runs beside Tessera — an SMTP server (aiosmtpd) or an SMS gateway stand-in — from
/// `Tests/support/*.py`, started on a port of its own and stopped when the test is done.
final class HelperProcess: Sendable {
    private let process: Mutex<Process>
    let port: Int

    private init(process: Process, port: Int) {
        self.process = Mutex(process)
        self.port = port
    }

    /// Starts `Tests/support/<script>` with `arguments` and waits for its `ready <port>` line (off Swift's
    /// concurrency pool: see ``blocking(_:)``).
    static func start(_ script: String, _ arguments: [String]) async throws -> HelperProcess {
        try await blocking { try Self.startBlocking(script, arguments) }
    }

    private static func startBlocking(_ script: String, _ arguments: [String]) throws -> HelperProcess {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("support").appendingPathComponent(script).path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path] + arguments
        let output = Pipe()
        process.standardOutput = output
        try launch(process)
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                process.waitUntilExit()
                throw HelperError(description: "\(script) exited before it was ready (is aiosmtpd installed? .ci/run installs it)")
            }
            line.append(chunk)
        }
        let words = String(decoding: line, as: UTF8.self).split(whereSeparator: \.isWhitespace)
        guard words.count == 2, words[0] == "ready", let port = Int(words[1]) else {
            kill(process.processIdentifier, SIGKILL)
            throw HelperError(description: "\(script) did not say it was ready")
        }
        return HelperProcess(process: process, port: port)
    }

    /// A real SMTP server writing what it accepts to `mailbox`; with `tls`, a directory for its self-signed
    /// certificate (`cert.pem`), and STARTTLS required, or TLS from the first byte when `implicitTLS`.
    static func smtp(
        mailbox: String,
        port: Int = 0,
        auth: String? = nil,
        tls: String? = nil,
        implicitTLS: Bool = false
    ) async throws
        -> HelperProcess
    {
        var arguments = ["--port", "\(port)", "--mailbox", mailbox]
        if let auth { arguments += ["--auth", auth] }
        if let tls { arguments += ["--tls", tls] + (implicitTLS ? ["--implicit-tls"] : []) }
        return try await self.start("smtp_sink.py", arguments)
    }

    /// An SMS gateway stand-in logging each POST to `log`; the first `failing` requests answer 500.
    static func smsGateway(log: String, failing: Int = 0, secret: String? = nil) async throws -> HelperProcess {
        try await self.start("sms_receiver.py", ["--log", log, "--fail", "\(failing)"] + (secret.map { ["--secret", $0] } ?? []))
    }

    func stop() {
        self.process.withLock { process in
            guard process.isRunning else { return }
            // SIGKILL: the test process ignores SIGTERM for its own drain tests, and children inherit that.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit {
        self.stop()
    }

    /// The JSON lines written to `path` so far.
    static func lines(_ path: String) throws -> [[String: any Sendable]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: any Sendable]
        }
    }
}

struct HelperError: Error, CustomStringConvertible {
    let description: String
}
