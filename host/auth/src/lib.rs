//! Identity for Papyr's REST API: who is calling, for which tenant, with which roles.
//!
//! Three ways in, all ending in a [`Principal`]:
//! - an OpenID Connect bearer token (Keycloak, Microsoft Entra ID, Google), verified
//!   against the provider's published keys by [`OidcVerifier`];
//! - an API key (`papyr_<key_id>_<secret>`) for integrations, whose crypto lives in
//!   [`api_key`] (storage belongs to the caller);
//! - local mode, the embedded default without an identity provider, allowed only on a
//!   loopback address ([`check_local_mode`]).
//!
//! Every refusal is an [`AuthError`] whose message can be sent to the client as is.

pub mod api_key;
mod jwks;
mod jwt;
pub mod local;
pub mod oidc;
pub mod principal;

pub use api_key::{
    ApiKey, Bearer, NewApiKey, bearer_token, classify_bearer, hash_secret, parse_api_key,
    verify_secret,
};
pub use local::check_local_mode;
pub use oidc::{Claims, OidcConfig, OidcVerifier};
pub use principal::{Principal, PrincipalKind, Role};

use std::net::SocketAddr;

/// Why a caller was not authenticated.
///
/// The `Display` text of every variant is safe to return to the client (a 401 detail):
/// it names the rule that failed, never a key, a URL or a library message. Causes that
/// only the operator should see travel as the error's `source`.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("malformed token")]
    Malformed,
    #[error("unsigned tokens (alg: none) are not accepted")]
    AlgNone,
    /// HS256/384/512: with a public-key provider, the only "secret" an attacker could
    /// guess is the public key itself (algorithm confusion).
    #[error("token signed with an algorithm that is not accepted: {0}")]
    SymmetricAlgorithm(&'static str),
    #[error("token signed with an algorithm that is not supported")]
    UnsupportedAlgorithm,
    #[error("token uses critical header extensions that are not supported")]
    CriticalHeader,
    #[error("token algorithm {alg} does not match its signing key")]
    AlgorithmKeyMismatch { alg: &'static str },
    #[error("token has no key id (kid) and the issuer publishes several keys")]
    MissingKeyId,
    #[error("token signed with an unknown key")]
    UnknownKey,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token lacks a valid `{0}` claim")]
    MissingClaim(&'static str),
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
    #[error("token issuer not accepted")]
    WrongIssuer,
    #[error("token audience not accepted")]
    WrongAudience,
    #[error("token carries no tenant")]
    MissingTenant,
    /// The provider's keys could not be fetched: not the caller's fault (a 503).
    #[error("the identity provider's signing keys are unavailable")]
    JwksUnavailable(#[source] JwksError),
    /// Startup only: the OIDC configuration cannot work.
    #[error("invalid OIDC configuration: {0}")]
    Config(String),
    /// Startup only: local mode would hand full rights to the network.
    #[error(
        "refusing to listen on {0} in local mode (every caller would get all roles): listen on 127.0.0.1 or [::1], set api.auth = \"oidc\" (PAPYR_API__AUTH=oidc), or set api.allow_non_loopback_local = true (PAPYR_API__ALLOW_NON_LOOPBACK_LOCAL=true)"
    )]
    LocalModeExposed(SocketAddr),
}

impl AuthError {
    /// True when the failure is on Papyr's or the provider's side rather than the
    /// caller's: answer 503 and let the client retry, instead of 401.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, AuthError::JwksUnavailable(_))
    }
}

/// Why the provider's key set could not be used; for the operator's log only.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("fetching {url} failed: {source}")]
    Http {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url} answered more than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("{url} is not a JSON Web Key Set: {source}")]
    Json {
        url: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{url} holds no usable signing key")]
    NoUsableKey { url: String },
    #[error("the last fetch failed less than {0} s ago; not retrying yet")]
    RetryLater(u64),
}
