//! Text, metadata and risk flags from attachments and loose documents.
//!
//! [`extract()`] turns the bytes of one document into an [`Extraction`]: its text (pages
//! separated by form feeds), its metadata (author, title, dates, producer, EXIF camera, time
//! and GPS), the [`Flag`]s an investigator filters on (executables, macros, encryption,
//! extension/content mismatch, bomb-like compression) and an outcome with its reason.
//! Formats are recognised by content ([`detect`]); PDF goes through pdfium ([`pdf`], loaded at
//! run time), images and image-only pages through Tesseract ([`ocr`], loaded at run time),
//! Office files through office_oxide, OpenDocument, RTF, HTML and text through parsers here.
//!
//! Untrusted bytes are never parsed in the ingest process: [`pool::Pool`] runs `extract` in
//! worker processes ([`worker`]) bounded in time, memory and output, without network, and
//! restarts a worker that crashes.
//!
//! This crate knows nothing of a case or its catalog (it does not link SQLite, and neither
//! does its worker binary): it parses bytes into text, metadata and flags. The stage that picks
//! a case's documents, runs them through the pool and records the outcomes is
//! `trove_ingest::extract_stage`.

pub mod detect;
pub mod html;
pub mod image;
pub mod layout;
pub mod normalize;
pub mod ocr;
pub mod odf;
pub mod office;
pub mod pdf;
pub mod pool;
pub mod rtf;
pub mod text;
pub mod worker;

use std::collections::BTreeMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use detect::Kind;

/// What extraction of one document came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Text and metadata read (the text may be empty: a photo without words).
    #[default]
    Extracted,
    /// Pages or images wait for OCR (deferred to `trove ocr`).
    OcrPending,
    /// Reading failed; `reason` says how.
    Failed,
    /// Deliberately not read; `reason` says why (executables, media, encrypted files…).
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Extracted => "extracted",
            Status::OcrPending => "ocr-pending",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "extracted" => Status::Extracted,
            "ocr-pending" => Status::OcrPending,
            "failed" => Status::Failed,
            "skipped" => Status::Skipped,
            _ => return None,
        })
    }
}

/// Something an investigator wants to filter on: risky or unusual about a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flag {
    /// A program or script (PE, ELF, Mach-O, or a name Windows would run), or an archive
    /// holding one.
    Executable,
    /// An Office document with VBA macros (or an Excel 4 macro sheet).
    Macro,
    /// An encrypted document or archive (no password tried).
    Encrypted,
    /// The name says one format, the content another (`factura.pdf` that is a program).
    Mismatch,
    /// Compressed parts that expand suspiciously (a zip bomb's ratio).
    Bomb,
    /// A PDF that carries JavaScript.
    Javascript,
    /// A PDF with a launch action: it asks the reader to start a program or open a file
    /// (`/Launch`, on opening or on a click).
    Launch,
    /// A document with embedded files (PDF attachments, OLE objects).
    Embedded,
    /// Part of the text is missing: cut at the text limit, past a page, glyph, listing or OCR
    /// cap, or lost where the reader found the document damaged or too deeply nested. The
    /// extraction's reason says which.
    Truncated,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Executable => "executable",
            Flag::Macro => "macro",
            Flag::Encrypted => "encrypted",
            Flag::Mismatch => "mismatch",
            Flag::Bomb => "bomb",
            Flag::Javascript => "javascript",
            Flag::Launch => "launch",
            Flag::Embedded => "embedded",
            Flag::Truncated => "truncated",
        }
    }

    pub const ALL: [Flag; 9] = [
        Flag::Executable,
        Flag::Macro,
        Flag::Encrypted,
        Flag::Mismatch,
        Flag::Bomb,
        Flag::Javascript,
        Flag::Launch,
        Flag::Embedded,
        Flag::Truncated,
    ];
}

/// GPS position from EXIF, in decimal degrees (south and west negative).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gps {
    pub lat: f64,
    pub lon: f64,
    /// Metres above sea level.
    pub alt: Option<f64>,
}

/// Document metadata, as the document states it (nothing here is verified).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// The program that made the document (PDF Creator, Office application).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creator_tool: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub producer: Option<String>,
    /// As written in the document (ISO 8601 where the format says so).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Camera make and model (EXIF).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
    /// When the photo was taken (EXIF DateTimeOriginal, as written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taken: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gps: Option<Gps>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Everything else worth keeping (EXIF tags, software, page size…).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}

impl Metadata {
    pub fn is_empty(&self) -> bool {
        *self == Metadata::default()
    }
}

