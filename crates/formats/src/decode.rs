//! Text decoding for mail as it is found in leaks.
//!
//! Spanish mail from Exchange and Zimbra carries raw 8-bit Latin-1/Windows-1252 in headers and
//! file names, declares `iso-8859-1` for what is really Windows-1252, splits encoded words in the
//! middle of a multi-byte character and sometimes names its charset only in an HTML `<meta>`.
//! The rules here:
//! - bytes with no declared charset are UTF-8 when valid, else Windows-1252;
//! - charset labels are looked up the WHATWG way (`iso-8859-1`, `latin1`, `us-ascii` → Windows-1252);
//! - a declared charset that the bytes contradict loses (invalid UTF-8 → Windows-1252; UTF-8
//!   declared as Latin-1 stays UTF-8);
//! - adjacent RFC 2047 encoded words of one charset are joined as bytes before decoding.

use std::borrow::Cow;

use base64::Engine as _;
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// Bytes with no declared charset: UTF-8 when valid, else Windows-1252 (which maps every byte).
pub fn bytes_to_str(raw: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => WINDOWS_1252.decode_without_bom_handling(raw).0,
    }
}

/// Looks up a MIME charset label. RFC 2231 language suffixes (`utf-8*es`) are ignored.
pub fn charset(label: &str) -> Option<&'static Encoding> {
    let label = label.trim().trim_matches(|c| c == '"' || c == '\'');
    let label = label.split('*').next().unwrap_or(label);
    if let Some(e) = Encoding::for_label(label.as_bytes()) {
        return Some(e);
    }
    // Labels seen in real mail that the WHATWG table does not know.
    let lower = label.to_ascii_lowercase();
    match lower.as_str() {
        "utf8" | "utf-8-sig" | "unicode-1-1-utf-8" => Some(UTF_8),
        "cp-1252" | "win-1252" | "windows1252" | "ansi" | "latin-1" | "iso8859-1"
        | "iso_8859_1" | "8859-1" | "iso-latin-1" | "x-ansi" | "unknown-8bit" | "x-unknown"
        | "default" => Some(WINDOWS_1252),
        "iso8859-15" | "latin-9" => Encoding::for_label(b"iso-8859-15"),
        _ => None,
    }
}

/// What had to be guessed while decoding text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeNote {
    /// The declared charset was unknown, or contradicted by the bytes.
    pub charset_overridden: bool,
    /// Some bytes could not be decoded and became U+FFFD.
    pub lossy: bool,
}

/// Decodes a text body or header value with its declared charset, overriding declarations that
/// the bytes contradict.
pub fn decode_text(raw: &[u8], declared: Option<&str>) -> (String, DecodeNote) {
    let mut note = DecodeNote::default();
    let declared_enc = declared.and_then(charset);
    if declared.is_some() && declared_enc.is_none() {
        note.charset_overridden = true;
    }
    let text = match declared_enc {
        Some(enc) if enc == UTF_8 => match std::str::from_utf8(raw) {
            Ok(s) => s.to_owned(),
            Err(_) => {
                note.charset_overridden = true;
                WINDOWS_1252.decode_without_bom_handling(raw).0.into_owned()
            }
        },
        Some(enc) if enc == WINDOWS_1252 => {
            if raw.is_ascii() {
                // SAFETY of the fast path: ASCII is valid UTF-8.
                String::from_utf8_lossy(raw).into_owned()
            } else if let Ok(s) = std::str::from_utf8(raw) {
                // Latin-1 declared, UTF-8 sent: common, and UTF-8 is never valid by accident
                // for Spanish Windows-1252 text.
                note.charset_overridden = true;
                s.to_owned()
            } else {
                WINDOWS_1252.decode_without_bom_handling(raw).0.into_owned()
            }
        }
        Some(enc) => {
            let (s, had_errors) = enc.decode_without_bom_handling(raw);
            note.lossy = had_errors;
            s.into_owned()
        }
        None => bytes_to_str(raw).into_owned(),
    };
    (text, note)
}

