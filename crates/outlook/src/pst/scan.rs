//! Rebuilding the node and block maps of a store whose B-trees cannot be read (a file cut
//! before its root pages, an overwritten intermediate page), by scanning the whole file as
//! forensic readers do:
//!
//! - every page-aligned offset whose trailer says "node B-tree page" or "block B-tree page",
//!   with the signature its offset and id give (MS-PST 5.5) and a matching CRC (5.3), is a
//!   page; the leaf entries of node B-tree pages are the nodes. A node met in several pages
//!   (the copies a copy-on-write B-tree leaves behind) is taken from the newest page (the
//!   highest page id);
//! - every block-aligned end whose block trailer has a valid size, signature and CRC ends a
//!   block: that is the block map.
//!
//! The scan reads the file once, in 1 MiB windows; it keeps one entry per node and per block
//! found, no more than `Limits::max_nodes` of each.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

use super::ndb::{BlockRef, NodeEntry, PTYPE_BBT, PTYPE_NBT, Variant, node_entry_of, page_meta_of};
use crate::props::Le;

const WINDOW: u64 = 1 << 20;

/// What a scan found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Node B-tree leaf pages with a valid trailer and CRC.
    pub node_pages: u64,
    /// Block B-tree pages with a valid trailer and CRC (counted; blocks come from their own
    /// trailers).
    pub block_pages: u64,
    /// Pages and blocks whose trailer and signature were right but whose CRC was not
    /// (overwritten since): ignored.
    pub bad_crc: u64,
    /// Distinct nodes and blocks found.
    pub nodes: u64,
    pub blocks: u64,
    /// `Limits::max_nodes` was reached: what came after was not kept.
    pub limit_reached: bool,
}

/// The maps a scan rebuilt.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// nid → (id of the page it was found in, entry).
    pub nodes: HashMap<u32, (u64, NodeEntry)>,
    /// Block id (low bit clear) → where it is.
    pub blocks: HashMap<u64, BlockRef>,
    pub stats: ScanStats,
}

/// MS-PST 5.5: the signature of a page or block at `ib` with id `bid`.
fn signature(ib: u64, bid: u64) -> u16 {
    let x = (ib ^ bid) as u32;
    ((x >> 16) ^ x) as u16
}

const fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

const CRC_TABLE: [u32; 256] = crc_table();

/// MS-PST 5.3: CRC-32 (the reflected 0xEDB88320 polynomial) started at 0, not inverted.
pub(crate) fn crc(data: &[u8]) -> u32 {
    data.iter().fold(0u32, |c, &b| {
        CRC_TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8)
    })
}

/// Block layout per variant: (alignment, trailer bytes, largest block with its trailer).
fn block_layout(v: Variant) -> (u64, usize, u64) {
    match v {
        Variant::Ansi => (64, 12, 8192),
        Variant::Unicode => (64, 16, 8192),
        Variant::Unicode4k => (512, 24, 65536),
    }
}

/// (ptype, signature, CRC, page id) of a page trailer, and the bytes the CRC covers.
fn page_trailer(v: Variant, p: &[u8]) -> Option<(u8, u16, u32, u64, usize)> {
    let at = v.ptype_at();
    let (ptype, repeat, sig) = (p.u8_at(at)?, p.u8_at(at + 1)?, p.u16_at(at + 2)?);
    if ptype != repeat {
        return None;
    }
    let (crc, bid) = if v == Variant::Ansi {
        (p.u32_at(at + 8)?, p.u32_at(at + 4)? as u64)
    } else {
        (p.u32_at(at + 4)?, p.u64_at(at + 8)?)
    };
    Some((ptype, sig, crc, bid, at))
}

/// (size, signature, CRC, id, inflated size) of a block trailer.
fn block_trailer(v: Variant, t: &[u8]) -> Option<(u16, u16, u32, u64, u16)> {
    let (cb, sig) = (t.u16_at(0)?, t.u16_at(2)?);
    Some(match v {
        Variant::Ansi => (cb, sig, t.u32_at(8)?, t.u32_at(4)? as u64, cb),
        Variant::Unicode => (cb, sig, t.u32_at(4)?, t.u64_at(8)?, cb),
        Variant::Unicode4k => (cb, sig, t.u32_at(4)?, t.u64_at(8)?, t.u16_at(18)?),
    })
}

