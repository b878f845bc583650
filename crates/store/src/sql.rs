//! SQL that statements of several modules share, and the checks of their query plans. It
//! depends on no other module of the crate, so that every module may use it.

use crate::StoreError;

/// The catalog's schema (SQLite).
pub(crate) const SCHEMA: &str = include_str!("schema.sql");

/// `up(id, parent_id, message, depth)`: the container chain above the items holding the bytes
/// `?1` outside any message, up to and including the first message item on each path. Join
/// `up CROSS JOIN messages m ON m.id = up.message` for the messages carrying a file found
/// inside an attached archive: CROSS keeps `up` outside, where SQLite's planner may otherwise
/// scan every message and probe `up` (a full scan per file; see [`full_scans`]).
pub const UP_TO_MESSAGE: &str = "WITH RECURSIVE up(id, parent_id, message, depth) AS (
       SELECT id, parent_id, message, 0 FROM items WHERE sha256 = ?1 AND message IS NULL
       UNION ALL SELECT i.id, i.parent_id, i.message, up.depth + 1 FROM items i JOIN up ON i.id = up.parent_id
       WHERE up.depth < 64 AND up.message IS NULL)";

/// The steps of a statement's query plan on a catalog. Plans depend on the schema alone (trove
/// runs no `ANALYZE`), so an empty catalog in memory shows what a full one does.
pub fn plan(sql: &str) -> Result<Vec<String>, StoreError> {
    let conn = rusqlite::Connection::open_in_memory()?;
    conn.execute_batch(SCHEMA)?;
    let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let nulls = vec![rusqlite::types::Value::Null; st.parameter_count()];
    let steps = st
        .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))?
        .collect::<Result<_, _>>()?;
    Ok(steps)
}

/// The steps of a statement's plan that read a whole table or index (`SCAN …`) rather than
/// search it, leaving out the recursive CTEs a statement walks (`up`, `down`) and constant
/// rows. Tests use it to keep per-item statements (one run per message or file) from turning
/// into a full scan per item, which the planner does silently.
pub fn full_scans(sql: &str) -> Result<Vec<String>, StoreError> {
    Ok(plan(sql)?
        .into_iter()
        .filter(|s| {
            s.starts_with("SCAN ")
                && !["SCAN up", "SCAN down", "SCAN CONSTANT ROW"].contains(&s.as_str())
        })
        .collect())
}
