import Synchronization
import TesseraCore
import Testing

@testable import TesseraBcrypt

/// The turns of the hashing pool, without hashing: who gets a freed slot, and who is refused.
@Suite struct HashingPoolTests {
    typealias Gate = HashingPool.Gate
    static let flood = HashLane(address: "198.51.100.66")

    /// The lanes granted, in order.
    final class Granted: Sendable {
        private let names = Mutex<[String]>([])
        func append(_ name: String) { self.names.withLock { $0.append(name) } }
        func withLock<T>(_ body: ([String]) -> T) -> T { self.names.withLock { body($0) } }
    }

    /// Starts `acquire` for each lane in order, each waiting its turn, recording the grants in `granted`.
    func queue(_ lanes: [HashLane], at gate: Gate, granted: Granted) async -> [Task<Gate.Outcome, Never>] {
        var tasks: [Task<Gate.Outcome, Never>] = []
        let before = await gate.waitingCount
        for (index, lane) in lanes.enumerated() {
            let name = "\(lane.address ?? "-")#\(index)"
            tasks.append(
                Task {
                    let outcome = await gate.acquire(lane, waitingAtMost: .seconds(60))
                    if outcome == .granted { granted.append(name) }
                    return outcome
                }
            )
            // Queued in this order.
            while await gate.waitingCount < before + index + 1 { await Task.yield() }
        }
        return tasks
    }

    @Test func aFreedSlotGoesToTheLaneServedLeastRecently() async {
        let gate = Gate(limit: 1, perLane: 2, maximumWaiting: 64)
        #expect(await gate.acquire(Self.flood, waitingAtMost: .seconds(60)) == .granted)
        let granted = Granted()
        let user = HashLane(address: "192.0.2.1")
        // Five of the flood wait, then a user who has not hashed at all.
        _ = await self.queue(Array(repeating: Self.flood, count: 5) + [user], at: gate, granted: granted)
        await gate.release(Self.flood)
        while granted.withLock({ $0.count }) < 1 { await Task.yield() }
        #expect(granted.withLock { $0 } == ["192.0.2.1#5"], "the user goes before the flood's waiting work")
        // Then the flood again, in its own order.
        await gate.release(user)
        while granted.withLock({ $0.count }) < 2 { await Task.yield() }
        #expect(granted.withLock { $0 }.last == "198.51.100.66#0")
    }

    @Test func oneAddressRunsAtMostItsShareWhileOthersWait() async {
        let gate = Gate(limit: 3, perLane: 2, maximumWaiting: 64)
        #expect(await gate.acquire(Self.flood, waitingAtMost: .seconds(60)) == .granted)
        #expect(await gate.acquire(Self.flood, waitingAtMost: .seconds(60)) == .granted)
        let granted = Granted()
        // A slot is free, but not for a third of the flood's.
        _ = await self.queue([Self.flood], at: gate, granted: granted)
        #expect(granted.withLock { $0 }.isEmpty)
        // Another address takes the free slot at once.
        #expect(await gate.acquire(HashLane(address: "192.0.2.2"), waitingAtMost: .seconds(60)) == .granted)
        await gate.release(Self.flood)
        while granted.withLock({ $0.count }) < 1 { await Task.yield() }
        #expect(granted.withLock { $0 } == ["198.51.100.66#0"])
    }

    @Test func priorityWorkGoesFirstAndAFullLaneIsRefusedAtOnce() async {
        let gate = Gate(limit: 1, perLane: 1, maximumWaiting: 2)
        #expect(await gate.acquire(HashLane(address: "10.0.0.9"), waitingAtMost: .seconds(60)) == .granted)
        let granted = Granted()
        let returning = HashLane(address: "192.0.2.3", priority: true)
        _ = await self.queue([HashLane(address: "10.0.0.1"), Self.flood, returning], at: gate, granted: granted)
        await gate.release(HashLane(address: "10.0.0.9"))
        while granted.withLock({ $0.count }) < 1 { await Task.yield() }
        #expect(granted.withLock { $0 } == ["192.0.2.3#2"])
        // The flood's lane may keep two waiting; a third is refused without waiting.
        _ = await self.queue([Self.flood], at: gate, granted: granted)
        #expect(await gate.acquire(Self.flood, waitingAtMost: .seconds(60)) == .laneFull)
    }

    @Test func aWaitPastItsBoundIsRefused() async {
        let gate = Gate(limit: 1, perLane: 1, maximumWaiting: 64)
        #expect(await gate.acquire(.unattributed, waitingAtMost: .seconds(60)) == .granted)
        #expect(await gate.acquire(HashLane(address: "10.0.0.1"), waitingAtMost: .milliseconds(50)) == .timedOut)
        #expect(await gate.waitingCount == 0)
    }

    @Test func aRememberedDeviceGoesFirstAndIsNotHeldUpByAFloodFromItsAddress() async {
        let gate = Gate(limit: 1, perLane: 1, maximumWaiting: 2)
        #expect(await gate.acquire(Self.flood, waitingAtMost: .seconds(60)) == .granted)
        let granted = Granted()
        // The flood fills its lane; a priority login and then a remembered device from the flood's own address wait.
        let device = HashLane(address: Self.flood.address, trusted: true)
        _ = await self.queue([Self.flood, Self.flood, HashLane(address: "192.0.2.4", priority: true), device], at: gate, granted: granted)
        #expect(await gate.acquire(Self.flood, waitingAtMost: .seconds(60)) == .laneFull)
        await gate.release(Self.flood)
        while granted.withLock({ $0.count }) < 1 { await Task.yield() }
        #expect(granted.withLock { $0 } == ["198.51.100.66#3"], "the remembered device before everyone")
        await gate.release(device)
        while granted.withLock({ $0.count }) < 2 { await Task.yield() }
        #expect(granted.withLock { $0 }.last == "192.0.2.4#2")
    }
}
