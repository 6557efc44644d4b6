//! Native tests of every rule against an in-memory history.
use std::cell::RefCell;

use papyr_sdk::history::{PastInvoice, Vendor, VendorQuery};
use papyr_sdk::types::*;

use crate::util::name_tokens;
use crate::{History, check_invoice, load_config};

// ---------------------------------------------------------------- fake history

#[derive(Default)]
struct Fake {
    vendors: Vec<Vendor>,
    invoices: Vec<PastInvoice>,
    calls: RefCell<Vec<String>>,
}

impl Fake {
    fn match_vendor(&self, q: &VendorQuery) -> Option<&Vendor> {
        if let Some(t) = &q.tax_id {
            let t = papyr_sdk::normalize_id(t);
            if let Some(v) = self
                .vendors
                .iter()
                .find(|v| v.tax_ids.iter().any(|x| papyr_sdk::normalize_id(x) == t))
            {
                return Some(v);
            }
        }
        if let Some(i) = &q.iban
            && let Some(v) = self.vendors.iter().find(|v| v.ibans.contains(i))
        {
            return Some(v);
        }
        if let Some(n) = &q.name {
            let n = name_tokens(n);
            if let Some(v) = self.vendors.iter().find(|v| name_tokens(&v.name) == n) {
                return Some(v);
            }
        }
        if let Some(d) = &q.domain {
            return self.vendors.iter().find(|v| v.domains.contains(d));
        }
        None
    }
}

impl History for Fake {
    fn find_vendor(&self, q: &VendorQuery) -> Option<Vendor> {
        self.calls.borrow_mut().push("find_vendor".into());
        self.match_vendor(q).cloned()
    }
    fn vendors_by_iban(&self, iban: &str) -> Vec<Vendor> {
        self.calls.borrow_mut().push("vendors_by_iban".into());
        self.vendors
            .iter()
            .filter(|v| v.ibans.iter().any(|i| i == iban))
            .cloned()
            .collect()
    }
    fn all_vendors(&self) -> Vec<Vendor> {
        self.calls.borrow_mut().push("all_vendors".into());
        self.vendors.clone()
    }
    fn invoices_of_vendor(
        &self,
        q: &VendorQuery,
        since: Option<Date>,
        limit: u32,
    ) -> Vec<PastInvoice> {
        self.calls.borrow_mut().push("invoices_of_vendor".into());
        let v = self.match_vendor(q);
        let mut out: Vec<PastInvoice> = self
            .invoices
            .iter()
            .filter(|p| match v {
                Some(v) => p.vendor_id.as_deref() == Some(v.id.as_str()),
                None => {
                    q.tax_id.is_some() && p.vendor_tax_id == q.tax_id
                        || q.name.as_ref().is_some_and(|n| {
                            p.vendor_name
                                .as_ref()
                                .is_some_and(|pn| name_tokens(pn) == name_tokens(n))
                        })
                }
            })
            .filter(|p| since.is_none_or(|s| p.issue_date.is_some_and(|d| days(&d) >= days(&s))))
            .cloned()
            .collect();
        out.sort_by_key(|p| std::cmp::Reverse(p.issue_date.map(|d| days(&d))));
        out.truncate(limit as usize);
        out
    }
    fn invoices_by_sha256(&self, sha: &str) -> Vec<PastInvoice> {
        self.invoices
            .iter()
            .filter(|p| p.sha256 == sha)
            .cloned()
            .collect()
    }
    fn invoices_by_iban(&self, iban: &str, limit: u32) -> Vec<PastInvoice> {
        self.invoices
            .iter()
            .filter(|p| p.iban.as_deref() == Some(iban))
            .take(limit as usize)
            .cloned()
            .collect()
    }
}

fn days(d: &Date) -> i64 {
    papyr_sdk::days_from_civil(d)
}

// ---------------------------------------------------------------- builders

const ACME_IBAN: &str = "DE89370400440532013000";
const OTHER_IBAN: &str = "GB82WEST12345698765432";

fn date(s: &str) -> Date {
    crate::util::parse_date_prefix(s).expect("test date")
}

fn eur(s: &str) -> Money {
    papyr_sdk::parse_money(s, "EUR").expect("test amount")
}

fn acme() -> Vendor {
    Vendor {
        id: "v-001".into(),
        name: "ACME GmbH".into(),
        tax_ids: vec!["DE136695976".into()],
        ibans: vec![ACME_IBAN.into()],
        domains: vec!["acme-gmbh.de".into()],
        country: Some("DE".into()),
        created_at: "2024-01-01T00:00:00Z".into(),
        updated_at: "2024-01-01T00:00:00Z".into(),
    }
}

fn globex() -> Vendor {
    Vendor {
        id: "v-002".into(),
        name: "Globex Ltd".into(),
        tax_ids: vec!["GB980780684".into()],
        ibans: vec![OTHER_IBAN.into()],
        domains: vec!["globex.co.uk".into()],
        country: Some("GB".into()),
        created_at: "2023-01-01T00:00:00Z".into(),
        updated_at: "2023-01-01T00:00:00Z".into(),
    }
}

fn tenant() -> Fake {
    Fake {
        vendors: vec![acme(), globex()],
        ..Default::default()
    }
}

fn past(id: &str, number: &str, issue: &str, gross: &str) -> PastInvoice {
    PastInvoice {
        id: id.into(),
        sha256: format!("sha-{id}"),
        vendor_id: Some("v-001".into()),
        vendor_name: Some("ACME GmbH".into()),
        vendor_tax_id: Some("DE136695976".into()),
        invoice_number: Some(number.into()),
        issue_date: Some(date(issue)),
        gross_total: Some(eur(gross)),
        iban: Some(ACME_IBAN.into()),
        received_at: format!("{issue}T10:00:00Z"),
        status: "approved".into(),
    }
}

fn line(page: u32, n: u32, text: &str) -> TextLine {
    TextLine {
        page,
        line: n,
        y: n as f32 * 12.0,
        text: text.into(),
        spans: vec![],
    }
}

