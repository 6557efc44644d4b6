//! The tenant's users: `GET/POST /v1/users`, `GET/PATCH /v1/users/{id}`,
//! `POST /v1/users/{id}/disable` (admin only).
//!
//! Also what the other admin endpoints share about people and input: [`acting_as`]
//! (which user a change is recorded under), [`RoleName`], and the checks that turn
//! a bad value into a 422 naming its field.
use super::ApiState;
use super::auth::{Caller, RequireRole};
use super::error::{ApiError, FieldError, Problem};
use super::extract::{ApiJson, ApiPath};
use super::pagination::Page;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use papyr_auth::{PrincipalKind, Role};
use papyr_store::api::access::Actor;
use papyr_store::{NewUser, StoreError, UserRow, UserUpdate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A role as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    /// Manages the tenant (users, API keys, settings); has every other role.
    Admin,
    /// Approves or rejects invoices; reads the audit log.
    Approver,
    /// Uploads and corrects invoices; manages vendors.
    Clerk,
    /// Reads.
    Viewer,
}

impl RoleName {
    fn as_str(self) -> &'static str {
        match self {
            RoleName::Admin => "admin",
            RoleName::Approver => "approver",
            RoleName::Clerk => "clerk",
            RoleName::Viewer => "viewer",
        }
    }

    pub(super) fn to_strings(roles: &[RoleName]) -> Vec<String> {
        roles.iter().map(|r| r.as_str().to_string()).collect()
    }

    /// Stored names back to roles; a name this version does not know is left out.
    pub(super) fn from_strings(roles: &[String]) -> Vec<RoleName> {
        roles
            .iter()
            .filter_map(|r| match r.as_str() {
                "admin" => Some(RoleName::Admin),
                "approver" => Some(RoleName::Approver),
                "clerk" => Some(RoleName::Clerk),
                "viewer" => Some(RoleName::Viewer),
                _ => None,
            })
            .collect()
    }
}

/// Whom a change is recorded under, owned so a handler can hold it across awaits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Acting {
    /// A person signed in through the identity provider, by Papyr user id.
    User(String),
    /// An integration, by API key id.
    ApiKey(String),
}

impl Acting {
    pub(super) fn actor(&self) -> Actor<'_> {
        match self {
            Acting::User(id) => Actor::User(id),
            Acting::ApiKey(id) => Actor::ApiKey(id),
        }
    }

    /// The user id, for what only a person may do.
    pub(super) fn user_id(&self) -> Option<&str> {
        match self {
            Acting::User(id) => Some(id),
            Acting::ApiKey(_) => None,
        }
    }
}

/// Local mode's caller has no user row; it acts as the user id `local`, which the
/// audit log shows as `user:local` (the same name its uploads carry).
const LOCAL_USER: &str = "local";

/// Whom the caller's changes are recorded under. A signed-in person's subject is
/// already their Papyr user id (authentication resolved it); they are checked
/// again here because authentication caches users for a while, and a user an admin
/// has disabled must not change anything from that moment on.
pub(super) async fn acting_as(state: &ApiState, caller: &Caller) -> Result<Acting, ApiError> {
    match &caller.kind {
        PrincipalKind::ApiKey { key_id } => Ok(Acting::ApiKey(key_id.clone())),
        PrincipalKind::Local => Ok(Acting::User(LOCAL_USER.into())),
        PrincipalKind::User { .. } => {
            let user = state
                .shared
                .db
                .user(&caller.tenant_id, &caller.subject)
                .await?;
            match user {
                Some(u) if u.is_active() => Ok(Acting::User(u.id)),
                Some(u) => Err(ApiError::forbidden(format!("user {} is disabled", u.email))),
                None => Err(ApiError::forbidden(
                    "your sign-in is not a user of this tenant (any more): ask an admin",
                )),
            }
        }
    }
}

/// A store validation failure as a 422 naming `field`; other errors as usual.
pub(super) fn field_error(field: &str, e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid(why) => ApiError::validation(vec![FieldError::new(field, why)]),
        other => other.into(),
    }
}

