//! The lists, tables and properties layer of MS-PST (2.3): heap-on-node, BTree-on-heap,
//! property contexts and table contexts.

use std::collections::BTreeMap;
use std::io::{Read, Seek};

use super::ndb::{Ndb, Sub, Variant};
use crate::props::{Le, PropBag, PropKey, PropValue, fixed_value, ptype, tag, variable_value};
use crate::{OutlookError, Result};

pub const SIG_PC: u8 = 0xBC;
pub const SIG_TC: u8 = 0x7C;
const SIG_BTH: u8 = 0xB5;

/// Records of a BTree-on-heap: (key, data) slices.
pub type Records<'a> = Vec<(&'a [u8], &'a [u8])>;

/// A heap-on-node: the data blocks of a node holding variable-size allocations.
pub struct Heap {
    blocks: Vec<Vec<u8>>,
    pub client_sig: u8,
    pub user_root: u32,
    wide_hid: bool,
}

impl Heap {
    pub fn new(blocks: Vec<Vec<u8>>, variant: Variant) -> Result<Heap> {
        let first = blocks
            .first()
            .ok_or_else(|| OutlookError::corrupt("heap", "node has no data"))?;
        if first.u8_at(2) != Some(0xEC) {
            return Err(OutlookError::corrupt("heap", "no heap signature"));
        }
        let client_sig = first.u8_at(3).unwrap_or(0);
        let user_root = first.u32_at(4).unwrap_or(0);
        Ok(Heap {
            blocks,
            client_sig,
            user_root,
            wide_hid: variant == Variant::Unicode4k,
        })
    }

    /// The bytes of one allocation.
    pub fn get(&self, hid: u32) -> Result<&[u8]> {
        if hid & 0x1F != 0 {
            return Err(OutlookError::corrupt(
                "heap",
                format!("{hid:#x} is not a heap id"),
            ));
        }
        let (w1, w2) = ((hid & 0xFFFF) as usize, (hid >> 16) as usize);
        let (index, block) = if self.wide_hid {
            ((w1 >> 5) | ((w2 & 7) << 11), w2 >> 3)
        } else {
            (w1 >> 5, w2)
        };
        let bad = |d: String| OutlookError::corrupt("heap", d);
        let b = self
            .blocks
            .get(block)
            .ok_or_else(|| bad(format!("heap id {hid:#x}: no block {block}")))?;
        let map = b.u16_at(0).ok_or_else(|| bad("block too short".into()))? as usize;
        let c_alloc =
            b.u16_at(map)
                .ok_or_else(|| bad("page map outside the block".into()))? as usize;
        if index == 0 || index > c_alloc {
            return Err(bad(format!(
                "heap id {hid:#x}: allocation {index} of {c_alloc}"
            )));
        }
        let start = b
            .u16_at(map + 4 + 2 * (index - 1))
            .ok_or_else(|| bad("page map truncated".into()))? as usize;
        let end = b
            .u16_at(map + 4 + 2 * index)
            .ok_or_else(|| bad("page map truncated".into()))? as usize;
        b.get(start..end).ok_or_else(|| {
            bad(format!(
                "heap id {hid:#x}: allocation {start}..{end} outside the block"
            ))
        })
    }

    /// A BTree-on-heap's records (key, data), leaves only.
    pub fn bth(&self, hid: u32, max: usize) -> Result<(usize, Records<'_>)> {
        let h = self.get(hid)?;
        if h.u8_at(0) != Some(SIG_BTH) {
            return Err(OutlookError::corrupt("BTree-on-heap", "bad signature"));
        }
        let (cb_key, cb_ent, levels, root) = (
            h.u8_at(1).unwrap_or(0) as usize,
            h.u8_at(2).unwrap_or(0) as usize,
            h.u8_at(3).unwrap_or(0),
            h.u32_at(4).unwrap_or(0),
        );
        if cb_key == 0 || cb_key > 16 || levels > 8 {
            return Err(OutlookError::corrupt(
                "BTree-on-heap",
                format!("key of {cb_key} bytes, {levels} levels"),
            ));
        }
        let mut out = Vec::new();
        if root != 0 {
            let mut seen = std::collections::HashSet::new();
            self.bth_walk(root, levels, cb_key, cb_ent, max, &mut out, &mut seen)?;
        }
        Ok((cb_ent, out))
    }

