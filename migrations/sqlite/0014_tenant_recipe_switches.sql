-- The deprecated v1 tenant APIs switch login recipes on and off; the switches stay on for
-- tenants configured through first factors only.
ALTER TABLE tenants ADD COLUMN email_password_enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE tenants ADD COLUMN third_party_enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE tenants ADD COLUMN passwordless_enabled BOOLEAN NOT NULL DEFAULT TRUE;
