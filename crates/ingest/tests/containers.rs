//! Hostile and odd containers, built here: every member gets an item with an outcome, and what
//! a container can make trove expand or spill is bounded by the container's own size.

mod common;

use std::io::Write;
use std::path::Path;

use common::{TestCase, tar_of};
use trove_ingest::IngestOptions;

fn eml(subject: &str, body: &str) -> String {
    format!(
        "From: ana@sedena.gob.mx\nTo: jnunez@defensa.gob.mx\nSubject: {subject}\nDate: Tue, 15 Mar 2016 09:30:01 -0600\nMessage-ID: <{subject}@defensa.gob.mx>\n\n{body}\n"
    )
}

/// A zip written by hand (the `zip` crate refuses what hostile zips do): each entry is a local
/// header and its data, deflated or stored; `cd` lists, in central-directory order, which local
/// entry each central-directory entry points at, and under which name.
struct HandZip {
    bytes: Vec<u8>,
    /// (name, offset, crc, compressed size, size, method) of each local entry written
    locals: Vec<(String, u32, u32, u32, u32, u16)>,
}

impl HandZip {
    fn new() -> Self {
        HandZip {
            bytes: Vec::new(),
            locals: Vec::new(),
        }
    }

    fn add(&mut self, name: &str, data: &[u8], deflate: bool) -> usize {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let stored = if deflate {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        } else {
            data.to_vec()
        };
        let method: u16 = if deflate { 8 } else { 0 };
        let off = self.bytes.len() as u32;
        let b = &mut self.bytes;
        b.extend_from_slice(&0x04034b50u32.to_le_bytes());
        b.extend_from_slice(&20u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes()); // flags
        b.extend_from_slice(&method.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // time, date
        b.extend_from_slice(&crc.sum().to_le_bytes());
        b.extend_from_slice(&(stored.len() as u32).to_le_bytes());
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(&(name.len() as u16).to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(&stored);
        self.locals.push((
            name.to_owned(),
            off,
            crc.sum(),
            stored.len() as u32,
            data.len() as u32,
            method,
        ));
        self.locals.len() - 1
    }

    /// Finishes with a central directory of `cd` entries: (index of a local entry, name).
    fn finish(mut self, cd: &[(usize, &str)]) -> Vec<u8> {
        let start = self.bytes.len() as u32;
        for (i, name) in cd {
            let (_, off, crc, csize, size, method) = self.locals[*i].clone();
            let b = &mut self.bytes;
            b.extend_from_slice(&0x02014b50u32.to_le_bytes());
            b.extend_from_slice(&20u16.to_le_bytes()); // made by
            b.extend_from_slice(&20u16.to_le_bytes()); // needed
            b.extend_from_slice(&0u16.to_le_bytes());
            b.extend_from_slice(&method.to_le_bytes());
            b.extend_from_slice(&0u32.to_le_bytes());
            b.extend_from_slice(&crc.to_le_bytes());
            b.extend_from_slice(&csize.to_le_bytes());
            b.extend_from_slice(&size.to_le_bytes());
            b.extend_from_slice(&(name.len() as u16).to_le_bytes());
            b.extend_from_slice(&[0u8; 8]); // extra, comment, disk, internal attributes
            b.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            b.extend_from_slice(&off.to_le_bytes());
            b.extend_from_slice(name.as_bytes());
        }
        let size = self.bytes.len() as u32 - start;
        let b = &mut self.bytes;
        b.extend_from_slice(&0x06054b50u32.to_le_bytes());
        b.extend_from_slice(&[0u8; 4]);
        b.extend_from_slice(&(cd.len() as u16).to_le_bytes());
        b.extend_from_slice(&(cd.len() as u16).to_le_bytes());
        b.extend_from_slice(&size.to_le_bytes());
        b.extend_from_slice(&start.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        self.bytes
    }
}

/// A zip of these entries in this order, repeated names and all.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = HandZip::new();
    let cd: Vec<(usize, &str)> = entries
        .iter()
        .map(|(name, data)| (z.add(name, data, true), *name))
        .collect();
    z.finish(&cd)
}

fn write(dir: &Path, rel: &str, data: &[u8]) -> std::path::PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, data).unwrap();
    p.canonicalize().unwrap()
}

