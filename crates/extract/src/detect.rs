//! What a document is, from its content (the name only breaks ties between kinds of text),
//! and the flags that follow from content and name alone.

use std::io::{Cursor, Read};

use serde::{Deserialize, Serialize};
use trove_formats::sniff::{Format, SNIFF_LEN, sniff};

use crate::{Extraction, Flag, Hint, Options};

/// The kinds of document extraction tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    Empty,
    Pdf,
    Docx,
    Xlsx,
    Pptx,
    Doc,
    Xls,
    Ppt,
    /// An OOXML package wrapped in OLE encryption (`EncryptedPackage`).
    OfficeEncrypted,
    /// An Outlook .msg (OLE).
    Msg,
    OleOther,
    Odt,
    Ods,
    Odp,
    Rtf,
    Html,
    Text,
    Csv,
    Calendar,
    VCard,
    Jpeg,
    Png,
    Tiff,
    Gif,
    Bmp,
    Webp,
    Heic,
    Executable,
    Archive,
    Message,
    Media,
    Binary,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Empty => "empty",
            Kind::Pdf => "pdf",
            Kind::Docx => "docx",
            Kind::Xlsx => "xlsx",
            Kind::Pptx => "pptx",
            Kind::Doc => "doc",
            Kind::Xls => "xls",
            Kind::Ppt => "ppt",
            Kind::OfficeEncrypted => "office-encrypted",
            Kind::Msg => "msg",
            Kind::OleOther => "ole",
            Kind::Odt => "odt",
            Kind::Ods => "ods",
            Kind::Odp => "odp",
            Kind::Rtf => "rtf",
            Kind::Html => "html",
            Kind::Text => "text",
            Kind::Csv => "csv",
            Kind::Calendar => "ics",
            Kind::VCard => "vcf",
            Kind::Jpeg => "jpeg",
            Kind::Png => "png",
            Kind::Tiff => "tiff",
            Kind::Gif => "gif",
            Kind::Bmp => "bmp",
            Kind::Webp => "webp",
            Kind::Heic => "heic",
            Kind::Executable => "executable",
            Kind::Archive => "archive",
            Kind::Message => "message",
            Kind::Media => "media",
            Kind::Binary => "binary",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(
            self,
            Kind::Jpeg | Kind::Png | Kind::Tiff | Kind::Gif | Kind::Bmp | Kind::Webp | Kind::Heic
        )
    }
}

/// The lower-cased extension of a name (`Informe.PDF` → `pdf`).
pub fn extension(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let (stem, ext) = base.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty() && ext.len() <= 8).then(|| ext.to_ascii_lowercase())
}

/// Recognises a document from its bytes, under the name and type of `hint`.
pub fn detect(bytes: &[u8], hint: &Hint) -> Kind {
    under_name(content_kind(bytes), hint)
}

/// What the bytes are before any name is heard. A name can still change two of these kinds
/// (see [`under_name`]): `Text` (to `Html` or `Csv`) and `Message` (to `Text`).
pub fn content_kind(bytes: &[u8]) -> Kind {
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    match sniff(head) {
        Format::Empty => Kind::Empty,
        Format::Message | Format::Mbox | Format::Pst | Format::Tnef => Kind::Message,
        Format::Zip => zip_kind(bytes).unwrap_or(Kind::Archive),
        Format::Ooxml | Format::Odf => zip_kind(bytes).unwrap_or(Kind::Archive),
        Format::Tar
        | Format::SevenZip
        | Format::Rar
        | Format::Gzip
        | Format::Zstd
        | Format::Bzip2
        | Format::Xz => Kind::Archive,
        Format::Ole => ole_kind(bytes),
        Format::Pdf => Kind::Pdf,
        Format::Rtf => Kind::Rtf,
        Format::Html => Kind::Html,
        Format::Image => image_kind(head),
        Format::Audio | Format::Video => Kind::Media,
        Format::Executable => Kind::Executable,
        Format::Text => text_kind(head),
        Format::Binary => {
            if head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff") {
                Kind::Text
            } else {
                Kind::Binary
            }
        }
    }
}

