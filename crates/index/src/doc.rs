//! Index documents, built from the catalog and the blobs (never from the original sources).
//! The catalog rows come from trove-store's [`CatalogRead`] (`trove_store::read::feed`).

use std::collections::BTreeSet;

use tantivy::TantivyDocument;
use tantivy::tokenizer::{PreTokenizedString, Token};
use trove_formats::Limits;
use trove_formats::message::{DateHints, parse_message};
use trove_store::read::{AddressRow, CopyLocation, DocumentCarrier, DocumentExtraction};
use trove_store::{Case, CatalogRead, StoreError};

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
}

/// The document for one logical message (all messages sharing a content key), or `None` when
/// the catalog no longer has it.
pub fn message_doc(
    case: &Case,
    cat: &dyn CatalogRead,
    content_key: &[u8],
) -> Result<Option<IndexDoc>, DocError> {
    let rows = cat.message_copies(content_key)?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut sha = [0u8; 32];
    if first.sha256.len() == 32 {
        sha.copy_from_slice(&first.sha256);
    }
    let (bytes, whole) = case.read_message(cat, &sha)?;
    let parsed = parse_message(&bytes, &Limits::default(), DateHints::default(), !whole);
    drop(bytes);
    let body = parsed.text;
    let subject = first.subject.clone().unwrap_or_default();
    let lang = match first.lang.as_deref() {
        Some(code) => Lang::from_code(code),
        None => detect(&format!("{subject}\n{body}")),
    };
    let mut doc = IndexDoc {
        key: hex::encode(content_key),
        kind: DocKind::Message,
        parents: Vec::new(),
        msg_no: Some(first.id as u64),
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
            .filter_map(|r| r.message_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        thread: first.thread.clone(),
        sources: Vec::new(),
        folders: Vec::new(),
        paths: Vec::new(),
        size: first.size,
        date: first.date,
        has: Vec::new(),
        tags: Vec::new(),
        flags: Vec::new(),
        authors: Vec::new(),
    };
    // Addresses of every copy (only the sender's copy has Bcc).
    let mut seen = BTreeSet::new();
    for AddressRow {
        role,
        name,
        address,
    } in cat.message_addresses(content_key)?
    {
        if !seen.insert((role.clone(), name.clone(), address.clone())) {
            continue;
        }
        doc.add_address(&role, Mailbox { name, address });
    }
    let mut names = BTreeSet::new();
    let mut mimes = BTreeSet::new();
    for t in cat.message_attachment_types(content_key)? {
        if let Some(n) = t.name {
            names.insert(n);
        }
        mimes.insert(t.mime);
    }
    if !mimes.is_empty() {
        doc.has.push("attachment");
    }
    doc.attachment_names = names.into_iter().collect();
    doc.mimes = mimes.into_iter().collect();
    // Flags of its attachments (executable, macro…), once extracted, and of the files inside
    // archives it carries.
    let mut flags = BTreeSet::new();
    for list in cat.message_attachment_flags(content_key)? {
        flags.extend(list.split(',').map(str::to_owned));
    }
    for list in cat.message_nested_flags(content_key)? {
        flags.extend(list.split(',').map(str::to_owned));
    }
    doc.flags = flags.into_iter().collect();
    if rows.iter().any(|r| r.has_html) {
        doc.has.push("html");
    }
    if rows.iter().any(|r| r.problems.is_some()) {
        doc.has.push("problems");
    }
    let (mut sources, mut folders, mut paths) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut locations = 0;
    for CopyLocation {
        source: s,
        folder: f,
        locator: p,
    } in cat.message_locations(content_key)?
    {
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
    // Tags on the message (written by the web app).
    doc.tags = cat.message_tags(content_key)?;
    Ok(Some(doc))
}

/// The document for a file: an attachment (its bytes carried by messages: `parent` lists
/// them, and their senders, recipients, dates, sources and folders are the attachment's too,
/// so that a search can combine them) or a loose document (a file outside any message). The
/// body is the extracted text; metadata, flags and OCR state come from the extraction.
pub fn document_doc(
    case: &Case,
    cat: &dyn CatalogRead,
    sha256: &[u8],
) -> Result<Option<IndexDoc>, DocError> {
    let rows = cat.document_items(sha256)?;
    // Messages carrying these bytes as an attachment.
    let mut carriers = cat.document_carriers(sha256)?;
    // A file inside an archive attached to a message is that message's attachment too: the
    // nearest messages up its container chain carry it.
    if carriers.is_empty()
        && let Some(first) = rows.first()
    {
        carriers = cat
            .document_nested_carriers(sha256)?
            .into_iter()
            .map(|up| DocumentCarrier {
                message: up.message,
                content_key: up.content_key,
                name: Some(first.name.clone()),
                mime: first.format.clone(),
                size: first.size,
                date: up.date,
                thread: up.thread,
            })
            .collect();
    }
    if rows.is_empty() && carriers.is_empty() {
        return Ok(None);
    }
    let mut names: BTreeSet<String> = rows.iter().map(|r| r.name.clone()).collect();
    names.extend(carriers.iter().filter_map(|c| c.name.clone()));
    let mut mimes: BTreeSet<String> = rows.iter().map(|r| r.format.clone()).collect();
    mimes.extend(carriers.iter().map(|c| c.mime.clone()));
    let size = rows
        .first()
        .map(|r| r.size)
        .or_else(|| carriers.first().map(|c| c.size))
        .unwrap_or(0);
    let mut sources: BTreeSet<String> = rows.iter().map(|r| r.source.clone()).collect();
    let mut folders: BTreeSet<String> = rows.iter().filter_map(|r| r.folder.clone()).collect();
    let mut paths: BTreeSet<String> = rows.iter().map(|r| r.locator.clone()).collect();
    let mut doc = IndexDoc {
        key: hex::encode(sha256),
        kind: if carriers.is_empty() {
            DocKind::Document
        } else {
            DocKind::Attachment
        },
        parents: carriers
            .iter()
            .map(|c| hex::encode(&c.content_key))
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
        thread: carriers.iter().find_map(|c| c.thread.clone()),
        sources: Vec::new(),
        folders: Vec::new(),
        paths: Vec::new(),
        size,
        date: carriers.iter().filter_map(|c| c.date).min(),
        has: Vec::new(),
        tags: Vec::new(),
        flags: Vec::new(),
        authors: Vec::new(),
    };
    // The carriers' message numbers (see `message_doc`: the smallest id of each content key).
    let keys: BTreeSet<&Vec<u8>> = carriers.iter().map(|c| &c.content_key).collect();
    for k in keys {
        if let Some(n) = cat.message_number(k)? {
            doc.parent_nos.push(n as u64);
        }
    }
    if rows.len() + carriers.len() > 1 {
        doc.has.push("copies");
    }
    if !carriers.is_empty() {
        let ids: Vec<i64> = carriers
            .iter()
            .map(|c| c.message)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .take(500)
            .collect();
        for AddressRow {
            role,
            name,
            address,
        } in cat.carrier_addresses(&ids)?
        {
            doc.add_address(&role, Mailbox { name, address });
        }
        for CopyLocation {
            source: s,
            folder: f,
            locator: p,
        } in cat.carrier_locations(&ids)?
        {
            sources.insert(s);
            if let Some(f) = f {
                folders.insert(f);
            }
            paths.insert(p);
        }
    }
    // The extraction: text, metadata, flags.
    let ex = cat.document_extraction(sha256)?;
    let mut title = None;
    if let Some(DocumentExtraction {
        status,
        text_sha256: text_sha,
        flags,
        meta,
        title: t,
        gps_lat: gps,
        ocr_pages,
        format,
    }) = ex
    {
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
