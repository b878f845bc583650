//! Outlook stores, .msg files and TNEF streams through the whole ingest: every message a
//! member with its folder, per-folder reconciliation in the container, accounting to 100%.
//! Counts, names and hashes were taken with pffexport, readpst and `tnef` (see
//! crates/outlook/tests/corpus.rs).

mod common;

use common::{TestCase, corpus, files_on_disk};
use trove_store::query;

fn assert_accounted(t: &TestCase, source: &str, files: u64, bytes: u64) {
    let reports = query::report(&t.case.reader().unwrap()).unwrap();
    let r = reports
        .iter()
        .find(|r| r.source == source)
        .expect("source in report");
    assert_eq!(
        (r.inputs_total.items, r.inputs_total.bytes),
        (files, bytes),
        "{source}: inputs accounted"
    );
    let sum: u64 = r.inputs.values().map(|t| t.items).sum();
    assert_eq!(sum, files, "{source}: outcomes sum to 100%");
    assert_eq!(r.incomplete, 0, "{source}: no container left incomplete");
}

#[test]
fn enron_pst_every_message_in_its_folder() {
    let pst = corpus("outlook/pst/enron.pst");
    let t = TestCase::new();
    t.ingest("enron", &[&pst]);
    let size = std::fs::metadata(&pst).unwrap().len();
    assert_accounted(&t, "enron", 1, size);
    // The store is a container, read completely: no reconciliation note.
    let store = t.strings("SELECT outcome || '|' || COALESCE(reason, '') || '|' || format FROM items WHERE parent_id IS NULL");
    assert_eq!(store, ["container||pst"]);
    let members =
        "SELECT COUNT(*) FROM items i JOIN items p ON p.id = i.parent_id WHERE p.parent_id IS NULL";
    assert_eq!(t.count(members), 71);
    assert_eq!(
        t.count(&format!(
            "{members} AND i.message IS NOT NULL AND i.outcome IN ('stored', 'duplicate')"
        )),
        71
    );
    let base = "Top of Personal Folders/lokay-m/MLOKAY (Non-Privileged)";
    let folders = t.strings(
        "SELECT i.folder || ' ' || COUNT(*) FROM items i JOIN items p ON p.id = i.parent_id WHERE p.parent_id IS NULL GROUP BY i.folder ORDER BY i.folder",
    );
    assert_eq!(
        folders,
        [
            format!("{base} 1"),
            format!("{base}/Personal 47"),
            format!("{base}/Sent Items 2"),
            format!("{base}/Systems 7"),
            format!("{base}/TW-Commercial Group 14")
        ]
    );
    // Locators name the folder and the node id, so that a rerun knows what is done.
    let loc = t.strings(
        "SELECT locator FROM items WHERE folder LIKE '%/Systems' ORDER BY locator LIMIT 1",
    );
    assert!(
        loc[0].ends_with(&format!("enron.pst!/{base}/Systems/2097636")),
        "{loc:?}"
    );
    // 70 attachments, with pffexport's names and SHA-256s.
    assert_eq!(t.count("SELECT COUNT(*) FROM attachments"), 70);
    for (name, hash) in [
        (
            "TAHOE INFORMATOIN.doc",
            "09e08361abaf87d368f7d72038ffa73b2ccc688d9a538ef1b411ff60426e4e14",
        ),
        (
            "TWEOL.pdf",
            "d16dc3810709300fd9afa92ad881bb3d1e5925c43f95fe6ae533a7717b08224a",
        ),
        (
            "image001.gif",
            "c3fa24260c4992b9ccf9d1be613b65968517d826c942e7982db6bcbe9272fcc9",
        ),
    ] {
        let got = t.strings(&format!(
            "SELECT lower(hex(sha256)) FROM attachments WHERE name = '{name}'"
        ));
        assert!(got.contains(&hash.to_owned()), "{name}: {got:?}");
    }
    // Subjects and senders as the transport headers give them.
    let from = t.strings(
        "SELECT COALESCE(m.from_name, '') || ' <' || COALESCE(m.from_addr, '') || '>' FROM messages m WHERE m.subject = 'Sending customer information from ENVISION'",
    );
    assert_eq!(from.len(), 1);
    assert!(from[0].to_lowercase().contains("@"), "{from:?}");
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM messages WHERE subject = 'TW Weekly Report for October 26, 2001'"
        ),
        1
    );
    // MAPI facts kept in the item metadata; the store's per-folder counts in the container's.
    let meta = t.strings("SELECT meta FROM items WHERE folder LIKE '%/Sent Items' LIMIT 1");
    let m: serde_json::Value = serde_json::from_str(&meta[0]).unwrap();
    assert_eq!(m["outlook"]["message_class"], "IPM.Note");
    assert_eq!(m["outlook"]["listed_in_folder"], true);
    assert!(
        m["outlook"]["source"]
            .as_str()
            .unwrap()
            .contains("rebuilt from MAPI")
    );
    let meta = t.strings("SELECT meta FROM items WHERE parent_id IS NULL");
    let m: serde_json::Value = serde_json::from_str(&meta[0]).unwrap();
    let personal = m["outlook_store"]["folders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == format!("{base}/Personal"))
        .unwrap()
        .clone();
    assert_eq!(
        (
            personal["store_count"].as_u64(),
            personal["contents_table"].as_u64(),
            personal["message_nodes"].as_u64()
        ),
        (Some(47), Some(47), Some(47))
    );

    // A rerun finds everything done.
    let again = t.ingest("enron", &[&pst]);
    assert!(again.outcomes.is_empty(), "{:?}", again.outcomes);
}

