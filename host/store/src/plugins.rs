//! Tenant plugins: component versions a tenant uploaded (the bytes live in object
//! storage under their sha256; here their metadata), which version is active or
//! shadowed per plugin name, the history of those changes, back-test runs and
//! shadow results. Every query takes the tenant id: one tenant's plugins are
//! invisible to another.
//!
//! A built-in component the tenant configures (`fraud`) has a row too, created on
//! its first change, with no versions: active means enabled.
use crate::api::access::{Actor, is_unique_violation, new_id};
use crate::api::settings::is_slug;
use crate::api::sql::lock_rows;
use crate::documents::insert_audit;
use crate::{Db, Result, StoreError, now_ms};
use serde_json::json;
use sqlx::Row;

/// Names of the built-in stage components; a tenant's plugin cannot take them.
pub const BUILTIN_NAMES: [&str; 5] = ["parse", "classify", "extract", "fraud", "report"];

/// A tenant's plugin: a name, the world its versions implement, and the pointers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PluginRow {
    pub name: String,
    pub builtin: bool,
    pub world: String,
    pub description: String,
    /// `inactive` (uploaded, never activated), `active`, `disabled`.
    pub state: String,
    pub active_version: Option<String>,
    pub shadow_version: Option<String>,
    /// JSON: config, grants, limits, failure policy, disabled rule ids.
    pub settings: String,
    /// Bumped by every change; a change may name the revision it expects.
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One uploaded component.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PluginVersionRow {
    pub id: String,
    pub plugin_name: String,
    pub label: String,
    pub description: String,
    pub digest: String,
    pub size: i64,
    pub world: String,
    pub rules: Vec<String>,
    pub imports: Vec<String>,
    pub needs_history: bool,
    pub uploaded_by: String,
    pub uploaded_at: i64,
}

/// A validated component to record.
#[derive(Debug, Clone)]
pub struct NewPluginVersion {
    pub plugin_name: String,
    pub label: String,
    pub description: String,
    pub digest: String,
    pub size: i64,
    pub world: String,
    pub rules: Vec<String>,
    pub imports: Vec<String>,
    pub needs_history: bool,
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uploaded {
    Created(PluginVersionRow),
    /// The plugin already has a version with these bytes.
    Existing(PluginVersionRow),
}

/// A change of a plugin's pointers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PointerChange {
    /// Make this version (id or label) the active one.
    Activate(String),
    /// Back to the given version, or to the one active before the current one.
    Rollback(Option<String>),
    /// Stop running the plugin (a built-in one too).
    Disable,
    /// Run this version beside the active one without acting on its findings; `None`
    /// stops shadowing.
    Shadow(Option<String>),
}

impl PointerChange {
    fn action(&self) -> &'static str {
        match self {
            PointerChange::Activate(_) => "activated",
            PointerChange::Rollback(_) => "rolled-back",
            PointerChange::Disable => "disabled",
            PointerChange::Shadow(Some(_)) => "shadow-started",
            PointerChange::Shadow(None) => "shadow-stopped",
        }
    }
}

/// An entry of a plugin's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PluginEvent {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub version_id: Option<String>,
    pub previous_version_id: Option<String>,
    pub detail: serde_json::Value,
}

/// A back-test run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BacktestRow {
    pub id: String,
    pub plugin_name: String,
    pub version_id: String,
    pub last_n: i64,
    /// `running`, `done`, `failed`.
    pub status: String,
    pub done: i64,
    pub total: i64,
    pub report: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    /// Moved on while it runs; a running back-test whose heartbeat stopped lost its
    /// server.
    pub heartbeat_at: i64,
    pub finished_at: Option<i64>,
}

/// One invoice of a shadow run: what the active version found and what the shadow
/// version found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShadowResult {
    pub plugin_name: String,
    pub version_id: String,
    pub document_id: String,
    pub agrees: bool,
    pub active_findings: String,
    pub shadow_findings: String,
    pub error: Option<String>,
}

