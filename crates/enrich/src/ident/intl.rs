//! Kinds met everywhere: email addresses, phone numbers, payment cards, IBANs, passports.

use super::{Facts, Kind, Problem, Validation, compact, digits, luhn_ok};
use phonenumber::country::Id;

/// An email address: a local part of `A-Z a-z 0-9 . _ % + -` (no leading, trailing or double
/// dot), `@`, and a domain of at least two labels whose last is 2-24 letters. Normalised with
/// the domain in lower case (the local part is kept as written).
pub fn email(value: &str) -> Validation {
    let v = value.trim();
    let Some((local, domain)) = v.rsplit_once('@') else {
        return Validation::invalid(Kind::Email, v.to_string(), Problem::Characters);
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
        && labels.last().is_some_and(|t| {
            (2..=24).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphabetic())
        });
    let normalized = format!("{local}@{}", domain.to_ascii_lowercase());
    if !local_ok || !domain_ok {
        return Validation::invalid(Kind::Email, normalized, Problem::Characters);
    }
    Validation::valid(Kind::Email, normalized, None, Facts::default())
}

/// The five countries whose national numbers trove reads without a `+` prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    Mx,
    Cl,
    Sv,
    Pe,
    Co,
}

impl Region {
    pub const ALL: [Region; 5] = [Region::Mx, Region::Co, Region::Cl, Region::Pe, Region::Sv];

    fn id(self) -> Id {
        match self {
            Region::Mx => Id::MX,
            Region::Cl => Id::CL,
            Region::Sv => Id::SV,
            Region::Pe => Id::PE,
            Region::Co => Id::CO,
        }
    }
}

/// Rewrites Mexican numbers written before the 2019-2020 dialling reform: `+52 1` + ten
/// digits (the mobile "1") becomes `+52` + ten digits; without a `+`, `044`/`045` + ten digits
/// and `01` + ten digits become the ten digits. Returns digits with an optional leading `+`.
fn mexican_legacy(plus: bool, d: &str, region: Option<Region>) -> String {
    if plus || d.starts_with("00") {
        let d = d.strip_prefix("00").unwrap_or(d);
        if d.len() == 13 && d.starts_with("521") {
            return format!("+52{}", &d[3..]);
        }
        return format!("+{d}");
    }
    if matches!(region, Some(Region::Mx) | None) {
        if d.len() == 13 && (d.starts_with("044") || d.starts_with("045")) {
            return d[3..].to_string();
        }
        if d.len() == 12 && d.starts_with("01") {
            return d[2..].to_string();
        }
    }
    d.to_string()
}

/// A phone number, normalised to E.164 with libphonenumber's metadata (the `phonenumber`
/// crate). Without a `+` the number is read in `region`, or, when `None`, in the first of
/// MX, CO, CL, PE, SV where it is valid. Old Mexican prefixes are rewritten first.
pub fn phone(value: &str, region: Option<Region>) -> Validation {
    let trimmed = value.trim();
    let plus = trimmed.starts_with('+');
    let d: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if d.len() < 7 || d.len() > 15 {
        return Validation::invalid(Kind::Phone, d, Problem::Length);
    }
    let s = mexican_legacy(plus, &d, region);
    let regions: Vec<Option<Id>> = if s.starts_with('+') {
        vec![None]
    } else {
        match region {
            Some(r) => vec![Some(r.id())],
            None => Region::ALL.iter().map(|r| Some(r.id())).collect(),
        }
    };
    for id in regions {
        let Ok(number) = phonenumber::parse(id, &s) else {
            continue;
        };
        if !number.is_valid() {
            continue;
        }
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        let line = number.number_type(&phonenumber::metadata::DATABASE);
        let facts = Facts {
            country: number.country().id().map(|c| format!("{c:?}")),
            line_type: Some(line_type_name(line).to_string()),
            ..Facts::default()
        };
        return Validation::valid(Kind::Phone, e164, None, facts);
    }
    Validation::invalid(Kind::Phone, s, Problem::Region)
}

fn line_type_name(t: phonenumber::Type) -> &'static str {
    use phonenumber::Type as T;
    match t {
        T::FixedLine => "fixed_line",
        T::Mobile => "mobile",
        T::FixedLineOrMobile => "fixed_line_or_mobile",
        T::TollFree => "toll_free",
        T::PremiumRate => "premium_rate",
        T::SharedCost => "shared_cost",
        T::PersonalNumber => "personal_number",
        T::Voip => "voip",
        T::Pager => "pager",
        T::Uan => "uan",
        T::Voicemail => "voicemail",
        _ => "unknown",
    }
}

