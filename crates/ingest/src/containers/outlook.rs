//! Outlook containers: PST/OST stores, `.msg` files and TNEF streams, read by `trove_outlook`
//! and handed to the driver through the same [`Members`] as every archive, so that resume and
//! accounting work unchanged.
//!
//! - A store's members are its messages, one per message node, rebuilt as RFC 5322 bytes
//!   (`store.pst!/<folder path>/<nid>`); the store item's metadata holds, per folder, the
//!   store's own counts, and every disagreement between them and what was read becomes the
//!   container's damage note, shown by `trove report`.
//! - A `.msg` file holds one member, its message rebuilt as RFC 5322 (`x.msg!/message`).
//! - A TNEF stream's members are its attachments (`winmail.dat!/attachment-N/long name`) and
//!   a text item with its body and properties (`winmail.dat!/body.txt`).

use std::collections::HashMap;
use std::io::{Read, Seek};

use trove_formats::archive::{ArchiveError, ArchiveSummary};
use trove_formats::sniff::Format;
use trove_outlook::mime::{AddressBook, Options, meta, text_rendition, to_rfc822};
use trove_outlook::pst::{PstFile, reconcile};
use trove_outlook::{AttachContent, Item, ItemKind, OutlookError};
use trove_store::model::{ItemKind as Kind, NewItem, Outcome};

use crate::containers::{Container, ContainerKind, Input, Members, ReadError};
use crate::sink::{Ctx, buffer};
use crate::unit::{MemberOf, Payload, Unit, locator};

/// A PST or OST store.
pub struct Pst;
/// An Outlook `.msg` file (an OLE file with message properties).
pub struct Msg;
/// A TNEF stream (`winmail.dat`).
pub struct Tnef;

/// The readers' limits from the ingest's.
pub fn limits(ctx: &Ctx) -> trove_outlook::Limits {
    trove_outlook::Limits {
        max_depth: ctx.limits.max_depth,
        max_value_bytes: ctx.limits.max_message_bytes,
        max_item_bytes: ctx.limits.max_message_bytes.saturating_mul(4),
        ..Default::default()
    }
}

fn archive_err(e: OutlookError) -> ArchiveError {
    match e {
        OutlookError::Io(e) => ArchiveError::Io(e),
        other => ArchiveError::Unreadable {
            format: "outlook",
            reason: other.to_string(),
        },
    }
}

/// True when a payload is an Outlook `.msg` (an OLE file with message properties).
pub fn payload_is_msg(p: &Payload) -> bool {
    match p {
        Payload::Memory(v) => trove_outlook::msg::is_msg(v),
        _ => p
            .reader()
            .map(|mut r| trove_outlook::msg::is_msg_reader(&mut r))
            .unwrap_or(false),
    }
}

/// The catalog format of a unit made from an Outlook item (contacts, appointments… keep
/// their kind), when it is not plain mail.
pub fn item_format(meta: Option<&serde_json::Value>) -> Option<String> {
    let kind = meta?.get("outlook")?.get("kind")?.as_str()?;
    (kind != "eml").then(|| kind.to_owned())
}

