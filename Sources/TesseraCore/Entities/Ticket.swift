import Foundation

/// What a single-purpose ticket opens.
public enum TicketPurpose: String, Sendable, CaseIterable {
    /// Set a first PIN (`/token` answered "PIN code is not init").
    case pinSetup = "pin-setup"
    /// Replace an expired password (`/token` answered "Your Password has expired and must be changed").
    case passwordChange = "password-change"
    /// Set a new password after a reset code was redeemed.
    case resetPassword = "reset-password"
    /// Set a new PIN after a reset code was redeemed.
    case resetPin = "reset-pin"

    /// Whether the ticket opens `PUT /v1.0/users/passwords/reset`.
    public var setsPassword: Bool { self == .passwordChange || self == .resetPassword }
    /// Whether the ticket opens the PIN endpoints.
    public var setsPin: Bool { self == .pinSetup || self == .resetPin }
}

/// A single-use, short-lived ticket bound to one user and one purpose. Only its digest is stored.
public struct Ticket: Sendable, Equatable {
    public var digest: String
    public var userID: Int64
    public var appKeyID: Int64
    public var purpose: TicketPurpose
    public var createdAt: Date
    public var expiresAt: Date
    public var usedAt: Date?

    /// Whether the ticket may be used at `now` by `appKeyID` for something `accepts` allows.
    public func isUsable(at now: Date, appKeyID: Int64, for accepts: (TicketPurpose) -> Bool) -> Bool {
        self.usedAt == nil && now < self.expiresAt && self.appKeyID == appKeyID && accepts(self.purpose)
    }

    public init(
        digest: String,
        userID: Int64,
        appKeyID: Int64,
        purpose: TicketPurpose,
        createdAt: Date,
        expiresAt: Date,
        usedAt: Date? = nil
    ) {
        self.digest = digest
        self.userID = userID
        self.appKeyID = appKeyID
        self.purpose = purpose
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}
