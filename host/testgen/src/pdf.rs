//! A small hand-written PDF writer: classic xref tables, standard-14 fonts with
//! WinAnsiEncoding, Flate streams, embedded files, and incremental updates. Written
//! by hand (rather than with a PDF crate) because the fraud cases need exact control
//! over revisions, object numbers and metadata.

use crate::util::Date;
use std::fmt::Write as _;

/// Unicode → WinAnsi (cp1252) byte; narrow no-break space goes to 0x81, which the
/// font's /Differences names `uni202F`.
pub fn winansi(c: char) -> u8 {
    let u = c as u32;
    match u {
        0x20..=0x7E | 0xA0..=0xFF => u as u8,
        0x20AC => 0x80,
        0x202F => 0x81,
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
        0x2013 => 0x96,
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

/// A PDF literal string `( … )` in WinAnsi.
pub fn lit(s: &str) -> Vec<u8> {
    let mut out = vec![b'('];
    for c in s.chars() {
        let b = winansi(c);
        match b {
            b'(' | b')' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            0x20..=0x7E => out.push(b),
            _ => out.extend(format!("\\{b:03o}").bytes()),
        }
    }
    out.push(b')');
    out
}

/// A PDF text string for Info values: ASCII-safe literal (Info strings are
/// PDFDocEncoding, which matches WinAnsi for the characters used here).
pub fn info_str(s: &str) -> String {
    String::from_utf8(lit(s)).unwrap_or_default()
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Family {
    Helvetica,
    Times,
    Courier,
}

impl Family {
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            Family::Helvetica => ("Helvetica", "Helvetica-Bold"),
            Family::Times => ("Times-Roman", "Times-Bold"),
            Family::Courier => ("Courier", "Courier-Bold"),
        }
    }
}

/// Approximate advance width in 1/1000 em; exact for digits and common punctuation
/// (what gets right-aligned), class averages for letters.
pub fn char_width(f: Family, bold: bool, c: char) -> f32 {
    if f == Family::Courier {
        return 600.0;
    }
    let times = f == Family::Times;
    let w = match c {
        '0'..='9' => {
            if times {
                500.0
            } else {
                556.0
            }
        }
        ' ' | '\u{A0}' | '\u{202F}' => {
            if times {
                250.0
            } else {
                278.0
            }
        }
        '.' | ',' | ':' | ';' | '\'' | '’' | '!' | '|' | 'i' | 'l' | 'j' => {
            if times {
                260.0
            } else {
                250.0
            }
        }
        'f' | 't' | 'r' | 'I' | '-' | '(' | ')' | '/' => 320.0,
        'm' | 'w' | 'M' | 'W' | '%' => 850.0,
        '€' | '$' | '£' => {
            if times {
                500.0
            } else {
                556.0
            }
        }
        'A'..='Z' | 'À'..='Þ' => {
            if times {
                680.0
            } else {
                690.0
            }
        }
        _ => {
            if times {
                460.0
            } else {
                530.0
            }
        }
    };
    if bold { w * 1.06 } else { w }
}

pub fn text_width(f: Family, bold: bool, size: f32, s: &str) -> f32 {
    s.chars().map(|c| char_width(f, bold, c)).sum::<f32>() * size / 1000.0
}

/// Builds one page's content stream.
pub struct Canvas {
    pub ops: Vec<u8>,
    pub family: Family,
    /// Resource index of the font used for amounts (the anomaly case uses a third font).
    pub amount_font: u8,
}

impl Canvas {
    pub fn new(family: Family) -> Self {
        Canvas {
            ops: Vec::new(),
            family,
            amount_font: 0,
        }
    }

    /// One text-showing operator per visual run. `font`: 0 regular, 1 bold, 2 extra.
    pub fn text(&mut self, font: u8, size: f32, x: f32, y: f32, s: &str) {
        if s.is_empty() {
            return;
        }
        let gray = if font == 3 { "0.45 g " } else { "" };
        let res = match font {
            1 => 2,
            2 => 3,
            _ => 1,
        };
        self.ops
            .extend(format!("BT {gray}/F{res} {size} Tf {x:.2} {y:.2} Td ").bytes());
        self.ops.extend(lit(s));
        self.ops.extend(b" Tj ET\n");
        if font == 3 {
            self.ops.extend(b"0 g\n");
        }
    }

    pub fn width(&self, font: u8, size: f32, s: &str) -> f32 {
        text_width(self.family, font == 1, size, s)
    }

    pub fn text_right(&mut self, font: u8, size: f32, right: f32, y: f32, s: &str) {
        let w = self.width(font, size, s);
        self.text(font, size, right - w, y, s);
    }

    /// An amount: drawn in the dedicated amount font when the anomaly is planted.
    pub fn amount_right(&mut self, bold: bool, size: f32, right: f32, y: f32, s: &str) {
        let f = if self.amount_font == 2 {
            2
        } else {
            u8::from(bold)
        };
        self.text_right(f, size, right, y, s);
    }

    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill_gray: Option<f32>) {
        match fill_gray {
            Some(g) => self
                .ops
                .extend(format!("{g} g {x:.2} {y:.2} {w:.2} {h:.2} re f 0 g\n").bytes()),
            None => self
                .ops
                .extend(format!("0.5 w {x:.2} {y:.2} {w:.2} {h:.2} re S\n").bytes()),
        }
    }

    pub fn hline(&mut self, x1: f32, x2: f32, y: f32) {
        self.ops
            .extend(format!("0.5 w {x1:.2} {y:.2} m {x2:.2} {y:.2} l S\n").bytes());
    }
}

