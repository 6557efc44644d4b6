//! Character tables: the standard PDF encodings, PDFDocEncoding, glyph names of
//! common Latin glyphs, and approximate standard-14 glyph widths.

#[derive(Clone, Copy)]
pub enum Enc {
    WinAnsi,
    MacRoman,
    Standard,
}

pub fn enc_by_name(n: &[u8]) -> Enc {
    match n {
        b"MacRomanEncoding" => Enc::MacRoman,
        b"StandardEncoding" => Enc::Standard,
        _ => Enc::WinAnsi,
    }
}

/// Windows-1252 0x80-0x9F ('\0' = undefined).
const WIN_80: &str = "€\0‚ƒ„…†‡ˆ‰Š‹Œ\0Ž\0\0‘’“”•–—˜™š›œ\0žŸ";
/// Mac OS Roman 0x80-0xFF.
const MAC_80: &str = "ÄÅÇÉÑÖÜáàâäãåçéèêëíìîïñóòôöõúùûü†°¢£§•¶ß®©™´¨≠ÆØ∞±≤≥¥µ∂∑∏π∫ªºΩæø¿¡¬√ƒ≈∆«»…\u{a0}ÀÃÕŒœ–—“”‘’÷◊ÿŸ⁄€‹›ﬁﬂ‡·‚„‰ÂÊÁËÈÍÎÏÌÓÔ\u{f8ff}ÒÚÛÙıˆ˜¯˘˙˚¸˝˛ˇ";
/// PDFDocEncoding 0x80-0xA0 (0x9F undefined).
const PDFDOC_80: &str = "•†‡…—–ƒ⁄‹›−‰„“”‘’‚™ﬁﬂŁŒŠŸŽıłœšž\0€";
const PDFDOC_18: &str = "˘ˇˆ˙˝˛˚˜";

pub fn encoding_table(e: Enc) -> [char; 256] {
    let mut t = ['\0'; 256];
    for (i, c) in t.iter_mut().enumerate().take(127).skip(32) {
        *c = i as u8 as char;
    }
    match e {
        Enc::WinAnsi => {
            for (i, c) in WIN_80.chars().enumerate() {
                t[0x80 + i] = c;
            }
            for (i, c) in t.iter_mut().enumerate().skip(0xA0) {
                *c = char::from(i as u8);
            }
        }
        Enc::MacRoman => {
            for (i, c) in MAC_80.chars().enumerate().take(128) {
                t[0x80 + i] = c;
            }
        }
        Enc::Standard => {
            t[0x27] = '’';
            t[0x60] = '‘';
            for (code, c) in [
                (0xA1, '¡'),
                (0xA2, '¢'),
                (0xA3, '£'),
                (0xA4, '⁄'),
                (0xA5, '¥'),
                (0xA6, 'ƒ'),
                (0xA7, '§'),
                (0xA8, '¤'),
                (0xA9, '\''),
                (0xAA, '“'),
                (0xAB, '«'),
                (0xAC, '‹'),
                (0xAD, '›'),
                (0xAE, 'ﬁ'),
                (0xAF, 'ﬂ'),
                (0xB1, '–'),
                (0xB2, '†'),
                (0xB3, '‡'),
                (0xB4, '·'),
                (0xB6, '¶'),
                (0xB7, '•'),
                (0xB8, '‚'),
                (0xB9, '„'),
                (0xBA, '”'),
                (0xBB, '»'),
                (0xBC, '…'),
                (0xBD, '‰'),
                (0xBF, '¿'),
                (0xC1, '`'),
                (0xC2, '´'),
                (0xC3, 'ˆ'),
                (0xC4, '˜'),
                (0xC5, '¯'),
                (0xC6, '˘'),
                (0xC7, '˙'),
                (0xC8, '¨'),
                (0xCA, '˚'),
                (0xCB, '¸'),
                (0xCD, '˝'),
                (0xCE, '˛'),
                (0xCF, 'ˇ'),
                (0xD0, '—'),
                (0xE1, 'Æ'),
                (0xE3, 'ª'),
                (0xE8, 'Ł'),
                (0xE9, 'Ø'),
                (0xEA, 'Œ'),
                (0xEB, 'º'),
                (0xF1, 'æ'),
                (0xF5, 'ı'),
                (0xF8, 'ł'),
                (0xF9, 'ø'),
                (0xFA, 'œ'),
                (0xFB, 'ß'),
            ] {
                t[code] = c;
            }
        }
    }
    t
}

