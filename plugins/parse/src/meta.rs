//! Document metadata: the Info dictionary, PDF dates and the XMP packet.
use papyr_sdk::types::Metadata;

use crate::lex::{Dict, Obj};
use crate::limits::MAX_XML_NODES;
use crate::tables::pdf_text;

pub fn empty() -> Metadata {
    Metadata {
        title: None,
        author: None,
        producer: None,
        creator: None,
        creation_date: None,
        mod_date: None,
        first_producer: None,
        xmp_producer: None,
        xmp_creator_tool: None,
        xmp_create_date: None,
        xmp_modify_date: None,
        pdfa: None,
    }
}

/// A text entry of an Info dictionary (strings only; trimmed; empty → None).
pub fn info_text(info: &Dict, key: &[u8]) -> Option<String> {
    let s = pdf_text(info.get(key)?.as_str()?);
    let s = s
        .trim_matches(|c: char| c.is_whitespace() || c == '\0')
        .to_string();
    (!s.is_empty()).then_some(s)
}

pub fn fill_info(m: &mut Metadata, info: &Dict) {
    m.title = info_text(info, b"Title");
    m.author = info_text(info, b"Author");
    m.producer = info_text(info, b"Producer");
    m.creator = info_text(info, b"Creator");
    m.creation_date = info_text(info, b"CreationDate").map(|d| pdf_date(&d).unwrap_or(d));
    m.mod_date = info_text(info, b"ModDate").map(|d| pdf_date(&d).unwrap_or(d));
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Render a local time with a UTC offset (minutes) as RFC 3339 in UTC.
fn to_utc(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, off_min: i64) -> Option<String> {
    if !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || h > 23
        || mi > 59
        || s > 60
        || !(1000..=9999).contains(&y)
    {
        return None;
    }
    let secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off_min * 60;
    let (y, mo, d) = civil_from_days(secs.div_euclid(86400));
    let t = secs.rem_euclid(86400);
    Some(format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        t / 3600,
        t / 60 % 60,
        t % 60
    ))
}

/// `D:YYYYMMDDHHmmSSOHH'mm'` (every part after the year optional) → RFC 3339 UTC.
/// A date without a zone is taken as UTC.
pub fn pdf_date(s: &str) -> Option<String> {
    let s = s.trim();
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.len() < 4 || digits.len() > 14 || !digits.len().is_multiple_of(2) {
        return None;
    }
    let part = |i: usize, def: i64| {
        digits
            .get(i..i + 2)
            .and_then(|p| p.parse::<i64>().ok())
            .unwrap_or(def)
    };
    let y: i64 = digits[..4].parse().ok()?;
    let (mo, d, h, mi, se) = (part(4, 1), part(6, 1), part(8, 0), part(10, 0), part(12, 0));
    let rest = &s[digits.len()..];
    let off = match rest.chars().next() {
        Some(c @ ('+' | '-')) => {
            let nums: Vec<i64> = rest[1..]
                .split(|c: char| !c.is_ascii_digit())
                .filter(|p| !p.is_empty())
                .filter_map(|p| p.parse().ok())
                .collect();
            let (oh, om) = (
                nums.first().copied().unwrap_or(0),
                nums.get(1).copied().unwrap_or(0),
            );
            if oh > 23 || om > 59 {
                return None;
            }
            (oh * 60 + om) * if c == '-' { -1 } else { 1 }
        }
        _ => 0,
    };
    to_utc(y, mo, d, h, mi, se, off)
}

/// ISO 8601 as used by XMP (`2024-05-01`, `2024-05-01T10:20:30+02:00`,
/// fractional seconds allowed) → RFC 3339 UTC.
pub fn xmp_date(s: &str) -> Option<String> {
    let s = s.trim();
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|p| p.parse::<i64>().ok());
    let y = num(0..4)?;
    if b.len() == 4 {
        return to_utc(y, 1, 1, 0, 0, 0, 0);
    }
    let mo = num(5..7)?;
    let d = if b.len() >= 10 { num(8..10)? } else { 1 };
    if b.len() <= 10 {
        return to_utc(y, mo, d, 0, 0, 0, 0);
    }
    let h = num(11..13)?;
    let mi = num(14..16)?;
    let mut i = 16;
    let mut se = 0;
    if b.get(16) == Some(&b':') {
        se = num(17..19)?;
        i = 19;
        if b.get(i) == Some(&b'.') {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
    }
    let off = match b.get(i) {
        None | Some(b'Z') => 0,
        Some(&c @ (b'+' | b'-')) => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6).unwrap_or(0);
            (oh * 60 + om) * if c == b'-' { -1 } else { 1 }
        }
        _ => return None,
    };
    to_utc(y, mo, d, h, mi, se, off)
}

const NS_PDF: &str = "http://ns.adobe.com/pdf/1.3/";
const NS_XMP: &str = "http://ns.adobe.com/xap/1.0/";
const NS_PDFAID: &str = "http://www.aiim.org/pdfa/ns/id/";

