//! Content stream interpretation (text operators, Form XObjects, image counting)
//! and the layout step that turns positioned glyph runs into lines.
use std::collections::HashMap;
use std::rc::Rc;

use papyr_sdk::types::{StageError, TextLine, TextSpan};

use crate::fonts::{self, Font};
use crate::lex::{Dict, Lexer, Obj, Tok};
use crate::limits::*;
use crate::pdf::Pdf;

type M = [f64; 6];
const ID: M = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn mul(a: &M, b: &M) -> M {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

fn apply(m: &M, x: f64, y: f64) -> (f64, f64) {
    (x * m[0] + y * m[2] + m[4], x * m[1] + y * m[3] + m[5])
}

/// A run of glyphs shown by one operator, in page space (y up from the bottom).
#[derive(Debug, Clone)]
pub struct Piece {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub size: f64,
    /// Advance of a space in this run's font, in page units.
    pub space: f64,
    /// Positioned by a text-positioning operator rather than continuing where the
    /// previous run in the same text object ended.
    pub placed: bool,
    pub font: Rc<str>,
    pub text: String,
}

/// A font selected by `Tf`: the font, its display name, its identity.
type SelectedFont = (Rc<Font>, Rc<str>, FontKey);

#[derive(Clone)]
struct Gs {
    ctm: M,
    tc: f64,
    tw: f64,
    th: f64,
    tl: f64,
    rise: f64,
    fs: f64,
    font: Option<SelectedFont>,
}

/// Identifies a font resource across pages.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum FontKey {
    Obj(u32),
    Direct(String),
}

/// Fonts met while interpreting, in order of first use, with the pages using them.
#[derive(Default)]
pub struct FontUse {
    pub order: Vec<FontKey>,
    pub info: HashMap<FontKey, (Rc<Font>, Vec<u32>)>,
}

/// State shared across all pages of one document.
#[derive(Default)]
pub struct Ctx {
    pub fonts: HashMap<FontKey, Rc<Font>>,
    pub forms: HashMap<u32, Rc<Vec<u8>>>,
    pub ops: usize,
    pub usage: FontUse,
    pub no_unicode_warned: Vec<String>,
}

pub struct PageOut {
    pub pieces: Vec<Piece>,
    pub images: u32,
    pub truncated: bool,
}

struct Interp<'c, 'p, 'a> {
    pdf: &'p mut Pdf<'a>,
    ctx: &'c mut Ctx,
    page_no: u32,
    out: PageOut,
    chars: usize,
    /// A positioning operator ran since the last text was shown.
    moved: bool,
}

pub fn run_page(
    pdf: &mut Pdf,
    ctx: &mut Ctx,
    page_no: u32,
    content: &[u8],
    res: &Obj,
) -> Result<PageOut, StageError> {
    let mut it = Interp {
        pdf,
        ctx,
        page_no,
        out: PageOut {
            pieces: vec![],
            images: 0,
            truncated: false,
        },
        chars: 0,
        moved: true,
    };
    let gs = Gs {
        ctm: ID,
        tc: 0.0,
        tw: 0.0,
        th: 1.0,
        tl: 0.0,
        rise: 0.0,
        fs: 0.0,
        font: None,
    };
    it.run(content, res, gs, 0)?;
    Ok(it.out)
}

fn num(o: &Obj) -> f64 {
    o.as_f64().unwrap_or(0.0)
}

