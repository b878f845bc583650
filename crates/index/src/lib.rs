//! The search index: every message, attachment and loose document of a case in an embedded
//! tantivy index under `caso/index/`, kept in step with the catalog.
//!
//! The catalog is the truth and the index follows it: the ingest's catalog writer appends
//! the key of every message or document it touches to `index_queue` in the same transaction,
//! and the [`Indexer`] turns queue entries into documents, recording in each tantivy commit
//! the queue position it reached. A crash between the two loses nothing: the next run
//! re-indexes from that position (indexing a key twice replaces it). [`reindex`] rebuilds
//! the whole index from the catalog and blobs, without the original sources.
//!
//! The index reads the catalog only through trove-store's [`CatalogRead`] (the queue, the
//! keys a rebuild walks, the rows a document is built from: `trove_store::read::feed`); it
//! holds no SQL of its own.

pub mod analysis;
pub mod doc;
pub mod schema;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use tantivy::directory::MmapDirectory;
use tantivy::schema::Term;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher};
use trove_store::read::KeySet;
use trove_store::{Case, Catalog, CatalogRead, StoreError};

use crate::doc::{DocError, IndexDoc, document_doc, message_doc};
use crate::schema::{Fields, fields, schema};

/// Errors of the index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("opening the index folder: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("reading the index: {0}")]
    OpenRead(#[from] tantivy::directory::error::OpenReadError),
    #[error(transparent)]
    Doc(#[from] DocError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(
        "the search index in {0} was built by another version of trove; rebuild it with `trove reindex CASE`"
    )]
    OtherSchema(String),
    #[error(
        "the search index in {dir} is being written by another trove process (waited {waited:?} for its lock); \
         the catalog is complete: run `trove index CASE` when that process has ended"
    )]
    Locked { dir: String, waited: Duration },
}

/// How long a writer waits for another process's writer lock by default. The lock is an
/// advisory file lock that the kernel releases when its holder dies, so a lock held after a
/// crash is a process still ending (or another trove still writing), never a stale file to
/// break: waiting a bounded time is the safe remedy.
pub const WRITER_LOCK_WAIT: Duration = Duration::from_secs(60);

