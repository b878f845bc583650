//! A tolerant reader of OLE compound files (MS-CFB), for the `.msg` files the `cfb` crate
//! refuses as a whole: a sibling or child pointer that points back (a cycle in the directory
//! tree), a FAT chain that loops, a sector pointed to twice. It reads what is reachable and
//! says what is not, in [`Tolerant::damage`]:
//!
//! - the directory tree is walked from the root entry with a visited set: every entry is taken
//!   at most once, a pointer back to one already taken (a cycle) or past the directory is not
//!   followed; entries never reached are counted;
//! - every sector chain (DIFAT, FAT, directory, mini FAT, mini stream, each stream) is walked
//!   with a visited set and no further than the sectors its size needs, so a loop ends it;
//!   a stream whose chain ends early is read in part.
//!
//! Memory is bounded by the file: the FAT has one entry per sector present, the directory one
//! entry per 128 bytes of its chain, and a stream is read once, up to `max_value_bytes`.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};

use crate::{OutlookError, Result};

const MAGIC: &[u8; 8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";
const NOSTREAM: u32 = 0xFFFF_FFFF;
const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
/// Sector numbers from here up are markers (free, end of chain, FAT, DIFAT), not sectors.
const MAXREGSECT: u32 = 0xFFFF_FFFA;
/// Storages nested deeper than this are not entered (a .msg nests a few levels per
/// embedded message; `Limits::max_depth` bounds those further up).
const MAX_STORAGE_DEPTH: usize = 128;
/// Damage notes kept; the rest are counted.
const MAX_NOTES: usize = 32;

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    /// 1 storage, 2 stream, 5 root storage; anything else is unused or invalid.
    kind: u8,
    left: u32,
    right: u32,
    child: u32,
    start: u32,
    size: u64,
}

/// An OLE compound file read without trusting its pointers.
pub(crate) struct Tolerant<R> {
    r: R,
    file_len: u64,
    shift: u32,
    cutoff: u64,
    fat: Vec<u32>,
    minifat: Vec<u32>,
    entries: Vec<Entry>,
    root: usize,
    /// Lower-cased path (`/a/b`) → entry index, for every entry reached from the root.
    paths: HashMap<String, usize>,
    /// Storage entry index → its children reached, sorted by name.
    children: HashMap<usize, Vec<usize>>,
    ministream: Option<Vec<u8>>,
    notes: Vec<String>,
    notes_dropped: usize,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .unwrap_or(0)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .unwrap_or(NOSTREAM)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .map(|s| u64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]))
        .unwrap_or(0)
}

