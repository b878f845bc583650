//! Ingest of the shared real-world corpora: counts, accounting, parsing of known messages.

mod common;

use common::{TestCase, corpus, files_on_disk};
use trove_store::query;

/// The report accounts for every input file and byte, each in exactly one outcome.
fn assert_accounted(t: &TestCase, source: &str, dir: &std::path::Path) {
    let (files, bytes) = files_on_disk(dir);
    let reports = query::report(&t.case.reader().unwrap()).unwrap();
    let r = reports
        .iter()
        .find(|r| r.source == source)
        .expect("source in report");
    assert_eq!(r.inputs_total.items, files, "{source}: files accounted");
    assert_eq!(r.inputs_total.bytes, bytes, "{source}: bytes accounted");
    let sum: u64 = r.inputs.values().map(|t| t.items).sum();
    let sum_bytes: u64 = r.inputs.values().map(|t| t.bytes).sum();
    assert_eq!(
        (sum, sum_bytes),
        (files, bytes),
        "{source}: outcomes sum to 100%"
    );
    assert_eq!(r.incomplete, 0, "{source}: no container left incomplete");
}

#[test]
fn spamassassin_every_message() {
    let dir = corpus("mail/spamassassin");
    let t = TestCase::new();
    t.ingest("spam", &[&dir]);
    assert_accounted(&t, "spam", &dir);
    // 6,046 raw messages, one file each, every one a stored message.
    assert_eq!(t.count("SELECT COUNT(*) FROM items WHERE parent_id IS NULL AND message IS NOT NULL AND outcome = 'stored'"), 6046);
    let per_set = t.strings(
        "SELECT folder || ' ' || COUNT(*) FROM items WHERE parent_id IS NULL GROUP BY folder ORDER BY folder",
    );
    assert_eq!(
        per_set,
        [
            "spamassassin/easy-ham-1 2500",
            "spamassassin/easy-ham-2 1400",
            "spamassassin/hard-ham-1 250",
            "spamassassin/spam-1 500",
            "spamassassin/spam-2 1396"
        ]
        .map(String::from)
    );
    // Attached messages become items of their own, linked to their parent.
    let attached =
        t.count("SELECT COUNT(*) FROM items WHERE kind = 'attachment' AND message IS NOT NULL");
    assert!(attached >= 5, "{attached}");
    assert_eq!(
        t.count("SELECT COUNT(*) FROM attachments WHERE is_message = 1 AND item_id IS NULL"),
        0
    );
    // A known message, parsed: easy-ham-1/00001.
    let subject = t.strings(
        "SELECT m.subject FROM messages m JOIN items i ON i.id = m.item_id WHERE i.locator LIKE '%easy-ham-1/00001.7c53336b37003a9286aba55d2945844c.txt'",
    );
    assert_eq!(subject, vec!["Re: New Sequences Window".to_owned()]);
    let from = t.strings(
        "SELECT a.name || ' <' || a.address || '>' FROM addresses a JOIN messages m ON m.id = a.message JOIN items i ON i.id = m.item_id
         WHERE i.locator LIKE '%easy-ham-1/00001.7c53336b37003a9286aba55d2945844c.txt' AND a.role = 'from'",
    );
    assert_eq!(from, vec!["Robert Elz <kre@munnari.oz.au>".to_owned()]);
}

#[test]
fn perceval_mboxes_split_on_envelopes_only() {
    let dir = corpus("mail/mbox-perceval");
    let t = TestCase::new();
    t.ingest("perceval", &[&dir]);
    assert_accounted(&t, "perceval", &dir);
    let counts = t.strings(
        "SELECT p.name || ' ' || COUNT(*) FROM items i JOIN items p ON p.id = i.parent_id
         WHERE p.format = 'mbox' GROUP BY p.id ORDER BY p.name",
    );
    assert_eq!(
        counts,
        [
            "hyperkitty_2016_april.mbox 3",
            "mbox_complex.mbox 2",
            "mbox_multipart.mbox 2",
            "mbox_no_fields.mbox 6",
            "pipermail_2015_november.mbox 4",
            "pipermail_2016_april.mbox 3",
        ]
        .map(String::from)
    );
    // The non-ASCII envelope line (which crashes Python's mbox reader) is a message.
    let enc = t.strings("SELECT outcome FROM items WHERE name = 'mbox_iso8859_encoding.mbox'");
    assert_eq!(enc, vec!["stored".to_owned()]);
    // List-archive addresses `user at host (Name)` are read as addresses, not names.
    let at_forms = t.count("SELECT COUNT(*) FROM addresses WHERE role = 'from' AND address LIKE '%@%' AND address NOT LIKE '% at %'");
    let all_from = t.count("SELECT COUNT(*) FROM addresses WHERE role = 'from'");
    assert_eq!(at_forms, all_from, "every From parsed to an address");
    assert!(t.count("SELECT COUNT(*) FROM addresses WHERE address = 'andy@example.com'") > 0);
}