/// The card network of a number by its IIN range and length (ISO/IEC 7812 ranges as the
/// networks publish them).
fn card_issuer(n: &str) -> Option<&'static str> {
    let len = n.len();
    let p = |k: usize| n.get(..k).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
    if n.starts_with('4') && matches!(len, 13 | 16 | 19) {
        return Some("visa");
    }
    if ((51..=55).contains(&p(2)) || (2221..=2720).contains(&p(4))) && len == 16 {
        return Some("mastercard");
    }
    if matches!(p(2), 34 | 37) && len == 15 {
        return Some("amex");
    }
    if ((300..=305).contains(&p(3)) || matches!(p(2), 36 | 38 | 39)) && (14..=19).contains(&len) {
        return Some("diners");
    }
    if (p(4) == 6011 || p(2) == 65 || (644..=649).contains(&p(3))) && (16..=19).contains(&len) {
        return Some("discover");
    }
    if (3528..=3589).contains(&p(4)) && (16..=19).contains(&len) {
        return Some("jcb");
    }
    if p(2) == 62 && (16..=19).contains(&len) {
        return Some("unionpay");
    }
    if (p(2) == 50 || (56..=69).contains(&p(2))) && (13..=19).contains(&len) {
        return Some("maestro");
    }
    None
}

/// A payment card number: 13-19 digits in a known issuer's range and length, Luhn check.
pub fn card(value: &str) -> Validation {
    let n = compact(value);
    let Some(d) = digits(&n) else {
        return Validation::invalid(Kind::Card, n, Problem::Characters);
    };
    if !(13..=19).contains(&d.len()) {
        return Validation::invalid(Kind::Card, n, Problem::Length);
    }
    let Some(issuer) = card_issuer(&n) else {
        return Validation::invalid(Kind::Card, n, Problem::Prefix);
    };
    let facts = Facts {
        issuer: Some(issuer.to_string()),
        ..Facts::default()
    };
    Validation::valid(Kind::Card, n, Some(luhn_ok(&d)), facts)
}

/// IBAN lengths by country (ISO 13616 registry, as published by SWIFT).
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HN", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

/// The registered IBAN length of a country code.
pub(crate) fn iban_length(country: &str) -> Option<usize> {
    IBAN_LENGTHS
        .iter()
        .find(|(c, _)| *c == country)
        .map(|&(_, l)| l)
}

/// IBAN: country code, two check digits, BBAN of the country's registered length; the check
/// (ISO 7064 mod 97-10): move the first four characters to the end, letters to 10..35, the
/// number mod 97 must be 1.
pub fn iban(value: &str) -> Validation {
    let n = compact(value);
    let b = n.as_bytes();
    if b.len() < 5 || !b.iter().all(u8::is_ascii_alphanumeric) {
        return Validation::invalid(Kind::Iban, n, Problem::Characters);
    }
    if !(b[0].is_ascii_uppercase()
        && b[1].is_ascii_uppercase()
        && b[2].is_ascii_digit()
        && b[3].is_ascii_digit())
    {
        return Validation::invalid(Kind::Iban, n, Problem::Characters);
    }
    let Some(len) = iban_length(&n[..2]) else {
        return Validation::invalid(Kind::Iban, n, Problem::Region);
    };
    if b.len() != len {
        return Validation::invalid(Kind::Iban, n, Problem::Length);
    }
    let mut rem: u32 = 0;
    for &c in b[4..].iter().chain(&b[..4]) {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            _ => u32::from(c - b'A') + 10,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    let facts = Facts {
        country: Some(n[..2].to_string()),
        ..Facts::default()
    };
    Validation::valid(Kind::Iban, n, Some(rem == 1), facts)
}

/// A passport number: up to 3 letters then 6-9 digits (Mexico `G12345678`, Colombia
/// `AB1234567`, Peru and Chile digits), 6-10 characters. No check digit outside the MRZ; the
/// detector needs a context word.
pub fn passport(value: &str) -> Validation {
    let n = compact(value);
    let b = n.as_bytes();
    if !(6..=10).contains(&b.len()) || n.chars().count() != b.len() {
        return Validation::invalid(Kind::Passport, n, Problem::Length);
    }
    let letters = b.iter().take_while(|c| c.is_ascii_uppercase()).count();
    let rest = &b[letters..];
    if letters > 3 || rest.len() < 6 || !rest.iter().all(u8::is_ascii_digit) {
        return Validation::invalid(Kind::Passport, n, Problem::Characters);
    }
    Validation::valid(Kind::Passport, n, None, Facts::default())
}