/// A clean invoice from ACME (known vendor, correct arithmetic, valid ids),
/// received on Thursday 2026-11-26 from ACME's own domain.
fn input() -> CheckInput {
    let lines = vec![
        line(1, 1, "ACME GmbH  Rechnung"),
        line(1, 2, "Rechnung Nr. RE-2026-118"),
        line(1, 3, "Datum: 24.11.2026"),
        line(1, 4, "Beratung  1  1.000,00"),
        line(1, 5, "Netto 1.000,00  USt 19% 190,00  Gesamt 1.190,00 EUR"),
        line(1, 6, "IBAN DE89 3704 0044 0532 0130 00"),
    ];
    CheckInput {
        document: DocumentInfo {
            media_type: "application/pdf".into(),
            filename: "re-2026-118.pdf".into(),
            sha256: "sha-current".into(),
            size: 12345,
            origin: Origin {
                sender_address: Some("billing@acme-gmbh.de".into()),
                sender_name: Some("ACME GmbH Buchhaltung".into()),
                reply_to: None,
                return_path: Some("bounce@acme-gmbh.de".into()),
                authentication_results: Some("mx.tenant.example; spf=pass smtp.mailfrom=acme-gmbh.de; dkim=pass header.d=acme-gmbh.de; dmarc=pass".into()),
                subject: Some("Rechnung RE-2026-118".into()),
                body_text: Some("Guten Tag, anbei unsere Rechnung. Mit freundlichen Grüßen".into()),
                received_at: Some("2026-11-26T09:00:00Z".into()),
                message_id: Some("<1@acme-gmbh.de>".into()),
                channel: "imap".into(),
            },
        },
        parsed: ParsedDocument {
            format: DocumentFormat::Pdf,
            pages: vec![Page { number: 1, width: 595.0, height: 842.0, lines, image_count: 0 }],
            has_text_layer: true,
            metadata: Metadata {
                title: None,
                author: None,
                producer: Some("Lexware Office 5.2".into()),
                creator: Some("Lexware Office".into()),
                creation_date: Some("2026-11-24T08:00:00Z".into()),
                mod_date: Some("2026-11-24T08:00:00Z".into()),
                first_producer: None,
                xmp_producer: None,
                xmp_creator_tool: None,
                xmp_create_date: None,
                xmp_modify_date: None,
                pdfa: None,
            },
            revisions: vec![rev(0, false, false, Some("Lexware Office 5.2"))],
            edit_count: 0,
            linearized: false,
            encrypted: false,
            fonts: vec![font("ABCDEF+Arial", true), font("GHIJKL+Arial-Bold", true)],
            embedded_files: vec![],
            e_invoice: None,
            warnings: vec![],
        },
        classification: Classification { kind: DocumentKind::Invoice, confidence: 0.95, reasons: vec![] },
        invoice: Invoice {
            kind: DocumentKind::Invoice,
            vendor: Party { name: Some("ACME GmbH".into()), tax_id: Some("DE136695976".into()), address: None, country: Some("DE".into()) },
            customer: Party { name: Some("Demo Tenant GmbH".into()), tax_id: Some("DE123456788".into()), address: None, country: Some("DE".into()) },
            invoice_number: Some("RE-2026-118".into()),
            issue_date: Some(date("2026-11-24")),
            due_date: Some(date("2026-12-08")),
            currency: Some("EUR".into()),
            net_total: Some(eur("1000.00")),
            tax_total: Some(eur("190.00")),
            gross_total: Some(eur("1190.00")),
            prepaid: None,
            amount_due: Some(eur("1190.00")),
            iban: Some("DE89 3704 0044 0532 0130 00".into()),
            bic: None,
            po_number: None,
            payment_terms: None,
            tax_breakdown: vec![TaxLine { rate: dec("19"), basis: eur("1000.00"), amount: eur("190.00"), category: Some("S".into()) }],
            line_items: vec![item("Beratung", "1000.00")],
            evidence: vec![
                FieldEvidence { field: "invoice_number".into(), confidence: 0.9, source: FieldSource::TextLayer, page: 1, line: 2, text: "Rechnung Nr. RE-2026-118".into() },
                FieldEvidence { field: "iban".into(), confidence: 0.9, source: FieldSource::TextLayer, page: 1, line: 6, text: "IBAN DE89 3704 0044 0532 0130 00".into() },
                FieldEvidence { field: "gross_total".into(), confidence: 0.9, source: FieldSource::TextLayer, page: 1, line: 5, text: "Gesamt 1.190,00 EUR".into() },
            ],
        },
        today: date("2026-11-26"),
    }
}

fn dec(s: &str) -> Decimal {
    papyr_sdk::parse_decimal(s).expect("test decimal")
}

fn item(desc: &str, net: &str) -> LineItem {
    LineItem {
        description: desc.into(),
        quantity: Some(dec("1")),
        unit: None,
        unit_price: None,
        net_amount: Some(eur(net)),
        tax_rate: Some(dec("19")),
        product_code: None,
    }
}

fn rev(index: u32, rewrites: bool, sig: bool, producer: Option<&str>) -> Revision {
    Revision {
        index,
        xref_offset: 1000 * index as u64,
        objects_defined: 3,
        objects_replaced: if index > 0 { 2 } else { 0 },
        rewrites_content: rewrites,
        signature_only: sig,
        producer: producer.map(String::from),
    }
}

fn font(base: &str, embedded: bool) -> Font {
    Font {
        base_font: base.into(),
        subset_tag: base.split_once('+').map(|x| x.0.to_string()),
        subtype: "/TrueType".into(),
        embedded,
        pages: vec![1],
    }
}

fn cfg(pairs: &[(&str, &str)]) -> crate::Config {
    let entries: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    load_config(&entries).expect("valid test config")
}

fn run_with(i: &CheckInput, h: &Fake, c: &crate::Config) -> Vec<Finding> {
    check_invoice(i, h, c).expect("check succeeds")
}

fn run(i: &CheckInput, h: &Fake) -> Vec<Finding> {
    run_with(i, h, &cfg(&[]))
}

fn ids(f: &[Finding]) -> Vec<&str> {
    f.iter().map(|f| f.rule.as_str()).collect()
}

fn get<'a>(f: &'a [Finding], rule: &str) -> &'a Finding {
    f.iter()
        .find(|x| x.rule == rule)
        .unwrap_or_else(|| panic!("no {rule} in {:?}", ids(f)))
}

fn has(f: &[Finding], rule: &str) -> bool {
    f.iter().any(|x| x.rule == rule)
}

// ---------------------------------------------------------------- baseline

#[test]
fn clean_invoice_has_no_findings() {
    let f = run(&input(), &tenant());
    assert!(f.is_empty(), "unexpected findings: {f:#?}");
}

#[test]
fn every_documented_rule_id_is_declared() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/CONVENTIONS-INTERNAL.md"
    );
    let Ok(doc) = std::fs::read_to_string(path) else {
        return;
    };
    let declared = crate::rule_ids();
    let mut n = 0;
    for l in doc.lines() {
        if let Some(rest) = l.strip_prefix("- ") {
            let id = rest.split_whitespace().next().unwrap_or("");
            if id.contains('.')
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '-')
            {
                assert!(declared.contains(&id), "rule {id} not declared");
                n += 1;
            }
        }
    }
    assert_eq!(n, declared.len());
    assert_eq!(crate::rule_infos().len(), declared.len());
}

// ---------------------------------------------------------------- duplicates

#[test]
fn exact_duplicate_by_normalised_number() {
    let mut h = tenant();
    h.invoices
        .push(past("d-1", "re 2026 118", "2026-11-24", "1190.00"));
    let f = run(&input(), &h);
    let d = get(&f, "duplicate.exact");
    assert_eq!(d.severity, Severity::High);
    assert!(d.evidence.iter().any(|e| e.value.contains("d-1")));
    assert!(
        d.evidence.iter().any(|e| e.page == 1 && e.line == 2),
        "points at the number's line"
    );
    assert!(
        !has(&f, "duplicate.near"),
        "an exact duplicate is not also near"
    );
}

#[test]
fn no_duplicate_for_other_numbers_or_vendors() {
    let mut h = tenant();
    h.invoices
        .push(past("d-1", "RE-2026-017", "2026-10-01", "500.00"));
    let mut other = past("d-2", "RE-2026-118", "2026-11-20", "1190.00");
    other.vendor_id = Some("v-002".into());
    other.vendor_name = Some("Globex Ltd".into());
    other.vendor_tax_id = Some("GB980780684".into());
    h.invoices.push(other);
    let f = run(&input(), &h);
    assert!(
        !has(&f, "duplicate.exact") && !has(&f, "duplicate.near"),
        "{:?}",
        ids(&f)
    );
}

