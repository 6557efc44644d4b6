//! A fraud rule that declares no rule id: it could never report a finding, so an
//! upload refuses it (host/server/tests/api_plugins.rs).
use papyr_sdk::fraud::Guest;
use papyr_sdk::types::{CheckInput, Finding, RuleInfo, StageError};

struct NoRules;

impl Guest for NoRules {
    fn rules() -> Vec<RuleInfo> {
        Vec::new()
    }

    fn check(_input: CheckInput) -> Result<Vec<Finding>, StageError> {
        Ok(Vec::new())
    }
}

papyr_sdk::fraud::export_fraud_rule!(NoRules);
