//! A small PDF 1.7 writer: the three standard fonts (Helvetica, Helvetica-Bold,
//! Courier) in WinAnsiEncoding, pages with Flate-compressed content streams, an
//! Info dictionary and a classic xref table. Nothing depends on a clock.

/// The fonts the report uses; all are standard 14 fonts, so nothing is embedded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
    Mono,
}

impl Font {
    pub fn resource(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
            Font::Mono => "F3",
        }
    }

    fn base_font(self) -> &'static str {
        match self {
            Font::Regular => "Helvetica",
            Font::Bold => "Helvetica-Bold",
            Font::Mono => "Courier",
        }
    }

    /// Advance width of a WinAnsi code in 1/1000 em.
    pub fn glyph_width(self, code: u8) -> u16 {
        match self {
            Font::Mono => 600,
            Font::Regular => width_of(&HELVETICA_ASCII, &HELVETICA_HIGH, code),
            Font::Bold => width_of(&HELVETICA_BOLD_ASCII, &HELVETICA_BOLD_HIGH, code),
        }
    }

    /// Width in points of a text at a font size (after WinAnsi transcoding).
    pub fn text_width(self, text: &str, size: f32) -> f32 {
        let units: u32 = to_win_ansi(text)
            .iter()
            .map(|c| self.glyph_width(*c) as u32)
            .sum();
        units as f32 * size / 1000.0
    }
}

fn width_of(ascii: &[u16; 95], high: &[u16; 128], code: u8) -> u16 {
    match code {
        32..=126 => ascii[(code - 32) as usize],
        128..=255 => high[(code - 128) as usize],
        _ => 0,
    }
}

/// Transcode to WinAnsi (Windows-1252). Control characters become spaces; characters
/// the encoding lacks become `?`.
pub fn to_win_ansi(s: &str) -> Vec<u8> {
    s.chars().map(win_ansi_code).collect()
}

fn win_ansi_code(c: char) -> u8 {
    let u = c as u32;
    match u {
        0x20..=0x7E | 0xA0..=0xFF => u as u8,
        0x09 | 0x0A | 0x0D | 0x2000..=0x200A | 0x202F | 0x205F => b' ',
        0x20AC => 0x80,
        0x201A => 0x82,
        0x0192 => 0x83,
        0x201E => 0x84,
        0x2026 => 0x85,
        0x2020 => 0x86,
        0x2021 => 0x87,
        0x02C6 => 0x88,
        0x2030 => 0x89,
        0x0160 => 0x8A,
        0x2039 => 0x8B,
        0x0152 => 0x8C,
        0x017D => 0x8E,
        0x2018 => 0x91,
        0x2019 => 0x92,
        0x201C => 0x93,
        0x201D => 0x94,
        0x2022 => 0x95,
        0x2013 | 0x2010 | 0x2011 | 0x2212 => 0x96,
        0x2014 => 0x97,
        0x02DC => 0x98,
        0x2122 => 0x99,
        0x0161 => 0x9A,
        0x203A => 0x9B,
        0x0153 => 0x9C,
        0x017E => 0x9E,
        0x0178 => 0x9F,
        _ => b'?',
    }
}

