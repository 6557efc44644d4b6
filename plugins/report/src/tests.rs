use crate::render::{Options, render};
use papyr_sdk::types::*;

fn money(minor: i64) -> Money {
    Money {
        minor,
        currency: "EUR".into(),
    }
}

fn dec(value: i64, scale: u8) -> Decimal {
    Decimal { value, scale }
}

fn party(name: Option<&str>) -> Party {
    Party {
        name: name.map(Into::into),
        tax_id: None,
        address: None,
        country: None,
    }
}

fn empty_invoice() -> Invoice {
    Invoice {
        kind: DocumentKind::Invoice,
        vendor: party(None),
        customer: party(None),
        invoice_number: None,
        issue_date: None,
        due_date: None,
        currency: None,
        net_total: None,
        tax_total: None,
        gross_total: None,
        prepaid: None,
        amount_due: None,
        iban: None,
        bic: None,
        po_number: None,
        payment_terms: None,
        tax_breakdown: vec![],
        line_items: vec![],
        evidence: vec![],
    }
}

fn document() -> DocumentInfo {
    DocumentInfo {
        media_type: "application/pdf".into(),
        filename: "RE-2026-0815.pdf".into(),
        sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        size: 48213,
        origin: Origin {
            sender_address: Some("billing@nordlicht.example".into()),
            sender_name: Some("Nordlicht Billing".into()),
            reply_to: None,
            return_path: None,
            authentication_results: None,
            subject: Some("Ihre Rechnung RE-2026-0815".into()),
            body_text: None,
            received_at: Some("2026-11-25T08:12:00Z".into()),
            message_id: None,
            channel: "imap".into(),
        },
    }
}

fn minimal_input() -> ReportInput {
    ReportInput {
        tenant_name: "Demo Tenant GmbH".into(),
        document: document(),
        classification: Classification {
            kind: DocumentKind::Other,
            confidence: 0.2,
            reasons: vec!["no text layer".into()],
        },
        invoice: empty_invoice(),
        findings: vec![],
        risk_score: 0,
        decision: DecisionKind::NotAnInvoice,
        decision_reasons: vec![],
        trail: vec![],
        components: vec![],
        original_pages: 1,
        original_excerpt: vec![],
        generated_at: "2026-11-26T09:00:00Z".into(),
    }
}

