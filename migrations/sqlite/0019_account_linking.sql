-- Account linking: a primary user owns several login methods (users rows sharing its id as
-- primary_user_id; is_primary marks the primary and every login method linked to it). No two
-- primary users may hold the same email, phone number or provider account in a tenant they
-- both belong to: each primary user's (tenant, account) pairs are rows here, and the primary
-- key refuses a second owner, whichever instance writes it.
CREATE TABLE primary_user_accounts (
    app_id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    -- 'email', 'phone' or 'tparty' (the provider's id and the user's id there, '::'-joined).
    account_type VARCHAR(8) NOT NULL,
    account_value VARCHAR(300) NOT NULL,
    primary_user_id VARCHAR(128) NOT NULL,
    PRIMARY KEY (app_id, tenant_id, account_type, account_value),
    FOREIGN KEY (app_id, tenant_id) REFERENCES tenants (app_id, tenant_id) ON DELETE CASCADE
);
CREATE INDEX primary_user_accounts_owner_index ON primary_user_accounts (app_id, primary_user_id);

-- The primary user's own login method, deleted while others stay linked to its id: the row
-- keeps the id, and what refers to it (its id mapping, password reset tokens for the others
-- to join), but it is no login method any more and holds no account.
ALTER TABLE users ADD COLUMN deleted BOOLEAN NOT NULL DEFAULT FALSE;

-- Whether an app has linked login methods at all: counting users reads the running counts
-- until it does.
CREATE INDEX users_linked_index ON users (app_id) WHERE primary_user_id <> user_id;
