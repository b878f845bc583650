//! What the search index is fed from: the queue of keys to (re)index, the keys a rebuild of
//! the index walks, and the rows one index document is built from (a message with all its
//! copies, or a file with the messages carrying it). Each statement runs once per message or
//! file indexed, or once per page of keys, so none may scan a table (see the tests).

use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;

/// An entry of the index queue: a message (by content key) or a document (by SHA-256) whose
/// index document is to be (re)built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueEntry {
    pub seq: i64,
    pub kind: String,
    pub key: Vec<u8>,
}

/// The keys a rebuild of the index walks, each in key order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySet {
    /// Content keys of messages.
    Messages,
    /// SHA-256 of the stored files outside any message.
    LooseDocuments,
    /// SHA-256 of the attachments that are not messages.
    AttachedDocuments,
}

/// One copy of a message (its `messages` row), as a message document needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageCopy {
    pub id: i64,
    pub sha256: Vec<u8>,
    pub message_id: Option<String>,
    pub subject: Option<String>,
    pub date: Option<i64>,
    pub size: u64,
    /// Problem flags, comma-separated.
    pub problems: Option<String>,
    pub thread: Option<String>,
    pub lang: Option<String>,
    pub has_html: bool,
}

/// An address of a message: its role (from, to, cc, bcc, …), name and address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AddressRow {
    pub role: String,
    pub name: Option<String>,
    pub address: Option<String>,
}

/// The name and declared type of an attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentType {
    pub name: Option<String>,
    pub mime: String,
}

/// Where a copy sits: its source, folder and locator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyLocation {
    pub source: String,
    pub folder: Option<String>,
    pub locator: String,
}

/// A stored item holding a file's bytes outside any message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentItem {
    pub source: String,
    pub folder: Option<String>,
    pub locator: String,
    pub name: String,
    pub format: String,
    pub size: u64,
}

/// A message carrying a file as an attachment, with the attachment's name, type and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentCarrier {
    /// The message's catalog id.
    pub message: i64,
    pub content_key: Vec<u8>,
    pub name: Option<String>,
    pub mime: String,
    pub size: u64,
    pub date: Option<i64>,
    pub thread: Option<String>,
}

/// A message up the container chain of a file found inside an attached archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedCarrier {
    pub message: i64,
    pub content_key: Vec<u8>,
    pub date: Option<i64>,
    pub thread: Option<String>,
}

/// A document's extraction, as its index document needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentExtraction {
    pub status: String,
    pub text_sha256: Option<Vec<u8>>,
    /// Risk flags, comma-separated.
    pub flags: Option<String>,
    /// Metadata, as JSON text.
    pub meta: Option<String>,
    pub title: Option<String>,
    pub gps_lat: Option<f64>,
    pub ocr_pages: i64,
    pub format: Option<String>,
}

pub(crate) mod sql {
    pub const QUEUE: &str =
        "SELECT seq, kind, key FROM index_queue WHERE seq > ?1 ORDER BY seq LIMIT ?2";
    pub const QUEUE_PENDING: &str = "SELECT COUNT(*) FROM index_queue WHERE seq > ?1";
    pub const QUEUE_LAST: &str = "SELECT COALESCE(MAX(seq), 0) FROM index_queue";
    /// The keys a rebuild walks, each in key order from a key (`?1`), a page (`?2`) at a time.
    pub const KEYS_MESSAGES: &str = "SELECT DISTINCT content_key FROM messages WHERE content_key > ?1 ORDER BY content_key LIMIT ?2";
    pub const KEYS_LOOSE: &str = "SELECT DISTINCT sha256 FROM items
         WHERE message IS NULL AND outcome = 'stored' AND sha256 IS NOT NULL AND sha256 > ?1 ORDER BY sha256 LIMIT ?2";
    pub const KEYS_ATTACHED: &str = "SELECT DISTINCT sha256 FROM attachments WHERE is_message = 0 AND sha256 > ?1 ORDER BY sha256 LIMIT ?2";

