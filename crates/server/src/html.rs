//! HTML mail made safe to look at.
//!
//! ammonia's allow-list removes scripts, event handlers, styles (and with them CSS
//! expressions), forms, frames, SVG, `<meta http-equiv=refresh>` and `javascript:` URLs. On top
//! of that, nothing in the result may reach the network: remote images become placeholders
//! (counted, their addresses listed as text), inline `cid:` images become `data:` URLs, and
//! links point at trove's own warning page, which names the destination before leaving. The
//! document is served with a CSP that forbids everything but inline styles and `data:` images,
//! inside an iframe sandboxed without scripts.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;

/// A sanitised HTML body and what was taken out of it.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SafeHtml {
    /// A complete HTML document.
    pub html: String,
    /// Remote images replaced by placeholders, with their addresses.
    pub remote_images: Vec<String>,
    /// Link targets (now behind the warning page).
    pub links: Vec<String>,
    /// Everything remote the mail would have loaded (images, stylesheets, CSS backgrounds and
    /// imports, frames, media, fonts…), none of it fetched: what a sender could have tracked.
    pub remote: Vec<Remote>,
}

/// One remote reference in a mail's HTML.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Remote {
    /// Where it was: `img src`, `link href`, `table background`, `css`…
    pub kind: String,
    pub url: String,
}

/// References kept at most per message.
const MAX_REMOTE: usize = 500;

/// Every `http(s)://` address the raw HTML would load: in an attribute of any element but a
/// link's `href`, or in CSS (`url(…)`, `@import`). Text that merely mentions an address is not
/// a load and is left out.
pub fn remote_references(html: &str) -> Vec<Remote> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while out.len() < MAX_REMOTE {
        // Every `//`: `http://`, `https://`, or protocol-relative (`src="//host/x"`).
        let Some(i) = lower[from..].find("//") else {
            break;
        };
        let slashes = from + i;
        from = slashes + 2;
        let at = if lower[..slashes].ends_with("https:") {
            slashes - 6
        } else if lower[..slashes].ends_with("http:") {
            slashes - 5
        } else if lower[..slashes]
            .trim_end_matches(['"', '\'', ' '])
            .ends_with(['=', '('])
        {
            slashes
        } else {
            continue;
        };
        let end = html[at..]
            .find(|c: char| matches!(c, '"' | '\'' | ')' | '<' | '>') || c.is_whitespace())
            .map_or(html.len(), |e| at + e);
        let url = html[at..end].replace("&amp;", "&");
        let before = lower[..at].trim_end_matches(['"', '\'', ' ', '\t', '\n', '\r']);
        let in_tag = match (before.rfind('<'), before.rfind('>')) {
            (Some(l), Some(g)) => l > g,
            (Some(_), None) => true,
            _ => false,
        };
        let kind = if before.ends_with("url(") || before.ends_with("@import") {
            Some("css".to_owned())
        } else if in_tag && before.ends_with('=') {
            let l = before.rfind('<').unwrap_or(0);
            let tag: String = before[l + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let attr: String = before[..before.len() - 1]
                .trim_end()
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            (!tag.is_empty() && (tag != "a" || attr != "href")).then(|| format!("{tag} {attr}"))
        } else if in_tag && before.ends_with(',') {
            // The second and later candidates of a srcset.
            Some("srcset".to_owned())
        } else {
            None
        };
        if let Some(kind) = kind {
            out.push(Remote { kind, url });
        }
        from = from.max(end);
    }
    out
}

/// The CSP of sanitised mail documents.
pub const MAIL_CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

const PLACEHOLDER: &str = "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHdpZHRoPSIxNjAiIGhlaWdodD0iMjQiPjxyZWN0IHdpZHRoPSIxNjAiIGhlaWdodD0iMjQiIGZpbGw9IiNlZWUiIHN0cm9rZT0iIzk5OSIvPjx0ZXh0IHg9IjYiIHk9IjE2IiBmb250LXNpemU9IjExIiBmaWxsPSIjNTU1Ij5yZW1vdGUgaW1hZ2UgYmxvY2tlZDwvdGV4dD48L3N2Zz4=";

/// Inline images a message carries, by Content-ID: (mime, bytes).
pub type Inline = HashMap<String, (String, Vec<u8>)>;

