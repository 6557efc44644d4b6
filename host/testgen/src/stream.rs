//! Stream planning: which document comes at which position, which fraud signal it
//! carries, and writing the files, sidecars, truth and tenant.
// `*rng.pick(&[...])` needs the explicit deref to yield `&'static str`; the lint misreads it.
#![allow(clippy::explicit_auto_deref)]

use crate::ids;
use crate::labels;
use crate::locale::{self, L, NNBSP};
use crate::model::{self, Invoice, Kind, Line, Tenant, Vendor};
use crate::pdf::{self, Attachment, Family, Image, Info, PageSpec, PdfDoc, PdfTime, Xmp};
use crate::render::{self, DEV_LAYOUTS, HOLDOUT_LAYOUTS, Layout, OtherDoc, View};
use crate::util::{Date, Rng, dec2, dl_distance, qty_str, rate_str};
use crate::{Manifest, Options, Preset, Split};
use anyhow::Context;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub const TODAY: Date = Date::new(2026, 11, 26);
pub const THRESHOLD: i64 = 500_000;

/// Every rule the generator plants (all rule ids of CONVENTIONS-INTERNAL.md).
pub const RULES: [&str; 29] = [
    "duplicate.exact",
    "duplicate.same-file",
    "duplicate.near",
    "bank.iban-changed",
    "bank.iban-shared",
    "sender.lookalike-domain",
    "sender.display-name-spoof",
    "sender.reply-to-mismatch",
    "sender.auth-failed",
    "pdf.incremental-edit",
    "pdf.producer-changed",
    "pdf.metadata-mismatch",
    "pdf.font-anomaly",
    "math.line-sum",
    "math.tax",
    "math.totals",
    "math.amount-due",
    "id.iban-invalid",
    "id.vat-invalid",
    "id.buyer-not-tenant",
    "amount.below-threshold",
    "amount.split",
    "amount.round",
    "date.future",
    "date.due-before-issue",
    "date.very-old",
    "date.weekend",
    "vendor.new-urgent",
    "einvoice.visible-mismatch",
];

pub const BENIGN: [&str; 4] = [
    "sig-update",
    "linearized",
    "weekend-software",
    "round-history",
];

const EDITORS: [&str; 6] = [
    "iLovePDF",
    "Smallpdf.com",
    "Sejda PDF Editor",
    "PDF-XChange Editor 9.5",
    "Adobe Acrobat Pro (64-bit) 24.1.20643",
    "macOS Version 14.2 (Build 23C64) Quartz PDFContext",
];

#[derive(Serialize, Clone, Debug, Default, PartialEq)]
pub struct LineTruth {
    pub description: Option<String>,
    pub quantity: Option<String>,
    pub unit_price: Option<String>,
    pub net_amount: Option<String>,
    pub tax_rate: Option<String>,
}

#[derive(Serialize, Clone, Debug, Default, PartialEq)]
pub struct Fields {
    pub vendor_name: Option<String>,
    pub vendor_tax_id: Option<String>,
    pub customer_name: Option<String>,
    pub invoice_number: Option<String>,
    pub issue_date: Option<String>,
    pub due_date: Option<String>,
    pub currency: Option<String>,
    pub net_total: Option<String>,
    pub tax_total: Option<String>,
    pub gross_total: Option<String>,
    pub amount_due: Option<String>,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub po_number: Option<String>,
    pub line_items: Option<Vec<LineTruth>>,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct TaxTruth {
    pub rate: String,
    pub basis: String,
    pub amount: String,
}

#[derive(Serialize, Clone, Debug)]
pub struct Truth {
    pub file: String,
    pub kind: String,
    pub language: String,
    pub layout: String,
    pub format: String,
    pub split: String,
    pub fields: Fields,
    pub tax_breakdown: Vec<TaxTruth>,
    pub planted: Vec<String>,
    pub benign: Vec<String>,
    pub vendor_id: Option<String>,
    pub has_origin: bool,
    /// Document-level allowance (not a canonical field; lets checks verify Σ lines).
    pub discount: Option<String>,
    /// Prepaid amount (gross − prepaid = amount due).
    pub prepaid: Option<String>,
}

#[derive(Serialize)]
struct Origin {
    sender_address: Option<String>,
    sender_name: Option<String>,
    reply_to: Option<String>,
    return_path: Option<String>,
    authentication_results: Option<String>,
    subject: Option<String>,
    body_text: Option<String>,
    received_at: Option<String>,
    message_id: Option<String>,
    channel: String,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Fmt {
    Pdf,
    FacturX,
    Ubl,
    Cii,
}

#[derive(Clone, PartialEq, Debug)]
enum Mutation {
    None,
    TamperIban(String, bool),
    TamperAmount(i64, bool),
    FontAnomaly,
    MetaMismatch(u8),
    ProducerOnly,
    SigUpdate,
    Linearized,
    VisibleMismatch(u8),
}

#[derive(Clone, PartialEq, Debug)]
enum Mail {
    Genuine,
    Lookalike,
    DisplaySpoof,
    ReplyTo,
    AuthFail,
    Urgent,
}

#[derive(Clone)]
struct InvDoc {
    vendor: usize,
    inv: Invoice,
    lang: &'static str,
    fmt: Fmt,
    layout: Layout,
    seed: u64,
    mutation: Mutation,
    mail: Option<Mail>,
    new_bank_words: bool,
    planted: Vec<&'static str>,
    benign: Vec<&'static str>,
}

#[derive(Clone)]
enum Ev {
    Clean,
    Plant(&'static str),
    Benign(&'static str),
    /// A scheduled follow-up document (duplicates, split parts, series).
    Follow(Box<Follow>),
}

#[derive(Clone)]
enum Follow {
    Doc(InvDoc),
    SameFile {
        bytes: Vec<u8>,
        truth: Truth,
        ext: &'static str,
    },
}

struct Hist {
    issue: Date,
    gross: i64,
    currency: String,
}

struct Gen<'a> {
    opts: &'a Options,
    rng: Rng,
    vendors: Vec<Vendor>,
    tenant: Tenant,
    hist: Vec<Vec<Hist>>,
    truths: Vec<Truth>,
    pending: Vec<(usize, Ev)>,
    pos: usize,
    holdout: bool,
    file_hashes: BTreeMap<String, String>,
    /// Normalised invoice numbers each vendor has used (or reserved for a near
    /// duplicate), so that no later invoice repeats one by accident.
    used_numbers: Vec<BTreeSet<String>>,
}

pub fn run(opts: &Options) -> anyhow::Result<Manifest> {
    let split_tag = match opts.split {
        Split::Dev => 0xD5,
        Split::Holdout => 0x40,
    };
    let root = Rng::new(opts.seed ^ (split_tag << 56));
    let mut vrng = root.fork(1);
    let vendors = model::make_vendors(&mut vrng, 40, 12);
    let tenant = Tenant {
        name: "Demo Tenant GmbH".into(),
        vat: ids::gen_vat("DE", &mut vrng),
        street: "Friedrichstraße 123".into(),
        city: "10117 Berlin".into(),
        today: TODAY,
        threshold_minor: THRESHOLD,
        auto_approve_minor: 100_000,
    };
    std::fs::create_dir_all(&opts.out_dir)
        .with_context(|| format!("creating {}", opts.out_dir.display()))?;
    let nv = vendors.len();
    let mut g = Gen {
        opts,
        rng: root.fork(2),
        vendors,
        tenant,
        hist: (0..nv).map(|_| Vec::new()).collect(),
        truths: Vec::new(),
        pending: Vec::new(),
        pos: 0,
        holdout: opts.split == Split::Holdout,
        file_hashes: BTreeMap::new(),
        used_numbers: (0..nv).map(|_| BTreeSet::new()).collect(),
    };
    let deck = g.deck();
    let mut deck = deck.into_iter();
    while g.pos < opts.count {
        let due = g
            .pending
            .iter()
            .enumerate()
            .filter(|(_, (p, _))| *p <= g.pos)
            .min_by_key(|(_, (p, _))| *p)
            .map(|(i, _)| i);
        let ev = match due {
            Some(i) => g.pending.remove(i).1,
            None => deck.next().unwrap_or(Ev::Clean),
        };
        g.emit(ev)?;
    }
    g.write_tenant()?;
    crate::labels::label_splits(&mut g.truths);
    crate::labels::label_rounds(&mut g.truths);
    let mut truth = String::new();
    for t in &g.truths {
        truth.push_str(&serde_json::to_string(t)?);
        truth.push('\n');
    }
    std::fs::write(opts.out_dir.join("truth.jsonl"), truth)?;
    Ok(Manifest {
        out_dir: opts.out_dir.clone(),
        documents: g.truths,
    })
}

impl Gen<'_> {
    fn deck(&mut self) -> Vec<Ev> {
        let n = self.opts.count;
        let mut deck: Vec<Ev> = Vec::new();
        match self.opts.preset {
            Preset::Demo => {
                return vec![
                    Ev::Clean,
                    Ev::Plant("demo-facturx"),
                    Ev::Plant("demo-ubl"),
                    Ev::Plant("demo-scan"),
                    Ev::Plant("demo-nonin"),
                    Ev::Plant("duplicate.same-file"),
                    Ev::Plant("pdf.incremental-edit"),
                    Ev::Plant("bank.iban-changed"),
                    Ev::Plant("vendor.new-urgent"),
                    Ev::Clean,
                    Ev::Plant("demo-credit"),
                ];
            }
            Preset::Full => {
                let q = ((n as f64 * 0.0115).ceil() as usize).max(1);
                for r in RULES {
                    // Groups emit several documents per event; fewer events suffice.
                    let k = match r {
                        "amount.split" => q + 5,
                        "duplicate.exact" => q.saturating_sub(q / 3),
                        "pdf.producer-changed" => q / 2 + 1,
                        "bank.iban-changed" => q / 2 + 1,
                        "amount.round" => q * 2 / 3 + 1,
                        "math.totals" => q * 3 / 4 + 1,
                        _ => q,
                    };
                    deck.extend((0..k).map(|_| Ev::Plant(r)));
                }
                for b in BENIGN {
                    deck.extend((0..q.div_ceil(2)).map(|_| Ev::Benign(b)));
                }
            }
            Preset::Clean => {
                let q = ((n as f64 * 0.006).ceil() as usize).max(1);
                for b in BENIGN {
                    deck.extend((0..q).map(|_| Ev::Benign(b)));
                }
            }
        }
        // Keep roughly a third of documents carrying a signal; the rest are clean.
        let clean = n.saturating_sub(deck.len() * 3 / 2);
        deck.extend((0..clean).map(|_| Ev::Clean));
        self.rng.shuffle(&mut deck);
        deck
    }

