//! The REST API's invoice side of the store, each story run against both backends:
//! SQLite (a temp file) and PostgreSQL (a fresh database on the local server;
//! `PAPYR_TEST_POSTGRES_URL` overrides the server).
use papyr_store::api::audit::AuditFilter;
use papyr_store::jobs::{FindingWrite, InvoiceWrite, StageOutcome};
use papyr_store::{
    ActingUser, Db, ExportQuery, Intake, InvoiceFilter, NewDocument, Recheck, Sort, StoreError,
};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;

mod common;
use common::sqlite;

async fn postgres(name: &str) -> Db {
    common::postgres(&format!("api_{name}")).await
}

/// Each story as `<story>::sqlite` and `<story>::postgres`.
macro_rules! on_both_backends {
    ($($story:ident),* $(,)?) => {$(
        mod $story {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let (db, _dir) = super::sqlite().await;
                super::$story(db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$story(super::postgres(stringify!($story)).await).await;
            }
        }
    )*};
}

on_both_backends!(
    listing,
    pagination,
    isolation,
    approvals,
    concurrent_approvals,
    corrections,
    export,
    audit,
    changes,
);

// ---- test data -------------------------------------------------------------------

const THRESHOLD_SETTINGS: &str = r#"{"approval": {"approval_threshold": "5000.00"}}"#;

fn user(id: &str) -> ActingUser<'_> {
    ActingUser {
        user_id: id,
        is_admin: false,
    }
}

fn admin(id: &str) -> ActingUser<'_> {
    ActingUser {
        user_id: id,
        is_admin: true,
    }
}

/// A document row written directly, with an invoice unless `vendor` is `None`.
#[derive(Clone)]
struct Spec {
    id: String,
    status: String,
    received_at: i64,
    filename: String,
    vendor: Option<(String, String)>,
    number: Option<String>,
    issue: Option<String>,
    currency: String,
    gross: Option<i64>,
    findings: usize,
    uploaded_by: Option<String>,
    approvals_needed: Option<i64>,
}

fn spec(id: &str, status: &str, received_at: i64) -> Spec {
    Spec {
        id: id.into(),
        status: status.into(),
        received_at,
        filename: format!("{id}.pdf"),
        vendor: Some(("v1".into(), "Acme GmbH".into())),
        number: Some(format!("N-{id}")),
        issue: Some("2024-05-01".into()),
        currency: "EUR".into(),
        gross: Some(100_000),
        findings: 0,
        uploaded_by: None,
        approvals_needed: None,
    }
}

fn lit(v: Option<&str>) -> String {
    v.map_or("NULL".into(), |s| format!("'{}'", s.replace('\'', "''")))
}

fn num(v: Option<i64>) -> String {
    v.map_or("NULL".into(), |n| n.to_string())
}

async fn insert(db: &Db, tenant: &str, s: &Spec) {
    db.raw_execute(&format!(
        "INSERT INTO documents (id, tenant_id, sha256, filename, media_type, size, blob_key, origin, channel, status, kind, \
         received_at, updated_at, uploaded_by, approvals_needed) VALUES ({id}, {t}, {id}, {f}, 'application/pdf', 1, 'k', '{{}}', \
         'test', {st}, {kind}, {r}, {r}, {up}, {an})",
        id = lit(Some(&s.id)),
        t = lit(Some(tenant)),
        f = lit(Some(&s.filename)),
        st = lit(Some(&s.status)),
        kind = lit(Some(if s.vendor.is_some() { "invoice" } else { "newsletter" })),
        r = s.received_at,
        up = lit(s.uploaded_by.as_deref()),
        an = num(s.approvals_needed),
    ))
    .await
    .unwrap();
    for n in 0..s.findings {
        db.raw_execute(&format!(
            "INSERT INTO findings (tenant_id, document_id, rule, severity, score, message, evidence, plugin) \
             VALUES ({}, {}, 'rule.{n}', 'medium', 30, 'm', '[]', 'host')",
            lit(Some(tenant)),
            lit(Some(&s.id))
        ))
        .await
        .unwrap();
    }
    let Some((vendor_id, vendor_name)) = &s.vendor else {
        return;
    };
    let gross_text = s.gross.map(|g| papyr_domain::format_minor(g, &s.currency));
    let fields = json!({
        "vendor_name": vendor_name, "vendor_tax_id": "DE123456789", "customer_name": "Us AG",
        "invoice_number": s.number, "issue_date": s.issue, "due_date": "2024-12-31",
        "currency": s.currency, "net_total": null, "tax_total": null, "gross_total": gross_text,
        "amount_due": null, "iban": "DE89370400440532013000", "bic": "COBADEFFXXX",
        "po_number": "PO-1", "line_items": [],
    });
    let date = |d: &Option<String>| {
        d.as_deref().map_or(Value::Null, |d| {
            let p: Vec<u32> = d.split('-').map(|x| x.parse().unwrap()).collect();
            json!({ "year": p[0], "month": p[1], "day": p[2] })
        })
    };
    let party = |name: Option<&str>| json!({ "name": name, "tax_id": null, "address": null, "country": null });
    let invoice = json!({
        "kind": "Invoice", "vendor": party(Some(vendor_name)), "customer": party(Some("Us AG")),
        "invoice_number": s.number, "issue_date": date(&s.issue), "due_date": null,
        "currency": s.currency, "net_total": null, "tax_total": null,
        "gross_total": s.gross.map(|g| json!({ "minor": g, "currency": s.currency })),
        "prepaid": null, "amount_due": null, "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX",
        "po_number": "PO-1", "payment_terms": null, "tax_breakdown": [], "line_items": [],
        "evidence": [{ "field": "invoice_number", "confidence": 0.5, "source": "TextLayer", "page": 1, "line": 9, "text": "x" }],
    });
    db.raw_execute(&format!(
        "INSERT INTO invoices (document_id, tenant_id, vendor_id, vendor_name, vendor_tax_id, invoice_number, issue_date, \
         currency, gross_minor, iban, fields, invoice, created_at) VALUES ({}, {}, {}, {}, 'DE123456789', {}, {}, {}, {}, \
         'DE89370400440532013000', {}, {}, {})",
        lit(Some(&s.id)),
        lit(Some(tenant)),
        lit(Some(vendor_id)),
        lit(Some(vendor_name)),
        lit(s.number.as_deref()),
        lit(s.issue.as_deref()),
        lit(Some(&s.currency)),
        num(s.gross),
        lit(Some(&fields.to_string())),
        lit(Some(&invoice.to_string())),
        s.received_at,
    ))
    .await
    .unwrap();
    // What the extract stage stores: the formatted per-field evidence.
    let extract = json!({ "output": { "field_evidence": [
        { "field": "invoice_number", "confidence": 0.93, "source": "text-layer", "page": 1, "line": 4, "text": "Invoice no. 1" },
        { "field": "gross_total", "confidence": 0.8, "source": "text-layer", "page": 2, "line": 30, "text": "Total 1.000,00" },
    ]}});
    db.raw_execute(&format!(
        "INSERT INTO stage_results (document_id, stage, tenant_id, worker, attempt, result, plugins, duration_us, completed_at) \
         VALUES ({}, 'extract', {}, 'w', 1, {}, '{{}}', 1, {})",
        lit(Some(&s.id)),
        lit(Some(tenant)),
        lit(Some(&extract.to_string())),
        s.received_at
    ))
    .await
    .unwrap();
}

