//! The tenant file `papyr process --tenant` reads: name, own tax ids, thresholds,
//! vendor master and plugin configuration (format in docs/cli.md).
use crate::Error;
use crate::decision::DecisionPolicy;
use crate::money::Amount;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantFile {
    #[serde(default = "default_name")]
    pub name: String,
    #[serde(default)]
    pub tax_ids: Vec<String>,
    /// `YYYY-MM-DD`: the date checks run against (defaults to the system date).
    #[serde(default)]
    pub today: Option<String>,
    #[serde(default)]
    pub approval: ApprovalSettings,
    #[serde(default)]
    pub vendors: Vec<VendorRecord>,
    /// Plugin name (`fraud`, `po-required`, ...) → key → value.
    #[serde(default)]
    pub plugin_config: BTreeMap<String, BTreeMap<String, String>>,
}

fn default_name() -> String {
    "Demo tenant".to_string()
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalSettings {
    /// Gross amount below which a clean invoice is auto-approved (in `currency`).
    #[serde(default)]
    pub auto_approve_below: Option<String>,
    /// The approval threshold that `amount.below-threshold` watches.
    #[serde(default)]
    pub approval_threshold: Option<String>,
    /// Currency of the amounts above (default EUR).
    #[serde(default)]
    pub currency: Option<String>,
    /// Risk score that holds an invoice (default 70).
    #[serde(default)]
    pub hold_score: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VendorRecord {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub tax_ids: Vec<String>,
    #[serde(default)]
    pub ibans: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default = "epoch")]
    pub created_at: String,
    #[serde(default = "epoch")]
    pub updated_at: String,
}

fn epoch() -> String {
    "2000-01-01T00:00:00Z".to_string()
}

impl TenantFile {
    pub fn from_json(text: &str) -> Result<TenantFile, Error> {
        serde_json::from_str(text).map_err(|e| Error::Tenant(e.to_string()))
    }

    /// The decision policy these settings describe.
    pub fn policy(&self) -> Result<DecisionPolicy, Error> {
        let currency = self.approval.currency.as_deref().unwrap_or("EUR");
        Ok(DecisionPolicy {
            auto_approve_below: self
                .approval
                .auto_approve_below
                .as_deref()
                .map(|a| Amount::parse(a, currency))
                .transpose()?,
            hold_score: self.approval.hold_score.unwrap_or(70),
        })
    }
}
