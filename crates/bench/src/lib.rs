//! Benchmarks of trove beside the tools an investigator would otherwise use, on the same input
//! in the same run (`trove bench …`; method and figures in `docs/benchmarks.md`):
//!
//! - [`ingest`]: ingest speed and peak memory beside `cat | sha256sum`, `mu index` and
//!   `notmuch new` on one Maildir view of the corpus;
//! - [`search`]: warm search latency (p50/p99) of a fixed query mix ([`search::MIX`]) through
//!   the library and the `trove search` process, beside `notmuch search` and `mu find`;
//! - [`http`]: many clients searching the web app at once, beside the same requests through
//!   the library on one thread; and one costly viewer with and without the server's bounds;
//! - [`extract`]: PDF text speed and word recall beside `pdftotext`, OCR pages per second per
//!   core beside the `tesseract` command;
//! - [`outlook`]: PST/OST reading beside `readpst` (and `pffexport`).
//!
//! Every comparison is a ratio against a baseline measured in the same run, on the same files
//! and the same machine (the page cache warmed first): absolute figures depend on the machine,
//! the ratios are what the benchmarks claim. Each benchmark returns its figures as a
//! serializable value (the CLI prints it as JSON) whose `Display` is the Markdown table the
//! docs quote.
//!
//! The ingest, search and Outlook benchmarks run `trove` itself as a child process
//! ([`std::env::current_exe`]): they are meant to be called from the `trove` binary.

/// Returns early with a [`BenchError::Failed`] of this message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::BenchError::Failed(format!($($arg)*)))
    };
}

pub mod extract;
pub mod http;
pub mod ingest;
pub mod outlook;
pub mod search;

/// Why a benchmark could not run or measure.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] trove_store::StoreError),
    #[error(transparent)]
    Search(#[from] trove_query::SearchError),
    #[error(transparent)]
    Server(#[from] trove_server::ServerError),
    #[error(transparent)]
    Outlook(#[from] trove_outlook::OutlookError),
    #[error(transparent)]
    Pool(#[from] trove_extract::pool::PoolError),
    /// A step failed: what it was, and the error (its source).
    #[error("{what}")]
    Context {
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A tool failed, a value was missing, or there was nothing to measure.
    #[error("{0}")]
    Failed(String),
}

pub type Result<T, E = BenchError> = std::result::Result<T, E>;

/// What a failing step was doing, added to its error (as `anyhow::Context` does).
pub(crate) trait Context<T> {
    fn context(self, what: impl Into<String>) -> Result<T>;
    fn with_context<S: Into<String>>(self, what: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl Into<String>) -> Result<T> {
        self.map_err(|e| BenchError::Context {
            what: what.into(),
            source: Box::new(e),
        })
    }

    fn with_context<S: Into<String>>(self, what: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| BenchError::Context {
            what: what().into(),
            source: Box::new(e),
        })
    }
}

impl<T> Context<T> for Option<T> {
    fn context(self, what: impl Into<String>) -> Result<T> {
        self.ok_or_else(|| BenchError::Failed(what.into()))
    }

    fn with_context<S: Into<String>>(self, what: impl FnOnce() -> S) -> Result<T> {
        self.ok_or_else(|| BenchError::Failed(what().into()))
    }
}
