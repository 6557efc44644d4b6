//! Text folding and keyword matching.
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

use crate::keywords::{
    AMOUNT_DUE_LABELS, DUE_DATE_LABELS, INVOICE_NUMBER_LABELS, NEUTRAL, PHRASES, SUFFIXES,
    VAT_LABELS,
};

/// Lower-case, strip accents and turn everything but letters and digits into token
/// boundaries, so `Rechnungs-Nr.` → `rechnungs nr` and `Relevé` → `releve`.
pub fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        // Most text is ASCII: skip the general Unicode case mapping for it.
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                cur.push(c.to_ascii_lowercase());
            } else if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        for lc in c.to_lowercase() {
            match fold_char(lc) {
                Some(f) => cur.push_str(f),
                None if lc.is_alphanumeric() => cur.push(lc),
                None => {
                    if !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub(crate) fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
        'ç' => "c",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'ý' | 'ÿ' => "y",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        _ => return None,
    })
}

/// A keyword occurrence in one line.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Kind index (see `keywords`).
    pub kind: usize,
    /// The keyword as configured (folded).
    pub phrase: String,
    pub body_weight: f32,
    /// Position of the hit among the line's hits (0 = first).
    pub order: usize,
    /// Token index where it starts.
    pub at: usize,
}

/// Extra keywords from configuration: (folded tokens, kind).
pub type Extra = Vec<(Vec<String>, usize)>;

/// FNV-1a: the index keys are short words, where SipHash's setup dominates.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type Index<V> = HashMap<&'static str, Vec<V>, BuildHasherDefault<Fnv>>;

/// A built-in phrase, split into its folded tokens.
struct Entry {
    /// The tokens after the first (the first is the index key).
    rest: Vec<&'static str>,
    phrase: &'static str,
    kind: usize,
    weight: f32,
}

/// Built-in phrases by first token, each list in table order so that the first of
/// equally long matches wins as it would scanning the table.
static PHRASE_INDEX: LazyLock<Index<Entry>> = LazyLock::new(|| {
    let mut m = Index::<Entry>::default();
    for &(phrase, kind, weight) in PHRASES {
        let mut it = phrase.split(' ');
        let first = it.next().unwrap_or_default();
        m.entry(first).or_default().push(Entry {
            rest: it.collect(),
            phrase,
            kind,
            weight,
        });
    }
    m
});

/// Number of tokens `rest` matches at `toks[i..]` (0 when it does not).
fn rest_len_at(toks: &[String], i: usize, rest: &[&str]) -> usize {
    let Some(tail) = toks.get(i..i + rest.len()) else {
        return 0;
    };
    if tail.iter().zip(rest).all(|(t, p)| t == p) {
        rest.len()
    } else {
        0
    }
}

