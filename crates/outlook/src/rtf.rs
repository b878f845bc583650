//! Compressed RTF (MS-OXRTFCP) and the HTML or text that Outlook encapsulates in RTF
//! (MS-OXRTFEX).

use crate::props::{Le, codepage_encoding};
use crate::{OutlookError, Result};

const PREBUF: &[u8] = b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript \\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par \\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx";

/// Decompresses PidTagRtfCompressed. `max` bounds the output.
pub fn decompress(data: &[u8], max: usize) -> Result<Vec<u8>> {
    let bad = |d: &str| OutlookError::corrupt("compressed RTF", d.to_owned());
    let comp_size = data.u32_at(0).ok_or_else(|| bad("header truncated"))? as usize;
    let raw_size = data.u32_at(4).ok_or_else(|| bad("header truncated"))? as usize;
    let magic = data.u32_at(8).ok_or_else(|| bad("header truncated"))?;
    let body = data.get(16..).unwrap_or_default();
    // COMPSIZE counts the bytes after itself: the 12 header bytes that follow, then data.
    let body = &body[..body.len().min(comp_size.saturating_sub(12))];
    match magic {
        0x414C_454D => Ok(body[..body.len().min(raw_size).min(max)].to_vec()),
        0x7546_5A4C => {
            let mut dict = [0u8; 4096];
            dict[..PREBUF.len()].copy_from_slice(PREBUF);
            let mut w = PREBUF.len();
            let mut out = Vec::with_capacity(raw_size.min(max).min(body.len() * 8));
            let mut i = 0;
            'outer: while i < body.len() {
                let control = body[i];
                i += 1;
                for bit in 0..8 {
                    if control & (1 << bit) == 0 {
                        let Some(&b) = body.get(i) else { break 'outer };
                        i += 1;
                        out.push(b);
                        dict[w] = b;
                        w = (w + 1) & 0xFFF;
                    } else {
                        let (Some(&hi), Some(&lo)) = (body.get(i), body.get(i + 1)) else {
                            break 'outer;
                        };
                        i += 2;
                        let r = u16::from_be_bytes([hi, lo]) as usize;
                        let (off, len) = (r >> 4, (r & 0xF) + 2);
                        if off == w {
                            break 'outer;
                        }
                        for k in 0..len {
                            let b = dict[(off + k) & 0xFFF];
                            out.push(b);
                            dict[w] = b;
                            w = (w + 1) & 0xFFF;
                        }
                    }
                    if out.len() >= max {
                        return Err(OutlookError::Limit(format!("RTF over {max} bytes")));
                    }
                }
            }
            if raw_size > 0 {
                out.truncate(raw_size);
            }
            Ok(out)
        }
        _ => Err(bad("unknown compression type")),
    }
}

/// What an RTF body encapsulates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encapsulated {
    Html(String),
    Text(String),
    /// Native RTF: its text, as well as trove can tell.
    Rtf(String),
}

/// Extracts the HTML (`\fromhtml1`) or text (`\fromtext`) Outlook wrapped in RTF; for native RTF,
/// the plain text.
pub fn deencapsulate(rtf: &[u8]) -> Encapsulated {
    let head = &rtf[..rtf.len().min(1024)];
    let has = |w: &[u8]| memfind(head, w);
    let mode = if has(b"\\fromhtml") {
        Mode::Html
    } else if has(b"\\fromtext") {
        Mode::Text
    } else {
        Mode::Rtf
    };
    let s = Walker::new(rtf, mode).run();
    match mode {
        Mode::Html => Encapsulated::Html(s),
        Mode::Text => Encapsulated::Text(s),
        Mode::Rtf => Encapsulated::Rtf(s),
    }
}

fn memfind(h: &[u8], n: &[u8]) -> bool {
    h.windows(n.len()).any(|w| w == n)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Html,
    Text,
    Rtf,
}

