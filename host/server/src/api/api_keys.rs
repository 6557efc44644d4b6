//! The tenant's API keys: `GET/POST /v1/api-keys`, `DELETE /v1/api-keys/{id}`
//! (admin only). A new key's token is answered once; only its hash is stored
//! (papyr-auth makes and checks both), and the key authenticates from then on
//! until it is revoked.
use super::ApiState;
use super::auth::{Caller, RequireRole};
use super::error::{ApiError, FieldError, Problem};
use super::extract::{ApiJson, ApiPath};
use super::pagination::Page;
use super::users::{RoleName, acting_as, checked_id, checked_text};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use papyr_auth::Role;
use papyr_store::{ApiKeyRow, NewApiKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An API key as listed: never its secret or hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyBody {
    /// The public part of the token (`papyr_<id>_…`).
    #[schema(example = "9c1f3a7b5d2e4f60")]
    pub id: String,
    pub name: String,
    pub roles: Vec<RoleName>,
    /// `user:<id>` or `api-key:<id>`.
    pub created_by: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// Updated at most once a minute.
    pub last_used_at: Option<i64>,
    pub active: bool,
}

impl From<ApiKeyRow> for ApiKeyBody {
    fn from(k: ApiKeyRow) -> ApiKeyBody {
        ApiKeyBody {
            active: k.revoked_at.is_none(),
            roles: RoleName::from_strings(&k.roles),
            id: k.id,
            name: k.name,
            created_by: k.created_by,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
            last_used_at: k.last_used_at,
        }
    }
}

/// A key just created, with its token: the only time the token is shown.
#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKeyBody,
    /// Send as `Authorization: Bearer <token>`. Shown once; Papyr keeps only a hash.
    #[schema(example = "papyr_9c1f3a7b5d2e4f60_…")]
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// What the key is for, e.g. `ERP export`.
    #[schema(example = "ERP export")]
    pub name: String,
    /// At least one.
    pub roles: Vec<RoleName>,
}

#[utoipa::path(
    get,
    path = "/v1/api-keys",
    tag = "api-keys",
    responses((status = 200, description = "The tenant's API keys, newest first, revoked ones too (one page)", body = Page<ApiKeyBody>))
)]
pub async fn list(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<Json<Page<ApiKeyBody>>, ApiError> {
    caller.require(Role::Admin)?;
    let keys = state.shared.db.api_keys(&caller.tenant_id).await?;
    Ok(Json(Page {
        items: keys.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

#[utoipa::path(
    post,
    path = "/v1/api-keys",
    tag = "api-keys",
    request_body = CreateApiKey,
    responses(
        (status = 201, description = "Created; `token` is shown this once", body = CreatedApiKey),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid field (named in `errors`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateApiKey>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let name = checked_text("name", &body.name, 100)?;
    if body.roles.is_empty() {
        return Err(ApiError::validation(vec![FieldError::new(
            "roles",
            "give at least one role: a key without one can do nothing",
        )]));
    }
    let by = acting_as(&state, &caller).await?;
    let key = papyr_auth::ApiKey::generate();
    let row = state
        .shared
        .db
        .create_api_key(
            &caller.tenant_id,
            &NewApiKey {
                id: key.key_id.clone(),
                name,
                hash: key.hash.clone(),
                roles: RoleName::to_strings(&body.roles),
            },
            by.actor(),
        )
        .await?;
    let mut res = (
        StatusCode::CREATED,
        Json(CreatedApiKey {
            key: row.into(),
            token: key.secret_plaintext,
        }),
    )
        .into_response();
    // The answer holds a secret: no cache may keep it.
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[utoipa::path(
    delete,
    path = "/v1/api-keys/{id}",
    tag = "api-keys",
    params(("id" = String, Path, description = "API key id")),
    responses(
        (status = 200, description = "Revoked (again: revoking is idempotent); the key authenticates no more", body = ApiKeyBody),
        (status = 404, description = "No such key in the caller's tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ApiKeyBody>, ApiError> {
    caller.require(Role::Admin)?;
    let id = checked_id("API key", &id)?;
    let by = acting_as(&state, &caller).await?;
    let row = state
        .shared
        .db
        .revoke_api_key(&caller.tenant_id, id, by.actor())
        .await?;
    Ok(Json(row.into()))
}
