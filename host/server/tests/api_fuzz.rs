//! A fuzz test of the whole REST API, driven by its own OpenAPI document: every
//! iteration picks an operation of `GET /openapi.json` (read at run time, so new
//! endpoints are covered without changing this file) and sends a random request
//! built from its parameters and request-body schema — boundary values, wrong
//! types, missing and unknown fields, huge numbers, unicode and control characters,
//! ids that exist, do not exist or belong to another tenant — with the credentials
//! of various roles, foreign or broken credentials, or none.
//!
//! The properties: no answer is a 5xx (or no answer at all); every 4xx is an RFC 9457
//! problem; an id of another tenant never gets a 2xx.
//!
//! The PRNG is seeded: the seed is printed, `PAPYR_FUZZ_SEED=<seed>` replays the
//! same sequence of requests, `PAPYR_FUZZ_ITERATIONS` sets the count. The run also
//! stops after [`TIME_BUDGET`], whatever the count.
mod common;
#[path = "api/helpers.rs"]
mod helpers;

use helpers::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

const DEFAULT_ITERATIONS: usize = 4000;
/// Each backend's loop stops after this long (the whole test stays under a minute).
const TIME_BUDGET: Duration = Duration::from_secs(40);
const IBANS: &[&str] = &[
    "DE89370400440532013000",
    "GB82 WEST 1234 5698 7654 32",
    "NL91ABNA0417164300",
    "FR1420041010050500013M02606",
];

/// splitmix64: tiny, fast, and the same sequence everywhere for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn seed() -> u64 {
    match std::env::var("PAPYR_FUZZ_SEED") {
        Ok(s) => s.trim().parse().expect("PAPYR_FUZZ_SEED is a u64"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
    }
}

