//! What the web app shows beside a message that [`crate::query`] does not read: the thread it
//! is in and its addresses in header order.

use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::{Catalog, StoreError};

/// An address of a message (`from`, `to`, `cc`, …) as the header gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageAddress {
    pub role: String,
    pub name: Option<String>,
    pub address: Option<String>,
}

/// The thread id of a message; `None` for no such message or one not threaded.
pub fn thread_of(cat: &Catalog, message: i64) -> Result<Option<String>, StoreError> {
    Ok(cat
        .conn
        .query_row(
            "SELECT thread FROM messages WHERE id = ?1",
            [message],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// The addresses of a message in the order of its headers.
pub fn addresses(cat: &Catalog, message: i64) -> Result<Vec<MessageAddress>, StoreError> {
    let mut st = cat.conn.prepare_cached(
        "SELECT role, name, address FROM addresses WHERE message = ?1 ORDER BY pos",
    )?;
    let rows = st.query_map([message], |r| {
        Ok(MessageAddress {
            role: r.get(0)?,
            name: r.get(1)?,
            address: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
