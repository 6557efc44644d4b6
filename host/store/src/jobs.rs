//! The durable job queue. A job is one stage of one document. Workers claim jobs with
//! a lease (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the single write lock),
//! renew it while working, and commit the stage's result together with the next job.
//! A crashed worker's lease expires and the job is claimed again; a job that keeps
//! failing is parked after `max_attempts`, its document marked failed with the error.
//!
//! The `check` stage reads the tenant's earlier invoices, so at most one `check` job
//! per tenant runs at a time (a lease on the tenant's row in `tenant_locks`).
use crate::documents::insert_audit;
use crate::{Backend, Db, Result, StoreError, now_ms};
use sqlx::Row;
use std::time::Duration;

/// The stage that reads tenant history and is serialised per tenant.
pub const SERIAL_STAGE: &str = "check";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub tenant_id: String,
    pub document_id: String,
    pub stage: String,
    /// This claim's attempt number (1 for the first).
    pub attempt: i64,
    pub max_attempts: i64,
}

/// An invoice row written with a stage result.
#[derive(Debug, Clone, Default)]
pub struct InvoiceWrite {
    pub vendor_id: Option<String>,
    pub vendor_name: Option<String>,
    pub vendor_tax_id: Option<String>,
    pub invoice_number: Option<String>,
    pub issue_date: Option<String>,
    pub currency: Option<String>,
    pub gross_minor: Option<i64>,
    pub iban: Option<String>,
    /// The canonical fields JSON (`FieldsOut`).
    pub fields_json: String,
    /// The WIT invoice record JSON.
    pub invoice_json: String,
}

#[derive(Debug, Clone)]
pub struct FindingWrite {
    pub rule: String,
    pub severity: String,
    pub score: i64,
    pub message: String,
    pub evidence_json: String,
    pub plugin: String,
}

/// Everything a completed stage writes, atomically with deleting its job and
/// queueing the next.
#[derive(Debug, Clone, Default)]
pub struct StageOutcome {
    pub result_json: String,
    pub plugins_json: String,
    pub duration_us: i64,
    /// New document status (`classified`, `extracted`, `checked`,
    /// `pending_approval`, `auto_approved`, `on_hold`, `not_an_invoice`...).
    pub status: Option<String>,
    pub kind: Option<String>,
    pub decision: Option<String>,
    pub risk_score: Option<i64>,
    /// Distinct approvals the invoice needs (set when it reaches a person).
    pub approvals_needed: Option<i64>,
    pub invoice: Option<InvoiceWrite>,
    /// Replace the document's findings with these (when `Some`).
    pub findings: Option<Vec<FindingWrite>>,
    /// (actor, action, detail) audit entries.
    pub audit: Vec<(String, String, String)>,
    pub next_stage: Option<String>,
}

/// What `complete` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    /// Committed; no next job, or the next job is queued for any worker.
    Done,
    /// Committed, and the next stage's job is already leased to this worker, which
    /// saves a claim round trip.
    Continue(Job),
}

/// What `fail` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Queued again after a backoff.
    Retry { after: Duration },
    /// Out of attempts (or not retryable): the document is parked as failed.
    Parked,
}

/// Claim order: a document's later stages first, so that documents already under
/// way reach their decision before new ones start (shorter intake-to-decision
/// latency under a backlog).
const STAGE_PRIORITY: &str = "CASE stage WHEN 'report' THEN 0 WHEN 'check' THEN 1 ELSE 2 END";

/// Exponential backoff: 500 ms × 2^(attempt−1), at most 60 s.
pub fn backoff(attempt: i64) -> Duration {
    let exp = (attempt.clamp(1, 20) - 1) as u32;
    Duration::from_millis((500u64.saturating_mul(1 << exp)).min(60_000))
}

pub(crate) async fn insert_job(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant_id: &str,
    document_id: &str,
    stage: &str,
    max_attempts: i64,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (id, tenant_id, document_id, stage, attempts, max_attempts, run_after, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $6, $6) ON CONFLICT (document_id, stage) DO NOTHING",
    )
    .bind(format!("{document_id}:{stage}"))
    .bind(tenant_id)
    .bind(document_id)
    .bind(stage)
    .bind(max_attempts)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Replace a document's findings with `findings` (one statement per hundred): the
