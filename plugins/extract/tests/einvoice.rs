//! Hand-written e-invoices for the syntaxes and edge cases the test suite lacks.
mod common;
use common::*;
use papyr_sdk::types::{DocumentKind, EInvoice, FieldSource, StageError, XmlSyntax};

const ZF1: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
  <rsm:HeaderExchangedDocument>
    <ram:ID>471102</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20130305</udt:DateTimeString></ram:IssueDateTime>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Lieferant GmbH</ram:Name>
        <ram:PostalTradeAddress><ram:PostcodeCode>80333</ram:PostcodeCode><ram:LineOne>Lieferantenstraße 20</ram:LineOne><ram:CityName>München</ram:CityName><ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">201/113/40209</ram:ID></ram:SpecifiedTaxRegistration>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Kunden AG Mitte</ram:Name></ram:BuyerTradeParty>
      <ram:BuyerOrderReferencedDocument><ram:ID>PO-9</ram:ID></ram:BuyerOrderReferencedDocument>
    </ram:ApplicableSupplyChainTradeAgreement>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:TypeCode>31</ram:TypeCode>
        <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>DE08700901001234567890</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>
        <ram:PayeeSpecifiedCreditorFinancialInstitution><ram:BICID>GENODEF1M04</ram:BICID></ram:PayeeSpecifiedCreditorFinancialInstitution>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax>
        <ram:CalculatedAmount currencyID="EUR">37.62</ram:CalculatedAmount>
        <ram:TypeCode>VAT</ram:TypeCode>
        <ram:BasisAmount currencyID="EUR">198.00</ram:BasisAmount>
        <ram:CategoryCode>S</ram:CategoryCode>
        <ram:ApplicablePercent>19.00</ram:ApplicablePercent>
      </ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms>
        <ram:Description>Zahlbar innerhalb 30 Tagen netto</ram:Description>
        <ram:DueDateDateTime><udt:DateTimeString format="102">20130404</udt:DateTimeString></ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:LineTotalAmount currencyID="EUR">198.00</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount currencyID="EUR">198.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">37.62</ram:TaxTotalAmount>
        <ram:GrandTotalAmount currencyID="EUR">235.62</ram:GrandTotalAmount>
        <ram:DuePayableAmount currencyID="EUR">235.62</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:SpecifiedSupplyChainTradeAgreement>
        <ram:NetPriceProductTradePrice><ram:ChargeAmount currencyID="EUR">9.9000</ram:ChargeAmount></ram:NetPriceProductTradePrice>
      </ram:SpecifiedSupplyChainTradeAgreement>
      <ram:SpecifiedSupplyChainTradeDelivery><ram:BilledQuantity unitCode="C62">20.0000</ram:BilledQuantity></ram:SpecifiedSupplyChainTradeDelivery>
      <ram:SpecifiedSupplyChainTradeSettlement>
        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:ApplicablePercent>19.00</ram:ApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementMonetarySummation><ram:LineTotalAmount currencyID="EUR">198.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementMonetarySummation>
      </ram:SpecifiedSupplyChainTradeSettlement>
      <ram:SpecifiedTradeProduct><ram:GlobalID schemeID="0160">4012345001235</ram:GlobalID><ram:Name>Trennblätter A4</ram:Name></ram:SpecifiedTradeProduct>
    </ram:IncludedSupplyChainTradeLineItem>
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>"#;

fn with_xml(
    syntax: XmlSyntax,
    xml: &str,
    text: &[&str],
) -> Result<papyr_sdk::types::Invoice, StageError> {
    let mut p = parsed(&[text]);
    p.e_invoice = Some(EInvoice {
        syntax,
        source_name: "x.xml".into(),
        profile: None,
        xml: xml.into(),
    });
    if text.is_empty() {
        p.has_text_layer = false;
    }
    extract::extract_with(&info(), &p, &class(DocumentKind::Invoice), &[], &mut |_| {})
}

#[test]
fn zugferd_1_core_fields() {
    let i = with_xml(XmlSyntax::CiiZugferd1, ZF1, &[]).unwrap();
    assert_eq!(i.invoice_number.as_deref(), Some("471102"));
    assert_eq!(date(&i.issue_date).as_deref(), Some("2013-03-05"));
    assert_eq!(date(&i.due_date).as_deref(), Some("2013-04-04"));
    assert_eq!(i.vendor.name.as_deref(), Some("Lieferant GmbH"));
    assert_eq!(
        i.vendor.tax_id.as_deref(),
        Some("DE123456789"),
        "VA preferred over FC"
    );
    assert_eq!(
        i.vendor.address.as_deref(),
        Some("Lieferantenstraße 20, 80333 München")
    );
    assert_eq!(i.customer.name.as_deref(), Some("Kunden AG Mitte"));
    assert_eq!(i.po_number.as_deref(), Some("PO-9"));
    assert_eq!(amt(&i.gross_total).as_deref(), Some("235.62 EUR"));
    assert_eq!(amt(&i.tax_total).as_deref(), Some("37.62 EUR"));
    assert_eq!(i.iban.as_deref(), Some("DE08700901001234567890"));
    assert_eq!(i.bic.as_deref(), Some("GENODEF1M04"));
    assert_eq!(
        i.payment_terms.as_deref(),
        Some("Zahlbar innerhalb 30 Tagen netto")
    );
    assert_eq!(i.tax_breakdown.len(), 1);
    assert_eq!(papyr_sdk::decimal_to_string(&i.tax_breakdown[0].rate), "19");
    let l = &i.line_items[0];
    assert_eq!(l.description, "Trennblätter A4");
    assert_eq!(dec(&l.quantity).as_deref(), Some("20"));
    assert_eq!(dec(&l.unit_price).as_deref(), Some("9.9"));
    assert_eq!(l.product_code.as_deref(), Some("4012345001235"));
    assert!(
        i.evidence
            .iter()
            .all(|e| e.source == FieldSource::EInvoice && e.confidence == 1.0)
    );
    let ev = i
        .evidence
        .iter()
        .find(|e| e.field == "gross_total")
        .unwrap();
    assert_eq!(
        ev.text,
        "rsm:SpecifiedSupplyChainTradeTransaction/ram:ApplicableSupplyChainTradeSettlement/ram:SpecifiedTradeSettlementMonetarySummation/ram:GrandTotalAmount"
    );
}

