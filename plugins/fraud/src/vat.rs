//! VAT id format and check-digit validation per country.

/// Why a VAT id is not valid; `None` from [`check_vat`] means valid or not checkable.
pub fn check_vat(raw: &str) -> Result<(), String> {
    let id = papyr_sdk::normalize_id(raw);
    if id.len() < 4 || !id.is_ascii() {
        return Ok(());
    }
    let (cc, rest) = id.split_at(2);
    let digits = |n: usize| rest.len() == n && rest.bytes().all(|b| b.is_ascii_digit());
    let fmt = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(format!("{cc} VAT ids are {what}"))
        }
    };
    match cc {
        "DE" => {
            fmt(digits(9), "DE + 9 digits")?;
            if !de_mod11_10(rest) {
                return Err("the check digit does not match (ISO 7064 MOD 11,10)".into());
            }
            Ok(())
        }
        "BE" => {
            let r = if rest.len() == 9 {
                format!("0{rest}")
            } else {
                rest.to_string()
            };
            fmt(
                r.len() == 10
                    && r.bytes().all(|b| b.is_ascii_digit())
                    && (r.starts_with('0') || r.starts_with('1')),
                "BE + 10 digits starting 0 or 1",
            )?;
            let n: u64 = r[..8].parse().map_err(|_| "not a number".to_string())?;
            let c: u64 = r[8..].parse().map_err(|_| "not a number".to_string())?;
            if 97 - n % 97 != c {
                return Err("the check digits do not match (97 − first 8 digits mod 97)".into());
            }
            Ok(())
        }
        "FR" => {
            fmt(
                rest.len() == 11
                    && rest[2..].bytes().all(|b| b.is_ascii_digit())
                    && rest[..2].bytes().all(|b| b.is_ascii_alphanumeric()),
                "FR + 2-character key + 9-digit SIREN",
            )?;
            let key = &rest[..2];
            if key.bytes().all(|b| b.is_ascii_digit()) {
                let siren: u64 = rest[2..].parse().map_err(|_| "not a number".to_string())?;
                let k: u64 = key.parse().map_err(|_| "not a number".to_string())?;
                if (12 + 3 * (siren % 97)) % 97 != k {
                    return Err(
                        "the key does not match the SIREN ((12 + 3 × (SIREN mod 97)) mod 97)"
                            .into(),
                    );
                }
            }
            Ok(())
        }
        "IT" => {
            fmt(digits(11), "IT + 11 digits")?;
            if !luhn(rest) {
                return Err("the check digit does not match (Luhn)".into());
            }
            Ok(())
        }
        "NL" => {
            let b = rest.as_bytes();
            fmt(
                rest.len() == 12
                    && b[..9].iter().all(u8::is_ascii_digit)
                    && b[9] == b'B'
                    && b[10..].iter().all(u8::is_ascii_digit),
                "NL + 9 digits + B + 2 digits",
            )?;
            if !nl_mod11(&rest[..9]) && !nl_mod97(&id) {
                return Err(
                    "the check digit does not match (mod 11, nor the 2020 mod-97 scheme)".into(),
                );
            }
            Ok(())
        }
        "ES" => {
            fmt(rest.len() == 9, "ES + 9 characters")?;
            if !es_check(rest) {
                return Err("the control character does not match (NIF/NIE/CIF)".into());
            }
            Ok(())
        }
        "AT" => {
            let b = rest.as_bytes();
            fmt(
                rest.len() == 9 && b[0] == b'U' && b[1..].iter().all(u8::is_ascii_digit),
                "ATU + 8 digits",
            )?;
            if !at_check(&rest[1..]) {
                return Err("the check digit does not match".into());
            }
            Ok(())
        }
        "GB" | "XI" => {
            let gov = (rest.starts_with("GD") || rest.starts_with("HA"))
                && rest.len() == 5
                && rest[2..].bytes().all(|b| b.is_ascii_digit());
            if gov {
                return Ok(());
            }
            fmt(digits(9) || digits(12), "GB + 9 or 12 digits")?;
            if !gb_check(&rest[..9]) {
                return Err("the check digits do not match (mod 97)".into());
            }
            Ok(())
        }
        _ => {
            format_only(cc, rest)?;
            national_check(cc, rest)
        }
    }
}

