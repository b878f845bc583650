//! The catalog side of text extraction: which distinct documents (attachments and loose
//! files, by SHA-256) still need extracting or OCR, writing their outcomes with the text as
//! a blob, and the extraction half of the completeness report.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::blobs::{Location, PackWriter};
use crate::model::BlobData;
use crate::{Catalog, CatalogRead, StoreError};

/// The outcome of extracting one document, as recorded.
#[derive(Debug, Clone)]
pub struct ExtractionRecord {
    pub sha256: [u8; 32],
    pub format: String,
    pub status: String,
    pub reason: Option<String>,
    /// The text, encoded for the blob store (absent when empty).
    pub text: Option<BlobData>,
    pub text_len: u64,
    pub pages: u32,
    pub ocr_pending: Vec<u32>,
    pub ocr_pages: u32,
    pub flags: Vec<String>,
    pub meta: serde_json::Value,
    pub author: Option<String>,
    pub title: Option<String>,
    pub gps: Option<(f64, f64)>,
    pub millis: u64,
    /// [`hints_fingerprint`] of the carriers the extraction was judged under (`None`: not
    /// known, and a new carrier has the document extracted again).
    pub hints: Option<[u8; 32]>,
}

/// A carrier's name and declared type (loose files and members have no type).
pub type CarrierHint = (Option<String>, Option<String>);

/// Distinct carriers' names and types a document is judged under at most (the first ones in
/// [`Catalog::document_hints`]'s order).
pub const MAX_CARRIER_HINTS: usize = 32;

/// What [`Catalog::new_carriers`] found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NewCarriers {
    /// Extracted documents whose index documents were queued again: new messages carry them.
    pub refreshed: u64,
    /// Documents whose extraction was dropped to be done again: a new carrier changed the
    /// names and types they are judged under.
    pub re_extract: u64,
}

/// The fingerprint of a document's carrier hints, as [`Catalog::document_hints`] lists them.
pub fn hints_fingerprint(hints: &[CarrierHint]) -> [u8; 32] {
    let mut h = Sha256::new();
    for (name, mime) in hints {
        for part in [name, mime] {
            match part {
                Some(s) => {
                    h.update([1u8]);
                    h.update((s.len() as u64).to_le_bytes());
                    h.update(s.as_bytes());
                }
                None => h.update([0u8]),
            }
        }
    }
    h.finalize().into()
}

/// See [`Catalog::document_hints`].
fn document_hints(conn: &Connection, sha256: &[u8; 32]) -> Result<Vec<CarrierHint>, StoreError> {
    let mut st = conn.prepare_cached(sql::DOCUMENT_HINTS)?;
    let mut out: Vec<CarrierHint> = st
        .query_map([&sha256[..]], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    out.sort_by(|a, b| {
        (a.0.is_none(), &a.0, a.1.is_none(), &a.1).cmp(&(b.0.is_none(), &b.0, b.1.is_none(), &b.1))
    });
    out.dedup();
    out.truncate(MAX_CARRIER_HINTS);
    Ok(out)
}

/// Where to find a document's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Carrier {
    /// A blob of its own (a loose file, an archive member).
    Blob,
    /// Inside a stored message: the message blob and the MIME part.
    Message { message_sha256: [u8; 32], part: u32 },
}

/// Where [`Catalog::pending_page`] goes on from.
#[derive(Debug, Clone)]
pub struct PendingCursor {
    /// Loose files after this item id (`None`: done with them).
    loose: Option<i64>,
    /// Attachments after this (message, part) (`None`: done).
    attachments: Option<(i64, u32)>,
    seen: std::collections::HashSet<[u8; 32]>,
}

impl Default for PendingCursor {
    fn default() -> Self {
        PendingCursor {
            loose: Some(0),
            attachments: Some((0, 0)),
            seen: Default::default(),
        }
    }
}

/// A document waiting for extraction (or OCR).
#[derive(Debug, Clone)]
pub struct PendingDoc {
    pub sha256: [u8; 32],
    pub name: Option<String>,
    pub mime: Option<String>,
    pub size: u64,
    /// What the ingest recognised the bytes as (`items.format`; loose files only): the format
    /// a document refused unread is recorded under.
    pub format: Option<String>,
    pub carrier: Carrier,
    /// Pages waiting for OCR (OCR pass only).
    pub ocr_pending: Vec<u32>,
}

