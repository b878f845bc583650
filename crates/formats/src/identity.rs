//! Which stored messages are copies of one message.
//!
//! The same message sits in many mailboxes with different bytes: CRLF in one, LF in another,
//! `>From ` escaping in an mbox, delivery headers added per recipient, a PST rebuild. trove keeps
//! every copy as evidence and links them by a *content key*: a hash over fields that survive
//! delivery unchanged.
//!
//! The key covers the sender, the To and Cc addresses, the Date header to the minute, the
//! subject, the body text and the attachment hashes, each normalised. It leaves out:
//! - Bcc, which only the sender's copy carries;
//! - dates that did not come from the Date header (a Received date differs per recipient);
//! - Message-ID: copies rebuilt from Outlook stores may lack it, and when present it is the same
//!   across copies anyway, so it would only split groups, never join wrong ones. It is the
//!   threading hint; see [`base_subject`] and the thread builder.

use sha2::{Digest, Sha256};

use crate::Limits;
use crate::date::DateSource;
use crate::message::{Attachment, DateHints, ParsedMessage, parse_message};

/// Attached messages nested deeper than this count by their exact bytes.
const MAX_KEY_DEPTH: u32 = 4;

/// The content key of a message. Needs the attachments' bytes (see [`Attachment::data`]).
pub fn content_key(m: &ParsedMessage) -> [u8; 32] {
    key_at(m, 0)
}

fn key_at(m: &ParsedMessage, depth: u32) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"trove-content-v1\0");
    let mut from: Vec<String> = m.from.iter().filter_map(|a| a.normalized()).collect();
    from.sort();
    field(&mut h, from.join(",").as_bytes());
    let mut rcpt: Vec<String> =
        m.to.iter()
            .chain(&m.cc)
            .filter_map(|a| a.normalized())
            .collect();
    rcpt.sort();
    rcpt.dedup();
    field(&mut h, rcpt.join(",").as_bytes());
    let minute = match (m.date, m.date_source) {
        (Some(d), Some(DateSource::Header)) => (d.timestamp().div_euclid(60)).to_string(),
        _ => String::new(),
    };
    field(&mut h, minute.as_bytes());
    field(
        &mut h,
        normalize_text(m.subject.as_deref().unwrap_or("")).as_bytes(),
    );
    field(&mut h, normalize_body(&m.text).as_bytes());
    let mut atts: Vec<[u8; 32]> = m
        .attachments
        .iter()
        .map(|a| attachment_key(a, depth))
        .collect();
    atts.sort();
    for a in atts {
        h.update(a);
    }
    h.finalize().into()
}

/// What an attachment contributes to its message's key. Bytes that delivery rewrites are
/// normalised: an attached message counts by its own content key (its line endings follow
/// the mailbox it sits in), a text attachment by its text with line endings unified. Other
/// attachments count by their exact SHA-256.
fn attachment_key(a: &Attachment, depth: u32) -> [u8; 32] {
    if a.data.is_empty() {
        return a.sha256;
    }
    if a.is_message && depth < MAX_KEY_DEPTH {
        let inner = parse_message(&a.data, &Limits::default(), DateHints::default(), false);
        return key_at(&inner, depth + 1);
    }
    if a.mime.starts_with("text/") {
        let mut h = Sha256::new();
        h.update(b"text\0");
        for line in a.data.split(|&b| b == b'\n') {
            h.update(line.strip_suffix(b"\r").unwrap_or(line));
            h.update(b"\n");
        }
        return h.finalize().into();
    }
    a.sha256
}

fn field(h: &mut Sha256, v: &[u8]) {
    h.update((v.len() as u64).to_le_bytes());
    h.update(v);
}

/// Whitespace runs collapsed to one space, trimmed, lower-cased.
pub fn normalize_text(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A body as copies agree on it: mbox `>From ` escaping undone, whitespace and case
/// normalised.
pub fn normalize_body(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        let stripped = line.trim_start_matches('>');
        let line = if stripped.starts_with("From ") {
            stripped
        } else {
            line
        };
        for w in line.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            // Word by word is the same as the whole (spaces end every case context, even
            // Greek final sigma's), and ASCII words need no Unicode tables.
            if w.is_ascii() {
                out.extend(w.bytes().map(|b| b.to_ascii_lowercase() as char));
            } else {
                out.push_str(&w.to_lowercase());
            }
        }
    }
    out
}

