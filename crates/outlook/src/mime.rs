//! An Outlook item rebuilt as RFC 5322/MIME bytes.
//!
//! Transport headers (PidTagTransportMessageHeaders) are kept as they were when the item has
//! them, less the MIME structure headers, which describe a body that no longer exists; other
//! items get headers built from MAPI properties, with SMTP addresses wherever the item or the
//! store has them (Exchange X.500 DNs are kept otherwise). Bodies: plain text, HTML (from
//! PidTagHtml, or de-encapsulated from compressed RTF); attachments with their long names;
//! embedded messages as `message/rfc822`, recursively. Non-mail items (contacts, appointments,
//! tasks, notes, distribution lists) carry a text rendition of their properties as body.

use std::collections::HashMap;
use std::fmt::Write as _;

use base64::Engine as _;
use chrono::{DateTime, Utc};

use crate::item::{AttachContent, Attachment, Item, ItemKind};
use crate::props::{NameKind, PropBag, PropKey, PropValue, codepage_encoding, guid, tag, utf16le};
use crate::rtf::{Encapsulated, decompress, deencapsulate};

/// Exchange DNs seen with their SMTP address, so that later items resolve them too.
#[derive(Debug, Default, Clone)]
pub struct AddressBook {
    map: HashMap<String, String>,
}

impl AddressBook {
    fn pair(&mut self, dn: Option<&str>, smtp: Option<&str>) {
        if let (Some(dn), Some(smtp)) = (dn, smtp)
            && dn.starts_with('/')
            && smtp.contains('@')
            && self.map.len() < 1_000_000
        {
            self.map
                .entry(dn.to_ascii_lowercase())
                .or_insert_with(|| smtp.to_owned());
        }
    }

    /// Learns the DN → SMTP pairs of a message's own properties (sender, representing,
    /// received-by): cheap enough to run over a whole store before converting anything, so
    /// that the result does not depend on the order messages are read in.
    pub fn learn_props(&mut self, p: &PropBag) {
        self.pair(p.str(tag::SENDER_EMAIL), p.str(tag::SENDER_SMTP));
        self.pair(
            p.str(tag::SENT_REPRESENTING_EMAIL),
            p.str(tag::SENT_REPRESENTING_SMTP),
        );
        self.pair(p.str(tag::RECEIVED_BY_EMAIL), p.str(tag::RECEIVED_BY_SMTP));
        self.pair(p.str(0x0078), p.str(0x5D08));
    }