    fn received(&self, pos: usize) -> Date {
        let n = self.opts.count.max(1) as i64;
        TODAY.add(-150 + (pos as i64 * 150) / n)
    }

    fn schedule(&mut self, after: usize, ev: Ev) {
        self.pending.push((self.pos + after, ev));
    }

    fn lang_for(&mut self, v: usize) -> &'static str {
        let langs = self.vendors[v].langs;
        *self.rng.pick(langs)
    }

    fn pick_vendor(&mut self, known: bool, pred: impl Fn(&Vendor) -> bool) -> usize {
        let cands: Vec<usize> = (0..self.vendors.len())
            .filter(|&i| self.vendors[i].known == known && pred(&self.vendors[i]))
            .collect();
        if cands.is_empty() {
            return 0;
        }
        *self.rng.pick(&cands)
    }

    fn next_number(&mut self, v: usize) -> String {
        loop {
            let vd = &mut self.vendors[v];
            vd.counter += 1 + (vd.counter * 7 + 3) % 5;
            let n = format!(
                "{}{:0w$}",
                vd.number_prefix,
                vd.counter,
                w = vd.number_width
            );
            if self.used_numbers[v].insert(labels::norm_number(&n)) {
                return n;
            }
        }
    }

    /// How many documents after the current one a follow-up issued on `issue` can
    /// arrive at the earliest: an invoice does not arrive before it is issued.
    fn lag_until(&self, min: usize, issue: Date) -> usize {
        let mut lag = min;
        while self.received(self.pos + lag) < issue && self.pos + lag < self.opts.count {
            lag += 1;
        }
        lag
    }

    /// Would this gross on this date make the vendor history look like a signal?
    fn risky(&self, v: usize, issue: Date, gross: i64, cur: &str) -> bool {
        if gross % 10_000 == 0 || (THRESHOLD * 95 / 100..THRESHOLD).contains(&gross) {
            return true;
        }
        let h = &self.hist[v];
        if h.iter().any(|x| {
            x.currency == cur && x.gross == gross && (x.issue.days() - issue.days()).abs() <= 61
        }) {
            return true;
        }
        self.split_risk(v, issue, gross)
    }

    /// Would an invoice of `gross` on `issue` complete a split window (with a day's
    /// margin over the rule's 7) together with the vendor's other invoices?
    fn split_risk(&self, v: usize, issue: Date, gross: i64) -> bool {
        if gross >= THRESHOLD {
            return false;
        }
        let window: i64 = self.hist[v]
            .iter()
            .filter(|x| x.gross < THRESHOLD && (x.issue.days() - issue.days()).abs() <= 8)
            .map(|x| x.gross)
            .sum();
        window + gross >= THRESHOLD
    }

    /// A correct invoice for vendor `v`, issued shortly before `received`.
    fn base_invoice(&mut self, v: usize, kind: Kind) -> Invoice {
        let received = self.received(self.pos);
        let mut rng = self.rng.fork(self.pos as u64 * 31 + 7);
        let mut issue = received.add(-rng.range(0, 4));
        while issue.is_weekend() {
            issue = issue.add(-1);
        }
        let vd = &self.vendors[v];
        let many = rng.pct(12);
        let n = if many {
            rng.range(18, 55)
        } else {
            rng.range(1, 7)
        } as usize;
        let multi = rng.pct(35);
        let mut lines = model::draw_lines(vd, &mut rng, n, multi);
        let small = !v.is_multiple_of(3);
        if small {
            // Frequent vendors bill small amounts so windows stay below the threshold.
            for l in lines.iter_mut() {
                l.qty_milli = l
                    .qty_milli
                    .min(if l.unit_minor > 20_000 { 1000 } else { 3000 });
            }
        }
        let discount_ok = !multi && rng.pct(12);
        let prepaid_ok = rng.pct(8);
        let po = if rng.pct(55) {
            Some(format!("PO-{}", rng.range(400_000, 499_999)))
        } else {
            None
        };
        let number = self.next_number(v);
        let vd = &self.vendors[v];
        let mut inv = Invoice {
            kind: kind.clone(),
            number,
            issue,
            due: if kind == Kind::CreditNote {
                None
            } else {
                Some(issue.add(vd.terms_days))
            },
            currency: vd.currency.to_string(),
            lines,
            discount: 0,
            taxes: vec![],
            subtotal: 0,
            net: 0,
            tax: 0,
            gross: 0,
            prepaid: 0,
            amount_due: 0,
            po,
            iban: vd.iban.clone(),
            bic: vd.bic.clone(),
            seller_vat: vd.vat.clone(),
            buyer_vat: if rng.pct(70) {
                Some(self.tenant.vat.clone())
            } else {
                None
            },
            buyer_name: self.tenant.name.clone(),
            customer_no: format!("K{}", 10_000 + v * 37),
            urgency: None,
            preceding: None,
        };
        inv.recompute();
        if discount_ok {
            inv.discount = inv.subtotal * rng.range(2, 10) / 100;
        }
        if prepaid_ok && kind == Kind::Invoice {
            inv.recompute();
            inv.prepaid = inv.gross * rng.range(10, 50) / 100;
        }
        inv.recompute();
        if kind == Kind::CreditNote {
            inv.preceding = Some(format!(
                "{}{}",
                self.vendors[v].number_prefix,
                rng.digits(4)
            ));
        }
        // Nudge the first line price until no accidental signal remains.
        let mut tries = 0;
        while self.risky(v, inv.issue, inv.gross, &inv.currency) && tries < 40 {
            tries += 1;
            if tries > 20 && inv.gross < THRESHOLD {
                inv.lines[0].qty_milli += 5000;
            } else {
                inv.lines[0].unit_minor += 37 + rng.range(0, 300);
            }
            inv.recompute();
            if inv.prepaid != 0 {
                inv.prepaid = inv.gross * 3 / 10;
                inv.recompute();
            }
        }
        self.clear_split_window(v, &mut inv, &mut rng);
        inv
    }

    /// When nudging cannot keep an invoice below the threshold out of a split
    /// window (the window alone is nearly T), lift it over T: an invoice ≥ T is
    /// approved on its own and is never part of a split.
    fn clear_split_window(&self, v: usize, inv: &mut Invoice, rng: &mut Rng) {
        let mut tries = 0;
        while self.split_risk(v, inv.issue, inv.gross) && tries < 8 {
            tries += 1;
            let qty = (inv.lines[0].qty_milli / 1000).max(1);
            // 10/9 covers a discount of up to 10 %.
            let need = (THRESHOLD - inv.gross + rng.range(2_000, 90_000)) * 10 / 9;
            inv.lines[0].unit_minor += need / qty + 1;
            inv.recompute();
            if inv.prepaid != 0 {
                inv.prepaid = inv.gross * 3 / 10;
                inv.recompute();
            }
        }
    }

    fn record(&mut self, v: usize, inv: &Invoice) {
        self.hist[v].push(Hist {
            issue: inv.issue,
            gross: inv.gross,
            currency: inv.currency.clone(),
        });
    }

    fn inv_doc(&mut self, v: usize, inv: Invoice, fmt: Fmt) -> InvDoc {
        let lang = self.lang_for(v);
        let layout = self.pick_layout();
        let seed = self.rng.next_u64();
        let mail = if self.rng.pct(55) {
            Some(Mail::Genuine)
        } else {
            None
        };
        InvDoc {
            vendor: v,
            inv,
            lang,
            fmt,
            layout,
            seed,
            mutation: Mutation::None,
            mail,
            new_bank_words: false,
            planted: vec![],
            benign: vec![],
        }
    }

    fn pick_layout(&mut self) -> Layout {
        if self.holdout && self.rng.pct(50) {
            *self.rng.pick(&HOLDOUT_LAYOUTS)
        } else {
            *self.rng.pick(&DEV_LAYOUTS)
        }
    }

