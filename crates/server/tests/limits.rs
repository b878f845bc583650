//! The server under pressure, over real HTTP on a generated case: one user's heavy searches do
//! not hold every search slot (another user is served while they wait), failed logins lock an
//! account and an address (429 with Retry-After, the right password refused too, accepted once
//! the lockout has passed), and a flood of logins does not hold up searches (hashing runs on a
//! pool of its own). Assertions are on order and outcome, never on time.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use trove_ingest::{IngestOptions, Progress, ingest};
use trove_server::{App, Clock, Db, Limits, LoginPolicy, Role};
use trove_store::Case;
use trove_synth::{Layout, SynthConfig, generate};

const PASSWORD: &str = "correcto caballo batería grapa";

/// One generated case for every server of this file.
fn case_dir() -> &'static PathBuf {
    static C: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &C.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let leak = dir.path().join("leak");
        generate(
            &SynthConfig {
                seed: 7,
                messages: 700,
                layouts: vec![Layout::Maildir],
                attachments: true,
            },
            &leak,
        )
        .unwrap();
        let path = dir.path().join("caso");
        let case = Case::init(&path).unwrap();
        ingest(
            &case,
            &IngestOptions::new("SYNTH", vec![leak]),
            &Progress::default(),
        )
        .unwrap();
        (dir, path)
    })
    .1
}

struct Server {
    base: String,
    app: Arc<App>,
    _data: tempfile::TempDir,
}

/// A server of its own (its own accounts, limits and failure counts) on the shared case.
fn server(limits: Limits) -> Server {
    let data = tempfile::tempdir().unwrap();
    let db = Db::open(data.path()).unwrap();
    for (name, role) in [
        ("jefa", Role::Admin),
        ("vic", Role::Viewer),
        ("lola", Role::Reporter),
    ] {
        db.add_user(name, PASSWORD, role).unwrap();
        db.grant(name, "caso", true).unwrap();
    }
    drop(db);
    let app = trove_server::app_with(data.path(), &[case_dir().clone()], false, limits).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let router = trove_server::router(app.clone());
    std::thread::spawn(move || {
        rt.block_on(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        })
    });
    Server {
        base: format!("http://{addr}"),
        app,
        _data: data,
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build(),
    )
}

struct Answer {
    status: u16,
    retry_after: Option<u64>,
    body: Value,
}

fn login(base: &str, user: &str, password: &str) -> (Answer, Option<String>) {
    let mut r = agent()
        .post(&format!("{base}/api/login"))
        .send_json(json!({ "user": user, "password": password }))
        .unwrap();
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    let retry_after = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let status = r.status().as_u16();
    let body = r.body_mut().read_json::<Value>().unwrap_or(Value::Null);
    (
        Answer {
            status,
            retry_after,
            body,
        },
        cookie,
    )
}

fn session(base: &str, user: &str) -> String {
    let (a, cookie) = login(base, user, PASSWORD);
    assert_eq!(a.status, 200, "{user}: {}", a.body);
    cookie.unwrap()
}

fn get(base: &str, cookie: &str, path: &str) -> (u16, Value) {
    let mut r = agent()
        .get(&format!("{base}{path}"))
        .header("cookie", cookie)
        .call()
        .unwrap();
    let status = r.status().as_u16();
    (
        status,
        r.body_mut().read_json::<Value>().unwrap_or(Value::Null),
    )
}

/// Waits (polling) for a condition the test needs before it goes on; a condition never met
/// fails the test.
fn until(what: &str, f: impl Fn() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < Duration::from_secs(120), "never: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn two_slots() -> Limits {
    Limits {
        slots: 2,
        per_user: 1,
        hashing: 1,
        ..Limits::default()
    }
}

/// A viewer sends several heavy searches at once (pages of 1,000 results with snippets);
/// while they run and wait, an admin's search is served, long before the viewer's are all
/// answered. With one global queue (the old behaviour) the admin's search waited behind all
/// of them.
#[test]
fn one_users_heavy_searches_do_not_starve_another() {
    let s = server(two_slots());
    let vic = session(&s.base, "vic");
    let jefa = session(&s.base, "jefa");
    const HEAVY: usize = 8;
    let answered = Arc::new(AtomicUsize::new(0));
    let heavy: Vec<_> = (0..HEAVY)
        .map(|i| {
            let (base, cookie, answered) = (s.base.clone(), vic.clone(), answered.clone());
            std::thread::spawn(move || {
                let (status, _) = get(
                    &base,
                    &cookie,
                    &format!(
                        "/api/cases/caso/search?q=*&limit=1000&facets=true&sort={}",
                        ["newest", "oldest"][i % 2]
                    ),
                );
                answered.fetch_add(1, Ordering::SeqCst);
                status
            })
        })
        .collect();
    until("the viewer's searches are all running or waiting", || {
        let l = s.app.load("vic");
        l.running + l.waiting + answered.load(Ordering::SeqCst) == HEAVY
    });
    assert!(
        answered.load(Ordering::SeqCst) < HEAVY / 2,
        "the heavy searches are heavy enough to queue"
    );
    assert_eq!(s.app.load("vic").running, 1, "one slot for the viewer");
    let (status, r) = get(&s.base, &jefa, "/api/cases/caso/search?q=oficio&limit=5");
    assert_eq!(status, 200, "{r}");
    let done = answered.load(Ordering::SeqCst);
    assert!(
        done <= HEAVY / 2,
        "the admin was served while the viewer's searches waited ({done} of {HEAVY} answered)"
    );
    for h in heavy {
        assert_eq!(h.join().unwrap(), 200);
    }
}

