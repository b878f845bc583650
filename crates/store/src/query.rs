//! Reading the catalog: counts, the completeness report, items and messages. These are
//! operations of [`CatalogRead`] (the rows are defined here, with the SQLite statements
//! behind them); the free functions call the trait, for their callers. [`verify`] re-reads
//! the blob store and stays with the SQLite [`Catalog`].

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use crate::{Catalog, CatalogRead, StoreError};

pub use crate::sql::{UP_TO_MESSAGE, full_scans, plan};

/// Items and bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub items: u64,
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, items: u64, bytes: u64) {
        self.items += items;
        self.bytes += bytes;
    }
}

/// A reason shared by skipped or failed items, with how many.
#[derive(Debug, Clone, Serialize)]
pub struct ReasonCount {
    pub outcome: String,
    pub reason: String,
    pub items: u64,
    pub bytes: u64,
    /// One item with this reason, to look at.
    pub example: String,
}

/// The completeness report of one source.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceReport {
    pub source: String,
    /// Outermost inputs (files on disk) by outcome: sums to every input file and byte.
    pub inputs: BTreeMap<String, Tally>,
    pub inputs_total: Tally,
    /// Every item at any depth, by kind then outcome.
    pub items: BTreeMap<String, BTreeMap<String, Tally>>,
    /// Every item at any depth, by format then outcome.
    pub formats: BTreeMap<String, BTreeMap<String, Tally>>,
    /// Distinct message blobs stored.
    pub messages: u64,
    /// Message items including exact duplicates (every location of a message).
    pub message_locations: u64,
    /// Distinct messages after linking copies by content.
    pub distinct_messages: u64,
    /// Messages stored with a problem flag, by problem.
    pub problems: BTreeMap<String, u64>,
    /// Containers whose members are not all recorded (an interrupted run).
    pub incomplete: u64,
    pub reasons: Vec<ReasonCount>,
}

/// The completeness report for every source.
pub(crate) fn sqlite_report(cat: &Catalog) -> Result<Vec<SourceReport>, StoreError> {
    let conn = &cat.conn;
    let mut out = Vec::new();
    let sources: Vec<(i64, String)> = conn
        .prepare("SELECT id, label FROM sources ORDER BY label")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (sid, label) in sources {
        let mut rep = SourceReport {
            source: label,
            ..Default::default()
        };
        let mut st = conn.prepare(
            "SELECT outcome, COUNT(*), COALESCE(SUM(size), 0) FROM items WHERE source_id = ?1 AND parent_id IS NULL GROUP BY outcome",
        )?;
        for row in st.query_map([sid], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })? {
            let (o, n, b) = row?;
            rep.inputs.entry(o).or_default().add(n as u64, b as u64);
            rep.inputs_total.add(n as u64, b as u64);
        }
        let mut st = conn.prepare(
            "SELECT kind, format, outcome, COUNT(*), COALESCE(SUM(size), 0) FROM items WHERE source_id = ?1 GROUP BY kind, format, outcome",
        )?;
        for row in st.query_map([sid], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })? {
            let (kind, format, o, n, b) = row?;
            rep.items
                .entry(kind)
                .or_default()
                .entry(o.clone())
                .or_default()
                .add(n as u64, b as u64);
            rep.formats
                .entry(format)
                .or_default()
                .entry(o)
                .or_default()
                .add(n as u64, b as u64);
        }
        rep.messages = conn.query_row(
            "SELECT COUNT(*) FROM items WHERE source_id = ?1 AND message IS NOT NULL AND outcome = 'stored'",
            [sid],
            |r| r.get::<_, i64>(0),
        )? as u64;
        rep.message_locations = conn.query_row(
            "SELECT COUNT(*) FROM items WHERE source_id = ?1 AND message IS NOT NULL",
            [sid],
            |r| r.get::<_, i64>(0),
        )? as u64;
        rep.distinct_messages = conn.query_row(
            "SELECT COUNT(DISTINCT m.content_key) FROM items i JOIN messages m ON m.id = i.message WHERE i.source_id = ?1",
            [sid],
            |r| r.get::<_, i64>(0),
        )? as u64;
        rep.incomplete = conn.query_row(
            "SELECT COUNT(*) FROM items WHERE source_id = ?1 AND complete = 0",
            [sid],
            |r| r.get::<_, i64>(0),
        )? as u64;
        let mut st = conn.prepare(
            "SELECT m.problems FROM items i JOIN messages m ON m.id = i.message
             WHERE i.source_id = ?1 AND i.outcome = 'stored' AND m.problems IS NOT NULL",
        )?;
        for row in st.query_map([sid], |r| r.get::<_, String>(0))? {
            for p in row?.split(',') {
                *rep.problems.entry(p.to_owned()).or_default() += 1;
            }
        }
        let mut st = conn.prepare(
            "SELECT outcome, reason, COUNT(*), COALESCE(SUM(size), 0), MIN(locator) FROM items
             WHERE source_id = ?1 AND reason IS NOT NULL GROUP BY outcome, reason ORDER BY COUNT(*) DESC, reason",
        )?;
        for row in st.query_map([sid], |r| {
            Ok(ReasonCount {
                outcome: r.get(0)?,
                reason: r.get(1)?,
                items: r.get::<_, i64>(2)? as u64,
                bytes: r.get::<_, i64>(3)? as u64,
                example: r.get(4)?,
            })
        })? {
            rep.reasons.push(row?);
        }
        out.push(rep);
    }
    Ok(out)
}

