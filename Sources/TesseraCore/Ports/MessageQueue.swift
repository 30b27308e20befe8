import Foundation

/// Why a notice goes to a user.
public enum NoticeReason: String, Sendable, Equatable, CaseIterable {
    /// Too many failures locked the account.
    case accountLocked = "account-locked"
    /// The password was changed or reset.
    case passwordChanged = "password-changed"
    /// The PIN was set or changed.
    case pinChanged = "pin-changed"
    /// A spent refresh token was presented again: the session was ended, as it may have been stolen.
    case refreshTokenReused = "refresh-token-reused"
    /// A sign-in came from a device not seen for the user in 90 days.
    case newDevice = "new-device"
}

extension NewQueuedMessage {
    /// A notice to the account's user about something a request of `app` from `origin` did.
    public static func notice(
        _ reason: NoticeReason,
        companyID: Int64,
        usernameKey: String,
        app: ResolvedApp,
        origin: RequestOrigin,
        at date: Date
    ) -> NewQueuedMessage {
        NewQueuedMessage(
            kind: .notice(reason),
            companyID: companyID,
            usernameKey: usernameKey,
            appKeyID: app.appKey.id,
            address: origin.address,
            requestID: origin.requestID,
            createdAt: date
        )
    }
}

/// What a queued message asks for. Nothing secret is ever queued: a reset code is drawn when the message is
/// sent, and a destination is read from the user then.
public enum QueuedMessageKind: Sendable, Equatable {
    /// Draw a reset code for the account and send it (nothing, when there is no such user).
    case resetCode
    /// Tell the account's user something happened.
    case notice(NoticeReason)
}

/// A message to send on a user's behalf, off the request that asked for it.
public struct NewQueuedMessage: Sendable, Equatable {
    public var kind: QueuedMessageKind
    public var companyID: Int64
    /// The account, by username key, whether or not such a user exists: a request for an unknown name queues
    /// the same message as one for a real user, so neither its latency nor its effects tell them apart.
    public var usernameKey: String
    /// Where the request came from, for the audit events of the sending.
    public var appKeyID: Int64?
    public var address: String?
    public var requestID: String?
    public var createdAt: Date

    public init(
        kind: QueuedMessageKind,
        companyID: Int64,
        usernameKey: String,
        appKeyID: Int64? = nil,
        address: String? = nil,
        requestID: String? = nil,
        createdAt: Date
    ) {
        self.kind = kind
        self.companyID = companyID
        self.usernameKey = usernameKey
        self.appKeyID = appKeyID
        self.address = address
        self.requestID = requestID
        self.createdAt = createdAt
    }
}

/// A queued message as a worker leased it.
public struct QueuedMessage: Sendable, Equatable {
    public var id: Int64
    public var message: NewQueuedMessage
    /// Tries so far, this one included.
    public var attempts: Int

    public init(id: Int64, message: NewQueuedMessage, attempts: Int) {
        self.id = id
        self.message = message
        self.attempts = attempts
    }
}

/// The durable queue of messages sent on users' behalf (reset codes, notices): a request writes one row and
/// answers; a worker on any node sends it, retrying with back-off, and a message survives restarts and crashes
/// until it is sent or given up.
public protocol MessageQueue: Sendable {
    /// Stores the message durably before it returns.
    func enqueue(_ message: NewQueuedMessage) async throws
    /// Takes up to `limit` messages due at `now`, each for `lease` seconds: no other worker gets one until its
    /// lease runs out, so a worker that dies mid-send leaves its messages to the next. Each lease counts a try.
    func lease(now: Date, limit: Int, for lease: TimeInterval) async throws -> [QueuedMessage]
    /// The message was handled (sent, or nothing to send, or given up): it is gone.
    func complete(id: Int64) async throws
    /// The message failed: it is due again at `at`.
    func retry(id: Int64, at: Date) async throws
    /// Messages not yet handled.
    func pendingCount() async throws -> Int
}