impl Interp<'_, '_, '_> {
    fn run(&mut self, data: &[u8], res: &Obj, gs0: Gs, depth: usize) -> Result<(), StageError> {
        let res_dict: Rc<Dict> = match self.pdf.resolve(res)? {
            Obj::Dict(d) => d,
            _ => Rc::new(Dict::default()),
        };
        let mut gs = gs0;
        let mut stack: Vec<Gs> = Vec::new();
        let mut tm = ID;
        let mut tlm = ID;
        let mut operands: Vec<Obj> = Vec::new();
        let mut lx = Lexer::new(data, 0);
        loop {
            let tok = lx.next_tok();
            let op = match tok {
                Tok::Eof => break,
                Tok::Kw(k) => match lx.obj_from(Tok::Kw(k), 0) {
                    Ok(o) => {
                        operands.push(o);
                        continue;
                    }
                    Err(Tok::Kw(k)) => k,
                    Err(_) => continue,
                },
                t => {
                    if let Ok(o) = lx.obj_from(t, 0) {
                        if operands.len() >= 10_000 {
                            operands.clear();
                        }
                        operands.push(o);
                    }
                    continue;
                }
            };
            self.ctx.ops += 1;
            if self.ctx.ops > MAX_OPERATORS {
                return Err(StageError::LimitExceeded(format!(
                    "the document's content streams have more than {MAX_OPERATORS} operators"
                )));
            }
            let a = &operands;
            let n = |i: usize| a.get(i).map(num).unwrap_or(0.0);
            if matches!(
                op.as_slice(),
                b"BT" | b"Td" | b"TD" | b"Tm" | b"T*" | b"'" | b"\"" | b"cm"
            ) {
                self.moved = true;
            }
            match op.as_slice() {
                b"q" if stack.len() < 256 => stack.push(gs.clone()),
                b"Q" => {
                    if let Some(g) = stack.pop() {
                        gs = g;
                    }
                }
                b"cm" if a.len() >= 6 => {
                    gs.ctm = mul(&[n(0), n(1), n(2), n(3), n(4), n(5)], &gs.ctm)
                }
                b"BT" => {
                    tm = ID;
                    tlm = ID;
                }
                b"Tf" if a.len() >= 2 => {
                    gs.fs = n(1);
                    if let Some(name) = a[0].as_name() {
                        gs.font = self.font(&res_dict, name)?;
                    }
                }
                b"Td" if a.len() >= 2 => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, n(0), n(1)], &tlm);
                    tm = tlm;
                }
                b"TD" if a.len() >= 2 => {
                    gs.tl = -n(1);
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, n(0), n(1)], &tlm);
                    tm = tlm;
                }
                b"Tm" if a.len() >= 6 => {
                    tlm = [n(0), n(1), n(2), n(3), n(4), n(5)];
                    tm = tlm;
                }
                b"T*" => {
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.tl], &tlm);
                    tm = tlm;
                }
                b"TL" => gs.tl = n(0),
                b"Tc" => gs.tc = n(0),
                b"Tw" => gs.tw = n(0),
                b"Tz" => gs.th = n(0) / 100.0,
                b"Ts" => gs.rise = n(0),
                b"Tj" => {
                    if let Some(s) = a.first().and_then(Obj::as_str) {
                        self.show(&gs, &mut tm, &[Obj::Str(s.into())]);
                    }
                }
                b"'" | b"\"" => {
                    if op == b"\"" && a.len() >= 3 {
                        gs.tw = n(0);
                        gs.tc = n(1);
                    }
                    tlm = mul(&[1.0, 0.0, 0.0, 1.0, 0.0, -gs.tl], &tlm);
                    tm = tlm;
                    if let Some(s) = a.last().and_then(Obj::as_str) {
                        self.show(&gs, &mut tm, &[Obj::Str(s.into())]);
                    }
                }
                b"TJ" => {
                    if let Some(arr) = a.first().and_then(Obj::as_array) {
                        let arr = arr.to_vec();
                        self.show(&gs, &mut tm, &arr);
                    }
                }
                b"Do" => {
                    if let Some(name) = a.first().and_then(Obj::as_name) {
                        let name = name.to_vec();
                        self.xobject(&res_dict, &name, &gs, res, depth)?;
                    }
                }
                b"BI" => {
                    self.out.images += 1;
                    skip_inline_image(&mut lx);
                }
                _ => {}
            }
            operands.clear();
        }
        Ok(())
    }

    fn font(&mut self, res: &Dict, name: &[u8]) -> Result<Option<SelectedFont>, StageError> {
        let fonts = self.pdf.get_key(res, b"Font")?;
        let Some(fd) = fonts.as_dict() else {
            return Ok(None);
        };
        let Some(r) = fd.get(name).cloned() else {
            return Ok(None);
        };
        let obj = self.pdf.resolve(&r)?;
        let Some(d) = obj.as_dict() else {
            return Ok(None);
        };
        let key = match r {
            Obj::Ref(n, _) => FontKey::Obj(n),
            _ => FontKey::Direct(format!(
                "{}/{}",
                String::from_utf8_lossy(d.name(b"BaseFont").unwrap_or(b"")),
                String::from_utf8_lossy(name)
            )),
        };
        let font = match self.ctx.fonts.get(&key) {
            Some(f) => f.clone(),
            None => {
                let f = Rc::new(fonts::load_font(self.pdf, d)?);
                if !f.has_unicode && !self.ctx.no_unicode_warned.contains(&f.base_font) {
                    self.ctx.no_unicode_warned.push(f.base_font.clone());
                    self.pdf.warnings.push(format!(
                        "font {} has no ToUnicode map; its text cannot be extracted",
                        f.base_font
                    ));
                }
                self.ctx.fonts.insert(key.clone(), f.clone());
                f
            }
        };
        let entry = self.ctx.usage.info.entry(key.clone()).or_insert_with(|| {
            self.ctx.usage.order.push(key.clone());
            (font.clone(), vec![])
        });
        if entry.1.last() != Some(&self.page_no) {
            entry.1.push(self.page_no);
        }
        let display: Rc<str> = if font.base_font.is_empty() {
            String::from_utf8_lossy(name).into()
        } else {
            font.base_font.as_str().into()
        };
        Ok(Some((font, display, key)))
    }

    fn show(&mut self, gs: &Gs, tm: &mut M, items: &[Obj]) {
        let fallback;
        let (font, fname): (&Font, Rc<str>) = match &gs.font {
            Some((f, n, _)) => (f, n.clone()),
            None => {
                fallback = Font::fallback();
                (&fallback, "".into())
            }
        };
        let fs = gs.fs;
        let full = mul(tm, &gs.ctm);
        let size = (fs * (full[2] * full[2] + full[3] * full[3]).sqrt()).abs();
        // Without a space glyph to go by, a typical one: a quarter em.
        let space = font.space_width().unwrap_or(0.25)
            * (fs * gs.th * (full[0] * full[0] + full[1] * full[1]).sqrt()).abs();
        let mut text = String::new();
        let mut start_adv = 0.0;
        let mut adv = 0.0;
        let mut pieces: Vec<(f64, f64, String)> = Vec::new();
        for it in items {
            match it {
                Obj::Str(s) => {
                    for g in font.decode(s) {
                        text.push_str(&g.text);
                        adv +=
                            (g.width * fs + gs.tc + if g.is_space { gs.tw } else { 0.0 }) * gs.th;
                    }
                }
                Obj::Int(_) | Obj::Real(_) => {
                    let k = num(it);
                    let shift = -k / 1000.0 * fs * gs.th;
                    // A big gap is a column break: start a new piece so layout
                    // can see it; a moderate one is a word space.
                    if k < -1000.0 && !text.is_empty() {
                        pieces.push((start_adv, adv, std::mem::take(&mut text)));
                        adv += shift;
                        start_adv = adv;
                        continue;
                    }
                    if k < -200.0 && !text.is_empty() && !text.ends_with(' ') {
                        text.push(' ');
                    }
                    adv += shift;
                    if text.is_empty() {
                        start_adv = adv;
                    }
                }
                _ => {}
            }
        }
        pieces.push((start_adv, adv, text));
        let mut placed = std::mem::take(&mut self.moved);
        for (a0, a1, t) in pieces {
            if t.trim().is_empty() {
                continue;
            }
            if self.chars + t.len() > MAX_TEXT_PER_PAGE {
                self.out.truncated = true;
                continue;
            }
            self.chars += t.len();
            let (x0, y0) = apply(&full, a0, gs.rise);
            let (x1, _) = apply(&full, a1, gs.rise);
            self.out.pieces.push(Piece {
                x: x0.min(x1),
                y: y0,
                width: (x1 - x0).abs(),
                size,
                space,
                placed,
                font: fname.clone(),
                text: t,
            });
            placed = false;
        }
        *tm = mul(&[1.0, 0.0, 0.0, 1.0, adv, 0.0], tm);
    }

    fn xobject(
        &mut self,
        res: &Dict,
        name: &[u8],
        gs: &Gs,
        parent_res: &Obj,
        depth: usize,
    ) -> Result<(), StageError> {
        let xo = self.pdf.get_key(res, b"XObject")?;
        let Some(r) = xo.as_dict().and_then(|d| d.get(name)).cloned() else {
            return Ok(());
        };
        let Obj::Stream(s) = self.pdf.resolve(&r)? else {
            return Ok(());
        };
        match s.dict.name(b"Subtype") {
            Some(b"Image") => self.out.images += 1,
            Some(b"Form") => {
                if depth + 1 >= MAX_FORM_DEPTH {
                    self.pdf.warnings.push(format!(
                        "Form XObjects nested deeper than {MAX_FORM_DEPTH}; skipped"
                    ));
                    return Ok(());
                }
                let data = match r.as_ref().and_then(|n| self.ctx.forms.get(&n).cloned()) {
                    Some(d) => d,
                    None => {
                        let Some(d) = self.pdf.decode_stream(&s, "a Form XObject")? else {
                            return Ok(());
                        };
                        let d = Rc::new(d);
                        if let Some(n) = r.as_ref() {
                            self.ctx.forms.insert(n, d.clone());
                        }
                        d
                    }
                };
                let mut g = gs.clone();
                if let Some(m) = s.dict.get(b"Matrix").and_then(Obj::as_array)
                    && m.len() >= 6
                {
                    let m: Vec<f64> = m.iter().map(num).collect();
                    g.ctm = mul(&[m[0], m[1], m[2], m[3], m[4], m[5]], &g.ctm);
                }
                let form_res = match s.dict.get(b"Resources") {
                    Some(r) => r.clone(),
                    None => parent_res.clone(),
                };
                self.run(&data, &form_res, g, depth + 1)?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Skip `BI <dict> ID <data> EI`: the binary data must not be tokenised.
fn skip_inline_image(lx: &mut Lexer) {
    loop {
        match lx.next_tok() {
            Tok::Kw(k) if k == b"ID" => break,
            Tok::Eof => return,
            _ => {}
        }
    }
    let d = lx.data;
    let mut i = lx.pos + 1;
    while i + 1 < d.len() {
        if d[i] == b'E'
            && d[i + 1] == b'I'
            && crate::lex::is_ws(d[i - 1])
            && d.get(i + 2).is_none_or(|&c| crate::lex::is_ws(c))
        {
            lx.pos = i + 2;
            return;
        }
        i += 1;
    }
    lx.pos = d.len();
}

/// Whether the end of `before` and the start of `after` belong to different words
/// when nothing separates them: letters against digits, or a lower-case letter
/// followed by a capital.
fn separate_words(before: &str, after: &str) -> bool {
    let (Some(a), Some(b)) = (before.chars().next_back(), after.chars().next()) else {
        return false;
    };
    (a.is_alphabetic() && b.is_numeric())
        || (a.is_numeric() && b.is_alphabetic())
        || (a.is_lowercase() && b.is_uppercase())
}

/// Group pieces into lines: by baseline, left to right, spaces where gaps are.
pub fn layout(pieces: &[Piece], page_no: u32, page_top: f64, page_left: f64) -> Vec<TextLine> {
    let mut ps: Vec<&Piece> = pieces
        .iter()
        .filter(|p| p.x.is_finite() && p.y.is_finite())
        .collect();
    // y from the top edge, so sort descending page-space y.
    ps.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut groups: Vec<(f64, f64, Vec<&Piece>)> = Vec::new();
    for p in ps {
        match groups.last_mut() {
            Some((y, size, g)) if (*y - p.y).abs() <= (0.3 * size.max(p.size)).max(2.0) => {
                g.push(p);
                *size = size.max(p.size);
            }
            _ => groups.push((p.y, p.size, vec![p])),
        }
    }
    let mut lines = Vec::new();
    for (y, _, mut g) in groups {
        g.sort_by(|a, b| a.x.total_cmp(&b.x));
        let mut spans: Vec<TextSpan> = Vec::new();
        let mut text = String::new();
        let mut prev_end: Option<f64> = None;
        for p in g {
            let em = p.size.max(1.0);
            // Runs that touch (a word split for kerning or a font change, as in
            // "Rech"+"nung") join; a real gap is a word or cell boundary even when
            // it is narrower than a space, as between tightly packed table cells.
            // A tenth of an em is beyond any kerning, and a fifth of a space allows
            // for the wide spaces of monospaced fonts.
            let word_gap = (0.1 * em).max(0.2 * p.space.min(em));
            let t = p.text.as_str();
            // A run placed on its own right against the previous one, across a
            // letter/digit or lower/upper-case boundary, is a label and its value
            // (or two cells) that the producer set too tight, not one word; one
            // placed well inside the previous run is a cell overflowing into the
            // next (kerning never overlaps by a quarter em).
            let gap = prev_end.map(|e| {
                let g = p.x - e;
                if p.placed && (g < -0.25 * em || g <= word_gap && separate_words(&text, t)) {
                    word_gap + f64::EPSILON
                } else {
                    g
                }
            });
            match (gap, spans.last_mut()) {
                (Some(gap), Some(last))
                    if gap < 1.2 * em
                        && *last.font == *p.font
                        && (last.size - p.size as f32).abs() < 0.5 =>
                {
                    if gap > word_gap && !last.text.ends_with(' ') && !t.starts_with(' ') {
                        last.text.push(' ');
                        text.push(' ');
                    }
                    last.text.push_str(t);
                    last.width = (p.x + p.width) as f32 - last.x;
                }
                (gap, _) => {
                    if let Some(gap) = gap {
                        if gap >= 1.2 * em {
                            text.push_str("  ");
                        } else if gap > word_gap && !text.ends_with(' ') {
                            text.push(' ');
                        }
                    }
                    spans.push(TextSpan {
                        text: t.to_string(),
                        x: (p.x - page_left) as f32,
                        width: p.width as f32,
                        font: p.font.to_string(),
                        size: p.size as f32,
                    });
                }
            }
            text.push_str(t);
            prev_end = Some(prev_end.map_or(p.x + p.width, |e: f64| e.max(p.x + p.width)));
        }
        let text = text.trim().to_string();
        if text.is_empty() {
            continue;
        }
        for s in &mut spans {
            s.text = s.text.trim().to_string();
        }
        lines.push(TextLine {
            page: page_no,
            line: lines.len() as u32 + 1,
            y: (page_top - y) as f32,
            text,
            spans,
        });
    }
    lines
}
