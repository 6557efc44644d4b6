//! The approval workflow: approve, reject, request and provide information, mark
//! exported. Each action is one transaction: the document row is locked, the
//! caller's `If-Match` version checked, the status changed and the version bumped,
//! with an `approvals` row and an audit entry (`user:<id>`) written alongside.
//!
//! Approvals count per round: requesting or providing information, correcting a
//! field and replacing the check result start a new round, because approvals
//! given before were given to a different invoice.
use super::sql::lock_rows;
use crate::documents::insert_audit;
use crate::{Db, Result, StoreError, now_ms};
use papyr_domain::decision::approvals_needed;
use papyr_domain::{Amount, TenantFile};
use sqlx::Row;

pub(crate) type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Who acts. The store does not authenticate: the API passes the signed-in user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActingUser<'a> {
    pub user_id: &'a str,
    pub is_admin: bool,
}

impl ActingUser<'_> {
    fn audit_name(&self) -> String {
        format!("user:{}", self.user_id)
    }
}

/// A document's state after an action.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ActionOutcome {
    pub id: String,
    pub status: String,
    /// The new ETag.
    pub version: i64,
    /// Distinct approvers of the current round.
    pub approved_by: Vec<String>,
    pub approvals_needed: Option<i64>,
}

pub(crate) const APPROVE: &str = "approve";
pub(crate) const REJECT: &str = "reject";
pub(crate) const REQUEST_INFO: &str = "request-info";
pub(crate) const PROVIDE_INFO: &str = "provide-info";
pub(crate) const EXPORT: &str = "export";
pub(crate) const CORRECT: &str = "correct";
pub(crate) const RECHECK: &str = "recheck";

/// Actions after which earlier approvals no longer count.
const NEW_ROUND: &[&str] = &[REQUEST_INFO, PROVIDE_INFO, CORRECT, RECHECK];

/// Distinct approvers since the last new round, in approval order, from
/// (actor, action) pairs in the order they happened.
pub(crate) fn round_approvers<'a>(
    actions: impl Iterator<Item = (&'a str, &'a str)>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (actor, action) in actions {
        if NEW_ROUND.contains(&action) {
            out.clear();
        } else if action == APPROVE && !out.iter().any(|a| a == actor) {
            out.push(actor.to_string());
        }
    }
    out
}

/// The locked document row and what the workflow needs of its invoice.
pub(crate) struct Locked {
    pub status: String,
    pub version: i64,
    pub uploaded_by: Option<String>,
    pub approvals_needed: Option<i64>,
    pub gross_minor: Option<i64>,
    pub currency: Option<String>,
}

/// Lock a tenant's document for this transaction and check the caller's version.
pub(crate) async fn lock_document(
    db: &Db,
    tx: &mut Tx,
    tenant_id: &str,
    id: &str,
    expected_version: Option<i64>,
) -> Result<Locked> {
    let row = sqlx::query(&format!(
        "SELECT d.status, d.version, d.uploaded_by, d.approvals_needed, i.gross_minor, i.currency \
         FROM documents d LEFT JOIN invoices i ON i.document_id = d.id AND i.tenant_id = d.tenant_id \
         WHERE d.tenant_id = $1 AND d.id = $2{}",
        lock_rows(db.backend, "d")
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("document {id}")))?;
    let locked = Locked {
        status: row.try_get("status")?,
        version: row.try_get("version")?,
        uploaded_by: row.try_get("uploaded_by")?,
        approvals_needed: row.try_get("approvals_needed")?,
        gross_minor: row.try_get("gross_minor")?,
        currency: row.try_get("currency")?,
    };
    if let Some(v) = expected_version
        && v != locked.version
    {
        return Err(StoreError::Conflict {
            current_version: locked.version,
        });
    }
    Ok(locked)
}

/// Write the new status and bump the version. The version condition is a second
/// guard behind the row lock: a concurrent writer can never be overwritten.
pub(crate) async fn bump(
    tx: &mut Tx,
    tenant_id: &str,
    id: &str,
    from: &Locked,
    status: &str,
    now: i64,
) -> Result<i64> {
    let n = sqlx::query(
        "UPDATE documents SET status = $1, version = version + 1, updated_at = $2 \
         WHERE tenant_id = $3 AND id = $4 AND version = $5",
    )
    .bind(status)
    .bind(now)
    .bind(tenant_id)
    .bind(id)
    .bind(from.version)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(StoreError::Conflict {
            current_version: from.version + 1,
        });
    }
    Ok(from.version + 1)
}

