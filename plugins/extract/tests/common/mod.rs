//! Build `ParsedDocument`s from plain strings for tests.
//!
//! A line is a string. `@x` starts a span at x points (`@50 Description @300 Qty`);
//! without markers the line is one span at x = 50. A leading `^size ` sets the font
//! size of the line (default 10). Character width is taken as 5 points.
#![allow(dead_code)]
use papyr_sdk::types::*;

pub fn spans_of(s: &str) -> (Vec<TextSpan>, f32) {
    let (size, body) = match s.strip_prefix('^') {
        Some(rest) => {
            let (n, b) = rest.split_once(' ').unwrap_or((rest, ""));
            (n.parse().unwrap_or(10.0), b)
        }
        None => (10.0, s),
    };
    let mut spans = Vec::new();
    if body.contains('@') && body.trim_start().starts_with('@') {
        for part in body.split('@').filter(|p| !p.trim().is_empty()) {
            let (x, t) = part.split_once(' ').unwrap_or((part, ""));
            let t = t.trim();
            if t.is_empty() {
                continue;
            }
            spans.push(span(t, x.parse().unwrap_or(50.0), size));
        }
    } else if !body.trim().is_empty() {
        spans.push(span(body, 50.0, size));
    }
    (spans, size)
}

fn span(t: &str, x: f32, size: f32) -> TextSpan {
    TextSpan {
        text: t.to_string(),
        x,
        width: t.chars().count() as f32 * size * 0.5,
        font: "F1".into(),
        size,
    }
}

/// One page per slice of lines.
pub fn parsed(pages: &[&[&str]]) -> ParsedDocument {
    let mut ps = Vec::new();
    for (pi, lines) in pages.iter().enumerate() {
        let mut out = Vec::new();
        let mut y = 40.0;
        for (li, l) in lines.iter().enumerate() {
            let (spans, size) = spans_of(l);
            y += size * 1.4;
            let text = spans
                .iter()
                .map(|s| s.text.clone())
                .collect::<Vec<_>>()
                .join("  ");
            out.push(TextLine {
                page: pi as u32 + 1,
                line: li as u32 + 1,
                y,
                text,
                spans,
            });
        }
        ps.push(Page {
            number: pi as u32 + 1,
            width: 595.0,
            height: 842.0,
            lines: out,
            image_count: 0,
        });
    }
    ParsedDocument {
        format: DocumentFormat::Pdf,
        has_text_layer: ps.iter().any(|p| !p.lines.is_empty()),
        pages: ps,
        metadata: Metadata {
            title: None,
            author: None,
            producer: None,
            creator: None,
            creation_date: None,
            mod_date: None,
            first_producer: None,
            xmp_producer: None,
            xmp_creator_tool: None,
            xmp_create_date: None,
            xmp_modify_date: None,
            pdfa: None,
        },
        revisions: vec![],
        edit_count: 0,
        linearized: false,
        encrypted: false,
        fonts: vec![],
        embedded_files: vec![],
        e_invoice: None,
        warnings: vec![],
    }
}

pub fn info() -> DocumentInfo {
    DocumentInfo {
        media_type: "application/pdf".into(),
        filename: "test.pdf".into(),
        sha256: "00".into(),
        size: 1,
        origin: Origin {
            sender_address: None,
            sender_name: None,
            reply_to: None,
            return_path: None,
            authentication_results: None,
            subject: None,
            body_text: None,
            received_at: None,
            message_id: None,
            channel: "cli".into(),
        },
    }
}

pub fn class(kind: DocumentKind) -> Classification {
    Classification {
        kind,
        confidence: 0.9,
        reasons: vec![],
    }
}

pub fn run(pages: &[&[&str]]) -> Invoice {
    run_with(pages, DocumentKind::Invoice, &[])
}

pub fn run_with(pages: &[&[&str]], kind: DocumentKind, templates: &[extract::Template]) -> Invoice {
    extract::extract_with(
        &info(),
        &parsed(pages),
        &class(kind),
        templates,
        &mut |_| {},
    )
    .expect("extracts")
}

pub fn date(i: &Option<Date>) -> Option<String> {
    i.as_ref().map(papyr_sdk::date_to_string)
}

pub fn amt(m: &Option<Money>) -> Option<String> {
    m.as_ref()
        .map(|m| format!("{} {}", papyr_sdk::money_to_string(m), m.currency))
}

pub fn conf(i: &Invoice, field: &str) -> f32 {
    i.evidence
        .iter()
        .find(|e| e.field == field)
        .map_or(0.0, |e| e.confidence)
}

pub fn source(i: &Invoice, field: &str) -> Option<FieldSource> {
    i.evidence
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.source)
}

pub fn dec(d: &Option<Decimal>) -> Option<String> {
    d.as_ref().map(papyr_sdk::decimal_to_string)
}
