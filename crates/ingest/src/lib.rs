//! Takes a raw dump to a stored, deduplicated, fully accounted catalog.
//!
//! ```text
//!  inputs ─► producer ──units──► workers (N) ──groups──► catalog writer ─► catalog + packs
//!            walk, resume,       parse, hash,            duplicates, containers
//!            sniff, stream       compress, open          complete, resume points
//!            containers          attachments
//! ```
//!
//! - The **producer** ([`produce`]) walks folders, asks the catalog what a previous run already
//!   finished, sniffs each file and streams containers (mbox, zip, tar, 7z, compressed
//!   streams) member by member with bounded memory. Leaves go to the workers.
//! - **Workers** ([`process`]) parse messages, hash and compress their bytes, and open what is
//!   inside them (attached messages, archives in attachments) into one group.
//! - The **writer** ([`writer`]) is the only thread that writes: groups in batched
//!   transactions, containers marked complete when all their members are written.
//! - The **extraction stage** ([`extract_stage`]) follows the writer: every distinct document
//!   (by SHA-256) goes once through trove-extract's worker pool, and its outcome, text and
//!   index queue entry go into the catalog (`trove extract` and `trove ocr` run it alone).
//!
//! Every item ends in one outcome (stored, duplicate, container, skipped, failed); a crash at
//! any point loses nothing, since a rerun skips what is complete and re-reads only the rest.
//!
//! ## Containers
//!
//! Every container kind (zip, tar, 7z, compressed streams, mbox, PST/OST, `.msg`, TNEF) is a
//! [`containers::ContainerKind`] in [`containers`], which adapts the parser of
//! `trove_formats`/`trove_outlook` and hands each member to [`containers::Members`]. The one
//! recursion is [`drive`]: it skips what a previous run finished, records the container item
//! and its outcome, numbers members and repeated names (`#2`), applies the nesting limit, and
//! sniffs each member's stream, opening it as a nested container or buffering (spilling) it
//! as a leaf. The producer and the workers both open containers through [`drive::expand`],
//! into different [`sink::Sink`]s (channels to the workers and writer; a worker's group).
//! Maildir and Zimbra folders are walked by the producer; [`containers::layout`] reads their
//! paths.
//!
//! Where an item comes from travels as one [`trove_store::model::Provenance`] (locator,
//! parent, name, kind, byte range, folder, flags, metadata, mtime): a container, a member
//! being classified, a unit and finally the catalog's `NewItem` each hold it.
//!
//! ## Module graph
//!
//! The modules use each other without a circle (`tests/modules.rs` checks it from the
//! sources). Who uses whom, leaves first:
//!
//! ```text
//!  unit, spill, extract_stage, containers::layout (nothing of the crate)
//!  progress             → extract_stage
//!  sink                 → unit
//!  containers           → sink, unit
//!  containers::mbox     → containers, sink, unit
//!  containers::outlook  → containers, sink, unit
//!  containers::archive  → containers, containers::{layout, mbox}, sink, unit
//!  drive                → containers, containers::{archive, layout, mbox, outlook}, sink, unit
//!  process              → containers, containers::{layout, outlook}, drive, sink, unit
//!  produce              → containers, containers::layout, drive, progress, sink, unit
//!  writer               → progress, unit
//!  (crate root)         → extract_stage, process, produce, progress, sink, spill, unit, writer
//! ```

pub mod containers;
pub mod drive;
pub mod extract_stage;
pub mod process;
pub mod produce;
pub mod progress;
pub mod sink;
pub mod spill;
pub mod unit;
mod writer;

pub use progress::Progress;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;

use trove_formats::Limits;
use trove_store::blobs::PackWriter;
use trove_store::{Case, StoreError};

use crate::produce::{InFlight, Producer};
use crate::sink::Ctx;
use crate::unit::{Group, ToWriter};

/// How to ingest.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Source label (a leak, an agency, a delivery).
    pub source: String,
    pub inputs: Vec<PathBuf>,
    pub limits: Limits,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Bytes of queued work held in memory at most.
    pub queue_bytes: u64,
    /// Archive members above this size are spilled to the case's tmp folder.
    pub spill_threshold: u64,
    /// The command line, recorded with the run.
    pub command: String,
    /// Keep the search index in step while ingesting (else index later with `trove index`).
    pub index: bool,
    /// Memory for the index writer.
    pub index_heap: usize,
    /// How long to wait for another process's index writer lock.
    pub index_lock_wait: std::time::Duration,
    /// Extract text from the attachments and documents stored (after the messages), or not
    /// (then `trove extract` does it).
    pub extract: Option<extract_stage::StageOptions>,
}

impl IngestOptions {
    pub fn new(source: impl Into<String>, inputs: Vec<PathBuf>) -> Self {
        IngestOptions {
            source: source.into(),
            inputs,
            limits: Limits::default(),
            threads: 0,
            queue_bytes: 256 << 20,
            spill_threshold: 64 << 20,
            command: String::new(),
            index: true,
            index_heap: 192 << 20,
            index_lock_wait: trove_index::WRITER_LOCK_WAIT,
            extract: Some(extract_stage::StageOptions::default()),
        }
    }
}

