//! Structured e-invoices: classify an XML document by its root element's namespace.
use papyr_sdk::types::{EInvoice, XmlSyntax};

use crate::limits::MAX_XML_NODES;

const NS_CII: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const NS_ZF1: &str = "urn:ferd:CrossIndustryDocument:invoice:1p0";
const NS_UBL_INV: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const NS_UBL_CN: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";

/// Embedded file names that carry the invoice XML of a hybrid PDF, best first.
pub const PREFERRED_NAMES: &[&str] = &["factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml"];

/// XML bytes as UTF-8 text: strips a UTF-8 BOM, decodes UTF-16 with a BOM.
pub fn xml_text(b: &[u8]) -> Option<String> {
    if let Some(r) = b.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8(r.to_vec()).ok();
    }
    if let Some(r) = b.strip_prefix(&[0xFE, 0xFF]) {
        return Some(crate::fonts::utf16(r));
    }
    if let Some(r) = b.strip_prefix(&[0xFF, 0xFE]) {
        let units = r
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], *c.get(1).unwrap_or(&0)]));
        return Some(
            char::decode_utf16(units)
                .map(|r| r.unwrap_or('\u{FFFD}'))
                .collect(),
        );
    }
    String::from_utf8(b.to_vec()).ok()
}

/// Classify well-formed XML; `Err` with the parser's message when it is not.
pub fn classify(text: &str, source_name: &str) -> Result<EInvoice, String> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, opts).map_err(|e| e.to_string())?;
    let root = doc.root_element();
    let ns = root.tag_name().namespace().unwrap_or("");
    let local = root.tag_name().name();
    let (syntax, profile) = match (ns, local) {
        (NS_CII, "CrossIndustryInvoice") => (XmlSyntax::Cii, cii_profile(&root)),
        (NS_ZF1, "CrossIndustryDocument") => (XmlSyntax::CiiZugferd1, cii_profile(&root)),
        (NS_UBL_INV, "Invoice") => (XmlSyntax::UblInvoice, ubl_profile(&root)),
        (NS_UBL_CN, "CreditNote") => (XmlSyntax::UblCreditNote, ubl_profile(&root)),
        _ => (XmlSyntax::Other, None),
    };
    Ok(EInvoice {
        syntax,
        source_name: source_name.to_string(),
        profile,
        xml: text.to_string(),
    })
}

fn cii_profile(root: &roxmltree::Node) -> Option<String> {
    root.descendants()
        .find(|n| n.tag_name().name() == "GuidelineSpecifiedDocumentContextParameter")?
        .children()
        .find(|n| n.tag_name().name() == "ID")
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn ubl_profile(root: &roxmltree::Node) -> Option<String> {
    root.children()
        .find(|n| n.tag_name().name() == "CustomizationID")
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

pub fn is_invoice(s: &XmlSyntax) -> bool {
    !matches!(s, XmlSyntax::Other)
}
