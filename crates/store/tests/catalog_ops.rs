//! The catalog's read operations, tested once against the [`CatalogRead`] interface: the
//! suite takes `&dyn CatalogRead` and runs here on a SQLite case built with real writes (the
//! ingest's batches and the extraction records), made through the [`CatalogWrite`] and
//! [`WriteBatch`] interfaces. A second backend runs the same suite.

use trove_store::blobs::{PackWriter, encode};
use trove_store::extraction::ExtractionRecord;
use trove_store::model::{
    AddressRecord, AttachmentRecord, BlobData, ItemKind, MessageRecord, NewItem, Outcome, Parent,
    Provenance,
};
use trove_store::read::{KeySet, QueueEntry};
use trove_store::{Case, Catalog, CatalogRead, CatalogWrite, WriteBatch};

/// What the fixture wrote, to check the reads against.
struct Fixture {
    run: i64,
    /// Content keys of the two messages: A (two copies with different bytes) and B, a reply.
    ka: Vec<u8>,
    kb: Vec<u8>,
    /// The bytes of A's first copy.
    a_bytes: Vec<u8>,
    a_sha: [u8; 32],
    /// Attachments of A (both copies): a PDF, extracted with a flag, and a zip.
    pdf: Vec<u8>,
    zip: Vec<u8>,
    /// A file inside the attached zip, opened and stored, extracted with a flag.
    nested: Vec<u8>,
    /// A loose file outside any message.
    loose: Vec<u8>,
    /// The PDF's extracted text.
    pdf_text: Vec<u8>,
    /// Item ids.
    a_item: i64,
    a2_item: i64,
    loose_item: i64,
    mbox_item: i64,
    failed_item: i64,
}

fn blob(bytes: &[u8]) -> BlobData {
    encode(bytes, false).expect("encode")
}

fn sha(bytes: &[u8]) -> Vec<u8> {
    blob(bytes).sha256().to_vec()
}

fn s(v: &str) -> String {
    v.to_owned()
}

fn item(locator: &str, parent: Option<&str>, kind: ItemKind, format: &str) -> NewItem {
    let prov = Provenance::new(
        locator.into(),
        parent.map_or(Parent::None, |p| Parent::Locator(p.into())),
        locator.rsplit('/').next().unwrap_or(locator).into(),
        kind,
    );
    NewItem::new(prov, format, 0, Outcome::Container { damage: None })
}

fn stored(mut it: NewItem, bytes: &[u8]) -> NewItem {
    let b = blob(bytes);
    it.size = bytes.len() as u64;
    it.sha256 = Some(b.sha256());
    it.blob = Some(b);
    it.outcome = Outcome::Stored;
    it
}

fn address(role: &'static str, name: &str, addr: &str) -> AddressRecord {
    AddressRecord {
        role,
        name: Some(name.into()),
        address: Some(addr.into()),
        group: None,
    }
}

fn attachment(part: u32, name: &str, mime: &str, bytes: &[u8]) -> AttachmentRecord {
    AttachmentRecord {
        part,
        name: Some(name.into()),
        mime: mime.into(),
        disposition: Some("attachment".into()),
        content_id: None,
        size: bytes.len() as u64,
        sha256: blob(bytes).sha256(),
        is_message: false,
        item_locator: None,
    }
}

fn message(key: [u8; 32], id: &str, subject: &str, date: i64) -> MessageRecord {
    MessageRecord {
        content_key: key,
        message_id: Some(id.into()),
        in_reply_to: Vec::new(),
        references: Vec::new(),
        subject: Some(subject.into()),
        date: Some(date),
        date_raw: None,
        date_source: Some("header"),
        from_name: None,
        from_addr: None,
        text_len: 10,
        has_html: false,
        addresses: Vec::new(),
        attachments: Vec::new(),
        problems: Vec::new(),
        lang: Some("en"),
    }
}

fn extraction(doc: &[u8], format: &str, flags: &[&str], text: Option<&[u8]>) -> ExtractionRecord {
    ExtractionRecord {
        sha256: blob(doc).sha256(),
        format: format.into(),
        status: "extracted".into(),
        reason: None,
        text: text.map(blob),
        text_len: text.map_or(0, |t| t.len() as u64),
        pages: 1,
        ocr_pending: Vec::new(),
        ocr_pages: 0,
        flags: flags.iter().map(|f| f.to_string()).collect(),
        meta: serde_json::json!({ "title": "Q3 report" }),
        author: None,
        title: Some("Q3 report".into()),
        gps: None,
        millis: 1,
        hints: None,
    }
}

