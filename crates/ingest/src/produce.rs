//! The producer: walks the inputs, skips what a previous run finished, streams containers and
//! sends every leaf to the workers.

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use crossbeam_channel::Sender;
use trove_formats::archive::Budget;
use trove_formats::decode::bytes_to_str;
use trove_formats::sniff::{Format, SNIFF_LEN, sniff};
use trove_store::blobs::LARGE_BLOB;
use trove_store::catalog::Catalog;
use trove_store::model::{ItemKind, NewItem, Outcome, Parent, Provenance};

use crate::containers::layout::{folder_and_flags, refine_format, zimbra_meta};
use crate::containers::{Container, Input, SINGLE_MBOX_PROBE, is_container, is_single_message};
use crate::drive::expand;
use crate::progress::Progress;
use crate::sink::{Ctx, Seen, Sink, Stop};
use crate::unit::{Group, MemberOf, Payload, ToWriter, Unit};

/// Bytes of units queued or being processed, bounded so that memory stays bounded.
pub(crate) struct InFlight {
    used: Mutex<u64>,
    freed: Condvar,
    cap: u64,
}

impl InFlight {
    pub fn new(cap: u64) -> Self {
        InFlight {
            used: Mutex::new(0),
            freed: Condvar::new(),
            cap,
        }
    }

    pub fn cost(unit: &Unit) -> u64 {
        match &unit.payload {
            Payload::Memory(v) => v.len() as u64,
            _ => unit.size.min(LARGE_BLOB),
        }
    }

    fn acquire(&self, n: u64) {
        let n = n.min(self.cap);
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used > 0 && *used + n > self.cap {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += n;
    }

    pub fn release(&self, n: u64) {
        let n = n.min(self.cap);
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(n);
        self.freed.notify_all();
    }
}

pub(crate) struct Producer<'a> {
    pub ctx: &'a Ctx,
    pub catalog: Catalog,
    pub source: i64,
    pub work: Sender<Unit>,
    pub writer: Sender<ToWriter>,
    pub inflight: &'a InFlight,
    pub progress: &'a Progress,
    /// The source already has items: ask the catalog what is done. A fresh run need not.
    resuming: bool,
}

/// Files up to this size are read whole by the producer.
const READ_WHOLE: u64 = 256 << 10;

/// A path as text: UTF-8, or Windows-1252 for the odd non-UTF-8 name.
pub fn path_text(p: &Path) -> String {
    bytes_to_str(p.as_os_str().as_bytes()).into_owned()
}

