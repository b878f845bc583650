//! The index schema.
//!
//! One document per logical message (all copies of it merged: their sources, folders and paths
//! are multi-valued), per distinct attachment (linked to every message carrying it), and per
//! loose document. Text is not stored: snippets are cut from the blob at query time, which
//! keeps the index small.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analysis::{EN, ES, FOLDED};

/// What a document stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Message,
    Attachment,
    Document,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Message => "message",
            DocKind::Attachment => "attachment",
            DocKind::Document => "document",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "message" => Some(DocKind::Message),
            "attachment" => Some(DocKind::Attachment),
            "document" => Some(DocKind::Document),
            _ => None,
        }
    }
}

/// Handles to every field.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Hex id: the content key for messages, the SHA-256 for attachments and documents.
    pub key: Field,
    pub kind: Field,
    /// Attachments: keys of the messages that carry them.
    pub parent: Field,
    /// Messages: a number for the logical message (the smallest catalog id of its copies).
    pub msg_no: Field,
    /// Attachments: the `msg_no` of every message carrying them (numbers are cheap to match
    /// against a set; keys are not).
    pub parent_no: Field,
    pub subject_es: Field,
    pub subject_en: Field,
    pub subject_exact: Field,
    pub body_es: Field,
    pub body_en: Field,
    pub body_exact: Field,
    pub from: Field,
    pub to: Field,
    pub cc: Field,
    pub bcc: Field,
    pub participant: Field,
    /// Attachment file names (folded words and whole names).
    pub attachment: Field,
    pub mime: Field,
    pub message_id: Field,
    pub thread: Field,
    pub source: Field,
    pub folder: Field,
    pub path: Field,
    pub lang: Field,
    /// Markers: `attachment`, `html`, `problems`, `duplicates`…
    pub has: Field,
    pub size: Field,
    /// Unix seconds, UTC.
    pub date: Field,
    pub from_addr: Field,
    pub from_domain: Field,
    pub rcpt_addr: Field,
    pub tag: Field,
    /// Risk flags of attachments and documents: executable, macro, encrypted, mismatch, bomb…
    pub flag: Field,
    /// Document authors (metadata: author and last author), folded words.
    pub author: Field,
}

/// Stemmed text: frequencies for ranking, no positions (phrases and proximity use the folded
/// fields, and snippets re-read the text).
fn stemmed(tokenizer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqs),
    )
}

fn text(tokenizer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

/// Text indexed for filtering only: no frequencies, no positions.
fn words(tokenizer: &str) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::Basic),
    )
}

/// The schema and its fields.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let facet = STRING | FAST;
    let f = Fields {
        key: b.add_text_field("key", STRING | STORED | FAST),
        kind: b.add_text_field("kind", facet.clone()),
        parent: b.add_text_field("parent", STRING | FAST),
        msg_no: b.add_u64_field("msg_no", FAST),
        parent_no: b.add_u64_field("parent_no", FAST),
        subject_es: b.add_text_field("subject_es", stemmed(ES)),
        subject_en: b.add_text_field("subject_en", stemmed(EN)),
        subject_exact: b.add_text_field("subject_exact", text(FOLDED)),
        body_es: b.add_text_field("body_es", stemmed(ES)),
        body_en: b.add_text_field("body_en", stemmed(EN)),
        body_exact: b.add_text_field("body_exact", text(FOLDED)),
        from: b.add_text_field("from", text(FOLDED)),
        to: b.add_text_field("to", text(FOLDED)),
        cc: b.add_text_field("cc", text(FOLDED)),
        bcc: b.add_text_field("bcc", text(FOLDED)),
        participant: b.add_text_field("participant", text(FOLDED)),
        attachment: b.add_text_field("attachment", text(FOLDED)),
        mime: b.add_text_field("mime", facet.clone()),
        message_id: b.add_text_field("message_id", STRING),
        thread: b.add_text_field("thread", STRING | FAST),
        source: b.add_text_field("source", facet.clone()),
        folder: b.add_text_field("folder", words(FOLDED)),
        path: b.add_text_field("path", words(FOLDED)),
        lang: b.add_text_field("lang", facet.clone()),
        has: b.add_text_field("has", facet.clone()),
        size: b.add_u64_field("size", INDEXED | FAST),
        date: b.add_i64_field("date", INDEXED | FAST),
        from_addr: b.add_text_field("from_addr", facet.clone()),
        from_domain: b.add_text_field("from_domain", facet.clone()),
        rcpt_addr: b.add_text_field("rcpt_addr", facet.clone()),
        tag: b.add_text_field("tag", STRING | FAST),
        flag: b.add_text_field("flag", facet),
        author: b.add_text_field("author", text(FOLDED)),
    };
    (b.build(), f)
}

/// Fields from a schema built by [`schema`] (for an index opened from disk).
pub fn fields(s: &Schema) -> Result<Fields, tantivy::TantivyError> {
    let g = |n: &str| s.get_field(n);
    Ok(Fields {
        key: g("key")?,
        kind: g("kind")?,
        parent: g("parent")?,
        msg_no: g("msg_no")?,
        parent_no: g("parent_no")?,
        subject_es: g("subject_es")?,
        subject_en: g("subject_en")?,
        subject_exact: g("subject_exact")?,
        body_es: g("body_es")?,
        body_en: g("body_en")?,
        body_exact: g("body_exact")?,
        from: g("from")?,
        to: g("to")?,
        cc: g("cc")?,
        bcc: g("bcc")?,
        participant: g("participant")?,
        attachment: g("attachment")?,
        mime: g("mime")?,
        message_id: g("message_id")?,
        thread: g("thread")?,
        source: g("source")?,
        folder: g("folder")?,
        path: g("path")?,
        lang: g("lang")?,
        has: g("has")?,
        size: g("size")?,
        date: g("date")?,
        from_addr: g("from_addr")?,
        from_domain: g("from_domain")?,
        rcpt_addr: g("rcpt_addr")?,
        tag: g("tag")?,
        flag: g("flag")?,
        author: g("author")?,
    })
}
