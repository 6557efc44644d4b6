//! id.iban-invalid, id.vat-invalid, id.buyer-not-tenant.
use papyr_sdk::types::{Finding, Severity};

use crate::util::{Ctx, finding};
use crate::vat::check_vat;

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let inv = &ctx.input.invoice;
    if ctx.cfg.enabled("id.iban-invalid")
        && let Some(iban) = inv.iban.as_deref().filter(|s| !s.trim().is_empty())
        && let Err(problem) = papyr_sdk::checks::check_iban(iban)
    {
        out.push(finding(
            "id.iban-invalid",
            Severity::High,
            60,
            format!("The IBAN {iban} is not valid: {problem}. A payment to it would fail or go somewhere unintended."),
            vec![ctx.field_ev("IBAN on invoice", "iban", iban)],
        ));
    }

    if ctx.cfg.enabled("id.vat-invalid") {
        let mut problems = Vec::new();
        let mut e = Vec::new();
        for (who, field, id) in [
            ("seller", "vendor_tax_id", inv.vendor.tax_id.as_deref()),
            ("buyer", "customer_tax_id", inv.customer.tax_id.as_deref()),
        ] {
            if let Some(id) = id
                && let Err(why) = check_vat(id)
            {
                problems.push(format!("the {who} VAT id {id} is not valid ({why})"));
                e.push(ctx.field_ev(&format!("{who} VAT id"), field, id));
            }
        }
        if !problems.is_empty() {
            let seller = problems.iter().any(|p| p.contains("seller"));
            out.push(finding(
                "id.vat-invalid",
                Severity::Medium,
                if seller { 45 } else { 30 },
                format!("{}.", capitalise(&problems.join("; "))),
                e,
            ));
        }
    }

    if ctx.cfg.enabled("id.buyer-not-tenant")
        && !ctx.cfg.tenant_tax_ids.is_empty()
        && let Some(buyer) = inv
            .customer
            .tax_id
            .as_deref()
            .filter(|s| !s.trim().is_empty())
    {
        let norm = papyr_sdk::normalize_id(buyer);
        if !ctx.cfg.tenant_tax_ids.contains(&norm) {
            let mut e = vec![ctx.field_ev("buyer VAT id", "customer_tax_id", buyer)];
            if let Some(n) = &inv.customer.name {
                e.push(ctx.field_ev("buyer", "customer_name", n.clone()));
            }
            e.push(crate::util::ev(
                "tenant VAT ids",
                ctx.cfg.tenant_tax_ids.join(", "),
            ));
            out.push(finding(
                "id.buyer-not-tenant",
                Severity::Medium,
                45,
                format!("The invoice is addressed to VAT id {buyer}, which is not one of this company's own VAT ids."),
                e,
            ));
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
