-- Tenant plugins: uploaded component versions (bytes in object storage under their
-- sha256), what is active or shadowed per tenant and plugin name, the history of
-- those pointer changes, back-test runs and shadow results.
-- The unused `plugins` table of 0001 is replaced by these.
DROP TABLE plugins;
CREATE TABLE tenant_plugins (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    -- 1 for a built-in component the tenant configures (`fraud`); it has no versions.
    builtin BIGINT NOT NULL DEFAULT 0,
    world TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('inactive', 'active', 'disabled')),
    active_version TEXT,
    shadow_version TEXT,
    -- JSON: config, grants, limits, failure policy, disabled rule ids.
    settings TEXT NOT NULL DEFAULT '{}',
    revision BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE plugin_versions (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    plugin_name TEXT NOT NULL,
    label TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    digest TEXT NOT NULL,
    size BIGINT NOT NULL,
    world TEXT NOT NULL,
    -- JSON arrays: the rule ids it declared, its imports.
    rules TEXT NOT NULL,
    imports TEXT NOT NULL,
    needs_history BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    FOREIGN KEY (tenant_id, plugin_name) REFERENCES tenant_plugins (tenant_id, name)
);
CREATE UNIQUE INDEX plugin_versions_label ON plugin_versions (tenant_id, plugin_name, label);
CREATE INDEX plugin_versions_digest ON plugin_versions (tenant_id, plugin_name, digest);

CREATE TABLE plugin_events (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    plugin_name TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    version_id TEXT,
    previous_version_id TEXT,
    detail TEXT NOT NULL DEFAULT '{}',
    FOREIGN KEY (tenant_id, plugin_name) REFERENCES tenant_plugins (tenant_id, name)
);
CREATE INDEX plugin_events_plugin ON plugin_events (tenant_id, plugin_name, at);

CREATE TABLE plugin_backtests (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    plugin_name TEXT NOT NULL,
    version_id TEXT NOT NULL,
    last_n BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    done BIGINT NOT NULL DEFAULT 0,
    total BIGINT NOT NULL DEFAULT 0,
    report TEXT,
    error TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Moved on by the server running it; a running back-test whose heartbeat
    -- stopped was interrupted (its server stopped).
    heartbeat_at BIGINT NOT NULL,
    finished_at BIGINT,
    FOREIGN KEY (tenant_id, plugin_name) REFERENCES tenant_plugins (tenant_id, name)
);
CREATE INDEX plugin_backtests_plugin ON plugin_backtests (tenant_id, plugin_name, created_at);

CREATE TABLE plugin_shadow_results (
    tenant_id TEXT NOT NULL,
    plugin_name TEXT NOT NULL,
    version_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    agrees BIGINT NOT NULL,
    active_findings TEXT NOT NULL,
    shadow_findings TEXT NOT NULL,
    error TEXT,
    PRIMARY KEY (tenant_id, plugin_name, version_id, document_id)
);