#[test]
fn same_file_is_also_an_exact_duplicate() {
    let mut h = tenant();
    let mut p = past("d-9", "RE-2026-118", "2026-11-24", "1190.00");
    p.sha256 = "sha-current".into();
    h.invoices.push(p);
    let f = run(&input(), &h);
    assert_eq!(get(&f, "duplicate.same-file").severity, Severity::Critical);
    assert!(get(&f, "duplicate.same-file").message.contains("d-9"));
    assert!(get(&f, "duplicate.exact").message.contains("d-9"));
    assert!(!has(&f, "duplicate.near"));
}

#[test]
fn near_duplicates_ocr_suffix_and_typo() {
    for (earlier, current) in [
        ("RE-2026-118", "RE-2026-11B"),
        ("2026118", "2026118/1"),
        ("INV-77310", "77310"),
        ("RE-2026-118", "RE-2026-181"),
    ] {
        let mut h = tenant();
        h.invoices
            .push(past("n-1", earlier, "2026-11-10", "1190.00"));
        let mut i = input();
        i.invoice.invoice_number = Some(current.into());
        let f = run(&i, &h);
        let n = get(&f, "duplicate.near");
        assert!(
            n.evidence.iter().any(|e| e.value.contains("n-1")),
            "{earlier} vs {current}"
        );
        assert!(!has(&f, "duplicate.exact"), "{earlier} vs {current}");
    }
}

#[test]
fn near_duplicate_needs_same_amount_window_and_is_not_a_sequence() {
    // Different amount.
    let mut h = tenant();
    h.invoices
        .push(past("n-1", "RE-2026-11B", "2026-11-10", "1191.00"));
    assert!(!has(&run(&input(), &h), "duplicate.near"));
    // Outside the 60-day window, but inside a 120-day one.
    let mut h = tenant();
    h.invoices
        .push(past("n-1", "RE-2026-11B", "2026-08-01", "1190.00"));
    assert!(!has(&run(&input(), &h), "duplicate.near"));
    assert!(has(
        &run_with(&input(), &h, &cfg(&[("near_duplicate_days", "120")])),
        "duplicate.near"
    ));
    // A monthly subscription: same amount, next number a month later.
    let mut h = tenant();
    h.invoices
        .push(past("m-10", "RE-2026-117", "2026-10-24", "1190.00"));
    assert!(!has(&run(&input(), &h), "duplicate.near"));
}

// ---------------------------------------------------------------- bank

#[test]
fn iban_changed_for_known_vendor() {
    let mut i = input();
    i.invoice.iban = Some("DE02 1203 0000 0000 2020 51".into());
    let f = run(&i, &tenant());
    let c = get(&f, "bank.iban-changed");
    assert_eq!(c.severity, Severity::High);
    assert!(c.evidence.iter().any(|e| e.page == 1 && e.line == 6));
    // Raised by wording, a foreign account and a recently changed vendor record.
    let mut i2 = i.clone();
    i2.document.origin.body_text = Some("Bitte beachten Sie unsere neue Bankverbindung.".into());
    assert_eq!(
        get(&run(&i2, &tenant()), "bank.iban-changed").severity,
        Severity::Critical
    );
    let mut i3 = i.clone();
    i3.invoice.iban = Some("FR76 3000 6000 0112 3456 7890 189".into());
    let f3 = run(&i3, &tenant());
    assert_eq!(get(&f3, "bank.iban-changed").severity, Severity::Critical);
    assert!(get(&f3, "bank.iban-changed").message.contains("FR"));
    let mut h = tenant();
    h.vendors[0].updated_at = "2026-11-20T12:00:00Z".into();
    assert_eq!(
        get(&run(&i, &h), "bank.iban-changed").severity,
        Severity::Critical
    );
}

#[test]
fn iban_unchanged_or_vendor_without_accounts() {
    let mut i = input();
    i.invoice.iban = Some("de89 3704 0044 0532 0130 00".into());
    assert!(!has(&run(&i, &tenant()), "bank.iban-changed"));
    let mut h = tenant();
    h.vendors[0].ibans.clear();
    i.invoice.iban = Some("DE02 1203 0000 0000 2020 51".into());
    assert!(!has(&run(&i, &h), "bank.iban-changed"));
    // Unknown vendor: nothing to compare with.
    let mut i = input();
    i.invoice.vendor = Party {
        name: Some("Initech AG".into()),
        tax_id: None,
        address: None,
        country: None,
    };
    i.invoice.iban = Some("DE02 1203 0000 0000 2020 51".into());
    assert!(!has(&run(&i, &tenant()), "bank.iban-changed"));
}

#[test]
fn iban_shared_with_another_vendor() {
    let mut i = input();
    i.invoice.iban = Some(OTHER_IBAN.into());
    let f = run(&i, &tenant());
    let s = get(&f, "bank.iban-shared");
    assert!(s.message.contains("Globex"));
    assert_eq!(get(&f, "bank.iban-changed").severity, Severity::Critical);
    // Seen only on another vendor's earlier invoice.
    let mut h = tenant();
    let mut p = past("g-1", "G-1", "2026-09-01", "50.00");
    p.vendor_id = Some("v-003".into());
    p.vendor_name = Some("Umbrella Corp".into());
    p.iban = Some("DE02120300000000202051".into());
    h.invoices.push(p);
    let mut i = input();
    i.invoice.iban = Some("DE02 1203 0000 0000 2020 51".into());
    assert!(
        get(&run(&i, &h), "bank.iban-shared")
            .message
            .contains("Umbrella")
    );
    // Own account, on own earlier invoices: fine.
    let mut h = tenant();
    h.invoices.push(past("a-1", "RE-1", "2026-09-01", "10.00"));
    assert!(!has(&run(&input(), &h), "bank.iban-shared"));
}

#[test]
fn iban_shared_not_blamed_on_the_verified_owner() {
    // An earlier invoice of another vendor misused ACME's verified account; ACME's own
    // later invoices paying into it must not be flagged for that.
    let mut h = tenant();
    let mut p = past("g-1", "G-1", "2026-09-01", "50.00");
    p.vendor_id = Some("v-003".into());
    p.vendor_name = Some("Umbrella Corp".into());
    p.iban = Some(ACME_IBAN.into());
    h.invoices.push(p);
    let mut i = input();
    i.invoice.iban = Some(ACME_IBAN.into());
    assert!(!has(&run(&i, &h), "bank.iban-shared"));
}

// ---------------------------------------------------------------- sender

fn from(addr: &str, name: &str) -> CheckInput {
    let mut i = input();
    i.document.origin.sender_address = Some(addr.into());
    i.document.origin.sender_name = Some(name.into());
    i.document.origin.return_path = None;
    i
}

#[test]
fn lookalike_domains() {
    for addr in [
        "billing@acrne-gmbh.de",
        "billing@acme-gmbh.com",
        "billing@acme-gmhb.de",
        "billing@xn--cme-gmbh-06g.de",
        "billing@invoices.acme-payments.net",
        "billing@acme-gmbh.de.evil.example",
        "billing@globex.com",
    ] {
        let f = run(&from(addr, "Accounts"), &tenant());
        assert!(has(&f, "sender.lookalike-domain"), "{addr}: {:?}", ids(&f));
    }
    let f = run(&from("billing@xn--cme-gmbh-06g.de", "Accounts"), &tenant());
    assert!(
        get(&f, "sender.lookalike-domain")
            .message
            .contains("look-alike")
    );
}

