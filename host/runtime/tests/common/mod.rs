//! What several runtime tests share.
#![allow(dead_code)] // reason: each test binary uses a part
use papyr_runtime::bindings::types::*;

/// A minimal invoice check input.
pub fn sample_input() -> CheckInput {
    let origin = papyr_runtime::convert::OriginFile::default().into_wit("cli");
    let mut invoice = papyr_runtime::convert::empty_invoice(DocumentKind::Invoice);
    invoice.invoice_number = Some("1".into());
    invoice.currency = Some("EUR".into());
    invoice.gross_total = Some(Money {
        minor: 250_000,
        currency: "EUR".into(),
    });
    let mut parsed = papyr_runtime::convert::empty_parsed(DocumentFormat::Pdf);
    parsed.has_text_layer = true;
    CheckInput {
        document: DocumentInfo {
            media_type: "application/pdf".into(),
            filename: "x.pdf".into(),
            sha256: "00".into(),
            size: 1,
            origin,
        },
        parsed,
        classification: Classification {
            kind: DocumentKind::Invoice,
            confidence: 1.0,
            reasons: vec![],
        },
        invoice,
        today: Date {
            year: 2026,
            month: 11,
            day: 26,
        },
    }
}
