//! The server's own database: accounts, sessions, grants and the audit log. Cases keep their
//! data (and their tags and notes) in their own catalogs.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::ServerError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'reporter', 'viewer')),
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash  BLOB PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    csrf        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
    user_id   INTEGER NOT NULL REFERENCES users(id),
    case_name TEXT NOT NULL,
    PRIMARY KEY (user_id, case_name)
);
CREATE TABLE IF NOT EXISTS audit (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    user_name TEXT,
    case_name TEXT,
    action    TEXT NOT NULL,
    detail    TEXT,
    ip        TEXT
);
CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
";

/// A role and what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages accounts and grants, reads the audit log, sees every case.
    Admin,
    /// Searches, reads, exports, tags and annotates in granted cases.
    Reporter,
    /// Searches and reads in granted cases; no exports, tags or notes.
    Viewer,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "reporter" => Some(Role::Reporter),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Reporter => "reporter",
            Role::Viewer => "viewer",
        }
    }
}

/// An account.
#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
    pub grants: Vec<String>,
}

/// An audit record.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub user: Option<String>,
    pub case: Option<String>,
    pub action: String,
    pub detail: Option<serde_json::Value>,
    pub ip: Option<String>,
}

impl AuditEntry {
    /// The CSV header line of [`AuditEntry::csv_row`].
    pub const CSV_HEADER: &'static str = "id,at,user,case,action,detail,ip";

    /// One CSV line (RFC 4180 quoting), without the line end.
    pub fn csv_row(&self) -> String {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        format!(
            "{},{},{},{},{},{},{}",
            self.id,
            self.at,
            q(self.user.as_deref().unwrap_or("")),
            q(self.case.as_deref().unwrap_or("")),
            q(&self.action),
            q(&self
                .detail
                .as_ref()
                .map(|d| d.to_string())
                .unwrap_or_default()),
            q(self.ip.as_deref().unwrap_or(""))
        )
    }
}

/// The server database (one connection, serialised: writes are small and rare).
pub struct Db {
    conn: Mutex<Connection>,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Db {
    pub fn open(dir: &Path) -> Result<Db, ServerError> {
        std::fs::create_dir_all(dir)?;
        let conn = Connection::open(dir.join("server.sqlite"))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Db {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn add_user(&self, name: &str, password: &str, role: Role) -> Result<(), ServerError> {
        if name.is_empty()
            || name.len() > 64
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || "._-@".contains(c))
        {
            return Err(ServerError::BadRequest(
                "user names are letters, digits and . _ - @".into(),
            ));
        }
        check_password(password)?;
        let hash = crate::auth::hash_password(password)?;
        let n = self.conn().execute(
            "INSERT INTO users (name, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO NOTHING",
            params![name, hash, role.as_str(), now()],
        )?;
        if n == 0 {
            return Err(ServerError::Conflict(format!("user {name} exists")));
        }
        Ok(())
    }

    pub fn set_password(&self, name: &str, password: &str) -> Result<(), ServerError> {
        check_password(password)?;
        let hash = crate::auth::hash_password(password)?;
        let conn = self.conn();
        let n = conn.execute(
            "UPDATE users SET password_hash = ?2 WHERE name = ?1",
            params![name, hash],
        )?;
        if n == 0 {
            return Err(ServerError::NotFound(format!("user {name}")));
        }
        // A new password ends every session of the account.
        conn.execute(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)",
            [name],
        )?;
        Ok(())
    }

    pub fn set_role(&self, name: &str, role: Role) -> Result<(), ServerError> {
        let n = self.conn().execute(
            "UPDATE users SET role = ?2 WHERE name = ?1",
            params![name, role.as_str()],
        )?;
        if n == 0 {
            return Err(ServerError::NotFound(format!("user {name}")));
        }
        Ok(())
    }

    pub fn set_disabled(&self, name: &str, disabled: bool) -> Result<(), ServerError> {
        let conn = self.conn();
        let n = conn.execute(
            "UPDATE users SET disabled = ?2 WHERE name = ?1",
            params![name, disabled as i64],
        )?;
        if n == 0 {
            return Err(ServerError::NotFound(format!("user {name}")));
        }
        if disabled {
            conn.execute(
                "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)",
                [name],
            )?;
        }
        Ok(())
    }

    pub fn grant(&self, name: &str, case: &str, on: bool) -> Result<(), ServerError> {
        let conn = self.conn();
        let id: i64 = conn
            .query_row("SELECT id FROM users WHERE name = ?1", [name], |r| r.get(0))
            .optional()?
            .ok_or_else(|| ServerError::NotFound(format!("user {name}")))?;
        if on {
            conn.execute(
                "INSERT INTO grants (user_id, case_name) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![id, case],
            )?;
        } else {
            conn.execute(
                "DELETE FROM grants WHERE user_id = ?1 AND case_name = ?2",
                params![id, case],
            )?;
        }
        Ok(())
    }

    pub fn users(&self) -> Result<Vec<User>, ServerError> {
        let conn = self.conn();
        let mut st =
            conn.prepare("SELECT id, name, role, disabled, created_at FROM users ORDER BY name")?;
        let mut users: Vec<User> = st
            .query_map([], |r| {
                Ok(User {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    role: Role::parse(&r.get::<_, String>(2)?).unwrap_or(Role::Viewer),
                    disabled: r.get::<_, i64>(3)? != 0,
                    created_at: r.get(4)?,
                    grants: Vec::new(),
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut st =
            conn.prepare("SELECT case_name FROM grants WHERE user_id = ?1 ORDER BY case_name")?;
        for u in &mut users {
            u.grants = st
                .query_map([u.id], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
        }
        Ok(users)
    }

    pub fn user(&self, name: &str) -> Result<Option<User>, ServerError> {
        Ok(self.users()?.into_iter().find(|u| u.name == name))
    }

    /// The password hash and account of a user name, for logging in.
    pub fn credentials(&self, name: &str) -> Result<Option<(i64, String, bool)>, ServerError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, password_hash, disabled FROM users WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0)),
            )
            .optional()?)
    }

    pub fn create_session(
        &self,
        user_id: i64,
        token_hash: &[u8],
        csrf: &str,
        ttl_secs: i64,
    ) -> Result<(), ServerError> {
        let now = chrono::Utc::now().timestamp();
        let conn = self.conn();
        conn.execute("DELETE FROM sessions WHERE expires_at < ?1", [now])?;
        conn.execute(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_hash, user_id, csrf, now, now + ttl_secs],
        )?;
        Ok(())
    }

