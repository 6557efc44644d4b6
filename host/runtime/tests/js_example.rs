//! The JavaScript example rule (plugins/examples/js-vat-required), built with
//! componentize-js by scripts/build-js-example.sh, runs in the host like a Rust rule.
//!
//! Building needs node and npm. Without them these tests fail (they do not skip): the
//! example is the proof that a tenant can write a rule in another language.
//!
//! `cargo test -p papyr-runtime --test js_example -- --nocapture` also prints the
//! component's size, first-load compile time and per-call latency next to the Rust
//! `po-required` example's.
use papyr_runtime::bindings::types::*;
use papyr_runtime::host::Capabilities;
use papyr_runtime::{CallError, EngineOptions, Grants, Limits, Plugin, Runtime};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const RULE: &str = "tenant.vat-id-required";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the build script once per test binary. The script itself skips the build when
/// the component is newer than its sources and serialises concurrent runs.
fn js_component() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let root = repo_root();
        let script = root.join("scripts/build-js-example.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg("--skip-host-check")
            .current_dir(&root)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{} failed ({}); node and npm are required for this test:\n{stderr}",
            script.display(),
            out.status
        );
        let path = root.join("plugins/target/js/js_vat_required.wasm");
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    })
}

fn rust_component() -> Vec<u8> {
    let path = repo_root().join("plugins/target/wasm32-wasip2/release/po_required.wasm");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (build the plugin workspace first: `cargo xtask plugins`)",
            path.display()
        )
    })
}

/// One engine and loaded component for the behaviour tests of this binary. Compiled
/// components are cached on disk so that a runner with one process per test (nextest)
/// compiles the 12 MB component once, not once per test.
fn js_rule() -> &'static (Runtime, Plugin) {
    static RULE_RT: OnceLock<(Runtime, Plugin)> = OnceLock::new();
    RULE_RT.get_or_init(|| {
        let rt = Runtime::new(EngineOptions {
            cache_dir: Some(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("js-example-cache")),
            ..EngineOptions::default()
        })
        .expect("engine");
        let plugin = rt
            .load("js-vat-required", js_component(), Grants::default())
            .expect("the JS rule loads without the history grant");
        (rt, plugin)
    })
}

fn caps(config: &[(&str, &str)]) -> Capabilities {
    Capabilities {
        config: config
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        history: None,
        clock_unix_secs: 1_795_694_400,
    }
}

fn input(
    vendor: &str,
    country: Option<&str>,
    tax_id: Option<&str>,
    iban: Option<&str>,
) -> CheckInput {
    let mut invoice = papyr_runtime::convert::empty_invoice(DocumentKind::Invoice);
    invoice.vendor.name = Some(vendor.into());
    invoice.vendor.country = country.map(Into::into);
    invoice.vendor.tax_id = tax_id.map(Into::into);
    invoice.iban = iban.map(Into::into);
    invoice.invoice_number = Some("2026-118".into());
    invoice.currency = Some("EUR".into());
    invoice.gross_total = Some(Money {
        minor: 250_000,
        currency: "EUR".into(),
    });
    let mut parsed = papyr_runtime::convert::empty_parsed(DocumentFormat::Pdf);
    parsed.has_text_layer = true;
    CheckInput {
        document: DocumentInfo {
            media_type: "application/pdf".into(),
            filename: "invoice.pdf".into(),
            sha256: "00".into(),
            size: 1,
            origin: papyr_runtime::convert::OriginFile::default().into_wit("cli"),
        },
        parsed,
        classification: Classification {
            kind: DocumentKind::Invoice,
            confidence: 1.0,
            reasons: vec![],
        },
        invoice,
        today: Date {
            year: 2026,
            month: 11,
            day: 26,
        },
    }
}

fn check(config: &[(&str, &str)], input: &CheckInput) -> Result<Vec<Finding>, CallError> {
    let (rt, plugin) = js_rule();
    rt.check(plugin, caps(config), &Limits::rule(), input)
        .map(|c| c.value)
}

fn evidence_value<'a>(f: &'a Finding, label: &str) -> Option<&'a str> {
    f.evidence
        .iter()
        .find(|e| e.label == label)
        .map(|e| e.value.as_str())
}

#[test]
fn german_vendor_without_vat_id_is_flagged() {
    let found = check(
        &[],
        &input("Müller Bürobedarf GmbH", Some("DE"), None, None),
    )
    .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    let f = &found[0];
    assert_eq!(f.rule, RULE);
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.score, 35);
    assert!(
        f.message.contains("Müller Bürobedarf GmbH") && f.message.contains("VAT id"),
        "{}",
        f.message
    );
    assert_eq!(evidence_value(f, "vendor"), Some("Müller Bürobedarf GmbH"));
    assert_eq!(evidence_value(f, "vendor country"), Some("DE"));
}