/// An item as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ItemRow {
    pub id: i64,
    pub source: String,
    pub parent_id: Option<i64>,
    pub locator: String,
    pub name: String,
    pub kind: String,
    pub format: String,
    pub offset: Option<u64>,
    pub length: Option<u64>,
    pub size: u64,
    pub sha256: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub duplicate_of: Option<i64>,
    pub message: Option<i64>,
    pub folder: Option<String>,
    pub flags: Option<String>,
    pub meta: Option<serde_json::Value>,
    pub complete: bool,
}

const ITEM_COLUMNS: &str = "i.id, s.label, i.parent_id, i.locator, i.name, i.kind, i.format, i.byte_offset, i.byte_length,
    i.size, i.sha256, i.outcome, i.reason, i.duplicate_of, i.message, i.folder, i.flags, i.meta, i.complete";

fn item_row(r: &Row<'_>) -> rusqlite::Result<ItemRow> {
    Ok(ItemRow {
        id: r.get(0)?,
        source: r.get(1)?,
        parent_id: r.get(2)?,
        locator: r.get(3)?,
        name: r.get(4)?,
        kind: r.get(5)?,
        format: r.get(6)?,
        offset: r.get::<_, Option<i64>>(7)?.map(|v| v as u64),
        length: r.get::<_, Option<i64>>(8)?.map(|v| v as u64),
        size: r.get::<_, i64>(9)? as u64,
        sha256: r.get::<_, Option<Vec<u8>>>(10)?.map(hex::encode),
        outcome: r.get(11)?,
        reason: r.get(12)?,
        duplicate_of: r.get(13)?,
        message: r.get(14)?,
        folder: r.get(15)?,
        flags: r.get(16)?,
        meta: r
            .get::<_, Option<String>>(17)?
            .and_then(|m| serde_json::from_str(&m).ok()),
        complete: r.get::<_, i64>(18)? != 0,
    })
}

