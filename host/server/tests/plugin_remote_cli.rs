//! `papyr plugin upload|settings|backtest|shadow|activate|rollback|disable|list|show|stats`
//! against a real `papyr serve`: the commands a plugin author runs, their output and
//! exit codes, with an API key (OIDC-free) and with bad input.
mod common;
#[path = "api/helpers.rs"]
mod helpers;

use helpers::*;
use std::process::Command;
use std::time::Duration;

fn component(name: &str) -> std::path::PathBuf {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../plugins/target/wasm32-wasip2/release")
        .join(format!("{name}.wasm"));
    assert!(p.exists(), "{} (run `cargo xtask plugins`)", p.display());
    p
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn papyr(api: &Api, token: &str, args: &[&str]) -> Out {
    let o = Command::new(env!("CARGO_BIN_EXE_papyr"))
        .args(["plugin"])
        .args(args)
        .env("PAPYR_SERVER", &api.base)
        .env("PAPYR_TOKEN", token)
        .output()
        .expect("run papyr");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

fn ok(o: Out) -> String {
    assert_eq!(o.code, 0, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    o.stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lifecycle_from_the_command_line() {
    let api = spawn(Backend::Sqlite, "plugin_cli", &[]).await;
    let (tenant, admin) = api.api_key("acme", &["admin"]).await;
    let (_, clerk) = api.api_key("acme", &["clerk"]).await;
    // History to back-test against: invoices of this tenant, processed.
    let mut ids = Vec::new();
    for name in [
        "00007-en-invoice.pdf",
        "00010-en-invoice.pdf",
        "00002-es-invoice.pdf",
    ] {
        let a = api.upload(&[(name, &sample(name))], Some(&admin)).await;
        assert_eq!(a.status, 201, "{}", String::from_utf8_lossy(&a.body));
        ids.push(a.json()["files"][0]["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        api.wait_final(&tenant, id, Duration::from_secs(60)).await;
    }
    let po = component("po_required");
    let po = po.to_str().unwrap();

    let out = ok(papyr(
        &api,
        &admin,
        &[
            "upload",
            "po",
            po,
            "--version",
            "1.0.0",
            "--description",
            "PO from 1000",
        ],
    ));
    assert!(out.starts_with("uploaded po 1.0.0: pv_"), "{out}");
    assert!(out.contains("rules: tenant.po-required"), "{out}");
    let again = ok(papyr(
        &api,
        &admin,
        &["upload", "po", po, "--version", "1.0.9"],
    ));
    assert!(again.starts_with("already uploaded po 1.0.0"), "{again}");

    // Settings from a file; a limit above the server's maximum is refused, naming it.
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    std::fs::write(
        &good,
        r#"{"config":{"min_amount":"100.00"},"failure_policy":"manual_review"}"#,
    )
    .unwrap();
    let out = ok(papyr(
        &api,
        &admin,
        &["settings", "po", good.to_str().unwrap()],
    ));
    assert!(out.contains("settings of po stored"), "{out}");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"limits":{"deadline_ms":999999,"memory_mib":64,"fuel_base":1,"fuel_per_line":1,"fuel_ceiling":2}}"#).unwrap();
    let o = papyr(&api, &admin, &["settings", "po", bad.to_str().unwrap()]);
    assert_ne!(o.code, 0);
    assert!(
        o.stderr.contains("422") && o.stderr.contains("limits.deadline_ms = 999999"),
        "{}",
        o.stderr
    );

    // Back-test: every processed invoice above 100 without a PO number gains the finding.
    let out = ok(papyr(
        &api,
        &admin,
        &["backtest", "po", "1.0.0", "--last", "10"],
    ));
    assert!(
        out.contains(
            "candidate 1.0.0 of po (replaces nothing (a new plugin)): 3 invoices replayed"
        ),
        "{out}"
    );
    assert!(out.contains("+ tenant.po-required (medium, 40)"), "{out}");
    let json = ok(papyr(
        &api,
        &admin,
        &["backtest", "po", "1.0.0", "--last", "10", "--json"],
    ));
    let bt: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(bt["status"], "done");
    assert_eq!(bt["report"]["evaluated"], 3);

    // Activate, list, show; roll back with nothing before is refused with the reason.
    let out = ok(papyr(&api, &admin, &["activate", "po", "1.0.0"]));
    assert!(out.starts_with("po ") && out.contains("active"), "{out}");
    let list = ok(papyr(&api, &admin, &["list"]));
    assert!(
        list.lines()
            .any(|l| l.starts_with("fraud ") && l.contains("(built-in)")),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with("po ") && l.contains("active    active pv_")),
        "{list}"
    );
    let o = papyr(&api, &admin, &["rollback", "po"]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.contains("no version active before"),
        "{}",
        o.stderr
    );
    let show = ok(papyr(&api, &admin, &["show", "po"]));
    for action in ["uploaded", "configured", "backtest-started", "activated"] {
        assert!(show.contains(action), "{action}: {show}");
    }

    // A new invoice runs the rule; stats show the call.
    let a = api
        .upload(
            &[("again.pdf", &sample("00008-de-invoice.pdf"))],
            Some(&admin),
        )
        .await;
    let id = a.json()["files"][0]["id"].as_str().unwrap().to_string();
    api.wait_final(&tenant, &id, Duration::from_secs(60)).await;
    let stats = ok(papyr(&api, &admin, &["stats", "po", "--json"]));
    let stats: serde_json::Value = serde_json::from_str(stats.trim()).unwrap();
    assert_eq!(stats[0]["version"], "1.0.0");
    assert!(stats[0]["calls"].as_u64().unwrap() >= 1, "{stats}");

    // Disable, then the shadow report of a version that never shadowed is empty.
    ok(papyr(&api, &admin, &["disable", "po"]));
    let out = ok(papyr(&api, &admin, &["shadow", "po", "--report", "1.0.0"]));
    assert!(out.contains(": 0 invoices, 0 disagreements"), "{out}");

    // A clerk may not; a wrong server and a missing file are clear errors.
    let o = papyr(&api, &clerk, &["list"]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("403"), "{}", o.stderr);
    let o = Command::new(env!("CARGO_BIN_EXE_papyr"))
        .args(["plugin", "list", "--server", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("cannot reach the Papyr server at http://127.0.0.1:9")
    );
    let o = papyr(
        &api,
        &admin,
        &["upload", "po", "/nonexistent.wasm", "--version", "2"],
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("cannot read `/nonexistent.wasm`"),
        "{}",
        o.stderr
    );
    let parse = component("parse");
    let o = papyr(
        &api,
        &admin,
        &["upload", "po", parse.to_str().unwrap(), "--version", "2"],
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.contains("implements the parser world"),
        "{}",
        o.stderr
    );
}
