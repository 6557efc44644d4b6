//! Listing a tenant's documents with their invoice fields (filters, sort orders,
//! keyset pagination) and one invoice's full detail.
use super::audit::AuditEntry;
use super::cursor::{self, Page, clamp_limit};
use super::sql::{Arg, Args, contains_pattern};
use crate::{Db, Result, StoreError};
use serde_json::Value;
use sqlx::Row;

/// Every document status the pipeline and the API write.
pub const STATUSES: &[&str] = &[
    "received",
    "classified",
    "extracted",
    "checked",
    "pending_approval",
    "auto_approved",
    "on_hold",
    "info_requested",
    "approved",
    "rejected",
    "exported",
    "not_an_invoice",
    "failed",
];

/// What to list. Every bound is inclusive except `received_to`.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    /// Any of these statuses (empty: all).
    pub statuses: Vec<String>,
    pub vendor_id: Option<String>,
    /// Gross total in minor units.
    pub min_gross_minor: Option<i64>,
    pub max_gross_minor: Option<i64>,
    /// ISO 4217 code of the gross total.
    pub currency: Option<String>,
    /// Milliseconds since the epoch: `received_from <= received_at < received_to`.
    pub received_from: Option<i64>,
    pub received_to: Option<i64>,
    /// `YYYY-MM-DD`.
    pub issue_from: Option<String>,
    pub issue_to: Option<String>,
    pub has_findings: Option<bool>,
    /// Case-insensitive substring of the vendor name, invoice number or filename.
    pub q: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    ReceivedAt,
    IssueDate,
    Gross,
    VendorName,
    Status,
}

impl SortKey {
    pub const ALL: [SortKey; 5] = [
        SortKey::ReceivedAt,
        SortKey::IssueDate,
        SortKey::Gross,
        SortKey::VendorName,
        SortKey::Status,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::ReceivedAt => "received_at",
            SortKey::IssueDate => "issue_date",
            SortKey::Gross => "gross",
            SortKey::VendorName => "vendor_name",
            SortKey::Status => "status",
        }
    }

    /// The SQL expression sorted on, and whether it can be NULL (rows without it
    /// come last in both directions).
    fn expr(self) -> (&'static str, bool) {
        match self {
            SortKey::ReceivedAt => ("d.received_at", false),
            SortKey::IssueDate => ("i.issue_date", true),
            SortKey::Gross => ("i.gross_minor", true),
            SortKey::VendorName => ("LOWER(i.vendor_name)", true),
            SortKey::Status => ("d.status", false),
        }
    }

    fn is_int(self) -> bool {
        matches!(self, SortKey::ReceivedAt | SortKey::Gross)
    }
}

/// A sort order; the default is newest received first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            key: SortKey::ReceivedAt,
            descending: true,
        }
    }
}

impl Sort {
    /// `gross` (ascending) or `-gross` (descending).
    pub fn parse(s: &str) -> Result<Sort> {
        let (descending, name) = match s.trim().strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, s.trim()),
        };
        let key = SortKey::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| {
                StoreError::Invalid(format!(
                    "unknown sort `{name}`; use one of {} (prefix - for descending)",
                    SortKey::ALL.map(SortKey::as_str).join(", ")
                ))
            })?;
        Ok(Sort { key, descending })
    }

    fn scope(self) -> String {
        format!(
            "invoices:{}:{}",
            self.key.as_str(),
            if self.descending { "desc" } else { "asc" }
        )
    }
}

/// One row of the invoice list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InvoiceSummary {
    pub id: String,
    pub filename: String,
    pub status: String,
    pub kind: Option<String>,
    pub decision: Option<String>,
    pub risk_score: Option<i64>,
    pub vendor_id: Option<String>,
    pub vendor_name: Option<String>,
    pub invoice_number: Option<String>,
    pub issue_date: Option<String>,
    pub currency: Option<String>,
    pub gross_minor: Option<i64>,
    pub finding_count: i64,
    pub received_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

/// One field with where its value came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FieldDetail {
    pub field: String,
    /// A string, or null when not found.
    pub value: Value,
    /// 0.0–1.0; 1.0 once a person corrected it.
    pub confidence: Option<f64>,
    /// `text-layer`, `e-invoice`, `template`, `derived` or `manual`.
    pub source: Option<String>,
    /// 1-based page and line of the text it was read from.
    pub page: Option<u32>,
    pub line: Option<u32>,
    pub text: Option<String>,
    /// User id of the latest correction.
    pub corrected_by: Option<String>,
}

