//! The investigation web app: `trove serve`.
//!
//! One process serves one or more cases to a newsroom: a JSON API under `/api` (documented in
//! `ui/openapi.json`) and a browser UI that uses the same API. Accounts, sessions, grants and
//! the audit log live behind the storage boundary (`trove_store::server_state`, reached through
//! [`db`]); each case's tags and notes live in its catalog (`trove_store::annotations`). Every request is checked against the caller's role and grants ([`api`]); mail
//! HTML is sanitised so that nothing runs and nothing remote is fetched ([`html`]); every
//! response carries a strict Content-Security-Policy.

pub mod api;
pub mod auth;
pub mod db;
pub mod fair;
pub mod guard;
pub mod html;
mod ui;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use trove_index::SearchIndex;
use trove_query::Searchable;
use trove_store::Case;

pub use db::{Db, Role};
pub use guard::LoginPolicy;

/// Errors of the server, as HTTP answers.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("not logged in")]
    Unauthorized,
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    /// Refused for now (failed logins): try again after the given time.
    #[error("{0}")]
    TooManyRequests(String, Duration),
    /// Too busy to take the request now (the login queue is full).
    #[error("{0}")]
    Busy(String),
    #[error("internal error: {0}")]
    Internal(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Search(#[from] trove_query::SearchError),
    #[error(transparent)]
    Store(#[from] trove_store::StoreError),
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let status = match &self {
            ServerError::Unauthorized => StatusCode::UNAUTHORIZED,
            ServerError::Forbidden(_) => StatusCode::FORBIDDEN,
            ServerError::NotFound(_) => StatusCode::NOT_FOUND,
            ServerError::BadRequest(_)
            | ServerError::Search(trove_query::SearchError::Query(_))
            | ServerError::Search(trove_query::SearchError::Invalid(_)) => StatusCode::BAD_REQUEST,
            ServerError::Search(trove_query::SearchError::TooCostly(_)) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ServerError::Conflict(_) => StatusCode::CONFLICT,
            ServerError::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            ServerError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "request failed");
        }
        let body = match &self {
            ServerError::Search(trove_query::SearchError::Query(q)) => serde_json::json!({
                "error": q.message, "column": q.column(), "start": q.span.start, "end": q.span.end,
            }),
            ServerError::Search(trove_query::SearchError::TooCostly(q)) => serde_json::json!({
                "error": q.message, "too_costly": true,
                "column": q.column(), "start": q.span.start, "end": q.span.end,
                "part": q.query.get(q.span.start..q.span.end).unwrap_or(""),
            }),
            ServerError::TooManyRequests(m, wait) => serde_json::json!({
                "error": m, "retry_after": retry_secs(*wait),
            }),
            other => serde_json::json!({ "error": other.to_string() }),
        };
        let mut res = (status, axum::Json(body)).into_response();
        let retry = match &self {
            ServerError::TooManyRequests(_, wait) => Some(retry_secs(*wait)),
            ServerError::Busy(_) => Some(1),
            _ => None,
        };
        if let Some(secs) = retry {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// Whole seconds to wait, rounded up (Retry-After has no fractions).
fn retry_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The server's notion of now, so that tests can move it on (lockouts end with time).
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> Instant + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(Instant::now))
    }

    pub fn new(f: impl Fn() -> Instant + Send + Sync + 'static) -> Clock {
        Clock(Arc::new(f))
    }

    pub fn now(&self) -> Instant {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

/// What the server lets requests cost, and how it shares itself between users.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Catalog and index jobs at once (search slots); default one per core.
    pub slots: usize,
    /// Slots one user may hold at once; default half of them, at least one.
    pub per_user: usize,
    /// What one query may cost (clauses, expansions, time).
    pub query: trove_query::Bounds,
    /// Password hashes (argon2) at once, on a pool of their own; default half the cores.
    pub hashing: usize,
    /// Logins waiting for a hash at most; more are answered 503 at once.
    pub hashing_queue: usize,
    /// When failed logins lock an account or an address.
    pub login: LoginPolicy,
    pub clock: Clock,
}

impl Default for Limits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Limits {
            slots: cores,
            per_user: (cores / 2).max(1),
            query: trove_query::Bounds::STANDARD,
            hashing: (cores / 2).max(1),
            hashing_queue: 64,
            login: LoginPolicy::default(),
            clock: Clock::system(),
        }
    }
}

impl Limits {
    /// What trove did before it had bounds: any query runs to its end, and one user may hold
    /// every slot. Only for benchmarks that measure what the bounds are worth.
    pub fn unbounded() -> Limits {
        let d = Limits::default();
        Limits {
            per_user: d.slots,
            query: trove_query::Bounds::UNBOUNDED,
            ..d
        }
    }
}

