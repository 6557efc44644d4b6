//! Approved invoices as rows for an ERP export (the API renders CSV and JSON).
use super::approvals::{APPROVE, round_approvers};
use super::cursor::{self, Page, clamp_limit};
use super::sql::Args;
use crate::{Db, Result, StoreError};
use serde_json::Value;
use sqlx::Row;
use std::collections::HashMap;

/// Which invoices to export.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportQuery {
    /// Only invoices whose last change is at or after this (ms since the epoch).
    pub since: Option<i64>,
    /// Also list invoices already marked exported (a re-export).
    pub include_exported: bool,
}

/// One invoice ready to pay. Amounts are decimal strings in `currency`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportRow {
    pub document_id: String,
    pub status: String,
    pub vendor_id: Option<String>,
    pub vendor_name: Option<String>,
    pub vendor_tax_id: Option<String>,
    pub invoice_number: Option<String>,
    pub issue_date: Option<String>,
    pub due_date: Option<String>,
    pub currency: Option<String>,
    pub net_total: Option<String>,
    pub tax_total: Option<String>,
    pub gross_total: Option<String>,
    pub gross_minor: Option<i64>,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub po_number: Option<String>,
    /// User ids of the approvers; empty for an auto-approved invoice.
    pub approvers: Vec<String>,
    /// When the last of them approved.
    pub approved_at: Option<i64>,
    pub exported_at: Option<i64>,
    pub updated_at: i64,
    pub version: i64,
}

const SCOPE: &str = "export";

impl Db {
    /// Approved and auto-approved invoices not yet exported (with
    /// `include_exported`, exported ones too), oldest change first.
    pub async fn export_approved(
        &self,
        tenant_id: &str,
        query: &ExportQuery,
        cursor: Option<&str>,
        limit: i64,
    ) -> Result<Page<ExportRow>> {
        let limit = clamp_limit(limit);
        let mut args = Args::default();
        let t = args.add(tenant_id);
        let statuses = if query.include_exported {
            "'approved', 'auto_approved', 'exported'"
        } else {
            "'approved', 'auto_approved'"
        };
        let mut w = format!("d.tenant_id = {t} AND d.status IN ({statuses})");
        if let Some(since) = query.since {
            w += &format!(" AND d.updated_at >= {}", args.add(since));
        }
        if let Some(c) = cursor {
            let (key, id) = cursor::decode(tenant_id, SCOPE, c)?;
            let at = key.as_i64().ok_or_else(|| {
                StoreError::Invalid(
                    "the cursor is damaged or was not issued for this tenant".into(),
                )
            })?;
            let (a, i) = (args.add(at), args.add(id));
            w += &format!(" AND (d.updated_at, d.id) > ({a}, {i})");
        }
        let lim = args.add(limit + 1);
        let sql = format!(
            "SELECT d.id, d.status, d.exported_at, d.updated_at, d.version, i.vendor_id, i.vendor_name, i.vendor_tax_id, \
             i.invoice_number, i.issue_date, i.currency, i.gross_minor, i.iban, i.fields \
             FROM documents d JOIN invoices i ON i.document_id = d.id AND i.tenant_id = d.tenant_id \
             WHERE {w} ORDER BY d.updated_at, d.id LIMIT {lim}"
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.pool).await?;
        let page: Vec<_> = rows.iter().take(limit as usize).collect();
        let ids = page
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<Vec<String>, _>>()?;
        let approvals = self.approvals_of(tenant_id, &ids).await?;
        let mut items = Vec::with_capacity(page.len());
        for r in page {
            let id: String = r.try_get("id")?;
            let fields: Value =
                serde_json::from_str(&r.try_get::<String, _>("fields")?).unwrap_or(Value::Null);
            let field = |k: &str| fields.get(k).and_then(Value::as_str).map(str::to_string);
            let acts = approvals.get(&id).map(Vec::as_slice).unwrap_or_default();
            let approvers =
                round_approvers(acts.iter().map(|(a, act, _)| (a.as_str(), act.as_str())));
            let approved_at = acts
                .iter()
                .filter(|(a, act, _)| act == APPROVE && approvers.contains(a))
                .map(|(_, _, at)| *at)
                .max();
            items.push(ExportRow {
                status: r.try_get("status")?,
                vendor_id: r.try_get("vendor_id")?,
                vendor_name: r.try_get("vendor_name")?,
                vendor_tax_id: r.try_get("vendor_tax_id")?,
                invoice_number: r.try_get("invoice_number")?,
                issue_date: r.try_get("issue_date")?,
                due_date: field("due_date"),
                currency: r.try_get("currency")?,
                net_total: field("net_total"),
                tax_total: field("tax_total"),
                gross_total: field("gross_total"),
                gross_minor: r.try_get("gross_minor")?,
                iban: r.try_get("iban")?,
                bic: field("bic"),
                po_number: field("po_number"),
                approvers,
                approved_at,
                exported_at: r.try_get("exported_at")?,
                updated_at: r.try_get("updated_at")?,
                version: r.try_get("version")?,
                document_id: id,
            });
        }
        let next_cursor = match items.last() {
            Some(last) if rows.len() as i64 > limit => Some(cursor::encode(
                tenant_id,
                SCOPE,
                &Value::from(last.updated_at),
                &last.document_id,
            )),
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    /// (actor, action, at) per document, in order, for a page of documents.
    async fn approvals_of(
        &self,
        tenant_id: &str,
        ids: &[String],
    ) -> Result<HashMap<String, Vec<(String, String, i64)>>> {
        let mut out: HashMap<String, Vec<(String, String, i64)>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut args = Args::default();
        let t = args.add(tenant_id);
        let list = args.add_list(ids);
        let sql = format!(
            "SELECT document_id, actor, action, at FROM approvals WHERE tenant_id = {t} AND document_id IN ({list}) ORDER BY id"
        );
        for r in args.bind(sqlx::query(&sql)).fetch_all(&self.pool).await? {
            out.entry(r.try_get("document_id")?).or_default().push((
                r.try_get("actor")?,
                r.try_get("action")?,
                r.try_get("at")?,
            ));
        }
        Ok(out)
    }
}
