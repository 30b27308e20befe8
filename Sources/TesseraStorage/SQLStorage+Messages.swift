import Foundation
import TesseraCore

extension SQLStorage: MessageQueue {
    public func enqueue(_ message: NewQueuedMessage) async throws {
        try await self.write(
            """
            INSERT INTO message_queue (kind, company_id, username_key, app_key_id, address, request_id, created_at, attempts,
                next_attempt_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)
            """,
            [
                .text(Self.kindName(message.kind)), .integer(Int(message.companyID)), .text(message.usernameKey),
                SQLBind(message.appKeyID), SQLBind(message.address), SQLBind(message.requestID), SQLBind(message.createdAt),
                SQLBind(message.createdAt),
            ]
        )
    }

    public func lease(now: Date, limit: Int, for lease: TimeInterval) async throws -> [QueuedMessage] {
        // The outer condition is checked again on the row itself, so of two nodes leasing at once only one gets a
        // message (PostgreSQL re-reads a row another transaction just updated before it updates it).
        try await self.write(
            """
            UPDATE message_queue SET leased_until = ?, attempts = attempts + 1
            WHERE id IN (SELECT id FROM message_queue
                         WHERE next_attempt_at <= ? AND (leased_until IS NULL OR leased_until < ?)
                         ORDER BY next_attempt_at, id LIMIT ?)
              AND next_attempt_at <= ? AND (leased_until IS NULL OR leased_until < ?)
            RETURNING *
            """,
            [
                SQLBind(now.addingTimeInterval(lease)), SQLBind(now), SQLBind(now), .integer(limit), SQLBind(now),
                SQLBind(now),
            ]
        ).compactMap { row in
            guard let kind = Self.kind(named: row.string("kind")) else { return nil }
            return QueuedMessage(
                id: row.int("id"),
                message: NewQueuedMessage(
                    kind: kind,
                    companyID: row.int("company_id"),
                    usernameKey: row.string("username_key"),
                    appKeyID: row.optionalInt("app_key_id"),
                    address: row.optionalString("address"),
                    requestID: row.optionalString("request_id"),
                    createdAt: row.date("created_at")
                ),
                attempts: Int(row.int("attempts"))
            )
        }.sorted { $0.id < $1.id }
    }

    public func complete(id: Int64) async throws {
        try await self.write("DELETE FROM message_queue WHERE id = ?", [.integer(Int(id))])
    }

    public func retry(id: Int64, at date: Date) async throws {
        try await self.write(
            "UPDATE message_queue SET next_attempt_at = ?, leased_until = NULL WHERE id = ?",
            [SQLBind(date), .integer(Int(id))]
        )
    }

    public func pendingCount() async throws -> Int {
        Int(try await self.read("SELECT COUNT(*) AS n FROM message_queue").first?.int("n") ?? 0)
    }

    static func kindName(_ kind: QueuedMessageKind) -> String {
        switch kind {
        case .resetCode: "reset-code"
        case .notice(let reason): "notice:" + reason.rawValue
        }
    }

    /// The kind of a stored row; `nil` for a kind this version does not know (a newer node's), left for it.
    static func kind(named name: String) -> QueuedMessageKind? {
        if name == "reset-code" { return .resetCode }
        guard name.hasPrefix("notice:"), let reason = NoticeReason(rawValue: String(name.dropFirst("notice:".count))) else { return nil }
        return .notice(reason)
    }
}

extension SQLStorage {
    public func claimResetWindow(companyID: Int64, usernameKey: String, now: Date, interval: TimeInterval) async throws -> Bool {
        try await self.write(
            """
            INSERT INTO reset_windows (company_id, username_key, opened_at) VALUES (?, ?, ?)
            ON CONFLICT (company_id, username_key) DO UPDATE SET opened_at = excluded.opened_at
            WHERE reset_windows.opened_at <= ?
            RETURNING 1
            """,
            [.integer(Int(companyID)), .text(usernameKey), SQLBind(now), SQLBind(now.addingTimeInterval(-interval))]
        ).isEmpty == false
    }
}
