//! Text on its way to a terminal. Names, subjects, headers and bodies come from the leak, and
//! a control character in them could set the terminal's title, clear the screen, move the
//! cursor or forge lines of a report. Everything the CLI prints goes through [`outln!`] /
//! [`errln!`] (every control character but line feed and tab escaped), and single-line
//! fields through [`line`] (line feeds and tabs escaped too). JSON output is escaped by serde.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that change what a terminal shows rather than showing themselves: C0 and C1
/// controls, DEL, and the Unicode format controls that reorder or hide text (bidirectional
/// overrides and isolates, zero-width joiners, the BOM, line and paragraph separators).
fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

fn escape<'a>(s: &'a str, keep: &[char]) -> Cow<'a, str> {
    if !s.chars().any(|c| is_control(c) && !keep.contains(&c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_control(c) || keep.contains(&c) {
            out.push(c);
        } else {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x80 => {
                    let _ = write!(out, "\\x{:02X}", c as u32);
                }
                c => {
                    let _ = write!(out, "\\u{{{:04X}}}", c as u32);
                }
            }
        }
    }
    Cow::Owned(out)
}

/// Text of many lines (a body, a report): controls escaped, line feeds and tabs kept.
pub fn text(s: &str) -> Cow<'_, str> {
    escape(s, &['\n', '\t'])
}

/// A field that must stay on its line (a name, a locator, a reason, a header value).
pub fn line(s: &str) -> Cow<'_, str> {
    escape(s, &[])
}

/// `println!` for the terminal: the formatted text with its control characters escaped.
macro_rules! outln {
    () => { println!() };
    ($($arg:tt)*) => { println!("{}", $crate::term::text(&format!($($arg)*))) };
}

/// `eprintln!` for the terminal, escaped the same way.
macro_rules! errln {
    ($($arg:tt)*) => { eprintln!("{}", $crate::term::text(&format!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_drives_a_terminal() {
        assert_eq!(
            text("título\x1b]0;pwned\x07 ok\n\tsigue"),
            "título\\x1B]0;pwned\\x07 ok\n\tsigue"
        );
        assert_eq!(
            line("a.eml\n  #9 stored forged\r"),
            "a.eml\\n  #9 stored forged\\r"
        );
        assert_eq!(
            line("\u{202E}fdp.exe\u{9b}2J"),
            "\\u{202E}fdp.exe\\u{009B}2J"
        );
        assert_eq!(line("\x7f"), "\\x7F");
        assert!(matches!(text("sin nada raro: ñandú"), Cow::Borrowed(_)));
    }
}
