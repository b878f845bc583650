//! Outlook containers: PST/OST stores, `.msg` files and TNEF streams, opened through the same
//! [`Sink`] as every archive, so that resume and accounting work unchanged.
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
use trove_store::model::{ItemKind as Kind, NewItem, Outcome, Parent};

use crate::expand::{
    Container, Ctx, Input, MemberSpec, Seen, Sink, Stop, base_item, buffer, stream_member,
};
use crate::unit::{MemberOf, Payload, Unit, locator};

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

fn stopped() -> ArchiveError {
    ArchiveError::Io(std::io::Error::other("ingest stopped"))
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
    Unit {
        locator: loc,
        parent: Parent::Locator(c.locator.clone()),
        name,
        kind: Kind::Member,
        format: Format::Message,
        payload: Payload::Memory(bytes),
        size,
        offset: None,
        length: Some(size),
        folder,
        flags: None,
        meta: Some(meta),
        mtime: None,
        envelope: None,
        container_date: None,
        depth: c.depth + 1,
        budget: c.budget.clone(),
        note: None,
        member_of,
    }
}

/// Opens a PST/OST store: the container item (with the store's per-folder counts), then one
/// member per message node.
pub fn expand_pst(
    ctx: &Ctx,
    sink: &mut dyn Sink,
    c: &Container,
    mut item: NewItem,
    input: Input<'_>,
) -> Result<(), Stop> {
    let payload = match input {
        Input::Payload(p) => p,
        Input::Stream(r) => match buffer(ctx, r, Some(c.size)) {
            Ok(p) => p,
            Err(e) => {
                sink.open(item)?;
                return sink.close(
                    &c.locator,
                    0,
                    Outcome::Failed {
                        reason: format!("reading failed: {e}"),
                    },
                    c.member_of.clone(),
                );
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
            sink.open(item)?;
            let outcome = Outcome::Failed {
                reason: format!("Outlook store unreadable: {e}"),
            };
            return sink.close(&c.locator, 0, outcome, c.member_of.clone());
        }
    };
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
    let mut m = match item.meta.take() {
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
    item.meta = Some(serde_json::Value::Object(m));
    if pst.info.kind == "OST" {
        item.format = "ost".into();
    }
    sink.open(item)?;

    let mut members = 0u64;
    // Every DN → SMTP pair first, so that a message converts the same whatever the order.
    let book = pst.address_book(&cat);
    let mut read: HashMap<Option<usize>, u64> = HashMap::new();
    let mut with_problems = 0u64;
    let mut recovered_by_scan = 0u64;
    let mut failed: HashMap<Option<usize>, u64> = HashMap::new();
    for mref in &cat.messages {
        let folder = mref.folder.map(|f| cat.folders[f].path.clone());
        let path = folder.clone().unwrap_or_else(|| "(orphans)".into());
        let loc = locator::member(&c.locator, &format!("{path}/{}", mref.nid));
        if sink.seen(&loc) == Seen::Done {
            *read.entry(mref.folder).or_default() += 1;
            continue;
        }
        let member_of = Some(MemberOf {
            container: c.locator.clone(),
            seq: members,
            resume_to: None,
        });
        members += 1;
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
                unit.flags = maildir_flags(&it);
                sink.leaf(unit)?;
            }
            Err(e) => {
                *failed.entry(mref.folder).or_default() += 1;
                let scan = if by_scan {
                    " (found by scanning the file)"
                } else {
                    ""
                };
                let mut it = base_item(
                    loc,
                    Parent::Locator(c.locator.clone()),
                    format!("message node {}", mref.nid),
                    Kind::Member,
                    "eml",
                    0,
                    Outcome::Failed {
                        reason: format!("Outlook message unreadable{scan}: {e}"),
                    },
                );
                it.folder = folder;
                it.offset = offset;
                sink.record(it, member_of)?;
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
    let damage = (!lines.is_empty()).then(|| lines.join("; "));
    sink.close(
        &c.locator,
        members,
        Outcome::Container { damage },
        c.member_of.clone(),
    )
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
pub fn expand_msg(
    ctx: &Ctx,
    sink: &mut dyn Sink,
    c: &Container,
    input: Input<'_>,
    members: &mut u64,
) -> Result<ArchiveSummary, ArchiveError> {
    let bytes = read_all(ctx, input)?;
    let item = trove_outlook::msg::read_msg(std::io::Cursor::new(&bytes[..]), &limits(ctx))
        .map_err(archive_err)?;
    drop(bytes);
    let loc = locator::member(&c.locator, "message");
    if sink.seen(&loc) != Seen::Done {
        let member_of = Some(MemberOf {
            container: c.locator.clone(),
            seq: *members,
            resume_to: None,
        });
        *members += 1;
        let rfc = to_rfc822(&item, &AddressBook::default(), &Options::default());
        let name = item.subject().unwrap_or("(no subject)").to_owned();
        sink.leaf(item_unit(
            c,
            loc,
            name,
            None,
            rfc,
            outlook_meta(&item, &[]),
            member_of,
        ))
        .map_err(|_| stopped())?;
    }
    Ok(ArchiveSummary {
        members: *members,
        damage: (!item.problems.is_empty()).then(|| item.problems.join("; ")),
    })
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
pub fn expand_tnef(
    ctx: &Ctx,
    sink: &mut dyn Sink,
    c: &Container,
    input: Input<'_>,
    members: &mut u64,
) -> Result<ArchiveSummary, ArchiveError> {
    let bytes = read_all(ctx, input)?;
    let item = trove_outlook::tnef::read_tnef(&bytes, &limits(ctx)).map_err(archive_err)?;
    drop(bytes);
    let parent = Parent::Locator(c.locator.clone());
    for (i, att) in item.attachments.iter().enumerate() {
        let name = att
            .name()
            .map(|n| n.replace('/', "_"))
            .unwrap_or_else(|| "unnamed".into());
        let loc = locator::attachment(&c.locator, i as u32 + 1, Some(&name));
        if sink.seen(&loc) == Seen::Done {
            continue;
        }
        let member_of = Some(MemberOf {
            container: c.locator.clone(),
            seq: *members,
            resume_to: None,
        });
        *members += 1;
        let r = match &att.content {
            AttachContent::Bytes(data) => {
                let spec = MemberSpec {
                    locator: loc,
                    parent: parent.clone(),
                    name: name.clone(),
                    kind: Kind::Member,
                    rel: name,
                    folder: None,
                    flags: None,
                    size: data.len() as u64,
                    offset: None,
                    meta: None,
                    date: None,
                    depth: c.depth + 1,
                    budget: c.budget.clone(),
                    member_of,
                };
                stream_member(ctx, sink, spec, &mut &data[..])
            }
            AttachContent::Message(m) => {
                let rfc = to_rfc822(m, &AddressBook::default(), &Options::default());
                sink.leaf(item_unit(
                    c,
                    loc,
                    name,
                    None,
                    rfc,
                    outlook_meta(m, &[]),
                    member_of,
                ))
            }
            AttachContent::Missing(why) => {
                let it = base_item(
                    loc,
                    parent.clone(),
                    name,
                    Kind::Member,
                    "unknown",
                    0,
                    Outcome::Skipped {
                        reason: format!("TNEF attachment without data: {why}"),
                    },
                );
                sink.record(it, member_of)
            }
        };
        r.map_err(|_| stopped())?;
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
        let loc = locator::member(&c.locator, name);
        if sink.seen(&loc) == Seen::Done {
            continue;
        }
        let member_of = Some(MemberOf {
            container: c.locator.clone(),
            seq: *members,
            resume_to: None,
        });
        *members += 1;
        let mut u = item_unit(
            c,
            loc,
            name.to_owned(),
            None,
            content.into_bytes(),
            outlook_meta(&item, &[]),
            member_of,
        );
        u.format = format;
        // Not a message: the kind of the TNEF item is in the metadata, the format is text.
        if let Some(serde_json::Value::Object(m)) = u.meta.as_mut()
            && let Some(serde_json::Value::Object(o)) = m.get_mut("outlook")
        {
            o.insert("kind".into(), "eml".into());
            o.insert("tnef_kind".into(), item.kind().format().into());
        }
        sink.leaf(u).map_err(|_| stopped())?;
    }
    Ok(ArchiveSummary {
        members: *members,
        damage: (!item.problems.is_empty()).then(|| item.problems.join("; ")),
    })
}
