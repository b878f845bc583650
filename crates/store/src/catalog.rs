//! The SQLite catalog: every item, its outcome and provenance, messages, blobs.
//!
//! Writes come from one writer (the ingest's catalog thread) in batches, each one SQLite
//! transaction committed after the pack bytes it references are synced. Reads may come from
//! any number of connections (WAL mode).

use std::collections::HashSet;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};

use crate::StoreError;
use crate::blobs::{BlobRef, Location, PackWriter};
use crate::model::{BlobData, Codec, NewItem, Outcome, Parent};

pub const SCHEMA_VERSION: &str = "1";
const SCHEMA: &str = include_str!("schema.sql");

/// The catalog database of a case.
pub struct Catalog {
    pub(crate) conn: Connection,
}

/// What the catalog knows about an item, for resuming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemState {
    pub id: i64,
    pub complete: bool,
    pub size: u64,
    pub mtime: Option<i64>,
    pub outcome: String,
    pub resume_at: Option<u64>,
}

/// What became of an item handed to [`Batch::write_item`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub id: i64,
    /// The item was already in the catalog (a resumed run); nothing was changed.
    pub existed: bool,
    /// The outcome recorded ("stored", "duplicate", …).
    pub outcome: &'static str,
}

impl Catalog {
    /// Opens (creating if needed) the catalog for reading and writing.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(60))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        conn.pragma_update(None, "cache_size", -65536)?;
        conn.execute_batch(SCHEMA)?;
        let version: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| r.get(0)).optional()?;
        match version.as_deref() {
            None => {
                conn.execute("INSERT INTO meta (key, value) VALUES ('schema', ?1)", [SCHEMA_VERSION])?;
            }
            Some(SCHEMA_VERSION) => {}
            Some(other) => {
                return Err(StoreError::Schema(format!("catalog schema {other}, this trove reads {SCHEMA_VERSION}")));
            }
        }
        Ok(Catalog { conn })
    }

    /// Opens an existing catalog read-only.
    pub fn open_read(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(std::time::Duration::from_secs(60))?;
        Ok(Catalog { conn })
    }

    /// The raw connection, for queries this crate does not wrap.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The id of a source label, created on first use.
    pub fn ensure_source(&self, label: &str) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO sources (label, created_at) VALUES (?1, ?2) ON CONFLICT (label) DO NOTHING",
            params![label, now()],
        )?;
        Ok(self.conn.query_row("SELECT id FROM sources WHERE label = ?1", [label], |r| r.get(0))?)
    }

    /// Records the start of an ingest run. Runs left `running` by a crash become `interrupted`.
    pub fn begin_run(&self, source: i64, command: &str, inputs: &[String]) -> Result<i64, StoreError> {
        self.conn.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'", [])?;
        self.conn.execute(
            "INSERT INTO runs (source_id, started_at, status, command, inputs) VALUES (?1, ?2, 'running', ?3, ?4)",
            params![source, now(), command, serde_json::to_string(inputs).unwrap_or_default()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn finish_run(&self, run: i64, status: &str, stats: &serde_json::Value) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE runs SET finished_at = ?2, status = ?3, stats = ?4 WHERE id = ?1",
            params![run, now(), status, stats.to_string()],
        )?;
        Ok(())
    }

    /// Per pack, the end of the last blob recorded (for [`PackWriter::open`]).
    pub fn pack_ends(&self) -> Result<Vec<(u32, u64)>, StoreError> {
        let mut st = self.conn.prepare(
            "SELECT pack, MAX(pack_offset + stored_size) FROM blobs WHERE pack IS NOT NULL GROUP BY pack",
        )?;
        let rows = st.query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The catalog's state for one item.
    pub fn item_state(&self, source: i64, locator: &str) -> Result<Option<ItemState>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, complete, size, mtime, outcome, resume_at FROM items WHERE source_id = ?1 AND locator = ?2",
        )?;
        Ok(st
            .query_row(params![source, locator], |r| {
                Ok(ItemState {
                    id: r.get(0)?,
                    complete: r.get::<_, i64>(1)? != 0,
                    size: r.get::<_, i64>(2)? as u64,
                    mtime: r.get(3)?,
                    outcome: r.get(4)?,
                    resume_at: r.get::<_, Option<i64>>(5)?.map(|v| v as u64),
                })
            })
            .optional()?)
    }

    /// Locators of an item's direct children already recorded.
    pub fn child_locators(&self, parent: i64) -> Result<HashSet<String>, StoreError> {
        let mut st = self.conn.prepare_cached("SELECT locator FROM items WHERE parent_id = ?1")?;
        let rows = st.query_map([parent], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Direct children of an item: locator → (id, complete).
    pub fn children_state(&self, parent: i64) -> Result<std::collections::HashMap<String, (i64, bool)>, StoreError> {
        let mut st = self.conn.prepare_cached("SELECT locator, id, complete FROM items WHERE parent_id = ?1")?;
        let rows = st.query_map([parent], |r| Ok((r.get::<_, String>(0)?, (r.get::<_, i64>(1)?, r.get::<_, i64>(2)? != 0))))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Where a blob is.
    pub fn blob(&self, sha256: &[u8; 32]) -> Result<Option<BlobRef>, StoreError> {
        let mut st = self.conn.prepare_cached("SELECT size, codec, pack, pack_offset, stored_size FROM blobs WHERE sha256 = ?1")?;
        let row = st
            .query_row([&sha256[..]], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<u32>>(2)?, r.get::<_, Option<i64>>(3)?, r.get::<_, i64>(4)?))
            })
            .optional()?;
        let Some((size, codec, pack, offset, stored)) = row else { return Ok(None) };
        let codec = Codec::parse(&codec).ok_or_else(|| StoreError::Corrupt(format!("unknown codec {codec}")))?;
        let location = match (pack, offset) {
            (Some(pack), Some(offset)) => Location::Pack { pack, offset: offset as u64, len: stored as u64 },
            _ => Location::Large,
        };
        Ok(Some(BlobRef { sha256: *sha256, size: size as u64, codec, location }))
    }

    /// Starts a write batch (one transaction).
    pub fn batch(&mut self) -> Result<Batch<'_>, StoreError> {
        Ok(Batch { tx: self.conn.transaction()? })
    }
}

