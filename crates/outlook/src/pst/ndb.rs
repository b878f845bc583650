//! The node database layer of MS-PST (2.2): header, B-tree pages, blocks and subnodes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::rc::Rc;

use super::scan::{self, Scan, ScanStats};
use crate::props::Le;
use crate::{Limits, OutlookError, Result};

/// The three on-disk variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// 32-bit ids and offsets (Outlook 97–2002).
    Ansi,
    /// 64-bit ids and offsets, 512-byte pages.
    Unicode,
    /// Outlook 2013+ OST: 4 KiB pages, blocks up to 64 KiB, zlib-compressed blocks.
    Unicode4k,
}

impl Variant {
    pub(crate) fn page_size(self) -> usize {
        if self == Variant::Unicode4k {
            4096
        } else {
            512
        }
    }
    /// Size of ids and offsets in entries.
    pub fn id_size(self) -> usize {
        if self == Variant::Ansi { 4 } else { 8 }
    }
    fn entries_size(self) -> usize {
        match self {
            Variant::Ansi => 496,
            Variant::Unicode => 488,
            Variant::Unicode4k => 4056,
        }
    }
    pub(crate) fn ptype_at(self) -> usize {
        match self {
            Variant::Ansi => 500,
            Variant::Unicode => 496,
            Variant::Unicode4k => 4072,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Variant::Ansi => "ANSI",
            Variant::Unicode => "Unicode",
            Variant::Unicode4k => "Unicode 4K (OST 2013+)",
        }
    }
}

pub(crate) const PTYPE_BBT: u8 = 0x80;
pub(crate) const PTYPE_NBT: u8 = 0x81;
/// B-trees deeper than this are corrupt.
const MAX_TREE_DEPTH: usize = 16;

/// A leaf of the node B-tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeEntry {
    pub nid: u32,
    pub data: u64,
    pub sub: u64,
    pub parent: u32,
    /// Found by scanning the file, not through the node B-tree (which could not be read
    /// there).
    pub by_scan: bool,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockRef {
    pub(crate) ib: u64,
    pub(crate) cb: u16,
    pub(crate) inflated: u16,
}

/// (entry count, entry size, level) of a B-tree page, when they fit the page.
pub(crate) fn page_meta_of(v: Variant, p: &[u8]) -> Option<(usize, usize, u8)> {
    let es = v.entries_size();
    let (c_ent, cb_ent, level) = if v == Variant::Unicode4k {
        (
            p.u16_at(es)? as usize,
            p.u8_at(es + 4)? as usize,
            p.u8_at(es + 5)?,
        )
    } else {
        (
            p.u8_at(es)? as usize,
            p.u8_at(es + 2)? as usize,
            p.u8_at(es + 3)?,
        )
    };
    let min = if v == Variant::Ansi { 12 } else { 24 };
    (cb_ent >= min && c_ent * cb_ent <= es).then_some((c_ent, cb_ent, level))
}

fn id_of(v: Variant, b: &[u8], at: usize) -> u64 {
    if v == Variant::Ansi {
        b.u32_at(at).unwrap_or(0) as u64
    } else {
        b.u64_at(at).unwrap_or(0)
    }
}

/// A node B-tree leaf entry.
pub(crate) fn node_entry_of(v: Variant, e: &[u8], by_scan: bool) -> NodeEntry {
    let n = v.id_size();
    NodeEntry {
        nid: id_of(v, e, 0) as u32,
        data: id_of(v, e, n),
        sub: id_of(v, e, 2 * n),
        parent: e.u32_at(3 * n).unwrap_or(0),
        by_scan,
    }
}

/// Why a lookup or walk of the B-trees failed where the scan stood in (a few kept).
const MAX_REASONS: usize = 4;

/// An error the scan can stand in for: a damaged structure, not a failing disk.
fn is_damage(e: &OutlookError) -> bool {
    matches!(e, OutlookError::Corrupt { .. })
}

/// A subnode: its data block and its own subnode tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sub {
    pub data: u64,
    pub sub: u64,
}

