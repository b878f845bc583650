//! PST and OST stores (MS-PST): folders, messages, and a reconciliation of what was read
//! against the store's own counts.
//!
//! Messages are found by walking the whole node B-tree, not only the folders' contents
//! tables, so that messages a contents table no longer lists (deleted ones the store still
//! holds) and messages whose folder is gone (orphans) are recovered too; each is marked so.
//! Per folder, three counts are compared: the folder's PidTagContentCount, the rows of its
//! contents table, and the message nodes whose parent it is.
//!
//! When a B-tree cannot be read (a file cut before its root pages, an overwritten page), the
//! file is scanned for pages and blocks ([`scan`]) and the scan's maps stand in where the
//! tree failed; what was found that way is marked `by_scan`, and [`PstFile::repairs`] says what
//! the scan did.

pub mod ltp;
pub mod ndb;
pub mod scan;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Seek};
use std::ops::ControlFlow;

use ltp::{Heap, NodeCtx, table_row_ids};
use ndb::{Ndb, NodeEntry, Sub, Variant};

use crate::item::{AttachContent, Attachment, Item};
use crate::props::{Le, NameKind, PropBag, PropKey, PropValue, guid, tag};
use crate::{Limits, OutlookError, Result};

const NID_MESSAGE_STORE: u32 = 0x21;
const NID_NAME_TO_ID_MAP: u32 = 0x61;
const NID_ROOT_FOLDER: u32 = 0x122;
const NID_RECIPIENT_TABLE: u32 = 0x692;
const NID_ATTACHMENT_TABLE: u32 = 0x671;

const TYPE_NORMAL_FOLDER: u32 = 0x02;
const TYPE_SEARCH_FOLDER: u32 = 0x03;
const TYPE_NORMAL_MESSAGE: u32 = 0x04;
const TYPE_ASSOC_MESSAGE: u32 = 0x08;
const TYPE_CONTENTS_TABLE: u32 = 0x0E;

/// A folder of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub nid: u32,
    pub parent: u32,
    pub name: String,
    /// Names from the root folder down, joined with `/` (a `/` inside a name becomes `_`).
    pub path: String,
    pub search: bool,
    pub container_class: Option<String>,
    /// PidTagContentCount: what the store says the folder holds.
    pub content_count: Option<u64>,
    /// Rows of the folder's contents table (None when it could not be read).
    pub table_rows: Option<u64>,
    /// Message nodes whose parent is this folder.
    pub nodes: u64,
    /// Contents-table rows with no message node behind them (lost messages).
    pub listed_missing: u64,
    /// Hidden (folder-associated) items: views, rules, forms. Counted, not read.
    pub associated: u64,
}

/// A message node to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageRef {
    pub nid: u32,
    /// Index into [`StoreCatalog::folders`], None for an orphan (its folder is gone).
    pub folder: Option<usize>,
    /// Listed in its folder's contents table (false: deleted but still in the store).
    pub listed: bool,
    /// Found by scanning the file: the node B-tree could not be read where it would be.
    pub by_scan: bool,
    data: u64,
    sub: u64,
}

/// What the store holds, before any message is read.
#[derive(Debug, Clone, Default)]
pub struct StoreCatalog {
    pub folders: Vec<Folder>,
    /// In folder-path order, then nid order.
    pub messages: Vec<MessageRef>,
    /// Nodes of the node B-tree.
    pub nodes: u64,
    /// Node B-tree pages that could not be read (their nodes were looked for by a scan).
    pub bad_pages: u64,
    /// Nodes found by scanning the file, for what the node B-tree could not give.
    pub by_scan: u64,
    /// Problems met while cataloguing (folders that could not be read…).
    pub problems: Vec<String>,
}

/// Facts about the store file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StoreInfo {
    /// "PST" or "OST".
    pub kind: &'static str,
    /// ANSI, Unicode or Unicode 4K.
    pub variant: &'static str,
    pub display_name: Option<String>,
    /// The store has a password (PidTagPstPassword). It protects nothing on disk: the data is
    /// read as usual.
    pub password_protected: bool,
}

/// A PST or OST file.
pub struct PstFile<R> {
    ndb: Ndb<R>,
    names: HashMap<u16, PropKey>,
    pub info: StoreInfo,
    /// Attachment bytes read for the item being read.
    item_bytes: u64,
}

