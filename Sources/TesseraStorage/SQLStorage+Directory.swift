import Foundation
import TesseraCore

extension SQLStorage: DirectoryStore {
    /// The columns a company's policy is stored in, in the order of ``policyBinds(_:)``.
    static let policyColumns = [
        "require_2fa", "require_pin", "token_ttl", "device_failure_limit", "device_window", "account_failure_limit",
        "account_window", "account_lock_duration", "address_failure_limit", "address_window", "password_min_length",
        "password_max_age_days", "revoke_sessions_on_change", "throttle_answer", "browser_origins", "refresh_ttl",
        "session_max_age", "password_classes", "password_history", "recent_auth", "user_expiry_days", "new_device_notices",
        "trusted_device_days",
    ]

    static func policyBinds(_ policy: CompanyPolicy) -> [SQLBind] {
        [
            .integer(policy.requireTwoFactor ? 1 : 0), .integer(policy.requirePin ? 1 : 0), .integer(policy.tokenLifetime),
            .integer(policy.lockout.pairFailureLimit), .integer(Int(policy.lockout.pairWindow)),
            .integer(policy.lockout.accountFailureLimit), .integer(Int(policy.lockout.accountWindow)),
            .integer(Int(policy.lockout.accountLockDuration)), .integer(policy.lockout.addressFailureLimit),
            .integer(Int(policy.lockout.addressWindow)), .integer(policy.passwords.minimumLength),
            policy.passwords.maximumAgeDays.map { .integer($0) } ?? .null,
            .integer(policy.passwords.revokeSessionsOnChange ? 1 : 0), .text(policy.throttleAnswer.rawValue),
            .text(policy.browserOrigins.joined(separator: " ")),
            policy.refresh.map { .integer($0.lifetime) } ?? .null, policy.refresh.map { .integer($0.sessionMaxAge) } ?? .null,
            .integer(policy.passwords.requiredClasses), .integer(policy.passwords.history),
            policy.recentAuthentication.map { .integer($0) } ?? .null, policy.userExpiryDays.map { .integer($0) } ?? .null,
            .integer(policy.devices.newDeviceNotices ? 1 : 0), policy.devices.trustedDeviceDays.map { .integer($0) } ?? .null,
        ]
    }

