//! WIT values → the canonical output model (`papyr_domain::model`), and the host's
//! side inputs (origin sidecars, vendor records) → WIT values.
use crate::bindings::history::{PastInvoice, Vendor};
use crate::bindings::types::*;
use papyr_domain::model::{
    ClassificationOut, EvidenceOut, FieldEvidenceOut, FieldsOut, FindingOut, LineItemOut,
    Severity as Sev, TaxLineOut,
};
use papyr_domain::money::format_minor;
use papyr_domain::{Amount, VendorRecord};

pub fn money(m: &Money) -> String {
    format_minor(m.minor, &m.currency)
}

pub fn amount(m: &Money) -> Amount {
    Amount {
        minor: m.minor,
        currency: m.currency.clone(),
    }
}

pub fn decimal(d: &Decimal) -> String {
    if d.scale == 0 {
        return d.value.to_string();
    }
    let digits = d.value.unsigned_abs().to_string();
    let scale = d.scale as usize;
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{}{int}.{frac}", if d.value < 0 { "-" } else { "" })
}

pub fn date(d: &Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

/// Parse `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.trim().splitn(3, '-');
    let (y, m, d) = (
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
        it.next()?.parse().ok()?,
    );
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some(Date {
        year: y,
        month: m,
        day: d,
    })
}

pub fn kind(k: DocumentKind) -> &'static str {
    match k {
        DocumentKind::Invoice => "invoice",
        DocumentKind::CreditNote => "credit-note",
        DocumentKind::Reminder => "reminder",
        DocumentKind::Statement => "statement",
        DocumentKind::Receipt => "receipt",
        DocumentKind::PurchaseOrder => "purchase-order",
        DocumentKind::Quote => "quote",
        DocumentKind::Newsletter => "newsletter",
        DocumentKind::Other => "other",
    }
}

pub fn classification(c: &Classification) -> ClassificationOut {
    ClassificationOut {
        kind: kind(c.kind).into(),
        confidence: (c.confidence * 1000.0).round() / 1000.0,
        reasons: c.reasons.clone(),
    }
}

pub fn severity(s: Severity) -> Sev {
    match s {
        Severity::Info => Sev::Info,
        Severity::Low => Sev::Low,
        Severity::Medium => Sev::Medium,
        Severity::High => Sev::High,
        Severity::Critical => Sev::Critical,
    }
}

pub fn severity_to_wit(s: Sev) -> Severity {
    match s {
        Sev::Info => Severity::Info,
        Sev::Low => Severity::Low,
        Sev::Medium => Severity::Medium,
        Sev::High => Severity::High,
        Sev::Critical => Severity::Critical,
    }
}

pub fn finding(f: &Finding, plugin: &str) -> FindingOut {
    FindingOut {
        rule: f.rule.clone(),
        severity: severity(f.severity),
        score: f.score.min(100),
        message: f.message.clone(),
        evidence: f
            .evidence
            .iter()
            .map(|e| EvidenceOut {
                label: e.label.clone(),
                value: e.value.clone(),
                page: e.page,
                line: e.line,
            })
            .collect(),
        plugin: plugin.to_string(),
    }
}

pub fn finding_to_wit(f: &FindingOut) -> Finding {
    Finding {
        rule: f.rule.clone(),
        severity: severity_to_wit(f.severity),
        score: f.score,
        message: f.message.clone(),
        evidence: f
            .evidence
            .iter()
            .map(|e| Evidence {
                label: e.label.clone(),
                value: e.value.clone(),
                page: e.page,
                line: e.line,
            })
            .collect(),
    }
}

fn source(s: FieldSource) -> &'static str {
    match s {
        FieldSource::EInvoice => "e-invoice",
        FieldSource::TextLayer => "text-layer",
        FieldSource::Template => "template",
        FieldSource::Derived => "derived",
        FieldSource::Manual => "manual",
    }
}

