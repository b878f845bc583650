//! The detector: finds identifiers in free text in the forms people write them (with or
//! without dots, dashes and spaces; a line break from OCR inside a value), validates each,
//! and scores how sure it is.
//!
//! Rules are regular expressions for candidate shapes; each candidate is validated with its
//! kind's validator. Context words before a value ("CURP", "RFC", "RUT", "cédula", "C.C.",
//! "DNI", "pasaporte", "Tel.", "cel." ...; accents and case folded) raise confidence and are
//! required for the kinds whose shape alone says nothing (DNI, cédula, passport, NSS, RUC,
//! phones written without `+`). A column header passed to [`detect_with_hint`] acts as a
//! context word for every value of its cells.
//!
//! A value of the right shape whose check digit fails is reported with
//! `validation.checksum == Some(false)` when the shape is specific (CURP, RFC, IBAN, a dotted
//! RUT) or a context word names its kind; a bare run of digits that fails is not reported.
//! [`Detection::is_exposure`] is false for every failed check.

use super::intl::iban_length;
use super::{Kind, Validation, validate};
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;

/// One identifier found in a text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    pub kind: Kind,
    /// The rule that fired (`curp`, `rut-dotted`, `phone-context`, ...); `+ocr-join` is
    /// appended when the value was read across a line break.
    pub rule: String,
    /// The value as written (with its separators and any line break).
    pub text: String,
    /// Byte offsets into the text, `start..end`.
    pub byte_start: usize,
    pub byte_end: usize,
    /// Character (Unicode scalar) offsets into the text.
    pub char_start: usize,
    pub char_end: usize,
    /// The value with up to 40 characters either side, line breaks as spaces.
    pub snippet: String,
    /// The context word (folded) or column hint that named the kind, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    pub validation: Validation,
    /// 0..1: how sure the detector is that this is a real value of its kind.
    pub confidence: f32,
}

impl Detection {
    /// A valid identifier: right format, check digit not failing, not a placeholder.
    pub fn is_exposure(&self) -> bool {
        self.validation.is_exposure()
    }
}

/// Finds identifiers in `text`.
pub fn detect(text: &str) -> Vec<Detection> {
    detect_inner(text, None)
}

/// Finds identifiers in `text`, a spreadsheet cell or column, whose column header is `hint`
/// ("CURP", "Teléfono", "Cédula", ...): the kinds the header names count as context for
/// every value.
pub fn detect_with_hint(text: &str, hint: &str) -> Vec<Detection> {
    let folded = fold(hint);
    let kinds = keywords_in(&folded);
    let hint = Hint {
        kinds,
        label: hint.trim().to_string(),
    };
    detect_inner(text, Some(&hint))
}

struct Hint {
    kinds: Vec<Kind>,
    label: String,
}