    fn clean_fmt(&mut self) -> Fmt {
        match self.rng.below(100) {
            0..=11 => Fmt::FacturX,
            12..=19 => Fmt::Ubl,
            20..=23 => Fmt::Cii,
            _ => Fmt::Pdf,
        }
    }

    fn emit(&mut self, ev: Ev) -> anyhow::Result<()> {
        match ev {
            Ev::Follow(f) => match *f {
                Follow::Doc(d) => self.write_inv(d),
                Follow::SameFile {
                    bytes,
                    mut truth,
                    ext,
                } => {
                    let name = format!(
                        "{:05}-{}-{}.{ext}",
                        self.pos + 1,
                        truth.language,
                        truth.kind
                    );
                    std::fs::write(self.opts.out_dir.join(&name), &bytes)?;
                    truth.file = name;
                    truth.has_origin = false;
                    truth.planted = vec!["duplicate.same-file".into(), "duplicate.exact".into()];
                    truth.benign = vec![];
                    self.truths.push(truth);
                    self.pos += 1;
                    Ok(())
                }
            },
            Ev::Clean => {
                let r = self.rng.below(100);
                match r {
                    0..=15 => self.write_other(None),
                    16..=19 => self.write_scan(),
                    20..=24 => {
                        let v = self.pick_vendor(true, |_| true);
                        let inv = self.base_invoice(v, Kind::CreditNote);
                        let f = if self.rng.pct(70) { Fmt::Pdf } else { Fmt::Ubl };
                        let d = self.inv_doc(v, inv, f);
                        self.write_inv(d)
                    }
                    _ => {
                        let known = self.rng.pct(93);
                        let v = self.pick_vendor(known, |_| true);
                        let inv = self.base_invoice(v, Kind::Invoice);
                        let f = self.clean_fmt();
                        let d = self.inv_doc(v, inv, f);
                        self.write_inv(d)
                    }
                }
            }
            Ev::Benign(b) => self.benign(b),
            Ev::Plant(r) => self.plant(r),
        }
    }

    fn benign(&mut self, b: &'static str) -> anyhow::Result<()> {
        match b {
            "sig-update" | "linearized" => {
                let v = self.pick_vendor(true, |_| true);
                let inv = self.base_invoice(v, Kind::Invoice);
                let mut d = self.inv_doc(v, inv, Fmt::Pdf);
                d.mutation = if b == "sig-update" {
                    Mutation::SigUpdate
                } else {
                    Mutation::Linearized
                };
                d.benign.push("pdf.incremental-edit");
                self.write_inv(d)
            }
            "weekend-software" => {
                let v = self.pick_vendor(true, |x| x.software);
                let mut inv = self.base_invoice(v, Kind::Invoice);
                let sat = inv.issue.add(5 - inv.issue.weekday() as i64);
                let day = if sat > self.received(self.pos) {
                    sat.add(-7)
                } else {
                    sat
                };
                set_issue(&mut inv, day.add(self.rng.range(0, 1)), &self.vendors[v]);
                let mut rng = self.rng.fork(0x3EE7 + self.pos as u64);
                self.clear_split_window(v, &mut inv, &mut rng);
                let mut d = self.inv_doc(v, inv, Fmt::Pdf);
                d.benign.push("date.weekend");
                self.write_inv(d)
            }
            _ => {
                // A vendor billing the same round fee again and again (retainer, rent).
                // The rule only calls a round invoice odd until the vendor has
                // `ROUND_HABIT` earlier round ones: the series builds that history
                // with fee-plus-expenses invoices (two lines, never a signal) and
                // then repeats the bare fee, which is benign. In preset full the
                // first invoice is the bare fee too, a genuine (weak) signal.
                let v = self.pick_vendor(true, |x| x.currency == "EUR");
                let mut inv = self.base_invoice(v, Kind::Invoice);
                let first = inv.issue;
                // Monthly when the stream is long enough for the whole series,
                // else as often as fits, but always further apart than a split
                // window so the repeats never add up to one.
                let last = RETAINER_SERIES as i64 - 1;
                let cadence = ((TODAY.days() - first.days()) / last).clamp(9, 30);
                // The fixed amount skips base_invoice's care: keep it (and the
                // repeats) out of the vendor's split windows.
                let mut amount = 0;
                for _ in 0..12 {
                    let a = self.rng.range(3, 40) * 10_000;
                    if (0..=last).all(|k| !self.split_risk(v, retainer_issue(first, k, cadence), a))
                    {
                        amount = a;
                        break;
                    }
                }
                if amount == 0 {
                    return self.emit(Ev::Clean);
                }
                let habit = self.round_before(v);
                model::fit_gross(&mut inv, amount, "Retainer – flat fee");
                if inv.gross % 10_000 != 0 {
                    return self.emit(Ev::Clean);
                }
                // Two-line history invoices needed before the bare fee is habitual;
                // preset clean never shows a bare fee that the rule would flag.
                let bare_first = self.opts.preset != Preset::Clean;
                let step = (self.opts.count * cadence as usize / 150).max(2);
                let mut prev = String::new();
                for k in 0..=last {
                    let mut next = inv.clone();
                    if k > 0 {
                        next.issue = retainer_issue(first, k, cadence);
                        next.due = Some(next.issue.add(self.vendors[v].terms_days));
                        // Numbers far apart so the series is not a near duplicate.
                        loop {
                            let n = self.next_number(v);
                            self.vendors[v].counter += 111;
                            if dl_distance(&n, &prev) > 2 && fold(&n) != fold(&prev) {
                                next.number = n;
                                break;
                            }
                        }
                    }
                    prev = next.number.clone();
                    let history = habit + k as usize;
                    let bare = history >= labels::ROUND_HABIT || (k == 0 && bare_first);
                    if !bare {
                        model::split_fee(&mut next, "Expenses – flat rate");
                    }
                    // Known now, so the invoices generated before it arrives keep
                    // clear of its split window.
                    self.record(v, &next);
                    let mut d = self.inv_doc(v, next.clone(), Fmt::Pdf);
                    if bare && history >= labels::ROUND_HABIT {
                        d.benign.push("amount.round");
                    } else if bare {
                        d.planted.push("amount.round");
                    }
                    if k == 0 {
                        self.write_inv(d)?;
                    } else {
                        let later = self.lag_until(step * k as usize, next.issue);
                        self.schedule(later, Ev::Follow(Box::new(Follow::Doc(d))));
                    }
                }
                Ok(())
            }
        }
    }

    /// Documents of vendor `v` already in the stream with a round gross: what the
    /// round rule's history holds for a document emitted now.
    fn round_before(&self, v: usize) -> usize {
        let id = &self.vendors[v].id;
        self.truths
            .iter()
            .filter(|t| t.vendor_id.as_ref() == Some(id))
            .filter(|t| t.kind == "invoice" || t.kind == "credit-note")
            .filter_map(|t| t.fields.gross_total.as_deref().and_then(labels::cents))
            .filter(|&g| labels::is_round(g))
            .count()
    }

