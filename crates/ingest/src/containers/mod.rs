//! Container kinds: every format that holds other items is read by a [`ContainerKind`] here,
//! which hands each member to the driver through [`Members`].
//!
//! - [`archive`]: zip, tar and 7z, and compressed streams (gzip, zstd, bzip2, xz), including
//!   `tar.gz` and `mbox.gz` read as one container.
//! - [`mbox`]: mbox files, resumable at the end of the last message written.
//! - [`outlook`]: PST/OST stores, `.msg` files and TNEF streams.
//! - [`layout`]: Maildir and Zimbra folder layouts, which are walked as folders by the
//!   producer and only name the folder, flags and ids of what is in them.
//!
//! The parsing is `trove_formats` and `trove_outlook`; a kind only adapts it: it names its
//! members (locators), builds their [`Provenance`], and says whether each one is a stream to
//! classify ([`Members::stream`], possibly a nested container), a leaf ([`Members::leaf`]) or an
//! item whose outcome is already decided ([`Members::record`]). Everything that is the same for
//! every kind is the driver's (`crate::drive`): skipping what a previous run finished,
//! member positions, repeated names (`#2`), the nesting limit, sniffing and spilling,
//! recursion, recording the container item and its outcome.

pub mod archive;
pub mod layout;
pub mod mbox;
pub mod outlook;

use std::io::Read;

use trove_formats::archive::{ArchiveError, ArchiveSummary, Budget};
use trove_formats::mbox::MboxReader;
use trove_formats::sniff::Format;
use trove_store::model::{ItemKind, NewItem, Outcome, Parent, Provenance};

use crate::sink::{Ctx, Stop, buffer};
use crate::unit::{MemberOf, Payload, ReadSeek, Unit};

/// A container to open.
#[derive(Debug, Clone)]
pub struct Container {
    /// Where the container comes from; its item is recorded with it.
    pub prov: Provenance,
    pub format: Format,
    pub size: u64,
    /// Path of the container inside its own container (or relative to the input root), for
    /// naming folders: an mbox's messages are in the folder named after it.
    pub rel: String,
    /// Nesting depth (outermost input = 0).
    pub depth: u32,
    pub budget: Budget,
    pub member_of: Option<MemberOf>,
}

impl Container {
    /// A container of this provenance. A container item has no folder or flags of its own
    /// (its members do), so those are cleared.
    pub fn new(
        mut prov: Provenance,
        format: Format,
        size: u64,
        rel: String,
        depth: u32,
        budget: Budget,
        member_of: Option<MemberOf>,
    ) -> Self {
        prov.folder = None;
        prov.flags = None;
        Container {
            prov,
            format,
            size,
            rel,
            depth,
            budget,
            member_of,
        }
    }

    pub fn locator(&self) -> &str {
        &self.prov.locator
    }

    /// The provenance of a member: inside this container, with nothing else set yet.
    pub fn member(&self, locator: String, name: String, kind: ItemKind) -> Provenance {
        Provenance::new(
            locator,
            Parent::Locator(self.prov.locator.clone()),
            name,
            kind,
        )
    }

    /// A member to classify (it may be a container itself), one level deeper.
    pub fn spec(
        &self,
        prov: Provenance,
        rel: String,
        size: u64,
        date: Option<chrono::DateTime<chrono::FixedOffset>>,
        member_of: Option<MemberOf>,
    ) -> MemberSpec {
        MemberSpec {
            prov,
            rel,
            size,
            date,
            depth: self.depth + 1,
            budget: self.budget.clone(),
            member_of,
        }
    }

    /// A member known to be a leaf, one level deeper.
    pub fn unit(
        &self,
        prov: Provenance,
        format: Format,
        payload: Payload,
        size: u64,
        member_of: Option<MemberOf>,
    ) -> Unit {
        Unit {
            prov,
            format,
            payload,
            size,
            envelope: None,
            container_date: None,
            depth: self.depth + 1,
            budget: self.budget.clone(),
            note: None,
            member_of,
        }
    }
}

/// A member about to be classified: sniffed, then opened (a nested container) or handed on.
#[derive(Debug)]
pub struct MemberSpec {
    /// Locator, parent, name, kind, offset, folder, flags, metadata (length and mtime unset).
    pub prov: Provenance,
    /// Its path inside its container, for the layout tie-breaks and naming folders.
    pub rel: String,
    pub size: u64,
    /// Its date in the container (archive member time), the last date resort.
    pub date: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub depth: u32,
    pub budget: Budget,
    pub member_of: Option<MemberOf>,
}

