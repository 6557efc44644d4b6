//! The REST API framework end to end, against real `papyr serve` processes: local
//! mode, OIDC bearer tokens and API keys, problem details, rate limiting, body
//! limits, uploads through the intake, downloads, tenant isolation, server-sent
//! events and the OpenAPI document. The invoice story runs on SQLite and PostgreSQL.
mod common;
#[path = "api/helpers.rs"]
mod helpers;

use helpers::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PROCESSING: Duration = Duration::from_secs(180);

#[tokio::test(flavor = "multi_thread")]
async fn local_mode_serves_the_demo_administrator_on_loopback() {
    let api = spawn(Backend::Sqlite, "local", &[]).await;
    let me = api.get("/v1/me", None).await;
    assert_eq!(me.status, 200);
    let me = me.json();
    assert_eq!(me["kind"]["type"], "local");
    assert_eq!(me["subject"], "local");
    assert_eq!(me["tenant"]["id"], api.demo_tenant().await);
    assert_eq!(json!(["admin", "approver", "clerk", "viewer"]), me["roles"]);
    // A token from an identity provider means nothing in local mode.
    let p = api
        .get("/v1/me", Some("eyJhbGciOiJFZERTQSJ9.e30.c2ln"))
        .await
        .problem(401);
    assert!(p["detail"].as_str().unwrap().contains("local mode"), "{p}");
    // Health, readiness and metrics are unchanged beside the API.
    assert_eq!(api.get("/healthz", None).await.status, 200);
    assert_eq!(api.get("/readyz", None).await.status, 200);
    let unknown = api.get("/v2/nothing", None).await.problem(404);
    assert_eq!(unknown["instance"], "/v2/nothing");
}

