//! Personal identifiers: one validator per kind, and a detector ([`detect`]) that finds them
//! in free text.
//!
//! Every validator takes a value as people write it (with or without dots, dashes, spaces;
//! any case) and returns a [`Validation`]: whether the shape is right (`format_valid`),
//! whether the check digit holds (`checksum`: `Some(true)`, `Some(false)`, or `None` when the
//! kind has no check digit or it was not written), the normalised form, and the facts the
//! value carries (birth date, state, persona física/moral, bank, issuer, country).
//! A value whose check digit fails stays `format_valid` with `checksum: Some(false)`: such
//! values are reported as what they are and never count as an exposure
//! ([`Validation::is_exposure`]).
//!
//! The algorithms are re-implemented from their published descriptions (RENAPO and SAT for
//! CURP and RFC, Banxico for CLABE, IMSS for NSS, SII for RUT, Hacienda for El Salvador's
//! NIT, SUNAT for RUC, DIAN for Colombia's NIT, ISO 13616 for IBAN, ISO/IEC 7812 for cards).

pub mod detect;
mod intl;
mod latam;
mod mx;

pub use intl::{Region, card, email, iban, passport, phone};
pub use latam::{cedula_co, dni_pe, dui, nit_co, nit_sv, ruc, rut};
pub use mx::{clabe, curp, ine_clave, nss, rfc};

use serde::Serialize;

/// The kinds of identifier trove knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Mexico: Clave Única de Registro de Población (18 characters, check digit).
    Curp,
    /// Mexico: Registro Federal de Contribuyentes (13 física / 12 moral, check digit).
    Rfc,
    /// Mexico: Clave Bancaria Estandarizada (18 digits, check digit).
    Clabe,
    /// Mexico: Número de Seguridad Social of the IMSS (11 digits, Luhn).
    Nss,
    /// Mexico: INE/IFE clave de elector (18 characters, no check digit).
    IneClave,
    /// Chile: RUT / RUN (mod 11, K).
    Rut,
    /// El Salvador: Documento Único de Identidad (8 digits + check digit).
    Dui,
    /// El Salvador: Número de Identificación Tributaria (14 digits, check digit).
    NitSv,
    /// Peru: Documento Nacional de Identidad (8 digits; context needed).
    DniPe,
    /// Peru: Registro Único de Contribuyentes (11 digits, mod 11).
    Ruc,
    /// Colombia: cédula de ciudadanía (no check digit; context needed).
    CedulaCo,
    /// Colombia: NIT (9 digits + mod 11 check digit).
    NitCo,
    /// An email address.
    Email,
    /// A phone number of MX, CL, SV, PE or CO, normalised to E.164.
    Phone,
    /// A payment card number (Luhn and issuer ranges).
    Card,
    /// An International Bank Account Number (mod 97).
    Iban,
    /// A passport number (context needed).
    Passport,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 17] = [
        Kind::Curp,
        Kind::Rfc,
        Kind::Clabe,
        Kind::Nss,
        Kind::IneClave,
        Kind::Rut,
        Kind::Dui,
        Kind::NitSv,
        Kind::DniPe,
        Kind::Ruc,
        Kind::CedulaCo,
        Kind::NitCo,
        Kind::Email,
        Kind::Phone,
        Kind::Card,
        Kind::Iban,
        Kind::Passport,
    ];

    /// The name used in JSON and query fields (`curp`, `nit_co`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Curp => "curp",
            Kind::Rfc => "rfc",
            Kind::Clabe => "clabe",
            Kind::Nss => "nss",
            Kind::IneClave => "ine_clave",
            Kind::Rut => "rut",
            Kind::Dui => "dui",
            Kind::NitSv => "nit_sv",
            Kind::DniPe => "dni_pe",
            Kind::Ruc => "ruc",
            Kind::CedulaCo => "cedula_co",
            Kind::NitCo => "nit_co",
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Card => "card",
            Kind::Iban => "iban",
            Kind::Passport => "passport",
        }
    }

    /// Whether the kind carries a check digit that a validator verifies.
    pub fn has_checksum(self) -> bool {
        matches!(
            self,
            Kind::Curp
                | Kind::Rfc
                | Kind::Clabe
                | Kind::Nss
                | Kind::Rut
                | Kind::Dui
                | Kind::NitSv
                | Kind::Ruc
                | Kind::NitCo
                | Kind::Card
                | Kind::Iban
        )
    }

    /// Whether the detector reports the kind only beside a context word (or a column hint):
    /// the shape alone (a run of digits) says nothing.
    pub fn needs_context(self) -> bool {
        matches!(
            self,
            Kind::DniPe | Kind::CedulaCo | Kind::Passport | Kind::Nss | Kind::Ruc | Kind::Phone
        )
    }
}

/// Persona física (a person) or moral (a company), as an RFC's length tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Persona {
    Fisica,
    Moral,
}

/// Why a value is not of its kind's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    #[error("wrong length")]
    Length,
    #[error("character not allowed at its position")]
    Characters,
    #[error("the embedded date does not exist")]
    Date,
    #[error("unknown state, country or region code")]
    Region,
    #[error("unknown issuer or prefix")]
    Prefix,
}