    /// The live session of a token hash: (user, csrf token).
    pub fn session(&self, token_hash: &[u8]) -> Result<Option<(User, String)>, ServerError> {
        let now = chrono::Utc::now().timestamp();
        let row: Option<(String, String)> = self
            .conn()
            .query_row(
                "SELECT u.name, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled = 0",
                params![token_hash, now],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((name, csrf)) = row else {
            return Ok(None);
        };
        Ok(self.user(&name)?.map(|u| (u, csrf)))
    }

    pub fn end_session(&self, token_hash: &[u8]) -> Result<(), ServerError> {
        self.conn()
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    /// Appends to the audit log.
    pub fn audit(
        &self,
        user: Option<&str>,
        case: Option<&str>,
        action: &str,
        detail: serde_json::Value,
        ip: Option<&str>,
    ) -> Result<(), ServerError> {
        self.conn().execute(
            "INSERT INTO audit (at, user_name, case_name, action, detail, ip) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![now(), user, case, action, detail.to_string(), ip],
        )?;
        Ok(())
    }

    /// Audit records, newest first, filtered by user, case and action.
    pub fn audit_log(
        &self,
        user: Option<&str>,
        case: Option<&str>,
        action: Option<&str>,
        limit: usize,
        before: Option<i64>,
    ) -> Result<Vec<AuditEntry>, ServerError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT id, at, user_name, case_name, action, detail, ip FROM audit
             WHERE (?1 IS NULL OR user_name = ?1) AND (?2 IS NULL OR case_name = ?2) AND (?3 IS NULL OR action = ?3)
               AND (?4 IS NULL OR id < ?4)
             ORDER BY id DESC LIMIT ?5",
        )?;
        let rows = st.query_map(params![user, case, action, before, limit as i64], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                user: r.get(2)?,
                case: r.get(3)?,
                action: r.get(4)?,
                detail: r
                    .get::<_, Option<String>>(5)?
                    .and_then(|d| serde_json::from_str(&d).ok()),
                ip: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn check_password(p: &str) -> Result<(), ServerError> {
    if p.chars().count() < 10 {
        return Err(ServerError::BadRequest(
            "passwords have at least 10 characters".into(),
        ));
    }
    Ok(())
}