#[test]
fn vendor_domain_name_inside_another_domain() {
    for addr in [
        "billing@acme-gmbh.example.co",
        "billing@acme-gmbh-invoices.de",
        "billing@pay-acme-gmbh.net",
    ] {
        let f = run(&from(addr, "Accounts"), &tenant());
        assert!(
            get(&f, "sender.lookalike-domain")
                .message
                .contains("acme-gmbh.de"),
            "{addr}"
        );
    }
}

#[test]
fn seller_writing_from_its_own_similar_name_is_not_a_lookalike() {
    // Known vendor ACME at acme-gmbh.de; another company "Acne GmbH" (unknown) mails
    // from acne-gmbh.de, one letter away, and issues the invoice in its own name.
    let mut i = from("billing@acne.de", "Accounts");
    let mut h = tenant();
    h.vendors[0].domains = vec!["acme.de".into()];
    assert!(
        has(&run(&i, &h), "sender.lookalike-domain"),
        "seller is ACME"
    );
    i.invoice.vendor.name = Some("Acne Handels GmbH".into());
    i.invoice.vendor.tax_id = None;
    let f = run(&i, &h);
    assert!(!has(&f, "sender.lookalike-domain"), "{:?}", ids(&f));
    // Look-alike characters are reported whoever the seller claims to be.
    let mut i = from("billing@acrne.de", "Accounts");
    i.invoice.vendor.name = Some("Acrne GmbH".into());
    i.invoice.vendor.tax_id = None;
    assert!(has(&run(&i, &h), "sender.lookalike-domain"));
}

#[test]
fn genuine_and_free_mail_senders_are_not_lookalikes() {
    for addr in [
        "billing@acme-gmbh.de",
        "ACME <rechnung@mail.acme-gmbh.de>",
        "ap@globex.co.uk",
        "someone@gmail.com",
        "x@münchen-shop.de",
    ] {
        let f = run(&from(addr, "Accounts"), &tenant());
        assert!(!has(&f, "sender.lookalike-domain"), "{addr}: {f:?}");
    }
    // A vendor with no domains on file writing from free mail.
    let mut h = tenant();
    h.vendors.push(Vendor {
        id: "v-9".into(),
        name: "Hans Meier".into(),
        domains: vec![],
        ..acme()
    });
    let f = run(&from("hans.meier@gmail.com", "Hans Meier"), &h);
    assert!(
        !has(&f, "sender.lookalike-domain") && !has(&f, "sender.display-name-spoof"),
        "{:?}",
        ids(&f)
    );
}

#[test]
fn display_name_spoof() {
    let f = run(
        &from("acme.billing@gmail.com", "ACME GmbH Billing"),
        &tenant(),
    );
    let s = get(&f, "sender.display-name-spoof");
    assert!(s.message.contains("gmail.com"));
    assert!(!has(
        &run(
            &from("billing@acme-gmbh.de", "ACME GmbH Billing"),
            &tenant()
        ),
        "sender.display-name-spoof"
    ));
    assert!(!has(
        &run(&from("jane@gmail.com", "Jane Doe"), &tenant()),
        "sender.display-name-spoof"
    ));
}

#[test]
fn reply_to_and_return_path() {
    let mut i = input();
    i.document.origin.reply_to = Some("acme-payments@protonmail.com".into());
    let f = run(&i, &tenant());
    assert_eq!(
        get(&f, "sender.reply-to-mismatch").severity,
        Severity::Medium
    );
    let mut i = input();
    i.document.origin.reply_to = Some("team@mail.acme-gmbh.de".into());
    i.document.origin.return_path = Some("<bounce-123@eu-west-1.amazonses.com>".into());
    assert!(!has(&run(&i, &tenant()), "sender.reply-to-mismatch"));
    let mut i = input();
    i.document.origin.return_path = Some("x@bulk-relay.example".into());
    assert_eq!(
        get(&run(&i, &tenant()), "sender.reply-to-mismatch").severity,
        Severity::Low
    );
}

#[test]
fn authentication_failures() {
    let mut i = input();
    i.document.origin.authentication_results =
        Some("mx; spf=fail smtp.mailfrom=acme-gmbh.de; dkim=none; dmarc=fail (p=reject)".into());
    let f = run(&i, &tenant());
    let a = get(&f, "sender.auth-failed");
    assert_eq!(a.severity, Severity::High);
    assert!(a.message.contains("SPF") && a.message.contains("DMARC"));
    i.document.origin.authentication_results = Some("mx; spf=softfail; dkim=fail header.d=list.example; dkim=pass header.d=acme-gmbh.de; dmarc=pass".into());
    assert!(!has(&run(&i, &tenant()), "sender.auth-failed"));
}

// ---------------------------------------------------------------- pdf

#[test]
fn incremental_edit_rewriting_content() {
    let mut i = input();
    i.parsed.revisions.push(rev(1, true, false, None));
    i.parsed.edit_count = 1;
    assert_eq!(
        get(&run(&i, &tenant()), "pdf.incremental-edit").severity,
        Severity::High
    );
}

#[test]
fn signature_only_and_linearised_updates_are_benign() {
    // Signed by the vendor after creation: the signing tool even sets a producer.
    let mut i = input();
    i.parsed
        .revisions
        .push(rev(1, false, true, Some("Adobe Acrobat Pro 2024")));
    i.parsed.edit_count = 0;
    let f = run(&i, &tenant());
    assert!(f.is_empty(), "{f:?}");
    // Linearised: the first update belongs to linearisation and is not counted.
    let mut i = input();
    i.parsed.linearized = true;
    i.parsed.revisions.push(rev(1, true, false, None));
    i.parsed.edit_count = 0;
    assert!(run(&i, &tenant()).is_empty());
    // An update that only adds annotations is counted but does not rewrite content.
    let mut i = input();
    i.parsed.revisions.push(rev(1, false, false, None));
    i.parsed.edit_count = 1;
    assert!(!has(&run(&i, &tenant()), "pdf.incremental-edit"));
}

#[test]
fn producer_changes() {
    let mut i = input();
    i.parsed
        .revisions
        .push(rev(1, true, false, Some("iLovePDF")));
    i.parsed.edit_count = 1;
    i.parsed.metadata.producer = Some("iLovePDF".into());
    i.parsed.metadata.first_producer = Some("Lexware Office 5.2".into());
    let f = run(&i, &tenant());
    assert_eq!(get(&f, "pdf.producer-changed").severity, Severity::Medium);
    // An editor over an invoicing system's creator, single revision.
    let mut i = input();
    i.parsed.revisions = vec![rev(0, false, false, Some("Smallpdf.com"))];
    i.parsed.metadata.producer = Some("Smallpdf.com".into());
    assert!(
        get(&run(&i, &tenant()), "pdf.producer-changed")
            .message
            .contains("Smallpdf")
    );
    // Same program, other version; a Mac app printing through Quartz.
    let mut i = input();
    i.parsed
        .revisions
        .push(rev(1, false, false, Some("Lexware Office 5.3")));
    i.parsed.edit_count = 1;
    assert!(!has(&run(&i, &tenant()), "pdf.producer-changed"));
    let mut i = input();
    i.parsed.revisions = vec![rev(
        0,
        false,
        false,
        Some("macOS Version 14.1 Quartz PDFContext"),
    )];
    i.parsed.metadata.producer = Some("macOS Version 14.1 Quartz PDFContext".into());
    i.parsed.metadata.creator = Some("Pages".into());
    assert!(!has(&run(&i, &tenant()), "pdf.producer-changed"));
}

