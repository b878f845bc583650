//! Address lists as they are written in real mail, list archives included.
//!
//! Besides RFC 5322 (`"Pérez, Juan" <jp@x.mx>`, `jp@x.mx (Juan Pérez)`, groups), this reads the
//! list-archive form `jnunez at defensa.gob.mx (José Núñez)` that pipermail writes and common
//! tools misparse, Exchange X.500 DNs (`/O=SEDENA/OU=…/CN=JNUNEZ`) standing in for addresses,
//! display names without quotes around commas inside encoded words, and raw 8-bit names. The
//! input is the header value as text *before* RFC 2047 decoding, so that a comma inside an
//! encoded word cannot split an address.

use serde::{Deserialize, Serialize};

use crate::decode::decode_words;

/// One mailbox of an address header.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Mailbox {
    /// Display name, decoded.
    pub name: Option<String>,
    /// The address as written (`user@host`, or an X.500 DN).
    pub address: Option<String>,
    /// The group this mailbox was listed under, if any.
    pub group: Option<String>,
}

impl Mailbox {
    /// Lower-cased address for matching, if any.
    pub fn normalized(&self) -> Option<String> {
        self.address.as_deref().map(normalize_address)
    }

    /// The domain of the address, lower-cased.
    pub fn domain(&self) -> Option<String> {
        let a = self.address.as_deref()?;
        let (_, d) = a.rsplit_once('@')?;
        Some(d.trim().to_lowercase())
    }
}

/// Normal form of an address for matching: trimmed, without angle brackets, lower-cased.
pub fn normalize_address(a: &str) -> String {
    a.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_lowercase()
}

#[derive(Default)]
struct Pending {
    words: Vec<String>,
    comments: Vec<String>,
    angle: Option<String>,
    /// Words seen after the angle address (rare junk), kept as part of the name.
    trailing: Vec<String>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.words.is_empty() && self.comments.is_empty() && self.angle.is_none()
    }
}

/// Parses an address-list header value (raw text, not yet RFC 2047-decoded).
pub fn parse_address_list(s: &str) -> Vec<Mailbox> {
    let mut out = Vec::new();
    let mut group: Option<String> = None;
    let mut cur = Pending::default();
    let mut it = s.char_indices().peekable();
    let mut atom = String::new();

    fn end_atom(atom: &mut String, cur: &mut Pending) {
        if !atom.is_empty() {
            let w = std::mem::take(atom);
            if cur.angle.is_some() {
                cur.trailing.push(w);
            } else {
                cur.words.push(w);
            }
        }
    }

    while let Some((idx, c)) = it.next() {
        match c {
            '/' if atom.is_empty() && cur.is_empty() && is_x500(&s[idx..]) => {
                // An Exchange DN may hold spaces and parentheses: take it whole.
                let len = s[idx..].find([',', ';']).unwrap_or(s.len() - idx);
                let dn = s[idx..idx + len].trim().to_owned();
                while it.peek().is_some_and(|(j, _)| *j < idx + len) {
                    it.next();
                }
                out.push(Mailbox {
                    name: None,
                    address: Some(dn),
                    group: group.clone(),
                });
            }
            '"' => {
                end_atom(&mut atom, &mut cur);
                let mut q = String::new();
                while let Some((_, c)) = it.next() {
                    match c {
                        '\\' => {
                            if let Some((_, n)) = it.next() {
                                q.push(n);
                            }
                        }
                        '"' => break,
                        '\r' | '\n' => {}
                        c => q.push(c),
                    }
                }
                if cur.angle.is_some() {
                    cur.trailing.push(q);
                } else {
                    cur.words.push(q);
                }
            }
            '(' => {
                end_atom(&mut atom, &mut cur);
                let mut depth = 1usize;
                let mut text = String::new();
                while let Some((_, c)) = it.next() {
                    match c {
                        '\\' => {
                            if let Some((_, n)) = it.next() {
                                text.push(n);
                            }
                        }
                        '(' => {
                            depth += 1;
                            text.push(c);
                        }
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                            text.push(c);
                        }
                        c => text.push(c),
                    }
                }
                let text = text.trim().to_owned();
                if !text.is_empty() {
                    cur.comments.push(text);
                }
            }
            '<' if cur.angle.is_none() => {
                end_atom(&mut atom, &mut cur);
                let mut a = String::new();
                for (_, c) in it.by_ref() {
                    if c == '>' {
                        break;
                    }
                    a.push(c);
                }
                cur.angle = Some(a);
            }
            ',' => {
                end_atom(&mut atom, &mut cur);
                finish(std::mem::take(&mut cur), &group, &mut out);
            }
            ';' => {
                end_atom(&mut atom, &mut cur);
                finish(std::mem::take(&mut cur), &group, &mut out);
                group = None;
            }
            ':' if group.is_none()
                && cur.angle.is_none()
                && !cur.words.iter().any(|w| w.contains('@'))
                && !atom.contains('@')
                && !looks_like_scheme(&atom, it.peek().map(|p| p.1)) =>
            {
                end_atom(&mut atom, &mut cur);
                let name = decode_words(&cur.words.join(" ")).trim().to_owned();
                group = Some(name);
                cur = Pending::default();
            }
            c if c.is_whitespace() => end_atom(&mut atom, &mut cur),
            c => atom.push(c),
        }
    }
    end_atom(&mut atom, &mut cur);
    finish(cur, &group, &mut out);
    out
}

