//! Low-level MIME encoders: charsets, quoted-printable, base64, RFC 2047 encoded words,
//! RFC 2231 parameters and date formatting.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{Datelike, Timelike};

use crate::vocab;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Charset {
    Ascii,
    Utf8,
    Latin1,
    Cp1252,
}

impl Charset {
    pub fn label(self) -> &'static str {
        match self {
            Charset::Ascii => "us-ascii",
            Charset::Utf8 => "utf-8",
            Charset::Latin1 => "iso-8859-1",
            Charset::Cp1252 => "windows-1252",
        }
    }
}

/// Replace characters that only windows-1252 (not ISO-8859-1) can represent.
pub fn latin1_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '“' | '”' | '„' => out.push('"'),
            '‘' | '’' => out.push('\''),
            '–' | '—' => out.push('-'),
            '€' => out.push_str("EUR"),
            '…' => out.push_str("..."),
            '•' => out.push('*'),
            c if (c as u32) < 0x100 => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// Fold to plain ASCII (for logins, addresses and `us-ascii` parts).
pub fn ascii_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let r = match c {
            'á' | 'à' | 'ä' | 'â' => "a",
            'é' | 'è' | 'ë' | 'ê' => "e",
            'í' | 'ì' | 'ï' | 'î' => "i",
            'ó' | 'ò' | 'ö' | 'ô' => "o",
            'ú' | 'ù' | 'ü' | 'û' => "u",
            'Á' | 'À' | 'Ä' | 'Â' => "A",
            'É' | 'È' | 'Ë' | 'Ê' => "E",
            'Í' | 'Ì' | 'Ï' | 'Î' => "I",
            'Ó' | 'Ò' | 'Ö' | 'Ô' => "O",
            'Ú' | 'Ù' | 'Ü' | 'Û' => "U",
            'ñ' => "n",
            'Ñ' => "N",
            '¿' | '¡' => "",
            '“' | '”' => "\"",
            '‘' | '’' => "'",
            '–' | '—' => "-",
            '€' => "EUR",
            c if c.is_ascii() => {
                out.push(c);
                continue;
            }
            _ => "?",
        };
        out.push_str(r);
    }
    out
}

/// Encode text in a charset (unrepresentable characters degrade gracefully).
pub fn encode(s: &str, cs: Charset) -> Vec<u8> {
    match cs {
        Charset::Utf8 => s.as_bytes().to_vec(),
        Charset::Ascii => ascii_fold(s).into_bytes(),
        Charset::Latin1 => latin1_safe(s)
            .chars()
            .map(|c| {
                if (c as u32) < 0x100 {
                    c as u32 as u8
                } else {
                    b'?'
                }
            })
            .collect(),
        Charset::Cp1252 => {
            let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(s);
            bytes.into_owned()
        }
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Quoted-printable body encoding (RFC 2045), LF line ends, soft breaks at 76 columns.
pub fn qp(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + input.len() / 8 + 16);
    let mut lines = input.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let mut col = 0usize;
        let n = line.len();
        for (i, &b) in line.iter().enumerate() {
            let last = i + 1 == n;
            let literal =
                (b == b' ' || b == b'\t') && !last || (33..=126).contains(&b) && b != b'=';
            let width = if literal { 1 } else { 3 };
            // keep room for the soft-break '=' on non-final tokens
            if col + width > 75 {
                out.extend_from_slice(b"=\n");
                col = 0;
            }
            if literal {
                out.push(b);
            } else {
                out.push(b'=');
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 15) as usize]);
            }
            col += width;
        }
        if lines.peek().is_some() {
            out.push(b'\n');
        }
    }
    out
}

