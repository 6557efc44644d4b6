//! Flowing layout on A4 pages: a cursor that moves down, wraps text, breaks pages and
//! draws tables whose rows may continue on the next page (with the header repeated).
use crate::pdf::{Font, PageContent, literal, to_win_ansi};
use std::fmt::Write as _;

pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
pub const LEFT: f32 = 48.0;
pub const RIGHT: f32 = PAGE_W - 48.0;
pub const CONTENT_W: f32 = RIGHT - LEFT;
/// The first baseline area below the running header.
pub const TOP: f32 = PAGE_H - 100.0;
/// Content stops here; the footer sits below.
pub const BOTTOM: f32 = 60.0;

pub type Rgb = (f32, f32, f32);
pub const BLACK: Rgb = (0.0, 0.0, 0.0);
pub const TEXT: Rgb = (0.13, 0.13, 0.15);
pub const MUTED: Rgb = (0.42, 0.44, 0.48);
pub const RULE: Rgb = (0.78, 0.80, 0.83);
pub const SHADE: Rgb = (0.955, 0.96, 0.97);
pub const HEADER_FILL: Rgb = (0.89, 0.91, 0.94);
pub const ACCENT: Rgb = (0.12, 0.29, 0.49);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

pub struct Col {
    pub title: &'static str,
    pub width: f32,
    pub align: Align,
    pub font: Font,
}

impl Col {
    pub fn left(title: &'static str, width: f32) -> Col {
        Col {
            title,
            width,
            align: Align::Left,
            font: Font::Regular,
        }
    }
    pub fn right(title: &'static str, width: f32) -> Col {
        Col {
            title,
            width,
            align: Align::Right,
            font: Font::Regular,
        }
    }
    pub fn mono(title: &'static str, width: f32) -> Col {
        Col {
            title,
            width,
            align: Align::Left,
            font: Font::Mono,
        }
    }
}

pub struct Canvas {
    pages: Vec<String>,
    /// Baseline cursor of the next line (PDF coordinates, from the bottom).
    pub y: f32,
}

impl Default for Canvas {
    fn default() -> Self {
        Self::new()
    }
}

impl Canvas {
    pub fn new() -> Self {
        Canvas {
            pages: vec![String::new()],
            y: TOP,
        }
    }

    fn ops(&mut self) -> &mut String {
        // `new` creates the first page and pages are never removed.
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    pub fn new_page(&mut self) {
        self.pages.push(String::new());
        self.y = TOP;
    }

    /// Break the page unless `h` points still fit above the bottom margin.
    pub fn ensure(&mut self, h: f32) -> bool {
        if self.y - h < BOTTOM && self.y < TOP {
            self.new_page();
            true
        } else {
            false
        }
    }

    pub fn gap(&mut self, h: f32) {
        self.y -= h;
    }

    pub fn text(&mut self, x: f32, y: f32, font: Font, size: f32, color: Rgb, s: &str) {
        let lit = literal(&to_win_ansi(s));
        let _ = writeln!(
            self.ops(),
            "BT {:.3} {:.3} {:.3} rg /{} {:.2} Tf 1 0 0 1 {:.2} {:.2} Tm {} Tj ET",
            color.0,
            color.1,
            color.2,
            font.resource(),
            size,
            x,
            y,
            lit
        );
    }

    pub fn text_right(&mut self, right: f32, y: f32, font: Font, size: f32, color: Rgb, s: &str) {
        let w = font.text_width(s, size);
        self.text(right - w, y, font, size, color, s);
    }

    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        let _ = writeln!(
            self.ops(),
            "{:.3} {:.3} {:.3} rg {:.2} {:.2} {:.2} {:.2} re f",
            color.0,
            color.1,
            color.2,
            x,
            y,
            w,
            h
        );
    }

