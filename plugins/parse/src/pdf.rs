//! PDF file structure: the trailer chain (classic xref tables, xref streams,
//! hybrid files), object streams, object resolution, and recovery by scanning for
//! `N G obj` when the cross-reference data is unusable.
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use memchr::memmem;
use papyr_sdk::types::StageError;

use crate::Warnings;
use crate::filters::{self, DecodeError};
use crate::lex::{Dict, Lexer, Obj, Stream, Tok};
use crate::limits::*;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Entry {
    Free,
    /// In the file at a byte offset.
    Off(usize),
    /// Object `idx` of object stream `stm`.
    InStm(u32, u32),
}

/// One section of the trailer chain: what one revision defines.
#[derive(Debug)]
pub struct Section {
    pub offset: usize,
    pub entries: Vec<(u32, Entry)>,
    pub trailer: Rc<Dict>,
    /// `entries` by object number, for lookups across revisions.
    pub index: HashMap<u32, Entry>,
}

pub struct Pdf<'a> {
    pub data: &'a [u8],
    /// Oldest first. Empty when the structure had to be recovered by scanning.
    pub sections: Vec<Section>,
    pub xref: HashMap<u32, Entry>,
    pub trailer: Rc<Dict>,
    /// The cross-reference data was unusable; objects were found by scanning.
    pub recovered: bool,
    /// Object numbers that the recovery scan found defined more than once.
    pub scan_duplicates: usize,
    cache: HashMap<u32, Obj>,
    objstms: HashMap<usize, Rc<HashMap<u32, Obj>>>,
    objstm_order: HashMap<usize, Rc<Vec<u32>>>,
    scan: Option<HashMap<u32, usize>>,
    loading: HashSet<u32>,
    pub decoded_total: usize,
    pub warnings: Warnings,
}

fn limit_err(what: &str) -> StageError {
    StageError::LimitExceeded(format!(
        "{what} decompresses beyond the {} MiB per-stream limit (a decompression bomb or an absurdly large stream)",
        MAX_STREAM_DECODED >> 20
    ))
}

