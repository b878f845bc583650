//! The JSON API. Every route checks the caller: a session (cookie), a CSRF token on anything
//! that changes state, a role allowed to do it, and a grant on the case it touches. Every
//! search, view, download and export is written to the audit log.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};
use trove_formats::Limits;
use trove_formats::message::{DateHints, parse_message};
use trove_query::search::{Request, Sort};
use trove_store::query as q;

use crate::auth::{COOKIE, SESSION_TTL, random_token, token_hash};
use crate::db::{Role, User};
use crate::html::{self, Inline};
use crate::{App, CaseEntry, ServerError};

type AppState = State<Arc<App>>;
type Res<T> = Result<T, ServerError>;

pub fn routes() -> axum::Router<Arc<App>> {
    axum::Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/session", get(session))
        .route("/api/cases", get(cases))
        .route("/api/cases/{case}/search", get(search))
        .route("/api/cases/{case}/count", get(count))
        .route("/api/cases/{case}/export", get(export))
        .route("/api/cases/{case}/graph", get(graph))
        .route("/api/cases/{case}/people/{address}", get(person))
        .route("/api/cases/{case}/threads/{thread}", get(thread))
        .route("/api/cases/{case}/items/{item}", get(message))
        .route("/api/cases/{case}/items/{item}/html", get(message_html))
        .route("/api/cases/{case}/items/{item}/raw", get(raw))
        .route(
            "/api/cases/{case}/items/{item}/attachments/{part}",
            get(attachment),
        )
        .route(
            "/api/cases/{case}/items/{item}/attachments/{part}/text",
            get(attachment_text),
        )
        .route("/api/cases/{case}/items/{item}/tags", post(add_tag))
        .route(
            "/api/cases/{case}/items/{item}/tags/{tag}",
            delete(remove_tag),
        )
        .route("/api/cases/{case}/items/{item}/notes", post(add_note))
        .route("/api/cases/{case}/items/{item}/text", get(document_text))
        .route("/api/cases/{case}/tags", get(case_tags))
        .route("/api/cases/{case}/notes", get(case_notes))
        .route("/api/admin/users", get(users).post(create_user))
        .route("/api/admin/users/{name}", axum::routing::patch(update_user))
        .route(
            "/api/admin/users/{name}/grants/{case}",
            put(grant).delete(revoke),
        )
        .route("/api/admin/audit", get(audit_view))
        .route("/warn", get(warn))
}

/// The caller, from the session cookie; state-changing requests also carry the CSRF token.
pub struct Caller {
    pub user: User,
    pub csrf: String,
    pub token_hash: [u8; 32],
    pub ip: Option<String>,
}

impl Caller {
    fn name(&self) -> &str {
        &self.user.name
    }

    /// The caller's role must be one of `allowed`; a refusal is audited as `denied`.
    fn require(&self, app: &App, allowed: &[Role]) -> Res<()> {
        if allowed.contains(&self.user.role) {
            Ok(())
        } else {
            audit(
                app,
                self,
                None,
                "denied",
                json!({ "role": self.user.role.as_str(), "needs": allowed.iter().map(|r| r.as_str()).collect::<Vec<_>>() }),
            );
            Err(ServerError::Forbidden(format!(
                "a {} cannot do this",
                self.user.role.as_str()
            )))
        }
    }

    /// Whether the caller has a grant on the case (admins see every case).
    fn may_see(&self, name: &str) -> bool {
        self.user.role == Role::Admin || self.user.grants.iter().any(|g| g == name)
    }

    /// The case, if the caller may see it. Unknown and ungranted cases answer alike, so that
    /// case names do not leak.
    fn case(&self, app: &App, name: &str) -> Res<Arc<CaseEntry>> {
        match app.cases.get(name) {
            Some(c) if self.may_see(name) => Ok(c.clone()),
            _ => {
                // Attempts on cases without a grant are evidence too.
                audit(app, self, Some(name), "denied", json!({ "case": name }));
                Err(ServerError::NotFound(format!("case {name}")))
            }
        }
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

fn client_ip(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = ServerError;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, COOKIE).ok_or(ServerError::Unauthorized)?;
        let hash = token_hash(&token);
        let (user, csrf) = app.db.session(&hash)?.ok_or(ServerError::Unauthorized)?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !crate::auth::same(sent, &csrf) {
                return Err(ServerError::Forbidden("missing or wrong CSRF token".into()));
            }
        }
        Ok(Caller {
            user,
            csrf,
            token_hash: hash,
            ip: client_ip(parts),
        })
    }
}

/// Runs catalog and index work off the async threads, on the search slots: at most one job per
/// core at once, and at most a user's share of them for one user, the waiting users served in
/// turn (see [`crate::fair`]). So one user's heavy queries wait behind each other, not in front
/// of everyone else. The slot is held until the work ends, even if the client goes away.
async fn work<T: Send + 'static>(
    app: &App,
    c: &Caller,
    f: impl FnOnce() -> Res<T> + Send + 'static,
) -> Res<T> {
    let permit = app
        .work
        .acquire(c.name())
        .await
        .ok_or_else(|| ServerError::Internal("the search slots are gone".into()))?;
    tokio::task::spawn_blocking(move || {
        let _slot = permit;
        f()
    })
    .await
    .map_err(|e| ServerError::Internal(format!("worker: {e}")))?
}

