import Foundation
import TesseraCore

extension SQLStorage: LoginTransactionStore {
    public func insert(_ transaction: LoginTransaction) async throws {
        try await self.write(
            """
            INSERT INTO login_transactions (id, ticket_digest, app_key_id, user_id, password_proof, step, code_digest,
                code_expires_at, code_sent_at, code_failures, pin_failures, created_at, expires_at, version, code_verified,
                reauth_session_id, reauth_session_started_at, reauth_token_digest)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(transaction.id), .text(transaction.interimTokenDigest), .integer(Int(transaction.appKeyID)),
                .integer(Int(transaction.userID)), .text(transaction.passwordProof), .text(transaction.step.rawValue),
                SQLBind(transaction.codeDigest), SQLBind(transaction.codeExpiresAt),
                SQLBind(transaction.codeSentAt), .integer(transaction.codeFailures),
                .integer(transaction.pinFailures), SQLBind(transaction.createdAt),
                SQLBind(transaction.expiresAt), .integer(transaction.version), .integer(transaction.codeVerified ? 1 : 0),
                SQLBind(transaction.reauthentication?.sessionID), SQLBind(transaction.reauthentication?.sessionStartedAt),
                SQLBind(transaction.reauthentication?.tokenDigest),
            ]
        )
    }

    public func transaction(interimTokenDigest: String) async throws -> LoginTransaction? {
        try await self.read("SELECT * FROM login_transactions WHERE ticket_digest = ?", [.text(interimTokenDigest)])
            .first.map { row in
                LoginTransaction(
                    id: row.string("id"),
                    interimTokenDigest: row.string("ticket_digest"),
                    appKeyID: row.int("app_key_id"),
                    userID: row.int("user_id"),
                    passwordProof: row.string("password_proof"),
                    step: LoginStep(rawValue: row.string("step")) ?? .baseAuthentication,
                    codeDigest: row.optionalString("code_digest"),
                    codeExpiresAt: row.optionalDate("code_expires_at"),
                    codeSentAt: row.optionalDate("code_sent_at"),
                    codeFailures: Int(row.int("code_failures")),
                    pinFailures: Int(row.int("pin_failures")),
                    createdAt: row.date("created_at"),
                    expiresAt: row.date("expires_at"),
                    version: Int(row.int("version")),
                    codeVerified: row.bool("code_verified"),
                    reauthentication: row.optionalString("reauth_session_id").map { session in
                        Reauthentication(
                            sessionID: session,
                            sessionStartedAt: row.optionalDate("reauth_session_started_at") ?? row.date("created_at"),
                            tokenDigest: row.optionalString("reauth_token_digest") ?? ""
                        )
                    }
                )
            }
    }

    public func update(_ transaction: LoginTransaction, expectedVersion: Int) async throws -> Bool {
        try await self.writeChangedAny(
            """
            UPDATE login_transactions SET step = ?, code_digest = ?, code_expires_at = ?, code_sent_at = ?,
                code_failures = ?, pin_failures = ?, version = ?, code_verified = ?
            WHERE id = ? AND version = ?
            """,
            [
                .text(transaction.step.rawValue), SQLBind(transaction.codeDigest),
                SQLBind(transaction.codeExpiresAt), SQLBind(transaction.codeSentAt),
                .integer(transaction.codeFailures), .integer(transaction.pinFailures), .integer(transaction.version),
                .integer(transaction.codeVerified ? 1 : 0), .text(transaction.id), .integer(expectedVersion),
            ]
        )
    }

    public func delete(id: String, expectedVersion: Int) async throws -> Bool {
        try await self.writeChangedAny(
            "DELETE FROM login_transactions WHERE id = ? AND version = ?",
            [.text(id), .integer(expectedVersion)]
        )
    }

    public func purgeExpired(before now: Date) async throws -> Int {
        try await self.write("DELETE FROM reset_codes WHERE expires_at <= ?", [SQLBind(now)])
        try await self.write("DELETE FROM refresh_tokens WHERE expires_at <= ?", [SQLBind(now)])
        try await self.write("DELETE FROM trusted_devices WHERE expires_at <= ?", [SQLBind(now)])
        return try await self.write("DELETE FROM login_transactions WHERE expires_at < ? RETURNING 1", [SQLBind(now)]).count
    }
}

extension SQLStorage: AccessTokenStore {
    public func insert(_ record: AccessTokenRecord) async throws -> Bool {
        // One statement: the key's state is read where the row is written, so a token is never stored for a key
        // that was revoked before it (one revoked in between is caught by the lookup's join).
        try await self.write(
            InsertToken.self,
            [
                .text(record.digest), .integer(Int(record.userID)), .integer(Int(record.appKeyID)),
                .integer(Int(record.companyID)), SQLBind(record.issuedAt), SQLBind(record.expiresAt),
                SQLBind(record.revokedAt), .text(record.sessionID), SQLBind(record.address),
                SQLBind(record.userAgent), SQLBind(record.lastSeenAt), SQLBind(record.authenticatedAt),
                SQLBind(record.sessionStartedAt), .integer(Int(record.appKeyID)),
            ]
        ).isEmpty == false
    }

    enum InsertToken: HotStatement {
        static let sql = """
            INSERT INTO access_tokens (token_digest, user_id, app_key_id, company_id, issued_at, expires_at, revoked_at,
                session_id, address, user_agent, last_seen_at, authenticated_at, session_started_at)
            SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
            WHERE EXISTS (SELECT 1 FROM app_keys WHERE id = ? AND revoked_at IS NULL)
            RETURNING 1
            """
    }

    public func accessToken(digest: String) async throws -> AccessTokenRecord? {
        try await self.read("SELECT * FROM access_tokens WHERE token_digest = ?", [.text(digest)]).first.map(Self.accessToken)
    }

    static func accessToken(_ row: StorageRow) -> AccessTokenRecord {
        AccessTokenRecord(
            digest: row.string("token_digest"),
            userID: row.int("user_id"),
            appKeyID: row.int("app_key_id"),
            companyID: row.int("company_id"),
            issuedAt: row.date("issued_at"),
            expiresAt: row.date("expires_at"),
            revokedAt: row.optionalDate("revoked_at"),
            sessionID: row.string("session_id"),
            address: row.optionalString("address"),
            userAgent: row.optionalString("user_agent"),
            lastSeenAt: row.optionalDate("last_seen_at"),
            authenticatedAt: row.optionalDate("authenticated_at"),
            sessionStartedAt: row.optionalDate("session_started_at")
        )
    }

    public func lookup(digest: String) async throws -> TokenLookup? {
        try await self.read(TokenLookupByDigest.self, [.text(digest)]).first.map { row in
            var record = Self.accessToken(row)
            record.companyID = row.int("token_company_id")
            return TokenLookup(
                record: record,
                user: Self.user(row),
                appName: row.string("app_name"),
                appKeyRevokedAt: row.optionalDate("app_revoked_at")
            )
        }
    }

    /// A token with its user and app key: what validating a token the cache does not hold reads.
    enum TokenLookupByDigest: HotStatement {
        static let sql = """
            SELECT t.token_digest, t.user_id, t.app_key_id, t.company_id AS token_company_id, t.issued_at, t.expires_at,
                   t.revoked_at, t.session_id, t.address, t.user_agent, t.last_seen_at, t.authenticated_at, t.session_started_at,
                   a.name AS app_name, a.revoked_at AS app_revoked_at, \(SQLStorage.userColumnList)
            FROM access_tokens t JOIN users u ON u.id = t.user_id JOIN app_keys a ON a.id = t.app_key_id
            WHERE t.token_digest = ?
            """
    }

    public func revoke(digest: String, at date: Date) async throws -> Bool {
        // A logout ends the token's session: its refresh tokens first, so no refresh slips in between.
        try await self.write(
            """
            UPDATE refresh_tokens SET revoked_at = ?
            WHERE revoked_at IS NULL AND session_id = (SELECT session_id FROM access_tokens WHERE token_digest = ?)
            """,
            [SQLBind(date), .text(digest)]
        )
        // Then every access token of the session (refreshed or re-authenticated ones too): one session, one end.
        return try await self.writeChangedAny(
            """
            UPDATE access_tokens SET revoked_at = ?
            WHERE revoked_at IS NULL AND session_id = (SELECT session_id FROM access_tokens WHERE token_digest = ?)
            """,
            [SQLBind(date), .text(digest)]
        )
    }

    public func revoke(sessionID: String, userID: Int64?, at date: Date) async throws -> Bool {
        let user = userID.map { _ in " AND user_id = ?" } ?? ""
        let userBind = userID.map { [SQLBind.integer(Int($0))] } ?? []
        // Its refresh tokens too, even when every access token of it has expired: an idle session is still one.
        let refreshed = try await self.writeChangedAny(
            "UPDATE refresh_tokens SET revoked_at = ? WHERE session_id = ? AND revoked_at IS NULL AND expires_at > ?" + user,
            [SQLBind(date), .text(sessionID), SQLBind(date)] + userBind
        )
        let accessed = try await self.writeChangedAny(
            "UPDATE access_tokens SET revoked_at = ? WHERE session_id = ? AND revoked_at IS NULL AND expires_at > ?" + user,
            [SQLBind(date), .text(sessionID), SQLBind(date)] + userBind
        )
        return refreshed || accessed
    }

    public func sessions(userID: Int64, now: Date) async throws -> [Session] {
        try await self.read(
            """
            SELECT t.*, a.name AS app_name FROM access_tokens t JOIN app_keys a ON a.id = t.app_key_id
            WHERE t.user_id = ? AND t.revoked_at IS NULL AND t.expires_at > ?
            ORDER BY t.issued_at DESC, t.id DESC
            """,
            [.integer(Int(userID)), SQLBind(now)]
        ).map { Session(record: Self.accessToken($0), appName: $0.string("app_name")) }
    }

    public func sessionOwner(sessionID: String) async throws -> Int64? {
        try await self.read("SELECT user_id FROM access_tokens WHERE session_id = ? LIMIT 1", [.text(sessionID)]).first?.int("user_id")
    }

    public func touch(digest: String, at date: Date) async throws {
        try await self.write("UPDATE access_tokens SET last_seen_at = ? WHERE token_digest = ?", [SQLBind(date), .text(digest)])
    }

    public func touch(_ uses: [(digest: String, at: Date)]) async throws {
        // A statement per 500 sessions; VALUES names its columns column1, column2 on both engines.
        for chunk in stride(from: 0, to: uses.count, by: 500).map({ uses[$0..<min($0 + 500, uses.count)] }) {
            let rows = Array(repeating: "(?, ?)", count: chunk.count).joined(separator: ", ")
            _ = try await self.write(
                """
                UPDATE access_tokens SET last_seen_at = uses.column2
                FROM (VALUES \(rows)) AS uses
                WHERE access_tokens.token_digest = uses.column1 AND access_tokens.last_seen_at < uses.column2
                """,
                chunk.flatMap { [SQLBind.text($0.digest), SQLBind($0.at)] }
            )
        }
    }
}

extension SQLStorage {
    public func revokeAll(userID: Int64, keeping: String?, at date: Date) async throws -> Int {
        // Every other session's refresh tokens, idle sessions included; the kept token's session goes on whole.
        try await self.write(
            """
            UPDATE refresh_tokens SET revoked_at = ?
            WHERE user_id = ? AND revoked_at IS NULL
              AND session_id NOT IN (SELECT session_id FROM access_tokens WHERE token_digest = ?)
            """,
            [SQLBind(date), .integer(Int(userID)), SQLBind(keeping)]
        )
        return try await self.write(
            """
            UPDATE access_tokens SET revoked_at = ?
            WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? AND token_digest IS DISTINCT FROM ?
            RETURNING 1
            """,
            [SQLBind(date), .integer(Int(userID)), SQLBind(date), SQLBind(keeping)]
        ).count
    }
}

extension SQLStorage: ResetCodeStore {
    public func replaceResetCode(_ code: ResetCode) async throws -> Bool {
        // One statement: the user's code is replaced in place; a digest another row holds is refused (draw again).
        do {
            try await self.write(
                """
                INSERT INTO reset_codes (digest, user_id, company_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (user_id) DO UPDATE SET digest = excluded.digest, company_id = excluded.company_id,
                    created_at = excluded.created_at, expires_at = excluded.expires_at
                """,
                [
                    .text(code.digest), .integer(Int(code.userID)), .integer(Int(code.companyID)),
                    SQLBind(code.createdAt), SQLBind(code.expiresAt),
                ]
            )
            return true
        } catch is UniqueViolation {
            return false
        }
    }

    public func latestResetCode(userID: Int64) async throws -> ResetCode? {
        try await self.read("SELECT * FROM reset_codes WHERE user_id = ?", [.integer(Int(userID))]).first.map(Self.resetCode)
    }

    static func resetCode(_ row: StorageRow) -> ResetCode {
        ResetCode(
            digest: row.string("digest"),
            userID: row.int("user_id"),
            companyID: row.int("company_id"),
            createdAt: row.date("created_at"),
            expiresAt: row.date("expires_at")
        )
    }

    public func takeResetCode(digest: String, now: Date) async throws -> ResetCode? {
        try await self.write(
            "DELETE FROM reset_codes WHERE digest = ? AND expires_at > ? RETURNING *",
            [.text(digest), SQLBind(now)]
        ).first.map(Self.resetCode)
    }
}

extension SQLStorage: TicketStore {
    public func insert(_ ticket: Ticket) async throws {
        try await self.write(
            """
            INSERT INTO tickets (digest, user_id, app_key_id, purpose, created_at, expires_at, used_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(ticket.digest), .integer(Int(ticket.userID)), .integer(Int(ticket.appKeyID)),
                .text(ticket.purpose.rawValue), SQLBind(ticket.createdAt), SQLBind(ticket.expiresAt),
                SQLBind(ticket.usedAt),
            ]
        )
    }

    public func ticket(digest: String) async throws -> Ticket? {
        try await self.read("SELECT * FROM tickets WHERE digest = ?", [.text(digest)]).first.flatMap { row in
            guard let purpose = TicketPurpose(rawValue: row.string("purpose")) else { return nil }
            return Ticket(
                digest: row.string("digest"),
                userID: row.int("user_id"),
                appKeyID: row.int("app_key_id"),
                purpose: purpose,
                createdAt: row.date("created_at"),
                expiresAt: row.date("expires_at"),
                usedAt: row.optionalDate("used_at")
            )
        }
    }

    public func markUsed(digest: String, at date: Date) async throws -> Bool {
        try await self.writeChangedAny(
            "UPDATE tickets SET used_at = ? WHERE digest = ? AND used_at IS NULL",
            [SQLBind(date), .text(digest)]
        )
    }
}

extension SQLStorage: RevocationFeed {
    public func latestRevocation() async throws -> Int64 {
        try await self.read("SELECT COALESCE(MAX(seq), 0) AS seq FROM token_revocations").first?.int("seq") ?? 0
    }

    public func revocations(after sequence: Int64, limit: Int) async throws -> [(sequence: Int64, change: Revocation)] {
        try await self.read(RevocationsAfter.self, [.integer(Int(sequence)), .integer(limit)]).map { row in
            let key = row.string("key")
            // A kind this build does not know (a newer node wrote it), or a table emptied: end everything.
            let change: Revocation =
                switch row.string("kind") {
                case "token": .token(digest: key)
                case "user": Int64(key).map { .user(id: $0) } ?? .everything
                case "app": Int64(key).map { .appKey(id: $0) } ?? .everything
                default: .everything
                }
            return (row.int("seq"), change)
        }
    }

    enum RevocationsAfter: HotStatement {
        static let sql = "SELECT seq, kind, key FROM token_revocations WHERE seq > ? ORDER BY seq LIMIT ?"
    }
}
