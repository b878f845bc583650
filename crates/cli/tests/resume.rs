//! Crash safety: `kill -9` an ingest at several moments, run it again, and the catalog equals
//! an uninterrupted run's: nothing lost, nothing twice, every blob intact.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use trove_store::{Case, query};

fn trove() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trove"))
}

fn corpus(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora")
        .join(rel);
    assert!(p.exists(), "test corpus missing: {}", p.display());
    p
}

/// A dump with one big mbox (every spamassassin message), a zip of some of them and loose
/// files, so that a kill lands inside each kind of container.
fn build_dump(dir: &Path) {
    let spam = corpus("mail/spamassassin");
    let mut files: Vec<PathBuf> = walkdir(&spam);
    files.sort();
    std::fs::create_dir_all(dir.join("loose")).unwrap();
    let mut mbox = std::fs::File::create(dir.join("todo.mbox")).unwrap();
    let zip_file = std::fs::File::create(dir.join("parte.zip")).unwrap();
    let mut zip = zip::ZipWriter::new(zip_file);
    for (i, f) in files.iter().enumerate() {
        let data = std::fs::read(f).unwrap();
        // spamassassin files start with an envelope line: concatenated, they are an mbox.
        mbox.write_all(&data).unwrap();
        if !data.ends_with(b"\n") {
            mbox.write_all(b"\n").unwrap();
        }
        mbox.write_all(b"\n").unwrap();
        if i % 3 == 0 {
            zip.start_file(
                format!("m/{i}.eml"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            zip.write_all(&data).unwrap();
        }
        if i % 7 == 0 {
            std::fs::write(dir.join("loose").join(format!("{i}.eml")), &data).unwrap();
        }
    }
    zip.finish().unwrap();
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The catalog as a comparable set: every item with its outcome, bytes, duplicate target and
/// thread.
fn snapshot(case: &Path) -> Vec<String> {
    let case = Case::open(case).unwrap();
    // The catalog file itself, read with SQLite: independent of trove-store.
    let cat = rusqlite::Connection::open_with_flags(
        case.catalog_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut st = cat
        .prepare(
            "SELECT i.locator, i.outcome, COALESCE(hex(i.sha256), ''), COALESCE(d.locator, ''), i.complete,
                    COALESCE(hex(m.content_key), ''), COALESCE(i.byte_offset, -1), COALESCE(i.byte_length, -1),
                    COALESCE(m.thread, '')
             FROM items i LEFT JOIN items d ON d.id = i.duplicate_of LEFT JOIN messages m ON m.id = i.message ORDER BY i.locator",
        )
        .unwrap();
    st.query_map([], |r| {
        Ok(format!(
            "{}|{}|{}|{}|{}|{}|{}|{}|{}",
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, i64>(6)?,
            r.get::<_, i64>(7)?,
            r.get::<_, String>(8)?
        ))
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

/// The extraction half of the report (`report --json`'s `extraction`): formats, outcomes,
/// flags and reasons of every distinct document.
fn extraction(case: &Path) -> serde_json::Value {
    let case = Case::open(case).unwrap();
    let r = trove_store::extraction::report(&case.reader().unwrap()).unwrap();
    assert_eq!(r.not_extracted, 0, "{r:?}");
    serde_json::to_value(&r).unwrap()
}

fn init(case: &Path) {
    assert!(trove().arg("init").arg(case).status().unwrap().success());
}

fn ingest(case: &Path, dump: &Path) -> Command {
    let mut c = trove();
    c.args(["ingest", "--quiet", "--source", "crash"])
        .arg(case)
        .arg(dump);
    c
}

/// An uninterrupted ingest of the dump: its catalog snapshot and how long it took.
fn reference_run(tmp: &Path, dump: &Path) -> (Vec<String>, Duration) {
    let reference = tmp.join("reference");
    init(&reference);
    let t = Instant::now();
    assert!(ingest(&reference, dump).status().unwrap().success());
    (snapshot(&reference), t.elapsed())
}

/// Starts the ingest again and again, killing it (SIGKILL) after growing delays, until a run
/// finishes or eight were killed; then one last run to the end. Returns the kills.
fn kill_and_resume(case: &Path, dump: &Path, step: Duration) -> u32 {
    let step = step.max(Duration::from_millis(30));
    let mut kills = 0;
    for i in 1..=8u32 {
        let mut child = ingest(case, dump)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(step * i / 2);
        match child.try_wait().unwrap() {
            Some(status) => {
                assert!(status.success());
                break;
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
            }
        }
    }
    assert!(ingest(case, dump).status().unwrap().success());
    kills
}

fn assert_same(expected: &[String], got: &[String]) {
    let missing: Vec<_> = expected
        .iter()
        .filter(|e| !got.contains(e))
        .take(5)
        .collect();
    let extra: Vec<_> = got
        .iter()
        .filter(|g| !expected.contains(g))
        .take(5)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}\nextra {extra:?}"
    );
    assert_eq!(got.len(), expected.len());
}

#[test]
fn kill_nine_and_resume_equals_uninterrupted() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    build_dump(&dump);

    let (expected, full) = reference_run(tmp.path(), &dump);
    assert!(expected.len() > 8000, "{}", expected.len());

    let crashed = tmp.path().join("crashed");
    init(&crashed);
    // Kill at moments spread over a full run's duration, each time on a resumed run.
    let kills = kill_and_resume(&crashed, &dump, full / 6);
    assert!(
        kills >= 2,
        "the ingest should have been killed mid-run at least twice ({kills})"
    );
    assert_same(&expected, &snapshot(&crashed));
    // The same report: each document judged under all its carriers, whichever came first.
    assert_eq!(
        extraction(&crashed),
        extraction(&tmp.path().join("reference"))
    );

    // Every blob intact, every stored item has its blob; the pack tails cut by crashes are gone.
    let case = Case::open(&crashed).unwrap();
    let v = query::verify(&case, &case.reader().unwrap()).unwrap();
    assert!(v.bad.is_empty() && v.orphans == 0, "{v:?}");
    let runs = query::status(&case.reader().unwrap()).unwrap().runs;
    // A kill during start-up, before the run is recorded, leaves no run behind; the others do.
    assert!(runs.iter().any(|r| r.status == "interrupted"), "{runs:?}");
    assert_eq!(runs.last().map(|r| r.status.as_str()), Some("finished"));
}

/// The same for Outlook stores: a kill lands inside a PST/OST, and the rerun reads on from the
/// messages already recorded (by locator: folder path and node id).
#[test]
fn kill_nine_inside_outlook_stores_and_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let dump = tmp.path().join("dump");
    std::fs::create_dir_all(&dump).unwrap();
    for f in [
        "enron.pst",
        "pstextractortest@outlook.com.ost",
        "pstextractortestpdf@outlook.com.ost",
    ] {
        std::fs::copy(corpus(&format!("outlook/pst/{f}")), dump.join(f)).unwrap();
    }
    let (expected, full) = reference_run(tmp.path(), &dump);
    assert_eq!(
        expected.len(),
        3 + 71 + 183 + 162,
        "the stores and their messages"
    );

    let crashed = tmp.path().join("crashed");
    init(&crashed);
    let kills = kill_and_resume(&crashed, &dump, full / 5);
    assert!(kills >= 2, "{kills}");
    assert_same(&expected, &snapshot(&crashed));
    assert_eq!(
        extraction(&crashed),
        extraction(&tmp.path().join("reference"))
    );
}