/// The NDB layer over a seekable file.
pub struct Ndb<R> {
    r: R,
    pub variant: Variant,
    pub is_ost: bool,
    crypt: u8,
    file_len: u64,
    nbt_root: u64,
    bbt_root: u64,
    pages: HashMap<u64, Rc<[u8]>>,
    pub limits: Limits,
    /// The node and block maps rebuilt by scanning the file, once one of the B-trees failed.
    scan: Option<Scan>,
    /// Why the B-trees failed where the scan stood in.
    reasons: Vec<String>,
    /// Lookups the scan answered, of nodes and of blocks.
    scan_hits: (u64, u64),
}

impl<R: Read + Seek> Ndb<R> {
    pub fn open(mut r: R, limits: Limits) -> Result<Self> {
        let file_len = r.seek(SeekFrom::End(0))?;
        r.seek(SeekFrom::Start(0))?;
        let mut h = vec![0u8; 564.min(file_len as usize)];
        r.read_exact(&mut h)?;
        if !h.starts_with(b"!BDN") {
            return Err(OutlookError::NotFormat("a PST/OST file (no !BDN magic)"));
        }
        let client = h.range(8, 2).unwrap_or_default();
        let is_ost = client == b"SO";
        let ver = h
            .u16_at(10)
            .ok_or_else(|| OutlookError::corrupt("header", "truncated"))?;
        let variant = match ver {
            14 | 15 => Variant::Ansi,
            36 => Variant::Unicode4k,
            23..=35 | 37..=40 => Variant::Unicode,
            v => return Err(OutlookError::Unsupported(format!("PST version {v}"))),
        };
        let short = || OutlookError::corrupt("header", "truncated");
        let (nbt_root, bbt_root, crypt) = match variant {
            Variant::Ansi => (
                h.u32_at(0xBC).ok_or_else(short)? as u64,
                h.u32_at(0xC4).ok_or_else(short)? as u64,
                h.u8_at(0x1CD).ok_or_else(short)?,
            ),
            _ => (
                h.u64_at(0xE0).ok_or_else(short)?,
                h.u64_at(0xF0).ok_or_else(short)?,
                h.u8_at(0x201).ok_or_else(short)?,
            ),
        };
        if crypt > 2 {
            return Err(OutlookError::Unsupported(format!(
                "encryption method {crypt} (0x10 is Outlook's high encryption)"
            )));
        }
        Ok(Ndb {
            r,
            variant,
            is_ost,
            crypt,
            file_len,
            nbt_root,
            bbt_root,
            pages: HashMap::new(),
            limits,
            scan: None,
            reasons: Vec::new(),
            scan_hits: (0, 0),
        })
    }

    fn read_at(&mut self, ib: u64, len: usize) -> Result<Vec<u8>> {
        let end = ib
            .checked_add(len as u64)
            .ok_or_else(|| OutlookError::corrupt("offset", format!("{ib:#x} overflows")))?;
        if end > self.file_len {
            return Err(OutlookError::corrupt(
                "offset",
                format!(
                    "{len} bytes at {ib:#x} run past the end of the file ({} bytes)",
                    self.file_len
                ),
            ));
        }
        self.r.seek(SeekFrom::Start(ib))?;
        let mut v = vec![0u8; len];
        self.r.read_exact(&mut v)?;
        Ok(v)
    }

    fn page(&mut self, ib: u64, ptype: u8) -> Result<Rc<[u8]>> {
        if let Some(p) = self.pages.get(&ib) {
            return Ok(p.clone());
        }
        let p: Rc<[u8]> = self.read_at(ib, self.variant.page_size())?.into();
        if p.u8_at(self.variant.ptype_at()) != Some(ptype) {
            return Err(OutlookError::corrupt(
                "B-tree page",
                format!("page at {ib:#x} is not of type {ptype:#x}"),
            ));
        }
        if self.pages.len() >= self.limits.cache_pages {
            self.pages.clear();
        }
        self.pages.insert(ib, p.clone());
        Ok(p)
    }

    /// (entry count, entry size, level) of a B-tree page, checked.
    fn page_meta(&self, p: &[u8], ib: u64) -> Result<(usize, usize, u8)> {
        page_meta_of(self.variant, p).ok_or_else(|| {
            let es = self.variant.entries_size();
            OutlookError::corrupt(
                "B-tree page",
                format!(
                    "page at {ib:#x}: entry count and size do not fit its {es} bytes of entries"
                ),
            )
        })
    }