/// One action by one person on one document.
#[derive(Clone, Copy)]
pub(crate) struct Act<'a> {
    pub tenant_id: &'a str,
    pub id: &'a str,
    pub actor: ActingUser<'a>,
    pub action: &'a str,
    pub comment: Option<&'a str>,
}

/// The `approvals` row and the audit entry of an action.
pub(crate) async fn record(tx: &mut Tx, act: &Act<'_>, detail: &str, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO approvals (tenant_id, document_id, actor, action, comment, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(act.tenant_id)
    .bind(act.id)
    .bind(act.actor.user_id)
    .bind(act.action)
    .bind(act.comment)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    insert_audit(
        tx,
        act.tenant_id,
        Some(act.id),
        &act.actor.audit_name(),
        act.action,
        detail,
    )
    .await
}

/// Distinct approvers of the current round, read inside the transaction.
pub(crate) async fn approvers(tx: &mut Tx, tenant_id: &str, id: &str) -> Result<Vec<String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, action FROM approvals WHERE tenant_id = $1 AND document_id = $2 ORDER BY id",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(round_approvers(
        rows.iter().map(|(a, b)| (a.as_str(), b.as_str())),
    ))
}

/// Approvals an invoice needs under the tenant's current approval bands.
pub(crate) async fn needed_now(
    tx: &mut Tx,
    tenant_id: &str,
    gross_minor: Option<i64>,
    currency: Option<&str>,
) -> Result<i64> {
    let (settings,): (String,) = sqlx::query_as("SELECT settings FROM tenants WHERE id = $1")
        .bind(tenant_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("tenant {tenant_id}")))?;
    let bands = TenantFile::from_json(&settings)
        .and_then(|t| t.approval_bands())
        .map_err(|e| StoreError::Invalid(format!("the tenant's approval settings: {e}")))?;
    let gross = match (gross_minor, currency) {
        (Some(minor), Some(c)) => Some(Amount {
            minor,
            currency: c.to_string(),
        }),
        _ => None,
    };
    Ok(approvals_needed(&bands, gross.as_ref()) as i64)
}

fn check_actor(actor: &ActingUser<'_>) -> Result<()> {
    if actor.user_id.trim().is_empty() {
        return Err(StoreError::Invalid("the acting user id is empty".into()));
    }
    Ok(())
}

/// A comment or reason: trimmed, at most 2000 characters; `required` refuses blanks.
pub(crate) fn text_arg(what: &str, s: Option<&str>, required: bool) -> Result<Option<String>> {
    let s = s.map(str::trim).filter(|s| !s.is_empty());
    match s {
        None if required => Err(StoreError::Invalid(format!("a {what} is required"))),
        Some(s) if s.chars().count() > 2000 => Err(StoreError::Invalid(format!(
            "the {what} is longer than 2000 characters"
        ))),
        s => Ok(s.map(str::to_string)),
    }
}

/// Move to `to`, record the action, commit.
async fn finish(mut tx: Tx, act: &Act<'_>, doc: &Locked, to: &str) -> Result<ActionOutcome> {
    let now = now_ms();
    let version = bump(&mut tx, act.tenant_id, act.id, doc, to, now).await?;
    let detail = format!(
        "{} → {to}{}",
        doc.status,
        act.comment.map(|c| format!(": {c}")).unwrap_or_default()
    );
    record(&mut tx, act, &detail, now).await?;
    let approved_by = approvers(&mut tx, act.tenant_id, act.id).await?;
    tx.commit().await?;
    Ok(ActionOutcome {
        id: act.id.to_string(),
        status: to.to_string(),
        version,
        approved_by,
        approvals_needed: doc.approvals_needed,
    })
}

fn state_error(action: &str, status: &str) -> StoreError {
    StoreError::State {
        action: action.to_string(),
        status: status.to_string(),
    }
}