/// The kind of content `content` ([`content_kind`]) under a carrier's name and type: the name
/// only breaks ties between kinds of text.
pub fn under_name(content: Kind, hint: &Hint) -> Kind {
    let ext = hint.name.as_deref().and_then(extension);
    let mime = hint.mime.as_deref().unwrap_or("").to_ascii_lowercase();
    match content {
        // Plain text that happens to start like a header block, sent as a text file.
        Kind::Message if matches!(ext.as_deref(), Some("txt" | "csv" | "log")) => Kind::Text,
        Kind::Text
            if matches!(ext.as_deref(), Some("htm" | "html" | "xhtml")) || mime == "text/html" =>
        {
            Kind::Html
        }
        Kind::Text if matches!(ext.as_deref(), Some("csv" | "tsv")) || mime == "text/csv" => {
            Kind::Csv
        }
        k => k,
    }
}

/// What a document looks like from its first bytes alone (at most [`SNIFF_LEN`]), without
/// opening containers: zip- and OLE-based documents are `Archive` and `OleOther` here. For
/// the parent process, which never parses documents: the time budget of an image, the
/// format recorded when a worker fails before saying what it found.
pub fn head_kind(head: &[u8], hint: &Hint) -> Kind {
    let head = &head[..head.len().min(SNIFF_LEN)];
    match sniff(head) {
        Format::Zip | Format::Ooxml | Format::Odf => Kind::Archive,
        Format::Ole => Kind::OleOther,
        _ => detect(head, hint),
    }
}

/// Text by its content alone: calendars, cards, HTML without the name saying so.
fn text_kind(head: &[u8]) -> Kind {
    let start: Vec<u8> = head.iter().take(512).map(u8::to_ascii_uppercase).collect();
    let start = start.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&start);
    let trimmed = start.trim_ascii_start();
    if trimmed.starts_with(b"BEGIN:VCALENDAR") {
        return Kind::Calendar;
    }
    if trimmed.starts_with(b"BEGIN:VCARD") {
        return Kind::VCard;
    }
    let htmlish = trimmed.starts_with(b"<!DOCTYPE")
        || trimmed.starts_with(b"<HTML")
        || trimmed.starts_with(b"<BODY")
        || trimmed.starts_with(b"<DIV")
        || trimmed.starts_with(b"<P>")
        || trimmed.starts_with(b"<P ")
        || trimmed.starts_with(b"<TABLE")
        || trimmed.starts_with(b"<META");
    if htmlish {
        return Kind::Html;
    }
    Kind::Text
}

fn image_kind(h: &[u8]) -> Kind {
    if h.starts_with(b"\xff\xd8\xff") {
        Kind::Jpeg
    } else if h.starts_with(b"\x89PNG") {
        Kind::Png
    } else if h.starts_with(b"GIF8") {
        Kind::Gif
    } else if h.starts_with(b"BM") {
        Kind::Bmp
    } else if h.starts_with(b"II*\x00") || h.starts_with(b"MM\x00*") {
        Kind::Tiff
    } else if h.starts_with(b"RIFF") {
        Kind::Webp
    } else {
        Kind::Heic
    }
}

/// Names of a zip's entries with their sizes and encryption, read from the central directory
/// only (nothing is decompressed).
pub struct ZipListing {
    pub names: Vec<String>,
    pub compressed: u64,
    pub uncompressed: u64,
    pub encrypted: bool,
    /// Largest single-entry ratio among entries over 1 MiB.
    pub worst_ratio: u64,
    pub truncated: bool,
}

const MAX_LISTED: usize = 100_000;

pub fn zip_listing(bytes: &[u8]) -> Option<ZipListing> {
    let mut z = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut l = ZipListing {
        names: Vec::new(),
        compressed: 0,
        uncompressed: 0,
        encrypted: false,
        worst_ratio: 0,
        truncated: false,
    };
    for i in 0..z.len() {
        if i >= MAX_LISTED {
            l.truncated = true;
            break;
        }
        let Ok(f) = z.by_index_raw(i) else { continue };
        l.encrypted |= f.encrypted();
        l.compressed += f.compressed_size();
        l.uncompressed = l.uncompressed.saturating_add(f.size());
        if f.size() > 1 << 20 {
            l.worst_ratio = l.worst_ratio.max(f.size() / f.compressed_size().max(1));
        }
        l.names
            .push(f.name().map(|n| n.into_owned()).unwrap_or_default());
    }
    Some(l)
}

