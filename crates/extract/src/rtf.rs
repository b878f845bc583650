//! RTF to text. A tokenizer and an explicit group stack (no recursion): `\'hh` bytes decoded
//! with the document's `\ansicpg` or the current font's `\fcharset`, `\uN` with its `\ucN`
//! fallback skipped, destinations that hold no text (font and colour tables, pictures,
//! objects, `\*` destinations) skipped, paragraphs, lines, tabs and table cells kept, and the
//! `\info` group read as metadata.

use std::collections::HashMap;

use encoding_rs::Encoding;

use crate::Metadata;

/// Groups nested deeper than this are read as if they were flat (nothing is skipped or
/// lost, but their state is not saved).
const MAX_DEPTH: usize = 4096;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dest {
    Text,
    Skip,
    FontTable,
    Info(InfoField),
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum InfoField {
    None,
    Title,
    Subject,
    Author,
    Operator,
    Company,
    Created,
    Revised,
}

#[derive(Clone, Copy)]
struct State {
    dest: Dest,
    uc: u32,
    enc: &'static Encoding,
}

/// The text of an RTF document and its `\info` metadata.
pub fn to_text(b: &[u8]) -> (String, Metadata) {
    let mut p = Parser {
        out: String::with_capacity(b.len() / 4),
        info: HashMap::new(),
        fonts: HashMap::new(),
        font_def: None,
        bytes: Vec::new(),
        default_enc: encoding_rs::WINDOWS_1252,
        skip_fallback: 0,
        date: Vec::new(),
    };
    let mut stack: Vec<State> = Vec::new();
    let mut st = State {
        dest: Dest::Text,
        uc: 1,
        enc: encoding_rs::WINDOWS_1252,
    };
    let mut i = 0;
    let mut group_start = false;
    let mut deep = 0usize;
    while i < b.len() {
        let c = b[i];
        match c {
            b'{' => {
                p.flush(&st);
                if stack.len() < MAX_DEPTH {
                    stack.push(st);
                } else {
                    deep += 1;
                }
                group_start = true;
                i += 1;
                continue;
            }
            b'}' => {
                p.flush(&st);
                if let Dest::Info(f) = st.dest
                    && matches!(f, InfoField::Created | InfoField::Revised)
                {
                    p.finish_date(f);
                }
                if deep > 0 {
                    deep -= 1;
                } else if let Some(prev) = stack.pop() {
                    st = prev;
                }
                p.font_def = None;
                i += 1;
            }
            b'\\' => {
                let (word, param, next) = control(b, i);
                i = next;
                let first = group_start;
                group_start = false;
                if word == "'" {
                    // A byte in the current code page.
                    let hex = b
                        .get(i..i + 2)
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u8::from_str_radix(h, 16).ok());
                    if let Some(v) = hex {
                        i += 2;
                        if p.skip_fallback > 0 {
                            p.skip_fallback -= 1;
                        } else {
                            p.bytes.push(v);
                        }
                    }
                    continue;
                }
                p.flush(&st);
                if p.skip_fallback > 0 && word != "u" {
                    p.skip_fallback -= 1;
                    continue;
                }
                p.control(&word, param, first, &mut st);
            }
            b'\r' | b'\n' => i += 1,
            _ => {
                group_start = false;
                if p.skip_fallback > 0 {
                    p.skip_fallback -= 1;
                } else {
                    p.bytes.push(c);
                }
                i += 1;
            }
        }
    }
    p.flush(&st);
    let mut meta = Metadata::default();
    let get = |f: InfoField| {
        p.info
            .get(&f)
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    meta.title = get(InfoField::Title);
    meta.subject = get(InfoField::Subject);
    meta.author = get(InfoField::Author);
    meta.last_author = get(InfoField::Operator);
    meta.company = get(InfoField::Company);
    meta.created = get(InfoField::Created);
    meta.modified = get(InfoField::Revised);
    (p.out, meta)
}

struct Parser {
    out: String,
    info: HashMap<InfoField, String>,
    fonts: HashMap<i32, &'static Encoding>,
    /// The font being defined in the font table.
    font_def: Option<i32>,
    /// Bytes waiting to be decoded in the current code page.
    bytes: Vec<u8>,
    default_enc: &'static Encoding,
    /// Fallback characters still to skip after a `\u`.
    skip_fallback: u32,
    /// yr, mo, dy, hr, min of the date being read.
    date: Vec<(String, i32)>,
}

impl Parser {
    fn emit(&mut self, st: &State, s: &str) {
        match st.dest {
            Dest::Text => self.out.push_str(s),
            Dest::Info(f) if f != InfoField::None => self.info.entry(f).or_default().push_str(s),
            _ => {}
        }
    }

    fn flush(&mut self, st: &State) {
        if self.bytes.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.bytes);
        if matches!(st.dest, Dest::Skip | Dest::FontTable) {
            return;
        }
        let (s, _, _) = st.enc.decode(&bytes);
        let s = s.into_owned();
        self.emit(st, &s);
    }

    fn finish_date(&mut self, f: InfoField) {
        let get = |k: &str| {
            self.date
                .iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| *v)
        };
        if let (Some(y), Some(m), Some(d)) = (get("yr"), get("mo"), get("dy")) {
            let s = format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:00",
                get("hr").unwrap_or(0),
                get("min").unwrap_or(0)
            );
            self.info.insert(f, s);
        }
        self.date.clear();
    }

    fn control(&mut self, word: &str, param: Option<i32>, first_in_group: bool, st: &mut State) {
        match word {
            "*"
                // An optional destination: skipped unless we know it.
                if first_in_group => {
                    st.dest = Dest::Skip;
                }
            "fonttbl" => st.dest = Dest::FontTable,
            "colortbl" | "stylesheet" | "pict" | "object" | "themedata" | "colorschememapping" | "datastore" | "latentstyles" | "listtable"
            | "listoverridetable" | "rsidtbl" | "xmlnstbl" | "generator" | "filetbl" | "revtbl" | "fldinst" | "bkmkstart" | "bkmkend"
            | "nonshppict" | "header" | "footer" | "headerl" | "headerr" | "headerf" | "footerl" | "footerr" | "footerf" | "pgdsctbl"
            | "mmathPr" | "wgrffmtfilter" | "userprops" | "docvar" | "objdata" | "blipuid" | "shpinst" | "sp" => st.dest = Dest::Skip,
            "info" => st.dest = Dest::Info(InfoField::None),
            "title" | "subject" | "author" | "operator" | "company" | "creatim" | "revtim" if matches!(st.dest, Dest::Info(_)) => {
                st.dest = Dest::Info(match word {
                    "title" => InfoField::Title,
                    "subject" => InfoField::Subject,
                    "author" => InfoField::Author,
                    "operator" => InfoField::Operator,
                    "company" => InfoField::Company,
                    "creatim" => InfoField::Created,
                    _ => InfoField::Revised,
                });
                self.date.clear();
            }
            "yr" | "mo" | "dy" | "hr" | "min" if matches!(st.dest, Dest::Info(InfoField::Created | InfoField::Revised)) => {
                self.date.push((word.to_owned(), param.unwrap_or(0)));
            }
            "ansicpg" => {
                if let Some(enc) = param.and_then(codepage) {
                    self.default_enc = enc;
                    st.enc = enc;
                }
            }
            "mac" => {
                self.default_enc = encoding_rs::MACINTOSH;
                st.enc = encoding_rs::MACINTOSH;
            }
            "f" => {
                if st.dest == Dest::FontTable {
                    self.font_def = param;
                } else if let Some(n) = param {
                    st.enc = self.fonts.get(&n).copied().unwrap_or(self.default_enc);
                }
            }
            "fcharset" if st.dest == Dest::FontTable => {
                if let (Some(f), Some(cs)) = (self.font_def, param) {
                    let enc = charset_encoding(cs).unwrap_or(self.default_enc);
                    self.fonts.insert(f, enc);
                }
            }
            "uc" => st.uc = param.unwrap_or(1).clamp(0, 16) as u32,
            "u" => {
                if let Some(v) = param {
                    let v = if v < 0 { (v + 65536) as u32 } else { v as u32 };
                    // Surrogate pairs arrive as two \u; keep the high half until the low one.
                    let c = char::from_u32(v).map(|c| c.to_string()).unwrap_or_default();
                    self.emit(st, &c);
                    self.skip_fallback = st.uc;
                }
            }
            "par" | "line" | "sect" | "page" | "row" => self.emit(st, "\n"),
            "tab" | "cell" => self.emit(st, "\t"),
            "emdash" => self.emit(st, "—"),
            "endash" => self.emit(st, "–"),
            "lquote" => self.emit(st, "‘"),
            "rquote" => self.emit(st, "’"),
            "ldblquote" => self.emit(st, "“"),
            "rdblquote" => self.emit(st, "”"),
            "bullet" => self.emit(st, "•"),
            "~" => self.emit(st, "\u{a0}"),
            "_" => self.emit(st, "-"),
            "\\" => self.emit(st, "\\"),
            "{" => self.emit(st, "{"),
            "}" => self.emit(st, "}"),
            "\n" | "\r" => self.emit(st, "\n"),
            _ => {}
        }
    }
}

