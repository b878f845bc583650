//! Archives (zip, tar, 7z) and compressed streams (gzip, zstd, bzip2, xz), read by
//! `trove_formats::archive` (which applies the expansion budget and refuses overlapping zip
//! entries); this module names the members and says what each one is.
//!
//! - An archive member is `a.zip!/path/in/archive`; a repeated path gets `#2`, `#3`…; folders
//!   are not items; links, special files, encrypted members and members the reader refused
//!   are recorded as skipped, unreadable ones as failed; the rest are streams to classify.
//! - A compressed stream holding a tar or an mbox is one container named for both layers
//!   (`tar+gzip`), its members' offsets in the decompressed stream; any other compressed
//!   stream holds one member named without the suffix (`x.eml.gz!/x.eml`).

use std::io::{self, Read};
use std::ops::ControlFlow;

use trove_formats::archive::{self, ArchiveError, ArchiveSummary, MemberInfo, MemberKind, Visit};
use trove_formats::sniff::{Format, SNIFF_LEN, sniff};
use trove_store::model::{ItemKind, NewItem, Outcome};

use crate::containers::layout::folder_and_flags;
use crate::containers::mbox::Mbox;
use crate::containers::{
    Container, ContainerKind, Input, Members, ReadError, with_seekable, with_stream,
};
use crate::sink::{Ctx, Stop};
use crate::unit::locator;

/// A tar archive, read as a stream.
pub struct Tar;
/// A zip archive (seekable: a stream is buffered first).
pub struct Zip;
/// A 7z archive (seekable: a stream is buffered first).
pub struct SevenZip;
/// A compressed stream.
pub struct Compressed;

impl ContainerKind for Tar {
    fn read(
        &self,
        ctx: &Ctx,
        c: &Container,
        input: Input<'_>,
        m: &mut dyn Members,
    ) -> Result<ArchiveSummary, ReadError> {
        with_stream(input, |r| {
            visit(c, m, |v| archive::read_tar(r, &ctx.limits, &c.budget, v))
        })
    }
}

impl ContainerKind for Zip {
    fn read(
        &self,
        ctx: &Ctx,
        c: &Container,
        input: Input<'_>,
        m: &mut dyn Members,
    ) -> Result<ArchiveSummary, ReadError> {
        with_seekable(ctx, input, |r| {
            visit(c, m, |v| archive::read_zip(r, &ctx.limits, &c.budget, v))
        })
    }
}

impl ContainerKind for SevenZip {
    fn read(
        &self,
        ctx: &Ctx,
        c: &Container,
        input: Input<'_>,
        m: &mut dyn Members,
    ) -> Result<ArchiveSummary, ReadError> {
        with_seekable(ctx, input, |r| {
            visit(c, m, |v| archive::read_7z(r, &ctx.limits, &c.budget, v))
        })
    }
}

/// Runs an archive reader with a visitor that hands every member to `m`. A stop ends the
/// reading, and is returned as such whatever the reader made of it.
fn visit(
    c: &Container,
    m: &mut dyn Members,
    read: impl FnOnce(
        &mut dyn FnMut(&MemberInfo, Option<&mut dyn Read>) -> Visit,
    ) -> Result<ArchiveSummary, ArchiveError>,
) -> Result<ArchiveSummary, ReadError> {
    let mut stopped = false;
    let mut each =
        |info: &MemberInfo, reader: Option<&mut dyn Read>| match member(c, m, info, reader) {
            Ok(()) => ControlFlow::Continue(()),
            Err(Stop) => {
                stopped = true;
                ControlFlow::Break(())
            }
        };
    let result = read(&mut each);
    if stopped {
        return Err(ReadError::Stopped);
    }
    Ok(result?)
}

