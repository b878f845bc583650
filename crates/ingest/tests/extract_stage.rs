//! The extraction stage on documents generated here: limits checked before any byte is read,
//! big blobs streamed to the workers, outcomes that do not depend on arrival order, and text
//! that is incomplete said so.

mod common;

use std::path::Path;

use common::TestCase;
use trove_extract::stage::{StageOptions, StageProgress, StageStats};
use trove_ingest::IngestOptions;
use trove_store::extraction::{self, ExtractionRow};

fn write(dir: &Path, rel: &str, data: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

/// Ingests `input` into the case without extracting.
fn ingest_only(t: &TestCase, source: &str, input: &Path) {
    let mut opts = IngestOptions::new(source, vec![input.to_path_buf()]);
    opts.extract = None;
    opts.index = false;
    t.ingest_with(opts);
}

fn stage(t: &TestCase, opts: &StageOptions) -> StageStats {
    trove_extract::stage::run(&t.case, opts, &StageProgress::default()).expect("stage")
}

fn row(t: &TestCase, sha: &[u8; 32]) -> ExtractionRow {
    let cat = t.case.reader().unwrap();
    extraction::extraction(&cat, sha)
        .unwrap()
        .unwrap_or_else(|| panic!("no extraction for {}", hex::encode(sha)))
}

fn sha256(b: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(b).into()
}

/// Text of `n` bytes: numbered Spanish words, one line each, so that a cut shows.
fn words(n: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(n + 32);
    let mut i = 0u64;
    while v.len() < n {
        v.extend_from_slice(format!("palabra{i} oficio\n").as_bytes());
        i += 1;
    }
    v.truncate(n);
    v
}

/// A loose document over the (lowered) extraction limit is refused from the size the catalog
/// records: its bytes are not read (here they are made unreadable first, so reading them
/// would fail the document) and no worker is given them.
#[test]
fn over_the_limit_refused_unread() {
    let t = TestCase::new();
    let input = t.dir.path().join("in");
    let limit: u64 = 1 << 20;
    let big = words(limit as usize + 1);
    write(&input, "grande.txt", &big);
    ingest_only(&t, "limits", &input);
    let sha = sha256(&big);
    // Overwrite the stored bytes in their pack: the catalog still says where and how big.
    let (pack, offset, stored): (i64, i64, i64) = t
        .case
        .reader()
        .unwrap()
        .connection()
        .query_row(
            "SELECT pack, pack_offset, stored_size FROM blobs WHERE sha256 = ?1",
            [&sha[..]],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let path = trove_store::blobs::pack_file(&t.case.root().join("blobs"), pack as u32);
    {
        use std::os::unix::fs::FileExt;
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.write_all_at(&vec![0u8; stored as usize], offset as u64)
            .unwrap();
    }
    let opts = StageOptions {
        max_document: limit,
        ..StageOptions::default()
    };
    let stats = stage(&t, &opts);
    let r = row(&t, &sha);
    assert_eq!(r.status, "skipped", "{r:?}");
    let reason = r.reason.unwrap_or_default();
    assert!(
        reason.contains(&format!("{} bytes", limit + 1)) && reason.contains(&limit.to_string()),
        "the size and the limit: {reason}"
    );
    assert_eq!(r.format, "text", "as the ingest recognised it");
    assert_eq!(stats.skipped, 1, "{stats:?}");
    assert_eq!(
        (stats.pool.jobs, stats.pool.bytes_sent),
        (0, 0),
        "no worker was given the document: {stats:?}"
    );
}

/// A document in a large blob of its own (≥ 32 MiB) goes to the worker streamed from the blob
/// store, and comes back whole.
#[test]
fn large_blob_streamed_whole() {
    let t = TestCase::new();
    let input = t.dir.path().join("in");
    let mut doc = words(40 << 20);
    doc.extend_from_slice(b"\nfin del expediente zacatecas\n");
    write(&input, "expediente.txt", &doc);
    ingest_only(&t, "big", &input);
    let sha = sha256(&doc);
    let large: i64 = t.count(&format!(
        "SELECT COUNT(*) FROM blobs WHERE sha256 = x'{}' AND pack IS NULL",
        hex::encode(sha)
    ));
    assert_eq!(large, 1, "stored as a large blob");
    let stats = stage(&t, &StageOptions::default());
    assert_eq!(stats.pool.bytes_sent, doc.len() as u64, "{stats:?}");
    let r = row(&t, &sha);
    assert_eq!(r.status, "extracted", "{r:?}");
    let cat = t.case.reader().unwrap();
    let text_sha: [u8; 32] = hex::decode(r.text_sha256.unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let text = t.case.read_blob(&cat, &text_sha).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with("palabra0 oficio\npalabra1 oficio"), "{}", &text[..40]);
    assert!(
        text.trim_end().ends_with("fin del expediente zacatecas"),
        "{}",
        &text[text.len() - 60..]
    );
    assert!(text.contains("palabra1000000 oficio"));
}
