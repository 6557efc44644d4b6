//! sender.lookalike-domain, sender.display-name-spoof, sender.reply-to-mismatch,
//! sender.auth-failed — all from `document.origin`.
use papyr_sdk::history::Vendor;
use papyr_sdk::types::{Finding, Severity};

use crate::util::{Ctx, dl_distance, ev, finding, name_tokens};

pub fn check(ctx: &Ctx, out: &mut Vec<Finding>) {
    let o = &ctx.input.document.origin;
    if ctx.cfg.enabled("sender.auth-failed")
        && let Some(ar) = o.authentication_results.as_deref()
    {
        auth_failed(ar, out);
    }
    let Some(from_domain) = o.sender_address.as_deref().and_then(address_domain) else {
        return;
    };
    let from_reg = registrable(&from_domain);

    if ctx.cfg.enabled("sender.reply-to-mismatch") {
        reply_to(ctx, &from_domain, &from_reg, out);
    }
    let want_look = ctx.cfg.enabled("sender.lookalike-domain");
    let want_spoof = ctx.cfg.enabled("sender.display-name-spoof");
    if !want_look && !want_spoof {
        return;
    }
    let vendors = ctx.all_vendors();
    if want_look {
        lookalike(ctx, vendors, &from_domain, &from_reg, out);
    }
    if want_spoof && let Some(name) = o.sender_name.as_deref() {
        display_name(vendors, name, &from_domain, &from_reg, out);
    }
}

/// The domain of `Name <user@host>` or `user@host`, lower case.
pub fn address_domain(addr: &str) -> Option<String> {
    let a = match (addr.rfind('<'), addr.rfind('>')) {
        (Some(l), Some(r)) if l < r => &addr[l + 1..r],
        _ => addr,
    };
    let d = a
        .rsplit_once('@')?
        .1
        .trim()
        .trim_end_matches('.')
        .to_lowercase();
    (!d.is_empty() && d.contains('.')).then_some(d)
}

/// Second-level public suffixes common enough to matter; anything else takes the
/// last two labels.
const TWO_LEVEL_SUFFIXES: &[&str] = &[
    "co.uk", "org.uk", "ac.uk", "gov.uk", "ltd.uk", "plc.uk", "me.uk", "com.au", "net.au",
    "org.au", "co.nz", "co.jp", "co.za", "com.br", "com.cn", "com.tr", "com.mx", "co.in", "co.kr",
    "com.sg", "com.hk", "co.at", "or.at", "com.pl", "com.es", "com.pt", "co.il", "com.ar",
];

/// The registrable domain (`mail.acme.co.uk` → `acme.co.uk`).
pub fn registrable(domain: &str) -> String {
    let labels: Vec<&str> = domain.split('.').filter(|l| !l.is_empty()).collect();
    let n = labels.len();
    if n <= 2 {
        return labels.join(".");
    }
    let last2 = format!("{}.{}", labels[n - 2], labels[n - 1]);
    let take = if TWO_LEVEL_SUFFIXES.contains(&last2.as_str()) {
        3
    } else {
        2
    };
    labels[n - take..].join(".")
}

/// The registrable domain without its public suffix (`acme.co.uk` → `acme`).
fn main_label(reg: &str) -> &str {
    reg.split('.').next().unwrap_or(reg)
}

fn public_suffix(reg: &str) -> &str {
    reg.split_once('.').map(|x| x.1).unwrap_or("")
}

/// A compact TR39-style skeleton: decode punycode, map the common Cyrillic/Greek
/// lookalikes and digit/letter confusions to Latin, then fold rn→m, vv→w.
pub fn skeleton(domain: &str) -> String {
    let decoded: Vec<String> = domain
        .split('.')
        .map(|l| match l.strip_prefix("xn--").and_then(punycode_decode) {
            Some(u) => u,
            None => l.to_string(),
        })
        .collect();
    let mapped: String = decoded
        .join(".")
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'а' | 'α' | 'ɑ' => 'a',
            'Ь' | 'ь' | 'ƅ' => 'b',
            'с' | 'ϲ' => 'c',
            'ԁ' => 'd',
            'е' | 'ё' | 'ε' => 'e',
            'ɡ' => 'g',
            'һ' => 'h',
            'і' | 'ι' | 'ı' | 'í' | 'ї' => 'i',
            'ј' | 'ϳ' => 'j',
            'к' | 'κ' => 'k',
            'ӏ' | '1' | '|' | 'ł' => 'l',
            'м' => 'm',
            'п' | 'η' => 'n',
            'о' | 'ο' | 'σ' | '0' | 'ö' | 'ø' => 'o',
            'р' | 'ρ' => 'p',
            'ԛ' => 'q',
            'г' => 'r',
            'ѕ' => 's',
            'т' | 'τ' => 't',
            'υ' | 'ս' => 'u',
            'ν' | 'ѵ' => 'v',
            'ԝ' | 'ω' => 'w',
            'х' | 'χ' => 'x',
            'у' | 'γ' => 'y',
            'ᴢ' => 'z',
            c => c,
        })
        .collect();
    mapped
        .replace("rn", "m")
        .replace("vv", "w")
        .replace("cl", "d")
}