impl PendingDoc {
    /// An attachment, found in the message with bytes `message` at MIME part `part`.
    fn attachment(
        sha256: [u8; 32],
        name: Option<String>,
        mime: String,
        size: i64,
        message: Vec<u8>,
        part: u32,
    ) -> Self {
        PendingDoc {
            sha256,
            name,
            mime: Some(mime),
            size: size as u64,
            format: None,
            carrier: Carrier::Message {
                message_sha256: sha(message),
                part,
            },
            ocr_pending: Vec::new(),
        }
    }
}

fn sha(v: Vec<u8>) -> [u8; 32] {
    let mut s = [0u8; 32];
    if v.len() == 32 {
        s.copy_from_slice(&v);
    }
    s
}

impl Catalog {
    /// How many distinct documents have no extraction yet (for progress; the documents
    /// themselves come page by page from [`Catalog::pending_page`]).
    pub fn pending_count(&self) -> Result<u64, StoreError> {
        Ok(self
            .conn
            .query_row(&sql::pending_count(), [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// The next page of distinct documents with no extraction yet, at most about `limit`:
    /// loose files first (by item), then attachments (one carrier message each, by message,
    /// a message's attachments in one page so that it is parsed once for all of them).
    /// Empty when there are no more. Memory stays bounded by the page whatever the case's
    /// size, but for `cursor`'s record of the documents handed out (32 bytes each), which
    /// keeps a document carried by several messages from being handed out twice while its
    /// extraction is not written yet.
    pub fn pending_page(
        &self,
        cursor: &mut PendingCursor,
        limit: usize,
    ) -> Result<Vec<PendingDoc>, StoreError> {
        let limit = limit.max(1);
        let mut out = Vec::new();
        // A page of rows can all be documents handed out already: read on until one is new.
        while out.is_empty() && (cursor.loose.is_some() || cursor.attachments.is_some()) {
            if let Some(after) = cursor.loose {
                self.loose_page(cursor, after, limit, &mut out)?;
            } else if let Some(after) = cursor.attachments {
                self.attachment_page(cursor, after, limit, &mut out)?;
            }
        }
        Ok(out)
    }

    fn loose_page(
        &self,
        cursor: &mut PendingCursor,
        after: i64,
        limit: usize,
        out: &mut Vec<PendingDoc>,
    ) -> Result<(), StoreError> {
        let mut st = self.conn.prepare_cached(sql::PENDING_LOOSE)?;
        let rows: Vec<(i64, Vec<u8>, String, i64, String)> = st
            .query_map(params![after, limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<_, _>>()?;
        cursor.loose = match rows.last() {
            Some((id, ..)) if rows.len() == limit => Some(*id),
            _ => None,
        };
        for (_, s, name, size, format) in rows {
            let s = sha(s);
            if cursor.seen.insert(s) {
                out.push(PendingDoc {
                    sha256: s,
                    name: Some(name),
                    mime: None,
                    size: size as u64,
                    format: Some(format),
                    carrier: Carrier::Blob,
                    ocr_pending: Vec::new(),
                });
            }
        }
        Ok(())
    }

    fn attachment_page(
        &self,
        cursor: &mut PendingCursor,
        (after_msg, after_part): (i64, u32),
        limit: usize,
        out: &mut Vec<PendingDoc>,
    ) -> Result<(), StoreError> {
        let mut st = self.conn.prepare_cached(sql::PENDING_ATTACHMENTS)?;
        type Row = (i64, u32, Vec<u8>, Option<String>, String, i64, Vec<u8>);
        let mut rows: Vec<Row> = st
            .query_map(params![after_msg, after_part, limit as i64], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        if rows.len() < limit {
            cursor.attachments = None;
        } else {
            // Keep the last message whole for the next page, unless it fills the page.
            let last = rows[rows.len() - 1].0;
            if rows[0].0 != last {
                rows.retain(|r| r.0 != last);
            }
            cursor.attachments = rows.last().map(|r| (r.0, r.1));
        }
        for (_, part, s, name, mime, size, msg) in rows {
            let s = sha(s);
            if cursor.seen.insert(s) {
                out.push(PendingDoc::attachment(s, name, mime, size, msg, part));
            }
        }
        Ok(())
    }

    /// Documents whose extraction left pages for OCR, with where their bytes are.
    pub fn pending_ocr(&self) -> Result<Vec<PendingDoc>, StoreError> {
        let mut st = self.conn.prepare("SELECT sha256, ocr_pending FROM extractions WHERE status = 'ocr-pending' ORDER BY rowid")?;
        let rows: Vec<(Vec<u8>, Option<String>)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut out = Vec::new();
        for (s, pending) in rows {
            let s = sha(s);
            let pages: Vec<u32> = pending
                .and_then(|p| serde_json::from_str(&p).ok())
                .unwrap_or_default();
            if let Some(mut d) = self.locate_document(&s)? {
                d.ocr_pending = pages;
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Where the bytes of a document are: its own blob, or a message carrying it.
    pub fn locate_document(&self, sha256: &[u8; 32]) -> Result<Option<PendingDoc>, StoreError> {
        let own: Option<(Option<String>, i64, String)> = self
            .conn
            .prepare_cached("SELECT i.name, i.size, i.format FROM items i JOIN blobs b ON b.sha256 = i.sha256 WHERE i.sha256 = ?1 AND i.message IS NULL LIMIT 1")?
            .query_row([&sha256[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((name, size, format)) = own {
            return Ok(Some(PendingDoc {
                sha256: *sha256,
                name,
                mime: None,
                size: size as u64,
                format: Some(format),
                carrier: Carrier::Blob,
                ocr_pending: Vec::new(),
            }));
        }
        let carried: Option<(Option<String>, String, i64, Vec<u8>, u32)> = self
            .conn
            .prepare_cached(
                "SELECT a.name, a.mime, a.size, m.sha256, a.part FROM attachments a JOIN messages m ON m.id = a.message
                 WHERE a.sha256 = ?1 ORDER BY m.id LIMIT 1",
            )?
            .query_row([&sha256[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .optional()?;
        Ok(carried.map(|(name, mime, size, msg, part)| {
            PendingDoc::attachment(*sha256, name, mime, size, msg, part)
        }))
    }

    /// The distinct names and types a document arrived under, every carrier of its bytes
    /// (files and archive members by name; attachments by name and declared type), in an
    /// order that depends on them alone: named before unnamed, then by name, then by type; at
    /// most [`MAX_CARRIER_HINTS`]. Extraction reads the document as the first.
    pub fn document_hints(&self, sha256: &[u8; 32]) -> Result<Vec<CarrierHint>, StoreError> {
        document_hints(&self.conn, sha256)
    }

    /// Carriers recorded since the last call (attachments of new messages, new files and
    /// members) of documents already extracted. A document whose carriers' names and types
    /// ([`Catalog::document_hints`]) are no longer those its extraction was judged under loses
    /// its extraction, to be extracted again (its format and flags may change; the messages
    /// carrying it are queued when it was flagged); the others with new carrying messages are
    /// queued for the index, whose documents list those messages. One transaction, with the
    /// marks moved.
    pub fn new_carriers(&mut self) -> Result<NewCarriers, StoreError> {
        let tx = self.conn.transaction()?;
        let mark = |key: &str| -> Result<Option<i64>, StoreError> {
            Ok(tx
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
                    r.get::<_, String>(0)
                })
                .optional()?
                .and_then(|v| v.parse().ok()))
        };
        // Messages (and their attachments) are written in id order, so a message id marks a
        // position in the attachments table; items likewise by id.
        let top_message: i64 = tx.query_row(
            "SELECT COALESCE(MAX(message), 0) FROM attachments",
            [],
            |r| r.get(0),
        )?;
        let top_item: i64 =
            tx.query_row("SELECT COALESCE(MAX(id), 0) FROM items", [], |r| r.get(0))?;
        let message_mark = mark("extract_attachment_mark")?.unwrap_or(0);
        // A case from before items were followed: its files count as judged.
        let item_mark = mark("extract_item_mark")?.unwrap_or(top_item);
        let read = |sql: &str, from: i64, to: i64| -> Result<Vec<[u8; 32]>, StoreError> {
            let mut st = tx.prepare(sql)?;
            let v = st
                .query_map([from, to], |r| r.get::<_, Vec<u8>>(0))?
                .map(|r| r.map(sha))
                .collect::<Result<_, _>>()?;
            Ok(v)
        };
        let carried: std::collections::BTreeSet<[u8; 32]> =
            read(sql::NEW_ATTACHMENT_CARRIERS, message_mark, top_message)?
                .into_iter()
                .collect();
        let mut docs = carried.clone();
        docs.extend(read(sql::NEW_ITEM_CARRIERS, item_mark, top_item)?);
        let mut out = NewCarriers::default();
        for d in &docs {
            let now = hints_fingerprint(&document_hints(&tx, d)?);
            let judged: Option<Vec<u8>> = tx
                .prepare_cached("SELECT hints FROM extraction_hints WHERE sha256 = ?1")?
                .query_row([&d[..]], |r| r.get(0))
                .optional()?;
            if judged.as_deref() == Some(&now[..]) {
                if carried.contains(d) {
                    tx.prepare_cached(
                        "INSERT INTO index_queue (kind, key) VALUES ('document', ?1)",
                    )?
                    .execute([&d[..]])?;
                    out.refreshed += 1;
                }
                continue;
            }
            let flagged: bool = tx
                .prepare_cached("SELECT flags IS NOT NULL FROM extractions WHERE sha256 = ?1")?
                .query_row([&d[..]], |r| r.get(0))?;
            if flagged {
                // Their flag facets follow the new extraction; until then they lose them.
                requeue_carriers(&tx, d)?;
            }
            tx.prepare_cached("DELETE FROM extractions WHERE sha256 = ?1")?
                .execute([&d[..]])?;
            tx.prepare_cached("DELETE FROM extraction_hints WHERE sha256 = ?1")?
                .execute([&d[..]])?;
            out.re_extract += 1;
        }
        for (key, value) in [
            ("extract_attachment_mark", top_message),
            ("extract_item_mark", top_item),
        ] {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(out)
    }

    /// Records extraction outcomes (text blobs appended to the packs, synced before the
    /// commit) and queues the documents for the index. `refresh` are documents only to queue.
    pub fn write_extractions(
        &mut self,
        packs: &mut PackWriter,
        recs: &[ExtractionRecord],
        refresh: &[[u8; 32]],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for r in recs {
            let text_sha = match &r.text {
                Some(blob) => {
                    let s = blob.sha256();
                    let known = tx
                        .prepare_cached("SELECT 1 FROM blobs WHERE sha256 = ?1")?
                        .query_row([&s[..]], |_| Ok(()))
                        .optional()?
                        .is_some();
                    if !known {
                        let (size, codec, pack, offset, stored) = match blob {
                            BlobData::Inline {
                                size, codec, bytes, ..
                            } => {
                                let Location::Pack { pack, offset, len } = packs.append(bytes)?
                                else {
                                    return Err(StoreError::Corrupt(
                                        "pack append returned no pack".into(),
                                    ));
                                };
                                (*size, *codec, Some(pack), Some(offset as i64), len)
                            }
                            BlobData::Large {
                                size,
                                codec,
                                stored_size,
                                ..
                            } => (*size, *codec, None, None, *stored_size),
                        };
                        tx.prepare_cached("INSERT INTO blobs (sha256, size, codec, pack, pack_offset, stored_size) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?
                            .execute(params![&s[..], size as i64, codec.as_str(), pack, offset, stored as i64])?;
                    }
                    Some(s)
                }
                None => None,
            };
            tx.prepare_cached(
                "INSERT INTO extractions (sha256, format, status, reason, text_sha256, text_len, pages, ocr_pending, ocr_pages, flags, meta,
                    author, title, gps_lat, gps_lon, millis, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
                 ON CONFLICT (sha256) DO UPDATE SET format = excluded.format, status = excluded.status, reason = excluded.reason,
                    text_sha256 = excluded.text_sha256, text_len = excluded.text_len, pages = excluded.pages,
                    ocr_pending = excluded.ocr_pending, ocr_pages = excluded.ocr_pages, flags = excluded.flags, meta = excluded.meta,
                    author = excluded.author, title = excluded.title, gps_lat = excluded.gps_lat, gps_lon = excluded.gps_lon,
                    millis = excluded.millis, updated_at = excluded.updated_at",
            )?
            .execute(params![
                &r.sha256[..],
                r.format,
                r.status,
                r.reason,
                text_sha.as_ref().map(|s| &s[..]),
                r.text_len as i64,
                r.pages,
                (!r.ocr_pending.is_empty()).then(|| serde_json::to_string(&r.ocr_pending).unwrap_or_default()),
                r.ocr_pages,
                (!r.flags.is_empty()).then(|| r.flags.join(",")),
                (!r.meta.is_null()).then(|| r.meta.to_string()),
                r.author,
                r.title,
                r.gps.map(|g| g.0),
                r.gps.map(|g| g.1),
                r.millis as i64,
                crate::model::now(),
            ])?;
            match &r.hints {
                Some(h) => tx
                    .prepare_cached(
                        "INSERT INTO extraction_hints (sha256, hints) VALUES (?1, ?2)
                         ON CONFLICT (sha256) DO UPDATE SET hints = excluded.hints",
                    )?
                    .execute(params![&r.sha256[..], &h[..]])?,
                None => tx
                    .prepare_cached("DELETE FROM extraction_hints WHERE sha256 = ?1")?
                    .execute([&r.sha256[..]])?,
            };
            tx.prepare_cached("INSERT INTO index_queue (kind, key) VALUES ('document', ?1)")?
                .execute([&r.sha256[..]])?;
            if !r.flags.is_empty() {
                requeue_carriers(&tx, &r.sha256)?;
            }
        }
        for s in refresh {
            tx.prepare_cached("INSERT INTO index_queue (kind, key) VALUES ('document', ?1)")?
                .execute([&s[..]])?;
        }
        packs.sync()?;
        tx.commit()?;
        Ok(())
    }
}

/// The extraction of one document, if it has one ([`CatalogRead::extraction`]).
pub fn extraction(
    cat: &dyn CatalogRead,
    sha256: &[u8],
) -> Result<Option<ExtractionRow>, StoreError> {
    cat.extraction(sha256)
}

/// The extraction half of the completeness report ([`CatalogRead::extraction_report`]).
pub fn report(cat: &dyn CatalogRead) -> Result<ExtractionReport, StoreError> {
    cat.extraction_report()
}

/// One document's extraction as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct ExtractionRow {
    pub sha256: String,
    pub format: String,
    pub status: String,
    pub reason: Option<String>,
    pub text_sha256: Option<String>,
    pub text_len: u64,
    pub pages: u32,
    pub ocr_pending: Vec<u32>,
    pub ocr_pages: u32,
    pub flags: Vec<String>,
    pub meta: Option<serde_json::Value>,
    pub gps: Option<(f64, f64)>,
}

/// The extraction of one document, if it has one.
pub(crate) fn sqlite_extraction(
    cat: &Catalog,
    sha256: &[u8],
) -> Result<Option<ExtractionRow>, StoreError> {
    Ok(cat
        .conn
        .prepare_cached(
            "SELECT sha256, format, status, reason, text_sha256, text_len, pages, ocr_pending, ocr_pages, flags, meta, gps_lat, gps_lon
             FROM extractions WHERE sha256 = ?1",
        )?
        .query_row([sha256], |r| {
            Ok(ExtractionRow {
                sha256: hex::encode(r.get::<_, Vec<u8>>(0)?),
                format: r.get(1)?,
                status: r.get(2)?,
                reason: r.get(3)?,
                text_sha256: r.get::<_, Option<Vec<u8>>>(4)?.map(hex::encode),
                text_len: r.get::<_, i64>(5)? as u64,
                pages: r.get(6)?,
                ocr_pending: r.get::<_, Option<String>>(7)?.and_then(|p| serde_json::from_str(&p).ok()).unwrap_or_default(),
                ocr_pages: r.get(8)?,
                flags: r.get::<_, Option<String>>(9)?.map(|f| f.split(',').map(str::to_owned).collect()).unwrap_or_default(),
                meta: r.get::<_, Option<String>>(10)?.and_then(|m| serde_json::from_str(&m).ok()),
                gps: match (r.get::<_, Option<f64>>(11)?, r.get::<_, Option<f64>>(12)?) {
                    (Some(a), Some(b)) => Some((a, b)),
                    _ => None,
                },
            })
        })
        .optional()?)
}

/// A reason shared by failed or skipped extractions, or by documents read only in part.
#[derive(Debug, Clone, Serialize)]
pub struct ExtractionReason {
    pub status: String,
    pub format: String,
    pub reason: String,
    pub documents: u64,
    /// One document with this reason (SHA-256).
    pub example: String,
}

/// The extraction half of the completeness report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExtractionReport {
    /// Distinct documents (attachments and loose files) known to the catalog.
    pub documents: u64,
    /// Of those, not yet through extraction (run `trove extract`).
    pub not_extracted: u64,
    /// Per format, per status: documents.
    pub formats: BTreeMap<String, BTreeMap<String, u64>>,
    /// Pages waiting for OCR (run `trove ocr`), and pages read by OCR.
    pub ocr_pending_pages: u64,
    pub ocr_pages: u64,
    /// Documents per flag.
    pub flags: BTreeMap<String, u64>,
    /// Documents whose text was read only in part (flag `truncated`: cut at a limit, lost in
    /// damage); their causes are among `reasons`, under their status.
    pub truncated: u64,
    /// Why documents failed, were skipped, or were read only in part.
    pub reasons: Vec<ExtractionReason>,
}

pub(crate) fn sqlite_report(cat: &Catalog) -> Result<ExtractionReport, StoreError> {
    let conn = &cat.conn;
    let mut r = ExtractionReport::default();
    r.documents = conn.query_row(
        &format!("SELECT COUNT(*) FROM ({})", sql::DOCUMENTS),
        [],
        |row| row.get::<_, i64>(0),
    )? as u64;
    let extracted: i64 =
        conn.query_row("SELECT COUNT(*) FROM extractions", [], |row| row.get(0))?;
    r.not_extracted = r.documents.saturating_sub(extracted as u64);
    let mut st =
        conn.prepare("SELECT format, status, COUNT(*) FROM extractions GROUP BY format, status")?;
    for row in st.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, i64>(2)?,
        ))
    })? {
        let (f, s, n) = row?;
        *r.formats.entry(f).or_default().entry(s).or_default() += n as u64;
    }
    let mut st = conn.prepare("SELECT ocr_pending, ocr_pages, flags FROM extractions WHERE ocr_pending IS NOT NULL OR ocr_pages > 0 OR flags IS NOT NULL")?;
    for row in st.query_map([], |row| {
        Ok((
            row.get::<_, Option<String>>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, Option<String>>(2)?,
        ))
    })? {
        let (pending, done, flags) = row?;
        r.ocr_pending_pages += pending
            .and_then(|p| serde_json::from_str::<Vec<u32>>(&p).ok())
            .map_or(0, |v| v.len() as u64);
        r.ocr_pages += done as u64;
        for f in flags.iter().flat_map(|f| f.split(',')) {
            *r.flags.entry(f.to_owned()).or_default() += 1;
        }
    }
    let mut st = conn.prepare(
        "SELECT status, format, reason, COUNT(*), hex(MIN(sha256)) FROM extractions WHERE reason IS NOT NULL
         GROUP BY status, format, reason ORDER BY COUNT(*) DESC, reason LIMIT 200",
    )?;
    for row in st.query_map([], |row| {
        Ok(ExtractionReason {
            status: row.get(0)?,
            format: row.get(1)?,
            reason: row.get(2)?,
            documents: row.get::<_, i64>(3)? as u64,
            example: row.get::<_, String>(4)?.to_ascii_lowercase(),
        })
    })? {
        r.reasons.push(row?);
    }
    r.truncated = r.flags.get("truncated").copied().unwrap_or(0);
    Ok(r)
}

/// The pending-extraction statements (run page by page: each walks its table's key once in
/// all).
mod sql {
    /// Loose files: the stored item of each document outside any message, by item id.
    pub const PENDING_LOOSE: &str = "SELECT i.id, i.sha256, i.name, i.size, i.format FROM items i
         WHERE i.id > ?1 AND i.message IS NULL AND i.outcome = 'stored' AND i.sha256 IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM extractions e WHERE e.sha256 = i.sha256)
         ORDER BY i.id LIMIT ?2";
    /// Attachments, by (message, part); the carrier message's blob with each.
    pub const PENDING_ATTACHMENTS: &str =
        "SELECT a.message, a.part, a.sha256, a.name, a.mime, a.size, m.sha256 FROM attachments a
           JOIN messages m ON m.id = a.message
         WHERE (a.message, a.part) > (?1, ?2) AND a.is_message = 0
           AND NOT EXISTS (SELECT 1 FROM extractions e WHERE e.sha256 = a.sha256)
         ORDER BY a.message, a.part LIMIT ?3";
    /// The names and types of a document's carriers (files and members; attachments).
    pub const DOCUMENT_HINTS: &str =
        "SELECT name, NULL FROM items WHERE sha256 = ?1 AND message IS NULL
           UNION SELECT name, mime FROM attachments WHERE sha256 = ?1 AND is_message = 0";
    /// Documents with an extraction carried by attachments of messages in (?1, ?2].
    pub const NEW_ATTACHMENT_CARRIERS: &str =
        "SELECT DISTINCT a.sha256 FROM attachments a JOIN extractions e ON e.sha256 = a.sha256
         WHERE a.message > ?1 AND a.message <= ?2 AND a.is_message = 0";
    /// Documents with an extraction carried by files or members with ids in (?1, ?2].
    pub const NEW_ITEM_CARRIERS: &str =
        "SELECT DISTINCT i.sha256 FROM items i JOIN extractions e ON e.sha256 = i.sha256
         WHERE i.id > ?1 AND i.id <= ?2 AND i.message IS NULL AND i.sha256 IS NOT NULL";
    /// Every distinct document: the stored loose files and the attachments (`sha256`).
    pub const DOCUMENTS: &str = "SELECT sha256 FROM items WHERE message IS NULL AND outcome = 'stored' AND sha256 IS NOT NULL
           UNION SELECT sha256 FROM attachments WHERE is_message = 0";

    pub fn pending_count() -> String {
        format!(
            "SELECT COUNT(*) FROM ({DOCUMENTS}) d WHERE NOT EXISTS (SELECT 1 FROM extractions e WHERE e.sha256 = d.sha256)"
        )
    }
}

/// Queues for re-indexing the messages that carry a document, as attachments or inside an
/// attached archive (flag: and its facet count on messages).
fn requeue_carriers(conn: &Connection, sha256: &[u8; 32]) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO index_queue (kind, key) SELECT DISTINCT 'message', m.content_key FROM attachments a
         JOIN messages m ON m.id = a.message WHERE a.sha256 = ?1",
    )?
    .execute([&sha256[..]])?;
    conn.prepare_cached(&requeue_nested_carriers_sql())?
        .execute([&sha256[..]])?;
    Ok(())
}

/// Queues for re-indexing the messages carrying a file inside an attached archive.
fn requeue_nested_carriers_sql() -> String {
    format!(
        "INSERT INTO index_queue (kind, key) {} SELECT DISTINCT 'message', m.content_key FROM up CROSS JOIN messages m ON m.id = up.message",
        crate::sql::UP_TO_MESSAGE
    )
}

#[cfg(test)]
mod tests {
    /// Run once per extracted file.
    #[test]
    fn pending_pages_walk_keys() {
        for sql in [super::sql::PENDING_LOOSE, super::sql::PENDING_ATTACHMENTS] {
            let plan = crate::sql::plan(sql).unwrap().join("\n");
            assert!(
                !plan.contains("TEMP B-TREE"),
                "a page must not sort: {plan}"
            );
        }
        let plan = crate::sql::plan(super::sql::PENDING_LOOSE)
            .unwrap()
            .join("\n");
        assert!(plan.contains("INTEGER PRIMARY KEY (rowid>?)"), "{plan}");
        let plan = crate::sql::plan(super::sql::PENDING_ATTACHMENTS)
            .unwrap()
            .join("\n");
        assert!(plan.contains("SEARCH a USING PRIMARY KEY"), "{plan}");
    }

    /// Run once per extracted document, and per new carrier.
    #[test]
    fn carrier_statements_search_no_table() {
        for sql in [
            super::sql::DOCUMENT_HINTS,
            super::sql::NEW_ATTACHMENT_CARRIERS,
            super::sql::NEW_ITEM_CARRIERS,
        ] {
            let scans = crate::sql::full_scans(sql).unwrap();
            assert!(scans.is_empty(), "{sql}: {scans:?}");
        }
    }

    #[test]
    fn requeue_searches_no_table() {
        let scans = crate::sql::full_scans(&super::requeue_nested_carriers_sql()).unwrap();
        assert!(scans.is_empty(), "{scans:?}");
    }
}