    fn id(&self, b: &[u8], at: usize) -> u64 {
        id_of(self.variant, b, at)
    }

    /// Child page offset of an intermediate entry.
    fn child_ib(&self, e: &[u8]) -> u64 {
        let n = self.variant.id_size();
        self.id(e, 2 * n)
    }

    /// Finds the leaf entry with `key` in a B-tree.
    fn find(&mut self, root: u64, ptype: u8, key: u64, mask: u64) -> Result<Option<Vec<u8>>> {
        let mut ib = root;
        for _ in 0..MAX_TREE_DEPTH {
            let p = self.page(ib, ptype)?;
            let (c_ent, cb_ent, level) = self.page_meta(&p, ib)?;
            let entries: Vec<&[u8]> = (0..c_ent)
                .filter_map(|i| p.range(i * cb_ent, cb_ent))
                .collect();
            if level == 0 {
                return Ok(entries
                    .into_iter()
                    .find(|e| self.id(e, 0) & mask == key & mask)
                    .map(<[u8]>::to_vec));
            }
            let mut next = None;
            for e in &entries {
                if self.id(e, 0) & mask <= key & mask {
                    next = Some(self.child_ib(e));
                } else {
                    break;
                }
            }
            match next {
                Some(n) => ib = n,
                None => return Ok(None),
            }
        }
        Err(OutlookError::corrupt("B-tree", "deeper than 16 levels"))
    }

    fn block_ref(&mut self, bid: u64) -> Result<BlockRef> {
        let e = match self.find(self.bbt_root, PTYPE_BBT, bid, !1) {
            Ok(e) => e,
            Err(e) if is_damage(&e) => {
                // The block B-tree is damaged on the way to this block: the scan's map.
                self.note_reason("block", &e);
                let found = self.scan()?.blocks.get(&(bid & !1)).copied();
                return match found {
                    Some(b) => {
                        self.scan_hits.1 += 1;
                        Ok(b)
                    }
                    None => Err(OutlookError::corrupt(
                        "block",
                        format!(
                            "block {bid:#x}: the block B-tree is damaged ({e}) and a scan of the file did not find it"
                        ),
                    )),
                };
            }
            Err(e) => return Err(e),
        };
        let e = e.ok_or_else(|| {
            OutlookError::corrupt(
                "block",
                format!("block {bid:#x} is not in the block B-tree"),
            )
        })?;
        let n = self.variant.id_size();
        let ib = self.id(&e, n);
        let cb = e.u16_at(2 * n).unwrap_or(0);
        let inflated = if self.variant == Variant::Unicode4k {
            e.u16_at(2 * n + 2).unwrap_or(cb)
        } else {
            cb
        };
        Ok(BlockRef { ib, cb, inflated })
    }

    fn note_reason(&mut self, tree: &str, e: &OutlookError) {
        let r = format!("{tree} B-tree: {e}");
        if self.reasons.len() < MAX_REASONS && !self.reasons.contains(&r) {
            self.reasons.push(r);
        }
    }

    /// The maps rebuilt by scanning the file, scanned on first need.
    fn scan(&mut self) -> Result<&Scan> {
        if self.scan.is_none() {
            let s = scan::scan(
                &mut self.r,
                self.file_len,
                self.variant,
                self.limits.max_nodes,
            )?;
            tracing::warn!(
                reasons = ?self.reasons,
                stats = ?s.stats,
                "B-trees damaged: the file was scanned for pages and blocks"
            );
            self.scan = Some(s);
        }
        Ok(self.scan.get_or_insert_with(Scan::default))
    }

    /// What the scan found and why it ran, once one of the B-trees failed; None while the
    /// B-trees served every lookup.
    pub fn repairs(&self) -> Option<Repairs> {
        let s = self.scan.as_ref()?;
        Some(Repairs {
            reasons: self.reasons.clone(),
            stats: s.stats,
            nodes_used: self.scan_hits.0,
            blocks_used: self.scan_hits.1,
        })
    }

    /// Where a block's bytes are in the file.
    pub fn block_offset(&mut self, bid: u64) -> Result<u64> {
        Ok(self.block_ref(bid)?.ib)
    }