#[derive(Clone, Copy, Debug)]
pub struct PdfTime {
    pub date: Date,
    pub secs: u32,
    /// Offset from UTC in minutes.
    pub tz: i32,
}

impl PdfTime {
    pub fn add_secs(self, s: i64) -> PdfTime {
        let total = self.date.days() * 86_400 + self.secs as i64 + s;
        PdfTime {
            date: Date::from_days(total.div_euclid(86_400)),
            secs: total.rem_euclid(86_400) as u32,
            tz: self.tz,
        }
    }

    fn hms(&self) -> (u32, u32, u32) {
        (self.secs / 3600, self.secs / 60 % 60, self.secs % 60)
    }

    fn tz_parts(&self) -> (char, i32, i32) {
        let sign = if self.tz < 0 { '-' } else { '+' };
        (sign, self.tz.abs() / 60, self.tz.abs() % 60)
    }

    pub fn pdf(&self) -> String {
        let (h, m, s) = self.hms();
        let (sg, th, tm) = self.tz_parts();
        format!(
            "D:{}{h:02}{m:02}{s:02}{sg}{th:02}'{tm:02}'",
            self.date.compact()
        )
    }

    pub fn xmp(&self) -> String {
        let (h, m, s) = self.hms();
        let (sg, th, tm) = self.tz_parts();
        format!(
            "{}T{h:02}:{m:02}:{s:02}{sg}{th:02}:{tm:02}",
            self.date.iso()
        )
    }
}

pub struct Info {
    pub title: String,
    pub author: String,
    pub producer: String,
    pub creator: String,
    pub created: PdfTime,
    pub modified: PdfTime,
}

pub struct Xmp {
    pub producer: String,
    pub creator_tool: String,
    pub created: PdfTime,
    pub modified: PdfTime,
    /// (embedded file name, conformance level) for Factur-X.
    pub facturx: Option<(String, String)>,
}

pub struct Attachment {
    pub name: String,
    pub data: Vec<u8>,
    pub relationship: &'static str,
    pub modified: PdfTime,
}

pub struct Image {
    pub width: u32,
    pub height: u32,
    pub gray: Vec<u8>,
}

pub struct PageSpec {
    pub width: f32,
    pub height: f32,
    pub content: Vec<u8>,
    pub image: Option<Image>,
}

pub struct PdfDoc {
    pub pages: Vec<PageSpec>,
    /// BaseFont names for resources /F1, /F2, (/F3).
    pub fonts: Vec<String>,
    pub narrow_nbsp: bool,
    pub info: Info,
    pub xmp: Option<Xmp>,
    pub attachment: Option<Attachment>,
    pub linearized: bool,
    pub id_seed: [u8; 16],
}

/// Where things ended up, for later incremental updates.
pub struct Built {
    pub bytes: Vec<u8>,
    pub last_xref: usize,
    pub size: u32,
    pub page_ids: Vec<u32>,
    pub content_ids: Vec<u32>,
    pub font_ids: Vec<u32>,
    pub info_id: u32,
    pub catalog: String,
    pub page_dicts: Vec<String>,
    pub id_hex: String,
}

