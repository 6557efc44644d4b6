//! amount.below-threshold, amount.split, amount.round.
use papyr_sdk::types::{Finding, Money, Severity, StageError};

use crate::util::{Ctx, days, ev, finding, money_str};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) -> Result<(), StageError> {
    let inv = &ctx.input.invoice;
    let Some(gross) = &inv.gross_total else {
        return Ok(());
    };
    if gross.minor <= 0 {
        return Ok(());
    }
    let want_below = ctx.cfg.enabled("amount.below-threshold");
    let want_split = ctx.cfg.enabled("amount.split");
    let threshold = if want_below || want_split {
        ctx.cfg.threshold_in(&gross.currency)?
    } else {
        None
    };

    if let Some(t) = &threshold {
        if want_below && gross.minor < t.minor {
            let p = &ctx.cfg.threshold_margin_percent;
            let scale = 10i128.pow(p.scale as u32);
            // gross ≥ T × (1 − p/100)  ⇔  gross × 100 × 10^s ≥ T × (100 × 10^s − p)
            let lhs = gross.minor as i128 * 100 * scale;
            let rhs = t.minor as i128 * (100 * scale - p.value as i128);
            if lhs >= rhs {
                out.push(finding(
                    "amount.below-threshold",
                    Severity::Medium,
                    30,
                    format!(
                        "The total {} is just below the approval threshold of {} (within {}%).",
                        money_str(gross),
                        money_str(t),
                        papyr_sdk::decimal_to_string(p)
                    ),
                    vec![
                        ctx.field_ev("gross total", "gross_total", money_str(gross)),
                        ev("approval threshold", money_str(t)),
                    ],
                ));
            }
        }
        if want_split && gross.minor < t.minor {
            split(ctx, gross, t, out);
        }
    }

    if ctx.cfg.enabled("amount.round") && inv.line_items.len() <= 1 {
        let unit = 10i64.pow(papyr_sdk::currency_exponent(&gross.currency));
        if gross.minor % (100 * unit) == 0 {
            let round_before = ctx
                .vendor_invoices()
                .iter()
                .filter(|p| {
                    p.gross_total
                        .as_ref()
                        .is_some_and(|g| g.minor != 0 && g.minor % (100 * unit) == 0)
                })
                .count();
            // Vendors who always bill round sums (retainers, rent) are not odd.
            if round_before < 3 {
                let thousand = gross.minor % (1000 * unit) == 0;
                out.push(finding(
                    "amount.round",
                    Severity::Low,
                    if thousand { 20 } else { 10 },
                    format!(
                        "The total {} is a round {} on an invoice with {} line item(s).",
                        money_str(gross),
                        if thousand { "thousand" } else { "hundred" },
                        inv.line_items.len()
                    ),
                    vec![ctx.field_ev("gross total", "gross_total", money_str(gross))],
                ));
            }
        }
    }
    Ok(())
}

fn split(ctx: &Ctx, gross: &Money, t: &Money, out: &mut Vec<Finding>) {
    let inv = &ctx.input.invoice;
    let Some(issue) = inv.issue_date else { return };
    let own = inv
        .invoice_number
        .as_deref()
        .map(papyr_sdk::normalize_invoice_number);
    let window = ctx.cfg.split_window_days;
    let parts: Vec<_> = ctx
        .vendor_invoices()
        .iter()
        .filter(|p| p.status != "rejected")
        .filter(|p| {
            p.issue_date
                .is_some_and(|d| (days(&issue) - days(&d)).abs() <= window)
        })
        .filter(|p| {
            p.gross_total
                .as_ref()
                .is_some_and(|g| g.currency == gross.currency && g.minor > 0 && g.minor < t.minor)
        })
        // A duplicate of this very invoice is reported by the duplicate rules.
        .filter(|p| {
            own.is_none()
                || p.invoice_number
                    .as_deref()
                    .map(papyr_sdk::normalize_invoice_number)
                    != own
        })
        .collect();
    // A re-sent copy of an earlier invoice is one purchase, not two: count each
    // invoice number (and each amount on one date) once.
    let mut seen_numbers = std::collections::HashSet::new();
    let mut seen_amounts = std::collections::HashSet::new();
    let parts: Vec<_> = parts
        .into_iter()
        .filter(|p| {
            let number = p
                .invoice_number
                .as_deref()
                .map(papyr_sdk::normalize_invoice_number)
                .filter(|n| !n.is_empty());
            let amount = (
                p.gross_total.as_ref().map(|g| g.minor),
                p.issue_date.map(|d| days(&d)),
            );
            let new_number = number.is_none_or(|n| seen_numbers.insert(n));
            let new_amount = seen_amounts.insert(amount);
            new_number && new_amount
        })
        .collect();
    if parts.is_empty() {
        return;
    }
    let sum: i128 = gross.minor as i128
        + parts
            .iter()
            .filter_map(|p| p.gross_total.as_ref())
            .map(|g| g.minor as i128)
            .sum::<i128>();
    if sum < t.minor as i128 {
        return;
    }
    let total = Money {
        minor: sum.min(i64::MAX as i128) as i64,
        currency: gross.currency.clone(),
    };
    let mut e = vec![ctx.field_ev("this invoice", "gross_total", money_str(gross))];
    for p in parts.iter().take(10) {
        e.push(ev(
            "earlier invoice",
            format!(
                "document {}{}, {}, {}",
                p.id,
                p.invoice_number
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
                p.issue_date
                    .as_ref()
                    .map(papyr_sdk::date_to_string)
                    .unwrap_or_default(),
                p.gross_total.as_ref().map(money_str).unwrap_or_default()
            ),
        ));
    }
    e.push(ev("together", money_str(&total)));
    out.push(finding(
        "amount.split",
        Severity::High,
        if parts.len() >= 2 { 65 } else { 55 },
        format!(
            "This vendor sent {} other invoice(s) within {window} days, each below the approval threshold of {}, together {}: the purchase may have been split to avoid approval.",
            parts.len(),
            money_str(t),
            money_str(&total)
        ),
        e,
    ));
}