    fn plant(&mut self, r: &'static str) -> anyhow::Result<()> {
        let known_iban = |x: &Vendor| x.iban.is_some();
        match r {
            "demo-facturx" | "demo-ubl" | "demo-credit" => {
                let v = self.pick_vendor(true, known_iban);
                let kind = if r == "demo-credit" {
                    Kind::CreditNote
                } else {
                    Kind::Invoice
                };
                let inv = self.base_invoice(v, kind);
                let f = if r == "demo-ubl" {
                    Fmt::Ubl
                } else if r == "demo-credit" {
                    Fmt::Pdf
                } else {
                    Fmt::FacturX
                };
                let d = self.inv_doc(v, inv, f);
                return self.write_inv(d);
            }
            "demo-scan" => return self.write_scan(),
            "demo-nonin" => return self.write_other(Some("reminder")),
            _ => {}
        }
        let v = match r {
            "vendor.new-urgent" => self.pick_vendor(false, known_iban),
            "amount.below-threshold" | "amount.split" => {
                self.pick_vendor(true, |x| x.currency == "EUR")
            }
            "amount.round" => {
                // A vendor that habitually bills round sums is not odd: plant only
                // where the vendor's history still makes a round invoice a signal.
                let habitual: BTreeSet<String> = (0..self.vendors.len())
                    .filter(|&i| self.round_before(i) >= labels::ROUND_HABIT)
                    .map(|i| self.vendors[i].id.clone())
                    .collect();
                self.pick_vendor(true, |x| x.currency == "EUR" && !habitual.contains(&x.id))
            }
            "date.weekend" => self.pick_vendor(true, |x| !x.software),
            _ => self.pick_vendor(true, known_iban),
        };
        let mut inv = self.base_invoice(v, Kind::Invoice);
        let mut planted: Vec<&'static str> = vec![r];
        let mut fmt = Fmt::Pdf;
        let mut mutation = Mutation::None;
        let mut mail: Option<Mail> = None;
        let mut new_bank_words = false;
        let vd = self.vendors[v].clone();
        let mut rng = self.rng.fork(0xF00D + self.pos as u64);
        match r {
            "duplicate.exact" | "duplicate.same-file" | "duplicate.near" => {
                let f = if r == "duplicate.near" {
                    Fmt::Pdf
                } else {
                    self.clean_fmt()
                };
                self.record(v, &inv);
                let d = self.inv_doc(v, inv.clone(), f);
                let later = if self.opts.preset == Preset::Demo {
                    1
                } else {
                    rng.range(1, 25) as usize
                };
                if r == "duplicate.same-file" {
                    let (bytes, truth, ext) = self.build_inv(&d)?;
                    self.commit(&bytes, truth.clone(), &d, ext)?;
                    self.schedule(
                        later,
                        Ev::Follow(Box::new(Follow::SameFile { bytes, truth, ext })),
                    );
                    return Ok(());
                }
                let mut copy = d.clone();
                copy.seed = rng.next_u64();
                copy.layout = self.pick_layout();
                copy.planted = vec![r];
                if r == "duplicate.exact" {
                    copy.fmt = match d.fmt {
                        Fmt::Ubl => Fmt::Cii,
                        Fmt::Cii => Fmt::Ubl,
                        f => f,
                    };
                } else {
                    // The altered number must not be one this vendor really issues.
                    let mut number = near_number(&inv.number, &mut rng);
                    for _ in 0..8 {
                        if !self.used_numbers[v].contains(&labels::norm_number(&number)) {
                            break;
                        }
                        number = near_number(&number, &mut rng);
                    }
                    self.used_numbers[v].insert(labels::norm_number(&number));
                    copy.inv.number = number;
                    copy.inv.issue = inv.issue.add(rng.range(0, 10));
                    while copy.inv.issue.is_weekend() {
                        copy.inv.issue = copy.inv.issue.add(1);
                    }
                    copy.inv.due = Some(copy.inv.issue.add(vd.terms_days));
                }
                self.write_inv(d)?;
                let later = self.lag_until(later, copy.inv.issue);
                self.schedule(later, Ev::Follow(Box::new(Follow::Doc(copy))));
                return Ok(());
            }
            "bank.iban-changed" => {
                let cc = if rng.pct(25) {
                    *rng.pick(&["LT", "GB", "NL", "PL"])
                } else {
                    vd.country
                };
                let cc = if ids::iban_length(cc).is_some() {
                    cc
                } else {
                    "DE"
                };
                let bank = rng.letters(4);
                inv.iban = Some(ids::gen_iban(cc, &bank, &mut rng));
                inv.bic = Some(format!("{bank}{cc}{}{}", rng.letters(1), rng.digits(1)));
                new_bank_words = rng.pct(50);
                mail = Some(Mail::Genuine);
            }
            "bank.iban-shared" => {
                let other = self.pick_vendor(true, |x| x.iban.is_some() && x.name != vd.name);
                inv.iban = self.vendors[other].iban.clone();
                inv.bic = self.vendors[other].bic.clone();
                planted.push("bank.iban-changed");
            }
            "sender.lookalike-domain" => mail = Some(Mail::Lookalike),
            "sender.display-name-spoof" => mail = Some(Mail::DisplaySpoof),
            "sender.reply-to-mismatch" => mail = Some(Mail::ReplyTo),
            "sender.auth-failed" => mail = Some(Mail::AuthFail),
            "pdf.incremental-edit" => {
                let producer = rng.pct(70);
                if producer {
                    planted.push("pdf.producer-changed");
                }
                if rng.pct(50) {
                    let bank = rng.letters(4);
                    let cc = if ids::iban_length(vd.country).is_some() {
                        vd.country
                    } else {
                        "GB"
                    };
                    mutation = Mutation::TamperIban(ids::gen_iban(cc, &bank, &mut rng), producer);
                    planted.push("bank.iban-changed");
                } else {
                    mutation = Mutation::TamperAmount(
                        rng.range(5, 900) * 100 + rng.range(1, 99),
                        producer,
                    );
                    planted.push("math.totals");
                }
            }
            "pdf.producer-changed" => mutation = Mutation::ProducerOnly,
            "pdf.metadata-mismatch" => mutation = Mutation::MetaMismatch(rng.below(3) as u8),
            "pdf.font-anomaly" => mutation = Mutation::FontAnomaly,
            "math.line-sum" => {
                let delta = rng.range(1, 50) * if rng.pct(50) { 100 } else { 1 };
                let t = &mut inv.taxes[0];
                t.basis += delta;
                t.amount = crate::util::div_round(t.basis * t.rate_bp as i64, 10_000);
                inv.net = inv.taxes.iter().map(|t| t.basis).sum();
                inv.tax = inv.taxes.iter().map(|t| t.amount).sum();
                inv.gross = inv.net + inv.tax;
                inv.amount_due = inv.gross - inv.prepaid;
                if inv.discount != 0 {
                    inv.subtotal += delta;
                }
            }
            "math.tax" => {
                let mut delta = rng.range(2, 90);
                if inv.taxes[0].rate_bp == 0 {
                    // A 0 % rate with tax charged.
                    delta = inv.net / 10 + 1;
                }
                inv.taxes[0].amount += delta;
                inv.tax += delta;
                inv.gross += delta;
                inv.amount_due += delta;
            }
            "math.totals" => {
                let delta = rng.range(1, 40) * if rng.pct(50) { 100 } else { 3 };
                inv.gross += delta;
                inv.amount_due += delta;
            }
            "math.amount-due" => {
                if inv.prepaid == 0 {
                    inv.prepaid = inv.gross * rng.range(10, 40) / 100;
                    inv.amount_due = inv.gross - inv.prepaid;
                }
                inv.amount_due += rng.range(1, 500) * 10 + 1;
            }
            "id.iban-invalid" => {
                if let Some(i) = &inv.iban {
                    inv.iban = Some(ids::corrupt_iban(i, &mut rng));
                    planted.push("bank.iban-changed");
                }
            }
            "id.vat-invalid" => inv.seller_vat = ids::corrupt_vat(&inv.seller_vat, &mut rng),
            "id.buyer-not-tenant" => {
                inv.buyer_vat = Some(ids::gen_vat("DE", &mut rng));
                if rng.pct(50) {
                    inv.buyer_name = "Demo Tenant Holding AG".into();
                }
            }
            "amount.below-threshold" => {
                let g = THRESHOLD - rng.range(1, 240) * 100 - rng.range(1, 99);
                model::fit_gross(&mut inv, g, "Consulting services – project phase");
            }
            "amount.split" => return self.plant_split(v),
            "amount.round" => {
                let g = if rng.pct(40) {
                    rng.range(1, 4) * 100_000
                } else {
                    rng.range(2, 49) * 10_000
                };
                model::fit_gross(&mut inv, g, "Services as agreed");
                if inv.gross % 10_000 != 0 {
                    planted.clear();
                }
            }
            "date.future" => {
                let base = self.received(self.pos).max(TODAY);
                let d = base.add(rng.range(5, 60));
                set_issue(&mut inv, weekday(d), &vd);
            }
            "date.due-before-issue" => inv.due = Some(inv.issue.add(-rng.range(1, 25))),
            "date.very-old" => {
                let d = self.received(self.pos).add(-rng.range(200, 500));
                set_issue(&mut inv, weekday(d), &vd);
            }
            "date.weekend" => {
                let sat = inv.issue.add(5 - inv.issue.weekday() as i64);
                let day = if sat > self.received(self.pos) {
                    sat.add(-7)
                } else {
                    sat
                };
                set_issue(&mut inv, day.add(rng.range(0, 1)), &vd);
            }
            "vendor.new-urgent" => {
                inv.po = None;
                mail = Some(Mail::Urgent);
            }
            "einvoice.visible-mismatch" => {
                fmt = Fmt::FacturX;
                mutation = Mutation::VisibleMismatch(rng.below(4) as u8);
            }
            _ => {}
        }
        if r == "vendor.new-urgent" {
            inv.urgency = Some(String::new());
        }
        self.record(v, &inv);
        let mut d = self.inv_doc(v, inv, fmt);
        if r == "vendor.new-urgent" {
            d.inv.urgency = Some(locale::urgency_line(d.lang, &mut rng).to_string());
        }
        if r == "einvoice.visible-mismatch"
            && matches!(mutation, Mutation::VisibleMismatch(3))
            && d.inv.iban.is_none()
        {
            mutation = Mutation::VisibleMismatch(0);
        }
        d.mutation = mutation;
        if mail.is_some() {
            d.mail = mail;
        }
        d.new_bank_words = new_bank_words;
        d.planted = planted;
        self.write_inv(d)
    }

    fn plant_split(&mut self, v: usize) -> anyhow::Result<()> {
        let mut rng = self.rng.fork(0x5117 + self.pos as u64);
        let parts = if rng.pct(50) { 2 } else { 3 };
        let base = self.base_invoice(v, Kind::Invoice);
        let mut prev_issue = base.issue;
        for k in 0..parts {
            let g = if parts == 2 {
                rng.range(2_650, 4_600) * 100 + rng.range(1, 99)
            } else {
                rng.range(1_720, 2_450) * 100 + rng.range(1, 99)
            };
            let mut inv = base.clone();
            if k > 0 {
                inv.number = self.next_number(v);
                inv.issue = weekday(prev_issue.add(rng.range(1, 3)));
                inv.due = Some(inv.issue.add(self.vendors[v].terms_days));
            }
            prev_issue = inv.issue;
            model::fit_gross(
                &mut inv,
                g,
                *rng.pick(&[
                    "Consulting – phase",
                    "Hardware batch",
                    "Installation services",
                ]),
            );
            self.record(v, &inv);
            let issue = inv.issue;
            let d = self.inv_doc(v, inv, Fmt::Pdf);
            // The label is set afterwards from the whole stream (labels::label_splits):
            // a streaming detector fires on every part that brings the window to T.
            if k == 0 {
                self.write_inv(d)?;
            } else {
                let later = self.lag_until(k, issue);
                self.schedule(later, Ev::Follow(Box::new(Follow::Doc(d))));
            }
        }
        Ok(())
    }