/// Context words, folded (lower case, no accents), and the kinds they name.
const KEYWORDS: &[(&str, &[Kind])] = &[
    ("curp", &[Kind::Curp]),
    ("rfc", &[Kind::Rfc]),
    ("r.f.c", &[Kind::Rfc]),
    ("clabe", &[Kind::Clabe]),
    ("nss", &[Kind::Nss]),
    ("imss", &[Kind::Nss]),
    ("seguro social", &[Kind::Nss]),
    ("afiliacion", &[Kind::Nss]),
    ("clave de elector", &[Kind::IneClave]),
    ("clave elector", &[Kind::IneClave]),
    ("ine", &[Kind::IneClave]),
    ("ife", &[Kind::IneClave]),
    ("credencial para votar", &[Kind::IneClave]),
    ("rut", &[Kind::Rut]),
    ("run", &[Kind::Rut]),
    ("r.u.t", &[Kind::Rut]),
    ("rol unico tributario", &[Kind::Rut]),
    ("dui", &[Kind::Dui]),
    ("nit", &[Kind::NitSv, Kind::NitCo]),
    ("n.i.t", &[Kind::NitSv, Kind::NitCo]),
    ("dni", &[Kind::DniPe]),
    ("d.n.i", &[Kind::DniPe]),
    ("documento nacional de identidad", &[Kind::DniPe]),
    ("ruc", &[Kind::Ruc]),
    ("r.u.c", &[Kind::Ruc]),
    ("cedula", &[Kind::CedulaCo]),
    ("c.c", &[Kind::CedulaCo]),
    ("cc", &[Kind::CedulaCo]),
    ("tel", &[Kind::Phone]),
    ("tels", &[Kind::Phone]),
    ("telefono", &[Kind::Phone]),
    ("telefonos", &[Kind::Phone]),
    ("tlf", &[Kind::Phone]),
    ("cel", &[Kind::Phone]),
    ("celular", &[Kind::Phone]),
    ("movil", &[Kind::Phone]),
    ("fax", &[Kind::Phone]),
    ("whatsapp", &[Kind::Phone]),
    ("conmutador", &[Kind::Phone]),
    ("phone", &[Kind::Phone]),
    ("mobile", &[Kind::Phone]),
    ("tarjeta", &[Kind::Card]),
    ("visa", &[Kind::Card]),
    ("mastercard", &[Kind::Card]),
    ("amex", &[Kind::Card]),
    ("american express", &[Kind::Card]),
    ("iban", &[Kind::Iban]),
    ("pasaporte", &[Kind::Passport]),
    ("passport", &[Kind::Passport]),
];

/// Lower case without accents (NFD, combining marks dropped).
fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Occurrences of context words in `folded`, as whole words: (end offset, keyword, kinds).
fn keyword_hits(folded: &str) -> Vec<(usize, &'static str, &'static [Kind])> {
    let mut hits = Vec::new();
    for &(kw, kinds) in KEYWORDS {
        let mut from = 0;
        while let Some(p) = folded[from..].find(kw) {
            let s = from + p;
            let e = s + kw.len();
            let before_ok = folded[..s].chars().next_back().is_none_or(|c| !is_word(c));
            let after_ok = folded[e..].chars().next().is_none_or(|c| !is_word(c));
            if before_ok && after_ok {
                hits.push((e, kw, kinds));
            }
            from = s + kw.len().max(1);
        }
    }
    hits
}

