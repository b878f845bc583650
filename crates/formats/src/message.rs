//! RFC 5322/MIME messages parsed into trove's model.
//!
//! mail-parser finds the MIME structure and undoes transfer encodings. Everything a reader
//! sees as text is decoded here from the raw bytes with the rules of [`crate::decode`]: every
//! top-level header (duplicates too) with its raw bytes, addresses with
//! [`crate::address`], attachment names (raw 8-bit, RFC 2047 and RFC 2231 alike), and text
//! bodies whenever mail-parser's charset handling produced replacement characters.

use std::panic::{AssertUnwindSafe, catch_unwind};

use chrono::{DateTime, FixedOffset};
use mail_parser::{MessageParser, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Limits;
use crate::address::{Mailbox, parse_address_list};
use crate::date::{DateSource, parse_rfc5322, received_date};
use crate::decode::{
    base64_lenient, bytes_to_str, decode_text, decode_words, header_value, html_meta_charset,
    unfold,
};
use crate::mbox::is_header_line;

/// One header field as it appears in the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderField {
    /// Field name as written.
    pub name: String,
    /// Decoded value: unfolded, raw 8-bit bytes and encoded words turned into text.
    pub value: String,
    /// The value's bytes exactly as written, folding included.
    #[serde(with = "serde_bytes_lossless")]
    pub raw: Vec<u8>,
}

/// Something wrong with a message. A message with problems is still stored, flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// Nothing that looks like a header block.
    NoHeaders,
    /// The header block runs into the body without a blank line.
    NoHeaderSeparator,
    /// Lines in the header block that are neither fields nor continuations.
    MalformedHeaderLine,
    /// The header block was longer than the limit and was cut.
    HeaderTooLarge,
    /// A Date header that does not parse.
    BadDate,
    /// No date anywhere (header, Received, envelope, container).
    NoDate,
    /// A declared charset was unknown or contradicted by the bytes.
    CharsetOverridden,
    /// Text could only be decoded with replacement characters.
    LossyText,
    /// A transfer encoding (base64, quoted-printable) was broken.
    EncodingError,
    /// More MIME parts than the limit; later parts are not listed.
    TooManyParts,
    /// Only the start of the message was parsed (it was larger than the parse limit).
    Truncated,
    /// The MIME parser failed on this message; headers were kept.
    ParserFailure,
}

impl Problem {
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::NoHeaders => "no_headers",
            Problem::NoHeaderSeparator => "no_header_separator",
            Problem::MalformedHeaderLine => "malformed_header_line",
            Problem::HeaderTooLarge => "header_too_large",
            Problem::BadDate => "bad_date",
            Problem::NoDate => "no_date",
            Problem::CharsetOverridden => "charset_overridden",
            Problem::LossyText => "lossy_text",
            Problem::EncodingError => "encoding_error",
            Problem::TooManyParts => "too_many_parts",
            Problem::Truncated => "truncated",
            Problem::ParserFailure => "parser_failure",
        }
    }
}

/// A non-body MIME part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attachment {
    /// Index of the part in the message's MIME tree (depth-first, root = 0).
    pub part: u32,
    /// File name, decoded.
    pub name: Option<String>,
    /// Declared content type, lower-cased (`application/pdf`).
    pub mime: String,
    /// `attachment` or `inline`, as declared.
    pub disposition: Option<String>,
    pub content_id: Option<String>,
    /// Decoded size in bytes.
    pub size: u64,
    /// SHA-256 of the decoded bytes.
    #[serde(with = "hex_array")]
    pub sha256: [u8; 32],
    /// A message/rfc822 part (a forwarded or attached message).
    pub is_message: bool,
    /// The decoded bytes. Taken by the caller to look inside (nested messages, archives);
    /// not serialised.
    #[serde(skip)]
    pub data: Vec<u8>,
}

