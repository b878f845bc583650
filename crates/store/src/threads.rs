//! Threads, assigned as messages are written, in the same transaction.
//!
//! A thread is a connected component of a graph whose links are fixed by the set of messages
//! alone, never by the order they arrive in:
//! - Message-ID, In-Reply-To and References: a message is linked to every message it refers
//!   to, every message that refers to it, and every message that refers to the same ids
//!   (siblings whose parent is missing from the corpus);
//! - copies: messages with one content key (the same message in many mailboxes);
//! - a header-poor reply (`RE: …` with no references) is linked to its *subject parent*: the
//!   latest message dated at or before it, within [`SUBJECT_WINDOW`], with the same base
//!   subject and a shared participant and another content key (ties go to the larger content
//!   key).
//!
//! Writing a message adds its links. A message can also be a better subject parent for replies
//! written before it (it is later than their parent, yet not after them); they move to it,
//! their old link goes, and the thread that held them is regrouped from its stored links (it
//! may split). The id of a thread is the smallest content key (hex) in it. So every order of
//! the same messages, any number of workers and any resume end in the same threads.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rusqlite::{OptionalExtension, Transaction, params};

use crate::StoreError;

/// How far apart a header-poor reply and its subject parent may be.
pub const SUBJECT_WINDOW: i64 = 90 * 86_400;

/// Threads of the messages with Message-ID `?1`.
const BY_ID: &str = "SELECT thread FROM messages WHERE message_id = ?1 AND thread IS NOT NULL";
/// Threads of the messages referring to `?1`.
const BY_REF: &str = "SELECT m.thread FROM message_refs r JOIN messages m ON m.id = r.message WHERE r.ref = ?1 AND m.thread IS NOT NULL";
/// Threads of the copies of content key `?1`.
const BY_KEY: &str = "SELECT thread FROM messages WHERE content_key = ?1 AND thread IS NOT NULL";
/// Threads of the messages with content key `?1`, which a subject parent names.
const THREAD_KEYS: &str = "SELECT DISTINCT content_key FROM messages WHERE thread = ?1";
/// The links of the messages of thread `?1`.
const THREAD_LINKS: &str = "SELECT id, content_key, message_id, subject_parent, in_reply_to, refs
      FROM messages WHERE thread = ?1";
const SET_THREAD: &str = "UPDATE messages SET thread = ?1 WHERE id = ?2";
const MOVE_THREAD: &str = "UPDATE messages SET thread = ?1 WHERE thread = ?2";
const SET_PARENT: &str =
    "UPDATE messages SET subject_parent = ?1, subject_parent_date = ?2 WHERE id = ?3";

/// What threading needs to know about a new message.
pub struct ThreadInput<'a> {
    pub message: i64,
    pub key: &'a [u8],
    pub message_id: Option<&'a str>,
    pub refs: Vec<&'a str>,
    pub base_subject: &'a str,
    pub header_poor: bool,
    pub date: Option<i64>,
    pub participants: Vec<&'a str>,
}

/// The new message's place, decided by [`assign`].
#[derive(Debug, Default)]
pub struct Assigned {
    /// Its thread id (write it with the row).
    pub thread: String,
    /// Its subject parent (content key) and that parent's date, for header-poor replies.
    pub subject_parent: Option<(Vec<u8>, i64)>,
    /// Content keys of other messages whose thread changed (their index documents).
    pub changed: Vec<Vec<u8>>,
    /// Links were removed: call [`regroup`] on `thread` once the row and refs are written.
    pub regroup: bool,
}