/// Decode a PDF text string: UTF-16BE with BOM, UTF-8 with BOM (PDF 2.0), else
/// PDFDocEncoding.
pub fn pdf_text(b: &[u8]) -> String {
    if let Some(rest) = b.strip_prefix(&[0xFE, 0xFF]) {
        return crate::fonts::utf16(rest);
    }
    if let Some(rest) = b.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    b.iter()
        .map(|&c| match c {
            0x18..=0x1F => PDFDOC_18
                .chars()
                .nth((c - 0x18) as usize)
                .unwrap_or('\u{FFFD}'),
            0x80..=0xA0 => match PDFDOC_80.chars().nth((c - 0x80) as usize) {
                Some('\0') | None => '\u{FFFD}',
                Some(ch) => ch,
            },
            _ => char::from(c),
        })
        .collect()
}

const LATIN_NAMES: &[(&str, char)] = &[
    ("space", ' '),
    ("exclam", '!'),
    ("quotedbl", '"'),
    ("numbersign", '#'),
    ("dollar", '$'),
    ("percent", '%'),
    ("ampersand", '&'),
    ("quotesingle", '\''),
    ("quoteright", '’'),
    ("parenleft", '('),
    ("parenright", ')'),
    ("asterisk", '*'),
    ("plus", '+'),
    ("comma", ','),
    ("hyphen", '-'),
    ("period", '.'),
    ("slash", '/'),
    ("zero", '0'),
    ("one", '1'),
    ("two", '2'),
    ("three", '3'),
    ("four", '4'),
    ("five", '5'),
    ("six", '6'),
    ("seven", '7'),
    ("eight", '8'),
    ("nine", '9'),
    ("colon", ':'),
    ("semicolon", ';'),
    ("less", '<'),
    ("equal", '='),
    ("greater", '>'),
    ("question", '?'),
    ("at", '@'),
    ("bracketleft", '['),
    ("backslash", '\\'),
    ("bracketright", ']'),
    ("asciicircum", '^'),
    ("underscore", '_'),
    ("grave", '`'),
    ("quoteleft", '‘'),
    ("braceleft", '{'),
    ("bar", '|'),
    ("braceright", '}'),
    ("asciitilde", '~'),
    ("Euro", '€'),
    ("euro", '€'),
    ("quotesinglbase", '‚'),
    ("florin", 'ƒ'),
    ("quotedblbase", '„'),
    ("ellipsis", '…'),
    ("dagger", '†'),
    ("daggerdbl", '‡'),
    ("circumflex", 'ˆ'),
    ("perthousand", '‰'),
    ("guilsinglleft", '‹'),
    ("guilsinglright", '›'),
    ("quotedblleft", '“'),
    ("quotedblright", '”'),
    ("bullet", '•'),
    ("endash", '–'),
    ("emdash", '—'),
    ("tilde", '˜'),
    ("trademark", '™'),
    ("nbspace", '\u{a0}'),
    ("nonbreakingspace", '\u{a0}'),
    ("exclamdown", '¡'),
    ("cent", '¢'),
    ("sterling", '£'),
    ("currency", '¤'),
    ("yen", '¥'),
    ("brokenbar", '¦'),
    ("section", '§'),
    ("dieresis", '¨'),
    ("copyright", '©'),
    ("ordfeminine", 'ª'),
    ("guillemotleft", '«'),
    ("logicalnot", '¬'),
    ("sfthyphen", '\u{ad}'),
    ("registered", '®'),
    ("macron", '¯'),
    ("degree", '°'),
    ("plusminus", '±'),
    ("twosuperior", '²'),
    ("threesuperior", '³'),
    ("acute", '´'),
    ("mu", 'µ'),
    ("paragraph", '¶'),
    ("periodcentered", '·'),
    ("cedilla", '¸'),
    ("onesuperior", '¹'),
    ("ordmasculine", 'º'),
    ("guillemotright", '»'),
    ("onequarter", '¼'),
    ("onehalf", '½'),
    ("threequarters", '¾'),
    ("questiondown", '¿'),
    ("multiply", '×'),
    ("divide", '÷'),
    ("minus", '−'),
    ("fi", 'ﬁ'),
    ("fl", 'ﬂ'),
    ("germandbls", 'ß'),
    ("AE", 'Æ'),
    ("ae", 'æ'),
    ("OE", 'Œ'),
    ("oe", 'œ'),
    ("Oslash", 'Ø'),
    ("oslash", 'ø'),
    ("Lslash", 'Ł'),
    ("lslash", 'ł'),
    ("dotlessi", 'ı'),
    ("Eth", 'Ð'),
    ("eth", 'ð'),
    ("Thorn", 'Þ'),
    ("thorn", 'þ'),
    ("fraction", '⁄'),
    ("quoteleftreversed", '‛'),
];

