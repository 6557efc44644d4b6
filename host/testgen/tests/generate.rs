use papyr_testgen::ids::{iban_valid, vat_valid};
use papyr_testgen::{Options, Preset, RULES, Split, Truth, generate};
use std::path::PathBuf;
use std::sync::OnceLock;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("papyr-testgen-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn opts(seed: u64, count: usize, dir: PathBuf, preset: Preset) -> Options {
    Options {
        seed,
        count,
        out_dir: dir,
        split: Split::Dev,
        preset,
    }
}

/// The 2,000-document set, generated once for all tests that inspect it.
fn big() -> &'static (PathBuf, Vec<Truth>) {
    static BIG: OnceLock<(PathBuf, Vec<Truth>)> = OnceLock::new();
    BIG.get_or_init(|| {
        let dir = tmp("big");
        let m = generate(&opts(2026, 2000, dir.clone(), Preset::Full)).expect("generate");
        (dir, m.documents)
    })
}

fn cents(s: &Option<String>) -> i64 {
    let s = s.as_deref().expect("amount present");
    let neg = s.starts_with('-');
    let (a, b) = s
        .trim_start_matches('-')
        .split_once('.')
        .expect("two decimals");
    let v = a.parse::<i64>().unwrap() * 100 + b.parse::<i64>().unwrap();
    if neg { -v } else { v }
}

/// Percent string ("19", "5.5") to basis points.
fn bp(s: &str) -> i64 {
    match s.split_once('.') {
        Some((a, b)) => {
            a.parse::<i64>().unwrap() * 100 + format!("{b:0<2}").parse::<i64>().unwrap()
        }
        None => s.parse::<i64>().unwrap() * 100,
    }
}

fn round_div(n: i64, d: i64) -> i64 {
    let q = n / d;
    if 2 * (n % d).abs() >= d {
        q + n.signum()
    } else {
        q
    }
}

#[test]
fn same_options_give_byte_identical_output() {
    let a = tmp("det-a");
    let b = tmp("det-b");
    generate(&opts(7, 250, a.clone(), Preset::Full)).unwrap();
    generate(&opts(7, 250, b.clone(), Preset::Full)).unwrap();
    let list = |d: &PathBuf| {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        v.sort();
        v
    };
    let (la, lb) = (list(&a), list(&b));
    assert_eq!(la, lb);
    assert!(la.len() > 250);
    for f in &la {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f:?} differs"
        );
    }
    // A different seed gives a different set.
    let c = tmp("det-c");
    generate(&opts(8, 250, c.clone(), Preset::Full)).unwrap();
    assert_ne!(
        std::fs::read(a.join("truth.jsonl")).unwrap(),
        std::fs::read(c.join("truth.jsonl")).unwrap()
    );
    for d in [a, b, c] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn every_rule_is_planted_often_enough() {
    let (_, docs) = big();
    assert_eq!(docs.len(), 2000);
    for r in RULES {
        let n = docs
            .iter()
            .filter(|d| d.planted.iter().any(|p| p == r))
            .count();
        assert!(n >= 20, "{r}: only {n}");
    }
    let with = docs.iter().filter(|d| !d.planted.is_empty()).count();
    assert!((500..=800).contains(&with), "{with} planted documents");
    for b in ["pdf.incremental-edit", "date.weekend", "amount.round"] {
        assert!(
            docs.iter().any(|d| d.benign.iter().any(|x| x == b)),
            "benign {b}"
        );
    }
}

#[test]
fn truth_arithmetic_is_exact_unless_planted() {
    let (_, docs) = big();
    let mut checked = 0;
    for d in docs.iter().filter(|d| d.fields.gross_total.is_some()) {
        let f = &d.fields;
        let net = cents(&f.net_total);
        let tax = cents(&f.tax_total);
        let gross = cents(&f.gross_total);
        let due = cents(&f.amount_due);
        let lines: i64 = f
            .line_items
            .as_ref()
            .unwrap()
            .iter()
            .map(|l| cents(&l.net_amount))
            .sum();
        let line_ok = lines - cents(&d.discount) == net;
        let basis_ok = d
            .tax_breakdown
            .iter()
            .map(|t| cents(&Some(t.basis.clone())))
            .sum::<i64>()
            == net;
        let tax_ok = d.tax_breakdown.iter().all(|t| {
            cents(&Some(t.amount.clone()))
                == round_div(cents(&Some(t.basis.clone())) * bp(&t.rate), 10_000)
        }) && d
            .tax_breakdown
            .iter()
            .map(|t| cents(&Some(t.amount.clone())))
            .sum::<i64>()
            == tax;
        let totals_ok = net + tax == gross;
        let due_ok = gross - cents(&d.prepaid) == due;
        let has = |r: &str| d.planted.iter().any(|p| p == r);
        assert_eq!(
            line_ok && basis_ok,
            !has("math.line-sum"),
            "{}: line sum",
            d.file
        );
        assert_eq!(tax_ok, !has("math.tax"), "{}: tax", d.file);
        assert_eq!(totals_ok, !has("math.totals"), "{}: totals", d.file);
        assert_eq!(
            due_ok || has("math.totals"),
            !has("math.amount-due"),
            "{}: amount due",
            d.file
        );
        checked += 1;
    }
    assert!(checked > 1200, "{checked}");
}

