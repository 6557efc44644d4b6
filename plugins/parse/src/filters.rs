//! Stream filters (ISO 32000-1 §7.4) with hard output limits: decoding never
//! allocates beyond the per-stream limit the caller passes.
use miniz_oxide::inflate::{self, TINFLStatus};

use crate::lex::{Dict, Obj};

#[derive(Debug)]
pub enum DecodeError {
    /// The decoded data would exceed the limit (a decompression bomb or a huge stream).
    Limit,
    /// A filter we do not decode (images: DCT, JPX, CCITT, JBIG2; Crypt).
    Unsupported(String),
}

/// Decoded bytes, plus a note when the data was damaged and only partly decoded.
pub struct Decoded {
    pub data: Vec<u8>,
    pub damaged: Option<String>,
}

fn filter_list(dict: &Dict) -> (Vec<Vec<u8>>, Vec<Option<Dict>>) {
    let filters: Vec<Vec<u8>> = match dict.get(b"Filter").or_else(|| dict.get(b"F")) {
        Some(Obj::Name(n)) => vec![n.to_vec()],
        Some(Obj::Array(a)) => a
            .iter()
            .filter_map(|o| o.as_name().map(<[u8]>::to_vec))
            .collect(),
        _ => vec![],
    };
    let parms: Vec<Option<Dict>> = match dict.get(b"DecodeParms").or_else(|| dict.get(b"DP")) {
        Some(Obj::Dict(d)) => vec![Some((**d).clone())],
        Some(Obj::Array(a)) => a.iter().map(|o| o.as_dict().cloned()).collect(),
        _ => vec![],
    };
    (filters, parms)
}

/// Decode `raw` through the stream's filter chain, producing at most `limit` bytes.
/// Indirect `/Filter` or `/DecodeParms` values must already be resolved by the caller.
pub fn decode(dict: &Dict, raw: &[u8], limit: usize) -> Result<Decoded, DecodeError> {
    let (filters, parms) = filter_list(dict);
    let mut data: Vec<u8> = Vec::new();
    let mut cur: &[u8] = raw;
    let mut damaged = None;
    if filters.is_empty() {
        if raw.len() > limit {
            return Err(DecodeError::Limit);
        }
        return Ok(Decoded {
            data: raw.to_vec(),
            damaged,
        });
    }
    for (i, f) in filters.iter().enumerate() {
        let parm = parms.get(i).cloned().flatten();
        let (out, note) = match f.as_slice() {
            b"FlateDecode" | b"Fl" => flate(cur, limit)?,
            b"ASCIIHexDecode" | b"AHx" => (ascii_hex(cur), None),
            b"ASCII85Decode" | b"A85" => (ascii85(cur, limit)?, None),
            b"RunLengthDecode" | b"RL" => (run_length(cur, limit)?, None),
            b"LZWDecode" | b"LZW" => {
                let early = parm
                    .as_ref()
                    .and_then(|p| p.get(b"EarlyChange"))
                    .and_then(Obj::as_i64)
                    .unwrap_or(1);
                (lzw(cur, limit, early != 0)?, None)
            }
            other => {
                return Err(DecodeError::Unsupported(
                    String::from_utf8_lossy(other).into_owned(),
                ));
            }
        };
        if out.len() > limit {
            return Err(DecodeError::Limit);
        }
        let out = match &parm {
            Some(p) if matches!(f.as_slice(), b"FlateDecode" | b"Fl" | b"LZWDecode" | b"LZW") => {
                predict(out, p)?
            }
            _ => out,
        };
        damaged = damaged.or(note);
        data = out;
        cur = &data;
    }
    Ok(Decoded { data, damaged })
}