fn iterations() -> usize {
    std::env::var("PAPYR_FUZZ_ITERATIONS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(DEFAULT_ITERATIONS)
}

// ---- the service and what exists in it ------------------------------------------

/// Who sends a request.
#[derive(Clone)]
struct Credential {
    label: &'static str,
    token: Option<String>,
    /// The tenant it acts in (`None`: no valid credential).
    tenant: Option<Tenant>,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Tenant {
    A,
    B,
}

/// Ids by collection (`vendors`, `users`, …) and tenant.
#[derive(Default)]
struct Pools {
    ids: BTreeMap<(String, Tenant), Vec<String>>,
    /// Cursors seen in answers, to send back (valid or in the wrong place).
    cursors: Vec<String>,
}

impl Pools {
    fn add(&mut self, collection: &str, tenant: Tenant, id: &str) {
        let v = self
            .ids
            .entry((collection.to_string(), tenant))
            .or_default();
        if !v.iter().any(|x| x == id) && v.len() < 50 {
            v.push(id.to_string());
        }
    }

    fn get(&self, collection: &str, tenant: Tenant) -> &[String] {
        self.ids
            .get(&(collection.to_string(), tenant))
            .map_or(&[], Vec::as_slice)
    }
}

struct Target {
    api: Api,
    _idp: Idp,
    creds: Vec<Credential>,
    pools: Pools,
}

/// The service in OIDC mode with tenants `acme` (A, whose credentials do most of
/// the calling) and `globex` (B), each with a few rows of every kind.
async fn start(backend: Backend, name: &str) -> Target {
    let idp = Idp::start();
    let env = idp.env();
    let mut env = env_refs(&env);
    env.push(("PAPYR_API__RATE_LIMIT_BURST", "1000000"));
    env.push(("PAPYR_API__RATE_LIMIT_PER_MINUTE", "100000000"));
    // Every accepted document is processed in the background; one worker is plenty.
    env.push(("PAPYR_WORKERS__COUNT", "1"));
    // An event stream the fuzzer dropped is noticed at the next keep-alive.
    env.push(("PAPYR_API__EVENTS_KEEPALIVE_SECS", "1"));
    let api = spawn(backend, name, &env).await;
    let db = api.db().await;
    db.ensure_tenant("acme", "Acme GmbH", "{}").await.unwrap();
    db.ensure_tenant("globex", "Globex Ltd", "{}")
        .await
        .unwrap();
    db.close().await;

    let mut pools = Pools::default();
    let mut creds = Vec::new();
    for (tenant, slug) in [(Tenant::A, "acme"), (Tenant::B, "globex")] {
        let admin = idp.token(&format!("fz-admin-{slug}"), slug, &["admin"], json!({}));
        let clerk = idp.token(&format!("fz-clerk-{slug}"), slug, &["clerk"], json!({}));
        let send = |method: &'static str, path: String, token: String, body: Value| {
            let api = &api;
            async move {
                let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                let req = api
                    .client
                    .request(m, format!("{}{path}", api.base))
                    .header("content-type", "application/json")
                    .body(body.to_string());
                let a = api.send(req, Some(&token)).await;
                assert!(
                    a.status < 300,
                    "{method} {path}: {}",
                    String::from_utf8_lossy(&a.body)
                );
                a
            }
        };
        for name in ["Fuzz Vendor One", "Fuzz Vendor Two"] {
            let v = send(
                "POST",
                "/v1/vendors".into(),
                admin.clone(),
                json!({"name": name}),
            )
            .await
            .json();
            pools.add("vendors", tenant, v["id"].as_str().unwrap());
        }
        let v = pools.get("vendors", tenant)[0].clone();
        send(
            "POST",
            format!("/v1/vendors/{v}/domains"),
            admin.clone(),
            json!({"domain": "fuzz.example"}),
        )
        .await;
        send(
            "POST",
            format!("/v1/vendors/{v}/ibans"),
            admin.clone(),
            json!({"iban": IBANS[0]}),
        )
        .await;
        let settings = api.get("/v1/settings", Some(&admin)).await;
        let etag = settings.header("etag").unwrap();
        let put = api
            .client
            .put(format!("{}/v1/settings", api.base))
            .header("content-type", "application/json")
            .header("if-match", etag)
            .body(json!({"vendor_policy": {"iban_requires_confirmation": true}}).to_string());
        assert_eq!(api.send(put, Some(&admin)).await.status, 200);
        let r = send(
            "POST",
            format!("/v1/vendors/{v}/ibans"),
            clerk.clone(),
            json!({"iban": IBANS[2]}),
        )
        .await
        .json();
        pools.add("iban-requests", tenant, r["id"].as_str().unwrap());
        let u = send(
            "POST",
            "/v1/users".into(),
            admin.clone(),
            json!({"email": format!("someone@{slug}.example"), "roles": ["viewer"]}),
        )
        .await
        .json();
        pools.add("users", tenant, u["id"].as_str().unwrap());
        let k = send(
            "POST",
            "/v1/api-keys".into(),
            admin.clone(),
            json!({"name": "fuzz pool key", "roles": ["viewer"]}),
        )
        .await
        .json();
        pools.add("api-keys", tenant, k["id"].as_str().unwrap());
        let up = api
            .upload(&[("scan.png", &tiny_png()[..])], Some(&admin))
            .await;
        assert!(up.status < 300, "{}", String::from_utf8_lossy(&up.body));
        pools.add(
            "invoices",
            tenant,
            up.json()["files"][0]["id"].as_str().unwrap(),
        );
        if tenant == Tenant::A {
            // A real invoice, so the approval endpoints meet one in its later states
            // (it is processed in the background while the run goes on).
            let up = api
                .upload(
                    &[("invoice.pdf", &sample("00007-en-invoice.pdf")[..])],
                    Some(&admin),
                )
                .await;
            assert!(up.status < 300, "{}", String::from_utf8_lossy(&up.body));
            pools.add(
                "invoices",
                tenant,
                up.json()["files"][0]["id"].as_str().unwrap(),
            );
        }
        if tenant == Tenant::B {
            creds.push(Credential {
                label: "admin of another tenant",
                token: Some(admin),
                tenant: Some(Tenant::B),
            });
            continue;
        }
        // A's callers. The key used for calling is not in the pool: revoking it would
        // only turn the rest of the run into 401s.
        let key = send(
            "POST",
            "/v1/api-keys".into(),
            admin.clone(),
            json!({"name": "fuzz caller", "roles": ["admin"]}),
        )
        .await
        .json()["token"]
            .as_str()
            .unwrap()
            .to_string();
        let idp = &idp;
        let person = |label: &'static str, sub: &str, roles: &[&str]| Credential {
            label,
            token: Some(idp.token(sub, "acme", roles, json!({}))),
            tenant: Some(Tenant::A),
        };
        creds.extend([
            person("admin", "fz-admin-acme", &["admin"]),
            person("clerk", "fz-clerk-acme", &["clerk"]),
            person("second clerk", "fz-clerk2-acme", &["clerk"]),
            person("approver", "fz-approver-acme", &["approver"]),
            person("viewer", "fz-viewer-acme", &["viewer"]),
            person("no role", "fz-nobody-acme", &["offline_access"]),
            Credential {
                label: "admin API key",
                token: Some(key),
                tenant: Some(Tenant::A),
            },
        ]);
    }
    Target {
        api,
        _idp: idp,
        creds,
        pools,
    }
}

