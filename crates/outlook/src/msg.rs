//! Outlook `.msg` files (MS-OXMSG): an OLE compound file holding a message's properties,
//! recipients and attachments as storages and streams; embedded messages are storages of
//! the same shape, read recursively (bounded).

use std::collections::HashMap;
use std::io::{Cursor, Read, Seek};

use cfb::CompoundFile;

use crate::item::{AttachContent, Attachment, Item};
use crate::ole::Tolerant;
use crate::props::{Le, PropBag, PropKey, PropValue, fixed_value, ptype, tag};
use crate::pst::ltp::decode_value;
use crate::pst::parse_name_map;
use crate::{Limits, OutlookError, Result};

const MAGIC: &[u8; 8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";

const PROPS: &str = "__properties_version1.0";
const SUBSTG: &str = "__substg1.0_";
const RECIP: &str = "__recip_version1.0_";
const ATTACH: &str = "__attach_version1.0_";
const NAMEID: &str = "__nameid_version1.0";

/// True when the bytes are an OLE compound file holding an Outlook message (not a Word or
/// Excel file). A compound file the `cfb` crate refuses is looked at with the tolerant
/// reader: a damaged message is still a message, read in part or failed with the reason, and
/// never left to pass for an opaque document.
pub fn is_msg(bytes: &[u8]) -> bool {
    if !bytes.starts_with(MAGIC) {
        return false;
    }
    is_msg_reader(&mut Cursor::new(bytes))
}

fn msg_name(n: &str) -> bool {
    n == PROPS || n.starts_with(SUBSTG)
}

/// [`is_msg`] for a seekable reader (reads only the compound file's directory).
pub fn is_msg_reader<R: Read + Seek>(r: &mut R) -> bool {
    let mut head = [0u8; 8];
    if r.rewind().is_err()
        || r.read_exact(&mut head).is_err()
        || head != *MAGIC
        || r.rewind().is_err()
    {
        return false;
    }
    match CompoundFile::open(&mut *r) {
        Ok(cf) => cf.read_root_storage().any(|e| msg_name(e.name())),
        Err(_) => {
            // Any entry of the directory, reachable or not: what a document reader would list.
            r.rewind().is_ok() && Tolerant::open(&mut *r).is_ok_and(|t| t.all_names().any(msg_name))
        }
    }
}

/// Reads a `.msg` file. A compound file the `cfb` crate refuses (a directory cycle, a FAT
/// loop, a sector pointed to twice) is read with the tolerant reader: what is reachable is
/// read, and the item's problems say that the file is damaged and what was lost. When not
/// even the message's properties are reachable, the error says why.
pub fn read_msg<R: Read + Seek>(r: R, limits: &Limits) -> Result<Item> {
    let mut head = [0u8; 8];
    let mut r = r;
    let n = r.read(&mut head)?;
    if n < 8 || head != *MAGIC {
        return Err(OutlookError::NotFormat(
            "an Outlook .msg file (not an OLE compound file)",
        ));
    }
    r.rewind()?;
    let refused = match cfb::OpenOptions::new()
        .max_buffer_size(1 << 20)
        .open_with(&mut r)
    {
        Ok(mut cf) => return read_from(&mut cf, limits),
        Err(e) => e.to_string(),
    };
    r.rewind()?;
    let mut t = Tolerant::open(&mut r).map_err(|e| {
        OutlookError::corrupt(
            "OLE compound file",
            format!("{refused}; tolerant reading: {e}"),
        )
    })?;
    let mut item = match read_from(&mut t, limits) {
        Ok(item) => item,
        Err(OutlookError::NotFormat(_)) if t.all_names().any(msg_name) => {
            return Err(OutlookError::corrupt(
                "Outlook .msg file",
                format!(
                    "its message properties are not reachable ({refused}; {})",
                    t.damage().join("; ")
                ),
            ));
        }
        Err(e) => return Err(e),
    };
    let mut problems = vec![format!(
        "damaged OLE compound file ({refused}); read in part by a tolerant directory walk"
    )];
    problems.extend(t.damage());
    problems.append(&mut item.problems);
    item.problems = problems;
    Ok(item)
}

fn read_from<O: Ole>(ole: &mut O, limits: &Limits) -> Result<Item> {
    let root_has_props = ole
        .list("/")
        .is_ok_and(|c| c.iter().any(|(n, _)| msg_name(n)));
    if !root_has_props {
        return Err(OutlookError::NotFormat(
            "an Outlook .msg file (an OLE file without message properties)",
        ));
    }
    let names = read_names(ole, limits).unwrap_or_default();
    let mut reader = MsgReader {
        cf: ole,
        limits,
        names,
    };
    reader.object("/", 32, 0)
}

/// What the message reader needs of a compound file: the `cfb` crate's, or the tolerant one's.
trait Ole {
    /// The entries of a storage: (name, is storage).
    fn list(&mut self, dir: &str) -> Result<Vec<(String, bool)>>;
    fn is_storage(&mut self, path: &str) -> bool;
    /// A stream's bytes, refused over `limits.max_value_bytes`.
    fn read(&mut self, path: &str, limits: &Limits) -> Result<Vec<u8>>;
}

impl<R: Read + Seek> Ole for CompoundFile<R> {
    fn list(&mut self, dir: &str) -> Result<Vec<(String, bool)>> {
        let entries = self
            .read_storage(dir)
            .map_err(|e| OutlookError::corrupt("OLE storage", format!("{dir}: {e}")))?;
        Ok(entries
            .map(|e| (e.name().to_owned(), e.is_storage()))
            .collect())
    }

    fn is_storage(&mut self, path: &str) -> bool {
        CompoundFile::is_storage(self, path)
    }

    fn read(&mut self, path: &str, limits: &Limits) -> Result<Vec<u8>> {
        read_stream(self, path, limits)
    }
}

impl<R: Read + Seek> Ole for Tolerant<R> {
    fn list(&mut self, dir: &str) -> Result<Vec<(String, bool)>> {
        Tolerant::list(self, dir)
    }

    fn is_storage(&mut self, path: &str) -> bool {
        Tolerant::is_storage(self, path)
    }

    fn read(&mut self, path: &str, limits: &Limits) -> Result<Vec<u8>> {
        Tolerant::read(self, path, limits.max_value_bytes)
    }
}

fn read_names<O: Ole>(cf: &mut O, limits: &Limits) -> Result<HashMap<u16, PropKey>> {
    let base = format!("/{NAMEID}");
    if !cf.is_storage(&base) {
        return Ok(HashMap::new());
    }
    let mut get = |id: &str| {
        cf.read(&format!("{base}/{SUBSTG}{id}"), limits)
            .unwrap_or_default()
    };
    let (g, e, s) = (get("00020102"), get("00030102"), get("00040102"));
    Ok(parse_name_map(&g, &e, &s))
}

fn read_stream<R: Read + Seek>(
    cf: &mut CompoundFile<R>,
    path: &str,
    limits: &Limits,
) -> Result<Vec<u8>> {
    let len = cf
        .entry(path)
        .map_err(|e| OutlookError::corrupt("OLE stream", format!("{path}: {e}")))?
        .len();
    if len > limits.max_value_bytes {
        return Err(OutlookError::Limit(format!("stream {path} of {len} bytes")));
    }
    let mut s = cf
        .open_stream(path)
        .map_err(|e| OutlookError::corrupt("OLE stream", format!("{path}: {e}")))?;
    let mut v = Vec::with_capacity(len.min(1 << 20) as usize);
    (&mut s)
        .take(limits.max_value_bytes)
        .read_to_end(&mut v)
        .map_err(|e| OutlookError::corrupt("OLE stream", format!("{path}: {e}")))?;
    Ok(v)
}

struct MsgReader<'a, O> {
    cf: &'a mut O,
    limits: &'a Limits,
    names: HashMap<u16, PropKey>,
}

