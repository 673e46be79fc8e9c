-- TOTP devices of a user (any user id: TOTP users need no login method), per app. The secret
-- is sealed with the app's TOTP key (app_secrets), so a leaked row alone does not give it away.
CREATE TABLE totp_devices (
    app_id VARCHAR(64) NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
    user_id VARCHAR(128) NOT NULL,
    device_name VARCHAR(256) NOT NULL,
    sealed_secret TEXT NOT NULL,
    period INTEGER NOT NULL,
    skew INTEGER NOT NULL,
    verified BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, user_id, device_name)
);

-- Codes tried per tenant and user: the failed ones count towards the attempt limit, the
-- accepted ones are refused again while they are valid. A row is kept until keep_until (its
-- expiry plus the tenant's cool-down when it was tried).
CREATE TABLE totp_used_codes (
    app_id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(128) NOT NULL,
    code VARCHAR(8) NOT NULL,
    is_valid BOOLEAN NOT NULL,
    expiry_time_ms BIGINT NOT NULL,
    created_time_ms BIGINT NOT NULL,
    keep_until BIGINT NOT NULL,
    PRIMARY KEY (app_id, tenant_id, user_id, created_time_ms),
    FOREIGN KEY (app_id, tenant_id) REFERENCES tenants (app_id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX totp_used_codes_keep_until_index ON totp_used_codes (keep_until);
