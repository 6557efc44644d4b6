//! The REST API's administration end to end, against real `papyr serve` processes
//! with OIDC tokens (a test identity provider) and API keys: vendors with their
//! domains, bank accounts and the four-eyes flow, users, API keys, settings and the
//! audit log; tenant isolation and role checks for every one of these endpoints.
//! Each story runs on SQLite and on PostgreSQL.
mod common;
#[path = "api/helpers.rs"]
mod helpers;

use helpers::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const IBAN_A: &str = "DE89 3704 0044 0532 0130 00";
const IBAN_A_NORM: &str = "DE89370400440532013000";
const IBAN_B: &str = "GB82WEST12345698765432";
const IBAN_C: &str = "NL91ABNA0417164300";

/// A service in OIDC mode with two tenants, `acme` and `globex`.
struct Admin {
    api: Api,
    idp: Idp,
    acme: String,
    globex: String,
}

impl Admin {
    async fn start(backend: Backend, name: &str) -> Admin {
        let idp = Idp::start();
        let env = idp.env();
        let mut env = env_refs(&env);
        // The stories send bursts; the rate limit has its own test.
        env.push(("PAPYR_API__RATE_LIMIT_BURST", "100000"));
        env.push(("PAPYR_API__RATE_LIMIT_PER_MINUTE", "1000000"));
        let api = spawn(backend, name, &env).await;
        let db = api.db().await;
        let acme = db.ensure_tenant("acme", "Acme GmbH", "{}").await.unwrap();
        let globex = db
            .ensure_tenant("globex", "Globex Ltd", "{}")
            .await
            .unwrap();
        db.close().await;
        Admin {
            api,
            idp,
            acme,
            globex,
        }
    }

    /// A token of tenant `acme` for `sub` (email `<sub>@example.test`).
    fn acme(&self, sub: &str, roles: &[&str]) -> String {
        self.idp.token(sub, "acme", roles, json!({}))
    }

    fn globex(&self, sub: &str, roles: &[&str]) -> String {
        self.idp.token(sub, "globex", roles, json!({}))
    }

    async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .api
            .client
            .request(m, format!("{}{path}", self.api.base));
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.api.send(req, token).await
    }

    async fn call(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Answer {
        self.call_with(method, path, Some(token), body, &[]).await
    }

    /// Asserts `status` and returns the JSON body.
    async fn ok(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&Value>,
        status: u16,
    ) -> Value {
        let a = self.call(method, path, token, body).await;
        assert_eq!(
            a.status,
            status,
            "{method} {path}: {}",
            String::from_utf8_lossy(&a.body)
        );
        if a.body.is_empty() {
            Value::Null
        } else {
            a.json()
        }
    }

    /// A request with a raw body and content type.
    async fn raw(
        &self,
        method: &str,
        path: &str,
        token: &str,
        content_type: &str,
        body: &str,
    ) -> Answer {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let req = self
            .api
            .client
            .request(m, format!("{}{path}", self.api.base))
            .header("content-type", content_type)
            .body(body.to_string());
        self.api.send(req, Some(token)).await
    }

    /// The Papyr user id of a token's subject (created by its first change).
    async fn user_id(&self, tenant: &str, sub: &str) -> String {
        let db = self.api.db().await;
        let u = db.user_by_subject(tenant, sub).await.unwrap().unwrap();
        db.close().await;
        u.id
    }
}

/// A 422 naming `field`.
fn invalid(a: &Answer, field: &str) -> Value {
    let p = a.problem(422);
    assert_eq!(p["type"], "urn:papyr:problem:validation");
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&field), "expected {field} in {p}");
    p
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

fn detail(p: &Value) -> &str {
    p["detail"].as_str().unwrap_or_default()
}

// ---- vendors -------------------------------------------------------------------

