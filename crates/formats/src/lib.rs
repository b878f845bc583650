//! Reads what a mail dump is made of.
//!
//! This crate knows file formats and nothing about storage: it sniffs content
//! ([`sniff`]), splits mbox files ([`mbox`]), recognises Maildir and Zimbra layouts
//! ([`layout`]), opens archives with bounds ([`archive`]), and parses RFC 5322/MIME messages
//! into a [`message::ParsedMessage`] with every header kept, Spanish-era charsets decoded
//! right ([`decode`], [`address`], [`date`]) and a content identity that links copies of one
//! message across mailboxes ([`identity`]).

pub mod address;
pub mod archive;
pub mod date;
pub mod decode;
pub mod identity;
pub mod layout;
pub mod mbox;
pub mod message;
pub mod sniff;

/// Bounds on everything an input can make trove do. A bound reached is recorded as an
/// outcome, never a crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Containers, attachments and attached messages nested deeper than this are not opened.
    pub max_depth: u32,
    /// Messages larger than this are stored whole but parsed only up to their headers.
    pub max_message_bytes: u64,
    /// MIME parts listed per message.
    pub max_parts: usize,
    /// Size of a message's top-level header block.
    pub max_header_bytes: usize,
    /// Decompressed size of one archive member or compressed stream.
    pub max_member_bytes: u64,
    /// Decompressed bytes that one outermost input may expand to, all nesting included, at
    /// most (see [`Limits::expansion_budget`]).
    pub max_expanded_bytes: u64,
    /// Decompressed bytes that any outermost input may expand to, however small it is.
    #[serde(default = "default_min_expanded_bytes")]
    pub min_expanded_bytes: u64,
    /// Decompressed ÷ compressed size above which a member is treated as a bomb.
    pub max_ratio: u64,
    /// Members listed per archive.
    pub max_members: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_message_bytes: 256 << 20,
            max_parts: 5_000,
            max_header_bytes: 1 << 20,
            max_member_bytes: 8 << 30,
            max_expanded_bytes: 1 << 40,
            min_expanded_bytes: default_min_expanded_bytes(),
            max_ratio: 1_000,
            max_members: 10_000_000,
        }
    }
}

fn default_min_expanded_bytes() -> u64 {
    64 << 20
}

impl Limits {
    /// Decompressed bytes an outermost input of `input_size` bytes may expand to, all layers
    /// and all members together: `max_ratio` times its size, at least `min_expanded_bytes`, at
    /// most `max_expanded_bytes`. A bound on each member alone does not stop a small file
    /// from costing a terabyte (a thousand members of a gigabyte each, or 42.zip's nesting).
    pub fn expansion_budget(&self, input_size: u64) -> u64 {
        input_size
            .saturating_mul(self.max_ratio)
            .max(self.min_expanded_bytes)
            .min(self.max_expanded_bytes)
    }
}
