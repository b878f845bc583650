//! The text parsers written for extraction (RTF, HTML, charsets, iCalendar/vCard, the text
//! clean-up) on arbitrary bytes: no panic, output bounded by input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trove_extract::{html, normalize, rtf, text};

fuzz_target!(|data: &[u8]| {
    let (t, _) = rtf::to_text(data);
    assert!(t.len() <= data.len() * 8 + 64);
    let (decoded, _) = text::decode(data, None);
    let (h, _) = html::to_text(&decoded);
    assert!(h.len() <= decoded.len() * 4 + 64);
    let _ = text::calendar_text(&decoded);
    let c = normalize::clean(&decoded);
    assert!(c.len() <= decoded.len() * 4 + 16);
    let _ = normalize::compose_accents(&decoded);
    let _ = trove_extract::word_recall(&decoded, &c);
});
