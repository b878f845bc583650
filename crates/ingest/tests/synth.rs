//! The synthetic leak against its ground truth: every copy of every message found, linked,
//! and decoded exactly as the generator wrote it (raw 8-bit headers and split encoded words
//! included).

mod common;

use std::collections::HashMap;

use common::TestCase;
use trove_synth::{Layout, SynthConfig, generate};

#[test]
fn synthetic_leak_matches_its_manifest() {
    let t = TestCase::new();
    let leak = t.dir.path().join("leak");
    let cfg = SynthConfig {
        seed: 11,
        messages: 2500,
        layouts: Layout::ALL.to_vec(),
        attachments: true,
    };
    let manifest = generate(&cfg, &leak).unwrap();
    t.ingest("synth", &[&leak]);

    // Every file accounted for (the two manifest files are in the folder too).
    let (files, bytes) = common::files_on_disk(&leak);
    assert_eq!(files, manifest.files + 2);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM items WHERE parent_id IS NULL") as u64,
        files
    );
    assert_eq!(
        t.count("SELECT SUM(size) FROM items WHERE parent_id IS NULL") as u64,
        bytes
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM items WHERE outcome = 'failed' OR complete = 0"),
        0
    );

    // Copies: one distinct message per logical message, every copy a location.
    let top_keys = t.count(
        "SELECT COUNT(DISTINCT m.content_key) FROM items i JOIN messages m ON m.id = i.message WHERE i.kind != 'attachment'",
    );
    assert_eq!(top_keys as u64, manifest.logical_messages);
    let locations =
        t.count("SELECT COUNT(*) FROM items WHERE message IS NOT NULL AND kind != 'attachment'");
    assert_eq!(locations as u64, manifest.copies);

    // Field by field against the ground truth.
    let cat = t.sql();
    let mut st = cat
        .prepare(
            "SELECT m.message_id, m.subject, m.date, m.from_addr, COUNT(*), COUNT(DISTINCT m.content_key)
             FROM items i JOIN messages m ON m.id = i.message WHERE i.kind != 'attachment' GROUP BY m.message_id, m.subject, m.date, m.from_addr",
        )
        .unwrap();
    let mut found: HashMap<String, (String, i64, String, i64, i64)> = HashMap::new();
    for row in st
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .unwrap()
    {
        let (id, subject, date, from, n, keys) = row.unwrap();
        assert!(
            found
                .insert(id.clone(), (subject, date, from, n, keys))
                .is_none(),
            "copies of {id} disagree on subject, date or sender"
        );
    }
    let mut raw8 = 0;
    let mut split = 0;
    for m in trove_synth::read_messages(&leak).unwrap() {
        let id = m.message_id.trim_matches(|c| c == '<' || c == '>');
        let (subject, date, from, n, keys) = found
            .get(id)
            .unwrap_or_else(|| panic!("message {id} not found"));
        assert_eq!(
            subject, &m.subject,
            "subject of {id} (raw 8-bit: {}, split word: {})",
            m.raw_8bit, m.split_encoded_word
        );
        assert_eq!(*date, m.unix, "date of {id}");
        assert_eq!(from, &m.from, "sender of {id}");
        assert_eq!(*n as u64, m.copies as u64, "copies of {id}");
        assert_eq!(*keys, 1, "copies of {id} linked");
        raw8 += m.raw_8bit as usize;
        split += m.split_encoded_word as usize;
    }
    assert!(
        raw8 > 50 && split > 50,
        "the corpus exercises the hard cases ({raw8}, {split})"
    );
}

/// The extraction queue comes from the catalog page by page (a leak has millions of
/// documents): small pages hand out every pending document exactly once, keep each message's
/// attachments together, and the stage then extracts exactly what was counted.
#[test]
fn extraction_queue_pages_cover_every_document_once() {
    use std::collections::{BTreeSet, HashSet};
    use trove_store::extraction::{Carrier, PendingCursor};

    let t = TestCase::new();
    let leak = t.dir.path().join("leak");
    let cfg = SynthConfig {
        seed: 5,
        messages: 600,
        layouts: Layout::ALL.to_vec(),
        attachments: true,
    };
    generate(&cfg, &leak).unwrap();
    let mut opts = trove_ingest::IngestOptions::new("synth", vec![leak.clone()]);
    opts.extract = None;
    opts.index = false;
    t.ingest_with(opts);

    let expected: BTreeSet<Vec<u8>> = {
        let cat = t.sql();
        let mut st = cat
            .prepare(
                "SELECT sha256 FROM items WHERE message IS NULL AND outcome = 'stored' AND sha256 IS NOT NULL
                 UNION SELECT sha256 FROM attachments WHERE is_message = 0",
            )
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let loose = t.count("SELECT COUNT(*) FROM items WHERE message IS NULL AND outcome = 'stored' AND sha256 IS NOT NULL");
    assert!(
        loose > 20 && expected.len() as i64 > loose + 100,
        "{loose} loose of {}",
        expected.len()
    );

    let cat = t.case.reader().unwrap();
    assert_eq!(cat.pending_count().unwrap(), expected.len() as u64);
    let mut cursor = PendingCursor::default();
    let (mut got, mut pages) = (BTreeSet::new(), 0);
    let mut carriers_done: HashSet<[u8; 32]> = HashSet::new();
    loop {
        let page = cat.pending_page(&mut cursor, 5).unwrap();
        if page.is_empty() {
            break;
        }
        pages += 1;
        let mut in_page = HashSet::new();
        for d in page {
            assert!(got.insert(d.sha256.to_vec()), "handed out twice");
            if let Carrier::Message { message_sha256, .. } = d.carrier {
                assert!(
                    !carriers_done.contains(&message_sha256),
                    "a message's attachments split over pages"
                );
                in_page.insert(message_sha256);
            }
        }
        carriers_done.extend(in_page);
    }
    assert!(pages > expected.len() / 5 / 2, "{pages} pages");

    assert_eq!(got, expected);

    let stats = trove_ingest::extract_stage::run(
        &t.case,
        &trove_ingest::extract_stage::StageOptions::default(),
        &trove_ingest::extract_stage::StageProgress::default(),
    )
    .unwrap();
    assert_eq!(stats.documents, expected.len() as u64);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM extractions") as usize,
        expected.len()
    );
    assert_eq!(t.case.reader().unwrap().pending_count().unwrap(), 0);
}

