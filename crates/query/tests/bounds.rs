//! What a search may cost, on a generated leak: deep pages and huge offsets answer with memory
//! for one page, cursors page through exactly what offsets do, and costly queries (hundreds of
//! wildcards, a wildcard matching too many words, a spent time budget) are refused with the
//! part of the query that is too costly named.

use std::sync::OnceLock;
use std::time::Duration;

use trove_ingest::{IngestOptions, Progress, ingest};
use trove_query::{Bounds, Request, SearchError, Searchable, Sort};
use trove_store::Case;
use trove_synth::{Layout, SynthConfig, generate};

struct Fixture {
    s: Searchable,
}

// Searchable holds a SQLite connection: one per test thread, on one shared case.
fn case() -> &'static (tempfile::TempDir, Case) {
    static C: OnceLock<(tempfile::TempDir, Case)> = OnceLock::new();
    C.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let leak = dir.path().join("leak");
        generate(
            &SynthConfig {
                seed: 18,
                messages: 400,
                layouts: vec![Layout::Maildir, Layout::Mbox],
                attachments: true,
            },
            &leak,
        )
        .unwrap();
        let case = Case::init(&dir.path().join("case")).unwrap();
        ingest(
            &case,
            &IngestOptions::new("SYNTH", vec![leak]),
            &Progress::default(),
        )
        .unwrap();
        (dir, case)
    })
}

fn fixture() -> Fixture {
    let (_, case) = case();
    Fixture {
        s: Searchable::open(case).unwrap(),
    }
}

fn keys(r: &trove_query::Response) -> Vec<String> {
    r.hits
        .iter()
        .map(|h| {
            format!(
                "{}/{}",
                h.key,
                h.in_attachments.first().map_or("", |a| a.key.as_str())
            )
        })
        .collect()
}

#[test]
fn a_huge_offset_is_an_empty_page_not_an_abort() {
    let f = fixture();
    let all = f.s.search(&Request::new("*")).unwrap();
    assert!(all.total > 300, "{}", all.total);
    for sort in [Sort::Relevance, Sort::Newest, Sort::Oldest] {
        let mut req = Request::new("*");
        req.sort = sort;
        req.offset = 999_999_999_999;
        req.facets = true;
        let r = f.s.search(&req).unwrap();
        assert_eq!(r.total, all.total);
        assert!(r.hits.is_empty());
        assert_eq!(r.offset, 999_999_999_999);
        assert!(r.next.is_none());
        assert!(r.facets.is_some_and(|f| !f.year.is_empty()));
    }
    // The last page by offset holds the last results.
    let mut req = Request::new("*");
    req.offset = all.total as usize - 3;
    assert_eq!(f.s.search(&req).unwrap().hits.len(), 3);
}

#[test]
fn a_page_too_large_is_refused_by_name() {
    let f = fixture();
    let mut req = Request::new("*");
    req.limit = 999_999_999_999;
    match f.s.search(&req) {
        Err(SearchError::Invalid(m)) => assert!(m.starts_with("limit:"), "{m}"),
        other => panic!("{:?}", other.map(|r| r.total)),
    }
    let mut req = Request::new("*");
    req.after = Some("not a cursor".into());
    match f.s.search(&req) {
        Err(SearchError::Invalid(m)) => assert!(m.starts_with("after:"), "{m}"),
        other => panic!("{:?}", other.map(|r| r.total)),
    }
}

/// Following `next` from page to page gives exactly the pages offsets give, and both give the
/// one big page's results in its order, for every sort.
#[test]
fn cursor_pages_equal_offset_pages() {
    let f = fixture();
    for (q, sort) in [
        ("*", Sort::Relevance),
        ("*", Sort::Newest),
        ("*", Sort::Oldest),
        ("contrato OR oficio OR reunión", Sort::Relevance),
        ("has:attachment", Sort::Newest),
    ] {
        let mut whole = Request::new(q);
        whole.sort = sort;
        whole.limit = 1000;
        whole.snippets = false;
        let whole = f.s.search(&whole).unwrap();
        assert!(whole.total > 20, "{q}: {}", whole.total);
        assert_eq!(whole.hits.len() as u64, whole.total, "{q}");
        let (mut by_cursor, mut by_offset) = (Vec::new(), Vec::new());
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut req = Request::new(q);
            req.sort = sort;
            req.limit = 7;
            req.snippets = false;
            req.after = after.clone();
            let r = f.s.search(&req).unwrap();
            assert_eq!(
                r.offset,
                by_cursor.len(),
                "{q}: the offset of a cursor page"
            );
            let mut by_off = Request::new(q);
            by_off.sort = sort;
            by_off.limit = 7;
            by_off.snippets = false;
            by_off.offset = by_cursor.len();
            let o = f.s.search(&by_off).unwrap();
            assert_eq!(keys(&r), keys(&o), "{q} {sort:?}: page {pages}");
            assert_eq!(
                r.next, o.next,
                "{q}: both pages point to the same next page"
            );
            by_cursor.extend(keys(&r));
            by_offset.extend(keys(&o));
            pages += 1;
            match r.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(by_cursor, keys(&whole), "{q} {sort:?}");
        assert_eq!(by_offset, keys(&whole), "{q} {sort:?}");
        assert!(pages >= 3, "{q}: {pages} pages");
    }
}