fn items_where(
    cat: &Catalog,
    cond: &str,
    p: &[&dyn rusqlite::ToSql],
) -> Result<Vec<ItemRow>, StoreError> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM items i JOIN sources s ON s.id = i.source_id WHERE {cond} ORDER BY i.id"
    );
    let mut st = cat.conn.prepare(&sql)?;
    let rows = st.query_map(p, item_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// One item by id.
pub(crate) fn sqlite_item(cat: &Catalog, id: i64) -> Result<Option<ItemRow>, StoreError> {
    Ok(items_where(cat, "i.id = ?1", &[&id])?.into_iter().next())
}

/// Items named by a user: an item id, a SHA-256 (or a prefix of at least 8 hex digits), a
/// Message-ID (`<…>` optional), or a locator.
pub(crate) fn sqlite_find_items(cat: &Catalog, spec: &str) -> Result<Vec<ItemRow>, StoreError> {
    let spec = spec.trim();
    if let Ok(id) = spec.parse::<i64>() {
        return Ok(sqlite_item(cat, id)?.into_iter().collect());
    }
    if spec.len() >= 8 && spec.len() <= 64 && spec.bytes().all(|b| b.is_ascii_hexdigit()) {
        let lower = spec.to_ascii_lowercase();
        let rows = items_where(cat, "lower(hex(i.sha256)) LIKE ?1", &[&format!("{lower}%")])?;
        if !rows.is_empty() {
            return Ok(rows);
        }
    }
    let mid = spec.trim_start_matches('<').trim_end_matches('>');
    let rows = items_where(
        cat,
        "i.message IN (SELECT id FROM messages WHERE message_id = ?1)",
        &[&mid],
    )?;
    if !rows.is_empty() {
        return Ok(rows);
    }
    items_where(cat, "i.locator = ?1", &[&spec])
}

/// Direct children of an item.
pub(crate) fn sqlite_children(cat: &Catalog, id: i64) -> Result<Vec<ItemRow>, StoreError> {
    items_where(cat, "i.parent_id = ?1", &[&id])
}

/// The chain of containers from the outermost input down to this item.
pub fn ancestry(cat: &dyn CatalogRead, id: i64) -> Result<Vec<ItemRow>, StoreError> {
    let mut chain = Vec::new();
    let mut next = Some(id);
    while let Some(cur) = next {
        let Some(row) = cat.item(cur)? else { break };
        next = row.parent_id;
        chain.push(row);
        if chain.len() > 64 {
            break;
        }
    }
    chain.reverse();
    Ok(chain)
}

/// A message as catalogued.
#[derive(Debug, Clone, Serialize)]
pub struct MessageRow {
    pub id: i64,
    pub sha256: String,
    pub item_id: i64,
    pub content_key: String,
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub subject: Option<String>,
    pub date: Option<i64>,
    pub date_raw: Option<String>,
    pub date_source: Option<String>,
    pub from_name: Option<String>,
    pub from_addr: Option<String>,
    pub size: u64,
    pub attachments: u64,
    pub problems: Vec<String>,
}

pub(crate) fn sqlite_message(cat: &Catalog, id: i64) -> Result<Option<MessageRow>, StoreError> {
    let list = |s: Option<String>| {
        s.and_then(|s| serde_json::from_str::<Vec<String>>(&s).ok())
            .unwrap_or_default()
    };
    Ok(cat
        .conn
        .query_row(
            "SELECT id, sha256, item_id, content_key, message_id, in_reply_to, refs, subject, date, date_raw, date_source,
                    from_name, from_addr, size, attachments, problems FROM messages WHERE id = ?1",
            [id],
            |r| {
                Ok(MessageRow {
                    id: r.get(0)?,
                    sha256: hex::encode(r.get::<_, Vec<u8>>(1)?),
                    item_id: r.get(2)?,
                    content_key: hex::encode(r.get::<_, Vec<u8>>(3)?),
                    message_id: r.get(4)?,
                    in_reply_to: list(r.get(5)?),
                    references: list(r.get(6)?),
                    subject: r.get(7)?,
                    date: r.get(8)?,
                    date_raw: r.get(9)?,
                    date_source: r.get(10)?,
                    from_name: r.get(11)?,
                    from_addr: r.get(12)?,
                    size: r.get::<_, i64>(13)? as u64,
                    attachments: r.get::<_, i64>(14)? as u64,
                    problems: r.get::<_, Option<String>>(15)?.map(|p| p.split(',').map(str::to_owned).collect()).unwrap_or_default(),
                })
            },
        )
        .optional()?)
}

/// Every location of a message and of its copies (same content key), duplicates included.
pub(crate) fn sqlite_copies(cat: &Catalog, message: i64) -> Result<Vec<ItemRow>, StoreError> {
    items_where(
        cat,
        "i.message IN (SELECT id FROM messages WHERE content_key = (SELECT content_key FROM messages WHERE id = ?1))",
        &[&message],
    )
}

/// An attachment as catalogued.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentRow {
    pub part: u32,
    pub name: Option<String>,
    pub mime: String,
    pub disposition: Option<String>,
    pub size: u64,
    pub sha256: String,
    pub is_message: bool,
    pub item_id: Option<i64>,
}

