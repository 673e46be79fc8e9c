-- Verified (user id, email) pairs of an app, and email verification tokens of a tenant (only
-- their SHA-256 is stored). User ids are not foreign keys: applications may verify emails
-- of ids they map to their own.
CREATE TABLE emailverification_verified_emails (
    app_id VARCHAR(64) NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
    user_id VARCHAR(128) NOT NULL,
    email VARCHAR(256) NOT NULL,
    PRIMARY KEY (app_id, user_id, email)
);

CREATE TABLE emailverification_tokens (
    app_id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    token_hash CHAR(64) NOT NULL,
    user_id VARCHAR(128) NOT NULL,
    email VARCHAR(256) NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, tenant_id, token_hash),
    FOREIGN KEY (app_id, tenant_id) REFERENCES tenants (app_id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX emailverification_tokens_user_index ON emailverification_tokens (app_id, tenant_id, user_id, email);
CREATE INDEX emailverification_tokens_expiry_index ON emailverification_tokens (expires_at);
CREATE INDEX emailverification_tokens_app_user_index ON emailverification_tokens (app_id, user_id);
