//! A second reader for stores: Debian's `pffexport` (pff-tools, LGPL, run as a separate
//! program, never linked), run as a bounded subprocess, and its per-folder item counts
//! compared with trove's catalog. Its exit status is never trusted alone: the counts are.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::pst::StoreCatalog;
use crate::{OutlookError, Result};

/// Bounds on the external program.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Wall-clock time before it is killed.
    pub seconds: u64,
    /// Address space (setrlimit RLIMIT_AS).
    pub memory_bytes: u64,
    /// Largest file it may write (RLIMIT_FSIZE); total output is checked afterwards too.
    pub file_bytes: u64,
    pub output_bytes: u64,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            seconds: 600,
            memory_bytes: 4 << 30,
            file_bytes: 1 << 30,
            output_bytes: 8 << 30,
        }
    }
}

/// What the second reader found: items per folder path, and how it ended.
#[derive(Debug, Clone, Default)]
pub struct Second {
    pub per_folder: BTreeMap<String, u64>,
    /// Exit status, signal or timeout, as text.
    pub ended: String,
}

/// Runs `cmd` with the bounds; returns how it ended (it is killed on timeout).
pub fn run_bounded(mut cmd: Command, b: Bounds) -> Result<String> {
    let (mem, fsize) = (b.memory_bytes, b.file_bytes);
    // SAFETY: only async-signal-safe calls (setrlimit) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let lim = |r, v: u64| {
                let l = libc::rlimit {
                    rlim_cur: v as libc::rlim_t,
                    rlim_max: v as libc::rlim_t,
                };
                libc::setrlimit(r, &l)
            };
            lim(libc::RLIMIT_AS, mem);
            lim(libc::RLIMIT_FSIZE, fsize);
            lim(libc::RLIMIT_CORE, 0);
            Ok(())
        });
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(
                match (
                    status.code(),
                    std::os::unix::process::ExitStatusExt::signal(&status),
                ) {
                    (Some(c), _) => format!("exit {c}"),
                    (None, Some(s)) => format!("killed by signal {s}"),
                    _ => "ended".into(),
                },
            );
        }
        if started.elapsed() > Duration::from_secs(b.seconds) {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(format!("killed after {} s", b.seconds));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `pffexport -m all -f text` on a store into `work` and counts its items per folder.
pub fn pffexport(store: &Path, work: &Path, b: Bounds) -> Result<Second> {
    let target = work.join("pffexport");
    let _ = std::fs::remove_dir_all(work.join("pffexport.export"));
    let _ = std::fs::remove_dir_all(work.join("pffexport.recovered"));
    std::fs::create_dir_all(work)?;
    let mut cmd = Command::new("pffexport");
    cmd.args(["-q", "-m", "items", "-f", "text", "-t"])
        .arg(&target)
        .arg(store);
    let ended = run_bounded(cmd, b)?;
    let root = work.join("pffexport.export");
    if dir_size(&root) > b.output_bytes {
        return Err(OutlookError::Limit(format!(
            "pffexport wrote more than {} bytes",
            b.output_bytes
        )));
    }
    let mut per_folder = BTreeMap::new();
    count_items(&root, &root, &mut per_folder);
    Ok(Second { per_folder, ended })
}

fn dir_size(d: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(d) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

/// pffexport writes one folder per item, named `Message00001`, `Appointment00002`…, inside
/// the folder of its store folder; attachments' folders sit in `Attachments`.
fn count_items(root: &Path, dir: &Path, out: &mut BTreeMap<String, u64>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        if !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        let digits = name.chars().rev().take_while(char::is_ascii_digit).count();
        let stem = &name[..name.len() - digits];
        let is_item = digits == 5
            && !stem.is_empty()
            && stem.chars().all(|c| c.is_ascii_alphabetic())
            && stem != "Folder"
            && stem != "Attachment";
        if is_item {
            let folder = dir
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            *out.entry(folder).or_default() += 1;
        } else {
            count_items(root, &e.path(), out);
        }
    }
}

/// Folders where trove's message nodes and the second reader's items differ.
pub fn compare(cat: &StoreCatalog, second: &Second) -> Vec<String> {
    let mut out = Vec::new();
    let mut ours: BTreeMap<&str, u64> = BTreeMap::new();
    for f in cat.folders.iter().filter(|f| !f.search && f.nodes > 0) {
        ours.insert(&f.path, f.nodes);
    }
    for (path, n) in &ours {
        let theirs = second.per_folder.get(*path).copied().unwrap_or(0);
        if theirs != *n {
            out.push(format!(
                "folder \"{path}\": trove read {n}, pffexport {theirs} ({})",
                second.ended
            ));
        }
    }
    for (path, n) in &second.per_folder {
        if !ours.contains_key(path.as_str()) {
            out.push(format!(
                "folder \"{path}\": pffexport {n}, trove has no messages there"
            ));
        }
    }
    out
}
