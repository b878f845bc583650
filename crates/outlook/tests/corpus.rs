//! The readers on the shared Outlook corpus. Ground truth was taken with independent readers:
//! pffexport (pff-tools 20180714) and readpst 0.6.76 for the stores, `tnef` 1.4 for TNEF
//! attachment names; counts and hashes below are theirs.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use trove_outlook::mime::{AddressBook, Options, to_rfc822};
use trove_outlook::pst::{StoreSummary, read_store};
use trove_outlook::{AttachContent, Item, ItemKind, Limits, OutlookError};

fn corpus(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/outlook")
        .join(rel);
    assert!(p.exists(), "test corpus missing: {}", p.display());
    p
}

struct Read {
    summary: StoreSummary,
    /// (folder path, item)
    items: Vec<(String, Item)>,
}

fn read(rel: &str) -> Read {
    let f = std::io::BufReader::new(std::fs::File::open(corpus(rel)).unwrap());
    let mut items = Vec::new();
    let summary = read_store(f, Limits::default(), &mut |e| {
        let folder = e.folder.map(|f| f.path.clone()).unwrap_or_default();
        items.push((folder, e.item.expect("every message readable")));
        ControlFlow::Continue(())
    })
    .unwrap();
    Read { summary, items }
}

fn per_folder(r: &Read) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for (f, _) in &r.items {
        *m.entry(f.clone()).or_default() += 1;
    }
    m
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Every attachment (name, size, sha256), embedded messages' included.
fn attachments(it: &Item, out: &mut Vec<(String, usize, String)>) {
    for a in &it.attachments {
        match &a.content {
            AttachContent::Bytes(b) => {
                out.push((a.name().unwrap_or("").to_owned(), b.len(), sha(b)))
            }
            AttachContent::Message(m) => attachments(m, out),
            AttachContent::Missing(w) => panic!("attachment {:?} missing: {w}", a.name()),
        }
    }
}

#[test]
fn enron_every_message_and_attachment() {
    let r = read("pst/enron.pst");
    assert_eq!(r.items.len(), 71);
    assert_eq!(
        r.items
            .iter()
            .map(|(_, i)| i.attachment_count())
            .sum::<usize>(),
        70
    );
    let base = "Top of Personal Folders/lokay-m/MLOKAY (Non-Privileged)";
    let expect: BTreeMap<String, usize> = [
        ("", 1),
        ("/Personal", 47),
        ("/Sent Items", 2),
        ("/Systems", 7),
        ("/TW-Commercial Group", 14),
    ]
    .iter()
    .map(|(f, n)| (format!("{base}{f}"), *n))
    .collect();
    assert_eq!(per_folder(&r), expect);
    // The store's own counts agree with what was read, folder by folder.
    assert_eq!(r.summary.mismatches(), Vec::<String>::new());
    assert_eq!(r.summary.info.kind, "PST");
    assert_eq!(
        r.summary.info.display_name.as_deref(),
        Some("Personal folders")
    );

    let subjects: Vec<&str> = r.items.iter().filter_map(|(_, i)| i.subject()).collect();
    for s in [
        "LIM Software Upgrade Notice",
        "Email Retention Policy",
        "TW Weekly Report for October 26, 2001",
        "Red Rock Adm. cr # 27698 revisions.",
    ] {
        assert!(subjects.contains(&s), "{s}");
    }
    let mut atts = Vec::new();
    for (_, i) in &r.items {
        attachments(i, &mut atts);
    }
    assert_eq!(atts.len(), 70);
    // Names, sizes and SHA-256s as pffexport wrote them.
    for (name, size, hash) in [
        (
            "image001.gif",
            120,
            "c3fa24260c4992b9ccf9d1be613b65968517d826c942e7982db6bcbe9272fcc9",
        ),
        (
            "TAHOE INFORMATOIN.doc",
            21504,
            "09e08361abaf87d368f7d72038ffa73b2ccc688d9a538ef1b411ff60426e4e14",
        ),
        (
            "tahoe.xls",
            19968,
            "46a552eeac3def863cc23dce0d3bf133e4fd6123a40aa4c2016d3945b1578c19",
        ),
        (
            "TWEOL.pdf",
            206848,
            "d16dc3810709300fd9afa92ad881bb3d1e5925c43f95fe6ae533a7717b08224a",
        ),
        (
            "Color 300dpi.jpg",
            180214,
            "f87a45462f055472f7ebe3939d465b6eb6df2f998f6dedba662ed60783fa44ff",
        ),
        (
            "020_17A.JPG",
            562704,
            "71479c43494f6ce813ae53ffc8ea1171f59b07681de468a749908fb346c0de15",
        ),
    ] {
        assert!(
            atts.iter()
                .any(|(n, s, h)| n == name && *s == size && h == hash),
            "{name} {size} {hash}: {atts:?}"
        );
    }

    // Converted: transport headers kept, sender as the headers give it.
    let book = AddressBook::default();
    let (_, it) = r
        .items
        .iter()
        .find(|(_, i)| i.subject() == Some("Email Retention Policy"))
        .unwrap();
    let eml = String::from_utf8(to_rfc822(it, &book, &Options::default()))
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        eml.contains("\r\nsubject: email retention policy\r\n"),
        "{eml}"
    );
    assert!(
        eml.contains("\r\nfrom: enron global technology@enron\r\n"),
        "{eml}"
    );
    assert!(
        eml.contains("message-id: <h2fpboxgrwg2vmuidih03r5tdu432xk3a@zlsvr22>"),
        "{eml}"
    );
    // Headers rebuilt from MAPI where an item has none: an OST meeting request.
    let r = read("pst/pstextractortest@outlook.com.ost");
    let (_, it) = r
        .items
        .iter()
        .find(|(f, i)| f.ends_with("/Inbox") && i.message_class() == "IPM.Note")
        .unwrap();
    let eml = String::from_utf8(to_rfc822(it, &book, &Options::default())).unwrap();
    assert!(eml.contains("From: "), "{eml}");
}