/// Free text a person gave (a name): trimmed, 1 to `max` characters, no control
/// characters (PostgreSQL refuses NUL, and none belongs in a name).
pub(super) fn checked_text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    let bad = |why: String| ApiError::validation(vec![FieldError::new(field, why)]);
    if v.is_empty() {
        return Err(bad("must not be empty".into()));
    }
    if v.chars().count() > max {
        return Err(bad(format!("at most {max} characters")));
    }
    if v.chars().any(char::is_control) {
        return Err(bad("must not contain control characters".into()));
    }
    Ok(v.to_string())
}

/// A path id that no row can have (a control character: PostgreSQL would refuse
/// the query) is simply not found.
pub(super) fn checked_id<'a>(what: &str, id: &'a str) -> Result<&'a str, ApiError> {
    if id.is_empty() || id.chars().any(char::is_control) {
        return Err(ApiError::not_found(format!("{what} not found")));
    }
    Ok(id)
}

/// A query value with a control character is refused (PostgreSQL would refuse it
/// later, as a fault).
pub(super) fn checked_query<'a>(
    field: &str,
    value: Option<&'a str>,
) -> Result<Option<&'a str>, ApiError> {
    match value {
        Some(v) if v.chars().any(char::is_control) => Err(ApiError::bad_request(format!(
            "query parameter `{field}` must not contain control characters"
        ))
        .with_errors(vec![FieldError::new(
            field,
            "must not contain control characters",
        )])),
        other => Ok(other),
    }
}

/// A JSON response with `Location`.
pub(super) fn created<T: Serialize>(location: &str, body: T) -> Response {
    let mut res = (StatusCode::CREATED, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// A user of the tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    #[schema(example = "u_3f9a0c1d2e4b5a6978877665")]
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub roles: Vec<RoleName>,
    /// The identity provider's `sub`, once the user has signed in (or as invited).
    pub subject: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub updated_at: i64,
    /// Set once disabled; a disabled user cannot act.
    pub disabled_at: Option<i64>,
    pub active: bool,
}

impl From<UserRow> for User {
    fn from(u: UserRow) -> User {
        User {
            active: u.is_active(),
            roles: RoleName::from_strings(&u.roles),
            id: u.id,
            email: u.email,
            name: u.name,
            subject: u.subject,
            created_at: u.created_at,
            updated_at: u.updated_at,
            disabled_at: u.disabled_at,
        }
    }
}

/// A new user. Their first sign-in links them by email.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(example = "ann@acme.example")]
    pub email: String,
    pub name: Option<String>,
    pub roles: Vec<RoleName>,
    /// The identity provider's `sub`, when known in advance.
    pub subject: Option<String>,
}

/// Fields left out keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchUser {
    pub name: Option<String>,
    pub roles: Option<Vec<RoleName>>,
}

fn no_such_user(id: &str) -> ApiError {
    ApiError::not_found(format!("user {id} not found"))
}

/// The last active admin cannot lose the role or be disabled: a conflict with the
/// tenant's state, not bad input.
fn admin_guard(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid(why) => ApiError::conflict(why),
        other => other.into(),
    }
}

