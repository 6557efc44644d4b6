//! The labels of stream-level rules must equal the set of documents that meet the
//! rule's definition, recomputed here from the truth (and the files) alone — an
//! unlabelled document that meets a definition is a "false positive" in every
//! benchmark that is really a correct detection.
use papyr_testgen::{Fields, LineTruth, Options, Preset, Split, THRESHOLD, TODAY, Truth, generate};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn set(name: &str, seed: u64, count: usize, split: Split, preset: Preset) -> (PathBuf, Vec<Truth>) {
    let dir = std::env::temp_dir().join(format!("papyr-labels-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let m = generate(&Options {
        seed,
        count,
        out_dir: dir.clone(),
        split,
        preset,
    })
    .expect("generate");
    (dir, m.documents)
}

fn cents(s: &str) -> i64 {
    let neg = s.starts_with('-');
    let (a, b) = s
        .trim_start_matches('-')
        .split_once('.')
        .expect("two decimals");
    let v = a.parse::<i64>().unwrap() * 100 + b.parse::<i64>().unwrap();
    if neg { -v } else { v }
}

/// Days since 1970-01-01 of `YYYY-MM-DD…`.
fn day(s: &str) -> i64 {
    let y: i64 = s[0..4].parse().unwrap();
    let m: i64 = s[5..7].parse().unwrap();
    let d: i64 = s[8..10].parse().unwrap();
    // Counting from March makes the leap day the last of the year.
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let doy = (153 * m + 2) / 5 + d - 1;
    y * 365 + y / 4 - y / 100 + y / 400 + doy - 719_468
}

/// Seconds since the epoch of `D:YYYYMMDDHHmmSS±HH'mm'` or ISO `…T…±HH:mm` / `Z`.
fn instant(s: &str) -> i64 {
    let s = s.trim_start_matches("D:");
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).take(14).collect();
    let iso = format!("{}-{}-{}", &digits[0..4], &digits[4..6], &digits[6..8]);
    let hms: i64 = digits[8..10].parse::<i64>().unwrap() * 3600
        + digits[10..12].parse::<i64>().unwrap() * 60
        + digits[12..14].parse::<i64>().unwrap();
    // The zone follows the date (whose own dashes come first in ISO form).
    let tail = &s[10..];
    let tail = &tail[tail.find(['+', '-', 'Z']).unwrap_or(tail.len())..];
    let off = match tail.chars().next() {
        Some(c @ ('+' | '-')) => {
            let d: String = tail.chars().filter(|c| c.is_ascii_digit()).collect();
            let o = d[0..2].parse::<i64>().unwrap() * 3600 + d[2..4].parse::<i64>().unwrap() * 60;
            if c == '-' { -o } else { o }
        }
        _ => 0,
    };
    day(&iso) * 86_400 + hms - off
}

