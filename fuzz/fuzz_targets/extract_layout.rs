//! The PDF reading-order layout on arbitrary glyphs (any positions, sizes, NaN and infinity
//! included): no panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use trove_extract::layout::{Glyph, page_text};

fuzz_target!(|data: &[u8]| {
    let f = |b: &[u8]| f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let glyphs: Vec<Glyph> = data
        .chunks_exact(22)
        .map(|c| {
            let ch = char::from_u32(u16::from_le_bytes([c[0], c[1]]) as u32).unwrap_or('x');
            // Small coordinates most of the time, so that glyphs meet on lines and columns.
            let small = |b: &[u8]| if b[3] & 0x80 == 0 { (u16::from_le_bytes([b[0], b[1]]) % 800) as f32 } else { f(b) };
            let x0 = small(&c[2..6]);
            let base = small(&c[6..10]);
            let w = (c[10] % 20) as f32;
            let size = if c[11] & 1 == 0 { (c[11] % 40) as f32 } else { f(&c[18..22]) };
            Glyph { c: ch, x0, x1: x0 + w, y0: base, y1: base + f(&c[12..16]).abs().min(1e3), base, size }
        })
        .collect();
    let _ = page_text(&glyphs);
});
