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

/// Runs blocking work (search, catalog, blobs) off the async threads.
/// Runs catalog and index work off the async threads, at most one job per core at a time.
/// The queue is fair (first come, first served), so that under load every request waits its
/// turn instead of all of them slowing down together and the slowest waiting longest.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Res<T> + Send + 'static) -> Res<T> {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    let _turn = slots
        .acquire()
        .await
        .map_err(|e| ServerError::Internal(format!("worker slots: {e}")))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ServerError::Internal(format!("worker: {e}")))?
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
    let app2 = app.clone();
    let user = b.user.clone();
    let ok = blocking(move || {
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
    let ip = addr.ip().to_string();
    let Some(id) = ok else {
        let _ = app
            .db
            .audit(Some(&user), None, "login-failed", json!({}), Some(&ip));
        return Err(ServerError::Unauthorized);
    };
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

#[derive(Deserialize, Default)]
struct SearchParams {
    #[serde(default)]
    q: String,
    sort: Option<String>,
    offset: Option<usize>,
    limit: Option<usize>,
    facets: Option<bool>,
    copies: Option<bool>,
}

async fn search(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
    Query(p): Query<SearchParams>,
) -> Res<Json<Value>> {
    let entry = c.case(&app, &case)?;
    let sort = match p.sort.as_deref() {
        None => Sort::Relevance,
        Some(s) => s.parse::<Sort>().map_err(ServerError::BadRequest)?,
    };
    let req = Request {
        query: if p.q.trim().is_empty() {
            "*".into()
        } else {
            p.q.clone()
        },
        sort,
        offset: p.offset.unwrap_or(0),
        limit: p.limit.unwrap_or(20).clamp(1, 200),
        facets: p.facets.unwrap_or(false),
        snippets: true,
        copies: p.copies.unwrap_or(false),
    };
    let resp = blocking(move || Ok(entry.searchable()?.search(&req)?)).await?;
    audit(
        &app,
        &c,
        Some(&case),
        "search",
        json!({ "q": p.q, "total": resp.total, "offset": resp.offset }),
    );
    Ok(Json(json!(resp)))
}

async fn count(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
    Query(p): Query<SearchParams>,
) -> Res<Json<Value>> {
    let entry = c.case(&app, &case)?;
    let qs = p.q.clone();
    let n = blocking(move || {
        Ok(entry
            .searchable()?
            .count(if qs.trim().is_empty() { "*" } else { &qs })?)
    })
    .await?;
    Ok(Json(json!({ "count": n })))
}

#[derive(Deserialize)]
struct GraphParams {
    #[serde(default)]
    q: String,
    nodes: Option<usize>,
}

async fn graph(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
    Query(p): Query<GraphParams>,
) -> Res<Json<Value>> {
    let entry = c.case(&app, &case)?;
    let qs = if p.q.trim().is_empty() {
        "*".to_owned()
    } else {
        p.q.clone()
    };
    let n = p.nodes.unwrap_or(40).clamp(2, 200);
    let g =
        blocking(move || Ok(trove_query::explore::graph(&*entry.searchable()?, &qs, n)?)).await?;
    audit(&app, &c, Some(&case), "graph", json!({ "q": p.q }));
    Ok(Json(json!(g)))
}

async fn person(
    State(app): AppState,
    c: Caller,
    Path((case, address)): Path<(String, String)>,
) -> Res<Json<Value>> {
    let entry = c.case(&app, &case)?;
    let a = address.clone();
    let p = blocking(move || Ok(trove_query::explore::person(&*entry.searchable()?, &a)?)).await?;
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
    let nodes =
        blocking(move || Ok(trove_query::explore::thread(&*entry.searchable()?, &t)?)).await?;
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
    Path((case, item)): Path<(String, i64)>,
    Query(p): Query<MessageParams>,
) -> Res<Json<Value>> {
    let entry = c.case(&app, &case)?;
    let case_name = case.clone();
    let v = blocking(move || {
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
    Path((case, item)): Path<(String, i64)>,
) -> Res<Response> {
    let entry = c.case(&app, &case)?;
    let safe = blocking(move || {
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
    Path((case, item)): Path<(String, i64)>,
) -> Res<Response> {
    let entry = c.case(&app, &case)?;
    let stored = entry.case.clone();
    let (row, blob) = blocking(move || {
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
    Path((case, item, part)): Path<(String, i64, u32)>,
) -> Res<Response> {
    let entry = c.case(&app, &case)?;
    let (name, data, sha) = blocking(move || {
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
    Path((case, item, part)): Path<(String, i64, u32)>,
) -> Res<Response> {
    let entry = c.case(&app, &case)?;
    let text = blocking(move || {
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
    Path((case, item)): Path<(String, i64)>,
) -> Res<Response> {
    let entry = c.case(&app, &case)?;
    let text = blocking(move || {
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
    Path((case, item)): Path<(String, i64)>,
    Json(b): Json<TagBody>,
) -> Res<Json<Value>> {
    c.require(&app, &[Role::Admin, Role::Reporter])?;
    let entry = c.case(&app, &case)?;
    let tag = valid_tag(&b.tag)?;
    let (t, author) = (tag.clone(), c.name().to_owned());
    blocking(move || {
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
    Path((case, item, tag)): Path<(String, i64, String)>,
) -> Res<Json<Value>> {
    c.require(&app, &[Role::Admin, Role::Reporter])?;
    let entry = c.case(&app, &case)?;
    let tag = valid_tag(&tag)?;
    let t = tag.clone();
    blocking(move || {
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
    let v = blocking(move || {
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

#[derive(Deserialize, Default)]
struct NotesParams {
    author: Option<String>,
    limit: Option<usize>,
    /// Notes with a smaller id (paging back).
    before: Option<i64>,
}

/// The case's notes, newest first, with the message each is on.
async fn case_notes(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
    Query(p): Query<NotesParams>,
) -> Res<Json<Value>> {
    let entry = c.case(&app, &case)?;
    let author = p.author.clone();
    let v = blocking(move || {
        let s = entry.searchable()?;
        let limit = p.limit.unwrap_or(100).clamp(1, 1000) as i64;
        let rows: Vec<Value> = s
            .catalog
            .connection()
            .prepare(
                "SELECT n.id, n.author, n.created_at, n.text,
                        (SELECT MIN(m.item_id) FROM messages m WHERE m.content_key = n.content_key),
                        (SELECT m.subject FROM messages m WHERE m.content_key = n.content_key LIMIT 1)
                 FROM notes n WHERE (?1 IS NULL OR n.author = ?1) AND (?2 IS NULL OR n.id < ?2) ORDER BY n.id DESC LIMIT ?3",
            )?
            .query_map(rusqlite::params![p.author, p.before, limit], |r| {
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
    Path((case, item)): Path<(String, i64)>,
    Json(b): Json<NoteBody>,
) -> Res<Json<Value>> {
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
    let id = blocking(move || {
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
        blocking(move || {
            e2.searchable()?
                .query(&q2)
                .map(|_| ())
                .map_err(|e| ServerError::Search(e.into()))
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
    blocking(move || app2.db.add_user(&n, &p, role)).await?;
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
        blocking(move || app2.db.set_password(&n, &p)).await?;
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

#[derive(Deserialize)]
struct AuditParams {
    user: Option<String>,
    case: Option<String>,
    action: Option<String>,
    limit: Option<usize>,
    before: Option<i64>,
    format: Option<String>,
}

async fn audit_view(
    State(app): AppState,
    c: Caller,
    Query(p): Query<AuditParams>,
) -> Res<Response> {
    c.require(&app, &[Role::Admin])?;
    let csv = p.format.as_deref() == Some("csv");
    let limit = if csv {
        p.limit.unwrap_or(1_000_000)
    } else {
        p.limit.unwrap_or(200).min(5000)
    };
    let rows = app.db.audit_log(
        p.user.as_deref(),
        p.case.as_deref(),
        p.action.as_deref(),
        limit,
        p.before,
    )?;
    audit_log(&app, &c, json!({ "format": p.format, "rows": rows.len() }));
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