    #[allow(clippy::too_many_arguments)]
    fn bth_walk<'a>(
        &'a self,
        hid: u32,
        level: u8,
        cb_key: usize,
        cb_ent: usize,
        max: usize,
        out: &mut Records<'a>,
        seen: &mut std::collections::HashSet<u32>,
    ) -> Result<()> {
        // Each allocation is read once: a damaged tree cannot multiply its records.
        if !seen.insert(hid) {
            return Err(OutlookError::corrupt(
                "BTree-on-heap",
                "a page is referenced twice",
            ));
        }
        let b = self.get(hid)?;
        if level == 0 {
            let size = cb_key + cb_ent;
            for rec in b.chunks_exact(size) {
                if out.len() >= max {
                    return Err(OutlookError::Limit(format!(
                        "more than {max} records in one table"
                    )));
                }
                out.push((&rec[..cb_key], &rec[cb_key..]));
            }
            return Ok(());
        }
        for rec in b.chunks_exact(cb_key + 4) {
            let child = rec.u32_at(cb_key).unwrap_or(0);
            self.bth_walk(child, level - 1, cb_key, cb_ent, max, out, seen)?;
        }
        Ok(())
    }
}

/// Where a node's property values may point: its own heap or its subnodes.
pub struct NodeCtx<'a, R> {
    pub ndb: &'a mut Ndb<R>,
    pub subs: &'a BTreeMap<u32, Sub>,
}

