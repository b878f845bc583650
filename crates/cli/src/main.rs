//! The `trove` command line: a thin layer over the library crates.

#[macro_use]
mod term;
mod admin;
mod extract;
mod report;
mod search;
mod show;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use trove_ingest::{IngestOptions, Progress};
use trove_store::Case;

#[derive(Parser)]
#[command(
    name = "trove",
    version,
    about = "Turns a mail leak into an investigation you can search, read and trust."
)]
struct Cli {
    /// More log output (-v info, -vv debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a case folder: catalog, blobs, index, logs.
    Init { case: PathBuf },
    /// Read folders, archives and mailbox files into the case. Run it again after a crash or
    /// with new files: what is done is skipped.
    Ingest {
        case: PathBuf,
        /// Files or folders to read.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Source label: where this material came from.
        #[arg(long, default_value = "default")]
        source: String,
        /// Worker threads (default: one per core).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Nesting depth of containers and attachments opened.
        #[arg(long)]
        max_depth: Option<u32>,
        /// Messages larger than this many MiB are stored whole but parsed only up to their headers.
        #[arg(long)]
        max_message_mib: Option<u64>,
        /// Print the run summary as JSON.
        #[arg(long)]
        json: bool,
        /// Do not update the search index (run `trove index` later).
        #[arg(long)]
        no_index: bool,
        /// Seconds to wait for another trove process's index writer lock before giving up
        /// (the catalog is still written; `trove index` finishes the index later).
        #[arg(long, default_value_t = 60, value_name = "SECS")]
        index_lock_wait: u64,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
        /// OCR of scans and images: `defer` (record the pages; `trove ocr` reads them later,
        /// so that text is searchable first), `now`, or `off`.
        #[arg(long, default_value = "defer")]
        ocr: String,
        /// Tesseract languages for OCR (`spa`, `spa+eng`).
        #[arg(long, default_value = "spa")]
        ocr_languages: String,
        /// Do not extract text from attachments and documents (run `trove extract` later).
        #[arg(long)]
        no_extract: bool,
    },
    /// Extract text, metadata and flags from every attachment and document not yet extracted.
    Extract {
        case: PathBuf,
        /// OCR: `defer`, `now` or `off` (see `ingest --ocr`).
        #[arg(long, default_value = "defer")]
        ocr: String,
        #[arg(long, default_value = "spa")]
        ocr_languages: String,
        /// Worker processes (default: one per core).
        #[arg(long, default_value_t = 0)]
        workers: usize,
        #[arg(long)]
        json: bool,
    },
    /// OCR the pages and images that extraction left waiting (the deferred OCR stage).
    Ocr {
        case: PathBuf,
        #[arg(long, default_value = "spa")]
        languages: String,
        /// Worker processes, one Tesseract engine each (default: one per core).
        #[arg(long, default_value_t = 0)]
        workers: usize,
        #[arg(long)]
        json: bool,
    },
    /// The extraction worker process (internal: started by trove itself).
    #[command(hide = true)]
    Worker,
    /// Counts by source, format and outcome.
    Status {
        case: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The completeness report: every input file and byte accounted for, per source.
    Report {
        case: PathBuf,
        #[arg(long)]
        json: bool,
        /// List every skipped and failed item, not just the reasons.
        #[arg(long)]
        all: bool,
    },
    /// One item: headers, bodies, attachments, provenance. ITEM is an id, a SHA-256 (prefix),
    /// a Message-ID or a locator.
    Show {
        case: PathBuf,
        item: String,
        /// Write the item's exact stored bytes to stdout.
        #[arg(long)]
        raw: bool,
        #[arg(long)]
        json: bool,
    },
    /// Search: Lucene/Elasticsearch query syntax with notmuch/mu fields (docs/query-language.md).
    Search {
        case: PathBuf,
        query: String,
        #[arg(long)]
        json: bool,
        /// Results on the page (1 to 1000).
        #[arg(long, default_value_t = 20, value_parser = page_size)]
        limit: usize,
        /// Results to skip (any depth: a deep page costs the memory of one page).
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// The page after the one that printed this cursor (instead of --offset).
        #[arg(long, conflicts_with = "offset")]
        after: Option<String>,
        /// relevance, newest or oldest.
        #[arg(long, default_value = "relevance")]
        sort: String,
        /// Counts by source, sender, recipient, date, type, language.
        #[arg(long)]
        facets: bool,
        /// Every copy of each message, not each message once.
        #[arg(long)]
        copies: bool,
        /// Every result, streamed as JSON lines (no cap).
        #[arg(long)]
        all: bool,
    },
    /// How many messages and documents match a query.
    Count { case: PathBuf, query: String },
    /// Every result of a query: JSON lines, CSV with provenance, the original messages as an
    /// mbox, or a zip of EML files with a manifest.
    Export {
        case: PathBuf,
        query: String,
        /// jsonl, csv, mbox or zip.
        #[arg(long, default_value = "jsonl")]
        format: String,
        /// Write here instead of standard output (required for zip).
        #[arg(long)]
        out: Option<PathBuf>,
        /// One row per copy instead of per message.
        #[arg(long)]
        copies: bool,
    },
    /// Bring the search index up to date with the catalog.
    Index { case: PathBuf },
    /// Rebuild the search index from the catalog (the sources are not read).
    Reindex { case: PathBuf },
    /// The web app: search, read, threads, people, tags and notes, for a team.
    Serve {
        /// Case folders to serve (each known by its folder name).
        #[arg(required = true)]
        cases: Vec<PathBuf>,
        /// Accounts, sessions, grants and the audit log.
        #[arg(long, default_value = "trove-server")]
        data: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Mark cookies Secure (when served behind HTTPS).
        #[arg(long)]
        secure_cookies: bool,
    },
    /// Accounts and grants of the web app.
    User {
        #[command(subcommand)]
        what: admin::UserCommand,
        #[arg(long, default_value = "trove-server", global = true)]
        data: PathBuf,
    },
    /// The web app's audit log: who searched, viewed, downloaded and exported what.
    Audit {
        #[arg(long, default_value = "trove-server")]
        data: PathBuf,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        case: Option<String>,
        #[arg(long, default_value_t = 200)]
        limit: usize,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        csv: bool,
    },
    /// Re-read every stored blob and check its SHA-256 (evidence integrity).
    Verify {
        case: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks against peer tools on the same input, in the same run.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Generate a synthetic Spanish government-style mail leak (deterministic by seed).
    Synth {
        out: PathBuf,
        /// Logical messages to author (copies in several mailboxes come on top).
        #[arg(long, default_value_t = 1000)]
        messages: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Layouts to write: eml, maildir, mbox, zip (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "eml,maildir,mbox,zip")]
        layouts: Vec<String>,
        /// No attachments.
        #[arg(long)]
        no_attachments: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Ingest speed and memory beside `cat | sha256sum`, `mu index` and `notmuch new`.
    Ingest {
        corpus: PathBuf,
        /// Scratch folder (Maildir view, case, peer databases).
        #[arg(long, default_value = "target/bench-ingest")]
        work: PathBuf,
        /// Only trove and the read+hash baseline.
        #[arg(long)]
        no_peers: bool,
        #[arg(long, default_value_t = 0)]
        threads: usize,
        #[arg(long)]
        json: bool,
    },
    /// Search latency (p50/p99, warm) for a fixed query mix beside `notmuch search` and
    /// `mu find`, on the databases `bench ingest` built in the same --work folder.
    Search {
        #[arg(long, default_value = "target/bench-ingest")]
        work: PathBuf,
        #[arg(long, default_value_t = 30)]
        iterations: usize,
        #[arg(long)]
        no_peers: bool,
        #[arg(long)]
        json: bool,
    },
    /// Many reporters at once: N clients searching the web app's API for a fixed time, beside
    /// the same requests through the library on one thread.
    Http {
        case: PathBuf,
        #[arg(long, default_value_t = 50)]
        clients: usize,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// One viewer sends costly queries (200 wildcards, 2,000 fuzzy words) while the
        /// clients search: their latencies with the server's query bounds and fair slots, and
        /// without them (the old behaviour, run here only), each phase --seconds long.
        #[arg(long)]
        heavy: bool,
        #[arg(long)]
        json: bool,
    },
    /// PST/OST reading speed beside `readpst` (and `pffexport`) on the same store.
    Outlook {
        store: PathBuf,
        #[arg(long, default_value = "target/bench-outlook")]
        work: PathBuf,
        /// Runs per tool; the median is reported.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        #[arg(long)]
        json: bool,
    },
    /// PDF text speed and word recall beside `pdftotext`, and OCR pages per second per core.
    Extract {
        /// Folder of PDFs (default: ../shared/corpora/docs/pdf-es).
        #[arg(long, default_value = "../shared/corpora/docs/pdf-es")]
        pdfs: PathBuf,
        /// Folder of scans for the OCR figure (default: ../shared/corpora/docs/scans-es).
        #[arg(long, default_value = "../shared/corpora/docs/scans-es")]
        scans: PathBuf,
        /// Worker processes (default: one per core).
        #[arg(long, default_value_t = 0)]
        workers: usize,
        /// Timed rounds of each tool (alternating); the median is reported.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        #[arg(long)]
        json: bool,
    },
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("worker") {
        // The extraction worker speaks a framed protocol on stdin/stdout: nothing else runs.
        std::process::exit(trove_extract::worker::main());
    }
    let cli = Cli::parse();
    let filter = match cli.verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(cli) {
        errln!("error: {e:#}");
        std::process::exit(1);
    }
}

/// A page size: 1 to the most a page may hold.
fn page_size(s: &str) -> std::result::Result<usize, String> {
    let max = trove_query::search::MAX_PAGE;
    match s.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("'{s}' is not a page size from 1 to {max}")),
    }
}

