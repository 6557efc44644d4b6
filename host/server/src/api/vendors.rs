//! The vendor master: `/v1/vendors` (list, create, read, update, merge), a vendor's
//! sender domains and bank accounts, and the four-eyes IBAN requests
//! (`/v1/iban-requests`). Any role reads; clerks (and admins) change.
//!
//! When the tenant's `vendor_policy.iban_requires_confirmation` is on, a new IBAN is
//! a pending request (202) until a different person confirms it.
use super::ApiState;
use super::auth::{Caller, RequireRole};
use super::error::{ApiError, FieldError, Problem};
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::pagination::{Page, PageQuery, Paged};
use super::users::{acting_as, checked_id, checked_query, checked_text, created, field_error};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use papyr_auth::Role;
use papyr_store::api::vendors_admin::{
    normalize_tax_ids, validate_country, validate_domain, validate_iban,
};
use papyr_store::{
    IbanOutcome, IbanRequest, KnownIban, NewVendor, VendorDetail, VendorSummary, VendorUpdate,
};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A vendor as listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Vendor {
    #[schema(example = "v_3f9a0c1d2e4b5a6978877665")]
    pub id: String,
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub tax_ids: Vec<String>,
    /// Invoices of the tenant attributed to this vendor.
    pub invoice_count: i64,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<VendorSummary> for Vendor {
    fn from(v: VendorSummary) -> Vendor {
        Vendor {
            id: v.id,
            name: v.name,
            country: v.country,
            tax_ids: v.tax_ids,
            invoice_count: v.invoice_count,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// A bank account the fraud checks treat as the vendor's.
#[derive(Debug, Serialize, ToSchema)]
pub struct VendorIban {
    /// Normalised: upper case, no spaces.
    #[schema(example = "DE89370400440532013000")]
    pub iban: String,
    /// Who put it on file: `user:<id>`, `api-key:<id>` or an import's name.
    pub verified_by: String,
    pub verified_at: i64,
}

impl From<KnownIban> for VendorIban {
    fn from(k: KnownIban) -> VendorIban {
        VendorIban {
            iban: k.iban,
            verified_by: k.verified_by,
            verified_at: k.verified_at,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum IbanRequestState {
    Pending,
    Confirmed,
    Declined,
}

/// A bank account waiting for (or decided by) a second person.
#[derive(Debug, Serialize, ToSchema)]
pub struct IbanRequestBody {
    #[schema(example = "ibr_0b71c2d3e4f5a6b7c8d9e0f1")]
    pub id: String,
    pub vendor_id: String,
    pub iban: String,
    /// `user:<id>` or `api-key:<id>`.
    pub requested_by: String,
    pub requested_at: i64,
    pub status: IbanRequestState,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

impl From<IbanRequest> for IbanRequestBody {
    fn from(r: IbanRequest) -> IbanRequestBody {
        use papyr_store::api::vendors_admin::IbanRequestStatus as S;
        IbanRequestBody {
            id: r.id,
            vendor_id: r.vendor_id,
            iban: r.iban,
            requested_by: r.requested_by,
            requested_at: r.requested_at,
            status: match r.status {
                S::Pending => IbanRequestState::Pending,
                S::Confirmed => IbanRequestState::Confirmed,
                S::Declined => IbanRequestState::Declined,
            },
            decided_by: r.decided_by,
            decided_at: r.decided_at,
        }
    }
}

/// One vendor with its bank accounts, pending bank-account requests and sender
/// domains.
#[derive(Debug, Serialize, ToSchema)]
pub struct VendorDetailBody {
    #[serde(flatten)]
    pub vendor: Vendor,
    pub ibans: Vec<VendorIban>,
    pub pending_ibans: Vec<IbanRequestBody>,
    /// Sender domains, lower case.
    pub domains: Vec<String>,
}

impl From<VendorDetail> for VendorDetailBody {
    fn from(d: VendorDetail) -> VendorDetailBody {
        VendorDetailBody {
            vendor: d.vendor.into(),
            ibans: d.ibans.into_iter().map(Into::into).collect(),
            pending_ibans: d.pending_ibans.into_iter().map(Into::into).collect(),
            domains: d.domains,
        }
    }
}

/// Listing filter and page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VendorQuery {
    /// A part of the name, a tax id, a sender domain or an IBAN (case-insensitive).
    pub q: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateVendor {
    #[schema(example = "Acme Supplies GmbH")]
    pub name: String,
    /// ISO 3166-1 alpha-2, e.g. `DE`.
    pub country: Option<String>,
    /// VAT or other tax ids; spaces are dropped and letters upper-cased.
    #[serde(default)]
    pub tax_ids: Vec<String>,
}

/// Fields left out keep their value; `"country": null` clears the country.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchVendor {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub country: Option<Option<String>>,
    pub tax_ids: Option<Vec<String>>,
}

/// A field that is present, possibly `null` (`Some(None)`), as opposed to absent
/// (`None`, by `default`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeVendor {
    /// The vendor that stays; the one in the path is merged into it and deleted.
    pub into: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainBody {
    /// A sender domain such as `acme.example` (ASCII form for international names).
    #[schema(example = "acme.example")]
    pub domain: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IbanBody {
    /// Spaces and dashes are allowed; checked against ISO 13616.
    #[schema(example = "DE89 3704 0044 0532 0130 00")]
    pub iban: String,
}

/// What adding a bank account did.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum IbanAdded {
    /// On file (now or already): the fraud checks know it.
    Known(VendorIban),
    /// Waiting for a second person's confirmation.
    Pending(IbanRequestBody),
}

fn no_such_vendor(id: &str) -> ApiError {
    ApiError::not_found(format!("vendor {id} not found"))
}

fn vendor_name(name: &str) -> Result<String, ApiError> {
    checked_text("name", name, 200)
}

fn tax_ids(ids: &[String]) -> Result<Vec<String>, ApiError> {
    normalize_tax_ids(ids).map_err(|e| {
        // Name the offending entry, not just the list.
        let at = ids
            .iter()
            .position(|t| normalize_tax_ids(std::slice::from_ref(t)).is_err())
            .map_or_else(|| "tax_ids".to_string(), |i| format!("tax_ids[{i}]"));
        field_error(&at, e)
    })
}

fn country(c: Option<&str>) -> Result<Option<String>, ApiError> {
    validate_country(c).map_err(|e| field_error("country", e))
}

#[utoipa::path(
    get,
    path = "/v1/vendors",
    tag = "vendors",
    params(VendorQuery),
    responses((status = 200, description = "A page of the tenant's vendors by name", body = Page<Vendor>,
        headers(("Link" = String, description = "`<…>; rel=\"next\"` while there is a next page"))))
)]
pub async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    uri: Uri,
    ApiQuery(query): ApiQuery<VendorQuery>,
) -> Result<Paged<Vendor>, ApiError> {
    caller.require_member()?;
    let q = checked_query("q", query.q.as_deref())?;
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor.clone(),
    };
    let found = state
        .shared
        .db
        .vendor_page(&caller.tenant_id, q, page.cursor(), page.limit())
        .await?;
    Ok(Paged::new(
        Page {
            items: found.items.into_iter().map(Vendor::from).collect(),
            next_cursor: found.next_cursor,
        },
        &uri,
    ))
}

#[utoipa::path(
    post,
    path = "/v1/vendors",
    tag = "vendors",
    request_body = CreateVendor,
    responses(
        (status = 201, description = "Created", body = VendorDetailBody,
         headers(("Location" = String, description = "The new vendor"))),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid field (named in `errors`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateVendor>,
) -> Result<Response, ApiError> {
    caller.require(Role::Clerk)?;
    let new = NewVendor {
        name: vendor_name(&body.name)?,
        country: country(body.country.as_deref())?,
        tax_ids: tax_ids(&body.tax_ids)?,
    };
    let by = acting_as(&state, &caller).await?;
    let v = state
        .shared
        .db
        .create_vendor(&caller.tenant_id, &new, by.actor())
        .await?;
    Ok(created(
        &format!("/v1/vendors/{}", v.vendor.id),
        VendorDetailBody::from(v),
    ))
}

#[utoipa::path(
    get,
    path = "/v1/vendors/{id}",
    tag = "vendors",
    params(("id" = String, Path, description = "Vendor id")),
    responses(
        (status = 200, description = "The vendor", body = VendorDetailBody),
        (status = 404, description = "No such vendor in the caller's tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<VendorDetailBody>, ApiError> {
    caller.require_member()?;
    let id = checked_id("vendor", &id)?;
    let v = state
        .shared
        .db
        .vendor(&caller.tenant_id, id)
        .await?
        .ok_or_else(|| no_such_vendor(id))?;
    Ok(Json(v.into()))
}

#[utoipa::path(
    patch,
    path = "/v1/vendors/{id}",
    tag = "vendors",
    params(("id" = String, Path, description = "Vendor id")),
    request_body = PatchVendor,
    responses(
        (status = 200, description = "The changed vendor", body = VendorDetailBody),
        (status = 404, description = "No such vendor in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid field (named in `errors`), or nothing to change", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn patch(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PatchVendor>,
) -> Result<Json<VendorDetailBody>, ApiError> {
    caller.require(Role::Clerk)?;
    let id = checked_id("vendor", &id)?;
    if body.name.is_none() && body.country.is_none() && body.tax_ids.is_none() {
        return Err(ApiError::validation(vec![FieldError::new(
            "body",
            "nothing to change: give name, country or tax_ids",
        )]));
    }
    let update = VendorUpdate {
        name: body.name.as_deref().map(vendor_name).transpose()?,
        country: match &body.country {
            Some(c) => Some(country(c.as_deref())?),
            None => None,
        },
        tax_ids: body.tax_ids.as_deref().map(tax_ids).transpose()?,
    };
    let by = acting_as(&state, &caller).await?;
    let v = state
        .shared
        .db
        .update_vendor(&caller.tenant_id, id, &update, by.actor())
        .await?;
    Ok(Json(v.into()))
}

#[utoipa::path(
    post,
    path = "/v1/vendors/{id}/merge",
    tag = "vendors",
    params(("id" = String, Path, description = "The vendor to merge away (deleted afterwards)")),
    request_body = MergeVendor,
    responses(
        (status = 200, description = "The vendor merged into, with everything moved over", body = VendorDetailBody),
        (status = 404, description = "No such vendor in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`into` is not another vendor of the tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn merge(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<MergeVendor>,
) -> Result<Json<VendorDetailBody>, ApiError> {
    caller.require(Role::Clerk)?;
    let id = checked_id("vendor", &id)?;
    let db = &state.shared.db;
    let into = body.into.trim();
    let bad_into = |why: String| ApiError::validation(vec![FieldError::new("into", why)]);
    if into == id {
        return Err(bad_into("a vendor cannot be merged into itself".into()));
    }
    if db.vendor(&caller.tenant_id, id).await?.is_none() {
        return Err(no_such_vendor(id));
    }
    if into.is_empty()
        || into.chars().any(char::is_control)
        || db.vendor(&caller.tenant_id, into).await?.is_none()
    {
        return Err(bad_into(format!("no vendor `{into}` in this tenant")));
    }
    let by = acting_as(&state, &caller).await?;
    let v = db
        .merge_vendors(&caller.tenant_id, id, into, by.actor())
        .await?;
    Ok(Json(v.into()))
}

#[utoipa::path(
    post,
    path = "/v1/vendors/{id}/domains",
    tag = "vendors",
    params(("id" = String, Path, description = "Vendor id")),
    request_body = DomainBody,
    responses(
        (status = 201, description = "Added (normalised)", body = DomainBody),
        (status = 200, description = "The vendor had it already", body = DomainBody),
        (status = 404, description = "No such vendor in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a domain name", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_domain(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<DomainBody>,
) -> Result<Response, ApiError> {
    caller.require(Role::Clerk)?;
    let id = checked_id("vendor", &id)?;
    let domain = validate_domain(&body.domain).map_err(|e| field_error("domain", e))?;
    let db = &state.shared.db;
    let before = db
        .vendor(&caller.tenant_id, id)
        .await?
        .ok_or_else(|| no_such_vendor(id))?;
    let by = acting_as(&state, &caller).await?;
    let domain = db
        .add_vendor_domain(&caller.tenant_id, id, &domain, by.actor())
        .await?;
    let status = if before.domains.contains(&domain) {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(DomainBody { domain })).into_response())
}

#[utoipa::path(
    delete,
    path = "/v1/vendors/{id}/domains/{domain}",
    tag = "vendors",
    params(
        ("id" = String, Path, description = "Vendor id"),
        ("domain" = String, Path, description = "The sender domain"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such vendor in the caller's tenant, or it has no such domain", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn remove_domain(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath((id, domain)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Clerk)?;
    let id = checked_id("vendor", &id)?;
    let domain = checked_id("sender domain", &domain)?;
    let by = acting_as(&state, &caller).await?;
    state
        .shared
        .db
        .remove_vendor_domain(&caller.tenant_id, id, domain, by.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/v1/vendors/{id}/ibans",
    tag = "vendors",
    params(("id" = String, Path, description = "Vendor id")),
    request_body = IbanBody,
    responses(
        (status = 201, description = "On file (now, or it was already): `state` is `known`", body = IbanAdded),
        (status = 202, description = "The tenant requires a second person: `state` is `pending`, confirm it with `POST /v1/iban-requests/{id}/confirm`", body = IbanAdded),
        (status = 404, description = "No such vendor in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a valid IBAN (format, length, check digits)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn add_iban(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<IbanBody>,
) -> Result<Response, ApiError> {
    caller.require(Role::Clerk)?;
    let id = checked_id("vendor", &id)?;
    let iban = validate_iban(&body.iban).map_err(|e| field_error("iban", e))?;
    let by = acting_as(&state, &caller).await?;
    let outcome = state
        .shared
        .db
        .add_vendor_iban(&caller.tenant_id, id, &iban, by.actor())
        .await?;
    Ok(match outcome {
        IbanOutcome::Known(k) => {
            (StatusCode::CREATED, Json(IbanAdded::Known(k.into()))).into_response()
        }
        IbanOutcome::Pending(r) => {
            (StatusCode::ACCEPTED, Json(IbanAdded::Pending(r.into()))).into_response()
        }
    })
}

#[utoipa::path(
    delete,
    path = "/v1/vendors/{id}/ibans/{iban}",
    tag = "vendors",
    params(
        ("id" = String, Path, description = "Vendor id"),
        ("iban" = String, Path, description = "The IBAN (spaces allowed)"),
    ),
    responses(
        (status = 204, description = "Taken off file"),
        (status = 404, description = "No such vendor in the caller's tenant, or no such IBAN on file", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn remove_iban(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath((id, iban)): ApiPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Clerk)?;
    let id = checked_id("vendor", &id)?;
    let iban = checked_id("IBAN", &iban)?;
    let by = acting_as(&state, &caller).await?;
    state
        .shared
        .db
        .remove_vendor_iban(&caller.tenant_id, id, iban, by.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/v1/iban-requests",
    tag = "vendors",
    responses((status = 200, description = "The tenant's pending bank-account requests, oldest first (one page)", body = Page<IbanRequestBody>))
)]
pub async fn iban_requests(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<Json<Page<IbanRequestBody>>, ApiError> {
    caller.require_member()?;
    let pending = state
        .shared
        .db
        .pending_iban_requests(&caller.tenant_id)
        .await?;
    Ok(Json(Page {
        items: pending.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// A decided request is a conflict with its state, not bad input.
fn request_state(e: papyr_store::StoreError) -> ApiError {
    match e {
        papyr_store::StoreError::Invalid(why) => ApiError::conflict(why),
        other => other.into(),
    }
}

#[utoipa::path(
    post,
    path = "/v1/iban-requests/{id}/confirm",
    tag = "vendors",
    params(("id" = String, Path, description = "IBAN request id")),
    responses(
        (status = 200, description = "Confirmed: the account is on file, verified by the caller", body = VendorIban),
        (status = 403, description = "The caller requested it (or created the API key that did), is no user of the tenant (API keys, local mode), or lacks the clerk role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already confirmed or declined", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn confirm_iban(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<VendorIban>, ApiError> {
    caller.require(Role::Clerk)?;
    let id = checked_id("IBAN request", &id)?;
    let by = acting_as(&state, &caller).await?;
    let Some(user) = by.user_id() else {
        return Err(ApiError::forbidden(
            "four eyes: a bank account is confirmed by a person signed in as a user of the tenant, not with an API key",
        ));
    };
    let known = state
        .shared
        .db
        .confirm_iban_request(&caller.tenant_id, id, user)
        .await
        .map_err(request_state)?;
    Ok(Json(known.into()))
}

#[utoipa::path(
    post,
    path = "/v1/iban-requests/{id}/decline",
    tag = "vendors",
    params(("id" = String, Path, description = "IBAN request id")),
    responses(
        (status = 200, description = "Declined (the requester may withdraw their own)", body = IbanRequestBody),
        (status = 404, description = "No such request in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already confirmed or declined", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn decline_iban(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<IbanRequestBody>, ApiError> {
    caller.require(Role::Clerk)?;
    let id = checked_id("IBAN request", &id)?;
    let by = acting_as(&state, &caller).await?;
    let req = state
        .shared
        .db
        .decline_iban_request(&caller.tenant_id, id, by.actor())
        .await
        .map_err(request_state)?;
    Ok(Json(req.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_tells_null_from_absent() {
        let p: PatchVendor = serde_json::from_str(r#"{"country": null}"#).unwrap();
        assert_eq!(p.country, Some(None));
        let p: PatchVendor = serde_json::from_str(r#"{"country": "de"}"#).unwrap();
        assert_eq!(p.country, Some(Some("de".into())));
        let p: PatchVendor = serde_json::from_str(r#"{"name": "X"}"#).unwrap();
        assert_eq!(p.country, None);
        assert!(serde_json::from_str::<PatchVendor>(r#"{"colour": 1}"#).is_err());
    }

    #[test]
    fn bad_tax_ids_name_their_entry() {
        let e = tax_ids(&["DE123456789".into(), "x".into()]).unwrap_err();
        assert_eq!(e.status(), 422);
        assert_eq!(e.problem().errors[0].field, "tax_ids[1]");
        assert_eq!(tax_ids(&["de 123".into()]).unwrap(), ["DE123"]);
    }

    #[test]
    fn added_ibans_are_tagged_by_state() {
        let known = IbanAdded::Known(VendorIban {
            iban: "DE89370400440532013000".into(),
            verified_by: "user:u_1".into(),
            verified_at: 1,
        });
        let v = serde_json::to_value(&known).unwrap();
        assert_eq!(v["state"], "known");
        assert_eq!(v["iban"], "DE89370400440532013000");
    }
}
