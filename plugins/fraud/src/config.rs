//! This plugin's per-tenant configuration, parsed once per check. Every key is
//! documented in docs/fraud-rules.md; a value that does not parse is a
//! `StageError::Config` naming the key, so a tenant admin sees what to fix.
use std::collections::{BTreeMap, BTreeSet};

use papyr_sdk::types::{Decimal, Money, Severity, StageError};

#[derive(Debug, Clone)]
pub struct Config {
    pub disabled_rules: BTreeSet<String>,
    pub severity_overrides: BTreeMap<String, Severity>,
    /// Window for `duplicate.near`, in days.
    pub near_duplicate_days: i64,
    /// Age after which `date.very-old` fires, in days.
    pub max_age_days: i64,
    /// Approval threshold as a plain decimal in the invoice's currency.
    pub approval_threshold: Option<Decimal>,
    /// `p` of `T × (1 − p) ≤ gross < T`, in percent.
    pub threshold_margin_percent: Decimal,
    /// The tenant's own VAT ids, normalised.
    pub tenant_tax_ids: Vec<String>,
    /// A vendor created or changed this recently counts as new / recently changed.
    pub new_vendor_days: i64,
    /// Window for `amount.split`, in days.
    pub split_window_days: i64,
    /// How many earlier invoices of a vendor to ask the host for.
    pub history_limit: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            disabled_rules: BTreeSet::new(),
            severity_overrides: BTreeMap::new(),
            near_duplicate_days: 60,
            max_age_days: 180,
            approval_threshold: None,
            threshold_margin_percent: Decimal { value: 5, scale: 0 },
            tenant_tax_ids: Vec::new(),
            new_vendor_days: 30,
            split_window_days: 7,
            history_limit: 500,
        }
    }
}

fn bad(key: &str, value: &str, why: &str) -> StageError {
    StageError::Config(format!(
        "config value `{key}` = `{value}` is not valid: {why}"
    ))
}

fn parse_days(key: &str, v: &str, max: i64) -> Result<i64, StageError> {
    match v.trim().parse::<i64>() {
        Ok(n) if (0..=max).contains(&n) => Ok(n),
        _ => Err(bad(
            key,
            v,
            &format!("expected a whole number of days 0..={max}"),
        )),
    }
}

fn parse_severity(s: &str) -> Option<Severity> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "info" => Severity::Info,
        "low" => Severity::Low,
        "medium" => Severity::Medium,
        "high" => Severity::High,
        "critical" => Severity::Critical,
        _ => return None,
    })
}

fn list(v: &str) -> impl Iterator<Item = &str> {
    v.split([',', ';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl Config {
    /// Parse the configured entries; unknown keys are ignored (a newer host or admin
    /// UI may set keys this version does not know).
    pub fn from_entries(
        entries: &[(String, String)],
        known_rules: &[&str],
    ) -> Result<Config, StageError> {
        let mut c = Config::default();
        let check_rule = |key: &str, v: &str, id: &str| -> Result<String, StageError> {
            if known_rules.contains(&id) {
                Ok(id.to_string())
            } else {
                Err(bad(key, v, &format!("unknown rule id `{id}`")))
            }
        };
        for (key, v) in entries {
            match key.as_str() {
                "disabled_rules" => {
                    for id in list(v) {
                        c.disabled_rules.insert(check_rule(key, v, id)?);
                    }
                }
                "severity_overrides" => {
                    for item in list(v) {
                        let (id, sev) = item
                            .split_once('=')
                            .ok_or_else(|| bad(key, v, "expected `rule.id=severity` pairs"))?;
                        let id = check_rule(key, v, id.trim())?;
                        let sev = parse_severity(sev).ok_or_else(|| {
                            bad(
                                key,
                                v,
                                "severity must be info, low, medium, high or critical",
                            )
                        })?;
                        c.severity_overrides.insert(id, sev);
                    }
                }
                "near_duplicate_days" => c.near_duplicate_days = parse_days(key, v, 3650)?,
                "max_age_days" => c.max_age_days = parse_days(key, v, 36500)?,
                "new_vendor_days" => c.new_vendor_days = parse_days(key, v, 3650)?,
                "split_window_days" => c.split_window_days = parse_days(key, v, 365)?,
                "history_limit" => {
                    c.history_limit = match v.trim().parse::<u32>() {
                        Ok(n) if (1..=10_000).contains(&n) => n,
                        _ => return Err(bad(key, v, "expected 1..=10000")),
                    }
                }
                "approval_threshold" => {
                    if v.trim().is_empty() {
                        continue;
                    }
                    match papyr_sdk::parse_decimal(v) {
                        Some(d) if d.value > 0 => c.approval_threshold = Some(d),
                        _ => return Err(bad(key, v, "expected a positive decimal like 5000.00")),
                    }
                }
                "threshold_margin_percent" => match papyr_sdk::parse_decimal(v) {
                    Some(d) if d.value >= 0 && d.scale <= 6 && decimal_lt(&d, 100) => {
                        c.threshold_margin_percent = d
                    }
                    _ => return Err(bad(key, v, "expected a percentage 0 ≤ p < 100")),
                },
                "tenant_tax_ids" => {
                    c.tenant_tax_ids = list(v).map(papyr_sdk::normalize_id).collect()
                }
                _ => {}
            }
        }
        Ok(c)
    }

    /// The approval threshold in the minor units of `currency`.
    pub fn threshold_in(&self, currency: &str) -> Result<Option<Money>, StageError> {
        let Some(d) = &self.approval_threshold else {
            return Ok(None);
        };
        let s = papyr_sdk::decimal_to_string(d);
        papyr_sdk::parse_money(&s, currency)
            .map(Some)
            .ok_or_else(|| {
                bad(
                    "approval_threshold",
                    &s,
                    &format!("too many decimals for {currency}"),
                )
            })
    }

    pub fn enabled(&self, rule: &str) -> bool {
        !self.disabled_rules.contains(rule)
    }
}

fn decimal_lt(d: &Decimal, n: i64) -> bool {
    (d.value as i128) < (n as i128) * 10i128.pow(d.scale as u32)
}