#[test]
fn ids_are_valid_exactly_when_no_id_rule_is_planted() {
    let (dir, docs) = big();
    for d in docs.iter().filter(|d| d.fields.vendor_tax_id.is_some()) {
        let vat = d.fields.vendor_tax_id.as_deref().unwrap();
        let bad_vat = d.planted.iter().any(|p| p == "id.vat-invalid");
        assert_eq!(vat_valid(vat), !bad_vat, "{}: {vat}", d.file);
        if let Some(iban) = &d.fields.iban {
            let bad = d.planted.iter().any(|p| p == "id.iban-invalid");
            assert_eq!(iban_valid(iban), !bad, "{}: {iban}", d.file);
        }
    }
    let tenant: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("tenant.json")).unwrap()).unwrap();
    let vendors = tenant["vendors"].as_array().unwrap();
    assert_eq!(vendors.len(), 40);
    for v in vendors {
        for t in v["tax_ids"].as_array().unwrap() {
            assert!(vat_valid(t.as_str().unwrap()), "{t}");
        }
        for i in v["ibans"].as_array().unwrap() {
            assert!(iban_valid(i.as_str().unwrap()), "{i}");
        }
    }
    assert!(vat_valid(tenant["tax_ids"][0].as_str().unwrap()));
    assert_eq!(tenant["today"], "2026-11-26");
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn rfind(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).rposition(|w| w == n)
}

fn num_at(b: &[u8], mut i: usize) -> (usize, usize) {
    while b[i].is_ascii_whitespace() {
        i += 1;
    }
    let s = i;
    while b[i].is_ascii_digit() {
        i += 1;
    }
    (std::str::from_utf8(&b[s..i]).unwrap().parse().unwrap(), i)
}

/// Walks startxref → xref → /Prev, checking every in-use entry points at `N 0 obj`.
/// Returns the number of xref sections.
fn check_xref_chain(b: &[u8], name: &str) -> usize {
    let sx = rfind(b, b"startxref").unwrap_or_else(|| panic!("{name}: no startxref"));
    let (mut off, _) = num_at(b, sx + 9);
    let mut sections = 0;
    loop {
        sections += 1;
        assert!(sections < 10, "{name}: /Prev loop");
        assert!(b[off..].starts_with(b"xref"), "{name}: no xref at {off}");
        let mut i = off + 4;
        loop {
            while b[i].is_ascii_whitespace() {
                i += 1;
            }
            if b[i..].starts_with(b"trailer") {
                break;
            }
            let (first, j) = num_at(b, i);
            let (count, j) = num_at(b, j);
            i = j;
            while b[i] == b' ' || b[i] == b'\r' {
                i += 1;
            }
            i += 1; // end of subsection header line
            for k in 0..count {
                let e = &b[i + 20 * k..i + 20 * k + 20];
                let o: usize = std::str::from_utf8(&e[..10]).unwrap().parse().unwrap();
                if e[17] == b'n' {
                    let head = format!("{} 0 obj", first + k);
                    assert!(
                        b[o..].starts_with(head.as_bytes()),
                        "{name}: entry {} → {o}",
                        first + k
                    );
                }
            }
            i += 20 * count;
        }
        let end = find(&b[i..], b"startxref").unwrap() + i;
        let trailer = &b[i..end];
        match find(trailer, b"/Prev") {
            Some(p) => off = num_at(trailer, p + 5).0,
            None => break,
        }
    }
    sections
}

#[test]
fn pdf_xref_tables_and_update_chains_are_correct() {
    let (dir, docs) = big();
    let mut incremental = 0;
    for d in docs.iter().filter(|d| d.file.ends_with(".pdf")) {
        let b = std::fs::read(dir.join(&d.file)).unwrap();
        assert!(b.starts_with(b"%PDF-1.7"));
        let n = check_xref_chain(&b, &d.file);
        let edited = d.planted.iter().any(|p| p == "pdf.incremental-edit")
            || d.benign.iter().any(|p| p == "pdf.incremental-edit");
        assert_eq!(n >= 2, edited, "{}: {n} sections", d.file);
        if edited {
            incremental += 1;
        }
        if d.format == "scan" {
            assert!(find(&b, b"/Subtype /Image").is_some());
            assert!(find(&b, b"/Font").is_none());
        }
    }
    assert!(incremental >= 40);
}

