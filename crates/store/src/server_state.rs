//! The web server's own state: accounts, sessions, per-case grants and the audit log.
//!
//! Cases keep their data (and their tags and notes, see [`crate::annotations`]) in their own
//! catalogs; this is what the server keeps beside them. It is reached through the object-safe
//! [`ServerStore`] trait so that several web servers can share one store; [`SqliteServerStore`]
//! is the default, one SQLite file (`server.sqlite`) in the server's data folder.
//!
//! The store holds what it is given: checking user names and passwords and hashing passwords
//! are the server's job. Operations that address an account by name say whether it exists
//! (`Ok(false)` / `Ok(None)`) rather than failing, so that callers choose their own answer.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::StoreError;

/// The file of [`SqliteServerStore`] in the server's data folder.
pub const SERVER_DB_FILE: &str = "server.sqlite";

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

/// An account, with the cases it is granted (sorted by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
    pub grants: Vec<String>,
}

/// What logging in checks of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user_id: i64,
    /// The PHC string of the password hash, as stored.
    pub password_hash: String,
    pub disabled: bool,
}

/// A live session: its account and its CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub csrf: String,
}

/// A record to append to the audit log (the store stamps the time).
#[derive(Debug, Clone, Copy)]
pub struct NewAudit<'a> {
    pub user: Option<&'a str>,
    pub case: Option<&'a str>,
    pub action: &'a str,
    pub detail: &'a serde_json::Value,
    pub ip: Option<&'a str>,
}

/// Which audit records to list: newest first, each filter applied when given.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditFilter<'a> {
    pub user: Option<&'a str>,
    pub case: Option<&'a str>,
    pub action: Option<&'a str>,
    pub limit: usize,
    /// Only records with a smaller id (paging back).
    pub before: Option<i64>,
}

