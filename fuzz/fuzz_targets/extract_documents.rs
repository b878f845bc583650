//! Whole-document extraction with the pure-Rust parsers only (detection and flags, Office via
//! office_oxide, OpenDocument, RTF, HTML, text, EXIF, archive listings): no panic, and the
//! outcome always says why when it is not a success.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trove_extract::{Hint, Options, Status, extract};

fuzz_target!(|data: &[u8]| {
    let opts = Options { native: false, max_unzipped: 8 << 20, ..Options::default() };
    for name in [None, Some("x.docx"), Some("x.pdf")] {
        let hint = Hint { name: name.map(str::to_owned), mime: None };
        let e = extract(data, &hint, &opts);
        if matches!(e.status, Status::Failed | Status::Skipped) {
            assert!(e.reason.is_some());
        }
    }
});
