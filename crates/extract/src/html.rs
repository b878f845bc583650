//! HTML to text: one linear pass, no tree (so no depth to exhaust). Scripts, styles, comments
//! and Word's conditional comments are dropped; blocks become lines, table cells are separated
//! by tabs; entities are decoded.

/// Elements whose content is not text.
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "object", "xml", "o:p",
];
/// Elements that start or end a line.
const BLOCK: &[&str] = &[
    "p",
    "div",
    "br",
    "tr",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "blockquote",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "ul",
    "ol",
    "dd",
    "dt",
    "dl",
    "pre",
    "address",
    "center",
    "form",
    "fieldset",
    "nav",
    "aside",
    "main",
    "figure",
    "figcaption",
    "caption",
    "tbody",
    "thead",
    "tfoot",
    "title",
    "body",
    "html",
];

/// The text of an HTML document and its `<title>`.
pub fn to_text(html: &str) -> (String, Option<String>) {
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len() / 2);
    let mut title: Option<String> = None;
    let mut i = 0;
    let mut pre = 0u32;
    let mut space_pending = false;
    while i < b.len() {
        if b[i] == b'<' {
            // Comments, conditional comments, CDATA, doctype.
            if b[i..].starts_with(b"<!--") {
                i = find(b, i + 4, b"-->").map_or(b.len(), |e| e + 3);
                continue;
            }
            if b[i..].starts_with(b"<!") || b[i..].starts_with(b"<?") {
                i = find(b, i + 2, b">").map_or(b.len(), |e| e + 1);
                continue;
            }
            let Some((tag, closing, end)) = tag_at(b, i) else {
                push_text(&mut out, "<", pre > 0, &mut space_pending);
                i += 1;
                continue;
            };
            i = end;
            let tag = tag.as_str();
            if !closing && tag == "title" {
                let close = find_ci(b, i, b"</title").unwrap_or(b.len());
                let t = collapse(&decode_entities(&html[i..close]));
                if !t.is_empty() && title.is_none() {
                    title = Some(t);
                }
                i = find(b, close, b">").map_or(b.len(), |e| e + 1);
                continue;
            }
            if !closing && SKIP.contains(&tag) && !self_closed(b, end) {
                let close = format!("</{tag}");
                i = find_ci(b, i, close.as_bytes())
                    .map_or(b.len(), |p| find(b, p, b">").map_or(b.len(), |e| e + 1));
                continue;
            }
            if tag == "pre" {
                pre = if closing {
                    pre.saturating_sub(1)
                } else {
                    pre + 1
                };
            }
            if BLOCK.contains(&tag) {
                newline(&mut out);
                space_pending = false;
            } else if tag == "td" || tag == "th" {
                if !closing && !out.ends_with('\n') && !out.is_empty() {
                    out.push('\t');
                }
                space_pending = false;
            } else if !closing && tag == "img" {
                space_pending = true;
            }
            continue;
        }
        let next = memchr_lt(b, i);
        let chunk = &html[i..next];
        push_text(
            &mut out,
            &decode_entities(chunk),
            pre > 0,
            &mut space_pending,
        );
        i = next;
    }
    let text = out
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    (text.trim().to_owned(), title)
}

fn memchr_lt(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'<')
        .map_or(b.len(), |p| from + p)
}

fn self_closed(b: &[u8], end: usize) -> bool {
    end >= 2 && b[end - 2] == b'/'
}

