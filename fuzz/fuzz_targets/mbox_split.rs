//! The mbox splitter on arbitrary bytes, with arbitrary read sizes: no panic, and the
//! messages it returns are exact, non-overlapping ranges of the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trove_formats::mbox::MboxReader;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let chunk = 16 + first as usize * 7;
    let max = if first & 1 == 0 { u64::MAX } else { 64 + first as u64 * 3 };
    let mut last_end = 0u64;
    for entry in MboxReader::with_chunk(rest, max, chunk) {
        let Ok(e) = entry else { return };
        assert!(e.offset >= last_end, "entries overlap");
        assert!(e.data_offset >= e.offset);
        let end = e.data_offset + e.length;
        assert!(end <= rest.len() as u64);
        if let Some(d) = &e.data {
            assert_eq!(&rest[e.data_offset as usize..end as usize], &d[..]);
        }
        last_end = end;
    }
});
