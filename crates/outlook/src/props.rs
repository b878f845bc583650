//! MAPI properties: the one model that PST, MSG and TNEF readers all produce.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// MAPI property types (MS-OXCDATA 2.11.1).
pub mod ptype {
    pub const I16: u16 = 0x0002;
    pub const I32: u16 = 0x0003;
    pub const F32: u16 = 0x0004;
    pub const F64: u16 = 0x0005;
    pub const CURRENCY: u16 = 0x0006;
    pub const APPTIME: u16 = 0x0007;
    pub const ERROR: u16 = 0x000A;
    pub const BOOL: u16 = 0x000B;
    pub const OBJECT: u16 = 0x000D;
    pub const I64: u16 = 0x0014;
    pub const STRING8: u16 = 0x001E;
    pub const UNICODE: u16 = 0x001F;
    pub const SYSTIME: u16 = 0x0040;
    pub const GUID: u16 = 0x0048;
    pub const SERVERID: u16 = 0x00FB;
    pub const RESTRICTION: u16 = 0x00FD;
    pub const RULEACTION: u16 = 0x00FE;
    pub const BINARY: u16 = 0x0102;
    pub const MV: u16 = 0x1000;

    /// Size of a fixed-size value, or None for variable-size types.
    pub fn fixed_size(t: u16) -> Option<usize> {
        Some(match t & !MV {
            I16 => 2,
            I32 | F32 | ERROR => 4,
            BOOL => 1,
            F64 | CURRENCY | APPTIME | I64 | SYSTIME => 8,
            GUID => 16,
            _ => return None,
        })
    }
}

/// Property ids of the standard properties trove uses (MS-OXPROPS).
pub mod tag {
    pub const MESSAGE_CLASS: u16 = 0x001A;
    pub const SUBJECT: u16 = 0x0037;
    pub const SUBJECT_PREFIX: u16 = 0x003D;
    pub const NORMALIZED_SUBJECT: u16 = 0x0E1D;
    pub const CLIENT_SUBMIT_TIME: u16 = 0x0039;
    pub const SENT_REPRESENTING_NAME: u16 = 0x0042;
    pub const SENT_REPRESENTING_EMAIL: u16 = 0x0065;
    pub const SENT_REPRESENTING_ADDRTYPE: u16 = 0x0064;
    pub const SENT_REPRESENTING_SMTP: u16 = 0x5D02;
    pub const SENDER_NAME: u16 = 0x0C1A;
    pub const SENDER_EMAIL: u16 = 0x0C1F;
    pub const SENDER_ADDRTYPE: u16 = 0x0C1E;
    pub const SENDER_SMTP: u16 = 0x5D01;
    pub const IMPORTANCE: u16 = 0x0017;
    pub const PRIORITY: u16 = 0x0026;
    pub const SENSITIVITY: u16 = 0x0036;
    pub const CONVERSATION_TOPIC: u16 = 0x0070;
    pub const TRANSPORT_HEADERS: u16 = 0x007D;
    pub const DISPLAY_BCC: u16 = 0x0E02;
    pub const DISPLAY_CC: u16 = 0x0E03;
    pub const DISPLAY_TO: u16 = 0x0E04;
    pub const MESSAGE_DELIVERY_TIME: u16 = 0x0E06;
    pub const MESSAGE_FLAGS: u16 = 0x0E07;
    pub const MESSAGE_SIZE: u16 = 0x0E08;
    pub const HASATTACH: u16 = 0x0E1B;
    pub const BODY: u16 = 0x1000;
    pub const RTF_COMPRESSED: u16 = 0x1009;
    pub const HTML: u16 = 0x1013;
    pub const INTERNET_MESSAGE_ID: u16 = 0x1035;
    pub const IN_REPLY_TO: u16 = 0x1042;
    pub const REFERENCES: u16 = 0x1039;
    pub const CREATION_TIME: u16 = 0x3007;
    pub const LAST_MODIFICATION_TIME: u16 = 0x3008;
    pub const DISPLAY_NAME: u16 = 0x3001;
    pub const ADDRTYPE: u16 = 0x3002;
    pub const EMAIL_ADDRESS: u16 = 0x3003;
    pub const COMMENT: u16 = 0x3004;
    pub const SMTP_ADDRESS: u16 = 0x39FE;
    pub const RECIPIENT_TYPE: u16 = 0x0C15;
    pub const ATTACH_DATA: u16 = 0x3701;
    pub const ATTACH_FILENAME: u16 = 0x3704;
    pub const ATTACH_METHOD: u16 = 0x3705;
    pub const ATTACH_LONG_FILENAME: u16 = 0x3707;
    pub const ATTACH_MIME_TAG: u16 = 0x370E;
    pub const ATTACH_CONTENT_ID: u16 = 0x3712;
    pub const ATTACH_SIZE: u16 = 0x0E20;
    pub const ATTACHMENT_HIDDEN: u16 = 0x7FFE;
    pub const INTERNET_CODEPAGE: u16 = 0x3FDE;
    pub const MESSAGE_CODEPAGE: u16 = 0x3FFD;
    pub const CONTENT_COUNT: u16 = 0x3602;
    pub const CONTENT_UNREAD_COUNT: u16 = 0x3603;
    pub const SUBFOLDERS: u16 = 0x360A;
    pub const CONTAINER_CLASS: u16 = 0x3613;
    pub const PST_PASSWORD: u16 = 0x67FF;
    pub const RECORD_KEY: u16 = 0x0FF9;
    pub const ENTRY_ID: u16 = 0x0FFF;
    pub const RECEIVED_BY_NAME: u16 = 0x0040;
    pub const RECEIVED_BY_EMAIL: u16 = 0x0076;
    pub const RECEIVED_BY_SMTP: u16 = 0x5D07;
    pub const START_DATE: u16 = 0x0060;
    pub const END_DATE: u16 = 0x0061;
}

