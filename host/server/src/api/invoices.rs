//! Invoices: `POST /v1/invoices` (multipart upload through the same intake as the
//! watch folder), `GET /v1/invoices` (filters, sorting, cursor pages),
//! `GET /v1/invoices/{id}` (everything about one invoice, with its `ETag`),
//! `PATCH /v1/invoices/{id}/fields/{field}` (a correction under `If-Match`, after
//! which the checks run again), `GET /v1/invoices/{id}/original` and
//! `GET /v1/invoices/{id}/report`. The approval workflow and the exports are in
//! [`super::approvals`]; the helpers both share (ETags, `If-Match`, the acting
//! user, times in query parameters) are here.
use super::ApiState;
use super::auth::{Caller, RequireRole};
use super::error::{ApiError, FieldError, Problem};
use super::extract::ApiPath;
use super::pagination::{MAX_LIMIT, Page, Paged};
use crate::serve::intake;
use crate::serve::stages::{finding_writes, status_of};
use anyhow::Context;
use axum::Json;
use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use papyr_auth::Role;
use papyr_domain::money::{Amount, format_minor};
use papyr_runtime::bindings::types::Invoice;
use papyr_runtime::convert::{OriginFile, sniff_media_type};
use papyr_store::api::fields::check_field;
use papyr_store::api::invoices::STATUSES;
use papyr_store::{
    ActingUser, Corrected, Intake, InvoiceDetail, InvoiceFilter, InvoiceSummary, Recheck, Sort,
    StoreError,
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// More files than this in one request are refused: a batch that size belongs in
/// several requests (or the watch folder).
pub const MAX_FILES: usize = 100;

/// What the pipeline reads: PDFs (with or without an embedded e-invoice), XML
/// e-invoices and scans.
const ACCEPTED: &[&str] = &[
    "application/pdf",
    "application/xml",
    "image/png",
    "image/jpeg",
    "image/tiff",
];

/// The multipart form of an upload.
#[derive(ToSchema)]
#[allow(dead_code)] // reason: describes the request for the OpenAPI document only
pub struct UploadForm {
    /// One or more documents: PDF, XML e-invoice (UBL, CII) or image (PNG, JPEG,
    /// TIFF). The type is read from the bytes, not the name.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
}

/// What became of each uploaded file, in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadResponse {
    pub files: Vec<UploadedFile>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadedFile {
    pub filename: String,
    /// The invoice: the new one, or the tenant's earlier copy for a duplicate.
    pub id: String,
    pub outcome: UploadOutcome,
    /// 201 for a new document, 200 for a duplicate.
    pub status: u16,
    /// Set for a duplicate: the invoice it is a copy of.
    pub duplicate_of: Option<String>,
    /// Why it counts as a duplicate (`same-file`, `same-message`).
    pub reason: Option<String>,
    /// Sniffed from the bytes.
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UploadOutcome {
    Created,
    Duplicate,
}

/// A part read from the request, checked before anything is stored.
struct Received {
    filename: String,
    bytes: axum::body::Bytes,
}

/// The name as the client's file system had it, without folders (browsers send
/// `C:\fakepath\…`) or control characters.
fn clean_filename(raw: Option<&str>, n: usize) -> String {
    let base = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(255).collect();
    let clean = clean.trim();
    if clean.is_empty() {
        format!("upload-{}", n + 1)
    } else {
        clean.to_string()
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::body_too_large()
    } else {
        ApiError::malformed_body(format!(
            "the multipart body cannot be read: {}",
            e.body_text()
        ))
    }
}

#[utoipa::path(
    post,
    path = "/v1/invoices",
    tag = "invoices",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "At least one file is a new document", body = UploadResponse,
         headers(("Location" = String, description = "The new invoice, when one file was sent"))),
        (status = 200, description = "Every file was a duplicate of an earlier document", body = UploadResponse),
        (status = 413, description = "The body is larger than `api.max_upload_bytes`", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not multipart, or a file that is not a PDF, XML e-invoice or image (named in `detail`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No file, an empty file or too many files", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upload(
    State(state): State<ApiState>,
    caller: Caller,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    caller.require(Role::Clerk)?;
    let mut multipart = multipart.map_err(|_| {
        ApiError::unsupported_media_type(
            "send the documents as `multipart/form-data` with one or more `file` parts",
        )
    })?;
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        if name != "file" {
            return Err(ApiError::validation(vec![FieldError::new(
                name,
                "unexpected part: send each document as a part named `file`",
            )]));
        }
        if files.len() == MAX_FILES {
            return Err(ApiError::validation(vec![FieldError::new(
                "file",
                format!("at most {MAX_FILES} files per request"),
            )]));
        }
        let filename = clean_filename(field.file_name(), files.len());
        let bytes = field.bytes().await.map_err(multipart_error)?;
        files.push(Received { filename, bytes });
    }
    if files.is_empty() {
        return Err(ApiError::validation(vec![FieldError::new(
            "file",
            "no file: send one or more parts named `file`",
        )]));
    }
    // Everything is checked before anything is stored: a refused request leaves
    // nothing behind.
    let mut empty = Vec::new();
    for (i, f) in files.iter().enumerate() {
        if f.bytes.is_empty() {
            empty.push(FieldError::new(
                format!("file[{i}]"),
                format!("{} is empty", f.filename),
            ));
            continue;
        }
        let media_type = sniff_media_type(&f.bytes);
        if !ACCEPTED.contains(&media_type) {
            return Err(ApiError::unsupported_media_type(format!(
                "{} is not a PDF, an XML e-invoice or an image (PNG, JPEG, TIFF): its content looks like {media_type}",
                f.filename
            )));
        }
    }
    if !empty.is_empty() {
        return Err(ApiError::validation(empty));
    }

    let shared = &state.shared;
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let stored = intake::store_bytes(shared, &f.bytes).await?;
        let (media_type, size, sha256) = (
            stored.media_type.to_string(),
            f.bytes.len() as u64,
            stored.sha256.clone(),
        );
        let origin = OriginFile {
            channel: Some("api".into()),
            ..OriginFile::default()
        };
        let doc = intake::new_document(
            stored,
            f.filename.clone(),
            origin,
            "api",
            Some(caller.subject.clone()),
        );
        let outcome =
            intake::record_document(shared, &caller.tenant_id, &caller.tenant_id, &doc).await?;
        let (id, outcome, status, duplicate_of, reason) = match outcome {
            Intake::Created { document_id } => {
                (document_id, UploadOutcome::Created, 201, None, None)
            }
            Intake::Duplicate {
                document_id,
                reason,
            } => (
                document_id.clone(),
                UploadOutcome::Duplicate,
                200,
                Some(document_id),
                Some(reason.to_string()),
            ),
        };
        out.push(UploadedFile {
            filename: f.filename,
            id,
            outcome,
            status,
            duplicate_of,
            reason,
            media_type,
            size,
            sha256,
        });
    }
    let any_new = out.iter().any(|f| f.outcome == UploadOutcome::Created);
    let location = match out.as_slice() {
        [one] if any_new => HeaderValue::from_str(&format!("/v1/invoices/{}", one.id)).ok(),
        _ => None,
    };
    let status = if any_new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut res = (status, Json(UploadResponse { files: out })).into_response();
    if let Some(l) = location {
        res.headers_mut().insert(header::LOCATION, l);
    }
    Ok(res)
}

