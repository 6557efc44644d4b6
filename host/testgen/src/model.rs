//! Vendors, the tenant, and invoice content with integer-exact arithmetic.
// `*rng.pick(&[...])` needs the explicit deref to yield `&'static str`; the lint misreads it.
#![allow(clippy::explicit_auto_deref)]

use crate::ids;
use crate::util::{Date, Rng, div_round};

#[derive(Clone, Debug)]
pub struct Vendor {
    pub id: String,
    pub name: String,
    pub country: &'static str,
    pub langs: &'static [&'static str],
    pub currency: &'static str,
    pub vat: String,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub domain: String,
    pub street: String,
    pub city: String,
    pub known: bool,
    pub software: bool,
    pub creator: &'static str,
    pub producer: &'static str,
    pub number_prefix: String,
    pub number_width: usize,
    pub counter: u64,
    pub catalogue: Vec<(&'static str, i64)>,
    pub terms_days: i64,
    pub created_at: Date,
}

pub struct Tenant {
    pub name: String,
    pub vat: String,
    pub street: String,
    pub city: String,
    pub today: Date,
    pub threshold_minor: i64,
    pub auto_approve_minor: i64,
}

const SYL: [&str; 24] = [
    "ar", "bel", "cor", "dan", "el", "fin", "gal", "hor", "is", "jun", "kal", "lum", "mar", "nor",
    "ost", "pel", "quin", "ros", "sil", "tor", "ul", "ven", "wes", "zar",
];

const GOODS: [(&str, i64); 16] = [
    ("Office paper A4, 500 sheets", 549),
    ("Toner cartridge black", 8990),
    ("Ergonomic office chair", 28900),
    ("USB-C docking station", 15900),
    ("Network switch 24 port", 34950),
    ("Safety gloves (pair)", 425),
    ("Pallet of copy paper", 18900),
    ("Monitor 27\" QHD", 27900),
    ("Coffee beans 1 kg", 1890),
    ("Cleaning supplies kit", 4575),
    ("Steel shelving unit", 12950),
    ("LED panel 60×60", 6790),
    ("Packaging tape (36 rolls)", 5940),
    ("Cable set Cat6 5 m", 1290),
    ("Desk lamp – brushed steel", 3990),
    ("Printer maintenance kit", 11200),
];

const SERVICES: [(&str, i64); 14] = [
    ("Consulting (hours)", 12500),
    ("Software development (hours)", 9800),
    ("Maintenance contract – monthly fee", 45000),
    ("On-site support (hours)", 8500),
    ("Translation services (per page)", 3200),
    ("Legal advice (hours)", 22000),
    ("Cleaning services – office", 38000),
    ("Freight DE → FR, pallet", 14500),
    ("Training workshop (per day)", 120000),
    ("Graphic design – brochure", 85000),
    ("Facility management – quarter", 210000),
    ("Courier service", 2750),
    ("Audit preparation", 160000),
    ("Café & catering – meeting", 36050),
];

const SOFTWARE: [(&str, i64); 6] = [
    ("Cloud hosting – monthly", 24900),
    ("SaaS licence, 25 seats", 37500),
    ("Backup storage 2 TB", 1990),
    ("Domain & DNS renewal", 1499),
    ("Monitoring service Pro plan", 8900),
    ("E-mail security add-on", 4450),
];

const STREETS: [(&str, &[&str]); 10] = [
    (
        "DE",
        &[
            "Hauptstraße",
            "Industriestraße",
            "Am Hafen",
            "Königsallee",
            "Müllerweg",
        ],
    ),
    ("AT", &["Mariahilfer Straße", "Landstraße", "Gürtelweg"]),
    ("CH", &["Bahnhofstrasse", "Seestrasse", "Rue du Rhône"]),
    (
        "FR",
        &[
            "rue de la République",
            "avenue des Champs",
            "boulevard Haussmann",
            "rue Émile Zola",
        ],
    ),
    ("BE", &["Rue Neuve", "Meir", "Avenue Louise"]),
    ("NL", &["Kerkstraat", "Damrak", "Stationsweg"]),
    (
        "ES",
        &[
            "Calle Mayor",
            "Gran Vía",
            "Avenida de la Constitución",
            "Calle Núñez",
        ],
    ),
    ("IT", &["Via Roma", "Corso Italia", "Via Garibaldi"]),
    ("GB", &["High Street", "Station Road", "King's Road"]),
    ("US", &["Main Street", "Market Street", "5th Avenue"]),
];