#[derive(Clone, Copy)]
struct Group {
    /// Text of this group is skipped (font tables, pictures, other destinations).
    skip: bool,
    /// Inside `\htmlrtf` … `\htmlrtf0`: RTF-only text, not part of the HTML.
    htmlrtf: bool,
    /// Inside `{\*\htmltag…}`: HTML.
    htmltag: bool,
    /// Characters to skip after `\uN`.
    uc: u32,
}

struct Walker<'a> {
    s: &'a [u8],
    i: usize,
    mode: Mode,
    out: String,
    bytes: Vec<u8>,
    enc: &'static encoding_rs::Encoding,
    stack: Vec<Group>,
    g: Group,
    pending_skip: u32,
}

impl<'a> Walker<'a> {
    fn new(s: &'a [u8], mode: Mode) -> Self {
        Walker {
            s,
            i: 0,
            mode,
            out: String::new(),
            bytes: Vec::new(),
            enc: encoding_rs::WINDOWS_1252,
            stack: Vec::new(),
            g: Group {
                skip: false,
                htmlrtf: false,
                htmltag: false,
                uc: 1,
            },
            pending_skip: 0,
        }
    }

    fn emitting(&self) -> bool {
        if self.g.skip {
            return false;
        }
        match self.mode {
            Mode::Html => self.g.htmltag || !self.g.htmlrtf,
            Mode::Text | Mode::Rtf => !self.g.htmlrtf,
        }
    }

    fn flush(&mut self) {
        if !self.bytes.is_empty() {
            let (t, _, _) = self.enc.decode(&self.bytes);
            self.out.push_str(&t);
            self.bytes.clear();
        }
    }

    fn byte(&mut self, b: u8) {
        if self.pending_skip > 0 {
            self.pending_skip -= 1;
            return;
        }
        if self.emitting() {
            self.bytes.push(b);
        }
    }

    fn text(&mut self, t: &str) {
        if self.emitting() {
            self.flush();
            self.out.push_str(t);
        }
    }

    fn run(mut self) -> String {
        // The first group is the document; its opening brace is not counted.
        while self.i < self.s.len() {
            let c = self.s[self.i];
            self.i += 1;
            match c {
                b'{' => {
                    if self.stack.len() > 10_000 {
                        continue;
                    }
                    self.stack.push(self.g);
                    self.pending_skip = 0;
                    // `{\*\dest` groups are ignorable destinations, except htmltag.
                    if self.s.get(self.i..self.i + 2) == Some(b"\\*") {
                        let rest = &self.s[self.i + 2..];
                        let word: Vec<u8> = rest
                            .iter()
                            .skip(1)
                            .take_while(|b| b.is_ascii_alphabetic())
                            .copied()
                            .collect();
                        if word.starts_with(b"htmltag") || word == b"mhtmltag" {
                            self.g.htmltag = true;
                            self.g.skip = false;
                        } else {
                            self.g.skip = true;
                        }
                    }
                }
                b'}' => {
                    self.flush();
                    if let Some(g) = self.stack.pop() {
                        self.g = g;
                    }
                }
                b'\\' => self.control(),
                b'\r' | b'\n' => {}
                _ => self.byte(c),
            }
        }
        self.flush();
        self.out
    }