    fn view<'a>(&'a self, d: &'a InvDoc, inv: &'a Invoice) -> View<'a> {
        let mut rng = Rng::new(d.seed);
        let vd = &self.vendors[d.vendor];
        let labels = render::choose_labels(d.lang, self.holdout, &mut rng);
        let nf = locale::num_fmt(d.lang, vd.country, &mut rng);
        let (dev, hold) = locale::date_styles(d.lang, vd.country);
        let ds = if self.holdout && rng.pct(40) {
            *rng.pick(hold)
        } else {
            *rng.pick(dev)
        };
        let ms = locale::money_style(d.lang, &inv.currency, &mut rng);
        let family = *rng.pick(&[
            Family::Helvetica,
            Family::Helvetica,
            Family::Times,
            Family::Courier,
        ]);
        let size = if vd.country == "US" {
            (612.0, 792.0)
        } else {
            (595.0, 842.0)
        };
        View {
            lang: d.lang,
            vendor: vd,
            tenant: &self.tenant,
            inv,
            labels,
            nf,
            ds,
            ms,
            family,
            layout: d.layout,
            size,
            amount_font: d.mutation == Mutation::FontAnomaly,
            seed: rng.next_u64(),
        }
    }

    /// Produces the file bytes and truth for an invoice document (not yet written).
    fn build_inv(&self, d: &InvDoc) -> anyhow::Result<(Vec<u8>, Truth, &'static str)> {
        let vd = &self.vendors[d.vendor];
        let mut rng = Rng::new(d.seed ^ 0xABCD);
        let kind = if d.inv.kind == Kind::CreditNote {
            "credit-note"
        } else {
            "invoice"
        };
        let mut truth_inv = d.inv.clone();
        let (bytes, ext, layout) = match d.fmt {
            Fmt::Ubl => (
                crate::xml::ubl(&d.inv, vd, &self.tenant).into_bytes(),
                "xml",
                "ubl".to_string(),
            ),
            Fmt::Cii => (
                crate::xml::cii(&d.inv, vd, &self.tenant, "urn:cen.eu:en16931:2017").into_bytes(),
                "xml",
                "cii".to_string(),
            ),
            Fmt::Pdf | Fmt::FacturX => {
                let (b, final_inv) = self.build_pdf(d, &mut rng)?;
                truth_inv = final_inv;
                (b, "pdf", d.layout.name().to_string())
            }
        };
        let format = match d.fmt {
            Fmt::Pdf => "pdf",
            Fmt::FacturX => "facturx",
            Fmt::Ubl => "ubl",
            Fmt::Cii => "cii",
        };
        let t = Truth {
            file: String::new(),
            kind: kind.into(),
            language: d.lang.into(),
            layout,
            format: format.into(),
            split: self.split_name().into(),
            fields: fields_of(&truth_inv, vd),
            tax_breakdown: truth_inv
                .taxes
                .iter()
                .map(|t| TaxTruth {
                    rate: rate_str(t.rate_bp),
                    basis: dec2(t.basis),
                    amount: dec2(t.amount),
                })
                .collect(),
            planted: d.planted.iter().map(|s| s.to_string()).collect(),
            benign: d.benign.iter().map(|s| s.to_string()).collect(),
            vendor_id: Some(vd.id.clone()),
            has_origin: false,
            discount: Some(dec2(truth_inv.discount)),
            prepaid: Some(dec2(truth_inv.prepaid)),
        };
        Ok((bytes, t, ext))
    }

    fn split_name(&self) -> &'static str {
        if self.holdout { "holdout" } else { "dev" }
    }

    fn build_pdf(&self, d: &InvDoc, rng: &mut Rng) -> anyhow::Result<(Vec<u8>, Invoice)> {
        let vd = &self.vendors[d.vendor];
        // The visible invoice may differ from the data one (tamper, visible mismatch).
        let mut visible = d.inv.clone();
        let mut after = d.inv.clone();
        match &d.mutation {
            Mutation::VisibleMismatch(k) => match k {
                0 => visible.number = near_number(&visible.number, rng),
                1 => visible.issue = visible.issue.add(-rng.range(1, 20)),
                2 => {
                    let delta = rng.range(1, 5000);
                    visible.gross += delta;
                    visible.amount_due += delta;
                }
                _ => {
                    if let Some(i) = &visible.iban {
                        let cc = i[..2].to_string();
                        visible.iban = Some(ids::gen_iban(&cc, &rng.letters(4), rng));
                    }
                }
            },
            Mutation::TamperIban(i, _) => after.iban = Some(i.clone()),
            Mutation::TamperAmount(delta, _) => {
                after.gross += delta;
                after.amount_due += delta;
            }
            _ => {}
        }
        let view = self.view(d, &visible);
        let contents = render::render(&view);
        let (base_font, bold_font) = view.family.names();
        let mut fonts = vec![base_font.to_string(), bold_font.to_string()];
        if d.mutation == Mutation::FontAnomaly {
            let t1 = rng.letters(6);
            let t2 = rng.letters(6);
            fonts = vec![
                format!("{t1}+{base_font}"),
                bold_font.to_string(),
                format!("{t2}+{base_font}"),
            ];
        }
        let narrow = contents.iter().any(|c| c.windows(4).any(|w| w == b"\\201"));
        let created = PdfTime {
            date: d.inv.issue,
            secs: rng.range(7 * 3600, 19 * 3600) as u32,
            tz: *rng.pick(&[60, 60, 0, 120, -300]),
        };
        let created = self.created_before_arrival(d, created, rng);
        let mut info = Info {
            title: format!(
                "{} {}",
                view.l(if d.inv.kind == Kind::CreditNote {
                    L::CreditNote
                } else {
                    L::Invoice
                }),
                d.inv.number
            ),
            author: vd.name.clone(),
            producer: vd.producer.to_string(),
            creator: vd.creator.to_string(),
            created,
            modified: created,
        };
        let facturx = d.fmt == Fmt::FacturX;
        let tamper = matches!(
            d.mutation,
            Mutation::TamperIban(..) | Mutation::TamperAmount(..)
        );
        let mut xmp = if facturx
            || (!tamper && rng.pct(40))
            || matches!(d.mutation, Mutation::MetaMismatch(0 | 1))
        {
            Some(Xmp {
                producer: info.producer.clone(),
                creator_tool: info.creator.clone(),
                created,
                modified: created,
                facturx: None,
            })
        } else {
            None
        };
        match d.mutation {
            Mutation::MetaMismatch(0) => {
                if let Some(x) = xmp.as_mut() {
                    x.modified = created.add_secs(rng.range(2, 30) * 86_400);
                    // Keep Info's ModDate within a day so only the Info/XMP disagreement shows.
                }
            }
            Mutation::MetaMismatch(1) => {
                if let Some(x) = xmp.as_mut() {
                    // Another program, not just another version of the same one.
                    let others: Vec<&str> =
                        ["PDFlib+PDI 9.3.1", "iText 7.1.15", "Ghostscript 10.02.1"]
                            .into_iter()
                            .filter(|p| program(p) != program(&info.producer))
                            .collect();
                    x.producer = rng.pick(&others).to_string();
                }
            }
            Mutation::MetaMismatch(_) => {
                info.modified = created.add_secs(rng.range(2, 40) * 86_400);
                if let Some(x) = xmp.as_mut() {
                    x.modified = info.modified;
                }
            }
            Mutation::ProducerOnly => {
                info.producer = rng.pick(&EDITORS).to_string();
                if let Some(x) = xmp.as_mut() {
                    x.producer = info.producer.clone();
                }
            }
            _ => {}
        }
        let name = if rng.pct(70) {
            "factur-x.xml"
        } else {
            "zugferd-invoice.xml"
        };
        let attachment = if facturx {
            let level = "EN 16931";
            if let Some(x) = xmp.as_mut() {
                x.facturx = Some((name.to_string(), level.to_string()));
            }
            Some(Attachment {
                name: name.to_string(),
                data: crate::xml::cii(&d.inv, vd, &self.tenant, "urn:cen.eu:en16931:2017")
                    .into_bytes(),
                relationship: if rng.pct(80) { "Alternative" } else { "Data" },
                modified: created,
            })
        } else {
            None
        };
        let mut id_seed = [0u8; 16];
        id_seed.copy_from_slice(&Sha256::digest(d.seed.to_le_bytes())[..16]);
        let pages: Vec<PageSpec> = contents
            .iter()
            .map(|c| PageSpec {
                width: view.size.0,
                height: view.size.1,
                content: c.clone(),
                image: None,
            })
            .collect();
        let doc = PdfDoc {
            pages,
            fonts,
            narrow_nbsp: narrow,
            info,
            xmp,
            attachment,
            linearized: d.mutation == Mutation::Linearized,
            id_seed,
        };
        let mut built = pdf::build(&doc);
        match &d.mutation {
            Mutation::TamperIban(_, producer) | Mutation::TamperAmount(_, producer) => {
                let view2 = self.view(d, &after);
                let contents2 = render::render(&view2);
                let mut objs = Vec::new();
                for (k, (a, b)) in contents.iter().zip(contents2.iter()).enumerate() {
                    if a != b {
                        objs.push((built.content_ids[k], pdf::content_obj(b)));
                    }
                }
                let mut info2 = doc.info;
                info2.modified = created.add_secs(rng.range(600, 20 * 3600));
                if *producer {
                    info2.producer = rng.pick(&EDITORS).to_string();
                }
                let info_id = built.size;
                objs.push((info_id, pdf::info_obj(&info2)));
                pdf::append_update(&mut built, objs, Some(info_id));
                return Ok((built.bytes, after));
            }
            Mutation::SigUpdate => {
                let when = created.add_secs(rng.range(60, 3000));
                pdf::append_signature(&mut built, &when, &vd.name);
            }
            _ => {}
        }
        // Truth follows the legal record: the XML for Factur-X, else what is visible.
        Ok((built.bytes, if facturx { d.inv.clone() } else { visible }))
    }

    fn commit(&mut self, bytes: &[u8], mut t: Truth, d: &InvDoc, ext: &str) -> anyhow::Result<()> {
        let name = format!("{:05}-{}-{}.{ext}", self.pos + 1, t.language, t.kind);
        std::fs::write(self.opts.out_dir.join(&name), bytes)?;
        if let Some(m) = &d.mail {
            let o = self.origin(d, m);
            std::fs::write(
                self.opts.out_dir.join(format!("{name}.origin.json")),
                serde_json::to_string_pretty(&o)?,
            )?;
            t.has_origin = true;
        }
        self.file_hashes
            .insert(name.clone(), hex::encode(Sha256::digest(bytes)));
        t.file = name;
        self.truths.push(t);
        self.pos += 1;
        Ok(())
    }

    fn write_inv(&mut self, d: InvDoc) -> anyhow::Result<()> {
        let (bytes, t, ext) = self.build_inv(&d)?;
        if !self.hist[d.vendor]
            .iter()
            .any(|h| h.issue == d.inv.issue && h.gross == d.inv.gross)
        {
            self.record(d.vendor, &d.inv);
        }
        self.commit(&bytes, t, &d, ext)
    }

    /// When the document at the current position arrives (UTC): its day in the
    /// stream, at office hours.
    fn arrival(&self, d: &InvDoc) -> PdfTime {
        let mut rng = Rng::new(d.seed ^ 0xA441);
        PdfTime {
            date: self.received(self.pos),
            secs: rng.range(6 * 3600, 20 * 3600 + 3599) as u32,
            tz: 0,
        }
    }

    /// A PDF cannot have been written after the email carrying it arrived (that is
    /// a pdf.metadata-mismatch signal), nor can its later edits or signature: move
    /// the creation back before the arrival when the issue date would put it
    /// later — a future issue date printed on an invoice says nothing about when
    /// the file was made. Only a planted metadata mismatch adds later dates.
    fn created_before_arrival(&self, d: &InvDoc, created: PdfTime, rng: &mut Rng) -> PdfTime {
        let tail = match d.mutation {
            Mutation::TamperIban(..) | Mutation::TamperAmount(..) => 20 * 3600,
            Mutation::SigUpdate => 3000,
            _ => 0,
        };
        let arrival = utc_secs(&self.arrival(d));
        if utc_secs(&created) + tail <= arrival {
            return created;
        }
        let local = arrival - tail - rng.range(600, 8 * 3600) + created.tz as i64 * 60;
        PdfTime {
            date: Date::from_days(local.div_euclid(86_400)),
            secs: local.rem_euclid(86_400) as u32,
            tz: created.tz,
        }
    }

    fn origin(&self, d: &InvDoc, m: &Mail) -> Origin {
        let vd = &self.vendors[d.vendor];
        let mut rng = Rng::new(d.seed ^ 0x0E11);
        let recv = self.arrival(d);
        let received_at = format!(
            "{}T{:02}:{:02}:{:02}Z",
            recv.date.iso(),
            recv.secs / 3600,
            recv.secs / 60 % 60,
            recv.secs % 60
        );
        let mut domain = vd.domain.clone();
        let mut sender_name = Some(vd.name.clone());
        let mut reply_to = None;
        let (mut spf, mut dkim, mut dmarc) = ("pass", "pass", "pass");
        let slug = vd.domain.trim_end_matches(".example").to_string();
        match m {
            Mail::Lookalike => {
                domain = lookalike(&slug, &mut rng);
                sender_name = Some(
                    rng.pick(&[
                        "Accounts Receivable",
                        "Billing",
                        "Buchhaltung",
                        "Comptabilité",
                    ])
                    .to_string(),
                );
            }
            Mail::DisplaySpoof => {
                domain = rng
                    .pick(&[
                        "mailbox-relay.example",
                        "securepay-mail.example",
                        "freemail.example",
                        "invoice-hub.example",
                    ])
                    .to_string();
            }
            Mail::ReplyTo => {
                reply_to = Some(format!(
                    "{}@{}",
                    rng.pick(&["payments", "accounts", "finance"]),
                    rng.pick(&[
                        "quickpay-desk.example",
                        "treasury-office.example",
                        "freemail.example"
                    ])
                ));
            }
            Mail::AuthFail => match rng.below(3) {
                0 => spf = "fail",
                1 => dkim = "fail",
                _ => {
                    spf = "softfail";
                    dmarc = "fail";
                }
            },
            _ => {}
        }
        let local = rng
            .pick(&["billing", "invoices", "rechnung", "accounting", "noreply"])
            .to_string();
        let sender = format!("{local}@{domain}");
        let auth = format!(
            "mx.papyr.example; spf={spf} smtp.mailfrom={sender}; dkim={dkim} header.d={domain}; dmarc={dmarc} header.from={domain}"
        );
        let title = if d.inv.kind == Kind::CreditNote {
            locale::label(d.lang, L::CreditNote).0[0]
        } else {
            locale::label(d.lang, L::Invoice).0[0]
        };
        let mut subject = format!("{title} {} – {}", d.inv.number, vd.name);
        let mut body = match d.lang {
            "de" => format!(
                "Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie unsere {title} {}.\n",
                d.inv.number
            ),
            "fr" => format!(
                "Madame, Monsieur,\n\nveuillez trouver ci-joint notre {title} {}.\n",
                d.inv.number
            ),
            "nl" => format!(
                "Geachte heer, mevrouw,\n\nin de bijlage vindt u onze {title} {}.\n",
                d.inv.number
            ),
            "es" => format!(
                "Estimados señores:\n\nadjuntamos nuestra {title} {}.\n",
                d.inv.number
            ),
            "it" => format!(
                "Spettabile cliente,\n\nin allegato la nostra {title} {}.\n",
                d.inv.number
            ),
            _ => format!(
                "Dear customer,\n\nplease find attached our {title} {}.\n",
                d.inv.number
            ),
        };
        if d.new_bank_words {
            body.push_str(match d.lang {
                "de" => "Bitte beachten Sie unsere neue Bankverbindung.\n",
                "fr" => "Veuillez noter nos nouvelles coordonnées bancaires.\n",
                _ => "Please note our new bank details.\n",
            });
        }
        if *m == Mail::Urgent {
            let u = d.inv.urgency.clone().unwrap_or_default();
            subject = format!("{u} – {subject}");
            body.push_str(&format!("\n{u}\n"));
        }
        body.push_str(&format!("\n{}\n{}\n", vd.name, vd.city));
        Origin {
            sender_address: Some(sender.clone()),
            sender_name,
            reply_to,
            return_path: Some(sender),
            authentication_results: Some(auth),
            subject: Some(subject),
            body_text: Some(body),
            received_at: Some(received_at),
            message_id: Some(format!("<{:016x}@{}>", rng.next_u64(), domain)),
            channel: "imap".into(),
        }
    }

    fn write_scan(&mut self) -> anyhow::Result<()> {
        let mut rng = self.rng.fork(0x5CA4 + self.pos as u64);
        let (w, h) = (420u32, 594u32);
        let img = render::scan_image(&mut rng, w, h);
        let content = b"q 595 0 0 842 0 0 cm /Im1 Do Q\n".to_vec();
        let created = PdfTime {
            date: self.received(self.pos),
            secs: rng.range(8 * 3600, 18 * 3600) as u32,
            tz: 60,
        };
        let scanner = rng
            .pick(&[
                "Canon iR-ADV C5535",
                "RICOH IM C3000",
                "HP Scan",
                "Epson Scan 2",
            ])
            .to_string();
        let doc = PdfDoc {
            pages: vec![PageSpec {
                width: 595.0,
                height: 842.0,
                content,
                image: Some(Image {
                    width: w,
                    height: h,
                    gray: img,
                }),
            }],
            fonts: vec![],
            narrow_nbsp: false,
            info: Info {
                title: "Scan".into(),
                author: String::new(),
                producer: scanner.clone(),
                creator: scanner,
                created,
                modified: created,
            },
            xmp: None,
            attachment: None,
            linearized: false,
            id_seed: rng
                .next_u64()
                .to_le_bytes()
                .repeat(2)
                .try_into()
                .unwrap_or([0; 16]),
        };
        let built = pdf::build(&doc);
        let lang = *rng.pick(&locale::LANGS);
        let kind = if rng.pct(80) { "invoice" } else { "receipt" };
        let name = format!("{:05}-{lang}-{kind}.pdf", self.pos + 1);
        std::fs::write(self.opts.out_dir.join(&name), &built.bytes)?;
        self.truths.push(Truth {
            file: name,
            kind: kind.into(),
            language: lang.into(),
            layout: "scan".into(),
            format: "scan".into(),
            split: self.split_name().into(),
            fields: Fields::default(),
            tax_breakdown: vec![],
            planted: vec![],
            benign: vec![],
            vendor_id: None,
            has_origin: false,
            discount: None,
            prepaid: None,
        });
        self.pos += 1;
        Ok(())
    }

    fn write_other(&mut self, force: Option<&'static str>) -> anyhow::Result<()> {
        let kinds = [
            "reminder",
            "statement",
            "receipt",
            "purchase-order",
            "quote",
            "newsletter",
            "other",
        ];
        let kind = force.unwrap_or_else(|| *self.rng.pick(&kinds));
        let known = self.rng.pct(90);
        let v = self.pick_vendor(known, |_| true);
        let lang = self.lang_for(v);
        let mut rng = self.rng.fork(0x07E4 + self.pos as u64);
        let vd = self.vendors[v].clone();
        let nf = locale::num_fmt(lang, vd.country, &mut rng);
        let ms = locale::money_style(lang, vd.currency, &mut rng);
        let (dev, _) = locale::date_styles(lang, vd.country);
        let ds = *rng.pick(dev);
        let date = self.received(self.pos);
        let dstr = locale::fmt_date(date, ds, lang);
        let money = |m: i64| locale::fmt_money(m, vd.currency, ms, &nf);
        let amt = rng.range(2_000, 900_000) + 37;
        let num = format!("{}{}", vd.number_prefix, rng.range(100, 9999));
        let t = |en: &str, de: &str, fr: &str, nl: &str, es: &str, it: &str| -> String {
            match lang {
                "de" => de,
                "fr" => fr,
                "nl" => nl,
                "es" => es,
                "it" => it,
                _ => en,
            }
            .to_string()
        };
        let mut table: Vec<(String, String)> = Vec::new();
        let (title, lines): (String, Vec<String>) = match kind {
            "reminder" => (
                t(
                    "Payment reminder",
                    "Zahlungserinnerung",
                    "Rappel de paiement",
                    "Betalingsherinnering",
                    "Recordatorio de pago",
                    "Sollecito di pagamento",
                ),
                vec![
                    dstr.clone(),
                    t(
                        "Our invoice {n} is still open.",
                        "Unsere Rechnung {n} ist noch offen.",
                        "Notre facture {n} reste impayée.",
                        "Onze factuur {n} staat nog open.",
                        "Nuestra factura {n} sigue pendiente.",
                        "La nostra fattura {n} risulta ancora aperta.",
                    )
                    .replace("{n}", &num),
                    format!(
                        "{}: {}",
                        t(
                            "Open amount",
                            "Offener Betrag",
                            "Montant dû",
                            "Openstaand bedrag",
                            "Importe pendiente",
                            "Importo scoperto"
                        ),
                        money(amt)
                    ),
                    t(
                        "If you have already paid, please disregard this letter.",
                        "Falls Sie bereits bezahlt haben, betrachten Sie dieses Schreiben als gegenstandslos.",
                        "Si vous avez déjà réglé, veuillez ignorer ce courrier.",
                        "Heeft u al betaald, dan kunt u deze brief negeren.",
                        "Si ya ha pagado, ignore esta carta.",
                        "Se avete già pagato, ignorate questa lettera.",
                    ),
                ],
            ),
            "statement" => {
                for _ in 0..rng.range(3, 9) {
                    let d = date.add(-rng.range(5, 90));
                    table.push((
                        format!(
                            "{}  {}{}",
                            locale::fmt_date(d, ds, lang),
                            vd.number_prefix,
                            rng.range(100, 9999)
                        ),
                        money(rng.range(1_000, 400_000) + 11),
                    ));
                }
                (
                    t(
                        "Statement of account",
                        "Kontoübersicht",
                        "Relevé de compte",
                        "Rekeningoverzicht",
                        "Extracto de cuenta",
                        "Estratto conto",
                    ),
                    vec![
                        dstr.clone(),
                        t(
                            "Open items as of this date:",
                            "Offene Posten zum Stichtag:",
                            "Écritures ouvertes à cette date :",
                            "Openstaande posten per deze datum:",
                            "Partidas abiertas a esta fecha:",
                            "Partite aperte a questa data:",
                        ),
                    ],
                )
            }
            "receipt" => (
                t(
                    "Receipt",
                    "Quittung",
                    "Reçu",
                    "Kwitantie",
                    "Recibo",
                    "Ricevuta",
                ),
                vec![
                    dstr.clone(),
                    format!(
                        "{}: {}",
                        t(
                            "Amount received",
                            "Betrag erhalten",
                            "Montant reçu",
                            "Ontvangen bedrag",
                            "Importe recibido",
                            "Importo ricevuto"
                        ),
                        money(amt)
                    ),
                    t(
                        "Paid by card. Thank you!",
                        "Bar bezahlt. Vielen Dank!",
                        "Payé par carte. Merci !",
                        "Betaald per pin. Bedankt!",
                        "Pagado con tarjeta. ¡Gracias!",
                        "Pagato con carta. Grazie!",
                    ),
                ],
            ),
            "purchase-order" | "quote" => {
                let nl = rng.range(1, 5) as usize;
                let lines = model::draw_lines(&vd, &mut rng, nl, false);
                let mut total = 0;
                for l in &lines {
                    let net = l.qty_milli * l.unit_minor / 1000;
                    total += net;
                    table.push((format!("{} × {}", qty_str(l.qty_milli), l.desc), money(net)));
                }
                table.push((
                    t(
                        "Total (net)",
                        "Summe netto",
                        "Total HT",
                        "Totaal excl. btw",
                        "Total sin IVA",
                        "Totale imponibile",
                    ),
                    money(total),
                ));
                if kind == "quote" {
                    (
                        t(
                            "Quotation",
                            "Angebot",
                            "Devis",
                            "Offerte",
                            "Presupuesto",
                            "Preventivo",
                        ),
                        vec![
                            dstr.clone(),
                            format!(
                                "{} Q-{}",
                                t(
                                    "Quote no.",
                                    "Angebot Nr.",
                                    "Devis n°",
                                    "Offertenummer",
                                    "Presupuesto nº",
                                    "Preventivo n."
                                ),
                                rng.range(1000, 9999)
                            ),
                            t(
                                "Valid for 30 days.",
                                "Gültig 30 Tage.",
                                "Valable 30 jours.",
                                "Geldig gedurende 30 dagen.",
                                "Válido 30 días.",
                                "Valido 30 giorni.",
                            ),
                        ],
                    )
                } else {
                    (
                        t(
                            "Purchase order",
                            "Bestellung",
                            "Bon de commande",
                            "Inkooporder",
                            "Orden de compra",
                            "Ordine di acquisto",
                        ),
                        vec![
                            dstr.clone(),
                            format!("PO-{}", rng.range(400_000, 499_999)),
                            t(
                                "Please deliver the following items:",
                                "Bitte liefern Sie folgende Artikel:",
                                "Merci de livrer les articles suivants :",
                                "Gelieve de volgende artikelen te leveren:",
                                "Por favor, suministren los siguientes artículos:",
                                "Vi preghiamo di consegnare i seguenti articoli:",
                            ),
                        ],
                    )
                }
            }
            "newsletter" => (
                t(
                    "Newsletter",
                    "Newsletter – Neuigkeiten",
                    "Lettre d'information",
                    "Nieuwsbrief",
                    "Boletín informativo",
                    "Newsletter – Novità",
                ),
                vec![
                    t(
                        "Discover our new products this season.",
                        "Entdecken Sie unsere neuen Produkte dieser Saison.",
                        "Découvrez nos nouveautés de la saison.",
                        "Ontdek onze nieuwe producten van dit seizoen.",
                        "Descubra nuestras novedades de la temporada.",
                        "Scoprite le novità della stagione.",
                    ),
                    t(
                        "Visit our booth at the trade fair.",
                        "Besuchen Sie uns auf der Messe.",
                        "Rendez-nous visite au salon.",
                        "Bezoek onze stand op de beurs.",
                        "Visite nuestro stand en la feria.",
                        "Visitate il nostro stand in fiera.",
                    ),
                    format!("www.{}", vd.domain),
                ],
            ),
            _ => {
                for _ in 0..rng.range(2, 6) {
                    let (d, _) = *rng.pick(&vd.catalogue);
                    table.push((d.to_string(), format!("{}", rng.range(1, 20))));
                }
                (
                    t(
                        "Delivery note",
                        "Lieferschein",
                        "Bon de livraison",
                        "Pakbon",
                        "Albarán",
                        "Documento di trasporto",
                    ),
                    vec![
                        dstr.clone(),
                        format!(
                            "{} {}",
                            t(
                                "Delivery no.",
                                "Lieferschein-Nr.",
                                "BL n°",
                                "Pakbonnummer",
                                "Albarán nº",
                                "DDT n."
                            ),
                            rng.range(10_000, 99_999)
                        ),
                    ],
                )
            }
        };
        let doc = OtherDoc {
            title,
            lines,
            table,
        };
        let vaddr = [vd.name.as_str(), vd.street.as_str(), vd.city.as_str()];
        let taddr = [
            self.tenant.name.as_str(),
            self.tenant.street.as_str(),
            self.tenant.city.as_str(),
        ];
        let (from, to) = if kind == "purchase-order" {
            (taddr, vaddr)
        } else {
            (vaddr, taddr)
        };
        let family = *rng.pick(&[Family::Helvetica, Family::Times]);
        let content = render::render_other(&doc, from, to, family, (595.0, 842.0), &mut rng);
        let (b, bb) = family.names();
        let created = PdfTime {
            date,
            secs: rng.range(8 * 3600, 18 * 3600) as u32,
            tz: 60,
        };
        let narrow = content.windows(4).any(|w| w == b"\\201");
        let pdfdoc = PdfDoc {
            pages: vec![PageSpec {
                width: 595.0,
                height: 842.0,
                content,
                image: None,
            }],
            fonts: vec![b.into(), bb.into()],
            narrow_nbsp: narrow,
            info: Info {
                title: doc.title.clone(),
                author: vd.name.clone(),
                producer: vd.producer.into(),
                creator: vd.creator.into(),
                created,
                modified: created,
            },
            xmp: None,
            attachment: None,
            linearized: false,
            id_seed: rng
                .next_u64()
                .to_le_bytes()
                .repeat(2)
                .try_into()
                .unwrap_or([0; 16]),
        };
        let built = pdf::build(&pdfdoc);
        let name = format!("{:05}-{lang}-{kind}.pdf", self.pos + 1);
        std::fs::write(self.opts.out_dir.join(&name), &built.bytes)?;
        let _ = NNBSP;
        self.truths.push(Truth {
            file: name,
            kind: kind.into(),
            language: lang.into(),
            layout: "letter-other".into(),
            format: "pdf".into(),
            split: self.split_name().into(),
            fields: Fields::default(),
            tax_breakdown: vec![],
            planted: vec![],
            benign: vec![],
            vendor_id: Some(vd.id.clone()),
            has_origin: false,
            discount: None,
            prepaid: None,
        });
        self.pos += 1;
        Ok(())
    }

    fn write_tenant(&self) -> anyhow::Result<()> {
        let vendors: Vec<serde_json::Value> = self
            .vendors
            .iter()
            .filter(|v| v.known)
            .map(|v| {
                let ts = format!("{}T00:00:00Z", v.created_at.iso());
                serde_json::json!({
                    "id": v.id,
                    "name": v.name,
                    "tax_ids": [v.vat],
                    "ibans": v.iban.iter().collect::<Vec<_>>(),
                    "domains": [v.domain],
                    "country": v.country,
                    "created_at": ts,
                    "updated_at": ts,
                })
            })
            .collect();
        let t = serde_json::json!({
            "name": self.tenant.name,
            "tax_ids": [self.tenant.vat],
            "today": self.tenant.today.iso(),
            "approval": {
                "auto_approve_below": dec2(self.tenant.auto_approve_minor),
                "approval_threshold": dec2(self.tenant.threshold_minor),
            },
            "vendors": vendors,
            "plugin_config": {"fraud": {
                "approval_threshold": dec2(self.tenant.threshold_minor),
                "tenant_tax_ids": self.tenant.vat,
            }},
        });
        std::fs::write(
            self.opts.out_dir.join("tenant.json"),
            serde_json::to_string_pretty(&t)? + "\n",
        )?;
        Ok(())
    }
}

