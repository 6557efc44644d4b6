//! Numbers, amounts, dates and currencies as printed, parsed without rounding.
use papyr_sdk::currency_exponent;
use papyr_sdk::types::{Date, Decimal, Money};

/// An exact decimal read from text: `digits` × 10^-`scale`, sign separate so that
/// `-0.00` and credit notation survive until the caller decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Num {
    pub digits: i128,
    pub scale: u32,
}

impl Num {
    /// Parse a plain `-1234.5678` string (XML decimal lexical form).
    pub fn parse_plain(s: &str) -> Option<Num> {
        let s = s.trim();
        let (neg, body) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || int.len() + frac.len() > 30
        {
            return None;
        }
        let mut v: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            v = v * 10 + (b - b'0') as i128;
        }
        Some(Num {
            digits: if neg { -v } else { v },
            scale: frac.len() as u32,
        })
    }

    /// Drop trailing fractional zeros (`1.500` → `1.5`): exact, never rounding.
    pub fn trimmed(self) -> Num {
        let mut n = self;
        while n.scale > 0 && n.digits % 10 == 0 {
            n.digits /= 10;
            n.scale -= 1;
        }
        n
    }

    /// Minor units of `currency`, or `None` when the value has more significant
    /// decimals than the currency allows (or overflows).
    pub fn to_minor(self, currency: &str) -> Option<i64> {
        let exp = currency_exponent(currency);
        let n = self.trimmed();
        if n.scale > exp {
            return None;
        }
        let v = n.digits.checked_mul(10i128.checked_pow(exp - n.scale)?)?;
        i64::try_from(v).ok()
    }

    pub fn to_money(self, currency: &str) -> Option<Money> {
        Some(Money {
            minor: self.to_minor(currency)?,
            currency: currency.to_string(),
        })
    }

    /// As a WIT decimal (trailing zeros dropped to fit; scale ≤ 18).
    pub fn to_decimal(self) -> Option<Decimal> {
        let n = self.trimmed();
        if n.scale > 18 {
            return None;
        }
        Some(Decimal {
            value: i64::try_from(n.digits).ok()?,
            scale: n.scale as u8,
        })
    }

    pub fn negated(self) -> Num {
        Num {
            digits: -self.digits,
            scale: self.scale,
        }
    }

    pub fn is_zero(self) -> bool {
        self.digits == 0
    }

    /// Exact quotient when it terminates within 18 decimals.
    pub fn div_exact(self, by: Num) -> Option<Num> {
        if by.digits == 0 {
            return None;
        }
        // (a/10^sa) / (b/10^sb) = a·10^(sb+k) / b / 10^(sa+k)
        for k in 0..=18u32 {
            let num = self.digits.checked_mul(10i128.checked_pow(by.scale + k)?)?;
            if num % by.digits == 0 {
                let scale = self.scale + k;
                if scale > 18 {
                    return None;
                }
                return Some(
                    Num {
                        digits: num / by.digits,
                        scale,
                    }
                    .trimmed(),
                );
            }
        }
        None
    }
}

/// ASCII-fold and lower-case a string for label matching, one output byte per
/// output char, keeping a map from each output byte to the input byte offset.
pub fn fold(s: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(s.len());
    let mut map = Vec::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        let f = fold_char(c);
        let before = out.len();
        out.push(f);
        for _ in before..out.len() {
            map.push(i);
        }
    }
    map.push(s.len());
    (out, map)
}

pub fn fold_char(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ç' | 'Ç' => 'c',
        'ñ' | 'Ñ' => 'n',
        'º' => '°',
        '\u{00a0}' | '\u{202f}' | '\u{2009}' | '\t' => ' ',
        '\u{2212}' | '\u{2013}' => '-',
        _ => c.to_lowercase().next().unwrap_or(c),
    }
}

/// A money amount found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundAmount {
    pub num: Num,
    /// Currency named next to the number, if any.
    pub currency: Option<String>,
    /// Byte range in the searched text.
    pub start: usize,
    pub end: usize,
    /// The number carried a decimal separator with exactly two (or three) digits,
    /// i.e. it looks like money rather than a count or a year.
    pub has_decimals: bool,
    /// The number was followed by `%` (a rate, not an amount).
    pub percent: bool,
    /// The number stood in parentheses, read as an accounting negative; the
    /// caller may know better (a VAT line's basis is bracketed, not negative).
    pub bracketed: bool,
}

