//! What moves between the pipeline's threads.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::PathBuf;

use trove_formats::archive::Budget;
use trove_formats::mbox::Envelope;
use trove_formats::sniff::Format;
use trove_store::model::{NewItem, Provenance};

/// Where a unit's bytes are.
#[derive(Debug)]
pub enum Payload {
    /// In memory.
    Memory(Vec<u8>),
    /// A file on disk, read by whoever processes the unit.
    File(PathBuf),
    /// A byte range of a file on disk (an oversized mbox message).
    FileRange {
        path: PathBuf,
        offset: u64,
        len: u64,
    },
    /// An archive member spilled to the case's tmp folder; deleted when dropped.
    Spill(tempfile::TempPath),
}

impl Payload {
    /// A reader of the bytes.
    pub fn reader(&self) -> io::Result<Box<dyn ReadSeek + Send + '_>> {
        Ok(match self {
            Payload::Memory(v) => Box::new(io::Cursor::new(&v[..])),
            Payload::File(p) => Box::new(std::fs::File::open(p)?),
            Payload::Spill(p) => Box::new(std::fs::File::open(p)?),
            Payload::FileRange { path, offset, len } => {
                let mut f = std::fs::File::open(path)?;
                f.seek(SeekFrom::Start(*offset))?;
                Box::new(Window {
                    inner: f,
                    start: *offset,
                    len: *len,
                    pos: 0,
                })
            }
        })
    }
}

/// Read + Seek, as zip and 7z need.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// A window onto a byte range of a seekable reader.
struct Window<R> {
    inner: R,
    start: u64,
    len: u64,
    pos: u64,
}

impl<R: Read + Seek> Read for Window<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len - self.pos;
        if left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(left as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Window<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => p as i128,
            SeekFrom::Current(d) => self.pos as i128 + d as i128,
            SeekFrom::End(d) => self.len as i128 + d as i128,
        };
        if target < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before start",
            ));
        }
        let target = (target as u64).min(self.len);
        self.inner.seek(SeekFrom::Start(self.start + target))?;
        self.pos = target;
        Ok(target)
    }
}

/// One item to be processed by a worker: a message, a document, or anything not opened.
#[derive(Debug)]
pub struct Unit {
    /// Where it comes from; its item is recorded with it.
    pub prov: Provenance,
    pub format: Format,
    pub payload: Payload,
    pub size: u64,
    pub envelope: Option<Envelope>,
    /// Date of the container record (file mtime, archive member time), the last date resort.
    pub container_date: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Nesting depth (outermost input = 0).
    pub depth: u32,
    pub budget: Budget,
    /// Why a container format is stored here instead of being opened.
    pub note: Option<String>,
    /// The container this unit is a direct member of, when that container is being streamed
    /// by the producer (for completion counting), and its position in the stream.
    pub member_of: Option<MemberOf>,
}

/// Position of a unit in a streamed container.
#[derive(Debug, Clone)]
pub struct MemberOf {
    pub container: String,
    pub seq: u64,
    /// For mbox members: end of the message bytes, where a resumed read may start.
    pub resume_to: Option<u64>,
}

/// Items to write in one go, with the attachment links between them.
#[derive(Debug, Default)]
pub struct Group {
    pub items: Vec<NewItem>,
    /// (message item locator, part, child item locator)
    pub links: Vec<(String, u32, String)>,
    pub member_of: Option<MemberOf>,
    /// Bytes of input this group accounts for (progress).
    pub bytes: u64,
}

/// Messages to the catalog writer.
#[derive(Debug)]
pub enum ToWriter {
    /// A container whose members are about to be streamed.
    Open(Box<NewItem>),
    /// Items ready to be written.
    Group(Group),
    /// The producer has sent every member of a container.
    Close {
        locator: String,
        members: u64,
        outcome: trove_store::model::Outcome,
        member_of: Option<MemberOf>,
    },
}

/// Builds locators: the outermost path, then `!/` into a container, `#offset` for an mbox
/// message, `!/attachment-N/name` for an opened attachment.
pub mod locator {
    pub fn member(parent: &str, name: &str) -> String {
        format!("{parent}!/{}", name.trim_start_matches('/'))
    }

    pub fn mbox_message(parent: &str, offset: u64) -> String {
        format!("{parent}#{offset}")
    }

    pub fn attachment(parent: &str, part: u32, name: Option<&str>) -> String {
        format!(
            "{parent}!/attachment-{part}/{}",
            name.unwrap_or("unnamed").replace('/', "_")
        )
    }
}