fn flate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}

fn stream_obj(dict_extra: &str, data: &[u8], compress: bool) -> Vec<u8> {
    let (body, filter) = if compress {
        (flate(data), " /Filter /FlateDecode")
    } else {
        (data.to_vec(), "")
    };
    let mut o = format!("<< /Length {}{filter}{dict_extra} >>\nstream\n", body.len()).into_bytes();
    o.extend(body);
    o.extend(b"\nendstream");
    o
}

fn xmp_packet(x: &Xmp, info: &Info) -> String {
    let mut s = String::from(
        "<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n",
    );
    let _ = write!(
        s,
        "<rdf:Description rdf:about=\"\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n<pdfaid:part>3</pdfaid:part>\n<pdfaid:conformance>B</pdfaid:conformance>\n</rdf:Description>\n\
<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:title>\n<dc:creator><rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq></dc:creator>\n</rdf:Description>\n\
<rdf:Description rdf:about=\"\" xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n<pdf:Producer>{}</pdf:Producer>\n</rdf:Description>\n\
<rdf:Description rdf:about=\"\" xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\n<xmp:CreatorTool>{}</xmp:CreatorTool>\n<xmp:CreateDate>{}</xmp:CreateDate>\n<xmp:ModifyDate>{}</xmp:ModifyDate>\n<xmp:MetadataDate>{}</xmp:MetadataDate>\n</rdf:Description>\n",
        crate::xml::esc(&info.title),
        crate::xml::esc(&info.author),
        crate::xml::esc(&x.producer),
        crate::xml::esc(&x.creator_tool),
        x.created.xmp(),
        x.modified.xmp(),
        x.modified.xmp()
    );
    if let Some((name, level)) = &x.facturx {
        let _ = write!(
            s,
            "<rdf:Description rdf:about=\"\" xmlns:fx=\"urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#\">\n<fx:DocumentType>INVOICE</fx:DocumentType>\n<fx:DocumentFileName>{name}</fx:DocumentFileName>\n<fx:Version>1.0</fx:Version>\n<fx:ConformanceLevel>{level}</fx:ConformanceLevel>\n</rdf:Description>\n\
<rdf:Description rdf:about=\"\" xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\" xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\" xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\">\n<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">\n<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>\n<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>\n<pdfaSchema:prefix>fx</pdfaSchema:prefix>\n<pdfaSchema:property><rdf:Seq>\n"
        );
        for (n, d) in [
            ("DocumentFileName", "name of the embedded XML invoice file"),
            ("DocumentType", "INVOICE"),
            ("Version", "The actual version of the Factur-X XML schema"),
            (
                "ConformanceLevel",
                "The conformance level of the embedded Factur-X data",
            ),
        ] {
            let _ = writeln!(
                s,
                "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>{n}</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>{d}</pdfaProperty:description></rdf:li>"
            );
        }
        s.push_str("</rdf:Seq></pdfaSchema:property>\n</rdf:li></rdf:Bag></pdfaExtension:schemas>\n</rdf:Description>\n");
    }
    s.push_str("</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>");
    s
}

fn font_dict(base: &str, narrow: bool) -> String {
    let enc = if narrow {
        "<< /Type /Encoding /BaseEncoding /WinAnsiEncoding /Differences [129 /uni202F] >>"
    } else {
        "/WinAnsiEncoding"
    };
    format!("<< /Type /Font /Subtype /Type1 /BaseFont /{base} /Encoding {enc} >>")
}

