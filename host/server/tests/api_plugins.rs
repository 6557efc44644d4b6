//! Tenant plugins through the REST API end to end, against real `papyr serve`
//! processes: upload, refusals, settings, back-tests, activation, rollback,
//! disabling, shadow runs, per-tenant limits and failure policies, hot swaps under
//! load. Each story runs on SQLite and on PostgreSQL.
//!
//! Needs the components built by `cargo xtask plugins`
//! (plugins/target/wasm32-wasip2/release/).
mod common;
#[path = "api/helpers.rs"]
mod helpers;

use helpers::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const PROCESSING: Duration = Duration::from_secs(180);
const PO_RULE: &str = "tenant.po-required";

/// A built component of the plugins workspace.
fn component(file: &str) -> Vec<u8> {
    let p = workspace_root()
        .join("plugins/target/wasm32-wasip2/release")
        .join(file);
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (build the components with `cargo xtask plugins`)",
            p.display()
        )
    })
}

fn leb128(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// `bytes` with a custom section appended: other bytes (another digest), the same
/// behaviour.
fn with_custom_section(bytes: &[u8], name: &str, payload: &[u8]) -> Vec<u8> {
    let mut content = leb128(name.len());
    content.extend_from_slice(name.as_bytes());
    content.extend_from_slice(payload);
    let mut out = bytes.to_vec();
    out.push(0);
    out.extend(leb128(content.len()));
    out.extend(content);
    out
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A UBL invoice of one line: `net_cents` plus 21 % VAT, with or without a PO number.
fn ubl(number: &str, net_cents: i64, po: Option<&str>) -> Vec<u8> {
    let tax = (net_cents * 21 + 50) / 100;
    let gross = net_cents + tax;
    let (net, tax, gross) = (money(net_cents), money(tax), money(gross));
    let order = po
        .map(|p| format!("<cac:OrderReference><cbc:ID>{p}</cbc:ID></cac:OrderReference>"))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
  <cbc:ID>{number}</cbc:ID>
  <cbc:IssueDate>2026-07-20</cbc:IssueDate>
  <cbc:DueDate>2026-08-03</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:BuyerReference>K10074</cbc:BuyerReference>
  {order}
  <cac:AccountingSupplierParty>
    <cac:Party>
      <cbc:EndpointID schemeID="EM">billing@rosven.example</cbc:EndpointID>
      <cac:PostalAddress><cbc:StreetName>Stationsweg 8</cbc:StreetName><cbc:CityName>6614 VO Den Haag</cbc:CityName><cac:Country><cbc:IdentificationCode>NL</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
      <cac:PartyTaxScheme><cbc:CompanyID>NL335965416B03</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
      <cac:PartyLegalEntity><cbc:RegistrationName>Rosven N.V.</cbc:RegistrationName></cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>
    <cac:Party>
      <cac:PostalAddress><cbc:StreetName>Friedrichstraße 123</cbc:StreetName><cbc:CityName>10117 Berlin</cbc:CityName><cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
      <cac:PartyTaxScheme><cbc:CompanyID>DE620614975</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
      <cac:PartyLegalEntity><cbc:RegistrationName>Demo Tenant GmbH</cbc:RegistrationName></cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingCustomerParty>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cbc:PaymentID>{number}</cbc:PaymentID>
    <cac:PayeeFinancialAccount>
      <cbc:ID>NL34EYEM9008315011</cbc:ID>
      <cac:FinancialInstitutionBranch><cbc:ID>EYEMNLO8XXX</cbc:ID></cac:FinancialInstitutionBranch>
    </cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">{net}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">{tax}</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">{net}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">{net}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">{gross}</cbc:TaxInclusiveAmount>
    <cbc:AllowanceTotalAmount currencyID="EUR">0.00</cbc:AllowanceTotalAmount>
    <cbc:PrepaidAmount currencyID="EUR">0.00</cbc:PrepaidAmount>
    <cbc:PayableAmount currencyID="EUR">{gross}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">1</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">{net}</cbc:LineExtensionAmount>
    <cac:Item>
      <cbc:Name>Consulting services</cbc:Name>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">{net}</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>
"#
    )
    .into_bytes()
}

/// One generated invoice and whether `tenant.po-required` must fire on it.
struct Inv {
    file: String,
    bytes: Vec<u8>,
    fires: bool,
}

/// Invoices around a threshold of 1000.00 EUR gross: (net cents, has PO). Each gets
/// a few cents of its own (from the prefix and its index), so that no two invoices of
/// a story share an amount (the built-in duplicate rules stay quiet).
fn invoices(prefix: &str, specs: &[(i64, bool)]) -> Vec<Inv> {
    let salt: i64 = prefix.bytes().map(i64::from).sum::<i64>() % 40;
    specs
        .iter()
        .enumerate()
        .map(|(i, (net, po))| {
            let number = format!("{prefix}-{i:04}");
            let po_number = po.then(|| format!("PO-{prefix}{i:04}"));
            let net = net + salt * 50 + i as i64;
            let gross = net + (net * 21 + 50) / 100;
            Inv {
                file: format!("{number}.xml"),
                bytes: ubl(&number, net, po_number.as_deref()),
                fires: !po && gross >= 100_000,
            }
        })
        .collect()
}

/// The API of one caller (local mode: no token).
struct Client<'a> {
    api: &'a Api,
    tenant: String,
    token: Option<String>,
}

