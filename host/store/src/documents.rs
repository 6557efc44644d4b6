//! Idempotent intake and document queries.
use crate::{Db, Result, StoreError, now_ms};
use sqlx::Row;

/// A document to take in; its bytes are already in object storage under `blob_key`.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub filename: String,
    pub sha256: String,
    pub size: i64,
    pub media_type: String,
    pub blob_key: String,
    pub message_id: Option<String>,
    /// The WIT origin record as JSON.
    pub origin_json: String,
    pub channel: String,
    /// The user who uploaded it through the API (segregation of duties: they cannot
    /// approve it); `None` for mailboxes and the watch folder.
    pub uploaded_by: Option<String>,
}

/// What intake did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    /// A new document, queued for its first stage.
    Created { document_id: String },
    /// Already known for this tenant (same file, or same email message): linked to
    /// the existing document, not processed again.
    Duplicate {
        document_id: String,
        reason: &'static str,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DocumentRow {
    pub id: String,
    pub tenant_id: String,
    pub sha256: String,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    pub blob_key: String,
    pub message_id: Option<String>,
    pub origin: String,
    pub channel: String,
    pub status: String,
    pub kind: Option<String>,
    pub decision: Option<String>,
    pub risk_score: Option<i64>,
    pub error: Option<String>,
    pub received_at: i64,
}

const DOC_COLUMNS: &str = "id, tenant_id, sha256, filename, media_type, size, blob_key, message_id, origin, channel, status, kind, decision, risk_score, error, received_at";

fn doc_row(r: &sqlx::any::AnyRow) -> Result<DocumentRow> {
    Ok(DocumentRow {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        sha256: r.try_get("sha256")?,
        filename: r.try_get("filename")?,
        media_type: r.try_get("media_type")?,
        size: r.try_get("size")?,
        blob_key: r.try_get("blob_key")?,
        message_id: r.try_get("message_id")?,
        origin: r.try_get("origin")?,
        channel: r.try_get("channel")?,
        status: r.try_get("status")?,
        kind: r.try_get("kind")?,
        decision: r.try_get("decision")?,
        risk_score: r.try_get("risk_score")?,
        error: r.try_get("error")?,
        received_at: r.try_get("received_at")?,
    })
}