/// A case being served: the case, its index (shared), and a pool of search handles.
pub struct CaseEntry {
    pub name: String,
    pub case: Case,
    pub index: Arc<SearchIndex>,
    facets: Arc<trove_query::FacetCache>,
    pool: Mutex<Vec<Searchable>>,
}

impl CaseEntry {
    pub fn open(name: String, case: Case) -> Result<Self, ServerError> {
        // Opening the catalog for writing adds tables a newer trove knows (tags, notes).
        case.catalog()?;
        let index = Arc::new(SearchIndex::for_case(&case).map_err(trove_query::SearchError::from)?);
        Ok(CaseEntry {
            name,
            case,
            index,
            facets: Arc::default(),
            pool: Mutex::new(Vec::new()),
        })
    }

    /// A search handle (a catalog connection of its own), back to the pool when dropped.
    pub fn searchable(self: &Arc<Self>) -> Result<Pooled, ServerError> {
        let pooled = self.pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let s = match pooled {
            Some(s) => s,
            None => Searchable::with_index(&self.case, self.index.clone(), self.facets.clone())?,
        };
        Ok(Pooled {
            entry: self.clone(),
            s: Some(s),
        })
    }
}

/// A search handle borrowed from a case's pool.
pub struct Pooled {
    entry: Arc<CaseEntry>,
    s: Option<Searchable>,
}

impl std::ops::Deref for Pooled {
    type Target = Searchable;
    fn deref(&self) -> &Searchable {
        self.s
            .as_ref()
            .unwrap_or_else(|| unreachable!("a pooled handle is only emptied on drop"))
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(s) = self.s.take() {
            let mut pool = self.entry.pool.lock().unwrap_or_else(|e| e.into_inner());
            if pool.len() < 32 {
                pool.push(s);
            }
        }
    }
}

/// Everything a request may need.
pub struct App {
    pub db: Db,
    pub cases: BTreeMap<String, Arc<CaseEntry>>,
    /// Set the `Secure` flag on cookies (serve behind HTTPS).
    pub secure_cookies: bool,
    pub limits: Limits,
    /// The search slots, shared fairly between users.
    pub(crate) work: Arc<fair::Fair>,
    /// The password-hashing pool (never the search slots), and logins waiting for it.
    pub(crate) hashing: Arc<tokio::sync::Semaphore>,
    pub(crate) hash_queue: AtomicUsize,
    pub(crate) logins: Arc<guard::LoginGuard>,
}

impl App {
    /// A user's requests running on the search slots and waiting for one.
    pub fn load(&self, user: &str) -> fair::Load {
        self.work.load(user)
    }

    /// Logins begun and not yet answered.
    pub fn logins_in_progress(&self) -> usize {
        self.logins.checking()
    }
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub data: PathBuf,
    pub cases: Vec<PathBuf>,
    pub addr: SocketAddr,
    pub secure_cookies: bool,
}

/// Opens the cases (named after their folders) and the server database.
pub fn app(
    data: &std::path::Path,
    cases: &[PathBuf],
    secure_cookies: bool,
) -> Result<Arc<App>, ServerError> {
    app_with(data, cases, secure_cookies, Limits::default())
}

/// [`app`] with other [`Limits`].
pub fn app_with(
    data: &std::path::Path,
    cases: &[PathBuf],
    secure_cookies: bool,
    limits: Limits,
) -> Result<Arc<App>, ServerError> {
    let db = Db::open(data)?;
    let mut map = BTreeMap::new();
    for path in cases {
        let case = Case::open(path)?;
        let name = path
            .canonicalize()?
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                ServerError::BadRequest(format!("{} has no folder name", path.display()))
            })?;
        if map.contains_key(&name) {
            return Err(ServerError::Conflict(format!(
                "two cases are named {name}; case folders must have different names"
            )));
        }
        map.insert(name.clone(), Arc::new(CaseEntry::open(name, case)?));
    }
    Ok(Arc::new(App {
        db,
        cases: map,
        secure_cookies,
        work: fair::Fair::new(limits.slots, limits.per_user),
        hashing: Arc::new(tokio::sync::Semaphore::new(limits.hashing.max(1))),
        hash_queue: AtomicUsize::new(0),
        logins: guard::LoginGuard::new(limits.login),
        limits,
    }))
}

/// The router: API, UI, and the security headers every response carries.
pub fn router(app: Arc<App>) -> axum::Router {
    api::routes()
        .merge(ui::routes())
        .layer(axum::middleware::map_response(security_headers))
        .with_state(app)
}

/// The CSP of the app's own pages: its own scripts and styles only, nothing remote.
pub const APP_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
     frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(APP_CSP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

/// Serves until interrupted.
pub async fn serve(opts: ServeOptions) -> Result<(), ServerError> {
    let app = app(&opts.data, &opts.cases, opts.secure_cookies)?;
    let listener = tokio::net::TcpListener::bind(opts.addr).await?;
    tracing::info!(addr = %opts.addr, cases = app.cases.len(), "serving");
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
