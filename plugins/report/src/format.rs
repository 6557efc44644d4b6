//! Amounts, numbers and labels as an approver reads them.
use papyr_sdk::types::{Decimal, DecisionKind, FieldSource, Money, Severity};

/// Digit grouping and decimal mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    group: char,
    decimal: char,
}

const EURO_STYLE: Style = Style {
    group: '.',
    decimal: ',',
};
const ENGLISH_STYLE: Style = Style {
    group: ',',
    decimal: '.',
};
const SWISS_STYLE: Style = Style {
    group: '\'',
    decimal: '.',
};

/// The number style of a currency: EUR as `1.234,56`, CHF as `1'234.56`, others
/// `1,234.56`.
pub fn style_of(currency: &str) -> Style {
    match currency {
        "EUR" => EURO_STYLE,
        "CHF" => SWISS_STYLE,
        _ => ENGLISH_STYLE,
    }
}

/// `value × 10^-scale` with grouping; at least `min_decimals` decimals.
pub fn number(value: i64, scale: u8, min_decimals: u8, style: Style) -> String {
    let scale = scale.min(30);
    let neg = value < 0;
    let mut digits = value.unsigned_abs().to_string();
    let mut scale = scale as usize;
    // Pad with trailing zeros up to the minimum number of decimals.
    while scale < min_decimals as usize {
        digits.push('0');
        scale += 1;
    }
    if digits.len() <= scale {
        digits = format!("{}{}", "0".repeat(scale + 1 - digits.len()), digits);
    }
    let (int, frac) = digits.split_at(digits.len() - scale);
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(style.group);
        }
        grouped.push(c);
    }
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push_str(&grouped);
    if !frac.is_empty() {
        out.push(style.decimal);
        out.push_str(frac);
    }
    out
}

/// A money amount in its currency's usual form: `1.234,56 €`, `$1,234.56`,
/// `£1,234.56`, `CHF 1'234.56`, `1,234.56 PLN`.
pub fn money(m: &Money) -> String {
    let exp = papyr_sdk::currency_exponent(&m.currency) as u8;
    let style = style_of(&m.currency);
    let n = number(m.minor, exp, exp, style);
    let (sign, abs) = match n.strip_prefix('-') {
        Some(a) => ("-", a.to_string()),
        None => ("", n.clone()),
    };
    match m.currency.as_str() {
        "EUR" => format!("{n} €"),
        "USD" => format!("{sign}${abs}"),
        "GBP" => format!("{sign}£{abs}"),
        "CHF" => format!("CHF {n}"),
        "" => n,
        other => format!("{n} {other}"),
    }
}

pub fn opt_money(m: &Option<Money>) -> String {
    m.as_ref().map_or_else(dash, money)
}

/// A quantity or rate: trailing zeros dropped (`10.000` → `10`, `7.70` → `7,7` in EUR
/// style).
pub fn decimal(d: &Decimal, style: Style) -> String {
    let (mut v, mut s) = (d.value, d.scale);
    while s > 0 && v % 10 == 0 {
        v /= 10;
        s -= 1;
    }
    number(v, s, 0, style)
}

/// A unit price: at least the currency's decimals, more when given.
pub fn price(d: &Decimal, currency: &str) -> String {
    let exp = papyr_sdk::currency_exponent(currency) as u8;
    let style = style_of(currency);
    let (mut v, mut s) = (d.value, d.scale);
    while s > exp && v % 10 == 0 {
        v /= 10;
        s -= 1;
    }
    number(v, s, exp, style)
}

pub fn dash() -> String {
    "—".into()
}

pub fn decision(d: DecisionKind) -> &'static str {
    match d {
        DecisionKind::AutoApprove => "Auto-approve",
        DecisionKind::NeedsApproval => "Needs approval",
        DecisionKind::Hold => "Hold",
        DecisionKind::NotAnInvoice => "Not an invoice",
        DecisionKind::Failed => "Failed",
    }
}

pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "INFO",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

pub fn severity_rank(s: Severity) -> u8 {
    match s {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

pub fn source(s: FieldSource) -> &'static str {
    match s {
        FieldSource::EInvoice => "e-invoice",
        FieldSource::TextLayer => "text layer",
        FieldSource::Template => "template",
        FieldSource::Derived => "derived",
        FieldSource::Manual => "manual",
    }
}

/// At most `max` characters, with the rest counted, so long values never vanish
/// silently.
pub fn clip(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max).collect();
    format!("{head} … ({} more characters)", n - max)
}

/// Percent of a 0..1 confidence (non-finite values show as a dash).
pub fn percent(c: f32) -> String {
    if c.is_finite() {
        format!("{}%", (c.clamp(0.0, 1.0) * 100.0).round() as u32)
    } else {
        dash()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(minor: i64, c: &str) -> Money {
        Money {
            minor,
            currency: c.into(),
        }
    }

    #[test]
    fn money_formats_by_currency() {
        assert_eq!(money(&m(123456, "EUR")), "1.234,56 €");
        assert_eq!(money(&m(123456, "USD")), "$1,234.56");
        assert_eq!(money(&m(123456, "GBP")), "£1,234.56");
        assert_eq!(money(&m(123456, "CHF")), "CHF 1'234.56");
        assert_eq!(money(&m(123456, "PLN")), "1,234.56 PLN");
        assert_eq!(money(&m(123456, "JPY")), "123,456 JPY");
        assert_eq!(money(&m(-5, "EUR")), "-0,05 €");
        assert_eq!(money(&m(-123456789, "USD")), "-$1,234,567.89");
        assert_eq!(money(&m(100, "EUR")), "1,00 €");
        assert_eq!(money(&m(i64::MIN, "EUR")), "-92.233.720.368.547.758,08 €");
    }

    #[test]
    fn decimals() {
        let style = style_of("EUR");
        assert_eq!(
            decimal(
                &Decimal {
                    value: 10000,
                    scale: 3
                },
                style
            ),
            "10"
        );
        assert_eq!(
            decimal(
                &Decimal {
                    value: 770,
                    scale: 2
                },
                style
            ),
            "7,7"
        );
        assert_eq!(
            price(
                &Decimal {
                    value: 95,
                    scale: 0
                },
                "EUR"
            ),
            "95,00"
        );
        assert_eq!(
            price(
                &Decimal {
                    value: 12345,
                    scale: 4
                },
                "USD"
            ),
            "1.2345"
        );
        assert_eq!(
            price(
                &Decimal {
                    value: 950000,
                    scale: 4
                },
                "USD"
            ),
            "95.00"
        );
    }
}