/// IBAN as printed → normalised (upper case, no spaces).
pub fn norm_iban(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

pub fn fields(i: &Invoice) -> FieldsOut {
    FieldsOut {
        vendor_name: i.vendor.name.clone(),
        vendor_tax_id: i.vendor.tax_id.clone(),
        customer_name: i.customer.name.clone(),
        invoice_number: i.invoice_number.clone(),
        issue_date: i.issue_date.as_ref().map(date),
        due_date: i.due_date.as_ref().map(date),
        currency: i.currency.clone(),
        net_total: i.net_total.as_ref().map(money),
        tax_total: i.tax_total.as_ref().map(money),
        gross_total: i.gross_total.as_ref().map(money),
        amount_due: i.amount_due.as_ref().map(money),
        iban: i.iban.as_deref().map(norm_iban),
        bic: i.bic.clone(),
        po_number: i.po_number.clone(),
        line_items: i
            .line_items
            .iter()
            .map(|l| LineItemOut {
                description: l.description.clone(),
                quantity: l.quantity.as_ref().map(decimal),
                unit_price: l.unit_price.as_ref().map(decimal),
                net_amount: l.net_amount.as_ref().map(money),
                tax_rate: l.tax_rate.as_ref().map(decimal),
            })
            .collect(),
    }
}

pub fn tax_breakdown(i: &Invoice) -> Vec<TaxLineOut> {
    i.tax_breakdown
        .iter()
        .map(|t| TaxLineOut {
            rate: decimal(&t.rate),
            basis: money(&t.basis),
            amount: money(&t.amount),
        })
        .collect()
}

pub fn field_evidence(i: &Invoice) -> Vec<FieldEvidenceOut> {
    i.evidence
        .iter()
        .map(|e| FieldEvidenceOut {
            field: e.field.clone(),
            confidence: (e.confidence * 1000.0).round() / 1000.0,
            source: source(e.source).into(),
            page: e.page,
            line: e.line,
            text: e.text.clone(),
        })
        .collect()
}

pub fn vendor(v: &VendorRecord) -> Vendor {
    Vendor {
        id: v.id.clone(),
        name: v.name.clone(),
        tax_ids: v.tax_ids.clone(),
        ibans: v.ibans.iter().map(|i| norm_iban(i)).collect(),
        domains: v.domains.iter().map(|d| d.to_lowercase()).collect(),
        country: v.country.clone(),
        created_at: v.created_at.clone(),
        updated_at: v.updated_at.clone(),
    }
}

/// The history record of a processed invoice.
pub fn past_invoice(
    id: &str,
    sha256: &str,
    received_at: &str,
    status: &str,
    vendor_id: Option<String>,
    i: &Invoice,
) -> PastInvoice {
    PastInvoice {
        id: id.into(),
        sha256: sha256.into(),
        vendor_id,
        vendor_name: i.vendor.name.clone(),
        vendor_tax_id: i.vendor.tax_id.clone(),
        invoice_number: i.invoice_number.clone(),
        issue_date: i.issue_date,
        gross_total: i.gross_total.clone(),
        iban: i.iban.as_deref().map(norm_iban),
        received_at: received_at.into(),
        status: status.into(),
    }
}

/// An origin sidecar (`<file>.origin.json`), keys as the WIT record in snake_case.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginFile {
    pub sender_address: Option<String>,
    pub sender_name: Option<String>,
    pub reply_to: Option<String>,
    pub return_path: Option<String>,
    pub authentication_results: Option<String>,
    pub subject: Option<String>,
    pub body_text: Option<String>,
    pub received_at: Option<String>,
    pub message_id: Option<String>,
    pub channel: Option<String>,
}

impl OriginFile {
    pub fn into_wit(self, default_channel: &str) -> Origin {
        Origin {
            sender_address: self.sender_address,
            sender_name: self.sender_name,
            reply_to: self.reply_to,
            return_path: self.return_path,
            authentication_results: self.authentication_results,
            subject: self.subject,
            body_text: self.body_text,
            received_at: self.received_at,
            message_id: self.message_id,
            channel: self.channel.unwrap_or_else(|| default_channel.to_string()),
        }
    }
}

/// Whether a file in an input folder is a document to take in. Not: hidden files,
/// JSON (origin sidecars, tenant files, ground truth — e-invoices are XML), files still
/// being written (`.part`, `.tmp`), and approval reports Papyr wrote itself.
pub fn is_document_name(name: &str) -> bool {
    !(name.starts_with('.')
        || name.ends_with(".json")
        || name.ends_with(".jsonl")
        || name.ends_with(".part")
        || name.ends_with(".tmp")
        || name.ends_with(".report.pdf"))
}

/// Sniff a media type from magic bytes only (the host never parses documents).
pub fn sniff_media_type(bytes: &[u8]) -> &'static str {
    let head = &bytes[..bytes.len().min(1024)];
    let trimmed: &[u8] = {
        let t = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let start = t
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(t.len());
        &t[start..]
    };
    if head.windows(5).any(|w| w == b"%PDF-") {
        "application/pdf"
    } else if trimmed.starts_with(b"<") {
        "application/xml"
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if head.starts_with(b"\xFF\xD8\xFF") {
        "image/jpeg"
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        "image/tiff"
    } else if !head.is_empty() && std::str::from_utf8(head).is_ok() {
        "text/plain"
    } else {
        "application/octet-stream"
    }
}

/// An invoice with no field found (the report of a document that was not extracted).
pub fn empty_invoice(kind: DocumentKind) -> Invoice {
    let party = Party {
        name: None,
        tax_id: None,
        address: None,
        country: None,
    };
    Invoice {
        kind,
        vendor: party.clone(),
        customer: party,
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
        tax_breakdown: vec![],
        line_items: vec![],
        evidence: vec![],
    }
}

/// A parsed view with nothing in it.
pub fn empty_parsed(format: DocumentFormat) -> ParsedDocument {
    ParsedDocument {
        format,
        pages: vec![],
        has_text_layer: false,
        metadata: Metadata {
            title: None,
            author: None,
            producer: None,
            creator: None,
            creation_date: None,
            mod_date: None,
            first_producer: None,
            xmp_producer: None,
            xmp_creator_tool: None,
            xmp_create_date: None,
            xmp_modify_date: None,
            pdfa: None,
        },
        revisions: vec![],
        edit_count: 0,
        linearized: false,
        encrypted: false,
        fonts: vec![],
        embedded_files: vec![],
        e_invoice: None,
        warnings: vec![],
    }
}
