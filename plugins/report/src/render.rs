//! The approval report's sections.
use crate::format::{self, clip, dash, opt_money, percent};
use crate::layout::*;
use crate::pdf::{self, Font};
use papyr_sdk::types::{DecisionKind, FieldEvidence, Finding, Money, ReportInput, Severity};

/// Limits that keep a hostile input from producing an endless report. What is left
/// out is always said in the report.
const MAX_TEXT: usize = 2_000;
const MAX_ROWS: usize = 5_000;
const MAX_EXCERPT_LINES: usize = 60;

pub struct Options {
    pub compress: bool,
}

pub fn render(input: &ReportInput, opts: &Options) -> Vec<u8> {
    let mut c = Canvas::new();
    summary(&mut c, input);
    fields(&mut c, input);
    line_items(&mut c, input);
    tax_breakdown(&mut c, input);
    findings(&mut c, input);
    trail(&mut c, input);
    components(&mut c, input);
    original(&mut c, input);
    sign_off(&mut c);

    let pages = c.finish(|c, page, total| decorate(c, input, page, total));
    let invoice_no = input.invoice.invoice_number.clone().unwrap_or_default();
    let title = format!("Approval report {invoice_no}");
    let date = pdf::pdf_date(&input.generated_at);
    pdf::write(
        &pages,
        &pdf::Info {
            title: title.trim(),
            author: &input.tenant_name,
            subject: &input.document.filename,
            date: &date,
        },
        opts.compress,
    )
}

/// Cut text to a width, ending in an ellipsis.
fn fit(text: &str, font: Font, size: f32, width: f32) -> String {
    if font.text_width(text, size) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for ch in text.chars() {
        out.push(ch);
        if font.text_width(&out, size) + font.text_width("…", size) > width {
            out.pop();
            break;
        }
    }
    out.push('…');
    out
}

fn decorate(c: &mut Canvas, input: &ReportInput, page: usize, total: usize) {
    let top = PAGE_H - 46.0;
    c.text(LEFT, top, Font::Bold, 17.0, ACCENT, "Approval report");
    let tenant = fit(&input.tenant_name, Font::Regular, 9.0, 250.0);
    c.text(LEFT, top - 14.0, Font::Regular, 9.0, MUTED, &tenant);
    let number = match &input.invoice.invoice_number {
        Some(n) => format!("Invoice {n}"),
        None => "Invoice (no number found)".into(),
    };
    let number = fit(&number, Font::Bold, 10.0, 250.0);
    c.text_right(RIGHT, top + 2.0, Font::Bold, 10.0, TEXT, &number);
    let vendor = input
        .invoice
        .vendor
        .name
        .clone()
        .unwrap_or_else(|| "Vendor unknown".into());
    let vendor = fit(&vendor, Font::Regular, 9.0, 250.0);
    c.text_right(RIGHT, top - 11.0, Font::Regular, 9.0, TEXT, &vendor);
    c.text_right(
        RIGHT,
        top - 23.0,
        Font::Regular,
        7.5,
        MUTED,
        &format!("Generated {}", input.generated_at),
    );
    c.line(LEFT, PAGE_H - 78.0, RIGHT, PAGE_H - 78.0, 1.2, ACCENT);

    c.line(LEFT, 44.0, RIGHT, 44.0, 0.5, RULE);
    let sha = input
        .document
        .sha256
        .get(..16)
        .unwrap_or(&input.document.sha256);
    let left = fit(
        &format!("Papyr · {} · sha256 {sha}…", input.document.filename),
        Font::Regular,
        7.5,
        CONTENT_W - 90.0,
    );
    c.text(LEFT, 32.0, Font::Regular, 7.5, MUTED, &left);
    c.text_right(
        RIGHT,
        32.0,
        Font::Bold,
        8.0,
        TEXT,
        &format!("Page {page} of {total}"),
    );
}

fn decision_color(d: DecisionKind) -> Rgb {
    match d {
        DecisionKind::AutoApprove => (0.12, 0.52, 0.27),
        DecisionKind::NeedsApproval => (0.78, 0.47, 0.02),
        DecisionKind::Hold | DecisionKind::Failed => (0.74, 0.11, 0.11),
        DecisionKind::NotAnInvoice => (0.40, 0.42, 0.47),
    }
}

