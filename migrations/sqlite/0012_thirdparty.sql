-- ThirdParty login methods: the provider and the user's id there. Both on `users` (the
-- login method) and on `user_tenants`, where one provider account signs up at most once
-- per tenant and provider searches read one index.
ALTER TABLE users ADD COLUMN third_party_id VARCHAR(28);
ALTER TABLE users ADD COLUMN third_party_user_id VARCHAR(256);
ALTER TABLE user_tenants ADD COLUMN third_party_id VARCHAR(28);
ALTER TABLE user_tenants ADD COLUMN third_party_user_id VARCHAR(256);
CREATE UNIQUE INDEX user_tenants_thirdparty_index
    ON user_tenants (app_id, tenant_id, third_party_id, third_party_user_id) WHERE recipe_id = 'thirdparty';
CREATE INDEX user_tenants_provider_index ON user_tenants (app_id, tenant_id, third_party_id);
