//! Small shared pieces: the per-check context with cached history answers, string
//! distance, date and instant parsing, document text access.
use std::cell::OnceCell;

use papyr_sdk::history::{PastInvoice, Vendor, VendorQuery};
use papyr_sdk::types::{CheckInput, Date, Evidence, Finding, Severity};

use crate::config::Config;
use crate::history::History;

/// Everything a rule needs, with the history answers several rules share fetched
/// at most once per check.
pub struct Ctx<'a> {
    pub input: &'a CheckInput,
    pub hist: &'a dyn History,
    pub cfg: &'a Config,
    vendor: OnceCell<Option<Vendor>>,
    vendor_invoices: OnceCell<Vec<PastInvoice>>,
    all_vendors: OnceCell<Vec<Vendor>>,
    text_lower: OnceCell<String>,
}

impl<'a> Ctx<'a> {
    pub fn new(input: &'a CheckInput, hist: &'a dyn History, cfg: &'a Config) -> Self {
        Ctx {
            input,
            hist,
            cfg,
            vendor: OnceCell::new(),
            vendor_invoices: OnceCell::new(),
            all_vendors: OnceCell::new(),
            text_lower: OnceCell::new(),
        }
    }

    /// The vendor query for this invoice's seller. The IBAN is deliberately left
    /// out: a fraudulent IBAN may belong to another vendor and must not decide who
    /// the seller is (unless nothing else identifies it).
    pub fn vendor_query(&self) -> VendorQuery {
        let inv = &self.input.invoice;
        VendorQuery {
            tax_id: non_empty(inv.vendor.tax_id.as_deref()),
            iban: None,
            name: non_empty(inv.vendor.name.as_deref()),
            domain: None,
        }
    }

    /// The matched vendor from the vendor master, if any.
    pub fn vendor(&self) -> Option<&Vendor> {
        self.vendor
            .get_or_init(|| {
                let q = self.vendor_query();
                if q.tax_id.is_none() && q.name.is_none() {
                    return None;
                }
                self.hist.find_vendor(&q)
            })
            .as_ref()
    }

    /// Earlier invoices of this vendor, newest first (one host call per check).
    pub fn vendor_invoices(&self) -> &[PastInvoice] {
        self.vendor_invoices.get_or_init(|| {
            let q = self.vendor_query();
            if q.tax_id.is_none() && q.name.is_none() {
                return Vec::new();
            }
            self.hist
                .invoices_of_vendor(&q, None, self.cfg.history_limit)
        })
    }

    pub fn all_vendors(&self) -> &[Vendor] {
        self.all_vendors.get_or_init(|| self.hist.all_vendors())
    }

    /// Subject, body and every document line, lower case, one per line.
    pub fn all_text_lower(&self) -> &str {
        self.text_lower.get_or_init(|| {
            let o = &self.input.document.origin;
            let mut s = String::new();
            for t in [&o.subject, &o.body_text].into_iter().flatten() {
                s.push_str(&t.to_lowercase());
                s.push('\n');
            }
            for p in &self.input.parsed.pages {
                for l in &p.lines {
                    s.push_str(&l.text.to_lowercase());
                    s.push('\n');
                }
            }
            s
        })
    }

    /// The date the document arrived, else today.
    pub fn reference_date(&self) -> Date {
        self.input
            .document
            .origin
            .received_at
            .as_deref()
            .and_then(parse_date_prefix)
            .unwrap_or(self.input.today)
    }

    /// Page and line of a field, from the extractor's evidence.
    pub fn field_loc(&self, field: &str) -> (u32, u32) {
        self.input
            .invoice
            .evidence
            .iter()
            .find(|e| e.field == field && e.page > 0)
            .map(|e| (e.page, e.line))
            .unwrap_or((0, 0))
    }

    /// Evidence for an invoice field, pointing at where it was read.
    pub fn field_ev(&self, label: &str, field: &str, value: impl Into<String>) -> Evidence {
        let (page, line) = self.field_loc(field);
        Evidence {
            label: label.into(),
            value: value.into(),
            page,
            line,
        }
    }

    /// First document line containing `needle` (lower case), as (page, line).
    pub fn find_line(&self, needle_lower: &str) -> Option<(u32, u32)> {
        self.input
            .parsed
            .pages
            .iter()
            .flat_map(|p| p.lines.iter())
            .find(|l| l.text.to_lowercase().contains(needle_lower))
            .map(|l| (l.page, l.line))
    }
}

pub fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(String::from)
}

pub fn finding(
    rule: &str,
    severity: Severity,
    score: u32,
    message: String,
    evidence: Vec<Evidence>,
) -> Finding {
    let mut f = papyr_sdk::finding(rule, severity, score, message);
    f.evidence = evidence;
    f
}

pub fn ev(label: &str, value: impl Into<String>) -> Evidence {
    papyr_sdk::evidence(label, value)
}

