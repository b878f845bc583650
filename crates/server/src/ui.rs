//! The browser UI: static files compiled into the binary. The UI is a client of the JSON API,
//! nothing more.

use std::sync::Arc;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::App;

const INDEX: &str = include_str!("../ui/index.html");
const APP_JS: &str = include_str!("../ui/app.js");
const APP_CSS: &str = include_str!("../ui/app.css");
const OPENAPI: &str = include_str!("../ui/openapi.json");
const HELP: &str = include_str!("../../../docs/query-language.md");

/// `TROVE_UI_DIR` (for working on the UI): the files are read from that folder at each request
/// instead of the copies compiled in.
fn file(body: &'static str, ctype: &'static str, name: &str) -> Response {
    let live = std::env::var_os("TROVE_UI_DIR")
        .and_then(|d| std::fs::read_to_string(std::path::Path::new(&d).join(name)).ok());
    let mut r = match live {
        Some(text) => text.into_response(),
        None => body.into_response(),
    };
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

pub fn routes() -> axum::Router<Arc<App>> {
    axum::Router::new()
        .route(
            "/",
            get(|| async { file(INDEX, "text/html; charset=utf-8", "index.html") }),
        )
        .route(
            "/app.js",
            get(|| async { file(APP_JS, "text/javascript; charset=utf-8", "app.js") }),
        )
        .route(
            "/app.css",
            get(|| async { file(APP_CSS, "text/css; charset=utf-8", "app.css") }),
        )
        .route(
            "/api/openapi.json",
            get(|| async { file(OPENAPI, "application/json", "openapi.json") }),
        )
        .route(
            "/api/help",
            get(|| async {
                file(
                    HELP,
                    "text/markdown; charset=utf-8",
                    "../../../docs/query-language.md",
                )
            }),
        )
}
