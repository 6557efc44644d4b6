//! Papyr built-in classify stage: decides what a document is (invoice, credit note,
//! reminder, statement, receipt, purchase order, quote, newsletter, other).
//!
//! Evidence, strongest first: a structured e-invoice (its root and type code); the
//! document's title (large-font or short heading lines near the top of page 1, in six
//! languages); keywords in the running text; invoice fields (invoice-number label, due
//! date, VAT, a valid IBAN, amount due); the email subject, file name and body.
//! Non-invoices are kept by the host, so a wrong `other` costs more than a wrong
//! `invoice`: mixed evidence leans to invoice with a lower confidence.
mod einvoice;
pub mod keywords;
pub mod text;

use keywords::*;
use papyr_sdk::types::{Classification, DocumentInfo, DocumentKind, ParsedDocument, StageError};

/// The kinds in score-array order.
pub const KINDS: [DocumentKind; KIND_COUNT] = [
    DocumentKind::Invoice,
    DocumentKind::CreditNote,
    DocumentKind::Reminder,
    DocumentKind::Statement,
    DocumentKind::Receipt,
    DocumentKind::PurchaseOrder,
    DocumentKind::Quote,
    DocumentKind::Newsletter,
    DocumentKind::Other,
];

/// Names used in reasons and config keys (`extra_<name>_keywords`).
pub const KIND_NAMES: [&str; KIND_COUNT] = [
    "invoice",
    "credit_note",
    "reminder",
    "statement",
    "receipt",
    "purchase_order",
    "quote",
    "newsletter",
    "other",
];

/// Pages and lines looked at; titles and keywords sit at the start of a document, and
/// a hostile document must not make classification expensive.
const MAX_PAGES: usize = 4;
const MAX_LINES_PER_PAGE: usize = 400;
const MAX_CHARS: usize = 200_000;
const MAX_CONTEXT_CHARS: usize = 8_000;
const MAX_LINE_CHARS: usize = 4_000;
/// What body keywords of one kind can add at most, so that a statement listing forty
/// invoices does not become an invoice.
const BODY_CAP: f32 = 4.0;

/// Tenant configuration: extra keywords per kind.
#[derive(Debug, Default, Clone)]
pub struct Config {
    pub extra: text::Extra,
}

impl Config {
    /// From the plugin's config entries: `extra_<kind>_keywords` = comma- or
    /// semicolon-separated phrases. Unknown keys are ignored.
    pub fn from_entries(entries: &[(String, String)]) -> Result<Self, StageError> {
        let mut extra = Vec::new();
        for (key, value) in entries {
            let Some(kind) = key
                .strip_prefix("extra_")
                .and_then(|k| k.strip_suffix("_keywords"))
            else {
                continue;
            };
            let idx = KIND_NAMES.iter().position(|n| *n == kind).ok_or_else(|| {
                StageError::Config(format!(
                    "config key `{key}`: unknown kind `{kind}` (one of {})",
                    KIND_NAMES.join(", ")
                ))
            })?;
            for phrase in value.split([',', ';']) {
                let toks = text::tokens(phrase);
                if !toks.is_empty() {
                    extra.push((toks, idx));
                }
            }
        }
        Ok(Config { extra })
    }
}

struct Classify;

impl papyr_sdk::classifier::Guest for Classify {
    fn classify(doc: DocumentInfo, parsed: ParsedDocument) -> Result<Classification, StageError> {
        let cfg = Config::from_entries(&papyr_sdk::config::entries())?;
        Ok(classify_document(&doc, &parsed, &cfg))
    }
}

papyr_sdk::classifier::export_classifier!(Classify);

/// Per-kind evidence gathered from one source.
#[derive(Default)]
struct Scores {
    heading: [f32; KIND_COUNT],
    body: [f32; KIND_COUNT],
    context: [f32; KIND_COUNT],
    /// The strongest heading hit per kind: (weight, text).
    heading_reason: [Option<(f32, String)>; KIND_COUNT],
    body_hits: [u32; KIND_COUNT],
    body_example: [Option<String>; KIND_COUNT],
    context_reason: [Option<String>; KIND_COUNT],
}

