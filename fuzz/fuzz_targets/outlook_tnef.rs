//! The TNEF reader on arbitrary bytes: no panic; what it reads converts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trove_outlook::Limits;
use trove_outlook::mime::{AddressBook, Options, bodies, to_rfc822};

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_value_bytes: 8 << 20, max_rows: 4096, max_depth: 6, ..Limits::default() };
    // Also without the signature, so that the fuzzer need not find it.
    let mut signed = b"\x78\x9f\x3e\x22\x00\x00".to_vec();
    signed.extend_from_slice(data);
    for input in [data, &signed[..]] {
        if let Ok(item) = trove_outlook::tnef::read_tnef(input, &limits) {
            let _ = bodies(&item);
            let _ = to_rfc822(&item, &AddressBook::default(), &Options::default());
        }
    }
});
