//! einvoice.visible-mismatch: the XML of a hybrid PDF is the legal record; its key
//! values must be visible in the PDF a person looks at.
use papyr_sdk::types::{Date, DocumentFormat, Finding, Money, Severity, XmlSyntax};

use crate::util::{Ctx, ev, finding, money_str, valid_date};
use crate::xml::first_text;

/// The values the XML states.
#[derive(Debug, Default)]
pub struct XmlValues {
    pub number: Option<String>,
    pub issue_date: Option<Date>,
    pub gross: Option<Money>,
    pub due: Option<Money>,
    pub iban: Option<String>,
}

pub fn xml_values(syntax: XmlSyntax, xml: &str, fallback_currency: &str) -> XmlValues {
    let money = |s: Option<String>| s.and_then(|s| to_money(&s, fallback_currency));
    match syntax {
        XmlSyntax::UblInvoice | XmlSyntax::UblCreditNote => {
            let root = if syntax == XmlSyntax::UblInvoice {
                "Invoice"
            } else {
                "CreditNote"
            };
            XmlValues {
                number: first_text(xml, &[root, "ID"], true),
                issue_date: first_text(xml, &[root, "IssueDate"], true)
                    .and_then(|d| crate::util::parse_date_prefix(&d)),
                gross: money(first_text(
                    xml,
                    &["LegalMonetaryTotal", "TaxInclusiveAmount"],
                    false,
                )),
                due: money(first_text(
                    xml,
                    &["LegalMonetaryTotal", "PayableAmount"],
                    false,
                )),
                iban: first_text(xml, &["PayeeFinancialAccount", "ID"], false),
            }
        }
        XmlSyntax::Cii | XmlSyntax::CiiZugferd1 => {
            let doc = if syntax == XmlSyntax::Cii {
                "ExchangedDocument"
            } else {
                "HeaderExchangedDocument"
            };
            XmlValues {
                number: first_text(xml, &[doc, "ID"], false),
                issue_date: first_text(xml, &[doc, "IssueDateTime", "DateTimeString"], false)
                    .and_then(|d| yyyymmdd(&d)),
                gross: money(first_text(xml, &["GrandTotalAmount"], false)),
                due: money(first_text(xml, &["DuePayableAmount"], false)),
                iban: first_text(
                    xml,
                    &["PayeePartyCreditorFinancialAccount", "IBANID"],
                    false,
                ),
            }
        }
        XmlSyntax::Other => XmlValues::default(),
    }
}

fn yyyymmdd(s: &str) -> Option<Date> {
    let s = s.trim();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        valid_date(
            s[..4].parse().ok()?,
            s[4..6].parse().ok()?,
            s[6..].parse().ok()?,
        )
    } else {
        crate::util::parse_date_prefix(s)
    }
}

pub(crate) fn to_money(s: &str, currency: &str) -> Option<Money> {
    let d = papyr_sdk::parse_decimal(s)?;
    let exp = papyr_sdk::currency_exponent(currency);
    let scale = d.scale as u32;
    let minor = if scale <= exp {
        d.value.checked_mul(10i64.checked_pow(exp - scale)?)?
    } else {
        // More decimals than the currency has: round half away from zero.
        let div = 10i64.checked_pow(scale - exp)?;
        let q = d.value / div;
        if (d.value % div).abs() * 2 >= div {
            q + d.value.signum()
        } else {
            q
        }
    };
    Some(Money {
        minor,
        currency: currency.into(),
    })
}

/// The visible text in a few normalised forms.
pub(crate) struct Visible {
    /// Lower case, every kind of space as one space.
    pub(crate) flat: String,
    /// Each line upper-case alphanumeric only.
    alnum_lines: Vec<String>,
}

pub(crate) fn visible(ctx: &Ctx) -> Visible {
    let mut flat = String::new();
    let mut alnum_lines = Vec::new();
    for l in ctx.input.parsed.pages.iter().flat_map(|p| p.lines.iter()) {
        let mut prev_space = true;
        for c in l.text.chars() {
            let c = if c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}' {
                ' '
            } else {
                c
            };
            if c == ' ' {
                if !prev_space {
                    flat.push(' ');
                }
                prev_space = true;
            } else {
                flat.extend(c.to_lowercase());
                prev_space = false;
            }
        }
        flat.push('\n');
        alnum_lines.push(papyr_sdk::normalize_id(&l.text));
    }
    Visible { flat, alnum_lines }
}

