//! OpenID Connect verification against a JWKS served on a loopback port, with real
//! RSA, ECDSA and Ed25519 keys.

mod support;

use papyr_auth::{AuthError, JwksError, OidcConfig, OidcVerifier, PrincipalKind, Role};
use ring::hmac;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use support::*;

/// A server publishing `keys` under their kids, and a verifier with default settings.
async fn setup(keys: &[(&TestKey, &str)]) -> (JwksServer, OidcVerifier) {
    let jwks_body = jwks(&keys.iter().map(|(k, kid)| k.jwk(kid)).collect::<Vec<_>>());
    let server = JwksServer::start(jwks_body).await;
    let verifier = verifier(config(&server.url));
    (server, verifier)
}

fn with(claims: Value, changes: Value) -> Value {
    let mut claims = claims;
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

#[tokio::test]
async fn accepts_a_valid_token_for_each_algorithm() {
    let keys = [
        TestKey::rs256(),
        TestKey::rs512(),
        TestKey::ps256(),
        TestKey::es256(),
        TestKey::es384(),
        TestKey::ed25519(),
    ];
    let kids: Vec<String> = keys.iter().map(|k| format!("kid-{}", k.alg)).collect();
    let published: Vec<(&TestKey, &str)> = keys
        .iter()
        .zip(&kids)
        .map(|(k, kid)| (k, kid.as_str()))
        .collect();
    let (server, verifier) = setup(&published).await;

    for (key, kid) in &published {
        let claims = verifier
            .verify(&key.token(kid, &claims()))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", key.alg));
        assert_eq!(claims.subject, "user-1", "{}", key.alg);
        assert_eq!(claims.tenant.as_deref(), Some("acme"));
        assert_eq!(claims.roles, ["approver"]);
        assert_eq!(claims.email.as_deref(), Some("ada@acme.test"));
        assert_eq!(claims.raw["iss"], ISSUER);
    }
    assert_eq!(
        server.fetches(),
        1,
        "the key set is fetched once and cached"
    );
}

#[tokio::test]
async fn authenticate_maps_the_token_to_a_principal() {
    let key = TestKey::es256();
    let (_server, verifier) = setup(&[(&key, "k1")]).await;
    let token = key.token(
        "k1",
        &with(claims(), json!({ "roles": ["admin", "uma_authorization"] })),
    );
    let principal = verifier.authenticate(&token).await.unwrap();
    assert_eq!(principal.subject, "user-1");
    assert_eq!(principal.tenant_id, "acme");
    assert_eq!(principal.roles, [Role::Admin]);
    assert_eq!(
        principal.kind,
        PrincipalKind::User {
            email: Some("ada@acme.test".into())
        }
    );
}

#[tokio::test]
async fn refuses_expired_tokens_but_tolerates_the_leeway() {
    let key = TestKey::es256();
    let (_server, verifier) = setup(&[(&key, "k1")]).await;

    let expired = key.token("k1", &with(claims(), json!({ "exp": now() - 120 })));
    let err = verifier.verify(&expired).await.unwrap_err();
    assert!(matches!(err, AuthError::Expired), "{err:?}");
    assert_eq!(err.to_string(), "token expired");

    let within_leeway = key.token("k1", &with(claims(), json!({ "exp": now() - 30 })));
    verifier.verify(&within_leeway).await.unwrap();

    let no_exp = key.token("k1", &with(claims(), json!({ "exp": null })));
    let err = verifier.verify(&no_exp).await.unwrap_err();
    assert!(matches!(err, AuthError::MissingClaim("exp")), "{err:?}");

    let text_exp = key.token("k1", &with(claims(), json!({ "exp": "tomorrow" })));
    let err = verifier.verify(&text_exp).await.unwrap_err();
    assert!(matches!(err, AuthError::MissingClaim("exp")), "{err:?}");
}

#[tokio::test]
async fn refuses_tokens_not_yet_valid() {
    let key = TestKey::es256();
    let (_server, verifier) = setup(&[(&key, "k1")]).await;

    let future = key.token("k1", &with(claims(), json!({ "nbf": now() + 600 })));
    let err = verifier.verify(&future).await.unwrap_err();
    assert!(matches!(err, AuthError::NotYetValid), "{err:?}");

    let skewed = key.token("k1", &with(claims(), json!({ "nbf": now() + 30 })));
    verifier.verify(&skewed).await.unwrap();
}

#[tokio::test]
async fn refuses_a_wrong_or_missing_issuer() {
    let key = TestKey::es256();
    let (_server, verifier) = setup(&[(&key, "k1")]).await;

    for iss in [
        json!("https://evil.test/realms/papyr"),
        json!(format!("{ISSUER}/")),
        json!([ISSUER]),
    ] {
        let token = key.token("k1", &with(claims(), json!({ "iss": iss })));
        let err = verifier.verify(&token).await.unwrap_err();
        assert!(matches!(err, AuthError::WrongIssuer), "{iss}: {err:?}");
        assert_eq!(err.to_string(), "token issuer not accepted");
    }
    let token = key.token("k1", &with(claims(), json!({ "iss": null })));
    let err = verifier.verify(&token).await.unwrap_err();
    assert!(matches!(err, AuthError::MissingClaim("iss")), "{err:?}");
}

#[tokio::test]
async fn checks_the_audience_as_a_string_or_an_array() {
    let key = TestKey::es256();
    let (_server, verifier) = setup(&[(&key, "k1")]).await;

    let other = key.token("k1", &with(claims(), json!({ "aud": "another-app" })));
    let err = verifier.verify(&other).await.unwrap_err();
    assert!(matches!(err, AuthError::WrongAudience), "{err:?}");

    let array = key.token(
        "k1",
        &with(claims(), json!({ "aud": ["account", AUDIENCE] })),
    );
    verifier.verify(&array).await.unwrap();

    let array_without = key.token(
        "k1",
        &with(claims(), json!({ "aud": ["account", "other"] })),
    );
    let err = verifier.verify(&array_without).await.unwrap_err();
    assert!(matches!(err, AuthError::WrongAudience), "{err:?}");

    let missing = key.token("k1", &with(claims(), json!({ "aud": null })));
    let err = verifier.verify(&missing).await.unwrap_err();
    assert!(matches!(err, AuthError::MissingClaim("aud")), "{err:?}");
}

#[tokio::test]
async fn refuses_a_token_without_subject() {
    let key = TestKey::es256();
    let (_server, verifier) = setup(&[(&key, "k1")]).await;
    let token = key.token("k1", &with(claims(), json!({ "sub": "" })));
    let err = verifier.verify(&token).await.unwrap_err();
    assert!(matches!(err, AuthError::MissingClaim("sub")), "{err:?}");
}

#[tokio::test]
async fn refuses_alg_none() {
    let key = TestKey::es256();
    let (server, verifier) = setup(&[(&key, "k1")]).await;
    for alg in ["none", "None", "NONE"] {
        let token = format!(
            "{}.{}.",
            b64(json!({ "alg": alg, "kid": "k1" }).to_string()),
            b64(claims().to_string())
        );
        let err = verifier.verify(&token).await.unwrap_err();
        assert!(matches!(err, AuthError::AlgNone), "{alg}: {err:?}");
    }
    assert_eq!(server.fetches(), 0, "refused before any key is needed");
}

#[tokio::test]
async fn refuses_hmac_signed_with_the_public_key_algorithm_confusion() {
    let key = TestKey::rs256();
    let (server, verifier) = setup(&[(&key, "rsa")]).await;
    // What a naive verifier would accept: HS256 keyed with the RSA public key it holds.
    let secret = hmac::Key::new(hmac::HMAC_SHA256, &rsa_material().public_pem);
    let token = assemble(
        &json!({ "alg": "HS256", "kid": "rsa" }),
        &claims(),
        |input| hmac::sign(&secret, input).as_ref().to_vec(),
    );
    let err = verifier.verify(&token).await.unwrap_err();
    assert!(
        matches!(err, AuthError::SymmetricAlgorithm("HS256")),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "token signed with an algorithm that is not accepted: HS256"
    );
    assert_eq!(server.fetches(), 0);

    for alg in ["HS384", "HS512"] {
        let token = assemble(&json!({ "alg": alg, "kid": "rsa" }), &claims(), |_| {
            vec![1; 48]
        });
        let err = verifier.verify(&token).await.unwrap_err();
        assert!(
            matches!(err, AuthError::SymmetricAlgorithm(a) if a == alg),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn refuses_unsupported_algorithms_and_critical_headers() {
    let key = TestKey::es256();
    let (_server, verifier) = setup(&[(&key, "k1")]).await;

    let es512 = assemble(&json!({ "alg": "ES512", "kid": "k1" }), &claims(), |_| {
        vec![1; 132]
    });
    let err = verifier.verify(&es512).await.unwrap_err();
    assert!(matches!(err, AuthError::UnsupportedAlgorithm), "{err:?}");

    let crit = key.token_with_header(
        &json!({ "alg": "ES256", "kid": "k1", "crit": ["b64"], "b64": false }),
        &claims(),
    );
    let err = verifier.verify(&crit).await.unwrap_err();
    assert!(matches!(err, AuthError::CriticalHeader), "{err:?}");
}

#[tokio::test]
async fn refuses_a_header_alg_that_does_not_match_the_key() {
    let rsa = TestKey::rs256();
    let ec = TestKey::es256();
    let p384 = TestKey::es384();
    let mut pinned = rsa.jwk("rsa-pinned");
    pinned["alg"] = json!("RS256");
    let server = JwksServer::start(jwks(&[ec.jwk("ec"), p384.jwk("p384"), pinned])).await;
    let verifier = verifier(config(&server.url));

    // RS256 header naming the EC key (signed with RSA, as an attacker would try).
    let token = rsa.token("ec", &claims());
    let err = verifier.verify(&token).await.unwrap_err();
    assert!(
        matches!(err, AuthError::AlgorithmKeyMismatch { alg: "RS256" }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "token algorithm RS256 does not match its signing key"
    );

    // ES256 header naming a P-384 key.
    let err = verifier
        .verify(&ec.token("p384", &claims()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::AlgorithmKeyMismatch { alg: "ES256" }),
        "{err:?}"
    );

    // PS256 with an RSA key whose JWK pins RS256.
    let ps = TestKey::ps256();
    let err = verifier
        .verify(&ps.token("rsa-pinned", &claims()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::AlgorithmKeyMismatch { alg: "PS256" }),
        "{err:?}"
    );
    // ...while RS256 with it is fine.
    verifier
        .verify(&rsa.token("rsa-pinned", &claims()))
        .await
        .unwrap();
}

#[tokio::test]
async fn refuses_tampered_tokens() {
    let key = TestKey::rs256();
    let (_server, verifier) = setup(&[(&key, "rsa")]).await;
    let token = key.token("rsa", &claims());
    let parts: Vec<&str> = token.split('.').collect();

    let escalated = with(claims(), json!({ "roles": ["admin"] }));
    let tampered = format!("{}.{}.{}", parts[0], b64(escalated.to_string()), parts[2]);
    let err = verifier.verify(&tampered).await.unwrap_err();
    assert!(matches!(err, AuthError::BadSignature), "{err:?}");

    let other_signature = TestKey::es256().sign(b"something else");
    let resigned = format!("{}.{}.{}", parts[0], parts[1], b64(other_signature));
    let err = verifier.verify(&resigned).await.unwrap_err();
    assert!(matches!(err, AuthError::BadSignature), "{err:?}");

    // A valid signature from a key the issuer never published, under a known kid.
    let impostor = TestKey::es256();
    let (_server, ec_verifier) = setup(&[(&TestKey::es256(), "ec")]).await;
    let err = ec_verifier
        .verify(&impostor.token("ec", &claims()))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::BadSignature), "{err:?}");
}

#[tokio::test]
async fn refuses_malformed_tokens() {
    let key = TestKey::es256();
    let (_server, verifier) = setup(&[(&key, "k1")]).await;
    let valid = key.token("k1", &claims());
    let parts: Vec<&str> = valid.split('.').collect();
    let cases = [
        String::new(),
        "not a token".into(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{valid}.extra"),
        format!("{}.{}.", parts[0], parts[1]),
        format!("!!!.{}.{}", parts[1], parts[2]),
        format!("{}.{}.{}", b64("not json"), parts[1], parts[2]),
        format!("{}.{}.{}", b64("[1,2]"), parts[1], parts[2]),
        format!("{}.{}.{}", b64(r#"{"kid":"k1"}"#), parts[1], parts[2]),
        format!(
            "{}.{}.{}",
            b64(r#"{"alg":"ES256","kid":7}"#),
            parts[1],
            parts[2]
        ),
        format!("{}.{}.{}", parts[0], b64("\"a string\""), parts[2]),
        format!("{}.{}.{}", parts[0], parts[1], "*bad*signature*"),
        "a".repeat(20_000),
    ];
    for token in &cases {
        let err = verifier.verify(token).await.unwrap_err();
        assert!(matches!(err, AuthError::Malformed), "{token:.60}: {err:?}");
    }
}

#[tokio::test]
async fn missing_kid_is_refused_only_when_the_set_is_ambiguous() {
    let key = TestKey::es256();
    let header = json!({ "alg": "ES256", "typ": "JWT" });

    let (_server, single) = setup(&[(&key, "only")]).await;
    single
        .verify(&key.token_with_header(&header, &claims()))
        .await
        .unwrap();

    let (_server, several) = setup(&[(&key, "a"), (&TestKey::ed25519(), "b")]).await;
    let err = several
        .verify(&key.token_with_header(&header, &claims()))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::MissingKeyId), "{err:?}");
}

#[tokio::test]
async fn skips_keys_that_are_not_signing_keys() {
    let signing = TestKey::rs256();
    let mut encryption = TestKey::rs256().jwk("enc");
    encryption["use"] = json!("enc");
    encryption["alg"] = json!("RSA-OAEP");
    let hmac_key = json!({ "kty": "oct", "kid": "hmac", "k": b64("shared secret") });
    let server = JwksServer::start(jwks(&[encryption, hmac_key, signing.jwk("sig")])).await;
    let verifier = verifier(config(&server.url));

    // Only one usable key remains, so even a kid-less token is unambiguous.
    let header = json!({ "alg": "RS256" });
    verifier
        .verify(&signing.token_with_header(&header, &claims()))
        .await
        .unwrap();
    // The symmetric key is never a candidate, whatever the token's header says.
    let err = verifier
        .verify(&signing.token("hmac", &claims()))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::UnknownKey), "{err:?}");
}

#[tokio::test]
async fn unknown_kid_refetches_once_and_accepts_the_rotated_key() {
    let old = TestKey::es256();
    let new = TestKey::rs256();
    let server = JwksServer::start(jwks(&[old.jwk("old")])).await;
    let mut config = config(&server.url);
    config.jwks_min_refresh_secs = 1;
    let verifier = verifier(config);

    verifier.verify(&old.token("old", &claims())).await.unwrap();
    assert_eq!(server.fetches(), 1);

    // The provider rotates: the new key is published, tokens start using it.
    server.serve(jwks(&[old.jwk("old"), new.jwk("new")]));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    verifier.verify(&new.token("new", &claims())).await.unwrap();
    assert_eq!(server.fetches(), 2, "one refetch for the unknown kid");

    verifier.verify(&new.token("new", &claims())).await.unwrap();
    verifier.verify(&old.token("old", &claims())).await.unwrap();
    assert_eq!(server.fetches(), 2, "the rotated set is cached");
}

#[tokio::test]
async fn unknown_kid_within_the_refresh_window_is_refused_without_refetch() {
    let old = TestKey::es256();
    let new = TestKey::es256();
    let server = JwksServer::start(jwks(&[old.jwk("old")])).await;
    let verifier = verifier(config(&server.url)); // 30 s window
    verifier.verify(&old.token("old", &claims())).await.unwrap();

    server.serve(jwks(&[old.jwk("old"), new.jwk("new")]));
    let err = verifier
        .verify(&new.token("new", &claims()))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::UnknownKey), "{err:?}");
    assert_eq!(err.to_string(), "token signed with an unknown key");
    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn garbage_kids_refetch_at_most_once_per_window() {
    let key = TestKey::es256();
    let server = JwksServer::start(jwks(&[key.jwk("k1")])).await;
    let mut config = config(&server.url);
    // Wide enough that a loaded CI machine finishes each burst inside one window.
    config.jwks_min_refresh_secs = 2;
    let verifier = Arc::new(verifier(config));
    verifier.verify(&key.token("k1", &claims())).await.unwrap();
    assert_eq!(server.fetches(), 1);

    for i in 0..25 {
        let err = verifier
            .verify(&key.token(&format!("garbage-{i}"), &claims()))
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::UnknownKey), "{err:?}");
    }
    assert_eq!(
        server.fetches(),
        1,
        "the window started with the first fetch"
    );

    tokio::time::sleep(Duration::from_millis(2100)).await;
    for i in 0..25 {
        let err = verifier
            .verify(&key.token(&format!("garbage-{i}"), &claims()))
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::UnknownKey), "{err:?}");
    }
    assert_eq!(server.fetches(), 2, "one refetch in the next window");

    // A concurrent flood in a new window, against a slow provider: still one fetch.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    server.set_delay(Duration::from_millis(200));
    let flood: Vec<_> = (0..25)
        .map(|i| {
            let verifier = Arc::clone(&verifier);
            let token = key.token(&format!("flood-{i}"), &claims());
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    for task in flood {
        let err = task.await.unwrap().unwrap_err();
        assert!(matches!(err, AuthError::UnknownKey), "{err:?}");
    }
    assert_eq!(server.fetches(), 3);
    // Known keys kept working throughout.
    verifier.verify(&key.token("k1", &claims())).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_verifications_share_one_fetch() {
    let key = TestKey::ed25519();
    let (server, verifier) = setup(&[(&key, "k1")]).await;
    server.set_delay(Duration::from_millis(200));
    let verifier = Arc::new(verifier);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let verifier = Arc::clone(&verifier);
            let token = key.token("k1", &claims());
            tokio::spawn(async move { verifier.verify(&token).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn keys_are_refetched_after_the_cache_lifetime() {
    let key = TestKey::es256();
    let server = JwksServer::start(jwks(&[key.jwk("k1")])).await;
    let mut config = config(&server.url);
    config.jwks_cache_secs = 2;
    config.jwks_min_refresh_secs = 0;
    let verifier = verifier(config);

    verifier.verify(&key.token("k1", &claims())).await.unwrap();
    verifier.verify(&key.token("k1", &claims())).await.unwrap();
    assert_eq!(server.fetches(), 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    verifier.verify(&key.token("k1", &claims())).await.unwrap();
    assert_eq!(server.fetches(), 2);

    // Provider down after the lifetime: the stale keys keep working.
    server.set_status(500);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    verifier.verify(&key.token("k1", &claims())).await.unwrap();
    assert_eq!(server.fetches(), 3, "a refresh was attempted");

    // A key removed by the provider stops working once the set is refreshed.
    server.set_status(200);
    let replacement = TestKey::es256();
    server.serve(jwks(&[replacement.jwk("k2")]));
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let err = verifier
        .verify(&key.token("k1", &claims()))
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::UnknownKey), "{err:?}");
}

#[tokio::test]
async fn jwks_server_down_is_the_fetch_error() {
    // A port that was free a moment ago: the connection is refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/certs", listener.local_addr().unwrap());
    drop(listener);
    let verifier = verifier(config(&url));
    let key = TestKey::es256();

    let err = verifier
        .verify(&key.token("k1", &claims()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::JwksUnavailable(JwksError::Http { .. })),
        "{err:?}"
    );
    assert!(err.is_unavailable());
    assert!(
        !err.to_string().contains("127.0.0.1"),
        "the client-facing text names no internals: {err}"
    );
    // Within the window the provider is not retried.
    let err = verifier
        .verify(&key.token("k1", &claims()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::JwksUnavailable(JwksError::RetryLater(30))),
        "{err:?}"
    );
}

#[tokio::test]
async fn bad_jwks_answers_are_the_fetch_error() {
    let key = TestKey::es256();
    let cases = [
        (500, jwks(&[key.jwk("k1")])),
        (200, "<html>login</html>".to_string()),
        (
            200,
            json!({ "keys": [{ "kty": "oct", "k": "c2VjcmV0" }] }).to_string(),
        ),
    ];
    for (status, body) in cases {
        let server = JwksServer::start(body.clone()).await;
        server.set_status(status);
        let verifier = verifier(config(&server.url));
        let err = verifier
            .verify(&key.token("k1", &claims()))
            .await
            .unwrap_err();
        assert!(err.is_unavailable(), "{status} {body}: {err:?}");
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert!(source.is_some(), "the cause is kept for the log");
    }
}

#[tokio::test]
async fn keycloak_realm_roles_via_a_dotted_path() {
    let key = TestKey::rs256();
    let server = JwksServer::start(jwks(&[key.jwk("kc")])).await;
    let mut config = config(&server.url);
    config.roles_claim = "realm_access.roles".into();
    config.tenant_claim = "https://papyr.example/tenant".into();
    let verifier = verifier(config);

    let keycloak_claims = with(
        claims(),
        json!({
            "roles": null,
            "papyr_tenant": null,
            "https://papyr.example/tenant": "globex",
            "realm_access": { "roles": ["offline_access", "clerk", "Viewer", 42] },
            "resource_access": { "account": { "roles": ["manage-account"] } },
        }),
    );
    let claims = verifier
        .verify(&key.token("kc", &keycloak_claims))
        .await
        .unwrap();
    assert_eq!(claims.roles, ["offline_access", "clerk", "Viewer"]);
    let principal = papyr_auth::Principal::from_claims(&claims).unwrap();
    assert_eq!(principal.tenant_id, "globex");
    assert_eq!(principal.roles, [Role::Clerk, Role::Viewer]);
    assert!(!principal.has(Role::Approver));
}

#[tokio::test]
async fn nested_tenant_and_space_separated_roles() {
    let key = TestKey::es256();
    let server = JwksServer::start(jwks(&[key.jwk("k1")])).await;
    let mut config = config(&server.url);
    config.tenant_claim = "papyr.tenant".into();
    config.roles_claim = "scope".into();
    let verifier = verifier(config);
    let token = key.token(
        "k1",
        &with(
            claims(),
            json!({ "papyr": { "tenant": "initech" }, "scope": "openid approver admin" }),
        ),
    );
    let principal = verifier.authenticate(&token).await.unwrap();
    assert_eq!(principal.tenant_id, "initech");
    assert_eq!(principal.roles, [Role::Admin, Role::Approver]);
}

#[tokio::test]
async fn a_token_without_tenant_is_refused() {
    let key = TestKey::es256();
    let (_server, verifier) = setup(&[(&key, "k1")]).await;
    for tenant in [Value::Null, json!(""), json!(17)] {
        let token = key.token(
            "k1",
            &with(claims(), json!({ "papyr_tenant": tenant.clone() })),
        );
        let claims = verifier.verify(&token).await.unwrap();
        assert_eq!(claims.tenant, None, "{tenant}");
        let err = verifier.authenticate(&token).await.unwrap_err();
        assert!(matches!(err, AuthError::MissingTenant), "{tenant}: {err:?}");
    }
}

#[test]
fn configuration_defaults_and_refusals() {
    let config: OidcConfig = serde_json::from_value(json!({
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "jwks_url": "https://idp.papyr.test/certs",
    }))
    .unwrap();
    assert_eq!(
        config,
        OidcConfig::new(ISSUER, AUDIENCE, "https://idp.papyr.test/certs")
    );
    assert_eq!(config.tenant_claim, "papyr_tenant");
    assert_eq!(config.roles_claim, "roles");
    assert_eq!(config.email_claim, "email");
    assert_eq!(
        (
            config.leeway_secs,
            config.jwks_cache_secs,
            config.jwks_min_refresh_secs
        ),
        (60, 600, 30)
    );
    assert!(format!("{config:?}").contains("papyr_tenant"));

    let typo = serde_json::from_value::<OidcConfig>(json!({
        "issuer": ISSUER, "audience": AUDIENCE, "jwks_url": "https://x.test", "role_claim": "roles",
    }));
    assert!(typo.unwrap_err().to_string().contains("role_claim"));

    let client = reqwest::Client::new();
    for (url, ok) in [
        ("https://idp.papyr.test/certs", true),
        ("http://127.0.0.1:8080/certs", true),
        ("http://[::1]:8080/certs", true),
        ("http://localhost:8080/certs", true),
        ("http://idp.papyr.test/certs", false),
        ("ftp://idp.papyr.test/certs", false),
        ("not a url", false),
    ] {
        let result = OidcVerifier::new(OidcConfig::new(ISSUER, AUDIENCE, url), client.clone());
        assert_eq!(result.is_ok(), ok, "{url}");
        if let Err(err) = result {
            assert!(matches!(err, AuthError::Config(_)), "{err:?}");
        }
    }
    let empty_issuer = OidcVerifier::new(OidcConfig::new(" ", AUDIENCE, "https://x.test"), client);
    assert!(matches!(empty_issuer, Err(AuthError::Config(m)) if m.contains("issuer")));
}
