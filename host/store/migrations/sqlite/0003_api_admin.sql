-- Administration through the REST API: tenant settings with optimistic concurrency,
-- users mapped to identity-provider subjects, API keys, and four-eyes bank-account
-- changes for vendors.
ALTER TABLE tenants ADD COLUMN settings_version BIGINT NOT NULL DEFAULT 1;

ALTER TABLE users ADD COLUMN subject TEXT;
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
ALTER TABLE users ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX users_subject ON users (tenant_id, subject);

CREATE INDEX vendors_name ON vendors (tenant_id, LOWER(name), id);
CREATE INDEX vendor_domains_domain ON vendor_domains (tenant_id, domain);

-- A bank account waiting for a second person; only confirmed ones reach vendor_ibans,
-- which is what the fraud checks read.
CREATE TABLE vendor_iban_requests (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    vendor_id TEXT NOT NULL REFERENCES vendors(id),
    iban TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'declined')),
    decided_by TEXT,
    decided_at BIGINT
);
CREATE INDEX vendor_iban_requests_vendor ON vendor_iban_requests (tenant_id, vendor_id, status);
CREATE UNIQUE INDEX vendor_iban_requests_one_pending ON vendor_iban_requests (vendor_id, iban) WHERE status = 'pending';

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    last_used_at BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);