impl<R: Read + Seek> PstFile<R> {
    pub fn open(r: R, limits: Limits) -> Result<Self> {
        let ndb = Ndb::open(r, limits)?;
        let info = StoreInfo {
            kind: if ndb.is_ost { "OST" } else { "PST" },
            variant: ndb.variant.name(),
            ..Default::default()
        };
        let mut f = PstFile {
            ndb,
            names: HashMap::new(),
            info,
            item_bytes: 0,
        };
        match f.load_names() {
            Ok(n) => f.names = n,
            Err(e) => {
                tracing::warn!(error = %e, "named-property map unreadable; named properties keep their ids")
            }
        }
        let store = f.node_props(NID_MESSAGE_STORE)?;
        f.info.display_name = store.str(tag::DISPLAY_NAME).map(str::to_owned);
        // PidTagPstPassword means a password only in a PST (OSTs use the id otherwise).
        f.info.password_protected =
            !f.ndb.is_ost && store.int(tag::PST_PASSWORD).is_some_and(|p| p != 0);
        Ok(f)
    }

    pub fn variant(&self) -> Variant {
        self.ndb.variant
    }

    /// The properties of a top-level node (store, folder).
    fn node_props(&mut self, nid: u32) -> Result<PropBag> {
        let node = self.ndb.node(nid)?.ok_or_else(|| {
            let why = if self.ndb.repairs().is_some() {
                " (the node B-tree is damaged, and a scan of the file did not find it)"
            } else {
                ""
            };
            OutlookError::corrupt("store", format!("node {nid:#x} missing{why}"))
        })?;
        let subs = self.ndb.subnodes(node.sub)?;
        let heap = Heap::new(self.ndb.node_blocks(node.data)?, self.ndb.variant)?;
        let mut ctx = NodeCtx {
            ndb: &mut self.ndb,
            subs: &subs,
        };
        let (bag, _) = ctx.pc(&heap)?;
        Ok(self.resolve(bag))
    }

    fn load_names(&mut self) -> Result<HashMap<u16, PropKey>> {
        let bag = self.node_props(NID_NAME_TO_ID_MAP)?;
        let guids = bag.bin(0x0002).unwrap_or_default().to_vec();
        let entries = bag.bin(0x0003).unwrap_or_default().to_vec();
        let strings = bag.bin(0x0004).unwrap_or_default().to_vec();
        Ok(parse_name_map(&guids, &entries, &strings))
    }

    /// Named properties by name; unknown named ids stay ids.
    fn resolve(&self, mut bag: PropBag) -> PropBag {
        if self.names.is_empty() {
            return bag;
        }
        let named: Vec<PropKey> = bag
            .props
            .keys()
            .filter(|k| matches!(k, PropKey::Id(id) if *id >= 0x8000))
            .cloned()
            .collect();
        for k in named {
            if let PropKey::Id(id) = k
                && let Some(name) = self.names.get(&id)
                && let Some(v) = bag.props.remove(&k)
            {
                bag.props.insert(name.clone(), v);
            }
        }
        bag
    }

