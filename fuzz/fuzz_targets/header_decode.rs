//! Header value decoding, encoded words, addresses, dates and MIME parameters on arbitrary
//! text: no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trove_formats::{address, date, decode, message};

fuzz_target!(|data: &[u8]| {
    let v = decode::header_value(data);
    let text = decode::bytes_to_str(data);
    let _ = decode::decode_words(&text);
    let _ = address::parse_address_list(&text);
    let _ = date::parse_rfc5322(&v);
    let _ = date::parse_asctime(&v);
    let _ = message::mime_param(&text, "filename");
    let _ = message::message_ids(&text);
    let _ = decode::html_meta_charset(data);
    let _ = trove_formats::mbox::parse_envelope(data);
    let _ = trove_formats::identity::base_subject(&text);
});