fn zip_kind(bytes: &[u8]) -> Option<Kind> {
    let l = zip_listing(bytes)?;
    let has = |n: &str| l.names.iter().any(|x| x == n);
    let has_prefix = |p: &str| l.names.iter().any(|x| x.starts_with(p));
    if has("mimetype") || has("content.xml") {
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
        let mut mt = String::new();
        if let Ok(f) = z.by_name("mimetype") {
            let _ = f.take(200).read_to_string(&mut mt);
        }
        if mt.contains("opendocument.text") {
            return Some(Kind::Odt);
        }
        if mt.contains("opendocument.spreadsheet") {
            return Some(Kind::Ods);
        }
        if mt.contains("opendocument.presentation") {
            return Some(Kind::Odp);
        }
    }
    if has("[Content_Types].xml") || has_prefix("word/") || has_prefix("xl/") || has_prefix("ppt/")
    {
        if has_prefix("word/") {
            return Some(Kind::Docx);
        }
        if has_prefix("xl/") {
            return Some(Kind::Xlsx);
        }
        if has_prefix("ppt/") {
            return Some(Kind::Pptx);
        }
    }
    None
}

/// Names of an OLE compound file's entries.
pub fn ole_entries(bytes: &[u8]) -> Option<Vec<String>> {
    let r = office_oxide::cfb::CfbReader::new(Cursor::new(bytes)).ok()?;
    Some(r.entries().iter().map(|e| e.name.clone()).collect())
}

fn ole_kind(bytes: &[u8]) -> Kind {
    let Some(names) = ole_entries(bytes) else {
        return Kind::OleOther;
    };
    let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
    if has("EncryptedPackage") || has("EncryptionInfo") {
        Kind::OfficeEncrypted
    } else if has("WordDocument") {
        Kind::Doc
    } else if has("Workbook") || has("Book") {
        Kind::Xls
    } else if has("PowerPoint Document") {
        Kind::Ppt
    } else if names
        .iter()
        .any(|n| n.starts_with("__substg1.0_") || n.starts_with("__properties_version1.0"))
    {
        Kind::Msg
    } else {
        Kind::OleOther
    }
}

/// Names Windows runs when opened.
const RUNNABLE: &[&str] = &[
    "exe",
    "scr",
    "com",
    "pif",
    "bat",
    "cmd",
    "vbs",
    "vbe",
    "js",
    "jse",
    "wsf",
    "wsh",
    "hta",
    "msi",
    "msp",
    "cpl",
    "jar",
    "ps1",
    "psm1",
    "lnk",
    "reg",
    "dll",
    "sys",
    "application",
    "gadget",
    "msc",
    "scf",
    "inf",
    "apk",
    "elf",
    "sh",
    "iso",
    "img",
    "vhd",
    "vhdx",
    "xll",
    "wll",
];

pub fn runnable_name(name: &str) -> bool {
    extension(name).is_some_and(|e| RUNNABLE.contains(&e.as_str()))
}

