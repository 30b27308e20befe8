import Foundation

/// What happened, for the audit trail.
public enum AuditKind: String, Sendable, CaseIterable {
    case loginSucceeded = "login.succeeded"
    case loginFailed = "login.failed"
    case loginStep = "login.step"
    case loginThrottled = "login.throttled"
    /// A user signed in from a device (user agent family and network) not seen for them in 90 days.
    case loginNewDevice = "login.new_device"
    /// A user's device was remembered: its `DeviceToken` skips the verification code.
    case deviceRemembered = "device.remembered"
    /// Remembered devices were forgotten by the user or an operator.
    case deviceForgotten = "device.forgotten"
    case accountLocked = "account.locked"
    case accountUnlocked = "account.unlocked"
    case codeSent = "code.sent"
    case tokenIssued = "token.issued"
    /// A refresh token was exchanged for a new access and refresh token.
    case tokenRefreshed = "token.refreshed"
    /// A spent refresh token came back: its whole session was ended.
    case tokenReuseDetected = "token.reuse_detected"
    case companyCreated = "company.created"
    case companyUpdated = "company.updated"
    case appKeyCreated = "app.created"
    case appKeyRevoked = "app.revoked"
    case userCreated = "user.created"
    case userDisabled = "user.disabled"
    case userEnabled = "user.enabled"
    case passwordChanged = "password.changed"
    case passwordExpired = "password.expired"
    case pinChanged = "pin.changed"
    case resetRequested = "reset.requested"
    case resetRedeemed = "reset.redeemed"
    /// Too many wrong secret answers: resets of the account are throttled (its logins are not).
    case resetThrottled = "reset.throttled"
    /// A queued reset code was handed to its channel.
    case resetSent = "reset.sent"
    /// A queued notice was handed to its channel.
    case noticeSent = "notice.sent"
    /// A queued message was given up after its last try.
    case messageFailed = "message.failed"
    case tokensRevoked = "tokens.revoked"
    case authenticatorEnrolled = "authenticator.enrolled"
    case operatorCreated = "operator.created"
    case operatorDeleted = "operator.deleted"
}

/// One security event. It never holds a secret: no password, code, PIN, token or key — only ids and outcomes.
public struct AuditEvent: Sendable, Equatable {
    public var at: Date
    public var kind: AuditKind
    public var companyID: Int64?
    public var userID: Int64?
    public var appKeyID: Int64?
    public var address: String?
    /// `success`, `failure`, or the step and reason of the contract (`VerificationCode: Invalid verification code`).
    public var outcome: String?
    public var requestID: String?
    /// Who acted, for operator actions (`cli`).
    public var actor: String?

    public init(
        at: Date,
        kind: AuditKind,
        companyID: Int64? = nil,
        userID: Int64? = nil,
        appKeyID: Int64? = nil,
        address: String? = nil,
        outcome: String? = nil,
        requestID: String? = nil,
        actor: String? = nil
    ) {
        self.at = at
        self.kind = kind
        self.companyID = companyID
        self.userID = userID
        self.appKeyID = appKeyID
        self.address = address
        self.outcome = outcome
        self.requestID = requestID
        self.actor = actor
    }
}

/// Where audit events are kept.
public protocol AuditLog: Sendable {
    func record(_ event: AuditEvent) async throws
    /// Events, newest first, optionally of one kind, for one company, one user and after a time.
    func events(kind: AuditKind?, companyID: Int64?, userID: Int64?, since: Date?, limit: Int) async throws -> [AuditEvent]
}

extension AuditLog {
    /// Events of every kind, newest first.
    public func events(companyID: Int64?, userID: Int64?, since: Date?, limit: Int) async throws -> [AuditEvent] {
        try await self.events(kind: nil, companyID: companyID, userID: userID, since: since, limit: limit)
    }

    /// Records an event of a client's request. A failed write never changes the answer the client gets: the
    /// storage error shows in `/readyz` and the logs instead.
    public func record(
        _ kind: AuditKind,
        at date: Date,
        app: ResolvedApp,
        userID: Int64?,
        client: RequestOrigin,
        outcome: String?
    ) async {
        try? await self.record(
            AuditEvent(
                at: date,
                kind: kind,
                companyID: app.company.id,
                userID: userID,
                appKeyID: app.appKey.id,
                address: client.address,
                outcome: outcome,
                requestID: client.requestID
            )
        )
    }
}