/// A PDF literal string of WinAnsi bytes: `(`, `)` and `\` escaped, bytes outside
/// printable ASCII as octal so content streams stay ASCII.
pub fn literal(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('(');
    for &b in bytes {
        match b {
            b'(' | b')' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7E => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push(')');
    out
}

/// One page: size and its (uncompressed) content stream.
pub struct PageContent {
    pub width: f32,
    pub height: f32,
    pub content: String,
}

pub struct Info<'a> {
    pub title: &'a str,
    pub author: &'a str,
    pub subject: &'a str,
    /// PDF date string (`D:20261126090000Z`), or empty.
    pub date: &'a str,
}

/// Serialise pages into a complete PDF file.
pub fn write(pages: &[PageContent], info: &Info, compress: bool) -> Vec<u8> {
    // Object numbers: 1 catalog, 2 pages, 3-5 fonts, 6 info, then page i → 7 + 2i,
    // its content → 8 + 2i.
    let n_objects = 6 + 2 * pages.len();
    let mut out: Vec<u8> = Vec::new();
    let mut offsets = vec![0usize; n_objects + 1];
    out.extend_from_slice(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");

    let mut obj = |out: &mut Vec<u8>, num: usize, body: &[u8]| {
        offsets[num] = out.len();
        out.extend_from_slice(format!("{num} 0 obj\n").as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };

    obj(&mut out, 1, b"<< /Type /Catalog /Pages 2 0 R >>");
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", 7 + 2 * i))
        .collect();
    obj(
        &mut out,
        2,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        )
        .as_bytes(),
    );
    for (i, font) in [Font::Regular, Font::Bold, Font::Mono].iter().enumerate() {
        obj(
            &mut out,
            3 + i,
            format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{} /Encoding /WinAnsiEncoding >>",
                font.base_font()
            )
            .as_bytes(),
        );
    }
    let mut info_dict = format!(
        "<< /Title {} /Author {} /Subject {} /Producer (Papyr report stage) /Creator (Papyr)",
        literal(&to_win_ansi(info.title)),
        literal(&to_win_ansi(info.author)),
        literal(&to_win_ansi(info.subject)),
    );
    if !info.date.is_empty() {
        info_dict.push_str(&format!(" /CreationDate {}", literal(info.date.as_bytes())));
    }
    info_dict.push_str(" >>");
    obj(&mut out, 6, info_dict.as_bytes());

    for (i, page) in pages.iter().enumerate() {
        let page_num = 7 + 2 * i;
        obj(
            &mut out,
            page_num,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {:.2} {:.2}] /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >> /Contents {} 0 R >>",
                page.width,
                page.height,
                page_num + 1
            )
            .as_bytes(),
        );
        let (data, filter) = if compress {
            (
                miniz_oxide::deflate::compress_to_vec_zlib(page.content.as_bytes(), 6),
                " /Filter /FlateDecode",
            )
        } else {
            (page.content.as_bytes().to_vec(), "")
        };
        let mut body = format!("<< /Length {}{} >>\nstream\n", data.len(), filter).into_bytes();
        body.extend_from_slice(&data);
        body.extend_from_slice(b"\nendstream");
        obj(&mut out, page_num + 1, &body);
    }

    let xref_at = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", n_objects + 1).as_bytes());
    for off in &offsets[1..] {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{}\n%%EOF\n",
            n_objects + 1,
            xref_at
        )
        .as_bytes(),
    );
    out
}

/// `2026-11-26T09:00:00Z` → `D:20261126090000Z`; empty when it does not look like an
/// RFC 3339 instant.
pub fn pdf_date(rfc3339: &str) -> String {
    let digits: String = rfc3339
        .chars()
        .take(19)
        .filter(char::is_ascii_digit)
        .collect();
    if digits.len() == 14 {
        format!("D:{digits}Z")
    } else {
        String::new()
    }
}

// Advance widths (1/1000 em) from the public Adobe font metrics of the standard 14
// fonts, indexed by WinAnsi code.

/// Helvetica, codes 32-126.
const HELVETICA_ASCII: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 32-47
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 48-63
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 64-79
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 80-95
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 96-111
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 112-126
];

/// Helvetica, codes 128-255 (0 for the five unused codes).
const HELVETICA_HIGH: [u16; 128] = [
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 128-143
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, // 144-159
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 160-175
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 176-191
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278,
    278, // 192-207
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 208-223
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 224-239
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 240-255
];

/// Helvetica-Bold, codes 32-126.
const HELVETICA_BOLD_ASCII: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 32-47
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 48-63
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 64-79
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 80-95
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 96-111
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // 112-126
];

/// Helvetica-Bold, codes 128-255.
const HELVETICA_BOLD_HIGH: [u16; 128] = [
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 128-143
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, // 144-159
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 160-175
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 176-191
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278,
    278, // 192-207
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 208-223
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 224-239
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 240-255
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_transcoding() {
        assert_eq!(to_win_ansi("Aé€–✓"), vec![b'A', 0xE9, 0x80, 0x96, b'?']);
        assert_eq!(literal(b"a(b)\\\xE9"), "(a\\(b\\)\\\\\\351)");
    }

    #[test]
    fn widths() {
        assert_eq!(
            Font::Regular.text_width("Hello", 10.0),
            (722 + 556 + 222 + 222 + 556) as f32 / 100.0
        );
        assert!(Font::Bold.text_width("Hello", 10.0) > Font::Regular.text_width("Hello", 10.0));
        assert_eq!(Font::Mono.text_width("abc", 10.0), 18.0);
        assert_eq!(Font::Regular.glyph_width(0x80), 556);
    }

    #[test]
    fn dates() {
        assert_eq!(pdf_date("2026-11-26T09:00:00Z"), "D:20261126090000Z");
        assert_eq!(pdf_date("yesterday"), "");
    }
}
