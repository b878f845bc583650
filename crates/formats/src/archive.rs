//! Archives and compressed streams, opened with bounds.
//!
//! Every reader here hands each member to a visitor with a [`Bounded`] reader of its
//! decompressed bytes, so that a zip bomb, an overlapping-entry zip or a lying size field ends
//! as a recorded limit, never as exhausted memory or disk. Nothing is ever extracted to disk by
//! member name. Members that cannot be read (encrypted, links, devices) are still reported, with
//! why.

use std::io::{self, Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};

use crate::Limits;
use crate::decode::bytes_to_str;
use crate::sniff::Format;

/// What kind of entry an archive member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    File,
    Directory,
    Link,
    Other,
}

/// An archive member as the archive describes it.
#[derive(Debug, Clone)]
pub struct MemberInfo {
    /// Path inside the archive, decoded (UTF-8, else CP850 for zip, Windows-1252 for tar).
    pub name: String,
    pub kind: MemberKind,
    /// Declared decompressed size.
    pub size: Option<u64>,
    pub compressed_size: Option<u64>,
    /// Offset of the member's header (zip) or data (tar) in the archive stream.
    pub offset: Option<u64>,
    pub mtime: Option<DateTime<FixedOffset>>,
    /// Set when the member is encrypted: how.
    pub encryption: Option<&'static str>,
    /// Set when the reader refuses to read the member (handed to the visitor without a
    /// reader): why.
    pub refused: Option<String>,
}

/// How an archive read ended.
#[derive(Debug, Clone, Default)]
pub struct ArchiveSummary {
    pub members: u64,
    /// Set when the archive ended early or had to be read another way; members before that
    /// point were all visited.
    pub damage: Option<String>,
}

/// An archive that could not be opened at all.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("not a readable {format} archive: {reason}")]
    Unreadable {
        format: &'static str,
        reason: String,
    },
    #[error("encrypted archive ({0}); no password")]
    Encrypted(&'static str),
    #[error("reading the archive: {0}")]
    Io(#[from] io::Error),
}

/// A limit reached while decompressing, carried inside an [`io::Error`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("{what} limit of {limit} bytes reached")]
pub struct LimitReached {
    pub what: &'static str,
    pub limit: u64,
}

impl LimitReached {
    /// Finds a `LimitReached` inside an I/O error.
    pub fn find(e: &io::Error) -> Option<&LimitReached> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<LimitReached>())
    }
}

/// Decompressed bytes that one outermost input may still expand to, shared by every nested
/// reader of that input (across threads). Every layer counts: the bytes of a zip inside a zip
/// are counted when the outer member is read and again as the inner members are, so a
/// zip-of-zips bomb (42.zip) spends the budget level by level. See [`Limits::expansion_budget`].
#[derive(Debug, Clone)]
pub struct Budget {
    left: Arc<AtomicU64>,
    total: u64,
}

impl Budget {
    pub fn new(bytes: u64) -> Self {
        Budget {
            left: Arc::new(AtomicU64::new(bytes)),
            total: bytes,
        }
    }

    /// The budget of an outermost input of `input_size` bytes.
    pub fn for_input(limits: &Limits, input_size: u64) -> Self {
        Budget::new(limits.expansion_budget(input_size))
    }

    fn take(&self, n: u64) -> bool {
        self.left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(n)
            })
            .is_ok()
    }

    pub fn remaining(&self) -> u64 {
        self.left.load(Ordering::Relaxed)
    }

    /// What the budget was to start with.
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// Decompressed bytes allowed beyond `max_ratio` times the compressed bytes, so that small
/// members and the start of a stream are never refused for their ratio.
pub const RATIO_FLOOR: u64 = 1 << 20;

/// Compressed bytes read so far from a source, shared with the [`Bounded`] readers of what it
/// decompresses to (see [`Counting`]).
#[derive(Debug, Clone, Default)]
pub struct Consumed(Arc<AtomicU64>);

impl Consumed {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A reader (and seeker) that counts the bytes read through it into a [`Consumed`].
pub struct Counting<R> {
    inner: R,
    consumed: Consumed,
}

impl<R> Counting<R> {
    pub fn new(inner: R, consumed: Consumed) -> Self {
        Counting { inner, consumed }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.0.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.inner.seek(to)
    }
}

/// A ratio checked while decompressing: the bytes produced (by one reader, or by every member
/// of one archive together) may not exceed `max` times the compressed bytes consumed so far,
/// plus [`RATIO_FLOOR`]. A bomb is refused a megabyte or so after it starts, before it is
/// inflated or spilled, whatever the codec.
#[derive(Debug, Clone)]
pub struct RatioCheck {
    consumed: Consumed,
    /// Compressed bytes consumed before the check began (not counted).
    base: u64,
    produced: Arc<AtomicU64>,
    max: u64,
}

impl RatioCheck {
    /// A check of the bytes produced from now on against those consumed from now on.
    pub fn new(consumed: Consumed, max: u64) -> Self {
        RatioCheck {
            base: consumed.get(),
            consumed,
            produced: Arc::new(AtomicU64::new(0)),
            max,
        }
    }