/// Kinds a name's extension promises (the first one is what the name says).
fn expected(ext: &str) -> Option<&'static [Kind]> {
    Some(match ext {
        "pdf" => &[Kind::Pdf],
        // Word and Excel open RTF and HTML saved under their legacy extensions.
        "doc" | "dot" => &[
            Kind::Doc,
            Kind::Rtf,
            Kind::Html,
            Kind::OfficeEncrypted,
            Kind::Docx,
        ],
        "docx" | "docm" | "dotx" => &[Kind::Docx, Kind::OfficeEncrypted],
        "xls" | "xlt" => &[
            Kind::Xls,
            Kind::Html,
            Kind::Xlsx,
            Kind::Csv,
            Kind::Text,
            Kind::OfficeEncrypted,
        ],
        "xlsx" | "xlsm" | "xltx" => &[Kind::Xlsx, Kind::OfficeEncrypted],
        "ppt" | "pps" | "pot" => &[Kind::Ppt, Kind::OfficeEncrypted, Kind::Pptx],
        "pptx" | "pptm" | "ppsx" => &[Kind::Pptx, Kind::OfficeEncrypted],
        "odt" => &[Kind::Odt],
        "ods" => &[Kind::Ods],
        "odp" => &[Kind::Odp],
        "rtf" => &[Kind::Rtf],
        "jpg" | "jpeg" | "jpe" | "jfif" => &[Kind::Jpeg],
        "png" => &[Kind::Png],
        "gif" => &[Kind::Gif],
        "bmp" => &[Kind::Bmp],
        "tif" | "tiff" => &[Kind::Tiff],
        "webp" => &[Kind::Webp],
        "heic" | "heif" => &[Kind::Heic],
        "zip" | "rar" | "7z" | "gz" | "tgz" | "tar" | "bz2" | "xz" => &[
            Kind::Archive,
            Kind::Docx,
            Kind::Xlsx,
            Kind::Pptx,
            Kind::Odt,
            Kind::Ods,
            Kind::Odp,
        ],
        "exe" | "dll" | "scr" | "sys" | "cpl" => &[Kind::Executable],
        "txt" | "csv" | "log" => &[Kind::Text, Kind::Csv, Kind::Html],
        "htm" | "html" => &[Kind::Html, Kind::Text],
        _ => return None,
    })
}

