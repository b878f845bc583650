//! The JSON API. Every route checks the caller: a session (cookie), a CSRF token on anything
//! that changes state, a role allowed to do it, and a grant on the case it touches. Every
//! search, view, download and export is written to the audit log.
//!
//! The handlers are split by resource: [`auth`] (login, logout, the session, the case list),
//! [`search`] (search, count, graph, people, threads), [`export`], [`items`] (a message, its
//! HTML, raw bytes, attachments and extracted text), [`annotations`] (tags and notes) and
//! [`admin`] (accounts, grants, the audit log). Work on a case goes through [`InCase`]: the
//! role check, the case grant, the job on the search slots and the audit record, in that order,
//! written once here. The request and response bodies are the types of [`types`], which
//! `ui/openapi.json` documents.

pub mod admin;
pub mod annotations;
pub mod auth;
pub mod export;
pub mod items;
pub mod search;
pub mod types;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Query};
use axum::http::HeaderValue;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::token_hash;
use crate::db::{Role, User};
use crate::html;
use crate::{App, CaseEntry, ServerError};

pub(crate) type AppState = axum::extract::State<Arc<App>>;
pub(crate) type Res<T> = Result<T, ServerError>;

/// Every role: no role check, only the case grant.
pub(crate) const ANYONE: &[Role] = &[Role::Admin, Role::Reporter, Role::Viewer];
/// Those who change a case (tags, notes) or take data out of it (exports).
pub(crate) const REPORTERS: &[Role] = &[Role::Admin, Role::Reporter];
pub(crate) const ADMINS: &[Role] = &[Role::Admin];

pub fn routes() -> axum::Router<Arc<App>> {
    axum::Router::new()
        .route("/api/login", post(auth::login))
        .route("/api/logout", post(auth::logout))
        .route("/api/session", get(auth::session))
        .route("/api/cases", get(auth::cases))
        .route("/api/cases/{case}/search", get(search::search))
        .route("/api/cases/{case}/count", get(search::count))
        .route("/api/cases/{case}/export", get(export::export))
        .route("/api/cases/{case}/graph", get(search::graph))
        .route("/api/cases/{case}/people/{address}", get(search::person))
        .route("/api/cases/{case}/threads/{thread}", get(search::thread))
        .route("/api/cases/{case}/items/{item}", get(items::message))
        .route(
            "/api/cases/{case}/items/{item}/html",
            get(items::message_html),
        )
        .route("/api/cases/{case}/items/{item}/raw", get(items::raw))
        .route(
            "/api/cases/{case}/items/{item}/attachments/{part}",
            get(items::attachment),
        )
        .route(
            "/api/cases/{case}/items/{item}/attachments/{part}/text",
            get(items::attachment_text),
        )
        .route(
            "/api/cases/{case}/items/{item}/tags",
            post(annotations::add_tag),
        )
        .route(
            "/api/cases/{case}/items/{item}/tags/{tag}",
            delete(annotations::remove_tag),
        )
        .route(
            "/api/cases/{case}/items/{item}/notes",
            post(annotations::add_note),
        )
        .route(
            "/api/cases/{case}/items/{item}/text",
            get(items::document_text),
        )
        .route("/api/cases/{case}/tags", get(annotations::case_tags))
        .route("/api/cases/{case}/notes", get(annotations::case_notes))
        .route(
            "/api/admin/users",
            get(admin::users).post(admin::create_user),
        )
        .route(
            "/api/admin/users/{name}",
            axum::routing::patch(admin::update_user),
        )
        .route(
            "/api/admin/users/{name}/grants/{case}",
            put(admin::grant).delete(admin::revoke),
        )
        .route("/api/admin/audit", get(admin::audit_view))
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
    pub(crate) fn name(&self) -> &str {
        &self.user.name
    }

    /// The caller's role must be one of `allowed`; a refusal is audited as `denied`.
    pub(crate) fn require(&self, app: &App, allowed: &[Role]) -> Res<()> {
        if allowed.contains(&self.user.role) {
            Ok(())
        } else {
            self.audit(
                app,
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
    pub(crate) fn may_see(&self, name: &str) -> bool {
        self.user.role == Role::Admin || self.user.grants.iter().any(|g| g == name)
    }

    /// The case, if the caller may see it. Unknown and ungranted cases answer alike, so that
    /// case names do not leak.
    fn case(&self, app: &App, name: &str) -> Res<Arc<CaseEntry>> {
        match app.cases.get(name) {
            Some(c) if self.may_see(name) => Ok(c.clone()),
            _ => {
                // Attempts on cases without a grant are evidence too.
                self.audit(app, Some(name), "denied", json!({ "case": name }));
                Err(ServerError::NotFound(format!("case {name}")))
            }
        }
    }

    /// Work on a case: the caller's role must be one of `allowed` (else 403, audited), then
    /// the caller needs a grant on the case (else 404, audited).
    pub(crate) fn in_case<'a>(
        &'a self,
        app: &'a Arc<App>,
        case: &'a str,
        allowed: &[Role],
    ) -> Res<InCase<'a>> {
        self.require(app, allowed)?;
        let entry = self.case(app, case)?;
        Ok(InCase {
            app,
            caller: self,
            name: case,
            entry,
        })
    }

    /// Appends to the audit log as this caller; a failure to write is logged, not answered.
    pub(crate) fn audit(&self, app: &App, case: Option<&str>, action: &str, detail: Value) {
        if let Err(e) = app
            .db
            .audit(Some(self.name()), case, action, detail, self.ip.as_deref())
        {
            tracing::error!(error = %e, "could not write the audit log");
        }
    }
}

/// A case the caller may work on (see [`Caller::in_case`]).
pub(crate) struct InCase<'a> {
    pub app: &'a Arc<App>,
    pub caller: &'a Caller,
    pub name: &'a str,
    pub entry: Arc<CaseEntry>,
}

