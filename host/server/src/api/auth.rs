//! Who is calling: the [`Caller`] extractor turns a request's credentials into a
//! [`Principal`] (and counts it against the caller's rate limit), [`RequireRole`]
//! guards an endpoint by role.
//!
//! - `Authorization: Bearer papyr_<key_id>_<secret>`: an API key, in every mode,
//!   looked up through [`ApiKeyLookup`].
//! - `Authorization: Bearer <JWT>`: in `oidc` mode, verified by papyr-auth against
//!   the provider's keys; the tenant claim holds the tenant's slug.
//! - no `Authorization`: in `local` mode the demo tenant's local administrator,
//!   otherwise 401.
use super::ApiState;
use super::error::ApiError;
use super::rate_limit::retry_after_secs;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use papyr_auth::{Bearer, OidcVerifier, Principal, PrincipalKind, Role};
use std::collections::HashMap;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What checking a presented API key needs from storage.
#[derive(Clone)]
pub struct StoredApiKey {
    pub tenant_id: String,
    /// `papyr_auth::hash_secret` of the secret.
    pub hash: String,
    /// Role names; unknown names are ignored.
    pub roles: Vec<String>,
    pub revoked: bool,
}

/// Where API keys live (the database; a map in tests).
pub trait ApiKeyLookup: Send + Sync {
    /// The key with this id, whatever its tenant (the key names the tenant).
    fn api_key<'a>(
        &'a self,
        key_id: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Option<StoredApiKey>>>;

    /// Called after a key was accepted; best effort.
    fn key_used<'a>(&'a self, _tenant_id: &'a str, _key_id: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

/// Tenant slugs (what a token's tenant claim holds) to tenant ids, and a token's
/// subject to the tenant's user.
pub trait TenantLookup: Send + Sync {
    fn tenant_id<'a>(&'a self, slug: &'a str) -> BoxFuture<'a, anyhow::Result<Option<String>>>;

    /// The tenant's user behind a verified token, created on first sight with the
    /// token's roles.
    fn user<'a>(
        &'a self,
        tenant_id: &'a str,
        subject: &'a str,
        email: Option<&'a str>,
        token_roles: &'a [String],
    ) -> BoxFuture<'a, anyhow::Result<UserLookup>>;
}

/// Who a token's subject is in the tenant.
#[derive(Debug, Clone)]
pub enum UserLookup {
    /// An active user: its id and the roles an admin gave it in Papyr.
    Active { user_id: String, roles: Vec<String> },
    /// Disabled, or not matchable (the reason is safe to show).
    Refused(String),
}

impl ApiKeyLookup for papyr_store::Db {
    fn api_key<'a>(
        &'a self,
        key_id: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<Option<StoredApiKey>>> {
        Box::pin(async move {
            Ok(self.api_key_for_auth(key_id).await?.map(|k| StoredApiKey {
                tenant_id: k.tenant_id,
                hash: k.hash,
                roles: k.roles,
                revoked: k.revoked,
            }))
        })
    }

    fn key_used<'a>(&'a self, tenant_id: &'a str, key_id: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            if let Err(e) = self.touch_api_key(tenant_id, key_id).await {
                tracing::debug!(key = key_id, error = %e, "could not record the API key's use");
            }
        })
    }
}

impl TenantLookup for papyr_store::Db {
    fn tenant_id<'a>(&'a self, slug: &'a str) -> BoxFuture<'a, anyhow::Result<Option<String>>> {
        Box::pin(async move { Ok(self.tenant_by_slug(slug).await?.map(|t| t.id)) })
    }

