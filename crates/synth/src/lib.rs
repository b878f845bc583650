//! # trove-synth — a deterministic synthetic mail leak
//!
//! Real leaks (the Guacamaya dump of Mexico's SEDENA is the model here) cannot be shipped with
//! the project, yet every part of trove — format sniffing, MIME decoding, deduplication,
//! threading, search, language detection, text extraction — needs a large, realistic corpus
//! with *known* answers. This crate writes one.
//!
//! [`generate`] authors `messages` logical e-mails between custodians (mailbox owners with
//! accented names, military ranks and units), other staff, suppliers, webmail users and a few
//! foreign correspondents, in formal Spanish (oficios, reports, contracts, meeting notices,
//! intelligence summaries with names, places, phone numbers, CURP/RFC-shaped IDs and peso
//! amounts) plus about 5% English. Mail is threaded (replies, forwards, quoted text, some
//! header-poor replies), dated 2010–2022 in Mexican time zones, and encoded the messy way real
//! mail is: utf-8 / iso-8859-1 / windows-1252, quoted-printable / base64 / 8bit, RFC 2047
//! words (some split inside a UTF-8 character), raw 8-bit headers, RFC 2231 filenames,
//! text+HTML alternatives, HTML with the charset only in `<meta>`, and attachments that are
//! real files (PDF, DOCX, XLSX, JPEG, nested zips, forwarded `message/rfc822`).
//!
//! Each logical message is stored once per mailbox that would hold it (the sender's
//! `Enviados`, each custodian recipient's `Bandeja de entrada` or `Archivo/<year>`), with the
//! byte-level differences real copies have (delivery headers, Bcc only in the sender's copy,
//! CRLF vs LF, mbox escaping). Each custodian's mailbox uses one layout, round-robin over the
//! configured ones:
//!
//! ```text
//! out/eml/<login>/<Folder>/<NNNNNN>.eml
//! out/maildir/<login>/{cur,new,tmp}, .Enviados/cur/..., .Archivo.2019/cur/...   (Maildir++)
//! out/mbox/<login>/<Folder>.mbox                                                (mboxrd)
//! out/zip/<login>.zip          (EML members under folder paths, some with a nested respaldo.zip)
//! out/manifest.json            (totals: see Manifest)
//! out/manifest-messages.jsonl  (one MessageRecord per logical message, with copy locations)
//! ```
//!
//! Output is a pure function of the configuration: the same seed and config give a
//! byte-identical tree (zip timestamps come from message dates; no wall clock, no hash-map
//! iteration order), even though rendering runs on all cores. Writing is streamed, so memory
//! stays bounded for millions of messages.
//!
//! ```no_run
//! let cfg = trove_synth::SynthConfig { messages: 5_000, ..Default::default() };
//! let manifest = trove_synth::generate(&cfg, std::path::Path::new("/tmp/leak"))?;
//! println!("{} copies in {} files", manifest.copies, manifest.files);
//! # Ok::<(), trove_synth::SynthError>(())
//! ```

mod attach;
mod manifest;
mod message;
mod mime;
mod rng;
mod text;
mod vocab;
mod world;
mod writer;

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

use serde::{Deserialize, Serialize};

pub use manifest::{
    AttachmentRecord, CustodianEntry, LayoutStats, Location, MANIFEST_FILE, MESSAGES_FILE,
    Manifest, MessageRecord, NestedZips, read_messages,
};

/// Errors from [`generate`].
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("unknown layout {0:?} (expected eml, maildir, mbox or zip)")]
    UnknownLayout(String),
    #[error("output directory {0} exists and is not empty")]
    OutputNotEmpty(PathBuf),
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("zip error: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
    #[error("JPEG encoding error: {0}")]
    Jpeg(String),
    #[error("generator worker failed: {0}")]
    Worker(String),
}

impl SynthError {
    pub(crate) fn io(path: impl AsRef<Path>, source: std::io::Error) -> SynthError {
        SynthError::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }
}

/// Mailbox storage layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// One `.eml` file per message copy, in folder directories.
    Eml,
    /// Maildir++ (`cur/new/tmp`, dot-folders).
    Maildir,
    /// One mboxrd file per folder.
    Mbox,
    /// One zip per mailbox with EML members (sometimes a nested `respaldo.zip`).
    Zip,
}

