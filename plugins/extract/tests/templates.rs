//! Tenant extraction templates: parsing, validation, matching, overriding.
mod common;
use common::*;
use extract::template::parse_templates;
use papyr_sdk::types::{DocumentKind, FieldSource, StageError};

/// The worked example of docs/extraction-templates.md, kept in sync by this test.
const EXAMPLE: &str = r#"[
  {
    "name": "kappa-druck",
    "match": { "vendor_tax_id": "DE 811 223 344", "text": ["Kappa Druck"] },
    "fields": {
      "invoice_number": { "anchor": "Beleg", "after": "Nr." },
      "issue_date":     { "anchor": "Belegdatum", "where": "below", "type": "date", "format": "DD/MM/YY" },
      "po_number":      { "anchor": "Ihr Zeichen", "where": "below", "lines": 2 },
      "gross_total":    { "anchor": "Endsumme", "type": "amount", "decimal_separator": "," },
      "due_date":       { "anchor": "spätestens am", "type": "date", "format": "D. MMM YYYY", "before": "ohne" },
      "vendor_name":    { "anchor": "USt-IdNr", "where": "line", "before": "|" }
    }
  }
]"#;

const KAPPA: &[&str] = &[
    "^9 Kappa Druck und Medien GmbH | Hafenweg 3 | 28197 Bremen",
    "Beleg Nr. K/26/00815 vom Vortag",
    "@50 Belegdatum @250 Ihr Zeichen",
    "@50 07/09/26 @250 Frau Abel",
    "@250 BE-4411",
    "Endsumme EUR 1.190,00",
    "Zahlbar spätestens am 7. Okt. 2026 ohne Abzug",
    "Kappa Druck und Medien GmbH | USt-IdNr. DE811223344",
];

#[test]
fn worked_example_applies() {
    let t = parse_templates(EXAMPLE).unwrap();
    let i = run_with(&[KAPPA], DocumentKind::Invoice, &t);
    assert_eq!(i.invoice_number.as_deref(), Some("K/26/00815"));
    assert_eq!(date(&i.issue_date).as_deref(), Some("2026-09-07"));
    assert_eq!(date(&i.due_date).as_deref(), Some("2026-10-07"));
    assert_eq!(i.po_number.as_deref(), Some("BE-4411"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("1190.00 EUR"));
    assert_eq!(
        i.vendor.name.as_deref(),
        Some("Kappa Druck und Medien GmbH")
    );
    for f in [
        "invoice_number",
        "issue_date",
        "due_date",
        "po_number",
        "gross_total",
        "vendor_name",
    ] {
        assert_eq!(source(&i, f), Some(FieldSource::Template), "{f}");
        assert_eq!(conf(&i, f), 0.95, "{f}");
    }
    // The derived amount due follows the template's gross.
    assert_eq!(amt(&i.amount_due).as_deref(), Some("1190.00 EUR"));
}

#[test]
fn template_does_not_apply_to_other_vendors() {
    let t = parse_templates(EXAMPLE).unwrap();
    let other: Vec<&str> = KAPPA
        .iter()
        .copied()
        .filter(|l| !l.contains("USt-IdNr"))
        .collect();
    let i = run_with(&[&other], DocumentKind::Invoice, &t);
    assert_ne!(source(&i, "issue_date"), Some(FieldSource::Template));
}

fn config_err(json: &str) -> String {
    match parse_templates(json) {
        Err(StageError::Config(m)) => m,
        other => panic!("expected a config error for {json}, got {other:?}"),
    }
}

#[test]
fn invalid_templates_are_config_errors_naming_the_template() {
    let m = config_err(r#"[{"name":"a","match":{},"fields":{"invoice_number":{"anchor":"Nr"}}}]"#);
    assert!(m.contains("`a`") && m.contains("match"), "{m}");
    let m = config_err(
        r#"[{"name":"b","match":{"text":["X"]},"fields":{"issue_date":{"anchor":"Datum"}}}]"#,
    );
    assert!(
        m.contains("`b`") && m.contains("issue_date") && m.contains("format"),
        "{m}"
    );
    let m = config_err(
        r#"[{"name":"c","match":{"text":["X"]},"fields":{"gross_total":{"anchor":"Total"}}}]"#,
    );
    assert!(m.contains("`c`") && m.contains("decimal_separator"), "{m}");
    let m = config_err(
        r#"[{"name":"d","match":{"text":["X"]},"fields":{"colour":{"anchor":"Total"}}}]"#,
    );
    assert!(m.contains("`d`") && m.contains("colour"), "{m}");
    let m = config_err(
        r#"[{"name":"e","match":{"text":["X"]},"fields":{"due_date":{"anchor":"F","format":"QQ.MM.YYYY"}}}]"#,
    );
    assert!(m.contains("`e`") && m.contains("QQ"), "{m}");
    let m = config_err(
        r#"[{"name":"f","match":{"text":["X"]},"fields":{"po_number":{"anchor":"PO","where":"left"}}}]"#,
    );
    assert!(m.contains("`f`") && m.contains("left"), "{m}");
    let m = config_err(
        r#"[{"name":"g","match":{"text":["X"]},"fields":{"po_number":{"anchor":"PO","typo":1}}}]"#,
    );
    assert!(m.contains("`g`") && m.contains("typo"), "{m}");
    let m = config_err(r#"{"name":"h"}"#);
    assert!(m.contains("templates"), "{m}");
}

#[test]
fn date_formats_and_amount_separators() {
    use extract::template::{DateTok, parse_amount_with, parse_date_with};
    let fmt = [
        DateTok::Month2,
        DateTok::Lit('/'),
        DateTok::Day2,
        DateTok::Lit('/'),
        DateTok::Year4,
    ];
    let d = parse_date_with(&fmt, "due 03/04/2026").unwrap();
    assert_eq!((d.year, d.month, d.day), (2026, 3, 4));
    assert_eq!(
        parse_amount_with("1.234,5 €", ',').map(|n| (n.digits, n.scale)),
        Some((12345, 1))
    );
    assert_eq!(
        parse_amount_with("$1,234.50", '.').map(|n| (n.digits, n.scale)),
        Some((123450, 2))
    );
    assert_eq!(
        parse_amount_with("-12,00", ',').map(|n| n.digits),
        Some(-1200)
    );
}