/// Accent suffixes of composed glyph names and the precomposed letters they give.
const ACCENTS: &[(&str, &str, &str)] = &[
    (
        "acute",
        "AEIOUYaeiouyCcNnSsZzLlRr",
        "ÁÉÍÓÚÝáéíóúýĆćŃńŚśŹźĹĺŔŕ",
    ),
    ("grave", "AEIOUaeiou", "ÀÈÌÒÙàèìòù"),
    ("circumflex", "AEIOUaeiou", "ÂÊÎÔÛâêîôû"),
    ("dieresis", "AEIOUYaeiouy", "ÄËÏÖÜŸäëïöüÿ"),
    ("tilde", "ANOano", "ÃÑÕãñõ"),
    ("ring", "AaUu", "ÅåŮů"),
    ("cedilla", "CcSsTt", "ÇçŞşŢţ"),
    ("caron", "CcDdEeNnRrSsTtZz", "ČčĎďĚěŇňŘřŠšŤťŽž"),
    ("ogonek", "AaEe", "ĄąĘę"),
    ("dotaccent", "ZzEe", "ŻżĖė"),
    ("hungarumlaut", "OoUu", "ŐőŰű"),
    ("breve", "AaGg", "ĂăĞğ"),
    ("macron", "AaEeIiOoUu", "ĀāĒēĪīŌōŪū"),
];

pub fn glyph_to_char(name: &[u8]) -> Option<char> {
    let name = std::str::from_utf8(name).ok()?;
    // Suffixes like `a.sc` or `one.oldstyle` name variants of the same character.
    let name = name.split('.').next().unwrap_or(name);
    if name.len() == 1 && name.as_bytes()[0].is_ascii_alphabetic() {
        return name.chars().next();
    }
    if let Some((_, c)) = LATIN_NAMES.iter().find(|(n, _)| *n == name) {
        return Some(*c);
    }
    if name.len() > 1 {
        let (base, suffix) = name.split_at(1);
        for (acc, bases, composed) in ACCENTS {
            if suffix == *acc
                && let Some(i) = bases.chars().position(|b| b.to_string() == base)
            {
                return composed.chars().nth(i);
            }
        }
    }
    let hex = name
        .strip_prefix("uni")
        .or_else(|| name.strip_prefix('u'))?;
    if (4..=6).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return u32::from_str_radix(&hex[..hex.len().min(6)], 16)
            .ok()
            .and_then(char::from_u32);
    }
    None
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StdMetrics {
    Helvetica,
    HelveticaBold,
    Times,
    TimesBold,
    Courier,
}

/// The standard-14 metrics closest to a font name (subset prefixes and styles
/// such as `ABCDEF+Arial,Bold` included). Obliques share their upright widths;
/// Times italics are close enough to their upright cuts to place text.
pub fn std_metrics(base: &str) -> StdMetrics {
    let b = base.to_ascii_lowercase();
    let bold = b.contains("bold") || b.contains("black") || b.contains("heavy");
    if b.contains("courier") || b.contains("mono") {
        StdMetrics::Courier
    } else if b.contains("times") || b.contains("serif") && !b.contains("sans") {
        if bold {
            StdMetrics::TimesBold
        } else {
            StdMetrics::Times
        }
    } else if bold {
        StdMetrics::HelveticaBold
    } else {
        StdMetrics::Helvetica
    }
}

// Advance widths for ASCII 32..=126 from the Adobe core font metrics (1/1000 em).
// Code 39 is the straight quote and 96 the grave accent, as WinAnsi maps them.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];
const TIMES: [u16; 95] = [
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, 500, 500, 500,
    500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, 921, 722, 667, 667, 722, 611,
    556, 722, 722, 333, 389, 722, 611, 889, 722, 722, 556, 722, 667, 556, 611, 722, 722, 944, 722,
    722, 611, 333, 278, 333, 469, 500, 333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500,
    278, 778, 500, 500, 500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
];
const TIMES_BOLD: [u16; 95] = [
    250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278, 500, 500, 500,
    500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500, 930, 722, 667, 722, 722, 667,
    611, 778, 778, 389, 500, 778, 667, 944, 722, 778, 611, 778, 722, 556, 667, 722, 722, 1000, 722,
    722, 667, 333, 278, 333, 581, 500, 333, 500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556,
    278, 833, 556, 500, 556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 394, 220, 394, 520,
];

