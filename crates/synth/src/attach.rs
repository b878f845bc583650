//! Real, structurally valid attachment files: PDF 1.4, DOCX, XLSX, JPEG (with EXIF) and zip
//! archives, all with Spanish text inside so text extraction can be tested downstream.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, System, ZipWriter};

use crate::SynthError;
use crate::mime::{Charset, When, encode};

/// A text document: title plus lines (`true` = bold heading line).
#[derive(Debug, Clone)]
pub struct DocText {
    pub title: String,
    pub author: String,
    pub lines: Vec<(bool, String)>,
}

#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    Num(i64),
    Money(i64), // cents
}

fn pdf_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'(');
    for b in encode(s, Charset::Cp1252) {
        match b {
            b'(' | b')' | b'\\' => {
                out.push(b'\\');
                out.push(b);
            }
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
        }
    }
    out.push(b')');
}

/// Wrap to a column width (characters) for fixed-layout outputs.
fn wrap_lines(text: &str, width: usize) -> Vec<String> {
    let mut s = String::new();
    crate::text::wrap(text, width, &mut s);
    s.split('\n').map(str::to_string).collect()
}

/// A small, valid PDF 1.4 with Helvetica/WinAnsiEncoding text and an exact xref table.
pub fn pdf(doc: &DocText, when: When) -> Vec<u8> {
    const LINES_PER_PAGE: usize = 46;
    let mut rendered: Vec<(bool, String)> = Vec::new();
    for (bold, l) in &doc.lines {
        if l.is_empty() {
            rendered.push((false, String::new()));
        } else {
            for w in wrap_lines(l, 86) {
                rendered.push((*bold, w));
            }
        }
    }
    let pages: Vec<&[(bool, String)]> = if rendered.is_empty() {
        vec![&[][..]]
    } else {
        rendered.chunks(LINES_PER_PAGE).collect()
    };
    let npages = pages.len();
    // Objects: 1 catalog, 2 pages, 3 font, 4 bold font, 5 info, then (page, content) pairs.
    let total_objs = 5 + 2 * npages;
    let mut out: Vec<u8> = Vec::with_capacity(2048 + rendered.len() * 80);
    out.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    let mut offsets = vec![0usize; total_objs + 1];
    let kids: Vec<String> = (0..npages).map(|i| format!("{} 0 R", 6 + 2 * i)).collect();

    offsets[1] = out.len();
    out.extend_from_slice(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    offsets[2] = out.len();
    out.extend_from_slice(
        format!(
            "2 0 obj\n<< /Type /Pages /Kids [{}] /Count {} >>\nendobj\n",
            kids.join(" "),
            npages
        )
        .as_bytes(),
    );
    offsets[3] = out.len();
    out.extend_from_slice(b"3 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>\nendobj\n");
    offsets[4] = out.len();
    out.extend_from_slice(b"4 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>\nendobj\n");
    offsets[5] = out.len();
    out.extend_from_slice(b"5 0 obj\n<< /Title ");
    pdf_string(&doc.title, &mut out);
    out.extend_from_slice(b" /Author ");
    pdf_string(&doc.author, &mut out);
    out.extend_from_slice(
        b" /Creator (Microsoft\\256 Word 2010) /Producer (Microsoft\\256 Word 2010) /CreationDate ",
    );
    pdf_string(&when.pdf(), &mut out);
    out.extend_from_slice(b" /ModDate ");
    pdf_string(&when.pdf(), &mut out);
    out.extend_from_slice(b" >>\nendobj\n");

    for (i, page) in pages.iter().enumerate() {
        let page_obj = 6 + 2 * i;
        let content_obj = page_obj + 1;
        let mut content: Vec<u8> = Vec::with_capacity(page.len() * 90);
        content.extend_from_slice(b"BT\n/F1 10 Tf\n14 TL\n72 740 Td\n");
        let mut cur_bold = false;
        for (bold, line) in page.iter() {
            if *bold != cur_bold {
                content.extend_from_slice(if *bold {
                    b"/F2 11 Tf\n"
                } else {
                    b"/F1 10 Tf\n"
                });
                cur_bold = *bold;
            }
            pdf_string(line, &mut content);
            content.extend_from_slice(b" Tj T*\n");
        }
        content.extend_from_slice(b"ET\n");
        offsets[page_obj] = out.len();
        out.extend_from_slice(
            format!(
                "{page_obj} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {content_obj} 0 R >>\nendobj\n"
            )
            .as_bytes(),
        );
        offsets[content_obj] = out.len();
        out.extend_from_slice(
            format!(
                "{content_obj} 0 obj\n<< /Length {} >>\nstream\n",
                content.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&content);
        out.extend_from_slice(b"endstream\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", total_objs + 1).as_bytes());
    for off in offsets.iter().skip(1) {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            total_objs + 1
        )
        .as_bytes(),
    );
    out
}

pub fn xml_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

fn opts(when: When) -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(when.zip_time())
        .system(System::Dos)
}

