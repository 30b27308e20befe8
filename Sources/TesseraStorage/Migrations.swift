/// The schema, as an append-only list of versioned steps. Never edit a released step: add one.
enum Migrations {
    struct Step {
        var version: Int
        var statements: [String]
    }

    static let steps: [Step] = [
        Step(
            version: 1,
            statements: [
                """
                CREATE TABLE companies (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    require_2fa INTEGER NOT NULL,
                    require_pin INTEGER NOT NULL,
                    token_ttl INTEGER NOT NULL,
                    created_at INTEGER NOT NULL
                )
                """,
                """
                CREATE TABLE app_keys (
                    id INTEGER PRIMARY KEY,
                    company_id INTEGER NOT NULL REFERENCES companies(id),
                    name TEXT NOT NULL,
                    key_digest TEXT NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER
                )
                """,
                """
                CREATE TABLE users (
                    id INTEGER PRIMARY KEY,
                    company_id INTEGER NOT NULL REFERENCES companies(id),
                    username TEXT NOT NULL,
                    username_key TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    email TEXT,
                    phone TEXT,
                    two_factor TEXT NOT NULL,
                    pin_digest TEXT,
                    first_name TEXT,
                    middle_name TEXT,
                    last_name TEXT,
                    salutation TEXT,
                    suffix TEXT,
                    added_at INTEGER NOT NULL,
                    disabled_at INTEGER,
                    UNIQUE (company_id, username_key)
                )
                """,
                """
                CREATE TABLE login_transactions (
                    id TEXT PRIMARY KEY,
                    ticket_digest TEXT NOT NULL UNIQUE,
                    app_key_id INTEGER NOT NULL REFERENCES app_keys(id),
                    user_id INTEGER NOT NULL REFERENCES users(id),
                    password_proof TEXT NOT NULL,
                    step TEXT NOT NULL,
                    code_digest TEXT,
                    code_expires_at INTEGER,
                    code_sent_at INTEGER,
                    code_failures INTEGER NOT NULL,
                    pin_failures INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    version INTEGER NOT NULL
                )
                """,
                "CREATE INDEX login_transactions_expiry ON login_transactions (expires_at)",
                """
                CREATE TABLE access_tokens (
                    id INTEGER PRIMARY KEY,
                    token_digest TEXT NOT NULL UNIQUE,
                    user_id INTEGER NOT NULL REFERENCES users(id),
                    app_key_id INTEGER NOT NULL REFERENCES app_keys(id),
                    company_id INTEGER NOT NULL REFERENCES companies(id),
                    issued_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    revoked_at INTEGER
                )
                """,
                "CREATE INDEX access_tokens_user ON access_tokens (user_id)",
                """
                CREATE TABLE tickets (
                    digest TEXT PRIMARY KEY,
                    user_id INTEGER NOT NULL REFERENCES users(id),
                    app_key_id INTEGER NOT NULL REFERENCES app_keys(id),
                    purpose TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    used_at INTEGER
                )
                """,
            ]
        ),
        Step(
            version: 2,
            statements: [
                "ALTER TABLE companies ADD COLUMN device_failure_limit INTEGER NOT NULL DEFAULT 10",
                "ALTER TABLE companies ADD COLUMN device_window INTEGER NOT NULL DEFAULT 900",
                "ALTER TABLE companies ADD COLUMN account_failure_limit INTEGER NOT NULL DEFAULT 100",
                "ALTER TABLE companies ADD COLUMN account_window INTEGER NOT NULL DEFAULT 3600",
                "ALTER TABLE companies ADD COLUMN account_lock_duration INTEGER NOT NULL DEFAULT 3600",
                "ALTER TABLE companies ADD COLUMN address_failure_limit INTEGER NOT NULL DEFAULT 100",
                "ALTER TABLE companies ADD COLUMN address_window INTEGER NOT NULL DEFAULT 3600",
                """
                CREATE TABLE login_failures (
                    id TEXT PRIMARY KEY,
                    company_id INTEGER NOT NULL,
                    username_key TEXT NOT NULL,
                    address TEXT NOT NULL,
                    at INTEGER NOT NULL
                )
                """,
                "CREATE INDEX login_failures_account ON login_failures (company_id, username_key, at)",
                "CREATE INDEX login_failures_address ON login_failures (address, at)",
                """
                CREATE TABLE account_locks (
                    company_id INTEGER NOT NULL,
                    username_key TEXT NOT NULL,
                    locked_at INTEGER NOT NULL,
                    locked_until INTEGER NOT NULL,
                    PRIMARY KEY (company_id, username_key)
                )
                """,
                """
                CREATE TABLE audit_events (
                    id INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    company_id INTEGER,
                    user_id INTEGER,
                    app_key_id INTEGER,
                    address TEXT,
                    outcome TEXT,
                    request_id TEXT,
                    actor TEXT
                )
                """,
                "CREATE INDEX audit_events_user ON audit_events (user_id, at)",
                "CREATE INDEX audit_events_at ON audit_events (at)",
            ]
        ),
        Step(
            version: 3,
            statements: [
                "ALTER TABLE companies ADD COLUMN password_min_length INTEGER NOT NULL DEFAULT 12",
                "ALTER TABLE companies ADD COLUMN password_max_age_days INTEGER",
                "ALTER TABLE companies ADD COLUMN revoke_sessions_on_change INTEGER NOT NULL DEFAULT 1",
                "ALTER TABLE users ADD COLUMN password_changed_at INTEGER",
                "UPDATE users SET password_changed_at = added_at",
                "ALTER TABLE users ADD COLUMN password_expired INTEGER NOT NULL DEFAULT 0",
                "ALTER TABLE users ADD COLUMN secret_question TEXT",
                "ALTER TABLE users ADD COLUMN secret_answer_digest TEXT",
                "ALTER TABLE users ADD COLUMN pin_image TEXT",
                "ALTER TABLE users ADD COLUMN pin_phrase TEXT",
                """
                CREATE TABLE reset_codes (
                    digest TEXT PRIMARY KEY,
                    user_id INTEGER NOT NULL UNIQUE REFERENCES users(id),
                    company_id INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL
                )
                """,
            ]
        ),
        Step(
            version: 4,
            statements: [
                "ALTER TABLE access_tokens ADD COLUMN session_id TEXT NOT NULL DEFAULT ''",
                // Tokens from before sessions get an id of their own, so none can be ended by an empty id.
                "UPDATE access_tokens SET session_id = 'legacy-' || id",
                "ALTER TABLE access_tokens ADD COLUMN address TEXT",
                "ALTER TABLE access_tokens ADD COLUMN user_agent TEXT",
                "ALTER TABLE access_tokens ADD COLUMN last_seen_at INTEGER",
                "UPDATE access_tokens SET last_seen_at = issued_at",
                "CREATE INDEX access_tokens_session ON access_tokens (session_id)",
                "ALTER TABLE app_keys ADD COLUMN introspection_secret_digest TEXT",
            ]
        ),
        Step(
            version: 5,
            statements: [
                // Authenticator (TOTP) second factor: secrets sealed with the server key, never in the clear;
                // the last accepted step, never a code.
                "ALTER TABLE users ADD COLUMN totp_secret TEXT",
                "ALTER TABLE users ADD COLUMN totp_pending_secret TEXT",
                "ALTER TABLE users ADD COLUMN totp_last_step INTEGER",
            ]
        ),
    ]

    static var latestVersion: Int { steps.last?.version ?? 0 }
}
