//! `trove show`: one item with its provenance, headers, bodies and attachments.

use crate::term::line;
use std::io::Write;

use anyhow::{Context, Result, bail};
use trove_formats::Limits;
use trove_formats::message::{DateHints, parse_message};
use trove_store::Case;
use trove_store::query;

pub fn show(case: &Case, spec: &str, raw: bool, json: bool) -> Result<()> {
    let cat = case.reader()?;
    let items = query::find_items(&cat, spec)?;
    let item = match items.as_slice() {
        [] => return show_document(case, &cat, spec, json),
        [one] => one.clone(),
        many => {
            // Several locations of one message: show the first, list the others.
            let first = many[0].clone();
            if !raw && !json {
                errln!(
                    "{} items match; showing #{} (see 'copies' below)",
                    many.len(),
                    first.id
                );
            }
            first
        }
    };
    let bytes = match &item.sha256 {
        Some(sha) if matches!(item.outcome.as_str(), "stored" | "duplicate") => {
            let mut h = [0u8; 32];
            hex::decode_to_slice(sha, &mut h).context("bad sha256 in catalog")?;
            Some(case.read_blob(&cat, &h)?)
        }
        _ => None,
    };
    if raw {
        let Some(b) = bytes else {
            bail!(
                "item #{} has no stored bytes (outcome {})",
                item.id,
                item.outcome
            )
        };
        std::io::stdout().write_all(&b)?;
        return Ok(());
    }
    let chain = query::ancestry(&cat, item.id)?;
    let message = match item.message {
        Some(m) => query::message(&cat, m)?,
        None => None,
    };
    let attachments = match &message {
        Some(m) => query::attachments(&cat, m.id)?,
        None => Vec::new(),
    };
    let copies = match &message {
        Some(m) => query::copies(&cat, m.id)?,
        None => Vec::new(),
    };
    let children = query::children(&cat, item.id)?;
    let parsed = match (&message, &bytes) {
        (Some(_), Some(b)) => Some(parse_message(
            b,
            &Limits::default(),
            DateHints::default(),
            false,
        )),
        _ => None,
    };
    if json {
        let v = serde_json::json!({
            "item": item, "provenance": chain, "message": message, "attachments": attachments,
            "copies": copies, "children": children,
            "headers": parsed.as_ref().map(|p| &p.headers),
            "text": parsed.as_ref().map(|p| &p.text),
            "html": parsed.as_ref().and_then(|p| p.html.as_ref()),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    outln!(
        "item #{}  {}  {}  {} bytes",
        item.id,
        item.kind,
        item.format,
        item.size
    );
    outln!(
        "outcome: {}{}",
        item.outcome,
        item.reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
    if let Some(d) = item.duplicate_of {
        outln!("duplicate of item #{d}");
    }
    if let Some(sha) = &item.sha256 {
        outln!("sha256: {sha}");
    }
    outln!("source: {}", item.source);
    outln!("provenance:");
    for (depth, c) in chain.iter().enumerate() {
        let range = match (c.offset, c.length) {
            (Some(o), Some(l)) => format!(" bytes {o}..{}", o + l),
            (Some(o), None) => format!(" at byte {o}"),
            _ => String::new(),
        };
        outln!(
            "  {:indent$}#{} {} {}{range}",
            "",
            c.id,
            c.format,
            line(&c.name),
            indent = depth * 2
        );
    }
    outln!("locator: {}", line(&item.locator));
    if let Some(f) = &item.folder {
        outln!(
            "folder: {}{}",
            line(f),
            item.flags
                .as_deref()
                .map(|fl| format!("  flags: {fl}"))
                .unwrap_or_default()
        );
    }
    if let Some(m) = &item.meta {
        outln!("meta: {m}");
    }
    if let (Some(m), Some(p)) = (&message, &parsed) {
        outln!("\n── headers ({}) ──", p.headers.len());
        for h in &p.headers {
            outln!("{}: {}", line(&h.name), line(&h.value));
        }
        outln!("\n── message ──");
        if let Some(d) = m.date {
            let when = chrono::DateTime::from_timestamp(d, 0)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            outln!(
                "date (UTC): {when}  from {}",
                m.date_source.as_deref().unwrap_or("?")
            );
        }
        if !m.problems.is_empty() {
            outln!("problems: {}", m.problems.join(", "));
        }
        outln!("\n{}", p.text.trim_end());
        if p.html.is_some() {
            outln!("\n(an HTML body is also present)");
        }
        if !attachments.is_empty() {
            outln!("\n── attachments ──");
            for a in &attachments {
                outln!(
                    "  part {:<3} {:<40} {:<30} {:>10} bytes  sha256 {}{}",
                    a.part,
                    line(a.name.as_deref().unwrap_or("(no name)")),
                    line(&a.mime),
                    a.size,
                    a.sha256,
                    a.item_id
                        .map(|i| format!("  → item #{i}"))
                        .unwrap_or_default()
                );
                if let Ok(Some(e)) = hex::decode(&a.sha256)
                    .map_err(anyhow::Error::from)
                    .and_then(|k| Ok(trove_store::extraction::extraction(&cat, &k)?))
                {
                    outln!("           {}", extraction_line(&e));
                }
            }
        }
        if copies.len() > 1 {
            outln!(
                "\n── {} locations of this message (copies in other mailboxes included) ──",
                copies.len()
            );
            for c in &copies {
                outln!("  #{} {} {}", c.id, c.outcome, line(&c.locator));
            }
        }
    }
    if item.message.is_none()
        && let Some(sha) = &item.sha256
        && let Some(e) = trove_store::extraction::extraction(&cat, &hex::decode(sha)?)?
    {
        outln!("\n── extraction ──\n{}", extraction_line(&e));
        print_extraction_detail(case, &cat, &e)?;
    }
    if !children.is_empty() {
        outln!("\n── {} items inside ──", children.len());
        for c in children.iter().take(50) {
            outln!("  #{} {} {} {}", c.id, c.outcome, c.format, line(&c.name));
        }
        if children.len() > 50 {
            outln!("  … and {} more", children.len() - 50);
        }
    }
    Ok(())
}

fn extraction_line(e: &trove_store::extraction::ExtractionRow) -> String {
    let mut s = format!("{} {}", e.format, e.status);
    if let Some(r) = &e.reason {
        s.push_str(&format!(" ({r})"));
    }
    if e.pages > 0 {
        s.push_str(&format!(", {} pages", e.pages));
    }
    if e.ocr_pages > 0 {
        s.push_str(&format!(", {} by OCR", e.ocr_pages));
    }
    if !e.ocr_pending.is_empty() {
        s.push_str(&format!(", {} waiting for OCR", e.ocr_pending.len()));
    }
    s.push_str(&format!(", {} characters of text", e.text_len));
    if !e.flags.is_empty() {
        s.push_str(&format!("  flags: {}", e.flags.join(", ")));
    }
    if let Some((lat, lon)) = e.gps {
        s.push_str(&format!("  GPS {lat:.6}, {lon:.6}"));
    }
    s
}

fn print_extraction_detail(
    case: &Case,
    cat: &trove_store::Catalog,
    e: &trove_store::extraction::ExtractionRow,
) -> Result<()> {
    if let Some(m) = &e.meta {
        outln!("metadata: {m}");
    }
    if let Some(t) = &e.text_sha256 {
        let mut k = [0u8; 32];
        hex::decode_to_slice(t, &mut k)?;
        let text = String::from_utf8_lossy(&case.read_blob(cat, &k)?).into_owned();
        outln!("\n{}", text.replace('\x0c', "\n── page ──\n").trim_end());
    }
    Ok(())
}

/// A document known only as an attachment (its bytes live in the messages carrying it).
fn show_document(case: &Case, cat: &trove_store::Catalog, spec: &str, json: bool) -> Result<()> {
    let spec = spec.trim().to_ascii_lowercase();
    let found: Option<Vec<u8>> =
        if spec.len() >= 8 && spec.len() <= 64 && spec.bytes().all(|b| b.is_ascii_hexdigit()) {
            trove_store::CatalogRead::extraction_by_prefix(cat, &spec)
                .ok()
                .flatten()
        } else {
            None
        };
    let Some(sha) = found else {
        bail!("no item matches {spec:?} (an id, a SHA-256 prefix, a Message-ID or a locator)")
    };
    let Some(e) = trove_store::extraction::extraction(cat, &sha)? else {
        bail!("no extraction for {spec}")
    };
    // Pairs: the JSON output lists each carrier as `[item, name]`.
    let carriers: Vec<(i64, Option<String>)> = trove_store::CatalogRead::carrier_items(cat, &sha)?
        .into_iter()
        .map(|c| (c.item_id, c.name))
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "extraction": e, "carried_by_items": carriers })
            )?
        );
        return Ok(());
    }
    outln!("document {}\n{}", e.sha256, extraction_line(&e));
    for (item, name) in &carriers {
        outln!(
            "  attached as {} to message item #{item}",
            name.as_deref().unwrap_or("(no name)")
        );
    }
    print_extraction_detail(case, cat, &e)
}
