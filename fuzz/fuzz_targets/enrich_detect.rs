//! The identifier detector on arbitrary text: no panic, offsets on character boundaries and
//! matching the reported text, char offsets consistent with byte offsets; the same input
//! read as a column cell with a hint behaves too.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for d in trove_enrich::detect(&text) {
        assert!(d.byte_start < d.byte_end && d.byte_end <= text.len());
        assert_eq!(&text[d.byte_start..d.byte_end], d.text);
        assert_eq!(text[..d.byte_start].chars().count(), d.char_start);
        assert_eq!(d.char_start + d.text.chars().count(), d.char_end);
        assert!((0.0..=1.0).contains(&d.confidence));
    }
    if let Some((hint, cell)) = text.split_once('\t') {
        let _ = trove_enrich::detect_with_hint(cell, hint);
    }
});
