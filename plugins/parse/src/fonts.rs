//! Fonts: turning shown bytes into Unicode text and glyph advances. Covers simple
//! fonts (standard encodings + /Differences), ToUnicode CMaps and Type0 fonts.
use std::collections::HashMap;
use std::rc::Rc;

use papyr_sdk::types::StageError;

use crate::lex::{Dict, Lexer, Obj, Tok};
use crate::limits::MAX_CMAP_ENTRIES;
use crate::pdf::Pdf;
use crate::tables;

pub struct Font {
    pub base_font: String,
    pub subtype: String,
    pub embedded: bool,
    /// Default code length in bytes (2 for Type0 fonts).
    code_len: u8,
    codespace: Vec<(u8, u32, u32)>,
    to_unicode: Option<CMap>,
    /// Simple fonts: code → character (`'\0'` = unknown).
    encoding: Option<Box<[char; 256]>>,
    /// Glyph advances, in 1/1000 text space units unless `width_scale` says otherwise.
    widths: HashMap<u32, f64>,
    default_width: f64,
    width_scale: f64,
    /// Standard-14 approximation used when a simple font has no /Widths.
    std_widths: Option<tables::StdMetrics>,
    pub has_unicode: bool,
}

pub struct Glyph {
    pub text: String,
    /// Advance in text space units (before font size).
    pub width: f64,
    /// A single-byte code 32: word spacing applies.
    pub is_space: bool,
}

impl Font {
    /// A fallback when no font is selected: Latin-1, average widths.
    pub fn fallback() -> Font {
        Font {
            base_font: String::new(),
            subtype: String::new(),
            embedded: false,
            code_len: 1,
            codespace: vec![],
            to_unicode: None,
            encoding: Some(Box::new(tables::encoding_table(tables::Enc::WinAnsi))),
            widths: HashMap::new(),
            default_width: 500.0,
            width_scale: 0.001,
            std_widths: Some(tables::StdMetrics::Helvetica),
            has_unicode: true,
        }
    }

    pub fn decode(&self, bytes: &[u8]) -> Vec<Glyph> {
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let len = self.code_len_at(&bytes[i..]);
            let code = bytes[i..i + len]
                .iter()
                .fold(0u32, |a, &b| a << 8 | b as u32);
            i += len;
            let text = self.text_for(code, len as u8);
            let w = match self.widths.get(&code) {
                Some(&w) => w,
                None => match (self.std_widths, text.chars().next()) {
                    (Some(m), Some(c)) if self.widths.is_empty() => tables::std_width(m, c) as f64,
                    _ => self.default_width,
                },
            };
            out.push(Glyph {
                text,
                width: w * self.width_scale,
                is_space: len == 1 && code == 32,
            });
        }
        out
    }

    /// Advance of the space character (text space units before font size), when the
    /// font has one at code 32: layout measures gaps between runs against it.
    pub fn space_width(&self) -> Option<f64> {
        if self.code_len != 1 || !self.codespace.is_empty() {
            return None;
        }
        let w = match self.widths.get(&32) {
            Some(&w) => w,
            None => match self.std_widths {
                Some(m) if self.widths.is_empty() => tables::std_width(m, ' ') as f64,
                _ => return None,
            },
        };
        Some(w * self.width_scale).filter(|w| w.is_finite() && *w > 0.0)
    }

    fn code_len_at(&self, rest: &[u8]) -> usize {
        if !self.codespace.is_empty() {
            for n in 1..=4usize.min(rest.len()) {
                let code = rest[..n].iter().fold(0u32, |a, &b| a << 8 | b as u32);
                if self
                    .codespace
                    .iter()
                    .any(|&(l, lo, hi)| l as usize == n && code >= lo && code <= hi)
                {
                    return n;
                }
            }
        }
        (self.code_len as usize).clamp(1, rest.len())
    }

    fn text_for(&self, code: u32, len: u8) -> String {
        if let Some(cm) = &self.to_unicode
            && let Some(s) = cm.lookup(code, len)
        {
            return s;
        }
        if let Some(enc) = &self.encoding
            && code < 256
        {
            let c = enc[code as usize];
            if c != '\0' {
                return c.to_string();
            }
            // Unmapped control codes in simple fonts: Latin-1 is the best guess.
            if code >= 32 {
                return char::from(code as u8).to_string();
            }
        }
        String::new()
    }
}

/// A ToUnicode CMap.
#[derive(Default)]
pub struct CMap {
    single: HashMap<(u8, u32), String>,
    ranges: Vec<(u8, u32, u32, RangeDst)>,
    pub codespace: Vec<(u8, u32, u32)>,
}

enum RangeDst {
    Base(Vec<u16>),
    List(Vec<String>),
}

