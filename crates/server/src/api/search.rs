//! Searching a case and exploring it: search, count, the correspondence graph, a person,
//! a thread.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::json;
use trove_query::explore::{Graph, Person};
use trove_query::search::{Request, Response, Sort};

use super::types::{Count, ThreadView};
use super::{ANYONE, AppState, Caller, Params, Res, or_everything};
use crate::ServerError;

pub(crate) async fn search(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
    p: Params,
) -> Res<Json<Response>> {
    let cx = c.in_case(&app, &case, ANYONE)?;
    let sort = match p.get("sort") {
        None => Sort::Relevance,
        Some(s) => s
            .parse::<Sort>()
            .map_err(|e| ServerError::BadRequest(format!("sort: {e}")))?,
    };
    let offset = p.number("offset", 0, usize::MAX as u64)?.unwrap_or(0) as usize;
    let limit = p
        .number("limit", 1, trove_query::search::MAX_PAGE as u64)?
        .unwrap_or(20) as usize;
    let after = p.get("after").map(str::to_owned);
    if after.is_some() && offset > 0 {
        return Err(ServerError::BadRequest(
            "after: give either an offset or an after cursor, not both".into(),
        ));
    }
    let q = p.text("q");
    let req = Request {
        query: or_everything(&q),
        sort,
        offset,
        limit,
        after,
        facets: p.flag("facets")?.unwrap_or(false),
        snippets: true,
        copies: p.flag("copies")?.unwrap_or(false),
        bounds: app.limits.query,
    };
    let result = cx.run(move |e| Ok(e.searchable()?.search(&req)?)).await;
    match &result {
        Ok(resp) => cx.audit(
            "search",
            json!({ "q": q, "total": resp.total, "offset": resp.offset }),
        ),
        // Queries refused as too costly are evidence too.
        Err(ServerError::Search(trove_query::SearchError::TooCostly(e))) => {
            cx.audit("search-refused", json!({ "q": q, "reason": e.message }))
        }
        Err(_) => {}
    }
    Ok(Json(result?))
}

pub(crate) async fn count(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
    p: Params,
) -> Res<Json<Count>> {
    let cx = c.in_case(&app, &case, ANYONE)?;
    let qs = or_everything(&p.text("q"));
    let bounds = app.limits.query;
    let count = cx
        .run(move |e| Ok(e.searchable()?.count_within(&qs, bounds)?))
        .await?;
    Ok(Json(Count { count }))
}

pub(crate) async fn graph(
    State(app): AppState,
    c: Caller,
    Path(case): Path<String>,
    p: Params,
) -> Res<Json<Graph>> {
    let cx = c.in_case(&app, &case, ANYONE)?;
    let q = p.text("q");
    let qs = or_everything(&q);
    let n = p.number("nodes", 2, 200)?.unwrap_or(40) as usize;
    let bounds = app.limits.query;
    let g = cx
        .run_audited(
            "graph",
            move |e| {
                Ok(trove_query::explore::graph_within(
                    &*e.searchable()?,
                    &qs,
                    n,
                    bounds,
                )?)
            },
            |_| json!({ "q": q }),
        )
        .await?;
    Ok(Json(g))
}

pub(crate) async fn person(
    State(app): AppState,
    c: Caller,
    Path((case, address)): Path<(String, String)>,
) -> Res<Json<Person>> {
    let cx = c.in_case(&app, &case, ANYONE)?;
    let a = address.clone();
    let p = cx
        .run_audited(
            "person",
            move |e| Ok(trove_query::explore::person(&*e.searchable()?, &a)?),
            |_| json!({ "address": address }),
        )
        .await?;
    Ok(Json(p))
}

pub(crate) async fn thread(
    State(app): AppState,
    c: Caller,
    Path((case, thread)): Path<(String, String)>,
) -> Res<Json<ThreadView>> {
    let cx = c.in_case(&app, &case, ANYONE)?;
    let t = thread.clone();
    let messages = cx
        .run(move |e| Ok(trove_query::explore::thread(&*e.searchable()?, &t)?))
        .await?;
    // An unknown thread is not found, and not audited as viewed.
    if messages.is_empty() {
        return Err(ServerError::NotFound(format!("thread {thread}")));
    }
    cx.audit("thread", json!({ "thread": thread }));
    Ok(Json(ThreadView { thread, messages }))
}