#[test]
fn metadata_mismatch() {
    let mut i = input();
    i.parsed.metadata.xmp_modify_date = Some("2026-11-24T10:00:00Z".into());
    assert!(has(&run(&i, &tenant()), "pdf.metadata-mismatch"));
    let mut i = input();
    i.parsed.metadata.mod_date = Some("D:20261129120000+01'00'".into());
    let m = get(&run(&i, &tenant()), "pdf.metadata-mismatch").clone();
    assert_eq!(m.severity, Severity::Low);
    assert!(m.message.contains("more than a day"));
    // The same instant written two ways agrees.
    let mut i = input();
    i.parsed.metadata.mod_date = Some("D:20261124090000+01'00'".into());
    i.parsed.metadata.xmp_modify_date = Some("2026-11-24T08:00:30Z".into());
    assert!(!has(&run(&i, &tenant()), "pdf.metadata-mismatch"));
}

#[test]
fn created_after_arrival_allows_for_time_zone_mistakes() {
    // Received 2026-11-26T09:00Z: a creation time a few hours later is a producer's
    // wrong offset, days later is a contradiction.
    let mut i = input();
    i.parsed.metadata.creation_date = Some("D:20261126140000-05'00'".into());
    i.parsed.metadata.mod_date = i.parsed.metadata.creation_date.clone();
    assert!(!has(&run(&i, &tenant()), "pdf.metadata-mismatch"));
    i.parsed.metadata.creation_date = Some("2026-11-28T09:00:00Z".into());
    i.parsed.metadata.mod_date = i.parsed.metadata.creation_date.clone();
    let m = get(&run(&i, &tenant()), "pdf.metadata-mismatch").clone();
    assert!(m.message.contains("after the email arrived"));
}

#[test]
fn font_anomalies() {
    let mut i = input();
    i.parsed.fonts.push(font("QRSTUV+Arial", true));
    assert_eq!(
        get(&run(&i, &tenant()), "pdf.font-anomaly").severity,
        Severity::Medium
    );
    let mut i = input();
    i.parsed.fonts.push(font("Calibri", false));
    assert!(has(&run(&i, &tenant()), "pdf.font-anomaly"));
    let mut i = input();
    i.parsed.fonts.push(font("Helvetica", false));
    assert!(!has(&run(&i, &tenant()), "pdf.font-anomaly"));
}

// ---------------------------------------------------------------- math

#[test]
fn math_rules_fire_on_wrong_sums() {
    let mut i = input();
    i.invoice.line_items = vec![item("A", "600.00"), item("B", "390.00")];
    assert!(has(&run(&i, &tenant()), "math.line-sum"));
    let mut i = input();
    i.invoice.tax_breakdown[0].amount = eur("180.00");
    i.invoice.tax_total = Some(eur("180.00"));
    i.invoice.gross_total = Some(eur("1180.00"));
    i.invoice.amount_due = Some(eur("1180.00"));
    let f = run(&i, &tenant());
    assert!(
        has(&f, "math.tax") && !has(&f, "math.totals"),
        "{:?}",
        ids(&f)
    );
    let mut i = input();
    i.invoice.tax_total = Some(eur("190.00"));
    i.invoice.tax_breakdown[0].amount = eur("190.00");
    i.invoice.gross_total = Some(eur("1290.00"));
    i.invoice.amount_due = Some(eur("1290.00"));
    assert!(has(&run(&i, &tenant()), "math.totals"));
    let mut i = input();
    i.invoice.prepaid = Some(eur("100.00"));
    assert!(has(&run(&i, &tenant()), "math.amount-due"));
    i.invoice.amount_due = Some(eur("1090.00"));
    assert!(!has(&run(&i, &tenant()), "math.amount-due"));
}

#[test]
fn line_sum_accepts_a_declared_document_level_allowance() {
    // Lines 1050.00, a printed discount of 50.00, net 1000.00 (BR-CO-13).
    let mut i = input();
    i.invoice.line_items = vec![item("A", "600.00"), item("B", "450.00")];
    assert!(has(&run(&i, &tenant()), "math.line-sum"), "undeclared");
    i.parsed.pages[0]
        .lines
        .push(line(1, 20, "Discount 5 %   -50,00 €"));
    assert!(
        !has(&run(&i, &tenant()), "math.line-sum"),
        "printed allowance"
    );
    // The printed allowance does not explain a different gap.
    i.invoice.net_total = Some(eur("1010.00"));
    assert!(
        has(&run(&i, &tenant()), "math.line-sum"),
        "net inflated by 10"
    );
    // A net total above the lines is never explained by a printed number alone.
    let mut i = input();
    i.invoice.line_items = vec![item("A", "600.00"), item("B", "350.00")];
    i.parsed.pages[0].lines.push(line(1, 20, "Freight 50.00"));
    assert!(
        has(&run(&i, &tenant()), "math.line-sum"),
        "charge from text"
    );
    // An e-invoice declares allowances and charges itself (BT-107 / BT-108).
    let mut i = input();
    i.invoice.line_items = vec![item("A", "600.00"), item("B", "350.00")];
    i.parsed.e_invoice = Some(EInvoice {
        syntax: XmlSyntax::UblInvoice,
        source_name: "invoice.xml".into(),
        profile: None,
        xml: "<Invoice><LegalMonetaryTotal><AllowanceTotalAmount>10.00</AllowanceTotalAmount>\
              <ChargeTotalAmount>60.00</ChargeTotalAmount></LegalMonetaryTotal></Invoice>"
            .into(),
    });
    assert!(
        !has(&run(&i, &tenant()), "math.line-sum"),
        "declared in XML"
    );
    if let Some(e) = i.parsed.e_invoice.as_mut() {
        e.xml = e.xml.replace("60.00", "20.00");
    }
    assert!(has(&run(&i, &tenant()), "math.line-sum"), "XML disagrees");
}

#[test]
fn math_tolerates_cents_and_missing_amounts() {
    // Σ tax lines within 0.02, basis × rate rounded half away from zero.
    let mut i = input();
    i.invoice.net_total = Some(eur("100.50"));
    i.invoice.line_items = vec![item("A", "50.25"), item("B", "50.26")];
    i.invoice.tax_breakdown = vec![TaxLine {
        rate: dec("7"),
        basis: eur("100.50"),
        amount: eur("7.04"),
        category: None,
    }];
    i.invoice.tax_total = Some(eur("7.04"));
    i.invoice.gross_total = Some(eur("107.54"));
    i.invoice.amount_due = Some(eur("107.54"));
    assert!(
        run(&i, &tenant())
            .iter()
            .all(|f| !f.rule.starts_with("math."))
    );
    assert_eq!(crate::rules_math_tax_of(350, &dec("19")), Some(67)); // 3.50 × 19% = 0.665 → 0.67
    assert_eq!(crate::rules_math_tax_of(-350, &dec("19")), Some(-67));
    // A line without an amount: no line-sum check.
    let mut i = input();
    i.invoice.line_items = vec![
        item("A", "600.00"),
        LineItem {
            net_amount: None,
            ..item("B", "1")
        },
    ];
    assert!(!has(&run(&i, &tenant()), "math.line-sum"));
}

