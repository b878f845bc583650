//! `trove bench ingest`: trove's ingest beside `cat | sha256sum`, `mu index` and
//! `notmuch new` on the same files, in the same run, as ratios.
//!
//! mu only reads Maildirs, so the corpus is presented to every tool as a Maildir tree of hard
//! links to the original files (same bytes, same inodes). The page cache is warmed first, so
//! that every tool reads from memory and the comparison is of the work done, not the disk.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
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
    pub trove_vs_mu: Option<f64>,
    pub trove_vs_notmuch: Option<f64>,
    pub trove_vs_read_hash: f64,
}

/// Runs a command, returning wall seconds and the child's peak RSS in MiB.
pub(crate) fn measure(mut cmd: Command) -> Result<(f64, f64)> {
    let started = Instant::now();
    let child = cmd.stdout(std::process::Stdio::null()).spawn().with_context(|| format!("starting {cmd:?}"))?;
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
    for entry in walk(corpus)? {
        let rel = entry.strip_prefix(corpus).unwrap_or(&entry);
        let in_maildir = rel.components().rev().nth(1).is_some_and(|c| matches!(c.as_os_str().to_str(), Some("cur" | "new" | "tmp")));
        let dest = if in_maildir {
            view.join(rel)
        } else {
            let folder = rel.parent().map(|p| p.to_string_lossy().replace('/', "_")).unwrap_or_default();
            let name = rel.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            view.join(if folder.is_empty() { "root".into() } else { folder }).join("cur").join(format!("{name}:2,S"))
        };
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
            for sub in ["cur", "new", "tmp"] {
                std::fs::create_dir_all(parent.parent().unwrap_or(parent).join(sub))?;
            }
        }
        std::fs::hard_link(&entry, &dest).or_else(|_| std::fs::copy(&entry, &dest).map(|_| ()))?;
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
            } else if ft.is_file() && e.file_name() != "manifest.json" && e.file_name() != "manifest-messages.jsonl" {
                out.push(e.path());
            }
        }
    }
    out.sort();
    Ok(out)
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
        eprintln!("{tool}: {secs:.2} s, {:.0} msg/s, {:.0} MB/s, {rss:.0} MiB peak", files as f64 / secs, mb / secs);
        runs.push(Measure { tool: tool.into(), seconds: secs, messages_per_s: files as f64 / secs, mb_per_s: mb / secs, peak_rss_mb: rss });
    };
    let shell = |script: String| {
        let mut c = Command::new("sh");
        c.arg("-c").arg(script);
        c
    };
    let quoted = view.display().to_string().replace('\'', "'\\''");
    // Warm the page cache, then the baseline: read and hash every byte.
    measure(shell(format!("find '{quoted}' -type f -print0 | xargs -0 cat > /dev/null")))?;
    record(&mut runs, "cat | sha256sum", measure(shell(format!("find '{quoted}' -type f -print0 | xargs -0 cat | sha256sum")))?);

    let exe = std::env::current_exe()?;
    let case = work.join("case");
    let _ = std::fs::remove_dir_all(&case);
    let status = Command::new(&exe).arg("init").arg(&case).stdout(std::process::Stdio::null()).status()?;
    if !status.success() {
        bail!("trove init failed");
    }
    let mut cmd = Command::new(&exe);
    cmd.args(["ingest", "--quiet", "--source", "bench", "--threads", &threads.to_string()]).arg(&case).arg(&view);
    record(&mut runs, "trove ingest", measure(cmd)?);

    if peers && have("mu") {
        let home = work.join("mu-home");
        let _ = std::fs::remove_dir_all(&home);
        let mut init = Command::new("mu");
        init.arg("init").arg(format!("--maildir={}", view.display())).arg(format!("--muhome={}", home.display()));
        measure(init)?;
        let mut index = Command::new("mu");
        index.arg("index").arg(format!("--muhome={}", home.display()));
        record(&mut runs, "mu index", measure(index)?);
    }
    if peers && have("notmuch") {
        let db = work.join("notmuch-db");
        let _ = std::fs::remove_dir_all(&db);
        std::fs::create_dir_all(&db)?;
        let cfg = work.join("notmuch-config");
        std::fs::write(&cfg, format!("[database]\npath={}\nmail_root={}\n[new]\ntags=new\n", db.display(), view.display()))?;
        let mut new = Command::new("notmuch");
        new.env("NOTMUCH_CONFIG", &cfg).arg("new").arg("--quiet");
        record(&mut runs, "notmuch new", measure(new)?);
    }
    let secs = |tool: &str| runs.iter().find(|m| m.tool == tool).map(|m| m.seconds);
    let trove = secs("trove ingest").unwrap_or(f64::NAN);
    Ok(IngestBench {
        corpus: corpus.display().to_string(),
        files,
        bytes,
        trove_vs_mu: secs("mu index").map(|s| s / trove),
        trove_vs_notmuch: secs("notmuch new").map(|s| s / trove),
        trove_vs_read_hash: trove / secs("cat | sha256sum").unwrap_or(f64::NAN),
        runs,
    })
}

pub fn print(b: &IngestBench) {
    println!("corpus: {} ({} files, {:.1} MB)", b.corpus, b.files, b.bytes as f64 / 1e6);
    println!("| tool | seconds | messages/s | MB/s | peak RSS (MiB) |");
    println!("|---|---:|---:|---:|---:|");
    for m in &b.runs {
        println!("| {} | {:.2} | {:.0} | {:.1} | {:.0} |", m.tool, m.seconds, m.messages_per_s, m.mb_per_s, m.peak_rss_mb);
    }
    if let Some(r) = b.trove_vs_mu {
        println!("trove is {r:.1}× mu's speed");
    }
    if let Some(r) = b.trove_vs_notmuch {
        println!("trove is {r:.1}× notmuch's speed");
    }
    println!("trove takes {:.2}× the read+hash time", b.trove_vs_read_hash);
}
