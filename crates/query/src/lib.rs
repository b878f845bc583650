//! Searching a case: the query language (`parse`), its translation into index queries
//! (`compile`), ranked and faceted pages with snippets (`search`) and exports of every result
//! with no cap (`export`). The CLI and the web app both call [`search::Searchable`].
//!
//! What a result needs from the catalog (a hit's fields, `tag:`, threads, names) is read
//! through trove-store's [`trove_store::CatalogRead`]; this crate holds no SQL.

pub mod bounds;
pub mod compile;
pub mod explore;
pub mod export;
pub mod fold;
mod page;
pub mod parse;
pub mod search;

pub use bounds::Bounds;
pub use parse::{QueryError, parse};
pub use search::{FacetCache, Request, Response, Searchable, Sort};

/// Errors of searching.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("{0}")]
    Query(#[from] QueryError),
    /// The query is over its [`Bounds`]: the error names the part that is too costly.
    #[error("query too costly: {0}")]
    TooCostly(QueryError),
    /// A parameter of the search (limit, cursor) that cannot be used, and why.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Index(#[from] trove_index::IndexError),
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error(transparent)]
    Store(#[from] trove_store::StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Corrupt(String),
}