    /// Counts `n` bytes produced; the bound when they are over it.
    fn produce(&self, n: u64) -> Result<(), u64> {
        let produced = self.produced.fetch_add(n, Ordering::Relaxed) + n;
        let allowed = (self.consumed.get().saturating_sub(self.base))
            .saturating_mul(self.max)
            .saturating_add(RATIO_FLOOR);
        if produced > allowed {
            Err(allowed)
        } else {
            Ok(())
        }
    }
}

/// A reader that fails with [`LimitReached`] past a member limit, past a ratio checked while
/// streaming, or when the shared budget runs out; once failed, it keeps failing.
pub struct Bounded<R> {
    inner: R,
    read: u64,
    limit: u64,
    what: &'static str,
    budget: Budget,
    ratio: Option<RatioCheck>,
    reached: Option<LimitReached>,
}

impl<R: Read> Bounded<R> {
    pub fn new(inner: R, limit: u64, what: &'static str, budget: Budget) -> Self {
        Bounded {
            inner,
            read: 0,
            limit,
            what,
            budget,
            ratio: None,
            reached: None,
        }
    }

    /// Also checks this ratio as the bytes are read.
    pub fn with_ratio(mut self, ratio: RatioCheck) -> Self {
        self.ratio = Some(ratio);
        self
    }

    /// Bytes read so far.
    pub fn count(&self) -> u64 {
        self.read
    }

    /// The limit this reader stopped at, if it did.
    pub fn reached(&self) -> Option<&LimitReached> {
        self.reached.as_ref()
    }