/// A control word or symbol at `i` (which holds a backslash): name, parameter, next index.
fn control(b: &[u8], i: usize) -> (String, Option<i32>, usize) {
    let mut j = i + 1;
    let Some(&c) = b.get(j) else {
        return (String::new(), None, j);
    };
    if !c.is_ascii_alphabetic() {
        // A control symbol: \' \~ \- \_ \\ \{ \} \* and escaped newlines.
        return ((c as char).to_string(), None, j + 1);
    }
    let start = j;
    while j < b.len() && b[j].is_ascii_alphabetic() && j - start < 32 {
        j += 1;
    }
    let word = String::from_utf8_lossy(&b[start..j]).into_owned();
    let mut param = None;
    let num_start = j;
    if b.get(j) == Some(&b'-') {
        j += 1;
    }
    while j < b.len() && b[j].is_ascii_digit() && j - num_start < 11 {
        j += 1;
    }
    if j > num_start && !(j == num_start + 1 && b[num_start] == b'-') {
        param = std::str::from_utf8(&b[num_start..j])
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .map(|v| v.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
    } else {
        j = num_start;
    }
    if b.get(j) == Some(&b' ') {
        j += 1;
    }
    // \binN: N raw bytes follow.
    if word == "bin"
        && let Some(n) = param
    {
        j = j.saturating_add(n.max(0) as usize).min(b.len());
    }
    (word, param, j)
}

fn codepage(cp: i32) -> Option<&'static Encoding> {
    let label = match cp {
        65001 => "utf-8",
        10000 => "macintosh",
        437 | 850 => return Some(encoding_rs::WINDOWS_1252),
        cp => {
            return Encoding::for_label(format!("windows-{cp}").as_bytes())
                .or_else(|| Encoding::for_label(format!("cp{cp}").as_bytes()));
        }
    };
    Encoding::for_label(label.as_bytes())
}