/// Optimal-string-alignment Damerau-Levenshtein distance (transpositions of
/// adjacent characters count 1), on chars. Returns early once above `cap`.
pub fn dl_distance(a: &str, b: &str, cap: usize) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > cap {
        return cap + 1;
    }
    let w = b.len() + 1;
    let mut d = vec![cap + 1; (a.len() + 1) * w];
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j.min(cap + 1);
    }
    for i in 1..=a.len() {
        d[i * w] = i.min(cap + 1);
        let mut row_min = d[i * w];
        // Only cells within `cap` of the diagonal can stay within `cap`.
        let lo = i.saturating_sub(cap).max(1);
        let hi = (i + cap).min(b.len());
        if lo > 1 {
            d[i * w + lo - 1] = cap + 1;
        }
        if hi < b.len() {
            d[i * w + hi + 1] = cap + 1;
        }
        for j in lo..=hi {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
            row_min = row_min.min(v);
        }
        if row_min > cap {
            return cap + 1;
        }
    }
    d[a.len() * w + b.len()]
}

/// `YYYY-MM-DD` at the start of a string (RFC 3339 instants included).
pub fn parse_date_prefix(s: &str) -> Option<Date> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = s.get(0..4)?.parse().ok()?;
    let month: u8 = s.get(5..7)?.parse().ok()?;
    let day: u8 = s.get(8..10)?.parse().ok()?;
    valid_date(year, month, day)
}

pub fn valid_date(year: u16, month: u8, day: u8) -> Option<Date> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(Date { year, month, day })
}

fn days_in_month(y: u16, m: u8) -> u8 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

pub fn days(d: &Date) -> i64 {
    papyr_sdk::days_from_civil(d)
}

/// Seconds since the epoch of an RFC 3339 instant or a PDF date
/// (`D:YYYYMMDDHHmmSSOHH'mm'`, any suffix optional).
pub fn parse_instant(s: &str) -> Option<i64> {
    let s = s.trim();
    let (y, mo, d, h, mi, se, rest): (u16, u8, u8, i64, i64, i64, &str);
    if let Some(p) = s.strip_prefix("D:").or_else(|| s.strip_prefix("d:")) {
        let digits = p.bytes().take_while(u8::is_ascii_digit).count();
        if digits < 8 {
            return None;
        }
        let num = |a: usize, b: usize, def: i64| -> Option<i64> {
            if digits >= b {
                p.get(a..b)?.parse().ok()
            } else {
                Some(def)
            }
        };
        y = num(0, 4, 0)? as u16;
        mo = num(4, 6, 1)? as u8;
        d = num(6, 8, 1)? as u8;
        h = num(8, 10, 0)?;
        mi = num(10, 12, 0)?;
        se = num(12, 14, 0)?;
        rest = &p[digits.min(14)..];
    } else {
        let date = parse_date_prefix(s)?;
        (y, mo, d) = (date.year, date.month, date.day);
        let t = s.get(10..).unwrap_or("");
        if t.is_empty() {
            (h, mi, se, rest) = (0, 0, 0, "");
        } else {
            let t = t.strip_prefix(['T', 't', ' '])?;
            h = t.get(0..2)?.parse().ok()?;
            mi = t.get(3..5)?.parse().ok()?;
            se = t.get(6..8).and_then(|x| x.parse().ok()).unwrap_or(0);
            let mut r = t.get(8..).unwrap_or("");
            if let Some(frac) = r.strip_prefix('.') {
                r = frac.trim_start_matches(|c: char| c.is_ascii_digit());
            }
            rest = r;
        }
    }
    let date = valid_date(y, mo, d)?;
    let mut secs = days(&date) * 86_400 + h * 3600 + mi * 60 + se;
    let rest = rest.trim();
    if let Some(sign) = rest.chars().next().filter(|c| *c == '+' || *c == '-') {
        let digits: String = rest[1..].chars().filter(char::is_ascii_digit).collect();
        let oh: i64 = digits.get(0..2).and_then(|x| x.parse().ok()).unwrap_or(0);
        let om: i64 = digits.get(2..4).and_then(|x| x.parse().ok()).unwrap_or(0);
        let off = oh * 3600 + om * 60;
        secs -= if sign == '+' { off } else { -off };
    }
    Some(secs)
}

/// Lower-case alphanumeric words of a company name without legal-form words, for
/// comparing names (`ACME Billing GmbH` → [acme, billing]).
pub fn name_tokens(s: &str) -> Vec<String> {
    const LEGAL: &[&str] = &[
        "gmbh", "ag", "kg", "ohg", "ug", "ev", "co", "ltd", "limited", "inc", "llc", "plc", "corp",
        "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "vof", "sl", "se", "ab", "as", "oy", "the",
        "und", "and", "mbh", "company",
    ];
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !LEGAL.contains(w))
        .map(String::from)
        .collect()
}

/// Does `text` (lower case) contain `word` with non-alphanumeric characters (or the
/// ends) on both sides?
pub fn contains_word(text: &str, word: &str) -> bool {
    let mut start = 0;
    while let Some(pos) = text[start..].find(word) {
        let i = start + pos;
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        if !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric) {
            return true;
        }
        start = i + word.len().max(1);
        while !text.is_char_boundary(start) {
            start += 1;
        }
        if start >= text.len() {
            break;
        }
    }
    false
}

pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

pub fn money_str(m: &papyr_sdk::types::Money) -> String {
    format!("{} {}", papyr_sdk::money_to_string(m), m.currency)
}