impl<R: Read + Seek> NodeCtx<'_, R> {
    /// The bytes an HNID points to: a heap allocation or a subnode's data.
    fn hnid_bytes(&mut self, heap: &Heap, hnid: u32) -> Result<Vec<u8>> {
        if hnid == 0 {
            return Ok(Vec::new());
        }
        if hnid & 0x1F == 0 {
            return Ok(heap.get(hnid)?.to_vec());
        }
        let sub = self.subs.get(&hnid).ok_or_else(|| {
            OutlookError::corrupt(
                "subnode",
                format!("value in subnode {hnid:#x}, which does not exist"),
            )
        })?;
        self.ndb.node_bytes(sub.data)
    }

    /// A value of variable size (or fixed size over 4 bytes) from an HNID.
    fn value(
        &mut self,
        heap: &Heap,
        t: u16,
        hnid: u32,
        codepage: Option<i64>,
    ) -> Result<PropValue> {
        if t == ptype::OBJECT {
            return Ok(PropValue::Object);
        }
        let bytes = self.hnid_bytes(heap, hnid)?;
        Ok(decode_value(t, &bytes, codepage))
    }

    /// A property context: every property of an object.
    pub fn pc(&mut self, heap: &Heap) -> Result<(PropBag, BTreeMap<u16, u32>)> {
        if heap.client_sig != SIG_PC {
            return Err(OutlookError::corrupt(
                "property context",
                format!("heap of type {:#x}", heap.client_sig),
            ));
        }
        let max = self.ndb.limits.max_rows;
        let (cb_ent, recs) = heap.bth(heap.user_root, max)?;
        if cb_ent < 6 {
            return Err(OutlookError::corrupt(
                "property context",
                "records too short",
            ));
        }
        let codepage = recs.iter().find_map(|(k, d)| {
            let id = k.u16_at(0)?;
            (matches!(id, tag::MESSAGE_CODEPAGE | tag::INTERNET_CODEPAGE)
                && d.u16_at(0)? == ptype::I32)
                .then(|| d.u32_at(2).map(i64::from))
                .flatten()
        });
        let mut bag = PropBag::default();
        let mut objects = BTreeMap::new();
        for (k, d) in recs {
            let (Some(id), Some(t), Some(v)) = (k.u16_at(0), d.u16_at(0), d.u32_at(2)) else {
                continue;
            };
            let value = match ptype::fixed_size(t) {
                Some(n) if n <= 4 && t & ptype::MV == 0 => fixed_value(t, &v.to_le_bytes()),
                _ => {
                    if t == ptype::OBJECT {
                        objects.insert(id, object_nid(heap, v));
                    }
                    match self.value(heap, t, v, codepage) {
                        Ok(v) => Some(v),
                        Err(e) => {
                            tracing::debug!(prop = id, error = %e, "property value unreadable");
                            Some(PropValue::Other(0xFFFF, e.to_string().into_bytes()))
                        }
                    }
                }
            };
            if let Some(value) = value {
                bag.insert(PropKey::Id(id), value);
            }
        }
        Ok((bag, objects))
    }

    /// A table context: its rows as property bags, with their row ids.
    pub fn tc(&mut self, heap: &Heap) -> Result<Vec<(u32, PropBag)>> {
        let t = TableInfo::read(heap)?;
        let max = self.ndb.limits.max_rows;
        let ids = t.row_ids(heap, max)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let row_blocks: Vec<Vec<u8>> = if t.hnid_rows & 0x1F == 0 {
            vec![heap.get(t.hnid_rows)?.to_vec()]
        } else {
            let sub = self
                .subs
                .get(&t.hnid_rows)
                .ok_or_else(|| OutlookError::corrupt("table", "row matrix subnode missing"))?;
            self.ndb.node_blocks(sub.data)?
        };
        let rs = t.row_size;
        let mut rows: Vec<&[u8]> = Vec::new();
        for b in &row_blocks {
            rows.extend(b.chunks_exact(rs));
        }
        let mut out = Vec::with_capacity(ids.len());
        for (row_id, index) in ids {
            let Some(row) = rows.get(index as usize) else {
                return Err(OutlookError::corrupt(
                    "table",
                    format!("row {index} of {} missing", rows.len()),
                ));
            };
            let mut bag = PropBag::default();
            let codepage = t
                .cols
                .iter()
                .find(|c| c.tag >> 16 == tag::MESSAGE_CODEPAGE as u32)
                .and_then(|c| row.u32_at(c.ib as usize))
                .map(i64::from);
            for c in &t.cols {
                let present = row
                    .u8_at(t.ceb + c.bit as usize / 8)
                    .is_some_and(|b| b & (0x80 >> (c.bit % 8)) != 0);
                if !present {
                    continue;
                }
                let (id, ty) = ((c.tag >> 16) as u16, (c.tag & 0xFFFF) as u16);
                let Some(cell) = row.range(c.ib as usize, c.cb as usize) else {
                    continue;
                };
                let value = match ptype::fixed_size(ty) {
                    Some(n) if ty & ptype::MV == 0 && n <= 8 => fixed_value(ty, cell),
                    _ => {
                        let hnid = cell.u32_at(0).unwrap_or(0);
                        self.value(heap, ty, hnid, codepage).ok()
                    }
                };
                if let Some(v) = value {
                    bag.insert(PropKey::Id(id), v);
                }
            }
            out.push((row_id, bag));
        }
        Ok(out)
    }
}

/// Where an object property's data is: `(nid, size)` in the heap, or the nid itself.
fn object_nid(heap: &Heap, hnid: u32) -> u32 {
    if hnid & 0x1F == 0 {
        heap.get(hnid).ok().and_then(|b| b.u32_at(0)).unwrap_or(0)
    } else {
        hnid
    }
}

