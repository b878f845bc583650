//! Where a run spills members too large to hold in memory, and how what a dead run spilled is
//! found and removed.
//!
//! Each run spills into a folder of its own in the case's `tmp/`, `spill-<pid>-<n>/`, and
//! holds a lock (`flock`) on `spill-<pid>-<n>.lock` beside it for as long as it runs. The lock
//! file is locked before it gets its name and the folder is made after it, so a spill folder
//! whose lock can be taken, or that has no lock file, belongs to no live run: a run killed
//! with `kill -9` (whose spill files nothing else would ever remove) or one that could not
//! clean up. Every ingest removes those when it starts. Other files in `tmp/` (the server's
//! exports) are not touched.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// This run's spill folder; removed, with its lock file, when dropped.
#[derive(Debug)]
pub struct SpillDir {
    dir: PathBuf,
    lock_path: PathBuf,
    _lock: File,
}

/// What [`sweep`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Spill folders of dead runs.
    pub folders: u64,
    /// Bytes of the files in them.
    pub bytes: u64,
}

const PREFIX: &str = "spill-";
const LOCK: &str = ".lock";

impl SpillDir {
    /// Makes this run's spill folder in `tmp` (after removing those of dead runs).
    pub fn create(tmp: &Path) -> io::Result<(SpillDir, Swept)> {
        fs::create_dir_all(tmp)?;
        let swept = sweep(tmp)?;
        let pid = std::process::id();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        for n in 0u32.. {
            let stem = format!("{PREFIX}{pid}-{nanos}-{n}");
            let lock_path = tmp.join(format!("{stem}{LOCK}"));
            let dir = tmp.join(&stem);
            if lock_path.exists() || dir.exists() {
                continue;
            }
            // Locked under a name no sweep looks at, then given its name: a sweep never sees
            // the lock file of a live run unlocked.
            let pending = tmp.join(format!(".{stem}{LOCK}.new"));
            let lock = File::create(&pending)?;
            lock.lock()?;
            fs::rename(&pending, &lock_path)?;
            fs::create_dir(&dir)?;
            return Ok((
                SpillDir {
                    dir,
                    lock_path,
                    _lock: lock,
                },
                swept,
            ));
        }
        Err(io::Error::other("no free spill folder name"))
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        if let Err(e) = fs::remove_dir_all(&self.dir)
            && e.kind() != io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %self.dir.display(), error = %e, "could not remove the spill folder");
        }
        let _ = fs::remove_file(&self.lock_path);
    }
}

/// Removes the spill folders in `tmp` that no live run holds.
pub fn sweep(tmp: &Path) -> io::Result<Swept> {
    let mut swept = Swept::default();
    let mut folders = Vec::new();
    let mut locks = Vec::new();
    for entry in fs::read_dir(tmp)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(PREFIX) {
            continue;
        }
        if let Some(stem) = name.strip_suffix(LOCK) {
            locks.push(stem.to_owned());
        } else if entry.file_type()?.is_dir() {
            folders.push(name);
        }
    }
    for stem in &locks {
        let lock_path = tmp.join(format!("{stem}{LOCK}"));
        let Ok(lock) = File::options().read(true).write(true).open(&lock_path) else {
            continue;
        };
        match lock.try_lock() {
            Ok(()) => {
                // Nobody holds it: the run that made it is gone.
                remove_folder(&tmp.join(stem), &mut swept);
                let _ = fs::remove_file(&lock_path);
            }
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(e)) => {
                tracing::warn!(lock = %lock_path.display(), error = %e, "cannot check a spill lock");
            }
        }
    }
    for name in folders {
        // A folder without a lock file (looked at again, in case it appeared since the listing).
        if !locks.contains(&name) && !tmp.join(format!("{name}{LOCK}")).exists() {
            remove_folder(&tmp.join(&name), &mut swept);
        }
    }
    if swept.folders > 0 {
        tracing::info!(
            folders = swept.folders,
            bytes = swept.bytes,
            "removed the spill files of runs that did not finish"
        );
    }
    Ok(swept)
}

fn remove_folder(dir: &Path, swept: &mut Swept) {
    let bytes: u64 = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    match fs::remove_dir_all(dir) {
        Ok(()) => {
            swept.folders += 1;
            swept.bytes += bytes;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot remove a stale spill folder");
        }
    }
}
