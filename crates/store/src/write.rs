//! The write operations, behind one interface: [`CatalogWrite`] for the catalog and
//! [`WriteBatch`] for one transaction of the ingest's writer.
//!
//! The SQLite [`Catalog`] and its [`Batch`] implement them by their own methods of the same
//! names, so the ingest and the extraction stage, which hold a `Catalog`, call those directly
//! (static dispatch: the write path is not slowed by the interface). A PostgreSQL catalog is
//! to implement the same traits; the blob packs ([`PackWriter`]) are files either way.

use crate::blobs::PackWriter;
use crate::catalog::{Batch, ItemState, Written};
use crate::extraction::{ExtractionRecord, NewCarriers};
use crate::model::{NewItem, Outcome};
use crate::{Catalog, CatalogRead, StoreError};

/// Writing a case's catalog: sources, runs, batches of items, extraction outcomes, and the
/// index queue. Every writer can read too.
pub trait CatalogWrite: CatalogRead {
    /// The id of a source label, created on first use.
    fn ensure_source(&self, label: &str) -> Result<i64, StoreError>;

    /// Records the start of an ingest run (runs left `running` by a crash become
    /// `interrupted`). Returns its id.
    fn begin_run(&self, source: i64, command: &str, inputs: &[String]) -> Result<i64, StoreError>;

    /// Records the end of a run, with its status and statistics.
    fn finish_run(
        &self,
        run: i64,
        status: &str,
        stats: &serde_json::Value,
    ) -> Result<(), StoreError>;

    /// Per pack, the end of the last blob recorded (for [`PackWriter::open`]).
    fn pack_ends(&self) -> Result<Vec<(u32, u64)>, StoreError>;

    /// What the catalog knows about an item, for resuming.
    fn item_state(&self, source: i64, locator: &str) -> Result<Option<ItemState>, StoreError>;

    /// Whether the source has any item yet (a fresh ingest need not look items up).
    fn source_has_items(&self, source: i64) -> Result<bool, StoreError>;

    /// Starts a write batch (one transaction).
    fn write_batch(&mut self) -> Result<Box<dyn WriteBatch + '_>, StoreError>;

    /// Records extraction outcomes (text blobs appended to the packs, synced before the
    /// commit) and queues the documents for the index; `refresh` are documents only to queue.
    fn write_extractions(
        &mut self,
        packs: &mut PackWriter,
        recs: &[ExtractionRecord],
        refresh: &[[u8; 32]],
    ) -> Result<(), StoreError>;

    /// Queues again, or drops for extraction again, the documents new messages carry.
    fn new_carriers(&mut self) -> Result<NewCarriers, StoreError>;

    /// Forgets the index queue's entries up to position `upto`. Returns how many went.
    fn trim_index_queue(&self, upto: i64) -> Result<usize, StoreError>;
}

/// One transaction of the ingest's writer (see [`Batch`] for what each operation does).
pub trait WriteBatch {
    /// The id of an item by locator.
    fn item_id(&self, source: i64, locator: &str) -> Result<Option<i64>, StoreError>;

    /// Whether `write_item` should look for an item before inserting it.
    fn set_check_existing(&mut self, check: bool);

    /// Records one item (and its blob and message) unless it is already recorded.
    fn write_item(
        &mut self,
        source: i64,
        run: i64,
        packs: &mut PackWriter,
        item: &NewItem,
        parent_id: Option<i64>,
    ) -> Result<Written, StoreError>;

    /// Asks the index to (re)build the document for a message or a loose document.
    fn enqueue(&mut self, kind: &str, key: &[u8]) -> Result<(), StoreError>;

    /// Points a message's attachment at the item opened from it.
    fn link_attachment(
        &mut self,
        message_item: i64,
        part: u32,
        child: i64,
    ) -> Result<(), StoreError>;

    /// Marks a container complete with its final outcome.
    fn complete(&mut self, id: i64, outcome: &Outcome) -> Result<(), StoreError>;

    /// Records that every member of a container before `offset` is in the catalog.
    fn set_resume(&mut self, id: i64, offset: u64) -> Result<(), StoreError>;

    /// Syncs the packs, then commits.
    fn commit(self: Box<Self>, packs: &mut PackWriter) -> Result<(), StoreError>;
}

impl CatalogWrite for Catalog {
    fn ensure_source(&self, label: &str) -> Result<i64, StoreError> {
        Catalog::ensure_source(self, label)
    }

    fn begin_run(&self, source: i64, command: &str, inputs: &[String]) -> Result<i64, StoreError> {
        Catalog::begin_run(self, source, command, inputs)
    }

    fn finish_run(
        &self,
        run: i64,
        status: &str,
        stats: &serde_json::Value,
    ) -> Result<(), StoreError> {
        Catalog::finish_run(self, run, status, stats)
    }

    fn pack_ends(&self) -> Result<Vec<(u32, u64)>, StoreError> {
        Catalog::pack_ends(self)
    }

    fn item_state(&self, source: i64, locator: &str) -> Result<Option<ItemState>, StoreError> {
        Catalog::item_state(self, source, locator)
    }

    fn source_has_items(&self, source: i64) -> Result<bool, StoreError> {
        Catalog::source_has_items(self, source)
    }

    fn write_batch(&mut self) -> Result<Box<dyn WriteBatch + '_>, StoreError> {
        Ok(Box::new(Catalog::batch(self)?))
    }

    fn write_extractions(
        &mut self,
        packs: &mut PackWriter,
        recs: &[ExtractionRecord],
        refresh: &[[u8; 32]],
    ) -> Result<(), StoreError> {
        Catalog::write_extractions(self, packs, recs, refresh)
    }

    fn new_carriers(&mut self) -> Result<NewCarriers, StoreError> {
        Catalog::new_carriers(self)
    }

    fn trim_index_queue(&self, upto: i64) -> Result<usize, StoreError> {
        Catalog::trim_index_queue(self, upto)
    }
}

impl WriteBatch for Batch<'_> {
    fn item_id(&self, source: i64, locator: &str) -> Result<Option<i64>, StoreError> {
        Batch::item_id(self, source, locator)
    }

    fn set_check_existing(&mut self, check: bool) {
        Batch::set_check_existing(self, check)
    }

    fn write_item(
        &mut self,
        source: i64,
        run: i64,
        packs: &mut PackWriter,
        item: &NewItem,
        parent_id: Option<i64>,
    ) -> Result<Written, StoreError> {
        Batch::write_item(self, source, run, packs, item, parent_id)
    }

    fn enqueue(&mut self, kind: &str, key: &[u8]) -> Result<(), StoreError> {
        Batch::enqueue(self, kind, key)
    }

    fn link_attachment(
        &mut self,
        message_item: i64,
        part: u32,
        child: i64,
    ) -> Result<(), StoreError> {
        Batch::link_attachment(self, message_item, part, child)
    }

    fn complete(&mut self, id: i64, outcome: &Outcome) -> Result<(), StoreError> {
        Batch::complete(self, id, outcome)
    }

    fn set_resume(&mut self, id: i64, offset: u64) -> Result<(), StoreError> {
        Batch::set_resume(self, id, offset)
    }

    fn commit(self: Box<Self>, packs: &mut PackWriter) -> Result<(), StoreError> {
        Batch::commit(*self, packs)
    }
}