fn newline(out: &mut String) {
    while out.ends_with(' ') {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
}

fn push_text(out: &mut String, text: &str, pre: bool, space_pending: &mut bool) {
    if pre {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        if c.is_whitespace() && c != '\u{a0}' {
            *space_pending = true;
        } else {
            if *space_pending && !out.is_empty() && !out.ends_with(['\n', ' ', '\t']) {
                out.push(' ');
            }
            *space_pending = false;
            out.push(if c == '\u{a0}' { ' ' } else { c });
        }
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    if from >= b.len() {
        return None;
    }
    b[from..]
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| from + p)
}

fn find_ci(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    if from >= b.len() {
        return None;
    }
    b[from..]
        .windows(pat.len())
        .position(|w| w.eq_ignore_ascii_case(pat))
        .map(|p| from + p)
}

/// The tag starting at `i` (`<name …>` or `</name>`): lower-cased name, closing, end index.
fn tag_at(b: &[u8], i: usize) -> Option<(String, bool, usize)> {
    let mut j = i + 1;
    let closing = b.get(j) == Some(&b'/');
    if closing {
        j += 1;
    }
    let start = j;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b':' || b[j] == b'-') {
        j += 1;
    }
    if j == start {
        return None;
    }
    let name = String::from_utf8_lossy(&b[start..j]).to_ascii_lowercase();
    // Skip attributes, honouring quotes.
    let mut quote: Option<u8> = None;
    while j < b.len() {
        match (quote, b[j]) {
            (None, b'>') => return Some((name, closing, j + 1)),
            (None, q @ (b'"' | b'\'')) => quote = Some(q),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
        j += 1;
    }
    Some((name, closing, b.len()))
}

/// Decodes character references: numeric, and the named ones Spanish text uses.
pub fn decode_entities(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('&') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let end = rest[1..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '#')
            .map_or(rest.len(), |e| e + 1);
        let name = &rest[1..end];
        let decoded = if let Some(num) = name.strip_prefix('#') {
            let v = if let Some(hex) = num.strip_prefix(['x', 'X']) {
                u32::from_str_radix(hex, 16).ok()
            } else {
                num.parse::<u32>().ok()
            };
            v.map(|v| match v {
                // Windows-1252 code points written as numeric references.
                0x80..=0x9f => encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(&[v as u8])
                    .0
                    .chars()
                    .next()
                    .unwrap_or('\u{fffd}'),
                v => char::from_u32(v).unwrap_or('\u{fffd}'),
            })
        } else {
            named(name)
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end..];
                if rest.starts_with(';') {
                    rest = &rest[1..];
                }
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

fn named(n: &str) -> Option<char> {
    Some(match n {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "aacute" => 'á',
        "eacute" => 'é',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "Aacute" => 'Á',
        "Eacute" => 'É',
        "Iacute" => 'Í',
        "Oacute" => 'Ó',
        "Uacute" => 'Ú',
        "ntilde" => 'ñ',
        "Ntilde" => 'Ñ',
        "uuml" => 'ü',
        "Uuml" => 'Ü',
        "agrave" => 'à',
        "egrave" => 'è',
        "ograve" => 'ò',
        "ccedil" => 'ç',
        "Ccedil" => 'Ç',
        "atilde" => 'ã',
        "otilde" => 'õ',
        "acirc" => 'â',
        "ecirc" => 'ê',
        "ocirc" => 'ô',
        "iexcl" => '¡',
        "iquest" => '¿',
        "ordf" => 'ª',
        "ordm" => 'º',
        "laquo" => '«',
        "raquo" => '»',
        "deg" => '°',
        "middot" => '·',
        "copy" => '©',
        "reg" => '®',
        "euro" => '€',
        "hellip" => '…',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "bull" => '•',
        "sect" => '§',
        "para" => '¶',
        "times" => '×',
        "shy" => '\u{ad}',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_html() {
        let html = "<html><head><title>Oficio</title><style>p.MsoNormal{margin:0}</style><script>alert('x')</script></head>\
<body><!--[if gte mso 9]><xml>junk</xml><![endif]--><p class=MsoNormal>Se&ntilde;or General:<o:p></o:p></p>\
<table><tr><td>Contrato</td><td>$ 48.750.000,00</td></tr></table><p>Adquisici&#243;n&nbsp;de veh&iacute;culos</p></body></html>";
        let (t, title) = to_text(html);
        assert_eq!(title.as_deref(), Some("Oficio"));
        assert!(
            !t.contains("alert") && !t.contains("margin") && !t.contains("junk"),
            "{t}"
        );
        assert!(t.contains("Señor General:"), "{t}");
        assert!(t.contains("Contrato\t$ 48.750.000,00"), "{t}");
        assert!(t.contains("Adquisición de vehículos"), "{t}");
        assert_eq!(to_text("a < b & c").0, "a < b & c");
    }
}
