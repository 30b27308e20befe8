import Foundation

/// One login attempt that may count as a failure: whose account, from where, when.
public struct LoginAttempt: Sendable, Equatable {
    public var id: String
    public var companyID: Int64
    /// The account, by its username key, whether or not such a user exists (so a lock reveals nothing).
    public var usernameKey: String
    public var address: String
    public var at: Date

    public init(id: String, companyID: Int64, usernameKey: String, address: String, at: Date) {
        self.id = id
        self.companyID = companyID
        self.usernameKey = usernameKey
        self.address = address
        self.at = at
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

    public init(pairSince: Date, pairLimit: Int, accountSince: Date, accountLimit: Int, addressSince: Date, addressLimit: Int) {
        self.pairSince = pairSince
        self.pairLimit = pairLimit
        self.accountSince = accountSince
        self.accountLimit = accountLimit
        self.addressSince = addressSince
        self.addressLimit = addressLimit
    }
}

/// Failure counters and account locks, counted in the database so parallel requests (and several nodes) add up.
public protocol AttemptStore: Sendable {
    /// Records the attempt as a failure only if the account (from this address and from anywhere) and the address
    /// (across accounts) are still under their limits — one atomic step, so parallel guesses get exactly the
    /// limit's worth of tries, never more. `false` when a limit is reached (nothing is recorded).
    func reserveAttempt(_ attempt: LoginAttempt, limits: AttemptLimits) async throws -> Bool
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
}
