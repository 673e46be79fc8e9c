-- Third-party provider configs of each tenant, as JSON in the shape the SDKs read back.
CREATE TABLE thirdparty_providers (
    app_id VARCHAR(64) NOT NULL,
    tenant_id VARCHAR(64) NOT NULL,
    third_party_id VARCHAR(28) NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (app_id, tenant_id, third_party_id),
    FOREIGN KEY (app_id, tenant_id) REFERENCES tenants (app_id, tenant_id) ON DELETE CASCADE
);