fn severity_color(s: Severity) -> Rgb {
    match s {
        Severity::Info => (0.45, 0.50, 0.58),
        Severity::Low => (0.22, 0.46, 0.70),
        Severity::Medium => (0.80, 0.52, 0.04),
        Severity::High => (0.86, 0.33, 0.08),
        Severity::Critical => (0.70, 0.08, 0.10),
    }
}

fn risk_color(score: u32) -> Rgb {
    match score {
        0..30 => (0.12, 0.52, 0.27),
        30..60 => (0.78, 0.47, 0.02),
        _ => (0.74, 0.11, 0.11),
    }
}

fn kind_name(k: papyr_sdk::types::DocumentKind) -> &'static str {
    use papyr_sdk::types::DocumentKind::*;
    match k {
        Invoice => "Invoice",
        CreditNote => "Credit note",
        Reminder => "Reminder",
        Statement => "Statement",
        Receipt => "Receipt",
        PurchaseOrder => "Purchase order",
        Quote => "Quote",
        Newsletter => "Newsletter",
        Other => "Other",
    }
}

fn summary(c: &mut Canvas, input: &ReportInput) {
    let inv = &input.invoice;
    let box_h = 96.0;
    let top = c.y;
    let color = decision_color(input.decision);
    c.fill_rect(LEFT, top - box_h, CONTENT_W, box_h, SHADE);
    c.fill_rect(LEFT, top - box_h, 5.0, box_h, color);
    c.stroke_rect(LEFT, top - box_h, CONTENT_W, box_h, 0.5, RULE);

    let x = LEFT + 16.0;
    c.text(x, top - 16.0, Font::Regular, 7.5, MUTED, "DECISION");
    c.text(
        x,
        top - 34.0,
        Font::Bold,
        18.0,
        color,
        format::decision(input.decision),
    );
    let cls = format!(
        "{} · classified with {} confidence",
        kind_name(input.classification.kind),
        percent(input.classification.confidence)
    );
    c.text(x, top - 48.0, Font::Regular, 8.5, TEXT, &cls);

    // Key figures in a row along the bottom of the box.
    let due_date = inv
        .due_date
        .as_ref()
        .map(papyr_sdk::date_to_string)
        .unwrap_or_else(dash);
    let figures: [(&str, String, Rgb); 4] = [
        (
            "RISK SCORE",
            format!("{} / 100", input.risk_score.min(100)),
            risk_color(input.risk_score),
        ),
        ("GROSS TOTAL", opt_money(&inv.gross_total), TEXT),
        ("AMOUNT DUE", opt_money(&inv.amount_due), TEXT),
        ("DUE DATE", due_date, TEXT),
    ];
    let col_w = (CONTENT_W - 24.0) / 4.0;
    for (i, (label, value, col)) in figures.iter().enumerate() {
        let fx = x + i as f32 * col_w;
        c.text(fx, top - 70.0, Font::Regular, 7.5, MUTED, label);
        let v = fit(value, Font::Bold, 12.0, col_w - 8.0);
        c.text(fx, top - 86.0, Font::Bold, 12.0, *col, &v);
    }
    // The score as a bar beside the decision.
    let bar_x = RIGHT - 170.0;
    c.text(bar_x, top - 16.0, Font::Regular, 7.5, MUTED, "RISK");
    c.fill_rect(bar_x, top - 32.0, 150.0, 7.0, HEADER_FILL);
    let filled = 150.0 * input.risk_score.min(100) as f32 / 100.0;
    c.fill_rect(bar_x, top - 32.0, filled, 7.0, risk_color(input.risk_score));
    c.y = top - box_h - 8.0;

    if !input.decision_reasons.is_empty() {
        c.ensure(24.0);
        c.y -= 4.0;
        c.text(LEFT, c.y - 8.0, Font::Bold, 9.0, TEXT, "Why this decision");
        c.y -= 12.0;
        for r in input.decision_reasons.iter().take(MAX_ROWS) {
            bullet(
                c,
                LEFT + 4.0,
                CONTENT_W - 4.0,
                Font::Regular,
                9.0,
                TEXT,
                &clip(r, MAX_TEXT),
            );
        }
        more(c, input.decision_reasons.len(), MAX_ROWS, "reasons");
    }
}