/// The invoice part of a document.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InvoiceData {
    pub vendor_id: Option<String>,
    pub vendor_name: Option<String>,
    pub vendor_tax_id: Option<String>,
    pub invoice_number: Option<String>,
    pub issue_date: Option<String>,
    pub currency: Option<String>,
    pub gross_minor: Option<i64>,
    pub iban: Option<String>,
    /// The canonical `FieldsOut` JSON.
    pub fields: Value,
    /// The WIT `invoice` record JSON.
    pub invoice: Value,
    /// Every canonical field but `line_items`, in canonical order.
    pub field_details: Vec<FieldDetail>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FindingRow {
    pub rule: String,
    pub severity: String,
    pub score: i64,
    pub message: String,
    pub evidence: Value,
    pub plugin: String,
}

/// One workflow action (approve, reject, request-info, provide-info, export, correct,
/// recheck).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApprovalRow {
    pub actor: String,
    pub action: String,
    pub comment: Option<String>,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CorrectionRow {
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub actor: String,
    pub comment: Option<String>,
    pub at: i64,
}

/// Everything about one document the API shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InvoiceDetail {
    pub id: String,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub channel: String,
    pub origin: Value,
    pub status: String,
    pub kind: Option<String>,
    pub decision: Option<String>,
    pub risk_score: Option<i64>,
    pub error: Option<String>,
    pub received_at: i64,
    pub updated_at: i64,
    pub version: i64,
    pub uploaded_by: Option<String>,
    pub approvals_needed: Option<i64>,
    /// Distinct approvers of the current round (see [`super::approvals`]).
    pub approved_by: Vec<String>,
    pub exported_at: Option<i64>,
    pub invoice: Option<InvoiceData>,
    pub findings: Vec<FindingRow>,
    pub approvals: Vec<ApprovalRow>,
    pub corrections: Vec<CorrectionRow>,
    /// Oldest first, at most [`DETAIL_AUDIT_LIMIT`].
    pub audit: Vec<AuditEntry>,
}

/// Audit entries shown with a document; the full trail pages through `audit_log`.
pub const DETAIL_AUDIT_LIMIT: i64 = 500;

const SUMMARY_COLUMNS: &str = "d.id, d.filename, d.status, d.kind, d.decision, d.risk_score, i.vendor_id, i.vendor_name, \
     i.invoice_number, i.issue_date, i.currency, i.gross_minor, \
     (SELECT COUNT(*) FROM findings f WHERE f.document_id = d.id AND f.tenant_id = d.tenant_id) AS finding_count, \
     d.received_at, d.updated_at, d.version";

const FROM_DOCUMENTS: &str =
    "FROM documents d LEFT JOIN invoices i ON i.document_id = d.id AND i.tenant_id = d.tenant_id";

