//! `trove search`, `trove count`, `trove export`, `trove index`, `trove reindex`.

use crate::term::line;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use trove_query::export::{self, Format};
use trove_query::search::Facets;
use trove_query::{Request, Searchable, Sort};
use trove_store::Case;

pub struct SearchArgs {
    pub query: String,
    pub json: bool,
    pub limit: usize,
    pub offset: usize,
    pub after: Option<String>,
    pub sort: Sort,
    pub facets: bool,
    pub copies: bool,
    pub all: bool,
}

fn open(case: &Case) -> Result<Searchable> {
    Searchable::open(case)
        .context("opening the search index (run `trove reindex` if it is missing)")
}

/// Errors of the query language are shown with their position, as they are; so are the parts
/// of a query too costly to run.
fn query_error(e: trove_query::SearchError) -> anyhow::Error {
    match e {
        trove_query::SearchError::Query(q) => anyhow::anyhow!("invalid query: {q}"),
        trove_query::SearchError::TooCostly(q) => anyhow::anyhow!("query too costly: {q}"),
        trove_query::SearchError::Invalid(m) => anyhow::anyhow!("{m}"),
        other => anyhow::Error::new(other),
    }
}

pub fn search(case: &Case, a: SearchArgs) -> Result<()> {
    let s = open(case)?;
    if a.all {
        let out = std::io::stdout();
        let mut out = std::io::BufWriter::new(out.lock());
        let stats =
            export::export(&s, &a.query, Format::Jsonl, a.copies, &mut out).map_err(query_error)?;
        out.flush()?;
        errln!("{} results, {} rows", stats.hits, stats.rows);
        return Ok(());
    }
    let req = Request {
        query: a.query.clone(),
        sort: a.sort,
        offset: a.offset,
        limit: a.limit,
        after: a.after.clone(),
        facets: a.facets,
        snippets: true,
        copies: a.copies,
        bounds: trove_query::Bounds::STANDARD,
    };
    let resp = s.search(&req).map_err(query_error)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&resp)?);
        return Ok(());
    }
    let tty = std::io::stdout().is_terminal();
    let (hl_on, hl_off) = if tty {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("«", "»")
    };
    outln!(
        "{} results ({:.1} ms){}",
        resp.total,
        resp.took_ms,
        if resp.offset > 0 {
            format!(", from {}", resp.offset + 1)
        } else {
            String::new()
        }
    );
    for h in &resp.hits {
        let date = h
            .date
            .and_then(|d| chrono::DateTime::from_timestamp(d, 0))
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "          ".into());
        let from = match (&h.from_name, &h.from) {
            (Some(n), Some(a)) => format!("{n} <{a}>"),
            (None, Some(a)) => a.clone(),
            (Some(n), None) => n.clone(),
            _ => String::new(),
        };
        let copies = if h.copies > 1 {
            format!("  [{} copies: {}]", h.copies, h.folders.join(", "))
        } else {
            String::new()
        };
        outln!(
            "\n#{} {date}  {}\n    {}{}",
            h.item.unwrap_or(0),
            line(&from),
            line(h.subject.as_deref().unwrap_or("(no subject)")),
            line(&copies)
        );
        // Escaped by `highlighted` (the highlight itself may be a terminal colour).
        if let Some(sn) = &h.snippet {
            println!("    {}", highlighted(sn, hl_on, hl_off));
        }
        for a in &h.in_attachments {
            let flags = if a.flags.is_empty() {
                String::new()
            } else {
                format!(" [{}]", a.flags.join(", "))
            };
            outln!(
                "    ↳ in attachment {}{}",
                line(a.name.as_deref().unwrap_or("(no name)")),
                line(&flags)
            );
            if let Some(sn) = &a.snippet {
                println!("      {}", highlighted(sn, hl_on, hl_off));
            }
        }
        for l in &h.locations {
            outln!(
                "      {} {} {}",
                line(&l.source),
                l.outcome,
                line(&l.locator)
            );
        }
    }
    if let Some(f) = &resp.facets {
        print_facets(f);
    }
    if let Some(next) = &resp.next {
        outln!("\nnext page: --after {}", line(&next));
    }
    Ok(())
}

/// A snippet's text, escaped for the terminal, with its highlighted ranges between `on` and
/// `off`.
fn highlighted(sn: &trove_query::search::Snippet, on: &str, off: &str) -> String {
    let mut text = String::new();
    let mut at = 0;
    for &(s, e) in &sn.highlights {
        if s >= at
            && e <= sn.text.len()
            && sn.text.is_char_boundary(s)
            && sn.text.is_char_boundary(e)
        {
            text.push_str(&line(&sn.text[at..s]));
            text.push_str(on);
            text.push_str(&line(&sn.text[s..e]));
            text.push_str(off);
            at = e;
        }
    }
    text.push_str(&line(&sn.text[at..]));
    text
}

fn print_facets(f: &Facets) {
    let line = |name: &str, b: &[trove_query::search::Bucket]| {
        if b.is_empty() {
            return;
        }
        let parts: Vec<String> = b
            .iter()
            .take(10)
            .map(|x| format!("{} {}", line(&x.value), x.count))
            .collect();
        outln!("  {name:<14} {}", parts.join(" · "));
    };
    outln!("\nfacets:");
    line("source", &f.source);
    line("sender domain", &f.sender_domain);
    line("sender", &f.sender);
    line("recipient", &f.recipient);
    line("year", &f.year);
    line("type", &f.mime);
    line("language", &f.lang);
    line("has", &f.has);
    line("flag", &f.flag);
}

pub fn count(case: &Case, query: &str) -> Result<()> {
    let n = open(case)?.count(query).map_err(query_error)?;
    outln!("{n}");
    Ok(())
}

pub fn export(
    case: &Case,
    query: &str,
    format: Format,
    out: Option<PathBuf>,
    copies: bool,
) -> Result<()> {
    let s = open(case)?;
    let stats = match (format, out) {
        (Format::Zip, Some(path)) => {
            let f = std::fs::File::create(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            export::export_zip(&s, query, copies, f).map_err(query_error)?
        }
        (Format::Zip, None) => bail!("a zip export needs --out FILE"),
        (format, Some(path)) => {
            let f = std::fs::File::create(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut w = std::io::BufWriter::new(f);
            export::export(&s, query, format, copies, &mut w).map_err(query_error)?
        }
        (format, None) => {
            let out = std::io::stdout();
            let mut w = std::io::BufWriter::new(out.lock());
            export::export(&s, query, format, copies, &mut w).map_err(query_error)?
        }
    };
    errln!(
        "exported {} results as {} rows ({} bytes)",
        stats.hits,
        stats.rows,
        stats.bytes
    );
    Ok(())
}

pub fn index(case: &Case, full: bool) -> Result<()> {
    let stats = if full {
        let bar = indicatif::ProgressBar::new_spinner();
        let s = trove_index::reindex(case, 256 << 20, 2, &|n| {
            bar.set_message(format!("{n} messages"))
        })?;
        bar.finish_and_clear();
        s
    } else {
        trove_ingest::index_pending(case, 256 << 20)?
    };
    outln!(
        "indexed {} documents in {:.1}s",
        stats.documents,
        stats.seconds
    );
    if stats.failed > 0 {
        bail!(
            "{} documents could not be indexed (see the log above); they are still in the catalog",
            stats.failed
        );
    }
    Ok(())
}
