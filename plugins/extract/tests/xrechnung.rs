//! Every file of the public XRechnung test suite (UBL and CII) must extract exactly.
use extract::xml;
use papyr_sdk::types::{Date, DocumentKind, FieldSource, Invoice, XmlSyntax};
use std::path::PathBuf;

fn suite() -> Option<Vec<PathBuf>> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/xrechnung-testsuite"
    ));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    Some(files)
}

/// WIT records do not derive PartialEq; compare their debug form.
macro_rules! same {
    ($a:expr, $b:expr, $name:expr) => {
        assert_eq!(format!("{:?}", $a), format!("{:?}", $b), "{}", $name)
    };
}

fn read(path: &PathBuf) -> (Invoice, xml::XmlExtras) {
    let text = std::fs::read_to_string(path).unwrap();
    let syntax = if text.contains("CrossIndustryInvoice") {
        XmlSyntax::Cii
    } else {
        XmlSyntax::UblInvoice
    };
    xml::read(syntax, &text).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
}

#[test]
fn every_file_extracts_consistently() {
    let Some(files) = suite() else {
        eprintln!("xrechnung test suite not present; skipped");
        return;
    };
    assert!(
        files.len() >= 60,
        "expected the full suite, found {}",
        files.len()
    );
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let (inv, extras) = read(f);
        assert!(inv.invoice_number.is_some(), "{name}: invoice number");
        assert!(inv.issue_date.is_some(), "{name}: issue date");
        let cur = inv
            .currency
            .clone()
            .unwrap_or_else(|| panic!("{name}: currency"));
        assert!(inv.vendor.name.is_some(), "{name}: seller name");
        let net = inv
            .net_total
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: net"));
        let tax = inv
            .tax_total
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: tax"));
        let gross = inv
            .gross_total
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: gross"));
        let due = inv
            .amount_due
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: due"));
        for m in [net, tax, gross, due] {
            assert_eq!(m.currency, cur, "{name}: amounts in the invoice currency");
        }
        // BR-CO-15: basis + tax = grand total.
        assert_eq!(
            net.minor + tax.minor,
            gross.minor,
            "{name}: net + tax = gross"
        );
        // BR-CO-10: Σ line net = line total.
        let sum: i64 = inv
            .line_items
            .iter()
            .map(|l| l.net_amount.as_ref().map_or(0, |m| m.minor))
            .sum();
        assert_eq!(
            Some(sum),
            extras.line_total.as_ref().map(|m| m.minor),
            "{name}: Σ lines = line total"
        );
        assert!(!inv.line_items.is_empty(), "{name}: line items");
        // BR-CO-16: gross − prepaid + rounding = due.
        let prepaid = inv.prepaid.as_ref().map_or(0, |p| p.minor);
        let rounding = extras.rounding.as_ref().map_or(0, |p| p.minor);
        assert_eq!(
            gross.minor - prepaid + rounding,
            due.minor,
            "{name}: gross − prepaid + rounding = due"
        );
        // Σ breakdown tax = tax total, Σ basis = net.
        let bt: i64 = inv.tax_breakdown.iter().map(|t| t.amount.minor).sum();
        let bb: i64 = inv.tax_breakdown.iter().map(|t| t.basis.minor).sum();
        assert_eq!(bt, tax.minor, "{name}: Σ breakdown tax");
        assert_eq!(bb, net.minor, "{name}: Σ breakdown basis");
        for e in &inv.evidence {
            assert_eq!(e.source, FieldSource::EInvoice, "{name}: {}", e.field);
            assert_eq!(e.confidence, 1.0);
            assert!(!e.text.is_empty());
        }
        for field in [
            "invoice_number",
            "issue_date",
            "currency",
            "vendor_name",
            "net_total",
            "gross_total",
        ] {
            assert!(
                inv.evidence.iter().any(|e| e.field == field),
                "{name}: evidence for {field}"
            );
        }
        if let Some(iban) = &inv.iban {
            assert!(iban.len() >= 15, "{name}: iban {iban}");
        }
    }
}

