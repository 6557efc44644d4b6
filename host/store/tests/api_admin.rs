//! The REST API's admin side — vendors, four-eyes bank accounts, users, API keys,
//! tenants and settings — each story run against SQLite (a temp file) and PostgreSQL
//! (a fresh database on the local server; `PAPYR_TEST_POSTGRES_URL` overrides it).
use papyr_store::api::access::Actor;
use papyr_store::{
    AuditEntry, AuditFilter, Db, IbanOutcome, NewApiKey, NewDocument, NewUser, NewVendor,
    StoreError, UserUpdate, VendorRow, VendorUpdate,
};

mod common;
use common::sqlite;

async fn postgres(name: &str) -> Db {
    common::postgres(&format!("admin_{name}")).await
}

const IBAN_A: &str = "DE89 3704 0044 0532 0130 00";
const IBAN_A_NORM: &str = "DE89370400440532013000";
const IBAN_B: &str = "GB82WEST12345698765432";
const IBAN_C: &str = "NL91ABNA0417164300";

fn user(email: &str, roles: &[&str]) -> NewUser {
    NewUser {
        email: email.into(),
        name: Some(email.split('@').next().unwrap_or_default().into()),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        subject: None,
    }
}

fn vendor(name: &str) -> NewVendor {
    NewVendor {
        name: name.into(),
        ..NewVendor::default()
    }
}

fn err_text<T: std::fmt::Debug>(r: Result<T, StoreError>) -> String {
    r.expect_err("must be refused").to_string()
}

fn is_not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::NotFound(_)))
}

/// The tenant's audit entries with `action`, newest first.
async fn audited(db: &Db, tenant: &str, action: &str) -> Vec<AuditEntry> {
    let filter = AuditFilter {
        action: Some(action.into()),
        ..AuditFilter::default()
    };
    db.audit_log(tenant, &filter, None, 200)
        .await
        .unwrap()
        .items
}

/// Known IBANs as the fraud checks' vendor history sees them.
async fn history_ibans(db: &Db, tenant: &str, vendor_id: &str) -> Vec<String> {
    db.vendors(tenant)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.id == vendor_id)
        .map(|v| v.ibans)
        .unwrap_or_default()
}

/// An invoice of `vendor_id`, with the document it belongs to.
async fn invoice_for(db: &Db, tenant: &str, n: usize, vendor_id: &str) {
    let doc = NewDocument {
        filename: format!("inv-{n}.pdf"),
        sha256: format!("{n:064x}"),
        size: 100,
        media_type: "application/pdf".into(),
        blob_key: format!("documents/{n:064x}"),
        message_id: None,
        origin_json: "{}".into(),
        channel: "test".into(),
        uploaded_by: None,
    };
    let papyr_store::Intake::Created { document_id } = db.intake(tenant, &doc, 3).await.unwrap()
    else {
        panic!("new document")
    };
    db.raw_execute(&format!(
        "INSERT INTO invoices (document_id, tenant_id, vendor_id, fields, invoice, created_at) \
         VALUES ('{document_id}', '{tenant}', '{vendor_id}', '{{}}', '{{}}', 0)"
    ))
    .await
    .unwrap();
}

