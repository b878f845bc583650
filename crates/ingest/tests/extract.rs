//! Attachments and documents through the whole pipeline: ingest extracts them, the catalog
//! records every outcome, the index makes their text searchable alone or with the message
//! that carries them, and the deferred OCR stage fills in the scans.

mod common;

use std::path::Path;

use common::{TestCase, corpus, mail};
use trove_ingest::IngestOptions;
use trove_ingest::extract_stage::{StageOptions, StageProgress};
use trove_query::{Request, Searchable};
use trove_store::extraction;

fn write(dir: &Path, rel: &str, data: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn search(s: &Searchable, q: &str) -> trove_query::Response {
    let mut r = Request::new(q);
    r.limit = 50;
    s.search(&r).unwrap_or_else(|e| panic!("{q}: {e}"))
}

#[test]
fn attachments_searchable_under_their_messages() {
    let t = TestCase::new();
    let docs = corpus("docs");
    let pdf = std::fs::read(docs.join("generated/simple.pdf")).unwrap();
    let docx = std::fs::read(docs.join("office-es/memo.docx")).unwrap();
    let photo = std::fs::read(docs.join("images/photo_gps.jpg")).unwrap();
    let mail_dir = t.dir.path().join("mail");
    write(
        &mail_dir,
        "ana/1.eml",
        mail(
            "a@x",
            "José Núñez <jnunez@defensa.gob.mx>",
            "Oficio",
            "Adjunto el oficio.",
            &[("Oficio_2314.pdf", "application/pdf", &pdf)],
        )
        .as_bytes(),
    );
    // The same PDF sent again by someone else, with a photo.
    write(
        &mail_dir,
        "ana/2.eml",
        mail(
            "b@x",
            "María García <mgarcia@marina.gob.mx>",
            "Reenvío",
            "Va de nuevo, con la foto.",
            &[
                ("copia.pdf", "application/pdf", &pdf),
                ("IMG_0001.jpg", "image/jpeg", &photo),
            ],
        )
        .as_bytes(),
    );
    // A loose document next to the mail.
    write(&mail_dir, "documentos/memo.docx", &docx);
    t.ingest("SEDENA", &[&mail_dir]);

    let cat = t.case.reader().unwrap();
    let r = extraction::report(&cat).unwrap();
    assert_eq!(r.not_extracted, 0, "{r:?}");
    assert_eq!(
        r.documents, 3,
        "one PDF (two carriers), one photo, one docx"
    );
    assert_eq!(r.formats["pdf"]["extracted"], 1);
    assert_eq!(r.formats["docx"]["extracted"], 1);
    assert_eq!(
        r.formats["jpeg"]["ocr-pending"], 1,
        "OCR is deferred by default"
    );

    let s = Searchable::open(&t.case).unwrap();
    // A word only in the attachment: the hit is the message, with the attachment and a snippet.
    let res = search(&s, "pingüino kind:attachment");
    assert_eq!(res.total, 1);
    let res = search(&s, "pingüino");
    let msgs: Vec<&str> = res
        .hits
        .iter()
        .filter(|h| h.kind == "message")
        .filter_map(|h| h.subject.as_deref())
        .collect();
    assert!(
        msgs.contains(&"Oficio") || msgs.contains(&"Reenvío"),
        "{msgs:?}"
    );
    let hit = res.hits.iter().find(|h| h.kind == "message").unwrap();
    let att = &hit.in_attachments[0];
    assert!(
        att.name.as_deref().is_some_and(|n| n.ends_with(".pdf")),
        "{att:?}"
    );
    assert!(
        att.snippet
            .as_ref()
            .map(|s| s.to_html())
            .unwrap_or_default()
            .contains("<b>pingüino</b>"),
        "{att:?}"
    );
    // The loose document is a document.
    let res = search(&s, "pingüino kind:document");
    assert_eq!(res.total, 1);
    assert_eq!(
        res.hits[0].subject.as_deref(),
        Some("Oficio 2314"),
        "the title from its metadata"
    );
    // With the message: message clauses on the message, content clauses on its attachments;
    // each message once, with the attachment that matched.
    let res = search(&s, "pingüino kind:message");
    assert_eq!(res.total, 2, "{:?}", res.hits);
    assert!(
        res.hits.iter().all(|h| h.in_attachments.len() == 1),
        "{:?}",
        res.hits
    );
    let res = search(&s, "from:mgarcia@marina.gob.mx pingüino");
    assert_eq!(res.total, 1);
    assert_eq!(res.hits[0].subject.as_deref(), Some("Reenvío"));
    assert_eq!(
        res.hits[0].in_attachments[0].name.as_deref(),
        Some("copia.pdf")
    );
    let res = search(&s, "from:jnunez@defensa.gob.mx pingüino");
    assert_eq!(res.total, 1);
    assert_eq!(
        res.hits[0].in_attachments[0].name.as_deref(),
        Some("Oficio_2314.pdf")
    );
    assert_eq!(search(&s, "from:nobody@nowhere.mx pingüino").total, 0);
    assert_eq!(
        search(&s, "from:jnunez@defensa.gob.mx -pingüino").total,
        0,
        "the attachment is part of the message"
    );
    // Attachments themselves, on request, with their carriers' senders.
    assert_eq!(
        search(&s, "from:mgarcia@marina.gob.mx pingüino kind:attachment").total,
        1
    );
    assert_eq!(
        search(&s, "attachment:Oficio_2314.pdf kind:attachment").total,
        1
    );
    assert_eq!(search(&s, "has:attachment kind:message").total, 2);
    // Metadata and EXIF.
    assert_eq!(search(&s, "author:muñoz").total, 1);
    assert_eq!(search(&s, "has:gps").total, 1);
    let gps = search(&s, "has:gps");
    assert_eq!(
        gps.hits[0].subject.as_deref(),
        Some("Reenvío"),
        "the photo shows under its message"
    );
}

#[test]
fn hostile_mail_flagged_without_crashes() {
    let dir = corpus("mail/hostile");
    let t = TestCase::new();
    t.ingest("hostile", &[&dir]);
    let cat = t.case.reader().unwrap();
    let r = extraction::report(&cat).unwrap();
    assert_eq!(r.not_extracted, 0, "every attachment has an outcome: {r:?}");
    assert!(r.documents >= 20, "{}", r.documents);
    // Nothing crashed, hung or ran out of memory.
    for reason in &r.reasons {
        assert!(
            !reason.reason.contains("worker") && !reason.reason.contains("panicked"),
            "{reason:?}"
        );
    }
    assert_eq!(
        r.formats
            .values()
            .filter_map(|m| m.get("failed"))
            .sum::<u64>(),
        0,
        "{:?}",
        r.reasons
    );
    // The malware is flagged: programs and scripts, in archives too, and names that lie.
    assert!(
        r.flags.get("executable").copied().unwrap_or(0) >= 5,
        "{:?}",
        r.flags
    );
    assert!(
        r.flags.get("mismatch").copied().unwrap_or(0) >= 1,
        "{:?}",
        r.flags
    );
    // Flags are searchable and faceted, and hits show under the carrying message.
    let s = Searchable::open(&t.case).unwrap();
    let mut req = Request::new("flag:executable");
    req.facets = true;
    req.limit = 50;
    let res = s.search(&req).unwrap();
    // Five executables, in zips too, carried by three messages: each message counts once.
    assert_eq!(res.total, 3, "{:?}", res.hits);
    assert_eq!(res.hits.len(), 3);
    assert!(
        res.hits
            .iter()
            .all(|h| h.kind == "message" && !h.in_attachments.is_empty()),
        "{:?}",
        res.hits
    );
    let attached: usize = res.hits.iter().map(|h| h.in_attachments.len()).sum();
    assert!(
        attached >= 5,
        "every executable is shown under its message: {:?}",
        res.hits
    );
    let facets = res.facets.unwrap();
    assert!(
        facets
            .flag
            .iter()
            .any(|b| b.value == "executable" && b.count == 3),
        "{:?}",
        facets.flag
    );
    assert!(s.count("flag:executable AND kind:attachment").unwrap() >= 5);
    // Executables are never opened: skipped with a reason.
    let skipped: i64 = t.count(
        "SELECT COUNT(*) FROM extractions WHERE format = 'executable' AND status = 'skipped'",
    );
    assert!(skipped >= 2);
}

#[test]
fn ocr_deferred_then_done() {
    let t = TestCase::new();
    let generated = corpus("docs/generated");
    let input = t.dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    for f in ["scanned.pdf", "mixed.pdf", "simple.pdf"] {
        std::fs::copy(generated.join(f), input.join(f)).unwrap();
    }
    let mut opts = IngestOptions::new("scans", vec![input.clone()]);
    opts.extract = Some(StageOptions::default());
    t.ingest_with(opts);
    let cat = t.case.reader().unwrap();
    let r = extraction::report(&cat).unwrap();
    assert_eq!(r.formats["pdf"].get("ocr-pending"), Some(&2));
    assert_eq!(r.ocr_pending_pages, 2);
    let s = Searchable::open(&t.case).unwrap();
    assert_eq!(search(&s, "has:ocr-pending").total, 2);
    // The OCR stage, as `trove ocr` runs it.
    let stats = trove_ingest::extract_stage::run_ocr(
        &t.case,
        &StageOptions::default(),
        &StageProgress::default(),
    )
    .unwrap();
    assert_eq!(
        (stats.documents, stats.ocr_pages, stats.failed),
        (2, 2, 0),
        "{stats:?}"
    );
    trove_ingest::index_pending(&t.case, 64 << 20).unwrap();
    let r = extraction::report(&cat).unwrap();
    assert_eq!((r.ocr_pending_pages, r.ocr_pages), (0, 2));
    let s = Searchable::open(&t.case).unwrap();
    assert_eq!(search(&s, "has:ocr").total, 2);
    assert_eq!(search(&s, "has:ocr-pending").total, 0);
    // The scan's words are found, accents and all.
    let res = search(&s, "\"cigüeña y el ñandú\" has:ocr");
    assert_eq!(res.total, 2, "{:?}", res.hits);
}