fn zip_entries(
    entries: &[(&str, &[u8])],
    when: When,
    method: CompressionMethod,
) -> Result<Vec<u8>, SynthError> {
    let mut zw = ZipWriter::new(Cursor::new(Vec::with_capacity(4096)));
    for (name, data) in entries {
        let o = opts(when).compression_method(method);
        let o = if method == CompressionMethod::Stored {
            o.compression_level(None)
        } else {
            o
        };
        zw.start_file(*name, o)?;
        zw.write_all(data)
            .map_err(|e| SynthError::io("<zip attachment>", e))?;
    }
    Ok(zw.finish()?.into_inner())
}

fn core_xml(doc_title: &str, author: &str, when: When) -> String {
    let mut t = String::new();
    xml_escape(doc_title, &mut t);
    let mut a = String::new();
    xml_escape(author, &mut a);
    let d = when.iso_utc();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{t}</dc:title><dc:creator>{a}</dc:creator><cp:lastModifiedBy>{a}</cp:lastModifiedBy><dcterms:created xsi:type=\"dcterms:W3CDTF\">{d}</dcterms:created><dcterms:modified xsi:type=\"dcterms:W3CDTF\">{d}</dcterms:modified></cp:coreProperties>"
    )
}

const RELS_CT: &str = "application/vnd.openxmlformats-package.relationships+xml";

/// Minimal valid WordprocessingML package.
pub fn docx(doc: &DocText, when: When) -> Result<Vec<u8>, SynthError> {
    let content_types = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"{RELS_CT}\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/><Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/></Types>"
    );
    let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/></Relationships>";
    let mut body = String::with_capacity(doc.lines.len() * 120 + 600);
    body.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>");
    for (bold, line) in &doc.lines {
        body.push_str("<w:p>");
        if !line.is_empty() {
            body.push_str("<w:r>");
            if *bold {
                body.push_str("<w:rPr><w:b/></w:rPr>");
            }
            body.push_str("<w:t xml:space=\"preserve\">");
            xml_escape(line, &mut body);
            body.push_str("</w:t></w:r>");
        }
        body.push_str("</w:p>");
    }
    body.push_str("<w:sectPr><w:pgSz w:w=\"12240\" w:h=\"15840\"/><w:pgMar w:top=\"1440\" w:right=\"1440\" w:bottom=\"1440\" w:left=\"1440\" w:header=\"708\" w:footer=\"708\" w:gutter=\"0\"/></w:sectPr></w:body></w:document>");
    let core = core_xml(&doc.title, &doc.author, when);
    zip_entries(
        &[
            ("[Content_Types].xml", content_types.as_bytes()),
            ("_rels/.rels", rels.as_bytes()),
            ("word/document.xml", body.as_bytes()),
            ("docProps/core.xml", core.as_bytes()),
        ],
        when,
        CompressionMethod::Deflated,
    )
}

