//! Papyr's built-in fraud and anomaly rules (world `fraud-rule`).
//!
//! The rule logic lives in plain functions over [`CheckInput`], a [`History`]
//! trait and a [`Config`], so it is tested natively with an in-memory history; the
//! component export at the bottom only wires in the host imports.
use papyr_sdk::fraud::Guest;
use papyr_sdk::types::{CheckInput, Finding, RuleInfo, Severity, StageError};

pub mod config;
pub mod history;
mod rules;
pub mod util;
pub mod vat;
pub mod xml;

pub use config::Config;
pub use history::History;
use util::Ctx;

/// Every rule: id, title, description, default severity.
pub const RULES: &[(&str, &str, &str, Severity)] = &[
    (
        "duplicate.exact",
        "Duplicate invoice",
        "The same vendor already sent an invoice with this number (or, for e-invoices, the same seller VAT id, number and date).",
        Severity::High,
    ),
    (
        "duplicate.same-file",
        "Same file received before",
        "An earlier document had exactly the same file contents (sha256).",
        Severity::Critical,
    ),
    (
        "duplicate.near",
        "Possible re-submitted invoice",
        "Same vendor, currency and amount within the window, with an invoice number that differs only by a typo, OCR-confusable characters or a prefix/suffix.",
        Severity::High,
    ),
    (
        "bank.iban-changed",
        "Bank details changed",
        "The IBAN is not among the known vendor's verified accounts; call the vendor back on a number already on file.",
        Severity::High,
    ),
    (
        "bank.iban-shared",
        "IBAN belongs to another vendor",
        "The IBAN is a verified account of another vendor or appeared on another vendor's earlier invoices.",
        Severity::High,
    ),
    (
        "sender.lookalike-domain",
        "Lookalike sender domain",
        "The sender's domain resembles a known vendor domain without being it (typo, confusable characters, other TLD, punycode, vendor name inside another domain).",
        Severity::High,
    ),
    (
        "sender.display-name-spoof",
        "Display name of a vendor, other domain",
        "The From display name is a vendor's name but the address is not on that vendor's domains.",
        Severity::High,
    ),
    (
        "sender.reply-to-mismatch",
        "Reply-To / Return-Path elsewhere",
        "Replies or bounces go to a different domain than the From address.",
        Severity::Medium,
    ),
    (
        "sender.auth-failed",
        "Email authentication failed",
        "SPF, DKIM or DMARC failed according to the Authentication-Results header.",
        Severity::High,
    ),
    (
        "pdf.incremental-edit",
        "PDF edited after creation",
        "An incremental update of the PDF rewrites page content, Page objects or fonts.",
        Severity::High,
    ),
    (
        "pdf.producer-changed",
        "PDF re-saved by another program",
        "The producing software changed between revisions, or a PDF editor re-saved a document an invoicing system created.",
        Severity::Medium,
    ),
    (
        "pdf.metadata-mismatch",
        "PDF metadata inconsistent",
        "Info dictionary and XMP disagree, the document was modified more than a day after it was created, or created after it arrived.",
        Severity::Low,
    ),
    (
        "pdf.font-anomaly",
        "Unusual fonts",
        "One font embedded twice with different subsets, or a non-embedded font among embedded ones: typical of edited text.",
        Severity::Medium,
    ),
    (
        "math.line-sum",
        "Line items do not add up",
        "The sum of the line net amounts differs from the net total.",
        Severity::Medium,
    ),
    (
        "math.tax",
        "VAT does not compute",
        "A VAT amount differs from basis × rate, or the VAT lines do not add up to the VAT total.",
        Severity::Medium,
    ),
    (
        "math.totals",
        "Totals do not add up",
        "Net total plus VAT differs from the gross total.",
        Severity::Medium,
    ),
    (
        "math.amount-due",
        "Amount due does not compute",
        "Gross total minus prepaid differs from the amount due.",
        Severity::Medium,
    ),
    (
        "id.iban-invalid",
        "Invalid IBAN",
        "The IBAN fails ISO 13616 (format, length for its country, mod-97 check digits).",
        Severity::High,
    ),
    (
        "id.vat-invalid",
        "Invalid VAT id",
        "A seller or buyer VAT id fails its country's format or checksum.",
        Severity::Medium,
    ),
    (
        "id.buyer-not-tenant",
        "Addressed to another company",
        "The buyer's VAT id is not one of the tenant's own (config `tenant_tax_ids`).",
        Severity::Medium,
    ),
    (
        "amount.below-threshold",
        "Just below the approval threshold",
        "The gross total is within the margin below the approval threshold.",
        Severity::Medium,
    ),
    (
        "amount.split",
        "Possibly split invoice",
        "Several invoices of the same vendor within a few days, each below the approval threshold, together reach it.",
        Severity::High,
    ),
    (
        "amount.round",
        "Round amount",
        "The gross total is a round number (multiple of 100, stronger of 1000) on an invoice with at most one line.",
        Severity::Low,
    ),
    (
        "date.future",
        "Issue date in the future",
        "The issue date is more than a day after the document arrived.",
        Severity::Medium,
    ),
    (
        "date.due-before-issue",
        "Due before issued",
        "The due date is before the issue date.",
        Severity::Medium,
    ),
    (
        "date.very-old",
        "Very old invoice",
        "The issue date is older than the configured maximum age.",
        Severity::Low,
    ),
    (
        "date.weekend",
        "Issued on a weekend",
        "The issue date is a Saturday or Sunday (soft signal).",
        Severity::Info,
    ),
    (
        "vendor.new-urgent",
        "New vendor pressing to pay",
        "Unknown or newly created vendor, urgency wording, and no purchase-order reference.",
        Severity::High,
    ),
    (
        "einvoice.visible-mismatch",
        "Visible PDF differs from e-invoice XML",
        "The invoice number, date, total, amount due or IBAN of the embedded XML cannot be found in the visible text.",
        Severity::High,
    ),
];