// ---- the OpenAPI document ----------------------------------------------------------

struct Param {
    name: String,
    location: String,
    schema: Value,
    required: bool,
}

struct Operation {
    method: String,
    path: String,
    params: Vec<Param>,
    /// (media type, schema) of the request body.
    body: Option<(String, Value)>,
    body_required: bool,
}

impl Operation {
    fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The collection its `{id}` belongs to: `/v1/vendors/{id}/…` → `vendors`.
    fn collection(&self) -> Option<&str> {
        let mut segments = self.path.trim_start_matches("/v1/").split('/');
        let first = segments.next()?;
        (segments.next() == Some("{id}")).then_some(first)
    }
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let params = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| Param {
                            name: p["name"].as_str().unwrap_or_default().to_string(),
                            location: p["in"].as_str().unwrap_or_default().to_string(),
                            schema: p["schema"].clone(),
                            required: p["required"].as_bool().unwrap_or(false),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let body = op["requestBody"]["content"]
                .as_object()
                .and_then(|c| c.iter().next())
                .map(|(media, c)| (media.clone(), c["schema"].clone()));
            ops.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                params,
                body,
                body_required: op["requestBody"]["required"].as_bool().unwrap_or(false),
            });
        }
    }
    ops
}

// ---- random values ------------------------------------------------------------------

/// Strings that have broken parsers and databases before.
const NASTY: &[&str] = &[
    "",
    " ",
    "0",
    "-1",
    "null",
    "true",
    "[]",
    "{}",
    "a\u{0}b",
    "\u{0}",
    "\u{7f}\u{1b}[31m",
    "line\nbreak",
    "tab\there",
    "é",
    "Ä\u{301}",
    "😀🧾",
    "\u{202e}gnp.exe",
    "\u{fffd}",
    "' OR '1'='1",
    "\"; DROP TABLE vendors; --",
    "%",
    "%25",
    "%00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "ＡＢＣ",
    "user:local",
    "api-key:0000000000000000",
    "99999999999999999999999999",
    "-9223372036854775809",
    "1e309",
    "NaN",
    "2025-02-30",
    "9999-12-31T23:59:59Z",
    "0000-00-00",
];

fn random_string(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 | 1 => rng.pick(NASTY).to_string(),
        2 => {
            let len = rng.below(40);
            (0..len)
                .map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('?'))
                .collect()
        }
        3 => "x".repeat(*rng.pick(&[255usize, 256, 1000, 5000])),
        4 => format!("fz{}", rng.next() % 100_000),
        _ => {
            let len = 1 + rng.below(12);
            (0..len)
                .map(|_| char::from(b'a' + rng.below(26) as u8))
                .collect()
        }
    }
}

fn random_integer(rng: &mut Rng) -> Value {
    match rng.below(4) {
        0 => json!(*rng.pick(&[
            0i64,
            1,
            -1,
            2,
            50,
            199,
            200,
            201,
            1000,
            i64::from(u32::MAX),
            i64::MAX,
            i64::MIN
        ])),
        1 => json!(rng.next() as i64),
        2 => json!(*rng.pick(&[1.5f64, -0.0, 1e300, -1e300])),
        _ => json!(rng.below(1000)),
    }
}

/// A value of some other JSON type than the schema wants.
fn wrong_type(rng: &mut Rng) -> Value {
    match rng.below(7) {
        0 => Value::Null,
        1 => json!(rng.chance(50)),
        2 => random_integer(rng),
        3 => json!(random_string(rng)),
        4 => json!([random_string(rng), 1, null]),
        5 => json!({"unexpected": random_string(rng)}),
        _ => {
            // Deep nesting.
            let mut v = json!(1);
            for _ in 0..(10 + rng.below(200)) {
                v = json!([v]);
            }
            v
        }
    }
}

