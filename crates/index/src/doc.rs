//! Index documents, built from the catalog and the blobs (never from the original sources).

use std::collections::BTreeSet;

use rusqlite::{OptionalExtension, params};
use tantivy::TantivyDocument;
use tantivy::tokenizer::{PreTokenizedString, Token};
use trove_formats::Limits;
use trove_formats::message::{DateHints, parse_message};
use trove_store::{Case, Catalog, StoreError};

use crate::analysis::{Lang, address_tokens, detect, fold_atom};
use crate::schema::{DocKind, Fields};

/// Text longer than this is indexed up to this length (the rest stays in the blob).
pub const MAX_INDEXED_TEXT: usize = 4 << 20;

/// A mailbox as indexed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: Option<String>,
}

/// Everything the index holds about one document.
#[derive(Debug, Clone)]
pub struct IndexDoc {
    pub key: String,
    pub kind: DocKind,
    pub parents: Vec<String>,
    /// Messages: the smallest catalog id of the copies; attachments: those of their carriers.
    pub msg_no: Option<u64>,
    pub parent_nos: Vec<u64>,
    pub subject: String,
    pub body: String,
    pub lang: Lang,
    pub from: Vec<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub bcc: Vec<Mailbox>,
    /// Sender and Reply-To: participants, not senders.
    pub other: Vec<Mailbox>,
    pub attachment_names: Vec<String>,
    pub mimes: Vec<String>,
    pub message_ids: Vec<String>,
    pub thread: Option<String>,
    pub sources: Vec<String>,
    pub folders: Vec<String>,
    pub paths: Vec<String>,
    pub size: u64,
    pub date: Option<i64>,
    pub has: Vec<&'static str>,
    pub tags: Vec<String>,
    /// Attachments and documents: risk flags and authors from their metadata.
    pub flags: Vec<String>,
    pub authors: Vec<String>,
}

impl IndexDoc {
    /// Adds an address under its catalog role (from, to, cc, bcc; anything else is "other").
    fn add_address(&mut self, role: &str, mb: Mailbox) {
        match role {
            "from" => self.from.push(mb),
            "to" => self.to.push(mb),
            "cc" => self.cc.push(mb),
            "bcc" => self.bcc.push(mb),
            _ => self.other.push(mb),
        }
    }

    /// The tantivy document.
    pub fn to_tantivy(&self, f: &Fields) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_text(f.key, &self.key);
        d.add_text(f.kind, self.kind.as_str());
        for p in &self.parents {
            d.add_text(f.parent, p);
        }
        if let Some(n) = self.msg_no {
            d.add_u64(f.msg_no, n);
        }
        for n in &self.parent_nos {
            d.add_u64(f.parent_no, *n);
        }
        let (subject_field, body_field) = match self.lang {
            Lang::En => (f.subject_en, f.body_en),
            _ => (f.subject_es, f.body_es),
        };
        d.add_text(subject_field, &self.subject);
        d.add_text(f.subject_exact, &self.subject);
        let body = truncate(&self.body, MAX_INDEXED_TEXT);
        d.add_text(body_field, body);
        d.add_text(f.body_exact, body);
        for (field, list) in [
            (f.from, &self.from),
            (f.to, &self.to),
            (f.cc, &self.cc),
            (f.bcc, &self.bcc),
        ] {
            for mb in list {
                add_mailbox(&mut d, field, mb);
                add_mailbox(&mut d, f.participant, mb);
            }
        }
        for mb in &self.other {
            add_mailbox(&mut d, f.participant, mb);
        }
        for mb in &self.from {
            if let Some(a) = &mb.address {
                let a = fold_atom(a);
                if let Some((_, dom)) = a.rsplit_once('@') {
                    d.add_text(f.from_domain, dom);
                }
                d.add_text(f.from_addr, &a);
            }
        }
        let rcpts: BTreeSet<String> = self
            .to
            .iter()
            .chain(&self.cc)
            .filter_map(|m| m.address.as_deref().map(fold_atom))
            .collect();
        for r in rcpts {
            d.add_text(f.rcpt_addr, &r);
        }
        for n in &self.attachment_names {
            d.add_text(f.attachment, n);
            d.add_text(f.attachment, fold_atom(n));
        }
        for m in &self.mimes {
            d.add_text(f.mime, m);
        }
        for id in &self.message_ids {
            d.add_text(f.message_id, id);
        }
        if let Some(t) = &self.thread {
            d.add_text(f.thread, t);
        }
        for s in &self.sources {
            d.add_text(f.source, s);
        }
        for s in &self.folders {
            d.add_text(f.folder, s);
        }
        for p in &self.paths {
            d.add_text(f.path, p);
        }
        d.add_text(f.lang, self.lang.code());
        for h in &self.has {
            d.add_text(f.has, h);
        }
        d.add_u64(f.size, self.size);
        if let Some(t) = self.date {
            d.add_i64(f.date, t);
        }
        for t in &self.tags {
            d.add_text(f.tag, t);
        }
        for fl in &self.flags {
            d.add_text(f.flag, fl);
        }
        for a in &self.authors {
            d.add_text(f.author, a);
        }
        d
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A mailbox as pre-tokenised text: the terms of [`address_tokens`], name words at
/// consecutive positions.
fn add_mailbox(d: &mut TantivyDocument, field: tantivy::schema::Field, mb: &Mailbox) {
    let toks = address_tokens(mb.name.as_deref(), mb.address.as_deref());
    if toks.is_empty() {
        return;
    }
    let text = toks.join(" ");
    let mut offset = 0;
    let tokens = toks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let tok = Token {
                offset_from: offset,
                offset_to: offset + t.len(),
                position: i,
                text: t.clone(),
                position_length: 1,
            };
            offset += t.len() + 1;
            tok
        })
        .collect();
    d.add_pre_tokenized_text(field, PreTokenizedString { text, tokens });
}