impl Client<'_> {
    async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        self.call_with(method, path, body, &[]).await
    }

    async fn call_with(
        &self,
        method: &str,
        path: &str,
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
        self.api.send(req, self.token.as_deref()).await
    }

    /// Asserts `status`; the JSON body.
    async fn ok(&self, method: &str, path: &str, body: Option<&Value>, status: u16) -> Value {
        let a = self.call(method, path, body).await;
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

    async fn upload_component(
        &self,
        name: &str,
        label: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> Answer {
        let req = self
            .api
            .client
            .post(format!(
                "{}/v1/plugins/{name}/versions?version={label}&description=test",
                self.api.base
            ))
            .header("content-type", content_type)
            // Compiling a large component (the 12 MB JavaScript one) takes a while.
            .timeout(Duration::from_secs(300))
            .body(bytes.to_vec());
        self.api.send(req, self.token.as_deref()).await
    }

    /// Upload a new version; its body.
    async fn new_version(&self, name: &str, label: &str, bytes: &[u8]) -> Value {
        let a = self
            .upload_component(name, label, bytes, "application/wasm")
            .await;
        assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
        let v = a.json();
        assert_eq!(v["created"], true);
        v
    }

    async fn settings(&self, name: &str, settings: Value) -> Value {
        self.ok(
            "PUT",
            &format!("/v1/plugins/{name}/settings"),
            Some(&settings),
            200,
        )
        .await
    }

    async fn activate(&self, name: &str, version: &str) -> Value {
        self.ok(
            "POST",
            &format!("/v1/plugins/{name}/activate"),
            Some(&json!({ "version": version })),
            200,
        )
        .await
    }

    /// Send invoices (one request); their ids, in order.
    async fn send_invoices(&self, invs: &[Inv]) -> Vec<String> {
        let files: Vec<(&str, &[u8])> = invs
            .iter()
            .map(|i| (i.file.as_str(), i.bytes.as_slice()))
            .collect();
        let a = self.api.upload(&files, self.token.as_deref()).await;
        assert!(
            a.status == 201 || a.status == 200,
            "{}",
            String::from_utf8_lossy(&a.body)
        );
        let files = a.json()["files"].as_array().unwrap().clone();
        assert_eq!(files.len(), invs.len());
        files
            .iter()
            .map(|f| {
                assert_eq!(f["outcome"], "created", "{f}");
                f["id"].as_str().unwrap().to_string()
            })
            .collect()
    }

    /// Send invoices and wait until all are final; their details.
    async fn process(&self, invs: &[Inv]) -> Vec<Value> {
        let ids = self.send_invoices(invs).await;
        let mut out = Vec::new();
        for id in &ids {
            self.api.wait_final(&self.tenant, id, PROCESSING).await;
            out.push(self.detail(id).await);
        }
        out
    }

    async fn detail(&self, id: &str) -> Value {
        self.ok("GET", &format!("/v1/invoices/{id}"), None, 200)
            .await
    }

    /// Run a back-test to its end; the report.
    async fn backtest(&self, name: &str, version: &str, last_n: u64) -> Value {
        let a = self
            .call(
                "POST",
                &format!("/v1/plugins/{name}/backtests"),
                Some(&json!({ "version": version, "last_n": last_n })),
            )
            .await;
        assert_eq!(a.status, 202, "{}", String::from_utf8_lossy(&a.body));
        let location = a.header("location").expect("Location");
        assert!(location.starts_with(&format!("/v1/plugins/{name}/backtests/")));
        let t = Instant::now();
        loop {
            let b = self.ok("GET", &location, None, 200).await;
            match b["status"].as_str().unwrap() {
                "done" => {
                    assert_eq!(b["done"], b["total"], "{b}");
                    return b["report"].clone();
                }
                "running" => {}
                other => panic!("back-test {other}: {b}"),
            }
            assert!(t.elapsed() < PROCESSING, "back-test not done: {b}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The rule ids of an invoice's findings.
fn rules(detail: &Value) -> Vec<String> {
    detail["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

fn has_po_finding(detail: &Value) -> bool {
    rules(detail).iter().any(|r| r == PO_RULE)
}

/// The digests of the fraud components the check stage recorded as having run: the
/// actor of the invoice history's `checked` entry (`plugin:<d>,plugin:<d>`), which
/// must name the same digests as the detail's `components` (`fraud:<name>` → digest).
fn checked_digests(detail: &Value) -> Vec<String> {
    let entries: Vec<&Value> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "checked")
        .collect();
    assert_eq!(entries.len(), 1, "one check: {}", detail["history"]);
    let mut from_audit: Vec<String> = entries[0]["actor"]
        .as_str()
        .unwrap()
        .split(',')
        // `system`: no rule component ran.
        .filter(|a| *a != "system")
        .map(|a| {
            a.strip_prefix("plugin:")
                .unwrap_or_else(|| panic!("actor {a}"))
                .to_string()
        })
        .collect();
    let mut from_components: Vec<String> = detail["components"]
        .as_object()
        .unwrap_or_else(|| panic!("no components: {detail}"))
        .iter()
        .filter(|(k, _)| k.starts_with("fraud:"))
        .map(|(_, v)| v.as_str().unwrap().to_string())
        .collect();
    from_audit.sort();
    from_components.sort();
    assert_eq!(from_audit, from_components, "{detail}");
    from_audit
}

/// The digest the detail's `components` records for a plugin.
fn component_digest(detail: &Value, plugin: &str) -> Option<String> {
    detail["components"][format!("fraud:{plugin}")]
        .as_str()
        .map(str::to_string)
}

fn detail_str(p: &Value) -> String {
    format!("{} {}", p["detail"], p["errors"])
}

fn version_of<'a>(plugin: &'a Value, label: &str) -> &'a Value {
    plugin["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["label"] == label)
        .unwrap_or_else(|| panic!("no version {label}: {plugin}"))
}

async fn local(backend: Backend, name: &str, env: &[(&str, &str)]) -> (Api, String) {
    let mut all = vec![
        ("PAPYR_API__RATE_LIMIT_BURST", "100000"),
        ("PAPYR_API__RATE_LIMIT_PER_MINUTE", "1000000"),
    ];
    all.extend_from_slice(env);
    let api = spawn(backend, name, &all).await;
    let tenant = api.demo_tenant().await;
    (api, tenant)
}

// ---------------------------------------------------------------------------
// 1. Lifecycle
// ---------------------------------------------------------------------------

async fn lifecycle_story(backend: Backend, name: &str) {
    let (api, tenant) = local(backend, name, &[]).await;
    let c = Client {
        api: &api,
        tenant,
        token: None,
    };
    let po1 = component("po_required.wasm");
    let po2 = with_custom_section(&po1, "papyr-test", b"version 2");

    // Upload v1: created, inactive; the same bytes again: 200, the same version.
    let up = c.new_version("po", "1.0.0", &po1).await;
    assert_eq!(up["plugin"]["state"], "inactive");
    assert_eq!(up["version"]["rules"], json!([PO_RULE]));
    assert_eq!(up["version"]["world"], "fraud-rule");
    assert_eq!(up["version"]["needs_history"], false);
    let d1 = up["version"]["digest"].as_str().unwrap().to_string();
    assert_eq!(d1, papyr_runtime::registry::sha256_hex(&po1));
    let again = c
        .upload_component("po", "1.0.0", &po1, "application/wasm")
        .await;
    assert_eq!(
        again.status,
        200,
        "{}",
        String::from_utf8_lossy(&again.body)
    );
    assert_eq!(again.json()["created"], false);
    assert_eq!(again.json()["version"]["digest"], d1.as_str());
    // The same bytes under another label: still that version, no new one.
    let relabel = c
        .upload_component("po", "1.0.1", &po1, "application/wasm")
        .await;
    assert_eq!(
        relabel.status,
        200,
        "{}",
        String::from_utf8_lossy(&relabel.body)
    );
    assert_eq!(relabel.json()["version"]["label"], "1.0.0");
    // The label is taken by these bytes: other bytes under it are a conflict.
    c.upload_component("po", "1.0.0", &po2, "application/wasm")
        .await
        .problem(409);

    // Threshold 1000.00 EUR.
    let s = c
        .settings("po", json!({"config": {"min_amount": "1000.00"}}))
        .await;
    assert_eq!(s["settings"]["config"]["min_amount"], "1000.00");

    // History: invoices processed while the plugin is not active.
    let first = invoices(
        "LC",
        &[
            (50_000, false),  // 605.00: below
            (200_000, false), // 2420.00: fires
            (200_000, true),  // has a PO
            (500_000, false), // fires
            (80_000, false),  // 968.00: below
            (90_000, false),  // 1089.00: fires
        ],
    );
    let before = c.process(&first).await;
    for d in &before {
        assert!(!has_po_finding(d), "inactive plugin ran: {d}");
        assert!(!checked_digests(d).contains(&d1));
    }
    let expected: BTreeSet<String> = first
        .iter()
        .zip(&before)
        .filter(|(i, _)| i.fires)
        .map(|(_, d)| d["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(expected.len(), 3);

    // Back-test v1 over them: exactly the invoices without PO above the threshold.
    let report = c.backtest("po", "1.0.0", 6).await;
    assert_eq!(report["invoices"], 6, "{report}");
    assert_eq!(report["evaluated"], 6, "{report}");
    assert_eq!(report["candidate"]["digest"], d1.as_str());
    assert!(report["replaces"].is_null(), "{report}");
    let changes = report["changes"].as_array().unwrap();
    let changed: BTreeSet<String> = changes
        .iter()
        .map(|c| c["document_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(changed, expected, "{report}");
    for ch in changes {
        let added = ch["findings_added"].as_array().unwrap();
        assert_eq!(added.len(), 1, "{ch}");
        assert_eq!(added[0]["rule"], PO_RULE);
        assert_eq!(added[0]["severity"], "medium");
        assert_eq!(ch["findings_removed"], json!([]));
        assert_eq!(
            ch["score_delta"].as_i64().unwrap(),
            ch["score_after"].as_i64().unwrap() - ch["score_before"].as_i64().unwrap()
        );
    }
    assert_eq!(report["performance"]["candidate"]["calls"], 6, "{report}");
    assert!(report["performance"]["replaced"].is_null());
    // The changes part is deterministic: the same back-test again, the same changes.
    let again = c.backtest("po", "1.0.0", 6).await;
    assert_eq!(again["changes"], report["changes"]);

    // Activate v1: new invoices get the finding where expected; the digest is recorded.
    let a = c.activate("po", "1.0.0").await;
    assert_eq!(a["state"], "active");
    assert_eq!(a["active_version"], up["version"]["id"]);
    let second = invoices("LD", &[(300_000, false), (300_000, true), (10_000, false)]);
    let after = c.process(&second).await;
    for (i, d) in second.iter().zip(&after) {
        assert_eq!(has_po_finding(d), i.fires, "{}: {d}", i.file);
        assert!(checked_digests(d).contains(&d1), "{}", d["history"]);
        assert_eq!(component_digest(d, "po").as_deref(), Some(d1.as_str()));
        if i.fires {
            let f = d["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["rule"] == PO_RULE)
                .unwrap();
            assert_eq!(f["plugin"], d1.as_str());
            assert_eq!(f["severity"], "medium");
        }
    }

    // v2: other bytes, same behaviour; activate it, then roll back to v1.
    let up2 = c.new_version("po", "2.0.0", &po2).await;
    let d2 = up2["version"]["digest"].as_str().unwrap().to_string();
    assert_ne!(d1, d2);
    c.activate("po", "2.0.0").await;
    let with_v2 = c.process(&invoices("LE", &[(400_000, false)])).await;
    assert!(has_po_finding(&with_v2[0]));
    let digests = checked_digests(&with_v2[0]);
    assert!(
        digests.contains(&d2) && !digests.contains(&d1),
        "{digests:?}"
    );
    // Back-test v2 against the active v2's predecessor... first against v2 itself:
    // the same behaviour, so no invoice changes; both costs are measured.
    let report = c.backtest("po", "2.0.0", 50).await;
    assert_eq!(report["replaces"]["digest"], d2.as_str(), "{report}");
    assert_eq!(report["changes"], json!([]), "{report}");
    let evaluated = report["evaluated"].as_u64().unwrap();
    assert!(evaluated >= 10, "{report}");
    assert_eq!(report["performance"]["candidate"]["calls"], evaluated);
    assert_eq!(report["performance"]["replaced"]["calls"], evaluated);
    // Out of range, unknown version, unknown back-test.
    c.call(
        "POST",
        "/v1/plugins/po/backtests",
        Some(&json!({"version": "2.0.0", "last_n": 0})),
    )
    .await
    .problem(422);
    c.call(
        "POST",
        "/v1/plugins/po/backtests",
        Some(&json!({"version": "9.9.9", "last_n": 5})),
    )
    .await
    .problem(404);
    c.call("GET", "/v1/plugins/po/backtests/bt_nothing", None)
        .await
        .problem(404);
    let listed = c.ok("GET", "/v1/plugins/po/backtests", None, 200).await;
    assert_eq!(listed.as_array().unwrap().len(), 3, "{listed}");
    assert!(listed[0]["report"].is_null(), "lists come without reports");

    // A change naming a stale revision is refused; the current one is taken.
    let current = c.call("GET", "/v1/plugins/po", None).await;
    let etag = current.header("etag").unwrap();
    let stale = format!("\"{}\"", current.json()["revision"].as_i64().unwrap() - 1);
    c.call_with(
        "POST",
        "/v1/plugins/po/rollback",
        None,
        &[("if-match", stale.as_str())],
    )
    .await
    .problem(412);
    let r = c
        .call_with(
            "POST",
            "/v1/plugins/po/rollback",
            None,
            &[("if-match", etag.as_str())],
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = r.json();
    assert_eq!(r["active_version"], up["version"]["id"], "{r}");
    assert_ne!(r["revision"], current.json()["revision"]);
    let back = c.process(&invoices("LF", &[(400_000, false)])).await;
    let digests = checked_digests(&back[0]);
    assert!(
        digests.contains(&d1) && !digests.contains(&d2),
        "{digests:?}"
    );

    // The plugin's history: uploads, activations, the rollback, with actors.
    let detail = c.call("GET", "/v1/plugins/po", None).await;
    assert_eq!(detail.status, 200);
    let body = detail.json();
    assert_eq!(
        detail.header("etag"),
        Some(format!("\"{}\"", body["revision"]))
    );
    assert_eq!(body["versions"].as_array().unwrap().len(), 2);
    assert_eq!(version_of(&body, "2.0.0")["digest"], d2.as_str());
    let actions: Vec<&str> = body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for needed in [
        "uploaded",
        "activated",
        "rolled-back",
        "configured",
        "backtest-started",
    ] {
        assert!(actions.contains(&needed), "{needed} in {actions:?}");
    }
    assert_eq!(actions.iter().filter(|a| **a == "uploaded").count(), 2);
    assert_eq!(actions.iter().filter(|a| **a == "activated").count(), 2);
    for e in body["history"].as_array().unwrap() {
        assert!(!e["actor"].as_str().unwrap().is_empty(), "{e}");
    }
    let rb = body["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "rolled-back")
        .unwrap();
    assert_eq!(rb["version_id"], up["version"]["id"]);
    assert_eq!(rb["previous_version_id"], up2["version"]["id"]);

    // The audit log has `plugin.*` entries.
    let audit = c.ok("GET", "/v1/audit?limit=200", None, 200).await;
    let plugin_actions: BTreeSet<String> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.starts_with("plugin."))
        .map(str::to_string)
        .collect();
    for needed in ["plugin.uploaded", "plugin.activated", "plugin.rolled-back"] {
        assert!(
            plugin_actions.contains(needed),
            "{needed} in {plugin_actions:?}"
        );
    }

    // The list shows it.
    let list = c.ok("GET", "/v1/plugins", None, 200).await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fraud", "po"]);

    // Disable: new invoices get no finding from it, nor run it.
    let dis = c.ok("POST", "/v1/plugins/po/disable", None, 200).await;
    assert_eq!(dis["state"], "disabled");
    let off = c.process(&invoices("LG", &[(400_000, false)])).await;
    assert!(!has_po_finding(&off[0]), "{}", off[0]);
    assert_eq!(component_digest(&off[0], "po"), None, "{}", off[0]);
    let digests = checked_digests(&off[0]);
    assert!(!digests.contains(&d1) && !digests.contains(&d2));
    let hist = c.ok("GET", "/v1/plugins/po", None, 200).await;
    assert_eq!(
        hist["history"][0]["action"], "disabled",
        "newest first: {hist}"
    );

    // The built-in rules: configurable, their capabilities fixed; disabling them
    // leaves no built-in component on the next invoice.
    let fraud = c.ok("GET", "/v1/plugins/fraud", None, 200).await;
    assert_eq!(fraud["builtin"], true);
    c.call(
        "PUT",
        "/v1/plugins/fraud/settings",
        Some(&json!({"grants": {"history": true}})),
    )
    .await
    .problem(422);
    let builtin_digest = component_digest(&off[0], "fraud").expect("built-in ran");
    c.ok("POST", "/v1/plugins/fraud/disable", None, 200).await;
    let none = c.process(&invoices("LH", &[(400_000, false)])).await;
    assert_eq!(component_digest(&none[0], "fraud"), None, "{}", none[0]);
    assert!(!checked_digests(&none[0]).contains(&builtin_digest));
    // Invoices processed before keep their findings.
    assert!(has_po_finding(
        &c.detail(after[0]["id"].as_str().unwrap()).await
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_sqlite() {
    lifecycle_story(Backend::Sqlite, "plugin_lifecycle").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_postgres() {
    lifecycle_story(Backend::Postgres, "plugin_lifecycle").await;
}

// ---------------------------------------------------------------------------
// 2. Refused uploads
// ---------------------------------------------------------------------------

async fn refusals_story(backend: Backend, name: &str) {
    let po = component("po_required.wasm");
    let hostile = component("hostile.wasm");
    let parser = component("parse.wasm");
    let largest = hostile
        .len()
        .max(po.len())
        .max(parser.len())
        .max(component("sockets_rule.wasm").len());
    let limit = (largest + 4096).to_string();
    let (api, tenant) = local(
        backend,
        name,
        &[("PAPYR_PLUGINS__MAX_COMPONENT_BYTES", limit.as_str())],
    )
    .await;
    let c = Client {
        api: &api,
        tenant,
        token: None,
    };
    let before = c.ok("GET", "/v1/plugins", None, 200).await;
    assert_eq!(before.as_array().unwrap().len(), 1, "{before}"); // fraud only
    let refused = |a: Answer, status: u16, words: &[&str]| {
        let p = a.problem(status);
        let text = detail_str(&p).to_lowercase();
        for w in words {
            assert!(text.contains(&w.to_lowercase()), "`{w}` in {p}");
        }
        p
    };

    // A parser: the wrong world, named.
    let p = refused(
        c.upload_component("p", "1", &parser, "application/wasm")
            .await,
        422,
        &["parser", "fraud-rule"],
    );
    assert_eq!(p["errors"][0]["field"], "component", "{p}");
    // A core module.
    refused(
        c.upload_component("p", "1", b"\0asm\x01\0\0\0", "application/wasm")
            .await,
        422,
        &["core"],
    );
    // Not WebAssembly.
    refused(
        c.upload_component("p", "1", b"just text, not wasm", "application/wasm")
            .await,
        422,
        &["magic"],
    );
    // A truncated component: it cannot be read or compiled.
    let truncated = &po[..po.len() / 2];
    let a = c
        .upload_component("p", "1", truncated, "application/wasm")
        .await;
    let p = a.problem(422);
    assert!(detail_str(&p).contains("refused"), "{p}");
    assert!(detail_str(&p).contains("compile"), "{p}");
    // An import Papyr never grants (std::net makes it import wasi:sockets).
    let p = refused(
        c.upload_component(
            "p",
            "1",
            &component("sockets_rule.wasm"),
            "application/wasm",
        )
        .await,
        422,
        &["wasi:sockets/tcp@", "never grants"],
    );
    assert!(
        p["errors"].as_array().unwrap().len() >= 2,
        "one error per import: {p}"
    );
    // `rules()` declares nothing: it could never report a finding.
    refused(
        c.upload_component("p", "1", &component("no_rules.wasm"), "application/wasm")
            .await,
        422,
        &["`rules()` declares no rule"],
    );
    // Over the size limit.
    let big = with_custom_section(&po, "padding", &vec![0u8; largest]);
    // The server may answer before it read the body and close the connection, which
    // a client library can report as a broken request: send it by hand.
    let head = format!(
        "POST /v1/plugins/p/versions?version=1 HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/wasm\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        big.len()
    );
    let port = api.svc.port;
    let (status, answer) = tokio::task::spawn_blocking(move || {
        raw_exchange(port, &head, &big, Duration::from_secs(30))
    })
    .await
    .unwrap();
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    // Another content type.
    c.upload_component("p", "1", &po, "application/json")
        .await
        .problem(415);
    c.upload_component("p", "1", &po, "text/plain")
        .await
        .problem(415);
    // An empty body.
    refused(
        c.upload_component("p", "1", b"", "application/wasm").await,
        422,
        &["empty"],
    );
    // A bad name, a bad label, the built-in name.
    for bad in ["Bad_Name", "x%20y", "-lead"] {
        let p = refused(
            c.upload_component(bad, "1", &po, "application/wasm").await,
            422,
            &[],
        );
        assert_eq!(p["errors"][0]["field"], "name", "{bad}: {p}");
    }
    for bad in ["", "a%20b", "1%2F2"] {
        let p = c
            .upload_component("p", bad, &po, "application/wasm")
            .await
            .problem(422);
        assert_eq!(p["errors"][0]["field"], "version", "{bad:?}: {p}");
    }
    for builtin in ["fraud", "report"] {
        refused(
            c.upload_component(builtin, "1", &po, "application/wasm")
                .await,
            422,
            &["built-in"],
        );
    }

    // Nothing was stored by any refusal.
    assert_eq!(c.ok("GET", "/v1/plugins", None, 200).await, before);
    c.call("GET", "/v1/plugins/p", None).await.problem(404);

    // A component importing the history: stored, but not activated without the grant.
    let up = c.new_version("h", "1", &hostile).await;
    assert_eq!(up["version"]["needs_history"], true);
    assert!(
        up["version"]["imports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i.as_str().unwrap().contains("history")),
        "{up}"
    );
    refused(
        c.call(
            "POST",
            "/v1/plugins/h/activate",
            Some(&json!({"version": "1"})),
        )
        .await,
        422,
        &["history", "grants"],
    );
    // Nor back-tested or shadowed.
    refused(
        c.call(
            "POST",
            "/v1/plugins/h/backtests",
            Some(&json!({"version": "1", "last_n": 5})),
        )
        .await,
        422,
        &["history"],
    );
    let h = c.ok("GET", "/v1/plugins/h", None, 200).await;
    assert_eq!(h["state"], "inactive");
    assert!(h["active_version"].is_null());
    // With the grant it activates.
    c.settings("h", json!({"grants": {"history": true}})).await;
    assert_eq!(c.activate("h", "1").await["state"], "active");
    // Nothing was active before: nothing to roll back to.
    refused(
        c.call("POST", "/v1/plugins/h/rollback", None).await,
        422,
        &[],
    );
    // Unknown versions and plugins: 404.
    c.call(
        "POST",
        "/v1/plugins/h/activate",
        Some(&json!({"version": "9"})),
    )
    .await
    .problem(404);
    c.call(
        "POST",
        "/v1/plugins/nope/activate",
        Some(&json!({"version": "1"})),
    )
    .await
    .problem(404);
    // Settings out of range: a limit above the server's maximum, an unknown rule.
    refused(
        c.call(
            "PUT",
            "/v1/plugins/h/settings",
            Some(&json!({"limits": {"deadline_ms": 999_999_999u64}})),
        )
        .await,
        422,
        &["deadline_ms"],
    );
    refused(
        c.call(
            "PUT",
            "/v1/plugins/h/settings",
            Some(&json!({"disabled_rules": ["no.such-rule"]})),
        )
        .await,
        422,
        &["no.such-rule"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_sqlite() {
    refusals_story(Backend::Sqlite, "plugin_refusals").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_postgres() {
    refusals_story(Backend::Postgres, "plugin_refusals").await;
}

// ---------------------------------------------------------------------------
// Two tenants in OIDC mode
// ---------------------------------------------------------------------------

struct Two {
    api: Api,
    idp: Idp,
    acme: String,
    globex: String,
}

impl Two {
    async fn start(backend: Backend, name: &str) -> Two {
        let idp = Idp::start();
        let env = idp.env();
        let mut env = env_refs(&env);
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
        Two {
            api,
            idp,
            acme,
            globex,
        }
    }

    fn a(&self) -> Client<'_> {
        Client {
            api: &self.api,
            tenant: self.acme.clone(),
            token: Some(self.idp.token("a-admin", "acme", &["admin"], json!({}))),
        }
    }

    fn b(&self) -> Client<'_> {
        Client {
            api: &self.api,
            tenant: self.globex.clone(),
            token: Some(self.idp.token("b-admin", "globex", &["admin"], json!({}))),
        }
    }
}

fn finding<'a>(detail: &'a Value, rule: &str) -> Option<&'a Value> {
    detail["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == rule)
}

// ---------------------------------------------------------------------------
// 3. Limits and failure policy per tenant
// ---------------------------------------------------------------------------

async fn limits_story(backend: Backend, name: &str) {
    let t = Two::start(backend, name).await;
    let (a, b) = (t.a(), t.b());
    let hostile = component("hostile.wasm");
    for c in [&a, &b] {
        c.new_version("hostile", "1", &hostile).await;
    }
    let limits = json!({"deadline_ms": 200, "memory_mib": 64});
    a.settings(
        "hostile",
        json!({"config": {"mode": "loop"}, "grants": {"history": true},
               "limits": limits, "failure_policy": "fail_closed"}),
    )
    .await;
    b.settings(
        "hostile",
        json!({"config": {"mode": "loop"}, "grants": {"history": true},
               "limits": limits, "failure_policy": "manual_review"}),
    )
    .await;
    // B cannot see A's plugin before it has one of that name... B has one; a name
    // only A has is a 404 for B.
    a.new_version("only-a", "1", &component("po_required.wasm"))
        .await;
    b.call("GET", "/v1/plugins/only-a", None).await.problem(404);
    b.call("GET", "/v1/plugins/only-a/stats", None)
        .await
        .problem(404);
    b.call(
        "POST",
        "/v1/plugins/only-a/activate",
        Some(&json!({"version": "1"})),
    )
    .await
    .problem(404);
    let b_list = b.ok("GET", "/v1/plugins", None, 200).await;
    assert!(
        !b_list.to_string().contains("only-a"),
        "B's list shows A's plugin: {b_list}"
    );
    a.activate("hostile", "1").await;
    b.activate("hostile", "1").await;

    let da = &a.process(&invoices("LA", &[(10_000, true)])).await[0];
    // The loop is cut at the deadline: the invoice does not wait for it.
    let t0 = Instant::now();
    let db = &b.process(&invoices("LB", &[(10_000, true)])).await[0];
    let took = t0.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "a looping rule held the invoice for {took:?} despite a 200 ms deadline"
    );
    // A holds the invoice on a critical finding.
    assert_eq!(da["status"], "on_hold", "{da}");
    assert!(
        da["decision"]["reasons"].to_string().contains("critical"),
        "held for the critical finding: {}",
        da["decision"]
    );
    let f = finding(da, "pipeline.rule-failed").unwrap_or_else(|| panic!("{da}"));
    assert_eq!(f["severity"], "critical", "{f}");
    assert!(f["message"].as_str().unwrap().contains("hostile"), "{f}");
    // B sends it to a person with a medium finding.
    assert_eq!(db["status"], "pending_approval", "{db}");
    let f = finding(db, "pipeline.rule-failed").unwrap_or_else(|| panic!("{db}"));
    assert_eq!(f["severity"], "medium", "{f}");

    // Each tenant's statistics show its own failure, of kind deadline or fuel.
    for c in [&a, &b] {
        let stats = c.ok("GET", "/v1/plugins/hostile/stats", None, 200).await;
        let rows = stats.as_array().unwrap();
        assert_eq!(rows.len(), 1, "{stats}");
        assert_eq!(rows[0]["calls"], 1, "{stats}");
        assert_eq!(rows[0]["shadow"], false);
        let failures = rows[0]["failures"].as_object().unwrap();
        let n: u64 = failures
            .iter()
            .filter(|(k, _)| *k == "deadline" || *k == "fuel")
            .map(|(_, v)| v.as_u64().unwrap())
            .sum();
        assert_eq!(n, 1, "{stats}");
    }
    // B's list never shows A's versions.
    let a_detail = a.ok("GET", "/v1/plugins/only-a", None, 200).await;
    let a_version = a_detail["versions"][0]["id"].as_str().unwrap().to_string();
    let b_hostile = b.ok("GET", "/v1/plugins/hostile", None, 200).await;
    assert!(!b_hostile.to_string().contains(&a_version));
    let a_hostile = a.ok("GET", "/v1/plugins/hostile", None, 200).await;
    assert_ne!(
        a_hostile["versions"][0]["id"],
        b_hostile["versions"][0]["id"]
    );
    assert_eq!(
        a_hostile["versions"][0]["digest"],
        b_hostile["versions"][0]["digest"]
    );
    // A back-test of A's failing version measures the failures; B cannot read it,
    // nor name A's version ids.
    let report = a.backtest("hostile", "1", 10).await;
    let failed: u64 = report["performance"]["candidate"]["failures"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(failed, 1, "{report}");
    assert_eq!(report["changes"], json!([]), "the same version: {report}");
    let a_bt = a
        .ok("GET", "/v1/plugins/hostile/backtests", None, 200)
        .await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    b.call(
        "GET",
        &format!("/v1/plugins/hostile/backtests/{a_bt}"),
        None,
    )
    .await
    .problem(404);
    assert_eq!(
        b.ok("GET", "/v1/plugins/hostile/backtests", None, 200)
            .await,
        json!([])
    );
    let a_hostile_id = a_hostile["versions"][0]["id"].as_str().unwrap();
    b.call(
        "POST",
        "/v1/plugins/hostile/activate",
        Some(&json!({ "version": a_hostile_id })),
    )
    .await
    .problem(404);
    b.call(
        "GET",
        &format!("/v1/plugins/hostile/shadow?version={a_hostile_id}"),
        None,
    )
    .await
    .problem(404);
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_and_failure_policy_sqlite() {
    limits_story(Backend::Sqlite, "plugin_limits").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_and_failure_policy_postgres() {
    limits_story(Backend::Postgres, "plugin_limits").await;
}

// ---------------------------------------------------------------------------
// 4. Two tenants, different active versions of the same rule
// ---------------------------------------------------------------------------

async fn two_versions_story(backend: Backend, name: &str) {
    let t = Two::start(backend, name).await;
    let (a, b) = (t.a(), t.b());
    let po1 = component("po_required.wasm");
    let po2 = with_custom_section(&po1, "papyr-test", b"tenant b");
    let d1 = a.new_version("po", "1", &po1).await["version"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let d2 = b.new_version("po", "2", &po2).await["version"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    // A: threshold 100.00; B: threshold 100000.00.
    a.settings("po", json!({"config": {"min_amount": "100.00"}}))
        .await;
    b.settings("po", json!({"config": {"min_amount": "100000.00"}}))
        .await;
    a.activate("po", "1").await;
    b.activate("po", "2").await;
    // The other tenant's label is no version here.
    a.call(
        "POST",
        "/v1/plugins/po/activate",
        Some(&json!({"version": "2"})),
    )
    .await
    .problem(404);
    let spec = [(50_000, false), (200_000, false)];
    let ra = a.process(&invoices("TA", &spec)).await;
    let rb = b.process(&invoices("TB", &spec)).await;
    for d in &ra {
        assert!(has_po_finding(d), "A fires from 100.00: {d}");
        assert_eq!(finding(d, PO_RULE).unwrap()["plugin"], d1.as_str());
        let digests = checked_digests(d);
        assert!(digests.contains(&d1) && !digests.contains(&d2));
    }
    for d in &rb {
        assert!(!has_po_finding(d), "B fires from 100000.00 only: {d}");
        let digests = checked_digests(d);
        assert!(digests.contains(&d2) && !digests.contains(&d1));
    }
    // Each tenant's statistics count its own version only.
    let sa = a.ok("GET", "/v1/plugins/po/stats", None, 200).await;
    let sb = b.ok("GET", "/v1/plugins/po/stats", None, 200).await;
    assert_eq!(sa.as_array().unwrap().len(), 1, "{sa}");
    assert_eq!(sa[0]["digest"], d1.as_str());
    assert_eq!(sa[0]["calls"], 2);
    assert_eq!(sa[0]["findings"], 2);
    assert_eq!(sb.as_array().unwrap().len(), 1, "{sb}");
    assert_eq!(sb[0]["digest"], d2.as_str());
    assert_eq!(sb[0]["findings"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tenants_two_versions_sqlite() {
    two_versions_story(Backend::Sqlite, "plugin_two_versions").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_tenants_two_versions_postgres() {
    two_versions_story(Backend::Postgres, "plugin_two_versions").await;
}

// ---------------------------------------------------------------------------
// 5. Shadow
// ---------------------------------------------------------------------------

async fn shadow_story(backend: Backend, name: &str) {
    let (api, tenant) = local(backend, name, &[]).await;
    let c = Client {
        api: &api,
        tenant,
        token: None,
    };
    let po1 = component("po_required.wasm");
    let po2 = with_custom_section(&po1, "papyr-test", b"shadow");
    c.new_version("po", "1", &po1).await;
    let v2 = c.new_version("po", "2", &po2).await;
    // The hostile program in its harmless mode finds nothing: it disagrees with the
    // active version wherever that one fires.
    let quiet = c
        .new_version("po", "quiet", &component("hostile.wasm"))
        .await;
    c.settings(
        "po",
        json!({"config": {"min_amount": "1000.00", "mode": "noop"}, "grants": {"history": true}}),
    )
    .await;
    c.activate("po", "1").await;
    // Shadowing the active version is refused.
    c.call(
        "PUT",
        "/v1/plugins/po/shadow",
        Some(&json!({"version": "1"})),
    )
    .await
    .problem(422);
    let s = c
        .ok(
            "PUT",
            "/v1/plugins/po/shadow",
            Some(&json!({"version": "2"})),
            200,
        )
        .await;
    assert_eq!(s["shadow_version"], v2["version"]["id"]);

    let spec = [
        (200_000, false),
        (200_000, true),
        (10_000, false),
        (300_000, false),
    ];
    let first = invoices("SA", &spec);
    let details = c.process(&first).await;
    for (i, d) in first.iter().zip(&details) {
        assert_eq!(has_po_finding(d), i.fires, "{d}");
    }
    let r = c.ok("GET", "/v1/plugins/po/shadow", None, 200).await;
    assert_eq!(r["version_id"], v2["version"]["id"]);
    assert_eq!(r["invoices"], 4, "{r}");
    assert_eq!(r["disagreements"], 0, "{r}");
    assert_eq!(r["failures"], 0, "{r}");
    assert_eq!(r["disagreement_rate"].as_f64(), Some(0.0), "{r}");

    // A shadow that fires differently: the decisions still follow the active one.
    c.ok(
        "PUT",
        "/v1/plugins/po/shadow",
        Some(&json!({"version": "quiet"})),
        200,
    )
    .await;
    let second = invoices("SB", &spec);
    let details2 = c.process(&second).await;
    for ((i, d), d_before) in second.iter().zip(&details2).zip(&details) {
        assert_eq!(has_po_finding(d), i.fires, "{d}");
        // Same shape of invoice, same decision as with the agreeing shadow.
        assert_eq!(
            d["decision"]["outcome"], d_before["decision"]["outcome"],
            "{d}"
        );
        let quiet_digest = quiet["version"]["digest"].as_str().unwrap();
        assert!(
            !checked_digests(d).iter().any(|x| x == quiet_digest),
            "the shadow is not recorded as having checked"
        );
        assert_eq!(component_digest(d, "po"), component_digest(d_before, "po"));
        assert!(
            d["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["plugin"] != quiet_digest),
            "{d}"
        );
    }
    let r = c.ok("GET", "/v1/plugins/po/shadow", None, 200).await;
    assert_eq!(r["version_id"], quiet["version"]["id"]);
    let fired = second.iter().filter(|i| i.fires).count() as i64;
    assert_eq!(r["invoices"], 4, "{r}");
    assert_eq!(r["disagreements"], fired, "{r}");
    let rate = r["disagreement_rate"].as_f64().unwrap();
    assert!((rate - fired as f64 / 4.0).abs() < 1e-9, "{r}");
    assert!(!r["latest"].as_array().unwrap().is_empty(), "{r}");
    // The earlier shadow's results stay readable.
    let old = c
        .ok("GET", "/v1/plugins/po/shadow?version=2", None, 200)
        .await;
    assert_eq!(old["invoices"], 4, "{old}");
    // Stats: shadow calls are counted as such.
    let stats = c.ok("GET", "/v1/plugins/po/stats", None, 200).await;
    let shadow_calls: u64 = stats
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["shadow"] == true)
        .map(|s| s["calls"].as_u64().unwrap())
        .sum();
    assert_eq!(shadow_calls, 8, "{stats}");
    // Stop: no shadow any more.
    let stopped = c.ok("DELETE", "/v1/plugins/po/shadow", None, 200).await;
    assert!(stopped["shadow_version"].is_null());
    c.call("GET", "/v1/plugins/po/shadow", None)
        .await
        .problem(404);
}

#[tokio::test(flavor = "multi_thread")]
async fn shadow_sqlite() {
    shadow_story(Backend::Sqlite, "plugin_shadow").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn shadow_postgres() {
    shadow_story(Backend::Postgres, "plugin_shadow").await;
}

// ---------------------------------------------------------------------------
// 6. Hot swap under load
// ---------------------------------------------------------------------------

async fn hot_swap_story(backend: Backend, name: &str) {
    let (api, tenant) = local(backend, name, &[]).await;
    let c = Client {
        api: &api,
        tenant,
        token: None,
    };
    let po1 = component("po_required.wasm");
    let po2 = with_custom_section(&po1, "papyr-test", b"hot swap");
    let d1 = c.new_version("po", "1", &po1).await["version"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let d2 = c.new_version("po", "2", &po2).await["version"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    c.settings("po", json!({"config": {"min_amount": "1000.00"}}))
        .await;
    c.activate("po", "1").await;

    let specs: Vec<(i64, bool)> = (0..40)
        .map(|i| (if i % 2 == 0 { 200_000 } else { 20_000 }, i % 3 == 0))
        .collect();
    let all = invoices("HS", &specs);
    let started = Instant::now();
    let swapper = async {
        let mut swaps = 0;
        // Every step changes the active version: 1 → 2 → 1 → 2 → 1 → 2 …
        let steps = [
            Some("2"),
            None,
            Some("2"),
            Some("1"),
            None,
            Some("1"),
            Some("2"),
            None,
            Some("2"),
            Some("1"),
            None,
            Some("1"),
        ];
        for step in steps {
            let a = match step {
                Some(v) => {
                    c.call(
                        "POST",
                        "/v1/plugins/po/activate",
                        Some(&json!({ "version": v })),
                    )
                    .await
                }
                None => c.call("POST", "/v1/plugins/po/rollback", None).await,
            };
            assert_eq!(
                a.status,
                200,
                "{step:?}: {}",
                String::from_utf8_lossy(&a.body)
            );
            swaps += 1;
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        swaps
    };
    let sender = async {
        let mut ids = Vec::new();
        for batch in all.chunks(5) {
            ids.extend(c.send_invoices(batch).await);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        ids
    };
    let (swaps, ids) = tokio::join!(swapper, sender);
    assert!(swaps >= 10);
    let mut seen = BTreeMap::<String, usize>::new();
    for (inv, id) in all.iter().zip(&ids) {
        let status = api.wait_final(&c.tenant, id, PROCESSING).await;
        assert_ne!(status, "failed", "{id}");
        let d = c.detail(id).await;
        let digests = checked_digests(&d);
        let ours: Vec<&String> = digests.iter().filter(|x| **x == d1 || **x == d2).collect();
        assert_eq!(
            ours.len(),
            1,
            "exactly one version of po on {id}: {digests:?}"
        );
        assert_eq!(component_digest(&d, "po").as_ref(), Some(ours[0]));
        *seen.entry(ours[0].clone()).or_default() += 1;
        // The finding (if any) comes from the version recorded as having run.
        assert_eq!(has_po_finding(&d), inv.fires, "{d}");
        if let Some(f) = finding(&d, PO_RULE) {
            assert_eq!(f["plugin"], ours[0].as_str(), "{d}");
        }
    }
    eprintln!(
        "hot swap: {} invoices, {swaps} swaps, versions seen {seen:?}, {:?}",
        ids.len(),
        started.elapsed()
    );
    // The swaps happened while invoices were checked: both versions checked some.
    assert_eq!(seen.len(), 2, "{seen:?}");
    let history = c.ok("GET", "/v1/plugins/po", None, 200).await["history"]
        .as_array()
        .unwrap()
        .len();
    assert!(history >= 2 + 1 + 1 + swaps, "{history}");
}

#[tokio::test(flavor = "multi_thread")]
async fn hot_swap_under_load_sqlite() {
    hot_swap_story(Backend::Sqlite, "plugin_hot_swap").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn hot_swap_under_load_postgres() {
    hot_swap_story(Backend::Postgres, "plugin_hot_swap").await;
}

// ---------------------------------------------------------------------------
// A rule written in JavaScript (componentize-js), beside a Rust one
// ---------------------------------------------------------------------------

const VAT_RULE: &str = "tenant.vat-id-required";

/// The JavaScript example rule, built by scripts/build-js-example.sh (needs node and
/// npm; the script rebuilds only when its inputs changed and serialises concurrent
/// runs).
fn js_component() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        let root = workspace_root();
        let out = std::process::Command::new("bash")
            .arg(root.join("scripts/build-js-example.sh"))
            .arg("--skip-host-check")
            .current_dir(&root)
            .output()
            .expect("run scripts/build-js-example.sh");
        assert!(
            out.status.success(),
            "build-js-example.sh failed (node and npm are required):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read(root.join("plugins/target/js/js_vat_required.wasm")).unwrap()
    })
}

/// The invoice without the vendor's VAT id.
fn without_vendor_vat(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let vat = "<cac:PartyTaxScheme><cbc:CompanyID>NL335965416B03</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>";
    assert!(text.contains(vat));
    text.replacen(vat, "", 1).into_bytes()
}

async fn js_story(backend: Backend, name: &str) {
    let js = js_component();
    let (api, tenant) = local(backend, name, &[]).await;
    let c = Client {
        api: &api,
        tenant,
        token: None,
    };
    let t = Instant::now();
    let up = c.new_version("vat", "1", js).await;
    eprintln!(
        "JS component: {} bytes, upload (validate + compile) {:?}",
        js.len(),
        t.elapsed()
    );
    assert_eq!(up["version"]["rules"], json!([VAT_RULE]));
    assert_eq!(up["version"]["needs_history"], false);
    let dj = up["version"]["digest"].as_str().unwrap().to_string();
    let dp = c
        .new_version("po", "1", &component("po_required.wasm"))
        .await["version"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    c.settings("vat", json!({"config": {"countries": "NL"}}))
        .await;
    c.settings("po", json!({"config": {"min_amount": "1000.00"}}))
        .await;
    c.activate("vat", "1").await;
    c.activate("po", "1").await;
    let mut invs = invoices("JS", &[(200_000, false), (200_000, true)]);
    invs[0].bytes = without_vendor_vat(&invs[0].bytes);
    let d = c.process(&invs).await;
    // The first: no VAT id (JS fires) and no PO (Rust fires); the second: neither.
    let f = finding(&d[0], VAT_RULE).unwrap_or_else(|| panic!("{}", d[0]));
    assert_eq!(f["plugin"], dj.as_str());
    assert_eq!(finding(&d[0], PO_RULE).unwrap()["plugin"], dp.as_str());
    assert!(finding(&d[1], VAT_RULE).is_none(), "{}", d[1]);
    assert!(finding(&d[1], PO_RULE).is_none(), "{}", d[1]);
    for x in &d {
        let digests = checked_digests(x);
        assert!(
            digests.contains(&dj) && digests.contains(&dp),
            "{digests:?}"
        );
        assert_eq!(component_digest(x, "vat").as_deref(), Some(dj.as_str()));
    }
    // Switching its rule off through the settings drops its finding.
    c.settings(
        "vat",
        json!({"config": {"countries": "NL"}, "disabled_rules": [VAT_RULE]}),
    )
    .await;
    let mut again = invoices("JT", &[(300_000, true)]);
    again[0].bytes = without_vendor_vat(&again[0].bytes);
    let d = c.process(&again).await;
    assert!(finding(&d[0], VAT_RULE).is_none(), "{}", d[0]);
    assert!(checked_digests(&d[0]).contains(&dj), "it still ran");
}

#[tokio::test(flavor = "multi_thread")]
async fn javascript_rule_sqlite() {
    js_story(Backend::Sqlite, "plugin_js").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn javascript_rule_postgres() {
    js_story(Backend::Postgres, "plugin_js").await;
}

// ---------------------------------------------------------------------------
// The history grant cannot be taken away while a version that imports the history
// runs: otherwise every later invoice of the tenant would fail in the check stage
// (the component cannot be loaded without its import). Refused with 422 naming the
// grant; the tenant's invoices carry on.
// ---------------------------------------------------------------------------

async fn revoke_grant_story(backend: Backend, name: &str) {
    let (api, tenant) = local(backend, name, &[]).await;
    let c = Client {
        api: &api,
        tenant,
        token: None,
    };
    c.new_version("h", "1", &component("hostile.wasm")).await;
    c.settings(
        "h",
        json!({"grants": {"history": true}, "config": {"mode": "noop"}}),
    )
    .await;
    c.activate("h", "1").await;
    let ok = c.process(&invoices("RA", &[(10_000, true)])).await;
    assert_ne!(ok[0]["status"], "failed", "{}", ok[0]);
    let revoke = c
        .call(
            "PUT",
            "/v1/plugins/h/settings",
            Some(&json!({"grants": {"history": false}, "config": {"mode": "noop"}})),
        )
        .await;
    let p = revoke.problem(422);
    assert!(detail_str(&p).contains("history"), "{p}");
    let after = c.process(&invoices("RB", &[(10_000, true)])).await;
    assert_ne!(after[0]["status"], "failed", "{}", after[0]["error"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_grant_of_a_running_version_stays_sqlite() {
    revoke_grant_story(Backend::Sqlite, "plugin_revoke").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_grant_of_a_running_version_stays_postgres() {
    revoke_grant_story(Backend::Postgres, "plugin_revoke").await;
}

// ---------------------------------------------------------------------------
// Concurrent changes: uploads racing for a new plugin and a label, activations
// naming the same revision
// ---------------------------------------------------------------------------

async fn races_story(backend: Backend, name: &str) {
    let (api, tenant) = local(backend, name, &[]).await;
    let c = Client {
        api: &api,
        tenant,
        token: None,
    };
    let po1 = component("po_required.wasm");
    c.new_version("race", "1", &po1).await;
    // Different bytes under one label at once: one wins, the others conflict.
    let variants: Vec<Vec<u8>> = (0..5)
        .map(|i| with_custom_section(&po1, "papyr-test", format!("v{i}").as_bytes()))
        .collect();
    let racing: Vec<_> = variants
        .iter()
        .map(|b| c.upload_component("race", "2", b, "application/wasm"))
        .collect();
    let statuses: Vec<u16> = futures_util::future::join_all(racing)
        .await
        .iter()
        .map(|a| a.status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let detail = c.ok("GET", "/v1/plugins/race", None, 200).await;
    assert_eq!(detail["versions"].as_array().unwrap().len(), 2, "{detail}");
    // Activations naming the same revision: exactly one is taken.
    let etag = c
        .call("GET", "/v1/plugins/race", None)
        .await
        .header("etag")
        .unwrap();
    let bodies: Vec<Value> = ["1", "2", "1", "2"]
        .iter()
        .map(|v| json!({ "version": v }))
        .collect();
    let if_match = [("if-match", etag.as_str())];
    let acts: Vec<_> = bodies
        .iter()
        .map(|b| c.call_with("POST", "/v1/plugins/race/activate", Some(b), &if_match))
        .collect();
    let statuses: Vec<u16> = futures_util::future::join_all(acts)
        .await
        .iter()
        .map(|a| a.status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 412),
        "{statuses:?}"
    );

    // The same bytes, six times at once, for a plugin that does not exist yet: one
    // upload creates it and the others find that version (200), never a 500 from
    // the racing inserts of the plugin row.
    let same: Vec<_> = (0..6)
        .map(|_| c.upload_component("race-new", "1", &po1, "application/wasm"))
        .collect();
    let answers = futures_util::future::join_all(same).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 200),
        "{statuses:?}: {:?}",
        answers
            .iter()
            .filter(|a| a.status >= 500)
            .map(|a| String::from_utf8_lossy(&a.body).to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_changes_sqlite() {
    races_story(Backend::Sqlite, "plugin_races").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_changes_postgres() {
    races_story(Backend::Postgres, "plugin_races").await;
}

// ---------------------------------------------------------------------------
// A rollback without a body makes the checks an activation makes: back to a version
// that imports the history after the grant was taken away (legitimately, while a
// version without that import was active) is refused with 422 naming the grant,
// as `activate` answers.
// ---------------------------------------------------------------------------

async fn rollback_grant_story(backend: Backend, name: &str) {
    let (api, tenant) = local(backend, name, &[]).await;
    let c = Client {
        api: &api,
        tenant,
        token: None,
    };
    c.new_version("r", "needs-history", &component("hostile.wasm"))
        .await;
    c.new_version("r", "plain", &component("po_required.wasm"))
        .await;
    c.settings(
        "r",
        json!({"grants": {"history": true}, "config": {"mode": "noop"}}),
    )
    .await;
    c.activate("r", "needs-history").await;
    c.activate("r", "plain").await;
    // The active version needs no grant: taking it back is fine.
    c.settings("r", json!({"config": {"mode": "noop"}})).await;
    // Activating the other version by name is refused, naming the grant...
    let p = c
        .call(
            "POST",
            "/v1/plugins/r/activate",
            Some(&json!({"version": "needs-history"})),
        )
        .await
        .problem(422);
    assert!(detail_str(&p).contains("grant"), "{p}");
    // ...and so must be rolling back to it.
    let a = c.call("POST", "/v1/plugins/r/rollback", None).await;
    if a.status == 200 {
        let d = c.process(&invoices("RR", &[(10_000, true)])).await;
        panic!(
            "rollback to a version needing an ungranted import was accepted (200); the next invoice: status {} error {}",
            d[0]["status"], d[0]["error"]
        );
    }
    let p = a.problem(422);
    assert!(detail_str(&p).contains("history"), "{p}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_checks_the_grant_sqlite() {
    rollback_grant_story(Backend::Sqlite, "plugin_rollback_grant").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_checks_the_grant_postgres() {
    rollback_grant_story(Backend::Postgres, "plugin_rollback_grant").await;
}

// ---------------------------------------------------------------------------
// The ETag of the untouched built-in `fraud` plugin works in `If-Match`: its first
// change creates its row at the revision the ETag named.
// ---------------------------------------------------------------------------

async fn builtin_etag_story(backend: Backend, name: &str) {
    let (api, tenant) = local(backend, name, &[]).await;
    let c = Client {
        api: &api,
        tenant,
        token: None,
    };
    let got = c.call("GET", "/v1/plugins/fraud", None).await;
    assert_eq!(got.status, 200);
    let etag = got.header("etag").expect("ETag");
    let body = json!({"config": {}});
    let put = c
        .call_with(
            "PUT",
            "/v1/plugins/fraud/settings",
            Some(&body),
            &[("if-match", etag.as_str())],
        )
        .await;
    assert_eq!(
        put.status,
        200,
        "PUT settings with the ETag {etag} just read: {}",
        String::from_utf8_lossy(&put.body)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn builtin_etag_works_sqlite() {
    builtin_etag_story(Backend::Sqlite, "plugin_builtin_etag").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn builtin_etag_works_postgres() {
    builtin_etag_story(Backend::Postgres, "plugin_builtin_etag").await;
}
