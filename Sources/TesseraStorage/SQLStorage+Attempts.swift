import Foundation
import TesseraCore

extension SQLStorage: AttemptStore {
    public func reserveAttempt(_ attempt: LoginAttempt, limits: AttemptLimits) async throws -> AttemptReservation {
        let scope = attempt.scope.rawValue
        // One statement, run while this account and this address are held exclusively (SQLite: its one writer;
        // PostgreSQL: advisory locks), so the checks and the insert cannot interleave with another request's on
        // any node. It inserts the attempt under its account when all three layers allow it, under the refused
        // key when only the address does (and refusals count), and nothing when the address is out of failures.
        let rows = try await self.exclusive(
            ["account:\(attempt.companyID):\(attempt.usernameKey)", "address:\(attempt.address)"],
            AttemptVerdict.self,
            [
                .text(scope), .text(attempt.address), SQLBind(limits.addressSince), .integer(limits.addressLimit),
                .integer(Int(attempt.companyID)), .text(attempt.usernameKey), SQLBind(attempt.at),
                .text(scope), .integer(Int(attempt.companyID)), .text(attempt.usernameKey), .text(attempt.address),
                SQLBind(limits.pairSince), .integer(limits.pairLimit),
                .text(scope), .integer(Int(attempt.companyID)), .text(attempt.usernameKey), SQLBind(limits.accountSince),
                .integer(limits.accountLimit),
                .text(attempt.id), .integer(Int(attempt.companyID)), .text(attempt.usernameKey),
                .text(BruteForceGuard.refusedAttemptsKey), .text(attempt.address), SQLBind(attempt.at), .text(scope),
                .integer(limits.countsRefusals ? 1 : 0),
            ]
        )
        if let row = rows.first {
            return row.string("username_key") == attempt.usernameKey ? .reserved : .refused
        }
        // Nothing was recorded: the address's budget, or an account refusal that does not count.
        let (count, oldest) = try await self.failures(address: attempt.address, since: limits.addressSince, scope: attempt.scope)
        return count >= limits.addressLimit ? .addressExhausted(oldest: oldest) : .refused
    }

    enum AttemptVerdict: HotStatement {
        static let sql = """
            WITH verdict AS (
                SELECT (SELECT COUNT(*) FROM login_failures WHERE scope = ? AND address = ? AND at > ?) < ? AS address_ok,
                       (NOT EXISTS (SELECT 1 FROM account_locks
                                    WHERE company_id = ? AND username_key = ? AND locked_until > ?)
                        AND (SELECT COUNT(*) FROM login_failures
                             WHERE scope = ? AND company_id = ? AND username_key = ? AND address = ? AND at > ?) < ?
                        AND (SELECT COUNT(*) FROM login_failures
                             WHERE scope = ? AND company_id = ? AND username_key = ? AND at > ?) < ?) AS account_ok
            )
            INSERT INTO login_failures (id, company_id, username_key, address, at, scope)
            SELECT ?, ?, CASE WHEN account_ok THEN ? ELSE ? END, ?, ?, ?
            FROM verdict WHERE address_ok AND (account_ok OR ? = 1)
            RETURNING username_key
            """
    }

    public func recordAttempt(_ attempt: LoginAttempt, pairSince: Date, accountSince: Date) async throws -> AttemptCounts {
        try await self.write(
            "INSERT INTO login_failures (id, company_id, username_key, address, at, scope) VALUES (?, ?, ?, ?, ?, ?)",
            [
                .text(attempt.id), .integer(Int(attempt.companyID)), .text(attempt.usernameKey), .text(attempt.address),
                SQLBind(attempt.at), .text(attempt.scope.rawValue),
            ]
        )
        // Counted on the primary connection, which has seen every insert before this one.
        return try await self.counts(
            companyID: attempt.companyID,
            usernameKey: attempt.usernameKey,
            address: attempt.address,
            pairSince: pairSince,
            accountSince: accountSince,
            scope: attempt.scope
        )
    }

    public func forgetAttempt(id: String) async throws {
        try await self.write(ForgetAttempt.self, [.text(id)])
    }

    enum ForgetAttempt: HotStatement {
        static let sql = "DELETE FROM login_failures WHERE id = ?"
    }

    public func counts(
        companyID: Int64,
        usernameKey: String,
        address: String,
        pairSince: Date,
        accountSince: Date
    ) async throws
        -> AttemptCounts
    {
        try await self.counts(
            companyID: companyID,
            usernameKey: usernameKey,
            address: address,
            pairSince: pairSince,
            accountSince: accountSince,
            scope: .login
        )
    }

    func counts(
        companyID: Int64,
        usernameKey: String,
        address: String,
        pairSince: Date,
        accountSince: Date,
        scope: AttemptScope
    )
        async throws -> AttemptCounts
    {
        let rows = try await self.write(
            """
            SELECT COUNT(CASE WHEN address = ? AND at > ? THEN 1 END) AS pair,
                   COUNT(*) AS account
            FROM login_failures WHERE scope = ? AND company_id = ? AND username_key = ? AND at > ?
            """,
            [
                .text(address), SQLBind(pairSince), .text(scope.rawValue), .integer(Int(companyID)), .text(usernameKey),
                SQLBind(min(pairSince, accountSince)),
            ]
        )
        // The account window is the longer one by default; count it exactly when it is not.
        let pair = Int(rows.first?.int("pair") ?? 0)
        var account = Int(rows.first?.int("account") ?? 0)
        if accountSince > pairSince {
            let exact = try await self.write(
                "SELECT COUNT(*) AS n FROM login_failures WHERE scope = ? AND company_id = ? AND username_key = ? AND at > ?",
                [.text(scope.rawValue), .integer(Int(companyID)), .text(usernameKey), SQLBind(accountSince)]
            )
            account = Int(exact.first?.int("n") ?? 0)
        }
        return AttemptCounts(pair: pair, account: account)
    }

