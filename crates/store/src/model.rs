//! What the catalog records: items, their outcomes, messages and blobs.

use serde::{Deserialize, Serialize};

/// How an item came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    /// A file on disk, named on the command line or found in a folder.
    File,
    /// A member of an archive, or the content of a compressed stream.
    Member,
    /// A message of an mbox.
    MboxMessage,
    /// An attachment opened because it is a message or an archive.
    Attachment,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::File => "file",
            ItemKind::Member => "member",
            ItemKind::MboxMessage => "mbox-message",
            ItemKind::Attachment => "attachment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "file" => ItemKind::File,
            "member" => ItemKind::Member,
            "mbox-message" => ItemKind::MboxMessage,
            "attachment" => ItemKind::Attachment,
            _ => return None,
        })
    }
}

/// The one outcome every item ends in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Its bytes were stored (first time these exact bytes were seen).
    Stored,
    /// The same bytes as an item already stored; this location is recorded as evidence.
    Duplicate,
    /// It holds other items, each with an outcome of its own. `damage` says when it could only
    /// be read in part.
    Container { damage: Option<String> },
    /// Deliberately not stored, and why (empty file, encrypted member, link, limit reached…).
    Skipped { reason: String },
    /// Reading it failed, and how.
    Failed { reason: String },
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Stored => "stored",
            Outcome::Duplicate => "duplicate",
            Outcome::Container { .. } => "container",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Failed { .. } => "failed",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Container { damage } => damage.as_deref(),
            Outcome::Skipped { reason } | Outcome::Failed { reason } => Some(reason),
            _ => None,
        }
    }
}

/// All outcome names, in report order.
pub const OUTCOMES: [&str; 5] = ["stored", "duplicate", "container", "skipped", "failed"];

/// A mailbox of a stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressRecord {
    /// from, sender, reply-to, to, cc, bcc
    pub role: &'static str,
    pub name: Option<String>,
    /// Lower-cased address (or X.500 DN).
    pub address: Option<String>,
    pub group: Option<String>,
}

/// An attachment of a stored message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRecord {
    pub part: u32,
    pub name: Option<String>,
    pub mime: String,
    pub disposition: Option<String>,
    pub content_id: Option<String>,
    pub size: u64,
    pub sha256: [u8; 32],
    pub is_message: bool,
    /// Locator of the item made from this attachment, when it was opened.
    pub item_locator: Option<String>,
}

/// The catalog's record of a parsed message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    pub content_key: [u8; 32],
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub subject: Option<String>,
    /// Unix seconds, UTC.
    pub date: Option<i64>,
    pub date_raw: Option<String>,
    pub date_source: Option<&'static str>,
    pub from_name: Option<String>,
    pub from_addr: Option<String>,
    pub text_len: u64,
    pub has_html: bool,
    pub addresses: Vec<AddressRecord>,
    pub attachments: Vec<AttachmentRecord>,
    /// Problem names (see `trove_formats::message::Problem`).
    pub problems: Vec<&'static str>,
    /// Language of subject and body, as detected by the worker.
    pub lang: Option<&'static str>,
}

/// How a blob's bytes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Codec {
    /// As they are (already compressed formats).
    Raw,
    /// One zstd frame.
    Zstd,
}

impl Codec {
    pub fn as_str(self) -> &'static str {
        match self {
            Codec::Raw => "raw",
            Codec::Zstd => "zstd",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "raw" => Some(Codec::Raw),
            "zstd" => Some(Codec::Zstd),
            _ => None,
        }
    }
}

/// Bytes ready for the blob store, encoded by a worker.
#[derive(Debug, Clone)]
pub enum BlobData {
    /// Small blob, encoded in memory; the writer appends it to a pack.
    Inline {
        sha256: [u8; 32],
        size: u64,
        codec: Codec,
        bytes: Vec<u8>,
    },
    /// Large blob already written to its own file by the worker.
    Large {
        sha256: [u8; 32],
        size: u64,
        codec: Codec,
        stored_size: u64,
    },
}

impl BlobData {
    pub fn sha256(&self) -> [u8; 32] {
        match self {
            BlobData::Inline { sha256, .. } | BlobData::Large { sha256, .. } => *sha256,
        }
    }
}

/// Where the item hangs in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parent {
    /// An outermost input.
    None,
    /// The item with this locator (same source), already written or earlier in the batch.
    Locator(String),
}

/// Where an item comes from, as the catalog records it: carried as one value by everything in
/// flight (containers being opened, members being classified, units for the workers) and
/// finally by the [`NewItem`], instead of copied field by field.
///
/// The locator names the outermost file and the chain of containers down to the item
/// (`dump/a.zip!/b.tar!/c.mbox#812`); `parent` is the innermost container.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    pub locator: String,
    pub parent: Parent,
    pub name: String,
    pub kind: ItemKind,
    /// Byte range inside the parent (mbox, decompressed stream, archive).
    pub offset: Option<u64>,
    pub length: Option<u64>,
    pub folder: Option<String>,
    pub flags: Option<String>,
    /// Format-specific facts (envelope line, Zimbra ids, archive member time, encryption…).
    pub meta: Option<serde_json::Value>,
    /// Modification time of an outermost file, to tell on resume whether it changed.
    pub mtime: Option<i64>,
}

impl Provenance {
    /// A provenance with only the fields every item has; byte range, folder, flags, metadata
    /// and time unset.
    pub fn new(locator: String, parent: Parent, name: String, kind: ItemKind) -> Self {
        Provenance {
            locator,
            parent,
            name,
            kind,
            offset: None,
            length: None,
            folder: None,
            flags: None,
            meta: None,
            mtime: None,
        }
    }
}

/// One item as a worker hands it to the catalog writer.
#[derive(Debug, Clone)]
pub struct NewItem {
    /// Where it comes from (locator, parent, name, kind, byte range, folder, flags, meta, mtime).
    pub prov: Provenance,
    pub format: String,
    pub size: u64,
    pub sha256: Option<[u8; 32]>,
    pub outcome: Outcome,
    /// False for a container whose members are still being read.
    pub complete: bool,
    pub blob: Option<BlobData>,
    pub message: Option<MessageRecord>,
}

impl NewItem {
    /// An item of this provenance, complete, without blob, hash or message.
    pub fn new(prov: Provenance, format: impl Into<String>, size: u64, outcome: Outcome) -> Self {
        NewItem {
            prov,
            format: format.into(),
            size,
            sha256: None,
            outcome,
            complete: true,
            blob: None,
            message: None,
        }
    }
}

/// Now, as RFC 3339 UTC.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
