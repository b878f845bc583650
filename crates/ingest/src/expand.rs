//! Opening containers: one routine for every archive, compressed stream and mbox, used both by
//! the producer (streaming the outermost inputs, members going to the workers) and by a worker
//! (opening an archive found in an attachment, everything kept in one group).

use std::collections::{HashMap, HashSet};
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use trove_formats::Limits;
use trove_formats::archive::{self, ArchiveError, Budget, LimitReached, MemberInfo, MemberKind};
use trove_formats::layout::{maildir_flags, maildir_folder, zimbra_path};
use trove_formats::mbox::MboxReader;
use trove_formats::sniff::{Format, SNIFF_LEN, sniff};
use trove_store::model::{ItemKind, NewItem, Outcome, Parent};

use crate::unit::{MemberOf, Payload, ReadSeek, Unit, locator};

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
#[derive(Debug, Clone, Copy)]
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

/// A container to open.
#[derive(Debug, Clone)]
pub struct Container {
    pub locator: String,
    pub parent: Parent,
    pub name: String,
    pub kind: ItemKind,
    pub format: Format,
    pub size: u64,
    pub offset: Option<u64>,
    pub length: Option<u64>,
    /// Path of the container inside its own container (or relative to the input root), for
    /// naming folders: an mbox's messages are in the folder named after it.
    pub rel: String,
    pub mtime: Option<i64>,
    pub meta: Option<serde_json::Value>,
    pub depth: u32,
    pub budget: Budget,
    pub member_of: Option<MemberOf>,
}