/// Errors building documents.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("catalog: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The document for one logical message (all messages sharing a content key), or `None` when
/// the catalog no longer has it.
pub fn message_doc(
    case: &Case,
    cat: &Catalog,
    content_key: &[u8],
) -> Result<Option<IndexDoc>, DocError> {
    let conn = cat.connection();
    type Row = (
        Vec<u8>,
        Option<String>,
        Option<String>,
        Option<i64>,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
        i64,
    );
    let rows: Vec<Row> = conn
        .prepare_cached(sql::MESSAGE_ROWS)?
        .query_map([content_key], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut sha = [0u8; 32];
    if first.0.len() == 32 {
        sha.copy_from_slice(&first.0);
    }
    let (bytes, whole) = case.read_message(cat, &sha)?;
    let parsed = parse_message(&bytes, &Limits::default(), DateHints::default(), !whole);
    drop(bytes);
    let body = parsed.text;
    let subject = first.2.clone().unwrap_or_default();
    let lang = match first.7.as_deref() {
        Some(code) => Lang::from_code(code),
        None => detect(&format!("{subject}\n{body}")),
    };
    let mut doc = IndexDoc {
        key: hex::encode(content_key),
        kind: DocKind::Message,
        parents: Vec::new(),
        msg_no: Some(first.9 as u64),
        parent_nos: Vec::new(),
        subject,
        body,
        lang,
        from: Vec::new(),
        to: Vec::new(),
        cc: Vec::new(),
        bcc: Vec::new(),
        other: Vec::new(),
        attachment_names: Vec::new(),
        mimes: Vec::new(),
        message_ids: rows
            .iter()
            .filter_map(|r| r.1.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        thread: first.6.clone(),
        sources: Vec::new(),
        folders: Vec::new(),
        paths: Vec::new(),
        size: first.4 as u64,
        date: first.3,
        has: Vec::new(),
        tags: Vec::new(),
        flags: Vec::new(),
        authors: Vec::new(),
    };
    // Addresses of every copy (only the sender's copy has Bcc).
    let mut seen = BTreeSet::new();
    let mut st = conn.prepare_cached(sql::MESSAGE_ADDRESSES)?;
    for row in st.query_map([content_key], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
        ))
    })? {
        let (role, name, address) = row?;
        if !seen.insert((role.clone(), name.clone(), address.clone())) {
            continue;
        }
        doc.add_address(&role, Mailbox { name, address });
    }
    let mut st = conn.prepare_cached(sql::MESSAGE_ATTACHMENTS)?;
    let mut names = BTreeSet::new();
    let mut mimes = BTreeSet::new();
    for row in st.query_map([content_key], |r| {
        Ok((r.get::<_, Option<String>>(0)?, r.get::<_, String>(1)?))
    })? {
        let (name, mime) = row?;
        if let Some(n) = name {
            names.insert(n);
        }
        mimes.insert(mime);
    }
    if !mimes.is_empty() {
        doc.has.push("attachment");
    }
    doc.attachment_names = names.into_iter().collect();
    doc.mimes = mimes.into_iter().collect();
    // Flags of its attachments (executable, macro…), once extracted, and of the files inside
    // archives it carries.
    let mut flags = BTreeSet::new();
    let mut st = conn.prepare_cached(sql::MESSAGE_ATTACHMENT_FLAGS)?;
    for row in st.query_map([content_key], |r| r.get::<_, String>(0))? {
        flags.extend(row?.split(',').map(str::to_owned));
    }
    let mut st = conn.prepare_cached(sql::MESSAGE_NESTED_FLAGS)?;
    for row in st.query_map([content_key], |r| r.get::<_, String>(0))? {
        flags.extend(row?.split(',').map(str::to_owned));
    }
    doc.flags = flags.into_iter().collect();
    if rows.iter().any(|r| r.8 != 0) {
        doc.has.push("html");
    }
    if rows.iter().any(|r| r.5.is_some()) {
        doc.has.push("problems");
    }
    let mut st = conn.prepare_cached(sql::MESSAGE_LOCATIONS)?;
    let (mut sources, mut folders, mut paths) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut locations = 0;
    for row in st.query_map([content_key], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, String>(2)?,
        ))
    })? {
        let (s, f, p) = row?;
        sources.insert(s);
        if let Some(f) = f {
            folders.insert(f);
        }
        paths.insert(p);
        locations += 1;
    }
    if locations > 1 {
        doc.has.push("copies");
    }
    doc.sources = sources.into_iter().collect();
    doc.folders = folders.into_iter().collect();
    doc.paths = paths.into_iter().collect();
    doc.tags = tags(cat, content_key)?;
    Ok(Some(doc))
}

