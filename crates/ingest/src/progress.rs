//! The live counters of a run, read by progress displays while it runs.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters, read by progress displays.
#[derive(Debug, Default)]
pub struct Progress {
    pub items: AtomicU64,
    pub stored: AtomicU64,
    pub duplicates: AtomicU64,
    pub skipped: AtomicU64,
    pub failed: AtomicU64,
    pub messages: AtomicU64,
    pub bytes: AtomicU64,
    /// Outermost files a previous run had finished.
    pub already_done: AtomicU64,
    pub already_done_bytes: AtomicU64,
    /// Documents written to the search index.
    pub indexed: AtomicU64,
    /// Documents the index could not build (they stay in the catalog).
    pub index_failed: AtomicU64,
    /// The extraction stage's counters.
    pub extract: crate::extract_stage::StageProgress,
}

impl Progress {
    pub(crate) fn record(&self, outcome: &str, message: bool) {
        self.items.fetch_add(1, Ordering::Relaxed);
        let c = match outcome {
            "stored" => &self.stored,
            "duplicate" => &self.duplicates,
            "skipped" => &self.skipped,
            "failed" => &self.failed,
            _ => return,
        };
        c.fetch_add(1, Ordering::Relaxed);
        if message && matches!(outcome, "stored" | "duplicate") {
            self.messages.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn add_bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn skip_done(&self, bytes: u64) {
        self.already_done.fetch_add(1, Ordering::Relaxed);
        self.already_done_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}