/// `(locator, outcome, subject)` of every item under a container, in locator order.
fn members(t: &TestCase, container: &str) -> Vec<(String, String, String)> {
    t.strings(&format!(
        "SELECT i.locator || '|' || i.outcome || '|' || COALESCE(m.subject, '') FROM items i
         LEFT JOIN messages m ON m.id = i.message
         WHERE i.parent_id = (SELECT id FROM items WHERE locator = '{container}') ORDER BY i.locator"
    ))
    .into_iter()
    .map(|s| {
        let mut p = s.splitn(3, '|').map(str::to_owned);
        (
            p.next().unwrap(),
            p.next().unwrap(),
            p.next().unwrap(),
        )
    })
    .collect()
}

/// The report's items at every depth sum to the items in the catalog, and nothing is left
/// incomplete.
fn assert_report_sums(t: &TestCase) {
    let cat = t.case.reader().unwrap();
    let reports = trove_store::query::report(&cat).unwrap();
    let total: u64 = reports
        .iter()
        .flat_map(|r| r.items.values())
        .flat_map(|m| m.values())
        .map(|t| t.items)
        .sum();
    assert_eq!(total as i64, t.count("SELECT COUNT(*) FROM items"));
    assert!(reports.iter().all(|r| r.incomplete == 0));
}

#[test]
fn members_with_a_repeated_name_are_all_items() {
    let t = TestCase::new();
    let dir = t.dir.path().join("in");
    let (a, b, c) = (
        eml("uno", "primero"),
        eml("dos", "segundo"),
        eml("tres", "tercero"),
    );
    let zip = write(
        &dir,
        "a.zip",
        &zip_of(&[
            ("same.eml", a.as_bytes()),
            ("same.eml", b.as_bytes()),
            ("otro.eml", eml("otro", "x").as_bytes()),
            ("same.eml", c.as_bytes()),
        ]),
    );
    let tar = write(
        &dir,
        "b.tar",
        &tar_of(&[
            ("cur/1.eml", eml("t1", "uno").as_bytes()),
            ("cur/1.eml", eml("t2", "dos").as_bytes()),
        ]),
    );
    let run = |t: &TestCase| t.ingest("dup", &[&dir]);
    run(&t);
    let z = zip.display().to_string();
    let expected_zip = vec![
        (format!("{z}!/otro.eml"), "stored".into(), "otro".into()),
        (format!("{z}!/same.eml"), "stored".into(), "uno".into()),
        (format!("{z}!/same.eml#2"), "stored".into(), "dos".into()),
        (format!("{z}!/same.eml#3"), "stored".into(), "tres".into()),
    ];
    assert_eq!(members(&t, &z), expected_zip);
    let tr = tar.display().to_string();
    let expected_tar = vec![
        (format!("{tr}!/cur/1.eml"), "stored".into(), "t1".into()),
        (format!("{tr}!/cur/1.eml#2"), "stored".into(), "t2".into()),
    ];
    assert_eq!(members(&t, &tr), expected_tar);
    assert_report_sums(&t);
    let items = t.count("SELECT COUNT(*) FROM items");
    assert_eq!(items, 2 + 4 + 2);

    // A rerun adds nothing; a rerun of containers left incomplete (as an interrupted run
    // leaves them) recognises every member by its locator and adds nothing either.
    let again = run(&t);
    assert_eq!(again.outcomes.values().sum::<u64>(), 0, "{again:?}");
    rusqlite::Connection::open(t.case.catalog_path())
        .unwrap()
        .execute_batch("UPDATE items SET complete = 0 WHERE parent_id IS NULL")
        .unwrap();
    let resumed = run(&t);
    assert_eq!(resumed.outcomes.values().sum::<u64>(), 0, "{resumed:?}");
    assert_eq!(t.count("SELECT COUNT(*) FROM items"), items);
    assert_eq!(members(&t, &z), expected_zip);
    assert_eq!(members(&t, &tr), expected_tar);
    assert_report_sums(&t);
}

#[test]
fn a_generated_name_never_takes_a_real_one() {
    // A member really named `x.eml#2` after two `x.eml`: each keeps a locator of its own.
    let t = TestCase::new();
    let dir = t.dir.path().join("in");
    let zip = write(
        &dir,
        "a.zip",
        &zip_of(&[
            ("x.eml", eml("a", "1").as_bytes()),
            ("x.eml", eml("b", "2").as_bytes()),
            ("x.eml#2", eml("c", "3").as_bytes()),
        ]),
    );
    t.ingest("dup", &[&dir]);
    let z = zip.display().to_string();
    let got: Vec<(String, String)> = members(&t, &z)
        .into_iter()
        .map(|(l, _, s)| (l.replacen(&z, "", 1), s))
        .collect();
    assert_eq!(
        got,
        [("!/x.eml", "a"), ("!/x.eml#2", "b"), ("!/x.eml#2#2", "c")]
            .map(|(l, s)| (l.to_owned(), s.to_owned()))
    );
    assert_report_sums(&t);
}