fn city(country: &str, rng: &mut Rng) -> String {
    let (zip, names): (String, &[&str]) = match country {
        "DE" => (
            rng.digits(5),
            &["Berlin", "München", "Köln", "Hamburg", "Düsseldorf"],
        ),
        "AT" => (
            format!("{}", rng.range(1010, 9999)),
            &["Wien", "Graz", "Linz"],
        ),
        "CH" => (
            format!("{}", rng.range(1000, 9999)),
            &["Zürich", "Genève", "Basel"],
        ),
        "FR" => (rng.digits(5), &["Paris", "Lyon", "Orléans", "Besançon"]),
        "BE" => (
            format!("{}", rng.range(1000, 9999)),
            &["Bruxelles", "Antwerpen", "Liège"],
        ),
        "NL" => (
            format!("{} {}", rng.range(1000, 9999), rng.letters(2)),
            &["Amsterdam", "Utrecht", "Den Haag"],
        ),
        "ES" => (rng.digits(5), &["Madrid", "Barcelona", "Málaga"]),
        "IT" => (rng.digits(5), &["Milano", "Torino", "Forlì"]),
        "GB" => (
            format!(
                "{}{} {}{}",
                rng.letters(2),
                rng.range(1, 20),
                rng.range(1, 9),
                rng.letters(2)
            ),
            &["London", "Leeds", "Bristol"],
        ),
        "SE" => (
            format!("{} {}", rng.digits(3), rng.digits(2)),
            &["Stockholm", "Göteborg"],
        ),
        "PL" => (
            format!("{}-{}", rng.digits(2), rng.digits(3)),
            &["Warszawa", "Kraków"],
        ),
        _ => (
            format!("NY {}", rng.digits(5)),
            &["New York", "Austin", "Seattle"],
        ),
    };
    let n = rng.pick(names);
    match country {
        "GB" | "US" => format!("{n} {zip}"),
        _ => format!("{zip} {n}"),
    }
}

fn legal_form(country: &str, rng: &mut Rng) -> &'static str {
    match country {
        "DE" => *rng.pick(&["GmbH", "AG", "GmbH & Co. KG", "e.K."]),
        "AT" => *rng.pick(&["GmbH", "KG"]),
        "CH" => *rng.pick(&["AG", "SA", "GmbH"]),
        "FR" => *rng.pick(&["SARL", "SAS", "SA"]),
        "BE" => *rng.pick(&["BV", "SRL", "NV"]),
        "NL" => *rng.pick(&["B.V.", "N.V."]),
        "ES" => *rng.pick(&["S.L.", "S.A."]),
        "IT" => *rng.pick(&["S.r.l.", "S.p.A."]),
        "GB" => *rng.pick(&["Ltd", "Limited", "PLC"]),
        "SE" => "AB",
        "PL" => "Sp. z o.o.",
        _ => *rng.pick(&["Inc.", "LLC", "Corp."]),
    }
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

const CREATORS: [(&str, &str); 10] = [
    ("SAP Invoice Engine", "SAP NetWeaver 7.50"),
    ("DATEV Unternehmen online", "DATEV PDF Library 3.2"),
    ("sevDesk", "wkhtmltopdf 0.12.6"),
    ("Odoo", "ReportLab PDF Library - www.reportlab.com"),
    ("Sage 50", "PDFlib+PDI 9.3.1 (Win64)"),
    ("Exact Online", "iText 7.2.5"),
    ("Xero", "Skia/PDF m120"),
    ("QuickBooks Online", "iText 5.5.13"),
    ("Lexware Office", "PDFsharp 1.51"),
    ("Zoho Invoice", "Apache FOP Version 2.9"),
];

const COUNTRY_PLAN: [(&str, &[&str], &str); 12] = [
    ("DE", &["de"], "EUR"),
    ("FR", &["fr"], "EUR"),
    ("NL", &["nl", "en"], "EUR"),
    ("BE", &["nl", "fr"], "EUR"),
    ("ES", &["es"], "EUR"),
    ("IT", &["it"], "EUR"),
    ("AT", &["de"], "EUR"),
    ("GB", &["en"], "GBP"),
    ("US", &["en"], "USD"),
    ("CH", &["de", "fr", "it"], "CHF"),
    ("SE", &["en"], "SEK"),
    ("PL", &["en"], "PLN"),
];