/// Errors that stop an ingest.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("a pipeline thread failed: {0}")]
    Thread(String),
    #[error(transparent)]
    Index(#[from] trove_index::IndexError),
}

/// What one run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunSummary {
    pub run: i64,
    pub source: String,
    /// The run's status as recorded: finished, incomplete, extraction-stopped, index-failed.
    pub status: String,
    pub seconds: f64,
    /// Items written by this run, by outcome (final outcomes, after duplicates were decided).
    pub outcomes: std::collections::BTreeMap<String, u64>,
    pub messages: u64,
    pub bytes: u64,
    pub already_done: u64,
    /// Containers left incomplete (only after an error).
    pub incomplete: usize,
    /// Bytes written to spill files in the case's tmp folder (members too large to hold in
    /// memory), all removed again.
    pub spilled_bytes: u64,
    /// Bytes of spill files left by runs that did not finish (killed), removed at the start.
    pub stale_spill_bytes_removed: u64,
    /// Search index documents written.
    pub indexed: u64,
    /// Search index documents that could not be built (see the log; `trove reindex` retries).
    pub index_failed: u64,
    /// Why the extraction stage stopped, if it did (`trove extract` finishes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extraction_error: Option<String>,
    /// Why the search index could not keep up, if it could not (`trove index` finishes it):
    /// the catalog holds everything, but the new items are not searchable yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_error: Option<String>,
}

impl RunSummary {
    /// Every stage of the run finished: the catalog, extraction and the index.
    pub fn succeeded(&self) -> bool {
        self.incomplete == 0 && self.extraction_error.is_none() && self.index_error.is_none()
    }
}

/// Ingests the inputs into the case.
pub fn ingest(
    case: &Case,
    opts: &IngestOptions,
    progress: &Progress,
) -> Result<RunSummary, IngestError> {
    let started = Instant::now();
    let catalog = case.catalog()?;
    let source = catalog.ensure_source(&opts.source)?;
    let inputs: Vec<String> = opts.inputs.iter().map(|p| produce::path_text(p)).collect();
    let resuming = catalog.source_has_items(source)?;
    let run = catalog.begin_run(source, &opts.command, &inputs)?;
    let packs = PackWriter::open(case.blob_dir(), &catalog.pack_ends()?)?;
    let reader = case.reader()?;
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        opts.threads
    };
    // Spill files of runs that were killed are removed here; this run's go in a folder of its
    // own, removed when it ends.
    let (spill, swept) = spill::SpillDir::create(&case.tmp_dir())?;
    let ctx = Ctx {
        limits: opts.limits,
        tmp: spill.path().to_path_buf(),
        spill_threshold: opts.spill_threshold,
        spilled: Default::default(),
    };
    let blobs = case.blob_dir();
    let inflight = InFlight::new(opts.queue_bytes);
    let (work_tx, work_rx) = crossbeam_channel::bounded::<unit::Unit>(threads * 16);
    let (writer_tx, writer_rx) = crossbeam_channel::bounded::<ToWriter>(4096);

    let pipeline_done = std::sync::atomic::AtomicBool::new(false);
    let outcome = std::thread::scope(|s| {
        let indexer = opts.index.then(|| {
            let done = &pipeline_done;
            std::thread::Builder::new()
                .name("trove-indexer".into())
                .spawn_scoped(s, move || index_while(case, opts, done, progress))
        });
        let writer = std::thread::Builder::new()
            .name("trove-writer".into())
            .spawn_scoped(s, || {
                writer::Writer::new(catalog, packs, source, run, progress, resuming).run(writer_rx)
            })
            .map_err(IngestError::Io)?;
        let mut workers = Vec::new();
        for _ in 0..threads {
            let rx = work_rx.clone();
            let tx = writer_tx.clone();
            let (ctx, blobs, inflight) = (&ctx, &blobs, &inflight);
            let worker = std::thread::Builder::new()
                .name("trove-worker".into())
                .spawn_scoped(s, move || {
                    for unit in rx.iter() {
                        let cost = InFlight::cost(&unit);
                        let group = process_guarded(ctx, blobs, unit);
                        inflight.release(cost);
                        if tx.send(ToWriter::Group(group)).is_err() {
                            break;
                        }
                    }
                });
            workers.push(worker.map_err(IngestError::Io)?);
        }
        drop(work_rx);
        let mut producer = Producer::new(
            &ctx,
            reader,
            source,
            work_tx,
            writer_tx.clone(),
            &inflight,
            progress,
            resuming,
        );
        let produced = producer.run(&opts.inputs);
        drop(producer);
        drop(writer_tx);
        for w in workers {
            let _ = w.join();
        }
        let written = writer
            .join()
            .map_err(|_| IngestError::Thread("catalog writer panicked".into()));
        let mut extraction_error = None;
        let mut index_error = None;
        if let (Ok(Ok(_)), Some(x)) = (&written, &opts.extract) {
            // Attachments and documents: text, metadata and flags (the indexer keeps up).
            if let Err(e) = extract_stage::run(case, x, &progress.extract) {
                tracing::error!(error = %e, "extraction stopped; run `trove extract` to finish it");
                extraction_error = Some(e.to_string());
            }
        }
        pipeline_done.store(true, std::sync::atomic::Ordering::Release);
        if let Some(handle) = indexer {
            let indexed = handle
                .map_err(IngestError::Io)?
                .join()
                .map_err(|_| IngestError::Thread("indexer panicked".into()))?;
            if let Err(e) = indexed {
                tracing::error!(error = %e, "indexing failed; run `trove index` to finish it");
                index_error = Some(e.to_string());
            }
        }
        let incomplete = written??;
        if produced.is_err() && incomplete == 0 {
            return Err(IngestError::Thread("the producer stopped early".into()));
        }
        Ok((incomplete, extraction_error, index_error))
    });

    let catalog = case.catalog()?;
    let (status, incomplete, extraction_error, index_error) = match &outcome {
        Ok((n, x, i)) => {
            let status = match (n, x, i) {
                (0, None, None) => "finished",
                (0, None, Some(_)) => "index-failed",
                (0, Some(_), _) => "extraction-stopped",
                _ => "incomplete",
            };
            (status, *n, x.clone(), i.clone())
        }
        Err(_) => ("failed", 0, None, None),
    };
    let mut outcomes = std::collections::BTreeMap::new();
    for c in trove_store::CatalogRead::run_outcomes(&catalog, run)? {
        outcomes.insert(c.outcome, c.items);
    }
    let summary = RunSummary {
        run,
        source: opts.source.clone(),
        status: status.to_string(),
        seconds: started.elapsed().as_secs_f64(),
        outcomes,
        messages: Progress::get(&progress.messages),
        bytes: Progress::get(&progress.bytes),
        already_done: Progress::get(&progress.already_done),
        incomplete,
        spilled_bytes: ctx.spilled.load(Ordering::Relaxed),
        stale_spill_bytes_removed: swept.bytes,
        indexed: Progress::get(&progress.indexed),
        index_failed: Progress::get(&progress.index_failed),
        extraction_error,
        index_error,
    };
    catalog.finish_run(
        run,
        status,
        &serde_json::to_value(&summary).unwrap_or_default(),
    )?;
    drop(spill);
    outcome?;
    Ok(summary)
}

