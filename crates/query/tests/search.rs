//! Searches with known answers, on mail written here and on the shared corpora.

use std::path::{Path, PathBuf};

use trove_ingest::{IngestOptions, Progress, ingest};
use trove_query::export::{self, Format};
use trove_query::{Request, Searchable, Sort};
use trove_store::Case;

struct Fixture {
    _dir: tempfile::TempDir,
    case: Case,
    s: Searchable,
}

fn msg(id: &str, from: &str, to: &str, subject: &str, date: &str, body: &str) -> String {
    format!(
        "From: {from}\nTo: {to}\nSubject: {subject}\nDate: {date}\nMessage-ID: <{id}>\nContent-Type: text/plain; charset=utf-8\n\n{body}\n"
    )
}

fn with_attachment(id: &str, subject: &str, name: &str, mime: &str, payload_len: usize) -> String {
    // payload_len bytes of "ABC…" as base64 in 76-character lines.
    let line = "QUJD".repeat(19);
    let b64 = format!("{line}\n").repeat(payload_len / 57 + 1);
    format!(
        "From: ana@sedena.gob.mx\nTo: jnunez@defensa.gob.mx\nSubject: {subject}\nDate: Mon, 02 Dec 2019 10:00:00 -0600\nMessage-ID: <{id}>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nAdjunto el documento.\n--b\nContent-Type: {mime}; name=\"{name}\"\nContent-Disposition: attachment; filename=\"{name}\"\nContent-Transfer-Encoding: base64\n\n{b64}\n--b--\n"
    )
}

fn write(dir: &Path, rel: &str, data: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mail = dir.path().join("mail");
    let oficio = msg(
        "oficio-1@defensa.gob.mx",
        "\"José Núñez\" <jnunez@defensa.gob.mx>",
        "Ana Pérez <ana@sedena.gob.mx>",
        "Adquisición de vehículos blindados",
        "Tue, 15 Mar 2016 09:30:01 -0600",
        "Por medio del presente se solicita la adquisición de vehículos blindados.\nLa contraseña del sistema es reservada.\nCompra de armas cortas para la zona militar.",
    );
    // The same message in the sender's Sent folder and the recipient's Inbox (other bytes).
    write(&mail, "jnunez/Enviados/1.eml", &oficio);
    write(
        &mail,
        "ana/Bandeja/1.eml",
        &format!(
            "Received: from mx by exch; Tue, 15 Mar 2016 09:30:04 -0600\n{}",
            oficio.replace('\n', "\r\n")
        ),
    );
    write(
        &mail,
        "ana/Bandeja/2.eml",
        &msg(
            "reply-1@sedena.gob.mx",
            "Ana Pérez <ana@sedena.gob.mx>",
            "jnunez@defensa.gob.mx",
            "RE: Adquisición de vehículos blindados",
            "Wed, 16 Mar 2016 11:00:00 -0600",
            "Recibido. Las ADQUISICIONES se aprueban. CONTRASEÑA cambiada.",
        )
        .replace(
            "Message-ID: <reply-1@sedena.gob.mx>",
            "Message-ID: <reply-1@sedena.gob.mx>\nIn-Reply-To: <oficio-1@defensa.gob.mx>",
        ),
    );
    write(
        &mail,
        "ana/Bandeja/3.eml",
        &msg(
            "attache-1@embassy.example",
            "attache@embassy.example",
            "ana@sedena.gob.mx",
            "Armored vehicle purchases",
            "Thu, 05 Aug 2021 08:00:00 +0000",
            "We purchased the armored vehicles discussed. The contracts were signed yesterday in the capital.",
        ),
    );
    // A list-archive address form, and cc/bcc.
    write(
        &mail,
        "ana/Bandeja/4.eml",
        "From: mgarcia at marina.gob.mx (María García)\nTo: ana@sedena.gob.mx\nCc: Comandante Ruiz <cruiz@sedena.gob.mx>\nBcc: auditoria@sfp.gob.mx\nSubject: Reunión de coordinación\nDate: Fri, 20 Sep 2019 17:00:00 -0500\nMessage-ID: <reunion-1@marina.gob.mx>\n\nSe convoca a reunión en Veracruz sobre el contrato de mantenimiento.\n",
    );
    write(
        &mail,
        "ana/Bandeja/5.eml",
        &with_attachment(
            "informe-1@sedena.gob.mx",
            "Informe anual",
            "Informe_Anual_2019.pdf",
            "application/pdf",
            2 << 20,
        ),
    );
    // A header-poor reply: tied to its thread by subject and participants only.
    write(
        &mail,
        "ana/Bandeja/6.eml",
        &msg(
            "poor-1@sedena.gob.mx",
            "jnunez@defensa.gob.mx",
            "ana@sedena.gob.mx",
            "RE: Reunión de coordinación",
            "Sat, 21 Sep 2019 09:00:00 -0500",
            "Confirmo asistencia.",
        ),
    );
    let case = Case::init(&dir.path().join("case")).unwrap();
    let opts = IngestOptions::new("SEDENA", vec![mail.clone()]);
    ingest(&case, &opts, &Progress::default()).unwrap();
    let s = Searchable::open(&case).unwrap();
    Fixture { _dir: dir, case, s }
}

