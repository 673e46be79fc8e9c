-- Passwordless login methods sign in with an email or a phone number (E.164 where it parses).
-- A phone number signs up at most once per tenant (only passwordless login methods have one,
-- so the unique index also serves phone searches); so does a passwordless email.
ALTER TABLE users ADD COLUMN phone_number VARCHAR(256);
ALTER TABLE user_tenants ADD COLUMN phone_number VARCHAR(256);
CREATE UNIQUE INDEX user_tenants_phone_index ON user_tenants (app_id, tenant_id, phone_number);
CREATE UNIQUE INDEX user_tenants_passwordless_email_index
    ON user_tenants (app_id, tenant_id, email) WHERE recipe_id = 'passwordless';

-- A sign-in in progress on one device (browser), for an email or a phone number. The device
-- id itself is never stored, only its hash (the pre-auth session id), so that neither it nor
-- the link codes derived from it can be rebuilt from a leaked row.
CREATE TABLE passwordless_devices (
    app_id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    device_id_hash VARCHAR(44) NOT NULL,
    email VARCHAR(256),
    phone_number VARCHAR(256),
    link_code_salt VARCHAR(44) NOT NULL,
    failed_attempts INTEGER NOT NULL,
    PRIMARY KEY (app_id, tenant_id, device_id_hash),
    FOREIGN KEY (app_id, tenant_id) REFERENCES tenants (app_id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX passwordless_devices_email_index ON passwordless_devices (app_id, tenant_id, email);
CREATE INDEX passwordless_devices_phone_index ON passwordless_devices (app_id, tenant_id, phone_number);

-- The codes sent to a device: only the hash of each link code is kept. A code is valid until
-- expires_at (its creation plus the tenant's passwordless_code_lifetime at that time).
CREATE TABLE passwordless_codes (
    app_id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    code_id VARCHAR(36) NOT NULL,
    device_id_hash VARCHAR(44) NOT NULL,
    link_code_hash VARCHAR(44) NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (app_id, tenant_id, code_id),
    UNIQUE (app_id, tenant_id, link_code_hash),
    FOREIGN KEY (app_id, tenant_id, device_id_hash)
        REFERENCES passwordless_devices (app_id, tenant_id, device_id_hash) ON DELETE CASCADE
);
CREATE INDEX passwordless_codes_device_index ON passwordless_codes (app_id, tenant_id, device_id_hash);
CREATE INDEX passwordless_codes_expiry_index ON passwordless_codes (expires_at);