#[test]
fn ubl_and_cii_of_one_case_agree() {
    let Some(files) = suite() else { return };
    let mut pairs = 0;
    let mut diffs: Vec<String> = Vec::new();
    for f in files
        .iter()
        .filter(|f| f.to_string_lossy().ends_with("_ubl.xml"))
    {
        let other = PathBuf::from(f.to_string_lossy().replace("_ubl.xml", "_uncefact.xml"));
        if !other.exists() {
            continue;
        }
        pairs += 1;
        let (a, _) = read(f);
        let (b, _) = read(&other);
        let case = f
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace("-INVOICE_ubl.xml", "");
        let mut check = |field: &str, x: String, y: String| {
            if x != y {
                eprintln!("{case} {field}: UBL {x} / CII {y}");
                diffs.push(format!("{case}:{field}"));
            }
        };
        let d = |v: &dyn std::fmt::Debug| format!("{v:?}");
        // An explicit zero prepaid amount and an absent one mean the same.
        let pre = |i: &Invoice| i.prepaid.as_ref().map_or(0, |m| m.minor);
        check("invoice_number", d(&a.invoice_number), d(&b.invoice_number));
        check("kind", d(&a.kind), d(&b.kind));
        check("issue_date", d(&a.issue_date), d(&b.issue_date));
        check("due_date", d(&a.due_date), d(&b.due_date));
        check("currency", d(&a.currency), d(&b.currency));
        check("vendor_name", d(&a.vendor.name), d(&b.vendor.name));
        check("vendor_tax_id", d(&a.vendor.tax_id), d(&b.vendor.tax_id));
        check("vendor_address", d(&a.vendor.address), d(&b.vendor.address));
        check("vendor_country", d(&a.vendor.country), d(&b.vendor.country));
        check("customer_name", d(&a.customer.name), d(&b.customer.name));
        check(
            "customer_tax_id",
            d(&a.customer.tax_id),
            d(&b.customer.tax_id),
        );
        check(
            "customer_address",
            d(&a.customer.address),
            d(&b.customer.address),
        );
        check(
            "totals",
            d(&(&a.net_total, &a.tax_total, &a.gross_total)),
            d(&(&b.net_total, &b.tax_total, &b.gross_total)),
        );
        check(
            "due",
            d(&(pre(&a), &a.amount_due)),
            d(&(pre(&b), &b.amount_due)),
        );
        check("bank", d(&(&a.iban, &a.bic)), d(&(&b.iban, &b.bic)));
        check("po_number", d(&a.po_number), d(&b.po_number));
        check("payment_terms", d(&a.payment_terms), d(&b.payment_terms));
        check("tax_breakdown", d(&a.tax_breakdown), d(&b.tax_breakdown));
        check("line_items", d(&a.line_items), d(&b.line_items));
    }
    assert!(pairs >= 30, "pairs compared: {pairs}");
    // Differences that are in the source files themselves (checked by reading them):
    // seven UBL files have a placeholder OrderReference "Dummywert" their CII twins
    // lack; 01.20a's twins use different placeholder seller streets; 01.21a's UBL
    // gives the seller VAT id "DE 123456789", its CII "DE152338654"; 03.06a's UBL
    // swaps CityName and PostalZone.
    let known = [
        "01.02a:po_number",
        "01.08a:po_number",
        "01.09a:po_number",
        "01.10a:po_number",
        "01.11a:po_number",
        "01.12a:po_number",
        "01.13a:po_number",
        "01.20a:vendor_address",
        "01.21a:vendor_tax_id",
        "03.06a:vendor_address",
        "03.06a:customer_address",
    ];
    let unexpected: Vec<&String> = diffs
        .iter()
        .filter(|d| !known.contains(&d.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "UBL/CII twins disagree: {unexpected:?}"
    );
}

#[test]
fn hand_checked_values() {
    let Some(_) = suite() else { return };
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/xrechnung-testsuite/"
    );
    let (inv, _) = read(&PathBuf::from(format!("{dir}01.01a-INVOICE_uncefact.xml")));
    assert_eq!(inv.invoice_number.as_deref(), Some("123456XX"));
    same!(
        inv.issue_date,
        Some(Date {
            year: 2016,
            month: 4,
            day: 4
        }),
        "issue date"
    );
    assert_eq!(inv.kind, DocumentKind::Invoice);
    assert_eq!(inv.line_items[0].description, "Zeitschrift [...]");
    assert_eq!(inv.line_items[0].product_code.as_deref(), Some("246"));
    assert_eq!(inv.line_items[0].unit.as_deref(), Some("XPP"));
    assert_eq!(
        inv.line_items[0].net_amount.as_ref().map(|m| m.minor),
        Some(28879)
    );
    same!(
        inv.line_items[0].tax_rate,
        Some(papyr_sdk::types::Decimal { value: 7, scale: 0 }),
        "rate"
    );
    let ev = inv
        .evidence
        .iter()
        .find(|e| e.field == "invoice_number")
        .unwrap();
    assert_eq!(ev.text, "rsm:ExchangedDocument/ram:ID");
}

#[test]
fn xml_extraction_time() {
    let Some(_) = suite() else { return };
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/xrechnung-testsuite/"
    );
    for name in ["01.01a-INVOICE_uncefact.xml", "01.01a-INVOICE_ubl.xml"] {
        let text = std::fs::read_to_string(format!("{dir}{name}")).unwrap();
        let syntax = if text.contains("CrossIndustryInvoice") {
            XmlSyntax::Cii
        } else {
            XmlSyntax::UblInvoice
        };
        let n = 100;
        let t = std::time::Instant::now();
        for _ in 0..n {
            assert!(xml::read(syntax, &text).is_ok());
        }
        eprintln!("{name}: {:?} per read", t.elapsed() / n);
    }
}
