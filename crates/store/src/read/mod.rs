//! The read operations other crates use, behind one interface: [`CatalogRead`].
//!
//! Every statement the index, the search and the command line run against the catalog is
//! here, as a typed operation returning named rows, grouped by what it serves:
//!
//! - [`feed`]: the index queue, the keys a rebuild walks, and the rows an index document is
//!   built from;
//! - [`search`]: a result page (tags, a hit's fields and locations, snippet blobs);
//! - [`explore`]: threads and people;
//! - [`reports`]: run outcomes, unresolved items, message totals, attachment-only documents;
//! - items, messages, `trove status` and the completeness report, whose rows are in
//!   [`crate::query`] and [`crate::extraction`] (where their SQL is too).
//!
//! The SQLite [`Catalog`] implements it; a PostgreSQL catalog (cluster mode) is to implement
//! the same trait, so callers take `&dyn CatalogRead` (or the `Catalog`, which is one) and
//! never see SQL or a database library's types. Errors are [`StoreError`]s, whose database
//! variant holds an opaque [`crate::DbError`].
//!
//! The trait asks for `Send`, not `Sync`: a SQLite connection serves one thread at a time, so
//! a thread that reads takes its own catalog handle (the indexer opens one per builder).

pub mod explore;
pub mod feed;
pub mod reports;
pub mod search;

use crate::blobs::BlobRef;
use crate::extraction::{ExtractionReport, ExtractionRow};
use crate::query::{AttachmentRow, ItemRow, MessageRow, SourceReport, Status};
use crate::{Catalog, StoreError};

pub use explore::ThreadMessage;
pub use feed::{
    AddressRow, AttachmentType, CopyLocation, DocumentCarrier, DocumentExtraction, DocumentItem,
    KeySet, MessageCopy, NestedCarrier, QueueEntry,
};
pub use reports::{CarrierItem, MessageCounts, OutcomeCount};
pub use search::{HitCarrier, HitLocation, HitMessage};

/// Reading a case's catalog. Keys are raw bytes: a message's content key, a document's
/// SHA-256. Lists come in the order stated (or no particular order when none is).
pub trait CatalogRead: Send {
    // --- items, messages, reports (see [`crate::query`] for the rows) ---

    /// One item by id.
    fn item(&self, id: i64) -> Result<Option<ItemRow>, StoreError>;

    /// Items named by a user: an item id, a SHA-256 (or a prefix of at least 8 hex digits), a
    /// Message-ID (`<…>` optional), or a locator.
    fn find_items(&self, spec: &str) -> Result<Vec<ItemRow>, StoreError>;

    /// Direct children of an item, by id.
    fn children(&self, id: i64) -> Result<Vec<ItemRow>, StoreError>;

    /// A message row by id.
    fn message(&self, id: i64) -> Result<Option<MessageRow>, StoreError>;

    /// Every location of a message and of its copies (same content key), duplicates included.
    fn copies(&self, message: i64) -> Result<Vec<ItemRow>, StoreError>;

    /// The attachments of a message row, by part.
    fn attachments(&self, message: i64) -> Result<Vec<AttachmentRow>, StoreError>;

    /// Counts for `trove status`.
    fn status(&self) -> Result<Status, StoreError>;

    /// The completeness report of every source, by label.
    fn report(&self) -> Result<Vec<SourceReport>, StoreError>;

    /// A document's extraction as recorded, if it has one.
    fn extraction(&self, sha256: &[u8]) -> Result<Option<ExtractionRow>, StoreError>;

    /// The extraction half of the completeness report.
    fn extraction_report(&self) -> Result<ExtractionReport, StoreError>;

    // --- blobs ---

    /// Where a blob is stored, if the catalog has it.
    fn blob(&self, sha256: &[u8; 32]) -> Result<Option<BlobRef>, StoreError>;

    // --- snapshots ---

    /// Starts a read snapshot: the reads until [`CatalogRead::end_snapshot`] see one state of
    /// the catalog (and take one lock instead of one per statement). Returns whether one was
    /// started; reads work without it.
    fn begin_snapshot(&self) -> bool;

    /// Ends the snapshot [`CatalogRead::begin_snapshot`] started.
    fn end_snapshot(&self);

    // --- the index feed ---

    /// Queue entries after position `after`, in queue order, at most `limit`.
    fn index_queue(&self, after: i64, limit: i64) -> Result<Vec<QueueEntry>, StoreError>;

    /// How many queue entries are after position `after`.
    fn index_queue_pending(&self, after: i64) -> Result<u64, StoreError>;

    /// The last queue position (0 for an empty queue).
    fn index_queue_last(&self) -> Result<i64, StoreError>;