/// Bytes of a stored document or report, typed for the OpenAPI document.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // reason: describes responses for the OpenAPI document only
pub struct BinaryBody(Vec<u8>);

/// Headers for a stored file: a browser must download it, never render or sniff
/// it (it came from a stranger).
fn file_response(bytes: Vec<u8>, media_type: &str, filename: &str) -> Response {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        form_urlencoded::byte_serialize(filename.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    );
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(media_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

pub(super) fn no_such_invoice(id: &str) -> ApiError {
    ApiError::not_found(format!("invoice {} not found", id.escape_debug()))
}

/// Longest id a document can have (they are `d_` and 32 hex digits).
const MAX_ID_LEN: usize = 128;

/// An id no document can have is not looked up: it is not found. (PostgreSQL
/// refuses NUL in text, which would otherwise make a 500 of a 404.)
pub(super) fn check_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > MAX_ID_LEN || id.chars().any(char::is_control) {
        return Err(no_such_invoice(id));
    }
    Ok(())
}

#[utoipa::path(
    get,
    path = "/v1/invoices/{id}/original",
    tag = "invoices",
    params(("id" = String, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The document as received; `Content-Type` is its sniffed media type",
         content(
            (BinaryBody = "application/pdf"),
            (BinaryBody = "application/xml"),
            (BinaryBody = "image/png"),
            (BinaryBody = "image/jpeg"),
            (BinaryBody = "image/tiff"),
         )),
        (status = 404, description = "No such invoice in the caller's tenant", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn original(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    caller.require_member()?;
    check_id(&id)?;
    let doc = state
        .shared
        .db
        .document(&caller.tenant_id, &id)
        .await?
        .ok_or_else(|| no_such_invoice(&id))?;
    let bytes = state.shared.blob.get(&doc.blob_key).await?;
    Ok(file_response(bytes, &doc.media_type, &doc.filename))
}

#[utoipa::path(
    get,
    path = "/v1/invoices/{id}/report",
    tag = "invoices",
    params(("id" = String, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The approval report", content((BinaryBody = "application/pdf"))),
        (status = 404, description = "No such invoice in the caller's tenant, or its report is not rendered (yet)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn report(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    caller.require_member()?;
    check_id(&id)?;
    let db = &state.shared.db;
    let doc = db
        .document(&caller.tenant_id, &id)
        .await?
        .ok_or_else(|| no_such_invoice(&id))?;
    let not_yet = || {
        ApiError::not_found(format!(
            "the approval report of invoice {id} is not rendered (yet); its status is `{}`",
            doc.status
        ))
    };
    let result = db
        .stage_result(&caller.tenant_id, &id, "report")
        .await?
        .ok_or_else(not_yet)?;
    let key = serde_json::from_str::<serde_json::Value>(&result)
        .ok()
        .and_then(|v| v.get("report").and_then(|k| k.as_str()).map(str::to_string))
        .ok_or_else(|| anyhow::anyhow!("report stage result of {id} names no report"))?;
    let bytes = match state.shared.blob.get(&key).await {
        Ok(b) => b,
        Err(e) if e.is_not_found() => return Err(not_yet()),
        Err(e) => return Err(e.into()),
    };
    let stem = doc
        .filename
        .rsplit_once('.')
        .map_or(doc.filename.as_str(), |(s, _)| s);
    Ok(file_response(
        bytes,
        "application/pdf",
        &format!("{stem}.report.pdf"),
    ))
}

// ---- shared by the invoice and approval endpoints ----------------------------------

/// `"<version>"`: an invoice's version as a strong entity tag.
pub(super) fn etag(version: i64) -> HeaderValue {
    // Digits and quotes only: always a valid header value.
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// 428: a change must name the version it was made to.
pub(super) fn version_required() -> Response {
    ApiError::precondition_required(
        "send `If-Match` with the invoice's ETag (from `GET /v1/invoices/{id}`), so that a change made meanwhile is not overwritten",
    )
    .into_response()
}

/// The version an `If-Match` header names: `"7"` (as the `ETag` gave it) or `7`.
/// `Ok(None)`: no header. `*` and lists are refused: they would not say which
/// version the caller saw.
pub(super) fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(raw) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let bad = |why: &str| {
        ApiError::bad_request(format!(
            "`If-Match` must be the invoice's ETag, such as \"3\": {why}"
        ))
        .with_errors(vec![FieldError::new("If-Match", why)])
    };
    let v = raw.to_str().map_err(|_| bad("not text"))?.trim();
    if v == "*" {
        return Err(bad("`*` names no version"));
    }
    if v.starts_with("W/") {
        return Err(bad("a weak ETag never matches"));
    }
    let inner = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v);
    inner
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .map(Some)
        .ok_or_else(|| bad("not one ETag of an invoice"))
}

/// A store error of a write under `If-Match`: a stale version is 412 with the
/// current `ETag`, so the client can read the invoice again and retry.
pub(super) fn write_error(e: StoreError, expected: i64) -> Response {
    match e {
        StoreError::Conflict { current_version } => {
            let mut res = ApiError::precondition_failed(format!(
                "the invoice changed meanwhile: it is at version {current_version} now (ETag \"{current_version}\"), not {expected}; read it again and decide again"
            ))
            .into_response();
            res.headers_mut()
                .insert(header::ETAG, etag(current_version));
            res
        }
        other => ApiError::from(other).into_response(),
    }
}

/// Who acts on an invoice: the caller's subject (the tenant's user behind a token,
/// an API key's id, `local`), the same id the upload recorded as `uploaded_by`, so
/// segregation of duties compares like with like.
pub(super) fn acting(caller: &Caller) -> ActingUser<'_> {
    ActingUser {
        user_id: &caller.subject,
        is_admin: caller.has(Role::Admin),
    }
}

/// The invoice as [`get`] answers it, with its `ETag`: what every change answers.
pub(super) async fn invoice_response(
    state: &ApiState,
    tenant_id: &str,
    id: &str,
) -> Result<Response, ApiError> {
    let db = &state.shared.db;
    let detail = db
        .invoice_detail(tenant_id, id)
        .await?
        .ok_or_else(|| no_such_invoice(id))?;
    let report = db.stage_result(tenant_id, id, "report").await?.is_some();
    let version = detail.version;
    let mut view = InvoiceView::new(detail, report);
    view.components = db.document_components(tenant_id, id).await?;
    let mut res = Json(view).into_response();
    res.headers_mut().insert(header::ETAG, etag(version));
    Ok(res)
}

/// A problem for one query parameter.
pub(super) fn bad_param(name: &str, message: impl Into<String>) -> ApiError {
    let message = message.into();
    ApiError::bad_request(format!("query parameter `{name}`: {message}"))
        .with_errors(vec![FieldError::new(name, message)])
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DD` as (year, month, day), when it is a real calendar date (the same
/// reading the store gives corrected dates).
pub(super) fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    papyr_store::api::fields::parse_date(s)
        .map(|(y, m, d)| (i64::from(y), u32::from(m), u32::from(d)))
}

const DAY_MS: i64 = 86_400_000;

/// A point in time given in a query: an RFC 3339 time
/// (`2026-11-26T10:00:00Z`, `…T10:00:00.250+01:00`) or a date (`2026-11-26`, its
/// start in UTC). Milliseconds since the epoch, and whether it was a date.
///
/// A `+` in a query string decodes as a space, so a space where the offset's sign
/// belongs is read as `+`: `…T10:00:00+01:00` pasted unencoded still means what it says.
pub(super) fn parse_instant(s: &str) -> Option<(i64, bool)> {
    let s = s.trim();
    if let Some((y, m, d)) = parse_date(s) {
        return Some((days_from_civil(y, m, d) * DAY_MS, true));
    }
    let (date, rest) = (s.get(..10)?, s.get(10..)?);
    let (y, m, d) = parse_date(date)?;
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let b = rest.as_bytes();
    if b.len() < 9 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let two = |i: usize| -> Option<i64> {
        let p = rest.get(i..i + 2)?;
        p.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| p.parse().ok())?
    };
    let (hh, mm, ss) = (two(0)?, two(3)?, two(6)?);
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let mut tail = &rest[8..];
    let mut ms = 0i64;
    if let Some(frac) = tail.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let mut scale = 100;
        for c in frac[..digits.min(3)].bytes() {
            ms += i64::from(c - b'0') * scale;
            scale /= 10;
        }
        tail = &frac[digits..];
    }
    let offset_min = match tail {
        "Z" | "z" => 0,
        _ => {
            let (sign, hm) = match tail.as_bytes().first()? {
                b'+' | b' ' => (1, &tail[1..]),
                b'-' => (-1, &tail[1..]),
                _ => return None,
            };
            let hb = hm.as_bytes();
            if hb.len() != 5 || hb[2] != b':' {
                return None;
            }
            let (oh, om) = (
                hm[..2]
                    .parse::<i64>()
                    .ok()
                    .filter(|_| hb[..2].iter().all(u8::is_ascii_digit))?,
                hm[3..]
                    .parse::<i64>()
                    .ok()
                    .filter(|_| hb[3..].iter().all(u8::is_ascii_digit))?,
            );
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 60 + om)
        }
    };
    // A leap second is folded into the next second: close enough for a filter.
    let secs = days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss - offset_min * 60;
    Some((secs * 1000 + ms, false))
}

/// Milliseconds since the epoch as an RFC 3339 UTC time with milliseconds.
pub(super) fn format_instant(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(DAY_MS), ms.rem_euclid(DAY_MS));
    let (y, m, d) = civil_from_days(days);
    let (h, rem) = (rem / 3_600_000, rem % 3_600_000);
    let (mi, rem) = (rem / 60_000, rem % 60_000);
    format!(
        "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{:02}.{:03}Z",
        rem / 1000,
        rem % 1000
    )
}

/// A decimal amount in a query, in `currency`'s minor units.
pub(super) fn parse_amount(name: &str, v: &str, currency: &str) -> Result<i64, ApiError> {
    Amount::parse(v, currency).map(|a| a.minor).map_err(|_| {
        bad_param(
            name,
            format!(
                "`{v}` is not a decimal amount such as 100.00 (at most {} decimals in {currency})",
                papyr_domain::money::currency_exponent(currency)
            ),
        )
    })
}

pub(super) fn parse_bool(name: &str, v: &str) -> Result<bool, ApiError> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad_param(name, format!("`{v}` is neither true nor false"))),
    }
}

pub(super) fn parse_limit(v: &str) -> Result<i64, ApiError> {
    v.parse::<u32>()
        .map(|n| i64::from(n.clamp(1, MAX_LIMIT)))
        .map_err(|_| {
            bad_param(
                "limit",
                format!("`{v}` is not a number from 1 to {MAX_LIMIT}"),
            )
        })
}

// ---- listing -----------------------------------------------------------------------

/// The query parameters of `GET /v1/invoices` (read by [`ListRequest::parse`],
/// which takes `status` repeated as well as comma-separated).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // reason: describes the parameters for the OpenAPI document only
pub struct ListParams {
    /// Any of these statuses: repeat the parameter or separate them with commas.
    #[param(explode = true, inline, value_type = Option<Vec<String>>, example = json!(["pending_approval", "on_hold"]))]
    status: Option<Vec<String>>,
    /// Only this vendor (an id of the vendor master).
    vendor_id: Option<String>,
    /// Gross total at least this decimal amount (`100.00`), in `currency` when given,
    /// else with two decimals.
    amount_min: Option<String>,
    /// Gross total at most this decimal amount.
    amount_max: Option<String>,
    /// ISO 4217 code of the gross total, e.g. `EUR`.
    currency: Option<String>,
    /// Received at or after: an RFC 3339 time or a date (its start, UTC).
    received_from: Option<String>,
    /// Received before this RFC 3339 time, or on or before this date (UTC).
    received_to: Option<String>,
    /// Issued on or after this date (`YYYY-MM-DD`).
    issue_from: Option<String>,
    /// Issued on or before this date.
    issue_to: Option<String>,
    /// Only invoices with (`true`) or without (`false`) findings.
    has_findings: Option<bool>,
    /// Text in the vendor name, invoice number or filename (case-insensitive).
    q: Option<String>,
    /// `received_at` (default `-received_at`), `issue_date`, `gross`, `vendor_name` or
    /// `status`; a leading `-` sorts descending. Invoices without the value come last.
    sort: Option<String>,
    /// Items per page, 1 to 200 (default 50); larger values are clamped.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page (same filters and sort).
    cursor: Option<String>,
}

const LIST_PARAMS: &[&str] = &[
    "status",
    "vendor_id",
    "amount_min",
    "amount_max",
    "currency",
    "received_from",
    "received_to",
    "issue_from",
    "issue_to",
    "has_findings",
    "q",
    "sort",
    "limit",
    "cursor",
];

/// Longest `q` the store searches for.
const MAX_QUERY_CHARS: usize = 200;

/// A listing request, checked.
#[derive(Debug)]
struct ListRequest {
    filter: InvoiceFilter,
    sort: Sort,
    limit: i64,
    cursor: Option<String>,
}

/// Query parameters by name, each at most once (`repeatable` ones collected), empty
/// values dropped (a form's blank field means "no filter").
pub(super) fn query_pairs(
    query: &str,
    known: &[&str],
    repeatable: &[&str],
) -> Result<std::collections::BTreeMap<String, Vec<String>>, ApiError> {
    let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if !known.contains(&k.as_ref()) {
            return Err(bad_param(
                &k,
                format!("unknown parameter; this listing takes {}", known.join(", ")),
            ));
        }
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        if v.chars().any(char::is_control) {
            return Err(bad_param(&k, "control characters are not allowed"));
        }
        let values = out.entry(k.to_string()).or_default();
        if !values.is_empty() && !repeatable.contains(&k.as_ref()) {
            return Err(bad_param(&k, "given more than once"));
        }
        values.push(v.to_string());
    }
    Ok(out)
}

impl ListRequest {
    fn parse(query: &str) -> Result<ListRequest, ApiError> {
        let mut p = query_pairs(query, LIST_PARAMS, &["status"])?;
        let statuses: Vec<String> = p
            .remove("status")
            .unwrap_or_default()
            .iter()
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let mut one = |k: &str| p.remove(k).and_then(|v| v.into_iter().next());
        let mut f = InvoiceFilter::default();
        for s in statuses {
            if !STATUSES.contains(&s.as_str()) {
                return Err(bad_param(
                    "status",
                    format!("unknown status `{s}`; statuses: {}", STATUSES.join(", ")),
                ));
            }
            if !f.statuses.contains(&s) {
                f.statuses.push(s);
            }
        }
        f.vendor_id = one("vendor_id");
        if let Some(c) = one("currency") {
            let c = c.to_ascii_uppercase();
            if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(bad_param(
                    "currency",
                    format!("`{c}` is not an ISO 4217 code such as EUR"),
                ));
            }
            f.currency = Some(c);
        }
        // Without a currency, amounts are read with two decimals, as most currencies have.
        let cur = f.currency.clone().unwrap_or_else(|| "EUR".into());
        if let Some(v) = one("amount_min") {
            f.min_gross_minor = Some(parse_amount("amount_min", &v, &cur)?);
        }
        if let Some(v) = one("amount_max") {
            f.max_gross_minor = Some(parse_amount("amount_max", &v, &cur)?);
        }
        if let (Some(lo), Some(hi)) = (f.min_gross_minor, f.max_gross_minor)
            && lo > hi
        {
            return Err(bad_param("amount_min", "is above amount_max"));
        }
        let instant = |name: &str, v: &str| {
            parse_instant(v).ok_or_else(|| {
                bad_param(
                    name,
                    format!("`{v}` is neither a date (2026-11-26) nor an RFC 3339 time (2026-11-26T10:00:00Z)"),
                )
            })
        };
        if let Some(v) = one("received_from") {
            f.received_from = Some(instant("received_from", &v)?.0);
        }
        if let Some(v) = one("received_to") {
            let (at, is_date) = instant("received_to", &v)?;
            // A date includes its whole day.
            f.received_to = Some(if is_date { at + DAY_MS } else { at });
        }
        for name in ["issue_from", "issue_to"] {
            if let Some(v) = one(name) {
                if parse_date(&v).is_none() {
                    return Err(bad_param(
                        name,
                        format!("`{v}` is not a date as YYYY-MM-DD"),
                    ));
                }
                if name == "issue_from" {
                    f.issue_from = Some(v);
                } else {
                    f.issue_to = Some(v);
                }
            }
        }
        if let Some(v) = one("has_findings") {
            f.has_findings = Some(parse_bool("has_findings", &v)?);
        }
        if let Some(q) = one("q") {
            if q.chars().count() > MAX_QUERY_CHARS {
                return Err(bad_param(
                    "q",
                    format!("longer than {MAX_QUERY_CHARS} characters"),
                ));
            }
            f.q = Some(q);
        }
        let sort = match one("sort") {
            Some(s) => Sort::parse(&s).map_err(|e| match e {
                StoreError::Invalid(why) => bad_param("sort", why),
                other => ApiError::from(other),
            })?,
            None => Sort::default(),
        };
        let limit = match one("limit") {
            Some(v) => parse_limit(&v)?,
            None => i64::from(super::pagination::DEFAULT_LIMIT),
        };
        Ok(ListRequest {
            filter: f,
            sort,
            limit,
            cursor: one("cursor"),
        })
    }
}

/// One invoice in a listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoiceListItem {
    pub id: String,
    pub filename: String,
    #[schema(example = "pending_approval")]
    pub status: String,
    /// Classified kind: `invoice`, `credit-note`, `receipt`, …
    pub kind: Option<String>,
    /// `auto-approve`, `needs-approval`, `hold` or `not-an-invoice`.
    pub decision: Option<String>,
    /// 0 to 100.
    pub risk_score: Option<i64>,
    pub vendor_id: Option<String>,
    pub vendor_name: Option<String>,
    pub invoice_number: Option<String>,
    /// `YYYY-MM-DD`.
    pub issue_date: Option<String>,
    /// ISO 4217 code.
    pub currency: Option<String>,
    /// Decimal in `currency`, e.g. `1234.56`.
    pub gross_total: Option<String>,
    /// The same in the currency's minor units (cents).
    pub gross_minor: Option<i64>,
    pub finding_count: i64,
    /// Milliseconds since the Unix epoch.
    pub received_at: i64,
    pub updated_at: i64,
    /// What `GET /v1/invoices/{id}` gives as its `ETag`.
    pub version: i64,
}

fn gross_text(minor: Option<i64>, currency: Option<&str>) -> Option<String> {
    Some(format_minor(minor?, currency?))
}

impl From<InvoiceSummary> for InvoiceListItem {
    fn from(s: InvoiceSummary) -> InvoiceListItem {
        InvoiceListItem {
            gross_total: gross_text(s.gross_minor, s.currency.as_deref()),
            id: s.id,
            filename: s.filename,
            status: s.status,
            kind: s.kind,
            decision: s.decision,
            risk_score: s.risk_score,
            vendor_id: s.vendor_id,
            vendor_name: s.vendor_name,
            invoice_number: s.invoice_number,
            issue_date: s.issue_date,
            currency: s.currency,
            gross_minor: s.gross_minor,
            finding_count: s.finding_count,
            received_at: s.received_at,
            updated_at: s.updated_at,
            version: s.version,
        }
    }
}

#[utoipa::path(
    get,
    path = "/v1/invoices",
    tag = "invoices",
    params(ListParams),
    responses(
        (status = 200, description = "One page of the tenant's invoices (every document the tenant received)",
         body = Page<InvoiceListItem>,
         headers(("Link" = String, description = "`<…&cursor=…>; rel=\"next\"` while there is a next page"))),
    )
)]
pub async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    uri: Uri,
) -> Result<Paged<InvoiceListItem>, ApiError> {
    caller.require_member()?;
    let req = ListRequest::parse(uri.query().unwrap_or_default())?;
    let page = state
        .shared
        .db
        .list_invoices(
            &caller.tenant_id,
            &req.filter,
            &req.sort,
            req.cursor.as_deref(),
            req.limit,
        )
        .await
        .map_err(|e| match e {
            // Every other parameter was checked above: what is left is the cursor.
            StoreError::Invalid(why) => bad_param("cursor", why),
            other => other.into(),
        })?;
    let page = Page {
        items: page.items.into_iter().map(InvoiceListItem::from).collect(),
        next_cursor: page.next_cursor,
    };
    Ok(Paged::new(page, &uri))
}