/// Input to a container: bytes that can be re-read and seeked, or a one-pass stream.
pub enum Input<'a> {
    Payload(Payload),
    Stream(&'a mut dyn Read),
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

/// Content decides formats; where content is ambiguous (plain text, HTML), the location or
/// name breaks the tie: a file in a Maildir's `cur/`/`new/`/`tmp/` is a message by
/// definition, and so is text named `.eml`. Such a message without headers is stored and
/// flagged, not turned into a document.
pub fn refine_format(format: Format, rel: &str) -> Format {
    if !matches!(format, Format::Text | Format::Html) {
        return format;
    }
    let lower = rel.to_ascii_lowercase();
    let named = [".eml", ".emlx", ".mai", ".email"]
        .iter()
        .any(|s| lower.ends_with(s));
    if named || maildir_folder(rel).is_some() {
        Format::Message
    } else {
        format
    }
}

/// Formats that are opened rather than stored.
pub fn is_container(f: Format) -> bool {
    f.is_archive() || f.is_compression() || matches!(f, Format::Mbox | Format::Pst | Format::Tnef)
}

/// A new item with the fields every item shares.
pub fn base_item(
    locator: String,
    parent: Parent,
    name: String,
    kind: ItemKind,
    format: &str,
    size: u64,
    outcome: Outcome,
) -> NewItem {
    NewItem {
        locator,
        parent,
        name,
        kind,
        format: format.to_owned(),
        offset: None,
        length: None,
        size,
        sha256: None,
        outcome,
        folder: None,
        flags: None,
        meta: None,
        mtime: None,
        complete: true,
        blob: None,
        message: None,
    }
}

/// Folder and Maildir flags of an item from its path relative to the input root (or to its
/// innermost container).
pub fn folder_and_flags(rel: &str) -> (Option<String>, Option<String>) {
    let name = rel.rsplit(['/', '\\']).next().unwrap_or(rel);
    if let Some((root, folder)) = maildir_folder(rel) {
        let folder = if root.is_empty() {
            folder
        } else {
            format!("{root}/{folder}")
        };
        return (Some(folder), maildir_flags(name));
    }
    if let Some(z) = zimbra_path(rel) {
        return (Some(format!("zimbra mailbox {}", z.mailbox)), None);
    }
    let dir = rel
        .rfind(['/', '\\'])
        .map(|p| &rel[..p])
        .filter(|d| !d.is_empty());
    (dir.map(str::to_owned), None)
}

/// Opens a container and hands every member to the sink.
pub fn expand(ctx: &Ctx, sink: &mut dyn Sink, c: Container, input: Input<'_>) -> Result<(), Stop> {
    let resume_at = match sink.seen(&c.locator) {
        Seen::Done => return Ok(()),
        Seen::Partial { resume_at } => resume_at,
        Seen::New => None,
    };
    let mut item = base_item(
        c.locator.clone(),
        c.parent.clone(),
        c.name.clone(),
        c.kind,
        c.format.as_str(),
        c.size,
        Outcome::Container { damage: None },
    );
    item.offset = c.offset;
    item.length = c.length;
    item.mtime = c.mtime;
    item.meta = c.meta.clone();
    item.complete = false;

    // Compression layers: look inside first, so that the container is named for what it is.
    if c.format.is_compression() {
        return expand_compressed(ctx, sink, c, item, input);
    }
    // Outlook stores: the store's own counts go into the container item before it is opened.
    if c.format == Format::Pst {
        return crate::outlook::expand_pst(ctx, sink, &c, item, input);
    }
    if c.format == Format::Ole {
        item.format = "msg".into();
    }
    sink.open(item)?;
    let mut members = 0u64;
    let result = match c.format {
        Format::Mbox => expand_mbox(ctx, sink, &c, input, resume_at, &mut members),
        Format::Tar => with_stream(input, |r| {
            archive::read_tar(
                r,
                &ctx.limits,
                &c.budget,
                &mut visitor(ctx, sink, &c, &mut members),
            )
        }),
        Format::Zip | Format::SevenZip => with_seekable(ctx, input, |r| {
            let mut v = visitor(ctx, sink, &c, &mut members);
            if c.format == Format::Zip {
                archive::read_zip(r, &ctx.limits, &c.budget, &mut v)
            } else {
                archive::read_7z(r, &ctx.limits, &c.budget, &mut v)
            }
        }),
        Format::Tnef => crate::outlook::expand_tnef(ctx, sink, &c, input, &mut members),
        Format::Ole => crate::outlook::expand_msg(ctx, sink, &c, input, &mut members),
        other => Err(ArchiveError::Unreadable {
            format: other.as_str(),
            reason: "not a container format".into(),
        }),
    };
    finish(sink, &c, members, result)
}

fn finish(
    sink: &mut dyn Sink,
    c: &Container,
    members: u64,
    result: Result<archive::ArchiveSummary, ArchiveError>,
) -> Result<(), Stop> {
    let outcome = match result {
        Ok(summary) => Outcome::Container {
            damage: summary.damage,
        },
        Err(ArchiveError::Encrypted(how)) => Outcome::Skipped {
            reason: format!("encrypted archive ({how}); no password"),
        },
        Err(e) if members == 0 => Outcome::Failed {
            reason: e.to_string(),
        },
        Err(e) => Outcome::Container {
            damage: Some(e.to_string()),
        },
    };
    sink.close(&c.locator, members, outcome, c.member_of.clone())
}

fn with_stream(
    input: Input<'_>,
    f: impl FnOnce(&mut dyn Read) -> Result<archive::ArchiveSummary, ArchiveError>,
) -> Result<archive::ArchiveSummary, ArchiveError> {
    match input {
        Input::Stream(r) => f(r),
        Input::Payload(p) => {
            let mut r = p.reader()?;
            f(&mut r)
        }
    }
}

fn with_seekable(
    ctx: &Ctx,
    input: Input<'_>,
    f: impl FnOnce(&mut dyn ReadSeek) -> Result<archive::ArchiveSummary, ArchiveError>,
) -> Result<archive::ArchiveSummary, ArchiveError> {
    let payload = match input {
        Input::Payload(p) => p,
        Input::Stream(r) => buffer(ctx, r, None)?,
    };
    let mut r = payload.reader()?;
    f(&mut *r)
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

fn visitor<'a>(
    ctx: &'a Ctx,
    sink: &'a mut dyn Sink,
    c: &'a Container,
    members: &'a mut u64,
) -> impl FnMut(&MemberInfo, Option<&mut dyn Read>) -> archive::Visit + 'a {
    let mut names = Names::default();
    move |info, reader| match member(ctx, sink, c, info, reader, members, &mut names) {
        Ok(()) => ControlFlow::Continue(()),
        Err(Stop) => ControlFlow::Break(()),
    }
}

