//! API keys for integrations: `papyr_<key_id>_<secret>`.
//!
//! The key id is public (it names the stored record and may appear in logs); the
//! secret is 256 random bits, shown once at creation and stored only as a hash.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};
use std::fmt;
use subtle::ConstantTimeEq;

const PREFIX: &str = "papyr_";
/// 8 random bytes as lowercase hex: no `_`, so the token splits unambiguously even
/// though the base64url secret may contain `_`.
const KEY_ID_BYTES: usize = 8;
const SECRET_BYTES: usize = 32;
/// Unpadded base64 of 32 bytes.
const SECRET_CHARS: usize = 43;

/// Namespace for creating keys: `ApiKey::generate()`.
#[derive(Debug, Clone, Copy)]
pub struct ApiKey;

/// A freshly created key. `secret_plaintext` is shown to the admin once and never
/// stored; `hash` is what the database keeps.
#[derive(Clone)]
pub struct NewApiKey {
    pub key_id: String,
    /// The whole bearer token, `papyr_<key_id>_<secret>`.
    pub secret_plaintext: String,
    /// [`hash_secret`] of the secret part.
    pub hash: String,
}

impl fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewApiKey")
            .field("key_id", &self.key_id)
            .field("secret_plaintext", &"<redacted>")
            .field("hash", &self.hash)
            .finish()
    }
}

impl ApiKey {
    /// Creates a key from the operating system's random number generator.
    ///
    /// # Panics
    /// If the operating system cannot supply randomness. On the platforms Papyr runs
    /// on that does not happen once the system is booted; carrying on would risk a
    /// guessable secret, so there is no fallback.
    pub fn generate() -> NewApiKey {
        let rng = SystemRandom::new();
        let mut key_id = [0u8; KEY_ID_BYTES];
        let mut secret = [0u8; SECRET_BYTES];
        // See "Panics": there is no safe way to continue without randomness.
        rng.fill(&mut key_id)
            .expect("the operating system's random number generator failed");
        rng.fill(&mut secret)
            .expect("the operating system's random number generator failed");
        let key_id = hex::encode(key_id);
        let secret = URL_SAFE_NO_PAD.encode(secret);
        NewApiKey {
            secret_plaintext: format!("{PREFIX}{key_id}_{secret}"),
            hash: hash_secret(&secret),
            key_id,
        }
    }
}

/// Splits `papyr_<key_id>_<secret>` into its parts; `None` unless both have exactly
/// the shape [`ApiKey::generate`] produces.
pub fn parse_api_key(token: &str) -> Option<(&str, &str)> {
    let (key_id, secret) = token.strip_prefix(PREFIX)?.split_once('_')?;
    let key_id_ok = key_id.len() == 2 * KEY_ID_BYTES
        && key_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let secret_ok = secret.len() == SECRET_CHARS
        && URL_SAFE_NO_PAD
            .decode(secret)
            .is_ok_and(|bytes| bytes.len() == SECRET_BYTES);
    (key_id_ok && secret_ok).then_some((key_id, secret))
}

/// Lowercase hex SHA-256 of the secret.
///
/// A fast hash is enough here, unlike for passwords: the secret is 256 uniformly random
/// bits, so even a stolen hash table cannot be brute-forced, and a slow hash (argon2,
/// bcrypt) would only add latency to every API request.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, secret.as_bytes()))
}

/// Whether `secret` hashes to `stored_hash`, compared in constant time so the response
/// time says nothing about how many leading characters matched.
pub fn verify_secret(secret: &str, stored_hash: &str) -> bool {
    let computed = hash_secret(secret);
    computed.as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

/// What an `Authorization: Bearer` token is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Bearer<'a> {
    /// Look the key up by `key_id`, then [`verify_secret`].
    ApiKey { key_id: &'a str, secret: &'a str },
    /// Anything else: hand it to the OIDC verifier, which refuses what is not a JWT.
    Jwt(&'a str),
}

impl fmt::Debug for Bearer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bearer::ApiKey { key_id, .. } => f
                .debug_struct("ApiKey")
                .field("key_id", key_id)
                .field("secret", &"<redacted>")
                .finish(),
            Bearer::Jwt(_) => f.write_str("Jwt(<redacted>)"),
        }
    }
}

/// Sorts a bearer token into an API key or a JWT. JWTs start with `eyJ` (a base64
/// JSON object), so they never look like `papyr_…`.
pub fn classify_bearer(token: &str) -> Bearer<'_> {
    match parse_api_key(token) {
        Some((key_id, secret)) => Bearer::ApiKey { key_id, secret },
        None => Bearer::Jwt(token),
    }
}

/// The token of an `Authorization` header value, if its scheme is `Bearer` (the
/// scheme is case-insensitive, RFC 9110 §11.1).
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