#[test]
fn osts_with_4k_pages() {
    let r = read("pst/pstextractortest@outlook.com.ost");
    assert_eq!(r.summary.info.kind, "OST");
    assert_eq!(r.summary.info.variant, "Unicode 4K (OST 2013+)");
    let expect: BTreeMap<String, usize> = [
        ("Root - Mailbox/IPM_SUBTREE/Calendar", 9),
        (
            "Root - Mailbox/IPM_SUBTREE/Calendar/United States holidays",
            160,
        ),
        ("Root - Mailbox/IPM_SUBTREE/Deleted Items", 1),
        ("Root - Mailbox/IPM_SUBTREE/Inbox", 10),
        ("Root - Mailbox/IPM_SUBTREE/Sent Items", 2),
        ("Root - Mailbox/IPM_SUBTREE/Sync Issues", 1),
    ]
    .iter()
    .map(|(f, n)| (f.to_string(), *n))
    .collect();
    assert_eq!(per_folder(&r), expect);
    assert_eq!(r.summary.mismatches(), Vec::<String>::new());
    let appts = r
        .items
        .iter()
        .filter(|(_, i)| i.kind() == ItemKind::Appointment)
        .count();
    assert_eq!(appts, 169);
    let mail = r
        .items
        .iter()
        .filter(|(_, i)| i.kind() == ItemKind::Mail)
        .count();
    assert_eq!(mail, 14);
    // The organiser of an appointment is an Exchange DN in the item; the store's own messages
    // pair that DN with an SMTP address, and the conversion uses it.
    let (_, appt) = r
        .items
        .iter()
        .find(|(_, i)| i.subject() == Some("repeats every monday for 10 weeks"))
        .unwrap();
    assert!(
        appt.props.str(0x0065).unwrap_or("").is_empty()
            || !appt.props.str(0x0065).unwrap().contains('@')
    );
    let from = trove_outlook::mime::from(appt, &r.summary.book).unwrap();
    assert_eq!(
        from.address.as_deref(),
        Some("pstextractortest@outlook.com")
    );
    let eml = String::from_utf8(to_rfc822(appt, &r.summary.book, &Options::default())).unwrap();
    assert!(
        eml.contains("From: pstextractortest@outlook.com\r\n"),
        "{eml}"
    );
    assert!(
        eml.contains("X-Trove-Outlook-Class: IPM.Appointment"),
        "{eml}"
    );

    let r = read("pst/pstextractortestpdf@outlook.com.ost");
    assert_eq!(r.items.len(), 162);
    assert_eq!(
        per_folder(&r).get("Root - Mailbox/IPM_SUBTREE/Inbox"),
        Some(&2)
    );
    assert_eq!(
        per_folder(&r).get("Root - Mailbox/IPM_SUBTREE/Calendar/United States holidays"),
        Some(&160)
    );
    assert_eq!(r.summary.mismatches(), Vec::<String>::new());
}