#[test]
fn outlook_corpus_accounted() {
    let dir = corpus("outlook");
    let t = TestCase::new();
    t.ingest("outlook", &[&dir]);
    let (files, bytes) = files_on_disk(&dir);
    assert_accounted(&t, "outlook", files, bytes);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM items WHERE outcome = 'failed'"),
        0
    );
    let count = |sql: &str| t.count(sql);
    let members_of = |name: &str| {
        count(&format!(
            "SELECT COUNT(*) FROM items i JOIN items p ON p.id = i.parent_id WHERE p.parent_id IS NULL AND p.name = '{name}'"
        ))
    };
    // Stores: every message node a member.
    assert_eq!(members_of("pstextractortest@outlook.com.ost"), 183);
    assert_eq!(members_of("pstextractortestpdf@outlook.com.ost"), 162);
    assert_eq!(members_of("enron.pst"), 71);
    // MAPI read/draft/reply state as Maildir flags.
    let flags = t.strings("SELECT COALESCE(flags, '-') FROM items WHERE folder = 'Root - Mailbox/IPM_SUBTREE/Inbox' AND name = 'test, no attachment'");
    assert_eq!(flags, ["S"]);
    // Exchange DNs of the OST resolve to SMTP through the store's own messages.
    let dns = "SELECT COUNT(*) FROM addresses a JOIN messages m ON m.id = a.message JOIN items i ON i.message = m.id WHERE i.locator LIKE '%.ost!/%' AND a.address LIKE '/o=%'";
    assert_eq!(count(dns), 0);
    assert!(
        count(
            "SELECT COUNT(*) FROM addresses WHERE address = 'pstextractortest@outlook.com' AND role = 'from'"
        ) >= 160
    );
    assert_eq!(members_of("Empty.pst"), 0);
    assert_eq!(members_of("200 recipients.pst"), 1);
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM items WHERE format = 'outlook-appointment' AND folder LIKE 'Root - Mailbox/IPM_SUBTREE/Calendar%'"
        ),
        169 + 160
    );
    let dl = t.strings("SELECT DISTINCT i.format FROM items i JOIN items p ON p.id = i.parent_id WHERE p.name = 'dist-list.pst' ORDER BY 1");
    assert!(
        dl.contains(&"outlook-distlist".to_owned()) && dl.contains(&"outlook-contact".to_owned()),
        "{dl:?}"
    );
    let pw = t.strings("SELECT meta FROM items WHERE name = 'passworded.pst'");
    assert!(pw[0].contains("\"password_protected\":true"), "{pw:?}");
    assert_eq!(members_of("passworded.pst"), 3);
    // The 200 recipients are all addresses of the message.
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM addresses a JOIN messages m ON m.id = a.message WHERE m.subject = '200 recipients' AND a.role = 'to'"
        ),
        200
    );
    // A message inside a message.
    let nested = count(
        "SELECT COUNT(*) FROM items i JOIN items p ON p.id = i.parent_id WHERE i.kind = 'attachment' AND i.message IS NOT NULL AND p.folder = 'Outlook データ ファイルのトップ'",
    );
    assert!(nested >= 1, "{nested}");

    // .msg files: 19 are messages (contacts and notes with their kinds); the one that is not
    // an OLE file at all is an ordinary document.
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM items WHERE parent_id IS NULL AND format = 'msg' AND outcome = 'container'"
        ),
        19
    );
    assert_eq!(
        t.strings("SELECT format FROM items WHERE name = 'bad_outlook.msg'"),
        ["text"]
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM items i JOIN items p ON p.id = i.parent_id WHERE p.name = 'contact-plain.msg' AND i.format = 'outlook-contact'"
        ),
        1
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM items i JOIN items p ON p.id = i.parent_id WHERE p.name = 'note.msg' AND i.format = 'outlook-note'"
        ),
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM messages WHERE subject = 'outer subject'"),
        1
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM messages WHERE subject = 'test'"),
        2
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM messages WHERE subject = 'Test Multiple attachments complete email!!'"
        ),
        1
    );

    // TNEF: attachments with long and Unicode names, the RTF body as text.
    assert_eq!(
        count("SELECT COUNT(*) FROM items WHERE parent_id IS NULL AND format = 'tnef'"),
        19
    );
    for name in [
        "UmlautAnhang-äüö.txt",
        "allproductsmar2000.dat",
        "VIA_Nytt_1402.pdf",
        "208225__5_seconds__Voice_Mail.mp3",
        "spaconsole2.cfg",
    ] {
        assert!(
            count(&format!(
                "SELECT COUNT(*) FROM items WHERE name = '{name}' AND outcome IN ('stored', 'duplicate')"
            )) >= 1,
            "{name}"
        );
    }
    let bad = t.strings("SELECT COALESCE(reason, '') FROM items WHERE name = 'bad_checksum.tnef'");
    assert!(bad[0].contains("bad checksum"), "{bad:?}");
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM items i JOIN items p ON p.id = i.parent_id WHERE p.name = 'rtf.tnef' AND i.name = 'body.txt' AND i.format = 'text'"
        ),
        1
    );
}

