//! Formats recognised by content, not by file name.

use serde::{Deserialize, Serialize};

use crate::mbox::{is_envelope, is_header_line};

/// How many leading bytes [`sniff`] wants to see.
pub const SNIFF_LEN: usize = 8192;

/// What a byte stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Zero bytes.
    Empty,
    /// An RFC 5322 message.
    Message,
    /// An mbox file (any variant).
    Mbox,
    Zip,
    Tar,
    SevenZip,
    Rar,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
    /// Outlook personal or offline store.
    Pst,
    /// OLE compound file: Outlook .msg, or legacy .doc/.xls/.ppt.
    Ole,
    /// Transport-neutral encapsulation (winmail.dat).
    Tnef,
    Pdf,
    /// Office Open XML package (.docx/.xlsx/.pptx).
    Ooxml,
    /// OpenDocument package (.odt/.ods/.odp).
    Odf,
    Rtf,
    Html,
    Image,
    Audio,
    Video,
    /// An executable (PE, ELF, Mach-O).
    Executable,
    /// Text of no recognised kind.
    Text,
    /// Bytes of no recognised kind.
    Binary,
}

impl Format {
    /// Short stable name, used in the catalog and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Empty => "empty",
            Format::Message => "eml",
            Format::Mbox => "mbox",
            Format::Zip => "zip",
            Format::Tar => "tar",
            Format::SevenZip => "7z",
            Format::Rar => "rar",
            Format::Gzip => "gzip",
            Format::Zstd => "zstd",
            Format::Bzip2 => "bzip2",
            Format::Xz => "xz",
            Format::Pst => "pst",
            Format::Ole => "ole",
            Format::Tnef => "tnef",
            Format::Pdf => "pdf",
            Format::Ooxml => "ooxml",
            Format::Odf => "odf",
            Format::Rtf => "rtf",
            Format::Html => "html",
            Format::Image => "image",
            Format::Audio => "audio",
            Format::Video => "video",
            Format::Executable => "executable",
            Format::Text => "text",
            Format::Binary => "binary",
        }
    }

    /// A compression layer around one stream.
    pub fn is_compression(self) -> bool {
        matches!(
            self,
            Format::Gzip | Format::Zstd | Format::Bzip2 | Format::Xz
        )
    }

    /// A format that holds other items.
    pub fn is_archive(self) -> bool {
        matches!(self, Format::Zip | Format::Tar | Format::SevenZip)
    }
}

/// Recognises a format from the first bytes of a stream (see [`SNIFF_LEN`]).
pub fn sniff(head: &[u8]) -> Format {
    if head.is_empty() {
        return Format::Empty;
    }
    if let Some(f) = sniff_magic(head) {
        return f;
    }
    let text = skip_blank(head);
    if text.starts_with(b"From ") {
        let line_end = memchr::memchr(b'\n', text).map_or(text.len(), |p| p + 1);
        let next_end =
            memchr::memchr(b'\n', &text[line_end..]).map_or(text.len(), |p| line_end + p + 1);
        // A full envelope, or a minimal one (`From -`) followed by a header.
        if is_envelope(&text[..line_end])
            || (line_end < 1024 && is_header_line(&text[line_end..next_end]))
        {
            return Format::Mbox;
        }
    }
    if looks_like_message(text) {
        return Format::Message;
    }
    // PDFs with a junk prefix, after the mail checks so that mail quoting a PDF stays mail.
    if memchr::memmem::find(&head[..head.len().min(1024)], b"%PDF-").is_some() {
        return Format::Pdf;
    }
    let lower: Vec<u8> = text.iter().take(512).map(u8::to_ascii_lowercase).collect();
    let lower = skip_blank(&lower);
    if lower.starts_with(b"<!doctype html")
        || lower.starts_with(b"<html")
        || lower.starts_with(b"<head")
    {
        return Format::Html;
    }
    if looks_like_text(head) {
        return Format::Text;
    }
    Format::Binary
}

