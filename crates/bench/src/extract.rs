//! `trove bench extract`: PDF text speed and word recall beside `pdftotext` (poppler) on the
//! same PDFs, n at a time in alternating rounds (the median round reported), recall also
//! against the truth of generated PDFs; and OCR pages per second per core, trove's workers
//! (each engine started once) beside the `tesseract` command (one process per page).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::Serialize;

use crate::{Context, Result};

/// One tool's run over a set of documents.
#[derive(Debug, Serialize)]
pub struct ExtractMeasure {
    pub tool: String,
    pub files: usize,
    pub pages: u64,
    pub seconds: f64,
    pub cpu_seconds: f64,
    pub pages_per_s: f64,
    /// CPU seconds per wall second: 2.0 is both cores busy.
    pub cores_busy: f64,
    /// Word recall against pdftotext's words on pdf-es (pdftotext: 1 by definition).
    pub recall_vs_pdftotext: f64,
    /// Word recall against the truth files of the generated PDFs.
    pub recall_vs_truth: f64,
}

#[derive(Debug, Serialize)]
pub struct OcrMeasure {
    pub tool: String,
    pub pages: u64,
    pub seconds: f64,
    pub cpu_seconds: f64,
    pub pages_per_s: f64,
    pub pages_per_cpu_s: f64,
    pub cores_busy: f64,
}

#[derive(Debug, Serialize)]
pub struct ExtractBench {
    pub pdfs: String,
    pub workers: usize,
    pub pdf: Vec<ExtractMeasure>,
    pub trove_vs_pdftotext_speed: f64,
    pub scans: String,
    pub ocr: Vec<OcrMeasure>,
}

fn children_cpu() -> f64 {
    // SAFETY: rusage is plain data filled by getrusage.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn files_with(dir: &Path, exts: &[&str]) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| exts.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    v.sort();
    Ok(v)
}

/// Runs `f` over `items` on `n` threads; returns the results in order.
fn parallel<T: Sync, R: Send>(items: &[T], n: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out: std::sync::Mutex<Vec<Option<R>>> =
        std::sync::Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..n.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    if let Ok(mut o) = out.lock() {
                        o[i] = Some(r);
                    }
                }
            });
        }
    });
    out.into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