/// Hints from the container about a message's date, used when the message has none.
#[derive(Debug, Clone, Copy, Default)]
pub struct DateHints {
    pub envelope: Option<DateTime<FixedOffset>>,
    pub container: Option<DateTime<FixedOffset>>,
}

/// A message parsed into trove's model.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ParsedMessage {
    /// Every top-level header field, in order, duplicates included.
    pub headers: Vec<HeaderField>,
    /// The mbox-style `From ` line found at the top of the file, if any.
    pub envelope_line: Option<String>,
    pub from: Vec<Mailbox>,
    pub sender: Vec<Mailbox>,
    pub reply_to: Vec<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub bcc: Vec<Mailbox>,
    pub subject: Option<String>,
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The Date header as written.
    pub date_raw: Option<String>,
    /// The date believed, with its origin.
    pub date: Option<DateTime<FixedOffset>>,
    pub date_source: Option<DateSource>,
    /// Plain-text body (text parts joined; from HTML when there is no text part).
    pub text: String,
    /// HTML body, if any.
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    /// MIME parts in the message (root included).
    pub parts: usize,
    pub problems: Vec<Problem>,
}

impl ParsedMessage {
    /// Values of every header with this name (case-insensitive), in order.
    pub fn header_values<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a HeaderField> + 'a {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
    }

    fn problem(&mut self, p: Problem) {
        if !self.problems.contains(&p) {
            self.problems.push(p);
        }
    }

    /// All participants: from, sender, to, cc, bcc.
    pub fn participants(&self) -> impl Iterator<Item = &Mailbox> {
        self.from
            .iter()
            .chain(&self.sender)
            .chain(&self.to)
            .chain(&self.cc)
            .chain(&self.bcc)
    }
}

/// Parses a message. Never fails and never panics: what cannot be parsed becomes a
/// [`Problem`] on a message that keeps whatever was recovered.
///
/// `truncated` says that `raw` is only the start of a larger message.
pub fn parse_message(
    raw: &[u8],
    limits: &Limits,
    hints: DateHints,
    truncated: bool,
) -> ParsedMessage {
    let mut msg = ParsedMessage::default();
    if truncated {
        msg.problem(Problem::Truncated);
    }
    let block = split_header_block(raw, limits.max_header_bytes);
    for p in &block.problems {
        msg.problem(*p);
    }
    msg.envelope_line = block.envelope.map(|e| bytes_to_str(e).into_owned());
    let envelope_date = block
        .envelope
        .and_then(crate::mbox::parse_envelope)
        .and_then(|e| e.date);
    let hints = DateHints {
        envelope: hints.envelope.or(envelope_date),
        ..hints
    };
    for (name, value) in &block.fields {
        msg.headers.push(HeaderField {
            name: bytes_to_str(name).trim().to_owned(),
            value: header_value(value),
            raw: value.to_vec(),
        });
    }
    fill_envelope_fields(&mut msg, &block.fields);
    choose_date(&mut msg, hints);

    let content = &raw[block.start..];
    let parsed = if block.problems.contains(&Problem::NoHeaders) {
        Ok(None)
    } else {
        catch_unwind(AssertUnwindSafe(|| MessageParser::default().parse(content)))
    };
    match parsed {
        Ok(Some(m)) => fill_mime(&mut msg, &m, limits, truncated),
        Ok(None) => {
            // No header block at all: the whole thing is text.
            let (text, note) = decode_text(&content[block.body_start - block.start..], None);
            if note.lossy {
                msg.problem(Problem::LossyText);
            }
            msg.text = text;
            msg.parts = 1;
        }
        Err(_) => {
            msg.problem(Problem::ParserFailure);
            let body = &raw[block.body_start.min(raw.len())..];
            msg.text = bytes_to_str(body).into_owned();
            msg.parts = 1;
        }
    }
    msg
}