// ---- one invoice -------------------------------------------------------------------

/// One field of the invoice with where its value came from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldView {
    #[schema(example = "gross_total")]
    pub field: String,
    /// The canonical text (dates `YYYY-MM-DD`, amounts as decimals), or null when not found.
    #[schema(value_type = Option<String>)]
    pub value: Value,
    /// 0.0 to 1.0; 1.0 once a person corrected it.
    pub confidence: Option<f64>,
    /// `e-invoice`, `text-layer`, `template`, `derived` or `manual`.
    pub source: Option<String>,
    /// Where it was read: 1-based page and line, and the text there.
    pub page: Option<u32>,
    pub line: Option<u32>,
    pub text: Option<String>,
    /// Who corrected it last.
    pub corrected_by: Option<String>,
}

/// A finding of a fraud or anomaly rule (docs/fraud-rules.md).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingView {
    #[schema(example = "bank.iban-changed")]
    pub rule: String,
    /// `info`, `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// 0 to 100.
    pub score: i64,
    pub message: String,
    /// Evidence items (label, value, page and line when known).
    #[schema(value_type = Vec<Object>)]
    pub evidence: Value,
    /// Digest of the rule component, or `host`.
    pub plugin: String,
}

/// The suggested decision and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionView {
    /// `auto-approve`, `needs-approval`, `hold` or `not-an-invoice`.
    pub outcome: String,
    pub risk_score: Option<i64>,
    pub reasons: Vec<String>,
}