/// Currency symbols and codes that may stand next to an amount.
const CURRENCY_TOKENS: &[(&str, &str)] = &[
    ("US$", "USD"),
    ("CA$", "CAD"),
    ("AU$", "AUD"),
    ("A$", "AUD"),
    ("C$", "CAD"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("$", "USD"),
    ("¥", "JPY"),
    ("zł", "PLN"),
    ("Kč", "CZK"),
    ("CHF", "CHF"),
    ("Fr.", "CHF"),
    ("EUR", "EUR"),
    ("USD", "USD"),
    ("GBP", "GBP"),
    ("SEK", "SEK"),
    ("NOK", "NOK"),
    ("DKK", "DKK"),
    ("PLN", "PLN"),
    ("CZK", "CZK"),
    ("HUF", "HUF"),
    ("JPY", "JPY"),
    ("CAD", "CAD"),
    ("AUD", "AUD"),
    ("RON", "RON"),
    ("BGN", "BGN"),
    ("Ft", "HUF"),
    ("kr.", "SEK"),
    ("kr", "SEK"),
];

/// ISO codes recognised anywhere in text.
pub const ISO_CODES: &[&str] = &[
    "EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "JPY", "CAD", "AUD",
    "RON", "BGN",
];

/// The currency token touching byte `at` going backwards / forwards in `s`.
fn currency_before(s: &str, end: usize) -> Option<(&'static str, usize)> {
    let head = s[..end].trim_end_matches([' ', '\u{a0}', '\u{202f}']);
    for (tok, code) in CURRENCY_TOKENS {
        if let Some(rest) = head.strip_suffix(tok) {
            // A code glued to a word (`HEUR`) is not a currency.
            if tok.chars().all(|c| c.is_ascii_alphabetic())
                && rest
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric())
            {
                continue;
            }
            return Some((code, rest.len()));
        }
    }
    None
}

fn currency_after(s: &str, start: usize) -> Option<(&'static str, usize)> {
    let tail = &s[start..];
    let trimmed = tail.trim_start_matches([' ', '\u{a0}', '\u{202f}']);
    let off = start + (tail.len() - trimmed.len());
    for (tok, code) in CURRENCY_TOKENS {
        if let Some(rest) = trimmed.strip_prefix(tok) {
            if tok.chars().all(|c| c.is_ascii_alphabetic())
                && rest.chars().next().is_some_and(|c| c.is_alphanumeric())
            {
                continue;
            }
            return Some((code, off + tok.len()));
        }
    }
    None
}

fn is_group_sep(c: char) -> bool {
    matches!(c, '.' | ',' | ' ' | '\u{a0}' | '\u{202f}' | '\'' | '’')
}

