//! Identifier checks shared by the built-in stages and available to rule authors.

/// IBAN with spaces removed and upper-cased (`de89 3704 ...` → `DE893704...`).
pub fn normalize_iban(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(|c| c.to_uppercase())
        .collect()
}

/// The registered IBAN length of a country (ISO 13616 registry), if known.
#[rustfmt::skip] // reason: a registry table reads best as a table
pub fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "AD" => 24, "AE" => 23, "AL" => 28, "AT" => 20, "AZ" => 28, "BA" => 20, "BE" => 16,
        "BG" => 22, "BH" => 22, "BR" => 29, "BY" => 28, "CH" => 21, "CR" => 22, "CY" => 28,
        "CZ" => 24, "DE" => 22, "DK" => 18, "DO" => 28, "EE" => 20, "EG" => 29, "ES" => 24,
        "FI" => 18, "FO" => 18, "FR" => 27, "GB" => 22, "GE" => 22, "GI" => 23, "GL" => 18,
        "GR" => 27, "GT" => 28, "HR" => 21, "HU" => 28, "IE" => 22, "IL" => 23, "IQ" => 23,
        "IS" => 26, "IT" => 27, "JO" => 30, "KW" => 30, "KZ" => 20, "LB" => 28, "LC" => 32,
        "LI" => 21, "LT" => 20, "LU" => 20, "LV" => 21, "MC" => 27, "MD" => 24, "ME" => 22,
        "MK" => 19, "MR" => 27, "MT" => 31, "MU" => 30, "NL" => 18, "NO" => 15, "PK" => 24,
        "PL" => 28, "PS" => 29, "PT" => 25, "QA" => 29, "RO" => 24, "RS" => 22, "SA" => 24,
        "SC" => 31, "SE" => 24, "SI" => 19, "SK" => 24, "SM" => 27, "TL" => 23, "TN" => 24,
        "TR" => 26, "UA" => 29, "VA" => 22, "VG" => 24, "XK" => 20,
        _ => return None,
    })
}

/// Why an IBAN is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IbanProblem {
    /// Not `[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}`.
    Format,
    /// A country with no IBAN in the registry.
    UnknownCountry(String),
    /// The wrong length for its country.
    Length {
        country: String,
        expected: usize,
        found: usize,
    },
    /// The mod-97 check fails.
    Checksum,
}

impl std::fmt::Display for IbanProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IbanProblem::Format => write!(f, "not in IBAN format"),
            IbanProblem::UnknownCountry(c) => write!(f, "country {c} has no IBAN"),
            IbanProblem::Length {
                country,
                expected,
                found,
            } => {
                write!(
                    f,
                    "{country} IBANs have {expected} characters, this one has {found}"
                )
            }
            IbanProblem::Checksum => write!(f, "the check digits do not match (mod 97 ≠ 1)"),
        }
    }
}

/// Check an IBAN (any spacing / case) against ISO 13616: format, the country's
/// length, and mod 97 = 1.
pub fn check_iban(s: &str) -> Result<(), IbanProblem> {
    let iban = normalize_iban(s);
    let b = iban.as_bytes();
    if b.len() < 15
        || b.len() > 34
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b[4..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Err(IbanProblem::Format);
    }
    let country = &iban[..2];
    let expected =
        iban_length(country).ok_or_else(|| IbanProblem::UnknownCountry(country.into()))?;
    if expected != b.len() {
        return Err(IbanProblem::Length {
            country: country.into(),
            expected,
            found: b.len(),
        });
    }
    if iban_mod97(&iban) != 1 {
        return Err(IbanProblem::Checksum);
    }
    Ok(())
}

/// True when [`check_iban`] passes.
pub fn iban_is_valid(s: &str) -> bool {
    check_iban(s).is_ok()
}

/// The ISO 7064 mod-97 remainder of a normalised IBAN (first four characters moved
/// to the end, letters as 10..35).
pub fn iban_mod97(iban: &str) -> u32 {
    let rearranged = iban[4..].bytes().chain(iban[..4].bytes());
    let mut rem: u32 = 0;
    for c in rearranged {
        let v = if c.is_ascii_digit() {
            (c - b'0') as u32
        } else {
            (c - b'A') as u32 + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem
}

/// True for a BIC: `[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?`.
pub fn bic_is_valid(s: &str) -> bool {
    let b = s.trim().as_bytes();
    (b.len() == 8 || b.len() == 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans() {
        assert_eq!(check_iban("DE89 3704 0044 0532 0130 00"), Ok(()));
        assert_eq!(check_iban("GB82WEST12345698765432"), Ok(()));
        assert_eq!(
            check_iban("DE89 3704 0044 0532 0130 01"),
            Err(IbanProblem::Checksum)
        );
        assert!(matches!(
            check_iban("DE89370400440532013"),
            Err(IbanProblem::Length { .. })
        ));
        assert_eq!(check_iban("hello"), Err(IbanProblem::Format));
    }

    #[test]
    fn bics() {
        assert!(bic_is_valid("COBADEFFXXX"));
        assert!(bic_is_valid("DEUTDEFF"));
        assert!(!bic_is_valid("DEUT1EFF"));
    }
}