    /// One block's data, decrypted and inflated.
    pub fn block(&mut self, bid: u64) -> Result<Vec<u8>> {
        let br = self.block_ref(bid)?;
        let mut data = self.read_at(br.ib, br.cb as usize)?;
        let internal = bid & 2 != 0;
        if !internal {
            decrypt(&mut data, self.crypt, bid as u32);
        }
        if self.variant == Variant::Unicode4k && br.inflated != br.cb {
            let mut out = Vec::with_capacity(br.inflated as usize);
            let mut z = flate2::read::ZlibDecoder::new(&data[..]).take(br.inflated as u64);
            z.read_to_end(&mut out).map_err(|e| {
                OutlookError::corrupt("compressed block", format!("block {bid:#x}: {e}"))
            })?;
            data = out;
        }
        Ok(data)
    }

    /// The data blocks of a node (one block, or the leaves of an XBLOCK/XXBLOCK tree).
    pub fn node_blocks(&mut self, bid: u64) -> Result<Vec<Vec<u8>>> {
        if bid == 0 {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let mut total = 0u64;
        self.collect_blocks(bid, 0, &mut out, &mut total)?;
        Ok(out)
    }

    fn collect_blocks(
        &mut self,
        bid: u64,
        depth: u32,
        out: &mut Vec<Vec<u8>>,
        total: &mut u64,
    ) -> Result<()> {
        let b = self.block(bid)?;
        if bid & 2 == 0 {
            *total += b.len() as u64;
            if *total > self.limits.max_value_bytes {
                return Err(OutlookError::Limit(format!(
                    "node data over {} bytes",
                    self.limits.max_value_bytes
                )));
            }
            out.push(b);
            return Ok(());
        }
        if depth > 2 {
            return Err(OutlookError::corrupt(
                "XBLOCK",
                "nested deeper than an XXBLOCK",
            ));
        }
        let (btype, level, c_ent) = (
            b.u8_at(0).unwrap_or(0),
            b.u8_at(1).unwrap_or(0),
            b.u16_at(2).unwrap_or(0) as usize,
        );
        if btype != 1 || !(1..=2).contains(&level) {
            return Err(OutlookError::corrupt(
                "XBLOCK",
                format!("block {bid:#x}: type {btype} level {level}"),
            ));
        }
        let lcb_total = b.u32_at(4).unwrap_or(0) as u64;
        if lcb_total > self.limits.max_value_bytes {
            return Err(OutlookError::Limit(format!(
                "node of {lcb_total} bytes is over {} bytes",
                self.limits.max_value_bytes
            )));
        }
        let n = self.variant.id_size();
        for i in 0..c_ent {
            let Some(child) = b.range(8 + i * n, n).map(|e| self.id(e, 0)) else {
                return Err(OutlookError::corrupt(
                    "XBLOCK",
                    format!("block {bid:#x} lists {c_ent} entries but holds fewer"),
                ));
            };
            if level == 2 && child & 2 == 0 {
                return Err(OutlookError::corrupt("XXBLOCK", "entry is not an XBLOCK"));
            }
            if level == 1 && child & 2 != 0 {
                return Err(OutlookError::corrupt("XBLOCK", "entry is not a data block"));
            }
            self.collect_blocks(child, depth + 1, out, total)?;
        }
        Ok(())
    }

    /// A node's data as one byte string.
    pub fn node_bytes(&mut self, bid: u64) -> Result<Vec<u8>> {
        Ok(self.node_blocks(bid)?.concat())
    }

    /// The subnodes of a node, by nid.
    pub fn subnodes(&mut self, bid: u64) -> Result<BTreeMap<u32, Sub>> {
        let mut out = BTreeMap::new();
        if bid != 0 {
            let mut seen = HashSet::new();
            self.collect_subnodes(bid, 0, &mut out, &mut seen)?;
        }
        Ok(out)
    }

    fn collect_subnodes(
        &mut self,
        bid: u64,
        depth: u32,
        out: &mut BTreeMap<u32, Sub>,
        seen: &mut HashSet<u64>,
    ) -> Result<()> {
        if depth > 4 || !seen.insert(bid) {
            return Err(OutlookError::corrupt("subnode tree", "too deep or looping"));
        }
        let b = self.block(bid)?;
        let (btype, level, c_ent) = (
            b.u8_at(0).unwrap_or(0),
            b.u8_at(1).unwrap_or(0),
            b.u16_at(2).unwrap_or(0) as usize,
        );
        if btype != 2 {
            return Err(OutlookError::corrupt(
                "subnode block",
                format!("block {bid:#x} has type {btype}"),
            ));
        }
        let n = self.variant.id_size();
        let start = if self.variant == Variant::Ansi { 4 } else { 8 };
        let size = if level == 0 { 3 * n } else { 2 * n };
        for i in 0..c_ent {
            let Some(e) = b.range(start + i * size, size) else {
                return Err(OutlookError::corrupt(
                    "subnode block",
                    format!("block {bid:#x} lists {c_ent} entries but holds fewer"),
                ));
            };
            let nid = self.id(e, 0) as u32;
            if level == 0 {
                if out.len() >= self.limits.max_nodes {
                    return Err(OutlookError::Limit("too many subnodes".into()));
                }
                out.insert(
                    nid,
                    Sub {
                        data: self.id(e, n),
                        sub: self.id(e, 2 * n),
                    },
                );
            } else {
                let child = self.id(e, n);
                self.collect_subnodes(child, depth + 1, out, seen)?;
            }
        }
        Ok(())
    }

    /// The node B-tree entry of a nid.
    pub fn node(&mut self, nid: u32) -> Result<Option<NodeEntry>> {
        match self.find(self.nbt_root, PTYPE_NBT, nid as u64, 0xFFFF_FFFF) {
            Ok(e) => Ok(e.map(|e| self.node_entry(&e))),
            Err(e) if is_damage(&e) => {
                // The node B-tree is damaged on the way to this node: the scan's map.
                self.note_reason("node", &e);
                let found = self.scan()?.nodes.get(&nid).map(|(_, n)| *n);
                if found.is_some() {
                    self.scan_hits.0 += 1;
                }
                Ok(found)
            }
            Err(e) => Err(e),
        }
    }

    fn node_entry(&self, e: &[u8]) -> NodeEntry {
        node_entry_of(self.variant, e, false)
    }

    /// Every node of the node B-tree, in nid order. Damaged pages are skipped and counted,
    /// and the nodes in their key ranges are taken from a scan of the file (marked
    /// `by_scan`); a root that cannot be read is a damaged page covering every key.
    pub fn walk_nodes(&mut self, visit: &mut dyn FnMut(NodeEntry)) -> Result<WalkStats> {
        let mut stats = WalkStats::default();
        let mut seen = HashSet::new();
        let mut lost = Vec::new();
        self.walk(
            self.nbt_root,
            0,
            (0, None),
            &mut seen,
            &mut stats,
            &mut lost,
            visit,
        )?;
        if !lost.is_empty() {
            let in_lost = |nid: u32| {
                lost.iter().any(|&(lo, hi): &(u64, Option<u64>)| {
                    nid as u64 >= lo && hi.is_none_or(|h| (nid as u64) < h)
                })
            };
            let mut found: Vec<NodeEntry> = self
                .scan()?
                .nodes
                .values()
                .map(|(_, n)| *n)
                .filter(|n| in_lost(n.nid))
                .collect();
            found.sort_by_key(|n| n.nid);
            for n in found {
                stats.nodes += 1;
                stats.by_scan += 1;
                if stats.nodes as usize > self.limits.max_nodes {
                    return Err(OutlookError::Limit(format!(
                        "more than {} nodes",
                        self.limits.max_nodes
                    )));
                }
                visit(n);
            }
        }
        Ok(stats)
    }

    /// Walks the subtree at `ib`, whose keys are in `range` (`[lo, hi)`, no upper bound when
    /// None); the ranges of pages that cannot be read go to `lost`.
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        ib: u64,
        depth: usize,
        range: (u64, Option<u64>),
        seen: &mut HashSet<u64>,
        stats: &mut WalkStats,
        lost: &mut Vec<(u64, Option<u64>)>,
        visit: &mut dyn FnMut(NodeEntry),
    ) -> Result<()> {
        if depth > MAX_TREE_DEPTH || !seen.insert(ib) {
            stats.bad_pages += 1;
            lost.push(range);
            return Ok(());
        }
        let read = self
            .page(ib, PTYPE_NBT)
            .and_then(|p| self.page_meta(&p, ib).map(|m| (p, m)));
        let (page, (c_ent, cb_ent, level)) = match read {
            Ok(x) => x,
            Err(e) if is_damage(&e) => {
                tracing::warn!(error = %e, depth, "node B-tree page unreadable");
                self.note_reason("node", &e);
                stats.bad_pages += 1;
                lost.push(range);
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let entries: Vec<&[u8]> = (0..c_ent)
            .map_while(|i| page.range(i * cb_ent, cb_ent))
            .collect();
        for (i, e) in entries.iter().enumerate() {
            if level == 0 {
                stats.nodes += 1;
                if stats.nodes as usize > self.limits.max_nodes {
                    return Err(OutlookError::Limit(format!(
                        "more than {} nodes",
                        self.limits.max_nodes
                    )));
                }
                visit(self.node_entry(e));
            } else {
                let lo = self.id(e, 0) & 0xFFFF_FFFF;
                let hi = entries
                    .get(i + 1)
                    .map(|n| self.id(n, 0) & 0xFFFF_FFFF)
                    .or(range.1);
                let child = self.child_ib(e);
                self.walk(child, depth + 1, (lo, hi), seen, stats, lost, visit)?;
            }
        }
        Ok(())
    }
}

/// What the scan of a store with damaged B-trees found, and what it stood in for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repairs {
    /// The first failures of the B-trees that made the scan run.
    pub reasons: Vec<String>,
    pub stats: ScanStats,
    /// Node and block lookups the scan answered.
    pub nodes_used: u64,
    pub blocks_used: u64,
}

impl std::fmt::Display for Repairs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.stats;
        write!(
            f,
            "B-trees damaged ({}): the file was scanned for pages and blocks (MS-PST trailers, signatures and CRCs): {} node pages, {} block-tree pages and {} blocks found",
            self.reasons.join("; "),
            s.node_pages,
            s.block_pages,
            s.blocks
        )?;
        if s.bad_crc > 0 {
            write!(f, ", {} with a bad CRC ignored", s.bad_crc)?;
        }
        if s.limit_reached {
            write!(f, ", stopped at the node limit")?;
        }
        write!(
            f,
            "; {} node and {} block lookups answered by the scan",
            self.nodes_used, self.blocks_used
        )
    }
}