/// Scans a whole file for B-tree pages and blocks.
pub(crate) fn scan<R: Read + Seek>(
    r: &mut R,
    file_len: u64,
    v: Variant,
    max_entries: usize,
) -> std::io::Result<Scan> {
    let ps = v.page_size() as u64;
    let (align, tl, max_block) = block_layout(v);
    let mut out = Scan::default();
    let mut buf = Vec::new();
    let mut start = 0u64;
    while start < file_len {
        let lo = start.saturating_sub(max_block);
        let hi = (start + WINDOW).min(file_len);
        buf.resize((hi - lo) as usize, 0);
        r.seek(SeekFrom::Start(lo))?;
        r.read_exact(&mut buf)?;
        let at = |ib: u64| (ib - lo) as usize;
        // Pages: every page-aligned offset of the window (a window is a whole number of pages).
        let mut ib = start;
        while ib + ps <= hi {
            let p = &buf[at(ib)..at(ib) + ps as usize];
            ib += ps;
            let Some((ptype, sig, c, bid, covered)) = page_trailer(v, p) else {
                continue;
            };
            let page_ib = ib - ps;
            if !(ptype == PTYPE_NBT || ptype == PTYPE_BBT) || sig != signature(page_ib, bid) {
                continue;
            }
            if crc(&p[..covered]) != c {
                out.stats.bad_crc += 1;
                continue;
            }
            let Some((c_ent, cb_ent, level)) = page_meta_of(v, p) else {
                continue;
            };
            if ptype == PTYPE_BBT {
                out.stats.block_pages += 1;
                continue;
            }
            if level != 0 {
                continue;
            }
            out.stats.node_pages += 1;
            for i in 0..c_ent {
                let Some(e) = p.range(i * cb_ent, cb_ent) else {
                    break;
                };
                let n = node_entry_of(v, e, true);
                if n.nid == 0 {
                    continue;
                }
                match out.nodes.get(&n.nid) {
                    Some((newer, _)) if *newer >= bid => {}
                    Some(_) => {
                        out.nodes.insert(n.nid, (bid, n));
                    }
                    None if out.nodes.len() < max_entries => {
                        out.nodes.insert(n.nid, (bid, n));
                    }
                    None => out.stats.limit_reached = true,
                }
            }
        }
        // Blocks: every aligned end in (start, hi].
        let mut end = (start / align + 1) * align;
        while end <= hi {
            let e = end;
            end += align;
            let Some((cb, sig, c, bid, inflated)) = block_trailer(v, &buf[at(e) - tl..at(e)])
            else {
                continue;
            };
            if cb == 0 || bid == 0 {
                continue;
            }
            let size = (cb as u64 + tl as u64).div_ceil(align) * align;
            if size > max_block || e < size || e - size < lo {
                continue;
            }
            let ib = e - size;
            if sig != signature(ib, bid) {
                continue;
            }
            if crc(&buf[at(ib)..at(ib) + cb as usize]) != c {
                out.stats.bad_crc += 1;
                continue;
            }
            let key = bid & !1;
            if out.blocks.len() >= max_entries && !out.blocks.contains_key(&key) {
                out.stats.limit_reached = true;
                continue;
            }
            out.blocks.insert(key, BlockRef { ib, cb, inflated });
        }
        start = hi;
    }
    out.stats.nodes = out.nodes.len() as u64;
    out.stats.blocks = out.blocks.len() as u64;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_signature_as_the_spec_computes_them() {
        // CRC-32 of "123456789" with the reflected polynomial, started at 0 and not
        // inverted: the standard check value 0xCBF43926 without its pre- and post-inversion.
        assert_eq!(crc(b"123456789"), 0x2DFD_2D88);
        assert_eq!(crc(b""), 0);
        assert_eq!(signature(0x2c_0000, 0x2dce), 0x2de2);
    }
}
