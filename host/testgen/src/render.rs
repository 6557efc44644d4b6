//! Visual layouts: turns an invoice into page content streams. Every visual run of
//! text is one `Tj` so extractors see spans with x positions.

use crate::ids::{iban_grouped, vat_display};
use crate::locale::{self, DateStyle, L, MoneyStyle, NumFmt};
#[allow(unused_imports)]
use crate::model::Line;
use crate::model::{Invoice, Kind, Tenant, Vendor};
use crate::pdf::{Canvas, Family};
use crate::util::{Date, Rng};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    LabelValue,
    Table,
    TwoColumn,
    TotalsBox,
    Letter,
    Compact,
    /// Holdout only: label printed above its value.
    Stacked,
    /// Holdout only: vendor and bank data in a shaded left sidebar.
    Sidebar,
}

pub const DEV_LAYOUTS: [Layout; 6] = [
    Layout::LabelValue,
    Layout::Table,
    Layout::TwoColumn,
    Layout::TotalsBox,
    Layout::Letter,
    Layout::Compact,
];
pub const HOLDOUT_LAYOUTS: [Layout; 2] = [Layout::Stacked, Layout::Sidebar];

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::LabelValue => "label-value",
            Layout::Table => "table",
            Layout::TwoColumn => "two-column",
            Layout::TotalsBox => "totals-box",
            Layout::Letter => "letter",
            Layout::Compact => "compact",
            Layout::Stacked => "stacked",
            Layout::Sidebar => "sidebar",
        }
    }
}

/// Everything a renderer needs; all choices (labels, formats) are made before
/// rendering so that a re-render with one changed value differs only in that value.
pub struct View<'a> {
    pub lang: &'a str,
    pub vendor: &'a Vendor,
    pub tenant: &'a Tenant,
    pub inv: &'a Invoice,
    pub labels: BTreeMap<L, String>,
    pub nf: NumFmt,
    pub ds: DateStyle,
    pub ms: MoneyStyle,
    pub family: Family,
    pub layout: Layout,
    pub size: (f32, f32),
    pub amount_font: bool,
    pub seed: u64,
}

impl View<'_> {
    pub fn l(&self, k: L) -> &str {
        self.labels.get(&k).map(|s| s.as_str()).unwrap_or("")
    }
    pub fn money(&self, m: i64) -> String {
        locale::fmt_money(m, &self.inv.currency, self.ms, &self.nf)
    }
    pub fn num(&self, m: i64) -> String {
        self.nf.amount(m)
    }
    pub fn date(&self, d: Date) -> String {
        locale::fmt_date(d, self.ds, self.lang)
    }
    fn title(&self) -> &str {
        if self.inv.kind == Kind::CreditNote {
            self.l(L::CreditNote)
        } else {
            self.l(L::Invoice)
        }
    }
    fn number_label(&self) -> &str {
        if self.inv.kind == Kind::CreditNote {
            self.l(L::CreditNoteNo)
        } else {
            self.l(L::InvoiceNo)
        }
    }
}

/// Picks one synonym per label for a document.
pub fn choose_labels(lang: &str, holdout: bool, rng: &mut Rng) -> BTreeMap<L, String> {
    use L::*;
    let keys = [
        Invoice,
        CreditNote,
        InvoiceNo,
        CreditNoteNo,
        Date,
        DueDate,
        Po,
        CustomerNo,
        VatId,
        BuyerVatId,
        Description,
        Qty,
        UnitPrice,
        Amount,
        VatRate,
        Subtotal,
        Discount,
        Net,
        Vat,
        Gross,
        Prepaid,
        AmountDue,
        Iban,
        Bic,
        Bank,
        Page,
        Continued,
        BillTo,
        Terms,
    ];
    keys.iter()
        .map(|&k| {
            let (dev, hold) = locale::label(lang, k);
            let s = if holdout && rng.pct(60) {
                rng.pick(hold)
            } else {
                rng.pick(dev)
            };
            (k, s.to_string())
        })
        .collect()
}

struct Spec {
    m: f32,
    fs: f32,
    row_h: f32,
    /// Right edges of qty, unit, vat, amount columns; description starts at `m`/`desc_x`.
    desc_x: f32,
    cols: [f32; 4],
    grid: bool,
    bottom: f32,
}