/// Invoices in one retainer series: enough for history plus benign repeats.
const RETAINER_SERIES: usize = 4;

/// The issue date of the `k`-th repeat, `cadence` days apart, of a retainer first
/// issued on `first`.
fn retainer_issue(first: Date, k: i64, cadence: i64) -> Date {
    let mut d = first.add(cadence * k);
    while d.is_weekend() {
        d = d.add(1);
    }
    d
}

/// A producer's program name without version or build numbers.
fn program(producer: &str) -> String {
    producer
        .to_lowercase()
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.len() > 1)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Seconds since the epoch of a PDF time, in UTC.
fn utc_secs(t: &PdfTime) -> i64 {
    t.date.days() * 86_400 + t.secs as i64 - t.tz as i64 * 60
}

fn weekday(mut d: Date) -> Date {
    while d.is_weekend() {
        d = d.add(-1);
    }
    d
}

fn set_issue(inv: &mut Invoice, d: Date, v: &Vendor) {
    inv.issue = d;
    if inv.due.is_some() {
        inv.due = Some(d.add(v.terms_days));
    }
}

/// OCR-confusable fold, as near-duplicate detectors apply it.
pub fn fold(s: &str) -> String {
    s.to_uppercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            'S' => '5',
            'B' => '8',
            c => c,
        })
        .collect()
}

