//! The house rules of the workspace, checked on the manifests and sources as they are:
//!
//! - only `trove-store` depends on rusqlite (the storage boundary of ARCHITECTURE.md): every
//!   statement against the catalog or the server's database lives there (tests of other crates
//!   may read the catalog file with SQLite as an independent oracle: a dev-dependency);
//! - `trove-extract` knows nothing of the catalog (its sandboxed worker must not link it);
//! - every dependency a crate declares is used by its sources, so that an unused one cannot
//!   come back unnoticed (`.ci/run` runs this test with the others).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One dependency as `cargo metadata` describes it.
struct Dep {
    name: String,
    /// The name the sources use (`rename`, or the package name with `-` as `_`).
    ident: String,
    /// `None` for normal dependencies, `Some("dev")`, `Some("build")`.
    kind: Option<String>,
}

struct Package {
    name: String,
    dir: PathBuf,
    deps: Vec<Dep>,
}

fn workspace() -> Vec<Package> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // With the resolve graph: its `deps[].name` is the name the code uses (a rename, or the
    // library's own name, such as `exif` for kamadak-exif), read from Cargo.lock, offline.
    // Only this machine's platform: the others' crates are never downloaded.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    let host = version
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc names its host")
        .to_string();
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .args(["--filter-platform", &host])
        .current_dir(&root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .expect("workspace_members")
        .iter()
        .filter_map(|m| m.as_str())
        .collect();
    let by_id: BTreeMap<&str, &serde_json::Value> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let mut packages = Vec::new();
    for node in meta["resolve"]["nodes"].as_array().expect("resolve") {
        let id = node["id"].as_str().expect("id");
        if !members.contains(&id) {
            continue;
        }
        let p = by_id[id];
        let manifest = PathBuf::from(p["manifest_path"].as_str().expect("manifest_path"));
        let mut deps = Vec::new();
        for d in node["deps"].as_array().expect("deps") {
            let name = by_id[d["pkg"].as_str().expect("pkg")]["name"]
                .as_str()
                .expect("name")
                .to_string();
            let ident = d["name"].as_str().expect("name").to_string();
            for k in d["dep_kinds"].as_array().expect("dep_kinds") {
                deps.push(Dep {
                    name: name.clone(),
                    ident: ident.clone(),
                    kind: k["kind"].as_str().map(str::to_string),
                });
            }
        }
        packages.push(Package {
            name: p["name"].as_str().expect("name").to_string(),
            dir: manifest.parent().expect("crate folder").to_path_buf(),
            deps,
        });
    }
    assert!(packages.len() >= 9, "the workspace has its crates");
    packages
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Whether `text` names the crate `ident` as Rust code does: `ident::`, `use ident`,
/// `extern crate ident`, or `ident!` (a macro crate used by path).
fn mentions(text: &str, ident: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(at) = text[from..].find(ident) {
        let start = from + at;
        let end = start + ident.len();
        from = end;
        let before_ok = start == 0 || {
            let b = bytes[start - 1];
            !(b.is_ascii_alphanumeric() || b == b'_')
        };
        if !before_ok {
            continue;
        }
        let rest = &text[end..];
        if rest.starts_with("::") || rest.starts_with('!') {
            return true;
        }
        let head = text[..start].trim_end();
        if head.ends_with("use") || head.ends_with("extern crate") {
            let after = rest.chars().next();
            if after.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_')) {
                return true;
            }
        }
    }
    false
}

/// Dependencies that the sources never name because they are used some other way, each with
/// the reason. Keep this list short and every line true.
const USED_WITHOUT_A_PATH: &[(&str, &str, &str)] = &[];

