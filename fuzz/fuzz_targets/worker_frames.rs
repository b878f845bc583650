//! The worker's job frames on arbitrary bytes: errors, never a panic or a huge allocation.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut r = data;
    while let Ok(Some(_)) = trove_extract::worker::read_job(&mut r) {}
});
