//! Helpers shared by the ingest tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use trove_ingest::{IngestOptions, Progress, RunSummary, ingest};
use trove_store::Case;

/// A folder of the shared corpora, which must exist (a test that needs it fails without it).
pub fn corpus(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora")
        .join(rel);
    assert!(
        p.exists(),
        "test corpus missing: {} (../shared/corpora beside the checkout)",
        p.display()
    );
    p
}

pub struct TestCase {
    pub dir: tempfile::TempDir,
    pub case: Case,
}

impl TestCase {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let case = Case::init(&dir.path().join("case")).expect("init");
        TestCase { dir, case }
    }

    pub fn ingest(&self, source: &str, inputs: &[&Path]) -> RunSummary {
        let opts = IngestOptions::new(source, inputs.iter().map(|p| p.to_path_buf()).collect());
        self.ingest_with(opts)
    }

    pub fn ingest_with(&self, opts: IngestOptions) -> RunSummary {
        ingest(&self.case, &opts, &Progress::default()).expect("ingest")
    }

    /// The catalog file, opened read-only with SQLite itself: the tests check what trove
    /// wrote independently of trove-store.
    pub fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(
            self.case.catalog_path(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("catalog file")
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.sql().query_row(sql, [], |r| r.get(0)).expect(sql)
    }

    pub fn strings(&self, sql: &str) -> Vec<String> {
        let cat = self.sql();
        let mut st = cat.prepare(sql).expect(sql);
        st.query_map([], |r| r.get::<_, String>(0))
            .expect(sql)
            .map(|r| r.expect("row"))
            .collect()
    }
}

/// Every file under a folder, with sizes, walked independently of trove.
pub fn files_on_disk(dir: &Path) -> (u64, u64) {
    let mut n = 0;
    let mut bytes = 0;
    for e in walkdir::WalkDir::new(dir).follow_links(false) {
        let e = e.expect("walk");
        if !e.file_type().is_dir() {
            n += 1;
            bytes += e.metadata().expect("metadata").len();
        }
    }
    (n, bytes)
}

/// Base64 in lines of 76 characters, as mail writes it.
pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    let s = base64::engine::general_purpose::STANDARD.encode(bytes);
    s.as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// A multipart message with a text body and base64 attachments (name, MIME type, bytes).
pub fn mail(
    id: &str,
    from: &str,
    subject: &str,
    body: &str,
    atts: &[(&str, &str, &[u8])],
) -> String {
    let mut m = format!(
        "From: {from}\r\nTo: ana@sedena.gob.mx\r\nSubject: {subject}\r\nDate: Tue, 15 Mar 2016 09:30:01 -0600\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    );
    for (name, mime, data) in atts {
        m.push_str(&format!(
            "--b\r\nContent-Type: {mime}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            b64(data)
        ));
    }
    m.push_str("--b--\r\n");
    m
}

/// A tar of (name, bytes) members.
pub fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}