const MAX_INLINE_IMAGE: usize = 4 << 20;

/// Sanitises an HTML body into a document that runs nothing and fetches nothing.
pub fn sanitise(html: &str, inline: &Inline) -> SafeHtml {
    let remote_all = remote_references(html);
    let remote = Arc::new(Mutex::new(Vec::new()));
    let links = Arc::new(Mutex::new(Vec::new()));
    let (remote_w, links_w) = (remote.clone(), links.clone());
    let inline: Arc<Inline> = Arc::new(inline.clone());
    fn push(m: &Mutex<Vec<String>>, v: &str) {
        m.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(v.to_owned());
    }
    let body = {
        let mut b = ammonia::Builder::default();
        b.add_tag_attributes("img", ["width", "height", "alt", "title"])
            .add_tag_attributes("td", ["align", "valign", "colspan", "rowspan", "width"])
            .add_tag_attributes("th", ["align", "valign", "colspan", "rowspan", "width"])
            .add_tag_attributes("table", ["width", "border", "cellpadding", "cellspacing"])
            .add_tag_attributes("font", ["color", "size"])
            .add_tags(["font", "center"])
            .url_schemes(
                ["http", "https", "mailto", "data", "cid"]
                    .into_iter()
                    .collect(),
            )
            .url_relative(ammonia::UrlRelative::PassThrough)
            .link_rel(Some("noopener noreferrer"))
            .attribute_filter(move |element, attribute, value| -> Option<Cow<'_, str>> {
                match (element, attribute) {
                    ("img", "src") => {
                        let v = value.trim();
                        if let Some(cid) = v.strip_prefix("cid:") {
                            let cid = cid.trim_matches(|c| c == '<' || c == '>');
                            return Some(match inline.get(cid) {
                                Some((mime, bytes))
                                    if mime.starts_with("image/")
                                        && bytes.len() <= MAX_INLINE_IMAGE
                                        && mime != "image/svg+xml" =>
                                {
                                    Cow::Owned(format!(
                                        "data:{mime};base64,{}",
                                        base64::engine::general_purpose::STANDARD.encode(bytes)
                                    ))
                                }
                                _ => Cow::Borrowed(PLACEHOLDER),
                            });
                        }
                        if v.starts_with("data:image/") && !v.starts_with("data:image/svg") {
                            return Some(Cow::Owned(v.to_owned()));
                        }
                        push(&remote_w, v);
                        Some(Cow::Borrowed(PLACEHOLDER))
                    }
                    ("a", "href") => {
                        let v = value.trim();
                        let lower = v.to_ascii_lowercase();
                        if lower.starts_with("http://")
                            || lower.starts_with("https://")
                            || lower.starts_with("mailto:")
                        {
                            push(&links_w, v);
                            Some(Cow::Owned(format!("/warn?u={}", percent_encode(v))))
                        } else {
                            None
                        }
                    }
                    (_, "src") | (_, "href") | (_, "background") | (_, "srcset") => None,
                    _ => Some(Cow::Borrowed(value)),
                }
            })
            .set_tag_attribute_value("a", "target", "_blank");
        b.clean(html).to_string()
    };
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">\
         <style>body{{font:14px/1.45 system-ui,sans-serif;color:#222;margin:12px;word-wrap:break-word}}\
         img{{max-width:100%}}table{{border-collapse:collapse}}a{{color:#0645ad}}</style></head><body>{body}</body></html>"
    );
    SafeHtml {
        html,
        remote_images: std::mem::take(&mut *remote.lock().unwrap_or_else(|e| e.into_inner())),
        links: std::mem::take(&mut *links.lock().unwrap_or_else(|e| e.into_inner())),
        remote: remote_all,
    }
}