fn dear(lang: &str) -> (&'static str, &'static str) {
    match lang {
        "de" => (
            "Sehr geehrte Damen und Herren,",
            "wir erlauben uns, Ihnen folgende Leistungen in Rechnung zu stellen:",
        ),
        "fr" => (
            "Madame, Monsieur,",
            "nous vous prions de trouver ci-dessous le détail de notre facturation :",
        ),
        "nl" => (
            "Geachte heer, mevrouw,",
            "hierbij brengen wij u het volgende in rekening:",
        ),
        "es" => (
            "Estimados señores:",
            "les facturamos los siguientes conceptos:",
        ),
        "it" => (
            "Spettabile cliente,",
            "con la presente Vi addebitiamo quanto segue:",
        ),
        _ => (
            "Dear Sir or Madam,",
            "please find below the details of our services:",
        ),
    }
}

fn pay_sentence(v: &View) -> String {
    let amt = v.money(v.inv.amount_due);
    let due = v.inv.due.map(|d| v.date(d)).unwrap_or_default();
    match v.lang {
        "de" => format!("Bitte überweisen Sie {amt} bis zum {due}."),
        "fr" => format!("Merci de régler {amt} avant le {due}."),
        "nl" => format!("Gelieve {amt} te voldoen vóór {due}."),
        "es" => format!("Por favor, abonen {amt} antes del {due}."),
        "it" => format!("Si prega di pagare {amt} entro il {due}."),
        _ => format!("Please pay {amt} by {due}."),
    }
}

pub fn render(v: &View) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(v.seed);
    let (w, _) = v.size;
    let m = 40.0 + rng.range(0, 20) as f32;
    let compact = v.layout == Layout::Compact;
    let fs = if compact {
        7.5
    } else {
        9.0 + rng.range(0, 1) as f32 * 0.5
    };
    let side = if v.layout == Layout::Sidebar {
        170.0
    } else {
        0.0
    };
    let right = w - m;
    let spec = Spec {
        m,
        fs,
        row_h: fs * if compact { 1.45 } else { 1.8 },
        desc_x: m + side,
        cols: [right - 230.0, right - 140.0, right - 80.0, right],
        grid: matches!(v.layout, Layout::Table | Layout::TotalsBox),
        bottom: 70.0,
    };
    let mut pages: Vec<Canvas> = Vec::new();
    let mut c = new_canvas(v);
    let mut y = header(v, &mut c, &spec, &mut rng);
    y = table_header(v, &mut c, &spec, y);
    let totals_h = 16.0 * spec.row_h + 40.0;
    for (k, line) in v.inv.lines.iter().enumerate() {
        if y < spec.bottom + spec.row_h {
            carried(v, &mut c, &spec, y);
            pages.push(c);
            c = new_canvas(v);
            y = cont_header(v, &mut c, &spec);
            y = table_header(v, &mut c, &spec, y);
        }
        row(v, &mut c, &spec, y, k, line);
        y -= spec.row_h;
    }
    if y < spec.bottom + totals_h {
        pages.push(c);
        c = new_canvas(v);
        y = cont_header(v, &mut c, &spec);
    }
    totals(v, &mut c, &spec, y - 6.0);
    pages.push(c);
    let n = pages.len();
    pages
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            footer(v, &mut c, &spec, i + 1, n);
            c.ops
        })
        .collect()
}

fn new_canvas(v: &View) -> Canvas {
    let mut c = Canvas::new(v.family);
    if v.amount_font {
        c.amount_font = 2;
    }
    c
}

fn vendor_block(v: &View, c: &mut Canvas, x: f32, mut y: f32, fs: f32) -> f32 {
    let vd = v.vendor;
    c.text(1, fs + 5.0, x, y, &vd.name);
    y -= fs + 6.0;
    c.text(0, fs, x, y, &vd.street);
    y -= fs + 3.0;
    c.text(0, fs, x, y, &vd.city);
    y -= fs + 3.0;
    c.text(0, fs, x, y, &format!("billing@{}", vd.domain));
    y -= fs + 3.0;
    let vat = vat_display(&v.inv.seller_vat, v.lang);
    c.text(3, fs, x, y, v.l(L::VatId));
    c.text(0, fs, x + c.width(0, fs, v.l(L::VatId)) + 6.0, y, &vat);
    y - fs - 3.0
}