/// One transaction of writes.
pub struct Batch<'a> {
    tx: Transaction<'a>,
}

impl Batch<'_> {
    /// The id of an item by locator.
    pub fn item_id(&self, source: i64, locator: &str) -> Result<Option<i64>, StoreError> {
        let mut st = self.tx.prepare_cached("SELECT id FROM items WHERE source_id = ?1 AND locator = ?2")?;
        Ok(st.query_row(params![source, locator], |r| r.get(0)).optional()?)
    }

    /// Records one item (and its blob and message) unless it is already recorded.
    ///
    /// Exact duplicates are decided here, deterministically: of all items with the same bytes,
    /// the one with the smallest (source, locator) is `stored` and the others are `duplicate`
    /// of it, whatever order they arrive in. That makes a resumed or parallel run end with the
    /// same catalog as a sequential one.
    pub fn write_item(&mut self, source: i64, run: i64, packs: &mut PackWriter, item: &NewItem) -> Result<Written, StoreError> {
        if let Some(id) = self.item_id(source, &item.locator)? {
            return Ok(Written { id, existed: true, outcome: "existing" });
        }
        let parent_id = match &item.parent {
            Parent::None => None,
            Parent::Locator(l) => Some(self.item_id(source, l)?.ok_or_else(|| {
                StoreError::Corrupt(format!("parent {l} of {} is not in the catalog", item.locator))
            })?),
        };
        let mut outcome = item.outcome.clone();
        let mut duplicate_of: Option<i64> = None;
        let mut demote: Option<i64> = None;
        if let Some(blob) = &item.blob {
            let sha = blob.sha256();
            let known: bool = self
                .tx
                .prepare_cached("SELECT 1 FROM blobs WHERE sha256 = ?1")?
                .query_row([&sha[..]], |_| Ok(()))
                .optional()?
                .is_some();
            if known {
                let canonical: Option<(i64, i64, String)> = self
                    .tx
                    .prepare_cached("SELECT id, source_id, locator FROM items WHERE sha256 = ?1 AND outcome = 'stored' LIMIT 1")?
                    .query_row([&sha[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .optional()?;
                if let Some((cid, csource, clocator)) = canonical {
                    if (source, item.locator.as_str()) < (csource, clocator.as_str()) {
                        demote = Some(cid);
                    } else {
                        outcome = Outcome::Duplicate;
                        duplicate_of = Some(cid);
                    }
                }
            } else {
                self.put_blob(packs, blob)?;
            }
        }
        let meta = item.meta.as_ref().map(|m| m.to_string());
        self.tx
            .prepare_cached(
                "INSERT INTO items (source_id, parent_id, locator, name, kind, format, byte_offset, byte_length, size,
                    sha256, outcome, reason, duplicate_of, folder, flags, meta, mtime, complete, run_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
            )?
            .execute(params![
                source,
                parent_id,
                item.locator,
                item.name,
                item.kind.as_str(),
                item.format,
                item.offset.map(|v| v as i64),
                item.length.map(|v| v as i64),
                item.size as i64,
                item.sha256.as_ref().map(|s| &s[..]),
                outcome.as_str(),
                outcome.reason(),
                duplicate_of,
                item.folder,
                item.flags,
                meta,
                item.mtime,
                item.complete as i64,
                run,
            ])?;
        let id = self.tx.last_insert_rowid();
        if let Some(old) = demote {
            self.tx.prepare_cached("UPDATE items SET duplicate_of = ?1 WHERE duplicate_of = ?2")?.execute(params![id, old])?;
            self.tx
                .prepare_cached("UPDATE items SET outcome = 'duplicate', duplicate_of = ?1 WHERE id = ?2")?
                .execute(params![id, old])?;
        }
        if let (Some(m), Some(blob)) = (&item.message, &item.blob) {
            let message_id = self.put_message(id, blob, m, demote.is_some())?;
            self.tx.prepare_cached("UPDATE items SET message = ?1 WHERE id = ?2")?.execute(params![message_id, id])?;
        } else if let (None, Some(blob)) = (&item.message, &item.blob) {
            // A document outside any message (a PDF in a folder, a member of a zip).
            self.enqueue("document", &blob.sha256())?;
        }
        Ok(Written { id, existed: false, outcome: outcome.as_str() })
    }

    fn put_blob(&mut self, packs: &mut PackWriter, blob: &BlobData) -> Result<(), StoreError> {
        let (sha, size, codec, pack, offset, stored) = match blob {
            BlobData::Inline { sha256, size, codec, bytes } => {
                let Location::Pack { pack, offset, len } = packs.append(bytes)? else {
                    return Err(StoreError::Corrupt("pack append returned no pack".into()));
                };
                (sha256, *size, *codec, Some(pack), Some(offset as i64), len)
            }
            BlobData::Large { sha256, size, codec, stored_size } => (sha256, *size, *codec, None, None, *stored_size),
        };
        self.tx
            .prepare_cached(
                "INSERT INTO blobs (sha256, size, codec, pack, pack_offset, stored_size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![&sha[..], size as i64, codec.as_str(), pack, offset, stored as i64])?;
        Ok(())
    }

    /// The message row for a blob: inserted the first time, re-pointed at a new canonical item
    /// when `repoint`.
    fn put_message(&mut self, item: i64, blob: &BlobData, m: &crate::model::MessageRecord, repoint: bool) -> Result<i64, StoreError> {
        let sha = blob.sha256();
        let existing: Option<i64> = self
            .tx
            .prepare_cached("SELECT id FROM messages WHERE sha256 = ?1")?
            .query_row([&sha[..]], |r| r.get(0))
            .optional()?;
        if let Some(id) = existing {
            if repoint {
                self.tx.prepare_cached("UPDATE messages SET item_id = ?1 WHERE id = ?2")?.execute(params![item, id])?;
            }
            // A new location of a known message: its index document lists locations.
            self.enqueue("message", &m.content_key)?;
            return Ok(id);
        }
        let size = match blob {
            BlobData::Inline { size, .. } | BlobData::Large { size, .. } => *size,
        };
        self.tx
            .prepare_cached(
                "INSERT INTO messages (sha256, item_id, content_key, message_id, in_reply_to, refs, subject, date, date_raw,
                    date_source, from_name, from_addr, size, text_len, has_html, attachments, problems)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )?
            .execute(params![
                &sha[..],
                item,
                &m.content_key[..],
                m.message_id,
                json_list(&m.in_reply_to),
                json_list(&m.references),
                m.subject,
                m.date,
                m.date_raw,
                m.date_source,
                m.from_name,
                m.from_addr,
                size as i64,
                m.text_len as i64,
                m.has_html as i64,
                m.attachments.len() as i64,
                (!m.problems.is_empty()).then(|| m.problems.join(",")),
            ])?;
        let id = self.tx.last_insert_rowid();
        {
            let mut st = self.tx.prepare_cached(
                "INSERT INTO addresses (message, role, pos, name, address, grp) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (pos, a) in m.addresses.iter().enumerate() {
                st.execute(params![id, a.role, pos as i64, a.name, a.address, a.group])?;
            }
        }
        {
            let mut st = self.tx.prepare_cached(
                "INSERT INTO attachments (message, part, name, mime, disposition, content_id, size, sha256, is_message)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (message, part) DO NOTHING",
            )?;
            for a in &m.attachments {
                st.execute(params![id, a.part, a.name, a.mime, a.disposition, a.content_id, a.size as i64, &a.sha256[..], a.is_message as i64])?;
            }
        }
        self.thread(id, m)?;
        self.enqueue("message", &m.content_key)?;
        Ok(id)
    }

    /// Records the message's references and assigns its thread.
    fn thread(&mut self, id: i64, m: &crate::model::MessageRecord) -> Result<(), StoreError> {
        let mut refs: Vec<&str> = m.in_reply_to.iter().chain(&m.references).map(String::as_str).collect();
        refs.sort_unstable();
        refs.dedup();
        refs.retain(|r| Some(*r) != m.message_id.as_deref());
        {
            let mut st = self.tx.prepare_cached("INSERT INTO message_refs (message, ref) VALUES (?1, ?2)")?;
            for r in &refs {
                st.execute(params![id, r])?;
            }
        }
        let subject = m.subject.as_deref().unwrap_or("");
        let base = trove_formats::identity::base_subject(subject);
        let header_poor = refs.is_empty() && base != trove_formats::identity::normalize_text(subject);
        self.tx
            .prepare_cached("UPDATE messages SET base_subject = ?1, header_poor = ?2 WHERE id = ?3")?
            .execute(params![base, header_poor as i64, id])?;
        let mut participants: Vec<&str> = m.addresses.iter().filter_map(|a| a.address.as_deref()).collect();
        participants.sort_unstable();
        participants.dedup();
        participants.truncate(50);
        let input = crate::threads::ThreadInput {
            message: id,
            key_hex: hex::encode(m.content_key),
            message_id: m.message_id.as_deref(),
            refs,
            base_subject: &base,
            header_poor,
            date: m.date,
            participants,
        };
        for key in crate::threads::assign(&self.tx, &input)? {
            self.enqueue("message", &key)?;
        }
        Ok(())
    }

    /// Asks the index to (re)build the document for a message or a loose document.
    pub fn enqueue(&mut self, kind: &str, key: &[u8]) -> Result<(), StoreError> {
        self.tx.prepare_cached("INSERT INTO index_queue (kind, key) VALUES (?1, ?2)")?.execute(params![kind, key])?;
        Ok(())
    }

    /// Points a message's attachment at the item opened from it.
    pub fn link_attachment(&mut self, message_item: i64, part: u32, child: i64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE attachments SET item_id = ?3 WHERE part = ?2 AND item_id IS NULL
                   AND message = (SELECT message FROM items WHERE id = ?1)",
            )?
            .execute(params![message_item, part, child])?;
        Ok(())
    }

    /// Marks a container complete (every member has its outcome) with its final outcome:
    /// `container` (perhaps damaged), or `failed`/`skipped` when it could not be opened.
    pub fn complete(&mut self, id: i64, outcome: &Outcome) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE items SET complete = 1, outcome = ?2, reason = ?3 WHERE id = ?1")?
            .execute(params![id, outcome.as_str(), outcome.reason()])?;
        Ok(())
    }

    /// Records that every member of a container before `offset` is in the catalog.
    pub fn set_resume(&mut self, id: i64, offset: u64) -> Result<(), StoreError> {
        self.tx.prepare_cached("UPDATE items SET resume_at = ?2 WHERE id = ?1")?.execute(params![id, offset as i64])?;
        Ok(())
    }

    /// Syncs the packs, then commits.
    pub fn commit(self, packs: &mut PackWriter) -> Result<(), StoreError> {
        packs.sync()?;
        self.tx.commit()?;
        Ok(())
    }
}

fn json_list(v: &[String]) -> Option<String> {
    (!v.is_empty()).then(|| serde_json::to_string(v).unwrap_or_default())
}

/// Now, as RFC 3339 UTC.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