fn pdftotext(path: &Path) -> Result<String> {
    let out = Command::new("pdftotext")
        .arg("-q")
        .arg(path)
        .arg("-")
        .output()
        .context("running pdftotext (apt-get install poppler-utils)")?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn new_pool(workers: usize) -> Result<trove_extract::pool::Pool> {
    Ok(trove_extract::pool::Pool::discover(workers)?)
}

fn extract_text(
    pool: &trove_extract::pool::Pool,
    path: &Path,
    ocr: trove_extract::OcrMode,
) -> Result<trove_extract::Extraction> {
    let bytes = std::fs::read(path)?;
    let hint = trove_extract::Hint {
        name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
        mime: None,
    };
    let opts = trove_extract::Options {
        ocr,
        ..Default::default()
    };
    Ok(pool.extract_ocr_pages(&bytes, &hint, &opts, 1))
}

/// Found and total reference words.
fn recall_counts(reference: &str, got: &str) -> (f64, f64) {
    let n = trove_extract::words(reference).len() as f64;
    (trove_extract::word_recall(reference, got) * n, n)
}

pub fn extract(pdfs: &Path, scans: &Path, workers: usize, rounds: usize) -> Result<ExtractBench> {
    let n = if workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        workers
    };
    let mut files = files_with(pdfs, &["pdf"])?;
    // Largest first, so that the last file to finish is a small one (both cores stay busy).
    files.sort_by_key(|f| std::cmp::Reverse(std::fs::metadata(f).map_or(0, |m| m.len())));
    if files.is_empty() {
        bail!("no PDFs in {}", pdfs.display());
    }
    // Warm the page cache.
    for f in &files {
        let _ = std::fs::read(f)?;
    }
    // pdftotext and trove (n worker processes, each loading pdfium once), n files at a time,
    // alternating for `rounds` rounds; the median round of each is reported.
    let pool = new_pool(n)?;
    let warm = parallel(&(0..n).collect::<Vec<_>>(), n, |_| {
        extract_text(&pool, &files[0], trove_extract::OcrMode::Off)
    });
    drop(warm);
    let (mut p_runs, mut t_runs) = (Vec::new(), Vec::new());
    let mut reference = Vec::new();
    let mut got = Vec::new();
    for _ in 0..rounds.max(1) {
        let cpu0 = children_cpu();
        let started = Instant::now();
        let r: Vec<Result<String>> = parallel(&files, n, |f| pdftotext(f));
        p_runs.push((started.elapsed().as_secs_f64(), children_cpu() - cpu0));
        reference = r.into_iter().collect::<Result<_>>()?;
        let started = Instant::now();
        got = parallel(&files, n, |f| {
            extract_text(&pool, f, trove_extract::OcrMode::Off)
        });
        let secs = started.elapsed().as_secs_f64();
        // The workers live across rounds, so their CPU is what they report per document.
        let cpu = got
            .iter()
            .filter_map(|e| e.as_ref().ok())
            .map(|e| e.cpu_millis as f64 / 1000.0)
            .sum::<f64>();
        t_runs.push((secs, cpu));
    }
    drop(pool);
    let median = |runs: &mut Vec<(f64, f64)>| {
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        runs[runs.len() / 2]
    };
    let ((p_secs, p_cpu), (t_secs, t_cpu)) = (median(&mut p_runs), median(&mut t_runs));
    let got: Vec<trove_extract::Extraction> = got.into_iter().collect::<Result<_>>()?;
    for (f, e) in files.iter().zip(&got) {
        if e.status == trove_extract::Status::Failed {
            eprintln!("{}: {}", f.display(), e.reason.as_deref().unwrap_or(""));
        }
    }
    let pages: u64 = got.iter().map(|e| e.pages as u64).sum();
    let (mut found, mut total) = (0.0, 0.0);
    for (r, g) in reference.iter().zip(&got) {
        let (f, t) = recall_counts(&trove_extract::normalize::clean(r), &g.text);
        found += f;
        total += t;
    }
    let trove_recall = found / total.max(1.0);
    // Recall against the truth of the generated PDFs, both tools.
    let generated = pdfs.join("../generated");
    let (mut tf, mut pf, mut tt) = (0.0, 0.0, 0.0);
    let pool = new_pool(n)?;
    for (pdf, truth) in [
        ("simple.pdf", "truth.txt"),
        ("simple_helv.pdf", "truth.txt"),
        ("twocol.pdf", "truth.txt"),
        ("long.pdf", "truth.txt"),
        ("scrambled.pdf", "scrambled_truth.txt"),
    ] {
        let (p, t) = (generated.join(pdf), generated.join(truth));
        if !p.exists() || !t.exists() {
            continue;
        }
        let truth = trove_extract::normalize::clean(&std::fs::read_to_string(&t)?);
        let (f1, n1) = recall_counts(
            &truth,
            &extract_text(&pool, &p, trove_extract::OcrMode::Off)?.text,
        );
        let (f2, _) = recall_counts(&truth, &trove_extract::normalize::clean(&pdftotext(&p)?));
        tf += f1;
        pf += f2;
        tt += n1;
    }
    drop(pool);
    let measure = |tool: &str, secs: f64, cpu: f64, recall: f64, truth: f64| ExtractMeasure {
        tool: tool.into(),
        files: files.len(),
        pages,
        seconds: secs,
        cpu_seconds: cpu,
        pages_per_s: pages as f64 / secs,
        cores_busy: cpu / secs,
        recall_vs_pdftotext: recall,
        recall_vs_truth: truth,
    };
    let pdf = vec![
        measure("pdftotext (poppler)", p_secs, p_cpu, 1.0, pf / tt.max(1.0)),
        measure(
            "trove extract (pdfium)",
            t_secs,
            t_cpu,
            trove_recall,
            tf / tt.max(1.0),
        ),
    ];
    // OCR: images, each worker's engine started once before timing.
    let mut images = files_with(scans, &["png", "jpg", "jpeg", "tif", "tiff"])?;
    images.sort_by_key(|f| std::cmp::Reverse(std::fs::metadata(f).map_or(0, |m| m.len())));
    let mut ocr = Vec::new();
    if !images.is_empty() {
        let pool = new_pool(n)?;
        let _ = parallel(&(0..n).collect::<Vec<_>>(), n, |_| {
            extract_text(&pool, &images[0], trove_extract::OcrMode::Now)
        });
        let started = Instant::now();
        let got: Vec<Result<trove_extract::Extraction>> = parallel(&images, n, |f| {
            extract_text(&pool, f, trove_extract::OcrMode::Now)
        });
        let secs = started.elapsed().as_secs_f64();
        drop(pool);
        let got: Vec<trove_extract::Extraction> = got.into_iter().collect::<Result<_>>()?;
        for (f, e) in images.iter().zip(&got) {
            if e.ocr_pages.is_empty() {
                eprintln!(
                    "{}: {} {}",
                    f.display(),
                    e.status.as_str(),
                    e.reason.as_deref().unwrap_or("")
                );
            }
        }
        let cpu = got
            .iter()
            .map(|e| e.cpu_millis as f64 / 1000.0)
            .sum::<f64>();
        let pages = got.iter().filter(|e| !e.ocr_pages.is_empty()).count() as u64;
        ocr.push(OcrMeasure {
            tool: format!("trove OCR ({n} workers, engines reused)"),
            pages,
            seconds: secs,
            cpu_seconds: cpu,
            pages_per_s: pages as f64 / secs,
            pages_per_cpu_s: pages as f64 / cpu,
            cores_busy: cpu / secs,
        });
        // The tesseract command, one process per page.
        let cpu0 = children_cpu();
        let started = Instant::now();
        let _ = parallel(&images, n, |f| {
            Command::new("tesseract")
                .arg(f)
                .arg("-")
                .args(["-l", "spa"])
                .env("OMP_THREAD_LIMIT", "1")
                .output()
        });
        let secs = started.elapsed().as_secs_f64();
        let cpu = children_cpu() - cpu0;
        let pages = images.len() as u64;
        ocr.push(OcrMeasure {
            tool: format!("tesseract command ({n} at a time)"),
            pages,
            seconds: secs,
            cpu_seconds: cpu,
            pages_per_s: pages as f64 / secs,
            pages_per_cpu_s: pages as f64 / cpu,
            cores_busy: cpu / secs,
        });
    }
    Ok(ExtractBench {
        pdfs: pdfs.display().to_string(),
        workers: n,
        trove_vs_pdftotext_speed: p_secs / t_secs,
        pdf,
        scans: scans.display().to_string(),
        ocr,
    })
}