fn keywords_in(folded: &str) -> Vec<Kind> {
    let mut kinds: Vec<Kind> = keyword_hits(folded)
        .iter()
        .flat_map(|h| h.2.iter().copied())
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

/// The nearest context word before `start`: on the same line, or on the previous line when
/// the value opens its line; at most 60 bytes back.
fn context_before(text: &str, start: usize) -> Option<(&'static str, &'static [Kind])> {
    let mut from = start.saturating_sub(60);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let window = &text[from..start];
    let line_start = window.rfind('\n').map(|p| p + 1).unwrap_or(0);
    let opens_line = window[line_start..].chars().all(|c| !c.is_alphanumeric());
    let window = if opens_line || line_start == 0 {
        // The previous line too (a label above its value), but not further.
        let prev = window[..line_start.saturating_sub(1)]
            .rfind('\n')
            .map(|p| p + 1)
            .unwrap_or(0);
        &window[if line_start == 0 { 0 } else { prev }..]
    } else {
        &window[line_start..]
    };
    let folded = fold(window);
    keyword_hits(&folded)
        .into_iter()
        .max_by_key(|h| h.0)
        .map(|h| (h.1, h.2))
}

struct Candidate {
    kind: Kind,
    rule: &'static str,
    start: usize,
    end: usize,
    /// Confidence without context, given a valid check.
    base: f32,
    /// Whether a failing check is still worth reporting without context.
    specific: bool,
}

static CURP: LazyLock<Regex> =
    LazyLock::new(|| re(r"[A-Z]{4}[ -]?\d{6}[ -]?[HMX][A-Z]{5}[0-9A-Z]\d"));
static RFC: LazyLock<Regex> = LazyLock::new(|| re(r"[A-ZÑ&]{3,4}[ -]?\d{6}[ -]?[A-Z0-9]{2}[0-9A]"));
static INE: LazyLock<Regex> = LazyLock::new(|| re(r"[A-Z]{6}\d{8}[HM]\d{3}"));
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| re(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"));
static IBAN: LazyLock<Regex> =
    LazyLock::new(|| re(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?"));
static NUM: LazyLock<Regex> = LazyLock::new(|| re(r"\d(?:[.\-]?\d)*(?:-[kK])?"));
static SPACED: LazyLock<Regex> = LazyLock::new(|| re(r"\d{1,11}(?: \d{1,11}){1,5}"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| re(r"(?:\+ ?)?\(?\d[\d \-.()]{5,22}\d"));
static PASSPORT: LazyLock<Regex> = LazyLock::new(|| re(r"[A-Z]{1,3}\d{6,9}"));

#[allow(clippy::expect_used)]
fn re(p: &str) -> Regex {
    // The patterns are constants of this file; a test compiles every one.
    Regex::new(p).expect("constant pattern")
}

/// Whether `text[start..end]` stands alone: no word character glued to either side, and no
/// `.`/`,`/`-`/`/`/`:` joining it to more digits (a decimal, a version, a date, a range).
fn standalone(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let mut after = text[end..].chars();
    let a1 = after.next();
    let a2 = after.next();
    if before.is_some_and(|c| is_word(c) || matches!(c, '@' | '/' | '\\' | '#' | '$' | '%' | '=')) {
        return false;
    }
    if let Some(b) = before
        && matches!(b, '.' | '-' | '+' | ',' | ':')
    {
        let b2 = text[..start - b.len_utf8()].chars().next_back();
        if b2.is_some_and(|c| c.is_ascii_digit()) {
            return false;
        }
    }
    if a1.is_some_and(|c| is_word(c) || matches!(c, '@' | '/' | '\\' | '%')) {
        return false;
    }
    if a1.is_some_and(|c| matches!(c, '.' | ',' | '-' | ':'))
        && a2.is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return false;
    }
    true
}

/// `body` is digits, or digits grouped by thousands with dots (`1.234.567`).
fn thousands(body: &str) -> bool {
    if body.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    let groups: Vec<&str> = body.split('.').collect();
    groups.len() >= 2
        && (1..=3).contains(&groups[0].len())
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
        && groups[1..].iter().all(|g| g.len() == 3)
}

/// Candidates from one numeric token (digits joined by single dots or dashes).
fn classify_number(tok: &str, start: usize, end: usize, out: &mut Vec<Candidate>) {
    let nd = tok.bytes().filter(u8::is_ascii_digit).count();
    let pure = tok.bytes().all(|b| b.is_ascii_digit());
    let mut push = |kind, rule, base, specific| {
        out.push(Candidate {
            kind,
            rule,
            start,
            end,
            base,
            specific,
        })
    };
    // BODY-C forms.
    if let Some((body, check)) = tok.rsplit_once('-')
        && check.len() == 1
        && thousands(body)
    {
        let bd = body.bytes().filter(u8::is_ascii_digit).count();
        let dotted = body.contains('.');
        if (7..=8).contains(&bd) {
            if dotted {
                push(Kind::Rut, "rut-dotted", 0.85, true);
            } else {
                push(Kind::Rut, "rut", 0.6, false);
            }
        }
        if bd == 8 && !dotted && check != "k" && check != "K" {
            push(Kind::Dui, "dui", 0.6, false);
            push(Kind::DniPe, "dni-check", 0.5, false);
        }
        if bd == 9 && check != "k" && check != "K" {
            push(
                Kind::NitCo,
                if dotted { "nit_co-dotted" } else { "nit_co" },
                if dotted { 0.8 } else { 0.6 },
                dotted,
            );
        }
        return;
    }
    let dash_groups: Vec<usize> = tok.split('-').map(str::len).collect();
    if dash_groups == [4, 6, 3, 1] {
        push(Kind::NitSv, "nit_sv-dashed", 0.85, true);
        return;
    }
    if pure {
        match nd {
            18 => push(Kind::Clabe, "clabe", 0.7, false),
            14 => push(Kind::NitSv, "nit_sv", 0.4, false),
            11 => {
                push(Kind::Nss, "nss", 0.4, false);
                push(Kind::Ruc, "ruc", 0.4, false);
            }
            8 => push(Kind::DniPe, "dni", 0.4, false),
            _ => {}
        }
        if (13..=19).contains(&nd) && nd != 18 {
            push(Kind::Card, "card", 0.55, false);
        }
        if (6..=10).contains(&nd) {
            push(Kind::CedulaCo, "cedula", 0.4, false);
        }
        if (6..=10).contains(&nd) {
            push(Kind::Passport, "passport-digits", 0.4, false);
        }
    } else if thousands(tok) && (6..=10).contains(&nd) {
        push(Kind::CedulaCo, "cedula-dotted", 0.5, false);
    } else if dash_groups.len() >= 4
        && dash_groups[..dash_groups.len() - 1].iter().all(|&g| g == 4)
        && (13..=19).contains(&nd)
    {
        push(Kind::Card, "card-dashed", 0.65, false);
    } else if dash_groups == [2, 2, 2, 4, 1] {
        push(Kind::Nss, "nss-dashed", 0.5, false);
    }
}

/// Candidates from digits grouped by single spaces (cards `4111 1111 1111 1111`, CLABEs).
fn classify_spaced(tok: &str, start: usize, end: usize, out: &mut Vec<Candidate>) {
    let g: Vec<usize> = tok.split(' ').map(str::len).collect();
    let nd: usize = g.iter().sum();
    let fours = g.len() >= 3 && g[..g.len() - 1].iter().all(|&x| x == 4) && g[g.len() - 1] <= 4;
    if (13..=19).contains(&nd) && (fours || g == [4, 6, 5] || g == [4, 6, 4]) {
        out.push(Candidate {
            kind: Kind::Card,
            rule: "card-spaced",
            start,
            end,
            base: 0.7,
            specific: false,
        });
    }
    if nd == 18 && (g == [3, 3, 11, 1] || fours) {
        out.push(Candidate {
            kind: Kind::Clabe,
            rule: "clabe-spaced",
            start,
            end,
            base: 0.75,
            specific: false,
        });
    }
}

fn candidates(text: &str) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut simple = |r: &Regex, kind, rule, base, specific| {
        for m in r.find_iter(text) {
            if standalone(text, m.start(), m.end()) {
                out.push(Candidate {
                    kind,
                    rule,
                    start: m.start(),
                    end: m.end(),
                    base,
                    specific,
                });
            }
        }
    };
    simple(&CURP, Kind::Curp, "curp", 0.95, true);
    simple(&RFC, Kind::Rfc, "rfc", 0.8, true);
    simple(&INE, Kind::IneClave, "ine_clave", 0.75, true);
    simple(&EMAIL, Kind::Email, "email", 0.95, true);
    simple(&PASSPORT, Kind::Passport, "passport", 0.4, false);
    for m in IBAN.find_iter(text) {
        // Cut the match at the country's registered length (a following word may be glued).
        let Some(len) = iban_length(&m.as_str()[..2]) else {
            continue;
        };
        let mut seen = 0;
        let mut end = None;
        for (i, c) in m.as_str().char_indices() {
            if c != ' ' {
                seen += 1;
                if seen == len {
                    end = Some(m.start() + i + c.len_utf8());
                    break;
                }
            }
        }
        if let Some(end) = end
            && standalone(text, m.start(), end)
        {
            out.push(Candidate {
                kind: Kind::Iban,
                rule: "iban",
                start: m.start(),
                end,
                base: 0.9,
                specific: true,
            });
        }
    }
    for m in NUM.find_iter(text) {
        if m.len() >= 6 && standalone(text, m.start(), m.end()) {
            classify_number(m.as_str(), m.start(), m.end(), &mut out);
        }
    }
    for m in SPACED.find_iter(text) {
        if m.len() >= 13 && standalone(text, m.start(), m.end()) {
            classify_spaced(m.as_str(), m.start(), m.end(), &mut out);
        }
    }
    for m in PHONE.find_iter(text) {
        let s = m.as_str().trim_end_matches(|c: char| !c.is_ascii_digit());
        let (start, end) = (m.start(), m.start() + s.len());
        let nd = s.bytes().filter(u8::is_ascii_digit).count();
        if (7..=15).contains(&nd) && standalone(text, start, end) {
            let plus = s.starts_with('+');
            let rule = if plus { "phone-intl" } else { "phone" };
            out.push(Candidate {
                kind: Kind::Phone,
                rule,
                start,
                end,
                base: if plus { 0.85 } else { 0.5 },
                specific: plus,
            });
        }
    }
    out
}

fn snippet(text: &str, start: usize, end: usize) -> String {
    let before: String = {
        let v: Vec<char> = text[..start].chars().rev().take(40).collect();
        v.into_iter().rev().collect()
    };
    let after: String = text[end..].chars().take(40).collect();
    format!("{before}{}{after}", &text[start..end]).replace(['\r', '\n', '\t'], " ")
}

/// Detections of `text` at byte offsets of `text` (char offsets filled in later).
fn detect_view(text: &str, hint: Option<&Hint>) -> Vec<Detection> {
    let mut found = Vec::new();
    for c in candidates(text) {
        let ctx = context_before(text, c.start);
        let ctx_names = ctx.is_some_and(|(_, kinds)| kinds.contains(&c.kind));
        let hint_names = hint.is_some_and(|h| h.kinds.contains(&c.kind));
        let named = ctx_names || hint_names;
        if c.kind.needs_context() && !named && !(c.kind == Kind::Phone && c.specific) {
            continue;
        }
        let written = &text[c.start..c.end];
        let v = match c.kind {
            Kind::Phone => super::phone(written, None),
            Kind::DniPe if c.rule == "dni-check" => super::dni_pe(written),
            k => validate(k, written),
        };
        if !v.format_valid {
            continue;
        }
        let failed = v.checksum == Some(false);
        if failed && !(named || c.specific) {
            continue;
        }
        let mut conf = c.base;
        if ctx_names {
            conf = conf.max(0.8) + 0.15;
        }
        if hint_names {
            conf = conf.max(0.8) + 0.1;
        }
        if failed {
            conf *= 0.6;
        }
        let context = if ctx_names {
            ctx.map(|(kw, _)| kw.to_string())
        } else if hint_names {
            hint.map(|h| h.label.clone())
        } else {
            None
        };
        found.push(Detection {
            kind: c.kind,
            rule: c.rule.to_string(),
            text: written.to_string(),
            byte_start: c.start,
            byte_end: c.end,
            char_start: 0,
            char_end: 0,
            snippet: String::new(),
            context,
            validation: v,
            confidence: conf.min(0.99),
        });
    }
    found
}

/// Line breaks that OCR may have put inside a value: `(start, end)` of the break with its
/// surrounding spaces, where the line ends in a letter, digit, dot or dash and the next one
/// starts with a letter or digit.
fn breaks(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for (i, _) in text.match_indices('\n') {
        let mut s = i;
        if s > 0 && b[s - 1] == b'\r' {
            s -= 1;
        }
        while s > 0 && matches!(b[s - 1], b' ' | b'\t') {
            s -= 1;
        }
        let mut e = i + 1;
        while e < b.len() && matches!(b[e], b' ' | b'\t') {
            e += 1;
        }
        let prev_ok =
            s > 0 && (b[s - 1].is_ascii_alphanumeric() || matches!(b[s - 1], b'.' | b'-'));
        let next_ok = e < b.len() && b[e].is_ascii_alphanumeric();
        if prev_ok && next_ok {
            out.push((s, e));
        }
    }
    out
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Values read across one OCR line break: each break is removed alone, in a window of the
/// lines around it (at most 200 bytes either side), and only detections that cross it are
/// kept, at the offsets of `text`.
fn detect_across_breaks(text: &str, hint: Option<&Hint>) -> Vec<Detection> {
    let mut out = Vec::new();
    for (bs, be) in breaks(text) {
        // From the start of the line before the value's first part (its label) ...
        let lo = floor_boundary(text, bs.saturating_sub(200));
        let first_line = text[lo..bs].rfind('\n').map(|p| lo + p).unwrap_or(lo);
        let from = text[lo..first_line]
            .rfind('\n')
            .map(|p| lo + p + 1)
            .unwrap_or(lo);
        // ... to the end of the line of its second part.
        let hi = ceil_boundary(text, (be + 200).min(text.len()));
        let to = text[be..hi].find('\n').map(|p| be + p).unwrap_or(hi);
        let joined = format!("{}{}", &text[from..bs], &text[be..to]);
        let cut = bs - from;
        let shift = be - bs;
        // An address is read across a break only where it cannot end: after `.`, `-`, `@`,
        // `_` (else the next line's first word would be glued to its domain).
        let splits_address = text[..bs].ends_with(['.', '-', '@', '_']);
        for mut d in detect_view(&joined, hint) {
            if !(d.byte_start < cut && d.byte_end > cut)
                || (d.kind == Kind::Email && !splits_address)
            {
                continue;
            }
            d.byte_start += from;
            d.byte_end += from + shift;
            d.text = text[d.byte_start..d.byte_end].to_string();
            d.rule.push_str("+ocr-join");
            d.confidence *= 0.85;
            out.push(d);
        }
    }
    out
}

fn detect_inner(text: &str, hint: Option<&Hint>) -> Vec<Detection> {
    let mut all = detect_view(text, hint);
    all.extend(detect_across_breaks(text, hint));
    let mut kept = resolve_overlaps(all);
    kept.sort_by_key(|d| (d.byte_start, d.byte_end, d.kind));
    let mut chars = 0;
    let mut at = 0;
    for d in &mut kept {
        chars += text[at..d.byte_start].chars().count();
        at = d.byte_start;
        d.char_start = chars;
        d.char_end = chars + text[d.byte_start..d.byte_end].chars().count();
        d.snippet = snippet(text, d.byte_start, d.byte_end);
    }
    // Ambiguous values (one span, several kinds): less sure of each.
    let n = kept.len();
    for i in 0..n {
        let same = (0..n)
            .filter(|&j| {
                j != i
                    && kept[j].byte_start == kept[i].byte_start
                    && kept[j].byte_end == kept[i].byte_end
            })
            .count();
        if same > 0 && kept[i].context.is_none() {
            kept[i].confidence *= 0.7;
        }
    }
    kept
}

/// Drops a detection that partly overlaps a preferred one (named by context, then longer,
/// then more confident: a value read by two rules, a phone's tail read alone); detections of one span and several kinds are all kept,
/// unless one of them was named by context.
fn resolve_overlaps(mut all: Vec<Detection>) -> Vec<Detection> {
    all.sort_by(|a, b| {
        b.context
            .is_some()
            .cmp(&a.context.is_some())
            .then((b.byte_end - b.byte_start).cmp(&(a.byte_end - a.byte_start)))
            .then(b.confidence.total_cmp(&a.confidence))
    });
    let mut kept: Vec<Detection> = Vec::new();
    for d in all {
        let clash = kept.iter().any(|k| {
            let overlap = d.byte_start < k.byte_end && k.byte_start < d.byte_end;
            let same_span = d.byte_start == k.byte_start && d.byte_end == k.byte_end;
            overlap
                && (!same_span || k.kind == d.kind || (k.context.is_some() && d.context.is_none()))
        });
        if !clash {
            kept.push(d);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    /// Every candidate pattern compiles (the `expect` in `re` cannot fire).
    #[test]
    fn patterns_compile() {
        for r in [
            &super::CURP,
            &super::RFC,
            &super::INE,
            &super::EMAIL,
            &super::IBAN,
            &super::NUM,
            &super::SPACED,
            &super::PHONE,
            &super::PASSPORT,
        ] {
            assert!(!r.as_str().is_empty());
        }
    }
}