fn subjects(f: &Fixture, q: &str) -> Vec<String> {
    let mut req = Request::new(q);
    req.limit = 100;
    req.sort = Sort::Oldest;
    let r = f.s.search(&req).unwrap_or_else(|e| panic!("{q}: {e}"));
    assert_eq!(r.total as usize, r.hits.len(), "{q}");
    r.hits
        .into_iter()
        .map(|h| h.subject.unwrap_or_default())
        .collect()
}

const OFICIO: &str = "Adquisición de vehículos blindados";
const REPLY: &str = "RE: Adquisición de vehículos blindados";

#[test]
fn language_accents_stemming() {
    let f = fixture();
    // Accent- and case-insensitive.
    for q in ["contraseña", "contrasena", "CONTRASEÑA"] {
        assert_eq!(subjects(&f, q), [OFICIO, REPLY], "{q}");
    }
    // Spanish stemming: singular finds plural and back.
    assert_eq!(subjects(&f, "adquisiciones"), [OFICIO, REPLY]);
    assert_eq!(subjects(&f, "body:adquisicion"), [OFICIO, REPLY]);
    // English stemming for the English message.
    assert_eq!(subjects(&f, "purchase"), ["Armored vehicle purchases"]);
    assert_eq!(subjects(&f, "lang:en"), ["Armored vehicle purchases"]);
    // Exact phrases in the folded field; proximity; wildcards; fuzzy.
    assert_eq!(subjects(&f, "\"compra de armas\""), [OFICIO]);
    assert_eq!(subjects(&f, "\"compra armas\""), Vec::<String>::new());
    assert_eq!(subjects(&f, "\"compra armas\"~2"), [OFICIO]);
    assert_eq!(subjects(&f, "contrat*"), ["Reunión de coordinación"]);
    assert_eq!(subjects(&f, "contract*"), ["Armored vehicle purchases"]);
    assert_eq!(subjects(&f, "*dquisici?n"), [OFICIO, REPLY]);
    assert_eq!(subjects(&f, "blindadso~1"), [OFICIO, REPLY]);
    // Boolean logic.
    assert_eq!(subjects(&f, "adquisicion -recibido"), [OFICIO]);
    assert_eq!(
        subjects(&f, "veracruz OR purchased"),
        ["Reunión de coordinación", "Armored vehicle purchases"]
    );
    assert_eq!(
        subjects(&f, "(veracruz OR purchased) AND contr*"),
        ["Reunión de coordinación", "Armored vehicle purchases"]
    );
    assert_eq!(
        subjects(&f, "(veracruz OR purchased) AND contract*"),
        ["Armored vehicle purchases"]
    );
    assert_eq!(subjects(&f, "NOT lang:es"), ["Armored vehicle purchases"]);
}