#[test]
fn small_stores() {
    let r = read("pst/200 recipients.pst");
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.items[0].1.recipients.len(), 200);

    let r = read("pst/attachAndInline.pst");
    assert_eq!(r.items.len(), 1);
    let names: Vec<&str> = r.items[0]
        .1
        .attachments
        .iter()
        .filter_map(|a| a.name())
        .collect();
    assert_eq!(names, ["attach.png", "image001.png"]);

    let r = read("pst/msgInMsg.pst");
    assert_eq!(r.items.len(), 1);
    let it = &r.items[0].1;
    assert_eq!(it.subject(), Some("I have attachments!"));
    let nested = it
        .attachments
        .iter()
        .find_map(|a| {
            if let AttachContent::Message(m) = &a.content {
                Some(m)
            } else {
                None
            }
        })
        .expect("embedded message");
    assert_eq!(
        nested.subject(),
        Some("Microsoft Outlook テスト メッセージ")
    );
    assert!(it.attachments.iter().any(|a| a.name() == Some("green.png")));
    let eml =
        String::from_utf8(to_rfc822(it, &AddressBook::default(), &Options::default())).unwrap();
    assert!(eml.contains("Content-Type: message/rfc822"), "{eml}");

    let r = read("pst/Empty.pst");
    assert_eq!(r.items.len(), 0);
    assert_eq!(r.summary.mismatches(), Vec::<String>::new());

    let r = read("pst/dist-list.pst");
    let kinds: Vec<ItemKind> = r.items.iter().map(|(_, i)| i.kind()).collect();
    assert!(
        kinds.contains(&ItemKind::DistList)
            && kinds.contains(&ItemKind::Contact)
            && kinds.contains(&ItemKind::Appointment),
        "{kinds:?}"
    );
    let (_, dl) = r
        .items
        .iter()
        .find(|(_, i)| i.kind() == ItemKind::DistList)
        .unwrap();
    assert_eq!(dl.subject(), Some("test dist list"));

    let r = read("pst/passworded.pst");
    assert!(r.summary.info.password_protected);
    assert!(
        r.items
            .iter()
            .any(|(f, i)| f == "Top of Personal Folders/Contacts" && i.kind() == ItemKind::Contact)
    );
}

#[test]
fn not_a_store() {
    let e = trove_outlook::pst::PstFile::open(
        std::io::Cursor::new(b"!BDN\x00\x00".to_vec()),
        Limits::default(),
    )
    .err()
    .unwrap();
    assert!(
        matches!(e, OutlookError::Corrupt { .. } | OutlookError::Io(_)),
        "{e}"
    );
    let e = trove_outlook::pst::PstFile::open(
        std::io::Cursor::new(b"hello".to_vec()),
        Limits::default(),
    )
    .err()
    .unwrap();
    assert!(matches!(e, OutlookError::NotFormat(_)), "{e}");
}

fn msg(name: &str) -> Result<Item, OutlookError> {
    let b = std::fs::read(corpus(&format!("msg/{name}"))).unwrap();
    trove_outlook::msg::read_msg(std::io::Cursor::new(b), &Limits::default())
}

#[test]
fn every_msg_file() {
    let dir = corpus("msg");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 20);
    let mut ok = 0;
    for n in &names {
        match msg(n) {
            Ok(it) => {
                ok += 1;
                let eml = to_rfc822(&it, &AddressBook::default(), &Options::default());
                assert!(
                    eml.starts_with(b"From: ")
                        || eml.starts_with(b"Received:")
                        || eml.windows(9).any(|w| w == b"Subject: "),
                    "{n}"
                );
            }
            Err(e) => {
                assert_eq!(n, "bad_outlook.msg", "{e}");
                assert!(matches!(e, OutlookError::NotFormat(_)));
            }
        }
    }
    assert_eq!(ok, 19);

    let it = msg("outer.msg").unwrap();
    assert_eq!(it.subject(), Some("outer subject"));
    let AttachContent::Message(inner) = &it.attachments[0].content else {
        panic!("nested .msg")
    };
    assert_eq!(inner.subject(), Some("test"));

    assert_eq!(msg("contact-plain.msg").unwrap().kind(), ItemKind::Contact);
    assert_eq!(
        msg("Swetlana Novikova.msg").unwrap().kind(),
        ItemKind::Contact
    );
    assert_eq!(msg("note.msg").unwrap().kind(), ItemKind::Note);

    let it = msg("complete.msg").unwrap();
    assert_eq!(it.attachments.len(), 10);
    assert_eq!(it.recipients.len(), 4);
    assert!(
        it.attachments
            .iter()
            .any(|a| a.name() == Some("[MS-OXPROPS]-181001.docx"))
    );

    let it = msg("attachment.msg").unwrap();
    let names: Vec<&str> = it.attachments.iter().filter_map(|a| a.name()).collect();
    assert_eq!(names, ["loan_proposal.doc", "image001.png", "image002.jpg"]);

    // A contact's text rendition carries its properties.
    let c = msg("contact-unicode.msg").unwrap();
    let eml =
        String::from_utf8(to_rfc822(&c, &AddressBook::default(), &Options::default())).unwrap();
    assert!(eml.contains("X-Trove-Outlook-Class: IPM.Contact"), "{eml}");
}