/// Tags on a message (written by the web app).
fn tags(cat: &Catalog, key: &[u8]) -> Result<Vec<String>, DocError> {
    let mut st = cat.connection().prepare_cached(sql::TAGS)?;
    let rows = st.query_map(params![key], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The document for a file: an attachment (its bytes carried by messages: `parent` lists
/// them, and their senders, recipients, dates, sources and folders are the attachment's too,
/// so that a search can combine them) or a loose document (a file outside any message). The
/// body is the extracted text; metadata, flags and OCR state come from the extraction.
pub fn document_doc(
    case: &Case,
    cat: &Catalog,
    sha256: &[u8],
) -> Result<Option<IndexDoc>, DocError> {
    let conn = cat.connection();
    let mut st = conn.prepare_cached(sql::DOCUMENT_ITEMS)?;
    let rows: Vec<(String, Option<String>, String, String, String, i64)> = st
        .query_map([sha256], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    // Messages carrying these bytes as an attachment.
    let mut st = conn.prepare_cached(sql::DOCUMENT_CARRIERS)?;
    type Carrier = (
        i64,
        Vec<u8>,
        Option<String>,
        String,
        i64,
        Option<i64>,
        Option<String>,
    );
    let mut carriers: Vec<Carrier> = st
        .query_map([sha256], |r| {
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
    // A file inside an archive attached to a message is that message's attachment too: the
    // nearest messages up its container chain carry it.
    if carriers.is_empty()
        && let Some(first) = rows.first()
    {
        let mut st = conn.prepare_cached(&sql::document_nested_carriers())?;
        let up: Vec<(i64, Vec<u8>, Option<i64>, Option<String>)> = st
            .query_map([sha256], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        carriers = up
            .into_iter()
            .map(|(id, key, date, thread)| {
                (
                    id,
                    key,
                    Some(first.3.clone()),
                    first.4.clone(),
                    first.5,
                    date,
                    thread,
                )
            })
            .collect();
    }
    if rows.is_empty() && carriers.is_empty() {
        return Ok(None);
    }
    let mut names: BTreeSet<String> = rows.iter().map(|r| r.3.clone()).collect();
    names.extend(carriers.iter().filter_map(|c| c.2.clone()));
    let mut mimes: BTreeSet<String> = rows.iter().map(|r| r.4.clone()).collect();
    mimes.extend(carriers.iter().map(|c| c.3.clone()));
    let size = rows
        .first()
        .map(|r| r.5)
        .or_else(|| carriers.first().map(|c| c.4))
        .unwrap_or(0) as u64;
    let mut sources: BTreeSet<String> = rows.iter().map(|r| r.0.clone()).collect();
    let mut folders: BTreeSet<String> = rows.iter().filter_map(|r| r.1.clone()).collect();
    let mut paths: BTreeSet<String> = rows.iter().map(|r| r.2.clone()).collect();
    let mut doc = IndexDoc {
        key: hex::encode(sha256),
        kind: if carriers.is_empty() {
            DocKind::Document
        } else {
            DocKind::Attachment
        },
        parents: carriers
            .iter()
            .map(|c| hex::encode(&c.1))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        msg_no: None,
        parent_nos: Vec::new(),
        lang: Lang::Es,
        subject: String::new(),
        body: String::new(),
        from: Vec::new(),
        to: Vec::new(),
        cc: Vec::new(),
        bcc: Vec::new(),
        other: Vec::new(),
        attachment_names: Vec::new(),
        mimes: Vec::new(),
        message_ids: Vec::new(),
        thread: carriers.iter().find_map(|c| c.6.clone()),
        sources: Vec::new(),
        folders: Vec::new(),
        paths: Vec::new(),
        size,
        date: carriers.iter().filter_map(|c| c.5).min(),
        has: Vec::new(),
        tags: Vec::new(),
        flags: Vec::new(),
        authors: Vec::new(),
    };
    // The carriers' message numbers (see `message_doc`: the smallest id of each content key).
    let keys: BTreeSet<&Vec<u8>> = carriers.iter().map(|c| &c.1).collect();
    let mut st = conn.prepare_cached(sql::MESSAGE_NUMBER)?;
    for k in keys {
        if let Some(n) = st.query_row([k], |r| r.get::<_, Option<i64>>(0))? {
            doc.parent_nos.push(n as u64);
        }
    }
    drop(st);
    if rows.len() + carriers.len() > 1 {
        doc.has.push("copies");
    }
    if !carriers.is_empty() {
        let ids: Vec<i64> = carriers
            .iter()
            .map(|c| c.0)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .take(500)
            .collect();
        let mut st = conn.prepare(&sql::carrier_addresses(ids.len()))?;
        for row in st.query_map(rusqlite::params_from_iter(ids.iter()), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })? {
            let (role, name, address) = row?;
            doc.add_address(&role, Mailbox { name, address });
        }
        let mut st = conn.prepare(&sql::carrier_locations(ids.len()))?;
        for row in st.query_map(rusqlite::params_from_iter(ids.iter()), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })? {
            let (s, f, p) = row?;
            sources.insert(s);
            if let Some(f) = f {
                folders.insert(f);
            }
            paths.insert(p);
        }
    }
    // The extraction: text, metadata, flags.
    let ex: Option<(
        String,
        Option<Vec<u8>>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<f64>,
        i64,
        Option<String>,
    )> = conn
        .prepare_cached(sql::DOCUMENT_EXTRACTION)?
        .query_row([sha256], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .optional()?;
    let mut title = None;
    if let Some((status, text_sha, flags, meta, t, gps, ocr_pages, format)) = ex {
        if let Some(ts) = text_sha.filter(|t| t.len() == 32) {
            let mut k = [0u8; 32];
            k.copy_from_slice(&ts);
            let bytes = case.read_blob(cat, &k)?;
            doc.body = String::from_utf8_lossy(&bytes).into_owned();
            doc.has.push("text");
        }
        doc.flags = flags
            .map(|f| f.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        if !doc.flags.is_empty() {
            doc.has.push("flags");
        }
        if let Some(m) = meta.and_then(|m| serde_json::from_str::<serde_json::Value>(&m).ok()) {
            for k in ["author", "last_author"] {
                if let Some(a) = m.get(k).and_then(|v| v.as_str()) {
                    doc.authors.push(a.to_owned());
                }
            }
            if let Some(c) = m.get("camera").and_then(|v| v.as_str()) {
                doc.tags.push(format!("camera:{c}"));
            }
        }
        if gps.is_some() {
            doc.has.push("gps");
        }
        if ocr_pages > 0 {
            doc.has.push("ocr");
        }
        if status == "ocr-pending" {
            doc.has.push("ocr-pending");
        }
        if let Some(f) = format {
            mimes.insert(f);
        }
        title = t;
    }
    doc.subject = title.unwrap_or_else(|| names.iter().next().cloned().unwrap_or_default());
    doc.lang = detect(&format!(
        "{}\n{}",
        doc.subject,
        truncate(&doc.body, 64 << 10)
    ));
    doc.attachment_names = names.into_iter().collect();
    doc.mimes = mimes.into_iter().collect();
    doc.sources = sources.into_iter().collect();
    doc.folders = folders.into_iter().collect();
    doc.paths = paths.into_iter().collect();
    Ok(Some(doc))
}

/// The catalog statements a document is built from. Each runs once per message or file
/// indexed, so none may scan a table (see the test).
mod sql {
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
            trove_store::query::UP_TO_MESSAGE
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

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn no_statement_scans_a_table() {
            let owned = [
                document_nested_carriers(),
                carrier_addresses(3),
                carrier_locations(3),
            ];
            let all = [
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
                let scans = trove_store::query::full_scans(sql).unwrap();
                assert!(scans.is_empty(), "{scans:?} in {sql}");
            }
        }
    }
}
