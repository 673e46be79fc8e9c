-- Loading a user reads its tenants by primary user id.
CREATE INDEX user_tenants_primary_user_index ON user_tenants (app_id, primary_user_id);

-- Running counts of login methods per app, tenant and recipe (tenant '' counts the whole
-- app), kept by triggers in the transactions that add and remove users, so that counting
-- users reads a few rows however many users there are.
CREATE TABLE user_counts (
    app_id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    recipe_id VARCHAR(64) NOT NULL,
    users BIGINT NOT NULL,
    PRIMARY KEY (app_id, tenant_id, recipe_id)
);

CREATE FUNCTION gatehouse_count_app_users() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_counts (app_id, tenant_id, recipe_id, users) VALUES (NEW.app_id, '', NEW.recipe_id, 1)
            ON CONFLICT (app_id, tenant_id, recipe_id) DO UPDATE SET users = user_counts.users + 1;
    ELSE
        UPDATE user_counts SET users = users - 1
            WHERE app_id = OLD.app_id AND tenant_id = '' AND recipe_id = OLD.recipe_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE FUNCTION gatehouse_count_tenant_users() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO user_counts (app_id, tenant_id, recipe_id, users) VALUES (NEW.app_id, NEW.tenant_id, NEW.recipe_id, 1)
            ON CONFLICT (app_id, tenant_id, recipe_id) DO UPDATE SET users = user_counts.users + 1;
    ELSE
        UPDATE user_counts SET users = users - 1
            WHERE app_id = OLD.app_id AND tenant_id = OLD.tenant_id AND recipe_id = OLD.recipe_id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_counted AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION gatehouse_count_app_users();
CREATE TRIGGER user_tenants_counted AFTER INSERT OR DELETE ON user_tenants
    FOR EACH ROW EXECUTE FUNCTION gatehouse_count_tenant_users();

INSERT INTO user_counts (app_id, tenant_id, recipe_id, users)
    SELECT app_id, '', recipe_id, COUNT(*) FROM users GROUP BY app_id, recipe_id;
INSERT INTO user_counts (app_id, tenant_id, recipe_id, users)
    SELECT app_id, tenant_id, recipe_id, COUNT(*) FROM user_tenants GROUP BY app_id, tenant_id, recipe_id;