/// An audit record.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// The server's state, shared by every web server of a deployment. Times of sessions are Unix
/// seconds given by the caller, so that expiry does not depend on the store's clock.
pub trait ServerStore: Send + Sync {
    /// Adds an account; `Ok(false)` when the name is taken (nothing is changed).
    fn create_user(&self, name: &str, password_hash: &str, role: Role) -> Result<bool, StoreError>;
    /// Replaces an account's password hash and ends its sessions; `Ok(false)`: no such account.
    fn set_password_hash(&self, name: &str, password_hash: &str) -> Result<bool, StoreError>;
    /// `Ok(false)`: no such account.
    fn set_role(&self, name: &str, role: Role) -> Result<bool, StoreError>;
    /// Disabling also ends the account's sessions; `Ok(false)`: no such account.
    fn set_disabled(&self, name: &str, disabled: bool) -> Result<bool, StoreError>;
    /// Grants (`on`) or revokes a case; either is idempotent. `Ok(false)`: no such account.
    fn set_grant(&self, name: &str, case: &str, on: bool) -> Result<bool, StoreError>;
    /// Every account, by name.
    fn users(&self) -> Result<Vec<User>, StoreError>;
    fn user(&self, name: &str) -> Result<Option<User>, StoreError>;
    fn credentials(&self, name: &str) -> Result<Option<Credentials>, StoreError>;
    /// Starts a session at `now` that lives `ttl_secs`; sessions expired at `now` are dropped.
    fn create_session(
        &self,
        user_id: i64,
        token_hash: &[u8],
        csrf: &str,
        now: i64,
        ttl_secs: i64,
    ) -> Result<(), StoreError>;
    /// The session of a token hash, if it is live at `now` and its account is enabled.
    fn session(&self, token_hash: &[u8], now: i64) -> Result<Option<Session>, StoreError>;
    fn end_session(&self, token_hash: &[u8]) -> Result<(), StoreError>;
    fn append_audit(&self, record: &NewAudit<'_>) -> Result<(), StoreError>;
    fn audit_log(&self, filter: &AuditFilter<'_>) -> Result<Vec<AuditEntry>, StoreError>;
}

/// [`ServerStore`] on one SQLite database (one connection, serialised: writes are small and rare).
pub struct SqliteServerStore {
    conn: Mutex<Connection>,
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl SqliteServerStore {
    /// Opens (creating if needed) `server.sqlite` in `dir`.
    pub fn open(dir: &Path) -> Result<SqliteServerStore, StoreError> {
        std::fs::create_dir_all(dir)?;
        let conn = Connection::open(dir.join(SERVER_DB_FILE))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteServerStore {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn end_sessions_of(conn: &Connection, name: &str) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)",
        [name],
    )?;
    Ok(())
}

impl ServerStore for SqliteServerStore {
    fn create_user(&self, name: &str, password_hash: &str, role: Role) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "INSERT INTO users (name, password_hash, role, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO NOTHING",
            params![name, password_hash, role.as_str(), now_text()],
        )?;
        Ok(n > 0)
    }

    fn set_password_hash(&self, name: &str, password_hash: &str) -> Result<bool, StoreError> {
        let conn = self.conn();
        let n = conn.execute(
            "UPDATE users SET password_hash = ?2 WHERE name = ?1",
            params![name, password_hash],
        )?;
        if n == 0 {
            return Ok(false);
        }
        // A new password ends every session of the account.
        end_sessions_of(&conn, name)?;
        Ok(true)
    }

    fn set_role(&self, name: &str, role: Role) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "UPDATE users SET role = ?2 WHERE name = ?1",
            params![name, role.as_str()],
        )?;
        Ok(n > 0)
    }

    fn set_disabled(&self, name: &str, disabled: bool) -> Result<bool, StoreError> {
        let conn = self.conn();
        let n = conn.execute(
            "UPDATE users SET disabled = ?2 WHERE name = ?1",
            params![name, disabled as i64],
        )?;
        if n == 0 {
            return Ok(false);
        }
        if disabled {
            end_sessions_of(&conn, name)?;
        }
        Ok(true)
    }

    fn set_grant(&self, name: &str, case: &str, on: bool) -> Result<bool, StoreError> {
        let conn = self.conn();
        let Some(id) = conn
            .query_row("SELECT id FROM users WHERE name = ?1", [name], |r| {
                r.get::<_, i64>(0)
            })
            .optional()?
        else {
            return Ok(false);
        };
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
        Ok(true)
    }

    fn users(&self) -> Result<Vec<User>, StoreError> {
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

    fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        Ok(self.users()?.into_iter().find(|u| u.name == name))
    }

    fn credentials(&self, name: &str) -> Result<Option<Credentials>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, password_hash, disabled FROM users WHERE name = ?1",
                [name],
                |r| {
                    Ok(Credentials {
                        user_id: r.get(0)?,
                        password_hash: r.get(1)?,
                        disabled: r.get::<_, i64>(2)? != 0,
                    })
                },
            )
            .optional()?)
    }

    fn create_session(
        &self,
        user_id: i64,
        token_hash: &[u8],
        csrf: &str,
        now: i64,
        ttl_secs: i64,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute("DELETE FROM sessions WHERE expires_at < ?1", [now])?;
        conn.execute(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_hash, user_id, csrf, now, now + ttl_secs],
        )?;
        Ok(())
    }

    fn session(&self, token_hash: &[u8], now: i64) -> Result<Option<Session>, StoreError> {
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
        Ok(self.user(&name)?.map(|user| Session { user, csrf }))
    }

    fn end_session(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        self.conn()
            .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
        Ok(())
    }

    fn append_audit(&self, a: &NewAudit<'_>) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO audit (at, user_name, case_name, action, detail, ip) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![now_text(), a.user, a.case, a.action, a.detail.to_string(), a.ip],
        )?;
        Ok(())
    }

    fn audit_log(&self, f: &AuditFilter<'_>) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT id, at, user_name, case_name, action, detail, ip FROM audit
             WHERE (?1 IS NULL OR user_name = ?1) AND (?2 IS NULL OR case_name = ?2) AND (?3 IS NULL OR action = ?3)
               AND (?4 IS NULL OR id < ?4)
             ORDER BY id DESC LIMIT ?5",
        )?;
        let rows = st.query_map(
            params![f.user, f.case, f.action, f.before, f.limit as i64],
            |r| {
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
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