/// Runs password hashing (argon2) on its own bounded pool, never on the search slots, so that
/// a flood of logins cannot slow searches down. Past `hashing_queue` logins waiting, the
/// server answers 503 at once rather than queueing without end.
async fn hashing<T: Send + 'static>(
    app: &App,
    f: impl FnOnce() -> Res<T> + Send + 'static,
) -> Res<T> {
    use std::sync::atomic::Ordering;
    struct Queued<'a>(&'a std::sync::atomic::AtomicUsize);
    impl Drop for Queued<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let before = app.hash_queue.fetch_add(1, Ordering::SeqCst);
    let _queued = Queued(&app.hash_queue);
    if before >= app.limits.hashing_queue {
        return Err(ServerError::Busy(
            "too many logins at once; try again in a moment".into(),
        ));
    }
    let permit = app
        .hashing
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ServerError::Internal(format!("hashing pool: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        f()
    })
    .await
    .map_err(|e| ServerError::Internal(format!("hashing: {e}")))?
}

/// The query string, read parameter by parameter, so that a value that cannot be used is
/// refused (400) with the parameter named and the range it must be in.
struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ServerError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|q| Params(q.0))
            .map_err(|e| ServerError::BadRequest(format!("the query string cannot be read: {e}")))
    }
}

/// A value as shown in an error: at most 40 characters.
fn shown(v: &str) -> String {
    let mut s: String = v.chars().take(40).collect();
    if s.len() < v.len() {
        s.push('…');
    }
    s
}

impl Params {
    /// The value of a parameter (the last, if given twice); empty counts as absent.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").to_owned()
    }

    /// A whole number from `min` to `max`.
    fn number(&self, name: &str, min: u64, max: u64) -> Res<Option<u64>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        match v.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ServerError::BadRequest(format!(
                "{name}: '{}' is not a whole number from {min} to {max}",
                shown(v)
            ))),
        }
    }

    /// Any whole number (an id to page before).
    fn signed(&self, name: &str) -> Res<Option<i64>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        v.parse::<i64>().map(Some).map_err(|_| {
            ServerError::BadRequest(format!("{name}: '{}' is not a whole number", shown(v)))
        })
    }

    fn flag(&self, name: &str) -> Res<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some("true" | "1") => Ok(Some(true)),
            Some("false" | "0") => Ok(Some(false)),
            Some(v) => Err(ServerError::BadRequest(format!(
                "{name}: '{}' is not true or false",
                shown(v)
            ))),
        }
    }
}

/// A number in the path (an item, an attachment part), refused by name when it is not one.
fn path_number<T: std::str::FromStr>(name: &str, v: &str, max: &str) -> Res<T> {
    v.parse::<T>()
        .ok()
        .filter(|_| !v.starts_with(['-', '+']))
        .ok_or_else(|| {
            ServerError::BadRequest(format!(
                "{name}: '{}' is not a whole number from 0 to {max}",
                shown(v)
            ))
        })
}

fn item_number(v: &str) -> Res<i64> {
    path_number("item", v, &i64::MAX.to_string())
}

fn part_number(v: &str) -> Res<u32> {
    path_number("part", v, &u32::MAX.to_string())
}

fn audit(app: &App, c: &Caller, case: Option<&str>, action: &str, detail: Value) {
    if let Err(e) = app
        .db
        .audit(Some(c.name()), case, action, detail, c.ip.as_deref())
    {
        tracing::error!(error = %e, "could not write the audit log");
    }
}

// ── sessions ────────────────────────────────────────────────────────────────────────────────

#[derive(Deserialize)]
struct LoginBody {
    user: String,
    password: String,
}

async fn login(
    State(app): AppState,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Json(b): Json<LoginBody>,
) -> Res<Response> {
    let ip = addr.ip().to_string();
    // Names longer than any account are cut: the guard's memory stays bounded.
    let tried: String = b.user.chars().take(128).collect();
    // Locked accounts and addresses are refused before any password is checked.
    let attempt = match app.logins.begin(&tried, &ip, app.limits.clock.now()) {
        Ok(a) => a,
        Err(wait) => {
            return Err(ServerError::TooManyRequests(
                format!(
                    "too many failed logins for this account or from this address; try again in {} s",
                    wait.as_secs().max(1)
                ),
                wait,
            ));
        }
    };
    let app2 = app.clone();
    let user = b.user.clone();
    let ok = hashing(&app, move || {
        let creds = app2.db.credentials(&b.user)?;
        Ok(match creds {
            Some((id, hash, false)) if crate::auth::verify_password(&b.password, &hash) => Some(id),
            Some(_) => None,
            None => {
                crate::auth::dummy_verify(&b.password);
                None
            }
        })
    })
    .await?;
    let Some(id) = ok else {
        let locked = app.logins.failed(attempt, app.limits.clock.now());
        let _ = app
            .db
            .audit(Some(&user), None, "login-failed", json!({}), Some(&ip));
        if let Some(l) = locked {
            tracing::warn!(user = %tried, ip = %ip, scope = l.scope.as_str(), failures = l.failures, "login locked");
            let _ = app.db.audit(
                Some(&user),
                None,
                "login-locked",
                json!({ "scope": l.scope.as_str(), "failures": l.failures, "seconds": l.for_.as_secs() }),
                Some(&ip),
            );
        }
        return Err(ServerError::Unauthorized);
    };
    app.logins.succeeded(attempt);
    let token = random_token()?;
    let csrf = random_token()?;
    app.db
        .create_session(id, &token_hash(&token), &csrf, SESSION_TTL)?;
    let _ = app
        .db
        .audit(Some(&user), None, "login", json!({}), Some(&ip));
    let secure = if app.secure_cookies { "; Secure" } else { "" };
    let set = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={SESSION_TTL}{secure}"
    );
    let u = app.db.user(&user)?.ok_or(ServerError::Unauthorized)?;
    let mut res = Json(session_json(&app, &u, &csrf)).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&set).map_err(|e| ServerError::Internal(e.to_string()))?,
    );
    Ok(res)
}

