//! The straightforward (table-scanning) matchers the indexed ones replaced, kept to
//! check that the fast versions give the same answers.
use crate::keywords::{NEUTRAL, PHRASES, SUFFIXES};
use crate::text::{Extra, Hit};

pub fn find_hits(toks: &[String], extra: &Extra) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let mut best: Option<(usize, usize, String, f32)> = None;
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

pub fn contains_phrase(toks: &[String], phrase: &str) -> bool {
    (0..toks.len()).any(|i| phrase_len_at(toks, i, phrase.split(' ')) > 0)
}

pub fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        for lc in c.to_lowercase() {
            match crate::text::fold_char(lc) {
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