/// Finds the new message's thread, merging the threads it links, and moves to it the earlier
/// header-poor replies it is now the subject parent of. Called before the message's own row
/// and references are written.
pub fn assign(tx: &Transaction<'_>, m: &ThreadInput<'_>) -> Result<Assigned, StoreError> {
    let mut threads: BTreeSet<String> = BTreeSet::new();
    {
        let mut by_id = tx.prepare_cached(BY_ID)?;
        let mut by_ref = tx.prepare_cached(BY_REF)?;
        let mut collect = |st: &mut rusqlite::CachedStatement<'_>,
                           arg: &dyn rusqlite::ToSql|
         -> Result<(), StoreError> {
            for t in st.query_map([arg], |row| row.get::<_, String>(0))? {
                threads.insert(t?);
            }
            Ok(())
        };
        for r in &m.refs {
            collect(&mut by_id, r)?;
            // Siblings: other messages referring to the same id.
            collect(&mut by_ref, r)?;
        }
        if let Some(id) = m.message_id {
            // Children that arrived first, and other copies carrying the same id.
            collect(&mut by_ref, &id)?;
            collect(&mut by_id, &id)?;
        }
        collect(&mut tx.prepare_cached(BY_KEY)?, &m.key)?;
    }
    let mut out = Assigned::default();
    if let (Some(date), false) = (
        m.date,
        m.base_subject.is_empty() || m.participants.is_empty(),
    ) {
        if m.header_poor
            && let Some((thread, key, pdate)) = subject_parent(tx, m, date)?
        {
            threads.insert(thread);
            out.subject_parent = Some((key, pdate));
        }
        // Replies written earlier whose subject parent this message is now.
        for (id, thread, had_parent) in adopted(tx, m, date)? {
            tx.prepare_cached(SET_PARENT)?
                .execute(params![m.key, date, id])?;
            out.regroup |= had_parent;
            threads.insert(thread);
        }
    }
    let own = hex::encode(m.key);
    out.thread = match threads.iter().next() {
        Some(min) if *min < own => min.clone(),
        _ => own,
    };
    for t in threads.iter().filter(|t| **t != out.thread) {
        let mut st = tx.prepare_cached(THREAD_KEYS)?;
        for k in st.query_map([t], |r| r.get::<_, Vec<u8>>(0))? {
            out.changed.push(k?);
        }
        tx.prepare_cached(MOVE_THREAD)?
            .execute(params![out.thread, t])?;
    }
    Ok(out)
}

/// Recomputes the threads of the messages now in `thread` from their stored links, after a
/// link between them was removed: the thread may split. Returns the content keys of messages
/// whose thread changed.
pub fn regroup(tx: &Transaction<'_>, thread: &str) -> Result<Vec<Vec<u8>>, StoreError> {
    struct Member {
        id: i64,
        key: Vec<u8>,
        tokens: Vec<String>,
    }
    let mut members = Vec::new();
    {
        let mut links = tx.prepare_cached(THREAD_LINKS)?;
        let rows = links.query_map([thread], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<Vec<u8>>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        for row in rows {
            let (id, key, message_id, parent, in_reply_to, refs) = row?;
            // Two messages are linked when they share a token.
            let mut tokens = vec![format!("k:{}", hex::encode(&key))];
            tokens.extend(message_id.map(|i| format!("i:{i}")));
            tokens.extend(parent.map(|p| format!("k:{}", hex::encode(p))));
            for list in [in_reply_to, refs].into_iter().flatten() {
                let ids: Vec<String> = serde_json::from_str(&list)
                    .map_err(|e| StoreError::Corrupt(format!("references of message {id}: {e}")))?;
                tokens.extend(ids.into_iter().map(|i| format!("i:{i}")));
            }
            members.push(Member { id, key, tokens });
        }
    }
    let mut sets = UnionFind::new(members.len());
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, m) in members.iter().enumerate() {
        for t in &m.tokens {
            match first.get(t.as_str()) {
                Some(&j) => sets.union(i, j),
                None => {
                    first.insert(t, i);
                }
            }
        }
    }
    // Each component takes the smallest content key in it as its id.
    let mut ids: BTreeMap<usize, String> = BTreeMap::new();
    for (i, m) in members.iter().enumerate() {
        let hex = hex::encode(&m.key);
        let id = ids.entry(sets.find(i)).or_insert_with(|| hex.clone());
        if hex < *id {
            *id = hex;
        }
    }
    let mut changed = Vec::new();
    let mut set = tx.prepare_cached(SET_THREAD)?;
    for (i, m) in members.iter().enumerate() {
        let id = &ids[&sets.find(i)];
        if id != thread {
            set.execute(params![id, m.id])?;
            changed.push(m.key.clone());
        }
    }
    Ok(changed)
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind((0..n).collect())
    }
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        self.0[a.max(b)] = a.min(b);
    }
}

