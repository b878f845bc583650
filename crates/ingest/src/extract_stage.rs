//! The extraction stage: every distinct document of a case not yet extracted (loose files by
//! their blob, attachments from a message that carries them) goes through trove-extract's
//! worker pool; outcomes, text blobs and index queue entries are written in batches by this
//! thread, the catalog's only writer while the stage runs. The OCR stage does the same for
//! documents left with pages waiting for OCR. Both resume: what has an outcome is not done
//! again. trove-extract only turns bytes into text, metadata and flags; picking the documents
//! and recording what came of them is the pipeline's, here.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use trove_formats::Limits;
use trove_formats::message::{DateHints, parse_message};
use trove_store::blobs::{LARGE_BLOB, PackWriter, encode};
use trove_store::extraction::{Carrier, ExtractionRecord, PendingDoc, hints_fingerprint};
use trove_store::{Case, StoreError};

use trove_extract::pool::{Pool, PoolConfig, PoolError, PoolStats, Source};
use trove_extract::{Extraction, Hint, OcrMode, Options, Status};

/// Errors that stop the stage (a document's failure never does).
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("an extraction thread failed")]
    Thread,
}

/// How the stage runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageOptions {
    pub extract: Options,
    /// Worker processes (0: one per core).
    pub workers: usize,
    /// Documents larger than this are not extracted (recorded as skipped, from the size the
    /// catalog knows: their bytes are not read).
    pub max_document: u64,
}

impl Default for StageOptions {
    fn default() -> Self {
        StageOptions {
            extract: Options::default(),
            workers: 0,
            max_document: 2 << 30,
        }
    }
}

/// Live counters.
#[derive(Debug, Default)]
pub struct StageProgress {
    pub total: AtomicU64,
    pub done: AtomicU64,
    pub failed: AtomicU64,
    pub ocr_pending: AtomicU64,
    pub pages: AtomicU64,
    pub ocr_pages: AtomicU64,
}

/// What a stage run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StageStats {
    pub documents: u64,
    pub extracted: u64,
    pub ocr_pending: u64,
    pub failed: u64,
    pub skipped: u64,
    pub pages: u64,
    pub ocr_pages: u64,
    pub bytes: u64,
    /// Documents extracted again because a new carrier changed the names and types they are
    /// judged under (see `Catalog::new_carriers`).
    pub re_extracted: u64,
    pub seconds: f64,
    pub pool: PoolStats,
}

/// Extracts every document of the case that has no extraction yet.
pub fn run(
    case: &Case,
    opts: &StageOptions,
    progress: &StageProgress,
) -> Result<StageStats, StageError> {
    let mut cat = case.catalog()?;
    let carriers = cat.new_carriers()?;
    let total = cat.pending_count()?;
    drop(cat);
    let mut stats = process(case, opts, Pending::Catalog(total), false, progress)?;
    stats.re_extracted = carriers.re_extract;
    Ok(stats)
}

/// OCRs the pages that extraction left waiting.
pub fn run_ocr(
    case: &Case,
    opts: &StageOptions,
    progress: &StageProgress,
) -> Result<StageStats, StageError> {
    let pending = case.reader()?.pending_ocr()?;
    let mut o = opts.clone();
    o.extract.ocr = OcrMode::Now;
    process(case, &o, Pending::Listed(pending), true, progress)
}

/// The documents a stage run works through.
enum Pending {
    /// Listed beforehand (the OCR pass: the documents extraction left pages of).
    Listed(Vec<PendingDoc>),
    /// Read from the catalog page by page as the workers take them (there may be millions),
    /// with how many there are.
    Catalog(u64),
}

/// Documents taken from the catalog at a time.
const PAGE: usize = 4096;