/// `pending_approval` (and for administrators `on_hold`) plus `extra` statuses.
fn check_reviewable(
    action: &str,
    actor: &ActingUser<'_>,
    status: &str,
    extra: &[&str],
) -> Result<()> {
    match status {
        "pending_approval" => Ok(()),
        "on_hold" if actor.is_admin => Ok(()),
        "on_hold" => Err(StoreError::Forbidden(format!(
            "only an administrator can {action} an invoice on hold"
        ))),
        s if extra.contains(&s) => Ok(()),
        s => Err(state_error(action, s)),
    }
}

impl Db {
    /// Approve: the invoice becomes `approved` once the distinct approvers of the
    /// current round reach `approvals_needed` (computed from the tenant's bands when
    /// the row has none). Refused to the uploader, to anyone who corrected one of its
    /// fields, and to someone who already approved in this round. An invoice on
    /// hold (administrators only) stays on hold until the count is reached.
    pub async fn approve(
        &self,
        tenant_id: &str,
        id: &str,
        actor: &ActingUser<'_>,
        comment: Option<&str>,
        expected_version: Option<i64>,
    ) -> Result<ActionOutcome> {
        check_actor(actor)?;
        let comment = text_arg("comment", comment, false)?;
        let mut tx = self.begin_write().await?;
        let doc = lock_document(self, &mut tx, tenant_id, id, expected_version).await?;
        check_reviewable(APPROVE, actor, &doc.status, &[])?;
        if doc.uploaded_by.as_deref() == Some(actor.user_id) {
            return Err(StoreError::Forbidden(format!(
                "{} uploaded this invoice and so cannot approve it (segregation of duties)",
                actor.user_id
            )));
        }
        let corrected: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM field_corrections WHERE tenant_id = $1 AND document_id = $2 AND actor = $3 LIMIT 1",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(actor.user_id)
        .fetch_optional(&mut *tx)
        .await?;
        if corrected.is_some() {
            return Err(StoreError::Forbidden(format!(
                "{} corrected fields of this invoice and so cannot approve it (segregation of duties)",
                actor.user_id
            )));
        }
        let mut approved_by = approvers(&mut tx, tenant_id, id).await?;
        if approved_by.iter().any(|a| a == actor.user_id) {
            return Err(StoreError::Forbidden(format!(
                "{} has already approved this invoice",
                actor.user_id
            )));
        }
        let needed = match doc.approvals_needed {
            Some(n) => n,
            None => {
                needed_now(&mut tx, tenant_id, doc.gross_minor, doc.currency.as_deref()).await?
            }
        };
        approved_by.push(actor.user_id.to_string());
        let done = approved_by.len() as i64 >= needed;
        let status = if done {
            "approved"
        } else {
            doc.status.as_str()
        };
        let now = now_ms();
        let version = bump(&mut tx, tenant_id, id, &doc, status, now).await?;
        sqlx::query("UPDATE documents SET approvals_needed = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(needed)
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let detail = format!(
            "approval {} of {needed}; {} → {status}{}",
            approved_by.len(),
            doc.status,
            comment
                .as_deref()
                .map(|c| format!(": {c}"))
                .unwrap_or_default()
        );
        let act = Act {
            tenant_id,
            id,
            actor: *actor,
            action: APPROVE,
            comment: comment.as_deref(),
        };
        record(&mut tx, &act, &detail, now).await?;
        tx.commit().await?;
        Ok(ActionOutcome {
            id: id.to_string(),
            status: status.to_string(),
            version,
            approved_by,
            approvals_needed: Some(needed),
        })
    }

    /// Reject with a reason, from `pending_approval`, `info_requested` or (for
    /// administrators) `on_hold`.
    pub async fn reject(
        &self,
        tenant_id: &str,
        id: &str,
        actor: &ActingUser<'_>,
        reason: &str,
        expected_version: Option<i64>,
    ) -> Result<ActionOutcome> {
        let reason = text_arg("reason", Some(reason), true)?;
        let act = Act {
            tenant_id,
            id,
            actor: *actor,
            action: REJECT,
            comment: reason.as_deref(),
        };
        self.transition(&act, expected_version, &["info_requested"], "rejected")
            .await
    }

    /// Ask for information (the comment says what), from `pending_approval` or (for
    /// administrators) `on_hold`: status `info_requested`.
    pub async fn request_info(
        &self,
        tenant_id: &str,
        id: &str,
        actor: &ActingUser<'_>,
        comment: &str,
        expected_version: Option<i64>,
    ) -> Result<ActionOutcome> {
        let comment = text_arg("comment", Some(comment), true)?;
        let act = Act {
            tenant_id,
            id,
            actor: *actor,
            action: REQUEST_INFO,
            comment: comment.as_deref(),
        };
        self.transition(&act, expected_version, &[], "info_requested")
            .await
    }

    /// Answer an information request: back to `pending_approval` for a new round.
    pub async fn provide_info(
        &self,
        tenant_id: &str,
        id: &str,
        actor: &ActingUser<'_>,
        comment: &str,
        expected_version: Option<i64>,
    ) -> Result<ActionOutcome> {
        let comment = text_arg("comment", Some(comment), true)?;
        check_actor(actor)?;
        let mut tx = self.begin_write().await?;
        let doc = lock_document(self, &mut tx, tenant_id, id, expected_version).await?;
        if doc.status != "info_requested" {
            return Err(state_error(PROVIDE_INFO, &doc.status));
        }
        let act = Act {
            tenant_id,
            id,
            actor: *actor,
            action: PROVIDE_INFO,
            comment: comment.as_deref(),
        };
        finish(tx, &act, &doc, "pending_approval").await
    }

    async fn transition(
        &self,
        act: &Act<'_>,
        expected_version: Option<i64>,
        extra_from: &[&str],
        to: &str,
    ) -> Result<ActionOutcome> {
        check_actor(&act.actor)?;
        let mut tx = self.begin_write().await?;
        let doc = lock_document(self, &mut tx, act.tenant_id, act.id, expected_version).await?;
        check_reviewable(act.action, &act.actor, &doc.status, extra_from)?;
        finish(tx, act, &doc, to).await
    }

    /// Mark approved (or auto-approved) invoices as handed to the ERP for payment:
    /// status `exported` with `exported_at`. All or nothing; ids already exported
    /// are reported unchanged, so a retried export is harmless.
    pub async fn mark_exported(
        &self,
        tenant_id: &str,
        ids: &[&str],
        actor: &ActingUser<'_>,
    ) -> Result<Vec<ActionOutcome>> {
        check_actor(actor)?;
        if ids.is_empty() || ids.len() > 1000 {
            return Err(StoreError::Invalid(
                "mark between 1 and 1000 documents at once".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        let mut tx = self.begin_write().await?;
        let now = now_ms();
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids.iter().filter(|id| seen.insert(**id)) {
            let doc = lock_document(self, &mut tx, tenant_id, id, None).await?;
            let (status, version) = match doc.status.as_str() {
                "exported" => (doc.status.clone(), doc.version),
                "approved" | "auto_approved" => {
                    let v = bump(&mut tx, tenant_id, id, &doc, "exported", now).await?;
                    sqlx::query(
                        "UPDATE documents SET exported_at = $1 WHERE tenant_id = $2 AND id = $3",
                    )
                    .bind(now)
                    .bind(tenant_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    let detail = format!("{} → exported", doc.status);
                    let act = Act {
                        tenant_id,
                        id,
                        actor: *actor,
                        action: EXPORT,
                        comment: None,
                    };
                    record(&mut tx, &act, &detail, now).await?;
                    ("exported".to_string(), v)
                }
                s => return Err(state_error(EXPORT, s)),
            };
            out.push(ActionOutcome {
                id: id.to_string(),
                status,
                version,
                approved_by: approvers(&mut tx, tenant_id, id).await?,
                approvals_needed: doc.approvals_needed,
            });
        }
        tx.commit().await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_round_forgets_earlier_approvals() {
        let r = |acts: &[(&'static str, &'static str)]| round_approvers(acts.iter().copied());
        assert_eq!(
            r(&[("a", APPROVE), ("b", APPROVE), ("a", APPROVE)]),
            ["a", "b"]
        );
        assert_eq!(r(&[("a", APPROVE), ("x", CORRECT), ("b", APPROVE)]), ["b"]);
        assert_eq!(
            r(&[("a", APPROVE), ("c", REQUEST_INFO), ("d", PROVIDE_INFO)]),
            Vec::<String>::new()
        );
        assert_eq!(
            r(&[("a", APPROVE), ("c", REJECT)]),
            ["a"],
            "a rejection ends, not restarts"
        );
    }
}