fn tnef(name: &str) -> Item {
    let b = std::fs::read(corpus(&format!("tnef/{name}.tnef"))).unwrap();
    trove_outlook::tnef::read_tnef(&b, &Limits::default()).unwrap()
}

fn att_names(it: &Item) -> Vec<String> {
    it.attachments
        .iter()
        .map(|a| a.name().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn every_tnef_file() {
    let dir = corpus("tnef");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let b = std::fs::read(e.unwrap().path()).unwrap();
        trove_outlook::tnef::read_tnef(&b, &Limits::default()).unwrap();
        n += 1;
    }
    assert_eq!(n, 19);
    // Names as the `tnef` program extracts them.
    assert_eq!(att_names(&tnef("two-files")), ["AUTHORS", "README"]);
    assert_eq!(
        att_names(&tnef("long-filename")),
        ["allproductsmar2000.dat"]
    );
    assert_eq!(
        att_names(&tnef("umlaut")),
        ["TBZ PARIV GmbH.jpg", "image003.jpg", "UmlautAnhang-äüö.txt"]
    );
    assert_eq!(
        att_names(&tnef("MAPI_ATTACH_DATA_OBJ")),
        [
            "VIA_Nytt_1402.doc",
            "VIA_Nytt_1402.pdf",
            "VIA_Nytt_14021.htm"
        ]
    );
    assert_eq!(
        att_names(&tnef("missing-filenames")),
        [
            "generpts.src",
            "TechlibDEC99.doc",
            "TechlibDEC99-JAN00.doc",
            "TechlibNOV99.doc"
        ]
    );
    assert_eq!(
        att_names(&tnef("unicode-mapi-attr-name")),
        [
            "spaconsole2.cfg",
            "image001.png",
            "image002.png",
            "image003.png"
        ]
    );
    assert_eq!(
        att_names(&tnef("multi-value-attribute")),
        ["208225__5_seconds__Voice_Mail.mp3"]
    );
    let one = tnef("one-file");
    let AttachContent::Bytes(b) = &one.attachments[0].content else {
        panic!()
    };
    assert_eq!(b.len(), 244);
    // Damage is noted and what was readable kept.
    let bad = tnef("bad_checksum");
    assert!(
        bad.problems.iter().any(|p| p.contains("bad checksum")),
        "{:?}",
        bad.problems
    );
    assert_eq!(att_names(&bad), ["image001.png"]);
    let g = tnef("garbage-at-end");
    assert!(!g.problems.is_empty());
    // The RTF body, de-compressed and turned into text.
    let rtf = tnef("rtf");
    let (text, _) = trove_outlook::mime::bodies(&rtf);
    assert!(text.unwrap().contains("Greg Allen"));
    assert_eq!(tnef("triples").kind(), ItemKind::Appointment);
    // Garbage is not TNEF.
    assert!(trove_outlook::tnef::read_tnef(b"not tnef", &Limits::default()).is_err());
}

#[test]
fn item_budget_bounds_memory_and_says_so() {
    let f = std::io::BufReader::new(std::fs::File::open(corpus("pst/enron.pst")).unwrap());
    let limits = Limits {
        max_item_bytes: 200_000,
        ..Limits::default()
    };
    let (mut read, mut kept, mut missing) = (0, 0, Vec::new());
    read_store(f, limits, &mut |e| {
        let it = e.item.expect("readable");
        read += 1;
        for a in &it.attachments {
            match &a.content {
                AttachContent::Bytes(b) => {
                    assert!(b.len() <= 200_000);
                    kept += 1;
                }
                AttachContent::Missing(why) => missing.push(why.clone()),
                AttachContent::Message(_) => {}
            }
        }
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(read, 71);
    assert_eq!(kept + missing.len(), 70);
    assert!(!missing.is_empty());
    assert!(
        missing
            .iter()
            .all(|w| w.contains("not read: the item's attachments pass 200000 bytes")),
        "{missing:?}"
    );
}