/// Approvals: how many are needed, who approved in the current round, and every
/// workflow action so far.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApprovalView {
    /// Distinct approvers needed (from the tenant's amount bands); null until the
    /// invoice reached the approvers.
    pub needed: Option<i64>,
    /// Distinct approvers of the current round (a correction or an information
    /// request starts a new round).
    pub approved_by: Vec<String>,
    /// Approvals still missing.
    pub remaining: Option<i64>,
    pub actions: Vec<ActionView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionView {
    pub actor: String,
    /// `approve`, `reject`, `request-info`, `provide-info`, `correct`, `recheck` or `export`.
    pub action: String,
    pub comment: Option<String>,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorrectionView {
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub actor: String,
    pub comment: Option<String>,
    pub at: i64,
}

/// An entry of the invoice's audit trail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub at: i64,
    /// `system`, `plugin:<digest>` or `user:<id>`.
    pub actor: String,
    pub action: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoiceLinks {
    #[serde(rename = "self")]
    pub self_: String,
    pub original: String,
    /// Present once the approval report is rendered.
    pub report: Option<String>,
}

/// Everything about one invoice.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InvoiceView {
    pub id: String,
    pub filename: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    /// `api`, `watch-folder`, `email`, …
    pub channel: String,
    /// The email context when it came by mail.
    #[schema(value_type = Object)]
    pub origin: Value,
    pub status: String,
    pub kind: Option<String>,
    /// Why processing failed (status `failed`).
    pub error: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub received_at: i64,
    pub updated_at: i64,
    /// The `ETag` without quotes.
    pub version: i64,
    /// Who uploaded it through the API (their subject).
    pub uploaded_by: Option<String>,
    pub vendor_id: Option<String>,
    pub vendor_name: Option<String>,
    pub vendor_tax_id: Option<String>,
    pub invoice_number: Option<String>,
    pub issue_date: Option<String>,
    pub currency: Option<String>,
    /// Decimal in `currency`.
    pub gross_total: Option<String>,
    pub gross_minor: Option<i64>,
    pub iban: Option<String>,
    /// Every correctable field with its value, confidence and evidence location.
    pub fields: Vec<FieldView>,
    #[schema(value_type = Vec<Object>)]
    pub line_items: Vec<Value>,
    pub findings: Vec<FindingView>,
    pub decision: Option<DecisionView>,
    pub approval: ApprovalView,
    pub corrections: Vec<CorrectionView>,
    /// The audit trail, oldest first.
    pub history: Vec<HistoryEntry>,
    pub exported_at: Option<i64>,
    /// The components that processed it: `parse`, `classify`, `extract`,
    /// `fraud:<plugin>` (every fraud-rule component of its check) and `report`, each
    /// with the sha256 of the component bytes.
    pub components: std::collections::BTreeMap<String, String>,
    pub links: InvoiceLinks,
}

