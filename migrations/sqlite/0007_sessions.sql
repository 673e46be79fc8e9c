-- Keys that sign access tokens and JWTs (RSA, base64 DER), shared by every process. One
-- dynamic key per app and period (`valid_from` is the period's start) and one static key
-- per app (`valid_from` 0): the unique key makes racing processes create only one.
CREATE TABLE signing_keys (
    app_id VARCHAR(64) NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
    key_id VARCHAR(255) NOT NULL,
    dynamic BOOLEAN NOT NULL,
    valid_from BIGINT NOT NULL,
    public_key TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, key_id),
    UNIQUE (app_id, dynamic, valid_from)
);

-- Secrets an app needs once and forever (the key that encrypts refresh tokens).
CREATE TABLE app_secrets (
    app_id VARCHAR(64) NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
    name VARCHAR(128) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (app_id, name)
);

-- Sessions. Only the double SHA-256 of the current refresh token is kept.
CREATE TABLE sessions (
    app_id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    session_handle VARCHAR(255) NOT NULL,
    user_id VARCHAR(128) NOT NULL,
    refresh_token_hash_2 CHAR(64) NOT NULL,
    session_data TEXT NOT NULL,
    jwt_user_payload TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    use_static_key BOOLEAN NOT NULL,
    PRIMARY KEY (app_id, tenant_id, session_handle),
    FOREIGN KEY (app_id, tenant_id) REFERENCES tenants (app_id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX sessions_user_index ON sessions (app_id, user_id);
CREATE INDEX sessions_expiry_index ON sessions (expires_at);