/// The top-level header block, split by hand so that raw bytes survive.
struct HeaderBlock<'a> {
    envelope: Option<&'a [u8]>,
    /// Where the message proper starts (after an envelope line and leading blank lines).
    start: usize,
    fields: Vec<(&'a [u8], &'a [u8])>,
    body_start: usize,
    problems: Vec<Problem>,
}

fn split_header_block(raw: &[u8], max_header: usize) -> HeaderBlock<'_> {
    let mut b = HeaderBlock {
        envelope: None,
        start: 0,
        fields: Vec::new(),
        body_start: 0,
        problems: Vec::new(),
    };
    let mut pos = 0;
    // Leading blank lines and a BOM are not part of the message.
    if raw.starts_with(b"\xef\xbb\xbf") {
        pos = 3;
    }
    while pos < raw.len() && matches!(raw[pos], b'\r' | b'\n') {
        pos += 1;
    }
    let line_end =
        |from: usize| memchr::memchr(b'\n', &raw[from..]).map_or(raw.len(), |p| from + p + 1);
    if raw[pos..].starts_with(b"From ") {
        let end = line_end(pos);
        b.envelope = Some(trim_eol(&raw[pos..end]));
        pos = end;
    } else if raw[pos..].starts_with(b"Microsoft Mail Internet Headers") {
        pos = line_end(pos);
    }
    b.start = pos;
    let mut current: Option<(usize, usize, usize)> = None; // name start, colon, value end
    let mut malformed = false;
    loop {
        if pos >= raw.len() {
            b.body_start = raw.len();
            break;
        }
        if pos - b.start > max_header {
            b.problems.push(Problem::HeaderTooLarge);
            b.body_start = pos;
            break;
        }
        let end = line_end(pos);
        let line = trim_eol(&raw[pos..end]);
        if line.is_empty() {
            b.body_start = end;
            break;
        }
        if (line[0] == b' ' || line[0] == b'\t') && current.is_some() {
            if let Some(c) = current.as_mut() {
                c.2 = pos + line.len();
            }
            pos = end;
            continue;
        }
        if is_header_line(line) {
            if let Some((s, colon, e)) = current.take() {
                b.fields
                    .push((&raw[s..colon], trim_value(&raw[colon + 1..e])));
            }
            let colon = pos + line.iter().position(|&c| c == b':').unwrap_or(0);
            current = Some((pos, colon, pos + line.len()));
            pos = end;
            continue;
        }
        // A line that is neither a field nor a continuation.
        if current.is_none() && b.fields.is_empty() {
            b.problems.push(Problem::NoHeaders);
            b.body_start = pos;
            break;
        }
        if b.fields.len() + usize::from(current.is_some()) >= 2 || line.len() > 200 {
            b.problems.push(Problem::NoHeaderSeparator);
            b.body_start = pos;
            break;
        }
        malformed = true;
        pos = end;
    }
    if let Some((s, colon, e)) = current.take() {
        b.fields
            .push((&raw[s..colon], trim_value(&raw[colon + 1..e])));
    }
    if malformed {
        b.problems.push(Problem::MalformedHeaderLine);
    }
    b
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim_value(v: &[u8]) -> &[u8] {
    let v = trim_eol(v);
    let start = v.iter().take_while(|b| matches!(b, b' ' | b'\t')).count();
    &v[start..]
}

fn addresses(fields: &[(&[u8], &[u8])], name: &str) -> Vec<Mailbox> {
    let mut out = Vec::new();
    for (n, v) in fields {
        if n.trim_ascii().eq_ignore_ascii_case(name.as_bytes()) {
            out.extend(parse_address_list(&unfold(&bytes_to_str(v))));
        }
    }
    out
}

fn first<'a>(fields: &[(&'a [u8], &'a [u8])], name: &str) -> Option<&'a [u8]> {
    fields
        .iter()
        .find(|(n, _)| n.trim_ascii().eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| *v)
}