/// A bulleted, wrapped paragraph.
fn bullet(c: &mut Canvas, x: f32, width: f32, font: Font, size: f32, color: Rgb, text: &str) {
    let leading = size * 1.35;
    let lines = wrap(text, font, size, width - 12.0);
    for (i, line) in lines.iter().enumerate() {
        c.ensure(leading);
        c.y -= leading;
        if i == 0 {
            c.text(x, c.y + leading * 0.25, font, size, color, "•");
        }
        c.text(x + 12.0, c.y + leading * 0.25, font, size, color, line);
    }
}

/// Say how many items a limit left out.
fn more(c: &mut Canvas, total: usize, shown: usize, what: &str) {
    if total > shown {
        c.paragraph(
            LEFT,
            CONTENT_W,
            Font::Bold,
            8.5,
            MUTED,
            &format!(
                "… {} more {what} not shown (report limit {shown}).",
                total - shown
            ),
        );
    }
}

fn fields(c: &mut Canvas, input: &ReportInput) {
    c.heading("Extracted fields", 60.0);
    let inv = &input.invoice;
    let date = |d: &Option<papyr_sdk::types::Date>| d.as_ref().map(papyr_sdk::date_to_string);
    let rows: Vec<(&str, &str, Option<String>)> = vec![
        ("Vendor", "vendor_name", inv.vendor.name.clone()),
        ("Vendor tax id", "vendor_tax_id", inv.vendor.tax_id.clone()),
        (
            "Vendor address",
            "vendor_address",
            inv.vendor.address.clone(),
        ),
        ("Customer", "customer_name", inv.customer.name.clone()),
        (
            "Customer tax id",
            "customer_tax_id",
            inv.customer.tax_id.clone(),
        ),
        (
            "Invoice number",
            "invoice_number",
            inv.invoice_number.clone(),
        ),
        ("Issue date", "issue_date", date(&inv.issue_date)),
        ("Due date", "due_date", date(&inv.due_date)),
        ("Currency", "currency", inv.currency.clone()),
        (
            "Net total",
            "net_total",
            inv.net_total.as_ref().map(format::money),
        ),
        (
            "Tax total",
            "tax_total",
            inv.tax_total.as_ref().map(format::money),
        ),
        (
            "Gross total",
            "gross_total",
            inv.gross_total.as_ref().map(format::money),
        ),
        (
            "Prepaid",
            "prepaid",
            inv.prepaid.as_ref().map(format::money),
        ),
        (
            "Amount due",
            "amount_due",
            inv.amount_due.as_ref().map(format::money),
        ),
        ("IBAN", "iban", inv.iban.clone()),
        ("BIC", "bic", inv.bic.clone()),
        ("PO number", "po_number", inv.po_number.clone()),
        ("Payment terms", "payment_terms", inv.payment_terms.clone()),
    ];
    let find = |field: &str| inv.evidence.iter().find(|e| e.field == field);
    let mut table: Vec<Vec<String>> = Vec::new();
    for (label, key, value) in &rows {
        let ev = find(key);
        table.push(field_row(label, value.as_deref(), ev));
    }
    // Evidence for fields the table does not list (custom or template fields).
    for ev in inv.evidence.iter().take(MAX_ROWS) {
        if !rows.iter().any(|(_, key, _)| *key == ev.field) {
            table.push(field_row(&ev.field, None, Some(ev)));
        }
    }
    let found = rows.iter().filter(|r| r.2.is_some()).count();
    c.paragraph(
        LEFT,
        CONTENT_W,
        Font::Regular,
        8.5,
        MUTED,
        &format!(
            "{found} of {} fields found. Confidence and source come from the extract stage; \"Found in\" quotes the text it read.",
            rows.len()
        ),
    );
    c.gap(4.0);
    c.table(
        &[
            Col {
                font: Font::Bold,
                ..Col::left("Field", 80.0)
            },
            Col::left("Value", 150.0),
            Col::right("Conf.", 36.0),
            Col::left("Source", 74.0),
            Col::left("Found in", 160.0),
        ],
        &table,
    );
}

fn field_row(label: &str, value: Option<&str>, ev: Option<&FieldEvidence>) -> Vec<String> {
    let value = value.map_or_else(dash, |v| clip(v, MAX_TEXT));
    match ev {
        Some(e) => {
            let mut src = format::source(e.source).to_string();
            if e.page > 0 {
                src.push_str(&format!(", p. {} l. {}", e.page, e.line));
            }
            vec![
                label.into(),
                value,
                percent(e.confidence),
                src,
                clip(&e.text, 300),
            ]
        }
        None => vec![
            label.into(),
            value,
            String::new(),
            String::new(),
            String::new(),
        ],
    }
}

