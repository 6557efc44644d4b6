//! OpenID Connect bearer tokens: configuration, verification and the claims Papyr
//! reads from them.

use crate::jwks::{JwksCache, Lookup};
use crate::jwt::{self, Expectations};
use crate::{AuthError, Principal};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How to trust one OpenID Connect provider. Nothing here is secret: an API that only
/// verifies tokens needs no client secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// Must equal the token's `iss` exactly (no trailing-slash tolerance).
    pub issuer: String,
    /// Must be the token's `aud` or one of its elements: Papyr's client id.
    pub audience: String,
    /// Where the provider publishes its signing keys; https, or http on loopback.
    pub jwks_url: String,
    /// Dotted path to the Papyr tenant id, e.g. `papyr_tenant` or `ext.tenant`.
    #[serde(default = "default_tenant_claim")]
    pub tenant_claim: String,
    /// Dotted path to the role list; Keycloak puts realm roles at `realm_access.roles`.
    #[serde(default = "default_roles_claim")]
    pub roles_claim: String,
    #[serde(default = "default_email_claim")]
    pub email_claim: String,
    /// Tolerated clock skew for `exp` and `nbf`.
    #[serde(default = "default_leeway_secs")]
    pub leeway_secs: u64,
    /// Keys older than this are fetched again before use.
    #[serde(default = "default_jwks_cache_secs")]
    pub jwks_cache_secs: u64,
    /// The least time between two fetches, whatever unknown kids tokens name.
    #[serde(default = "default_jwks_min_refresh_secs")]
    pub jwks_min_refresh_secs: u64,
}

fn default_tenant_claim() -> String {
    "papyr_tenant".into()
}
fn default_roles_claim() -> String {
    "roles".into()
}
fn default_email_claim() -> String {
    "email".into()
}
fn default_leeway_secs() -> u64 {
    60
}
fn default_jwks_cache_secs() -> u64 {
    600
}
fn default_jwks_min_refresh_secs() -> u64 {
    30
}

impl OidcConfig {
    /// A configuration with every optional field at its default.
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        jwks_url: impl Into<String>,
    ) -> OidcConfig {
        OidcConfig {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks_url: jwks_url.into(),
            tenant_claim: default_tenant_claim(),
            roles_claim: default_roles_claim(),
            email_claim: default_email_claim(),
            leeway_secs: default_leeway_secs(),
            jwks_cache_secs: default_jwks_cache_secs(),
            jwks_min_refresh_secs: default_jwks_min_refresh_secs(),
        }
    }

    fn validate(&self) -> Result<(), AuthError> {
        let bad = |why: &str| Err(AuthError::Config(why.into()));
        if self.issuer.trim().is_empty() {
            return bad("issuer is empty");
        }
        if self.audience.trim().is_empty() {
            return bad("audience is empty");
        }
        for (name, path) in [
            ("tenant_claim", &self.tenant_claim),
            ("roles_claim", &self.roles_claim),
            ("email_claim", &self.email_claim),
        ] {
            if path.is_empty() {
                return bad(&format!("{name} is empty"));
            }
        }
        let Ok(url) = reqwest::Url::parse(&self.jwks_url) else {
            return bad("jwks_url is not a URL");
        };
        // Whoever can alter the key set in transit can mint tokens for any tenant.
        let loopback = match url.host_str() {
            Some("localhost") => true,
            Some(host) => host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback()),
            None => false,
        };
        match url.scheme() {
            "https" => Ok(()),
            "http" if loopback => Ok(()),
            _ => bad("jwks_url must use https (plain http only on a loopback address)"),
        }
    }
}

/// What Papyr reads from a verified token.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// `sub`.
    pub subject: String,
    /// At `tenant_claim`, if it is a non-empty string.
    pub tenant: Option<String>,
    /// At `roles_claim`: an array of strings (other elements ignored) or one
    /// space-separated string; empty if absent.
    pub roles: Vec<String>,
    /// At `email_claim`, if it is a string.
    pub email: Option<String>,
    /// The whole payload, for claims Papyr does not map itself.
    pub raw: Value,
}

/// Verifies bearer tokens from one provider. Cheap to share: wrap it in an `Arc`.
pub struct OidcVerifier {
    config: OidcConfig,
    keys: JwksCache,
}

impl std::fmt::Debug for OidcVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcVerifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl OidcVerifier {
    /// Fetches nothing yet: the first verification loads the keys, so a provider that
    /// is down at startup costs 503s, not a failed start.
    pub fn new(config: OidcConfig, client: reqwest::Client) -> Result<OidcVerifier, AuthError> {
        config.validate()?;
        let keys = JwksCache::new(
            config.jwks_url.clone(),
            client,
            Duration::from_secs(config.jwks_cache_secs),
            Duration::from_secs(config.jwks_min_refresh_secs),
        );
        Ok(OidcVerifier { config, keys })
    }

    pub fn config(&self) -> &OidcConfig {
        &self.config
    }

    /// Checks the token's signature, `exp`, `nbf`, `iss` and `aud`, then reads its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let token = jwt::parse(token)?;
        let kid = token.kid.as_deref();
        let mut keys = self.keys.keys().await?;
        if let Lookup::UnknownKid = keys.find(kid, token.alg)? {
            keys = self.keys.refresh_for_unknown_kid(&keys).await?;
        }
        let Lookup::Found(key) = keys.find(kid, token.alg)? else {
            return Err(AuthError::UnknownKey);
        };
        token.verify_signature(&key.key)?;
        jwt::validate_claims(
            &token.payload,
            &Expectations {
                issuer: &self.config.issuer,
                audience: &self.config.audience,
                leeway_secs: i64::try_from(self.config.leeway_secs).unwrap_or(i64::MAX),
                now: unix_now(),
            },
        )?;
        Ok(self.claims(token.payload))
    }

    /// [`verify`](Self::verify) then [`Principal::from_claims`].
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        Principal::from_claims(&self.verify(token).await?)
    }

    fn claims(&self, payload: Map<String, Value>) -> Claims {
        let string_at = |path: &str| {
            claim_at(&payload, path)
                .and_then(Value::as_str)
                .filter(|value| !value.is_empty())
                .map(String::from)
        };
        let roles = match claim_at(&payload, &self.config.roles_claim) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
            Some(Value::String(list)) => list.split_whitespace().map(String::from).collect(),
            _ => Vec::new(),
        };
        Claims {
            // validate_claims has established that `sub` is a non-empty string.
            subject: string_at("sub").unwrap_or_default(),
            tenant: string_at(&self.config.tenant_claim),
            roles,
            email: string_at(&self.config.email_claim),
            raw: Value::Object(payload),
        }
    }
}

/// The claim at a dotted path. A top-level claim whose name itself contains dots (a
/// namespaced claim such as `https://papyr.example/tenant`) wins over the path.
fn claim_at<'a>(payload: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(value) = payload.get(path) {
        return Some(value);
    }
    let mut segments = path.split('.');
    let mut value = payload.get(segments.next()?)?;
    for segment in segments {
        value = value.as_object()?.get(segment)?;
    }
    Some(value)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
