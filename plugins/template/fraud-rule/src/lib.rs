//! Papyr fraud rule `tenant.{{name}}`: an invoice whose gross total reaches
//! `min_amount` must reference a purchase order, and, when `po_prefix` is set, the
//! purchase-order number must start with it.
//!
//! Configuration (the tenant's `plugin_config.{{name}}`, or `--config key=value` with
//! `papyr plugin test`):
//! - `min_amount`: a plain decimal in the invoice's currency, default `1000.00`;
//! - `po_prefix`: the prefix the tenant's PO numbers carry (e.g. `PO-`), default none.
//!
//! Credit notes are not checked: they reduce what is owed.
use papyr_sdk::fraud::Guest;
use papyr_sdk::types::{CheckInput, DocumentKind, Finding, Money, RuleInfo, Severity, StageError};

/// The rule id: findings may only use ids that `rules()` declares.
pub const RULE: &str = "tenant.{{name}}";

/// The rule's settings, read from the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `min_amount` as given (converted per invoice, into its currency).
    pub min_amount: String,
    /// `po_prefix`; empty: any purchase-order number is accepted.
    pub po_prefix: String,
}

impl Settings {
    /// Read the settings through the host's `config` import (only inside Papyr).
    fn from_config() -> Result<Settings, StageError> {
        Ok(Settings {
            min_amount: papyr_sdk::config_parse("min_amount", "1000.00".to_string())?,
            po_prefix: papyr_sdk::config_value("po_prefix")
                .map(|p| p.trim().to_string())
                .unwrap_or_default(),
        })
    }
}

struct Rule;

impl Guest for Rule {
    fn rules() -> Vec<RuleInfo> {
        vec![papyr_sdk::rule(
            RULE,
            "Purchase order required above an amount",
            "Invoices whose gross total reaches `min_amount` (default 1000.00) must \
             reference a purchase order; with `po_prefix` set, its number must start with it.",
            Severity::Medium,
        )]
    }

    fn check(input: CheckInput) -> Result<Vec<Finding>, StageError> {
        if input.invoice.kind == DocumentKind::CreditNote {
            return Ok(vec![]);
        }
        let Some(gross) = &input.invoice.gross_total else {
            return Ok(vec![]); // no total read: nothing to compare
        };
        let settings = Settings::from_config()?;
        Ok(judge(&settings, gross, input.invoice.po_number.as_deref())?
            .into_iter()
            .collect())
    }
}

/// The decision, apart from the host imports so that it is tested natively
/// (`cargo test-native`): a finding, none, or a configuration error naming the key.
pub fn judge(
    settings: &Settings,
    gross: &Money,
    po_number: Option<&str>,
) -> Result<Option<Finding>, StageError> {
    let threshold =
        papyr_sdk::parse_money(&settings.min_amount, &gross.currency).ok_or_else(|| {
            StageError::Config(format!(
                "`min_amount` = `{}` is not an amount in {}",
                settings.min_amount, gross.currency
            ))
        })?;
    if gross.minor < threshold.minor {
        return Ok(None);
    }
    let total = papyr_sdk::money_to_string(gross);
    let po = po_number.map(str::trim).filter(|p| !p.is_empty());
    let mut finding = match po {
        None => papyr_sdk::finding(
            RULE,
            Severity::Medium,
            40,
            format!(
                "No purchase-order number on an invoice of {total} {} (required from {} {}).",
                gross.currency, settings.min_amount, gross.currency
            ),
        ),
        Some(po) if !settings.po_prefix.is_empty() && !po.starts_with(&settings.po_prefix) => {
            let mut f = papyr_sdk::finding(
                RULE,
                Severity::Low,
                20,
                format!(
                    "The purchase-order number `{po}` does not start with `{}`, the prefix of our orders.",
                    settings.po_prefix
                ),
            );
            f.evidence.push(papyr_sdk::evidence("purchase order", po));
            f
        }
        Some(_) => return Ok(None),
    };
    finding.evidence.insert(
        0,
        papyr_sdk::evidence("gross total", format!("{total} {}", gross.currency)),
    );
    finding.evidence.push(papyr_sdk::evidence(
        "min_amount",
        format!("{} {}", settings.min_amount, gross.currency),
    ));
    Ok(Some(finding))
}

papyr_sdk::fraud::export_fraud_rule!(Rule);

#[cfg(test)]
mod tests {
    use super::*;

    fn money(minor: i64, currency: &str) -> Money {
        Money {
            minor,
            currency: currency.into(),
        }
    }

    fn settings(min_amount: &str, po_prefix: &str) -> Settings {
        Settings {
            min_amount: min_amount.into(),
            po_prefix: po_prefix.into(),
        }
    }

    #[test]
    fn flags_a_large_invoice_without_a_purchase_order() {
        let f = judge(&settings("1000.00", ""), &money(123_456, "EUR"), None)
            .unwrap()
            .expect("a finding");
        assert_eq!(f.rule, RULE);
        assert_eq!(f.severity, Severity::Medium);
        assert_eq!(f.score, 40);
        assert!(f.message.contains("1234.56 EUR"), "{}", f.message);
        assert_eq!(f.evidence[0].label, "gross total");
        assert_eq!(f.evidence[0].value, "1234.56 EUR");
        // A blank PO number is no PO number.
        assert!(
            judge(&settings("1000.00", ""), &money(123_456, "EUR"), Some("  "))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn the_threshold_is_inclusive_and_in_the_invoice_currency() {
        let s = settings("1000", "");
        assert!(judge(&s, &money(100_000, "EUR"), None).unwrap().is_some());
        assert!(judge(&s, &money(99_999, "EUR"), None).unwrap().is_none());
        // JPY has no minor unit: 1000 yen are 1000 minor units.
        assert!(judge(&s, &money(1_000, "JPY"), None).unwrap().is_some());
        assert!(judge(&s, &money(999, "JPY"), None).unwrap().is_none());
    }

    #[test]
    fn a_purchase_order_clears_the_invoice_unless_its_prefix_is_wrong() {
        let big = money(500_000, "EUR");
        assert!(
            judge(&settings("1000.00", ""), &big, Some("4711"))
                .unwrap()
                .is_none()
        );
        assert!(
            judge(&settings("1000.00", "PO-"), &big, Some("PO-4711"))
                .unwrap()
                .is_none()
        );
        let f = judge(&settings("1000.00", "PO-"), &big, Some("4711"))
            .unwrap()
            .expect("a finding for the wrong prefix");
        assert_eq!(f.severity, Severity::Low);
        assert!(
            f.evidence
                .iter()
                .any(|e| e.label == "purchase order" && e.value == "4711")
        );
        // Below the amount, the prefix does not matter.
        assert!(
            judge(
                &settings("1000.00", "PO-"),
                &money(500, "EUR"),
                Some("4711")
            )
            .unwrap()
            .is_none()
        );
    }

    #[test]
    fn a_bad_amount_is_a_configuration_error() {
        let e = judge(&settings("lots", ""), &money(1, "EUR"), None).unwrap_err();
        assert!(matches!(e, StageError::Config(m) if m.contains("min_amount")));
        // More decimals than the currency has is not an amount either.
        assert!(judge(&settings("10.5", ""), &money(1, "JPY"), None).is_err());
    }
}