fn currency_of(input: &ReportInput) -> String {
    input
        .invoice
        .currency
        .clone()
        .or_else(|| {
            input
                .invoice
                .gross_total
                .as_ref()
                .map(|m| m.currency.clone())
        })
        .unwrap_or_default()
}

fn line_items(c: &mut Canvas, input: &ReportInput) {
    let items = &input.invoice.line_items;
    c.heading(&format!("Line items ({})", items.len()), 40.0);
    if items.is_empty() {
        c.paragraph(
            LEFT,
            CONTENT_W,
            Font::Regular,
            9.0,
            MUTED,
            "No line items were extracted.",
        );
        return;
    }
    let currency = currency_of(input);
    let style = format::style_of(&currency);
    let rows: Vec<Vec<String>> = items
        .iter()
        .take(MAX_ROWS)
        .enumerate()
        .map(|(i, it)| {
            let mut desc = clip(&it.description, MAX_TEXT);
            if let Some(code) = &it.product_code {
                desc.push_str(&format!("\nCode: {}", clip(code, 200)));
            }
            let cur = it
                .net_amount
                .as_ref()
                .map_or(currency.as_str(), |m| m.currency.as_str());
            vec![
                (i + 1).to_string(),
                desc,
                it.quantity
                    .as_ref()
                    .map_or_else(String::new, |q| format::decimal(q, style)),
                it.unit.clone().map(|u| clip(&u, 40)).unwrap_or_default(),
                it.unit_price
                    .as_ref()
                    .map_or_else(String::new, |p| format::price(p, cur)),
                it.tax_rate
                    .as_ref()
                    .map_or_else(String::new, |r| format!("{}%", format::decimal(r, style))),
                opt_money(&it.net_amount),
            ]
        })
        .collect();
    c.table(
        &[
            Col::right("#", 22.0),
            Col::left("Description", 200.0),
            Col::right("Qty", 40.0),
            Col::left("Unit", 36.0),
            Col::right("Unit price", 66.0),
            Col::right("VAT", 38.0),
            Col::right("Net amount", 78.0),
        ],
        &rows,
    );
    more(c, items.len(), MAX_ROWS, "line items");
}

fn tax_breakdown(c: &mut Canvas, input: &ReportInput) {
    let lines = &input.invoice.tax_breakdown;
    c.heading("Tax breakdown", 40.0);
    if lines.is_empty() {
        c.paragraph(
            LEFT,
            CONTENT_W,
            Font::Regular,
            9.0,
            MUTED,
            "No tax breakdown was extracted.",
        );
        return;
    }
    let style = format::style_of(&currency_of(input));
    let mut rows: Vec<Vec<String>> = lines
        .iter()
        .take(MAX_ROWS)
        .map(|t| {
            vec![
                format!("{}%", format::decimal(&t.rate, style)),
                t.category.clone().map(|s| clip(&s, 20)).unwrap_or_default(),
                format::money(&t.basis),
                format::money(&t.amount),
            ]
        })
        .collect();
    // A total row when every line is in one currency.
    let sum = |get: fn(&papyr_sdk::types::TaxLine) -> &Money| -> Option<Money> {
        let first = get(lines.first()?);
        let mut minor: i64 = 0;
        for t in lines {
            let m = get(t);
            if m.currency != first.currency {
                return None;
            }
            minor = minor.checked_add(m.minor)?;
        }
        Some(Money {
            minor,
            currency: first.currency.clone(),
        })
    };
    if let (Some(b), Some(a)) = (sum(|t| &t.basis), sum(|t| &t.amount))
        && lines.len() > 1
    {
        rows.push(vec![
            "Total".into(),
            String::new(),
            format::money(&b),
            format::money(&a),
        ]);
    }
    c.table(
        &[
            Col::right("Rate", 60.0),
            Col::left("Category", 80.0),
            Col::right("Taxable amount", 120.0),
            Col::right("Tax", 120.0),
        ],
        &rows,
    );
    more(c, lines.len(), MAX_ROWS, "tax lines");
}