/// Flags that follow from content and name, before any parsing.
pub fn flags(bytes: &[u8], hint: &Hint, kind: Kind) -> Vec<Flag> {
    let mut out = name_flags(hint, kind);
    for f in content_flags(bytes, kind) {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

/// Flags of one carrier's name, the content being `kind` under that name ([`under_name`]):
/// a name Windows would run, a name that promises another format.
pub fn name_flags(hint: &Hint, kind: Kind) -> Vec<Flag> {
    let mut out = Vec::new();
    let name = hint.name.as_deref().unwrap_or("");
    if runnable_name(name) {
        out.push(Flag::Executable);
    }
    if let Some(ext) = extension(name)
        && let Some(exp) = expected(&ext)
        && !exp.contains(&kind)
        && kind != Kind::Empty
    {
        out.push(Flag::Mismatch);
    }
    out
}

/// Flags of the content alone.
pub fn content_flags(bytes: &[u8], kind: Kind) -> Vec<Flag> {
    let mut out = Vec::new();
    if kind == Kind::Executable {
        out.push(Flag::Executable);
    }
    match kind {
        Kind::OfficeEncrypted => out.push(Flag::Encrypted),
        Kind::Pdf => out.extend(crate::pdf::name_flags(bytes)),
        Kind::Doc | Kind::Xls | Kind::Ppt => {
            if let Some(names) = ole_entries(bytes) {
                let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
                if has("Macros") || has("_VBA_PROJECT_CUR") || has("VBA") || has("_VBA_PROJECT") {
                    out.push(Flag::Macro);
                }
                if names
                    .iter()
                    .any(|n| n.starts_with("MBD") || n == "ObjectPool" || n == "\u{1}Ole10Native")
                {
                    out.push(Flag::Embedded);
                }
            }
            if kind == Kind::Xls && xls_filepass(bytes) {
                out.push(Flag::Encrypted);
            }
        }
        Kind::Docx | Kind::Xlsx | Kind::Pptx | Kind::Odt | Kind::Ods | Kind::Odp => {
            if let Some(l) = zip_listing(bytes) {
                if l.names.iter().any(|n| {
                    n.ends_with("vbaProject.bin")
                        || n.starts_with("xl/macrosheets/")
                        || n.starts_with("Basic/") && n.len() > 6
                }) {
                    out.push(Flag::Macro);
                }
                if l.names
                    .iter()
                    .any(|n| n.contains("/embeddings/") || n.starts_with("Object "))
                {
                    out.push(Flag::Embedded);
                }
                if bomb_like(&l) {
                    out.push(Flag::Bomb);
                }
                if l.encrypted {
                    out.push(Flag::Encrypted);
                }
            }
            if matches!(kind, Kind::Odt | Kind::Ods | Kind::Odp) && odf_encrypted(bytes) {
                out.push(Flag::Encrypted);
            }
        }
        _ => {}
    }
    out
}

/// Expands over 100× to more than 100 MiB, or one entry over 1,000×.
fn bomb_like(l: &ZipListing) -> bool {
    (l.uncompressed > 100 << 20 && l.uncompressed / l.compressed.max(1) > 100)
        || l.worst_ratio > 1000
}

/// An encrypted .xls has a FILEPASS record (0x002F) in its Workbook stream; a cheap check
/// on the first records of the stream.
fn xls_filepass(bytes: &[u8]) -> bool {
    let Ok(mut r) = office_oxide::cfb::CfbReader::new(Cursor::new(bytes)) else {
        return false;
    };
    let stream = r.open_stream("Workbook").or_else(|_| r.open_stream("Book"));
    let Ok(s) = stream else { return false };
    let mut pos = 0usize;
    for _ in 0..64 {
        let Some(h) = s.get(pos..pos + 4) else {
            return false;
        };
        let (typ, len) = (
            u16::from_le_bytes([h[0], h[1]]),
            u16::from_le_bytes([h[2], h[3]]) as usize,
        );
        if typ == 0x002F {
            return true;
        }
        if typ == 0x000A && pos > 0 {
            return false; // EOF of the globals substream
        }
        pos += 4 + len;
    }
    false
}

/// An ODF package whose manifest declares encrypted entries.
fn odf_encrypted(bytes: &[u8]) -> bool {
    let Ok(mut z) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return false;
    };
    let Ok(f) = z.by_name("META-INF/manifest.xml") else {
        return false;
    };
    let mut s = String::new();
    let _ = f.take(1 << 20).read_to_string(&mut s);
    s.contains("encryption-data")
}

/// Archives: the listing of a zip's members is its text (members are extracted on their
/// own when the ingest opens the archive); executables inside and encryption are flagged.
pub fn archive_summary(bytes: &[u8], _opts: &Options, out: &mut Extraction) {
    let Some(l) = zip_listing(bytes) else {
        out.status = crate::Status::Skipped;
        out.reason = Some("archive: its members are read by the ingest".into());
        return;
    };
    if l.encrypted {
        out.flag(Flag::Encrypted);
    }
    if l.names.iter().any(|n| runnable_name(n)) {
        out.flag(Flag::Executable);
    }
    if bomb_like(&l) {
        out.flag(Flag::Bomb);
    }
    if l.truncated {
        out.truncated(format!("listing cut at {MAX_LISTED} members"));
    }
    out.meta
        .extra
        .insert("members".into(), l.names.len().to_string());
    out.meta
        .extra
        .insert("unzipped_bytes".into(), l.uncompressed.to_string());
    out.text = l.names.join("\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_flags() {
        assert_eq!(extension("Informe.PDF").as_deref(), Some("pdf"));
        assert_eq!(extension(".bashrc"), None);
        assert!(runnable_name("factura.pdf.exe"));
        assert!(!runnable_name("factura.pdf"));
        let hint = Hint {
            name: Some("factura.pdf".into()),
            mime: None,
        };
        let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00\x00\x00\x00\x00\x00\x00\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00\x00\x00";
        let k = detect(exe, &hint);
        assert_eq!(k, Kind::Executable);
        let f = flags(exe, &hint, k);
        assert!(
            f.contains(&Flag::Executable) && f.contains(&Flag::Mismatch),
            "{f:?}"
        );
        let k = detect(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", &Hint::default());
        assert_eq!(k, Kind::Calendar);
        assert_eq!(
            detect(
                b"a;b;c\n1;2;3\n",
                &Hint {
                    name: Some("x.csv".into()),
                    mime: None
                }
            ),
            Kind::Csv
        );
    }
}
