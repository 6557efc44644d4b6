//! Example tenant rule: an invoice whose gross total reaches `min_amount` (config,
//! default 1000.00 in the invoice's currency) must carry a purchase-order number.
use papyr_sdk::fraud::Guest;
use papyr_sdk::types::{CheckInput, Finding, RuleInfo, Severity, StageError};

const RULE: &str = "tenant.po-required";

struct PoRequired;

impl Guest for PoRequired {
    fn rules() -> Vec<RuleInfo> {
        vec![papyr_sdk::rule(
            RULE,
            "PO number required above an amount",
            "Invoices whose gross total reaches `min_amount` must reference a purchase order.",
            Severity::Medium,
        )]
    }

    fn check(input: CheckInput) -> Result<Vec<Finding>, StageError> {
        let min: String = papyr_sdk::config_parse("min_amount", "1000.00".to_string())?;
        let Some(gross) = &input.invoice.gross_total else {
            return Ok(vec![]);
        };
        let threshold = papyr_sdk::parse_money(&min, &gross.currency).ok_or_else(|| {
            StageError::Config(format!("`min_amount` = `{min}` is not an amount"))
        })?;
        let has_po = input
            .invoice
            .po_number
            .as_deref()
            .is_some_and(|p| !p.trim().is_empty());
        if gross.minor < threshold.minor || has_po {
            return Ok(vec![]);
        }
        let mut f = papyr_sdk::finding(
            RULE,
            Severity::Medium,
            40,
            format!(
                "No purchase-order number on an invoice of {} {} (required from {} {}).",
                papyr_sdk::money_to_string(gross),
                gross.currency,
                min,
                gross.currency
            ),
        );
        f.evidence.push(papyr_sdk::evidence(
            "gross total",
            papyr_sdk::money_to_string(gross),
        ));
        Ok(vec![f])
    }
}

papyr_sdk::fraud::export_fraud_rule!(PoRequired);
