//! Tenants (operator use) and a tenant's settings: the `TenantFile` JSON of
//! papyr-domain, replaced whole under optimistic concurrency (`settings_version`).
use crate::api::access::{Actor, is_unique_violation};
use crate::documents::insert_audit;
use crate::{Db, Result, StoreError, now_ms};
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TenantRow {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub created_at: i64,
    pub settings_version: i64,
}

/// A tenant's settings JSON and the version a replacement must name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TenantSettings {
    pub version: i64,
    pub json: String,
}

const TENANT_COLUMNS: &str = "id, slug, name, created_at, settings_version";

fn tenant_row(r: &sqlx::any::AnyRow) -> Result<TenantRow> {
    Ok(TenantRow {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        name: r.try_get("name")?,
        created_at: r.try_get("created_at")?,
        settings_version: r.try_get("settings_version")?,
    })
}

/// 1 to 63 lower-case letters, digits and inner hyphens: fit for URLs, ids and
/// metric labels (tenant slugs, plugin names).
pub(crate) fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A slug goes into URLs and ids: lower-case letters, digits and inner hyphens.
pub fn validate_slug(slug: &str) -> Result<()> {
    if is_slug(slug) {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "tenant slug `{slug}`: use 1 to 63 lower-case letters, digits and inner hyphens"
        )))
    }
}

/// The settings as `TenantFile` accepts them. The vendor master lives in its own
/// tables in the service, so a vendor list here would be silently ignored.
fn validate_settings(json: &str) -> Result<()> {
    let file = papyr_domain::TenantFile::from_json(json)
        .map_err(|e| StoreError::Invalid(format!("settings: {e}")))?;
    if !file.vendors.is_empty() {
        return Err(StoreError::Invalid(
            "settings: `vendors` must be empty; manage the vendor master through the vendor endpoints".into(),
        ));
    }
    Ok(())
}

/// Settings as audit-log JSON: parsed when they parse, else the raw text.
fn as_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.into()))
}

impl Db {
    /// A new tenant with empty settings; the slug must be unused.
    pub async fn create_tenant(&self, slug: &str, name: &str) -> Result<TenantRow> {
        validate_slug(slug)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("a tenant needs a name".into()));
        }
        let row = TenantRow {
            id: format!("t_{slug}"),
            slug: slug.into(),
            name: name.into(),
            created_at: now_ms(),
            settings_version: 1,
        };
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO tenants (id, slug, name, settings, created_at, settings_version) VALUES ($1, $2, $3, '{}', $4, 1)",
        )
        .bind(&row.id)
        .bind(slug)
        .bind(&row.name)
        .bind(row.created_at)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from);
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(StoreError::Duplicate(format!(
                    "a tenant with slug {slug} exists"
                )));
            }
            Err(e) => return Err(e),
        }
        // The job queue serialises a tenant's `check` stage on this row.
        sqlx::query("INSERT INTO tenant_locks (tenant_id, owner, until) VALUES ($1, NULL, 0) ON CONFLICT (tenant_id) DO NOTHING")
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
        insert_audit(
            &mut tx,
            &row.id,
            None,
            &Actor::Operator.audit_name(),
            "tenant.created",
            &json!({ "slug": slug, "name": row.name }).to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<TenantRow>> {
        let row = sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE slug = $1"
        ))
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(tenant_row).transpose()
    }

    /// Every tenant, by slug (operator use: crosses tenants on purpose).
    pub async fn list_tenants(&self) -> Result<Vec<TenantRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants ORDER BY slug"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(tenant_row).collect()
    }

    /// The tenant's settings JSON and its version.
    pub async fn versioned_settings(&self, tenant_id: &str) -> Result<TenantSettings> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT settings, settings_version FROM tenants WHERE id = $1")
                .bind(tenant_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(json, version)| TenantSettings { version, json })
            .ok_or_else(|| StoreError::NotFound(format!("tenant {tenant_id}")))
    }

    /// Replace the settings if they are still at `expected_version`, else
    /// [`StoreError::Conflict`] with the current version. The JSON must be a valid
    /// `TenantFile` (the error carries serde's message); it is stored as given and
    /// audited with the old and the new value.
    pub async fn replace_settings(
        &self,
        tenant_id: &str,
        json: &str,
        expected_version: i64,
        by: Actor<'_>,
    ) -> Result<TenantSettings> {
        validate_settings(json)?;
        let mut tx = self.begin_write().await?;
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT settings, settings_version FROM tenants WHERE id = $1")
                .bind(tenant_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((old, current)) = row else {
            return Err(StoreError::NotFound(format!("tenant {tenant_id}")));
        };
        if current != expected_version {
            return Err(StoreError::Conflict {
                current_version: current,
            });
        }
        let version = current + 1;
        // The version guard again: on PostgreSQL a concurrent writer may have
        // committed between the read and this update.
        let n = sqlx::query("UPDATE tenants SET settings = $1, settings_version = $2 WHERE id = $3 AND settings_version = $4")
            .bind(json)
            .bind(version)
            .bind(tenant_id)
            .bind(current)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            drop(tx);
            let now = self.versioned_settings(tenant_id).await?;
            return Err(StoreError::Conflict {
                current_version: now.version,
            });
        }
        insert_audit(
            &mut tx,
            tenant_id,
            None,
            &by.audit_name(),
            "settings.replaced",
            &json!({
                "version": { "old": current, "new": version },
                "old": as_json(&old),
                "new": as_json(json),
            })
            .to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(TenantSettings {
            version,
            json: json.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert!(validate_slug("acme-2").is_ok());
        for bad in ["", "Acme", "-acme", "acme-", "ac me", "a/b"] {
            assert!(validate_slug(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_are_a_tenant_file_without_vendors() {
        assert!(validate_settings(r#"{"vendor_policy":{"iban_requires_confirmation":true},"mailboxes":[{"kind":"imap"}]}"#).is_ok());
        let e = validate_settings(r#"{"colour":"red"}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `colour`"), "{e}");
        let e = validate_settings(r#"{"vendor_policy":{"four_eyes":true}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `four_eyes`"), "{e}");
        let e = validate_settings(r#"{"vendors":[{"id":"v","name":"V"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("vendor endpoints"), "{e}");
    }
}
