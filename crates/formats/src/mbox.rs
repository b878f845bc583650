//! A streaming mbox splitter for every variant found in dumps.
//!
//! - mboxo / mboxrd: messages start at an envelope line `From sender date`.
//! - mboxcl / mboxcl2: a `Content-Length` header gives the body length; when the length lands
//!   exactly on the next envelope (or the end), it is trusted, so unescaped `From ` lines inside
//!   the body cannot split the message.
//! - List archives (pipermail): envelopes read `From user at host  Mon Jan  3 10:00:00 2005` and
//!   bodies hold unescaped lines starting with `From `.
//!
//! A line splits only when it matches the whole envelope pattern (sender, then a date with a
//! month, a time and a year) *and* the line after it is a header field. Any other line starting
//! with `From ` is body text. Byte offsets are kept so that every message can be traced to its
//! exact range in the file, and memory stays bounded: a message longer than the limit is
//! measured and reported, not buffered.

use std::io::{self, Read};

use chrono::{DateTime, FixedOffset};

use crate::date::{parse_asctime, parse_rfc5322};

/// The `From ` line in front of an mbox message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// Envelope sender (`user@host`; list-archive `user at host` is rewritten with `@`).
    pub sender: String,
    /// Envelope date, if it parses.
    pub date: Option<DateTime<FixedOffset>>,
    /// The line as written, without its line ending.
    pub raw: Vec<u8>,
}

/// One message of an mbox.
#[derive(Debug, Clone)]
pub struct MboxEntry {
    /// Offset of the envelope line in the stream (or of the data when there is none).
    pub offset: u64,
    /// Offset of the message bytes, after the envelope line.
    pub data_offset: u64,
    /// Length of the message bytes, without the blank separator line.
    pub length: u64,
    /// The envelope line; `None` for bytes before the first envelope.
    pub envelope: Option<Envelope>,
    /// The message bytes; `None` when the message was longer than the limit.
    pub data: Option<Vec<u8>>,
}

/// Splits an mbox stream into messages. See the module documentation.
pub struct MboxReader<R> {
    r: R,
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    base: u64,
    eof: bool,
    max_message: u64,
    chunk: usize,
    /// A minimal envelope line (`From -`, `From user` without a date) that opened the stream
    /// and is followed by a header: the file's own separator, accepted again when repeated
    /// byte for byte.
    minimal: Option<Vec<u8>>,
    started: bool,
    /// Bytes searched for boundaries so far (each byte about once: see `bytes_scanned`).
    scanned: u64,
}

const MAX_HEADER_SCAN: usize = 1 << 20;

impl<R: Read> MboxReader<R> {
    /// A reader that buffers at most `max_message` bytes of one message.
    pub fn new(r: R, max_message: u64) -> Self {
        Self::with_chunk(r, max_message, 1 << 20)
    }

    /// Same, reading `chunk` bytes at a time (small chunks exercise the boundary code in tests).
    pub fn with_chunk(r: R, max_message: u64, chunk: usize) -> Self {
        MboxReader {
            r,
            buf: Vec::new(),
            base: 0,
            eof: false,
            max_message,
            chunk: chunk.max(16),
            minimal: None,
            started: false,
            scanned: 0,
        }
    }

    /// Bytes searched for message boundaries so far: about the bytes read, whatever the
    /// lengths of the messages and their lines (tests hold the splitter to linear work).
    pub fn bytes_scanned(&self) -> u64 {
        self.scanned
    }

    /// Starts at `offset` of a stream already positioned there (for resuming at a known
    /// message boundary).
    pub fn starting_at(mut self, offset: u64) -> Self {
        self.base = offset;
        self
    }

    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        // read_to_end fills spare capacity without zeroing it first.
        let n = (&mut self.r)
            .take(self.chunk as u64)
            .read_to_end(&mut self.buf)?;
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    /// Makes sure `buf[from..]` holds a full line (or the stream ended). Returns its end
    /// (index just past the `\n`, or the buffer end at EOF).
    fn line_end(&mut self, from: usize) -> io::Result<Option<usize>> {
        loop {
            if let Some(p) = memchr::memchr(b'\n', &self.buf[from.min(self.buf.len())..]) {
                return Ok(Some(from + p + 1));
            }
            if self.buf.len() - from.min(self.buf.len()) > 64 * 1024 {
                return Ok(Some(self.buf.len()));
            }
            if !self.fill()? {
                return Ok((from < self.buf.len()).then_some(self.buf.len()));
            }
        }
    }