/// Keeps the search index in step with the catalog until the pipeline is done, then drains
/// what is left and commits.
fn index_while(
    case: &Case,
    opts: &IngestOptions,
    done: &std::sync::atomic::AtomicBool,
    progress: &Progress,
) -> Result<(), IngestError> {
    let index = trove_index::SearchIndex::for_case(case)?.with_lock_wait(opts.index_lock_wait);
    let reader = case.reader()?;
    let mut indexer = trove_index::Indexer::new(case, &index, opts.index_heap, 2)?;
    loop {
        let finished = done.load(std::sync::atomic::Ordering::Acquire);
        let n = indexer.drain_once(&reader)?;
        progress
            .indexed
            .store(indexer.stats().documents, Ordering::Relaxed);
        if n == 0 {
            if finished {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    indexer.commit()?;
    let stats = indexer.finish()?;
    progress.indexed.store(stats.documents, Ordering::Relaxed);
    progress.index_failed.store(stats.failed, Ordering::Relaxed);
    trove_index::trim_queue(&case.catalog()?, &index)?;
    Ok(())
}

/// Indexes whatever the catalog queued and the index has not committed (after an ingest with
/// indexing off, or an interrupted one).
pub fn index_pending(case: &Case, heap: usize) -> Result<trove_index::IndexStats, IngestError> {
    let index = trove_index::SearchIndex::for_case(case)?;
    let reader = case.reader()?;
    let mut indexer = trove_index::Indexer::new(case, &index, heap, 2)?;
    indexer.drain_all(&reader)?;
    let stats = indexer.finish()?;
    trove_index::trim_queue(&case.catalog()?, &index)?;
    Ok(stats)
}

/// Processes a unit; a panic in a parser becomes a failed item, not a dead worker.
fn process_guarded(ctx: &Ctx, blobs: &trove_store::BlobDir, unit: unit::Unit) -> Group {
    // The item of a unit whose processing panicked: its locator, parent, name and kind.
    let p = &unit.prov;
    let prov = trove_store::model::Provenance::new(
        p.locator.clone(),
        p.parent.clone(),
        p.name.clone(),
        p.kind,
    );
    let failed = trove_store::model::Outcome::Failed {
        reason: String::new(),
    };
    let fallback = trove_store::model::NewItem::new(prov, unit.format.as_str(), unit.size, failed);
    let member_of = unit.member_of.clone();
    let bytes = unit.size;
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        process::process(ctx, blobs, unit)
    })) {
        Ok(g) => g,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(locator = %fallback.prov.locator, %what, "internal error while processing an item");
            let mut item = fallback;
            item.outcome = trove_store::model::Outcome::Failed {
                reason: format!("internal error while processing: {what}"),
            };
            Group {
                items: vec![item],
                links: Vec::new(),
                member_of,
                bytes,
            }
        }
    }
}
