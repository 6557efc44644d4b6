//! VAT ids, IBANs and BICs with real check digits, plus validators used by the
//! generator's own tests (and to corrupt ids on purpose).

use crate::util::Rng;

fn digits_of(s: &str) -> Vec<u32> {
    s.chars().filter_map(|c| c.to_digit(10)).collect()
}

fn luhn_check_digit(body: &[u32]) -> u32 {
    // Doubling starts at the rightmost body digit because the check digit follows it.
    let mut sum = 0;
    for (i, &d) in body.iter().rev().enumerate() {
        let v = if i % 2 == 0 { d * 2 } else { d };
        sum += if v > 9 { v - 9 } else { v };
    }
    (10 - sum % 10) % 10
}

fn luhn_valid(all: &[u32]) -> bool {
    match all.split_last() {
        Some((&last, body)) => luhn_check_digit(body) == last,
        None => false,
    }
}

fn de_check(body: &[u32]) -> u32 {
    let mut product = 10;
    for &d in body {
        let mut sum = (d + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (2 * sum) % 11;
    }
    let c = 11 - product;
    if c == 10 { 0 } else { c }
}

fn at_check(body: &[u32]) -> u32 {
    let mut s = 0;
    for (i, &d) in body.iter().enumerate() {
        if i % 2 == 1 {
            let v = d * 2;
            s += v / 10 + v % 10;
        } else {
            s += d;
        }
    }
    (10 - (s + 4) % 10) % 10
}

fn es_cif_check(body: &[u32]) -> u32 {
    let mut s = 0;
    for (i, &d) in body.iter().enumerate() {
        if i % 2 == 0 {
            let v = d * 2;
            s += v / 10 + v % 10;
        } else {
            s += d;
        }
    }
    (10 - s % 10) % 10
}

fn nl_sum(d: &[u32]) -> u32 {
    d.iter()
        .take(8)
        .enumerate()
        .map(|(i, &x)| x * (9 - i as u32))
        .sum()
}

fn gb_sum(d: &[u32]) -> u32 {
    d.iter()
        .take(7)
        .enumerate()
        .map(|(i, &x)| x * (8 - i as u32))
        .sum()
}

fn ch_check(body: &[u32]) -> Option<u32> {
    const W: [u32; 8] = [5, 4, 3, 2, 7, 6, 5, 4];
    let s: u32 = body.iter().zip(W).map(|(d, w)| d * w).sum();
    match 11 - s % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c),
    }
}

fn pl_check(body: &[u32]) -> Option<u32> {
    const W: [u32; 9] = [6, 5, 7, 2, 3, 4, 5, 6, 7];
    let c = body.iter().zip(W).map(|(d, w)| d * w).sum::<u32>() % 11;
    (c != 10).then_some(c)
}

fn nz(rng: &mut Rng) -> u32 {
    1 + rng.below(9) as u32
}

fn join(d: &[u32]) -> String {
    d.iter().map(|x| char::from(b'0' + *x as u8)).collect()
}

/// A valid VAT id (normalised, no spaces) for `country`. US: an EIN `12-3456789`
/// (format only: EINs carry no check digit).
pub fn gen_vat(country: &str, rng: &mut Rng) -> String {
    loop {
        if let Some(v) = try_gen_vat(country, rng) {
            debug_assert!(vat_valid(&v), "{v}");
            return v;
        }
    }
}

fn try_gen_vat(country: &str, rng: &mut Rng) -> Option<String> {
    let mut d: Vec<u32> = Vec::new();
    Some(match country {
        "DE" => {
            d.push(nz(rng));
            d.extend((0..7).map(|_| rng.digit()));
            let c = de_check(&d);
            format!("DE{}{c}", join(&d))
        }
        "FR" => {
            d.push(nz(rng));
            d.extend((0..7).map(|_| rng.digit()));
            let c = luhn_check_digit(&d);
            d.push(c);
            let siren: u64 = join(&d).parse().ok()?;
            let key = (12 + 3 * (siren % 97)) % 97;
            format!("FR{key:02}{siren}")
        }
        "NL" => {
            d.push(nz(rng));
            d.extend((0..7).map(|_| rng.digit()));
            let c = nl_sum(&d) % 11;
            if c > 9 {
                return None;
            }
            format!("NL{}{c}B{:02}", join(&d), 1 + rng.below(3))
        }
        "BE" => {
            d.push(rng.below(2) as u32);
            d.push(nz(rng));
            d.extend((0..6).map(|_| rng.digit()));
            let n: u64 = join(&d).parse().ok()?;
            let c = 97 - n % 97;
            format!("BE{}{c:02}", join(&d))
        }
        "IT" => {
            d.extend((0..7).map(|_| rng.digit()));
            d[0] = nz(rng);
            let office = 1 + rng.below(100) as u32;
            d.extend(digits_of(&format!("{office:03}")));
            let c = luhn_check_digit(&d);
            format!("IT{}{c}", join(&d))
        }
        "ES" => {
            let letter = *rng.pick(&['A', 'B']);
            d.extend((0..7).map(|_| rng.digit()));
            d[0] = nz(rng);
            format!("ES{letter}{}{}", join(&d), es_cif_check(&d))
        }
        "AT" => {
            d.push(nz(rng));
            d.extend((0..6).map(|_| rng.digit()));
            format!("ATU{}{}", join(&d), at_check(&d))
        }
        "GB" => {
            d.push(nz(rng));
            d.extend((0..6).map(|_| rng.digit()));
            let c = (97 - gb_sum(&d) % 97) % 97;
            format!("GB{}{c:02}", join(&d))
        }
        "CH" => {
            d.push(nz(rng));
            d.extend((0..7).map(|_| rng.digit()));
            let c = ch_check(&d)?;
            format!("CHE{}{c}", join(&d))
        }
        "SE" => {
            d.push(5);
            d.extend((0..8).map(|_| rng.digit()));
            let c = luhn_check_digit(&d);
            format!("SE{}{c}01", join(&d))
        }
        "PL" => {
            d.push(nz(rng));
            d.extend((0..8).map(|_| rng.digit()));
            let c = pl_check(&d)?;
            format!("PL{}{c}", join(&d))
        }
        _ => format!("{}-{}", rng.range(10, 99), rng.digits(7)),
    })
}

