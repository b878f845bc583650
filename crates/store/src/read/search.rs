//! What a search result page reads from the catalog: the messages a `tag:` names, a hit's
//! fields (its first copy, recipients, locations, the message carrying an attachment), and
//! the blobs behind snippets. Each runs once per hit shown, so none may scan a table.

use rusqlite::{Connection, OptionalExtension};

use crate::StoreError;

/// The message a hit on an attachment is shown under, with the attachment's name there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitCarrier {
    pub content_key: Vec<u8>,
    pub name: Option<String>,
}

/// The first copy (smallest id) of a message, as a hit shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitMessage {
    /// The copy's catalog id.
    pub id: i64,
    pub date: Option<i64>,
    pub subject: Option<String>,
    pub from_addr: Option<String>,
    pub from_name: Option<String>,
    pub item_id: i64,
    pub thread: Option<String>,
    pub attachments: u64,
}

/// One location of a hit: an item holding the message's or document's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitLocation {
    pub item: i64,
    pub source: String,
    pub locator: String,
    pub folder: Option<String>,
    pub outcome: String,
    pub sha256: Option<Vec<u8>>,
    pub offset: Option<u64>,
    pub length: Option<u64>,
    /// The item's name (a document without a title is shown by it).
    pub name: String,
}

pub(crate) mod sql {
    pub const TAGGED: &str = "SELECT content_key FROM tags WHERE tag = ?1";
    pub const IS_MESSAGE: &str = "SELECT 1 FROM messages WHERE content_key = ?1 LIMIT 1";
    pub const FIRST_CARRIER: &str =
        "SELECT m.content_key, a.name FROM attachments a JOIN messages m ON m.id = a.message
                     WHERE a.sha256 = ?1 ORDER BY m.date IS NULL, m.date, m.id LIMIT 1";
    pub const EXTRACTION_FLAGS: &str = "SELECT flags FROM extractions WHERE sha256 = ?1";
    pub const EXTRACTION_TITLE: &str = "SELECT title FROM extractions WHERE sha256 = ?1";
    pub const EXTRACTION_TEXT: &str = "SELECT text_sha256 FROM extractions WHERE sha256 = ?1";
    pub const FIRST_COPY: &str = "SELECT id, date, subject, from_addr, from_name, item_id, thread, attachments FROM messages WHERE content_key = ?1 ORDER BY id LIMIT 1";
    pub const RECIPIENTS: &str =
        "SELECT address FROM addresses WHERE message = ?1 AND role = 'to' ORDER BY pos LIMIT 10";
    pub const MESSAGE_LOCATIONS: &str =
        "i.message IN (SELECT id FROM messages WHERE content_key = ?1)";
    pub const DOCUMENT_LOCATIONS: &str =
        "i.sha256 = ?1 AND i.message IS NULL AND i.outcome IN ('stored', 'duplicate')";
    pub const ATTACHMENT_NAME: &str = "SELECT a.name FROM attachments a JOIN messages m ON m.id = a.message WHERE a.sha256 = ?1 AND m.content_key = ?2 LIMIT 1";
    pub const ITEM_SHA256: &str = "SELECT sha256 FROM items WHERE id = ?1";

    /// The nearest message up the container chain of a file inside an attached archive, with
    /// the file's name.
    pub fn nested_carrier() -> String {
        format!(
            "{} SELECT m.content_key, (SELECT s.name FROM items s WHERE s.sha256 = ?1 AND s.message IS NULL ORDER BY s.id LIMIT 1)
         FROM up CROSS JOIN messages m ON m.id = up.message ORDER BY up.depth LIMIT 1",
            crate::sql::UP_TO_MESSAGE
        )
    }

    /// The locations of a hit whose items satisfy `condition`.
    pub fn locations(condition: &str) -> String {
        format!(
            "SELECT i.id, s.label, i.locator, i.folder, i.outcome, i.sha256, i.byte_offset, i.byte_length, i.name
             FROM items i JOIN sources s ON s.id = i.source_id WHERE {condition} ORDER BY i.id"
        )
    }
}

pub(super) fn tagged_keys(conn: &Connection, tag: &str) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut st = conn.prepare_cached(sql::TAGGED)?;
    let rows = st.query_map([tag], |r| r.get::<_, Vec<u8>>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn is_message_key(conn: &Connection, content_key: &[u8]) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(sql::IS_MESSAGE)?
        .exists([content_key])?)
}

fn carrier(conn: &Connection, sql: &str, sha256: &[u8]) -> Result<Option<HitCarrier>, StoreError> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([sha256], |r| {
            Ok(HitCarrier {
                content_key: r.get(0)?,
                name: r.get(1)?,
            })
        })
        .optional()?)
}