/// check stage's commit and the API's re-check both write them this way.
pub(crate) async fn replace_findings(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant_id: &str,
    document_id: &str,
    findings: &[FindingWrite],
) -> Result<()> {
    sqlx::query("DELETE FROM findings WHERE document_id = $1 AND tenant_id = $2")
        .bind(document_id)
        .bind(tenant_id)
        .execute(&mut **tx)
        .await?;
    for chunk in findings.chunks(100) {
        let sql = format!(
            "INSERT INTO findings (tenant_id, document_id, rule, severity, score, message, evidence, plugin) VALUES {}",
            placeholders(chunk.len(), 8)
        );
        let mut q = sqlx::query(&sql);
        for f in chunk {
            q = q
                .bind(tenant_id)
                .bind(document_id)
                .bind(&f.rule)
                .bind(&f.severity)
                .bind(f.score)
                .bind(&f.message)
                .bind(&f.evidence_json)
                .bind(&f.plugin);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

impl Db {
    /// Claim the oldest runnable job, leasing it to `worker` for `lease`.
    pub async fn claim(&self, worker: &str, lease: Duration) -> Result<Option<Job>> {
        // First try any stage; if the candidate is a `check` whose tenant is busy,
        // try again among the other stages.
        for allow_serial in [true, false] {
            let now = now_ms();
            let until = now + lease.as_millis() as i64;
            let mut tx = self.begin_write().await?;
            let skip_locked = if self.backend == Backend::Postgres {
                " FOR UPDATE SKIP LOCKED"
            } else {
                ""
            };
            let stage_filter = if allow_serial {
                "AND (stage <> 'check' OR tenant_id IN (SELECT tenant_id FROM tenant_locks WHERE until < $1 OR owner = $2))"
            } else {
                "AND stage <> 'check'"
            };
            let sql = format!(
                "SELECT id, tenant_id, document_id, stage, attempts, max_attempts FROM jobs \
                 WHERE run_after <= $1 AND (lease_until IS NULL OR lease_until < $1) AND $2 = $2 {stage_filter} \
                 ORDER BY {STAGE_PRIORITY}, run_after, created_at, id LIMIT 1{skip_locked}"
            );
            let row = sqlx::query(&sql)
                .bind(now)
                .bind(worker)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(row) = row else {
                tx.rollback().await?;
                if allow_serial {
                    return Ok(None);
                }
                return Ok(None);
            };
            let job = Job {
                id: row.try_get("id")?,
                tenant_id: row.try_get("tenant_id")?,
                document_id: row.try_get("document_id")?,
                stage: row.try_get("stage")?,
                attempt: row.try_get::<i64, _>("attempts")? + 1,
                max_attempts: row.try_get("max_attempts")?,
            };
            if job.stage == SERIAL_STAGE {
                // Row lock on PostgreSQL: a concurrent claimer waits here, then sees
                // the lease taken and gets 0 rows.
                let got = sqlx::query("UPDATE tenant_locks SET owner = $1, until = $2 WHERE tenant_id = $3 AND (until < $4 OR owner = $1)")
                    .bind(worker)
                    .bind(until)
                    .bind(&job.tenant_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if got == 0 {
                    tx.rollback().await?;
                    continue;
                }
            }
            sqlx::query("UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 WHERE id = $3")
                .bind(worker)
                .bind(until)
                .bind(&job.id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Some(job));
        }
        Ok(None)
    }

    /// Extend the lease; false when it was lost.
    pub async fn renew(&self, job: &Job, worker: &str, lease: Duration) -> Result<bool> {
        let until = now_ms() + lease.as_millis() as i64;
        let mut tx = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_owner = $3 AND attempts = $4",
        )
        .bind(until)
        .bind(&job.id)
        .bind(worker)
        .bind(job.attempt)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 && job.stage == SERIAL_STAGE {
            sqlx::query("UPDATE tenant_locks SET until = $1 WHERE tenant_id = $2 AND owner = $3")
                .bind(until)
                .bind(&job.tenant_id)
                .bind(worker)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Verify the lease inside a transaction: the job is still this worker's claim.
    async fn hold_lease(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        job: &Job,
        worker: &str,
    ) -> Result<()> {
        let n = sqlx::query("UPDATE jobs SET last_error = last_error WHERE id = $1 AND lease_owner = $2 AND attempts = $3")
            .bind(&job.id)
            .bind(worker)
            .bind(job.attempt)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::LeaseLost(job.id.clone()))
        }
    }

    async fn release_tenant_lock(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        job: &Job,
        worker: &str,
    ) -> Result<()> {
        if job.stage == SERIAL_STAGE {
            sqlx::query("UPDATE tenant_locks SET owner = NULL, until = 0 WHERE tenant_id = $1 AND owner = $2")
                .bind(&job.tenant_id)
                .bind(worker)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Commit a stage: its result, the document's new state, findings, audit
    /// entries, the job's removal and the next job — all or nothing. Fails with
    /// [`StoreError::LeaseLost`] (writing nothing) when the lease was lost.
    ///
    /// With `chain_lease`, the next job is leased to the same worker in the same
    /// transaction (for `check`, only when the tenant's check lease is free).
    pub async fn complete(
        &self,
        job: &Job,
        worker: &str,
        out: &StageOutcome,
        chain_lease: Option<Duration>,
    ) -> Result<Completion> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        // Removing the job proves the lease is still ours; a lost lease writes nothing.
        let n =
            sqlx::query("DELETE FROM jobs WHERE id = $1 AND lease_owner = $2 AND attempts = $3")
                .bind(&job.id)
                .bind(worker)
                .bind(job.attempt)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if n != 1 {
            return Err(StoreError::LeaseLost(job.id.clone()));
        }
        sqlx::query(
            "INSERT INTO stage_results (document_id, stage, tenant_id, worker, attempt, result, plugins, duration_us, completed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&job.document_id)
        .bind(&job.stage)
        .bind(&job.tenant_id)
        .bind(worker)
        .bind(job.attempt)
        .bind(&out.result_json)
        .bind(&out.plugins_json)
        .bind(out.duration_us)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE documents SET status = COALESCE($1, status), kind = COALESCE($2, kind), decision = COALESCE($3, decision), \
             risk_score = COALESCE($4, risk_score), updated_at = $5, approvals_needed = COALESCE($8, approvals_needed) \
             WHERE id = $6 AND tenant_id = $7",
        )
        .bind(&out.status)
        .bind(&out.kind)
        .bind(&out.decision)
        .bind(out.risk_score)
        .bind(now)
        .bind(&job.document_id)
        .bind(&job.tenant_id)
        .bind(out.approvals_needed)
        .execute(&mut *tx)
        .await?;
        if let Some(inv) = &out.invoice {
            sqlx::query(
                "INSERT INTO invoices (document_id, tenant_id, vendor_id, vendor_name, vendor_tax_id, invoice_number, issue_date, currency, gross_minor, iban, fields, invoice, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                 ON CONFLICT (document_id) DO UPDATE SET vendor_id = excluded.vendor_id, vendor_name = excluded.vendor_name, \
                 vendor_tax_id = excluded.vendor_tax_id, invoice_number = excluded.invoice_number, issue_date = excluded.issue_date, \
                 currency = excluded.currency, gross_minor = excluded.gross_minor, iban = excluded.iban, fields = excluded.fields, invoice = excluded.invoice",
            )
            .bind(&job.document_id)
            .bind(&job.tenant_id)
            .bind(&inv.vendor_id)
            .bind(&inv.vendor_name)
            .bind(&inv.vendor_tax_id)
            .bind(&inv.invoice_number)
            .bind(&inv.issue_date)
            .bind(&inv.currency)
            .bind(inv.gross_minor)
            .bind(&inv.iban)
            .bind(&inv.fields_json)
            .bind(&inv.invoice_json)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(findings) = &out.findings {
            replace_findings(&mut tx, &job.tenant_id, &job.document_id, findings).await?;
        }
        if !out.audit.is_empty() {
            let sql = format!(
                "INSERT INTO audit_log (tenant_id, document_id, at, actor, action, detail) VALUES {}",
                placeholders(out.audit.len(), 6)
            );
            let mut q = sqlx::query(&sql);
            for (actor, action, detail) in &out.audit {
                q = q
                    .bind(&job.tenant_id)
                    .bind(&job.document_id)
                    .bind(now)
                    .bind(actor)
                    .bind(action)
                    .bind(detail);
            }
            q.execute(&mut *tx).await?;
        }
        Self::release_tenant_lock(&mut tx, job, worker).await?;
        let mut chained = None;
        if let Some(next) = &out.next_stage {
            insert_job(
                &mut tx,
                &job.tenant_id,
                &job.document_id,
                next,
                job.max_attempts,
                now,
            )
            .await?;
            if let Some(lease) = chain_lease {
                let until = now + lease.as_millis() as i64;
                let lock_free = next != SERIAL_STAGE
                    || sqlx::query("UPDATE tenant_locks SET owner = $1, until = $2 WHERE tenant_id = $3 AND (until < $4 OR owner = $1)")
                        .bind(worker)
                        .bind(until)
                        .bind(&job.tenant_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                        == 1;
                if lock_free {
                    let id = format!("{}:{next}", job.document_id);
                    sqlx::query("UPDATE jobs SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 WHERE id = $3")
                        .bind(worker)
                        .bind(until)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                    chained = Some(Job {
                        id,
                        tenant_id: job.tenant_id.clone(),
                        document_id: job.document_id.clone(),
                        stage: next.clone(),
                        attempt: 1,
                        max_attempts: job.max_attempts,
                    });
                }
            }
        }
        tx.commit().await?;
        Ok(chained.map_or(Completion::Done, Completion::Continue))
    }

    /// Record a failed attempt: retry after a backoff, or park the document as failed
    /// when out of attempts or `retryable` is false.
    pub async fn fail(
        &self,
        job: &Job,
        worker: &str,
        error: &str,
        retryable: bool,
    ) -> Result<Failure> {
        let now = now_ms();
        let mut tx = self.begin_write().await?;
        Self::hold_lease(&mut tx, job, worker).await?;
        let outcome = if retryable && job.attempt < job.max_attempts {
            let after = backoff(job.attempt);
            sqlx::query("UPDATE jobs SET lease_owner = NULL, lease_until = NULL, last_error = $1, run_after = $2 WHERE id = $3")
                .bind(error)
                .bind(now + after.as_millis() as i64)
                .bind(&job.id)
                .execute(&mut *tx)
                .await?;
            insert_audit(
                &mut tx,
                &job.tenant_id,
                Some(&job.document_id),
                "system",
                &format!("{}-retry", job.stage),
                &format!(
                    "attempt {}/{} failed, retry in {} ms: {error}",
                    job.attempt,
                    job.max_attempts,
                    after.as_millis()
                ),
            )
            .await?;
            Failure::Retry { after }
        } else {
            sqlx::query("DELETE FROM jobs WHERE id = $1")
                .bind(&job.id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE documents SET status = 'failed', error = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4")
                .bind(format!("{}: {error}", job.stage))
                .bind(now)
                .bind(&job.document_id)
                .bind(&job.tenant_id)
                .execute(&mut *tx)
                .await?;
            insert_audit(
                &mut tx,
                &job.tenant_id,
                Some(&job.document_id),
                "system",
                "failed",
                &format!(
                    "{} parked after attempt {}/{}: {error}",
                    job.stage, job.attempt, job.max_attempts
                ),
            )
            .await?;
            Failure::Parked
        };
        Self::release_tenant_lock(&mut tx, job, worker).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Give a claimed job back without counting the attempt (graceful shutdown).
    pub async fn release(&self, job: &Job, worker: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE jobs SET lease_owner = NULL, lease_until = NULL, attempts = attempts - 1 WHERE id = $1 AND lease_owner = $2 AND attempts = $3")
            .bind(&job.id)
            .bind(worker)
            .bind(job.attempt)
            .execute(&mut *tx)
            .await?;
        Self::release_tenant_lock(&mut tx, job, worker).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Jobs waiting or running, per stage.
    pub async fn queue_depth(&self) -> Result<Vec<(String, i64)>> {
        Ok(
            sqlx::query_as("SELECT stage, COUNT(*) FROM jobs GROUP BY stage ORDER BY stage")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Jobs not yet done (all stages).
    pub async fn pending_jobs(&self) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}

/// `($1, $2, …), ($n+1, …)` for `rows` rows of `cols` values.
fn placeholders(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| {
            format!(
                "({})",
                (1..=cols)
                    .map(|c| format!("${}", r * cols + c))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}