/// Serialises objects in id order (1..n), then the xref table and trailer.
pub fn build(doc: &PdfDoc) -> Built {
    let mut objs: Vec<Vec<u8>> = Vec::new(); // index = id - 1
    let nf = doc.fonts.len() as u32;
    let font_ids: Vec<u32> = (0..nf).map(|i| 4 + i).collect();
    let mut next = 4 + nf;
    let mut page_ids = Vec::new();
    let mut content_ids = Vec::new();
    let mut image_ids = Vec::new();
    for p in &doc.pages {
        page_ids.push(next);
        content_ids.push(next + 1);
        next += 2;
        if p.image.is_some() {
            image_ids.push(Some(next));
            next += 1;
        } else {
            image_ids.push(None);
        }
    }
    let xmp_id = doc.xmp.as_ref().map(|_| {
        next += 1;
        next - 1
    });
    let att_ids = doc.attachment.as_ref().map(|_| {
        next += 2;
        (next - 2, next - 1)
    });
    let size = next;
    objs.resize(size as usize - 1, Vec::new());

    let mut cat = String::from("<< /Type /Catalog /Pages 2 0 R");
    if let Some(x) = xmp_id {
        let _ = write!(cat, " /Metadata {x} 0 R");
    }
    if let (Some((_, fs)), Some(a)) = (att_ids, &doc.attachment) {
        let _ = write!(
            cat,
            " /Names << /EmbeddedFiles << /Names [{} {fs} 0 R] >> >> /AF [{fs} 0 R] /PageMode /UseAttachments",
            info_str(&a.name)
        );
    }
    cat.push_str(" /Lang (en) >>");
    objs[0] = cat.clone().into_bytes();
    objs[1] = format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        page_ids
            .iter()
            .map(|i| format!("{i} 0 R"))
            .collect::<Vec<_>>()
            .join(" "),
        page_ids.len()
    )
    .into_bytes();
    let i = &doc.info;
    objs[2] = format!(
        "<< /Title {} /Author {} /Producer {} /Creator {} /CreationDate ({}) /ModDate ({}) >>",
        info_str(&i.title),
        info_str(&i.author),
        info_str(&i.producer),
        info_str(&i.creator),
        i.created.pdf(),
        i.modified.pdf()
    )
    .into_bytes();
    for (k, f) in doc.fonts.iter().enumerate() {
        objs[font_ids[k] as usize - 1] = font_dict(f, doc.narrow_nbsp).into_bytes();
    }
    let font_res: String = font_ids
        .iter()
        .enumerate()
        .map(|(k, id)| format!("/F{} {id} 0 R", k + 1))
        .collect::<Vec<_>>()
        .join(" ");
    let mut page_dicts = Vec::new();
    for (k, p) in doc.pages.iter().enumerate() {
        let xo = match image_ids[k] {
            Some(im) => format!(" /XObject << /Im1 {im} 0 R >>"),
            None => String::new(),
        };
        let pd = format!(
            "/Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources << {fr}{xo} /ProcSet [/PDF /Text /ImageB] >> /Contents {} 0 R",
            p.width,
            p.height,
            content_ids[k],
            fr = if font_res.is_empty() {
                String::new()
            } else {
                format!("/Font << {font_res} >>")
            }
        );
        objs[page_ids[k] as usize - 1] = format!("<< {pd} >>").into_bytes();
        page_dicts.push(pd);
        objs[content_ids[k] as usize - 1] = stream_obj("", &p.content, true);
        if let (Some(im), Some(img)) = (image_ids[k], &p.image) {
            objs[im as usize - 1] = stream_obj(
                &format!(
                    " /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray /BitsPerComponent 8",
                    img.width, img.height
                ),
                &img.gray,
                true,
            );
        }
    }
    if let (Some(id), Some(x)) = (xmp_id, &doc.xmp) {
        objs[id as usize - 1] = stream_obj(
            " /Type /Metadata /Subtype /XML",
            xmp_packet(x, &doc.info).as_bytes(),
            false,
        );
    }
    if let (Some((ef, fs)), Some(a)) = (att_ids, &doc.attachment) {
        objs[ef as usize - 1] = stream_obj(
            &format!(
                " /Type /EmbeddedFile /Subtype /text#2Fxml /Params << /Size {} /ModDate ({}) >>",
                a.data.len(),
                a.modified.pdf()
            ),
            &a.data,
            true,
        );
        objs[fs as usize - 1] = format!(
            "<< /Type /Filespec /F {n} /UF {n} /EF << /F {ef} 0 R /UF {ef} 0 R >> /AFRelationship /{} /Desc (Factur-X invoice) >>",
            a.relationship,
            n = info_str(&a.name)
        )
        .into_bytes();
    }

    let id_hex = hex::encode(doc.id_seed);
    let mut out: Vec<u8> = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    if doc.linearized {
        return build_linearized(
            out,
            objs,
            size,
            page_ids,
            content_ids,
            font_ids,
            cat,
            page_dicts,
            id_hex,
        );
    }
    let mut offsets = Vec::new();
    for (k, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", k + 1).bytes());
        out.extend(o);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {size}\n0000000000 65535 f \n").bytes());
    for off in &offsets {
        out.extend(format!("{off:010} 00000 n \n").bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {size} /Root 1 0 R /Info 3 0 R /ID [<{id_hex}> <{id_hex}>] >>\nstartxref\n{xref}\n%%EOF\n"
        )
        .bytes(),
    );
    Built {
        bytes: out,
        last_xref: xref,
        size,
        page_ids,
        content_ids,
        font_ids,
        info_id: 3,
        catalog: cat,
        page_dicts,
        id_hex,
    }
}