fn session_json(app: &App, u: &User, csrf: &str) -> Value {
    let cases: Vec<&String> = app
        .cases
        .keys()
        .filter(|c| u.role == Role::Admin || u.grants.contains(c))
        .collect();
    json!({ "user": u.name, "role": u.role, "csrf": csrf, "cases": cases })
}

async fn logout(State(app): AppState, c: Caller) -> Res<Response> {
    app.db.end_session(&c.token_hash)?;
    audit(&app, &c, None, "logout", json!({}));
    let mut res = Json(json!({ "ok": true })).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("trove_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(res)
}

async fn session(State(app): AppState, c: Caller) -> Res<Json<Value>> {
    Ok(Json(session_json(&app, &c.user, &c.csrf)))
}

async fn cases(State(app): AppState, c: Caller) -> Res<Json<Value>> {
    let mut out = Vec::new();
    for (name, entry) in &app.cases {
        if !c.may_see(name) {
            continue;
        }
        let docs = entry.index.searcher().map(|s| s.num_docs()).unwrap_or(0);
        out.push(json!({ "name": name, "documents": docs }));
    }
    Ok(Json(json!(out)))
}

// ── search ──────────────────────────────────────────────────────────────────────────────────

async fn search(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
    p: Params,
) -> Res<Json<Value>> {
    let entry = c.case(&app, &case)?;
    let sort = match p.get("sort") {
        None => Sort::Relevance,
        Some(s) => s
            .parse::<Sort>()
            .map_err(|e| ServerError::BadRequest(format!("sort: {e}")))?,
    };
    let offset = p.number("offset", 0, usize::MAX as u64)?.unwrap_or(0) as usize;
    let limit = p
        .number("limit", 1, trove_query::search::MAX_PAGE as u64)?
        .unwrap_or(20) as usize;
    let after = p.get("after").map(str::to_owned);
    if after.is_some() && offset > 0 {
        return Err(ServerError::BadRequest(
            "after: give either an offset or an after cursor, not both".into(),
        ));
    }
    let q = p.text("q");
    let req = Request {
        query: if q.trim().is_empty() {
            "*".into()
        } else {
            q.clone()
        },
        sort,
        offset,
        limit,
        after,
        facets: p.flag("facets")?.unwrap_or(false),
        snippets: true,
        copies: p.flag("copies")?.unwrap_or(false),
        bounds: app.limits.query,
    };
    let result = work(&app, &c, move || Ok(entry.searchable()?.search(&req)?)).await;
    match &result {
        Ok(resp) => audit(
            &app,
            &c,
            Some(&case),
            "search",
            json!({ "q": q, "total": resp.total, "offset": resp.offset }),
        ),
        // Queries refused as too costly are evidence too.
        Err(ServerError::Search(trove_query::SearchError::TooCostly(e))) => audit(
            &app,
            &c,
            Some(&case),
            "search-refused",
            json!({ "q": q, "reason": e.message }),
        ),
        Err(_) => {}
    }
    Ok(Json(json!(result?)))
}

async fn count(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
    p: Params,
) -> Res<Json<Value>> {
    let entry = c.case(&app, &case)?;
    let qs = p.text("q");
    let bounds = app.limits.query;
    let n = work(&app, &c, move || {
        Ok(entry
            .searchable()?
            .count_within(if qs.trim().is_empty() { "*" } else { &qs }, bounds)?)
    })
    .await?;
    Ok(Json(json!({ "count": n })))
}

async fn graph(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
    p: Params,
) -> Res<Json<Value>> {
    let entry = c.case(&app, &case)?;
    let q = p.text("q");
    let qs = if q.trim().is_empty() {
        "*".to_owned()
    } else {
        q.clone()
    };
    let n = p.number("nodes", 2, 200)?.unwrap_or(40) as usize;
    let bounds = app.limits.query;
    let g = work(&app, &c, move || {
        Ok(trove_query::explore::graph_within(
            &*entry.searchable()?,
            &qs,
            n,
            bounds,
        )?)
    })
    .await?;
    audit(&app, &c, Some(&case), "graph", json!({ "q": q }));
    Ok(Json(json!(g)))
}

async fn person(
    State(app): AppState,
    c: Caller,
    Path((case, address)): Path<(String, String)>,
) -> Res<Json<Value>> {
    let entry = c.case(&app, &case)?;
    let a = address.clone();
    let p = work(&app, &c, move || {
        Ok(trove_query::explore::person(&*entry.searchable()?, &a)?)
    })
    .await?;
    audit(
        &app,
        &c,
        Some(&case),
        "person",
        json!({ "address": address }),
    );
    Ok(Json(json!(p)))
}

async fn thread(
    State(app): AppState,
    c: Caller,
    Path((case, thread)): Path<(String, String)>,
) -> Res<Json<Value>> {
    let entry = c.case(&app, &case)?;
    let t = thread.clone();
    let nodes = work(&app, &c, move || {
        Ok(trove_query::explore::thread(&*entry.searchable()?, &t)?)
    })
    .await?;
    if nodes.is_empty() {
        return Err(ServerError::NotFound(format!("thread {thread}")));
    }
    audit(&app, &c, Some(&case), "thread", json!({ "thread": thread }));
    Ok(Json(json!({ "thread": thread, "messages": nodes })))
}

// ── messages ────────────────────────────────────────────────────────────────────────────────

/// An item of the case, with its stored bytes for parsing when it has them: whole under 32
/// MiB, else their start (see `Case::read_message`; the flag says whether they are whole).
fn load_item(s: &trove_query::Searchable, item: i64) -> Res<(q::ItemRow, Option<(Vec<u8>, bool)>)> {
    let row =
        q::item(&s.catalog, item)?.ok_or_else(|| ServerError::NotFound(format!("item {item}")))?;
    let bytes = match stored_sha(&row)? {
        Some(k) => Some(s.case.read_message(&s.catalog, &k)?),
        None => None,
    };
    Ok((row, bytes))
}

/// The SHA-256 of an item's stored bytes, when it has them (stored, or a duplicate of stored
/// bytes).
fn stored_sha(row: &q::ItemRow) -> Res<Option<[u8; 32]>> {
    let (Some(sha), "stored" | "duplicate") = (&row.sha256, row.outcome.as_str()) else {
        return Ok(None);
    };
    let mut k = [0u8; 32];
    hex::decode_to_slice(sha, &mut k).map_err(|_| ServerError::Internal("bad sha256".into()))?;
    Ok(Some(k))
}

#[derive(Deserialize, Default)]
struct MessageParams {
    raw_headers: Option<bool>,
}

async fn message(
    State(app): AppState,
    c: Caller,
    Path((case, item)): Path<(String, String)>,
    Query(p): Query<MessageParams>,
) -> Res<Json<Value>> {
    let item = item_number(&item)?;
    let entry = c.case(&app, &case)?;
    let case_name = case.clone();
    let v = work(&app, &c, move || {
        let s = entry.searchable()?;
        let (row, bytes) = load_item(&s, item)?;
        let chain = q::ancestry(&s.catalog, item)?;
        let children = q::children(&s.catalog, item)?;
        let mut v = json!({ "item": row, "provenance": chain, "children": children, "case": case_name });
        // A document outside any message: what extraction made of it.
        if row.message.is_none()
            && let Some(k) = row.sha256.as_deref().and_then(|h| hex::decode(h).ok()) {
                v["extraction"] = json!(trove_store::extraction::extraction(&s.catalog, &k)?);
            }
        let (Some(mid), Some((bytes, whole))) = (row.message, bytes) else { return Ok(v) };
        let m = q::message(&s.catalog, mid)?;
        let atts = q::attachments(&s.catalog, mid)?;
        let copies = q::copies(&s.catalog, mid)?;
        let parsed = parse_message(&bytes, &Limits::default(), DateHints::default(), !whole);
        let safe = parsed.html.as_deref().map(|h| html::sanitise(h, &inline_images(&parsed)));
        let key = m.as_ref().map(|m| m.content_key.clone()).unwrap_or_default();
        let kb = hex::decode(&key).unwrap_or_default();
        let conn = s.catalog.connection();
        let thread: Option<String> = conn.query_row("SELECT thread FROM messages WHERE id = ?1", [mid], |r| r.get(0)).unwrap_or(None);
        let tags: Vec<Value> = conn
            .prepare_cached("SELECT tag, author, created_at FROM tags WHERE content_key = ?1 ORDER BY tag")?
            .query_map([&kb], |r| Ok(json!({ "tag": r.get::<_, String>(0)?, "author": r.get::<_, Option<String>>(1)?, "at": r.get::<_, String>(2)? })))?
            .collect::<Result<_, _>>()?;
        let notes: Vec<Value> = conn
            .prepare_cached("SELECT id, author, created_at, text FROM notes WHERE content_key = ?1 ORDER BY id")?
            .query_map([&kb], |r| {
                Ok(json!({ "id": r.get::<_, i64>(0)?, "author": r.get::<_, Option<String>>(1)?, "at": r.get::<_, String>(2)?, "text": r.get::<_, String>(3)? }))
            })?
            .collect::<Result<_, _>>()?;
        let addresses: Vec<Value> = conn
            .prepare_cached("SELECT role, name, address FROM addresses WHERE message = ?1 ORDER BY pos")?
            .query_map([mid], |r| Ok(json!({ "role": r.get::<_, String>(0)?, "name": r.get::<_, Option<String>>(1)?, "address": r.get::<_, Option<String>>(2)? })))?
            .collect::<Result<_, _>>()?;
        v["message"] = json!(m);
        v["addresses"] = json!(addresses);
        v["headers"] = json!(parsed.headers.iter().map(|h| json!({ "name": h.name, "value": h.value })).collect::<Vec<_>>());
        if p.raw_headers.unwrap_or(false) {
            let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").or_else(|| bytes.windows(2).position(|w| w == b"\n\n")).unwrap_or(bytes.len());
            v["raw_headers"] = json!(String::from_utf8_lossy(&bytes[..end]));
        }
        v["text"] = json!(parsed.text);
        v["has_html"] = json!(safe.is_some());
        v["remote_images"] = json!(safe.as_ref().map(|s| s.remote_images.clone()).unwrap_or_default());
        v["links"] = json!(safe.as_ref().map(|s| s.links.clone()).unwrap_or_default());
        v["remote"] = json!(safe.as_ref().map(|s| s.remote.clone()).unwrap_or_default());
        // Each attachment with what extraction made of it (text length, flags, metadata).
        let atts: Vec<Value> = atts
            .into_iter()
            .map(|a| {
                let ex = hex::decode(&a.sha256).ok().and_then(|k| trove_store::extraction::extraction(&s.catalog, &k).ok().flatten());
                let mut v = json!(a);
                v["extraction"] = json!(ex);
                v
            })
            .collect();
        v["attachments"] = json!(atts);
        v["copies"] = json!(copies);
        v["thread"] = json!(thread);
        v["tags"] = json!(tags);
        v["notes"] = json!(notes);
        Ok(v)
    })
    .await?;
    audit(&app, &c, Some(&case), "view", json!({ "item": item }));
    Ok(Json(v))
}

fn inline_images(p: &trove_formats::message::ParsedMessage) -> Inline {
    p.attachments
        .iter()
        .filter_map(|a| {
            a.content_id
                .clone()
                .map(|cid| (cid, (a.mime.clone(), a.data.clone())))
        })
        .collect()
}

async fn message_html(
    State(app): AppState,
    c: Caller,
    Path((case, item)): Path<(String, String)>,
) -> Res<Response> {
    let item = item_number(&item)?;
    let entry = c.case(&app, &case)?;
    let safe = work(&app, &c, move || {
        let s = entry.searchable()?;
        let (_, bytes) = load_item(&s, item)?;
        let (bytes, whole) =
            bytes.ok_or_else(|| ServerError::NotFound("no stored bytes".into()))?;
        let parsed = parse_message(&bytes, &Limits::default(), DateHints::default(), !whole);
        let html = parsed
            .html
            .as_deref()
            .ok_or_else(|| ServerError::NotFound("no HTML body".into()))?;
        Ok(html::sanitise(html, &inline_images(&parsed)))
    })
    .await?;
    let mut res = (StatusCode::OK, safe.html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(html::MAIL_CSP),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    Ok(res)
}

/// A file to download: never rendered by the browser.
fn download(bytes: impl Into<Body>, name: &str) -> Response {
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let mut res = (StatusCode::OK, bytes.into()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    // An ASCII fallback name, and the real name (RFC 6266 / RFC 5987) for browsers.
    let utf8: String = name
        .bytes()
        .take(400)
        .map(|b| {
            if b.is_ascii_alphanumeric() || b".-_".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{clean}\"; filename*=UTF-8''{utf8}"
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    res
}

async fn raw(
    State(app): AppState,
    c: Caller,
    Path((case, item)): Path<(String, String)>,
) -> Res<Response> {
    let item = item_number(&item)?;
    let entry = c.case(&app, &case)?;
    let stored = entry.case.clone();
    let (row, blob) = work(&app, &c, move || {
        let s = entry.searchable()?;
        let row = q::item(&s.catalog, item)?
            .ok_or_else(|| ServerError::NotFound(format!("item {item}")))?;
        let blob = match stored_sha(&row)? {
            Some(k) => s.catalog.blob(&k)?,
            None => None,
        };
        Ok((row, blob))
    })
    .await?;
    let blob = blob.ok_or_else(|| ServerError::NotFound("no stored bytes".into()))?;
    audit(
        &app,
        &c,
        Some(&case),
        "download",
        json!({ "item": item, "sha256": row.sha256 }),
    );
    let ext = if row.message.is_some() { "eml" } else { "bin" };
    let size = blob.size;
    let mut res = download(stream_blob(stored, blob), &format!("trove-{item}.{ext}"));
    res.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    Ok(res)
}

/// A stored blob sent as it is read, 256 KiB at a time on a blocking thread: a download holds
/// a chunk in memory, not the file (a stored message can be gigabytes).
fn stream_blob(case: trove_store::Case, blob: trove_store::BlobRef) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(4);
    tokio::task::spawn_blocking(move || {
        let mut r = match case.blob_dir().open(&blob) {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        };
        loop {
            let mut buf = vec![0u8; 256 << 10];
            match std::io::Read::read(&mut r, &mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.blocking_send(Ok(buf)).is_err() {
                        break; // the client went away
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    break;
                }
            }
        }
    });
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }))
}

async fn attachment(
    State(app): AppState,
    c: Caller,
    Path((case, item, part)): Path<(String, String, String)>,
) -> Res<Response> {
    let (item, part) = (item_number(&item)?, part_number(&part)?);
    let entry = c.case(&app, &case)?;
    let (name, data, sha) = work(&app, &c, move || {
        let (_, bytes) = load_item(&*entry.searchable()?, item)?;
        let (bytes, whole) =
            bytes.ok_or_else(|| ServerError::NotFound("no stored bytes".into()))?;
        let parsed = parse_message(&bytes, &Limits::default(), DateHints::default(), !whole);
        let a = parsed
            .attachments
            .into_iter()
            .find(|a| a.part == part)
            .ok_or_else(|| ServerError::NotFound(format!("part {part}")))?;
        Ok((
            a.name.unwrap_or_else(|| format!("part-{part}")),
            a.data,
            hex::encode(a.sha256),
        ))
    })
    .await?;
    audit(
        &app,
        &c,
        Some(&case),
        "download-attachment",
        json!({ "item": item, "part": part, "sha256": sha }),
    );
    Ok(download(data, &name))
}

/// Extracted text, as UTF-8 plain text.
fn plain_text(text: String) -> Response {
    let mut r = text.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The text extraction made of an attachment (plain text; pages separated by form feeds).
async fn attachment_text(
    State(app): AppState,
    c: Caller,
    Path((case, item, part)): Path<(String, String, String)>,
) -> Res<Response> {
    let (item, part) = (item_number(&item)?, part_number(&part)?);
    let entry = c.case(&app, &case)?;
    let text = work(&app, &c, move || {
        let s = entry.searchable()?;
        let row = load_item(&s, item)?.0;
        let mid = row
            .message
            .ok_or_else(|| ServerError::NotFound(format!("item {item} is not a message")))?;
        let a = q::attachments(&s.catalog, mid)?
            .into_iter()
            .find(|a| a.part == part)
            .ok_or_else(|| ServerError::NotFound(format!("part {part}")))?;
        s.document_text(&a.sha256)
            .ok_or_else(|| ServerError::NotFound(format!("no text extracted from part {part}")))
    })
    .await?;
    audit(
        &app,
        &c,
        Some(&case),
        "view-attachment-text",
        json!({ "item": item, "part": part }),
    );
    Ok(plain_text(text))
}

/// The text extracted from a loose document (an item outside any message).
async fn document_text(
    State(app): AppState,
    c: Caller,
    Path((case, item)): Path<(String, String)>,
) -> Res<Response> {
    let item = item_number(&item)?;
    let entry = c.case(&app, &case)?;
    let text = work(&app, &c, move || {
        let s = entry.searchable()?;
        let row = q::item(&s.catalog, item)?
            .ok_or_else(|| ServerError::NotFound(format!("item {item}")))?;
        let sha = row
            .sha256
            .ok_or_else(|| ServerError::NotFound(format!("item {item} has no stored bytes")))?;
        s.document_text(&sha)
            .ok_or_else(|| ServerError::NotFound(format!("no text extracted from item {item}")))
    })
    .await?;
    audit(
        &app,
        &c,
        Some(&case),
        "view-document-text",
        json!({ "item": item }),
    );
    Ok(plain_text(text))
}

// ── tags and notes ──────────────────────────────────────────────────────────────────────────

#[derive(Deserialize)]
struct TagBody {
    tag: String,
}

fn content_key(s: &trove_query::Searchable, item: i64) -> Res<Vec<u8>> {
    s.catalog
        .connection()
        .query_row(
            "SELECT m.content_key FROM items i JOIN messages m ON m.id = i.message WHERE i.id = ?1",
            [item],
            |r| r.get(0),
        )
        .map_err(|_| ServerError::NotFound(format!("message {item}")))
}

fn valid_tag(t: &str) -> Res<String> {
    let t = t.trim();
    if t.is_empty()
        || t.len() > 64
        || !t
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.:/".contains(c))
    {
        return Err(ServerError::BadRequest(
            "tags are 1–64 letters, digits or - _ . : /".into(),
        ));
    }
    Ok(t.to_lowercase())
}

async fn add_tag(
    State(app): AppState,
    c: Caller,
    Path((case, item)): Path<(String, String)>,
    Json(b): Json<TagBody>,
) -> Res<Json<Value>> {
    let item = item_number(&item)?;
    c.require(&app, &[Role::Admin, Role::Reporter])?;
    let entry = c.case(&app, &case)?;
    let tag = valid_tag(&b.tag)?;
    let (t, author) = (tag.clone(), c.name().to_owned());
    work(&app, &c, move || {
        let s = entry.searchable()?;
        let key = content_key(&s, item)?;
        let cat = entry.case.catalog()?;
        cat.connection().execute(
            "INSERT INTO tags (content_key, tag, author, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            rusqlite::params![key, t, author, trove_store::catalog::now()],
        )?;
        Ok(())
    })
    .await?;
    audit(
        &app,
        &c,
        Some(&case),
        "tag",
        json!({ "item": item, "tag": tag }),
    );
    Ok(Json(json!({ "tag": tag })))
}

async fn remove_tag(
    State(app): AppState,
    c: Caller,
    Path((case, item, tag)): Path<(String, String, String)>,
) -> Res<Json<Value>> {
    let item = item_number(&item)?;
    c.require(&app, &[Role::Admin, Role::Reporter])?;
    let entry = c.case(&app, &case)?;
    let tag = valid_tag(&tag)?;
    let t = tag.clone();
    work(&app, &c, move || {
        let s = entry.searchable()?;
        let key = content_key(&s, item)?;
        entry.case.catalog()?.connection().execute(
            "DELETE FROM tags WHERE content_key = ?1 AND tag = ?2",
            rusqlite::params![key, t],
        )?;
        Ok(())
    })
    .await?;
    audit(
        &app,
        &c,
        Some(&case),
        "untag",
        json!({ "item": item, "tag": tag }),
    );
    Ok(Json(json!({ "removed": tag })))
}

/// Every tag of the case with how many messages carry it.
async fn case_tags(State(app): AppState, c: Caller, Path(case): Path<String>) -> Res<Json<Value>> {
    let entry = c.case(&app, &case)?;
    let v = work(&app, &c, move || {
        let s = entry.searchable()?;
        let rows: Vec<Value> = s
            .catalog
            .connection()
            .prepare("SELECT tag, COUNT(*), MAX(created_at) FROM tags GROUP BY tag ORDER BY COUNT(*) DESC, tag")?
            .query_map([], |r| Ok(json!({ "tag": r.get::<_, String>(0)?, "count": r.get::<_, i64>(1)?, "last_at": r.get::<_, String>(2)? })))?
            .collect::<Result<_, _>>()?;
        Ok(json!(rows))
    })
    .await?;
    Ok(Json(v))
}

/// The case's notes, newest first, with the message each is on.
async fn case_notes(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
    p: Params,
) -> Res<Json<Value>> {
    let entry = c.case(&app, &case)?;
    let author = p.get("author").map(str::to_owned);
    let limit = p.number("limit", 1, 1000)?.unwrap_or(100) as i64;
    // Notes with a smaller id (paging back).
    let before = p.signed("before")?;
    let a2 = author.clone();
    let v = work(&app, &c, move || {
        let s = entry.searchable()?;
        let rows: Vec<Value> = s
            .catalog
            .connection()
            .prepare(
                "SELECT n.id, n.author, n.created_at, n.text,
                        (SELECT MIN(m.item_id) FROM messages m WHERE m.content_key = n.content_key),
                        (SELECT m.subject FROM messages m WHERE m.content_key = n.content_key LIMIT 1)
                 FROM notes n WHERE (?1 IS NULL OR n.author = ?1) AND (?2 IS NULL OR n.id < ?2) ORDER BY n.id DESC LIMIT ?3",
            )?
            .query_map(rusqlite::params![a2, before, limit], |r| {
                Ok(json!({
                    "id": r.get::<_, i64>(0)?, "author": r.get::<_, Option<String>>(1)?, "at": r.get::<_, String>(2)?,
                    "text": r.get::<_, String>(3)?, "item": r.get::<_, Option<i64>>(4)?, "subject": r.get::<_, Option<String>>(5)?,
                }))
            })?
            .collect::<Result<_, _>>()?;
        Ok(json!(rows))
    })
    .await?;
    audit(&app, &c, Some(&case), "notes", json!({ "author": author }));
    Ok(Json(v))
}

#[derive(Deserialize)]
struct NoteBody {
    text: String,
}

async fn add_note(
    State(app): AppState,
    c: Caller,
    Path((case, item)): Path<(String, String)>,
    Json(b): Json<NoteBody>,
) -> Res<Json<Value>> {
    let item = item_number(&item)?;
    c.require(&app, &[Role::Admin, Role::Reporter])?;
    let entry = c.case(&app, &case)?;
    let text = b.text.trim().to_owned();
    if text.is_empty() || text.len() > 20_000 {
        return Err(ServerError::BadRequest(
            "a note has 1 to 20,000 characters".into(),
        ));
    }
    let author = c.name().to_owned();
    let t = text.clone();
    let id = work(&app, &c, move || {
        let s = entry.searchable()?;
        let key = content_key(&s, item)?;
        let cat = entry.case.catalog()?;
        cat.connection().execute(
            "INSERT INTO notes (content_key, author, created_at, text) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![key, author, trove_store::catalog::now(), t],
        )?;
        Ok(cat.connection().last_insert_rowid())
    })
    .await?;
    audit(
        &app,
        &c,
        Some(&case),
        "note",
        json!({ "item": item, "note": id }),
    );
    Ok(Json(json!({ "id": id, "author": c.name(), "text": text })))
}

// ── export ──────────────────────────────────────────────────────────────────────────────────

#[derive(Deserialize)]
struct ExportParams {
    #[serde(default)]
    q: String,
    format: Option<String>,
    copies: Option<bool>,
}

/// A writer that hands chunks to an async body.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>,
    buf: Vec<u8>,
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= 256 << 10 {
            self.flush()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            let chunk = std::mem::take(&mut self.buf);
            self.tx
                .blocking_send(Ok(chunk))
                .map_err(|_| std::io::Error::other("client went away"))?;
        }
        Ok(())
    }
}

