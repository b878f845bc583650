//! Counts and look-ups for reports and the command line: a run's outcomes, the items left
//! unresolved, documents known only as attachments, message totals.

use rusqlite::{Connection, OptionalExtension};

use crate::StoreError;

/// How many items of a run ended with one outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeCount {
    pub outcome: String,
    pub items: u64,
}

/// An item of a message carrying a document as an attachment, with the attachment's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierItem {
    /// The item of the carrying message.
    pub item_id: i64,
    pub name: Option<String>,
}

/// Messages in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageCounts {
    /// Message rows (one per stored message blob).
    pub messages: u64,
    /// Distinct messages after linking copies by content.
    pub distinct: u64,
}

pub(crate) mod sql {
    pub const RUN_OUTCOMES: &str =
        "SELECT outcome, COUNT(*) FROM items WHERE run_id = ?1 GROUP BY outcome";
    pub const UNRESOLVED: &str =
        "SELECT id FROM items WHERE outcome IN ('skipped', 'failed') ORDER BY id";
    pub const EXTRACTION_BY_PREFIX: &str =
        "SELECT sha256 FROM extractions WHERE lower(hex(sha256)) LIKE ?1 LIMIT 1";
    pub const CARRIER_ITEMS: &str = "SELECT m.item_id, a.name FROM attachments a JOIN messages m ON m.id = a.message WHERE a.sha256 = ?1 ORDER BY m.id LIMIT 50";
    pub const MESSAGE_COUNTS: &str = "SELECT COUNT(*), COUNT(DISTINCT content_key) FROM messages";
}

pub(super) fn run_outcomes(conn: &Connection, run: i64) -> Result<Vec<OutcomeCount>, StoreError> {
    let mut st = conn.prepare(sql::RUN_OUTCOMES)?;
    let rows = st.query_map([run], |r| {
        Ok(OutcomeCount {
            outcome: r.get(0)?,
            items: r.get::<_, i64>(1)? as u64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn unresolved_items(conn: &Connection) -> Result<Vec<i64>, StoreError> {
    let mut st = conn.prepare(sql::UNRESOLVED)?;
    let rows = st.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn extraction_by_prefix(
    conn: &Connection,
    prefix: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(conn
        .query_row(sql::EXTRACTION_BY_PREFIX, [format!("{prefix}%")], |r| {
            r.get(0)
        })
        .optional()?)
}

pub(super) fn carrier_items(
    conn: &Connection,
    sha256: &[u8],
) -> Result<Vec<CarrierItem>, StoreError> {
    let mut st = conn.prepare(sql::CARRIER_ITEMS)?;
    let rows = st.query_map([sha256], |r| {
        Ok(CarrierItem {
            item_id: r.get(0)?,
            name: r.get(1)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn message_counts(conn: &Connection) -> Result<MessageCounts, StoreError> {
    let (messages, distinct): (i64, i64) =
        conn.query_row(sql::MESSAGE_COUNTS, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(MessageCounts {
        messages: messages as u64,
        distinct: distinct as u64,
    })
}