/// Message ids in `<…>`; a bare id when there are no brackets.
pub fn message_ids(s: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let id = rest[open + 1..open + close].trim();
        if !id.is_empty() && !id.contains(char::is_whitespace) {
            ids.push(id.to_owned());
        }
        rest = &rest[open + close + 1..];
    }
    if ids.is_empty() {
        ids.extend(s.split_whitespace().filter(|t| t.contains('@')).map(|t| {
            t.trim_matches(|c| c == '<' || c == '>' || c == ',')
                .to_owned()
        }));
    }
    ids
}

fn fill_envelope_fields(msg: &mut ParsedMessage, fields: &[(&[u8], &[u8])]) {
    msg.from = addresses(fields, "from");
    msg.sender = addresses(fields, "sender");
    msg.reply_to = addresses(fields, "reply-to");
    msg.to = addresses(fields, "to");
    msg.cc = addresses(fields, "cc");
    msg.bcc = addresses(fields, "bcc");
    msg.subject = first(fields, "subject").map(header_value);
    msg.message_id = first(fields, "message-id")
        .map(header_value)
        .and_then(|v| message_ids(&v).into_iter().next());
    msg.in_reply_to = first(fields, "in-reply-to")
        .map(|v| message_ids(&header_value(v)))
        .unwrap_or_default();
    msg.references = fields
        .iter()
        .filter(|(n, _)| n.trim_ascii().eq_ignore_ascii_case(b"references"))
        .flat_map(|(_, v)| message_ids(&header_value(v)))
        .collect();
    msg.date_raw = first(fields, "date").map(header_value);
}

fn choose_date(msg: &mut ParsedMessage, hints: DateHints) {
    if let Some(raw) = &msg.date_raw {
        if let Some(d) = parse_rfc5322(raw) {
            msg.date = Some(d);
            msg.date_source = Some(DateSource::Header);
            return;
        }
        msg.problem(Problem::BadDate);
    }
    let received = msg
        .header_values("received")
        .next()
        .and_then(|h| received_date(&h.value));
    let (date, source) = if let Some(d) = received {
        (Some(d), DateSource::Received)
    } else if let Some(d) = hints.envelope {
        (Some(d), DateSource::Envelope)
    } else if let Some(d) = hints.container {
        (Some(d), DateSource::Container)
    } else {
        msg.problem(Problem::NoDate);
        return;
    };
    msg.date = date;
    msg.date_source = Some(source);
}

fn fill_mime(
    msg: &mut ParsedMessage,
    m: &mail_parser::Message<'_>,
    limits: &Limits,
    truncated: bool,
) {
    let raw = m.raw_message();
    msg.parts = m.parts.len();
    if m.parts.iter().any(|p| p.is_encoding_problem) {
        msg.problem(Problem::EncodingError);
    }
    let mut texts: Vec<String> = Vec::new();
    let mut htmls: Vec<String> = Vec::new();
    for &id in &m.text_body {
        let Some(part) = m.parts.get(id as usize) else {
            continue;
        };
        if let PartType::Text(_) = &part.body {
            texts.push(body_text(msg, part, raw, false));
        }
    }
    for &id in &m.html_body {
        let Some(part) = m.parts.get(id as usize) else {
            continue;
        };
        if let PartType::Html(_) = &part.body {
            htmls.push(body_text(msg, part, raw, true));
        }
    }
    msg.text = texts.join("\n");
    if !htmls.is_empty() {
        let html = htmls.join("\n");
        if msg.text.trim().is_empty() {
            msg.text = mail_parser::decoders::html::html_to_text(&html);
        }
        msg.html = Some(html);
    }
    for (n, &id) in m.attachments.iter().enumerate() {
        if n >= limits.max_parts {
            msg.problem(Problem::TooManyParts);
            break;
        }
        let Some(part) = m.parts.get(id as usize) else {
            continue;
        };
        if truncated && part.offset_end as usize >= raw.len() {
            // Cut off by the end of the bytes parsed: its size and hash would be those of a
            // piece. The message is stored whole and flagged truncated.
            continue;
        }
        msg.attachments.push(attachment(id, part, raw));
    }
    if m.parts.len() > limits.max_parts {
        msg.problem(Problem::TooManyParts);
    }
}