async fn vendors_story(db: Db) {
    let t = db.create_tenant("acme", "ACME").await.unwrap().id;
    let other = db.create_tenant("other", "Other").await.unwrap().id;
    let ann = db
        .create_user(&t, &user("ann@acme.example", &["admin"]), Actor::Operator)
        .await
        .unwrap();
    let by = Actor::User(&ann.id);

    // Create: normalised country and tax ids; bad input refused with what to fix.
    let beta = db
        .create_vendor(
            &t,
            &NewVendor {
                name: "  Beta GmbH ".into(),
                country: Some("de".into()),
                tax_ids: vec!["de 123456789".into(), "DE123456789".into()],
            },
            by,
        )
        .await
        .unwrap();
    assert_eq!(beta.vendor.name, "Beta GmbH");
    assert_eq!(beta.vendor.country.as_deref(), Some("DE"));
    assert_eq!(beta.vendor.tax_ids, ["DE123456789"]);
    assert_eq!(beta.vendor.invoice_count, 0);
    assert!(
        err_text(db.create_vendor(&t, &vendor("  "), by).await).contains("a vendor needs a name")
    );
    let bad_country = NewVendor {
        country: Some("XX".into()),
        ..vendor("X")
    };
    assert!(
        err_text(db.create_vendor(&t, &bad_country, by).await)
            .contains("not an ISO 3166-1 alpha-2 code")
    );
    let created = audited(&db, &t, "vendor.created").await;
    assert_eq!(created.len(), 1, "refused creations write nothing");
    assert_eq!(created[0].actor, format!("user:{}", ann.id));

    // Update bumps updated_at and is audited with old and new values.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let updated = db
        .update_vendor(
            &t,
            &beta.vendor.id,
            &VendorUpdate {
                name: Some("Beta Handels GmbH".into()),
                tax_ids: Some(vec!["DE123456789".into(), "ATU12345678".into()]),
                ..VendorUpdate::default()
            },
            by,
        )
        .await
        .unwrap();
    assert_eq!(updated.vendor.name, "Beta Handels GmbH");
    assert_eq!(updated.vendor.country.as_deref(), Some("DE"), "untouched");
    assert_eq!(updated.vendor.tax_ids, ["DE123456789", "ATU12345678"]);
    assert!(updated.vendor.updated_at > beta.vendor.updated_at);
    let upd = audited(&db, &t, "vendor.updated").await;
    assert_eq!(upd.len(), 1);
    assert!(
        upd[0].detail.contains("\"old\":\"Beta GmbH\"")
            && upd[0].detail.contains("\"new\":\"Beta Handels GmbH\""),
        "{}",
        upd[0].detail
    );
    let cleared = db
        .update_vendor(
            &t,
            &beta.vendor.id,
            &VendorUpdate {
                country: Some(None),
                ..VendorUpdate::default()
            },
            by,
        )
        .await
        .unwrap();
    assert_eq!(cleared.vendor.country, None);
    assert!(
        err_text(
            db.update_vendor(
                &t,
                &beta.vendor.id,
                &VendorUpdate {
                    name: Some("".into()),
                    ..VendorUpdate::default()
                },
                by
            )
            .await
        )
        .contains("a vendor needs a name")
    );

    // Sender domains: normalised, validated, removable once.
    assert_eq!(
        db.add_vendor_domain(&t, &beta.vendor.id, " @Mail.Beta.EXAMPLE ", by)
            .await
            .unwrap(),
        "mail.beta.example"
    );
    assert_eq!(
        db.add_vendor_domain(&t, &beta.vendor.id, "mail.beta.example", by)
            .await
            .unwrap(),
        "mail.beta.example",
        "idempotent"
    );
    assert_eq!(audited(&db, &t, "vendor.domain-added").await.len(), 1);
    let e = err_text(db.add_vendor_domain(&t, &beta.vendor.id, "beta", by).await);
    assert!(
        e.contains("sender domain `beta` is not valid: it needs at least two labels"),
        "{e}"
    );
    let e = err_text(
        db.add_vendor_domain(&t, &beta.vendor.id, "billing@beta.example", by)
            .await,
    );
    assert!(e.contains("give the part after the @"), "{e}");
    db.add_vendor_domain(&t, &beta.vendor.id, "old.beta.example", by)
        .await
        .unwrap();
    db.remove_vendor_domain(&t, &beta.vendor.id, "OLD.beta.example", by)
        .await
        .unwrap();
    assert!(is_not_found(
        db.remove_vendor_domain(&t, &beta.vendor.id, "old.beta.example", by)
            .await
    ));

    // IBANs without the four-eyes setting: on file at once, verified by the adder.
    let IbanOutcome::Known(k) = db
        .add_vendor_iban(&t, &beta.vendor.id, IBAN_A, by)
        .await
        .unwrap()
    else {
        panic!("added directly")
    };
    assert_eq!(
        (k.iban.as_str(), k.verified_by.clone()),
        (IBAN_A_NORM, format!("user:{}", ann.id))
    );
    assert_eq!(history_ibans(&db, &t, &beta.vendor.id).await, [IBAN_A_NORM]);
    let e = err_text(
        db.add_vendor_iban(&t, &beta.vendor.id, "DE89370400440532013001", by)
            .await,
    );
    assert!(
        e.contains("IBAN `DE89370400440532013001` is not valid: the check digits do not match"),
        "{e}"
    );
    let e = err_text(
        db.add_vendor_iban(&t, &beta.vendor.id, "DE8937040044053201300", by)
            .await,
    );
    assert!(
        e.contains("DE IBANs have 22 characters, this one has 21"),
        "{e}"
    );
    let e = err_text(db.add_vendor_iban(&t, &beta.vendor.id, "hello", by).await);
    assert!(
        e.contains("two-letter country code and two check digits"),
        "{e}"
    );
    db.add_vendor_iban(&t, &beta.vendor.id, IBAN_C, by)
        .await
        .unwrap();
    db.remove_vendor_iban(&t, &beta.vendor.id, "nl91 abna 0417 1643 00", by)
        .await
        .unwrap();
    assert!(is_not_found(
        db.remove_vendor_iban(&t, &beta.vendor.id, IBAN_C, by).await
    ));
    assert_eq!(history_ibans(&db, &t, &beta.vendor.id).await, [IBAN_A_NORM]);
    assert_eq!(audited(&db, &t, "vendor.iban-added").await.len(), 2);
    assert_eq!(audited(&db, &t, "vendor.iban-removed").await.len(), 1);

    // Paging by name (case-insensitive) and id, with a filter.
    for name in ["delta", "Alpha", "gamma", "beta two", "Epsilon"] {
        db.create_vendor(&t, &vendor(name), by).await.unwrap();
    }
    let mut names = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = db
            .vendor_page(&t, None, cursor.as_deref(), 2)
            .await
            .unwrap();
        assert!(page.items.len() <= 2);
        names.extend(page.items.into_iter().map(|v| v.name));
        pages += 1;
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(
        names,
        [
            "Alpha",
            "Beta Handels GmbH",
            "beta two",
            "delta",
            "Epsilon",
            "gamma"
        ]
    );
    assert_eq!(pages, 3);
    let found = |page: papyr_store::Page<papyr_store::VendorSummary>| {
        page.items.into_iter().map(|v| v.name).collect::<Vec<_>>()
    };
    assert_eq!(
        found(db.vendor_page(&t, Some("BETA"), None, 50).await.unwrap()),
        ["Beta Handels GmbH", "beta two"]
    );
    assert_eq!(
        found(db.vendor_page(&t, Some("atu1234"), None, 50).await.unwrap()),
        ["Beta Handels GmbH"],
        "by tax id"
    );
    assert_eq!(
        found(
            db.vendor_page(&t, Some("de89 3704"), None, 50)
                .await
                .unwrap()
        ),
        ["Beta Handels GmbH"],
        "by IBAN"
    );
    assert_eq!(
        found(
            db.vendor_page(&t, Some("mail.beta"), None, 50)
                .await
                .unwrap()
        ),
        ["Beta Handels GmbH"],
        "by domain"
    );
    assert!(
        found(db.vendor_page(&t, Some("%"), None, 50).await.unwrap()).is_empty(),
        "wildcards are literal"
    );
    let first = db.vendor_page(&t, None, None, 2).await.unwrap();
    let c = first.next_cursor.expect("more pages");
    assert!(
        err_text(db.vendor_page(&other, None, Some(&c), 2).await)
            .contains("not issued for this tenant")
    );
    assert!(db.vendor_page(&t, None, Some("garbage"), 2).await.is_err());

    // Merge: invoices re-pointed, IBANs and domains moved without duplicates, tax
    // ids united, source gone, one audit entry.
    let src = db
        .create_vendor(
            &t,
            &NewVendor {
                name: "Beta (duplicate)".into(),
                country: Some("AT".into()),
                tax_ids: vec!["ATU12345678".into(), "ATU99999999".into()],
            },
            by,
        )
        .await
        .unwrap()
        .vendor
        .id;
    db.add_vendor_iban(&t, &src, IBAN_A, by).await.unwrap();
    db.add_vendor_iban(&t, &src, IBAN_B, by).await.unwrap();
    db.add_vendor_domain(&t, &src, "mail.beta.example", by)
        .await
        .unwrap();
    db.add_vendor_domain(&t, &src, "beta-invoices.example", by)
        .await
        .unwrap();
    invoice_for(&db, &t, 1, &src).await;
    invoice_for(&db, &t, 2, &src).await;
    invoice_for(&db, &t, 3, &beta.vendor.id).await;
    assert_eq!(
        db.vendor(&t, &src)
            .await
            .unwrap()
            .unwrap()
            .vendor
            .invoice_count,
        2
    );
    let merged = db
        .merge_vendors(&t, &src, &beta.vendor.id, by)
        .await
        .unwrap();
    assert_eq!(merged.vendor.invoice_count, 3);
    let ibans: Vec<&str> = merged.ibans.iter().map(|i| i.iban.as_str()).collect();
    assert_eq!(ibans.len(), 2, "{ibans:?}");
    assert!(ibans.contains(&IBAN_A_NORM) && ibans.contains(&IBAN_B));
    assert_eq!(
        merged.domains,
        ["beta-invoices.example", "mail.beta.example"]
    );
    assert_eq!(
        merged.vendor.tax_ids,
        ["DE123456789", "ATU12345678", "ATU99999999"]
    );
    assert_eq!(
        merged.vendor.country.as_deref(),
        Some("AT"),
        "taken over: the target had none"
    );
    assert!(db.vendor(&t, &src).await.unwrap().is_none());
    let mut history = history_ibans(&db, &t, &beta.vendor.id).await;
    history.sort();
    assert_eq!(history, [IBAN_A_NORM, IBAN_B]);
    let m = audited(&db, &t, "vendor.merged").await;
    assert_eq!(m.len(), 1);
    assert!(
        m[0].detail.contains("\"invoices_moved\":2"),
        "{}",
        m[0].detail
    );
    let e = err_text(
        db.merge_vendors(&t, &beta.vendor.id, &beta.vendor.id, by)
            .await,
    );
    assert!(e.contains("cannot be merged into itself"), "{e}");
    assert!(is_not_found(
        db.merge_vendors(&t, &src, &beta.vendor.id, by).await
    ));

    // Tenant isolation: tenant B sees none of it and changes none of it.
    let b = Actor::User("someone");
    let theirs = db
        .create_vendor(&other, &vendor("Theirs"), b)
        .await
        .unwrap()
        .vendor
        .id;
    let v = &beta.vendor.id;
    assert!(db.vendor(&other, v).await.unwrap().is_none());
    assert_eq!(
        found(db.vendor_page(&other, None, None, 50).await.unwrap()),
        ["Theirs"]
    );
    assert!(
        found(
            db.vendor_page(&other, Some("beta"), None, 50)
                .await
                .unwrap()
        )
        .is_empty()
    );
    assert!(is_not_found(
        db.update_vendor(&other, v, &VendorUpdate::default(), b)
            .await
    ));
    assert!(is_not_found(
        db.add_vendor_domain(&other, v, "x.example", b).await
    ));
    assert!(is_not_found(
        db.remove_vendor_domain(&other, v, "mail.beta.example", b)
            .await
    ));
    assert!(is_not_found(db.add_vendor_iban(&other, v, IBAN_C, b).await));
    assert!(is_not_found(
        db.remove_vendor_iban(&other, v, IBAN_A, b).await
    ));
    assert!(is_not_found(db.merge_vendors(&other, v, &theirs, b).await));
    assert!(is_not_found(db.merge_vendors(&other, &theirs, v, b).await));
    assert!(
        is_not_found(db.merge_vendors(&t, v, &theirs, by).await),
        "across tenants"
    );
    assert_eq!(db.vendor(&t, v).await.unwrap().unwrap().ibans.len(), 2);
    assert!(db.vendor(&other, &theirs).await.unwrap().is_some());

    // The service's vendor import cannot overwrite another tenant's vendor id.
    let hijack = VendorRow {
        id: v.clone(),
        name: "Hijacked".into(),
        ibans: vec![IBAN_C.into()],
        ..VendorRow::default()
    };
    assert!(
        err_text(db.upsert_vendor(&other, &hijack, "import").await)
            .contains("belongs to another tenant")
    );
    assert_eq!(
        db.vendor(&t, v).await.unwrap().unwrap().vendor.name,
        "Beta Handels GmbH"
    );
}