/// Validates a normalised VAT id (as produced by [`gen_vat`]).
pub fn vat_valid(v: &str) -> bool {
    let (cc, rest) = v.split_at(v.len().min(2));
    let d = digits_of(rest);
    match cc {
        "DE" => rest.len() == 9 && d.len() == 9 && de_check(&d[..8]) == d[8],
        "FR" => {
            if rest.len() != 11 || d.len() != 11 {
                return false;
            }
            let key: u64 = join(&d[..2]).parse().unwrap_or(999);
            let siren: u64 = join(&d[2..]).parse().unwrap_or(0);
            key == (12 + 3 * (siren % 97)) % 97
        }
        "NL" => rest.len() == 12 && &rest[9..10] == "B" && d.len() == 11 && nl_sum(&d) % 11 == d[8],
        "BE" => {
            rest.len() == 10 && d.len() == 10 && {
                let n: u64 = join(&d[..8]).parse().unwrap_or(0);
                let c: u64 = join(&d[8..]).parse().unwrap_or(0);
                97 - n % 97 == c
            }
        }
        "IT" => rest.len() == 11 && d.len() == 11 && luhn_valid(&d),
        "ES" => rest.len() == 9 && d.len() == 8 && es_cif_check(&d[..7]) == d[7],
        "AT" => {
            rest.len() == 9 && rest.starts_with('U') && d.len() == 8 && at_check(&d[..7]) == d[7]
        }
        "GB" => {
            rest.len() == 9 && d.len() == 9 && (gb_sum(&d) + d[7] * 10 + d[8]).is_multiple_of(97)
        }
        "CH" => rest.len() == 10 && d.len() == 9 && ch_check(&d[..8]) == Some(d[8]),
        "SE" => rest.len() == 12 && d.len() == 12 && rest.ends_with("01") && luhn_valid(&d[..10]),
        "PL" => rest.len() == 10 && d.len() == 10 && pl_check(&d[..9]) == Some(d[9]),
        _ => v.len() == 10 && v.as_bytes().get(2) == Some(&b'-'),
    }
}

/// Changes one check-relevant digit so the id keeps its format but fails its checksum.
pub fn corrupt_vat(v: &str, rng: &mut Rng) -> String {
    for _ in 0..50 {
        let mut b: Vec<u8> = v.bytes().collect();
        let pos: Vec<usize> = (0..b.len()).filter(|&i| b[i].is_ascii_digit()).collect();
        // Only the last digit positions influence NL/SE suffixes ("B01", "01") trivially,
        // so pick among the core digits.
        let core: Vec<usize> = match &v[..2] {
            "NL" => pos.iter().copied().take(9).collect(),
            "SE" => pos.iter().copied().take(10).collect(),
            _ => pos,
        };
        let i = *rng.pick(&core);
        b[i] = b'0' + ((b[i] - b'0' + 1 + rng.below(8) as u8) % 10);
        let s = String::from_utf8(b).unwrap_or_default();
        if !vat_valid(&s) {
            return s;
        }
    }
    format!("{v}9")
}

/// BBAN length per IBAN country, and how its characters are drawn:
/// `n` digit, `a` upper-case letter, `c` alphanumeric.
fn bban_pattern(country: &str) -> &'static str {
    match country {
        "DE" => "nnnnnnnnnnnnnnnnnn",
        "FR" => "nnnnnnnnnnnnnnnnnnnnnnn",
        "NL" => "aaaannnnnnnnnn",
        "BE" => "nnnnnnnnnnnn",
        "ES" => "nnnnnnnnnnnnnnnnnnnn",
        "IT" => "annnnnnnnnnnnnnnnnnnnnn",
        "AT" => "nnnnnnnnnnnnnnnn",
        "GB" => "aaaannnnnnnnnnnnnn",
        "CH" => "nnnnnnnnnnnnnnnnn",
        "SE" => "nnnnnnnnnnnnnnnnnnnn",
        "PL" => "nnnnnnnnnnnnnnnnnnnnnnnn",
        _ => "nnnnnnnnnnnnnnnnnn",
    }
}