#[test]
fn fields_and_addresses() {
    let f = fixture();
    assert_eq!(
        subjects(&f, "from:defensa.gob.mx"),
        [OFICIO, "RE: Reunión de coordinación"]
    );
    assert_eq!(subjects(&f, "from:\"José Núñez\""), [OFICIO]);
    assert_eq!(subjects(&f, "from:nunez"), [OFICIO]);
    assert_eq!(
        subjects(&f, "from:jnunez"),
        [OFICIO, "RE: Reunión de coordinación"]
    );
    assert_eq!(subjects(&f, "from:gob.mx").len(), 5);
    // pipermail's `user at host (Name)` is an address with a name.
    assert_eq!(
        subjects(&f, "from:mgarcia@marina.gob.mx"),
        ["Reunión de coordinación"]
    );
    assert_eq!(
        subjects(&f, "from:\"maria garcia\""),
        ["Reunión de coordinación"]
    );
    assert_eq!(subjects(&f, "cc:ruiz"), ["Reunión de coordinación"]);
    assert_eq!(subjects(&f, "bcc:sfp.gob.mx"), ["Reunión de coordinación"]);
    assert_eq!(
        subjects(&f, "participant:auditoria@sfp.gob.mx"),
        ["Reunión de coordinación"]
    );
    assert_eq!(subjects(&f, "to:ana@sedena.gob.mx").len(), 4);
    assert_eq!(subjects(&f, "subject:blindados"), [OFICIO, REPLY]);
    assert_eq!(subjects(&f, "subject:contraseña"), Vec::<String>::new());
    assert_eq!(subjects(&f, "attachment:informe"), ["Informe anual"]);
    assert_eq!(
        subjects(&f, "filename:\"informe anual 2019\""),
        ["Informe anual"]
    );
    assert_eq!(
        subjects(&f, "filename:informe_anual_2019.pdf"),
        ["Informe anual"]
    );
    assert_eq!(subjects(&f, "mime:pdf"), ["Informe anual"]);
    assert_eq!(subjects(&f, "mime:application/pdf"), ["Informe anual"]);
    assert_eq!(subjects(&f, "has:attachment"), ["Informe anual"]);
    assert_eq!(subjects(&f, "size:>1M"), ["Informe anual"]);
    assert_eq!(subjects(&f, "size:<1M").len(), 5);
    assert_eq!(subjects(&f, "id:oficio-1@defensa.gob.mx"), [OFICIO]);
    assert_eq!(subjects(&f, "id:<reply-1@sedena.gob.mx>"), [REPLY]);
    assert_eq!(subjects(&f, "source:sedena").len(), 6);
    assert_eq!(subjects(&f, "folder:enviados"), [OFICIO]);
    assert_eq!(subjects(&f, "path:jnunez"), [OFICIO]);
    assert_eq!(subjects(&f, "has:copies"), [OFICIO]);
}

#[test]
fn dates() {
    let f = fixture();
    assert_eq!(subjects(&f, "date:2016"), [OFICIO, REPLY]);
    assert_eq!(subjects(&f, "date:2016-03-15"), [OFICIO]);
    assert_eq!(
        subjects(&f, "date:2019-08..2019-12"),
        [
            "Reunión de coordinación",
            "RE: Reunión de coordinación",
            "Informe anual"
        ]
    );
    assert_eq!(subjects(&f, "date:>2019"), ["Armored vehicle purchases"]);
    assert_eq!(subjects(&f, "date:<2017"), [OFICIO, REPLY]);
    assert_eq!(
        subjects(&f, "date:[2019-09-21 TO 2021-01-01]"),
        ["RE: Reunión de coordinación", "Informe anual"]
    );
    let mut req = Request::new("*");
    req.sort = Sort::Newest;
    req.limit = 1;
    assert_eq!(
        f.s.search(&req).unwrap().hits[0].subject.as_deref(),
        Some("Armored vehicle purchases")
    );
}