#[test]
fn a_damaged_message_is_reported_per_folder() {
    // A copy of enron.pst with one message's property heap overwritten.
    let src = corpus("outlook/pst/enron.pst");
    let t = TestCase::new();
    let dir = t.dir.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let copy = dir.join("damaged.pst");
    std::fs::copy(&src, &copy).unwrap();
    let offset = {
        let f = std::io::BufReader::new(std::fs::File::open(&copy).unwrap());
        let mut pst =
            trove_outlook::pst::PstFile::open(f, trove_outlook::Limits::default()).unwrap();
        let cat = pst.catalog().unwrap();
        let m = cat
            .messages
            .iter()
            .find(|m| {
                m.folder
                    .is_some_and(|f| cat.folders[f].path.ends_with("/Systems"))
            })
            .unwrap();
        pst.message_offset(m).unwrap()
    };
    let mut bytes = std::fs::read(&copy).unwrap();
    bytes[offset as usize..offset as usize + 16].fill(0);
    std::fs::write(&copy, &bytes).unwrap();
    t.ingest("d", &[&copy]);
    assert_accounted(&t, "d", 1, bytes.len() as u64);
    let store = t.strings(
        "SELECT outcome || '|' || COALESCE(reason, '') FROM items WHERE parent_id IS NULL",
    );
    assert!(store[0].starts_with("container|"), "{store:?}");
    assert!(
        store[0].contains(
            "Systems\": store count 7, contents table 7, message nodes 7, read 6, failed 1"
        ),
        "{store:?}"
    );
    let failed = t.strings("SELECT reason FROM items WHERE outcome = 'failed'");
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].contains("Outlook message unreadable"),
        "{failed:?}"
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM items WHERE message IS NOT NULL"),
        70
    );
    // The report shows it.
    let reports = query::report(&t.case.reader().unwrap()).unwrap();
    let shown = format!("{reports:?}");
    assert!(shown.contains("read 6, failed 1"), "{shown}");
}

