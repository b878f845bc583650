//! Damaged and hostile stores: errors, never panics; every message node accounted for (read or
//! failed), whatever the damage. Inputs are made here from the shared corpus by cutting and
//! overwriting bytes, plus the small hostile inputs in `tests/fuzz-regressions` (hand-made: a
//! header whose B-trees point past the end, a TNEF property count of 4 billion, a compressed RTF
//! claiming 4 GB; and every input a fuzz target ever crashed on: `msg-substg-name-not-ascii`, a
//! .msg whose damaged directory, read tolerantly, names a property stream with multibyte
//! characters (found by `outlook_msg` in 15,464 runs; see docs/fuzzing.md). Before it: 47,681
//! PST, 372,319 TNEF, 2,027,870 RTF and ~100,000 MSG runs, 86,170 MSG runs with the tolerant
//! compound-file reader and 96,295 runs of `outlook_pst_scan` (every lookup through the scan).

use std::collections::BTreeMap;
use std::io::Cursor;
use std::ops::ControlFlow;
use std::path::PathBuf;

use trove_outlook::Limits;
use trove_outlook::mime::{AddressBook, Options, to_rfc822};

fn corpus(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora/outlook")
        .join(rel);
    assert!(p.exists(), "test corpus missing: {}", p.display());
    p
}

/// Reads a store from memory; checks that every message node ends read or failed.
fn read_all(bytes: &[u8]) -> Result<(usize, usize), trove_outlook::OutlookError> {
    let (mut ok, mut failed) = (0, 0);
    let limits = Limits {
        max_value_bytes: 32 << 20,
        ..Limits::default()
    };
    let s = trove_outlook::pst::read_store(Cursor::new(bytes), limits, &mut |e| {
        match &e.item {
            Ok(it) => {
                ok += 1;
                let _ = to_rfc822(it, e.book, &Options::default());
            }
            Err(_) => failed += 1,
        }
        ControlFlow::Continue(())
    })?;
    assert_eq!(ok + failed, s.catalog.messages.len());
    let read: u64 = s.read.values().sum();
    assert_eq!(read as usize, ok);
    if failed > 0 {
        assert!(
            !s.mismatches().is_empty(),
            "failures must show in the reconciliation"
        );
    }
    Ok((ok, failed))
}

#[test]
fn truncated_and_overwritten_stores_never_panic() {
    let enron = std::fs::read(corpus("pst/enron.pst")).unwrap();
    assert_eq!(read_all(&enron).unwrap(), (71, 0));
    // Cut short: the B-trees point past the end.
    for len in [
        0usize,
        10,
        600,
        4096,
        100_000,
        enron.len() / 2,
        enron.len() - 512,
    ] {
        let _ = read_all(&enron[..len]);
    }
    // 64 KiB of zeros, then of 0xFF, at spread-out places.
    let mut damaged_reads = 0;
    for i in 1..24 {
        let at = enron.len() * i / 24;
        for fill in [0u8, 0xFF] {
            let mut b = enron.clone();
            let end = (at + 65536).min(b.len());
            b[at..end].fill(fill);
            if let Ok((ok, failed)) = read_all(&b) {
                assert!(ok + failed <= 71 + 16, "{ok} + {failed}");
                if ok < 71 {
                    damaged_reads += 1;
                }
            }
        }
    }
    assert!(damaged_reads > 0, "the damage was never noticed");
    // Deterministic byte flips all over an OST with 4 KiB pages and compressed blocks.
    let ost = std::fs::read(corpus("pst/pstextractortestpdf@outlook.com.ost")).unwrap();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..40 {
        let mut b = ost.clone();
        for _ in 0..64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let at = (x % b.len() as u64) as usize;
            b[at] ^= (x >> 32) as u8 | 1;
        }
        let _ = read_all(&b);
    }
}