    /// Walks the node B-tree and reads every folder: what the store holds.
    pub fn catalog(&mut self) -> Result<StoreCatalog> {
        let mut folder_nodes: Vec<NodeEntry> = Vec::new();
        let mut messages: Vec<NodeEntry> = Vec::new();
        let mut assoc: HashMap<u32, u64> = HashMap::new();
        // A damaged tree may list a node twice (a page reached twice, a scan beside the walk).
        let mut met: HashSet<u32> = HashSet::new();
        let stats = self.ndb.walk_nodes(&mut |n| {
            if !met.insert(n.nid) {
                return;
            }
            match n.nid & 0x1F {
                TYPE_NORMAL_FOLDER | TYPE_SEARCH_FOLDER => folder_nodes.push(n),
                TYPE_NORMAL_MESSAGE => messages.push(n),
                TYPE_ASSOC_MESSAGE => *assoc.entry(n.parent).or_default() += 1,
                _ => {}
            }
        })?;
        drop(met);
        let mut cat = StoreCatalog {
            nodes: stats.nodes,
            bad_pages: stats.bad_pages,
            by_scan: stats.by_scan,
            ..Default::default()
        };
        if stats.bad_pages > 0 {
            cat.problems.push(format!(
                "{} node B-tree pages unreadable: {} nodes in their key ranges found by scanning the file ({} messages, marked recovered by scan); nodes not found are lost",
                stats.bad_pages,
                stats.by_scan,
                messages.iter().filter(|m| m.by_scan).count()
            ));
        }
        let mut by_nid: HashMap<u32, usize> = HashMap::new();
        for n in &folder_nodes {
            let search = n.nid & 0x1F == TYPE_SEARCH_FOLDER;
            let mut f = Folder {
                nid: n.nid,
                parent: n.parent,
                name: String::new(),
                path: String::new(),
                search,
                container_class: None,
                content_count: None,
                table_rows: None,
                nodes: 0,
                listed_missing: 0,
                associated: assoc.get(&n.nid).copied().unwrap_or(0),
            };
            match self.node_props(n.nid) {
                Ok(p) => {
                    f.name = p.str(tag::DISPLAY_NAME).unwrap_or_default().to_owned();
                    f.container_class = p.str(tag::CONTAINER_CLASS).map(str::to_owned);
                    f.content_count = p
                        .int(tag::CONTENT_COUNT)
                        .and_then(|c| u64::try_from(c).ok());
                }
                Err(e) => cat
                    .problems
                    .push(format!("folder {:#x}: properties unreadable: {e}", n.nid)),
            }
            by_nid.insert(n.nid, cat.folders.len());
            cat.folders.push(f);
        }
        // Paths, from the root down; bounded against loops.
        for i in 0..cat.folders.len() {
            let mut names = Vec::new();
            let mut cur = i;
            let mut guard = HashSet::new();
            loop {
                let f = &cat.folders[cur];
                if !guard.insert(cur) || guard.len() > 64 {
                    break;
                }
                names.push(f.name.replace('/', "_"));
                if f.parent == f.nid || f.nid == NID_ROOT_FOLDER {
                    break;
                }
                match by_nid.get(&f.parent) {
                    Some(&p) => cur = p,
                    None => {
                        names.push(format!("(folder {:#x}, missing)", f.parent));
                        break;
                    }
                }
            }
            names.reverse();
            let path: Vec<String> = names.into_iter().filter(|n| !n.is_empty()).collect();
            cat.folders[i].path = path.join("/");
        }
        // Contents tables: what each folder lists.
        let mut listed: HashMap<usize, HashSet<u32>> = HashMap::new();
        for i in 0..cat.folders.len() {
            if cat.folders[i].search {
                continue;
            }
            let table_nid = (cat.folders[i].nid & !0x1F) | TYPE_CONTENTS_TABLE;
            match self.row_ids(table_nid) {
                Ok(ids) => {
                    cat.folders[i].table_rows = Some(ids.len() as u64);
                    listed.insert(i, ids.into_iter().collect());
                }
                Err(e) => cat.problems.push(format!(
                    "folder {}: contents table unreadable: {e}",
                    cat.folders[i].path
                )),
            }
        }
        let mut refs: Vec<MessageRef> = messages
            .iter()
            .map(|m| {
                let folder = by_nid.get(&m.parent).copied();
                let listed = folder
                    .and_then(|f| listed.get(&f))
                    .is_some_and(|s| s.contains(&m.nid));
                MessageRef {
                    nid: m.nid,
                    folder,
                    listed,
                    by_scan: m.by_scan,
                    data: m.data,
                    sub: m.sub,
                }
            })
            .collect();
        for r in &refs {
            if let Some(f) = r.folder {
                cat.folders[f].nodes += 1;
            }
        }
        let present: HashSet<u32> = messages.iter().map(|m| m.nid).collect();
        for (f, ids) in &listed {
            cat.folders[*f].listed_missing =
                ids.iter().filter(|id| !present.contains(id)).count() as u64;
        }
        let order: Vec<String> = cat.folders.iter().map(|f| f.path.clone()).collect();
        refs.sort_by(|a, b| {
            let pa = a.folder.map(|f| order[f].as_str());
            let pb = b.folder.map(|f| order[f].as_str());
            (pa.is_none(), pa, a.nid).cmp(&(pb.is_none(), pb, b.nid))
        });
        cat.messages = refs;
        Ok(cat)
    }

    fn row_ids(&mut self, nid: u32) -> Result<Vec<u32>> {
        let node = self.ndb.node(nid)?.ok_or_else(|| {
            OutlookError::corrupt("folder", format!("table node {nid:#x} missing"))
        })?;
        let heap = Heap::new(self.ndb.node_blocks(node.data)?, self.ndb.variant)?;
        table_row_ids(&heap, self.ndb.limits.max_nodes)
    }

