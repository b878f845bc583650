//! What moving through a case reads beyond the index: the messages of a thread, and the names
//! a person used.

use rusqlite::{Connection, params};

use crate::StoreError;

/// A message of a thread (its copies taken together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadMessage {
    pub content_key: Vec<u8>,
    /// The smallest item id among the copies.
    pub item_id: i64,
    pub subject: Option<String>,
    pub from_addr: Option<String>,
    pub from_name: Option<String>,
    pub date: Option<i64>,
    pub message_id: Option<String>,
    /// In-Reply-To, as a JSON list.
    pub in_reply_to: Option<String>,
    /// References, as a JSON list.
    pub refs: Option<String>,
    /// Copies of the message in the case.
    pub copies: u64,
}

pub(crate) mod sql {
    pub const THREAD: &str = "SELECT content_key, MIN(item_id), subject, from_addr, from_name, date, message_id, in_reply_to, refs, COUNT(*)
         FROM messages WHERE thread = ?1 GROUP BY content_key ORDER BY date, content_key";
    pub const NAMES: &str = "SELECT DISTINCT a.name FROM addresses a JOIN messages m ON m.id = a.message WHERE m.content_key = ?1 AND a.address = ?2 AND a.name IS NOT NULL";
}

pub(super) fn thread_messages(
    conn: &Connection,
    thread: &str,
) -> Result<Vec<ThreadMessage>, StoreError> {
    let mut st = conn.prepare_cached(sql::THREAD)?;
    let rows = st.query_map([thread], |r| {
        Ok(ThreadMessage {
            content_key: r.get(0)?,
            item_id: r.get(1)?,
            subject: r.get(2)?,
            from_addr: r.get(3)?,
            from_name: r.get(4)?,
            date: r.get(5)?,
            message_id: r.get(6)?,
            in_reply_to: r.get(7)?,
            refs: r.get(8)?,
            copies: r.get::<_, i64>(9)? as u64,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn names_used(
    conn: &Connection,
    content_key: &[u8],
    address: &str,
) -> Result<Vec<String>, StoreError> {
    let mut st = conn.prepare_cached(sql::NAMES)?;
    let rows = st.query_map(params![content_key, address], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn explore_statements_search_no_table() {
        for sql in [super::sql::NAMES] {
            let scans = crate::sql::full_scans(sql).unwrap();
            assert!(scans.is_empty(), "{scans:?} in {sql}");
        }
    }
}