#[test]
fn header_pointing_nowhere_is_rebuilt_by_scan_or_an_error() {
    let empty = std::fs::read(corpus("pst/Empty.pst")).unwrap();
    let none = &mut |_: trove_outlook::pst::StoreEntry<'_>| ControlFlow::Continue(());
    let intact =
        trove_outlook::pst::read_store(Cursor::new(&empty), Limits::default(), none).unwrap();
    assert!(intact.repairs.is_none());
    // The node B-tree root (Unicode header, 0xE0) past the end of the file, then at the header:
    // the node map is rebuilt by scanning the file, and the store says so.
    for root in [u64::MAX - 10, empty.len() as u64 + 4096, 0] {
        let mut b = empty.clone();
        b[0xE0..0xE8].copy_from_slice(&root.to_le_bytes());
        let s = trove_outlook::pst::read_store(Cursor::new(&b), Limits::default(), none)
            .unwrap_or_else(|e| panic!("root {root:#x}: {e}"));
        let folders = |s: &trove_outlook::pst::StoreSummary| {
            s.catalog
                .folders
                .iter()
                .map(|f| f.path.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(folders(&s), folders(&intact), "root {root:#x}");
        let note = s.mismatches().join("; ");
        assert!(
            note.contains("the file was scanned"),
            "root {root:#x}: {note}"
        );
    }
    // Nothing but the header: nothing to find, an error that says so.
    let mut b = empty.clone();
    b[0xE0..0xE8].copy_from_slice(&0u64.to_le_bytes());
    b[4096..].fill(0);
    let e = read_all(&b).unwrap_err().to_string();
    assert!(e.contains("a scan of the file did not find it"), "{e}");
    // An unknown version and Outlook's "high" encryption are refused, not misread.
    let mut b = empty.clone();
    b[10] = 99;
    assert!(matches!(
        read_all(&b),
        Err(trove_outlook::OutlookError::Unsupported(_))
    ));
    let mut b = empty;
    b[0x201] = 0x10;
    assert!(matches!(
        read_all(&b),
        Err(trove_outlook::OutlookError::Unsupported(_))
    ));
}

#[test]
fn msg_and_tnef_damage() {
    let limits = Limits::default();
    let msg = std::fs::read(corpus("msg/outer.msg")).unwrap();
    for len in [8, 512, 2048, msg.len() / 2] {
        let _ = trove_outlook::msg::read_msg(Cursor::new(&msg[..len]), &limits);
    }
    let tnef = std::fs::read(corpus("tnef/two-files.tnef")).unwrap();
    for len in 0..tnef.len().min(400) {
        if let Ok(it) = trove_outlook::tnef::read_tnef(&tnef[..len], &limits) {
            let _ = to_rfc822(&it, &AddressBook::default(), &Options::default());
        }
    }
    // A truncated stream keeps what came before the cut, and says so.
    let it = trove_outlook::tnef::read_tnef(&tnef[..tnef.len() - 100], &limits).unwrap();
    assert!(!it.problems.is_empty());
}

#[test]
fn hostile_inputs_and_past_fuzz_crashes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let limits = Limits {
        max_value_bytes: 8 << 20,
        max_item_bytes: 32 << 20,
        max_rows: 4096,
        max_nodes: 100_000,
        cache_pages: 64,
        max_depth: 6,
    };
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(e.unwrap().path()).unwrap();
        let _ = trove_outlook::pst::read_store(Cursor::new(&data), limits, &mut |e| {
            if let Ok(it) = &e.item {
                let _ = to_rfc822(it, e.book, &Options::default());
            }
            ControlFlow::Continue(())
        });
        if let Ok(it) = trove_outlook::msg::read_msg(Cursor::new(&data), &limits) {
            let _ = to_rfc822(&it, &AddressBook::default(), &Options::default());
        }
        if let Ok(it) = trove_outlook::tnef::read_tnef(&data, &limits) {
            let _ = to_rfc822(&it, &AddressBook::default(), &Options::default());
        }
        if let Ok(r) = trove_outlook::rtf::decompress(&data, 1 << 20) {
            let _ = trove_outlook::rtf::deencapsulate(&r);
        }
        n += 1;
    }
    assert!(n >= 1);
}

/// A compound file's directory and FAT, located in the bytes so that a test can damage them
/// (intact input assumed: no DIFAT sectors, which holds for files under ~7 MB).
struct Cfb {
    b: Vec<u8>,
    /// Byte offset of FAT entry n.
    fat_at: Vec<usize>,
    /// Byte offset of directory entry n.
    dir_at: Vec<usize>,
    /// Sectors of the directory chain.
    dir_chain: Vec<u32>,
    minifat_at: Vec<usize>,
}

