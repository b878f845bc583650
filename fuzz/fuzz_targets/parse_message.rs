//! The message-parsing wrapper (our header split and decoding around mail-parser), the
//! content key and single-message detection on arbitrary bytes: no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trove_formats::Limits;
use trove_formats::identity::content_key;
use trove_formats::message::{DateHints, parse_message};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_parts: 64, max_header_bytes: 4096, ..Limits::default() };
    let m = parse_message(data, &limits, DateHints::default(), false);
    let _ = content_key(&m);
    for a in &m.attachments {
        let inner = parse_message(&a.data, &limits, DateHints::default(), false);
        let _ = content_key(&inner);
    }
    let _ = trove_formats::sniff::sniff(data);
});
