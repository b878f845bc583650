//! End-to-end checks of a generated corpus against its manifest and a real MIME parser.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};
use trove_synth::{
    Layout, Location, Manifest, MessageRecord, SynthConfig, SynthError, generate, read_messages,
};

/// One shared corpus per test binary (kept under the target directory, rebuilt each run).
fn corpus() -> &'static (PathBuf, Manifest, Vec<MessageRecord>) {
    static C: OnceLock<(PathBuf, Manifest, Vec<MessageRecord>)> = OnceLock::new();
    C.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("trove-synth-corpus");
        let _ = fs::remove_dir_all(&dir);
        let cfg = SynthConfig {
            seed: 42,
            messages: 3000,
            ..Default::default()
        };
        let m = generate(&cfg, &dir).expect("generate");
        let recs = read_messages(&dir).expect("read messages");
        (dir, m, recs)
    })
}

fn walk(root: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn tree_hash(root: &Path) -> String {
    let mut files = Vec::new();
    walk(root, &mut files);
    let mut h = Sha256::new();
    for f in files {
        let rel = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let data = fs::read(&f).unwrap();
        h.update(rel.as_bytes());
        h.update([0]);
        h.update((data.len() as u64).to_le_bytes());
        h.update(&data);
    }
    hex::encode(h.finalize())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Unescape an mboxrd message body and drop its envelope line.
fn mbox_message(file: &[u8], offset: usize, next: Option<usize>) -> Vec<u8> {
    let end = next.unwrap_or(file.len());
    let chunk = &file[offset..end];
    let first_nl = chunk.iter().position(|&b| b == b'\n').unwrap() + 1;
    assert!(chunk.starts_with(b"From "), "envelope at offset {offset}");
    let mut body = &chunk[first_nl..];
    // strip the separating blank line
    if body.ends_with(b"\r\n\r\n") {
        body = &body[..body.len() - 2];
    } else if body.ends_with(b"\n\n") {
        body = &body[..body.len() - 1];
    }
    let mut out = Vec::with_capacity(body.len());
    for line in body.split_inclusive(|&b| b == b'\n') {
        let gt = line.iter().take_while(|&&b| b == b'>').count();
        if gt > 0 && line[gt..].starts_with(b"From ") {
            out.extend_from_slice(&line[1..]);
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

fn zip_member(path: &Path, member: &str, inner: Option<&str>) -> Vec<u8> {
    let mut za = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    let mut buf = Vec::new();
    za.by_name(member).unwrap().read_to_end(&mut buf).unwrap();
    match inner {
        None => buf,
        Some(inner) => {
            let mut nz = zip::ZipArchive::new(Cursor::new(buf)).unwrap();
            let mut b2 = Vec::new();
            nz.by_name(inner).unwrap().read_to_end(&mut b2).unwrap();
            b2
        }
    }
}

/// All copies of all messages: (record index, location, bytes).
fn all_copies() -> &'static Vec<(usize, Location, Vec<u8>)> {
    static A: OnceLock<Vec<(usize, Location, Vec<u8>)>> = OnceLock::new();
    A.get_or_init(|| {
        let (dir, _, recs) = corpus();
        // mbox offsets per file, to know where each message ends
        let mut mbox_offsets: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for r in recs {
            for l in &r.locations {
                if let Some(o) = l.offset {
                    mbox_offsets
                        .entry(l.path.clone())
                        .or_default()
                        .push(o as usize);
                }
            }
        }
        for v in mbox_offsets.values_mut() {
            v.sort_unstable();
        }
        let mut mbox_cache: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut out = Vec::new();
        for (i, r) in recs.iter().enumerate() {
            for l in &r.locations {
                let p = dir.join(&l.path);
                let data = if let Some(off) = l.offset {
                    let file = mbox_cache
                        .entry(l.path.clone())
                        .or_insert_with(|| fs::read(&p).unwrap());
                    let offs = &mbox_offsets[&l.path];
                    let k = offs.binary_search(&(off as usize)).unwrap();
                    mbox_message(file, off as usize, offs.get(k + 1).copied())
                } else if let Some(m) = &l.member {
                    zip_member(&p, m, l.inner.as_deref())
                } else {
                    fs::read(&p).unwrap()
                };
                out.push((i, l.clone(), data));
            }
        }
        out
    })
}

#[test]
fn determinism_same_seed_same_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path();
    let cfg = SynthConfig {
        seed: 7,
        messages: 700,
        ..Default::default()
    };
    let a = base.join("a");
    let b = base.join("b");
    let c = base.join("c");
    let ma = generate(&cfg, &a).unwrap();
    // a different degree of parallelism must not change a byte
    let mb = trove_synth::generate_with_workers(&cfg, &b, 5).unwrap();
    assert_eq!(ma, mb);
    let ha = tree_hash(&a);
    assert_eq!(
        ha,
        tree_hash(&b),
        "same seed must give a byte-identical tree"
    );
    let cfg2 = SynthConfig { seed: 8, ..cfg };
    generate(&cfg2, &c).unwrap();
    assert_ne!(ha, tree_hash(&c), "different seed must differ");
}

#[test]
fn manifest_counts_match_disk() {
    let (dir, m, recs) = corpus();
    assert_eq!(m.logical_messages, 3000);
    assert_eq!(recs.len(), 3000);
    assert_eq!(m.config.messages, 3000);

    let mut files = Vec::new();
    walk(dir, &mut files);
    let mut per_layout: BTreeMap<String, (u64, u64, u64)> = BTreeMap::new(); // files, bytes, copies
    for f in &files {
        let rel = f
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "manifest.json" || rel == "manifest-messages.jsonl" {
            continue;
        }
        let layout = rel.split('/').next().unwrap().to_string();
        let data = fs::read(f).unwrap();
        let e = per_layout.entry(layout.clone()).or_default();
        e.0 += 1;
        e.1 += data.len() as u64;
        match layout.as_str() {
            "eml" => {
                assert!(rel.ends_with(".eml"));
                e.2 += 1;
            }
            "maildir" => {
                if !rel.ends_with("/maildirfolder") {
                    assert!(rel.contains("/cur/") || rel.contains("/new/"), "{rel}");
                    e.2 += 1;
                }
            }
            "mbox" => {
                assert!(rel.ends_with(".mbox"));
                let mut n = 0;
                let mut prev_blank = true;
                for line in data.split(|&b| b == b'\n') {
                    if prev_blank && line.starts_with(b"From ") {
                        n += 1;
                    }
                    prev_blank = line.is_empty() || line == b"\r";
                }
                // every "From " line at all must be an envelope (mboxrd escaping)
                let all = data
                    .split(|&b| b == b'\n')
                    .filter(|l| l.starts_with(b"From "))
                    .count();
                assert_eq!(n, all, "unescaped From line in {rel}");
                e.2 += n as u64;
            }
            "zip" => {
                let mut za = zip::ZipArchive::new(Cursor::new(&data)).unwrap();
                for i in 0..za.len() {
                    let mut f = za.by_index(i).unwrap();
                    let name = f.name().unwrap().into_owned();
                    if name == "respaldo.zip" {
                        let mut buf = Vec::new();
                        f.read_to_end(&mut buf).unwrap();
                        let nz = zip::ZipArchive::new(Cursor::new(buf)).unwrap();
                        assert!(nz.file_names().all(|n| n.unwrap().ends_with(".eml")));
                        e.2 += nz.len() as u64;
                    } else {
                        assert!(name.ends_with(".eml"), "{name}");
                        e.2 += 1;
                    }
                }
            }
            other => panic!("unexpected top-level entry {other}"),
        }
    }
    let mut total_files = 0;
    let mut total_bytes = 0;
    let mut total_copies = 0;
    for layout in Layout::ALL {
        let key = layout.to_string();
        let disk = per_layout.get(&key).copied().unwrap_or_default();
        let st = &m.layouts[&key];
        assert_eq!(st.files, disk.0, "{key} files");
        assert_eq!(st.bytes, disk.1, "{key} bytes");
        assert_eq!(st.copies, disk.2, "{key} copies");
        assert!(st.copies > 0, "{key} has no copies");
        total_files += disk.0;
        total_bytes += disk.1;
        total_copies += disk.2;
    }
    assert_eq!(m.files, total_files);
    assert_eq!(m.bytes, total_bytes);
    assert_eq!(m.copies, total_copies);
    assert_eq!(recs.iter().map(|r| r.copies as u64).sum::<u64>(), m.copies);
    assert!(
        recs.iter()
            .all(|r| r.copies >= 1 && r.copies as usize == r.locations.len())
    );
    assert!(
        m.copies > m.logical_messages,
        "messages should be stored in several mailboxes"
    );
    assert_eq!(
        m.attachments,
        recs.iter().map(|r| r.attachments.len() as u64).sum::<u64>()
    );
    assert_eq!(
        m.nested_zips,
        m.nested_zip_detail.respaldo
            + m.nested_zip_detail.zip_attachments
            + m.nested_zip_detail.zip_in_zip
    );
    assert!(m.nested_zip_detail.respaldo > 0 && m.nested_zip_detail.zip_attachments > 0);
    assert_eq!(
        m.threads,
        recs.iter().map(|r| r.thread).collect::<BTreeSet<_>>().len() as u64
    );
    assert_eq!(
        m.raw_8bit_header_messages,
        recs.iter().filter(|r| r.raw_8bit).count() as u64
    );
    let ids: BTreeSet<&str> = recs.iter().map(|r| r.message_id.as_str()).collect();
    assert_eq!(ids.len(), recs.len(), "Message-IDs are unique");
    // ~5% English, a few % raw 8-bit headers
    assert!(
        (60..=300).contains(&m.english_messages),
        "english {}",
        m.english_messages
    );
    assert!(
        m.raw_8bit_header_messages >= 60,
        "raw {}",
        m.raw_8bit_header_messages
    );
    // mbox locations point at envelope lines
    for r in recs {
        for l in &r.locations {
            if let Some(off) = l.offset {
                let data = fs::read(dir.join(&l.path)).unwrap();
                assert!(data[off as usize..].starts_with(b"From "));
            }
        }
    }
}

#[test]
fn every_copy_parses_and_copies_agree() {
    let (_, _, recs) = corpus();
    let copies = all_copies();
    let parser = MessageParser::default();
    let mut seen: BTreeMap<usize, (String, i64)> = BTreeMap::new();
    for (i, loc, data) in copies {
        let r = &recs[*i];
        let msg = parser
            .parse(data)
            .unwrap_or_else(|| panic!("{} does not parse", loc.path));
        assert!(
            msg.from()
                .and_then(|f| f.first())
                .and_then(|a| a.address())
                .is_some(),
            "From in {}",
            loc.path
        );
        let date = msg.date().unwrap_or_else(|| panic!("Date in {}", loc.path));
        assert_eq!(date.to_timestamp(), r.unix, "date of {}", loc.path);
        assert_eq!(
            Some(r.message_id.trim_matches(['<', '>'])),
            msg.message_id(),
            "Message-ID of {}",
            loc.path
        );
        let subject = msg
            .subject()
            .unwrap_or_else(|| panic!("Subject in {}", loc.path))
            .to_string();
        // Raw 8-bit and mid-character split words are decoded lossily by design.
        if !r.raw_8bit && !r.split_encoded_word {
            assert_eq!(subject, r.subject, "decoded subject of {}", loc.path);
        }
        match seen.get(i) {
            None => {
                seen.insert(*i, (subject, date.to_timestamp()));
            }
            Some((s, d)) => {
                assert_eq!(s, &subject, "copies disagree on subject: {}", loc.path);
                assert_eq!(*d, date.to_timestamp());
            }
        }
        // Bcc only in the sender's copy.
        let has_bcc = find(&data[..data.len().min(4096)], b"\nBcc: ").is_some();
        if has_bcc {
            assert_eq!(loc.folder, "Enviados", "Bcc leaked into {}", loc.path);
        }
    }
    assert_eq!(seen.len(), recs.len());
    // Copies of one message differ in bytes (delivery headers, line ends) but not in content.
    let mut multi = 0;
    let mut by_msg: BTreeMap<usize, Vec<&Vec<u8>>> = BTreeMap::new();
    for (i, _, d) in copies {
        by_msg.entry(*i).or_default().push(d);
    }
    for v in by_msg.values().filter(|v| v.len() > 1) {
        multi += 1;
        assert!(v.windows(2).any(|w| w[0] != w[1]));
    }
    assert!(multi > 100);
}

fn encoded_words(line: &str) -> Vec<(String, String, String)> {
    // (charset, mode, payload)
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("=?") {
        let after = &rest[start + 2..];
        let mut parts = after.splitn(3, '?');
        let (Some(cs), Some(mode), Some(tail)) = (parts.next(), parts.next(), parts.next()) else {
            break;
        };
        let Some(end) = tail.find("?=") else { break };
        out.push((
            cs.to_ascii_lowercase(),
            mode.to_ascii_uppercase(),
            tail[..end].to_string(),
        ));
        rest = &tail[end + 2..];
    }
    out
}

fn decode_word(mode: &str, payload: &str) -> Vec<u8> {
    use base64::Engine;
    if mode == "B" {
        base64::engine::general_purpose::STANDARD
            .decode(payload)
            .unwrap()
    } else {
        let b = payload.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'_' => out.push(b' '),
                b'=' if i + 2 < b.len() => {
                    out.push(u8::from_str_radix(&payload[i + 1..i + 3], 16).unwrap());
                    i += 2;
                }
                c => out.push(c),
            }
            i += 1;
        }
        out
    }
}

/// The unfolded Subject header of a raw message.
fn raw_header(data: &[u8], name: &[u8]) -> Option<Vec<u8>> {
    let head_end = find(data, b"\r\n\r\n")
        .or_else(|| find(data, b"\n\n"))
        .unwrap_or(data.len());
    let head = &data[..head_end];
    let mut value: Option<Vec<u8>> = None;
    for line in head.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(v) = value.as_mut() {
            if line.starts_with(b" ") || line.starts_with(b"\t") {
                v.extend_from_slice(line);
                continue;
            }
            return value;
        }
        if line.len() > name.len()
            && line[..name.len()].eq_ignore_ascii_case(name)
            && line[name.len()] == b':'
        {
            value = Some(line[name.len() + 1..].to_vec());
        }
    }
    value
}

