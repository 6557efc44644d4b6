//! EN 16931 e-invoices: CII (for Factur-X and standalone) and UBL 2.1 / Peppol BIS 3.

use crate::model::{Invoice, Kind, Tenant, Vendor};
use crate::util::{dec2, qty_str, rate_str};
use std::fmt::Write as _;

pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn cat(rate: u32) -> &'static str {
    if rate == 0 { "Z" } else { "S" }
}

fn country_of(vat: &str) -> &str {
    vat.get(..2).unwrap_or("DE")
}

pub fn cii(inv: &Invoice, v: &Vendor, t: &Tenant, profile: &str) -> String {
    let tc = if inv.kind == Kind::CreditNote {
        "381"
    } else {
        "380"
    };
    let cur = &inv.currency;
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str("<rsm:CrossIndustryInvoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\" xmlns:ram=\"urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100\" xmlns:qdt=\"urn:un:unece:uncefact:data:standard:QualifiedDataType:100\" xmlns:udt=\"urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100\">\n");
    let _ = write!(
        s,
        "  <rsm:ExchangedDocumentContext>\n    <ram:GuidelineSpecifiedDocumentContextParameter>\n      <ram:ID>{profile}</ram:ID>\n    </ram:GuidelineSpecifiedDocumentContextParameter>\n  </rsm:ExchangedDocumentContext>\n  <rsm:ExchangedDocument>\n    <ram:ID>{}</ram:ID>\n    <ram:TypeCode>{tc}</ram:TypeCode>\n    <ram:IssueDateTime>\n      <udt:DateTimeString format=\"102\">{}</udt:DateTimeString>\n    </ram:IssueDateTime>\n  </rsm:ExchangedDocument>\n  <rsm:SupplyChainTradeTransaction>\n",
        esc(&inv.number),
        inv.issue.compact()
    );
    for (k, l) in inv.lines.iter().enumerate() {
        let _ = write!(
            s,
            "    <ram:IncludedSupplyChainTradeLineItem>\n      <ram:AssociatedDocumentLineDocument><ram:LineID>{}</ram:LineID></ram:AssociatedDocumentLineDocument>\n      <ram:SpecifiedTradeProduct><ram:Name>{}</ram:Name></ram:SpecifiedTradeProduct>\n      <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{}</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>\n      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode=\"C62\">{}</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>\n      <ram:SpecifiedLineTradeSettlement>\n        <ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>{}</ram:CategoryCode><ram:RateApplicablePercent>{}</ram:RateApplicablePercent></ram:ApplicableTradeTax>\n        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>\n      </ram:SpecifiedLineTradeSettlement>\n    </ram:IncludedSupplyChainTradeLineItem>\n",
            k + 1,
            esc(&l.desc),
            dec2(l.unit_minor),
            qty_str(l.qty_milli),
            cat(l.rate_bp),
            rate_str(l.rate_bp),
            dec2(l.net_minor)
        );
    }
    let _ = write!(
        s,
        "    <ram:ApplicableHeaderTradeAgreement>\n      <ram:BuyerReference>{}</ram:BuyerReference>\n      <ram:SellerTradeParty>\n        <ram:Name>{}</ram:Name>\n        <ram:PostalTradeAddress><ram:LineOne>{}</ram:LineOne><ram:CityName>{}</ram:CityName><ram:CountryID>{}</ram:CountryID></ram:PostalTradeAddress>\n        <ram:URIUniversalCommunication><ram:URIID schemeID=\"EM\">billing@{}</ram:URIID></ram:URIUniversalCommunication>\n        <ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{}</ram:ID></ram:SpecifiedTaxRegistration>\n      </ram:SellerTradeParty>\n      <ram:BuyerTradeParty>\n        <ram:Name>{}</ram:Name>\n        <ram:PostalTradeAddress><ram:LineOne>{}</ram:LineOne><ram:CityName>{}</ram:CityName><ram:CountryID>{}</ram:CountryID></ram:PostalTradeAddress>\n",
        esc(&inv.customer_no),
        esc(&v.name),
        esc(&v.street),
        esc(&v.city),
        v.country,
        esc(&v.domain),
        esc(&inv.seller_vat),
        esc(&inv.buyer_name),
        esc(&t.street),
        esc(&t.city),
        country_of(&t.vat)
    );
    if let Some(b) = &inv.buyer_vat {
        let _ = writeln!(
            s,
            "        <ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{}</ram:ID></ram:SpecifiedTaxRegistration>",
            esc(b)
        );
    }
    s.push_str("      </ram:BuyerTradeParty>\n");
    if let Some(po) = &inv.po {
        let _ = writeln!(
            s,
            "      <ram:BuyerOrderReferencedDocument><ram:IssuerAssignedID>{}</ram:IssuerAssignedID></ram:BuyerOrderReferencedDocument>",
            esc(po)
        );
    }
    s.push_str("    </ram:ApplicableHeaderTradeAgreement>\n    <ram:ApplicableHeaderTradeDelivery/>\n    <ram:ApplicableHeaderTradeSettlement>\n");
    let _ = writeln!(
        s,
        "      <ram:InvoiceCurrencyCode>{cur}</ram:InvoiceCurrencyCode>"
    );
    if let Some(iban) = &inv.iban {
        let _ = write!(
            s,
            "      <ram:SpecifiedTradeSettlementPaymentMeans>\n        <ram:TypeCode>58</ram:TypeCode>\n        <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{}</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>\n",
            esc(iban)
        );
        if let Some(bic) = &inv.bic {
            let _ = writeln!(
                s,
                "        <ram:PayeeSpecifiedCreditorFinancialInstitution><ram:BICID>{}</ram:BICID></ram:PayeeSpecifiedCreditorFinancialInstitution>",
                esc(bic)
            );
        }
        s.push_str("      </ram:SpecifiedTradeSettlementPaymentMeans>\n");
    }
    for t in &inv.taxes {
        let _ = write!(
            s,
            "      <ram:ApplicableTradeTax>\n        <ram:CalculatedAmount>{}</ram:CalculatedAmount>\n        <ram:TypeCode>VAT</ram:TypeCode>\n        <ram:BasisAmount>{}</ram:BasisAmount>\n        <ram:CategoryCode>{}</ram:CategoryCode>\n        <ram:RateApplicablePercent>{}</ram:RateApplicablePercent>\n      </ram:ApplicableTradeTax>\n",
            dec2(t.amount),
            dec2(t.basis),
            cat(t.rate_bp),
            rate_str(t.rate_bp)
        );
    }
    if inv.discount != 0 {
        let r = inv.taxes.first().map(|t| t.rate_bp).unwrap_or(0);
        let _ = write!(
            s,
            "      <ram:SpecifiedTradeAllowanceCharge>\n        <ram:ChargeIndicator><udt:Indicator>false</udt:Indicator></ram:ChargeIndicator>\n        <ram:ActualAmount>{}</ram:ActualAmount>\n        <ram:Reason>Discount</ram:Reason>\n        <ram:CategoryTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>{}</ram:CategoryCode><ram:RateApplicablePercent>{}</ram:RateApplicablePercent></ram:CategoryTradeTax>\n      </ram:SpecifiedTradeAllowanceCharge>\n",
            dec2(inv.discount),
            cat(r),
            rate_str(r)
        );
    }
    if let Some(due) = inv.due {
        let _ = write!(
            s,
            "      <ram:SpecifiedTradePaymentTerms>\n        <ram:DueDateDateTime><udt:DateTimeString format=\"102\">{}</udt:DateTimeString></ram:DueDateDateTime>\n      </ram:SpecifiedTradePaymentTerms>\n",
            due.compact()
        );
    }
    let _ = write!(
        s,
        "      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>\n        <ram:LineTotalAmount>{}</ram:LineTotalAmount>\n        <ram:AllowanceTotalAmount>{}</ram:AllowanceTotalAmount>\n        <ram:TaxBasisTotalAmount>{}</ram:TaxBasisTotalAmount>\n        <ram:TaxTotalAmount currencyID=\"{cur}\">{}</ram:TaxTotalAmount>\n        <ram:GrandTotalAmount>{}</ram:GrandTotalAmount>\n        <ram:TotalPrepaidAmount>{}</ram:TotalPrepaidAmount>\n        <ram:DuePayableAmount>{}</ram:DuePayableAmount>\n      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>\n",
        dec2(inv.line_sum()),
        dec2(inv.discount),
        dec2(inv.net),
        dec2(inv.tax),
        dec2(inv.gross),
        dec2(inv.prepaid),
        dec2(inv.amount_due)
    );
    if let Some(p) = &inv.preceding {
        let _ = writeln!(
            s,
            "      <ram:InvoiceReferencedDocument><ram:IssuerAssignedID>{}</ram:IssuerAssignedID></ram:InvoiceReferencedDocument>",
            esc(p)
        );
    }
    s.push_str("    </ram:ApplicableHeaderTradeSettlement>\n  </rsm:SupplyChainTradeTransaction>\n</rsm:CrossIndustryInvoice>\n");
    s
}