/// Base64 with 76-column lines and a trailing newline.
pub fn b64_lines(input: &[u8]) -> Vec<u8> {
    let enc = STANDARD.encode(input);
    let mut out = Vec::with_capacity(enc.len() + enc.len() / 76 + 2);
    for chunk in enc.as_bytes().chunks(76) {
        out.extend_from_slice(chunk);
        out.push(b'\n');
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ew {
    Q,
    B,
}

fn q_len(b: u8) -> usize {
    if b.is_ascii_alphanumeric() || b"!*+-/ ".contains(&b) {
        1
    } else {
        3
    }
}

fn q_push(out: &mut String, b: u8) {
    if b == b' ' {
        out.push('_');
    } else if q_len(b) == 1 {
        out.push(b as char);
    } else {
        out.push('=');
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
}

/// RFC 2047 encoded words for `s`, joined by folding whitespace (`\n `).
/// With `split_mid_char` (UTF-8 only) the first multi-byte character is cut between two
/// encoded words, as some broken mailers do. Returns the words and whether a split happened.
pub fn encoded_words(s: &str, cs: Charset, mode: Ew, split_mid_char: bool) -> (String, bool) {
    let label = cs.label();
    let overhead = label.len() + 7; // =? ? ?= plus mode letter
    let budget = 75usize.saturating_sub(overhead).max(8);
    let mut chunks: Vec<Vec<u8>> = vec![Vec::new()];
    let mut cur_len = 0usize;
    let mut did_split = false;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let bytes: Vec<u8> = match cs {
            Charset::Utf8 => c.encode_utf8(&mut buf).as_bytes().to_vec(),
            _ => encode(c.encode_utf8(&mut buf), cs),
        };
        let add = match mode {
            Ew::Q => bytes.iter().map(|&b| q_len(b)).sum::<usize>(),
            Ew::B => bytes.len(),
        };
        let fits = match mode {
            Ew::Q => cur_len + add <= budget,
            Ew::B => (cur_len + add).div_ceil(3) * 4 <= budget,
        };
        if !fits && cur_len > 0 {
            chunks.push(Vec::new());
            cur_len = 0;
        }
        if split_mid_char && !did_split && cs == Charset::Utf8 && bytes.len() >= 2 {
            if let Some(last) = chunks.last_mut() {
                last.push(bytes[0]);
            }
            chunks.push(bytes[1..].to_vec());
            cur_len = match mode {
                Ew::Q => bytes[1..].iter().map(|&b| q_len(b)).sum(),
                Ew::B => bytes.len() - 1,
            };
            did_split = true;
            continue;
        }
        if let Some(last) = chunks.last_mut() {
            last.extend_from_slice(&bytes);
        }
        cur_len += add;
    }
    let mut out = String::with_capacity(s.len() * 2);
    for (i, ch) in chunks.iter().filter(|c| !c.is_empty()).enumerate() {
        if i > 0 {
            out.push_str("\n ");
        }
        out.push_str("=?");
        out.push_str(label);
        match mode {
            Ew::Q => {
                out.push_str("?Q?");
                for &b in ch {
                    q_push(&mut out, b);
                }
            }
            Ew::B => {
                out.push_str("?B?");
                out.push_str(&STANDARD.encode(ch));
            }
        }
        out.push_str("?=");
    }
    (out, did_split)
}

/// RFC 2231 / RFC 5987 percent-encoding of UTF-8.
pub fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
    out
}

/// Does an ASCII display name need quoting?
pub fn needs_quotes(s: &str) -> bool {
    s.bytes().any(|b| b"()<>[]:;@\\,.\"/".contains(&b))
}

/// A point in time: UTC seconds plus the sender's UTC offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct When {
    pub unix: i64,
    pub offset: i32,
}

pub struct Local {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Monday
    pub weekday: usize,
}

impl When {
    pub fn local(self) -> Local {
        let dt = chrono::DateTime::from_timestamp(self.unix + i64::from(self.offset), 0)
            .unwrap_or_default();
        Local {
            year: dt.year(),
            month: dt.month(),
            day: dt.day(),
            hour: dt.hour(),
            minute: dt.minute(),
            second: dt.second(),
            weekday: dt.weekday().num_days_from_monday() as usize,
        }
    }

    pub fn utc(self) -> Local {
        When {
            unix: self.unix,
            offset: 0,
        }
        .local()
    }

    /// RFC 5322 date: `Mon, 3 Jan 2011 10:00:00 -0600`.
    pub fn rfc5322(self) -> String {
        let l = self.local();
        let sign = if self.offset < 0 { '-' } else { '+' };
        let a = self.offset.unsigned_abs();
        format!(
            "{}, {} {} {} {:02}:{:02}:{:02} {}{:02}{:02}",
            &vocab::DAYS_EN[l.weekday][..3],
            l.day,
            &vocab::MONTHS_EN[(l.month - 1) as usize][..3],
            l.year,
            l.hour,
            l.minute,
            l.second,
            sign,
            a / 3600,
            (a % 3600) / 60
        )
    }

    /// mbox envelope date (asctime, UTC): `Mon Jan  3 16:00:00 2011`.
    pub fn asctime(self) -> String {
        let l = self.utc();
        format!(
            "{} {} {:>2} {:02}:{:02}:{:02} {}",
            &vocab::DAYS_EN[l.weekday][..3],
            &vocab::MONTHS_EN[(l.month - 1) as usize][..3],
            l.day,
            l.hour,
            l.minute,
            l.second,
            l.year
        )
    }

    /// Outlook (Spanish) quote header date: `lunes, 03 de enero de 2011 10:00 a.m.`
    pub fn outlook_es(self) -> String {
        let l = self.local();
        let (h12, ampm) = to12(l.hour);
        format!(
            "{}, {:02} de {} de {} {:02}:{:02} {}",
            vocab::DAYS_ES[l.weekday],
            l.day,
            vocab::MONTHS_ES[(l.month - 1) as usize],
            l.year,
            h12,
            l.minute,
            if ampm { "p.m." } else { "a.m." }
        )
    }

