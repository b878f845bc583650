//! TNEF streams (`winmail.dat`, `application/ms-tnef`; MS-OXTNEF): the message's MAPI
//! properties (RTF body included), recipients, and attachments with their long names.
//!
//! Damage does not lose what came before it: a bad checksum is noted and reading goes on;
//! garbage after the last attribute, or a truncated attribute, ends reading with a note.

use crate::item::{AttachContent, Attachment, Item};
use crate::props::{
    Le, NameKind, PropBag, PropKey, PropValue, codepage_text, fixed_value, ptype, tag, utf16le,
    variable_value,
};
use crate::{Limits, OutlookError, Result};

const SIGNATURE: u32 = 0x223E_9F78;

const ATT_FROM: u16 = 0x8000;
const ATT_SUBJECT: u16 = 0x8004;
const ATT_DATE_SENT: u16 = 0x8005;
const ATT_DATE_RECD: u16 = 0x8006;
const ATT_MESSAGE_CLASS: u16 = 0x8008;
const ATT_MESSAGE_ID: u16 = 0x8009;
const ATT_BODY: u16 = 0x800C;
const ATT_ATTACH_DATA: u16 = 0x800F;
const ATT_ATTACH_TITLE: u16 = 0x8010;
const ATT_ATTACH_RENDDATA: u16 = 0x9002;
const ATT_MSG_PROPS: u16 = 0x9003;
const ATT_RECIP_TABLE: u16 = 0x9004;
const ATT_ATTACHMENT: u16 = 0x9005;
const ATT_OEM_CODEPAGE: u16 = 0x9007;

/// True when the bytes start with the TNEF signature.
pub fn is_tnef(b: &[u8]) -> bool {
    b.u32_at(0) == Some(SIGNATURE)
}

/// Reads a TNEF stream into an item: its attachments, properties and recipients.
pub fn read_tnef(b: &[u8], limits: &Limits) -> Result<Item> {
    read_depth(b, limits, 0)
}

