//! Correcting one canonical field (docs/CONVENTIONS-INTERNAL.md): the name is
//! checked, the value normalised to the canonical format, and the change applied to
//! both stored forms of the invoice — the `FieldsOut` JSON and the WIT `invoice`
//! record JSON the checks run on.
use crate::{Result, StoreError};
use papyr_domain::money::{Amount, format_minor};
use serde_json::{Map, Value, json};

/// Fields a person may correct one by one (every canonical field but
/// `line_items`).
pub const CORRECTABLE_FIELDS: &[&str] = &[
    "vendor_name",
    "vendor_tax_id",
    "customer_name",
    "invoice_number",
    "issue_date",
    "due_date",
    "currency",
    "net_total",
    "tax_total",
    "gross_total",
    "amount_due",
    "iban",
    "bic",
    "po_number",
];

const AMOUNT_FIELDS: &[&str] = &["net_total", "tax_total", "gross_total", "amount_due"];
const DATE_FIELDS: &[&str] = &["issue_date", "due_date"];
const MAX_TEXT: usize = 300;

fn invalid<T>(msg: String) -> Result<T> {
    Err(StoreError::Invalid(msg))
}

/// Check a field name.
pub fn check_field(field: &str) -> Result<()> {
    if field == "line_items" {
        return invalid(
            "line_items cannot be corrected field by field; correct the totals instead".into(),
        );
    }
    if !CORRECTABLE_FIELDS.contains(&field) {
        return invalid(format!(
            "unknown field `{field}`; correctable fields: {}",
            CORRECTABLE_FIELDS.join(", ")
        ));
    }
    Ok(())
}

/// The canonical form of `value` for `field` (`None` or blank clears the field).
/// Amounts are read in `currency`, the invoice's currency after the change.
pub fn normalise(
    field: &str,
    value: Option<&str>,
    currency: Option<&str>,
) -> Result<Option<String>> {
    check_field(field)?;
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > MAX_TEXT || v.chars().any(char::is_control) {
        return invalid(format!(
            "{field}: at most {MAX_TEXT} characters without control characters"
        ));
    }
    let out = match field {
        f if DATE_FIELDS.contains(&f) => {
            parse_date(v).ok_or_else(|| {
                StoreError::Invalid(format!("{field}: `{v}` is not a date as YYYY-MM-DD"))
            })?;
            v.to_string()
        }
        f if AMOUNT_FIELDS.contains(&f) => {
            let Some(cur) = currency else {
                return invalid(format!(
                    "{field}: the invoice has no currency; correct `currency` first"
                ));
            };
            let a = Amount::parse(v, cur).map_err(|_| {
                StoreError::Invalid(format!(
                    "{field}: `{v}` is not a decimal amount in {cur} (such as 1234.56, at most the currency's decimals)"
                ))
            })?;
            format_minor(a.minor, cur)
        }
        "currency" => {
            let c = v.to_ascii_uppercase();
            if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return invalid(format!(
                    "currency: `{v}` is not an ISO 4217 code such as EUR"
                ));
            }
            c
        }
        "iban" => {
            let iban: String = v
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| c.to_ascii_uppercase())
                .collect();
            if !iban_valid(&iban) {
                return invalid(format!(
                    "iban: `{v}` is not a valid IBAN (country, check digits, mod 97)"
                ));
            }
            iban
        }
        "bic" => {
            let bic = v.to_ascii_uppercase();
            let b = bic.as_bytes();
            if !(b.len() == 8 || b.len() == 11)
                || !b[..6].iter().all(u8::is_ascii_uppercase)
                || !b[6..].iter().all(u8::is_ascii_alphanumeric)
            {
                return invalid(format!("bic: `{v}` is not a BIC of 8 or 11 characters"));
            }
            bic
        }
        _ => v.to_string(),
    };
    Ok(Some(out))
}

/// `YYYY-MM-DD` as a real calendar date.
pub fn parse_date(s: &str) -> Option<(u16, u8, u8)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (y >= 1 && (1..=days).contains(&d)).then_some((y as u16, m as u8, d as u8))
}

