//! Inputs that once made a fuzz target panic, kept so that they never do again.

use std::path::Path;

use trove_formats::Limits;
use trove_formats::mbox::MboxReader;
use trove_formats::message::{DateHints, parse_message};

#[test]
fn past_fuzz_crashes_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        // The same calls as the fuzz targets (the first byte picks the mbox read size).
        let (first, rest) = data.split_first().unwrap();
        let count = MboxReader::with_chunk(rest, u64::MAX, 16 + *first as usize * 7)
            .filter(|e| e.is_ok())
            .count();
        assert!(count >= 1);
        let m = parse_message(&data, &Limits::default(), DateHints::default(), false);
        let _ = trove_formats::identity::content_key(&m);
        n += 1;
    }
    assert_eq!(n, 2);
}