    /// Learns every DN → SMTP pair an item (and its embedded items) shows.
    pub fn learn(&mut self, item: &Item) {
        self.learn_props(&item.props);
        for r in &item.recipients {
            self.pair(r.str(tag::EMAIL_ADDRESS), r.str(tag::SMTP_ADDRESS));
        }
        for a in &item.attachments {
            if let AttachContent::Message(m) = &a.content {
                self.learn(m);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn smtp(&self, dn: &str) -> Option<&str> {
        self.map.get(&dn.to_ascii_lowercase()).map(String::as_str)
    }
}

/// A name and an address (SMTP where known, else what the store has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addr {
    pub name: Option<String>,
    pub address: Option<String>,
}

fn resolve(
    book: &AddressBook,
    name: Option<&str>,
    email: Option<&str>,
    addrtype: Option<&str>,
    smtp: Option<&str>,
) -> Option<Addr> {
    resolve_with_entry(book, name, email, addrtype, smtp, None)
}

/// As [`resolve`], with an entry id to fall back on when no address property is set (one-off
/// entry ids carry an address; Exchange address-book entry ids an X.500 DN).
fn resolve_with_entry(
    book: &AddressBook,
    name: Option<&str>,
    email: Option<&str>,
    addrtype: Option<&str>,
    smtp: Option<&str>,
    entry: Option<&[u8]>,
) -> Option<Addr> {
    let from_entry = if email.is_none() && smtp.is_none() {
        entry.and_then(entry_address)
    } else {
        None
    };
    let email = email
        .or(from_entry.as_deref())
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let address = smtp
        .filter(|s| s.contains('@'))
        .map(str::to_owned)
        .or_else(|| {
            email
                .filter(|e| e.starts_with('/'))
                .and_then(|dn| book.smtp(dn))
                .map(str::to_owned)
        })
        .or_else(|| email.map(str::to_owned));
    let _ = addrtype;
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty() && Some(*n) != address.as_deref())
        .map(str::to_owned);
    (name.is_some() || address.is_some()).then_some(Addr { name, address })
}

/// The address an entry id holds: a one-off entry's SMTP (or other) address, or the X.500 DN
/// of an Exchange address-book entry.
pub fn entry_address(b: &[u8]) -> Option<String> {
    const EX_AB: [u8; 16] = [
        0xDC, 0xA7, 0x40, 0xC8, 0xC0, 0x42, 0x10, 0x1A, 0xB4, 0xB9, 0x08, 0x00, 0x2B, 0x2F, 0xE1,
        0x82,
    ];
    if b.get(4..20) == Some(&EX_AB[..]) {
        let dn = b.get(28..)?;
        let dn = &dn[..dn.iter().position(|&c| c == 0).unwrap_or(dn.len())];
        return std::str::from_utf8(dn)
            .ok()
            .filter(|d| d.starts_with('/'))
            .map(str::to_owned);
    }
    one_off_entry(b).map(|(_, a)| a).filter(|a| !a.is_empty())
}

/// The item's author (PidTagSentRepresenting*, else PidTagSender*).
pub fn from(item: &Item, book: &AddressBook) -> Option<Addr> {
    let p = &item.props;
    let rep = resolve_with_entry(
        book,
        p.str(tag::SENT_REPRESENTING_NAME),
        p.str(tag::SENT_REPRESENTING_EMAIL),
        p.str(tag::SENT_REPRESENTING_ADDRTYPE),
        p.str(tag::SENT_REPRESENTING_SMTP),
        p.bin(0x0041),
    );
    let sender = || {
        resolve_with_entry(
            book,
            p.str(tag::SENDER_NAME),
            p.str(tag::SENDER_EMAIL),
            p.str(tag::SENDER_ADDRTYPE),
            p.str(tag::SENDER_SMTP),
            p.bin(0x0C19),
        )
    };
    match rep {
        Some(a) if a.address.is_some() => Some(a),
        other => sender()
            .filter(|s| s.address.is_some())
            .or(other)
            .or_else(sender),
    }
}

/// Recipients of one type (1 To, 2 Cc, 3 Bcc).
pub fn recipients(item: &Item, kind: i64, book: &AddressBook) -> Vec<Addr> {
    item.recipients
        .iter()
        .filter(|r| r.int(tag::RECIPIENT_TYPE).unwrap_or(1) & 0xF == kind)
        .filter_map(|r| {
            resolve_with_entry(
                book,
                r.str(tag::DISPLAY_NAME),
                r.str(tag::EMAIL_ADDRESS),
                r.str(tag::ADDRTYPE),
                r.str(tag::SMTP_ADDRESS),
                r.bin(tag::ENTRY_ID),
            )
        })
        .collect()
}

/// Encodes a header value as RFC 2047 when it is not plain ASCII.
fn encode_word(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect();
    if clean.is_ascii() {
        return clean;
    }
    // Encoded words of at most ~45 input bytes each, split on char boundaries.
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in clean.chars() {
        if cur.len() + c.len_utf8() > 45 {
            out.push(format!(
                "=?UTF-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(&cur)
            ));
            cur.clear();
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(&cur)
        ));
    }
    out.join("\r\n ")
}

fn format_addr(a: &Addr) -> String {
    let addr = a.address.as_deref().unwrap_or("");
    match &a.name {
        Some(n) => {
            let n = if n.is_ascii() {
                format!("\"{}\"", n.replace(['"', '\\'], ""))
            } else {
                encode_word(n)
            };
            if addr.is_empty() {
                format!("{n} <>")
            } else {
                format!("{n} <{addr}>")
            }
        }
        None => addr.to_owned(),
    }
}

fn rfc2822_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// Header names dropped from transport headers: they describe the original MIME body.
const MIME_HEADERS: [&str; 4] = [
    "content-type",
    "content-transfer-encoding",
    "mime-version",
    "content-disposition",
];

