//! What every expansion shares: its settings ([`Ctx`]), where what it finds goes ([`Sink`]:
//! the producer's channels, or a worker's group), the typed [`Stop`] of a pipeline that cannot
//! go on, and [`buffer`], which holds a member in memory or spills it to the run's tmp folder.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use trove_formats::Limits;
use trove_store::model::{NewItem, Outcome};

use crate::unit::{MemberOf, Payload, Unit};

/// Settings shared by every expansion.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub limits: Limits,
    /// Where members too large to hold in memory are spilled.
    pub tmp: PathBuf,
    /// Members larger than this are spilled to `tmp` instead of being held in memory.
    pub spill_threshold: u64,
    /// Bytes written to spill files so far (shared by every thread of a run).
    pub spilled: Arc<AtomicU64>,
}

/// The pipeline could not go on (the catalog writer stopped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("ingest stopped")]
pub struct Stop;

/// What the catalog already knows of a locator (for resuming).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    New,
    /// Recorded with its final outcome: skip.
    Done,
    /// A container recorded while its members were still being read.
    Partial {
        resume_at: Option<u64>,
    },
}

/// Where expansion sends what it finds.
pub trait Sink {
    /// A container is about to be read.
    fn open(&mut self, item: NewItem) -> Result<(), Stop>;
    /// A member to process (parse, store).
    fn leaf(&mut self, unit: Unit) -> Result<(), Stop>;
    /// A member whose outcome is already decided (skipped, failed).
    fn record(&mut self, item: NewItem, member_of: Option<MemberOf>) -> Result<(), Stop>;
    /// Every member of a container has been sent. `outcome` overrides the container outcome
    /// when it could not be opened at all.
    fn close(
        &mut self,
        locator: &str,
        members: u64,
        outcome: Outcome,
        member_of: Option<MemberOf>,
    ) -> Result<(), Stop>;
    /// What the catalog already has for this locator.
    fn seen(&mut self, locator: &str) -> Seen;
}

/// Reads a stream into memory, or into a spill file when it is large.
pub fn buffer(ctx: &Ctx, r: &mut dyn Read, size_hint: Option<u64>) -> io::Result<Payload> {
    let mut mem = Vec::with_capacity(size_hint.unwrap_or(0).min(ctx.spill_threshold) as usize);
    let mut limited = r.take(ctx.spill_threshold + 1);
    limited.read_to_end(&mut mem)?;
    if (mem.len() as u64) <= ctx.spill_threshold {
        return Ok(Payload::Memory(mem));
    }
    let tmp = tempfile::NamedTempFile::new_in(&ctx.tmp)?;
    let mut w = CountingWriter {
        inner: tmp,
        count: &ctx.spilled,
    };
    io::Write::write_all(&mut w, &mem)?;
    drop(mem);
    io::copy(r, &mut w)?;
    Ok(Payload::Spill(w.inner.into_temp_path()))
}

struct CountingWriter<'a, W> {
    inner: W,
    count: &'a AtomicU64,
}

impl<W: io::Write> io::Write for CountingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
