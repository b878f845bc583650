//! mbox files, read by `trove_formats::mbox`: one member per message (`box.mbox#<offset>`),
//! in the folder named after the file. A file on disk is resumed at the end of the last
//! message a previous run wrote, and its large messages go to the workers as byte ranges of
//! the file rather than in memory.

use std::io::{self, Read};
use std::path::PathBuf;

use trove_formats::archive::ArchiveSummary;
use trove_formats::mbox::MboxReader;
use trove_formats::sniff::Format;
use trove_store::model::{ItemKind, NewItem, Outcome};

use crate::containers::{Container, ContainerKind, Input, Members, ReadError};
use crate::sink::Ctx;
use crate::unit::{Payload, locator};

/// An mbox.
pub struct Mbox {
    /// Where a previous run's messages were all written (a file on disk is read from there).
    pub resume_at: Option<u64>,
}

impl ContainerKind for Mbox {
    fn read(
        &self,
        ctx: &Ctx,
        c: &Container,
        input: Input<'_>,
        m: &mut dyn Members,
    ) -> Result<ArchiveSummary, ReadError> {
        let resume_at = self.resume_at;
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
                    damage = Some(format!("reading stopped after {} messages: {e}", m.count()));
                    break;
                }
            };
            let loc = locator::mbox_message(c.locator(), entry.offset);
            let Some(slot) = m.slot(&loc, Some(entry.data_offset + entry.length)) else {
                continue;
            };
            let member_of = Some(slot);
            let name = format!("message at {}", entry.offset);
            let mut prov = c.member(loc, name, ItemKind::MboxMessage);
            prov.offset = Some(entry.data_offset);
            prov.length = Some(entry.length);
            prov.folder = folder.clone();
            let payload = match (entry.data, &disk_path) {
                (Some(d), _) => Payload::Memory(d),
                (None, Some(path)) => Payload::FileRange {
                    path: path.clone(),
                    offset: entry.data_offset,
                    len: entry.length,
                },
                (None, None) => {
                    let outcome = Outcome::Skipped {
                        reason: format!(
                            "message of {} bytes is over the {} byte limit and sits in a compressed stream; not stored",
                            entry.length, ctx.limits.max_message_bytes
                        ),
                    };
                    m.record(NewItem::new(prov, "eml", entry.length, outcome), member_of)?;
                    continue;
                }
            };
            if let Some(env) = &entry.envelope {
                let mut meta = serde_json::Map::new();
                meta.insert(
                    "envelope".into(),
                    trove_formats::decode::bytes_to_str(&env.raw)
                        .into_owned()
                        .into(),
                );
                prov.meta = Some(serde_json::Value::Object(meta));
            }
            let mut unit = c.unit(prov, Format::Message, payload, entry.length, member_of);
            unit.envelope = entry.envelope;
            m.leaf(unit)?;
        }
        Ok(ArchiveSummary {
            members: m.count(),
            damage,
        })
    }
}

/// An mbox's folder: its path without the `.mbox` suffix.
fn mbox_folder(rel: &str) -> Option<String> {
    let stem = rel
        .strip_suffix(".mbox")
        .or_else(|| rel.strip_suffix(".mbx"))
        .unwrap_or(rel);
    (!stem.is_empty()).then(|| stem.to_owned())
}
