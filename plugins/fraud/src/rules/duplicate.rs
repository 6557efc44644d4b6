//! duplicate.exact, duplicate.same-file, duplicate.near.
use std::collections::BTreeSet;

use papyr_sdk::history::PastInvoice;
use papyr_sdk::types::{Evidence, Finding, Severity};

use crate::util::{Ctx, days, ev, finding, money_str, parse_date_prefix};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let inv = &ctx.input.invoice;
    let mut same_file: BTreeSet<String> = BTreeSet::new();

    if ctx.cfg.enabled("duplicate.same-file") && !ctx.input.document.sha256.is_empty() {
        let earlier = ctx.hist.invoices_by_sha256(&ctx.input.document.sha256);
        if let Some(first) = earlier.first() {
            same_file.extend(earlier.iter().map(|p| p.id.clone()));
            let mut e = vec![ev("file sha256", ctx.input.document.sha256.clone())];
            e.extend(earlier.iter().take(5).map(past_ev));
            out.push(finding(
                "duplicate.same-file",
                Severity::Critical,
                95,
                format!(
                    "This exact file was already received as document {} (received {}, status {}).",
                    first.id, first.received_at, first.status
                ),
                e,
            ));
        }
    }

    let Some(number) = inv
        .invoice_number
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    else {
        return;
    };
    let want_exact = ctx.cfg.enabled("duplicate.exact");
    let want_near = ctx.cfg.enabled("duplicate.near");
    if !want_exact && !want_near {
        return;
    }
    // A number the extractor only guessed (no label, confidence below one half) cannot
    // establish that two invoices are the same one: it may be a customer or order id
    // printed on every invoice of the vendor.
    let guessed = inv
        .evidence
        .iter()
        .find(|e| e.field == "invoice_number")
        .is_some_and(|e| e.confidence < 0.5);
    if guessed {
        return;
    }
    let norm = papyr_sdk::normalize_invoice_number(number);
    let past = ctx.vendor_invoices();

    // A byte-identical copy also repeats the invoice number: it is an exact duplicate
    // too (same-file is the stronger finding; both point at the same earlier document).
    let exact: Vec<&PastInvoice> = past
        .iter()
        .filter(|p| {
            p.invoice_number
                .as_deref()
                .is_some_and(|n| papyr_sdk::normalize_invoice_number(n) == norm)
        })
        .collect();
    if want_exact && let Some(first) = exact.first() {
        let same_date = matches!((&inv.issue_date, &first.issue_date), (Some(a), Some(b)) if days(a) == days(b));
        let mut e = vec![ctx.field_ev("invoice number", "invoice_number", number)];
        if let Some(v) = &inv.vendor.tax_id {
            e.push(ctx.field_ev("seller VAT id", "vendor_tax_id", v.clone()));
        }
        e.extend(exact.iter().take(5).map(|p| past_ev(p)));
        let also = if same_date {
            " with the same issue date"
        } else {
            ""
        };
        out.push(finding(
            "duplicate.exact",
            Severity::High,
            if same_date { 90 } else { 80 },
            format!(
                "Invoice number {number} from this vendor was already received{also} as document {} (status {}).",
                first.id, first.status
            ),
            e,
        ));
    }
    // A document that is an exact duplicate is not reported again as a near one.
    if !want_near || !exact.is_empty() || !same_file.is_empty() {
        return;
    }
    let (Some(gross), Some(issue)) = (&inv.gross_total, &inv.issue_date) else {
        return;
    };
    let window = ctx.cfg.near_duplicate_days;
    let fold_this = ocr_fold(&norm);
    let core_this = core_number(number);
    for p in past {
        let Some(pn) = p.invoice_number.as_deref() else {
            continue;
        };
        let Some(pg) = &p.gross_total else { continue };
        if pg.minor != gross.minor || pg.currency != gross.currency {
            continue;
        }
        let pdate = p.issue_date.or_else(|| parse_date_prefix(&p.received_at));
        let Some(pdate) = pdate else { continue };
        let gap = (days(issue) - days(&pdate)).abs();
        if gap > window {
            continue;
        }
        let pnorm = papyr_sdk::normalize_invoice_number(pn);
        let how = if ocr_fold(&pnorm) == fold_this {
            "equal after folding OCR-confusable characters"
        } else if core_number(pn) == norm || core_this == pnorm {
            "equal after dropping a prefix or suffix"
        } else if crate::util::dl_distance(&pnorm, &norm, 2) <= 2
            && !looks_sequential(&pnorm, &norm, gap)
        {
            "within two typing edits"
        } else {
            continue;
        };
        let e = vec![
            ctx.field_ev("invoice number", "invoice_number", number),
            ctx.field_ev("gross total", "gross_total", money_str(gross)),
            past_ev(p),
            ev("earlier issue date", papyr_sdk::date_to_string(&pdate)),
        ];
        out.push(finding(
            "duplicate.near",
            Severity::High,
            70,
            format!(
                "Same vendor and amount ({}) as document {} from {gap} day(s) apart, and the invoice numbers {number} / {pn} are {how}.",
                money_str(gross),
                p.id
            ),
            e,
        ));
        return;
    }
}