fn summary(r: &sqlx::any::AnyRow) -> Result<InvoiceSummary> {
    Ok(InvoiceSummary {
        id: r.try_get("id")?,
        filename: r.try_get("filename")?,
        status: r.try_get("status")?,
        kind: r.try_get("kind")?,
        decision: r.try_get("decision")?,
        risk_score: r.try_get("risk_score")?,
        vendor_id: r.try_get("vendor_id")?,
        vendor_name: r.try_get("vendor_name")?,
        invoice_number: r.try_get("invoice_number")?,
        issue_date: r.try_get("issue_date")?,
        currency: r.try_get("currency")?,
        gross_minor: r.try_get("gross_minor")?,
        finding_count: r.try_get("finding_count")?,
        received_at: r.try_get("received_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

fn check_date(what: &str, d: &str) -> Result<()> {
    super::fields::normalise("issue_date", Some(d), None)
        .map(|_| ())
        .map_err(|_| StoreError::Invalid(format!("{what}: `{d}` is not a date as YYYY-MM-DD")))
}

/// `WHERE` conditions of a filter (after the tenant's).
fn filter_sql(f: &InvoiceFilter, args: &mut Args) -> Result<String> {
    let mut w = String::new();
    if !f.statuses.is_empty() {
        if let Some(bad) = f.statuses.iter().find(|s| !STATUSES.contains(&s.as_str())) {
            return Err(StoreError::Invalid(format!(
                "unknown status `{bad}`; statuses: {}",
                STATUSES.join(", ")
            )));
        }
        w += &format!(" AND d.status IN ({})", args.add_list(&f.statuses));
    }
    if let Some(v) = &f.vendor_id {
        w += &format!(" AND i.vendor_id = {}", args.add(v.as_str()));
    }
    if let (Some(lo), Some(hi)) = (f.min_gross_minor, f.max_gross_minor)
        && lo > hi
    {
        return Err(StoreError::Invalid(format!(
            "the minimum amount {lo} is above the maximum {hi}"
        )));
    }
    if let Some(v) = f.min_gross_minor {
        w += &format!(" AND i.gross_minor >= {}", args.add(v));
    }
    if let Some(v) = f.max_gross_minor {
        w += &format!(" AND i.gross_minor <= {}", args.add(v));
    }
    if let Some(c) = &f.currency {
        let c = c.trim().to_ascii_uppercase();
        if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(StoreError::Invalid(format!(
                "currency `{c}` is not an ISO 4217 code such as EUR"
            )));
        }
        w += &format!(" AND i.currency = {}", args.add(c));
    }
    if let Some(v) = f.received_from {
        w += &format!(" AND d.received_at >= {}", args.add(v));
    }
    if let Some(v) = f.received_to {
        w += &format!(" AND d.received_at < {}", args.add(v));
    }
    if let Some(d) = &f.issue_from {
        check_date("issue_from", d)?;
        w += &format!(" AND i.issue_date >= {}", args.add(d.as_str()));
    }
    if let Some(d) = &f.issue_to {
        check_date("issue_to", d)?;
        w += &format!(" AND i.issue_date <= {}", args.add(d.as_str()));
    }
    match f.has_findings {
        Some(true) => {
            w += " AND EXISTS (SELECT 1 FROM findings f WHERE f.document_id = d.id AND f.tenant_id = d.tenant_id)"
        }
        Some(false) => {
            w += " AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.document_id = d.id AND f.tenant_id = d.tenant_id)"
        }
        None => {}
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if q.chars().count() > 200 {
            return Err(StoreError::Invalid(
                "the search text is longer than 200 characters".into(),
            ));
        }
        // LOWER on both sides: PostgreSQL's LIKE is case-sensitive, and SQLite's LOWER
        // folds only ASCII, so folding in SQL keeps the two sides consistent.
        let p = args.add(contains_pattern(q));
        w += &format!(
            " AND (LOWER(i.vendor_name) LIKE LOWER({p}) ESCAPE '\\' OR LOWER(i.invoice_number) LIKE LOWER({p}) ESCAPE '\\' \
             OR LOWER(d.filename) LIKE LOWER({p}) ESCAPE '\\')"
        );
    }
    Ok(w)
}

/// The list query: SQL text and its values.
fn list_sql(
    tenant_id: &str,
    filter: &InvoiceFilter,
    sort: Sort,
    cursor: Option<&str>,
    limit: i64,
) -> Result<(String, Args)> {
    let mut args = Args::default();
    let t = args.add(tenant_id);
    let mut w = format!("d.tenant_id = {t}{}", filter_sql(filter, &mut args)?);
    let (expr, nullable) = sort.key.expr();
    let (op, dir) = if sort.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(c) = cursor {
        let (key, id) = cursor::decode(tenant_id, &sort.scope(), c)?;
        let damaged = || {
            StoreError::Invalid("the cursor is damaged or was not issued for this tenant".into())
        };
        // The value must have the sort key's type; `None`: a row without a value.
        let key: Option<Arg> = match (key, sort.key.is_int()) {
            (Value::Null, _) if nullable => None,
            (Value::Number(n), true) => Some(Arg::Int(n.as_i64().ok_or_else(damaged)?)),
            (Value::String(s), false) => Some(Arg::Text(s)),
            _ => return Err(damaged()),
        };
        let id = args.add(id);
        w += &match key {
            // Only rows without a value remain, ordered by id.
            None => format!(" AND {expr} IS NULL AND d.id {op} {id}"),
            Some(k) => {
                let k = args.add(k);
                if nullable {
                    format!(
                        " AND ({expr} {op} {k} OR ({expr} = {k} AND d.id {op} {id}) OR {expr} IS NULL)"
                    )
                } else {
                    // A row value comparison walks the (tenant, key, id) index.
                    format!(" AND ({expr}, d.id) {op} ({k}, {id})")
                }
            }
        };
    }
    let nulls = if nullable { " NULLS LAST" } else { "" };
    let lim = args.add(limit + 1);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, {expr} AS sort_key {FROM_DOCUMENTS} WHERE {w} \
         ORDER BY {expr} {dir}{nulls}, d.id {dir} LIMIT {lim}"
    );
    Ok((sql, args))
}

impl Db {
    /// One page of a tenant's documents with their invoice fields. `cursor` is the
    /// previous page's `next_cursor`, valid for the same sort order only; `limit` is
    /// clamped to 1..=200.
    pub async fn list_invoices(
        &self,
        tenant_id: &str,
        filter: &InvoiceFilter,
        sort: &Sort,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Page<InvoiceSummary>> {
        let limit = clamp_limit(limit);
        let (sql, args) = list_sql(tenant_id, filter, *sort, cursor, limit)?;
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.pool).await?;
        let mut items = Vec::with_capacity(rows.len());
        let mut last_key = Value::Null;
        for r in rows.iter().take(limit as usize) {
            last_key = if sort.key.is_int() {
                r.try_get::<Option<i64>, _>("sort_key")?
                    .map_or(Value::Null, Value::from)
            } else {
                r.try_get::<Option<String>, _>("sort_key")?
                    .map_or(Value::Null, Value::from)
            };
            items.push(summary(r)?);
        }
        let next_cursor = match items.last() {
            Some(last) if rows.len() as i64 > limit => Some(cursor::encode(
                tenant_id,
                &sort.scope(),
                &last_key,
                &last.id,
            )),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    /// A document with its invoice, findings, workflow actions, corrections and audit
    /// trail; `None` when absent or another tenant's.
    pub async fn invoice_detail(&self, tenant_id: &str, id: &str) -> Result<Option<InvoiceDetail>> {
        let Some(d) = sqlx::query(
            "SELECT id, filename, media_type, size, sha256, channel, origin, status, kind, decision, risk_score, error, \
             received_at, updated_at, version, uploaded_by, approvals_needed, exported_at \
             FROM documents WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let findings = sqlx::query(
            "SELECT rule, severity, score, message, evidence, plugin FROM findings WHERE tenant_id = $1 AND document_id = $2 ORDER BY id",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(FindingRow {
                rule: r.try_get("rule")?,
                severity: r.try_get("severity")?,
                score: r.try_get("score")?,
                message: r.try_get("message")?,
                evidence: json_or_text(r.try_get("evidence")?),
                plugin: r.try_get("plugin")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let approvals: Vec<ApprovalRow> = sqlx::query_as::<_, (String, String, Option<String>, i64)>(
            "SELECT actor, action, comment, at FROM approvals WHERE tenant_id = $1 AND document_id = $2 ORDER BY id",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|(actor, action, comment, at)| ApprovalRow {
            actor,
            action,
            comment,
            at,
        })
        .collect();
        let corrections: Vec<CorrectionRow> = sqlx::query_as::<
            _,
            (
                String,
                Option<String>,
                Option<String>,
                String,
                Option<String>,
                i64,
            ),
        >(
            "SELECT field, old_value, new_value, actor, comment, at FROM field_corrections \
                 WHERE tenant_id = $1 AND document_id = $2 ORDER BY id",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(
            |(field, old_value, new_value, actor, comment, at)| CorrectionRow {
                field,
                old_value,
                new_value,
                actor,
                comment,
                at,
            },
        )
        .collect();
        let audit = super::audit::document_trail(self, tenant_id, id, DETAIL_AUDIT_LIMIT).await?;
        let invoice = self.invoice_data(tenant_id, id, &corrections).await?;
        let approved_by = super::approvals::round_approvers(
            approvals
                .iter()
                .map(|a| (a.actor.as_str(), a.action.as_str())),
        );
        Ok(Some(InvoiceDetail {
            id: d.try_get("id")?,
            filename: d.try_get("filename")?,
            media_type: d.try_get("media_type")?,
            size: d.try_get("size")?,
            sha256: d.try_get("sha256")?,
            channel: d.try_get("channel")?,
            origin: json_or_text(d.try_get("origin")?),
            status: d.try_get("status")?,
            kind: d.try_get("kind")?,
            decision: d.try_get("decision")?,
            risk_score: d.try_get("risk_score")?,
            error: d.try_get("error")?,
            received_at: d.try_get("received_at")?,
            updated_at: d.try_get("updated_at")?,
            version: d.try_get("version")?,
            uploaded_by: d.try_get("uploaded_by")?,
            approvals_needed: d.try_get("approvals_needed")?,
            approved_by,
            exported_at: d.try_get("exported_at")?,
            invoice,
            findings,
            approvals,
            corrections,
            audit,
        }))
    }

    async fn invoice_data(
        &self,
        tenant_id: &str,
        id: &str,
        corrections: &[CorrectionRow],
    ) -> Result<Option<InvoiceData>> {
        let Some(r) = sqlx::query(
            "SELECT vendor_id, vendor_name, vendor_tax_id, invoice_number, issue_date, currency, gross_minor, iban, fields, invoice \
             FROM invoices WHERE tenant_id = $1 AND document_id = $2",
        )
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        else {
            return Ok(None);
        };
        let fields = json_or_text(r.try_get("fields")?);
        let invoice = json_or_text(r.try_get("invoice")?);
        let extract = self.stage_result(tenant_id, id, "extract").await?;
        let field_details = field_details(&fields, &invoice, extract.as_deref(), corrections);
        Ok(Some(InvoiceData {
            vendor_id: r.try_get("vendor_id")?,
            vendor_name: r.try_get("vendor_name")?,
            vendor_tax_id: r.try_get("vendor_tax_id")?,
            invoice_number: r.try_get("invoice_number")?,
            issue_date: r.try_get("issue_date")?,
            currency: r.try_get("currency")?,
            gross_minor: r.try_get("gross_minor")?,
            iban: r.try_get("iban")?,
            fields,
            invoice,
            field_details,
        }))
    }
}

/// Stored JSON text as a value; text that is not JSON is kept as a string rather
/// than failing the whole detail.
fn json_or_text(s: String) -> Value {
    serde_json::from_str(&s).unwrap_or(Value::String(s))
}

/// Per-field evidence comes from the extract stage's stored result
/// (`output.field_evidence`, the formatted form), else from the invoice record's
/// `evidence`; a corrected field reports the correction instead.
fn field_details(
    fields: &Value,
    invoice: &Value,
    extract_result: Option<&str>,
    corrections: &[CorrectionRow],
) -> Vec<FieldDetail> {
    let stored: Option<Value> = extract_result.and_then(|s| serde_json::from_str(s).ok());
    let evidence: Vec<Value> = stored
        .as_ref()
        .and_then(|s| s.pointer("/output/field_evidence"))
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .or_else(|| invoice.get("evidence").and_then(Value::as_array))
        .cloned()
        .unwrap_or_default();
    super::fields::CORRECTABLE_FIELDS
        .iter()
        .map(|&field| {
            let value = fields.get(field).cloned().unwrap_or(Value::Null);
            if let Some(c) = corrections.iter().rev().find(|c| c.field == field) {
                return FieldDetail {
                    field: field.to_string(),
                    value,
                    confidence: Some(1.0),
                    source: Some("manual".into()),
                    page: None,
                    line: None,
                    text: None,
                    corrected_by: Some(c.actor.clone()),
                };
            }
            let ev = evidence
                .iter()
                .find(|e| e.get("field").and_then(Value::as_str) == Some(field));
            let num = |k: &str| {
                ev.and_then(|e| e.get(k))
                    .and_then(Value::as_u64)
                    .filter(|n| *n > 0)
                    .and_then(|n| u32::try_from(n).ok())
            };
            FieldDetail {
                field: field.to_string(),
                value,
                confidence: ev.and_then(|e| e.get("confidence")).and_then(Value::as_f64),
                source: ev
                    .and_then(|e| e.get("source"))
                    .and_then(Value::as_str)
                    .map(source_name),
                page: num("page"),
                line: num("line"),
                text: ev
                    .and_then(|e| e.get("text"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                corrected_by: None,
            }
        })
        .collect()
}

/// The record's enum names (`TextLayer`) in the output model's spelling
/// (`text-layer`).
fn source_name(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse_by_name_and_sign() {
        assert_eq!(
            Sort::parse("-gross").unwrap(),
            Sort {
                key: SortKey::Gross,
                descending: true
            }
        );
        assert_eq!(Sort::parse("vendor_name").unwrap().key, SortKey::VendorName);
        let e = Sort::parse("colour").unwrap_err().to_string();
        assert!(
            e.contains("unknown sort `colour`") && e.contains("received_at"),
            "{e}"
        );
    }

    #[test]
    fn evidence_names_read_like_the_output_model() {
        assert_eq!(source_name("TextLayer"), "text-layer");
        assert_eq!(source_name("EInvoice"), "e-invoice");
        assert_eq!(source_name("text-layer"), "text-layer");
    }

    /// The default listing (newest first) and its next pages read the
    /// (tenant, received_at, id) index in order: no sort step over the tenant's rows.
    #[tokio::test]
    async fn default_listing_walks_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("p.db").display());
        let db = Db::connect(&url, 2).await.unwrap();
        db.migrate().await.unwrap();
        let cursor = cursor::encode("t", &Sort::default().scope(), &Value::from(5), "d_1");
        for c in [None, Some(cursor.as_str())] {
            let (sql, args) =
                list_sql("t", &InvoiceFilter::default(), Sort::default(), c, 50).unwrap();
            let plan: Vec<String> = args
                .bind(sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(&db.pool)
                .await
                .unwrap()
                .iter()
                .map(|r| r.try_get::<String, _>("detail").unwrap())
                .collect();
            let plan = plan.join("\n");
            assert!(plan.contains("documents_received"), "{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        }
    }
}
