//! Regressions found on generated invoices, each rebuilt from text lines.
mod common;
use common::*;

#[test]
fn several_totals_on_one_line_are_all_read() {
    let i = run(&[&[
        "^18 Ostostpel Systems GmbH",
        "Rechnungs-Nr. 001848",
        "Rechnungsdatum 26. Juni 2026",
        "@50 Netto 4.582,87 € @200 MwSt. 19 % 870,75 € @380 Bruttobetrag 5.453,62 €",
        "IBAN DE52 7281 9329 4729 2424 85",
    ]]);
    assert_eq!(amt(&i.net_total).as_deref(), Some("4582.87 EUR"));
    assert_eq!(amt(&i.tax_total).as_deref(), Some("870.75 EUR"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("5453.62 EUR"));
    assert_eq!(amt(&i.amount_due).as_deref(), Some("5453.62 EUR"));
    assert!(conf(&i, "gross_total") >= 0.9);
}

#[test]
fn a_discount_between_subtotal_and_net_is_not_the_net() {
    let i = run(&[&[
        "^18 Junbel Limited",
        "Invoice no. INV-1",
        "@50 Subtotal GBP 213.72 @180 Discount GBP -14.96 @300 Total excl. VAT GBP 198.76 @420 VAT 20 % GBP 39.75 @500 Total GBP 238.51",
    ]]);
    assert_eq!(amt(&i.net_total).as_deref(), Some("198.76 GBP"));
    assert_eq!(amt(&i.tax_total).as_deref(), Some("39.75 GBP"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("238.51 GBP"));
}

#[test]
fn a_year_in_a_payment_sentence_is_not_an_amount() {
    let i = run(&[&[
        "^18 Junbel Limited",
        "@50 Total excl. VAT @300 £8,722.55",
        "@50 Total VAT 20 % @300 £1,744.51",
        "@50 Invoice total @300 £10,467.06",
        "@50 Amount due @300 £10,467.06",
        "Please pay £10,467.06 by 7 September 2026.",
    ]]);
    assert_eq!(amt(&i.amount_due).as_deref(), Some("10467.06 GBP"));
}

#[test]
fn customer_name_stops_before_the_address() {
    let i = run(&[&[
        "^18 Ostostpel Systems GmbH",
        "Rechnungsempfänger: Demo Tenant GmbH, 10117 Berlin",
        "Rechnungs-Nr. 001848",
    ]]);
    assert_eq!(i.customer.name.as_deref(), Some("Demo Tenant GmbH"));
}

#[test]
fn tax_invoice_title_carries_the_number() {
    let i = run(&[&[
        "^18 Junbel Limited",
        "Invoice to",
        "Demo Tenant GmbH",
        "Tax Invoice – INV-2026-001098",
        "Due: 7 September 2026",
    ]]);
    assert_eq!(i.invoice_number.as_deref(), Some("INV-2026-001098"));
}

#[test]
fn weak_customer_label_with_colon_opens_the_block() {
    let i = run(&[&[
        "^18 Finwes Bureau N.V.",
        "Factuurnummer F2026/02190",
        "Aan: Demo Tenant GmbH, 10117 Berlin",
    ]]);
    assert_eq!(i.customer.name.as_deref(), Some("Demo Tenant GmbH"));
}

#[test]
fn credit_note_titles_in_spanish_and_italian_carry_the_number() {
    let es = run(&[&[
        "^18 Elkalsil Logistik S.A.",
        "Facturar a",
        "Demo Tenant GmbH",
        "Factura rectificativa – SF-1651",
    ]]);
    assert_eq!(es.invoice_number.as_deref(), Some("SF-1651"));
    let it = run(&[&[
        "^18 Fingal Logistik S.p.A.",
        "Nota di credito",
        "@50 Via Garibaldi 19 @300 Numero nota @400 RE0286",
    ]]);
    assert_eq!(it.invoice_number.as_deref(), Some("RE0286"));
}

#[test]
fn us_vendor_without_symbols_bills_in_dollars() {
    let i = run(&[&[
        "^18 Horven Consulting LLC",
        "@50 Invoice # @150 2007",
        "VAT no. 92-8824394",
        "@50 Net total @300 2,594.33",
        "@50 Total VAT 0 % @300 0.00",
        "@50 Total incl. VAT @300 2,594.33",
        "ACH / Wire: routing 021000021, account on request",
    ]]);
    assert_eq!(i.currency.as_deref(), Some("USD"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("2594.33 USD"));
    assert!(conf(&i, "currency") < 0.9);
}

#[test]
fn bic_under_its_label_or_next_to_the_iban() {
    let below = run(&[&[
        "^18 Zarhor Technik B.V.",
        "@50 IBAN @300 BIC-code",
        "@50 BE71 0961 2345 6769 @300 GKCCBEBB",
    ]]);
    assert_eq!(below.bic.as_deref(), Some("GKCCBEBB"));
    let unlabelled = run(&[&[
        "^18 Zarhor Technik B.V.",
        "IBAN BE71 0961 2345 6769",
        "Bankverbindung GKCCBEBB",
    ]]);
    assert_eq!(unlabelled.bic.as_deref(), Some("GKCCBEBB"));
    assert!(conf(&unlabelled, "bic") < 0.9);
}

#[test]
fn customer_id_is_not_the_customer_name() {
    let i = run(&[&[
        "^18 Kalcor Technik Corp.",
        "Customer ID K11147",
        "Bill to",
        "Demo Tenant GmbH",
    ]]);
    assert_eq!(i.customer.name.as_deref(), Some("Demo Tenant GmbH"));
}

#[test]
fn a_bare_heading_word_is_not_the_vendor() {
    let i = run(&[&[
        "^20 Bill",
        "to",
        "Demo Tenant GmbH",
        "Kalcor Technik Corp. · 1 Main Street · Springfield",
    ]]);
    assert_ne!(i.vendor.name.as_deref(), Some("Bill"));
}

#[test]
fn po_prefixed_number_without_label() {
    let i = run(&[&[
        "^18 Kalcor Technik Corp.",
        "Invoice no. 4711",
        "Reference PO-465516",
    ]]);
    assert_eq!(i.po_number.as_deref(), Some("PO-465516"));
    assert!(conf(&i, "po_number") < 0.9);
}

#[test]
fn glued_header_row_values_are_shared_out_by_column() {
    let i = run(&[&[
        "^18 Zarhor Technik B.V.",
        "@50 Invoice number @150 Date of issue @260 Due @330 Account",
        "@50 INV-2026-0011132026-08-13 @150 21 August 2026 20 September 2026K10888",
    ]]);
    assert_eq!(i.invoice_number.as_deref(), Some("INV-2026-001113"));
    assert_eq!(date(&i.issue_date).as_deref(), Some("2026-08-21"));
    assert_eq!(date(&i.due_date).as_deref(), Some("2026-09-20"));
    assert!(conf(&i, "due_date") < 0.9);
}

#[test]
fn amount_due_prefers_the_value_that_closes_the_totals() {
    let i = run(&[&[
        "^18 Junbel Limited",
        "@50 Total excl. VAT @300 £100.00",
        "@50 VAT 20 % @300 £20.00",
        "@50 Invoice total @300 £120.00",
        "@50 Amount due @300 £120.00",
        "@50 Outstanding amount from earlier invoices @300 £55.00",
    ]]);
    assert_eq!(amt(&i.amount_due).as_deref(), Some("120.00 GBP"));
    assert!(conf(&i, "amount_due") >= 0.9);
}