/// A case with two mailboxes, three message rows (two of one message), attachments, a zip
/// opened from an attachment, a loose file, a failed item, extractions and a tag.
fn build(case: &Case) -> Fixture {
    let mut catalog = case.catalog().expect("catalog");
    let cat: &mut dyn CatalogWrite = &mut catalog;
    let src = cat.ensure_source("alpha").expect("source");
    let run = cat.begin_run(src, "test", &[]).expect("run");
    let mut packs =
        PackWriter::open(case.blob_dir(), &cat.pack_ends().expect("ends")).expect("packs");
    let ka = [0x11u8; 32];
    let kb = [0x22u8; 32];
    let pdf = b"%PDF-1.4 quarterly numbers".to_vec();
    let zip = b"PK\x03\x04 tools".to_vec();
    let nested = b"MZ tool.exe bytes".to_vec();
    let loose = b"notes kept outside any mailbox".to_vec();
    let pdf_text = b"Quarterly numbers: up".to_vec();
    let a_bytes = b"Message-ID: <a@x>\r\nSubject: Budget\r\n\r\nsee attached".to_vec();
    let a2_bytes =
        b"Message-ID: <a@x>\r\nX-Folder: copy\r\nSubject: Budget\r\n\r\nsee attached".to_vec();
    let b_bytes = b"Message-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\n\r\nthanks".to_vec();

    let with_a = |mut m: MessageRecord| {
        m.from_name = Some("Alice".into());
        m.from_addr = Some("alice@x".into());
        m.has_html = true;
        m.problems = vec!["no-date"];
        m.addresses = vec![
            address("from", "Alice", "alice@x"),
            address("to", "Bob", "bob@x"),
            address("to", "Carol", "carol@x"),
        ];
        m.attachments = vec![
            attachment(1, "report.pdf", "application/pdf", &pdf),
            attachment(2, "tools.zip", "application/zip", &zip),
        ];
        m
    };

    let mut b: Box<dyn WriteBatch + '_> = cat.write_batch().expect("batch");
    let mbox = b
        .write_item(
            src,
            run,
            &mut packs,
            &item("inbox.mbox", None, ItemKind::File, "mbox"),
            None,
        )
        .expect("mbox");
    let mut a = stored(
        item(
            "inbox.mbox:0",
            Some("inbox.mbox"),
            ItemKind::MboxMessage,
            "eml",
        ),
        &a_bytes,
    );
    a.prov.folder = Some("Inbox".into());
    a.message = Some(with_a(message(ka, "a@x", "Budget", 1000)));
    let a_item = b
        .write_item(src, run, &mut packs, &a, Some(mbox.id))
        .expect("a");
    let zip_item = b
        .write_item(
            src,
            run,
            &mut packs,
            &item(
                "inbox.mbox:0/2",
                Some("inbox.mbox:0"),
                ItemKind::Attachment,
                "zip",
            ),
            Some(a_item.id),
        )
        .expect("zip");
    b.write_item(
        src,
        run,
        &mut packs,
        &stored(
            item(
                "inbox.mbox:0/2/tool.exe",
                Some("inbox.mbox:0/2"),
                ItemKind::Member,
                "exe",
            ),
            &nested,
        ),
        Some(zip_item.id),
    )
    .expect("nested");
    let mut reply = stored(
        item(
            "inbox.mbox:1",
            Some("inbox.mbox"),
            ItemKind::MboxMessage,
            "eml",
        ),
        &b_bytes,
    );
    reply.prov.folder = Some("Inbox".into());
    let mut mb = message(kb, "b@x", "Re: Budget", 2000);
    mb.in_reply_to = vec!["a@x".into()];
    mb.from_addr = Some("bob@x".into());
    mb.addresses = vec![
        address("from", "Bob", "bob@x"),
        address("to", "Alice", "alice@x"),
    ];
    reply.message = Some(mb);
    b.write_item(src, run, &mut packs, &reply, Some(mbox.id))
        .expect("reply");
    b.commit(&mut packs).expect("commit 1");

    let mut b: Box<dyn WriteBatch + '_> = cat.write_batch().expect("batch");
    let other = b
        .write_item(
            src,
            run,
            &mut packs,
            &item("other.mbox", None, ItemKind::File, "mbox"),
            None,
        )
        .expect("other");
    let mut a2 = stored(
        item(
            "other.mbox:0",
            Some("other.mbox"),
            ItemKind::MboxMessage,
            "eml",
        ),
        &a2_bytes,
    );
    a2.prov.folder = Some("Archive".into());
    a2.message = Some(with_a(message(ka, "a@x", "Budget", 1000)));
    let a2_item = b
        .write_item(src, run, &mut packs, &a2, Some(other.id))
        .expect("a2");
    let loose_item = b
        .write_item(
            src,
            run,
            &mut packs,
            &stored(item("notes.txt", None, ItemKind::File, "text"), &loose),
            None,
        )
        .expect("loose");
    let mut broken = item("broken.zip", None, ItemKind::File, "zip");
    broken.outcome = Outcome::Failed {
        reason: "bad central directory".into(),
    };
    let failed = b
        .write_item(src, run, &mut packs, &broken, None)
        .expect("failed");
    b.commit(&mut packs).expect("commit 2");

    cat.write_extractions(
        &mut packs,
        &[
            extraction(&pdf, "pdf", &["macro"], Some(&pdf_text)),
            extraction(&nested, "executable", &["executable"], None),
        ],
        &[],
    )
    .expect("extractions");
    // Tags are written by the web app; the catalog file is all the suite needs.
    rusqlite::Connection::open(case.catalog_path())
        .expect("open")
        .execute(
            "INSERT INTO tags (content_key, tag, author, created_at) VALUES (?1, 'hot', 'ana', '2026-01-01T00:00:00Z')",
            [&ka[..]],
        )
        .expect("tag");
    Fixture {
        run,
        ka: ka.to_vec(),
        kb: kb.to_vec(),
        a_sha: blob(&a_bytes).sha256(),
        a_bytes,
        pdf,
        zip,
        nested,
        loose,
        pdf_text,
        a_item: a_item.id,
        a2_item: a2_item.id,
        loose_item: loose_item.id,
        mbox_item: mbox.id,
        failed_item: failed.id,
    }
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// Every read operation, against the interface.
fn suite(case: &Case, c: &dyn CatalogRead, f: &Fixture) {
    let (pdf, zip, nested, loose) = (sha(&f.pdf), sha(&f.zip), sha(&f.nested), sha(&f.loose));

    // Blobs: where the bytes are, and they read back.
    let b = c.blob(&f.a_sha).expect("blob").expect("a's blob is stored");
    assert_eq!(b.size, f.a_bytes.len() as u64);
    assert_eq!(case.read_blob(c, &f.a_sha).expect("read"), f.a_bytes);
    assert!(c.blob(&[0xee; 32]).expect("blob").is_none());

    // The index queue: in order, both kinds, counted and paged.
    let queue = c.index_queue(0, 1000).expect("queue");
    assert!(queue.windows(2).all(|w| w[0].seq < w[1].seq), "{queue:?}");
    let has = |kind: &str, key: &[u8]| queue.iter().any(|e| e.kind == kind && e.key == key);
    assert!(has("message", &f.ka) && has("message", &f.kb), "{queue:?}");
    assert!(
        has("document", &loose) && has("document", &pdf),
        "{queue:?}"
    );
    let last = queue.last().map(|e| e.seq).expect("a queue");
    assert_eq!(c.index_queue_last().expect("last"), last);
    assert_eq!(
        c.index_queue_pending(0).expect("pending"),
        queue.len() as u64
    );
    assert_eq!(c.index_queue_pending(last).expect("pending"), 0);
    let second: Vec<QueueEntry> = c.index_queue(queue[0].seq, 1).expect("page");
    assert_eq!(second, vec![queue[1].clone()]);

    // The keys a rebuild walks, page by page.
    let messages = sorted(vec![f.ka.clone(), f.kb.clone()]);
    assert_eq!(
        c.keys_after(KeySet::Messages, &[], 10).expect("keys"),
        messages
    );
    assert_eq!(
        c.keys_after(KeySet::Messages, &[], 1).expect("keys"),
        messages[..1]
    );
    assert_eq!(
        c.keys_after(KeySet::Messages, &messages[0], 10)
            .expect("keys"),
        messages[1..]
    );
    assert_eq!(
        c.keys_after(KeySet::LooseDocuments, &[], 10).expect("keys"),
        sorted(vec![loose.clone(), nested.clone()])
    );
    assert_eq!(
        c.keys_after(KeySet::AttachedDocuments, &[], 10)
            .expect("keys"),
        sorted(vec![pdf.clone(), zip.clone()])
    );

    // A message document's rows.
    let copies = c.message_copies(&f.ka).expect("copies");
    assert_eq!(copies.len(), 2, "{copies:?}");
    assert!(copies[0].id < copies[1].id);
    assert_eq!(copies[0].sha256, f.a_sha.to_vec());
    assert_eq!(copies[0].message_id.as_deref(), Some("a@x"));
    assert_eq!(copies[0].subject.as_deref(), Some("Budget"));
    assert_eq!(copies[0].date, Some(1000));
    assert_eq!(copies[0].size, f.a_bytes.len() as u64);
    assert_eq!(copies[0].lang.as_deref(), Some("en"));
    assert!(copies[0].has_html);
    assert_eq!(copies[0].problems.as_deref(), Some("no-date"));
    assert!(copies[0].thread.is_some());
    assert!(c.message_copies(&[0xee; 32]).expect("none").is_empty());
    let addresses = c.message_addresses(&f.ka).expect("addresses");
    assert_eq!(addresses.len(), 6, "three per copy: {addresses:?}");
    assert_eq!(
        addresses[..3]
            .iter()
            .map(|a| (a.role.as_str(), a.address.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("from", Some("alice@x")),
            ("to", Some("bob@x")),
            ("to", Some("carol@x"))
        ]
    );
    let types: Vec<(Option<String>, String)> = sorted(
        c.message_attachment_types(&f.ka)
            .expect("types")
            .into_iter()
            .map(|t| (t.name, t.mime))
            .collect(),
    );
    assert_eq!(
        types,
        vec![
            (Some(s("report.pdf")), s("application/pdf")),
            (Some(s("tools.zip")), s("application/zip"))
        ]
    );
    assert_eq!(c.message_attachment_flags(&f.ka).expect("flags"), ["macro"]);
    assert_eq!(
        c.message_nested_flags(&f.ka).expect("nested"),
        ["executable"]
    );
    assert!(c.message_attachment_flags(&f.kb).expect("flags").is_empty());
    assert!(c.message_nested_flags(&f.kb).expect("nested").is_empty());
    let locations: Vec<(String, Option<String>, String)> = sorted(
        c.message_locations(&f.ka)
            .expect("locations")
            .into_iter()
            .map(|l| (l.source, l.folder, l.locator))
            .collect(),
    );
    assert_eq!(
        locations,
        vec![
            (s("alpha"), Some(s("Archive")), s("other.mbox:0")),
            (s("alpha"), Some(s("Inbox")), s("inbox.mbox:0"))
        ]
    );
    assert_eq!(c.message_number(&f.ka).expect("number"), Some(copies[0].id));
    assert_eq!(c.message_number(&[0xee; 32]).expect("number"), None);
    assert_eq!(c.message_tags(&f.ka).expect("tags"), ["hot"]);
    assert!(c.message_tags(&f.kb).expect("tags").is_empty());

    // A document's rows.
    let items = c.document_items(&loose).expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(
        (
            items[0].source.as_str(),
            items[0].locator.as_str(),
            items[0].name.as_str()
        ),
        ("alpha", "notes.txt", "notes.txt")
    );
    assert_eq!(
        (items[0].format.as_str(), items[0].size),
        ("text", f.loose.len() as u64)
    );
    assert!(
        c.document_items(&pdf).expect("items").is_empty(),
        "only carried"
    );
    let carriers = c.document_carriers(&pdf).expect("carriers");
    assert_eq!(
        carriers.iter().map(|x| x.message).collect::<Vec<_>>(),
        copies.iter().map(|x| x.id).collect::<Vec<_>>()
    );
    assert!(carriers.iter().all(|x| x.content_key == f.ka
        && x.name.as_deref() == Some("report.pdf")
        && x.mime == "application/pdf"
        && x.size == f.pdf.len() as u64
        && x.date == Some(1000)
        && x.thread == copies[0].thread));
    let up = c
        .document_nested_carriers(&nested)
        .expect("nested carriers");
    assert_eq!(up.len(), 1, "{up:?}");
    assert_eq!(
        (up[0].message, up[0].content_key.as_slice()),
        (copies[0].id, &f.ka[..])
    );
    assert_eq!(up[0].thread, copies[0].thread);
    assert!(c.document_nested_carriers(&loose).expect("none").is_empty());
    let ids: Vec<i64> = copies.iter().map(|x| x.id).collect();
    let carrier_addresses = c.carrier_addresses(&ids).expect("carrier addresses");
    assert_eq!(
        carrier_addresses
            .iter()
            .map(|a| (a.role.as_str(), a.address.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("from", Some("alice@x")),
            ("to", Some("bob@x")),
            ("to", Some("carol@x"))
        ],
        "distinct, by role then address"
    );
    assert_eq!(
        c.carrier_locations(&ids).expect("carrier locations").len(),
        2
    );
    let ex = c
        .document_extraction(&pdf)
        .expect("extraction")
        .expect("pdf extracted");
    assert_eq!(ex.status, "extracted");
    assert_eq!(ex.flags.as_deref(), Some("macro"));
    assert_eq!(ex.title.as_deref(), Some("Q3 report"));
    assert_eq!(ex.format.as_deref(), Some("pdf"));
    assert_eq!(ex.ocr_pages, 0);
    assert_eq!(ex.gps_lat, None);
    let meta: serde_json::Value =
        serde_json::from_str(ex.meta.as_deref().expect("meta")).expect("json");
    assert_eq!(meta["title"], "Q3 report");
    assert_eq!(ex.text_sha256, Some(sha(&f.pdf_text)));
    assert!(c.document_extraction(&loose).expect("extraction").is_none());

    // Search support.
    assert_eq!(c.tagged_keys("hot").expect("tagged"), [f.ka.clone()]);
    assert!(c.tagged_keys("cold").expect("tagged").is_empty());
    assert!(c.is_message_key(&f.ka).expect("is message"));
    assert!(!c.is_message_key(&pdf).expect("is message"));
    let first = c.first_carrier(&pdf).expect("carrier").expect("carried");
    assert_eq!(first.content_key, f.ka);
    assert_eq!(first.name.as_deref(), Some("report.pdf"));
    assert!(c.first_carrier(&nested).expect("carrier").is_none());
    let inside = c
        .nested_carrier(&nested)
        .expect("nested")
        .expect("inside a's zip");
    assert_eq!(inside.content_key, f.ka);
    assert_eq!(inside.name.as_deref(), Some("tool.exe"));
    assert!(c.nested_carrier(&loose).expect("nested").is_none());
    assert_eq!(
        c.extraction_flags(&pdf).expect("flags").as_deref(),
        Some("macro")
    );
    assert_eq!(c.extraction_flags(&loose).expect("flags"), None);
    assert_eq!(
        c.extraction_title(&pdf).expect("title").as_deref(),
        Some("Q3 report")
    );
    assert_eq!(c.extraction_title(&loose).expect("title"), None);
    let text = c
        .extraction_text(&pdf)
        .expect("text")
        .expect("pdf has text");
    let text: [u8; 32] = text.try_into().expect("32 bytes");
    assert_eq!(case.read_blob(c, &text).expect("text blob"), f.pdf_text);
    assert_eq!(c.extraction_text(&nested).expect("no text"), None);
    let m = c.first_copy(&f.ka).expect("first copy").expect("a");
    assert_eq!((m.id, m.item_id), (copies[0].id, f.a_item));
    assert_eq!(m.subject.as_deref(), Some("Budget"));
    assert_eq!(
        (m.from_addr.as_deref(), m.from_name.as_deref()),
        (Some("alice@x"), Some("Alice"))
    );
    assert_eq!((m.date, m.attachments), (Some(1000), 2));
    assert_eq!(m.thread, copies[0].thread);
    assert!(c.first_copy(&pdf).expect("first copy").is_none());
    assert_eq!(c.recipients(m.id).expect("to"), ["bob@x", "carol@x"]);
    let hits = c.message_hit_locations(&f.ka).expect("hit locations");
    assert_eq!(
        hits.iter()
            .map(|l| (l.item, l.locator.as_str()))
            .collect::<Vec<_>>(),
        [(f.a_item, "inbox.mbox:0"), (f.a2_item, "other.mbox:0")]
    );
    assert_eq!(hits[0].sha256, Some(f.a_sha.to_vec()));
    assert_eq!(
        (hits[0].outcome.as_str(), hits[0].source.as_str()),
        ("stored", "alpha")
    );
    assert_eq!(hits[0].folder.as_deref(), Some("Inbox"));
    let docs = c.document_hit_locations(&loose).expect("hit locations");
    assert_eq!(docs.len(), 1);
    assert_eq!(
        (docs[0].item, docs[0].name.as_str()),
        (f.loose_item, "notes.txt")
    );
    assert_eq!(docs[0].sha256, Some(loose.clone()));
    assert!(c.document_hit_locations(&pdf).expect("none").is_empty());
    assert_eq!(
        c.attachment_name(&pdf, &f.ka).expect("name").as_deref(),
        Some("report.pdf")
    );
    assert_eq!(c.attachment_name(&pdf, &f.kb).expect("name"), None);
    assert_eq!(
        c.item_sha256(f.loose_item).expect("sha"),
        Some(loose.clone())
    );
    assert_eq!(
        c.item_sha256(f.mbox_item).expect("sha"),
        None,
        "a container"
    );
    assert_eq!(c.item_sha256(i64::MAX).expect("sha"), None, "no such item");

    // Explore: the thread of A and its reply, and names.
    let thread = copies[0].thread.clone().expect("thread");
    let msgs = c.thread_messages(&thread).expect("thread");
    assert_eq!(
        msgs.iter()
            .map(|m| (m.content_key.clone(), m.copies))
            .collect::<Vec<_>>(),
        [(f.ka.clone(), 2), (f.kb.clone(), 1)],
        "by date, copies together"
    );
    assert_eq!(msgs[0].item_id, f.a_item);
    assert_eq!(msgs[1].message_id.as_deref(), Some("b@x"));
    assert_eq!(msgs[1].in_reply_to.as_deref(), Some(r#"["a@x"]"#));
    assert_eq!(msgs[1].from_addr.as_deref(), Some("bob@x"));
    assert!(
        c.thread_messages("no-such-thread")
            .expect("thread")
            .is_empty()
    );
    assert_eq!(c.names_used(&f.ka, "alice@x").expect("names"), ["Alice"]);
    assert!(c.names_used(&f.ka, "zed@x").expect("names").is_empty());

    // Reports.
    let outcomes: Vec<(String, u64)> = sorted(
        c.run_outcomes(f.run)
            .expect("outcomes")
            .into_iter()
            .map(|o| (o.outcome, o.items))
            .collect(),
    );
    assert_eq!(
        outcomes,
        vec![(s("container"), 3), (s("failed"), 1), (s("stored"), 5)]
    );
    assert!(c.run_outcomes(f.run + 1).expect("outcomes").is_empty());
    assert_eq!(c.unresolved_items().expect("unresolved"), [f.failed_item]);
    let prefix = hex::encode(&pdf[..5]);
    assert_eq!(
        c.extraction_by_prefix(&prefix).expect("prefix"),
        Some(pdf.clone())
    );
    assert_eq!(
        c.extraction_by_prefix(&hex::encode(&loose[..5]))
            .expect("prefix"),
        None
    );
    let carried = c.carrier_items(&pdf).expect("carrier items");
    assert_eq!(
        carried
            .iter()
            .map(|x| (x.item_id, x.name.as_deref()))
            .collect::<Vec<_>>(),
        [
            (f.a_item, Some("report.pdf")),
            (f.a2_item, Some("report.pdf"))
        ]
    );
    let counts = c.message_counts().expect("counts");
    assert_eq!((counts.messages, counts.distinct), (3, 2));

    // Items, messages and the reports.
    let a = c.item(f.a_item).expect("item").expect("a");
    assert_eq!(
        (a.locator.as_str(), a.outcome.as_str()),
        ("inbox.mbox:0", "stored")
    );
    assert_eq!(
        (a.parent_id, a.message),
        (Some(f.mbox_item), Some(copies[0].id))
    );
    assert_eq!(a.sha256, Some(hex::encode(f.a_sha)));
    assert!(c.item(i64::MAX).expect("item").is_none());
    let found = |spec: &str| -> Vec<i64> {
        c.find_items(spec)
            .expect("find")
            .into_iter()
            .map(|i| i.id)
            .collect()
    };
    assert_eq!(found(&f.a_item.to_string()), [f.a_item]);
    assert_eq!(found(&hex::encode(&loose[..6])), [f.loose_item]);
    assert_eq!(found("<a@x>"), [f.a_item, f.a2_item]);
    assert_eq!(found("notes.txt"), [f.loose_item]);
    assert!(found("nowhere").is_empty());
    let kids: Vec<String> = c
        .children(f.mbox_item)
        .expect("children")
        .into_iter()
        .map(|i| i.locator)
        .collect();
    assert_eq!(kids, ["inbox.mbox:0", "inbox.mbox:1"]);
    let chain: Vec<String> = trove_store::query::ancestry(c, f.a_item)
        .expect("ancestry")
        .into_iter()
        .map(|i| i.locator)
        .collect();
    assert_eq!(chain, ["inbox.mbox", "inbox.mbox:0"]);
    let row = c.message(copies[0].id).expect("message").expect("a's row");
    assert_eq!(row.content_key, hex::encode(&f.ka));
    assert_eq!((row.item_id, row.attachments), (f.a_item, 2));
    assert_eq!(row.problems, ["no-date"]);
    let everywhere: Vec<i64> = c
        .copies(copies[0].id)
        .expect("copies")
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(everywhere, [f.a_item, f.a2_item]);
    let atts = c.attachments(copies[0].id).expect("attachments");
    assert_eq!(
        atts.iter()
            .map(|a| (a.part, a.sha256.clone()))
            .collect::<Vec<_>>(),
        [(1, hex::encode(&pdf)), (2, hex::encode(&zip))]
    );
    let status = c.status().expect("status");
    assert_eq!((status.messages, status.distinct_messages), (3, 2));
    assert_eq!(status.sources["alpha"]["stored"].items, 5);
    assert_eq!(status.runs.len(), 1);
    let report = c.report().expect("report");
    assert_eq!(report.len(), 1);
    assert_eq!(report[0].source, "alpha");
    assert_eq!(
        report[0].inputs_total.items, 4,
        "three files and a failed zip"
    );
    assert_eq!(report[0].distinct_messages, 2);
    assert_eq!(report[0].reasons[0].reason, "bad central directory");
    let e = c.extraction(&pdf).expect("extraction").expect("pdf");
    assert_eq!(
        (e.format.as_str(), e.flags.clone()),
        ("pdf", vec![s("macro")])
    );
    assert_eq!(e.text_sha256, Some(hex::encode(sha(&f.pdf_text))));
    assert!(c.extraction(&loose).expect("extraction").is_none());
    let er = c.extraction_report().expect("extraction report");
    assert_eq!(er.flags.get("macro"), Some(&1));
    assert_eq!(er.flags.get("executable"), Some(&1));
}

#[test]
fn catalog_read_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = Case::init(&dir.path().join("case")).expect("init");
    let f = build(&case);
    // The writer's own connection, and a read-only one, behind the same interface.
    let rw: Catalog = case.catalog().expect("catalog");
    suite(&case, &rw, &f);
    let ro: Box<dyn CatalogRead> = Box::new(case.reader().expect("reader"));
    suite(&case, ro.as_ref(), &f);
    // Reads inside a snapshot see the same rows.
    assert!(ro.begin_snapshot());
    suite(&case, ro.as_ref(), &f);
    ro.end_snapshot();
}

#[test]
fn the_index_queue_is_trimmed_up_to_a_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = Case::init(&dir.path().join("case")).expect("init");
    build(&case);
    let cat = case.catalog().expect("catalog");
    let queue = cat.index_queue(0, 1000).expect("queue");
    assert!(queue.len() > 2);
    let cut = queue[1].seq;
    assert_eq!(cat.trim_index_queue(cut).expect("trim"), 2);
    assert_eq!(cat.index_queue(0, 1000).expect("queue"), queue[2..]);
    // Positions are never reused: the last one stays where it was.
    assert_eq!(
        cat.index_queue_last().expect("last"),
        queue[queue.len() - 1].seq
    );
    assert_eq!(
        cat.index_queue_pending(0).expect("pending"),
        queue.len() as u64 - 2
    );
}

#[test]
fn database_errors_reach_callers_without_sqlite_types() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = Case::init(&dir.path().join("case")).expect("init");
    let cat = case.reader().expect("reader");
    // A read-only catalog refuses writes; the error says so through the opaque type.
    let err = cat.trim_index_queue(1).expect_err("read-only");
    match &err {
        trove_store::StoreError::Catalog(db) => {
            assert!(!db.is_busy());
            assert!(db.message().contains("readonly"), "{db}");
        }
        other => panic!("not a catalog error: {other:?}"),
    }
    assert!(err.to_string().starts_with("catalog: "), "{err}");
}
