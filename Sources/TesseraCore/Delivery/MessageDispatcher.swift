import Foundation

/// Sends what the ``MessageQueue`` holds: reset codes and notices, off the requests that asked for them.
///
/// Each message is leased, resolved against the directory at sending time (an unknown, disabled or unreachable
/// account is dropped quietly: that is how a request for an unknown name ends), sent, and completed. A failure is
/// retried with back-off; after the last try the message is given up and audited. A reset code is drawn afresh on
/// every try and replaces the last one, so no code ever waits in the database in the clear, and a reset that could
/// not be sent within a code's lifetime is given up rather than sent late.
///
/// ```swift
/// let dispatcher = MessageDispatcher(stores: database.stores, environment: environment)
/// let handled = try await dispatcher.dispatchDue()   // a worker calls this in a loop
/// ```
public struct MessageDispatcher: Sendable {
    /// How long a worker holds a message it is sending before another may take it.
    public static let lease: TimeInterval = 60
    /// The waits before the second, third, … try; after the last the message is given up.
    public static let backoff: [TimeInterval] = [5, 30, 120, 600]

    let stores: TesseraStores
    let environment: ServiceEnvironment

    public init(stores: TesseraStores, environment: ServiceEnvironment) {
        self.stores = stores
        self.environment = environment
    }

    /// What became of one message.
    public enum Result: String, Sendable, Equatable {
        /// Handed to its channel.
        case sent
        /// No such user, disabled, no channel, or a reset that had outlived its code: nothing to send.
        case dropped
        /// Failed; due again later.
        case retried
        /// Failed for the last time.
        case failed
    }

    /// Sends every message due now, at most `limit`; returns what became of each. `failed` hears why a message
    /// could not be sent (a type name or a delivery error, never a code or an address), for the log.
    @discardableResult
    public func dispatchDue(limit: Int = 20, failed: (String) -> Void = { _ in }) async throws -> [Result] {
        let now = self.environment.clock.now
        let due = try await self.stores.messages.lease(now: now, limit: limit, for: Self.lease)
        var results: [Result] = []
        for queued in due {
            results.append(await self.dispatch(queued, now: now, failed: failed))
        }
        return results
    }

    private func dispatch(_ queued: QueuedMessage, now: Date, failed: (String) -> Void) async -> Result {
        let message = queued.message
        do {
            let sent: Bool
            switch message.kind {
            case .resetCode:
                // A code the user could only have received after its lifetime would be of no use.
                guard now.timeIntervalSince(message.createdAt) < CredentialService.resetCodeLifetime else {
                    throw Expired()
                }
                sent = try await self.sendResetCode(message, now: now)
            case .notice(let reason):
                sent = try await self.sendNotice(message, reason: reason)
            }
            try await self.stores.messages.complete(id: queued.id)
            return sent ? .sent : .dropped
        } catch {
            failed(error is Expired ? "expired before it could be sent" : "\(error)")
            let giveUp = error is Expired || queued.attempts > Self.backoff.count
            do {
                if giveUp {
                    try await self.stores.messages.complete(id: queued.id)
                    await self.record(.messageFailed, message, userID: nil, outcome: Self.describe(message.kind), now: now)
                    return .failed
                }
                try await self.stores.messages.retry(id: queued.id, at: now.addingTimeInterval(Self.backoff[queued.attempts - 1]))
            } catch {
                // The database itself failed: the lease runs out and the message is taken again.
            }
            return .retried
        }
    }

    /// Draws a code, stores its digest in place of the account's last one, and sends it; `false` when there is no
    /// one to send it to (audited too, so the worker writes about as much either way).
    private func sendResetCode(_ message: NewQueuedMessage, now: Date) async throws -> Bool {
        guard let (user, channel, destination) = try await self.recipient(message) else {
            await self.record(.resetSent, message, userID: nil, outcome: "no such user: nothing sent", now: now)
            return false
        }
        let limits = self.environment.limits
        for _ in 0..<5 {
            let code = self.environment.generator.numericCode(digits: limits.codeDigits)
            let stored = ResetCode(
                digest: self.environment.secrets.resetCodeDigest(code, companyID: message.companyID),
                userID: user.id,
                companyID: message.companyID,
                createdAt: now,
                expiresAt: now.addingTimeInterval(CredentialService.resetCodeLifetime)
            )
            // Another user's live code with the same digest: draw again.
            guard try await self.stores.resetCodes.replaceResetCode(stored) else { continue }
            try await self.environment.sender.send(
                OutgoingMessage(channel: channel, destination: destination, purpose: .reset, code: code, userID: user.id)
            )
            await self.record(.resetSent, message, userID: user.id, outcome: channel.rawValue, now: now)
            return true
        }
        return false
    }

    private func sendNotice(_ message: NewQueuedMessage, reason: NoticeReason) async throws -> Bool {
        guard let (user, channel, destination) = try await self.recipient(message) else { return false }
        try await self.environment.sender.send(
            OutgoingMessage(channel: channel, destination: destination, purpose: .notice, code: nil, userID: user.id, notice: reason)
        )
        await self.record(.noticeSent, message, userID: user.id, outcome: "\(reason.rawValue): \(channel.rawValue)", now: self.environment.clock.now)
        return true
    }

    /// The live user of the message's account and where their messages go, or `nil`.
    private func recipient(_ message: NewQueuedMessage) async throws -> (User, DeliveryChannel, String)? {
        guard let user = try await self.stores.directory.user(companyID: message.companyID, usernameKey: message.usernameKey),
            !user.isDisabled, let (channel, destination) = CredentialService.channel(of: user)
        else { return nil }
        return (user, channel, destination)
    }

    private func record(_ kind: AuditKind, _ message: NewQueuedMessage, userID: Int64?, outcome: String, now: Date) async {
        try? await self.stores.audit.record(
            AuditEvent(
                at: now,
                kind: kind,
                companyID: message.companyID,
                userID: userID,
                appKeyID: message.appKeyID,
                address: message.address,
                outcome: outcome,
                requestID: message.requestID
            )
        )
    }

    private static func describe(_ kind: QueuedMessageKind) -> String {
        switch kind {
        case .resetCode: "reset code"
        case .notice(let reason): "notice \(reason.rawValue)"
        }
    }

    private struct Expired: Error {}
}