/// What a walk of the node B-tree met.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalkStats {
    pub nodes: u64,
    /// Nodes taken from a scan of the file, for the key ranges of pages that could not be read.
    pub by_scan: u64,
    /// Pages that could not be read (their nodes are lost; reported, not hidden).
    pub bad_pages: u64,
}

/// MS-PST 5.1, mpbbR: the encoding table of the permutative cipher (mpbbI is its inverse).
const MPBB_R: [u8; 256] = [
    65, 54, 19, 98, 168, 33, 110, 187, 244, 22, 204, 4, 127, 100, 232, 93, 30, 242, 203, 42, 116,
    197, 94, 53, 210, 149, 71, 158, 150, 45, 154, 136, 76, 125, 132, 63, 219, 172, 49, 182, 72, 95,
    246, 196, 216, 57, 139, 231, 35, 59, 56, 142, 200, 193, 223, 37, 177, 32, 165, 70, 96, 78, 156,
    251, 170, 211, 86, 81, 69, 124, 85, 0, 7, 201, 43, 157, 133, 155, 9, 160, 143, 173, 179, 15,
    99, 171, 137, 75, 215, 167, 21, 90, 113, 102, 66, 191, 38, 74, 107, 152, 250, 234, 119, 83,
    178, 112, 5, 44, 253, 89, 58, 134, 126, 206, 6, 235, 130, 120, 87, 199, 141, 67, 175, 180, 28,
    212, 91, 205, 226, 233, 39, 79, 195, 8, 114, 128, 207, 176, 239, 245, 40, 109, 190, 48, 77, 52,
    146, 213, 14, 60, 34, 50, 229, 228, 249, 159, 194, 209, 10, 129, 18, 225, 238, 145, 131, 118,
    227, 151, 230, 97, 138, 23, 121, 164, 183, 220, 144, 122, 92, 140, 2, 166, 202, 105, 222, 80,
    26, 17, 147, 185, 82, 135, 88, 252, 237, 29, 55, 73, 27, 106, 224, 41, 51, 153, 189, 108, 217,
    148, 243, 64, 84, 111, 240, 198, 115, 184, 214, 62, 101, 24, 68, 31, 221, 103, 16, 241, 12, 25,
    236, 174, 3, 161, 20, 123, 169, 11, 255, 248, 163, 192, 162, 1, 247, 46, 188, 36, 104, 117, 13,
    254, 186, 47, 181, 208, 218, 61,
];