#[test]
fn factur_x_embeds_the_truth_invoice_number() {
    let (dir, docs) = big();
    let fx: Vec<_> = docs.iter().filter(|d| d.format == "facturx").collect();
    assert!(fx.len() > 50);
    for d in fx {
        let b = std::fs::read(dir.join(&d.file)).unwrap();
        assert!(find(&b, b"/AFRelationship").is_some());
        assert!(find(&b, b"<pdfaid:part>3</pdfaid:part>").is_some());
        assert!(find(&b, b"/EmbeddedFiles").is_some());
        // The embedded file is Flate-compressed; inflate every stream until one is CII.
        let mut found = false;
        let mut i = 0;
        while let Some(p) = find(&b[i..], b">>\nstream\n") {
            let s = i + p + 10;
            let e = s + find(&b[s..], b"\nendstream").unwrap();
            if let Ok(x) = miniz_oxide::inflate::decompress_to_vec_zlib(&b[s..e])
                && find(&x, b"CrossIndustryInvoice").is_some()
            {
                let want = format!(
                    "<ram:ID>{}</ram:ID>",
                    d.fields.invoice_number.as_ref().unwrap()
                );
                assert!(find(&x, want.as_bytes()).is_some(), "{}", d.file);
                found = true;
            }
            i = e;
        }
        assert!(found, "{}: no CII", d.file);
    }
}

#[test]
fn duplicates_follow_their_originals() {
    let (dir, docs) = big();
    for (k, d) in docs.iter().enumerate() {
        if d.planted.iter().any(|p| p == "duplicate.same-file") {
            let bytes = std::fs::read(dir.join(&d.file)).unwrap();
            let orig = docs[..k]
                .iter()
                .find(|o| std::fs::read(dir.join(&o.file)).unwrap() == bytes);
            assert!(orig.is_some(), "{} has no earlier twin", d.file);
        }
        if d.planted.iter().any(|p| p == "duplicate.exact") {
            let earlier = docs[..k].iter().any(|o| {
                o.vendor_id == d.vendor_id && o.fields.invoice_number == d.fields.invoice_number
            });
            assert!(earlier, "{}", d.file);
        }
    }
}

#[test]
fn clean_preset_plants_nothing_and_demo_is_varied() {
    let dir = tmp("clean");
    let m = generate(&opts(3, 300, dir.clone(), Preset::Clean)).unwrap();
    assert!(m.documents.iter().all(|d| d.planted.is_empty()));
    assert!(m.documents.iter().any(|d| !d.benign.is_empty()));
    let _ = std::fs::remove_dir_all(dir);

    let dir = tmp("demo");
    let m = generate(&opts(1, 12, dir.clone(), Preset::Demo)).unwrap();
    let formats: std::collections::BTreeSet<_> =
        m.documents.iter().map(|d| d.format.as_str()).collect();
    for f in ["pdf", "facturx", "ubl", "scan"] {
        assert!(formats.contains(f), "demo lacks {f}");
    }
    for r in [
        "duplicate.same-file",
        "pdf.incremental-edit",
        "bank.iban-changed",
    ] {
        assert!(m.planted_count(r) >= 1, "demo lacks {r}");
    }
    assert!(m.documents.iter().any(|d| d.kind == "reminder"));
    let langs: std::collections::BTreeSet<_> =
        m.documents.iter().map(|d| d.language.as_str()).collect();
    assert!(langs.len() >= 3);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn holdout_uses_layouts_dev_never_uses() {
    let (_, dev) = big();
    let dir = tmp("holdout");
    let mut o = opts(2026, 300, dir.clone(), Preset::Full);
    o.split = Split::Holdout;
    let m = generate(&o).unwrap();
    for only in ["stacked", "sidebar"] {
        assert!(dev.iter().all(|d| d.layout != only));
        assert!(m.documents.iter().any(|d| d.layout == only));
    }
    assert!(m.documents.iter().all(|d| d.split == "holdout"));
    let _ = std::fs::remove_dir_all(dir);
}

/// The text runs a reader shows: every literal string of every page content stream
/// (Flate streams without a /Type, i.e. not XMP, embedded files or images). An
/// incremental edit adds a replacement stream; keeping the superseded one too only
/// widens the haystack, and the checks below look for the truth value, which is
/// always the final revision's.
fn pdf_text_runs(b: &[u8]) -> Vec<String> {
    let mut runs = Vec::new();
    let mut from = 0;
    while let Some(p) = find(&b[from..], b">>\nstream\n") {
        let dict_end = from + p;
        let body = dict_end + 10;
        from = body;
        let Some(ds) = rfind(&b[dict_end.saturating_sub(200)..dict_end], b"<<") else {
            continue;
        };
        let dict = &b[dict_end.saturating_sub(200) + ds..dict_end];
        if find(dict, b"/FlateDecode").is_none() || find(dict, b"/Type").is_some() {
            continue;
        }
        let (len, _) = num_at(dict, find(dict, b"/Length").unwrap() + 7);
        let Ok(data) = miniz_oxide::inflate::decompress_to_vec_zlib(&b[body..body + len]) else {
            continue;
        };
        runs.extend(literal_strings(&data));
        from = body + len;
    }
    runs
}

/// Literal strings `( … )` of a content stream, escapes resolved, bytes read as
/// Latin-1 (ids are ASCII, so the WinAnsi differences do not matter here).
fn literal_strings(c: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        if c[i] != b'(' {
            i += 1;
            continue;
        }
        i += 1;
        let mut s = String::new();
        while i < c.len() && c[i] != b')' {
            if c[i] == b'\\' && i + 1 < c.len() {
                if c[i + 1].is_ascii_digit() {
                    let end = (i + 4).min(c.len());
                    let oct = std::str::from_utf8(&c[i + 1..end]).unwrap();
                    s.push(char::from(u8::from_str_radix(oct, 8).unwrap()));
                    i = end;
                } else {
                    s.push(char::from(c[i + 1]));
                    i += 2;
                }
            } else {
                s.push(char::from(c[i]));
                i += 1;
            }
        }
        out.push(s);
        i += 1;
    }
    out
}