/// Invoice fields seen in the text.
#[derive(Default)]
struct Signals {
    invoice_number_label: bool,
    due_date: bool,
    vat: bool,
    iban: bool,
    amount_due: bool,
    amounts: usize,
}

impl Signals {
    fn count(&self) -> usize {
        [
            self.invoice_number_label,
            self.due_date,
            self.vat,
            self.iban,
            self.amount_due,
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }

    /// Money is asked for or accounted: not a newsletter.
    fn money(&self) -> bool {
        self.iban || self.amount_due || self.invoice_number_label || self.amounts >= 3
    }

    fn describe(&self) -> String {
        let mut v = Vec::new();
        if self.invoice_number_label {
            v.push("invoice-number label");
        }
        if self.due_date {
            v.push("due date");
        }
        if self.vat {
            v.push("VAT");
        }
        if self.iban {
            v.push("valid IBAN");
        }
        if self.amount_due {
            v.push("amount due");
        }
        format!("invoice fields: {}", v.join(", "))
    }
}

/// Classify a document. Never fails: without evidence the answer is `other` with a low
/// confidence.
pub fn classify_document(
    doc: &DocumentInfo,
    parsed: &ParsedDocument,
    cfg: &Config,
) -> Classification {
    if let Some((kind, confidence, reason)) = parsed.e_invoice.as_ref().and_then(einvoice::classify)
    {
        return Classification {
            kind: KINDS[kind],
            confidence,
            reasons: vec![reason],
        };
    }

    let mut s = Scores::default();
    let mut sig = Signals::default();
    let text_chars = scan_pages(parsed, cfg, &mut s, &mut sig);
    scan_context(doc, cfg, &mut s);

    if text_chars == 0 {
        return without_text(doc, &s);
    }
    decide(&mut s, &sig)
}

/// Walk the text: headings, body keywords and invoice fields. Returns the characters
/// seen.
fn scan_pages(parsed: &ParsedDocument, cfg: &Config, s: &mut Scores, sig: &mut Signals) -> usize {
    let mut chars = 0;
    for (pi, page) in parsed.pages.iter().take(MAX_PAGES).enumerate() {
        let lines = &page.lines[..page.lines.len().min(MAX_LINES_PER_PAGE)];
        let layout = Layout::of(page.height, lines);
        for (li, line) in lines.iter().enumerate() {
            if chars >= MAX_CHARS {
                return chars;
            }
            // A real line is short; a hostile one must not cost more than a page.
            let text = clip_bytes(line.text.trim(), MAX_LINE_CHARS);
            if text.is_empty() {
                continue;
            }
            chars += text.len();
            let toks = text::tokens(text);
            scan_signals(text, &toks, sig);
            let mode = layout.heading_mode(pi, li, line);
            let segs = if mode == Heading::Uniform {
                segments(text)
            } else {
                Vec::new()
            };
            for hit in text::find_hits(&toks, &cfg.extra) {
                let k = hit.kind;
                let w = match mode {
                    Heading::Big(w) => w * if hit.order == 0 { 1.0 } else { 0.4 },
                    // Table rows and headers have several columns; a title has one or two.
                    Heading::Uniform if segs.len() > 2 => 0.0,
                    Heading::Uniform => segs
                        .iter()
                        .find(|sg| sg.start == hit.at && !sg.colon)
                        .map_or(0.0, |sg| match sg.words {
                            0..=3 => 5.0,
                            4..=6 => 3.5,
                            _ => 0.0,
                        }),
                    Heading::No => 0.0,
                };
                if w > 0.0 {
                    // The strongest title counts, not how often a word is repeated.
                    s.heading[k] = s.heading[k].max(w);
                    if s.heading_reason[k].as_ref().is_none_or(|(bw, _)| w > *bw) {
                        s.heading_reason[k] =
                            Some((w, format!("title '{}' on page {}", clip(text, 40), pi + 1)));
                    }
                } else if hit.body_weight > 0.0 {
                    s.body[k] = (s.body[k] + hit.body_weight).min(BODY_CAP);
                    s.body_hits[k] += 1;
                    if s.body_example[k].is_none() {
                        s.body_example[k] = Some(hit.phrase.clone());
                    }
                }
            }
        }
    }
    chars
}

fn scan_signals(text: &str, toks: &[String], sig: &mut Signals) {
    let flags = text::label_flags(toks);
    sig.invoice_number_label |= flags & text::LABEL_INVOICE_NUMBER != 0;
    sig.due_date |= flags & text::LABEL_DUE_DATE != 0;
    sig.vat |= flags & text::LABEL_VAT != 0;
    sig.amount_due |= flags & text::LABEL_AMOUNT_DUE != 0;
    if !sig.iban && text.len() >= 15 {
        sig.iban = text::has_iban(text);
    }
    sig.amounts += text::amount_count(text);
}

/// Font sizes and positions of a page, to tell titles from running text.
struct Layout {
    /// The most common span size on the page (by characters), 0 when unknown.
    body_size: f32,
    /// The largest line size in the top region.
    max_top: f32,
    height: f32,
}

impl Layout {
    fn of(height: f32, lines: &[papyr_sdk::types::TextLine]) -> Self {
        // Sizes bucketed to half points; ties go to the smaller size (running text).
        let mut buckets: Vec<(i32, usize)> = Vec::new();
        for span in lines.iter().flat_map(|l| &l.spans) {
            if span.size.is_finite() && span.size > 0.0 && span.size < 1000.0 {
                let b = (span.size * 2.0).round() as i32;
                let n = span.text.chars().filter(|c| !c.is_whitespace()).count();
                match buckets.iter_mut().find(|(k, _)| *k == b) {
                    Some((_, c)) => *c += n,
                    None => buckets.push((b, n)),
                }
            }
        }
        buckets.sort();
        let body_size = buckets
            .iter()
            .rev()
            .max_by_key(|(_, n)| *n)
            .map_or(0.0, |(b, _)| *b as f32 / 2.0);
        let height = if height.is_finite() && height > 0.0 {
            height
        } else {
            0.0
        };
        let mut l = Layout {
            body_size,
            max_top: 0.0,
            height,
        };
        l.max_top = lines
            .iter()
            .enumerate()
            .filter(|(i, line)| l.in_top(*i, line))
            .map(|(_, line)| line_size(line))
            .fold(0.0, f32::max);
        l
    }