/// A test clock: the server's now is the real start plus what the test adds.
fn manual_clock() -> (Clock, Arc<AtomicU64>) {
    let start = Instant::now();
    let add = Arc::new(AtomicU64::new(0));
    let a = add.clone();
    (
        Clock::new(move || start + Duration::from_secs(a.load(Ordering::SeqCst))),
        add,
    )
}

#[test]
fn failed_logins_lock_the_account_then_it_opens_again() {
    let (clock, later) = manual_clock();
    let s = server(Limits {
        login: LoginPolicy {
            account_failures: 4,
            address_failures: 50,
            lockout: Duration::from_secs(60),
            ..LoginPolicy::default()
        },
        clock,
        ..two_slots()
    });
    for i in 0..4 {
        let (a, _) = login(&s.base, "lola", "not her password");
        assert_eq!(a.status, 401, "guess {i}: {}", a.body);
    }
    // Locked: the right password is refused too, with when to come back.
    let (a, cookie) = login(&s.base, "lola", PASSWORD);
    assert_eq!(a.status, 429, "{}", a.body);
    assert!(cookie.is_none());
    assert_eq!(a.retry_after, Some(60));
    assert_eq!(a.body["retry_after"], 60);
    // Another account from the same address is not locked.
    session(&s.base, "vic");
    later.store(30, Ordering::SeqCst);
    assert_eq!(login(&s.base, "lola", PASSWORD).0.status, 429);
    later.store(61, Ordering::SeqCst);
    let (a, cookie) = login(&s.base, "lola", PASSWORD);
    assert_eq!(a.status, 200, "after the lockout: {}", a.body);
    assert!(cookie.is_some());
    // A success clears the account's failures.
    assert_eq!(login(&s.base, "lola", "wrong again").0.status, 401);
    assert_eq!(login(&s.base, "lola", PASSWORD).0.status, 200);
    // The lockout is in the audit log.
    let jefa = session(&s.base, "jefa");
    let (_, log) = get(&s.base, &jefa, "/api/admin/audit?action=login-locked");
    let entries = log.as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["user"], "lola");
    assert_eq!(entries[0]["detail"]["scope"], "account");
}

#[test]
fn failed_logins_from_one_address_lock_the_address() {
    let (clock, later) = manual_clock();
    let s = server(Limits {
        login: LoginPolicy {
            account_failures: 5,
            address_failures: 6,
            lockout: Duration::from_secs(20),
            ..LoginPolicy::default()
        },
        clock,
        ..two_slots()
    });
    for i in 0..6 {
        let (a, _) = login(&s.base, &format!("nadie{i}"), "x");
        assert_eq!(a.status, 401, "{i}");
    }
    let (a, _) = login(&s.base, "vic", PASSWORD);
    assert_eq!(
        a.status, 429,
        "every account from that address waits: {}",
        a.body
    );
    assert_eq!(a.retry_after, Some(20));
    later.store(21, Ordering::SeqCst);
    assert_eq!(login(&s.base, "vic", PASSWORD).0.status, 200);
}

/// A flood of logins, each a real password check, queued before a search: the search is
/// answered while most of them are still waiting for the hashing pool. When logins hashed on
/// the search slots (the old behaviour), the search waited behind every one of them.
#[test]
fn a_login_flood_does_not_hold_up_searches() {
    let s = server(Limits {
        login: LoginPolicy {
            account_failures: 1000,
            address_failures: 1000,
            ..LoginPolicy::default()
        },
        ..two_slots()
    });
    let vic = session(&s.base, "vic");
    const FLOOD: usize = 24;
    let answered = Arc::new(AtomicUsize::new(0));
    let flood: Vec<_> = (0..FLOOD)
        .map(|i| {
            let (base, answered) = (s.base.clone(), answered.clone());
            std::thread::spawn(move || {
                let status = login(&base, &format!("intruso{i}"), "adivina").0.status;
                answered.fetch_add(1, Ordering::SeqCst);
                status
            })
        })
        .collect();
    until("the flood is in", || {
        s.app.logins_in_progress() + answered.load(Ordering::SeqCst) == FLOOD
    });
    assert!(
        answered.load(Ordering::SeqCst) < FLOOD / 4,
        "the logins queue for the hashing pool"
    );
    let (status, r) = get(&s.base, &vic, "/api/cases/caso/search?q=oficio&limit=5");
    assert_eq!(status, 200, "{r}");
    let done = answered.load(Ordering::SeqCst);
    assert!(
        done <= FLOOD / 2,
        "the search was answered while most logins still waited ({done} of {FLOOD} answered)"
    );
    for h in flood {
        assert_eq!(h.join().unwrap(), 401);
    }
    assert_eq!(s.app.logins_in_progress(), 0);
}
