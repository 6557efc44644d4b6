//! A tiny PDF writer for tests: objects, streams, classic xref sections (with
//! /Prev chains for incremental updates), object streams and xref streams.
#![allow(dead_code)]
use std::collections::BTreeMap;

pub struct Builder {
    pub buf: Vec<u8>,
    /// Objects written since the last xref section: num → offset.
    pending: BTreeMap<u32, usize>,
    /// Objects placed in object streams since the last xref section: num → (stm, idx).
    pending_stm: BTreeMap<u32, (u32, u32)>,
    pub last_xref: Option<usize>,
    first: bool,
}

impl Builder {
    pub fn new() -> Self {
        Builder {
            buf: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec(),
            pending: BTreeMap::new(),
            pending_stm: BTreeMap::new(),
            last_xref: None,
            first: true,
        }
    }

    pub fn raw(&mut self, s: &[u8]) {
        self.buf.extend_from_slice(s);
    }

    pub fn obj(&mut self, num: u32, body: &str) {
        self.pending.insert(num, self.buf.len());
        self.buf
            .extend_from_slice(format!("{num} 0 obj\n{body}\nendobj\n").as_bytes());
    }

    pub fn stream(&mut self, num: u32, dict_extra: &str, data: &[u8]) {
        self.pending.insert(num, self.buf.len());
        self.buf.extend_from_slice(
            format!(
                "{num} 0 obj\n<< /Length {} {dict_extra} >>\nstream\n",
                data.len()
            )
            .as_bytes(),
        );
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\nendstream\nendobj\n");
    }

    pub fn flate_stream(&mut self, num: u32, dict_extra: &str, data: &[u8]) {
        let z = miniz_oxide::deflate::compress_to_vec_zlib(data, 6);
        self.stream(num, &format!("/Filter /FlateDecode {dict_extra}"), &z);
    }

    /// An object stream holding `members`.
    pub fn objstm(&mut self, num: u32, members: &[(u32, &str)]) {
        let mut head = String::new();
        let mut body = String::new();
        for (i, (n, b)) in members.iter().enumerate() {
            head.push_str(&format!("{n} {} ", body.len()));
            body.push_str(b);
            body.push('\n');
            self.pending_stm.insert(*n, (num, i as u32));
        }
        let first = head.len();
        let data = format!("{head}{body}");
        self.flate_stream(
            num,
            &format!("/Type /ObjStm /N {} /First {first}", members.len()),
            data.as_bytes(),
        );
    }

    /// A classic xref section for the objects written since the previous one.
    pub fn xref(&mut self, trailer_extra: &str) -> usize {
        let off = self.buf.len();
        let mut s = String::from("xref\n");
        let mut entries: Vec<(u32, String)> = self
            .pending
            .iter()
            .map(|(n, o)| (*n, format!("{o:010} 00000 n\r\n")))
            .collect();
        if self.first {
            entries.insert(0, (0, "0000000000 65535 f\r\n".into()));
        }
        let mut i = 0;
        while i < entries.len() {
            let mut j = i;
            while j + 1 < entries.len() && entries[j + 1].0 == entries[j].0 + 1 {
                j += 1;
            }
            s.push_str(&format!("{} {}\n", entries[i].0, j - i + 1));
            for e in &entries[i..=j] {
                s.push_str(&e.1);
            }
            i = j + 1;
        }
        let size = self.pending.keys().max().copied().unwrap_or(0) + 1;
        let prev = self
            .last_xref
            .map(|p| format!(" /Prev {p}"))
            .unwrap_or_default();
        s.push_str(&format!(
            "trailer\n<< /Size {size}{prev} {trailer_extra} >>\nstartxref\n{off}\n%%EOF\n"
        ));
        self.buf.extend_from_slice(s.as_bytes());
        self.pending.clear();
        self.last_xref = Some(off);
        self.first = false;
        off
    }

    /// An xref stream (object `num`) for objects written since the previous section.
    pub fn xref_stream(&mut self, num: u32, trailer_extra: &str) -> usize {
        let off = self.buf.len();
        let mut rows: BTreeMap<u32, [u8; 7]> = BTreeMap::new();
        rows.insert(0, [0, 0, 0, 0, 0, 0xff, 0xff]);
        for (n, o) in &self.pending {
            let b = (*o as u32).to_be_bytes();
            rows.insert(*n, [1, b[0], b[1], b[2], b[3], 0, 0]);
        }
        for (n, (stm, idx)) in &self.pending_stm {
            let b = stm.to_be_bytes();
            rows.insert(*n, [2, b[0], b[1], b[2], b[3], 0, *idx as u8]);
        }
        let ob = (off as u32).to_be_bytes();
        rows.insert(num, [1, ob[0], ob[1], ob[2], ob[3], 0, 0]);
        if !self.first {
            rows.remove(&0);
        }
        let size = rows.keys().max().unwrap() + 1;
        // Only the objects of this section (/Index), with the PNG Up predictor.
        let index: Vec<String> = rows.keys().map(|n| format!("{n} 1")).collect();
        let mut raw = Vec::new();
        let mut prev = [0u8; 7];
        for row in rows.values().copied() {
            raw.push(2);
            for k in 0..7 {
                raw.push(row[k].wrapping_sub(prev[k]));
            }
            prev = row;
        }
        let z = miniz_oxide::deflate::compress_to_vec_zlib(&raw, 6);
        let prevx = self
            .last_xref
            .map(|p| format!(" /Prev {p}"))
            .unwrap_or_default();
        self.buf.extend_from_slice(
            format!(
                "{num} 0 obj\n<< /Type /XRef /Size {size} /Index [{}] /W [1 4 2] /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >> /Length {}{prevx} {trailer_extra} >>\nstream\n",
                index.join(" "),
                z.len()
            )
            .as_bytes(),
        );
        self.buf.extend_from_slice(&z);
        self.buf.extend_from_slice(
            format!("\nendstream\nendobj\nstartxref\n{off}\n%%EOF\n").as_bytes(),
        );
        self.pending.clear();
        self.pending_stm.clear();
        self.last_xref = Some(off);
        self.first = false;
        off
    }
}

/// A one-page document: catalog 1, pages 2, page 3, content 4, Helvetica 5, Info 6.
pub fn simple(content: &str, producer: &str) -> Builder {
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    b.obj(
        2,
        "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
    );
    b.obj(
        3,
        "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
    );
    b.flate_stream(4, "", content.as_bytes());
    b.obj(
        5,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    );
    b.obj(
        6,
        &format!(
            "<< /Producer ({producer}) /CreationDate (D:20240501102030+02'00') /Title (Rechnung) >>"
        ),
    );
    b.xref("/Root 1 0 R /Info 6 0 R");
    b
}

pub const INVOICE_CONTENT: &str = "BT /F1 16 Tf 50 800 Td (Rechnung Nr. 4711) Tj ET\n\
BT /F1 10 Tf 50 770 Td (M\\374nchen, 01.05.2024) Tj ET\n\
BT /F1 10 Tf 50 700 Td (Gesamtbetrag) Tj ET\n\
BT /F1 10 Tf 400 700 Td (119,00 \\200) Tj ET\n\
BT /F1 10 Tf 50 680 Td [(IBAN)-280(DE89)-250(3704)] TJ ET\n";
