//! Test program: a large table-driven fraud rule. `build.rs` generates thousands of
//! distinct watch-list checks (vendor name, amount bands, currency, line count,
//! payment terms, invoice-number pattern), each a function of its own, so that the
//! release component is about 2 MB of real code. It exists to measure what a big
//! tenant rule costs to validate, compile, cache and keep in memory
//! (`papyr bench plugins`); its findings are deterministic but not meaningful.
use papyr_sdk::fraud::Guest;
use papyr_sdk::types::{CheckInput, Finding, RuleInfo, Severity, StageError};

const RULE: &str = "tenant.watch-list";

/// At most this many findings per invoice (the strongest matches).
const MAX_FINDINGS: usize = 3;

/// What every generated check looks at, computed once per invoice.
pub struct Features {
    /// The vendor name, lower case, first 16 bytes (zero padded).
    pub name: [u8; 16],
    pub name_len: usize,
    /// Gross total in minor units (0 when unknown).
    pub amount: i64,
    pub currency: [u8; 3],
    pub lines: u64,
    /// Days from issue to due date (0 when either is unknown).
    pub due_days: u64,
    /// FNV-1a of the invoice number.
    pub number_hash: u64,
    pub issue_day: u64,
    pub has_po: bool,
}

include!(concat!(env!("OUT_DIR"), "/checks.rs"));

// The rule exists to be large: about 2 MB of code needs thousands of checks.
const _: () = assert!(CHECK_COUNT >= 6000, "the rule must stay large");

pub fn features(input: &CheckInput) -> Features {
    let inv = &input.invoice;
    let lower = inv.vendor.name.as_deref().unwrap_or("").to_lowercase();
    let mut name = [0u8; 16];
    for (d, s) in name.iter_mut().zip(lower.bytes()) {
        *d = s;
    }
    let mut currency = [0u8; 3];
    let code = inv
        .currency
        .as_deref()
        .or(inv.gross_total.as_ref().map(|m| m.currency.as_str()))
        .unwrap_or("");
    for (d, s) in currency.iter_mut().zip(code.bytes()) {
        *d = s;
    }
    let due_days = match (&inv.issue_date, &inv.due_date) {
        (Some(i), Some(d)) => {
            (papyr_sdk::days_from_civil(d) - papyr_sdk::days_from_civil(i)).max(0) as u64
        }
        _ => 0,
    };
    let number_hash = inv
        .invoice_number
        .as_deref()
        .unwrap_or("")
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    Features {
        name,
        name_len: lower.len(),
        amount: inv.gross_total.as_ref().map_or(0, |m| m.minor),
        currency,
        lines: inv.line_items.len() as u64,
        due_days,
        number_hash,
        issue_day: inv.issue_date.as_ref().map_or(0, |d| u64::from(d.day)),
        has_po: inv
            .po_number
            .as_deref()
            .is_some_and(|p| !p.trim().is_empty()),
    }
}

/// Run every check; the strongest `MAX_FINDINGS` matches as (check index, score).
pub fn matches(x: &Features) -> Vec<(usize, u32)> {
    let mut hits: Vec<(usize, u32)> = CHECKS
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let s = c(x);
            (s > 0).then_some((i, s))
        })
        .collect();
    hits.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    hits.truncate(MAX_FINDINGS);
    hits
}

struct BigRule;

impl Guest for BigRule {
    fn rules() -> Vec<RuleInfo> {
        vec![papyr_sdk::rule(
            RULE,
            "Vendor and amount watch list",
            "Thousands of tenant-specific watch-list patterns over vendor names, amounts, currencies and terms.",
            Severity::Low,
        )]
    }

    fn check(input: CheckInput) -> Result<Vec<Finding>, StageError> {
        let x = features(&input);
        Ok(matches(&x)
            .into_iter()
            .map(|(i, score)| {
                let mut f = papyr_sdk::finding(
                    RULE,
                    Severity::Low,
                    score.min(30),
                    format!("Matches watch-list pattern #{i} (score {score})."),
                );
                f.evidence
                    .push(papyr_sdk::evidence("pattern", i.to_string()));
                f
            })
            .collect())
    }
}

papyr_sdk::fraud::export_fraud_rule!(BigRule);

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(amount: i64, lines: u64) -> Features {
        let mut name = [0u8; 16];
        name[..9].copy_from_slice(b"kamex ltd");
        Features {
            name,
            name_len: 9,
            amount,
            currency: *b"EUR",
            lines,
            due_days: 60,
            number_hash: amount as u64 * 31 + lines,
            issue_day: (amount % 28) as u64 + 1,
            has_po: false,
        }
    }

    #[test]
    fn the_table_is_large_and_matches_are_the_strongest_few() {
        assert_eq!(CHECKS.len(), CHECK_COUNT);
        let mut fired = 0;
        for k in 0..200i64 {
            let x = sample(100_000 * (k + 1), (k % 12) as u64);
            let hits = matches(&x);
            assert!(hits.len() <= MAX_FINDINGS);
            assert!(hits.windows(2).all(|w| w[0].1 >= w[1].1));
            // No generated check reports below its threshold (at least 40).
            assert!(hits.iter().all(|&(i, s)| s >= 40 && CHECKS[i](&x) == s));
            fired += usize::from(!hits.is_empty());
        }
        assert!(fired > 0, "some invoices must match some pattern");
    }
}
