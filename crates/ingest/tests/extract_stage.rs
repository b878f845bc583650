//! The extraction stage on documents generated here: limits checked before any byte is read,
//! big blobs streamed to the workers, outcomes that do not depend on arrival order, and text
//! that is incomplete said so.

mod common;

use std::path::Path;

use common::TestCase;

/// A message from one sender with the text "Adjunto." and these attachments.
fn mail(id: &str, subject: &str, atts: &[(&str, &str, &[u8])]) -> Vec<u8> {
    common::mail(
        id,
        "José Núñez <jnunez@defensa.gob.mx>",
        subject,
        "Adjunto.",
        atts,
    )
    .into_bytes()
}
use trove_ingest::IngestOptions;
use trove_ingest::extract_stage::{StageOptions, StageProgress, StageStats};
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
    trove_ingest::extract_stage::run(&t.case, opts, &StageProgress::default()).expect("stage")
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
        .sql()
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
    assert!(
        text.starts_with("palabra0 oficio\npalabra1 oficio"),
        "{}",
        &text[..40]
    );
    assert!(
        text.trim_end().ends_with("fin del expediente zacatecas"),
        "{}",
        &text[text.len() - 60..]
    );
    assert!(text.contains("palabra1000000 oficio"));
}

/// The three documents of the carrier tests, each under two names: a program (as
/// `factura.pdf` and as `setup.exe`), a table attached as `notas.txt` and as `datos.csv`, and
/// a loose table saved as `informe.txt` and as `datos.csv`.
struct Carried {
    program: Vec<u8>,
    table: Vec<u8>,
    loose: Vec<u8>,
}

impl Carried {
    fn new() -> Self {
        let mut program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
        program.extend((0..240u32).map(|i| (i * 7) as u8));
        Carried {
            program,
            table: b"nombre;cargo;oficina\nAna Ruiz;jefa;Zacatecas\nLuis Mora;auxiliar;Puebla\n"
                .to_vec(),
            loose: b"clave;monto\n2314;1500\n2315;2750\n".to_vec(),
        }
    }

    /// Two inputs: `d1` with one carrier of each, `d2` with the other.
    fn inputs(&self, root: &Path) -> [std::path::PathBuf; 2] {
        let (d1, d2) = (root.join("d1"), root.join("d2"));
        write(
            &d1,
            "correo/1.eml",
            &mail(
                "uno@sedena",
                "Factura",
                &[
                    ("factura.pdf", "application/pdf", &self.program),
                    ("notas.txt", "text/plain", &self.table),
                ],
            ),
        );
        write(&d1, "informe.txt", &self.loose);
        write(
            &d2,
            "correo/2.eml",
            &mail(
                "dos@sedena",
                "Instalador",
                &[
                    ("setup.exe", "application/x-msdownload", &self.program),
                    ("datos.csv", "text/csv", &self.table),
                ],
            ),
        );
        write(&d2, "datos.csv", &self.loose);
        [d1, d2]
    }

    /// What the catalog says of each document, everything an outcome is made of.
    fn rows(&self, t: &TestCase) -> Vec<String> {
        [&self.program, &self.table, &self.loose]
            .iter()
            .map(|b| {
                let r = row(t, &sha256(b));
                format!(
                    "{} {} {:?} {:?} {:?} {}",
                    r.format, r.status, r.reason, r.flags, r.text_sha256, r.text_len
                )
            })
            .collect()
    }
}

/// The same bytes under two names, in either order, and with the second carrier arriving
/// after the first was extracted: one outcome, judged under every carrier's name.
#[test]
fn carriers_in_any_order_give_one_outcome() {
    let docs = Carried::new();
    let mut seen = Vec::new();
    for (order, late) in [([0, 1], false), ([1, 0], false), ([1, 0], true)] {
        let t = TestCase::new();
        let inputs = docs.inputs(t.dir.path());
        ingest_only(&t, "orden", &inputs[order[0]]);
        let mut re_extracted = 0;
        if late {
            let first = stage(&t, &StageOptions::default());
            assert_eq!(first.documents, 3, "{first:?}");
        }
        ingest_only(&t, "orden", &inputs[order[1]]);
        let stats = stage(&t, &StageOptions::default());
        if late {
            re_extracted = stats.re_extracted;
        }
        let rows = docs.rows(&t);
        // Judged under every name: the program named as a PDF is a mismatch; both tables are
        // read under their first name in a stable order (`datos.csv`).
        assert!(
            rows[0].starts_with("executable skipped")
                && rows[0].contains(r#"["executable", "mismatch"]"#),
            "{order:?} {late}: {}",
            rows[0]
        );
        assert!(
            rows[1].starts_with("csv extracted"),
            "{order:?} {late}: {}",
            rows[1]
        );
        assert!(
            rows[2].starts_with("csv extracted"),
            "{order:?} {late}: {}",
            rows[2]
        );
        if late {
            assert_eq!(re_extracted, 3, "each document got a new name");
            // Nothing changed for a third run with nothing new.
            let again = stage(&t, &StageOptions::default());
            assert_eq!((again.documents, again.re_extracted), (0, 0), "{again:?}");
        }
        seen.push(rows);
    }
    assert_eq!(seen[0], seen[1], "arrival order");
    assert_eq!(seen[0], seen[2], "a carrier after the extraction");
}

/// Text cut at the (lowered) text limit is recorded as extracted in part: the `truncated`
/// flag, its reason, and the report's count.
#[test]
fn cut_text_reported() {
    let t = TestCase::new();
    let input = t.dir.path().join("in");
    let long = words(300 << 10);
    write(&input, "largo.txt", &long);
    write(&input, "corto.txt", &words(10 << 10));
    ingest_only(&t, "cortes", &input);
    let mut opts = StageOptions::default();
    opts.extract.max_text = 100 << 10;
    let stats = stage(&t, &opts);
    assert_eq!(stats.extracted, 2, "{stats:?}");
    let r = row(&t, &sha256(&long));
    assert_eq!(r.status, "extracted");
    assert!(r.text_len <= 100 << 10, "{}", r.text_len);
    assert_eq!(r.flags, ["truncated"]);
    assert!(
        r.reason
            .as_deref()
            .is_some_and(|w| w.contains("text limit")),
        "{:?}",
        r.reason
    );
    let report = extraction::report(&t.case.reader().unwrap()).unwrap();
    assert_eq!(report.truncated, 1, "{report:?}");
    assert_eq!(report.flags.get("truncated"), Some(&1));
    assert!(
        report.reasons.iter().any(|x| x.status == "extracted"
            && x.documents == 1
            && x.reason.contains("text limit")),
        "{:?}",
        report.reasons
    );
}