    pub const MESSAGE_ROWS: &str = "SELECT sha256, message_id, subject, date, size, problems, thread, lang, has_html, id FROM messages WHERE content_key = ?1 ORDER BY id";
    pub const MESSAGE_ADDRESSES: &str = "SELECT a.role, a.name, a.address FROM addresses a JOIN messages m ON m.id = a.message WHERE m.content_key = ?1 ORDER BY m.id, a.pos";
    pub const MESSAGE_ATTACHMENTS: &str = "SELECT DISTINCT t.name, t.mime FROM attachments t JOIN messages m ON m.id = t.message WHERE m.content_key = ?1";
    pub const MESSAGE_ATTACHMENT_FLAGS: &str =
        "SELECT DISTINCT e.flags FROM attachments a JOIN messages m ON m.id = a.message JOIN extractions e ON e.sha256 = a.sha256
         WHERE m.content_key = ?1 AND e.flags IS NOT NULL";
    /// Flags of the files inside archives a message carries. CROSS JOIN keeps the walk down
    /// outside: otherwise SQLite 3.50 scans every loose document per message.
    pub const MESSAGE_NESTED_FLAGS: &str = "WITH RECURSIVE down(id, depth) AS (
           SELECT i.id, 0 FROM items i JOIN messages m ON i.message = m.id WHERE m.content_key = ?1
           UNION ALL SELECT c.id, down.depth + 1 FROM items c JOIN down ON c.parent_id = down.id WHERE down.depth < 64)
         SELECT DISTINCT e.flags FROM down CROSS JOIN items i ON i.id = down.id CROSS JOIN extractions e ON e.sha256 = i.sha256
         WHERE down.depth > 0 AND i.message IS NULL AND e.flags IS NOT NULL";
    pub const MESSAGE_LOCATIONS: &str =
        "SELECT s.label, i.folder, i.locator FROM messages m JOIN items i ON i.message = m.id JOIN sources s ON s.id = i.source_id
         WHERE m.content_key = ?1";
    pub const MESSAGE_NUMBER: &str = "SELECT MIN(id) FROM messages WHERE content_key = ?1";
    pub const TAGS: &str = "SELECT tag FROM tags WHERE content_key = ?1 ORDER BY tag";
    pub const DOCUMENT_ITEMS: &str =
        "SELECT s.label, i.folder, i.locator, i.name, i.format, i.size FROM items i JOIN sources s ON s.id = i.source_id
         WHERE i.sha256 = ?1 AND i.message IS NULL AND i.outcome IN ('stored', 'duplicate')";
    pub const DOCUMENT_CARRIERS: &str =
        "SELECT m.id, m.content_key, a.name, a.mime, a.size, m.date, m.thread FROM attachments a JOIN messages m ON m.id = a.message
         WHERE a.sha256 = ?1 AND a.is_message = 0 ORDER BY m.id";
    pub const DOCUMENT_EXTRACTION: &str = "SELECT status, text_sha256, flags, meta, title, gps_lat, ocr_pages, format FROM extractions WHERE sha256 = ?1";

    /// The messages up the container chain of a file inside an attached archive.
    pub fn document_nested_carriers() -> String {
        format!(
            "{} SELECT DISTINCT m.id, m.content_key, m.date, m.thread FROM up CROSS JOIN messages m ON m.id = up.message ORDER BY m.id",
            crate::sql::UP_TO_MESSAGE
        )
    }

    fn placeholders(n: usize) -> String {
        vec!["?"; n.max(1)].join(",")
    }

    pub fn carrier_addresses(n: usize) -> String {
        format!(
            "SELECT DISTINCT role, name, address FROM addresses WHERE message IN ({}) ORDER BY role, address",
            placeholders(n)
        )
    }

    pub fn carrier_locations(n: usize) -> String {
        format!(
            "SELECT DISTINCT s.label, i.folder, i.locator FROM items i JOIN sources s ON s.id = i.source_id WHERE i.message IN ({})",
            placeholders(n)
        )
    }
}