async fn four_eyes_story(db: Db) {
    let t = db.create_tenant("acme", "ACME").await.unwrap().id;
    let other = db.create_tenant("other", "Other").await.unwrap().id;
    let ann = db
        .create_user(&t, &user("ann@acme.example", &["admin"]), Actor::Operator)
        .await
        .unwrap();
    let bob = db
        .create_user(
            &t,
            &user("bob@acme.example", &["approver"]),
            Actor::Operator,
        )
        .await
        .unwrap();
    let carl = db
        .create_user(
            &t,
            &user("carl@acme.example", &["approver"]),
            Actor::Operator,
        )
        .await
        .unwrap();
    db.disable_user(&t, &carl.id, Actor::User(&ann.id))
        .await
        .unwrap();
    let outsider = db
        .create_user(
            &other,
            &user("olga@other.example", &["admin"]),
            Actor::Operator,
        )
        .await
        .unwrap();
    let v = db
        .create_vendor(&t, &vendor("Beta GmbH"), Actor::User(&ann.id))
        .await
        .unwrap()
        .vendor
        .id;
    let s = db.versioned_settings(&t).await.unwrap();
    db.replace_settings(
        &t,
        r#"{"vendor_policy":{"iban_requires_confirmation":true}}"#,
        s.version,
        Actor::User(&ann.id),
    )
    .await
    .unwrap();

    // Ann asks: a pending request, invisible to the fraud checks.
    let IbanOutcome::Pending(req) = db
        .add_vendor_iban(&t, &v, IBAN_A, Actor::User(&ann.id))
        .await
        .unwrap()
    else {
        panic!("needs a second person")
    };
    assert_eq!(
        (req.iban.as_str(), req.requested_by.clone()),
        (IBAN_A_NORM, format!("user:{}", ann.id))
    );
    assert!(
        history_ibans(&db, &t, &v).await.is_empty(),
        "pending is not known"
    );
    let detail = db.vendor(&t, &v).await.unwrap().unwrap();
    assert!(detail.ibans.is_empty());
    assert_eq!(detail.pending_ibans, std::slice::from_ref(&req));
    let IbanOutcome::Pending(again) = db
        .add_vendor_iban(&t, &v, IBAN_A, Actor::User(&bob.id))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(again.id, req.id, "one pending request per account");
    assert_eq!(db.pending_iban_requests(&t).await.unwrap().len(), 1);
    assert!(db.pending_iban_requests(&other).await.unwrap().is_empty());

    // The same person cannot confirm; a disabled user, an outsider or another
    // tenant cannot either.
    let e = db.confirm_iban_request(&t, &req.id, &ann.id).await;
    assert!(
        matches!(&e, Err(StoreError::Forbidden(m)) if m.contains("four eyes")),
        "{e:?}"
    );
    let e = db.confirm_iban_request(&t, &req.id, &carl.id).await;
    assert!(
        matches!(&e, Err(StoreError::Forbidden(m)) if m.contains("disabled")),
        "{e:?}"
    );
    let e = db.confirm_iban_request(&t, &req.id, &outsider.id).await;
    assert!(
        matches!(&e, Err(StoreError::Forbidden(m)) if m.contains("not one")),
        "{e:?}"
    );
    assert!(is_not_found(
        db.confirm_iban_request(&other, &req.id, &outsider.id).await
    ));
    assert!(is_not_found(
        db.decline_iban_request(&other, &req.id, Actor::User(&outsider.id))
            .await
    ));
    assert!(history_ibans(&db, &t, &v).await.is_empty());

    // Bob confirms: now known, verified by Bob.
    let known = db.confirm_iban_request(&t, &req.id, &bob.id).await.unwrap();
    assert_eq!(
        (known.iban.as_str(), known.verified_by.clone()),
        (IBAN_A_NORM, format!("user:{}", bob.id))
    );
    assert_eq!(history_ibans(&db, &t, &v).await, [IBAN_A_NORM]);
    let detail = db.vendor(&t, &v).await.unwrap().unwrap();
    assert!(detail.pending_ibans.is_empty());
    assert_eq!(detail.ibans, [known]);
    let e = err_text(db.confirm_iban_request(&t, &req.id, &bob.id).await);
    assert!(e.contains("already confirmed"), "{e}");
    let c = audited(&db, &t, "vendor.iban-confirmed").await;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].actor, format!("user:{}", bob.id));
    assert_eq!(audited(&db, &t, "vendor.iban-requested").await.len(), 1);

    // Declined (here withdrawn by the requester): never known.
    let IbanOutcome::Pending(r2) = db
        .add_vendor_iban(&t, &v, IBAN_B, Actor::User(&ann.id))
        .await
        .unwrap()
    else {
        panic!()
    };
    let declined = db
        .decline_iban_request(&t, &r2.id, Actor::User(&ann.id))
        .await
        .unwrap();
    assert_eq!(declined.decided_by, Some(format!("user:{}", ann.id)));
    assert!(
        err_text(db.confirm_iban_request(&t, &r2.id, &bob.id).await).contains("already declined")
    );
    assert_eq!(history_ibans(&db, &t, &v).await, [IBAN_A_NORM]);

    // A request made with Bob's API key counts as Bob's: Ann must confirm it.
    db.create_api_key(
        &t,
        &NewApiKey {
            id: "k_bob".into(),
            name: "Bob's script".into(),
            hash: "h".into(),
            roles: vec!["clerk".into()],
        },
        Actor::User(&bob.id),
    )
    .await
    .unwrap();
    let IbanOutcome::Pending(r3) = db
        .add_vendor_iban(&t, &v, IBAN_C, Actor::ApiKey("k_bob"))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(matches!(
        db.confirm_iban_request(&t, &r3.id, &bob.id).await,
        Err(StoreError::Forbidden(_))
    ));
    db.confirm_iban_request(&t, &r3.id, &ann.id).await.unwrap();

    // The setting off again: IBANs are added directly.
    let s = db.versioned_settings(&t).await.unwrap();
    db.replace_settings(&t, "{}", s.version, Actor::User(&ann.id))
        .await
        .unwrap();
    assert!(matches!(
        db.add_vendor_iban(&t, &v, IBAN_B, Actor::User(&ann.id))
            .await
            .unwrap(),
        IbanOutcome::Known(_)
    ));
    assert_eq!(history_ibans(&db, &t, &v).await.len(), 3);
}