fn participants_sql(n: usize) -> String {
    (0..n)
        .map(|i| format!("?{}", i + 5))
        .collect::<Vec<_>>()
        .join(",")
}

/// The subject parent of a reply: the latest message with the base subject `?1`, dated
/// `?2..=?3`, with a content key other than `?4`, that shares one of the `n` participants `?5…`.
fn parent_sql(n: usize) -> String {
    format!(
        "SELECT x.thread, x.content_key, x.date FROM messages x
          WHERE x.base_subject = ?1 AND x.date BETWEEN ?2 AND ?3 AND x.content_key != ?4
            AND x.thread IS NOT NULL
            AND EXISTS (SELECT 1 FROM addresses a WHERE a.message = x.id AND a.address IN ({}))
          ORDER BY x.date DESC, x.content_key DESC LIMIT 1",
        participants_sql(n)
    )
}

/// Header-poor replies with the base subject `?1`, dated `?2..=?3`, another content key than
/// `?4`, a shared participant, and a subject parent older than the message (`?2`, `?4`) or
/// none. Run for every message written: it reads only the partial index of header-poor
/// messages, not every message with the subject.
fn adopted_sql(n: usize) -> String {
    format!(
        "SELECT x.id, x.thread, x.subject_parent IS NOT NULL FROM messages x
          WHERE x.base_subject = ?1 AND x.date BETWEEN ?2 AND ?3 AND x.content_key != ?4
            AND x.header_poor = 1 AND x.thread IS NOT NULL
            AND (x.subject_parent IS NULL OR x.subject_parent_date < ?2
                 OR (x.subject_parent_date = ?2 AND x.subject_parent < ?4))
            AND EXISTS (SELECT 1 FROM addresses a WHERE a.message = x.id AND a.address IN ({}))",
        participants_sql(n)
    )
}

fn subject_params<'a>(
    m: &'a ThreadInput<'_>,
    from: &'a i64,
    to: &'a i64,
) -> Vec<&'a dyn rusqlite::ToSql> {
    let mut p: Vec<&dyn rusqlite::ToSql> = vec![&m.base_subject, from, to, &m.key];
    for a in &m.participants {
        p.push(a);
    }
    p
}

/// The thread, content key and date of the subject parent of a header-poor reply.
fn subject_parent(
    tx: &Transaction<'_>,
    m: &ThreadInput<'_>,
    date: i64,
) -> Result<Option<(String, Vec<u8>, i64)>, StoreError> {
    let from = date - SUBJECT_WINDOW;
    let mut st = tx.prepare_cached(&parent_sql(m.participants.len()))?;
    Ok(st
        .query_row(subject_params(m, &from, &date).as_slice(), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?)
}

/// Replies written earlier that this message is a better subject parent for: their id,
/// thread, and whether they had a parent before.
fn adopted(
    tx: &Transaction<'_>,
    m: &ThreadInput<'_>,
    date: i64,
) -> Result<Vec<(i64, String, bool)>, StoreError> {
    let to = date + SUBJECT_WINDOW;
    let mut st = tx.prepare_cached(&adopted_sql(m.participants.len()))?;
    let rows = st.query_map(subject_params(m, &date, &to).as_slice(), |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(sql: &str) -> String {
        assert_eq!(
            crate::sql::full_scans(sql).unwrap(),
            Vec::<String>::new(),
            "{sql}"
        );
        crate::sql::plan(sql).unwrap().join("\n")
    }

    #[test]
    fn threading_reads_indexes_only() {
        assert!(plan(&parent_sql(2)).contains("messages_base_subject"));
        // Every message written asks for replies to adopt: only header-poor ones may be read.
        let adopted = plan(&adopted_sql(2));
        assert!(adopted.contains("messages_poor_subject"), "{adopted}");
        for sql in [BY_ID, BY_REF, BY_KEY, THREAD_KEYS, THREAD_LINKS, SET_THREAD] {
            plan(sql);
        }
    }

    #[test]
    fn union_find_joins_transitively() {
        let mut u = UnionFind::new(5);
        u.union(3, 4);
        u.union(1, 4);
        assert_eq!(u.find(3), u.find(1));
        assert_ne!(u.find(0), u.find(1));
        assert_eq!(u.find(4), 1);
    }
}
