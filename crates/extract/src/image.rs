//! Images: EXIF (camera, times, GPS, software) with kamadak-exif in lenient mode, pixel size
//! from the headers, and OCR (now, or recorded as pending).

use std::io::Cursor;

use exif::{In, Tag, Value};

use crate::detect::Kind;
use crate::{Extraction, Gps, Metadata, OcrMode, Options, Status};

pub fn extract(bytes: &[u8], kind: Kind, opts: &Options, out: &mut Extraction) {
    exif_into(bytes, &mut out.meta);
    if out.meta.width.is_none()
        && let Some((w, h)) = dimensions(bytes, kind)
    {
        out.meta.width = Some(w);
        out.meta.height = Some(h);
    }
    out.pages = 1;
    if kind == Kind::Heic {
        // No HEIC decoder is linked: metadata only.
        out.reason = Some("HEIC: metadata only (no decoder for OCR)".into());
        return;
    }
    let small = match (out.meta.width, out.meta.height) {
        (Some(w), Some(h)) => w.min(h) < opts.min_ocr_pixels,
        _ => bytes.len() < 4096,
    };
    if small {
        out.reason = Some(format!(
            "image under {} pixels: not OCR'd",
            opts.min_ocr_pixels
        ));
        return;
    }
    match opts.ocr {
        OcrMode::Now if !opts.native => {
            out.status = Status::OcrPending;
            out.ocr_pending = vec![0];
        }
        OcrMode::Now => match crate::ocr::image_text(bytes, &opts.languages) {
            Ok(t) => {
                out.text = t;
                out.ocr_pages = vec![0];
            }
            Err(e) => out.fail(format!("OCR failed: {e}")),
        },
        OcrMode::Defer | OcrMode::Off => {
            out.status = Status::OcrPending;
            out.ocr_pending = vec![0];
        }
    }
}

