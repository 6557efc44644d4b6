//! `papyr plugin new` and `papyr plugin test`, as a plugin author runs them: a project
//! generated from the template builds with one cargo command, its component flags
//! exactly the invoices it should, the JSON lines carry the documented fields, and bad
//! usage fails clearly with exit code 2.
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn papyr() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_papyr"));
    c.env(
        "PAPYR_CACHE_DIR",
        std::env::temp_dir().join("papyr-test-cache"),
    );
    c
}

fn components() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../plugins/target/wasm32-wasip2/release")
}

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn truth(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("truth.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The file name of a JSON line's `file` (the path as given on the command line).
fn name_of(line: &Value) -> String {
    Path::new(line["file"].as_str().unwrap())
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Decimal string → hundredths (every generated currency has two decimals).
fn cents(s: &str) -> i64 {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let frac = format!("{frac:0<2}");
    int.parse::<i64>().unwrap() * 100 + frac[..2].parse::<i64>().unwrap()
}

/// A cargo command for the generated project, free of this test's cargo settings.
fn cargo(project: &Path, target_dir: &Path) -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if (k.starts_with("CARGO_") && k != "CARGO_HOME")
            || k.starts_with("RUSTC")
            || k == "RUSTFLAGS"
        {
            c.env_remove(&key);
        }
    }
    c.current_dir(project).env("CARGO_TARGET_DIR", target_dir);
    c
}

#[test]
fn a_new_project_builds_with_one_command_and_flags_exactly_the_right_invoices() {
    // A fixed place under the target folder: the next run reuses the compiled SDK.
    let work = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-dev");
    let parent = work.join("projects");
    let project = parent.join("big-no-po");
    let _ = std::fs::remove_dir_all(&project);

    let out = papyr()
        .args(["plugin", "new", "big-no-po", "--dir"])
        .arg(&parent)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("tenant.big-no-po"),
        "{}",
        stdout(&out)
    );
    let read = |rel: &str| std::fs::read_to_string(project.join(rel)).unwrap();
    let manifest = read("Cargo.toml");
    assert!(manifest.contains("name = \"big-no-po\""), "{manifest}");
    assert!(manifest.contains("\n[workspace]\n"), "its own workspace");
    let sdk = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins/sdk")
        .canonicalize()
        .unwrap();
    assert!(
        manifest.contains(&format!("path = \"{}\"", sdk.display())),
        "{manifest}"
    );
    assert!(read(".cargo/config.toml").contains("target = \"wasm32-wasip2\""));
    let lib = read("src/lib.rs");
    assert!(lib.contains("pub const RULE: &str = \"tenant.big-no-po\";"));
    let readme = read("README.md");
    for needle in [
        "rustup target add wasm32-wasip2",
        "cargo build --release",
        "papyr plugin test target/wasm32-wasip2/release/big_no_po.wasm",
        "papyr plugin upload",
        "papyr plugin activate",
    ] {
        assert!(readme.contains(needle), "README lacks `{needle}`");
    }
    for text in [&manifest, &lib, &readme] {
        assert!(!text.contains("{{"), "a placeholder was left: {text}");
    }

    // One command builds the component; the template's own tests pass natively.
    let target_dir = work.join("target");
    let build = cargo(&project, &target_dir)
        .args(["build", "--release", "--quiet"])
        .output()
        .unwrap();
    assert!(build.status.success(), "{}", stderr(&build));
    let component = target_dir.join("wasm32-wasip2/release/big_no_po.wasm");
    assert!(component.is_file(), "no {}", component.display());
    let tests = cargo(&project, &target_dir)
        .arg("test-native")
        .output()
        .unwrap();
    assert!(tests.status.success(), "{}", stderr(&tests));
    assert!(
        stdout(&tests).contains("test result: ok. 4 passed"),
        "{}",
        stdout(&tests)
    );

    let set = tempfile::tempdir().unwrap();
    papyr_testgen::generate(&papyr_testgen::Options {
        seed: 5,
        count: 40,
        out_dir: set.path().to_path_buf(),
        split: papyr_testgen::Split::Dev,
        preset: papyr_testgen::Preset::Clean,
    })
    .unwrap();
    let truth = truth(set.path());
    let run = |extra: &[&str]| {
        let out = papyr()
            .args(["plugin", "test", "--json"])
            .arg(&component)
            .arg(set.path())
            .arg("--tenant")
            .arg(set.path().join("tenant.json"))
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let lines = json_lines(&out);
        assert_eq!(lines.len(), truth.len(), "one line per document");
        (lines, stderr(&out))
    };
    // Which documents the rule must flag: invoices (not credit notes, not scans, which
    // have no text layer) of at least `min` without a purchase order; with a prefix,
    // also those whose PO number lacks it.
    let expected = |min: i64, prefix: Option<&str>| -> Vec<String> {
        truth
            .iter()
            .filter(|t| t["kind"] == "invoice" && t["format"] != "scan")
            .filter(|t| cents(t["fields"]["gross_total"].as_str().unwrap()) >= min)
            .filter(|t| match (t["fields"]["po_number"].as_str(), prefix) {
                (None, _) => true,
                (Some(po), Some(p)) => !po.starts_with(p),
                (Some(_), None) => false,
            })
            .map(|t| t["file"].as_str().unwrap().to_string())
            .collect()
    };
    let flagged = |lines: &[Value]| -> Vec<String> {
        lines
            .iter()
            .filter(|l| !l["findings"].as_array().unwrap().is_empty())
            .map(name_of)
            .collect()
    };

    let (lines, summary) = run(&["--config", "min_amount=2000"]);
    let want = expected(200_000, None);
    assert!(
        want.len() >= 3,
        "the set has invoices to flag: {want:?} (pick another seed)"
    );
    assert_eq!(flagged(&lines), want);
    for (line, t) in lines.iter().zip(&truth) {
        assert_eq!(name_of(line), t["file"].as_str().unwrap(), "input order");
        let invoice_like = ["invoice", "credit-note"].contains(&t["kind"].as_str().unwrap())
            && t["format"] != "scan";
        let status = if invoice_like { "checked" } else { "skipped" };
        assert_eq!(line["status"], status, "{line}");
        for f in line["findings"].as_array().unwrap() {
            assert_eq!(f["rule"], "tenant.big-no-po");
            assert_eq!(f["severity"], "medium");
            assert_eq!(f["score"], 40);
            let gross = format!(
                "{} {}",
                t["fields"]["gross_total"].as_str().unwrap(),
                t["fields"]["currency"].as_str().unwrap()
            );
            assert_eq!(f["evidence"][0]["label"], "gross total");
            assert_eq!(f["evidence"][0]["value"], gross.as_str());
            assert_eq!(f["evidence"][1]["label"], "min_amount");
            assert!(f["message"].as_str().unwrap().contains(&gross), "{f}");
        }
    }
    assert!(
        summary.contains(&format!("{} documents", truth.len()))
            && summary.contains(&format!("{} findings, 0 failures", want.len())),
        "{summary}"
    );

    // Configuration reaches the rule: a prefix no PO number has flags every invoice
    // from the amount on, the ones with a PO at low severity.
    let (lines, _) = run(&["--config", "min_amount=2000", "--config", "po_prefix=ZZ-"]);
    let want_prefix = expected(200_000, Some("ZZ-"));
    assert!(want_prefix.len() > want.len(), "some invoices carry a PO");
    assert_eq!(flagged(&lines), want_prefix);
    let low = lines
        .iter()
        .flat_map(|l| l["findings"].as_array().unwrap().clone())
        .filter(|f| f["severity"] == "low")
        .count();
    assert_eq!(low, want_prefix.len() - want.len());

    // The text output: one block per document, then the summary line.
    let out = papyr()
        .args(["plugin", "test"])
        .arg(&component)
        .arg(set.path())
        .args(["--config", "min_amount=2000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("fraud rule `big-no-po`")
    );
    assert_eq!(
        text.matches("! medium tenant.big-no-po (40): No purchase-order number")
            .count(),
        want.len(),
        "{text}"
    );
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with(&format!("{} documents, ", truth.len())),
        "{text}"
    );
}