impl<'a> Producer<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ctx: &'a Ctx,
        catalog: Catalog,
        source: i64,
        work: Sender<Unit>,
        writer: Sender<ToWriter>,
        inflight: &'a InFlight,
        progress: &'a Progress,
        resuming: bool,
    ) -> Self {
        Producer {
            ctx,
            catalog,
            source,
            work,
            writer,
            inflight,
            progress,
            resuming,
        }
    }

    /// Walks every input.
    pub fn run(&mut self, inputs: &[PathBuf]) -> Result<(), Stop> {
        for input in inputs {
            let abs = match std::fs::canonicalize(input) {
                Ok(p) => p,
                Err(e) => {
                    let loc = path_text(input);
                    self.top_record(
                        &loc,
                        input,
                        0,
                        Outcome::Failed {
                            reason: format!("cannot open input: {e}"),
                        },
                    )?;
                    continue;
                }
            };
            let base = abs.parent().map(Path::to_path_buf).unwrap_or_default();
            if abs.is_dir() {
                let walker = walkdir::WalkDir::new(&abs)
                    .follow_links(false)
                    .sort_by_file_name();
                for entry in walker {
                    match entry {
                        Ok(e) => {
                            let ft = e.file_type();
                            if ft.is_dir() {
                                continue;
                            }
                            let path = e.path();
                            let rel = path_text(path.strip_prefix(&base).unwrap_or(path));
                            if ft.is_symlink() {
                                let target = std::fs::read_link(path)
                                    .map(|t| path_text(&t))
                                    .unwrap_or_default();
                                self.top_record(
                                    &path_text(path),
                                    path,
                                    0,
                                    Outcome::Skipped {
                                        reason: format!("symbolic link to {target} (not followed)"),
                                    },
                                )?;
                            } else if ft.is_file() {
                                self.file(path, &rel)?;
                            } else {
                                self.top_record(
                                    &path_text(path),
                                    path,
                                    0,
                                    Outcome::Skipped {
                                        reason: "special file (device, fifo or socket)".into(),
                                    },
                                )?;
                            }
                        }
                        Err(e) => {
                            let path = e
                                .path()
                                .map(Path::to_path_buf)
                                .unwrap_or_else(|| abs.clone());
                            self.top_record(
                                &path_text(&path),
                                &path,
                                0,
                                Outcome::Failed {
                                    reason: format!("cannot read: {e}"),
                                },
                            )?;
                        }
                    }
                }
            } else {
                let rel = path_text(abs.strip_prefix(&base).unwrap_or(&abs));
                self.file(&abs, &rel)?;
            }
        }
        Ok(())
    }

    fn top_record(
        &mut self,
        locator: &str,
        path: &Path,
        size: u64,
        outcome: Outcome,
    ) -> Result<(), Stop> {
        if self.seen(locator) == Seen::Done {
            return Ok(());
        }
        let name = path
            .file_name()
            .map(|n| path_text(Path::new(n)))
            .unwrap_or_else(|| locator.to_owned());
        let prov = Provenance::new(locator.to_owned(), Parent::None, name, ItemKind::File);
        self.record(NewItem::new(prov, "unknown", size, outcome), None)
    }

    /// One file on disk.
    fn file(&mut self, path: &Path, rel: &str) -> Result<(), Stop> {
        let locator = path_text(path);
        let md = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                return self.top_record(
                    &locator,
                    path,
                    0,
                    Outcome::Failed {
                        reason: format!("cannot stat: {e}"),
                    },
                );
            }
        };
        let size = md.len();
        let mtime = md
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64);
        match self.seen(&locator) {
            Seen::Done => {
                self.progress.skip_done(size);
                return Ok(());
            }
            Seen::Partial { .. } | Seen::New => {}
        }
        // Small files (most messages) are read whole, once; larger ones only far enough to
        // sniff, and read again by the worker or the container reader.
        let whole = size <= READ_WHOLE;
        let want = if whole { size + 1 } else { SNIFF_LEN as u64 };
        let mut head = Vec::with_capacity(want.min(READ_WHOLE + 1) as usize);
        let opened = std::fs::File::open(path).and_then(|f| f.take(want).read_to_end(&mut head));
        if let Err(e) = opened {
            return self.top_record(
                &locator,
                path,
                size,
                Outcome::Failed {
                    reason: format!("cannot read: {e}"),
                },
            );
        }
        let mut format = refine_format(sniff(&head[..head.len().min(SNIFF_LEN)]), rel);
        let whole = whole && head.len() as u64 == size;
        let mut payload = if whole {
            Payload::Memory(std::mem::take(&mut head))
        } else {
            Payload::File(path.to_path_buf())
        };
        if format == Format::Mbox && size <= SINGLE_MBOX_PROBE {
            let bytes = match payload {
                Payload::Memory(b) => Ok(b),
                _ => std::fs::read(path),
            };
            match bytes {
                Ok(bytes) if is_single_message(&bytes) => {
                    format = Format::Message;
                    payload = Payload::Memory(bytes);
                }
                Ok(bytes) => payload = Payload::Memory(bytes),
                Err(e) => {
                    return self.top_record(
                        &locator,
                        path,
                        size,
                        Outcome::Failed {
                            reason: format!("cannot read: {e}"),
                        },
                    );
                }
            }
        }
        let name = path
            .file_name()
            .map(|n| path_text(Path::new(n)))
            .unwrap_or_else(|| locator.clone());
        let mut prov = Provenance::new(locator, Parent::None, name, ItemKind::File);
        prov.meta = zimbra_meta(rel);
        prov.mtime = mtime;
        let budget = Budget::for_input(&self.ctx.limits, size);
        if is_container(format) {
            let c = Container::new(prov, format, size, rel.to_owned(), 0, budget, None);
            return expand(self.ctx, self, c, Input::Payload(payload));
        }
        (prov.folder, prov.flags) = folder_and_flags(rel);
        let container_date = mtime
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|d| d.fixed_offset());
        self.leaf(Unit {
            prov,
            format,
            payload,
            size,
            envelope: None,
            container_date,
            depth: 0,
            budget,
            note: None,
            member_of: None,
        })
    }
}

impl Sink for Producer<'_> {
    fn open(&mut self, item: NewItem) -> Result<(), Stop> {
        self.writer
            .send(ToWriter::Open(Box::new(item)))
            .map_err(|_| Stop)
    }

    fn leaf(&mut self, unit: Unit) -> Result<(), Stop> {
        self.inflight.acquire(InFlight::cost(&unit));
        self.work.send(unit).map_err(|_| Stop)
    }

    fn record(&mut self, item: NewItem, member_of: Option<MemberOf>) -> Result<(), Stop> {
        let bytes = item.size;
        let group = Group {
            items: vec![item],
            links: Vec::new(),
            member_of,
            bytes,
        };
        self.writer.send(ToWriter::Group(group)).map_err(|_| Stop)
    }

    fn close(
        &mut self,
        locator: &str,
        members: u64,
        outcome: Outcome,
        member_of: Option<MemberOf>,
    ) -> Result<(), Stop> {
        self.writer
            .send(ToWriter::Close {
                locator: locator.to_owned(),
                members,
                outcome,
                member_of,
            })
            .map_err(|_| Stop)
    }

    fn seen(&mut self, locator: &str) -> Seen {
        if !self.resuming {
            return Seen::New;
        }
        // One indexed lookup per member of a container being resumed: nothing is preloaded,
        // so memory does not grow with the size of the container.
        let state = match self.catalog.item_state(self.source, locator) {
            Ok(Some(s)) => Some((s.complete, s.resume_at)),
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(%locator, error = %e, "catalog lookup failed; treating the item as new");
                None
            }
        };
        match state {
            None => Seen::New,
            Some((true, _)) => Seen::Done,
            Some((false, resume_at)) => Seen::Partial { resume_at },
        }
    }
}
