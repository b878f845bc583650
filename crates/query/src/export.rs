//! Exporting every result, however many, with constant memory: JSON lines, CSV with
//! provenance columns, the original messages as an mbox, or a zip of EML files with a
//! manifest.

use std::io::Write;

use serde::Serialize;

use crate::SearchError;
use crate::search::{Hit, Location, Searchable};

/// What an export writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
    Mbox,
    Zip,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "jsonl" | "json" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            "mbox" => Ok(Format::Mbox),
            "zip" | "eml" => Ok(Format::Zip),
            other => Err(format!(
                "unknown export format '{other}' (jsonl, csv, mbox, zip)"
            )),
        }
    }
}

/// What was exported.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportStats {
    pub hits: u64,
    pub rows: u64,
    pub bytes: u64,
}

/// One exported row: a message (or one of its copies, with `copies`) with its provenance.
#[derive(Debug, Serialize)]
struct Row<'a> {
    key: &'a str,
    kind: &'a str,
    item: i64,
    date: Option<String>,
    from: Option<&'a str>,
    from_name: Option<&'a str>,
    to: String,
    subject: Option<&'a str>,
    copies: usize,
    source: &'a str,
    folder: Option<&'a str>,
    locator: &'a str,
    outcome: &'a str,
    sha256: Option<&'a str>,
    offset: Option<u64>,
    length: Option<u64>,
}

fn rows<'a>(hit: &'a Hit, copies: bool) -> Vec<Row<'a>> {
    let date = hit
        .date
        .and_then(|d| chrono::DateTime::from_timestamp(d, 0))
        .map(|d| d.to_rfc3339());
    let row = |l: &'a Location| Row {
        key: &hit.key,
        kind: &hit.kind,
        item: l.item,
        date: date.clone(),
        from: hit.from.as_deref(),
        from_name: hit.from_name.as_deref(),
        to: hit.to.join("; "),
        subject: hit.subject.as_deref(),
        copies: hit.copies,
        source: &l.source,
        folder: l.folder.as_deref(),
        locator: &l.locator,
        outcome: &l.outcome,
        sha256: l.sha256.as_deref(),
        offset: l.offset,
        length: l.length,
    };
    let canonical = hit
        .locations
        .iter()
        .find(|l| Some(l.item) == hit.item)
        .or(hit.locations.first());
    if copies {
        hit.locations.iter().map(row).collect()
    } else {
        canonical.map(row).into_iter().collect()
    }
}

const CSV_HEADER: &str = "key,kind,item,date,from,from_name,to,subject,copies,source,folder,locator,outcome,sha256,offset,length\n";

fn csv_field(out: &mut String, v: &str) {
    if v.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(v);
    }
}

fn csv_line(r: &Row<'_>) -> String {
    let fields = [
        r.key.to_owned(),
        r.kind.to_owned(),
        r.item.to_string(),
        r.date.clone().unwrap_or_default(),
        r.from.unwrap_or("").to_owned(),
        r.from_name.unwrap_or("").to_owned(),
        r.to.clone(),
        r.subject.unwrap_or("").to_owned(),
        r.copies.to_string(),
        r.source.to_owned(),
        r.folder.unwrap_or("").to_owned(),
        r.locator.to_owned(),
        r.outcome.to_owned(),
        r.sha256.unwrap_or("").to_owned(),
        r.offset.map(|v| v.to_string()).unwrap_or_default(),
        r.length.map(|v| v.to_string()).unwrap_or_default(),
    ];
    let mut line = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        csv_field(&mut line, f);
    }
    line.push('\n');
    line
}