async fn vendor_story(backend: Backend, name: &str) {
    let t = Admin::start(backend, name).await;
    let clerk = t.acme("u-clara", &["clerk"]);
    let admin = t.acme("u-adam", &["admin"]);

    // Create: normalised, with Location.
    let a = t
        .call(
            "POST",
            "/v1/vendors",
            &clerk,
            Some(&json!({"name": "  Acme Supplies GmbH ", "country": "de", "tax_ids": ["de 123 456 789"]})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    let v = a.json();
    let v1 = v["id"].as_str().unwrap().to_string();
    assert_eq!(a.header("location").unwrap(), format!("/v1/vendors/{v1}"));
    assert_eq!(v["name"], "Acme Supplies GmbH");
    assert_eq!(v["country"], "DE");
    assert_eq!(v["tax_ids"], json!(["DE123456789"]));
    assert_eq!(v["ibans"], json!([]));
    assert_eq!(v["invoice_count"], 0);

    // Bad input, each naming its field.
    let post = |body: Value| {
        let t = &t;
        let clerk = clerk.clone();
        async move { t.call("POST", "/v1/vendors", &clerk, Some(&body)).await }
    };
    let p = invalid(&post(json!({"country": "DE"})).await, "body");
    assert!(detail(&p).contains("name"), "{p}");
    invalid(&post(json!({"name": "   "})).await, "name");
    invalid(&post(json!({"name": "x".repeat(201)})).await, "name");
    invalid(&post(json!({"name": "A\u{0}B"})).await, "name");
    invalid(&post(json!({"name": 42})).await, "name");
    let p = invalid(
        &post(json!({"name": "V", "country": "XX"})).await,
        "country",
    );
    assert!(detail(&p).contains("ISO 3166"), "{p}");
    invalid(
        &post(json!({"name": "V", "tax_ids": ["DE1", "x"]})).await,
        "tax_ids[1]",
    );
    invalid(&post(json!({"name": "V", "colour": "red"})).await, "colour");
    let p = t
        .raw(
            "POST",
            "/v1/vendors",
            &clerk,
            "application/json",
            "{\"name\":",
        )
        .await
        .problem(400);
    assert_eq!(p["type"], "urn:papyr:problem:malformed-body");
    t.raw("POST", "/v1/vendors", &clerk, "text/plain", "name=V")
        .await
        .problem(415);

    // A second and third vendor; search and pages.
    let v2 = t
        .ok(
            "POST",
            "/v1/vendors",
            &clerk,
            Some(&json!({"name": "Beta Parts", "tax_ids": ["FR40303265045"]})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let v3 = t
        .ok(
            "POST",
            "/v1/vendors",
            &clerk,
            Some(&json!({"name": "Gamma Tools"})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let viewer = t.acme("u-vera", &["viewer"]);
    let all = t.ok("GET", "/v1/vendors", &viewer, None, 200).await;
    assert_eq!(ids(&all), [v1.clone(), v2.clone(), v3.clone()], "by name");
    let found = t
        .ok("GET", "/v1/vendors?q=fr4030", &viewer, None, 200)
        .await;
    assert_eq!(ids(&found), [v2.as_str()]);
    let found = t
        .ok("GET", "/v1/vendors?q=SUPPLIES", &viewer, None, 200)
        .await;
    assert_eq!(ids(&found), [v1.as_str()]);
    let a = t.call("GET", "/v1/vendors?limit=2", &viewer, None).await;
    assert_eq!(a.status, 200);
    let page1 = a.json();
    assert_eq!(ids(&page1), [v1.clone(), v2.clone()]);
    let cursor = page1["next_cursor"].as_str().unwrap();
    assert!(a.header("link").unwrap().contains("rel=\"next\""));
    let page2 = t
        .ok(
            "GET",
            &format!("/v1/vendors?limit=2&cursor={cursor}"),
            &viewer,
            None,
            200,
        )
        .await;
    assert_eq!(ids(&page2), [v3.as_str()]);
    assert!(page2["next_cursor"].is_null());
    let p = t
        .call("GET", "/v1/vendors?cursor=bogus", &viewer, None)
        .await
        .problem(400);
    assert!(detail(&p).contains("cursor"), "{p}");
    let p = t
        .call("GET", "/v1/vendors?limit=lots", &viewer, None)
        .await
        .problem(400);
    assert_eq!(p["errors"][0]["field"], "limit");
    t.call("GET", "/v1/vendors?q=%00", &viewer, None)
        .await
        .problem(400);

    // Read one; unknown ids.
    let one = t
        .ok("GET", &format!("/v1/vendors/{v1}"), &viewer, None, 200)
        .await;
    assert_eq!(one["name"], "Acme Supplies GmbH");
    for unknown in ["v_000000000000000000000000", "%00", "x%20y"] {
        t.call("GET", &format!("/v1/vendors/{unknown}"), &viewer, None)
            .await
            .problem(404);
    }

    // Update: country cleared by null, empty patch refused.
    let v = t
        .ok(
            "PATCH",
            &format!("/v1/vendors/{v1}"),
            &clerk,
            Some(&json!({"name": "Acme Supplies AG", "country": null})),
            200,
        )
        .await;
    assert_eq!(v["name"], "Acme Supplies AG");
    assert!(v["country"].is_null());
    assert_eq!(v["tax_ids"], json!(["DE123456789"]), "untouched");
    invalid(
        &t.call(
            "PATCH",
            &format!("/v1/vendors/{v1}"),
            &clerk,
            Some(&json!({})),
        )
        .await,
        "body",
    );
    invalid(
        &t.call(
            "PATCH",
            &format!("/v1/vendors/{v1}"),
            &clerk,
            Some(&json!({"country": "Germany"})),
        )
        .await,
        "country",
    );
    t.call(
        "PATCH",
        "/v1/vendors/v_nope",
        &clerk,
        Some(&json!({"name": "X"})),
    )
    .await
    .problem(404);

    // Sender domains.
    let d = t
        .ok(
            "POST",
            &format!("/v1/vendors/{v1}/domains"),
            &clerk,
            Some(&json!({"domain": "@Mail.ACME.example."})),
            201,
        )
        .await;
    assert_eq!(d["domain"], "mail.acme.example");
    t.ok(
        "POST",
        &format!("/v1/vendors/{v1}/domains"),
        &clerk,
        Some(&json!({"domain": "mail.acme.example"})),
        200,
    )
    .await;
    let p = invalid(
        &t.call(
            "POST",
            &format!("/v1/vendors/{v1}/domains"),
            &clerk,
            Some(&json!({"domain": "ann@acme.example"})),
        )
        .await,
        "domain",
    );
    assert!(detail(&p).contains("after the @"), "{p}");
    t.call(
        "POST",
        "/v1/vendors/v_nope/domains",
        &clerk,
        Some(&json!({"domain": "a.example"})),
    )
    .await
    .problem(404);
    let one = t
        .ok("GET", &format!("/v1/vendors/{v1}"), &viewer, None, 200)
        .await;
    assert_eq!(one["domains"], json!(["mail.acme.example"]));
    t.ok(
        "DELETE",
        &format!("/v1/vendors/{v1}/domains/mail.acme.example"),
        &clerk,
        None,
        204,
    )
    .await;
    t.call(
        "DELETE",
        &format!("/v1/vendors/{v1}/domains/mail.acme.example"),
        &clerk,
        None,
    )
    .await
    .problem(404);

    // Bank accounts without four eyes: on file at once.
    let k = t
        .ok(
            "POST",
            &format!("/v1/vendors/{v1}/ibans"),
            &clerk,
            Some(&json!({"iban": IBAN_A})),
            201,
        )
        .await;
    assert_eq!(k["state"], "known");
    assert_eq!(k["iban"], IBAN_A_NORM);
    let clara = t.user_id(&t.acme, "u-clara").await;
    assert_eq!(k["verified_by"], format!("user:{clara}"));
    let p = invalid(
        &t.call(
            "POST",
            &format!("/v1/vendors/{v1}/ibans"),
            &clerk,
            Some(&json!({"iban": "DE89370400440532013001"})),
        )
        .await,
        "iban",
    );
    assert!(detail(&p).contains("check digits"), "{p}");
    invalid(
        &t.call(
            "POST",
            &format!("/v1/vendors/{v1}/ibans"),
            &clerk,
            Some(&json!({"iban": 12})),
        )
        .await,
        "iban",
    );
    t.ok(
        "DELETE",
        &format!("/v1/vendors/{v1}/ibans/DE89%203704%200044%200532%200130%2000"),
        &clerk,
        None,
        204,
    )
    .await;
    t.call(
        "DELETE",
        &format!("/v1/vendors/{v1}/ibans/{IBAN_A_NORM}"),
        &clerk,
        None,
    )
    .await
    .problem(404);

    // Merge v2 (with a domain and an account) into v1.
    t.ok(
        "POST",
        &format!("/v1/vendors/{v2}/domains"),
        &clerk,
        Some(&json!({"domain": "beta.example"})),
        201,
    )
    .await;
    t.ok(
        "POST",
        &format!("/v1/vendors/{v2}/ibans"),
        &clerk,
        Some(&json!({"iban": IBAN_B})),
        201,
    )
    .await;
    let p = invalid(
        &t.call(
            "POST",
            &format!("/v1/vendors/{v1}/merge"),
            &clerk,
            Some(&json!({"into": v1})),
        )
        .await,
        "into",
    );
    assert!(detail(&p).contains("itself"), "{p}");
    invalid(
        &t.call(
            "POST",
            &format!("/v1/vendors/{v2}/merge"),
            &clerk,
            Some(&json!({"into": "v_nope"})),
        )
        .await,
        "into",
    );
    invalid(
        &t.call(
            "POST",
            &format!("/v1/vendors/{v2}/merge"),
            &clerk,
            Some(&json!({})),
        )
        .await,
        "body",
    );
    t.call(
        "POST",
        "/v1/vendors/v_nope/merge",
        &clerk,
        Some(&json!({"into": v1})),
    )
    .await
    .problem(404);
    let merged = t
        .ok(
            "POST",
            &format!("/v1/vendors/{v2}/merge"),
            &clerk,
            Some(&json!({"into": v1})),
            200,
        )
        .await;
    assert_eq!(merged["id"], v1.as_str());
    assert_eq!(merged["domains"], json!(["beta.example"]));
    assert_eq!(merged["ibans"][0]["iban"], IBAN_B);
    assert_eq!(merged["tax_ids"], json!(["DE123456789", "FR40303265045"]));
    t.call("GET", &format!("/v1/vendors/{v2}"), &viewer, None)
        .await
        .problem(404);

    // Every change is in the audit log under the clerk's user id.
    let log = t
        .ok(
            "GET",
            &format!("/v1/audit?actor=user:{clara}&limit=200"),
            &admin,
            None,
            200,
        )
        .await;
    let actions: BTreeSet<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "vendor.created",
        "vendor.updated",
        "vendor.domain-added",
        "vendor.domain-removed",
        "vendor.iban-added",
        "vendor.iban-removed",
        "vendor.merged",
    ] {
        assert!(actions.contains(a), "{a} missing from {actions:?}");
    }
    let merge = t
        .ok("GET", "/v1/audit?action=vendor.merged", &admin, None, 200)
        .await;
    assert_eq!(merge["items"][0]["detail"]["source"], v2.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn vendors_sqlite() {
    vendor_story(Backend::Sqlite, "vendors").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn vendors_postgres() {
    vendor_story(Backend::Postgres, "vendors").await;
}

// ---- four eyes -------------------------------------------------------------------

/// Turn the tenant's IBAN confirmation on through the settings endpoints.
async fn require_confirmation(t: &Admin, admin: &str) {
    let a = t.call("GET", "/v1/settings", admin, None).await;
    assert_eq!(a.status, 200);
    let etag = a.header("etag").unwrap();
    let doc = json!({"vendor_policy": {"iban_requires_confirmation": true}});
    let a = t
        .call_with(
            "PUT",
            "/v1/settings",
            Some(admin),
            Some(&doc),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
}

async fn four_eyes_story(backend: Backend, name: &str) {
    let t = Admin::start(backend, name).await;
    let admin = t.acme("u-adam", &["admin"]);
    let anna = t.acme("u-anna", &["clerk"]);
    let ben = t.acme("u-ben", &["clerk"]);
    require_confirmation(&t, &admin).await;
    let v = t
        .ok(
            "POST",
            "/v1/vendors",
            &anna,
            Some(&json!({"name": "Acme Supplies"})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Anna asks for an account: pending, not on file.
    let r = t
        .ok(
            "POST",
            &format!("/v1/vendors/{v}/ibans"),
            &anna,
            Some(&json!({"iban": IBAN_A})),
            202,
        )
        .await;
    assert_eq!(r["state"], "pending");
    assert_eq!(r["status"], "pending");
    let req = r["id"].as_str().unwrap().to_string();
    let anna_id = t.user_id(&t.acme, "u-anna").await;
    assert_eq!(r["requested_by"], format!("user:{anna_id}"));
    let again = t
        .ok(
            "POST",
            &format!("/v1/vendors/{v}/ibans"),
            &anna,
            Some(&json!({"iban": IBAN_A_NORM})),
            202,
        )
        .await;
    assert_eq!(again["id"], req.as_str(), "the same pending request");
    let detail_v = t
        .ok("GET", &format!("/v1/vendors/{v}"), &ben, None, 200)
        .await;
    assert_eq!(detail_v["ibans"], json!([]));
    assert_eq!(detail_v["pending_ibans"][0]["id"], req.as_str());
    let pending = t.ok("GET", "/v1/iban-requests", &ben, None, 200).await;
    assert_eq!(ids(&pending), [req.as_str()]);

    // Not by the person who asked.
    let p = t
        .call(
            "POST",
            &format!("/v1/iban-requests/{req}/confirm"),
            &anna,
            None,
        )
        .await
        .problem(403);
    assert!(detail(&p).contains("four eyes"), "{p}");
    // A viewer lacks the role.
    let viewer = t.acme("u-vera", &["viewer"]);
    let p = t
        .call(
            "POST",
            &format!("/v1/iban-requests/{req}/confirm"),
            &viewer,
            None,
        )
        .await
        .problem(403);
    assert!(detail(&p).contains("clerk"), "{p}");

    // Ben confirms: on file, verified by Ben.
    let k = t
        .ok(
            "POST",
            &format!("/v1/iban-requests/{req}/confirm"),
            &ben,
            None,
            200,
        )
        .await;
    let ben_id = t.user_id(&t.acme, "u-ben").await;
    assert_eq!(k["iban"], IBAN_A_NORM);
    assert_eq!(k["verified_by"], format!("user:{ben_id}"));
    let detail_v = t
        .ok("GET", &format!("/v1/vendors/{v}"), &anna, None, 200)
        .await;
    assert_eq!(detail_v["ibans"][0]["iban"], IBAN_A_NORM);
    assert_eq!(detail_v["pending_ibans"], json!([]));
    assert_eq!(
        t.ok("GET", "/v1/iban-requests", &ben, None, 200).await["items"],
        json!([])
    );
    let p = t
        .call(
            "POST",
            &format!("/v1/iban-requests/{req}/confirm"),
            &ben,
            None,
        )
        .await
        .problem(409);
    assert!(detail(&p).contains("already confirmed"), "{p}");
    // Known now: adding it again is 201 without a request.
    let k = t
        .ok(
            "POST",
            &format!("/v1/vendors/{v}/ibans"),
            &anna,
            Some(&json!({"iban": IBAN_A})),
            201,
        )
        .await;
    assert_eq!(k["state"], "known");

    // Declined requests stay off file.
    let r2 = t
        .ok(
            "POST",
            &format!("/v1/vendors/{v}/ibans"),
            &anna,
            Some(&json!({"iban": IBAN_B})),
            202,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d = t
        .ok(
            "POST",
            &format!("/v1/iban-requests/{r2}/decline"),
            &ben,
            None,
            200,
        )
        .await;
    assert_eq!(d["status"], "declined");
    assert_eq!(d["decided_by"], format!("user:{ben_id}"));
    t.call(
        "POST",
        &format!("/v1/iban-requests/{r2}/decline"),
        &ben,
        None,
    )
    .await
    .problem(409);
    t.call(
        "POST",
        &format!("/v1/iban-requests/{r2}/confirm"),
        &ben,
        None,
    )
    .await
    .problem(409);
    t.call("POST", "/v1/iban-requests/ibr_nope/confirm", &ben, None)
        .await
        .problem(404);
    t.call("POST", "/v1/iban-requests/ibr_nope/decline", &ben, None)
        .await
        .problem(404);

    // An API key's request: neither a key nor the key's creator may confirm it.
    let key = t
        .ok(
            "POST",
            "/v1/api-keys",
            &admin,
            Some(&json!({"name": "ERP", "roles": ["clerk"]})),
            201,
        )
        .await;
    let token = key["token"].as_str().unwrap().to_string();
    let r3 = t
        .ok(
            "POST",
            &format!("/v1/vendors/{v}/ibans"),
            &token,
            Some(&json!({"iban": IBAN_C})),
            202,
        )
        .await;
    assert_eq!(
        r3["requested_by"],
        format!("api-key:{}", key["id"].as_str().unwrap())
    );
    let r3 = r3["id"].as_str().unwrap().to_string();
    let p = t
        .call(
            "POST",
            &format!("/v1/iban-requests/{r3}/confirm"),
            &token,
            None,
        )
        .await
        .problem(403);
    assert!(detail(&p).contains("API key"), "{p}");
    let p = t
        .call(
            "POST",
            &format!("/v1/iban-requests/{r3}/confirm"),
            &admin,
            None,
        )
        .await
        .problem(403);
    assert!(detail(&p).contains("four eyes"), "{p}");
    // A disabled user no longer acts, whatever the token says.
    t.ok(
        "POST",
        &format!("/v1/users/{ben_id}/disable"),
        &admin,
        None,
        200,
    )
    .await;
    let p = t
        .call(
            "POST",
            &format!("/v1/iban-requests/{r3}/confirm"),
            &ben,
            None,
        )
        .await
        .problem(403);
    assert!(detail(&p).contains("disabled"), "{p}");
    t.ok(
        "POST",
        &format!("/v1/iban-requests/{r3}/confirm"),
        &anna,
        None,
        200,
    )
    .await;

    let log = t
        .ok(
            "GET",
            "/v1/audit?action=vendor.iban-confirmed",
            &admin,
            None,
            200,
        )
        .await;
    let actors: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(
        actors,
        [format!("user:{anna_id}"), format!("user:{ben_id}")]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn four_eyes_ibans_sqlite() {
    four_eyes_story(Backend::Sqlite, "four_eyes").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn four_eyes_ibans_postgres() {
    four_eyes_story(Backend::Postgres, "four_eyes").await;
}

// ---- users and API keys -----------------------------------------------------------

async fn people_story(backend: Backend, name: &str) {
    let t = Admin::start(backend, name).await;
    let admin = t.acme("u-adam", &["admin"]);

    // Create, read, list.
    let a = t
        .call(
            "POST",
            "/v1/users",
            &admin,
            Some(&json!({"email": " Carol@ACME.example ", "name": "Carol", "roles": ["approver", "viewer"]})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    let carol = a.json();
    let carol_id = carol["id"].as_str().unwrap().to_string();
    assert_eq!(
        a.header("location").unwrap(),
        format!("/v1/users/{carol_id}")
    );
    assert_eq!(carol["email"], "carol@acme.example");
    assert_eq!(carol["roles"], json!(["approver", "viewer"]));
    assert_eq!(carol["active"], true);
    let got = t
        .ok("GET", &format!("/v1/users/{carol_id}"), &admin, None, 200)
        .await;
    assert_eq!(got["name"], "Carol");
    t.call("GET", "/v1/users/u_nope", &admin, None)
        .await
        .problem(404);

    // Bad input and duplicates.
    let post = |body: Value| {
        let (t, admin) = (&t, admin.clone());
        async move { t.call("POST", "/v1/users", &admin, Some(&body)).await }
    };
    let p = post(json!({"email": "carol@acme.example", "roles": []}))
        .await
        .problem(409);
    assert!(detail(&p).contains("carol@acme.example"), "{p}");
    invalid(&post(json!({"email": "carol", "roles": []})).await, "email");
    invalid(
        &post(json!({"email": "x@acme.example", "roles": ["root"]})).await,
        "roles[0]",
    );
    invalid(
        &post(json!({"email": "x@acme.example", "roles": "admin"})).await,
        "roles",
    );
    invalid(&post(json!({"email": "x@acme.example"})).await, "body");
    invalid(
        &post(json!({"email": "x@acme.example", "roles": [], "name": "\u{7}"})).await,
        "name",
    );

    // An invited user is linked at their first sign-in by email.
    let dave = t
        .ok(
            "POST",
            "/v1/users",
            &admin,
            Some(&json!({"email": "u-dave@example.test", "roles": ["clerk"]})),
            201,
        )
        .await;
    let dave_token = t.acme("u-dave", &["clerk"]);
    t.ok(
        "POST",
        "/v1/vendors",
        &dave_token,
        Some(&json!({"name": "Dave's vendor"})),
        201,
    )
    .await;
    let dave_now = t
        .ok(
            "GET",
            &format!("/v1/users/{}", dave["id"].as_str().unwrap()),
            &admin,
            None,
            200,
        )
        .await;
    assert_eq!(dave_now["subject"], "u-dave");

    // Update.
    let c = t
        .ok(
            "PATCH",
            &format!("/v1/users/{carol_id}"),
            &admin,
            Some(&json!({"roles": ["clerk"], "name": "Carol C."})),
            200,
        )
        .await;
    assert_eq!(c["roles"], json!(["clerk"]));
    assert_eq!(c["name"], "Carol C.");
    invalid(
        &t.call(
            "PATCH",
            &format!("/v1/users/{carol_id}"),
            &admin,
            Some(&json!({"roles": ["boss"]})),
        )
        .await,
        "roles[0]",
    );
    invalid(
        &t.call(
            "PATCH",
            &format!("/v1/users/{carol_id}"),
            &admin,
            Some(&json!({"email": "a@b.example"})),
        )
        .await,
        "email",
    );
    t.call(
        "PATCH",
        "/v1/users/u_nope",
        &admin,
        Some(&json!({"name": "N"})),
    )
    .await
    .problem(404);

    // The last active admin keeps the role and stays enabled.
    let adam = t.user_id(&t.acme, "u-adam").await;
    let p = t
        .call(
            "PATCH",
            &format!("/v1/users/{adam}"),
            &admin,
            Some(&json!({"roles": ["viewer"]})),
        )
        .await
        .problem(409);
    assert!(detail(&p).contains("last active admin"), "{p}");
    t.call("POST", &format!("/v1/users/{adam}/disable"), &admin, None)
        .await
        .problem(409);

    // Disable (idempotent).
    let c = t
        .ok(
            "POST",
            &format!("/v1/users/{carol_id}/disable"),
            &admin,
            None,
            200,
        )
        .await;
    assert_eq!(c["active"], false);
    let at = c["disabled_at"].as_i64().unwrap();
    let c = t
        .ok(
            "POST",
            &format!("/v1/users/{carol_id}/disable"),
            &admin,
            None,
            200,
        )
        .await;
    assert_eq!(c["disabled_at"].as_i64().unwrap(), at);
    t.call("POST", "/v1/users/u_nope/disable", &admin, None)
        .await
        .problem(404);
    let all = t.ok("GET", "/v1/users", &admin, None, 200).await;
    let emails: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        [
            "carol@acme.example",
            "u-adam@example.test",
            "u-dave@example.test"
        ]
    );

    // API keys: the token once, then only its public part.
    let a = t
        .call(
            "POST",
            "/v1/api-keys",
            &admin,
            Some(&json!({"name": "ERP export", "roles": ["clerk", "viewer"]})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.header("cache-control").as_deref(), Some("no-store"));
    let key = a.json();
    let key_id = key["id"].as_str().unwrap().to_string();
    let token = key["token"].as_str().unwrap().to_string();
    assert!(token.starts_with(&format!("papyr_{key_id}_")), "{token}");
    assert_eq!(key["created_by"], format!("user:{adam}"));
    assert_eq!(key["roles"], json!(["clerk", "viewer"]));
    let listed = t.call("GET", "/v1/api-keys", &admin, None).await;
    assert_eq!(listed.status, 200);
    // The secret (base64url) may itself contain `_`.
    let secret = token.strip_prefix(&format!("papyr_{key_id}_")).unwrap();
    assert!(
        !String::from_utf8_lossy(&listed.body).contains(secret),
        "a listing never shows the secret"
    );
    assert_eq!(ids(&listed.json()), [key_id.as_str()]);
    let db = t.api.db().await;
    let stored = db.api_key_for_auth(&key_id).await.unwrap().unwrap();
    assert_eq!(
        stored.hash,
        papyr_auth::hash_secret(secret),
        "stored as its hash"
    );
    db.close().await;

    // The key works, with its roles only.
    let me = t.ok("GET", "/v1/me", &token, None, 200).await;
    assert_eq!(me["kind"]["type"], "api_key");
    assert_eq!(me["tenant"]["id"], t.acme.as_str());
    assert_eq!(me["roles"], json!(["clerk", "viewer"]));
    t.ok(
        "POST",
        "/v1/vendors",
        &token,
        Some(&json!({"name": "Made by a key"})),
        201,
    )
    .await;
    t.call("GET", "/v1/users", &token, None).await.problem(403);

    // Bad key requests.
    invalid(
        &t.call(
            "POST",
            "/v1/api-keys",
            &admin,
            Some(&json!({"name": "k", "roles": []})),
        )
        .await,
        "roles",
    );
    invalid(
        &t.call(
            "POST",
            "/v1/api-keys",
            &admin,
            Some(&json!({"name": " ", "roles": ["viewer"]})),
        )
        .await,
        "name",
    );
    invalid(
        &t.call(
            "POST",
            "/v1/api-keys",
            &admin,
            Some(&json!({"name": "k", "roles": ["god"]})),
        )
        .await,
        "roles[0]",
    );

    // Revoked: 401 from then on; revoking again changes nothing.
    let r = t
        .ok(
            "DELETE",
            &format!("/v1/api-keys/{key_id}"),
            &admin,
            None,
            200,
        )
        .await;
    assert_eq!(r["active"], false);
    let revoked_at = r["revoked_at"].as_i64().unwrap();
    let p = t.call("GET", "/v1/me", &token, None).await.problem(401);
    assert!(detail(&p).contains("revoked"), "{p}");
    let r = t
        .ok(
            "DELETE",
            &format!("/v1/api-keys/{key_id}"),
            &admin,
            None,
            200,
        )
        .await;
    assert_eq!(r["revoked_at"].as_i64().unwrap(), revoked_at);
    t.call("DELETE", "/v1/api-keys/0000000000000000", &admin, None)
        .await
        .problem(404);
    let log = t
        .ok(
            "GET",
            &format!("/v1/audit?action=api-key.revoked&actor=user:{adam}"),
            &admin,
            None,
            200,
        )
        .await;
    assert_eq!(log["items"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn users_and_api_keys_sqlite() {
    people_story(Backend::Sqlite, "people").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn users_and_api_keys_postgres() {
    people_story(Backend::Postgres, "people").await;
}

// ---- settings and audit ----------------------------------------------------------

async fn settings_story(backend: Backend, name: &str) {
    let t = Admin::start(backend, name).await;
    let admin = t.acme("u-adam", &["admin"]);
    let a = t.call("GET", "/v1/settings", &admin, None).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json(), json!({}));
    let v1 = a.header("etag").unwrap();
    assert_eq!(v1, "\"1\"");

    let doc =
        json!({"approval": {"currency": "EUR", "approval_threshold": "5000.00", "hold_score": 60}});
    let put = |doc: Value, if_match: Option<String>| {
        let (t, admin) = (&t, admin.clone());
        async move {
            let headers: Vec<(&str, &str)> = match &if_match {
                Some(v) => vec![("if-match", v.as_str())],
                None => vec![],
            };
            t.call_with("PUT", "/v1/settings", Some(&admin), Some(&doc), &headers)
                .await
        }
    };
    let p = put(doc.clone(), None).await.problem(428);
    assert!(detail(&p).contains("If-Match"), "{p}");
    assert_eq!(p["instance"], "/v1/settings");
    let p = put(doc.clone(), Some("yesterday".into()))
        .await
        .problem(400);
    assert_eq!(p["errors"][0]["field"], "If-Match");
    put(doc.clone(), Some("*".into())).await.problem(428);

    // Invalid documents name the field; nothing changes.
    let p = invalid(
        &put(
            json!({"approval": {"hold_score": "high"}}),
            Some(v1.clone()),
        )
        .await,
        "approval.hold_score",
    );
    assert!(detail(&p).contains("invalid type"), "{p}");
    let p = put(json!({"approval": {"colour": 1}}), Some(v1.clone()))
        .await
        .problem(422);
    assert!(
        p["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("approval"),
        "{p}"
    );
    assert!(detail(&p).contains("colour"), "{p}");
    invalid(
        &put(
            json!({"vendors": [{"id": "v", "name": "V"}]}),
            Some(v1.clone()),
        )
        .await,
        "vendors",
    );
    invalid(
        &put(
            json!({"approval": {"auto_approve_below": "a lot"}}),
            Some(v1.clone()),
        )
        .await,
        "approval",
    );
    invalid(&put(json!([1, 2]), Some(v1.clone())).await, "body");

    // Replaced under the current version.
    let a = put(doc.clone(), Some(v1.clone())).await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let v2 = a.header("etag").unwrap();
    assert_eq!(v2, "\"2\"");
    assert_eq!(a.json(), doc);
    // The stale version is refused, naming the current one.
    let a = put(json!({}), Some(v1.clone())).await;
    let p = a.problem(412);
    assert_eq!(a.header("etag").unwrap(), v2);
    assert!(detail(&p).contains("version 2"), "{p}");
    let a = t.call("GET", "/v1/settings", &admin, None).await;
    assert_eq!(a.json(), doc);
    assert_eq!(a.header("etag").unwrap(), v2);

    // The audit log: the change with old and new value; filters and pages.
    let adam = t.user_id(&t.acme, "u-adam").await;
    let approver = t.acme("u-apo", &["approver"]);
    let log = t
        .ok(
            "GET",
            "/v1/audit?action=settings.replaced",
            &approver,
            None,
            200,
        )
        .await;
    let entry = &log["items"][0];
    assert_eq!(entry["actor"], format!("user:{adam}"));
    assert_eq!(entry["detail"]["new"], doc);
    assert_eq!(entry["detail"]["version"], json!({"old": 1, "new": 2}));
    let at = entry["at"].as_i64().unwrap();
    for (query, expect) in [
        (format!("from={at}&action=settings.replaced"), 1),
        (format!("from={}&action=settings.replaced", at + 1), 0),
        (format!("to={at}&action=settings.replaced"), 0),
        (format!("to={}&action=settings.replaced", at + 1), 1),
        ("actor=user:nobody".to_string(), 0),
        ("document_id=d_nope".to_string(), 0),
    ] {
        let l = t
            .ok("GET", &format!("/v1/audit?{query}"), &admin, None, 200)
            .await;
        assert_eq!(l["items"].as_array().unwrap().len(), expect, "{query}");
    }
    // Paging, newest first.
    for i in 0..3 {
        t.ok(
            "POST",
            "/v1/vendors",
            &admin,
            Some(&json!({"name": format!("V{i}")})),
            201,
        )
        .await;
    }
    let a = t
        .call(
            "GET",
            "/v1/audit?action=vendor.created&limit=2",
            &admin,
            None,
        )
        .await;
    let page1 = a.json();
    assert_eq!(page1["items"].as_array().unwrap().len(), 2);
    assert!(a.header("link").unwrap().contains("action=vendor.created"));
    let first: Vec<i64> = page1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(first[0] > first[1], "newest first");
    let page2 = t
        .ok(
            "GET",
            &format!(
                "/v1/audit?action=vendor.created&limit=2&cursor={}",
                page1["next_cursor"].as_str().unwrap()
            ),
            &admin,
            None,
            200,
        )
        .await;
    assert_eq!(page2["items"].as_array().unwrap().len(), 1);
    assert!(page2["items"][0]["id"].as_i64().unwrap() < first[1]);
    assert!(page2["next_cursor"].is_null());
    // Bad filters.
    let p = t
        .call("GET", "/v1/audit?from=yesterday", &admin, None)
        .await
        .problem(400);
    assert_eq!(p["errors"][0]["field"], "from");
    let p = t
        .call("GET", &format!("/v1/audit?from={at}&to={at}"), &admin, None)
        .await
        .problem(400);
    assert_eq!(p["errors"][0]["field"], "to");
    t.call("GET", "/v1/audit?to=99999999999999999999999", &admin, None)
        .await
        .problem(400);
    t.call("GET", "/v1/audit?actor=%00", &admin, None)
        .await
        .problem(400);
    t.call(
        "GET",
        "/v1/audit?cursor=WzEsImF1ZGl0IixudWxsLCI1IiwiMCJd",
        &admin,
        None,
    )
    .await
    .problem(400);
    // There is no writing to it.
    let a = t
        .call("POST", "/v1/audit", &admin, Some(&json!({"action": "x"})))
        .await;
    a.problem(405);
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_and_audit_sqlite() {
    settings_story(Backend::Sqlite, "settings").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_and_audit_postgres() {
    settings_story(Backend::Postgres, "settings").await;
}

// ---- tenant isolation and roles --------------------------------------------------

/// One admin operation, with the roles allowed to call it.
struct Op {
    method: &'static str,
    /// With `{id}`, `{domain}`, `{iban}` placeholders as documented.
    path: &'static str,
    roles: &'static [&'static str],
    body: fn(&Ids) -> Option<Value>,
}

const ANY: &[&str] = &["admin", "approver", "clerk", "viewer"];
const CLERK: &[&str] = &["admin", "clerk"];
const ADMIN: &[&str] = &["admin"];
const AUDIT: &[&str] = &["admin", "approver"];

/// Ids of one tenant's rows.
struct Ids {
    vendor: String,
    other_vendor: String,
    user: String,
    key: String,
    request: String,
    domain: String,
    iban: String,
}

fn none(_: &Ids) -> Option<Value> {
    None
}

/// Every admin operation. A test below checks this is every one the OpenAPI
/// document lists under the admin tags.
fn operations() -> Vec<Op> {
    vec![
        Op {
            method: "GET",
            path: "/v1/vendors",
            roles: ANY,
            body: none,
        },
        Op {
            method: "POST",
            path: "/v1/vendors",
            roles: CLERK,
            body: |_| Some(json!({"name": "New"})),
        },
        Op {
            method: "GET",
            path: "/v1/vendors/{id}",
            roles: ANY,
            body: none,
        },
        Op {
            method: "PATCH",
            path: "/v1/vendors/{id}",
            roles: CLERK,
            body: |_| Some(json!({"name": "Renamed"})),
        },
        Op {
            method: "POST",
            path: "/v1/vendors/{id}/merge",
            roles: CLERK,
            body: |ids| Some(json!({"into": ids.other_vendor})),
        },
        Op {
            method: "POST",
            path: "/v1/vendors/{id}/domains",
            roles: CLERK,
            body: |_| Some(json!({"domain": "new.example"})),
        },
        Op {
            method: "DELETE",
            path: "/v1/vendors/{id}/domains/{domain}",
            roles: CLERK,
            body: none,
        },
        Op {
            method: "POST",
            path: "/v1/vendors/{id}/ibans",
            roles: CLERK,
            body: |_| Some(json!({"iban": IBAN_C})),
        },
        Op {
            method: "DELETE",
            path: "/v1/vendors/{id}/ibans/{iban}",
            roles: CLERK,
            body: none,
        },
        Op {
            method: "GET",
            path: "/v1/iban-requests",
            roles: ANY,
            body: none,
        },
        Op {
            method: "POST",
            path: "/v1/iban-requests/{id}/confirm",
            roles: CLERK,
            body: none,
        },
        Op {
            method: "POST",
            path: "/v1/iban-requests/{id}/decline",
            roles: CLERK,
            body: none,
        },
        Op {
            method: "GET",
            path: "/v1/users",
            roles: ADMIN,
            body: none,
        },
        Op {
            method: "POST",
            path: "/v1/users",
            roles: ADMIN,
            body: |_| Some(json!({"email": "new@acme.example", "roles": ["viewer"]})),
        },
        Op {
            method: "GET",
            path: "/v1/users/{id}",
            roles: ADMIN,
            body: none,
        },
        Op {
            method: "PATCH",
            path: "/v1/users/{id}",
            roles: ADMIN,
            body: |_| Some(json!({"name": "N"})),
        },
        Op {
            method: "POST",
            path: "/v1/users/{id}/disable",
            roles: ADMIN,
            body: none,
        },
        Op {
            method: "GET",
            path: "/v1/api-keys",
            roles: ADMIN,
            body: none,
        },
        Op {
            method: "POST",
            path: "/v1/api-keys",
            roles: ADMIN,
            body: |_| Some(json!({"name": "k", "roles": ["viewer"]})),
        },
        Op {
            method: "DELETE",
            path: "/v1/api-keys/{id}",
            roles: ADMIN,
            body: none,
        },
        Op {
            method: "GET",
            path: "/v1/settings",
            roles: ADMIN,
            body: none,
        },
        Op {
            method: "PUT",
            path: "/v1/settings",
            roles: ADMIN,
            body: |_| Some(json!({})),
        },
        Op {
            method: "GET",
            path: "/v1/audit",
            roles: AUDIT,
            body: none,
        },
        Op {
            method: "GET",
            path: "/v1/plugins",
            roles: ADMIN,
            body: none,
        },
        Op {
            method: "GET",
            path: "/v1/plugins/{name}",
            roles: ADMIN,
            body: none,
        },
        Op {
            method: "POST",
            path: "/v1/plugins/{name}/versions",
            roles: ADMIN,
            body: |_| Some(json!({})),
        },
        Op {
            method: "PUT",
            path: "/v1/plugins/{name}/settings",
            roles: ADMIN,
            body: |_| Some(json!({})),
        },
        Op {
            method: "POST",
            path: "/v1/plugins/{name}/activate",
            roles: ADMIN,
            body: |_| Some(json!({"version": "1"})),
        },
        Op {
            method: "POST",
            path: "/v1/plugins/{name}/rollback",
            roles: ADMIN,
            body: none,
        },
        Op {
            method: "POST",
            path: "/v1/plugins/{name}/disable",
            roles: ADMIN,
            body: none,
        },
        Op {
            method: "GET",
            path: "/v1/plugins/{name}/shadow",
            roles: ADMIN,
            body: none,
        },
        Op {
            method: "PUT",
            path: "/v1/plugins/{name}/shadow",
            roles: ADMIN,
            body: |_| Some(json!({"version": "1"})),
        },
        Op {
            method: "DELETE",
            path: "/v1/plugins/{name}/shadow",
            roles: ADMIN,
            body: none,
        },
        Op {
            method: "GET",
            path: "/v1/plugins/{name}/backtests",
            roles: ADMIN,
            body: none,
        },
        Op {
            method: "POST",
            path: "/v1/plugins/{name}/backtests",
            roles: ADMIN,
            body: |_| Some(json!({"version": "1", "last_n": 1})),
        },
        Op {
            method: "GET",
            path: "/v1/plugins/{name}/backtests/{id}",
            roles: ADMIN,
            body: none,
        },
        Op {
            method: "GET",
            path: "/v1/plugins/{name}/stats",
            roles: ADMIN,
            body: none,
        },
    ]
}

impl Op {
    /// The path with one tenant's ids.
    fn concrete(&self, ids: &Ids) -> String {
        let id = if self.path.starts_with("/v1/users/") {
            &ids.user
        } else if self.path.starts_with("/v1/api-keys/") {
            &ids.key
        } else if self.path.starts_with("/v1/iban-requests/") {
            &ids.request
        } else {
            &ids.vendor
        };
        let path = self
            .path
            .replace("{id}", id)
            .replace("{domain}", &ids.domain)
            .replace("{iban}", &ids.iban)
            // A plugin name no tenant has (plugins are named, not numbered).
            .replace("{name}", "po");
        // An upload names its version label in the query.
        if path.ends_with("/versions") {
            format!("{path}?version=1")
        } else {
            path
        }
    }

    fn has_id(&self) -> bool {
        self.path.contains("{id}")
    }
}

/// A tenant's rows, made through the API by its admin (`sub`).
async fn populate(t: &Admin, admin: &str, clerk_b: &str) -> Ids {
    let vendor = t
        .ok(
            "POST",
            "/v1/vendors",
            admin,
            Some(&json!({"name": "Their vendor"})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other_vendor = t
        .ok(
            "POST",
            "/v1/vendors",
            admin,
            Some(&json!({"name": "Their other vendor"})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.ok(
        "POST",
        &format!("/v1/vendors/{vendor}/domains"),
        admin,
        Some(&json!({"domain": "theirs.example"})),
        201,
    )
    .await;
    t.ok(
        "POST",
        &format!("/v1/vendors/{vendor}/ibans"),
        admin,
        Some(&json!({"iban": IBAN_A})),
        201,
    )
    .await;
    require_confirmation(t, admin).await;
    let request = t
        .ok(
            "POST",
            &format!("/v1/vendors/{other_vendor}/ibans"),
            clerk_b,
            Some(&json!({"iban": IBAN_B})),
            202,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let user = t
        .ok(
            "POST",
            "/v1/users",
            admin,
            Some(&json!({"email": "someone@their.example", "roles": ["viewer"]})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let key = t
        .ok(
            "POST",
            "/v1/api-keys",
            admin,
            Some(&json!({"name": "their key", "roles": ["viewer"]})),
            201,
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    Ids {
        vendor,
        other_vendor,
        user,
        key,
        request,
        domain: "theirs.example".into(),
        iban: IBAN_A_NORM.into(),
    }
}

async fn isolation_story(backend: Backend, name: &str) {
    let t = Admin::start(backend, name).await;
    let a_admin = t.acme("u-a-admin", &["admin"]);
    let a = populate(&t, &a_admin, &t.acme("u-a-clerk", &["clerk"])).await;
    let b_admin = t.globex("u-b-admin", &["admin"]);
    assert_eq!(
        t.ok("GET", "/v1/me", &b_admin, None, 200).await["tenant"]["id"],
        t.globex.as_str()
    );
    let b = populate(&t, &b_admin, &t.globex("u-b-clerk", &["clerk"])).await;
    let a_settings = t
        .call("GET", "/v1/settings", &a_admin, None)
        .await
        .header("etag")
        .unwrap();

    // Every operation on an id of A, called by B's admin: 404, and A is unchanged.
    for op in operations().iter().filter(|o| o.has_id()) {
        let path = op.concrete(&a);
        // The body names B's own rows where it names any.
        let body = (op.body)(&b);
        let p = t
            .call(op.method, &path, &b_admin, body.as_ref())
            .await
            .problem(404);
        assert_eq!(p["instance"], path.as_str());
        assert!(!detail(&p).contains("Their"), "no data of A in {p}");
    }
    // A body naming A's vendor from B's tenant is no vendor there either.
    invalid(
        &t.call(
            "POST",
            &format!("/v1/vendors/{}/merge", b.vendor),
            &b_admin,
            Some(&json!({"into": a.vendor})),
        )
        .await,
        "into",
    );
    // A's rows are all there still.
    let mine = t
        .ok(
            "GET",
            &format!("/v1/vendors/{}", a.vendor),
            &a_admin,
            None,
            200,
        )
        .await;
    assert_eq!(mine["name"], "Their vendor");
    assert_eq!(mine["domains"], json!(["theirs.example"]));
    assert_eq!(mine["ibans"][0]["iban"], IBAN_A_NORM);
    assert_eq!(
        t.ok("GET", &format!("/v1/users/{}", a.user), &a_admin, None, 200)
            .await["active"],
        true
    );
    let keys = t.ok("GET", "/v1/api-keys", &a_admin, None, 200).await;
    assert_eq!(keys["items"][0]["active"], true);
    assert_eq!(
        ids(&t.ok("GET", "/v1/iban-requests", &a_admin, None, 200).await),
        [a.request.as_str()]
    );

    // B's lists hold B's rows only, whatever the filter.
    let listings = [
        "/v1/vendors?limit=200",
        "/v1/vendors?q=Their",
        "/v1/vendors?q=theirs.example",
        "/v1/iban-requests",
        "/v1/users",
        "/v1/api-keys",
        "/v1/audit?limit=200",
    ];
    let a_ids = [&a.vendor, &a.other_vendor, &a.user, &a.key, &a.request];
    for path in listings {
        let l = t.ok("GET", path, &b_admin, None, 200).await;
        for id in ids_or_all(&l) {
            assert!(!a_ids.contains(&&id), "{path} shows A's {id}");
        }
        assert!(
            !l["items"].as_array().unwrap().is_empty(),
            "{path}: B has rows of its own"
        );
    }
    let audit = t
        .ok("GET", "/v1/audit?limit=200", &b_admin, None, 200)
        .await;
    let text = audit.to_string();
    for id in a_ids {
        assert!(!text.contains(id.as_str()), "B's audit log names A's {id}");
    }
    let a_admin_id = t.user_id(&t.acme, "u-a-admin").await;
    let by_a = t
        .ok(
            "GET",
            &format!("/v1/audit?actor=user:{a_admin_id}"),
            &b_admin,
            None,
            200,
        )
        .await;
    assert_eq!(by_a["items"], json!([]));
    // A's cursor means nothing to B.
    let a_page = t
        .ok("GET", "/v1/vendors?limit=1", &a_admin, None, 200)
        .await;
    let cursor = a_page["next_cursor"].as_str().unwrap();
    t.call(
        "GET",
        &format!("/v1/vendors?limit=1&cursor={cursor}"),
        &b_admin,
        None,
    )
    .await
    .problem(400);
    // Settings are per tenant: B's change leaves A's version alone.
    assert_eq!(
        t.call("GET", "/v1/settings", &a_admin, None)
            .await
            .header("etag")
            .unwrap(),
        a_settings
    );
    // An API key of B reads B only.
    let key_b = t
        .ok(
            "POST",
            "/v1/api-keys",
            &b_admin,
            Some(&json!({"name": "b", "roles": ["viewer"]})),
            201,
        )
        .await["token"]
        .as_str()
        .unwrap()
        .to_string();
    t.call("GET", &format!("/v1/vendors/{}", a.vendor), &key_b, None)
        .await
        .problem(404);
    t.ok(
        "GET",
        &format!("/v1/vendors/{}", b.vendor),
        &key_b,
        None,
        200,
    )
    .await;
}

/// Every `id` in a listing's items, and the ids its entries' details name.
fn ids_or_all(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| match &i["id"] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn tenant_isolation_sqlite() {
    isolation_story(Backend::Sqlite, "isolation").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tenant_isolation_postgres() {
    isolation_story(Backend::Postgres, "isolation").await;
}

async fn roles_story(backend: Backend, name: &str) {
    let t = Admin::start(backend, name).await;
    // Ids that do not exist: an allowed caller gets past the role check to a 404
    // (or a 2xx/4xx of the operation), a refused one is stopped before.
    let nothing = Ids {
        vendor: "v_000000000000000000000000".into(),
        other_vendor: "v_000000000000000000000001".into(),
        user: "u_000000000000000000000000".into(),
        key: "0000000000000000".into(),
        request: "ibr_000000000000000000000000".into(),
        domain: "none.example".into(),
        iban: IBAN_C.into(),
    };
    let mut checked = 0;
    for role in ["viewer", "clerk", "approver", "admin"] {
        let token = t.acme(&format!("u-{role}"), &[role]);
        for op in operations() {
            let path = op.concrete(&nothing);
            let body = (op.body)(&nothing);
            let a = t.call(op.method, &path, &token, body.as_ref()).await;
            if op.roles.contains(&role) {
                assert_ne!(
                    a.status,
                    403,
                    "{role} may {} {}: {}",
                    op.method,
                    op.path,
                    String::from_utf8_lossy(&a.body)
                );
                assert!(
                    a.status < 500,
                    "{} {}: {}",
                    op.method,
                    op.path,
                    String::from_utf8_lossy(&a.body)
                );
            } else {
                let p = a.problem(403);
                let needed = op
                    .roles
                    .iter()
                    .copied()
                    .find(|r| *r != "admin")
                    .unwrap_or("admin");
                assert!(
                    detail(&p).contains(needed),
                    "{role} on {} {}: {p}",
                    op.method,
                    op.path
                );
                assert!(detail(&p).contains(&format!("you have: {role}")), "{p}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 4 * operations().len());
    // A token without any Papyr role may do nothing, nor may an API key beyond its roles.
    let nobody = t.acme("u-nobody", &["offline_access"]);
    for op in operations() {
        let path = op.concrete(&nothing);
        let body = (op.body)(&nothing);
        t.call(op.method, &path, &nobody, body.as_ref())
            .await
            .problem(403);
    }
    let admin = t.acme("u-admin", &["admin"]);
    let viewer_key = t
        .ok(
            "POST",
            "/v1/api-keys",
            &admin,
            Some(&json!({"name": "ro", "roles": ["viewer"]})),
            201,
        )
        .await["token"]
        .as_str()
        .unwrap()
        .to_string();
    t.ok("GET", "/v1/vendors", &viewer_key, None, 200).await;
    t.call(
        "POST",
        "/v1/vendors",
        &viewer_key,
        Some(&json!({"name": "V"})),
    )
    .await
    .problem(403);
    t.call(
        "POST",
        "/v1/api-keys",
        &viewer_key,
        Some(&json!({"name": "k", "roles": ["admin"]})),
    )
    .await
    .problem(403);
    // Without credentials every one is 401.
    for op in operations() {
        let path = op.concrete(&nothing);
        t.call_with(op.method, &path, None, (op.body)(&nothing).as_ref(), &[])
            .await
            .problem(401);
    }

    // The table above is every admin operation of the OpenAPI document.
    let doc = t.api.get("/openapi.json", None).await.json();
    let admin_tags = [
        "vendors", "users", "api-keys", "settings", "audit", "plugins",
    ];
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let tags: Vec<&str> = op["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect();
            if !tags.iter().any(|t| admin_tags.contains(t)) {
                continue;
            }
            documented.insert((method.to_uppercase(), path.clone()));
            assert!(
                op["responses"].get("403").is_some(),
                "{method} {path} documents no 403"
            );
            // An upload creates the plugin its path names: nothing there to miss.
            let creates = method == "post" && path == "/v1/plugins/{name}/versions";
            if !creates
                && op["parameters"]
                    .as_array()
                    .is_some_and(|p| p.iter().any(|p| p["in"] == "path"))
            {
                assert!(
                    op["responses"].get("404").is_some(),
                    "{method} {path} documents no 404"
                );
            }
        }
    }
    let tested: BTreeSet<(String, String)> = operations()
        .iter()
        .map(|o| (o.method.to_string(), o.path.to_string()))
        .collect();
    assert_eq!(documented, tested);
}

#[tokio::test(flavor = "multi_thread")]
async fn role_checks_sqlite() {
    roles_story(Backend::Sqlite, "roles").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn role_checks_postgres() {
    roles_story(Backend::Postgres, "roles").await;
}