/// EXIF fields into metadata.
pub fn exif_into(bytes: &[u8], m: &mut Metadata) {
    let mut r = exif::Reader::new();
    r.continue_on_error(true);
    let exif = match r.read_from_container(&mut Cursor::new(bytes)) {
        Ok(e) => e,
        Err(e) => match e.distill_partial_result(|_| {}) {
            Ok(e) => e,
            Err(_) => return,
        },
    };
    let text = |tag: Tag| -> Option<String> {
        let f = exif.get_field(tag, In::PRIMARY)?;
        let s = match &f.value {
            Value::Ascii(v) => v
                .iter()
                .map(|b| {
                    String::from_utf8_lossy(b)
                        .trim_end_matches('\0')
                        .trim()
                        .to_owned()
                })
                .collect::<Vec<_>>()
                .join(" "),
            other => other.display_as(tag).to_string(),
        };
        let s = s.trim().to_owned();
        (!s.is_empty()).then_some(s)
    };
    let make = text(Tag::Make);
    let model = text(Tag::Model);
    m.camera = match (make, model) {
        (Some(a), Some(b)) if b.starts_with(&a) => Some(b),
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (a, b) => a.or(b),
    };
    m.taken = text(Tag::DateTimeOriginal).or_else(|| text(Tag::DateTimeDigitized));
    m.modified = text(Tag::DateTime);
    m.creator_tool = text(Tag::Software);
    if m.author.is_none() {
        m.author = text(Tag::Artist);
    }
    if m.title.is_none() {
        m.title = text(Tag::ImageDescription);
    }
    for (tag, key) in [
        (Tag::Copyright, "copyright"),
        (Tag::LensModel, "lens"),
        (Tag::BodySerialNumber, "camera_serial"),
        (Tag::Orientation, "orientation"),
    ] {
        if let Some(v) = text(tag) {
            m.extra.insert(key.into(), v);
        }
    }
    let uint = |tag: Tag| {
        exif.get_field(tag, In::PRIMARY)
            .and_then(|f| f.value.get_uint(0))
    };
    if let (Some(w), Some(h)) = (uint(Tag::PixelXDimension), uint(Tag::PixelYDimension)) {
        m.width = Some(w);
        m.height = Some(h);
    }
    let coord = |tag: Tag, reference: Tag, negative: u8| -> Option<f64> {
        let f = exif.get_field(tag, In::PRIMARY)?;
        let Value::Rational(v) = &f.value else {
            return None;
        };
        if v.len() < 3 || v.iter().any(|r| r.denom == 0) {
            return None;
        }
        let deg = v[0].to_f64() + v[1].to_f64() / 60.0 + v[2].to_f64() / 3600.0;
        let neg = match exif.get_field(reference, In::PRIMARY).map(|r| &r.value) {
            Some(Value::Ascii(a)) => a
                .first()
                .and_then(|s| s.first())
                .is_some_and(|&c| c.to_ascii_uppercase() == negative),
            _ => false,
        };
        let d = if neg { -deg } else { deg };
        d.is_finite().then_some(d)
    };
    let lat = coord(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S');
    let lon = coord(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W');
    if let (Some(lat), Some(lon)) = (lat, lon)
        && (-90.0..=90.0).contains(&lat)
        && (-180.0..=180.0).contains(&lon)
    {
        let alt = exif.get_field(Tag::GPSAltitude, In::PRIMARY).and_then(|f| match &f.value {
            Value::Rational(v) if !v.is_empty() && v[0].denom != 0 => {
                let below = matches!(exif.get_field(Tag::GPSAltitudeRef, In::PRIMARY).map(|r| &r.value), Some(Value::Byte(b)) if b.first() == Some(&1));
                Some(if below { -v[0].to_f64() } else { v[0].to_f64() })
            }
            _ => None,
        });
        m.gps = Some(Gps { lat, lon, alt });
    }
}

/// Width and height from an image's header, without decoding it.
pub fn dimensions(b: &[u8], kind: Kind) -> Option<(u32, u32)> {
    let be16 = |i: usize| {
        b.get(i..i + 2)
            .map(|s| u16::from_be_bytes([s[0], s[1]]) as u32)
    };
    let le16 = |i: usize| {
        b.get(i..i + 2)
            .map(|s| u16::from_le_bytes([s[0], s[1]]) as u32)
    };
    let be32 = |i: usize| {
        b.get(i..i + 4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    };
    let le32 = |i: usize| {
        b.get(i..i + 4)
            .map(|s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]).unsigned_abs())
    };
    match kind {
        Kind::Png => Some((be32(16)?, be32(20)?)),
        Kind::Gif => Some((le16(6)?, le16(8)?)),
        Kind::Bmp => Some((le32(18)?, le32(22)?)),
        Kind::Jpeg => {
            let mut i = 2usize;
            for _ in 0..1000 {
                while b.get(i) == Some(&0xff) && b.get(i + 1) == Some(&0xff) {
                    i += 1;
                }
                if b.get(i) != Some(&0xff) {
                    return None;
                }
                let marker = *b.get(i + 1)?;
                let len = be16(i + 2)? as usize;
                if matches!(marker, 0xc0..=0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf) {
                    return Some((be16(i + 7)?, be16(i + 5)?));
                }
                i = i.checked_add(2 + len)?;
            }
            None
        }
        Kind::Webp => {
            // VP8X: 24-bit width-1 and height-1 at 24..30.
            if b.get(12..16) == Some(b"VP8X") {
                let w = b.get(24..27)?;
                let h = b.get(27..30)?;
                return Some((
                    u32::from_le_bytes([w[0], w[1], w[2], 0]) + 1,
                    u32::from_le_bytes([h[0], h[1], h[2], 0]) + 1,
                ));
            }
            if b.get(12..16) == Some(b"VP8 ") {
                return Some((le16(26)? & 0x3fff, le16(28)? & 0x3fff));
            }
            None
        }
        _ => None,
    }
}
