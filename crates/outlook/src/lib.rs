//! Reads Outlook stores and items without losing any silently.
//!
//! - [`pst`]: PST and OST files (ANSI, Unicode, and Outlook 2013+ OST with 4 KiB pages and
//!   compressed blocks), read from the MS-PST specification with bounded memory: folders
//!   with their paths and the store's own item counts, every message node (deleted and orphan
//!   ones too), recipients, attachments and embedded messages.
//! - [`msg`]: Outlook `.msg` files (OLE compound files, MS-OXMSG), nested messages included.
//! - [`tnef`]: TNEF streams (`winmail.dat`, MS-OXTNEF): attachments with their long names,
//!   the message's MAPI properties and RTF body.
//! - [`rtf`]: compressed RTF (MS-OXRTFCP) and HTML/text de-encapsulation (MS-OXRTFEX).
//! - [`mime`]: an Outlook item (MAPI properties) rebuilt as RFC 5322/MIME bytes, so that the
//!   rest of trove reads Outlook mail like any other mail; non-mail items (contacts,
//!   appointments, tasks, notes) get a text rendition.
//!
//! - [`crosscheck`]: a second reader (Debian's `pffexport`, run as a bounded subprocess) whose
//!   per-folder counts are compared with trove's.
//!
//! Every reader returns [`OutlookError`] on bad input and never panics; every allocation and
//! recursion driven by file contents is bounded by [`Limits`].

pub mod crosscheck;
pub mod item;
pub mod mime;
pub mod msg;
mod ole;
pub mod props;
pub mod pst;
pub mod rtf;
pub mod tnef;

pub use item::{AttachContent, Attachment, Item, ItemKind};

/// Why an Outlook file or item could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OutlookError {
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// Not this format at all.
    #[error("not {0}")]
    NotFormat(&'static str),
    /// The structure is damaged where it matters.
    #[error("corrupt {what}: {detail}")]
    Corrupt { what: &'static str, detail: String },
    /// A version or feature trove does not read.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A bound in [`Limits`] was reached.
    #[error("limit reached: {0}")]
    Limit(String),
}

impl OutlookError {
    pub(crate) fn corrupt(what: &'static str, detail: impl Into<String>) -> Self {
        OutlookError::Corrupt {
            what,
            detail: detail.into(),
        }
    }
}

pub type Result<T, E = OutlookError> = std::result::Result<T, E>;

/// Bounds on what a file can make the readers do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Embedded messages nested deeper than this are not opened.
    pub max_depth: u32,
    /// Bytes of one node, property value or attachment.
    pub max_value_bytes: u64,
    /// Attachment bytes of one item, embedded items included; attachments past it are
    /// recorded as not read (with the reason), so that memory stays bounded.
    pub max_item_bytes: u64,
    /// Rows of one table, attachments or recipients of one item.
    pub max_rows: usize,
    /// Entries of one subnode tree or B-tree walked.
    pub max_nodes: usize,
    /// Pages or blocks kept in the reader's cache.
    pub cache_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_value_bytes: 256 << 20,
            max_item_bytes: 1 << 30,
            max_rows: 100_000,
            max_nodes: 50_000_000,
            cache_pages: 4096,
        }
    }
}
