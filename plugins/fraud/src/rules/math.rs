//! math.line-sum, math.tax, math.totals, math.amount-due — in minor units, exact
//! integer arithmetic.
use papyr_sdk::types::{Decimal, Finding, Money, Severity, XmlSyntax};

use crate::util::{Ctx, ev, finding, money_str};

/// 0.01 of the currency in minor units (at least one minor unit).
fn tol(currency: &str) -> i64 {
    let exp = papyr_sdk::currency_exponent(currency);
    if exp >= 2 { 10i64.pow(exp - 2) } else { 1 }
}

/// round(basis × rate / 100), half away from zero, in the basis' minor units.
pub fn tax_of(basis_minor: i64, rate: &Decimal) -> Option<i64> {
    let num = (basis_minor as i128).checked_mul(rate.value as i128)?;
    let den = 100i128.checked_mul(10i128.checked_pow(rate.scale as u32)?)?;
    let q = num / den;
    let r = num % den;
    let q = if r.abs() * 2 >= den {
        q + num.signum()
    } else {
        q
    };
    i64::try_from(q).ok()
}

/// Whether `lines_minus_net` (Σ line net − net total) is a document-level allowance
/// or charge the invoice declares (EN 16931 BR-CO-13: net = Σ lines − allowances +
/// charges; the canonical invoice has no field for them). Declared means: in the
/// e-invoice XML (BT-107 / BT-108), or — for an allowance only, since a net total
/// above the lines is what an inflated total looks like — the deducted amount printed
/// on the document as a number of its own.
fn document_level_adjustment(ctx: &Ctx, cur: &str, lines_minus_net: i128, t: i64) -> bool {
    if let Some(ei) = &ctx.input.parsed.e_invoice {
        let get = |path: &[&str]| {
            crate::xml::first_text(&ei.xml, path, false)
                .and_then(|s| super::einvoice::to_money(&s, cur))
                .map(|m| m.minor as i128)
        };
        let (allow, charge) = match ei.syntax {
            XmlSyntax::UblInvoice | XmlSyntax::UblCreditNote => (
                get(&["LegalMonetaryTotal", "AllowanceTotalAmount"]),
                get(&["LegalMonetaryTotal", "ChargeTotalAmount"]),
            ),
            XmlSyntax::Cii | XmlSyntax::CiiZugferd1 => (
                get(&[
                    "SpecifiedTradeSettlementHeaderMonetarySummation",
                    "AllowanceTotalAmount",
                ]),
                get(&[
                    "SpecifiedTradeSettlementHeaderMonetarySummation",
                    "ChargeTotalAmount",
                ]),
            ),
            _ => (None, None),
        };
        if allow.is_some() || charge.is_some() {
            let declared = allow.unwrap_or(0) - charge.unwrap_or(0);
            return (lines_minus_net - declared).abs() <= 2 * t as i128;
        }
    }
    if lines_minus_net <= 0 {
        return false;
    }
    let Ok(minor) = i64::try_from(lines_minus_net) else {
        return false;
    };
    let allowance = Money {
        minor,
        currency: cur.to_string(),
    };
    let v = super::einvoice::visible(ctx);
    super::einvoice::amount_variants(&allowance)
        .iter()
        .any(|a| super::einvoice::contains_number(&v.flat, a))
}

