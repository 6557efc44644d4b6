use papyr_sdk::types::{DocumentFormat, StageError, XmlSyntax};
use parse::parse_bytes;

#[test]
fn empty_and_unknown_and_images() {
    assert!(
        matches!(parse_bytes(b"", "x"), Err(StageError::InvalidInput(m)) if m == "empty document")
    );
    let d = parse_bytes(&[0u8, 1, 2, 3, 0xff, 0xfe, 0x00, 0x9c], "x.bin").unwrap();
    assert_eq!(d.format, DocumentFormat::Unknown);
    assert!(d.pages.is_empty() && !d.has_text_layer);
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&800u32.to_be_bytes());
    png.extend_from_slice(&600u32.to_be_bytes());
    let d = parse_bytes(&png, "scan.pdf").unwrap();
    assert_eq!(d.format, DocumentFormat::Image);
    assert!(!d.has_text_layer);
    assert_eq!(
        (d.pages[0].width, d.pages[0].height, d.pages[0].image_count),
        (800.0, 600.0, 1)
    );
    let d = parse_bytes(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0], "a.jpg").unwrap();
    assert_eq!(d.format, DocumentFormat::Image);
}

#[test]
fn text_documents() {
    let d = parse_bytes("Rechnung 4711\n\n  Betrag: 12,00 €\n".as_bytes(), "a.txt").unwrap();
    assert_eq!(d.format, DocumentFormat::Text);
    assert!(d.has_text_layer);
    let l = &d.pages[0].lines;
    assert_eq!(l.len(), 2);
    assert_eq!(l[1].text, "Betrag: 12,00 €");
    assert_eq!(l[1].line, 2);
    assert!(l[1].y > l[0].y);
    // An HTML-ish fragment that is not well-formed is text, not an error.
    let d = parse_bytes(b"<b>Hello<br> world", "a.html").unwrap();
    assert_eq!(d.format, DocumentFormat::Text);
}

#[test]
fn xml_documents() {
    let ubl = "\u{feff}<?xml version=\"1.0\"?>\n<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\" xmlns:cbc=\"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2\"><cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</cbc:CustomizationID></Invoice>";
    let d = parse_bytes(ubl.as_bytes(), "inv.xml").unwrap();
    assert_eq!(d.format, DocumentFormat::Xml);
    let e = d.e_invoice.unwrap();
    assert_eq!(e.syntax, XmlSyntax::UblInvoice);
    assert_eq!(e.source_name, "inv.xml");
    assert!(e.profile.unwrap().contains("xrechnung_3.0"));
    let cn = r#"<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"/>"#;
    assert_eq!(
        parse_bytes(cn.as_bytes(), "c.xml")
            .unwrap()
            .e_invoice
            .unwrap()
            .syntax,
        XmlSyntax::UblCreditNote
    );
    let zf1 =
        r#"<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"/>"#;
    assert_eq!(
        parse_bytes(zf1.as_bytes(), "z.xml")
            .unwrap()
            .e_invoice
            .unwrap()
            .syntax,
        XmlSyntax::CiiZugferd1
    );
    let other = parse_bytes(b"<?xml version='1.0'?><note>hi</note>", "n.xml").unwrap();
    assert_eq!(other.e_invoice.unwrap().syntax, XmlSyntax::Other);
    assert!(matches!(
        parse_bytes(b"<?xml version='1.0'?><a><b></a>", "x.xml"),
        Err(StageError::InvalidInput(_))
    ));
    // Entity expansion is refused (no DTDs), so a billion-laughs file cannot blow up.
    let laughs = b"<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><l>&b;</l>";
    assert!(matches!(
        parse_bytes(laughs, "x.xml"),
        Err(StageError::InvalidInput(_))
    ));
}

#[test]
fn xrechnung_testsuite() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/xrechnung-testsuite"
    );
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!("skipping: {dir} not present");
        return;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".xml") {
            continue;
        }
        let bytes = std::fs::read(e.path()).unwrap();
        let d = parse_bytes(&bytes, &name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(d.format, DocumentFormat::Xml, "{name}");
        let inv = d
            .e_invoice
            .unwrap_or_else(|| panic!("{name}: no e-invoice"));
        let want = if name.contains("_ubl") {
            XmlSyntax::UblInvoice
        } else {
            XmlSyntax::Cii
        };
        // A few UBL test files are credit notes.
        let ok = inv.syntax == want
            || (want == XmlSyntax::UblInvoice && inv.syntax == XmlSyntax::UblCreditNote);
        assert!(ok, "{name}: {:?}", inv.syntax);
        let profile = inv.profile.unwrap_or_else(|| panic!("{name}: no profile"));
        assert!(
            profile.contains("xrechnung") || profile.contains("en16931"),
            "{name}: {profile}"
        );
        n += 1;
    }
    assert!(n >= 60, "only {n} files");
}