impl Layout {
    pub const ALL: [Layout; 4] = [Layout::Eml, Layout::Maildir, Layout::Mbox, Layout::Zip];

    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Eml => "eml",
            Layout::Maildir => "maildir",
            Layout::Mbox => "mbox",
            Layout::Zip => "zip",
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Layout {
    type Err = SynthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "eml" => Ok(Layout::Eml),
            "maildir" => Ok(Layout::Maildir),
            "mbox" => Ok(Layout::Mbox),
            "zip" => Ok(Layout::Zip),
            other => Err(SynthError::UnknownLayout(other.to_string())),
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SynthConfig {
    /// Seed of every random choice; same seed + config ⇒ byte-identical output.
    pub seed: u64,
    /// Logical messages to author (copies on disk are more: one per holding mailbox).
    pub messages: usize,
    /// Layouts to use; custodians are assigned round-robin in this order.
    pub layouts: Vec<Layout>,
    /// Attach files (PDF, DOCX, XLSX, JPEG, zip, message/rfc822) to ~20% of messages.
    pub attachments: bool,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 1,
            messages: 1000,
            layouts: Layout::ALL.to_vec(),
            attachments: true,
        }
    }
}

/// Threads per unit of parallel work.
const THREADS_PER_BATCH: usize = 32;

struct Batch {
    first_thread: u64,
    first_index: u64,
    sizes: Vec<u8>,
}

fn plan(seed: u64, messages: usize) -> Vec<Batch> {
    let mut rng = rng::stream(seed, 0, 0);
    let mut batches = Vec::new();
    let mut total = 0usize;
    let mut thread = 0u64;
    let mut cur = Batch {
        first_thread: 0,
        first_index: 0,
        sizes: Vec::with_capacity(THREADS_PER_BATCH),
    };
    while total < messages {
        let s = message::thread_size(&mut rng).min(messages - total);
        cur.sizes.push(s as u8);
        total += s;
        thread += 1;
        if cur.sizes.len() == THREADS_PER_BATCH {
            let next = Batch {
                first_thread: thread,
                first_index: total as u64,
                sizes: Vec::with_capacity(THREADS_PER_BATCH),
            };
            batches.push(std::mem::replace(&mut cur, next));
        }
    }
    if !cur.sizes.is_empty() {
        batches.push(cur);
    }
    batches
}

fn render_batch(
    w: &world::World,
    attachments: bool,
    b: &Batch,
) -> Result<Vec<message::Rendered>, SynthError> {
    let mut out = Vec::with_capacity(b.sizes.len() * 3);
    let mut index = b.first_index;
    for (i, &s) in b.sizes.iter().enumerate() {
        out.extend(message::gen_thread(
            w,
            attachments,
            b.first_thread + i as u64,
            index,
            usize::from(s),
        )?);
        index += u64::from(s);
    }
    Ok(out)
}

/// Generate the corpus into `out` (created if missing; must be empty) and write
/// `out/manifest.json` plus `out/manifest-messages.jsonl`.
pub fn generate(cfg: &SynthConfig, out: &Path) -> Result<Manifest, SynthError> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 16);
    generate_with_workers(cfg, out, workers)
}

