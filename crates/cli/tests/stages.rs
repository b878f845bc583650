//! A stage that fails is never reported as success, and what reaches a terminal cannot
//! drive it.

use std::path::Path;
use std::process::{Command, Output};

use trove_store::Case;

fn trove() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trove"))
}

fn run(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    let mut c = trove();
    for a in args {
        c.arg(a);
    }
    c.output().expect("run trove")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write_mail(dir: &Path, name: &str, subject: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join(name),
        format!(
            "From: ana@sedena.example\nTo: beto@sedena.example\nSubject: {subject}\n\
             Date: Tue, 5 Mar 2019 10:00:00 -0600\nMessage-ID: <{name}@sedena.example>\n\n\
             Texto del oficio {subject}.\n"
        ),
    )
    .unwrap();
}

/// A re-run while another process holds the index writer lock (as a crashing run still does
/// while it ends): the catalog is written, the run says the index failed and exits non-zero,
/// status counts what is not searchable, and `trove index` finishes it once the lock is free.
#[test]
fn index_lock_held_elsewhere_is_a_failed_stage() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("caso");
    let dump = tmp.path().join("dump");
    write_mail(&dump, "uno.eml", "cuartel norte");
    assert!(run(&[&"init", &case]).status.success());

    let held = Case::open(&case).unwrap();
    let index = trove_index::SearchIndex::for_case(&held).unwrap();
    let writer = index.writer(50 << 20, 1).unwrap();

    let out = run(&[&"ingest", &case, &dump, &"--source", &"s", &"--quiet", &"--index-lock-wait", &"1"]);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "exit {:?}\n{err}", out.status);
    assert!(err.contains("being written by another trove process"), "{err}");
    assert!(err.contains("index-failed"), "{err}");

    let status = run(&[&"status", &case, &"--json"]);
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(v["index_pending"].as_u64().unwrap() >= 1, "{v}");
    assert_eq!(v["runs"][0]["status"], "index-failed", "{v}");
    let status = text(&run(&[&"status", &case]).stdout);
    assert!(status.contains("not yet searchable"), "{status}");
    let found = text(&run(&[&"count", &case, &"cuartel"]).stdout);
    assert_eq!(found.trim(), "0");

    drop(writer);
    assert!(run(&[&"index", &case]).status.success());
    let found = text(&run(&[&"count", &case, &"cuartel"]).stdout);
    assert_eq!(found.trim(), "1");
    let status = text(&run(&[&"status", &case]).stdout);
    assert!(status.contains("search index: up to date"), "{status}");
}

/// With the lock free the same ingest succeeds: the failure above is the lock's.
#[test]
fn ingest_with_free_index_succeeds_and_is_searchable() {
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("caso");
    let dump = tmp.path().join("dump");
    write_mail(&dump, "dos.eml", "cuartel sur");
    assert!(run(&[&"init", &case]).status.success());
    let out = run(&[&"ingest", &case, &dump, &"--source", &"s", &"--quiet", &"--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "finished");
    assert!(v.get("index_error").is_none());
    let found = text(&run(&[&"count", &case, &"cuartel"]).stdout);
    assert_eq!(found.trim(), "1");
}