fn findings(c: &mut Canvas, input: &ReportInput) {
    let list = &input.findings;
    c.heading(&format!("Findings ({})", list.len()), 50.0);
    if list.is_empty() {
        c.paragraph(
            LEFT,
            CONTENT_W,
            Font::Regular,
            9.0,
            MUTED,
            "No rule reported a finding.",
        );
        return;
    }
    // Most severe first; the sort is stable so equal findings keep the host's order.
    let mut sorted: Vec<&Finding> = list.iter().take(MAX_ROWS).collect();
    sorted.sort_by(|a, b| {
        format::severity_rank(b.severity)
            .cmp(&format::severity_rank(a.severity))
            .then(b.score.cmp(&a.score))
    });
    for f in sorted {
        c.ensure(44.0);
        c.y -= 16.0;
        let label = format::severity(f.severity);
        let lw = Font::Bold.text_width(label, 7.0) + 10.0;
        c.fill_rect(LEFT, c.y - 3.0, lw, 12.0, severity_color(f.severity));
        c.text(
            LEFT + 5.0,
            c.y + 0.5,
            Font::Bold,
            7.0,
            (1.0, 1.0, 1.0),
            label,
        );
        let rule = fit(&f.rule, Font::Bold, 9.5, CONTENT_W - lw - 90.0);
        c.text(LEFT + lw + 8.0, c.y, Font::Bold, 9.5, TEXT, &rule);
        c.text_right(
            RIGHT,
            c.y,
            Font::Regular,
            8.5,
            MUTED,
            &format!("score {}", f.score.min(100)),
        );
        c.y -= 4.0;
        c.paragraph(
            LEFT + 8.0,
            CONTENT_W - 8.0,
            Font::Regular,
            9.0,
            TEXT,
            &clip(&f.message, MAX_TEXT),
        );
        for e in f.evidence.iter().take(MAX_ROWS) {
            let mut t = format!("{}: {}", clip(&e.label, 200), clip(&e.value, MAX_TEXT));
            if e.page > 0 {
                t.push_str(&format!("  (p. {}, l. {})", e.page, e.line));
            }
            bullet(
                c,
                LEFT + 14.0,
                CONTENT_W - 14.0,
                Font::Regular,
                8.5,
                MUTED,
                &t,
            );
        }
        more(c, f.evidence.len(), MAX_ROWS, "evidence items");
        c.y -= 5.0;
        c.line(LEFT, c.y, RIGHT, c.y, 0.3, RULE);
    }
    more(c, list.len(), MAX_ROWS, "findings");
}

