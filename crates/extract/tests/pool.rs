//! The worker pool on documents generated here: streamed sources, readers that fail, and
//! the worker's frames.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use trove_extract::pool::{Pool, PoolConfig, Source};
use trove_extract::{Extraction, Hint, Options, Status};

fn worker() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_trove-extract-worker"))
}

fn pool() -> Pool {
    let mut cfg = PoolConfig::discover().expect("worker");
    cfg.program = worker();
    cfg.args = Vec::new();
    cfg.workers = 1;
    Pool::new(cfg).expect("pool")
}

fn hint(name: &str) -> Hint {
    Hint {
        name: Some(name.into()),
        mime: None,
    }
}

fn text_doc(n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    let mut i = 0;
    while v.len() < n {
        v.extend_from_slice(format!("renglón {i} del oficio\n").as_bytes());
        i += 1;
    }
    v
}

/// Gives its bytes a few at a time, then fails or ends early when told.
struct Dribble<'a> {
    data: &'a [u8],
    pos: usize,
    fail_at: Option<usize>,
}

impl Read for Dribble<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(at) = self.fail_at
            && self.pos >= at
        {
            return Err(std::io::Error::other("disk went away"));
        }
        let n = buf.len().min(7777).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn streamed(pool: &Pool, data: &[u8], size: u64, fail_at: Option<usize>) -> Extraction {
    let mut r = Dribble {
        data,
        pos: 0,
        fail_at,
    };
    pool.extract_source(
        Source::Stream {
            reader: &mut r,
            size,
        },
        &[hint("oficio.txt")],
        &Options::default(),
        0,
    )
}

#[test]
fn a_stream_reads_like_bytes() {
    let pool = pool();
    let doc = text_doc(3 << 20);
    let whole = pool.extract(&doc, &hint("oficio.txt"), &Options::default());
    let got = streamed(&pool, &doc, doc.len() as u64, None);
    assert_eq!(got.status, Status::Extracted, "{:?}", got.reason);
    assert_eq!(got.format, "text");
    assert_eq!(got.text, whole.text);
    assert!(got.text.contains("renglón 100000 del oficio"));
    assert_eq!(pool.stats().bytes_sent, 2 * doc.len() as u64);
}

#[test]
fn a_failing_stream_fails_the_document_not_the_pool() {
    let pool = pool();
    let doc = text_doc(2 << 20);
    // The reader fails half-way: the document fails, with why.
    let got = streamed(&pool, &doc, doc.len() as u64, Some(1 << 20));
    assert_eq!(got.status, Status::Failed);
    let reason = got.reason.unwrap_or_default();
    assert!(
        reason.contains("document bytes unavailable") && reason.contains("disk went away"),
        "{reason}"
    );
    // A reader shorter than its stated size: the same.
    let got = streamed(&pool, &doc, doc.len() as u64 + 10, None);
    assert_eq!(got.status, Status::Failed);
    assert!(
        got.reason
            .as_deref()
            .is_some_and(|r| r.contains("document bytes unavailable")),
        "{:?}",
        got.reason
    );
    // Nothing crashed, and the next document is read as usual (by a new worker: the one that
    // held half a document is gone).
    let ok = streamed(&pool, &doc, doc.len() as u64, None);
    assert_eq!(ok.status, Status::Extracted, "{:?}", ok.reason);
    let s = pool.stats();
    assert_eq!((s.crashed, s.timed_out), (0, 0), "{s:?}");
    assert_eq!(s.spawned, 3, "{s:?}");
}

/// A minimal .docx: one paragraph.
fn docx(text: &str) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    z.start_file("[Content_Types].xml", o).unwrap();
    z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#).unwrap();
    z.start_file("_rels/.rels", o).unwrap();
    z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#).unwrap();
    z.start_file("word/document.xml", o).unwrap();
    z.write_all(format!(r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>"#).as_bytes()).unwrap();
    z.finish().unwrap().into_inner()
}

fn frame(out: &mut impl Read) -> Vec<u8> {
    let mut len = [0u8; 8];
    out.read_exact(&mut len).unwrap();
    let mut v = vec![0u8; u64::from_le_bytes(len) as usize];
    out.read_exact(&mut v).unwrap();
    v
}

/// The worker says what it recognised before it parses (the parent only sees a zip's first
/// bytes), then answers.
#[test]
fn the_worker_says_the_format_first() {
    let doc = docx("Oficio de la Secretaría");
    let mut child = Command::new(worker())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let job = serde_json::to_vec(&trove_extract::worker::Job {
        hint: hint("oficio.docx"),
        carriers: Vec::new(),
        opts: Options::default(),
        cpu_seconds: 60,
    })
    .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&(job.len() as u32).to_le_bytes()).unwrap();
    stdin.write_all(&job).unwrap();
    stdin.write_all(&(doc.len() as u64).to_le_bytes()).unwrap();
    stdin.write_all(&doc).unwrap();
    let mut out = child.stdout.take().unwrap();
    let detected: trove_extract::worker::Detected =
        serde_json::from_slice(&frame(&mut out)).unwrap();
    assert_eq!(detected.format, "docx");
    let answer: Extraction = serde_json::from_slice(&frame(&mut out)).unwrap();
    assert_eq!(answer.format, "docx");
    assert!(
        answer.text.contains("Oficio de la Secretaría"),
        "{answer:?}"
    );
    drop(stdin);
    assert!(child.wait().unwrap().success());
    // The parent's own guess from the first bytes does not open the zip.
    assert_eq!(
        trove_extract::detect::head_kind(&doc[..64], &hint("oficio.docx")).as_str(),
        "archive"
    );
}