    public func createCompany(name: String, policy: CompanyPolicy, now: Date) async throws -> Company {
        let columns = Self.policyColumns.joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: Self.policyColumns.count + 2).joined(separator: ", ")
        do {
            let rows = try await self.write(
                "INSERT INTO companies (name, created_at, \(columns)) VALUES (\(placeholders)) RETURNING id",
                [.text(name), SQLBind(now)] + Self.policyBinds(policy)
            )
            return Company(id: rows.first?.int("id") ?? 0, name: name, policy: policy)
        } catch is UniqueViolation {
            throw DuplicateName("company \"\(name)\"")
        }
    }

    public func updateCompany(id: Int64, policy: CompanyPolicy) async throws -> Company? {
        let assignments = Self.policyColumns.map { "\($0) = ?" }.joined(separator: ", ")
        return try await self.write(
            "UPDATE companies SET \(assignments) WHERE id = ? RETURNING *",
            Self.policyBinds(policy) + [.integer(Int(id))]
        ).first.map(Self.company)
    }

    public func company(named name: String) async throws -> Company? {
        try await self.read("SELECT * FROM companies WHERE name = ?", [.text(name)]).first.map(Self.company)
    }

    public func company(id: Int64) async throws -> Company? {
        try await self.read("SELECT * FROM companies WHERE id = ?", [.integer(Int(id))]).first.map(Self.company)
    }

    public func companies() async throws -> [Company] {
        try await self.read("SELECT * FROM companies ORDER BY name").map(Self.company)
    }

    public func createAppKey(companyID: Int64, name: String, digest: String, now: Date) async throws -> AppKey {
        let rows = try await self.write(
            "INSERT INTO app_keys (company_id, name, key_digest, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            [.integer(Int(companyID)), .text(name), .text(digest), SQLBind(now)]
        )
        return AppKey(id: rows.first?.int("id") ?? 0, companyID: companyID, name: name, digest: digest, createdAt: now)
    }

    public func app(digest: String) async throws -> ResolvedApp? {
        let rows = try await self.read(
            """
            SELECT a.id AS app_id, a.company_id, a.name AS app_name, a.key_digest, a.created_at AS app_created_at,
                   a.revoked_at, a.introspection_secret_digest, c.*
            FROM app_keys a JOIN companies c ON c.id = a.company_id
            WHERE a.key_digest = ?
            """,
            [.text(digest)]
        )
        return rows.first.map { row in
            ResolvedApp(
                appKey: AppKey(
                    id: row.int("app_id"),
                    companyID: row.int("company_id"),
                    name: row.string("app_name"),
                    digest: row.string("key_digest"),
                    createdAt: row.date("app_created_at"),
                    revokedAt: row.optionalDate("revoked_at"),
                    introspectionSecretDigest: row.optionalString("introspection_secret_digest")
                ),
                company: Self.company(row)
            )
        }
    }

    public func appKeys(companyID: Int64) async throws -> [AppKey] {
        try await self.read("SELECT * FROM app_keys WHERE company_id = ? ORDER BY id", [.integer(Int(companyID))]).map {
            AppKey(
                id: $0.int("id"),
                companyID: $0.int("company_id"),
                name: $0.string("name"),
                digest: $0.string("key_digest"),
                createdAt: $0.date("created_at"),
                revokedAt: $0.optionalDate("revoked_at"),
                introspectionSecretDigest: $0.optionalString("introspection_secret_digest")
            )
        }
    }

    public func setIntrospectionSecret(appKeyID: Int64, digest: String) async throws {
        try await self.write(
            "UPDATE app_keys SET introspection_secret_digest = ? WHERE id = ?",
            [.text(digest), .integer(Int(appKeyID))]
        )
    }

    public func revokeAppKey(digest: String, now: Date) async throws -> Bool {
        let revoked = try await self.write(
            "UPDATE app_keys SET revoked_at = ? WHERE key_digest = ? AND revoked_at IS NULL RETURNING id",
            [SQLBind(now), .text(digest)]
        )
        // The app's tokens die with its key — also on a second try, should this step have failed after the first
        // (the key is then revoked already, and the answer is `false`, but its tokens go all the same).
        try await self.write(
            """
            UPDATE access_tokens SET revoked_at = ?
            WHERE revoked_at IS NULL AND app_key_id IN (SELECT id FROM app_keys WHERE key_digest = ? AND revoked_at IS NOT NULL)
            """,
            [SQLBind(now), .text(digest)]
        )
        return !revoked.isEmpty
    }

    public func createUser(_ user: NewUser, now: Date) async throws -> User {
        let username = Username.canonical(user.username)
        do {
            let rows = try await self.write(
                """
                INSERT INTO users (company_id, username, username_key, password_hash, email, phone, two_factor,
                                   pin_digest, first_name, middle_name, last_name, salutation, suffix, added_at,
                                   password_changed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """,
                [
                    .integer(Int(user.companyID)), .text(username), .text(Username.key(username)),
                    .text(user.passwordHash), SQLBind(user.email), SQLBind(user.phone),
                    .text(user.twoFactor.rawValue), SQLBind(user.pinDigest),
                    SQLBind(user.profile.firstName), SQLBind(user.profile.middleName),
                    SQLBind(user.profile.lastName), SQLBind(user.profile.salutation),
                    SQLBind(user.profile.suffix), SQLBind(now), SQLBind(now),
                ]
            )
            return User(
                id: rows.first?.int("id") ?? 0,
                companyID: user.companyID,
                username: username,
                passwordHash: user.passwordHash,
                email: user.email,
                phone: user.phone,
                twoFactor: user.twoFactor,
                pinDigest: user.pinDigest,
                profile: user.profile,
                addedAt: Date(millisecondsSince1970: now.millisecondsSince1970)
            )
        } catch is UniqueViolation {
            throw DuplicateName("user \"\(username)\"")
        }
    }

    public func user(companyID: Int64, usernameKey: String) async throws -> User? {
        try await self.read(UserByName.self, [.integer(Int(companyID)), .text(usernameKey)]).first.map(Self.user)
    }

    /// The user a login names.
    enum UserByName: HotStatement {
        static let sql = "\(SQLStorage.userColumns) WHERE u.company_id = ? AND u.username_key = ?"
    }

    public func resetProfile(companyID: Int64, usernameKey: String) async throws -> ResetProfile? {
        try await self.read(
            "SELECT id, disabled_at, secret_answer_digest FROM users WHERE company_id = ? AND username_key = ?",
            [.integer(Int(companyID)), .text(usernameKey)]
        ).first.map { row in
            ResetProfile(
                userID: row.int("id"),
                isDisabled: row.optionalInt("disabled_at") != nil,
                secretAnswerDigest: row.optionalString("secret_answer_digest")
            )
        }
    }

    public func user(id: Int64) async throws -> User? {
        try await self.read("\(Self.userColumns) WHERE u.id = ?", [.integer(Int(id))]).first.map(Self.user)
    }

    public func users(companyID: Int64) async throws -> [User] {
        try await self.read("\(Self.userColumns) WHERE u.company_id = ? ORDER BY u.username_key", [.integer(Int(companyID))])
            .map(Self.user)
    }

    public func setUserDisabled(id: Int64, at date: Date?) async throws {
        try await self.write("UPDATE users SET disabled_at = ? WHERE id = ?", [SQLBind(date), .integer(Int(id))])
    }

    public func recordSignIn(userID: Int64, at date: Date) async throws {
        try await self.write(RecordSignIn.self, [.integer(Int(userID)), SQLBind(date)])
    }

    enum RecordSignIn: HotStatement {
        static let sql = "INSERT INTO user_sign_ins (user_id, at) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET at = excluded.at"
    }

    public func setOperatorRole(userID: Int64, role: OperatorRole?) async throws {
        guard let role else {
            try await self.write("DELETE FROM operator_roles WHERE user_id = ?", [.integer(Int(userID))])
            return
        }
        try await self.write(
            "INSERT INTO operator_roles (user_id, role) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET role = excluded.role",
            [.integer(Int(userID)), .text(role.rawValue)]
        )
    }

    public func operatorRole(userID: Int64) async throws -> OperatorRole? {
        try await self.read("SELECT role FROM operator_roles WHERE user_id = ?", [.integer(Int(userID))]).first
            .flatMap { OperatorRole(rawValue: $0.string("role")) }
    }

    public func searchUsers(_ text: String, limit: Int) async throws -> [User] {
        // LIKE's own wildcards in the text match themselves.
        let escaped = Username.key(text).replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        let pattern = "%" + escaped + "%"
        return try await self.read(
            """
            \(Self.userColumns)
            WHERE u.username_key LIKE ? ESCAPE '\\' OR LOWER(COALESCE(u.email, '')) LIKE ? ESCAPE '\\'
            ORDER BY u.username_key, u.id LIMIT ?
            """,
            [.text(pattern), .text(pattern), .integer(limit)]
        ).map(Self.user)
    }

    /// A user's row with the last sign-in, which lives apart (see migration 12); `WHERE` follows, on `u`.
    static let userColumns = "SELECT \(SQLStorage.userColumnList), s.at AS last_sign_in_at FROM users u LEFT JOIN user_sign_ins s ON s.user_id = u.id"

    /// The columns of `users u` that ``user(_:)`` reads, by name (see ``HotStatement``).
    static let userColumnList = """
        u.id, u.company_id, u.username, u.password_hash, u.email, u.phone, u.two_factor, u.pin_digest, u.first_name, \
        u.middle_name, u.last_name, u.salutation, u.suffix, u.added_at, u.disabled_at, u.password_changed_at, \
        u.password_expired, u.secret_question, u.secret_answer_digest, u.pin_image, u.pin_phrase, u.totp_secret, \
        u.totp_pending_secret, u.totp_last_step
        """

    public func setPassword(userID: Int64, hash: String, changedAt: Date) async throws {
        // The replaced hash joins the history first: a crash in between leaves one entry too many, never a
        // password that left no trace.
        try await self.write(
            "INSERT INTO password_history (user_id, password_hash, replaced_at) SELECT id, password_hash, ? FROM users WHERE id = ?",
            [SQLBind(changedAt), .integer(Int(userID))]
        )
        try await self.write(
            "UPDATE users SET password_hash = ?, password_changed_at = ?, password_expired = 0 WHERE id = ?",
            [.text(hash), SQLBind(changedAt), .integer(Int(userID))]
        )
        // A remembered device vouched for the old password's holder.
        try await self.write(
            "UPDATE trusted_devices SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            [SQLBind(changedAt), .integer(Int(userID))]
        )
        // Kept no longer than any company may ask for.
        try await self.write(
            """
            DELETE FROM password_history WHERE user_id = ? AND id NOT IN
                (SELECT id FROM password_history WHERE user_id = ? ORDER BY id DESC LIMIT \(PasswordPolicy.maximumHistory))
            """,
            [.integer(Int(userID)), .integer(Int(userID))]
        )
    }

    public func passwordHistory(userID: Int64, limit: Int) async throws -> [String] {
        guard limit > 0 else { return [] }
        return try await self.read(
            "SELECT password_hash FROM password_history WHERE user_id = ? ORDER BY id DESC LIMIT ?",
            [.integer(Int(userID)), .integer(limit)]
        ).map { $0.string("password_hash") }
    }

    public func expirePassword(userID: Int64) async throws {
        try await self.write("UPDATE users SET password_expired = 1 WHERE id = ?", [.integer(Int(userID))])
    }

    public func setPin(userID: Int64, digest: String, image: String?, phrase: String?) async throws {
        try await self.write(
            "UPDATE users SET pin_digest = ?, pin_image = ?, pin_phrase = ? WHERE id = ?",
            [.text(digest), SQLBind(image), SQLBind(phrase), .integer(Int(userID))]
        )
    }

    public func setSecretQuestion(userID: Int64, question: String?, answerDigest: String?) async throws {
        try await self.write(
            "UPDATE users SET secret_question = ?, secret_answer_digest = ? WHERE id = ?",
            [SQLBind(question), SQLBind(answerDigest), .integer(Int(userID))]
        )
    }

    public func setPinDigest(userID: Int64, digest: String?) async throws {
        try await self.write("UPDATE users SET pin_digest = ? WHERE id = ?", [SQLBind(digest), .integer(Int(userID))])
    }

    public func setPendingAuthenticator(userID: Int64, sealedSecret: String?) async throws {
        try await self.write(
            "UPDATE users SET totp_pending_secret = ? WHERE id = ?",
            [SQLBind(sealedSecret), .integer(Int(userID))]
        )
    }

    public func confirmAuthenticator(userID: Int64, sealedSecret: String, usedStep: Int64) async throws -> Bool {
        try await self.writeChangedAny(
            """
            UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, totp_last_step = ?,
                two_factor = 'totp'
            WHERE id = ? AND totp_pending_secret = ?
            """,
            [.integer(Int(usedStep)), .integer(Int(userID)), .text(sealedSecret)]
        )
    }

    public func setAuthenticator(userID: Int64, sealedSecret: String) async throws {
        try await self.write(
            """
            UPDATE users SET totp_secret = ?, totp_pending_secret = NULL, totp_last_step = NULL, two_factor = 'totp'
            WHERE id = ?
            """,
            [.text(sealedSecret), .integer(Int(userID))]
        )
    }

    public func spendAuthenticatorStep(userID: Int64, step: Int64) async throws -> Bool {
        try await self.writeChangedAny(
            "UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)",
            [.integer(Int(step)), .integer(Int(userID)), .integer(Int(step))]
        )
    }

    // MARK: Rows

    static func company(_ row: StorageRow) -> Company {
        Company(
            id: row.int("id"),
            name: row.string("name"),
            policy: CompanyPolicy(
                requireTwoFactor: row.bool("require_2fa"),
                requirePin: row.bool("require_pin"),
                tokenLifetime: Int(row.int("token_ttl")),
                lockout: LockoutPolicy(
                    pairFailureLimit: Int(row.int("device_failure_limit")),
                    pairWindow: TimeInterval(row.int("device_window")),
                    accountFailureLimit: Int(row.int("account_failure_limit")),
                    accountWindow: TimeInterval(row.int("account_window")),
                    accountLockDuration: TimeInterval(row.int("account_lock_duration")),
                    addressFailureLimit: Int(row.int("address_failure_limit")),
                    addressWindow: TimeInterval(row.int("address_window"))
                ),
                passwords: PasswordPolicy(
                    minimumLength: Int(row.int("password_min_length")),
                    maximumAgeDays: row.optionalInt("password_max_age_days").map { Int($0) },
                    revokeSessionsOnChange: row.bool("revoke_sessions_on_change"),
                    requiredClasses: Int(row.int("password_classes")),
                    history: Int(row.int("password_history"))
                ),
                // An answer this build does not know (written by a newer one) falls back to HTTP's own.
                throttleAnswer: ThrottleAnswer(rawValue: row.string("throttle_answer")) ?? .tooManyRequests,
                browserOrigins: row.string("browser_origins").split(separator: " ").map(String.init),
                refresh: row.optionalInt("refresh_ttl").map { lifetime in
                    RefreshPolicy(
                        lifetime: Int(lifetime),
                        sessionMaxAge: row.optionalInt("session_max_age").map { Int($0) } ?? RefreshPolicy.defaultSessionMaxAge
                    )
                },
                recentAuthentication: row.optionalInt("recent_auth").map { Int($0) },
                userExpiryDays: row.optionalInt("user_expiry_days").map { Int($0) },
                devices: DevicePolicy(
                    newDeviceNotices: row.bool("new_device_notices"),
                    trustedDeviceDays: row.optionalInt("trusted_device_days").map { Int($0) }
                )
            )
        )
    }

    static func user(_ row: StorageRow) -> User {
        User(
            id: row.int("id"),
            companyID: row.int("company_id"),
            username: row.string("username"),
            passwordHash: row.string("password_hash"),
            email: row.optionalString("email"),
            phone: row.optionalString("phone"),
            twoFactor: TwoFactorMethod(rawValue: row.string("two_factor")) ?? .none,
            pinDigest: row.optionalString("pin_digest"),
            profile: UserProfile(
                firstName: row.optionalString("first_name"),
                middleName: row.optionalString("middle_name"),
                lastName: row.optionalString("last_name"),
                salutation: row.optionalString("salutation"),
                suffix: row.optionalString("suffix")
            ),
            addedAt: row.date("added_at"),
            disabledAt: row.optionalDate("disabled_at"),
            passwordChangedAt: row.optionalDate("password_changed_at"),
            passwordExpired: row.bool("password_expired"),
            secretQuestion: row.optionalString("secret_question"),
            secretAnswerDigest: row.optionalString("secret_answer_digest"),
            pinImage: row.optionalString("pin_image"),
            pinPhrase: row.optionalString("pin_phrase"),
            totpSecret: row.optionalString("totp_secret"),
            totpPendingSecret: row.optionalString("totp_pending_secret"),
            totpLastStep: row.optionalInt("totp_last_step"),
            lastSignInAt: row.optionalDate("last_sign_in_at")
        )
    }
}
