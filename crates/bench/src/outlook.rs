//! `trove bench outlook`: trove's PST/OST reader beside `readpst` (and `pffexport` when
//! installed) on the same file, in the same run, as messages per second and ratios.
//!
//! Three trove figures: the reader alone (every message read and rebuilt as RFC 5322, in
//! this process), and the whole `trove ingest` of the store (parse, hash, compress, catalog,
//! index) as a child process. readpst is run as Debian packages it, writing `.eml` files
//! (`-r -e -8 -D`); pffexport writes its text export (`-m all`). Each tool runs `--rounds`
//! times; the median is reported.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::Result;
use serde::Serialize;

use crate::ingest::{have, measure};

#[derive(Debug, Serialize)]
pub struct Run {
    pub tool: String,
    pub seconds: f64,
    pub messages: u64,
    pub messages_per_s: f64,
    pub peak_rss_mb: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct OutlookBench {
    pub store: String,
    pub bytes: u64,
    pub rounds: usize,
    pub runs: Vec<Run>,
    /// trove's reader speed ÷ readpst's (messages/s).
    pub reader_vs_readpst: Option<f64>,
    /// trove ingest speed ÷ readpst's.
    pub ingest_vs_readpst: Option<f64>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn count_files(dir: &Path) -> u64 {
    walkdir(dir).len() as u64
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => out.push(e.path()),
                _ => {}
            }
        }
    }
    out
}

/// Reads every message of the store and rebuilds it as RFC 5322; returns messages read.
fn trove_read(store: &Path) -> Result<u64> {
    let f = std::io::BufReader::with_capacity(64 << 10, std::fs::File::open(store)?);
    let mut n = 0u64;
    let mut bytes = 0usize;
    let summary = trove_outlook::pst::read_store(f, trove_outlook::Limits::default(), &mut |e| {
        if let Ok(item) = &e.item {
            bytes += trove_outlook::mime::to_rfc822(item, e.book, &Default::default()).len();
            n += 1;
        }
        ControlFlow::Continue(())
    })?;
    std::hint::black_box(bytes);
    let mismatches = summary.mismatches();
    if !mismatches.is_empty() {
        eprintln!("reconciliation: {}", mismatches.join("; "));
    }
    Ok(n)
}

pub fn outlook(store: &Path, work: &Path, rounds: usize) -> Result<OutlookBench> {
    std::fs::create_dir_all(work)?;
    let work = work.canonicalize()?;
    let store = store.canonicalize()?;
    let bytes = std::fs::metadata(&store)?.len();
    let rounds = rounds.max(1);
    // Warm the page cache.
    std::fs::read(&store)?;
    let mut runs = Vec::new();

    let mut times = Vec::new();
    let mut messages = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        messages = trove_read(&store)?;
        times.push(t.elapsed().as_secs_f64());
    }
    let s = median(times);
    runs.push(Run {
        tool: "trove reader (read + rebuild RFC 5322)".into(),
        seconds: s,
        messages,
        messages_per_s: messages as f64 / s,
        peak_rss_mb: None,
    });

    let exe = std::env::current_exe()?;
    let (mut times, mut rss) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let case = work.join("case");
        let _ = std::fs::remove_dir_all(&case);
        if !Command::new(&exe)
            .arg("init")
            .arg(&case)
            .stdout(std::process::Stdio::null())
            .status()?
            .success()
        {
            bail!("trove init failed");
        }
        let mut cmd = Command::new(&exe);
        cmd.args(["ingest", "--quiet", "--source", "bench"])
            .arg(&case)
            .arg(&store);
        let (s, r) = measure(cmd)?;
        times.push(s);
        rss.push(r);
    }
    let s = median(times);
    runs.push(Run {
        tool: "trove ingest (whole pipeline)".into(),
        seconds: s,
        messages,
        messages_per_s: messages as f64 / s,
        peak_rss_mb: Some(median(rss)),
    });

    let mut peer = |tool: &str, label: &str, args: &dyn Fn(&Path) -> Command| -> Result<()> {
        if !have(tool) && Command::new(tool).arg("-V").output().is_err() {
            eprintln!("{tool} not installed; skipped");
            return Ok(());
        }
        let (mut times, mut rss, mut files) = (Vec::new(), Vec::new(), 0);
        for _ in 0..rounds {
            let out = work.join(tool);
            let _ = std::fs::remove_dir_all(&out);
            std::fs::create_dir_all(&out)?;
            let (s, r) = measure(args(&out))?;
            files = count_files(&out);
            times.push(s);
            rss.push(r);
        }
        let s = median(times);
        runs.push(Run {
            tool: label.into(),
            seconds: s,
            messages: files,
            messages_per_s: files as f64 / s,
            peak_rss_mb: Some(median(rss)),
        });
        Ok(())
    };
    peer("readpst", "readpst -r -e -8 -D (files written)", &|out| {
        let mut c = Command::new("readpst");
        c.args(["-q", "-r", "-e", "-8", "-D", "-o"])
            .arg(out)
            .arg(&store);
        c
    })?;
    peer(
        "pffexport",
        "pffexport -m all -f text (items exported)",
        &|out| {
            let mut c = Command::new("pffexport");
            c.args(["-q", "-m", "all", "-f", "text", "-t"])
                .arg(out.join("x"))
                .arg(&store);
            c
        },
    )?;
    // pffexport writes a folder per item: count those, not their files.
    if let Some(r) = runs.iter_mut().find(|r| r.tool.starts_with("pffexport")) {
        let dirs = count_item_dirs(&work.join("pffexport"));
        r.messages = dirs;
        r.messages_per_s = dirs as f64 / r.seconds;
    }
    let speed = |prefix: &str| {
        runs.iter()
            .find(|r| r.tool.starts_with(prefix))
            .map(|r| r.messages_per_s)
    };
    let readpst = speed("readpst");
    Ok(OutlookBench {
        store: store.display().to_string(),
        bytes,
        rounds,
        reader_vs_readpst: readpst.and_then(|p| speed("trove reader").map(|t| t / p)),
        ingest_vs_readpst: readpst.and_then(|p| speed("trove ingest").map(|t| t / p)),
        runs,
    })
}

