-- Apps and their tenants. Every other table references one of these, so a new app or
-- tenant never needs a schema change. The default app and tenant are both `public`.
CREATE TABLE apps (
    app_id VARCHAR(64) NOT NULL PRIMARY KEY,
    created_at_time BIGINT NOT NULL
);

CREATE TABLE tenants (
    app_id VARCHAR(64) NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
    tenant_id VARCHAR(64) NOT NULL,
    created_at_time BIGINT NOT NULL,
    PRIMARY KEY (app_id, tenant_id)
);

INSERT INTO apps (app_id, created_at_time) VALUES ('public', 0);
INSERT INTO tenants (app_id, tenant_id, created_at_time) VALUES ('public', 'public', 0);