#[test]
fn only_the_storage_layer_depends_on_sqlite() {
    let mut offenders = Vec::new();
    for p in workspace() {
        if p.name == "trove-store" {
            continue;
        }
        for d in &p.deps {
            // A test may open the catalog file read-only with SQLite itself, an oracle
            // independent of the code under test; the crate's own code may not.
            if d.kind.as_deref() == Some("dev") {
                continue;
            }
            if d.name == "rusqlite" || d.name == "libsqlite3-sys" {
                offenders.push(format!(
                    "{} ({})",
                    p.name,
                    d.kind.as_deref().unwrap_or("normal")
                ));
            }
        }
        // Not even in the crate's unit tests (which see dev-dependencies).
        let mut files = Vec::new();
        rust_files(&p.dir.join("src"), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            if mentions(&text, "rusqlite") {
                offenders.push(f.display().to_string());
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "only trove-store may depend on rusqlite; found in {offenders:?}"
    );
}

#[test]
fn extraction_knows_nothing_of_the_catalog() {
    let packages = workspace();
    let extract = packages
        .iter()
        .find(|p| p.name == "trove-extract")
        .expect("trove-extract is a workspace member");
    let storage: Vec<&str> = extract
        .deps
        .iter()
        .filter(|d| {
            d.kind.is_none()
                && matches!(
                    d.name.as_str(),
                    "trove-store" | "trove-index" | "trove-ingest"
                )
        })
        .map(|d| d.name.as_str())
        .collect();
    assert!(
        storage.is_empty(),
        "trove-extract parses bytes; it must not depend on {storage:?}"
    );
}

#[test]
fn every_declared_dependency_is_used() {
    let mut unused: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in workspace() {
        let mut lib = Vec::new();
        rust_files(&p.dir.join("src"), &mut lib);
        let build = p.dir.join("build.rs");
        if build.exists() {
            lib.push(build);
        }
        let mut all = Vec::new();
        rust_files(&p.dir, &mut all);
        let read = |files: &[PathBuf]| -> String {
            files
                .iter()
                .map(|f| std::fs::read_to_string(f).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("\n")
        };
        let lib_text = read(&lib);
        let all_text = read(&all);
        for d in &p.deps {
            let excused = USED_WITHOUT_A_PATH
                .iter()
                .any(|(pkg, dep, _)| *pkg == p.name && *dep == d.name);
            let text = match d.kind.as_deref() {
                None | Some("build") => &lib_text,
                _ => &all_text,
            };
            if !excused && !mentions(text, &d.ident) {
                unused.entry(p.name.clone()).or_default().push(format!(
                    "{} ({})",
                    d.name,
                    d.kind.as_deref().unwrap_or("normal")
                ));
            }
        }
    }
    assert!(
        unused.is_empty(),
        "declared but never used by the code of its kind (remove them, move one that only tests use to [dev-dependencies], or say in USED_WITHOUT_A_PATH why they stay): {unused:#?}"
    );
}

#[test]
fn the_usage_check_recognises_how_crates_are_named() {
    assert!(mentions("use tantivy::schema;", "tantivy"));
    assert!(mentions("let x = serde_json::json!({});", "serde_json"));
    assert!(mentions("use sha2::{Digest, Sha256};", "sha2"));
    assert!(mentions("    use hex;\n", "hex"));
    assert!(mentions("tracing::warn!(\"x\")", "tracing"));
    assert!(!mentions("let hexdump = 1; // hex", "hex"));
    assert!(!mentions("my_tar::x()", "tar"));
    assert!(!mentions("use tarball::x;", "tar"));
}

/// The top-level modules of a crate that each module's source names (`crate::m`,
/// `use crate::{m, …}`), the crate root excluded: the root declares every module, and items it
/// defines are shared by all.
fn module_graph(src: &Path) -> BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    let module_of = |f: &Path| -> Option<String> {
        let rel = f.strip_prefix(src).ok()?;
        let first = rel
            .components()
            .next()?
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
        (name != "lib" && name != "main" && name != "bin").then_some(name)
    };
    let mut modules = std::collections::BTreeSet::new();
    for f in &files {
        if let Some(m) = module_of(f) {
            modules.insert(m);
        }
    }
    for f in &files {
        let Some(from) = module_of(f) else { continue };
        // Code only: a doc comment's link to another module is not a dependency.
        let text: String = std::fs::read_to_string(f)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let deps = graph.entry(from.clone()).or_default();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                group[..end]
                    .split(',')
                    .map(|s| s.trim().split("::").next().unwrap_or(""))
                    .collect()
            } else {
                vec![
                    rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or(""),
                ]
            };
            for n in names {
                if n != from && modules.contains(n) {
                    deps.insert(n.to_string());
                }
            }
        }
    }
    graph
}

/// A cycle in `graph`, if there is one, as the path that closes it.
fn cycle(graph: &BTreeMap<String, std::collections::BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, std::collections::BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(2) => return None,
            Some(1) => {
                let at = path.iter().position(|p| p == n).unwrap_or(0);
                let mut c = path[at..].to_vec();
                c.push(n.to_string());
                return Some(c);
            }
            _ => {}
        }
        state.insert(n.to_string(), 1);
        path.push(n.to_string());
        for d in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, graph, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if let Some(c) = visit(n, graph, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_circle_between_the_modules_of_a_crate() {
    let mut circles = Vec::new();
    for p in workspace() {
        if let Some(c) = cycle(&module_graph(&p.dir.join("src"))) {
            circles.push(format!("{}: {}", p.name, c.join(" → ")));
        }
    }
    assert!(
        circles.is_empty(),
        "modules that import each other: {circles:#?}"
    );
}

#[test]
fn the_circle_check_finds_circles() {
    let mut g: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    assert_eq!(cycle(&g), None);
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}

#[test]
fn every_workspace_dependency_is_used_by_a_member() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("root Cargo.toml");
    let table = manifest
        .split("[workspace.dependencies]")
        .nth(1)
        .expect("a [workspace.dependencies] table")
        .split("\n[")
        .next()
        .unwrap_or("");
    let declared: Vec<&str> = table
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .filter(|k| !k.is_empty() && !k.contains(' '))
        .collect();
    assert!(
        declared.contains(&"tantivy"),
        "the table is read: {declared:?}"
    );
    let used: Vec<String> = workspace()
        .iter()
        .flat_map(|p| p.deps.iter().map(|d| d.name.clone()))
        .collect();
    let unused: Vec<&&str> = declared
        .iter()
        .filter(|d| !used.iter().any(|u| u == *d))
        .collect();
    assert!(
        unused.is_empty(),
        "in [workspace.dependencies] but used by no crate: {unused:?}"
    );
}
