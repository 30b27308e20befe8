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

    /// The limits a password attempt at `now` is reserved under. `countingRefusals` makes an attempt refused for
    /// its account count against the address (`/token` logins do; a password change behind a token does not).
    public func limits(at now: Date, countingRefusals: Bool = false) -> AttemptLimits {
        AttemptLimits(
            pairSince: self.pairSince(now),
            pairLimit: self.policy.pairFailureLimit,
            accountSince: self.accountSince(now),
            accountLimit: self.policy.accountFailureLimit,
            addressSince: self.addressSince(now),
            addressLimit: self.policy.addressFailureLimit,
            countsRefusals: countingRefusals
        )
    }

    /// The account key under which attempts refused unverified are counted: they count against the address
    /// (so hammering a locked account still ends in `429`), never against an account.
    public static let refusedAttemptsKey = "#refused"

    /// Whether a later step of a login may go on, given the failures so far.
    public func allowsContinuing(_ counts: AttemptCounts, lockedUntil: Date?) -> Bool {
        lockedUntil == nil && counts.pair < self.policy.pairFailureLimit
            && counts.account < self.policy.accountFailureLimit
    }

    /// Whether the account's failures call for a lock.
    public func shouldLock(_ counts: AttemptCounts) -> Bool {
        counts.account >= self.policy.accountFailureLimit
    }

    public func pairSince(_ now: Date) -> Date { now.addingTimeInterval(-self.policy.pairWindow) }
    public func accountSince(_ now: Date) -> Date { now.addingTimeInterval(-self.policy.accountWindow) }
    public func addressSince(_ now: Date) -> Date { now.addingTimeInterval(-self.policy.addressWindow) }
}