    /// What a scan of the file stood in for, when the B-trees could not be read (a line for
    /// the store's damage note); None while they served every lookup. Ask after reading:
    /// block lookups may need the scan late.
    pub fn repairs(&self) -> Option<ndb::Repairs> {
        self.ndb.repairs()
    }

    /// Node and block lookups a scan of the file has answered so far: compared before and
    /// after reading a message, whether the message needed it.
    pub fn scan_lookups(&self) -> u64 {
        self.ndb
            .repairs()
            .map_or(0, |r| r.nodes_used + r.blocks_used)
    }

    /// Byte offset in the file of a message's first data block (its property heap, or the
    /// XBLOCK listing it): where an examiner finds the message in the store.
    pub fn message_offset(&mut self, m: &MessageRef) -> Option<u64> {
        self.ndb.block_offset(m.data).ok()
    }

    /// A message's own properties only (no recipients, attachments or values kept in
    /// subnodes): a cheap read, for a first pass over the store.
    pub fn message_props(&mut self, m: &MessageRef) -> Result<PropBag> {
        let heap = Heap::new(self.ndb.node_blocks(m.data)?, self.ndb.variant)?;
        let none = BTreeMap::new();
        let (bag, _) = NodeCtx {
            ndb: &mut self.ndb,
            subs: &none,
        }
        .pc(&heap)?;
        Ok(bag)
    }

    /// An address book of every Exchange DN → SMTP pair the store's messages show in their own
    /// properties, built before any message is converted.
    pub fn address_book(&mut self, cat: &StoreCatalog) -> crate::mime::AddressBook {
        let mut book = crate::mime::AddressBook::default();
        for m in &cat.messages {
            if let Ok(p) = self.message_props(m) {
                book.learn_props(&p);
            }
        }
        book
    }

    /// Reads one message with its recipients, attachments and embedded messages.
    pub fn read_message(&mut self, m: &MessageRef) -> Result<Item> {
        self.item_bytes = 0;
        self.read_object(m.data, m.sub, 0)
    }

    fn read_object(&mut self, data: u64, sub: u64, depth: u32) -> Result<Item> {
        let subs = self.ndb.subnodes(sub)?;
        let heap = Heap::new(self.ndb.node_blocks(data)?, self.ndb.variant)?;
        let (props, _) = NodeCtx {
            ndb: &mut self.ndb,
            subs: &subs,
        }
        .pc(&heap)?;
        let mut item = Item {
            props: self.resolve(props),
            ..Default::default()
        };
        if let Some(s) = subs.get(&NID_RECIPIENT_TABLE) {
            match self.table(*s) {
                Ok(rows) => {
                    item.recipients = rows.into_iter().map(|(_, b)| self.resolve(b)).collect()
                }
                Err(e) => item
                    .problems
                    .push(format!("recipient table unreadable: {e}")),
            }
        }
        if let Some(s) = subs.get(&NID_ATTACHMENT_TABLE) {
            match self.table(*s) {
                Ok(rows) => {
                    for (row_id, row) in rows.into_iter().take(self.ndb.limits.max_rows) {
                        let att = match subs.get(&row_id) {
                            Some(a) => self.read_attachment(*a, depth).unwrap_or_else(|e| {
                                item.problems
                                    .push(format!("attachment {row_id:#x} unreadable: {e}"));
                                Attachment {
                                    props: self.resolve(row.clone()),
                                    content: AttachContent::Missing(format!("unreadable: {e}")),
                                }
                            }),
                            None => {
                                item.problems.push(format!(
                                    "attachment {row_id:#x} listed but its node is missing"
                                ));
                                Attachment {
                                    props: self.resolve(row),
                                    content: AttachContent::Missing(
                                        "node missing from the store".into(),
                                    ),
                                }
                            }
                        };
                        item.attachments.push(att);
                    }
                }
                Err(e) => item
                    .problems
                    .push(format!("attachment table unreadable: {e}")),
            }
        }
        Ok(item)
    }

    fn table(&mut self, s: Sub) -> Result<Vec<(u32, PropBag)>> {
        let subs = self.ndb.subnodes(s.sub)?;
        let heap = Heap::new(self.ndb.node_blocks(s.data)?, self.ndb.variant)?;
        NodeCtx {
            ndb: &mut self.ndb,
            subs: &subs,
        }
        .tc(&heap)
    }

