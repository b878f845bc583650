//! The web app's mail HTML handling on arbitrary input: sanitising and listing remote loads
//! never panic, the output never carries a script, and the list of loads stays bounded.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trove_server::html::{remote_references, sanitise};

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let refs = remote_references(&html);
    assert!(refs.len() <= 500);
    let safe = sanitise(&html, &Default::default());
    let lower = safe.html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "{}", safe.html);
});