// ---------------------------------------------------------------- ids

#[test]
fn iban_and_vat_validity() {
    let mut i = input();
    i.invoice.iban = Some("DE89 3704 0044 0532 0130 01".into());
    let f = run(&i, &tenant());
    let b = get(&f, "id.iban-invalid");
    assert!(b.message.contains("mod 97"), "{}", b.message);
    let mut i = input();
    i.invoice.vendor.tax_id = Some("DE136695977".into());
    i.invoice.customer.tax_id = Some("DE 123 456 788".into());
    let f = run(&i, &tenant());
    let v = get(&f, "id.vat-invalid");
    assert!(v.message.contains("seller") && !v.message.contains("buyer"));
}

#[test]
fn buyer_not_tenant() {
    let c = cfg(&[("tenant_tax_ids", "DE 123456788, ATU13585627")]);
    assert!(!has(
        &run_with(&input(), &tenant(), &c),
        "id.buyer-not-tenant"
    ));
    let mut i = input();
    i.invoice.customer.tax_id = Some("DE136695976".into());
    assert!(has(&run_with(&i, &tenant(), &c), "id.buyer-not-tenant"));
    assert!(
        !has(&run(&i, &tenant()), "id.buyer-not-tenant"),
        "silent without tenant_tax_ids"
    );
}

// ---------------------------------------------------------------- amounts

fn gross(i: &mut CheckInput, s: &str) {
    i.invoice.gross_total = Some(eur(s));
    i.invoice.amount_due = Some(eur(s));
    i.invoice.net_total = None;
    i.invoice.tax_total = None;
    i.invoice.tax_breakdown.clear();
    i.invoice.line_items.clear();
}

#[test]
fn below_threshold() {
    let c = cfg(&[("approval_threshold", "5000.00")]);
    let mut i = input();
    gross(&mut i, "4890.00");
    assert!(has(&run_with(&i, &tenant(), &c), "amount.below-threshold"));
    gross(&mut i, "4700.00");
    assert!(!has(&run_with(&i, &tenant(), &c), "amount.below-threshold"));
    assert!(has(
        &run_with(
            &i,
            &tenant(),
            &cfg(&[
                ("approval_threshold", "5000"),
                ("threshold_margin_percent", "7.5")
            ])
        ),
        "amount.below-threshold"
    ));
    gross(&mut i, "5000.00");
    assert!(!has(&run_with(&i, &tenant(), &c), "amount.below-threshold"));
    gross(&mut i, "4999.99");
    assert!(
        !has(&run(&i, &tenant()), "amount.below-threshold"),
        "silent without a threshold"
    );
}

#[test]
fn split_invoices() {
    let c = cfg(&[("approval_threshold", "5000.00")]);
    let mut h = tenant();
    h.invoices
        .push(past("s-1", "RE-2026-115", "2026-11-20", "2400.00"));
    h.invoices
        .push(past("s-2", "RE-2026-116", "2026-11-22", "1900.00"));
    h.invoices
        .push(past("s-0", "RE-2026-090", "2026-10-01", "4000.00"));
    let mut i = input();
    gross(&mut i, "1190.00");
    let f = run_with(&i, &h, &c);
    let s = get(&f, "amount.split");
    assert!(
        s.evidence.iter().any(|e| e.value.contains("s-1"))
            && s.evidence.iter().any(|e| e.value.contains("s-2"))
    );
    assert!(!s.evidence.iter().any(|e| e.value.contains("s-0")));
    // Not enough together.
    let mut h = tenant();
    h.invoices
        .push(past("s-1", "RE-2026-115", "2026-11-20", "400.00"));
    assert!(!has(&run_with(&i, &h, &c), "amount.split"));
}

#[test]
fn split_counts_a_resent_invoice_once() {
    let c = cfg(&[("approval_threshold", "5000.00")]);
    let mut h = tenant();
    // The same invoice received twice (a duplicate) is one purchase of 2400.
    h.invoices
        .push(past("s-1", "RE-2026-115", "2026-11-20", "2400.00"));
    h.invoices
        .push(past("s-1b", "RE 2026 115", "2026-11-20", "2400.00"));
    let mut i = input();
    gross(&mut i, "1190.00");
    assert!(!has(&run_with(&i, &h, &c), "amount.split"));
    // A third, distinct invoice does reach the threshold.
    h.invoices
        .push(past("s-2", "RE-2026-116", "2026-11-21", "1500.00"));
    let s = get(&run_with(&i, &h, &c), "amount.split").clone();
    assert!(!s.evidence.iter().any(|e| e.value.contains("s-1b")));
}

#[test]
fn round_amounts() {
    let mut i = input();
    gross(&mut i, "5000.00");
    let r = get(&run(&i, &tenant()), "amount.round").clone();
    assert_eq!((r.severity, r.score), (Severity::Low, 20));
    gross(&mut i, "700.00");
    assert_eq!(get(&run(&i, &tenant()), "amount.round").score, 10);
    gross(&mut i, "1234.56");
    assert!(!has(&run(&i, &tenant()), "amount.round"));
    // Several line items: a computed total.
    let mut i = input();
    gross(&mut i, "2000.00");
    i.invoice.line_items = vec![item("A", "1000.00"), item("B", "680.67")];
    assert!(!has(&run(&i, &tenant()), "amount.round"));
    // A vendor who always bills round sums (a retainer).
    let mut h = tenant();
    for (k, d) in ["2026-08-01", "2026-09-01", "2026-10-01"]
        .iter()
        .enumerate()
    {
        h.invoices
            .push(past(&format!("r-{k}"), &format!("R-{k}"), d, "2000.00"));
    }
    let mut i = input();
    gross(&mut i, "2000.00");
    assert!(!has(&run(&i, &h), "amount.round"));
}

// ---------------------------------------------------------------- dates

#[test]
fn date_rules() {
    let mut i = input();
    i.invoice.issue_date = Some(date("2026-11-30"));
    i.invoice.due_date = Some(date("2026-12-30"));
    assert!(has(&run(&i, &tenant()), "date.future"));
    i.invoice.issue_date = Some(date("2026-11-27"));
    assert!(!has(&run(&i, &tenant()), "date.future"), "one day of slack");

    let mut i = input();
    i.invoice.due_date = Some(date("2026-11-20"));
    assert!(has(&run(&i, &tenant()), "date.due-before-issue"));

    let mut i = input();
    i.invoice.issue_date = Some(date("2026-04-02"));
    i.invoice.due_date = None;
    assert!(has(&run(&i, &tenant()), "date.very-old"));
    assert!(!has(
        &run_with(&i, &tenant(), &cfg(&[("max_age_days", "365")])),
        "date.very-old"
    ));
    i.invoice.issue_date = Some(date("2026-06-01"));
    assert!(!has(&run(&i, &tenant()), "date.very-old"));
}

#[test]
fn weekend_is_info_and_quiet_for_weekend_billers() {
    let mut i = input();
    i.invoice.issue_date = Some(date("2026-11-22")); // a Sunday
    let f = run(&i, &tenant());
    let w = get(&f, "date.weekend");
    assert_eq!(w.severity, Severity::Info);
    assert!(w.score <= 5);
    i.invoice.issue_date = Some(date("2026-11-23"));
    assert!(!has(&run(&i, &tenant()), "date.weekend"));
    let mut h = tenant();
    h.invoices.push(past("w-1", "W-1", "2026-10-25", "10.00"));
    h.invoices.push(past("w-2", "W-2", "2026-09-27", "10.00"));
    i.invoice.issue_date = Some(date("2026-11-22"));
    assert!(!has(&run(&i, &h), "date.weekend"));
}