fn trail(c: &mut Canvas, input: &ReportInput) {
    c.heading("Decision trail", 40.0);
    if input.trail.is_empty() {
        c.paragraph(LEFT, CONTENT_W, Font::Regular, 9.0, MUTED, "No entries.");
        return;
    }
    let rows: Vec<Vec<String>> = input
        .trail
        .iter()
        .take(MAX_ROWS)
        .map(|t| {
            vec![
                clip(&t.at, 40),
                clip(&t.actor, 200),
                clip(&t.action, 300),
                t.comment
                    .as_deref()
                    .map(|s| clip(s, MAX_TEXT))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    c.table(
        &[
            Col::left("Time", 100.0),
            Col::left("Actor", 110.0),
            Col::left("Action", 110.0),
            Col::left("Comment", 180.0),
        ],
        &rows,
    );
    more(c, input.trail.len(), MAX_ROWS, "trail entries");
}

fn components(c: &mut Canvas, input: &ReportInput) {
    c.heading("Components that ran", 40.0);
    if input.components.is_empty() {
        c.paragraph(LEFT, CONTENT_W, Font::Regular, 9.0, MUTED, "Not recorded.");
        return;
    }
    let rows: Vec<Vec<String>> = input
        .components
        .iter()
        .take(MAX_ROWS)
        .map(|r| vec![clip(&r.stage, 40), clip(&r.name, 200), clip(&r.digest, 200)])
        .collect();
    c.table(
        &[
            Col::left("Stage", 50.0),
            Col::left("Component", 105.0),
            Col::mono("sha256 digest", 345.0),
        ],
        &rows,
    );
    more(c, input.components.len(), MAX_ROWS, "components");
}

fn key_value(c: &mut Canvas, label: &str, value: &str, font: Font) {
    let leading = 8.5 * 1.35;
    let lines = wrap(value, font, 8.5, CONTENT_W - 110.0);
    for (i, line) in lines.iter().enumerate() {
        c.ensure(leading);
        c.y -= leading;
        if i == 0 {
            c.text(LEFT, c.y + 2.5, Font::Bold, 8.5, MUTED, label);
        }
        c.text(LEFT + 110.0, c.y + 2.5, font, 8.5, TEXT, line);
    }
}

fn original(c: &mut Canvas, input: &ReportInput) {
    c.heading("Original document", 80.0);
    let d = &input.document;
    key_value(c, "File name", &clip(&d.filename, 500), Font::Regular);
    key_value(c, "Media type", &clip(&d.media_type, 100), Font::Regular);
    key_value(c, "Size", &format!("{} bytes", d.size), Font::Regular);
    key_value(c, "Pages", &input.original_pages.to_string(), Font::Regular);
    key_value(c, "sha256", &clip(&d.sha256, 200), Font::Mono);
    let o = &d.origin;
    if let Some(v) = &o.received_at {
        key_value(c, "Received", &clip(v, 100), Font::Regular);
    }
    key_value(c, "Channel", &clip(&o.channel, 100), Font::Regular);
    let sender = match (&o.sender_name, &o.sender_address) {
        (Some(n), Some(a)) => Some(format!("{n} <{a}>")),
        (None, Some(a)) => Some(a.clone()),
        (Some(n), None) => Some(n.clone()),
        (None, None) => None,
    };
    if let Some(s) = sender {
        key_value(c, "Sender", &clip(&s, 500), Font::Regular);
    }
    if let Some(s) = &o.subject {
        key_value(c, "Subject", &clip(s, 500), Font::Regular);
    }
    let cls = &input.classification;
    let mut why = format!("{} ({})", kind_name(cls.kind), percent(cls.confidence));
    if !cls.reasons.is_empty() {
        let reasons: Vec<String> = cls.reasons.iter().take(20).map(|r| clip(r, 300)).collect();
        why.push_str(&format!(": {}", reasons.join("; ")));
    }
    key_value(c, "Classified as", &why, Font::Regular);

    c.y -= 8.0;
    c.ensure(30.0);
    c.text(LEFT, c.y - 8.0, Font::Bold, 9.0, TEXT, "Excerpt of page 1");
    c.y -= 14.0;
    if input.original_excerpt.is_empty() {
        c.paragraph(
            LEFT,
            CONTENT_W,
            Font::Regular,
            8.5,
            MUTED,
            "The original has no text layer to quote.",
        );
        return;
    }
    let size = 7.5;
    let leading = 9.5;
    c.fill_rect(LEFT, c.y - 4.0, CONTENT_W, 4.0, SHADE);
    c.y -= 4.0;
    for line in input.original_excerpt.iter().take(MAX_EXCERPT_LINES) {
        for part in wrap(&clip(line, 500), Font::Mono, size, CONTENT_W - 16.0) {
            c.ensure(leading);
            c.y -= leading;
            c.fill_rect(LEFT, c.y, CONTENT_W, leading, SHADE);
            c.text(LEFT + 8.0, c.y + 2.5, Font::Mono, size, TEXT, &part);
        }
    }
    c.fill_rect(LEFT, c.y - 4.0, CONTENT_W, 4.0, SHADE);
    c.y -= 4.0;
    more(
        c,
        input.original_excerpt.len(),
        MAX_EXCERPT_LINES,
        "lines of the excerpt",
    );
}

fn sign_off(c: &mut Canvas) {
    c.heading("Sign-off", 95.0);
    c.paragraph(
        LEFT,
        CONTENT_W,
        Font::Regular,
        9.0,
        TEXT,
        "I have reviewed this invoice, the findings and the original document referenced above.",
    );
    c.y -= 14.0;
    let mut x = LEFT;
    for choice in ["Approve for payment", "Reject", "Hold for clarification"] {
        c.stroke_rect(x, c.y - 1.0, 9.0, 9.0, 0.8, TEXT);
        c.text(x + 14.0, c.y, Font::Regular, 9.0, TEXT, choice);
        x += 160.0;
    }
    c.y -= 34.0;
    let w = (CONTENT_W - 40.0) / 3.0;
    for (i, label) in ["Name", "Date", "Signature"].iter().enumerate() {
        let lx = LEFT + i as f32 * (w + 20.0);
        c.line(lx, c.y, lx + w, c.y, 0.7, TEXT);
        c.text(lx, c.y - 11.0, Font::Regular, 8.0, MUTED, label);
    }
    c.y -= 20.0;
}
