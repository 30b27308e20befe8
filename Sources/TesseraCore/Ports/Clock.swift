import Foundation

/// Where the core reads the time. The server uses ``SystemClock``; tests move a clock by hand.
public protocol WallClock: Sendable {
    var now: Date { get }
}

/// The system's wall clock.
public struct SystemClock: WallClock {
    public init() {}
    public var now: Date { Date() }
}
