//! Papyr built-in extract stage: turns the parse stage's view of a document into
//! the canonical invoice fields.
//!
//! Sources, in order of authority: a structured e-invoice (read exactly), tenant
//! extraction templates (override single fields of the generic result), and the
//! generic text-layer extractor (labels in six languages, layout, arithmetic).
//! See `docs/stages/extract.md`.
pub mod lexicon;
pub mod num;
pub mod template;
pub mod text;
pub mod xml;

use papyr_sdk::types::{
    Classification, DocumentInfo, DocumentKind, FieldEvidence, FieldSource, Invoice,
    ParsedDocument, Party, StageError, XmlSyntax,
};

pub use template::Template;

/// An invoice under construction plus its evidence, one entry per field.
pub struct Acc {
    pub inv: Invoice,
}

impl Acc {
    pub fn new(inv: Invoice) -> Self {
        Acc { inv }
    }

    /// Record (or replace) the evidence of `field`.
    pub fn ev(
        &mut self,
        field: &str,
        confidence: f32,
        source: FieldSource,
        page: u32,
        line: u32,
        text: impl Into<String>,
    ) {
        self.inv.evidence.retain(|e| e.field != field);
        self.inv.evidence.push(FieldEvidence {
            field: field.to_string(),
            confidence,
            source,
            page,
            line,
            text: text.into(),
        });
    }

    pub fn evidence(&self, field: &str) -> Option<&FieldEvidence> {
        self.inv.evidence.iter().find(|e| e.field == field)
    }

    pub fn finish(self) -> Invoice {
        self.inv
    }
}

pub fn empty_party() -> Party {
    Party {
        name: None,
        tax_id: None,
        address: None,
        country: None,
    }
}

pub fn empty_invoice(kind: DocumentKind) -> Invoice {
    Invoice {
        kind,
        vendor: empty_party(),
        customer: empty_party(),
        invoice_number: None,
        issue_date: None,
        due_date: None,
        currency: None,
        net_total: None,
        tax_total: None,
        gross_total: None,
        prepaid: None,
        amount_due: None,
        iban: None,
        bic: None,
        po_number: None,
        payment_terms: None,
        tax_breakdown: Vec::new(),
        line_items: Vec::new(),
        evidence: Vec::new(),
    }
}

/// The stage's logic without host imports: `templates` are the tenant's parsed
/// extraction templates. `warn` receives non-fatal notes for the host log.
pub fn extract_with(
    _doc: &DocumentInfo,
    parsed: &ParsedDocument,
    classification: &Classification,
    templates: &[Template],
    warn: &mut dyn FnMut(&str),
) -> Result<Invoice, StageError> {
    let has_lines = parsed.pages.iter().any(|p| !p.lines.is_empty());
    if let Some(e) = &parsed.e_invoice
        && e.syntax != XmlSyntax::Other
    {
        match xml::read(e.syntax, &e.xml) {
            Ok((inv, _)) => return Ok(inv),
            // A hybrid PDF whose XML is broken still has its visible invoice.
            Err(err) if has_lines && parsed.has_text_layer => {
                warn(&format!(
                    "e-invoice `{}` unreadable, using the text layer: {err:?}",
                    e.source_name
                ));
            }
            Err(err) => return Err(err),
        }
    }
    if !parsed.has_text_layer || !has_lines {
        return Err(StageError::Unsupported(
            "no text layer: the document needs OCR (a scan or image without extractable text and without an \
             e-invoice); route it to manual review"
                .into(),
        ));
    }
    let kind = match classification.kind {
        DocumentKind::CreditNote => DocumentKind::CreditNote,
        _ => DocumentKind::Invoice,
    };
    let mut acc = text::extract(parsed, kind);
    template::apply(templates, parsed, &mut acc);
    Ok(acc.finish())
}

struct Extractor;

impl papyr_sdk::extractor::Guest for Extractor {
    fn extract(
        doc: DocumentInfo,
        parsed: ParsedDocument,
        classification: Classification,
    ) -> Result<Invoice, StageError> {
        let templates = match papyr_sdk::config_value("templates") {
            Some(json) if !json.trim().is_empty() => template::parse_templates(&json)?,
            _ => Vec::new(),
        };
        extract_with(&doc, &parsed, &classification, &templates, &mut |m| {
            papyr_sdk::log_warn(m)
        })
    }
}

papyr_sdk::extractor::export_extractor!(Extractor);
