//! Word, Excel and PowerPoint, legacy and OOXML, through office_oxide (pure Rust, with its
//! own bounds on decompression, text fan-out and embedded packages); metadata from
//! `docProps/core.xml` and `app.xml`, or the OLE summary information streams.

use std::io::{Cursor, Read};

use office_oxide::format::DocumentFormat;
use office_oxide::options::ParseOptions;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::detect::Kind;
use crate::{Extraction, Metadata, Options};

pub fn extract(bytes: &[u8], kind: Kind, opts: &Options, out: &mut Extraction) {
    let format = match kind {
        Kind::Docx => DocumentFormat::Docx,
        Kind::Xlsx => DocumentFormat::Xlsx,
        Kind::Pptx => DocumentFormat::Pptx,
        Kind::Doc => DocumentFormat::Doc,
        Kind::Xls => DocumentFormat::Xls,
        _ => DocumentFormat::Ppt,
    };
    out.meta = match kind {
        Kind::Docx | Kind::Xlsx | Kind::Pptx => ooxml_meta(bytes, opts),
        _ => ole_meta(bytes),
    };
    if out.flags.contains(&crate::Flag::Encrypted) {
        out.skip("encrypted Office document; no password");
        return;
    }
    let options = ParseOptions::default();
    match office_oxide::Document::from_reader_with(Cursor::new(bytes.to_vec()), format, &options) {
        Ok(doc) => {
            // Subtrees nested past office_oxide's depth bound are left out of the text (with a
            // notice in it) and counted per thread, for the walks that run on this one.
            office_oxide::core::xml::reset_truncated_subtrees();
            out.text = doc.plain_text();
            let losses: Vec<String> = doc
                .damage()
                .iter()
                .filter(|d| d.is_loss())
                .take(3)
                .map(|d| d.to_string())
                .collect();
            if !losses.is_empty() {
                out.meta.extra.insert("damage".into(), losses.join("; "));
                out.truncated("part of the text lost where the document is damaged or cut");
            }
            if office_oxide::core::xml::truncated_subtrees() > 0
                || out.text.contains("not shown — document truncated]")
            {
                out.truncated(format!(
                    "content nested deeper than {} levels not read",
                    office_oxide::core::xml::MAX_NESTING_DEPTH
                ));
            }
        }
        Err(e) => {
            let msg = e.to_string();
            if msg.to_ascii_lowercase().contains("password")
                || msg.to_ascii_lowercase().contains("encrypt")
            {
                out.flag(crate::Flag::Encrypted);
                out.skip(format!("encrypted Office document; no password ({msg})"));
            } else {
                out.fail(format!("{} could not be read: {msg}", kind.as_str()));
            }
        }
    }
}

fn ole_meta(bytes: &[u8]) -> Metadata {
    let mut m = Metadata::default();
    let Ok(mut r) = office_oxide::cfb::CfbReader::new(Cursor::new(bytes)) else {
        return m;
    };
    if let Some(p) = office_oxide::cfb::read_document_properties(&mut r) {
        let clean = |s: Option<String>| s.map(|s| unmojibake(s.trim())).filter(|s| !s.is_empty());
        m.title = clean(p.title);
        m.subject = clean(p.subject);
        m.author = clean(p.author);
        m.last_author = clean(p.last_author);
        m.company = clean(p.company);
        m.created = p.created;
        m.modified = p.modified;
    }
    m
}

/// UTF-8 read as Latin-1 (`MuÃ±oz`), as property sets written with code page 65001 come out
/// of readers that assume 1252: turned back into what was written.
pub fn unmojibake(s: &str) -> String {
    if s.chars().all(|c| (c as u32) < 0x100) && s.chars().any(|c| matches!(c, '\u{c2}' | '\u{c3}'))
    {
        let bytes: Vec<u8> = s.chars().map(|c| c as u32 as u8).collect();
        if let Ok(fixed) = String::from_utf8(bytes) {
            return fixed;
        }
    }
    s.to_owned()
}

fn ooxml_meta(bytes: &[u8], opts: &Options) -> Metadata {
    let mut m = Metadata::default();
    let Ok(mut z) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return m;
    };
    let mut read = |name: &str| -> Option<Vec<u8>> {
        let f = z.by_name(name).ok()?;
        let mut v = Vec::new();
        f.take(opts.max_unzipped.min(16 << 20))
            .read_to_end(&mut v)
            .ok()?;
        Some(v)
    };
    if let Some(core) = read("docProps/core.xml") {
        for (name, value) in xml_leaves(&core) {
            match name.as_str() {
                "dc:title" => m.title = Some(value),
                "dc:subject" => m.subject = Some(value),
                "dc:creator" => m.author = Some(value),
                "cp:lastModifiedBy" => m.last_author = Some(value),
                "dcterms:created" => m.created = Some(value),
                "dcterms:modified" => m.modified = Some(value),
                _ => {}
            }
        }
    }
    if let Some(app) = read("docProps/app.xml") {
        for (name, value) in xml_leaves(&app) {
            match name.as_str() {
                "Application" => m.creator_tool = Some(value),
                "Company" => m.company = Some(value),
                _ => {}
            }
        }
    }
    m
}

/// (element name, text) of every element that directly holds non-blank text.
pub fn xml_leaves(xml: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut r = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut current: Option<String> = None;
    let mut text = String::new();
    loop {
        match r.read_event_into(&mut buf) {
            Ok(Event::Eof) | Err(_) => break,
            Ok(Event::Start(e)) => {
                current = Some(e.name().as_ref().to_owned());
                text.clear();
            }
            Ok(Event::Text(t)) => text.push_str(t.as_ref()),
            Ok(Event::GeneralRef(g)) => text.push_str(&crate::html::decode_entities(&format!(
                "&{};",
                g.as_ref() as &str
            ))),
            Ok(Event::End(_)) => {
                if let Some(n) = current.take() {
                    let v = crate::html::decode_entities(text.trim()).into_owned();
                    if !v.is_empty() && out.len() < 1000 {
                        out.push((n, v));
                    }
                }
                text.clear();
            }
            _ => {}
        }
        buf.clear();
    }
    out
}
