-- The settings an app (on its public tenant) or a tenant sets for itself: the `coreConfig`
-- JSON object of the multitenancy APIs, as given, without nulls. NULL when it sets none.
ALTER TABLE tenants ADD COLUMN core_config TEXT;