const UBL_CN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>CN-2026-7</cbc:ID>
  <cbc:IssueDate>2026-11-20</cbc:IssueDate>
  <cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>
  <cbc:DocumentCurrencyCode>SEK</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party>
    <cac:PartyName><cbc:Name>Nordic Trade</cbc:Name></cac:PartyName>
    <cac:PartyTaxScheme><cbc:CompanyID>SE556677889901</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  </cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>Buyer AB</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>49</cbc:PaymentMeansCode>
    <cbc:PaymentDueDate>2026-12-20</cbc:PaymentDueDate>
  </cac:PaymentMeans>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>SE4550000000058398257466</cbc:ID><cac:FinancialInstitutionBranch><cbc:ID>ESSESESS</cbc:ID></cac:FinancialInstitutionBranch></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>SE3550000000054910000003</cbc:ID></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="SEK">25.00</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="SEK">100.00</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="SEK">25.00</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>25</cbc:Percent></cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="SEK">100.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="SEK">100.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="SEK">125.00</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="SEK">125.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:CreditNoteLine>
    <cbc:ID>1</cbc:ID>
    <cbc:CreditedQuantity unitCode="H87">3</cbc:CreditedQuantity>
    <cbc:LineExtensionAmount currencyID="SEK">100.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Returned goods</cbc:Name><cac:SellersItemIdentification><cbc:ID>RG-1</cbc:ID></cac:SellersItemIdentification>
      <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>25</cbc:Percent></cac:ClassifiedTaxCategory></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="SEK">100.00</cbc:PriceAmount><cbc:BaseQuantity unitCode="H87">3</cbc:BaseQuantity></cac:Price>
  </cac:CreditNoteLine>
</CreditNote>"#;

#[test]
fn ubl_credit_note() {
    let i = with_xml(XmlSyntax::UblCreditNote, UBL_CN, &[]).unwrap();
    assert_eq!(i.kind, DocumentKind::CreditNote);
    assert_eq!(i.invoice_number.as_deref(), Some("CN-2026-7"));
    assert_eq!(
        date(&i.due_date).as_deref(),
        Some("2026-12-20"),
        "due date from PaymentMeans"
    );
    assert_eq!(
        i.vendor.name.as_deref(),
        Some("Nordic Trade"),
        "PartyName when no legal name"
    );
    assert_eq!(i.customer.name.as_deref(), Some("Buyer AB"));
    // The first credit-transfer means with an account; the direct debit has none.
    assert_eq!(i.iban.as_deref(), Some("SE4550000000058398257466"));
    assert_eq!(i.bic.as_deref(), Some("ESSESESS"));
    assert_eq!(
        amt(&i.gross_total).as_deref(),
        Some("125.00 SEK"),
        "positive as in the XML"
    );
    let l = &i.line_items[0];
    assert_eq!(dec(&l.quantity).as_deref(), Some("3"));
    // 100.00 per base quantity 3 does not terminate: no invented unit price.
    assert!(l.unit_price.is_none());
    assert_eq!(l.product_code.as_deref(), Some("RG-1"));
}

#[test]
fn too_many_decimals_is_an_error_not_rounding() {
    let xml = UBL_CN.replace(
        ">125.00</cbc:PayableAmount>",
        ">125.005</cbc:PayableAmount>",
    );
    match with_xml(XmlSyntax::UblCreditNote, &xml, &[]) {
        Err(StageError::InvalidInput(m)) => {
            assert!(m.contains("PayableAmount") && m.contains("125.005"), "{m}")
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    // Trailing zeros are exact, not extra precision.
    let xml = UBL_CN.replace(
        ">125.00</cbc:PayableAmount>",
        ">125.000</cbc:PayableAmount>",
    );
    let i = with_xml(XmlSyntax::UblCreditNote, &xml, &[]).unwrap();
    assert_eq!(i.amount_due.as_ref().map(|m| m.minor), Some(12500));
}

#[test]
fn broken_xml_in_a_hybrid_falls_back_to_text() {
    let i = with_xml(
        XmlSyntax::Cii,
        "<rsm:CrossIndustryInvoice",
        &["Invoice number: H-1", "Total: 5.00 EUR"],
    )
    .unwrap();
    assert_eq!(i.invoice_number.as_deref(), Some("H-1"));
    assert!(matches!(
        with_xml(XmlSyntax::Cii, "<broken", &[]),
        Err(StageError::InvalidInput(_))
    ));
}

#[test]
fn xml_wins_over_the_visible_text() {
    let i = with_xml(
        XmlSyntax::CiiZugferd1,
        ZF1,
        &["Rechnungsnummer: 999", "Gesamtbetrag 1,00 €"],
    )
    .unwrap();
    assert_eq!(i.invoice_number.as_deref(), Some("471102"));
}