fn norm_number(s: &str) -> String {
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

fn planted(t: &Truth, rule: &str) -> bool {
    t.planted.iter().any(|p| p == rule)
}

fn labelled(docs: &[Truth], rule: &str) -> BTreeSet<usize> {
    (0..docs.len())
        .filter(|&i| planted(&docs[i], rule))
        .collect()
}

/// An invoice or credit note with the fields the stream rules compare.
struct Inv {
    vendor: String,
    number: String,
    issue: i64,
    gross: i64,
    currency: String,
}

fn inv(t: &Truth) -> Option<Inv> {
    if t.kind != "invoice" && t.kind != "credit-note" {
        return None;
    }
    let f = &t.fields;
    Some(Inv {
        vendor: t.vendor_id.clone()?,
        number: norm_number(f.invoice_number.as_deref()?),
        issue: day(f.issue_date.as_deref()?),
        gross: cents(f.gross_total.as_deref()?),
        currency: f.currency.clone()?,
    })
}

/// amount.split by its definition: this invoice and at least one earlier, distinct
/// invoice of the same vendor issued within ±7 days (inclusive), all below T, sum ≥ T.
/// Distinct: not a copy of this invoice (same number), and each earlier number and
/// each (amount, issue date) once.
fn split_docs(docs: &[Truth]) -> BTreeSet<usize> {
    let invs: Vec<Option<Inv>> = docs.iter().map(inv).collect();
    let below = |g: i64| g > 0 && g < THRESHOLD;
    let mut out = BTreeSet::new();
    for (i, me) in invs.iter().enumerate() {
        let Some(me) = me else { continue };
        if !below(me.gross) {
            continue;
        }
        let mut numbers = BTreeSet::new();
        let mut amounts = BTreeSet::new();
        let mut parts = Vec::new();
        for p in invs[..i].iter().rev().flatten() {
            if p.vendor == me.vendor
                && p.currency == me.currency
                && below(p.gross)
                && (p.issue - me.issue).abs() <= 7
                && p.number != me.number
                && numbers.insert(p.number.clone())
                && amounts.insert((p.gross, p.issue))
            {
                parts.push(p.gross);
            }
        }
        if !parts.is_empty() && me.gross + parts.iter().sum::<i64>() >= THRESHOLD {
            out.insert(i);
        }
    }
    out
}

/// Gross (cents) of an invoice or credit note of a vendor, with its vendor and
/// line count.
fn gross_lines(t: &Truth) -> Option<(String, i64, usize)> {
    if t.kind != "invoice" && t.kind != "credit-note" {
        return None;
    }
    Some((
        t.vendor_id.clone()?,
        cents(t.fields.gross_total.as_deref()?),
        t.fields.line_items.as_ref().map_or(0, Vec::len),
    ))
}

/// Per document: is it a round candidate (≤ 1 line, gross a positive multiple of
/// 100.00), and how many earlier documents of its vendor in the stream have a
/// round (nonzero multiple of 100.00) gross — every one counts, copies included,
/// because the rule's history holds every processed document.
fn round_facts(docs: &[Truth]) -> Vec<(bool, usize)> {
    let mut seen: Vec<(String, i64)> = Vec::new();
    let mut out = Vec::new();
    for t in docs {
        let g = gross_lines(t);
        let (candidate, before) = match &g {
            Some((v, gross, lines)) => (
                *lines <= 1 && *gross > 0 && gross % 10_000 == 0,
                seen.iter()
                    .filter(|(pv, pg)| pv == v && *pg != 0 && pg % 10_000 == 0)
                    .count(),
            ),
            None => (false, 0),
        };
        out.push((candidate, before));
        if let Some((v, gross, _)) = g {
            seen.push((v, gross));
        }
    }
    out
}

/// amount.round by its definition: a round candidate whose vendor has fewer than
/// 3 earlier round documents in the stream.
fn round_docs(docs: &[Truth]) -> BTreeSet<usize> {
    round_facts(docs)
        .into_iter()
        .enumerate()
        .filter(|(_, (c, before))| *c && *before < 3)
        .map(|(i, _)| i)
        .collect()
}

/// Every round candidate that is not labelled `amount.round` must be a look-alike
/// the rule rightly skips: labelled benign, with a habitual vendor.
fn check_unlabelled_rounds(docs: &[Truth]) {
    for (t, (candidate, before)) in docs.iter().zip(round_facts(docs)) {
        if !candidate || planted(t, "amount.round") {
            continue;
        }
        assert!(
            before >= 3,
            "{}: round one-line invoice unlabelled with only {before} earlier round invoices",
            t.file
        );
        assert!(
            t.benign.iter().any(|b| b == "amount.round"),
            "{}: habitual round invoice not labelled benign",
            t.file
        );
    }
}

/// duplicate.exact: an earlier invoice of the same vendor with the same number.
fn exact_docs(docs: &[Truth]) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut out = BTreeSet::new();
    for (i, t) in docs.iter().enumerate() {
        if let Some(x) = inv(t)
            && !seen.insert((x.vendor, x.number))
        {
            out.insert(i);
        }
    }
    out
}

/// duplicate.same-file: the bytes of an earlier document.
fn same_file_docs(dir: &Path, docs: &[Truth]) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut out = BTreeSet::new();
    for (i, t) in docs.iter().enumerate() {
        let bytes = std::fs::read(dir.join(&t.file)).unwrap();
        if !seen.insert(hex::encode(Sha256::digest(&bytes))) {
            out.insert(i);
        }
    }
    out
}

fn received_at(dir: &Path, t: &Truth) -> Option<String> {
    if !t.has_origin {
        return None;
    }
    let o: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{}.origin.json", t.file))).unwrap(),
    )
    .unwrap();
    o["received_at"].as_str().map(str::to_string)
}

