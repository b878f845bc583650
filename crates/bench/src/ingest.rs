//! `trove bench ingest`: trove's ingest beside `cat | sha256sum`, `mu index` and
//! `notmuch new` on the same files, in the same run, as ratios.
//!
//! mu only reads Maildirs, so the corpus is presented to every tool as a Maildir tree of hard
//! links to the original files (same bytes, same inodes). The page cache is warmed first, so
//! that every tool reads from memory and the comparison is of the work done, not the disk.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::{Context, Result};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Measure {
    pub tool: String,
    pub seconds: f64,
    pub messages_per_s: f64,
    pub mb_per_s: f64,
    pub peak_rss_mb: f64,
}

#[derive(Debug, Serialize)]
pub struct IngestBench {
    pub corpus: String,
    pub files: u64,
    pub bytes: u64,
    pub runs: Vec<Measure>,
    /// Catalog and blobs (`--no-index`) against mu's and notmuch's full-text indexing.
    pub trove_vs_mu: Option<f64>,
    pub trove_vs_notmuch: Option<f64>,
    /// With the search index built as well.
    pub trove_indexed_vs_mu: Option<f64>,
    pub trove_indexed_vs_notmuch: Option<f64>,
    pub trove_vs_read_hash: f64,
}

/// Runs a command, returning wall seconds and the child's peak RSS in MiB.
pub(crate) fn measure(mut cmd: Command) -> Result<(f64, f64)> {
    let started = Instant::now();
    let child = cmd
        .stdout(std::process::Stdio::null())
        .spawn()
        .with_context(|| format!("starting {cmd:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data, and wait4 writes to it for the child we just spawned.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let secs = started.elapsed().as_secs_f64();
    if rc < 0 {
        bail!("waiting for {cmd:?} failed");
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{cmd:?} failed (status {status})");
    }
    std::mem::forget(child);
    Ok((secs, usage.ru_maxrss as f64 / 1024.0))
}

/// Builds a Maildir view of the corpus (hard links) unless it already is one.
fn maildir_view(corpus: &Path, work: &Path) -> Result<(PathBuf, u64, u64)> {
    let view = work.join("maildir");
    let mut files = 0u64;
    let mut bytes = 0u64;
    let all = walk(corpus)?;
    let maildir_only = is_maildir_corpus(&all);
    for entry in all {
        let rel = entry.strip_prefix(corpus).unwrap_or(&entry);
        let in_maildir = rel
            .components()
            .rev()
            .nth(1)
            .is_some_and(|c| matches!(c.as_os_str().to_str(), Some("cur" | "new" | "tmp")));
        if maildir_only && !in_maildir {
            continue;
        }
        let dest = if in_maildir {
            view.join(rel)
        } else {
            let folder = rel
                .parent()
                .map(|p| p.to_string_lossy().replace('/', "_"))
                .unwrap_or_default();
            let name = rel
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            view.join(if folder.is_empty() {
                "root".into()
            } else {
                folder
            })
            .join("cur")
            .join(format!("{name}:2,S"))
        };
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
            for sub in ["cur", "new", "tmp"] {
                std::fs::create_dir_all(parent.parent().unwrap_or(parent).join(sub))?;
            }
        }
        if !dest.exists() {
            std::fs::hard_link(&entry, &dest)
                .or_else(|_| std::fs::copy(&entry, &dest).map(|_| ()))?;
        }
        files += 1;
        bytes += std::fs::metadata(&entry)?.len();
    }
    Ok((view, files, bytes))
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let e = e?;
            let ft = e.file_type()?;
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file()
                && e.file_name() != "manifest.json"
                && e.file_name() != "manifest-messages.jsonl"
            {
                out.push(e.path());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Files of a corpus, outside Maildir markers: a Maildir corpus keeps only what is in
/// cur/new/tmp.
fn is_maildir_corpus(files: &[PathBuf]) -> bool {
    files.iter().any(|f| {
        f.parent()
            .and_then(|p| p.file_name())
            .is_some_and(|n| n == "cur" || n == "new")
    })
}

pub(crate) fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

pub fn ingest(corpus: &Path, work: &Path, peers: bool, threads: usize) -> Result<IngestBench> {
    std::fs::create_dir_all(work)?;
    let work = work.canonicalize()?;
    let (view, files, bytes) = maildir_view(&corpus.canonicalize()?, &work)?;
    let mb = bytes as f64 / 1e6;
    let mut runs = Vec::new();
    let record = |runs: &mut Vec<Measure>, tool: &str, (secs, rss): (f64, f64)| {
        eprintln!(
            "{tool}: {secs:.2} s, {:.0} msg/s, {:.0} MB/s, {rss:.0} MiB peak",
            files as f64 / secs,
            mb / secs
        );
        runs.push(Measure {
            tool: tool.into(),
            seconds: secs,
            messages_per_s: files as f64 / secs,
            mb_per_s: mb / secs,
            peak_rss_mb: rss,
        });
    };
    let shell = |script: String| {
        let mut c = Command::new("sh");
        c.arg("-c").arg(script);
        c
    };
    let quoted = view.display().to_string().replace('\'', "'\\''");
    // Warm the page cache, then the baseline: read and hash every byte.
    measure(shell(format!(
        "find '{quoted}' -type f -print0 | xargs -0 cat > /dev/null"
    )))?;
    record(
        &mut runs,
        "cat | sha256sum",
        measure(shell(format!(
            "find '{quoted}' -type f -print0 | xargs -0 cat | sha256sum"
        )))?,
    );

    let exe = std::env::current_exe()?;
    // Catalog and blobs only, then with the search index as well (what mu and notmuch build).
    // Catalog and blobs only (what `cat | sha256sum` is the floor of), then with the search
    // index (what mu and notmuch build; they do not extract attachments' text either), then
    // the whole pipeline with text extraction.
    let runs_of: [(&str, &str, &[&str]); 3] = [
        (
            "trove ingest --no-index",
            "case-noindex",
            &["--no-index", "--no-extract"],
        ),
        ("trove ingest --no-extract", "case", &["--no-extract"]),
        ("trove ingest (with extraction)", "case-full", &[]),
    ];
    for (tool, dir, extra) in runs_of {
        let case = work.join(dir);
        let _ = std::fs::remove_dir_all(&case);
        let status = Command::new(&exe)
            .arg("init")
            .arg(&case)
            .stdout(std::process::Stdio::null())
            .status()?;
        if !status.success() {
            bail!("trove init failed");
        }
        let mut cmd = Command::new(&exe);
        cmd.args([
            "ingest",
            "--quiet",
            "--source",
            "bench",
            "--threads",
            &threads.to_string(),
        ])
        .args(extra)
        .arg(&case)
        .arg(&view);
        record(&mut runs, tool, measure(cmd)?);
    }
    let _ = std::fs::remove_dir_all(work.join("case-noindex"));
    let _ = std::fs::remove_dir_all(work.join("case-full"));

    if peers && have("mu") {
        let home = work.join("mu-home");
        let _ = std::fs::remove_dir_all(&home);
        let mut init = Command::new("mu");
        init.arg("init")
            .arg(format!("--maildir={}", view.display()))
            .arg(format!("--muhome={}", home.display()));
        measure(init)?;
        let mut index = Command::new("mu");
        index
            .arg("index")
            .arg(format!("--muhome={}", home.display()));
        record(&mut runs, "mu index", measure(index)?);
    }
    if peers && have("notmuch") {
        let db = work.join("notmuch-db");
        let _ = std::fs::remove_dir_all(&db);
        std::fs::create_dir_all(&db)?;
        let cfg = work.join("notmuch-config");
        std::fs::write(
            &cfg,
            format!(
                "[database]\npath={}\nmail_root={}\n[new]\ntags=new\n",
                db.display(),
                view.display()
            ),
        )?;
        let mut new = Command::new("notmuch");
        new.env("NOTMUCH_CONFIG", &cfg).arg("new").arg("--quiet");
        record(&mut runs, "notmuch new", measure(new)?);
    }
    let secs = |tool: &str| runs.iter().find(|m| m.tool == tool).map(|m| m.seconds);
    let trove = secs("trove ingest --no-index").unwrap_or(f64::NAN);
    let with_index = secs("trove ingest --no-extract").unwrap_or(f64::NAN);
    Ok(IngestBench {
        trove_indexed_vs_mu: secs("mu index").map(|s| s / with_index),
        trove_indexed_vs_notmuch: secs("notmuch new").map(|s| s / with_index),
        corpus: corpus.display().to_string(),
        files,
        bytes,
        trove_vs_mu: secs("mu index").map(|s| s / trove),
        trove_vs_notmuch: secs("notmuch new").map(|s| s / trove),
        trove_vs_read_hash: trove / secs("cat | sha256sum").unwrap_or(f64::NAN),
        runs,
    })
}

impl std::fmt::Display for IngestBench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self;
        writeln!(
            f,
            "corpus: {} ({} files, {:.1} MB)",
            b.corpus,
            b.files,
            b.bytes as f64 / 1e6
        )?;
        writeln!(f, "| tool | seconds | messages/s | MB/s | peak RSS (MiB) |")?;
        writeln!(f, "|---|---:|---:|---:|---:|")?;
        for m in &b.runs {
            writeln!(
                f,
                "| {} | {:.2} | {:.0} | {:.1} | {:.0} |",
                m.tool, m.seconds, m.messages_per_s, m.mb_per_s, m.peak_rss_mb
            )?;
        }
        if let (Some(r), Some(i)) = (b.trove_vs_mu, b.trove_indexed_vs_mu) {
            writeln!(
                f,
                "trove is {r:.1}× mu's speed ({i:.1}× with its search index)"
            )?;
        }
        if let (Some(r), Some(i)) = (b.trove_vs_notmuch, b.trove_indexed_vs_notmuch) {
            writeln!(
                f,
                "trove is {r:.1}× notmuch's speed ({i:.1}× with its search index)"
            )?;
        }
        writeln!(
            f,
            "trove (--no-index) takes {:.2}× the read+hash time",
            b.trove_vs_read_hash
        )?;
        Ok(())
    }
}

/// One query of the search mix, in each tool's syntax.
pub(crate) struct MixQuery {
    kind: &'static str,
    pub(crate) trove: &'static str,
    notmuch: &'static str,
    mu: &'static str,
    facets: bool,
}

/// The fixed query mix: terms, phrases, fields, ranges, wildcards, and faceted searches.
pub(crate) const MIX: &[MixQuery] = &[
    MixQuery {
        kind: "term",
        trove: "contrato",
        notmuch: "contrato",
        mu: "contrato",
        facets: false,
    },
    MixQuery {
        kind: "term",
        trove: "blindados",
        notmuch: "blindados",
        mu: "blindados",
        facets: false,
    },
    MixQuery {
        kind: "term",
        trove: "combustible",
        notmuch: "combustible",
        mu: "combustible",
        facets: false,
    },
    MixQuery {
        kind: "phrase",
        trove: "\"zona militar\"",
        notmuch: "\"zona militar\"",
        mu: "\"zona militar\"",
        facets: false,
    },
    MixQuery {
        kind: "phrase",
        trove: "\"sin otro particular\"",
        notmuch: "\"sin otro particular\"",
        mu: "\"sin otro particular\"",
        facets: false,
    },
    MixQuery {
        kind: "field",
        trove: "from:defensa.gob.mx",
        notmuch: "from:defensa.gob.mx",
        mu: "from:defensa.gob.mx",
        facets: false,
    },
    MixQuery {
        kind: "field",
        trove: "subject:informe",
        notmuch: "subject:informe",
        mu: "subject:informe",
        facets: false,
    },
    MixQuery {
        kind: "field",
        trove: "to:sedena.gob.mx AND subject:solicitud",
        notmuch: "to:sedena.gob.mx and subject:solicitud",
        mu: "to:sedena.gob.mx and subject:solicitud",
        facets: false,
    },
    MixQuery {
        kind: "range",
        trove: "date:2015..2016",
        notmuch: "date:2015..2016",
        mu: "date:2015..2016",
        facets: false,
    },
    MixQuery {
        kind: "range",
        trove: "blindados AND date:2019-08..2019-12",
        notmuch: "blindados and date:2019-08..2019-12",
        mu: "blindados and date:20190801..20191231",
        facets: false,
    },
    MixQuery {
        kind: "wildcard",
        trove: "adquisic*",
        notmuch: "adquisic*",
        mu: "adquisic*",
        facets: false,
    },
    MixQuery {
        kind: "wildcard",
        trove: "contrat* AND from:sedena.gob.mx",
        notmuch: "contrat* and from:sedena.gob.mx",
        mu: "contrat* and from:sedena.gob.mx",
        facets: false,
    },
    MixQuery {
        kind: "faceted",
        trove: "vehiculos",
        notmuch: "vehiculos",
        mu: "vehiculos",
        facets: true,
    },
    MixQuery {
        kind: "faceted",
        trove: "mantenimiento AND date:2018",
        notmuch: "mantenimiento and date:2018",
        mu: "mantenimiento and date:2018..2018",
        facets: true,
    },
];

#[derive(Debug, Serialize)]
pub struct Latency {
    pub tool: String,
    pub kind: String,
    pub queries: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub mean_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct SearchBench {
    pub corpus: String,
    pub files: u64,
    pub bytes: u64,
    pub index_bytes: u64,
    pub catalog_bytes: u64,
    pub blob_bytes: u64,
    pub index_ratio: f64,
    pub iterations: usize,
    pub latencies: Vec<Latency>,
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn summarise(tool: &str, kind: &str, mut times: Vec<f64>) -> Latency {
    times.sort_by(|a, b| a.total_cmp(b));
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    Latency {
        tool: tool.into(),
        kind: kind.into(),
        queries: times.len(),
        p50_ms: percentile(&times, 0.5),
        p99_ms: percentile(&times, 0.99),
        mean_ms: mean,
    }
}

fn dir_size(p: &Path) -> u64 {
    walk(p)
        .map(|fs| {
            fs.iter()
                .filter_map(|f| std::fs::metadata(f).ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

fn timed(mut cmd: Command) -> Result<f64> {
    let t = Instant::now();
    let out = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    if !out.success() {
        bail!("{cmd:?} failed");
    }
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

/// Search latency beside notmuch and mu, on databases built by `bench ingest` in `work`.
pub fn search(work: &Path, iterations: usize, peers: bool) -> Result<SearchBench> {
    let work = work.canonicalize().with_context(|| {
        format!(
            "{} (run `trove bench ingest` with the same --work first)",
            work.display()
        )
    })?;
    let view = work.join("maildir");
    let case_dir = work.join("case");
    let case = trove_store::Case::open(&case_dir)?;
    let s = trove_query::Searchable::open(&case)?;
    let files = walk(&view)?;
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let index_bytes = dir_size(&case.index_dir());
    let catalog_bytes = dir_size(&case_dir)
        .saturating_sub(index_bytes)
        .saturating_sub(dir_size(&case_dir.join("blobs")));
    let blob_bytes = dir_size(&case_dir.join("blobs"));
    let mut latencies = Vec::new();
    let mut by_kind: std::collections::BTreeMap<(&str, &str), Vec<f64>> = Default::default();
    let exe = std::env::current_exe()?;
    let mu_home = work.join("mu-home");
    let nm_cfg = work.join("notmuch-config");
    let use_mu = peers && have("mu") && mu_home.exists();
    let use_nm = peers && have("notmuch") && nm_cfg.exists();
    for q in MIX {
        let req = trove_query::Request {
            facets: q.facets,
            ..trove_query::Request::new(q.trove)
        };
        // Warm up every tool on this query.
        for _ in 0..2 {
            s.search(&req)?;
        }
        for _ in 0..iterations {
            let t = Instant::now();
            s.search(&req)?;
            by_kind
                .entry(("trove (library)", q.kind))
                .or_default()
                .push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let cli = || {
            let mut c = Command::new(&exe);
            c.args(["search", "--limit", "20"])
                .arg(&case_dir)
                .arg(q.trove);
            if q.facets {
                c.arg("--facets");
            }
            c
        };
        let nm = || {
            let mut c = Command::new("notmuch");
            c.env("NOTMUCH_CONFIG", &nm_cfg)
                .args(["search", "--limit=20", q.notmuch]);
            c
        };
        let mu = || {
            let mut c = Command::new("mu");
            c.arg("find")
                .arg(format!("--muhome={}", mu_home.display()))
                .args(["--maxnum=20", q.mu]);
            c
        };
        timed(cli())?;
        let peers: Vec<(&str, Box<dyn Fn() -> Command>)> = {
            let mut v: Vec<(&str, Box<dyn Fn() -> Command>)> =
                vec![("trove search (process)", Box::new(cli))];
            if use_nm {
                v.push(("notmuch search", Box::new(nm)));
            }
            if use_mu {
                v.push(("mu find", Box::new(mu)));
            }
            v
        };
        for (name, make) in &peers {
            // mu find exits 4 on no match; count it as a query all the same.
            let _ = make()
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
            for _ in 0..iterations.min(10) {
                let t = Instant::now();
                let _ = make()
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()?;
                by_kind
                    .entry((name, q.kind))
                    .or_default()
                    .push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    let mut all: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for ((tool, kind), times) in by_kind {
        all.entry(tool).or_default().extend(&times);
        latencies.push(summarise(tool, kind, times));
    }
    for (tool, times) in all {
        latencies.push(summarise(tool, "all", times));
    }
    Ok(SearchBench {
        corpus: view.display().to_string(),
        files: files.len() as u64,
        bytes,
        index_bytes,
        catalog_bytes,
        blob_bytes,
        index_ratio: index_bytes as f64 / bytes.max(1) as f64,
        iterations,
        latencies,
    })
}

impl std::fmt::Display for SearchBench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self;
        writeln!(
            f,
            "corpus: {} ({} files, {:.1} MB)",
            b.corpus,
            b.files,
            b.bytes as f64 / 1e6
        )?;
        writeln!(
            f,
            "index {:.1} MB = {:.2}× the mail; catalog {:.1} MB; blobs {:.1} MB",
            b.index_bytes as f64 / 1e6,
            b.index_ratio,
            b.catalog_bytes as f64 / 1e6,
            b.blob_bytes as f64 / 1e6
        )?;
        writeln!(f, "| tool | queries | p50 ms | p99 ms | mean ms |")?;
        writeln!(f, "|---|---|---:|---:|---:|")?;
        for l in &b.latencies {
            writeln!(
                f,
                "| {} | {} ({}) | {:.1} | {:.1} | {:.1} |",
                l.tool, l.kind, l.queries, l.p50_ms, l.p99_ms, l.mean_ms
            )?;
        }
        Ok(())
    }
}

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