async fn users_story(db: Db) {
    let t = db.create_tenant("acme", "ACME").await.unwrap().id;
    let other = db.create_tenant("other", "Other").await.unwrap().id;
    let op = Actor::Operator;
    let ann = db
        .create_user(&t, &user(" Ann@Acme.example ", &["viewer", "admin"]), op)
        .await
        .unwrap();
    assert_eq!(ann.email, "ann@acme.example");
    assert_eq!(ann.roles, ["admin", "viewer"]);
    let by = Actor::User(&ann.id);

    let dup = db
        .create_user(&t, &user("ANN@acme.example", &["viewer"]), by)
        .await;
    assert!(
        matches!(&dup, Err(StoreError::Duplicate(m)) if m.contains("ann@acme.example")),
        "{dup:?}"
    );
    let e = err_text(
        db.create_user(&t, &user("x@acme.example", &["root"]), by)
            .await,
    );
    assert!(
        e.contains("unknown role `root`: roles are admin, approver, clerk, viewer"),
        "{e}"
    );
    assert!(
        err_text(db.create_user(&t, &user("not-an-email", &[]), by).await)
            .contains("not an email address")
    );
    // The same email in another tenant is that tenant's own user.
    db.create_user(&other, &user("ann@acme.example", &["admin"]), op)
        .await
        .unwrap();

    let bob = db
        .create_user(&t, &user("bob@acme.example", &["viewer"]), by)
        .await
        .unwrap();
    let bob2 = db
        .update_user(
            &t,
            &bob.id,
            &UserUpdate {
                roles: Some(vec!["viewer".into(), "approver".into()]),
                name: Some("Bob B.".into()),
            },
            by,
        )
        .await
        .unwrap();
    assert_eq!(
        (bob2.roles.clone(), bob2.name.as_deref()),
        (
            vec!["approver".to_string(), "viewer".to_string()],
            Some("Bob B.")
        )
    );
    assert!(
        err_text(
            db.update_user(
                &t,
                &bob.id,
                &UserUpdate {
                    roles: Some(vec!["boss".into()]),
                    ..UserUpdate::default()
                },
                by
            )
            .await
        )
        .contains("unknown role `boss`")
    );

    // The last active admin cannot be demoted or disabled.
    let demote = UserUpdate {
        roles: Some(vec!["viewer".into()]),
        ..UserUpdate::default()
    };
    let e = err_text(db.update_user(&t, &ann.id, &demote, by).await);
    assert!(
        e.contains("ann@acme.example is the last active admin"),
        "{e}"
    );
    assert!(err_text(db.disable_user(&t, &ann.id, by).await).contains("last active admin"));
    let promote = UserUpdate {
        roles: Some(vec!["admin".into()]),
        ..UserUpdate::default()
    };
    db.update_user(&t, &bob.id, &promote, by).await.unwrap();
    let disabled = db
        .disable_user(&t, &ann.id, Actor::User(&bob.id))
        .await
        .unwrap();
    assert!(disabled.disabled_at.is_some());
    assert_eq!(
        db.disable_user(&t, &ann.id, Actor::User(&bob.id))
            .await
            .unwrap()
            .disabled_at,
        disabled.disabled_at,
        "idempotent"
    );
    // A disabled admin does not count: Bob is now the last one.
    assert!(
        err_text(
            db.update_user(&t, &bob.id, &demote, Actor::User(&bob.id))
                .await
        )
        .contains("bob@acme.example is the last active admin")
    );
    let listed = db.users(&t).await.unwrap();
    assert_eq!(listed.len(), 2, "disabled users stay for the audit trail");
    assert!(listed.iter().any(|u| u.id == ann.id && !u.is_active()));
    assert_eq!(audited(&db, &t, "user.disabled").await.len(), 1);
    assert_eq!(audited(&db, &t, "user.created").await.len(), 2);

    // Token subjects: created on first sight, found again, linked to an invited
    // email, never to an email another identity owns.
    let carl = db
        .ensure_user_for_subject(&t, "sub-carl", "Carl@acme.example", &["clerk".into()])
        .await
        .unwrap();
    assert_eq!(
        (
            carl.email.as_str(),
            carl.roles.clone(),
            carl.subject.as_deref()
        ),
        (
            "carl@acme.example",
            vec!["clerk".to_string()],
            Some("sub-carl")
        )
    );
    let again = db
        .ensure_user_for_subject(&t, "sub-carl", "carl@acme.example", &["admin".into()])
        .await
        .unwrap();
    assert_eq!(again.id, carl.id);
    assert_eq!(
        again.roles,
        ["clerk"],
        "roles from a token only apply to a new user"
    );
    assert_eq!(
        db.user_by_subject(&t, "sub-carl")
            .await
            .unwrap()
            .unwrap()
            .id,
        carl.id
    );
    assert_eq!(
        db.user_by_email(&t, "CARL@acme.example")
            .await
            .unwrap()
            .unwrap()
            .id,
        carl.id
    );
    let moved = db
        .ensure_user_for_subject(&t, "sub-carl", "carl.new@acme.example", &[])
        .await
        .unwrap();
    assert_eq!(
        (moved.id.clone(), moved.email.as_str()),
        (carl.id.clone(), "carl.new@acme.example")
    );

    let dora = db
        .create_user(
            &t,
            &user("dora@acme.example", &["approver"]),
            Actor::User(&bob.id),
        )
        .await
        .unwrap();
    let linked = db
        .ensure_user_for_subject(&t, "sub-dora", "dora@acme.example", &[])
        .await
        .unwrap();
    assert_eq!(
        (linked.id.as_str(), linked.subject.as_deref()),
        (dora.id.as_str(), Some("sub-dora"))
    );
    let e = db
        .ensure_user_for_subject(&t, "sub-impostor", "dora@acme.example", &[])
        .await;
    assert!(
        matches!(&e, Err(StoreError::Forbidden(m)) if m.contains("another sign-in identity")),
        "{e:?}"
    );
    db.ensure_user_for_subject(&t, "sub-ann", "ann@acme.example", &[])
        .await
        .expect_err("ann is disabled");
    assert!(
        err_text(
            db.ensure_user_for_subject(&t, " ", "x@acme.example", &[])
                .await
        )
        .contains("empty subject")
    );
    assert!(
        err_text(
            db.ensure_user_for_subject(&t, "sub-x", "x@acme.example", &["god".into()])
                .await
        )
        .contains("unknown role")
    );

    // Tenant isolation.
    let b = Actor::User("someone");
    assert!(db.user(&other, &bob.id).await.unwrap().is_none());
    assert!(
        db.user_by_subject(&other, "sub-carl")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.user_by_email(&other, "bob@acme.example")
            .await
            .unwrap()
            .is_none()
    );
    assert!(is_not_found(
        db.update_user(&other, &bob.id, &promote, b).await
    ));
    assert!(is_not_found(db.disable_user(&other, &bob.id, b).await));
    assert_eq!(db.users(&other).await.unwrap().len(), 1);
    assert!(db.user(&t, &bob.id).await.unwrap().unwrap().is_active());
    assert!(is_not_found(
        db.create_user("t_nobody", &user("z@z.example", &[]), op)
            .await
    ));
}

