//! Reliability under failure, with real processes and real services. These tests
//! kill processes and stop PostgreSQL, so they run on their own, one at a time:
//! `cargo xtask test` runs them after the rest (`--run-ignored only`, one thread).
mod common;

use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "kills processes; run alone (cargo xtask test does)"]
async fn sigkill_during_stages_loses_and_duplicates_nothing() {
    let root = tempfile::tempdir().unwrap();
    let setup = Setup::new(root.path(), None, None);
    let hashes = feed(&setup, 41, 520, papyr_testgen::Preset::Full);
    let db = setup.db_after_start().await;
    let started = Instant::now();
    let mut kills = 0;
    loop {
        let svc = setup.start();
        // Let it work for a moment, then kill it without warning, mid-stage.
        tokio::time::sleep(Duration::from_millis(700 + (kills % 5) * 150)).await;
        svc.kill9();
        kills += 1;
        let counts = db.status_counts().await.unwrap();
        let finals: i64 = counts
            .iter()
            .filter(|(s, _)| FINAL.contains(&s.as_str()))
            .map(|(_, n)| n)
            .sum();
        if kills >= 8 || finals as usize == hashes.len() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "too slow: {counts:?}"
        );
    }
    assert!(
        kills >= 5,
        "only {kills} kills: the batch finished too fast to test anything"
    );
    let _svc = setup.start();
    wait_done(&db, hashes.len(), Duration::from_secs(600)).await;
    assert_exactly_once(&db, hashes.len()).await;
    eprintln!(
        "{} documents, {kills} SIGKILLs, {:?}",
        hashes.len(),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "three processes on one PostgreSQL; run alone (cargo xtask test does)"]
async fn three_processes_share_one_postgres_queue() {
    let root = tempfile::tempdir().unwrap();
    let setup = Setup::new(root.path(), Some(fresh_pg("three").await), None);
    let hashes = feed(&setup, 42, 300, papyr_testgen::Preset::Full);
    let services: Vec<_> = (0..3).map(|_| setup.start()).collect();
    let db = setup.db().await;
    wait_done(&db, hashes.len(), Duration::from_secs(600)).await;
    assert_exactly_once(&db, hashes.len()).await;
    let processes: std::collections::BTreeSet<String> = db
        .stage_workers()
        .await
        .unwrap()
        .iter()
        .map(|w| {
            w.rsplit_once("-w")
                .map_or(w.clone(), |(p, _)| p.to_string())
        })
        .collect();
    assert_eq!(
        processes.len(),
        3,
        "the work is shared by all three: {processes:?}"
    );
    drop(services);
}

fn pg_cluster(action: &str) {
    let version = std::fs::read_dir("/etc/postgresql")
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .file_name();
    let status = Command::new("pg_ctlcluster")
        .arg("--skip-systemctl-redirect")
        .arg(version)
        .arg("main")
        .arg(action)
        .status()
        .expect("pg_ctlcluster");
    assert!(status.success(), "pg_ctlcluster {action}");
}

/// Restarts PostgreSQL even if the test fails halfway.
struct PgGuard;

impl Drop for PgGuard {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg("-c")
            .arg("pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
            .status();
    }
}

async fn wait_ready(svc: &Service, want: u16, within: Duration) {
    let t = Instant::now();
    loop {
        if svc.get("/readyz").is_some_and(|(s, _)| s == want) {
            return;
        }
        assert!(
            t.elapsed() < within,
            "/readyz did not become {want} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "stops PostgreSQL; run alone (cargo xtask test does)"]
async fn database_outage_is_survived() {
    let root = tempfile::tempdir().unwrap();
    let setup = Setup::new(root.path(), Some(fresh_pg("outage").await), None);
    let svc = setup.start();
    let hashes = feed(&setup, 43, 150, papyr_testgen::Preset::Full);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let _guard = PgGuard;
    pg_cluster("stop");
    wait_ready(&svc, 503, Duration::from_secs(30)).await;
    let (_, body) = svc.get("/readyz").unwrap();
    assert!(body.contains("database"), "{body}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    pg_cluster("start");
    wait_ready(&svc, 200, Duration::from_secs(60)).await;
    let db = setup.db().await;
    wait_done(&db, hashes.len(), Duration::from_secs(600)).await;
    assert_exactly_once(&db, hashes.len()).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "pauses the storage emulator; run alone (cargo xtask test does)"]
async fn storage_outage_is_survived() {
    let az = Azurite::start();
    let root = tempfile::tempdir().unwrap();
    let mut setup = Setup::new(root.path(), None, Some(az.storage_url("papyr")));
    setup.azure_key = Some(AZURITE_KEY.into());
    let svc = setup.start();
    let hashes = feed(&setup, 44, 120, papyr_testgen::Preset::Full);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    az.pause();
    wait_ready(&svc, 503, Duration::from_secs(30)).await;
    let (_, body) = svc.get("/readyz").unwrap();
    assert!(body.contains("storage"), "{body}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    az.resume();
    wait_ready(&svc, 200, Duration::from_secs(60)).await;
    let db = setup.db().await;
    wait_done(&db, hashes.len(), Duration::from_secs(600)).await;
    assert_exactly_once(&db, hashes.len()).await;
}
