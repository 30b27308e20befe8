import Foundation

/// What a single-purpose ticket opens.
public enum TicketPurpose: String, Sendable, CaseIterable {
    /// Set a first PIN (`/token` answered "PIN code is not init").
    case pinSetup = "pin-setup"
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
