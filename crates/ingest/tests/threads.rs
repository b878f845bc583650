//! Threads depend on the set of messages only: not on the order they arrive in, the number of
//! workers, or resumes.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{TestCase, corpus};
use trove_ingest::IngestOptions;

/// One message of the generated set: (Message-ID, date as days after 2019-03-04, From, To,
/// Subject, extra headers).
type Spec = (
    &'static str,
    u32,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

/// Replies by subject only (header-poor), copies, children before parents and siblings of a
/// missing parent, with Spanish and English prefixes.
const SPECS: &[Spec] = &[
    (
        "a",
        0,
        "ana@sedena.example",
        "beto@sedena.example",
        "Informe mensual",
        "",
    ),
    (
        "b",
        1,
        "beto@sedena.example",
        "ana@sedena.example",
        "Informe mensual",
        "",
    ),
    // A second copy of b, as another mailbox holds it: other bytes, same content key.
    (
        "b",
        1,
        "beto@sedena.example",
        "ana@sedena.example",
        "Informe mensual",
        "X-Folder: Enviados\n",
    ),
    (
        "r1",
        2,
        "ana@sedena.example",
        "beto@sedena.example",
        "RE: Informe mensual",
        "",
    ),
    (
        "r2",
        3,
        "carla@sedena.example",
        "beto@sedena.example",
        "RV: Informe  mensual",
        "",
    ),
    (
        "c",
        4,
        "beto@sedena.example",
        "ana@sedena.example",
        "Re: Informe mensual",
        "In-Reply-To: <a@sedena.example>\n",
    ),
    (
        "r3",
        5,
        "dora@marina.example",
        "ana@sedena.example",
        "Fwd: RE: informe mensual",
        "",
    ),
    // Too far from every earlier message with the subject to be a reply to one.
    (
        "late",
        200,
        "ana@sedena.example",
        "beto@sedena.example",
        "RE: Informe mensual",
        "",
    ),
    (
        "s1",
        6,
        "eva@sedena.example",
        "beto@sedena.example",
        "Re: Orden del día",
        "References: <gone@sedena.example>\n",
    ),
    (
        "s2",
        7,
        "beto@sedena.example",
        "eva@sedena.example",
        "Re: Orden del día",
        "In-Reply-To: <gone@sedena.example>\n",
    ),
    (
        "x",
        2,
        "zoe@policia.example",
        "yan@policia.example",
        "RE: Informe mensual",
        "",
    ),
];

fn message(s: &Spec) -> String {
    let (id, day, from, to, subject, extra) = *s;
    let date = chrono_like(day);
    format!(
        "From: {from}\nTo: {to}\nSubject: {subject}\nDate: {date}\nMessage-ID: <{id}@sedena.example>\n{extra}\n\
         Cuerpo del mensaje {id}.\n"
    )
}

/// An RFC 5322 date `day` days after Monday 2019-03-04 (no calendar crate needed for March–
/// September: months of fixed lengths).
fn chrono_like(day: u32) -> String {
    const MONTHS: [(&str, u32); 7] = [
        ("Mar", 31),
        ("Apr", 30),
        ("May", 31),
        ("Jun", 30),
        ("Jul", 31),
        ("Aug", 31),
        ("Sep", 30),
    ];
    let mut d = day + 4;
    for (name, len) in MONTHS {
        if d <= len {
            return format!("{d} {name} 2019 10:00:00 -0600");
        }
        d -= len;
    }
    panic!("day {day} out of range")
}

/// An mbox of the messages in the given order.
fn write_mbox(path: &Path, order: &[usize]) {
    let mut out = String::new();
    for &i in order {
        out.push_str("From trove@example Mon Mar  4 10:00:00 2019\n");
        out.push_str(&message(&SPECS[i]));
        out.push('\n');
    }
    std::fs::write(path, out).expect("write mbox");
}

/// Message-ID (and which copy) → thread id.
fn threads(t: &TestCase) -> BTreeMap<String, String> {
    let rows = t.strings(
        "SELECT message_id || ' ' || hex(sha256) || ' ' || thread FROM messages ORDER BY 1",
    );
    let mut by_id: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for r in rows {
        let mut f = r.split(' ');
        let (id, sha, thread) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        by_id
            .entry(id.to_string())
            .or_default()
            .push((sha.to_string(), thread.to_string()));
    }
    let mut out = BTreeMap::new();
    for (id, mut copies) in by_id {
        copies.sort();
        for (n, (_, thread)) in copies.into_iter().enumerate() {
            out.insert(format!("{id}#{n}"), thread);
        }
    }
    out
}

/// Thread of each message, as sets of Message-IDs.
fn partition(map: &BTreeMap<String, String>) -> Vec<Vec<String>> {
    let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (id, t) in map {
        let short = id.split('@').next().unwrap().trim_start_matches('<');
        groups.entry(t).or_default().push(short.to_string());
    }
    let mut out: Vec<Vec<String>> = groups.into_values().collect();
    for g in &mut out {
        g.sort();
        g.dedup();
    }
    out.sort();
    out
}

/// A deterministic shuffle (xorshift), so that failures reproduce.
fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

fn ingest_order(order: &[usize], workers: usize) -> BTreeMap<String, String> {
    let t = TestCase::new();
    let mbox = t.dir.path().join("buzon.mbox");
    write_mbox(&mbox, order);
    let mut opts = IngestOptions::new("orden", vec![mbox]);
    opts.threads = workers;
    let s = t.ingest_with(opts);
    assert_eq!(s.messages, SPECS.len() as u64, "{s:?}");
    threads(&t)
}

#[test]
fn threads_do_not_depend_on_arrival_order() {
    let n = SPECS.len();
    let forward: Vec<usize> = (0..n).collect();
    let reference = ingest_order(&forward, 1);
    // The threads the rules give, whatever the order.
    let expected: Vec<Vec<String>> = [
        // r3's latest earlier message sharing a participant (ana) is c, a's child.
        vec!["a", "c", "r3"],
        // r1 answers b (the latest before it with ana or beto), r2 answers r1 (beto).
        vec!["b", "r1", "r2"],
        vec!["late"],
        vec!["s1", "s2"],
        vec!["x"],
    ]
    .iter()
    .map(|g| g.iter().map(|s| s.to_string()).collect())
    .collect();
    assert_eq!(partition(&reference), expected);
    let mut orders = vec![forward.iter().rev().copied().collect::<Vec<_>>()];
    orders.extend((1..=12).map(|seed| shuffled(n, seed)));
    for (i, order) in orders.iter().enumerate() {
        let got = ingest_order(order, 1 + i % 2);
        assert_eq!(got, reference, "order {order:?}");
    }
}

/// Two ingests of the shared mail corpora, with one worker and with four, and a third of the
/// same files in another order: the same threads, id for id.
#[test]
fn corpus_threads_are_the_same_for_any_worker_count() {
    let dirs = [
        corpus("mail/notmuch"),
        corpus("mail/mail-parser"),
        corpus("mail/spamassassin"),
    ];
    let run = |workers: usize, reversed: bool| {
        let t = TestCase::new();
        let mut inputs: Vec<std::path::PathBuf> = dirs.to_vec();
        if reversed {
            inputs.reverse();
        }
        let mut opts = IngestOptions::new("correo", inputs);
        opts.threads = workers;
        t.ingest_with(opts);
        let n = t.count("SELECT count(*) FROM messages");
        assert!(n > 6_000, "{n} messages");
        (
            n,
            t.strings("SELECT hex(sha256) || ' ' || thread FROM messages ORDER BY 1"),
        )
    };
    let one = run(1, false);
    let four = run(4, false);
    assert_eq!(one.0, four.0);
    let diff = one.1.iter().zip(&four.1).filter(|(a, b)| a != b).count();
    assert_eq!(diff, 0, "{diff} of {} messages in another thread", one.0);
    let other = run(2, true);
    assert_eq!(one.1, other.1);
}