    fn stop(&mut self, what: &'static str, limit: u64) -> io::Error {
        let l = LimitReached { what, limit };
        self.reached = Some(l.clone());
        io::Error::other(l)
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(l) = &self.reached {
            return Err(io::Error::other(l.clone()));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(self.stop(self.what, self.limit));
        }
        if let Some(Err(allowed)) = self.ratio.as_ref().map(|r| r.produce(n as u64)) {
            return Err(self.stop("compression ratio", allowed));
        }
        if !self.budget.take(n as u64) {
            return Err(self.stop("total expansion", self.budget.total()));
        }
        Ok(n)
    }
}

/// The per-member byte limit for a member with this compressed size.
fn member_limit(limits: &Limits, compressed: Option<u64>) -> (u64, &'static str) {
    match compressed {
        Some(c)
            if c.saturating_mul(limits.max_ratio)
                .saturating_add(RATIO_FLOOR)
                < limits.max_member_bytes =>
        {
            (
                c.saturating_mul(limits.max_ratio)
                    .saturating_add(RATIO_FLOOR),
                "compression ratio",
            )
        }
        _ => (limits.max_member_bytes, "member size"),
    }
}

/// The visitor's answer: go on, or stop reading this archive.
pub type Visit = ControlFlow<()>;

/// The member description of a zip entry (a `ZipFile` or a `ZipFileEntry`, which share these
/// methods without a trait).
macro_rules! zip_info {
    ($f:expr) => {{
        let f = &$f;
        let raw = f.name_raw();
        let name = match std::str::from_utf8(raw) {
            Ok(s) => s.to_owned(),
            // No UTF-8: an OEM code page. Spanish Windows writes CP850 (which agrees with CP437
            // on á é í ó ú ñ but not on Á Í Ó Ú).
            Err(_) => {
                oem_cp::decode_string_complete_table(raw, &oem_cp::code_table::DECODING_TABLE_CP850)
            }
        };
        // A name ending in `/` makes a folder only when the entry holds nothing (an empty
        // stream deflated is two bytes): one that holds data is a member, name and all.
        let kind = if f.is_dir() && f.size() == 0 && f.compressed_size() <= 2 {
            MemberKind::Directory
        } else if f.is_symlink() {
            MemberKind::Link
        } else {
            MemberKind::File
        };
        let mtime = f.last_modified().and_then(|d| {
            let date = NaiveDate::from_ymd_opt(d.year() as i32, d.month() as u32, d.day() as u32)?;
            let dt = date.and_hms_opt(d.hour() as u32, d.minute() as u32, d.second() as u32)?;
            Some(Utc.from_utc_datetime(&dt).fixed_offset())
        });
        MemberInfo {
            name,
            kind,
            size: Some(f.size()),
            compressed_size: Some(f.compressed_size()),
            offset: Some(f.header_start()),
            mtime,
            encryption: f.encrypted().then_some("zip encryption"),
            refused: None,
        }
    }};
}
/// Reads the members of a zip file, every entry of its central directory in order (entries that
/// share a name included: each is a member of its own).
///
/// The central directory is walked entry by entry (`zip::unstable::read::ZipIterable`, hence
/// the exact `zip` version in the workspace), never held whole: memory does not grow with the
/// number of members, and entries with a repeated name are all kept, where `ZipArchive` keys
/// entries by name and keeps one.
pub fn read_zip<R: Read + Seek>(
    mut r: R,
    limits: &Limits,
    budget: &Budget,
    visit: &mut dyn FnMut(&MemberInfo, Option<&mut dyn Read>) -> Visit,
) -> Result<ArchiveSummary, ArchiveError> {
    use zip::unstable::read::ZipIterable;
    // A first pass over the central directory alone: a directory that does not read to its
    // end is not trusted, and the local headers are walked instead.
    let checked = ZipIterable::try_new(&mut r, zip::read::Config::default()).and_then(|mut z| {
        let n = z.len();
        for entry in z.files()? {
            entry?;
        }
        Ok(n)
    });
    let total = match checked {
        Ok(n) => n,
        Err(e) => {
            // No readable central directory (a truncated download, a damaged disk): walk the
            // local headers from the start instead.
            let reason = e.to_string();
            r.seek(SeekFrom::Start(0))?;
            let mut summary = read_zip_stream(&mut r, limits, budget, visit);
            if summary.members == 0 {
                return Err(ArchiveError::Unreadable {
                    format: "zip",
                    reason,
                });
            }
            summary.damage = Some(format!(
                "central directory unreadable ({reason}); {} members read from local headers{}",
                summary.members,
                summary
                    .damage
                    .map(|d| format!(", then: {d}"))
                    .unwrap_or_default()
            ));
            return Ok(summary);
        }
    };
    // Compressed bytes read, for each member's ratio checked as it is inflated.
    let consumed = Consumed::default();
    let counted = Counting::new(&mut r, consumed.clone());
    let mut archive = ZipIterable::try_new(counted, zip::read::Config::default()).map_err(|e| {
        ArchiveError::Unreadable {
            format: "zip",
            reason: e.to_string(),
        }
    })?;
    let files = archive.files().map_err(|e| ArchiveError::Unreadable {
        format: "zip",
        reason: e.to_string(),
    })?;
    let mut summary = ArchiveSummary::default();
    let mut taken = Extents::default();
    let mut i = 0usize;
    while let Some(entry) = files.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                summary.damage = Some(format!("central directory entry {i}: {e}"));
                break;
            }
        };
        if summary.members >= limits.max_members {
            summary.damage = Some(format!(
                "member limit of {} reached; {} members not read",
                limits.max_members,
                total - i
            ));
            break;
        }
        i += 1;
        let mut info = zip_info!(entry);
        summary.members += 1;
        if info.kind == MemberKind::File && info.encryption.is_none() {
            // Entries whose bytes overlap (many central-directory entries pointing at one
            // local entry, or into another's data) would inflate the same bytes again and
            // again: the first to claim the bytes is read, the others are refused.
            let compressed = entry.compressed_size();
            if let Some((start, end)) =
                local_extent(files.reader_mut(), entry.header_start(), compressed)
            {
                if taken.overlaps(start, end) {
                    info.refused = Some(OVERLAPPING.to_owned());
                } else {
                    taken.insert(start, end);
                }
            }
        }
        if info.kind != MemberKind::File || info.encryption.is_some() || info.refused.is_some() {
            if visit(&info, None).is_break() {
                break;
            }
            continue;
        }
        let flow = match entry.with_reader(files.reader_mut(), zip::ZipReadOptions::new()) {
            Ok(f) => {
                let (limit, what) = member_limit(limits, info.compressed_size);
                let mut b = Bounded::new(f, limit, what, budget.clone())
                    .with_ratio(RatioCheck::new(consumed.clone(), limits.max_ratio));
                visit(&info, Some(&mut b))
            }
            Err(e) => {
                let mut err = ErrReader(Some(io::Error::other(e.to_string())));
                visit(&info, Some(&mut err))
            }
        };
        if flow.is_break() {
            break;
        }
    }
    Ok(summary)
}

/// Why an overlapping zip entry is not read.
pub const OVERLAPPING: &str = "overlapping zip entry (its bytes are an earlier member's); not read";

