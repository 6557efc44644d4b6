//! Money is integer minor units plus an ISO 4217 code; never a float.
use crate::Error;

/// Decimal places of a currency's minor unit (ISO 4217).
pub fn currency_exponent(code: &str) -> u32 {
    match code {
        "JPY" | "KRW" | "ISK" | "CLP" | "VND" | "XAF" | "XOF" | "UGX" => 0,
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => 3,
        _ => 2,
    }
}

/// `minor` units of `currency` as a plain decimal string (`123456`, EUR → `1234.56`).
pub fn format_minor(minor: i64, currency: &str) -> String {
    let exp = currency_exponent(currency) as usize;
    if exp == 0 {
        return minor.to_string();
    }
    let digits = minor.unsigned_abs().to_string();
    let padded = format!("{digits:0>width$}", width = exp + 1);
    let (int, frac) = padded.split_at(padded.len() - exp);
    format!("{}{int}.{frac}", if minor < 0 { "-" } else { "" })
}

/// An amount in a currency.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Amount {
    pub minor: i64,
    pub currency: String,
}

impl Amount {
    /// Parse a plain decimal (`5000`, `5000.00`) in `currency`; more decimals than the
    /// currency has are refused rather than rounded.
    pub fn parse(s: &str, currency: &str) -> Result<Amount, Error> {
        let bad = || Error::InvalidAmount(s.to_string());
        let t = s.trim();
        let (neg, t) = match t.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, t),
        };
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        let exp = currency_exponent(currency) as usize;
        if int.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > exp
        {
            return Err(bad());
        }
        let mut v: i64 = int.parse().map_err(|_| bad())?;
        for i in 0..exp {
            let d = frac.as_bytes().get(i).map_or(0, |b| (b - b'0') as i64);
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(d))
                .ok_or_else(bad)?;
        }
        Ok(Amount {
            minor: if neg { -v } else { v },
            currency: currency.to_string(),
        })
    }
}

impl std::fmt::Display for Amount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}",
            format_minor(self.minor, &self.currency),
            self.currency
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_minor_units() {
        assert_eq!(format_minor(123456, "EUR"), "1234.56");
        assert_eq!(format_minor(-5, "EUR"), "-0.05");
        assert_eq!(format_minor(500, "JPY"), "500");
        assert_eq!(format_minor(1, "KWD"), "0.001");
    }

    #[test]
    fn parses_amounts_exactly() {
        assert_eq!(Amount::parse("5000", "EUR").unwrap().minor, 500000);
        assert_eq!(Amount::parse("12.5", "EUR").unwrap().minor, 1250);
        assert!(Amount::parse("12.345", "EUR").is_err());
        assert!(Amount::parse("1,5", "EUR").is_err());
        assert!(Amount::parse("", "EUR").is_err());
    }
}
