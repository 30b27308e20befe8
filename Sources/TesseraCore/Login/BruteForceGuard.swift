import Foundation

/// The policy of the three layers against guessing, without I/O: given counts, it decides.
public struct BruteForceGuard: Sendable {
    public let policy: LockoutPolicy

    public init(policy: LockoutPolicy) {
        self.policy = policy
    }

    /// When failures from one address have used up its budget: the seconds until the oldest leaves the window.
    public func retryAfter(addressFailures count: Int, oldest: Date?, now: Date) -> Int? {
        guard count >= self.policy.addressFailureLimit else { return nil }
        let release = (oldest ?? now).addingTimeInterval(self.policy.addressWindow)
        return max(1, Int(release.timeIntervalSince(now).rounded(.up)))
    }

    /// Whether a later step of a login may go on, given the failures so far.
    public func allowsContinuing(_ counts: AttemptCounts, lockedUntil: Date?) -> Bool {
        lockedUntil == nil && counts.device < self.policy.deviceFailureLimit
            && counts.account < self.policy.accountFailureLimit
    }

    /// Whether the account's failures call for a lock.
    public func shouldLock(_ counts: AttemptCounts) -> Bool {
        counts.account >= self.policy.accountFailureLimit
    }

    public func deviceSince(_ now: Date) -> Date { now.addingTimeInterval(-self.policy.deviceWindow) }
    public func accountSince(_ now: Date) -> Date { now.addingTimeInterval(-self.policy.accountWindow) }
    public func addressSince(_ now: Date) -> Date { now.addingTimeInterval(-self.policy.addressWindow) }
}
