//! The .msg reader on arbitrary bytes: no panic; what it reads converts.
#![no_main]
use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use trove_outlook::Limits;
use trove_outlook::mime::{AddressBook, Options, text_rendition, to_rfc822};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_value_bytes: 8 << 20, max_rows: 4096, max_depth: 6, ..Limits::default() };
    let _ = trove_outlook::msg::is_msg(data);
    if let Ok(item) = trove_outlook::msg::read_msg(Cursor::new(data), &limits) {
        let _ = to_rfc822(&item, &AddressBook::default(), &Options::default());
        let _ = text_rendition(&item);
    }
});
