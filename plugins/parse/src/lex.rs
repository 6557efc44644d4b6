//! PDF tokens and objects (ISO 32000-1 §7.2-7.3), shared by the file structure
//! parser and the content stream interpreter.
//!
//! Everything here works on untrusted bytes: nesting is bounded by
//! [`MAX_NESTING`](crate::limits::MAX_NESTING), malformed input yields `Null` or a
//! keyword token rather than a panic, and arrays/dictionaries/strings share their
//! storage (`Rc`) so that resolving and passing objects around stays cheap.
use std::rc::Rc;

use crate::limits::MAX_NESTING;

/// A PDF object. Streams keep a byte range into the file instead of a copy, so a
/// large file is never duplicated in memory.
#[derive(Clone, Debug, PartialEq)]
pub enum Obj {
    Null,
    Bool(bool),
    Int(i64),
    Real(f64),
    Str(Rc<[u8]>),
    Name(Rc<[u8]>),
    Array(Rc<[Obj]>),
    Dict(Rc<Dict>),
    Ref(u32, u16),
    Stream(Rc<Stream>),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dict(pub Vec<(Rc<[u8]>, Obj)>);

#[derive(Debug, PartialEq)]
pub struct Stream {
    pub dict: Rc<Dict>,
    /// Encoded data: `file[start..end]`.
    pub start: usize,
    pub end: usize,
}

impl Dict {
    pub fn get(&self, key: &[u8]) -> Option<&Obj> {
        // Later duplicates win, as most readers do.
        self.0
            .iter()
            .rev()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| v)
    }
    pub fn has(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }
    pub fn name(&self, key: &[u8]) -> Option<&[u8]> {
        self.get(key).and_then(Obj::as_name)
    }
    pub fn is_type(&self, ty: &[u8]) -> bool {
        self.name(b"Type") == Some(ty)
    }
    /// The dictionary without `key`, for comparing two versions of an object.
    pub fn without(&self, key: &[u8]) -> Dict {
        Dict(
            self.0
                .iter()
                .filter(|(k, _)| &**k != key)
                .cloned()
                .collect(),
        )
    }
}