/// The result of extracting one document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Extraction {
    /// The format recognised from content: `pdf`, `docx`, `doc`, `xls`, `odt`, `rtf`, `html`,
    /// `text`, `jpeg`, `executable`…
    pub format: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Plain text. Paged formats (PDF) separate pages with form feeds (`\x0c`).
    pub text: String,
    /// Pages (PDF, presentations: slides), 0 when the format has none.
    pub pages: u32,
    /// Pages (0-based) without a usable text layer that still wait for OCR.
    #[serde(default)]
    pub ocr_pending: Vec<u32>,
    /// Pages (0-based) whose text came from OCR.
    #[serde(default)]
    pub ocr_pages: Vec<u32>,
    #[serde(default)]
    pub meta: Metadata,
    #[serde(default)]
    pub flags: Vec<Flag>,
    /// Time spent, milliseconds.
    #[serde(default)]
    pub millis: u64,
    /// CPU time the worker process spent on it, milliseconds (0 when run in-process).
    #[serde(default)]
    pub cpu_millis: u64,
}

impl Extraction {
    fn new(format: &str) -> Self {
        Extraction {
            format: format.to_owned(),
            ..Default::default()
        }
    }

    pub fn flag(&mut self, f: Flag) {
        if !self.flags.contains(&f) {
            self.flags.push(f);
            self.flags.sort();
        }
    }

    /// Records that part of the text is missing and why: the `truncated` flag, the reasons in
    /// `meta.extra["truncated"]`, and the first as the extraction's reason when it has none
    /// (an extracted document otherwise has no reason). `why` names the cause, not the
    /// document, so that the report groups documents by it.
    pub fn truncated(&mut self, why: impl Into<String>) {
        let why = why.into();
        self.flag(Flag::Truncated);
        let all = self.meta.extra.entry("truncated".into()).or_default();
        if !all.split("; ").any(|w| w == why) {
            if !all.is_empty() {
                all.push_str("; ");
            }
            all.push_str(&why);
        }
        if self.reason.is_none() {
            self.reason = Some(why);
        }
    }

    fn fail(&mut self, reason: impl Into<String>) {
        self.status = Status::Failed;
        self.reason = Some(reason.into());
    }

    fn skip(&mut self, reason: impl Into<String>) {
        self.status = Status::Skipped;
        self.reason = Some(reason.into());
    }

    /// A failed extraction, for failures outside the parser (a crashed or timed-out worker).
    pub fn failed(format: &str, reason: impl Into<String>) -> Self {
        let mut e = Extraction::new(format);
        e.fail(reason);
        e
    }

    /// A skipped extraction, for documents refused before any parser sees them (over the
    /// pipeline's size limit: `format` as far as it is known without reading them).
    pub fn skipped(format: &str, reason: impl Into<String>) -> Self {
        let mut e = Extraction::new(format);
        e.skip(reason);
        e
    }
}

/// What the container says about a document (never trusted over content).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Hint {
    /// File name (attachment name, file or member name).
    pub name: Option<String>,
    /// Declared MIME type.
    pub mime: Option<String>,
}

/// When OCR runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum OcrMode {
    /// Pages that need OCR are recorded as pending (`trove ocr` does them later).
    #[default]
    Defer,
    /// OCR now.
    Now,
    /// Never: pending pages are recorded, and nothing else happens.
    Off,
}

/// How to extract.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Options {
    pub ocr: OcrMode,
    /// Tesseract languages (`spa`, `spa+eng`).
    pub languages: String,
    /// Text kept per document, in bytes (the rest is cut and the cut recorded).
    pub max_text: usize,
    /// Pages OCR'd per document at most.
    pub max_ocr_pages: u32,
    /// Images smaller than this on either side are not OCR'd (logos, icons, spacers).
    pub min_ocr_pixels: u32,
    /// Resolution PDF pages are rendered at for OCR.
    pub ocr_dpi: u32,
    /// Decompressed bytes a zip-based document may expand to.
    pub max_unzipped: u64,
    /// Use the native engines (pdfium, Tesseract). Off, PDFs are skipped and images are not
    /// OCR'd: only the pure-Rust parsers run (fuzzing uses this).
    #[serde(default = "yes")]
    pub native: bool,
}

fn yes() -> bool {
    true
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ocr: OcrMode::Defer,
            languages: "spa".into(),
            max_text: 64 << 20,
            max_ocr_pages: 500,
            min_ocr_pixels: 200,
            ocr_dpi: 300,
            max_unzipped: 1 << 30,
            native: true,
        }
    }
}

/// Extracts one document in this process. Never panics on any input (parsers that could
/// are run under `catch_unwind`), but has no time or memory bound of its own: untrusted
/// bytes go through [`pool::Pool`], which runs this in bounded worker processes.
pub fn extract(bytes: &[u8], hint: &Hint, opts: &Options) -> Extraction {
    extract_carried(bytes, std::slice::from_ref(hint), opts)
}

