//! The PST/OST reader on arbitrary bytes: no panic, every message converted, bounded.
#![no_main]
use std::io::Cursor;
use std::ops::ControlFlow;

use libfuzzer_sys::fuzz_target;
use trove_outlook::Limits;
use trove_outlook::mime::{AddressBook, Options, to_rfc822};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_value_bytes: 8 << 20, max_item_bytes: 32 << 20, max_rows: 4096, max_nodes: 100_000, cache_pages: 64, max_depth: 6 };
    let _ = trove_outlook::pst::read_store(Cursor::new(data), limits, &mut |e| {
        if let Ok(item) = &e.item {
            let mut book = AddressBook::default();
            book.learn(item);
            let _ = to_rfc822(item, e.book, &Options::default());
            let _ = to_rfc822(item, &book, &Options::default());
        }
        ControlFlow::Continue(())
    })
    .map(|s| s.mismatches());
});
