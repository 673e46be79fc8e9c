-- Roles and their permissions belong to an app; a user holds a role in one tenant.
CREATE TABLE roles (
    app_id VARCHAR(64) NOT NULL REFERENCES apps (app_id) ON DELETE CASCADE,
    role VARCHAR(255) NOT NULL,
    PRIMARY KEY (app_id, role)
);

CREATE TABLE role_permissions (
    app_id VARCHAR(64) NOT NULL,
    role VARCHAR(255) NOT NULL,
    permission VARCHAR(255) NOT NULL,
    PRIMARY KEY (app_id, role, permission),
    FOREIGN KEY (app_id, role) REFERENCES roles (app_id, role) ON DELETE CASCADE
);
CREATE INDEX role_permissions_permission_index ON role_permissions (app_id, permission);

CREATE TABLE user_roles (
    app_id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    user_id VARCHAR(128) NOT NULL,
    role VARCHAR(255) NOT NULL,
    PRIMARY KEY (app_id, tenant_id, user_id, role),
    FOREIGN KEY (app_id, tenant_id) REFERENCES tenants (app_id, tenant_id) ON DELETE CASCADE,
    FOREIGN KEY (app_id, role) REFERENCES roles (app_id, role) ON DELETE CASCADE
);
CREATE INDEX user_roles_role_index ON user_roles (app_id, tenant_id, role);
CREATE INDEX user_roles_user_index ON user_roles (app_id, user_id);