impl InCase<'_> {
    /// Runs `f` on the case off the async threads, on the caller's share of the search slots.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(Arc<CaseEntry>) -> Res<T> + Send + 'static,
    ) -> Res<T> {
        let entry = self.entry.clone();
        work(self.app, self.caller, move || f(entry)).await
    }

    /// [`InCase::run`], then the audit record of what was done, made from its result; nothing
    /// is recorded when `f` fails.
    pub async fn run_audited<T: Send + 'static>(
        &self,
        action: &str,
        f: impl FnOnce(Arc<CaseEntry>) -> Res<T> + Send + 'static,
        detail: impl FnOnce(&T) -> Value,
    ) -> Res<T> {
        let v = self.run(f).await?;
        self.audit(action, detail(&v));
        Ok(v)
    }

    /// An audit record on this case.
    pub fn audit(&self, action: &str, detail: Value) {
        self.caller.audit(self.app, Some(self.name), action, detail);
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
        let token = cookie(&parts.headers, crate::auth::COOKIE).ok_or(ServerError::Unauthorized)?;
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
pub(crate) async fn work<T: Send + 'static>(
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
pub(crate) async fn hashing<T: Send + 'static>(
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
pub(crate) struct Params(Vec<(String, String)>);

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
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub(crate) fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").to_owned()
    }

    /// A whole number from `min` to `max`.
    pub(crate) fn number(&self, name: &str, min: u64, max: u64) -> Res<Option<u64>> {
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
    pub(crate) fn signed(&self, name: &str) -> Res<Option<i64>> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        v.parse::<i64>().map(Some).map_err(|_| {
            ServerError::BadRequest(format!("{name}: '{}' is not a whole number", shown(v)))
        })
    }

    pub(crate) fn flag(&self, name: &str) -> Res<Option<bool>> {
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

pub(crate) fn item_number(v: &str) -> Res<i64> {
    path_number("item", v, &i64::MAX.to_string())
}

pub(crate) fn part_number(v: &str) -> Res<u32> {
    path_number("part", v, &u32::MAX.to_string())
}

/// The query of a request, `*` (everything) when empty.
pub(crate) fn or_everything(q: &str) -> String {
    if q.trim().is_empty() {
        "*".to_owned()
    } else {
        q.to_owned()
    }
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