/// Decodes a value from its bytes: fixed-size, variable-size and multi-valued types.
pub fn decode_value(t: u16, b: &[u8], codepage: Option<i64>) -> PropValue {
    if t & ptype::MV == 0 {
        return fixed_value(t, b).unwrap_or_else(|| variable_value(t, b, codepage));
    }
    let base = t & !ptype::MV;
    if let Some(n) = ptype::fixed_size(base) {
        return PropValue::Multi(
            b.chunks_exact(n)
                .filter_map(|c| fixed_value(base, c))
                .collect(),
        );
    }
    // Variable-size multi-values: a count, offsets, then the values.
    let count = b.u32_at(0).unwrap_or(0) as usize;
    if count.saturating_mul(4) > b.len() {
        return PropValue::Other(t, b.to_vec());
    }
    let offs: Vec<usize> = (0..count)
        .filter_map(|i| b.u32_at(4 + 4 * i).map(|o| o as usize))
        .collect();
    let mut out = Vec::with_capacity(count);
    for (i, &start) in offs.iter().enumerate() {
        let end = offs.get(i + 1).copied().unwrap_or(b.len());
        if let Some(v) = b.get(start..end) {
            out.push(variable_value(base, v, codepage));
        }
    }
    PropValue::Multi(out)
}

struct Col {
    tag: u32,
    ib: u16,
    cb: u8,
    bit: u8,
}

/// TCINFO: a table's columns and where its rows are.
struct TableInfo {
    cols: Vec<Col>,
    ceb: usize,
    row_size: usize,
    row_index: u32,
    hnid_rows: u32,
}

impl TableInfo {
    fn read(heap: &Heap) -> Result<TableInfo> {
        if heap.client_sig != SIG_TC {
            return Err(OutlookError::corrupt(
                "table context",
                format!("heap of type {:#x}", heap.client_sig),
            ));
        }
        let h = heap.get(heap.user_root)?;
        if h.u8_at(0) != Some(SIG_TC) {
            return Err(OutlookError::corrupt(
                "table context",
                "bad TCINFO signature",
            ));
        }
        let n = h.u8_at(1).unwrap_or(0) as usize;
        let ceb = h.u16_at(6).unwrap_or(0) as usize;
        let row_size = h.u16_at(8).unwrap_or(0) as usize;
        let row_index = h.u32_at(10).unwrap_or(0);
        let hnid_rows = h.u32_at(14).unwrap_or(0);
        let mut cols = Vec::with_capacity(n);
        for i in 0..n {
            let Some(c) = h.range(22 + 8 * i, 8) else {
                break;
            };
            let col = Col {
                tag: c.u32_at(0).unwrap_or(0),
                ib: c.u16_at(4).unwrap_or(0),
                cb: c.u8_at(6).unwrap_or(0),
                bit: c.u8_at(7).unwrap_or(0),
            };
            if col.ib as usize + col.cb as usize > row_size {
                continue;
            }
            cols.push(col);
        }
        if row_size == 0 {
            return Err(OutlookError::corrupt("table context", "rows of 0 bytes"));
        }
        Ok(TableInfo {
            cols,
            ceb,
            row_size,
            row_index,
            hnid_rows,
        })
    }

    /// (row id, row index), in row-id order.
    fn row_ids(&self, heap: &Heap, max: usize) -> Result<Vec<(u32, u32)>> {
        if self.row_index == 0 {
            return Ok(Vec::new());
        }
        let (_, recs) = heap.bth(self.row_index, max)?;
        Ok(recs
            .into_iter()
            .filter_map(|(k, d)| {
                let idx = if d.len() >= 4 {
                    d.u32_at(0)?
                } else {
                    d.u16_at(0)? as u32
                };
                Some((k.u32_at(0)?, idx))
            })
            .collect())
    }
}

/// Row ids of a table context (the ids of a folder's contents table are message nids).
pub fn table_row_ids(heap: &Heap, max: usize) -> Result<Vec<u32>> {
    let t = TableInfo::read(heap)?;
    Ok(t.row_ids(heap, max)?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}