pub(crate) fn sqlite_attachments(
    cat: &Catalog,
    message: i64,
) -> Result<Vec<AttachmentRow>, StoreError> {
    let mut st = cat.conn.prepare(
        "SELECT part, name, mime, disposition, size, sha256, is_message, item_id FROM attachments WHERE message = ?1 ORDER BY part",
    )?;
    let rows = st.query_map([message], |r| {
        Ok(AttachmentRow {
            part: r.get(0)?,
            name: r.get(1)?,
            mime: r.get(2)?,
            disposition: r.get(3)?,
            size: r.get::<_, i64>(4)? as u64,
            sha256: hex::encode(r.get::<_, Vec<u8>>(5)?),
            is_message: r.get::<_, i64>(6)? != 0,
            item_id: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Counts for `trove status`: per source, outcome → items; and format → items.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    pub sources: BTreeMap<String, BTreeMap<String, Tally>>,
    pub formats: BTreeMap<String, BTreeMap<String, u64>>,
    pub messages: u64,
    pub distinct_messages: u64,
    pub blobs: Tally,
    pub stored_bytes: u64,
    pub runs: Vec<RunRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    pub id: i64,
    pub source: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: String,
}

pub(crate) fn sqlite_status(cat: &Catalog) -> Result<Status, StoreError> {
    let conn = &cat.conn;
    let mut s = Status::default();
    let mut st = conn.prepare(
        "SELECT s.label, i.outcome, COUNT(*), COALESCE(SUM(i.size), 0) FROM items i JOIN sources s ON s.id = i.source_id
         GROUP BY s.label, i.outcome",
    )?;
    for row in st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })? {
        let (src, o, n, b) = row?;
        s.sources
            .entry(src)
            .or_default()
            .entry(o)
            .or_default()
            .add(n as u64, b as u64);
    }
    let mut st =
        conn.prepare("SELECT format, outcome, COUNT(*) FROM items GROUP BY format, outcome")?;
    for row in st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })? {
        let (f, o, n) = row?;
        *s.formats.entry(f).or_default().entry(o).or_default() += n as u64;
    }
    s.messages =
        conn.query_row("SELECT COUNT(*) FROM messages", [], |r| r.get::<_, i64>(0))? as u64;
    s.distinct_messages = conn.query_row(
        "SELECT COUNT(DISTINCT content_key) FROM messages",
        [],
        |r| r.get::<_, i64>(0),
    )? as u64;
    let (n, b, stored): (i64, i64, i64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(size), 0), COALESCE(SUM(stored_size), 0) FROM blobs",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    s.blobs = Tally {
        items: n as u64,
        bytes: b as u64,
    };
    s.stored_bytes = stored as u64;
    let mut st = conn.prepare(
        "SELECT r.id, s.label, r.started_at, r.finished_at, r.status FROM runs r JOIN sources s ON s.id = r.source_id ORDER BY r.id",
    )?;
    for row in st.query_map(params![], |r| {
        Ok(RunRow {
            id: r.get(0)?,
            source: r.get(1)?,
            started_at: r.get(2)?,
            finished_at: r.get(3)?,
            status: r.get(4)?,
        })
    })? {
        s.runs.push(row?);
    }
    Ok(s)
}

