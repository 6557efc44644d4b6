//! Hostile plugins and bad components: each is stopped with a clear error, and the
//! next good call on the same engine succeeds.
mod common;

use common::sample_input;
use papyr_runtime::bindings::types::*;
use papyr_runtime::host::Capabilities;
use papyr_runtime::{CallError, EngineOptions, Grants, Limits, MemoryHistory, Runtime, TrapKind};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn component(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../plugins/target/wasm32-wasip2/release/{name}.wasm",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{path}: {e} (build the plugin workspace first: `cargo xtask plugins`)")
    })
}

fn runtime() -> Runtime {
    Runtime::new(EngineOptions::default()).expect("engine")
}

fn caps(mode: &str) -> Capabilities {
    Capabilities {
        config: vec![("mode".into(), mode.into())],
        history: Some(Arc::new(MemoryHistory::default())),
        clock_unix_secs: 1_700_000_000,
    }
}

fn hostile(rt: &Runtime) -> papyr_runtime::Plugin {
    rt.load("hostile", &component("hostile"), Grants { history: true })
        .expect("hostile loads with history granted")
}

/// After every failure, a good call on the same engine must still work.
fn assert_healthy(rt: &Runtime) {
    let p = hostile(rt);
    let out = rt
        .check(&p, caps("noop"), &Limits::rule(), &sample_input())
        .expect("a good call after a failure");
    assert!(out.value.is_empty());
}

#[test]
fn endless_loop_is_stopped_at_its_deadline() {
    let rt = runtime();
    let p = hostile(&rt);
    let limits = Limits {
        deadline: Duration::from_millis(100),
        fuel: u64::MAX / 2,
        ..Limits::rule()
    };
    let started = Instant::now();
    let err = rt
        .check(&p, caps("loop"), &limits, &sample_input())
        .unwrap_err();
    assert!(
        matches!(
            err,
            CallError::Trap {
                kind: TrapKind::Deadline,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopped late: {:?}",
        started.elapsed()
    );
    assert_healthy(&rt);
}

#[test]
fn sleeping_cannot_outlast_the_deadline() {
    let rt = runtime();
    let p = hostile(&rt);
    let limits = Limits {
        deadline: Duration::from_millis(200),
        ..Limits::rule()
    };
    let started = Instant::now();
    // Timers fire at once (the plugin's clock is fixed), so a 30 s sleep returns
    // immediately instead of holding the worker.
    let out = rt.check(&p, caps("sleep"), &limits, &sample_input());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "slept {:?}",
        started.elapsed()
    );
    assert!(out.is_ok(), "{out:?}");
}

#[test]
fn endless_loop_is_stopped_by_fuel_deterministically() {
    let rt = runtime();
    let p = hostile(&rt);
    let limits = Limits {
        deadline: Duration::from_secs(30),
        fuel: 5_000_000,
        ..Limits::rule()
    };
    let err = rt
        .check(&p, caps("loop"), &limits, &sample_input())
        .unwrap_err();
    assert!(
        matches!(
            err,
            CallError::Trap {
                kind: TrapKind::Fuel,
                ..
            }
        ),
        "{err:?}"
    );
    assert_healthy(&rt);
}

#[test]
fn unbounded_memory_growth_traps_at_the_cap() {
    let rt = runtime();
    let p = hostile(&rt);
    let limits = Limits {
        memory_bytes: 32 << 20,
        ..Limits::rule()
    };
    let err = rt
        .check(&p, caps("grow"), &limits, &sample_input())
        .unwrap_err();
    assert!(
        matches!(
            err,
            CallError::Trap {
                kind: TrapKind::Memory,
                ..
            }
        ),
        "{err:?}"
    );
    assert_healthy(&rt);
}

#[test]
fn panic_is_a_trap_with_the_panic_message() {
    let rt = runtime();
    let p = hostile(&rt);
    let err = rt
        .check(&p, caps("panic"), &Limits::rule(), &sample_input())
        .unwrap_err();
    match &err {
        CallError::Trap {
            kind: TrapKind::Panic,
            message,
        } => assert!(message.contains("panics on purpose"), "{message}"),
        other => panic!("expected a panic trap, got {other:?}"),
    }
    assert_healthy(&rt);
}

#[test]
fn oversized_output_is_refused() {
    let rt = runtime();
    let p = hostile(&rt);
    let limits = Limits {
        memory_bytes: 256 << 20,
        deadline: Duration::from_secs(20),
        fuel: u64::MAX / 2,
        ..Limits::rule()
    };
    let err = rt
        .check(&p, caps("big-output"), &limits, &sample_input())
        .unwrap_err();
    assert!(matches!(err, CallError::OutputTooLarge { .. }), "{err:?}");
    assert_healthy(&rt);
}

#[test]
fn guest_errors_are_values_not_traps() {
    let rt = runtime();
    let p = hostile(&rt);
    let err = rt
        .check(&p, caps("stage-error"), &Limits::rule(), &sample_input())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin returned an error: invalid input: hostile plugin refuses this invoice"
    );
}

