CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL
);
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    email TEXT NOT NULL,
    name TEXT,
    roles TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, email)
);
CREATE TABLE vendors (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    country TEXT,
    tax_ids TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX vendors_tenant ON vendors (tenant_id);
CREATE TABLE vendor_ibans (
    vendor_id TEXT NOT NULL REFERENCES vendors(id),
    tenant_id TEXT NOT NULL,
    iban TEXT NOT NULL,
    verified_by TEXT NOT NULL,
    verified_at BIGINT NOT NULL,
    PRIMARY KEY (vendor_id, iban)
);
CREATE INDEX vendor_ibans_iban ON vendor_ibans (tenant_id, iban);
CREATE TABLE vendor_domains (
    vendor_id TEXT NOT NULL REFERENCES vendors(id),
    tenant_id TEXT NOT NULL,
    domain TEXT NOT NULL,
    PRIMARY KEY (vendor_id, domain)
);
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    sha256 TEXT NOT NULL,
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    blob_key TEXT NOT NULL,
    message_id TEXT,
    origin TEXT NOT NULL DEFAULT '{}',
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    kind TEXT,
    decision TEXT,
    risk_score BIGINT,
    error TEXT,
    received_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, sha256)
);
CREATE UNIQUE INDEX documents_message_id ON documents (tenant_id, message_id) WHERE message_id IS NOT NULL;
CREATE INDEX documents_status ON documents (tenant_id, status);
CREATE TABLE document_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents(id),
    reason TEXT NOT NULL,
    filename TEXT NOT NULL,
    message_id TEXT,
    received_at BIGINT NOT NULL
);
CREATE TABLE invoices (
    document_id TEXT PRIMARY KEY REFERENCES documents(id),
    tenant_id TEXT NOT NULL,
    vendor_id TEXT,
    vendor_name TEXT,
    vendor_tax_id TEXT,
    invoice_number TEXT,
    issue_date TEXT,
    currency TEXT,
    gross_minor BIGINT,
    iban TEXT,
    fields TEXT NOT NULL,
    invoice TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX invoices_vendor ON invoices (tenant_id, vendor_id);
CREATE INDEX invoices_tax ON invoices (tenant_id, vendor_tax_id);
CREATE INDEX invoices_iban ON invoices (tenant_id, iban);
CREATE TABLE findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents(id),
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    score BIGINT NOT NULL,
    message TEXT NOT NULL,
    evidence TEXT NOT NULL,
    plugin TEXT NOT NULL
);
CREATE INDEX findings_document ON findings (document_id);
CREATE TABLE approvals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents(id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    comment TEXT,
    at BIGINT NOT NULL
);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    document_id TEXT,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_document ON audit_log (document_id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents(id),
    stage TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_after BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (document_id, stage)
);
CREATE INDEX jobs_runnable ON jobs (run_after);
CREATE TABLE tenant_locks (
    tenant_id TEXT PRIMARY KEY,
    owner TEXT,
    until BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE stage_results (
    document_id TEXT NOT NULL REFERENCES documents(id),
    stage TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    worker TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    result TEXT NOT NULL,
    plugins TEXT NOT NULL,
    duration_us BIGINT NOT NULL,
    completed_at BIGINT NOT NULL,
    PRIMARY KEY (document_id, stage)
);
CREATE TABLE plugins (
    tenant_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    world TEXT NOT NULL,
    size BIGINT NOT NULL,
    blob_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, digest)
);