    fn in_top(&self, index: usize, line: &papyr_sdk::types::TextLine) -> bool {
        if self.height > 0.0 && line.y.is_finite() && line.y > 0.0 {
            line.y <= self.height * 0.5
        } else {
            index < 20
        }
    }

    /// How a line can be a title: by a larger font (with its weight), as a short
    /// line in a page of uniform type, or not at all.
    fn heading_mode(
        &self,
        page: usize,
        index: usize,
        line: &papyr_sdk::types::TextLine,
    ) -> Heading {
        let size = line_size(line);
        let big = self.body_size > 0.0 && size >= self.body_size * 1.15;
        let top = self.in_top(index, line);
        if page > 0 {
            // Later pages may hold a copy of another document (the invoice behind a
            // reminder); their titles count a little.
            return if big && top {
                Heading::Big(2.0)
            } else {
                Heading::No
            };
        }
        if big && top {
            let span = (self.max_top - self.body_size).max(0.01);
            return Heading::Big(6.0 + 4.0 * ((size - self.body_size) / span).clamp(0.0, 1.0));
        }
        // Short lines count as titles only when the page has no larger type: with a real
        // title in a larger font, "Invoice no. 42" in body type is a field label.
        let has_big_title = self.body_size > 0.0 && self.max_top >= self.body_size * 1.15;
        if !has_big_title && (index < 15 || top) {
            Heading::Uniform
        } else {
            Heading::No
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Heading {
    Big(f32),
    Uniform,
    No,
}

/// A column of a line (the parser joins columns with two spaces).
struct Segment {
    /// Index of its first token in the line's tokens.
    start: usize,
    words: usize,
    /// `Label: value` — a field, not a title; titles rarely carry a colon.
    colon: bool,
}

fn segments(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut start = 0;
    for seg in text.split("  ") {
        let n = text::tokens(seg).len();
        if n > 0 {
            out.push(Segment {
                start,
                words: seg.split_whitespace().count(),
                colon: seg.contains(':'),
            });
        }
        start += n;
    }
    out
}

fn line_size(line: &papyr_sdk::types::TextLine) -> f32 {
    line.spans
        .iter()
        .map(|s| s.size)
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 1000.0)
        .fold(0.0, f32::max)
}

/// Subject, file name and email body.
fn scan_context(doc: &DocumentInfo, cfg: &Config, s: &mut Scores) {
    let filename = doc.filename.replace(['_', '-', '.'], " ");
    let sources: [(&str, Option<&str>, f32); 3] = [
        ("subject", doc.origin.subject.as_deref(), 3.0),
        ("file name", Some(filename.as_str()), 2.0),
        ("email body", doc.origin.body_text.as_deref(), 0.5),
    ];
    for (label, value, weight) in sources {
        let Some(value) = value else { continue };
        let value = clip_bytes(value, MAX_CONTEXT_CHARS);
        let toks = text::tokens(value);
        let mut seen = [false; KIND_COUNT];
        for hit in text::find_hits(&toks, &cfg.extra) {
            // Invoice emails carry unsubscribe footers too; only the document itself
            // says it is a newsletter.
            if label == "email body" && hit.kind == NEWSLETTER {
                continue;
            }
            let w = weight * if hit.order == 0 { 1.0 } else { 0.4 };
            if !seen[hit.kind] {
                seen[hit.kind] = true;
                s.context[hit.kind] += w;
                if s.context_reason[hit.kind].is_none() {
                    s.context_reason[hit.kind] = Some(format!("{label} mentions '{}'", hit.phrase));
                }
            }
        }
    }
}

/// Scans and images: only the name and the email can tell.
fn without_text(doc: &DocumentInfo, s: &Scores) -> Classification {
    let best = argmax(&s.context, |k| k != OTHER);
    let mut reasons = vec!["no text layer".to_string()];
    if s.context[best] > 0.0 {
        reasons.extend(s.context_reason[best].clone());
        let strong = s.context[best] >= 2.0;
        return Classification {
            kind: KINDS[best],
            confidence: if strong { 0.45 } else { 0.35 },
            reasons,
        };
    }
    if doc.origin.subject.is_none() && doc.filename.is_empty() {
        reasons.push("no file name or subject to go by".into());
    }
    Classification {
        kind: DocumentKind::Other,
        confidence: 0.2,
        reasons,
    }
}

fn decide(s: &mut Scores, sig: &Signals) -> Classification {
    let nsig = sig.count();
    if sig.money() {
        s.body[NEWSLETTER] *= 0.25;
    }
    let mut reasons = Vec::new();
    let lead = argmax(&s.heading, |_| true);

    if s.heading[lead] > 0.0 {
        if lead == INVOICE {
            let runner = argmax(&s.heading, |k| k != INVOICE);
            let ratio = s.heading[runner] / s.heading[INVOICE];
            let mut conf = 0.8 + 0.04 * nsig.min(4) as f32 - 0.2 * ratio.min(1.0);
            if s.context[INVOICE] > 0.0 {
                conf += 0.02;
            }
            reasons.extend(s.heading_reason[INVOICE].as_ref().map(|r| r.1.clone()));
            if nsig > 0 {
                reasons.push(sig.describe());
            }
            if s.heading[runner] > 0.0 {
                reasons.extend(
                    s.heading_reason[runner]
                        .as_ref()
                        .map(|r| format!("also {}", r.1)),
                );
            }
            reasons.extend(s.context_reason[INVOICE].clone());
            return done(INVOICE, conf, reasons);
        }
        let margin = s.heading[lead] - s.heading[INVOICE];
        if margin >= 1.5 {
            let mut conf = 0.72 + 0.24 * (margin / 8.0).min(1.0);
            if s.context[lead] > 0.0 {
                conf += 0.02;
            }
            reasons.extend(s.heading_reason[lead].as_ref().map(|r| r.1.clone()));
            if s.body_hits[lead] > 0 {
                reasons.push(format!("{} keyword(s) in the text", s.body_hits[lead]));
            }
            reasons.extend(s.context_reason[lead].clone());
            if s.heading[INVOICE] > 0.0 {
                reasons.extend(
                    s.heading_reason[INVOICE]
                        .as_ref()
                        .map(|r| format!("outweighs {}", r.1)),
                );
            }
            return done(lead, conf, reasons);
        }
        // Two titles of similar weight: keep it as an invoice for a person to look at.
        reasons.push(format!(
            "mixed evidence: {} vs invoice titles",
            KIND_NAMES[lead].replace('_', " ")
        ));
        reasons.extend(s.heading_reason[lead].as_ref().map(|r| r.1.clone()));
        reasons.extend(s.heading_reason[INVOICE].as_ref().map(|r| r.1.clone()));
        return done(INVOICE, 0.5, reasons);
    }

    if s.body[NEWSLETTER] >= 3.0 && !sig.money() {
        reasons.push(format!(
            "newsletter wording ('{}') and no amounts to pay",
            s.body_example[NEWSLETTER].clone().unwrap_or_default()
        ));
        return done(NEWSLETTER, 0.8, reasons);
    }

    // No title: weigh body keywords, invoice fields and the email context.
    let mut total: [f32; KIND_COUNT] = std::array::from_fn(|k| s.body[k] + s.context[k]);
    total[INVOICE] += 0.9 * nsig as f32;
    let best = argmax(&total, |k| k != INVOICE && k != OTHER);
    let inv = total[INVOICE];
    let reason_of = |k: usize, s: &Scores| {
        let mut r = Vec::new();
        if let Some(ex) = &s.body_example[k] {
            r.push(format!("keyword '{ex}' in the text ({}x)", s.body_hits[k]));
        }
        r.extend(s.context_reason[k].clone());
        r
    };
    if total[best] >= 2.0 && total[best] > inv * 1.5 {
        reasons.push("no title found".into());
        reasons.extend(reason_of(best, s));
        return done(best, 0.5 + 0.03 * (total[best] - inv).min(5.0), reasons);
    }
    if inv >= 1.5 {
        reasons.push("no title found".into());
        if nsig > 0 {
            reasons.push(sig.describe());
        }
        reasons.extend(reason_of(INVOICE, s));
        if total[best] > 0.0 {
            reasons.push(format!(
                "some {} wording",
                KIND_NAMES[best].replace('_', " ")
            ));
        }
        let conf = 0.45 + 0.05 * inv.min(6.0) - if total[best] > 0.0 { 0.1 } else { 0.0 };
        return done(INVOICE, conf, reasons);
    }
    if total[best] >= 1.0 {
        reasons.push("no title found".into());
        reasons.extend(reason_of(best, s));
        return done(best, 0.4, reasons);
    }
    reasons.push("no document-type keywords or invoice fields".into());
    done(OTHER, 0.5, reasons)
}

fn done(kind: usize, confidence: f32, mut reasons: Vec<String>) -> Classification {
    reasons.truncate(6);
    Classification {
        kind: KINDS[kind],
        confidence: (confidence * 100.0).round().clamp(1.0, 99.0) / 100.0,
        reasons,
    }
}

/// Index of the largest value among the allowed kinds (first on ties).
fn argmax(v: &[f32; KIND_COUNT], allow: impl Fn(usize) -> bool) -> usize {
    let mut best = None;
    for (k, x) in v.iter().enumerate() {
        if allow(k) && best.is_none_or(|b: usize| *x > v[b]) {
            best = Some(k);
        }
    }
    best.unwrap_or(OTHER)
}

fn clip(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(max_chars).collect();
        c.push('…');
        c
    }
}

fn clip_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
