-- Which login methods a tenant allows; an app's settings are those of its public tenant.
-- Both are JSON arrays of factor ids. first_factors NULL means "every login method the
-- backend has", [] means none; required_secondary_factors NULL means none required.
ALTER TABLE tenants ADD COLUMN first_factors TEXT;
ALTER TABLE tenants ADD COLUMN required_secondary_factors TEXT;