/// Read the fields we report from an XMP packet. Properties may be attributes of
/// `rdf:Description` or child elements (possibly wrapping `rdf:Alt`/`rdf:li`).
pub fn fill_xmp(m: &mut Metadata, xmp: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(xmp);
    // Packets are padded and wrapped in processing instructions; parse from the
    // first element to the end of the last one.
    let start = text
        .find("<x:xmpmeta")
        .or_else(|| text.find("<rdf:RDF"))
        .or_else(|| text.find('<'))
        .unwrap_or(0);
    let end = text
        .rfind("</x:xmpmeta>")
        .map(|p| p + 12)
        .or_else(|| text.rfind("</rdf:RDF>").map(|p| p + 10));
    let end = end.filter(|&e| e >= start).unwrap_or(text.len());
    let body = &text[start..end];
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(body, opts).map_err(|e| e.to_string())?;
    let prop = |ns: &str, name: &str| -> Option<String> {
        for n in doc.descendants().filter(|n| n.is_element()) {
            if let Some(v) = n.attribute((ns, name)) {
                let v = v.trim();
                if !v.is_empty() {
                    return Some(v.to_string());
                }
            }
            if n.tag_name().namespace() == Some(ns) && n.tag_name().name() == name {
                let v: String = n
                    .descendants()
                    .filter(|d| d.is_text())
                    .filter_map(|d| d.text())
                    .collect();
                let v = v.trim();
                if !v.is_empty() {
                    return Some(v.to_string());
                }
            }
        }
        None
    };
    m.xmp_producer = prop(NS_PDF, "Producer");
    m.xmp_creator_tool = prop(NS_XMP, "CreatorTool");
    m.xmp_create_date = prop(NS_XMP, "CreateDate").map(|d| xmp_date(&d).unwrap_or(d));
    m.xmp_modify_date = prop(NS_XMP, "ModifyDate").map(|d| xmp_date(&d).unwrap_or(d));
    if let Some(part) = prop(NS_PDFAID, "part") {
        let conf = prop(NS_PDFAID, "conformance")
            .unwrap_or_default()
            .to_ascii_uppercase();
        m.pdfa = Some(format!("{part}{conf}"));
    }
    Ok(())
}

pub fn name_of(o: &Obj) -> Option<String> {
    o.as_name().map(|n| String::from_utf8_lossy(n).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates() {
        assert_eq!(
            pdf_date("D:20240501102030+02'00'").as_deref(),
            Some("2024-05-01T08:20:30Z")
        );
        assert_eq!(
            pdf_date("D:20240101003000-05'30").as_deref(),
            Some("2024-01-01T06:00:00Z")
        );
        assert_eq!(pdf_date("D:2024").as_deref(), Some("2024-01-01T00:00:00Z"));
        assert_eq!(
            pdf_date("D:20241231235959Z").as_deref(),
            Some("2024-12-31T23:59:59Z")
        );
        assert_eq!(
            pdf_date("D:20240101000000+01'00'").as_deref(),
            Some("2023-12-31T23:00:00Z")
        );
        assert_eq!(pdf_date("D:20241340"), None);
        assert_eq!(pdf_date("yesterday"), None);
    }

    #[test]
    fn xmp_dates() {
        assert_eq!(
            xmp_date("2024-05-01T10:20:30.123+02:00").as_deref(),
            Some("2024-05-01T08:20:30Z")
        );
        assert_eq!(
            xmp_date("2024-05-01").as_deref(),
            Some("2024-05-01T00:00:00Z")
        );
        assert_eq!(
            xmp_date("2024-05-01T10:20Z").as_deref(),
            Some("2024-05-01T10:20:00Z")
        );
    }

    #[test]
    fn xmp_attribute_and_element_forms() {
        let xmp = br#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" pdf:Producer="LibreOffice 7.6"/>
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
  <xmp:CreatorTool>Writer</xmp:CreatorTool><xmp:CreateDate>2024-05-01T10:00:00+02:00</xmp:CreateDate>
  <xmp:ModifyDate>2024-05-03T10:00:00Z</xmp:ModifyDate></rdf:Description>
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"><pdfaid:part>3</pdfaid:part><pdfaid:conformance>b</pdfaid:conformance></rdf:Description>
</rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>"#;
        let mut m = empty();
        fill_xmp(&mut m, xmp).unwrap();
        assert_eq!(m.xmp_producer.as_deref(), Some("LibreOffice 7.6"));
        assert_eq!(m.xmp_creator_tool.as_deref(), Some("Writer"));
        assert_eq!(m.xmp_create_date.as_deref(), Some("2024-05-01T08:00:00Z"));
        assert_eq!(m.xmp_modify_date.as_deref(), Some("2024-05-03T10:00:00Z"));
        assert_eq!(m.pdfa.as_deref(), Some("3B"));
    }
}