/// Agreement of a shadow version with the active one so far.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ShadowSummary {
    pub version_id: String,
    pub invoices: i64,
    pub disagreements: i64,
    pub failures: i64,
    /// `disagreements / invoices`, 0 when none ran.
    pub disagreement_rate: f64,
    /// The latest disagreements (document id, active findings, shadow findings).
    pub latest: Vec<serde_json::Value>,
}

/// An invoice a back-test replays: its stored extract and check results.
#[derive(Debug, Clone)]
pub struct ProcessedInvoice {
    pub document_id: String,
    pub received_at: i64,
    pub extract_result: String,
    pub check_result: String,
}

/// The tenant's plugin rows with their active and shadow versions: what the check
/// stage runs, read in one statement so that an invoice never sees half a change.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub plugin: PluginRow,
    pub active: Option<PluginVersionRow>,
    pub shadow: Option<PluginVersionRow>,
}

/// Plugin names go into URLs and metric labels.
pub fn validate_plugin_name(name: &str) -> Result<()> {
    if !(is_slug(name) && name.as_bytes()[0].is_ascii_lowercase()) {
        return Err(StoreError::Invalid(format!(
            "plugin name `{name}`: use 1 to 63 lower-case letters, digits and inner hyphens, starting with a letter"
        )));
    }
    Ok(())
}

/// Version labels: what a person types (`1.2.0`, `2026-11-26-a`).
pub fn validate_label(label: &str) -> Result<()> {
    let ok = !label.is_empty()
        && label.len() <= 64
        && label
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b".-_+".contains(&c));
    if !ok {
        return Err(StoreError::Invalid(format!(
            "version label `{label}`: use 1 to 64 letters, digits and . - _ +"
        )));
    }
    Ok(())
}

/// The version that was active before `$3` was last activated.
const PREVIOUS_ACTIVE: &str = "SELECT previous_version_id FROM plugin_events WHERE tenant_id = $1 AND plugin_name = $2 AND action IN ('activated', 'rolled-back') AND version_id = $3 ORDER BY at DESC, id DESC LIMIT 1";
const PLUGIN_COLUMNS: &str = "p.name, p.builtin, p.world, p.description, p.state, p.active_version, p.shadow_version, p.settings, p.revision, p.created_at, p.updated_at";
const VERSION_COLUMNS: &str = "id, plugin_name, label, description, digest, size, world, rules, imports, needs_history, uploaded_by, uploaded_at";

