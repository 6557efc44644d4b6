//! Tenant plugins in the store, on SQLite and PostgreSQL: versions (new, same bytes,
//! label taken, wrong world), the pointers (activate, roll back, disable, shadow) with
//! their history and audit entries, the one-statement snapshot the check stage reads,
//! tenant isolation, back-test records and shadow results.
mod common;

use papyr_store::Db;
use papyr_store::StoreError;
use papyr_store::api::access::Actor;
use papyr_store::plugins::{NewPluginVersion, PointerChange, ShadowResult, Uploaded};

fn version(name: &str, label: &str, digest: &str) -> NewPluginVersion {
    NewPluginVersion {
        plugin_name: name.into(),
        label: label.into(),
        description: format!("{name} {label}"),
        digest: digest.into(),
        size: 1000,
        world: "fraud-rule".into(),
        rules: vec![format!("tenant.{name}")],
        imports: vec!["papyr:pipeline/types@0.1.0".into()],
        needs_history: false,
    }
}

const ALICE: Actor<'static> = Actor::User("u_alice");

async fn created(db: &Db, tenant: &str, v: NewPluginVersion) -> String {
    match db
        .add_plugin_version(tenant, &ALICE, &v, "{}")
        .await
        .unwrap()
    {
        Uploaded::Created(row) => row.id,
        other => panic!("expected a new version, got {other:?}"),
    }
}

