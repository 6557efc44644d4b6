//! `GET /v1/me`: who the API thinks the caller is.
use super::ApiState;
use super::auth::Caller;
use super::error::ApiError;
use axum::Json;
use axum::extract::State;
use papyr_auth::PrincipalKind;
use serde::Serialize;
use utoipa::ToSchema;

/// The authenticated caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The token's `sub`, the API key id, or `local`.
    pub subject: String,
    pub tenant: TenantRef,
    /// `admin` implies every other role.
    #[schema(example = json!(["approver", "viewer"]))]
    pub roles: Vec<String>,
    pub kind: CallerKind,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantRef {
    pub id: String,
    pub name: Option<String>,
}

/// How the caller authenticated.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallerKind {
    /// A person, through the identity provider.
    User { email: Option<String> },
    /// An integration, through an API key.
    ApiKey { key_id: String },
    /// Local mode: whoever can reach the loopback address.
    Local,
}

#[utoipa::path(
    get,
    path = "/v1/me",
    tag = "identity",
    responses((status = 200, description = "The caller", body = Me))
)]
pub async fn me(State(state): State<ApiState>, caller: Caller) -> Result<Json<Me>, ApiError> {
    let name = state
        .shared
        .db
        .tenant_settings(&caller.tenant_id)
        .await?
        .map(|(name, _)| name);
    let p = &caller.0;
    Ok(Json(Me {
        subject: p.subject.clone(),
        tenant: TenantRef {
            id: p.tenant_id.clone(),
            name,
        },
        roles: p.roles.iter().map(|r| r.to_string()).collect(),
        kind: match &p.kind {
            PrincipalKind::User { email } => CallerKind::User {
                email: email.clone(),
            },
            PrincipalKind::ApiKey { key_id } => CallerKind::ApiKey {
                key_id: key_id.clone(),
            },
            PrincipalKind::Local => CallerKind::Local,
        },
    }))
}
