//! Text folding and keyword matching.
use crate::keywords::{NEUTRAL, PHRASES, SUFFIXES};

/// Lower-case, strip accents and turn everything but letters and digits into token
/// boundaries, so `Rechnungs-Nr.` → `rechnungs nr` and `Relevé` → `releve`.
pub fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
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

fn fold_char(c: char) -> Option<&'static str> {
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

/// Find the keywords of a token list. At each position the longest phrase wins and
/// the tokens it covers are not matched again, so `bon de commande` is a purchase order
/// and not also a Dutch `bon`. Neutral phrases win the same way but are not returned.
pub fn find_hits(toks: &[String], extra: &Extra) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let mut best: Option<(usize, usize, String, f32)> = None; // (len, kind, phrase, w)
        for (phrase, kind, w) in PHRASES {
            let len = phrase_len_at(toks, i, phrase.split(' '));
            if len > 0 && best.as_ref().is_none_or(|b| len > b.0) {
                best = Some((len, *kind, (*phrase).to_string(), *w));
            }
        }
        for (ptoks, kind) in extra {
            let len = phrase_len_at(toks, i, ptoks.iter().map(String::as_str));
            if len > 0 && best.as_ref().is_none_or(|b| len > b.0) {
                best = Some((len, *kind, ptoks.join(" "), 2.0));
            }
        }
        if best.is_none() {
            for (suffix, kind) in SUFFIXES {
                let t = &toks[i];
                if t.len() > suffix.len() && t.ends_with(suffix) {
                    best = Some((1, *kind, t.clone(), 1.0));
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
                        phrase,
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

/// Number of tokens matched when `phrase` occurs at `toks[i..]`, else 0.
fn phrase_len_at<'a>(toks: &[String], i: usize, phrase: impl Iterator<Item = &'a str>) -> usize {
    let mut n = 0;
    for p in phrase {
        match toks.get(i + n) {
            Some(t) if t == p => n += 1,
            _ => return 0,
        }
    }
    n
}

/// True when the folded phrase occurs in the token list.
pub fn contains_phrase(toks: &[String], phrase: &str) -> bool {
    (0..toks.len()).any(|i| phrase_len_at(toks, i, phrase.split(' ')) > 0)
}

/// A valid IBAN somewhere in the line (spaced in groups of four or not).
pub fn has_iban(line: &str) -> bool {
    let compact: Vec<char> = line
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(|c| c.to_uppercase())
        .collect();
    for start in 0..compact.len().saturating_sub(4) {
        let w = &compact[start..];
        if !(w[0].is_ascii_uppercase()
            && w[1].is_ascii_uppercase()
            && w[2].is_ascii_digit()
            && w[3].is_ascii_digit())
        {
            continue;
        }
        let country: String = w[..2].iter().collect();
        if let Some(len) = papyr_sdk::checks::iban_length(&country)
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