fn outlook_meta(item: &Item, extra: &[(&str, serde_json::Value)]) -> serde_json::Value {
    let mut m = match meta(item) {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    m.insert(
        "source".into(),
        "rebuilt from MAPI properties; not the original bytes".into(),
    );
    for (k, v) in extra {
        m.insert((*k).into(), v.clone());
    }
    serde_json::json!({ "outlook": m })
}

/// A message unit made from an Outlook item.
fn item_unit(
    c: &Container,
    loc: String,
    name: String,
    folder: Option<String>,
    bytes: Vec<u8>,
    meta: serde_json::Value,
    member_of: Option<MemberOf>,
) -> Unit {
    let size = bytes.len() as u64;
    let mut prov = c.member(loc, name, Kind::Member);
    prov.length = Some(size);
    prov.folder = folder;
    prov.meta = Some(meta);
    c.unit(
        prov,
        Format::Message,
        Payload::Memory(bytes),
        size,
        member_of,
    )
}

/// Opens a PST/OST store: the container item (with the store's per-folder counts), then one
/// member per message node.
impl ContainerKind for Pst {
    fn read(
        &self,
        ctx: &Ctx,
        c: &Container,
        input: Input<'_>,
        m: &mut dyn Members,
    ) -> Result<ArchiveSummary, ReadError> {
        let payload = match input {
            Input::Payload(p) => p,
            Input::Stream(r) => match buffer(ctx, r, Some(c.size)) {
                Ok(p) => p,
                Err(e) => {
                    return Err(ReadError::Decided(Outcome::Failed {
                        reason: format!("reading failed: {e}"),
                    }));
                }
            },
        };
        let opened = payload.reader().map_err(OutlookError::Io).and_then(|r| {
            let r = std::io::BufReader::with_capacity(64 << 10, r);
            let mut pst = PstFile::open(r, limits(ctx))?;
            let cat = pst.catalog()?;
            Ok((pst, cat))
        });
        let (mut pst, cat) = match opened {
            Ok(x) => x,
            Err(e) => {
                return Err(ReadError::Decided(Outcome::Failed {
                    reason: format!("Outlook store unreadable: {e}"),
                }));
            }
        };
        if let Some(item) = m.item() {
            annotate_store(item, &pst, &cat);
        }
        m.open()?;

        // Every DN → SMTP pair first, so that a message converts the same whatever the order.
        let book = pst.address_book(&cat);
        let mut read: HashMap<Option<usize>, u64> = HashMap::new();
        let mut with_problems = 0u64;
        let mut recovered_by_scan = 0u64;
        let mut failed: HashMap<Option<usize>, u64> = HashMap::new();
        for mref in &cat.messages {
            let folder = mref.folder.map(|f| cat.folders[f].path.clone());
            let path = folder.clone().unwrap_or_else(|| "(orphans)".into());
            let loc = locator::member(c.locator(), &format!("{path}/{}", mref.nid));
            let Some(slot) = m.slot(&loc, None) else {
                *read.entry(mref.folder).or_default() += 1;
                continue;
            };
            let member_of = Some(slot);
            let before = pst.scan_lookups();
            let offset = pst.message_offset(mref);
            let read_msg = pst.read_message(mref);
            // Found, or read, through a scan of the file: the store's B-trees are damaged there.
            let by_scan = mref.by_scan || pst.scan_lookups() != before;
            match read_msg {
                Ok(it) => {
                    *read.entry(mref.folder).or_default() += 1;
                    if has_problems(&it) {
                        with_problems += 1;
                    }
                    let mut extra = vec![
                        ("nid", mref.nid.into()),
                        ("folder", path.clone().into()),
                        ("listed_in_folder", mref.listed.into()),
                        ("orphan", mref.folder.is_none().into()),
                        ("node_offset", offset.into()),
                    ];
                    if by_scan {
                        recovered_by_scan += 1;
                        extra.push(("recovered_by_scan", true.into()));
                        extra.push(("damage", SCAN_NOTE.into()));
                    }
                    let meta = outlook_meta(&it, &extra);
                    let bytes = to_rfc822(&it, &book, &Options::default());
                    let name = it.subject().unwrap_or("(no subject)").to_owned();
                    let mut unit = item_unit(c, loc, name, folder, bytes, meta, member_of);
                    unit.prov.flags = maildir_flags(&it);
                    m.leaf(unit)?;
                }
                Err(e) => {
                    *failed.entry(mref.folder).or_default() += 1;
                    let scan = if by_scan {
                        " (found by scanning the file)"
                    } else {
                        ""
                    };
                    let mut prov =
                        c.member(loc, format!("message node {}", mref.nid), Kind::Member);
                    prov.folder = folder;
                    prov.offset = offset;
                    let outcome = Outcome::Failed {
                        reason: format!("Outlook message unreadable{scan}: {e}"),
                    };
                    m.record(NewItem::new(prov, "eml", 0, outcome), member_of)?;
                }
            }
        }
        let mut lines = reconcile(
            &cat,
            |f| read.get(&f).copied().unwrap_or(0),
            |f| failed.get(&f).copied().unwrap_or(0),
        );
        if with_problems > 0 {
            lines.push(format!("{with_problems} messages read in part (an attachment, recipient or embedded item unreadable; see each message's metadata)"));
        }
        if let Some(r) = pst.repairs() {
            lines.push(r.to_string());
            lines.push(format!(
                "{recovered_by_scan} messages recovered by scan (metadata recovered_by_scan)"
            ));
        }
        Ok(ArchiveSummary {
            members: m.count(),
            damage: (!lines.is_empty()).then(|| lines.join("; ")),
        })
    }
}

/// The store's own counts, per folder, in the store item's metadata; an OST is named so.
fn annotate_store<R: Read + Seek>(
    item: &mut NewItem,
    pst: &PstFile<R>,
    cat: &trove_outlook::pst::StoreCatalog,
) {
    let folders: Vec<serde_json::Value> = cat
        .folders
        .iter()
        .map(|f| {
            serde_json::json!({
                "path": f.path, "nid": f.nid, "search": f.search, "class": f.container_class,
                "store_count": f.content_count, "contents_table": f.table_rows, "message_nodes": f.nodes,
                "listed_missing": f.listed_missing, "associated_items": f.associated,
            })
        })
        .collect();
    let mut m = match item.prov.meta.take() {
        Some(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    m.insert(
        "outlook_store".into(),
        serde_json::json!({
            "kind": pst.info.kind, "variant": pst.info.variant, "display_name": pst.info.display_name,
            "password_protected": pst.info.password_protected, "nodes": cat.nodes, "messages": cat.messages.len(),
            "orphans": cat.messages.iter().filter(|m| m.folder.is_none()).count(),
            "unlisted": cat.messages.iter().filter(|m| m.folder.is_some() && !m.listed).count(),
            "folders": folders,
        }),
    );
    item.prov.meta = Some(serde_json::Value::Object(m));
    if pst.info.kind == "OST" {
        item.format = "ost".into();
    }
}

/// The damage note of a message found or read through a scan of its store.
const SCAN_NOTE: &str = "recovered by scanning the store file: its node or block B-tree could not be read on the way to this message; folder and properties are as the scan found them";

/// MAPI state as Maildir flag letters, so that `flag:` searches treat Outlook mail like any
/// other: D draft (unsent), F flagged for follow-up, P forwarded, R replied, S read.
pub fn maildir_flags(it: &Item) -> Option<String> {
    let p = &it.props;
    let mf = p.int(0x0E07).unwrap_or(0);
    let verb = p.int(0x1081);
    let mut f = String::new();
    if mf & 0x8 != 0 {
        f.push('D');
    }
    if p.int(0x1090) == Some(2) {
        f.push('F');
    }
    if matches!(verb, Some(104)) {
        f.push('P');
    }
    if matches!(verb, Some(102 | 103)) {
        f.push('R');
    }
    if mf & 0x1 != 0 {
        f.push('S');
    }
    (!f.is_empty()).then_some(f)
}

/// An item, or an embedded item at any depth, with something that could not be read.
fn has_problems(it: &Item) -> bool {
    !it.problems.is_empty()
        || it.attachments.iter().any(|a| match &a.content {
            AttachContent::Missing(_) => true,
            AttachContent::Message(m) => has_problems(m),
            AttachContent::Bytes(_) => false,
        })
}

/// Opens a `.msg` file: one member, its message rebuilt as RFC 5322.
impl ContainerKind for Msg {
    fn read(
        &self,
        ctx: &Ctx,
        c: &Container,
        input: Input<'_>,
        m: &mut dyn Members,
    ) -> Result<ArchiveSummary, ReadError> {
        // An OLE file with message properties: the container is a `msg`, even if unreadable.
        if let Some(item) = m.item() {
            item.format = "msg".into();
        }
        let bytes = read_all(ctx, input)?;
        let item = trove_outlook::msg::read_msg(std::io::Cursor::new(&bytes[..]), &limits(ctx))
            .map_err(archive_err)?;
        drop(bytes);
        let loc = locator::member(c.locator(), "message");
        if let Some(slot) = m.slot(&loc, None) {
            let rfc = to_rfc822(&item, &AddressBook::default(), &Options::default());
            let name = item.subject().unwrap_or("(no subject)").to_owned();
            let meta = outlook_meta(&item, &[]);
            m.leaf(item_unit(c, loc, name, None, rfc, meta, Some(slot)))?;
        }
        Ok(ArchiveSummary {
            members: m.count(),
            damage: (!item.problems.is_empty()).then(|| item.problems.join("; ")),
        })
    }
}

fn read_all(ctx: &Ctx, input: Input<'_>) -> Result<Vec<u8>, ArchiveError> {
    let max = ctx.limits.max_message_bytes;
    let mut v = Vec::new();
    match input {
        Input::Stream(r) => {
            r.take(max + 1).read_to_end(&mut v)?;
        }
        Input::Payload(p) => {
            let mut r = p.reader()?;
            r.rewind()?;
            r.take(max + 1).read_to_end(&mut v)?;
        }
    }
    if v.len() as u64 > max {
        return Err(ArchiveError::Unreadable {
            format: "outlook",
            reason: format!("over the {max}-byte message limit; not opened"),
        });
    }
    Ok(v)
}

/// Opens a TNEF stream: its attachments and a text item of its body and properties.
impl ContainerKind for Tnef {
    fn read(
        &self,
        ctx: &Ctx,
        c: &Container,
        input: Input<'_>,
        m: &mut dyn Members,
    ) -> Result<ArchiveSummary, ReadError> {
        let bytes = read_all(ctx, input)?;
        let item = trove_outlook::tnef::read_tnef(&bytes, &limits(ctx)).map_err(archive_err)?;
        drop(bytes);
        for (i, att) in item.attachments.iter().enumerate() {
            let name = att
                .name()
                .map(|n| n.replace('/', "_"))
                .unwrap_or_else(|| "unnamed".into());
            let loc = locator::attachment(c.locator(), i as u32 + 1, Some(&name));
            let Some(slot) = m.slot(&loc, None) else {
                continue;
            };
            let member_of = Some(slot);
            match &att.content {
                AttachContent::Bytes(data) => {
                    let prov = c.member(loc, name.clone(), Kind::Member);
                    let spec = c.spec(prov, name, data.len() as u64, None, member_of);
                    m.stream(spec, &mut &data[..])?;
                }
                AttachContent::Message(msg) => {
                    let rfc = to_rfc822(msg, &AddressBook::default(), &Options::default());
                    let meta = outlook_meta(msg, &[]);
                    m.leaf(item_unit(c, loc, name, None, rfc, meta, member_of))?;
                }
                AttachContent::Missing(why) => {
                    let prov = c.member(loc, name, Kind::Member);
                    let outcome = Outcome::Skipped {
                        reason: format!("TNEF attachment without data: {why}"),
                    };
                    m.record(NewItem::new(prov, "unknown", 0, outcome), member_of)?;
                }
            }
        }
        // The body and properties, as text: RTF de-encapsulated, or the item's rendition.
        let (text, html) = trove_outlook::mime::bodies(&item);
        let mut body = String::new();
        if let Some(s) = item.subject() {
            body.push_str(&format!("Subject: {s}\r\n"));
        }
        if item.kind() != ItemKind::Mail || text.is_none() {
            body.push_str(&text_rendition(&item));
        }
        if let Some(t) = &text {
            body.push_str("\r\n");
            body.push_str(t);
        }
        let outputs = [
            ("body.txt", Format::Text, Some(body)),
            ("body.html", Format::Html, html),
        ];
        for (name, format, content) in outputs {
            let Some(content) = content.filter(|s| !s.trim().is_empty()) else {
                continue;
            };
            let loc = locator::member(c.locator(), name);
            let Some(slot) = m.slot(&loc, None) else {
                continue;
            };
            let meta = outlook_meta(&item, &[]);
            let bytes = content.into_bytes();
            let mut u = item_unit(c, loc, name.to_owned(), None, bytes, meta, Some(slot));
            u.format = format;
            // Not a message: the kind of the TNEF item is in the metadata, the format is text.
            if let Some(serde_json::Value::Object(all)) = u.prov.meta.as_mut()
                && let Some(serde_json::Value::Object(o)) = all.get_mut("outlook")
            {
                o.insert("kind".into(), "eml".into());
                o.insert("tnef_kind".into(), item.kind().format().into());
            }
            m.leaf(u)?;
        }
        Ok(ArchiveSummary {
            members: m.count(),
            damage: (!item.problems.is_empty()).then(|| item.problems.join("; ")),
        })
    }
}
