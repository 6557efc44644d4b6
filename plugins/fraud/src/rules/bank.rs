//! bank.iban-changed, bank.iban-shared.
use papyr_sdk::checks::normalize_iban;
use papyr_sdk::types::{Finding, Severity};

use crate::util::{Ctx, days, ev, finding, parse_date_prefix};

/// "New bank details" in the languages the tenants' vendors write in.
pub const NEW_BANK_PHRASES: &[&str] = &[
    "new bank details",
    "new bank account",
    "changed our bank",
    "neue bankverbindung",
    "geänderte bankverbindung",
    "nouvelles coordonnées bancaires",
    "nouvelles coordonnees bancaires",
    "nieuwe bankgegevens",
    "nuevos datos bancarios",
    "nuove coordinate bancarie",
];

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let inv = &ctx.input.invoice;
    let Some(raw) = inv.iban.as_deref() else {
        return;
    };
    let iban = normalize_iban(raw);
    // Garbage (non-ASCII, too short) is id.iban-invalid's business, not a bank change.
    if iban.len() < 5 || !iban.is_ascii() {
        return;
    }
    let vendor = ctx.vendor();
    let iban_ev = || ctx.field_ev("IBAN on invoice", "iban", raw);

    // Who else this account belongs to: verified accounts first, then earlier invoices.
    let mut shared: Vec<(String, String)> = Vec::new();
    let want_shared = ctx.cfg.enabled("bank.iban-shared");
    let want_changed = ctx.cfg.enabled("bank.iban-changed");
    if want_shared || want_changed {
        for v in ctx.hist.vendors_by_iban(&iban) {
            let same = match vendor {
                Some(me) => me.id == v.id,
                None => same_party(ctx, &v.name, &v.tax_ids),
            };
            if !same {
                shared.push((
                    format!("verified account of vendor {} ({})", v.name, v.id),
                    v.name.clone(),
                ));
            }
        }
    }
    // An account verified for this vendor is this vendor's: another vendor's earlier
    // invoice carrying it is the suspicious one (and was flagged then), not this one.
    let verified_mine = vendor.is_some_and(|v| v.ibans.iter().any(|k| normalize_iban(k) == iban));
    if want_shared && shared.is_empty() && !verified_mine {
        for p in ctx.hist.invoices_by_iban(&iban, 50) {
            let same = match (vendor, &p.vendor_id) {
                (Some(me), Some(pid)) => &me.id == pid,
                _ => same_party(
                    ctx,
                    p.vendor_name.as_deref().unwrap_or(""),
                    &p.vendor_tax_id.iter().cloned().collect::<Vec<_>>(),
                ),
            };
            if !same {
                let who = p
                    .vendor_name
                    .clone()
                    .or(p.vendor_id.clone())
                    .unwrap_or_else(|| "another vendor".into());
                shared.push((format!("on earlier invoice {} of {who}", p.id), who));
                break;
            }
        }
    }
    if want_shared && let Some((first, who)) = shared.first() {
        let mut e = vec![iban_ev()];
        e.extend(
            shared
                .iter()
                .take(5)
                .map(|(s, _)| ev("also used by", s.clone())),
        );
        out.push(finding(
            "bank.iban-shared",
            Severity::High,
            75,
            format!(
                "The IBAN {raw} on this invoice belongs to {who}, not to this vendor ({first})."
            ),
            e,
        ));
    }

    if !want_changed {
        return;
    }
    let Some(v) = vendor else { return };
    if v.ibans.is_empty() || v.ibans.iter().any(|k| normalize_iban(k) == iban) {
        return;
    }
    let mut reasons = Vec::new();
    let mut e = vec![
        iban_ev(),
        ev("verified accounts on file", v.ibans.join(", ")),
        ev("vendor", format!("{} ({})", v.name, v.id)),
    ];
    let iban_country = &iban[..2];
    if let Some(c) = v.country.as_deref()
        && !c.eq_ignore_ascii_case(iban_country)
    {
        reasons.push(format!(
            "the account is in {iban_country} but the vendor is in {c}"
        ));
        e.push(ev(
            "IBAN country / vendor country",
            format!("{iban_country} / {c}"),
        ));
    }
    let text = ctx.all_text_lower();
    if let Some(p) = NEW_BANK_PHRASES.iter().find(|p| text.contains(**p)) {
        reasons.push(format!("the message announces new bank details (\"{p}\")"));
        let (page, line) = ctx.find_line(p).unwrap_or((0, 0));
        e.push(papyr_sdk::types::Evidence {
            label: "wording".into(),
            value: (*p).into(),
            page,
            line,
        });
    }
    if let Some(upd) = parse_date_prefix(&v.updated_at) {
        let age = days(&ctx.input.today) - days(&upd);
        if (0..=ctx.cfg.new_vendor_days).contains(&age) {
            reasons.push(format!("the vendor record changed {age} day(s) ago"));
            e.push(ev("vendor record updated", v.updated_at.clone()));
        }
    }
    if !shared.is_empty() {
        reasons.push("the account belongs to another vendor".into());
    }
    let (sev, score) = match reasons.len() {
        0 => (Severity::High, 65),
        1 => (Severity::Critical, 85),
        _ => (Severity::Critical, 95),
    };
    let why = if reasons.is_empty() {
        String::new()
    } else {
        format!("; also {}", reasons.join(", "))
    };
    out.push(finding(
        "bank.iban-changed",
        sev,
        score,
        format!(
            "The IBAN {raw} is not one of {}'s verified accounts{why}. Call the vendor back on a number already on file before paying.",
            v.name
        ),
        e,
    ));
}

/// Is a vendor (name, tax ids) the invoice's seller? Used when the seller is not
/// in the vendor master.
fn same_party(ctx: &Ctx, name: &str, tax_ids: &[String]) -> bool {
    let inv = &ctx.input.invoice.vendor;
    if let Some(t) = inv.tax_id.as_deref() {
        let t = papyr_sdk::normalize_id(t);
        if tax_ids.iter().any(|x| papyr_sdk::normalize_id(x) == t) {
            return true;
        }
    }
    match inv.name.as_deref() {
        Some(n) => {
            let a = crate::util::name_tokens(n);
            !a.is_empty() && a == crate::util::name_tokens(name)
        }
        None => false,
    }
}