/// A benchmark's figures: as JSON, or as the tables `docs/benchmarks.md` quotes.
fn print_bench<T: serde::Serialize + std::fmt::Display>(b: &T, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(b)?);
    } else {
        print!("{b}");
    }
    Ok(())
}

fn open_case(path: &std::path::Path) -> Result<Case> {
    Case::open(path).with_context(|| format!("opening case {}", path.display()))
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init { case } => {
            Case::init(&case).with_context(|| format!("creating case {}", case.display()))?;
            outln!("created case {}", case.display());
            Ok(())
        }
        Command::Ingest {
            case,
            inputs,
            source,
            threads,
            max_depth,
            max_message_mib,
            json,
            no_index,
            index_lock_wait,
            quiet,
            ocr,
            ocr_languages,
            no_extract,
        } => {
            let case = open_case(&case)?;
            let mut opts = IngestOptions::new(source, inputs);
            opts.threads = threads;
            if let Some(d) = max_depth {
                opts.limits.max_depth = d;
            }
            if let Some(m) = max_message_mib {
                opts.limits.max_message_bytes = m << 20;
            }
            opts.command = std::env::args().collect::<Vec<_>>().join(" ");
            opts.index = !no_index;
            opts.index_lock_wait = std::time::Duration::from_secs(index_lock_wait);
            opts.extract = if no_extract {
                None
            } else {
                Some(extract::stage_options(&ocr, &ocr_languages, threads)?)
            };
            ingest(&case, &opts, json, quiet)
        }
        Command::Status { case, json } => report::status(&open_case(&case)?, json),
        Command::Report { case, json, all } => report::report(&open_case(&case)?, json, all),
        Command::Show {
            case,
            item,
            raw,
            json,
        } => show::show(&open_case(&case)?, &item, raw, json),
        Command::Extract {
            case,
            ocr,
            ocr_languages,
            workers,
            json,
        } => extract::extract(&open_case(&case)?, &ocr, &ocr_languages, workers, json),
        Command::Ocr {
            case,
            languages,
            workers,
            json,
        } => extract::ocr(&open_case(&case)?, &languages, workers, json),
        Command::Worker => std::process::exit(trove_extract::worker::main()),
        Command::Bench {
            what:
                BenchCommand::Extract {
                    pdfs,
                    scans,
                    workers,
                    rounds,
                    json,
                },
        } => print_bench(
            &trove_bench::extract::extract(&pdfs, &scans, workers, rounds)?,
            json,
        ),
        Command::Bench {
            what:
                BenchCommand::Ingest {
                    corpus,
                    work,
                    no_peers,
                    threads,
                    json,
                },
        } => print_bench(
            &trove_bench::ingest::ingest(&corpus, &work, !no_peers, threads)?,
            json,
        ),
        Command::Bench {
            what:
                BenchCommand::Outlook {
                    store,
                    work,
                    rounds,
                    json,
                },
        } => print_bench(&trove_bench::outlook::outlook(&store, &work, rounds)?, json),
        Command::Search {
            case,
            query,
            json,
            limit,
            offset,
            after,
            sort,
            facets,
            copies,
            all,
        } => {
            let sort = sort
                .parse::<trove_query::Sort>()
                .map_err(|e| anyhow::anyhow!(e))?;
            search::search(
                &open_case(&case)?,
                search::SearchArgs {
                    query,
                    json,
                    limit,
                    offset,
                    after,
                    sort,
                    facets,
                    copies,
                    all,
                },
            )
        }
        Command::Count { case, query } => search::count(&open_case(&case)?, &query),
        Command::Export {
            case,
            query,
            format,
            out,
            copies,
        } => {
            let format = format
                .parse::<trove_query::export::Format>()
                .map_err(|e| anyhow::anyhow!(e))?;
            search::export(&open_case(&case)?, &query, format, out, copies)
        }
        Command::Index { case } => search::index(&open_case(&case)?, false),
        Command::Reindex { case } => search::index(&open_case(&case)?, true),
        Command::Bench {
            what:
                BenchCommand::Search {
                    work,
                    iterations,
                    no_peers,
                    json,
                },
        } => print_bench(
            &trove_bench::search::search(&work, iterations, !no_peers)?,
            json,
        ),
        Command::Bench {
            what:
                BenchCommand::Http {
                    case,
                    clients,
                    seconds,
                    heavy,
                    json,
                },
        } => {
            if heavy {
                print_bench(&trove_bench::http::heavy(&case, clients, seconds)?, json)
            } else {
                print_bench(&trove_bench::http::http(&case, clients, seconds)?, json)
            }
        }
        Command::Serve {
            cases,
            data,
            addr,
            secure_cookies,
        } => admin::serve(data, cases, addr, secure_cookies),
        Command::User { what, data } => admin::user(&data, what),
        Command::Audit {
            data,
            user,
            case,
            limit,
            json,
            csv,
        } => admin::audit(&data, user, case, limit, json, csv),
        Command::Verify { case, json } => {
            let case = open_case(&case)?;
            let v = trove_store::query::verify(&case, &case.reader()?)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                outln!(
                    "{} blobs, {} checked: {} bad, {} stored items without their blob",
                    v.blobs,
                    report::bytes(v.bytes),
                    v.bad.len(),
                    v.orphans
                );
                for b in &v.bad {
                    outln!("  bad blob {b}");
                }
            }
            if !v.bad.is_empty() || v.orphans > 0 {
                bail!("the case failed verification");
            }
            Ok(())
        }
        Command::Synth {
            out,
            messages,
            seed,
            layouts,
            no_attachments,
            json,
        } => synth(out, messages, seed, layouts, no_attachments, json),
    }
}

