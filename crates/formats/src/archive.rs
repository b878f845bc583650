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

/// A reader that fails with [`LimitReached`] past a member limit or when the shared budget
/// runs out.
pub struct Bounded<R> {
    inner: R,
    read: u64,
    limit: u64,
    what: &'static str,
    budget: Budget,
}

impl<R: Read> Bounded<R> {
    pub fn new(inner: R, limit: u64, what: &'static str, budget: Budget) -> Self {
        Bounded {
            inner,
            read: 0,
            limit,
            what,
            budget,
        }
    }

    /// Bytes read so far.
    pub fn count(&self) -> u64 {
        self.read
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(io::Error::other(LimitReached {
                what: self.what,
                limit: self.limit,
            }));
        }
        if !self.budget.take(n as u64) {
            return Err(io::Error::other(LimitReached {
                what: "total expansion",
                limit: self.budget.total(),
            }));
        }
        Ok(n)
    }
}

/// The per-member byte limit for a member with this compressed size.
fn member_limit(limits: &Limits, compressed: Option<u64>) -> (u64, &'static str) {
    match compressed {
        Some(c)
            if c.saturating_mul(limits.max_ratio).saturating_add(1 << 20)
                < limits.max_member_bytes =>
        {
            (
                c.saturating_mul(limits.max_ratio).saturating_add(1 << 20),
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
            Err(_) => oem_cp::decode_string_complete_table(
                raw,
                &oem_cp::code_table::DECODING_TABLE_CP850,
            ),
        };
        let kind = if f.is_dir() {
            MemberKind::Directory
        } else if f.is_symlink() {
            MemberKind::Link
        } else {
            MemberKind::File
        };
        let mtime = f.last_modified().and_then(|d| {
            let date =
                NaiveDate::from_ymd_opt(d.year() as i32, d.month() as u32, d.day() as u32)?;
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
    let mut archive = ZipIterable::try_new(&mut r, zip::read::Config::default())
        .map_err(|e| ArchiveError::Unreadable {
            format: "zip",
            reason: e.to_string(),
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
                let mut b = Bounded::new(f, limit, what, budget.clone());
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
pub const OVERLAPPING: &str =
    "overlapping zip entry (its bytes are an earlier member's); not read";

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
    let names = u16::from_le_bytes([h[26], h[27]]) as u64 + u16::from_le_bytes([h[28], h[29]]) as u64;
    let end = header
        .checked_add(30 + names)?
        .checked_add(compressed)?;
    Some((header, end))
}

/// The byte ranges of an archive already read, as a union of disjoint ranges (touching ones
/// merged: the members of an ordinary zip make one range).
#[derive(Debug, Default)]
struct Extents(std::collections::BTreeMap<u64, u64>);

impl Extents {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.0.range(..=start).next_back().is_some_and(|(_, &e)| e > start)
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
    let mut summary = ArchiveSummary::default();
    loop {
        match zip::read::read_zipfile_from_stream(r) {
            Ok(Some(f)) => {
                summary.members += 1;
                let info = zip_info!(f);
                let flow = if info.kind == MemberKind::File && info.encryption.is_none() {
                    let (limit, what) = member_limit(limits, info.compressed_size);
                    let mut b = Bounded::new(f, limit, what, budget.clone());
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
            tar::EntryType::Directory => MemberKind::Directory,
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

/// Reads the members of a 7z archive.
pub fn read_7z<R: Read + Seek>(
    r: R,
    limits: &Limits,
    budget: &Budget,
    visit: &mut dyn FnMut(&MemberInfo, Option<&mut dyn Read>) -> Visit,
) -> Result<ArchiveSummary, ArchiveError> {
    use sevenz_rust2::{ArchiveReader, Error as SzError, Password};
    let mut reader = ArchiveReader::new(r, Password::empty()).map_err(|e| match e {
        SzError::PasswordRequired | SzError::MaybeBadPassword(_) => {
            ArchiveError::Encrypted("7z AES")
        }
        e => ArchiveError::Unreadable {
            format: "7z",
            reason: e.to_string(),
        },
    })?;
    let mut summary = ArchiveSummary::default();
    let mut stopped = false;
    let result = reader.for_each_entries(|entry, data| {
        if summary.members >= limits.max_members {
            stopped = true;
            return Ok(false);
        }
        summary.members += 1;
        let kind = if entry.is_directory {
            MemberKind::Directory
        } else {
            MemberKind::File
        };
        let mtime = entry.has_last_modified_date.then(|| {
            let t: std::time::SystemTime = entry.last_modified_date.into();
            DateTime::<Utc>::from(t).fixed_offset()
        });
        let info = MemberInfo {
            name: entry.name.clone(),
            kind,
            size: Some(entry.size),
            compressed_size: (entry.compressed_size > 0).then_some(entry.compressed_size),
            offset: None,
            mtime,
            encryption: None,
            refused: None,
        };
        let flow = if kind == MemberKind::File {
            let mut b = Bounded::new(data, limits.max_member_bytes, "member size", budget.clone());
            let flow = visit(&info, Some(&mut b));
            // The visitor may stop early; the rest of the stream must still be consumed.
            let _ = io::copy(&mut b, &mut io::sink());
            flow
        } else {
            visit(&info, None)
        };
        if flow.is_break() {
            stopped = true;
        }
        Ok(!stopped)
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

/// A reader that undoes one compression layer (gzip, zstd, bzip2, xz), bounded.
pub fn decompress<'a, R: Read + 'a>(
    format: Format,
    r: R,
    limits: &Limits,
    budget: &Budget,
) -> io::Result<Bounded<Box<dyn Read + 'a>>> {
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
    ))
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
        assert_eq!(got, [("dup-1.eml", &b"uno"[..]), ("dup-1.eml", &b"dos"[..])]);
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
        assert!(err.contains("total expansion limit of 1048576 bytes"), "{err}");
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
