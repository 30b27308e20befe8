import ArgumentParser
import Foundation
import TesseraBcrypt
import TesseraCore

/// `tessera bench-hash`: the bare throughput of the server's password hasher, for `scripts/bench` to compare
/// `/token` logins against in the same run, on the same cores.
struct BenchHashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-hash",
        abstract: "Measure password verifications per second of the server's hasher (for scripts/bench).",
        shouldDisplay: false
    )

    @Option(help: "How long to run, in seconds.")
    var seconds: Double = 10

    @Option(help: "Verifications in flight (the server allows one per core).")
    var concurrency = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "bcrypt cost, as `serve --bcrypt-cost`.")
    var bcryptCost: UInt8 = 10

    func run() async throws {
        let hasher = BcryptPasswordHasher(cost: self.bcryptCost, maximumWait: .seconds(3600))
        let hash = try await hasher.hash("bench password 1234")
        let deadline = ContinuousClock.now + .milliseconds(Int(self.seconds * 1000))
        let start = ContinuousClock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<self.concurrency {
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline {
                        _ = try await hasher.verify("bench password 1234", against: hash)
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(String(format: "%.2f", Double(total) / seconds))
    }
}
