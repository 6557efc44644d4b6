//! The tenant file `papyr process --tenant` reads: name, own tax ids, thresholds,
//! vendor master and plugin configuration (format in docs/cli.md).
use crate::Error;
use crate::decision::{ApprovalBand, ApprovalBands, DecisionPolicy};
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
    /// How changes to the vendor master are governed. Not under `vendors`, which is
    /// the vendor list itself.
    #[serde(default)]
    pub vendor_policy: VendorPolicy,
    /// Mail intake connectors. Kept as opaque JSON here so a tenant's settings
    /// round-trip before the connectors define their own schema.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mailboxes: Vec<serde_json::Value>,
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
    /// How many distinct people must approve an invoice, by gross amount. Empty:
    /// one approval below `approval_threshold`, two at or above it (one for every
    /// amount when no threshold is set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<ApprovalBandSetting>,
}

/// One approval band as written in the tenant file: invoices whose gross total is
/// below `below` (in the settings' currency) need `approvals` approvers. A band
/// without `below` covers every amount above the bounded ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalBandSetting {
    #[serde(default)]
    pub below: Option<String>,
    pub approvals: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorPolicy {
    /// A new bank account for a vendor stays a pending request until a second,
    /// different person confirms it (four eyes against bank-detail fraud).
    #[serde(default)]
    pub iban_requires_confirmation: bool,
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

    /// The approval bands these settings describe (see [`ApprovalSettings::bands`]).
    pub fn approval_bands(&self) -> Result<ApprovalBands, Error> {
        let currency = self.approval.currency.as_deref().unwrap_or("EUR");
        let bands = if self.approval.bands.is_empty() {
            match self.approval.approval_threshold.as_deref() {
                Some(t) => vec![
                    ApprovalBand {
                        below: Some(Amount::parse(t, currency)?),
                        approvals: 1,
                    },
                    ApprovalBand {
                        below: None,
                        approvals: 2,
                    },
                ],
                None => vec![ApprovalBand {
                    below: None,
                    approvals: 1,
                }],
            }
        } else {
            self.approval
                .bands
                .iter()
                .map(|b| {
                    Ok(ApprovalBand {
                        below: b
                            .below
                            .as_deref()
                            .map(|a| Amount::parse(a, currency))
                            .transpose()?,
                        approvals: b.approvals,
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?
        };
        ApprovalBands::new(bands)
    }
}

#[cfg(test)]
mod approval_band_tests {
    use super::*;
    use crate::decision::approvals_needed;

    fn eur(s: &str) -> Amount {
        Amount::parse(s, "EUR").unwrap()
    }

    #[test]
    fn default_bands_follow_the_approval_threshold() {
        let t =
            TenantFile::from_json(r#"{"approval": {"approval_threshold": "5000.00"}}"#).unwrap();
        let b = t.approval_bands().unwrap();
        assert_eq!(approvals_needed(&b, Some(&eur("4999.99"))), 1);
        assert_eq!(approvals_needed(&b, Some(&eur("5000"))), 2);
        let none = TenantFile::from_json("{}")
            .unwrap()
            .approval_bands()
            .unwrap();
        assert_eq!(approvals_needed(&none, Some(&eur("1000000"))), 1);
    }

    #[test]
    fn bands_are_read_in_the_settings_currency() {
        let t = TenantFile::from_json(
            r#"{"approval": {"currency": "CHF", "approval_threshold": "1",
                "bands": [{"below": "500", "approvals": 1}, {"approvals": 3}]}}"#,
        )
        .unwrap();
        let b = t.approval_bands().unwrap();
        let chf = |s| Amount::parse(s, "CHF").unwrap();
        assert_eq!(
            approvals_needed(&b, Some(&chf("499"))),
            1,
            "bands win over the threshold"
        );
        assert_eq!(approvals_needed(&b, Some(&chf("500"))), 3);
        assert_eq!(approvals_needed(&b, Some(&eur("1"))), 3, "other currency");
        // Written back without change.
        let again = TenantFile::from_json(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(again.approval.bands, t.approval.bands);
    }

    #[test]
    fn bad_band_settings_say_what_is_wrong() {
        let amount =
            TenantFile::from_json(r#"{"approval": {"bands": [{"below": "1,5", "approvals": 1}]}}"#)
                .unwrap()
                .approval_bands()
                .unwrap_err()
                .to_string();
        assert!(amount.contains("invalid amount `1,5`"), "{amount}");
        let zero = TenantFile::from_json(r#"{"approval": {"bands": [{"approvals": 0}]}}"#)
            .unwrap()
            .approval_bands()
            .unwrap_err()
            .to_string();
        assert!(zero.contains("0 approvals"), "{zero}");
        assert!(
            TenantFile::from_json(r#"{"approval": {"bands": [{"approvals": 1, "up_to": "5"}]}}"#)
                .is_err(),
            "unknown keys are refused"
        );
    }
}
