//! A worker's job: turn one unit into catalog items. Messages are parsed, hashed and
//! compressed; their attached messages and archives are opened here, in the same group, so
//! that a message and everything inside it are written in one transaction.

use std::collections::HashMap;
use std::io::Read;

use trove_formats::identity::content_key;
use trove_formats::message::{DateHints, ParsedMessage, parse_message};
use trove_formats::sniff::{Format, sniff};
use trove_store::blobs::{BlobDir, LARGE_BLOB, encode};
use trove_store::model::{
    AddressRecord, AttachmentRecord, BlobData, ItemKind, MessageRecord, NewItem, Outcome, Parent,
    Provenance,
};

use crate::containers::layout::refine_format;
use crate::containers::outlook::{item_format, payload_is_msg};
use crate::containers::{Container, Input, is_container, is_single_message};
use crate::drive::{expand, may_open};
use crate::sink::{Ctx, Seen, Sink, Stop};
use crate::unit::{Group, MemberOf, Payload, Unit, locator};

/// Processes one unit into a group of items.
pub fn process(ctx: &Ctx, blobs: &BlobDir, unit: Unit) -> Group {
    let mut group = Group {
        member_of: unit.member_of.clone(),
        bytes: unit.size,
        ..Default::default()
    };
    let mut sink = InlineSink {
        ctx,
        blobs,
        group: &mut group,
        open: HashMap::new(),
    };
    // An inline sink never stops.
    let _ = sink.leaf(unit);
    group
}

/// Collects everything found inside one unit into its group.
struct InlineSink<'a> {
    ctx: &'a Ctx,
    blobs: &'a BlobDir,
    group: &'a mut Group,
    open: HashMap<String, usize>,
}

impl Sink for InlineSink<'_> {
    fn open(&mut self, mut item: NewItem) -> Result<(), Stop> {
        item.complete = false;
        self.open
            .insert(item.prov.locator.clone(), self.group.items.len());
        self.group.items.push(item);
        Ok(())
    }

    fn leaf(&mut self, unit: Unit) -> Result<(), Stop> {
        let items = leaf_items(self, unit);
        self.group.items.extend(items);
        Ok(())
    }

    fn record(&mut self, item: NewItem, _: Option<MemberOf>) -> Result<(), Stop> {
        self.group.items.push(item);
        Ok(())
    }

    fn close(
        &mut self,
        locator: &str,
        _members: u64,
        outcome: Outcome,
        _: Option<MemberOf>,
    ) -> Result<(), Stop> {
        if let Some(&i) = self.open.get(locator) {
            let it = &mut self.group.items[i];
            it.outcome = outcome;
            it.complete = true;
        }
        Ok(())
    }

    fn seen(&mut self, _: &str) -> Seen {
        Seen::New
    }
}

/// The bytes of a unit, or why they could not be had. Units over the parse limit yield only
/// their start, and are stored by streaming.
enum Loaded {
    Whole(Vec<u8>),
    /// The start of the bytes (for parsing headers) and the blob, streamed.
    Large {
        head: Vec<u8>,
        blob: BlobData,
    },
}

fn load(
    ctx: &Ctx,
    blobs: &BlobDir,
    payload: Payload,
    size: u64,
    compress: bool,
    head_len: u64,
) -> std::io::Result<Loaded> {
    if let Payload::Memory(v) = payload {
        if (v.len() as u64) < LARGE_BLOB {
            return Ok(Loaded::Whole(v));
        }
        let head = v[..v.len().min(head_len as usize)].to_vec();
        let blob = blobs.put_large(&mut &v[..], compress)?;
        return Ok(Loaded::Large { head, blob });
    }
    let mut r = payload.reader()?;
    if size < LARGE_BLOB.min(ctx.limits.max_message_bytes.max(1)) {
        let mut v = Vec::with_capacity(size as usize);
        r.read_to_end(&mut v)?;
        if (v.len() as u64) < LARGE_BLOB {
            return Ok(Loaded::Whole(v));
        }
        let head = v[..v.len().min(head_len as usize)].to_vec();
        let blob = blobs.put_large(&mut &v[..], compress)?;
        return Ok(Loaded::Large { head, blob });
    }
    let mut head = Vec::new();
    (&mut r).take(head_len).read_to_end(&mut head)?;
    r.seek(std::io::SeekFrom::Start(0))?;
    let blob = blobs.put_large(&mut r, compress)?;
    Ok(Loaded::Large { head, blob })
}