/// pffexport's item folders: `Message00001`, `Appointment00002`…
fn count_item_dirs(dir: &Path) -> u64 {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                let name = e.file_name().to_string_lossy().into_owned();
                let digits = name.chars().rev().take_while(char::is_ascii_digit).count();
                if digits == 5
                    && !name.starts_with("Attachment")
                    && !name.starts_with("Folder")
                    && !d.ends_with("Attachments")
                {
                    n += 1;
                }
                if !name.starts_with("Attachment") {
                    stack.push(e.path());
                }
            }
        }
    }
    n
}

impl std::fmt::Display for OutlookBench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self;
        writeln!(
            f,
            "store: {} ({:.1} MB), median of {} rounds",
            b.store,
            b.bytes as f64 / 1e6,
            b.rounds
        )?;
        writeln!(
            f,
            "| tool | seconds | messages | messages/s | peak RSS (MiB) |"
        )?;
        writeln!(f, "|---|---:|---:|---:|---:|")?;
        for r in &b.runs {
            let rss = r
                .peak_rss_mb
                .map_or_else(|| "—".to_owned(), |m| format!("{m:.0}"));
            writeln!(
                f,
                "| {} | {:.3} | {} | {:.0} | {rss} |",
                r.tool, r.seconds, r.messages, r.messages_per_s
            )?;
        }
        if let Some(x) = b.reader_vs_readpst {
            writeln!(f, "trove's reader: {x:.1}× readpst's messages/s")?;
        }
        if let Some(x) = b.ingest_vs_readpst {
            writeln!(f, "trove ingest: {x:.1}× readpst's messages/s")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pffexport_items_are_counted_by_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let x = tmp.path().join("x.export");
        for d in [
            "Folder00001/Message00001",
            "Folder00001/Appointment00002",
            "Folder00001/Message00003/Attachments/Message00001",
            "Folder00001/Message00003/Attachment00001",
            "Orphan00042",
        ] {
            std::fs::create_dir_all(x.join(d)).unwrap();
        }
        std::fs::write(x.join("Folder00001/Message00001/Message.txt"), b"hola").unwrap();
        // Message00001, Appointment00002, Message00003 and Orphan00042; not the folder, not
        // the attachments.
        assert_eq!(count_item_dirs(tmp.path()), 4);
        assert_eq!(count_files(tmp.path()), 1);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert!(median(Vec::new()).is_nan());
    }
}