    fn user<'a>(
        &'a self,
        tenant_id: &'a str,
        subject: &'a str,
        email: Option<&'a str>,
        token_roles: &'a [String],
    ) -> BoxFuture<'a, anyhow::Result<UserLookup>> {
        Box::pin(async move {
            // A read first: the write below happens once per new user or changed email.
            if let Some(u) = self.user_by_subject(tenant_id, subject).await?
                && (email.is_none() || email.map(str::to_lowercase).as_deref() == Some(&u.email))
            {
                return Ok(if u.is_active() {
                    UserLookup::Active {
                        user_id: u.id,
                        roles: u.roles,
                    }
                } else {
                    UserLookup::Refused(format!("user {} is disabled in this tenant", u.email))
                });
            }
            let Some(email) = email else {
                return Ok(UserLookup::Refused(
                    "the token carries no email claim (api.oidc_email_claim) and its subject is not a user of this tenant".into(),
                ));
            };
            match self
                .ensure_user_for_subject(tenant_id, subject, email, token_roles)
                .await
            {
                Ok(u) => Ok(UserLookup::Active {
                    user_id: u.id,
                    roles: u.roles,
                }),
                Err(
                    papyr_store::StoreError::Forbidden(m) | papyr_store::StoreError::Invalid(m),
                ) => Ok(UserLookup::Refused(m)),
                Err(e) => Err(e.into()),
            }
        })
    }
}

/// How requests without an API key are authenticated.
pub enum Mode {
    /// No identity provider: a request without credentials is this tenant's local
    /// administrator.
    Local { tenant_id: String },
    Oidc {
        verifier: Box<OidcVerifier>,
        tenants: Arc<dyn TenantLookup>,
    },
}

/// Slug → tenant id answers are kept this long: tenants are created rarely and never
/// renamed, and a token would otherwise cost a query per request.
const TENANT_CACHE_TTL: Duration = Duration::from_secs(60);

/// A token's user (id and stored roles) is kept this long: a role change or a
/// disabled user takes effect within it.
const USER_CACHE_TTL: Duration = Duration::from_secs(30);

/// A key's use is reported at most this often from one process: on SQLite even an
/// UPDATE that changes nothing takes the write lock the workers need.
const KEY_USE_INTERVAL: Duration = Duration::from_secs(60);

/// When it was looked up, the user id, the roles given in Papyr.
type CachedUser = (Instant, String, Vec<String>);

pub struct Authenticator {
    mode: Mode,
    keys: Arc<dyn ApiKeyLookup>,
    tenant_cache: Mutex<HashMap<String, (Instant, String)>>,
    user_cache: Mutex<HashMap<String, CachedUser>>,
    key_use_reported: Mutex<HashMap<String, Instant>>,
}

impl Authenticator {
    pub fn new(mode: Mode, keys: Arc<dyn ApiKeyLookup>) -> Authenticator {
        Authenticator {
            mode,
            keys,
            tenant_cache: Mutex::new(HashMap::new()),
            user_cache: Mutex::new(HashMap::new()),
            key_use_reported: Mutex::new(HashMap::new()),
        }
    }