struct Gen<'a> {
    doc: &'a Value,
    pools: &'a Pools,
}

impl Gen<'_> {
    fn resolve<'s>(&'s self, schema: &'s Value) -> &'s Value {
        let mut s = schema;
        for _ in 0..10 {
            match s["$ref"].as_str() {
                Some(r) => {
                    let name = r.rsplit('/').next().unwrap_or_default();
                    s = &self.doc["components"]["schemas"][name];
                }
                None => break,
            }
        }
        s
    }

    /// A value that is often plausible for a field of this name, so requests get
    /// past shape checks into the handlers' own.
    fn plausible(&self, rng: &mut Rng, field: &str) -> Option<Value> {
        let any_id = |rng: &mut Rng, collection: &str| {
            let tenant = if rng.chance(80) { Tenant::A } else { Tenant::B };
            let ids = self.pools.get(collection, tenant);
            (!ids.is_empty()).then(|| json!(rng.pick(ids)))
        };
        Some(match field {
            "email" => json!(format!("fz{}@acme.example", rng.next() % 1000)),
            "iban" => json!(*rng.pick(IBANS)),
            "domain" => json!(format!("fz{}.example", rng.next() % 1000)),
            "country" => json!(*rng.pick(&["DE", "fr", "XK", "ZZ"])),
            "currency" => json!(*rng.pick(&["EUR", "CHF", "usd", "XXX"])),
            "into" | "vendor_id" => return any_id(rng, "vendors"),
            "ids" | "invoice_ids" => return any_id(rng, "invoices").map(|v| json!([v])),
            "auto_approve_below" | "approval_threshold" | "below" | "value" | "amount" => {
                json!(*rng.pick(&[
                    "100.00",
                    "0",
                    "-5",
                    "12.345",
                    "1e9",
                    "9999999999999999999.99"
                ]))
            }
            "today" | "date" | "issue_date" | "due_date" => {
                json!(*rng.pick(&["2025-01-31", "2025-02-30", "31.01.2025"]))
            }
            "hold_score" | "approvals" => json!(*rng.pick(&[0, 1, 2, 70, 100, 101, u32::MAX])),
            "roles" => json!([*rng.pick(&["admin", "approver", "clerk", "viewer", "root"])]),
            "name" | "comment" | "reason" => json!(*rng.pick(&["Fuzz", "Übersicht GmbH", "x"])),
            _ => return None,
        })
    }

    fn value(&self, rng: &mut Rng, schema: &Value, field: &str, depth: usize) -> Value {
        if depth > 6 {
            return Value::Null;
        }
        if rng.chance(8) {
            return wrong_type(rng);
        }
        if rng.chance(40)
            && let Some(v) = self.plausible(rng, field)
        {
            return v;
        }
        let s = self.resolve(schema);
        if let Some(all) = s["allOf"].as_array() {
            let mut merged = Map::new();
            for part in all {
                if let Value::Object(m) = self.value(rng, part, field, depth + 1) {
                    merged.extend(m);
                }
            }
            return Value::Object(merged);
        }
        if let Some(options) = s["oneOf"].as_array().or(s["anyOf"].as_array())
            && !options.is_empty()
        {
            let o = rng.pick(options).clone();
            return self.value(rng, &o, field, depth + 1);
        }
        if let Some(values) = s["enum"].as_array()
            && !values.is_empty()
            && rng.chance(90)
        {
            return rng.pick(values).clone();
        }
        let ty = match &s["type"] {
            Value::String(t) => t.clone(),
            Value::Array(ts) if !ts.is_empty() => {
                rng.pick(ts).as_str().unwrap_or("string").to_string()
            }
            _ if s["properties"].is_object() => "object".into(),
            _ => ["string", "integer", "object", "array", "boolean"][rng.below(5)].to_string(),
        };
        match ty.as_str() {
            "null" => Value::Null,
            "boolean" => json!(rng.chance(50)),
            "integer" | "number" => random_integer(rng),
            "string" => {
                if let Some(ex) = s.get("example").filter(|_| rng.chance(30)) {
                    return ex.clone();
                }
                json!(random_string(rng))
            }
            "array" => {
                let n = if rng.chance(3) { 300 } else { rng.below(4) };
                let items = s.get("items").cloned().unwrap_or(Value::Null);
                Value::Array(
                    (0..n)
                        .map(|_| self.value(rng, &items, field, depth + 1))
                        .collect(),
                )
            }
            _ => {
                let mut m = Map::new();
                let required: Vec<&str> = s["required"]
                    .as_array()
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if let Some(props) = s["properties"].as_object() {
                    for (k, p) in props {
                        let want = if required.contains(&k.as_str()) {
                            92
                        } else {
                            50
                        };
                        if rng.chance(want) {
                            m.insert(k.clone(), self.value(rng, p, k, depth + 1));
                        }
                    }
                }
                if let Some(extra) = s.get("additionalProperties").filter(|a| a.is_object()) {
                    for _ in 0..rng.below(3) {
                        m.insert(random_string(rng), self.value(rng, extra, "", depth + 1));
                    }
                }
                if rng.chance(5) {
                    m.insert(random_string(rng), wrong_type(rng));
                }
                Value::Object(m)
            }
        }
    }
}