impl CMap {
    pub fn parse(data: &[u8]) -> CMap {
        let mut cm = CMap::default();
        let mut lx = Lexer::new(data, 0);
        let mut entries = 0usize;
        let code = |b: &[u8]| {
            (
                b.len().clamp(1, 4) as u8,
                b.iter().take(4).fold(0u32, |a, &x| a << 8 | x as u32),
            )
        };
        loop {
            let tok = lx.next_tok();
            let Tok::Kw(k) = tok else {
                if tok == Tok::Eof {
                    break;
                }
                continue;
            };
            match k.as_slice() {
                b"begincodespacerange" => {
                    while let (Tok::Str(lo), Tok::Str(hi)) = (lx.next_tok(), lx.next_tok()) {
                        let (l, lo) = code(&lo);
                        cm.codespace.push((l, lo, code(&hi).1));
                    }
                }
                b"beginbfchar" => {
                    while let Tok::Str(src) = lx.next_tok() {
                        let dst = match lx.next_tok() {
                            Tok::Str(d) => utf16(&d),
                            Tok::Name(n) => tables::glyph_to_char(&n)
                                .map(String::from)
                                .unwrap_or_default(),
                            _ => break,
                        };
                        entries += 1;
                        if entries > MAX_CMAP_ENTRIES {
                            return cm;
                        }
                        cm.single.insert(code(&src), dst);
                    }
                }
                b"beginbfrange" => {
                    while let (Tok::Str(lo), Tok::Str(hi)) = (lx.next_tok(), lx.next_tok()) {
                        let (l, lo) = code(&lo);
                        let hi = code(&hi).1;
                        if hi < lo {
                            let _ = lx.parse_obj(0);
                            continue;
                        }
                        let dst = match lx.parse_obj(0) {
                            Ok(Obj::Str(d)) => RangeDst::Base(
                                d.chunks(2)
                                    .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                                    .collect(),
                            ),
                            Ok(Obj::Array(a)) => RangeDst::List(
                                a.iter()
                                    .map(|o| o.as_str().map(utf16).unwrap_or_default())
                                    .collect(),
                            ),
                            _ => break,
                        };
                        entries += 1;
                        if entries > MAX_CMAP_ENTRIES {
                            return cm;
                        }
                        cm.ranges.push((l, lo, hi, dst));
                    }
                }
                _ => {}
            }
        }
        cm
    }

    pub fn lookup(&self, code: u32, len: u8) -> Option<String> {
        if let Some(s) = self.single.get(&(len, code)) {
            return Some(s.clone());
        }
        for (l, lo, hi, dst) in &self.ranges {
            if *l == len && code >= *lo && code <= *hi {
                let off = code - lo;
                return Some(match dst {
                    RangeDst::Base(units) => {
                        let mut u = units.clone();
                        if let Some(last) = u.last_mut() {
                            *last = last.wrapping_add(off as u16);
                        }
                        char::decode_utf16(u)
                            .map(|r| r.unwrap_or('\u{FFFD}'))
                            .collect()
                    }
                    RangeDst::List(v) => v.get(off as usize).cloned().unwrap_or_default(),
                });
            }
        }
        None
    }
}

pub fn utf16(b: &[u8]) -> String {
    let units = b
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    char::decode_utf16(units)
        .map(|r| r.unwrap_or('\u{FFFD}'))
        .collect()
}

fn name_str(o: &Obj) -> String {
    o.as_name()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default()
}

fn has_font_file(d: &Dict) -> bool {
    [&b"FontFile"[..], b"FontFile2", b"FontFile3"]
        .iter()
        .any(|k| d.has(k))
}