    /// Is there a message boundary at `pos` (start of a line)? Reads ahead as needed.
    fn boundary_at(&mut self, pos: usize) -> io::Result<bool> {
        let Some(end) = self.line_end(pos)? else {
            return Ok(false);
        };
        let line = &self.buf[pos..end];
        let repeats_minimal = self.minimal.as_deref().is_some_and(|m| trim_eol(line) == m);
        if !repeats_minimal && !is_envelope(line) {
            return Ok(false);
        }
        let Some(next_end) = self.line_end(end)? else {
            return Ok(false);
        };
        Ok(is_header_line(&self.buf[end..next_end]))
    }

    fn next_entry(&mut self) -> io::Result<Option<MboxEntry>> {
        // Skip blank padding between messages.
        loop {
            let blank = self
                .buf
                .iter()
                .take_while(|b| matches!(b, b'\n' | b'\r'))
                .count();
            if blank > 0 {
                self.consume(blank);
            }
            if !self.buf.is_empty() {
                break;
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
        let Some(first_end) = self.line_end(0)? else {
            return Ok(None);
        };
        let first_line = trim_eol(&self.buf[..first_end]).to_vec();
        let mut envelope = parse_envelope(&first_line);
        if envelope.is_none() && self.minimal.as_deref() == Some(&first_line[..]) {
            envelope = Some(Envelope {
                sender: minimal_sender(&first_line),
                date: None,
                raw: first_line.clone(),
            });
        }
        if envelope.is_none()
            && !self.started
            && first_line.starts_with(b"From ")
            && first_line.len() < 1024
            && let Some(next_end) = self.line_end(first_end)?
            && is_header_line(&self.buf[first_end..next_end])
        {
            self.minimal = Some(first_line.clone());
            envelope = Some(Envelope {
                sender: minimal_sender(&first_line),
                date: None,
                raw: first_line.clone(),
            });
        }
        self.started = true;
        let data_start = if envelope.is_some() { first_end } else { 0 };
        let offset = self.base;
        let data_offset = self.base + data_start as u64;

        // mboxcl: trust Content-Length when it lands on a boundary.
        if envelope.is_some()
            && let Some((body_end, next)) = self.content_length_end(data_start)?
        {
            let data = self.buf[data_start..body_end].to_vec();
            self.consume(next);
            return Ok(Some(MboxEntry {
                offset,
                data_offset,
                length: data.len() as u64,
                envelope,
                data: Some(data),
            }));
        }

        let mut scan = data_start.saturating_sub(1);
        let mut dropped: u64 = 0; // bytes of an oversized message already discarded
        loop {
            self.scanned += (self.buf.len() - scan) as u64;
            match memchr::memmem::find(&self.buf[scan..], b"\nFrom ") {
                Some(p) => {
                    let line = scan + p + 1;
                    if line > data_start && self.boundary_at(line)? {
                        if dropped > 0 {
                            return Ok(Some(self.take_dropped(
                                offset,
                                data_offset,
                                data_start,
                                line,
                                dropped,
                                envelope,
                            )));
                        }
                        return Ok(Some(self.take(
                            offset,
                            data_offset,
                            data_start,
                            line,
                            envelope,
                        )));
                    }
                    scan = line;
                }
                None => {
                    let held = (self.buf.len() - data_start) as u64 + dropped;
                    if held > self.max_message {
                        // No boundary starts before the last few bytes (the search just said
                        // so): keep the last partial line if it is short, else only those
                        // bytes, so the buffer stays small and is not searched again. (Keeping
                        // a long line whole made every read re-search all of it.)
                        let keep_from = self.buf.len().saturating_sub(8).max(data_start);
                        let tail = keep_from.saturating_sub(64 * 1024).max(data_start);
                        self.scanned += (keep_from - tail) as u64;
                        let cut = memchr::memrchr(b'\n', &self.buf[tail..keep_from])
                            .map_or(keep_from, |p| tail + p);
                        dropped += (cut - data_start) as u64;
                        self.buf.drain(data_start..cut);
                        self.base += (cut - data_start) as u64;
                        scan = data_start;
                    } else {
                        scan = self
                            .buf
                            .len()
                            .saturating_sub(6)
                            .max(data_start.saturating_sub(1));
                    }
                    if !self.fill()? {
                        let end = self.buf.len();
                        if dropped > 0 {
                            return Ok(Some(self.take_dropped(
                                offset,
                                data_offset,
                                data_start,
                                end,
                                dropped,
                                envelope,
                            )));
                        }
                        return Ok(Some(self.take(
                            offset,
                            data_offset,
                            data_start,
                            end,
                            envelope,
                        )));
                    }
                }
            }
        }
    }

    /// If the header block of the message at `data_start` has a Content-Length that ends the
    /// body exactly at a boundary or at the end of the stream, returns the end of the body and
    /// the start of the next message.
    fn content_length_end(&mut self, data_start: usize) -> io::Result<Option<(usize, usize)>> {
        // Find the end of the header block.
        let (body_start, len) = loop {
            let hdr = &self.buf[data_start..];
            let blank = memchr::memmem::find(hdr, b"\n\n")
                .map(|p| p + 2)
                .into_iter()
                .chain(memchr::memmem::find(hdr, b"\n\r\n").map(|p| p + 3))
                .min();
            if let Some(b) = blank {
                let Some(len) = content_length(&hdr[..b]) else {
                    return Ok(None);
                };
                break (data_start + b, len);
            }
            if hdr.len() > MAX_HEADER_SCAN || !self.fill()? {
                return Ok(None);
            }
        };
        if len > self.max_message {
            return Ok(None);
        }
        let end = body_start + len as usize;
        while self.buf.len() < end + 8 && self.fill()? {}
        if end > self.buf.len() {
            return Ok(None);
        }
        // The body may be followed by the blank separator line.
        let mut next = end;
        for _ in 0..2 {
            if next == self.buf.len() && self.eof {
                return Ok(Some((end, next)));
            }
            if self.buf[next..].starts_with(b"From ") {
                return Ok(self.boundary_at(next)?.then_some((end, next)));
            }
            if self.buf[next..].starts_with(b"\r\n") {
                next += 2;
            } else if self.buf[next..].starts_with(b"\n") {
                next += 1;
            } else {
                return Ok(None);
            }
        }
        if next == self.buf.len() && self.eof {
            return Ok(Some((end, next)));
        }
        Ok(None)
    }

    fn consume(&mut self, n: usize) {
        self.buf.drain(..n);
        self.base += n as u64;
        // A large message left a large buffer behind: give the memory back.
        let want = self.buf.len().max(self.chunk) * 2;
        if self.buf.capacity() > (8 << 20).max(want * 2) {
            self.buf.shrink_to(want);
        }
    }

    /// The buffer's capacity (tests hold memory to the limit).
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    fn take(
        &mut self,
        offset: u64,
        data_offset: u64,
        data_start: usize,
        end: usize,
        envelope: Option<Envelope>,
    ) -> MboxEntry {
        let data_end = data_start + trimmed_len(&self.buf[data_start..end]);
        let data = self.buf[data_start..data_end].to_vec();
        let length = data.len() as u64;
        self.consume(end);
        MboxEntry {
            offset,
            data_offset,
            length,
            envelope,
            data: Some(data),
        }
    }

    fn take_dropped(
        &mut self,
        offset: u64,
        data_offset: u64,
        data_start: usize,
        end: usize,
        dropped: u64,
        envelope: Option<Envelope>,
    ) -> MboxEntry {
        let length = dropped + trimmed_len(&self.buf[data_start..end]) as u64;
        self.consume(end);
        MboxEntry {
            offset,
            data_offset,
            length,
            envelope,
            data: None,
        }
    }
}

impl<R: Read> Iterator for MboxReader<R> {
    type Item = io::Result<MboxEntry>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_entry().transpose()
    }
}

/// Length of a message without the one blank line that separates it from the next.
fn trimmed_len(d: &[u8]) -> usize {
    if d.ends_with(b"\r\n\r\n") {
        d.len() - 2
    } else if d.ends_with(b"\n\n") {
        d.len() - 1
    } else {
        d.len()
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn content_length(header: &[u8]) -> Option<u64> {
    for line in header.split(|&b| b == b'\n') {
        if line.len() > 15 && line[..15].eq_ignore_ascii_case(b"content-length:") {
            let v = std::str::from_utf8(&line[15..]).ok()?.trim();
            return v.parse().ok();
        }
    }
    None
}

fn minimal_sender(line: &[u8]) -> String {
    let rest = line.strip_prefix(b"From ").unwrap_or(line);
    crate::decode::bytes_to_str(rest)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_owned()
}

/// A header field line: a name of printable ASCII without `:` or spaces, then a colon.
pub fn is_header_line(line: &[u8]) -> bool {
    let name_len = line
        .iter()
        .take_while(|&&b| (33..=126).contains(&b) && b != b':')
        .count();
    if name_len == 0 || name_len > 76 {
        return false;
    }
    let rest = &line[name_len..];
    let rest = rest.iter().skip_while(|&&b| b == b' ' || b == b'\t');
    rest.clone().next() == Some(&b':')
}

/// Does this line match the whole envelope pattern?
pub fn is_envelope(line: &[u8]) -> bool {
    parse_envelope(trim_eol(line)).is_some()
}

/// Parses `From sender date`, where the date holds a month name, a time and a year.
pub fn parse_envelope(line: &[u8]) -> Option<Envelope> {
    let rest = line.strip_prefix(b"From ")?;
    if line.len() > 1024 {
        return None;
    }
    let text = crate::decode::bytes_to_str(rest);
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let (sender, date_tokens) = match tokens.as_slice() {
        [user, at, host, rest @ ..] if at.eq_ignore_ascii_case("at") && host.contains('.') => {
            (format!("{user}@{host}"), rest)
        }
        [sender, rest @ ..] => ((*sender).to_owned(), rest),
        [] => return None,
    };
    let has_time = date_tokens.iter().any(|t| {
        let mut parts = t.split(':');
        let h = parts.next().unwrap_or("");
        let m = parts.next().unwrap_or("");
        !h.is_empty()
            && h.len() <= 2
            && h.bytes().all(|b| b.is_ascii_digit())
            && m.len() == 2
            && m.bytes().all(|b| b.is_ascii_digit())
    });
    let has_year = date_tokens.iter().any(|t| {
        let t = t.trim_end_matches(',');
        t.len() == 4
            && (t.starts_with("19") || t.starts_with("20"))
            && t.bytes().all(|b| b.is_ascii_digit())
    });
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let has_month = date_tokens.iter().any(|t| {
        t.get(..3)
            .is_some_and(|p| MONTHS.iter().any(|m| p.eq_ignore_ascii_case(m)))
    });
    if !(has_time && has_year && has_month) {
        return None;
    }
    let date_text = date_tokens.join(" ");
    let date = parse_asctime(&date_text).or_else(|| parse_rfc5322(&date_text));
    Some(Envelope {
        sender,
        date,
        raw: line.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(data: &[u8], chunk: usize, max: u64) -> Vec<MboxEntry> {
        MboxReader::with_chunk(data, max, chunk)
            .collect::<io::Result<Vec<_>>>()
            .unwrap()
    }

    fn bodies(data: &[u8], chunk: usize) -> Vec<String> {
        split(data, chunk, u64::MAX)
            .into_iter()
            .map(|e| String::from_utf8(e.data.unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn envelope_patterns() {
        assert!(is_envelope(
            b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011\n"
        ));
        assert!(is_envelope(b"From - Thu Jan  1 00:00:00 1998"));
        assert!(is_envelope(
            b"From jnunez at defensa.gob.mx  Mon Jan  3 10:00:00 2005"
        ));
        assert!(is_envelope(b"From jp@x.mx Mon, 3 Jan 2005 10:00:00 -0600"));
        assert!(!is_envelope(
            b"From the meeting on Jan 3 at 10:00 we agreed"
        ));
        assert!(!is_envelope(b"From here on, nothing"));
        assert!(!is_envelope(b">From jp@x.mx Mon Jan  3 10:00:00 2005"));
        let e = parse_envelope(b"From jnunez at defensa.gob.mx  Mon Jan  3 10:00:00 2005").unwrap();
        assert_eq!(e.sender, "jnunez@defensa.gob.mx");
        assert_eq!(e.date.unwrap().timestamp(), 1104746400);
        // Non-ASCII envelope line (seen in perceval's test data).
        assert!(is_envelope(
            "From ñandú@x.mx Mon Jan  3 10:00:00 2005".as_bytes()
        ));
        // Found by fuzzing: multi-byte characters where a month name is looked for.
        assert!(!is_envelope("From x ÿÿÿ 10:00 2005Tue".as_bytes()));
        assert!(!is_envelope(b"From x \xff\xff\xff 10:00 2005"));
    }

    const PIPERMAIL: &str = "From jnunez at defensa.gob.mx  Mon Jan  3 10:00:00 2005\n\
From: jnunez at defensa.gob.mx (Jose Nunez)\n\
Subject: uno\n\
\n\
Texto.\n\
From the minutes of Mon Jan  3 10:00:00 2005 we learn\n\
From jp at x.mx Mon Jan  3 10:00:00 2005\n\
that this is not a separator since no header follows.\n\
\n\
From ana at x.mx  Tue Jan  4 11:00:00 2005\n\
From: ana at x.mx (Ana)\n\
Subject: dos\n\
\n\
Otro.\n";

    #[test]
    fn pipermail_is_not_oversplit() {
        for chunk in [16, 17, 64, 1 << 20] {
            let b = bodies(PIPERMAIL.as_bytes(), chunk);
            assert_eq!(b.len(), 2, "chunk {chunk}: {b:?}");
            assert!(b[0].contains("From the minutes"));
            assert!(b[0].ends_with("no header follows.\n"));
            assert!(b[1].starts_with("From: ana at x.mx"));
        }
    }

    #[test]
    fn offsets_are_exact() {
        let data = PIPERMAIL.as_bytes();
        for e in split(data, 32, u64::MAX) {
            let d = e.data.clone().unwrap();
            assert_eq!(
                &data[e.data_offset as usize..(e.data_offset + e.length) as usize],
                &d[..]
            );
            assert!(data[e.offset as usize..].starts_with(b"From "));
        }
    }

    #[test]
    fn content_length_protects_bodies() {
        let body = "a\nFrom x@y.mx Mon Jan  3 10:00:00 2005\nSubject: fake\n\nb\n";
        let data = format!(
            "From a@b.c Mon Jan  3 10:00:00 2005\nSubject: real\nContent-Length: {}\n\n{}\nFrom c@d.e Tue Jan  4 10:00:00 2005\nSubject: next\n\nz\n",
            body.len(),
            body
        );
        let b = bodies(data.as_bytes(), 19);
        assert_eq!(b.len(), 2, "{b:?}");
        assert!(b[0].contains("Subject: fake"));
        // A wrong Content-Length is ignored and the pattern decides.
        let data = data.replace(
            &format!("Content-Length: {}", body.len()),
            "Content-Length: 3",
        );
        assert_eq!(bodies(data.as_bytes(), 19).len(), 3);
    }

    #[test]
    fn crlf_and_preamble() {
        let data = b"junk before\r\n\r\nFrom a@b.c Mon Jan  3 10:00:00 2005\r\nSubject: x\r\n\r\nhi\r\n\r\nFrom a@b.c Mon Jan  3 10:00:00 2005\r\nSubject: y\r\n\r\nho\r\n";
        let e = split(data, 16, u64::MAX);
        assert_eq!(e.len(), 3);
        assert!(e[0].envelope.is_none());
        assert_eq!(e[1].data.as_deref().unwrap(), b"Subject: x\r\n\r\nhi\r\n");
        assert_eq!(e[2].data.as_deref().unwrap(), b"Subject: y\r\n\r\nho\r\n");
    }

    #[test]
    fn oversize_is_measured_not_buffered() {
        let big = "x".repeat(10_000);
        let data = format!(
            "From a@b.c Mon Jan  3 10:00:00 2005\nSubject: big\n\n{big}\n\nFrom a@b.c Mon Jan  3 10:00:00 2005\nSubject: small\n\nok\n"
        );
        let e = split(data.as_bytes(), 256, 1000);
        assert_eq!(e.len(), 2);
        assert!(e[0].data.is_none());
        assert_eq!(
            e[0].length as usize,
            "Subject: big\n\n".len() + big.len() + 1
        );
        assert_eq!(
            e[0].data_offset as usize,
            data.find("Subject: big").unwrap()
        );
        assert_eq!(e[1].data.as_deref().unwrap(), b"Subject: small\n\nok\n");
        assert_eq!(
            e[1].data_offset as usize,
            data.find("Subject: small").unwrap()
        );
    }

    /// A message far over the limit with no line break in its body (a raw binary part):
    /// measured exactly, with each byte searched about once and the buffer kept near the limit.
    /// (The last partial line used to be kept whole: every read searched all of it again.)
    #[test]
    fn oversize_without_line_breaks_is_linear() {
        let mut data = b"From a@b.c Mon Jan  3 10:00:00 2005\nSubject: big\n\n".to_vec();
        let body_at = data.len();
        data.extend(std::iter::repeat_n(0u8, 8 << 20));
        data.extend(b"\n\nFrom a@b.c Mon Jan  3 10:00:00 2005\nSubject: small\n\nok\n");
        for chunk in [4096, 1 << 20] {
            let mut r = MboxReader::with_chunk(&data[..], 256 << 10, chunk);
            let e: Vec<MboxEntry> = r.by_ref().map(Result::unwrap).collect();
            assert_eq!(e.len(), 2);
            assert!(e[0].data.is_none());
            assert_eq!(
                e[0].length as usize,
                "Subject: big\n\n".len() + (8 << 20) + 1
            );
            assert_eq!(
                e[0].data_offset as usize,
                body_at - "Subject: big\n\n".len()
            );
            assert_eq!(e[1].data.as_deref().unwrap(), b"Subject: small\n\nok\n");
            assert!(
                r.bytes_scanned() < 3 * data.len() as u64,
                "{} bytes searched for {}",
                r.bytes_scanned(),
                data.len()
            );
            assert!(r.buffer_capacity() < 8 << 20, "{}", r.buffer_capacity());
        }
    }

    #[test]
    fn minimal_envelopes_repeat() {
        // gmime writes `From - ` with no date: the first line teaches the separator.
        let data = b"From - \nFrom: a@b.c\nSubject: 1\n\nFrom here on, body.\n\nFrom - \nFrom: a@b.c\nSubject: 2\n\nz\n";
        let e = split(data, 16, u64::MAX);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].envelope.as_ref().unwrap().sender, "-");
        assert!(String::from_utf8_lossy(e[0].data.as_ref().unwrap()).contains("From here on"));
        // A different minimal line later on is body text.
        let data = b"From - \nSubject: 1\n\nFrom x\nSubject: not a separator\n";
        assert_eq!(split(data, 16, u64::MAX).len(), 1);
    }

    #[test]
    fn empty_and_garbage() {
        assert!(split(b"", 16, 100).is_empty());
        assert!(split(b"\n\n\n", 16, 100).is_empty());
        let e = split(b"From \n", 16, 100);
        assert_eq!(e.len(), 1);
    }
}