fn unit_item(unit: &Unit, outcome: Outcome) -> NewItem {
    NewItem::new(unit.prov.clone(), unit.format.as_str(), unit.size, outcome)
}

/// Formats whose bytes are already compressed.
fn compressible(f: Format) -> bool {
    !matches!(
        f,
        Format::Zip
            | Format::SevenZip
            | Format::Rar
            | Format::Gzip
            | Format::Zstd
            | Format::Bzip2
            | Format::Xz
            | Format::Ooxml
            | Format::Odf
            | Format::Image
            | Format::Audio
            | Format::Video
    )
}

fn leaf_items(sink: &mut InlineSink<'_>, unit: Unit) -> Vec<NewItem> {
    match unit.format {
        Format::Empty => vec![unit_item(
            &unit,
            Outcome::Skipped {
                reason: "empty (0 bytes)".into(),
            },
        )],
        Format::Message => {
            // Outlook contacts, appointments… are messages with a kind of their own.
            let kind = item_format(unit.prov.meta.as_ref());
            let mut items = message_items(sink, unit);
            if let (Some(k), Some(first)) = (kind, items.first_mut()) {
                first.format = k;
            }
            items
        }
        f if (is_container(f) || (f == Format::Ole && payload_is_msg(&unit.payload)))
            && unit.note.is_none()
            && may_open(sink.ctx, unit.depth) =>
        {
            // A container handed over as a leaf (an outermost file from a folder): open it here.
            let c = Container::new(
                unit.prov.clone(),
                f,
                unit.size,
                unit.prov.name.clone(),
                unit.depth,
                unit.budget.clone(),
                None,
            );
            let start = sink.group.items.len();
            let _ = expand(sink.ctx, sink, c, Input::Payload(unit.payload));
            sink.group.items.drain(start..).collect()
        }
        _ => document_items(sink, unit),
    }
}

fn document_items(sink: &mut InlineSink<'_>, unit: Unit) -> Vec<NewItem> {
    let compress = compressible(unit.format);
    let size = unit.size;
    let mut item = unit_item(&unit, Outcome::Stored);
    let blob = match load(sink.ctx, sink.blobs, unit.payload, size, compress, 0) {
        Ok(Loaded::Whole(v)) => {
            item.size = v.len() as u64;
            encode(&v, compress)
        }
        Ok(Loaded::Large { blob, .. }) => Ok(blob),
        Err(e) => Err(e),
    };
    match blob {
        Ok(b) => {
            item.sha256 = Some(b.sha256());
            let (BlobData::Large { size, .. } | BlobData::Inline { size, .. }) = &b;
            item.size = *size;
            item.blob = Some(b);
        }
        Err(e) => {
            item.outcome = Outcome::Failed {
                reason: format!("reading failed: {e}"),
            }
        }
    }
    if let Some(note) = unit.note {
        item.prov.meta = Some(merge_meta(item.prov.meta.take(), "note", note));
    }
    vec![item]
}

