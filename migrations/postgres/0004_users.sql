-- Users. A row of `users` is one login method (a "recipe user"); `primary_user_id` names
-- the user it belongs to (itself until accounts are linked). `user_tenants` says which
-- tenants a login method belongs to and carries what listing, counting and look-ups by
-- email need, so those read one index and never the whole table.
CREATE TABLE users (
    app_id VARCHAR(64) NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
    user_id VARCHAR(128) NOT NULL,
    recipe_id VARCHAR(64) NOT NULL,
    primary_user_id VARCHAR(128) NOT NULL,
    is_primary BOOLEAN NOT NULL DEFAULT FALSE,
    time_joined BIGINT NOT NULL,
    email VARCHAR(256) COLLATE "C",
    PRIMARY KEY (app_id, user_id)
);
CREATE INDEX users_primary_user_index ON users (app_id, primary_user_id);

CREATE TABLE user_tenants (
    app_id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(128) NOT NULL,
    recipe_id VARCHAR(64) NOT NULL,
    primary_user_id VARCHAR(128) NOT NULL,
    primary_time_joined BIGINT NOT NULL,
    -- Byte-wise collation, so that an email prefix is an index range.
    email VARCHAR(256) COLLATE "C",
    email_domain VARCHAR(256) COLLATE "C",
    PRIMARY KEY (app_id, tenant_id, user_id),
    FOREIGN KEY (app_id, user_id) REFERENCES users (app_id, user_id) ON DELETE CASCADE,
    FOREIGN KEY (app_id, tenant_id) REFERENCES tenants (app_id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX user_tenants_page_index ON user_tenants (app_id, tenant_id, primary_time_joined, primary_user_id);
CREATE INDEX user_tenants_recipe_page_index
    ON user_tenants (app_id, tenant_id, recipe_id, primary_time_joined, primary_user_id);
CREATE INDEX user_tenants_email_index ON user_tenants (app_id, tenant_id, email);
CREATE INDEX user_tenants_email_domain_index ON user_tenants (app_id, tenant_id, email_domain);
-- An email signs up with a password at most once per tenant.
CREATE UNIQUE INDEX user_tenants_emailpassword_email_index
    ON user_tenants (app_id, tenant_id, email) WHERE recipe_id = 'emailpassword';

-- When each user was last seen (sign-up, sign-in, sessions), for GET /users/count/active.
CREATE TABLE user_last_active (
    app_id VARCHAR(64) NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
    user_id VARCHAR(128) NOT NULL,
    last_active_time BIGINT NOT NULL,
    PRIMARY KEY (app_id, user_id)
);
CREATE INDEX user_last_active_time_index ON user_last_active (app_id, last_active_time);