impl Obj {
    pub fn as_dict(&self) -> Option<&Dict> {
        match self {
            Obj::Dict(d) => Some(d),
            Obj::Stream(s) => Some(&s.dict),
            _ => None,
        }
    }
    pub fn as_name(&self) -> Option<&[u8]> {
        match self {
            Obj::Name(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&[u8]> {
        match self {
            Obj::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Obj]> {
        match self {
            Obj::Array(a) => Some(a),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Obj::Int(i) => Some(i),
            Obj::Real(r) if r.is_finite() && r.abs() < 9e15 => Some(r as i64),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Obj::Int(i) => Some(i as f64),
            Obj::Real(r) if r.is_finite() => Some(r),
            _ => None,
        }
    }
    pub fn as_ref(&self) -> Option<u32> {
        match *self {
            Obj::Ref(n, _) => Some(n),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Obj::Null)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Int(i64),
    Real(f64),
    Str(Vec<u8>),
    Name(Vec<u8>),
    ArrOpen,
    ArrClose,
    DictOpen,
    DictClose,
    /// A bare word: `obj`, `R`, `true`, or a content stream operator (`Tj`, `'`).
    Kw(Vec<u8>),
    Eof,
}

pub fn is_ws(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}
pub fn is_delim(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}
pub fn is_regular(b: u8) -> bool {
    !is_ws(b) && !is_delim(b)
}

pub struct Lexer<'a> {
    pub data: &'a [u8],
    pub pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(data: &'a [u8], pos: usize) -> Self {
        Lexer {
            data,
            pos: pos.min(data.len()),
        }
    }

    pub fn skip_ws(&mut self) {
        while let Some(&b) = self.data.get(self.pos) {
            if is_ws(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(&c) = self.data.get(self.pos) {
                    if c == b'\n' || c == b'\r' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    pub fn next_tok(&mut self) -> Tok {
        self.skip_ws();
        let Some(&b) = self.data.get(self.pos) else {
            return Tok::Eof;
        };
        match b {
            b'[' => {
                self.pos += 1;
                Tok::ArrOpen
            }
            b']' => {
                self.pos += 1;
                Tok::ArrClose
            }
            b'<' if self.data.get(self.pos + 1) == Some(&b'<') => {
                self.pos += 2;
                Tok::DictOpen
            }
            b'>' if self.data.get(self.pos + 1) == Some(&b'>') => {
                self.pos += 2;
                Tok::DictClose
            }
            b'<' => {
                self.pos += 1;
                Tok::Str(self.hex_string())
            }
            b'(' => {
                self.pos += 1;
                Tok::Str(self.literal_string())
            }
            b'/' => {
                self.pos += 1;
                Tok::Name(self.name())
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => self.number(),
            _ if is_regular(b) => {
                let start = self.pos;
                while self.data.get(self.pos).is_some_and(|&c| is_regular(c)) {
                    self.pos += 1;
                }
                Tok::Kw(self.data[start..self.pos].to_vec())
            }
            _ => {
                // A stray delimiter (`)`, `>`, `{`, `}`): skip it as a keyword of its own.
                self.pos += 1;
                Tok::Kw(vec![b])
            }
        }
    }

    fn number(&mut self) -> Tok {
        let start = self.pos;
        while self
            .data
            .get(self.pos)
            .is_some_and(|&c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.'))
        {
            self.pos += 1;
        }
        let text = &self.data[start..self.pos];
        // Producers write oddities like `--5` or `1.2.3`; keep the sign and digits.
        let neg = text.first() == Some(&b'-');
        let body: Vec<u8> = text
            .iter()
            .copied()
            .skip_while(|c| matches!(c, b'+' | b'-'))
            .filter(|c| c.is_ascii_digit() || *c == b'.')
            .collect();
        let mut seen_dot = false;
        let body: Vec<u8> = body
            .into_iter()
            .filter(|&c| {
                if c == b'.' {
                    if seen_dot {
                        return false;
                    }
                    seen_dot = true;
                }
                true
            })
            .collect();
        let s = std::str::from_utf8(&body).unwrap_or("0");
        if !seen_dot && let Ok(i) = s.parse::<i64>() {
            return Tok::Int(if neg { -i } else { i });
        }
        let r: f64 = if s == "." || s.is_empty() {
            0.0
        } else {
            s.parse().unwrap_or(0.0)
        };
        Tok::Real(if neg { -r } else { r })
    }

    fn name(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while let Some(&c) = self.data.get(self.pos) {
            if !is_regular(c) {
                break;
            }
            self.pos += 1;
            if c == b'#'
                && let (Some(h), Some(l)) = (
                    self.data.get(self.pos).and_then(|&x| hexval(x)),
                    self.data.get(self.pos + 1).and_then(|&x| hexval(x)),
                )
            {
                out.push(h << 4 | l);
                self.pos += 2;
                continue;
            }
            out.push(c);
        }
        out
    }

    fn hex_string(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut hi: Option<u8> = None;
        while let Some(&c) = self.data.get(self.pos) {
            self.pos += 1;
            if c == b'>' {
                break;
            }
            if let Some(v) = hexval(c) {
                match hi.take() {
                    Some(h) => out.push(h << 4 | v),
                    None => hi = Some(v),
                }
            }
        }
        if let Some(h) = hi {
            out.push(h << 4);
        }
        out
    }

    fn literal_string(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut depth = 1usize;
        while let Some(&c) = self.data.get(self.pos) {
            self.pos += 1;
            match c {
                b'(' => {
                    depth += 1;
                    out.push(c);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(c);
                }
                b'\\' => {
                    let Some(&e) = self.data.get(self.pos) else {
                        break;
                    };
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'0'..=b'7' => {
                            let mut v = (e - b'0') as u32;
                            for _ in 0..2 {
                                match self.data.get(self.pos) {
                                    Some(&d @ b'0'..=b'7') => {
                                        v = v * 8 + (d - b'0') as u32;
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(v as u8);
                        }
                        b'\r' => {
                            if self.data.get(self.pos) == Some(&b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        other => out.push(other),
                    }
                }
                b'\r' => {
                    if self.data.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    out.push(b'\n');
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// Parse one object. Keywords other than true/false/null come back as `Err(kw)`
    /// so that callers (content streams, `obj`/`endobj` checks) can act on them.
    pub fn parse_obj(&mut self, depth: usize) -> Result<Obj, Tok> {
        let tok = self.next_tok();
        self.obj_from(tok, depth)
    }

    pub fn obj_from(&mut self, tok: Tok, depth: usize) -> Result<Obj, Tok> {
        if depth > MAX_NESTING {
            return Ok(Obj::Null);
        }
        Ok(match tok {
            Tok::Int(i) => {
                // `N G R` is a reference; look ahead without consuming otherwise.
                let save = self.pos;
                if (0..=u32::MAX as i64).contains(&i)
                    && let Tok::Int(g) = self.next_tok()
                    && (0..=65535).contains(&g)
                    && self.next_tok() == Tok::Kw(b"R".to_vec())
                {
                    return Ok(Obj::Ref(i as u32, g as u16));
                }
                self.pos = save;
                Obj::Int(i)
            }
            Tok::Real(r) => Obj::Real(r),
            Tok::Str(s) => Obj::Str(s.into()),
            Tok::Name(n) => Obj::Name(n.into()),
            Tok::ArrOpen => {
                let mut v = Vec::new();
                loop {
                    match self.next_tok() {
                        Tok::ArrClose | Tok::Eof => break,
                        t => match self.obj_from(t, depth + 1) {
                            Ok(o) => v.push(o),
                            // A keyword inside an array means the array was never
                            // closed; stop before it so the caller sees it.
                            Err(Tok::Kw(k)) if is_structural(&k) => {
                                self.pos -= k.len();
                                break;
                            }
                            Err(_) => {}
                        },
                    }
                }
                Obj::Array(v.into())
            }
            Tok::DictOpen => Obj::Dict(Rc::new(self.dict_body(depth)?)),
            Tok::Kw(k) => match k.as_slice() {
                b"true" => Obj::Bool(true),
                b"false" => Obj::Bool(false),
                b"null" => Obj::Null,
                _ => return Err(Tok::Kw(k)),
            },
            t => return Err(t),
        })
    }

    fn dict_body(&mut self, depth: usize) -> Result<Dict, Tok> {
        let mut d = Dict::default();
        loop {
            match self.next_tok() {
                Tok::DictClose | Tok::Eof => break,
                Tok::Name(k) => {
                    let t = self.next_tok();
                    match t {
                        Tok::DictClose => {
                            d.0.push((k.into(), Obj::Null));
                            break;
                        }
                        t => match self.obj_from(t, depth + 1) {
                            Ok(v) => d.0.push((k.into(), v)),
                            Err(Tok::Kw(kw)) if is_structural(&kw) => {
                                self.pos -= kw.len();
                                break;
                            }
                            Err(_) => {}
                        },
                    }
                }
                Tok::Kw(kw) if is_structural(&kw) => {
                    self.pos -= kw.len();
                    break;
                }
                _ => {}
            }
        }
        Ok(d)
    }
}

/// Keywords that end an object in the file structure; an unterminated array or
/// dictionary must not swallow them.
fn is_structural(k: &[u8]) -> bool {
    matches!(
        k,
        b"endobj" | b"stream" | b"endstream" | b"obj" | b"xref" | b"trailer" | b"startxref"
    )
}

pub fn hexval(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(s: &str) -> Obj {
        Lexer::new(s.as_bytes(), 0).parse_obj(0).unwrap()
    }

    #[test]
    fn parses_nested_objects_and_refs() {
        let o = obj("<< /A [1 2 0 R (x\\(y\\)) <414> /N#20a] /B -.5 /C true >>");
        let d = o.as_dict().unwrap();
        let a = d.get(b"A").unwrap().as_array().unwrap();
        assert_eq!(a[0], Obj::Int(1));
        assert_eq!(a[1], Obj::Ref(2, 0));
        assert_eq!(a[2].as_str().unwrap(), b"x(y)");
        assert_eq!(a[3].as_str().unwrap(), b"A@");
        assert_eq!(a[4].as_name().unwrap(), b"N a");
        assert_eq!(d.get(b"B"), Some(&Obj::Real(-0.5)));
        assert_eq!(d.get(b"C"), Some(&Obj::Bool(true)));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let s = "[".repeat(100_000);
        let o = obj(&s);
        assert!(matches!(o, Obj::Array(_)));
    }

    #[test]
    fn octal_and_line_continuation() {
        assert_eq!(obj("(\\101\\\nB\\7)").as_str().unwrap(), b"AB\x07");
    }
}