/// Linearised layout: a linearisation dictionary and a first-page xref section at the
/// top whose trailer points (/Prev) at the main xref at the end. Readers see two xref
/// sections; only one revision exists. The hint stream is omitted (readers treat the
/// file as a plain one), which is enough to exercise the "minus one if linearised"
/// revision count.
#[allow(clippy::too_many_arguments)]
fn build_linearized(
    mut out: Vec<u8>,
    objs: Vec<Vec<u8>>,
    size: u32,
    page_ids: Vec<u32>,
    content_ids: Vec<u32>,
    font_ids: Vec<u32>,
    cat: String,
    page_dicts: Vec<String>,
    id_hex: String,
) -> Built {
    let lin_id = size;
    let hint_id = size + 1;
    let size = size + 2;
    let lin_off = out.len();
    // Fixed-width (zero-padded) numbers are patched once the layout is known.
    out.extend(
        format!(
            "{lin_id} 0 obj\n<< /Linearized 1 /L 0000000000 /O {} /E 0000000000 /N {} /T 0000000000 /H [0000000000 0000000000] >>\nendobj\n",
            page_ids[0],
            page_ids.len()
        )
        .bytes(),
    );
    let first_xref = out.len();
    out.extend(b"xref\n");
    out.extend(format!("{lin_id} 2\n{lin_off:010} 00000 n \nHINTOFFSET 00000 n \n").bytes());
    out.extend(
        format!(
            "trailer\n<< /Size {size} /Root 1 0 R /Info 3 0 R /ID [<{id_hex}> <{id_hex}>] /Prev 0000000000 >>\nstartxref\n0\n%%EOF\n"
        )
        .bytes(),
    );
    // A zero-filled hint stream: structurally present, carrying no real hints.
    let hint_off = out.len();
    let hint = stream_obj(" /S 36", &[0u8; 72], false);
    out.extend(format!("{hint_id} 0 obj\n").bytes());
    out.extend(&hint);
    out.extend(b"\nendobj\n");
    let hint_len = out.len() - hint_off;
    patch(&mut out, "HINTOFFSET", &format!("{hint_off:010}"));
    let mut offsets = Vec::new();
    for (k, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", k + 1).bytes());
        out.extend(o);
        out.extend(b"\nendobj\n");
    }
    let end_first = offsets
        .get(content_ids[0] as usize)
        .copied()
        .unwrap_or(out.len());
    let main_xref = out.len();
    out.extend(format!("xref\n0 {lin_id}").bytes());
    // /T: the white-space before the first (object 0) entry of the main table.
    let t_entry = out.len();
    out.extend(b"\n0000000000 65535 f \n");
    for off in &offsets {
        out.extend(format!("{off:010} 00000 n \n").bytes());
    }
    out.extend(format!("trailer\n<< /Size {lin_id} >>\nstartxref\n{first_xref}\n%%EOF\n").bytes());
    patch(
        &mut out,
        "/H [0000000000 0000000000]",
        &format!("/H [{hint_off:010} {hint_len:010}]"),
    );
    let total = out.len();
    patch(&mut out, "/L 0000000000", &format!("/L {total:010}"));
    patch(&mut out, "/E 0000000000", &format!("/E {end_first:010}"));
    patch(&mut out, "/T 0000000000", &format!("/T {t_entry:010}"));
    patch(
        &mut out,
        "/Prev 0000000000",
        &format!("/Prev {main_xref:010}"),
    );
    Built {
        bytes: out,
        last_xref: first_xref,
        size,
        page_ids,
        content_ids,
        font_ids,
        info_id: 3,
        catalog: cat,
        page_dicts,
        id_hex,
    }
}

