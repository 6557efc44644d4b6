//! One story, run against both backends: SQLite (a temp file) and PostgreSQL (a fresh
//! database on the local server; `PAPYR_TEST_POSTGRES_URL` overrides the server).
use papyr_store::jobs::{Failure, StageOutcome};
use papyr_store::{Db, Intake, NewDocument, StoreError};
use std::collections::HashMap;
use std::time::Duration;

mod common;
use common::{postgres, sqlite};

fn doc(n: usize, message_id: Option<&str>) -> NewDocument {
    NewDocument {
        filename: format!("inv-{n}.pdf"),
        sha256: format!("{n:064x}"),
        size: 100,
        media_type: "application/pdf".into(),
        blob_key: format!("documents/{n:064x}"),
        message_id: message_id.map(String::from),
        origin_json: "{}".into(),
        channel: "test".into(),
        uploaded_by: None,
    }
}

fn outcome(next: Option<&str>, status: &str) -> StageOutcome {
    StageOutcome {
        result_json: "{}".into(),
        plugins_json: "{}".into(),
        status: Some(status.into()),
        next_stage: next.map(String::from),
        audit: vec![("plugin:abc".into(), status.into(), String::new())],
        ..StageOutcome::default()
    }
}

async fn story(db: Db) {
    let t = db.ensure_tenant("acme", "ACME", "{}").await.unwrap();
    assert_eq!(
        db.ensure_tenant("acme", "ACME again", "{}").await.unwrap(),
        t,
        "idempotent"
    );
    let other = db.ensure_tenant("other", "Other", "{}").await.unwrap();

    // Intake is idempotent on the file hash and on the message id.
    let Intake::Created { document_id: d1 } =
        db.intake(&t, &doc(1, Some("<m1@x>")), 3).await.unwrap()
    else {
        panic!()
    };
    assert_eq!(
        db.intake(&t, &doc(1, None), 3).await.unwrap(),
        Intake::Duplicate {
            document_id: d1.clone(),
            reason: "same-file"
        }
    );
    let mut same_msg = doc(2, Some("<m1@x>"));
    same_msg.filename = "forwarded.pdf".into();
    assert_eq!(
        db.intake(&t, &same_msg, 3).await.unwrap(),
        Intake::Duplicate {
            document_id: d1.clone(),
            reason: "same-message"
        }
    );
    // The same file for another tenant is that tenant's own document.
    assert!(matches!(
        db.intake(&other, &doc(1, None), 3).await.unwrap(),
        Intake::Created { .. }
    ));
    // Tenant isolation: tenant A cannot read tenant B's document by id.
    assert!(db.document(&other, &d1).await.unwrap().is_none());

    // Claim → complete with the next job → claim → complete.
    let j = db
        .claim("w1", Duration::from_secs(30))
        .await
        .unwrap()
        .expect("a job");
    assert_eq!((j.stage.as_str(), j.attempt), ("extract", 1));
    let j2 = db
        .claim("w2", Duration::from_secs(30))
        .await
        .unwrap()
        .expect("the other tenant's job");
    assert_ne!(j.id, j2.id, "a leased job is not handed out twice");
    assert!(
        db.claim("w3", Duration::from_secs(30))
            .await
            .unwrap()
            .is_none()
    );
    db.complete(&j, "w1", &outcome(Some("check"), "extracted"), None)
        .await
        .unwrap();
    assert!(matches!(
        db.complete(&j, "w1", &outcome(Some("check"), "extracted"), None)
            .await,
        Err(StoreError::LeaseLost(_))
    ));
    db.release(&j2, "w2").await.unwrap();

    // A lost lease: w1's lease runs out, w2 takes the job over; w1's late completion
    // writes nothing.
    let mut jobs = Vec::new();
    while let Some(j) = db.claim("w1", Duration::from_millis(200)).await.unwrap() {
        jobs.push(j);
    }
    let check = jobs
        .iter()
        .find(|j| j.document_id == d1)
        .expect("check job of d1")
        .clone();
    assert_eq!(check.stage, "check");
    for j in jobs.iter().filter(|j| j.id != check.id) {
        db.release(j, "w1").await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let taken = claim_for(&db, "w2", &d1).await;
    assert_eq!((taken.id.as_str(), taken.attempt), (check.id.as_str(), 2));
    assert!(matches!(
        db.complete(
            &check,
            "w1",
            &outcome(Some("report"), "pending_approval"),
            None
        )
        .await,
        Err(StoreError::LeaseLost(_))
    ));
    db.complete(
        &taken,
        "w2",
        &outcome(Some("report"), "pending_approval"),
        None,
    )
    .await
    .unwrap();
    let r = claim_for(&db, "w2", &d1).await;
    assert_eq!(r.stage, "report");
    db.complete(&r, "w2", &outcome(None, "pending_approval"), None)
        .await
        .unwrap();
    let d = db.document(&t, &d1).await.unwrap().unwrap();
    assert_eq!(d.status, "pending_approval");
    let trail: Vec<String> = db
        .audit_trail(&t, &d1)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        trail,
        [
            "received",
            "duplicate-received",
            "duplicate-received",
            "extracted",
            "pending_approval",
            "pending_approval"
        ]
    );
    assert!(
        db.stage_result_counts()
            .await
            .unwrap()
            .iter()
            .all(|(_, _, n)| *n == 1)
    );

    // The audit log is append-only.
    assert!(
        db.raw_execute("UPDATE audit_log SET actor = 'x'")
            .await
            .is_err()
    );
    assert!(db.raw_execute("DELETE FROM audit_log").await.is_err());

    // Failure: retried with backoff, then parked as failed with its error.
    let Intake::Created { document_id: d3 } = db.intake(&t, &doc(3, None), 2).await.unwrap() else {
        panic!()
    };
    let mut j = claim_for(&db, "w1", &d3).await;
    assert_eq!(
        db.fail(&j, "w1", "boom", true).await.unwrap(),
        Failure::Retry {
            after: Duration::from_millis(500)
        }
    );
    assert!(
        claim_for_now(&db, "w1", &d3).await.is_none(),
        "not before its backoff"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    j = claim_for(&db, "w1", &d3).await;
    assert_eq!(j.attempt, 2);
    assert_eq!(
        db.fail(&j, "w1", "boom again", true).await.unwrap(),
        Failure::Parked
    );
    let d = db.document(&t, &d3).await.unwrap().unwrap();
    assert_eq!(
        (d.status.as_str(), d.error.as_deref()),
        ("failed", Some("extract: boom again"))
    );
}

/// Claim jobs until the one of `doc` comes up, releasing the others.
async fn claim_for(db: &Db, w: &str, doc: &str) -> papyr_store::Job {
    claim_for_now(db, w, doc)
        .await
        .expect("job for the document")
}

async fn claim_for_now(db: &Db, w: &str, doc: &str) -> Option<papyr_store::Job> {
    let mut others = Vec::new();
    let mut found = None;
    while let Some(j) = db.claim(w, Duration::from_secs(30)).await.unwrap() {
        if j.document_id == doc {
            found = Some(j);
            break;
        }
        others.push(j);
    }
    for j in others {
        db.release(&j, w).await.unwrap();
    }
    found
}

/// Many workers on one queue: every stage of every document completes exactly once,
/// and `check` jobs of one tenant never overlap.
async fn concurrent(db: Db) {
    let t = db.ensure_tenant("busy", "Busy", "{}").await.unwrap();
    for n in 100..300 {
        db.intake(&t, &doc(n, None), 5).await.unwrap();
    }
    let in_check = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..6 {
        let db = db.clone();
        let in_check = in_check.clone();
        tasks.push(tokio::spawn(async move {
            let me = format!("w{w}");
            let mut idle = 0;
            while idle < 20 {
                let Some(mut j) = db.claim(&me, Duration::from_secs(30)).await.unwrap() else {
                    idle += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                idle = 0;
                // Odd workers chain into the next stage; even ones claim each job.
                let chain = (w % 2 == 1).then_some(Duration::from_secs(30));
                loop {
                    let next = match j.stage.as_str() {
                        "extract" => Some("check"),
                        "check" => Some("report"),
                        _ => None,
                    };
                    if j.stage == "check" {
                        assert_eq!(
                            in_check.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
                            0,
                            "two checks of one tenant at once"
                        );
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        in_check.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    let status = if next.is_none() {
                        "pending_approval"
                    } else {
                        "extracted"
                    };
                    match db
                        .complete(&j, &me, &outcome(next, status), chain)
                        .await
                        .unwrap()
                    {
                        papyr_store::Completion::Continue(n) => j = n,
                        papyr_store::Completion::Done => break,
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let counts: HashMap<(String, String), i64> = db
        .stage_result_counts()
        .await
        .unwrap()
        .into_iter()
        .map(|(d, s, n)| ((d, s), n))
        .collect();
    assert_eq!(counts.len(), 200 * 3);
    assert!(counts.values().all(|n| *n == 1));
    assert_eq!(db.pending_jobs().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn story_sqlite() {
    let (db, _dir) = sqlite().await;
    story(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn story_postgres() {
    story(postgres("story").await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sqlite() {
    let (db, _dir) = sqlite().await;
    concurrent(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_postgres() {
    concurrent(postgres("concurrent").await).await;
}

#[tokio::test]
async fn bad_urls_say_what_to_fix() {
    let e = Db::connect("mysql://x", 1).await.err().unwrap().to_string();
    assert!(
        e.contains("use sqlite:///path/to/papyr.db or postgres://"),
        "{e}"
    );
    let e = Db::connect("postgres://nobody:secret@127.0.0.1:1/db", 1)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("cannot connect to the database at postgres://nobody:***@127.0.0.1:1/db"),
        "{e}"
    );
    assert!(!e.contains("secret"));
}