impl std::fmt::Display for ExtractBench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self;
        writeln!(f, "PDFs: {} ({} workers)", b.pdfs, b.workers)?;
        writeln!(
            f,
            "| tool | files | pages | seconds | pages/s | CPU s | cores busy | word recall vs pdftotext | word recall vs truth (generated) |"
        )?;
        writeln!(f, "|---|---:|---:|---:|---:|---:|---:|---:|---:|")?;
        for m in &b.pdf {
            writeln!(
                f,
                "| {} | {} | {} | {:.2} | {:.0} | {:.2} | {:.2} | {:.4} | {:.4} |",
                m.tool,
                m.files,
                m.pages,
                m.seconds,
                m.pages_per_s,
                m.cpu_seconds,
                m.cores_busy,
                m.recall_vs_pdftotext,
                m.recall_vs_truth
            )?;
        }
        writeln!(
            f,
            "trove extracts PDF text at {:.2}× pdftotext's speed",
            b.trove_vs_pdftotext_speed
        )?;
        if !b.ocr.is_empty() {
            writeln!(f, "\nOCR: {}", b.scans)?;
            writeln!(
                f,
                "| tool | pages | seconds | pages/s | CPU s | pages per CPU-second (per core) | cores busy |"
            )?;
            writeln!(f, "|---|---:|---:|---:|---:|---:|---:|")?;
            for m in &b.ocr {
                writeln!(
                    f,
                    "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
                    m.tool,
                    m.pages,
                    m.seconds,
                    m.pages_per_s,
                    m.cpu_seconds,
                    m.pages_per_cpu_s,
                    m.cores_busy
                )?;
            }
        }
        Ok(())
    }
}