fn is_x500(s: &str) -> bool {
    s.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("/o="))
}

/// `mailto:` and similar are not group names.
fn looks_like_scheme(atom: &str, next: Option<char>) -> bool {
    atom.eq_ignore_ascii_case("mailto") || (next.is_some_and(|n| n == '/') && !atom.is_empty())
}

fn clean_name(raw: &str) -> Option<String> {
    let decoded = decode_words(raw);
    let mut name = decoded.trim();
    for q in ['"', '\''] {
        if name.len() >= 2 && name.starts_with(q) && name.ends_with(q) {
            name = &name[1..name.len() - 1];
        }
    }
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    (!name.is_empty()).then_some(name)
}

fn clean_address(a: &str) -> Option<String> {
    let a = a.trim();
    let a = a
        .strip_prefix("mailto:")
        .or_else(|| a.strip_prefix("MAILTO:"))
        .unwrap_or(a);
    // Obsolete source route: <@relay1,@relay2:user@host>
    let a = match (a.starts_with('@'), a.find(':')) {
        (true, Some(colon)) => &a[colon + 1..],
        _ => a,
    };
    let a: String = a.chars().filter(|c| !c.is_whitespace()).collect();
    let a = a.trim_matches(|c| c == '"' || c == '\'' || c == '<' || c == '>');
    (!a.is_empty()).then(|| a.to_owned())
}

