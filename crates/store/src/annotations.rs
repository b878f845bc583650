//! Tags and notes: what reporters add to the messages of a case, shared by everyone working on
//! it. They live in the case's catalog (tables `tags` and `notes`, see `schema.sql`) and are
//! keyed by a message's content key, so that every copy of a message carries them.
//!
//! The web app writes them; checking tag and note text is its job, these operations store what
//! they are given.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::{Catalog, StoreError};

/// A tag on a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tag {
    pub tag: String,
    pub author: Option<String>,
    /// When it was added (RFC 3339).
    pub at: String,
}

/// A note on a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub id: i64,
    pub author: Option<String>,
    pub at: String,
    pub text: String,
}

/// A tag of the case and how many messages carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagCount {
    pub tag: String,
    pub count: i64,
    /// When it was last added.
    pub last_at: String,
}

/// A note of the case with the message it is on: its first item and its subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseNote {
    pub id: i64,
    pub author: Option<String>,
    pub at: String,
    pub text: String,
    pub item: Option<i64>,
    pub subject: Option<String>,
}

/// Which notes of the case to list: newest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoteFilter<'a> {
    pub author: Option<&'a str>,
    /// Only notes with a smaller id (paging back).
    pub before: Option<i64>,
    pub limit: i64,
}

/// The content key of the message an item is, if it is one.
pub fn content_key(cat: &Catalog, item: i64) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(cat
        .conn
        .query_row(
            "SELECT m.content_key FROM items i JOIN messages m ON m.id = i.message WHERE i.id = ?1",
            [item],
            |r| r.get(0),
        )
        .optional()?)
}

/// Tags a message (by content key) at `at`; tagging it again with the same tag changes nothing.
pub fn add_tag(
    cat: &Catalog,
    content_key: &[u8],
    tag: &str,
    author: &str,
    at: &str,
) -> Result<(), StoreError> {
    cat.conn.execute(
        "INSERT INTO tags (content_key, tag, author, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        params![content_key, tag, author, at],
    )?;
    Ok(())
}

/// Takes a tag off a message; `Ok(false)` if it did not carry it.
pub fn remove_tag(cat: &Catalog, content_key: &[u8], tag: &str) -> Result<bool, StoreError> {
    let n = cat.conn.execute(
        "DELETE FROM tags WHERE content_key = ?1 AND tag = ?2",
        params![content_key, tag],
    )?;
    Ok(n > 0)
}

/// The tags of a message, by tag.
pub fn tags(cat: &Catalog, content_key: &[u8]) -> Result<Vec<Tag>, StoreError> {
    let mut st = cat.conn.prepare_cached(
        "SELECT tag, author, created_at FROM tags WHERE content_key = ?1 ORDER BY tag",
    )?;
    let rows = st.query_map([content_key], |r| {
        Ok(Tag {
            tag: r.get(0)?,
            author: r.get(1)?,
            at: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every tag of the case, most used first (then by tag).
pub fn tag_counts(cat: &Catalog) -> Result<Vec<TagCount>, StoreError> {
    let mut st = cat.conn.prepare(
        "SELECT tag, COUNT(*), MAX(created_at) FROM tags GROUP BY tag ORDER BY COUNT(*) DESC, tag",
    )?;
    let rows = st.query_map([], |r| {
        Ok(TagCount {
            tag: r.get(0)?,
            count: r.get(1)?,
            last_at: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Adds a note to a message at `at`; its id.
pub fn add_note(
    cat: &Catalog,
    content_key: &[u8],
    author: &str,
    at: &str,
    text: &str,
) -> Result<i64, StoreError> {
    cat.conn.execute(
        "INSERT INTO notes (content_key, author, created_at, text) VALUES (?1, ?2, ?3, ?4)",
        params![content_key, author, at, text],
    )?;
    Ok(cat.conn.last_insert_rowid())
}

/// The notes of a message, oldest first.
pub fn notes(cat: &Catalog, content_key: &[u8]) -> Result<Vec<Note>, StoreError> {
    let mut st = cat.conn.prepare_cached(
        "SELECT id, author, created_at, text FROM notes WHERE content_key = ?1 ORDER BY id",
    )?;
    let rows = st.query_map([content_key], |r| {
        Ok(Note {
            id: r.get(0)?,
            author: r.get(1)?,
            at: r.get(2)?,
            text: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The notes of the case, newest first, each with the message it is on.
pub fn case_notes(cat: &Catalog, f: &NoteFilter<'_>) -> Result<Vec<CaseNote>, StoreError> {
    let mut st = cat.conn.prepare(
        "SELECT n.id, n.author, n.created_at, n.text,
                (SELECT MIN(m.item_id) FROM messages m WHERE m.content_key = n.content_key),
                (SELECT m.subject FROM messages m WHERE m.content_key = n.content_key LIMIT 1)
         FROM notes n WHERE (?1 IS NULL OR n.author = ?1) AND (?2 IS NULL OR n.id < ?2) ORDER BY n.id DESC LIMIT ?3",
    )?;
    let rows = st.query_map(params![f.author, f.before, f.limit], |r| {
        Ok(CaseNote {
            id: r.get(0)?,
            author: r.get(1)?,
            at: r.get(2)?,
            text: r.get(3)?,
            item: r.get(4)?,
            subject: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
