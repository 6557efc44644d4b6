//! pdf.incremental-edit, pdf.producer-changed, pdf.metadata-mismatch, pdf.font-anomaly.
use std::collections::BTreeMap;

use papyr_sdk::types::{DocumentFormat, Finding, Severity};

use crate::util::{Ctx, ev, finding, parse_instant};

/// Producers often write local wall-clock time with a wrong or missing UTC offset,
/// which shifts CreationDate by up to a day (offsets span −12 h … +14 h). Only a
/// creation time later than that is a real contradiction with the arrival.
const CREATED_AFTER_ARRIVAL_SLACK: i64 = 26 * 3600;

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let p = &ctx.input.parsed;
    if p.format != DocumentFormat::Pdf {
        return;
    }
    if ctx.cfg.enabled("pdf.incremental-edit") {
        incremental(ctx, out);
    }
    if ctx.cfg.enabled("pdf.producer-changed") {
        producer(ctx, out);
    }
    if ctx.cfg.enabled("pdf.metadata-mismatch") {
        metadata(ctx, out);
    }
    if ctx.cfg.enabled("pdf.font-anomaly") {
        fonts(ctx, out);
    }
}

fn incremental(ctx: &Ctx, out: &mut Vec<Finding>) {
    let p = &ctx.input.parsed;
    // edit_count already excludes linearisation and a final signature-only update.
    if p.edit_count == 0 {
        return;
    }
    let rewriting: Vec<_> = p
        .revisions
        .iter()
        .filter(|r| r.index > 0 && r.rewrites_content && !r.signature_only)
        .collect();
    if rewriting.is_empty() {
        return;
    }
    let mut e = vec![ev("edits after creation", p.edit_count.to_string())];
    for r in rewriting.iter().take(5) {
        e.push(ev(
            &format!("revision {}", r.index),
            format!(
                "replaces {} object(s) incl. page content{}",
                r.objects_replaced,
                r.producer
                    .as_deref()
                    .map(|x| format!(", saved by {x}"))
                    .unwrap_or_default()
            ),
        ));
    }
    out.push(finding(
        "pdf.incremental-edit",
        Severity::High,
        if rewriting.len() > 1 { 80 } else { 70 },
        format!(
            "The PDF was changed after it was created: {} later update(s) rewrite page content or fonts.",
            rewriting.len()
        ),
        e,
    ));
}

/// A producer string reduced to the program name (versions and punctuation dropped)
/// so that `Foo 2.1` and `Foo 2.2` count as the same program.
fn program(s: &str) -> String {
    s.to_lowercase()
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.len() > 1)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Known PDF editors (not creators of invoices).
fn editor(s: &str) -> Option<&'static str> {
    let l = s.to_lowercase();
    if l.contains("ilovepdf") {
        Some("iLovePDF")
    } else if l.contains("smallpdf") {
        Some("Smallpdf")
    } else if l.contains("sejda") {
        Some("Sejda")
    } else if l.contains("pdf-xchange") || l.contains("pdfxchange") {
        Some("PDF-XChange")
    } else if l.contains("acrobat")
        && !l.contains("distiller")
        && !l.contains("pdfmaker")
        && !l.contains("paper capture")
        && !l.contains("pdf library")
    {
        Some("Adobe Acrobat")
    } else if l.contains("quartz") || l.contains("preview") {
        Some("macOS Preview")
    } else if l.contains("pdfescape") || l.contains("foxit phantom") || l.contains("nitro pro") {
        Some("a PDF editor")
    } else {
        None
    }
}

/// Creators that are not invoicing systems: a Mac word processor printing via
/// Quartz, or an editor itself.
fn personal_creator(c: &str) -> bool {
    let l = c.to_lowercase();
    editor(c).is_some()
        || [
            "pages", "keynote", "numbers", "textedit", "safari", "chrome", "firefox",
        ]
        .iter()
        .any(|w| l.split(|ch: char| !ch.is_alphanumeric()).any(|t| t == *w))
}

fn producer(ctx: &Ctx, out: &mut Vec<Finding>) {
    let m = &ctx.input.parsed.metadata;
    let revs = &ctx.input.parsed.revisions;
    let first = revs
        .iter()
        .find_map(|r| r.producer.clone())
        .or_else(|| m.first_producer.clone());
    // A signing tool's producer in a signature-only update is not an edit.
    let signed_producer = revs
        .iter()
        .any(|r| r.signature_only && r.producer.is_some());
    let last = revs
        .iter()
        .rev()
        .filter(|r| !r.signature_only)
        .find_map(|r| r.producer.clone())
        .or_else(|| {
            if signed_producer {
                None
            } else {
                m.producer.clone()
            }
        });
    let mut e = Vec::new();
    let mut msg = None;
    let mut sev = (Severity::Low, 20);
    if let (Some(f), Some(l)) = (&first, &last)
        && program(f) != program(l)
        && !program(f).is_empty()
    {
        e.push(ev("first producer", f.clone()));
        e.push(ev("last producer", l.clone()));
        msg = Some(format!(
            "The PDF was first produced by \"{f}\" and later re-saved by \"{l}\"."
        ));
        if editor(l).is_some() {
            sev = (Severity::Medium, 35);
        }
    }
    let current = last.clone().or_else(|| m.xmp_producer.clone());
    let creator = m.creator.clone().or_else(|| m.xmp_creator_tool.clone());
    if let (Some(cur), Some(cr)) = (&current, &creator)
        && let Some(ed) = editor(cur)
        && !personal_creator(cr)
        && !cr.trim().is_empty()
    {
        if msg.is_none() {
            e.push(ev("producer", cur.clone()));
            msg = Some(format!(
                "The PDF was created by \"{cr}\" but last saved with {ed}, a PDF editor."
            ));
        }
        e.push(ev("creator", cr.clone()));
        sev = (Severity::Medium, 35);
    }
    if let Some(msg) = msg {
        out.push(finding("pdf.producer-changed", sev.0, sev.1, msg, e));
    }
}