/// Well-known property sets of named properties.
pub mod guid {
    /// PS_MAPI {00020328-0000-0000-C000-000000000046}
    pub const PS_MAPI: [u8; 16] = [
        0x28, 0x03, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ];
    /// PS_PUBLIC_STRINGS {00020329-0000-0000-C000-000000000046}
    pub const PS_PUBLIC_STRINGS: [u8; 16] = [
        0x29, 0x03, 0x02, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ];
    /// PSETID_Address {00062004-0000-0000-C000-000000000046}
    pub const ADDRESS: [u8; 16] = [
        0x04, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ];
    /// PSETID_Appointment {00062002-0000-0000-C000-000000000046}
    pub const APPOINTMENT: [u8; 16] = [
        0x02, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ];
    /// PSETID_Task {00062003-0000-0000-C000-000000000046}
    pub const TASK: [u8; 16] = [
        0x03, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ];
    /// PSETID_Common {00062008-0000-0000-C000-000000000046}
    pub const COMMON: [u8; 16] = [
        0x08, 0x20, 0x06, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
    ];
}

/// The name of a named property.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NameKind {
    Lid(u32),
    Name(String),
}

/// Where a property is found: a standard id, or a named property resolved through the
/// store's name map (an unresolved named id stays a plain id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PropKey {
    Id(u16),
    Named([u8; 16], NameKind),
}

/// A property value.
#[derive(Debug, Clone, PartialEq)]
pub enum PropValue {
    I16(i16),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    Bool(bool),
    /// FILETIME: 100 ns intervals since 1601-01-01 UTC.
    Time(i64),
    Str(String),
    Bin(Vec<u8>),
    Guid([u8; 16]),
    Multi(Vec<PropValue>),
    /// An object (embedded message, OLE storage) held elsewhere by the reader.
    Object,
    /// A type trove does not interpret, kept as bytes.
    Other(u16, Vec<u8>),
}

impl PropValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PropValue::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            PropValue::I16(v) => Some(v.into()),
            PropValue::I32(v) => Some(v.into()),
            PropValue::I64(v) => Some(v),
            PropValue::Bool(b) => Some(b.into()),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            PropValue::Bin(b) => Some(b),
            PropValue::Str(s) => Some(s.as_bytes()),
            _ => None,
        }
    }

    pub fn as_time(&self) -> Option<DateTime<Utc>> {
        match *self {
            PropValue::Time(ft) => filetime(ft),
            _ => None,
        }
    }

    /// A short text rendition, for the searchable text of non-mail items.
    pub fn render(&self) -> Option<String> {
        Some(match self {
            PropValue::Str(s) => s.clone(),
            PropValue::I16(v) => v.to_string(),
            PropValue::I32(v) => v.to_string(),
            PropValue::I64(v) => v.to_string(),
            PropValue::F32(v) => v.to_string(),
            PropValue::F64(v) => v.to_string(),
            PropValue::Bool(v) => v.to_string(),
            PropValue::Time(_) => self.as_time()?.to_rfc3339(),
            PropValue::Multi(vs) => {
                let parts: Vec<String> = vs.iter().filter_map(PropValue::render).collect();
                if parts.is_empty() {
                    return None;
                }
                parts.join("; ")
            }
            _ => return None,
        })
    }
}

