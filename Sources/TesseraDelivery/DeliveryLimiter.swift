import Synchronization

/// Bounds the sends in flight on one channel. A send that finds every slot taken fails at once with
/// ``DeliveryError/busy`` (the login answers `503`), so a slow mail server cannot pile up unbounded work.
public final class DeliveryLimiter: Sendable {
    public let limit: Int
    private let inFlight = Mutex(0)

    public init(limit: Int) {
        precondition(limit > 0, "a limiter needs at least one slot")
        self.limit = limit
    }

    /// Runs `body` in a slot, or throws ``DeliveryError/busy`` without running it.
    public func run<T>(_ body: () async throws -> T) async throws -> T {
        let acquired = self.inFlight.withLock { count in
            guard count < self.limit else { return false }
            count += 1
            return true
        }
        guard acquired else { throw DeliveryError.busy }
        defer { self.inFlight.withLock { $0 -= 1 } }
        return try await body()
    }
}
