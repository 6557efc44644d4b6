//! Stream-level labels computed from the finished stream, so that every document
//! meeting a definition is labelled — not only the one a planting step aimed at.
use std::collections::BTreeSet;

use crate::stream::{THRESHOLD, Truth};
use crate::util::Date;

/// Days either side of an invoice's issue date in which other invoices count
/// towards a split (inclusive), as in the fraud rule's `split_window_days`.
pub const SPLIT_WINDOW_DAYS: i64 = 7;

/// Invoice-number normalisation of the duplicate and split rules: alphanumerics,
/// upper case, leading zeros dropped.
pub fn norm_number(s: &str) -> String {
    let n: String = s
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect();
    let t = n.trim_start_matches('0');
    if t.is_empty() && !n.is_empty() {
        "0".into()
    } else {
        t.into()
    }
}

pub(crate) fn cents(s: &str) -> Option<i64> {
    let neg = s.starts_with('-');
    let (a, b) = s.trim_start_matches('-').split_once('.')?;
    let v = a.parse::<i64>().ok()? * 100 + b.parse::<i64>().ok()?;
    Some(if neg { -v } else { v })
}

fn day(s: &str) -> Option<i64> {
    let mut it = s.splitn(3, '-');
    let y = it.next()?.parse().ok()?;
    let m = it.next()?.parse().ok()?;
    let d = it.next()?.parse().ok()?;
    Some(Date::new(y, m, d).days())
}

struct Seen {
    vendor: String,
    number: String,
    issue: i64,
    gross: i64,
    currency: String,
}

/// Sets `amount.split` on exactly the documents that meet the definition: an
/// invoice (or credit note: the rule does not tell them apart) with 0 < gross < T,
/// and earlier documents of the same vendor in the stream, same currency, each
/// 0 < gross < T, issued at most `SPLIT_WINDOW_DAYS` before or after it, which
/// together with it reach T. Copies count once: an earlier document with this
/// document's own number is its duplicate, not another purchase, and among the
/// earlier ones each invoice number and each (gross, issue date) counts once.
pub fn label_splits(truths: &mut [Truth]) {
    let mut seen: Vec<Seen> = Vec::new();
    for t in truths.iter_mut() {
        let meets = split_meets(t, &seen);
        let has = t.planted.iter().any(|p| p == "amount.split");
        if meets && !has {
            t.planted.push("amount.split".into());
        } else if !meets && has {
            t.planted.retain(|p| p != "amount.split");
        }
        if let Some(s) = seen_of(t) {
            seen.push(s);
        }
    }
}

fn seen_of(t: &Truth) -> Option<Seen> {
    if t.kind != "invoice" && t.kind != "credit-note" {
        return None;
    }
    let f = &t.fields;
    Some(Seen {
        vendor: t.vendor_id.clone()?,
        number: norm_number(f.invoice_number.as_deref()?),
        issue: day(f.issue_date.as_deref()?)?,
        gross: cents(f.gross_total.as_deref()?)?,
        currency: f.currency.clone()?,
    })
}

fn split_meets(t: &Truth, seen: &[Seen]) -> bool {
    let Some(me) = seen_of(t) else { return false };
    let below = |g: i64| g > 0 && g < THRESHOLD;
    if !below(me.gross) {
        return false;
    }
    let mut numbers = BTreeSet::new();
    let mut amounts = BTreeSet::new();
    let mut sum = me.gross;
    let mut parts = 0;
    // Most recent first, as the history answers.
    for p in seen.iter().rev() {
        if p.vendor != me.vendor
            || p.currency != me.currency
            || !below(p.gross)
            || (p.issue - me.issue).abs() > SPLIT_WINDOW_DAYS
            || p.number == me.number
        {
            continue;
        }
        let new_number = p.number.is_empty() || numbers.insert(p.number.clone());
        let new_amount = amounts.insert((p.gross, p.issue));
        if new_number && new_amount {
            sum += p.gross;
            parts += 1;
        }
    }
    parts > 0 && sum >= THRESHOLD
}

/// How many earlier round-gross documents of its vendor make a round invoice
/// habitual rather than odd, as in the fraud rule's `amount.round`.
pub const ROUND_HABIT: usize = 3;

/// Gross of a document the stream rules see (invoice or credit note of a vendor).
fn gross_of(t: &Truth) -> Option<(String, i64)> {
    if t.kind != "invoice" && t.kind != "credit-note" {
        return None;
    }
    Some((
        t.vendor_id.clone()?,
        cents(t.fields.gross_total.as_deref()?)?,
    ))
}

/// A gross that counts as round for the history: a nonzero multiple of 100.00
/// (every currency of the generator has two decimals).
pub fn is_round(gross: i64) -> bool {
    gross != 0 && gross % 10_000 == 0
}

/// A document the round rule looks at: positive round gross and at most one line
/// item. Whether it is a signal depends on the vendor's history.
pub fn round_candidate(t: &Truth) -> bool {
    let lines = t.fields.line_items.as_ref().map_or(0, Vec::len);
    gross_of(t).is_some_and(|(_, g)| g > 0 && is_round(g)) && lines <= 1
}

/// Sets `amount.round` on exactly the documents that meet the definition: a round
/// candidate whose vendor has fewer than `ROUND_HABIT` earlier documents in the
/// stream with a round gross. Every earlier document counts, as the history the
/// rule asks holds every processed document: re-sent copies (exact and same-file
/// duplicates) included, credit notes included, however many lines they have. A
/// candidate of a habitual vendor that was aimed at as a plant becomes benign.
pub fn label_rounds(truths: &mut [Truth]) {
    let mut rounds: std::collections::BTreeMap<String, usize> = Default::default();
    for t in truths.iter_mut() {
        let vendor = gross_of(t);
        let before = vendor
            .as_ref()
            .map_or(0, |(v, _)| rounds.get(v).copied().unwrap_or(0));
        let candidate = round_candidate(t);
        let meets = candidate && before < ROUND_HABIT;
        let has = t.planted.iter().any(|p| p == "amount.round");
        if meets {
            if !has {
                t.planted.push("amount.round".into());
            }
            t.benign.retain(|b| b != "amount.round");
        } else {
            if has {
                t.planted.retain(|p| p != "amount.round");
            }
            let benign = t.benign.iter().any(|b| b == "amount.round");
            if candidate && !benign {
                t.benign.push("amount.round".into());
            } else if !candidate && benign {
                t.benign.retain(|b| b != "amount.round");
            }
        }
        if let Some((v, g)) = vendor
            && is_round(g)
        {
            *rounds.entry(v).or_default() += 1;
        }
    }
}