    pub fn stroke_rect(&mut self, x: f32, y: f32, w: f32, h: f32, width: f32, color: Rgb) {
        let _ = writeln!(
            self.ops(),
            "{:.3} {:.3} {:.3} RG {:.2} w {:.2} {:.2} {:.2} {:.2} re S",
            color.0,
            color.1,
            color.2,
            width,
            x,
            y,
            w,
            h
        );
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32, color: Rgb) {
        let _ = writeln!(
            self.ops(),
            "{:.3} {:.3} {:.3} RG {:.2} w {:.2} {:.2} m {:.2} {:.2} l S",
            color.0,
            color.1,
            color.2,
            width,
            x1,
            y1,
            x2,
            y2
        );
    }

    /// Wrapped text at the cursor, flowing onto new pages line by line.
    pub fn paragraph(&mut self, x: f32, width: f32, font: Font, size: f32, color: Rgb, text: &str) {
        let leading = size * 1.35;
        for line in wrap(text, font, size, width) {
            self.ensure(leading);
            self.y -= leading;
            self.text(x, self.y + leading * 0.25, font, size, color, &line);
        }
    }

    /// A section title with a rule; kept together with at least `keep` points of what
    /// follows.
    pub fn heading(&mut self, title: &str, keep: f32) {
        self.ensure(30.0 + keep);
        self.y -= 22.0;
        self.text(LEFT, self.y, Font::Bold, 12.0, ACCENT, title);
        self.y -= 5.0;
        self.line(LEFT, self.y, RIGHT, self.y, 0.8, ACCENT);
        self.y -= 4.0;
    }

    /// A table. Cells wrap; a row that does not fit continues on the next page under a
    /// repeated header, so nothing is cut off.
    pub fn table(&mut self, cols: &[Col], rows: &[Vec<String>]) {
        const SIZE: f32 = 8.5;
        const LEADING: f32 = 11.0;
        const PAD: f32 = 3.0;
        let total_w: f32 = cols.iter().map(|c| c.width).sum();
        let scale = CONTENT_W / total_w.max(1.0);
        let widths: Vec<f32> = cols.iter().map(|c| c.width * scale).collect();

        self.ensure(LEADING * 2.0 + PAD * 4.0);
        self.table_header(cols, &widths, SIZE, LEADING, PAD);
        for (ri, row) in rows.iter().enumerate() {
            let cells: Vec<Vec<String>> = cols
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(ci, (col, w))| {
                    let text = row.get(ci).map(String::as_str).unwrap_or("");
                    wrap(text, col.font, SIZE, w - 2.0 * PAD)
                })
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
            // Keep short rows whole; long ones split where the page ends.
            if height <= 6 && self.y - (height as f32 * LEADING + 2.0 * PAD) < BOTTOM {
                self.new_page();
                self.table_header(cols, &widths, SIZE, LEADING, PAD);
            }
            let mut done = 0;
            while done < height {
                let mut fit = ((self.y - BOTTOM - 2.0 * PAD) / LEADING).floor().max(0.0) as usize;
                if fit == 0 {
                    self.new_page();
                    self.table_header(cols, &widths, SIZE, LEADING, PAD);
                    fit = ((self.y - BOTTOM - 2.0 * PAD) / LEADING).floor().max(1.0) as usize;
                }
                let n = fit.min(height - done);
                let h = n as f32 * LEADING + 2.0 * PAD;
                if ri % 2 == 1 {
                    self.fill_rect(LEFT, self.y - h, CONTENT_W, h, SHADE);
                }
                let mut x = LEFT;
                for ((col, w), lines) in cols.iter().zip(&widths).zip(&cells) {
                    for (li, line) in lines.iter().skip(done).take(n).enumerate() {
                        let by = self.y - PAD - (li as f32 + 1.0) * LEADING + 2.5;
                        match col.align {
                            Align::Left => self.text(x + PAD, by, col.font, SIZE, TEXT, line),
                            Align::Right => {
                                self.text_right(x + w - PAD, by, col.font, SIZE, TEXT, line)
                            }
                        }
                    }
                    x += w;
                }
                self.y -= h;
                self.line(LEFT, self.y, RIGHT, self.y, 0.3, RULE);
                done += n;
            }
        }
    }

    fn table_header(&mut self, cols: &[Col], widths: &[f32], size: f32, leading: f32, pad: f32) {
        let h = leading + 2.0 * pad;
        self.fill_rect(LEFT, self.y - h, CONTENT_W, h, HEADER_FILL);
        let mut x = LEFT;
        let by = self.y - pad - leading + 2.5;
        for (col, w) in cols.iter().zip(widths) {
            match col.align {
                Align::Left => self.text(x + pad, by, Font::Bold, size, TEXT, col.title),
                Align::Right => self.text_right(x + w - pad, by, Font::Bold, size, TEXT, col.title),
            }
            x += w;
        }
        self.y -= h;
    }

    /// Finish: add the running header and footer (which need the page count) in front
    /// of each page's content.
    pub fn finish(self, decorate: impl Fn(&mut Canvas, usize, usize)) -> Vec<PageContent> {
        let total = self.pages.len();
        self.pages
            .into_iter()
            .enumerate()
            .map(|(i, body)| {
                let mut deco = Canvas::new();
                decorate(&mut deco, i + 1, total);
                let mut content = std::mem::take(&mut deco.pages[0]);
                content.push_str(&body);
                PageContent {
                    width: PAGE_W,
                    height: PAGE_H,
                    content,
                }
            })
            .collect()
    }
}