/// A near-duplicate invoice number: one edit, an OCR confusion, or a dropped prefix.
fn near_number(n: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = n.chars().collect();
    let digits: Vec<usize> = (0..chars.len())
        .filter(|&i| chars[i].is_ascii_digit())
        .collect();
    match rng.below(4) {
        0 => {
            // OCR confusion on a digit that has a letter twin.
            let mut c = chars.clone();
            for &i in digits.iter().rev() {
                let r = match c[i] {
                    '0' => Some('O'),
                    '1' => Some('I'),
                    '5' => Some('S'),
                    '8' => Some('B'),
                    _ => None,
                };
                if let Some(r) = r {
                    c[i] = r;
                    return c.into_iter().collect();
                }
            }
            let mut c = chars;
            if let Some(&i) = digits.last() {
                c[i] = if c[i] == '9' {
                    '8'
                } else {
                    char::from(c[i] as u8 + 1)
                };
            }
            c.into_iter().collect()
        }
        1 if digits.len() > 1 => {
            // Transposition of two adjacent digits.
            let mut c = chars.clone();
            let i = digits[digits.len() - 2];
            if c[i] != c[i + 1] && c[i + 1].is_ascii_digit() {
                c.swap(i, i + 1);
            } else {
                let j = *digits.last().unwrap_or(&0);
                c[j] = if c[j] == '9' {
                    '0'
                } else {
                    char::from(c[j] as u8 + 1)
                };
            }
            c.into_iter().collect()
        }
        2 => {
            // Prefix dropped, or a suffix added.
            let first_digit = digits.first().copied().unwrap_or(0);
            if first_digit > 0 {
                chars[first_digit..].iter().collect()
            } else {
                format!("{n}/1")
            }
        }
        _ => {
            let mut c = chars;
            if let Some(&i) = digits.last() {
                c[i] = if c[i] == '9' {
                    '0'
                } else {
                    char::from(c[i] as u8 + 1)
                };
            }
            c.into_iter().collect()
        }
    }
}

