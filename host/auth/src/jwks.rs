//! The provider's JSON Web Key Set: fetched over HTTP, cached, refreshed when stale or
//! when a token names a key we do not know (rotation), without letting a flood of
//! tokens turn into a flood of fetches.

use crate::jwt::algorithm_name;
use crate::{AuthError, JwksError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// Real key sets are a few KiB; the cap only bounds what a broken endpoint can cost.
const MAX_JWKS_BYTES: usize = 1024 * 1024;
/// Verifications wait for the fetch, so it must not hang for the client's full timeout.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl KeyKind {
    fn fits(self, alg: Algorithm) -> bool {
        use Algorithm::*;
        match self {
            KeyKind::Rsa => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
            KeyKind::P256 => alg == ES256,
            KeyKind::P384 => alg == ES384,
            KeyKind::Ed25519 => alg == EdDSA,
        }
    }
}

/// One usable signing key from the set.
pub(crate) struct VerifyingKey {
    kid: Option<String>,
    kind: KeyKind,
    /// The JWK's own `alg`, when it pins one.
    alg: Option<String>,
    pub key: DecodingKey,
}

impl VerifyingKey {
    /// A header alg the key cannot honestly produce is refused before any crypto:
    /// that is how RSA/EC/HMAC confusion attacks are stopped.
    fn accepts(&self, alg: Algorithm) -> bool {
        self.kind.fits(alg)
            && self
                .alg
                .as_deref()
                .is_none_or(|pinned| pinned == algorithm_name(alg))
    }
}

/// A snapshot of the key set; replaced whole on every successful fetch.
pub(crate) struct KeySet {
    keys: Vec<VerifyingKey>,
    /// Bumped on every successful fetch, so a task that waited for someone else's
    /// fetch can tell that it already happened.
    generation: u64,
    fetched_at: Option<Instant>,
}

pub(crate) enum Lookup<'a> {
    Found(&'a VerifyingKey),
    /// No key with this kid: maybe a rotation we have not seen yet.
    UnknownKid,
}

impl KeySet {
    /// The key for a token with this header; refusals that a refetch cannot change
    /// are errors, an unknown kid is not.
    pub fn find(&self, kid: Option<&str>, alg: Algorithm) -> Result<Lookup<'_>, AuthError> {
        let candidates: Vec<&VerifyingKey> = match kid {
            Some(kid) => self
                .keys
                .iter()
                .filter(|key| key.kid.as_deref() == Some(kid))
                .collect(),
            // Without a kid the choice is only unambiguous with a single key; trying
            // them all would multiply the work an attacker can cause per token.
            None if self.keys.len() > 1 => return Err(AuthError::MissingKeyId),
            None => self.keys.iter().collect(),
        };
        if candidates.is_empty() {
            return Ok(Lookup::UnknownKid);
        }
        candidates
            .into_iter()
            .find(|key| key.accepts(alg))
            .map(Lookup::Found)
            .ok_or(AuthError::AlgorithmKeyMismatch {
                alg: algorithm_name(alg),
            })
    }
}

pub(crate) struct JwksCache {
    url: String,
    client: reqwest::Client,
    max_age: Duration,
    min_refresh: Duration,
    current: RwLock<Arc<KeySet>>,
    /// When the last fetch started, successful or not: the rate limit's clock.
    last_attempt: Mutex<Option<Instant>>,
    /// Held for the whole fetch so that concurrent verifications share one request.
    fetching: tokio::sync::Mutex<()>,
}

/// Why [`JwksCache::refresh`] did not produce a new set.
enum RefreshError {
    TooSoon,
    Failed(JwksError),
}