async fn api_keys_story(db: Db) {
    let t = db.create_tenant("acme", "ACME").await.unwrap().id;
    let other = db.create_tenant("other", "Other").await.unwrap().id;
    let by = Actor::User("u_admin");
    let key = NewApiKey {
        id: "k_ci".into(),
        name: "CI upload".into(),
        hash: "$argon2id$secret-hash".into(),
        roles: vec!["clerk".into()],
    };
    let created = db.create_api_key(&t, &key, by).await.unwrap();
    assert_eq!(
        (created.id.as_str(), created.created_by.as_str()),
        ("k_ci", "user:u_admin")
    );
    assert!(matches!(
        db.create_api_key(&other, &key, by).await,
        Err(StoreError::Duplicate(_))
    ));
    let bad = NewApiKey {
        id: "k_2".into(),
        roles: vec!["superuser".into()],
        ..key.clone()
    };
    assert!(err_text(db.create_api_key(&t, &bad, by).await).contains("unknown role `superuser`"));
    let bad_id = NewApiKey {
        id: "k 2/..".into(),
        ..key.clone()
    };
    assert!(err_text(db.create_api_key(&t, &bad_id, by).await).contains("API key id"));

    // Listing never carries the hash.
    let listed = db.api_keys(&t).await.unwrap();
    assert_eq!(listed, std::slice::from_ref(&created));
    let json = serde_json::to_string(&listed).unwrap();
    assert!(
        !json.contains("secret-hash") && !json.contains("hash"),
        "{json}"
    );
    assert!(!format!("{key:?}").contains("secret-hash"));

    let auth = db.api_key_for_auth("k_ci").await.unwrap().unwrap();
    assert_eq!(
        (
            auth.tenant_id.as_str(),
            auth.hash.as_str(),
            auth.roles.clone(),
            auth.revoked
        ),
        (
            t.as_str(),
            "$argon2id$secret-hash",
            vec!["clerk".to_string()],
            false
        )
    );
    assert!(db.api_key_for_auth("k_unknown").await.unwrap().is_none());

    // last_used_at: written once, then not again within the minute.
    assert!(db.touch_api_key(&t, "k_ci").await.unwrap());
    assert!(!db.touch_api_key(&t, "k_ci").await.unwrap());
    assert!(
        !db.touch_api_key(&other, "k_ci").await.unwrap(),
        "tenant-scoped"
    );
    assert!(db.api_keys(&t).await.unwrap()[0].last_used_at.is_some());

    // Revocation: idempotent, audited once, seen by the auth lookup.
    assert!(is_not_found(db.revoke_api_key(&other, "k_ci", by).await));
    assert!(db.api_keys(&other).await.unwrap().is_empty());
    assert!(!db.api_key_for_auth("k_ci").await.unwrap().unwrap().revoked);
    let revoked = db.revoke_api_key(&t, "k_ci", by).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(db.revoke_api_key(&t, "k_ci", by).await.unwrap(), revoked);
    assert_eq!(audited(&db, &t, "api-key.revoked").await.len(), 1);
    assert_eq!(audited(&db, &t, "api-key.created").await.len(), 1);
    assert!(db.api_key_for_auth("k_ci").await.unwrap().unwrap().revoked);
    assert!(is_not_found(db.revoke_api_key(&t, "k_unknown", by).await));
}