#[test]
fn ungranted_capability_is_refused_at_load() {
    let rt = runtime();
    let err = rt
        .load("hostile", &component("hostile"), Grants { history: false })
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("papyr:pipeline/history@0.1.0") && msg.contains("not granted"),
        "{msg}"
    );
    // A rule that does not import history loads without the grant.
    rt.load("po-required", &component("po_required"), Grants::default())
        .expect("po-required needs no grant");
    assert_healthy(&rt);
}

#[test]
fn history_is_reachable_when_granted() {
    let rt = runtime();
    let p = hostile(&rt);
    let out = rt
        .check(&p, caps("history"), &Limits::rule(), &sample_input())
        .unwrap();
    assert_eq!(out.value[0].message, "0 vendors");
}

#[test]
fn plugins_get_no_clock_randomness_env_or_filesystem() {
    let rt = runtime();
    let p = hostile(&rt);
    let a = rt
        .check(&p, caps("clock"), &Limits::rule(), &sample_input())
        .unwrap();
    let b = rt
        .check(&p, caps("clock"), &Limits::rule(), &sample_input())
        .unwrap();
    let msg = &a.value[0].message;
    assert!(msg.starts_with("now=1700000000 "), "{msg}");
    assert!(msg.ends_with(" env=0 fs=false"), "{msg}");
    assert_eq!(
        a.value[0].message, b.value[0].message,
        "randomness must be deterministic"
    );
}

#[test]
fn wrong_world_is_refused_by_the_call() {
    let rt = runtime();
    let p = rt
        .load("po-required", &component("po_required"), Grants::default())
        .unwrap();
    let doc = Document {
        bytes: b"%PDF-1.4".to_vec(),
        media_type: "application/pdf".into(),
        filename: "x.pdf".into(),
        sha256: "00".into(),
        origin: sample_input().document.origin,
    };
    let err = rt
        .parse(&p, caps("noop"), &Limits::parse(), &doc)
        .unwrap_err();
    assert!(
        matches!(
            err,
            CallError::WrongWorld {
                expected: "parser",
                found: "fraud-rule"
            }
        ),
        "{err:?}"
    );
}

#[test]
fn files_that_are_not_components_are_refused_clearly() {
    let rt = runtime();
    let err = rt
        .load("junk", b"%PDF-1.7 not wasm", Grants::default())
        .unwrap_err();
    assert!(err.to_string().contains("magic bytes"), "{err}");
    // A core module (not a component).
    let core = b"\0asm\x01\0\0\0";
    let err = rt.load("core", core, Grants::default()).unwrap_err();
    assert!(err.to_string().contains("core WebAssembly module"), "{err}");
    // A truncated component.
    let bytes = component("po_required");
    let err = rt
        .load("truncated", &bytes[..bytes.len() / 2], Grants::default())
        .unwrap_err();
    assert!(err.to_string().contains("failed to compile"), "{err}");
    assert_healthy(&rt);
}

#[test]
fn compiled_components_are_cached_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let opts = EngineOptions {
        cache_dir: Some(dir.path().to_path_buf()),
        ..EngineOptions::default()
    };
    let bytes = component("po_required");
    let rt = Runtime::new(opts.clone()).unwrap();
    let p = rt.load("po-required", &bytes, Grants::default()).unwrap();
    let cache = rt.cache_dir().unwrap().join(format!("{}.cwasm", p.digest));
    assert!(cache.exists(), "no cache file at {}", cache.display());
    drop(rt);
    // A second runtime loads the artifact instead of compiling: make the cached file
    // the only way to succeed by checking its mtime is untouched.
    let before = std::fs::metadata(&cache).unwrap().modified().unwrap();
    let rt2 = Runtime::new(opts).unwrap();
    let p2 = rt2.load("po-required", &bytes, Grants::default()).unwrap();
    assert_eq!(p2.digest, p.digest);
    assert_eq!(
        std::fs::metadata(&cache).unwrap().modified().unwrap(),
        before
    );
    let out = rt2
        .check(
            &p2,
            Capabilities::default(),
            &Limits::rule(),
            &sample_input(),
        )
        .unwrap();
    assert_eq!(
        out.value.len(),
        1,
        "2500.00 EUR without a PO must be flagged"
    );
}

#[test]
fn pool_reservation_failure_falls_back_to_on_demand() {
    // Ask for an absurd pool: the address-space reservation fails and the runtime
    // falls back instead of refusing to start.
    let opts = EngineOptions {
        pool_instances: 1 << 22,
        pool_max_memory: 4 << 30,
        ..EngineOptions::default()
    };
    let rt = Runtime::new(opts).expect("falls back");
    assert!(!rt.pooling());
    assert_healthy(&rt);
    assert!(runtime().pooling(), "the default pool fits this machine");
}