impl JwksCache {
    pub fn new(
        url: String,
        client: reqwest::Client,
        max_age: Duration,
        min_refresh: Duration,
    ) -> Self {
        JwksCache {
            url,
            client,
            max_age,
            min_refresh,
            current: RwLock::new(Arc::new(KeySet {
                keys: Vec::new(),
                generation: 0,
                fetched_at: None,
            })),
            last_attempt: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    fn snapshot(&self) -> Arc<KeySet> {
        // A panic elsewhere cannot leave an Arc half-written: the value is still good.
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The key set to verify with, fetched first if there is none yet or it is older
    /// than `max_age`.
    pub async fn keys(&self) -> Result<Arc<KeySet>, AuthError> {
        let set = self.snapshot();
        if set
            .fetched_at
            .is_some_and(|fetched| fetched.elapsed() < self.max_age)
        {
            return Ok(set);
        }
        match self.refresh(set.generation).await {
            Ok(fresh) => Ok(fresh),
            // Stale keys beat no keys while the provider is down: they were valid a
            // moment ago, and refusing every user would turn an outage into ours.
            Err(error) if !set.keys.is_empty() => {
                if let RefreshError::Failed(error) = error {
                    tracing::warn!(%error, "JWKS refresh failed; verifying with the cached keys");
                }
                Ok(set)
            }
            Err(RefreshError::TooSoon) => Err(AuthError::JwksUnavailable(JwksError::RetryLater(
                self.min_refresh.as_secs(),
            ))),
            Err(RefreshError::Failed(error)) => Err(AuthError::JwksUnavailable(error)),
        }
    }

    /// A token named a kid that `seen` lacks: fetch again, unless a fetch happened
    /// within `min_refresh` (then the kid is simply unknown).
    pub async fn refresh_for_unknown_kid(&self, seen: &KeySet) -> Result<Arc<KeySet>, AuthError> {
        match self.refresh(seen.generation).await {
            Ok(fresh) => Ok(fresh),
            Err(RefreshError::TooSoon) => Err(AuthError::UnknownKey),
            Err(RefreshError::Failed(error)) => Err(AuthError::JwksUnavailable(error)),
        }
    }

    /// Fetches a new set unless one arrived since the caller looked (`seen_generation`)
    /// or the last attempt is more recent than `min_refresh`.
    async fn refresh(&self, seen_generation: u64) -> Result<Arc<KeySet>, RefreshError> {
        let _only_fetcher = self.fetching.lock().await;
        let current = self.snapshot();
        if current.generation != seen_generation {
            return Ok(current);
        }
        {
            let mut last = self
                .last_attempt
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < self.min_refresh) {
                return Err(RefreshError::TooSoon);
            }
            *last = Some(Instant::now());
        }
        let keys = self.fetch().await.map_err(RefreshError::Failed)?;
        tracing::info!(url = %self.url, keys = keys.len(), "fetched the identity provider's signing keys");
        let fresh = Arc::new(KeySet {
            keys,
            generation: current.generation + 1,
            fetched_at: Some(Instant::now()),
        });
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::clone(&fresh);
        Ok(fresh)
    }

    async fn fetch(&self) -> Result<Vec<VerifyingKey>, JwksError> {
        let url = || self.url.clone();
        let http = |source| JwksError::Http { url: url(), source };
        let mut response = self
            .client
            .get(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .map_err(http)?;
        if !response.status().is_success() {
            return Err(JwksError::Status {
                url: url(),
                status: response.status().as_u16(),
            });
        }
        let too_large = || JwksError::TooLarge {
            url: url(),
            limit: MAX_JWKS_BYTES,
        };
        if response
            .content_length()
            .is_some_and(|len| len > MAX_JWKS_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(http)? {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let document: JwksDocument = serde_json::from_slice(&body)
            .map_err(|source| JwksError::Json { url: url(), source })?;
        let keys: Vec<VerifyingKey> = document.keys.into_iter().filter_map(usable_key).collect();
        if keys.is_empty() {
            return Err(JwksError::NoUsableKey { url: url() });
        }
        Ok(keys)
    }
}

#[derive(Deserialize)]
struct JwksDocument {
    keys: Vec<serde_json::Value>,
}

/// The members of a JWK that matter for verification (RFC 7517, 7518, 8037).
#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    key_ops: Option<Vec<String>>,
    alg: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

/// Keeps the signature-verification keys Papyr supports and skips the rest, so that
/// one odd key (Keycloak publishes an RSA-OAEP encryption key beside its signing
/// keys) does not make the whole set unusable.
fn usable_key(value: serde_json::Value) -> Option<VerifyingKey> {
    let jwk: RawJwk = serde_json::from_value(value).ok()?;
    if jwk.use_.as_deref().is_some_and(|use_| use_ != "sig") {
        return None;
    }
    if jwk
        .key_ops
        .as_ref()
        .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
    {
        return None;
    }
    let (kind, key) = match (jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("RSA", _) => (
            KeyKind::Rsa,
            DecodingKey::from_rsa_components(jwk.n.as_deref()?, jwk.e.as_deref()?).ok()?,
        ),
        ("EC", Some(curve @ ("P-256" | "P-384"))) => {
            let (kind, len) = if curve == "P-256" {
                (KeyKind::P256, 32)
            } else {
                (KeyKind::P384, 48)
            };
            let x = jwk.x.as_deref()?;
            let y = jwk.y.as_deref()?;
            if decoded_len(x)? != len || decoded_len(y)? != len {
                return None;
            }
            (kind, DecodingKey::from_ec_components(x, y).ok()?)
        }
        ("OKP", Some("Ed25519")) => {
            let x = jwk.x.as_deref()?;
            if decoded_len(x)? != 32 {
                return None;
            }
            (KeyKind::Ed25519, DecodingKey::from_ed_components(x).ok()?)
        }
        // Symmetric ("oct") keys have no place in a public key set; other curves and
        // key types are not used by the supported providers.
        _ => return None,
    };
    // A key pinned to an algorithm Papyr does not verify (e.g. "RSA-OAEP") is not a
    // signing key for us, whatever its `use` says.
    if let Some(alg) = jwk.alg.as_deref()
        && !SIGNATURE_ALGORITHMS
            .iter()
            .any(|&supported| algorithm_name(supported) == alg && kind.fits(supported))
    {
        return None;
    }
    Some(VerifyingKey {
        kid: jwk.kid,
        kind,
        alg: jwk.alg,
        key,
    })
}

const SIGNATURE_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

fn decoded_len(b64: &str) -> Option<usize> {
    URL_SAFE_NO_PAD.decode(b64).ok().map(|bytes| bytes.len())
}