    fn read_attachment(&mut self, s: Sub, depth: u32) -> Result<Attachment> {
        let subs = self.ndb.subnodes(s.sub)?;
        let heap = Heap::new(self.ndb.node_blocks(s.data)?, self.ndb.variant)?;
        let (props, objects) = NodeCtx {
            ndb: &mut self.ndb,
            subs: &subs,
        }
        .pc(&heap)?;
        let props = self.resolve(props);
        let method = props.int(tag::ATTACH_METHOD).unwrap_or(1);
        let content = match props.get(tag::ATTACH_DATA) {
            Some(PropValue::Bin(b)) => AttachContent::Bytes(b.clone()),
            Some(PropValue::Object) => {
                let nid = objects.get(&tag::ATTACH_DATA).copied().unwrap_or(0);
                match subs.get(&nid) {
                    None => AttachContent::Missing(format!("object subnode {nid:#x} missing")),
                    Some(o) if method == 5 => {
                        if depth + 1 > self.ndb.limits.max_depth {
                            AttachContent::Missing(format!(
                                "embedded message not read: nesting depth limit of {} reached",
                                self.ndb.limits.max_depth
                            ))
                        } else {
                            match self.read_object(o.data, o.sub, depth + 1) {
                                Ok(m) => AttachContent::Message(Box::new(m)),
                                Err(e) => AttachContent::Missing(format!(
                                    "embedded message unreadable: {e}"
                                )),
                            }
                        }
                    }
                    Some(o) => match self.ndb.node_bytes(o.data) {
                        Ok(b) => AttachContent::Bytes(b),
                        Err(e) => AttachContent::Missing(format!("object data unreadable: {e}")),
                    },
                }
            }
            Some(PropValue::Other(_, e)) => {
                AttachContent::Missing(format!("data unreadable: {}", String::from_utf8_lossy(e)))
            }
            _ if method == 2 || method == 3 || method == 4 => {
                AttachContent::Missing("attached by reference to a file outside the store".into())
            }
            _ => AttachContent::Missing("no data".into()),
        };
        let content = match content {
            AttachContent::Bytes(b) => {
                self.item_bytes += b.len() as u64;
                if self.item_bytes > self.ndb.limits.max_item_bytes {
                    AttachContent::Missing(format!(
                        "not read: the item's attachments pass {} bytes ({} bytes here)",
                        self.ndb.limits.max_item_bytes,
                        b.len()
                    ))
                } else {
                    AttachContent::Bytes(b)
                }
            }
            other => other,
        };
        let mut props = props;
        props.props.remove(&PropKey::Id(tag::ATTACH_DATA));
        Ok(Attachment { props, content })
    }
}

/// One entry met by [`read_store`].
pub struct StoreEntry<'a> {
    pub folder: Option<&'a Folder>,
    pub message: &'a MessageRef,
    pub item: Result<Item>,
    /// Found, or read in part, through a scan of the file: the node or block B-tree could not
    /// be read on the way to it.
    pub by_scan: bool,
    /// The store's DN → SMTP pairs, to convert the item with.
    pub book: &'a crate::mime::AddressBook,
}

/// What [`read_store`] read, per folder: the store's counts beside the reader's.
#[derive(Debug, Clone, Default)]
pub struct StoreSummary {
    pub info: StoreInfo,
    pub catalog: StoreCatalog,
    /// Messages read per folder index; orphans under `None`.
    pub read: BTreeMap<Option<usize>, u64>,
    pub failed: BTreeMap<Option<usize>, u64>,
    /// Exchange DN → SMTP pairs the store's messages show, for converting them.
    pub book: crate::mime::AddressBook,
    /// What a scan of the file stood in for, when the B-trees could not be read.
    pub repairs: Option<ndb::Repairs>,
}

impl StoreSummary {
    /// Lines that say where what was read differs from what the store says it holds.
    pub fn mismatches(&self) -> Vec<String> {
        let mut out = reconcile(
            &self.catalog,
            |f| self.read.get(&f).copied().unwrap_or(0),
            |f| self.failed.get(&f).copied().unwrap_or(0),
        );
        out.extend(self.repairs.as_ref().map(|r| r.to_string()));
        out
    }
}