#[test]
fn encoding_oddities_are_present() {
    let (_, m, recs) = corpus();
    let copies = all_copies();
    let mut raw_subject = 0;
    let mut split_word = 0;
    let mut crlf = 0;
    let mut lf = 0;
    let mut meta_only_html = 0;
    let mut body_charsets: BTreeSet<String> = BTreeSet::new();
    let mut ew_modes: BTreeSet<String> = BTreeSet::new();
    for (i, _, data) in copies {
        let r = &recs[*i];
        let subj = raw_header(data, b"Subject").unwrap();
        if subj.iter().any(|&b| b >= 0x80) && std::str::from_utf8(&subj).is_err() {
            raw_subject += 1;
            assert!(r.raw_8bit);
        }
        let s = String::from_utf8_lossy(&subj).to_string();
        let words = encoded_words(&s);
        for (_, mode, _) in &words {
            ew_modes.insert(mode.clone());
        }
        let utf8_words: Vec<Vec<u8>> = words
            .iter()
            .filter(|w| w.0 == "utf-8")
            .map(|w| decode_word(&w.1, &w.2))
            .collect();
        if utf8_words.len() >= 2
            && utf8_words.iter().any(|w| std::str::from_utf8(w).is_err())
            && std::str::from_utf8(&utf8_words.concat()).is_ok()
        {
            split_word += 1;
            assert!(
                r.split_encoded_word,
                "split word not recorded for {}",
                r.message_id
            );
        }
        if find(data, b"\r\n").is_some() {
            crlf += 1;
        } else {
            lf += 1;
        }
        if r.structure.starts_with("html-only") {
            let head_end = find(data, b"\n\n").unwrap_or(0);
            if find(data, b"Content-Type: text/html\n")
                .or_else(|| find(data, b"Content-Type: text/html\r\n"))
                .is_some()
                && find(
                    &data[head_end..],
                    b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=",
                )
                .is_some()
            {
                meta_only_html += 1;
            }
        }
        for cs in ["iso-8859-1", "windows-1252", "utf-8"] {
            if find(data, format!("charset=\"{cs}\"").as_bytes()).is_some()
                || find(data, format!("charset={cs}").as_bytes()).is_some()
            {
                body_charsets.insert(cs.to_string());
            }
        }
    }
    assert!(raw_subject > 0, "no raw 8-bit subject");
    assert!(split_word > 0, "no RFC 2047 word split mid-character");
    assert!(m.split_encoded_word_messages > 0);
    assert!(crlf > 0 && lf > 0, "crlf {crlf} lf {lf}");
    assert!(
        meta_only_html > 0,
        "no HTML-only part with charset only in <meta>"
    );
    assert_eq!(body_charsets.len(), 3, "{body_charsets:?}");
    assert!(ew_modes.contains("Q") && ew_modes.contains("B"));
    for cs in ["iso-8859-1", "windows-1252", "utf-8"] {
        assert!(m.charsets[cs] > 100, "{cs}");
    }
    for cte in ["quoted-printable", "base64", "8bit"] {
        assert!(m.transfer_encodings[cte] > 100, "{cte}");
    }
    // windows-1252-only characters occur in some windows-1252 bodies
    let parser = MessageParser::default();
    let mut cp1252_specials = 0;
    for (i, _, data) in copies.iter().take(4000) {
        if recs[*i].charset == "windows-1252"
            && let Some(t) = parser
                .parse(data)
                .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
            && t.contains(['“', '”', '–', '€', '…'])
        {
            cp1252_specials += 1;
        }
    }
    assert!(cp1252_specials > 0);
}