impl InvoiceView {
    fn new(d: InvoiceDetail, report: bool) -> InvoiceView {
        // The decision's reasons are recorded with it in the trail; the latest counts.
        let reasons = d
            .audit
            .iter()
            .rev()
            .find(|e| e.action.starts_with("decision:"))
            .map(|e| {
                e.detail
                    .split("; ")
                    .filter(|r| !r.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let inv = d.invoice.as_ref();
        let text = |f: fn(&papyr_store::api::invoices::InvoiceData) -> &Option<String>| {
            inv.and_then(|i| f(i).clone())
        };
        let gross_minor = inv.and_then(|i| i.gross_minor);
        let currency = text(|i| &i.currency);
        let line_items = inv
            .and_then(|i| i.fields.get("line_items"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let remaining = d
            .approvals_needed
            .map(|n| (n - d.approved_by.len() as i64).max(0));
        let base = format!("/v1/invoices/{}", d.id);
        InvoiceView {
            vendor_id: text(|i| &i.vendor_id),
            vendor_name: text(|i| &i.vendor_name),
            vendor_tax_id: text(|i| &i.vendor_tax_id),
            invoice_number: text(|i| &i.invoice_number),
            issue_date: text(|i| &i.issue_date),
            gross_total: gross_text(gross_minor, currency.as_deref()),
            currency,
            gross_minor,
            iban: text(|i| &i.iban),
            fields: inv
                .map(|i| {
                    i.field_details
                        .iter()
                        .map(|f| FieldView {
                            field: f.field.clone(),
                            value: f.value.clone(),
                            confidence: f.confidence,
                            source: f.source.clone(),
                            page: f.page,
                            line: f.line,
                            text: f.text.clone(),
                            corrected_by: f.corrected_by.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            line_items,
            findings: d
                .findings
                .into_iter()
                .map(|f| FindingView {
                    rule: f.rule,
                    severity: f.severity,
                    score: f.score,
                    message: f.message,
                    evidence: f.evidence,
                    plugin: f.plugin,
                })
                .collect(),
            decision: d.decision.map(|outcome| DecisionView {
                outcome,
                risk_score: d.risk_score,
                reasons,
            }),
            approval: ApprovalView {
                needed: d.approvals_needed,
                approved_by: d.approved_by,
                remaining,
                actions: d
                    .approvals
                    .into_iter()
                    .map(|a| ActionView {
                        actor: a.actor,
                        action: a.action,
                        comment: a.comment,
                        at: a.at,
                    })
                    .collect(),
            },
            corrections: d
                .corrections
                .into_iter()
                .map(|c| CorrectionView {
                    field: c.field,
                    old_value: c.old_value,
                    new_value: c.new_value,
                    actor: c.actor,
                    comment: c.comment,
                    at: c.at,
                })
                .collect(),
            history: d
                .audit
                .into_iter()
                .map(|e| HistoryEntry {
                    at: e.at,
                    actor: e.actor,
                    action: e.action,
                    detail: e.detail,
                })
                .collect(),
            links: InvoiceLinks {
                original: format!("{base}/original"),
                report: report.then(|| format!("{base}/report")),
                self_: base,
            },
            id: d.id,
            filename: d.filename,
            media_type: d.media_type,
            size: d.size,
            sha256: d.sha256,
            channel: d.channel,
            origin: d.origin,
            status: d.status,
            kind: d.kind,
            error: d.error,
            received_at: d.received_at,
            updated_at: d.updated_at,
            version: d.version,
            uploaded_by: d.uploaded_by,
            exported_at: d.exported_at,
            components: Default::default(),
        }
    }
}

#[utoipa::path(
    get,
    path = "/v1/invoices/{id}",
    tag = "invoices",
    params(("id" = String, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The invoice: fields with evidence, findings, decision, approvals, corrections and history",
         body = InvoiceView,
         headers(("ETag" = String, description = "The invoice's version, for `If-Match` on changes"))),
        (status = 404, description = "No such invoice in the caller's tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    caller.require_member()?;
    check_id(&id)?;
    invoice_response(&state, &caller.tenant_id, &id).await
}

// ---- corrections -------------------------------------------------------------------

/// A field's new value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldCorrection {
    /// The new value as text (`2026-11-26`, `1234.56`, an IBAN …), or null to clear
    /// the field. Required: a body without it is refused rather than read as "clear".
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>, required = true)]
    pub value: Option<String>,
    /// Why; recorded with the correction.
    pub comment: Option<String>,
}

/// `null` or a string, but present.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<String>::deserialize(d)
}

/// Longest comment or reason the store keeps.
pub(super) const MAX_COMMENT_CHARS: usize = 2000;

/// A comment or reason: trimmed; blank is none; `required` refuses none.
pub(super) fn comment_arg(
    field: &str,
    v: Option<&str>,
    required: bool,
) -> Result<Option<String>, ApiError> {
    let v = v.map(str::trim).filter(|v| !v.is_empty());
    match v {
        None if required => Err(ApiError::validation(vec![FieldError::new(
            field,
            format!("a {field} is required"),
        )])),
        Some(v) if v.chars().count() > MAX_COMMENT_CHARS => {
            Err(ApiError::validation(vec![FieldError::new(
                field,
                format!("at most {MAX_COMMENT_CHARS} characters"),
            )]))
        }
        Some(v)
            if v.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) =>
        {
            Err(ApiError::validation(vec![FieldError::new(
                field,
                "control characters other than line breaks and tabs are not allowed",
            )]))
        }
        v => Ok(v.map(str::to_string)),
    }
}

/// How often the checks are run again when the invoice changes between the
/// correction and storing their result.
const RECHECK_ATTEMPTS: usize = 3;

/// Run the fraud rules and the decision again on the corrected invoice and store
/// the outcome. If the invoice changed meanwhile (another correction, an approval),
/// the checks run again on what it is now; once it has left the correctable
/// statuses (approved, rejected) there is nothing left to decide.
async fn recheck_after(
    state: &ApiState,
    caller: &Caller,
    actor: &ActingUser<'_>,
    corrected: &Corrected,
) -> Result<(), ApiError> {
    let (tenant, id) = (caller.tenant_id.as_str(), corrected.id.as_str());
    let shared = &state.shared;
    let doc = shared
        .db
        .document(tenant, id)
        .await?
        .ok_or_else(|| no_such_invoice(id))?;
    let (mut invoice_json, mut version) = (corrected.invoice_json.clone(), corrected.version);
    for _ in 0..RECHECK_ATTEMPTS {
        let inv: Invoice = serde_json::from_str(&invoice_json)
            .with_context(|| format!("the corrected invoice record of {id} does not read back"))?;
        let checked = shared
            .recheck(&doc, inv, None, None)
            .await
            .map_err(|e| ApiError::internal(e.into_error()))?;
        let decision = checked.decision.as_str();
        let result = Recheck {
            findings: finding_writes(&checked.findings),
            status: status_of(decision).to_string(),
            decision: decision.to_string(),
            risk_score: i64::from(checked.risk_score.min(100)),
            reasons: checked.reasons.clone(),
        };
        match shared
            .db
            .replace_check_result(tenant, id, &result, actor, Some(version))
            .await
        {
            Ok(_) => return Ok(()),
            Err(StoreError::Conflict { .. }) => {
                let now = shared
                    .db
                    .invoice_detail(tenant, id)
                    .await?
                    .ok_or_else(|| no_such_invoice(id))?;
                let Some(data) = now.invoice else {
                    return Ok(());
                };
                invoice_json = data.invoice.to_string();
                version = now.version;
            }
            Err(StoreError::State { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::conflict(format!(
        "the correction is saved, but invoice {id} kept changing while its checks ran; correct a field again to run them"
    )))
}

#[utoipa::path(
    patch,
    path = "/v1/invoices/{id}/fields/{field}",
    tag = "invoices",
    params(
        ("id" = String, Path, description = "Invoice id"),
        ("field" = String, Path, description = "A correctable field: vendor_name, vendor_tax_id, customer_name, invoice_number, issue_date, due_date, currency, net_total, tax_total, gross_total, amount_due, iban, bic, po_number"),
        ("If-Match" = String, Header, description = "The invoice's `ETag`"),
    ),
    request_body = FieldCorrection,
    responses(
        (status = 200, description = "Corrected and checked again: the updated invoice", body = InvoiceView,
         headers(("ETag" = String, description = "The new version"))),
        (status = 404, description = "No such invoice in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The invoice's status does not allow corrections (approved, rejected, exported, not an invoice…)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The invoice changed since that version; `ETag` carries the current one", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The value is not valid for the field (named in `errors`)", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn correct(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath((id, field)): ApiPath<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.require(Role::Clerk)?;
    check_id(&id)?;
    let Some(expected) = if_match(&headers)? else {
        return Ok(version_required());
    };
    let body: FieldCorrection =
        super::approvals::required_json(&headers, &body, "value", r#"{"value": "…"}"#)?;
    check_field(&field).map_err(|e| match e {
        StoreError::Invalid(why) => ApiError::bad_request(why),
        other => other.into(),
    })?;
    let comment = comment_arg("comment", body.comment.as_deref(), false)?;
    let actor = acting(&caller);
    let corrected = match state
        .shared
        .db
        .correct_field(
            &caller.tenant_id,
            &id,
            &field,
            body.value.as_deref(),
            &actor,
            comment.as_deref(),
            Some(expected),
        )
        .await
    {
        Ok(c) => c,
        Err(StoreError::Invalid(why)) => {
            return Err(ApiError::validation(vec![FieldError::new("value", why)]));
        }
        Err(e) => return Ok(write_error(e, expected)),
    };
    if corrected.changed {
        recheck_after(&state, &caller, &actor, &corrected).await?;
    }
    invoice_response(&state, &caller.tenant_id, &id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_lose_folders_and_control_characters() {
        assert_eq!(clean_filename(Some("C:\\fakepath\\inv.pdf"), 0), "inv.pdf");
        assert_eq!(clean_filename(Some("../../etc/passwd"), 0), "passwd");
        assert_eq!(clean_filename(Some("a\u{0}b\nc.pdf"), 0), "abc.pdf");
        assert_eq!(clean_filename(None, 2), "upload-3");
        assert_eq!(clean_filename(Some("  /"), 0), "upload-1");
    }

    #[test]
    fn downloads_are_attachments_that_cannot_be_sniffed() {
        let res = file_response(
            b"%PDF-1.7".to_vec(),
            "application/pdf",
            "Rechnung \"Mai\" ä.pdf",
        );
        let h = res.headers();
        assert_eq!(h[header::CONTENT_TYPE], "application/pdf");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        let d = h[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert_eq!(
            d,
            "attachment; filename=\"Rechnung _Mai_ _.pdf\"; filename*=UTF-8''Rechnung%20%22Mai%22%20%C3%A4.pdf"
        );
    }

    fn header(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::IF_MATCH, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn if_match_names_one_version() {
        assert_eq!(if_match(&HeaderMap::new()).unwrap(), None);
        assert_eq!(if_match(&header("\"7\"")).unwrap(), Some(7));
        assert_eq!(if_match(&header(" 7 ")).unwrap(), Some(7));
        for bad in ["*", "W/\"7\"", "\"7\", \"8\"", "\"x\"", "\"-1\"", ""] {
            let e = if_match(&header(bad)).unwrap_err();
            assert_eq!(e.status(), 400, "{bad}");
            assert_eq!(e.problem().errors[0].field, "If-Match");
        }
        let res = version_required();
        assert_eq!(res.status(), 428);
        let p = res.extensions().get::<Problem>().unwrap();
        assert_eq!(p.problem_type, "urn:papyr:problem:precondition-required");
    }

    #[test]
    fn stale_versions_answer_412_with_the_current_etag() {
        let res = write_error(StoreError::Conflict { current_version: 9 }, 7);
        assert_eq!(res.status(), 412);
        assert_eq!(res.headers()[header::ETAG], "\"9\"");
        let res = write_error(StoreError::Forbidden("own upload".into()), 7);
        assert_eq!(res.status(), 403);
    }

    #[test]
    fn instants_read_dates_and_rfc3339() {
        let day = |s| parse_instant(s).unwrap();
        assert_eq!(day("1970-01-01"), (0, true));
        assert_eq!(day("2026-11-26").0, 1_795_651_200_000);
        assert_eq!(day("2026-11-26T00:00:00Z"), (1_795_651_200_000, false));
        assert_eq!(day("2026-11-26T01:30:00.250+01:30").0, 1_795_651_200_250);
        assert_eq!(day("2026-11-26t00:00:00.9999z").0, 1_795_651_200_999);
        // `+` decoded from a query string as a space.
        assert_eq!(day("2026-11-26T01:00:00 01:00").0, 1_795_651_200_000);
        assert_eq!(day("2026-11-25T23:00:00-01:00").0, 1_795_651_200_000);
        for bad in [
            "2026-02-30",
            "2026-11-26T24:00:00Z",
            "2026-11-26T10:00Z",
            "2026-11-26T10:00:00",
            "26.11.2026",
            "2026-11-26T10:00:00.Z",
            "2026-11-26T10:00:00+1:00",
        ] {
            assert!(parse_instant(bad).is_none(), "{bad}");
        }
        assert_eq!(
            format_instant(1_795_651_200_250),
            "2026-11-26T00:00:00.250Z"
        );
        assert_eq!(format_instant(-1), "1969-12-31T23:59:59.999Z");
        for ms in [0, 951_782_400_000, 4_102_444_799_999, 1_795_651_200_250] {
            assert_eq!(parse_instant(&format_instant(ms)).unwrap().0, ms);
        }
    }

    #[test]
    fn list_queries_become_filters() {
        let e = ListRequest::parse("vendor_id=v-1&vendor_id=v-2").unwrap_err();
        assert!(
            e.to_string().contains("`vendor_id`: given more than once"),
            "{e}"
        );
        // A form's blank field is no filter.
        let r = ListRequest::parse("vendor_id=v-1&vendor_id=&q=&status=").unwrap();
        assert_eq!(
            (r.filter.vendor_id.as_deref(), r.filter.q.as_deref()),
            (Some("v-1"), None)
        );
        let r = ListRequest::parse(
            "status=pending_approval,on_hold&status=on_hold&vendor_id=v-1&currency=jpy&amount_min=100&amount_max=2500\
             &received_from=2026-11-01&received_to=2026-11-26&issue_from=2026-01-01&issue_to=2026-12-31\
             &has_findings=false&q=Acme&sort=-gross&limit=500&cursor=abc&tenant_id=t_other",
        )
        .unwrap_err();
        assert!(
            r.to_string().contains("`tenant_id`: unknown parameter"),
            "{r}"
        );
        let r = ListRequest::parse(
            "status=pending_approval,on_hold&status=on_hold&vendor_id=v-1&currency=jpy&amount_min=100&amount_max=2500\
             &received_from=2026-11-01&received_to=2026-11-26&issue_from=2026-01-01&issue_to=2026-12-31\
             &has_findings=false&q=Acme&sort=-gross&limit=500&cursor=abc",
        )
        .unwrap();
        let f = &r.filter;
        assert_eq!(f.statuses, ["pending_approval", "on_hold"]);
        assert_eq!(f.vendor_id.as_deref(), Some("v-1"));
        assert_eq!(f.currency.as_deref(), Some("JPY"));
        assert_eq!(
            (f.min_gross_minor, f.max_gross_minor),
            (Some(100), Some(2500))
        );
        assert_eq!(
            f.received_from,
            Some(parse_instant("2026-11-01").unwrap().0)
        );
        assert_eq!(
            f.received_to,
            Some(parse_instant("2026-11-27").unwrap().0),
            "a date includes its day"
        );
        assert_eq!(f.has_findings, Some(false));
        assert_eq!(f.q.as_deref(), Some("Acme"));
        assert_eq!(r.sort, Sort::parse("-gross").unwrap());
        assert_eq!(r.limit, 200);
        assert_eq!(r.cursor.as_deref(), Some("abc"));
        let r = ListRequest::parse("amount_min=99.5&received_to=2026-11-26T10:00:00Z").unwrap();
        assert_eq!(
            r.filter.min_gross_minor,
            Some(9950),
            "two decimals without a currency"
        );
        assert_eq!(
            r.filter.received_to,
            Some(parse_instant("2026-11-26T10:00:00Z").unwrap().0)
        );
        let d = ListRequest::parse("").unwrap();
        assert_eq!(
            (d.sort, d.limit, d.filter.statuses.len()),
            (Sort::default(), 50, 0)
        );
    }

    #[test]
    fn bad_list_parameters_are_named() {
        for (query, param) in [
            ("status=paid", "status"),
            ("currency=euro", "currency"),
            ("amount_min=ten", "amount_min"),
            ("amount_min=1.234", "amount_min"),
            ("currency=JPY&amount_max=1.5", "amount_max"),
            ("amount_min=10&amount_max=5", "amount_min"),
            ("received_from=yesterday", "received_from"),
            ("received_to=2026-13-01", "received_to"),
            ("issue_from=2026-11-26T00:00:00Z", "issue_from"),
            ("issue_to=26.11.2026", "issue_to"),
            ("has_findings=yes", "has_findings"),
            ("sort=colour", "sort"),
            ("sort=gross&sort=-gross", "sort"),
            ("limit=-1", "limit"),
            ("limit=many", "limit"),
            ("colour=red", "colour"),
        ] {
            let e = ListRequest::parse(query).unwrap_err();
            assert_eq!(e.status(), 400, "{query}");
            let p = e.problem();
            assert_eq!(p.errors[0].field, param, "{query}: {p:?}");
            assert!(p.detail.unwrap().contains(&format!("`{param}`")), "{query}");
        }
        let long = format!("q={}", "x".repeat(201));
        assert_eq!(
            ListRequest::parse(&long).unwrap_err().problem().errors[0].field,
            "q"
        );
    }

    #[test]
    fn comments_are_trimmed_bounded_and_required_where_needed() {
        assert_eq!(
            comment_arg("comment", Some("  ok "), false)
                .unwrap()
                .as_deref(),
            Some("ok")
        );
        assert_eq!(comment_arg("comment", Some("   "), false).unwrap(), None);
        let e = comment_arg("reason", Some(" "), true).unwrap_err();
        assert_eq!(e.status(), 422);
        assert_eq!(e.problem().errors[0].field, "reason");
        let long = "x".repeat(MAX_COMMENT_CHARS + 1);
        assert_eq!(
            comment_arg("comment", Some(&long), false)
                .unwrap_err()
                .status(),
            422
        );
    }

    #[test]
    fn corrections_need_a_value_key() {
        let c: FieldCorrection = serde_json::from_str(r#"{"value": null}"#).unwrap();
        assert_eq!(c.value, None);
        let c: FieldCorrection =
            serde_json::from_str(r#"{"value": "1.00", "comment": "typo"}"#).unwrap();
        assert_eq!(c.value.as_deref(), Some("1.00"));
        assert!(serde_json::from_str::<FieldCorrection>(r#"{"comment": "x"}"#).is_err());
        assert!(
            serde_json::from_str::<FieldCorrection>(r#"{"value": 1.5}"#).is_err(),
            "money is never a float"
        );
        assert!(
            serde_json::from_str::<FieldCorrection>(r#"{"value": "1", "valeu": "2"}"#).is_err()
        );
    }

    #[test]
    fn impossible_ids_and_control_characters_are_refused_early() {
        assert!(check_id("d_0123456789abcdef0123456789abcdef").is_ok());
        for bad in ["", "a\0b", "\0", "x\ny", &"d".repeat(129)] {
            let e = check_id(bad).unwrap_err();
            assert_eq!(e.status(), 404, "{bad:?}");
        }
        assert_eq!(
            no_such_invoice("a\0b").problem().detail.unwrap(),
            "invoice a\\0b not found"
        );
        let e = ListRequest::parse("q=a%00b").unwrap_err();
        assert_eq!(e.problem().errors[0].field, "q");
        assert_eq!(
            ListRequest::parse("vendor_id=%01").unwrap_err().status(),
            400
        );
        assert_eq!(
            comment_arg("comment", Some("a\0b"), false)
                .unwrap_err()
                .status(),
            422
        );
        assert_eq!(
            comment_arg("comment", Some("line one\nline two\tend"), true)
                .unwrap()
                .as_deref(),
            Some("line one\nline two\tend")
        );
    }
}