/// Replaces the first occurrence of `from` with the equally long `to`.
pub fn patch(buf: &mut [u8], from: &str, to: &str) {
    debug_assert_eq!(from.len(), to.len());
    if let Some(p) = find(buf, from.as_bytes()) {
        buf[p..p + to.len()].copy_from_slice(to.as_bytes());
    }
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Appends an incremental update (new objects, xref section with /Prev, trailer).
/// `objs` may reuse existing ids (replacing those objects) or use new ids ≥ size.
pub fn append_update(b: &mut Built, mut objs: Vec<(u32, Vec<u8>)>, new_info: Option<u32>) {
    objs.sort_by_key(|o| o.0);
    let mut offsets = Vec::new();
    let mut out = std::mem::take(&mut b.bytes);
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    for (id, body) in &objs {
        offsets.push((*id, out.len()));
        out.extend(format!("{id} 0 obj\n").bytes());
        out.extend(body);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(b"xref\n");
    // One subsection per run of consecutive ids.
    let mut i = 0;
    while i < offsets.len() {
        let mut j = i;
        while j + 1 < offsets.len() && offsets[j + 1].0 == offsets[j].0 + 1 {
            j += 1;
        }
        out.extend(format!("{} {}\n", offsets[i].0, j - i + 1).bytes());
        for (_, off) in &offsets[i..=j] {
            out.extend(format!("{off:010} 00000 n \n").bytes());
        }
        i = j + 1;
    }
    let size = objs.iter().map(|o| o.0 + 1).max().unwrap_or(0).max(b.size);
    let info = new_info.unwrap_or(b.info_id);
    out.extend(
        format!(
            "trailer\n<< /Size {size} /Root 1 0 R /Info {info} 0 R /Prev {} /ID [<{}> <{}>] >>\nstartxref\n{xref}\n%%EOF\n",
            b.last_xref, b.id_hex, b.id_hex
        )
        .bytes(),
    );
    b.bytes = out;
    b.last_xref = xref;
    b.size = size;
    b.info_id = info;
}

/// The compressed content-stream object for a page, for replacement in an update.
pub fn content_obj(content: &[u8]) -> Vec<u8> {
    stream_obj("", content, true)
}

pub fn info_obj(i: &Info) -> Vec<u8> {
    format!(
        "<< /Title {} /Author {} /Producer {} /Creator {} /CreationDate ({}) /ModDate ({}) >>",
        info_str(&i.title),
        info_str(&i.author),
        info_str(&i.producer),
        info_str(&i.creator),
        i.created.pdf(),
        i.modified.pdf()
    )
    .into_bytes()
}

/// Appends a signature-only update: signature value, widget, updated Catalog
/// (/AcroForm) and first Page (/Annots), as signing tools do. /ByteRange covers the
/// whole file except the /Contents hex string (a zero placeholder, not a real CMS
/// signature).
pub fn append_signature(b: &mut Built, when: &PdfTime, signer: &str) {
    let sig = b.size;
    let field = b.size + 1;
    let page = b.page_ids[0];
    let cat = b.catalog.trim_end_matches(">>").to_string()
        + &format!("/AcroForm << /Fields [{field} 0 R] /SigFlags 3 >> >>");
    let page_dict = format!("<< {} /Annots [{field} 0 R] >>", b.page_dicts[0]);
    let placeholder = "0".repeat(2048);
    let objs = vec![
        (1, cat.into_bytes()),
        (page, page_dict.into_bytes()),
        (
            sig,
            format!(
                "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /Name {} /M ({}) /ByteRange [0000000000 0000000000 0000000000 0000000000] /Contents <{placeholder}> >>",
                info_str(signer),
                when.pdf()
            )
            .into_bytes(),
        ),
        (
            field,
            format!(
                "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /V {sig} 0 R /P {page} 0 R /Rect [0 0 0 0] /F 132 >>"
            )
            .into_bytes(),
        ),
    ];
    append_update(b, objs, None);
    let marker = format!("/Contents <{placeholder}>");
    if let Some(p) = find(&b.bytes, marker.as_bytes()) {
        let start = p + "/Contents ".len();
        let end = start + placeholder.len() + 2;
        let total = b.bytes.len();
        let br = format!(
            "/ByteRange [{:010} {start:010} {end:010} {:010}]",
            0,
            total - end
        );
        patch(
            &mut b.bytes,
            "/ByteRange [0000000000 0000000000 0000000000 0000000000]",
            &br,
        );
    }
}
