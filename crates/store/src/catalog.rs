//! The SQLite catalog: every item, its outcome and provenance, messages, blobs.
//!
//! Writes come from one writer (the ingest's catalog thread) in batches, each one SQLite
//! transaction committed after the pack bytes it references are synced. Reads may come from
//! any number of connections (WAL mode).

use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};

use crate::StoreError;
use crate::blobs::{BlobRef, Location, PackWriter};
use crate::model::{BlobData, Codec, NewItem, Outcome, Parent};

pub const SCHEMA_VERSION: &str = "2";
use crate::sql::SCHEMA;

/// Brings a catalog of an earlier build of this schema version up to date: columns added since
/// (`CREATE TABLE IF NOT EXISTS` leaves an existing table as it was).
fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let has = |table: &str, column: &str| -> Result<bool, StoreError> {
        let mut st = conn.prepare(&format!(
            "SELECT 1 FROM pragma_table_info('{table}') WHERE name = ?1"
        ))?;
        Ok(st.exists([column])?)
    };
    for (column, ty) in [
        ("subject_parent", "BLOB"),
        ("subject_parent_date", "INTEGER"),
    ] {
        if !has("messages", column)? {
            conn.execute_batch(&format!("ALTER TABLE messages ADD COLUMN {column} {ty}"))?;
        }
    }
    Ok(())
}

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
        // Checkpoint the WAL every 64 MiB rather than every 4 MiB: fewer fsyncs while ingesting.
        conn.pragma_update(None, "wal_autocheckpoint", 16384)?;
        // Every statement of the write path stays prepared.
        conn.set_prepared_statement_cache_capacity(256);
        conn.execute_batch(SCHEMA)?;
        migrate(&conn)?;
        let version: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .optional()?;
        match version.as_deref() {
            None => {
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', ?1)",
                    [SCHEMA_VERSION],
                )?;
            }
            Some(SCHEMA_VERSION) => {}
            Some(other) => {
                return Err(StoreError::Schema(format!(
                    "catalog schema {other}, this trove reads {SCHEMA_VERSION}"
                )));
            }
        }
        Ok(Catalog { conn })
    }

    /// Opens an existing catalog read-only.
    pub fn open_read(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(60))?;
        conn.pragma_update(None, "cache_size", -32768)?;
        Ok(Catalog { conn })
    }

    /// Forgets the index queue's entries up to position `upto` (the index has committed
    /// them). Returns how many went.
    pub fn trim_index_queue(&self, upto: i64) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .execute("DELETE FROM index_queue WHERE seq <= ?1", [upto])?)
    }

    /// The id of a source label, created on first use.
    pub fn ensure_source(&self, label: &str) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO sources (label, created_at) VALUES (?1, ?2) ON CONFLICT (label) DO NOTHING",
            params![label, now()],
        )?;
        Ok(self
            .conn
            .query_row("SELECT id FROM sources WHERE label = ?1", [label], |r| {
                r.get(0)
            })?)
    }

    /// Records the start of an ingest run. Runs left `running` by a crash become `interrupted`.
    pub fn begin_run(
        &self,
        source: i64,
        command: &str,
        inputs: &[String],
    ) -> Result<i64, StoreError> {
        self.conn.execute(
            "UPDATE runs SET status = 'interrupted' WHERE status = 'running'",
            [],
        )?;
        self.conn.execute(
            "INSERT INTO runs (source_id, started_at, status, command, inputs) VALUES (?1, ?2, 'running', ?3, ?4)",
            params![source, now(), command, serde_json::to_string(inputs).unwrap_or_default()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn finish_run(
        &self,
        run: i64,
        status: &str,
        stats: &serde_json::Value,
    ) -> Result<(), StoreError> {
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
        let rows = st.query_map([], |r| {
            Ok((r.get::<_, u32>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
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

    /// Where a blob is.
    pub fn blob(&self, sha256: &[u8; 32]) -> Result<Option<BlobRef>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT size, codec, pack, pack_offset, stored_size FROM blobs WHERE sha256 = ?1",
        )?;
        let row = st
            .query_row([&sha256[..]], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<u32>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .optional()?;
        let Some((size, codec, pack, offset, stored)) = row else {
            return Ok(None);
        };
        let codec = Codec::parse(&codec)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown codec {codec}")))?;
        let location = match (pack, offset) {
            (Some(pack), Some(offset)) => Location::Pack {
                pack,
                offset: offset as u64,
                len: stored as u64,
            },
            _ => Location::Large,
        };
        Ok(Some(BlobRef {
            sha256: *sha256,
            size: size as u64,
            codec,
            location,
        }))
    }

    /// Starts a write batch (one transaction).
    pub fn batch(&mut self) -> Result<Batch<'_>, StoreError> {
        let tx = self.conn.transaction()?;
        let next_item: i64 =
            tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM items", [], |r| {
                r.get(0)
            })?;
        let next_message: i64 =
            tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM messages", [], |r| {
                r.get(0)
            })?;
        Ok(Batch {
            tx,
            next_item,
            next_message,
            check_existing: true,
        })
    }

    /// Whether the source has any item yet (a fresh ingest need not look items up).
    pub fn source_has_items(&self, source: i64) -> Result<bool, StoreError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM items WHERE source_id = ?1)",
            [source],
            |r| r.get(0),
        )?)
    }
}