/// Percent-encodes a URL for a query parameter.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The warning page in front of every link in a mail.
pub fn warn_page(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    let safe = lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("mailto:");
    let action = if safe {
        format!(
            "<p><a class=\"go\" href=\"{}\" rel=\"noopener noreferrer\">Open this link</a> <span>or close this tab.</span></p>",
            escape(url)
        )
    } else {
        "<p>This link cannot be opened from trove.</p>".to_owned()
    };
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\"><title>Leaving trove</title>\
         <link rel=\"stylesheet\" href=\"/app.css\"></head><body class=\"warn\"><main><h1>You are about to leave trove</h1>\
         <p>This link comes from a message in the case. Opening it sends a request to a server that may belong to the sender, \
         and can reveal your address and that you read the message.</p><p class=\"url\">{}</p>{action}</main></body></html>",
        escape(url)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_runs_nothing_loads() {
        let evil = r#"<p onclick="alert(1)">hola</p><script>alert(2)</script><img src="http://tracker.example/p.gif" onerror="alert(3)">
            <a href="javascript:alert(4)">x</a><a href="https://example.org/a?b=c">ok</a><style>body{background:url(http://x/y)}</style>
            <div style="background:expression(alert(5))">css</div><svg onload="alert(6)"><script>alert(7)</script></svg>
            <meta http-equiv="refresh" content="0;url=http://evil"><iframe src="http://evil"></iframe><form action="http://evil"><input></form>
            <img src="cid:logo@x"><object data="http://evil"></object><link rel="stylesheet" href="http://evil/s.css">"#;
        let mut inline = Inline::new();
        inline.insert(
            "logo@x".into(),
            ("image/png".into(), b"\x89PNG....".to_vec()),
        );
        let s = sanitise(evil, &inline);
        let h = s.html.to_lowercase();
        for bad in [
            "onclick",
            "<script",
            "onerror",
            "javascript:",
            "expression(",
            "<svg",
            "onload",
            "refresh",
            "<iframe",
            "<form",
            "<object",
            "http://tracker",
            "http://evil",
            "http://x/y",
        ] {
            assert!(!h.contains(bad), "{bad} survived: {h}");
        }
        assert_eq!(
            s.remote_images,
            vec!["http://tracker.example/p.gif".to_owned()]
        );
        assert!(
            s.remote
                .iter()
                .any(|r| r.kind == "img src" && r.url == "http://tracker.example/p.gif"),
            "{:?}",
            s.remote
        );
        assert_eq!(s.links, vec!["https://example.org/a?b=c".to_owned()]);
        assert!(h.contains("/warn?u=https%3a%2f%2fexample.org%2fa%3fb%3dc"));
        assert!(h.contains("data:image/png;base64,"));
        assert!(h.contains("hola"));
    }

    #[test]
    fn warning_page_escapes() {
        let p = warn_page("https://x.org/\"><script>alert(1)</script>");
        assert!(!p.contains("<script>alert"));
        assert!(warn_page("javascript:alert(1)").contains("cannot be opened"));
    }

    #[test]
    fn every_remote_load_is_reported_and_links_and_text_are_not() {
        let html = r#"<html><head><link rel="stylesheet" href="https://t.example/s.css">
            <style>body { background: url('http://t.example/bg.gif') } @import "https://t.example/i.css";</style></head>
            <body background="http://t.example/body.gif"><img srcset="http://t.example/a.png 1x, http://t.example/b.png 2x">
            <video poster="https://t.example/p.jpg"></video><div style="background-image:url(http://t.example/d.gif)">x</div>
            <img src="//t.example/rel.gif"><img src="http://t.example/o.gif?u=a&amp;c=7">
            <a href="https://example.org/informe">informe</a> Visit http://example.org/texto today.</body></html>"#;
        let r = remote_references(html);
        let kinds: Vec<(&str, &str)> = r
            .iter()
            .map(|r| (r.kind.as_str(), r.url.as_str()))
            .collect();
        for want in [
            ("link href", "https://t.example/s.css"),
            ("css", "http://t.example/bg.gif"),
            ("css", "https://t.example/i.css"),
            ("body background", "http://t.example/body.gif"),
            ("img srcset", "http://t.example/a.png"),
            ("srcset", "http://t.example/b.png"),
            ("video poster", "https://t.example/p.jpg"),
            ("css", "http://t.example/d.gif"),
            ("img src", "//t.example/rel.gif"),
            ("img src", "http://t.example/o.gif?u=a&c=7"),
        ] {
            assert!(kinds.contains(&want), "{want:?} missing from {kinds:?}");
        }
        assert!(
            !r.iter().any(|r| r.url.contains("example.org")),
            "links and text are not loads: {kinds:?}"
        );
        assert_eq!(r.len(), 10, "{kinds:?}");
    }
}