/// MS-PST 5.1, mpbbS: the middle table of the cyclic cipher.
const MPBB_S: [u8; 256] = [
    20, 83, 15, 86, 179, 200, 122, 156, 235, 101, 72, 23, 22, 21, 159, 2, 204, 84, 124, 131, 0, 13,
    12, 11, 162, 98, 168, 118, 219, 217, 237, 199, 197, 164, 220, 172, 133, 116, 214, 208, 167,
    155, 174, 154, 150, 113, 102, 195, 99, 153, 184, 221, 115, 146, 142, 132, 125, 165, 94, 209,
    93, 147, 177, 87, 81, 80, 128, 137, 82, 148, 79, 78, 10, 107, 188, 141, 127, 110, 71, 70, 65,
    64, 68, 1, 17, 203, 3, 63, 247, 244, 225, 169, 143, 60, 58, 249, 251, 240, 25, 48, 130, 9, 46,
    201, 157, 160, 134, 73, 238, 111, 77, 109, 196, 45, 129, 52, 37, 135, 27, 136, 170, 252, 6,
    161, 18, 56, 253, 76, 66, 114, 100, 19, 55, 36, 106, 117, 119, 67, 255, 230, 180, 75, 54, 92,
    228, 216, 53, 61, 69, 185, 44, 236, 183, 49, 43, 41, 7, 104, 163, 14, 105, 123, 24, 158, 33,
    57, 190, 40, 26, 91, 120, 245, 35, 202, 42, 176, 175, 62, 254, 4, 140, 231, 229, 152, 50, 149,
    211, 246, 74, 232, 166, 234, 233, 243, 213, 47, 112, 32, 242, 31, 5, 103, 173, 85, 16, 206,
    205, 227, 39, 59, 218, 186, 215, 194, 38, 212, 145, 29, 210, 28, 34, 51, 248, 250, 241, 90,
    239, 207, 144, 182, 139, 181, 189, 192, 191, 8, 151, 30, 108, 226, 97, 224, 198, 193, 89, 171,
    187, 88, 222, 95, 223, 96, 121, 126, 178, 138,
];

