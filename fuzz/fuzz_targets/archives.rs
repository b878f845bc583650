//! The bounded archive readers on arbitrary bytes: no panic, and limits hold.
#![no_main]
use std::io::{Cursor, Read};
use std::ops::ControlFlow;

use libfuzzer_sys::fuzz_target;
use trove_formats::Limits;
use trove_formats::archive::{self, Budget};
use trove_formats::sniff::Format;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_member_bytes: 1 << 20, max_members: 256, ..Limits::default() };
    let budget = Budget::new(4 << 20);
    let mut visit = |_: &archive::MemberInfo, r: Option<&mut dyn Read>| {
        if let Some(r) = r {
            let mut sink = Vec::new();
            let _ = r.take(2 << 20).read_to_end(&mut sink);
            assert!(sink.len() as u64 <= (1 << 20) + (64 << 10));
        }
        ControlFlow::Continue(())
    };
    let _ = archive::read_zip(Cursor::new(data), &limits, &budget, &mut visit);
    let _ = archive::read_tar(Cursor::new(data), &limits, &budget, &mut visit);
    let _ = archive::read_7z(Cursor::new(data), &limits, &budget, &mut visit);
    for f in [Format::Gzip, Format::Zstd, Format::Bzip2, Format::Xz] {
        if let Ok(mut d) = archive::decompress(f, Cursor::new(data), &limits, &budget) {
            let mut sink = Vec::new();
            let _ = (&mut d).take(2 << 20).read_to_end(&mut sink);
        }
    }
});
