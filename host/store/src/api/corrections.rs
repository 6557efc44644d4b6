//! Correcting an invoice's fields and storing the check result the API computes
//! again afterwards.
use super::approvals::{
    Act, ActingUser, ActionOutcome, CORRECT, RECHECK, approvers, bump, lock_document, needed_now,
    record, text_arg,
};
use super::fields::{InvoiceJson, check_field, normalise};
use crate::jobs::FindingWrite;
use crate::{Db, Result, StoreError, now_ms};
use serde_json::json;

/// Statuses in which a person may correct fields or store a new check result: the
/// pipeline is done with the document and nobody has signed it off yet.
pub const CORRECTABLE_STATUSES: &[&str] = &[
    "pending_approval",
    "on_hold",
    "info_requested",
    "auto_approved",
];

/// What a correction did, with what the caller needs to run the checks again.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Corrected {
    pub id: String,
    pub field: String,
    pub old_value: Option<String>,
    /// Normalised (dates `YYYY-MM-DD`, amounts in the currency's decimals, IBAN
    /// without spaces, codes upper case).
    pub new_value: Option<String>,
    /// False when the field already had this value (nothing written).
    pub changed: bool,
    pub status: String,
    pub version: i64,
    /// The updated `FieldsOut` JSON.
    pub fields_json: String,
    /// The updated WIT `invoice` record JSON.
    pub invoice_json: String,
}

/// The result of running the checks again.
#[derive(Debug, Clone)]
pub struct Recheck {
    pub findings: Vec<FindingWrite>,
    /// `pending_approval`, `on_hold` or `auto_approved`.
    pub status: String,
    /// `needs-approval`, `hold` or `auto-approve`.
    pub decision: String,
    /// 0..=100.
    pub risk_score: i64,
    /// Why the decision is what it is (audited as the pipeline records its own).
    pub reasons: Vec<String>,
}

/// The WIT invoice record of a document that had no fields read (a scan awaiting
/// manual entry), in the record's serialised form.
fn empty_invoice(kind: Option<&str>) -> String {
    let party = json!({ "name": null, "tax_id": null, "address": null, "country": null });
    json!({
        "kind": if kind == Some("credit-note") { "CreditNote" } else { "Invoice" },
        "vendor": party, "customer": party,
        "invoice_number": null, "issue_date": null, "due_date": null, "currency": null,
        "net_total": null, "tax_total": null, "gross_total": null, "prepaid": null,
        "amount_due": null, "iban": null, "bic": null, "po_number": null,
        "payment_terms": null, "tax_breakdown": [], "line_items": [], "evidence": [],
    })
    .to_string()
}

fn empty_fields() -> String {
    serde_json::to_string(&papyr_domain::FieldsOut::default()).unwrap_or_else(|_| "{}".into())
}