/// Break text into lines no wider than `width`; explicit newlines are kept and words
/// longer than a line are split between characters.
pub fn wrap(text: &str, font: Font, size: f32, width: f32) -> Vec<String> {
    let mut out = Vec::new();
    let space = font.text_width(" ", size);
    for para in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0.0;
        for word in para.split_whitespace() {
            let mut word = word.to_string();
            let mut ww = font.text_width(&word, size);
            while ww > width {
                // Flush what is on the line, then cut the long word to fit.
                if !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                let mut cut = String::new();
                let mut cw = 0.0;
                let mut rest = String::new();
                for (i, c) in word.char_indices() {
                    let w = font.text_width(c.encode_utf8(&mut [0; 4]), size);
                    if cw + w > width && !cut.is_empty() {
                        rest = word[i..].to_string();
                        break;
                    }
                    cut.push(c);
                    cw += w;
                }
                out.push(cut);
                word = rest;
                ww = font.text_width(&word, size);
            }
            if word.is_empty() {
                continue;
            }
            if line.is_empty() {
                line = word;
                line_w = ww;
            } else if line_w + space + ww <= width {
                line.push(' ');
                line.push_str(&word);
                line_w += space + ww;
            } else {
                out.push(std::mem::replace(&mut line, word));
                line_w = ww;
            }
        }
        out.push(line);
    }
    // Drop trailing empty lines but keep at least one (an empty cell is one line).
    while out.len() > 1 && out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_respects_width_and_splits_long_words() {
        let lines = wrap(
            "the quick brown fox jumps over the lazy dog",
            Font::Regular,
            10.0,
            80.0,
        );
        assert!(lines.len() > 2);
        for l in &lines {
            assert!(Font::Regular.text_width(l, 10.0) <= 80.0, "{l}");
        }
        assert_eq!(
            lines.join(" "),
            "the quick brown fox jumps over the lazy dog"
        );
        let digest = "a".repeat(64);
        let lines = wrap(&digest, Font::Mono, 8.0, 100.0);
        assert!(lines.len() >= 3);
        assert_eq!(lines.concat(), digest);
        assert_eq!(wrap("", Font::Regular, 10.0, 50.0), vec![String::new()]);
    }

    #[test]
    fn long_tables_flow_over_pages() {
        let mut c = Canvas::new();
        let rows: Vec<Vec<String>> = (0..200)
            .map(|i| vec![format!("row {i}"), "x".into()])
            .collect();
        c.table(&[Col::left("A", 100.0), Col::right("B", 50.0)], &rows);
        assert!(c.page_count() >= 3);
        // A single enormous cell is split across pages rather than cut.
        let mut c = Canvas::new();
        let huge = "word ".repeat(20_000);
        c.table(&[Col::left("A", 100.0)], &[vec![huge]]);
        assert!(c.page_count() >= 10, "{}", c.page_count());
    }
}