/// Load a font dictionary (already resolved).
pub fn load_font(pdf: &mut Pdf, fd: &Dict) -> Result<Font, StageError> {
    let subtype = name_str(fd.get(b"Subtype").unwrap_or(&Obj::Null));
    let mut base_font = name_str(fd.get(b"BaseFont").unwrap_or(&Obj::Null));
    let mut font = Font::fallback();
    font.encoding = None;
    font.std_widths = None;
    font.has_unicode = false;

    let to_unicode = match pdf.get_key(fd, b"ToUnicode")? {
        Obj::Stream(s) => pdf
            .decode_stream(&s, "a ToUnicode CMap")?
            .map(|d| CMap::parse(&d)),
        _ => None,
    };

    if subtype == "Type0" {
        font.code_len = 2;
        let desc = match pdf.get_key(fd, b"DescendantFonts")? {
            Obj::Array(a) => match a.first() {
                Some(o) => pdf.resolve(o)?,
                None => Obj::Null,
            },
            _ => Obj::Null,
        };
        if let Some(dd) = desc.as_dict().cloned() {
            if base_font.is_empty() {
                base_font = name_str(dd.get(b"BaseFont").unwrap_or(&Obj::Null));
            }
            if let Some(fdesc) = pdf.get_key(&dd, b"FontDescriptor")?.as_dict() {
                font.embedded = has_font_file(fdesc);
            }
            font.default_width = pdf.get_key(&dd, b"DW")?.as_f64().unwrap_or(1000.0);
            if let Obj::Array(w) = pdf.get_key(&dd, b"W")? {
                cid_widths(pdf, &w, &mut font.widths)?;
            }
        } else {
            font.default_width = 1000.0;
        }
        // Predefined Identity/UCS-2 CMaps use 2-byte codes; an embedded CMap
        // stream declares its code space.
        if let Obj::Stream(s) = pdf.get_key(fd, b"Encoding")?
            && let Some(d) = pdf.decode_stream(&s, "an encoding CMap")?
        {
            font.codespace = CMap::parse(&d).codespace;
        }
        if font.codespace.is_empty()
            && let Some(tu) = &to_unicode
        {
            font.codespace = tu.codespace.clone();
        }
    } else {
        let mut enc = tables::encoding_table(tables::Enc::WinAnsi);
        match pdf.get_key(fd, b"Encoding")? {
            Obj::Name(n) => enc = tables::encoding_table(tables::enc_by_name(&n)),
            Obj::Dict(ed) => {
                if let Some(b) = ed.name(b"BaseEncoding") {
                    enc = tables::encoding_table(tables::enc_by_name(b));
                }
                if let Obj::Array(diffs) = pdf.get_key(&ed, b"Differences")? {
                    let mut code: i64 = 0;
                    for d in diffs.iter() {
                        match d {
                            Obj::Int(c) => code = *c,
                            Obj::Name(n) => {
                                if (0..256).contains(&code) {
                                    enc[code as usize] = tables::glyph_to_char(n).unwrap_or('\0');
                                }
                                code += 1;
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {
                if base_font.contains("Symbol") || base_font.contains("Dingbats") {
                    enc = ['\0'; 256];
                }
            }
        }
        font.encoding = Some(Box::new(enc));
        font.has_unicode = true;
        let first = pdf.get_key(fd, b"FirstChar")?.as_i64().unwrap_or(0);
        if let Obj::Array(w) = pdf.get_key(fd, b"Widths")? {
            for (i, wo) in w.iter().enumerate().take(65536) {
                let v = pdf.resolve(wo)?.as_f64().unwrap_or(0.0);
                if let Ok(code) = u32::try_from(first.saturating_add(i as i64)) {
                    font.widths.insert(code, v);
                }
            }
        }
        if let Some(desc) = pdf.get_key(fd, b"FontDescriptor")?.as_dict() {
            font.embedded = has_font_file(desc);
            if let Some(mw) = desc
                .get(b"MissingWidth")
                .and_then(Obj::as_f64)
                .filter(|w| *w > 0.0)
            {
                font.default_width = mw;
            }
        }
        if subtype == "Type3" {
            // Type3 glyphs are content streams: the font is in the file.
            font.embedded = true;
            font.width_scale = pdf
                .get_key(fd, b"FontMatrix")?
                .as_array()
                .and_then(|m| m.first().and_then(Obj::as_f64))
                .unwrap_or(0.001);
        }
        if font.widths.is_empty() {
            font.std_widths = Some(tables::std_metrics(&base_font));
        }
    }
    if let Some(tu) = to_unicode {
        font.has_unicode = true;
        font.to_unicode = Some(tu);
    }
    font.base_font = base_font;
    font.subtype = subtype;
    Ok(font)
}

fn cid_widths(pdf: &mut Pdf, w: &Rc<[Obj]>, out: &mut HashMap<u32, f64>) -> Result<(), StageError> {
    let mut i = 0;
    while i < w.len() && out.len() < MAX_CMAP_ENTRIES {
        let Some(first) = w[i].as_i64() else { break };
        match w.get(i + 1).map(|o| pdf.resolve(o)).transpose()? {
            Some(Obj::Array(ws)) => {
                for (k, v) in ws.iter().enumerate().take(MAX_CMAP_ENTRIES) {
                    if let (Ok(c), Some(v)) =
                        (u32::try_from(first.saturating_add(k as i64)), v.as_f64())
                    {
                        out.insert(c, v);
                    }
                }
                i += 2;
            }
            Some(last) => {
                let (Some(last), Some(v)) = (last.as_i64(), w.get(i + 2).and_then(Obj::as_f64))
                else {
                    break;
                };
                let (Ok(a), Ok(b)) = (u32::try_from(first), u32::try_from(last)) else {
                    break;
                };
                for c in a..=b.min(a.saturating_add(MAX_CMAP_ENTRIES as u32)) {
                    out.insert(c, v);
                }
                i += 3;
            }
            None => break,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmap_bfchar_bfrange_array() {
        let cm = CMap::parse(
            b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
              2 beginbfchar <0003> <0020> <0011> <00410301> endbfchar\n\
              2 beginbfrange <0024> <0026> <0061> <0030> <0031> [<20AC> <00DF>] endbfrange",
        );
        assert_eq!(cm.lookup(3, 2).as_deref(), Some(" "));
        assert_eq!(cm.lookup(0x11, 2).as_deref(), Some("A\u{301}"));
        assert_eq!(cm.lookup(0x25, 2).as_deref(), Some("b"));
        assert_eq!(cm.lookup(0x31, 2).as_deref(), Some("ß"));
        assert_eq!(cm.lookup(0x27, 2), None);
        assert_eq!(cm.codespace, vec![(2, 0, 0xFFFF)]);
    }
}