#[test]
fn outlook_message_in_hostile_corpus_is_read() {
    let f = corpus("mail/hostile/mail_outlook_1");
    let t = TestCase::new();
    t.ingest("h", &[&f]);
    assert_eq!(
        t.strings("SELECT format || ' ' || outcome FROM items WHERE parent_id IS NULL"),
        ["msg container"]
    );
    assert_eq!(
        t.strings("SELECT subject FROM messages"),
        ["Newsletter Prüfung Personalwesen / Prüfung Eröffnungsbilanz"]
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM attachments"), 5);
}

#[test]
fn tnef_attachment_of_a_message_is_opened() {
    // spamassassin's one message with a TNEF part.
    let dir = corpus("mail/spamassassin");
    let hit = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| {
            e.file_type().is_file()
                && std::fs::read(e.path()).is_ok_and(|b| {
                    b.windows(18)
                        .any(|w| w.eq_ignore_ascii_case(b"application/ms-tne"))
                })
        })
        .expect("a message with a TNEF part");
    let t = TestCase::new();
    t.ingest("s", &[hit.path()]);
    assert_eq!(t.count("SELECT COUNT(*) FROM items WHERE format = 'tnef' AND outcome = 'container' AND kind = 'attachment'"), 1);
    assert!(t.count("SELECT COUNT(*) FROM items i JOIN items p ON p.id = i.parent_id WHERE p.format = 'tnef'") >= 1);
}

/// The offset of the directory entry named `name` among the four entries of a compound file's
/// first directory sector (512-byte sectors).
fn ole_entry(b: &[u8], name: &str) -> usize {
    let first = (u32::from_le_bytes(b[0x30..0x34].try_into().unwrap()) as usize + 1) * 512;
    let pat: Vec<u8> = name
        .encode_utf16()
        .chain([0])
        .flat_map(|u| u.to_le_bytes())
        .collect();
    (0..4)
        .map(|i| first + i * 128)
        .find(|&at| b[at..].starts_with(&pat))
        .unwrap_or_else(|| panic!("no entry {name} in the first directory sector"))
}

