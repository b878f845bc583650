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

    pub fn count(&self, sql: &str) -> i64 {
        let cat = self.case.reader().expect("reader");
        cat.connection()
            .query_row(sql, [], |r| r.get(0))
            .expect(sql)
    }

    pub fn strings(&self, sql: &str) -> Vec<String> {
        let cat = self.case.reader().expect("reader");
        let mut st = cat.connection().prepare(sql).expect(sql);
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