fn amt(m: &Money) -> String {
    money_str(m)
}

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let inv = &ctx.input.invoice;
    let cur = inv
        .gross_total
        .as_ref()
        .or(inv.net_total.as_ref())
        .map(|m| m.currency.clone())
        .or_else(|| inv.currency.clone());
    let Some(cur) = cur else { return };
    let t = tol(&cur);
    let same = |m: &Option<Money>| m.as_ref().filter(|m| m.currency == cur).map(|m| m.minor);

    if ctx.cfg.enabled("math.line-sum")
        && !inv.line_items.is_empty()
        && let Some(net) = same(&inv.net_total)
    {
        let amounts: Option<Vec<i64>> = inv
            .line_items
            .iter()
            .map(|l| {
                l.net_amount
                    .as_ref()
                    .filter(|m| m.currency == cur)
                    .map(|m| m.minor)
            })
            .collect();
        if let Some(a) = amounts {
            let sum: i128 = a.iter().map(|x| *x as i128).sum();
            if (sum - net as i128).abs() > 2 * t as i128
                && !document_level_adjustment(ctx, &cur, sum - net as i128, t)
            {
                let sum_m = Money {
                    minor: sum as i64,
                    currency: cur.clone(),
                };
                out.push(finding(
                    "math.line-sum",
                    Severity::Medium,
                    45,
                    format!(
                        "The {} line items add up to {} but the net total says {}.",
                        a.len(),
                        amt(&sum_m),
                        amt(inv.net_total.as_ref().expect("checked above"))
                    ),
                    vec![
                        ev("sum of line net amounts", amt(&sum_m)),
                        ctx.field_ev(
                            "net total",
                            "net_total",
                            amt(inv.net_total.as_ref().expect("checked above")),
                        ),
                    ],
                ));
            }
        }
    }

    if ctx.cfg.enabled("math.tax") && !inv.tax_breakdown.is_empty() {
        let mut problems = Vec::new();
        let mut e = Vec::new();
        for tl in &inv.tax_breakdown {
            if tl.basis.currency != cur || tl.amount.currency != cur {
                continue;
            }
            if let Some(expected) = tax_of(tl.basis.minor, &tl.rate)
                && (expected - tl.amount.minor).abs() > t
            {
                let rate = papyr_sdk::decimal_to_string(&tl.rate);
                problems.push(format!(
                    "{rate}% of {} is {}, not {}",
                    amt(&tl.basis),
                    amt(&Money {
                        minor: expected,
                        currency: cur.clone()
                    }),
                    amt(&tl.amount)
                ));
                e.push(ev(
                    &format!("VAT at {rate}%"),
                    format!("basis {}, amount {}", amt(&tl.basis), amt(&tl.amount)),
                ));
            }
        }
        if let Some(total) = same(&inv.tax_total) {
            let sum: i128 = inv
                .tax_breakdown
                .iter()
                .filter(|l| l.amount.currency == cur)
                .map(|l| l.amount.minor as i128)
                .sum();
            if (sum - total as i128).abs() > 2 * t as i128 {
                let s = Money {
                    minor: sum as i64,
                    currency: cur.clone(),
                };
                problems.push(format!(
                    "the VAT lines add up to {} but the VAT total is {}",
                    amt(&s),
                    amt(inv.tax_total.as_ref().expect("checked"))
                ));
                e.push(ctx.field_ev(
                    "VAT total",
                    "tax_total",
                    amt(inv.tax_total.as_ref().expect("checked")),
                ));
            }
        }
        if !problems.is_empty() {
            out.push(finding(
                "math.tax",
                Severity::Medium,
                45,
                format!("The VAT does not compute: {}.", problems.join("; ")),
                e,
            ));
        }
    }

    if ctx.cfg.enabled("math.totals")
        && let (Some(net), Some(tax), Some(gross)) = (
            same(&inv.net_total),
            same(&inv.tax_total),
            same(&inv.gross_total),
        )
        && ((net as i128 + tax as i128) - gross as i128).abs() > t as i128
    {
        let s = Money {
            minor: net.saturating_add(tax),
            currency: cur.clone(),
        };
        out.push(finding(
            "math.totals",
            Severity::Medium,
            55,
            format!(
                "Net total plus VAT is {}, but the invoice asks for a gross total of {}.",
                amt(&s),
                amt(inv.gross_total.as_ref().expect("checked"))
            ),
            vec![
                ctx.field_ev(
                    "net total",
                    "net_total",
                    amt(inv.net_total.as_ref().expect("checked")),
                ),
                ctx.field_ev(
                    "VAT total",
                    "tax_total",
                    amt(inv.tax_total.as_ref().expect("checked")),
                ),
                ctx.field_ev(
                    "gross total",
                    "gross_total",
                    amt(inv.gross_total.as_ref().expect("checked")),
                ),
            ],
        ));
    }

    if ctx.cfg.enabled("math.amount-due")
        && let (Some(gross), Some(due)) = (same(&inv.gross_total), same(&inv.amount_due))
    {
        let prepaid = same(&inv.prepaid).unwrap_or(0);
        let expected = gross as i128 - prepaid as i128;
        if (expected - due as i128).abs() > t as i128 {
            let exp_m = Money {
                minor: expected as i64,
                currency: cur.clone(),
            };
            let mut e = vec![
                ctx.field_ev(
                    "gross total",
                    "gross_total",
                    amt(inv.gross_total.as_ref().expect("checked")),
                ),
                ctx.field_ev(
                    "amount due",
                    "amount_due",
                    amt(inv.amount_due.as_ref().expect("checked")),
                ),
            ];
            if let Some(p) = &inv.prepaid {
                e.push(ctx.field_ev("prepaid", "prepaid", amt(p)));
            }
            let higher = due as i128 > expected;
            out.push(finding(
                "math.amount-due",
                Severity::Medium,
                if higher { 55 } else { 35 },
                format!(
                    "The amount due is {} but gross total minus prepaid is {}.",
                    amt(inv.amount_due.as_ref().expect("checked")),
                    amt(&exp_m)
                ),
                e,
            ));
        }
    }
}
