//! The PST/OST reader with its B-tree roots pointing past any end, so that every node and
//! block lookup goes to the scan of the file (pst/scan.rs): no panic, every message
//! converted, bounded.
#![no_main]
use std::io::Cursor;
use std::ops::ControlFlow;

use libfuzzer_sys::fuzz_target;
use trove_outlook::Limits;
use trove_outlook::mime::{Options, to_rfc822};

fuzz_target!(|data: &[u8]| {
    let mut d = data.to_vec();
    // Unicode roots (0xE0, 0xF0), ANSI roots (0xBC, 0xC4).
    for (at, n) in [(0xE0, 8), (0xF0, 8), (0xBC, 4), (0xC4, 4)] {
        if let Some(s) = d.get_mut(at..at + n) {
            s.fill(0xFF);
        }
    }
    let limits = Limits { max_value_bytes: 8 << 20, max_item_bytes: 32 << 20, max_rows: 4096, max_nodes: 100_000, cache_pages: 64, max_depth: 6 };
    if let Ok(s) = trove_outlook::pst::read_store(Cursor::new(&d), limits, &mut |e| {
        if let Ok(item) = &e.item {
            let _ = to_rfc822(item, e.book, &Options::default());
        }
        ControlFlow::Continue(())
    }) {
        let _ = s.mismatches();
    }
});