/// Stable id of a tenant's document: the same file for the same tenant always has
/// the same id, so a retried intake cannot create a second document.
pub fn document_id(tenant_id: &str, sha256: &str) -> String {
    // FNV-1a over both parts, twice with different offsets, is plenty for an id
    // scoped by the (tenant, sha256) unique key.
    let mut out = String::from("d_");
    for seed in [0xcbf2_9ce4_8422_2325u64, 0x8422_2325_cbf2_9ce4u64] {
        let mut h = seed;
        for b in tenant_id.bytes().chain([0u8]).chain(sha256.bytes()) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

pub const FIRST_STAGE: &str = "extract";

impl Db {
    /// Take a document in: insert it and its first job in one transaction, unless the
    /// tenant already has the same file or the same email message.
    pub async fn intake(
        &self,
        tenant_id: &str,
        doc: &NewDocument,
        max_attempts: i64,
    ) -> Result<Intake> {
        for _ in 0..3 {
            match self.try_intake(tenant_id, doc, max_attempts).await {
                // Two replicas taking in the same file at once: the loser's insert hits
                // the unique key; look again and link.
                Err(StoreError::Db(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                    continue;
                }
                other => return other,
            }
        }
        Err(StoreError::Invalid(
            "intake kept conflicting with concurrent intakes".into(),
        ))
    }

    async fn try_intake(
        &self,
        tenant_id: &str,
        doc: &NewDocument,
        max_attempts: i64,
    ) -> Result<Intake> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        let same_file: Option<(String,)> =
            sqlx::query_as("SELECT id FROM documents WHERE tenant_id = $1 AND sha256 = $2")
                .bind(tenant_id)
                .bind(&doc.sha256)
                .fetch_optional(&mut *tx)
                .await?;
        let existing = match same_file {
            Some((id,)) => Some((id, "same-file")),
            None => match &doc.message_id {
                Some(mid) => sqlx::query_as::<_, (String,)>(
                    "SELECT id FROM documents WHERE tenant_id = $1 AND message_id = $2",
                )
                .bind(tenant_id)
                .bind(mid)
                .fetch_optional(&mut *tx)
                .await?
                .map(|(id,)| (id, "same-message")),
                None => None,
            },
        };
        if let Some((id, reason)) = existing {
            sqlx::query("INSERT INTO document_links (tenant_id, document_id, reason, filename, message_id, received_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(tenant_id)
                .bind(&id)
                .bind(reason)
                .bind(&doc.filename)
                .bind(&doc.message_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            insert_audit(
                &mut tx,
                tenant_id,
                Some(&id),
                "system",
                "duplicate-received",
                &format!("{reason}: {}", doc.filename),
            )
            .await?;
            tx.commit().await?;
            return Ok(Intake::Duplicate {
                document_id: id,
                reason,
            });
        }
        let id = document_id(tenant_id, &doc.sha256);
        sqlx::query(
            "INSERT INTO documents (id, tenant_id, sha256, filename, media_type, size, blob_key, message_id, origin, channel, status, received_at, updated_at, uploaded_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'received', $11, $11, $12)",
        )
        .bind(&id)
        .bind(tenant_id)
        .bind(&doc.sha256)
        .bind(&doc.filename)
        .bind(&doc.media_type)
        .bind(doc.size)
        .bind(&doc.blob_key)
        .bind(&doc.message_id)
        .bind(&doc.origin_json)
        .bind(&doc.channel)
        .bind(now)
        .bind(&doc.uploaded_by)
        .execute(&mut *tx)
        .await?;
        crate::jobs::insert_job(&mut tx, tenant_id, &id, FIRST_STAGE, max_attempts, now).await?;
        insert_audit(
            &mut tx,
            tenant_id,
            Some(&id),
            "system",
            "received",
            &format!("{} via {}", doc.filename, doc.channel),
        )
        .await?;
        tx.commit().await?;
        Ok(Intake::Created { document_id: id })
    }

    pub async fn document(&self, tenant_id: &str, id: &str) -> Result<Option<DocumentRow>> {
        let row = sqlx::query(&format!(
            "SELECT {DOC_COLUMNS} FROM documents WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(doc_row).transpose()
    }

    /// A tenant's documents, newest first, at most `limit`.
    pub async fn documents(&self, tenant_id: &str, limit: i64) -> Result<Vec<DocumentRow>> {
        let rows = sqlx::query(&format!("SELECT {DOC_COLUMNS} FROM documents WHERE tenant_id = $1 ORDER BY received_at DESC, id LIMIT $2"))
            .bind(tenant_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(doc_row).collect()
    }

    /// Document counts per status (all tenants), for metrics and tests.
    pub async fn status_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(
            sqlx::query_as(
                "SELECT status, COUNT(*) FROM documents GROUP BY status ORDER BY status",
            )
            .fetch_all(&self.pool)
            .await?,
        )
    }

    /// How many times each (document, stage) result exists: every value must be 1.
    pub async fn stage_result_counts(&self) -> Result<Vec<(String, String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT document_id, stage, COUNT(*) FROM stage_results GROUP BY document_id, stage",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The components that ran on a document, from its committed stages: stage (or
    /// `fraud:<plugin>`) → sha256 of the component.
    pub async fn document_components(
        &self,
        tenant_id: &str,
        document_id: &str,
    ) -> Result<std::collections::BTreeMap<String, String>> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT stage, plugins FROM stage_results WHERE tenant_id = $1 AND document_id = $2 ORDER BY completed_at")
            .bind(tenant_id)
            .bind(document_id)
            .fetch_all(&self.pool)
            .await?;
        let mut out = std::collections::BTreeMap::new();
        for (stage, plugins) in rows {
            let map: std::collections::BTreeMap<String, String> =
                serde_json::from_str(&plugins).unwrap_or_default();
            if stage == "check" {
                // The check result carries extract's components too; its fraud set is
                // the one of the latest check.
                out.retain(|k: &String, _| !k.starts_with("fraud:"));
            }
            out.extend(map);
        }
        Ok(out)
    }

    /// A stage's stored result JSON.
    pub async fn stage_result(
        &self,
        tenant_id: &str,
        document_id: &str,
        stage: &str,
    ) -> Result<Option<String>> {
        let r: Option<(String,)> = sqlx::query_as("SELECT result FROM stage_results WHERE tenant_id = $1 AND document_id = $2 AND stage = $3")
            .bind(tenant_id)
            .bind(document_id)
            .bind(stage)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.map(|(s,)| s))
    }

    /// The invoice JSON (WIT `invoice` record) of earlier documents of the tenant
    /// that may matter to duplicate and bank checks of `document_id`: same vendor
    /// (id, tax id or name), same IBAN or same file; received before it.
    pub async fn related_invoices(
        &self,
        tenant_id: &str,
        document_id: &str,
        keys: &RelatedKeys<'_>,
        limit: i64,
    ) -> Result<Vec<PastInvoiceRow>> {
        // One indexed lookup per key, united (each scoped to the tenant): an OR
        // across columns would scan the tenant's invoices for every check.
        let rows = sqlx::query(
            "SELECT d.id, d.sha256, d.status, d.received_at, i.vendor_id, i.invoice FROM invoices i JOIN documents d ON d.id = i.document_id \
             WHERE i.document_id IN ( \
                 SELECT document_id FROM invoices WHERE tenant_id = $1 AND vendor_id = $3 \
                 UNION SELECT document_id FROM invoices WHERE tenant_id = $1 AND vendor_tax_id = $4 \
                 UNION SELECT document_id FROM invoices WHERE tenant_id = $1 AND vendor_name = $5 \
                 UNION SELECT document_id FROM invoices WHERE tenant_id = $1 AND iban = $6 \
                 UNION SELECT id FROM documents WHERE tenant_id = $1 AND sha256 = (SELECT sha256 FROM documents WHERE id = $2)) \
               AND d.id <> $2 \
               AND (d.received_at < (SELECT received_at FROM documents WHERE id = $2) \
                    OR (d.received_at = (SELECT received_at FROM documents WHERE id = $2) AND d.id < $2)) \
             ORDER BY d.received_at DESC LIMIT $7",
        )
        .bind(tenant_id)
        .bind(document_id)
        .bind(keys.vendor_id)
        .bind(keys.vendor_tax_id)
        .bind(keys.vendor_name)
        .bind(keys.iban)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PastInvoiceRow {
                    document_id: r.try_get("id")?,
                    sha256: r.try_get("sha256")?,
                    status: r.try_get("status")?,
                    received_at: r.try_get("received_at")?,
                    vendor_id: r.try_get("vendor_id")?,
                    invoice_json: r.try_get("invoice")?,
                })
            })
            .collect()
    }
}

/// What makes an earlier invoice related: same vendor, tax id, name or IBAN.
#[derive(Debug, Clone, Copy, Default)]
pub struct RelatedKeys<'a> {
    pub vendor_id: Option<&'a str>,
    pub vendor_tax_id: Option<&'a str>,
    pub vendor_name: Option<&'a str>,
    pub iban: Option<&'a str>,
}

/// An earlier invoice for the history capability.
#[derive(Debug, Clone)]
pub struct PastInvoiceRow {
    pub document_id: String,
    pub sha256: String,
    pub status: String,
    pub received_at: i64,
    pub vendor_id: Option<String>,
    pub invoice_json: String,
}

pub(crate) async fn insert_audit(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant_id: &str,
    document_id: Option<&str>,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (tenant_id, document_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(tenant_id)
        .bind(document_id)
        .bind(now_ms())
        .bind(actor)
        .bind(action)
        .bind(detail)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Db {
    /// How often each (document, audit action) occurs, for exactly-once checks.
    pub async fn audit_action_counts(&self) -> Result<Vec<(String, String, i64)>> {
        Ok(sqlx::query_as("SELECT document_id, action, COUNT(*) FROM audit_log WHERE document_id IS NOT NULL GROUP BY document_id, action")
            .fetch_all(&self.pool)
            .await?)
    }

    /// The distinct workers that committed stage results.
    pub async fn stage_workers(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT worker FROM stage_results ORDER BY worker")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(w,)| w).collect())
    }

    /// Received-to-decision latency of every decided document, in milliseconds.
    pub async fn decision_latencies_ms(&self) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT MIN(a.at) - d.received_at FROM audit_log a JOIN documents d ON d.id = a.document_id \
             WHERE a.action LIKE 'decision:%' OR a.action = 'not-an-invoice' GROUP BY d.id, d.received_at",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(n,)| n).collect())
    }
}