fn synth(
    out: PathBuf,
    messages: usize,
    seed: u64,
    layouts: Vec<String>,
    no_attachments: bool,
    json: bool,
) -> Result<()> {
    let layouts = layouts
        .iter()
        .map(|l| {
            l.parse::<trove_synth::Layout>()
                .map_err(|e| anyhow::anyhow!("{e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    if layouts.is_empty() {
        bail!("no layouts given");
    }
    let cfg = trove_synth::SynthConfig {
        seed,
        messages,
        layouts,
        attachments: !no_attachments,
    };
    let started = std::time::Instant::now();
    let manifest =
        trove_synth::generate(&cfg, &out).with_context(|| format!("writing {}", out.display()))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&manifest)?);
    } else {
        outln!(
            "wrote {} logical messages as {} copies in {} files ({}) to {} in {:.1}s",
            manifest.logical_messages,
            manifest.copies,
            manifest.files,
            report::bytes(manifest.bytes),
            out.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn ingest(case: &Case, opts: &IngestOptions, json: bool, quiet: bool) -> Result<()> {
    let progress = Arc::new(Progress::default());
    let bar = if quiet || json {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ticker = {
        let (p, bar, done) = (progress.clone(), bar.clone(), done.clone());
        std::thread::spawn(move || {
            let started = std::time::Instant::now();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let secs = started.elapsed().as_secs_f64().max(0.001);
                let items = Progress::get(&p.items);
                let bytes = Progress::get(&p.bytes);
                bar.set_message(format!(
                    "{items} items ({:.0}/s), {} ({:.1} MB/s) · {} messages · {} duplicates · {} skipped · {} failed · {} indexed{}{}",
                    items as f64 / secs,
                    report::bytes(bytes),
                    bytes as f64 / secs / 1e6,
                    Progress::get(&p.messages),
                    Progress::get(&p.duplicates),
                    Progress::get(&p.skipped),
                    Progress::get(&p.failed),
                    Progress::get(&p.indexed),
                    match Progress::get(&p.already_done) {
                        0 => String::new(),
                        n => format!(" · {n} files already done"),
                    },
                    match Progress::get(&p.extract.total) {
                        0 => String::new(),
                        n => format!(" · extracting {}/{n} documents", Progress::get(&p.extract.done)),
                    }
                ));
                bar.tick();
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    };
    let result = trove_ingest::ingest(case, opts, &progress);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = ticker.join();
    bar.finish_and_clear();
    let summary = result.context("ingest failed")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        let outcomes: Vec<String> = summary
            .outcomes
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        outln!(
            "run {} ({}): {} in {:.1}s, {} read{}",
            summary.run,
            summary.source,
            if outcomes.is_empty() {
                "nothing new".to_owned()
            } else {
                outcomes.join(", ")
            },
            summary.seconds,
            report::bytes(summary.bytes),
            if summary.already_done > 0 {
                format!(", {} files already done", summary.already_done)
            } else {
                String::new()
            }
        );
        if let Some(e) = &summary.extraction_error {
            errln!("error: text extraction stopped ({e}); run `trove extract` to finish it");
        }
        if let Some(e) = &summary.index_error {
            errln!("error: the search index is behind the catalog: {e}");
        }
        if summary.index_failed > 0 {
            errln!(
                "warning: {} documents could not be indexed (see the log); run `trove reindex` after fixing the cause",
                summary.index_failed
            );
        }
        outln!(
            "see `trove report {}` for the completeness report",
            case.root().display()
        );
    }
    if !summary.succeeded() {
        // A stage that failed is never reported as success, in text or JSON.
        anyhow::bail!(
            "run {} did not finish every stage (status {})",
            summary.run,
            summary.status
        );
    }
    Ok(())
}