/// A path segment, percent-encoded (or, now and then, raw bytes no decoder likes).
fn segment(raw: &str) -> String {
    let mut out = String::new();
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A query or header value for a parameter's schema.
fn param_value(rng: &mut Rng, g: &Gen<'_>, p: &Param) -> Vec<String> {
    let s = g.resolve(&p.schema);
    let scalar = |rng: &mut Rng, s: &Value| -> String {
        if let Some(values) = s["enum"].as_array().filter(|_| rng.chance(60)) {
            return rng
                .pick(values)
                .as_str()
                .map_or_else(|| rng.pick(values).to_string(), str::to_string);
        }
        let ty = match &s["type"] {
            Value::String(t) => t.as_str(),
            Value::Array(ts) => ts
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("string"),
            _ => "string",
        };
        match (ty, rng.below(3)) {
            ("integer" | "number", 0 | 1) => random_integer(rng).to_string(),
            ("boolean", 0 | 1) => rng.pick(&["true", "false", "1", "yes", "TRUE"]).to_string(),
            _ => random_string(rng),
        }
    };
    let special = match p.name.as_str() {
        "cursor" if !g.pools.cursors.is_empty() && rng.chance(50) => {
            Some(rng.pick(&g.pools.cursors).clone())
        }
        "vendor_id" | "document_id" if rng.chance(50) => {
            let c = if p.name == "vendor_id" {
                "vendors"
            } else {
                "invoices"
            };
            let t = if rng.chance(70) { Tenant::A } else { Tenant::B };
            g.pools.get(c, t).first().cloned()
        }
        "actor" if rng.chance(50) => {
            Some(rng.pick(&["user:local", "system", "operator"]).to_string())
        }
        "If-Match" => Some(
            rng.pick(&[
                "\"1\"",
                "\"2\"",
                "\"3\"",
                "*",
                "W/\"1\"",
                "1",
                "\"-1\"",
                "\"99999999999999999999\"",
                "\"a\", \"b\"",
                "garbage",
            ])
            .to_string(),
        ),
        _ => None,
    };
    if let Some(v) = special {
        return vec![v];
    }
    if s["type"] == "array"
        || s["type"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("array")))
    {
        let items = g.resolve(&s["items"]).clone();
        let examples: Vec<String> = p.schema["example"]
            .as_array()
            .or(s["example"].as_array())
            .map(|e| {
                e.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let n = 1 + rng.below(3);
        let vals: Vec<String> = (0..n)
            .map(|_| {
                if !examples.is_empty() && rng.chance(60) {
                    rng.pick(&examples).clone()
                } else {
                    scalar(rng, &items)
                }
            })
            .collect();
        return if rng.chance(50) {
            vals
        } else {
            vec![vals.join(",")]
        };
    }
    vec![scalar(rng, s)]
}

// ---- one request ----------------------------------------------------------------

struct Sent {
    method: String,
    url: String,
    credential: &'static str,
    caller: Option<Tenant>,
    headers: Vec<(String, String)>,
    content_type: Option<String>,
    body: Vec<u8>,
    /// An `{id}` of the other tenant than the caller's.
    foreign: bool,
}

impl Sent {
    fn describe(&self) -> String {
        let body = String::from_utf8_lossy(&self.body);
        let body: String = body.chars().take(300).collect();
        format!(
            "{} {} as {} headers {:?} content-type {:?} body {body:?}",
            self.method, self.url, self.credential, self.headers, self.content_type
        )
    }
}

fn multipart_body(rng: &mut Rng) -> (String, Vec<u8>) {
    let boundary = "fuzz-boundary-2Qm9";
    let mut body = Vec::new();
    for _ in 0..rng.below(4) {
        let name = if rng.chance(85) {
            "file".to_string()
        } else {
            random_string(rng)
        };
        let filename = random_string(rng);
        let bytes: Vec<u8> = match rng.below(10) {
            0 => tiny_png(),
            1 => b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF".to_vec(),
            2 => Vec::new(),
            3 => b"<?xml version=\"1.0\"?><Invoice/>".to_vec(),
            _ => (0..rng.below(2000)).map(|_| rng.next() as u8).collect(),
        };
        let _ = write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n\r\n",
            name.replace(['"', '\r', '\n'], "_"),
            filename.replace(['"', '\r', '\n'], "_")
        );
        body.extend_from_slice(&bytes);
        body.extend_from_slice(b"\r\n");
    }
    if rng.chance(90) {
        let _ = write!(body, "--{boundary}--\r\n");
    }
    let ct = if rng.chance(90) {
        format!("multipart/form-data; boundary={boundary}")
    } else {
        "multipart/form-data".to_string()
    };
    (ct, body)
}

fn build(rng: &mut Rng, t: &Target, doc: &Value, op: &Operation) -> Request {
    let g = Gen {
        doc,
        pools: &t.pools,
    };
    // Who: mostly tenant A's people and key, sometimes B's admin, broken or none.
    let cred = match rng.below(100) {
        0..=7 => Credential {
            label: "none",
            token: None,
            tenant: None,
        },
        8..=11 => Credential {
            label: "broken",
            token: Some(
                rng.pick(&[
                    "papyr_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                    "papyr_zz_zz",
                    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
                    "not-a-token",
                    "Basic",
                ])
                .to_string(),
            ),
            tenant: None,
        },
        _ => rng.pick(&t.creds).clone(),
    };
    let caller = cred.tenant;
    let mut foreign = false;
    let mut path = String::new();
    for part in op.path.split('/') {
        if part.is_empty() {
            continue;
        }
        path.push('/');
        let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) else {
            path.push_str(part);
            continue;
        };
        let collection = if name == "id" { op.collection() } else { None };
        let mine = caller.unwrap_or(Tenant::A);
        let other = if mine == Tenant::A {
            Tenant::B
        } else {
            Tenant::A
        };
        let value = match (rng.below(10), collection) {
            (0..=4, Some(c)) if !t.pools.get(c, mine).is_empty() => {
                segment(rng.pick::<String>(t.pools.get(c, mine)))
            }
            (5..=6, Some(c)) if !t.pools.get(c, other).is_empty() => {
                foreign = caller.is_some();
                segment(rng.pick::<String>(t.pools.get(c, other)))
            }
            (7, _) => rng
                .pick(&["%00", "%FF", "%C3%28", "%2F", "%25", "a%00b"])
                .to_string(),
            _ => match name {
                "domain" if rng.chance(50) => "fuzz.example".into(),
                "iban" if rng.chance(50) => segment(rng.pick::<&str>(IBANS)),
                "field" if rng.chance(60) => rng
                    .pick(&[
                        "invoice_number",
                        "issue_date",
                        "due_date",
                        "total_gross",
                        "currency",
                        "vendor_name",
                        "iban",
                        "nope",
                    ])
                    .to_string(),
                _ => segment(&random_string(rng)),
            },
        };
        // An empty segment would address another route.
        path.push_str(if value.is_empty() { "%20" } else { &value });
    }

    let mut query = form_urlencoded::Serializer::new(String::new());
    let mut headers = Vec::new();
    for p in &op.params {
        if p.location == "path" || !(p.required || rng.chance(45)) {
            continue;
        }
        for v in param_value(rng, &g, p) {
            match p.location.as_str() {
                "query" => {
                    query.append_pair(&p.name, &v);
                }
                "header" => headers.push((p.name.clone(), v)),
                _ => {}
            }
        }
    }
    if rng.chance(5) {
        query.append_pair(&random_string(rng), &random_string(rng));
    }
    let mut query = query.finish();
    if rng.chance(3) {
        query.push_str(rng.pick::<&str>(&["&%ZZ=1", "&limit=%00", "&&&", "&cursor", "&q=%FF%FE"]));
    }
    let url = if query.is_empty() {
        format!("{}{path}", t.api.base)
    } else {
        format!("{}{path}?{query}", t.api.base)
    };

    let (content_type, body) = match &op.body {
        None if rng.chance(90) => (None, Vec::new()),
        None => (
            Some("application/json".to_string()),
            b"{\"surprise\": true}".to_vec(),
        ),
        Some((media, schema)) => {
            let roll = rng.below(100);
            if roll < 5 && !op.body_required {
                (None, Vec::new())
            } else if roll < 10 {
                let junk: &[&[u8]] = &[
                    b"",
                    b"{",
                    b"nul",
                    b"\xff\xfe",
                    b"{\"a\":1} trailing",
                    b"[1,2",
                    b"{\"a\":\"\\ud800\"}",
                ];
                (Some("application/json".into()), rng.pick(junk).to_vec())
            } else if roll < 13 {
                (
                    Some(
                        rng.pick(&[
                            "text/plain",
                            "application/xml",
                            "application/x-www-form-urlencoded",
                        ])
                        .to_string(),
                    ),
                    b"a=1".to_vec(),
                )
            } else if roll < 15 {
                // Larger than any JSON limit: refused before it is read (or cut off).
                (
                    Some("application/json".into()),
                    format!("{{\"pad\":\"{}\"}}", "x".repeat(1_100_000)).into_bytes(),
                )
            } else if media.starts_with("multipart/") {
                let (ct, b) = multipart_body(rng);
                (Some(ct), b)
            } else {
                let v = g.value(rng, schema, "", 0);
                (Some(media.clone()), v.to_string().into_bytes())
            }
        }
    };
    Sent {
        method: op.method.clone(),
        url,
        credential: cred.label,
        caller,
        headers,
        content_type,
        body,
        foreign,
    }
    .with_token(cred.token)
}

