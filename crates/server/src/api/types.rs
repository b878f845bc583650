//! The bodies of the API: what requests send and what responses carry, as `ui/openapi.json`
//! documents them (a test of `tests/api.rs` holds the two together). Responses that are rows
//! of the storage layer or results of the query engine are those types themselves
//! (`trove_store::server_state::User`, `trove_query::search::Response`, …).

use serde::{Deserialize, Serialize};
use trove_query::explore::ThreadNode;
use trove_store::annotations::{Note, Tag};
use trove_store::extraction::ExtractionRow;
use trove_store::message_view::MessageAddress;
use trove_store::query::{AttachmentRow, ItemRow, MessageRow};

use crate::db::Role;
use crate::html::Remote;

// ── requests ────────────────────────────────────────────────────────────────────────────────

/// `POST /api/login`.
#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    pub user: String,
    pub password: String,
}

/// `POST …/items/{item}/tags`.
#[derive(Debug, Deserialize)]
pub struct TagRequest {
    pub tag: String,
}

/// `POST …/items/{item}/notes`.
#[derive(Debug, Deserialize)]
pub struct NoteRequest {
    pub text: String,
}

/// `POST /api/admin/users`.
#[derive(Debug, Deserialize)]
pub struct NewUserRequest {
    pub name: String,
    pub password: String,
    pub role: String,
}

/// `PATCH /api/admin/users/{name}`: what is given changes.
#[derive(Debug, Deserialize)]
pub struct UserUpdateRequest {
    pub role: Option<String>,
    pub password: Option<String>,
    pub disabled: Option<bool>,
}

/// The query string of `GET …/export`.
#[derive(Debug, Deserialize)]
pub struct ExportParams {
    #[serde(default)]
    pub q: String,
    pub format: Option<String>,
    pub copies: Option<bool>,
}

/// The query string of `GET …/items/{item}`.
#[derive(Debug, Deserialize, Default)]
pub struct MessageParams {
    pub raw_headers: Option<bool>,
}

// ── responses ───────────────────────────────────────────────────────────────────────────────

/// The session (`POST /api/login`, `GET /api/session`): openapi `Session`.
#[derive(Debug, Clone, Serialize)]
pub struct SessionInfo {
    pub user: String,
    pub role: Role,
    pub csrf: String,
    /// The cases the user may open.
    pub cases: Vec<String>,
}

/// `POST /api/logout`.
#[derive(Debug, Clone, Serialize)]
pub struct Done {
    pub ok: bool,
}

/// One case of `GET /api/cases`.
#[derive(Debug, Clone, Serialize)]
pub struct CaseInfo {
    pub name: String,
    /// Documents in its index.
    pub documents: u64,
}

/// `GET …/count`.
#[derive(Debug, Clone, Serialize)]
pub struct Count {
    pub count: u64,
}

/// `GET …/threads/{thread}`.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadView {
    pub thread: String,
    pub messages: Vec<ThreadNode>,
}

/// `GET …/items/{item}`: openapi `Item`.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub item: ItemRow,
    /// The container chain from the outermost file.
    pub provenance: Vec<ItemRow>,
    pub children: Vec<ItemRow>,
    pub case: String,
    /// For a document outside any message: what extraction made of it (null: nothing yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extraction: Option<Option<ExtractionRow>>,
    /// For a message with stored bytes.
    #[serde(flatten)]
    pub message: Option<MessageView>,
}

/// The message part of [`ItemView`].
#[derive(Debug, Clone, Serialize)]
pub struct MessageView {
    pub message: Option<MessageRow>,
    pub addresses: Vec<MessageAddress>,
    pub headers: Vec<HeaderView>,
    /// The header block as it is in the file, when asked for (`raw_headers=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_headers: Option<String>,
    pub text: String,
    pub has_html: bool,
    /// Remote images (replaced by placeholders in the HTML view).
    pub remote_images: Vec<String>,
    pub links: Vec<String>,
    /// Everything remote the HTML would have loaded, none of it fetched.
    pub remote: Vec<Remote>,
    pub attachments: Vec<AttachmentView>,
    pub copies: Vec<ItemRow>,
    pub thread: Option<String>,
    pub tags: Vec<Tag>,
    pub notes: Vec<Note>,
}

/// A header field of a message, decoded.
#[derive(Debug, Clone, Serialize)]
pub struct HeaderView {
    pub name: String,
    pub value: String,
}

/// An attachment with what extraction made of it.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    #[serde(flatten)]
    pub attachment: AttachmentRow,
    pub extraction: Option<ExtractionRow>,
}

/// `POST …/items/{item}/tags`.
#[derive(Debug, Clone, Serialize)]
pub struct TagAdded {
    pub tag: String,
}

/// `DELETE …/items/{item}/tags/{tag}`.
#[derive(Debug, Clone, Serialize)]
pub struct TagRemoved {
    pub removed: String,
}

/// `POST …/items/{item}/notes`.
#[derive(Debug, Clone, Serialize)]
pub struct NoteAdded {
    pub id: i64,
    pub author: String,
    pub text: String,
}
