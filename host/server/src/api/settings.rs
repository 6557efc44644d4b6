//! The tenant's settings: `GET /v1/settings` with its version as `ETag`, and
//! `PUT /v1/settings` replacing them whole under `If-Match` (admin only). Reading
//! is admin-only too: mailbox connections may hold credentials.
//!
//! The document is the tenant file of `papyr process --tenant` (docs/cli.md) without
//! its vendor list, which the vendor endpoints manage.
use super::ApiState;
use super::auth::{Caller, RequireRole};
use super::error::{ApiError, FieldError, Problem};
use super::extract::{ApiJson, parse_json};
use super::users::acting_as;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use papyr_auth::Role;
use papyr_domain::TenantFile;
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The settings document (it describes the request and answer; the server reads
/// it as papyr-domain's `TenantFile`). Every field is optional; unknown fields are
/// refused.
// `Deserialize` (never used) only lets `deny_unknown_fields` reach the schema as
// `additionalProperties: false`; the server reads the document as a `TenantFile`.
#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // reason: describes the document for the OpenAPI document only
pub struct Settings {
    /// The tenant's own name, as invoices address it.
    #[schema(nullable = false)]
    name: Option<String>,
    /// The tenant's own tax ids (an invoice naming one is addressed to it).
    #[schema(nullable = false)]
    tax_ids: Option<Vec<String>>,
    /// `YYYY-MM-DD`: the date checks run against (default: today).
    today: Option<String>,
    #[schema(nullable = false)]
    approval: Option<ApprovalSettingsDoc>,
    /// Plugin name (`fraud`, `po-required`, …) → key → value.
    #[schema(nullable = false)]
    plugin_config: Option<BTreeMap<String, BTreeMap<String, String>>>,
    #[schema(nullable = false)]
    vendor_policy: Option<VendorPolicyDoc>,
    /// Mail intake connections (their schema belongs to the connectors).
    #[schema(value_type = Option<Vec<Object>>, nullable = false)]
    mailboxes: Option<Vec<serde_json::Value>>,
}

#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // reason: describes the document for the OpenAPI document only
pub struct ApprovalSettingsDoc {
    /// A clean invoice below this gross amount is approved automatically, e.g. `"250.00"`.
    auto_approve_below: Option<String>,
    /// Below it one approval, at or above it two (unless `bands` say otherwise).
    approval_threshold: Option<String>,
    /// ISO 4217 currency of the amounts here (default `EUR`).
    currency: Option<String>,
    /// Risk score from which an invoice is held (default 70).
    #[schema(minimum = 0)]
    hold_score: Option<u32>,
    /// How many distinct approvers an invoice needs, by gross amount.
    #[schema(nullable = false)]
    bands: Option<Vec<ApprovalBandDoc>>,
}

#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // reason: describes the document for the OpenAPI document only
pub struct ApprovalBandDoc {
    /// Invoices below this gross amount; absent for the open-ended top band.
    below: Option<String>,
    #[schema(minimum = 0)]
    approvals: u32,
}

#[derive(ToSchema, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // reason: describes the document for the OpenAPI document only
pub struct VendorPolicyDoc {
    /// A new vendor IBAN needs a second person's confirmation.
    #[schema(nullable = false)]
    iban_requires_confirmation: Option<bool>,
}

/// `res` with `ETag: "<version>"`.
pub(super) fn with_etag(version: i64, mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::ETAG, super::invoices::etag(version));
    res
}

/// 428: a change must name the version it was made to.
fn precondition_required() -> Response {
    ApiError::precondition_required(
        "send `If-Match` with the ETag of `GET /v1/settings`, so a change made meanwhile is not overwritten",
    )
    .into_response()
}

/// The version an `If-Match` names: `"7"` (as `ETag` gave it) or `7`.
/// `Ok(None)`: absent or `*`, which names no version.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, ApiError> {
    let Some(raw) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::bad_request("`If-Match` must be the ETag of `GET /v1/settings`, such as \"3\"")
            .with_errors(vec![FieldError::new(
                "If-Match",
                "not an ETag of the settings",
            )])
    };
    let v = raw.to_str().map_err(|_| bad())?.trim();
    if v == "*" {
        return Ok(None);
    }
    let inner = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(v);
    inner.parse::<i64>().map(Some).map_err(|_| bad())
}