impl<O: Ole> MsgReader<'_, O> {
    fn join(dir: &str, name: &str) -> String {
        if dir == "/" {
            format!("/{name}")
        } else {
            format!("{dir}/{name}")
        }
    }

    /// Names of the entries of a storage: (name, is storage).
    fn children(&mut self, dir: &str) -> Result<Vec<(String, bool)>> {
        self.cf.list(dir)
    }

    /// The properties of a storage: the fixed ones from the property stream, the others from
    /// their `__substg1.0_` streams.
    fn props(&mut self, dir: &str, header: usize) -> Result<PropBag> {
        let mut bag = PropBag::default();
        let children = self.children(dir)?;
        let stream = if children.iter().any(|(n, s)| n == PROPS && !s) {
            self.cf.read(&Self::join(dir, PROPS), self.limits)?
        } else {
            Vec::new()
        };
        for e in stream.get(header..).unwrap_or_default().chunks_exact(16) {
            let (Some(t), Some(v)) = (e.u32_at(0), e.range(8, 8)) else {
                continue;
            };
            let (id, ty) = ((t >> 16) as u16, (t & 0xFFFF) as u16);
            if ty & ptype::MV == 0
                && let Some(val) = fixed_value(ty, v)
            {
                bag.insert(self.key(id), val);
            }
        }
        // Variable-size values: every `__substg1.0_IIIITTTT` stream of the storage.
        let mut streams: Vec<(u16, u16, String)> = Vec::new();
        for (name, is_storage) in &children {
            let Some(code) = name.strip_prefix(SUBSTG) else {
                continue;
            };
            // A damaged directory read tolerantly may hold any name: the code must be ASCII hex.
            if *is_storage || code.len() != 8 || !code.is_ascii() {
                continue;
            }
            let (Ok(id), Ok(ty)) = (
                u16::from_str_radix(&code[..4], 16),
                u16::from_str_radix(&code[4..], 16),
            ) else {
                continue;
            };
            streams.push((id, ty, name.clone()));
        }
        let codepage = bag
            .int(tag::MESSAGE_CODEPAGE)
            .or_else(|| bag.int(tag::INTERNET_CODEPAGE));
        for (id, ty, name) in streams {
            let path = Self::join(dir, &name);
            let value = match self.cf.read(&path, self.limits) {
                Ok(b) if ty & ptype::MV != 0 && ptype::fixed_size(ty & !ptype::MV).is_none() => {
                    self.multi(dir, id, ty, &b, codepage)
                }
                Ok(b) => decode_value(ty, &b, codepage),
                Err(e) => PropValue::Other(0xFFFF, e.to_string().into_bytes()),
            };
            bag.insert(self.key(id), value);
        }
        // Objects (embedded messages) are storages named like streams.
        for (name, is_storage) in &children {
            if *is_storage
                && let Some(code) = name.strip_prefix(SUBSTG)
                && code.len() == 8
                && let Ok(id) = u16::from_str_radix(&code[..4], 16)
            {
                bag.insert(self.key(id), PropValue::Object);
            }
        }
        Ok(bag)
    }

    /// Variable-size multi-values: a length stream, then one stream per value.
    fn multi(
        &mut self,
        dir: &str,
        id: u16,
        ty: u16,
        lengths: &[u8],
        codepage: Option<i64>,
    ) -> PropValue {
        let base = ty & !ptype::MV;
        let step = if base == ptype::BINARY { 8 } else { 4 };
        let count = (lengths.len() / step).min(self.limits.max_rows);
        let mut out = Vec::with_capacity(count);
        for i in 0..count {
            let path = Self::join(dir, &format!("{SUBSTG}{id:04X}{ty:04X}-{i:08X}"));
            if let Ok(b) = self.cf.read(&path, self.limits) {
                out.push(decode_value(base, &b, codepage));
            }
        }
        PropValue::Multi(out)
    }

    fn key(&self, id: u16) -> PropKey {
        if id >= 0x8000
            && let Some(k) = self.names.get(&id)
        {
            return k.clone();
        }
        PropKey::Id(id)
    }

    fn object(&mut self, dir: &str, header: usize, depth: u32) -> Result<Item> {
        let mut item = Item {
            props: self.props(dir, header)?,
            ..Default::default()
        };
        let mut recips: Vec<String> = Vec::new();
        let mut atts: Vec<String> = Vec::new();
        for (name, is_storage) in self.children(dir)? {
            if !is_storage {
                continue;
            }
            if name.starts_with(RECIP) {
                recips.push(name);
            } else if name.starts_with(ATTACH) {
                atts.push(name);
            }
        }
        recips.sort();
        atts.sort();
        for r in recips.into_iter().take(self.limits.max_rows) {
            match self.props(&Self::join(dir, &r), 8) {
                Ok(b) => item.recipients.push(b),
                Err(e) => item.problems.push(format!("recipient {r} unreadable: {e}")),
            }
        }
        for a in atts.into_iter().take(self.limits.max_rows) {
            let adir = Self::join(dir, &a);
            match self.attachment(&adir, depth) {
                Ok(att) => item.attachments.push(att),
                Err(e) => {
                    item.problems
                        .push(format!("attachment {a} unreadable: {e}"));
                    item.attachments.push(Attachment {
                        props: PropBag::default(),
                        content: AttachContent::Missing(format!("unreadable: {e}")),
                    });
                }
            }
        }
        Ok(item)
    }

    fn attachment(&mut self, dir: &str, depth: u32) -> Result<Attachment> {
        let mut props = self.props(dir, 8)?;
        let content = match props.props.remove(&PropKey::Id(tag::ATTACH_DATA)) {
            Some(PropValue::Bin(b)) => AttachContent::Bytes(b),
            Some(PropValue::Object) => {
                let sub = Self::join(dir, &format!("{SUBSTG}3701000D"));
                let is_message = self
                    .children(&sub)
                    .map(|c| c.iter().any(|(n, _)| n == PROPS))
                    .unwrap_or(false);
                if !is_message {
                    AttachContent::Missing("OLE object attachment (not a message)".into())
                } else if depth + 1 > self.limits.max_depth {
                    AttachContent::Missing(format!(
                        "embedded message not read: nesting depth limit of {} reached",
                        self.limits.max_depth
                    ))
                } else {
                    match self.object(&sub, 24, depth + 1) {
                        Ok(m) => AttachContent::Message(Box::new(m)),
                        Err(e) => {
                            AttachContent::Missing(format!("embedded message unreadable: {e}"))
                        }
                    }
                }
            }
            Some(PropValue::Other(_, e)) => {
                AttachContent::Missing(format!("data unreadable: {}", String::from_utf8_lossy(&e)))
            }
            _ => AttachContent::Missing("no data".into()),
        };
        Ok(Attachment { props, content })
    }
}