impl Cfb {
    fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.b[at..at + 4].try_into().unwrap())
    }
    fn set(&mut self, at: usize, v: u32) {
        self.b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn parse(b: Vec<u8>) -> Self {
        let ss = 1usize << u16::from_le_bytes([b[0x1E], b[0x1F]]);
        let mut c = Cfb {
            b,
            fat_at: vec![],
            dir_at: vec![],
            dir_chain: vec![],
            minifat_at: vec![],
        };
        let nfat = c.u32(0x2C) as usize;
        assert!(nfat <= 109);
        for i in 0..nfat {
            let s = c.u32(0x4C + i * 4) as usize;
            c.fat_at.extend((0..ss / 4).map(|k| (s + 1) * ss + k * 4));
        }
        c.dir_chain = c.chain(c.u32(0x30));
        c.dir_at = c
            .dir_chain
            .iter()
            .flat_map(|&s| (0..ss / 128).map(move |k| (s as usize + 1) * ss + k * 128))
            .collect();
        c.minifat_at = c
            .chain(c.u32(0x3C))
            .iter()
            .flat_map(|&s| (0..ss / 4).map(move |k| (s as usize + 1) * ss + k * 4))
            .collect();
        c
    }
    fn chain(&self, mut s: u32) -> Vec<u32> {
        let mut v = vec![];
        while s < 0xFFFF_FFFA {
            v.push(s);
            s = self.u32(self.fat_at[s as usize]);
        }
        v
    }
    fn name(&self, i: usize) -> String {
        let at = self.dir_at[i];
        let len = u16::from_le_bytes([self.b[at + 64], self.b[at + 65]]) as usize;
        let units: Vec<u16> = (0..len.saturating_sub(2) / 2)
            .map(|k| u16::from_le_bytes([self.b[at + 2 * k], self.b[at + 2 * k + 1]]))
            .collect();
        String::from_utf16_lossy(&units)
    }
    /// Entries with this name, in directory order.
    fn find(&self, name: &str) -> Vec<usize> {
        (0..self.dir_at.len())
            .filter(|&i| self.name(i) == name)
            .collect()
    }
    fn left(&self, i: usize) -> usize {
        self.dir_at[i] + 68
    }
    fn right(&self, i: usize) -> usize {
        self.dir_at[i] + 72
    }
    fn child(&self, i: usize) -> usize {
        self.dir_at[i] + 76
    }
    fn start(&self, i: usize) -> u32 {
        self.u32(self.dir_at[i] + 116)
    }
    fn size(&self, i: usize) -> u64 {
        u64::from_le_bytes(
            self.b[self.dir_at[i] + 120..self.dir_at[i] + 128]
                .try_into()
                .unwrap(),
        )
    }
}

fn att_bytes(it: &trove_outlook::Item) -> Vec<(String, Vec<u8>)> {
    it.attachments
        .iter()
        .map(|a| {
            let data = match &a.content {
                trove_outlook::AttachContent::Bytes(b) => b.clone(),
                _ => vec![],
            };
            (a.name().unwrap_or("").to_owned(), data)
        })
        .collect()
}