/// Documents that share a carrier message are done together (the message is parsed once).
fn groups(docs: Vec<PendingDoc>) -> Vec<Vec<PendingDoc>> {
    let mut out: Vec<Vec<PendingDoc>> = Vec::new();
    let mut by_msg: HashMap<[u8; 32], usize> = HashMap::new();
    for d in docs {
        match d.carrier {
            Carrier::Blob => out.push(vec![d]),
            Carrier::Message { message_sha256, .. } => match by_msg.get(&message_sha256) {
                Some(&i) => out[i].push(d),
                None => {
                    by_msg.insert(message_sha256, out.len());
                    out.push(vec![d]);
                }
            },
        }
    }
    out
}

fn process(
    case: &Case,
    opts: &StageOptions,
    pending: Pending,
    ocr_pass: bool,
    progress: &StageProgress,
) -> Result<StageStats, StageError> {
    let started = Instant::now();
    let total = match &pending {
        Pending::Listed(docs) => docs.len() as u64,
        Pending::Catalog(n) => *n,
    };
    let mut stats = StageStats::default();
    progress.total.fetch_add(total, Ordering::Relaxed);
    let mut cat = case.catalog()?;
    if total == 0 {
        return Ok(stats);
    }
    let mut cfg = PoolConfig::discover()?;
    cfg.workers = opts.workers;
    cfg.log = Some(case.logs_dir().join("extract-workers.log"));
    let pool = Pool::new(cfg)?;
    let threads = pool.workers();
    let (job_tx, job_rx) = crossbeam_channel::bounded::<Vec<PendingDoc>>(threads * 4);
    let (rec_tx, rec_rx) = crossbeam_channel::bounded::<ExtractionRecord>(threads * 64);
    let mut packs = PackWriter::open(case.blob_dir(), &cat.pack_ends()?)?;
    let result: Result<(), StageError> = std::thread::scope(|s| {
        for _ in 0..threads {
            let (rx, tx, pool) = (job_rx.clone(), rec_tx.clone(), &pool);
            s.spawn(move || -> Result<(), StageError> {
                let reader = case.reader()?;
                for group in rx.iter() {
                    for rec in extract_group(case, &reader, pool, opts, group, ocr_pass) {
                        progress.done.fetch_add(1, Ordering::Relaxed);
                        if tx.send(rec).is_err() {
                            return Ok(());
                        }
                    }
                }
                Ok(())
            });
        }
        drop(job_rx);
        drop(rec_tx);
        let feeder = s.spawn(move || -> Result<u64, StageError> {
            let mut sent = 0u64;
            let mut send = |docs: Vec<PendingDoc>| {
                for g in groups(docs) {
                    let n = g.len() as u64;
                    if job_tx.send(g).is_err() {
                        return false;
                    }
                    sent += n;
                }
                true
            };
            match pending {
                Pending::Listed(docs) => {
                    send(docs);
                }
                Pending::Catalog(_) => {
                    let reader = case.reader()?;
                    let mut cursor = trove_store::extraction::PendingCursor::default();
                    loop {
                        let page = reader.pending_page(&mut cursor, PAGE)?;
                        if page.is_empty() || !send(page) {
                            break;
                        }
                    }
                }
            }
            Ok(sent)
        });
        let mut batch: Vec<ExtractionRecord> = Vec::new();
        let mut last = Instant::now();
        let mut outcome = Ok(());
        loop {
            let msg = rec_rx.recv_timeout(Duration::from_millis(500));
            let disconnected =
                matches!(msg, Err(crossbeam_channel::RecvTimeoutError::Disconnected));
            if let Ok(rec) = msg {
                count(&mut stats, progress, &rec);
                batch.push(rec);
            }
            let bytes: u64 = batch.iter().map(|r| r.text_len).sum();
            if !batch.is_empty()
                && (disconnected
                    || batch.len() >= 256
                    || bytes > 64 << 20
                    || last.elapsed() > Duration::from_secs(2))
            {
                if let Err(e) = cat.write_extractions(&mut packs, &batch, &[]) {
                    outcome = Err(e.into());
                    break;
                }
                batch.clear();
                last = Instant::now();
            }
            if disconnected {
                break;
            }
        }
        drop(rec_rx);
        match feeder.join() {
            Ok(Ok(sent)) => stats.documents = sent,
            Ok(Err(e)) => outcome = outcome.and(Err(e)),
            Err(_) => outcome = outcome.and(Err(StageError::Thread)),
        }
        outcome
    });
    result?;
    stats.pool = pool.stats();
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}