/// Find every amount-like number in `s`. `dec_hint` is the document's decimal
/// separator when known, used only for the ambiguous `1.234` / `1,234` shapes.
pub fn find_amounts(s: &str, dec_hint: Option<char>) -> Vec<FoundAmount> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        // A digit glued to a letter starts an identifier (`RE2353`), unless the
        // letters are a currency token of their own (`kr3,310.12`).
        if !c.is_ascii_digit()
            || (i > 0
                && (chars[i - 1].1.is_alphanumeric() && currency_before(s, start).is_none()
                    || chars[i - 1].1 == '/'))
        {
            i += 1;
            continue;
        }
        // Extend over digits and separators that are followed by a digit.
        let mut j = i;
        let mut last_digit = i;
        while j < chars.len() {
            let ch = chars[j].1;
            if ch.is_ascii_digit() {
                last_digit = j;
                j += 1;
            } else if is_group_sep(ch) && j + 1 < chars.len() && chars[j + 1].1.is_ascii_digit() {
                // A plain space only groups when exactly three digits follow it.
                if ch == ' ' {
                    let three =
                        (1..=3).all(|k| chars.get(j + k).is_some_and(|x| x.1.is_ascii_digit()));
                    let fourth = chars.get(j + 4).is_some_and(|x| x.1.is_ascii_digit());
                    if !three || fourth {
                        break;
                    }
                }
                j += 1;
            } else {
                break;
            }
        }
        let end = chars.get(last_digit + 1).map_or(s.len(), |x| x.0);
        let raw = &s[start..end];
        i = last_digit + 1;
        // Glued to letters on the right (`12ab`) → an identifier, not an amount.
        if chars
            .get(last_digit + 1)
            .is_some_and(|x| x.1.is_alphabetic())
            && currency_after(s, end).is_none_or(|(_, e)| e == end)
        {
            let after = chars.get(last_digit + 1).map(|x| x.1).unwrap_or(' ');
            if after != '€' && after != '$' && after != '£' {
                continue;
            }
        }
        let Some((num, has_decimals)) = parse_number_shape(raw, dec_hint) else {
            continue;
        };
        let mut a_start = start;
        let mut a_end = end;
        let mut currency = None;
        if let Some((code, pos)) = currency_before(s, start) {
            currency = Some(code.to_string());
            a_start = pos;
        } else if let Some((code, pos)) = currency_after(s, end) {
            currency = Some(code.to_string());
            a_end = pos;
        }
        // Signs: leading - / −, trailing -, or parentheses.
        let mut neg = false;
        let mut bracketed = false;
        let before = s[..a_start].trim_end_matches(' ');
        if before.ends_with('-') || before.ends_with('\u{2212}') {
            let b = before.trim_end_matches(['-', '\u{2212}']);
            // `Nr-12` is a hyphenated identifier, not a minus.
            if !b.chars().next_back().is_some_and(|c| c.is_alphanumeric()) {
                neg = true;
                a_start = before.len()
                    - if before.ends_with('-') {
                        1
                    } else {
                        '\u{2212}'.len_utf8()
                    };
            }
        } else if before.ends_with('(') && s[a_end..].trim_start().starts_with(')') {
            neg = true;
            bracketed = true;
        } else if s[a_end..].starts_with('-')
            && !s[a_end + 1..].starts_with(|c: char| c.is_ascii_digit())
        {
            neg = true;
            a_end += 1;
        }
        let percent = s[end..].trim_start().starts_with('%');
        out.push(FoundAmount {
            num: if neg { num.negated() } else { num },
            currency,
            start: a_start,
            end: a_end,
            has_decimals,
            percent,
            bracketed,
        });
    }
    out
}

/// Interpret a run of digits and separators (`1.234,56`, `1 234.5`, `1'234`).
fn parse_number_shape(raw: &str, dec_hint: Option<char>) -> Option<(Num, bool)> {
    let seps: Vec<(usize, char)> = raw
        .char_indices()
        .filter(|(_, c)| !c.is_ascii_digit())
        .collect();
    let digits_after = |pos: usize| {
        raw[pos..]
            .chars()
            .skip(1)
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut dec_pos: Option<usize> = None;
    if let Some(&(pos, c)) = seps.last() {
        let n_after = digits_after(pos);
        let same_kind = seps.iter().filter(|(_, x)| *x == c).count();
        if (c == '.' || c == ',') && same_kind == 1 {
            let other_before = seps.len() > 1;
            if n_after != 3 || other_before {
                dec_pos = Some(pos);
            } else {
                // `1.234` / `0,125`: decimal only when the document says so or the
                // integer part is zero.
                let int_part = &raw[..pos];
                if int_part == "0" || dec_hint == Some(c) && !int_part.contains(['.', ',']) {
                    dec_pos = Some(pos);
                }
            }
        }
    }
    // Validate grouping: every group after the first has three digits.
    let int_part = match dec_pos {
        Some(p) => &raw[..p],
        None => raw,
    };
    let groups: Vec<&str> = int_part.split(|c: char| !c.is_ascii_digit()).collect();
    if groups.len() > 1 {
        if groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3) {
            return None;
        }
        let kinds: Vec<char> = int_part.chars().filter(|c| !c.is_ascii_digit()).collect();
        if kinds.iter().any(|k| *k != kinds[0]) {
            return None;
        }
    }
    let frac = dec_pos.map(|p| &raw[p + 1..]).unwrap_or("");
    if frac.contains(|c: char| !c.is_ascii_digit()) {
        return None;
    }
    let mut plain: String = int_part.chars().filter(|c| c.is_ascii_digit()).collect();
    if !frac.is_empty() {
        plain.push('.');
        plain.push_str(frac);
    }
    let n = Num::parse_plain(&plain)?;
    Some((n, frac.len() == 2 || frac.len() == 3))
}