/// Input to a container: bytes that can be re-read and seeked, or a one-pass stream.
pub enum Input<'a> {
    Payload(Payload),
    Stream(&'a mut dyn Read),
}

/// Why a container kind did not read to the end.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The pipeline stopped (a [`Stop`] from the sink): nothing more is recorded.
    #[error("ingest stopped")]
    Stopped,
    /// The kind decided the container's outcome itself (an Outlook store that cannot be
    /// opened says so in its own words).
    #[error("container outcome decided by its reader: {0:?}")]
    Decided(Outcome),
    /// Reading failed: the container is failed, skipped (encrypted) or damaged.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

impl From<Stop> for ReadError {
    fn from(_: Stop) -> Self {
        ReadError::Stopped
    }
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Archive(ArchiveError::Io(e))
    }
}

/// The driver, as a container kind sees it: where a kind's members go.
pub trait Members {
    /// The container's item before it is recorded, for a kind that names or annotates it from
    /// what it reads (`tar+gzip`, `ost`, a store's counts); `None` once it is recorded.
    fn item(&mut self) -> Option<&mut NewItem>;
    /// Records the container's item now (else it is recorded before the first member, or
    /// with the outcome).
    fn open(&mut self) -> Result<(), Stop>;
    /// The locator of an archive member: `locator`, or `locator#2`, `#3`… when an earlier
    /// member of the container has it already.
    fn unique(&mut self, locator: String) -> String;
    /// The next member's position in the container, or `None` when a previous run finished
    /// the member at `locator` (the kind skips it). `resume_to` is where a resumed read may
    /// start once this member is written (mbox).
    fn slot(&mut self, locator: &str, resume_to: Option<u64>) -> Option<MemberOf>;
    /// A member's bytes, to sniff and open (a nested container) or hand on as a leaf.
    fn stream(&mut self, spec: MemberSpec, reader: &mut dyn Read) -> Result<(), Stop>;
    /// A member to process.
    fn leaf(&mut self, unit: Unit) -> Result<(), Stop>;
    /// A member whose outcome is decided (skipped, failed).
    fn record(&mut self, item: NewItem, member_of: Option<MemberOf>) -> Result<(), Stop>;
    /// Members handed over so far (not counting those a previous run finished).
    fn count(&self) -> u64;
}

/// One kind of container.
pub trait ContainerKind {
    /// Reads `c` from `input`, handing every member to `m`. The summary's damage (or the
    /// error) decides the container's outcome.
    fn read(
        &self,
        ctx: &Ctx,
        c: &Container,
        input: Input<'_>,
        m: &mut dyn Members,
    ) -> Result<ArchiveSummary, ReadError>;
}

/// Files up to this size that look like mbox are checked for holding a single message.
pub const SINGLE_MBOX_PROBE: u64 = 4 << 20;

/// An mbox-style file holding exactly one message (an envelope line, then the message) is a
/// message file, as spamassassin's corpus and some exporters write them: it becomes one
/// message item (its envelope kept), not a container of one.
pub fn is_single_message(bytes: &[u8]) -> bool {
    let mut it = MboxReader::new(bytes, u64::MAX);
    matches!((it.next(), it.next()), (Some(Ok(e)), None) if e.envelope.is_some() && e.offset == 0)
}

/// Formats that are opened rather than stored.
pub fn is_container(f: Format) -> bool {
    f.is_archive() || f.is_compression() || matches!(f, Format::Mbox | Format::Pst | Format::Tnef)
}

/// Runs `f` on the input as a one-pass stream.
pub(crate) fn with_stream(
    input: Input<'_>,
    f: impl FnOnce(&mut dyn Read) -> Result<ArchiveSummary, ReadError>,
) -> Result<ArchiveSummary, ReadError> {
    match input {
        Input::Stream(r) => f(r),
        Input::Payload(p) => {
            let mut r = p.reader()?;
            f(&mut r)
        }
    }
}

/// Runs `f` on the input as seekable bytes (a stream is buffered first, spilled when large).
pub(crate) fn with_seekable(
    ctx: &Ctx,
    input: Input<'_>,
    f: impl FnOnce(&mut dyn ReadSeek) -> Result<ArchiveSummary, ReadError>,
) -> Result<ArchiveSummary, ReadError> {
    let payload = match input {
        Input::Payload(p) => p,
        Input::Stream(r) => buffer(ctx, r, None)?,
    };
    let mut r = payload.reader()?;
    f(&mut *r)
}