/// An id compared the way a reader would: letters and digits only, so that the
/// display forms `CHE-123.456.789 MWST` and `12-3456789` match `CHE123456789`.
fn id_chars(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Every PDF of `docs` whose truth has a seller VAT id shows that id in its text
/// (in one run), and every `id.vat-invalid` document shows its invalid id.
/// Returns (checked PDFs, checked vat-invalid documents).
fn assert_seller_vat_visible(dir: &std::path::Path, docs: &[Truth]) -> (usize, usize) {
    let (mut pdfs, mut invalid) = (0, 0);
    for d in docs {
        let planted = d.planted.iter().any(|p| p == "id.vat-invalid");
        let Some(vat) = d.fields.vendor_tax_id.as_deref() else {
            assert!(
                !planted,
                "{}: id.vat-invalid planted but no vendor_tax_id",
                d.file
            );
            continue;
        };
        let want = id_chars(vat);
        let b = std::fs::read(dir.join(&d.file)).unwrap();
        if d.file.ends_with(".pdf") {
            let runs = pdf_text_runs(&b);
            assert!(!runs.is_empty(), "{}: no text", d.file);
            assert!(
                runs.iter().any(|r| id_chars(r).contains(&want)),
                "{} ({} layout, {}): seller VAT id {vat} not in the visible text",
                d.file,
                d.layout,
                d.format
            );
            pdfs += 1;
        } else {
            assert!(find(&b, vat.as_bytes()).is_some(), "{}: {vat}", d.file);
        }
        if planted {
            invalid += 1;
        }
    }
    (pdfs, invalid)
}

#[test]
fn every_pdf_shows_the_seller_vat_id_of_its_truth() {
    let (dir, docs) = big();
    let (pdfs, invalid) = assert_seller_vat_visible(dir, docs);
    assert!(pdfs > 1000, "{pdfs}");
    assert!(invalid >= 20, "{invalid}");
    for layout in [
        "label-value",
        "table",
        "two-column",
        "totals-box",
        "letter",
        "compact",
    ] {
        assert!(
            docs.iter()
                .any(|d| d.layout == layout && d.fields.vendor_tax_id.is_some()),
            "{layout}"
        );
    }
    let hold = tmp("vat-holdout");
    let mut o = opts(2026, 400, hold.clone(), Preset::Full);
    o.split = Split::Holdout;
    let m = generate(&o).unwrap();
    let (pdfs, _) = assert_seller_vat_visible(&hold, &m.documents);
    assert!(pdfs > 150, "{pdfs}");
    for layout in ["stacked", "sidebar"] {
        assert!(m.documents.iter().any(|d| d.layout == layout));
    }
    let _ = std::fs::remove_dir_all(hold);
}