/// Width of `c` in a standard-14 font (1/1000 em). Accented letters share their
/// base letter's advance in these fonts; other non-ASCII characters use the
/// metrics of the symbols invoices carry, else a lower-case average.
pub fn std_width(m: StdMetrics, c: char) -> u16 {
    let table = match m {
        StdMetrics::Courier => return 600,
        StdMetrics::Helvetica => &HELVETICA,
        StdMetrics::HelveticaBold => &HELVETICA_BOLD,
        StdMetrics::Times => &TIMES,
        StdMetrics::TimesBold => &TIMES_BOLD,
    };
    let times = matches!(m, StdMetrics::Times | StdMetrics::TimesBold);
    let base = match c {
        ' '..='~' => c,
        '\u{A0}' => ' ',
        'À'..='Å' => 'A',
        'à'..='å' => 'a',
        'Ç' => 'C',
        'ç' => 'c',
        'È'..='Ë' => 'E',
        'è'..='ë' => 'e',
        'Ì'..='Ï' => 'I',
        // The accented i is built on the dotless i, wider than `i` in Helvetica.
        'ì'..='ï' => return 278,
        'Ñ' => 'N',
        'ñ' => 'n',
        'Ò'..='Ö' | 'Ø' => 'O',
        'ò'..='ö' | 'ø' => 'o',
        'Ù'..='Ü' => 'U',
        'ù'..='ü' => 'u',
        'Ý' => 'Y',
        'ý' | 'ÿ' => 'y',
        '×' => '+',
        '€' | '–' | '«' | '»' | '£' | '¥' | '§' => '0',
        '·' => return if times { 250 } else { 278 },
        '•' => return 350,
        '—' | '…' | '‰' => return 1000,
        '°' => return 400,
        '’' | '‘' | '‚' => {
            return match m {
                StdMetrics::Helvetica => 222,
                StdMetrics::HelveticaBold => 278,
                _ => 333,
            };
        }
        '“' | '”' | '„' => {
            return match m {
                StdMetrics::Helvetica => 333,
                StdMetrics::HelveticaBold => 500,
                StdMetrics::Times => 444,
                _ => 500,
            };
        }
        'ß' => {
            return match m {
                StdMetrics::Times => 500,
                StdMetrics::TimesBold => 556,
                _ => 611,
            };
        }
        'µ' => 'u',
        _ => 'n',
    };
    table[(base as usize).saturating_sub(32).min(94)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_cover_euro_and_accents() {
        let w = encoding_table(Enc::WinAnsi);
        assert_eq!(w[0x80], '€');
        assert_eq!(w[0xE4], 'ä');
        assert_eq!(w[0x9F], 'Ÿ');
        let m = encoding_table(Enc::MacRoman);
        assert_eq!(m[0x8A], 'ä');
        assert_eq!(m[0xDB], '€');
        assert_eq!(m[0xFF], 'ˇ');
        assert_eq!(encoding_table(Enc::Standard)[0xFB], 'ß');
    }

    #[test]
    fn standard_font_widths() {
        use StdMetrics::*;
        assert_eq!(std_metrics("Helvetica-Bold"), HelveticaBold);
        assert_eq!(std_metrics("ABCDEF+Arial,BoldItalic"), HelveticaBold);
        assert_eq!(std_metrics("Times-Roman"), Times);
        assert_eq!(std_metrics("Times-BoldItalic"), TimesBold);
        assert_eq!(std_metrics("Courier-Bold"), Courier);
        let w = |m, s: &str| s.chars().map(|c| std_width(m, c) as u32).sum::<u32>();
        // Digits are 556 in Helvetica, 500 in Times; Courier is monospaced.
        assert_eq!(w(Helvetica, "2026"), 4 * 556);
        assert_eq!(w(Times, "2026"), 4 * 500);
        assert_eq!(w(Courier, "22 luglio 2026"), 14 * 600);
        // Times is not a scaled Helvetica: its capitals and `m` are relatively wide.
        assert_eq!(std_width(Times, 'm'), 778);
        assert_eq!(std_width(Times, 'M'), 889);
        assert_eq!(std_width(Times, ' '), 250);
        assert_eq!(std_width(TimesBold, 'W'), 1000);
        assert_eq!(std_width(HelveticaBold, 'n'), 611);
        assert_eq!(std_width(Helvetica, 'n'), 556);
        assert_eq!(std_width(Helvetica, 'í'), 278);
        assert_eq!(std_width(Helvetica, 'Ä'), 667);
        assert_eq!(std_width(Times, '€'), 500);
        assert_eq!(
            w(Helvetica, "Rechnung"),
            722 + 556 + 500 + 556 + 556 + 556 + 556 + 556
        );
    }

    #[test]
    fn glyph_names() {
        assert_eq!(glyph_to_char(b"Euro"), Some('€'));
        assert_eq!(glyph_to_char(b"adieresis"), Some('ä'));
        assert_eq!(glyph_to_char(b"Scaron"), Some('Š'));
        assert_eq!(glyph_to_char(b"uni00E9"), Some('é'));
        assert_eq!(glyph_to_char(b"a.sc"), Some('a'));
        assert_eq!(glyph_to_char(b"g123"), None);
    }

    #[test]
    fn pdfdoc_and_utf16() {
        assert_eq!(pdf_text(b"Caf\xe9 \xa0"), "Café €");
        assert_eq!(pdf_text(b"\xfe\xff\x00A\x20\xac"), "A€");
    }
}
