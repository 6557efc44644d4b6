//! The invoice endpoints end to end, against real `papyr serve` processes on SQLite
//! and PostgreSQL: real sample invoices uploaded through the API and processed by
//! the pipeline, then listed (every filter and sort, paged to the end), read,
//! corrected under `If-Match` (the checks run again), approved, rejected, sent back
//! for information, marked exported and exported as CSV and JSON — with tenant
//! isolation and role checks on every endpoint.
mod common;
#[path = "api/helpers.rs"]
mod helpers;

use helpers::*;
use papyr_store::{Db, VendorRow};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

const PROCESSING: Duration = Duration::from_secs(300);

/// The samples the story uploads, in two batches (so that received times split them).
const FIRST: &[&str] = &[
    "00001-fr-invoice.pdf",
    "00002-es-invoice.pdf",
    "00003-en-invoice.xml",
    "00004-nl-receipt.pdf",
];
const SECOND: &[&str] = &[
    "00006-de-invoice.pdf",
    "00007-en-invoice.pdf",
    "00009-it-invoice.pdf",
    "00010-en-invoice.pdf",
    "00012-it-credit-note.pdf",
];

/// A tenant with the bundled sample tenant's settings (auto-approval below 1000 EUR,
/// two approvers from 5000 EUR) and, with `vendors`, its vendor master (as the demo
/// tenant gets them); returns its id.
async fn sample_tenant(db: &Db, slug: &str, vendors: bool) -> String {
    let file =
        papyr_domain::TenantFile::from_json(std::str::from_utf8(&sample("tenant.json")).unwrap())
            .unwrap();
    let mut settings = file.clone();
    settings.vendors.clear();
    let tenant = db
        .ensure_tenant(slug, &file.name, &serde_json::to_string(&settings).unwrap())
        .await
        .unwrap();
    for v in file.vendors.iter().filter(|_| vendors) {
        let row = VendorRow {
            id: format!("{tenant}:{}", v.id),
            name: v.name.clone(),
            country: v.country.clone(),
            tax_ids: v.tax_ids.clone(),
            ibans: v
                .ibans
                .iter()
                .map(|i| papyr_runtime::convert::norm_iban(i))
                .collect(),
            domains: v.domains.clone(),
            created_at: 0,
            updated_at: 0,
        };
        db.upsert_vendor(&tenant, &row, "test-import")
            .await
            .unwrap();
    }
    tenant
}

/// Everyone the story needs: people by token, integrations by API key.
struct People {
    /// API key of an integration with clerk and approver roles: uploads everything.
    uploader: String,
    /// Clerk and approver: corrects fields.
    carl: String,
    /// Carl's user id in the tenant (his subject as the API sees it).
    carl_id: String,
    /// Approver.
    anna: String,
    /// Administrator.
    ada: String,
    /// Clerk only.
    cleo: String,
    /// Viewer.
    vic: String,
    /// A member without any Papyr role.
    nobody: String,
    /// Two approvers' API keys (two different integrations or people).
    key_a1: String,
    key_a2: String,
    /// Tenant beta: its admin and its clerk's API key.
    bea: String,
    beta_key: String,
}

struct Story {
    api: Api,
    /// Serves the signing keys for as long as the story runs.
    _idp: Idp,
    p: People,
    /// Acme's invoices by sample file name.
    ids: BTreeMap<String, String>,
    /// Beta's invoices.
    beta_ids: Vec<String>,
}

fn ms_to_rfc3339(ms: i64) -> String {
    let s = papyr_runtime::pipeline::unix_to_rfc3339((ms / 1000) as u64);
    format!("{}.{:03}Z", s.trim_end_matches('Z'), ms % 1000)
}

fn query(pairs: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    q.finish()
}

impl Story {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        if_match: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self
            .api
            .client
            .request(method, format!("{}{path}", self.api.base));
        if let Some(v) = if_match {
            req = req.header("if-match", v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        self.api.send(req, Some(token)).await
    }

    async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, token, None, None).await
    }

    async fn post(
        &self,
        path: &str,
        token: &str,
        if_match: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.call(Method::POST, path, token, if_match, body).await
    }

    async fn patch_field(
        &self,
        id: &str,
        field: &str,
        token: &str,
        if_match: Option<&str>,
        body: Value,
    ) -> Answer {
        self.call(
            Method::PATCH,
            &format!("/v1/invoices/{id}/fields/{field}"),
            token,
            if_match,
            Some(body),
        )
        .await
    }

    fn id(&self, file: &str) -> &str {
        &self.ids[file]
    }

    /// The invoice and its ETag.
    async fn invoice(&self, id: &str, token: &str) -> (Value, String) {
        let a = self.get(&format!("/v1/invoices/{id}"), token).await;
        assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
        let etag = a.header("etag").expect("an ETag");
        let v = a.json();
        assert_eq!(
            etag,
            format!("\"{}\"", v["version"]),
            "the ETag is the version"
        );
        (v, etag)
    }

    /// Every page of a listing, following `Link`; asserts no id twice and that the
    /// body's `next_cursor` and the header agree.
    async fn pages(&self, path_and_query: &str, token: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(path_and_query.to_string());
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            assert!(pages < 100, "paging does not end: {url}");
            let a = self.get(&url, token).await;
            assert_eq!(a.status, 200, "{url}: {}", String::from_utf8_lossy(&a.body));
            let body = a.json();
            for it in body["items"].as_array().unwrap() {
                let id = it["id"].as_str().unwrap().to_string();
                assert!(
                    seen.insert(id.clone()),
                    "{id} twice while paging {path_and_query}"
                );
                items.push(it.clone());
            }
            match (a.header("link"), body["next_cursor"].as_str()) {
                (Some(link), Some(cursor)) => {
                    let target = link
                        .strip_prefix('<')
                        .and_then(|l| l.split_once(">; rel=\"next\""))
                        .map(|(t, _)| t.to_string())
                        .unwrap_or_else(|| panic!("not a next link: {link}"));
                    let encoded: String =
                        form_urlencoded::byte_serialize(cursor.as_bytes()).collect();
                    assert!(target.contains(&format!("cursor={encoded}")), "{target}");
                    next = Some(target);
                }
                (None, None) => {}
                other => panic!("Link and next_cursor disagree: {other:?}"),
            }
        }
        items
    }
}

fn ids_of(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

fn has_rule(inv: &Value, rule: &str) -> bool {
    inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == rule)
}

fn field<'a>(inv: &'a Value, name: &str) -> &'a Value {
    inv["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == name)
        .unwrap_or_else(|| panic!("no field {name} in {inv}"))
}