#[test]
fn local_mode_refuses_a_non_loopback_address() {
    let e = start_error(&[("PAPYR_SERVER__LISTEN", "0.0.0.0:18080")], &[]);
    assert!(
        e.contains("0.0.0.0:18080") && e.contains("PAPYR_API__ALLOW_NON_LOOPBACK_LOCAL"),
        "{e}"
    );
    // The command line is checked too.
    let e = start_error(&[], &["--listen", "0.0.0.0:18081"]);
    assert!(e.contains("0.0.0.0:18081"), "{e}");
    let e = start_error(&[("PAPYR_API__AUTH", "oidc")], &[]);
    assert!(e.contains("PAPYR_API__OIDC_ISSUER"), "{e}");
    let e = start_error(
        &[
            ("PAPYR_API__AUTH", "oidc"),
            ("PAPYR_API__OIDC_ISSUER", "https://id.example"),
            ("PAPYR_API__OIDC_AUDIENCE", "papyr"),
            ("PAPYR_API__OIDC_JWKS_URL", "http://id.example/jwks"),
        ],
        &[],
    );
    assert!(e.contains("jwks_url") && e.contains("https"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn oidc_tokens_api_keys_and_their_refusals() {
    let idp = Idp::start();
    let env = idp.env();
    let api = spawn(Backend::Sqlite, "oidc", &env_refs(&env)).await;
    let db = api.db().await;
    let acme = db.ensure_tenant("acme", "Acme GmbH", "{}").await.unwrap();

    // No credentials: 401, a problem and a challenge.
    let a = api.get("/v1/me", None).await;
    let p = a.problem(401);
    assert_eq!(
        a.header("www-authenticate").as_deref(),
        Some("Bearer realm=\"papyr\"")
    );
    assert!(
        p["detail"].as_str().unwrap().contains("Authorization"),
        "{p}"
    );

    // A valid token: the tenant slug claim is resolved to the tenant's id.
    let token = idp.token(
        "u-anna",
        "acme",
        &["approver", "Viewer", "offline_access"],
        json!({}),
    );
    let me = api.get("/v1/me", Some(&token)).await;
    assert_eq!(me.status, 200, "{}", String::from_utf8_lossy(&me.body));
    let me = me.json();
    assert_eq!(me["tenant"]["id"], acme);
    assert_eq!(me["tenant"]["name"], "Acme GmbH");
    assert_eq!(me["roles"], json!(["approver", "viewer"]));
    assert_eq!(
        me["kind"],
        json!({"type": "user", "email": "u-anna@example.test"})
    );

    // Refusals, each a 401 with `error="invalid_token"`.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut tampered = idp.token("u-anna", "acme", &["viewer"], json!({}));
    tampered.replace_range(tampered.len() - 6.., "AAAAAA");
    let refused = [
        (
            "unknown tenant",
            idp.token("u-x", "nobody", &["admin"], json!({})),
        ),
        (
            "expired",
            idp.token("u-x", "acme", &["admin"], json!({"exp": now - 3600})),
        ),
        (
            "wrong audience",
            idp.token("u-x", "acme", &["admin"], json!({"aud": "other"})),
        ),
        (
            "wrong issuer",
            idp.token("u-x", "acme", &["admin"], json!({"iss": "https://evil"})),
        ),
        ("tampered", tampered),
        ("not a token", "hello".to_string()),
    ];
    for (what, token) in refused {
        let a = api.get("/v1/me", Some(&token)).await;
        let p = a.problem(401);
        assert!(
            a.header("www-authenticate")
                .unwrap()
                .contains("invalid_token"),
            "{what}"
        );
        assert!(!p["detail"].as_str().unwrap().is_empty(), "{what}: {p}");
    }

    // API keys work in OIDC mode too, for their own tenant.
    let (_, key) = api.api_key("acme", &["viewer"]).await;
    let me = api.get("/v1/me", Some(&key)).await.json();
    assert_eq!(me["tenant"]["id"], acme);
    assert_eq!(me["kind"]["type"], "api_key");
    // A viewer may not upload: 403 before the body matters.
    let p = api
        .upload(&[("x.png", &tiny_png()[..])], Some(&key))
        .await
        .problem(403);
    assert!(p["detail"].as_str().unwrap().contains("clerk"), "{p}");
    // A key that is well-formed but unknown, and a revoked one.
    let (key_id, _) = key.trim_start_matches("papyr_").split_once('_').unwrap();
    let forged = format!("papyr_{key_id}_{}", "A".repeat(43));
    api.get("/v1/me", Some(&forged)).await.problem(401);
    db.revoke_api_key(&acme, key_id, papyr_store::api::access::Actor::Operator)
        .await
        .unwrap();
    let p = api.get("/v1/me", Some(&key)).await.problem(401);
    assert!(p["detail"].as_str().unwrap().contains("revoked"), "{p}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_identity_provider_is_503() {
    let idp = Idp::start();
    let mut env = idp.env();
    // Nothing listens there.
    env[3].1 = format!("http://127.0.0.1:{}/jwks", common::free_port());
    let api = spawn(Backend::Sqlite, "jwks_down", &env_refs(&env)).await;
    let token = idp.token("u-anna", "demo", &["admin"], json!({}));
    let a = api.get("/v1/me", Some(&token)).await;
    let p = a.problem(503);
    assert!(a.header("retry-after").is_some());
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("signing keys") && detail.contains("reference"),
        "{detail}"
    );
    assert!(!detail.contains("127.0.0.1"), "no internals: {detail}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_answers_429_with_retry_after() {
    let api = spawn(
        Backend::Sqlite,
        "rate",
        &[
            ("PAPYR_API__RATE_LIMIT_PER_MINUTE", "1"),
            ("PAPYR_API__RATE_LIMIT_BURST", "3"),
        ],
    )
    .await;
    for _ in 0..3 {
        assert_eq!(api.get("/v1/me", None).await.status, 200);
    }
    let a = api.get("/v1/me", None).await;
    let p = a.problem(429);
    let retry: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(p["detail"].as_str().unwrap().contains("retry"), "{p}");
    // Another caller has its own bucket; health and metrics are not limited.
    let (_, key) = api.api_key("acme", &["viewer"]).await;
    assert_eq!(api.get("/v1/me", Some(&key)).await.status, 200);
    for _ in 0..5 {
        assert_eq!(api.get("/healthz", None).await.status, 200);
        assert_eq!(api.get("/metrics", None).await.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_uploads_are_refused_before_they_are_read() {
    let api = spawn(
        Backend::Sqlite,
        "limits",
        &[("PAPYR_API__MAX_UPLOAD_BYTES", "65536")],
    )
    .await;
    // Declares 100 MiB, sends 1 KiB: the answer comes without the rest.
    let head = "POST /v1/invoices HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 104857600\r\n\r\n";
    let t = Instant::now();
    let (status, rest) = raw_exchange(api.svc.port, head, &[b'x'; 1024], Duration::from_secs(10));
    assert_eq!(status, 413, "{rest}");
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(
        rest.contains("application/problem+json") && rest.contains("65536"),
        "{rest}"
    );
    // Without a declared length (chunked), the stream is cut at the limit.
    let (_, big) = multipart(&[("big.pdf", &vec![b'%'; 100_000][..])]);
    let mut chunked = Vec::new();
    for c in big.chunks(8192) {
        chunked.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        chunked.extend_from_slice(c);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let head = "POST /v1/invoices HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=papyr-test-boundary-7MA4YWxkTrZu0gW\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    let (status, rest) = raw_exchange(api.svc.port, head, &chunked, Duration::from_secs(10));
    assert_eq!(status, 413, "{rest}");
    // Within the limit it goes through.
    let a = api.upload(&[("small.png", &tiny_png()[..])], None).await;
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    // Not multipart at all.
    let a = api
        .send(
            api.client
                .post(format!("{}/v1/invoices", api.base))
                .header("content-type", "application/json")
                .body("{}"),
            None,
        )
        .await;
    a.problem(415);
}

/// Upload, sniffing, duplicates, downloads, the event stream and tenant isolation.
async fn invoice_story(backend: Backend, name: &str) {
    let api = spawn(backend, name, &[]).await;
    let demo = api.demo_tenant().await;

    // The event stream is open before anything happens.
    let res = api
        .client
        .get(format!("{}/v1/events", api.base))
        .timeout(Duration::from_secs(600))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut events = EventReader::new(res);

    // A text file named .pdf is refused, naming the file; nothing is stored.
    let p = api
        .upload(
            &[("notes.pdf", &b"just some text, not a document"[..])],
            None,
        )
        .await
        .problem(415);
    assert!(p["detail"].as_str().unwrap().contains("notes.pdf"), "{p}");
    assert!(
        api.db()
            .await
            .documents(&demo, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // A PNG named .pdf is taken, as the image it is.
    let pdf = sample("00007-en-invoice.pdf");
    let a = api
        .upload(
            &[("scan.pdf", &tiny_png()[..]), ("invoice.pdf", &pdf[..])],
            None,
        )
        .await;
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    let files = a.json()["files"].as_array().unwrap().clone();
    assert_eq!(files[0]["media_type"], "image/png");
    assert_eq!(files[0]["outcome"], "created");
    assert_eq!(files[1]["media_type"], "application/pdf");
    assert_eq!(files[1]["status"], 201);
    let png_id = files[0]["id"].as_str().unwrap().to_string();
    let pdf_id = files[1]["id"].as_str().unwrap().to_string();

    // The same file again: a duplicate, 200, linked to the first.
    let a = api.upload(&[("again.pdf", &pdf[..])], None).await;
    assert_eq!(a.status, 200);
    let dup = &a.json()["files"][0];
    assert_eq!(dup["outcome"], "duplicate");
    assert_eq!(dup["duplicate_of"], pdf_id.as_str());
    assert!(a.header("location").is_none());

    // Recorded through the intake: channel and uploader.
    let db = api.db().await;
    let detail = db.invoice_detail(&demo, &pdf_id).await.unwrap().unwrap();
    assert_eq!(detail.channel, "api");
    assert_eq!(detail.uploaded_by.as_deref(), Some("local"));

    // The stream reports the new invoice's status changes up to a final one.
    let seen = events
        .until_final(&pdf_id, Instant::now() + PROCESSING)
        .await;
    let last = seen.last().unwrap();
    assert!(last.id.as_deref().is_some_and(|id| !id.is_empty()));
    let data: Value = serde_json::from_str(&last.data).unwrap();
    for key in ["status", "decision", "risk_score", "updated_at"] {
        assert!(data.get(key).is_some(), "{key} missing in {data}");
    }
    let status = api.wait_final(&demo, &pdf_id, PROCESSING).await;
    api.wait_final(&demo, &png_id, PROCESSING).await;

    // Resuming from an earlier event id replays what followed it.
    let first_id = seen[0].id.clone().unwrap();
    let res = api
        .client
        .get(format!("{}/v1/events", api.base))
        .header("last-event-id", &first_id)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut replay = EventReader::new(res);
    replay
        .until_final(&pdf_id, Instant::now() + Duration::from_secs(30))
        .await;
    let p = api
        .send(
            api.client
                .get(format!("{}/v1/events", api.base))
                .header("last-event-id", "not-a-cursor"),
            None,
        )
        .await
        .problem(400);
    assert!(p["detail"].as_str().unwrap().contains("cursor"), "{p}");

    // Downloads: the original as stored, the report once rendered.
    let a = api
        .get(&format!("/v1/invoices/{pdf_id}/original"), None)
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body, pdf);
    assert_eq!(a.header("content-type").as_deref(), Some("application/pdf"));
    assert_eq!(
        a.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    assert!(
        a.header("content-disposition")
            .unwrap()
            .contains("invoice.pdf")
    );
    let a = api
        .get(&format!("/v1/invoices/{png_id}/original"), None)
        .await;
    assert_eq!(a.header("content-type").as_deref(), Some("image/png"));
    assert_ne!(status, "failed", "the sample invoice must be processed");
    let a = api
        .get(&format!("/v1/invoices/{pdf_id}/report"), None)
        .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert!(a.body.starts_with(b"%PDF-"));
    assert_eq!(a.header("content-type").as_deref(), Some("application/pdf"));
    // The image is no invoice: it never gets a report.
    let p = api
        .get(&format!("/v1/invoices/{png_id}/report"), None)
        .await
        .problem(404);
    assert!(
        p["detail"].as_str().unwrap().contains("not rendered"),
        "{p}"
    );
    api.get("/v1/invoices/d_nope/original", None)
        .await
        .problem(404);

    // Another tenant's key: the demo tenant's invoices do not exist for it.
    let (acme, key) = api.api_key("acme", &["admin"]).await;
    assert_ne!(acme, demo);
    for path in [
        format!("/v1/invoices/{pdf_id}/original"),
        format!("/v1/invoices/{pdf_id}/report"),
    ] {
        let p = api.get(&path, Some(&key)).await.problem(404);
        assert_eq!(p["instance"], path.as_str());
    }
    // Its own upload of the same bytes is a new document of its own.
    let a = api.upload(&[("invoice.pdf", &pdf[..])], Some(&key)).await;
    assert_eq!(a.status, 201);
    let theirs = a.json()["files"][0]["id"].as_str().unwrap().to_string();
    assert_ne!(theirs, pdf_id);
    assert_eq!(
        a.header("location").as_deref(),
        Some(format!("/v1/invoices/{theirs}").as_str())
    );
    let detail = db.invoice_detail(&acme, &theirs).await.unwrap().unwrap();
    assert_eq!(detail.uploaded_by.as_deref(), Some(key_id(&key)));
    api.get(&format!("/v1/invoices/{theirs}/original"), None)
        .await
        .problem(404);
}

/// `/v1/invoices/{id}/fields/{field}` → `/v1/invoices/x0/fields/x0`.
fn fill_path_params(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        out.push_str("x0");
        rest = rest[open..].split_once('}').map_or("", |(_, r)| r);
    }
    out.push_str(rest);
    out
}

fn key_id(token: &str) -> &str {
    token
        .trim_start_matches("papyr_")
        .split_once('_')
        .unwrap()
        .0
}

#[tokio::test(flavor = "multi_thread")]
async fn invoice_story_sqlite() {
    invoice_story(Backend::Sqlite, "story").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invoice_story_postgres() {
    invoice_story(Backend::Postgres, "story").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn openapi_document_lists_every_route_with_its_errors() {
    let idp = Idp::start();
    let env = idp.env();
    let api = spawn(Backend::Sqlite, "openapi", &env_refs(&env)).await;
    let a = api.get("/openapi.json", None).await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.header("content-type").as_deref(),
        Some("application/json")
    );
    let doc = a.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(
        doc["components"]["securitySchemes"]["oidc"]["bearerFormat"],
        "JWT"
    );
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    let paths = doc["paths"].as_object().unwrap();
    for expected in [
        "/v1/me",
        "/v1/invoices",
        "/v1/invoices/{id}/original",
        "/v1/invoices/{id}/report",
        "/v1/events",
    ] {
        assert!(paths.contains_key(expected), "{expected} undocumented");
    }
    // Every documented operation is served: without credentials each answers the
    // API's 401 (an unrouted path would be 404, a wrong method 405).
    for (path, item) in paths {
        let concrete = fill_path_params(path);
        for (method, op) in item.as_object().unwrap() {
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let a = api
                .send(
                    api.client.request(m, format!("{}{concrete}", api.base)),
                    None,
                )
                .await;
            a.problem(401);
            let responses = op["responses"].as_object().unwrap();
            for status in ["400", "401", "403", "429", "500", "503"] {
                assert!(responses.contains_key(status), "{method} {path}: {status}");
            }
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}: no success response"
            );
        }
    }
    // And what is not documented is not served.
    api.get("/v1/invoicez", None).await.problem(404);
    api.db()
        .await
        .ensure_tenant("acme", "acme", "{}")
        .await
        .unwrap();
    let token = idp.token("u-1", "acme", &["admin"], json!({}));
    let a = api
        .send(
            api.client.delete(format!("{}/v1/me", api.base)),
            Some(&token),
        )
        .await;
    a.problem(405);
    assert!(a.header("allow").is_some_and(|m| m.contains("GET")));
}

/// A token is the tenant's user with that subject: the user's id is the principal's
/// subject, the roles an admin gave it in Papyr add to the token's (Google tokens
/// carry none), and a disabled user is refused.
#[tokio::test]
async fn tokens_map_to_the_tenants_users_and_their_roles() {
    use papyr_store::api::access::{Actor, NewUser};
    let idp = Idp::start();
    let env = idp.env();
    let api = spawn(Backend::Sqlite, "oidc-users", &env_refs(&env)).await;
    let db = api.db().await;
    let acme = db.ensure_tenant("acme", "Acme GmbH", "{}").await.unwrap();
    let invite = |email: &str, role: &str| NewUser {
        email: email.into(),
        name: None,
        roles: vec![role.into()],
        subject: None,
    };
    let bea = db
        .create_user(
            &acme,
            &invite("u-bea@example.test", "approver"),
            Actor::Operator,
        )
        .await
        .unwrap();
    let no_roles: &[&str] = &[];
    let me = api
        .get(
            "/v1/me",
            Some(&idp.token("u-bea", "acme", no_roles, json!({}))),
        )
        .await;
    assert_eq!(me.status, 200, "{}", String::from_utf8_lossy(&me.body));
    let me = me.json();
    assert_eq!(
        me["subject"],
        json!(bea.id),
        "the invited user, linked by e-mail"
    );
    assert_eq!(me["roles"], json!(["approver"]), "roles given in Papyr");
    let linked = db.user(&acme, &bea.id).await.unwrap().unwrap();
    assert_eq!(linked.subject.as_deref(), Some("u-bea"));

    // A subject never seen: a new user with the token's roles.
    let me = api
        .get(
            "/v1/me",
            Some(&idp.token("u-carl", "acme", &["clerk"], json!({}))),
        )
        .await
        .json();
    let carl = db.user_by_subject(&acme, "u-carl").await.unwrap().unwrap();
    assert_eq!(me["subject"], json!(carl.id));
    assert_eq!(carl.roles, vec!["clerk".to_string()]);

    // A disabled user is refused.
    let dave = db
        .create_user(
            &acme,
            &invite("u-dave@example.test", "viewer"),
            Actor::Operator,
        )
        .await
        .unwrap();
    db.disable_user(&acme, &dave.id, Actor::Operator)
        .await
        .unwrap();
    let a = api
        .get(
            "/v1/me",
            Some(&idp.token("u-dave", "acme", &["viewer"], json!({}))),
        )
        .await;
    let p = a.problem(401);
    assert!(p["detail"].as_str().unwrap().contains("disabled"), "{p}");
}
