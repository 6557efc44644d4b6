//! Helpers for rule authors.
use crate::types::{Date, Decimal, Evidence, Finding, Money, RuleInfo, Severity, StageError};

/// Build a [`RuleInfo`].
pub fn rule(id: &str, title: &str, description: &str, default_severity: Severity) -> RuleInfo {
    RuleInfo {
        id: id.into(),
        title: title.into(),
        description: description.into(),
        default_severity,
    }
}

/// Build a [`Finding`] with no evidence; add some with [`evidence`].
pub fn finding(rule: &str, severity: Severity, score: u32, message: impl Into<String>) -> Finding {
    Finding {
        rule: rule.into(),
        severity,
        score: score.min(100),
        message: message.into(),
        evidence: Vec::new(),
    }
}

/// A piece of evidence not tied to a place in the document.
pub fn evidence(label: &str, value: impl Into<String>) -> Evidence {
    Evidence {
        label: label.into(),
        value: value.into(),
        page: 0,
        line: 0,
    }
}

/// Decimal places of an ISO 4217 currency's minor unit.
pub fn currency_exponent(code: &str) -> u32 {
    match code {
        "JPY" | "KRW" | "ISK" | "CLP" | "VND" | "XAF" | "XOF" | "UGX" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => 3,
        _ => 2,
    }
}

/// `1234.56`-style plain decimal string of a money amount.
pub fn money_to_string(m: &Money) -> String {
    decimal_to_string(&Decimal {
        value: m.minor,
        scale: currency_exponent(&m.currency) as u8,
    })
}

/// Plain decimal string (`-12.5` stays `-12.5`; trailing zeros kept as scaled).
pub fn decimal_to_string(d: &Decimal) -> String {
    if d.scale == 0 {
        return d.value.to_string();
    }
    let neg = d.value < 0;
    let abs = d.value.unsigned_abs().to_string();
    let scale = d.scale as usize;
    let padded = if abs.len() <= scale {
        format!("{}{}", "0".repeat(scale - abs.len() + 1), abs)
    } else {
        abs
    };
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{}{}.{}", if neg { "-" } else { "" }, int, frac)
}

/// Parse a plain decimal string (`1234.56`, `-3`, `0.5`) into minor units of
/// `currency`. Rejects more decimals than the currency has.
pub fn parse_money(s: &str, currency: &str) -> Option<Money> {
    let exp = currency_exponent(currency);
    let d = parse_decimal(s)?;
    if d.scale as u32 > exp {
        return None;
    }
    let minor = d
        .value
        .checked_mul(10i64.checked_pow(exp - d.scale as u32)?)?;
    Some(Money {
        minor,
        currency: currency.into(),
    })
}

/// Parse a plain decimal string (`12.345`, `-3`).
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    let s = s.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 18
    {
        return None;
    }
    let mut value: i64 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        value = value.checked_mul(10)?.checked_add((b - b'0') as i64)?;
    }
    Some(Decimal {
        value: if neg { -value } else { value },
        scale: frac.len() as u8,
    })
}

/// `YYYY-MM-DD`.
pub fn date_to_string(d: &Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

/// Days since 1970-01-01 (negative before), for date arithmetic.
pub fn days_from_civil(d: &Date) -> i64 {
    let (y, m, day) = (d.year as i64, d.month as i64, d.day as i64);
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Day of the week, 0 = Monday ... 6 = Sunday.
pub fn weekday(d: &Date) -> u32 {
    (days_from_civil(d) + 3).rem_euclid(7) as u32
}

/// Upper-case, drop everything but letters and digits: `de 89-3704` → `DE893704`.
pub fn normalize_id(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_uppercase())
        .collect()
}

/// Invoice number normalisation for duplicate checks: [`normalize_id`] and leading
/// zeros stripped (`INV-0042` and `inv 42` differ; `00042` and `42` do not).
pub fn normalize_invoice_number(s: &str) -> String {
    let n = normalize_id(s);
    let t = n.trim_start_matches('0');
    if t.is_empty() && !n.is_empty() {
        "0".into()
    } else {
        t.into()
    }
}

/// Read a configuration value of this plugin (the `config` import).
pub fn config_value(key: &str) -> Option<String> {
    crate::config::get(key)
}

/// Read a configuration value that must parse as `T`, with a default when unset.
/// A value that is set but does not parse is a [`StageError::Config`] naming the key.
pub fn config_parse<T: std::str::FromStr>(key: &str, default: T) -> Result<T, StageError> {
    match config_value(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| StageError::Config(format!("config value `{key}` = `{v}` is not valid"))),
    }
}

/// Log a debug message through the host (`log` import).
pub fn log_debug(message: &str) {
    crate::log::log(crate::log::Level::Debug, message);
}

/// Log an error through the host.
pub fn log_error(message: &str) {
    crate::log::log(crate::log::Level::Error, message);
}

/// Log a message through the host (`log` import).
pub fn log_info(message: &str) {
    crate::log::log(crate::log::Level::Info, message);
}

/// Log a warning through the host.
pub fn log_warn(message: &str) {
    crate::log::log(crate::log::Level::Warn, message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_trip() {
        for s in ["0.01", "1234.56", "-0.50", "7", "19.5"] {
            assert_eq!(decimal_to_string(&parse_decimal(s).unwrap()), s);
        }
        assert!(parse_decimal("1,5").is_none());
        assert!(parse_decimal("").is_none());
    }

    #[test]
    fn money_respects_exponent() {
        assert_eq!(parse_money("12.3", "EUR").unwrap().minor, 1230);
        assert_eq!(parse_money("500", "JPY").unwrap().minor, 500);
        assert!(parse_money("1.5", "JPY").is_none());
        let m = Money {
            minor: -5,
            currency: "EUR".into(),
        };
        assert_eq!(money_to_string(&m), "-0.05");
    }

    #[test]
    fn dates() {
        let d = Date {
            year: 2026,
            month: 11,
            day: 26,
        };
        assert_eq!(weekday(&d), 3); // a Thursday
        assert_eq!(
            days_from_civil(&Date {
                year: 1970,
                month: 1,
                day: 1
            }),
            0
        );
    }

    #[test]
    fn invoice_numbers() {
        assert_eq!(normalize_invoice_number("inv-0042"), "INV0042");
        assert_eq!(normalize_invoice_number("00042"), "42");
    }
}
