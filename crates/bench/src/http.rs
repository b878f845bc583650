//! `trove bench http`: many reporters searching the web app at once.
//!
//! Starts the real server (the same router as `trove serve`) on a case, logs in N clients,
//! and has each send the UI's search request (one page, facets, snippets) from the search
//! mix for a fixed time. The baseline, in the same run, is the same requests through the
//! library by one thread with no HTTP: the ratio is what the server and the concurrency cost.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::{Context, Result};
use serde::Serialize;

use crate::search::{MIX, percentile};

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
    client_as(base, case, USER, id, until)
}

/// A logged-in agent, or `None` when the login fails.
fn logged_in(base: &str, user: &str, timeout: Duration) -> Option<(ureq::Agent, String)> {
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build(),
    );
    // Many clients logging in at once from one address may be asked to wait (429): they do,
    // as a browser's user would.
    for _ in 0..10 {
        let login = agent
            .post(&format!("{base}/api/login"))
            .send_json(serde_json::json!({ "user": user, "password": PASSWORD }));
        match login {
            Ok(r) if r.status() == 200 => {
                let cookie = r
                    .headers()
                    .get("set-cookie")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(';').next())
                    .map(str::to_owned)?;
                return Some((agent, cookie));
            }
            Ok(r) if r.status() == 429 || r.status() == 503 => {
                let wait = r
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(1u64);
                std::thread::sleep(Duration::from_secs(wait.min(5)));
            }
            _ => return None,
        }
    }
    None
}

/// [`client`] as a given user.
fn client_as(base: &str, case: &str, user: &str, id: usize, until: Instant) -> (Vec<f64>, u64) {
    let Some((agent, cookie)) = logged_in(base, user, Duration::from_secs(60)) else {
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
    let trove_store::read::MessageCounts { messages, distinct } =
        trove_store::CatalogRead::message_counts(&case.reader()?)?;
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
    let (rt, base) = serve(app)?;

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
        messages,
        distinct_messages: distinct,
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

impl std::fmt::Display for HttpBench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self;
        writeln!(
            f,
            "case {}: {} messages ({} distinct)",
            b.case, b.messages, b.distinct_messages
        )?;
        writeln!(
            f,
            "{} clients searching for {:.0} s: {} requests, {} errors, {:.1} requests/s",
            b.clients, b.seconds, b.requests, b.errors, b.requests_per_second
        )?;
        writeln!(
            f,
            "latency under load: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            b.p50_ms, b.p90_ms, b.p99_ms, b.max_ms
        )?;
        writeln!(
            f,
            "baseline (library, one thread, no HTTP): p50 {:.1} ms, p99 {:.1} ms, {:.1} requests/s",
            b.library_p50_ms, b.library_p99_ms, b.library_requests_per_second
        )?;
        writeln!(
            f,
            "served throughput is {:.2}× the one-thread library's; p50 under load is {:.1}× the unloaded library p50",
            b.requests_per_second / b.library_requests_per_second.max(f64::MIN_POSITIVE),
            b.p50_ms / b.library_p50_ms.max(f64::MIN_POSITIVE)
        )?;
        Ok(())
    }
}

/// `trove bench http --heavy`: one viewer sends the costly queries of issue 18 (200 `*x*`
/// wildcards; 2,000 fuzzy words) on two connections while `clients` other users search the
/// mix, first with the server's bounds and fair slots, then without them (every query runs to
/// its end, one user may hold every slot: what trove did before). The others' latencies are
/// the measure.
#[derive(Debug, Serialize)]
pub struct HeavyBench {
    pub case: String,
    pub messages: u64,
    pub clients: usize,
    pub seconds_per_phase: u64,
    /// With bounds and fair slots.
    pub bounded: Phase,
    /// Without (the old behaviour).
    pub unbounded: Phase,
    /// The others' p99 without the bounds over with them.
    pub p99_ratio: f64,
    pub p50_ratio: f64,
}

#[derive(Debug, Default, Serialize)]
pub struct Phase {
    pub requests: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The heavy viewer's requests: answered (after running to the end), refused (422), and
    /// cut off by the client at the end of the phase.
    pub heavy_answered: u64,
    pub heavy_refused: u64,
    pub heavy_cut: u64,
}

const HEAVY_USER: &str = "pesado";

/// One client's latencies (ms) and errors.
type Latencies = (Vec<f64>, u64);
/// The heavy viewer's requests on one connection: answered, refused, cut off.
type HeavyOutcome = (u64, u64, u64);

fn heavy_queries() -> Vec<String> {
    vec![
        vec!["*x*"; 200].join(" "),
        (0..2000)
            .map(|i| format!("dato{i}~2"))
            .collect::<Vec<_>>()
            .join(" "),
    ]
}