/// `trove reindex` reads the catalog's keys page by page: rebuilt in pages of seven, the
/// index answers as the one built while ingesting, with one document per message and per
/// distinct document (loose or attached, even when both).
#[test]
fn reindex_in_pages_rebuilds_the_same_index() {
    let t = TestCase::new();
    let leak = t.dir.path().join("leak");
    let cfg = SynthConfig {
        seed: 8,
        messages: 500,
        layouts: Layout::ALL.to_vec(),
        attachments: true,
    };
    generate(&cfg, &leak).unwrap();
    t.ingest("synth", &[&leak]);
    let queries = [
        "*",
        "kind:message",
        "kind:attachment",
        "kind:document",
        "oficio",
        "has:attachment",
        "has:text",
        "vehiculos",
    ];
    let counts = |t: &TestCase| -> Vec<u64> {
        let s = trove_query::Searchable::open(&t.case).unwrap();
        queries.iter().map(|q| s.count(q).unwrap()).collect()
    };
    let before = counts(&t);
    let messages = t.count("SELECT COUNT(DISTINCT content_key) FROM messages") as u64;
    let documents = t.count(
        "SELECT COUNT(*) FROM (SELECT sha256 FROM items WHERE message IS NULL AND outcome = 'stored' AND sha256 IS NOT NULL
         UNION SELECT sha256 FROM attachments WHERE is_message = 0)",
    ) as u64;
    assert!(
        messages > 100 && documents > 50,
        "{messages} messages, {documents} documents"
    );
    assert!(before.iter().all(|&n| n > 0), "{before:?}");

    let stats = trove_index::reindex_in_pages(&t.case, 64 << 20, 1, &|_| {}, 7).unwrap();
    assert_eq!(stats.documents, messages + documents);
    assert_eq!(counts(&t), before);
}

/// `trove verify` re-reads every blob (streamed in pack order) and names the one whose bytes
/// were changed on disk.
#[test]
fn verify_reads_every_blob_and_names_a_changed_one() {
    use std::io::{Seek, SeekFrom, Write};

    let t = TestCase::new();
    let leak = t.dir.path().join("leak");
    let cfg = SynthConfig {
        seed: 3,
        messages: 150,
        layouts: Layout::ALL.to_vec(),
        attachments: true,
    };
    generate(&cfg, &leak).unwrap();
    let mut opts = trove_ingest::IngestOptions::new("synth", vec![leak]);
    opts.extract = None;
    opts.index = false;
    t.ingest_with(opts);
    let blobs = t.count("SELECT COUNT(*) FROM blobs") as u64;
    let stored = t.count("SELECT SUM(size) FROM blobs") as u64;

    let v = trove_store::query::verify(&t.case, &t.case.reader().unwrap()).unwrap();
    assert_eq!(
        (v.blobs, v.bytes, v.bad.len(), v.orphans),
        (blobs, stored, 0, 0)
    );

    // Change one byte in the middle of one packed blob.
    let (sha, pack, offset, len): (Vec<u8>, i64, i64, i64) = t
        .sql()
        .query_row(
            "SELECT sha256, pack, pack_offset, stored_size FROM blobs WHERE pack IS NOT NULL ORDER BY stored_size DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let path = t
        .case
        .root()
        .join("blobs/packs")
        .join(format!("pack-{pack:06}.zpk"));
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    f.seek(SeekFrom::Start((offset + len / 2) as u64)).unwrap();
    let mut b = [0u8; 1];
    std::io::Read::read_exact(&mut f, &mut b).unwrap();
    f.seek(SeekFrom::Current(-1)).unwrap();
    f.write_all(&[b[0] ^ 0x5a]).unwrap();
    drop(f);

    let v = trove_store::query::verify(&t.case, &t.case.reader().unwrap()).unwrap();
    assert_eq!(v.blobs, blobs);
    assert_eq!(v.bad, vec![hex::encode(&sha)]);
}
