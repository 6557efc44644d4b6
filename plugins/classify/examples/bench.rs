//! Time the classify stage on a realistic one-page invoice (~60 lines):
//! `cargo run --release -p classify --example bench`.
use papyr_sdk::types::{
    DocumentFormat, DocumentInfo, Metadata, Origin, Page, ParsedDocument, TextLine, TextSpan,
};

const LINES: &[(&str, f32)] = &[
    ("Müller & Söhne GmbH", 10.0),
    ("Industriestraße 12", 10.0),
    ("80331 München", 10.0),
    ("USt-IdNr. DE123456789", 10.0),
    ("Rechnung", 20.0),
    ("Rechnungsempfänger", 9.0),
    ("Beispiel AG", 10.0),
    ("Hauptstraße 1", 10.0),
    ("10115 Berlin", 10.0),
    (
        "Rechnungsnummer  Datum  Fälligkeitsdatum  Kundennummer  Bestellnummer",
        8.5,
    ),
    (
        "RE-2026-1774  22.07.2026  21.08.2026  K10777  PO-4471",
        10.0,
    ),
    (
        "Pos.  Beschreibung  Menge  Einheit  Einzelpreis  MwSt.  Betrag",
        9.0,
    ),
];

fn line(i: usize, y: f32, text: &str, size: f32) -> TextLine {
    TextLine {
        page: 1,
        line: i as u32 + 1,
        y,
        text: text.to_string(),
        spans: text
            .split("  ")
            .enumerate()
            .map(|(k, t)| TextSpan {
                text: t.to_string(),
                x: 50.0 + 80.0 * k as f32,
                width: t.len() as f32 * size * 0.5,
                font: "Helvetica".into(),
                size,
            })
            .collect(),
    }
}

fn document() -> ParsedDocument {
    let mut texts: Vec<(String, f32)> = LINES.iter().map(|(t, s)| (t.to_string(), *s)).collect();
    for k in 1..=30 {
        texts.push((
            format!(
                "{k}  Beratungsleistung Projekt Phase {k} gemäß Angebot vom 01.06.2026  {k},00  Std.  95,00  19 %  {},00",
                95 * k
            ),
            10.0,
        ));
    }
    for t in [
        "Zwischensumme  2.850,00 EUR",
        "zzgl. 19 % MwSt.  541,50 EUR",
        "Gesamtbetrag  3.391,50 EUR",
        "Zu zahlen bis 21.08.2026 ohne Abzug.",
        "Bitte überweisen Sie den Betrag unter Angabe der Rechnungsnummer auf folgendes Konto:",
        "IBAN DE89 3704 0044 0532 0130 00  BIC COBADEFFXXX",
        "Bank: Commerzbank München",
        "Vielen Dank für Ihren Auftrag!",
        "Es gelten unsere Allgemeinen Geschäftsbedingungen.",
        "Geschäftsführer: Hans Müller  Amtsgericht München HRB 123456",
        "Steuernummer 143/123/45678  USt-IdNr. DE123456789",
        "Telefon +49 89 1234567  E-Mail rechnung@mueller-soehne.de",
        "Seite 1 von 1",
    ] {
        texts.push((t.to_string(), 8.0));
    }
    let mut y = 40.0;
    let lines = texts
        .iter()
        .enumerate()
        .map(|(i, (t, s))| {
            y += s * 1.4;
            line(i, y, t, *s)
        })
        .collect();
    ParsedDocument {
        format: DocumentFormat::Pdf,
        pages: vec![Page {
            number: 1,
            width: 595.0,
            height: 842.0,
            lines,
            image_count: 0,
        }],
        has_text_layer: true,
        metadata: Metadata {
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
        },
        revisions: vec![],
        edit_count: 0,
        linearized: false,
        encrypted: false,
        fonts: vec![],
        embedded_files: vec![],
        e_invoice: None,
        warnings: vec![],
    }
}

fn main() {
    let doc = DocumentInfo {
        media_type: "application/pdf".into(),
        filename: "RE-2026-1774.pdf".into(),
        sha256: "0".repeat(64),
        size: 40_000,
        origin: Origin {
            sender_address: Some("rechnung@mueller-soehne.de".into()),
            sender_name: None,
            reply_to: None,
            return_path: None,
            authentication_results: None,
            subject: Some("Ihre Rechnung RE-2026-1774".into()),
            body_text: Some(
                "Sehr geehrte Damen und Herren, anbei erhalten Sie unsere Rechnung.".into(),
            ),
            received_at: None,
            message_id: None,
            channel: "email".into(),
        },
    };
    let parsed = document();
    let cfg = classify::Config::default();
    // The first call also builds the keyword index (as every fresh instance does).
    let t = std::time::Instant::now();
    let first = classify::classify_document(&doc, &parsed, &cfg);
    println!("first call: {:?}", t.elapsed());
    let n = std::env::var("BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(classify::classify_document(&doc, &parsed, &cfg));
    }
    let per = t.elapsed() / n;
    println!(
        "{} lines: {:?} per document -> {:?} {:?}",
        parsed.pages[0].lines.len(),
        per,
        first.kind,
        first.reasons
    );
}