    /// The principal for an `Authorization` header value (`None`: no header).
    pub async fn authenticate(&self, authorization: Option<&[u8]>) -> Result<Principal, ApiError> {
        let Some(raw) = authorization else {
            return match &self.mode {
                Mode::Local { tenant_id } => Ok(Principal::local(tenant_id.clone())),
                Mode::Oidc { .. } => Err(ApiError::unauthorized(
                    "missing credentials: send `Authorization: Bearer <token or API key>`",
                    false,
                )),
            };
        };
        let token = std::str::from_utf8(raw)
            .ok()
            .and_then(papyr_auth::bearer_token)
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "the Authorization header must be `Bearer <token or API key>`",
                    true,
                )
            })?;
        match papyr_auth::classify_bearer(token) {
            Bearer::ApiKey { key_id, secret } => self.api_key(key_id, secret).await,
            Bearer::Jwt(jwt) => self.jwt(jwt).await,
        }
    }

    async fn api_key(&self, key_id: &str, secret: &str) -> Result<Principal, ApiError> {
        let invalid = || ApiError::unauthorized("invalid API key", true);
        let stored = self
            .keys
            .api_key(key_id)
            .await
            .map_err(|e| ApiError::unavailable("cannot check the API key now", e))?
            .ok_or_else(invalid)?;
        if !papyr_auth::verify_secret(secret, &stored.hash) {
            return Err(invalid());
        }
        if stored.revoked {
            return Err(ApiError::unauthorized("this API key was revoked", true));
        }
        if self.should_report_use(key_id) {
            self.keys.key_used(&stored.tenant_id, key_id).await;
        }
        let mut roles: Vec<Role> = stored.roles.iter().filter_map(|r| r.parse().ok()).collect();
        roles.sort();
        roles.dedup();
        Ok(Principal {
            subject: key_id.to_string(),
            tenant_id: stored.tenant_id,
            roles,
            kind: PrincipalKind::ApiKey {
                key_id: key_id.to_string(),
            },
        })
    }

    async fn jwt(&self, token: &str) -> Result<Principal, ApiError> {
        let Mode::Oidc { verifier, tenants } = &self.mode else {
            return Err(ApiError::unauthorized(
                "identity-provider tokens are not accepted in local mode (api.auth = \"local\"): send no credentials or an API key",
                true,
            ));
        };
        let claims = verifier.verify(token).await.map_err(|e| {
            if e.is_unavailable() {
                ApiError::unavailable(e.to_string(), e)
            } else {
                ApiError::unauthorized(e.to_string(), true)
            }
        })?;
        let mut principal = Principal::from_claims(&claims)
            .map_err(|e| ApiError::unauthorized(e.to_string(), true))?;
        let slug = std::mem::take(&mut principal.tenant_id);
        principal.tenant_id = self.resolve_tenant(tenants.as_ref(), &slug).await?;
        // The caller is the tenant's user for this subject (audit, segregation of
        // duties), with the token's roles plus those an admin gave it in Papyr —
        // Google tokens, for one, carry no roles.
        let token_roles: Vec<String> = principal
            .roles
            .iter()
            .map(|r| r.as_str().to_string())
            .collect();
        let (user_id, stored_roles) = self
            .resolve_user(
                tenants.as_ref(),
                &principal.tenant_id,
                &claims.subject,
                claims.email.as_deref(),
                &token_roles,
            )
            .await?;
        principal.subject = user_id;
        for role in stored_roles.iter().filter_map(|r| r.parse::<Role>().ok()) {
            if !principal.roles.contains(&role) {
                principal.roles.push(role);
            }
        }
        Ok(principal)
    }

    async fn resolve_user(
        &self,
        tenants: &dyn TenantLookup,
        tenant_id: &str,
        subject: &str,
        email: Option<&str>,
        token_roles: &[String],
    ) -> Result<(String, Vec<String>), ApiError> {
        let key = format!("{tenant_id}\u{0}{subject}");
        if let Some((at, id, roles)) = self.users().get(&key)
            && at.elapsed() < USER_CACHE_TTL
        {
            return Ok((id.clone(), roles.clone()));
        }
        match tenants
            .user(tenant_id, subject, email, token_roles)
            .await
            .map_err(|e| ApiError::unavailable("cannot check the user now", e))?
        {
            UserLookup::Active { user_id, roles } => {
                self.users()
                    .insert(key, (Instant::now(), user_id.clone(), roles.clone()));
                Ok((user_id, roles))
            }
            UserLookup::Refused(why) => Err(ApiError::unauthorized(why, true)),
        }
    }

    fn users(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedUser>> {
        let mut users = self.user_cache.lock().unwrap_or_else(|e| e.into_inner());
        if users.len() > 10_000 {
            users.retain(|_, (at, _, _)| at.elapsed() < USER_CACHE_TTL);
        }
        users
    }

    async fn resolve_tenant(
        &self,
        tenants: &dyn TenantLookup,
        slug: &str,
    ) -> Result<String, ApiError> {
        if let Some((at, id)) = self.cache().get(slug)
            && at.elapsed() < TENANT_CACHE_TTL
        {
            return Ok(id.clone());
        }
        let id = tenants
            .tenant_id(slug)
            .await
            .map_err(|e| ApiError::unavailable("cannot check the tenant now", e))?
            .ok_or_else(|| ApiError::unauthorized("the token's tenant is not known here", true))?;
        self.cache()
            .insert(slug.to_string(), (Instant::now(), id.clone()));
        Ok(id)
    }

    fn should_report_use(&self, key_id: &str) -> bool {
        let mut reported = self
            .key_use_reported
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if reported.len() > 10_000 {
            reported.retain(|_, at| now.duration_since(*at) < KEY_USE_INTERVAL);
        }
        match reported.get(key_id) {
            Some(at) if now.duration_since(*at) < KEY_USE_INTERVAL => false,
            _ => {
                reported.insert(key_id.to_string(), now);
                true
            }
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, String)>> {
        self.tenant_cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The authenticated caller of a request. Handlers take it as an argument; it
/// dereferences to the [`Principal`].
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Deref for Caller {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0
    }
}

/// Whose bucket a request is counted in.
fn rate_key(p: &Principal) -> String {
    match &p.kind {
        PrincipalKind::ApiKey { key_id } => format!("key:{key_id}"),
        PrincipalKind::User { .. } => format!("user:{}:{}", p.tenant_id, p.subject),
        PrincipalKind::Local => format!("local:{}", p.tenant_id),
    }
}

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Caller, ApiError> {
        // The middleware authenticated the request already; a handler's extractor
        // must not count it twice.
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let header = parts.headers.get(AUTHORIZATION).map(|v| v.as_bytes());
        let principal = state.auth.authenticate(header).await?;
        state
            .limiter
            .check(&rate_key(&principal))
            .map_err(|wait| ApiError::rate_limited(retry_after_secs(wait)))?;
        tracing::Span::current().record("caller", principal.subject.as_str());
        let caller = Caller(principal);
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// Middleware on every API route: no handler can forget to authenticate.
pub async fn require_caller(
    State(state): State<ApiState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let (mut parts, body) = req.into_parts();
    Caller::from_request_parts(&mut parts, &state).await?;
    Ok(next.run(Request::from_parts(parts, body)).await)
}

/// Role guards: `caller.require(Role::Approver)?` answers 403 unless the caller has
/// the role (administrators have every role).
pub trait RequireRole {
    fn require(&self, role: Role) -> Result<(), ApiError>;
    /// Any one of `roles`.
    fn require_any(&self, roles: &[Role]) -> Result<(), ApiError>;
    /// Any role at all in the tenant: what reading needs.
    fn require_member(&self) -> Result<(), ApiError> {
        self.require_any(&Role::ALL)
    }
}

impl RequireRole for Principal {
    fn require(&self, role: Role) -> Result<(), ApiError> {
        self.require_any(&[role])
    }

    fn require_any(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.has(*r)) {
            return Ok(());
        }
        let needed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let held: Vec<&str> = self.roles.iter().map(|r| r.as_str()).collect();
        Err(ApiError::forbidden(format!(
            "this needs the {} role (you have: {})",
            needed.join(" or "),
            if held.is_empty() {
                "none".to_string()
            } else {
                held.join(", ")
            }
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Keys(
        HashMap<String, StoredApiKey>,
        std::sync::atomic::AtomicUsize,
    );

    impl ApiKeyLookup for Keys {
        fn key_used<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, ()> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Box::pin(async {})
        }

        fn api_key<'a>(
            &'a self,
            key_id: &'a str,
        ) -> BoxFuture<'a, anyhow::Result<Option<StoredApiKey>>> {
            Box::pin(async move { Ok(self.0.get(key_id).cloned()) })
        }
    }

    fn keys_with(roles: &[&str], revoked: bool) -> (Arc<Keys>, String) {
        let key = papyr_auth::ApiKey::generate();
        let stored = StoredApiKey {
            tenant_id: "t_acme".into(),
            hash: key.hash.clone(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            revoked,
        };
        (
            Arc::new(Keys(
                HashMap::from([(key.key_id.clone(), stored)]),
                Default::default(),
            )),
            key.secret_plaintext,
        )
    }

    fn local(keys: Arc<Keys>) -> Authenticator {
        Authenticator::new(
            Mode::Local {
                tenant_id: "t_demo".into(),
            },
            keys,
        )
    }

    #[tokio::test]
    async fn local_mode_without_credentials_is_the_local_admin() {
        let (keys, _) = keys_with(&[], false);
        let p = local(keys).authenticate(None).await.unwrap();
        assert_eq!(p.tenant_id, "t_demo");
        assert!(p.has(Role::Admin));
        assert_eq!(p.kind, PrincipalKind::Local);
    }

    #[tokio::test]
    async fn api_keys_name_their_tenant_and_roles() {
        let (keys, token) = keys_with(&["clerk", "Viewer", "superuser"], false);
        let auth = local(keys.clone());
        let header = format!("Bearer {token}");
        let p = auth.authenticate(Some(header.as_bytes())).await.unwrap();
        auth.authenticate(Some(header.as_bytes())).await.unwrap();
        assert_eq!(
            keys.1.load(std::sync::atomic::Ordering::Relaxed),
            1,
            "use is reported once a minute"
        );
        assert_eq!(p.tenant_id, "t_acme");
        assert_eq!(p.roles, vec![Role::Clerk, Role::Viewer]);
        assert!(matches!(p.kind, PrincipalKind::ApiKey { .. }));
        assert!(p.require(Role::Clerk).is_ok());
        let e = p.require(Role::Approver).unwrap_err();
        assert_eq!(e.status(), 403);
        assert!(e.to_string().contains("approver"), "{e}");
    }

    #[tokio::test]
    async fn bad_credentials_are_401() {
        let (keys, token) = keys_with(&["admin"], false);
        let auth = local(keys);
        // Same key id, another secret.
        let (id_part, _) = token.rsplit_once('_').unwrap();
        let forged = format!("Bearer {id_part}_{}", "A".repeat(43));
        let cases = [
            forged,
            "Basic dXNlcjpwYXNz".to_string(),
            "Bearer".to_string(),
            "Bearer eyJhbGciOiJub25lIn0.e30.".to_string(),
            format!("Bearer papyr_{}_{}", "0".repeat(16), "A".repeat(43)),
        ];
        for header in cases {
            let e = auth
                .authenticate(Some(header.as_bytes()))
                .await
                .unwrap_err();
            assert_eq!(e.status(), 401, "{header}: {e}");
        }
        let (keys, token) = keys_with(&["admin"], true);
        let header = format!("Bearer {token}");
        let e = local(keys)
            .authenticate(Some(header.as_bytes()))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("revoked"), "{e}");
    }

    #[test]
    fn rate_keys_separate_callers() {
        let mut a = Principal::local("t_demo");
        assert_eq!(rate_key(&a), "local:t_demo");
        a.kind = PrincipalKind::ApiKey {
            key_id: "k1".into(),
        };
        assert_eq!(rate_key(&a), "key:k1");
        a.kind = PrincipalKind::User { email: None };
        a.subject = "u1".into();
        assert_eq!(rate_key(&a), "user:t_demo:u1");
    }

    #[test]
    fn admin_passes_every_guard_and_no_roles_passes_none() {
        let admin = Principal::local("t");
        for r in Role::ALL {
            assert!(admin.require(r).is_ok());
        }
        let nobody = Principal {
            roles: vec![],
            ..Principal::local("t")
        };
        let e = nobody.require_member().unwrap_err();
        assert!(e.to_string().contains("(you have: none)"), "{e}");
    }
}
