//! The catalog's database errors, as other crates see them: a kind and a message, with no
//! type of the database library (a PostgreSQL catalog reports its errors the same way).

/// What kind of database error it was, for callers that act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DbErrorKind {
    /// The database is busy or locked by another connection (worth retrying later).
    Busy,
    /// A statement expected a row and found none.
    NoRows,
    /// A constraint (unique key, not null…) refused a write.
    Constraint,
    /// Anything else.
    Other,
}

/// A catalog database error: its kind and the database's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbError {
    kind: DbErrorKind,
    message: String,
}

impl DbError {
    pub fn new(kind: DbErrorKind, message: impl Into<String>) -> Self {
        DbError {
            kind,
            message: message.into(),
        }
    }

    pub fn kind(&self) -> DbErrorKind {
        self.kind
    }

    /// Whether the database was busy or locked (another connection holds it).
    pub fn is_busy(&self) -> bool {
        self.kind == DbErrorKind::Busy
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DbError {}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        let kind = match &e {
            rusqlite::Error::QueryReturnedNoRows => DbErrorKind::NoRows,
            _ => match e.sqlite_error_code() {
                Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => DbErrorKind::Busy,
                Some(ErrorCode::ConstraintViolation) => DbErrorKind::Constraint,
                _ => DbErrorKind::Other,
            },
        };
        DbError {
            kind,
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_sqlite_error() {
        let conn = rusqlite::Connection::open_in_memory().expect("memory db");
        conn.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY)")
            .expect("table");
        let none = conn
            .query_row("SELECT k FROM t", [], |r| r.get::<_, i64>(0))
            .expect_err("no rows");
        assert_eq!(DbError::from(none).kind(), DbErrorKind::NoRows);
        conn.execute("INSERT INTO t (k) VALUES (1)", [])
            .expect("insert");
        let dup = conn
            .execute("INSERT INTO t (k) VALUES (1)", [])
            .expect_err("duplicate key");
        let dup = DbError::from(dup);
        assert_eq!(dup.kind(), DbErrorKind::Constraint);
        assert!(dup.message().contains("UNIQUE"), "{dup}");
        let bad = conn.execute_batch("SELEKT 1").expect_err("syntax");
        assert_eq!(DbError::from(bad).kind(), DbErrorKind::Other);
    }

    #[test]
    fn a_locked_database_is_busy() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db.sqlite");
        let a = rusqlite::Connection::open(&path).expect("open a");
        a.execute_batch("CREATE TABLE t (k INTEGER); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);")
            .expect("hold the write lock");
        let b = rusqlite::Connection::open(&path).expect("open b");
        b.busy_timeout(std::time::Duration::ZERO).expect("no wait");
        let e = b
            .execute("INSERT INTO t VALUES (2)", [])
            .expect_err("locked by a");
        let e = crate::StoreError::from(e);
        match &e {
            crate::StoreError::Catalog(db) => assert!(db.is_busy(), "{db:?}"),
            other => panic!("not a catalog error: {other:?}"),
        }
        assert!(e.to_string().starts_with("catalog: "), "{e}");
    }
}