/// Options for the hostile inputs: no index, no extraction (what is measured is expansion).
fn opts(dir: &Path) -> IngestOptions {
    let mut o = IngestOptions::new("c", vec![dir.to_path_buf()]);
    o.index = false;
    o.extract = None;
    o
}

#[test]
fn overlapping_zip_entries_are_read_once() {
    // 64 central-directory entries pointing at one local entry of 1 MiB of zeros (the 1.1 MB
    // zip of 1,024 entries on one 1 GiB entry, scaled down).
    let t = TestCase::new();
    let dir = t.dir.path().join("in");
    let mut z = HandZip::new();
    let zeros = z.add("ceros.bin", &vec![0u8; 1 << 20], true);
    let names: Vec<String> = (0..64).map(|i| format!("ceros-{i:02}.bin")).collect();
    let cd: Vec<(usize, &str)> = names.iter().map(|n| (zeros, n.as_str())).collect();
    // And a stored entry whose data is another entry, local header and all.
    let mut inner = HandZip::new();
    inner.add("dentro.eml", eml("dentro", "x").as_bytes(), false);
    let mut q = HandZip::new();
    let outer = q.add("fuera.bin", &inner.bytes, false);
    let mut quoted = inner.locals[0].clone();
    quoted.1 += q.locals[outer].1 + 30 + "fuera.bin".len() as u32;
    q.locals.push(quoted);
    let bomb = write(&dir, "bomba.zip", &z.finish(&cd));
    let quoting = write(
        &dir,
        "cita.zip",
        &q.finish(&[(0, "fuera.bin"), (1, "dentro.eml")]),
    );
    t.ingest_with(opts(&dir));

    let b = bomb.display().to_string();
    let rows = t.strings(&format!(
        "SELECT name || '|' || outcome || '|' || size || '|' || COALESCE(reason, '') FROM items
         WHERE parent_id = (SELECT id FROM items WHERE locator = '{b}') ORDER BY name"
    ));
    assert_eq!(rows.len(), 64);
    assert_eq!(rows[0], "ceros-00.bin|stored|1048576|");
    for r in &rows[1..] {
        assert!(
            r.ends_with(
                "|skipped|1048576|overlapping zip entry (its bytes are an earlier member's); not read"
            ),
            "{r}"
        );
    }
    // One member's bytes were inflated, not 64.
    assert_eq!(
        t.count("SELECT COALESCE(SUM(size), 0) FROM items WHERE outcome IN ('stored', 'duplicate') AND parent_id IS NOT NULL AND format = 'unknown'"),
        0
    );
    assert_eq!(
        t.count(&format!("SELECT SUM(size) FROM items WHERE outcome IN ('stored', 'duplicate') AND locator LIKE '{b}!/%'")),
        1 << 20
    );
    let c = quoting.display().to_string();
    assert_eq!(
        t.strings(&format!(
            "SELECT name || '|' || outcome FROM items WHERE locator LIKE '{c}!/%' ORDER BY name"
        )),
        // fuera.bin holds a local entry, so it is a zip itself (read from its local headers).
        [
            "dentro.eml|skipped",
            "dentro.eml|stored",
            "fuera.bin|container"
        ]
        .map(String::from)
    );
    assert_eq!(
        t.strings(&format!(
            "SELECT reason FROM items WHERE locator = '{c}!/dentro.eml'"
        )),
        ["overlapping zip entry (its bytes are an earlier member's); not read"].map(String::from)
    );
    assert_report_sums(&t);
}

/// A zip of `copies` members, each these bytes.
fn zip_of_copies(name: &str, data: &[u8], copies: usize) -> Vec<u8> {
    let mut z = HandZip::new();
    let cd: Vec<(usize, String)> = (0..copies)
        .map(|i| {
            (
                z.add(&format!("{i:x}-{name}"), data, true),
                format!("{i:x}-{name}"),
            )
        })
        .collect();
    let cd: Vec<(usize, &str)> = cd.iter().map(|(i, n)| (*i, n.as_str())).collect();
    z.finish(&cd)
}