/// ISO 13616: country letters, check digits, 15–34 characters, mod 97 = 1.
fn iban_valid(iban: &str) -> bool {
    let b = iban.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let mut rem = 0u32;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = if c.is_ascii_digit() {
            (c - b'0') as u32
        } else {
            (c - b'A') as u32 + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// The two stored forms of an invoice, edited together.
pub(crate) struct InvoiceJson {
    pub fields: Map<String, Value>,
    pub invoice: Map<String, Value>,
}

impl InvoiceJson {
    pub(crate) fn parse(fields: &str, invoice: &str) -> Result<InvoiceJson> {
        let obj = |s: &str, what: &str| match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(StoreError::Invalid(format!(
                "the stored {what} JSON is not an object"
            ))),
        };
        Ok(InvoiceJson {
            fields: obj(fields, "fields")?,
            invoice: obj(invoice, "invoice")?,
        })
    }

    pub(crate) fn field(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(Value::as_str)
    }

    /// The currency the amounts are in: the fields' own, else the invoice record's.
    pub(crate) fn currency(&self) -> Option<String> {
        self.field("currency")
            .or_else(|| self.invoice.get("currency").and_then(Value::as_str))
            .map(str::to_string)
    }

    /// Set a field already normalised by [`normalise`].
    pub(crate) fn set(&mut self, field: &str, value: Option<&str>) -> Result<()> {
        if field == "currency" {
            self.change_currency(value)?;
        }
        self.fields
            .insert(field.to_string(), value.map_or(Value::Null, Value::from));
        let wit = match (field, value) {
            (_, None) => Value::Null,
            (f, Some(v)) if DATE_FIELDS.contains(&f) => {
                let (y, m, d) = parse_date(v)
                    .ok_or_else(|| StoreError::Invalid(format!("{field}: `{v}` is not a date")))?;
                json!({ "year": y, "month": m, "day": d })
            }
            (f, Some(v)) if AMOUNT_FIELDS.contains(&f) => {
                let cur = self.currency().unwrap_or_default();
                let a = Amount::parse(v, &cur)
                    .map_err(|_| StoreError::Invalid(format!("{field}: `{v}` in {cur}")))?;
                json!({ "minor": a.minor, "currency": cur })
            }
            (_, Some(v)) => Value::from(v),
        };
        match field {
            "vendor_name" | "vendor_tax_id" | "customer_name" => {
                let (party, key) = field.split_once('_').unwrap_or((field, "name"));
                let party = self.invoice.entry(party).or_insert_with(|| json!({}));
                if !party.is_object() {
                    *party = json!({});
                }
                if let Some(p) = party.as_object_mut() {
                    p.insert(key.to_string(), wit);
                }
            }
            _ => {
                self.invoice.insert(field.to_string(), wit);
            }
        }
        self.mark_manual(field, value);
        Ok(())
    }

    /// Every money value in the invoice record and every amount field is re-read in
    /// the new currency, so minor units always match the currency's decimals; a
    /// value with more decimals than the new currency has is refused.
    fn change_currency(&mut self, new: Option<&str>) -> Result<()> {
        let (Some(old), Some(new)) = (self.currency(), new) else {
            return Ok(());
        };
        if old == new {
            return Ok(());
        }
        fn walk(v: &mut Value, old: &str, new: &str) -> Result<()> {
            match v {
                Value::Object(m) => {
                    let is_money = m.len() == 2
                        && m.get("currency").and_then(Value::as_str) == Some(old)
                        && m.get("minor").is_some_and(Value::is_i64);
                    if is_money {
                        let minor = m.get("minor").and_then(Value::as_i64).unwrap_or(0);
                        let text = format_minor(minor, old);
                        let a = Amount::parse(&text, new).map_err(|_| {
                            StoreError::Invalid(format!(
                                "currency: the amount {text} has more decimals than {new} allows; correct the amounts first"
                            ))
                        })?;
                        m.insert("minor".into(), Value::from(a.minor));
                        m.insert("currency".into(), Value::from(new));
                    } else {
                        for x in m.values_mut() {
                            walk(x, old, new)?;
                        }
                    }
                }
                Value::Array(a) => {
                    for x in a {
                        walk(x, old, new)?;
                    }
                }
                _ => {}
            }
            Ok(())
        }
        let mut inv = Value::Object(std::mem::take(&mut self.invoice));
        let walked = walk(&mut inv, &old, new);
        if let Value::Object(m) = inv {
            self.invoice = m;
        }
        walked?;
        for f in AMOUNT_FIELDS {
            if let Some(v) = self.field(f).map(str::to_string) {
                let a = Amount::parse(&v, new).map_err(|_| {
                    StoreError::Invalid(format!(
                        "currency: {f} {v} has more decimals than {new} allows; correct it first"
                    ))
                })?;
                self.fields
                    .insert((*f).to_string(), Value::from(format_minor(a.minor, new)));
            }
        }
        Ok(())
    }

    /// The record's per-field evidence now says a person entered the value.
    fn mark_manual(&mut self, field: &str, value: Option<&str>) {
        let Some(Value::Array(ev)) = self.invoice.get_mut("evidence") else {
            return;
        };
        ev.retain(|e| e.get("field").and_then(Value::as_str) != Some(field));
        if let Some(v) = value {
            // `Manual` is how the WIT `field-source` enum serialises.
            ev.push(json!({
                "field": field, "confidence": 1.0, "source": "Manual",
                "page": 0, "line": 0, "text": v,
            }));
        }
    }

    /// Gross total in minor units, as the record holds it.
    pub(crate) fn gross_minor(&self) -> Option<i64> {
        self.invoice
            .get("gross_total")
            .and_then(|g| g.get("minor"))
            .and_then(Value::as_i64)
    }

    pub(crate) fn to_strings(&self) -> (String, String) {
        (
            Value::Object(self.fields.clone()).to_string(),
            Value::Object(self.invoice.clone()).to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correctable_fields_are_the_canonical_ones() {
        let canonical = serde_json::to_value(papyr_domain::FieldsOut::default()).unwrap();
        let mut names: Vec<&str> = canonical
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "line_items")
            .collect();
        names.sort_unstable();
        let mut ours = CORRECTABLE_FIELDS.to_vec();
        ours.sort_unstable();
        assert_eq!(names, ours);
    }

    #[test]
    fn values_are_normalised_or_refused() {
        let n = |f, v| normalise(f, Some(v), Some("EUR"));
        assert_eq!(
            n("issue_date", "2024-02-29").unwrap().as_deref(),
            Some("2024-02-29")
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "24-01-01",
            "2024-1-01",
            "2024-01-0x",
        ] {
            assert!(
                n("issue_date", bad)
                    .unwrap_err()
                    .to_string()
                    .contains("YYYY-MM-DD"),
                "{bad}"
            );
        }
        assert_eq!(
            n("gross_total", " 12.5 ").unwrap().as_deref(),
            Some("12.50")
        );
        assert!(n("gross_total", "12.345").is_err());
        assert!(n("gross_total", "1,5").is_err());
        assert!(
            normalise("gross_total", Some("1"), None)
                .unwrap_err()
                .to_string()
                .contains("currency")
        );
        assert_eq!(n("currency", "chf").unwrap().as_deref(), Some("CHF"));
        assert!(n("currency", "EURO").is_err());
        assert_eq!(
            n("iban", "de89 3704 0044 0532 0130 00").unwrap().as_deref(),
            Some("DE89370400440532013000")
        );
        assert!(
            n("iban", "DE88370400440532013000")
                .unwrap_err()
                .to_string()
                .contains("mod 97")
        );
        assert_eq!(
            n("bic", "deutdeff500").unwrap().as_deref(),
            Some("DEUTDEFF500")
        );
        assert!(n("bic", "DEUT1EFF").is_err());
        assert_eq!(n("vendor_name", "  ").unwrap(), None, "blank clears");
        assert!(n("vendor_name", "a\u{0}b").is_err());
        assert!(
            n("colour", "x")
                .unwrap_err()
                .to_string()
                .contains("unknown field `colour`")
        );
        assert!(
            n("line_items", "x")
                .unwrap_err()
                .to_string()
                .contains("line_items")
        );
    }

    #[test]
    fn both_forms_change_together() {
        let fields = r#"{"vendor_name":"Acme","currency":"EUR","gross_total":"1000.00","net_total":"840.34","issue_date":null,"line_items":[]}"#;
        let invoice = r#"{"vendor":{"name":"Acme","tax_id":null},"currency":"EUR","gross_total":{"minor":100000,"currency":"EUR"},
            "tax_breakdown":[{"rate":{"value":19,"scale":0},"basis":{"minor":84034,"currency":"EUR"},"amount":{"minor":15966,"currency":"EUR"}}],
            "evidence":[{"field":"vendor_name","confidence":0.6,"source":"TextLayer","page":1,"line":2,"text":"Acme"}]}"#;
        let mut j = InvoiceJson::parse(fields, invoice).unwrap();
        j.set("vendor_name", Some("ACME GmbH")).unwrap();
        j.set("issue_date", Some("2024-03-01")).unwrap();
        j.set("gross_total", Some("1190.00")).unwrap();
        assert_eq!(j.invoice["vendor"]["name"], "ACME GmbH");
        assert_eq!(
            j.invoice["issue_date"],
            json!({"year": 2024, "month": 3, "day": 1})
        );
        assert_eq!(j.gross_minor(), Some(119000));
        assert_eq!(j.fields["gross_total"], "1190.00");
        // The text-layer evidence of vendor_name is replaced, not kept beside.
        let ev = j.invoice["evidence"].as_array().unwrap();
        let fields: Vec<&str> = ev.iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["vendor_name", "issue_date", "gross_total"]);
        assert!(
            ev.iter()
                .all(|e| e["source"] == "Manual" && e["confidence"] == 1.0)
        );

        // KWD has three decimals: every money value is re-read.
        j.set("currency", Some("KWD")).unwrap();
        assert_eq!(
            j.invoice["gross_total"],
            json!({"minor": 1190000, "currency": "KWD"})
        );
        assert_eq!(j.invoice["tax_breakdown"][0]["basis"]["minor"], 840340);
        assert_eq!(j.fields["net_total"], "840.340");
        // JPY has none: 840.340 cannot be read as yen.
        assert!(
            j.set("currency", Some("JPY"))
                .unwrap_err()
                .to_string()
                .contains("decimals")
        );
    }
}
