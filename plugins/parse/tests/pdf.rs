mod common;

use common::*;
use papyr_sdk::types::{DocumentFormat, ParsedDocument, StageError, XmlSyntax};
use parse::parse_bytes;

fn parse(b: &[u8]) -> ParsedDocument {
    match parse_bytes(b, "test.pdf") {
        Ok(d) => d,
        Err(e) => panic!("parse failed: {e:?}"),
    }
}

fn texts(d: &ParsedDocument) -> Vec<String> {
    d.pages
        .iter()
        .flat_map(|p| p.lines.iter().map(|l| l.text.clone()))
        .collect()
}

#[test]
fn text_with_positions_columns_accents_and_kerning() {
    let b = simple(INVOICE_CONTENT, "InvoiceSys 3.1");
    let d = parse(&b.buf);
    assert_eq!(d.format, DocumentFormat::Pdf);
    assert!(d.has_text_layer);
    assert_eq!(d.pages.len(), 1);
    assert_eq!((d.pages[0].width, d.pages[0].height), (595.0, 842.0));
    let t = texts(&d);
    assert_eq!(
        t,
        vec![
            "Rechnung Nr. 4711",
            "München, 01.05.2024",
            "Gesamtbetrag  119,00 €",
            "IBAN DE89 3704"
        ],
        "{d:#?}"
    );
    let l = &d.pages[0].lines;
    assert_eq!(l[0].line, 1);
    assert!((l[0].y - 42.0).abs() < 0.01, "y from the top: {}", l[0].y);
    assert_eq!(l[2].spans.len(), 2);
    assert!((l[2].spans[0].x - 50.0).abs() < 0.01);
    assert!((l[2].spans[1].x - 400.0).abs() < 0.01);
    // Helvetica "Gesamtbetrag" at 10 pt ≈ 65 pt wide.
    assert!(
        (l[2].spans[0].width - 65.0).abs() < 5.0,
        "{}",
        l[2].spans[0].width
    );
    assert_eq!(l[2].spans[0].font, "Helvetica");
    assert_eq!(l[2].spans[0].size, 10.0);
    assert_eq!(d.revisions.len(), 1);
    assert_eq!(d.edit_count, 0);
    assert_eq!(d.metadata.producer.as_deref(), Some("InvoiceSys 3.1"));
    assert_eq!(
        d.metadata.creation_date.as_deref(),
        Some("2024-05-01T08:20:30Z")
    );
    assert_eq!(d.metadata.title.as_deref(), Some("Rechnung"));
    assert_eq!(d.metadata.first_producer, None);
    assert_eq!(d.fonts.len(), 1);
    assert_eq!(d.fonts[0].base_font, "Helvetica");
    assert_eq!(d.fonts[0].subtype, "/Type1");
    assert!(!d.fonts[0].embedded);
    assert_eq!(d.fonts[0].pages, vec![1]);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn tj_kerning_and_tight_adjustments() {
    let b = simple(
        "BT /F1 10 Tf 50 500 Td [(Hel)20(lo)-600(World)] TJ ET BT /F1 10 Tf 50 480 Td [(A)-30(b)] TJ ET",
        "x",
    );
    assert_eq!(texts(&parse(&b.buf)), vec!["Hello World", "Ab"]);
}

#[test]
fn differences_and_type0_tounicode() {
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    b.obj(
        2,
        "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
    );
    b.obj(
        3,
        "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R /F2 7 0 R >> >> /Contents 4 0 R >>",
    );
    b.stream(
        4,
        "",
        b"BT /F1 12 Tf 72 700 Td <0102030405> Tj ET BT /F2 12 Tf 72 650 Td <000100020003> Tj ET",
    );
    b.obj(
        5,
        "<< /Type /Font /Subtype /TrueType /BaseFont /ABCDEF+Arial /FirstChar 1 /LastChar 5 /Widths [600 600 600 600 600] \
         /Encoding << /Type /Encoding /Differences [1 /Euro /adieresis /space /germandbls /eacute] >> /FontDescriptor 6 0 R >>",
    );
    b.obj(
        6,
        "<< /Type /FontDescriptor /FontName /ABCDEF+Arial /FontFile2 9 0 R >>",
    );
    b.obj(
        7,
        "<< /Type /Font /Subtype /Type0 /BaseFont /GHIJKL+Calibri /Encoding /Identity-H /DescendantFonts [8 0 R] /ToUnicode 10 0 R >>",
    );
    b.obj(8, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /GHIJKL+Calibri /DW 500 /W [1 [400 300] 3 3 200] >>");
    b.stream(9, "", b"fontprogram");
    b.stream(
        10,
        "",
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange\n\
          2 beginbfchar <0001> <0053> <0003> <00DF> endbfchar 1 beginbfrange <0002> <0002> [<006F>] endbfrange endcmap end end",
    );
    b.xref("/Root 1 0 R");
    let d = parse(&b.buf);
    assert_eq!(texts(&d), vec!["€ä ßé", "Soß"]);
    let l = &d.pages[0].lines[1];
    assert!(
        (l.spans[0].width - 12.0 * 0.9).abs() < 0.01,
        "{}",
        l.spans[0].width
    );
    assert_eq!(d.fonts[0].subset_tag.as_deref(), Some("ABCDEF"));
    assert!(d.fonts[0].embedded);
    assert_eq!(d.fonts[1].subtype, "/Type0");
    assert!(!d.fonts[1].embedded);
}

#[test]
fn form_xobject_text_and_images() {
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    b.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> /XObject << /Fm1 6 0 R /Im1 7 0 R >> >> >>");
    b.obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>");
    b.stream(4, "", b"q 1 0 0 1 100 50 cm /Fm1 Do Q q 100 0 0 100 0 0 cm /Im1 Do Q BI /W 2 /H 2 /BPC 8 /CS /G ID \x00EI\xff\x10 EI BT /F1 10 Tf 50 300 Td (after) Tj ET");
    b.obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    b.stream(
        6,
        "/Type /XObject /Subtype /Form /BBox [0 0 500 100]",
        b"BT /F1 10 Tf 0 0 Td (Footer text) Tj ET",
    );
    b.stream(7, "/Type /XObject /Subtype /Image /Width 1 /Height 1 /BitsPerComponent 8 /ColorSpace /DeviceGray", b"\x00");
    b.xref("/Root 1 0 R");
    let d = parse(&b.buf);
    assert_eq!(texts(&d), vec!["after", "Footer text"]);
    let f = &d.pages[0].lines[1];
    assert!((f.y - 792.0).abs() < 0.01);
    assert!((f.spans[0].x - 100.0).abs() < 0.01);
    assert_eq!(d.pages[0].image_count, 2);
}

fn with_update(replace_content: bool) -> Vec<u8> {
    let mut b = simple(INVOICE_CONTENT, "InvoiceSys 3.1");
    if replace_content {
        b.flate_stream(
            4,
            "",
            INVOICE_CONTENT.replace("119,00", "911,00").as_bytes(),
        );
    }
    b.obj(6, "<< /Producer (iLovePDF) /ModDate (D:20240601120000Z) >>");
    b.xref("/Root 1 0 R /Info 6 0 R");
    b.buf
}

#[test]
fn incremental_update_rewriting_content() {
    let d = parse(&with_update(true));
    assert_eq!(d.revisions.len(), 2);
    let r = &d.revisions[1];
    assert!(r.rewrites_content);
    assert!(!r.signature_only);
    assert_eq!((r.objects_defined, r.objects_replaced), (2, 2));
    assert_eq!(d.edit_count, 1);
    assert_eq!(d.revisions[0].producer.as_deref(), Some("InvoiceSys 3.1"));
    assert_eq!(r.producer.as_deref(), Some("iLovePDF"));
    assert_eq!(d.metadata.producer.as_deref(), Some("iLovePDF"));
    assert_eq!(d.metadata.first_producer.as_deref(), Some("InvoiceSys 3.1"));
    assert!(texts(&d).contains(&"Gesamtbetrag  911,00 €".to_string()));
    // An update touching only the Info dictionary is an edit that rewrites nothing.
    let d = parse(&with_update(false));
    assert_eq!(d.edit_count, 1);
    assert!(!d.revisions[1].rewrites_content);
}

#[test]
fn signature_only_update_is_not_an_edit() {
    let mut b = simple(INVOICE_CONTENT, "InvoiceSys");
    b.obj(7, "<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange [0 100 200 300] /Contents <0000> >>");
    b.obj(8, "<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /V 7 0 R /P 3 0 R /Rect [0 0 0 0] /F 132 >>");
    b.obj(9, "<< /Fields [8 0 R] /SigFlags 3 >>");
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R /AcroForm 9 0 R >>");
    b.obj(3, "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R /Annots [8 0 R] >>");
    b.xref("/Root 1 0 R /Info 6 0 R");
    let d = parse(&b.buf);
    assert_eq!(d.revisions.len(), 2);
    assert!(d.revisions[1].signature_only, "{:?}", d.revisions[1]);
    assert!(!d.revisions[1].rewrites_content);
    assert_eq!(d.edit_count, 0);

    // The same update adding a FreeText annotation is visible on the page.
    let mut b = simple(INVOICE_CONTENT, "InvoiceSys");
    b.obj(
        8,
        "<< /Type /Annot /Subtype /FreeText /Contents (999,00) /Rect [400 690 450 710] >>",
    );
    b.obj(3, "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R /Annots [8 0 R] >>");
    b.xref("/Root 1 0 R /Info 6 0 R");
    let d = parse(&b.buf);
    assert!(d.revisions[1].rewrites_content);
    assert_eq!(d.edit_count, 1);
}

#[test]
fn outline_prev_keys_are_not_revisions() {
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R /Outlines 7 0 R >>");
    b.obj(
        2,
        "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
    );
    b.obj(
        3,
        "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
    );
    b.stream(4, "", b"BT /F1 10 Tf 50 500 Td (x) Tj ET");
    b.obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    b.obj(7, "<< /Type /Outlines /First 8 0 R /Last 9 0 R /Count 2 >>");
    b.obj(
        8,
        "<< /Title (A) /Parent 7 0 R /Next 9 0 R /Dest [3 0 R /Fit] >>",
    );
    b.obj(
        9,
        "<< /Title (B) /Parent 7 0 R /Prev 8 0 R /Dest [3 0 R /Fit] >>\n%%EOF",
    );
    b.xref("/Root 1 0 R");
    let d = parse(&b.buf);
    assert_eq!(d.revisions.len(), 1);
    assert_eq!(d.edit_count, 0);
}

#[test]
fn linearized_file() {
    // Layout: header, linearisation dict (object 10), the first-page xref section
    // whose /Prev points forward to the main xref at the end (objects 1-6).
    let mut b = Builder::new();
    let o10 = b.buf.len();
    b.raw(b"10 0 obj\n<< /Linearized 1 /L 0 /H [0 0] /O 3 /E 0 /N 1 /T 0 >>\nendobj\n");
    let first_xref = b.buf.len();
    b.raw(
        format!(
            "xref\n10 1\n{o10:010} 00000 n\r\ntrailer\n<< /Size 11 /Root 1 0 R /Info 6 0 R /Prev "
        )
        .as_bytes(),
    );
    let prev_at = b.buf.len();
    b.raw(b"0000000000 >>\nstartxref\n0\n%%EOF\n");
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    b.obj(
        2,
        "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
    );
    b.obj(
        3,
        "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
    );
    b.flate_stream(4, "", INVOICE_CONTENT.as_bytes());
    b.obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    b.obj(6, "<< /Producer (Lin) >>");
    let main = b.xref("/Root 1 0 R /Info 6 0 R");
    b.buf[prev_at..prev_at + 10].copy_from_slice(format!("{main:010}").as_bytes());
    // The final startxref names the first-page section.
    let last = rfind(&b.buf, b"startxref\n") + 10;
    b.buf.truncate(last);
    b.raw(format!("{first_xref}\n%%EOF\n").as_bytes());
    let d = parse(&b.buf);
    assert!(d.linearized);
    assert_eq!(d.revisions.len(), 2, "{:?}", d.warnings);
    assert_eq!(d.edit_count, 0);
    assert_eq!(texts(&d)[0], "Rechnung Nr. 4711");
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    // A real update on top of it counts once.
    b.last_xref = Some(first_xref);
    b.flate_stream(4, "", b"BT /F1 10 Tf 50 500 Td (Edited) Tj ET");
    b.xref("/Root 1 0 R /Info 6 0 R");
    let d = parse(&b.buf);
    assert_eq!(d.revisions.len(), 3);
    assert_eq!(d.edit_count, 1);
    assert!(d.revisions[2].rewrites_content);
}

fn rfind(h: &[u8], n: &[u8]) -> usize {
    h.windows(n.len()).rposition(|w| w == n).unwrap()
}

#[test]
fn xref_stream_and_object_stream() {
    let mut b = Builder::new();
    b.objstm(
        20,
        &[
            (1, "<< /Type /Catalog /Pages 2 0 R >>"),
            (2, "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>"),
            (3, "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>"),
            (5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
        ],
    );
    b.flate_stream(4, "", b"BT /F1 10 Tf 50 500 Td (Compressed objects) Tj ET");
    b.xref_stream(21, "/Root 1 0 R");
    let d = parse(&b.buf);
    assert_eq!(texts(&d), vec!["Compressed objects"]);
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    // An update as a second xref stream replacing the content.
    b.flate_stream(4, "", b"BT /F1 10 Tf 50 500 Td (Changed) Tj ET");
    b.xref_stream(22, "/Root 1 0 R");
    let d = parse(&b.buf);
    assert_eq!(texts(&d), vec!["Changed"]);
    assert_eq!(d.revisions.len(), 2, "{:?}", d.warnings);
    assert!(d.revisions[1].rewrites_content);
    assert_eq!(d.edit_count, 1);
}

#[test]
fn broken_xref_is_recovered() {
    let b = simple(INVOICE_CONTENT, "x");
    let mut buf = b.buf.clone();
    let p = rfind(&buf, b"startxref\n") + 10;
    buf.truncate(p);
    buf.extend_from_slice(b"99999\n%%EOF\n");
    let d = parse(&buf);
    assert_eq!(texts(&d)[0], "Rechnung Nr. 4711");
    assert!(
        d.warnings
            .iter()
            .any(|w| w.contains("recovered by scanning")),
        "{:?}",
        d.warnings
    );

    // Wrong offsets in the table: objects are found by scanning.
    let mut buf = b.buf.clone();
    let x = rfind(&buf, b"xref\n0 7\n") + 9 + 20;
    buf[x..x + 10].copy_from_slice(b"0000000003");
    let d = parse(&buf);
    assert_eq!(texts(&d)[0], "Rechnung Nr. 4711");
    assert!(!d.warnings.is_empty());
}

#[test]
fn truncated_files() {
    let b = simple(INVOICE_CONTENT, "x");
    let xref = b.last_xref.unwrap();
    let d = parse(&b.buf[..xref - 3]);
    assert_eq!(texts(&d)[0], "Rechnung Nr. 4711");
    assert!(!d.warnings.is_empty());
    // Every prefix either parses or is rejected as invalid input; none panics.
    for cut in (10..b.buf.len()).step_by(7) {
        match parse_bytes(&b.buf[..cut], "t.pdf") {
            Ok(_) | Err(StageError::InvalidInput(_)) => {}
            Err(e) => panic!("cut at {cut}: {e:?}"),
        }
    }
    assert!(matches!(
        parse_bytes(b"%PDF-1.7\n1 0 obj <<", "t.pdf"),
        Err(StageError::InvalidInput(_))
    ));
}

#[test]
fn encrypted_is_unsupported() {
    let mut b = simple(INVOICE_CONTENT, "x");
    b.obj(9, "<< /Filter /Standard /V 2 /R 3 /O <00> /U <00> /P -4 >>");
    b.xref("/Root 1 0 R /Encrypt 9 0 R");
    match parse_bytes(&b.buf, "t.pdf") {
        Err(StageError::Unsupported(m)) => assert!(m.contains("encrypted"), "{m}"),
        other => panic!("{other:?}"),
    }
}

/// ~1 GiB of zeros as a ~1 MB zlib stream: one Flate block of 1 MiB zeros,
/// repeated (a sync-flushed block ends on a byte boundary, so copies chain).
fn bomb() -> Vec<u8> {
    use miniz_oxide::deflate::core::{
        CompressorOxide, TDEFLFlush, TDEFLStatus, compress, create_comp_flags_from_zip_params,
    };
    let mut c = CompressorOxide::new(create_comp_flags_from_zip_params(6, -15, 0));
    let input = vec![0u8; 1 << 20];
    let mut out = vec![0u8; 1 << 16];
    let (st, _, n) = compress(&mut c, &input, &mut out, TDEFLFlush::Sync);
    assert!(matches!(st, TDEFLStatus::Okay));
    let block = &out[..n];
    let mut z = vec![0x78, 0x01];
    for _ in 0..1024 {
        z.extend_from_slice(block);
    }
    z.extend_from_slice(&[0x03, 0x00]);
    z
}

#[test]
fn flate_bomb_is_refused_quickly() {
    let z = bomb();
    assert!(z.len() < 4 << 20);
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R >>");
    b.obj(2, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
    b.obj(3, "<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>");
    b.stream(4, "/Filter /FlateDecode", &z);
    b.xref("/Root 1 0 R");
    let t = std::time::Instant::now();
    match parse_bytes(&b.buf, "bomb.pdf") {
        Err(StageError::LimitExceeded(m)) => assert!(m.contains("decompresses beyond"), "{m}"),
        other => panic!("{:?}", other.map(|d| d.warnings)),
    }
    assert!(t.elapsed().as_secs() < 5, "{:?}", t.elapsed());
}

const CII: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100">
<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument><ram:ID>4711</ram:ID></rsm:ExchangedDocument></rsm:CrossIndustryInvoice>"#;

#[test]
fn embedded_facturx_and_xmp() {
    let xmp = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdf:Producer="InvoiceSys" xmp:CreatorTool="ERP" xmp:ModifyDate="2024-05-01T10:20:30+02:00" pdfaid:part="3" pdfaid:conformance="B"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#;
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 7 0 R >> /AF [8 0 R] /Metadata 10 0 R >>");
    b.obj(
        2,
        "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
    );
    b.obj(
        3,
        "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
    );
    b.stream(4, "", b"BT /F1 10 Tf 50 500 Td (Invoice 4711) Tj ET");
    b.obj(5, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
    b.obj(7, "<< /Kids [11 0 R] >>");
    b.obj(
        11,
        "<< /Names [(factur-x.xml) 8 0 R] /Limits [(factur-x.xml) (factur-x.xml)] >>",
    );
    // /UF as UTF-16BE with BOM, as most producers write it.
    b.obj(8, "<< /Type /Filespec /F (factur-x.xml) /UF <FEFF006600610063007400750072002D0078002E0078006D006C> /AFRelationship /Alternative /EF << /F 9 0 R >> >>");
    b.flate_stream(
        9,
        &format!(
            "/Type /EmbeddedFile /Subtype /text#2Fxml /Params << /Size {} >>",
            CII.len()
        ),
        CII.as_bytes(),
    );
    b.stream(10, "/Type /Metadata /Subtype /XML", xmp.as_bytes());
    b.xref("/Root 1 0 R");
    let d = parse(&b.buf);
    assert_eq!(d.embedded_files.len(), 1);
    let f = &d.embedded_files[0];
    assert_eq!(f.name, "factur-x.xml");
    assert_eq!(f.media_type.as_deref(), Some("text/xml"));
    assert_eq!(f.relationship.as_deref(), Some("Alternative"));
    assert_eq!(f.size, CII.len() as u64);
    assert_eq!(f.content, CII.as_bytes());
    let e = d.e_invoice.expect("e-invoice");
    assert_eq!(e.syntax, XmlSyntax::Cii);
    assert_eq!(e.source_name, "factur-x.xml");
    assert_eq!(e.profile.as_deref(), Some("urn:cen.eu:en16931:2017"));
    assert_eq!(d.metadata.xmp_producer.as_deref(), Some("InvoiceSys"));
    assert_eq!(d.metadata.xmp_creator_tool.as_deref(), Some("ERP"));
    assert_eq!(
        d.metadata.xmp_modify_date.as_deref(),
        Some("2024-05-01T08:20:30Z")
    );
    assert_eq!(d.metadata.pdfa.as_deref(), Some("3B"));
}

#[test]
fn order_x_is_not_an_invoice() {
    let mut b = Builder::new();
    b.obj(1, "<< /Type /Catalog /Pages 2 0 R /AF [8 0 R] >>");
    b.obj(2, "<< /Type /Pages /Kids [] /Count 0 >>");
    b.obj(
        8,
        "<< /Type /Filespec /F (order-x.xml) /EF << /F 9 0 R >> >>",
    );
    b.stream(9, "/Type /EmbeddedFile", CII.as_bytes());
    b.xref("/Root 1 0 R");
    let d = parse(&b.buf);
    assert_eq!(d.embedded_files.len(), 1);
    assert!(d.e_invoice.is_none());
    assert!(!d.has_text_layer);
}

#[test]
fn timing_one_page_invoice() {
    let b = simple(INVOICE_CONTENT, "InvoiceSys");
    let n = 2000;
    let t = std::time::Instant::now();
    for _ in 0..n {
        let d = parse(&b.buf);
        assert_eq!(d.pages.len(), 1);
    }
    let per = t.elapsed() / n;
    println!(
        "one-page invoice ({} bytes): {per:?} per parse",
        b.buf.len()
    );
}