#[test]
fn damaged_msg_directory_and_fat_read_in_part_with_a_note() {
    let limits = Limits::default();
    let orig = std::fs::read(corpus("msg/attachment.msg")).unwrap();
    let intact = trove_outlook::msg::read_msg(Cursor::new(&orig), &limits).unwrap();
    let subject = intact.subject().unwrap().to_owned();
    let body = intact.props.str(0x1000).unwrap().to_owned();
    assert!(body.len() > 1000, "a real body: {body:?}");
    assert!(intact.problems.is_empty(), "{:?}", intact.problems);
    let intact_atts = att_bytes(&intact);
    assert_eq!(intact_atts.len(), 3);

    let base = Cfb::parse(orig.clone());
    let root_top = base.u32(base.child(0));
    let leaf = (1..base.dir_at.len())
        .find(|&i| {
            base.name(i).starts_with("__substg1.0_0E04")
                && base.u32(base.left(i)) == u32::MAX
                && base.u32(base.right(i)) == u32::MAX
        })
        .expect("a leaf stream of the root storage");
    let recip = base.find("__recip_version1.0_#00000000")[0];
    let attach2 = base.find("__attach_version1.0_#00000002")[0];
    // The largest attachment's data: a chain of regular sectors.
    let data = *base
        .find("__substg1.0_37010102")
        .iter()
        .max_by_key(|&&i| base.size(i))
        .unwrap();
    let data_chain = base.chain(base.start(data));
    assert!(data_chain.len() > 100, "{}", data_chain.len());

    type Damage = Box<dyn Fn(&mut Cfb)>;
    let cases: Vec<(&str, Damage, &str)> = vec![
        (
            "a sibling pointing back to the top of the root's tree",
            Box::new(move |c: &mut Cfb| {
                let at = c.right(leaf);
                c.set(at, root_top)
            }),
            "directory cycle",
        ),
        (
            "a recipient storage whose child points back to the root",
            Box::new(move |c: &mut Cfb| {
                let at = c.child(recip);
                c.set(at, 0)
            }),
            "directory cycle",
        ),
        (
            "an attachment storage that is its own child",
            Box::new(move |c: &mut Cfb| {
                let at = c.child(attach2);
                c.set(at, attach2 as u32)
            }),
            "directory cycle",
        ),
        (
            "a FAT loop in the middle of an attachment's data",
            Box::new({
                let data_chain = data_chain.clone();
                move |c: &mut Cfb| {
                    let at = c.fat_at[data_chain[50] as usize];
                    c.set(at, data_chain[10])
                }
            }),
            "FAT chain loops back",
        ),
        (
            "a FAT loop in the directory's own chain",
            Box::new(|c: &mut Cfb| {
                let last_kept = c.dir_chain[c.dir_chain.len() - 8];
                let at = c.fat_at[last_kept as usize];
                let first = c.dir_chain[0];
                c.set(at, first)
            }),
            "FAT chain loops back",
        ),
    ];
    for (what, damage, expect) in cases {
        let mut c = Cfb::parse(orig.clone());
        damage(&mut c);
        let bytes = c.b;
        // Damage the `cfb` crate refuses outright: before the tolerant walk, this .msg was an
        // opaque OLE file.
        assert!(
            cfb::CompoundFile::open(Cursor::new(&bytes)).is_err(),
            "{what}: cfb opens it"
        );
        assert!(trove_outlook::msg::is_msg(&bytes), "{what}: not a message");
        assert!(
            trove_outlook::msg::is_msg_reader(&mut Cursor::new(&bytes)),
            "{what}: not a message (reader)"
        );
        let it = trove_outlook::msg::read_msg(Cursor::new(&bytes), &limits)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(it.subject(), Some(subject.as_str()), "{what}");
        assert_eq!(it.props.str(0x1000), Some(body.as_str()), "{what}");
        let notes = it.problems.join("; ");
        assert!(
            notes.contains("damaged OLE compound file") && notes.contains(expect),
            "{what}: {notes}"
        );
        // What was read is what the intact file holds (an attachment cut short is a prefix).
        let atts = att_bytes(&it);
        for (name, data) in &atts {
            if let Some((_, full)) = intact_atts.iter().find(|(n, _)| n == name) {
                assert!(full.starts_with(data), "{what}: {name}");
            }
        }
        let _ = to_rfc822(&it, &AddressBook::default(), &Options::default());
        match what {
            w if w.starts_with("a FAT loop in the middle") => {
                let cut: Vec<_> = atts
                    .iter()
                    .zip(&intact_atts)
                    .filter(|(a, b)| a.1.len() < b.1.len())
                    .collect();
                assert_eq!(cut.len(), 1, "{what}: one attachment read in part");
                assert_eq!(
                    cut[0].0.1.len(),
                    51 * 512,
                    "{what}: the 51 sectors up to the loop"
                );
            }
            w if w.starts_with("a sibling") => assert_eq!(atts, intact_atts, "{what}"),
            w if w.starts_with("a recipient") => {
                assert!(
                    notes.contains("not reachable from the root"),
                    "{what}: {notes}"
                );
                assert_eq!(atts, intact_atts, "{what}");
            }
            _ => {}
        }
    }

    // Nothing of the message reachable: a failure that says why, not a document.
    let mut c = Cfb::parse(orig.clone());
    let at = c.child(0);
    c.set(at, 0);
    assert!(trove_outlook::msg::is_msg(&c.b));
    let e = trove_outlook::msg::read_msg(Cursor::new(&c.b), &limits).unwrap_err();
    let e = e.to_string();
    assert!(
        e.contains("message properties are not reachable") && e.contains("directory cycle"),
        "{e}"
    );
    // A damaged mini FAT: the body is read up to the loop, and it says so.
    let mut c = Cfb::parse(orig);
    let body_entry = c.find("__substg1.0_1000001F")[0];
    let mut s = c.start(body_entry);
    let mut mini_chain = vec![];
    while s < 0xFFFF_FFFA {
        mini_chain.push(s);
        s = c.u32(c.minifat_at[s as usize]);
    }
    assert!(mini_chain.len() > 20);
    let at = c.minifat_at[mini_chain[20] as usize];
    c.set(at, mini_chain[5]);
    let it = trove_outlook::msg::read_msg(Cursor::new(&c.b), &limits).unwrap();
    assert_eq!(it.subject(), Some(subject.as_str()));
    let notes = it.problems.join("; ");
    assert!(notes.contains("mini FAT chain loops back"), "{notes}");
}