/// Every date a PDF states: Info CreationDate/ModDate (all revisions), XMP dates,
/// signature time (Info and XMP are written uncompressed).
fn pdf_dates(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    for key in ["/CreationDate (", "/ModDate (", "/M ("] {
        for (i, _) in text.match_indices(key) {
            let rest = &text[i + key.len()..];
            out.push(rest[..rest.find(')').unwrap()].to_string());
        }
    }
    for tag in ["xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"] {
        let open = format!("<{tag}>");
        for (i, _) in text.match_indices(&open) {
            let rest = &text[i + open.len()..];
            out.push(rest[..rest.find('<').unwrap()].to_string());
        }
    }
    out
}

fn check_set(dir: &Path, docs: &[Truth]) {
    let names = |s: &BTreeSet<usize>| s.iter().map(|&i| docs[i].file.clone()).collect::<Vec<_>>();
    for (rule, want) in [
        ("amount.split", split_docs(docs)),
        ("amount.round", round_docs(docs)),
        ("duplicate.exact", exact_docs(docs)),
        ("duplicate.same-file", same_file_docs(dir, docs)),
    ] {
        let got = labelled(docs, rule);
        assert_eq!(
            names(&got),
            names(&want),
            "{rule}: labels differ from the documents meeting its definition"
        );
    }

    let mut future = (BTreeSet::new(), BTreeSet::new());
    for (i, t) in docs.iter().enumerate() {
        let recv = received_at(dir, t);
        // date.future: issued more than a day after arrival (or after today).
        if let Some(issue) = t.fields.issue_date.as_deref() {
            let reference = recv
                .as_deref()
                .map(day)
                .unwrap_or_else(|| day(&TODAY.iso()));
            if day(issue) - reference > 1 {
                future.0.insert(i);
            }
            if planted(t, "date.future") {
                future.1.insert(i);
            }
            let weekend = (day(issue) + 3).rem_euclid(7) >= 5;
            if weekend {
                assert!(
                    planted(t, "date.weekend") || t.benign.iter().any(|b| b == "date.weekend"),
                    "{}: weekend issue date without a label",
                    t.file
                );
            }
        }
        // A PDF is not created, modified or signed after the email carrying it arrived.
        if let Some(r) = recv.as_deref()
            && t.file.ends_with(".pdf")
            && !planted(t, "pdf.metadata-mismatch")
        {
            let arrival = instant(r);
            for d in pdf_dates(&std::fs::read(dir.join(&t.file)).unwrap()) {
                assert!(
                    instant(&d) <= arrival,
                    "{}: PDF date {d} after arrival {r}",
                    t.file
                );
            }
        }
    }
    assert_eq!(names(&future.1), names(&future.0), "date.future labels");
    check_unlabelled_rounds(docs);
}

