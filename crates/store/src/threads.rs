//! Threads, assigned as messages are written, in the same transaction.
//!
//! A thread is a connected component of messages linked by Message-ID, In-Reply-To and
//! References: a message joins the thread of every message it refers to, of every message
//! that refers to it, and of every message that refers to the same ids (siblings whose parent
//! is missing from the corpus). Header-poor mail (a reply by its subject, `RE: …`, with no
//! references) joins the latest earlier message with the same base subject that shares a
//! participant, within [`SUBJECT_WINDOW`]; and a message arriving after such orphaned replies
//! adopts them. When threads merge, the smallest content key in them becomes the id, so the
//! ids do not depend on the order messages arrive in.

use std::collections::BTreeSet;

use rusqlite::{OptionalExtension, Transaction, params};

use crate::StoreError;

/// How far apart a header-poor reply and its thread may be.
pub const SUBJECT_WINDOW: i64 = 90 * 86_400;

/// Threads of the messages with Message-ID `?1`.
const BY_ID: &str = "SELECT thread FROM messages WHERE message_id = ?1 AND thread IS NOT NULL";
/// Threads of the messages referring to `?1`.
const BY_REF: &str = "SELECT m.thread FROM message_refs r JOIN messages m ON m.id = r.message WHERE r.ref = ?1 AND m.thread IS NOT NULL";
/// Messages of thread `?1`.
const THREAD_KEYS: &str = "SELECT DISTINCT content_key FROM messages WHERE thread = ?1";

/// What threading needs to know about a new message.
pub struct ThreadInput<'a> {
    pub message: i64,
    pub key_hex: String,
    pub message_id: Option<&'a str>,
    pub refs: Vec<&'a str>,
    pub base_subject: &'a str,
    pub header_poor: bool,
    pub date: Option<i64>,
    pub participants: Vec<&'a str>,
}

/// Finds the new message's thread, merging the threads it connects. Returns the thread id and
/// the content keys of other messages whose thread changed (their index documents need
/// rebuilding). Called before the message's own row and references are written.
pub fn assign(
    tx: &Transaction<'_>,
    m: &ThreadInput<'_>,
) -> Result<(String, Vec<Vec<u8>>), StoreError> {
    let mut threads: BTreeSet<String> = BTreeSet::new();
    {
        let mut by_id = tx.prepare_cached(BY_ID)?;
        let mut by_ref = tx.prepare_cached(BY_REF)?;
        for r in &m.refs {
            for t in by_id.query_map([r], |row| row.get::<_, String>(0))? {
                threads.insert(t?);
            }
            // Siblings: other messages referring to the same id.
            for t in by_ref.query_map([r], |row| row.get::<_, String>(0))? {
                threads.insert(t?);
            }
        }
        if let Some(id) = m.message_id {
            // Children that arrived first, and other copies carrying the same id.
            for t in by_ref.query_map([id], |row| row.get::<_, String>(0))? {
                threads.insert(t?);
            }
            for t in by_id.query_map([id], |row| row.get::<_, String>(0))? {
                threads.insert(t?);
            }
        }
    }
    if let (Some(date), false) = (m.date, m.base_subject.is_empty()) {
        if m.header_poor
            && threads.is_empty()
            && let Some(t) = subject_match(tx, m, date - SUBJECT_WINDOW, date, false)?
        {
            threads.insert(t);
        }
        // Header-poor replies that arrived before the message they answer.
        let mut orphans = subject_matches(tx, m, date, date + SUBJECT_WINDOW)?;
        threads.append(&mut orphans);
    }
    let mut id = m.key_hex.clone();
    if let Some(min) = threads.iter().next()
        && *min < id
    {
        id = min.clone();
    }
    let mut changed = Vec::new();
    for t in threads.iter().filter(|t| **t != id) {
        let mut st = tx.prepare_cached(THREAD_KEYS)?;
        for k in st.query_map([t], |r| r.get::<_, Vec<u8>>(0))? {
            changed.push(k?);
        }
        tx.prepare_cached("UPDATE messages SET thread = ?1 WHERE thread = ?2")?
            .execute(params![id, t])?;
    }
    Ok((id, changed))
}

fn participants_sql(n: usize) -> String {
    (0..n)
        .map(|i| format!("?{}", i + 5))
        .collect::<Vec<_>>()
        .join(",")
}

/// The latest earlier message with the base subject `?1`, dated `?2..?3`, that is not `?4` and
/// shares one of the `n` participants `?5…`.
fn earlier_sql(n: usize) -> String {
    format!(
        "SELECT x.thread FROM messages x WHERE x.base_subject = ?1 AND x.date BETWEEN ?2 AND ?3 AND x.id != ?4
           AND x.thread IS NOT NULL
           AND EXISTS (SELECT 1 FROM addresses a WHERE a.message = x.id AND a.address IN ({}))
         ORDER BY x.date DESC, x.thread LIMIT 1",
        participants_sql(n)
    )
}

/// The same, of header-poor messages only (run for every message written: it reads only the
/// partial index of header-poor messages, not every message with the subject).
fn orphans_sql(n: usize) -> String {
    format!(
        "SELECT DISTINCT x.thread FROM messages x WHERE x.base_subject = ?1 AND x.date BETWEEN ?2 AND ?3 AND x.id != ?4
           AND x.header_poor = 1 AND x.thread IS NOT NULL
           AND EXISTS (SELECT 1 FROM addresses a WHERE a.message = x.id AND a.address IN ({}))",
        participants_sql(n)
    )
}

/// The thread of the latest earlier message with the same base subject sharing a participant.
fn subject_match(
    tx: &Transaction<'_>,
    m: &ThreadInput<'_>,
    from: i64,
    to: i64,
    _: bool,
) -> Result<Option<String>, StoreError> {
    if m.participants.is_empty() {
        return Ok(None);
    }
    let mut st = tx.prepare_cached(&earlier_sql(m.participants.len()))?;
    let mut p: Vec<&dyn rusqlite::ToSql> = vec![&m.base_subject, &from, &to, &m.message];
    for a in &m.participants {
        p.push(a);
    }
    Ok(st
        .query_row(p.as_slice(), |r| r.get::<_, String>(0))
        .optional()?)
}

/// Threads of later header-poor replies with the same base subject sharing a participant.
fn subject_matches(
    tx: &Transaction<'_>,
    m: &ThreadInput<'_>,
    from: i64,
    to: i64,
) -> Result<BTreeSet<String>, StoreError> {
    let mut out = BTreeSet::new();
    if m.participants.is_empty() {
        return Ok(out);
    }
    let mut st = tx.prepare_cached(&orphans_sql(m.participants.len()))?;
    let mut p: Vec<&dyn rusqlite::ToSql> = vec![&m.base_subject, &from, &to, &m.message];
    for a in &m.participants {
        p.push(a);
    }
    for t in st.query_map(p.as_slice(), |r| r.get::<_, String>(0))? {
        out.insert(t?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(sql: &str) -> String {
        assert_eq!(
            crate::query::full_scans(sql).unwrap(),
            Vec::<String>::new(),
            "{sql}"
        );
        crate::query::plan(sql).unwrap().join("\n")
    }

    #[test]
    fn threading_reads_indexes_only() {
        assert!(plan(&earlier_sql(2)).contains("messages_base_subject"));
        // Every message written asks for orphans: only header-poor ones may be read.
        assert!(
            plan(&orphans_sql(2)).contains("messages_poor_subject"),
            "{}",
            plan(&orphans_sql(2))
        );
        for sql in [BY_ID, BY_REF, THREAD_KEYS] {
            plan(sql);
        }
    }
}