async fn story(db: Db) {
    let acme = db.ensure_tenant("acme", "Acme", "{}").await.unwrap();
    let globex = db.ensure_tenant("globex", "Globex", "{}").await.unwrap();

    // Upload: new, same bytes again, a label taken by other bytes, another world.
    let v1 = created(&db, &acme, version("po", "1.0.0", "aaa")).await;
    match db
        .add_plugin_version(&acme, &ALICE, &version("po", "1.0.1", "aaa"), "{}")
        .await
        .unwrap()
    {
        Uploaded::Existing(row) => {
            assert_eq!(row.id, v1);
            assert_eq!(row.label, "1.0.0", "the existing version, not a new label");
        }
        other => panic!("same bytes must give the existing version: {other:?}"),
    }
    let e = db
        .add_plugin_version(&acme, &ALICE, &version("po", "1.0.0", "bbb"), "{}")
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Duplicate(_)), "{e}");
    let mut parser = version("po", "9", "ccc");
    parser.world = "parser".into();
    let e = db
        .add_plugin_version(&acme, &ALICE, &parser, "{}")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("fraud-rule plugin"), "{e}");
    for (name, label) in [("fraud", "1"), ("Bad_Name", "1"), ("ok", "bad label")] {
        let e = db
            .add_plugin_version(&acme, &ALICE, &version(name, label, "ddd"), "{}")
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)), "{name} {label}: {e}");
    }
    assert_eq!(db.plugin_versions(&acme, "po").await.unwrap().len(), 1);
    let v2 = created(&db, &acme, version("po", "2.0.0", "bbb")).await;

    // Nothing active yet: inactive, no snapshot entry runs.
    let p = db.plugin(&acme, "po").await.unwrap().unwrap();
    assert_eq!(
        (p.state.as_str(), p.active_version.as_deref()),
        ("inactive", None)
    );

    // Activate v1, then v2 (by label); roll back twice toggles; explicit rollback.
    let p = db
        .change_plugin(
            &acme,
            "po",
            &ALICE,
            &PointerChange::Activate(v1.clone()),
            None,
        )
        .await
        .unwrap();
    assert_eq!(p.active_version.as_deref(), Some(v1.as_str()));
    let e = db
        .change_plugin(&acme, "po", &ALICE, &PointerChange::Rollback(None), None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no version active before"), "{e}");
    let p = db
        .change_plugin(
            &acme,
            "po",
            &ALICE,
            &PointerChange::Activate("2.0.0".into()),
            Some(p.revision),
        )
        .await
        .unwrap();
    assert_eq!(p.active_version.as_deref(), Some(v2.as_str()));
    // A stale revision is a conflict and changes nothing.
    let e = db
        .change_plugin(
            &acme,
            "po",
            &ALICE,
            &PointerChange::Disable,
            Some(p.revision - 1),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { current_version } if current_version == p.revision));
    let p = db
        .change_plugin(&acme, "po", &ALICE, &PointerChange::Rollback(None), None)
        .await
        .unwrap();
    assert_eq!(p.active_version.as_deref(), Some(v1.as_str()), "back to v1");
    let p = db
        .change_plugin(
            &acme,
            "po",
            &ALICE,
            &PointerChange::Rollback(Some("2.0.0".into())),
            None,
        )
        .await
        .unwrap();
    assert_eq!(p.active_version.as_deref(), Some(v2.as_str()));
    let e = db
        .change_plugin(
            &acme,
            "po",
            &ALICE,
            &PointerChange::Activate("7.7.7".into()),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");

    // Shadow v1 beside active v2; the snapshot carries both; the active one cannot shadow.
    let e = db
        .change_plugin(
            &acme,
            "po",
            &ALICE,
            &PointerChange::Shadow(Some(v2.clone())),
            None,
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("is the active one"), "{e}");
    db.change_plugin(
        &acme,
        "po",
        &ALICE,
        &PointerChange::Shadow(Some(v1.clone())),
        None,
    )
    .await
    .unwrap();
    let snap = db.deployed_plugins(&acme).await.unwrap();
    assert_eq!(snap.len(), 1);
    assert_eq!(snap[0].active.as_ref().unwrap().digest, "bbb");
    assert_eq!(snap[0].shadow.as_ref().unwrap().digest, "aaa");
    assert_eq!(
        snap[0].active.as_ref().unwrap().rules,
        vec!["tenant.po".to_string()]
    );
    // Activating the shadowed version ends its shadowing.
    let p = db
        .change_plugin(
            &acme,
            "po",
            &ALICE,
            &PointerChange::Activate(v1.clone()),
            None,
        )
        .await
        .unwrap();
    assert_eq!(p.shadow_version, None);

    // Disable keeps the pointer; the snapshot says disabled.
    let p = db
        .change_plugin(&acme, "po", &ALICE, &PointerChange::Disable, None)
        .await
        .unwrap();
    assert_eq!(
        (p.state.as_str(), p.active_version.as_deref()),
        ("disabled", Some(v1.as_str()))
    );

    // Settings of a plugin and of the built-in `fraud` (row created on first change).
    db.set_plugin_settings(
        &acme,
        "po",
        &ALICE,
        r#"{"config":{"min_amount":"5"}}"#,
        None,
    )
    .await
    .unwrap();
    let f = db
        .set_plugin_settings(
            &acme,
            "fraud",
            &ALICE,
            r#"{"disabled_rules":["math.totals"]}"#,
            None,
        )
        .await
        .unwrap();
    assert!(f.builtin);
    assert_eq!(f.state, "active");
    let e = db
        .change_plugin(&acme, "fraud", &ALICE, &PointerChange::Rollback(None), None)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)));

    // History, newest first, and the audit log.
    let actions: Vec<String> = db
        .plugin_events(&acme, "po")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "configured",
            "disabled",
            "activated",
            "shadow-started",
            "rolled-back",
            "rolled-back",
            "activated",
            "activated",
            "uploaded",
            "uploaded"
        ]
    );
    for (action, n) in [
        ("plugin.activated", 3),
        ("plugin.rolled-back", 2),
        ("plugin.uploaded", 2),
    ] {
        let page = db
            .audit_log(
                &acme,
                &papyr_store::AuditFilter {
                    action: Some(action.into()),
                    ..Default::default()
                },
                None,
                100,
            )
            .await
            .unwrap();
        assert_eq!(page.items.len(), n, "{action}");
        assert!(page.items.iter().all(|e| e.actor == "user:u_alice"));
        assert!(
            page.items[0].detail.contains("\"plugin\":\"po\""),
            "{}",
            page.items[0].detail
        );
    }

    // Isolation: globex sees nothing of acme's, and its own plugin of the same name
    // and bytes is its own.
    assert!(db.plugins(&globex).await.unwrap().is_empty());
    assert!(db.plugin(&globex, "po").await.unwrap().is_none());
    assert!(
        db.plugin_version(&globex, "po", &v1)
            .await
            .unwrap()
            .is_none()
    );
    let e = db
        .change_plugin(
            &globex,
            "po",
            &ALICE,
            &PointerChange::Activate(v1.clone()),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
    let g1 = created(&db, &globex, version("po", "1.0.0", "aaa")).await;
    assert_ne!(g1, v1);
    assert!(
        db.deployed_plugins(&globex).await.unwrap()[0]
            .active
            .is_none()
    );

    // Back-tests: progress, report, a stale one failed, another tenant's invisible.
    let bt = db
        .create_backtest(&acme, "po", &v2, 50, &ALICE)
        .await
        .unwrap();
    db.backtest_progress(&bt.id, 10, 40).await.unwrap();
    let row = db.backtest(&acme, "po", &bt.id).await.unwrap().unwrap();
    assert_eq!(
        (row.status.as_str(), row.done, row.total),
        ("running", 10, 40)
    );
    assert!(db.backtest(&globex, "po", &bt.id).await.unwrap().is_none());
    db.finish_backtest(&bt.id, Ok(&serde_json::json!({"changed_invoices": 3})))
        .await
        .unwrap();
    let row = db.backtest(&acme, "po", &bt.id).await.unwrap().unwrap();
    assert_eq!(row.status, "done");
    assert_eq!(row.report.unwrap()["changed_invoices"], 3);
    let stale = db
        .create_backtest(&acme, "po", &v2, 50, &ALICE)
        .await
        .unwrap();
    assert_eq!(
        db.fail_stale_backtests(papyr_store::now_ms() - 60_000)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        db.fail_stale_backtests(papyr_store::now_ms() + 1)
            .await
            .unwrap(),
        1
    );
    let row = db.backtest(&acme, "po", &stale.id).await.unwrap().unwrap();
    assert_eq!(row.status, "failed");
    assert!(row.error.unwrap().contains("interrupted"));
    assert_eq!(db.backtests(&acme, "po").await.unwrap().len(), 2);

    // Shadow results: recorded once per invoice, summarised.
    let r = |doc: &str, agrees: bool| ShadowResult {
        plugin_name: "po".into(),
        version_id: v2.clone(),
        document_id: doc.into(),
        agrees,
        active_findings: "[]".into(),
        shadow_findings: if agrees {
            "[]"
        } else {
            r#"[{"rule":"tenant.po"}]"#
        }
        .into(),
        error: None,
    };
    db.record_shadow(&acme, &[r("d1", true), r("d2", false), r("d3", true)])
        .await
        .unwrap();
    db.record_shadow(&acme, &[r("d2", true)]).await.unwrap(); // a re-run keeps the first
    let s = db.shadow_summary(&acme, "po", &v2).await.unwrap();
    assert_eq!((s.invoices, s.disagreements, s.failures), (3, 1, 0));
    assert!((s.disagreement_rate - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!(s.latest.len(), 1);
    assert_eq!(s.latest[0]["document_id"], "d2");
    assert_eq!(
        db.shadow_summary(&globex, "po", &v2)
            .await
            .unwrap()
            .invoices,
        0
    );
}

#[tokio::test]
async fn plugins_sqlite() {
    let (db, _dir) = common::sqlite().await;
    story(db).await;
}

#[tokio::test]
async fn plugins_postgres() {
    story(common::postgres("plugins").await).await;
}