fn sniff_magic(h: &[u8]) -> Option<Format> {
    let f = |m: &[u8]| h.starts_with(m);
    let fmt = if f(b"PK\x03\x04") {
        zip_first_entry_kind(h)
    } else if f(b"PK\x05\x06") || f(b"PK\x07\x08") {
        Format::Zip
    } else if f(b"\x1f\x8b") {
        Format::Gzip
    } else if f(b"\x28\xb5\x2f\xfd") {
        Format::Zstd
    } else if f(b"BZh") && h.len() > 3 && h[3].is_ascii_digit() {
        Format::Bzip2
    } else if f(b"\xfd7zXZ\x00") {
        Format::Xz
    } else if f(b"7z\xbc\xaf\x27\x1c") {
        Format::SevenZip
    } else if f(b"Rar!\x1a\x07") {
        Format::Rar
    } else if f(b"!BDN") {
        Format::Pst
    } else if f(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        Format::Ole
    } else if f(b"\x78\x9f\x3e\x22") {
        Format::Tnef
    } else if f(b"%PDF-") {
        Format::Pdf
    } else if f(b"{\\rtf") {
        Format::Rtf
    } else if f(b"\xff\xd8\xff")
        || f(b"\x89PNG\r\n\x1a\n")
        || f(b"GIF87a")
        || f(b"GIF89a")
        || f(b"BM") && h.len() > 14 && h[6..10] == [0, 0, 0, 0]
        || f(b"II*\x00")
        || f(b"MM\x00*")
        || (f(b"RIFF") && h.get(8..12) == Some(b"WEBP"))
        || (h.get(4..8) == Some(b"ftyp")
            && matches!(
                h.get(8..12),
                Some(b"heic" | b"heix" | b"mif1" | b"msf1" | b"avif")
            ))
    {
        Format::Image
    } else if f(b"ID3")
        || f(b"fLaC")
        || f(b"OggS")
        || (f(b"RIFF") && h.get(8..12) == Some(b"WAVE"))
        || f(b".snd")
        || f(b"FORM")
    {
        Format::Audio
    } else if h.get(4..8) == Some(b"ftyp")
        || f(b"\x1a\x45\xdf\xa3")
        || (f(b"RIFF") && h.get(8..12) == Some(b"AVI "))
    {
        Format::Video
    } else if f(b"MZ") && h.len() >= 64
        || f(b"\x7fELF")
        || f(b"\xcf\xfa\xed\xfe")
        || f(b"\xfe\xed\xfa\xcf")
        || f(b"\xca\xfe\xba\xbe")
    {
        Format::Executable
    } else if h.len() >= 512 && (&h[257..262] == b"ustar" || is_v7_tar(h)) {
        Format::Tar
    } else {
        return None;
    };
    Some(fmt)
}

/// Office packages are zips whose first entry gives them away.
fn zip_first_entry_kind(h: &[u8]) -> Format {
    if h.len() < 30 {
        return Format::Zip;
    }
    let name_len = u16::from_le_bytes([h[26], h[27]]) as usize;
    let extra_len = u16::from_le_bytes([h[28], h[29]]) as usize;
    let Some(name) = h.get(30..30 + name_len) else {
        return Format::Zip;
    };
    if name == b"[Content_Types].xml"
        || name.starts_with(b"_rels/")
        || name.starts_with(b"docProps/")
        || name.starts_with(b"word/")
        || name.starts_with(b"xl/")
        || name.starts_with(b"ppt/")
    {
        return Format::Ooxml;
    }
    if name == b"mimetype" {
        let data = h.get(30 + name_len + extra_len..).unwrap_or(&[]);
        if data.starts_with(b"application/vnd.oasis.opendocument") {
            return Format::Odf;
        }
    }
    Format::Zip
}

/// Old tar without the ustar magic: check the header checksum.
fn is_v7_tar(h: &[u8]) -> bool {
    let field = &h[148..156];
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .filter(|b| (b'0'..=b'7').contains(b))
        .collect();
    if digits.is_empty() {
        return false;
    }
    let Ok(expected) = u32::from_str_radix(std::str::from_utf8(&digits).unwrap_or("x"), 8) else {
        return false;
    };
    let sum: u32 = h[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u32
            }
        })
        .sum();
    sum == expected && h[0] != 0
}

fn skip_blank(h: &[u8]) -> &[u8] {
    let h = h.strip_prefix(b"\xef\xbb\xbf").unwrap_or(h);
    let n = h
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
        .count();
    &h[n..]
}

