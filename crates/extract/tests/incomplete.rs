//! Documents whose text is read only in part say so (flag `truncated`, with why), and risky
//! PDF actions are flagged: every document generated here, extracted in this process.

use std::io::Write;

use trove_extract::{Extraction, Flag, Hint, Options, Status, extract};

fn hint(name: &str) -> Hint {
    Hint {
        name: Some(name.into()),
        mime: None,
    }
}

fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    for (name, data) in files {
        z.start_file(*name, o).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn docx(body: &str) -> Vec<u8> {
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
    );
    zip(&[
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#,
        ),
        ("word/document.xml", document.as_bytes()),
    ])
}

fn odt(body: &str) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:text>{body}</office:text></office:body></office:document-content>"#
    );
    zip(&[
        ("mimetype", b"application/vnd.oasis.opendocument.text"),
        ("content.xml", content.as_bytes()),
    ])
}

fn para_docx(t: &str) -> String {
    format!("<w:p><w:r><w:t>{t}</w:t></w:r></w:p>")
}

fn assert_truncated(e: &Extraction, what: &str) {
    assert!(
        e.flags.contains(&Flag::Truncated),
        "{what}: {:?} {:?} {:?}",
        e.flags,
        e.reason,
        e.meta.extra
    );
    assert!(
        e.reason.as_deref().is_some_and(|r| !r.is_empty()),
        "{what}: why it is incomplete: {e:?}"
    );
}

fn assert_whole(e: &Extraction, what: &str) {
    assert!(
        !e.flags.contains(&Flag::Truncated),
        "{what}: {:?} {:?}",
        e.flags,
        e.reason
    );
}

#[test]
fn text_over_the_limit_is_flagged() {
    let opts = Options {
        max_text: 1 << 20,
        ..Options::default()
    };
    let mut doc = Vec::new();
    let mut i = 0;
    while doc.len() <= 1 << 20 {
        doc.extend_from_slice(format!("renglón {i} del expediente\n").as_bytes());
        i += 1;
    }
    let e = extract(&doc, &hint("expediente.txt"), &opts);
    assert_eq!(e.status, Status::Extracted);
    assert!(e.text.len() <= 1 << 20);
    assert_truncated(&e, "text over the limit");
    // Under the limit: whole.
    let e = extract(&doc[..1 << 19], &hint("expediente.txt"), &opts);
    assert_whole(&e, "text under the limit");
}

/// Tables nested 100,000 deep: office_oxide reads 100 levels and leaves the rest out (a
/// notice in the text, nothing in its damage report).
#[test]
fn deep_docx_is_flagged() {
    let depth = 100_000;
    let mut body = para_docx("antes del anidamiento");
    body.push_str(&"<w:tbl><w:tr><w:tc>".repeat(depth));
    body.push_str(&para_docx("texto profundo"));
    body.push_str(&"</w:tc></w:tr></w:tbl>".repeat(depth));
    body.push_str(&para_docx("después del anidamiento"));
    let e = extract(&docx(&body), &hint("oficio.docx"), &Options::default());
    assert_eq!((e.format.as_str(), e.status), ("docx", Status::Extracted));
    assert!(e.text.contains("después del anidamiento"), "{e:?}");
    assert!(
        !e.text.contains("texto profundo"),
        "office_oxide now reads this nesting whole: deepen the test"
    );
    assert_truncated(&e, "deep docx");
    assert!(
        e.reason.as_deref().unwrap_or("").contains("nested"),
        "{:?}",
        e.reason
    );
    // The same nesting within the bound is whole.
    let mut body = String::new();
    body.push_str(&"<w:tbl><w:tr><w:tc>".repeat(20));
    body.push_str(&para_docx("texto profundo"));
    body.push_str(&"</w:tc></w:tr></w:tbl>".repeat(20));
    let e = extract(&docx(&body), &hint("oficio.docx"), &Options::default());
    assert!(e.text.contains("texto profundo"), "{e:?}");
    assert_whole(&e, "shallow docx");
}

/// Spans nested 100,000 deep: the OpenDocument reader streams, nothing is lost, and nothing
/// is flagged.
#[test]
fn deep_odt_is_read_whole() {
    let depth = 100_000;
    let mut body = String::from("<text:p>antes del anidamiento</text:p><text:p>");
    body.push_str(&"<text:span>".repeat(depth));
    body.push_str("texto profundo");
    body.push_str(&"</text:span>".repeat(depth));
    body.push_str("</text:p><text:p>después del anidamiento</text:p>");
    let e = extract(&odt(&body), &hint("oficio.odt"), &Options::default());
    assert_eq!((e.format.as_str(), e.status), ("odt", Status::Extracted));
    assert!(
        e.text.contains("texto profundo") && e.text.contains("después del anidamiento"),
        "{e:?}"
    );
    assert_whole(&e, "deep odt");
}

