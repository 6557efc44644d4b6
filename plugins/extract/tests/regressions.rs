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