fn count(stats: &mut StageStats, progress: &StageProgress, r: &ExtractionRecord) {
    match r.status.as_str() {
        "extracted" => stats.extracted += 1,
        "ocr-pending" => {
            stats.ocr_pending += 1;
            progress.ocr_pending.fetch_add(1, Ordering::Relaxed);
        }
        "failed" => {
            stats.failed += 1;
            progress.failed.fetch_add(1, Ordering::Relaxed);
        }
        _ => stats.skipped += 1,
    }
    stats.pages += r.pages as u64;
    stats.ocr_pages += r.ocr_pages as u64;
    stats.bytes += r.text_len;
    progress.pages.fetch_add(r.pages as u64, Ordering::Relaxed);
    progress
        .ocr_pages
        .fetch_add(r.ocr_pages as u64, Ordering::Relaxed);
}

fn extract_group(
    case: &Case,
    reader: &trove_store::Catalog,
    pool: &Pool,
    opts: &StageOptions,
    group: Vec<PendingDoc>,
    ocr_pass: bool,
) -> Vec<ExtractionRecord> {
    let mut out = Vec::with_capacity(group.len());
    // Attachments: parse their message once.
    let parsed = match group.first().map(|d| &d.carrier) {
        Some(Carrier::Message { message_sha256, .. }) => {
            // A message of LARGE_BLOB and up: its head, where the ingest found its attachments.
            match case.read_message(reader, message_sha256) {
                Ok((b, whole)) => Some(Ok(parse_message(
                    &b,
                    &Limits::default(),
                    DateHints::default(),
                    !whole,
                ))),
                Err(e) => Some(Err(e.to_string())),
            }
        }
        _ => None,
    };
    for d in group {
        let (hints, judged) = carrier_hints(reader, &d);
        let hint = &hints[0];
        let ocr_pages = if ocr_pass {
            d.ocr_pending.len() as u32
        } else {
            0
        };
        let ex = match (&d.carrier, &parsed) {
            (Carrier::Blob, _) => match reader.blob(&d.sha256) {
                Ok(Some(blob)) if blob.size > opts.max_document => {
                    // Refused from the catalog's size: not one byte read.
                    too_large(d.format.as_deref().unwrap_or("unknown"), blob.size, opts)
                }
                Ok(Some(blob)) => {
                    extract_one(pool, &Doc::Blob(case, blob), &hints, opts, ocr_pages)
                }
                Ok(None) => unavailable("no blob in the catalog"),
                Err(e) => unavailable(&e.to_string()),
            },
            (Carrier::Message { part, .. }, Some(Ok(m))) => match m
                .attachments
                .iter()
                .find(|a| a.sha256 == d.sha256)
                .or_else(|| m.attachments.iter().find(|a| a.part == *part))
            {
                Some(a) if a.data.len() as u64 > opts.max_document => too_large(
                    trove_extract::detect::head_kind(&a.data, hint).as_str(),
                    a.data.len() as u64,
                    opts,
                ),
                Some(a) => extract_one(pool, &Doc::Bytes(&a.data), &hints, opts, ocr_pages),
                None => unavailable("attachment not found in its message"),
            },
            (Carrier::Message { .. }, Some(Err(e))) => {
                unavailable(&format!("reading its message: {e}"))
            }
            (Carrier::Message { .. }, None) => unavailable("no carrier"),
        };
        out.push(record(case, d.sha256, ex, judged));
    }
    out
}