fn bill_to(v: &View, c: &mut Canvas, x: f32, mut y: f32, fs: f32) -> f32 {
    c.text(3, fs - 1.0, x, y, v.l(L::BillTo));
    y -= fs + 2.0;
    c.text(1, fs, x, y, &v.inv.buyer_name);
    y -= fs + 3.0;
    c.text(0, fs, x, y, &v.tenant.street);
    y -= fs + 3.0;
    c.text(0, fs, x, y, &v.tenant.city);
    y - fs - 3.0
}

/// The meta pairs (label, value) shown in the header.
fn meta(v: &View) -> Vec<(String, String)> {
    let mut out = vec![
        (v.number_label().to_string(), v.inv.number.clone()),
        (v.l(L::Date).to_string(), v.date(v.inv.issue)),
    ];
    if let Some(d) = v.inv.due {
        out.push((v.l(L::DueDate).to_string(), v.date(d)));
    }
    out.push((v.l(L::CustomerNo).to_string(), v.inv.customer_no.clone()));
    if let Some(po) = &v.inv.po {
        out.push((v.l(L::Po).to_string(), po.clone()));
    }
    if let Some(b) = &v.inv.buyer_vat {
        out.push((v.l(L::BuyerVatId).to_string(), b.clone()));
    }
    out
}

