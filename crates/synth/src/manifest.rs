//! Ground truth written next to the corpus: `manifest.json` (totals) and
//! `manifest-messages.jsonl` (one [`MessageRecord`] per logical message, in authoring order).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Layout, SynthConfig, SynthError};

pub const MANIFEST_FILE: &str = "manifest.json";
pub const MESSAGES_FILE: &str = "manifest-messages.jsonl";

/// Totals for one layout (files and bytes on disk under `out/<layout>/`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutStats {
    /// Custodians whose mailbox uses this layout.
    pub custodians: u64,
    /// Files written (message files, mbox files, zip files, Maildir++ `maildirfolder` markers).
    pub files: u64,
    /// Message copies stored (EML files, Maildir messages, mbox messages, zip members incl.
    /// those inside nested `respaldo.zip` archives).
    pub copies: u64,
    /// Bytes on disk.
    pub bytes: u64,
}

/// Nested zip archives, by where they sit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NestedZips {
    /// `respaldo.zip` archives inside `zip/<login>.zip` mailboxes.
    pub respaldo: u64,
    /// `.zip` attachments (counted per logical message).
    pub zip_attachments: u64,
    /// Zips inside those zip attachments.
    pub zip_in_zip: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustodianEntry {
    pub login: String,
    pub name: String,
    pub rank: String,
    pub unit: String,
    pub email: String,
    pub layout: Layout,
    /// Relative path of the mailbox (`eml/<login>`, `maildir/<login>`, `mbox/<login>`, `zip/<login>.zip`).
    pub root: String,
    /// Message copies in this mailbox (0 means no mailbox was written).
    pub copies: u64,
}

/// Totals for the whole corpus. Counts of "messages" refer to logical (authored) messages;
/// "copies" to their stored instances across mailboxes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub generator: String,
    pub format_version: u32,
    pub seed: u64,
    pub config: SynthConfig,
    pub logical_messages: u64,
    pub copies: u64,
    pub threads: u64,
    /// Files written under the layout directories (manifest files excluded).
    pub files: u64,
    /// Bytes written under the layout directories (manifest files excluded).
    pub bytes: u64,
    /// Attachment parts over all logical messages (including forwarded ones and message/rfc822).
    pub attachments: u64,
    /// Total nested zip archives (`nested_zip_detail` sums to this).
    pub nested_zips: u64,
    pub nested_zip_detail: NestedZips,
    /// Logical messages with raw (unencoded) 8-bit windows-1252 bytes in Subject/From/filenames.
    pub raw_8bit_header_messages: u64,
    /// Logical messages whose Subject has an RFC 2047 encoded word split inside a UTF-8 character.
    pub split_encoded_word_messages: u64,
    pub replies: u64,
    pub forwards: u64,
    /// Replies/forwards without In-Reply-To/References (tied to the thread only by subject).
    pub header_poor_replies: u64,
    pub rfc822_attachments: u64,
    pub english_messages: u64,
    pub languages: BTreeMap<String, u64>,
    pub charsets: BTreeMap<String, u64>,
    pub transfer_encodings: BTreeMap<String, u64>,
    pub structures: BTreeMap<String, u64>,
    pub attachment_kinds: BTreeMap<String, u64>,
    pub layouts: BTreeMap<String, LayoutStats>,
    pub custodians: Vec<CustodianEntry>,
    /// RFC 5322 dates of the earliest and latest message.
    pub first_date: String,
    pub last_date: String,
    /// Name of the per-message JSON-lines file next to `manifest.json`.
    pub messages_file: String,
}

impl Manifest {
    /// Read `out/manifest.json`.
    pub fn load(out: &Path) -> Result<Manifest, SynthError> {
        let p = out.join(MANIFEST_FILE);
        let f = File::open(&p).map_err(|e| SynthError::io(&p, e))?;
        Ok(serde_json::from_reader(BufReader::new(f))?)
    }
}

/// Where one copy of a message is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// File path relative to the output directory (`/` separators).
    pub path: String,
    pub custodian: String,
    /// Mail folder, e.g. `Bandeja de entrada`, `Enviados`, `Archivo/2019`.
    pub folder: String,
    /// Zip member holding the copy (for nested archives: the nested zip's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Member inside the nested zip named by `member`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inner: Option<String>,
    /// 0-based message index within an mbox file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    /// Byte offset of the mbox envelope (`From `) line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRecord {
    pub filename: String,
    pub content_type: String,
    pub kind: String,
    pub size: u64,
    pub sha256: String,
}

/// Ground truth for one logical message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRecord {
    pub index: u64,
    pub thread: u64,
    pub message_id: String,
    /// RFC 5322 `Date:` value, identical in every copy.
    pub date: String,
    pub unix: i64,
    /// Decoded subject.
    pub subject: String,
    pub from: String,
    pub to: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bcc: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
    /// `new`, `reply` or `forward`.
    pub kind: String,
    pub lang: String,
    pub charset: String,
    pub transfer_encoding: String,
    /// `plain`, `alternative`, `html-only`, each `+mixed` when there are attachments.
    pub structure: String,
    pub header_poor: bool,
    pub raw_8bit: bool,
    pub split_encoded_word: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentRecord>,
    pub copies: u32,
    pub locations: Vec<Location>,
}

/// Read every record of `out/manifest-messages.jsonl`.
pub fn read_messages(out: &Path) -> Result<Vec<MessageRecord>, SynthError> {
    let p = out.join(MESSAGES_FILE);
    let f = File::open(&p).map_err(|e| SynthError::io(&p, e))?;
    let mut v = Vec::new();
    for line in BufReader::new(f).lines() {
        let line = line.map_err(|e| SynthError::io(&p, e))?;
        if !line.is_empty() {
            v.push(serde_json::from_str(&line)?);
        }
    }
    Ok(v)
}
