//! `papyr serve` end to end: the same suite on SQLite and PostgreSQL, on a local
//! folder and on Azure Blob (Azurite); bad configuration; graceful shutdown.
mod common;

use common::*;
use papyr_blob::BlobStore;
use std::time::Duration;

async fn end_to_end(db_url: Option<String>, azurite: Option<&Azurite>) {
    let root = tempfile::tempdir().unwrap();
    let mut setup = Setup::new(root.path(), db_url, azurite.map(|a| a.storage_url("papyr")));
    if azurite.is_some() {
        setup.azure_key = Some(AZURITE_KEY.into());
    }
    let _svc = setup.start();
    let hashes = feed(&setup, 31, 40, papyr_testgen::Preset::Full);
    let db = setup.db().await;
    wait_done(&db, hashes.len(), Duration::from_secs(180)).await;
    assert_exactly_once(&db, hashes.len()).await;
    // Reports were written to object storage for every checked invoice.
    let store = match azurite {
        Some(a) => BlobStore::from_url(&format!(
            "{}&key={}",
            a.storage_url("papyr"),
            urlencode(AZURITE_KEY)
        ))
        .unwrap(),
        None => BlobStore::from_url(&setup.storage_url).unwrap(),
    };
    let t = db.ensure_tenant("demo", "demo", "{}").await.unwrap();
    let docs = db.documents(&t, 1000).await.unwrap();
    let mut reports = 0;
    for d in &docs {
        assert!(
            store.exists(&d.blob_key).await.unwrap(),
            "original of {} missing",
            d.filename
        );
        if d.decision.as_deref().is_some_and(|x| x != "not-an-invoice") && d.status != "failed" {
            let key = format!("reports/{}.pdf", d.id.to_lowercase().replace('_', "-"));
            let pdf = store
                .get(&key)
                .await
                .unwrap_or_else(|e| panic!("report of {}: {e}", d.filename));
            assert!(pdf.starts_with(b"%PDF-"));
            reports += 1;
        }
    }
    assert!(reports > 10, "{reports} reports");
    assert_eq!(docs.len(), hashes.len());
    // A re-sent file is recognised and linked, not processed again.
    let first = docs
        .iter()
        .find(|d| d.media_type == "application/pdf")
        .unwrap();
    let bytes = store.get(&first.blob_key).await.unwrap();
    std::fs::write(setup.watch.join("resent-copy.pdf"), bytes).unwrap();
    let t0 = std::time::Instant::now();
    while setup.watch.join("resent-copy.pdf").exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the re-sent file was not taken in"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(db.documents(&t, 1000).await.unwrap().len(), docs.len());
    let trail = db.audit_trail(&t, &first.id).await.unwrap();
    assert!(
        trail
            .iter()
            .any(|a| a.action == "duplicate-received" && a.detail.contains("resent-copy.pdf")),
        "{trail:?}"
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_and_local_folder() {
    end_to_end(None, None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_and_local_folder() {
    end_to_end(Some(fresh_pg("e2e_local").await), None).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_and_azurite() {
    let az = Azurite::start();
    end_to_end(None, Some(&az)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_and_azurite() {
    let az = Azurite::start();
    end_to_end(Some(fresh_pg("e2e_azure").await), Some(&az)).await;
}

fn start_error(setup: &Setup, extra: &[(&str, &str)]) -> String {
    let mut cmd = setup.command(free_port());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "must refuse to start");
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one clear line, got:\n{stderr}");
    lines[0].to_string()
}

#[test]
fn bad_configuration_fails_at_start_with_one_clear_line() {
    let root = tempfile::tempdir().unwrap();
    let setup = Setup::new(root.path(), None, None);
    let e = start_error(
        &setup,
        &[("PAPYR_DATABASE__URL", "postgres://papyr@127.0.0.1:1/papyr")],
    );
    assert!(
        e.contains("cannot connect to the database at postgres://papyr@127.0.0.1:1/papyr")
            && e.contains("PAPYR_DATABASE__URL"),
        "{e}"
    );
    // A data folder under a regular file cannot be created, even by root.
    let file = root.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let e = start_error(
        &setup,
        &[("PAPYR_DATA__DIR", file.join("data").to_str().unwrap())],
    );
    assert!(
        e.contains("is not writable") && e.contains("PAPYR_DATA__DIR"),
        "{e}"
    );
    let e = start_error(
        &setup,
        &[(
            "PAPYR_STORAGE__URL",
            "azure://devstoreaccount1/papyr?endpoint=http://127.0.0.1:1/devstoreaccount1",
        )],
    );
    assert!(e.contains("PAPYR_STORAGE__AZURE_KEY"), "{e}");
    let e = start_error(&setup, &[("PAPYR_WORKERS__COUNT", "many")]);
    assert!(
        e.contains("workers.count") && e.contains("PAPYR_WORKERS__COUNT"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_and_metrics() {
    let root = tempfile::tempdir().unwrap();
    let setup = Setup::new(root.path(), None, None);
    let svc = setup.start();
    assert_eq!(svc.get("/readyz").unwrap().0, 200);
    let hashes = feed(&setup, 32, 12, papyr_testgen::Preset::Clean);
    let db = setup.db().await;
    wait_done(&db, hashes.len(), Duration::from_secs(120)).await;
    let (status, body) = svc.get("/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(
        body.contains("papyr_queue_depth{stage=\"extract\"} 0"),
        "{body}"
    );
    assert!(
        body.contains("papyr_stage_duration_seconds_count{stage=\"extract\"}"),
        "{body}"
    );
    assert!(body.contains("papyr_ready 1"));
    assert!(body.contains("papyr_documents_completed_total"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_or_releases_work_and_nothing_is_lost() {
    let root = tempfile::tempdir().unwrap();
    let setup = Setup::new(root.path(), None, None);
    let svc = setup.start();
    let hashes = feed(&setup, 33, 60, papyr_testgen::Preset::Full);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let status = svc.sigterm();
    assert!(status.success(), "graceful exit: {status:?}");
    let _svc = setup.start();
    let db = setup.db().await;
    wait_done(&db, hashes.len(), Duration::from_secs(180)).await;
    assert_exactly_once(&db, hashes.len()).await;
}