async fn export(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
    Query(p): Query<ExportParams>,
) -> Res<Response> {
    c.require(&app, &[Role::Admin, Role::Reporter])?;
    let entry = c.case(&app, &case)?;
    let format: trove_query::export::Format = p
        .format
        .as_deref()
        .unwrap_or("jsonl")
        .parse()
        .map_err(ServerError::BadRequest)?;
    let qs = if p.q.trim().is_empty() {
        "*".to_owned()
    } else {
        p.q.clone()
    };
    // Refuse a bad query now, with its error, rather than midway through a download.
    {
        let e2 = entry.clone();
        let q2 = qs.clone();
        work(&app, &c, move || {
            e2.searchable()?
                .query(&q2)
                .map(|_| ())
                .map_err(ServerError::Search)
        })
        .await?;
    }
    audit(
        &app,
        &c,
        Some(&case),
        "export",
        json!({ "q": p.q, "format": p.format.as_deref().unwrap_or("jsonl"), "copies": p.copies.unwrap_or(false) }),
    );
    let copies = p.copies.unwrap_or(false);
    let (ctype, ext) = match format {
        trove_query::export::Format::Jsonl => ("application/x-ndjson", "jsonl"),
        trove_query::export::Format::Csv => ("text/csv; charset=utf-8", "csv"),
        trove_query::export::Format::Mbox => ("application/mbox", "mbox"),
        trove_query::export::Format::Zip => ("application/zip", "zip"),
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(8);
    tokio::task::spawn_blocking(move || {
        let result = (|| -> Res<()> {
            let s = entry.searchable()?;
            if format == trove_query::export::Format::Zip {
                // A zip needs to seek: build it in a temporary file, then stream that.
                let tmp = tempfile_in(&entry.case.tmp_dir())?;
                trove_query::export::export_zip(&s, &qs, copies, tmp.reopen()?)?;
                let mut f = tmp.reopen()?;
                let mut w = ChannelWriter {
                    tx: tx.clone(),
                    buf: Vec::new(),
                };
                std::io::copy(&mut f, &mut w)?;
                std::io::Write::flush(&mut w)?;
            } else {
                let mut w = ChannelWriter {
                    tx: tx.clone(),
                    buf: Vec::new(),
                };
                trove_query::export::export(&s, &qs, format, copies, &mut w)?;
                std::io::Write::flush(&mut w)?;
            }
            Ok(())
        })();
        if let Err(e) = result {
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let stream = tokio_stream(rx);
    let mut res = Response::new(Body::from_stream(stream));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"trove-{case}-export.{ext}\""
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

fn tempfile_in(dir: &std::path::Path) -> Res<TempFile> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("export-{}.zip", random_token()?));
    std::fs::File::create(&path)?;
    Ok(TempFile { path })
}

/// A temporary file removed when dropped.
struct TempFile {
    path: std::path::PathBuf,
}

impl TempFile {
    fn reopen(&self) -> std::io::Result<std::fs::File> {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&self.path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn tokio_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

// ── administration ──────────────────────────────────────────────────────────────────────────

async fn users(State(app): AppState, c: Caller) -> Res<Json<Value>> {
    c.require(&app, &[Role::Admin])?;
    Ok(Json(json!(app.db.users()?)))
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
    password: String,
    role: String,
}

async fn create_user(State(app): AppState, c: Caller, Json(b): Json<NewUser>) -> Res<Json<Value>> {
    c.require(&app, &[Role::Admin])?;
    let role = Role::parse(&b.role)
        .ok_or_else(|| ServerError::BadRequest("role is admin, reporter or viewer".into()))?;
    let app2 = app.clone();
    let (n, p) = (b.name.clone(), b.password);
    hashing(&app, move || app2.db.add_user(&n, &p, role)).await?;
    audit(
        &app,
        &c,
        None,
        "user-create",
        json!({ "name": b.name, "role": b.role }),
    );
    Ok(Json(json!(app.db.user(&b.name)?)))
}

#[derive(Deserialize)]
struct UserUpdate {
    role: Option<String>,
    password: Option<String>,
    disabled: Option<bool>,
}

async fn update_user(
    State(app): AppState,
    c: Caller,
    Path(name): Path<String>,
    Json(b): Json<UserUpdate>,
) -> Res<Json<Value>> {
    c.require(&app, &[Role::Admin])?;
    if let Some(r) = &b.role {
        let role = Role::parse(r)
            .ok_or_else(|| ServerError::BadRequest("role is admin, reporter or viewer".into()))?;
        app.db.set_role(&name, role)?;
    }
    if let Some(p) = b.password.clone() {
        let (app2, n) = (app.clone(), name.clone());
        hashing(&app, move || app2.db.set_password(&n, &p)).await?;
    }
    if let Some(d) = b.disabled {
        app.db.set_disabled(&name, d)?;
    }
    audit(
        &app,
        &c,
        None,
        "user-update",
        json!({ "name": name, "role": b.role, "password_changed": b.password.is_some(), "disabled": b.disabled }),
    );
    Ok(Json(json!(app.db.user(&name)?)))
}

async fn grant(
    State(app): AppState,
    c: Caller,
    Path((name, case)): Path<(String, String)>,
) -> Res<Json<Value>> {
    c.require(&app, &[Role::Admin])?;
    if !app.cases.contains_key(&case) {
        return Err(ServerError::NotFound(format!("case {case}")));
    }
    app.db.grant(&name, &case, true)?;
    audit(&app, &c, Some(&case), "grant", json!({ "name": name }));
    Ok(Json(json!(app.db.user(&name)?)))
}

async fn revoke(
    State(app): AppState,
    c: Caller,
    Path((name, case)): Path<(String, String)>,
) -> Res<Json<Value>> {
    c.require(&app, &[Role::Admin])?;
    app.db.grant(&name, &case, false)?;
    audit(&app, &c, Some(&case), "revoke", json!({ "name": name }));
    Ok(Json(json!(app.db.user(&name)?)))
}

async fn audit_view(State(app): AppState, c: Caller, p: Params) -> Res<Response> {
    c.require(&app, &[Role::Admin])?;
    let format = p.get("format").map(str::to_owned);
    let csv = format.as_deref() == Some("csv");
    let limit = if csv {
        p.number("limit", 1, 1_000_000)?.unwrap_or(1_000_000)
    } else {
        p.number("limit", 1, 5000)?.unwrap_or(200)
    } as usize;
    let before = p.signed("before")?;
    let (user, case, action) = (p.get("user"), p.get("case"), p.get("action"));
    let rows = app.db.audit_log(user, case, action, limit, before)?;
    audit_log(&app, &c, json!({ "format": format, "rows": rows.len() }));
    if csv {
        let mut out = format!("{}\n", crate::db::AuditEntry::CSV_HEADER);
        for r in rows {
            out.push_str(&r.csv_row());
            out.push('\n');
        }
        let mut res = (StatusCode::OK, out).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        res.headers_mut().insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"trove-audit.csv\""),
        );
        return Ok(res);
    }
    Ok(Json(json!(rows)).into_response())
}

fn audit_log(app: &App, c: &Caller, detail: Value) {
    audit(app, c, None, "audit-view", detail);
}

#[derive(Deserialize)]
struct WarnParams {
    u: String,
}

/// The page in front of every link found in a mail.
async fn warn(Query(p): Query<WarnParams>) -> Response {
    let mut res = (StatusCode::OK, html::warn_page(&p.u)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res
}
