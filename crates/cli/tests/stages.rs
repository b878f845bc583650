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

    let out = run(&[
        &"ingest",
        &case,
        &dump,
        &"--source",
        &"s",
        &"--quiet",
        &"--index-lock-wait",
        &"1",
    ]);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "exit {:?}\n{err}", out.status);
    assert!(
        err.contains("being written by another trove process"),
        "{err}"
    );
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
    let out = run(&[
        &"ingest",
        &case,
        &dump,
        &"--source",
        &"s",
        &"--quiet",
        &"--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "finished");
    assert!(v.get("index_error").is_none());
    let found = text(&run(&[&"count", &case, &"cuartel"]).stdout);
    assert_eq!(found.trim(), "1");
}

/// Control characters in member names, subjects and headers reach the terminal escaped: no
/// escape sequence gets through, and a name cannot forge a line of the report.
#[test]
fn control_characters_never_reach_the_terminal_raw() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("caso");
    let dump = tmp.path().join("dump");
    std::fs::create_dir_all(&dump).unwrap();
    let evil = "x\x1b]0;pwned\x07\x1b[2J\u{9b}1;1H\u{202e}\n  #999 stored forged.gz";
    let mut zip = zip::ZipWriter::new(std::fs::File::create(dump.join("c.zip")).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    // A gzip stream that is not one: the member fails and is listed by `report --all`.
    zip.start_file(evil, opts).unwrap();
    zip.write_all(b"\x1f\x8b\x08\x00garbage that does not inflate")
        .unwrap();
    zip.start_file("aviso.eml", opts).unwrap();
    zip.write_all(
        "From: ana@sedena.example\nTo: beto@sedena.example\n\
         Subject: =?utf-8?q?aviso_=1B]0;titulo=07_=1B[2J_fin?=\n\
         X-Note: ok\x1b[31mrojo\nDate: Tue, 5 Mar 2019 10:00:00 -0600\n\n\
         aviso del cuartel \x1b]2;otro\x07 fin\n"
            .as_bytes(),
    )
    .unwrap();
    zip.finish().unwrap();
    assert!(run(&[&"init", &case]).status.success());
    let out = run(&[
        &"ingest",
        &case,
        &dump,
        &"--source",
        &"s\x1b[5m",
        &"--quiet",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let report = run(&[&"report", &case, &"--all"]);
    let status = run(&[&"status", &case]);
    let search = run(&[&"search", &case, &"cuartel"]);
    let facets = run(&[&"search", &case, &"*", &"--facets"]);
    let case_str = case.to_str().unwrap();
    let item = String::from_utf8(run(&[&"search", &case, &"cuartel", &"--json"]).stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(&item).unwrap();
    let id = v["hits"][0]["item"].as_i64().expect("a hit").to_string();
    let show = run(&[&"show", &case_str, &id]);
    for (name, out) in [
        ("report", &report),
        ("status", &status),
        ("search", &search),
        ("facets", &facets),
        ("show", &show),
    ] {
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        for stream in [&out.stdout, &out.stderr] {
            let s = text(stream);
            assert!(
                !s.chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t' || c == '\u{202e}'),
                "{name} printed a raw control character: {s:?}"
            );
            assert!(
                !s.lines().any(|l| l.starts_with("  #999")),
                "{name}: a name forged a line: {s}"
            );
        }
    }
    let report = text(&report.stdout);
    assert!(
        report.contains(
            "x\\x1B]0;pwned\\x07\\x1B[2J\\u{009B}1;1H\\u{202E}\\n  #999 stored forged.gz"
        ),
        "{report}"
    );
    let show = text(&show.stdout);
    assert!(
        show.contains("aviso \\x1B]0;titulo\\x07 \\x1B[2J fin"),
        "{show}"
    );
    assert!(
        show.contains("aviso del cuartel \\x1B]2;otro\\x07 fin"),
        "{show}"
    );
}