fn metadata(ctx: &Ctx, out: &mut Vec<Finding>) {
    let m = &ctx.input.parsed.metadata;
    let mut problems = Vec::new();
    let mut e = Vec::new();
    if let (Some(a), Some(b)) = (&m.mod_date, &m.xmp_modify_date)
        && let (Some(x), Some(y)) = (parse_instant(a), parse_instant(b))
        && (x - y).abs() > 60
    {
        problems.push("the Info and XMP modification dates differ");
        e.push(ev("ModDate / xmp:ModifyDate", format!("{a} / {b}")));
    }
    if let (Some(a), Some(b)) = (&m.producer, &m.xmp_producer)
        && program(a) != program(b)
    {
        problems.push("the Info and XMP producers differ");
        e.push(ev("Producer / pdf:Producer", format!("{a} / {b}")));
    }
    let created = m.creation_date.as_deref().and_then(parse_instant);
    if let (Some(c), Some(md)) = (created, m.mod_date.as_deref().and_then(parse_instant))
        && md - c > 86_400
    {
        problems.push("it was modified more than a day after it was created");
        e.push(ev(
            "CreationDate / ModDate",
            format!(
                "{} / {}",
                m.creation_date.clone().unwrap_or_default(),
                m.mod_date.clone().unwrap_or_default()
            ),
        ));
    }
    if let (Some(c), Some(r)) = (
        created,
        ctx.input
            .document
            .origin
            .received_at
            .as_deref()
            .and_then(parse_instant),
    ) && c > r + CREATED_AFTER_ARRIVAL_SLACK
    {
        problems.push("it claims to have been created after the email arrived");
        e.push(ev(
            "CreationDate / received",
            format!(
                "{} / {}",
                m.creation_date.clone().unwrap_or_default(),
                ctx.input
                    .document
                    .origin
                    .received_at
                    .clone()
                    .unwrap_or_default()
            ),
        ));
    }
    if problems.is_empty() {
        return;
    }
    out.push(finding(
        "pdf.metadata-mismatch",
        Severity::Low,
        (10 * problems.len() as u32).min(30),
        format!(
            "The PDF's metadata is inconsistent: {}.",
            problems.join("; ")
        ),
        e,
    ));
}

/// The 14 standard fonts every viewer has; not embedding them is normal.
fn standard14(base: &str) -> bool {
    let b = base.to_lowercase();
    [
        "helvetica",
        "times",
        "courier",
        "symbol",
        "zapfdingbats",
        "arial",
        "timesnewroman",
        "couriernew",
    ]
    .iter()
    .any(|s| b.starts_with(s))
}

fn fonts(ctx: &Ctx, out: &mut Vec<Finding>) {
    let fonts = &ctx.input.parsed.fonts;
    let mut tags: BTreeMap<String, Vec<(&str, &[u32])>> = BTreeMap::new();
    for f in fonts {
        let (tag, name) = match f.base_font.split_once('+') {
            Some((t, n)) if t.len() == 6 && t.chars().all(|c| c.is_ascii_uppercase()) => {
                (Some(t), n)
            }
            _ => (f.subset_tag.as_deref(), f.base_font.as_str()),
        };
        if let Some(t) = tag.or(f.subset_tag.as_deref()) {
            let v = tags.entry(name.to_string()).or_default();
            if !v.iter().any(|(x, _)| *x == t) {
                v.push((t, &f.pages));
            }
        }
    }
    let mut e = Vec::new();
    let mut reasons = Vec::new();
    for (name, t) in &tags {
        if t.len() >= 2 {
            let list: Vec<String> = t
                .iter()
                .map(|(tag, pages)| format!("{tag}+{name} (pages {pages:?})"))
                .collect();
            e.push(ev("font subsets", list.join(", ")));
            reasons.push(format!(
                "the font {name} is embedded {} times with different subsets",
                t.len()
            ));
        }
    }
    let any_embedded = fonts.iter().any(|f| f.embedded);
    let odd: Vec<&str> = fonts
        .iter()
        .filter(|f| {
            !f.embedded
                && f.subtype != "/Type3"
                && f.subtype != "Type3"
                && !standard14(f.base_font.trim_start_matches('/'))
        })
        .map(|f| f.base_font.as_str())
        .collect();
    if any_embedded && !odd.is_empty() {
        e.push(ev("not embedded", odd.join(", ")));
        reasons.push(format!(
            "{} font(s) are not embedded while the others are",
            odd.len()
        ));
    }
    if reasons.is_empty() {
        return;
    }
    let two_subsets = tags.values().any(|t| t.len() >= 2);
    out.push(finding(
        "pdf.font-anomaly",
        if two_subsets {
            Severity::Medium
        } else {
            Severity::Low
        },
        if two_subsets { 40 } else { 20 },
        format!("Text may have been edited: {}.", reasons.join("; ")),
        e,
    ));
}
