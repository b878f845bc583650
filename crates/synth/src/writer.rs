//! Streams rendered copies into the four mailbox layouts and accumulates the manifest.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{BufWriter, Cursor, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, System, ZipWriter};

use crate::manifest::{CustodianEntry, LayoutStats, Location, NestedZips};
use crate::message::{Folder, Rendered};
use crate::mime::When;
use crate::world::World;
use crate::{Layout, SynthError};

/// Deflate level for mailbox zips (fast: these are containers of text).
const ZIP_LEVEL: i64 = 3;
/// At most this many copies go into one nested `respaldo.zip`.
const RESPALDO_CAP: u32 = 400;

struct MboxFile {
    w: BufWriter<File>,
    count: u64,
    offset: u64,
}

struct ZipBox {
    zw: ZipWriter<BufWriter<File>>,
    respaldo: Option<ZipWriter<Cursor<Vec<u8>>>>,
    respaldo_count: u32,
    respaldo_time: When,
}

enum BoxState {
    Unopened,
    Eml,
    Maildir { made: BTreeSet<Folder> },
    Mbox { files: BTreeMap<Folder, MboxFile> },
    Zip(Box<ZipBox>),
}

struct Mailbox {
    state: BoxState,
    counters: BTreeMap<Folder, u32>,
    copies: u64,
}

#[derive(Default)]
pub struct Totals {
    pub logical: u64,
    pub copies: u64,
    pub attachments: u64,
    pub nested: NestedZips,
    pub raw: u64,
    pub split: u64,
    pub replies: u64,
    pub forwards: u64,
    pub header_poor: u64,
    pub rfc822: u64,
    pub english: u64,
    pub languages: BTreeMap<String, u64>,
    pub charsets: BTreeMap<String, u64>,
    pub ctes: BTreeMap<String, u64>,
    pub structures: BTreeMap<String, u64>,
    pub att_kinds: BTreeMap<String, u64>,
    pub layouts: BTreeMap<String, LayoutStats>,
    pub first: Option<(i64, String)>,
    pub last: Option<(i64, String)>,
    pub custodians: Vec<CustodianEntry>,
}

/// A file to be written by the I/O pool (directories already exist).
pub type FileJob = (PathBuf, Vec<u8>);

pub struct Writer<'a> {
    out: PathBuf,
    io: Option<std::sync::mpsc::SyncSender<FileJob>>,
    world: &'a World,
    boxes: Vec<Mailbox>,
    jsonl: BufWriter<File>,
    jsonl_path: PathBuf,
    pub totals: Totals,
}

fn io_err<P: AsRef<Path>>(p: P) -> impl FnOnce(std::io::Error) -> SynthError {
    move |e| SynthError::io(p.as_ref(), e)
}

fn io<P: AsRef<Path>>(p: P) -> impl FnOnce(std::io::Error) -> SynthError {
    move |e| SynthError::io(p.as_ref(), e)
}

fn mkdir(p: &Path) -> Result<(), SynthError> {
    fs::create_dir_all(p).map_err(io(p))
}

fn rel(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/")
}

fn stats(t: &mut Totals, layout: Layout) -> &mut LayoutStats {
    t.layouts.entry(layout.to_string()).or_default()
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    *map.entry(key.to_string()).or_default() += 1;
}