#[test]
fn a_damaged_msg_is_read_in_part_with_a_note_or_failed_never_a_document() {
    let orig = std::fs::read(corpus("outlook/msg/attachment.msg")).unwrap();
    let t = TestCase::new();
    let dir = t.dir.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    // A sibling pointer that points back to the top of the root storage's tree: a cycle, which
    // the `cfb` crate refuses as a whole.
    let root = ole_entry(&orig, "Root Entry");
    let top: [u8; 4] = orig[root + 76..root + 80].try_into().unwrap();
    let leaf = ole_entry(&orig, "__substg1.0_0E04001F");
    assert_eq!(orig[leaf + 68..leaf + 76], [0xFF; 8], "a leaf of the tree");
    let mut cycle = orig.clone();
    cycle[leaf + 72..leaf + 76].copy_from_slice(&top);
    std::fs::write(dir.join("cycle.msg"), &cycle).unwrap();
    // The root storage's child pointing to the root itself: nothing of the message reachable.
    let mut lost = orig.clone();
    lost[root + 76..root + 80].fill(0);
    std::fs::write(dir.join("lost.msg"), &lost).unwrap();
    t.ingest("d", &[&dir]);
    assert_accounted(&t, "d", 2, (cycle.len() + lost.len()) as u64);

    // Neither is an opaque OLE document left to the document extractor.
    assert_eq!(
        t.count("SELECT COUNT(*) FROM items WHERE format = 'ole' OR outcome = 'stored' AND parent_id IS NULL"),
        0
    );
    let top = t.strings(
        "SELECT name || '|' || format || '|' || outcome || '|' || COALESCE(reason, '') FROM items WHERE parent_id IS NULL ORDER BY name",
    );
    assert_eq!(top.len(), 2, "{top:?}");
    assert!(
        top[0].starts_with("cycle.msg|msg|container|damaged OLE compound file")
            && top[0].contains("directory cycle"),
        "{top:?}"
    );
    assert!(
        top[1].starts_with("lost.msg|msg|failed|")
            && top[1].contains("message properties are not reachable"),
        "{top:?}"
    );
    // The damaged one's message: subject, body and the three attachments.
    assert_eq!(
        t.strings("SELECT subject FROM messages"),
        ["FW: [WARNING: ATTACHMENT(S) MAY CONTAIN MALWARE]Please check all aspects in documents"]
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM attachments"), 3);
    let meta = t.strings(
        "SELECT i.meta FROM items i JOIN items p ON p.id = i.parent_id WHERE p.name = 'cycle.msg'",
    );
    assert!(meta[0].contains("directory cycle"), "{meta:?}");
    // `trove report` shows the damage.
    let reports = query::report(&t.case.reader().unwrap()).unwrap();
    let shown = format!("{reports:?}");
    assert!(shown.contains("directory cycle"), "{shown}");
    assert!(
        shown.contains("message properties are not reachable"),
        "{shown}"
    );
}

#[test]
fn a_pst_cut_before_its_root_pages_is_recovered_by_scan() {
    // enron.pst with its last 1.3 % gone: both B-tree roots are in it.
    let src = std::fs::read(corpus("outlook/pst/enron.pst")).unwrap();
    let mut intact = std::collections::BTreeSet::new();
    trove_outlook::pst::read_store(
        std::io::Cursor::new(&src),
        trove_outlook::Limits::default(),
        &mut |e| {
            if let Ok(it) = &e.item {
                intact.insert(it.subject().unwrap_or("").to_owned());
            }
            std::ops::ControlFlow::Continue(())
        },
    )
    .unwrap();
    let t = TestCase::new();
    let dir = t.dir.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let cut = &src[..src.len() * 987 / 1000];
    let copy = dir.join("cut.pst");
    std::fs::write(&copy, cut).unwrap();
    t.ingest("c", &[&copy]);
    assert_accounted(&t, "c", 1, cut.len() as u64);
    let store = t.strings(
        "SELECT outcome || '|' || COALESCE(reason, '') FROM items WHERE parent_id IS NULL",
    );
    assert!(store[0].starts_with("container|"), "{store:?}");
    assert!(
        store[0].contains("the file was scanned for pages and blocks")
            && store[0].contains("69 messages recovered by scan"),
        "{store:?}"
    );
    let members = "FROM items i JOIN items p ON p.id = i.parent_id WHERE p.parent_id IS NULL";
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) {members} AND i.message IS NOT NULL AND i.meta LIKE '%\"recovered_by_scan\":true%' AND i.meta LIKE '%recovered by scanning the store file%'"
        )),
        69
    );
    assert_eq!(t.count(&format!("SELECT COUNT(*) {members}")), 69);
    let subjects = t.strings("SELECT COALESCE(subject, '') FROM messages m JOIN items i ON i.message = m.id JOIN items p ON p.id = i.parent_id WHERE p.parent_id IS NULL");
    assert_eq!(subjects.len(), 69);
    for s in &subjects {
        assert!(
            intact.contains(s),
            "{s:?} is not a subject of the intact store"
        );
    }
    let reports = query::report(&t.case.reader().unwrap()).unwrap();
    let shown = format!("{reports:?}");
    assert!(shown.contains("69 messages recovered by scan"), "{shown}");
}