/// Check digits of the formats that `format_only` accepted, where the country
/// publishes a scheme: PL NIP (weighted mod 11), SE organisation number (Luhn over
/// the 10 digits before `01`), CH UID (weighted mod 11).
fn national_check(cc: &str, r: &str) -> Result<(), String> {
    let ok = match cc {
        "PL" => weighted_mod11(
            &r[..9],
            &[6, 5, 7, 2, 3, 4, 5, 6, 7],
            r.as_bytes()[9],
            false,
        ),
        "SE" => luhn(&r[..10]),
        "CH" => {
            // format_only guaranteed `E` + 9 digits (+ an optional MWST/TVA/IVA suffix).
            let d = &r[1..10];
            weighted_mod11(&d[..8], &[5, 4, 3, 2, 7, 6, 5, 4], d.as_bytes()[8], true)
        }
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err("the check digit does not match".into())
    }
}

/// Σ digit × weight mod 11 as the check digit (PL), or 11 minus it with 11 → 0 (CH,
/// `complement`); a result of 10 is never issued, so such ids are invalid.
fn weighted_mod11(d: &str, weights: &[u32], check: u8, complement: bool) -> bool {
    let sum: u32 = d.bytes().zip(weights).map(|(b, w)| dig(b) * w).sum();
    let c = if complement {
        (11 - sum % 11) % 11
    } else {
        sum % 11
    };
    c != 10 && c == dig(check)
}

fn format_only(cc: &str, r: &str) -> Result<(), String> {
    let all_d = |n: &[usize]| n.contains(&r.len()) && r.bytes().all(|b| b.is_ascii_digit());
    let (ok, what) = match cc {
        "BG" => (all_d(&[9, 10]), "9 or 10 digits"),
        "CY" => (
            r.len() == 9
                && r[..8].bytes().all(|b| b.is_ascii_digit())
                && r.as_bytes()[8].is_ascii_uppercase(),
            "8 digits + a letter",
        ),
        "CZ" => (all_d(&[8, 9, 10]), "8 to 10 digits"),
        "DK" | "FI" | "HU" | "LU" | "MT" | "SI" => (all_d(&[8]), "8 digits"),
        "EE" | "EL" | "PT" => (all_d(&[9]), "9 digits"),
        "HR" | "LV" => (all_d(&[11]), "11 digits"),
        "IE" => {
            let b = r.as_bytes();
            let modern = (r.len() == 8 || r.len() == 9)
                && b[..7].iter().all(u8::is_ascii_digit)
                && b[7..].iter().all(u8::is_ascii_uppercase);
            let old = r.len() == 8
                && b[0].is_ascii_digit()
                && b[1].is_ascii_alphanumeric()
                && b[2..7].iter().all(u8::is_ascii_digit)
                && b[7].is_ascii_uppercase();
            (modern || old, "7 digits + 1-2 letters")
        }
        "LT" => (all_d(&[9, 12]), "9 or 12 digits"),
        "PL" | "SK" => (all_d(&[10]), "10 digits"),
        "RO" => (all_d(&[2, 3, 4, 5, 6, 7, 8, 9, 10]), "2 to 10 digits"),
        "SE" => (all_d(&[12]) && r.ends_with("01"), "12 digits ending 01"),
        "CH" => {
            let core = r.strip_prefix('E').unwrap_or("");
            let core = core
                .trim_end_matches("MWST")
                .trim_end_matches("TVA")
                .trim_end_matches("IVA");
            (
                core.len() == 9 && core.bytes().all(|b| b.is_ascii_digit()),
                "CHE + 9 digits",
            )
        }
        _ => return Ok(()),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{cc} VAT ids are {cc} + {what}"))
    }
}

fn dig(b: u8) -> u32 {
    (b - b'0') as u32
}

/// ISO 7064 MOD 11,10 over the first 8 digits; the 9th is the check digit.
fn de_mod11_10(d: &str) -> bool {
    let b = d.as_bytes();
    let mut p = 10u32;
    for &c in &b[..8] {
        let mut s = (dig(c) + p) % 10;
        if s == 0 {
            s = 10;
        }
        p = (2 * s) % 11;
    }
    let check = if 11 - p == 10 { 0 } else { (11 - p) % 10 };
    check == dig(b[8])
}

