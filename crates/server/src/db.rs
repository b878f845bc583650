//! Accounts, sessions, grants and the audit log as the server uses them, over a
//! [`ServerStore`] (by default [`SqliteServerStore`], `server.sqlite` in the data folder). This
//! module holds the rules (what a user name and a password may be, hashing, what a missing
//! account answers); the storage and its SQL are in `trove_store::server_state`. Cases keep
//! their data (and their tags and notes) in their own catalogs.

use std::path::Path;
use std::sync::Arc;

use trove_store::server_state::{AuditFilter, NewAudit};
use trove_store::{ServerStore, SqliteServerStore};

pub use trove_store::server_state::{AuditEntry, Role, User};

use crate::ServerError;

/// The server's state: a handle on a shared [`ServerStore`] (cheap to clone).
#[derive(Clone)]
pub struct Db {
    store: Arc<dyn ServerStore>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Db")
    }
}

fn no_user(name: &str) -> ServerError {
    ServerError::NotFound(format!("user {name}"))
}

impl Db {
    /// The default store: `server.sqlite` in `dir` (created if needed).
    pub fn open(dir: &Path) -> Result<Db, ServerError> {
        Ok(Db::with_store(Arc::new(SqliteServerStore::open(dir)?)))
    }

    /// Any other store (one shared by several servers).
    pub fn with_store(store: Arc<dyn ServerStore>) -> Db {
        Db { store }
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn ServerStore> {
        &self.store
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
        if !self.store.create_user(name, &hash, role)? {
            return Err(ServerError::Conflict(format!("user {name} exists")));
        }
        Ok(())
    }

    /// A new password; it ends every session of the account.
    pub fn set_password(&self, name: &str, password: &str) -> Result<(), ServerError> {
        check_password(password)?;
        let hash = crate::auth::hash_password(password)?;
        if !self.store.set_password_hash(name, &hash)? {
            return Err(no_user(name));
        }
        Ok(())
    }

    pub fn set_role(&self, name: &str, role: Role) -> Result<(), ServerError> {
        if !self.store.set_role(name, role)? {
            return Err(no_user(name));
        }
        Ok(())
    }

    /// Disabling an account ends its sessions.
    pub fn set_disabled(&self, name: &str, disabled: bool) -> Result<(), ServerError> {
        if !self.store.set_disabled(name, disabled)? {
            return Err(no_user(name));
        }
        Ok(())
    }

    pub fn grant(&self, name: &str, case: &str, on: bool) -> Result<(), ServerError> {
        if !self.store.set_grant(name, case, on)? {
            return Err(no_user(name));
        }
        Ok(())
    }

    pub fn users(&self) -> Result<Vec<User>, ServerError> {
        Ok(self.store.users()?)
    }

    pub fn user(&self, name: &str) -> Result<Option<User>, ServerError> {
        Ok(self.store.user(name)?)
    }

    /// The password hash and account of a user name, for logging in: (id, hash, disabled).
    pub fn credentials(&self, name: &str) -> Result<Option<(i64, String, bool)>, ServerError> {
        Ok(self
            .store
            .credentials(name)?
            .map(|c| (c.user_id, c.password_hash, c.disabled)))
    }

    pub fn create_session(
        &self,
        user_id: i64,
        token_hash: &[u8],
        csrf: &str,
        ttl_secs: i64,
    ) -> Result<(), ServerError> {
        let now = chrono::Utc::now().timestamp();
        Ok(self
            .store
            .create_session(user_id, token_hash, csrf, now, ttl_secs)?)
    }

    /// The live session of a token hash: (user, csrf token).
    pub fn session(&self, token_hash: &[u8]) -> Result<Option<(User, String)>, ServerError> {
        let now = chrono::Utc::now().timestamp();
        Ok(self
            .store
            .session(token_hash, now)?
            .map(|s| (s.user, s.csrf)))
    }

    pub fn end_session(&self, token_hash: &[u8]) -> Result<(), ServerError> {
        Ok(self.store.end_session(token_hash)?)
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
        Ok(self.store.append_audit(&NewAudit {
            user,
            case,
            action,
            detail: &detail,
            ip,
        })?)
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
        Ok(self.store.audit_log(&AuditFilter {
            user,
            case,
            action,
            limit,
            before,
        })?)
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