/// Where a zip entry lies in the archive: from its local header to the end of its data.
fn local_extent<R: Read + Seek + ?Sized>(
    r: &mut R,
    header: u64,
    compressed: u64,
) -> Option<(u64, u64)> {
    r.seek(SeekFrom::Start(header)).ok()?;
    let mut h = [0u8; 30];
    r.read_exact(&mut h).ok()?;
    if h[..4] != *b"PK\x03\x04" {
        return None;
    }
    let names =
        u16::from_le_bytes([h[26], h[27]]) as u64 + u16::from_le_bytes([h[28], h[29]]) as u64;
    let end = header.checked_add(30 + names)?.checked_add(compressed)?;
    Some((header, end))
}

/// The byte ranges of an archive already read, as a union of disjoint ranges (touching ones
/// merged: the members of an ordinary zip make one range).
#[derive(Debug, Default)]
struct Extents(std::collections::BTreeMap<u64, u64>);

impl Extents {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.0
            .range(..=start)
            .next_back()
            .is_some_and(|(_, &e)| e > start)
            || self.0.range(start..).next().is_some_and(|(&s, _)| s < end)
    }

    fn insert(&mut self, mut start: u64, mut end: u64) {
        if let Some((&s, &e)) = self.0.range(..=start).next_back()
            && e == start
        {
            self.0.remove(&s);
            start = s;
        }
        if let Some(e) = self.0.remove(&end) {
            end = e;
        }
        self.0.insert(start, end);
    }
}

/// Walks zip local headers in order, for zips without a readable central directory.
fn read_zip_stream<R: Read>(
    r: &mut R,
    limits: &Limits,
    budget: &Budget,
    visit: &mut dyn FnMut(&MemberInfo, Option<&mut dyn Read>) -> Visit,
) -> ArchiveSummary {
    let consumed = Consumed::default();
    let mut r = Counting::new(r, consumed.clone());
    let mut summary = ArchiveSummary::default();
    loop {
        match zip::read::read_zipfile_from_stream(&mut r) {
            Ok(Some(f)) => {
                summary.members += 1;
                let info = zip_info!(f);
                let flow = if info.kind == MemberKind::File && info.encryption.is_none() {
                    let (limit, what) = member_limit(limits, info.compressed_size);
                    let mut b = Bounded::new(f, limit, what, budget.clone())
                        .with_ratio(RatioCheck::new(consumed.clone(), limits.max_ratio));
                    visit(&info, Some(&mut b))
                } else {
                    visit(&info, None)
                };
                if flow.is_break() || summary.members >= limits.max_members {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                summary.damage = Some(e.to_string());
                break;
            }
        }
    }
    summary
}

struct ErrReader(Option<io::Error>);

impl Read for ErrReader {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Err(self
            .0
            .take()
            .unwrap_or_else(|| io::Error::other("unreadable member")))
    }
}

/// Reads the members of a tar stream (already decompressed).
pub fn read_tar<R: Read>(
    r: R,
    limits: &Limits,
    budget: &Budget,
    visit: &mut dyn FnMut(&MemberInfo, Option<&mut dyn Read>) -> Visit,
) -> Result<ArchiveSummary, ArchiveError> {
    let mut archive = tar::Archive::new(r);
    let entries = archive.entries().map_err(|e| ArchiveError::Unreadable {
        format: "tar",
        reason: e.to_string(),
    })?;
    let mut summary = ArchiveSummary::default();
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                if summary.members == 0 {
                    return Err(ArchiveError::Unreadable {
                        format: "tar",
                        reason: e.to_string(),
                    });
                }
                summary.damage = Some(format!("after {} members: {e}", summary.members));
                break;
            }
        };
        if summary.members >= limits.max_members {
            summary.damage = Some(format!("member limit of {} reached", limits.max_members));
            break;
        }
        summary.members += 1;
        let header = entry.header();
        let kind = match header.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                MemberKind::File
            }
            // A folder entry that holds data is a member (its data would be lost otherwise).
            tar::EntryType::Directory if header.size().unwrap_or(0) == 0 => MemberKind::Directory,
            tar::EntryType::Directory => MemberKind::File,
            tar::EntryType::Symlink | tar::EntryType::Link => MemberKind::Link,
            _ => MemberKind::Other,
        };
        let mtime = header
            .mtime()
            .ok()
            .and_then(|t| Utc.timestamp_opt(t as i64, 0).single())
            .map(|d| d.fixed_offset());
        let info = MemberInfo {
            name: bytes_to_str(&entry.path_bytes()).into_owned(),
            kind,
            size: header.size().ok(),
            compressed_size: None,
            offset: Some(entry.raw_file_position()),
            mtime,
            encryption: None,
            refused: None,
        };
        let flow = if kind == MemberKind::File {
            let mut b = Bounded::new(
                &mut entry,
                limits.max_member_bytes,
                "member size",
                budget.clone(),
            );
            visit(&info, Some(&mut b))
        } else {
            visit(&info, None)
        };
        if flow.is_break() {
            break;
        }
    }
    Ok(summary)
}