fn header(v: &View, c: &mut Canvas, s: &Spec, rng: &mut Rng) -> f32 {
    let (w, h) = v.size;
    let m = s.m;
    let fs = s.fs;
    let right = w - m;
    let mut y = h - m - 10.0;
    if let Some(u) = &v.inv.urgency {
        c.text(1, fs + 3.0, m, y + 4.0, u);
        y -= fs + 10.0;
    }
    match v.layout {
        Layout::LabelValue => {
            y = vendor_block(v, c, m, y, fs);
            y -= 10.0;
            c.text(1, 18.0, m, y, v.title());
            y -= 26.0;
            for (l, val) in meta(v) {
                c.text(0, fs, m, y, &format!("{l}:"));
                c.text(0, fs, m + 140.0, y, &val);
                y -= fs + 4.0;
            }
            y -= 8.0;
            y = bill_to(v, c, m, y, fs);
            y - 14.0
        }
        Layout::Table => {
            let yv = vendor_block(v, c, right - 200.0, y, fs);
            c.text(1, 20.0, m, y - 4.0, v.title());
            let yb = bill_to(v, c, m, y - 50.0, fs);
            y = yv.min(yb) - 16.0;
            let items = meta(v);
            let cw = (right - m) / items.len() as f32;
            c.rect(m, y - fs - 16.0, right - m, 2.0 * fs + 14.0, None);
            for (k, (l, val)) in items.iter().enumerate() {
                let x = m + 4.0 + k as f32 * cw;
                c.text(3, fs - 1.5, x, y - 8.0, l);
                c.text(0, fs, x, y - 10.0 - fs - 2.0, val);
            }
            y - 2.0 * fs - 36.0
        }
        Layout::TwoColumn => {
            let yv = vendor_block(v, c, m, y, fs);
            c.text_right(1, 18.0, right, y, v.title());
            let mut yr = y - 28.0;
            for (l, val) in meta(v) {
                c.text(3, fs, right - 230.0, yr, &l);
                c.text_right(0, fs, right, yr, &val);
                yr -= fs + 5.0;
            }
            let yb = bill_to(v, c, m, yv - 16.0, fs);
            yb.min(yr) - 16.0
        }
        Layout::TotalsBox => {
            c.rect(0.0, h - 70.0, w, 70.0, Some(0.88));
            c.text(1, 22.0, m, h - 45.0, v.title());
            c.text_right(1, fs + 3.0, right, h - 38.0, &v.vendor.name);
            y = h - 95.0;
            let mut yl = y;
            c.text(0, fs, m, yl, &v.vendor.street);
            yl -= fs + 3.0;
            c.text(0, fs, m, yl, &v.vendor.city);
            yl -= fs + 3.0;
            c.text(3, fs, m, yl, v.l(L::VatId));
            c.text(0, fs, m + 90.0, yl, &vat_display(&v.inv.seller_vat, v.lang));
            yl -= fs + 14.0;
            yl = bill_to(v, c, m, yl, fs);
            let mut yr = y;
            for (l, val) in meta(v) {
                c.text(3, fs, right - 220.0, yr, &l);
                c.text(1, fs, right - 100.0, yr, &val);
                yr -= fs + 5.0;
            }
            yl.min(yr) - 18.0
        }
        Layout::Letter => {
            let vd = v.vendor;
            let name_w = c.width(1, 16.0, &vd.name);
            c.text(1, 16.0, (w - name_w) / 2.0, y, &vd.name);
            let addr = format!("{} · {} · billing@{}", vd.street, vd.city, vd.domain);
            let aw = c.width(0, fs - 1.0, &addr);
            c.text(0, fs - 1.0, (w - aw) / 2.0, y - 16.0, &addr);
            // The seller's VAT id is a mandatory invoice detail (Art. 226 VAT
            // Directive); letterheads carry it centred under the address.
            let label = v.l(L::VatId);
            let vat = vat_display(&v.inv.seller_vat, v.lang);
            let lw = c.width(3, fs - 1.0, label) + 4.0;
            let x = (w - lw - c.width(0, fs - 1.0, &vat)) / 2.0;
            c.text(3, fs - 1.0, x, y - 27.0, label);
            c.text(0, fs - 1.0, x + lw, y - 27.0, &vat);
            y -= 60.0;
            c.text(
                0,
                fs - 2.0,
                m,
                y + 12.0,
                &format!("{} · {}", vd.name, vd.street),
            );
            y = bill_to(v, c, m, y, fs + 1.0);
            let city = vd.city.split_whitespace().last().unwrap_or("");
            let place = format!("{city}, {}", v.date(v.inv.issue));
            c.text_right(0, fs + 1.0, right, y, &place);
            y -= 30.0;
            c.text(
                1,
                fs + 3.0,
                m,
                y,
                &format!("{} {} {}", v.title(), "–", v.inv.number),
            );
            y -= fs + 8.0;
            let mut rest = meta(v);
            rest.retain(|(l, _)| l != v.number_label() && l != v.l(L::Date));
            for (l, val) in rest {
                c.text(0, fs, m, y, &format!("{l}: {val}"));
                y -= fs + 4.0;
            }
            let (d1, d2) = dear(v.lang);
            y -= 10.0;
            c.text(0, fs + 1.0, m, y, d1);
            y -= fs + 6.0;
            c.text(0, fs + 1.0, m, y, d2);
            y - 18.0
        }
        Layout::Compact => {
            c.text(1, 12.0, m, y, &v.vendor.name);
            c.text_right(1, 12.0, right, y, v.title());
            y -= 14.0;
            let vd = v.vendor;
            c.text(
                0,
                fs,
                m,
                y,
                &format!(
                    "{}, {} | {} {}",
                    vd.street,
                    vd.city,
                    v.l(L::VatId),
                    vat_display(&v.inv.seller_vat, v.lang)
                ),
            );
            y -= fs + 8.0;
            let items = meta(v);
            let half = items.len().div_ceil(2);
            for (k, (l, val)) in items.iter().enumerate() {
                let (x, yy) = if k < half {
                    (m, y - k as f32 * (fs + 3.0))
                } else {
                    (w / 2.0, y - (k - half) as f32 * (fs + 3.0))
                };
                c.text(0, fs, x, yy, &format!("{l} {val}"));
            }
            y -= half as f32 * (fs + 3.0) + 6.0;
            c.text(
                0,
                fs,
                m,
                y,
                &format!(
                    "{}: {}, {}",
                    v.l(L::BillTo),
                    v.inv.buyer_name,
                    v.tenant.city
                ),
            );
            y - fs - 8.0
        }
        Layout::Stacked => {
            y = vendor_block(v, c, m, y, fs);
            c.text_right(1, 24.0, right, h - m - 20.0, v.title());
            y -= 12.0;
            let items = meta(v);
            let per_row = 3 + rng.below(2) as usize;
            let cw = (right - m) / per_row as f32;
            for (k, (l, val)) in items.iter().enumerate() {
                let x = m + (k % per_row) as f32 * cw;
                let yy = y - (k / per_row) as f32 * (2.0 * fs + 12.0);
                c.text(3, fs - 1.5, x, yy, &l.to_uppercase());
                c.text(1, fs + 1.0, x, yy - fs - 3.0, val);
            }
            y -= items.len().div_ceil(per_row) as f32 * (2.0 * fs + 12.0) + 8.0;
            y = bill_to(v, c, m, y, fs);
            y - 14.0
        }
        Layout::Sidebar => {
            c.rect(0.0, 0.0, 170.0, h, Some(0.93));
            let mut ys = h - 60.0;
            let vd = v.vendor;
            c.text(1, fs + 2.0, 16.0, ys, &vd.name);
            ys -= fs + 8.0;
            for t in [
                vd.street.clone(),
                vd.city.clone(),
                format!("billing@{}", vd.domain),
            ] {
                c.text(0, fs - 1.0, 16.0, ys, &t);
                ys -= fs + 2.0;
            }
            ys -= 8.0;
            c.text(3, fs - 1.0, 16.0, ys, v.l(L::VatId));
            c.text(
                0,
                fs - 1.0,
                16.0,
                ys - fs - 1.0,
                &vat_display(&v.inv.seller_vat, v.lang),
            );
            ys -= 2.0 * fs + 14.0;
            if let Some(iban) = &v.inv.iban {
                c.text(3, fs - 1.0, 16.0, ys, v.l(L::Iban));
                c.text(0, fs - 1.5, 16.0, ys - fs - 1.0, &iban_grouped(iban));
                ys -= 2.0 * fs + 8.0;
            }
            if let Some(bic) = &v.inv.bic {
                c.text(3, fs - 1.0, 16.0, ys, v.l(L::Bic));
                c.text(0, fs - 1.0, 16.0, ys - fs - 1.0, bic);
            }
            let x0 = 170.0 + 24.0;
            c.text(1, 20.0, x0, y, v.title());
            y -= 30.0;
            for (l, val) in meta(v) {
                c.text(3, fs, x0, y, &l);
                c.text(0, fs, x0 + 120.0, y, &val);
                y -= fs + 4.0;
            }
            y -= 8.0;
            y = bill_to(v, c, x0, y, fs);
            y - 14.0
        }
    }
}