const fn inverse(t: &[u8; 256]) -> [u8; 256] {
    let mut out = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        out[t[i] as usize] = i as u8;
        i += 1;
    }
    out
}

const MPBB_I: [u8; 256] = inverse(&MPBB_R);

/// Undoes the block encoding of external blocks (MS-PST 5.1/5.2).
pub fn decrypt(data: &mut [u8], method: u8, key: u32) {
    match method {
        1 => {
            for b in data.iter_mut() {
                *b = MPBB_I[*b as usize];
            }
        }
        2 => {
            let mut w = (key ^ (key >> 16)) as u16;
            for b in data.iter_mut() {
                let mut x = *b;
                x = x.wrapping_add(w as u8);
                x = MPBB_R[x as usize];
                x = x.wrapping_add((w >> 8) as u8);
                x = MPBB_S[x as usize];
                x = x.wrapping_sub((w >> 8) as u8);
                x = MPBB_I[x as usize];
                x = x.wrapping_sub(w as u8);
                *b = x;
                w = w.wrapping_add(1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_permutations() {
        let mut seen = [false; 256];
        for &b in &MPBB_R {
            seen[b as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        for i in 0..256 {
            assert_eq!(MPBB_I[MPBB_R[i] as usize] as usize, i);
            assert_eq!(MPBB_S[MPBB_S[i] as usize] as usize, i);
        }
        // The spec's mpbbI starts and ends so.
        assert_eq!(MPBB_I[..4], [71, 241, 180, 230]);
        assert_eq!(MPBB_I[255], 236);
        // Cyclic encoding is its own inverse.
        let mut d = *b"Informaci\xf3n reservada";
        decrypt(&mut d, 2, 0x1234_5678);
        decrypt(&mut d, 2, 0x1234_5678);
        assert_eq!(&d, b"Informaci\xf3n reservada");
    }
}
