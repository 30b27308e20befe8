extension Migrations {
    /// The advisory lock that orders the revocation log's commits on PostgreSQL: `revoke` in ASCII.
    static let revocationLockKey: Int64 = 0x72_6576_6f6b_65

    /// Step 9: the log of changes that end validated tokens (see `ValidationCache`), written by triggers.
    static let tokenRevocations =
        Step(
            version: 9,
            // Every change that can end a validated token, recorded by the database itself as it commits —
            // whichever process made it (a node, the CLI, a statement typed by hand) — so each node can end what
            // it has cached. A token's row counts when what validity depends on changes (revoked, expiry, user, app
            // key, company, digest) or it goes; a user's or an app key's row whenever it changes or goes. The old
            // row's key is the one cached.
            statements: [
                """
                CREATE TABLE token_revocations (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    key TEXT NOT NULL,
                    at INTEGER NOT NULL
                )
                """,
                """
                CREATE TRIGGER access_token_changed AFTER UPDATE OF revoked_at, expires_at, user_id, app_key_id, company_id, token_digest ON access_tokens
                BEGIN
                    INSERT INTO token_revocations (kind, key, at)
                    VALUES ('token', OLD.token_digest, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
                END
                """,
                """
                CREATE TRIGGER access_token_deleted AFTER DELETE ON access_tokens
                BEGIN
                    INSERT INTO token_revocations (kind, key, at)
                    VALUES ('token', OLD.token_digest, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
                END
                """,
                """
                CREATE TRIGGER user_changed AFTER UPDATE ON users
                BEGIN
                    INSERT INTO token_revocations (kind, key, at)
                    VALUES ('user', OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
                END
                """,
                """
                CREATE TRIGGER user_deleted AFTER DELETE ON users
                BEGIN
                    INSERT INTO token_revocations (kind, key, at)
                    VALUES ('user', OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
                END
                """,
                """
                CREATE TRIGGER app_key_changed AFTER UPDATE ON app_keys
                BEGIN
                    INSERT INTO token_revocations (kind, key, at)
                    VALUES ('app', OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
                END
                """,
                """
                CREATE TRIGGER app_key_deleted AFTER DELETE ON app_keys
                BEGIN
                    INSERT INTO token_revocations (kind, key, at)
                    VALUES ('app', OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
                END
                """,
            ],
            // PostgreSQL also tells every listening node at commit (NOTIFY), so none has to poll.
            postgres: [
                """
                CREATE TABLE token_revocations (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    kind TEXT NOT NULL,
                    key TEXT NOT NULL,
                    at BIGINT NOT NULL
                )
                """,
                """
                CREATE FUNCTION tessera_record_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    changed text;
                BEGIN
                    -- Separate statements: each is prepared only when reached, for the row type it is reached with.
                    IF TG_ARGV[0] = 'token' THEN
                        changed := OLD.token_digest;
                    ELSE
                        changed := OLD.id::text;
                    END IF;
                    INSERT INTO token_revocations (kind, key, at)
                    VALUES (TG_ARGV[0], changed, (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
                    PERFORM pg_notify('tessera_revocations', '');
                    RETURN NULL;
                END
                $$
                """,
                // Sequence numbers are drawn at insert, not at commit: two writers could commit out of their order,
                // and a node that had read the later one would never read the earlier. So every statement that can
                // log takes one transaction-scoped lock before it touches a row, and holds it to its commit: the
                // log's rows commit in the order of their numbers. (Taken first, before any row lock, so it cannot
                // deadlock with them; a token's last-seen write does not take it.)
                """
                CREATE FUNCTION tessera_order_revocations() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_advisory_xact_lock(\(Self.revocationLockKey));
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER access_token_ordered BEFORE UPDATE OF revoked_at, expires_at, user_id, app_key_id, company_id, token_digest OR DELETE OR TRUNCATE ON access_tokens
                FOR EACH STATEMENT EXECUTE FUNCTION tessera_order_revocations()
                """,
                """
                CREATE TRIGGER access_token_changed AFTER UPDATE OF revoked_at, expires_at, user_id, app_key_id, company_id, token_digest OR DELETE ON access_tokens
                FOR EACH ROW EXECUTE FUNCTION tessera_record_revocation('token')
                """,
                """
                CREATE TRIGGER user_ordered BEFORE UPDATE OR DELETE OR TRUNCATE ON users
                FOR EACH STATEMENT EXECUTE FUNCTION tessera_order_revocations()
                """,
                """
                CREATE TRIGGER user_changed AFTER UPDATE OR DELETE ON users
                FOR EACH ROW EXECUTE FUNCTION tessera_record_revocation('user')
                """,
                """
                CREATE TRIGGER app_key_ordered BEFORE UPDATE OR DELETE OR TRUNCATE ON app_keys
                FOR EACH STATEMENT EXECUTE FUNCTION tessera_order_revocations()
                """,
                """
                CREATE TRIGGER app_key_changed AFTER UPDATE OR DELETE ON app_keys
                FOR EACH ROW EXECUTE FUNCTION tessera_record_revocation('app')
                """,
                // A table emptied at once fires no row trigger: it logs that everything may have ended.
                """
                CREATE FUNCTION tessera_record_truncation() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO token_revocations (kind, key, at)
                    VALUES ('all', TG_TABLE_NAME, (extract(epoch FROM clock_timestamp()) * 1000)::bigint);
                    PERFORM pg_notify('tessera_revocations', '');
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER access_tokens_truncated AFTER TRUNCATE ON access_tokens
                FOR EACH STATEMENT EXECUTE FUNCTION tessera_record_truncation()
                """,
                """
                CREATE TRIGGER users_truncated AFTER TRUNCATE ON users
                FOR EACH STATEMENT EXECUTE FUNCTION tessera_record_truncation()
                """,
                """
                CREATE TRIGGER app_keys_truncated AFTER TRUNCATE ON app_keys
                FOR EACH STATEMENT EXECUTE FUNCTION tessera_record_truncation()
                """,
            ]
        )
}
