//! `trove extract` and `trove ocr`: the extraction stages run on their own.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use trove_extract::OcrMode;
use trove_ingest::extract_stage::{StageOptions, StageProgress, StageStats};
use trove_store::Case;

pub fn stage_options(ocr: &str, languages: &str, workers: usize) -> Result<StageOptions> {
    let mut o = StageOptions::default();
    o.extract.ocr = match ocr {
        "defer" | "later" => OcrMode::Defer,
        "now" | "inline" | "yes" => OcrMode::Now,
        "off" | "no" | "never" => OcrMode::Off,
        other => bail!("unknown OCR mode '{other}' (defer, now, off)"),
    };
    o.extract.languages = languages.to_owned();
    o.workers = workers;
    Ok(o)
}

fn with_progress(
    what: &str,
    f: impl FnOnce(&StageProgress) -> Result<StageStats>,
) -> Result<StageStats> {
    let progress = Arc::new(StageProgress::default());
    let bar = indicatif::ProgressBar::new_spinner();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ticker = {
        let (p, bar, done, what) = (progress.clone(), bar.clone(), done.clone(), what.to_owned());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                bar.set_message(format!(
                    "{what} {}/{} documents · {} pages · {} by OCR · {} failed",
                    p.done.load(Ordering::Relaxed),
                    p.total.load(Ordering::Relaxed),
                    p.pages.load(Ordering::Relaxed),
                    p.ocr_pages.load(Ordering::Relaxed),
                    p.failed.load(Ordering::Relaxed)
                ));
                bar.tick();
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    };
    let r = f(&progress);
    done.store(true, Ordering::Relaxed);
    let _ = ticker.join();
    bar.finish_and_clear();
    r
}

fn finish(case: &Case, stats: &StageStats, json: bool) -> Result<()> {
    let indexed =
        trove_ingest::index_pending(case, 256 << 20).context("updating the search index")?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "stage": stats, "indexed": indexed.documents })
            )?
        );
    } else {
        outln!(
            "{} documents in {:.1}s: {} extracted, {} waiting for OCR, {} failed, {} skipped; {} pages, {} read by OCR; {} index documents updated",
            stats.documents,
            stats.seconds,
            stats.extracted,
            stats.ocr_pending,
            stats.failed,
            stats.skipped,
            stats.pages,
            stats.ocr_pages,
            indexed.documents
        );
        if stats.pool.crashed + stats.pool.timed_out > 0 {
            outln!(
                "{} worker crashes and {} timeouts, each recorded as that document's failure",
                stats.pool.crashed,
                stats.pool.timed_out
            );
        }
        outln!(
            "see `trove report {}` for every outcome",
            case.root().display()
        );
    }
    Ok(())
}

pub fn extract(case: &Case, ocr: &str, languages: &str, workers: usize, json: bool) -> Result<()> {
    let opts = stage_options(ocr, languages, workers)?;
    let stats = with_progress("extracting", |p| {
        Ok(trove_ingest::extract_stage::run(case, &opts, p)?)
    })?;
    finish(case, &stats, json)
}

pub fn ocr(case: &Case, languages: &str, workers: usize, json: bool) -> Result<()> {
    let opts = stage_options("now", languages, workers)?;
    let stats = with_progress("OCR", |p| {
        Ok(trove_ingest::extract_stage::run_ocr(case, &opts, p)?)
    })?;
    finish(case, &stats, json)
}