fn read_depth(b: &[u8], limits: &Limits, depth: u32) -> Result<Item> {
    if !is_tnef(b) {
        return Err(OutlookError::NotFormat("a TNEF stream (no signature)"));
    }
    let mut item = Item::default();
    let mut codepage: Option<i64> = None;
    let mut at = 6usize;
    let mut current: Option<Attachment> = None;
    while at < b.len() {
        let (Some(level), Some(id), Some(len)) = (b.u8_at(at), b.u32_at(at + 1), b.u32_at(at + 5))
        else {
            item.problems.push(format!(
                "{} bytes after the last attribute are not an attribute (ignored)",
                b.len() - at
            ));
            break;
        };
        let len = len as usize;
        let Some(data) = b.range(at + 9, len) else {
            item.problems.push(format!(
                "attribute {id:#010x} at {at} claims {len} bytes, past the end; reading stopped"
            ));
            break;
        };
        if !matches!(level, 1 | 2) {
            item.problems.push(format!(
                "{} bytes of garbage after the last attribute (ignored)",
                b.len() - at
            ));
            break;
        }
        let checksum = b.u16_at(at + 9 + len);
        let sum = data.iter().fold(0u16, |s, &x| s.wrapping_add(x as u16));
        if checksum != Some(sum) {
            item.problems
                .push(format!("attribute {id:#010x} at {at}: bad checksum"));
        }
        at += 9 + len + 2;
        let aid = (id & 0xFFFF) as u16;
        if level == 2 {
            if aid == ATT_ATTACH_RENDDATA {
                if let Some(a) = current.take() {
                    item.attachments.push(a);
                }
                if item.attachments.len() >= limits.max_rows {
                    item.problems
                        .push("too many attachments; the rest not read".into());
                    break;
                }
                current = Some(Attachment {
                    props: PropBag::default(),
                    content: AttachContent::Missing("no data".into()),
                });
                continue;
            }
            let att = current.get_or_insert_with(|| Attachment {
                props: PropBag::default(),
                content: AttachContent::Missing("no data".into()),
            });
            match aid {
                ATT_ATTACH_TITLE => {
                    att.props.insert(
                        PropKey::Id(tag::ATTACH_FILENAME),
                        PropValue::Str(codepage_text(data, codepage)),
                    );
                }
                ATT_ATTACH_DATA => att.content = AttachContent::Bytes(data.to_vec()),
                ATT_ATTACHMENT => match mapi_props(data, codepage, limits) {
                    Ok(bag) => merge_attachment(att, bag, limits, depth, &mut item.problems),
                    Err(e) => item
                        .problems
                        .push(format!("attachment properties unreadable: {e}")),
                },
                _ => {}
            }
            continue;
        }
        match aid {
            ATT_OEM_CODEPAGE => codepage = data.u32_at(0).map(i64::from),
            ATT_SUBJECT => set(
                &mut item.props,
                tag::SUBJECT,
                PropValue::Str(codepage_text(data, codepage)),
            ),
            ATT_MESSAGE_CLASS => set(
                &mut item.props,
                tag::MESSAGE_CLASS,
                PropValue::Str(codepage_text(data, codepage)),
            ),
            ATT_MESSAGE_ID => set(
                &mut item.props,
                0x8009,
                PropValue::Str(codepage_text(data, codepage)),
            ),
            ATT_BODY => set(
                &mut item.props,
                tag::BODY,
                PropValue::Str(codepage_text(data, codepage)),
            ),
            ATT_DATE_SENT => {
                if let Some(t) = dtr(data) {
                    set(&mut item.props, tag::CLIENT_SUBMIT_TIME, PropValue::Time(t));
                }
            }
            ATT_DATE_RECD => {
                if let Some(t) = dtr(data) {
                    set(
                        &mut item.props,
                        tag::MESSAGE_DELIVERY_TIME,
                        PropValue::Time(t),
                    );
                }
            }
            ATT_FROM => {}
            ATT_MSG_PROPS => match mapi_props(data, codepage, limits) {
                Ok(bag) => {
                    for (k, v) in bag.props {
                        item.props.insert(k, v);
                    }
                }
                Err(e) => item
                    .problems
                    .push(format!("message properties unreadable: {e}")),
            },
            ATT_RECIP_TABLE => match recipient_rows(data, codepage, limits) {
                Ok(rows) => item.recipients = rows,
                Err(e) => item
                    .problems
                    .push(format!("recipient table unreadable: {e}")),
            },
            _ => {}
        }
    }
    if let Some(a) = current.take() {
        item.attachments.push(a);
    }
    Ok(item)
}

fn set(bag: &mut PropBag, id: u16, v: PropValue) {
    bag.props.entry(PropKey::Id(id)).or_insert(v);
}

/// A TNEF date (DTR: year, month, day, hour, minute, second, weekday) as a FILETIME.
fn dtr(d: &[u8]) -> Option<i64> {
    let f = |i: usize| d.u16_at(i * 2).map(u32::from);
    let date = chrono::NaiveDate::from_ymd_opt(f(0)? as i32, f(1)?, f(2)?)?;
    let t = date.and_hms_opt(f(3)?, f(4)?, f(5)?)?;
    let secs = t.and_utc().timestamp();
    Some((secs + 11_644_473_600) * 10_000_000)
}

fn merge_attachment(
    att: &mut Attachment,
    mut bag: PropBag,
    limits: &Limits,
    depth: u32,
    problems: &mut Vec<String>,
) {
    let data = bag.props.remove(&PropKey::Id(tag::ATTACH_DATA));
    let method = bag.int(tag::ATTACH_METHOD).unwrap_or(1);
    for (k, v) in bag.props {
        att.props.insert(k, v);
    }
    match data {
        Some(PropValue::Bin(b)) if method == 5 || is_tnef(b.get(16..).unwrap_or_default()) => {
            // An embedded message: an interface id, then a TNEF stream of its own.
            let inner = b.get(16..).unwrap_or_default();
            if depth + 1 > limits.max_depth {
                att.content = AttachContent::Missing(format!(
                    "embedded message not read: nesting depth limit of {} reached",
                    limits.max_depth
                ));
            } else {
                match read_depth(inner, limits, depth + 1) {
                    Ok(m) => att.content = AttachContent::Message(Box::new(m)),
                    Err(e) => {
                        problems.push(format!("embedded message unreadable: {e}"));
                        att.content = AttachContent::Bytes(b);
                    }
                }
            }
        }
        Some(PropValue::Bin(b)) if !matches!(att.content, AttachContent::Bytes(_)) => {
            att.content = AttachContent::Bytes(b)
        }
        _ => {}
    }
}