fn cont_header(v: &View, c: &mut Canvas, s: &Spec) -> f32 {
    let (_, h) = v.size;
    let y = h - s.m - 10.0;
    let x = s.desc_x;
    c.text(1, s.fs + 1.0, x, y, &v.vendor.name);
    c.text(
        0,
        s.fs,
        x,
        y - s.fs - 4.0,
        &format!("{} {} – {}", v.title(), v.inv.number, v.l(L::Continued)),
    );
    y - 2.0 * s.fs - 20.0
}

fn table_header(v: &View, c: &mut Canvas, s: &Spec, y: f32) -> f32 {
    let fs = s.fs;
    if s.grid {
        c.rect(s.desc_x, y - 4.0, s.cols[3] - s.desc_x, fs + 8.0, Some(0.9));
    }
    c.text(1, fs, s.desc_x + 2.0, y, v.l(L::Description));
    c.text_right(1, fs, s.cols[0], y, v.l(L::Qty));
    c.text_right(1, fs, s.cols[1], y, v.l(L::UnitPrice));
    c.text_right(1, fs, s.cols[2], y, v.l(L::VatRate));
    c.text_right(1, fs, s.cols[3], y, v.l(L::Amount));
    if !s.grid {
        c.hline(s.desc_x, s.cols[3], y - 4.0);
    }
    y - s.row_h - 2.0
}