fn merge_meta(meta: Option<serde_json::Value>, key: &str, value: String) -> serde_json::Value {
    let mut m = match meta {
        Some(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    m.insert(key.into(), value.into());
    serde_json::Value::Object(m)
}

fn message_items(sink: &mut InlineSink<'_>, unit: Unit) -> Vec<NewItem> {
    let limits = sink.ctx.limits;
    let size = unit.size;
    let hints = DateHints {
        envelope: unit.envelope.as_ref().and_then(|e| e.date),
        container: unit.container_date,
    };
    let mut item = unit_item(&unit, Outcome::Stored);
    let loaded = match load(sink.ctx, sink.blobs, unit.payload, size, true, LARGE_BLOB) {
        Ok(l) => l,
        Err(e) => {
            item.outcome = Outcome::Failed {
                reason: format!("reading failed: {e}"),
            };
            return vec![item];
        }
    };
    let (mut parsed, blob) = match loaded {
        Loaded::Whole(bytes) => {
            let parsed = parse_message(&bytes, &limits, hints, false);
            item.size = bytes.len() as u64;
            match encode(&bytes, true) {
                Ok(b) => (parsed, b),
                Err(e) => {
                    item.outcome = Outcome::Failed {
                        reason: format!("encoding blob failed: {e}"),
                    };
                    return vec![item];
                }
            }
        }
        Loaded::Large { head, blob } => {
            // Over the parse limit: parsed from its first LARGE_BLOB bytes (the attachments that
            // end there are recorded, the one cut off is not), flagged; the whole message is stored.
            let parsed = parse_message(&head, &limits, hints, true);
            (parsed, blob)
        }
    };
    if let BlobData::Large { size, .. } = &blob {
        item.size = *size;
    }
    item.sha256 = Some(blob.sha256());
    if let Some(note) = &unit.note {
        item.prov.meta = Some(merge_meta(item.prov.meta.take(), "note", note.clone()));
    }
    let mut children: Vec<NewItem> = Vec::new();
    let mut attachments = Vec::with_capacity(parsed.attachments.len());
    let key = content_key(&parsed);
    let atts = std::mem::take(&mut parsed.attachments);
    for att in atts {
        let child_loc = locator::attachment(&unit.prov.locator, att.part, att.name.as_deref());
        let mut opened = None;
        let fmt = attachment_format(&att);
        let openable = fmt == Format::Message
            || is_container(fmt)
            || (fmt == Format::Ole && trove_outlook::msg::is_msg(&att.data));
        if openable && may_open(sink.ctx, unit.depth) {
            let parent = Parent::Locator(unit.prov.locator.clone());
            let name = att
                .name
                .clone()
                .unwrap_or_else(|| format!("attachment {}", att.part));
            let start = sink.group.items.len();
            if att.is_message || fmt == Format::Message {
                let mut prov =
                    Provenance::new(child_loc.clone(), parent, name, ItemKind::Attachment);
                prov.length = Some(att.size);
                prov.folder = unit.prov.folder.clone();
                let child = Unit {
                    prov,
                    format: Format::Message,
                    size: att.size,
                    payload: Payload::Memory(att.data),
                    envelope: None,
                    container_date: parsed.date,
                    depth: unit.depth + 1,
                    budget: unit.budget.clone(),
                    note: None,
                    member_of: None,
                };
                children.extend(message_items(sink, child));
            } else {
                let mut prov = Provenance::new(
                    child_loc.clone(),
                    parent,
                    name.clone(),
                    ItemKind::Attachment,
                );
                prov.length = Some(att.size);
                let c = Container::new(
                    prov,
                    fmt,
                    att.size,
                    name,
                    unit.depth + 1,
                    unit.budget.clone(),
                    None,
                );
                let _ = expand(sink.ctx, sink, c, Input::Payload(Payload::Memory(att.data)));
                children.extend(sink.group.items.drain(start..));
            }
            opened = Some(child_loc);
        } else if openable {
            // Too deep to open: an item of its own that says so (its bytes are in the
            // message's), so that the limit shows in the report and on the message.
            let what = if att.is_message || fmt == Format::Message {
                "attached message"
            } else {
                "attached container"
            };
            let name = att
                .name
                .clone()
                .unwrap_or_else(|| format!("attachment {}", att.part));
            let parent = Parent::Locator(unit.prov.locator.clone());
            let mut prov = Provenance::new(child_loc.clone(), parent, name, ItemKind::Attachment);
            prov.folder = unit.prov.folder.clone();
            let format = if fmt == Format::Message {
                "eml"
            } else {
                fmt.as_str()
            };
            let outcome = Outcome::Skipped {
                reason: format!(
                    "{what} not opened: nesting depth limit of {} reached",
                    limits.max_depth
                ),
            };
            children.push(NewItem::new(prov, format, att.size, outcome));
            opened = Some(child_loc);
        }
        attachments.push(AttachmentRecord {
            part: att.part,
            name: att.name,
            mime: att.mime,
            disposition: att.disposition,
            content_id: att.content_id,
            size: att.size,
            sha256: att.sha256,
            is_message: att.is_message,
            item_locator: opened,
        });
    }
    item.message = Some(message_record(&parsed, key, attachments));
    item.blob = Some(blob);
    let mut links = Vec::new();
    if let Some(m) = &item.message {
        for a in &m.attachments {
            if let Some(l) = &a.item_locator {
                links.push((item.prov.locator.clone(), a.part, l.clone()));
            }
        }
    }
    sink.group.links.extend(links);
    let mut out = vec![item];
    out.extend(children);
    out
}

/// What an attachment is, for deciding whether to open it: attached messages (message/rfc822,
/// or a message file sent as anything but text), archives and compressed streams are opened.
fn attachment_format(att: &trove_formats::message::Attachment) -> Format {
    if att.is_message {
        return Format::Message;
    }
    let sniffed = sniff(&att.data[..att.data.len().min(trove_formats::sniff::SNIFF_LEN)]);
    let name = att.name.as_deref().unwrap_or("");
    match refine_format(sniffed, name) {
        Format::Mbox if is_single_message(&att.data) => Format::Message,
        Format::Message
            if att.mime.starts_with("text/") && !name.to_ascii_lowercase().ends_with(".eml") =>
        {
            sniffed
        }
        f => f,
    }
}

fn message_record(
    p: &ParsedMessage,
    key: [u8; 32],
    attachments: Vec<AttachmentRecord>,
) -> MessageRecord {
    let mut addresses = Vec::new();
    for (role, list) in [
        ("from", &p.from),
        ("sender", &p.sender),
        ("reply-to", &p.reply_to),
        ("to", &p.to),
        ("cc", &p.cc),
        ("bcc", &p.bcc),
    ] {
        for mb in list {
            addresses.push(AddressRecord {
                role,
                name: mb.name.clone(),
                address: mb.normalized(),
                group: mb.group.clone(),
            });
        }
    }
    let from = p.from.first();
    MessageRecord {
        content_key: key,
        message_id: p.message_id.clone(),
        in_reply_to: p.in_reply_to.clone(),
        references: p.references.clone(),
        subject: p.subject.clone(),
        date: p.date.map(|d| d.timestamp()),
        date_raw: p.date_raw.clone(),
        date_source: p.date_source.map(|s| s.as_str()),
        from_name: from.and_then(|f| f.name.clone()),
        from_addr: from.and_then(|f| f.normalized()),
        text_len: p.text.len() as u64,
        has_html: p.html.is_some(),
        addresses,
        attachments,
        problems: p.problems.iter().map(|pr| pr.as_str()).collect(),
        lang: Some(trove_index::analysis::detect(&detect_sample(p)).code()),
    }
}

/// Subject and the start of the body: as much as language detection reads (it samples the
/// first 1,500 characters), without copying a long body.
fn detect_sample(p: &ParsedMessage) -> String {
    let subject = p.subject.as_deref().unwrap_or("");
    let end = p
        .text
        .char_indices()
        .nth(1500)
        .map_or(p.text.len(), |(i, _)| i);
    format!("{subject}\n{}", &p.text[..end])
}