#[test]
fn copies_collapse_and_threads() {
    let f = fixture();
    let mut req = Request::new("compra");
    let r = f.s.search(&req).unwrap();
    assert_eq!(r.total, 1);
    assert_eq!(r.hits[0].copies, 2);
    assert_eq!(
        r.hits[0].folders,
        vec![
            "mail/ana/Bandeja".to_owned(),
            "mail/jnunez/Enviados".to_owned()
        ]
    );
    req.copies = true;
    let r = f.s.search(&req).unwrap();
    assert_eq!(r.hits[0].locations.len(), 2);
    // A thread by references, and a header-poor reply joined by subject and participants.
    let thread = f.s.search(&Request::new("subject:blindados")).unwrap().hits[0]
        .thread
        .clone()
        .unwrap();
    assert_eq!(subjects(&f, &format!("thread:{thread}")), [OFICIO, REPLY]);
    let t2 = f.s.search(&Request::new("veracruz")).unwrap().hits[0]
        .thread
        .clone()
        .unwrap();
    assert_eq!(
        subjects(&f, &format!("thread:{t2}")),
        ["Reunión de coordinación", "RE: Reunión de coordinación"]
    );
    // Facets count messages, not copies.
    let mut req = Request::new("*");
    req.facets = true;
    let facets = f.s.search(&req).unwrap().facets.unwrap();
    assert_eq!(facets.source[0].count, 6);
    let domains: Vec<(String, u64)> = facets
        .sender_domain
        .iter()
        .map(|b| (b.value.clone(), b.count))
        .collect();
    assert_eq!(
        domains,
        [
            ("defensa.gob.mx".into(), 2),
            ("sedena.gob.mx".into(), 2),
            ("embassy.example".into(), 1),
            ("marina.gob.mx".into(), 1)
        ]
    );
    assert!(
        facets
            .year
            .iter()
            .any(|b| b.value == "2016" && b.count == 2)
    );
    // Snippets highlight the stemmed matches.
    let r = f.s.search(&Request::new("adquisiciones")).unwrap();
    assert!(
        r.hits.iter().any(|h| h
            .snippet
            .as_ref()
            .is_some_and(|s| s.to_html().contains("<b>ADQUISICIONES</b>"))),
        "{:?}",
        r.hits
    );
    let sn = r.hits.iter().find_map(|h| h.snippet.clone()).unwrap();
    assert!(!sn.highlights.is_empty());
    for (s, e) in &sn.highlights {
        assert!(
            sn.text[*s..*e].to_lowercase().starts_with("adquisici"),
            "{}",
            &sn.text[*s..*e]
        );
    }
}

#[test]
fn errors_have_positions() {
    let f = fixture();
    for (q, col) in [
        ("compra AND", 7),
        ("frm:juan", 0),
        ("date:2019-13", 5),
        ("size:>mucho", 5),
        ("(a OR b", 0),
    ] {
        match f.s.search(&Request::new(q)) {
            Err(trove_query::SearchError::Query(e)) => assert_eq!(e.column(), col, "{q}: {e}"),
            other => panic!("{q}: {other:?}"),
        }
    }
}

#[test]
fn exports_stream_every_hit() {
    let f = fixture();
    let mut jsonl = Vec::new();
    let st = export::export(&f.s, "*", Format::Jsonl, true, &mut jsonl).unwrap();
    assert_eq!((st.hits, st.rows), (6, 7));
    let first: serde_json::Value =
        serde_json::from_slice(jsonl.split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert!(first["locator"].as_str().unwrap().contains("/mail/"));
    let mut csv = Vec::new();
    export::export(&f.s, "from:defensa.gob.mx", Format::Csv, false, &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), 3);
    assert!(csv.starts_with("key,kind,item,date,from,"));
    // The mbox holds the original bytes, and splits back into the same messages.
    let mut mbox = Vec::new();
    export::export(&f.s, "ana", Format::Mbox, true, &mut mbox).unwrap();
    let n = trove_formats::mbox::MboxReader::new(&mbox[..], u64::MAX).count();
    assert_eq!(
        n as u64,
        f.s.search(&Request {
            copies: true,
            ..Request::new("ana")
        })
        .unwrap()
        .hits
        .iter()
        .map(|h| h.copies as u64)
        .sum::<u64>()
    );
    let zip_path = f._dir.path().join("export.zip");
    let st =
        export::export_zip(&f.s, "*", false, std::fs::File::create(&zip_path).unwrap()).unwrap();
    let z = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    assert_eq!(z.len() as u64, st.rows + 2);
    assert!(
        z.file_names()
            .any(|n| n.is_ok_and(|n| n == "manifest.jsonl"))
    );
    let _ = &f.case;
}

fn corpus(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora")
        .join(rel);
    assert!(p.exists(), "test corpus missing: {}", p.display());
    p
}