impl<'a> Writer<'a> {
    pub fn new(
        out: &Path,
        world: &'a World,
        jsonl_path: PathBuf,
        io_pool: Option<std::sync::mpsc::SyncSender<FileJob>>,
    ) -> Result<Writer<'a>, SynthError> {
        let f = File::create(&jsonl_path).map_err(io(&jsonl_path))?;
        let mut totals = Totals::default();
        for c in &world.custodians {
            stats(&mut totals, c.layout).custodians += 1;
        }
        Ok(Writer {
            out: out.to_path_buf(),
            io: io_pool,
            world,
            boxes: world
                .custodians
                .iter()
                .map(|_| Mailbox {
                    state: BoxState::Unopened,
                    counters: BTreeMap::new(),
                    copies: 0,
                })
                .collect(),
            jsonl: BufWriter::with_capacity(1 << 20, f),
            jsonl_path,
            totals,
        })
    }

    /// Stop handing files to the I/O pool (lets its threads finish).
    pub fn close_io(&mut self) {
        self.io = None;
    }

    fn put_file(
        io: &Option<std::sync::mpsc::SyncSender<FileJob>>,
        p: PathBuf,
        data: Vec<u8>,
    ) -> Result<(), SynthError> {
        match io {
            Some(tx) => tx
                .send((p, data))
                .map_err(|_| SynthError::Worker("the file writer pool stopped".into())),
            None => fs::write(&p, &data).map_err(io_err(&p)),
        }
    }

    fn open(&mut self, c: usize) -> Result<(), SynthError> {
        let Some(cust) = self.world.custodians.get(c) else {
            return Ok(());
        };
        let Some(mb) = self.boxes.get_mut(c) else {
            return Ok(());
        };
        if !matches!(mb.state, BoxState::Unopened) {
            return Ok(());
        }
        mb.state = match cust.layout {
            Layout::Eml => BoxState::Eml,
            Layout::Maildir => {
                let root = self.out.join("maildir").join(&cust.login);
                for d in ["cur", "new", "tmp"] {
                    mkdir(&root.join(d))?;
                }
                BoxState::Maildir {
                    made: BTreeSet::from([Folder::Inbox]),
                }
            }
            Layout::Mbox => {
                mkdir(&self.out.join("mbox").join(&cust.login))?;
                BoxState::Mbox {
                    files: BTreeMap::new(),
                }
            }
            Layout::Zip => {
                let dir = self.out.join("zip");
                mkdir(&dir)?;
                let p = dir.join(format!("{}.zip", cust.login));
                let f = File::create(&p).map_err(io(&p))?;
                self.totals.layouts.entry("zip".into()).or_default().files += 1;
                BoxState::Zip(Box::new(ZipBox {
                    zw: ZipWriter::new(BufWriter::with_capacity(1 << 18, f)),
                    respaldo: None,
                    respaldo_count: 0,
                    respaldo_time: When { unix: 0, offset: 0 },
                }))
            }
        };
        Ok(())
    }

    /// Write one batch of rendered messages, in order.
    pub fn write(&mut self, batch: Vec<Rendered>) -> Result<(), SynthError> {
        for r in batch {
            self.write_one(r)?;
        }
        Ok(())
    }

    fn write_one(&mut self, r: Rendered) -> Result<(), SynthError> {
        let mut record = r.record;
        let mut locations = Vec::with_capacity(r.copies.len());
        for copy in r.copies {
            let c = copy.custodian as usize;
            self.open(c)?;
            let Some(cust) = self.world.custodians.get(c) else {
                continue;
            };
            let Some(mb) = self.boxes.get_mut(c) else {
                continue;
            };
            let n = {
                let e = mb.counters.entry(copy.folder).or_insert(0);
                *e += 1;
                *e
            };
            mb.copies += 1;
            let folder = copy.folder.name();
            let file_name = format!("{n:06}.eml");
            let len = copy.data.len() as u64;
            let loc = match &mut mb.state {
                BoxState::Unopened => continue,
                BoxState::Eml => {
                    let dir = self.out.join("eml").join(&cust.login).join(&folder);
                    if n == 1 {
                        mkdir(&dir)?;
                    }
                    Self::put_file(&self.io, dir.join(&file_name), copy.data)?;
                    let s = stats(&mut self.totals, Layout::Eml);
                    s.files += 1;
                    s.copies += 1;
                    s.bytes += len;
                    Location {
                        path: rel(&["eml", &cust.login, &folder, &file_name]),
                        custodian: cust.login.clone(),
                        folder,
                        member: None,
                        inner: None,
                        index: None,
                        offset: None,
                    }
                }
                BoxState::Maildir { made } => {
                    let fdir = copy.folder.maildir_dir();
                    let root = self.out.join("maildir").join(&cust.login);
                    let base = if fdir.is_empty() {
                        root.clone()
                    } else {
                        root.join(&fdir)
                    };
                    let s = stats(&mut self.totals, Layout::Maildir);
                    if made.insert(copy.folder) {
                        for d in ["cur", "new", "tmp"] {
                            mkdir(&base.join(d))?;
                        }
                        if !fdir.is_empty() {
                            let m = base.join("maildirfolder");
                            File::create(&m).map_err(io(&m))?;
                            s.files += 1;
                        }
                    }
                    let (sub, name) = copy.maildir.unwrap_or((
                        "cur",
                        format!(
                            "{}.M0P0Q{}.localhost:2,S",
                            copy.delivered.unix, record.index
                        ),
                    ));
                    Self::put_file(&self.io, base.join(sub).join(&name), copy.data)?;
                    s.files += 1;
                    s.copies += 1;
                    s.bytes += len;
                    Location {
                        path: rel(&["maildir", &cust.login, &fdir, sub, &name]),
                        custodian: cust.login.clone(),
                        folder,
                        member: None,
                        inner: None,
                        index: None,
                        offset: None,
                    }
                }
                BoxState::Mbox { files } => {
                    let relp = rel(&["mbox", &cust.login, &format!("{folder}.mbox")]);
                    let s = stats(&mut self.totals, Layout::Mbox);
                    if let std::collections::btree_map::Entry::Vacant(e) = files.entry(copy.folder)
                    {
                        let p = self.out.join(&relp);
                        if let Some(parent) = p.parent() {
                            mkdir(parent)?;
                        }
                        let f = File::create(&p).map_err(io(&p))?;
                        e.insert(MboxFile {
                            w: BufWriter::with_capacity(1 << 17, f),
                            count: 0,
                            offset: 0,
                        });
                        s.files += 1;
                    }
                    let Some(mf) = files.get_mut(&copy.folder) else {
                        continue;
                    };
                    mf.w.write_all(&copy.data)
                        .map_err(io(self.out.join(&relp)))?;
                    let loc = Location {
                        path: relp,
                        custodian: cust.login.clone(),
                        folder,
                        member: None,
                        inner: None,
                        index: Some(mf.count),
                        offset: Some(mf.offset),
                    };
                    mf.count += 1;
                    mf.offset += len;
                    s.copies += 1;
                    s.bytes += len;
                    loc
                }
                BoxState::Zip(zb) => {
                    let member = format!("{folder}/{file_name}");
                    let opts = SimpleFileOptions::default()
                        .compression_method(CompressionMethod::Deflated)
                        .compression_level(Some(ZIP_LEVEL))
                        .last_modified_time(copy.delivered.zip_time())
                        .system(System::Dos);
                    let to_respaldo = cust.respaldo
                        && matches!(copy.folder, Folder::Archive(_))
                        && zb.respaldo_count < RESPALDO_CAP;
                    let relp = format!("zip/{}.zip", cust.login);
                    let loc = if to_respaldo {
                        let rz = zb.respaldo.get_or_insert_with(|| {
                            ZipWriter::new(Cursor::new(Vec::with_capacity(1 << 16)))
                        });
                        rz.start_file(member.as_str(), opts)?;
                        rz.write_all(&copy.data).map_err(io(&relp))?;
                        zb.respaldo_count += 1;
                        zb.respaldo_time = zb.respaldo_time.max(copy.delivered);
                        Location {
                            path: relp,
                            custodian: cust.login.clone(),
                            folder,
                            member: Some("respaldo.zip".to_string()),
                            inner: Some(member),
                            index: None,
                            offset: None,
                        }
                    } else {
                        zb.zw.start_file(member.as_str(), opts)?;
                        zb.zw.write_all(&copy.data).map_err(io(&relp))?;
                        Location {
                            path: relp,
                            custodian: cust.login.clone(),
                            folder,
                            member: Some(member),
                            inner: None,
                            index: None,
                            offset: None,
                        }
                    };
                    stats(&mut self.totals, Layout::Zip).copies += 1;
                    loc
                }
            };
            locations.push(loc);
        }

        // Totals.
        let t = &mut self.totals;
        t.logical += 1;
        t.copies += locations.len() as u64;
        t.attachments += record.attachments.len() as u64;
        for a in &record.attachments {
            bump(&mut t.att_kinds, &a.kind);
        }
        t.nested.zip_attachments += r.nested_zip_attachments;
        t.nested.zip_in_zip += r.zip_in_zip;
        t.raw += u64::from(record.raw_8bit);
        t.split += u64::from(record.split_encoded_word);
        t.replies += u64::from(record.kind == "reply");
        t.forwards += u64::from(record.kind == "forward");
        t.header_poor += u64::from(record.header_poor);
        t.rfc822 += u64::from(r.rfc822);
        t.english += u64::from(record.lang == "en");
        bump(&mut t.languages, &record.lang);
        bump(&mut t.charsets, &record.charset);
        bump(&mut t.ctes, &record.transfer_encoding);
        bump(&mut t.structures, &record.structure);
        if t.first.as_ref().is_none_or(|f| record.unix < f.0) {
            t.first = Some((record.unix, record.date.clone()));
        }
        if t.last.as_ref().is_none_or(|f| record.unix > f.0) {
            t.last = Some((record.unix, record.date.clone()));
        }

        record.copies = locations.len() as u32;
        record.locations = locations;
        serde_json::to_writer(&mut self.jsonl, &record)?;
        self.jsonl.write_all(b"\n").map_err(io(&self.jsonl_path))?;
        Ok(())
    }

    /// Close every mailbox (finishing zips and nested archives) and return the totals.
    pub fn finish(mut self) -> Result<Totals, SynthError> {
        for (c, mb) in self.boxes.iter_mut().enumerate() {
            let Some(cust) = self.world.custodians.get(c) else {
                continue;
            };
            let state = std::mem::replace(&mut mb.state, BoxState::Unopened);
            match state {
                BoxState::Unopened | BoxState::Eml | BoxState::Maildir { .. } => {}
                BoxState::Mbox { files } => {
                    for (_, mut mf) in files {
                        mf.w.flush().map_err(io(&self.out))?;
                    }
                }
                BoxState::Zip(zb) => {
                    let ZipBox {
                        mut zw,
                        respaldo,
                        respaldo_time,
                        ..
                    } = *zb;
                    if let Some(rz) = respaldo {
                        let bytes = rz.finish()?.into_inner();
                        let opts = SimpleFileOptions::default()
                            .compression_method(CompressionMethod::Stored)
                            .last_modified_time(respaldo_time.zip_time())
                            .system(System::Dos);
                        zw.start_file("respaldo.zip", opts)?;
                        zw.write_all(&bytes).map_err(io(&self.out))?;
                        self.totals.nested.respaldo += 1;
                    }
                    let mut w = zw.finish()?;
                    w.flush().map_err(io(&self.out))?;
                    let p = self.out.join("zip").join(format!("{}.zip", cust.login));
                    drop(w);
                    let len = fs::metadata(&p).map_err(io(&p))?.len();
                    stats(&mut self.totals, Layout::Zip).bytes += len;
                }
            }
            let person = self.world.person(cust.person);
            let root = match cust.layout {
                Layout::Zip => format!("zip/{}.zip", cust.login),
                l => format!("{l}/{}", cust.login),
            };
            self.totals.custodians.push(CustodianEntry {
                login: cust.login.clone(),
                name: person.name.clone(),
                rank: person.rank.to_string(),
                unit: person.org.clone(),
                email: person.email.clone(),
                layout: cust.layout,
                root,
                copies: mb.copies,
            });
        }
        self.jsonl.flush().map_err(io(&self.jsonl_path))?;
        Ok(self.totals)
    }
}