fn charset_encoding(cs: i32) -> Option<&'static Encoding> {
    codepage(match cs {
        0 | 1 => 1252,
        77 => 10000,
        128 => 932,
        129 => 949,
        134 => 936,
        136 => 950,
        161 => 1253,
        162 => 1254,
        163 => 1258,
        177 => 1255,
        178 => 1256,
        186 => 1257,
        204 => 1251,
        222 => 874,
        238 => 1250,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_unicode_and_destinations() {
        let rtf = br"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0\fswiss Arial;}}{\info{\title Oficio 2314}{\author Jos\'e9 N\'fa\'f1ez}{\creatim\yr2019\mo8\dy14\hr10\min5}}{\*\generator Riched20;}\f0 Adquisici\'f3n de veh\u237?culos\par {\pict\pngblip 89504e47}Se\'f1or\tab General\par}";
        let (t, m) = to_text(rtf);
        assert_eq!(t, "Adquisición de vehículos\nSeñor\tGeneral\n");
        assert_eq!(m.title.as_deref(), Some("Oficio 2314"));
        assert_eq!(m.author.as_deref(), Some("José Núñez"));
        assert_eq!(m.created.as_deref(), Some("2019-08-14T10:05:00"));
        // Unbalanced and hostile input never panics.
        for junk in [
            &b"{{{{\\u-99999999999\\'zz\\bin999999999"[..],
            b"}}}\\",
            b"\\uc-5\\u65 abc",
        ] {
            let _ = to_text(junk);
        }
    }
}
