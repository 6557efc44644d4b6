-- The check stage looks up a tenant's earlier invoices by vendor id, tax id, name,
-- IBAN or file hash, one indexed lookup per key; the name had no index.
CREATE INDEX invoices_vendor_name ON invoices (tenant_id, vendor_name);