/// One archive member: recorded, opened as a nested container, or sent to be processed.
fn member(
    ctx: &Ctx,
    sink: &mut dyn Sink,
    c: &Container,
    info: &MemberInfo,
    reader: Option<&mut dyn Read>,
    members: &mut u64,
    names: &mut Names,
) -> Result<(), Stop> {
    if info.kind == MemberKind::Directory {
        return Ok(());
    }
    let name = info.name.trim_start_matches("./").to_owned();
    let loc = names.claim(locator::member(&c.locator, &name));
    let seen = sink.seen(&loc);
    if seen == Seen::Done {
        return Ok(());
    }
    let member_of = Some(MemberOf {
        container: c.locator.clone(),
        seq: *members,
        resume_to: None,
    });
    *members += 1;
    let parent = Parent::Locator(c.locator.clone());
    let size = info.size.unwrap_or(0);
    let (folder, flags) = folder_and_flags(&name);
    let mut meta = serde_json::Map::new();
    if let Some(t) = info.mtime {
        meta.insert("mtime".into(), t.to_rfc3339().into());
    }
    if let Some(cs) = info.compressed_size {
        meta.insert("compressed_size".into(), cs.into());
    }
    let decided = |outcome: Outcome, format: &str| {
        let mut it = base_item(
            loc.clone(),
            parent.clone(),
            name.clone(),
            ItemKind::Member,
            format,
            size,
            outcome,
        );
        it.offset = info.offset;
        it.folder = folder.clone();
        it.flags = flags.clone();
        it.meta = (!meta.is_empty()).then(|| serde_json::Value::Object(meta.clone()));
        it
    };
    if let Some(why) = &info.refused {
        return sink.record(
            decided(
                Outcome::Skipped {
                    reason: why.clone(),
                },
                "unknown",
            ),
            member_of,
        );
    }
    let reader = match (info.kind, info.encryption, reader) {
        (MemberKind::Link, _, _) => {
            return sink.record(
                decided(
                    Outcome::Skipped {
                        reason: "link inside archive (not followed)".into(),
                    },
                    "link",
                ),
                member_of,
            );
        }
        (MemberKind::Other, _, _) => {
            return sink.record(
                decided(
                    Outcome::Skipped {
                        reason: "special file (device or fifo)".into(),
                    },
                    "special",
                ),
                member_of,
            );
        }
        (_, Some(how), _) => {
            return sink.record(
                decided(
                    Outcome::Skipped {
                        reason: format!("encrypted member ({how}); no password"),
                    },
                    "encrypted",
                ),
                member_of,
            );
        }
        (_, None, None) => {
            return sink.record(
                decided(
                    Outcome::Failed {
                        reason: "member could not be read".into(),
                    },
                    "unknown",
                ),
                member_of,
            );
        }
        (_, None, Some(r)) => r,
    };
    let spec = MemberSpec {
        locator: loc.clone(),
        parent,
        name: name.clone(),
        kind: ItemKind::Member,
        rel: name.clone(),
        folder,
        flags,
        size,
        offset: info.offset,
        meta: (!meta.is_empty()).then_some(serde_json::Value::Object(meta)),
        date: info.mtime,
        depth: c.depth + 1,
        budget: c.budget.clone(),
        member_of,
    };
    stream_member(ctx, sink, spec, reader)
}

/// The locators of one container's members, one of its own for each: a member whose locator
/// an earlier member of the container already has gets `#2`, `#3`… by its order among the
/// members of that name (`a.zip!/same.eml`, `a.zip!/same.eml#2`), and a generated locator
/// that a real member already holds moves on to the next number. The same container gives
/// the same locators on every run, so that a resumed run recognises each member. Locators are
/// remembered by a 64-bit hash (FNV-1a), not kept: memory is 8 bytes a member, whatever the
/// names; a hash collision only makes a name numbered that need not be, the same way each run.
#[derive(Debug, Default)]
pub struct Names {
    taken: HashSet<u64>,
    /// For locators met more than once: the number the next repeat tries first.
    next: HashMap<u64, u64>,
}