/// A body part's text, re-decoded from raw bytes when mail-parser's decoding lost characters.
fn body_text(
    msg: &mut ParsedMessage,
    part: &mail_parser::MessagePart<'_>,
    raw: &[u8],
    html: bool,
) -> String {
    let decoded = match &part.body {
        PartType::Text(t) | PartType::Html(t) => t.as_ref(),
        _ => "",
    };
    if !decoded.contains('\u{fffd}') {
        return decoded.to_owned();
    }
    let bytes = transfer_decoded(part, raw);
    if bytes.is_empty() && !decoded.is_empty() {
        return decoded.to_owned();
    }
    let mut charset = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .map(str::to_owned);
    if html && charset.is_none() {
        charset = html_meta_charset(&bytes);
    }
    let (text, note) = decode_text(&bytes, charset.as_deref());
    if note.charset_overridden {
        msg.problem(Problem::CharsetOverridden);
    }
    if note.lossy || text.contains('\u{fffd}') {
        msg.problem(Problem::LossyText);
    }
    text
}

/// The bytes of a part with its transfer encoding undone, taken from the raw message.
fn transfer_decoded(part: &mail_parser::MessagePart<'_>, raw: &[u8]) -> Vec<u8> {
    let (s, e) = (part.offset_body as usize, part.offset_end as usize);
    let Some(body) = raw.get(s..e.max(s)) else {
        return Vec::new();
    };
    match part.encoding {
        mail_parser::Encoding::Base64 => {
            let clean: Vec<u8> = body
                .iter()
                .copied()
                .filter(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
                .collect();
            base64_lenient(&clean).unwrap_or_default()
        }
        mail_parser::Encoding::QuotedPrintable => {
            mail_parser::decoders::quoted_printable::quoted_printable_decode(body)
                .unwrap_or_else(|| body.to_vec())
        }
        mail_parser::Encoding::None => body.to_vec(),
    }
}

fn attachment(id: u32, part: &mail_parser::MessagePart<'_>, raw: &[u8]) -> Attachment {
    let (data, is_message) = match &part.body {
        PartType::Binary(b) | PartType::InlineBinary(b) => (b.to_vec(), false),
        PartType::Message(inner) => (inner.raw_message().to_vec(), true),
        PartType::Text(_) | PartType::Html(_) => (transfer_decoded(part, raw), false),
        PartType::Multipart(_) => (Vec::new(), false),
    };
    let mime = part
        .content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        })
        .unwrap_or_else(|| {
            if is_message {
                "message/rfc822".into()
            } else {
                "application/octet-stream".into()
            }
        });
    let header_raw = raw
        .get(part.offset_header as usize..part.offset_body as usize)
        .unwrap_or(&[]);
    let name = part_file_name(header_raw);
    Attachment {
        part: id,
        name,
        mime,
        disposition: part
            .content_disposition()
            .map(|d| d.ctype().to_ascii_lowercase()),
        content_id: part
            .content_id()
            .map(|c| c.trim_matches(|c| c == '<' || c == '>').to_owned()),
        size: data.len() as u64,
        sha256: Sha256::digest(&data).into(),
        is_message,
        data,
    }
}

/// The file name of a part, from its raw header bytes: `filename` of Content-Disposition,
/// else `name` of Content-Type; RFC 2231, RFC 2047 and raw 8-bit all handled.
fn part_file_name(header_raw: &[u8]) -> Option<String> {
    let block = split_header_block(header_raw, usize::MAX);
    let value =
        |name: &str| first(&block.fields, name).map(|v| unfold(&bytes_to_str(v)).into_owned());
    value("content-disposition")
        .and_then(|v| mime_param(&v, "filename"))
        .or_else(|| value("content-type").and_then(|v| mime_param(&v, "name")))
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
}