/// Transport headers without their MIME structure fields, CRLF line ends, and the names
/// they have (lower case).
fn transport_headers(raw: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut names = Vec::new();
    let mut skipping = false;
    for (i, line) in raw.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if i == 0 && line.starts_with("Microsoft Mail Internet Headers") {
            continue;
        }
        if line.is_empty() {
            // The header block ends here; anything after is not a header.
            break;
        }
        if line.starts_with([' ', '\t']) {
            if !skipping && !out.is_empty() {
                out.push_str(line);
                out.push_str("\r\n");
            }
            continue;
        }
        let Some((name, _)) = line.split_once(':') else {
            skipping = true;
            continue;
        };
        let lower = name.trim().to_ascii_lowercase();
        skipping = MIME_HEADERS.contains(&lower.as_str()) || lower.contains(' ');
        if !skipping {
            names.push(lower);
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    (out, names)
}

/// The item's bodies: (plain text, HTML).
pub fn bodies(item: &Item) -> (Option<String>, Option<String>) {
    let p = &item.props;
    let text = p.str(tag::BODY).map(str::to_owned);
    let cp = p
        .int(tag::INTERNET_CODEPAGE)
        .or_else(|| p.int(tag::MESSAGE_CODEPAGE));
    let mut html = match p.get(tag::HTML) {
        Some(PropValue::Bin(b)) if !b.is_empty() => {
            let enc = cp.and_then(codepage_encoding).unwrap_or(encoding_rs::UTF_8);
            let (s, _, _) = enc.decode(b);
            Some(s.trim_end_matches('\0').to_owned())
        }
        Some(PropValue::Str(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    let mut text = text;
    if (html.is_none() || text.is_none())
        && let Some(rtf) = p.bin(tag::RTF_COMPRESSED)
        && let Ok(raw) = decompress(rtf, 64 << 20)
    {
        match deencapsulate(&raw) {
            Encapsulated::Html(h) if html.is_none() => html = Some(h),
            Encapsulated::Text(t) | Encapsulated::Rtf(t)
                if text.is_none() && !t.trim().is_empty() =>
            {
                text = Some(t)
            }
            _ => {}
        }
    }
    (text, html)
}

/// Options for the conversion.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Extra header lines (already formatted, without line ends).
    pub extra_headers: Vec<String>,
}

/// The item as RFC 5322/MIME bytes.
pub fn to_rfc822(item: &Item, book: &AddressBook, opts: &Options) -> Vec<u8> {
    let mut w = Writer {
        out: String::new(),
        boundary_seq: 0,
    };
    write_item(&mut w, item, book, opts, 0);
    w.out.into_bytes()
}

struct Writer {
    out: String,
    boundary_seq: u32,
}

impl Writer {
    fn boundary(&mut self) -> String {
        self.boundary_seq += 1;
        format!(
            "----=_trove_outlook_{:04}_{:08x}",
            self.boundary_seq,
            self.out.len()
        )
    }
    fn line(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push_str("\r\n");
    }
    fn base64(&mut self, data: &[u8]) {
        let enc = base64::engine::general_purpose::STANDARD.encode(data);
        for chunk in enc.as_bytes().chunks(76) {
            self.out
                .push_str(std::str::from_utf8(chunk).unwrap_or_default());
            self.out.push_str("\r\n");
        }
    }
}

fn write_item(w: &mut Writer, item: &Item, book: &AddressBook, opts: &Options, depth: u32) {
    let p = &item.props;
    let kind = item.kind();
    let (transport, have) = match p.str(tag::TRANSPORT_HEADERS) {
        Some(h) => transport_headers(h),
        None => (String::new(), Vec::new()),
    };
    w.out.push_str(&transport);
    let has = |n: &str| have.iter().any(|h| h == n);
    if !has("from")
        && let Some(f) = from(item, book)
    {
        w.line(&format!("From: {}", format_addr(&f)));
    }
    for (name, kind_n) in [("To", 1), ("Cc", 2), ("Bcc", 3)] {
        if has(&name.to_ascii_lowercase()) {
            continue;
        }
        let list = recipients(item, kind_n, book);
        if !list.is_empty() {
            let v: Vec<String> = list.iter().map(format_addr).collect();
            w.line(&format!("{name}: {}", v.join(",\r\n ")));
        }
    }
    if !has("subject") {
        let subject = item
            .subject()
            .map(str::to_owned)
            .or_else(|| non_mail_title(item));
        if let Some(s) = subject {
            w.line(&format!("Subject: {}", encode_word(&s)));
        }
    }
    if !has("date") {
        let date = p
            .time(tag::CLIENT_SUBMIT_TIME)
            .or_else(|| p.time(tag::MESSAGE_DELIVERY_TIME))
            .or_else(|| p.time(tag::CREATION_TIME));
        if let Some(d) = date {
            w.line(&format!("Date: {}", rfc2822_date(d)));
        }
    }
    if !has("message-id")
        && let Some(id) = p.str(tag::INTERNET_MESSAGE_ID)
    {
        w.line(&format!("Message-ID: {}", one_line(id)));
    }
    if !has("in-reply-to")
        && let Some(v) = p.str(tag::IN_REPLY_TO)
    {
        w.line(&format!("In-Reply-To: {}", one_line(v)));
    }
    if !has("references")
        && let Some(v) = p.str(tag::REFERENCES)
    {
        w.line(&format!("References: {}", one_line(v)));
    }
    if depth == 0 {
        for h in &opts.extra_headers {
            w.line(&one_line(h));
        }
    }
    w.line(&format!(
        "X-Trove-Outlook-Class: {}",
        one_line(item.message_class())
    ));
    for a in &item.attachments {
        if let AttachContent::Missing(why) = &a.content {
            w.line(&format!(
                "X-Trove-Attachment-Missing: {}: {}",
                encode_word(a.name().unwrap_or("unnamed")),
                one_line(why)
            ));
        }
    }
    for pr in &item.problems {
        w.line(&format!("X-Trove-Problem: {}", encode_word(pr)));
    }
    w.line("MIME-Version: 1.0");

    let (mut text, html) = bodies(item);
    if kind != ItemKind::Mail {
        let rendition = text_rendition(item);
        text = Some(match text {
            Some(t) if !t.trim().is_empty() => format!("{rendition}\r\n{t}"),
            _ => rendition,
        });
    }
    let parts: Vec<&Attachment> = item
        .attachments
        .iter()
        .filter(|a| !matches!(a.content, AttachContent::Missing(_)))
        .collect();
    if parts.is_empty() {
        write_bodies(w, text.as_deref(), html.as_deref());
        return;
    }
    let b = w.boundary();
    w.line(&format!("Content-Type: multipart/mixed; boundary=\"{b}\""));
    w.line("");
    w.line(&format!("--{b}"));
    write_bodies(w, text.as_deref(), html.as_deref());
    for a in parts {
        w.line(&format!("--{b}"));
        write_attachment(w, a, book, opts, depth);
    }
    w.line(&format!("--{b}--"));
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

fn write_bodies(w: &mut Writer, text: Option<&str>, html: Option<&str>) {
    match (text, html) {
        (Some(t), Some(h)) => {
            let b = w.boundary();
            w.line(&format!(
                "Content-Type: multipart/alternative; boundary=\"{b}\""
            ));
            w.line("");
            w.line(&format!("--{b}"));
            write_text(w, "text/plain", t);
            w.line(&format!("--{b}"));
            write_text(w, "text/html", h);
            w.line(&format!("--{b}--"));
        }
        (None, Some(h)) => write_text(w, "text/html", h),
        (t, None) => write_text(w, "text/plain", t.unwrap_or("")),
    }
}

fn write_text(w: &mut Writer, mime: &str, body: &str) {
    w.line(&format!("Content-Type: {mime}; charset=\"utf-8\""));
    w.line("Content-Transfer-Encoding: base64");
    w.line("");
    w.base64(body.as_bytes());
}

/// RFC 2231 filename parameter.
fn filename_param(name: &str) -> String {
    if name.is_ascii() && !name.contains(['"', '\\', '\r', '\n']) {
        return format!("filename=\"{name}\"");
    }
    let mut enc = String::from("filename*=utf-8''");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            enc.push(b as char);
        } else {
            let _ = write!(enc, "%{b:02X}");
        }
    }
    enc
}

fn write_attachment(
    w: &mut Writer,
    a: &Attachment,
    book: &AddressBook,
    opts: &Options,
    depth: u32,
) {
    let name = a.name().map(|n| n.replace(['\r', '\n', '/', '\\'], "_"));
    let cid = a.props.str(tag::ATTACH_CONTENT_ID);
    let hidden = a
        .props
        .get(tag::ATTACHMENT_HIDDEN)
        .is_some_and(|v| matches!(v, PropValue::Bool(true)));
    let disp = if cid.is_some() && hidden {
        "inline"
    } else {
        "attachment"
    };
    match &a.content {
        AttachContent::Message(m) => {
            w.line("Content-Type: message/rfc822");
            match &name {
                Some(n) => w.line(&format!(
                    "Content-Disposition: {disp}; {}",
                    filename_param(&format!("{n}.eml"))
                )),
                None => w.line(&format!("Content-Disposition: {disp}")),
            }
            w.line("");
            write_item(w, m, book, opts, depth + 1);
        }
        AttachContent::Bytes(data) => {
            let mime = a
                .props
                .str(tag::ATTACH_MIME_TAG)
                .filter(|m| m.contains('/') && m.is_ascii())
                .unwrap_or("application/octet-stream");
            match &name {
                Some(n) => w.line(&format!(
                    "Content-Type: {}; name=\"{}\"",
                    one_line(mime),
                    one_line(&encode_word(n)).replace('"', "")
                )),
                None => w.line(&format!("Content-Type: {}", one_line(mime))),
            }
            match &name {
                Some(n) => w.line(&format!(
                    "Content-Disposition: {disp}; {}",
                    filename_param(n)
                )),
                None => w.line(&format!("Content-Disposition: {disp}")),
            }
            if let Some(c) = cid {
                w.line(&format!(
                    "Content-ID: <{}>",
                    one_line(c.trim_matches(['<', '>']))
                ));
            }
            w.line("Content-Transfer-Encoding: base64");
            w.line("");
            w.base64(data);
        }
        AttachContent::Missing(_) => {}
    }
}

/// A title for items without a subject (contacts: their name).
fn non_mail_title(item: &Item) -> Option<String> {
    let p = &item.props;
    p.str(tag::DISPLAY_NAME)
        .or_else(|| p.str(tag::NORMALIZED_SUBJECT))
        .or_else(|| p.str(tag::CONVERSATION_TOPIC))
        .map(str::to_owned)
}

/// Labels of the properties shown first in a text rendition.
const STANDARD_LABELS: &[(u16, &str)] = &[
    (tag::DISPLAY_NAME, "Name"),
    (tag::SUBJECT, "Subject"),
    (0x3A06, "Given name"),
    (0x3A11, "Surname"),
    (0x3A44, "Middle name"),
    (0x3A45, "Title"),
    (0x3A16, "Company"),
    (0x3A17, "Job title"),
    (0x3A18, "Department"),
    (0x3A19, "Office"),
    (0x3A08, "Business phone"),
    (0x3A09, "Home phone"),
    (0x3A1C, "Mobile phone"),
    (0x3A24, "Business fax"),
    (0x3A29, "Street"),
    (0x3A27, "City"),
    (0x3A28, "State"),
    (0x3A2A, "Postal code"),
    (0x3A26, "Country"),
    (tag::START_DATE, "Start"),
    (tag::END_DATE, "End"),
    (tag::CREATION_TIME, "Created"),
    (tag::LAST_MODIFICATION_TIME, "Modified"),
];

const NAMED_LABELS: &[([u8; 16], u32, &str)] = &[
    (guid::ADDRESS, 0x8005, "File as"),
    (guid::ADDRESS, 0x8080, "Email 1 name"),
    (guid::ADDRESS, 0x8083, "Email 1"),
    (guid::ADDRESS, 0x8093, "Email 2"),
    (guid::ADDRESS, 0x80A3, "Email 3"),
    (guid::ADDRESS, 0x801A, "Home address"),
    (guid::ADDRESS, 0x801B, "Work address"),
    (guid::ADDRESS, 0x8053, "List name"),
    (guid::APPOINTMENT, 0x8208, "Location"),
    (guid::APPOINTMENT, 0x820D, "Starts"),
    (guid::APPOINTMENT, 0x820E, "Ends"),
    (guid::APPOINTMENT, 0x8215, "All day"),
    (guid::APPOINTMENT, 0x8232, "Recurrence"),
    (guid::APPOINTMENT, 0x823A, "Required attendees"),
    (guid::APPOINTMENT, 0x823B, "Optional attendees"),
    (guid::TASK, 0x8104, "Task start"),
    (guid::TASK, 0x8105, "Task due"),
    (guid::TASK, 0x8102, "Percent complete"),
    (guid::TASK, 0x811F, "Owner"),
    (guid::COMMON, 0x8516, "Common start"),
    (guid::COMMON, 0x8517, "Common end"),
];

/// A readable, searchable text of an item's properties (for contacts, appointments, tasks…).
pub fn text_rendition(item: &Item) -> String {
    let p = &item.props;
    let mut out = String::new();
    let _ = writeln!(out, "[{}]\r", item.message_class());
    let mut shown: Vec<PropKey> = Vec::new();
    for (id, label) in STANDARD_LABELS {
        if let Some(v) = p
            .get(*id)
            .and_then(PropValue::render)
            .filter(|v| !v.trim().is_empty())
        {
            let _ = writeln!(out, "{label}: {}\r", v.trim_end_matches('\0'));
            shown.push(PropKey::Id(*id));
        }
    }
    for (set, lid, label) in NAMED_LABELS {
        if let Some(v) = p
            .named(*set, *lid)
            .and_then(PropValue::render)
            .filter(|v| !v.trim().is_empty())
        {
            let _ = writeln!(out, "{label}: {}\r", v.trim_end_matches('\0'));
            shown.push(PropKey::Named(*set, NameKind::Lid(*lid)));
        }
    }
    // Distribution list members: one-off entry ids carry name and address.
    if let Some(PropValue::Multi(members)) = p.named(guid::ADDRESS, 0x8054) {
        for m in members {
            if let PropValue::Bin(b) = m
                && let Some((name, addr)) = one_off_entry(b)
            {
                let _ = writeln!(out, "Member: {name} <{addr}>\r");
            }
        }
    }
    for r in &item.recipients {
        let book = AddressBook::default();
        if let Some(a) = resolve(
            &book,
            r.str(tag::DISPLAY_NAME),
            r.str(tag::EMAIL_ADDRESS),
            r.str(tag::ADDRTYPE),
            r.str(tag::SMTP_ADDRESS),
        ) {
            let _ = writeln!(out, "Attendee: {}\r", format_addr(&a));
        }
    }
    // Every other text property, so that nothing the item says is unsearchable.
    for (k, v) in &p.props {
        if shown.contains(k)
            || matches!(k, PropKey::Id(id) if matches!(*id, tag::BODY | tag::HTML | tag::TRANSPORT_HEADERS | tag::MESSAGE_CLASS | tag::RTF_COMPRESSED))
        {
            continue;
        }
        if let PropValue::Str(s) = v
            && !s.trim().is_empty()
        {
            let _ = writeln!(out, "{}: {}\r", key_label(k), s.trim_end_matches('\0'));
        }
    }
    out
}

fn key_label(k: &PropKey) -> String {
    match k {
        PropKey::Id(id) => format!("0x{id:04X}"),
        PropKey::Named(_, NameKind::Lid(l)) => format!("named 0x{l:04X}"),
        PropKey::Named(_, NameKind::Name(n)) => n.clone(),
    }
}

/// Display name and address of a one-off entry id (MS-OXCDATA 2.2.5.1).
pub fn one_off_entry(b: &[u8]) -> Option<(String, String)> {
    const ONE_OFF: [u8; 16] = [
        0x81, 0x2B, 0x1F, 0xA4, 0xBE, 0xA3, 0x10, 0x19, 0x9D, 0x6E, 0x00, 0xDD, 0x01, 0x0F, 0x54,
        0x02,
    ];
    let uid = b.get(4..20)?;
    // Wrapped entry ids of distribution lists put a one-off id after a 21-byte header.
    if uid != ONE_OFF {
        return b.get(21..).filter(|r| r.len() > 24).and_then(one_off_entry);
    }
    let flags = u16::from_le_bytes([*b.get(22)?, *b.get(23)?]);
    let rest = b.get(24..)?;
    let fields: Vec<String> = if flags & 0x8000 != 0 {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        units
            .split(|&u| u == 0)
            .take(3)
            .map(|s| utf16le(&s.iter().flat_map(|u| u.to_le_bytes()).collect::<Vec<u8>>()))
            .collect()
    } else {
        rest.split(|&c| c == 0)
            .take(3)
            .map(|s| crate::props::codepage_text(s, None))
            .collect()
    };
    let name = fields.first()?.clone();
    let addr = fields.get(2)?.clone();
    Some((name, addr))
}

/// MAPI facts about an item that do not fit in headers, for the catalog's item metadata.
pub fn meta(item: &Item) -> serde_json::Value {
    let p = &item.props;
    let mut m = serde_json::Map::new();
    m.insert("message_class".into(), item.message_class().into());
    m.insert("kind".into(), item.kind().format().into());
    if let Some(f) = p.int(tag::MESSAGE_FLAGS) {
        m.insert("message_flags".into(), f.into());
        let mut names = Vec::new();
        for (bit, n) in [
            (0x1, "read"),
            (0x2, "unmodified"),
            (0x4, "submitted"),
            (0x8, "unsent"),
            (0x10, "has_attachments"),
            (0x20, "from_me"),
            (0x40, "associated"),
            (0x80, "resend"),
        ] {
            if f & bit != 0 {
                names.push(n);
            }
        }
        m.insert("flags".into(), names.into());
    }
    for (key, id) in [
        ("submitted", tag::CLIENT_SUBMIT_TIME),
        ("delivered", tag::MESSAGE_DELIVERY_TIME),
        ("created", tag::CREATION_TIME),
        ("modified", tag::LAST_MODIFICATION_TIME),
    ] {
        if let Some(t) = p.time(id) {
            m.insert(key.into(), t.to_rfc3339().into());
        }
    }
    if let Some(i) = p.int(tag::IMPORTANCE) {
        m.insert("importance".into(), i.into());
    }
    m.insert(
        "transport_headers".into(),
        p.str(tag::TRANSPORT_HEADERS).is_some().into(),
    );
    if !item.problems.is_empty() {
        m.insert("problems".into(), item.problems.clone().into());
    }
    serde_json::Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::props::PropKey;

    fn bag(pairs: &[(u16, PropValue)]) -> PropBag {
        let mut b = PropBag::default();
        for (k, v) in pairs {
            b.insert(PropKey::Id(*k), v.clone());
        }
        b
    }

    #[test]
    fn headers_from_mapi_with_smtp_resolution() {
        let dn = "/O=SEDENA/OU=EXCHANGE/CN=RECIPIENTS/CN=JNUNEZ";
        let mut book = AddressBook::default();
        let mut learn = Item::default();
        learn.recipients.push(bag(&[
            (tag::EMAIL_ADDRESS, PropValue::Str(dn.into())),
            (
                tag::SMTP_ADDRESS,
                PropValue::Str("jnunez@sedena.gob.mx".into()),
            ),
        ]));
        book.learn(&learn);
        let item = Item {
            props: bag(&[
                (tag::SUBJECT, PropValue::Str("Información reservada".into())),
                (
                    tag::SENT_REPRESENTING_NAME,
                    PropValue::Str("Juan Núñez".into()),
                ),
                (tag::SENT_REPRESENTING_EMAIL, PropValue::Str(dn.into())),
                (tag::SENT_REPRESENTING_ADDRTYPE, PropValue::Str("EX".into())),
                (tag::BODY, PropValue::Str("Hola".into())),
                (
                    tag::CLIENT_SUBMIT_TIME,
                    PropValue::Time(126_343_319_400_000_000),
                ),
            ]),
            recipients: vec![bag(&[
                (tag::DISPLAY_NAME, PropValue::Str("Ana".into())),
                (tag::EMAIL_ADDRESS, PropValue::Str("/O=X/CN=ANA".into())),
                (tag::RECIPIENT_TYPE, PropValue::I32(2)),
            ])],
            ..Default::default()
        };
        let out = String::from_utf8(to_rfc822(&item, &book, &Options::default())).unwrap();
        assert!(out.contains("From: =?UTF-8?B?"), "{out}");
        assert!(out.contains("<jnunez@sedena.gob.mx>"), "{out}");
        assert!(out.contains("Cc: \"Ana\" </O=X/CN=ANA>"), "{out}");
        assert!(
            out.contains("Date: Mon, 14 May 2001 16:39:00 +0000"),
            "{out}"
        );
        assert!(out.contains("Subject: =?UTF-8?B?"), "{out}");
    }

    #[test]
    fn transport_headers_lose_mime_fields() {
        let (h, names) = transport_headers(
            "Microsoft Mail Internet Headers Version 2.0\r\nReceived: a\r\n\tb\r\nContent-Type: multipart/mixed;\r\n\tboundary=x\r\nSubject: hi\r\n\r\n",
        );
        assert_eq!(h, "Received: a\r\n\tb\r\nSubject: hi\r\n");
        assert_eq!(names, ["received", "subject"]);
    }
}