/// Ids of every rule.
pub fn rule_ids() -> Vec<&'static str> {
    RULES.iter().map(|r| r.0).collect()
}

/// The rules as the host sees them.
pub fn rule_infos() -> Vec<RuleInfo> {
    RULES
        .iter()
        .map(|(id, title, desc, sev)| papyr_sdk::rule(id, title, desc, *sev))
        .collect()
}

/// Parse configuration entries as the host hands them over.
pub fn load_config(entries: &[(String, String)]) -> Result<Config, StageError> {
    Config::from_entries(entries, &rule_ids())
}

/// Run every enabled rule over one invoice.
pub fn check_invoice(
    input: &CheckInput,
    hist: &dyn History,
    cfg: &Config,
) -> Result<Vec<Finding>, StageError> {
    let ctx = Ctx::new(input, hist, cfg);
    let mut out = Vec::new();
    rules::run_all(&ctx, &mut out)?;
    out.retain(|f| cfg.enabled(&f.rule));
    for f in &mut out {
        if let Some(sev) = cfg.severity_overrides.get(&f.rule) {
            f.severity = *sev;
        }
        f.score = f.score.min(100);
    }
    Ok(out)
}

struct BuiltinFraud;

impl Guest for BuiltinFraud {
    fn rules() -> Vec<RuleInfo> {
        rule_infos()
    }

    fn check(input: CheckInput) -> Result<Vec<Finding>, StageError> {
        let cfg = load_config(&papyr_sdk::config::entries())?;
        check_invoice(&input, &history::HostHistory, &cfg)
    }
}

papyr_sdk::fraud::export_fraud_rule!(BuiltinFraud);

#[cfg(test)]
mod tests;

// Test-only access to internals of private rule modules.
#[cfg(test)]
pub(crate) use rules::test_access::sender as rules_sender;
#[cfg(test)]
pub(crate) use rules::test_access::{
    amount_variants as rules_einvoice_amounts, tax_of as rules_math_tax_of,
    xml_values as rules_einvoice_values,
};