fn lookalike(slug: &str, rng: &mut Rng) -> String {
    for _ in 0..10 {
        let cand = match rng.below(6) {
            0 if slug.contains('m') => slug.replacen('m', "rn", 1),
            1 if slug.contains('l') => slug.replacen('l', "1", 1),
            1 if slug.contains('o') => slug.replacen('o', "0", 1),
            2 => {
                let c: Vec<char> = slug.chars().collect();
                let i = 1 + rng.below(c.len() as u64 - 1) as usize;
                let mut s: String = c[..i].iter().collect();
                s.push(c[i - 1]);
                s.extend(&c[i..]);
                s
            }
            3 => format!("{slug}-{}", rng.pick(&["billing", "invoices", "pay"])),
            4 => return format!("{slug}.example.{}", rng.pick(&["co", "net", "com"])),
            5 => {
                let c: Vec<char> = slug.chars().collect();
                let keep: String = c[..c.len() - 1].iter().collect();
                return format!("xn--{keep}-{}.example", rng.letters(3).to_lowercase());
            }
            _ => continue,
        };
        if cand != slug {
            return format!("{cand}.example");
        }
    }
    format!("{slug}-billing.example")
}

fn fields_of(inv: &Invoice, v: &Vendor) -> Fields {
    Fields {
        vendor_name: Some(v.name.clone()),
        vendor_tax_id: Some(inv.seller_vat.clone()),
        customer_name: Some(inv.buyer_name.clone()),
        invoice_number: Some(inv.number.clone()),
        issue_date: Some(inv.issue.iso()),
        due_date: inv.due.map(|d| d.iso()),
        currency: Some(inv.currency.clone()),
        net_total: Some(dec2(inv.net)),
        tax_total: Some(dec2(inv.tax)),
        gross_total: Some(dec2(inv.gross)),
        amount_due: Some(dec2(inv.amount_due)),
        iban: inv.iban.clone(),
        bic: inv.bic.clone(),
        po_number: inv.po.clone(),
        line_items: Some(
            inv.lines
                .iter()
                .map(|l: &Line| LineTruth {
                    description: Some(l.desc.clone()),
                    quantity: Some(qty_str(l.qty_milli)),
                    unit_price: Some(dec2(l.unit_minor)),
                    net_amount: Some(dec2(l.net_minor)),
                    tax_rate: Some(rate_str(l.rate_bp)),
                })
                .collect(),
        ),
    }
}
