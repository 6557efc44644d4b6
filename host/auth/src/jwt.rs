//! The JWS compact form: parsing the header and payload before any key is chosen,
//! checking the signature, then the registered claims.
//!
//! The header is read by hand rather than by `jsonwebtoken::decode_header` so that
//! `alg: none`, HMAC and unknown algorithms each get their own refusal instead of one
//! generic parse error.

use crate::AuthError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

/// Far above any real provider's token (Entra's are ~2 KiB), low enough that a
/// garbage header costs nothing to refuse.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// A token whose shape and header are acceptable; its signature is not checked yet.
pub(crate) struct UnverifiedToken<'a> {
    pub alg: Algorithm,
    pub kid: Option<String>,
    /// `header.payload`, the bytes the signature covers.
    signing_input: &'a str,
    signature: &'a str,
    pub payload: Map<String, Value>,
}

pub(crate) fn parse(token: &str) -> Result<UnverifiedToken<'_>, AuthError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(AuthError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(AuthError::Malformed);
    };
    let header = decode_object(header)?;
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => accepted_algorithm(alg)?,
        _ => return Err(AuthError::Malformed),
    };
    // RFC 7515 §4.1.11: a recipient must refuse extensions it does not understand.
    if header.contains_key("crit") {
        return Err(AuthError::CriticalHeader);
    }
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(AuthError::Malformed),
    };
    let payload_object = decode_object(payload)?;
    if signature.is_empty() {
        return Err(AuthError::Malformed);
    }
    let signing_input_len = token.len() - signature.len() - 1;
    Ok(UnverifiedToken {
        alg,
        kid,
        signing_input: &token[..signing_input_len],
        signature,
        payload: payload_object,
    })
}

fn decode_object(segment: &str) -> Result<Map<String, Value>, AuthError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| AuthError::Malformed)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(object)) => Ok(object),
        _ => Err(AuthError::Malformed),
    }
}

/// The asymmetric algorithms the supported providers sign with.
fn accepted_algorithm(name: &str) -> Result<Algorithm, AuthError> {
    Ok(match name {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        "HS256" => return Err(AuthError::SymmetricAlgorithm("HS256")),
        "HS384" => return Err(AuthError::SymmetricAlgorithm("HS384")),
        "HS512" => return Err(AuthError::SymmetricAlgorithm("HS512")),
        // Case-insensitive because "None" and "NONE" are classic filter bypasses.
        other if other.eq_ignore_ascii_case("none") => return Err(AuthError::AlgNone),
        _ => return Err(AuthError::UnsupportedAlgorithm),
    })
}

pub(crate) fn algorithm_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::HS256 => "HS256",
        Algorithm::HS384 => "HS384",
        Algorithm::HS512 => "HS512",
        Algorithm::RS256 => "RS256",
        Algorithm::RS384 => "RS384",
        Algorithm::RS512 => "RS512",
        Algorithm::PS256 => "PS256",
        Algorithm::PS384 => "PS384",
        Algorithm::PS512 => "PS512",
        Algorithm::ES256 => "ES256",
        Algorithm::ES384 => "ES384",
        Algorithm::EdDSA => "EdDSA",
    }
}

impl UnverifiedToken<'_> {
    /// The caller has already checked that `key` is of the family `self.alg` needs.
    pub fn verify_signature(&self, key: &DecodingKey) -> Result<(), AuthError> {
        match jsonwebtoken::crypto::verify(
            self.signature,
            self.signing_input.as_bytes(),
            key,
            self.alg,
        ) {
            Ok(true) => Ok(()),
            Ok(false) => Err(AuthError::BadSignature),
            // Only an undecodable signature segment gets here.
            Err(_) => Err(AuthError::Malformed),
        }
    }
}

/// What the registered claims must satisfy.
pub(crate) struct Expectations<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub leeway_secs: i64,
    /// Seconds since the Unix epoch.
    pub now: i64,
}

/// Checks `exp` (required), `nbf` (if present), `iss`, `aud` and `sub`. Run only after
/// the signature: an unauthenticated token learns nothing about its claims.
pub(crate) fn validate_claims(
    payload: &Map<String, Value>,
    expect: &Expectations<'_>,
) -> Result<(), AuthError> {
    let exp = payload
        .get("exp")
        .and_then(numeric_date)
        .ok_or(AuthError::MissingClaim("exp"))?;
    if expect.now >= exp.saturating_add(expect.leeway_secs) {
        return Err(AuthError::Expired);
    }
    if let Some(nbf) = payload.get("nbf") {
        let nbf = numeric_date(nbf).ok_or(AuthError::MissingClaim("nbf"))?;
        if expect.now.saturating_add(expect.leeway_secs) < nbf {
            return Err(AuthError::NotYetValid);
        }
    }
    match payload.get("iss") {
        None => return Err(AuthError::MissingClaim("iss")),
        Some(Value::String(iss)) if iss == expect.issuer => {}
        Some(_) => return Err(AuthError::WrongIssuer),
    }
    let audience_ok = match payload.get("aud") {
        None => return Err(AuthError::MissingClaim("aud")),
        Some(Value::String(aud)) => aud == expect.audience,
        Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(expect.audience)),
        Some(_) => false,
    };
    if !audience_ok {
        return Err(AuthError::WrongAudience);
    }
    match payload.get("sub") {
        Some(Value::String(sub)) if !sub.is_empty() => Ok(()),
        _ => Err(AuthError::MissingClaim("sub")),
    }
}

/// RFC 7519 NumericDate: seconds since the epoch, possibly fractional.
fn numeric_date(value: &Value) -> Option<i64> {
    if let Some(seconds) = value.as_i64() {
        return Some(seconds);
    }
    let seconds = value.as_f64()?;
    (seconds.is_finite() && seconds.abs() < 1e15).then(|| seconds.floor() as i64)
}
