//! Papyr's built-in parse stage: turns untrusted document bytes (PDF, XML
//! e-invoices, images, text) into the shared [`ParsedDocument`] view.
//!
//! The PDF parser is hand-written for what the pipeline needs (text with layout,
//! revisions, fonts, metadata, embedded files) and bounded everywhere: see
//! [`limits`]. Documentation for operators: `docs/stages/parse.md`.
use papyr_sdk::types::{DocumentFormat, ParsedDocument, StageError, TextLine, TextSpan};

mod content;
mod document;
mod filters;
mod fonts;
mod lex;
pub mod limits;
mod meta;
mod pdf;
mod tables;
mod xml;

use limits::*;

/// Non-fatal problems, deduplicated and capped.
#[derive(Default)]
pub struct Warnings {
    list: Vec<String>,
    dropped: usize,
}

impl Warnings {
    pub fn push(&mut self, w: String) {
        if self.list.contains(&w) {
            return;
        }
        if self.list.len() >= MAX_WARNINGS {
            self.dropped += 1;
        } else {
            self.list.push(w);
        }
    }
    pub fn finish(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.list
                .push(format!("{} more warnings not shown", self.dropped));
        }
        self.list
    }
}

/// What the bytes are, decided from the bytes alone.
#[derive(Debug, PartialEq)]
pub enum Sniffed {
    /// A PDF whose header starts at this offset.
    Pdf(usize),
    Xml,
    Image(&'static str),
    Text,
    Unknown,
}

pub fn sniff(b: &[u8]) -> Sniffed {
    if let Some(p) = memchr::memmem::find(&b[..b.len().min(1024)], b"%PDF-") {
        return Sniffed::Pdf(p);
    }
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Image("png");
    }
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Image("jpeg");
    }
    if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        return Sniffed::Image("tiff");
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return Sniffed::Image("gif");
    }
    let head = &b[..b.len().min(4096)];
    if let Some(text) = xml::xml_text(head).or_else(|| {
        // The 4 KiB cut may split a UTF-8 sequence.
        let cut = (head.len().saturating_sub(3)..=head.len())
            .rev()
            .find(|&i| std::str::from_utf8(&head[..i]).is_ok())?;
        String::from_utf8(head[..cut].to_vec()).ok()
    }) {
        let t = text.trim_start();
        if t.starts_with("<?xml")
            || (t.starts_with('<') && t[1..].starts_with(|c: char| c.is_alphabetic()))
        {
            return Sniffed::Xml;
        }
    }
    if looks_like_text(b) {
        return Sniffed::Text;
    }
    Sniffed::Unknown
}

fn looks_like_text(b: &[u8]) -> bool {
    let b = b.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(b);
    let Ok(s) = std::str::from_utf8(b) else {
        return false;
    };
    let controls = s
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c'))
        .count();
    controls * 100 <= s.chars().count().max(1) && !s.contains('\0')
}