/// [`generate`] with an explicit number of rendering threads (the output does not depend on
/// it; tests use this to prove that).
#[doc(hidden)]
pub fn generate_with_workers(
    cfg: &SynthConfig,
    out: &Path,
    workers: usize,
) -> Result<Manifest, SynthError> {
    let workers = workers.clamp(1, 64);
    if cfg.layouts.is_empty() {
        return Err(SynthError::Config("at least one layout is required".into()));
    }
    if out.exists() {
        let mut rd = fs::read_dir(out).map_err(|e| SynthError::io(out, e))?;
        if rd.next().is_some() {
            return Err(SynthError::OutputNotEmpty(out.to_path_buf()));
        }
    } else {
        fs::create_dir_all(out).map_err(|e| SynthError::io(out, e))?;
    }

    let world = world::World::new(cfg.seed, cfg.messages, &cfg.layouts);
    let batches = plan(cfg.seed, cfg.messages);
    let threads: u64 = batches.iter().map(|b| b.sizes.len() as u64).sum();
    // Creating many small files is kernel-bound; a small pool overlaps it with rendering.
    let io_threads = workers.clamp(2, 4);
    let (io_tx, io_rx) = mpsc::sync_channel::<writer::FileJob>(512);
    let io_rx = Mutex::new(io_rx);
    let io_error: Mutex<Option<SynthError>> = Mutex::new(None);
    let mut writer = writer::Writer::new(out, &world, out.join(MESSAGES_FILE), Some(io_tx))?;
    let window = workers * 4;
    let next = AtomicUsize::new(0);
    let abort = AtomicBool::new(false);
    let gate = (Mutex::new(0usize), Condvar::new());

    let result: Result<(), SynthError> = std::thread::scope(|s| {
        let (tx, rx) =
            mpsc::sync_channel::<(usize, Result<Vec<message::Rendered>, SynthError>)>(workers * 2);
        let mut io_handles = Vec::with_capacity(io_threads);
        for _ in 0..io_threads {
            let (io_rx, io_error) = (&io_rx, &io_error);
            io_handles.push(s.spawn(move || {
                loop {
                    let job = {
                        let rx = io_rx.lock().unwrap_or_else(|e| e.into_inner());
                        rx.recv()
                    };
                    let Ok((path, data)) = job else { break };
                    if let Err(e) = fs::write(&path, &data) {
                        let mut slot = io_error.lock().unwrap_or_else(|e| e.into_inner());
                        if slot.is_none() {
                            *slot = Some(SynthError::io(&path, e));
                        }
                    }
                }
            }));
        }
        let mut handles = Vec::with_capacity(workers);
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, abort, gate, batches, world) = (&next, &abort, &gate, &batches, &world);
            handles.push(s.spawn(move || {
                loop {
                    let b = next.fetch_add(1, Ordering::SeqCst);
                    if b >= batches.len() || abort.load(Ordering::SeqCst) {
                        break;
                    }
                    {
                        let mut written = gate.0.lock().unwrap_or_else(|e| e.into_inner());
                        while b >= *written + window && !abort.load(Ordering::SeqCst) {
                            written = gate.1.wait(written).unwrap_or_else(|e| e.into_inner());
                        }
                    }
                    if abort.load(Ordering::SeqCst) {
                        break;
                    }
                    let res = match batches.get(b) {
                        Some(batch) => render_batch(world, cfg.attachments, batch),
                        None => Ok(Vec::new()),
                    };
                    if tx.send((b, res)).is_err() {
                        break;
                    }
                }
            }));
        }
        drop(tx);

        let mut pending: BTreeMap<usize, Result<Vec<message::Rendered>, SynthError>> =
            BTreeMap::new();
        let mut next_write = 0usize;
        let mut outcome = Ok(());
        'recv: for (b, res) in rx.iter() {
            pending.insert(b, res);
            while let Some(res) = pending.remove(&next_write) {
                let step = res.and_then(|v| writer.write(v));
                if let Err(e) = step {
                    outcome = Err(e);
                    break 'recv;
                }
                next_write += 1;
                let mut written = gate.0.lock().unwrap_or_else(|e| e.into_inner());
                *written = next_write;
                gate.1.notify_all();
            }
        }
        if outcome.is_err() {
            abort.store(true, Ordering::SeqCst);
            gate.1.notify_all();
        }
        drop(rx);
        for h in handles {
            if h.join().is_err() && outcome.is_ok() {
                outcome = Err(SynthError::Worker("a generator thread panicked".into()));
            }
        }
        writer.close_io();
        for h in io_handles {
            if h.join().is_err() && outcome.is_ok() {
                outcome = Err(SynthError::Worker("a file writer thread panicked".into()));
            }
        }
        if outcome.is_ok()
            && let Some(e) = io_error.lock().unwrap_or_else(|e| e.into_inner()).take()
        {
            outcome = Err(e);
        }
        if outcome.is_ok() && next_write != batches.len() {
            outcome = Err(SynthError::Worker(format!(
                "only {next_write} of {} batches were written",
                batches.len()
            )));
        }
        outcome
    });
    result?;

    let t = writer.finish()?;
    let files = t.layouts.values().map(|l| l.files).sum();
    let bytes = t.layouts.values().map(|l| l.bytes).sum();
    let nested_zips = t.nested.respaldo + t.nested.zip_attachments + t.nested.zip_in_zip;
    let manifest = Manifest {
        generator: format!("trove-synth {}", env!("CARGO_PKG_VERSION")),
        format_version: 1,
        seed: cfg.seed,
        config: cfg.clone(),
        logical_messages: t.logical,
        copies: t.copies,
        threads,
        files,
        bytes,
        attachments: t.attachments,
        nested_zips,
        nested_zip_detail: t.nested,
        raw_8bit_header_messages: t.raw,
        split_encoded_word_messages: t.split,
        replies: t.replies,
        forwards: t.forwards,
        header_poor_replies: t.header_poor,
        rfc822_attachments: t.rfc822,
        english_messages: t.english,
        languages: t.languages,
        charsets: t.charsets,
        transfer_encodings: t.ctes,
        structures: t.structures,
        attachment_kinds: t.att_kinds,
        layouts: t.layouts,
        custodians: t.custodians,
        first_date: t.first.map(|f| f.1).unwrap_or_default(),
        last_date: t.last.map(|f| f.1).unwrap_or_default(),
        messages_file: MESSAGES_FILE.to_string(),
    };
    let mp = out.join(MANIFEST_FILE);
    let f = fs::File::create(&mp).map_err(|e| SynthError::io(&mp, e))?;
    let mut bw = BufWriter::new(f);
    serde_json::to_writer_pretty(&mut bw, &manifest)?;
    std::io::Write::write_all(&mut bw, b"\n").map_err(|e| SynthError::io(&mp, e))?;
    std::io::Write::flush(&mut bw).map_err(|e| SynthError::io(&mp, e))?;
    Ok(manifest)
}