fn row(v: &View, c: &mut Canvas, s: &Spec, y: f32, k: usize, l: &crate::model::Line) {
    let fs = s.fs;
    let mut desc = l.desc.clone();
    if v.layout == Layout::Compact || v.layout == Layout::Sidebar {
        desc = desc.chars().take(34).collect();
    }
    let pos = format!("{}", k + 1);
    c.text(0, fs, s.desc_x + 2.0, y, &format!("{pos}  {desc}"));
    c.text_right(0, fs, s.cols[0], y, &v.nf.qty(l.qty_milli));
    c.amount_right(false, fs, s.cols[1], y, &v.num(l.unit_minor));
    c.text_right(0, fs, s.cols[2], y, &format!("{} %", v.nf.rate(l.rate_bp)));
    c.amount_right(false, fs, s.cols[3], y, &v.num(l.net_minor));
    if s.grid {
        c.hline(s.desc_x, s.cols[3], y - 4.0);
    }
}

fn carried(v: &View, c: &mut Canvas, s: &Spec, y: f32) {
    c.text(
        3,
        s.fs - 1.0,
        s.desc_x + 2.0,
        y - 4.0,
        &format!("{} …", v.l(L::Continued)),
    );
}

fn totals(v: &View, c: &mut Canvas, s: &Spec, mut y: f32) {
    let inv = v.inv;
    let fs = s.fs;
    let right = s.cols[3];
    let lx = right - 230.0;
    let mut rows: Vec<(String, i64, bool)> = Vec::new();
    if inv.discount != 0 {
        rows.push((v.l(L::Subtotal).to_string(), inv.subtotal, false));
        rows.push((v.l(L::Discount).to_string(), -inv.discount, false));
    }
    rows.push((v.l(L::Net).to_string(), inv.net, false));
    for t in &inv.taxes {
        let lbl = if inv.taxes.len() > 1 {
            format!(
                "{} {} % ({})",
                v.l(L::Vat),
                v.nf.rate(t.rate_bp),
                v.num(t.basis)
            )
        } else {
            format!("{} {} %", v.l(L::Vat), v.nf.rate(t.rate_bp))
        };
        rows.push((lbl, t.amount, false));
    }
    if inv.taxes.len() > 1 {
        rows.push((v.l(L::Vat).to_string(), inv.tax, false));
    }
    rows.push((v.l(L::Gross).to_string(), inv.gross, true));
    if inv.prepaid != 0 {
        rows.push((v.l(L::Prepaid).to_string(), -inv.prepaid, false));
        rows.push((v.l(L::AmountDue).to_string(), inv.amount_due, true));
    } else if v.layout != Layout::Compact && inv.kind == Kind::Invoice {
        rows.push((v.l(L::AmountDue).to_string(), inv.amount_due, true));
    }
    if v.layout == Layout::TotalsBox {
        let bh = rows.len() as f32 * (fs + 6.0) + 10.0;
        c.rect(lx - 10.0, y - bh + fs, right - lx + 14.0, bh, None);
    }
    if v.layout == Layout::Compact {
        // One line of label/amount pairs.
        let mut x = s.desc_x;
        for (l, a, b) in &rows {
            c.text(u8::from(*b), fs, x, y, l);
            x += c.width(u8::from(*b), fs, l) + 4.0;
            let t = v.money(*a);
            c.amount_right(*b, fs, x + c.width(0, fs, &t), y, &t);
            x += c.width(0, fs, &t) + 14.0;
            if x > right - 120.0 {
                x = s.desc_x;
                y -= fs + 4.0;
            }
        }
        y -= fs + 10.0;
    } else {
        for (l, a, b) in &rows {
            c.text(u8::from(*b), fs, lx, y, l);
            c.amount_right(*b, fs, right, y, &v.money(*a));
            y -= fs + 6.0;
        }
        y -= 10.0;
    }
    let x = s.desc_x;
    if v.layout == Layout::Letter {
        c.text(0, fs + 1.0, x, y, &pay_sentence(v));
        y -= fs + 8.0;
    } else if let Some(d) = v.vendor_terms() {
        c.text(0, fs, x, y, &d);
        y -= fs + 8.0;
    }
    if v.layout != Layout::Sidebar {
        if let Some(iban) = &inv.iban {
            c.text(1, fs, x, y, v.l(L::Bank));
            y -= fs + 4.0;
            c.text(3, fs, x, y, v.l(L::Iban));
            c.text(0, fs, x + 80.0, y, &iban_grouped(iban));
            y -= fs + 4.0;
            if let Some(bic) = &inv.bic {
                c.text(3, fs, x, y, v.l(L::Bic));
                c.text(0, fs, x + 80.0, y, bic);
            }
        } else if inv.currency == "USD" {
            c.text(
                0,
                fs,
                x,
                y,
                "ACH / Wire: routing 021000021, account on request",
            );
        }
    }
}

