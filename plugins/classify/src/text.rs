//! Text folding and keyword matching.
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

/// Phrases by their first word's first byte: `entries[starts[b]..starts[b + 1]]`
/// holds (first word, table position) in table order, so equally long matches are
/// met in the order a table scan meets them. A fresh plugin instance builds it for
/// every document: two small allocations and no hashing or sorting.
struct Index {
    starts: Vec<u16>,
    entries: Vec<(&'static str, u16)>,
}

fn first_word(phrase: &str) -> &str {
    phrase.split(' ').next().unwrap_or_default()
}

fn build_index(phrases: impl Iterator<Item = &'static str> + Clone) -> Index {
    let key = |w: &str| w.as_bytes().first().copied().unwrap_or(0) as usize;
    let mut starts = vec![0u16; 257];
    for p in phrases.clone() {
        starts[key(first_word(p)) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut fill = starts.clone();
    let mut entries = vec![("", 0u16); phrases.clone().count()];
    for (i, p) in phrases.enumerate() {
        let w = first_word(p);
        let slot = &mut fill[key(w)];
        entries[*slot as usize] = (w, i as u16);
        *slot += 1;
    }
    Index { starts, entries }
}

/// The table positions of the phrases starting with `word`.
fn starting_with<'a>(index: &'a Index, word: &'a str) -> impl Iterator<Item = usize> + 'a {
    let b = word.as_bytes().first().copied().unwrap_or(0) as usize;
    let range = index.starts[b] as usize..index.starts[b + 1] as usize;
    index.entries[range]
        .iter()
        .filter(move |(w, _)| *w == word)
        .map(|(_, i)| *i as usize)
}

static PHRASE_INDEX: LazyLock<Index> = LazyLock::new(|| build_index(PHRASES.iter().map(|p| p.0)));

/// Number of tokens `phrase` (whose first word is known to match) covers at
/// `toks[i..]`, 0 when the rest of it does not match.
fn match_len(toks: &[String], i: usize, phrase: &str) -> usize {
    let mut n = 0;
    for w in phrase.split(' ') {
        if n > 0 && toks.get(i + n).is_none_or(|t| t != w) {
            return 0;
        }
        n += 1;
    }
    n
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
        for k in starting_with(&PHRASE_INDEX, &toks[i]) {
            let (phrase, kind, weight) = PHRASES[k];
            let len = match_len(toks, i, phrase);
            if len > 0 && best.as_ref().is_none_or(|b| len > b.0) {
                best = Some((len, kind, Phrase::Static(phrase), weight));
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

/// Field labels with their set's flag.
const LABELS: [(&[&str], u8); 4] = [
    (INVOICE_NUMBER_LABELS, LABEL_INVOICE_NUMBER),
    (DUE_DATE_LABELS, LABEL_DUE_DATE),
    (VAT_LABELS, LABEL_VAT),
    (AMOUNT_DUE_LABELS, LABEL_AMOUNT_DUE),
];

fn all_labels() -> impl Iterator<Item = (&'static str, u8)> + Clone {
    LABELS
        .into_iter()
        .flat_map(|(set, flag)| set.iter().map(move |l| (*l, flag)))
}

static LABEL_INDEX: LazyLock<(Index, Vec<(&'static str, u8)>)> = LazyLock::new(|| {
    (
        build_index(all_labels().map(|(l, _)| l)),
        all_labels().collect(),
    )
});

/// Which label sets (`LABEL_*` flags) have a phrase somewhere in the token list.
pub fn label_flags(toks: &[String]) -> u8 {
    let mut flags = 0;
    for (i, t) in toks.iter().enumerate() {
        let (index, labels) = &*LABEL_INDEX;
        for k in starting_with(index, t) {
            let (label, flag) = labels[k];
            if flags & flag == 0 && match_len(toks, i, label) > 0 {
                flags |= flag;
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
