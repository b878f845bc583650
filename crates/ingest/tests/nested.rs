//! Containers inside containers, limits, duplicates and copies, on files built here.

mod common;

use std::io::Write;
use std::path::Path;

use common::TestCase;
use trove_ingest::IngestOptions;
use zip::write::SimpleFileOptions;

fn eml(subject: &str, body: &str) -> String {
    format!(
        "From: =?iso-8859-1?Q?Jos=E9_N=FA=F1ez?= <jnunez@defensa.gob.mx>\nTo: ana@sedena.gob.mx\nSubject: {subject}\nDate: Tue, 15 Mar 2016 09:30:01 -0600\nMessage-ID: <{subject}@defensa.gob.mx>\n\n{body}\n"
    )
}

fn zip_of(entries: &[(&str, &[u8])], password: Option<&str>) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut buf);
    for (name, data) in entries {
        let mut opts = SimpleFileOptions::default();
        if let Some(pw) = password {
            opts = opts.with_aes_encryption(zip::AesMode::Aes256, pw);
        }
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
    buf.into_inner()
}

fn tar_gz_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let tar = common::tar_of(entries);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

fn with_zip_attachment(subject: &str, zip: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut b64 = String::new();
    for chunk in zip.chunks(57) {
        let _ = writeln!(b64, "{}", base64_encode(chunk));
    }
    format!(
        "From: ana@sedena.gob.mx\nTo: jnunez@defensa.gob.mx\nSubject: {subject}\nDate: Wed, 16 Mar 2016 10:00:00 -0600\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nVer adjunto.\n--b\nContent-Type: application/zip; name=\"respaldo.zip\"\nContent-Disposition: attachment; filename=\"respaldo.zip\"\nContent-Transfer-Encoding: base64\n\n{b64}--b--\n"
    )
}

fn base64_encode(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn write(dir: &Path, rel: &str, data: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, data).unwrap();
}