#[test]
fn a_zip_of_zips_stops_at_the_inputs_budget() {
    // 42.zip in small: 16 zips of 16 zips of 16 members of 1 MiB of zeros, 4 GiB in all, from
    // a file of some tens of KB. Every member is small enough for its own ratio limit; the
    // budget of the input (ratio × its size, here at least 8 MiB) stops the whole.
    let t = TestCase::new();
    let dir = t.dir.path().join("in");
    let mut z = zip_of_copies("ceros.bin", &vec![0u8; 1 << 20], 16);
    for level in 0..2 {
        z = zip_of_copies(&format!("nivel{level}.zip"), &z, 16);
    }
    let size = z.len() as u64;
    assert!(size < 200 << 10, "{size}");
    let bomb = write(&dir, "42.zip", &z);
    let mut o = opts(&dir);
    o.limits.max_ratio = 100;
    o.limits.min_expanded_bytes = 8 << 20;
    let budget = o.limits.expansion_budget(size);
    assert_eq!(budget, 8 << 20);
    t.ingest_with(o);

    let b = bomb.display().to_string();
    let leaves = t.count(&format!(
        "SELECT COUNT(*) FROM items WHERE locator LIKE '{b}!/%' AND name LIKE '%ceros.bin' AND outcome IN ('stored', 'duplicate')"
    ));
    let leaf_bytes = t.count(&format!(
        "SELECT COALESCE(SUM(size), 0) FROM items WHERE locator LIKE '{b}!/%' AND outcome IN ('stored', 'duplicate')"
    ));
    assert!((1..8).contains(&leaves), "{leaves}");
    assert!(leaf_bytes as u64 <= budget, "{leaf_bytes}");
    let reason = format!("not read: total expansion limit of {budget} bytes reached");
    let refused = t.count(&format!(
        "SELECT COUNT(*) FROM items WHERE outcome = 'skipped' AND reason = '{reason}'"
    ));
    assert!(refused >= 16, "{refused}");
    // Nothing else: every item met is read, refused with that reason, or a container.
    assert_eq!(
        t.count(&format!(
            "SELECT COUNT(*) FROM items WHERE NOT (outcome IN ('stored', 'duplicate', 'container') OR reason = '{reason}')"
        )),
        0
    );
    // The report names the reason.
    let cat = t.case.reader().unwrap();
    let reports = trove_store::query::report(&cat).unwrap();
    assert!(reports[0].reasons.iter().any(|r| r.reason == reason));
    assert_report_sums(&t);
}

#[test]
fn compressed_bombs_are_refused_before_they_are_spilled() {
    // 64 MiB of zeros in each codec and in a 7z. Over the spill threshold (8 MiB here), each
    // would be written to the case's tmp folder; the ratio checked while streaming refuses it
    // after a megabyte or so. The budget of the input is set high so that only that check
    // stands in the way.
    let t = TestCase::new();
    let dir = t.dir.path().join("in");
    let zeros = vec![0u8; 64 << 20];
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&zeros).unwrap();
    write(&dir, "bomba.bin.gz", &gz.finish().unwrap());
    write(
        &dir,
        "bomba.bin.zst",
        &zstd::encode_all(&zeros[..], 3).unwrap(),
    );
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    bz.write_all(&zeros).unwrap();
    write(&dir, "bomba.bin.bz2", &bz.finish().unwrap());
    let mut xz = lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).unwrap();
    xz.write_all(&zeros).unwrap();
    write(&dir, "bomba.bin.xz", &xz.finish().unwrap());
    let mut sz = sevenz_rust2::ArchiveWriter::new(std::io::Cursor::new(Vec::new())).unwrap();
    sz.push_archive_entry(
        sevenz_rust2::ArchiveEntry::new_file("bomba.bin"),
        Some(&zeros[..]),
    )
    .unwrap();
    write(&dir, "bomba.7z", &sz.finish().unwrap().into_inner());
    drop(zeros);

    let mut o = opts(&dir);
    o.spill_threshold = 8 << 20;
    o.limits.max_ratio = 100;
    o.limits.min_expanded_bytes = 4 << 30;
    let summary = t.ingest_with(o);

    let rows = t.strings(
        "SELECT p.name || '|' || i.name || '|' || i.outcome || '|' || COALESCE(i.reason, '') FROM items i
         JOIN items p ON p.id = i.parent_id ORDER BY p.name",
    );
    assert_eq!(rows.len(), 5, "{rows:?}");
    let parents = [
        "bomba.7z",
        "bomba.bin.bz2",
        "bomba.bin.gz",
        "bomba.bin.xz",
        "bomba.bin.zst",
    ];
    for (row, parent) in rows.iter().zip(parents) {
        assert!(
            row.starts_with(&format!(
                "{parent}|bomba.bin|skipped|not read: compression ratio limit of "
            )),
            "{row}"
        );
    }
    // Refused before anything was spilled, and nothing is left in the tmp folder.
    assert_eq!(summary.spilled_bytes, 0, "{summary:?}");
    assert_eq!(common::files_on_disk(&t.case.tmp_dir()).0, 0);
    assert_report_sums(&t);
}

