//! vendor.new-urgent.
use papyr_sdk::checks::normalize_iban;
use papyr_sdk::history::VendorQuery;
use papyr_sdk::types::{Evidence, Finding, Severity};

use crate::util::{Ctx, contains_word, days, ev, finding, non_empty, parse_date_prefix};

pub const URGENCY: &[&str] = &[
    "urgent",
    "urgently",
    "immediately",
    "today",
    "overdue",
    "final notice",
    "asap",
    "dringend",
    "sofort",
    "umgehend",
    "letzte mahnung",
    "urgente",
    "immédiatement",
    "immediatement",
    "dernier rappel",
    "onmiddellijk",
    "inmediato",
    "inmediatamente",
    "urgentemente",
    "subito",
];

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    if !ctx.cfg.enabled("vendor.new-urgent") {
        return;
    }
    let inv = &ctx.input.invoice;
    if inv
        .po_number
        .as_deref()
        .is_some_and(|p| !p.trim().is_empty())
    {
        return;
    }
    let text = ctx.all_text_lower();
    let words: Vec<&str> = URGENCY
        .iter()
        .copied()
        .filter(|w| contains_word(text, w))
        .collect();
    if words.is_empty() {
        return;
    }
    let vendor = ctx.vendor().cloned().or_else(|| {
        // Fall back to the IBAN and sender domain: a vendor known by either is known.
        let q = VendorQuery {
            tax_id: None,
            iban: inv
                .iban
                .as_deref()
                .map(normalize_iban)
                .filter(|s| !s.is_empty()),
            name: None,
            domain: ctx
                .input
                .document
                .origin
                .sender_address
                .as_deref()
                .and_then(super::sender::address_domain),
        };
        if q.iban.is_none() && q.domain.is_none() {
            return None;
        }
        ctx.hist.find_vendor(&q)
    });
    let why = match &vendor {
        None => "is not in the vendor master".to_string(),
        Some(v) => match parse_date_prefix(&v.created_at) {
            Some(c)
                if (0..=ctx.cfg.new_vendor_days).contains(&(days(&ctx.input.today) - days(&c))) =>
            {
                format!(
                    "was added to the vendor master only {} day(s) ago",
                    days(&ctx.input.today) - days(&c)
                )
            }
            _ => return,
        },
    };
    let name = non_empty(inv.vendor.name.as_deref()).unwrap_or_else(|| "The vendor".into());
    let mut e = vec![ev("vendor", name.clone())];
    for w in words.iter().take(5) {
        let (page, line) = ctx.find_line(w).unwrap_or((0, 0));
        e.push(Evidence {
            label: "urgency wording".into(),
            value: (*w).into(),
            page,
            line,
        });
    }
    e.push(ev("purchase order", "none"));
    out.push(finding(
        "vendor.new-urgent",
        Severity::High,
        if vendor.is_none() { 60 } else { 50 },
        format!(
            "{name} {why}, the message presses for payment (\"{}\") and there is no purchase-order reference.",
            words.join("\", \"")
        ),
        e,
    ));
}