/// A FILETIME as a UTC time (None for 0, the "never" values and out-of-range values).
pub fn filetime(ft: i64) -> Option<DateTime<Utc>> {
    if ft <= 0 || ft >= 0x7FFF_FFFF_FFFF_0000 {
        return None;
    }
    let secs = ft / 10_000_000 - 11_644_473_600;
    let nanos = (ft % 10_000_000) as u32 * 100;
    // Years before 1970 or after 4500 are "none" markers (Outlook writes 4501-01-01).
    if !(0..=80_000_000_000).contains(&secs) {
        return None;
    }
    DateTime::from_timestamp(secs, nanos)
}

/// The properties of one object (message, recipient, attachment, folder).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PropBag {
    pub props: BTreeMap<PropKey, PropValue>,
}

impl PropBag {
    pub fn get(&self, id: u16) -> Option<&PropValue> {
        self.props.get(&PropKey::Id(id))
    }

    pub fn named(&self, set: [u8; 16], lid: u32) -> Option<&PropValue> {
        self.props.get(&PropKey::Named(set, NameKind::Lid(lid)))
    }

    pub fn str(&self, id: u16) -> Option<&str> {
        self.get(id)
            .and_then(PropValue::as_str)
            .map(|s| s.trim_end_matches('\0'))
            .filter(|s| !s.trim().is_empty())
    }

    pub fn int(&self, id: u16) -> Option<i64> {
        self.get(id).and_then(PropValue::as_i64)
    }

    pub fn bin(&self, id: u16) -> Option<&[u8]> {
        self.get(id).and_then(|v| match v {
            PropValue::Bin(b) => Some(&b[..]),
            _ => None,
        })
    }

    pub fn time(&self, id: u16) -> Option<DateTime<Utc>> {
        self.get(id).and_then(PropValue::as_time)
    }

    pub fn insert(&mut self, key: PropKey, value: PropValue) {
        self.props.insert(key, value);
    }

    pub fn len(&self) -> usize {
        self.props.len()
    }

    pub fn is_empty(&self) -> bool {
        self.props.is_empty()
    }
}

/// UTF-16LE bytes as text (lossy; an odd trailing byte and trailing NULs dropped).
pub fn utf16le(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let s = String::from_utf16_lossy(&units);
    s.trim_end_matches('\0').to_owned()
}

/// 8-bit text in a Windows code page (Windows-1252 when the code page is unknown).
pub fn codepage_text(b: &[u8], codepage: Option<i64>) -> String {
    let b = match b.iter().position(|&c| c == 0) {
        Some(p) => &b[..p],
        None => b,
    };
    let enc = codepage
        .and_then(codepage_encoding)
        .unwrap_or(encoding_rs::WINDOWS_1252);
    let (s, _, _) = enc.decode(b);
    s.into_owned()
}

/// The encoding of a Windows code page number.
pub fn codepage_encoding(cp: i64) -> Option<&'static encoding_rs::Encoding> {
    use encoding_rs as e;
    Some(match cp {
        65001 => e::UTF_8,
        1200 => e::UTF_16LE,
        1201 => e::UTF_16BE,
        1250 => e::WINDOWS_1250,
        1251 => e::WINDOWS_1251,
        1252 | 20127 | 28591 => e::WINDOWS_1252,
        1253 => e::WINDOWS_1253,
        1254 => e::WINDOWS_1254,
        1255 => e::WINDOWS_1255,
        1256 => e::WINDOWS_1256,
        1257 => e::WINDOWS_1257,
        1258 => e::WINDOWS_1258,
        874 => e::WINDOWS_874,
        932 => e::SHIFT_JIS,
        936 => e::GBK,
        949 => e::EUC_KR,
        950 => e::BIG5,
        866 => e::IBM866,
        20866 => e::KOI8_R,
        21866 => e::KOI8_U,
        28592 => e::ISO_8859_2,
        28595 => e::ISO_8859_5,
        28597 => e::ISO_8859_7,
        28605 => e::ISO_8859_15,
        50220..=50222 => e::ISO_2022_JP,
        51932 => e::EUC_JP,
        54936 => e::GB18030,
        _ => return None,
    })
}

