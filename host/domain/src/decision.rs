//! The decision suggestion: findings and the tenant's thresholds → auto-approve,
//! needs approval, or hold. Documented in docs/decisions.md.
use crate::model::{FindingOut, Severity};
use crate::money::Amount;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    AutoApprove,
    NeedsApproval,
    Hold,
    NotAnInvoice,
    Failed,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::AutoApprove => "auto-approve",
            Decision::NeedsApproval => "needs-approval",
            Decision::Hold => "hold",
            Decision::NotAnInvoice => "not-an-invoice",
            Decision::Failed => "failed",
        }
    }
}

/// The tenant's decision thresholds.
#[derive(Debug, Clone)]
pub struct DecisionPolicy {
    /// Invoices below this gross amount with no finding above `low` are auto-approved.
    /// `None`: nothing is auto-approved.
    pub auto_approve_below: Option<Amount>,
    /// A combined risk score at or above this holds the invoice.
    pub hold_score: u32,
}

impl Default for DecisionPolicy {
    fn default() -> Self {
        DecisionPolicy {
            auto_approve_below: None,
            hold_score: 70,
        }
    }
}

/// Combine finding scores: 100 × (1 − Π (1 − sᵢ/100)), so two independent 50s give 75
/// and nothing exceeds 100. `info` findings do not count.
pub fn risk_score(findings: &[FindingOut]) -> u32 {
    let keep: f64 = findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .map(|f| 1.0 - f.score.min(100) as f64 / 100.0)
        .product();
    ((1.0 - keep) * 100.0).round() as u32
}

/// Suggest a decision for an invoice (or credit note) with its gross total and
/// findings. Returns the decision, the risk score and the reasons.
pub fn decide(
    policy: &DecisionPolicy,
    gross: Option<&Amount>,
    findings: &[FindingOut],
) -> (Decision, u32, Vec<String>) {
    let score = risk_score(findings);
    let mut reasons = Vec::new();
    let worst = findings.iter().map(|f| f.severity).max();
    if worst == Some(Severity::Critical) {
        reasons.push("a critical finding holds the invoice".to_string());
        return (Decision::Hold, score, reasons);
    }
    if score >= policy.hold_score {
        reasons.push(format!(
            "risk score {score} is at or above the hold threshold {}",
            policy.hold_score
        ));
        return (Decision::Hold, score, reasons);
    }
    if let Some(w) = worst.filter(|w| *w >= Severity::Medium) {
        let rules: Vec<&str> = findings
            .iter()
            .filter(|f| f.severity >= Severity::Medium)
            .map(|f| f.rule.as_str())
            .collect();
        reasons
            .push(format!("{:?} findings need a person: {}", w, rules.join(", ")).to_lowercase());
        return (Decision::NeedsApproval, score, reasons);
    }
    match (&policy.auto_approve_below, gross) {
        (Some(limit), Some(g)) if g.currency == limit.currency && g.minor < limit.minor => {
            reasons.push(format!(
                "{g} is below the auto-approval limit {limit} and no finding needs a person"
            ));
            (Decision::AutoApprove, score, reasons)
        }
        (Some(limit), Some(g)) if g.currency != limit.currency => {
            reasons.push(format!(
                "currency {} differs from the auto-approval limit's {}",
                g.currency, limit.currency
            ));
            (Decision::NeedsApproval, score, reasons)
        }
        (Some(limit), Some(g)) => {
            reasons.push(format!(
                "{g} is at or above the auto-approval limit {limit}"
            ));
            (Decision::NeedsApproval, score, reasons)
        }
        (_, None) => {
            reasons.push("no gross total was found".to_string());
            (Decision::NeedsApproval, score, reasons)
        }
        (None, Some(_)) => {
            reasons.push("the tenant auto-approves nothing".to_string());
            (Decision::NeedsApproval, score, reasons)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(sev: Severity, score: u32) -> FindingOut {
        FindingOut {
            rule: "r".into(),
            severity: sev,
            score,
            message: String::new(),
            evidence: vec![],
            plugin: String::new(),
        }
    }

    #[test]
    fn scores_combine_without_exceeding_100() {
        assert_eq!(
            risk_score(&[f(Severity::Low, 50), f(Severity::Low, 50)]),
            75
        );
        assert_eq!(risk_score(&[f(Severity::Info, 90)]), 0);
        assert_eq!(
            risk_score(&[f(Severity::High, 100), f(Severity::High, 100)]),
            100
        );
    }

    #[test]
    fn policy_routes() {
        let p = DecisionPolicy {
            auto_approve_below: Some(Amount::parse("1000", "EUR").unwrap()),
            hold_score: 70,
        };
        let small = Amount::parse("99.99", "EUR").unwrap();
        let big = Amount::parse("1000", "EUR").unwrap();
        assert_eq!(decide(&p, Some(&small), &[]).0, Decision::AutoApprove);
        assert_eq!(decide(&p, Some(&big), &[]).0, Decision::NeedsApproval);
        assert_eq!(
            decide(&p, Some(&small), &[f(Severity::Medium, 30)]).0,
            Decision::NeedsApproval
        );
        assert_eq!(
            decide(&p, Some(&small), &[f(Severity::Critical, 10)]).0,
            Decision::Hold
        );
        assert_eq!(
            decide(&p, Some(&small), &[f(Severity::High, 80)]).0,
            Decision::Hold
        );
        let usd = Amount::parse("5", "USD").unwrap();
        assert_eq!(decide(&p, Some(&usd), &[]).0, Decision::NeedsApproval);
    }
}
