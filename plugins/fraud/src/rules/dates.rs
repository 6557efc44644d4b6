//! date.future, date.due-before-issue, date.very-old, date.weekend.
use papyr_sdk::types::{Finding, Severity};

use crate::util::{Ctx, days, ev, finding};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let inv = &ctx.input.invoice;
    let Some(issue) = inv.issue_date else { return };
    let issue_s = papyr_sdk::date_to_string(&issue);
    let reference = ctx.reference_date();
    let ref_s = papyr_sdk::date_to_string(&reference);
    let age = days(&reference) - days(&issue);

    if ctx.cfg.enabled("date.future") && age < -1 {
        out.push(finding(
            "date.future",
            Severity::Medium,
            if age < -30 { 50 } else { 40 },
            format!(
                "The invoice is dated {issue_s}, {} day(s) after it arrived ({ref_s}).",
                -age
            ),
            vec![
                ctx.field_ev("issue date", "issue_date", issue_s.clone()),
                ev("received", ref_s.clone()),
            ],
        ));
    }
    if ctx.cfg.enabled("date.due-before-issue")
        && let Some(due) = inv.due_date
        && days(&due) < days(&issue)
    {
        let due_s = papyr_sdk::date_to_string(&due);
        out.push(finding(
            "date.due-before-issue",
            Severity::Medium,
            30,
            format!("The due date {due_s} is before the issue date {issue_s}."),
            vec![
                ctx.field_ev("issue date", "issue_date", issue_s.clone()),
                ctx.field_ev("due date", "due_date", due_s),
            ],
        ));
    }
    if ctx.cfg.enabled("date.very-old") && age > ctx.cfg.max_age_days {
        out.push(finding(
            "date.very-old",
            Severity::Low,
            if age > 2 * ctx.cfg.max_age_days { 30 } else { 20 },
            format!("The invoice is dated {issue_s}, {age} days before it arrived; older than the {} days allowed.", ctx.cfg.max_age_days),
            vec![ctx.field_ev("issue date", "issue_date", issue_s.clone()), ev("received", ref_s)],
        ));
    }
    if ctx.cfg.enabled("date.weekend") && papyr_sdk::weekday(&issue) >= 5 {
        // Vendors whose software bills on weekends do so regularly.
        let weekend_before = ctx
            .vendor_invoices()
            .iter()
            .filter(|p| p.issue_date.is_some_and(|d| papyr_sdk::weekday(&d) >= 5))
            .count();
        if weekend_before < 2 {
            let day = if papyr_sdk::weekday(&issue) == 5 {
                "Saturday"
            } else {
                "Sunday"
            };
            out.push(finding(
                "date.weekend",
                Severity::Info,
                5,
                format!("The invoice is dated on a {day} ({issue_s})."),
                vec![ctx.field_ev("issue date", "issue_date", issue_s)],
            ));
        }
    }
}