fn recipient_rows(d: &[u8], codepage: Option<i64>, limits: &Limits) -> Result<Vec<PropBag>> {
    let rows =
        d.u32_at(0)
            .ok_or_else(|| OutlookError::corrupt("TNEF recipients", "truncated"))? as usize;
    let mut at = 4;
    let mut out = Vec::new();
    for _ in 0..rows.min(limits.max_rows) {
        let (bag, used) = props_at(d, at, codepage, limits)?;
        at = used;
        out.push(bag);
    }
    Ok(out)
}

/// A MAPI property block (count, then properties).
pub fn mapi_props(d: &[u8], codepage: Option<i64>, limits: &Limits) -> Result<PropBag> {
    Ok(props_at(d, 0, codepage, limits)?.0)
}

fn pad4(n: usize) -> usize {
    n.div_ceil(4) * 4
}

fn props_at(
    d: &[u8],
    mut at: usize,
    codepage: Option<i64>,
    limits: &Limits,
) -> Result<(PropBag, usize)> {
    let bad = |w: &str| OutlookError::corrupt("TNEF properties", w.to_owned());
    let count = d.u32_at(at).ok_or_else(|| bad("truncated count"))? as usize;
    at += 4;
    let mut bag = PropBag::default();
    for _ in 0..count.min(limits.max_rows) {
        let (Some(ty), Some(id)) = (d.u16_at(at), d.u16_at(at + 2)) else {
            return Err(bad("truncated property"));
        };
        at += 4;
        let key = if id >= 0x8000 {
            let g: [u8; 16] = d
                .range(at, 16)
                .and_then(|g| g.try_into().ok())
                .ok_or_else(|| bad("truncated name"))?;
            let kind = d.u32_at(at + 16).ok_or_else(|| bad("truncated name"))?;
            at += 20;
            if kind == 0 {
                let lid = d.u32_at(at).ok_or_else(|| bad("truncated name"))?;
                at += 4;
                PropKey::Named(g, NameKind::Lid(lid))
            } else {
                let n = d.u32_at(at).ok_or_else(|| bad("truncated name"))? as usize;
                let name = d.range(at + 4, n).ok_or_else(|| bad("truncated name"))?;
                at += 4 + pad4(n);
                PropKey::Named(g, NameKind::Name(utf16le(name)))
            }
        } else {
            PropKey::Id(id)
        };
        let base = ty & !ptype::MV;
        let variable = matches!(
            base,
            ptype::STRING8 | ptype::UNICODE | ptype::BINARY | ptype::OBJECT
        );
        let multi = ty & ptype::MV != 0;
        let n = if multi || variable {
            let n = d.u32_at(at).ok_or_else(|| bad("truncated value count"))? as usize;
            at += 4;
            n
        } else {
            1
        };
        if n > d.len() {
            return Err(bad("value count larger than the data"));
        }
        let mut values = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            if variable {
                let len = d.u32_at(at).ok_or_else(|| bad("truncated value"))? as usize;
                if len as u64 > limits.max_value_bytes {
                    return Err(OutlookError::Limit(format!("TNEF value of {len} bytes")));
                }
                let v = d
                    .range(at + 4, len)
                    .ok_or_else(|| bad("value past the end"))?;
                at += 4 + pad4(len);
                // Objects keep their bytes (an interface id, then the content).
                let t = if base == ptype::OBJECT {
                    ptype::BINARY
                } else {
                    base
                };
                values.push(variable_value(t, v, codepage));
            } else {
                let size = ptype::fixed_size(base).unwrap_or(4);
                let v = d.range(at, size).ok_or_else(|| bad("value past the end"))?;
                at += pad4(size);
                values.push(fixed_value(base, v).unwrap_or(PropValue::Other(base, v.to_vec())));
            }
        }
        let value = if multi {
            PropValue::Multi(values)
        } else {
            values
                .into_iter()
                .next()
                .unwrap_or(PropValue::Other(ty, Vec::new()))
        };
        bag.insert(key, value);
    }
    Ok((bag, at))
}
