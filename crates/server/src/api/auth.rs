//! Logging in and out, the session, and the cases the caller may open.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::types::{CaseInfo, Done, LoginRequest, SessionInfo};
use super::{AppState, Caller, Res, hashing};
use crate::auth::{COOKIE, SESSION_TTL, random_token, token_hash};
use crate::db::{Role, User};
use crate::{App, ServerError};

pub(crate) async fn login(
    State(app): AppState,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Json(b): Json<LoginRequest>,
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
    let mut res = Json(session_info(&app, &u, &csrf)).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&set).map_err(|e| ServerError::Internal(e.to_string()))?,
    );
    Ok(res)
}

fn session_info(app: &App, u: &User, csrf: &str) -> SessionInfo {
    let cases = app
        .cases
        .keys()
        .filter(|c| u.role == Role::Admin || u.grants.contains(c))
        .cloned()
        .collect();
    SessionInfo {
        user: u.name.clone(),
        role: u.role,
        csrf: csrf.to_owned(),
        cases,
    }
}

pub(crate) async fn logout(State(app): AppState, c: Caller) -> Res<Response> {
    app.db.end_session(&c.token_hash)?;
    c.audit(&app, None, "logout", json!({}));
    let mut res = Json(Done { ok: true }).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("trove_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(res)
}

pub(crate) async fn session(State(app): AppState, c: Caller) -> Res<Json<SessionInfo>> {
    Ok(Json(session_info(&app, &c.user, &c.csrf)))
}

pub(crate) async fn cases(State(app): AppState, c: Caller) -> Res<Json<Vec<CaseInfo>>> {
    let mut out = Vec::new();
    for (name, entry) in &app.cases {
        if !c.may_see(name) {
            continue;
        }
        let documents = entry.index.searcher().map(|s| s.num_docs()).unwrap_or(0);
        out.push(CaseInfo {
            name: name.clone(),
            documents,
        });
    }
    Ok(Json(out))
}
