//! API keys: generation, the token format, hashing and bearer dispatch.

use papyr_auth::{
    ApiKey, Bearer, bearer_token, classify_bearer, hash_secret, parse_api_key, verify_secret,
};

#[test]
fn generated_keys_parse_and_verify() {
    let key = ApiKey::generate();
    let (key_id, secret) = parse_api_key(&key.secret_plaintext).expect("parses");
    assert_eq!(key_id, key.key_id);
    assert_eq!(key.secret_plaintext, format!("papyr_{key_id}_{secret}"));
    assert_eq!(key_id.len(), 16);
    assert_eq!(secret.len(), 43, "256 bits, base64url without padding");
    assert_eq!(key.hash, hash_secret(secret));
    assert_eq!(key.hash.len(), 64);
    assert!(verify_secret(secret, &key.hash));
}

#[test]
fn a_wrong_secret_or_hash_does_not_verify() {
    let key = ApiKey::generate();
    let other = ApiKey::generate();
    let (_, secret) = parse_api_key(&key.secret_plaintext).unwrap();
    let (_, other_secret) = parse_api_key(&other.secret_plaintext).unwrap();
    assert!(!verify_secret(other_secret, &key.hash));
    assert!(!verify_secret(secret, &other.hash));
    assert!(!verify_secret(secret, ""));
    assert!(!verify_secret(secret, &key.hash.to_uppercase()));
    assert!(!verify_secret(secret, &key.hash[..63]));
    assert!(
        !verify_secret(&key.secret_plaintext, &key.hash),
        "the hash covers the secret part"
    );
}

#[test]
fn keys_are_unique_and_the_plaintext_is_not_in_debug() {
    let a = ApiKey::generate();
    let b = ApiKey::generate();
    assert_ne!(a.key_id, b.key_id);
    assert_ne!(a.secret_plaintext, b.secret_plaintext);
    let debug = format!("{a:?}");
    assert!(debug.contains(&a.key_id));
    let (_, secret) = parse_api_key(&a.secret_plaintext).unwrap();
    assert!(!debug.contains(secret), "{debug}");
    assert!(!format!("{:?}", classify_bearer(&a.secret_plaintext)).contains(secret));
}

#[test]
fn hash_is_sha256_hex() {
    // SHA-256("abc"), FIPS 180-2 test vector.
    assert_eq!(
        hash_secret("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn malformed_keys_do_not_parse() {
    let key = ApiKey::generate();
    let (key_id, secret) = parse_api_key(&key.secret_plaintext).unwrap();
    let cases = [
        String::new(),
        "papyr_".into(),
        format!("papyr_{key_id}"),
        format!("papyr_{key_id}_"),
        format!("Papyr_{key_id}_{secret}"),
        format!("other_{key_id}_{secret}"),
        format!("papyr_{}_{secret}", key_id.to_uppercase()),
        format!("papyr_{}_{secret}", &key_id[1..]),
        format!("papyr_{key_id}x_{secret}"),
        format!("papyr_{key_id}_{}", &secret[1..]),
        format!("papyr_{key_id}_{secret}A"),
        format!("papyr_{key_id}_{}=", &secret[1..]),
        format!("papyr_{key_id}_{}", "+".repeat(43)),
        format!(" papyr_{key_id}_{secret}"),
    ];
    for case in &cases {
        assert_eq!(parse_api_key(case), None, "{case}");
    }
}

#[test]
fn bearer_tokens_are_classified() {
    let key = ApiKey::generate();
    let (key_id, secret) = parse_api_key(&key.secret_plaintext).unwrap();
    assert_eq!(
        classify_bearer(&key.secret_plaintext),
        Bearer::ApiKey { key_id, secret }
    );
    let jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln";
    assert_eq!(classify_bearer(jwt), Bearer::Jwt(jwt));
    // Looks like a key but is not one: left to the JWT verifier, which refuses it.
    assert_eq!(classify_bearer("papyr_broken"), Bearer::Jwt("papyr_broken"));
}

#[test]
fn bearer_token_reads_the_authorization_header() {
    assert_eq!(bearer_token("Bearer abc.def.ghi"), Some("abc.def.ghi"));
    assert_eq!(bearer_token("bearer  abc "), Some("abc"));
    assert_eq!(bearer_token("BEARER abc"), Some("abc"));
    assert_eq!(bearer_token("Basic dXNlcjpwYXNz"), None);
    assert_eq!(bearer_token("Bearer"), None);
    assert_eq!(bearer_token("Bearer   "), None);
    assert_eq!(bearer_token(""), None);
}
