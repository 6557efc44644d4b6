//! The approval workflow and the ERP export:
//! `POST /v1/invoices/{id}/approve`, `/reject`, `/request-info`, `/provide-info`
//! (each under `If-Match`), `POST /v1/invoices/{id}/export` and
//! `POST /v1/invoices/export` (mark exported, ready to pay), and
//! `GET /v1/exports/approved` (approved invoices as CSV or JSON).
//!
//! Roles are checked before anything about the request is read, so a caller
//! without the role learns nothing from the answer; segregation of duties, held
//! invoices and double approvals are the store's rules (docs/api.md).
use super::ApiState;
use super::auth::{Caller, RequireRole};
use super::error::{ApiError, FieldError, Problem};
use super::extract::{ApiPath, parse_json};
use super::invoices::{
    acting, check_id, comment_arg, format_instant, if_match, invoice_response, parse_bool,
    parse_instant, parse_limit, query_pairs, version_required, write_error,
};
use super::pagination::{DEFAULT_LIMIT, Page, Paged};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use papyr_auth::Role;
use papyr_store::{ExportQuery, ExportRow, StoreError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A JSON body that may be left out: `None` for an empty body (any content type),
/// else JSON (415 for another type, 400 unreadable, 422 the wrong shape).
pub(super) fn optional_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<T>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| ct.split(';').next())
        .map(|e| e.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    if !json {
        return Err(ApiError::unsupported_media_type(
            "send the body as JSON with `Content-Type: application/json`",
        ));
    }
    parse_json(body).map(Some)
}

/// A body the action cannot do without; an empty one is a 422 on `field`, with
/// an `example` of what to send.
pub(super) fn required_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
    field: &str,
    example: &str,
) -> Result<T, ApiError> {
    optional_json(headers, body)?.ok_or_else(|| {
        ApiError::validation(vec![FieldError::new(
            field,
            format!("required: send a JSON body such as {example}"),
        )])
    })
}

/// An approval's optional comment.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    pub comment: Option<String>,
}

/// Why the invoice is rejected.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// Required, at most 2000 characters.
    pub reason: Option<String>,
}

/// What is asked, or the answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// Required, at most 2000 characters.
    pub comment: Option<String>,
}

/// The `If-Match` version of a workflow action, or the 428 answer.
fn version(headers: &HeaderMap) -> Result<Result<i64, Response>, ApiError> {
    Ok(if_match(headers)?.ok_or_else(version_required))
}

#[derive(Clone, Copy)]
enum Action {
    Approve,
    Reject,
    RequestInfo,
    ProvideInfo,
}