/// RFC 3492 punycode decoding of one label (without `xn--`).
pub fn punycode_decode(input: &str) -> Option<String> {
    const BASE: u32 = 36;
    const TMIN: u32 = 1;
    const TMAX: u32 = 26;
    fn adapt(mut delta: u32, points: u32, first: bool) -> u32 {
        delta = if first { delta / 700 } else { delta / 2 };
        delta += delta / points;
        let mut k = 0;
        while delta > ((BASE - TMIN) * TMAX) / 2 {
            delta /= BASE - TMIN;
            k += BASE;
        }
        k + (BASE - TMIN + 1) * delta / (delta + 38)
    }
    let (basic, rest) = match input.rfind('-') {
        Some(p) => (&input[..p], &input[p + 1..]),
        None => ("", input),
    };
    let mut out: Vec<char> = basic.chars().collect();
    if !out.iter().all(char::is_ascii) {
        return None;
    }
    let (mut n, mut i, mut bias) = (128u32, 0u32, 72u32);
    let mut it = rest.bytes().peekable();
    while it.peek().is_some() {
        let old_i = i;
        let mut w = 1u32;
        let mut k = BASE;
        loop {
            let c = it.next()?;
            let digit = match c {
                b'a'..=b'z' => c - b'a',
                b'A'..=b'Z' => c - b'A',
                b'0'..=b'9' => c - b'0' + 26,
                _ => return None,
            } as u32;
            i = i.checked_add(digit.checked_mul(w)?)?;
            let t = if k <= bias {
                TMIN
            } else if k >= bias + TMAX {
                TMAX
            } else {
                k - bias
            };
            if digit < t {
                break;
            }
            w = w.checked_mul(BASE - t)?;
            k += BASE;
        }
        let len = out.len() as u32 + 1;
        bias = adapt(i - old_i, len, old_i == 0);
        n = n.checked_add(i / len)?;
        i %= len;
        out.insert(i as usize, char::from_u32(n)?);
        i += 1;
        if out.len() > 63 {
            return None;
        }
    }
    Some(out.into_iter().collect())
}

fn known_domains(vendors: &[Vendor]) -> impl Iterator<Item = (String, &Vendor)> {
    vendors.iter().flat_map(|v| {
        v.domains
            .iter()
            .map(move |d| (registrable(&d.to_lowercase()), v))
    })
}