/// Facts a value carries. Only the fields that apply to its kind are set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// CURP: birth date, `YYYY-MM-DD` (the century comes from the 17th character).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// RFC and INE: the embedded date as written, `YYMMDD` (its century is not encoded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_yymmdd: Option<String>,
    /// CURP and INE: `H` (hombre), `M` (mujer) or `X`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex: Option<char>,
    /// CURP: state of birth (two letters and name, `NE` = born abroad); INE: state number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// RFC: persona física or moral.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona: Option<Persona>,
    /// RFC: one of the SAT's generic RFCs (público en general, extranjero), not a person's.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub generic: bool,
    /// CLABE: the three-digit bank code. Card: the issuer network. IBAN: the bank part.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Phone and IBAN: ISO 3166 alpha-2 country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Phone: mobile, fixed_line, ... as libphonenumber's metadata says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_type: Option<String>,
    /// Peru RUC of a persona natural (prefix 10): the owner's DNI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dni: Option<String>,
}

/// The result of validating one value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    pub kind: Kind,
    /// The value has its kind's shape (length, characters, date, region code).
    pub format_valid: bool,
    /// `Some(true)`: the check digit holds; `Some(false)`: it fails; `None`: the kind has no
    /// check digit, it was not written, or the format is not valid.
    pub checksum: Option<bool>,
    /// The canonical form: upper case, separators removed (E.164 for phones, lower-case
    /// domain for emails, `12345678-5` for RUTs).
    pub normalized: String,
    /// Why `format_valid` is false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    pub facts: Facts,
}

impl Validation {
    pub(crate) fn invalid(kind: Kind, normalized: String, problem: Problem) -> Self {
        Validation {
            kind,
            format_valid: false,
            checksum: None,
            normalized,
            problem: Some(problem),
            facts: Facts::default(),
        }
    }

    pub(crate) fn valid(
        kind: Kind,
        normalized: String,
        checksum: Option<bool>,
        facts: Facts,
    ) -> Self {
        Validation {
            kind,
            format_valid: true,
            checksum,
            normalized,
            problem: None,
            facts,
        }
    }

    /// Whether the value counts as an exposed identifier: the format holds, the check digit
    /// does not fail, and it is not a generic placeholder.
    pub fn is_exposure(&self) -> bool {
        self.format_valid && self.checksum != Some(false) && !self.facts.generic
    }
}

/// Validates `value` as `kind`. Phones are read with no default region (use
/// [`phone`] to pass one); Peru's DNI check character is verified when written.
pub fn validate(kind: Kind, value: &str) -> Validation {
    match kind {
        Kind::Curp => curp(value),
        Kind::Rfc => rfc(value),
        Kind::Clabe => clabe(value),
        Kind::Nss => nss(value),
        Kind::IneClave => ine_clave(value),
        Kind::Rut => rut(value),
        Kind::Dui => dui(value),
        Kind::NitSv => nit_sv(value),
        Kind::DniPe => dni_pe(value),
        Kind::Ruc => ruc(value),
        Kind::CedulaCo => cedula_co(value),
        Kind::NitCo => nit_co(value),
        Kind::Email => email(value),
        Kind::Phone => phone(value, None),
        Kind::Card => card(value),
        Kind::Iban => iban(value),
        Kind::Passport => passport(value),
    }
}

/// Upper case, with spaces, dots, dashes, slashes and line breaks removed.
pub(crate) fn compact(value: &str) -> String {
    value
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '/' | '\t' | '\r' | '\n' | '\u{a0}'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// The digits of `s`, or `None` when a character is not an ASCII digit.
pub(crate) fn digits(s: &str) -> Option<Vec<u32>> {
    s.chars().map(|c| c.to_digit(10)).collect()
}

/// Luhn (ISO/IEC 7812): doubling every second digit from the right; true when the sum is
/// a multiple of 10.
pub(crate) fn luhn_ok(d: &[u32]) -> bool {
    let sum: u32 = d
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 1 {
                let y = x * 2;
                if y > 9 { y - 9 } else { y }
            } else {
                x
            }
        })
        .sum();
    sum % 10 == 0
}

pub(crate) fn is_leap(year: u32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub(crate) fn date_ok(year: u32, month: u32, day: u32) -> bool {
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => return false,
    };
    day >= 1 && day <= days
}

/// Two decimal digits at `i` of an ASCII string of digits.
pub(crate) fn two(s: &[u8], i: usize) -> Option<u32> {
    let a = (*s.get(i)? as char).to_digit(10)?;
    let b = (*s.get(i + 1)? as char).to_digit(10)?;
    Some(a * 10 + b)
}

/// A `YYMMDD` date whose century is unknown: valid in the 1900s or the 2000s.
pub(crate) fn yymmdd_ok(s: &[u8], i: usize) -> bool {
    match (two(s, i), two(s, i + 2), two(s, i + 4)) {
        (Some(y), Some(m), Some(d)) => date_ok(1900 + y, m, d) || date_ok(2000 + y, m, d),
        _ => false,
    }
}