pub(super) fn first_carrier(
    conn: &Connection,
    sha256: &[u8],
) -> Result<Option<HitCarrier>, StoreError> {
    carrier(conn, sql::FIRST_CARRIER, sha256)
}

pub(super) fn nested_carrier(
    conn: &Connection,
    sha256: &[u8],
) -> Result<Option<HitCarrier>, StoreError> {
    carrier(conn, &sql::nested_carrier(), sha256)
}

/// A nullable column of one row, `None` when there is no row or the value is NULL.
fn optional_value<T: rusqlite::types::FromSql>(
    conn: &Connection,
    sql: &str,
    key: &dyn rusqlite::ToSql,
) -> Result<Option<T>, StoreError> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row([key], |r| r.get::<_, Option<T>>(0))
        .optional()?
        .flatten())
}

pub(super) fn extraction_flags(
    conn: &Connection,
    sha256: &[u8],
) -> Result<Option<String>, StoreError> {
    optional_value(conn, sql::EXTRACTION_FLAGS, &sha256)
}

pub(super) fn extraction_title(
    conn: &Connection,
    sha256: &[u8],
) -> Result<Option<String>, StoreError> {
    optional_value(conn, sql::EXTRACTION_TITLE, &sha256)
}

pub(super) fn extraction_text(
    conn: &Connection,
    sha256: &[u8],
) -> Result<Option<Vec<u8>>, StoreError> {
    // Not a cached statement: it was a one-off query before it moved here.
    Ok(conn
        .query_row(sql::EXTRACTION_TEXT, [sha256], |r| {
            r.get::<_, Option<Vec<u8>>>(0)
        })
        .optional()?
        .flatten())
}

pub(super) fn item_sha256(conn: &Connection, item: i64) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(conn
        .query_row(sql::ITEM_SHA256, [item], |r| r.get::<_, Option<Vec<u8>>>(0))
        .optional()?
        .flatten())
}

pub(super) fn first_copy(
    conn: &Connection,
    content_key: &[u8],
) -> Result<Option<HitMessage>, StoreError> {
    let mut st = conn.prepare_cached(sql::FIRST_COPY)?;
    let mut rows = st.query_map([content_key], |r| {
        Ok(HitMessage {
            id: r.get(0)?,
            date: r.get(1)?,
            subject: r.get(2)?,
            from_addr: r.get(3)?,
            from_name: r.get(4)?,
            item_id: r.get(5)?,
            thread: r.get(6)?,
            attachments: r.get::<_, i64>(7)? as u64,
        })
    })?;
    Ok(rows.next().transpose()?)
}

pub(super) fn recipients(conn: &Connection, message: i64) -> Result<Vec<String>, StoreError> {
    let mut st = conn.prepare_cached(sql::RECIPIENTS)?;
    let rows = st.query_map([message], |r| r.get::<_, Option<String>>(0))?;
    let mut out = Vec::new();
    for row in rows {
        out.extend(row?);
    }
    Ok(out)
}

pub(super) fn hit_locations(
    conn: &Connection,
    condition: &str,
    key: &[u8],
) -> Result<Vec<HitLocation>, StoreError> {
    let mut st = conn.prepare_cached(&sql::locations(condition))?;
    let rows = st.query_map([key], |r| {
        Ok(HitLocation {
            item: r.get(0)?,
            source: r.get(1)?,
            locator: r.get(2)?,
            folder: r.get(3)?,
            outcome: r.get(4)?,
            sha256: r.get(5)?,
            offset: r.get::<_, Option<i64>>(6)?.map(|v| v as u64),
            length: r.get::<_, Option<i64>>(7)?.map(|v| v as u64),
            name: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn attachment_name(
    conn: &Connection,
    sha256: &[u8],
    message_key: &[u8],
) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached(sql::ATTACHMENT_NAME)?
        .query_row([sha256, message_key], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

#[cfg(test)]
mod tests {
    use super::sql;

    /// Run once per hit shown: a scan here would be one per hit.
    #[test]
    fn hit_statements_search_no_table() {
        let owned = [
            sql::nested_carrier(),
            sql::locations(sql::MESSAGE_LOCATIONS),
            sql::locations(sql::DOCUMENT_LOCATIONS),
        ];
        let all = [
            sql::TAGGED,
            sql::IS_MESSAGE,
            sql::FIRST_CARRIER,
            sql::EXTRACTION_FLAGS,
            sql::EXTRACTION_TITLE,
            sql::EXTRACTION_TEXT,
            sql::FIRST_COPY,
            sql::RECIPIENTS,
            sql::ATTACHMENT_NAME,
            sql::ITEM_SHA256,
        ]
        .into_iter()
        .chain(owned.iter().map(String::as_str));
        for sql in all {
            let scans = crate::sql::full_scans(sql).unwrap();
            assert!(scans.is_empty(), "{scans:?} in {sql}");
        }
    }
}