#[test]
fn archives_in_archives_in_attachments() {
    let t = TestCase::new();
    let dump = t.dir.path().join("dump");
    let inner_zip = zip_of(
        &[(
            "informe.eml",
            eml("informe", "Texto del informe.").as_bytes(),
        )],
        None,
    );
    let mbox = format!(
        "From jnunez@defensa.gob.mx Tue Mar 15 09:30:01 2016\n{}\nFrom ana@sedena.gob.mx Tue Mar 15 10:30:01 2016\n{}",
        eml("uno", "From the report: nada."),
        with_zip_attachment("dos", &inner_zip)
    );
    let targz = tar_gz_of(&[
        ("juan/cur/123:2,S", eml("bandeja", "hola").as_bytes()),
        (
            "juan/.Enviados/cur/124:2,RS",
            eml("enviado", "adios").as_bytes(),
        ),
        ("juan/correo.mbox", mbox.as_bytes()),
    ]);
    let secret = zip_of(
        &[("secreto.eml", eml("secreto", "x").as_bytes())],
        Some("pw"),
    );
    let outer = zip_of(
        &[
            ("backup.tar.gz", &targz),
            ("protegido.zip", &secret),
            ("vacio.txt", b""),
        ],
        None,
    );
    write(&dump, "dump.zip", &outer);
    t.ingest("SEDENA", &[&dump]);

    let root = dump
        .canonicalize()
        .unwrap()
        .join("dump.zip")
        .display()
        .to_string();
    let row = |loc: &str| {
        t.strings(&format!("SELECT outcome || '|' || COALESCE(folder, '') || '|' || COALESCE(flags, '') || '|' || format FROM items WHERE locator = '{loc}'"))
    };
    assert_eq!(
        row(&format!("{root}!/backup.tar.gz!/juan/cur/123:2,S")),
        vec!["stored|juan/INBOX|S|eml".to_owned()]
    );
    assert_eq!(
        row(&format!(
            "{root}!/backup.tar.gz!/juan/.Enviados/cur/124:2,RS"
        )),
        vec!["stored|juan/Enviados|RS|eml".to_owned()]
    );
    assert_eq!(
        row(&format!("{root}!/backup.tar.gz")),
        vec!["container|||tar+gzip".to_owned()]
    );
    assert_eq!(
        row(&format!("{root}!/backup.tar.gz!/juan/correo.mbox")),
        vec!["container|||mbox".to_owned()]
    );
    // The second mbox message carries a zip holding a message: all items, linked.
    let mbox_loc = format!("{root}!/backup.tar.gz!/juan/correo.mbox");
    let msgs = t.strings(&format!("SELECT locator FROM items WHERE parent_id = (SELECT id FROM items WHERE locator = '{mbox_loc}') ORDER BY byte_offset"));
    assert_eq!(msgs.len(), 2);
    assert_eq!(row(&msgs[0]), vec!["stored|juan/correo||eml".to_owned()]);
    let att = format!("{}!/attachment-2/respaldo.zip", msgs[1]);
    assert_eq!(row(&att), vec!["container|||zip".to_owned()]);
    assert_eq!(
        row(&format!("{att}!/informe.eml")),
        vec!["stored|||eml".to_owned()]
    );
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM attachments WHERE item_id = (SELECT id FROM items WHERE locator = '{att}')")), 1);
    // Byte ranges point at the message inside the decompressed mbox.
    let (off, len): (i64, i64) = {
        t.sql()
            .query_row(
                &format!(
                    "SELECT byte_offset, byte_length FROM items WHERE locator = '{}'",
                    msgs[0]
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    assert_eq!(
        &mbox.as_bytes()[off as usize..(off + len) as usize],
        eml("uno", "From the report: nada.").as_bytes()
    );
    // Encrypted members are recorded as encrypted, not failed; empty ones as empty.
    let enc = t.strings(&format!("SELECT outcome || ': ' || reason FROM items WHERE locator = '{root}!/protegido.zip!/secreto.eml'"));
    assert_eq!(
        enc,
        vec!["skipped: encrypted member (zip encryption); no password".to_owned()]
    );
    assert_eq!(
        row(&format!("{root}!/vacio.txt")),
        vec!["skipped|||empty".to_owned()]
    );
    // Everything complete, nothing failed.
    assert_eq!(t.count("SELECT COUNT(*) FROM items WHERE complete = 0"), 0);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM items WHERE outcome = 'failed'"),
        0
    );
    // Raw 8-bit display names decoded.
    assert!(t.count("SELECT COUNT(*) FROM addresses WHERE name = 'José Núñez'") >= 4);
}

#[test]
fn limits_are_recorded_not_crashes() {
    let t = TestCase::new();
    let dir = t.dir.path().join("in");
    let zeros = vec![0u8; 20 << 20];
    write(&dir, "bomba.zip", &zip_of(&[("ceros.bin", &zeros)], None));
    // Four zips deep.
    let mut z = zip_of(&[("fondo.eml", eml("fondo", "x").as_bytes())], None);
    for i in 0..4 {
        z = zip_of(&[(&format!("nivel{i}.zip"), &z)], None);
    }
    write(&dir, "profundo.zip", &z);
    let mut opts = IngestOptions::new("lim", vec![dir.clone()]);
    opts.limits.max_ratio = 50;
    opts.limits.max_depth = 3;
    t.ingest_with(opts);
    let bomb = t.strings("SELECT outcome || ': ' || reason FROM items WHERE name = 'ceros.bin'");
    assert_eq!(bomb.len(), 1);
    assert!(
        bomb[0].starts_with("skipped: not read: compression ratio limit"),
        "{bomb:?}"
    );
    // Depth: the zip at the limit is stored unopened, with a note.
    let deep = t.strings("SELECT format || ' ' || outcome || ' ' || json_extract(meta, '$.note') FROM items WHERE meta LIKE '%nesting depth%'");
    assert_eq!(
        deep,
        vec!["zip stored stored unopened: nesting depth limit of 3 reached".to_owned()]
    );
    assert_eq!(t.count("SELECT COUNT(*) FROM items WHERE complete = 0"), 0);
}

#[test]
fn duplicates_are_deterministic_and_copies_linked() {
    let msg = eml("oficio", "Por medio del presente.");
    let crlf = msg.replace('\n', "\r\n");
    let delivered = format!(
        "Received: from mx by exch; Tue, 15 Mar 2016 09:30:04 -0600\nDelivered-To: ana@sedena.gob.mx\n{msg}"
    );
    let mut results = Vec::new();
    for reverse in [false, true] {
        let t = TestCase::new();
        let a = t.dir.path().join("a");
        let b = t.dir.path().join("b");
        write(&a, "enviados/1.eml", msg.as_bytes());
        write(&a, "bandeja/1.eml", msg.as_bytes());
        write(&b, "bandeja/1.eml", crlf.as_bytes());
        write(&b, "otra/1.eml", delivered.as_bytes());
        let inputs: Vec<&Path> = if reverse { vec![&b, &a] } else { vec![&a, &b] };
        t.ingest("s", &inputs);
        // One exact duplicate (same bytes), decided by the smallest locator whatever the order.
        let prefix = t.dir.path().canonicalize().unwrap().display().to_string();
        let outcomes: Vec<String> = t
            .strings("SELECT locator || ' ' || outcome FROM items ORDER BY locator")
            .into_iter()
            .map(|s| s.replacen(&prefix, "", 1))
            .collect();
        results.push(outcomes);
        assert_eq!(
            t.count("SELECT COUNT(*) FROM items WHERE outcome = 'duplicate'"),
            1
        );
        // Three different byte strings, one message after linking copies.
        assert_eq!(t.count("SELECT COUNT(*) FROM messages"), 3);
        assert_eq!(
            t.count("SELECT COUNT(DISTINCT content_key) FROM messages"),
            1
        );
        let dup_of =
            t.strings("SELECT p.locator FROM items i JOIN items p ON p.id = i.duplicate_of");
        assert!(dup_of[0].ends_with("a/bandeja/1.eml"), "{dup_of:?}");
    }
    assert_eq!(results[0], results[1]);
}

#[test]
fn odd_files_on_disk() {
    let t = TestCase::new();
    let dir = t.dir.path().join("in");
    write(&dir, "vacio.eml", b"");
    write(&dir, "nota.pdf", b"%PDF-1.4\n%%EOF\n");
    write(&dir, "Maildir/cur/1:2,S", b"just text in a maildir");
    std::os::unix::fs::symlink("/etc/passwd", dir.join("enlace")).unwrap();
    write(
        &dir,
        "single.mbox",
        format!("From a@b.c Tue Mar 15 09:30:01 2016\n{}", eml("solo", "x")).as_bytes(),
    );
    t.ingest("odd", &[&dir]);
    let rows = t.strings("SELECT name || ' ' || format || ' ' || outcome FROM items ORDER BY name");
    assert_eq!(
        rows,
        [
            "1:2,S eml stored",
            "enlace unknown skipped",
            "nota.pdf pdf stored",
            "single.mbox eml stored",
            "vacio.eml empty skipped"
        ]
        .map(String::from)
    );
    assert_eq!(
        t.strings("SELECT problems FROM messages m JOIN items i ON i.message = m.id WHERE i.name = '1:2,S'"),
        vec!["no_headers".to_owned()]
    );
    // No date in the message: the file's time is the last resort, and says so.
    assert_eq!(
        t.strings("SELECT date_source FROM messages WHERE problems = 'no_headers'"),
        vec!["container".to_owned()]
    );
    // The envelope line of a one-message mbox file gives no date here, the Date header does.
    assert_eq!(
        t.strings("SELECT date_source FROM messages WHERE subject = 'solo'"),
        vec!["header".to_owned()]
    );
}

#[test]
fn zimbra_store_with_compressed_blobs() {
    let t = TestCase::new();
    let store = t.dir.path().join("opt/zimbra/store");
    let plain = eml("zimbra", "Mensaje de Zimbra.");
    write(&store, "0/17/msg/0/281-2.msg", plain.as_bytes());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(eml("comprimido", "Mensaje grande comprimido.").as_bytes())
        .unwrap();
    write(&store, "0/17/msg/0/282-5.msg", &gz.finish().unwrap());
    // Single-instance storage: the same blob hard-linked into another mailbox.
    std::fs::create_dir_all(store.join("0/18/msg/0")).unwrap();
    std::fs::hard_link(
        store.join("0/17/msg/0/281-2.msg"),
        store.join("0/18/msg/0/90-1.msg"),
    )
    .unwrap();
    t.ingest("zimbra", &[&store]);
    let rows = t.strings(
        "SELECT m.subject || ' | ' || i.folder || ' | ' || i.outcome FROM items i JOIN messages m ON m.id = i.message ORDER BY i.locator",
    );
    assert_eq!(
        rows,
        [
            "zimbra | zimbra mailbox 17 | stored",
            "comprimido | zimbra mailbox 17 | stored",
            "zimbra | zimbra mailbox 18 | duplicate",
        ]
        .map(String::from)
    );
    assert_eq!(t.strings("SELECT CAST(json_extract(meta, '$.zimbra.item') AS TEXT) FROM items WHERE name = '281-2.msg'"), vec!["281".to_owned()]);
    assert_eq!(
        t.strings("SELECT format FROM items WHERE name = '282-5.msg'"),
        vec!["gzip".to_owned()]
    );
}