#[test]
fn stream_labels_equal_their_definitions_in_full_sets() {
    for (name, seed, count, split) in [
        ("dev", 20_261_126, 2000, Split::Dev),
        ("hold", 7, 600, Split::Holdout),
    ] {
        let (dir, docs) = set(name, seed, count, split, Preset::Full);
        check_set(&dir, &docs);
        // The splits are many, not only the planted group's last part.
        let split_count = labelled(&docs, "amount.split").len();
        assert!(split_count >= 20, "{name}: only {split_count} splits");
        // Habitual round vendors exist, so the history weighting is exercised.
        let habitual = docs
            .iter()
            .filter(|d| d.benign.iter().any(|b| b == "amount.round"))
            .count();
        assert!(
            habitual >= 2,
            "{name}: only {habitual} habitual round invoices"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn clean_sets_meet_no_stream_definition() {
    let (dir, docs) = set("clean", 11, 1500, Split::Dev, Preset::Clean);
    check_set(&dir, &docs);
    assert!(docs.iter().all(|d| d.planted.is_empty()));
    assert!(
        docs.iter()
            .any(|d| d.benign.iter().any(|b| b == "amount.round")),
        "clean set without a habitual round vendor"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn split_definition_counts_copies_once_and_uses_an_inclusive_window() {
    let mk = |file: &str, number: &str, issue: &str, gross: &str| Truth {
        file: file.into(),
        kind: "invoice".into(),
        language: "en".into(),
        layout: "table".into(),
        format: "pdf".into(),
        split: "dev".into(),
        fields: Fields {
            invoice_number: Some(number.into()),
            issue_date: Some(issue.into()),
            gross_total: Some(gross.into()),
            currency: Some("EUR".into()),
            ..Fields::default()
        },
        tax_breakdown: vec![],
        planted: vec![],
        benign: vec![],
        vendor_id: Some("v-001".into()),
        has_origin: false,
        discount: None,
        prepaid: None,
    };
    let docs = vec![
        mk("a", "1001", "2026-05-01", "2000.00"),
        // A re-sent copy of A (leading zeros) is the same purchase.
        mk("a-copy", "001001", "2026-05-01", "2000.00"),
        // Counting the copy twice would make 6000.00.
        mk("b", "1002", "2026-05-05", "2000.00"),
        // A is exactly 7 days earlier: inside the window; 1000 + 2000 + 2000 = T.
        mk("c", "1003", "2026-05-08", "1000.00"),
        // A is 8 days earlier: outside; 1000 + 1000 + 2000 < T.
        mk("d", "1004", "2026-05-09", "1000.00"),
        // Another vendor's invoices never count.
        Truth {
            vendor_id: Some("v-002".into()),
            ..mk("e", "1005", "2026-05-09", "4000.00")
        },
    ];
    let want = ["c"];
    let mut got = docs.clone();
    papyr_testgen::labels::label_splits(&mut got);
    let got: Vec<&str> = got
        .iter()
        .filter(|t| planted(t, "amount.split"))
        .map(|t| t.file.as_str())
        .collect();
    assert_eq!(got, want);
    let again: Vec<&str> = split_docs(&docs)
        .into_iter()
        .map(|i| docs[i].file.as_str())
        .collect();
    assert_eq!(again, want);
}

#[test]
fn round_definition_weighs_every_earlier_round_document_of_the_vendor() {
    let line = || LineTruth::default();
    let mk = |file: &str, vendor: &str, gross: &str, lines: usize| Truth {
        file: file.into(),
        kind: "invoice".into(),
        language: "en".into(),
        layout: "table".into(),
        format: "pdf".into(),
        split: "dev".into(),
        fields: Fields {
            invoice_number: Some(file.into()),
            issue_date: Some("2026-05-01".into()),
            gross_total: Some(gross.into()),
            currency: Some("EUR".into()),
            line_items: Some((0..lines).map(|_| line()).collect()),
            ..Fields::default()
        },
        tax_breakdown: vec![],
        planted: vec![],
        benign: vec![],
        vendor_id: Some(vendor.into()),
        has_origin: false,
        discount: None,
        prepaid: None,
    };
    let docs = vec![
        // Round but two lines: not a signal, yet history.
        mk("a", "v-001", "1200.00", 2),
        mk("b", "v-001", "1200.00", 1),
        // Not round: neither signal nor history.
        mk("c", "v-001", "1234.50", 1),
        // A re-sent copy of b is processed (and stored) again: history too.
        mk("b-copy", "v-001", "1200.00", 1),
        // Three earlier round documents: habitual, benign.
        mk("d", "v-001", "3000.00", 0),
        // Another vendor's history never counts.
        mk("e", "v-002", "500.00", 1),
        // A round credit note counts as history, but is never itself a signal.
        Truth {
            kind: "credit-note".into(),
            ..mk("f", "v-002", "-200.00", 1)
        },
        mk("g", "v-002", "700.00", 1),
        mk("h", "v-002", "900.00", 1),
    ];
    let want = ["b", "b-copy", "e", "g"];
    let mut got = docs.clone();
    // A wrong plant on a habitual vendor must be taken back.
    got[4].planted.push("amount.round".into());
    papyr_testgen::labels::label_rounds(&mut got);
    let names = |f: &dyn Fn(&Truth) -> bool| -> Vec<String> {
        got.iter()
            .filter(|t| f(t))
            .map(|t| t.file.clone())
            .collect()
    };
    assert_eq!(names(&|t| planted(t, "amount.round")), want);
    assert_eq!(
        names(&|t| t.benign.iter().any(|b| b == "amount.round")),
        ["d", "h"]
    );
    let again: Vec<&str> = round_docs(&docs)
        .into_iter()
        .map(|i| docs[i].file.as_str())
        .collect();
    assert_eq!(again, want);
    check_unlabelled_rounds(&got);
}