/// Finds a charset declared in an HTML `<meta charset=…>` or `<meta http-equiv … content="…;
/// charset=…">` within the first 4 KiB.
pub fn html_meta_charset(html: &[u8]) -> Option<String> {
    let head = &html[..html.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(|b| b.to_ascii_lowercase()).collect();
    let mut from = 0;
    while let Some(pos) = memchr::memmem::find(&lower[from..], b"<meta") {
        let start = from + pos;
        let end = lower[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |e| start + e);
        let tag = &lower[start..end];
        if let Some(cs) = memchr::memmem::find(tag, b"charset") {
            let rest = &tag[cs + 7..];
            let rest = rest.trim_ascii_start();
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = rest.trim_ascii_start();
                let rest = rest
                    .strip_prefix(b"\"")
                    .or_else(|| rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let value: Vec<u8> = rest
                    .iter()
                    .copied()
                    .take_while(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':')
                    })
                    .collect();
                if !value.is_empty() {
                    return Some(String::from_utf8_lossy(&value).into_owned());
                }
            }
        }
        from = end;
    }
    None
}

/// Decodes RFC 2047 encoded words in a header value that has already been turned into text.
///
/// Whitespace between adjacent encoded words is dropped, and adjacent words of one charset are
/// joined as bytes before decoding, so that a character split across two words comes out whole.
/// Malformed words are left as they are.
pub fn decode_words(s: &str) -> Cow<'_, str> {
    if !s.contains("=?") {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    // Pending run of encoded words in one charset.
    let mut run_charset: Option<String> = None;
    let mut run_bytes: Vec<u8> = Vec::new();
    // Whitespace seen after the last encoded word, kept unless another word follows.
    let mut gap = String::new();
    let mut rest = s;

    fn flush(out: &mut String, charset: &mut Option<String>, bytes: &mut Vec<u8>) {
        if let Some(cs) = charset.take() {
            out.push_str(&decode_text(bytes, Some(&cs)).0);
            bytes.clear();
        }
    }

    while !rest.is_empty() {
        match rest.find("=?") {
            Some(pos) => {
                let (before, from_word) = rest.split_at(pos);
                if !before.is_empty() {
                    if before.chars().all(char::is_whitespace) && run_charset.is_some() {
                        gap.push_str(before);
                    } else {
                        flush(&mut out, &mut run_charset, &mut run_bytes);
                        out.push_str(&gap);
                        gap.clear();
                        out.push_str(before);
                    }
                }
                match parse_word(from_word) {
                    Some((charset, bytes, len)) => {
                        let same = run_charset
                            .as_deref()
                            .is_some_and(|c| c.eq_ignore_ascii_case(&charset));
                        if !same {
                            flush(&mut out, &mut run_charset, &mut run_bytes);
                            run_charset = Some(charset);
                        }
                        gap.clear();
                        run_bytes.extend_from_slice(&bytes);
                        rest = &from_word[len..];
                    }
                    None => {
                        flush(&mut out, &mut run_charset, &mut run_bytes);
                        out.push_str(&gap);
                        gap.clear();
                        out.push_str("=?");
                        rest = &from_word[2..];
                    }
                }
            }
            None => {
                flush(&mut out, &mut run_charset, &mut run_bytes);
                out.push_str(&gap);
                gap.clear();
                out.push_str(rest);
                rest = "";
            }
        }
    }
    flush(&mut out, &mut run_charset, &mut run_bytes);
    out.push_str(&gap);
    Cow::Owned(out)
}

/// Parses one `=?charset?enc?text?=` at the start of `s`: (charset, decoded bytes, length).
fn parse_word(s: &str) -> Option<(String, Vec<u8>, usize)> {
    let body = s.strip_prefix("=?")?;
    let q1 = body.find('?')?;
    let charset = &body[..q1];
    if charset.is_empty() || charset.len() > 40 || charset.contains(char::is_whitespace) {
        return None;
    }
    let after_cs = &body[q1 + 1..];
    let mut chars = after_cs.chars();
    let enc = chars.next()?.to_ascii_uppercase();
    if !enc.is_ascii() || chars.next()? != '?' {
        return None;
    }
    let text_start = &after_cs[2..];
    let end = text_start.find("?=")?;
    let text = &text_start[..end];
    // Encoded words never span lines; a missing terminator on this line means a stray "=?".
    if text.contains(['\r', '\n']) || text.len() > 4096 {
        return None;
    }
    let bytes = match enc {
        'B' => decode_b(text)?,
        'Q' => decode_q(text),
        _ => return None,
    };
    let len = 2 + q1 + 1 + 2 + end + 2;
    Some((charset.to_owned(), bytes, len))
}

fn decode_b(text: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
        .collect();
    base64_lenient(&clean)
}