fn check_pdf(pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF-1.4"));
    let sx = pdf.windows(9).rposition(|w| w == b"startxref").unwrap();
    let tail = std::str::from_utf8(&pdf[sx + 10..]).unwrap();
    let xref: usize = tail.lines().next().unwrap().trim().parse().unwrap();
    assert!(pdf[xref..].starts_with(b"xref"));
    let table = std::str::from_utf8(&pdf[xref..sx]).unwrap();
    let mut n = 0;
    for (i, line) in table
        .lines()
        .skip(3)
        .take_while(|l| l.trim_end().ends_with(" n"))
        .enumerate()
    {
        let off: usize = line[..10].parse().unwrap();
        let want = format!("{} 0 obj", i + 1);
        assert!(
            pdf[off..].starts_with(want.as_bytes()),
            "xref entry {} -> {off}",
            i + 1
        );
        n += 1;
    }
    assert!(n >= 7);
    assert!(
        find(pdf, b"/BaseFont /Helvetica").is_some() && find(pdf, b"/WinAnsiEncoding").is_some()
    );
    assert!(pdf.ends_with(b"%%EOF\n"));
}

fn zip_text(data: &[u8], name: &str) -> String {
    let mut za = zip::ZipArchive::new(Cursor::new(data)).unwrap();
    assert!(za.by_name("[Content_Types].xml").is_ok());
    assert!(za.by_name("_rels/.rels").is_ok());
    let mut s = String::new();
    za.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn attachments_are_valid_files() {
    let (_, _, recs) = corpus();
    let copies = all_copies();
    let parser = MessageParser::default();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut done: BTreeSet<usize> = BTreeSet::new();
    let mut accented_names = 0;
    for (i, loc, data) in copies {
        let r = &recs[*i];
        if r.attachments.is_empty() || !done.insert(*i) {
            continue;
        }
        let msg = parser.parse(data).unwrap();
        assert_eq!(
            msg.attachment_count(),
            r.attachments.len(),
            "attachment count of {}",
            loc.path
        );
        for (k, want) in r.attachments.iter().enumerate() {
            let part = msg.attachment(k as u32).unwrap();
            if !r.raw_8bit {
                assert_eq!(
                    part.attachment_name(),
                    Some(want.filename.as_str()),
                    "filename in {}",
                    loc.path
                );
                if !want.filename.is_ascii() {
                    accented_names += 1;
                }
            }
            if want.kind == "rfc822" {
                assert!(part.message().is_some(), "rfc822 attachment is a message");
                *kinds.entry(want.kind.clone()).or_default() += 1;
                continue;
            }
            let body = part.contents();
            assert_eq!(body.len() as u64, want.size);
            assert_eq!(hex::encode(Sha256::digest(body)), want.sha256);
            match want.kind.as_str() {
                "pdf" => check_pdf(body),
                "docx" => {
                    let doc = zip_text(body, "word/document.xml");
                    assert!(
                        doc.contains("<w:document")
                            && (doc.contains("SECRETARÍA DE LA DEFENSA NACIONAL")
                                || r.lang == "en")
                    );
                }
                "xlsx" => {
                    let sheet = zip_text(body, "xl/worksheets/sheet1.xml");
                    assert!(
                        ["Concepto", "Estado", "Unidad", "Description"]
                            .iter()
                            .any(|w| sheet.contains(w)),
                        "{sheet}"
                    );
                    assert!(sheet.contains("t=\"inlineStr\""));
                    zip_text(body, "xl/workbook.xml");
                }
                "jpeg" => {
                    assert_eq!(&body[..3], &[0xFF, 0xD8, 0xFF]);
                    assert_eq!(&body[body.len() - 2..], &[0xFF, 0xD9]);
                    assert!(find(body, b"Exif\0\0").is_some());
                }
                "zip" => {
                    let mut za = zip::ZipArchive::new(Cursor::new(body)).unwrap();
                    let names: Vec<String> =
                        za.file_names().map(|n| n.unwrap().into_owned()).collect();
                    assert!(
                        names.iter().any(|n| n.ends_with(".docx"))
                            && names.iter().any(|n| n.ends_with(".pdf")),
                        "{names:?}"
                    );
                    let mut pdf = Vec::new();
                    za.by_name("Anexo técnico.pdf")
                        .unwrap()
                        .read_to_end(&mut pdf)
                        .unwrap();
                    check_pdf(&pdf);
                }
                other => panic!("unexpected kind {other}"),
            }
            *kinds.entry(want.kind.clone()).or_default() += 1;
        }
    }
    for k in ["pdf", "docx", "xlsx", "jpeg", "zip", "rfc822"] {
        assert!(
            kinds.get(k).copied().unwrap_or(0) > 0,
            "no {k} attachment checked: {kinds:?}"
        );
    }
    assert!(accented_names > 10);
}

#[test]
fn threads_are_consistent() {
    let (_, m, recs) = corpus();
    let by_id: BTreeMap<&str, &MessageRecord> =
        recs.iter().map(|r| (r.message_id.as_str(), r)).collect();
    let mut last_in_thread: BTreeMap<u64, i64> = BTreeMap::new();
    let (mut replies, mut poor) = (0, 0);
    for r in recs {
        if let Some(prev) = last_in_thread.insert(r.thread, r.unix) {
            assert!(r.unix > prev, "dates are monotonic within a thread");
        }
        match r.kind.as_str() {
            "new" => assert!(r.in_reply_to.is_none()),
            _ => {
                replies += 1;
                match &r.in_reply_to {
                    Some(p) => {
                        let parent = by_id[p.as_str()];
                        assert_eq!(parent.thread, r.thread);
                        assert!(parent.unix < r.unix);
                        let norm = |s: &str| {
                            s.trim_start_matches(|c: char| {
                                c.is_ascii_alphabetic() || c == ':' || c == ' '
                            })
                            .to_string()
                        };
                        assert!(
                            r.subject.ends_with(&norm(&parent.subject))
                                || r.subject.contains(&parent.subject)
                        );
                    }
                    None => {
                        assert!(r.header_poor);
                        poor += 1;
                    }
                }
                assert!(
                    ["RE:", "Re:", "RV:", "FW:", "Fwd:"]
                        .iter()
                        .any(|p| r.subject.starts_with(p)),
                    "{}",
                    r.subject
                );
            }
        }
    }
    assert_eq!(poor, m.header_poor_replies);
    assert_eq!(replies, m.replies + m.forwards);
    let share = poor as f64 / replies as f64;
    assert!((0.05..0.16).contains(&share), "header-poor share {share}");
    assert!(recs.iter().any(|r| r.subject.starts_with("RV: RE:")));
    // In-Reply-To/References headers are present on the wire for threaded replies.
    let copies = all_copies();
    let parser = MessageParser::default();
    for (i, loc, data) in copies.iter().take(2000) {
        let r = &recs[*i];
        let msg = parser.parse(data).unwrap();
        if let Some(p) = &r.in_reply_to {
            assert_eq!(
                msg.in_reply_to().as_text(),
                Some(p.trim_matches(['<', '>'])),
                "In-Reply-To of {}",
                loc.path
            );
            assert!(find(data, b"References: ").is_some());
        } else {
            assert!(msg.in_reply_to().is_empty());
        }
    }
}

#[test]
fn layouts_look_like_their_formats() {
    let (dir, m, recs) = corpus();
    let locs: Vec<&Location> = recs.iter().flat_map(|r| r.locations.iter()).collect();
    assert!(
        locs.iter()
            .any(|l| l.path.starts_with("eml/") && l.path.contains("/Bandeja de entrada/"))
    );
    assert!(
        locs.iter()
            .any(|l| l.path.starts_with("eml/") && l.path.contains("/Enviados/"))
    );
    assert!(
        locs.iter()
            .any(|l| l.path.starts_with("maildir/") && l.path.contains("/.Enviados/cur/"))
    );
    assert!(
        locs.iter()
            .any(|l| l.path.starts_with("maildir/") && l.path.contains("/new/"))
    );
    assert!(locs.iter().any(|l| l.folder.starts_with("Archivo/")));
    let flags: BTreeSet<&str> = locs
        .iter()
        .filter(|l| l.path.contains("/cur/"))
        .filter_map(|l| l.path.rsplit(":2,").next())
        .collect();
    for f in ["S", "RS", "FS", ""] {
        assert!(flags.contains(f), "maildir flag {f:?} missing: {flags:?}");
    }
    assert!(
        locs.iter()
            .any(|l| l.member.as_deref() == Some("respaldo.zip"))
    );
    assert!(locs.iter().any(|l| l.path.ends_with("Enviados.mbox")));
    // Every custodian with copies has a mailbox root on disk in its layout.
    for c in &m.custodians {
        if c.copies > 0 {
            assert!(dir.join(&c.root).exists(), "{}", c.root);
        }
    }
    // mbox envelopes look like `From addr Mon Jan  3 10:00:00 2011`.
    let mbox = locs.iter().find(|l| l.offset.is_some()).unwrap();
    let data = fs::read(dir.join(&mbox.path)).unwrap();
    let line = data.split(|&b| b == b'\n').next().unwrap();
    let line = String::from_utf8_lossy(line);
    let parts: Vec<&str> = line.trim_end().split(' ').collect();
    assert_eq!(parts[0], "From");
    assert!(parts[1].contains('@'));
    assert!(line.trim_end().ends_with(|c: char| c.is_ascii_digit()));
}

#[test]
fn vocabulary_is_rich_and_spanish() {
    let (_, _, recs) = corpus();
    let copies = all_copies();
    let parser = MessageParser::default();
    let mut words: BTreeMap<String, usize> = BTreeMap::new();
    let mut done = BTreeSet::new();
    for (i, _, data) in copies {
        if !done.insert(*i) {
            continue;
        }
        let msg = parser.parse(data).unwrap();
        if let Some(t) = msg.body_text(0) {
            for w in t
                .split(|c: char| !c.is_alphabetic())
                .filter(|w| w.len() > 1)
            {
                *words.entry(w.to_lowercase()).or_default() += 1;
            }
        }
    }
    assert!(words.len() > 2500, "only {} distinct words", words.len());
    for w in [
        "adquisición",
        "contrato",
        "información",
        "oficio",
        "presente",
        "vehículos",
        "saludo",
    ] {
        assert!(words.contains_key(w), "missing {w}");
    }
    // inflected forms
    assert!(words.contains_key("adquisiciones") && words.contains_key("contratos"));
    // Zipf-ish: the most frequent word is far more frequent than the median one
    let mut freq: Vec<usize> = words.values().copied().collect();
    freq.sort_unstable_by(|a, b| b.cmp(a));
    assert!(freq[0] > 50 * freq[freq.len() / 2]);
    assert!(recs.iter().any(|r| r.lang == "en"));
}

#[test]
fn config_api() {
    for l in Layout::ALL {
        assert_eq!(l.to_string().parse::<Layout>().unwrap(), l);
    }
    assert!("MBOX".parse::<Layout>().is_ok());
    assert!(matches!(
        "pst".parse::<Layout>(),
        Err(SynthError::UnknownLayout(_))
    ));
    let d = SynthConfig::default();
    assert_eq!(
        (d.seed, d.messages, d.layouts.len(), d.attachments),
        (1, 1000, 4, true)
    );

    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path();
    let cfg = SynthConfig {
        layouts: vec![],
        ..Default::default()
    };
    assert!(matches!(
        generate(&cfg, &base.join("x")),
        Err(SynthError::Config(_))
    ));

    let only_mbox = SynthConfig {
        seed: 3,
        messages: 150,
        layouts: vec![Layout::Mbox],
        attachments: false,
    };
    let out = base.join("mbox-only");
    let m = generate(&only_mbox, &out).unwrap();
    assert_eq!(m.attachments, 0);
    assert_eq!(m.layouts["mbox"].copies, m.copies);
    let top: BTreeSet<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        top,
        BTreeSet::from([
            "mbox".to_string(),
            "manifest.json".to_string(),
            "manifest-messages.jsonl".to_string()
        ])
    );
    assert_eq!(Manifest::load(&out).unwrap(), m);
    // refuses to overwrite
    assert!(matches!(
        generate(&only_mbox, &out),
        Err(SynthError::OutputNotEmpty(_))
    ));
}