/// Exports JSON lines, CSV or mbox to a stream.
pub fn export(
    s: &Searchable,
    query: &str,
    format: Format,
    copies: bool,
    out: &mut dyn Write,
) -> Result<ExportStats, SearchError> {
    let mut stats = ExportStats::default();
    if format == Format::Csv {
        out.write_all(CSV_HEADER.as_bytes())?;
    }
    s.for_each_key(query, &mut |key| {
        let hit = s.describe(key, 0.0, true)?;
        stats.hits += 1;
        for r in rows(&hit, copies) {
            stats.rows += 1;
            match format {
                Format::Jsonl => {
                    let line = serde_json::to_string(&r)
                        .map_err(|e| SearchError::Corrupt(e.to_string()))?;
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\n")?;
                    stats.bytes += line.len() as u64 + 1;
                }
                Format::Csv => {
                    let line = csv_line(&r);
                    out.write_all(line.as_bytes())?;
                    stats.bytes += line.len() as u64;
                }
                Format::Mbox => {
                    let Some(bytes) = blob(s, r.sha256)? else {
                        continue;
                    };
                    stats.bytes +=
                        write_mbox_entry(out, r.from.unwrap_or("MAILER-DAEMON"), hit.date, &bytes)?;
                }
                Format::Zip => {
                    return Err(SearchError::Corrupt(
                        "zip exports go to a file; use export_zip".into(),
                    ));
                }
            }
        }
        Ok(())
    })?;
    out.flush()?;
    Ok(stats)
}

/// Exports the original messages as a zip of EML files, with `manifest.jsonl` (provenance of
/// every file) and `manifest.sha256`.
pub fn export_zip(
    s: &Searchable,
    query: &str,
    copies: bool,
    file: std::fs::File,
) -> Result<ExportStats, SearchError> {
    let mut stats = ExportStats::default();
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    let mut manifest = String::new();
    let mut sums = String::new();
    let zerr = |e: zip::result::ZipError| SearchError::Corrupt(format!("writing zip: {e}"));
    s.for_each_key(query, &mut |key| {
        let hit = s.describe(key, 0.0, true)?;
        stats.hits += 1;
        for r in rows(&hit, copies) {
            let Some(bytes) = blob(s, r.sha256)? else {
                continue;
            };
            let ext = if hit.kind == "message" { "eml" } else { "bin" };
            let name = format!("{}-{}.{ext}", r.item, &key[..12.min(key.len())]);
            zip.start_file(name.as_str(), opts).map_err(zerr)?;
            zip.write_all(&bytes)?;
            stats.rows += 1;
            stats.bytes += bytes.len() as u64;
            let line = serde_json::json!({ "file": name, "row": r });
            manifest.push_str(&line.to_string());
            manifest.push('\n');
            sums.push_str(&format!("{}  {name}\n", r.sha256.unwrap_or("")));
        }
        Ok(())
    })?;
    zip.start_file("manifest.jsonl", opts).map_err(zerr)?;
    zip.write_all(manifest.as_bytes())?;
    zip.start_file("manifest.sha256", opts).map_err(zerr)?;
    zip.write_all(sums.as_bytes())?;
    zip.finish().map_err(zerr)?;
    Ok(stats)
}

fn blob(s: &Searchable, sha: Option<&str>) -> Result<Option<Vec<u8>>, SearchError> {
    let Some(sha) = sha else { return Ok(None) };
    let mut key = [0u8; 32];
    if hex::decode_to_slice(sha, &mut key).is_err() {
        return Ok(None);
    }
    Ok(Some(s.case.read_blob(&s.catalog, &key)?))
}

/// One mboxrd entry: envelope, the message with `From ` lines escaped, a blank line.
fn write_mbox_entry(
    out: &mut dyn Write,
    sender: &str,
    date: Option<i64>,
    bytes: &[u8],
) -> Result<u64, SearchError> {
    let when = date
        .and_then(|d| chrono::DateTime::from_timestamp(d, 0))
        .map(|d| d.format("%a %b %e %H:%M:%S %Y").to_string())
        .unwrap_or_else(|| "Thu Jan  1 00:00:00 1970".into());
    let sender: String = sender.chars().filter(|c| !c.is_whitespace()).collect();
    let env = format!("From {sender} {when}\n");
    out.write_all(env.as_bytes())?;
    let mut n = env.len() as u64;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let stripped = line.iter().take_while(|&&b| b == b'>').count();
        if line[stripped..].starts_with(b"From ") {
            out.write_all(b">")?;
            n += 1;
        }
        out.write_all(line)?;
        n += line.len() as u64;
    }
    if !bytes.ends_with(b"\n") {
        out.write_all(b"\n")?;
        n += 1;
    }
    out.write_all(b"\n")?;
    Ok(n + 1)
}
