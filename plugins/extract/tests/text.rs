//! The generic text-layer extractor on invoices in six languages.
mod common;
use common::*;
use papyr_sdk::types::{DocumentKind, FieldSource, StageError};

const EN: &[&str] = &[
    "^20 Acme Widgets Inc.",
    "123 Main Street, Springfield, IL 62701",
    "^16 INVOICE",
    "Invoice Number: INV-2026-0042",
    "Invoice Date: 12/15/2026",
    "Due Date: January 14, 2027",
    "PO Number: PO-7781",
    "Bill To:",
    "Globex Corporation",
    "742 Evergreen Terrace",
    "@50 Description @300 Qty @360 Unit Price @470 Amount",
    "@50 Consulting services @300 10 @360 $150.00 @470 $1,500.00",
    "@50 Software license @300 2 @360 $249.50 @470 $499.00",
    "@350 Subtotal @470 $1,999.00",
    "@350 Sales Tax 8.25% @470 $164.92",
    "@350 Total @470 $2,163.92",
    "@350 Amount Due @470 $2,163.92",
    "Payment Terms: Net 30",
];

#[test]
fn english_us_invoice() {
    let i = run(&[EN]);
    assert_eq!(i.invoice_number.as_deref(), Some("INV-2026-0042"));
    assert_eq!(date(&i.issue_date).as_deref(), Some("2026-12-15"));
    assert_eq!(date(&i.due_date).as_deref(), Some("2027-01-14"));
    assert_eq!(i.po_number.as_deref(), Some("PO-7781"));
    assert_eq!(i.currency.as_deref(), Some("USD"));
    assert_eq!(amt(&i.net_total).as_deref(), Some("1999.00 USD"));
    assert_eq!(amt(&i.tax_total).as_deref(), Some("164.92 USD"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("2163.92 USD"));
    assert_eq!(amt(&i.amount_due).as_deref(), Some("2163.92 USD"));
    assert_eq!(i.vendor.name.as_deref(), Some("Acme Widgets Inc."));
    assert_eq!(i.customer.name.as_deref(), Some("Globex Corporation"));
    assert_eq!(i.payment_terms.as_deref(), Some("Net 30"));
    assert!(
        conf(&i, "gross_total") >= 0.9,
        "totals corroborated by arithmetic"
    );
    assert_eq!(i.line_items.len(), 2);
    let l = &i.line_items[0];
    assert_eq!(l.description, "Consulting services");
    assert_eq!(dec(&l.quantity).as_deref(), Some("10"));
    assert_eq!(dec(&l.unit_price).as_deref(), Some("150"));
    assert_eq!(amt(&l.net_amount).as_deref(), Some("1500.00 USD"));
    assert_eq!(i.tax_breakdown.len(), 1);
    assert_eq!(
        papyr_sdk::decimal_to_string(&i.tax_breakdown[0].rate),
        "8.25"
    );
    assert_eq!(i.tax_breakdown[0].basis.minor, 199900);
    let ev = i
        .evidence
        .iter()
        .find(|e| e.field == "invoice_number")
        .unwrap();
    assert_eq!(
        (ev.page, ev.line, ev.source),
        (1, 4, FieldSource::TextLayer)
    );
}

const DE: &[&str] = &[
    "^16 Müller & Söhne GmbH",
    "^7 Müller & Söhne GmbH · Industriestraße 5 · 70173 Stuttgart",
    "Rechnungsempfänger",
    "Beispiel AG",
    "Hauptstraße 1",
    "10115 Berlin",
    "^16 Rechnung",
    "@50 Rechnungsnummer: @200 RE-2026-1187",
    "@50 Rechnungsdatum: @200 3. November 2026",
    "@50 Fällig am: @200 03.12.2026",
    "@50 Ihre Bestellung: @200 4500012345",
    "@50 Pos. @90 Bezeichnung @300 Menge @360 Einzelpreis @470 Gesamt",
    "@50 1 @90 Wartungsvertrag Q4 @300 1 @360 1.200,00 € @470 1.200,00 €",
    "@50 2 @90 Ersatzteile @300 3 @360 85,50 € @470 256,50 €",
    "@90 (Filter, Dichtungen)",
    "@300 Nettobetrag @470 1.456,50 €",
    "@300 MwSt. 19 % @470 276,74 €",
    "@300 Gesamtbetrag @470 1.733,24 €",
    "IBAN: DE89 3704 0044 0532 0130 00   BIC: COBADEFFXXX",
    "^7 Müller & Söhne GmbH · USt-IdNr. DE123456789 · Amtsgericht Stuttgart HRB 12345",
];

#[test]
fn german_invoice() {
    let i = run(&[DE]);
    assert_eq!(i.invoice_number.as_deref(), Some("RE-2026-1187"));
    assert_eq!(date(&i.issue_date).as_deref(), Some("2026-11-03"));
    assert_eq!(date(&i.due_date).as_deref(), Some("2026-12-03"));
    assert_eq!(i.po_number.as_deref(), Some("4500012345"));
    assert_eq!(i.currency.as_deref(), Some("EUR"));
    assert_eq!(amt(&i.net_total).as_deref(), Some("1456.50 EUR"));
    assert_eq!(amt(&i.tax_total).as_deref(), Some("276.74 EUR"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("1733.24 EUR"));
    assert_eq!(amt(&i.amount_due).as_deref(), Some("1733.24 EUR"));
    assert_eq!(source(&i, "amount_due"), Some(FieldSource::Derived));
    assert_eq!(i.iban.as_deref(), Some("DE89 3704 0044 0532 0130 00"));
    assert!(conf(&i, "iban") >= 0.9);
    assert_eq!(i.bic.as_deref(), Some("COBADEFFXXX"));
    assert_eq!(i.vendor.tax_id.as_deref(), Some("DE123456789"));
    assert_eq!(i.vendor.country.as_deref(), Some("DE"));
    assert_eq!(i.vendor.name.as_deref(), Some("Müller & Söhne GmbH"));
    assert!(
        conf(&i, "vendor_name") >= 0.9,
        "letterhead corroborated by the legal line"
    );
    assert_eq!(i.customer.name.as_deref(), Some("Beispiel AG"));
    assert_eq!(i.line_items.len(), 2);
    assert_eq!(
        i.line_items[1].description,
        "Ersatzteile (Filter, Dichtungen)"
    );
    assert_eq!(dec(&i.line_items[1].unit_price).as_deref(), Some("85.5"));
    assert_eq!(
        amt(&i.line_items[1].net_amount).as_deref(),
        Some("256.50 EUR")
    );
    assert_eq!(i.tax_breakdown.len(), 1);
    assert_eq!(i.tax_breakdown[0].amount.minor, 27674);
}

const FR: &[&str] = &[
    "^18 Dupont SARL",
    "12 rue de la Paix, 75002 Paris",
    "^16 FACTURE",
    "Facture n° : F-2026-0456",
    "Date : 31 déc. 2026",
    "Date d'échéance : 30/01/2027",
    "Facturé à :",
    "Société Martin SA",
    "@50 Désignation @300 Qté @360 Prix unitaire HT @470 Montant HT",
    "@50 Prestation de conseil @300 5 @360 400,00 @470 2\u{202f}000,00",
    "@300 Total HT @470 2\u{a0}000,00 €",
    "@300 TVA 20 % @470 400,00 €",
    "@300 Total TTC @470 2\u{a0}400,00 €",
    "@300 Net à payer @470 2\u{a0}400,00 €",
    "IBAN : FR76 3000 6000 0112 3456 7890 189",
    "TVA intracom. : FR40303265045",
];

#[test]
fn french_invoice() {
    let i = run(&[FR]);
    assert_eq!(i.invoice_number.as_deref(), Some("F-2026-0456"));
    assert_eq!(date(&i.issue_date).as_deref(), Some("2026-12-31"));
    assert_eq!(date(&i.due_date).as_deref(), Some("2027-01-30"));
    assert_eq!(i.currency.as_deref(), Some("EUR"));
    assert_eq!(amt(&i.net_total).as_deref(), Some("2000.00 EUR"));
    assert_eq!(amt(&i.tax_total).as_deref(), Some("400.00 EUR"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("2400.00 EUR"));
    assert_eq!(amt(&i.amount_due).as_deref(), Some("2400.00 EUR"));
    assert_eq!(source(&i, "amount_due"), Some(FieldSource::TextLayer));
    assert_eq!(i.vendor.name.as_deref(), Some("Dupont SARL"));
    assert_eq!(i.customer.name.as_deref(), Some("Société Martin SA"));
    assert_eq!(i.vendor.tax_id.as_deref(), Some("FR40303265045"));
    assert_eq!(
        papyr_sdk::checks::normalize_iban(i.iban.as_deref().unwrap()),
        "FR7630006000011234567890189"
    );
    assert_eq!(i.line_items.len(), 1);
    assert_eq!(
        amt(&i.line_items[0].net_amount).as_deref(),
        Some("2000.00 EUR")
    );
}

const NL: &[&str] = &[
    "^18 Jansen B.V.",
    "^16 Factuur",
    "Factuurnummer: 2026-0099",
    "Factuurdatum: 15-11-2026",
    "Vervaldatum: 15-12-2026",
    "Klant: De Vries Handel",
    "@50 Omschrijving @300 Aantal @360 Prijs @470 Bedrag",
    "@50 Webhosting jaarpakket @300 1 @360 € 600,00 @470 € 600,00",
    "@50 Domeinnaam @300 2 @360 € 12,50 @470 € 25,00",
    "@300 Totaal excl. btw @470 € 625,00",
    "@300 BTW 21% @470 € 131,25",
    "@300 Totaal incl. btw @470 € 756,25",
    "IBAN NL91 ABNA 0417 1643 00",
    "BTW-nr: NL123456789B01",
];

#[test]
fn dutch_invoice() {
    let i = run(&[NL]);
    assert_eq!(i.invoice_number.as_deref(), Some("2026-0099"));
    assert_eq!(date(&i.issue_date).as_deref(), Some("2026-11-15"));
    assert_eq!(date(&i.due_date).as_deref(), Some("2026-12-15"));
    assert_eq!(amt(&i.net_total).as_deref(), Some("625.00 EUR"));
    assert_eq!(amt(&i.tax_total).as_deref(), Some("131.25 EUR"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("756.25 EUR"));
    assert_eq!(i.customer.name.as_deref(), Some("De Vries Handel"));
    assert_eq!(i.vendor.name.as_deref(), Some("Jansen B.V."));
    assert_eq!(i.vendor.tax_id.as_deref(), Some("NL123456789B01"));
    assert_eq!(i.iban.as_deref(), Some("NL91 ABNA 0417 1643 00"));
    assert_eq!(i.line_items.len(), 2);
    assert_eq!(dec(&i.line_items[1].quantity).as_deref(), Some("2"));
}

const ES: &[&str] = &[
    "^18 Construcciones García S.L.",
    "NIF: B12345678",
    "^16 FACTURA",
    "Número de factura: A-2026/318",
    "Fecha de factura: 5 de marzo de 2026",
    "Fecha de vencimiento: 04/04/2026",
    "Cliente: Hoteles Sol S.A.",
    "@50 Descripción @300 Cantidad @360 Precio @470 Importe",
    "@50 Reforma baño @300 1 @360 3.500,00 @470 3.500,00",
    "@300 Base imponible @470 3.500,00 €",
    "@300 IVA 21% @470 735,00 €",
    "@300 Total factura @470 4.235,00 €",
    "IBAN: ES91 2100 0418 4502 0005 1332",
];

#[test]
fn spanish_invoice() {
    let i = run(&[ES]);
    assert_eq!(i.invoice_number.as_deref(), Some("A-2026/318"));
    assert_eq!(date(&i.issue_date).as_deref(), Some("2026-03-05"));
    assert_eq!(date(&i.due_date).as_deref(), Some("2026-04-04"));
    assert_eq!(amt(&i.net_total).as_deref(), Some("3500.00 EUR"));
    assert_eq!(amt(&i.tax_total).as_deref(), Some("735.00 EUR"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("4235.00 EUR"));
    assert_eq!(i.customer.name.as_deref(), Some("Hoteles Sol S.A."));
    assert_eq!(i.vendor.name.as_deref(), Some("Construcciones García S.L."));
    assert_eq!(i.vendor.tax_id.as_deref(), Some("B12345678"));
    assert!(i.iban.is_some());
    assert_eq!(i.line_items.len(), 1);
    assert_eq!(i.line_items[0].description, "Reforma baño");
}

const IT: &[&str] = &[
    "^18 Rossi S.r.l.",
    "Fattura n. 127/2026",
    "Data: 12/10/2026",
    "Scadenza: 11 novembre 2026",
    "Spett.le",
    "Bianchi S.p.A.",
    "@50 Descrizione @300 Quantità @360 Prezzo unitario @470 Importo",
    "@50 Consulenza tecnica @300 8 @360 95,00 @470 760,00",
    "@300 Imponibile @470 760,00",
    "@300 IVA 22% @470 167,20",
    "@300 Totale fattura @470 927,20 €",
    "P.IVA IT12345678901",
    "IBAN IT60 X054 2811 1010 0000 0123 456",
];

#[test]
fn italian_invoice() {
    let i = run(&[IT]);
    assert_eq!(i.invoice_number.as_deref(), Some("127/2026"));
    assert_eq!(date(&i.issue_date).as_deref(), Some("2026-10-12"));
    assert_eq!(date(&i.due_date).as_deref(), Some("2026-11-11"));
    assert_eq!(amt(&i.net_total).as_deref(), Some("760.00 EUR"));
    assert_eq!(amt(&i.tax_total).as_deref(), Some("167.20 EUR"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("927.20 EUR"));
    assert_eq!(i.customer.name.as_deref(), Some("Bianchi S.p.A."));
    assert_eq!(i.vendor.name.as_deref(), Some("Rossi S.r.l."));
    assert_eq!(i.vendor.tax_id.as_deref(), Some("IT12345678901"));
    assert_eq!(
        papyr_sdk::checks::normalize_iban(i.iban.as_deref().unwrap()),
        "IT60X0542811101000000123456"
    );
    assert_eq!(i.line_items.len(), 1);
    assert_eq!(dec(&i.line_items[0].quantity).as_deref(), Some("8"));
}

#[test]
fn values_below_labels_in_columns() {
    let i = run(&[&[
        "^18 Northwind Traders Ltd",
        "@50 Invoice No. @200 Invoice Date @350 Due Date",
        "@50 NW-88812 @200 03/04/2026 @350 02/05/2026",
        "@300 Net amount @450 £1,000.00",
        "@300 VAT 20% @450 £200.00",
        "@300 Total @450 £1,200.00",
    ]]);
    assert_eq!(i.invoice_number.as_deref(), Some("NW-88812"));
    // British: day first.
    assert_eq!(date(&i.issue_date).as_deref(), Some("2026-04-03"));
    assert_eq!(date(&i.due_date).as_deref(), Some("2026-05-02"));
    assert_eq!(i.currency.as_deref(), Some("GBP"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("1200.00 GBP"));
}

#[test]
fn totals_triple_is_chosen_by_arithmetic() {
    // A previous balance and a discount line are decoys; only 500 + 95 = 595 holds.
    let i = run(&[&[
        "^18 Alpha GmbH",
        "Rechnung Nr. 77",
        "Rechnungsdatum 01.02.2026",
        "@300 Summe @470 612,00 €",
        "@300 Nettobetrag @470 500,00 €",
        "@300 zzgl. MwSt. 19 % @470 95,00 €",
        "@300 Gesamtbetrag @470 595,00 €",
        "@300 Bereits bezahlt @470 100,00 €",
        "@300 Zu zahlen @470 495,00 €",
    ]]);
    assert_eq!(amt(&i.net_total).as_deref(), Some("500.00 EUR"));
    assert_eq!(amt(&i.tax_total).as_deref(), Some("95.00 EUR"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("595.00 EUR"));
    assert_eq!(amt(&i.prepaid).as_deref(), Some("100.00 EUR"));
    assert_eq!(amt(&i.amount_due).as_deref(), Some("495.00 EUR"));
    assert!(conf(&i, "amount_due") >= 0.9);
    assert_eq!(i.invoice_number.as_deref(), Some("77"));
}

#[test]
fn several_vat_rates_sum_to_tax_total() {
    let i = run(&[&[
        "^18 Beta GmbH",
        "Rechnungsnummer 2026-5",
        "@300 Nettobetrag @470 300,00 €",
        "@300 MwSt. 19 % auf 200,00 € @470 38,00 €",
        "@300 MwSt. 7 % auf 100,00 € @470 7,00 €",
        "@300 Gesamtbetrag @470 345,00 €",
    ]]);
    assert_eq!(amt(&i.tax_total).as_deref(), Some("45.00 EUR"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("345.00 EUR"));
    assert_eq!(i.tax_breakdown.len(), 2);
    assert_eq!(i.tax_breakdown[0].basis.minor, 20000);
    assert_eq!(i.tax_breakdown[1].amount.minor, 700);
    assert_eq!(papyr_sdk::decimal_to_string(&i.tax_breakdown[1].rate), "7");
}

#[test]
fn gross_is_derived_when_not_printed() {
    let i = run(&[&["Invoice # 1001", "Subtotal: EUR 100.00", "VAT: EUR 21.00"]]);
    assert_eq!(amt(&i.gross_total).as_deref(), Some("121.00 EUR"));
    assert_eq!(source(&i, "gross_total"), Some(FieldSource::Derived));
    assert!(conf(&i, "net_total") < 0.9);
}

#[test]
fn invalid_labelled_iban_is_reported_with_low_confidence() {
    let i = run(&[&[
        "Invoice number: 5",
        "Total: 10.00 EUR",
        "IBAN: DE89 3704 0044 0532 0130 01",
    ]]);
    assert_eq!(i.iban.as_deref(), Some("DE89 3704 0044 0532 0130 01"));
    assert!(conf(&i, "iban") < 0.5);
    // Unlabelled and invalid: not an IBAN.
    let i = run(&[&["Invoice number: 5", "Reference DE89 3704 0044 0532 0130 01"]]);
    assert!(i.iban.is_none());
    // Unlabelled but valid: found anywhere.
    let i = run(&[&[
        "Invoice number: 5",
        "Please transfer to GB82 WEST 1234 5698 7654 32 quoting the number",
    ]]);
    assert_eq!(i.iban.as_deref(), Some("GB82 WEST 1234 5698 7654 32"));
}

#[test]
fn customer_vat_is_not_the_vendors() {
    let i = run(&[&[
        "^18 Gamma GmbH",
        "Rechnung an:",
        "Delta AG",
        "USt-IdNr. des Kunden: DE987654321",
        "Rechnungsnummer: R-1",
        "USt-IdNr.: DE123456789",
    ]]);
    assert_eq!(i.vendor.tax_id.as_deref(), Some("DE123456789"));
    assert_eq!(i.customer.tax_id.as_deref(), Some("DE987654321"));
}

#[test]
fn table_continues_on_next_page_under_repeated_header() {
    let header = "@50 Description @300 Qty @360 Price @470 Amount";
    let p1: &[&str] = &[
        "^18 Epsilon Ltd",
        "Invoice no: E-1",
        header,
        "@50 Item one @300 1 @360 10.00 @470 10.00",
        "@50 Item two @300 2 @360 10.00 @470 20.00",
        "Page 1 of 2",
    ];
    let p2: &[&str] = &[
        header,
        "@50 Item three @300 3 @360 10.00 @470 30.00",
        "@300 Subtotal @470 €60.00",
        "@300 VAT 0% @470 €0.00",
        "@300 Total @470 €60.00",
    ];
    let i = run(&[p1, p2]);
    let d: Vec<&str> = i
        .line_items
        .iter()
        .map(|l| l.description.as_str())
        .collect();
    assert_eq!(d, ["Item one", "Item two", "Item three"]);
    let sum: i64 = i
        .line_items
        .iter()
        .filter_map(|l| l.net_amount.as_ref())
        .map(|m| m.minor)
        .sum();
    assert_eq!(Some(sum), i.net_total.as_ref().map(|m| m.minor));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("60.00 EUR"));
}

#[test]
fn credit_note_kind_and_signs_as_printed() {
    let i = run_with(
        &[&[
            "^18 Zeta SA",
            "Avoir n° AV-12",
            "Total HT 100,00 €",
            "TVA 20 % 20,00 €",
            "Total TTC 120,00 €",
        ]],
        DocumentKind::CreditNote,
        &[],
    );
    assert_eq!(i.kind, DocumentKind::CreditNote);
    assert_eq!(i.invoice_number.as_deref(), Some("AV-12"));
    assert_eq!(i.gross_total.as_ref().map(|m| m.minor), Some(12000));
    let i = run(&[&[
        "Credit note no: CN-1",
        "Subtotal -50.00 EUR",
        "VAT -10.00 EUR",
        "Total -60.00 EUR",
    ]]);
    assert_eq!(i.gross_total.as_ref().map(|m| m.minor), Some(-6000));
    assert_eq!(
        i.kind,
        DocumentKind::Invoice,
        "kind follows the classification"
    );
}

#[test]
fn no_text_layer_is_unsupported() {
    let mut p = parsed(&[&[]]);
    p.has_text_layer = false;
    p.pages[0].image_count = 1;
    let r = extract::extract_with(&info(), &p, &class(DocumentKind::Invoice), &[], &mut |_| {});
    match r {
        Err(StageError::Unsupported(m)) => assert!(m.contains("OCR")),
        other => panic!("expected Unsupported, got {other:?}"),
    }
}

#[test]
fn nothing_found_means_none() {
    let i = run(&[&["Hello world", "Nothing to see here"]]);
    assert!(
        i.invoice_number.is_none()
            && i.gross_total.is_none()
            && i.iban.is_none()
            && i.issue_date.is_none()
    );
    assert!(i.line_items.is_empty());
}

#[test]
fn swiss_apostrophe_amounts_and_chf() {
    let i = run(&[&[
        "^18 Omega AG",
        "Rechnung Nr. CH-2026-4",
        "Datum: 2026-06-30",
        "@300 Total exkl. MWST @470 CHF 1'000.00",
        "@300 MWST 8.1% @470 CHF 81.00",
        "@300 Total @470 CHF 1'081.00",
    ]]);
    assert_eq!(i.currency.as_deref(), Some("CHF"));
    assert_eq!(date(&i.issue_date).as_deref(), Some("2026-06-30"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("1081.00 CHF"));
    assert_eq!(amt(&i.tax_total).as_deref(), Some("81.00 CHF"));
}

#[test]
fn one_page_extraction_is_fast() {
    let p = parsed(&[DE]);
    let n = 200;
    let t = std::time::Instant::now();
    for _ in 0..n {
        let r = extract::extract_with(&info(), &p, &class(DocumentKind::Invoice), &[], &mut |_| {});
        assert!(r.is_ok());
    }
    let per = t.elapsed() / n;
    eprintln!("one-page text extraction: {per:?} per document");
    // Generous for unoptimised test builds; the release figure is in the report.
    assert!(per < std::time::Duration::from_millis(20), "{per:?}");
}

#[test]
fn hostile_text_never_panics() {
    // Deterministic pseudo-random lines built from the characters the parsers care about.
    let alphabet: Vec<char> =
        "0123456789.,' -/:()%€$£#°ºIBANDEFRTotalMwStUSt-IdNr\u{a0}\u{202f}ßéü\u{2212}x@^"
            .chars()
            .collect();
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        let mut lines = Vec::new();
        for _ in 0..(next() % 12) {
            let len = next() % 60;
            let s: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            lines.push(s);
        }
        lines.push("Total 99999999999999999999999,99 €".into());
        lines.push("Nettobetrag 9223372036854775807,00 €  MwSt 9223372036854775807,00 €".into());
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let p = parsed(&[&refs]);
        let _ = extract::extract_with(&info(), &p, &class(DocumentKind::Invoice), &[], &mut |_| {});
    }
}

#[test]
fn word_by_word_spans_form_phrases() {
    // Spans per word, as some PDF producers emit them; columns are far apart.
    let mut p = parsed(&[&[
        "^18 Iota Ltd",
        "Invoice number: IO-5",
        "@50 Description @250 Qty @320 Unit @350 Price @470 Amount",
        "@50 Blue @75 widgets @250 4 @320 5.00 @470 20.00",
        "@350 Total @470 EUR 20.00",
    ]]);
    for l in &mut p.pages[0].lines {
        l.text = l
            .spans
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
    }
    let i = extract::extract_with(&info(), &p, &class(DocumentKind::Invoice), &[], &mut |_| {})
        .unwrap();
    assert_eq!(i.line_items.len(), 1);
    assert_eq!(i.line_items[0].description, "Blue widgets");
    assert_eq!(dec(&i.line_items[0].unit_price).as_deref(), Some("5"));
    assert_eq!(
        amt(&i.line_items[0].net_amount).as_deref(),
        Some("20.00 EUR")
    );
}

#[test]
fn total_column_header_is_not_the_gross_total() {
    let i = run(&[&[
        "^18 Kappa Ltd",
        "Invoice no: K-9",
        "@50 Item @300 Qty @360 Price @470 Total",
        "@50 Widget @300 1 @360 80.00 @470 80.00",
        "@50 Gadget @300 1 @360 20.00 @470 20.00",
        "@350 Grand total @470 EUR 100.00",
    ]]);
    assert_eq!(amt(&i.gross_total).as_deref(), Some("100.00 EUR"));
    assert_eq!(i.line_items.len(), 2);
    assert!(i.net_total.is_none(), "no net printed, none invented");
}

#[test]
fn bare_amounts_take_the_vendors_currency_and_carry_lines_are_not_items() {
    let p1: &[&str] = &[
        "^18 Lambda B.V.",
        "@50 Aan",
        "@50 Mu Handel B.V.",
        "Factuurnummer: L-77",
        "@50 Omschrijving @300 Aantal @360 Prijs @470 Bedrag",
        "@50 Advies @300 1 @360 100,00 @470 100,00",
        "@300 Transport @470 100,00",
    ];
    let p2: &[&str] = &[
        "@50 Omschrijving @300 Aantal @360 Prijs @470 Bedrag",
        "@300 Transport @470 100,00",
        "@50 Licentie @300 1 @360 50,00 @470 50,00",
        "@300 Totaal excl. btw @470 150,00",
        "@300 Btw 21% @470 31,50",
        "@300 Totaal incl. btw @470 181,50",
        "Btw-nummer: NL123456789B01",
    ];
    let i = run(&[p1, p2]);
    assert_eq!(i.currency.as_deref(), Some("EUR"));
    assert_eq!(source(&i, "currency"), Some(FieldSource::Derived));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("181.50 EUR"));
    let d: Vec<&str> = i
        .line_items
        .iter()
        .map(|l| l.description.as_str())
        .collect();
    assert_eq!(d, ["Advies", "Licentie"]);
    assert_eq!(i.customer.name.as_deref(), Some("Mu Handel B.V."));
}

#[test]
fn weak_to_label_in_a_sentence_is_not_a_customer() {
    let i = run(&[&[
        "Invoice number: 9",
        "Please transfer to GB82 WEST 1234 5698 7654 32 today",
        "Total: GBP 10.00",
    ]]);
    assert!(i.customer.name.is_none());
}
