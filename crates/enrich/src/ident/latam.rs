//! Chile (RUT/RUN), El Salvador (DUI, NIT), Peru (DNI, RUC) and Colombia (cédula, NIT).

use super::{Facts, Kind, Problem, Validation, compact, date_ok, digits};

/// Chile's RUT/RUN: a body of 1-8 digits and a check character: the body's digits from the
/// right weighted 2, 3, 4, 5, 6, 7 (repeating), `11 - sum mod 11`, 11 → `0`, 10 → `K`.
/// Normalised as `BODY-C` without dots.
pub fn rut(value: &str) -> Validation {
    let n = compact(value);
    if !n.is_ascii() {
        return Validation::invalid(Kind::Rut, n, Problem::Characters);
    }
    if n.len() < 2 || n.len() > 9 {
        return Validation::invalid(Kind::Rut, n, Problem::Length);
    }
    let (body, check) = n.split_at(n.len() - 1);
    let Some(d) = digits(body) else {
        return Validation::invalid(Kind::Rut, n, Problem::Characters);
    };
    let check = check.chars().next().unwrap_or(' ');
    if !(check.is_ascii_digit() || check == 'K') {
        return Validation::invalid(Kind::Rut, n, Problem::Characters);
    }
    const W: [u32; 6] = [2, 3, 4, 5, 6, 7];
    let sum: u32 = d.iter().rev().enumerate().map(|(i, &x)| x * W[i % 6]).sum();
    let expected = match 11 - sum % 11 {
        11 => '0',
        10 => 'K',
        r => char::from(b'0' + r as u8),
    };
    let body = body.trim_start_matches('0');
    let normalized = format!("{}-{check}", if body.is_empty() { "0" } else { body });
    Validation::valid(
        Kind::Rut,
        normalized,
        Some(check == expected),
        Facts::default(),
    )
}

/// El Salvador's DUI: 8 digits and a check digit, weights 9..2, `(10 - sum mod 10) mod 10`.
/// The issuer does not publish the algorithm; this is the one documented by others and met
/// in practice. Normalised as `DDDDDDDD-D`.
pub fn dui(value: &str) -> Validation {
    let n = compact(value);
    let Some(d) = digits(&n) else {
        return Validation::invalid(Kind::Dui, n, Problem::Characters);
    };
    if d.len() != 9 {
        return Validation::invalid(Kind::Dui, n, Problem::Length);
    }
    let sum: u32 = d[..8]
        .iter()
        .enumerate()
        .map(|(i, &x)| x * (9 - i as u32))
        .sum();
    let holds = d[8] == (10 - sum % 10) % 10;
    Validation::valid(
        Kind::Dui,
        format!("{}-{}", &n[..8], &n[8..]),
        Some(holds),
        Facts::default(),
    )
}