/// Builds `known` vendors (in the tenant master) plus `unknown` ones (never seen).
pub fn make_vendors(rng: &mut Rng, known: usize, unknown: usize) -> Vec<Vendor> {
    let mut out: Vec<Vendor> = Vec::new();
    let mut used_names = std::collections::BTreeSet::new();
    for k in 0..known + unknown {
        // Weight the common countries; SE/PL exist so SEK/PLN appear.
        let idx = if k < 12 { k } else { rng.below(12) as usize };
        let (country, langs, currency) = COUNTRY_PLAN[idx];
        let (base, slug) = loop {
            let n = rng.range(2, 3);
            let raw: String = (0..n).map(|_| *rng.pick(&SYL)).collect();
            if used_names.insert(raw.clone()) {
                let suffix = *rng.pick(&[
                    "",
                    " Systems",
                    " Logistik",
                    " Consulting",
                    " Trading",
                    " Services",
                    " Bureau",
                    " Technik",
                    " Solutions",
                    " Group",
                ]);
                break (format!("{}{suffix}", cap(&raw)), raw);
            }
        };
        let name = format!("{base} {}", legal_form(country, rng));
        let software = rng.pct(20);
        let (creator, producer) = *rng.pick(&CREATORS);
        let bank = rng.letters(4);
        let (iban, bic) = if ids::iban_length(country).is_some() {
            let iban = ids::gen_iban(country, &bank, rng);
            let bic = format!("{bank}{country}{}{}", rng.letters(1), rng.digits(1))
                + if rng.pct(50) { "XXX" } else { "" };
            (Some(iban), Some(bic))
        } else {
            (None, None)
        };
        let mut catalogue: Vec<(&str, i64)> = Vec::new();
        let pool: &[(&str, i64)] = if software {
            &SOFTWARE
        } else if rng.pct(50) {
            &GOODS
        } else {
            &SERVICES
        };
        for _ in 0..rng.range(4, 8) {
            let (d, p) = *rng.pick(pool);
            // Each vendor prices a little differently.
            let p = p * rng.range(85, 120) / 100;
            catalogue.push((d, p.max(99)));
        }
        let prefix = match rng.below(6) {
            0 => "INV-2026-".to_string(),
            1 => "RE".to_string(),
            2 => format!("{}-", rng.letters(2)),
            3 => String::new(),
            4 => "F2026/".to_string(),
            _ => format!("{}", 2026),
        };
        let streets = STREETS
            .iter()
            .find(|s| s.0 == country)
            .map(|s| s.1)
            .unwrap_or(&["Main Street"]);
        let street = match country {
            "DE" | "AT" | "CH" | "NL" | "BE" | "IT" | "ES" | "PL" | "SE" => {
                format!("{} {}", rng.pick(streets), rng.range(1, 180))
            }
            _ => format!("{} {}", rng.range(1, 180), rng.pick(streets)),
        };
        out.push(Vendor {
            id: format!("v-{:03}", k + 1),
            name,
            country,
            langs,
            currency,
            vat: ids::gen_vat(country, rng),
            iban,
            bic,
            domain: format!("{slug}.example"),
            street,
            city: city(country, rng),
            known: k < known,
            software,
            creator,
            producer,
            number_prefix: prefix,
            number_width: rng.range(4, 6) as usize,
            counter: rng.range(100, 3000) as u64,
            catalogue,
            terms_days: *rng.pick(&[14, 30, 30, 30, 45, 60]),
            created_at: Date::new(2023, 1, 1).add(rng.range(0, 900)),
        });
    }
    out
}