/// Every name and type a document arrived under, in the catalog's stable order (the first is
/// the one it is read as), with their fingerprint; the pending row's own when the catalog
/// cannot say (then no fingerprint: a later carrier has it extracted again).
fn carrier_hints(reader: &trove_store::Catalog, d: &PendingDoc) -> (Vec<Hint>, Option<[u8; 32]>) {
    match reader.document_hints(&d.sha256) {
        Ok(list) if !list.is_empty() => (
            list.iter()
                .map(|(name, mime)| Hint {
                    name: name.clone(),
                    mime: mime.clone(),
                })
                .collect(),
            Some(hints_fingerprint(&list)),
        ),
        _ => (
            vec![Hint {
                name: d.name.clone(),
                mime: d.mime.clone(),
            }],
            None,
        ),
    }
}

fn unavailable(why: &str) -> Extraction {
    Extraction::failed("unknown", format!("document bytes unavailable: {why}"))
}

/// A document over [`StageOptions::max_document`], skipped (`format` as far as it is known
/// without reading it).
fn too_large(format: &str, size: u64, opts: &StageOptions) -> Extraction {
    Extraction::skipped(
        format,
        format!(
            "document of {size} bytes is over the extraction limit of {} bytes (not read)",
            opts.max_document
        ),
    )
}

/// Where a document's bytes come from: memory (an attachment of a parsed message), or a blob
/// streamed from the store to the worker, never held whole here.
enum Doc<'a> {
    Bytes(&'a [u8]),
    Blob(&'a Case, trove_store::BlobRef),
}

impl Doc<'_> {
    fn extract(&self, pool: &Pool, hints: &[Hint], opts: &Options, ocr_pages: u32) -> Extraction {
        match self {
            Doc::Bytes(b) => pool.extract_source(Source::Bytes(b), hints, opts, ocr_pages),
            Doc::Blob(case, blob) => match case.blob_dir().open(blob) {
                Ok(mut r) => pool.extract_source(
                    Source::Stream {
                        reader: &mut r,
                        size: blob.size,
                    },
                    hints,
                    opts,
                    ocr_pages,
                ),
                Err(e) => unavailable(&e.to_string()),
            },
        }
    }
}

/// Extraction with OCR done in a second pass when asked for now: the first pass finds the
/// pages that need it, so the second one gets a time budget for exactly those.
fn extract_one(
    pool: &Pool,
    doc: &Doc<'_>,
    hints: &[Hint],
    opts: &StageOptions,
    known_ocr_pages: u32,
) -> Extraction {
    if opts.extract.ocr != OcrMode::Now || known_ocr_pages > 0 {
        return doc.extract(pool, hints, &opts.extract, known_ocr_pages);
    }
    let mut first = opts.extract.clone();
    first.ocr = OcrMode::Defer;
    let ex = doc.extract(pool, hints, &first, 0);
    if ex.status != Status::OcrPending {
        return ex;
    }
    let pages = ex.ocr_pending.len() as u32;
    doc.extract(pool, hints, &opts.extract, pages)
}

fn record(
    case: &Case,
    sha256: [u8; 32],
    ex: Extraction,
    hints: Option<[u8; 32]>,
) -> ExtractionRecord {
    let text = if ex.text.is_empty() {
        None
    } else if (ex.text.len() as u64) < LARGE_BLOB {
        encode(ex.text.as_bytes(), true).ok()
    } else {
        case.blob_dir()
            .put_large(&mut ex.text.as_bytes(), true)
            .ok()
    };
    let meta = serde_json::to_value(&ex.meta).unwrap_or(serde_json::Value::Null);
    ExtractionRecord {
        sha256,
        format: ex.format.clone(),
        status: ex.status.as_str().to_owned(),
        reason: ex.reason.clone(),
        text_len: ex.text.len() as u64,
        text,
        pages: ex.pages,
        ocr_pending: ex.ocr_pending.clone(),
        ocr_pages: ex.ocr_pages.len() as u32,
        flags: ex.flags.iter().map(|f| f.as_str().to_owned()).collect(),
        meta: if ex.meta.is_empty() {
            serde_json::Value::Null
        } else {
            meta
        },
        author: ex.meta.author.clone(),
        title: ex.meta.title.clone(),
        gps: ex.meta.gps.map(|g| (g.lat, g.lon)),
        millis: ex.millis,
        hints,
    }
}