/// Run a workflow action under `If-Match` and answer the updated invoice.
async fn act(
    state: &ApiState,
    caller: &Caller,
    id: &str,
    headers: &HeaderMap,
    body: &[u8],
    action: Action,
) -> Result<Response, ApiError> {
    match action {
        Action::ProvideInfo => caller.require(Role::Clerk)?,
        _ => caller.require(Role::Approver)?,
    }
    check_id(id)?;
    let expected = match version(headers)? {
        Ok(v) => v,
        Err(res) => return Ok(res),
    };
    let text = match action {
        Action::Approve => {
            let b: ApproveBody = optional_json(headers, body)?.unwrap_or_default();
            comment_arg("comment", b.comment.as_deref(), false)?
        }
        Action::Reject => {
            let b: RejectBody = required_json(headers, body, "reason", r#"{"reason": "…"}"#)?;
            comment_arg("reason", b.reason.as_deref(), true)?
        }
        Action::RequestInfo | Action::ProvideInfo => {
            let b: CommentBody = required_json(headers, body, "comment", r#"{"comment": "…"}"#)?;
            comment_arg("comment", b.comment.as_deref(), true)?
        }
    };
    let actor = acting(caller);
    let db = &state.shared.db;
    let t = caller.tenant_id.as_str();
    let v = Some(expected);
    let text_or_empty = text.as_deref().unwrap_or_default();
    let done = match action {
        Action::Approve => db.approve(t, id, &actor, text.as_deref(), v).await,
        Action::Reject => db.reject(t, id, &actor, text_or_empty, v).await,
        Action::RequestInfo => db.request_info(t, id, &actor, text_or_empty, v).await,
        Action::ProvideInfo => db.provide_info(t, id, &actor, text_or_empty, v).await,
    };
    match done {
        Ok(_) => invoice_response(state, t, id).await,
        Err(e) => Ok(write_error(e, expected)),
    }
}

#[utoipa::path(
    post,
    path = "/v1/invoices/{id}/approve",
    tag = "invoices",
    params(
        ("id" = String, Path, description = "Invoice id"),
        ("If-Match" = String, Header, description = "The invoice's `ETag`"),
    ),
    request_body(content = Option<ApproveBody>, description = "Optional; an empty body approves without a comment"),
    responses(
        (status = 200, description = "Approved: the updated invoice. Its status becomes `approved` once the distinct approvers reach the number needed, and stays as it was until then.",
         body = super::invoices::InvoiceView, headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Not an approver; or segregation of duties (the caller uploaded or corrected this invoice); or already approved by the caller; or an invoice on hold and the caller is no admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such invoice in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The invoice's status does not allow approving it", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The invoice changed since that version; `ETag` carries the current one", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn approve(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    act(&state, &caller, &id, &headers, &body, Action::Approve).await
}

#[utoipa::path(
    post,
    path = "/v1/invoices/{id}/reject",
    tag = "invoices",
    params(
        ("id" = String, Path, description = "Invoice id"),
        ("If-Match" = String, Header, description = "The invoice's `ETag`"),
    ),
    request_body = RejectBody,
    responses(
        (status = 200, description = "Rejected: the updated invoice", body = super::invoices::InvoiceView,
         headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Not an approver, or an invoice on hold and the caller is no admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such invoice in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The invoice's status does not allow rejecting it", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The invoice changed since that version", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reject(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    act(&state, &caller, &id, &headers, &body, Action::Reject).await
}

#[utoipa::path(
    post,
    path = "/v1/invoices/{id}/request-info",
    tag = "invoices",
    params(
        ("id" = String, Path, description = "Invoice id"),
        ("If-Match" = String, Header, description = "The invoice's `ETag`"),
    ),
    request_body = CommentBody,
    responses(
        (status = 200, description = "Status `info_requested`: the updated invoice", body = super::invoices::InvoiceView,
         headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Not an approver, or an invoice on hold and the caller is no admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such invoice in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The invoice's status does not allow it", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The invoice changed since that version", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No comment saying what is needed", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request_info(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    act(&state, &caller, &id, &headers, &body, Action::RequestInfo).await
}

#[utoipa::path(
    post,
    path = "/v1/invoices/{id}/provide-info",
    tag = "invoices",
    params(
        ("id" = String, Path, description = "Invoice id"),
        ("If-Match" = String, Header, description = "The invoice's `ETag`"),
    ),
    request_body = CommentBody,
    responses(
        (status = 200, description = "Answered: back to `pending_approval` for a new round of approvals", body = super::invoices::InvoiceView,
         headers(("ETag" = String, description = "The new version"))),
        (status = 403, description = "Not a clerk", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such invoice in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No information was requested", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The invoice changed since that version", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No comment", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn provide_info(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    act(&state, &caller, &id, &headers, &body, Action::ProvideInfo).await
}

// ---- marking exported --------------------------------------------------------------

#[utoipa::path(
    post,
    path = "/v1/invoices/{id}/export",
    tag = "invoices",
    params(("id" = String, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "Marked exported (ready to pay): the updated invoice. Marking an exported invoice again changes nothing.",
         body = super::invoices::InvoiceView, headers(("ETag" = String, description = "The new version"))),
        (status = 404, description = "No such invoice in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not approved (or auto-approved)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn export_one(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    caller.require(Role::Clerk)?;
    check_id(&id)?;
    let actor = acting(&caller);
    state
        .shared
        .db
        .mark_exported(&caller.tenant_id, &[id.as_str()], &actor)
        .await?;
    invoice_response(&state, &caller.tenant_id, &id).await
}

/// Invoices to mark exported.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// 1 to 1000 invoice ids; all are marked or none.
    pub ids: Vec<String>,
}

/// An invoice after marking.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedInvoice {
    pub id: String,
    /// `exported`.
    pub status: String,
    /// The new `ETag`.
    pub version: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkedInvoices {
    pub items: Vec<MarkedInvoice>,
}

/// Most ids one request marks (the store's bound too).
const MAX_EXPORT_IDS: usize = 1000;

#[utoipa::path(
    post,
    path = "/v1/invoices/export",
    tag = "invoices",
    request_body = ExportRequest,
    responses(
        (status = 200, description = "All marked exported (ids already exported are reported unchanged)", body = MarkedInvoices),
        (status = 404, description = "An id is not an invoice of the caller's tenant (nothing was marked)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An invoice is not approved (nothing was marked)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No ids, or more than 1000", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn export_many(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<MarkedInvoices>, ApiError> {
    caller.require(Role::Clerk)?;
    let req: ExportRequest = required_json(&headers, &body, "ids", r#"{"ids": ["d_…"]}"#)?;
    if req.ids.is_empty() || req.ids.len() > MAX_EXPORT_IDS {
        return Err(ApiError::validation(vec![FieldError::new(
            "ids",
            format!("send 1 to {MAX_EXPORT_IDS} invoice ids"),
        )]));
    }
    for id in &req.ids {
        check_id(id)?;
    }
    let actor = acting(&caller);
    let ids: Vec<&str> = req.ids.iter().map(String::as_str).collect();
    let done = state
        .shared
        .db
        .mark_exported(&caller.tenant_id, &ids, &actor)
        .await?;
    Ok(Json(MarkedInvoices {
        items: done
            .into_iter()
            .map(|o| MarkedInvoice {
                id: o.id,
                status: o.status,
                version: o.version,
            })
            .collect(),
    }))
}

// ---- the ERP export ----------------------------------------------------------------

/// The query parameters of `GET /v1/exports/approved`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // reason: describes the parameters for the OpenAPI document only
pub struct ExportParams {
    /// `json` (default) or `csv`; without it, `Accept: text/csv` asks for CSV.
    format: Option<String>,
    /// Only invoices whose last change is at or after this RFC 3339 time or date.
    since: Option<String>,
    /// Also list invoices already marked exported (a re-export).
    include_exported: Option<bool>,
    /// Rows per page, 1 to 200 (default 50); larger values are clamped.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` (JSON) or the `Link` header's cursor (CSV) of the previous page.
    cursor: Option<String>,
}

const EXPORT_PARAMS: &[&str] = &["format", "since", "include_exported", "limit", "cursor"];

/// One approved invoice for the ERP. Amounts are decimal strings in `currency`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportItem {
    pub id: String,
    /// `approved`, `auto_approved` or (with `include_exported`) `exported`.
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
    /// Who approved (empty for an auto-approved invoice).
    pub approvers: Vec<String>,
    /// Milliseconds since the Unix epoch.
    pub approved_at: Option<i64>,
    pub exported_at: Option<i64>,
    pub updated_at: i64,
    pub version: i64,
}

impl From<ExportRow> for ExportItem {
    fn from(r: ExportRow) -> ExportItem {
        ExportItem {
            id: r.document_id,
            status: r.status,
            vendor_id: r.vendor_id,
            vendor_name: r.vendor_name,
            vendor_tax_id: r.vendor_tax_id,
            invoice_number: r.invoice_number,
            issue_date: r.issue_date,
            due_date: r.due_date,
            currency: r.currency,
            net_total: r.net_total,
            tax_total: r.tax_total,
            gross_total: r.gross_total,
            gross_minor: r.gross_minor,
            iban: r.iban,
            bic: r.bic,
            po_number: r.po_number,
            approvers: r.approvers,
            approved_at: r.approved_at,
            exported_at: r.exported_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// The CSV columns, in order.
const CSV_HEADER: &[&str] = &[
    "id",
    "status",
    "vendor_id",
    "vendor_name",
    "vendor_tax_id",
    "invoice_number",
    "issue_date",
    "due_date",
    "currency",
    "net_total",
    "tax_total",
    "gross_total",
    "iban",
    "bic",
    "po_number",
    "approvers",
    "approved_at",
    "exported_at",
    "updated_at",
];

/// A plain decimal such as `-12.50`: a spreadsheet reads it as a number, never as
/// a formula, so a credit note's negative total keeps its sign.
fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// One CSV cell (RFC 4180). Text a spreadsheet would run as a formula (leading
/// `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`: vendor names and
/// invoice numbers come from strangers' documents.
fn csv_cell(s: &str) -> String {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(s);
    let s = if risky {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv_row(out: &mut String, cells: &[String]) {
    let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

/// The rows as CSV with a header row; times are RFC 3339 UTC.
fn to_csv(items: &[ExportItem]) -> String {
    let mut out = String::new();
    csv_row(
        &mut out,
        &CSV_HEADER.iter().map(|h| h.to_string()).collect::<Vec<_>>(),
    );
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let time = |v: Option<i64>| v.map(format_instant).unwrap_or_default();
    for r in items {
        csv_row(
            &mut out,
            &[
                r.id.clone(),
                r.status.clone(),
                text(&r.vendor_id),
                text(&r.vendor_name),
                text(&r.vendor_tax_id),
                text(&r.invoice_number),
                text(&r.issue_date),
                text(&r.due_date),
                text(&r.currency),
                text(&r.net_total),
                text(&r.tax_total),
                text(&r.gross_total),
                text(&r.iban),
                text(&r.bic),
                text(&r.po_number),
                r.approvers.join(" "),
                time(r.approved_at),
                time(r.exported_at),
                time(Some(r.updated_at)),
            ],
        );
    }
    out
}

fn wants_csv(format: Option<&str>, headers: &HeaderMap) -> Result<bool, ApiError> {
    match format {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(super::invoices::bad_param(
            "format",
            format!("`{other}` is neither csv nor json"),
        )),
        None => Ok(headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|m| {
                m.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"))
            })),
    }
}

#[utoipa::path(
    get,
    path = "/v1/exports/approved",
    tag = "invoices",
    params(ExportParams),
    responses(
        (status = 200, description = "Approved and auto-approved invoices not yet marked exported, oldest change first. \
            JSON: a page of ExportItem. CSV: a header row and one row per invoice (RFC 4180; cells that a spreadsheet would run as a formula start with `'`). \
            Both carry `Link: <…>; rel=\"next\"` while there is a next page.",
         content(
            (Page<ExportItem> = "application/json"),
            (String = "text/csv"),
         ),
         headers(("Link" = String, description = "The next page, while there is one"))),
    )
)]
pub async fn export_approved(
    State(state): State<ApiState>,
    caller: Caller,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require(Role::Clerk)?;
    let mut p = query_pairs(uri.query().unwrap_or_default(), EXPORT_PARAMS, &[])?;
    let mut one = |k: &str| p.remove(k).and_then(|v| v.into_iter().next());
    let csv = wants_csv(one("format").as_deref(), &headers)?;
    let mut query = ExportQuery::default();
    if let Some(v) = one("since") {
        query.since = Some(
            parse_instant(&v)
                .ok_or_else(|| {
                    super::invoices::bad_param(
                        "since",
                        format!("`{v}` is neither a date (2026-11-26) nor an RFC 3339 time (2026-11-26T10:00:00Z)"),
                    )
                })?
                .0,
        );
    }
    if let Some(v) = one("include_exported") {
        query.include_exported = parse_bool("include_exported", &v)?;
    }
    let limit = match one("limit") {
        Some(v) => parse_limit(&v)?,
        None => i64::from(DEFAULT_LIMIT),
    };
    let cursor = one("cursor");
    let page = state
        .shared
        .db
        .export_approved(&caller.tenant_id, &query, cursor.as_deref(), limit)
        .await
        .map_err(|e| match e {
            StoreError::Invalid(why) => super::invoices::bad_param("cursor", why),
            other => other.into(),
        })?;
    let page = Page {
        items: page
            .items
            .into_iter()
            .map(ExportItem::from)
            .collect::<Vec<_>>(),
        next_cursor: page.next_cursor,
    };
    if !csv {
        return Ok(Paged::new(page, &uri).into_response());
    }
    let body = to_csv(&page.items);
    // The JSON answer's `Link` header, built by the one place that builds them.
    let link = Paged::new(
        Page::<()> {
            items: Vec::new(),
            next_cursor: page.next_cursor,
        },
        &uri,
    )
    .into_response()
    .headers()
    .get(header::LINK)
    .cloned();
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8; header=present"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"papyr-approved-invoices.csv\""),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Some(link) = link {
        h.insert(header::LINK, link);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(csv_cell("ACME GmbH"), "ACME GmbH");
        assert_eq!(csv_cell("Acme, Inc."), "\"Acme, Inc.\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=1+2"), "'=1+2");
        assert_eq!(csv_cell("+49 30 1234"), "'+49 30 1234");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-2+3"), "'-2+3");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        // A negative amount is a number, not a formula.
        assert_eq!(csv_cell("-12.50"), "-12.50");
        assert_eq!(csv_cell("-12"), "-12");
        assert_eq!(csv_cell("-"), "'-");
        assert_eq!(csv_cell("-.5"), "'-.5");
    }

    #[test]
    fn csv_has_a_header_and_crlf_rows() {
        let item = ExportItem {
            id: "d_1".into(),
            status: "approved".into(),
            vendor_id: None,
            vendor_name: Some("=cmd|' /C calc'!A0".into()),
            vendor_tax_id: None,
            invoice_number: Some("A,1".into()),
            issue_date: Some("2026-11-26".into()),
            due_date: None,
            currency: Some("EUR".into()),
            net_total: Some("100.00".into()),
            tax_total: Some("19.00".into()),
            gross_total: Some("119.00".into()),
            gross_minor: Some(11900),
            iban: None,
            bic: None,
            po_number: None,
            approvers: vec!["u-1".into(), "u-2".into()],
            approved_at: Some(1_764_158_400_250),
            exported_at: None,
            updated_at: 0,
            version: 3,
        };
        let csv = to_csv(&[item]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines.len(), 3, "{csv:?}");
        assert!(lines[0].starts_with("id,status,vendor_id,vendor_name,"));
        assert_eq!(lines[0].split(',').count(), CSV_HEADER.len());
        assert_eq!(
            lines[1],
            "d_1,approved,,'=cmd|' /C calc'!A0,,\"A,1\",2026-11-26,,EUR,100.00,19.00,119.00,,,,u-1 u-2,2025-11-26T12:00:00.250Z,,1970-01-01T00:00:00.000Z"
        );
        assert_eq!(lines[2], "");
    }

    #[test]
    fn format_comes_from_the_parameter_then_accept() {
        let mut h = HeaderMap::new();
        assert!(!wants_csv(None, &h).unwrap());
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json;q=0.5, text/csv"),
        );
        assert!(wants_csv(None, &h).unwrap());
        assert!(!wants_csv(Some("json"), &h).unwrap());
        let e = wants_csv(Some("xlsx"), &h).unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(e.to_string().contains("`format`"), "{e}");
    }

    #[test]
    fn bodies_may_be_empty_only_where_optional() {
        let json = {
            let mut h = HeaderMap::new();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            h
        };
        let none: Option<ApproveBody> = optional_json(&HeaderMap::new(), b"").unwrap();
        assert!(none.is_none());
        let some: Option<ApproveBody> = optional_json(&json, br#"{"comment":"ok"}"#).unwrap();
        assert_eq!(some.unwrap().comment.as_deref(), Some("ok"));
        let e = optional_json::<ApproveBody>(&HeaderMap::new(), b"comment=ok").unwrap_err();
        assert_eq!(e.status(), 415);
        let e = optional_json::<ApproveBody>(&json, br#"{"coment":"typo"}"#).unwrap_err();
        assert_eq!(e.status(), 422);
        let e = required_json::<RejectBody>(&json, b"", "reason", "{}").unwrap_err();
        assert_eq!(e.status(), 422);
        assert_eq!(e.problem().errors[0].field, "reason");
    }
}