fn past_ev(p: &PastInvoice) -> Evidence {
    let mut v = format!("document {}", p.id);
    if let Some(n) = &p.invoice_number {
        v.push_str(&format!(", number {n}"));
    }
    if let Some(d) = &p.issue_date {
        v.push_str(&format!(", issued {}", papyr_sdk::date_to_string(d)));
    }
    if let Some(g) = &p.gross_total {
        v.push_str(&format!(", {}", money_str(g)));
    }
    v.push_str(&format!(", status {}", p.status));
    ev("earlier document", v)
}

/// Map the characters OCR confuses (O↔0, I/l↔1, S↔5, B↔8) to one representative,
/// on normalised (upper-case) numbers.
pub fn ocr_fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            'S' => '5',
            'B' => '8',
            c => c,
        })
        .collect::<String>()
        .trim_start_matches('0')
        .to_string()
}

/// A raw invoice number without its prefix — a usual word (`INVOICE`, `RE `, `Nr.`)
/// or any short series code of up to four letters before a separator (`SR-`, `INV-`)
/// — and without a short copy suffix after a separator (`/1`, `-A`), normalised.
pub fn core_number(raw: &str) -> String {
    const PREFIXES: &[&str] = &[
        "INVOICE", "RECHNUNG", "FACTURE", "FACTURA", "FATTURA", "FACTUUR",
    ];
    let up = raw.trim().to_uppercase();
    let mut s: &str = &up;
    let strip = |s: &str, p: &str| -> Option<String> {
        let r = s.strip_prefix(p)?;
        r.starts_with(|c: char| !c.is_alphanumeric()).then(|| {
            r.trim_start_matches(|c: char| !c.is_alphanumeric())
                .to_string()
        })
    };
    let letters = s.chars().take_while(char::is_ascii_alphabetic).count();
    let stripped = PREFIXES.iter().find_map(|p| strip(s, p)).or_else(|| {
        (1..=4)
            .contains(&letters)
            .then(|| strip(s, &s[..letters]))
            .flatten()
    });
    let owned;
    if let Some(r) = stripped
        && r.chars().any(|c| c.is_ascii_digit())
    {
        owned = r;
        s = &owned;
    }
    if let Some(k) = s.rfind(['/', '-', '_', ' ', '.']) {
        let (head, tail) = (&s[..k], &s[k + 1..]);
        let tail_ok =
            (1..=2).contains(&tail.len()) && tail.chars().all(|c| c.is_ascii_alphanumeric());
        if tail_ok && head.chars().filter(|c| c.is_alphanumeric()).count() >= 3 {
            s = head;
        }
    }
    papyr_sdk::normalize_invoice_number(s)
}

/// Recurring invoices of a subscription carry consecutive numbers and the same
/// amount a billing period apart; a number that is just the next in sequence weeks
/// later is not a re-submission.
fn looks_sequential(a: &str, b: &str, gap_days: i64) -> bool {
    if gap_days < 20 {
        return false;
    }
    let split = |s: &str| {
        let digits = s.chars().rev().take_while(char::is_ascii_digit).count();
        let (head, tail) = s.split_at(s.len() - digits);
        (head.to_string(), tail.parse::<u64>().ok())
    };
    let (ha, ta) = split(a);
    let (hb, tb) = split(b);
    matches!((ta, tb), (Some(x), Some(y)) if ha == hb && x != y && x.abs_diff(y) <= 12)
}