/// One transaction of writes.
///
/// The ingest's catalog writer is the only writer of items and messages, so a batch hands
/// out their ids itself: an item, its blob and its message can point at each other in their
/// INSERTs, with no UPDATE after.
pub struct Batch<'a> {
    tx: Transaction<'a>,
    next_item: i64,
    next_message: i64,
    /// Whether items may already exist (a resumed run); fresh runs skip the lookup.
    check_existing: bool,
}

impl Batch<'_> {
    /// The id of an item by locator.
    pub fn item_id(&self, source: i64, locator: &str) -> Result<Option<i64>, StoreError> {
        let mut st = self
            .tx
            .prepare_cached("SELECT id FROM items WHERE source_id = ?1 AND locator = ?2")?;
        Ok(st
            .query_row(params![source, locator], |r| r.get(0))
            .optional()?)
    }

    /// Whether `write_item` should look for an item before inserting it.
    pub fn set_check_existing(&mut self, check: bool) {
        self.check_existing = check;
    }

    /// Records one item (and its blob and message) unless it is already recorded.
    /// `parent_id` is the id of `item.prov.parent`, resolved by the caller.
    ///
    /// Exact duplicates are decided here, deterministically: of all items with the same bytes,
    /// the one with the smallest (source, locator) is `stored` and the others are `duplicate`
    /// of it, whatever order they arrive in. That makes a resumed or parallel run end with the
    /// same catalog as a sequential one.
    pub fn write_item(
        &mut self,
        source: i64,
        run: i64,
        packs: &mut PackWriter,
        item: &NewItem,
        parent_id: Option<i64>,
    ) -> Result<Written, StoreError> {
        if self.check_existing
            && let Some(id) = self.item_id(source, &item.prov.locator)?
        {
            return Ok(Written {
                id,
                existed: true,
                outcome: "existing",
            });
        }
        if parent_id.is_none() && item.prov.parent != Parent::None {
            return Err(StoreError::Corrupt(format!(
                "the parent of {} is not in the catalog",
                item.prov.locator
            )));
        }
        let id = self.next_item;
        let mut outcome = item.outcome.clone();
        let mut duplicate_of: Option<i64> = None;
        let mut demote: Option<i64> = None;
        let mut message: Option<i64> = None;
        let mut new_message = false;
        if let Some(blob) = &item.blob {
            let sha = blob.sha256();
            let known: Option<Option<i64>> = self
                .tx
                .prepare_cached("SELECT item_id FROM blobs WHERE sha256 = ?1")?
                .query_row([&sha[..]], |r| r.get(0))
                .optional()?;
            match known {
                None => {
                    self.put_blob(packs, blob, id)?;
                    if item.message.is_some() {
                        message = Some(self.next_message);
                        new_message = true;
                    }
                }
                Some(canonical) => {
                    if item.message.is_some() {
                        message = self
                            .tx
                            .prepare_cached("SELECT id FROM messages WHERE sha256 = ?1")?
                            .query_row([&sha[..]], |r| r.get(0))
                            .optional()?;
                        if message.is_none() {
                            message = Some(self.next_message);
                            new_message = true;
                        }
                    }
                    if let Some(cid) = canonical {
                        let (csource, clocator): (i64, String) = self
                            .tx
                            .prepare_cached("SELECT source_id, locator FROM items WHERE id = ?1")?
                            .query_row([cid], |r| Ok((r.get(0)?, r.get(1)?)))?;
                        if (source, item.prov.locator.as_str()) < (csource, clocator.as_str()) {
                            demote = Some(cid);
                        } else {
                            outcome = Outcome::Duplicate;
                            duplicate_of = Some(cid);
                        }
                    }
                }
            }
        }
        let meta = item.prov.meta.as_ref().map(|m| m.to_string());
        let inserted: Option<i64> = self
            .tx
            .prepare_cached(
                "INSERT INTO items (id, source_id, parent_id, locator, name, kind, format, byte_offset, byte_length, size,
                    sha256, outcome, reason, duplicate_of, message, folder, flags, meta, mtime, complete, run_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)
                 ON CONFLICT (source_id, locator) DO NOTHING RETURNING id",
            )?
            .query_row(
                params![
                    id,
                    source,
                    parent_id,
                    item.prov.locator,
                    item.prov.name,
                    item.prov.kind.as_str(),
                    item.format,
                    item.prov.offset.map(|v| v as i64),
                    item.prov.length.map(|v| v as i64),
                    item.size as i64,
                    item.sha256.as_ref().map(|s| &s[..]),
                    outcome.as_str(),
                    outcome.reason(),
                    duplicate_of,
                    message,
                    item.prov.folder,
                    item.prov.flags,
                    meta,
                    item.prov.mtime,
                    item.complete as i64,
                    run,
                ],
                |r| r.get(0),
            )
            .optional()?;
        if inserted.is_none() {
            // Written by an earlier run after all (a resume we were not told about).
            let existing = self.item_id(source, &item.prov.locator)?.unwrap_or(id);
            return Ok(Written {
                id: existing,
                existed: true,
                outcome: "existing",
            });
        }
        self.next_item += 1;
        if let Some(old) = demote {
            self.tx
                .prepare_cached("UPDATE items SET duplicate_of = ?1 WHERE duplicate_of = ?2")?
                .execute(params![id, old])?;
            self.tx
                .prepare_cached(
                    "UPDATE items SET outcome = 'duplicate', duplicate_of = ?1 WHERE id = ?2",
                )?
                .execute(params![id, old])?;
            if let Some(blob) = &item.blob {
                self.tx
                    .prepare_cached("UPDATE blobs SET item_id = ?1 WHERE sha256 = ?2")?
                    .execute(params![id, &blob.sha256()[..]])?;
            }
        }
        match (&item.message, &item.blob, message) {
            (Some(m), Some(blob), Some(mid)) => {
                if new_message {
                    self.put_message(mid, id, blob, m)?;
                    self.next_message += 1;
                } else {
                    if demote.is_some() {
                        self.tx
                            .prepare_cached("UPDATE messages SET item_id = ?1 WHERE id = ?2")?
                            .execute(params![id, mid])?;
                    }
                    // A new location of a known message: its index document lists locations.
                    self.enqueue("message", &m.content_key)?;
                }
            }
            (None, Some(blob), _) => {
                // A document outside any message (a PDF in a folder, a member of a zip).
                self.enqueue("document", &blob.sha256())?;
            }
            _ => {}
        }
        Ok(Written {
            id,
            existed: false,
            outcome: outcome.as_str(),
        })
    }

    fn put_blob(
        &mut self,
        packs: &mut PackWriter,
        blob: &BlobData,
        item: i64,
    ) -> Result<(), StoreError> {
        let (sha, size, codec, pack, offset, stored) = match blob {
            BlobData::Inline {
                sha256,
                size,
                codec,
                bytes,
            } => {
                let Location::Pack { pack, offset, len } = packs.append(bytes)? else {
                    return Err(StoreError::Corrupt("pack append returned no pack".into()));
                };
                (sha256, *size, *codec, Some(pack), Some(offset as i64), len)
            }
            BlobData::Large {
                sha256,
                size,
                codec,
                stored_size,
            } => (sha256, *size, *codec, None, None, *stored_size),
        };
        self.tx
            .prepare_cached(
                "INSERT INTO blobs (sha256, size, codec, pack, pack_offset, stored_size, item_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![&sha[..], size as i64, codec.as_str(), pack, offset, stored as i64, item])?;
        Ok(())
    }

    /// Inserts a new message row (with its thread), its addresses, attachments and references.
    fn put_message(
        &mut self,
        id: i64,
        item: i64,
        blob: &BlobData,
        m: &crate::model::MessageRecord,
    ) -> Result<(), StoreError> {
        let sha = blob.sha256();
        let size = match blob {
            BlobData::Inline { size, .. } | BlobData::Large { size, .. } => *size,
        };
        let mut refs: Vec<&str> = m
            .in_reply_to
            .iter()
            .chain(&m.references)
            .map(String::as_str)
            .collect();
        refs.sort_unstable();
        refs.dedup();
        refs.retain(|r| Some(*r) != m.message_id.as_deref());
        let subject = m.subject.as_deref().unwrap_or("");
        let base = trove_formats::identity::base_subject(subject);
        let header_poor =
            refs.is_empty() && base != trove_formats::identity::normalize_text(subject);
        let mut participants: Vec<&str> = m
            .addresses
            .iter()
            .filter_map(|a| a.address.as_deref())
            .collect();
        participants.sort_unstable();
        participants.dedup();
        participants.truncate(50);
        let input = crate::threads::ThreadInput {
            message: id,
            key: &m.content_key,
            message_id: m.message_id.as_deref(),
            refs: refs.clone(),
            base_subject: &base,
            header_poor,
            date: m.date,
            participants,
        };
        let assigned = crate::threads::assign(&self.tx, &input)?;
        let (parent, parent_date) = match &assigned.subject_parent {
            Some((key, date)) => (Some(key.as_slice()), Some(*date)),
            None => (None, None),
        };
        self.tx
            .prepare_cached(
                "INSERT INTO messages (id, sha256, item_id, content_key, message_id, in_reply_to, refs, subject, date, date_raw,
                    date_source, from_name, from_addr, size, text_len, has_html, attachments, problems, base_subject,
                    header_poor, thread, lang, subject_parent, subject_parent_date)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
            )?
            .execute(params![
                id,
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
                base,
                header_poor as i64,
                assigned.thread,
                m.lang,
                parent,
                parent_date,
            ])?;
        {
            let mut st = self.tx.prepare_cached(
                "INSERT INTO addresses (message, pos, role, name, address, grp) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (pos, a) in m.addresses.iter().enumerate() {
                st.execute(params![id, pos as i64, a.role, a.name, a.address, a.group])?;
            }
        }
        {
            let mut st = self.tx.prepare_cached(
                "INSERT INTO attachments (message, part, name, mime, disposition, content_id, size, sha256, is_message)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (message, part) DO NOTHING",
            )?;
            for a in &m.attachments {
                st.execute(params![
                    id,
                    a.part,
                    a.name,
                    a.mime,
                    a.disposition,
                    a.content_id,
                    a.size as i64,
                    &a.sha256[..],
                    a.is_message as i64
                ])?;
            }
        }
        {
            let mut st = self.tx.prepare_cached(
                "INSERT INTO message_refs (ref, message) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )?;
            for r in &refs {
                st.execute(params![r, id])?;
            }
        }
        let mut changed = assigned.changed;
        if assigned.regroup {
            // A reply moved to this message from its old subject parent: that thread may split.
            changed.extend(crate::threads::regroup(&self.tx, &assigned.thread)?);
        }
        self.enqueue("message", &m.content_key)?;
        changed.sort_unstable();
        changed.dedup();
        for key in changed
            .iter()
            .filter(|k| k.as_slice() != m.content_key.as_slice())
        {
            self.enqueue("message", key)?;
        }
        Ok(())
    }

    /// Asks the index to (re)build the document for a message or a loose document.
    pub fn enqueue(&mut self, kind: &str, key: &[u8]) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("INSERT INTO index_queue (kind, key) VALUES (?1, ?2)")?
            .execute(params![kind, key])?;
        Ok(())
    }

    /// Points a message's attachment at the item opened from it.
    pub fn link_attachment(
        &mut self,
        message_item: i64,
        part: u32,
        child: i64,
    ) -> Result<(), StoreError> {
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
            .prepare_cached(
                "UPDATE items SET complete = 1, outcome = ?2, reason = ?3 WHERE id = ?1",
            )?
            .execute(params![id, outcome.as_str(), outcome.reason()])?;
        Ok(())
    }

    /// Records that every member of a container before `offset` is in the catalog.
    pub fn set_resume(&mut self, id: i64, offset: u64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE items SET resume_at = ?2 WHERE id = ?1")?
            .execute(params![id, offset as i64])?;
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

pub use crate::model::now;