pub fn vat_rates(country: &str) -> &'static [u32] {
    match country {
        "DE" => &[1900, 700],
        "FR" => &[2000, 1000, 550],
        "NL" => &[2100, 900],
        "BE" => &[2100, 1200, 600],
        "ES" => &[2100, 1000, 400],
        "IT" => &[2200, 1000, 400],
        "AT" => &[2000, 1000, 1300],
        "GB" => &[2000, 500],
        "CH" => &[810, 260, 380],
        "SE" => &[2500, 1200, 600],
        "PL" => &[2300, 800, 500],
        _ => &[0],
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub desc: String,
    pub qty_milli: i64,
    pub unit_minor: i64,
    pub net_minor: i64,
    pub rate_bp: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TaxRow {
    pub rate_bp: u32,
    pub basis: i64,
    pub amount: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Invoice,
    CreditNote,
}

/// Everything printed on an invoice or credit note. Totals are stored as printed,
/// so planted arithmetic errors live here.
#[derive(Clone, Debug)]
pub struct Invoice {
    pub kind: Kind,
    pub number: String,
    pub issue: Date,
    pub due: Option<Date>,
    pub currency: String,
    pub lines: Vec<Line>,
    pub discount: i64,
    pub taxes: Vec<TaxRow>,
    pub subtotal: i64,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
    pub prepaid: i64,
    pub amount_due: i64,
    pub po: Option<String>,
    pub iban: Option<String>,
    pub bic: Option<String>,
    pub seller_vat: String,
    pub buyer_vat: Option<String>,
    pub buyer_name: String,
    pub customer_no: String,
    pub urgency: Option<String>,
    pub preceding: Option<String>,
}

impl Invoice {
    /// Recomputes all totals correctly from the lines, discount and prepaid amount.
    pub fn recompute(&mut self) {
        for l in &mut self.lines {
            l.net_minor = div_round(l.qty_milli * l.unit_minor, 1000);
        }
        self.subtotal = self.lines.iter().map(|l| l.net_minor).sum();
        let mut rates: Vec<u32> = self.lines.iter().map(|l| l.rate_bp).collect();
        rates.sort_unstable_by(|a, b| b.cmp(a));
        rates.dedup();
        self.taxes = rates
            .iter()
            .enumerate()
            .map(|(k, &r)| {
                let mut basis: i64 = self
                    .lines
                    .iter()
                    .filter(|l| l.rate_bp == r)
                    .map(|l| l.net_minor)
                    .sum();
                // The document-level discount is only used on single-rate invoices.
                if k == 0 {
                    basis -= self.discount;
                }
                TaxRow {
                    rate_bp: r,
                    basis,
                    amount: div_round(basis * r as i64, 10_000),
                }
            })
            .collect();
        self.net = self.taxes.iter().map(|t| t.basis).sum();
        self.tax = self.taxes.iter().map(|t| t.amount).sum();
        self.gross = self.net + self.tax;
        self.amount_due = self.gross - self.prepaid;
    }

    pub fn line_sum(&self) -> i64 {
        self.lines.iter().map(|l| l.net_minor).sum()
    }
}

/// Draws lines for a vendor so that the gross lands near `target_gross` when given.
pub fn draw_lines(v: &Vendor, rng: &mut Rng, n: usize, multi_rate: bool) -> Vec<Line> {
    let rates = vat_rates(v.country);
    (0..n)
        .map(|_| {
            let (d, p) = *rng.pick(&v.catalogue);
            let hourly = d.contains("hours") || d.contains("per page");
            let qty_milli = if hourly {
                rng.range(1, 24) * 500
            } else if p > 50_000 {
                1000
            } else {
                rng.range(1, 12) * 1000
            };
            let unit = p + rng.range(-3, 3) * 7;
            let rate = if multi_rate && rates.len() > 1 && rng.pct(35) {
                rates[1 + rng.below(rates.len() as u64 - 1) as usize]
            } else {
                rates[0]
            };
            Line {
                desc: d.to_string(),
                qty_milli,
                unit_minor: unit.max(50),
                net_minor: 0,
                rate_bp: rate,
            }
        })
        .collect()
}

/// Sets a single line so that the invoice's gross equals `gross` exactly (or as near
/// as rounding allows), used for threshold and split cases.
pub fn fit_gross(inv: &mut Invoice, gross: i64, desc: &str) {
    let rate = inv.lines.first().map(|l| l.rate_bp).unwrap_or(0);
    let mut net = div_round(gross * 10_000, 10_000 + rate as i64);
    for _ in 0..4 {
        let t = net + div_round(net * rate as i64, 10_000);
        if t == gross {
            break;
        }
        net += gross - t;
    }
    inv.lines = vec![Line {
        desc: desc.to_string(),
        qty_milli: 1000,
        unit_minor: net,
        net_minor: net,
        rate_bp: rate,
    }];
    inv.discount = 0;
    inv.prepaid = 0;
    inv.recompute();
}

/// Splits a one-line invoice's net into the line and a second line `desc` at the
/// same tax rate, so the gross stays exactly what it was.
pub fn split_fee(inv: &mut Invoice, desc: &str) {
    let Some(first) = inv.lines.first().cloned() else {
        return;
    };
    let extra = first.net_minor * 3 / 10;
    let fee = first.net_minor - extra;
    inv.lines = vec![
        Line {
            unit_minor: fee,
            net_minor: fee,
            ..first.clone()
        },
        Line {
            desc: desc.to_string(),
            qty_milli: 1000,
            unit_minor: extra,
            net_minor: extra,
            rate_bp: first.rate_bp,
        },
    ];
    inv.recompute();
}
