//! Tags and notes on the messages of a case (stored in its catalog through
//! `trove_store::annotations`). Reporters and admins write them; everyone granted the case
//! reads them.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::json;
use trove_store::annotations::{self, CaseNote, NoteFilter, TagCount};

use super::types::{NoteAdded, NoteRequest, TagAdded, TagRemoved, TagRequest};
use super::{ANYONE, AppState, Caller, Params, REPORTERS, Res, item_number};
use crate::ServerError;

/// The content key of the message an item is; any other item is not found.
fn content_key(s: &trove_query::Searchable, item: i64) -> Res<Vec<u8>> {
    match annotations::content_key(&s.catalog, item) {
        Ok(Some(k)) => Ok(k),
        _ => Err(ServerError::NotFound(format!("message {item}"))),
    }
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

pub(crate) async fn add_tag(
    State(app): AppState,
    c: Caller,
    Path((case, item)): Path<(String, String)>,
    Json(b): Json<TagRequest>,
) -> Res<Json<TagAdded>> {
    let item = item_number(&item)?;
    let cx = c.in_case(&app, &case, REPORTERS)?;
    let tag = valid_tag(&b.tag)?;
    let (t, author) = (tag.clone(), c.name().to_owned());
    cx.run_audited(
        "tag",
        move |entry| {
            let s = entry.searchable()?;
            let key = content_key(&s, item)?;
            let cat = entry.case.catalog()?;
            annotations::add_tag(&cat, &key, &t, &author, &trove_store::catalog::now())?;
            Ok(())
        },
        |_| json!({ "item": item, "tag": tag }),
    )
    .await?;
    Ok(Json(TagAdded { tag }))
}

pub(crate) async fn remove_tag(
    State(app): AppState,
    c: Caller,
    Path((case, item, tag)): Path<(String, String, String)>,
) -> Res<Json<TagRemoved>> {
    let item = item_number(&item)?;
    let cx = c.in_case(&app, &case, REPORTERS)?;
    let tag = valid_tag(&tag)?;
    let t = tag.clone();
    cx.run_audited(
        "untag",
        move |entry| {
            let s = entry.searchable()?;
            let key = content_key(&s, item)?;
            // Removing a tag the message does not carry is not an error.
            annotations::remove_tag(&entry.case.catalog()?, &key, &t)?;
            Ok(())
        },
        |_| json!({ "item": item, "tag": tag }),
    )
    .await?;
    Ok(Json(TagRemoved { removed: tag }))
}

/// Every tag of the case with how many messages carry it.
pub(crate) async fn case_tags(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
) -> Res<Json<Vec<TagCount>>> {
    let cx = c.in_case(&app, &case, ANYONE)?;
    let rows = cx
        .run(move |entry| Ok(annotations::tag_counts(&entry.searchable()?.catalog)?))
        .await?;
    Ok(Json(rows))
}

/// The case's notes, newest first, with the message each is on.
pub(crate) async fn case_notes(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
    p: Params,
) -> Res<Json<Vec<CaseNote>>> {
    let cx = c.in_case(&app, &case, ANYONE)?;
    let author = p.get("author").map(str::to_owned);
    let limit = p.number("limit", 1, 1000)?.unwrap_or(100) as i64;
    // Notes with a smaller id (paging back).
    let before = p.signed("before")?;
    let a2 = author.clone();
    let rows = cx
        .run_audited(
            "notes",
            move |entry| {
                let s = entry.searchable()?;
                Ok(annotations::case_notes(
                    &s.catalog,
                    &NoteFilter {
                        author: a2.as_deref(),
                        before,
                        limit,
                    },
                )?)
            },
            |_| json!({ "author": author }),
        )
        .await?;
    Ok(Json(rows))
}

pub(crate) async fn add_note(
    State(app): AppState,
    c: Caller,
    Path((case, item)): Path<(String, String)>,
    Json(b): Json<NoteRequest>,
) -> Res<Json<NoteAdded>> {
    let item = item_number(&item)?;
    let cx = c.in_case(&app, &case, REPORTERS)?;
    let text = b.text.trim().to_owned();
    if text.is_empty() || text.len() > 20_000 {
        return Err(ServerError::BadRequest(
            "a note has 1 to 20,000 characters".into(),
        ));
    }
    let author = c.name().to_owned();
    let (a, t) = (author.clone(), text.clone());
    let id = cx
        .run_audited(
            "note",
            move |entry| {
                let s = entry.searchable()?;
                let key = content_key(&s, item)?;
                let cat = entry.case.catalog()?;
                Ok(annotations::add_note(
                    &cat,
                    &key,
                    &a,
                    &trove_store::catalog::now(),
                    &t,
                )?)
            },
            |id| json!({ "item": item, "note": id }),
        )
        .await?;
    Ok(Json(NoteAdded { id, author, text }))
}