fn col_name(mut c: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

/// Minimal valid SpreadsheetML package with inline strings.
pub fn xlsx(
    title: &str,
    author: &str,
    rows: &[Vec<Cell>],
    when: When,
) -> Result<Vec<u8>, SynthError> {
    let content_types = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"{RELS_CT}\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/><Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/></Types>"
    );
    let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/></Relationships>";
    let workbook = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"Hoja1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
    let wb_rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>";
    let mut sheet = String::with_capacity(rows.len() * 200 + 300);
    sheet.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>");
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, cell) in row.iter().enumerate() {
            let rf = format!("{}{}", col_name(c), r + 1);
            match cell {
                Cell::Text(t) => {
                    sheet.push_str(&format!("<c r=\"{rf}\" t=\"inlineStr\"><is><t>"));
                    xml_escape(t, &mut sheet);
                    sheet.push_str("</t></is></c>");
                }
                Cell::Num(n) => sheet.push_str(&format!("<c r=\"{rf}\"><v>{n}</v></c>")),
                Cell::Money(cents) => sheet.push_str(&format!(
                    "<c r=\"{rf}\"><v>{}.{:02}</v></c>",
                    cents / 100,
                    cents % 100
                )),
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let core = core_xml(title, author, when);
    zip_entries(
        &[
            ("[Content_Types].xml", content_types.as_bytes()),
            ("_rels/.rels", rels.as_bytes()),
            ("xl/workbook.xml", workbook.as_bytes()),
            ("xl/_rels/workbook.xml.rels", wb_rels.as_bytes()),
            ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
            ("docProps/core.xml", core.as_bytes()),
        ],
        when,
        CompressionMethod::Deflated,
    )
}

/// Big-endian TIFF/EXIF block with ASCII tags (description, make, model, date, artist).
fn exif(description: &str, artist: &str, when: When) -> Vec<u8> {
    let l = when.local();
    let date = format!(
        "{:04}:{:02}:{:02} {:02}:{:02}:{:02}",
        l.year, l.month, l.day, l.hour, l.minute, l.second
    );
    let tags: [(u16, Vec<u8>); 5] = [
        (0x010E, description.as_bytes().to_vec()),
        (0x010F, b"Apple".to_vec()),
        (0x0110, b"iPhone 6".to_vec()),
        (0x0132, date.into_bytes()),
        (0x013B, artist.as_bytes().to_vec()),
    ];
    let n = tags.len();
    let ifd_size = 2 + n * 12 + 4;
    let mut data_off = 8 + ifd_size;
    let mut head = Vec::with_capacity(256);
    let mut tail = Vec::with_capacity(128);
    head.extend_from_slice(b"MM\x00\x2A\x00\x00\x00\x08");
    head.extend_from_slice(&(n as u16).to_be_bytes());
    for (tag, val) in &tags {
        let mut v = val.clone();
        v.push(0);
        head.extend_from_slice(&tag.to_be_bytes());
        head.extend_from_slice(&2u16.to_be_bytes());
        head.extend_from_slice(&(v.len() as u32).to_be_bytes());
        if v.len() <= 4 {
            let mut inline = [0u8; 4];
            inline[..v.len()].copy_from_slice(&v);
            head.extend_from_slice(&inline);
        } else {
            head.extend_from_slice(&(data_off as u32).to_be_bytes());
            data_off += v.len();
            tail.extend_from_slice(&v);
        }
    }
    head.extend_from_slice(&0u32.to_be_bytes());
    head.extend_from_slice(&tail);
    head
}

/// A small baseline JPEG (a smooth generated picture) with EXIF metadata.
pub fn jpeg(
    w: u16,
    h: u16,
    colors: [u8; 6],
    description: &str,
    artist: &str,
    when: When,
) -> Result<Vec<u8>, SynthError> {
    let (w32, h32) = (u32::from(w.max(1)), u32::from(h.max(1)));
    let mut px = Vec::with_capacity((w32 * h32 * 3) as usize);
    for y in 0..h32 {
        for x in 0..w32 {
            let t = (x * 255 / w32) as u16;
            let u = (y * 255 / h32) as u16;
            let wave = (((x * 7 + y * 3) % 32) * 4) as u16;
            px.push(((u16::from(colors[0]) * (255 - t) + u16::from(colors[3]) * t) / 255) as u8);
            px.push(((u16::from(colors[1]) * (255 - u) + u16::from(colors[4]) * u) / 255) as u8);
            px.push(((u16::from(colors[2]) + wave + u16::from(colors[5]) / 2) / 2) as u8);
        }
    }
    let mut out = Vec::with_capacity(4096);
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 80);
    enc.add_exif_metadata(&exif(description, artist, when))
        .map_err(|e| SynthError::Jpeg(e.to_string()))?;
    enc.encode(&px, w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| SynthError::Jpeg(e.to_string()))?;
    Ok(out)
}

