//! Tenant extraction templates: declarative per-vendor rules that override single
//! fields of the generic result. Format: `docs/extraction-templates.md`.
use crate::Acc;
use crate::num::{Num, fold, make_date, month_from_name};
use crate::text::Ln;
use papyr_sdk::normalize_id;
use papyr_sdk::types::{Date, FieldSource, Money, ParsedDocument, StageError};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    name: String,
    #[serde(rename = "match")]
    matcher: RawMatch,
    fields: std::collections::BTreeMap<String, RawRule>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMatch {
    #[serde(default)]
    vendor_tax_id: Option<String>,
    #[serde(default)]
    text: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    anchor: String,
    #[serde(default)]
    occurrence: Option<u32>,
    #[serde(default, rename = "where")]
    place: Option<String>,
    #[serde(default)]
    lines: Option<u32>,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    before: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    decimal_separator: Option<String>,
    #[serde(default)]
    currency: Option<String>,
}

/// Where a value sits relative to its anchor.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    /// Same line, right of the anchor.
    Right,
    /// The n-th line below (1 = next), in the anchor's column.
    Below(u32),
    /// The anchor's whole line, from its start (narrow it with `after` / `before`).
    Line,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueType {
    Text,
    Date(Vec<DateTok>),
    Amount {
        decimal: char,
        currency: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum DateTok {
    Year4,
    Year2,
    MonthName,
    Month2,
    Month1,
    Day2,
    Day1,
    Lit(char),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub field: String,
    pub anchor: String,
    pub occurrence: u32,
    pub place: Place,
    pub after: Option<String>,
    pub before: Option<String>,
    pub value: ValueType,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub name: String,
    pub vendor_tax_id: Option<String>,
    pub text: Vec<String>,
    pub rules: Vec<Rule>,
}

const TEXT_FIELDS: &[&str] = &[
    "invoice_number",
    "po_number",
    "vendor_name",
    "vendor_tax_id",
    "customer_name",
    "customer_tax_id",
    "currency",
    "iban",
    "bic",
    "payment_terms",
];
const DATE_FIELDS: &[&str] = &["issue_date", "due_date"];
const AMOUNT_FIELDS: &[&str] = &[
    "net_total",
    "tax_total",
    "gross_total",
    "amount_due",
    "prepaid",
];

fn cfg(name: &str, msg: impl std::fmt::Display) -> StageError {
    StageError::Config(format!("config `templates`: template `{name}`: {msg}"))
}

/// Parse the `templates` configuration value (a JSON array).
pub fn parse_templates(json: &str) -> Result<Vec<Template>, StageError> {
    let values: Vec<serde_json::Value> = serde_json::from_str(json).map_err(|e| {
        StageError::Config(format!(
            "config `templates` is not a JSON array of templates: {e}"
        ))
    })?;
    let mut out = Vec::new();
    for (i, v) in values.into_iter().enumerate() {
        let label = v
            .get("name")
            .and_then(|n| n.as_str())
            .map_or_else(|| format!("#{}", i + 1), str::to_string);
        let raw: RawTemplate = serde_json::from_value(v).map_err(|e| cfg(&label, e))?;
        out.push(compile(raw)?);
    }
    Ok(out)
}

fn compile(raw: RawTemplate) -> Result<Template, StageError> {
    let name = raw.name.trim().to_string();
    if name.is_empty() {
        return Err(cfg("", "`name` is empty"));
    }
    let vendor_tax_id = raw
        .matcher
        .vendor_tax_id
        .map(|v| normalize_id(&v))
        .filter(|v| !v.is_empty());
    let text: Vec<String> = raw
        .matcher
        .text
        .iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    if vendor_tax_id.is_none() && text.is_empty() {
        return Err(cfg(
            &name,
            "`match` needs `vendor_tax_id` or at least one `text`",
        ));
    }
    if raw.fields.is_empty() {
        return Err(cfg(&name, "`fields` is empty"));
    }
    let mut rules = Vec::new();
    for (field, r) in raw.fields {
        let e = |msg: String| cfg(&name, format!("field `{field}`: {msg}"));
        if r.anchor.trim().is_empty() {
            return Err(e("`anchor` is empty".into()));
        }
        let place = match (r.place.as_deref().unwrap_or("right"), r.lines) {
            ("right", None) => Place::Right,
            ("right" | "line", Some(_)) => {
                return Err(e("`lines` only applies to `where: below`".into()));
            }
            ("line", None) => Place::Line,
            ("below", n) => {
                let n = n.unwrap_or(1);
                if n == 0 || n > 20 {
                    return Err(e(format!("`lines` = {n} must be 1..20")));
                }
                Place::Below(n)
            }
            (other, _) => {
                return Err(e(format!(
                    "`where` = `{other}` must be `right`, `below` or `line`"
                )));
            }
        };
        let declared = r.kind.as_deref();
        let value = if DATE_FIELDS.contains(&field.as_str()) {
            if !matches!(declared, None | Some("date")) {
                return Err(e(format!(
                    "type `{}` does not fit a date field",
                    declared.unwrap_or("")
                )));
            }
            let f = r.format.as_deref().ok_or_else(|| {
                e("a date needs an explicit `format` such as `DD.MM.YYYY`".into())
            })?;
            ValueType::Date(compile_date_format(f).map_err(e)?)
        } else if AMOUNT_FIELDS.contains(&field.as_str()) {
            if !matches!(declared, None | Some("amount")) {
                return Err(e(format!(
                    "type `{}` does not fit an amount field",
                    declared.unwrap_or("")
                )));
            }
            let decimal = match r.decimal_separator.as_deref() {
                Some(",") => ',',
                Some(".") => '.',
                Some(o) => {
                    return Err(e(format!("`decimal_separator` = `{o}` must be `,` or `.`")));
                }
                None => {
                    return Err(e(
                        "an amount needs an explicit `decimal_separator` (`,` or `.`)".into(),
                    ));
                }
            };
            let currency = r.currency.map(|c| c.trim().to_ascii_uppercase());
            if currency
                .as_ref()
                .is_some_and(|c| c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()))
            {
                return Err(e("`currency` must be an ISO 4217 code".into()));
            }
            ValueType::Amount { decimal, currency }
        } else if TEXT_FIELDS.contains(&field.as_str()) {
            if !matches!(declared, None | Some("text")) {
                return Err(e(format!(
                    "type `{}` does not fit a text field",
                    declared.unwrap_or("")
                )));
            }
            ValueType::Text
        } else {
            return Err(e("not a field a template can set".into()));
        };
        if r.format.is_some() && !matches!(value, ValueType::Date(_)) {
            return Err(e("`format` only applies to dates".into()));
        }
        rules.push(Rule {
            field: field.clone(),
            anchor: r.anchor,
            occurrence: r.occurrence.unwrap_or(1).max(1),
            place,
            after: r.after.filter(|s| !s.is_empty()),
            before: r.before.filter(|s| !s.is_empty()),
            value,
        });
    }
    Ok(Template {
        name,
        vendor_tax_id,
        text,
        rules,
    })
}

fn compile_date_format(f: &str) -> Result<Vec<DateTok>, String> {
    let mut out = Vec::new();
    let mut rest = f;
    while !rest.is_empty() {
        let (tok, len) = if rest.starts_with("YYYY") {
            (DateTok::Year4, 4)
        } else if rest.starts_with("YY") {
            (DateTok::Year2, 2)
        } else if rest.starts_with("MMMM") {
            (DateTok::MonthName, 4)
        } else if rest.starts_with("MMM") {
            (DateTok::MonthName, 3)
        } else if rest.starts_with("MM") {
            (DateTok::Month2, 2)
        } else if rest.starts_with('M') {
            (DateTok::Month1, 1)
        } else if rest.starts_with("DD") {
            (DateTok::Day2, 2)
        } else if rest.starts_with('D') {
            (DateTok::Day1, 1)
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            if c.is_ascii_alphanumeric() {
                return Err(format!(
                    "date format `{f}`: unknown token at `{rest}` (use DD, D, MM, M, MMM, YYYY, YY)"
                ));
            }
            (DateTok::Lit(c), c.len_utf8())
        };
        out.push(tok);
        rest = &rest[len..];
    }
    let has = |p: &dyn Fn(&DateTok) -> bool| out.iter().any(p);
    if !has(&|t| matches!(t, DateTok::Year4 | DateTok::Year2))
        || !has(&|t| matches!(t, DateTok::Month1 | DateTok::Month2 | DateTok::MonthName))
        || !has(&|t| matches!(t, DateTok::Day1 | DateTok::Day2))
    {
        return Err(format!("date format `{f}` needs a day, a month and a year"));
    }
    Ok(out)
}

/// Match a compiled date format at the first position of `s` where it fits.
pub fn parse_date_with(fmt: &[DateTok], s: &str) -> Option<Date> {
    for (start, _) in s.char_indices() {
        if let Some(d) = date_at(fmt, &s[start..]) {
            return Some(d);
        }
    }
    None
}

fn date_at(fmt: &[DateTok], s: &str) -> Option<Date> {
    let (mut y, mut m, mut d) = (None, None, None);
    let mut rest = s;
    let digits = |r: &str, min: usize, max: usize| -> Option<(u32, usize)> {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n < min || n > max {
            return None;
        }
        Some((r[..n].parse().ok()?, n))
    };
    for t in fmt {
        match t {
            DateTok::Year4 => {
                let (v, n) = digits(rest, 4, 4)?;
                y = Some(v);
                rest = &rest[n..];
            }
            DateTok::Year2 => {
                let (v, n) = digits(rest, 2, 2)?;
                y = Some(2000 + v);
                rest = &rest[n..];
            }
            DateTok::Month2 | DateTok::Day2 => {
                let (v, n) = digits(rest, 2, 2)?;
                if *t == DateTok::Month2 {
                    m = Some(v)
                } else {
                    d = Some(v)
                }
                rest = &rest[n..];
            }
            DateTok::Month1 | DateTok::Day1 => {
                let (v, n) = digits(rest, 1, 2)?;
                if *t == DateTok::Month1 {
                    m = Some(v)
                } else {
                    d = Some(v)
                }
                rest = &rest[n..];
            }
            DateTok::MonthName => {
                let n = rest
                    .char_indices()
                    .find(|(_, c)| !c.is_alphabetic())
                    .map_or(rest.len(), |x| x.0);
                m = Some(month_from_name(&rest[..n])? as u32);
                rest = &rest[n..];
                rest = rest.strip_prefix('.').unwrap_or(rest);
            }
            DateTok::Lit(' ') => {
                let trimmed = rest.trim_start();
                if trimmed.len() == rest.len() {
                    return None;
                }
                rest = trimmed;
            }
            DateTok::Lit(c) => rest = rest.strip_prefix(*c)?,
        }
    }
    make_date(y?, m?, d?)
}

/// An amount with a declared decimal separator: every other separator groups.
pub fn parse_amount_with(s: &str, decimal: char) -> Option<Num> {
    let start = s.find(|c: char| c.is_ascii_digit())?;
    let neg = s[..start].trim_end().ends_with(['-', '\u{2212}', '(']);
    let mut plain = String::new();
    for c in s[start..].chars() {
        if c.is_ascii_digit() {
            plain.push(c);
        } else if c == decimal {
            plain.push('.');
        } else if matches!(c, '.' | ',' | ' ' | '\u{a0}' | '\u{202f}' | '\'' | '’') {
            continue;
        } else {
            break;
        }
    }
    let plain = plain.trim_end_matches('.');
    let n = Num::parse_plain(plain)?;
    Some(if neg { n.negated() } else { n })
}

fn matches_doc(t: &Template, all_folded: &str, vat_ids: &[String]) -> bool {
    if let Some(v) = &t.vendor_tax_id
        && !vat_ids.iter().any(|x| x == v)
    {
        return false;
    }
    t.text
        .iter()
        .all(|needle| all_folded.contains(&fold(needle).0))
}

/// Apply the first template that matches the document.
pub fn apply(templates: &[Template], parsed: &ParsedDocument, acc: &mut Acc) {
    if templates.is_empty() {
        return;
    }
    let lines: Vec<Ln> = parsed
        .pages
        .iter()
        .flat_map(|p| p.lines.iter().map(move |l| crate::text::line_view(p, l)))
        .collect();
    let all: String = lines.iter().map(|l| l.text).collect::<Vec<_>>().join("\n");
    let all_folded = fold(&all).0;
    let mut ids: Vec<String> = lines
        .iter()
        .flat_map(|l| crate::text::vat_ids_on(l.text))
        .collect();
    ids.extend(acc.inv.vendor.tax_id.as_deref().map(normalize_id));
    let Some(t) = templates.iter().find(|t| matches_doc(t, &all_folded, &ids)) else {
        return;
    };
    for r in &t.rules {
        if let Some((raw, li)) = locate(r, &lines) {
            set_field(acc, r, raw, &lines[li]);
        }
    }
    // An amount due that was derived follows the totals the template set.
    let derived = acc
        .evidence("amount_due")
        .is_none_or(|e| e.source == FieldSource::Derived);
    if derived && let Some(g) = &acc.inv.gross_total {
        let due = g.minor.saturating_sub(
            acc.inv
                .prepaid
                .as_ref()
                .map_or(0, |p| p.minor.saturating_abs()),
        );
        acc.inv.amount_due = Some(Money {
            minor: due,
            currency: g.currency.clone(),
        });
        acc.ev(
            "amount_due",
            0.7,
            FieldSource::Derived,
            0,
            0,
            "gross_total - prepaid",
        );
    }
}

/// The raw text a rule points at, and the line it is on.
fn locate<'a>(r: &Rule, lines: &[Ln<'a>]) -> Option<(&'a str, usize)> {
    let anchor = fold(&r.anchor).0;
    let mut seen = 0;
    for (li, ln) in lines.iter().enumerate() {
        let (norm, map) = fold(ln.text);
        let Some(pos) = norm.find(&anchor) else {
            continue;
        };
        seen += 1;
        if seen < r.occurrence {
            continue;
        }
        let a_start = map[pos];
        let a_end = map[pos + anchor.len()];
        let (raw, vli) = match r.place {
            Place::Right => (&ln.text[a_end..], li),
            Place::Line => (ln.text, li),
            Place::Below(n) => {
                let target = li + n as usize;
                let t = lines.get(target).filter(|t| t.page == ln.page)?;
                let (x0, x1) = ln
                    .cells
                    .iter()
                    .find(|c| c.start <= a_start && a_start < c.end)
                    .map_or((f32::MIN, f32::MAX), |c| (c.x0 - 2.0, c.x1 + 2.0));
                let cell = t.cells.iter().find(|c| c.x0 < x1 && c.x1 > x0);
                (cell.map_or(t.text, |c| &t.text[c.start..c.end]), target)
            }
        };
        let mut v = raw;
        if let Some(a) = &r.after {
            let (n, m) = fold(v);
            let p = n.find(&fold(a).0)?;
            v = &v[m[p + fold(a).0.len()]..];
        }
        if let Some(b) = &r.before {
            let (n, m) = fold(v);
            if let Some(p) = n.find(&fold(b).0) {
                v = &v[..m[p]];
            }
        }
        let v = v
            .trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '#'))
            .trim();
        // A value ends at a wide gap (the next column).
        let v = v.split("  ").next().unwrap_or("").trim();
        return (!v.is_empty()).then_some((v, vli));
    }
    None
}

