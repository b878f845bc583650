//! Mexico: CURP, RFC, CLABE, NSS (IMSS) and the INE clave de elector.

use super::{
    Facts, Kind, Persona, Problem, Validation, compact, date_ok, digits, luhn_ok, yymmdd_ok,
};

/// RENAPO's state codes of the CURP (positions 12-13); `NE` is "nacido en el extranjero".
const STATES: [(&str, &str); 33] = [
    ("AS", "Aguascalientes"),
    ("BC", "Baja California"),
    ("BS", "Baja California Sur"),
    ("CC", "Campeche"),
    ("CL", "Coahuila"),
    ("CM", "Colima"),
    ("CS", "Chiapas"),
    ("CH", "Chihuahua"),
    ("DF", "Ciudad de México"),
    ("DG", "Durango"),
    ("GT", "Guanajuato"),
    ("GR", "Guerrero"),
    ("HG", "Hidalgo"),
    ("JC", "Jalisco"),
    ("MC", "Estado de México"),
    ("MN", "Michoacán"),
    ("MS", "Morelos"),
    ("NT", "Nayarit"),
    ("NL", "Nuevo León"),
    ("OC", "Oaxaca"),
    ("PL", "Puebla"),
    ("QT", "Querétaro"),
    ("QR", "Quintana Roo"),
    ("SP", "San Luis Potosí"),
    ("SL", "Sinaloa"),
    ("SR", "Sonora"),
    ("TC", "Tabasco"),
    ("TS", "Tamaulipas"),
    ("TL", "Tlaxcala"),
    ("VZ", "Veracruz"),
    ("YN", "Yucatán"),
    ("ZS", "Zacatecas"),
    ("NE", "Nacido en el extranjero"),
];

/// The CURP's character values for its check digit: `0-9A-NÑO-Z` = 0..36.
const CURP_ALPHABET: &str = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ";
/// The RFC's character values for its check digit (SAT): `0-9A-N&O-Z`, space, `Ñ`.
const RFC_ALPHABET: &str = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ";

fn value_in(alphabet: &str, c: char) -> Option<u32> {
    alphabet.chars().position(|a| a == c).map(|p| p as u32)
}

fn is_consonant(c: char) -> bool {
    c.is_ascii_uppercase() && !matches!(c, 'A' | 'E' | 'I' | 'O' | 'U')
}

/// CURP: 4 letters (the second an inner vowel), birth date `YYMMDD`, sex `H`/`M`/`X`, state,
/// 3 inner consonants, a differentiator (digit before 2000, letter from 2000), and a check
/// digit: the values of the first 17 characters weighted 18..2, `(10 - sum mod 10) mod 10`.
pub fn curp(value: &str) -> Validation {
    let n = compact(value);
    let c: Vec<char> = n.chars().collect();
    if c.len() != 18 {
        return Validation::invalid(Kind::Curp, n, Problem::Length);
    }
    let letters_ok = c[..4].iter().all(|x| x.is_ascii_uppercase())
        && matches!(c[1], 'A' | 'E' | 'I' | 'O' | 'U' | 'X')
        && c[4..10].iter().all(|x| x.is_ascii_digit())
        && matches!(c[10], 'H' | 'M' | 'X')
        && c[11..13].iter().all(|x| x.is_ascii_uppercase())
        && c[13..16].iter().all(|&x| is_consonant(x))
        && c[16].is_ascii_alphanumeric()
        && c[17].is_ascii_digit();
    if !letters_ok {
        return Validation::invalid(Kind::Curp, n, Problem::Characters);
    }
    let b = n.as_bytes();
    let (Some(yy), Some(mm), Some(dd)) = (super::two(b, 4), super::two(b, 6), super::two(b, 8))
    else {
        return Validation::invalid(Kind::Curp, n, Problem::Characters);
    };
    let year = if c[16].is_ascii_digit() {
        1900 + yy
    } else {
        2000 + yy
    };
    if !date_ok(year, mm, dd) {
        return Validation::invalid(Kind::Curp, n, Problem::Date);
    }
    let state_code: String = c[11..13].iter().collect();
    let Some((_, state_name)) = STATES.iter().find(|(k, _)| *k == state_code) else {
        return Validation::invalid(Kind::Curp, n, Problem::Region);
    };
    let mut sum = 0u32;
    for (i, &ch) in c[..17].iter().enumerate() {
        let Some(v) = value_in(CURP_ALPHABET, ch) else {
            return Validation::invalid(Kind::Curp, n, Problem::Characters);
        };
        sum += v * (18 - i as u32);
    }
    let check = (10 - sum % 10) % 10;
    let holds = c[17].to_digit(10) == Some(check);
    let facts = Facts {
        birth_date: Some(format!("{year:04}-{mm:02}-{dd:02}")),
        sex: Some(c[10]),
        state: Some(format!("{state_code} {state_name}")),
        ..Facts::default()
    };
    Validation::valid(Kind::Curp, n, Some(holds), facts)
}