    public func failures(address: String, since: Date) async throws -> (count: Int, oldest: Date?) {
        try await self.failures(address: address, since: since, scope: .login)
    }

    func failures(address: String, since: Date, scope: AttemptScope) async throws -> (count: Int, oldest: Date?) {
        let rows = try await self.write(AddressFailures.self, [.text(scope.rawValue), .text(address), SQLBind(since)])
        return (Int(rows.first?.int("n") ?? 0), rows.first?.optionalDate("oldest"))
    }

    enum AddressFailures: HotStatement {
        static let sql = "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM login_failures WHERE scope = ? AND address = ? AND at > ?"
    }

    public func lock(companyID: Int64, usernameKey: String, until: Date, now: Date) async throws -> Bool {
        // Replace a lock that has run out; keep one that still holds.
        let rows = try await self.write(
            """
            INSERT INTO account_locks (company_id, username_key, locked_at, locked_until) VALUES (?, ?, ?, ?)
            ON CONFLICT (company_id, username_key) DO UPDATE SET locked_at = excluded.locked_at,
                locked_until = excluded.locked_until
            WHERE account_locks.locked_until <= ?
            RETURNING 1
            """,
            [.integer(Int(companyID)), .text(usernameKey), SQLBind(now), SQLBind(until), SQLBind(now)]
        )
        return !rows.isEmpty
    }

    public func lockedUntil(companyID: Int64, usernameKey: String, now: Date) async throws -> Date? {
        try await self.write(
            "SELECT locked_until FROM account_locks WHERE company_id = ? AND username_key = ? AND locked_until > ?",
            [.integer(Int(companyID)), .text(usernameKey), SQLBind(now)]
        ).first?.optionalDate("locked_until")
    }

    public func currentLocks(now: Date) async throws -> [AccountLock] {
        try await self.read(
            "SELECT company_id, username_key, locked_until FROM account_locks WHERE locked_until > ? ORDER BY locked_until DESC LIMIT 1000",
            [SQLBind(now)]
        ).map { AccountLock(companyID: $0.int("company_id"), usernameKey: $0.string("username_key"), until: $0.date("locked_until")) }
    }

    public func unlock(companyID: Int64, usernameKey: String) async throws -> Bool {
        let locks = try await self.write(
            "DELETE FROM account_locks WHERE company_id = ? AND username_key = ? RETURNING 1",
            [.integer(Int(companyID)), .text(usernameKey)]
        )
        let failures = try await self.write(
            "DELETE FROM login_failures WHERE company_id = ? AND username_key = ? RETURNING 1",
            [.integer(Int(companyID)), .text(usernameKey)]
        )
        return !locks.isEmpty || !failures.isEmpty
    }

    /// Drops failures, locks and reset windows older than every window can reach.
    public func purgeFailures(before date: Date) async throws {
        try await self.write("DELETE FROM login_failures WHERE at < ?", [SQLBind(date)])
        try await self.write("DELETE FROM account_locks WHERE locked_until < ?", [SQLBind(date)])
        try await self.write("DELETE FROM reset_windows WHERE opened_at < ?", [SQLBind(date)])
        // Nodes catch up on these within milliseconds; one cut off longer starts with an empty cache.
        try await self.write("DELETE FROM token_revocations WHERE at < ?", [SQLBind(date)])
    }
}

extension SQLStorage: AuditLog {
    public func record(_ event: AuditEvent) async throws {
        try await self.write(
            RecordEvent.self,
            [
                SQLBind(event.at), .text(event.kind.rawValue), SQLBind(event.companyID), SQLBind(event.userID),
                SQLBind(event.appKeyID), SQLBind(event.address), SQLBind(event.outcome),
                SQLBind(event.requestID), SQLBind(event.actor),
            ]
        )
    }

    enum RecordEvent: HotStatement {
        static let sql = """
            INSERT INTO audit_events (at, kind, company_id, user_id, app_key_id, address, outcome, request_id, actor)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """
    }

    public func events(kind: AuditKind?, companyID: Int64?, userID: Int64?, since: Date?, limit: Int) async throws -> [AuditEvent] {
        var sql = "SELECT * FROM audit_events WHERE 1 = 1"
        var binds: [SQLBind] = []
        if let kind {
            sql += " AND kind = ?"
            binds.append(.text(kind.rawValue))
        }
        if let companyID {
            sql += " AND company_id = ?"
            binds.append(.integer(Int(companyID)))
        }
        if let userID {
            sql += " AND user_id = ?"
            binds.append(.integer(Int(userID)))
        }
        if let since {
            sql += " AND at >= ?"
            binds.append(SQLBind(since))
        }
        sql += " ORDER BY at DESC, id DESC LIMIT ?"
        binds.append(.integer(limit))
        return try await self.read(sql, binds).compactMap { row in
            guard let kind = AuditKind(rawValue: row.string("kind")) else { return nil }
            return AuditEvent(
                at: row.date("at"),
                kind: kind,
                companyID: row.optionalInt("company_id"),
                userID: row.optionalInt("user_id"),
                appKeyID: row.optionalInt("app_key_id"),
                address: row.optionalString("address"),
                outcome: row.optionalString("outcome"),
                requestID: row.optionalString("request_id"),
                actor: row.optionalString("actor")
            )
        }
    }
}