/// El Salvador's NIT: municipality (4), date `DDMMYY` (6), sequence (3), check digit. With a
/// sequence up to 100 the first 13 digits are weighted 14..2 and the check is
/// `(sum mod 11) mod 10`; above 100, weights 2,7,6,5,4,3 (repeating) and `(-sum mod 11) mod 10`.
pub fn nit_sv(value: &str) -> Validation {
    let n = compact(value);
    let Some(d) = digits(&n) else {
        return Validation::invalid(Kind::NitSv, n, Problem::Characters);
    };
    if d.len() != 14 {
        return Validation::invalid(Kind::NitSv, n, Problem::Length);
    }
    let (dd, mm, yy) = (d[4] * 10 + d[5], d[6] * 10 + d[7], d[8] * 10 + d[9]);
    if !(date_ok(1900 + yy, mm, dd) || date_ok(2000 + yy, mm, dd)) {
        return Validation::invalid(Kind::NitSv, n, Problem::Date);
    }
    let seq = d[10] * 100 + d[11] * 10 + d[12];
    let check = if seq <= 100 {
        let sum: u32 = d[..13]
            .iter()
            .enumerate()
            .map(|(i, &x)| x * (14 - i as u32))
            .sum();
        (sum % 11) % 10
    } else {
        const W: [u32; 13] = [2, 7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
        let sum: u32 = d[..13].iter().zip(W).map(|(&x, w)| x * w).sum();
        ((11 - sum % 11) % 11) % 10
    };
    let normalized = format!("{}-{}-{}-{}", &n[..4], &n[4..10], &n[10..13], &n[13..]);
    Validation::valid(
        Kind::NitSv,
        normalized,
        Some(d[13] == check),
        Facts::default(),
    )
}

/// Peru's DNI: 8 digits, optionally followed by its check character (a digit or a letter,
/// rarely written). The check is verified when written: weights 3,2,7,6,5,4,3,2, index
/// `sum mod 11` into the digits `65432110987` or the letters `KJIHGFEDCBA`.
pub fn dni_pe(value: &str) -> Validation {
    let n = compact(value);
    if !n.is_ascii() {
        return Validation::invalid(Kind::DniPe, n, Problem::Characters);
    }
    let (body, check) = match n.len() {
        8 => (n.as_str(), None),
        9 => (&n[..8], n[8..].chars().next()),
        _ => return Validation::invalid(Kind::DniPe, n, Problem::Length),
    };
    let Some(d) = digits(body) else {
        return Validation::invalid(Kind::DniPe, n, Problem::Characters);
    };
    let holds = check.map(|c| {
        const W: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
        let sum: u32 = d.iter().zip(W).map(|(&x, w)| x * w).sum();
        // One index, sum mod 11, written either as a digit or as a letter.
        let k = (sum % 11) as usize;
        c == char::from(b"65432110987"[k]) || c == char::from(b"KJIHGFEDCBA"[k])
    });
    Validation::valid(Kind::DniPe, body.to_string(), holds, Facts::default())
}

/// Peru's RUC: 11 digits, prefix 10 (persona natural, followed by the DNI), 15, 16, 17 or
/// 20 (companies); weights 5,4,3,2,7,6,5,4,3,2, check `(11 - sum mod 11) mod 10`.
pub fn ruc(value: &str) -> Validation {
    let n = compact(value);
    let Some(d) = digits(&n) else {
        return Validation::invalid(Kind::Ruc, n, Problem::Characters);
    };
    if d.len() != 11 {
        return Validation::invalid(Kind::Ruc, n, Problem::Length);
    }
    if !matches!(&n[..2], "10" | "15" | "16" | "17" | "20") {
        return Validation::invalid(Kind::Ruc, n, Problem::Prefix);
    }
    const W: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = d[..10].iter().zip(W).map(|(&x, w)| x * w).sum();
    let holds = d[10] == (11 - sum % 11) % 10;
    let facts = Facts {
        dni: (&n[..2] == "10").then(|| n[2..10].to_string()),
        ..Facts::default()
    };
    Validation::valid(Kind::Ruc, n, Some(holds), facts)
}

/// Colombia's cédula de ciudadanía: 6 to 10 digits, no check digit (the detector needs a
/// context word).
pub fn cedula_co(value: &str) -> Validation {
    let n = compact(value);
    if digits(&n).is_none() {
        return Validation::invalid(Kind::CedulaCo, n, Problem::Characters);
    }
    if !(6..=10).contains(&n.len()) || n.starts_with('0') {
        return Validation::invalid(Kind::CedulaCo, n, Problem::Length);
    }
    Validation::valid(Kind::CedulaCo, n, None, Facts::default())
}

/// Colombia's NIT (DIAN): a body of up to 15 digits (usually 9) and a check digit; the
/// body's digits from the right weighted 3,7,13,17,19,23,29,37,41,43,47,53,59,67,71,
/// `r = sum mod 11`, check `r` when `r < 2`, else `11 - r`. Normalised as `BODY-C`.
pub fn nit_co(value: &str) -> Validation {
    let n = compact(value);
    let Some(d) = digits(&n) else {
        return Validation::invalid(Kind::NitCo, n, Problem::Characters);
    };
    if d.len() < 8 || d.len() > 16 {
        return Validation::invalid(Kind::NitCo, n, Problem::Length);
    }
    const P: [u32; 15] = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
    let body = &d[..d.len() - 1];
    let sum: u32 = body.iter().rev().zip(P).map(|(&x, p)| x * p).sum();
    let r = sum % 11;
    let check = if r < 2 { r } else { 11 - r };
    let normalized = format!("{}-{}", &n[..n.len() - 1], &n[n.len() - 1..]);
    Validation::valid(
        Kind::NitCo,
        normalized,
        Some(d[d.len() - 1] == check),
        Facts::default(),
    )
}