fn plugin_row(r: &sqlx::any::AnyRow) -> Result<PluginRow> {
    Ok(PluginRow {
        name: r.try_get("name")?,
        builtin: r.try_get::<i64, _>("builtin")? != 0,
        world: r.try_get("world")?,
        description: r.try_get("description")?,
        state: r.try_get("state")?,
        active_version: r.try_get("active_version")?,
        shadow_version: r.try_get("shadow_version")?,
        settings: r.try_get("settings")?,
        revision: r.try_get("revision")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn string_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn version_row(r: &sqlx::any::AnyRow, prefix: &str) -> Result<PluginVersionRow> {
    let col = |c: &str| format!("{prefix}{c}");
    Ok(PluginVersionRow {
        id: r.try_get(col("id").as_str())?,
        plugin_name: r.try_get(col("plugin_name").as_str())?,
        label: r.try_get(col("label").as_str())?,
        description: r.try_get(col("description").as_str())?,
        digest: r.try_get(col("digest").as_str())?,
        size: r.try_get(col("size").as_str())?,
        world: r.try_get(col("world").as_str())?,
        rules: string_list(&r.try_get::<String, _>(col("rules").as_str())?),
        imports: string_list(&r.try_get::<String, _>(col("imports").as_str())?),
        needs_history: r.try_get::<i64, _>(col("needs_history").as_str())? != 0,
        uploaded_by: r.try_get(col("uploaded_by").as_str())?,
        uploaded_at: r.try_get(col("uploaded_at").as_str())?,
    })
}

fn backtest_row(r: &sqlx::any::AnyRow) -> Result<BacktestRow> {
    Ok(BacktestRow {
        id: r.try_get("id")?,
        plugin_name: r.try_get("plugin_name")?,
        version_id: r.try_get("version_id")?,
        last_n: r.try_get("last_n")?,
        status: r.try_get("status")?,
        done: r.try_get("done")?,
        total: r.try_get("total")?,
        report: r
            .try_get::<Option<String>, _>("report")?
            .and_then(|t| serde_json::from_str(&t).ok()),
        error: r.try_get("error")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        heartbeat_at: r.try_get("heartbeat_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

#[allow(clippy::too_many_arguments)] // reason: one history row, written in the caller's transaction
async fn record_event(
    tx: &mut Tx,
    tenant_id: &str,
    name: &str,
    actor: &Actor<'_>,
    action: &str,
    version_id: Option<&str>,
    previous: Option<&str>,
    detail: serde_json::Value,
) -> Result<()> {
    // Ids sort in the order events happened (time, then this process's sequence), so
    // events of the same millisecond keep their order.
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let at = now_ms();
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let id = format!("pe_{at:013}_{seq:012}_{}", new_id("r")?);
    sqlx::query("INSERT INTO plugin_events (id, tenant_id, plugin_name, at, actor, action, version_id, previous_version_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(id)
        .bind(tenant_id)
        .bind(name)
        .bind(at)
        .bind(actor.audit_name())
        .bind(action)
        .bind(version_id)
        .bind(previous)
        .bind(detail.to_string())
        .execute(&mut **tx)
        .await?;
    let mut audit = json!({ "plugin": name, "version": version_id, "previous": previous });
    if let (Some(a), serde_json::Value::Object(d)) = (audit.as_object_mut(), detail) {
        a.extend(d);
    }
    insert_audit(
        tx,
        tenant_id,
        None,
        &actor.audit_name(),
        &format!("plugin.{action}"),
        &audit.to_string(),
    )
    .await
}

impl Db {
    /// The tenant's plugins, by name.
    pub async fn plugins(&self, tenant_id: &str) -> Result<Vec<PluginRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {PLUGIN_COLUMNS} FROM tenant_plugins p WHERE p.tenant_id = $1 ORDER BY p.name"
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(plugin_row).collect()
    }

    pub async fn plugin(&self, tenant_id: &str, name: &str) -> Result<Option<PluginRow>> {
        let row = sqlx::query(&format!(
            "SELECT {PLUGIN_COLUMNS} FROM tenant_plugins p WHERE p.tenant_id = $1 AND p.name = $2"
        ))
        .bind(tenant_id)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(plugin_row).transpose()
    }

    /// A plugin's versions, newest first.
    pub async fn plugin_versions(
        &self,
        tenant_id: &str,
        name: &str,
    ) -> Result<Vec<PluginVersionRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM plugin_versions WHERE tenant_id = $1 AND plugin_name = $2 ORDER BY uploaded_at DESC, id DESC"
        ))
        .bind(tenant_id)
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| version_row(r, "")).collect()
    }

    /// One version of a plugin, by id or label.
    pub async fn plugin_version(
        &self,
        tenant_id: &str,
        name: &str,
        version: &str,
    ) -> Result<Option<PluginVersionRow>> {
        let row = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM plugin_versions WHERE tenant_id = $1 AND plugin_name = $2 AND (id = $3 OR label = $3)"
        ))
        .bind(tenant_id)
        .bind(name)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(|r| version_row(r, "")).transpose()
    }

    /// Record an uploaded, validated component as a new version of the tenant's
    /// plugin (created, inactive, when it is new). The same bytes uploaded again
    /// give the existing version; a label in use by other bytes is a conflict.
    pub async fn add_plugin_version(
        &self,
        tenant_id: &str,
        actor: &Actor<'_>,
        v: &NewPluginVersion,
        default_settings: &str,
    ) -> Result<Uploaded> {
        validate_plugin_name(&v.plugin_name)?;
        validate_label(&v.label)?;
        if BUILTIN_NAMES.contains(&v.plugin_name.as_str()) {
            return Err(StoreError::Invalid(format!(
                "`{}` is the name of a built-in component; choose another name for your plugin",
                v.plugin_name
            )));
        }
        let mut tx = self.begin_write().await?;
        let now = now_ms();
        let existing = sqlx::query(&format!(
            "SELECT {PLUGIN_COLUMNS} FROM tenant_plugins p WHERE p.tenant_id = $1 AND p.name = $2{}",
            lock_rows(self.backend, "p")
        ))
        .bind(tenant_id)
        .bind(&v.plugin_name)
        .fetch_optional(&mut *tx)
        .await?;
        match existing.as_ref().map(plugin_row).transpose()? {
            Some(p) if p.world != v.world => {
                return Err(StoreError::Invalid(format!(
                    "plugin `{}` is a {} plugin; this component implements the {} world (upload it under another name)",
                    v.plugin_name, p.world, v.world
                )));
            }
            Some(_) => {
                sqlx::query("UPDATE tenant_plugins SET revision = revision + 1, updated_at = $3 WHERE tenant_id = $1 AND name = $2")
                    .bind(tenant_id)
                    .bind(&v.plugin_name)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            None => {
                // ON CONFLICT: a concurrent first upload of the same name created it
                // meanwhile; its world is compared below.
                sqlx::query("INSERT INTO tenant_plugins (tenant_id, name, builtin, world, description, state, settings, revision, created_at, updated_at) VALUES ($1, $2, 0, $3, $4, 'inactive', $5, 1, $6, $6) ON CONFLICT (tenant_id, name) DO NOTHING")
                    .bind(tenant_id)
                    .bind(&v.plugin_name)
                    .bind(&v.world)
                    .bind(&v.description)
                    .bind(default_settings)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if existing.is_none() {
            let row = sqlx::query(&format!(
                "SELECT {PLUGIN_COLUMNS} FROM tenant_plugins p WHERE p.tenant_id = $1 AND p.name = $2{}",
                lock_rows(self.backend, "p")
            ))
            .bind(tenant_id)
            .bind(&v.plugin_name)
            .fetch_one(&mut *tx)
            .await?;
            let p = plugin_row(&row)?;
            if p.world != v.world {
                return Err(StoreError::Invalid(format!(
                    "plugin `{}` is a {} plugin; this component implements the {} world (upload it under another name)",
                    v.plugin_name, p.world, v.world
                )));
            }
        }
        let same = sqlx::query(&format!(
            "SELECT {VERSION_COLUMNS} FROM plugin_versions WHERE tenant_id = $1 AND plugin_name = $2 AND digest = $3"
        ))
        .bind(tenant_id)
        .bind(&v.plugin_name)
        .bind(&v.digest)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = same {
            // Nothing changed: roll the revision bump back with the transaction.
            return Ok(Uploaded::Existing(version_row(&r, "")?));
        }
        let row = PluginVersionRow {
            id: new_id("pv")?,
            plugin_name: v.plugin_name.clone(),
            label: v.label.clone(),
            description: v.description.clone(),
            digest: v.digest.clone(),
            size: v.size,
            world: v.world.clone(),
            rules: v.rules.clone(),
            imports: v.imports.clone(),
            needs_history: v.needs_history,
            uploaded_by: actor.audit_name(),
            uploaded_at: now,
        };
        let inserted = sqlx::query(&format!(
            "INSERT INTO plugin_versions (tenant_id, {VERSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(tenant_id)
        .bind(&row.id)
        .bind(&row.plugin_name)
        .bind(&row.label)
        .bind(&row.description)
        .bind(&row.digest)
        .bind(row.size)
        .bind(&row.world)
        .bind(json!(row.rules).to_string())
        .bind(json!(row.imports).to_string())
        .bind(row.needs_history as i64)
        .bind(&row.uploaded_by)
        .bind(row.uploaded_at)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from);
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Duplicate(format!(
                    "plugin `{}` already has a version labelled `{}` with other bytes; choose a new label",
                    v.plugin_name, v.label
                )));
            }
            Err(e) => return Err(e),
        }
        record_event(
            &mut tx,
            tenant_id,
            &v.plugin_name,
            actor,
            "uploaded",
            Some(&row.id),
            None,
            json!({ "label": row.label, "digest": row.digest, "size": row.size, "world": row.world }),
        )
        .await?;
        tx.commit().await?;
        Ok(Uploaded::Created(row))
    }

    /// The row of a built-in component, created (active, default settings) when the
    /// tenant first changes it.
    async fn ensure_builtin_row(&self, tx: &mut Tx, tenant_id: &str, name: &str) -> Result<()> {
        if name != "fraud" {
            return Ok(());
        }
        let now = now_ms();
        sqlx::query("INSERT INTO tenant_plugins (tenant_id, name, builtin, world, description, state, settings, revision, created_at, updated_at) VALUES ($1, $2, 1, 'fraud-rule', 'The built-in fraud rules', 'active', '{}', 1, $3, $3) ON CONFLICT (tenant_id, name) DO NOTHING")
            .bind(tenant_id)
            .bind(name)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn locked_plugin(&self, tx: &mut Tx, tenant_id: &str, name: &str) -> Result<PluginRow> {
        self.ensure_builtin_row(tx, tenant_id, name).await?;
        let row = sqlx::query(&format!(
            "SELECT {PLUGIN_COLUMNS} FROM tenant_plugins p WHERE p.tenant_id = $1 AND p.name = $2{}",
            lock_rows(self.backend, "p")
        ))
        .bind(tenant_id)
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
        row.as_ref()
            .map(plugin_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound(format!("plugin {name}")))
    }

    /// Activate, roll back, disable or shadow; recorded in the plugin's history and
    /// the audit log. `expected_revision`: fail with a conflict when the plugin
    /// changed meanwhile.
    pub async fn change_plugin(
        &self,
        tenant_id: &str,
        name: &str,
        actor: &Actor<'_>,
        change: &PointerChange,
        expected_revision: Option<i64>,
    ) -> Result<PluginRow> {
        let mut tx = self.begin_write().await?;
        let p = self.locked_plugin(&mut tx, tenant_id, name).await?;
        if let Some(rev) = expected_revision
            && rev != p.revision
        {
            return Err(StoreError::Conflict {
                current_version: p.revision,
            });
        }
        // Versions never change once stored: read outside the transaction.
        let version = |v: &str| {
            let v = v.to_string();
            async move {
                self.plugin_version(tenant_id, name, &v)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("version {v} of plugin {name}")))
            }
        };
        let previous = p.active_version.clone();
        let (state, active, shadow, target) = match change {
            PointerChange::Activate(v) | PointerChange::Rollback(Some(v)) => {
                if p.builtin {
                    // A built-in has no versions: activating it enables it.
                    ("active", None, None, None)
                } else {
                    let v = version(v).await?;
                    let shadow = p.shadow_version.clone().filter(|s| *s != v.id);
                    ("active", Some(v.id.clone()), shadow, Some(v.id))
                }
            }
            PointerChange::Rollback(None) => {
                if p.builtin {
                    return Err(StoreError::Invalid(
                        "a built-in component has no versions to roll back to".into(),
                    ));
                }
                let Some(current) = previous.clone() else {
                    return Err(StoreError::Invalid(format!(
                        "plugin `{name}` has no active version to roll back from"
                    )));
                };
                // The version that was active before the current one was activated.
                let before: Option<(Option<String>,)> = sqlx::query_as(PREVIOUS_ACTIVE)
                    .bind(tenant_id)
                    .bind(name)
                    .bind(&current)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some(target) = before.and_then(|(v,)| v) else {
                    return Err(StoreError::Invalid(format!(
                        "plugin `{name}` had no version active before the current one; name the version to roll back to, or disable the plugin"
                    )));
                };
                let shadow = p.shadow_version.clone().filter(|s| *s != target);
                ("active", Some(target.clone()), shadow, Some(target))
            }
            PointerChange::Disable => ("disabled", p.active_version.clone(), None, None),
            PointerChange::Shadow(Some(v)) => {
                if p.builtin {
                    return Err(StoreError::Invalid(
                        "a built-in component cannot be shadowed; upload a candidate under its own name".into(),
                    ));
                }
                let v = version(v).await?;
                if p.active_version.as_deref() == Some(v.id.as_str()) && p.state == "active" {
                    return Err(StoreError::Invalid(format!(
                        "version {} is the active one; shadow a candidate version",
                        v.label
                    )));
                }
                (
                    p.state.as_str(),
                    p.active_version.clone(),
                    Some(v.id.clone()),
                    Some(v.id),
                )
            }
            PointerChange::Shadow(None) => (p.state.as_str(), p.active_version.clone(), None, None),
        };
        let state = state.to_string();
        sqlx::query("UPDATE tenant_plugins SET state = $3, active_version = $4, shadow_version = $5, revision = revision + 1, updated_at = $6 WHERE tenant_id = $1 AND name = $2")
            .bind(tenant_id)
            .bind(name)
            .bind(&state)
            .bind(&active)
            .bind(&shadow)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        let (event_version, event_previous) = match change {
            PointerChange::Shadow(_) => (target.as_deref().or(p.shadow_version.as_deref()), None),
            PointerChange::Disable => (p.active_version.as_deref(), None),
            _ => (target.as_deref(), previous.as_deref()),
        };
        record_event(
            &mut tx,
            tenant_id,
            name,
            actor,
            change.action(),
            event_version,
            event_previous,
            json!({}),
        )
        .await?;
        let row = self.locked_plugin(&mut tx, tenant_id, name).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The version a rollback without a named version goes back to: the one active
    /// before the current one was activated.
    pub async fn rollback_target(&self, tenant_id: &str, name: &str) -> Result<Option<String>> {
        let Some(p) = self.plugin(tenant_id, name).await? else {
            return Ok(None);
        };
        let Some(current) = p.active_version else {
            return Ok(None);
        };
        let before: Option<(Option<String>,)> = sqlx::query_as(PREVIOUS_ACTIVE)
            .bind(tenant_id)
            .bind(name)
            .bind(&current)
            .fetch_optional(&self.pool)
            .await?;
        Ok(before.and_then(|(v,)| v))
    }

    /// Replace a plugin's settings (validated by the caller).
    pub async fn set_plugin_settings(
        &self,
        tenant_id: &str,
        name: &str,
        actor: &Actor<'_>,
        settings_json: &str,
        expected_revision: Option<i64>,
    ) -> Result<PluginRow> {
        let mut tx = self.begin_write().await?;
        let p = self.locked_plugin(&mut tx, tenant_id, name).await?;
        if let Some(rev) = expected_revision
            && rev != p.revision
        {
            return Err(StoreError::Conflict {
                current_version: p.revision,
            });
        }
        sqlx::query("UPDATE tenant_plugins SET settings = $3, revision = revision + 1, updated_at = $4 WHERE tenant_id = $1 AND name = $2")
            .bind(tenant_id)
            .bind(name)
            .bind(settings_json)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        let before: serde_json::Value = serde_json::from_str(&p.settings).unwrap_or(json!({}));
        let after: serde_json::Value = serde_json::from_str(settings_json).unwrap_or(json!({}));
        record_event(
            &mut tx,
            tenant_id,
            name,
            actor,
            "configured",
            p.active_version.as_deref(),
            None,
            json!({ "before": before, "after": after }),
        )
        .await?;
        let row = self.locked_plugin(&mut tx, tenant_id, name).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// A plugin's history, newest first.
    pub async fn plugin_events(&self, tenant_id: &str, name: &str) -> Result<Vec<PluginEvent>> {
        let rows = sqlx::query("SELECT at, actor, action, version_id, previous_version_id, detail FROM plugin_events WHERE tenant_id = $1 AND plugin_name = $2 ORDER BY at DESC, id DESC")
            .bind(tenant_id)
            .bind(name)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PluginEvent {
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    version_id: r.try_get("version_id")?,
                    previous_version_id: r.try_get("previous_version_id")?,
                    detail: serde_json::from_str(&r.try_get::<String, _>("detail")?)
                        .unwrap_or(json!({})),
                })
            })
            .collect()
    }

    /// Every plugin row of the tenant with its active and shadow versions, in one
    /// statement (a consistent snapshot for one invoice's check).
    pub async fn deployed_plugins(&self, tenant_id: &str) -> Result<Vec<Deployed>> {
        let v = |a: &str| {
            VERSION_COLUMNS
                .split(", ")
                .map(|c| format!("{a}.{c} AS {a}_{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let rows = sqlx::query(&format!(
            "SELECT {PLUGIN_COLUMNS}, {}, {} FROM tenant_plugins p \
             LEFT JOIN plugin_versions a ON a.id = p.active_version AND a.tenant_id = p.tenant_id \
             LEFT JOIN plugin_versions s ON s.id = p.shadow_version AND s.tenant_id = p.tenant_id \
             WHERE p.tenant_id = $1 ORDER BY p.name",
            v("a"),
            v("s")
        ))
        .bind(tenant_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let opt = |prefix: &str| -> Result<Option<PluginVersionRow>> {
                    let id: Option<String> = r.try_get(format!("{prefix}id").as_str())?;
                    id.map(|_| version_row(r, prefix)).transpose()
                };
                Ok(Deployed {
                    plugin: plugin_row(r)?,
                    active: opt("a_")?,
                    shadow: opt("s_")?,
                })
            })
            .collect()
    }

    /// Start a back-test record.
    pub async fn create_backtest(
        &self,
        tenant_id: &str,
        name: &str,
        version_id: &str,
        last_n: i64,
        actor: &Actor<'_>,
    ) -> Result<BacktestRow> {
        let row = BacktestRow {
            id: new_id("bt")?,
            plugin_name: name.into(),
            version_id: version_id.into(),
            last_n,
            status: "running".into(),
            done: 0,
            total: 0,
            report: None,
            error: None,
            created_by: actor.audit_name(),
            created_at: now_ms(),
            heartbeat_at: now_ms(),
            finished_at: None,
        };
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO plugin_backtests (id, tenant_id, plugin_name, version_id, last_n, status, done, total, created_by, created_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, 'running', 0, 0, $6, $7, $7)")
            .bind(&row.id)
            .bind(tenant_id)
            .bind(name)
            .bind(version_id)
            .bind(last_n)
            .bind(&row.created_by)
            .bind(row.created_at)
            .execute(&mut *tx)
            .await?;
        record_event(
            &mut tx,
            tenant_id,
            name,
            actor,
            "backtest-started",
            Some(version_id),
            None,
            json!({ "backtest": row.id, "last_n": last_n }),
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn backtest_progress(&self, id: &str, done: i64, total: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE plugin_backtests SET done = $2, total = $3, heartbeat_at = $4 WHERE id = $1 AND status = 'running'")
            .bind(id)
            .bind(done)
            .bind(total)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finish a back-test with its report or the reason it failed.
    pub async fn finish_backtest(
        &self,
        id: &str,
        report: std::result::Result<&serde_json::Value, &str>,
    ) -> Result<()> {
        let (status, report, error) = match report {
            Ok(r) => ("done", Some(r.to_string()), None),
            Err(e) => ("failed", None, Some(e.to_string())),
        };
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE plugin_backtests SET status = $2, report = $3, error = $4, finished_at = $5 WHERE id = $1")
            .bind(id)
            .bind(status)
            .bind(report)
            .bind(error)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Back-tests still `running` whose heartbeat stopped before `older_than_ms`: the
    /// server running them stopped. Marked failed so that nobody waits for them.
    pub async fn fail_stale_backtests(&self, older_than_ms: i64) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let n = sqlx::query("UPDATE plugin_backtests SET status = 'failed', error = 'interrupted: the server that ran it stopped; start it again', finished_at = $1 WHERE status = 'running' AND heartbeat_at < $2")
            .bind(now_ms())
            .bind(older_than_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    pub async fn backtest(
        &self,
        tenant_id: &str,
        name: &str,
        id: &str,
    ) -> Result<Option<BacktestRow>> {
        let row = sqlx::query("SELECT id, plugin_name, version_id, last_n, status, done, total, report, error, created_by, created_at, heartbeat_at, finished_at FROM plugin_backtests WHERE tenant_id = $1 AND plugin_name = $2 AND id = $3")
            .bind(tenant_id)
            .bind(name)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(backtest_row).transpose()
    }

    /// A plugin's back-tests, newest first, without their reports.
    pub async fn backtests(&self, tenant_id: &str, name: &str) -> Result<Vec<BacktestRow>> {
        let rows = sqlx::query("SELECT id, plugin_name, version_id, last_n, status, done, total, NULL AS report, error, created_by, created_at, heartbeat_at, finished_at FROM plugin_backtests WHERE tenant_id = $1 AND plugin_name = $2 ORDER BY created_at DESC, id DESC LIMIT 100")
            .bind(tenant_id)
            .bind(name)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(backtest_row).collect()
    }

    /// The tenant's last `n` invoices whose check stage completed, newest first,
    /// with their stored extract and check results.
    pub async fn processed_invoices(
        &self,
        tenant_id: &str,
        n: i64,
    ) -> Result<Vec<ProcessedInvoice>> {
        let rows = sqlx::query("SELECT d.id, d.received_at, e.result AS extract_result, c.result AS check_result FROM documents d \
             JOIN stage_results c ON c.document_id = d.id AND c.stage = 'check' \
             JOIN stage_results e ON e.document_id = d.id AND e.stage = 'extract' \
             WHERE d.tenant_id = $1 ORDER BY d.received_at DESC, d.id DESC LIMIT $2")
            .bind(tenant_id)
            .bind(n)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ProcessedInvoice {
                    document_id: r.try_get("id")?,
                    received_at: r.try_get("received_at")?,
                    extract_result: r.try_get("extract_result")?,
                    check_result: r.try_get("check_result")?,
                })
            })
            .collect()
    }

    /// Record what a shadow version found on one invoice (once per invoice: a
    /// re-run check keeps the first record).
    pub async fn record_shadow(&self, tenant_id: &str, results: &[ShadowResult]) -> Result<()> {
        if results.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        for r in results {
            sqlx::query("INSERT INTO plugin_shadow_results (tenant_id, plugin_name, version_id, document_id, at, agrees, active_findings, shadow_findings, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant_id, plugin_name, version_id, document_id) DO NOTHING")
                .bind(tenant_id)
                .bind(&r.plugin_name)
                .bind(&r.version_id)
                .bind(&r.document_id)
                .bind(now_ms())
                .bind(r.agrees as i64)
                .bind(&r.active_findings)
                .bind(&r.shadow_findings)
                .bind(&r.error)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// How a shadow version agreed with the active one.
    pub async fn shadow_summary(
        &self,
        tenant_id: &str,
        name: &str,
        version_id: &str,
    ) -> Result<ShadowSummary> {
        let (invoices, disagreements, failures): (i64, i64, i64) = sqlx::query_as("SELECT COUNT(*), COUNT(*) - COUNT(CASE WHEN agrees = 1 THEN 1 END), COUNT(error) FROM plugin_shadow_results WHERE tenant_id = $1 AND plugin_name = $2 AND version_id = $3")
            .bind(tenant_id)
            .bind(name)
            .bind(version_id)
            .fetch_one(&self.pool)
            .await?;
        let rows = sqlx::query("SELECT document_id, at, active_findings, shadow_findings, error FROM plugin_shadow_results WHERE tenant_id = $1 AND plugin_name = $2 AND version_id = $3 AND agrees = 0 ORDER BY at DESC LIMIT 50")
            .bind(tenant_id)
            .bind(name)
            .bind(version_id)
            .fetch_all(&self.pool)
            .await?;
        let latest = rows
            .iter()
            .map(|r| {
                let parse = |c: &str| -> Result<serde_json::Value> {
                    Ok(serde_json::from_str(&r.try_get::<String, _>(c)?).unwrap_or(json!([])))
                };
                Ok(json!({
                    "document_id": r.try_get::<String, _>("document_id")?,
                    "at": r.try_get::<i64, _>("at")?,
                    "active_findings": parse("active_findings")?,
                    "shadow_findings": parse("shadow_findings")?,
                    "error": r.try_get::<Option<String>, _>("error")?,
                }))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ShadowSummary {
            version_id: version_id.into(),
            invoices,
            disagreements,
            failures,
            disagreement_rate: if invoices > 0 {
                disagreements as f64 / invoices as f64
            } else {
                0.0
            },
            latest,
        })
    }
}