fn join(dir: &str, name: &str) -> String {
    if dir == "/" || dir.is_empty() {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

impl<R: Read + Seek> Tolerant<R> {
    /// Reads the header, the FAT, the directory and the mini FAT, and walks the directory
    /// tree. Fails only when there is no header or no root entry at all.
    pub(crate) fn open(mut r: R) -> Result<Self> {
        let file_len = r.seek(SeekFrom::End(0))?;
        r.rewind()?;
        let mut header = [0u8; 512];
        r.read_exact(&mut header)
            .map_err(|_| OutlookError::corrupt("OLE compound file", "shorter than its header"))?;
        if header[..8] != *MAGIC {
            return Err(OutlookError::NotFormat("an OLE compound file"));
        }
        let mut t = Tolerant {
            r,
            file_len,
            shift: 9,
            cutoff: 4096,
            fat: Vec::new(),
            minifat: Vec::new(),
            entries: Vec::new(),
            root: 0,
            paths: HashMap::new(),
            children: HashMap::new(),
            ministream: None,
            notes: Vec::new(),
            notes_dropped: 0,
        };
        let major = u16_at(&header, 0x1A);
        let shift = u16_at(&header, 0x1E) as u32;
        t.shift = match shift {
            9 | 12 => shift,
            _ => {
                let s = if major == 4 { 12 } else { 9 };
                t.note(format!(
                    "header: sector shift {shift} invalid; {s} assumed (version {major})"
                ));
                s
            }
        };
        if u16_at(&header, 0x20) != 6 {
            t.note("header: mini sector shift not 6; 6 assumed".into());
        }
        let cutoff = u32_at(&header, 0x38);
        if cutoff != 4096 {
            t.note(format!(
                "header: mini stream cutoff {cutoff} invalid; 4096 assumed"
            ));
        }
        t.read_fat(&header);
        let dir_start = u32_at(&header, 0x30);
        let dir = t.read_chain(dir_start, None, "directory")?;
        let n = dir.len() / 128;
        t.entries = (0..n)
            .map(|i| {
                let e = &dir[i * 128..i * 128 + 128];
                let len = (u16_at(e, 64) as usize / 2).min(32);
                let units: Vec<u16> = (0..len)
                    .map(|k| u16_at(e, k * 2))
                    .take_while(|&u| u != 0)
                    .collect();
                let size = u64_at(e, 120);
                Entry {
                    name: String::from_utf16_lossy(&units),
                    kind: e[66],
                    left: u32_at(e, 68),
                    right: u32_at(e, 72),
                    child: u32_at(e, 76),
                    start: u32_at(e, 116),
                    // Version 3 files may leave garbage in the high half.
                    size: if major == 3 { size & 0xFFFF_FFFF } else { size },
                }
            })
            .collect();
        drop(dir);
        let minifat_start = u32_at(&header, 0x3C);
        if minifat_start < MAXREGSECT {
            let b = t.read_chain(minifat_start, None, "mini FAT")?;
            t.minifat = b.chunks_exact(4).map(|c| u32_at(c, 0)).collect();
        }
        t.walk()?;
        Ok(t)
    }

    fn note(&mut self, s: String) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push(s);
        } else {
            self.notes_dropped += 1;
        }
    }

    /// What was damaged, one note per finding.
    pub(crate) fn damage(&self) -> Vec<String> {
        let mut v = self.notes.clone();
        if self.notes_dropped > 0 {
            v.push(format!("{} more damage notes not kept", self.notes_dropped));
        }
        v
    }

    fn ssz(&self) -> u64 {
        1 << self.shift
    }

    /// Sectors present in the file (the last one possibly in part).
    fn sectors(&self) -> u64 {
        self.file_len
            .saturating_sub(self.ssz())
            .div_ceil(self.ssz())
    }

    /// One sector's bytes (fewer at the end of the file).
    fn sector(&mut self, s: u32) -> std::io::Result<Vec<u8>> {
        let ssz = self.ssz();
        let at = (s as u64 + 1) * ssz;
        let len = ssz.min(self.file_len.saturating_sub(at)) as usize;
        let mut b = vec![0u8; len];
        self.r.seek(SeekFrom::Start(at))?;
        self.r.read_exact(&mut b)?;
        Ok(b)
    }

    /// The FAT, from the header's 109 DIFAT entries and the DIFAT chain.
    fn read_fat(&mut self, header: &[u8]) {
        let nsect = self.sectors();
        let per = (self.ssz() / 4) as usize;
        let declared = u32_at(header, 0x2C) as u64;
        let mut fat_sectors: Vec<u32> = (0..109)
            .map(|i| u32_at(header, 0x4C + i * 4))
            .filter(|&s| (s as u64) < nsect)
            .collect();
        let mut s = u32_at(header, 0x44);
        let mut seen = HashSet::new();
        while s < MAXREGSECT {
            if s as u64 >= nsect {
                self.note(format!(
                    "DIFAT chain points to sector {s}, past the file's end"
                ));
                break;
            }
            if !seen.insert(s) {
                self.note(format!("DIFAT chain loops back to sector {s}"));
                break;
            }
            let Ok(b) = self.sector(s) else { break };
            fat_sectors.extend(
                (0..per - 1)
                    .map(|i| u32_at(&b, i * 4))
                    .filter(|&x| (x as u64) < nsect),
            );
            s = u32_at(&b, (per - 1) * 4);
        }
        if (fat_sectors.len() as u64) < declared {
            self.note(format!(
                "{} of the {declared} FAT sectors the header declares were found",
                fat_sectors.len()
            ));
        }
        fat_sectors.truncate(nsect as usize);
        let mut fat = Vec::with_capacity((fat_sectors.len() * per).min(nsect as usize));
        for fs in fat_sectors {
            if fat.len() as u64 >= nsect {
                break;
            }
            match self.sector(fs) {
                Ok(b) => fat.extend(b.chunks_exact(4).map(|c| u32_at(c, 0))),
                Err(_) => break,
            }
        }
        fat.truncate(nsect as usize);
        self.fat = fat;
    }

    /// The sectors of a chain in `table`, no more than `need`, stopping (with a note) at a
    /// loop or a pointer to no sector.
    fn chain(&mut self, start: u32, mini: bool, need: Option<u64>, what: &str) -> Vec<u32> {
        let len = if mini {
            self.minifat.len()
        } else {
            self.fat.len()
        };
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut s = start;
        loop {
            if need.is_some_and(|n| out.len() as u64 >= n) {
                if s != ENDOFCHAIN {
                    self.note(format!(
                        "{what}: chain goes on past its {} sectors (to {s:#x})",
                        out.len()
                    ));
                }
                break;
            }
            if s == ENDOFCHAIN {
                if let Some(n) = need {
                    self.note(format!(
                        "{what}: chain ends after {} of its {n} sectors; read in part",
                        out.len()
                    ));
                }
                break;
            }
            if s >= MAXREGSECT || s as usize >= len {
                self.note(format!(
                    "{what}: chain points to {s:#x}, no {}sector; read in part",
                    if mini { "mini " } else { "" }
                ));
                break;
            }
            if !seen.insert(s) {
                self.note(format!(
                    "{what}: {}FAT chain loops back to sector {s}; read in part",
                    if mini { "mini " } else { "" }
                ));
                break;
            }
            out.push(s);
            let table = if mini { &self.minifat } else { &self.fat };
            s = table[s as usize];
        }
        out
    }

    /// The bytes of a chain of regular sectors.
    fn read_chain(&mut self, start: u32, need: Option<u64>, what: &str) -> Result<Vec<u8>> {
        let sectors = self.chain(start, false, need, what);
        let mut v = Vec::with_capacity(sectors.len().min(4096) << self.shift);
        for s in sectors {
            v.extend(self.sector(s)?);
        }
        Ok(v)
    }

    /// Walks the directory tree from the root entry; every entry is taken once.
    fn walk(&mut self) -> Result<()> {
        let n = self.entries.len();
        self.root = match self.entries.first() {
            Some(e) if e.kind == 5 => 0,
            _ => {
                let found = self
                    .entries
                    .iter()
                    .position(|e| e.kind == 5)
                    .ok_or_else(|| {
                        OutlookError::corrupt("OLE compound file", "no root entry in the directory")
                    })?;
                self.note(format!(
                    "directory: entry 0 is not the root entry; entry {found} is"
                ));
                found
            }
        };
        let mut visited = vec![false; n];
        visited[self.root] = true;
        let mut queue = vec![(self.root, String::from("/"), 0usize)];
        self.paths.insert("/".into(), self.root);
        while let Some((dir, path, depth)) = queue.pop() {
            let mut kids = Vec::new();
            let mut stack = vec![(self.entries[dir].child, dir)];
            while let Some((p, from)) = stack.pop() {
                if p == NOSTREAM {
                    continue;
                }
                let from_name = self.entries[from].name.clone();
                if p as usize >= n {
                    self.note(format!(
                        "directory: entry {from} ({from_name}) points to entry {p}, past the directory's {n}; not followed"
                    ));
                    continue;
                }
                let p = p as usize;
                if visited[p] {
                    let to = self.entries[p].name.clone();
                    self.note(format!(
                        "directory cycle: entry {from} ({from_name}) points back to entry {p} ({to}); not followed"
                    ));
                    continue;
                }
                visited[p] = true;
                let e = &self.entries[p];
                if e.kind != 1 && e.kind != 2 {
                    let kind = e.kind;
                    self.note(format!(
                        "directory: entry {p} in {path} has type {kind}; skipped"
                    ));
                    continue;
                }
                stack.push((e.left, p));
                stack.push((e.right, p));
                kids.push(p);
            }
            kids.sort_by(|a, b| self.entries[*a].name.cmp(&self.entries[*b].name));
            for &k in &kids {
                let e = &self.entries[k];
                let kpath = join(&path, &e.name);
                if self.paths.contains_key(&kpath.to_lowercase()) {
                    self.note(format!("directory: {kpath} twice; the first kept"));
                    continue;
                }
                self.paths.insert(kpath.to_lowercase(), k);
                if e.kind == 1 {
                    if depth + 1 > MAX_STORAGE_DEPTH {
                        self.note(format!("{kpath}: storages nested too deep; not entered"));
                    } else {
                        queue.push((k, kpath, depth + 1));
                    }
                }
            }
            self.children.insert(dir, kids);
        }
        let lost: Vec<&Entry> = self
            .entries
            .iter()
            .zip(&visited)
            .filter(|(e, v)| !**v && matches!(e.kind, 1 | 2))
            .map(|(e, _)| e)
            .collect();
        if !lost.is_empty() {
            let names: Vec<&str> = lost.iter().take(5).map(|e| e.name.as_str()).collect();
            let more = if lost.len() > 5 { ", …" } else { "" };
            let msg = format!(
                "directory: {} entries not reachable from the root, not read ({}{more})",
                lost.len(),
                names.join(", ")
            );
            self.note(msg);
        }
        Ok(())
    }

    /// Names of every directory entry in use, reachable or not.
    pub(crate) fn all_names(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|e| matches!(e.kind, 1 | 2))
            .map(|e| e.name.as_str())
    }

    fn lookup(&self, path: &str) -> Option<usize> {
        let p = if path.is_empty() { "/" } else { path };
        self.paths.get(&p.to_lowercase()).copied()
    }

    /// The entries of a storage reached from the root: (name, is storage).
    pub(crate) fn list(&self, dir: &str) -> Result<Vec<(String, bool)>> {
        let idx = self
            .lookup(dir)
            .filter(|i| matches!(self.entries[*i].kind, 1 | 5))
            .ok_or_else(|| OutlookError::corrupt("OLE storage", format!("{dir}: not found")))?;
        Ok(self
            .children
            .get(&idx)
            .map(|k| {
                k.iter()
                    .map(|&i| (self.entries[i].name.clone(), self.entries[i].kind == 1))
                    .collect()
            })
            .unwrap_or_default())
    }

    pub(crate) fn is_storage(&self, path: &str) -> bool {
        self.lookup(path)
            .is_some_and(|i| matches!(self.entries[i].kind, 1 | 5))
    }

    /// A stream's bytes, up to `max` of them; a broken chain gives the bytes before the break
    /// (and a damage note).
    pub(crate) fn read(&mut self, path: &str, max: u64) -> Result<Vec<u8>> {
        let idx = self
            .lookup(path)
            .filter(|i| self.entries[*i].kind == 2)
            .ok_or_else(|| OutlookError::corrupt("OLE stream", format!("{path}: not found")))?;
        let (start, size) = (self.entries[idx].start, self.entries[idx].size);
        if size > max {
            return Err(OutlookError::Limit(format!(
                "stream {path} of {size} bytes"
            )));
        }
        if size == 0 {
            return Ok(Vec::new());
        }
        if size > self.file_len {
            self.note(format!(
                "{path}: size {size} is past the file's {} bytes; read in part",
                self.file_len
            ));
        }
        let mut v = if size < self.cutoff {
            self.load_ministream()?;
            let sectors = self.chain(start, true, Some(size.div_ceil(64)), path);
            let mini = self.ministream.as_deref().unwrap_or_default();
            let mut v = Vec::with_capacity(size as usize);
            for s in sectors {
                let at = s as usize * 64;
                match mini.get(at..(at + 64).min(mini.len())) {
                    Some(b) if !b.is_empty() => v.extend_from_slice(b),
                    _ => break,
                }
            }
            v
        } else {
            self.read_chain(start, Some(size.div_ceil(self.ssz())), path)?
        };
        if (v.len() as u64) < size {
            self.note(format!("{path}: {} of its {size} bytes read", v.len()));
        }
        v.truncate(size as usize);
        Ok(v)
    }

    /// The mini stream (the root entry's stream), read once.
    fn load_ministream(&mut self) -> Result<()> {
        if self.ministream.is_none() {
            let root = &self.entries[self.root];
            let (start, size) = (root.start, root.size.min(self.file_len));
            let need = size.div_ceil(self.ssz());
            let v = if start < MAXREGSECT {
                self.read_chain(start, Some(need), "mini stream")?
            } else {
                Vec::new()
            };
            self.ministream = Some(v);
        }
        Ok(())
    }
}