// ---------------------------------------------------------------- new vendor

fn stranger() -> CheckInput {
    let mut i = from("office@initech-solutions.example", "Initech");
    i.invoice.vendor = Party {
        name: Some("Initech Solutions SRL".into()),
        tax_id: Some("IT00743110157".into()),
        address: None,
        country: Some("IT".into()),
    };
    i.invoice.iban = Some("IT60 X054 2811 1010 0000 0123 456".into());
    i.document.origin.subject = Some("URGENT: invoice overdue, please pay today".into());
    i
}

#[test]
fn new_vendor_with_urgency() {
    let f = run(&stranger(), &tenant());
    let n = get(&f, "vendor.new-urgent");
    assert!(n.message.contains("not in the vendor master"));
    // Known but created last week.
    let mut h = tenant();
    h.vendors.push(Vendor {
        id: "v-7".into(),
        name: "Initech Solutions SRL".into(),
        tax_ids: vec!["IT00743110157".into()],
        ibans: vec![],
        domains: vec![],
        country: Some("IT".into()),
        created_at: "2026-11-19T08:00:00Z".into(),
        updated_at: "2026-11-19T08:00:00Z".into(),
    });
    assert!(has(&run(&stranger(), &h), "vendor.new-urgent"));
}

#[test]
fn new_vendor_quiet_with_po_known_vendor_or_calm_wording() {
    let mut i = stranger();
    i.invoice.po_number = Some("PO-4711".into());
    assert!(!has(&run(&i, &tenant()), "vendor.new-urgent"));
    let mut i = stranger();
    i.document.origin.subject = Some("Invoice 2026-118".into());
    assert!(!has(&run(&i, &tenant()), "vendor.new-urgent"));
    let mut i = input();
    i.document.origin.subject = Some("Dringend: Rechnung".into());
    assert!(!has(&run(&i, &tenant()), "vendor.new-urgent"));
}

// ---------------------------------------------------------------- e-invoice