/// A zip archive of already-built files (names may contain accents; stored as UTF-8).
pub fn zip_of(files: &[(String, Vec<u8>)], when: When) -> Result<Vec<u8>, SynthError> {
    // Make member names unique the way a desktop would: "name (2).ext".
    let mut names: Vec<String> = Vec::with_capacity(files.len());
    for (n, _) in files {
        let mut cand = n.clone();
        let mut k = 2;
        while names.contains(&cand) {
            cand = match n.rfind('.') {
                Some(dot) => format!("{} ({k}){}", &n[..dot], &n[dot..]),
                None => format!("{n} ({k})"),
            };
            k += 1;
        }
        names.push(cand);
    }
    let entries: Vec<(&str, &[u8])> = names
        .iter()
        .zip(files)
        .map(|(n, (_, d))| (n.as_str(), d.as_slice()))
        .collect();
    zip_entries(&entries, when, CompressionMethod::Deflated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_xref_is_exact() {
        let doc = DocText {
            title: "Memorándum (prueba)".into(),
            author: "José Núñez".into(),
            lines: vec![
                (true, "SECRETARÍA DE LA DEFENSA NACIONAL".into()),
                (false, "Texto de prueba con información. ".repeat(400)),
            ],
        };
        let p = pdf(
            &doc,
            When {
                unix: 1_300_000_000,
                offset: -21600,
            },
        );
        assert!(p.starts_with(b"%PDF-1.4"));
        let find = |n: &[u8]| p.windows(n.len()).rposition(|w| w == n);
        let sx = find(b"startxref\n").unwrap();
        let tail = std::str::from_utf8(&p[sx + 10..]).unwrap();
        let xref: usize = tail.lines().next().unwrap().parse().unwrap();
        assert!(p[xref..].starts_with(b"xref"));
        let table = std::str::from_utf8(&p[xref..sx]).unwrap();
        let mut n = 0;
        for (i, line) in table
            .lines()
            .skip(3)
            .take_while(|l| l.trim_end().ends_with(" n"))
            .enumerate()
        {
            let off: usize = line[..10].parse().unwrap();
            assert!(p[off..].starts_with(format!("{} 0 obj", i + 1).as_bytes()));
            n += 1;
        }
        assert!(n >= 7, "multi-page document has {n} objects");
        assert!(find(b"(SECRETAR\\315A DE LA DEFENSA NACIONAL) Tj").is_some());
    }

    #[test]
    fn jpeg_is_jpeg() {
        let j = jpeg(
            64,
            48,
            [10, 20, 30, 200, 150, 100],
            "Fotografía",
            "Tte. Pérez",
            When {
                unix: 1_300_000_000,
                offset: -21600,
            },
        )
        .unwrap();
        assert_eq!(&j[..2], &[0xFF, 0xD8]);
        assert_eq!(&j[j.len() - 2..], &[0xFF, 0xD9]);
    }
}
