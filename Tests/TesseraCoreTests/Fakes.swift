import Foundation
import Synchronization
import TesseraCore

typealias TestClock = ManualClock

/// Predictable secrets: `token-1`, `token-2`, … and codes from a list (then `000000`).
final class CountingGenerator: SecretGenerator {
    private let state: Mutex<(tokens: Int, codes: [String])>

    init(codes: [String] = ["123456", "234567", "345678"]) {
        self.state = Mutex((0, codes))
    }

    func token() -> String {
        self.state.withLock {
            $0.tokens += 1
            return "token-\($0.tokens)"
        }
    }

    func numericCode(digits: Int) -> String {
        self.state.withLock { $0.codes.isEmpty ? String(repeating: "0", count: digits) : $0.codes.removeFirst() }
    }
}

/// A hasher that counts its work: `hash:<password>` strings, no slowness.
final class CountingHasher: PasswordHasher {
    private let counts = Mutex((verifies: 0, dummies: 0))

    var verifies: Int { self.counts.withLock { $0.verifies } }
    var dummies: Int { self.counts.withLock { $0.dummies } }

    func hash(_ password: String) async throws -> String { "hash:" + password }

    func verify(_ password: String, against hash: String, lane: HashLane) async throws -> Bool {
        self.counts.withLock { $0.verifies += 1 }
        return hash == "hash:" + password
    }

    func verifyDummy(_ password: String, lane: HashLane) async throws {
        self.counts.withLock { $0.dummies += 1 }
    }
}

/// Records what would be sent.
final class RecordingSender: CodeSender {
    private let sent = Mutex<[OutgoingMessage]>([])
    var messages: [OutgoingMessage] { self.sent.withLock { $0 } }

    func send(_ message: OutgoingMessage) async throws {
        self.sent.withLock { $0.append(message) }
    }
}

/// A channel that is down until told otherwise: records only what it delivered.
final class FlakySender: CodeSender {
    struct Down: Error {}
    private let state = Mutex((up: false, delivered: [OutgoingMessage](), refused: 0))

    var messages: [OutgoingMessage] { self.state.withLock { $0.delivered } }
    var refused: Int { self.state.withLock { $0.refused } }

    func comeUp() { self.state.withLock { $0.up = true } }

    func send(_ message: OutgoingMessage) async throws {
        try self.state.withLock {
            guard $0.up else {
                $0.refused += 1
                throw Down()
            }
            $0.delivered.append(message)
        }
    }
}
