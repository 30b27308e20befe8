import Foundation

/// Which budget an attempt counts against. Each scope counts its failures apart, by account, pair and address.
public enum AttemptScope: String, Sendable, Equatable, CaseIterable {
    /// Passwords, codes and PINs at `/token`, and the old password of a change: the three layers.
    case login
    /// Secret answers and reset codes: the reset path's own budget, so wrong answers throttle resets of the
    /// account and never its logins.
    case reset
}

/// One attempt that may count as a failure: whose account, from where, when, and in which budget.
public struct LoginAttempt: Sendable, Equatable {
    public var id: String
    public var companyID: Int64
    /// The account, by its username key, whether or not such a user exists (so a lock reveals nothing).
    public var usernameKey: String
    public var address: String
    public var at: Date
    public var scope: AttemptScope

    public init(id: String, companyID: Int64, usernameKey: String, address: String, at: Date, scope: AttemptScope = .login) {
        self.id = id
        self.companyID = companyID
        self.usernameKey = usernameKey
        self.address = address
        self.at = at
        self.scope = scope
    }
}

/// Failures counted in the two windows of ``LockoutPolicy``.
public struct AttemptCounts: Sendable, Equatable {
    /// Failures of this account from this address.
    public var pair: Int
    /// Failures of this account from anywhere.
    public var account: Int

    public init(pair: Int, account: Int) {
        self.pair = pair
        self.account = account
    }
}

/// The windows and limits a reservation is checked against.
public struct AttemptLimits: Sendable, Equatable {
    public var pairSince: Date
    public var pairLimit: Int
    public var accountSince: Date
    public var accountLimit: Int
    public var addressSince: Date
    public var addressLimit: Int
    /// Whether an attempt refused for its account (locked, or the pair or the account out of failures) still counts
    /// against the address, under ``BruteForceGuard/refusedAttemptsKey``: so hammering a locked account from one
    /// address ends in `429` like guessing across accounts does.
    public var countsRefusals: Bool

    public init(
        pairSince: Date,
        pairLimit: Int,
        accountSince: Date,
        accountLimit: Int,
        addressSince: Date,
        addressLimit: Int,
        countsRefusals: Bool = false
    ) {
        self.countsRefusals = countsRefusals
        self.pairSince = pairSince
        self.pairLimit = pairLimit
        self.accountSince = accountSince
        self.accountLimit = accountLimit
        self.addressSince = addressSince
        self.addressLimit = addressLimit
    }
}

/// What a reservation found.
public enum AttemptReservation: Sendable, Equatable {
    /// The attempt is recorded as a failure until it is forgotten: the secret may be checked.
    case reserved
    /// The account is locked, or the pair or the account has used up its failures: nothing counts against the
    /// account (and, with ``AttemptLimits/countsRefusals``, one refused attempt counts against the address).
    case refused
    /// The address has used up its failures across accounts: nothing was recorded. `oldest` is the oldest failure
    /// still in the address's window, from which the wait follows.
    case addressExhausted(oldest: Date?)
}

/// An account locked until a time.
public struct AccountLock: Sendable, Equatable {
    public var companyID: Int64
    public var usernameKey: String
    public var until: Date

    public init(companyID: Int64, usernameKey: String, until: Date) {
        self.companyID = companyID
        self.usernameKey = usernameKey
        self.until = until
    }
}

/// Failure counters and account locks, counted in the database so parallel requests (and several nodes) add up.
public protocol AttemptStore: Sendable {
    /// Decides all three layers for one attempt in one atomic step, so parallel guesses get exactly the limits'
    /// worth of tries and of hashes, never more: the address first (across accounts), then the account's lock, the
    /// pair (this account from this address) and the account from anywhere. Only ``AttemptReservation/reserved``
    /// records the attempt against the account.
    func reserveAttempt(_ attempt: LoginAttempt, limits: AttemptLimits) async throws -> AttemptReservation
    /// Records a failure unconditionally (a wrong code or PIN) and returns the counts that include it.
    func recordAttempt(_ attempt: LoginAttempt, pairSince: Date, accountSince: Date) async throws -> AttemptCounts
    /// Forgets an attempt that turned out not to be a failure (a right password, or one refused unverified).
    func forgetAttempt(id: String) async throws
    /// The counts for an account and address, without recording anything.
    func counts(
        companyID: Int64,
        usernameKey: String,
        address: String,
        pairSince: Date,
        accountSince: Date
    )
        async throws -> AttemptCounts
    /// Failures from one address across every account since `since`, and the oldest of them.
    func failures(address: String, since: Date) async throws -> (count: Int, oldest: Date?)
    /// Locks the account until `until`; `true` when it was not locked already (so the user is told once).
    func lock(companyID: Int64, usernameKey: String, until: Date, now: Date) async throws -> Bool
    /// When the account's lock ends, or `nil` when it is not locked at `now`.
    func lockedUntil(companyID: Int64, usernameKey: String, now: Date) async throws -> Date?
    /// Lifts a lock and forgets the account's failures; `true` when there was anything to lift.
    func unlock(companyID: Int64, usernameKey: String) async throws -> Bool
    /// Every account locked at `now`, the latest lock end first (at most 1,000).
    func currentLocks(now: Date) async throws -> [AccountLock]
}