#[test]
fn broken_odt_is_flagged() {
    // The XML breaks off (a mismatched end tag) before the last paragraph.
    let body = "<text:p>primer párrafo</text:p><text:p>segundo</text:h><text:p>perdido</text:p>";
    let e = extract(&odt(body), &hint("oficio.odt"), &Options::default());
    assert_eq!(e.status, Status::Extracted);
    assert!(
        e.text.contains("primer párrafo") && !e.text.contains("perdido"),
        "{e:?}"
    );
    assert_truncated(&e, "broken odt");
    let e = extract(
        &odt("<text:p>primer párrafo</text:p><text:p>segundo</text:p>"),
        &hint("oficio.odt"),
        &Options::default(),
    );
    assert!(e.text.contains("segundo"), "{e:?}");
    assert_whole(&e, "well-formed odt");
}

/// A PDF of `objects` (object 1 the catalog), with a correct cross-reference table.
fn pdf(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A one-page PDF saying `text`, with `catalog_extra` in its catalog and `more` objects
/// (numbered from 6) after its own.
fn page_pdf(catalog_extra: &str, more: &[Vec<u8>]) -> Vec<u8> {
    let content = "BT /F1 24 Tf 72 700 Td (Oficio reservado) Tj ET";
    let mut objects = vec![
        format!("<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>").into_bytes(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_vec(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()).into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
    ];
    objects.extend(more.iter().cloned());
    pdf(&objects)
}

fn pdf_flags(bytes: &[u8]) -> Vec<Flag> {
    let e = extract(bytes, &hint("oficio.pdf"), &Options::default());
    assert_eq!(e.format, "pdf", "{e:?}");
    // Without the PDF engine too: the names are read by trove itself.
    let off = extract(
        bytes,
        &hint("oficio.pdf"),
        &Options {
            native: false,
            ..Options::default()
        },
    );
    assert_eq!(
        off.flags
            .iter()
            .filter(|f| **f != Flag::Embedded && **f != Flag::Javascript)
            .count(),
        e.flags
            .iter()
            .filter(|f| **f != Flag::Embedded && **f != Flag::Javascript)
            .count(),
        "{:?} vs {:?}",
        off.flags,
        e.flags
    );
    e.flags
}

#[test]
fn pdf_launch_action_is_flagged() {
    // Opening the document runs a program.
    let launch = page_pdf(
        "/OpenAction << /S /Launch /F (cmd.exe) /Win << /F (cmd.exe) /P (/c calc) >> >>",
        &[],
    );
    let e = extract(&launch, &hint("factura.pdf"), &Options::default());
    assert_eq!(e.status, Status::Extracted, "{e:?}");
    assert!(e.text.contains("Oficio reservado"), "{e:?}");
    assert!(e.flags.contains(&Flag::Launch), "{:?}", e.flags);
    assert!(pdf_flags(&launch).contains(&Flag::Launch));

    // The same action, its name escaped, in a compressed object stream the catalog points to.
    let action = b"6 0 << /Type /Action /S /L#61unch /F (setup.exe) >>";
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(action).unwrap();
    let packed = z.finish().unwrap();
    let mut objstm = format!(
        "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n",
        packed.len()
    )
    .into_bytes();
    objstm.extend_from_slice(&packed);
    objstm.extend_from_slice(b"\nendstream");
    let hidden = page_pdf(
        "/OpenAction 7 0 R",
        &[objstm, b"<< /S /Launch /F (x) >>".to_vec()],
    );
    assert!(pdf_flags(&hidden).contains(&Flag::Launch));
    let only_packed = page_pdf(
        "",
        &[{
            let mut o = format!(
                "<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {} >>\nstream\n",
                packed.len()
            )
            .into_bytes();
            o.extend_from_slice(&packed);
            o.extend_from_slice(b"\nendstream");
            o
        }],
    );
    assert!(
        pdf_flags(&only_packed).contains(&Flag::Launch),
        "a launch action only inside an object stream"
    );

    // JavaScript run on opening, and a file attached to a page: flagged as well.
    let js = page_pdf(
        "/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>",
        &[],
    );
    assert!(pdf_flags(&js).contains(&Flag::Javascript));
    let attached = page_pdf(
        "",
        &[
            b"<< /Type /Filespec /F (datos.exe) /EF << /F 7 0 R >> >>".to_vec(),
            b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream".to_vec(),
        ],
    );
    assert!(pdf_flags(&attached).contains(&Flag::Embedded));

    // A plain PDF is not flagged; a word in its text is not a name.
    let plain = page_pdf("", &[b"<< /Title (Launch plan: JavaScript) >>".to_vec()]);
    let e = extract(&plain, &hint("oficio.pdf"), &Options::default());
    assert_eq!(e.status, Status::Extracted, "{e:?}");
    assert!(e.flags.is_empty(), "{:?}", e.flags);
}