/// A subject without reply and forward prefixes (`Re:`, `RE:`, `RV:`, `Fwd:`, `FW:`, `Re[2]:`,
/// `R:`, `Aw:`…), for grouping header-poor mail into threads.
pub fn base_subject(s: &str) -> String {
    const PREFIXES: [&str; 11] = [
        "reenviar", "reenv", "fwd", "res", "enc", "re", "rv", "fw", "aw", "tr", "r",
    ];
    let mut rest = s.trim();
    'strip: loop {
        for p in PREFIXES {
            let Some(head) = rest.get(..p.len()) else {
                continue;
            };
            if !head.eq_ignore_ascii_case(p) {
                continue;
            }
            let mut after = rest[p.len()..].trim_start();
            if let Some(counted) = after.strip_prefix('[') {
                // Re[2]:
                match counted.find(']') {
                    Some(e) if counted[..e].bytes().all(|b| b.is_ascii_digit()) => {
                        after = counted[e + 1..].trim_start()
                    }
                    _ => continue,
                }
            }
            if let Some(a) = after.strip_prefix(':') {
                rest = a.trim_start();
                continue 'strip;
            }
        }
        break;
    }
    normalize_text(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(raw: &[u8]) -> [u8; 32] {
        content_key(&parse_message(
            raw,
            &Limits::default(),
            DateHints::default(),
            false,
        ))
    }

    #[test]
    fn copies_link_across_bytes() {
        let sent = "From: Juan <jp@x.mx>\nTo: ana@x.mx, b@x.mx\nBcc: c@x.mx\nSubject: Oficio 12\nDate: Tue, 15 Mar 2016 09:30:01 -0600\nMessage-ID: <1@x>\n\nFrom the report:\nlinea dos\n";
        let inbox = "Received: from mx by y; Tue, 15 Mar 2016 09:30:05 -0600\r\nDelivered-To: ana@x.mx\r\nFrom: \"Juan\" <JP@x.mx>\r\nTo: b@x.mx, ana@x.mx\r\nSubject:  Oficio 12\r\nDate: Tue, 15 Mar 2016 09:30:01 -0600\r\nMessage-ID: <1@x>\r\n\r\n>From the report:\r\nlinea dos\r\n";
        assert_eq!(key(sent.as_bytes()), key(inbox.as_bytes()));
        let other = sent.replace("linea dos", "linea tres");
        assert_ne!(key(sent.as_bytes()), key(other.as_bytes()));
        let later = sent.replace("09:30:01", "09:31:01");
        assert_ne!(key(sent.as_bytes()), key(later.as_bytes()));
        let qp = "From: jp@x.mx\nTo: ana@x.mx, b@x.mx\nSubject: Oficio 12\nDate: Tue, 15 Mar 2016 09:30:01 -0600\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nRnJvbSB0aGUgcmVwb3J0OgpsaW5lYSBkb3MK\n";
        assert_eq!(key(sent.as_bytes()), key(qp.as_bytes()));
    }

    #[test]
    fn attached_messages_count_by_content() {
        let inner =
            "From: a@x.mx\nSubject: interno\nDate: Tue, 15 Mar 2016 09:30:01 -0600\n\ncuerpo\n";
        let outer = |inner: &str, nl: &str| {
            format!(
                "From: b@x.mx\nSubject: RV: interno\nDate: Wed, 16 Mar 2016 09:30:01 -0600\nContent-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\n\nver\n--z\nContent-Type: message/rfc822\n\n{}\n--z--\n",
                inner.replace('\n', nl)
            )
        };
        let lf = outer(inner, "\n");
        let crlf = outer(inner, "\r\n");
        assert_ne!(lf, crlf);
        assert_eq!(key(lf.as_bytes()), key(crlf.as_bytes()));
        let other = outer(&inner.replace("cuerpo", "otro"), "\n");
        assert_ne!(key(lf.as_bytes()), key(other.as_bytes()));
    }

    #[test]
    fn base_subjects() {
        assert_eq!(base_subject("RE: RV: Fwd: Oficio  12"), "oficio 12");
        assert_eq!(base_subject("Re[2]: Informe"), "informe");
        assert_eq!(base_subject("Reunión semanal"), "reunión semanal");
        assert_eq!(base_subject("Rv: "), "");
        assert_eq!(base_subject("RE: İstanbul"), "i̇stanbul");
        assert_eq!(base_subject("Respuesta"), "respuesta");
    }

    #[test]
    fn body_normalisation_is_lowercasing_the_whole() {
        for body in [
            "Hola  MUNDO\r\n>From Juan\n  ÁREA   Ñandú",
            "ΟΔΟΣ ΟΔΟΣ.\nΣ Σ ΑΣ",
            "İstanbul ǅemal ß ẞ",
            "",
        ] {
            let reference = body
                .lines()
                .map(|l| {
                    if l.trim_start_matches('>').starts_with("From ") {
                        l.trim_start_matches('>')
                    } else {
                        l
                    }
                })
                .flat_map(str::split_whitespace)
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            assert_eq!(normalize_body(body), reference, "{body}");
        }
    }
}
