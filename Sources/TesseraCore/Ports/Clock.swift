import Foundation
import Synchronization

/// Where the core reads the time. The server uses ``SystemClock``; tests move a clock by hand.
public protocol WallClock: Sendable {
    var now: Date { get }
}

/// The system's wall clock.
public struct SystemClock: WallClock {
    public init() {}
    public var now: Date { Date() }
}

/// A clock that moves only when told: for tests of expiry, here and in the projects that embed Tessera.
public final class ManualClock: WallClock {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.current = Mutex(start)
    }

    public var now: Date { self.current.withLock { $0 } }

    /// Moves the clock forward by `seconds`.
    public func advance(by seconds: TimeInterval) {
        self.current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}
