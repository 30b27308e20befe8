import Foundation
import TesseraCore

extension SQLStorage: RefreshTokenStore {
    public func insert(_ record: RefreshTokenRecord) async throws -> Bool {
        // As for access tokens: stored only while the app key is live, read in the same statement.
        try await self.write(
            """
            INSERT INTO refresh_tokens (token_digest, session_id, user_id, app_key_id, company_id, session_started_at,
                issued_at, expires_at, spent_at, revoked_at, authenticated_at)
            SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
            WHERE EXISTS (SELECT 1 FROM app_keys WHERE id = ? AND revoked_at IS NULL)
            RETURNING 1
            """,
            [
                .text(record.digest), .text(record.sessionID), .integer(Int(record.userID)), .integer(Int(record.appKeyID)),
                .integer(Int(record.companyID)), SQLBind(record.sessionStartedAt), SQLBind(record.issuedAt),
                SQLBind(record.expiresAt), SQLBind(record.spentAt), SQLBind(record.revokedAt), SQLBind(record.authenticatedAt),
                .integer(Int(record.appKeyID)),
            ]
        ).isEmpty == false
    }

    public func refreshToken(digest: String) async throws -> RefreshTokenRecord? {
        try await self.read("SELECT * FROM refresh_tokens WHERE token_digest = ?", [.text(digest)]).first.map(Self.refreshToken)
    }

    public func spend(digest: String, appKeyID: Int64, at date: Date) async throws -> RefreshSpend? {
        // One statement decides who spends it: of two requests with the same token, exactly one gets a row back.
        let spent = try await self.write(
            "UPDATE refresh_tokens SET spent_at = ? WHERE token_digest = ? AND app_key_id = ? AND spent_at IS NULL RETURNING *",
            [SQLBind(date), .text(digest), .integer(Int(appKeyID))]
        )
        if let row = spent.first { return .spent(Self.refreshToken(row)) }
        // From the writer: a spend that just committed is seen.
        let found = try await self.write(
            "SELECT * FROM refresh_tokens WHERE token_digest = ? AND app_key_id = ?",
            [.text(digest), .integer(Int(appKeyID))]
        )
        return found.first.map { .alreadySpent(Self.refreshToken($0)) }
    }

    public func revokeRefreshTokens(sessionID: String, at date: Date) async throws -> Int {
        try await self.write(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE session_id = ? AND revoked_at IS NULL AND expires_at > ? RETURNING 1",
            [SQLBind(date), .text(sessionID), SQLBind(date)]
        ).count
    }

    public func isSessionEnded(sessionID: String) async throws -> Bool {
        // From the writer: an end that just committed is seen.
        try await self.write(
            "SELECT 1 FROM refresh_tokens WHERE session_id = ? AND revoked_at IS NOT NULL LIMIT 1",
            [.text(sessionID)]
        ).isEmpty == false
    }

    static func refreshToken(_ row: StorageRow) -> RefreshTokenRecord {
        RefreshTokenRecord(
            digest: row.string("token_digest"),
            sessionID: row.string("session_id"),
            userID: row.int("user_id"),
            appKeyID: row.int("app_key_id"),
            companyID: row.int("company_id"),
            sessionStartedAt: row.date("session_started_at"),
            issuedAt: row.date("issued_at"),
            expiresAt: row.date("expires_at"),
            spentAt: row.optionalDate("spent_at"),
            revokedAt: row.optionalDate("revoked_at"),
            authenticatedAt: row.optionalDate("authenticated_at")
        )
    }
}
