//! The kind of a structured e-invoice, read from its root and document type code.
use crate::keywords::{CREDIT_NOTE, INVOICE, PURCHASE_ORDER};
use papyr_sdk::types::{EInvoice, XmlSyntax};

/// UNTDID 1001 codes of credit notes (EN 16931 allows 381 and 396 among others).
const CREDIT_CODES: &[&str] = &[
    "81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532",
];

/// The kind, confidence and reason an e-invoice gives, or `None` when the XML is not
/// a document this stage recognises.
pub fn classify(e: &EInvoice) -> Option<(usize, f32, String)> {
    match e.syntax {
        XmlSyntax::UblCreditNote => Some((CREDIT_NOTE, 0.99, "e-invoice: UBL CreditNote".into())),
        XmlSyntax::UblInvoice => {
            let code = element_text(&e.xml, "InvoiceTypeCode", None);
            Some(from_code("UBL Invoice", code))
        }
        XmlSyntax::Cii | XmlSyntax::CiiZugferd1 => {
            let code = element_text(
                &e.xml,
                "TypeCode",
                Some(&["ExchangedDocument", "HeaderExchangedDocument"]),
            );
            Some(from_code("CII", code))
        }
        XmlSyntax::Other => {
            let root = root_local_name(&e.xml)?;
            match root {
                "CrossIndustryOrder" | "Order" => Some((
                    PURCHASE_ORDER,
                    0.95,
                    format!("structured order XML ({root})"),
                )),
                _ => None,
            }
        }
    }
}

fn from_code(syntax: &str, code: Option<&str>) -> (usize, f32, String) {
    match code {
        Some(c) if CREDIT_CODES.contains(&c) => (
            CREDIT_NOTE,
            0.99,
            format!("e-invoice: {syntax}, type code {c} (credit note)"),
        ),
        Some(c) => (INVOICE, 0.99, format!("e-invoice: {syntax}, type code {c}")),
        None => (INVOICE, 0.95, format!("e-invoice: {syntax}, no type code")),
    }
}

/// The local name of the root element.
fn root_local_name(xml: &str) -> Option<&str> {
    let mut rest = xml;
    loop {
        let start = rest.find('<')?;
        rest = &rest[start + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        return Some(local(tag_name(rest)));
    }
}

/// The trimmed text of the first element named `name` (local name). With `within`,
/// only inside the first element whose local name is one of those (so that the CII
/// document type is not confused with a payment-means `TypeCode`).
fn element_text<'a>(xml: &'a str, name: &str, within: Option<&[&str]>) -> Option<&'a str> {
    let mut pos = 0;
    let mut inside = within.is_none();
    let mut container = "";
    while let Some(off) = xml.get(pos..)?.find('<') {
        let tag_start = pos + off + 1;
        let rest = xml.get(tag_start..)?;
        pos = tag_start;
        if let Some(closing) = rest.strip_prefix('/') {
            if inside && !container.is_empty() && local(tag_name(closing)) == container {
                return None;
            }
            continue;
        }
        let tname = local(tag_name(rest));
        if !inside {
            if within.is_some_and(|w| w.contains(&tname)) {
                inside = true;
                container = tname;
            }
            continue;
        }
        if tname == name {
            let gt = rest.find('>')?;
            if rest[..gt].ends_with('/') {
                return None;
            }
            let body = &rest[gt + 1..];
            let end = body.find('<').unwrap_or(body.len());
            let text = body[..end].trim();
            return (!text.is_empty()).then_some(text);
        }
    }
    None
}

fn tag_name(s: &str) -> &str {
    let end = s
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .unwrap_or(s.len());
    &s[..end]
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(syntax: XmlSyntax, xml: &str) -> EInvoice {
        EInvoice {
            syntax,
            source_name: "x.xml".into(),
            profile: None,
            xml: xml.into(),
        }
    }

    #[test]
    fn cii_type_code_is_read_from_the_exchanged_document() {
        let xml = r#"<rsm:CrossIndustryInvoice xmlns:rsm="x"><rsm:ExchangedDocumentContext><ram:TypeCode>58</ram:TypeCode></rsm:ExchangedDocumentContext>
            <rsm:ExchangedDocument><ram:ID>1</ram:ID><ram:TypeCode> 381 </ram:TypeCode></rsm:ExchangedDocument>
            <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode></ram:SpecifiedTradeSettlementPaymentMeans></rsm:CrossIndustryInvoice>"#;
        assert_eq!(
            classify(&e(XmlSyntax::Cii, xml)).map(|r| r.0),
            Some(CREDIT_NOTE)
        );
        let inv = xml.replace(" 381 ", "380");
        assert_eq!(
            classify(&e(XmlSyntax::Cii, &inv)).map(|r| r.0),
            Some(INVOICE)
        );
        // A type code only outside ExchangedDocument is not the document's.
        let none =
            r#"<a><ExchangedDocument><ID>1</ID></ExchangedDocument><TypeCode>381</TypeCode></a>"#;
        assert_eq!(
            classify(&e(XmlSyntax::Cii, none)).map(|r| (r.0, r.1)),
            Some((INVOICE, 0.95))
        );
    }

    #[test]
    fn ubl_and_orders() {
        let ubl = "<Invoice><cbc:InvoiceTypeCode>396</cbc:InvoiceTypeCode></Invoice>";
        assert_eq!(
            classify(&e(XmlSyntax::UblInvoice, ubl)).map(|r| r.0),
            Some(CREDIT_NOTE)
        );
        assert_eq!(
            classify(&e(XmlSyntax::UblCreditNote, "<CreditNote/>")).map(|r| r.0),
            Some(CREDIT_NOTE)
        );
        let order = "<?xml version=\"1.0\"?><!-- x --><rsm:CrossIndustryOrder xmlns:rsm=\"o\"/>";
        assert_eq!(
            classify(&e(XmlSyntax::Other, order)).map(|r| r.0),
            Some(PURCHASE_ORDER)
        );
        assert_eq!(classify(&e(XmlSyntax::Other, "<html/>")), None);
        assert_eq!(classify(&e(XmlSyntax::Other, "garbage <")), None);
    }
}