/// The bearer token travels beside the request (never printed whole).
struct Request {
    sent: Sent,
    token: Option<String>,
}

impl Sent {
    fn with_token(self, token: Option<String>) -> Request {
        Request { sent: self, token }
    }
}

#[derive(Default)]
struct Tally {
    per_op: BTreeMap<String, BTreeMap<u16, usize>>,
    failures: Vec<String>,
    sent: usize,
}

async fn exchange(t: &mut Target, req: Request, op: &Operation, tally: &mut Tally) {
    let s = &req.sent;
    let method = reqwest::Method::from_bytes(s.method.as_bytes()).unwrap();
    let mut rb = t
        .api
        .client
        .request(method, &s.url)
        .timeout(Duration::from_secs(15));
    if let Some(tok) = &req.token {
        rb = rb.bearer_auth(tok);
    }
    for (k, v) in &s.headers {
        if let Ok(v) = reqwest::header::HeaderValue::from_str(v) {
            rb = rb.header(k.as_str(), v);
        }
    }
    if let Some(ct) = &s.content_type {
        rb = rb.header("content-type", ct);
    }
    if !s.body.is_empty() {
        rb = rb.body(s.body.clone());
    }
    tally.sent += 1;
    let res = match rb.send().await {
        Ok(r) => r,
        Err(e) => {
            tally
                .failures
                .push(format!("no answer ({e}): {}", s.describe()));
            return;
        }
    };
    let status = res.status().as_u16();
    *tally
        .per_op
        .entry(op.key())
        .or_default()
        .entry(status)
        .or_default() += 1;
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    // An event stream never ends; its status and type are all there is to check.
    if ct.starts_with("text/event-stream") {
        return;
    }
    let body = match tokio::time::timeout(Duration::from_secs(15), res.bytes()).await {
        Ok(Ok(b)) => b,
        _ => {
            tally.failures.push(format!(
                "{status} without a complete body: {}",
                s.describe()
            ));
            return;
        }
    };
    let text = String::from_utf8_lossy(&body);
    let shown: String = text.chars().take(400).collect();
    if status >= 500 {
        tally
            .failures
            .push(format!("{status}: {}\n    -> {shown}", s.describe()));
        return;
    }
    if (400..500).contains(&status) {
        let problem: Option<Value> = serde_json::from_slice(&body).ok();
        let ok = ct == "application/problem+json"
            && problem.as_ref().is_some_and(|p| {
                p["status"] == status
                    && p["title"].is_string()
                    && p["type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("urn:papyr:problem:"))
            });
        if !ok {
            tally.failures.push(format!(
                "{status} is not a problem ({ct}): {}\n    -> {shown}",
                s.describe()
            ));
        }
        return;
    }
    if s.foreign && (200..300).contains(&status) {
        tally.failures.push(format!(
            "{status} for another tenant's id: {}\n    -> {shown}",
            s.describe()
        ));
        return;
    }
    // Remember what the answers hand out, so later requests use it.
    if (200..300).contains(&status) && ct.starts_with("application/json") {
        let v: Value = match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                tally.failures.push(format!(
                    "{status} with a JSON type but no JSON ({e}): {}",
                    s.describe()
                ));
                return;
            }
        };
        if let Some(c) = v["next_cursor"].as_str()
            && t.pools.cursors.len() < 20
        {
            t.pools.cursors.push(c.to_string());
        }
        let collection = op
            .path
            .trim_start_matches("/v1/")
            .split('/')
            .next()
            .unwrap_or_default();
        if let (Some(tenant), "POST", false) = (s.caller, s.method.as_str(), op.path.contains('{'))
        {
            if let Some(id) = v["id"].as_str() {
                t.pools.add(collection, tenant, id);
            }
            for f in v["files"].as_array().into_iter().flatten() {
                if let Some(id) = f["id"].as_str() {
                    t.pools.add("invoices", tenant, id);
                }
            }
        }
    }
}