fn lookalike(
    ctx: &Ctx,
    vendors: &[Vendor],
    from_domain: &str,
    from_reg: &str,
    out: &mut Vec<Finding>,
) {
    if known_domains(vendors).any(|(d, _)| d == from_reg) {
        return;
    }
    let from_skel = skeleton(from_reg);
    let from_label = main_label(from_reg);
    // A company writing from a domain that is its own name (the seller on the
    // invoice) is not imitating a known vendor whose name merely resembles it
    // (`horros.example` from Horros Trading vs. known `corros.example`). Look-alike
    // characters are still reported: those are never a company's own name.
    let own_name_of_seller = ctx
        .input
        .invoice
        .vendor
        .name
        .as_deref()
        .is_some_and(|n| name_tokens(n).iter().any(|t| t == from_label));
    let mut hit: Option<(String, &Vendor, String, u32)> = None;
    for (d, v) in known_domains(vendors) {
        let label = main_label(&d);
        // Most vendor domains are plain ASCII without confusable sequences; their
        // skeleton is themselves, which saves an allocation per vendor.
        let plain = d
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'-')
            && !["rn", "vv", "cl", "xn--"].iter().any(|p| d.contains(p));
        let same_skeleton = if plain {
            d == from_skel
        } else {
            skeleton(&d) == from_skel
        };
        let why = if same_skeleton {
            Some(("uses look-alike characters".to_string(), 85))
        } else if label == from_label && public_suffix(&d) != public_suffix(from_reg) {
            Some((
                format!(
                    "is the same name under another ending (.{})",
                    public_suffix(from_reg)
                ),
                70,
            ))
        } else if label.chars().count() >= 4 && !own_name_of_seller {
            let cap = if label.chars().count() <= 5 { 1 } else { 2 };
            let dist = dl_distance(from_reg, &d, cap);
            (dist <= cap).then(|| (format!("differs by {dist} character(s)"), 80))
        } else {
            None
        };
        if let Some((w, s)) = why {
            hit = Some((d, v, w, s));
            break;
        }
    }
    // A vendor's domain name as a label of an unrelated domain: `acme-billing.example`,
    // `acme.example.co` (acme's own subdomains returned early above).
    let labels: Vec<&str> = from_domain.split(['.', '-']).collect();
    if hit.is_none() {
        for (d, v) in known_domains(vendors) {
            let label = main_label(&d);
            let in_from = from_domain.split('.').any(|l| {
                l == label
                    || l.strip_prefix(label).is_some_and(|r| r.starts_with('-'))
                    || l.strip_suffix(label).is_some_and(|r| r.ends_with('-'))
            });
            if label.chars().count() >= 4 && in_from {
                hit = Some((
                    d.clone(),
                    v,
                    format!(
                        "contains the vendor's domain name \"{label}\" but is not one of its domains"
                    ),
                    70,
                ));
                break;
            }
        }
    }
    if hit.is_none() {
        // The vendor's name as a label of an unrelated domain (`acme-billing.example`).
        let long_labels: Vec<&str> = labels.iter().copied().filter(|l| l.len() >= 4).collect();
        for v in vendors.iter().filter(|v| !v.domains.is_empty()) {
            let lower = v.name.to_lowercase();
            if !long_labels.iter().any(|l| lower.contains(l)) {
                continue;
            }
            let key = name_tokens(&v.name).join("");
            if key.len() >= 4 && labels.contains(&key.as_str()) {
                let d = registrable(&v.domains[0].to_lowercase());
                hit = Some((
                    d,
                    v,
                    format!("contains the vendor name \"{key}\" but is not one of its domains"),
                    70,
                ));
                break;
            }
        }
    }
    let sender = ctx
        .input
        .document
        .origin
        .sender_address
        .clone()
        .unwrap_or_default();
    if let Some((d, v, why, score)) = hit {
        out.push(finding(
            "sender.lookalike-domain",
            Severity::High,
            score,
            format!(
                "The sender domain {from_reg} {why} compared with {d}, the known domain of {}.",
                v.name
            ),
            vec![
                ev("From", sender),
                ev("known vendor domain", format!("{d} ({})", v.name)),
            ],
        ));
    } else if from_domain.split('.').any(|l| l.starts_with("xn--")) {
        out.push(finding(
            "sender.lookalike-domain",
            Severity::Medium,
            45,
            format!(
                "The sender domain {from_domain} is an internationalised (punycode) name, shown as {}; check it is really the vendor's.",
                skeleton(from_domain)
            ),
            vec![ev("From", sender)],
        ));
    }
}

/// Generic words of display names that say nothing about who sends.
const GENERIC: &[&str] = &[
    "billing",
    "invoice",
    "invoices",
    "invoicing",
    "accounts",
    "accounting",
    "team",
    "rechnung",
    "rechnungen",
    "buchhaltung",
    "noreply",
    "no",
    "reply",
    "finance",
    "facturation",
    "payments",
    "service",
    "support",
];

fn display_name(
    vendors: &[Vendor],
    name: &str,
    from_domain: &str,
    from_reg: &str,
    out: &mut Vec<Finding>,
) {
    let shown: Vec<String> = name_tokens(name)
        .into_iter()
        .filter(|t| !GENERIC.contains(&t.as_str()))
        .collect();
    if shown.is_empty() {
        return;
    }
    let mut spoofed: Option<&Vendor> = None;
    for v in vendors {
        let lower = v.name.to_lowercase();
        if !shown.iter().any(|t| lower.contains(t.as_str())) {
            continue;
        }
        let vt = name_tokens(&v.name);
        if vt.is_empty()
            || vt.concat().len() < 4
            || !shown.windows(vt.len()).any(|w| w == vt.as_slice())
        {
            continue;
        }
        if v.domains
            .iter()
            .any(|d| registrable(&d.to_lowercase()) == from_reg)
        {
            return; // one of the vendors with this name really uses this domain
        }
        if !v.domains.is_empty() && spoofed.is_none() {
            spoofed = Some(v);
        }
    }
    if let Some(v) = spoofed {
        out.push(finding(
            "sender.display-name-spoof",
            Severity::High,
            70,
            format!(
                "The email shows the name \"{name}\" but comes from {from_domain}, which is not a domain of {} ({}).",
                v.name,
                v.domains.join(", ")
            ),
            vec![ev("From display name", name), ev("From domain", from_domain), ev("vendor domains", v.domains.join(", "))],
        ));
    }
}