impl Db {
    /// Correct one canonical field. The value is checked and normalised, written to
    /// the fields JSON, the invoice record and the list columns, recorded as a
    /// correction with an audit entry, and the version bumped. Changing the amount
    /// or currency clears `approvals_needed`, and any correction starts a new
    /// approval round. The caller runs the checks again on the returned JSON and
    /// stores the outcome with [`Db::replace_check_result`].
    #[allow(clippy::too_many_arguments)] // one per part of the request; a struct would only rename them
    pub async fn correct_field(
        &self,
        tenant_id: &str,
        id: &str,
        field: &str,
        new_value: Option<&str>,
        actor: &ActingUser<'_>,
        comment: Option<&str>,
        expected_version: Option<i64>,
    ) -> Result<Corrected> {
        check_field(field)?;
        let comment = text_arg("comment", comment, false)?;
        if actor.user_id.trim().is_empty() {
            return Err(StoreError::Invalid("the acting user id is empty".into()));
        }
        let mut tx = self.begin_write().await?;
        let doc = lock_document(self, &mut tx, tenant_id, id, expected_version).await?;
        if !CORRECTABLE_STATUSES.contains(&doc.status.as_str()) {
            return Err(StoreError::State {
                action: CORRECT.into(),
                status: doc.status,
            });
        }
        let stored: Option<(String, String)> = sqlx::query_as(
            "SELECT fields, invoice FROM invoices WHERE tenant_id = $1 AND document_id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let had_invoice = stored.is_some();
        let (fields, invoice) = match stored {
            Some(s) => s,
            None => {
                let (kind,): (Option<String>,) =
                    sqlx::query_as("SELECT kind FROM documents WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant_id)
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                (empty_fields(), empty_invoice(kind.as_deref()))
            }
        };
        let mut json = InvoiceJson::parse(&fields, &invoice)?;
        let old_value = json.field(field).map(str::to_string);
        let new_value = normalise(field, new_value, json.currency().as_deref())?;
        if old_value == new_value {
            tx.rollback().await?;
            let (fields_json, invoice_json) = json.to_strings();
            return Ok(Corrected {
                id: id.to_string(),
                field: field.to_string(),
                old_value,
                new_value,
                changed: false,
                status: doc.status,
                version: doc.version,
                fields_json,
                invoice_json,
            });
        }
        json.set(field, new_value.as_deref())?;
        let (fields_json, invoice_json) = json.to_strings();
        let now = now_ms();
        let columns = [
            json.field("vendor_name").map(str::to_string),
            json.field("vendor_tax_id").map(str::to_string),
            json.field("invoice_number").map(str::to_string),
            json.field("issue_date").map(str::to_string),
            json.field("currency").map(str::to_string),
            json.field("iban").map(str::to_string),
        ];
        let sql = if had_invoice {
            "UPDATE invoices SET vendor_name = $1, vendor_tax_id = $2, invoice_number = $3, issue_date = $4, currency = $5, \
             iban = $6, gross_minor = $7, fields = $8, invoice = $9 WHERE tenant_id = $10 AND document_id = $11"
        } else {
            "INSERT INTO invoices (vendor_name, vendor_tax_id, invoice_number, issue_date, currency, iban, gross_minor, \
             fields, invoice, tenant_id, document_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        };
        let mut q = sqlx::query(sql);
        for c in columns {
            q = q.bind(c);
        }
        q = q
            .bind(json.gross_minor())
            .bind(&fields_json)
            .bind(&invoice_json)
            .bind(tenant_id)
            .bind(id);
        if !had_invoice {
            q = q.bind(now);
        }
        q.execute(&mut *tx).await?;
        let version = bump(&mut tx, tenant_id, id, &doc, &doc.status, now).await?;
        let clears_needed = matches!(field, "gross_total" | "currency");
        if clears_needed {
            sqlx::query(
                "UPDATE documents SET approvals_needed = NULL WHERE tenant_id = $1 AND id = $2",
            )
            .bind(tenant_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO field_corrections (tenant_id, document_id, field, old_value, new_value, actor, comment, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(tenant_id)
        .bind(id)
        .bind(field)
        .bind(&old_value)
        .bind(&new_value)
        .bind(actor.user_id)
        .bind(&comment)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(empty)".into());
        let detail = format!(
            "{field}: {} → {}{}",
            show(&old_value),
            show(&new_value),
            comment
                .as_deref()
                .map(|c| format!(": {c}"))
                .unwrap_or_default()
        );
        let act = Act {
            tenant_id,
            id,
            actor: *actor,
            action: CORRECT,
            comment: comment.as_deref(),
        };
        record(&mut tx, &act, &detail, now).await?;
        tx.commit().await?;
        Ok(Corrected {
            id: id.to_string(),
            field: field.to_string(),
            old_value,
            new_value,
            changed: true,
            status: doc.status,
            version,
            fields_json,
            invoice_json,
        })
    }

    /// Store the findings, decision and status of checks run again by the API:
    /// findings replaced, `approvals_needed` computed afresh for an invoice that
    /// needs approval, a new approval round, version bumped.
    pub async fn replace_check_result(
        &self,
        tenant_id: &str,
        id: &str,
        check: &Recheck,
        actor: &ActingUser<'_>,
        expected_version: Option<i64>,
    ) -> Result<ActionOutcome> {
        const TARGETS: &[&str] = &["pending_approval", "on_hold", "auto_approved"];
        const DECISIONS: &[&str] = &["needs-approval", "hold", "auto-approve"];
        if !TARGETS.contains(&check.status.as_str()) {
            return Err(StoreError::Invalid(format!(
                "a check result sets the status to one of {}, not `{}`",
                TARGETS.join(", "),
                check.status
            )));
        }
        if !DECISIONS.contains(&check.decision.as_str()) {
            return Err(StoreError::Invalid(format!(
                "a check result's decision is one of {}, not `{}`",
                DECISIONS.join(", "),
                check.decision
            )));
        }
        if !(0..=100).contains(&check.risk_score) {
            return Err(StoreError::Invalid(format!(
                "risk score {} is outside 0..=100",
                check.risk_score
            )));
        }
        if actor.user_id.trim().is_empty() {
            return Err(StoreError::Invalid("the acting user id is empty".into()));
        }
        let mut tx = self.begin_write().await?;
        let doc = lock_document(self, &mut tx, tenant_id, id, expected_version).await?;
        if !CORRECTABLE_STATUSES.contains(&doc.status.as_str()) {
            return Err(StoreError::State {
                action: RECHECK.into(),
                status: doc.status,
            });
        }
        crate::jobs::replace_findings(&mut tx, tenant_id, id, &check.findings).await?;
        let needed = if check.status == "auto_approved" {
            None
        } else {
            Some(needed_now(&mut tx, tenant_id, doc.gross_minor, doc.currency.as_deref()).await?)
        };
        let now = now_ms();
        let version = bump(&mut tx, tenant_id, id, &doc, &check.status, now).await?;
        sqlx::query(
            "UPDATE documents SET decision = $1, risk_score = $2, approvals_needed = $3 WHERE tenant_id = $4 AND id = $5",
        )
        .bind(&check.decision)
        .bind(check.risk_score)
        .bind(needed)
        .bind(tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let detail = format!(
            "{} findings, risk {}, decision {}; {} → {}",
            check.findings.len(),
            check.risk_score,
            check.decision,
            doc.status,
            check.status
        );
        let act = Act {
            tenant_id,
            id,
            actor: *actor,
            action: RECHECK,
            comment: None,
        };
        record(&mut tx, &act, &detail, now).await?;
        // Recorded like the pipeline's decision, so the detail view shows its reasons.
        crate::documents::insert_audit(
            &mut tx,
            tenant_id,
            Some(id),
            "system",
            &format!("decision:{}", check.decision),
            &check.reasons.join("; "),
        )
        .await?;
        let approved_by = approvers(&mut tx, tenant_id, id).await?;
        tx.commit().await?;
        Ok(ActionOutcome {
            id: id.to_string(),
            status: check.status.clone(),
            version,
            approved_by,
            approvals_needed: needed,
        })
    }
}