/// A parameter of a structured MIME header value, with RFC 2231 continuations and charsets.
pub fn mime_param(value: &str, key: &str) -> Option<String> {
    let mut plain: Option<String> = None;
    let mut extended: Vec<(u32, bool, String)> = Vec::new();
    for (k, v) in split_params(value) {
        let k = k.to_ascii_lowercase();
        let Some(rest) = k.strip_prefix(key) else {
            continue;
        };
        if rest.is_empty() {
            plain = Some(v);
        } else if rest == "*" {
            extended.push((0, true, v));
        } else if let Some(num) = rest.strip_prefix('*') {
            let (num, enc) = match num.strip_suffix('*') {
                Some(n) => (n, true),
                None => (num, false),
            };
            if let Ok(n) = num.parse::<u32>() {
                extended.push((n, enc, v));
            }
        }
    }
    if !extended.is_empty() {
        extended.sort_by_key(|e| e.0);
        let mut charset: Option<String> = None;
        let mut bytes = Vec::new();
        for (i, (_, enc, v)) in extended.iter().enumerate() {
            let mut v = v.as_str();
            if i == 0 && *enc {
                let mut it = v.splitn(3, '\'');
                if let (Some(cs), Some(_lang), Some(rest)) = (it.next(), it.next(), it.next()) {
                    charset = (!cs.is_empty()).then(|| cs.to_owned());
                    v = rest;
                }
            }
            if *enc {
                bytes.extend(percent_decode(v));
            } else {
                bytes.extend_from_slice(v.as_bytes());
            }
        }
        return Some(decode_text(&bytes, charset.as_deref()).0);
    }
    plain.map(|p| decode_words(&p).into_owned())
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) =
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// `type/sub; a=1; b="x;y"` → [("a","1"), ("b","x;y")]
fn split_params(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    // Skip the type itself.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ';' {
                break;
            }
            key.push(c);
            chars.next();
        }
        let key = key.trim().to_owned();
        let mut val = String::new();
        if chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            // Windows paths in names: keep backslashes that do not escape quotes.
                            match chars.peek() {
                                Some(&'"') | Some(&'\\') => val.push(chars.next().unwrap_or('\\')),
                                _ => val.push('\\'),
                            }
                        }
                        '"' => break,
                        c => val.push(c),
                    }
                }
                while chars.peek().is_some_and(|&c| c != ';') {
                    chars.next();
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ';' {
                        break;
                    }
                    val.push(c);
                    chars.next();
                }
                val = val.trim().to_owned();
            }
        }
        if !key.is_empty() {
            out.push((key, val));
        }
        if chars.next().is_none() {
            break;
        }
    }
    out
}

mod hex_array {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(serde::de::Error::custom)?;
        Ok(out)
    }
}