/// One archive member: recorded, or handed on as a stream to classify.
fn member(
    c: &Container,
    m: &mut dyn Members,
    info: &MemberInfo,
    reader: Option<&mut dyn Read>,
) -> Result<(), Stop> {
    if info.kind == MemberKind::Directory {
        return Ok(());
    }
    let name = info.name.trim_start_matches("./").to_owned();
    let loc = m.unique(locator::member(c.locator(), &name));
    let Some(slot) = m.slot(&loc, None) else {
        return Ok(());
    };
    let member_of = Some(slot);
    let size = info.size.unwrap_or(0);
    let mut prov = c.member(loc, name.clone(), ItemKind::Member);
    (prov.folder, prov.flags) = folder_and_flags(&name);
    prov.offset = info.offset;
    let mut meta = serde_json::Map::new();
    if let Some(t) = info.mtime {
        meta.insert("mtime".into(), t.to_rfc3339().into());
    }
    if let Some(cs) = info.compressed_size {
        meta.insert("compressed_size".into(), cs.into());
    }
    prov.meta = (!meta.is_empty()).then_some(serde_json::Value::Object(meta));
    let skipped = |reason: String| Outcome::Skipped { reason };
    let decided = match (&info.refused, info.kind, info.encryption, reader) {
        (Some(why), _, _, _) => Err((skipped(why.clone()), "unknown")),
        (None, MemberKind::Link, _, _) => {
            Err((skipped("link inside archive (not followed)".into()), "link"))
        }
        (None, MemberKind::Other, _, _) => {
            Err((skipped("special file (device or fifo)".into()), "special"))
        }
        (None, _, Some(how), _) => Err((
            skipped(format!("encrypted member ({how}); no password")),
            "encrypted",
        )),
        (None, _, None, None) => Err((
            Outcome::Failed {
                reason: "member could not be read".into(),
            },
            "unknown",
        )),
        (None, _, None, Some(r)) => Ok(r),
    };
    match decided {
        Ok(reader) => {
            let spec = c.spec(prov, name, size, info.mtime, member_of);
            m.stream(spec, reader)
        }
        Err((outcome, format)) => m.record(NewItem::new(prov, format, size, outcome), member_of),
    }
}

impl ContainerKind for Compressed {
    /// Compression layers: the reader looks inside first, so that the container is named
    /// for what it is.
    fn read(
        &self,
        ctx: &Ctx,
        c: &Container,
        input: Input<'_>,
        m: &mut dyn Members,
    ) -> Result<ArchiveSummary, ReadError> {
        with_stream(input, |r| {
            let mut dec = archive::decompress(c.format, r, &ctx.limits, &c.budget)?;
            let mut head = Vec::with_capacity(SNIFF_LEN);
            (&mut dec).take(SNIFF_LEN as u64).read_to_end(&mut head)?;
            let inner = sniff(&head);
            let mut chained = io::Cursor::new(head).chain(dec);
            if matches!(inner, Format::Tar | Format::Mbox) {
                // tar.gz, mbox.gz…: one container, named for both layers; offsets of members
                // are offsets in the decompressed stream.
                if let Some(item) = m.item() {
                    item.format = format!("{}+{}", inner.as_str(), c.format.as_str());
                }
                m.open()?;
                let inner_c = Container {
                    format: inner,
                    ..c.clone()
                };
                let stream = Input::Stream(&mut chained);
                return if inner == Format::Tar {
                    Tar.read(ctx, &inner_c, stream, m)
                } else {
                    Mbox { resume_at: None }.read(ctx, &inner_c, stream, m)
                };
            }
            // A single compressed file: one member, named without the compression suffix.
            m.open()?;
            let stem = strip_compression_suffix(&c.prov.name);
            let loc = locator::member(c.locator(), &stem);
            if let Some(slot) = m.slot(&loc, None) {
                let mut prov = c.member(loc, stem, ItemKind::Member);
                (prov.folder, prov.flags) = folder_and_flags(&c.rel);
                prov.offset = Some(0);
                let spec = c.spec(prov, c.rel.clone(), 0, None, Some(slot));
                m.stream(spec, &mut chained)?;
            }
            Ok(ArchiveSummary {
                members: m.count(),
                damage: None,
            })
        })
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