#[test]
fn malformed_messages_each_get_an_outcome() {
    let dir = corpus("mail/mail-parser");
    let t = TestCase::new();
    t.ingest("mp", &[&dir]);
    assert_accounted(&t, "mp", &dir);
    let malformed = corpus("mail/mail-parser/eml/malformed");
    let (files, _) = files_on_disk(&malformed);
    let recorded = t.count(&format!(
        "SELECT COUNT(*) FROM items WHERE parent_id IS NULL AND locator LIKE '{}/%'",
        malformed.canonicalize().unwrap().display()
    ));
    assert_eq!(recorded as u64, files);
    // Damaged messages are stored with flags, never dropped.
    assert!(t.count("SELECT COUNT(*) FROM messages WHERE problems IS NOT NULL") > 10);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM items WHERE outcome = 'failed'"),
        0
    );
    // The Maildir++ tree: folders and flags kept.
    let folders = t.strings("SELECT DISTINCT folder || ' ' || COALESCE(flags, '') FROM items WHERE locator LIKE '%/maildir/%' ORDER BY 1");
    assert!(
        folders.contains(&"mail-parser/maildir/My Folder/Nested Folder FP".to_owned()),
        "{folders:?}"
    );
    assert!(
        folders.contains(&"mail-parser/maildir/INBOX STln".to_owned()),
        "{folders:?}"
    );
}

#[test]
fn hostile_mail_is_stored_never_run() {
    let dir = corpus("mail/hostile");
    let t = TestCase::new();
    t.ingest("hostile", &[&dir]);
    assert_accounted(&t, "hostile", &dir);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM items WHERE parent_id IS NULL AND message IS NOT NULL"),
        22
    );
    // Zipped malware in attachments is opened as data and stored as blobs.
    assert!(
        t.count("SELECT COUNT(*) FROM items WHERE kind = 'attachment' AND format = 'zip'") >= 4
    );
    assert!(
        t.count("SELECT COUNT(*) FROM items WHERE format = 'executable' AND outcome = 'stored'")
            >= 2
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM items WHERE outcome = 'failed'"),
        0
    );
}

#[test]
fn notmuch_cpython_gmime_accounted() {
    for (name, rel, messages) in [
        ("notmuch", "mail/notmuch", 315),
        ("cpython", "mail/cpython", 47),
        ("gmime", "mail/gmime", 8),
    ] {
        let dir = corpus(rel);
        let t = TestCase::new();
        t.ingest(name, &[&dir]);
        assert_accounted(&t, name, &dir);
        let top =
            t.count("SELECT COUNT(*) FROM items WHERE parent_id IS NULL AND message IS NOT NULL");
        assert_eq!(top, messages, "{name}: message files");
    }
}

#[test]
fn rerun_adds_nothing() {
    let dir = corpus("mail/notmuch");
    let t = TestCase::new();
    let first = t.ingest("n", &[&dir]);
    let before = t.count("SELECT COUNT(*) FROM items");
    let second = t.ingest("n", &[&dir]);
    assert_eq!(t.count("SELECT COUNT(*) FROM items"), before);
    assert!(second.outcomes.is_empty(), "{:?}", second.outcomes);
    assert_eq!(
        second.already_done as i64,
        t.count("SELECT COUNT(*) FROM items WHERE parent_id IS NULL")
    );
    assert!(first.outcomes["stored"] > 0);
}