pub fn iban_length(country: &str) -> Option<usize> {
    let n = match country {
        "DE" | "GB" => 22,
        "FR" | "IT" => 27,
        "NL" => 18,
        "BE" => 16,
        "ES" | "SE" => 24,
        "AT" => 20,
        "CH" => 21,
        "PL" => 28,
        _ => return None,
    };
    Some(n)
}

fn mod97(s: &str) -> u32 {
    let mut r: u32 = 0;
    for c in s.chars() {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return 0,
        };
        r = if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        };
    }
    r
}

/// A valid IBAN for `country` whose bank part starts with `bank_letters` when the
/// country's BBAN begins with letters (so the BIC and IBAN agree).
pub fn gen_iban(country: &str, bank_letters: &str, rng: &mut Rng) -> String {
    let mut bban = String::new();
    let mut letters = bank_letters.chars();
    for p in bban_pattern(country).chars() {
        match p {
            'a' => bban.push(
                letters
                    .next()
                    .unwrap_or_else(|| char::from(b'A' + rng.below(26) as u8)),
            ),
            _ => bban.push(char::from(b'0' + rng.digit() as u8)),
        }
    }
    if country == "BE" {
        // The Belgian BBAN carries its own mod-97 national check.
        let n: u64 = bban[..10].parse().unwrap_or(0);
        let c = match n % 97 {
            0 => 97,
            c => c,
        };
        bban = format!("{}{c:02}", &bban[..10]);
    }
    let check = 98 - mod97(&format!("{bban}{country}00"));
    format!("{country}{check:02}{bban}")
}

pub fn iban_valid(iban: &str) -> bool {
    if iban.len() < 5
        || !iban
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    {
        return false;
    }
    let cc = &iban[..2];
    if iban_length(cc) != Some(iban.len()) {
        return false;
    }
    mod97(&format!("{}{}", &iban[4..], &iban[..4])) == 1
}

/// Flips one BBAN digit: format and length stay right, the mod-97 check fails.
pub fn corrupt_iban(iban: &str, rng: &mut Rng) -> String {
    loop {
        let mut b: Vec<u8> = iban.bytes().collect();
        let pos: Vec<usize> = (4..b.len()).filter(|&i| b[i].is_ascii_digit()).collect();
        let i = *rng.pick(&pos);
        b[i] = b'0' + ((b[i] - b'0' + 1 + rng.below(8) as u8) % 10);
        let s = String::from_utf8(b).unwrap_or_default();
        if !iban_valid(&s) {
            return s;
        }
    }
}

/// IBAN in print groups of four.
pub fn iban_grouped(iban: &str) -> String {
    let chars: Vec<char> = iban.chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Printed form of a VAT id as vendors write it (mostly the normalised form; CH with
/// its separators and suffix).
pub fn vat_display(v: &str, lang: &str) -> String {
    if let Some(rest) = v.strip_prefix("CHE") {
        let suffix = match lang {
            "fr" => "TVA",
            "it" => "IVA",
            _ => "MWST",
        };
        return format!("CHE-{}.{}.{} {suffix}", &rest[..3], &rest[3..6], &rest[6..]);
    }
    v.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_valid_ids() {
        // Published example ids with correct check digits.
        assert!(iban_valid("DE89370400440532013000"));
        assert!(iban_valid("GB29NWBK60161331926819"));
        assert!(iban_valid("BE68539007547034"));
        assert!(!iban_valid("DE89370400440532013001"));
        assert!(vat_valid("DE136695976"));
        assert!(vat_valid("ATU13585627"));
        assert!(vat_valid("BE0411905847"));
        assert!(vat_valid("IT00743110157"));
        assert!(!vat_valid("DE136695977"));
    }

    #[test]
    fn generated_ids_validate_and_corruptions_fail() {
        let mut rng = Rng::new(7);
        for cc in [
            "DE", "FR", "NL", "BE", "ES", "IT", "AT", "GB", "CH", "SE", "PL", "US",
        ] {
            for _ in 0..200 {
                let v = gen_vat(cc, &mut rng);
                assert!(vat_valid(&v), "{v}");
                if cc != "US" {
                    let bad = corrupt_vat(&v, &mut rng);
                    assert!(!vat_valid(&bad), "{bad}");
                }
                if let Some(len) = iban_length(cc) {
                    let i = gen_iban(cc, "ABCD", &mut rng);
                    assert_eq!(i.len(), len, "{i}");
                    assert!(iban_valid(&i), "{i}");
                    assert!(!iban_valid(&corrupt_iban(&i, &mut rng)));
                }
            }
        }
    }
}