async fn settings_story(db: Db) {
    let acme = db.create_tenant("acme", "ACME").await.unwrap();
    let t = acme.id.clone();
    let other = db.create_tenant("other", "Other").await.unwrap().id;
    let by = Actor::User("u_admin");

    // Tenants (operator use).
    assert!(matches!(
        db.create_tenant("acme", "Again").await,
        Err(StoreError::Duplicate(_))
    ));
    assert!(
        err_text(db.create_tenant("Not A Slug", "x").await).contains("tenant slug `Not A Slug`")
    );
    assert_eq!(db.tenant_by_slug("acme").await.unwrap(), Some(acme.clone()));
    assert!(db.tenant_by_slug("nobody").await.unwrap().is_none());
    let slugs: Vec<String> = db
        .list_tenants()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.slug)
        .collect();
    assert_eq!(slugs, ["acme", "other"]);
    assert_eq!(
        audited(&db, &t, "tenant.created").await[0].actor,
        "operator"
    );

    let s = db.versioned_settings(&t).await.unwrap();
    assert_eq!((s.version, s.json.as_str()), (1, "{}"));

    // Invalid settings are refused with serde's message and change nothing.
    let e = err_text(
        db.replace_settings(&t, r#"{"approval":{"hold_score":"high"}}"#, 1, by)
            .await,
    );
    assert!(
        e.contains("invalid type: string \"high\", expected u32"),
        "{e}"
    );
    let e = err_text(db.replace_settings(&t, r#"{"colour":"red"}"#, 1, by).await);
    assert!(e.contains("unknown field `colour`"), "{e}");
    let e = err_text(db.replace_settings(&t, "{", 1, by).await);
    assert!(e.contains("EOF while parsing"), "{e}");
    assert_eq!(db.versioned_settings(&t).await.unwrap().version, 1);

    let new = r#"{"approval":{"hold_score":60},"vendor_policy":{"iban_requires_confirmation":true},"mailboxes":[{"kind":"imap","host":"mail.acme.example"}]}"#;
    let saved = db.replace_settings(&t, new, 1, by).await.unwrap();
    assert_eq!((saved.version, saved.json.as_str()), (2, new));
    let stored = db.versioned_settings(&t).await.unwrap();
    assert_eq!(stored, saved);
    let file = papyr_domain::TenantFile::from_json(&stored.json).unwrap();
    assert!(file.vendor_policy.iban_requires_confirmation);
    assert_eq!(file.mailboxes.len(), 1);
    // What the service reads is the same JSON.
    assert_eq!(db.tenant_settings(&t).await.unwrap().unwrap().1, new);

    // A stale version is a conflict naming the current one.
    let e = db.replace_settings(&t, "{}", 1, by).await;
    assert!(
        matches!(e, Err(StoreError::Conflict { current_version: 2 })),
        "{e:?}"
    );

    // Audited with the old and the new value.
    let a = audited(&db, &t, "settings.replaced").await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].actor, "user:u_admin");
    let detail: serde_json::Value = serde_json::from_str(&a[0].detail).unwrap();
    assert_eq!(detail["old"], serde_json::json!({}));
    assert_eq!(detail["new"]["approval"]["hold_score"], 60);
    assert_eq!(detail["version"], serde_json::json!({ "old": 1, "new": 2 }));

    // Tenant isolation.
    assert_eq!(db.versioned_settings(&other).await.unwrap().version, 1);
    assert!(audited(&db, &other, "settings.replaced").await.is_empty());
    assert!(is_not_found(db.versioned_settings("t_nobody").await));
    assert!(is_not_found(
        db.replace_settings("t_nobody", "{}", 1, by).await
    ));
}

macro_rules! both_backends {
    ($($story:ident => $sqlite:ident, $postgres:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            let (db, _dir) = sqlite().await;
            $story(db).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            $story(postgres(stringify!($story)).await).await;
        }
    )*};
}

both_backends! {
    vendors_story => vendors_sqlite, vendors_postgres;
    four_eyes_story => four_eyes_sqlite, four_eyes_postgres;
    users_story => users_sqlite, users_postgres;
    api_keys_story => api_keys_sqlite, api_keys_postgres;
    settings_story => settings_sqlite, settings_postgres;
}