fn xrechnung(name: &str) -> Option<String> {
    let p = format!(
        "{}/../../../shared/data/xrechnung-testsuite/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(p).ok()
}

fn hybrid(xml: String, syntax: XmlSyntax, lines: &[&str]) -> CheckInput {
    let mut i = input();
    i.parsed.e_invoice = Some(EInvoice {
        syntax,
        source_name: "factur-x.xml".into(),
        profile: None,
        xml,
    });
    i.parsed.pages[0].lines = lines
        .iter()
        .enumerate()
        .map(|(k, t)| line(1, k as u32 + 1, t))
        .collect();
    i
}

#[test]
fn einvoice_visible_text_matches_xml() {
    for (file, syntax) in [
        ("01.01a-INVOICE_ubl.xml", XmlSyntax::UblInvoice),
        ("01.01a-INVOICE_uncefact.xml", XmlSyntax::Cii),
    ] {
        let Some(xml) = xrechnung(file) else { return };
        let x = crate::rules_einvoice_values(syntax, &xml, "EUR");
        assert_eq!(x.number.as_deref(), Some("123456XX"), "{file}");
        assert_eq!(
            x.issue_date
                .map(|d| papyr_sdk::date_to_string(&d))
                .as_deref(),
            Some("2016-04-04")
        );
        assert_eq!(x.gross.as_ref().map(|m| m.minor), Some(33690));
        assert_eq!(x.iban.as_deref(), Some("DE79000000001234567890"));
        let ok = hybrid(
            xml.clone(),
            syntax,
            &[
                "Rechnung 123456XX",
                "Datum 4. April 2016",
                "Gesamtbetrag 336,90 EUR",
                "IBAN DE79 0000 0000 1234 5678 90",
            ],
        );
        let f = run(&ok, &tenant());
        assert!(!has(&f, "einvoice.visible-mismatch"), "{file}: {f:#?}");
        let bad = hybrid(
            xml.clone(),
            syntax,
            &[
                "Rechnung 123456XY",
                "Datum 04.04.2016",
                "Gesamtbetrag 1.336,90 EUR",
                "IBAN DE89 3704 0044 0532 0130 00",
            ],
        );
        let f: Vec<Finding> = run(&bad, &tenant())
            .into_iter()
            .filter(|f| f.rule == "einvoice.visible-mismatch")
            .collect();
        assert_eq!(f.len(), 3, "{file}: number, total and IBAN: {f:#?}");
        assert!(
            f.iter().any(|x| x.severity == Severity::Critical
                && x.message.contains("DE89370400440532013000"))
        );
        assert!(f.iter().any(|x| x.message.contains("336.90")));
    }
}

#[test]
fn einvoice_rule_needs_visible_text() {
    let Some(xml) = xrechnung("01.01a-INVOICE_ubl.xml") else {
        return;
    };
    let mut i = hybrid(xml, XmlSyntax::UblInvoice, &[]);
    i.parsed.has_text_layer = false;
    assert!(!has(&run(&i, &tenant()), "einvoice.visible-mismatch"));
    i.parsed.format = DocumentFormat::Xml;
    assert!(!has(&run(&i, &tenant()), "einvoice.visible-mismatch"));
}

#[test]
fn amount_and_date_variants() {
    let m = eur("1234567.8");
    let v = crate::rules_einvoice_amounts(&m);
    for s in [
        "1234567.80",
        "1.234.567,80",
        "1,234,567.80",
        "1 234 567,80",
        "1'234'567.80",
    ] {
        assert!(v.contains(&s.to_string()), "{s}");
    }
}

// ---------------------------------------------------------------- config

#[test]
fn config_disables_and_overrides() {
    let mut i = input();
    gross(&mut i, "5000.00");
    i.invoice.issue_date = Some(date("2026-11-22"));
    let c = cfg(&[
        ("disabled_rules", "date.weekend"),
        ("severity_overrides", "amount.round=info"),
    ]);
    let f = run_with(&i, &tenant(), &c);
    assert!(!has(&f, "date.weekend"));
    assert_eq!(get(&f, "amount.round").severity, Severity::Info);
}

#[test]
fn bad_config_names_the_key() {
    for (k, v) in [
        ("near_duplicate_days", "sixty"),
        ("max_age_days", "-3"),
        ("approval_threshold", "5.000,00"),
        ("threshold_margin_percent", "150"),
        ("disabled_rules", "date.weekend, no.such-rule"),
        ("severity_overrides", "amount.round=huge"),
        ("severity_overrides", "amount.round"),
    ] {
        match load_config(&[(k.to_string(), v.to_string())]) {
            Err(StageError::Config(msg)) => assert!(msg.contains(k), "{msg}"),
            other => panic!("{k}={v}: {other:?}"),
        }
    }
    // A threshold with more decimals than the currency has.
    let c = cfg(&[("approval_threshold", "5000.5")]);
    let mut i = input();
    i.invoice.gross_total = Some(Money {
        minor: 4900,
        currency: "JPY".into(),
    });
    assert!(
        matches!(check_invoice(&i, &tenant(), &c), Err(StageError::Config(m)) if m.contains("approval_threshold"))
    );
}

#[test]
fn disabled_rules_do_not_query_history() {
    let h = tenant();
    let c = cfg(&[(
        "disabled_rules",
        "sender.lookalike-domain,sender.display-name-spoof",
    )]);
    run_with(&input(), &h, &c);
    assert!(!h.calls.borrow().iter().any(|c| c == "all_vendors"));
    let h = tenant();
    run(&input(), &h);
    let calls = h.calls.borrow();
    assert_eq!(
        calls.iter().filter(|c| *c == "invoices_of_vendor").count(),
        1,
        "{calls:?}"
    );
}

#[test]
fn skeletons_and_punycode() {
    use crate::rules_sender as s;
    assert_eq!(s::punycode_decode("mnchen-3ya").as_deref(), Some("münchen"));
    assert_eq!(
        s::punycode_decode("cme-gmbh-06g").as_deref(),
        Some("аcme-gmbh")
    );
    assert_eq!(s::punycode_decode("!!"), None);
    assert_eq!(s::skeleton("acrne-gmbh.de"), s::skeleton("acme-gmbh.de"));
    assert_eq!(
        s::skeleton("xn--cme-gmbh-06g.de"),
        s::skeleton("acme-gmbh.de")
    );
    assert_eq!(s::skeleton("g1obex.co.uk"), s::skeleton("globex.co.uk"));
    assert_eq!(s::skeleton("vvidgets.com"), s::skeleton("widgets.com"));
    assert_ne!(s::skeleton("acne-gmbh.de"), s::skeleton("acme-gmbh.de"));
    assert_eq!(s::registrable("mail.globex.co.uk"), "globex.co.uk");
    assert_eq!(s::registrable("a.b.acme-gmbh.de"), "acme-gmbh.de");
    // A long vendor domain with a confusable is caught by the skeleton even beyond 2 edits.
    let mut h = tenant();
    h.vendors[0].domains = vec!["mustermann-logistik.de".into()];
    let f = run(&from("x@rnusterrnann-1ogistik.de", "Accounts"), &h);
    assert!(
        get(&f, "sender.lookalike-domain")
            .message
            .contains("look-alike"),
        "{f:?}"
    );
}

#[test]
fn large_history_stays_fast() {
    let mut h = tenant();
    for k in 0..10_000 {
        h.vendors.push(Vendor {
            id: format!("v-x{k}"),
            name: format!("Vendor Number {k} GmbH"),
            tax_ids: vec![],
            ibans: vec![],
            domains: vec![format!("vendor-number-{k}.example")],
            ..acme()
        });
    }
    for k in 0..500 {
        h.invoices.push(past(
            &format!("h-{k}"),
            &format!("RE-2025-{k:04}"),
            "2026-06-01",
            "99.00",
        ));
    }
    let i = from("billing@acme-gmbh-rechnung.example", "ACME GmbH");
    let t = std::time::Instant::now();
    let n = h.all_vendors().len();
    eprintln!("fake all_vendors() copying {n} vendors: {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let f = run(&i, &h);
    let took = t.elapsed();
    eprintln!("check with 10,000 vendors and 500 earlier invoices: {took:?}");
    assert!(has(&f, "sender.display-name-spoof"));
    assert!(took.as_millis() < 3000, "{took:?}");
}

#[test]
fn damerau_levenshtein() {
    use crate::util::dl_distance as dl;
    assert_eq!(dl("kitten", "sitting", 3), 3);
    assert!(dl("kitten", "sitting", 2) > 2);
    assert_eq!(dl("ca", "ac", 2), 1);
    assert_eq!(dl("abcdef", "abcdfe", 2), 1);
    assert_eq!(dl("acme-gmbh.de", "acme-gmhb.de", 2), 1);
    assert_eq!(dl("acme", "acme", 2), 0);
    assert_eq!(dl("", "ab", 2), 2);
    assert_eq!(dl("ab", "", 2), 2);
    assert!(dl("vendor-number-1.example", "acme-gmbh-rechnung.example", 2) > 2);
    assert_eq!(dl("xabc", "abc", 2), 1);
    assert_eq!(dl("abc", "abcxy", 2), 2);
}

#[test]
fn hostile_values_do_not_panic() {
    let weird = [
        "",
        " ",
        "€€€€€€€€€€€€€€€€",
        "DE€9",
        "ÄÖÜäöü߀ 1234567890ABCDEFG",
        "<<<>>>",
        "xn--",
        "xn--€",
        "@",
        "a@",
        "@@@.",
        "D:",
        "D:2026",
        "9999-99-99T99:99",
        "ESÑ1234567",
        "ATU€",
        "NL€€€€€€€€€€€€B01",
        &"9".repeat(5000),
    ];
    let mut h = tenant();
    h.invoices.push(past("p-1", "€", "2026-11-20", "1190.00"));
    for w in weird {
        let mut i = input();
        i.invoice.iban = Some(w.into());
        i.invoice.invoice_number = Some(w.into());
        i.invoice.vendor.tax_id = Some(w.into());
        i.invoice.customer.tax_id = Some(w.into());
        i.document.origin.sender_address = Some(w.into());
        i.document.origin.reply_to = Some(w.into());
        i.document.origin.sender_name = Some(w.into());
        i.document.origin.authentication_results = Some(w.into());
        i.document.origin.received_at = Some(w.into());
        i.parsed.metadata.mod_date = Some(w.into());
        i.parsed.metadata.creation_date = Some(w.into());
        i.parsed.fonts.push(font(w, false));
        i.parsed.pages[0].lines.push(line(1, 9, w));
        i.parsed.e_invoice = Some(EInvoice {
            syntax: XmlSyntax::Cii,
            source_name: w.into(),
            profile: None,
            xml: format!("<a><ExchangedDocument><ID>{w}</ID><IssueDateTime><DateTimeString>{w}"),
        });
        let c = cfg(&[("tenant_tax_ids", w), ("approval_threshold", "1000")]);
        let _ = check_invoice(&i, &h, &c);
    }
}

#[test]
fn series_prefixes_are_dropped_for_near_duplicates() {
    use crate::rules::duplicate::core_number;
    assert_eq!(core_number("SR-02392"), "2392");
    assert_eq!(core_number("VY-03380"), "3380");
    assert_eq!(core_number("INV-0042/1"), "42");
    assert_eq!(core_number("Rechnung 2026-117"), "2026117");
    // A code that is the whole number, or longer than four letters, stays.
    assert_eq!(core_number("ABCDE-1234"), "ABCDE1234");
    assert_eq!(core_number("AB-CD"), "ABCD");
}

#[test]
fn a_guessed_invoice_number_does_not_make_a_duplicate() {
    // The earlier invoice carries the same number; this one's number was only
    // guessed (no label): it may be a customer id printed on every invoice.
    let mut h = tenant();
    h.invoices
        .push(past("d-1", "re 2026 118", "2026-11-24", "1190.00"));
    let mut guessed = input();
    for e in guessed
        .invoice
        .evidence
        .iter_mut()
        .filter(|e| e.field == "invoice_number")
    {
        e.confidence = 0.45;
    }
    let f = run(&guessed, &h);
    assert!(
        !has(&f, "duplicate.exact") && !has(&f, "duplicate.near"),
        "{f:?}"
    );
    // With a labelled, confident number the same history is a duplicate.
    assert!(has(&run(&input(), &h), "duplicate.exact"));
}