/// Bounce domains of mail-sending services: a Return-Path there is normal.
const ESP_BOUNCE: &[&str] = &[
    "amazonses.com",
    "sendgrid.net",
    "mailgun.org",
    "mailgun.net",
    "mcsv.net",
    "mandrillapp.com",
    "sparkpostmail.com",
    "postmarkapp.com",
    "mailjet.com",
    "sendinblue.com",
    "brevo.com",
    "rsgsv.net",
    "salesforce.com",
    "exacttarget.com",
    "bounces.google.com",
    "zendesk.com",
    "stripe.com",
    "intuit.com",
];

fn reply_to(ctx: &Ctx, from_domain: &str, from_reg: &str, out: &mut Vec<Finding>) {
    let o = &ctx.input.document.origin;
    let vendor_domains: Vec<String> = ctx
        .vendor()
        .map(|v| {
            v.domains
                .iter()
                .map(|d| registrable(&d.to_lowercase()))
                .collect()
        })
        .unwrap_or_default();
    let same_owner = |reg: &str| {
        reg == from_reg
            || (vendor_domains.iter().any(|d| d == reg)
                && vendor_domains.iter().any(|d| d == from_reg))
    };
    let mut e = vec![ev("From domain", from_domain)];
    let mut parts = Vec::new();
    let mut score = 0;
    if let Some(rt) = o.reply_to.as_deref().and_then(address_domain) {
        let reg = registrable(&rt);
        if !same_owner(&reg) {
            parts.push(format!("replies go to {rt}"));
            e.push(ev("Reply-To", o.reply_to.clone().unwrap_or_default()));
            score += 45;
        }
    }
    if let Some(rp) = o.return_path.as_deref().and_then(address_domain) {
        let reg = registrable(&rp);
        if !same_owner(&reg) && !ESP_BOUNCE.contains(&reg.as_str()) {
            parts.push(format!("bounces go to {rp}"));
            e.push(ev("Return-Path", o.return_path.clone().unwrap_or_default()));
            score += 20;
        }
    }
    if parts.is_empty() {
        return;
    }
    let sev = if score >= 45 {
        Severity::Medium
    } else {
        Severity::Low
    };
    out.push(finding(
        "sender.reply-to-mismatch",
        sev,
        score.min(60),
        format!(
            "The email comes from {from_domain} but {}.",
            parts.join(" and ")
        ),
        e,
    ));
}

fn auth_failed(ar: &str, out: &mut Vec<Finding>) {
    let lower = ar.to_lowercase();
    let verdicts = |mech: &str, verdict: &str| -> bool {
        let pat = format!("{mech}={verdict}");
        lower.match_indices(&pat).any(|(i, _)| {
            let before = lower[..i].chars().next_back();
            let after = lower[i + pat.len()..].chars().next();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '-')
                && !after.is_some_and(char::is_alphanumeric)
        })
    };
    let mut failed = Vec::new();
    if verdicts("spf", "fail") {
        failed.push("SPF");
    }
    // One broken signature next to a valid one is normal (mailing lists re-sign).
    if verdicts("dkim", "fail") && !verdicts("dkim", "pass") {
        failed.push("DKIM");
    }
    if verdicts("dmarc", "fail") {
        failed.push("DMARC");
    }
    if failed.is_empty() {
        return;
    }
    let (sev, score) = if failed.contains(&"DMARC") || failed.len() >= 2 {
        (Severity::High, 70)
    } else {
        (Severity::Medium, 45)
    };
    out.push(finding(
        "sender.auth-failed",
        sev,
        score,
        format!(
            "The email failed {} authentication: it may not come from who it claims.",
            failed.join(", ")
        ),
        vec![ev(
            "Authentication-Results",
            ar.chars().take(300).collect::<String>(),
        )],
    ));
}
