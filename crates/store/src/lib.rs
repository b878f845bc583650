//! A case on disk: the catalog of every item and the blob store of their bytes.
//!
//! ```text
//! caso/
//!   case.json          what this folder is (format version)
//!   catalog.sqlite     items, outcomes, provenance, messages, blobs (SQLite, WAL)
//!   blobs/packs/       small blobs, zstd frames appended to pack files
//!   blobs/large/       blobs of 32 MiB and more, one file each
//!   index/             the search index (see trove-index)
//!   logs/              one log file per run
//!   tmp/               spill space for large archive members
//! ```
//!
//! This is the storage boundary, and all of the SQL is in this crate: the ingest
//! writes through [`catalog::Batch`] and the extraction records ([`extraction`]), the
//! operations of the [`CatalogWrite`] and [`WriteBatch`] interfaces (see [`write`]); the index,
//! the search and the command line read through [`CatalogRead`] (typed operations returning
//! named rows, see [`read`]), reports and item look-ups through [`query`]; the web app's tags
//! and notes go through [`annotations`] and [`message_view`], and its own state (accounts,
//! sessions, grants, audit log) through the [`ServerStore`] trait of [`server_state`]. No other
//! crate sees a database library: database errors reach them as [`StoreError::Catalog`]
//! holding an opaque [`DbError`]. The SQL is kept portable so that a PostgreSQL catalog can
//! implement the same operations for server and cluster deployments.

pub mod annotations;
pub mod blobs;
pub mod catalog;
pub mod error;
pub mod extraction;
pub mod message_view;
pub mod model;
pub mod query;
pub mod read;
pub mod server_state;
pub mod sql;
pub mod threads;
pub mod write;

use std::path::{Path, PathBuf};

pub use blobs::{BlobDir, BlobRef};
pub use catalog::Catalog;
pub use error::{DbError, DbErrorKind};
pub use read::CatalogRead;
pub use server_state::{ServerStore, SqliteServerStore};
pub use write::{CatalogWrite, WriteBatch};

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The catalog database failed (its kind tells a busy database from other failures).
    #[error("catalog: {0}")]
    Catalog(#[from] DbError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0} is not a trove case (no case.json); create one with `trove init`")]
    NotACase(PathBuf),
    #[error("{0} already holds a trove case")]
    AlreadyACase(PathBuf),
    #[error("incompatible case: {0}")]
    Schema(String),
    #[error("catalog inconsistency: {0}")]
    Corrupt(String),
    #[error("not found: {0}")]
    NotFound(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Catalog(e.into())
    }
}

const CASE_FILE: &str = "case.json";
const CASE_FORMAT: u32 = 1;

/// A case folder.
#[derive(Debug, Clone)]
pub struct Case {
    root: PathBuf,
}

impl Case {
    /// Creates a new case folder (the folder may exist but must not hold a case).
    pub fn init(root: &Path) -> Result<Case, StoreError> {
        if root.join(CASE_FILE).exists() {
            return Err(StoreError::AlreadyACase(root.to_path_buf()));
        }
        std::fs::create_dir_all(root)?;
        let case = Case {
            root: root.to_path_buf(),
        };
        for dir in ["index", "logs", "tmp"] {
            std::fs::create_dir_all(root.join(dir))?;
        }
        case.blob_dir().create()?;
        Catalog::open(&case.catalog_path())?;
        let meta = serde_json::json!({ "trove_case": CASE_FORMAT, "created_at": catalog::now() });
        std::fs::write(
            root.join(CASE_FILE),
            serde_json::to_string_pretty(&meta).unwrap_or_default(),
        )?;
        Ok(case)
    }

    /// Opens an existing case folder.
    pub fn open(root: &Path) -> Result<Case, StoreError> {
        let meta = std::fs::read_to_string(root.join(CASE_FILE))
            .map_err(|_| StoreError::NotACase(root.to_path_buf()))?;
        let meta: serde_json::Value =
            serde_json::from_str(&meta).map_err(|e| StoreError::Schema(e.to_string()))?;
        if meta.get("trove_case").and_then(|v| v.as_u64()) != Some(CASE_FORMAT as u64) {
            return Err(StoreError::Schema(format!(
                "case format {:?}",
                meta.get("trove_case")
            )));
        }
        Ok(Case {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn catalog_path(&self) -> PathBuf {
        self.root.join("catalog.sqlite")
    }

    pub fn blob_dir(&self) -> BlobDir {
        BlobDir::new(self.root.join("blobs"))
    }

    pub fn index_dir(&self) -> PathBuf {
        self.root.join("index")
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// A catalog connection for reading and writing.
    pub fn catalog(&self) -> Result<Catalog, StoreError> {
        Catalog::open(&self.catalog_path())
    }

    /// A read-only catalog connection.
    pub fn reader(&self) -> Result<Catalog, StoreError> {
        Catalog::open_read(&self.catalog_path())
    }

    /// The bytes of a stored blob.
    pub fn read_blob(
        &self,
        catalog: &dyn CatalogRead,
        sha256: &[u8; 32],
    ) -> Result<Vec<u8>, StoreError> {
        let blob = catalog
            .blob(sha256)?
            .ok_or_else(|| StoreError::NotFound(format!("blob {}", hex::encode(sha256))))?;
        Ok(self.blob_dir().read(&blob)?)
    }

    /// A stored message's bytes for parsing: whole when under [`blobs::LARGE_BLOB`], else their
    /// first `LARGE_BLOB` bytes (the ingest parses such messages from their head too), so that
    /// memory does not follow the size of the largest message. The flag says whether they are
    /// whole.
    pub fn read_message(
        &self,
        catalog: &dyn CatalogRead,
        sha256: &[u8; 32],
    ) -> Result<(Vec<u8>, bool), StoreError> {
        let blob = catalog
            .blob(sha256)?
            .ok_or_else(|| StoreError::NotFound(format!("blob {}", hex::encode(sha256))))?;
        if blob.size < blobs::LARGE_BLOB {
            return Ok((self.blob_dir().read(&blob)?, true));
        }
        let mut head = Vec::with_capacity(blobs::LARGE_BLOB as usize);
        std::io::Read::read_to_end(
            &mut std::io::Read::take(self.blob_dir().open(&blob)?, blobs::LARGE_BLOB),
            &mut head,
        )?;
        Ok((head, false))
    }
}