/// Guess the document's decimal separator from amounts with two decimals.
pub fn decimal_separator_of(text: &str) -> Option<char> {
    let b: Vec<char> = text.chars().collect();
    let (mut comma, mut dot) = (0, 0);
    for i in 1..b.len().saturating_sub(2) {
        if b[i - 1].is_ascii_digit()
            && b[i + 1].is_ascii_digit()
            && b[i + 2].is_ascii_digit()
            && !b.get(i + 3).is_some_and(|c| c.is_ascii_digit())
        {
            match b[i] {
                ',' => comma += 1,
                '.' => dot += 1,
                _ => {}
            }
        }
    }
    match (comma, dot) {
        (0, 0) => None,
        (c, d) if c > d => Some(','),
        _ => Some('.'),
    }
}

/// A number that is a rate or quantity (`19`, `7,7`, `2.5`): exact decimal.
pub fn parse_quantity(s: &str, dec_hint: Option<char>) -> Option<Num> {
    let t = s.trim().trim_end_matches('%').trim();
    let neg = t.starts_with('-') || t.starts_with('\u{2212}');
    let t = t.trim_start_matches(['-', '\u{2212}']);
    if t.is_empty()
        || !t.chars().all(|c| c.is_ascii_digit() || is_group_sep(c))
        || !t.starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let (n, _) = parse_number_shape(t, dec_hint)?;
    Some(if neg { n.negated() } else { n })
}

// ---------------------------------------------------------------------------
// Dates