    /// Outlook (English) quote header date: `Monday, January 03, 2011 10:00 AM`.
    pub fn outlook_en(self) -> String {
        let l = self.local();
        let (h12, pm) = to12(l.hour);
        format!(
            "{}, {} {:02}, {} {}:{:02} {}",
            vocab::DAYS_EN[l.weekday],
            vocab::MONTHS_EN[(l.month - 1) as usize],
            l.day,
            l.year,
            h12,
            l.minute,
            if pm { "PM" } else { "AM" }
        )
    }

    /// Gmail (Spanish) attribution date: `lun, 3 ene 2011 a las 10:00`.
    pub fn gmail_es(self) -> String {
        let l = self.local();
        format!(
            "{}, {} {} {} a las {}:{:02}",
            ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"][l.weekday % 7],
            l.day,
            &vocab::MONTHS_ES[(l.month - 1) as usize][..3],
            l.year,
            l.hour,
            l.minute
        )
    }

    /// DOS/zip timestamp of the local time.
    pub fn zip_time(self) -> zip::DateTime {
        let l = self.local();
        let y = l.year.clamp(1980, 2107) as u16;
        zip::DateTime::from_date_and_time(
            y,
            l.month as u8,
            l.day as u8,
            l.hour as u8,
            l.minute as u8,
            l.second as u8,
        )
        .unwrap_or_default()
    }

    /// PDF date string: `D:20190314103200-06'00'`.
    pub fn pdf(self) -> String {
        let l = self.local();
        let a = self.offset.unsigned_abs();
        format!(
            "D:{:04}{:02}{:02}{:02}{:02}{:02}{}{:02}'{:02}'",
            l.year,
            l.month,
            l.day,
            l.hour,
            l.minute,
            l.second,
            if self.offset < 0 { '-' } else { '+' },
            a / 3600,
            (a % 3600) / 60
        )
    }

    /// W3C/ISO date in UTC: `2019-03-14T16:32:00Z`.
    pub fn iso_utc(self) -> String {
        let l = self.utc();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            l.year, l.month, l.day, l.hour, l.minute, l.second
        )
    }
}

fn to12(h: u32) -> (u32, bool) {
    let pm = h >= 12;
    let h12 = match h % 12 {
        0 => 12,
        x => x,
    };
    (h12, pm)
}

/// Convert LF line ends to CRLF.
pub fn to_crlf(data: &[u8]) -> Vec<u8> {
    let extra = data.iter().filter(|&&b| b == b'\n').count();
    let mut out = Vec::with_capacity(data.len() + extra);
    for &b in data {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// mboxrd escaping: any line matching `^>*From ` gets one more `>`.
pub fn mboxrd_escape(data: &[u8], out: &mut Vec<u8>) {
    let mut start = 0usize;
    while start < data.len() {
        let end = match data[start..].iter().position(|&b| b == b'\n') {
            Some(p) => start + p + 1,
            None => data.len(),
        };
        let line = &data[start..end];
        let gt = line.iter().take_while(|&&b| b == b'>').count();
        if line[gt..].starts_with(b"From ") {
            out.push(b'>');
        }
        out.extend_from_slice(line);
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qp_roundtrip_shape() {
        let q = qp("Información técnica = ok \nsegunda".as_bytes());
        let s = String::from_utf8(q).unwrap_or_default();
        assert!(s.contains("Informaci=C3=B3n"));
        assert!(s.contains("=3D"));
        assert!(s.contains("ok=20\n"));
        let long = "a".repeat(200);
        let q = qp(long.as_bytes());
        assert!(q.split(|&b| b == b'\n').all(|l| l.len() <= 76));
    }

    #[test]
    fn encoded_word_split() {
        let (w, split) = encoded_words("Información", Charset::Utf8, Ew::B, true);
        assert!(split);
        assert_eq!(w.matches("=?utf-8?B?").count(), 2);
        let (w, _) = encoded_words("Núñez Ávila", Charset::Latin1, Ew::Q, false);
        assert_eq!(w, "=?iso-8859-1?Q?N=FA=F1ez_=C1vila?=");
    }

    #[test]
    fn dates() {
        let w = When {
            unix: 1_294_070_400,
            offset: -6 * 3600,
        };
        assert_eq!(w.rfc5322(), "Mon, 3 Jan 2011 10:00:00 -0600");
        assert_eq!(w.asctime(), "Mon Jan  3 16:00:00 2011");
    }

    #[test]
    fn escape() {
        let mut out = Vec::new();
        mboxrd_escape(b"a\nFrom x\n>From y\nFromage\n", &mut out);
        assert_eq!(out, b"a\n>From x\n>>From y\nFromage\n");
    }
}