/// Raw header bytes serialised as text when they are UTF-8, else as `hex:…`.
mod serde_bytes_lossless {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(v) {
            Ok(t) if !t.starts_with("hex:") => s.serialize_str(t),
            _ => s.serialize_str(&format!("hex:{}", hex::encode(v))),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        match s.strip_prefix("hex:") {
            Some(h) => hex::decode(h).map_err(serde::de::Error::custom),
            None => Ok(s.into_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &[u8]) -> ParsedMessage {
        parse_message(raw, &Limits::default(), DateHints::default(), false)
    }

    #[test]
    fn spanish_raw_headers_and_names() {
        let raw = b"From: Jos\xe9 N\xfa\xf1ez <jnunez@defensa.gob.mx>\r\n\
To: =?utf-8?Q?P=C3=A9rez=2C_Juan?= <jp@sedena.gob.mx>, ana at x.mx (Ana)\r\n\
Subject: Informaci\xf3n del =?UTF-8?Q?oficio_n=C3?=\r\n =?UTF-8?Q?=BAmero?= 7\r\n\
Date: Tue, 15 Mar 2016 09:30:01 -0600\r\n\
Message-ID: <abc@defensa.gob.mx>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Se remite la informaci=F3n solicitada =93urgente=94.\r\n\
--b1\r\n\
Content-Type: application/pdf; name=\"Memor\xe1ndum.pdf\"\r\n\
Content-Disposition: attachment; filename=\"Memor\xe1ndum.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0xLjQK\r\n\
--b1\r\n\
Content-Type: application/octet-stream\r\n\
Content-Disposition: attachment; filename*=utf-8''Informaci%C3%B3n%20anual.xlsx\r\n\
\r\n\
xyz\r\n\
--b1--\r\n";
        let m = parse(raw);
        assert_eq!(m.from[0].name.as_deref(), Some("José Núñez"));
        assert_eq!(m.from[0].address.as_deref(), Some("jnunez@defensa.gob.mx"));
        assert_eq!(m.to.len(), 2);
        assert_eq!(m.to[0].name.as_deref(), Some("Pérez, Juan"));
        assert_eq!(m.to[1].address.as_deref(), Some("ana@x.mx"));
        assert_eq!(
            m.subject.as_deref(),
            Some("Información del oficio número 7")
        );
        assert_eq!(m.message_id.as_deref(), Some("abc@defensa.gob.mx"));
        assert_eq!(m.date.unwrap().timestamp(), 1458055801);
        assert_eq!(m.date_source, Some(DateSource::Header));
        assert!(
            m.text
                .contains("información solicitada \u{201c}urgente\u{201d}"),
            "{:?}",
            m.text
        );
        assert_eq!(m.attachments.len(), 2);
        assert_eq!(m.attachments[0].name.as_deref(), Some("Memorándum.pdf"));
        assert_eq!(m.attachments[0].data, b"%PDF-1.4\n");
        assert_eq!(m.attachments[0].mime, "application/pdf");
        assert_eq!(
            m.attachments[1].name.as_deref(),
            Some("Información anual.xlsx")
        );
        // Raw bytes are kept.
        assert_eq!(
            m.headers[0].raw,
            b"Jos\xe9 N\xfa\xf1ez <jnunez@defensa.gob.mx>"
        );
        assert!(m.problems.is_empty(), "{:?}", m.problems);
    }

    #[test]
    fn html_only_with_meta_charset() {
        let raw = b"From: a@b.c\nSubject: x\nContent-Type: text/html\n\n<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\"></head><body><p>Adquisici\xf3n de veh\xedculos</p></body></html>\n";
        let m = parse(raw);
        assert!(
            m.html
                .as_deref()
                .unwrap()
                .contains("Adquisición de vehículos")
        );
        assert!(m.text.contains("Adquisición de vehículos"), "{:?}", m.text);
    }

    #[test]
    fn damaged_messages_keep_what_they_have() {
        let m = parse(b"Subject: sin separador\nFrom: a@b.c\nEsto ya es cuerpo\nmas cuerpo\n");
        assert_eq!(m.subject.as_deref(), Some("sin separador"));
        assert!(m.problems.contains(&Problem::NoHeaderSeparator));
        assert!(m.problems.contains(&Problem::NoDate));
        let m = parse(b"just some text, no headers at all\n");
        assert!(m.problems.contains(&Problem::NoHeaders));
        assert!(m.text.contains("no headers"));
        let m = parse(b"");
        assert!(m.headers.is_empty());
        let m = parse(b"From: a@b.c\nDate: yesterday\n\nx");
        assert!(m.problems.contains(&Problem::BadDate));
    }

    #[test]
    fn date_fallbacks() {
        let m = parse(b"Received: from x by y; Tue, 15 Mar 2016 09:30:01 -0600\nReceived: from z by x; Mon, 14 Mar 2016 09:30:01 -0600\nSubject: x\n\nb");
        assert_eq!(m.date_source, Some(DateSource::Received));
        assert_eq!(m.date.unwrap().timestamp(), 1458055801);
        let env = crate::date::parse_asctime("Mon Jan  3 10:00:00 2005");
        let m = parse_message(
            b"Subject: x\n\nb",
            &Limits::default(),
            DateHints {
                envelope: env,
                container: None,
            },
            false,
        );
        assert_eq!(m.date_source, Some(DateSource::Envelope));
    }

    #[test]
    fn envelope_line_and_nested_message() {
        let raw = b"From a@b.c Mon Jan  3 10:00:00 2005\nFrom: a@b.c\nSubject: fwd\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\nContent-Type: text/plain\n\nsee attached\n--zz\nContent-Type: message/rfc822\n\nFrom: c@d.e\nSubject: inner\n\ninner body\n--zz--\n";
        let m = parse(raw);
        assert_eq!(
            m.envelope_line.as_deref(),
            Some("From a@b.c Mon Jan  3 10:00:00 2005")
        );
        assert_eq!(m.subject.as_deref(), Some("fwd"));
        assert_eq!(m.attachments.len(), 1);
        assert!(m.attachments[0].is_message);
        let inner = parse(&m.attachments[0].data);
        assert_eq!(inner.subject.as_deref(), Some("inner"));
    }

    #[test]
    fn params() {
        assert_eq!(
            mime_param("attachment; filename=\"a;b.pdf\"", "filename").as_deref(),
            Some("a;b.pdf")
        );
        assert_eq!(
            mime_param(
                "attachment; filename*0*=iso-8859-1''Memor%E1n; filename*1*=dum.pdf",
                "filename"
            )
            .as_deref(),
            Some("Memorándum.pdf")
        );
        assert_eq!(
            mime_param(
                "attachment; filename=\"=?utf-8?B?w7Fvw7Fv?=.doc\"",
                "filename"
            )
            .as_deref(),
            Some("ñoño.doc")
        );
        assert_eq!(
            mime_param("attachment; filename=\"C:\\docs\\x.pdf\"", "filename").as_deref(),
            Some("C:\\docs\\x.pdf")
        );
        assert_eq!(mime_param("inline", "filename"), None);
        assert_eq!(
            message_ids("<a@b> <c@d>\n <e@f>"),
            vec!["a@b", "c@d", "e@f"]
        );
        assert_eq!(message_ids("a@b"), vec!["a@b"]);
    }

    /// A message parsed from its first bytes only: the attachments that end there are kept
    /// with their exact hash, the one cut off is not (its size and hash would be a piece's).
    #[test]
    fn truncated_parse_keeps_only_whole_attachments() {
        use base64::Engine;
        let b64 =
            |n: usize, byte: u8| base64::engine::general_purpose::STANDARD.encode(vec![byte; n]);
        let raw = format!(
            "From: a@b.mx\nSubject: dos\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\n\nanexos\n--z\nContent-Type: application/pdf; name=uno.pdf\nContent-Transfer-Encoding: base64\n\n{}\n--z\nContent-Type: application/pdf; name=dos.pdf\nContent-Transfer-Encoding: base64\n\n{}\n--z--\n",
            b64(3000, 1),
            b64(30000, 2)
        );
        let whole = parse_message(
            raw.as_bytes(),
            &Limits::default(),
            DateHints::default(),
            false,
        );
        assert_eq!(whole.attachments.len(), 2);
        let cut = raw.find("dos.pdf").unwrap() + 2000;
        let head = parse_message(
            &raw.as_bytes()[..cut],
            &Limits::default(),
            DateHints::default(),
            true,
        );
        assert!(head.problems.contains(&Problem::Truncated));
        assert_eq!(head.attachments.len(), 1);
        assert_eq!(head.attachments[0].name.as_deref(), Some("uno.pdf"));
        assert_eq!(head.attachments[0].sha256, whole.attachments[0].sha256);
        assert_eq!(head.text.trim(), "anexos");
    }
}
