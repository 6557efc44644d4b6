//! The audit log as the API pages through it (newest first), and the change feed
//! behind server-sent events.
use super::cursor::{self, Page, clamp_limit};
use super::sql::Args;
use crate::{Db, Result, StoreError, now_ms};
use serde_json::Value;
use sqlx::Row;

/// One audit-log entry with its id and document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub document_id: Option<String>,
    pub at: i64,
    /// `system`, `plugin:<digest>` or `user:<id>`.
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// Which entries to list; every part is optional. `from <= at < to`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub document_id: Option<String>,
    /// Exact actor, such as `user:u_1`.
    pub actor: Option<String>,
    /// Exact action, such as `approve`.
    pub action: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

const AUDIT_SCOPE: &str = "audit";
const CHANGES_SCOPE: &str = "changes";

fn entry(r: &sqlx::any::AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.try_get("id")?,
        document_id: r.try_get("document_id")?,
        at: r.try_get("at")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        detail: r.try_get("detail")?,
    })
}

/// A document's trail, oldest first, at most `limit` entries.
pub(crate) async fn document_trail(
    db: &Db,
    tenant_id: &str,
    document_id: &str,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    sqlx::query(
        "SELECT id, document_id, at, actor, action, detail FROM audit_log \
         WHERE tenant_id = $1 AND document_id = $2 ORDER BY id LIMIT $3",
    )
    .bind(tenant_id)
    .bind(document_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(entry)
    .collect()
}

/// A document whose state changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub id: String,
    pub status: String,
    pub decision: Option<String>,
    pub version: i64,
    pub updated_at: i64,
}

impl Db {
    /// A page of the tenant's audit log, newest first.
    pub async fn audit_log(
        &self,
        tenant_id: &str,
        filter: &AuditFilter,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Page<AuditEntry>> {
        let limit = clamp_limit(limit);
        let mut args = Args::default();
        let mut w = format!("tenant_id = {}", args.add(tenant_id));
        if let Some(d) = &filter.document_id {
            w += &format!(" AND document_id = {}", args.add(d.as_str()));
        }
        if let Some(a) = &filter.actor {
            w += &format!(" AND actor = {}", args.add(a.as_str()));
        }
        if let Some(a) = &filter.action {
            w += &format!(" AND action = {}", args.add(a.as_str()));
        }
        if let Some(t) = filter.from {
            w += &format!(" AND at >= {}", args.add(t));
        }
        if let Some(t) = filter.to {
            w += &format!(" AND at < {}", args.add(t));
        }
        if let Some(c) = cursor {
            let (_, id) = cursor::decode(tenant_id, AUDIT_SCOPE, c)?;
            let id: i64 = id.parse().map_err(|_| {
                StoreError::Invalid(
                    "the cursor is damaged or was not issued for this tenant".into(),
                )
            })?;
            w += &format!(" AND id < {}", args.add(id));
        }
        let lim = args.add(limit + 1);
        let sql = format!(
            "SELECT id, document_id, at, actor, action, detail FROM audit_log WHERE {w} ORDER BY id DESC LIMIT {lim}"
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.pool).await?;
        let items = rows
            .iter()
            .take(limit as usize)
            .map(entry)
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = match items.last() {
            Some(last) if rows.len() as i64 > limit => Some(cursor::encode(
                tenant_id,
                AUDIT_SCOPE,
                &Value::Null,
                &last.id.to_string(),
            )),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    /// A change-feed cursor positioned at `at_ms`: polling from it returns documents
    /// changed after that moment (pass `now_ms()` to follow live changes only).
    pub fn changes_cursor_at(&self, tenant_id: &str, at_ms: i64) -> String {
        cursor::encode(tenant_id, CHANGES_SCOPE, &Value::from(at_ms), "")
    }

    /// Documents changed after `cursor` (from the start without one), oldest change
    /// first. Polled, so any number of server processes can serve the feed.
    ///
    /// `updated_at` is taken when a writer starts, so a slow transaction can commit
    /// a row older than rows already seen; only rows older than `settle_ms` are
    /// returned, which the feed trades as latency for not missing them. The returned
    /// `next_cursor` is always set: it is where the next poll continues.
    pub async fn changes_since(
        &self,
        tenant_id: &str,
        cursor: Option<&str>,
        limit: i64,
        settle_ms: i64,
    ) -> Result<Page<Change>> {
        let limit = clamp_limit(limit);
        let (after_at, after_id) = match cursor {
            Some(c) => {
                let (key, id) = cursor::decode(tenant_id, CHANGES_SCOPE, c)?;
                let at = key.as_i64().ok_or_else(|| {
                    StoreError::Invalid(
                        "the cursor is damaged or was not issued for this tenant".into(),
                    )
                })?;
                (at, id)
            }
            None => (i64::MIN, String::new()),
        };
        let rows = sqlx::query(
            "SELECT id, status, decision, version, updated_at FROM documents \
             WHERE tenant_id = $1 AND (updated_at, id) > ($2, $3) AND updated_at <= $4 \
             ORDER BY updated_at, id LIMIT $5",
        )
        .bind(tenant_id)
        .bind(after_at)
        .bind(&after_id)
        .bind(now_ms() - settle_ms.max(0))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(Change {
                    id: r.try_get("id")?,
                    status: r.try_get("status")?,
                    decision: r.try_get("decision")?,
                    version: r.try_get("version")?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = Some(match items.last() {
            Some(last) => cursor::encode(
                tenant_id,
                CHANGES_SCOPE,
                &Value::from(last.updated_at),
                &last.id,
            ),
            None => cursor.map_or_else(
                || cursor::encode(tenant_id, CHANGES_SCOPE, &Value::from(i64::MIN), ""),
                str::to_string,
            ),
        });
        Ok(Page { items, next_cursor })
    }
}