#[test]
fn po_required_on_the_samples_gives_the_documented_json_lines() {
    let component = components().join("po_required.wasm");
    let out = papyr()
        .args(["plugin", "test", "--json"])
        .arg(&component)
        .arg(samples())
        .arg("--tenant")
        .arg(samples().join("tenant.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = json_lines(&out);
    let truth = truth(&samples());
    assert_eq!(lines.len(), truth.len());
    let mut flagged = Vec::new();
    for (line, t) in lines.iter().zip(&truth) {
        let keys: Vec<&str> = line
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "classification",
                "error",
                "file",
                "findings",
                "fuel",
                "fuel_limit",
                "logs",
                "skipped",
                "status",
                "time_us"
            ],
            "{line}"
        );
        assert_eq!(name_of(line), t["file"].as_str().unwrap());
        assert_eq!(line["error"], Value::Null);
        assert_eq!(line["logs"], serde_json::json!([]));
        let kind = t["kind"].as_str().unwrap();
        let checked = ["invoice", "credit-note"].contains(&kind) && t["format"] != "scan";
        if !checked {
            assert_eq!(line["status"], "skipped", "{line}");
            assert!(
                line["skipped"]
                    .as_str()
                    .unwrap()
                    .starts_with("not an invoice")
                    || t["format"] == "scan",
                "{line}"
            );
            assert_eq!(line["findings"], serde_json::json!([]));
            assert_eq!(line["fuel"], Value::Null);
            assert_eq!(line["time_us"], Value::Null);
            continue;
        }
        assert_eq!(line["classification"]["kind"], kind, "{line}");
        assert!(line["classification"]["confidence"].as_f64().unwrap() > 0.5);
        assert_eq!(line["status"], "checked", "{line}");
        assert_eq!(line["skipped"], Value::Null);
        // Production limits: fuel scales with the invoice's line items.
        let items = t["fields"]["line_items"].as_array().map_or(0, Vec::len);
        assert_eq!(
            line["fuel_limit"].as_u64().unwrap(),
            papyr_runtime::RuleLimits::default().fuel_for(items),
            "{line}"
        );
        let fuel = line["fuel"].as_u64().unwrap();
        assert!(fuel > 0 && fuel < line["fuel_limit"].as_u64().unwrap());
        assert!(line["time_us"].as_u64().unwrap() > 0);
        let gross = t["fields"]["gross_total"].as_str().unwrap();
        let currency = t["fields"]["currency"].as_str().unwrap();
        if t["fields"]["po_number"].is_null() && cents(gross) >= 100_000 {
            flagged.push(name_of(line));
            assert_eq!(
                line["findings"],
                serde_json::json!([{
                    "rule": "tenant.po-required",
                    "severity": "medium",
                    "score": 40,
                    "message": format!("No purchase-order number on an invoice of {gross} {currency} (required from 1000.00 {currency})."),
                    "evidence": [{"label": "gross total", "value": gross}],
                }])
            );
        } else {
            assert_eq!(line["findings"], serde_json::json!([]), "{line}");
        }
    }
    assert_eq!(
        flagged,
        [
            "00007-en-invoice.pdf",
            "00010-en-invoice.pdf",
            "00012-it-credit-note.pdf"
        ]
    );
    assert!(
        stderr(&out)
            .starts_with("12 documents, 9 invoices checked (3 skipped): 3 findings, 0 failures"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_rule_that_fails_exits_1_with_the_error_kind() {
    let hostile = components().join("hostile.wasm");
    let invoice = samples().join("00006-de-invoice.pdf");
    let receipt = samples().join("00011-fr-receipt.pdf");
    let run = |mode: &str| {
        let out = papyr()
            .args(["plugin", "test", "--json", "--grant-history"])
            .arg(&hostile)
            .arg(&invoice)
            .arg(&receipt)
            .arg("--tenant")
            .arg(samples().join("tenant.json"))
            .args(["--config", &format!("mode={mode}")])
            .output()
            .unwrap();
        let lines = json_lines(&out);
        assert_eq!(lines.len(), 2, "{}", stderr(&out));
        assert_eq!(lines[1]["status"], "skipped", "the receipt is not checked");
        (
            out.status.code(),
            lines.into_iter().next().unwrap(),
            stderr(&out),
        )
    };
    for (mode, kind) in [
        ("loop", "fuel"),
        ("panic", "trap"),
        ("stage-error", "stage-error"),
    ] {
        let (code, line, stderr) = run(mode);
        assert_eq!(code, Some(1), "{mode}: {line}");
        assert_eq!(line["status"], "failed");
        assert_eq!(line["error"]["kind"], kind, "{line}");
        assert!(
            stderr.contains("1 invoice checked (1 skipped): 0 findings, 1 failure;"),
            "{stderr}"
        );
    }
    let (_, line, _) = run("loop");
    assert_eq!(line["fuel"], line["fuel_limit"], "a fuel trap used it all");
    // The history grant reaches the rule: the tenant file's 40 vendors.
    let (code, line, _) = run("history");
    assert_eq!(code, Some(0));
    assert_eq!(line["findings"][0]["message"], "40 vendors");
    let (code, line, _) = run("noop");
    assert_eq!((code, &line["status"]), (Some(0), &Value::from("checked")));
}

#[test]
fn bad_usage_is_refused_clearly_with_exit_code_2() {
    let po = components().join("po_required.wasm");
    let invoice = samples().join("00006-de-invoice.pdf");
    let dir = tempfile::tempdir().unwrap();
    let check = |args: &[&std::ffi::OsStr], needles: &[&str]| {
        let out = papyr().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        for n in needles {
            assert!(err.contains(n), "{args:?}: `{n}` not in {err}");
        }
        out
    };
    let os = |s: &'static str| -> &'static std::ffi::OsStr { s.as_ref() };

    // Missing document, missing component.
    let missing = dir.path().join("nope.pdf");
    check(
        &[
            os("plugin"),
            os("test"),
            po.as_os_str(),
            missing.as_os_str(),
        ],
        &["cannot read", "nope.pdf"],
    );
    let missing_wasm = dir.path().join("nope.wasm");
    check(
        &[
            os("plugin"),
            os("test"),
            missing_wasm.as_os_str(),
            invoice.as_os_str(),
        ],
        &["cannot read", "nope.wasm"],
    );
    // No documents at all is a clap usage error.
    check(&[os("plugin"), os("test"), po.as_os_str()], &["FILE|DIR"]);
    // Not a component.
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, b"not wasm").unwrap();
    check(
        &[
            os("plugin"),
            os("test"),
            junk.as_os_str(),
            invoice.as_os_str(),
        ],
        &["junk.wasm: refused", "magic bytes"],
    );
    // Refused: imports the history without the grant; JSON mode reports it too.
    let hostile = components().join("hostile.wasm");
    let out = check(
        &[
            os("plugin"),
            os("test"),
            os("--json"),
            hostile.as_os_str(),
            invoice.as_os_str(),
        ],
        &[
            "hostile.wasm: refused",
            "papyr:pipeline/history@0.1.0",
            "--grant-history",
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["accepted"], false);
    assert!(
        v["problems"][0]
            .as_str()
            .unwrap()
            .contains("has not granted")
    );
    // Another world.
    let classify = components().join("classify.wasm");
    check(
        &[
            os("plugin"),
            os("test"),
            classify.as_os_str(),
            invoice.as_os_str(),
        ],
        &["implements the classifier world", "fraud-rule components"],
    );
    // A configuration value without `=`.
    check(
        &[
            os("plugin"),
            os("test"),
            po.as_os_str(),
            invoice.as_os_str(),
            os("--config"),
            os("min_amount"),
        ],
        &["invalid --config `min_amount`: expected KEY=VALUE"],
    );

    // `plugin new`: bad names, an existing folder, no SDK there.
    for bad in ["Big", "big_rule", "x-", "a--b", "9lives", "fraud"] {
        check(
            &[
                os("plugin"),
                os("new"),
                os(bad),
                os("--dir"),
                dir.path().as_os_str(),
            ],
            &["invalid rule name"],
        );
    }
    let existing = dir.path().join("taken");
    std::fs::create_dir(&existing).unwrap();
    std::fs::write(existing.join("keep.txt"), b"mine").unwrap();
    check(
        &[
            os("plugin"),
            os("new"),
            os("taken"),
            os("--dir"),
            dir.path().as_os_str(),
        ],
        &["already exists; refusing to overwrite it"],
    );
    assert_eq!(std::fs::read(existing.join("keep.txt")).unwrap(), b"mine");
    assert!(!existing.join("Cargo.toml").exists());
    check(
        &[
            os("plugin"),
            os("new"),
            os("fine"),
            os("--dir"),
            dir.path().as_os_str(),
            os("--sdk"),
            dir.path().as_os_str(),
        ],
        &["is not the Papyr SDK", "--sdk"],
    );
    assert!(
        !dir.path().join("fine").exists(),
        "nothing written on error"
    );
}