fn empty_doc(format: DocumentFormat) -> ParsedDocument {
    ParsedDocument {
        format,
        pages: vec![],
        has_text_layer: false,
        metadata: meta::empty(),
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

/// Parse a document. Pure: no host imports are called, so it runs natively in tests.
pub fn parse_bytes(bytes: &[u8], filename: &str) -> Result<ParsedDocument, StageError> {
    if bytes.is_empty() {
        return Err(StageError::InvalidInput("empty document".into()));
    }
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(StageError::LimitExceeded(format!(
            "the document is {} bytes; the limit is {} MiB",
            bytes.len(),
            MAX_INPUT_BYTES >> 20
        )));
    }
    match sniff(bytes) {
        Sniffed::Pdf(off) => document::parse_pdf(&bytes[off..], filename),
        Sniffed::Xml => parse_xml(bytes, filename),
        Sniffed::Image(kind) => Ok(parse_image(bytes, kind)),
        Sniffed::Text => Ok(parse_text(bytes)),
        Sniffed::Unknown => Ok(empty_doc(DocumentFormat::Unknown)),
    }
}

fn parse_xml(bytes: &[u8], filename: &str) -> Result<ParsedDocument, StageError> {
    let Some(text) = xml::xml_text(bytes) else {
        return Err(StageError::InvalidInput(
            "the XML document is not valid UTF-8 or UTF-16".into(),
        ));
    };
    match xml::classify(&text, filename) {
        Ok(inv) => {
            let mut d = empty_doc(DocumentFormat::Xml);
            d.e_invoice = Some(inv);
            Ok(d)
        }
        // Something that merely starts with `<` (an HTML fragment, a note) is
        // text unless it declares itself XML.
        Err(_) if !text.trim_start().starts_with("<?xml") && looks_like_text(bytes) => {
            Ok(parse_text(bytes))
        }
        Err(e) => Err(StageError::InvalidInput(format!(
            "the XML document is not well-formed: {e}"
        ))),
    }
}

fn parse_text(bytes: &[u8]) -> ParsedDocument {
    let b = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let s = String::from_utf8_lossy(b);
    let mut d = empty_doc(DocumentFormat::Text);
    // A monospaced page: 12 pt lines, 6 pt per character; only for ordering and
    // column gaps, the positions are nominal.
    let mut lines = Vec::new();
    let mut n = 0u32;
    for (i, raw) in s.lines().enumerate() {
        if i >= MAX_TEXT_LINES {
            d.warnings.push(format!(
                "more than {MAX_TEXT_LINES} lines; the rest was dropped"
            ));
            break;
        }
        let t = raw.trim_end();
        let y = (i as f32 + 1.0) * 12.0;
        if t.trim().is_empty() {
            continue;
        }
        n += 1;
        let indent = t.chars().take_while(|c| c.is_whitespace()).count();
        let tt = t.trim_start();
        lines.push(TextLine {
            page: 1,
            line: n,
            y,
            text: tt.to_string(),
            spans: vec![TextSpan {
                text: tt.to_string(),
                x: indent as f32 * 6.0,
                width: tt.chars().count() as f32 * 6.0,
                font: String::new(),
                size: 10.0,
            }],
        });
    }
    let height = (s.lines().count().min(MAX_TEXT_LINES) as f32 + 1.0) * 12.0;
    d.has_text_layer = !lines.is_empty();
    d.pages.push(papyr_sdk::types::Page {
        number: 1,
        width: 595.0,
        height,
        lines,
        image_count: 0,
    });
    d
}

fn parse_image(b: &[u8], kind: &str) -> ParsedDocument {
    let be32 = |i: usize| {
        b.get(i..i + 4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    };
    let (w, h) = match kind {
        "png" => (be32(16).unwrap_or(0), be32(20).unwrap_or(0)),
        "gif" => (
            b.get(6..8)
                .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]) as u32),
            b.get(8..10)
                .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]) as u32),
        ),
        "jpeg" => jpeg_size(b).unwrap_or((0, 0)),
        _ => (0, 0),
    };
    let mut d = empty_doc(DocumentFormat::Image);
    // Pixel dimensions stand in for the page size: a scan is one page, one image.
    d.pages.push(papyr_sdk::types::Page {
        number: 1,
        width: w as f32,
        height: h as f32,
        lines: vec![],
        image_count: 1,
    });
    d
}

fn jpeg_size(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 9 < b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            let h = u16::from_be_bytes([b[i + 5], b[i + 6]]) as u32;
            let w = u16::from_be_bytes([b[i + 7], b[i + 8]]) as u32;
            return Some((w, h));
        }
        i += 2 + len;
    }
    None
}

struct Parser;

impl papyr_sdk::parser::Guest for Parser {
    fn parse(doc: papyr_sdk::types::Document) -> Result<ParsedDocument, StageError> {
        parse_bytes(&doc.bytes, &doc.filename)
    }
}

papyr_sdk::parser::export_parser!(Parser);