impl View<'_> {
    fn vendor_terms(&self) -> Option<String> {
        let due = self.inv.due?;
        let days = due.days() - self.inv.issue.days();
        if days <= 0 {
            return None;
        }
        Some(self.l(L::Terms).replace("{d}", &days.to_string()))
    }
}

fn footer(v: &View, c: &mut Canvas, s: &Spec, page: usize, n: usize) {
    let (w, _) = v.size;
    let txt = format!("{} {page} / {n}", v.l(L::Page));
    c.text_right(3, s.fs - 1.5, w - s.m, 30.0, &txt);
    let vd = v.vendor;
    c.text(
        3,
        s.fs - 2.0,
        s.desc_x,
        30.0,
        &format!("{} · {}", vd.name, vd.city),
    );
}

/// Non-invoice documents: a letterhead, a title, a few paragraphs and sometimes a
/// small table, in the vendor's language.
pub struct OtherDoc {
    pub title: String,
    pub lines: Vec<String>,
    pub table: Vec<(String, String)>,
}

pub fn render_other(
    d: &OtherDoc,
    from: [&str; 3],
    to: [&str; 3],
    family: Family,
    size: (f32, f32),
    rng: &mut Rng,
) -> Vec<u8> {
    let (w, h) = size;
    let m = 50.0 + rng.range(0, 15) as f32;
    let mut c = Canvas::new(family);
    let mut y = h - m - 10.0;
    c.text(1, 15.0, m, y, from[0]);
    c.text(0, 9.0, m, y - 14.0, &format!("{} · {}", from[1], from[2]));
    y -= 60.0;
    for (k, t) in to.iter().enumerate() {
        c.text(0, 10.0, m, y - 13.0 * k as f32, t);
    }
    y -= 60.0;
    c.text(1, 16.0, m, y, &d.title);
    y -= 28.0;
    for l in &d.lines {
        c.text(0, 10.0, m, y, l);
        y -= 15.0;
    }
    y -= 10.0;
    for (a, b) in &d.table {
        c.text(0, 10.0, m, y, a);
        c.text_right(0, 10.0, w - m, y, b);
        y -= 14.0;
        if y < 60.0 {
            break;
        }
    }
    c.ops
}

/// A page of a "scanned" document: gray noise with dark bars where text would be.
pub fn scan_image(rng: &mut Rng, w: u32, h: u32) -> Vec<u8> {
    let mut px = vec![0u8; (w * h) as usize];
    let base = 225 + rng.below(25) as u8;
    for p in px.iter_mut() {
        *p = base;
    }
    let mut y = 20 + rng.below(20) as u32;
    while y + 6 < h - 20 {
        let x0 = 25 + rng.below(30) as u32;
        let len = 60 + rng.below((w - 120) as u64) as u32;
        let th = 3 + rng.below(3) as u32;
        let mut x = x0;
        while x < (x0 + len).min(w - 20) {
            let word = 8 + rng.below(30) as u32;
            for yy in y..y + th {
                for xx in x..(x + word).min(w - 20) {
                    px[(yy * w + xx) as usize] = 30 + rng.below(60) as u8;
                }
            }
            x += word + 4 + rng.below(4) as u32;
        }
        y += th + 5 + rng.below(10) as u32;
    }
    // Sparse speckle like a scanner's dust, kept light so Flate still compresses well.
    for _ in 0..(w * h / 90) {
        let i = rng.below((w * h) as u64) as usize;
        px[i] = px[i].saturating_sub(90);
    }
    px
}