fn luhn(d: &str) -> bool {
    let sum: u32 = d
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let v = dig(c);
            if i % 2 == 1 {
                let x = v * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                v
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn nl_mod11(d: &str) -> bool {
    let b = d.as_bytes();
    let s: i32 = (0..8)
        .map(|i| dig(b[i]) as i32 * (9 - i as i32))
        .sum::<i32>()
        - dig(b[8]) as i32;
    s % 11 == 0
}

/// The 2020 scheme for sole proprietors: `NL` + the id, letters as 10..35, mod 97 = 1.
fn nl_mod97(id: &str) -> bool {
    let mut rem = 0u32;
    for c in id.bytes() {
        let v = if c.is_ascii_digit() {
            dig(c)
        } else {
            (c - b'A') as u32 + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn es_check(r: &str) -> bool {
    const NIF: &[u8] = b"TRWAGMYFPDXBNJZSQVHLCKE";
    let b = r.as_bytes();
    let last = b[8];
    let mid_digits = b[1..8].iter().all(u8::is_ascii_digit);
    if !mid_digits {
        return false;
    }
    // NIF (person): 8 digits + letter; NIE: X/Y/Z + 7 digits + letter.
    let person_num = match b[0] {
        b'0'..=b'9' => Some(r[..8].parse::<u32>().ok()),
        b'X' => Some(r[1..8].parse::<u32>().ok()),
        b'Y' => Some(r[1..8].parse::<u32>().ok().map(|n| n + 10_000_000)),
        b'Z' => Some(r[1..8].parse::<u32>().ok().map(|n| n + 20_000_000)),
        _ => None,
    };
    if let Some(n) = person_num {
        return n.is_some_and(|n| NIF[(n % 23) as usize] == last);
    }
    // CIF (entity): letter + 7 digits + control digit or letter.
    if !b"ABCDEFGHJKLMNPQRSUVW".contains(&b[0]) {
        return false;
    }
    let mut sum = 0u32;
    for (i, &c) in b[1..8].iter().enumerate() {
        let v = dig(c);
        if i % 2 == 0 {
            let x = v * 2;
            sum += x / 10 + x % 10;
        } else {
            sum += v;
        }
    }
    let ctrl = (10 - sum % 10) % 10;
    last == b'0' + ctrl as u8 || last == b"JABCDEFGHI"[ctrl as usize]
}

/// Austria: weights 1,2,1,2,1,2,1 (digit sums of products), check = (10 − (s + 4) mod 10) mod 10.
fn at_check(d: &str) -> bool {
    let b = d.as_bytes();
    let mut s = 0u32;
    for (i, &c) in b[..7].iter().enumerate() {
        let p = dig(c) * if i % 2 == 1 { 2 } else { 1 };
        s += p / 10 + p % 10;
    }
    (10 - (s + 4) % 10) % 10 == dig(b[7])
}

/// UK: weights 8..2 on the first 7 digits plus the last two as a number; the total
/// is divisible by 97 (old scheme) or becomes so after adding 55 (new scheme).
fn gb_check(d: &str) -> bool {
    let b = d.as_bytes();
    let s: i64 = (0..7)
        .map(|i| dig(b[i]) as i64 * (8 - i as i64))
        .sum::<i64>()
        + (dig(b[7]) * 10 + dig(b[8])) as i64;
    s % 97 == 0 || (s + 55) % 97 == 0
}

#[cfg(test)]
mod tests {
    use super::check_vat;

    #[test]
    fn valid_ids_pass() {
        for id in [
            "DE136695976",
            "DE 123456788",
            "BE0403019261",
            "FR40303265045",
            "IT00743110157",
            "NL004495445B01",
            "ESA28015865",
            "ES12345678Z",
            "ESX1234567L",
            "ATU13585627",
            "GB980780684",
            "DK13585628",
            "CHE-116.281.710 MWST",
            "PL2717054653",
            "PL4698457031",
            "SE531740995001",
            "SE593756746801",
            "CHE840021030",
        ] {
            assert_eq!(check_vat(id), Ok(()), "{id}");
        }
    }

    #[test]
    fn wrong_ids_fail() {
        for id in [
            "DE136695977",
            "DE12345678",
            "BE0403019262",
            "FR41303265045",
            "IT00743110158",
            "NL004495446B01",
            "ESA28015866",
            "ES12345678A",
            "ATU13585628",
            "GB980780685",
            "DK1358562",
            "PL12345",
            // One digit changed against the valid ids above.
            "PL2717004653",
            "PL4698957031",
            "SE593756746201",
            "CHE540021030",
        ] {
            assert!(check_vat(id).is_err(), "{id}");
        }
    }

    #[test]
    fn non_vat_tax_ids_are_not_judged() {
        assert_eq!(check_vat("123/456/78901"), Ok(()));
        assert_eq!(check_vat("US 12-3456789"), Ok(()));
    }
}