async fn fuzz(backend: Backend, name: &str) {
    let seed = seed();
    let wanted = iterations();
    println!(
        "api_fuzz {name}: seed {seed} (replay: PAPYR_FUZZ_SEED={seed}), up to {wanted} requests"
    );
    let mut t = start(backend, name).await;
    let doc = t.api.get("/openapi.json", None).await.json();
    // A fresh connection per request: after an early answer (413 before the body
    // was read) the server closes the connection, and a pooled client would see the
    // next request on it fail, which is no fault of the service.
    t.api.client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let ops = operations(&doc);
    assert!(
        ops.len() >= 20,
        "the document lists {} operations",
        ops.len()
    );
    let mut rng = Rng(seed);
    let mut tally = Tally::default();
    let started = Instant::now();
    for _ in 0..wanted {
        if started.elapsed() > TIME_BUDGET {
            break;
        }
        let op = rng.pick(&ops);
        let req = build(&mut rng, &t, &doc, op);
        exchange(&mut t, req, op, &mut tally).await;
        if tally.failures.len() >= 25 {
            break;
        }
    }
    let elapsed = started.elapsed();
    let mut report = format!(
        "api_fuzz {name}: {} requests in {:.1} s, seed {seed}\n",
        tally.sent,
        elapsed.as_secs_f64()
    );
    for (op, statuses) in &tally.per_op {
        let _ = writeln!(report, "  {op:<48} {statuses:?}");
    }
    println!("{report}");
    assert!(
        tally.failures.is_empty(),
        "{} failures (seed {seed}; replay with PAPYR_FUZZ_SEED={seed}):\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
    // The run reached every operation, and past authentication: the properties
    // above were checked where they matter.
    let reached = |op: &Operation| {
        tally
            .per_op
            .get(&op.key())
            .is_some_and(|s| s.keys().any(|st| *st != 401 && *st != 403))
    };
    if tally.sent >= 1000 {
        let missed: Vec<String> = ops
            .iter()
            .filter(|o| !reached(o))
            .map(Operation::key)
            .collect();
        assert!(
            missed.is_empty(),
            "never got past authentication and roles: {missed:?}"
        );
        let ok: usize = tally
            .per_op
            .values()
            .flat_map(|s| s.iter())
            .filter(|(st, _)| (200..300).contains(*st))
            .map(|(_, n)| n)
            .sum();
        assert!(
            ok * 20 >= tally.sent,
            "only {ok} of {} requests succeeded",
            tally.sent
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn api_fuzz_sqlite() {
    fuzz(Backend::Sqlite, "fuzz_sqlite").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn api_fuzz_postgres() {
    fuzz(Backend::Postgres, "fuzz_pg").await;
}