fn flate(input: &[u8], limit: usize) -> Result<(Vec<u8>, Option<String>), DecodeError> {
    match inflate::decompress_to_vec_zlib_with_limit(input, limit) {
        Ok(v) => Ok((v, None)),
        Err(e) if e.status == TINFLStatus::HasMoreOutput => Err(DecodeError::Limit),
        Err(e) => {
            // Some producers write raw deflate without the zlib header; others
            // truncate the stream or botch the checksum. Keep what decoded.
            if e.output.is_empty() {
                match inflate::decompress_to_vec_with_limit(input, limit) {
                    Ok(v) => return Ok((v, None)),
                    Err(e2) if e2.status == TINFLStatus::HasMoreOutput => {
                        return Err(DecodeError::Limit);
                    }
                    Err(e2) if !e2.output.is_empty() => {
                        return Ok((e2.output, Some("damaged Flate data, partly decoded".into())));
                    }
                    Err(_) => {}
                }
            }
            let note = if e.status == TINFLStatus::Adler32Mismatch {
                "Flate checksum mismatch"
            } else {
                "damaged Flate data, partly decoded"
            };
            Ok((e.output, Some(note.into())))
        }
    }
}

fn ascii_hex(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() / 2);
    let mut hi = None;
    for &c in input {
        if c == b'>' {
            break;
        }
        if let Some(v) = crate::lex::hexval(c) {
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

fn ascii85(input: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(input.len());
    let mut group = [0u32; 5];
    let mut n = 0;
    let mut i = 0;
    if input.starts_with(b"<~") {
        i = 2;
    }
    while i < input.len() {
        let c = input[i];
        i += 1;
        match c {
            b'~' => break,
            b'z' if n == 0 => out.extend_from_slice(&[0; 4]),
            b'!'..=b'u' => {
                group[n] = (c - b'!') as u32;
                n += 1;
                if n == 5 {
                    let v = group
                        .iter()
                        .fold(0u32, |acc, &d| acc.wrapping_mul(85).wrapping_add(d));
                    out.extend_from_slice(&v.to_be_bytes());
                    n = 0;
                }
            }
            _ => {}
        }
        if out.len() > limit {
            return Err(DecodeError::Limit);
        }
    }
    if n > 1 {
        for g in group.iter_mut().skip(n) {
            *g = 84;
        }
        let v = group
            .iter()
            .fold(0u32, |acc, &d| acc.wrapping_mul(85).wrapping_add(d));
        out.extend_from_slice(&v.to_be_bytes()[..n - 1]);
    }
    Ok(out)
}

fn run_length(input: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < input.len() {
        let len = input[i];
        i += 1;
        if len == 128 {
            break;
        }
        if len < 128 {
            let end = (i + len as usize + 1).min(input.len());
            out.extend_from_slice(&input[i..end]);
            i = end;
        } else if let Some(&b) = input.get(i) {
            out.extend(std::iter::repeat_n(b, 257 - len as usize));
            i += 1;
        }
        if out.len() > limit {
            return Err(DecodeError::Limit);
        }
    }
    Ok(out)
}

fn lzw(input: &[u8], limit: usize, early: bool) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    let mut table: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
    table.push(vec![]); // 256 clear
    table.push(vec![]); // 257 eod
    let mut width = 9;
    let mut bitbuf: u32 = 0;
    let mut nbits = 0;
    let mut prev: Option<usize> = None;
    for &byte in input {
        bitbuf = (bitbuf << 8) | byte as u32;
        nbits += 8;
        while nbits >= width {
            let code = ((bitbuf >> (nbits - width)) & ((1 << width) - 1)) as usize;
            nbits -= width;
            if code == 256 {
                table.truncate(258);
                width = 9;
                prev = None;
                continue;
            }
            if code == 257 {
                return Ok(out);
            }
            let entry = if code < table.len() {
                table[code].clone()
            } else if let Some(p) = prev {
                let mut e = table[p].clone();
                e.push(*table[p].first().unwrap_or(&0));
                e
            } else {
                return Ok(out);
            };
            if let Some(p) = prev
                && table.len() < 4096
            {
                let mut n = table[p].clone();
                n.push(entry[0]);
                table.push(n);
            }
            out.extend_from_slice(&entry);
            if out.len() > limit {
                return Err(DecodeError::Limit);
            }
            prev = Some(code);
            let next = table.len() + usize::from(early);
            width = if next > 2048 {
                12
            } else if next > 1024 {
                11
            } else if next > 512 {
                10
            } else {
                9
            };
        }
    }
    Ok(out)
}

/// PNG (10-15) and TIFF (2) predictors, as used by xref streams and images.
fn predict(data: Vec<u8>, p: &Dict) -> Result<Vec<u8>, DecodeError> {
    let predictor = p.get(b"Predictor").and_then(Obj::as_i64).unwrap_or(1);
    if predictor < 2 {
        return Ok(data);
    }
    let colors = p
        .get(b"Colors")
        .and_then(Obj::as_i64)
        .unwrap_or(1)
        .clamp(1, 32) as usize;
    let bpc = p
        .get(b"BitsPerComponent")
        .and_then(Obj::as_i64)
        .unwrap_or(8)
        .clamp(1, 16) as usize;
    let columns = p
        .get(b"Columns")
        .and_then(Obj::as_i64)
        .unwrap_or(1)
        .clamp(1, 1 << 20) as usize;
    let bpp = (colors * bpc).div_ceil(8).max(1);
    let row_len = (colors * bpc * columns).div_ceil(8);
    if predictor == 2 {
        // TIFF predictor, 8-bit components only (the common case).
        let mut out = data;
        if bpc == 8 {
            for row in out.chunks_mut(row_len) {
                for i in bpp..row.len() {
                    row[i] = row[i].wrapping_add(row[i - bpp]);
                }
            }
        }
        return Ok(out);
    }
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row_len];
    for chunk in data.chunks(row_len + 1) {
        let Some((&ft, row)) = chunk.split_first() else {
            break;
        };
        let mut cur = row.to_vec();
        cur.resize(row_len, 0);
        for i in 0..row_len {
            let a = if i >= bpp { cur[i - bpp] } else { 0 };
            let b = prev[i];
            let c = if i >= bpp { prev[i - bpp] } else { 0 };
            cur[i] = match ft {
                1 => cur[i].wrapping_add(a),
                2 => cur[i].wrapping_add(b),
                3 => cur[i].wrapping_add(((a as u16 + b as u16) / 2) as u8),
                4 => cur[i].wrapping_add(paeth(a, b, c)),
                _ => cur[i],
            };
        }
        out.extend_from_slice(&cur[..row.len().min(row_len)]);
        prev = cur;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = a as i16 + b as i16 - c as i16;
    let (pa, pb, pc) = (
        (p - a as i16).abs(),
        (p - b as i16).abs(),
        (p - c as i16).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn dict(filter: &str) -> Dict {
        Dict(vec![(
            Rc::from(&b"Filter"[..]),
            Obj::Name(Rc::from(filter.as_bytes())),
        )])
    }

    #[test]
    fn flate_roundtrip_and_limit() {
        let z = miniz_oxide::deflate::compress_to_vec_zlib(&[b'a'; 10_000], 6);
        assert_eq!(
            decode(&dict("FlateDecode"), &z, 20_000).unwrap().data.len(),
            10_000
        );
        assert!(matches!(
            decode(&dict("FlateDecode"), &z, 5_000),
            Err(DecodeError::Limit)
        ));
    }

    #[test]
    fn ascii_filters() {
        assert_eq!(
            decode(&dict("ASCIIHexDecode"), b"48 65 6c6C6>", 100)
                .unwrap()
                .data,
            b"Hell`"
        );
        assert_eq!(
            decode(&dict("ASCII85Decode"), b"87cURD]i,\"Ebo80~>", 100)
                .unwrap()
                .data,
            b"Hello World!"
        );
    }

    #[test]
    fn png_up_predictor() {
        let p = Dict(vec![
            (Rc::from(&b"Predictor"[..]), Obj::Int(12)),
            (Rc::from(&b"Columns"[..]), Obj::Int(2)),
        ]);
        let out = predict(vec![2, 1, 2, 2, 1, 1], &p).unwrap();
        assert_eq!(out, vec![1, 2, 2, 3]);
    }
}