async fn version(db: &Db, t: &str, id: &str) -> i64 {
    db.invoice_detail(t, id).await.unwrap().unwrap().version
}

async fn status(db: &Db, t: &str, id: &str) -> String {
    db.invoice_detail(t, id).await.unwrap().unwrap().status
}

async fn ids(db: &Db, t: &str, f: &InvoiceFilter, sort: &str) -> Vec<String> {
    let page = db
        .list_invoices(t, f, &Sort::parse(sort).unwrap(), None, 200)
        .await
        .unwrap();
    assert!(page.next_cursor.is_none());
    page.items.into_iter().map(|s| s.id).collect()
}

/// Every page of a listing, `limit` at a time.
async fn all_pages(db: &Db, t: &str, f: &InvoiceFilter, sort: &str, limit: i64) -> Vec<String> {
    let sort = Sort::parse(sort).unwrap();
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = db
            .list_invoices(t, f, &sort, cursor.as_deref(), limit)
            .await
            .unwrap();
        assert!(page.items.len() as i64 <= limit);
        out.extend(page.items.into_iter().map(|s| s.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

fn invalid<T: std::fmt::Debug>(r: Result<T, StoreError>, needle: &str) {
    match r {
        Err(StoreError::Invalid(m)) => assert!(m.contains(needle), "`{m}` lacks `{needle}`"),
        other => panic!("expected Invalid({needle}), got {other:?}"),
    }
}

fn forbidden<T: std::fmt::Debug>(r: Result<T, StoreError>, needle: &str) {
    match r {
        Err(StoreError::Forbidden(m)) => assert!(m.contains(needle), "`{m}` lacks `{needle}`"),
        other => panic!("expected Forbidden({needle}), got {other:?}"),
    }
}

fn wrong_state<T: std::fmt::Debug>(r: Result<T, StoreError>, want: &str) {
    match r {
        Err(StoreError::State { status, .. }) => assert_eq!(status, want),
        other => panic!("expected State({want}), got {other:?}"),
    }
}

fn not_found<T: std::fmt::Debug>(r: Result<T, StoreError>) {
    assert!(matches!(r, Err(StoreError::NotFound(_))), "{r:?}");
}

// ---- stories ---------------------------------------------------------------------

async fn listing(db: Db) {
    let t = db.ensure_tenant("acme", "ACME", "{}").await.unwrap();
    let o = db.ensure_tenant("other", "Other", "{}").await.unwrap();
    let mut docs = Vec::new();
    let mut d = spec("d01", "pending_approval", 1000);
    d.number = Some("A-100".into());
    d.issue = Some("2024-01-10".into());
    d.findings = 2;
    docs.push(d);
    let mut d = spec("d02", "on_hold", 2000);
    d.vendor = Some(("v2".into(), "Beta AG".into()));
    d.number = Some("B-7".into());
    d.issue = Some("2024-02-01".into());
    d.gross = Some(250_000);
    docs.push(d);
    let mut d = spec("d03", "auto_approved", 3000);
    d.vendor = Some(("v1".into(), "acme gmbh".into()));
    d.number = Some("A-101".into());
    d.issue = Some("2024-03-05".into());
    d.gross = Some(5_000);
    d.findings = 1;
    docs.push(d);
    let mut d = spec("d04", "not_an_invoice", 4000);
    d.vendor = None;
    d.filename = "Newsletter June.pdf".into();
    docs.push(d);
    let mut d = spec("d05", "pending_approval", 5000);
    d.vendor = Some(("v3".into(), "Gamma_Percent 100%".into()));
    d.number = Some("G-1".into());
    d.issue = None;
    d.currency = "USD".into();
    d.gross = Some(99_900);
    docs.push(d);
    let mut d = spec("d06", "exported", 6000);
    d.vendor = Some(("v2".into(), "Beta AG".into()));
    d.number = Some("B-8".into());
    d.issue = Some("2024-02-15".into());
    d.gross = Some(250_000);
    docs.push(d);
    for d in &docs {
        insert(&db, &t, d).await;
    }
    insert(&db, &o, &spec("o01", "pending_approval", 3500)).await;

    let f = InvoiceFilter::default();
    assert_eq!(
        ids(&db, &t, &f, "-received_at").await,
        ["d06", "d05", "d04", "d03", "d02", "d01"]
    );
    let page = db
        .list_invoices(&t, &f, &Sort::default(), None, 50)
        .await
        .unwrap();
    let d01 = page.items.iter().find(|s| s.id == "d01").unwrap();
    assert_eq!(
        (
            d01.finding_count,
            d01.gross_minor,
            d01.version,
            d01.vendor_name.as_deref()
        ),
        (2, Some(100_000), 1, Some("Acme GmbH"))
    );
    assert_eq!(
        (
            d01.status.as_str(),
            d01.issue_date.as_deref(),
            d01.kind.as_deref()
        ),
        ("pending_approval", Some("2024-01-10"), Some("invoice"))
    );
    let d04 = page.items.iter().find(|s| s.id == "d04").unwrap();
    assert_eq!((d04.vendor_name.as_deref(), d04.gross_minor), (None, None));

    // Filters, one at a time and combined.
    let with = |mut g: InvoiceFilter, set: &dyn Fn(&mut InvoiceFilter)| {
        set(&mut g);
        g
    };
    let cases: Vec<(InvoiceFilter, Vec<&str>)> = vec![
        (
            with(f.clone(), &|g| g.statuses = vec!["pending_approval".into()]),
            vec!["d05", "d01"],
        ),
        (
            with(f.clone(), &|g| {
                g.statuses = vec!["pending_approval".into(), "on_hold".into()]
            }),
            vec!["d05", "d02", "d01"],
        ),
        (
            with(f.clone(), &|g| g.vendor_id = Some("v1".into())),
            vec!["d03", "d01"],
        ),
        (
            with(f.clone(), &|g| g.min_gross_minor = Some(100_000)),
            vec!["d06", "d02", "d01"],
        ),
        (
            with(f.clone(), &|g| g.max_gross_minor = Some(99_900)),
            vec!["d05", "d03"],
        ),
        (
            with(f.clone(), &|g| {
                g.min_gross_minor = Some(1);
                g.max_gross_minor = Some(100_000);
                g.currency = Some("eur".into());
            }),
            vec!["d03", "d01"],
        ),
        (
            with(f.clone(), &|g| g.currency = Some("USD".into())),
            vec!["d05"],
        ),
        (
            with(f.clone(), &|g| {
                g.received_from = Some(2000);
                g.received_to = Some(5000);
            }),
            vec!["d04", "d03", "d02"],
        ),
        (
            with(f.clone(), &|g| {
                g.issue_from = Some("2024-02-01".into());
                g.issue_to = Some("2024-02-28".into());
            }),
            vec!["d06", "d02"],
        ),
        (
            with(f.clone(), &|g| g.has_findings = Some(true)),
            vec!["d03", "d01"],
        ),
        (
            with(f.clone(), &|g| g.has_findings = Some(false)),
            vec!["d06", "d05", "d04", "d02"],
        ),
        (
            with(f.clone(), &|g| g.q = Some("ACME".into())),
            vec!["d03", "d01"],
        ),
        (with(f.clone(), &|g| g.q = Some("b-7".into())), vec!["d02"]),
        (
            with(f.clone(), &|g| g.q = Some("newsletter".into())),
            vec!["d04"],
        ),
        // `%` and `_` are literal characters, not wildcards.
        (with(f.clone(), &|g| g.q = Some("100%".into())), vec!["d05"]),
        (with(f.clone(), &|g| g.q = Some("_".into())), vec!["d05"]),
        (
            with(f.clone(), &|g| g.q = Some("  ".into())),
            vec!["d06", "d05", "d04", "d03", "d02", "d01"],
        ),
        (
            with(f.clone(), &|g| {
                g.statuses = vec!["pending_approval".into()];
                g.q = Some("acme".into());
                g.has_findings = Some(true);
            }),
            vec!["d01"],
        ),
    ];
    for (filter, want) in cases {
        assert_eq!(
            ids(&db, &t, &filter, "-received_at").await,
            want,
            "{filter:?}"
        );
    }
    invalid(
        db.list_invoices(
            &t,
            &with(f.clone(), &|g| g.statuses = vec!["paid".into()]),
            &Sort::default(),
            None,
            10,
        )
        .await,
        "unknown status `paid`",
    );
    invalid(
        db.list_invoices(
            &t,
            &with(f.clone(), &|g| {
                g.min_gross_minor = Some(5);
                g.max_gross_minor = Some(4);
            }),
            &Sort::default(),
            None,
            10,
        )
        .await,
        "above the maximum",
    );
    invalid(
        db.list_invoices(
            &t,
            &with(f.clone(), &|g| g.issue_from = Some("1.2.2024".into())),
            &Sort::default(),
            None,
            10,
        )
        .await,
        "YYYY-MM-DD",
    );
    invalid(
        db.list_invoices(
            &t,
            &with(f.clone(), &|g| g.currency = Some("EURO".into())),
            &Sort::default(),
            None,
            10,
        )
        .await,
        "ISO 4217",
    );
    invalid(Sort::parse("amount"), "unknown sort `amount`");

    // Sorts: rows without the value come last both ways; ties go by id.
    let sorts: &[(&str, &[&str])] = &[
        ("received_at", &["d01", "d02", "d03", "d04", "d05", "d06"]),
        ("gross", &["d03", "d05", "d01", "d02", "d06", "d04"]),
        ("-gross", &["d06", "d02", "d01", "d05", "d03", "d04"]),
        ("issue_date", &["d01", "d02", "d06", "d03", "d04", "d05"]),
        ("-issue_date", &["d03", "d06", "d02", "d01", "d05", "d04"]),
        ("vendor_name", &["d01", "d03", "d02", "d06", "d05", "d04"]),
        ("-vendor_name", &["d05", "d06", "d02", "d03", "d01", "d04"]),
        ("status", &["d03", "d06", "d04", "d02", "d01", "d05"]),
        ("-status", &["d05", "d01", "d02", "d04", "d06", "d03"]),
    ];
    for (sort, want) in sorts {
        assert_eq!(ids(&db, &t, &f, sort).await, *want, "{sort}");
        // The same order page by page, through the rows without a value too.
        for limit in [1, 2, 4] {
            assert_eq!(
                all_pages(&db, &t, &f, sort, limit).await,
                *want,
                "{sort} by {limit}"
            );
        }
    }
    // Filters and cursors together.
    let pending = with(f.clone(), &|g| {
        g.statuses = vec!["pending_approval".into(), "on_hold".into()]
    });
    assert_eq!(
        all_pages(&db, &t, &pending, "-gross", 1).await,
        ["d02", "d01", "d05"]
    );
}

async fn pagination(db: Db) {
    let t = db.ensure_tenant("acme", "ACME", "{}").await.unwrap();
    let b = db.ensure_tenant("bravo", "Bravo", "{}").await.unwrap();
    let mut original = Vec::new();
    for i in 0..30i64 {
        let mut s = spec(&format!("p{i:02}"), "pending_approval", 10_000 + i * 10);
        s.gross = Some(1_000 * (i % 7));
        insert(&db, &t, &s).await;
        original.push(s.id);
    }
    // Newest first, 7 a page, with documents arriving between pages: one newer than
    // everything (before the cursor, so not on a later page), one just behind the
    // cursor with the same timestamp as a seen row, one far ahead of it.
    let sort = Sort::default();
    let f = InvoiceFilter::default();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = db
            .list_invoices(&t, &f, &sort, cursor.as_deref(), 7)
            .await
            .unwrap();
        pages += 1;
        seen.extend(page.items.iter().map(|s| s.id.clone()));
        if pages == 1 {
            insert(&db, &t, &spec("new-top", "pending_approval", 99_999)).await;
            // Page 1 ends with p23. Same received_at as p23 and an id sorting
            // before it: after the cursor in descending order, so on a later page.
            insert(&db, &t, &spec("p22z", "pending_approval", 10_230)).await;
            // Same received_at and an id after it: before the cursor, never shown.
            insert(&db, &t, &spec("p23~", "pending_approval", 10_230)).await;
        }
        if pages == 2 {
            insert(&db, &t, &spec("p00-old", "pending_approval", 5)).await;
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no duplicates: {seen:?}");
    for id in &original {
        assert!(unique.contains(id), "gap: {id} missing from {seen:?}");
    }
    assert!(unique.contains(&"p22z".to_string()) && unique.contains(&"p00-old".to_string()));
    assert!(!unique.contains(&"new-top".to_string()) && !unique.contains(&"p23~".to_string()));
    assert_eq!(seen.len(), 32);
    assert_eq!(seen.last().map(String::as_str), Some("p00-old"));

    // The same under a sort with many ties (gross repeats every 7 rows).
    let by_gross = all_pages(&db, &t, &f, "-gross", 3).await;
    assert_eq!(by_gross, ids(&db, &t, &f, "-gross").await);
    assert_eq!(by_gross.len(), 34);

    // Cursors are opaque, bound to the tenant and the sort order.
    let page = db.list_invoices(&t, &f, &sort, None, 5).await.unwrap();
    let c = page.next_cursor.unwrap();
    let mut tampered: Vec<char> = c.chars().collect();
    let mid = tampered.len() / 2;
    tampered[mid] = if tampered[mid] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    invalid(
        db.list_invoices(&t, &f, &sort, Some(&tampered), 5).await,
        "cursor",
    );
    invalid(
        db.list_invoices(&t, &f, &sort, Some("not a cursor"), 5)
            .await,
        "damaged",
    );
    invalid(
        db.list_invoices(&t, &f, &Sort::parse("-gross").unwrap(), Some(&c), 5)
            .await,
        "another listing or sort order",
    );
    invalid(
        db.list_invoices(&t, &f, &Sort::parse("received_at").unwrap(), Some(&c), 5)
            .await,
        "another listing or sort order",
    );
    invalid(
        db.list_invoices(&b, &f, &sort, Some(&c), 5).await,
        "not issued for this tenant",
    );
    // The genuine cursor still works after all that.
    let next = db.list_invoices(&t, &f, &sort, Some(&c), 5).await.unwrap();
    assert_eq!(next.items.len(), 5);
    assert!(
        !page
            .items
            .iter()
            .any(|s| next.items.iter().any(|n| n.id == s.id))
    );

    // Limits are clamped to 1..=200.
    let one = db.list_invoices(&t, &f, &sort, None, 0).await.unwrap();
    assert_eq!(one.items.len(), 1);
    assert!(one.next_cursor.is_some());
    let many = db.list_invoices(&t, &f, &sort, None, 10_000).await.unwrap();
    assert_eq!((many.items.len(), many.next_cursor), (34, None));
}

async fn isolation(db: Db) {
    let a = db.ensure_tenant("alpha", "Alpha", "{}").await.unwrap();
    let b = db.ensure_tenant("bravo", "Bravo", "{}").await.unwrap();
    let mut s = spec("a1", "pending_approval", 1000);
    s.findings = 1;
    s.approvals_needed = Some(2);
    insert(&db, &a, &s).await;
    insert(&db, &b, &spec("b1", "approved", 1000)).await;
    db.approve(&a, "a1", &user("ua"), None, None).await.unwrap();
    db.correct_field(&a, "a1", "po_number", Some("PO-9"), &user("uc"), None, None)
        .await
        .unwrap();

    // Tenant B sees nothing of A: not by id, not through filters or search.
    assert!(db.invoice_detail(&b, "a1").await.unwrap().is_none());
    let f = InvoiceFilter::default();
    assert_eq!(ids(&db, &b, &f, "-received_at").await, ["b1"]);
    for filter in [
        InvoiceFilter {
            vendor_id: Some("v1".into()),
            statuses: vec!["pending_approval".into()],
            ..f.clone()
        },
        InvoiceFilter {
            q: Some("N-a1".into()),
            ..f.clone()
        },
        InvoiceFilter {
            has_findings: Some(true),
            ..f.clone()
        },
    ] {
        assert!(
            ids(&db, &b, &filter, "-gross").await.is_empty(),
            "{filter:?}"
        );
    }
    // ... and cannot change A's document: it is simply not found.
    not_found(db.approve(&b, "a1", &admin("ub"), None, None).await);
    not_found(db.reject(&b, "a1", &admin("ub"), "no", None).await);
    not_found(db.request_info(&b, "a1", &admin("ub"), "why?", None).await);
    not_found(
        db.provide_info(&b, "a1", &admin("ub"), "because", None)
            .await,
    );
    not_found(
        db.correct_field(
            &b,
            "a1",
            "iban",
            Some("DE89370400440532013000"),
            &user("ub"),
            None,
            None,
        )
        .await,
    );
    not_found(db.mark_exported(&b, &["a1"], &user("ub")).await);
    let recheck = Recheck {
        findings: vec![],
        status: "pending_approval".into(),
        decision: "needs-approval".into(),
        risk_score: 0,
        reasons: vec![],
    };
    not_found(
        db.replace_check_result(&b, "a1", &recheck, &user("ub"), None)
            .await,
    );
    // Nor read its trail, changes or exports.
    let trail = db
        .audit_log(
            &b,
            &AuditFilter {
                document_id: Some("a1".into()),
                ..AuditFilter::default()
            },
            None,
            200,
        )
        .await
        .unwrap();
    assert!(trail.items.is_empty());
    let all_b = db
        .audit_log(&b, &AuditFilter::default(), None, 200)
        .await
        .unwrap();
    assert!(
        all_b
            .items
            .iter()
            .all(|e| e.document_id.as_deref() != Some("a1"))
    );
    let changes = db.changes_since(&b, None, 200, 0).await.unwrap();
    assert_eq!(
        changes
            .items
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        ["b1"]
    );
    let export = db
        .export_approved(&b, &ExportQuery::default(), None, 200)
        .await
        .unwrap();
    assert_eq!(
        export
            .items
            .iter()
            .map(|r| r.document_id.as_str())
            .collect::<Vec<_>>(),
        ["b1"]
    );
    // A's document is as A left it.
    let d = db.invoice_detail(&a, "a1").await.unwrap().unwrap();
    assert_eq!((d.status.as_str(), d.version), ("pending_approval", 3));
}

async fn approvals(db: Db) {
    let t = db
        .ensure_tenant("acme", "ACME", THRESHOLD_SETTINGS)
        .await
        .unwrap();

    // A document the pipeline took in and checked, through the public API.
    let Intake::Created { document_id: piped } = db
        .intake(
            &t,
            &NewDocument {
                filename: "piped.pdf".into(),
                sha256: "ab".repeat(32),
                size: 10,
                media_type: "application/pdf".into(),
                blob_key: "documents/ab".into(),
                message_id: None,
                origin_json: "{}".into(),
                channel: "test".into(),
                uploaded_by: Some("u_piped".into()),
            },
            3,
        )
        .await
        .unwrap()
    else {
        panic!("a new document")
    };
    let job = db
        .claim("w", Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    db.complete(
        &job,
        "w",
        &StageOutcome {
            result_json: "{}".into(),
            plugins_json: "{}".into(),
            status: Some("pending_approval".into()),
            kind: Some("invoice".into()),
            decision: Some("needs-approval".into()),
            risk_score: Some(10),
            invoice: Some(InvoiceWrite {
                vendor_name: Some("Piped Ltd".into()),
                currency: Some("EUR".into()),
                gross_minor: Some(700_000),
                fields_json: r#"{"gross_total":"7000.00","currency":"EUR"}"#.into(),
                invoice_json: r#"{"gross_total":{"minor":700000,"currency":"EUR"}}"#.into(),
                ..InvoiceWrite::default()
            }),
            findings: Some(vec![FindingWrite {
                rule: "amount.round".into(),
                severity: "low".into(),
                score: 10,
                message: "round".into(),
                evidence_json: "[]".into(),
                plugin: "host".into(),
            }]),
            ..StageOutcome::default()
        },
        None,
    )
    .await
    .unwrap();
    let d = db.invoice_detail(&t, &piped).await.unwrap().unwrap();
    assert_eq!(
        (d.version, d.approvals_needed, d.findings.len()),
        (1, None, 1)
    );
    // 7000 EUR is above the 5000 threshold: two approvers, computed from the
    // tenant's settings because the row has no count yet.
    forbidden(
        db.approve(&t, &piped, &user("u_piped"), None, Some(1))
            .await,
        "uploaded",
    );
    let o = db
        .approve(&t, &piped, &user("u1"), Some("ok"), Some(1))
        .await
        .unwrap();
    assert_eq!(
        (
            o.status.as_str(),
            o.version,
            o.approvals_needed,
            o.approved_by.clone()
        ),
        ("pending_approval", 2, Some(2), vec!["u1".to_string()])
    );
    forbidden(
        db.approve(&t, &piped, &user("u1"), None, None).await,
        "already approved",
    );
    let o = db
        .approve(&t, &piped, &user("u2"), None, Some(2))
        .await
        .unwrap();
    assert_eq!((o.status.as_str(), o.version), ("approved", 3));
    assert_eq!(o.approved_by, ["u1", "u2"]);
    wrong_state(
        db.approve(&t, &piped, &user("u3"), None, None).await,
        "approved",
    );
    let d = db.invoice_detail(&t, &piped).await.unwrap().unwrap();
    assert_eq!(d.approved_by, ["u1", "u2"]);
    assert_eq!(
        d.approvals
            .iter()
            .map(|a| (a.actor.as_str(), a.action.as_str(), a.comment.as_deref()))
            .collect::<Vec<_>>(),
        [("u1", "approve", Some("ok")), ("u2", "approve", None)]
    );
    let approve_audit: Vec<(&str, &str)> = d
        .audit
        .iter()
        .filter(|e| e.action == "approve")
        .map(|e| (e.actor.as_str(), e.detail.as_str()))
        .collect();
    assert_eq!(
        approve_audit,
        [
            (
                "user:u1",
                "approval 1 of 2; pending_approval → pending_approval: ok"
            ),
            ("user:u2", "approval 2 of 2; pending_approval → approved"),
        ]
    );

    // One approval below the threshold; the uploader may not approve.
    let mut s = spec("small", "pending_approval", 1000);
    s.uploaded_by = Some("u_up".into());
    insert(&db, &t, &s).await;
    forbidden(
        db.approve(&t, "small", &admin("u_up"), None, None).await,
        "uploaded",
    );
    let o = db
        .approve(&t, "small", &user("u1"), None, None)
        .await
        .unwrap();
    assert_eq!(
        (o.status.as_str(), o.approvals_needed),
        ("approved", Some(1))
    );

    // A count the stage already fixed is respected.
    let mut s = spec("three", "pending_approval", 1000);
    s.approvals_needed = Some(3);
    insert(&db, &t, &s).await;
    for (n, u) in ["u1", "u2"].into_iter().enumerate() {
        let o = db.approve(&t, "three", &user(u), None, None).await.unwrap();
        assert_eq!(
            (o.status.as_str(), o.approved_by.len()),
            ("pending_approval", n + 1)
        );
    }
    assert_eq!(
        db.approve(&t, "three", &user("u3"), None, None)
            .await
            .unwrap()
            .status,
        "approved"
    );

    // On hold: administrators only.
    insert(&db, &t, &spec("held", "on_hold", 1000)).await;
    forbidden(
        db.approve(&t, "held", &user("u1"), None, None).await,
        "administrator",
    );
    forbidden(
        db.request_info(&t, "held", &user("u1"), "why?", None).await,
        "administrator",
    );
    forbidden(
        db.reject(&t, "held", &user("u1"), "fraud", None).await,
        "administrator",
    );
    assert_eq!(version(&db, &t, "held").await, 1, "refusals write nothing");
    assert_eq!(
        db.approve(&t, "held", &admin("boss"), None, None)
            .await
            .unwrap()
            .status,
        "approved"
    );

    // Rejecting needs a reason.
    insert(&db, &t, &spec("rej", "pending_approval", 1000)).await;
    invalid(
        db.reject(&t, "rej", &user("u1"), "", None).await,
        "reason is required",
    );
    invalid(
        db.reject(&t, "rej", &user("u1"), "   ", None).await,
        "reason is required",
    );
    invalid(
        db.reject(&t, "rej", &user("u1"), &"x".repeat(2001), None)
            .await,
        "longer than 2000",
    );
    let o = db
        .reject(&t, "rej", &user("u1"), " duplicate of N-7 ", None)
        .await
        .unwrap();
    assert_eq!((o.status.as_str(), o.version), ("rejected", 2));
    let d = db.invoice_detail(&t, "rej").await.unwrap().unwrap();
    assert_eq!(d.approvals[0].comment.as_deref(), Some("duplicate of N-7"));
    wrong_state(
        db.reject(&t, "rej", &user("u1"), "again", None).await,
        "rejected",
    );
    wrong_state(
        db.approve(&t, "rej", &user("u2"), None, None).await,
        "rejected",
    );

    // Version conflicts (If-Match).
    insert(&db, &t, &spec("ver", "pending_approval", 1000)).await;
    match db.approve(&t, "ver", &user("u1"), None, Some(7)).await {
        Err(StoreError::Conflict { current_version }) => assert_eq!(current_version, 1),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(matches!(
        db.reject(&t, "ver", &user("u1"), "r", Some(0)).await,
        Err(StoreError::Conflict { current_version: 1 })
    ));
    assert_eq!(
        db.approve(&t, "ver", &user("u1"), None, Some(1))
            .await
            .unwrap()
            .version,
        2
    );

    // Information request round trip: approvals before it no longer count.
    let mut s = spec("info", "pending_approval", 1000);
    s.gross = Some(900_000);
    insert(&db, &t, &s).await;
    db.approve(&t, "info", &user("u1"), None, None)
        .await
        .unwrap();
    invalid(
        db.request_info(&t, "info", &user("u3"), " ", None).await,
        "comment is required",
    );
    let o = db
        .request_info(&t, "info", &user("u3"), "PO number?", None)
        .await
        .unwrap();
    assert_eq!(
        (o.status.as_str(), o.approved_by.len()),
        ("info_requested", 0)
    );
    wrong_state(
        db.approve(&t, "info", &user("u2"), None, None).await,
        "info_requested",
    );
    invalid(
        db.provide_info(&t, "info", &user("u_clerk"), "", None)
            .await,
        "comment is required",
    );
    let o = db
        .provide_info(&t, "info", &user("u_clerk"), "PO 4711", Some(3))
        .await
        .unwrap();
    assert_eq!((o.status.as_str(), o.version), ("pending_approval", 4));
    wrong_state(
        db.provide_info(&t, "info", &user("u_clerk"), "again", None)
            .await,
        "pending_approval",
    );
    let o = db
        .approve(&t, "info", &user("u1"), None, None)
        .await
        .unwrap();
    assert_eq!(
        (o.status.as_str(), o.approved_by.clone()),
        ("pending_approval", vec!["u1".to_string()])
    );
    assert_eq!(
        db.approve(&t, "info", &user("u2"), None, None)
            .await
            .unwrap()
            .status,
        "approved"
    );
    let d = db.invoice_detail(&t, "info").await.unwrap().unwrap();
    let actions: Vec<&str> = d.approvals.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "approve",
            "request-info",
            "provide-info",
            "approve",
            "approve"
        ]
    );
    // A rejection straight from an information request.
    insert(&db, &t, &spec("info2", "pending_approval", 1000)).await;
    db.request_info(&t, "info2", &user("u3"), "which project?", None)
        .await
        .unwrap();
    assert_eq!(
        db.reject(&t, "info2", &user("u3"), "no answer", None)
            .await
            .unwrap()
            .status,
        "rejected"
    );

    // A broken approval policy is a clear error, not a guess.
    let bad = db
        .ensure_tenant(
            "bad",
            "Bad",
            r#"{"approval": {"bands": [{"approvals": 0}]}}"#,
        )
        .await
        .unwrap();
    insert(&db, &bad, &spec("bad1", "pending_approval", 1000)).await;
    invalid(
        db.approve(&bad, "bad1", &user("u1"), None, None).await,
        "approval settings",
    );
    not_found(db.approve(&t, "missing", &user("u1"), None, None).await);
    invalid(
        db.approve(&t, "ver", &user(" "), None, None).await,
        "user id is empty",
    );
}

async fn concurrent_approvals(db: Db) {
    let t = db
        .ensure_tenant("acme", "ACME", THRESHOLD_SETTINGS)
        .await
        .unwrap();
    // Two approvers send the same If-Match at once: exactly one wins.
    for n in 0..5 {
        let id = format!("c{n}");
        insert(&db, &t, &spec(&id, "pending_approval", 1000)).await;
        let tasks: Vec<_> = ["u1", "u2"]
            .into_iter()
            .map(|u| {
                let (db, t, id) = (db.clone(), t.clone(), id.clone());
                tokio::spawn(async move { db.approve(&t, &id, &user(u), None, Some(1)).await })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        let wins = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "{results:?}");
        assert!(
            results
                .iter()
                .any(|r| matches!(r, Err(StoreError::Conflict { current_version: 2 }))),
            "{results:?}"
        );
        let d = db.invoice_detail(&t, &id).await.unwrap().unwrap();
        assert_eq!(
            (d.status.as_str(), d.version, d.approvals.len()),
            ("approved", 2, 1)
        );
    }
    // Without If-Match, concurrent approvals queue: none is lost.
    let mut s = spec("big", "pending_approval", 1000);
    s.approvals_needed = Some(4);
    insert(&db, &t, &s).await;
    let tasks: Vec<_> = ["u1", "u2", "u3", "u4"]
        .into_iter()
        .map(|u| {
            let (db, t) = (db.clone(), t.clone());
            tokio::spawn(async move { db.approve(&t, "big", &user(u), None, None).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let d = db.invoice_detail(&t, "big").await.unwrap().unwrap();
    assert_eq!(
        (d.status.as_str(), d.version, d.approved_by.len()),
        ("approved", 5, 4)
    );
}

async fn corrections(db: Db) {
    let t = db
        .ensure_tenant("acme", "ACME", THRESHOLD_SETTINGS)
        .await
        .unwrap();
    let mut s = spec("k1", "pending_approval", 1000);
    s.findings = 2;
    insert(&db, &t, &s).await;

    // Per-field evidence from the extract stage's stored result.
    let d = db.invoice_detail(&t, "k1").await.unwrap().unwrap();
    let inv = d.invoice.as_ref().unwrap();
    let number = inv
        .field_details
        .iter()
        .find(|f| f.field == "invoice_number")
        .unwrap();
    assert_eq!(
        (
            number.value.as_str(),
            number.confidence,
            number.page,
            number.line
        ),
        (Some("N-k1"), Some(0.93), Some(1), Some(4))
    );
    assert_eq!(number.source.as_deref(), Some("text-layer"));
    let tax = inv
        .field_details
        .iter()
        .find(|f| f.field == "vendor_tax_id")
        .unwrap();
    assert_eq!(
        (tax.value.as_str(), tax.confidence),
        (Some("DE123456789"), None)
    );
    assert_eq!(inv.field_details.len(), 14);

    // Bad names and values are refused with what is wrong, and write nothing.
    let u5 = user("u5");
    invalid(
        db.correct_field(&t, "k1", "colour", Some("red"), &u5, None, None)
            .await,
        "unknown field `colour`",
    );
    invalid(
        db.correct_field(&t, "k1", "line_items", Some("[]"), &u5, None, None)
            .await,
        "line_items",
    );
    invalid(
        db.correct_field(&t, "k1", "issue_date", Some("31.12.2024"), &u5, None, None)
            .await,
        "YYYY-MM-DD",
    );
    invalid(
        db.correct_field(&t, "k1", "due_date", Some("2023-02-29"), &u5, None, None)
            .await,
        "YYYY-MM-DD",
    );
    invalid(
        db.correct_field(&t, "k1", "gross_total", Some("12,50"), &u5, None, None)
            .await,
        "decimal amount",
    );
    invalid(
        db.correct_field(&t, "k1", "gross_total", Some("1.001"), &u5, None, None)
            .await,
        "decimal amount",
    );
    invalid(
        db.correct_field(&t, "k1", "currency", Some("EURO"), &u5, None, None)
            .await,
        "ISO 4217",
    );
    invalid(
        db.correct_field(&t, "k1", "iban", Some("DE00 1234"), &u5, None, None)
            .await,
        "not a valid IBAN",
    );
    assert_eq!(version(&db, &t, "k1").await, 1);
    assert!(
        db.invoice_detail(&t, "k1")
            .await
            .unwrap()
            .unwrap()
            .corrections
            .is_empty()
    );

    // A good value: normalised, written to both JSON forms and the list columns,
    // recorded, audited, version bumped.
    // Signed off (1000 EUR needs one approval): no longer correctable, see below.
    db.approve(&t, "k1", &user("u1"), None, None).await.unwrap();
    insert(&db, &t, &{
        let mut s = spec("k2", "pending_approval", 2000);
        s.findings = 2;
        s
    })
    .await;
    let c = db
        .correct_field(
            &t,
            "k2",
            "gross_total",
            Some(" 6000 "),
            &u5,
            Some("read from the scan"),
            Some(1),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            c.old_value.as_deref(),
            c.new_value.as_deref(),
            c.changed,
            c.version,
            c.status.as_str()
        ),
        (
            Some("1000.00"),
            Some("6000.00"),
            true,
            2,
            "pending_approval"
        )
    );
    let fields: Value = serde_json::from_str(&c.fields_json).unwrap();
    let invoice: Value = serde_json::from_str(&c.invoice_json).unwrap();
    assert_eq!(fields["gross_total"], "6000.00");
    assert_eq!(
        invoice["gross_total"],
        json!({"minor": 600_000, "currency": "EUR"})
    );
    let manual: Vec<&Value> = invoice["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["field"] == "gross_total")
        .collect();
    assert_eq!(manual.len(), 1);
    assert_eq!(
        (&manual[0]["source"], &manual[0]["confidence"]),
        (&json!("Manual"), &json!(1.0))
    );
    let listed = db
        .list_invoices(
            &t,
            &InvoiceFilter {
                min_gross_minor: Some(600_000),
                ..InvoiceFilter::default()
            },
            &Sort::default(),
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(
        listed
            .items
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        ["k2"]
    );
    assert_eq!(listed.items[0].version, 2);
    let d = db.invoice_detail(&t, "k2").await.unwrap().unwrap();
    assert_eq!(d.corrections.len(), 1);
    let cr = &d.corrections[0];
    assert_eq!(
        (
            cr.field.as_str(),
            cr.old_value.as_deref(),
            cr.new_value.as_deref(),
            cr.actor.as_str()
        ),
        ("gross_total", Some("1000.00"), Some("6000.00"), "u5")
    );
    assert_eq!(cr.comment.as_deref(), Some("read from the scan"));
    let gross = d
        .invoice
        .as_ref()
        .unwrap()
        .field_details
        .iter()
        .find(|f| f.field == "gross_total")
        .unwrap();
    assert_eq!(
        (
            gross.source.as_deref(),
            gross.confidence,
            gross.corrected_by.as_deref(),
            gross.page
        ),
        (Some("manual"), Some(1.0), Some("u5"), None)
    );
    let audit = d.audit.iter().find(|e| e.action == "correct").unwrap();
    assert_eq!(audit.actor, "user:u5");
    assert_eq!(
        audit.detail,
        "gross_total: 1000.00 → 6000.00: read from the scan"
    );

    // IBAN normalised; the list column follows.
    let c = db
        .correct_field(
            &t,
            "k2",
            "iban",
            Some("gb82 west 1234 5698 7654 32"),
            &user("u6"),
            None,
            Some(2),
        )
        .await
        .unwrap();
    assert_eq!(
        (c.new_value.as_deref(), c.version),
        (Some("GB82WEST12345698765432"), 3)
    );
    let d = db.invoice_detail(&t, "k2").await.unwrap().unwrap();
    assert_eq!(
        d.invoice.as_ref().unwrap().iban.as_deref(),
        Some("GB82WEST12345698765432")
    );
    // The same value again changes nothing.
    let same = db
        .correct_field(
            &t,
            "k2",
            "iban",
            Some("GB82WEST12345698765432"),
            &user("u6"),
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!((same.changed, same.version), (false, 3));
    // A stale version is a conflict.
    assert!(matches!(
        db.correct_field(
            &t,
            "k2",
            "po_number",
            Some("PO-2"),
            &user("u6"),
            None,
            Some(2)
        )
        .await,
        Err(StoreError::Conflict { current_version: 3 })
    ));
    // Clearing a field.
    let c = db
        .correct_field(&t, "k2", "po_number", None, &user("u6"), None, None)
        .await
        .unwrap();
    assert_eq!(
        (c.old_value.as_deref(), c.new_value, c.version),
        (Some("PO-1"), None, 4)
    );

    // Correctors may not approve (segregation of duties).
    forbidden(
        db.approve(&t, "k2", &admin("u5"), None, None).await,
        "corrected",
    );

    // The API runs the checks again and stores the outcome.
    let recheck = Recheck {
        findings: vec![FindingWrite {
            rule: "amount.round".into(),
            severity: "high".into(),
            score: 80,
            message: "round amount".into(),
            evidence_json: r#"[{"label":"gross","value":"6000.00"}]"#.into(),
            plugin: "host".into(),
        }],
        status: "on_hold".into(),
        decision: "hold".into(),
        risk_score: 80,
        reasons: vec![],
    };
    invalid(
        db.replace_check_result(
            &t,
            "k2",
            &Recheck {
                status: "approved".into(),
                ..recheck.clone()
            },
            &user("u6"),
            None,
        )
        .await,
        "sets the status",
    );
    invalid(
        db.replace_check_result(
            &t,
            "k2",
            &Recheck {
                risk_score: 101,
                ..recheck.clone()
            },
            &user("u6"),
            None,
        )
        .await,
        "outside 0..=100",
    );
    let o = db
        .replace_check_result(&t, "k2", &recheck, &user("u6"), Some(4))
        .await
        .unwrap();
    // 6000 EUR is above the threshold: two approvals now.
    assert_eq!(
        (o.status.as_str(), o.version, o.approvals_needed),
        ("on_hold", 5, Some(2))
    );
    let d = db.invoice_detail(&t, "k2").await.unwrap().unwrap();
    assert_eq!(
        (d.decision.as_deref(), d.risk_score),
        (Some("hold"), Some(80))
    );
    assert_eq!(d.findings.len(), 1);
    assert_eq!(
        d.findings[0].evidence,
        json!([{"label": "gross", "value": "6000.00"}])
    );
    assert!(
        d.audit
            .iter()
            .any(|e| e.action == "recheck" && e.actor == "user:u6")
    );

    // Not once signed off.
    wrong_state(
        db.correct_field(&t, "k1", "po_number", Some("X"), &user("u7"), None, None)
            .await,
        "approved",
    );
    wrong_state(
        db.replace_check_result(&t, "k1", &recheck, &user("u7"), None)
            .await,
        "approved",
    );

    // A scan with no fields read gets its invoice by manual entry.
    let mut s = spec("scan", "on_hold", 3000);
    s.vendor = None;
    insert(&db, &t, &s).await;
    db.raw_execute("UPDATE documents SET kind = 'invoice' WHERE id = 'scan'")
        .await
        .unwrap();
    invalid(
        db.correct_field(
            &t,
            "scan",
            "gross_total",
            Some("12"),
            &user("u8"),
            None,
            None,
        )
        .await,
        "correct `currency` first",
    );
    db.correct_field(&t, "scan", "currency", Some("chf"), &user("u8"), None, None)
        .await
        .unwrap();
    let c = db
        .correct_field(
            &t,
            "scan",
            "gross_total",
            Some("12"),
            &user("u8"),
            None,
            None,
        )
        .await
        .unwrap();
    let invoice: Value = serde_json::from_str(&c.invoice_json).unwrap();
    assert_eq!(
        invoice["gross_total"],
        json!({"minor": 1200, "currency": "CHF"})
    );
    assert_eq!(invoice["kind"], "Invoice");
    let listed = ids(
        &db,
        &t,
        &InvoiceFilter {
            currency: Some("CHF".into()),
            ..InvoiceFilter::default()
        },
        "-received_at",
    )
    .await;
    assert_eq!(listed, ["scan"]);
}

async fn export(db: Db) {
    let t = db.ensure_tenant("acme", "ACME", "{}").await.unwrap();
    insert(&db, &t, &spec("e1", "pending_approval", 1000)).await;
    insert(&db, &t, &spec("e2", "auto_approved", 2000)).await;
    insert(&db, &t, &spec("e3", "pending_approval", 3000)).await;
    db.approve(&t, "e1", &user("u1"), None, None).await.unwrap();

    let q = ExportQuery::default();
    let rows = db.export_approved(&t, &q, None, 200).await.unwrap().items;
    let by_id = |id: &str| rows.iter().find(|r| r.document_id == id).unwrap().clone();
    assert_eq!(rows.len(), 2);
    let e1 = by_id("e1");
    assert_eq!(
        (
            e1.vendor_name.as_deref(),
            e1.vendor_tax_id.as_deref(),
            e1.invoice_number.as_deref(),
            e1.gross_total.as_deref(),
            e1.gross_minor,
        ),
        (
            Some("Acme GmbH"),
            Some("DE123456789"),
            Some("N-e1"),
            Some("1000.00"),
            Some(100_000)
        )
    );
    assert_eq!(
        (
            e1.iban.as_deref(),
            e1.bic.as_deref(),
            e1.po_number.as_deref(),
            e1.due_date.as_deref()
        ),
        (
            Some("DE89370400440532013000"),
            Some("COBADEFFXXX"),
            Some("PO-1"),
            Some("2024-12-31")
        )
    );
    assert_eq!(
        (
            e1.approvers.clone(),
            e1.approved_at.is_some(),
            e1.status.as_str()
        ),
        (vec!["u1".to_string()], true, "approved")
    );
    let e2 = by_id("e2");
    assert!(e2.approvers.is_empty() && e2.approved_at.is_none());
    // Page by page.
    let first = db.export_approved(&t, &q, None, 1).await.unwrap();
    let second = db
        .export_approved(&t, &q, first.next_cursor.as_deref(), 1)
        .await
        .unwrap();
    assert_eq!(first.items.len() + second.items.len(), 2);
    assert_ne!(first.items[0].document_id, second.items[0].document_id);
    assert!(second.next_cursor.is_none());
    invalid(
        db.list_invoices(
            &t,
            &InvoiceFilter::default(),
            &Sort::default(),
            first.next_cursor.as_deref(),
            5,
        )
        .await,
        "another listing",
    );

    // Marking is all or nothing.
    wrong_state(
        db.mark_exported(&t, &["e1", "e3"], &user("erp")).await,
        "pending_approval",
    );
    assert_eq!(status(&db, &t, "e1").await, "approved");
    not_found(db.mark_exported(&t, &["e1", "nope"], &user("erp")).await);
    invalid(
        db.mark_exported(&t, &[], &user("erp")).await,
        "between 1 and 1000",
    );
    let marked = db
        .mark_exported(&t, &["e1", "e2", "e1"], &user("erp"))
        .await
        .unwrap();
    assert_eq!(
        marked
            .iter()
            .map(|o| (o.id.as_str(), o.status.as_str()))
            .collect::<Vec<_>>(),
        [("e1", "exported"), ("e2", "exported")]
    );
    let d = db.invoice_detail(&t, "e1").await.unwrap().unwrap();
    assert!(d.exported_at.is_some());
    assert_eq!(d.version, 3);
    assert!(
        d.audit
            .iter()
            .any(|e| e.action == "export" && e.actor == "user:erp")
    );
    // A retried export changes nothing.
    let again = db.mark_exported(&t, &["e1"], &user("erp")).await.unwrap();
    assert_eq!(
        (again[0].status.as_str(), again[0].version),
        ("exported", 3)
    );
    assert!(
        db.export_approved(&t, &q, None, 200)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let all = db
        .export_approved(
            &t,
            &ExportQuery {
                include_exported: true,
                since: None,
            },
            None,
            200,
        )
        .await
        .unwrap();
    assert_eq!(all.items.len(), 2);
    assert!(
        all.items
            .iter()
            .all(|r| r.exported_at.is_some() && r.status == "exported")
    );
    let later = db
        .export_approved(
            &t,
            &ExportQuery {
                include_exported: true,
                since: Some(papyr_store::now_ms() + 60_000),
            },
            None,
            200,
        )
        .await
        .unwrap();
    assert!(later.items.is_empty());
    wrong_state(
        db.approve(&t, "e1", &user("u2"), None, None).await,
        "exported",
    );
}

async fn audit(db: Db) {
    let t = db
        .ensure_tenant("acme", "ACME", THRESHOLD_SETTINGS)
        .await
        .unwrap();
    let b = db.ensure_tenant("bravo", "Bravo", "{}").await.unwrap();
    for id in ["a1", "a2", "a3"] {
        insert(&db, &t, &spec(id, "pending_approval", 1000)).await;
    }
    db.approve(&t, "a1", &user("u1"), None, None).await.unwrap();
    db.request_info(&t, "a2", &user("u2"), "PO?", None)
        .await
        .unwrap();
    db.provide_info(&t, "a2", &user("u1"), "PO 1", None)
        .await
        .unwrap();
    db.approve(&t, "a2", &user("u2"), None, None).await.unwrap();
    db.correct_field(&t, "a3", "po_number", Some("PO-3"), &user("u1"), None, None)
        .await
        .unwrap();
    db.audit(&t, None, "system", "tenant-note", "not about a document")
        .await
        .unwrap();

    let all = db
        .audit_log(&t, &AuditFilter::default(), None, 200)
        .await
        .unwrap();
    assert_eq!(all.items.len(), 6);
    assert!(
        all.items.windows(2).all(|w| w[0].id > w[1].id),
        "newest first"
    );
    assert_eq!(all.items[0].action, "tenant-note");
    let page = |f: AuditFilter| {
        let db = db.clone();
        let t = t.clone();
        async move {
            db.audit_log(&t, &f, None, 200)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|e| (e.document_id.unwrap_or_default(), e.action))
                .collect::<Vec<_>>()
        }
    };
    let s = |d: &str, a: &str| (d.to_string(), a.to_string());
    assert_eq!(
        page(AuditFilter {
            actor: Some("user:u1".into()),
            ..AuditFilter::default()
        })
        .await,
        [
            s("a3", "correct"),
            s("a2", "provide-info"),
            s("a1", "approve")
        ]
    );
    assert_eq!(
        page(AuditFilter {
            action: Some("approve".into()),
            ..AuditFilter::default()
        })
        .await,
        [s("a2", "approve"), s("a1", "approve")]
    );
    assert_eq!(
        page(AuditFilter {
            document_id: Some("a2".into()),
            actor: Some("user:u2".into()),
            ..AuditFilter::default()
        })
        .await,
        [s("a2", "approve"), s("a2", "request-info")]
    );
    let newest = all.items[0].at;
    assert!(
        page(AuditFilter {
            from: Some(newest + 1),
            ..AuditFilter::default()
        })
        .await
        .is_empty()
    );
    assert_eq!(
        page(AuditFilter {
            to: Some(newest + 1),
            from: Some(0),
            ..AuditFilter::default()
        })
        .await
        .len(),
        6
    );

    // Paging by two: the same entries, once each.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let p = db
            .audit_log(&t, &AuditFilter::default(), cursor.as_deref(), 2)
            .await
            .unwrap();
        assert!(p.items.len() <= 2);
        seen.extend(p.items.iter().map(|e| e.id));
        if seen.len() == 2 {
            // Entries written meanwhile are newer: they do not shift later pages.
            db.approve(&t, "a3", &user("u9"), None, None).await.unwrap();
        }
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, all.items.iter().map(|e| e.id).collect::<Vec<_>>());
    let c = db
        .audit_log(&t, &AuditFilter::default(), None, 2)
        .await
        .unwrap()
        .next_cursor
        .unwrap();
    invalid(
        db.audit_log(&b, &AuditFilter::default(), Some(&c), 2).await,
        "not issued for this tenant",
    );
    invalid(
        db.audit_log(&t, &AuditFilter::default(), Some(&c[1..]), 2)
            .await,
        "damaged",
    );
    invalid(
        db.list_invoices(&t, &InvoiceFilter::default(), &Sort::default(), Some(&c), 2)
            .await,
        "another listing",
    );
    assert!(
        db.audit_log(&b, &AuditFilter::default(), None, 200)
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

async fn changes(db: Db) {
    let t = db.ensure_tenant("acme", "ACME", "{}").await.unwrap();
    for (id, at) in [("c1", 1000), ("c2", 2000), ("c3", 3000)] {
        insert(&db, &t, &spec(id, "pending_approval", at)).await;
    }
    let first = db.changes_since(&t, None, 2, 0).await.unwrap();
    assert_eq!(
        first
            .items
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        ["c1", "c2"]
    );
    let rest = db
        .changes_since(&t, first.next_cursor.as_deref(), 2, 0)
        .await
        .unwrap();
    assert_eq!(
        rest.items.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["c3"]
    );
    // Nothing new: the same position comes back.
    let idle = db
        .changes_since(&t, rest.next_cursor.as_deref(), 2, 0)
        .await
        .unwrap();
    assert!(idle.items.is_empty());
    assert_eq!(idle.next_cursor, rest.next_cursor);

    tokio::time::sleep(Duration::from_millis(5)).await;
    db.approve(&t, "c1", &user("u1"), None, None).await.unwrap();
    // Within the settle window the change is held back ...
    let held = db
        .changes_since(&t, idle.next_cursor.as_deref(), 10, 60_000)
        .await
        .unwrap();
    assert!(held.items.is_empty());
    // ... and after it, reported once with its new state.
    let news = db
        .changes_since(&t, idle.next_cursor.as_deref(), 10, 0)
        .await
        .unwrap();
    assert_eq!(news.items.len(), 1);
    let c = &news.items[0];
    assert_eq!(
        (c.id.as_str(), c.status.as_str(), c.version),
        ("c1", "approved", 2)
    );
    assert!(
        db.changes_since(&t, news.next_cursor.as_deref(), 10, 0)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // Following from now on.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let live = db.changes_cursor_at(&t, papyr_store::now_ms());
    tokio::time::sleep(Duration::from_millis(5)).await;
    db.reject(&t, "c2", &user("u1"), "dup", None).await.unwrap();
    let news = db.changes_since(&t, Some(&live), 10, 0).await.unwrap();
    assert_eq!(
        news.items.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["c2"]
    );
    let other = db.ensure_tenant("other", "Other", "{}").await.unwrap();
    invalid(
        db.changes_since(&other, Some(&live), 10, 0).await,
        "not issued for this tenant",
    );
}