pub(super) fn index_queue(
    conn: &Connection,
    after: i64,
    limit: i64,
) -> Result<Vec<QueueEntry>, StoreError> {
    let mut st = conn.prepare_cached(sql::QUEUE)?;
    let rows = st.query_map(params![after, limit], |r| {
        Ok(QueueEntry {
            seq: r.get(0)?,
            kind: r.get(1)?,
            key: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn index_queue_pending(conn: &Connection, after: i64) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row(sql::QUEUE_PENDING, [after], |r| r.get(0))?;
    Ok(n as u64)
}

pub(super) fn index_queue_last(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row(sql::QUEUE_LAST, [], |r| r.get(0))?)
}

pub(super) fn keys_after(
    conn: &Connection,
    set: KeySet,
    after: &[u8],
    limit: usize,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let sql = match set {
        KeySet::Messages => sql::KEYS_MESSAGES,
        KeySet::LooseDocuments => sql::KEYS_LOOSE,
        KeySet::AttachedDocuments => sql::KEYS_ATTACHED,
    };
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map(params![after, limit as i64], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn message_copies(
    conn: &Connection,
    content_key: &[u8],
) -> Result<Vec<MessageCopy>, StoreError> {
    let mut st = conn.prepare_cached(sql::MESSAGE_ROWS)?;
    let rows = st.query_map([content_key], |r| {
        Ok(MessageCopy {
            sha256: r.get(0)?,
            message_id: r.get(1)?,
            subject: r.get(2)?,
            date: r.get(3)?,
            size: r.get::<_, i64>(4)? as u64,
            problems: r.get(5)?,
            thread: r.get(6)?,
            lang: r.get(7)?,
            has_html: r.get::<_, i64>(8)? != 0,
            id: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn address_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AddressRow> {
    Ok(AddressRow {
        role: r.get(0)?,
        name: r.get(1)?,
        address: r.get(2)?,
    })
}

fn location_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CopyLocation> {
    Ok(CopyLocation {
        source: r.get(0)?,
        folder: r.get(1)?,
        locator: r.get(2)?,
    })
}

pub(super) fn message_addresses(
    conn: &Connection,
    content_key: &[u8],
) -> Result<Vec<AddressRow>, StoreError> {
    let mut st = conn.prepare_cached(sql::MESSAGE_ADDRESSES)?;
    let rows = st.query_map([content_key], address_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn message_attachment_types(
    conn: &Connection,
    content_key: &[u8],
) -> Result<Vec<AttachmentType>, StoreError> {
    let mut st = conn.prepare_cached(sql::MESSAGE_ATTACHMENTS)?;
    let rows = st.query_map([content_key], |r| {
        Ok(AttachmentType {
            name: r.get(0)?,
            mime: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn strings(conn: &Connection, sql: &str, key: &[u8]) -> Result<Vec<String>, StoreError> {
    let mut st = conn.prepare_cached(sql)?;
    let rows = st.query_map([key], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn message_attachment_flags(
    conn: &Connection,
    content_key: &[u8],
) -> Result<Vec<String>, StoreError> {
    strings(conn, sql::MESSAGE_ATTACHMENT_FLAGS, content_key)
}

pub(super) fn message_nested_flags(
    conn: &Connection,
    content_key: &[u8],
) -> Result<Vec<String>, StoreError> {
    strings(conn, sql::MESSAGE_NESTED_FLAGS, content_key)
}

pub(super) fn message_tags(
    conn: &Connection,
    content_key: &[u8],
) -> Result<Vec<String>, StoreError> {
    strings(conn, sql::TAGS, content_key)
}

pub(super) fn message_locations(
    conn: &Connection,
    content_key: &[u8],
) -> Result<Vec<CopyLocation>, StoreError> {
    let mut st = conn.prepare_cached(sql::MESSAGE_LOCATIONS)?;
    let rows = st.query_map([content_key], location_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn message_number(
    conn: &Connection,
    content_key: &[u8],
) -> Result<Option<i64>, StoreError> {
    let mut st = conn.prepare_cached(sql::MESSAGE_NUMBER)?;
    Ok(st.query_row([content_key], |r| r.get::<_, Option<i64>>(0))?)
}

pub(super) fn document_items(
    conn: &Connection,
    sha256: &[u8],
) -> Result<Vec<DocumentItem>, StoreError> {
    let mut st = conn.prepare_cached(sql::DOCUMENT_ITEMS)?;
    let rows = st.query_map([sha256], |r| {
        Ok(DocumentItem {
            source: r.get(0)?,
            folder: r.get(1)?,
            locator: r.get(2)?,
            name: r.get(3)?,
            format: r.get(4)?,
            size: r.get::<_, i64>(5)? as u64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn document_carriers(
    conn: &Connection,
    sha256: &[u8],
) -> Result<Vec<DocumentCarrier>, StoreError> {
    let mut st = conn.prepare_cached(sql::DOCUMENT_CARRIERS)?;
    let rows = st.query_map([sha256], |r| {
        Ok(DocumentCarrier {
            message: r.get(0)?,
            content_key: r.get(1)?,
            name: r.get(2)?,
            mime: r.get(3)?,
            size: r.get::<_, i64>(4)? as u64,
            date: r.get(5)?,
            thread: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn document_nested_carriers(
    conn: &Connection,
    sha256: &[u8],
) -> Result<Vec<NestedCarrier>, StoreError> {
    let mut st = conn.prepare_cached(&sql::document_nested_carriers())?;
    let rows = st.query_map([sha256], |r| {
        Ok(NestedCarrier {
            message: r.get(0)?,
            content_key: r.get(1)?,
            date: r.get(2)?,
            thread: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn carrier_addresses(
    conn: &Connection,
    messages: &[i64],
) -> Result<Vec<AddressRow>, StoreError> {
    let mut st = conn.prepare(&sql::carrier_addresses(messages.len()))?;
    let rows = st.query_map(rusqlite::params_from_iter(messages.iter()), address_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn carrier_locations(
    conn: &Connection,
    messages: &[i64],
) -> Result<Vec<CopyLocation>, StoreError> {
    let mut st = conn.prepare(&sql::carrier_locations(messages.len()))?;
    let rows = st.query_map(rusqlite::params_from_iter(messages.iter()), location_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn document_extraction(
    conn: &Connection,
    sha256: &[u8],
) -> Result<Option<DocumentExtraction>, StoreError> {
    Ok(conn
        .prepare_cached(sql::DOCUMENT_EXTRACTION)?
        .query_row([sha256], |r| {
            Ok(DocumentExtraction {
                status: r.get(0)?,
                text_sha256: r.get(1)?,
                flags: r.get(2)?,
                meta: r.get(3)?,
                title: r.get(4)?,
                gps_lat: r.get(5)?,
                ocr_pages: r.get(6)?,
                format: r.get(7)?,
            })
        })
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::sql::*;

    #[test]
    fn no_statement_scans_a_table() {
        let owned = [
            document_nested_carriers(),
            carrier_addresses(3),
            carrier_locations(3),
        ];
        let all = [
            QUEUE,
            QUEUE_PENDING,
            MESSAGE_ROWS,
            MESSAGE_ADDRESSES,
            MESSAGE_ATTACHMENTS,
            MESSAGE_ATTACHMENT_FLAGS,
            MESSAGE_NESTED_FLAGS,
            MESSAGE_LOCATIONS,
            MESSAGE_NUMBER,
            TAGS,
            DOCUMENT_ITEMS,
            DOCUMENT_CARRIERS,
            DOCUMENT_EXTRACTION,
        ]
        .into_iter()
        .chain(owned.iter().map(String::as_str));
        for sql in all {
            let scans = crate::sql::full_scans(sql).unwrap();
            assert!(scans.is_empty(), "{scans:?} in {sql}");
        }
    }

    /// Each page of a rebuild searches an index from where the last ended: no scan, no sort.
    #[test]
    fn reindex_pages_walk_indexes() {
        for sql in [KEYS_MESSAGES, KEYS_LOOSE, KEYS_ATTACHED] {
            let plan = crate::sql::plan(sql).unwrap().join("\n");
            assert!(
                plan.starts_with("SEARCH") && !plan.contains("TEMP B-TREE"),
                "{sql}: {plan}"
            );
        }
    }
}