/// Everything about a settings document the store would refuse later, as 422s
/// naming the field.
fn check_settings(raw: &[u8]) -> Result<(), ApiError> {
    let file: TenantFile = parse_json(raw)?;
    let invalid =
        |field: &str, why: String| ApiError::validation(vec![FieldError::new(field, why)]);
    if !file.vendors.is_empty() {
        return Err(invalid(
            "vendors",
            "must be empty: manage the vendor master with the /v1/vendors endpoints".into(),
        ));
    }
    file.policy()
        .map_err(|e| invalid("approval", e.to_string()))?;
    file.approval_bands()
        .map_err(|e| invalid("approval.bands", e.to_string()))?;
    Ok(())
}

#[utoipa::path(
    get,
    path = "/v1/settings",
    tag = "settings",
    responses(
        (status = 200, description = "The settings document", body = Settings,
         headers(("ETag" = String, description = "The settings' version, for `If-Match`"))),
    )
)]
pub async fn get(State(state): State<ApiState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let s = state
        .shared
        .db
        .versioned_settings(&caller.tenant_id)
        .await?;
    let doc: serde_json::Value = serde_json::from_str(&s.json).map_err(|e| {
        anyhow::anyhow!("stored settings of {} are not JSON: {e}", caller.tenant_id)
    })?;
    Ok(with_etag(s.version, Json(doc).into_response()))
}

#[utoipa::path(
    put,
    path = "/v1/settings",
    tag = "settings",
    params(("If-Match" = String, Header, description = "The `ETag` of the settings this replaces")),
    request_body = Settings,
    responses(
        (status = 200, description = "Replaced; the document as stored", body = Settings,
         headers(("ETag" = String, description = "The new version"))),
        (status = 412, description = "The settings changed since that version; `ETag` carries the current one", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a valid settings document (the field is named)", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No `If-Match`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(doc): ApiJson<serde_json::Value>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let Some(expected) = if_match(&headers)? else {
        return Ok(precondition_required());
    };
    if !doc.is_object() {
        return Err(ApiError::validation(vec![FieldError::new(
            "body",
            "the settings are a JSON object",
        )]));
    }
    let text = doc.to_string();
    check_settings(text.as_bytes())?;
    let by = acting_as(&state, &caller).await?;
    let db = &state.shared.db;
    match db.replace_settings(&caller.tenant_id, &text, expected, by.actor()).await {
        Ok(s) => Ok(with_etag(s.version, Json(doc).into_response())),
        Err(papyr_store::StoreError::Conflict { current_version }) => Ok(with_etag(
            current_version,
            ApiError::precondition_failed(format!(
                "the settings changed meanwhile: they are at version {current_version} now (ETag \"{current_version}\"), not {expected}; read them again and reapply your change"
            ))
            .into_response(),
        )),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn h(v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::IF_MATCH, HeaderValue::from_str(v).unwrap());
        m
    }

    #[test]
    fn if_match_names_a_version() {
        assert_eq!(if_match(&HeaderMap::new()).unwrap(), None);
        assert_eq!(if_match(&h("*")).unwrap(), None);
        assert_eq!(if_match(&h("\"7\"")).unwrap(), Some(7));
        assert_eq!(if_match(&h(" 7 ")).unwrap(), Some(7));
        for bad in [
            "W/\"7\"",
            "\"seven\"",
            "\"1\", \"2\"",
            "\"99999999999999999999\"",
        ] {
            let e = if_match(&h(bad)).unwrap_err();
            assert_eq!(e.status(), 400, "{bad}");
        }
    }

    #[test]
    fn invalid_documents_name_the_field() {
        let field = |doc: &str| {
            let e = check_settings(doc.as_bytes()).unwrap_err();
            assert_eq!(e.status(), 422, "{doc}");
            e.problem().errors[0].field.clone()
        };
        assert!(check_settings(br#"{"approval":{"hold_score":60},"vendor_policy":{"iban_requires_confirmation":true}}"#).is_ok());
        assert_eq!(
            field(r#"{"approval":{"hold_score":"high"}}"#),
            "approval.hold_score"
        );
        assert_eq!(
            field(r#"{"vendor_policy":{"four_eyes":true}}"#),
            "vendor_policy.four_eyes"
        );
        assert_eq!(field(r#"{"vendors":[{"id":"v","name":"V"}]}"#), "vendors");
        assert_eq!(
            field(r#"{"approval":{"auto_approve_below":"lots"}}"#),
            "approval"
        );
        assert_eq!(
            field(r#"{"approval":{"bands":[{"below":"100"}]}}"#),
            "approval.bands[0]"
        );
    }

    #[tokio::test]
    async fn missing_if_match_is_a_428_problem() {
        let res = precondition_required();
        assert_eq!(res.status(), 428);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            super::super::error::PROBLEM_JSON
        );
        let p = res.extensions().get::<Problem>().unwrap();
        assert_eq!(p.problem_type, "urn:papyr:problem:precondition-required");
    }
}