fn phase(
    case_dir: &Path,
    name: &str,
    clients: usize,
    seconds: u64,
    limits: trove_server::Limits,
) -> Result<Phase> {
    let data = tempfile::tempdir()?;
    let db = trove_server::Db::open(data.path())?;
    for i in 0..clients {
        let u = format!("lector{i}");
        db.add_user(&u, PASSWORD, trove_server::Role::Viewer)?;
        db.grant(&u, name, true)?;
    }
    db.add_user(HEAVY_USER, PASSWORD, trove_server::Role::Viewer)?;
    db.grant(HEAVY_USER, name, true)?;
    drop(db);
    let app = trove_server::app_with(data.path(), &[case_dir.to_path_buf()], false, limits)?;
    let (rt, base) = serve(app)?;
    let queries = heavy_queries();
    let until = Instant::now() + Duration::from_secs(seconds);
    let (others, heavy): (Vec<Latencies>, Vec<HeavyOutcome>) = std::thread::scope(|sc| {
        let heavy: Vec<_> = (0..2)
            .map(|i| {
                let (base, name, queries) = (&base, name, &queries);
                sc.spawn(move || {
                    let (mut answered, mut refused, mut cut) = (0, 0, 0);
                    // Each request may run at most to the end of the phase.
                    let left = until.saturating_duration_since(Instant::now());
                    let Some((agent, cookie)) = logged_in(base, HEAVY_USER, left) else {
                        return (0, 0, 1);
                    };
                    let mut n = i;
                    while Instant::now() < until {
                        let url = format!(
                            "{base}/api/cases/{name}/search?q={}",
                            url_encode(&queries[n % queries.len()])
                        );
                        match agent.get(&url).header("cookie", &cookie).call() {
                            Ok(mut r) => {
                                let _ = r.body_mut().read_to_vec();
                                match r.status().as_u16() {
                                    200 => answered += 1,
                                    422 => refused += 1,
                                    _ => cut += 1,
                                }
                            }
                            Err(_) => cut += 1,
                        }
                        n += 1;
                    }
                    (answered, refused, cut)
                })
            })
            .collect();
        let others: Vec<_> = (0..clients)
            .map(|i| {
                let (base, name) = (&base, name);
                sc.spawn(move || client_as(base, name, &format!("lector{i}"), i, until))
            })
            .collect();
        (
            others
                .into_iter()
                .map(|h| h.join().unwrap_or((Vec::new(), 1)))
                .collect(),
            heavy
                .into_iter()
                .map(|h| h.join().unwrap_or((0, 0, 1)))
                .collect(),
        )
    });
    // The unbounded server may still be running a heavy query the client gave up on.
    rt.shutdown_timeout(Duration::from_secs(1));
    let errors: u64 = others.iter().map(|r| r.1).sum();
    let mut times: Vec<f64> = others.into_iter().flat_map(|r| r.0).collect();
    times.sort_by(f64::total_cmp);
    Ok(Phase {
        requests: times.len() as u64 + errors,
        errors,
        p50_ms: percentile(&times, 0.5),
        p90_ms: percentile(&times, 0.9),
        p99_ms: percentile(&times, 0.99),
        max_ms: times.last().copied().unwrap_or(0.0),
        heavy_answered: heavy.iter().map(|h| h.0).sum(),
        heavy_refused: heavy.iter().map(|h| h.1).sum(),
        heavy_cut: heavy.iter().map(|h| h.2).sum(),
    })
}

pub fn heavy(case_dir: &Path, clients: usize, seconds: u64) -> Result<HeavyBench> {
    let case_dir = case_dir
        .canonicalize()
        .with_context(|| format!("case {}", case_dir.display()))?;
    let case = trove_store::Case::open(&case_dir)?;
    let messages = trove_store::CatalogRead::message_counts(&case.reader()?)?.distinct;
    let name = case_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .context("case folder name")?;
    // Bounded first: the unbounded phase leaves heavy queries running after it ends.
    let bounded = phase(
        &case_dir,
        &name,
        clients,
        seconds,
        trove_server::Limits::default(),
    )?;
    let unbounded = phase(
        &case_dir,
        &name,
        clients,
        seconds,
        trove_server::Limits::unbounded(),
    )?;
    if bounded.p99_ms == 0.0 || unbounded.p99_ms == 0.0 {
        bail!("no search of the other clients succeeded in a phase");
    }
    Ok(HeavyBench {
        case: case_dir.display().to_string(),
        messages,
        clients,
        seconds_per_phase: seconds,
        p99_ratio: unbounded.p99_ms / bounded.p99_ms,
        p50_ratio: unbounded.p50_ms / bounded.p50_ms,
        bounded,
        unbounded,
    })
}

impl std::fmt::Display for HeavyBench {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self;
        writeln!(f, "case {}: {} distinct messages", b.case, b.messages)?;
        writeln!(
            f,
            "one viewer sends 200 `*x*` wildcards / 2,000 fuzzy words on 2 connections; {} other users search the mix; {} s per phase",
            b.clients, b.seconds_per_phase
        )?;
        for (label, p) in [
            ("without bounds (old)", &b.unbounded),
            ("with bounds + fair slots", &b.bounded),
        ] {
            writeln!(
                f,
                "{label:>26}: others {} requests, {} errors, p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; heavy: {} answered, {} refused, {} cut off",
                p.requests,
                p.errors,
                p.p50_ms,
                p.p90_ms,
                p.p99_ms,
                p.max_ms,
                p.heavy_answered,
                p.heavy_refused,
                p.heavy_cut
            )?;
        }
        writeln!(
            f,
            "the others' p99 is {:.1}× lower with the bounds (p50 {:.1}×)",
            b.p99_ratio, b.p50_ratio
        )?;
        Ok(())
    }
}

/// The app served on a loopback port, as `trove serve` serves it: the runtime (keep it alive)
/// and the base URL.
fn serve(app: std::sync::Arc<trove_server::App>) -> Result<(tokio::runtime::Runtime, String)> {
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
    Ok((rt, format!("http://{addr}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_percent_encoded_for_the_url() {
        assert_eq!(
            url_encode("to:a@b.mx AND \"zona militar\"~ ñ"),
            "to%3Aa%40b.mx%20AND%20%22zona%20militar%22~%20%C3%B1"
        );
        assert_eq!(url_encode("contrat*"), "contrat%2A");
    }
}