/// `needle` occurs in `hay` with no digit glued to either side (and no further
/// decimal part after it).
pub(crate) fn contains_number(hay: &str, needle: &str) -> bool {
    let hb = hay.as_bytes();
    hay.match_indices(needle).any(|(i, _)| {
        let j = i + needle.len();
        let before_ok = i == 0 || {
            let b = hb[i - 1];
            let grouped = matches!(b, b'.' | b',' | b'\'') && i >= 2 && hb[i - 2].is_ascii_digit();
            !(b.is_ascii_digit() || grouped)
        };
        let after_ok = j >= hb.len() || {
            let a = hb[j];
            let more_decimals =
                matches!(a, b'.' | b',') && hb.get(j + 1).is_some_and(u8::is_ascii_digit);
            !(a.is_ascii_digit() || more_decimals)
        };
        before_ok && after_ok
    })
}

fn group(int: &str, sep: &str) -> String {
    let mut out = String::new();
    let n = int.len();
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (n - k).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// Ways an amount is printed: `1234.56`, `1,234.56`, `1.234,56`, `1 234,56`, `1'234.56`.
pub fn amount_variants(m: &Money) -> Vec<String> {
    let exp = papyr_sdk::currency_exponent(&m.currency) as usize;
    let s = papyr_sdk::money_to_string(&Money {
        minor: m.minor.abs(),
        currency: m.currency.clone(),
    });
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut v = Vec::new();
    for sep in ["", ",", ".", " ", "'", "’"] {
        let g = group(int, sep);
        for dec in [".", ","] {
            if sep == dec {
                continue;
            }
            if exp == 0 {
                v.push(g.clone());
            } else {
                v.push(format!("{g}{dec}{frac}"));
            }
        }
        if frac.bytes().all(|b| b == b'0') && exp > 0 {
            v.push(format!("{g},-"));
            v.push(format!("{g}.-"));
        }
    }
    v.sort();
    v.dedup();
    v
}

const MONTHS: &[[&str; 12]] = &[
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ],
    [
        "januar",
        "februar",
        "märz",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "dezember",
    ],
    [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
];

/// Is the date printed anywhere, in any usual format?
fn date_visible(flat: &str, d: &Date) -> bool {
    let (y, m, dd) = (d.year, d.month, d.day);
    let yy = y % 100;
    let numeric = [
        format!("{y:04}-{m:02}-{dd:02}"),
        format!("{dd:02}.{m:02}.{y:04}"),
        format!("{dd}.{m}.{y:04}"),
        format!("{dd:02}/{m:02}/{y:04}"),
        format!("{dd}/{m}/{y:04}"),
        format!("{m:02}/{dd:02}/{y:04}"),
        format!("{m}/{dd}/{y:04}"),
        format!("{dd:02}-{m:02}-{y:04}"),
        format!("{y:04}/{m:02}/{dd:02}"),
        format!("{y:04}.{m:02}.{dd:02}"),
        format!("{dd:02}.{m:02}.{yy:02}"),
        format!("{dd:02}/{m:02}/{yy:02}"),
        format!("{y:04}{m:02}{dd:02}"),
        format!("{dd:02}. {m:02}. {y:04}"),
    ];
    if numeric.iter().any(|c| contains_number(flat, c)) {
        return true;
    }
    let idx = (m as usize).saturating_sub(1).min(11);
    for lang in MONTHS {
        let full = lang[idx];
        let short: String = full.chars().take(3).collect();
        for name in [full, short.as_str()] {
            for day in [format!("{dd}"), format!("{dd:02}")] {
                let cands = [
                    format!("{day} {name} {y}"),
                    format!("{day}. {name} {y}"),
                    format!("{day}-{name}-{y}"),
                    format!("{day} {name}. {y}"),
                    format!("{day} de {name} de {y}"),
                    format!("{name} {day}, {y}"),
                    format!("{name}. {day}, {y}"),
                    format!("{name} {day} {y}"),
                    format!("{day}th {name} {y}"),
                    format!("{day}st {name} {y}"),
                    format!("{day}nd {name} {y}"),
                    format!("{day}rd {name} {y}"),
                    format!("{day}er {name} {y}"),
                ];
                if cands.iter().any(|c| contains_number(flat, c)) {
                    return true;
                }
            }
        }
    }
    false
}

/// IBAN-like tokens in the visible text (spaced or not), normalised.
fn visible_ibans(v: &Visible) -> Vec<String> {
    let mut out = Vec::new();
    for l in &v.alnum_lines {
        let b = l.as_bytes();
        for i in 0..b.len().saturating_sub(15) {
            if b[i].is_ascii_uppercase()
                && b[i + 1].is_ascii_uppercase()
                && b[i + 2].is_ascii_digit()
                && b[i + 3].is_ascii_digit()
            {
                let cc = &l[i..i + 2];
                if let Some(len) = papyr_sdk::checks::iban_length(cc)
                    && let Some(candidate) = l.get(i..i + len)
                    && papyr_sdk::checks::iban_is_valid(candidate)
                {
                    out.push(candidate.to_string());
                }
            }
        }
    }
    out
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    if !ctx.cfg.enabled("einvoice.visible-mismatch") {
        return;
    }
    let p = &ctx.input.parsed;
    let Some(ei) = &p.e_invoice else { return };
    if p.format != DocumentFormat::Pdf
        || !p.has_text_layer
        || p.pages.iter().all(|pg| pg.lines.is_empty())
    {
        return;
    }
    let inv = &ctx.input.invoice;
    let cur = inv
        .gross_total
        .as_ref()
        .map(|m| m.currency.clone())
        .or_else(|| inv.currency.clone())
        .unwrap_or_else(|| "EUR".into());
    let mut x = xml_values(ei.syntax, &ei.xml, &cur);
    // The extractor reads these from the XML too; use them when the scan found none.
    x.number = x.number.or_else(|| inv.invoice_number.clone());
    x.issue_date = x.issue_date.or(inv.issue_date);
    x.gross = x.gross.or_else(|| inv.gross_total.clone());
    x.due = x.due.or_else(|| inv.amount_due.clone());
    x.iban = x.iban.or_else(|| inv.iban.clone());

    let v = visible(ctx);
    let source = ev("e-invoice", ei.source_name.clone());
    let mut push = |what: &str,
                    xml_says: String,
                    sev: Severity,
                    score: u32,
                    extra: Option<String>| {
        let e = vec![
            ev(&format!("{what} in XML"), xml_says.clone()),
            ev(
                &format!("{what} in visible text"),
                extra.clone().unwrap_or_else(|| "not found".into()),
            ),
            source.clone(),
        ];
        let tail = match extra {
            Some(other) => format!(" the visible PDF shows {other} instead"),
            None => " it does not appear in the visible PDF".into(),
        };
        out.push(finding(
            "einvoice.visible-mismatch",
            sev,
            score,
            format!("The embedded e-invoice says the {what} is {xml_says}, but{tail}: the PDF a person reads may not be the invoice that is booked."),
            e,
        ));
    };

    if let Some(n) = x.number.as_deref().filter(|n| !n.trim().is_empty()) {
        let norm = papyr_sdk::normalize_id(n);
        let found = if norm.len() >= 4 {
            v.alnum_lines.iter().any(|l| l.contains(&norm))
        } else {
            crate::util::contains_word(&v.flat, &n.trim().to_lowercase())
        };
        if !found {
            push("invoice number", n.to_string(), Severity::High, 55, None);
        }
    }
    if let Some(d) = &x.issue_date
        && !date_visible(&v.flat, d)
    {
        push(
            "issue date",
            papyr_sdk::date_to_string(d),
            Severity::Medium,
            35,
            None,
        );
    }
    let amount_seen = |m: &Money| {
        amount_variants(m)
            .iter()
            .any(|a| contains_number(&v.flat, a))
    };
    if let Some(g) = &x.gross
        && !amount_seen(g)
    {
        push("gross total", money_str(g), Severity::High, 60, None);
    }
    if let Some(d) = &x.due
        && x.gross
            .as_ref()
            .is_none_or(|g| g.minor != d.minor || amount_seen(g))
        && !amount_seen(d)
    {
        push("amount due", money_str(d), Severity::High, 60, None);
    }
    if let Some(i) = x.iban.as_deref().filter(|i| !i.trim().is_empty()) {
        let norm = papyr_sdk::checks::normalize_iban(i);
        if !v.alnum_lines.iter().any(|l| l.contains(&norm)) {
            let others = visible_ibans(&v);
            match others.first() {
                Some(o) => push("IBAN", norm, Severity::Critical, 85, Some(o.clone())),
                None => push("IBAN", norm, Severity::Low, 15, None),
            }
        }
    }
}
