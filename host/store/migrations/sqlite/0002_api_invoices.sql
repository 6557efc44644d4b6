-- The REST API's invoice side: optimistic concurrency, who uploaded, approval
-- counts, export marks, field corrections, and indexes for listing a tenant's
-- invoices page by page.

-- Bumped by every API change; the ETag clients send back in If-Match.
ALTER TABLE documents ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- User id of an API upload (segregation of duties); NULL for mailbox and watch folder.
ALTER TABLE documents ADD COLUMN uploaded_by TEXT;
-- Distinct approvers needed, fixed when the invoice reaches approval.
ALTER TABLE documents ADD COLUMN approvals_needed BIGINT;
ALTER TABLE documents ADD COLUMN exported_at BIGINT;

CREATE TABLE field_corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    document_id TEXT NOT NULL REFERENCES documents(id),
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    actor TEXT NOT NULL,
    comment TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX field_corrections_document ON field_corrections (tenant_id, document_id, id);

-- Keyset pagination walks these in order; the trailing id breaks ties.
CREATE INDEX documents_received ON documents (tenant_id, received_at, id);
CREATE INDEX documents_status_received ON documents (tenant_id, status, received_at, id);
CREATE INDEX documents_updated ON documents (tenant_id, updated_at, id);
-- Same leading columns as documents_status_received, which replaces it.
DROP INDEX documents_status;
CREATE INDEX invoices_gross ON invoices (tenant_id, gross_minor);
CREATE INDEX invoices_issue_date ON invoices (tenant_id, issue_date);
CREATE INDEX approvals_document ON approvals (tenant_id, document_id, id);
CREATE INDEX audit_tenant ON audit_log (tenant_id, id);
CREATE INDEX audit_actor ON audit_log (tenant_id, actor, id);