/// As [`extract`], for a document that arrived under several names and types (its carriers:
/// the attachments and files that hold these bytes). The content is read as the first of
/// `hints` (callers order them by a stable key, so that the outcome does not depend on which
/// carrier came first); the flags of names are every carrier's, a mismatch judged for each
/// carrier against what the content is under its own name.
pub fn extract_carried(bytes: &[u8], hints: &[Hint], opts: &Options) -> Extraction {
    let started = Instant::now();
    let fallback = Hint::default();
    let hint = hints.first().unwrap_or(&fallback);
    let mut out = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        extract_inner(bytes, hints, opts)
    })) {
        Ok(e) => e,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let kind =
                std::panic::catch_unwind(|| detect::detect(bytes, hint)).unwrap_or(Kind::Binary);
            Extraction::failed(kind.as_str(), format!("parser panicked: {what}"))
        }
    };
    if out.text.len() > opts.max_text {
        let cut = normalize::floor_char_boundary(&out.text, opts.max_text);
        out.text.truncate(cut);
        out.meta
            .extra
            .insert("text_truncated_at".into(), cut.to_string());
        out.truncated(format!(
            "text cut at the text limit ({} bytes)",
            opts.max_text
        ));
    }
    out.millis = started.elapsed().as_millis() as u64;
    out
}

fn extract_inner(bytes: &[u8], hints: &[Hint], opts: &Options) -> Extraction {
    let fallback = Hint::default();
    let hint = hints.first().unwrap_or(&fallback);
    let content = detect::content_kind(bytes);
    let kind = detect::under_name(content, hint);
    let mut out = Extraction::new(kind.as_str());
    for f in detect::content_flags(bytes, kind) {
        out.flag(f);
    }
    for h in hints.iter().chain(hints.is_empty().then_some(&fallback)) {
        for f in detect::name_flags(h, detect::under_name(content, h)) {
            out.flag(f);
        }
    }
    match kind {
        Kind::Empty => out.skip("empty (0 bytes)"),
        Kind::Pdf if !opts.native => out.skip("PDF engine disabled"),
        Kind::Pdf => pdf::extract(bytes, opts, &mut out),
        Kind::Docx | Kind::Xlsx | Kind::Pptx | Kind::Doc | Kind::Xls | Kind::Ppt => {
            office::extract(bytes, kind, opts, &mut out)
        }
        Kind::Odt | Kind::Ods | Kind::Odp => odf::extract(bytes, kind, opts, &mut out),
        Kind::OfficeEncrypted => {
            out.flag(Flag::Encrypted);
            out.skip("encrypted Office document; no password");
        }
        Kind::Msg => out.skip("Outlook message (.msg): read by the mail reader, not as a document"),
        Kind::OleOther => out.skip("OLE compound file of no known document kind"),
        Kind::Rtf => {
            let (text, meta) = rtf::to_text(bytes);
            out.text = text;
            out.meta = meta;
        }
        Kind::Html => {
            let (text, title) = html::to_text(&text::decode(bytes, hint_charset(hint)).0);
            out.text = text;
            out.meta.title = title;
        }
        Kind::Text | Kind::Csv => out.text = text::decode(bytes, hint_charset(hint)).0,
        Kind::Calendar | Kind::VCard => {
            out.text = text::calendar_text(&text::decode(bytes, None).0)
        }
        Kind::Jpeg | Kind::Png | Kind::Tiff | Kind::Gif | Kind::Bmp | Kind::Webp | Kind::Heic => {
            image::extract(bytes, kind, opts, &mut out)
        }
        Kind::Executable => out.skip("executable: never opened"),
        Kind::Archive => detect::archive_summary(bytes, opts, &mut out),
        Kind::Message => out.skip("mail message: read by the mail reader"),
        Kind::Media => out.skip("audio or video: no text to extract"),
        Kind::Binary => out.skip("unrecognised binary format"),
    }
    if out.status == Status::Extracted || out.status == Status::OcrPending {
        out.text = normalize::clean(&out.text);
    }
    out
}

fn hint_charset(_hint: &Hint) -> Option<&str> {
    None
}

/// Words of a text for recall measurements: lower-cased, NFC, split on anything that is not
/// a letter or digit.
pub fn words(text: &str) -> Vec<String> {
    use unicode_normalization::UnicodeNormalization;
    let t: String = text.nfc().collect::<String>().to_lowercase();
    t.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Share of `reference`'s words (as a multiset) found in `candidate`.
pub fn word_recall(reference: &str, candidate: &str) -> f64 {
    let mut have: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for w in words(candidate) {
        *have.entry(w).or_default() += 1;
    }
    let want = words(reference);
    if want.is_empty() {
        return 1.0;
    }
    let mut found = 0usize;
    for w in &want {
        if let Some(n) = have.get_mut(w)
            && *n > 0
        {
            *n -= 1;
            found += 1;
        }
    }
    found as f64 / want.len() as f64
}
