//! `papyr process` end to end, as a user runs it: generated invoices with ground
//! truth, the exact JSON line format, and bad input that must fail alone.
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn papyr() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_papyr"));
    // Each test run compiles into its own cache folder: tests stay independent.
    c.env(
        "PAPYR_CACHE_DIR",
        std::env::temp_dir().join("papyr-test-cache"),
    );
    c
}

fn generate(dir: &Path, seed: u64, count: usize, preset: papyr_testgen::Preset) {
    papyr_testgen::generate(&papyr_testgen::Options {
        seed,
        count,
        out_dir: dir.to_path_buf(),
        split: papyr_testgen::Split::Dev,
        preset,
    })
    .expect("generate");
}

fn run_json(args: &[&std::ffi::OsStr]) -> (Vec<Value>, String, i32) {
    let out = papyr()
        .arg("process")
        .arg("--json")
        .args(args)
        .output()
        .expect("run papyr");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    (
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn truth(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("truth.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const FIELD_KEYS: &[&str] = &[
    "vendor_name",
    "vendor_tax_id",
    "customer_name",
    "invoice_number",
    "issue_date",
    "due_date",
    "currency",
    "net_total",
    "tax_total",
    "gross_total",
    "amount_due",
    "iban",
    "bic",
    "po_number",
    "line_items",
];

#[test]
fn json_lines_have_the_documented_shape_and_e_invoices_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 11, 60, papyr_testgen::Preset::Clean);
    let (lines, stderr, code) = run_json(&[
        dir.path().as_os_str(),
        "--tenant".as_ref(),
        dir.path().join("tenant.json").as_os_str(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let truth = truth(dir.path());
    assert_eq!(lines.len(), truth.len(), "one line per document, in order");
    let mut e_invoices = 0;
    for (line, t) in lines.iter().zip(&truth) {
        assert_eq!(line["file"], t["file"], "output follows input order");
        for key in [
            "file",
            "sha256",
            "classification",
            "fields",
            "findings",
            "decision",
            "timings_us",
            "plugins",
            "error",
        ] {
            assert!(line.get(key).is_some(), "missing `{key}` in {line}");
        }
        assert_eq!(line["sha256"].as_str().unwrap().len(), 64);
        assert!(
            line["plugins"]["parse"]
                .as_str()
                .is_some_and(|d| d.len() == 64)
        );
        if line["fields"].is_object() {
            let keys: Vec<&str> = line["fields"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut want = FIELD_KEYS.to_vec();
            want.sort();
            assert_eq!(keys, want, "fields keys are exactly the documented ones");
        }
        // Structured e-invoices are read exactly: every core field matches.
        if ["facturx", "ubl", "cii"].contains(&t["format"].as_str().unwrap())
            && t["kind"] == "invoice"
        {
            e_invoices += 1;
            for k in [
                "vendor_name",
                "invoice_number",
                "issue_date",
                "due_date",
                "currency",
                "net_total",
                "tax_total",
                "gross_total",
                "amount_due",
                "iban",
            ] {
                assert_eq!(line["fields"][k], t["fields"][k], "{}: {k}", t["file"]);
            }
        }
    }
    assert!(
        e_invoices >= 3,
        "the set should hold e-invoices ({e_invoices})"
    );
}

#[test]
fn planted_fraud_is_found_in_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 5, 120, papyr_testgen::Preset::Full);
    let (lines, stderr, _) = run_json(&[
        dir.path().as_os_str(),
        "--tenant".as_ref(),
        dir.path().join("tenant.json").as_os_str(),
    ]);
    let truth = truth(dir.path());
    assert_eq!(lines.len(), truth.len(), "{stderr}");
    // Signals the pipeline must catch whatever the extraction quality of a layout.
    let must = [
        "duplicate.same-file",
        "pdf.incremental-edit",
        "sender.display-name-spoof",
        "bank.iban-changed",
        "id.iban-invalid",
    ];
    let mut checked = 0;
    for (line, t) in lines.iter().zip(&truth) {
        let found: Vec<&str> = line["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["rule"].as_str())
            .collect();
        for planted in t["planted"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
        {
            if must.contains(&planted) {
                checked += 1;
                assert!(
                    found.contains(&planted),
                    "{}: planted {planted} not found (found {found:?})",
                    t["file"]
                );
            }
        }
        if found
            .iter()
            .any(|r| *r == "duplicate.same-file" || r.starts_with("pdf.incremental"))
        {
            assert_eq!(
                line["decision"], "hold",
                "{}: a tampered or re-sent file must be held",
                t["file"]
            );
        }
    }
    assert!(checked >= 5, "too few planted signals to check ({checked})");
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A minimal PDF whose only page content is one Flate stream that inflates to
/// `inflated` bytes; `trailer_extra` is added to the trailer dictionary.
fn bomb_pdf(inflated: usize) -> Vec<u8> {
    minimal_pdf(inflated, "")
}

fn minimal_pdf(inflated: usize, trailer_extra: &str) -> Vec<u8> {
    let zeros = vec![b' '; inflated];
    let stream = miniz_oxide::deflate::compress_to_vec_zlib(&zeros, 9);
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    let mut obj = |pdf: &mut Vec<u8>, body: &[u8]| {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    };
    obj(&mut pdf, b"<< /Type /Catalog /Pages 2 0 R >>");
    obj(&mut pdf, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    obj(
        &mut pdf,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
    );
    let mut s = format!(
        "<< /Length {} /Filter /FlateDecode >>\nstream\n",
        stream.len()
    )
    .into_bytes();
    s.extend_from_slice(&stream);
    s.extend_from_slice(b"\nendstream");
    obj(&mut pdf, &s);
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes(),
    );
    for o in &offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
            offsets.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[test]
fn bad_documents_fail_alone_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let gen_dir = dir.path().join("good");
    generate(&gen_dir, 3, 4, papyr_testgen::Preset::Clean);
    let good = truth(&gen_dir)
        .into_iter()
        .find(|t| t["format"] == "pdf" && t["kind"] == "invoice")
        .expect("a good PDF");
    let good_path = gen_dir.join(good["file"].as_str().unwrap());
    let good_bytes = std::fs::read(&good_path).unwrap();

    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    let files = [
        write(&bad, "a-empty.pdf", b""),
        write(&bad, "b-truncated.pdf", &good_bytes[..good_bytes.len() / 3]),
        write(
            &bad,
            "c-encrypted.pdf",
            &minimal_pdf(
                100,
                "/Encrypt << /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>",
            ),
        ),
        write(
            &bad,
            "d-not-a-pdf.pdf",
            &[0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3],
        ),
        write(&bad, "e-bomb.pdf", &bomb_pdf(200 << 20)),
        write(&bad, "f-huge.pdf", &{
            let mut v = b"%PDF-1.4\n".to_vec();
            v.resize(65 << 20, b' ');
            v
        }),
        write(&bad, "z-good.pdf", &good_bytes),
    ];
    let args: Vec<&std::ffi::OsStr> = files.iter().map(|p| p.as_os_str()).collect();
    let (lines, stderr, code) = run_json(&args);
    assert_eq!(lines.len(), files.len(), "{stderr}");
    assert_eq!(code, 1, "exit code 1 tells that some documents failed");
    let by_file = |name: &str| {
        lines
            .iter()
            .find(|l| l["file"] == name)
            .unwrap_or_else(|| panic!("no line for {name}"))
    };
    let err = |name: &str| by_file(name)["error"].as_str().map(str::to_string);
    assert!(
        err("a-empty.pdf").is_some_and(|e| e.contains("empty")),
        "{:?}",
        err("a-empty.pdf")
    );
    assert!(
        err("c-encrypted.pdf").is_some_and(|e| e.contains("encrypted")),
        "{:?}",
        err("c-encrypted.pdf")
    );
    assert!(
        err("e-bomb.pdf").is_some_and(|e| e.contains("limit")),
        "{:?}",
        err("e-bomb.pdf")
    );
    assert!(
        err("f-huge.pdf").is_some_and(|e| e.contains("too large")),
        "{:?}",
        err("f-huge.pdf")
    );
    // Not a PDF and a truncated PDF: either an error or a kept non-invoice; never a crash.
    for name in ["b-truncated.pdf", "d-not-a-pdf.pdf"] {
        let l = by_file(name);
        assert!(
            l["error"].is_string() || l["decision"] != "auto-approve",
            "{name}: {l}"
        );
    }
    assert_eq!(
        by_file("d-not-a-pdf.pdf")["classification"]["kind"],
        "other"
    );
    // The good document after all of them still goes through.
    let g = by_file("z-good.pdf");
    assert!(g["error"].is_null(), "{g}");
    assert_eq!(
        g["fields"]["invoice_number"],
        good["fields"]["invoice_number"]
    );
}

#[test]
fn report_is_written_and_is_a_pdf() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 9, 3, papyr_testgen::Preset::Clean);
    let t = truth(dir.path())
        .into_iter()
        .find(|t| t["kind"] == "invoice")
        .unwrap();
    let out = dir.path().join("report.pdf");
    let status = papyr()
        .arg("process")
        .arg("--report")
        .arg(&out)
        .arg(dir.path().join(t["file"].as_str().unwrap()))
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let pdf = std::fs::read(&out).unwrap();
    assert!(pdf.starts_with(b"%PDF-") && pdf.len() > 1000);
}

#[test]
fn cli_misuse_gets_one_clear_line() {
    let out = papyr()
        .args(["process", "/definitely/not/here.pdf"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot read `/definitely/not/here.pdf`"),
        "{stderr}"
    );
    let dir = tempfile::tempdir().unwrap();
    let bad_tenant = write(dir.path(), "tenant.json", b"{\"vendors\": 3}");
    let doc = write(dir.path(), "x.pdf", b"%PDF-1.4");
    let out = papyr()
        .arg("process")
        .arg("--tenant")
        .arg(&bad_tenant)
        .arg(&doc)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid tenant file"));
}

#[test]
fn plugin_check_names_world_imports_and_refusals() {
    let dir = papyr_builtins_dir();
    let out = papyr()
        .args(["plugin", "check", "--json"])
        .arg(dir.join("hostile.wasm"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "history not granted → refused");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["world"], "fraud-rule");
    assert!(
        v["problems"][0]
            .as_str()
            .unwrap()
            .contains("papyr:pipeline/history@0.1.0")
    );
    let out = papyr()
        .args(["plugin", "check", "--grant-history"])
        .arg(dir.join("hostile.wasm"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("world:   papyr:pipeline/fraud-rule@0.1.0")
    );
    let junk = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(junk.path(), b"not wasm").unwrap();
    let out = papyr()
        .args(["plugin", "check"])
        .arg(junk.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("magic bytes"));
}

fn papyr_builtins_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../plugins/target/wasm32-wasip2/release")
}

#[test]
fn extra_rules_run_with_their_tenant_configuration() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 21, 30, papyr_testgen::Preset::Clean);
    let rule = papyr_builtins_dir().join("po_required.wasm");
    let count_hits = |config: &str| {
        let tenant = dir.path().join("t.json");
        std::fs::write(
            &tenant,
            format!(r#"{{"name": "T", "plugin_config": {config}}}"#),
        )
        .unwrap();
        let (lines, stderr, _) = run_json(&[
            dir.path().as_os_str(),
            "--rule".as_ref(),
            rule.as_os_str(),
            "--tenant".as_ref(),
            tenant.as_os_str(),
        ]);
        assert!(!lines.is_empty(), "{stderr}");
        lines
            .iter()
            .flat_map(|l| l["findings"].as_array().cloned().unwrap_or_default())
            .filter(|f| f["rule"] == "tenant.po-required")
            .count()
    };
    let default_hits = count_hits("{}");
    assert!(
        default_hits > 0,
        "invoices of 1000.00 or more without a PO exist in the set"
    );
    // Configured under the file's name (underscore) or the package name (hyphen).
    assert_eq!(
        count_hits(r#"{"po_required": {"min_amount": "99999999"}}"#),
        0
    );
    assert_eq!(
        count_hits(r#"{"po-required": {"min_amount": "99999999"}}"#),
        0
    );
}

#[test]
fn configuration_for_a_plugin_that_does_not_run_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tenant = write(
        dir.path(),
        "tenant.json",
        br#"{"plugin_config": {"po_requird": {"min_amount": "5"}}}"#,
    );
    let doc = write(dir.path(), "x.pdf", b"%PDF-1.4");
    let out = papyr()
        .arg("process")
        .arg("--tenant")
        .arg(&tenant)
        .arg(&doc)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("configures plugin `po-requird`, which is not running"),
        "{stderr}"
    );
}

#[test]
fn a_non_rule_component_is_refused_as_a_rule() {
    let dir = tempfile::tempdir().unwrap();
    let doc = write(dir.path(), "x.pdf", b"%PDF-1.4");
    let out = papyr()
        .arg("process")
        .arg("--rule")
        .arg(papyr_builtins_dir().join("classify.wasm"))
        .arg(&doc)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("implements the classifier world; --rule takes fraud-rule components")
    );
}