const MONTHS: &[(&str, u8)] = &[
    ("january", 1),
    ("januar", 1),
    ("janner", 1),
    ("janvier", 1),
    ("januari", 1),
    ("enero", 1),
    ("gennaio", 1),
    ("janv", 1),
    ("jan", 1),
    ("ene", 1),
    ("gen", 1),
    ("february", 2),
    ("februar", 2),
    ("fevrier", 2),
    ("februari", 2),
    ("febrero", 2),
    ("febbraio", 2),
    ("fevr", 2),
    ("fev", 2),
    ("feb", 2),
    ("march", 3),
    ("marz", 3),
    ("maerz", 3),
    ("mars", 3),
    ("maart", 3),
    ("marzo", 3),
    ("mrt", 3),
    ("mar", 3),
    ("april", 4),
    ("avril", 4),
    ("abril", 4),
    ("aprile", 4),
    ("apr", 4),
    ("avr", 4),
    ("abr", 4),
    ("may", 5),
    ("mai", 5),
    ("mei", 5),
    ("mayo", 5),
    ("maggio", 5),
    ("mag", 5),
    ("june", 6),
    ("juni", 6),
    ("juin", 6),
    ("junio", 6),
    ("giugno", 6),
    ("jun", 6),
    ("giu", 6),
    ("july", 7),
    ("juli", 7),
    ("juillet", 7),
    ("julio", 7),
    ("luglio", 7),
    ("juil", 7),
    ("jul", 7),
    ("lug", 7),
    ("august", 8),
    ("aout", 8),
    ("augustus", 8),
    ("agosto", 8),
    ("aug", 8),
    ("ago", 8),
    ("september", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("setiembre", 9),
    ("settembre", 9),
    ("sept", 9),
    ("sep", 9),
    ("set", 9),
    ("october", 10),
    ("oktober", 10),
    ("octobre", 10),
    ("octubre", 10),
    ("ottobre", 10),
    ("oct", 10),
    ("okt", 10),
    ("ott", 10),
    ("november", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("nov", 11),
    ("december", 12),
    ("dezember", 12),
    ("decembre", 12),
    ("diciembre", 12),
    ("dicembre", 12),
    ("dec", 12),
    ("dez", 12),
    ("dic", 12),
];

pub fn month_from_name(word: &str) -> Option<u8> {
    let w: String = word.chars().map(fold_char).collect();
    MONTHS.iter().find(|(n, _)| *n == w).map(|(_, m)| *m)
}

pub fn days_in_month(y: u16, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        _ => 0,
    }
}

pub fn make_date(y: u32, m: u32, d: u32) -> Option<Date> {
    let y = if y < 100 { 2000 + y } else { y };
    if !(1900..=2199).contains(&y) || !(1..=12).contains(&m) || d < 1 {
        return None;
    }
    let (y, m, d) = (y as u16, m as u8, d as u8);
    (d <= days_in_month(y, m)).then_some(Date {
        year: y,
        month: m,
        day: d,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Num(&'a str),
    Word(&'a str),
    Sep(char),
}

fn tokens(s: &str) -> Vec<(usize, usize, Tok<'_>)> {
    let mut out = Vec::new();
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if c.is_ascii_digit() {
            let mut e = i + 1;
            while let Some(&(j, d)) = it.peek() {
                if d.is_ascii_digit() {
                    e = j + 1;
                    it.next();
                } else {
                    break;
                }
            }
            out.push((i, e, Tok::Num(&s[i..e])));
        } else if c.is_alphabetic() {
            let mut e = i + c.len_utf8();
            while let Some(&(j, d)) = it.peek() {
                if d.is_alphabetic() {
                    e = j + d.len_utf8();
                    it.next();
                } else {
                    break;
                }
            }
            out.push((i, e, Tok::Word(&s[i..e])));
        } else if !c.is_whitespace() {
            out.push((i, i + c.len_utf8(), Tok::Sep(c)));
        }
    }
    out
}

/// Date order for ambiguous `a/b/yyyy` dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    Dmy,
    Mdy,
}

/// The first date in `s`, with its byte range.
pub fn find_date(s: &str, order: DateOrder) -> Option<(Date, usize, usize)> {
    find_dates(s, order).into_iter().next()
}

/// Every date in `s`, left to right.
pub fn find_dates(s: &str, order: DateOrder) -> Vec<(Date, usize, usize)> {
    let t = tokens(s);
    let mut out = Vec::new();
    let num = |k: usize| match t.get(k) {
        Some((_, _, Tok::Num(n))) => n.parse::<u32>().ok().map(|v| (v, n.len())),
        _ => None,
    };
    let sep = |k: usize| match t.get(k) {
        Some((_, _, Tok::Sep(c))) => Some(*c),
        _ => None,
    };
    let month = |k: usize| match t.get(k) {
        Some((_, _, Tok::Word(w))) => month_from_name(w),
        _ => None,
    };
    // "31 de diciembre de 2026", "1er janvier", "1st of May".
    let filler = |k: usize| {
        matches!(t.get(k), Some((_, _, Tok::Word(w)))
            if matches!(*w, "de" | "del" | "of" | "er" | "st" | "nd" | "rd" | "th" | "o" | "ª" | "º"))
    };
    let mut k = 0;
    while k < t.len() {
        // Only start at a token not glued to a preceding digit run.
        let prev_is_num_sep = k >= 2
            && matches!(t[k - 1].2, Tok::Sep('.' | '/' | '-'))
            && matches!(t[k - 2].2, Tok::Num(_))
            && t[k - 1].0 == t[k - 2].1;
        let mut found: Option<(Date, usize)> = None;
        if !prev_is_num_sep {
            // yyyy-mm-dd
            if let (Some((y, 4)), Some(s1), Some((m, ml)), Some(s2), Some((d, dl))) =
                (num(k), sep(k + 1), num(k + 2), sep(k + 3), num(k + 4))
                && s1 == s2
                && matches!(s1, '-' | '/' | '.')
                && ml <= 2
                && dl <= 2
                && let Some(dt) = make_date(y, m, d)
            {
                found = Some((dt, k + 4));
            }
            // d.m.yyyy, d/m/yyyy, m/d/yyyy, d-m-yyyy
            if found.is_none()
                && let (Some((a, al)), Some(s1), Some((b, bl)), Some(s2), Some((y, yl))) =
                    (num(k), sep(k + 1), num(k + 2), sep(k + 3), num(k + 4))
                && s1 == s2
                && matches!(s1, '-' | '/' | '.')
                && al <= 2
                && bl <= 2
                && (yl == 4 || yl == 2)
            {
                let dmy = make_date(y, b, a);
                let mdy = make_date(y, a, b);
                let pick = if s1 == '.' {
                    dmy
                } else {
                    match (dmy, mdy) {
                        (Some(x), None) | (None, Some(x)) => Some(x),
                        (Some(x), Some(y2)) => Some(if order == DateOrder::Mdy { y2 } else { x }),
                        _ => None,
                    }
                };
                if let Some(dt) = pick {
                    found = Some((dt, k + 4));
                }
            }
            // d[.] month[.] [,] yyyy   (also "31 de diciembre de 2026", "31-Dec-2026")
            if found.is_none()
                && let Some((d, dl)) = num(k)
                && dl <= 2
            {
                let mut j = k + 1;
                if matches!(sep(j), Some('.' | '-')) {
                    j += 1;
                }
                while filler(j) {
                    j += 1;
                }
                if let Some(m) = month(j) {
                    j += 1;
                    while matches!(sep(j), Some('.' | ',' | '-')) {
                        j += 1;
                    }
                    if filler(j) {
                        j += 1;
                    }
                    if let Some((y, yl)) = num(j)
                        && (yl == 4 || yl == 2)
                        && let Some(dt) = make_date(y, m as u32, d)
                    {
                        found = Some((dt, j));
                    }
                }
            }
            // month d, yyyy
            if found.is_none()
                && let Some(m) = month(k)
            {
                let mut j = k + 1;
                if matches!(sep(j), Some('.')) {
                    j += 1;
                }
                if let Some((d, dl)) = num(j)
                    && dl <= 2
                {
                    j += 1;
                    if matches!(sep(j), Some(',')) {
                        j += 1;
                    }
                    if let Some((y, 4)) = num(j)
                        && let Some(dt) = make_date(y, m as u32, d)
                    {
                        found = Some((dt, j));
                    }
                }
            }
        }
        match found {
            Some((dt, last)) => {
                out.push((dt, t[k].0, t[last].1));
                k = last + 1;
            }
            None => k += 1,
        }
    }
    out
}

/// Decide the date order of a document from its unambiguous numeric dates, then
/// from its language and currency.
pub fn date_order_of(text: &str, english: bool, usd: bool) -> DateOrder {
    let t = tokens(text);
    let (mut dmy, mut mdy) = (0, 0);
    for w in t.windows(5) {
        if let (Tok::Num(a), Tok::Sep('/' | '-'), Tok::Num(b), Tok::Sep('/' | '-'), Tok::Num(y)) =
            (&w[0].2, &w[1].2, &w[2].2, &w[3].2, &w[4].2)
            && a.len() <= 2
            && b.len() <= 2
            && y.len() == 4
        {
            let (a, b): (u32, u32) = (a.parse().unwrap_or(0), b.parse().unwrap_or(0));
            if a > 12 && b <= 12 {
                dmy += 1;
            } else if b > 12 && a <= 12 {
                mdy += 1;
            }
        }
    }
    if mdy > dmy {
        DateOrder::Mdy
    } else if dmy > mdy {
        DateOrder::Dmy
    } else if english && usd {
        DateOrder::Mdy
    } else {
        DateOrder::Dmy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amt(s: &str) -> Option<(i128, u32, Option<String>)> {
        find_amounts(s, None)
            .into_iter()
            .next()
            .map(|a| (a.num.digits, a.num.scale, a.currency))
    }

    #[test]
    fn amounts_in_many_shapes() {
        assert_eq!(amt("1.234,56 €"), Some((123456, 2, Some("EUR".into()))));
        assert_eq!(amt("€ 1,234.56"), Some((123456, 2, Some("EUR".into()))));
        assert_eq!(amt("1 234,56 EUR"), Some((123456, 2, Some("EUR".into()))));
        assert_eq!(amt("1\u{a0}234,56"), Some((123456, 2, None)));
        assert_eq!(amt("1\u{202f}234,56"), Some((123456, 2, None)));
        assert_eq!(amt("CHF 1'234.50"), Some((123450, 2, Some("CHF".into()))));
        assert_eq!(amt("$12.00"), Some((1200, 2, Some("USD".into()))));
        assert_eq!(amt("-45,00 €"), Some((-4500, 2, Some("EUR".into()))));
        assert_eq!(amt("(45.00)"), Some((-4500, 2, None)));
        assert_eq!(amt("45,00-"), Some((-4500, 2, None)));
        assert_eq!(
            amt("£1,000,000.00"),
            Some((100000000, 2, Some("GBP".into())))
        );
        assert_eq!(amt("1.234"), Some((1234, 0, None)));
        assert_eq!(amt("12 345,00 zł"), Some((1234500, 2, Some("PLN".into()))));
        assert_eq!(amt("250 kr"), Some((250, 0, Some("SEK".into()))));
        // Malformed grouping is not an amount.
        assert_eq!(amt("12.34.5"), None);
    }

    #[test]
    fn ambiguous_thousands_follow_hint() {
        let a = find_amounts("1,234", Some(','));
        assert_eq!(
            a[0].num,
            Num {
                digits: 1234,
                scale: 3
            }
        );
        let a = find_amounts("1,234", Some('.'));
        assert_eq!(
            a[0].num,
            Num {
                digits: 1234,
                scale: 0
            }
        );
    }

    #[test]
    fn money_conversion_never_rounds() {
        let n = Num::parse_plain("12.345").unwrap();
        assert_eq!(n.to_minor("EUR"), None);
        assert_eq!(
            Num::parse_plain("12.340").unwrap().to_minor("EUR"),
            Some(1234)
        );
        assert_eq!(Num::parse_plain("500").unwrap().to_minor("JPY"), Some(500));
        assert_eq!(Num::parse_plain("1.5").unwrap().to_minor("JPY"), None);
        assert_eq!(Num::parse_plain("-0.5").unwrap().to_minor("EUR"), Some(-50));
        assert_eq!(
            Num::parse_plain("10")
                .unwrap()
                .div_exact(Num::parse_plain("4").unwrap()),
            Some(Num {
                digits: 25,
                scale: 1
            })
        );
        assert_eq!(
            Num::parse_plain("10")
                .unwrap()
                .div_exact(Num::parse_plain("3").unwrap()),
            None
        );
    }

    fn d(y: u16, m: u8, dd: u8) -> (u16, u8, u8) {
        (y, m, dd)
    }

    #[test]
    fn dates_in_many_shapes() {
        let f = |s: &str, o| find_date(s, o).map(|x| (x.0.year, x.0.month, x.0.day));
        use DateOrder::*;
        assert_eq!(f("31.12.2026", Dmy), Some(d(2026, 12, 31)));
        assert_eq!(f("12/31/2026", Dmy), Some(d(2026, 12, 31)));
        assert_eq!(f("31/12/2026", Mdy), Some(d(2026, 12, 31)));
        assert_eq!(f("01/02/2026", Dmy), Some(d(2026, 2, 1)));
        assert_eq!(f("01/02/2026", Mdy), Some(d(2026, 1, 2)));
        assert_eq!(f("2026-12-31", Mdy), Some(d(2026, 12, 31)));
        assert_eq!(f("31 déc. 2026", Dmy), Some(d(2026, 12, 31)));
        assert_eq!(f("31. Dezember 2026", Dmy), Some(d(2026, 12, 31)));
        assert_eq!(f("December 31, 2026", Dmy), Some(d(2026, 12, 31)));
        assert_eq!(f("31 dicembre 2026", Dmy), Some(d(2026, 12, 31)));
        assert_eq!(f("31 de diciembre de 2026", Dmy), Some(d(2026, 12, 31)));
        assert_eq!(f("3 maart 2026", Dmy), Some(d(2026, 3, 3)));
        assert_eq!(f("5 mars 2026", Dmy), Some(d(2026, 3, 5)));
        assert_eq!(f("15-Mar-2026", Dmy), Some(d(2026, 3, 15)));
        assert_eq!(f("31-12-2026", Dmy), Some(d(2026, 12, 31)));
        assert_eq!(f("1. März 2026", Dmy), Some(d(2026, 3, 1)));
        assert_eq!(f("1er janvier 2026", Dmy), Some(d(2026, 1, 1)));
        assert_eq!(f("1st of May 2026", Dmy), Some(d(2026, 5, 1)));
        assert_eq!(f("31 Dec 2026", Dmy), Some(d(2026, 12, 31)));
        assert_eq!(f("31.12.26", Dmy), Some(d(2026, 12, 31)));
        assert_eq!(f("30.02.2026", Dmy), None);
        assert_eq!(f("Invoice INV-2026-0042", Dmy), None);
    }

    #[test]
    fn date_order_from_document() {
        assert_eq!(
            date_order_of("Date 12/31/2026", true, false),
            DateOrder::Mdy
        );
        assert_eq!(date_order_of("Date 31/12/2026", true, true), DateOrder::Dmy);
        assert_eq!(date_order_of("Date 01/02/2026", true, true), DateOrder::Mdy);
        assert_eq!(
            date_order_of("Date 01/02/2026", false, true),
            DateOrder::Dmy
        );
    }
}
