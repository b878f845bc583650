//! `trove bench http`: many reporters searching the web app at once.
//!
//! Starts the real server (the same router as `trove serve`) on a case, logs in N clients,
//! and has each send the UI's search request (one page, facets, snippets) from the search
//! mix for a fixed time. The baseline, in the same run, is the same requests through the
//! library by one thread with no HTTP: the ratio is what the server and the concurrency cost.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::bench::{MIX, percentile};

#[derive(Debug, Serialize)]
pub struct HttpBench {
    pub case: String,
    pub messages: u64,
    pub distinct_messages: u64,
    pub clients: usize,
    pub seconds: f64,
    pub requests: u64,
    pub errors: u64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The same requests by one thread through the library, no HTTP.
    pub library_p50_ms: f64,
    pub library_p99_ms: f64,
    /// Requests per second the library answers on one thread.
    pub library_requests_per_second: f64,
}

const USER: &str = "bench";
const PASSWORD: &str = "bench-password-not-secret";

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One client: logs in, then searches until `until`. Returns latencies (ms) and errors.
fn client(base: &str, case: &str, id: usize, until: Instant) -> (Vec<f64>, u64) {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build(),
    );
    let login = agent
        .post(&format!("{base}/api/login"))
        .send_json(serde_json::json!({ "user": USER, "password": PASSWORD }));
    let cookie = match login {
        Ok(r) if r.status() == 200 => r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned),
        _ => None,
    };
    let Some(cookie) = cookie else {
        return (Vec::new(), 1);
    };
    let (mut times, mut errors) = (Vec::new(), 0u64);
    let mut n = id;
    while Instant::now() < until {
        let q = &MIX[n % MIX.len()];
        // Most requests are first pages; some page deeper, as readers do.
        let offset = if n % 4 == 3 { 20 * (n % 7) } else { 0 };
        let url = format!(
            "{base}/api/cases/{case}/search?q={}&facets=true&offset={offset}&limit=20",
            url_encode(q.trove)
        );
        let t = Instant::now();
        match agent.get(&url).header("cookie", &cookie).call() {
            Ok(mut r) if r.status() == 200 => match r.body_mut().read_to_vec() {
                Ok(_) => times.push(t.elapsed().as_secs_f64() * 1000.0),
                Err(_) => errors += 1,
            },
            _ => errors += 1,
        }
        n += 1;
    }
    (times, errors)
}

pub fn http(case_dir: &Path, clients: usize, seconds: u64) -> Result<HttpBench> {
    let case_dir = case_dir
        .canonicalize()
        .with_context(|| format!("case {}", case_dir.display()))?;
    let case = trove_store::Case::open(&case_dir)?;
    let (messages, distinct): (i64, i64) = case.reader()?.connection().query_row(
        "SELECT COUNT(*), COUNT(DISTINCT content_key) FROM messages",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let name = case_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .context("case folder name")?;

    // Baseline: the library, one thread, the same requests, warm.
    let s = trove_query::Searchable::open(&case)?;
    let mut lib = Vec::new();
    let started = Instant::now();
    for round in 0..3 {
        for (i, q) in MIX.iter().enumerate() {
            let mut req = trove_query::search::Request::new(q.trove);
            req.facets = true;
            req.offset = if (i + round) % 4 == 3 { 20 } else { 0 };
            let t = Instant::now();
            s.search(&req)?;
            if round > 0 {
                lib.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
    }
    let lib_rps = (MIX.len() * 3) as f64 / started.elapsed().as_secs_f64();
    drop(s);
    lib.sort_by(f64::total_cmp);

    // The server, as `trove serve` runs it.
    let data = tempfile::tempdir()?;
    let db = trove_server::Db::open(data.path())?;
    db.add_user(USER, PASSWORD, trove_server::Role::Admin)?;
    drop(db);
    let app = trove_server::app(data.path(), std::slice::from_ref(&case_dir), false)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    rt.spawn(async move {
        let _ = axum::serve(
            listener,
            trove_server::router(app).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let base = format!("http://{addr}");

    let until = Instant::now() + Duration::from_secs(seconds);
    let t0 = Instant::now();
    let results: Vec<(Vec<f64>, u64)> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..clients)
            .map(|i| {
                sc.spawn({
                    let (base, name) = (&base, &name);
                    move || client(base, name, i, until)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or((Vec::new(), 1)))
            .collect()
    });
    let elapsed = t0.elapsed().as_secs_f64();
    rt.shutdown_timeout(Duration::from_secs(5));
    let errors: u64 = results.iter().map(|r| r.1).sum();
    let mut times: Vec<f64> = results.into_iter().flat_map(|r| r.0).collect();
    if times.is_empty() {
        bail!("no request succeeded ({errors} errors)");
    }
    times.sort_by(f64::total_cmp);
    Ok(HttpBench {
        case: case_dir.display().to_string(),
        messages: messages as u64,
        distinct_messages: distinct as u64,
        clients,
        seconds: elapsed,
        requests: times.len() as u64 + errors,
        errors,
        requests_per_second: times.len() as f64 / elapsed,
        p50_ms: percentile(&times, 0.5),
        p90_ms: percentile(&times, 0.9),
        p99_ms: percentile(&times, 0.99),
        max_ms: times.last().copied().unwrap_or(0.0),
        library_p50_ms: percentile(&lib, 0.5),
        library_p99_ms: percentile(&lib, 0.99),
        library_requests_per_second: lib_rps,
    })
}

pub fn print(b: &HttpBench) {
    println!(
        "case {}: {} messages ({} distinct)",
        b.case, b.messages, b.distinct_messages
    );
    println!(
        "{} clients searching for {:.0} s: {} requests, {} errors, {:.1} requests/s",
        b.clients, b.seconds, b.requests, b.errors, b.requests_per_second
    );
    println!(
        "latency under load: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        b.p50_ms, b.p90_ms, b.p99_ms, b.max_ms
    );
    println!(
        "baseline (library, one thread, no HTTP): p50 {:.1} ms, p99 {:.1} ms, {:.1} requests/s",
        b.library_p50_ms, b.library_p99_ms, b.library_requests_per_second
    );
    println!(
        "served throughput is {:.2}× the one-thread library's; p50 under load is {:.1}× the unloaded library p50",
        b.requests_per_second / b.library_requests_per_second.max(f64::MIN_POSITIVE),
        b.p50_ms / b.library_p50_ms.max(f64::MIN_POSITIVE)
    );
}