#[utoipa::path(
    get,
    path = "/v1/users",
    tag = "users",
    responses((status = 200, description = "Every user of the tenant, disabled ones too, by email (one page)", body = Page<User>))
)]
pub async fn list(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<Json<Page<User>>, ApiError> {
    caller.require(Role::Admin)?;
    let users = state.shared.db.users(&caller.tenant_id).await?;
    Ok(Json(Page {
        items: users.into_iter().map(User::from).collect(),
        next_cursor: None,
    }))
}

#[utoipa::path(
    post,
    path = "/v1/users",
    tag = "users",
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = User,
         headers(("Location" = String, description = "The new user"))),
        (status = 409, description = "A user with this email or subject exists", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid field (named in `errors`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateUser>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let email = papyr_store::api::access::validate_email(&body.email)
        .map_err(|e| field_error("email", e))?;
    let name = body
        .name
        .as_deref()
        .map(|n| checked_text("name", n, 200))
        .transpose()?;
    let subject = body
        .subject
        .as_deref()
        .map(|s| checked_text("subject", s, 255))
        .transpose()?;
    let by = acting_as(&state, &caller).await?;
    let user = state
        .shared
        .db
        .create_user(
            &caller.tenant_id,
            &NewUser {
                email,
                name,
                roles: RoleName::to_strings(&body.roles),
                subject,
            },
            by.actor(),
        )
        .await?;
    Ok(created(&format!("/v1/users/{}", user.id), User::from(user)))
}

#[utoipa::path(
    get,
    path = "/v1/users/{id}",
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 404, description = "No such user in the caller's tenant", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<User>, ApiError> {
    caller.require(Role::Admin)?;
    let id = checked_id("user", &id)?;
    let user = state
        .shared
        .db
        .user(&caller.tenant_id, id)
        .await?
        .ok_or_else(|| no_such_user(id))?;
    Ok(Json(user.into()))
}

#[utoipa::path(
    patch,
    path = "/v1/users/{id}",
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    request_body = PatchUser,
    responses(
        (status = 200, description = "The changed user", body = User),
        (status = 404, description = "No such user in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It would take the admin role from the tenant's last active admin", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An invalid field (named in `errors`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn patch(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<PatchUser>,
) -> Result<Json<User>, ApiError> {
    caller.require(Role::Admin)?;
    let id = checked_id("user", &id)?;
    // An empty name clears it.
    let name = match body.name.as_deref().map(str::trim) {
        Some("") => Some(String::new()),
        Some(n) => Some(checked_text("name", n, 200)?),
        None => None,
    };
    let by = acting_as(&state, &caller).await?;
    let user = state
        .shared
        .db
        .update_user(
            &caller.tenant_id,
            id,
            &UserUpdate {
                name,
                roles: body.roles.as_deref().map(RoleName::to_strings),
            },
            by.actor(),
        )
        .await
        .map_err(admin_guard)?;
    Ok(Json(user.into()))
}

#[utoipa::path(
    post,
    path = "/v1/users/{id}/disable",
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, description = "The user, disabled (again: disabling is idempotent)", body = User),
        (status = 404, description = "No such user in the caller's tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The user is the tenant's last active admin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn disable(
    State(state): State<ApiState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<User>, ApiError> {
    caller.require(Role::Admin)?;
    let id = checked_id("user", &id)?;
    let by = acting_as(&state, &caller).await?;
    let user = state
        .shared
        .db
        .disable_user(&caller.tenant_id, id, by.actor())
        .await
        .map_err(admin_guard)?;
    Ok(Json(user.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_printable() {
        assert_eq!(checked_text("name", "  Ann  ", 10).unwrap(), "Ann");
        for (bad, why) in [
            ("", "empty"),
            ("   ", "empty"),
            ("a\u{0}b", "control"),
            ("abcdefghijk", "at most 10"),
        ] {
            let e = checked_text("name", bad, 10).unwrap_err();
            assert_eq!(e.status(), 422, "{bad:?}");
            let p = e.problem();
            assert_eq!(p.errors[0].field, "name");
            assert!(p.errors[0].message.contains(why), "{bad:?}: {p:?}");
        }
        // Characters, not bytes.
        assert!(checked_text("name", "äöüäöüäöüä", 10).is_ok());
    }

    #[test]
    fn impossible_ids_are_not_found_and_bad_queries_are_400() {
        assert_eq!(checked_id("user", "u_1").unwrap(), "u_1");
        assert_eq!(checked_id("user", "u\u{0}1").unwrap_err().status(), 404);
        assert_eq!(checked_id("user", "").unwrap_err().status(), 404);
        let e = checked_query("actor", Some("user:\u{0}")).unwrap_err();
        assert_eq!(e.status(), 400);
        assert_eq!(e.problem().errors[0].field, "actor");
        assert_eq!(checked_query("actor", None).unwrap(), None);
    }

    #[test]
    fn store_validation_names_the_field() {
        let e = field_error("iban", StoreError::Invalid("IBAN `x` is not valid".into()));
        assert_eq!(e.status(), 422);
        assert_eq!(e.problem().errors[0].field, "iban");
        assert_eq!(
            field_error("iban", StoreError::NotFound("vendor v".into())).status(),
            404
        );
        assert_eq!(
            admin_guard(StoreError::Invalid("last admin".into())).status(),
            409
        );
    }

    #[test]
    fn roles_round_trip_and_unknown_stored_names_are_dropped() {
        let roles = [RoleName::Clerk, RoleName::Admin];
        assert_eq!(RoleName::to_strings(&roles), ["clerk", "admin"]);
        assert_eq!(
            RoleName::from_strings(&["viewer".into(), "root".into()]),
            [RoleName::Viewer]
        );
    }
}
