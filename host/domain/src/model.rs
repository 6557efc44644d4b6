//! The canonical output of processing one document: what `papyr process --json`
//! prints, what the API returns and what the database stores.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassificationOut {
    /// `invoice`, `credit-note`, `reminder`, `statement`, `receipt`,
    /// `purchase-order`, `quote`, `newsletter`, `other`.
    pub kind: String,
    pub confidence: f32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineItemOut {
    pub description: String,
    pub quantity: Option<String>,
    pub unit_price: Option<String>,
    pub net_amount: Option<String>,
    pub tax_rate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaxLineOut {
    pub rate: String,
    pub basis: String,
    pub amount: String,
}

/// The canonical fields. Amounts are decimal strings (`"1234.56"`), dates
/// `YYYY-MM-DD`; a field not found is `null`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldsOut {
    pub vendor_name: Option<String>,
    pub vendor_tax_id: Option<String>,
    pub customer_name: Option<String>,
    pub invoice_number: Option<String>,
    pub issue_date: Option<String>,
    pub due_date: Option<String>,
    pub currency: Option<String>,
    pub net_total: Option<String>,
    pub tax_total: Option<String>,
    pub gross_total: Option<String>,
    pub amount_due: Option<String>,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub po_number: Option<String>,
    pub line_items: Vec<LineItemOut>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceOut {
    pub label: String,
    pub value: String,
    #[serde(skip_serializing_if = "is_zero", default)]
    pub page: u32,
    #[serde(skip_serializing_if = "is_zero", default)]
    pub line: u32,
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingOut {
    pub rule: String,
    pub severity: Severity,
    pub score: u32,
    pub message: String,
    pub evidence: Vec<EvidenceOut>,
    /// sha256 of the component that produced it (`host` for the host's own checks).
    pub plugin: String,
}

/// Per-field confidence and location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEvidenceOut {
    pub field: String,
    pub confidence: f32,
    pub source: String,
    pub page: u32,
    pub line: u32,
    pub text: String,
}

/// One processed document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessOutput {
    pub file: String,
    pub sha256: String,
    pub classification: Option<ClassificationOut>,
    pub fields: Option<FieldsOut>,
    pub findings: Vec<FindingOut>,
    /// `auto-approve`, `needs-approval`, `hold`, `not-an-invoice`, `failed`.
    pub decision: String,
    pub risk_score: u32,
    pub decision_reasons: Vec<String>,
    /// Microseconds per stage (`parse`, `classify`, `extract`, `fraud`, `report`, `total`).
    pub timings_us: BTreeMap<String, u64>,
    /// Stage (or `fraud:<name>`) → component sha256.
    pub plugins: BTreeMap<String, String>,
    /// Per-field confidence and where it was found.
    #[serde(default)]
    pub field_evidence: Vec<FieldEvidenceOut>,
    #[serde(default)]
    pub tax_breakdown: Vec<TaxLineOut>,
    /// Null, or why this document failed.
    pub error: Option<String>,
}
