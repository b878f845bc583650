//! The browser UI: static files compiled into the binary. The UI is a client of the JSON API,
//! nothing more.
//!
//! `index.html` loads `/js/main.js` as an ES module; the browser loads the other modules of
//! `ui/js/` from `/js/{name}` as they are (no build step). Those names come from a fixed table
//! ([`MODULES`]), never from a path in the request.

use std::sync::Arc;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::App;

const INDEX: &str = include_str!("../ui/index.html");
const APP_CSS: &str = include_str!("../ui/app.css");
const OPENAPI: &str = include_str!("../ui/openapi.json");
const HELP: &str = include_str!("../../../docs/query-language.md");

const JS: &str = "text/javascript; charset=utf-8";

/// `(name, text)` of each module in `ui/js/`, the name being the file's name there.
macro_rules! modules {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../ui/js/", $name)))),*]
    };
}

/// Every ES module of the UI, served at `/js/{name}`. A module missing here is a 404 in the
/// browser; the test `every_module_in_ui_js_is_served` reads the folder to catch it.
const MODULES: &[(&str, &str)] = modules![
    "admin.js",
    "annotations.js",
    "api.js",
    "chart.js",
    "dom.js",
    "format.js",
    "graph.js",
    "help.js",
    "highlight.js",
    "histogram.js",
    "keyboard.js",
    "layout.js",
    "login.js",
    "main.js",
    "message.js",
    "nav.js",
    "notes.js",
    "people.js",
    "query.js",
    "remote.js",
    "router.js",
    "search.js",
    "state.js",
    "tags.js",
    "thread.js",
    "widgets.js",
];

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

/// The module `name` of [`MODULES`], or 404. Only a name of the table reaches the file system
/// (under `TROVE_UI_DIR`), never the requested one.
fn module(name: &str) -> Response {
    match MODULES.iter().find(|(n, _)| *n == name) {
        Some((n, body)) => file(body, JS, &format!("js/{n}")),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub fn routes() -> axum::Router<Arc<App>> {
    axum::Router::new()
        .route(
            "/",
            get(|| async { file(INDEX, "text/html; charset=utf-8", "index.html") }),
        )
        .route(
            "/js/{name}",
            get(|Path(name): Path<String>| async move { module(&name) }),
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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    fn js_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/js")
    }

    /// The files of `ui/js/` as they are on disk now, by name.
    fn on_disk() -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for entry in std::fs::read_dir(js_dir()).expect("ui/js is readable") {
            let path = entry.expect("a directory entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("a UTF-8 file name")
                .to_owned();
            let text = std::fs::read_to_string(&path).expect("a module is UTF-8 text");
            out.insert(name, text);
        }
        out
    }

    #[test]
    fn every_module_in_ui_js_is_served() {
        let disk = on_disk();
        assert!(disk.contains_key("main.js"), "{:?}", disk.keys());
        let served: BTreeMap<&str, &str> = MODULES.iter().copied().collect();
        assert_eq!(served.len(), MODULES.len(), "a module is listed twice");
        let missing: Vec<&String> = disk
            .keys()
            .filter(|n| !served.contains_key(n.as_str()))
            .collect();
        assert!(missing.is_empty(), "add to MODULES in ui.rs: {missing:?}");
        for (name, text) in &disk {
            assert_eq!(
                served.get(name.as_str()),
                Some(&text.as_str()),
                "{name}: the compiled-in copy differs from the file"
            );
        }
    }

    #[test]
    fn modules_are_served_as_javascript_and_nothing_else_is() {
        let r = module("main.js");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some(JS)
        );
        for name in [
            "",
            "app.js",
            "MAIN.JS",
            "main",
            "main.js/",
            "../index.html",
            "../../../../Cargo.toml",
            "/etc/passwd",
            "js/main.js",
        ] {
            assert_eq!(module(name).status(), StatusCode::NOT_FOUND, "{name:?}");
        }
    }

    /// `from './x.js'` of each module: every one is served, and the imports have no cycle
    /// (the graph main.js describes).
    #[test]
    fn imports_name_served_modules_and_have_no_cycle() {
        let served: BTreeSet<&str> = MODULES.iter().map(|(n, _)| *n).collect();
        let mut graph: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (name, text) in MODULES {
            let mut deps = Vec::new();
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let dep = line
                    .split_once(" from './")
                    .and_then(|(_, rest)| rest.strip_suffix("';"))
                    .unwrap_or_else(|| {
                        panic!("{name}: an import not of the form from './x.js': {line}")
                    });
                assert!(
                    served.contains(dep),
                    "{name} imports {dep}, which is not served"
                );
                deps.push(dep.to_owned());
            }
            graph.insert(name, deps);
        }
        assert!(!graph["main.js"].is_empty());
        // Depth-first, colouring: 1 on the path, 2 done.
        fn visit<'a>(
            n: &'a str,
            graph: &'a BTreeMap<&str, Vec<String>>,
            colour: &mut BTreeMap<&'a str, u8>,
            path: &mut Vec<&'a str>,
        ) {
            match colour.get(n) {
                Some(2) => return,
                Some(_) => panic!("an import cycle: {} -> {n}", path.join(" -> ")),
                None => {}
            }
            colour.insert(n, 1);
            path.push(n);
            for d in &graph[n] {
                visit(d, graph, colour, path);
            }
            path.pop();
            colour.insert(n, 2);
        }
        let mut colour = BTreeMap::new();
        for n in graph.keys() {
            visit(n, &graph, &mut colour, &mut Vec::new());
        }
        // Every module is reached from main.js: none is served for nothing.
        let mut seen = BTreeSet::from(["main.js"]);
        let mut todo = vec!["main.js"];
        while let Some(n) = todo.pop() {
            for d in &graph[n] {
                if seen.insert(d.as_str()) {
                    todo.push(d.as_str());
                }
            }
        }
        assert_eq!(seen, served, "modules main.js does not reach");
    }

    #[test]
    fn index_loads_main_as_a_module() {
        assert!(
            INDEX.contains(r#"<script type="module" src="/js/main.js"></script>"#),
            "{INDEX}"
        );
        assert!(!INDEX.contains("app.js"), "{INDEX}");
    }

    /// The app's pages allow their own scripts (the modules, same origin) and nothing else.
    #[test]
    fn the_app_csp_allows_own_scripts_only() {
        let script = crate::APP_CSP
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"));
        assert_eq!(script, Some("script-src 'self'"), "{}", crate::APP_CSP);
        assert!(crate::APP_CSP.contains("default-src 'none'"));
    }
}
