//! Administration, for admins only: accounts, grants and the audit log.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::types::{NewUserRequest, UserUpdateRequest};
use super::{ADMINS, AppState, Caller, Params, Res, hashing};
use crate::ServerError;
use crate::db::{AuditEntry, Role, User};

fn role(r: &str) -> Res<Role> {
    Role::parse(r)
        .ok_or_else(|| ServerError::BadRequest("role is admin, reporter or viewer".into()))
}

pub(crate) async fn users(State(app): AppState, c: Caller) -> Res<Json<Vec<User>>> {
    c.require(&app, ADMINS)?;
    Ok(Json(app.db.users()?))
}

pub(crate) async fn create_user(
    State(app): AppState,
    c: Caller,
    Json(b): Json<NewUserRequest>,
) -> Res<Json<Option<User>>> {
    c.require(&app, ADMINS)?;
    let r = role(&b.role)?;
    let app2 = app.clone();
    let (n, p) = (b.name.clone(), b.password);
    hashing(&app, move || app2.db.add_user(&n, &p, r)).await?;
    c.audit(
        &app,
        None,
        "user-create",
        json!({ "name": b.name, "role": b.role }),
    );
    Ok(Json(app.db.user(&b.name)?))
}

pub(crate) async fn update_user(
    State(app): AppState,
    c: Caller,
    Path(name): Path<String>,
    Json(b): Json<UserUpdateRequest>,
) -> Res<Json<Option<User>>> {
    c.require(&app, ADMINS)?;
    if let Some(r) = &b.role {
        app.db.set_role(&name, role(r)?)?;
    }
    if let Some(p) = b.password.clone() {
        let (app2, n) = (app.clone(), name.clone());
        hashing(&app, move || app2.db.set_password(&n, &p)).await?;
    }
    if let Some(d) = b.disabled {
        app.db.set_disabled(&name, d)?;
    }
    c.audit(
        &app,
        None,
        "user-update",
        json!({ "name": name, "role": b.role, "password_changed": b.password.is_some(), "disabled": b.disabled }),
    );
    Ok(Json(app.db.user(&name)?))
}

pub(crate) async fn grant(
    State(app): AppState,
    c: Caller,
    Path((name, case)): Path<(String, String)>,
) -> Res<Json<Option<User>>> {
    c.require(&app, ADMINS)?;
    if !app.cases.contains_key(&case) {
        return Err(ServerError::NotFound(format!("case {case}")));
    }
    app.db.grant(&name, &case, true)?;
    c.audit(&app, Some(&case), "grant", json!({ "name": name }));
    Ok(Json(app.db.user(&name)?))
}

pub(crate) async fn revoke(
    State(app): AppState,
    c: Caller,
    Path((name, case)): Path<(String, String)>,
) -> Res<Json<Option<User>>> {
    c.require(&app, ADMINS)?;
    app.db.grant(&name, &case, false)?;
    c.audit(&app, Some(&case), "revoke", json!({ "name": name }));
    Ok(Json(app.db.user(&name)?))
}

pub(crate) async fn audit_view(State(app): AppState, c: Caller, p: Params) -> Res<Response> {
    c.require(&app, ADMINS)?;
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
    c.audit(
        &app,
        None,
        "audit-view",
        json!({ "format": format, "rows": rows.len() }),
    );
    if csv {
        let mut out = format!("{}\n", AuditEntry::CSV_HEADER);
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
    Ok(Json(rows).into_response())
}