pub fn ubl(inv: &Invoice, v: &Vendor, t: &Tenant) -> String {
    let credit = inv.kind == Kind::CreditNote;
    let (root, ns, line_el, qty_el, tc_el, tc) = if credit {
        (
            "CreditNote",
            "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
            "CreditNoteLine",
            "CreditedQuantity",
            "CreditNoteTypeCode",
            "381",
        )
    } else {
        (
            "Invoice",
            "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
            "InvoiceLine",
            "InvoicedQuantity",
            "InvoiceTypeCode",
            "380",
        )
    };
    let cur = &inv.currency;
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        s,
        "<{root} xmlns=\"{ns}\" xmlns:cac=\"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2\" xmlns:cbc=\"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2\">\n  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>\n  <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>\n  <cbc:ID>{}</cbc:ID>\n  <cbc:IssueDate>{}</cbc:IssueDate>\n",
        esc(&inv.number),
        inv.issue.iso()
    );
    if let (Some(due), false) = (inv.due, credit) {
        let _ = writeln!(s, "  <cbc:DueDate>{}</cbc:DueDate>", due.iso());
    }
    let _ = write!(
        s,
        "  <cbc:{tc_el}>{tc}</cbc:{tc_el}>\n  <cbc:DocumentCurrencyCode>{cur}</cbc:DocumentCurrencyCode>\n  <cbc:BuyerReference>{}</cbc:BuyerReference>\n",
        esc(&inv.customer_no)
    );
    if let Some(po) = &inv.po {
        let _ = writeln!(
            s,
            "  <cac:OrderReference><cbc:ID>{}</cbc:ID></cac:OrderReference>",
            esc(po)
        );
    }
    if let Some(p) = &inv.preceding {
        let _ = writeln!(
            s,
            "  <cac:BillingReference><cac:InvoiceDocumentReference><cbc:ID>{}</cbc:ID></cac:InvoiceDocumentReference></cac:BillingReference>",
            esc(p)
        );
    }
    let party = |s: &mut String,
                 tag: &str,
                 name: &str,
                 street: &str,
                 city: &str,
                 cc: &str,
                 vat: Option<&str>,
                 email: Option<String>| {
        let _ = write!(s, "  <cac:{tag}>\n    <cac:Party>\n");
        if let Some(e) = &email {
            let _ = writeln!(
                s,
                "      <cbc:EndpointID schemeID=\"EM\">{}</cbc:EndpointID>",
                esc(e)
            );
        }
        let _ = writeln!(
            s,
            "      <cac:PostalAddress><cbc:StreetName>{}</cbc:StreetName><cbc:CityName>{}</cbc:CityName><cac:Country><cbc:IdentificationCode>{cc}</cbc:IdentificationCode></cac:Country></cac:PostalAddress>",
            esc(street),
            esc(city)
        );
        if let Some(vat) = vat {
            let _ = writeln!(
                s,
                "      <cac:PartyTaxScheme><cbc:CompanyID>{}</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>",
                esc(vat)
            );
        }
        let _ = write!(
            s,
            "      <cac:PartyLegalEntity><cbc:RegistrationName>{}</cbc:RegistrationName></cac:PartyLegalEntity>\n    </cac:Party>\n  </cac:{tag}>\n",
            esc(name)
        );
    };
    party(
        &mut s,
        "AccountingSupplierParty",
        &v.name,
        &v.street,
        &v.city,
        v.country,
        Some(&inv.seller_vat),
        Some(format!("billing@{}", v.domain)),
    );
    party(
        &mut s,
        "AccountingCustomerParty",
        &inv.buyer_name,
        &t.street,
        &t.city,
        country_of(&t.vat),
        inv.buyer_vat.as_deref(),
        None,
    );
    if let Some(iban) = &inv.iban {
        let _ = write!(
            s,
            "  <cac:PaymentMeans>\n    <cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>\n    <cbc:PaymentID>{}</cbc:PaymentID>\n    <cac:PayeeFinancialAccount>\n      <cbc:ID>{}</cbc:ID>\n",
            esc(&inv.number),
            esc(iban)
        );
        if let Some(bic) = &inv.bic {
            let _ = writeln!(
                s,
                "      <cac:FinancialInstitutionBranch><cbc:ID>{}</cbc:ID></cac:FinancialInstitutionBranch>",
                esc(bic)
            );
        }
        s.push_str("    </cac:PayeeFinancialAccount>\n  </cac:PaymentMeans>\n");
    }
    if inv.discount != 0 {
        let r = inv.taxes.first().map(|t| t.rate_bp).unwrap_or(0);
        let _ = write!(
            s,
            "  <cac:AllowanceCharge>\n    <cbc:ChargeIndicator>false</cbc:ChargeIndicator>\n    <cbc:AllowanceChargeReason>Discount</cbc:AllowanceChargeReason>\n    <cbc:Amount currencyID=\"{cur}\">{}</cbc:Amount>\n    <cac:TaxCategory><cbc:ID>{}</cbc:ID><cbc:Percent>{}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>\n  </cac:AllowanceCharge>\n",
            dec2(inv.discount),
            cat(r),
            rate_str(r)
        );
    }
    let _ = write!(
        s,
        "  <cac:TaxTotal>\n    <cbc:TaxAmount currencyID=\"{cur}\">{}</cbc:TaxAmount>\n",
        dec2(inv.tax)
    );
    for t in &inv.taxes {
        let _ = write!(
            s,
            "    <cac:TaxSubtotal>\n      <cbc:TaxableAmount currencyID=\"{cur}\">{}</cbc:TaxableAmount>\n      <cbc:TaxAmount currencyID=\"{cur}\">{}</cbc:TaxAmount>\n      <cac:TaxCategory><cbc:ID>{}</cbc:ID><cbc:Percent>{}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>\n    </cac:TaxSubtotal>\n",
            dec2(t.basis),
            dec2(t.amount),
            cat(t.rate_bp),
            rate_str(t.rate_bp)
        );
    }
    let _ = write!(
        s,
        "  </cac:TaxTotal>\n  <cac:LegalMonetaryTotal>\n    <cbc:LineExtensionAmount currencyID=\"{cur}\">{}</cbc:LineExtensionAmount>\n    <cbc:TaxExclusiveAmount currencyID=\"{cur}\">{}</cbc:TaxExclusiveAmount>\n    <cbc:TaxInclusiveAmount currencyID=\"{cur}\">{}</cbc:TaxInclusiveAmount>\n    <cbc:AllowanceTotalAmount currencyID=\"{cur}\">{}</cbc:AllowanceTotalAmount>\n    <cbc:PrepaidAmount currencyID=\"{cur}\">{}</cbc:PrepaidAmount>\n    <cbc:PayableAmount currencyID=\"{cur}\">{}</cbc:PayableAmount>\n  </cac:LegalMonetaryTotal>\n",
        dec2(inv.line_sum()),
        dec2(inv.net),
        dec2(inv.gross),
        dec2(inv.discount),
        dec2(inv.prepaid),
        dec2(inv.amount_due)
    );
    for (k, l) in inv.lines.iter().enumerate() {
        let _ = write!(
            s,
            "  <cac:{line_el}>\n    <cbc:ID>{}</cbc:ID>\n    <cbc:{qty_el} unitCode=\"C62\">{}</cbc:{qty_el}>\n    <cbc:LineExtensionAmount currencyID=\"{cur}\">{}</cbc:LineExtensionAmount>\n    <cac:Item>\n      <cbc:Name>{}</cbc:Name>\n      <cac:ClassifiedTaxCategory><cbc:ID>{}</cbc:ID><cbc:Percent>{}</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>\n    </cac:Item>\n    <cac:Price><cbc:PriceAmount currencyID=\"{cur}\">{}</cbc:PriceAmount></cac:Price>\n  </cac:{line_el}>\n",
            k + 1,
            qty_str(l.qty_milli),
            dec2(l.net_minor),
            esc(&l.desc),
            cat(l.rate_bp),
            rate_str(l.rate_bp),
            dec2(l.unit_minor)
        );
    }
    let _ = writeln!(s, "</{root}>");
    s
}