    /// The next `limit` keys of a set after `after` (empty: from the start), in key order,
    /// each once.
    fn keys_after(
        &self,
        set: KeySet,
        after: &[u8],
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError>;

    /// The copies of a message (rows sharing the content key), by id.
    fn message_copies(&self, content_key: &[u8]) -> Result<Vec<MessageCopy>, StoreError>;

    /// The addresses of every copy of a message, by copy then position.
    fn message_addresses(&self, content_key: &[u8]) -> Result<Vec<AddressRow>, StoreError>;

    /// The distinct names and types of the attachments of a message's copies.
    fn message_attachment_types(
        &self,
        content_key: &[u8],
    ) -> Result<Vec<AttachmentType>, StoreError>;

    /// The distinct flag lists (comma-separated) of a message's extracted attachments.
    fn message_attachment_flags(&self, content_key: &[u8]) -> Result<Vec<String>, StoreError>;

    /// The distinct flag lists of the files inside archives a message carries.
    fn message_nested_flags(&self, content_key: &[u8]) -> Result<Vec<String>, StoreError>;

    /// Where every copy of a message sits.
    fn message_locations(&self, content_key: &[u8]) -> Result<Vec<CopyLocation>, StoreError>;

    /// The message number of a message: the smallest id of its copies.
    fn message_number(&self, content_key: &[u8]) -> Result<Option<i64>, StoreError>;

    /// The tags on a message, in order.
    fn message_tags(&self, content_key: &[u8]) -> Result<Vec<String>, StoreError>;

    /// The stored (or duplicate) items holding a file's bytes outside any message.
    fn document_items(&self, sha256: &[u8]) -> Result<Vec<DocumentItem>, StoreError>;

    /// The messages carrying a file as an attachment, by message id.
    fn document_carriers(&self, sha256: &[u8]) -> Result<Vec<DocumentCarrier>, StoreError>;

    /// For a file inside an attached archive: the nearest messages up its container chains,
    /// by message id.
    fn document_nested_carriers(&self, sha256: &[u8]) -> Result<Vec<NestedCarrier>, StoreError>;

    /// The distinct addresses of these messages, by role then address.
    fn carrier_addresses(&self, messages: &[i64]) -> Result<Vec<AddressRow>, StoreError>;

    /// The distinct locations of these messages.
    fn carrier_locations(&self, messages: &[i64]) -> Result<Vec<CopyLocation>, StoreError>;

    /// A document's extraction, if it has one.
    fn document_extraction(&self, sha256: &[u8]) -> Result<Option<DocumentExtraction>, StoreError>;

    // --- search support ---

    /// Content keys of the messages tagged `tag`.
    fn tagged_keys(&self, tag: &str) -> Result<Vec<Vec<u8>>, StoreError>;

    /// Whether a key is a message's content key.
    fn is_message_key(&self, key: &[u8]) -> Result<bool, StoreError>;

    /// The earliest message (by date, undated last, then id) carrying a file as an attachment.
    fn first_carrier(&self, sha256: &[u8]) -> Result<Option<HitCarrier>, StoreError>;

    /// For a file inside an attached archive: the nearest message up its container chain, with
    /// the file's name.
    fn nested_carrier(&self, sha256: &[u8]) -> Result<Option<HitCarrier>, StoreError>;

    /// A document's risk flags (comma-separated), once extracted.
    fn extraction_flags(&self, sha256: &[u8]) -> Result<Option<String>, StoreError>;

    /// A document's title, once extracted.
    fn extraction_title(&self, sha256: &[u8]) -> Result<Option<String>, StoreError>;

    /// The SHA-256 of a document's extracted text blob.
    fn extraction_text(&self, sha256: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// The first copy (smallest id) of a message.
    fn first_copy(&self, content_key: &[u8]) -> Result<Option<HitMessage>, StoreError>;

    /// The first ten `to` addresses of a message row, in order.
    fn recipients(&self, message: i64) -> Result<Vec<String>, StoreError>;

    /// The items holding a message's copies, by item id.
    fn message_hit_locations(&self, content_key: &[u8]) -> Result<Vec<HitLocation>, StoreError>;

    /// The stored (or duplicate) items holding a file's bytes outside any message, by item id.
    fn document_hit_locations(&self, sha256: &[u8]) -> Result<Vec<HitLocation>, StoreError>;

    /// The name of an attachment in a message.
    fn attachment_name(
        &self,
        sha256: &[u8],
        message_key: &[u8],
    ) -> Result<Option<String>, StoreError>;

    /// The SHA-256 of an item's bytes.
    fn item_sha256(&self, item: i64) -> Result<Option<Vec<u8>>, StoreError>;

    // --- explore ---

    /// The messages of a thread, copies taken together, by date then content key.
    fn thread_messages(&self, thread: &str) -> Result<Vec<ThreadMessage>, StoreError>;

    /// The distinct names `address` used in a message's copies.
    fn names_used(&self, content_key: &[u8], address: &str) -> Result<Vec<String>, StoreError>;

    // --- reports ---

    /// Items of a run by outcome.
    fn run_outcomes(&self, run: i64) -> Result<Vec<OutcomeCount>, StoreError>;

    /// Ids of the skipped and failed items, in order.
    fn unresolved_items(&self) -> Result<Vec<i64>, StoreError>;

    /// The SHA-256 of an extracted document whose hex starts with `prefix` (lowercase).
    fn extraction_by_prefix(&self, prefix: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// The items of (at most 50) messages carrying a document, by message id.
    fn carrier_items(&self, sha256: &[u8]) -> Result<Vec<CarrierItem>, StoreError>;

    /// Message rows and distinct messages.
    fn message_counts(&self) -> Result<MessageCounts, StoreError>;
}

impl CatalogRead for Catalog {
    fn item(&self, id: i64) -> Result<Option<ItemRow>, StoreError> {
        crate::query::sqlite_item(self, id)
    }

    fn find_items(&self, spec: &str) -> Result<Vec<ItemRow>, StoreError> {
        crate::query::sqlite_find_items(self, spec)
    }

    fn children(&self, id: i64) -> Result<Vec<ItemRow>, StoreError> {
        crate::query::sqlite_children(self, id)
    }

    fn message(&self, id: i64) -> Result<Option<MessageRow>, StoreError> {
        crate::query::sqlite_message(self, id)
    }

    fn copies(&self, message: i64) -> Result<Vec<ItemRow>, StoreError> {
        crate::query::sqlite_copies(self, message)
    }

    fn attachments(&self, message: i64) -> Result<Vec<AttachmentRow>, StoreError> {
        crate::query::sqlite_attachments(self, message)
    }

    fn status(&self) -> Result<Status, StoreError> {
        crate::query::sqlite_status(self)
    }

    fn report(&self) -> Result<Vec<SourceReport>, StoreError> {
        crate::query::sqlite_report(self)
    }

    fn extraction(&self, sha256: &[u8]) -> Result<Option<ExtractionRow>, StoreError> {
        crate::extraction::sqlite_extraction(self, sha256)
    }

    fn extraction_report(&self) -> Result<ExtractionReport, StoreError> {
        crate::extraction::sqlite_report(self)
    }

    fn blob(&self, sha256: &[u8; 32]) -> Result<Option<BlobRef>, StoreError> {
        Catalog::blob(self, sha256)
    }

    fn begin_snapshot(&self) -> bool {
        self.conn.execute_batch("BEGIN DEFERRED").is_ok()
    }

    fn end_snapshot(&self) {
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            tracing::debug!(error = %e, "ending a read snapshot");
        }
    }

    fn index_queue(&self, after: i64, limit: i64) -> Result<Vec<QueueEntry>, StoreError> {
        feed::index_queue(&self.conn, after, limit)
    }

    fn index_queue_pending(&self, after: i64) -> Result<u64, StoreError> {
        feed::index_queue_pending(&self.conn, after)
    }

    fn index_queue_last(&self) -> Result<i64, StoreError> {
        feed::index_queue_last(&self.conn)
    }

    fn keys_after(
        &self,
        set: KeySet,
        after: &[u8],
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        feed::keys_after(&self.conn, set, after, limit)
    }

    fn message_copies(&self, content_key: &[u8]) -> Result<Vec<MessageCopy>, StoreError> {
        feed::message_copies(&self.conn, content_key)
    }

    fn message_addresses(&self, content_key: &[u8]) -> Result<Vec<AddressRow>, StoreError> {
        feed::message_addresses(&self.conn, content_key)
    }

    fn message_attachment_types(
        &self,
        content_key: &[u8],
    ) -> Result<Vec<AttachmentType>, StoreError> {
        feed::message_attachment_types(&self.conn, content_key)
    }

    fn message_attachment_flags(&self, content_key: &[u8]) -> Result<Vec<String>, StoreError> {
        feed::message_attachment_flags(&self.conn, content_key)
    }

    fn message_nested_flags(&self, content_key: &[u8]) -> Result<Vec<String>, StoreError> {
        feed::message_nested_flags(&self.conn, content_key)
    }

    fn message_locations(&self, content_key: &[u8]) -> Result<Vec<CopyLocation>, StoreError> {
        feed::message_locations(&self.conn, content_key)
    }

    fn message_number(&self, content_key: &[u8]) -> Result<Option<i64>, StoreError> {
        feed::message_number(&self.conn, content_key)
    }

    fn message_tags(&self, content_key: &[u8]) -> Result<Vec<String>, StoreError> {
        feed::message_tags(&self.conn, content_key)
    }

    fn document_items(&self, sha256: &[u8]) -> Result<Vec<DocumentItem>, StoreError> {
        feed::document_items(&self.conn, sha256)
    }

    fn document_carriers(&self, sha256: &[u8]) -> Result<Vec<DocumentCarrier>, StoreError> {
        feed::document_carriers(&self.conn, sha256)
    }

    fn document_nested_carriers(&self, sha256: &[u8]) -> Result<Vec<NestedCarrier>, StoreError> {
        feed::document_nested_carriers(&self.conn, sha256)
    }

    fn carrier_addresses(&self, messages: &[i64]) -> Result<Vec<AddressRow>, StoreError> {
        feed::carrier_addresses(&self.conn, messages)
    }

    fn carrier_locations(&self, messages: &[i64]) -> Result<Vec<CopyLocation>, StoreError> {
        feed::carrier_locations(&self.conn, messages)
    }

    fn document_extraction(&self, sha256: &[u8]) -> Result<Option<DocumentExtraction>, StoreError> {
        feed::document_extraction(&self.conn, sha256)
    }

    fn tagged_keys(&self, tag: &str) -> Result<Vec<Vec<u8>>, StoreError> {
        search::tagged_keys(&self.conn, tag)
    }

    fn is_message_key(&self, key: &[u8]) -> Result<bool, StoreError> {
        search::is_message_key(&self.conn, key)
    }

    fn first_carrier(&self, sha256: &[u8]) -> Result<Option<HitCarrier>, StoreError> {
        search::first_carrier(&self.conn, sha256)
    }

    fn nested_carrier(&self, sha256: &[u8]) -> Result<Option<HitCarrier>, StoreError> {
        search::nested_carrier(&self.conn, sha256)
    }

    fn extraction_flags(&self, sha256: &[u8]) -> Result<Option<String>, StoreError> {
        search::extraction_flags(&self.conn, sha256)
    }

    fn extraction_title(&self, sha256: &[u8]) -> Result<Option<String>, StoreError> {
        search::extraction_title(&self.conn, sha256)
    }

    fn extraction_text(&self, sha256: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        search::extraction_text(&self.conn, sha256)
    }

    fn first_copy(&self, content_key: &[u8]) -> Result<Option<HitMessage>, StoreError> {
        search::first_copy(&self.conn, content_key)
    }

    fn recipients(&self, message: i64) -> Result<Vec<String>, StoreError> {
        search::recipients(&self.conn, message)
    }

    fn message_hit_locations(&self, content_key: &[u8]) -> Result<Vec<HitLocation>, StoreError> {
        search::hit_locations(&self.conn, search::sql::MESSAGE_LOCATIONS, content_key)
    }

    fn document_hit_locations(&self, sha256: &[u8]) -> Result<Vec<HitLocation>, StoreError> {
        search::hit_locations(&self.conn, search::sql::DOCUMENT_LOCATIONS, sha256)
    }

    fn attachment_name(
        &self,
        sha256: &[u8],
        message_key: &[u8],
    ) -> Result<Option<String>, StoreError> {
        search::attachment_name(&self.conn, sha256, message_key)
    }

    fn item_sha256(&self, item: i64) -> Result<Option<Vec<u8>>, StoreError> {
        search::item_sha256(&self.conn, item)
    }

    fn thread_messages(&self, thread: &str) -> Result<Vec<ThreadMessage>, StoreError> {
        explore::thread_messages(&self.conn, thread)
    }

    fn names_used(&self, content_key: &[u8], address: &str) -> Result<Vec<String>, StoreError> {
        explore::names_used(&self.conn, content_key, address)
    }

    fn run_outcomes(&self, run: i64) -> Result<Vec<OutcomeCount>, StoreError> {
        reports::run_outcomes(&self.conn, run)
    }

    fn unresolved_items(&self) -> Result<Vec<i64>, StoreError> {
        reports::unresolved_items(&self.conn)
    }

    fn extraction_by_prefix(&self, prefix: &str) -> Result<Option<Vec<u8>>, StoreError> {
        reports::extraction_by_prefix(&self.conn, prefix)
    }

    fn carrier_items(&self, sha256: &[u8]) -> Result<Vec<CarrierItem>, StoreError> {
        reports::carrier_items(&self.conn, sha256)
    }

    fn message_counts(&self) -> Result<MessageCounts, StoreError> {
        reports::message_counts(&self.conn)
    }
}
