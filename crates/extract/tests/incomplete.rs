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
    assert!(e.reason.as_deref().unwrap_or("").contains("nested"), "{:?}", e.reason);
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
    assert!(e.text.contains("primer párrafo") && !e.text.contains("perdido"), "{e:?}");
    assert_truncated(&e, "broken odt");
    let e = extract(
        &odt("<text:p>primer párrafo</text:p><text:p>segundo</text:p>"),
        &hint("oficio.odt"),
        &Options::default(),
    );
    assert!(e.text.contains("segundo"), "{e:?}");
    assert_whole(&e, "well-formed odt");
}