/// RFC: persona física = 4 letters + `YYMMDD` + homoclave of 3 (13 characters); persona
/// moral = 3 letters + date + homoclave (12). The last character is the check digit: the
/// values of the first 12 characters (the moral one padded with a leading space) weighted
/// 13..2, `(11 - sum mod 11) mod 11`, 10 written `A`. About 1.5 % of RFCs in use carry a wrong
/// check digit: those stay `format_valid` with `checksum: Some(false)`.
pub fn rfc(value: &str) -> Validation {
    let n = compact(value);
    let c: Vec<char> = n.chars().collect();
    let letters = match c.len() {
        13 => 4,
        12 => 3,
        _ => return Validation::invalid(Kind::Rfc, n, Problem::Length),
    };
    let is_letter = |x: char| x.is_ascii_uppercase() || x == 'Ñ' || x == '&';
    let shape_ok = c[..letters].iter().all(|&x| is_letter(x))
        && c[letters..letters + 6].iter().all(|x| x.is_ascii_digit())
        && c[letters + 6..letters + 8]
            .iter()
            .all(|x| x.is_ascii_alphanumeric())
        && (c[letters + 8].is_ascii_digit() || c[letters + 8] == 'A');
    if !shape_ok {
        return Validation::invalid(Kind::Rfc, n, Problem::Characters);
    }
    let date: String = c[letters..letters + 6].iter().collect();
    if !yymmdd_ok(date.as_bytes(), 0) {
        return Validation::invalid(Kind::Rfc, n, Problem::Date);
    }
    let mut padded: Vec<char> = Vec::with_capacity(12);
    if letters == 3 {
        padded.push(' ');
    }
    padded.extend_from_slice(&c[..c.len() - 1]);
    let mut sum = 0u32;
    for (i, &ch) in padded.iter().enumerate() {
        let Some(v) = value_in(RFC_ALPHABET, ch) else {
            return Validation::invalid(Kind::Rfc, n, Problem::Characters);
        };
        sum += v * (13 - i as u32);
    }
    let check = (11 - sum % 11) % 11;
    let expected = if check == 10 {
        'A'
    } else {
        char::from(b'0' + check as u8)
    };
    let holds = c[c.len() - 1] == expected;
    let generic = n == "XAXX010101000" || n == "XEXX010101000";
    let facts = Facts {
        date_yymmdd: Some(date),
        persona: Some(if letters == 4 {
            Persona::Fisica
        } else {
            Persona::Moral
        }),
        generic,
        ..Facts::default()
    };
    Validation::valid(Kind::Rfc, n, Some(holds), facts)
}

/// CLABE: bank (3) + plaza (3) + account (11) + check digit; weights 3, 7, 1 repeated, each
/// product taken mod 10, check `(10 - sum mod 10) mod 10`.
pub fn clabe(value: &str) -> Validation {
    let n = compact(value);
    let Some(d) = digits(&n) else {
        return Validation::invalid(Kind::Clabe, n, Problem::Characters);
    };
    if d.len() != 18 {
        return Validation::invalid(Kind::Clabe, n, Problem::Length);
    }
    const W: [u32; 3] = [3, 7, 1];
    let sum: u32 = d[..17]
        .iter()
        .enumerate()
        .map(|(i, &x)| (x * W[i % 3]) % 10)
        .sum();
    let holds = d[17] == (10 - sum % 10) % 10;
    let facts = Facts {
        issuer: Some(n[..3].to_string()),
        ..Facts::default()
    };
    Validation::valid(Kind::Clabe, n, Some(holds), facts)
}

/// NSS of the IMSS: subdelegación (2), year of registration (2), birth year (2), sequence
/// (4) and a Luhn check digit over the 11 digits.
pub fn nss(value: &str) -> Validation {
    let n = compact(value);
    let Some(d) = digits(&n) else {
        return Validation::invalid(Kind::Nss, n, Problem::Characters);
    };
    if d.len() != 11 {
        return Validation::invalid(Kind::Nss, n, Problem::Length);
    }
    let holds = luhn_ok(&d);
    Validation::valid(Kind::Nss, n, Some(holds), Facts::default())
}

/// INE (formerly IFE) clave de elector: 6 letters from the names, birth date `YYMMDD`, state
/// number 01-32, sex `H`/`M`, and 3 digits (homoclave). It has no check digit.
pub fn ine_clave(value: &str) -> Validation {
    let n = compact(value);
    let b = n.as_bytes();
    if n.chars().count() != 18 || b.len() != 18 {
        return Validation::invalid(Kind::IneClave, n, Problem::Length);
    }
    let shape_ok = b[..6].iter().all(u8::is_ascii_uppercase)
        && b[6..14].iter().all(u8::is_ascii_digit)
        && matches!(b[14], b'H' | b'M')
        && b[15..].iter().all(u8::is_ascii_digit);
    if !shape_ok {
        return Validation::invalid(Kind::IneClave, n, Problem::Characters);
    }
    if !yymmdd_ok(b, 6) {
        return Validation::invalid(Kind::IneClave, n, Problem::Date);
    }
    let state = super::two(b, 12).unwrap_or(0);
    if !(1..=32).contains(&state) {
        return Validation::invalid(Kind::IneClave, n, Problem::Region);
    }
    let facts = Facts {
        date_yymmdd: Some(n[6..12].to_string()),
        sex: Some(b[14] as char),
        state: Some(format!("{state:02}")),
        ..Facts::default()
    };
    Validation::valid(Kind::IneClave, n, None, facts)
}