fn sz_info(entry: &sevenz_rust2::ArchiveEntry) -> MemberInfo {
    let kind = if entry.is_directory {
        MemberKind::Directory
    } else {
        MemberKind::File
    };
    let mtime = entry.has_last_modified_date.then(|| {
        let t: std::time::SystemTime = entry.last_modified_date.into();
        DateTime::<Utc>::from(t).fixed_offset()
    });
    MemberInfo {
        name: entry.name.clone(),
        kind,
        size: Some(entry.size),
        compressed_size: (entry.compressed_size > 0).then_some(entry.compressed_size),
        offset: None,
        mtime,
        encryption: None,
        refused: None,
    }
}

/// Reads the members of a 7z archive.
///
/// The bytes all members produce together are checked against the compressed bytes read from
/// the archive so far (`max_ratio`, [`RatioCheck`]). A member that reaches a limit ends the
/// decoding of its solid block (decoding on to the next member would inflate the rest of the
/// bomb): the block's later members are handed to the visitor unread, with why.
pub fn read_7z<R: Read + Seek>(
    r: R,
    limits: &Limits,
    budget: &Budget,
    visit: &mut dyn FnMut(&MemberInfo, Option<&mut dyn Read>) -> Visit,
) -> Result<ArchiveSummary, ArchiveError> {
    use sevenz_rust2::{ArchiveReader, EntryDecision, Error as SzError, Password};
    let consumed = Consumed::default();
    let mut reader = ArchiveReader::new(Counting::new(r, consumed.clone()), Password::empty())
        .map_err(|e| match e {
            SzError::PasswordRequired | SzError::MaybeBadPassword(_) => {
                ArchiveError::Encrypted("7z AES")
            }
            e => ArchiveError::Unreadable {
                format: "7z",
                reason: e.to_string(),
            },
        })?;
    // The order entries come in: each block's files in order, then the files of no block.
    let (entries, blocks): (Vec<sevenz_rust2::ArchiveEntry>, Vec<Option<usize>>) = {
        let a = reader.archive();
        let block = |i: usize| a.stream_map.file_block_index.get(i).copied().flatten();
        let mut order: Vec<usize> = (0..a.files.len()).collect();
        order.sort_by_key(|&i| (block(i).unwrap_or(usize::MAX), i));
        order
            .iter()
            .map(|&i| (a.files[i].clone(), block(i)))
            .unzip()
    };
    // One check per block, from its start: a solid block is one stream, independent blocks
    // are checked each on its own (so a refused block does not count against the next).
    let mut ratio = RatioCheck::new(consumed.clone(), limits.max_ratio);
    let mut ratio_block: Option<Option<usize>> = None;
    let mut summary = ArchiveSummary::default();
    let mut stopped = false;
    let mut pos = 0usize;
    let result = reader.for_each_entries_with_decision(|entry, data| {
        if summary.members >= limits.max_members {
            stopped = true;
            return Ok(EntryDecision::Stop);
        }
        // Where the entry is in that order (found by name should the order ever differ).
        let here = if entries.get(pos).is_some_and(|e| e.name == entry.name) {
            Some(pos)
        } else {
            entries
                .get(pos..)
                .and_then(|rest| rest.iter().position(|e| e.name == entry.name))
                .map(|k| pos + k)
        };
        if let Some(h) = here {
            pos = h + 1;
        }
        let block = here.and_then(|h| blocks[h]);
        if ratio_block != Some(block) || here.is_none() {
            ratio = RatioCheck::new(consumed.clone(), limits.max_ratio);
            ratio_block = Some(block);
        }
        summary.members += 1;
        let info = sz_info(entry);
        let mut reached = None;
        let flow = if info.kind == MemberKind::File {
            let mut b = Bounded::new(data, limits.max_member_bytes, "member size", budget.clone())
                .with_ratio(ratio.clone());
            let flow = visit(&info, Some(&mut b));
            // The visitor may stop early; the rest of the member is read through the bounds.
            if b.reached().is_none() {
                let _ = io::copy(&mut b, &mut io::sink());
            }
            reached = b.reached().cloned();
            flow
        } else {
            visit(&info, None)
        };
        if flow.is_break() {
            stopped = true;
            return Ok(EntryDecision::Stop);
        }
        let Some(limit) = reached else {
            return Ok(EntryDecision::Continue);
        };
        // The rest of this block is not decoded: its members are recorded, not read.
        if let Some(block) = block {
            while pos < entries.len() && blocks[pos] == Some(block) {
                if summary.members >= limits.max_members {
                    stopped = true;
                    return Ok(EntryDecision::Stop);
                }
                summary.members += 1;
                let mut info = sz_info(&entries[pos]);
                pos += 1;
                if info.kind == MemberKind::File {
                    info.refused = Some(format!(
                        "not read: the 7z solid block it is in was abandoned ({limit})"
                    ));
                }
                if visit(&info, None).is_break() {
                    stopped = true;
                    return Ok(EntryDecision::Stop);
                }
            }
        }
        Ok(EntryDecision::SkipBlock)
    });
    if let Err(e) = result {
        let msg = match e {
            SzError::PasswordRequired | SzError::MaybeBadPassword(_) => {
                "encrypted (7z AES); no password".to_owned()
            }
            e => e.to_string(),
        };
        summary.damage = Some(format!("after {} members: {msg}", summary.members));
    } else if stopped && summary.members >= limits.max_members {
        summary.damage = Some(format!("member limit of {} reached", limits.max_members));
    }
    Ok(summary)
}