/// Header names that make a header block a mail header block.
const MAIL_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "received",
    "return-path",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "delivered-to",
    "reply-to",
    "sender",
    "references",
    "in-reply-to",
    "user-agent",
    "organization",
    "envelope-to",
    "status",
    "dkim-signature",
    "authentication-results",
    "importance",
    "list-id",
    "precedence",
    "content-disposition",
    "newsgroups",
    "path",
    "thread-topic",
    "thread-index",
    "priority",
    "received-spf",
    "arc-seal",
    "resent-from",
    "resent-date",
    "comments",
    "keywords",
];

/// A header block of at least one mail header, as RFC 5322 messages start.
pub fn looks_like_message(h: &[u8]) -> bool {
    let h = skip_blank(h);
    let mut lines = h.split(|&b| b == b'\n').peekable();
    if lines
        .peek()
        .is_some_and(|l| l.starts_with(b"Microsoft Mail Internet Headers"))
    {
        lines.next();
    }
    let (mut fields, mut known, mut ended) = (0usize, 0usize, false);
    for (i, line) in lines.enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            ended = true;
            break;
        }
        if (line[0] == b' ' || line[0] == b'\t') && fields > 0 {
            continue;
        }
        if !is_header_line(line) {
            // Headers that run straight into the body, no blank line between.
            ended = fields >= 2;
            break;
        }
        fields += 1;
        let colon = line.iter().position(|&b| b == b':').unwrap_or(0);
        let name = String::from_utf8_lossy(&line[..colon])
            .trim()
            .to_ascii_lowercase();
        if MAIL_HEADERS.contains(&name.as_str()) || name.starts_with("x-") {
            known += 1;
        }
        if i > 400 {
            break;
        }
    }
    fields >= 1 && known >= 1 && (ended || fields >= 2 || h.len() < SNIFF_LEN)
}

fn looks_like_text(h: &[u8]) -> bool {
    let sample = &h[..h.len().min(4096)];
    if sample.contains(&0) {
        // UTF-16 text has NULs; everything else with NULs is binary.
        return sample.starts_with(b"\xff\xfe") || sample.starts_with(b"\xfe\xff");
    }
    let control = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x1b))
        .count();
    control * 100 <= sample.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic() {
        assert_eq!(sniff(b""), Format::Empty);
        assert_eq!(sniff(b"%PDF-1.4\n"), Format::Pdf);
        assert_eq!(sniff(b"\x1f\x8b\x08\x00"), Format::Gzip);
        assert_eq!(sniff(b"!BDN\x00\x00"), Format::Pst);
        assert_eq!(sniff(b"{\\rtf1\\ansi"), Format::Rtf);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Format::Image);
        assert_eq!(sniff(b"\xff\xd8\xff\xe0"), Format::Image);
        let mut docx = b"PK\x03\x04".to_vec();
        docx.extend_from_slice(&[0; 22]);
        docx.extend_from_slice(&(19u16).to_le_bytes());
        docx.extend_from_slice(&[0, 0]);
        docx.extend_from_slice(b"[Content_Types].xml");
        assert_eq!(sniff(&docx), Format::Ooxml);
    }

    #[test]
    fn messages_and_mbox() {
        assert_eq!(
            sniff(b"Return-Path: <a@b.c>\nFrom: a@b.c\nSubject: x\n\nbody"),
            Format::Message
        );
        assert_eq!(
            sniff(b"\r\n\r\nFrom: a@b.c\r\nTo: b@c.d\r\n\r\nbody"),
            Format::Message
        );
        assert_eq!(
            sniff(b"Subject: x\nFrom: y\nBody starts without blank line"),
            Format::Message
        );
        assert_eq!(
            sniff(b"From a@b.c Mon Jan  3 10:00:00 2005\nSubject: x\n\nbody"),
            Format::Mbox
        );
        assert_eq!(sniff(b"Nota: esto es texto\nOtra linea"), Format::Text);
        assert_eq!(sniff(b"<!DOCTYPE html><html>"), Format::Html);
        assert_eq!(sniff(b"\x00\x01\x02\x03garbage\x00"), Format::Binary);
    }
}