#[test]
fn two_hundred_wildcards_are_refused_naming_the_one_past_the_limit() {
    let f = fixture();
    let q = vec!["*x*"; 200].join(" OR ");
    assert!(q.len() > 1_300);
    match f.s.search(&Request::new(q.clone())) {
        Err(SearchError::TooCostly(e)) => {
            assert_eq!(&q[e.span.start..e.span.end], "*x*", "{e}");
            // The 65th of them: 64 are allowed.
            assert_eq!(e.span.start, 64 * "*x* OR ".len(), "{e}");
            assert!(e.message.contains("200 wildcard"), "{e}");
            assert!(e.message.contains("at most 64"), "{e}");
        }
        other => panic!("{:?}", other.map(|r| r.total)),
    }
    // Counting and graphs are held to the same bounds.
    assert!(matches!(f.s.count(&q), Err(SearchError::TooCostly(_))));
    assert!(matches!(
        trove_query::explore::graph(&f.s, &q, 10),
        Err(SearchError::TooCostly(_))
    ));
    // And 2,000 fuzzy words.
    let q = (0..2000)
        .map(|i| format!("palabra{i}~2"))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(matches!(
        f.s.search(&Request::new(q)),
        Err(SearchError::TooCostly(_))
    ));
}

#[test]
fn a_wildcard_matching_too_many_words_is_refused_by_name() {
    let f = fixture();
    let bounds = Bounds {
        max_expansions: 40,
        ..Bounds::STANDARD
    };
    let q = "from:ana OR *a* OR contrat*";
    let mut req = Request::new(q);
    req.bounds = bounds;
    match f.s.search(&req) {
        Err(SearchError::TooCostly(e)) => {
            assert_eq!(&q[e.span.start..e.span.end], "*a*", "{e}");
            assert!(e.message.contains("more than 40 different words"), "{e}");
        }
        other => panic!("{:?}", other.map(|r| r.total)),
    }
    // A narrow one passes under the same bounds, and finds what it finds unbounded.
    let mut narrow = Request::new("contrat*");
    narrow.bounds = bounds;
    let bounded = f.s.search(&narrow).unwrap();
    narrow.bounds = Bounds::UNBOUNDED;
    let unbounded = f.s.search(&narrow).unwrap();
    assert!(bounded.total > 0);
    assert_eq!(bounded.total, unbounded.total);
    assert_eq!(keys(&bounded), keys(&unbounded));
    // Fuzzy words count their expansions too.
    let mut fuzzy = Request::new("contrato~2 OR ana");
    fuzzy.bounds = Bounds {
        max_expansions: 1,
        ..Bounds::STANDARD
    };
    match f.s.search(&fuzzy) {
        Err(SearchError::TooCostly(e)) => assert_eq!(e.span.start, 0, "{e}"),
        other => panic!("{:?}", other.map(|r| r.total)),
    }
    // The total over all clauses is bounded as well.
    let mut many = Request::new("contrat* OR ofici* OR reuni*");
    many.bounds = Bounds {
        max_total_expansions: 3,
        ..Bounds::STANDARD
    };
    assert!(matches!(f.s.search(&many), Err(SearchError::TooCostly(_))));
}

#[test]
fn a_spent_time_budget_stops_the_query() {
    let f = fixture();
    let mut req = Request::new("contrat* OR oficio");
    req.bounds = Bounds {
        time: Some(Duration::ZERO),
        ..Bounds::STANDARD
    };
    match f.s.search(&req) {
        Err(SearchError::TooCostly(e)) => assert!(e.message.contains("time budget"), "{e}"),
        other => panic!("{:?}", other.map(|r| r.total)),
    }
    assert!(matches!(
        f.s.count_within("oficio", req.bounds),
        Err(SearchError::TooCostly(_))
    ));
    // Exports have no time limit, and the same results.
    let mut n = 0;
    f.s.for_each_key("oficio", &mut |_| {
        n += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(n, f.s.count("oficio").unwrap());
}
