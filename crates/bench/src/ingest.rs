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

pub(crate) fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    #[test]
    fn maildir_view_links_loose_files_into_maildirs() {
        let tmp = tempfile::tempdir().unwrap();
        let corpus = tmp.path().join("corpus");
        std::fs::create_dir_all(corpus.join("a/b")).unwrap();
        std::fs::write(corpus.join("top.eml"), b"Subject: uno\r\n\r\nuno\r\n").unwrap();
        std::fs::write(
            corpus.join("a/b/x.eml"),
            b"Subject: dos\r\n\r\ndos, dos\r\n",
        )
        .unwrap();
        std::fs::write(corpus.join("manifest.json"), b"{}").unwrap();
        let work = tmp.path().join("work");
        let (view, files, bytes) = maildir_view(&corpus, &work).unwrap();
        assert_eq!(view, work.join("maildir"));
        assert_eq!((files, bytes), (2, 21 + 26));
        let top = view.join("root/cur/top.eml:2,S");
        let x = view.join("a_b/cur/x.eml:2,S");
        assert_eq!(
            std::fs::read(&x).unwrap(),
            b"Subject: dos\r\n\r\ndos, dos\r\n"
        );
        // Hard links: the tools read the corpus's own bytes.
        let ino = |p: &Path| std::fs::metadata(p).unwrap().ino();
        assert_eq!(ino(&top), ino(&corpus.join("top.eml")));
        for sub in ["cur", "new", "tmp"] {
            assert!(view.join("a_b").join(sub).is_dir(), "{sub}");
            assert!(view.join("root").join(sub).is_dir(), "{sub}");
        }
        assert_eq!(walk(&view).unwrap(), vec![x.clone(), top.clone()]);
        // Built again on the same work folder: the same view, nothing doubled.
        let (_, again, _) = maildir_view(&corpus, &work).unwrap();
        assert_eq!(again, 2);
        assert_eq!(walk(&view).unwrap().len(), 2);
    }

    #[test]
    fn a_maildir_corpus_keeps_only_its_messages() {
        let tmp = tempfile::tempdir().unwrap();
        let corpus = tmp.path().join("corpus");
        for d in ["box/cur", "box/new", "box/tmp"] {
            std::fs::create_dir_all(corpus.join(d)).unwrap();
        }
        std::fs::write(corpus.join("box/cur/1:2,S"), b"Subject: 1\r\n\r\n1\r\n").unwrap();
        std::fs::write(corpus.join("box/new/2"), b"Subject: 2\r\n\r\n2\r\n").unwrap();
        std::fs::write(corpus.join("notes.txt"), b"not mail").unwrap();
        let (view, files, _) = maildir_view(&corpus, &tmp.path().join("work")).unwrap();
        assert_eq!(files, 2);
        assert_eq!(
            walk(&view).unwrap(),
            vec![view.join("box/cur/1:2,S"), view.join("box/new/2")]
        );
    }

    #[test]
    fn measure_times_a_child_and_reports_its_failure() {
        let (secs, rss) = measure(Command::new("true")).unwrap();
        assert!(secs >= 0.0 && rss > 0.0, "{secs} {rss}");
        let mut failing = Command::new("sh");
        failing.args(["-c", "exit 3"]);
        let e = measure(failing).unwrap_err().to_string();
        assert!(e.contains("failed (status"), "{e}");
        assert!(matches!(
            measure(Command::new("/nonexistent/tool")),
            Err(crate::BenchError::Context { .. })
        ));
    }

    #[test]
    fn the_table_names_only_the_peers_that_ran() {
        let mut b = IngestBench {
            corpus: "leak".into(),
            files: 2,
            bytes: 3_000_000,
            runs: vec![Measure {
                tool: "cat | sha256sum".into(),
                seconds: 0.5,
                messages_per_s: 4.0,
                mb_per_s: 6.0,
                peak_rss_mb: 2.0,
            }],
            trove_vs_mu: None,
            trove_vs_notmuch: None,
            trove_indexed_vs_mu: None,
            trove_indexed_vs_notmuch: None,
            trove_vs_read_hash: 1.5,
        };
        assert_eq!(
            b.to_string(),
            "corpus: leak (2 files, 3.0 MB)\n\
             | tool | seconds | messages/s | MB/s | peak RSS (MiB) |\n\
             |---|---:|---:|---:|---:|\n\
             | cat | sha256sum | 0.50 | 4 | 6.0 | 2 |\n\
             trove (--no-index) takes 1.50× the read+hash time\n"
        );
        (b.trove_vs_mu, b.trove_indexed_vs_mu) = (Some(2.0), Some(1.5));
        assert!(
            b.to_string()
                .contains("trove is 2.0× mu's speed (1.5× with its search index)\n")
        );
        assert!(!b.to_string().contains("notmuch"));
    }
}