    fn control(&mut self) {
        let Some(&c) = self.s.get(self.i) else { return };
        if !c.is_ascii_alphabetic() {
            self.i += 1;
            match c {
                b'\'' => {
                    let hex = self
                        .s
                        .get(self.i..self.i + 2)
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    if let Some(b) = hex {
                        self.i += 2;
                        self.byte(b);
                    }
                }
                b'{' | b'}' | b'\\' => self.byte(c),
                b'~' => self.text("\u{a0}"),
                b'-' | b'*' => {}
                b'_' => self.text("-"),
                b'\r' | b'\n' => self.text("\n"),
                _ => {}
            }
            return;
        }
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i].is_ascii_alphabetic() && self.i - start < 32 {
            self.i += 1;
        }
        let word = &self.s[start..self.i];
        let nstart = self.i;
        if self.s.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        while self.i < self.s.len() && self.s[self.i].is_ascii_digit() && self.i - nstart < 11 {
            self.i += 1;
        }
        let param: Option<i64> = std::str::from_utf8(&self.s[nstart..self.i])
            .ok()
            .and_then(|n| n.parse().ok());
        if self.s.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
        match word {
            b"htmlrtf" => {
                self.flush();
                self.g.htmlrtf = param != Some(0);
            }
            b"par" | b"line" if self.mode != Mode::Html || !self.g.htmlrtf => self.text("\r\n"),
            b"tab" => self.text("\t"),
            b"ansicpg" => {
                if let Some(e) = param.and_then(codepage_encoding) {
                    self.flush();
                    self.enc = e;
                }
            }
            b"uc" => self.g.uc = param.unwrap_or(1).clamp(0, 8) as u32,
            b"u" => {
                if let Some(n) = param {
                    let n = if n < 0 { n + 65536 } else { n };
                    if let Some(ch) = char::from_u32(n as u32) {
                        let mut b = [0u8; 4];
                        self.text(ch.encode_utf8(&mut b));
                    }
                    self.pending_skip = self.g.uc;
                }
            }
            b"fonttbl" | b"colortbl" | b"stylesheet" | b"info" | b"pict" | b"object"
            | b"header" | b"footer" | b"listtable" | b"listoverridetable" | b"revtbl"
            | b"rsidtbl" | b"xmlnstbl" | b"themedata" | b"datastore" | b"latentstyles"
            | b"generator" | b"mmathPr" | b"fldinst" => self.g.skip = true,
            b"emdash" => self.text("—"),
            b"endash" => self.text("–"),
            b"bullet" => self.text("•"),
            b"lquote" => self.text("‘"),
            b"rquote" => self.text("’"),
            b"ldblquote" => self.text("“"),
            b"rdblquote" => self.text("”"),
            b"cell" => self.text("\t"),
            b"row" => self.text("\r\n"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prebuffer_is_207_bytes() {
        assert_eq!(PREBUF.len(), 207);
    }

    #[test]
    fn ms_oxrtfcp_example() {
        // MS-OXRTFCP 4.1: compressed "{\rtf1\ansi\ansicpg1252\pard hello world}\r\n"
        let c: &[u8] = &[
            0x2d, 0x00, 0x00, 0x00, 0x2b, 0x00, 0x00, 0x00, 0x4c, 0x5a, 0x46, 0x75, 0xf1, 0xc5,
            0xc7, 0xa7, 0x03, 0x00, 0x0a, 0x00, 0x72, 0x63, 0x70, 0x67, 0x31, 0x32, 0x35, 0x42,
            0x32, 0x0a, 0xf3, 0x20, 0x68, 0x65, 0x6c, 0x09, 0x00, 0x20, 0x62, 0x77, 0x05, 0xb0,
            0x6c, 0x64, 0x7d, 0x0a, 0x80, 0x0f, 0xa0,
        ];
        let out = decompress(c, 1 << 20).unwrap();
        assert_eq!(out, b"{\\rtf1\\ansi\\ansicpg1252\\pard hello world}\r\n");
    }

    #[test]
    fn html_is_deencapsulated() {
        let rtf = b"{\\rtf1\\ansi\\ansicpg1252\\fromhtml1 {\\fonttbl{\\f0 Arial;}}{\\*\\htmltag19 <html>}{\\*\\htmltag2 \\par }\\htmlrtf {\\htmlrtf0 Hola \\'e1rbol\\htmlrtf }\\htmlrtf0 {\\*\\htmltag0 </html>}}";
        let Encapsulated::Html(h) = deencapsulate(rtf) else {
            panic!("not html")
        };
        assert_eq!(h, "<html>\r\nHola árbol</html>");
        let Encapsulated::Rtf(t) =
            deencapsulate(b"{\\rtf1\\ansi {\\fonttbl{\\f0 Arial;}}Se\\'f1or\\par \\u8364? fin}")
        else {
            panic!()
        };
        assert_eq!(t, "Señor\r\n€ fin");
    }
}