/// What `verify` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verification {
    pub blobs: u64,
    pub bytes: u64,
    /// Blobs whose bytes are missing or do not hash to their name.
    pub bad: Vec<String>,
    /// Stored items whose blob is not in the catalog.
    pub orphans: u64,
}

/// Re-reads every blob and checks its SHA-256, and that every stored item has its blob.
pub fn verify(case: &crate::Case, cat: &Catalog) -> Result<Verification, StoreError> {
    use sha2::{Digest, Sha256};
    let mut v = Verification::default();
    // Streamed in pack order (the reads go through the packs front to back); SQLite's sorter
    // spills to disk, so memory does not grow with the number of blobs.
    let mut st = cat
        .conn
        .prepare("SELECT sha256 FROM blobs ORDER BY pack, pack_offset")?;
    let mut rows = st.query([])?;
    let dir = case.blob_dir();
    while let Some(row) = rows.next()? {
        let sha: Vec<u8> = row.get(0)?;
        let mut key = [0u8; 32];
        if sha.len() != 32 {
            v.bad.push(hex::encode(&sha));
            continue;
        }
        key.copy_from_slice(&sha);
        v.blobs += 1;
        let ok = match cat.blob(&key)? {
            Some(b) => match dir.open(&b) {
                Ok(mut r) => {
                    let mut h = Sha256::new();
                    let mut buf = vec![0u8; 1 << 16];
                    let mut n = 0u64;
                    loop {
                        match std::io::Read::read(&mut r, &mut buf) {
                            Ok(0) => break,
                            Ok(k) => {
                                h.update(&buf[..k]);
                                n += k as u64;
                            }
                            Err(_) => {
                                n = u64::MAX;
                                break;
                            }
                        }
                    }
                    v.bytes += n.min(b.size);
                    n == b.size && <[u8; 32]>::from(h.finalize()) == key
                }
                Err(_) => false,
            },
            None => false,
        };
        if !ok {
            v.bad.push(hex::encode(key));
        }
    }
    v.orphans = cat.conn.query_row(
        "SELECT COUNT(*) FROM items i WHERE i.outcome IN ('stored', 'duplicate') AND i.sha256 IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.sha256 = i.sha256)",
        [],
        |r| r.get::<_, i64>(0),
    )? as u64;
    Ok(v)
}

// The operations below are [`CatalogRead`]'s; these functions are kept for their callers.

/// The completeness report for every source ([`CatalogRead::report`]).
pub fn report(cat: &dyn CatalogRead) -> Result<Vec<SourceReport>, StoreError> {
    cat.report()
}

/// One item by id ([`CatalogRead::item`]).
pub fn item(cat: &dyn CatalogRead, id: i64) -> Result<Option<ItemRow>, StoreError> {
    cat.item(id)
}

/// Items named by a user ([`CatalogRead::find_items`]).
pub fn find_items(cat: &dyn CatalogRead, spec: &str) -> Result<Vec<ItemRow>, StoreError> {
    cat.find_items(spec)
}

/// Direct children of an item ([`CatalogRead::children`]).
pub fn children(cat: &dyn CatalogRead, id: i64) -> Result<Vec<ItemRow>, StoreError> {
    cat.children(id)
}

/// A message row ([`CatalogRead::message`]).
pub fn message(cat: &dyn CatalogRead, id: i64) -> Result<Option<MessageRow>, StoreError> {
    cat.message(id)
}

/// Every location of a message and of its copies ([`CatalogRead::copies`]).
pub fn copies(cat: &dyn CatalogRead, message: i64) -> Result<Vec<ItemRow>, StoreError> {
    cat.copies(message)
}

/// The attachments of a message row ([`CatalogRead::attachments`]).
pub fn attachments(cat: &dyn CatalogRead, message: i64) -> Result<Vec<AttachmentRow>, StoreError> {
    cat.attachments(message)
}

/// Counts for `trove status` ([`CatalogRead::status`]).
pub fn status(cat: &dyn CatalogRead) -> Result<Status, StoreError> {
    cat.status()
}