/// Base64 that tolerates missing padding and trailing bits, as real encoders produce.
pub fn base64_lenient(clean: &[u8]) -> Option<Vec<u8>> {
    const ENGINE: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let usable = clean.len() - clean.len() % 4
        + if clean.len() % 4 >= 2 {
            clean.len() % 4
        } else {
            0
        };
    ENGINE.decode(&clean[..usable]).ok()
}

fn decode_q(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'_' => out.push(b' '),
            b'=' => match (
                b.get(i + 1).copied().and_then(hex_val),
                b.get(i + 2).copied().and_then(hex_val),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'='),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes a raw header value: bytes to text (UTF-8 or Windows-1252), unfolded, encoded words
/// decoded.
pub fn header_value(raw: &[u8]) -> String {
    let text = bytes_to_str(raw);
    let unfolded = unfold(&text);
    decode_words(&unfolded).trim().to_owned()
}

/// Removes header folding: CRLF or LF followed by whitespace becomes the whitespace.
pub fn unfold(s: &str) -> Cow<'_, str> {
    if !s.contains(['\r', '\n']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c != '\r' && c != '\n' {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_latin1_and_utf8() {
        assert_eq!(bytes_to_str(b"Informaci\xf3n"), "Información");
        assert_eq!(bytes_to_str("Información".as_bytes()), "Información");
        // 0x93/0x94 are curly quotes in Windows-1252, C1 controls in true Latin-1.
        assert_eq!(
            decode_text(b"\x93hola\x94", Some("iso-8859-1")).0,
            "\u{201c}hola\u{201d}"
        );
    }

    #[test]
    fn declared_charset_contradicted() {
        let (s, n) = decode_text("Años".as_bytes(), Some("iso-8859-1"));
        assert_eq!(s, "Años");
        assert!(n.charset_overridden);
        let (s, n) = decode_text(b"A\xf1os", Some("utf-8"));
        assert_eq!(s, "Años");
        assert!(n.charset_overridden);
        let (s, n) = decode_text(b"A\xf1os", Some("x-bogus"));
        assert_eq!(s, "Años");
        assert!(n.charset_overridden);
    }

    #[test]
    fn encoded_words() {
        assert_eq!(
            decode_words("=?iso-8859-1?Q?Jos=E9_N=FA=F1ez?="),
            "José Núñez"
        );
        assert_eq!(decode_words("=?UTF-8?B?w7Y=?= =?UTF-8?B?w7Y=?=x"), "ööx");
        // A character split across two words.
        assert_eq!(
            decode_words("=?UTF-8?Q?Informaci=C3?= =?UTF-8?Q?=B3n?="),
            "Información"
        );
        assert_eq!(
            decode_words("=?utf-8?B?SW5mb3JtYWNp?=\r\n =?utf-8?B?w7Nu?="),
            "Información"
        );
        // Text between words is kept, whitespace around plain text too.
        assert_eq!(
            decode_words("Re: =?utf-8?q?a?= b =?utf-8?q?c?="),
            "Re: a b c"
        );
        // Malformed words are left alone.
        assert_eq!(decode_words("precio =?? 5 =?x"), "precio =?? 5 =?x");
        assert_eq!(decode_words("=?utf-8?X?abc?="), "=?utf-8?X?abc?=");
        assert_eq!(decode_words("=?utf-8?é?abc?="), "=?utf-8?é?abc?=");
        // Language suffix (RFC 2231) and missing padding.
        assert_eq!(decode_words("=?utf-8*es?B?w7Fv?="), "ño");
        assert_eq!(decode_words("=?utf-8?B?w7Fv?= end"), "ño end");
        // A lone UTF-8 lead byte is not UTF-8: Windows-1252 keeps it visible.
        assert_eq!(decode_words("=?UTF-8?Q?=C3?="), "Ã");
    }

    #[test]
    fn header_values() {
        assert_eq!(
            header_value(b"Informaci\xf3n del\r\n oficio"),
            "Información del oficio"
        );
        assert_eq!(
            header_value(b" =?windows-1252?Q?Memor=E1ndum?="),
            "Memorándum"
        );
    }

    #[test]
    fn meta_charset() {
        assert_eq!(html_meta_charset(b"<html><head><META http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\">").as_deref(), Some("windows-1252"));
        assert_eq!(
            html_meta_charset(b"<meta charset='utf-8'>").as_deref(),
            Some("utf-8")
        );
        assert_eq!(html_meta_charset(b"<p>no meta</p>"), None);
    }
}