#[test]
fn a_vat_id_clears_it_and_a_blank_one_does_not() {
    let with_id = input("Müller GmbH", Some("DE"), Some("DE123456789"), None);
    assert!(check(&[], &with_id).unwrap().is_empty());
    let blank = input("Müller GmbH", Some("DE"), Some("   "), None);
    assert_eq!(check(&[], &blank).unwrap().len(), 1);
}

#[test]
fn country_falls_back_to_the_iban_prefix() {
    let found = check(
        &[],
        &input(
            "Studio Rossi S.r.l.",
            None,
            None,
            Some("it60 X054 2811 1010 0000 0123 456"),
        ),
    )
    .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        evidence_value(&found[0], "vendor country (from the IBAN)"),
        Some("IT")
    );
    // A printed country wins over the IBAN.
    let us = input(
        "Acme Inc.",
        Some("US"),
        None,
        Some("DE89370400440532013000"),
    );
    assert!(check(&[], &us).unwrap().is_empty());
    // Neither: nothing to judge.
    assert!(
        check(&[], &input("Nobody", None, None, None))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn configured_countries_replace_the_default_list() {
    let us = input("Acme Inc.", Some("US"), None, None);
    assert!(
        check(&[], &us).unwrap().is_empty(),
        "US is not in the default list"
    );
    let found = check(&[("countries", "US")], &us).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(evidence_value(&found[0], "vendor country"), Some("US"));
    // Codes are trimmed and case-insensitive; DE is no longer in the list.
    assert_eq!(check(&[("countries", " us , ca")], &us).unwrap().len(), 1);
    let de = input("Müller GmbH", Some("DE"), None, None);
    assert!(check(&[("countries", "US")], &de).unwrap().is_empty());
}

#[test]
fn rules_declares_the_rule_id() {
    let (rt, plugin) = js_rule();
    let rules = rt.rules(plugin, caps(&[]), &Limits::rule()).unwrap().value;
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].id, RULE);
    assert_eq!(rules[0].default_severity, Severity::Medium);
    assert!(!rules[0].title.is_empty() && rules[0].description.contains("countries"));
}

#[test]
fn bad_configuration_is_a_config_stage_error_not_a_trap() {
    let de = input("Müller GmbH", Some("DE"), None, None);
    for bad in ["123", "", "DE,,Germany"] {
        let err = check(&[("countries", bad)], &de).unwrap_err();
        match &err {
            CallError::Stage(msg) => {
                assert!(msg.starts_with("configuration: "), "{msg}");
                assert!(msg.contains("`countries`"), "{msg}");
            }
            other => panic!("countries={bad:?}: expected a config stage error, got {other:?}"),
        }
    }
    // The same engine goes on working after the error.
    assert_eq!(check(&[], &de).unwrap().len(), 1);
}

struct Figures {
    size: usize,
    compile: Duration,
    median_call: Duration,
    fuel: u64,
}

/// Size, compile time on a fresh engine without a disk cache, and the median of 200
/// `check` calls (each a fresh instance, as in production).
fn measure(name: &str, bytes: &[u8], config: &[(&str, &str)], input: &CheckInput) -> Figures {
    let rt = Runtime::new(EngineOptions::default()).expect("engine");
    let started = Instant::now();
    let plugin = rt.load(name, bytes, Grants::default()).expect("loads");
    let compile = started.elapsed();
    let mut times = Vec::with_capacity(200);
    let mut fuel = 0;
    for _ in 0..200 {
        let started = Instant::now();
        let out = rt
            .check(&plugin, caps(config), &Limits::rule(), input)
            .expect("check succeeds");
        times.push(started.elapsed());
        assert_eq!(out.value.len(), 1, "{name}: the input must be flagged");
        fuel = out.stats.fuel_used;
    }
    times.sort();
    Figures {
        size: bytes.len(),
        compile,
        median_call: times[times.len() / 2],
        fuel,
    }
}

#[test]
fn size_and_latency_against_the_rust_example() {
    // Both inputs produce one finding, so both components do their full work.
    let js_input = input("Müller GmbH", Some("DE"), None, None);
    let js = measure("js-vat-required", js_component(), &[], &js_input);
    let rust_input = input("Müller GmbH", Some("DE"), Some("DE123456789"), None);
    let rust = measure("po-required", &rust_component(), &[], &rust_input);
    println!(
        "component            size        compile (first load)  median check (200)  fuel/check"
    );
    for (name, f) in [("js_vat_required", &js), ("po_required (Rust)", &rust)] {
        println!(
            "{name:<20} {:>8} KiB  {:>17.0?}  {:>18.2?}  {:>10}",
            f.size / 1024,
            f.compile,
            f.median_call,
            f.fuel
        );
    }
    // Loose bounds: they catch a broken build (an empty component, a call that
    // initialises the JS engine every time), not machine noise.
    assert!(
        js.size > 1 << 20,
        "an interpreter-based component is megabytes"
    );
    assert!(
        js.median_call < Duration::from_millis(250),
        "a JS check takes {:?}",
        js.median_call
    );
}