/// Per-folder reconciliation: a line for each folder where the store's count, its contents
/// table, the message nodes and the messages read do not all agree.
pub fn reconcile(
    cat: &StoreCatalog,
    read: impl Fn(Option<usize>) -> u64,
    failed: impl Fn(Option<usize>) -> u64,
) -> Vec<String> {
    let mut out = cat.problems.clone();
    for (i, f) in cat.folders.iter().enumerate() {
        if f.search {
            continue;
        }
        let r = read(Some(i));
        let fl = failed(Some(i));
        let table = f.table_rows;
        let count = f.content_count;
        let agree = table.is_none_or(|t| t == f.nodes)
            && count.is_none_or(|c| c == f.nodes)
            && r == f.nodes
            && f.listed_missing == 0;
        if !agree {
            let mut s = format!(
                "folder \"{}\": store count {}, contents table {}, message nodes {}, read {r}",
                f.path,
                opt(count),
                opt(table),
                f.nodes
            );
            if fl > 0 {
                s.push_str(&format!(", failed {fl}"));
            }
            if f.listed_missing > 0 {
                s.push_str(&format!(
                    ", {} listed but missing from the store",
                    f.listed_missing
                ));
            }
            let unlisted = cat
                .messages
                .iter()
                .filter(|m| m.folder == Some(i) && !m.listed)
                .count();
            if unlisted > 0 && table.is_some() {
                s.push_str(&format!(
                    ", {unlisted} recovered that the contents table no longer lists"
                ));
            }
            out.push(s);
        }
    }
    let orphans = cat.messages.iter().filter(|m| m.folder.is_none()).count() as u64;
    if orphans > 0 {
        out.push(format!(
            "{orphans} orphan messages (their folder is gone) recovered, read {}",
            read(None)
        ));
    }
    out
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "unknown".to_owned(), |v| v.to_string())
}

/// Reads a whole store, handing every message to `visit` one at a time (memory stays
/// bounded by one message). `visit` may stop the walk.
pub fn read_store<R: Read + Seek>(
    r: R,
    limits: Limits,
    visit: &mut dyn FnMut(StoreEntry<'_>) -> ControlFlow<()>,
) -> Result<StoreSummary> {
    let mut pst = PstFile::open(r, limits)?;
    let catalog = pst.catalog()?;
    let mut summary = StoreSummary {
        info: pst.info.clone(),
        ..Default::default()
    };
    summary.book = pst.address_book(&catalog);
    for m in &catalog.messages {
        let before = pst.scan_lookups();
        let item = pst.read_message(m);
        let by_scan = m.by_scan || pst.scan_lookups() != before;
        *(if item.is_ok() {
            summary.read.entry(m.folder)
        } else {
            summary.failed.entry(m.folder)
        })
        .or_default() += 1;
        let entry = StoreEntry {
            folder: m.folder.map(|f| &catalog.folders[f]),
            message: m,
            item,
            by_scan,
            book: &summary.book,
        };
        if visit(entry).is_break() {
            break;
        }
    }
    summary.catalog = catalog;
    summary.repairs = pst.repairs();
    Ok(summary)
}

/// Parses the name-to-id map streams (MS-PST 2.4.7; the same layout in MSG files).
pub fn parse_name_map(guids: &[u8], entries: &[u8], strings: &[u8]) -> HashMap<u16, PropKey> {
    let mut out = HashMap::new();
    for e in entries.chunks_exact(8) {
        let (Some(id), Some(w)) = (e.u32_at(0), e.u16_at(4)) else {
            continue;
        };
        let idx = e.u16_at(6).unwrap_or(0);
        let set = match w >> 1 {
            1 => guid::PS_MAPI,
            2 => guid::PS_PUBLIC_STRINGS,
            n => match guids
                .range((n as usize).saturating_sub(3) * 16, 16)
                .and_then(|g| <[u8; 16]>::try_from(g).ok())
            {
                Some(g) if n >= 3 => g,
                _ => continue,
            },
        };
        let kind = if w & 1 == 0 {
            NameKind::Lid(id)
        } else {
            let at = id as usize;
            let Some(len) = strings.u32_at(at) else {
                continue;
            };
            let Some(b) = strings.range(at + 4, len as usize) else {
                continue;
            };
            NameKind::Name(crate::props::utf16le(b))
        };
        out.insert(0x8000u16.wrapping_add(idx), PropKey::Named(set, kind));
    }
    out
}
