//! Text clean-up shared by every format: line ends, control characters, ligatures split, and
//! the separated accents that TeX-made PDFs leave (`m´usica` → `música`) composed back.

use unicode_normalization::UnicodeNormalization;

/// The combining mark for a spacing accent as TeX draws it, if `c` is one.
fn combining(c: char) -> Option<char> {
    Some(match c {
        '\u{b4}' | '\u{2ca}' => '\u{301}', // ´ acute
        '`' | '\u{2cb}' => '\u{300}',      // ` grave
        '\u{a8}' => '\u{308}',             // ¨ diaeresis
        '\u{2dc}' | '~' => '\u{303}',      // ˜ tilde
        '\u{2c6}' | '^' => '\u{302}',      // ˆ circumflex
        '\u{b8}' => '\u{327}',             // ¸ cedilla
        '\u{2c7}' => '\u{30c}',            // ˇ caron
        '\u{2da}' => '\u{30a}',            // ˚ ring
        '\u{2d8}' => '\u{306}',            // ˘ breve
        '\u{2d9}' => '\u{307}',            // ˙ dot
        '\u{2dd}' => '\u{30b}',            // ˝ double acute
        _ => return None,
    })
}

/// Letters a TeX accent is put on in Latin scripts.
fn accentable(c: char) -> bool {
    matches!(
        c,
        'a' | 'e'
            | 'i'
            | 'o'
            | 'u'
            | 'y'
            | 'n'
            | 'c'
            | 'A'
            | 'E'
            | 'I'
            | 'O'
            | 'U'
            | 'Y'
            | 'N'
            | 'C'
            | '\u{131}'
    )
}

/// Composes a spacing accent with the letter it sits on: `´u` and `u´` (TeX draws the accent
/// before or after the letter, sometimes with a space) become `ú` when that makes a
/// precomposed letter. `~`, `^` and `` ` `` are composed only when they touch a vowel or n on
/// both sides, so that code (`~/bin`, `a^2`) survives.
pub fn compose_accents(s: &str) -> String {
    if !s.chars().any(|c| combining(c).is_some() || c == '\u{131}') {
        return s.to_owned();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let ascii_accent = |c: char| matches!(c, '~' | '^' | '`');
    while i < chars.len() {
        let c = chars[i];
        if let Some(mark) = combining(c) {
            // Accent before the letter: `´u`, `´ u`.
            let next = if chars.get(i + 1) == Some(&' ') {
                i + 2
            } else {
                i + 1
            };
            let prev_is_letter = out.chars().last().is_some_and(char::is_alphabetic);
            if let Some(&l) = chars.get(next)
                && accentable(l)
                && (!ascii_accent(c)
                    || (prev_is_letter
                        && next == i + 1
                        && chars.get(next + 1).is_some_and(|c| c.is_alphabetic())))
            {
                let base = if l == '\u{131}' { 'i' } else { l };
                let composed: String = [base, mark].iter().collect::<String>().nfc().collect();
                if composed.chars().count() == 1 {
                    out.push_str(&composed);
                    i = next + 1;
                    continue;
                }
            }
            // Accent after the letter: `u´s`.
            if !ascii_accent(c)
                && let Some(l) = out.chars().last()
                && accentable(l)
                && chars.get(i + 1).is_some_and(|c| c.is_alphabetic())
            {
                let base = if l == '\u{131}' { 'i' } else { l };
                let composed: String = [base, mark].iter().collect::<String>().nfc().collect();
                if composed.chars().count() == 1 {
                    out.pop();
                    out.push_str(&composed);
                    i += 1;
                    continue;
                }
            }
        }
        if c == '\u{131}' {
            // A dotless i is what TeX puts under an accent; alone it is an i (Spanish has no ı).
            out.push('i');
            i += 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Ligatures split into letters (NFKC of the ligature block only; the rest of the text keeps
/// its compatibility characters: º, ª, ½).
fn split_ligatures(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| ('\u{fb00}'..='\u{fb06}').contains(&c)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if ('\u{fb00}'..='\u{fb06}').contains(&c) {
            out.extend(c.to_string().nfkc());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The clean text every extractor returns: NFC, `\n` line ends, no control characters but
/// tab, newline and form feed (the page separator), ligatures split, TeX accents composed,
/// no trailing blanks on lines, at most two blank lines in a row.
pub fn clean(s: &str) -> String {
    let s = split_ligatures(s);
    let s = compose_accents(&s);
    let s: String = s.nfc().collect();
    let mut out = String::with_capacity(s.len());
    let mut blank_run = 0;
    for line in s.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut l: String = line
            .chars()
            .filter_map(|c| match c {
                '\t' | '\x0c' => Some(c),
                '\r' | '\u{2028}' | '\u{2029}' => Some(' '),
                '\u{ad}' | '\u{feff}' | '\u{200b}' => None,
                c if c.is_control() => None,
                '\u{a0}' => Some(' '),
                c => Some(c),
            })
            .collect();
        let trimmed = l.trim_end_matches([' ', '\t']).len();
        l.truncate(trimmed);
        if l.is_empty() {
            blank_run += 1;
            if blank_run > 2 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        out.push_str(&l);
        out.push('\n');
    }
    let end = out.trim_end_matches(['\n', ' ']).len();
    out.truncate(end);
    let start = out.len() - out.trim_start_matches(['\n', ' ']).len();
    out.drain(..start);
    out
}

/// The largest char boundary at or below `i`.
pub fn floor_char_boundary(s: &str, i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    let mut i = i;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tex_accents() {
        assert_eq!(compose_accents("m´usica"), "música");
        assert_eq!(compose_accents("mu´sica"), "música");
        assert_eq!(compose_accents("m´ usica"), "música");
        assert_eq!(compose_accents("espa˜nol"), "español");
        assert_eq!(compose_accents("ping¨uino"), "pingüino");
        assert_eq!(compose_accents("p´ıxel"), "píxel");
        assert_eq!(compose_accents("cd ~/bin; a^2"), "cd ~/bin; a^2");
        assert_eq!(compose_accents("``GNU''"), "``GNU''");
        assert_eq!(clean("\u{fb01}chero  \r\nx\u{0}y"), "fichero\nxy");
        assert_eq!(clean("a\n\n\n\n\nb"), "a\n\n\nb");
    }
}