/// Find the keywords of a token list. At each position the longest phrase wins and
/// the tokens it covers are not matched again, so `bon de commande` is a purchase order
/// and not also a Dutch `bon`. Neutral phrases win the same way but are not returned.
pub fn find_hits(toks: &[String], extra: &Extra) -> Vec<Hit> {
    enum Phrase<'a> {
        Static(&'static str),
        Extra(&'a [String]),
        Token(&'a str),
    }
    let mut hits = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let mut best: Option<(usize, usize, Phrase, f32)> = None; // (len, kind, phrase, w)
        if let Some(entries) = PHRASE_INDEX.get(toks[i].as_str()) {
            for e in entries {
                let len = 1 + e.rest.len();
                if best.as_ref().is_none_or(|b| len > b.0)
                    && (e.rest.is_empty() || rest_len_at(toks, i + 1, &e.rest) > 0)
                {
                    best = Some((len, e.kind, Phrase::Static(e.phrase), e.weight));
                }
            }
        }
        for (ptoks, kind) in extra {
            let len = ptoks.len();
            if len > 0
                && best.as_ref().is_none_or(|b| len > b.0)
                && toks.get(i..i + len).is_some_and(|t| t == ptoks.as_slice())
            {
                best = Some((len, *kind, Phrase::Extra(ptoks), 2.0));
            }
        }
        if best.is_none() {
            for (suffix, kind) in SUFFIXES {
                let t = &toks[i];
                if t.len() > suffix.len() && t.ends_with(suffix) {
                    best = Some((1, *kind, Phrase::Token(t), 1.0));
                    break;
                }
            }
        }
        match best {
            Some((len, kind, phrase, body_weight)) => {
                if kind != NEUTRAL {
                    let order = hits.len();
                    hits.push(Hit {
                        kind,
                        phrase: match phrase {
                            Phrase::Static(p) => p.to_string(),
                            Phrase::Extra(p) => p.join(" "),
                            Phrase::Token(t) => t.to_string(),
                        },
                        body_weight,
                        order,
                        at: i,
                    });
                }
                i += len;
            }
            None => i += 1,
        }
    }
    hits
}

/// Sets of field labels, as bit flags.
pub const LABEL_INVOICE_NUMBER: u8 = 1;
pub const LABEL_DUE_DATE: u8 = 2;
pub const LABEL_VAT: u8 = 4;
pub const LABEL_AMOUNT_DUE: u8 = 8;

/// Field labels by first token: (the other tokens, the set's flag).
static LABEL_INDEX: LazyLock<Index<(Vec<&'static str>, u8)>> = LazyLock::new(|| {
    let mut m = Index::<(Vec<&'static str>, u8)>::default();
    for (labels, flag) in [
        (INVOICE_NUMBER_LABELS, LABEL_INVOICE_NUMBER),
        (DUE_DATE_LABELS, LABEL_DUE_DATE),
        (VAT_LABELS, LABEL_VAT),
        (AMOUNT_DUE_LABELS, LABEL_AMOUNT_DUE),
    ] {
        for label in labels {
            let mut it = label.split(' ');
            let first = it.next().unwrap_or_default();
            m.entry(first).or_default().push((it.collect(), flag));
        }
    }
    m
});

/// Which label sets (`LABEL_*` flags) have a phrase somewhere in the token list.
pub fn label_flags(toks: &[String]) -> u8 {
    let mut flags = 0;
    for (i, t) in toks.iter().enumerate() {
        if let Some(entries) = LABEL_INDEX.get(t.as_str()) {
            for (rest, flag) in entries {
                if flags & flag == 0 && (rest.is_empty() || rest_len_at(toks, i + 1, rest) > 0) {
                    flags |= flag;
                }
            }
        }
    }
    flags
}

/// A valid IBAN somewhere in the line (spaced in groups of four or not).
pub fn has_iban(line: &str) -> bool {
    // Upper-cased, without white space; ASCII (nearly all of it) skips the general
    // Unicode case mapping.
    let mut compact: Vec<char> = Vec::with_capacity(line.len());
    let mut candidate = false;
    for c in line.chars().filter(|c| !c.is_whitespace()) {
        if c.is_ascii() {
            compact.push(c.to_ascii_uppercase());
        } else {
            compact.extend(c.to_uppercase());
        }
        if let [.., a, b, c, d] = compact[..] {
            candidate |= is_iban_start(a, b, c, d);
        }
    }
    if !candidate {
        return false;
    }
    for start in 0..compact.len().saturating_sub(4) {
        let w = &compact[start..];
        if !is_iban_start(w[0], w[1], w[2], w[3]) {
            continue;
        }
        let country = [w[0] as u8, w[1] as u8];
        let Ok(country) = std::str::from_utf8(&country) else {
            continue;
        };
        if let Some(len) = papyr_sdk::checks::iban_length(country)
            && w.len() >= len
        {
            let cand: String = w[..len].iter().collect();
            if papyr_sdk::checks::iban_is_valid(&cand) {
                return true;
            }
        }
    }
    false
}

/// Two letters and two digits: how an IBAN starts.
fn is_iban_start(a: char, b: char, c: char, d: char) -> bool {
    a.is_ascii_uppercase() && b.is_ascii_uppercase() && c.is_ascii_digit() && d.is_ascii_digit()
}

/// Number of money-looking amounts (`1.234,56`, `99.00`, `12,50`) in a line.
pub fn amount_count(line: &str) -> usize {
    let b = line.as_bytes();
    let mut n = 0;
    for i in 1..b.len().saturating_sub(2) {
        if (b[i] == b'.' || b[i] == b',')
            && b[i - 1].is_ascii_digit()
            && b[i + 1].is_ascii_digit()
            && b[i + 2].is_ascii_digit()
            && b.get(i + 3)
                .is_none_or(|c| !c.is_ascii_digit() && !matches!(c, b'.' | b'/' | b'-'))
        {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(usize, String)> {
        find_hits(&tokens(s), &Vec::new())
            .into_iter()
            .map(|h| (h.kind, h.phrase))
            .collect()
    }

    #[test]
    fn folding() {
        assert_eq!(tokens("Relevé de compte"), ["releve", "de", "compte"]);
        assert_eq!(tokens("Rechnungs-Nr. 42"), ["rechnungs", "nr", "42"]);
        assert_eq!(tokens("Ordine d'acquisto"), ["ordine", "d", "acquisto"]);
        assert_eq!(tokens("KONTOÜBERSICHT"), ["kontoubersicht"]);
    }

    #[test]
    fn longest_phrase_wins() {
        use crate::keywords::*;
        assert_eq!(
            kinds("Bon de commande"),
            [(PURCHASE_ORDER, "bon de commande".into())]
        );
        assert_eq!(
            kinds("Factura rectificativa"),
            [(CREDIT_NOTE, "factura rectificativa".into())]
        );
        assert_eq!(kinds("Invoice address: Foo"), []);
        assert_eq!(
            kinds("Credit note for invoice 12"),
            [
                (CREDIT_NOTE, "credit note".into()),
                (INVOICE, "invoice".into())
            ]
        );
        assert_eq!(
            kinds("Schlussrechnung"),
            [(INVOICE, "schlussrechnung".into())]
        );
        assert_eq!(kinds("Rechnungsnummer"), []);
    }

    #[test]
    fn ibans_and_amounts() {
        assert!(has_iban(
            "IBAN: DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX"
        ));
        assert!(!has_iban("IBAN: DE89 3704 0044 0532 0130 01"));
        assert_eq!(amount_count("Total 1.234,56 EUR and 12.50"), 2);
        assert_eq!(amount_count("Date 12.2024"), 0);
        assert_eq!(amount_count("Date 01.02.2024"), 0);
    }
}