fn set_field(acc: &mut Acc, r: &Rule, raw: &str, ln: &Ln) {
    let token = || {
        raw.split_whitespace()
            .next()
            .map(|t| t.trim_end_matches([',', ';']).to_string())
    };
    let ok = match (&r.value, r.field.as_str()) {
        (ValueType::Date(fmt), f) => match parse_date_with(fmt, raw) {
            Some(d) => {
                if f == "issue_date" {
                    acc.inv.issue_date = Some(d)
                } else {
                    acc.inv.due_date = Some(d)
                }
                true
            }
            None => false,
        },
        (ValueType::Amount { decimal, currency }, f) => {
            let cur = currency.clone().or_else(|| acc.inv.currency.clone());
            match (parse_amount_with(raw, *decimal), cur) {
                (Some(n), Some(cur)) => match n.to_money(&cur) {
                    Some(m) => {
                        match f {
                            "net_total" => acc.inv.net_total = Some(m),
                            "tax_total" => acc.inv.tax_total = Some(m),
                            "gross_total" => acc.inv.gross_total = Some(m),
                            "amount_due" => acc.inv.amount_due = Some(m),
                            _ => acc.inv.prepaid = Some(m),
                        }
                        true
                    }
                    None => false,
                },
                _ => false,
            }
        }
        (ValueType::Text, f) => {
            let whole = Some(raw.to_string());
            match f {
                "invoice_number" => acc.inv.invoice_number = token(),
                "po_number" => acc.inv.po_number = token(),
                "vendor_tax_id" => acc.inv.vendor.tax_id = token(),
                "customer_tax_id" => acc.inv.customer.tax_id = token(),
                "bic" => acc.inv.bic = token(),
                "currency" => acc.inv.currency = token().map(|c| c.to_ascii_uppercase()),
                "vendor_name" => acc.inv.vendor.name = whole,
                "customer_name" => acc.inv.customer.name = whole,
                "iban" => acc.inv.iban = whole,
                _ => acc.inv.payment_terms = whole,
            }
            true
        }
    };
    if ok {
        acc.ev(
            &r.field,
            0.95,
            FieldSource::Template,
            ln.page,
            ln.line,
            ln.text,
        );
    }
}
