//! OpenDocument text, spreadsheets and presentations (.odt/.ods/.odp): `content.xml` streamed
//! with quick-xml (paragraphs, headings, tabs, line breaks, spaces, table cells, slides) and
//! `meta.xml` for metadata. Decompression is bounded.

use std::io::{Cursor, Read};

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::detect::Kind;
use crate::{Extraction, Metadata, Options};

pub fn extract(bytes: &[u8], kind: Kind, opts: &Options, out: &mut Extraction) {
    let mut z = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => return out.fail(format!("not a readable OpenDocument package: {e}")),
    };
    let read =
        |z: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str| -> Result<Option<Vec<u8>>, String> {
            let f = match z.by_name(name) {
                Ok(f) => f,
                Err(zip::result::ZipError::FileNotFound) => return Ok(None),
                Err(e) => return Err(e.to_string()),
            };
            if f.encrypted() {
                return Err("encrypted".into());
            }
            let mut v = Vec::new();
            f.take(opts.max_unzipped + 1)
                .read_to_end(&mut v)
                .map_err(|e| e.to_string())?;
            if v.len() as u64 > opts.max_unzipped {
                return Err(format!("{name} expands beyond {} bytes", opts.max_unzipped));
            }
            Ok(Some(v))
        };
    match read(&mut z, "meta.xml") {
        Ok(Some(m)) => out.meta = meta(&m),
        Ok(None) => {}
        Err(_) => {}
    }
    match read(&mut z, "content.xml") {
        Ok(Some(c)) => {
            let (text, pages, broken) = read_content(&c, kind);
            out.text = text;
            out.pages = pages;
            if let Some(e) = broken {
                out.meta
                    .extra
                    .insert("damage".into(), format!("content.xml: {e}"));
                out.truncated("part of the text lost where content.xml is not well-formed");
            }
        }
        Ok(None) => out.fail("OpenDocument package without content.xml"),
        Err(e) if e == "encrypted" => {
            out.flag(crate::Flag::Encrypted);
            out.skip("encrypted OpenDocument; no password");
        }
        Err(e) => out.fail(format!("reading content.xml: {e}")),
    }
}

/// Text of an ODF `content.xml`; the second value counts slides (presentations).
pub fn content_text(xml: &[u8], kind: Kind) -> (String, u32) {
    let (text, pages, _) = read_content(xml, kind);
    (text, pages)
}

/// As [`content_text`], with the XML error that ended the reading early, if one did (the
/// text is then what came before it).
fn read_content(xml: &[u8], kind: Kind) -> (String, u32, Option<String>) {
    let mut r = Reader::from_reader(xml);
    r.config_mut().trim_text(false);
    let mut out = String::new();
    let mut buf = Vec::new();
    let mut pages = 0u32;
    // Depth inside elements whose text is not content (annotations' metadata, etc.).
    let mut skip = 0u32;
    let mut broken = None;
    loop {
        let ev = match r.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => {
                broken = Some(format!("at byte {}: {e}", r.buffer_position()));
                break;
            }
        };
        match ev {
            Event::Eof => break,
            Event::Start(e) => {
                let n = e.name();
                let name = n.as_ref();
                if skip > 0
                    || matches!(
                        name,
                        "office:annotation"
                            | "text:tracked-changes"
                            | "office:scripts"
                            | "office:font-face-decls"
                            | "office:automatic-styles"
                    )
                {
                    skip += 1;
                } else if name == "draw:page" {
                    if pages > 0 {
                        out.push('\x0c');
                    }
                    pages += 1;
                }
            }
            Event::Empty(e) => {
                if skip > 0 {
                    continue;
                }
                match e.name().as_ref() {
                    "text:tab" => out.push('\t'),
                    "text:line-break" => out.push('\n'),
                    "text:s" => {
                        let n = e
                            .try_get_attribute("text:c")
                            .ok()
                            .flatten()
                            .and_then(|a| a.value.parse::<usize>().ok())
                            .unwrap_or(1);
                        out.push_str(&" ".repeat(n.min(64)));
                    }
                    "table:table-cell" | "table:covered-table-cell"
                        if !out.ends_with(['\n', '\t']) && !out.is_empty() =>
                    {
                        out.push('\t');
                    }
                    "draw:page" => {
                        if pages > 0 {
                            out.push('\x0c');
                        }
                        pages += 1;
                    }
                    _ => {}
                }
            }
            Event::End(e) => {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                match e.name().as_ref() {
                    "text:p" | "text:h" | "table:table-row" | "text:list-item" => out.push('\n'),
                    "table:table-cell" => out.push('\t'),
                    "table:table" => out.push('\n'),
                    _ => {}
                }
            }
            Event::Text(t) if skip == 0 => {
                let raw = t.as_ref().to_owned();
                out.push_str(&crate::html::decode_entities(&raw));
            }
            Event::GeneralRef(g) if skip == 0 => {
                let name = g.as_ref().to_owned();
                out.push_str(&crate::html::decode_entities(&format!("&{name};")));
            }
            Event::CData(t) if skip == 0 => {
                out.push_str(t.as_ref());
            }
            _ => {}
        }
        buf.clear();
    }
    // Rows end with a tab before their newline; tidy that.
    let text = out.replace("\t\n", "\n");
    let pages = if kind == Kind::Odp { pages } else { 0 };
    (text, pages, broken)
}

/// Metadata of an ODF `meta.xml`.
pub fn meta(xml: &[u8]) -> Metadata {
    let mut m = Metadata::default();
    for (name, v) in crate::office::xml_leaves(xml) {
        match name.as_str() {
            "dc:title" => m.title = Some(v),
            "dc:subject" => m.subject = Some(v),
            "meta:initial-creator" => m.author = Some(v),
            "dc:creator" => {
                if m.author.is_none() {
                    m.author = Some(v.clone());
                }
                m.last_author = Some(v);
            }
            "meta:creation-date" => m.created = Some(v),
            "dc:date" => m.modified = Some(v),
            "meta:generator" => m.creator_tool = Some(v),
            _ => {}
        }
    }
    m
}
