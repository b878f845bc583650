//! Damaged and hostile stores: errors, never panics; every message node accounted for (read or
//! failed), whatever the damage. Inputs are made here from the shared corpus by cutting and
//! overwriting bytes, plus the small hostile inputs in `tests/fuzz-regressions` (hand-made: a
//! header whose B-trees point past the end, a TNEF property count of 4 billion, a compressed RTF
//! claiming 4 GB; and any input a fuzz target ever crashed on — none so far, after 47,681 PST,
//! 372,319 TNEF, 2,027,870 RTF and ~100,000 MSG runs).

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
fn header_pointing_nowhere_is_an_error() {
    let empty = std::fs::read(corpus("pst/Empty.pst")).unwrap();
    // The node B-tree root (Unicode header, 0xE0) past the end of the file, then at the header.
    for root in [u64::MAX - 10, empty.len() as u64 + 4096, 0] {
        let mut b = empty.clone();
        b[0xE0..0xE8].copy_from_slice(&root.to_le_bytes());
        assert!(read_all(&b).is_err(), "root {root:#x}");
    }
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