impl Names {
    pub fn claim(&mut self, locator: String) -> String {
        let h = fnv1a(locator.as_bytes());
        if self.taken.insert(h) {
            return locator;
        }
        let mut k = self.next.get(&h).copied().unwrap_or(2);
        loop {
            let candidate = format!("{locator}#{k}");
            k += 1;
            if self.taken.insert(fnv1a(candidate.as_bytes())) {
                self.next.insert(h, k);
                return candidate;
            }
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A member about to be classified.
pub struct MemberSpec {
    pub locator: String,
    pub parent: Parent,
    pub name: String,
    pub kind: ItemKind,
    pub rel: String,
    pub folder: Option<String>,
    pub flags: Option<String>,
    pub size: u64,
    pub offset: Option<u64>,
    pub meta: Option<serde_json::Value>,
    pub date: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub depth: u32,
    pub budget: Budget,
    pub member_of: Option<MemberOf>,
}

/// Sniffs a member's stream and opens it (a nested container) or hands it on as a leaf.
pub fn stream_member(
    ctx: &Ctx,
    sink: &mut dyn Sink,
    m: MemberSpec,
    reader: &mut dyn Read,
) -> Result<(), Stop> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    let fail = |m: &MemberSpec, e: &io::Error| {
        let outcome = match LimitReached::find(e) {
            Some(l) => Outcome::Skipped {
                reason: format!("not read: {l}"),
            },
            None => Outcome::Failed {
                reason: format!("reading failed: {e}"),
            },
        };
        let mut it = base_item(
            m.locator.clone(),
            m.parent.clone(),
            m.name.clone(),
            m.kind,
            "unknown",
            m.size,
            outcome,
        );
        it.offset = m.offset;
        it.folder = m.folder.clone();
        it.flags = m.flags.clone();
        it.meta = m.meta.clone();
        it
    };
    if let Err(e) = (&mut *reader).take(SNIFF_LEN as u64).read_to_end(&mut head) {
        return sink.record(fail(&m, &e), m.member_of.clone());
    }
    let mut format = refine_format(sniff(&head), &m.rel);
    if format == Format::Mbox {
        // Read a little further: a one-message mbox is a message.
        if let Err(e) = (&mut *reader)
            .take(SINGLE_MBOX_PROBE + 1 - head.len() as u64)
            .read_to_end(&mut head)
        {
            return sink.record(fail(&m, &e), m.member_of.clone());
        }
        if head.len() as u64 <= SINGLE_MBOX_PROBE && is_single_message(&head) {
            format = Format::Message;
        }
    }
    let mut chained = io::Cursor::new(head).chain(reader);
    let too_deep = m.depth >= ctx.limits.max_depth;
    if is_container(format) && !too_deep {
        let c = Container {
            locator: m.locator.clone(),
            parent: m.parent.clone(),
            name: m.name.clone(),
            kind: m.kind,
            format,
            size: m.size,
            offset: m.offset,
            length: None,
            rel: m.rel.clone(),
            mtime: None,
            meta: m.meta.clone(),
            depth: m.depth,
            budget: m.budget.clone(),
            member_of: m.member_of.clone(),
        };
        return expand(ctx, sink, c, Input::Stream(&mut chained));
    }
    let payload = match buffer(ctx, &mut chained, Some(m.size)) {
        Ok(p) => p,
        Err(e) => return sink.record(fail(&m, &e), m.member_of.clone()),
    };
    let size = match &payload {
        Payload::Memory(v) => v.len() as u64,
        Payload::Spill(p) => std::fs::metadata(p).map(|md| md.len()).unwrap_or(m.size),
        _ => m.size,
    };
    let note = (is_container(format) && too_deep).then(|| {
        format!(
            "stored unopened: nesting depth limit of {} reached",
            ctx.limits.max_depth
        )
    });
    sink.leaf(Unit {
        locator: m.locator,
        parent: m.parent,
        name: m.name,
        kind: m.kind,
        format,
        payload,
        size,
        offset: m.offset,
        length: Some(size),
        folder: m.folder,
        flags: m.flags,
        meta: m.meta,
        mtime: None,
        envelope: None,
        container_date: m.date,
        depth: m.depth,
        budget: m.budget,
        note,
        member_of: m.member_of,
    })
}

fn expand_compressed(
    ctx: &Ctx,
    sink: &mut dyn Sink,
    c: Container,
    mut item: NewItem,
    input: Input<'_>,
) -> Result<(), Stop> {
    let run =
        |r: &mut dyn Read, sink: &mut dyn Sink, item: &mut Option<NewItem>| -> Result<(), Stop> {
            let mut dec = match archive::decompress(c.format, r, &ctx.limits, &c.budget) {
                Ok(d) => d,
                Err(e) => {
                    if let Some(it) = item.take() {
                        sink.open(it)?;
                    }
                    return finish(sink, &c, 0, Err(ArchiveError::Io(e)));
                }
            };
            let mut head = Vec::with_capacity(SNIFF_LEN);
            let head_err = (&mut dec)
                .take(SNIFF_LEN as u64)
                .read_to_end(&mut head)
                .err();
            let inner = sniff(&head);
            let mut it = item.take().unwrap_or_else(|| {
                base_item(
                    c.locator.clone(),
                    c.parent.clone(),
                    c.name.clone(),
                    c.kind,
                    "",
                    0,
                    Outcome::Container { damage: None },
                )
            });
            if let Some(e) = head_err {
                sink.open(it)?;
                return finish(sink, &c, 0, Err(ArchiveError::Io(e)));
            }
            let mut chained = io::Cursor::new(head).chain(dec);
            if matches!(inner, Format::Tar | Format::Mbox) {
                // tar.gz, mbox.gz…: one container, named for both layers; offsets of members are
                // offsets in the decompressed stream.
                it.format = format!("{}+{}", inner.as_str(), c.format.as_str());
                sink.open(it)?;
                let mut members = 0u64;
                let inner_c = Container {
                    format: inner,
                    ..c.clone()
                };
                let result = if inner == Format::Tar {
                    archive::read_tar(
                        &mut chained,
                        &ctx.limits,
                        &c.budget,
                        &mut visitor(ctx, sink, &inner_c, &mut members),
                    )
                } else {
                    expand_mbox(
                        ctx,
                        sink,
                        &inner_c,
                        Input::Stream(&mut chained),
                        None,
                        &mut members,
                    )
                };
                return finish(sink, &c, members, result);
            }
            // A single compressed file: one member, named without the compression suffix.
            it.format = c.format.as_str().to_owned();
            sink.open(it)?;
            let stem = strip_compression_suffix(&c.name);
            let loc = locator::member(&c.locator, &stem);
            if sink.seen(&loc) == Seen::Done {
                return sink.close(
                    &c.locator,
                    0,
                    Outcome::Container { damage: None },
                    c.member_of.clone(),
                );
            }
            let (folder, flags) = folder_and_flags(&c.rel);
            let spec = MemberSpec {
                locator: loc,
                parent: Parent::Locator(c.locator.clone()),
                name: stem.clone(),
                kind: ItemKind::Member,
                rel: c.rel.clone(),
                folder,
                flags,
                size: 0,
                offset: Some(0),
                meta: None,
                date: None,
                depth: c.depth + 1,
                budget: c.budget.clone(),
                member_of: Some(MemberOf {
                    container: c.locator.clone(),
                    seq: 0,
                    resume_to: None,
                }),
            };
            stream_member(ctx, sink, spec, &mut chained)?;
            sink.close(
                &c.locator,
                1,
                Outcome::Container { damage: None },
                c.member_of.clone(),
            )
        };
    item.complete = false;
    let mut item = Some(item);
    match input {
        Input::Stream(r) => run(r, sink, &mut item),
        Input::Payload(p) => match p.reader() {
            Ok(mut r) => run(&mut r, sink, &mut item),
            Err(e) => {
                if let Some(it) = item.take() {
                    sink.open(it)?;
                }
                finish(sink, &c, 0, Err(ArchiveError::Io(e)))
            }
        },
    }
}

fn strip_compression_suffix(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    for suffix in [".gz", ".tgz", ".zst", ".zstd", ".bz2", ".xz", ".z"] {
        if lower.ends_with(suffix) && name.len() > suffix.len() {
            let stem = &name[..name.len() - suffix.len()];
            return if suffix == ".tgz" {
                format!("{stem}.tar")
            } else {
                stem.to_owned()
            };
        }
    }
    format!("{name}.content")
}

fn expand_mbox(
    ctx: &Ctx,
    sink: &mut dyn Sink,
    c: &Container,
    input: Input<'_>,
    resume_at: Option<u64>,
    members: &mut u64,
) -> Result<archive::ArchiveSummary, ArchiveError> {
    let mut disk_path: Option<PathBuf> = None;
    let payload;
    let mut owned;
    let reader: &mut dyn Read = match input {
        Input::Stream(r) => r,
        Input::Payload(p) => {
            if let Payload::File(path) = &p {
                disk_path = Some(path.clone());
            }
            payload = p;
            owned = payload.reader()?;
            if let (Some(at), Some(_)) = (resume_at, &disk_path) {
                owned.seek(io::SeekFrom::Start(at))?;
            }
            &mut owned
        }
    };
    let start = if disk_path.is_some() {
        resume_at.unwrap_or(0)
    } else {
        0
    };
    let folder = mbox_folder(&c.rel);
    let mut damage = None;
    // A message of LARGE_BLOB and up is parsed from its head and streamed to the blob store
    // (`process::load`): from a file on disk it goes as a byte range, not held here first.
    let limit = match &disk_path {
        Some(_) => ctx
            .limits
            .max_message_bytes
            .min(trove_store::blobs::LARGE_BLOB),
        None => ctx.limits.max_message_bytes,
    };
    for entry in MboxReader::new(reader, limit).starting_at(start) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                damage = Some(format!("reading stopped after {members} messages: {e}"));
                break;
            }
        };
        let loc = locator::mbox_message(&c.locator, entry.offset);
        let member_of = Some(MemberOf {
            container: c.locator.clone(),
            seq: *members,
            resume_to: Some(entry.data_offset + entry.length),
        });
        if sink.seen(&loc) == Seen::Done {
            continue;
        }
        *members += 1;
        let name = format!("message at {}", entry.offset);
        let mut meta = serde_json::Map::new();
        if let Some(env) = &entry.envelope {
            meta.insert(
                "envelope".into(),
                trove_formats::decode::bytes_to_str(&env.raw)
                    .into_owned()
                    .into(),
            );
        }
        let payload = match (entry.data, &disk_path) {
            (Some(d), _) => Payload::Memory(d),
            (None, Some(path)) => Payload::FileRange {
                path: path.clone(),
                offset: entry.data_offset,
                len: entry.length,
            },
            (None, None) => {
                let mut it = base_item(
                    loc,
                    Parent::Locator(c.locator.clone()),
                    name,
                    ItemKind::MboxMessage,
                    "eml",
                    entry.length,
                    Outcome::Skipped {
                        reason: format!(
                            "message of {} bytes is over the {} byte limit and sits in a compressed stream; not stored",
                            entry.length, ctx.limits.max_message_bytes
                        ),
                    },
                );
                it.offset = Some(entry.data_offset);
                it.length = Some(entry.length);
                it.folder = folder.clone();
                sink.record(it, member_of).map_err(|_| stop_error())?;
                continue;
            }
        };
        let unit = Unit {
            locator: loc,
            parent: Parent::Locator(c.locator.clone()),
            name,
            kind: ItemKind::MboxMessage,
            format: Format::Message,
            payload,
            size: entry.length,
            offset: Some(entry.data_offset),
            length: Some(entry.length),
            folder: folder.clone(),
            flags: None,
            meta: (!meta.is_empty()).then_some(serde_json::Value::Object(meta)),
            mtime: None,
            container_date: None,
            envelope: entry.envelope,
            depth: c.depth + 1,
            budget: c.budget.clone(),
            note: None,
            member_of,
        };
        sink.leaf(unit).map_err(|_| stop_error())?;
    }
    Ok(archive::ArchiveSummary {
        members: *members,
        damage,
    })
}

fn stop_error() -> ArchiveError {
    ArchiveError::Io(io::Error::other("ingest stopped"))
}

/// An mbox's folder: its path without the `.mbox` suffix.
fn mbox_folder(rel: &str) -> Option<String> {
    let stem = rel
        .strip_suffix(".mbox")
        .or_else(|| rel.strip_suffix(".mbx"))
        .unwrap_or(rel);
    (!stem.is_empty()).then(|| stem.to_owned())
}

/// True when `path` is inside `dir`.
pub fn is_within(path: &Path, dir: &Path) -> bool {
    path.starts_with(dir)
}