impl<'a> Pdf<'a> {
    /// Open a PDF: `data` starts at `%PDF-` (offsets are relative to it).
    pub fn open(data: &'a [u8]) -> Result<Pdf<'a>, StageError> {
        let mut pdf = Pdf {
            data,
            sections: Vec::new(),
            xref: HashMap::new(),
            trailer: Rc::new(Dict::default()),
            recovered: false,
            scan_duplicates: 0,
            cache: HashMap::new(),
            objstms: HashMap::new(),
            objstm_order: HashMap::new(),
            scan: None,
            loading: HashSet::new(),
            decoded_total: 0,
            warnings: Warnings::default(),
        };
        let chain_ok = match find_startxref(data) {
            Some(off) => pdf.load_chain(off)?,
            None => {
                pdf.warnings
                    .push("no `startxref` found (truncated file?)".into());
                false
            }
        };
        if chain_ok && pdf.trailer.get(b"Encrypt").is_some() {
            return Err(encrypted_error(&pdf.trailer));
        }
        let root_ok = chain_ok && {
            let root = pdf.trailer.get(b"Root").cloned().unwrap_or(Obj::Null);
            pdf.resolve(&root)?
                .as_dict()
                .is_some_and(|d| d.has(b"Pages"))
        };
        if !root_ok {
            if chain_ok {
                pdf.warnings
                    .push("the catalog named by the trailer is unusable".into());
            }
            pdf.recover()?;
        }
        if pdf.trailer.get(b"Encrypt").is_some() {
            return Err(encrypted_error(&pdf.trailer));
        }
        Ok(pdf)
    }

    // ---- trailer chain ----

    fn load_chain(&mut self, start: usize) -> Result<bool, StageError> {
        let mut newest_first: Vec<Section> = Vec::new();
        let mut visited = HashSet::new();
        let mut next = Some(start);
        let mut total_entries = 0usize;
        while let Some(off) = next.take() {
            if !visited.insert(off) {
                self.warnings
                    .push(format!("the trailer chain loops back to offset {off}"));
                break;
            }
            if newest_first.len() >= MAX_REVISIONS {
                self.warnings.push(format!(
                    "more than {MAX_REVISIONS} revisions; older ones ignored"
                ));
                break;
            }
            let sec = match self.load_section(off)? {
                Some(s) => Some(s),
                // Offsets a few bytes off (line-ending conversion) are common.
                None => match self.nearby_xref(off) {
                    Some(o2) if !visited.contains(&o2) => {
                        self.warnings
                            .push(format!("xref offset {off} is off; used {o2}"));
                        self.load_section(o2)?
                    }
                    _ => None,
                },
            };
            let Some(sec) = sec else {
                if newest_first.is_empty() {
                    self.warnings
                        .push(format!("no cross-reference section at offset {off}"));
                    return Ok(false);
                }
                self.warnings.push(format!(
                    "the trailer chain is broken at offset {off}; older revisions could not be read"
                ));
                break;
            };
            total_entries += sec.entries.len();
            if total_entries > MAX_OBJECTS {
                return Err(StageError::LimitExceeded(format!(
                    "the PDF declares more than {MAX_OBJECTS} objects"
                )));
            }
            next = sec
                .trailer
                .get(b"Prev")
                .and_then(Obj::as_i64)
                .and_then(|p| usize::try_from(p).ok());
            newest_first.push(sec);
        }
        newest_first.reverse();
        for sec in &mut newest_first {
            sec.index = sec.entries.iter().copied().collect();
        }
        let mut trailer = Dict::default();
        for sec in &newest_first {
            for (num, e) in &sec.entries {
                self.xref.insert(*num, *e);
            }
            for (k, v) in &sec.trailer.0 {
                trailer.0.retain(|(k2, _)| k2 != k);
                trailer.0.push((k.clone(), v.clone()));
            }
        }
        self.trailer = Rc::new(trailer);
        self.sections = newest_first;
        Ok(true)
    }

    fn nearby_xref(&self, off: usize) -> Option<usize> {
        let lo = off.saturating_sub(64).min(self.data.len());
        let hi = (off + 64).min(self.data.len());
        memmem::find(&self.data[lo..hi], b"xref")
            .map(|p| lo + p)
            .filter(|&p| {
                // `startxref` contains `xref`; skip it.
                p < 5 || &self.data[p - 5..p] != b"start"
            })
    }

    fn load_section(&mut self, off: usize) -> Result<Option<Section>, StageError> {
        if off >= self.data.len() {
            return Ok(None);
        }
        let mut lx = Lexer::new(self.data, off);
        lx.skip_ws();
        if self.data[lx.pos..].starts_with(b"xref") {
            lx.pos += 4;
            return Ok(self.classic_section(off, lx));
        }
        // An xref stream.
        let Some((_, obj)) = self.parse_at(off, None) else {
            return Ok(None);
        };
        let Obj::Stream(s) = obj else { return Ok(None) };
        if !(s.dict.is_type(b"XRef") || s.dict.has(b"W")) {
            return Ok(None);
        }
        let entries = self.xref_stream_entries(&s)?;
        Ok(Some(Section {
            offset: off,
            entries,
            trailer: s.dict.clone(),
            index: HashMap::new(),
        }))
    }

    fn classic_section(&mut self, off: usize, mut lx: Lexer<'a>) -> Option<Section> {
        let mut entries: Vec<(u32, Entry)> = Vec::new();
        let mut seen = HashSet::new();
        loop {
            match lx.next_tok() {
                Tok::Int(start) if start >= 0 => {
                    let Tok::Int(count) = lx.next_tok() else {
                        return None;
                    };
                    let mut num = start as u64;
                    let mut first = true;
                    let mut i = 0i64;
                    while i < count {
                        let save = lx.pos;
                        let (Tok::Int(o), Tok::Int(g), Tok::Kw(k)) =
                            (lx.next_tok(), lx.next_tok(), lx.next_tok())
                        else {
                            lx.pos = save;
                            break;
                        };
                        // A frequent producer bug: a subsection `1 n` whose first
                        // entry is object 0's free entry.
                        if first && start == 1 && k == b"f" && g == 65535 {
                            num = 0;
                        }
                        first = false;
                        if num <= u32::MAX as u64 && seen.insert(num as u32) {
                            let e = if k == b"n" && o > 0 {
                                Entry::Off(o as usize)
                            } else {
                                Entry::Free
                            };
                            entries.push((num as u32, e));
                        }
                        num += 1;
                        i += 1;
                    }
                }
                Tok::Kw(k) if k == b"trailer" => {
                    let t = match lx.parse_obj(0) {
                        Ok(Obj::Dict(d)) => d,
                        _ => return None,
                    };
                    let mut sec = Section {
                        offset: off,
                        entries,
                        trailer: t.clone(),
                        index: HashMap::new(),
                    };
                    if let Some(xs) = t
                        .get(b"XRefStm")
                        .and_then(Obj::as_i64)
                        .and_then(|v| usize::try_from(v).ok())
                        && let Ok(Some(extra)) = self.load_section(xs)
                    {
                        // Hybrid file: the stream adds (compressed) objects the
                        // table does not list; both belong to this revision.
                        let have: HashSet<u32> = sec.entries.iter().map(|e| e.0).collect();
                        sec.entries
                            .extend(extra.entries.into_iter().filter(|(n, _)| !have.contains(n)));
                    }
                    return Some(sec);
                }
                _ => return None,
            }
        }
    }

    fn xref_stream_entries(&mut self, s: &Stream) -> Result<Vec<(u32, Entry)>, StageError> {
        let data = match self.decode_stream(s, "an xref stream")? {
            Some(d) => d,
            None => return Ok(vec![]),
        };
        let w: Vec<usize> = s
            .dict
            .get(b"W")
            .and_then(Obj::as_array)
            .map(|a| {
                a.iter()
                    .map(|o| o.as_i64().unwrap_or(0).clamp(0, 8) as usize)
                    .collect()
            })
            .unwrap_or_default();
        if w.len() < 3 {
            self.warnings.push("xref stream without a valid /W".into());
            return Ok(vec![]);
        }
        let row = w[0] + w[1] + w[2];
        if row == 0 {
            return Ok(vec![]);
        }
        let size = s
            .dict
            .get(b"Size")
            .and_then(Obj::as_i64)
            .unwrap_or(0)
            .max(0);
        let index: Vec<i64> = match s.dict.get(b"Index").and_then(Obj::as_array) {
            Some(a) => a.iter().filter_map(Obj::as_i64).collect(),
            None => vec![0, size],
        };
        let mut out = Vec::new();
        let mut rows = data.chunks_exact(row);
        'outer: for pair in index.chunks_exact(2) {
            let (start, count) = (pair[0].max(0) as u64, pair[1].max(0));
            for i in 0..count {
                let Some(r) = rows.next() else { break 'outer };
                let field = |from: usize, len: usize| {
                    r[from..from + len]
                        .iter()
                        .fold(0u64, |a, &b| a << 8 | b as u64)
                };
                let t = if w[0] == 0 { 1 } else { field(0, w[0]) };
                let f2 = field(w[0], w[1]);
                let f3 = field(w[0] + w[1], w[2]);
                let num = start + i as u64;
                if num > u32::MAX as u64 {
                    break 'outer;
                }
                let e = match t {
                    1 if f2 > 0 => Entry::Off(f2 as usize),
                    2 if f2 <= u32::MAX as u64 => {
                        Entry::InStm(f2 as u32, f3.min(u32::MAX as u64) as u32)
                    }
                    _ => Entry::Free,
                };
                out.push((num as u32, e));
            }
        }
        Ok(out)
    }

    // ---- recovery ----

    fn scan_objects(&self) -> (HashMap<u32, usize>, usize) {
        let mut map = HashMap::new();
        let mut dups = 0;
        let d = self.data;
        for p in memmem::find_iter(d, b"obj") {
            if d.get(p + 3).is_some_and(|&c| crate::lex::is_regular(c)) {
                continue;
            }
            // Walk back over `num ws gen ws`.
            let mut i = p;
            let ws = |i: &mut usize| {
                let s = *i;
                while *i > 0 && crate::lex::is_ws(d[*i - 1]) {
                    *i -= 1;
                }
                *i < s
            };
            let digits = |i: &mut usize| {
                let s = *i;
                while *i > 0 && d[*i - 1].is_ascii_digit() && s - *i < 10 {
                    *i -= 1;
                }
                (*i < s)
                    .then(|| std::str::from_utf8(&d[*i..s]).ok()?.parse::<u64>().ok())
                    .flatten()
            };
            if !ws(&mut i) || digits(&mut i).is_none() || !ws(&mut i) {
                continue;
            }
            let Some(num) = digits(&mut i) else { continue };
            if i > 0 && crate::lex::is_regular(d[i - 1]) || num > u32::MAX as u64 {
                continue;
            }
            if map.insert(num as u32, i).is_some() {
                dups += 1;
            }
            if map.len() > MAX_OBJECTS {
                break;
            }
        }
        (map, dups)
    }

    fn recover(&mut self) -> Result<(), StageError> {
        self.warnings.push(
            "the cross-reference data is broken; objects were recovered by scanning the file"
                .into(),
        );
        let (map, dups) = self.scan_objects();
        if map.len() > MAX_OBJECTS {
            return Err(StageError::LimitExceeded(format!(
                "the PDF has more than {MAX_OBJECTS} objects"
            )));
        }
        self.recovered = true;
        self.scan_duplicates = dups;
        if dups > 0 {
            self.warnings.push(format!(
                "{dups} object number(s) are defined more than once: the file has incremental updates the broken trailer chain does not describe"
            ));
        }
        self.sections.clear();
        self.cache.clear();
        self.xref = map.iter().map(|(&n, &o)| (n, Entry::Off(o))).collect();
        // Trailers that survive still name the catalog and Info.
        let mut trailer = Dict::default();
        for p in memmem::find_iter(self.data, b"trailer") {
            let mut lx = Lexer::new(self.data, p + 7);
            if let Ok(Obj::Dict(d)) = lx.parse_obj(0) {
                for (k, v) in &d.0 {
                    trailer.0.retain(|(k2, _)| k2 != k);
                    trailer.0.push((k.clone(), v.clone()));
                }
            }
        }
        // Objects inside object streams, and a catalog when no trailer names one.
        let mut nums: Vec<u32> = map.keys().copied().collect();
        nums.sort_unstable();
        let mut catalog = None;
        for n in nums {
            let o = self.get(n)?;
            let Some(d) = o.as_dict() else { continue };
            if d.is_type(b"ObjStm")
                && let Obj::Stream(_) = &o
                && let Some(Entry::Off(off)) = self.xref.get(&n).copied()
                && let Some(order) = self.objstm_members(off)?
            {
                for (idx, m) in order.iter().enumerate() {
                    self.xref.entry(*m).or_insert(Entry::InStm(n, idx as u32));
                }
            }
            if d.is_type(b"Catalog") && d.has(b"Pages") {
                catalog = Some(n);
            }
            if d.is_type(b"XRef") {
                for key in [&b"Root"[..], b"Info", b"Encrypt"] {
                    if !trailer.has(key)
                        && let Some(v) = d.get(key)
                    {
                        trailer.0.push((Rc::from(key), v.clone()));
                    }
                }
            }
        }
        self.cache.clear();
        let root_ok = match trailer.get(b"Root").cloned() {
            Some(r) => self.resolve(&r)?.as_dict().is_some_and(|d| d.has(b"Pages")),
            None => false,
        };
        if !root_ok {
            trailer.0.retain(|(k, _)| &**k != b"Root");
            match catalog {
                Some(n) => trailer.0.push((Rc::from(&b"Root"[..]), Obj::Ref(n, 0))),
                None => {
                    return Err(StageError::InvalidInput(
                        "the PDF is damaged beyond repair: no document catalog could be found"
                            .into(),
                    ));
                }
            }
        }
        self.trailer = Rc::new(trailer);
        Ok(())
    }

    // ---- objects ----

    /// Parse the indirect object whose header starts at `off`.
    fn parse_at(&mut self, off: usize, expect: Option<u32>) -> Option<(u32, Obj)> {
        let mut lx = Lexer::new(self.data, off);
        let (Tok::Int(n), Tok::Int(_g), Tok::Kw(k)) = (lx.next_tok(), lx.next_tok(), lx.next_tok())
        else {
            return None;
        };
        if k != b"obj" || n < 0 || n > u32::MAX as i64 || expect.is_some_and(|e| e as i64 != n) {
            return None;
        }
        let n = n as u32;
        let obj = lx.parse_obj(0).unwrap_or(Obj::Null);
        let Obj::Dict(dict) = &obj else {
            return Some((n, obj));
        };
        if lx.next_tok() != Tok::Kw(b"stream".to_vec()) {
            return Some((n, obj));
        }
        let mut start = lx.pos;
        if self.data.get(start) == Some(&b'\r') {
            start += 1;
        }
        if self.data.get(start) == Some(&b'\n') {
            start += 1;
        }
        let declared = match dict.get(b"Length") {
            Some(Obj::Int(l)) => Some(*l),
            Some(Obj::Ref(r, _)) if !self.loading.contains(r) && *r != n => {
                self.loading.insert(n);
                let v = self.get(*r).ok().and_then(|o| o.as_i64());
                self.loading.remove(&n);
                v
            }
            _ => None,
        };
        let fits = declared
            .and_then(|l| usize::try_from(l).ok())
            .and_then(|l| {
                let end = start.checked_add(l)?;
                let mut after = Lexer::new(self.data, end);
                after.skip_ws();
                (end <= self.data.len() && self.data[after.pos..].starts_with(b"endstream"))
                    .then_some(end)
            });
        let end = match fits {
            Some(e) => e,
            None => {
                let mut e = memmem::find(&self.data[start..], b"endstream")
                    .map_or(self.data.len(), |p| start + p);
                if e > start && self.data[e - 1] == b'\n' {
                    e -= 1;
                }
                if e > start && self.data[e - 1] == b'\r' {
                    e -= 1;
                }
                e
            }
        };
        Some((
            n,
            Obj::Stream(Rc::new(Stream {
                dict: dict.clone(),
                start,
                end,
            })),
        ))
    }

    /// The object numbered `n` as the document is now; `Null` when it does not exist.
    pub fn get(&mut self, n: u32) -> Result<Obj, StageError> {
        if let Some(o) = self.cache.get(&n) {
            return Ok(o.clone());
        }
        if !self.loading.insert(n) {
            return Ok(Obj::Null);
        }
        let entry = self.xref.get(&n).copied();
        let r = self.load_entry(n, entry, None);
        self.loading.remove(&n);
        let mut o = r?;
        if o.is_null() && !self.recovered {
            // The xref entry is wrong or missing: try where a scan finds it.
            if self.scan.is_none() {
                self.scan = Some(self.scan_objects().0);
            }
            if let Some(off) = self.scan.as_ref().and_then(|s| s.get(&n)).copied()
                && let Some((_, found)) = self.parse_at(off, Some(n))
            {
                if entry.is_some_and(|e| e != Entry::Free) {
                    self.warnings.push(format!(
                        "object {n} is not where the xref says; found by scanning"
                    ));
                }
                o = found;
            }
        }
        self.cache.insert(n, o.clone());
        Ok(o)
    }

    /// Load an object from an xref entry; `view` = the newest revision index to
    /// consider when the entry points into an object stream (None = now).
    fn load_entry(
        &mut self,
        n: u32,
        entry: Option<Entry>,
        view: Option<usize>,
    ) -> Result<Obj, StageError> {
        match entry {
            Some(Entry::Off(off)) => Ok(self
                .parse_at(off, Some(n))
                .map(|x| x.1)
                .unwrap_or(Obj::Null)),
            Some(Entry::InStm(stm, idx)) => {
                let stm_entry = match view {
                    None => self.xref.get(&stm).copied(),
                    Some(v) => self.entry_at(stm, v),
                };
                let Some(Entry::Off(off)) = stm_entry else {
                    return Ok(Obj::Null);
                };
                if self.objstm_members(off)?.is_none() {
                    return Ok(Obj::Null);
                }
                let objs = self.objstms.get(&off).cloned().unwrap_or_default();
                // Looked up by object number: the index in the entry is often wrong
                // in repaired files, the number never is.
                let _ = idx;
                Ok(objs.get(&n).cloned().unwrap_or(Obj::Null))
            }
            _ => Ok(Obj::Null),
        }
    }

    /// Parse (once) the object stream at file offset `off`; returns its member numbers.
    fn objstm_members(&mut self, off: usize) -> Result<Option<Rc<Vec<u32>>>, StageError> {
        if let Some(o) = self.objstm_order.get(&off) {
            return Ok(Some(o.clone()));
        }
        let Some((num, Obj::Stream(s))) = self.parse_at(off, None) else {
            return Ok(None);
        };
        let Some(data) = self.decode_stream(&s, &format!("object stream {num}"))? else {
            return Ok(None);
        };
        let n = s
            .dict
            .get(b"N")
            .and_then(Obj::as_i64)
            .unwrap_or(0)
            .clamp(0, 1_000_000) as usize;
        let first = s
            .dict
            .get(b"First")
            .and_then(Obj::as_i64)
            .unwrap_or(0)
            .max(0) as usize;
        let mut lx = Lexer::new(&data, 0);
        let mut heads = Vec::new();
        for _ in 0..n {
            match (lx.next_tok(), lx.next_tok()) {
                (Tok::Int(num), Tok::Int(o)) if num >= 0 && o >= 0 && num <= u32::MAX as i64 => {
                    heads.push((num as u32, o as usize))
                }
                _ => break,
            }
        }
        let mut objs = HashMap::new();
        let mut order = Vec::new();
        for (num, o) in heads {
            let mut lx = Lexer::new(&data, first.saturating_add(o));
            let obj = lx.parse_obj(0).unwrap_or(Obj::Null);
            // A stream cannot live in an object stream; references to file
            // ranges would be wrong, so drop any such claim.
            objs.entry(num).or_insert(obj);
            order.push(num);
        }
        let order = Rc::new(order);
        self.objstms.insert(off, Rc::new(objs));
        self.objstm_order.insert(off, order.clone());
        Ok(Some(order))
    }

    /// The entry for `n` as of revision `rev` (the newest section ≤ rev listing it).
    pub fn entry_at(&self, n: u32, rev: usize) -> Option<Entry> {
        let end = (rev + 1).min(self.sections.len());
        self.sections[..end]
            .iter()
            .rev()
            .find_map(|s| s.index.get(&n).copied())
    }

    /// Object `n` as it was in revision `rev`.
    pub fn get_at(&mut self, n: u32, rev: usize) -> Result<Obj, StageError> {
        let e = self.entry_at(n, rev);
        self.load_entry(n, e, Some(rev))
    }

    /// Object `n` from a known entry, as of revision `rev`.
    pub fn get_entry(&mut self, n: u32, e: Entry, rev: usize) -> Result<Obj, StageError> {
        self.load_entry(n, Some(e), Some(rev))
    }

    /// Follow references (bounded) to a direct object.
    pub fn resolve(&mut self, o: &Obj) -> Result<Obj, StageError> {
        let mut cur = o.clone();
        for _ in 0..16 {
            match cur {
                Obj::Ref(n, _) => cur = self.get(n)?,
                other => return Ok(other),
            }
        }
        Ok(Obj::Null)
    }

    /// `dict[key]`, resolved.
    pub fn get_key(&mut self, d: &Dict, key: &[u8]) -> Result<Obj, StageError> {
        match d.get(key) {
            Some(o) => self.resolve(o),
            None => Ok(Obj::Null),
        }
    }

    pub fn root(&mut self) -> Result<Rc<Dict>, StageError> {
        let t = self.trailer.clone();
        Ok(match self.get_key(&t, b"Root")? {
            Obj::Dict(d) => d,
            _ => Rc::new(Dict::default()),
        })
    }

    /// Decode a stream with the per-stream and total limits. `None` (with a
    /// warning) when a filter is one we do not decode.
    pub fn decode_stream(&mut self, s: &Stream, what: &str) -> Result<Option<Vec<u8>>, StageError> {
        self.decode_stream_limited(s, what, MAX_STREAM_DECODED)
            .map_err(|e| e.unwrap_or_else(|| limit_err(what)))
    }

    /// Like [`decode_stream`](Self::decode_stream) with a smaller limit;
    /// `Err(None)` means only that this limit was exceeded.
    pub fn decode_stream_limited(
        &mut self,
        s: &Stream,
        what: &str,
        limit: usize,
    ) -> Result<Option<Vec<u8>>, Option<StageError>> {
        let raw = &self.data[s.start.min(self.data.len())..s.end.min(self.data.len())];
        let mut dict = (*s.dict).clone();
        // Filters and their parameters may be indirect.
        for key in [&b"Filter"[..], b"DecodeParms"] {
            if let Some(v @ Obj::Ref(..)) = dict.get(key).cloned() {
                let r = self.resolve(&v).map_err(Some)?;
                dict.0.retain(|(k, _)| &**k != key);
                dict.0.push((Rc::from(key), r));
            }
        }
        match filters::decode(&dict, raw, limit) {
            Ok(d) => {
                if let Some(note) = d.damaged {
                    self.warnings.push(format!("{what}: {note}"));
                }
                self.decoded_total += d.data.len();
                if self.decoded_total > MAX_TOTAL_DECODED {
                    return Err(Some(StageError::LimitExceeded(format!(
                        "the document's streams decompress beyond the {} MiB total limit",
                        MAX_TOTAL_DECODED >> 20
                    ))));
                }
                Ok(Some(d.data))
            }
            Err(DecodeError::Limit) => Err(None),
            Err(DecodeError::Unsupported(f)) => {
                self.warnings
                    .push(format!("{what}: filter /{f} not decoded"));
                Ok(None)
            }
        }
    }
}

fn encrypted_error(trailer: &Dict) -> StageError {
    let _ = trailer;
    StageError::Unsupported(
        "the PDF is encrypted (the trailer has /Encrypt); Papyr cannot read encrypted PDFs — ask the sender for an unprotected copy".into(),
    )
}

/// The offset after the last `startxref` keyword.
fn find_startxref(data: &[u8]) -> Option<usize> {
    let tail_from = data.len().saturating_sub(64 * 1024);
    let p = memmem::rfind(&data[tail_from..], b"startxref")? + tail_from;
    let mut lx = Lexer::new(data, p + 9);
    match lx.next_tok() {
        Tok::Int(o) if o >= 0 => usize::try_from(o).ok(),
        _ => None,
    }
}
