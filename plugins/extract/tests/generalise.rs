//! Label wordings and layouts beyond the ones the other tests spell out: composed
//! invoice-number labels, values on a neighbouring baseline, numbers and
//! recipients without any label.
mod common;
use common::*;
use papyr_sdk::types::Invoice;

fn conf(i: &Invoice, field: &str) -> f32 {
    i.evidence
        .iter()
        .find(|e| e.field == field)
        .map_or(-1.0, |e| e.confidence)
}

/// A small invoice around the given header lines.
fn doc(head: &[&str]) -> Invoice {
    let mut lines = vec!["^18 Muster Handel GmbH", "Hauptstr. 1 · 10115 Berlin"];
    lines.extend_from_slice(head);
    lines.push("Total 119,00 EUR");
    run(&[&lines])
}

#[test]
fn composed_number_labels_in_six_languages() {
    for (line, want) in [
        ("Inv. No.: 2026-0042", "2026-0042"),
        ("Bill # 7781", "7781"),
        ("Doc # A-2026-17", "A-2026-17"),
        ("RG-Nr. 20264711", "20264711"),
        ("Belegnr.: B-99120", "B-99120"),
        ("Nr. der Rechnung: 4711/26", "4711/26"),
        ("N° de pièce : FA-2026-31", "FA-2026-31"),
        ("Réf. facture F2026/118", "F2026/118"),
        ("Nummer factuur: 2026.0081", "2026.0081"),
        ("Nº de documento 2026-A-12", "2026-A-12"),
        ("Numero nota di credito NC-77", "NC-77"),
        ("N.ro fattura 118/2026", "118/2026"),
    ] {
        let i = doc(&[line]);
        assert_eq!(i.invoice_number.as_deref(), Some(want), "{line}");
        assert!(conf(&i, "invoice_number") >= 0.85, "{line}: labelled");
    }
}

#[test]
fn reference_number_heading_over_its_value() {
    let i = doc(&[
        "@50 Reference No. @250 Datum",
        "@50 R-55120 @250 01.09.2026",
    ]);
    assert_eq!(i.invoice_number.as_deref(), Some("R-55120"));
    // A generic reference is weaker than an invoice label.
    assert!(conf(&i, "invoice_number") < 0.7);
}

#[test]
fn correction_and_proforma_titles_carry_the_number() {
    for (line, want) in [
        ("Rechnungskorrektur – 001926", "001926"),
        ("Stornorechnung 2026-118", "2026-118"),
        ("Proforma Invoice PF-2026-3", "PF-2026-3"),
        ("Facture rectificative FR-88", "FR-88"),
        ("Creditfactuur CF2026001", "CF2026001"),
    ] {
        let i = doc(&[line]);
        assert_eq!(i.invoice_number.as_deref(), Some(want), "{line}");
        assert!(conf(&i, "invoice_number") <= 0.6, "{line}: title only");
    }
}

#[test]
fn value_on_a_neighbouring_baseline_right_of_its_label() {
    // The value is set in a smaller font on its own baseline, so the text layer
    // gives it a line of its own, right of the label.
    let i = doc(&[
        "@300 Factuurnummer",
        "^5 @400 F-2026-0815",
        "Datum 01.09.2026",
    ]);
    assert_eq!(i.invoice_number.as_deref(), Some("F-2026-0815"));
    let c = conf(&i, "invoice_number");
    assert!(c > 0.6 && c < 0.85, "{c}");
    // Something else right of the label: the label does not reach the value
    // (it may still be guessed, unlabelled).
    let i = doc(&["@300 Factuurnummer @400 zie bijlage", "^5 @500 F-2026-0815"]);
    assert!(conf(&i, "invoice_number") < 0.5);
}

#[test]
fn unlabelled_number_in_the_header_is_a_low_confidence_guess() {
    let i = doc(&[
        "@50 Kundennummer K10888",
        "@400 RE2026-00123",
        "Datum 01.09.2026",
    ]);
    assert_eq!(i.invoice_number.as_deref(), Some("RE2026-00123"));
    assert!(conf(&i, "invoice_number") <= 0.6);
    // Customer numbers, dates, VAT ids, postcodes and amounts are not guesses.
    let i = doc(&[
        "@50 Kundennummer: K10888 @400 01.09.2026",
        "@50 DE361282689 @400 10117",
        "@50 1.234,56",
    ]);
    assert_eq!(i.invoice_number, None);
}

#[test]
fn recipient_address_block_without_a_label() {
    for (name, street, town) in [
        ("Demo Tenant GmbH", "Friedrichstraße 123", "10117 Berlin"),
        ("Bakkerij de Vries B.V.", "Damrak 25", "1012 LG Amsterdam"),
        ("Globex Ltd", "12 High Street", "London SW1A 1AA"),
        ("Initech Inc.", "500 Main Street", "Austin, TX 78701"),
    ] {
        let i = run(&[&[
            "^18 Muster Handel GmbH",
            "^7 Muster Handel GmbH · Hauptstr. 1 · 10115 Berlin",
            name,
            street,
            town,
            "Rechnung Nr. 2026-17",
            "Total 119,00 EUR",
        ]]);
        assert_eq!(i.customer.name.as_deref(), Some(name), "{name}");
        assert!(conf(&i, "customer_name") <= 0.6);
        assert_eq!(i.vendor.name.as_deref(), Some("Muster Handel GmbH"));
    }
    // The letterhead's own address block is not the recipient.
    let i = run(&[&[
        "^18 Muster Handel GmbH",
        "Hauptstr. 1",
        "10115 Berlin",
        "Rechnung Nr. 2026-17",
        "Total 119,00 EUR",
    ]]);
    assert_eq!(i.customer.name, None);
}

#[test]
fn bill_to_and_due_date_wordings() {
    for (label, lang) in [
        ("Opdrachtgever", "nl"),
        ("Debiteur", "nl"),
        ("Facturatieadres", "nl"),
        ("Kundenadresse", "de"),
        ("Rechnungsempfaenger", "de"),
        ("Dirección de facturación", "es"),
        ("Indirizzo di fatturazione", "it"),
        ("Customer details", "en"),
    ] {
        let i = doc(&[label, "Globex Beta AG", "Ringstr. 5"]);
        assert_eq!(
            i.customer.name.as_deref(),
            Some("Globex Beta AG"),
            "{lang}: {label}"
        );
    }
    for label in [
        "Betaling voor",
        "Te betalen uiterlijk",
        "Fällig zum",
        "Zahlbar ohne Abzug bis",
        "À payer au plus tard le",
        "Pagar antes del",
        "Maturity date",
    ] {
        let i = doc(&["Rechnungsdatum 01.09.2026", &format!("{label}: 15.09.2026")]);
        let d = i.due_date.map(|d| (d.year, d.month, d.day));
        assert_eq!(d, Some((2026, 9, 15)), "{label}");
    }
}