/// A reader that undoes one compression layer (gzip, zstd, bzip2, xz), bounded: by the member
/// limit, by the shared budget, and by `max_ratio` checked as the stream is read (compressed
/// bytes consumed against bytes produced).
pub fn decompress<'a, R: Read + 'a>(
    format: Format,
    r: R,
    limits: &Limits,
    budget: &Budget,
) -> io::Result<Bounded<Box<dyn Read + 'a>>> {
    let consumed = Consumed::default();
    // From the first byte: decoders read their header as they are built.
    let ratio = RatioCheck::new(consumed.clone(), limits.max_ratio);
    let r = Counting::new(r, consumed);
    let inner: Box<dyn Read + 'a> = match format {
        Format::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
        Format::Zstd => {
            let mut d = zstd::stream::read::Decoder::new(r)?;
            d.window_log_max(31)?;
            Box::new(d)
        }
        Format::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(r)),
        Format::Xz => Box::new(lzma_rust2::XzReader::new(r, true)),
        other => {
            return Err(io::Error::other(format!(
                "{} is not a compression format",
                other.as_str()
            )));
        }
    };
    Ok(Bounded::new(
        inner,
        limits.max_member_bytes,
        "decompressed size",
        budget.clone(),
    )
    .with_ratio(ratio))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn zip_bytes(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut buf);
        for (name, data) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
        buf.into_inner()
    }

    fn collect_zip(
        data: &[u8],
        limits: &Limits,
    ) -> (
        Vec<(String, Result<Vec<u8>, String>)>,
        Result<ArchiveSummary, ArchiveError>,
    ) {
        let mut seen = Vec::new();
        let budget = Budget::new(limits.max_expanded_bytes);
        let res = read_zip(Cursor::new(data), limits, &budget, &mut |info, r| {
            let content = match r {
                Some(r) => {
                    let mut v = Vec::new();
                    r.read_to_end(&mut v).map(|_| v).map_err(|e| e.to_string())
                }
                None => Err(format!(
                    "{:?} {:?}",
                    info.kind,
                    info.encryption.or(info.refused.as_ref().map(|_| "refused"))
                )),
            };
            seen.push((info.name.clone(), content));
            ControlFlow::Continue(())
        });
        (seen, res)
    }

    #[test]
    fn zip_members_and_truncation() {
        let data = zip_bytes(&[("a/uno.eml", b"Subject: 1\n\nx"), ("dos.txt", b"dos")]);
        let (seen, res) = collect_zip(&data, &Limits::default());
        assert_eq!(res.unwrap().members, 2);
        assert_eq!(seen[0].0, "a/uno.eml");
        assert_eq!(seen[1].1.as_deref().unwrap(), b"dos");
        // Cut off the central directory: local headers still give the members.
        let cut = &data[..data.len() - 60];
        let (seen, res) = collect_zip(cut, &Limits::default());
        let s = res.unwrap();
        assert!(s.damage.is_some());
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].1.as_deref().unwrap(), b"Subject: 1\n\nx");
        let (_, res) = collect_zip(b"PK\x03\x04garbage", &Limits::default());
        assert!(matches!(res, Err(ArchiveError::Unreadable { .. })));
    }

    #[test]
    fn zip_entries_with_one_name_are_all_members() {
        // The zip writer refuses a repeated name: write two, then give both one name.
        let data = zip_bytes(&[("dup-1.eml", b"uno"), ("dup-2.eml", b"dos")]);
        let mut patched = data.clone();
        for i in 0..patched.len() - 9 {
            if &patched[i..i + 9] == b"dup-2.eml" {
                patched[i..i + 9].copy_from_slice(b"dup-1.eml");
            }
        }
        let (seen, res) = collect_zip(&patched, &Limits::default());
        assert_eq!(res.unwrap().members, 2);
        let got: Vec<(&str, &[u8])> = seen
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_deref().unwrap()))
            .collect();
        assert_eq!(
            got,
            [("dup-1.eml", &b"uno"[..]), ("dup-1.eml", &b"dos"[..])]
        );
    }

    #[test]
    fn a_zip_member_is_refused_by_ratio_while_inflating() {
        // 256 MiB of zeros deflated (~250 KB): the limit from its declared sizes alone would
        // let ~250 MB through before refusing it; checked as it inflates, a few MB.
        let mut buf = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_level(Some(9))
            .large_file(false);
        w.start_file("ceros.bin", opts).unwrap();
        let mb = vec![0u8; 1 << 20];
        for _ in 0..256 {
            w.write_all(&mb).unwrap();
        }
        w.finish().unwrap();
        let data = buf.into_inner();
        let limits = Limits::default();
        let budget = Budget::new(u64::MAX);
        let mut reason = String::new();
        read_zip(Cursor::new(&data), &limits, &budget, &mut |_, r| {
            if let Err(e) = io::copy(r.unwrap(), &mut io::sink()) {
                reason = e.to_string();
            }
            ControlFlow::Continue(())
        })
        .unwrap();
        assert!(reason.starts_with("compression ratio limit of"), "{reason}");
        let inflated = u64::MAX - budget.remaining();
        assert!(inflated < 64 << 20, "{inflated} bytes inflated");
    }

    #[test]
    fn overlapping_zip_entries_are_read_once() {
        let data = zip_bytes(&[("a.txt", b"the same bytes"), ("b.txt", b"other bytes")]);
        // Point the second central-directory entry at the first local entry.
        let mut patched = data.clone();
        let cds: Vec<usize> = (0..patched.len() - 4)
            .filter(|&i| patched[i..i + 4] == *b"PK\x01\x02")
            .collect();
        assert_eq!(cds.len(), 2);
        patched[cds[1] + 42..cds[1] + 46].copy_from_slice(&0u32.to_le_bytes());
        let (seen, res) = collect_zip(&patched, &Limits::default());
        assert_eq!(res.unwrap().members, 2);
        assert_eq!(seen[0].1.as_deref().unwrap(), b"the same bytes");
        assert_eq!(seen[1].0, "b.txt");
        assert_eq!(seen[1].1.as_ref().unwrap_err(), "File Some(\"refused\")");
    }

    #[test]
    fn zip_cp850_names() {
        // "Oficio ÚLTIMO.txt" in CP850 (Ú = 0xE9), no UTF-8 flag.
        let data = zip_bytes(&[("placeholder-name.txt", b"x")]);
        let mut patched = data.clone();
        let name = b"Oficio \xe9LTIMO.txt";
        assert_eq!(name.len(), "placeholder-name.txt".len() - 3);
        // Rewrite both copies of the name (local and central) with a same-length name.
        let padded = b"Oficio \xe9LTIMO.txt\x5f\x5f\x5f";
        for i in 0..patched.len() - 20 {
            if &patched[i..i + 20] == b"placeholder-name.txt" {
                patched[i..i + 20].copy_from_slice(padded);
            }
        }
        let (seen, _) = collect_zip(&patched, &Limits::default());
        assert_eq!(seen[0].0, "Oficio ÚLTIMO.txt___");
    }

    #[test]
    fn zip_bomb_is_bounded() {
        let zeros = vec![0u8; 8 << 20];
        let data = zip_bytes(&[("bomb.bin", &zeros)]);
        let limits = Limits {
            max_ratio: 10,
            ..Limits::default()
        };
        let (seen, _) = collect_zip(&data, &limits);
        let err = seen[0].1.as_ref().unwrap_err();
        assert!(err.contains("compression ratio limit"), "{err}");
        // The shared budget stops expansion across members too.
        let limits = Limits {
            max_expanded_bytes: 1 << 20,
            ..Limits::default()
        };
        let (seen, _) = collect_zip(&data, &limits);
        let err = seen[0].1.as_ref().unwrap_err();
        assert!(
            err.contains("total expansion limit of 1048576 bytes"),
            "{err}"
        );
    }

    /// 200 MiB of zeros, compressed with each codec.
    fn bombs() -> Vec<(Format, Vec<u8>)> {
        let zeros = vec![0u8; 200 << 20];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&zeros).unwrap();
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        bz.write_all(&zeros).unwrap();
        let mut xz =
            lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).unwrap();
        xz.write_all(&zeros).unwrap();
        vec![
            (Format::Gzip, gz.finish().unwrap()),
            (Format::Zstd, zstd::encode_all(&zeros[..], 3).unwrap()),
            (Format::Bzip2, bz.finish().unwrap()),
            (Format::Xz, xz.finish().unwrap()),
        ]
    }

    #[test]
    fn compressed_bombs_are_refused_while_streaming() {
        let limits = Limits::default();
        for (format, bomb) in bombs() {
            assert_eq!(crate::sniff::sniff(&bomb), format);
            let budget = Budget::new(u64::MAX);
            let mut r = decompress(format, Cursor::new(&bomb), &limits, &budget).unwrap();
            let err = io::copy(&mut r, &mut io::sink()).unwrap_err();
            let l = LimitReached::find(&err).unwrap_or_else(|| panic!("{format:?}: {err}"));
            assert_eq!(l.what, "compression ratio", "{format:?}");
            // Refused within the ratio of what was read, not at the end of the 200 MiB.
            let out = r.count();
            assert!(out <= l.limit + (1 << 20), "{format:?}: {out}");
            assert!(out < 64 << 20, "{format:?}: {out} bytes inflated");
        }
        // An ordinary stream is not refused.
        let text: String = (0..100_000u64)
            .map(|i| {
                format!(
                    "Línea {i}: mensaje número {} de la bandeja\n",
                    i * 7919 % 10007
                )
            })
            .collect();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(text.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let budget = Budget::new(u64::MAX);
        let mut out = Vec::new();
        decompress(Format::Gzip, Cursor::new(gz), &limits, &budget)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, text.as_bytes());
    }

    #[test]
    fn a_7z_bomb_is_refused_while_streaming_and_its_block_recorded() {
        use sevenz_rust2::{ArchiveEntry, ArchiveWriter, SourceReader};
        let zeros = vec![0u8; 200 << 20];
        let mut w = ArchiveWriter::new(Cursor::new(Vec::new())).unwrap();
        // One solid block: a small member, the bomb, another small member.
        let names = ["antes.txt", "ceros.bin", "despues.txt"];
        let data: [&[u8]; 3] = [b"antes", &zeros, b"despues"];
        w.push_archive_entries(
            names.iter().map(|n| ArchiveEntry::new_file(n)).collect(),
            data.iter().map(|d| SourceReader::new(*d)).collect(),
        )
        .unwrap();
        // And a block of its own after it.
        w.push_archive_entry(ArchiveEntry::new_file("aparte.txt"), Some(&b"aparte"[..]))
            .unwrap();
        let bytes = w.finish().unwrap().into_inner();
        assert!(bytes.len() < 1 << 20, "{}", bytes.len());
        let limits = Limits::default();
        let budget = Budget::new(u64::MAX);
        let mut seen = Vec::new();
        let summary = read_7z(Cursor::new(bytes), &limits, &budget, &mut |info, r| {
            let got = match r {
                Some(r) => {
                    let mut v = Vec::new();
                    match r.read_to_end(&mut v) {
                        Ok(_) => format!("read {}", v.len()),
                        Err(e) => format!("refused: {e}"),
                    }
                }
                None => format!("not read: {}", info.refused.clone().unwrap_or_default()),
            };
            seen.push((info.name.clone(), got));
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(summary.members, 4, "{seen:?}");
        assert_eq!(seen[0], ("antes.txt".into(), "read 5".into()));
        assert_eq!(seen[1].0, "ceros.bin");
        assert!(
            seen[1].1.starts_with("refused: compression ratio limit of"),
            "{seen:?}"
        );
        assert_eq!(seen[2].0, "despues.txt");
        assert!(
            seen[2].1.starts_with("not read: not read: the 7z solid block it is in was abandoned (compression ratio limit of"),
            "{seen:?}"
        );
        assert_eq!(seen[3], ("aparte.txt".into(), "read 6".into()));
        // Nothing near the 200 MiB was inflated.
        assert!(budget.remaining() > u64::MAX - (64 << 20));
    }

    #[test]
    fn tar_and_gzip() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_cksum();
        builder
            .append_data(&mut h, "juan/cur/1:2,S", &b"hola\n"[..])
            .unwrap();
        let tar = builder.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(crate::sniff::sniff(&gz), Format::Gzip);
        let limits = Limits::default();
        let budget = Budget::new(1 << 30);
        let inner = decompress(Format::Gzip, Cursor::new(gz), &limits, &budget).unwrap();
        let mut names = Vec::new();
        let s = read_tar(inner, &limits, &budget, &mut |info, r| {
            let mut v = String::new();
            r.unwrap().read_to_string(&mut v).unwrap();
            names.push((info.name.clone(), v));
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(s.members, 1);
        assert_eq!(
            names,
            vec![("juan/cur/1:2,S".to_owned(), "hola\n".to_owned())]
        );
    }
}
