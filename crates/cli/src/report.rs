//! `trove status` and `trove report`.

use crate::term::line;
use anyhow::{Context, Result};
use trove_store::Case;
use trove_store::model::OUTCOMES;
use trove_store::query::{self, Tally};

/// Human-readable byte count.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn pct(part: u64, whole: u64) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.2}%", part as f64 * 100.0 / whole as f64)
    }
}

pub fn status(case: &Case, json: bool) -> Result<()> {
    let cat = case.reader()?;
    let s = query::status(&cat)?;
    let index = trove_index::SearchIndex::for_case(case).context("opening the search index")?;
    let pending = trove_index::pending(&cat, &index)?;
    if json {
        let mut v = serde_json::to_value(&s)?;
        v["index_pending"] = pending.into();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    outln!("case {}", case.root().display());
    outln!(
        "{} message blobs, {} distinct messages after linking copies; {} blobs, {} stored as {}",
        s.messages,
        s.distinct_messages,
        s.blobs.items,
        bytes(s.blobs.bytes),
        bytes(s.stored_bytes)
    );
    for (source, outcomes) in &s.sources {
        let total: u64 = outcomes.values().map(|t| t.items).sum();
        let parts: Vec<String> = OUTCOMES
            .iter()
            .filter_map(|o| outcomes.get(*o).map(|t| format!("{} {o}", t.items)))
            .collect();
        outln!("source {source}: {total} items: {}", parts.join(", "));
    }
    outln!("by format:");
    for (format, outcomes) in &s.formats {
        let parts: Vec<String> = OUTCOMES
            .iter()
            .filter_map(|o| outcomes.get(*o).map(|n| format!("{n} {o}")))
            .collect();
        outln!("  {format:<12} {}", parts.join(", "));
    }
    if let Some(last) = s.runs.last() {
        outln!(
            "runs: {} (last: #{} {} {}, started {})",
            s.runs.len(),
            last.id,
            last.source,
            last.status,
            last.started_at
        );
    }
    match pending {
        0 => outln!("search index: up to date"),
        n => outln!(
            "search index: {n} queued entries not yet searchable; run `trove index {}`",
            case.root().display()
        ),
    }
    Ok(())
}

pub fn report(case: &Case, json: bool, all: bool) -> Result<()> {
    let cat = case.reader()?;
    let reports = query::report(&cat)?;
    let extraction = trove_store::extraction::report(&cat)?;
    if json {
        let mut v = serde_json::to_value(&reports)?;
        if all {
            let listed = unresolved(&cat)?;
            v = serde_json::json!({ "sources": v, "skipped_and_failed": listed });
        }
        let v = serde_json::json!({ "report": v, "extraction": extraction });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    for r in &reports {
        let total = r.inputs_total;
        outln!("source {}", r.source);
        outln!(
            "  input files: {} files, {} — each in exactly one outcome:",
            total.items,
            bytes(total.bytes)
        );
        let mut sum = Tally::default();
        for o in OUTCOMES {
            let t = r.inputs.get(o).copied().unwrap_or_default();
            sum.items += t.items;
            sum.bytes += t.bytes;
            outln!(
                "    {o:<10} {:>10} files {:>8}   {:>12} {:>8}",
                t.items,
                pct(t.items, total.items),
                bytes(t.bytes),
                pct(t.bytes, total.bytes)
            );
        }
        outln!(
            "    {:<10} {:>10} files {:>8}   {:>12} {:>8}",
            "total",
            sum.items,
            pct(sum.items, total.items),
            bytes(sum.bytes),
            pct(sum.bytes, total.bytes)
        );
        outln!(
            "  every item at any depth (files, archive members, mbox messages, opened attachments):"
        );
        for (kind, outcomes) in &r.items {
            let parts: Vec<String> = OUTCOMES
                .iter()
                .filter_map(|o| outcomes.get(*o).map(|t| format!("{} {o}", t.items)))
                .collect();
            outln!("    {kind:<13} {}", parts.join(", "));
        }
        outln!("  by format:");
        for (format, outcomes) in &r.formats {
            let parts: Vec<String> = OUTCOMES
                .iter()
                .filter_map(|o| outcomes.get(*o).map(|t| format!("{} {o}", t.items)))
                .collect();
            outln!("    {format:<13} {}", parts.join(", "));
        }
        outln!(
            "  messages: {} locations, {} distinct blobs, {} distinct after linking copies",
            r.message_locations,
            r.messages,
            r.distinct_messages
        );
        if !r.problems.is_empty() {
            let parts: Vec<String> = r.problems.iter().map(|(p, n)| format!("{p} {n}")).collect();
            outln!(
                "  stored with problems (flagged, nothing dropped): {}",
                parts.join(", ")
            );
        }
        if r.incomplete > 0 {
            outln!(
                "  INCOMPLETE: {} containers not fully read; run the same ingest again to finish",
                r.incomplete
            );
        }
        if !r.reasons.is_empty() {
            outln!("  reasons:");
            for rc in &r.reasons {
                outln!(
                    "    {:<9} {:>7} × {}  (e.g. {})",
                    rc.outcome,
                    rc.items,
                    line(&rc.reason),
                    line(&rc.example)
                );
            }
        }
    }
    print_extraction(&extraction);
    if all {
        outln!("every skipped and failed item:");
        for row in unresolved(&cat)? {
            outln!(
                "  #{} {} {}: {}",
                row.id,
                row.outcome,
                line(&row.locator),
                line(&row.reason.unwrap_or_default())
            );
        }
    }
    Ok(())
}

fn unresolved(cat: &trove_store::Catalog) -> Result<Vec<query::ItemRow>> {
    let mut rows = Vec::new();
    for id in trove_store::CatalogRead::unresolved_items(cat)? {
        if let Some(row) = query::item(cat, id)? {
            rows.push(row);
        }
    }
    Ok(rows)
}

const EXTRACTION_STATUSES: [&str; 4] = ["extracted", "ocr-pending", "failed", "skipped"];

/// The extraction half of the report: every distinct attachment and document, one outcome each.
fn print_extraction(r: &trove_store::extraction::ExtractionReport) {
    outln!(
        "documents (attachments and files, each distinct document once): {}",
        r.documents
    );
    let done: u64 = r.formats.values().flat_map(|m| m.values()).sum();
    let mut totals = std::collections::BTreeMap::new();
    for m in r.formats.values() {
        for (s, n) in m {
            *totals.entry(s.as_str()).or_insert(0u64) += n;
        }
    }
    let parts: Vec<String> = EXTRACTION_STATUSES
        .iter()
        .map(|s| format!("{} {s}", totals.get(s).copied().unwrap_or(0)))
        .collect();
    outln!(
        "  text extraction: {} — {}{}",
        done,
        parts.join(", "),
        if r.not_extracted > 0 {
            format!(
                "; {} not yet extracted (run `trove extract`)",
                r.not_extracted
            )
        } else {
            String::new()
        }
    );
    for (format, m) in &r.formats {
        let parts: Vec<String> = EXTRACTION_STATUSES
            .iter()
            .filter_map(|s| m.get(*s).map(|n| format!("{n} {s}")))
            .collect();
        outln!("    {format:<16} {}", parts.join(", "));
    }
    if r.ocr_pending_pages > 0 || r.ocr_pages > 0 {
        outln!(
            "  OCR: {} pages read by OCR, {} pages waiting{}",
            r.ocr_pages,
            r.ocr_pending_pages,
            if r.ocr_pending_pages > 0 {
                " (run `trove ocr`)"
            } else {
                ""
            }
        );
    }
    if !r.flags.is_empty() {
        let parts: Vec<String> = r.flags.iter().map(|(f, n)| format!("{f} {n}")).collect();
        outln!("  flagged (search flag:NAME): {}", parts.join(", "));
    }
    if r.truncated > 0 {
        outln!(
            "  text incomplete: {} documents read only in part (flag:truncated; why below)",
            r.truncated
        );
    }
    if !r.reasons.is_empty() {
        outln!("  extraction reasons:");
        for rc in &r.reasons {
            outln!(
                "    {:<8} {:>6} × {} {}  (e.g. {})",
                rc.status,
                rc.documents,
                rc.format,
                rc.reason,
                &rc.example[..rc.example.len().min(16)]
            );
        }
    }
}