pub fn rich_input() -> ReportInput {
    let mut inv = empty_invoice();
    inv.vendor = Party {
        name: Some("Nordlicht Consulting GmbH".into()),
        tax_id: Some("DE123456789".into()),
        address: Some("Hafenstraße 12, 20457 Hamburg".into()),
        country: Some("DE".into()),
    };
    inv.customer = Party {
        name: Some("Demo Tenant GmbH".into()),
        tax_id: Some("DE987654321".into()),
        address: None,
        country: Some("DE".into()),
    };
    inv.invoice_number = Some("RE-2026-0815".into());
    inv.issue_date = Some(Date {
        year: 2026,
        month: 11,
        day: 20,
    });
    inv.due_date = Some(Date {
        year: 2026,
        month: 12,
        day: 4,
    });
    inv.currency = Some("EUR".into());
    let mut net = 0;
    for i in 0..30 {
        let qty = (i % 5 + 1) as i64;
        let price = 1250 + i as i64 * 375;
        let rate = if i % 3 == 0 { 7 } else { 19 };
        net += qty * price;
        inv.line_items.push(LineItem {
            description: if i == 4 {
                "Quarterly maintenance of the document management platform including on-site support, travel time, configuration changes requested in tickets 4711, 4712 and 4719, and the yearly licence renewal".into()
            } else {
                format!("Consulting service item {}", i + 1)
            },
            quantity: Some(dec(qty * 1000, 3)),
            unit: Some("h".into()),
            unit_price: Some(dec(price, 2)),
            net_amount: Some(money(qty * price)),
            tax_rate: Some(dec(rate, 0)),
            product_code: (i % 7 == 0).then(|| format!("SKU-{i:04}")),
        });
    }
    inv.net_total = Some(money(net));
    inv.tax_breakdown = vec![
        TaxLine {
            rate: dec(19, 0),
            basis: money(net - 40_000),
            amount: money((net - 40_000) * 19 / 100),
            category: Some("S".into()),
        },
        TaxLine {
            rate: dec(7, 0),
            basis: money(40_000),
            amount: money(2_800),
            category: Some("S".into()),
        },
        TaxLine {
            rate: dec(0, 0),
            basis: money(0),
            amount: money(0),
            category: Some("Z".into()),
        },
    ];
    let tax = (net - 40_000) * 19 / 100 + 2_800;
    inv.tax_total = Some(money(tax));
    inv.gross_total = Some(money(net + tax));
    inv.amount_due = Some(money(net + tax));
    inv.iban = Some("DE89370400440532013000".into());
    inv.bic = Some("COBADEFFXXX".into());
    inv.payment_terms = Some("14 days net".into());
    inv.evidence = vec![
        FieldEvidence {
            field: "invoice_number".into(),
            confidence: 0.98,
            source: FieldSource::TextLayer,
            page: 1,
            line: 7,
            text: "Rechnungsnummer: RE-2026-0815".into(),
        },
        FieldEvidence {
            field: "gross_total".into(),
            confidence: 0.95,
            source: FieldSource::TextLayer,
            page: 2,
            line: 31,
            text: "Gesamtbetrag 1.234,56 EUR".into(),
        },
        FieldEvidence {
            field: "iban".into(),
            confidence: 0.99,
            source: FieldSource::EInvoice,
            page: 0,
            line: 0,
            text: "/Invoice/PaymentMeans/PayeeFinancialAccount/ID".into(),
        },
        FieldEvidence {
            field: "delivery_date".into(),
            confidence: 0.6,
            source: FieldSource::Template,
            page: 1,
            line: 9,
            text: "Lieferdatum 18.11.2026".into(),
        },
    ];
    let severities = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];
    let findings = severities
        .iter()
        .enumerate()
        .map(|(i, s)| Finding {
            rule: format!("rule.number-{i}"),
            severity: *s,
            score: 90 - i as u32 * 10,
            message: format!(
                "Finding {i}: the IBAN on this invoice is not among the vendor's verified accounts and the email asked for payment to new bank details; call the vendor back on a number already on file before paying. {}",
                "Additional context that makes this message long enough to wrap across several lines of the report. ".repeat(i % 3 + 1)
            ),
            evidence: vec![
                Evidence { label: "IBAN on invoice".into(), value: "DE89 3704 0044 0532 0130 00".into(), page: 1, line: 31 },
                Evidence { label: "verified IBANs".into(), value: "DE02 1203 0000 0000 2020 51".into(), page: 0, line: 0 },
            ],
        })
        .collect();
    ReportInput {
        tenant_name: "Demo Tenant GmbH".into(),
        document: document(),
        classification: Classification { kind: DocumentKind::Invoice, confidence: 0.97, reasons: vec!["title 'Rechnung' on page 1".into()] },
        invoice: inv,
        findings,
        risk_score: 87,
        decision: DecisionKind::Hold,
        decision_reasons: vec![
            "bank.iban-changed (critical) holds the invoice".into(),
            "risk score 87 is above the hold threshold 70".into(),
        ],
        trail: vec![
            TrailEntry { at: "2026-11-25T08:12:03Z".into(), actor: "system".into(), action: "received".into(), comment: None },
            TrailEntry { at: "2026-11-25T08:12:04Z".into(), actor: "rule:bank.iban-changed".into(), action: "hold".into(), comment: Some("IBAN not verified".into()) },
            TrailEntry { at: "2026-11-25T10:40:00Z".into(), actor: "anna.schmidt@demo.example".into(), action: "comment".into(), comment: Some("Called Nordlicht on the number in the vendor master; waiting for confirmation.".into()) },
        ],
        components: ["parse", "classify", "extract", "fraud", "report"]
            .iter()
            .enumerate()
            .map(|(i, s)| ComponentRef { stage: (*s).into(), name: format!("papyr-{s}"), digest: format!("{:064x}", i as u128 * 0x1234_5678_9abc_def0_1234_5678) })
            .collect(),
        original_pages: 2,
        original_excerpt: vec![
            "Nordlicht Consulting GmbH · Hafenstraße 12 · 20457 Hamburg".into(),
            "Rechnung".into(),
            "Rechnungsnummer: RE-2026-0815   Datum: 20.11.2026".into(),
        ],
        generated_at: "2026-11-26T09:00:00Z".into(),
    }
}