/// Reads a value of a fixed-size type from little-endian bytes.
pub fn fixed_value(t: u16, b: &[u8]) -> Option<PropValue> {
    let u = |n: usize| b.get(..n);
    Some(match t {
        ptype::I16 => PropValue::I16(i16::from_le_bytes(u(2)?.try_into().ok()?)),
        ptype::I32 | ptype::ERROR => PropValue::I32(i32::from_le_bytes(u(4)?.try_into().ok()?)),
        ptype::F32 => PropValue::F32(f32::from_le_bytes(u(4)?.try_into().ok()?)),
        ptype::BOOL => PropValue::Bool(*b.first()? != 0),
        ptype::F64 | ptype::APPTIME => PropValue::F64(f64::from_le_bytes(u(8)?.try_into().ok()?)),
        ptype::CURRENCY | ptype::I64 => PropValue::I64(i64::from_le_bytes(u(8)?.try_into().ok()?)),
        ptype::SYSTIME => PropValue::Time(i64::from_le_bytes(u(8)?.try_into().ok()?)),
        ptype::GUID => PropValue::Guid(u(16)?.try_into().ok()?),
        _ => return None,
    })
}

/// Reads a value of a variable-size type from its bytes.
pub fn variable_value(t: u16, b: &[u8], codepage: Option<i64>) -> PropValue {
    match t {
        ptype::UNICODE => PropValue::Str(utf16le(b)),
        ptype::STRING8 => PropValue::Str(codepage_text(b, codepage)),
        ptype::BINARY => PropValue::Bin(b.to_vec()),
        ptype::OBJECT => PropValue::Object,
        _ => PropValue::Other(t, b.to_vec()),
    }
}

/// Little-endian readers that never panic.
pub(crate) trait Le {
    fn u8_at(&self, at: usize) -> Option<u8>;
    fn u16_at(&self, at: usize) -> Option<u16>;
    fn u32_at(&self, at: usize) -> Option<u32>;
    fn u64_at(&self, at: usize) -> Option<u64>;
    fn range(&self, at: usize, len: usize) -> Option<&[u8]>;
}

impl Le for [u8] {
    fn u8_at(&self, at: usize) -> Option<u8> {
        self.get(at).copied()
    }
    fn u16_at(&self, at: usize) -> Option<u16> {
        Some(u16::from_le_bytes(
            self.get(at..at.checked_add(2)?)?.try_into().ok()?,
        ))
    }
    fn u32_at(&self, at: usize) -> Option<u32> {
        Some(u32::from_le_bytes(
            self.get(at..at.checked_add(4)?)?.try_into().ok()?,
        ))
    }
    fn u64_at(&self, at: usize) -> Option<u64> {
        Some(u64::from_le_bytes(
            self.get(at..at.checked_add(8)?)?.try_into().ok()?,
        ))
    }
    fn range(&self, at: usize, len: usize) -> Option<&[u8]> {
        self.get(at..at.checked_add(len)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filetimes() {
        // 2001-05-14 16:39:00 UTC
        let t = filetime(126_343_319_400_000_000).unwrap();
        assert_eq!(t.to_rfc3339(), "2001-05-14T16:39:00+00:00");
        assert!(filetime(0).is_none());
        assert!(filetime(i64::MAX).is_none());
        assert!(filetime(-5).is_none());
    }

    #[test]
    fn strings() {
        assert_eq!(utf16le(b"h\0i\0\0\0"), "hi");
        assert_eq!(
            codepage_text(b"Informaci\xf3n\0junk", Some(1252)),
            "Información"
        );
        assert_eq!(codepage_text(b"\xcf\xf0\xe8", Some(1251)), "При");
    }
}