/// nid → (folder path, subject), messages marked recovered by scan, damage lines.
type Subjects = (BTreeMap<u32, (String, String)>, usize, Vec<String>);

/// nid → (folder path, subject) of every message read from a store, and how many were
/// recovered by scan; the summary's damage lines.
fn subjects(bytes: &[u8]) -> trove_outlook::Result<Subjects> {
    let mut out = BTreeMap::new();
    let mut scanned = 0;
    let s = trove_outlook::pst::read_store(Cursor::new(bytes), Limits::default(), &mut |e| {
        if e.by_scan {
            scanned += 1;
        }
        if let Ok(it) = &e.item {
            let _ = to_rfc822(it, e.book, &Options::default());
            out.insert(
                e.message.nid,
                (
                    e.folder.map(|f| f.path.clone()).unwrap_or_default(),
                    it.subject().unwrap_or("").to_owned(),
                ),
            );
        }
        ControlFlow::Continue(())
    })?;
    Ok((out, scanned, s.mismatches()))
}

#[test]
fn pst_cut_before_its_root_pages_is_recovered_by_scanning() {
    let enron = std::fs::read(corpus("pst/enron.pst")).unwrap();
    let (intact, scanned, lines) = subjects(&enron).unwrap();
    assert_eq!((intact.len(), scanned), (71, 0));
    assert!(lines.is_empty(), "{lines:?}");
    // The roots of the node and block B-trees (Unicode header: BREFs at 0xD8 and 0xE8).
    let at = |o: usize| u64::from_le_bytes(enron[o..o + 8].try_into().unwrap()) as usize;
    let (nbt_root, bbt_root) = (at(0xE0), at(0xF0));
    assert!(nbt_root > enron.len() * 98 / 100 && bbt_root > enron.len() * 98 / 100);
    // Cut just before the first root page, at 98.7 % (the case of issue 18), at 90 % and at
    // half: at least this many messages come back, each with its intact folder and subject.
    let first_root = nbt_root.min(bbt_root);
    for (len, at_least) in [
        (first_root, 69),
        (nbt_root.max(bbt_root), 69),
        (enron.len() * 987 / 1000, 69),
        (enron.len() * 9 / 10, 57),
        (enron.len() / 2, 50),
    ] {
        let (got, scanned, lines) =
            subjects(&enron[..len]).unwrap_or_else(|e| panic!("cut at {len}: {e}"));
        assert!(
            got.len() >= at_least,
            "cut at {len}: {} of 71 read",
            got.len()
        );
        assert!(scanned >= got.len(), "cut at {len}: {scanned} marked");
        for (nid, v) in &got {
            assert_eq!(Some(v), intact.get(nid), "cut at {len}: message {nid}");
        }
        let note = lines.join("; ");
        assert!(
            note.contains("the file was scanned"),
            "cut at {len}: {note}"
        );
        if len <= nbt_root {
            assert!(
                note.contains("found by scanning the file"),
                "cut at {len}: {note}"
            );
        }
    }
    // An OST with 4 KiB pages, 512-byte-aligned blocks and compressed ones, its two roots
    // pointing past the end: every message comes back through the scan, as the intact read
    // has it.
    let ost = std::fs::read(corpus("pst/pstextractortestpdf@outlook.com.ost")).unwrap();
    let (intact, _, _) = subjects(&ost).unwrap();
    assert_eq!(intact.len(), 162);
    let mut b = ost.clone();
    b[0xE0..0xE8].fill(0xFF);
    b[0xF0..0xF8].fill(0xFF);
    let (got, scanned, lines) = subjects(&b).unwrap();
    assert_eq!((got, scanned), (intact, 162));
    assert!(
        lines.join("; ").contains("the file was scanned"),
        "{lines:?}"
    );
}