// ---------- a minimal PDF reader for the assertions

struct Parsed {
    /// Object number → byte offset from the xref table.
    offsets: Vec<(usize, usize)>,
    page_count: usize,
    count: usize,
    contents: Vec<String>,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn parse(pdf: &[u8]) -> Parsed {
    assert!(pdf.starts_with(b"%PDF-1.7\n"));
    assert!(pdf.ends_with(b"%%EOF\n"));
    let sx = rfind(pdf, b"startxref\n").expect("startxref");
    let rest = std::str::from_utf8(&pdf[sx + 10..]).unwrap();
    let xref_at: usize = rest.lines().next().unwrap().trim().parse().unwrap();
    assert_eq!(
        &pdf[xref_at..xref_at + 5],
        b"xref\n",
        "startxref points at xref"
    );
    let table = std::str::from_utf8(&pdf[xref_at..sx]).unwrap();
    let mut lines = table.lines().skip(1);
    let header: Vec<usize> = lines
        .next()
        .unwrap()
        .split(' ')
        .map(|n| n.parse().unwrap())
        .collect();
    let (first, n) = (header[0], header[1]);
    let mut offsets = Vec::new();
    for i in 0..n {
        let entry = lines.next().unwrap();
        assert_eq!(entry.len(), 19, "xref entries are 20 bytes with EOL");
        let off: usize = entry[..10].parse().unwrap();
        if entry.trim_end().ends_with('n') {
            let num = first + i;
            let head = format!("{num} 0 obj\n");
            assert_eq!(
                &pdf[off..off + head.len()],
                head.as_bytes(),
                "object {num} at {off}"
            );
            offsets.push((num, off));
        }
    }
    let trailer = lines.collect::<Vec<_>>().join("\n");
    assert!(trailer.contains(&format!("/Size {n}")), "{trailer}");

    let text = String::from_utf8_lossy(pdf);
    let count: usize = text
        .split("/Type /Pages")
        .nth(1)
        .and_then(|s| s.split("/Count ").nth(1))
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .unwrap()
        .parse()
        .unwrap();
    let page_count = text.matches("/Type /Page ").count();

    let mut contents = Vec::new();
    let mut pos = 0;
    while let Some(s) = find(pdf, b"stream\n", pos) {
        if s >= 3 && &pdf[s - 3..s] == b"end" {
            pos = s + 7;
            continue;
        }
        let dict_start = rfind(&pdf[..s], b"<<").unwrap();
        let dict = String::from_utf8_lossy(&pdf[dict_start..s]).to_string();
        let len: usize = dict
            .split("/Length ")
            .nth(1)
            .unwrap()
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let data = &pdf[s + 7..s + 7 + len];
        assert_eq!(
            &pdf[s + 7 + len..s + 7 + len + 10],
            b"\nendstream",
            "stream length"
        );
        let raw = if dict.contains("/FlateDecode") {
            miniz_oxide::inflate::decompress_to_vec_zlib(data).expect("valid zlib")
        } else {
            data.to_vec()
        };
        contents.push(String::from_utf8(raw).expect("ASCII content"));
        pos = s + 7 + len;
    }
    Parsed {
        offsets,
        page_count,
        count,
        contents,
    }
}

// ---------- tests

#[test]
fn rich_report_is_a_valid_multi_page_pdf() {
    let pdf = render(&rich_input(), &Options { compress: true });
    let p = parse(&pdf);
    assert!(p.count >= 3, "pages: {}", p.count);
    assert_eq!(p.count, p.page_count);
    assert_eq!(p.contents.len(), p.count);
    assert_eq!(p.offsets.len(), 6 + 2 * p.count);
    let all = p.contents.join("\n");
    for needle in [
        "(Approval report)",
        "(Invoice RE-2026-0815)",
        "(Nordlicht Consulting GmbH)",
        "(Demo Tenant GmbH)",
        "(Generated 2026-11-26T09:00:00Z)",
        "(Hold)",
        "(87 / 100)",
        "(CRITICAL)",
        "(rule.number-7)",
        "(Decision trail)",
        "(Sign-off)",
        "(Signature)",
        "(RE-2026-0815.pdf)",
        "(Consulting service item 30)",
        "(delivery_date)",
        "(19%)",
        "(Total)",
    ] {
        assert!(all.contains(needle), "missing {needle}");
    }
    // Euro sign and umlaut in WinAnsi (octal escapes).
    assert!(all.contains("\\200)"), "euro sign");
    assert!(all.contains("Hafenstra\\337e"), "sharp s");
    // Page x of y on every page.
    for (i, c) in p.contents.iter().enumerate() {
        assert!(
            c.contains(&format!("(Page {} of {})", i + 1, p.count)),
            "page {}",
            i + 1
        );
    }
    // The digest of every component is present (wrapped or not).
    assert!(all.contains(&format!(
        "({:064x})",
        4u128 * 0x1234_5678_9abc_def0_1234_5678
    )));
    // Long messages wrapped: no text line is drawn past the right margin.
    for c in &p.contents {
        for line in c.lines().filter(|l| l.contains(" Tj ET")) {
            let x: f32 = line
                .split(" Tm")
                .next()
                .unwrap()
                .split(' ')
                .rev()
                .nth(1)
                .unwrap()
                .parse()
                .unwrap();
            assert!(x < crate::layout::RIGHT, "{line}");
        }
    }
}

#[test]
fn same_input_same_bytes() {
    let a = render(&rich_input(), &Options { compress: true });
    let b = render(&rich_input(), &Options { compress: true });
    assert_eq!(a, b);
    let mut other = rich_input();
    other.generated_at = "2026-11-27T09:00:00Z".into();
    assert_ne!(a, render(&other, &Options { compress: true }));
}

#[test]
fn empty_input_still_renders() {
    let pdf = render(&minimal_input(), &Options { compress: false });
    let p = parse(&pdf);
    assert!((1..=2).contains(&p.count), "{} pages", p.count);
    let all = p.contents.join("\n");
    assert!(all.contains("(Invoice \\(no number found\\))"));
    assert!(all.contains("(No line items were extracted.)"));
    assert!(all.contains("(No rule reported a finding.)"));
    assert!(all.contains("(Not an invoice)"));
    assert!(all.contains("(The original has no text layer to quote.)"));
}

#[test]
fn hostile_input_is_rendered_not_cut() {
    let mut input = minimal_input();
    input.tenant_name = "(\\) ✓ ".repeat(200);
    input.invoice.invoice_number = Some("X".repeat(10_000));
    input.invoice.gross_total = Some(Money {
        minor: i64::MIN,
        currency: "EUR".into(),
    });
    input.classification.confidence = f32::NAN;
    input.risk_score = u32::MAX;
    input.findings = vec![Finding {
        rule: "r".into(),
        severity: Severity::High,
        score: 500,
        message: "word ".repeat(20_000),
        evidence: vec![],
    }];
    input.original_excerpt = (0..100).map(|i| format!("line {i}")).collect();
    let p = parse(&render(&input, &Options { compress: true }));
    let all = p.contents.join("\n");
    assert!(all.contains("more characters\\)"), "clipped text says so");
    assert!(all.contains("40 more lines of the excerpt not shown"));
    assert!(all.contains("(100 / 100)"));
}

#[test]
fn write_sample() {
    // For visual checks: `pdftoppm -png -r 60 /tmp/report-sample.pdf /tmp/report`.
    if let Ok(path) = std::env::var("REPORT_SAMPLE") {
        std::fs::write(&path, render(&rich_input(), &Options { compress: true })).unwrap();
        std::fs::write(
            format!("{path}.empty.pdf"),
            render(&minimal_input(), &Options { compress: true }),
        )
        .unwrap();
    }
}