/// An open index.
pub struct SearchIndex {
    pub index: Index,
    pub fields: Fields,
    reader: IndexReader,
    dir: std::path::PathBuf,
    lock_wait: Duration,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it if the folder is empty.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir)?;
        let mmap = MmapDirectory::open(dir)?;
        let (expected, _) = schema();
        let index = if Index::exists(&mmap)? {
            let index = Index::open(mmap)?;
            if index.schema() != expected {
                return Err(IndexError::OtherSchema(dir.display().to_string()));
            }
            index
        } else {
            Index::create(mmap, expected, tantivy::IndexSettings::default())?
        };
        analysis::register(index.tokenizers());
        let fields = fields(&index.schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            fields,
            reader,
            dir: dir.to_path_buf(),
            lock_wait: WRITER_LOCK_WAIT,
        })
    }

    /// How long [`SearchIndex::writer`] waits for another process's writer lock.
    pub fn with_lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// The case's index.
    pub fn for_case(case: &Case) -> Result<Self, IndexError> {
        Self::open(&case.index_dir())
    }

    /// A searcher on the latest commit.
    pub fn searcher(&self) -> Result<Searcher, IndexError> {
        self.reader.reload()?;
        Ok(self.reader.searcher())
    }

    /// The index queue position of the last commit.
    pub fn committed_seq(&self) -> Result<i64, IndexError> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.and_then(|p| p.parse().ok()).unwrap_or(0))
    }

    /// A writer. One per index at a time: while another process holds the lock, waits up to
    /// the lock wait, then fails with [`IndexError::Locked`].
    pub fn writer(&self, heap_bytes: usize, threads: usize) -> Result<IndexWriter, IndexError> {
        let started = Instant::now();
        loop {
            match self.index.writer_with_num_threads(
                threads.max(1),
                heap_bytes.max(threads.max(1) * 20_000_000),
            ) {
                Ok(w) => return Ok(w),
                Err(tantivy::TantivyError::LockFailure(
                    tantivy::directory::error::LockError::LockBusy,
                    _,
                )) => {
                    let waited = started.elapsed();
                    if waited >= self.lock_wait {
                        return Err(IndexError::Locked {
                            dir: self.dir.display().to_string(),
                            waited,
                        });
                    }
                    tracing::info!(dir = %self.dir.display(), "index writer lock busy; waiting");
                    std::thread::sleep(Duration::from_millis(250).min(self.lock_wait - waited));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

/// What an indexing pass did.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct IndexStats {
    pub documents: u64,
    /// Documents that could not be built (logged with their key; they stay in the catalog
    /// and `trove reindex` retries them).
    pub failed: u64,
    pub seconds: f64,
    /// Queue position reached.
    pub seq: i64,
}

/// Turns index queue entries into index documents.
pub struct Indexer<'a> {
    case: &'a Case,
    index: &'a SearchIndex,
    writer: IndexWriter,
    /// One catalog connection per document-building thread.
    readers: Vec<Catalog>,
    next_seq: i64,
    pending: u64,
    last_commit: Instant,
    stats: IndexStats,
}

/// What to index: a message by content key, a loose document by SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Entry {
    pub kind: String,
    pub key: Vec<u8>,
}

/// Builds the documents for `entries`, spread over one thread per catalog connection.
fn build_docs(
    case: &Case,
    readers: &mut [Catalog],
    entries: &[Entry],
) -> Vec<(String, Result<Option<IndexDoc>, DocError>)> {
    let chunk = entries.len().div_ceil(readers.len().max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = entries
            .chunks(chunk)
            .zip(readers.iter_mut())
            .map(|(part, cat)| {
                s.spawn(move || {
                    let cat: &dyn CatalogRead = cat;
                    // One read transaction for the part: a snapshot of the catalog, and one
                    // lock instead of one per statement.
                    let snapshot = cat.begin_snapshot();
                    let docs = part
                        .iter()
                        .map(|e| {
                            let doc = match e.kind.as_str() {
                                "message" => message_doc(case, cat, &e.key),
                                "document" | "attachment" => document_doc(case, cat, &e.key),
                                _ => Ok(None),
                            };
                            (hex::encode(&e.key), doc)
                        })
                        .collect::<Vec<_>>();
                    if snapshot {
                        cat.end_snapshot();
                    }
                    docs
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Entries taken from the queue at a time.
const CHUNK: i64 = 2000;
/// Commit at least this often while entries keep coming.
const COMMIT_EVERY: Duration = Duration::from_secs(10);

impl<'a> Indexer<'a> {
    /// An indexer with `threads` index-writing threads and as many document builders.
    pub fn new(
        case: &'a Case,
        index: &'a SearchIndex,
        heap_bytes: usize,
        threads: usize,
    ) -> Result<Self, IndexError> {
        let writer = index.writer(heap_bytes, threads)?;
        let next_seq = index.committed_seq()?;
        let readers = (0..threads.max(1))
            .map(|_| case.reader())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Indexer {
            case,
            index,
            writer,
            readers,
            next_seq,
            pending: 0,
            last_commit: Instant::now(),
            stats: IndexStats::default(),
        })
    }

    /// Builds and adds the documents for these entries (in parallel).
    pub fn put_entries(&mut self, entries: &[Entry]) -> Result<(), IndexError> {
        for (key, doc) in build_docs(self.case, &mut self.readers, entries) {
            match doc {
                Ok(d) => self.put(&key, d)?,
                Err(e) => {
                    self.stats.failed += 1;
                    tracing::error!(%key, error = %e, "could not index; it stays in the catalog");
                }
            }
        }
        Ok(())
    }

    /// Indexes the queue entries the catalog has committed so far. Returns how many entries
    /// were taken (0 when the queue is drained).
    pub fn drain_once(&mut self, cat: &dyn CatalogRead) -> Result<usize, IndexError> {
        let started = Instant::now();
        let entries = cat.index_queue(self.next_seq, CHUNK)?;
        let n = entries.len();
        let mut unique = Vec::with_capacity(n);
        let mut done = HashSet::new();
        for trove_store::read::QueueEntry { seq, kind, key } in entries {
            self.next_seq = seq;
            let e = Entry { kind, key };
            if done.insert(e.clone()) {
                unique.push(e);
            }
        }
        self.put_entries(&unique)?;
        self.stats.seconds += started.elapsed().as_secs_f64();
        if self.pending > 0 && self.last_commit.elapsed() > COMMIT_EVERY {
            self.commit()?;
        }
        Ok(n)
    }

    /// Adds (or replaces) one document; `None` removes it.
    pub fn put(&mut self, key: &str, doc: Option<IndexDoc>) -> Result<(), IndexError> {
        self.writer
            .delete_term(Term::from_field_text(self.index.fields.key, key));
        if let Some(d) = doc {
            self.writer.add_document(d.to_tantivy(&self.index.fields))?;
            self.stats.documents += 1;
        }
        self.pending += 1;
        Ok(())
    }

    /// Commits what was added, recording the queue position reached.
    pub fn commit(&mut self) -> Result<(), IndexError> {
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&self.next_seq.to_string());
        prepared.commit()?;
        self.pending = 0;
        self.last_commit = Instant::now();
        self.stats.seq = self.next_seq;
        Ok(())
    }

    /// Drains the whole queue and commits.
    pub fn drain_all(&mut self, cat: &dyn CatalogRead) -> Result<IndexStats, IndexError> {
        while self.drain_once(cat)? > 0 {}
        self.commit()?;
        Ok(self.stats)
    }

    /// Waits for the writer's merges and returns the totals.
    pub fn finish(self) -> Result<IndexStats, IndexError> {
        let stats = self.stats;
        self.writer.wait_merging_threads()?;
        Ok(stats)
    }

    pub fn stats(&self) -> IndexStats {
        self.stats
    }
}

/// Forgets queue entries the index has committed (called by the catalog's writer).
pub fn trim_queue(cat: &Catalog, index: &SearchIndex) -> Result<usize, IndexError> {
    let seq = index.committed_seq()?;
    Ok(cat.trim_index_queue(seq)?)
}

/// Queue entries the index has not committed yet: items in the catalog not yet searchable.
pub fn pending(cat: &dyn CatalogRead, index: &SearchIndex) -> Result<u64, IndexError> {
    let seq = index.committed_seq()?;
    Ok(cat.index_queue_pending(seq)?)
}

/// Rebuilds the whole index from the catalog and the blobs.
pub fn reindex(
    case: &Case,
    heap_bytes: usize,
    threads: usize,
    progress: &dyn Fn(u64),
) -> Result<IndexStats, IndexError> {
    reindex_in_pages(case, heap_bytes, threads, progress, 10_000)
}

/// [`reindex`], reading the catalog's keys `page` at a time (memory stays bounded by the page,
/// however large the case).
pub fn reindex_in_pages(
    case: &Case,
    heap_bytes: usize,
    threads: usize,
    progress: &dyn Fn(u64),
    page: usize,
) -> Result<IndexStats, IndexError> {
    let started = Instant::now();
    let dir = case.index_dir();
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let index = SearchIndex::open(&dir)?;
    let cat = case.reader()?;
    let mut indexer = Indexer::new(case, &index, heap_bytes, threads)?;
    indexer.next_seq = cat.index_queue_last()?;
    // Every message, then every document (loose or attached, each once), read page by page:
    // a case has millions of keys.
    let mut batch: Vec<Entry> = Vec::with_capacity(REINDEX_BATCH);
    let mut done = 0u64;
    let mut flush = |batch: &mut Vec<Entry>, indexer: &mut Indexer<'_>| -> Result<(), IndexError> {
        indexer.put_entries(batch)?;
        done += batch.len() as u64;
        progress(done);
        batch.clear();
        Ok(())
    };
    let mut messages = KeyPages::new(&cat, KeySet::Messages, page);
    while let Some(key) = messages.pop()? {
        batch.push(Entry {
            kind: "message".into(),
            key,
        });
        if batch.len() == REINDEX_BATCH {
            flush(&mut batch, &mut indexer)?;
        }
    }
    let (mut loose, mut attached) = (
        KeyPages::new(&cat, KeySet::LooseDocuments, page),
        KeyPages::new(&cat, KeySet::AttachedDocuments, page),
    );
    loop {
        let key = match (loose.peek()?, attached.peek()?) {
            (None, None) => break,
            (Some(a), Some(b)) if a == b => {
                attached.pop()?;
                loose.pop()?
            }
            (Some(a), Some(b)) if a < b => loose.pop()?,
            (Some(_), None) => loose.pop()?,
            _ => attached.pop()?,
        };
        if let Some(key) = key {
            batch.push(Entry {
                kind: "document".into(),
                key,
            });
        }
        if batch.len() == REINDEX_BATCH {
            flush(&mut batch, &mut indexer)?;
        }
    }
    if !batch.is_empty() {
        flush(&mut batch, &mut indexer)?;
    }
    indexer.commit()?;
    let mut stats = indexer.finish()?;
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}

/// Entries indexed at a time by `reindex`.
const REINDEX_BATCH: usize = 4000;

/// Keys read in order, a page at a time.
struct KeyPages<'c> {
    cat: &'c dyn CatalogRead,
    set: KeySet,
    after: Vec<u8>,
    size: usize,
    page: std::collections::VecDeque<Vec<u8>>,
    exhausted: bool,
}

impl<'c> KeyPages<'c> {
    fn new(cat: &'c dyn CatalogRead, set: KeySet, size: usize) -> Self {
        KeyPages {
            cat,
            set,
            size: size.max(1),
            after: Vec::new(),
            page: Default::default(),
            exhausted: false,
        }
    }

    fn peek(&mut self) -> Result<Option<&Vec<u8>>, IndexError> {
        if self.page.is_empty() && !self.exhausted {
            let rows = self.cat.keys_after(self.set, &self.after, self.size)?;
            self.exhausted = rows.len() < self.size;
            if let Some(last) = rows.last() {
                self.after = last.clone();
            }
            self.page.extend(rows);
        }
        Ok(self.page.front())
    }

    fn pop(&mut self) -> Result<Option<Vec<u8>>, IndexError> {
        self.peek()?;
        Ok(self.page.pop_front())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_of_another_schema_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut b = tantivy::schema::Schema::builder();
        b.add_text_field("key", tantivy::schema::STRING);
        Index::create_in_dir(dir.path(), b.build()).expect("old index");
        match SearchIndex::open(dir.path()) {
            Err(e @ IndexError::OtherSchema(_)) => {
                assert!(e.to_string().contains("trove reindex"), "{e}")
            }
            Err(e) => panic!("wrong error: {e}"),
            Ok(_) => panic!("an index of another schema was opened"),
        }
        // A fresh folder gets the current schema, and opens again.
        let fresh = tempfile::tempdir().expect("tempdir");
        assert!(SearchIndex::open(fresh.path()).is_ok());
        assert!(SearchIndex::open(fresh.path()).is_ok());
    }
}