fn finish(p: Pending, group: &Option<String>, out: &mut Vec<Mailbox>) {
    if p.is_empty() {
        return;
    }
    let comment = (!p.comments.is_empty()).then(|| p.comments.join(" "));
    let mut mb = Mailbox {
        group: group.clone(),
        ..Default::default()
    };
    if let Some(angle) = &p.angle {
        mb.address = clean_address(angle);
        let mut phrase = p.words.join(" ");
        if !p.trailing.is_empty() && phrase.is_empty() {
            phrase = p.trailing.join(" ");
        }
        mb.name = clean_name(&phrase).or_else(|| comment.as_deref().and_then(clean_name));
    } else {
        let w = &p.words;
        if w.len() == 3
            && w[1].eq_ignore_ascii_case("at")
            && w[2].contains('.')
            && !w[0].contains('@')
        {
            // List-archive form: user at host (Name)
            mb.address = Some(format!("{}@{}", w[0], w[2]));
            mb.name = comment.as_deref().and_then(clean_name);
        } else if let Some(pos) = w.iter().rposition(|x| x.contains('@')) {
            if pos > 0 && w[..pos].iter().all(|x| !x.contains('@')) && pos == w.len() - 1 {
                // "Juan Pérez jp@x.mx": a name then a bare address.
                mb.address = clean_address(&w[pos]);
                mb.name = clean_name(&w[..pos].join(" "))
                    .or_else(|| comment.as_deref().and_then(clean_name));
            } else {
                mb.address = clean_address(&w.concat());
                mb.name = comment.as_deref().and_then(clean_name);
            }
        } else {
            mb.name = clean_name(&w.join(" ")).or_else(|| comment.as_deref().and_then(clean_name));
        }
    }
    if mb.address.is_some() || mb.name.is_some() {
        out.push(mb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> (Option<String>, Option<String>) {
        let v = parse_address_list(s);
        assert_eq!(v.len(), 1, "{s:?} → {v:?}");
        (v[0].name.clone(), v[0].address.clone())
    }

    fn s(x: &str) -> Option<String> {
        Some(x.to_owned())
    }

    #[test]
    fn common_forms() {
        assert_eq!(one("jp@x.mx"), (None, s("jp@x.mx")));
        assert_eq!(one("<jp@x.mx>"), (None, s("jp@x.mx")));
        assert_eq!(one("Juan Pérez <jp@x.mx>"), (s("Juan Pérez"), s("jp@x.mx")));
        assert_eq!(
            one("\"Pérez, Juan\" <jp@x.mx>"),
            (s("Pérez, Juan"), s("jp@x.mx"))
        );
        assert_eq!(one("jp@x.mx (Juan Pérez)"), (s("Juan Pérez"), s("jp@x.mx")));
        assert_eq!(
            one("\"Juan \\\"El Jefe\\\"\" <jp@x.mx>"),
            (s("Juan \"El Jefe\""), s("jp@x.mx"))
        );
        assert_eq!(one("'Juan' <mailto:jp@x.mx>"), (s("Juan"), s("jp@x.mx")));
        assert_eq!(one("<@relay.mx:jp@x.mx>"), (None, s("jp@x.mx")));
    }

    #[test]
    fn list_archive_form() {
        assert_eq!(
            one("jnunez at defensa.gob.mx (José Núñez)"),
            (s("José Núñez"), s("jnunez@defensa.gob.mx"))
        );
        assert_eq!(
            one("jnunez at defensa.gob.mx"),
            (None, s("jnunez@defensa.gob.mx"))
        );
    }

    #[test]
    fn encoded_names_with_commas() {
        // The encoded word hides a comma: it must not split the address.
        let v = parse_address_list("=?utf-8?Q?P=C3=A9rez=2C_Juan?= <jp@x.mx>, b@y.mx");
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].name.as_deref(), Some("Pérez, Juan"));
        assert_eq!(v[1].address.as_deref(), Some("b@y.mx"));
        assert_eq!(
            one("=?iso-8859-1?Q?Jos=E9?= =?iso-8859-1?Q?_N=FA=F1ez?= <j@x.mx>"),
            (s("José Núñez"), s("j@x.mx"))
        );
    }

    #[test]
    fn groups_and_lists() {
        let v = parse_address_list("undisclosed-recipients:;");
        assert!(v.is_empty(), "{v:?}");
        let v = parse_address_list("Mandos: a@x.mx, \"B\" <b@x.mx>; c@y.mx");
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].group.as_deref(), Some("Mandos"));
        assert_eq!(v[1].group.as_deref(), Some("Mandos"));
        assert_eq!(v[2].group, None);
        let v = parse_address_list("a@x.mx,, ,b@x.mx");
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn exchange_and_junk() {
        let dn =
            "/O=SEDENA/OU=EXCHANGE ADMINISTRATIVE GROUP (FYDIBOHF23SPDLT)/CN=RECIPIENTS/CN=JNUNEZ";
        assert_eq!(one(dn), (None, s(dn)));
        let v = parse_address_list(&format!("{dn}, b@x.mx"));
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].address.as_deref(), Some("b@x.mx"));
        assert_eq!(one("Juan Pérez jp@x.mx"), (s("Juan Pérez"), s("jp@x.mx")));
        assert_eq!(one("Solo Nombre"), (s("Solo Nombre"), None));
        // Unterminated quote and angle: no panic, best effort.
        let _ = parse_address_list("\"abc <d@e");
        let _ = parse_address_list("<<<>>>((((");
        assert_eq!(normalize_address(" <JP@X.MX> "), "jp@x.mx");
        assert_eq!(
            Mailbox {
                address: s("a@Defensa.GOB.mx"),
                ..Default::default()
            }
            .domain()
            .as_deref(),
            Some("defensa.gob.mx")
        );
    }
}