#[test]
fn spills_of_dead_runs_are_removed_at_the_next_ingest() {
    let t = TestCase::new();
    let tmp = t.case.tmp_dir();
    // A run killed while spilling: its lock file unlocked, a 3 GB (sparse) spill file left.
    std::fs::create_dir_all(tmp.join("spill-4000001-1-0")).unwrap();
    std::fs::File::create(tmp.join("spill-4000001-1-0.lock")).unwrap();
    let big = std::fs::File::create(tmp.join("spill-4000001-1-0/.tmpAbCdEf")).unwrap();
    big.set_len(3 << 30).unwrap();
    // One killed before it could even name its lock file.
    std::fs::create_dir_all(tmp.join("spill-4000002-1-0")).unwrap();
    std::fs::write(tmp.join("spill-4000002-1-0/.tmp123456"), b"x").unwrap();
    // A live run (this process holds the lock), and a file of the server's.
    std::fs::create_dir_all(tmp.join("spill-1-1-0")).unwrap();
    std::fs::write(tmp.join("spill-1-1-0/.tmpLive00"), b"live").unwrap();
    let live = std::fs::File::create(tmp.join("spill-1-1-0.lock")).unwrap();
    live.lock().unwrap();
    std::fs::write(tmp.join("export-abc.zip"), b"PK").unwrap();

    let dir = t.dir.path().join("in");
    // A member over the spill threshold, so that this run spills too.
    write(
        &dir,
        "a.zip",
        &zip_of(&[("grande.bin", &vec![7u8; 3 << 20])]),
    );
    let mut o = opts(&dir);
    o.spill_threshold = 1 << 20;
    let summary = t.ingest_with(o);
    assert_eq!(summary.stale_spill_bytes_removed, (3 << 30) + 1);
    assert_eq!(summary.spilled_bytes, 3 << 20);
    assert_eq!(
        t.count("SELECT COUNT(*) FROM items WHERE name = 'grande.bin' AND outcome = 'stored'"),
        1
    );
    let mut left: Vec<String> = walkdir::WalkDir::new(&tmp)
        .min_depth(1)
        .into_iter()
        .map(|e| {
            e.unwrap()
                .path()
                .strip_prefix(&tmp)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    left.sort();
    // The live run's folder and the server's file stay; this run cleaned up after itself.
    assert_eq!(
        left,
        [
            "export-abc.zip",
            "spill-1-1-0",
            "spill-1-1-0.lock",
            "spill-1-1-0/.tmpLive00"
        ]
        .map(String::from)
    );
    drop(live);
    // Once its run is gone, the next ingest removes it.
    let again = t.ingest_with(opts(&dir));
    assert_eq!(again.stale_spill_bytes_removed, 4);
    assert!(!tmp.join("spill-1-1-0").exists());
    assert!(tmp.join("export-abc.zip").exists());
}

#[test]
fn zip_entries_named_like_folders_but_holding_data_are_members() {
    let t = TestCase::new();
    let dir = t.dir.path().join("in");
    let mut z = HandZip::new();
    let hidden = z.add(
        "carpeta/",
        eml("escondido", "en una carpeta").as_bytes(),
        false,
    );
    let empty = z.add("vacia/", b"", false);
    // Java writes folders deflated: two bytes of an empty stream, still a folder.
    let java = z.add("java/", b"", true);
    let deflated = z.add("otra/", b"datos comprimidos en una carpeta", true);
    let zip = write(
        &dir,
        "a.zip",
        &z.finish(&[
            (hidden, "carpeta/"),
            (empty, "vacia/"),
            (java, "java/"),
            (deflated, "otra/"),
        ]),
    );
    t.ingest_with(opts(&dir));
    let a = zip.display().to_string();
    let rows: Vec<String> = t
        .strings(&format!(
            "SELECT i.locator || '|' || i.name || '|' || i.outcome || '|' || i.size || '|' || COALESCE(m.subject, '')
             FROM items i LEFT JOIN messages m ON m.id = i.message WHERE i.locator LIKE '{a}!/%' ORDER BY i.locator"
        ))
        .into_iter()
        .map(|r| r.replacen(&a, "", 1))
        .collect();
    let hidden_len = eml("escondido", "en una carpeta").len();
    assert_eq!(
        rows,
        [
            format!("!/carpeta/|carpeta/|stored|{hidden_len}|escondido"),
            "!/otra/|otra/|stored|32|".to_owned(),
        ]
    );
    // A tar folder entry with data, likewise.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_size(5);
    h.set_mode(0o755);
    h.set_cksum();
    b.append_data(&mut h, "dir/", &b"datos"[..]).unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_size(0);
    h.set_mode(0o755);
    h.set_cksum();
    b.append_data(&mut h, "sola/", &b""[..]).unwrap();
    let tar = write(&dir, "b.tar", &b.into_inner().unwrap());
    t.ingest_with(opts(&dir));
    let bt = tar.display().to_string();
    assert_eq!(
        t.strings(&format!(
            "SELECT name || '|' || outcome || '|' || size FROM items WHERE locator LIKE '{bt}!/%'"
        )),
        ["dir/|stored|5"].map(String::from)
    );
    assert_eq!(
        t.strings(&format!("SELECT outcome FROM items WHERE locator = '{a}'")),
        ["container"].map(String::from)
    );
    assert_report_sums(&t);
}

/// A message carrying `inner` as an attached message (message/rfc822).
fn forwarding(subject: &str, inner: &str) -> String {
    format!(
        "From: ana@sedena.gob.mx\nTo: jnunez@defensa.gob.mx\nSubject: {subject}\nDate: Wed, 16 Mar 2016 10:00:00 -0600\nMessage-ID: <{subject}@sedena.gob.mx>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"{subject}-b\"\n\n--{subject}-b\nContent-Type: text/plain\n\nReenvío.\n--{subject}-b\nContent-Type: message/rfc822\n\n{inner}\n--{subject}-b--\n"
    )
}

#[test]
fn the_nesting_limit_inside_attached_messages_is_recorded() {
    let t = TestCase::new();
    let dir = t.dir.path().join("in");
    // Six messages, each attached to the next; the limit opens four of them.
    let mut m = eml("nivel5", "el fondo");
    for level in (0..5).rev() {
        m = forwarding(&format!("nivel{level}"), &m);
    }
    write(&dir, "reenvios.eml", m.as_bytes());
    let mut o = opts(&dir);
    o.limits.max_depth = 3;
    t.ingest_with(o);
    let rows = t.strings(
        "SELECT i.kind || '|' || i.outcome || '|' || COALESCE(m.subject, i.name) || '|' || COALESCE(i.reason, '')
         FROM items i LEFT JOIN messages m ON m.id = i.message ORDER BY length(i.locator)",
    );
    let reason = "attached message not opened: nesting depth limit of 3 reached";
    assert_eq!(
        rows,
        [
            "file|stored|nivel0|".to_owned(),
            "attachment|stored|nivel1|".to_owned(),
            "attachment|stored|nivel2|".to_owned(),
            "attachment|stored|nivel3|".to_owned(),
            format!("attachment|skipped|attachment 2|{reason}"),
        ]
    );
    // Linked to the attachment it is, and named in the report.
    assert_eq!(
        t.count("SELECT COUNT(*) FROM attachments a JOIN items i ON i.id = a.item_id WHERE i.outcome = 'skipped'"),
        1
    );
    let cat = t.case.reader().unwrap();
    let reports = trove_store::query::report(&cat).unwrap();
    assert!(
        reports[0]
            .reasons
            .iter()
            .any(|r| r.reason == reason && r.items == 1),
        "{:?}",
        reports[0].reasons
    );
    assert_report_sums(&t);
}
