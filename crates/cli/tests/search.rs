//! `trove search` on a generated leak: any offset answers (a huge one with no results, not an
//! abort), a page too large or a negative offset is refused naming the option, cursors page on,
//! and a query too costly to run fails with the part of it named.

use std::path::Path;
use std::process::{Command, Output};

fn trove(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trove"))
        .args(args)
        .output()
        .expect("run trove")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn build(dir: &Path) -> String {
    let leak = dir.join("leak");
    let case = dir.join("case");
    let leak_s = leak.to_string_lossy().into_owned();
    let case_s = case.to_string_lossy().into_owned();
    let o = trove(&[
        "synth",
        &leak_s,
        "--messages",
        "120",
        "--layouts",
        "maildir",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = trove(&["init", &case_s]);
    assert!(o.status.success(), "{}", text(&o));
    let o = trove(&["ingest", &case_s, &leak_s, "--quiet"]);
    assert!(o.status.success(), "{}", text(&o));
    case_s
}

#[test]
fn offsets_limits_cursors_and_costly_queries() {
    let dir = tempfile::tempdir().unwrap();
    let case = build(dir.path());
    // A huge offset: no results, a clean exit.
    for sort in ["relevance", "newest"] {
        let o = trove(&[
            "search",
            &case,
            "*",
            "--json",
            "--sort",
            sort,
            "--offset",
            "999999999999",
        ]);
        assert!(o.status.success(), "{}", text(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(r["total"].as_u64().unwrap() > 50, "{r}");
        assert_eq!(r["hits"].as_array().map(Vec::len), Some(0), "{r}");
    }
    // A page too large, a negative or non-numeric offset: refused, naming the option.
    for (args, name) in [
        (vec!["--limit", "999999999999"], "--limit"),
        (vec!["--limit", "0"], "--limit"),
        (vec!["--offset=-1"], "--offset"),
        (vec!["--offset", "lots"], "--offset"),
        (vec!["--offset", "99999999999999999999999"], "--offset"),
    ] {
        let mut all = vec!["search", &case, "*"];
        all.extend(args.iter().copied());
        let o = trove(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(name), "{args:?}: {}", text(&o));
    }
    // Cursors: the second page by cursor is the second page by offset.
    let page = |extra: &[&str]| -> serde_json::Value {
        let mut all = vec!["search", &case, "*", "--json", "--limit", "5"];
        all.extend(extra.iter().copied());
        let o = trove(&all);
        assert!(o.status.success(), "{}", text(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let first = page(&[]);
    let next = first["next"].as_str().expect("a next cursor").to_owned();
    let by_cursor = page(&["--after", &next]);
    let by_offset = page(&["--offset", "5"]);
    let keys = |r: &serde_json::Value| -> Vec<String> {
        r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["key"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(keys(&by_cursor), keys(&by_offset));
    assert_eq!(keys(&by_cursor).len(), 5);
    assert_eq!(by_cursor["offset"], 5);
    let o = trove(&["search", &case, "*", "--after", "garbage"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("after:"), "{}", text(&o));
    // 200 wildcards: refused, the one past the limit shown.
    let q = vec!["*x*"; 200].join(" ");
    let o = trove(&["search", &case, &q]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("query too costly") && t.contains("at most 64"),
        "{t}"
    );
    let o = trove(&["count", &case, &q]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}