#[test]
fn shared_corpora_known_answers() {
    let dir = tempfile::tempdir().unwrap();
    let case = Case::init(&dir.path().join("case")).unwrap();
    for (src, rel) in [
        ("spam", "mail/spamassassin"),
        ("perceval", "mail/mbox-perceval"),
    ] {
        ingest(
            &case,
            &IngestOptions::new(src, vec![corpus(rel)]),
            &Progress::default(),
        )
        .unwrap();
    }
    let s = Searchable::open(&case).unwrap();
    let count = |q: &str| s.count(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    // The first easy-ham message, by its subject phrase and its sender.
    assert_eq!(count("id:13258.1030015585@munnari.OZ.AU"), 1);
    assert_eq!(
        count(
            "id:13258.1030015585@munnari.OZ.AU AND subject:\"new sequences window\" AND from:\"Robert Elz\" AND date:2002-08-22"
        ),
        1
    );
    assert!(count("subject:\"New Sequences Window\"") > 5);
    // Pipermail's `andy at example.com` is found by address, domain and local part.
    let andy = count("source:perceval AND from:andy@example.com");
    assert!(andy >= 1);
    assert_eq!(count("source:perceval AND from:andy"), andy);
    // Counted with SQLite on the catalog file, independently of trove-store.
    let sql = rusqlite::Connection::open_with_flags(
        case.catalog_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let from_domain = sql
        .query_row(
            "SELECT COUNT(DISTINCT m.content_key) FROM messages m JOIN items i ON i.message = m.id JOIN sources s ON s.id = i.source_id
             WHERE s.label = 'perceval' AND m.from_addr LIKE '%@example.com'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    assert!(from_domain >= 5);
    assert_eq!(
        count("source:perceval AND from:example.com") as i64,
        from_domain
    );
    // Every message is searchable; copies collapsed.
    let messages = sql
        .query_row(
            "SELECT COUNT(DISTINCT content_key) FROM messages",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    assert_eq!(count("kind:message") as i64, messages);
    assert_eq!(count("*") as i64, messages + count("kind:document") as i64);
    assert_eq!(count("source:spam") + count("source:perceval"), count("*"));
}

/// Paging through a query's results takes its facets from the cache, which the next commit to
/// the index makes stale; queries with `tag:` are never cached.
#[test]
fn facets_cached_until_the_index_changes() {
    let f = fixture();
    let page = |q: &str, offset: usize| {
        let mut req = Request::new(q);
        req.facets = true;
        req.limit = 1;
        req.offset = offset;
        f.s.search(&req).unwrap()
    };
    let json = |r: &trove_query::Response| serde_json::to_value(&r.facets).unwrap();
    let first = page("*", 0);
    assert_eq!(f.s.facet_cache().hits(), 0);
    let second = page("*", 1);
    assert_eq!(f.s.facet_cache().hits(), 1);
    assert_eq!(json(&first), json(&second));
    assert_ne!(first.hits[0].key, second.hits[0].key);
    page("tag:x OR *", 0);
    page("tag:x OR *", 1);
    assert_eq!(
        f.s.facet_cache().hits(),
        1,
        "tag: queries read tags, which change without the index"
    );

    // A second source: a new commit, so the facets are counted again and show it.
    let more = f._dir.path().join("more");
    write(
        &more,
        "a.eml",
        &msg(
            "nuevo-1@semar.gob.mx",
            "x@semar.gob.mx",
            "y@semar.gob.mx",
            "Nuevo",
            "Mon, 02 Dec 2019 10:00:00 -0600",
            "texto",
        ),
    );
    ingest(
        &f.case,
        &IngestOptions::new("SEMAR", vec![more]),
        &Progress::default(),
    )
    .unwrap();
    let third = page("*", 1);
    assert_eq!(f.s.facet_cache().hits(), 1);
    let sources = |r: &trove_query::Response| {
        r.facets
            .as_ref()
            .unwrap()
            .source
            .iter()
            .map(|b| b.value.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(sources(&first), ["SEDENA"]);
    assert!(
        sources(&third).contains(&"SEMAR".to_owned()),
        "{:?}",
        sources(&third)
    );
    assert_eq!(third.total, first.total + 1);
}