/// Start the service (OIDC mode: several people), set up two tenants, upload the
/// samples and wait until the pipeline is done with them.
async fn start(backend: Backend, name: &str) -> Story {
    let idp = Idp::start();
    let mut env = idp.env();
    // The story sends many requests per caller; rate limiting has its own test.
    env.push(("PAPYR_API__RATE_LIMIT_PER_MINUTE", "100000".into()));
    env.push(("PAPYR_API__RATE_LIMIT_BURST", "100000".into()));
    let api = spawn(backend, name, &env_refs(&env)).await;
    let db = api.db().await;
    let acme = sample_tenant(&db, "acme", true).await;
    let beta = sample_tenant(&db, "beta", false).await;
    db.close().await;
    let t = |sub: &str, tenant: &str, roles: &[&str]| idp.token(sub, tenant, roles, json!({}));
    let p = People {
        uploader: api.api_key("acme", &["clerk", "approver"]).await.1,
        carl: t("u-carl", "acme", &["clerk", "approver"]),
        carl_id: String::new(),
        anna: t("u-anna", "acme", &["approver"]),
        ada: t("u-ada", "acme", &["admin"]),
        cleo: t("u-cleo", "acme", &["clerk"]),
        vic: t("u-vic", "acme", &["viewer"]),
        nobody: t("u-nobody", "acme", &["offline_access"]),
        key_a1: api.api_key("acme", &["approver"]).await.1,
        key_a2: api.api_key("acme", &["approver"]).await.1,
        bea: t("u-bea", "beta", &["admin"]),
        beta_key: api.api_key("beta", &["clerk"]).await.1,
    };
    let mut p = p;
    let me = api.get("/v1/me", Some(&p.carl)).await.json();
    p.carl_id = me["subject"].as_str().unwrap().to_string();

    let mut ids = BTreeMap::new();
    for batch in [FIRST, SECOND] {
        let files: Vec<(String, Vec<u8>)> =
            batch.iter().map(|f| (f.to_string(), sample(f))).collect();
        let parts: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
        let a = api.upload(&parts, Some(&p.uploader)).await;
        assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
        for f in a.json()["files"].as_array().unwrap() {
            ids.insert(
                f["filename"].as_str().unwrap().to_string(),
                f["id"].as_str().unwrap().to_string(),
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let beta_files = [
        ("00007-en-invoice.pdf", sample("00007-en-invoice.pdf")),
        ("00003-en-invoice.xml", sample("00003-en-invoice.xml")),
    ];
    let parts: Vec<(&str, &[u8])> = beta_files.iter().map(|(n, b)| (*n, &b[..])).collect();
    let a = api.upload(&parts, Some(&p.beta_key)).await;
    assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
    let beta_ids = ids_of(a.json()["files"].as_array().unwrap());
    for id in ids.values() {
        api.wait_final(&acme, id, PROCESSING).await;
    }
    for id in &beta_ids {
        api.wait_final(&beta, id, PROCESSING).await;
    }
    Story {
        api,
        _idp: idp,
        p,
        ids,
        beta_ids,
    }
}

/// The whole story on one backend.
async fn story(backend: Backend, name: &str) {
    let s = start(backend, name).await;
    listing(&s).await;
    detail(&s).await;
    roles(&s).await;
    hostile_input(&s).await;
    corrections(&s).await;
    approvals(&s).await;
    exports(&s).await;
    isolation(&s).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invoices_sqlite() {
    story(Backend::Sqlite, "invoices").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invoices_postgres() {
    story(Backend::Postgres, "invoices").await;
}

/// Every filter returns exactly the listed invoices that match it (checked against
/// the unfiltered listing), every sort is in order, and paging two at a time
/// reaches the end with every invoice once.
async fn listing(s: &Story) {
    let vic = &s.p.vic;
    let all = s.pages("/v1/invoices?limit=200", vic).await;
    assert_eq!(all.len(), s.ids.len(), "{all:?}");
    let by_file: BTreeMap<&str, &Value> = all
        .iter()
        .map(|i| (i["filename"].as_str().unwrap(), i))
        .collect();
    let status_of = |f: &str| by_file[f]["status"].as_str().unwrap().to_string();
    for (file, status) in [
        ("00001-fr-invoice.pdf", "pending_approval"),
        ("00002-es-invoice.pdf", "pending_approval"),
        ("00003-en-invoice.xml", "auto_approved"),
        ("00004-nl-receipt.pdf", "not_an_invoice"),
        ("00006-de-invoice.pdf", "auto_approved"),
        ("00009-it-invoice.pdf", "on_hold"),
        ("00010-en-invoice.pdf", "pending_approval"),
        ("00012-it-credit-note.pdf", "pending_approval"),
    ] {
        assert_eq!(
            status_of(file),
            status,
            "{file}: the story assumes this outcome of the pipeline"
        );
    }
    let i1 = by_file["00001-fr-invoice.pdf"];
    assert_eq!(i1["gross_total"], "3166.77");
    assert_eq!(i1["gross_minor"], 316677);
    assert_eq!(i1["currency"], "EUR");
    // Newest first by default.
    let received: Vec<i64> = all
        .iter()
        .map(|i| i["received_at"].as_i64().unwrap())
        .collect();
    assert!(received.windows(2).all(|w| w[0] >= w[1]), "{received:?}");

    // Each filter against the same predicate applied to the full listing.
    let second_batch_from = SECOND
        .iter()
        .map(|f| by_file[f]["received_at"].as_i64().unwrap())
        .min()
        .unwrap();
    let first_batch_to = FIRST
        .iter()
        .map(|f| by_file[f]["received_at"].as_i64().unwrap())
        .max()
        .unwrap();
    assert!(first_batch_to < second_batch_from);
    let day = &ms_to_rfc3339(received[0])[..10];
    let day_start = received[0] - received[0].rem_euclid(86_400_000);
    let vendor = i1["vendor_id"]
        .as_str()
        .expect("00001's vendor is known")
        .to_string();
    let from_text = ms_to_rfc3339(second_batch_from);
    // The same instant at +01:00, its `+` sent unencoded (it arrives as a space).
    let plus_one = ms_to_rfc3339(second_batch_from + 3_600_000).replace('Z', "+01:00");
    type Pred = Box<dyn Fn(&Value) -> bool>;
    let s_ = |k: &'static str| move |i: &Value| i[k].as_str().map(str::to_string);
    let cases: Vec<(String, Pred, bool)> = vec![
        (
            query(&[("status", "pending_approval")]),
            Box::new(|i| i["status"] == "pending_approval"),
            true,
        ),
        (
            query(&[("status", "pending_approval,on_hold")]),
            Box::new(|i| i["status"] == "pending_approval" || i["status"] == "on_hold"),
            true,
        ),
        (
            query(&[("status", "on_hold"), ("status", "pending_approval")]),
            Box::new(|i| i["status"] == "pending_approval" || i["status"] == "on_hold"),
            true,
        ),
        (
            query(&[("vendor_id", &vendor)]),
            Box::new({
                let v = vendor.clone();
                move |i| i["vendor_id"] == v.as_str()
            }),
            true,
        ),
        (
            query(&[("amount_min", "1000.00"), ("amount_max", "6000")]),
            Box::new(|i| {
                i["gross_minor"]
                    .as_i64()
                    .is_some_and(|g| (100_000..=600_000).contains(&g))
            }),
            true,
        ),
        (
            query(&[("amount_min", "1000.00"), ("currency", "eur")]),
            Box::new(|i| {
                i["currency"] == "EUR" && i["gross_minor"].as_i64().is_some_and(|g| g >= 100_000)
            }),
            true,
        ),
        (
            query(&[("currency", "SEK")]),
            Box::new(|i| i["currency"] == "SEK"),
            true,
        ),
        (
            query(&[("received_from", &from_text)]),
            Box::new(move |i| i["received_at"].as_i64().unwrap() >= second_batch_from),
            true,
        ),
        (
            format!("received_from={plus_one}"),
            Box::new(move |i| i["received_at"].as_i64().unwrap() >= second_batch_from),
            true,
        ),
        (
            query(&[("received_to", &from_text)]),
            Box::new(move |i| i["received_at"].as_i64().unwrap() < second_batch_from),
            true,
        ),
        (
            query(&[("received_from", day), ("received_to", day)]),
            Box::new(move |i| {
                (day_start..day_start + 86_400_000).contains(&i["received_at"].as_i64().unwrap())
            }),
            true,
        ),
        (
            query(&[("received_to", "2000-01-01")]),
            Box::new(|_| false),
            false,
        ),
        (
            query(&[("issue_from", "2026-07-01"), ("issue_to", "2026-09-30")]),
            Box::new(move |i| {
                s_("issue_date")(i)
                    .is_some_and(|d| ("2026-07-01"..="2026-09-30").contains(&d.as_str()))
            }),
            true,
        ),
        (
            query(&[("has_findings", "true")]),
            Box::new(|i| i["finding_count"].as_i64().unwrap() > 0),
            true,
        ),
        (
            query(&[("has_findings", "false")]),
            Box::new(|i| i["finding_count"] == 0),
            true,
        ),
        (
            query(&[("q", "ROSVEN")]),
            Box::new(|i| {
                ["vendor_name", "invoice_number", "filename"]
                    .iter()
                    .any(|k| {
                        i[*k]
                            .as_str()
                            .is_some_and(|v| v.to_lowercase().contains("rosven"))
                    })
            }),
            true,
        ),
        (
            query(&[("q", "receipt")]),
            Box::new(|i| i["filename"] == "00004-nl-receipt.pdf"),
            true,
        ),
        (
            query(&[("q", "F2026/1110")]),
            Box::new(|i| i["invoice_number"] == "F2026/1110"),
            true,
        ),
        (
            query(&[
                ("status", "pending_approval"),
                ("has_findings", "false"),
                ("currency", "EUR"),
            ]),
            Box::new(|i| {
                i["status"] == "pending_approval"
                    && i["finding_count"] == 0
                    && i["currency"] == "EUR"
            }),
            true,
        ),
    ];
    for (q, pred, nonempty) in &cases {
        let want: Vec<String> =
            ids_of(&all.iter().filter(|i| pred(i)).cloned().collect::<Vec<_>>());
        assert_eq!(
            !want.is_empty(),
            *nonempty,
            "{q}: the samples should give a meaningful case"
        );
        let got = ids_of(&s.pages(&format!("/v1/invoices?{q}&limit=2"), vic).await);
        assert_eq!(got, want, "{q}");
    }
    let rosven = s.pages("/v1/invoices?q=rosven", vic).await;
    assert_eq!(
        rosven.len(),
        2,
        "Rosven N.V. and Rosvenros S.r.l.: {rosven:?}"
    );

    // Every sort, both ways: in order, nulls last, paged to the same sequence.
    for key in [
        "received_at",
        "issue_date",
        "gross",
        "vendor_name",
        "status",
    ] {
        for desc in [false, true] {
            let sort = if desc {
                format!("-{key}")
            } else {
                key.to_string()
            };
            let full = s
                .pages(&format!("/v1/invoices?sort={sort}&limit=200"), vic)
                .await;
            let paged = s
                .pages(&format!("/v1/invoices?sort={sort}&limit=2"), vic)
                .await;
            assert_eq!(ids_of(&paged), ids_of(&full), "{sort}");
            assert_eq!(full.len(), all.len(), "{sort}");
            let value = |i: &Value| -> Option<Value> {
                let v = match key {
                    "gross" => i["gross_minor"].clone(),
                    "vendor_name" => i["vendor_name"]
                        .as_str()
                        .map_or(Value::Null, |v| Value::from(v.to_lowercase())),
                    k => i[k].clone(),
                };
                (!v.is_null()).then_some(v)
            };
            let cmp = |a: &Value, b: &Value| match (a, b) {
                (Value::Number(x), Value::Number(y)) => x.as_i64().cmp(&y.as_i64()),
                _ => a.as_str().unwrap().cmp(b.as_str().unwrap()),
            };
            for w in full.windows(2) {
                let (a, b) = (value(&w[0]), value(&w[1]));
                let ok = match (&a, &b) {
                    (Some(x), Some(y)) => {
                        let o = cmp(x, y);
                        let o = if desc { o.reverse() } else { o };
                        let id_o = w[0]["id"].as_str().cmp(&w[1]["id"].as_str());
                        let id_o = if desc { id_o.reverse() } else { id_o };
                        o.is_lt() || (o.is_eq() && id_o.is_lt())
                    }
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (None, None) => {
                        let id_o = w[0]["id"].as_str().cmp(&w[1]["id"].as_str());
                        if desc { id_o.is_gt() } else { id_o.is_lt() }
                    }
                };
                assert!(ok, "{sort}: {a:?} then {b:?}");
            }
        }
    }
    // A cursor belongs to its sort order.
    let first = s.get("/v1/invoices?sort=gross&limit=1", vic).await.json();
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let p = s
        .get(
            &format!("/v1/invoices?sort=-gross&{}", query(&[("cursor", &cursor)])),
            vic,
        )
        .await
        .problem(400);
    assert_eq!(p["errors"][0]["field"], "cursor", "{p}");

    // Bad values: 400 naming the parameter.
    for (q, param) in [
        ("status=paid", "status"),
        ("amount_min=12.345", "amount_min"),
        ("currency=EURO", "currency"),
        ("received_from=last-week", "received_from"),
        ("issue_to=2026-02-30", "issue_to"),
        ("has_findings=maybe", "has_findings"),
        ("sort=price", "sort"),
        ("limit=ten", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("tenant=t_beta", "tenant"),
    ] {
        let p = s.get(&format!("/v1/invoices?{q}"), vic).await.problem(400);
        assert_eq!(p["errors"][0]["field"], param, "{q}: {p}");
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("`{param}`")),
            "{q}: {p}"
        );
    }
}

/// One invoice: fields with evidence, findings, decision with reasons, approvals,
/// history and links; the ETag is its version.
async fn detail(s: &Story) {
    let vic = &s.p.vic;
    let (inv, _) = s.invoice(s.id("00001-fr-invoice.pdf"), vic).await;
    assert_eq!(inv["status"], "pending_approval");
    assert_eq!(inv["channel"], "api");
    assert_eq!(inv["vendor_name"], "Elarnor Services SARL");
    assert_eq!(inv["gross_total"], "3166.77");
    let g = field(&inv, "gross_total");
    assert_eq!(g["value"], "3166.77");
    assert_eq!(
        g["source"], "e-invoice",
        "a Factur-X invoice is read from its XML"
    );
    assert!(g["confidence"].as_f64().unwrap() > 0.9);
    assert!(!inv["line_items"].as_array().unwrap().is_empty());
    assert_eq!(inv["decision"]["outcome"], "needs-approval");
    let reasons = inv["decision"]["reasons"].as_array().unwrap();
    assert!(
        reasons
            .iter()
            .any(|r| r.as_str().unwrap().contains("auto-approval limit")),
        "{reasons:?}"
    );
    assert_eq!(inv["approval"]["needed"], 1);
    assert_eq!(inv["approval"]["remaining"], 1);
    assert_eq!(inv["approval"]["approved_by"], json!([]));
    let actions: Vec<&str> = inv["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    for a in [
        "received",
        "checked",
        "decision:needs-approval",
        "report-rendered",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let links = &inv["links"];
    assert_eq!(
        links["self"],
        format!("/v1/invoices/{}", s.id("00001-fr-invoice.pdf"))
    );
    let original = s.get(links["original"].as_str().unwrap(), vic).await;
    assert_eq!(original.body, sample("00001-fr-invoice.pdf"));
    let report = s.get(links["report"].as_str().unwrap(), vic).await;
    assert!(report.body.starts_with(b"%PDF-"));

    // A text-layer PDF says where each value was read.
    let (inv, _) = s.invoice(s.id("00006-de-invoice.pdf"), vic).await;
    let n = field(&inv, "invoice_number");
    assert_eq!(n["value"], "RE0733");
    assert_eq!(n["source"], "text-layer");
    assert!(
        n["page"].as_u64().unwrap() >= 1 && n["line"].as_u64().unwrap() >= 1,
        "{n}"
    );
    assert!(n["text"].as_str().unwrap().contains("RE0733"), "{n}");

    // Findings with their evidence.
    let (inv, _) = s.invoice(s.id("00009-it-invoice.pdf"), vic).await;
    let f = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "bank.iban-changed")
        .unwrap_or_else(|| panic!("00009 carries a changed IBAN: {inv}"));
    assert!(!f["evidence"].as_array().unwrap().is_empty(), "{f}");
    assert_eq!(inv["decision"]["outcome"], "hold");

    // A document that is no invoice has no invoice fields and no report.
    let (inv, _) = s.invoice(s.id("00004-nl-receipt.pdf"), vic).await;
    assert_eq!(inv["status"], "not_an_invoice");
    assert!(inv["links"]["report"].is_null());

    s.get("/v1/invoices/d_nope", vic).await.problem(404);
}

/// What each role may do, endpoint by endpoint. A refused role is 403 before
/// anything else about the request matters (no `If-Match`, no body).
async fn roles(s: &Story) {
    let id = s.id("00010-en-invoice.pdf").to_string();
    let (_, etag) = s.invoice(&id, &s.p.vic).await;
    let p = &s.p;
    let writes: Vec<(Method, String)> = vec![
        (Method::PATCH, format!("/v1/invoices/{id}/fields/po_number")),
        (Method::POST, format!("/v1/invoices/{id}/approve")),
        (Method::POST, format!("/v1/invoices/{id}/reject")),
        (Method::POST, format!("/v1/invoices/{id}/request-info")),
        (Method::POST, format!("/v1/invoices/{id}/provide-info")),
        (Method::POST, format!("/v1/invoices/{id}/export")),
        (Method::POST, "/v1/invoices/export".to_string()),
        (Method::GET, "/v1/exports/approved".to_string()),
    ];
    // (who, which of `writes` it may use): viewers none, approvers the decisions,
    // clerks corrections, answers and exports.
    let allowed: [(&str, &str, [bool; 8]); 4] = [
        ("viewer", &p.vic, [false; 8]),
        ("no role", &p.nobody, [false; 8]),
        (
            "approver",
            &p.anna,
            [false, true, true, true, false, false, false, false],
        ),
        (
            "clerk",
            &p.cleo,
            [true, false, false, false, true, true, true, true],
        ),
    ];
    for (who, token, may) in allowed {
        for ((method, path), may) in writes.iter().zip(may) {
            let a = s.call(method.clone(), path, token, None, None).await;
            if may {
                assert_ne!(a.status, 403, "{who} may {method} {path}");
            } else {
                let pr = a.problem(403);
                assert!(
                    pr["detail"].as_str().unwrap().contains("role"),
                    "{who} {method} {path}: {pr}"
                );
            }
        }
    }
    // Reading needs any role.
    for path in ["/v1/invoices".to_string(), format!("/v1/invoices/{id}")] {
        assert_eq!(s.get(&path, &p.vic).await.status, 200);
        s.get(&path, &p.nobody).await.problem(403);
    }
    // The refusals changed nothing.
    let (_, after) = s.invoice(&id, &s.p.vic).await;
    assert_eq!(after, etag);
}

/// Input no invoice can match is a 4xx on both databases (PostgreSQL refuses NUL
/// in text), never a 500, and changes nothing.
async fn hostile_input(s: &Story) {
    let (ada, id) = (&s.p.ada, s.id("00010-en-invoice.pdf"));
    let (_, etag) = s.invoice(id, ada).await;
    let long = "d".repeat(300);
    for bad in ["a%00b", "%0A", long.as_str()] {
        for (method, path) in [
            (Method::GET, format!("/v1/invoices/{bad}")),
            (Method::GET, format!("/v1/invoices/{bad}/original")),
            (Method::GET, format!("/v1/invoices/{bad}/report")),
            (Method::POST, format!("/v1/invoices/{bad}/export")),
        ] {
            s.call(method, &path, ada, None, None).await.problem(404);
        }
        let body = json!({"value": "x", "reason": "r", "comment": "c"});
        s.call(
            Method::PATCH,
            &format!("/v1/invoices/{bad}/fields/po_number"),
            ada,
            Some(&etag),
            Some(json!({"value": "x"})),
        )
        .await
        .problem(404);
        for action in ["approve", "reject", "request-info", "provide-info"] {
            let mut b = body.clone();
            b.as_object_mut().unwrap().retain(|k, _| match action {
                "reject" => k == "reason",
                _ => k == "comment",
            });
            s.post(
                &format!("/v1/invoices/{bad}/{action}"),
                ada,
                Some(&etag),
                Some(b),
            )
            .await
            .problem(404);
        }
    }
    s.post(
        "/v1/invoices/export",
        ada,
        None,
        Some(json!({"ids": [id, "a\u{0}b"]})),
    )
    .await
    .problem(404);
    for q in ["q=a%00b", "vendor_id=%00", "status=on_hold%00"] {
        s.get(&format!("/v1/invoices?{q}"), ada).await.problem(400);
    }
    s.get("/v1/exports/approved?since=%00", ada)
        .await
        .problem(400);
    let pr = s
        .post(
            &format!("/v1/invoices/{id}/request-info"),
            ada,
            Some(&etag),
            Some(json!({"comment": "a\u{0}b"})),
        )
        .await
        .problem(422);
    assert_eq!(pr["errors"][0]["field"], "comment", "{pr}");
    let pr = s
        .patch_field(
            id,
            "po_number",
            ada,
            Some(&etag),
            json!({"value": "PO\u{0}", "comment": "x"}),
        )
        .await
        .problem(422);
    assert_eq!(pr["errors"][0]["field"], "value", "{pr}");
    assert_eq!(s.invoice(id, ada).await.1, etag, "nothing changed");
}

/// Corrections under `If-Match`, and the checks that run again afterwards.
async fn corrections(s: &Story) {
    let carl = &s.p.carl;
    let id = s.id("00006-de-invoice.pdf").to_string();
    let (before, etag) = s.invoice(&id, carl).await;
    assert_eq!(before["status"], "auto_approved");
    assert!(!has_rule(&before, "math.totals"));
    let good = json!({"value": "312.34", "comment": "total misread"});

    // No If-Match: 428; a stale one: 412 with the current ETag; `*`: 400.
    let p = s
        .patch_field(&id, "gross_total", carl, None, good.clone())
        .await
        .problem(428);
    assert_eq!(p["type"], "urn:papyr:problem:precondition-required");
    assert_eq!(
        p["instance"],
        format!("/v1/invoices/{id}/fields/gross_total")
    );
    let a = s
        .patch_field(&id, "gross_total", carl, Some("\"0\""), good.clone())
        .await;
    a.problem(412);
    assert_eq!(a.header("etag"), Some(etag.clone()));
    s.patch_field(&id, "gross_total", carl, Some("*"), good.clone())
        .await
        .problem(400);
    // Bad input: named.
    let p = s
        .patch_field(&id, "colour", carl, Some(&etag), good.clone())
        .await
        .problem(400);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("unknown field `colour`"),
        "{p}"
    );
    s.patch_field(&id, "line_items", carl, Some(&etag), good.clone())
        .await
        .problem(400);
    let p = s
        .patch_field(
            &id,
            "gross_total",
            carl,
            Some(&etag),
            json!({"value": "a lot"}),
        )
        .await
        .problem(422);
    assert_eq!(p["errors"][0]["field"], "value", "{p}");
    let p = s
        .patch_field(
            &id,
            "issue_date",
            carl,
            Some(&etag),
            json!({"value": "31.12.2026"}),
        )
        .await
        .problem(422);
    assert!(p["detail"].as_str().unwrap().contains("YYYY-MM-DD"), "{p}");
    let p = s
        .patch_field(
            &id,
            "gross_total",
            carl,
            Some(&etag),
            json!({"comment": "no value"}),
        )
        .await
        .problem(422);
    assert!(p["detail"].as_str().unwrap().contains("value"), "{p}");
    s.patch_field(
        &id,
        "gross_total",
        carl,
        Some(&etag),
        json!({"value": 312.34}),
    )
    .await
    .problem(422);
    let a = s
        .api
        .send(
            s.api
                .client
                .patch(format!(
                    "{}/v1/invoices/{id}/fields/gross_total",
                    s.api.base
                ))
                .header("if-match", &etag)
                .header("content-type", "text/plain")
                .body("312.34"),
            Some(carl),
        )
        .await;
    a.problem(415);
    // None of that changed the invoice.
    assert_eq!(s.invoice(&id, carl).await.1, etag);

    // A gross total that no longer adds up: `math.totals`, and a person must look.
    let a = s
        .patch_field(&id, "gross_total", carl, Some(&etag), good.clone())
        .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let inv = a.json();
    let new_etag = a.header("etag").unwrap();
    assert_eq!(new_etag, format!("\"{}\"", inv["version"]));
    assert!(inv["version"].as_i64().unwrap() > before["version"].as_i64().unwrap());
    assert!(has_rule(&inv, "math.totals"), "{}", inv["findings"]);
    assert_eq!(inv["gross_total"], "312.34");
    // Medium findings need a person; enough of them hold the invoice.
    let outcome = (
        inv["status"].as_str().unwrap(),
        inv["decision"]["outcome"].as_str().unwrap(),
    );
    assert!(
        [("pending_approval", "needs-approval"), ("on_hold", "hold")].contains(&outcome),
        "{}",
        inv["decision"]
    );
    assert!(
        inv["decision"]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| !r
                .as_str()
                .unwrap()
                .contains("below the auto-approval limit")),
        "the reasons are the new decision's: {}",
        inv["decision"]
    );
    assert_eq!(inv["approval"]["needed"], 1);
    let g = field(&inv, "gross_total");
    let carl_id = s.p.carl_id.as_str();
    assert_eq!(
        (g["source"].as_str(), g["corrected_by"].as_str()),
        (Some("manual"), Some(carl_id))
    );
    assert_eq!(g["confidence"], 1.0);
    let c = &inv["corrections"][0];
    assert_eq!(
        (
            &c["field"],
            &c["old_value"],
            &c["new_value"],
            &c["actor"],
            &c["comment"]
        ),
        (
            &json!("gross_total"),
            &json!("278.41"),
            &json!("312.34"),
            &json!(carl_id),
            &json!("total misread")
        )
    );
    let actions: Vec<(&str, &str)> = inv["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["actor"].as_str().unwrap(), h["action"].as_str().unwrap()))
        .collect();
    let by_carl = format!("user:{carl_id}");
    let decided = format!("decision:{}", outcome.1);
    for want in [
        (by_carl.as_str(), "correct"),
        (by_carl.as_str(), "recheck"),
        ("system", decided.as_str()),
    ] {
        assert!(actions.contains(&want), "{want:?} missing from {actions:?}");
    }
    // The listing agrees; the old ETag is stale; the same value again changes nothing.
    let listed = s.get("/v1/invoices?q=00006&limit=5", carl).await.json();
    assert_eq!(listed["items"][0]["gross_minor"], 31234);
    assert!(listed["items"][0]["finding_count"].as_i64().unwrap() > 0);
    s.patch_field(&id, "gross_total", carl, Some(&etag), good.clone())
        .await
        .problem(412);
    let a = s
        .patch_field(&id, "gross_total", carl, Some(&new_etag), good.clone())
        .await;
    assert_eq!((a.status, a.header("etag")), (200, Some(new_etag.clone())));

    // A bank account the vendor master does not know: `bank.iban-changed`, on hold.
    let id = s.id("00012-it-credit-note.pdf").to_string();
    let (before, etag) = s.invoice(&id, carl).await;
    assert!(
        !has_rule(&before, "bank.iban-changed"),
        "{}",
        before["findings"]
    );
    let a = s
        .patch_field(
            &id,
            "iban",
            carl,
            Some(&etag),
            json!({"value": "de89 3704 0044 0532 0130 00"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let inv = a.json();
    assert_eq!(inv["iban"], "DE89370400440532013000", "normalised");
    let f = inv["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "bank.iban-changed")
        .unwrap_or_else(|| panic!("{}", inv["findings"]));
    // A German account for an Italian vendor aggravates it: critical, on hold.
    assert_eq!(f["severity"], "critical", "{f}");
    assert_eq!(inv["status"], "on_hold", "{}", inv["decision"]);
    assert_eq!(
        inv["decision"]["reasons"],
        json!(["a critical finding holds the invoice"])
    );

    // The vendor name of 00002 becomes something a spreadsheet would run (the
    // export must defuse it); its checks run again and it still needs two people.
    let id = s.id("00002-es-invoice.pdf").to_string();
    let (_, etag) = s.invoice(&id, carl).await;
    let a = s
        .patch_field(
            &id,
            "vendor_name",
            carl,
            Some(&etag),
            json!({"value": "=HYPERLINK(\"http://evil.example\",\"pay me\"), Junmarnor"}),
        )
        .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let inv = a.json();
    assert_eq!(inv["status"], "pending_approval", "{}", inv["decision"]);
    assert_eq!(inv["approval"]["needed"], 2);
}

async fn approvals(s: &Story) {
    let p = &s.p;
    let approve = |id: String, token: String, etag: Option<String>, body: Option<Value>| async move {
        s.post(
            &format!("/v1/invoices/{id}/approve"),
            &token,
            etag.as_deref(),
            body,
        )
        .await
    };

    // 00001: the uploader may not approve; two approvers racing with the same ETag:
    // exactly one wins.
    let id = s.id("00001-fr-invoice.pdf").to_string();
    let (_, etag) = s.invoice(&id, &p.vic).await;
    approve(id.clone(), p.ada.clone(), None, None)
        .await
        .problem(428);
    let pr = approve(id.clone(), p.uploader.clone(), Some(etag.clone()), None)
        .await
        .problem(403);
    assert!(
        pr["detail"]
            .as_str()
            .unwrap()
            .contains("uploaded this invoice"),
        "{pr}"
    );
    let (a, b) = tokio::join!(
        approve(
            id.clone(),
            p.key_a1.clone(),
            Some(etag.clone()),
            Some(json!({"comment": "ok"}))
        ),
        approve(id.clone(), p.key_a2.clone(), Some(etag.clone()), None),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [200, 412],
        "{} / {}",
        String::from_utf8_lossy(&a.body),
        String::from_utf8_lossy(&b.body)
    );
    let won = if a.status == 200 { a } else { b };
    let inv = won.json();
    assert_eq!(inv["status"], "approved");
    assert_eq!(inv["approval"]["approved_by"].as_array().unwrap().len(), 1);
    assert_eq!(inv["approval"]["remaining"], 0);
    let again = approve(id.clone(), p.anna.clone(), won.header("etag"), None)
        .await
        .problem(409);
    assert!(
        again["detail"].as_str().unwrap().contains("approved"),
        "{again}"
    );

    // 00002 needs two people: not the one who corrected it, not the same one twice.
    let id = s.id("00002-es-invoice.pdf").to_string();
    let (_, etag) = s.invoice(&id, &p.vic).await;
    let pr = approve(id.clone(), p.carl.clone(), Some(etag.clone()), None)
        .await
        .problem(403);
    assert!(
        pr["detail"].as_str().unwrap().contains("corrected fields"),
        "{pr}"
    );
    let a = approve(
        id.clone(),
        p.key_a1.clone(),
        Some(etag.clone()),
        Some(json!({})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let inv = a.json();
    assert_eq!(inv["status"], "pending_approval");
    assert_eq!(inv["approval"]["remaining"], 1);
    let etag = a.header("etag").unwrap();
    let pr = approve(id.clone(), p.key_a1.clone(), Some(etag.clone()), None)
        .await
        .problem(403);
    assert!(
        pr["detail"].as_str().unwrap().contains("already approved"),
        "{pr}"
    );
    let a = approve(id.clone(), p.key_a2.clone(), Some(etag), None).await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let inv = a.json();
    assert_eq!(inv["status"], "approved");
    assert_eq!(inv["approval"]["approved_by"].as_array().unwrap().len(), 2);
    let acts: Vec<&str> = inv["approval"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        acts.iter().filter(|a| **a == "approve").count(),
        2,
        "{acts:?}"
    );

    // 00009 is on hold: an administrator's decision.
    let id = s.id("00009-it-invoice.pdf").to_string();
    let (_, etag) = s.invoice(&id, &p.vic).await;
    let pr = approve(id.clone(), p.anna.clone(), Some(etag.clone()), None)
        .await
        .problem(403);
    assert!(
        pr["detail"].as_str().unwrap().contains("administrator"),
        "{pr}"
    );
    let a = approve(
        id.clone(),
        p.ada.clone(),
        Some(etag),
        Some(json!({"comment": "called the vendor back"})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.json()["status"], "approved");

    // 00006 (corrected above, so it may be on hold: an admin rejects): rejection
    // needs a reason.
    let id = s.id("00006-de-invoice.pdf").to_string();
    let (_, etag) = s.invoice(&id, &p.vic).await;
    let reject = |body: Option<Value>, etag: Option<String>| {
        let id = id.clone();
        let ada = p.ada.clone();
        async move {
            s.post(
                &format!("/v1/invoices/{id}/reject"),
                &ada,
                etag.as_deref(),
                body,
            )
            .await
        }
    };
    reject(Some(json!({"reason": "wrong"})), None)
        .await
        .problem(428);
    let pr = reject(None, Some(etag.clone())).await.problem(422);
    assert_eq!(pr["errors"][0]["field"], "reason", "{pr}");
    let pr = reject(Some(json!({"reason": "   "})), Some(etag.clone()))
        .await
        .problem(422);
    assert_eq!(pr["errors"][0]["field"], "reason", "{pr}");
    reject(Some(json!({"comment": "wrong key"})), Some(etag.clone()))
        .await
        .problem(422);
    let a = reject(
        Some(json!({"reason": "totals do not add up"})),
        Some(etag.clone()),
    )
    .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let inv = a.json();
    assert_eq!(inv["status"], "rejected");
    let etag = a.header("etag").unwrap();
    approve(id.clone(), p.ada.clone(), Some(etag.clone()), None)
        .await
        .problem(409);
    s.patch_field(
        &id,
        "gross_total",
        &p.carl,
        Some(&etag),
        json!({"value": "278.41"}),
    )
    .await
    .problem(409);

    // 00010: a question and its answer start a new round.
    let id = s.id("00010-en-invoice.pdf").to_string();
    let (_, etag) = s.invoice(&id, &p.vic).await;
    let path = |action: &str| format!("/v1/invoices/{id}/{action}");
    s.post(&path("request-info"), &p.anna, Some(&etag), Some(json!({})))
        .await
        .problem(422);
    let a = s
        .post(
            &path("request-info"),
            &p.anna,
            Some(&etag),
            Some(json!({"comment": "which PO?"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert_eq!(a.json()["status"], "info_requested");
    let etag = a.header("etag").unwrap();
    s.post(
        &path("provide-info"),
        &p.anna,
        Some(&etag),
        Some(json!({"comment": "x"})),
    )
    .await
    .problem(403);
    let a = s
        .post(
            &path("provide-info"),
            &p.cleo,
            Some(&etag),
            Some(json!({"comment": "PO-1"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let inv = a.json();
    assert_eq!(inv["status"], "pending_approval");
    let comments: Vec<&Value> = inv["approval"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["comment"])
        .collect();
    assert_eq!(comments, [&json!("which PO?"), &json!("PO-1")]);
    let etag = a.header("etag").unwrap();
    let pr = s
        .post(
            &path("provide-info"),
            &p.cleo,
            Some(&etag),
            Some(json!({"comment": "again"})),
        )
        .await
        .problem(409);
    assert!(
        pr["detail"].as_str().unwrap().contains("pending_approval"),
        "{pr}"
    );
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    // RFC 4180: quoted cells may hold commas, quotes (doubled) and line breaks.
    let mut rows = Vec::new();
    let (mut row, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if cell.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\r', false) if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => cell.push(c),
        }
    }
    assert!(
        cell.is_empty() && row.is_empty(),
        "the last row ends with CRLF"
    );
    rows
}

async fn exports(s: &Story) {
    let p = &s.p;
    let cleo = &p.cleo;
    // 00003 (auto-approved) marked exported on its own.
    let id3 = s.id("00003-en-invoice.xml").to_string();
    let a = s
        .post(&format!("/v1/invoices/{id3}/export"), cleo, None, None)
        .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let inv = a.json();
    assert_eq!(inv["status"], "exported");
    assert!(inv["exported_at"].as_i64().is_some());
    // Again: harmless, unchanged.
    let again = s
        .post(&format!("/v1/invoices/{id3}/export"), cleo, None, None)
        .await;
    assert_eq!(
        (again.status, again.header("etag")),
        (200, a.header("etag"))
    );
    // Not approved: 409.
    let id10 = s.id("00010-en-invoice.pdf");
    s.post(&format!("/v1/invoices/{id10}/export"), cleo, None, None)
        .await
        .problem(409);

    // What is ready to pay: 00001, 00002 (approved by people) and 00009 (by an admin).
    let ready = [
        s.id("00001-fr-invoice.pdf"),
        s.id("00002-es-invoice.pdf"),
        s.id("00009-it-invoice.pdf"),
    ];
    let items = s
        .pages("/v1/exports/approved?format=json&limit=2", cleo)
        .await;
    let mut got = ids_of(&items);
    got.sort();
    let mut want: Vec<String> = ready.iter().map(|i| i.to_string()).collect();
    want.sort();
    assert_eq!(got, want);
    let i2 = items.iter().find(|i| i["id"] == ready[1]).unwrap();
    assert_eq!(i2["status"], "approved");
    assert_eq!(i2["gross_total"], "5723.45");
    assert_eq!(i2["currency"], "EUR");
    assert_eq!(i2["iban"], "ES9387989085930631521170");
    assert_eq!(i2["approvers"].as_array().unwrap().len(), 2);
    assert!(i2["approved_at"].as_i64().is_some());

    // CSV, by parameter or by Accept; paged with Link.
    let a = s.get("/v1/exports/approved?format=csv", cleo).await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    assert!(a.header("content-type").unwrap().starts_with("text/csv"));
    let text = String::from_utf8(a.body.clone()).unwrap();
    let rows = csv_rows(&text);
    assert_eq!(rows[0][..4], ["id", "status", "vendor_id", "vendor_name"]);
    assert_eq!(rows.len(), 4, "{text}");
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{rows:?}");
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    let row2 = rows.iter().find(|r| r[0] == ready[1]).unwrap();
    assert_eq!(
        row2[col("vendor_name")],
        "'=HYPERLINK(\"http://evil.example\",\"pay me\"), Junmarnor",
        "defused and quoted: {text}"
    );
    assert_eq!(row2[col("gross_total")], "5723.45");
    assert!(row2[col("approved_at")].ends_with('Z'));
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"pay me\"\"), Junmarnor\""),
        "RFC 4180 quoting: {text}"
    );
    for line in text.split("\r\n") {
        for cell in line.split(',') {
            assert!(!cell.starts_with(['=', '+', '@']), "a formula cell: {cell}");
        }
    }
    let by_accept = s
        .api
        .send(
            s.api
                .client
                .get(format!("{}/v1/exports/approved", s.api.base))
                .header("accept", "text/csv"),
            Some(cleo),
        )
        .await;
    assert_eq!(by_accept.body, a.body);
    let first = s.get("/v1/exports/approved?format=csv&limit=2", cleo).await;
    assert_eq!(
        csv_rows(&String::from_utf8(first.body.clone()).unwrap()).len(),
        3
    );
    let link = first.header("link").expect("a next page");
    let next = link.strip_prefix('<').unwrap().split_once('>').unwrap().0;
    assert!(next.contains("format=csv"), "{next}");
    let rest = s.get(next, cleo).await;
    let rest_rows = csv_rows(&String::from_utf8(rest.body.clone()).unwrap());
    assert_eq!(rest_rows.len(), 2, "header and the last row");
    assert!(rest.header("link").is_none());
    s.get("/v1/exports/approved?format=xlsx", cleo)
        .await
        .problem(400);
    s.get("/v1/exports/approved?since=soon", cleo)
        .await
        .problem(400);
    let none = s
        .get("/v1/exports/approved?since=2999-01-01", cleo)
        .await
        .json();
    assert_eq!(none["items"], json!([]));

    // Marking many: all or nothing.
    let id7 = s.id("00007-en-invoice.pdf");
    let p409 = s
        .post(
            "/v1/invoices/export",
            cleo,
            None,
            Some(json!({"ids": [ready[2], id7]})),
        )
        .await
        .problem(409);
    assert!(
        p409["detail"].as_str().unwrap().contains("on_hold"),
        "{p409}"
    );
    assert_eq!(
        s.invoice(ready[2], cleo).await.0["status"],
        "approved",
        "nothing was marked"
    );
    s.post("/v1/invoices/export", cleo, None, Some(json!({"ids": []})))
        .await
        .problem(422);
    s.post("/v1/invoices/export", cleo, None, None)
        .await
        .problem(422);
    let a = s
        .post(
            "/v1/invoices/export",
            cleo,
            None,
            Some(json!({"ids": [ready[0], ready[1], id3]})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let marked = a.json();
    assert!(
        marked["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "exported"),
        "{marked}"
    );
    let left = ids_of(&s.pages("/v1/exports/approved", cleo).await);
    assert_eq!(left, [ready[2]]);
    let mut all = ids_of(
        &s.pages("/v1/exports/approved?include_exported=true", cleo)
            .await,
    );
    all.sort();
    let mut want = vec![
        ready[0].to_string(),
        ready[1].to_string(),
        ready[2].to_string(),
        id3.clone(),
    ];
    want.sort();
    assert_eq!(all, want);
}

/// Tenant B sees none of tenant A: every endpoint answers 404 for A's ids, and no
/// filter or export shows them.
async fn isolation(s: &Story) {
    let p = &s.p;
    let acme_ids: HashSet<String> = s.ids.values().cloned().collect();
    let mut versions = BTreeMap::new();
    for id in &acme_ids {
        versions.insert(id.clone(), s.invoice(id, &p.vic).await.1);
    }
    for token in [&p.bea, &p.beta_key] {
        // Beta's own listing: its two invoices only, under any filter or sort.
        let own = ids_of(&s.pages("/v1/invoices?limit=200", token).await);
        let mut own_sorted = own.clone();
        own_sorted.sort();
        let mut beta_ids = s.beta_ids.clone();
        beta_ids.sort();
        assert_eq!(own_sorted, beta_ids);
        let vendor =
            s.get("/v1/invoices?limit=1", &p.vic).await.json()["items"][0]["vendor_id"].clone();
        let mut filters = vec![
            "status=pending_approval,on_hold,approved,auto_approved,exported,rejected,info_requested,not_an_invoice".to_string(),
            "q=invoice".into(),
            "q=rosven".into(),
            "q=F2026".into(),
            "currency=EUR".into(),
            "currency=SEK".into(),
            "amount_min=0".into(),
            "has_findings=true".into(),
            "has_findings=false".into(),
            "issue_from=2000-01-01".into(),
            "received_from=2000-01-01".into(),
            "sort=gross".into(),
            "sort=-vendor_name".into(),
        ];
        if let Some(v) = vendor.as_str() {
            filters.push(query(&[("vendor_id", v)]));
        }
        for f in &filters {
            let got = s.pages(&format!("/v1/invoices?{f}&limit=200"), token).await;
            assert!(
                ids_of(&got).iter().all(|id| !acme_ids.contains(id)),
                "{f}: another tenant's invoice listed"
            );
        }
        // Acme's cursor is no good here.
        let acme_page = s.get("/v1/invoices?limit=1", &p.vic).await.json();
        let cursor = acme_page["next_cursor"].as_str().unwrap();
        s.get(
            &format!("/v1/invoices?{}", query(&[("cursor", cursor)])),
            token,
        )
        .await
        .problem(400);
    }
    // Beta's export holds only beta's auto-approved invoice.
    let exported = ids_of(
        &s.pages("/v1/exports/approved?include_exported=true", &p.bea)
            .await,
    );
    assert!(!exported.is_empty());
    assert!(
        exported.iter().all(|id| s.beta_ids.contains(id)),
        "{exported:?}"
    );
    let csv = s
        .get(
            "/v1/exports/approved?format=csv&include_exported=true",
            &p.bea,
        )
        .await;
    let text = String::from_utf8(csv.body).unwrap();
    assert!(
        acme_ids.iter().all(|id| !text.contains(id.as_str())),
        "{text}"
    );

    // Every invoice endpoint: 404 for every one of acme's ids, however well-formed
    // the request. The admin could do all of it in its own tenant.
    for id in &acme_ids {
        let etag = &versions[id];
        let requests: Vec<(Method, String, Option<&str>, Option<Value>)> = vec![
            (Method::GET, format!("/v1/invoices/{id}"), None, None),
            (
                Method::GET,
                format!("/v1/invoices/{id}/original"),
                None,
                None,
            ),
            (Method::GET, format!("/v1/invoices/{id}/report"), None, None),
            (
                Method::PATCH,
                format!("/v1/invoices/{id}/fields/vendor_name"),
                Some(etag),
                Some(json!({"value": "Beta was here"})),
            ),
            (
                Method::POST,
                format!("/v1/invoices/{id}/approve"),
                Some(etag),
                None,
            ),
            (
                Method::POST,
                format!("/v1/invoices/{id}/reject"),
                Some(etag),
                Some(json!({"reason": "no"})),
            ),
            (
                Method::POST,
                format!("/v1/invoices/{id}/request-info"),
                Some(etag),
                Some(json!({"comment": "?"})),
            ),
            (
                Method::POST,
                format!("/v1/invoices/{id}/provide-info"),
                Some(etag),
                Some(json!({"comment": "!"})),
            ),
            (
                Method::POST,
                format!("/v1/invoices/{id}/export"),
                None,
                None,
            ),
            (
                Method::POST,
                "/v1/invoices/export".into(),
                None,
                Some(json!({"ids": [id]})),
            ),
            (
                Method::POST,
                "/v1/invoices/export".into(),
                None,
                Some(json!({"ids": [s.beta_ids[1], id]})),
            ),
        ];
        for (method, path, if_match, body) in requests {
            let a = s.call(method.clone(), &path, &p.bea, if_match, body).await;
            let pr = a.problem(404);
            assert!(!pr.to_string().contains("Beta"), "{pr}");
            assert!(
                pr["detail"].as_str().unwrap().contains("not found"),
                "{method} {path}: {pr}"
            );
        }
    }
    // Nothing of acme's changed, and beta's own invoice was not marked either (the
    // mixed request was all or nothing).
    for id in &acme_ids {
        assert_eq!(&s.invoice(id, &p.vic).await.1, &versions[id], "{id}");
    }
    let (beta_inv, _) = s.invoice(&s.beta_ids[1], &p.bea).await;
    assert_eq!(beta_inv["status"], "auto_approved");
}
