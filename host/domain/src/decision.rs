//! The decision suggestion: findings and the tenant's thresholds → auto-approve,
//! needs approval, or hold. Documented in docs/decisions.md.
use crate::Error;
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

/// Invoices below `below` need `approvals` distinct approvers; `None` is unbounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalBand {
    pub below: Option<Amount>,
    pub approvals: u32,
}

/// A tenant's approval bands, validated and ordered by amount (the unbounded band
/// last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalBands {
    bands: Vec<ApprovalBand>,
}

/// More approvers than this is a typing error, not a policy.
const MAX_APPROVALS: u32 = 10;

impl ApprovalBands {
    /// Check and order bands: at least one, 1..=10 approvals each, one currency, no
    /// two bands with the same bound, at most one unbounded band.
    pub fn new(mut bands: Vec<ApprovalBand>) -> Result<ApprovalBands, Error> {
        let bad = |m: String| Err(Error::Tenant(format!("approval bands: {m}")));
        if bands.is_empty() {
            return bad("at least one band is needed".into());
        }
        if let Some(b) = bands
            .iter()
            .find(|b| b.approvals == 0 || b.approvals > MAX_APPROVALS)
        {
            return bad(format!(
                "{} approvals is outside 1..={MAX_APPROVALS}",
                b.approvals
            ));
        }
        if bands.iter().filter(|b| b.below.is_none()).count() > 1 {
            return bad("more than one band without `below`".into());
        }
        let mut currencies = bands
            .iter()
            .filter_map(|b| b.below.as_ref())
            .map(|a| &a.currency);
        if let Some(first) = currencies.next()
            && currencies.any(|c| c != first)
        {
            return bad("bands in different currencies".into());
        }
        // Unbounded last; bounded ones by amount.
        bands.sort_by_key(|b| b.below.as_ref().map_or((1, 0), |a| (0, a.minor)));
        if bands
            .windows(2)
            .any(|w| w[0].below.is_some() && w[0].below == w[1].below)
        {
            return bad("two bands with the same `below`".into());
        }
        Ok(ApprovalBands { bands })
    }

    pub fn bands(&self) -> &[ApprovalBand] {
        &self.bands
    }

    fn strictest(&self) -> u32 {
        self.bands.iter().map(|b| b.approvals).max().unwrap_or(1)
    }
}

impl Default for ApprovalBands {
    /// One approval for every amount.
    fn default() -> Self {
        ApprovalBands {
            bands: vec![ApprovalBand {
                below: None,
                approvals: 1,
            }],
        }
    }
}

/// How many distinct people must approve an invoice with this gross total. An
/// amount the bands cannot place — unknown, in another currency, or above every
/// bounded band when none is unbounded — needs the strictest band's count, so
/// missing data never lowers the bar.
pub fn approvals_needed(bands: &ApprovalBands, gross: Option<&Amount>) -> u32 {
    let Some(gross) = gross else {
        return bands.strictest();
    };
    let currency = bands
        .bands
        .iter()
        .find_map(|b| b.below.as_ref())
        .map(|a| a.currency.as_str());
    if currency.is_some_and(|c| c != gross.currency) {
        return bands.strictest();
    }
    bands
        .bands
        .iter()
        .find(|b| {
            b.below
                .as_ref()
                .is_none_or(|limit| gross.minor < limit.minor)
        })
        .map_or_else(|| bands.strictest(), |b| b.approvals)
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

    fn eur(s: &str) -> Amount {
        Amount::parse(s, "EUR").unwrap()
    }

    fn band(below: Option<&str>, approvals: u32) -> ApprovalBand {
        ApprovalBand {
            below: below.map(eur),
            approvals,
        }
    }

    #[test]
    fn bands_pick_the_first_bound_above_the_amount() {
        // Given out of order on purpose: the constructor sorts.
        let b = ApprovalBands::new(vec![
            band(None, 3),
            band(Some("10000"), 2),
            band(Some("1000"), 1),
        ])
        .unwrap();
        assert_eq!(approvals_needed(&b, Some(&eur("999.99"))), 1);
        assert_eq!(
            approvals_needed(&b, Some(&eur("1000"))),
            2,
            "the bound is exclusive"
        );
        assert_eq!(approvals_needed(&b, Some(&eur("9999.99"))), 2);
        assert_eq!(approvals_needed(&b, Some(&eur("10000"))), 3);
        assert_eq!(approvals_needed(&b, Some(&eur("-50"))), 1, "credit notes");
    }

    #[test]
    fn unplaceable_amounts_need_the_strictest_band() {
        let b = ApprovalBands::new(vec![band(Some("1000"), 1), band(Some("5000"), 2)]).unwrap();
        assert_eq!(approvals_needed(&b, None), 2, "unknown gross");
        let usd = Amount::parse("5", "USD").unwrap();
        assert_eq!(approvals_needed(&b, Some(&usd)), 2, "other currency");
        assert_eq!(
            approvals_needed(&b, Some(&eur("7000"))),
            2,
            "above every bound"
        );
        assert_eq!(approvals_needed(&ApprovalBands::default(), None), 1);
        let jpy = Amount::parse("5", "JPY").unwrap();
        assert_eq!(
            approvals_needed(&ApprovalBands::default(), Some(&jpy)),
            1,
            "an unbounded band alone places every currency"
        );
    }

    #[test]
    fn bad_bands_are_refused_with_the_reason() {
        let e = |bands| ApprovalBands::new(bands).unwrap_err().to_string();
        assert!(e(vec![]).contains("at least one band"));
        assert!(e(vec![band(None, 0)]).contains("0 approvals"));
        assert!(e(vec![band(None, 11)]).contains("outside 1..=10"));
        assert!(e(vec![band(None, 1), band(None, 2)]).contains("more than one band"));
        assert!(e(vec![band(Some("5"), 1), band(Some("5.00"), 2)]).contains("same `below`"));
        let mixed = vec![
            band(Some("5"), 1),
            ApprovalBand {
                below: Some(Amount::parse("9", "USD").unwrap()),
                approvals: 2,
            },
        ];
        assert!(e(mixed).contains("different currencies"));
    }
}
