//! Compressed RTF and RTF de-encapsulation on arbitrary bytes: no panic, output bounded.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(out) = trove_outlook::rtf::decompress(data, 1 << 20) {
        assert!(out.len() <= (1 << 20) + 17);
        let _ = trove_outlook::rtf::deencapsulate(&out);
    }
    let _ = trove_outlook::rtf::deencapsulate(data);
});
