//! The module graph of trove-ingest is a DAG: no file uses (`crate::…`, `super::…`) a module
//! that, directly or through others, uses it back. The graph is read from the sources in
//! `src/`, so a new import circle fails here, with the circle in the message.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path of a source file relative to `src/`: `lib.rs` is the crate root (""),
/// `a.rs` and `a/mod.rs` are `a`, `a/b.rs` is `a::b`.
fn module_of(rel: &Path) -> String {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop().unwrap_or_default();
    let stem = file.strip_suffix(".rs").unwrap_or(&file).to_owned();
    if stem != "mod" && stem != "lib" {
        parts.push(stem);
    }
    parts.join("::")
}

/// The source without comments (doc comments name modules without using them).
fn strip_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.find('\n').map_or("", |i| &r[i..]);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map_or("", |i| &r[i + 2..]);
        } else if let Some(r) = rest.strip_prefix("'\"'") {
            // The quote character, not a string.
            out.push_str("' '");
            rest = r;
        } else if let Some(r) = rest.strip_prefix('"') {
            // A string literal: left out, so that `"//"` in a string does not hide code.
            let mut chars = r.char_indices();
            let mut end = r.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    _ => {}
                }
            }
            out.push_str("\"\"");
            rest = &r[end..];
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Parses a use tree (`a::b`, `a::{b, c::d}`, `a::*`) at the start of `s` into full paths
/// appended to `prefix`; returns what is left of `s`.
fn use_tree<'s>(s: &'s str, prefix: &[String], out: &mut Vec<Vec<String>>) -> &'s str {
    let s = s.trim_start();
    if let Some(mut rest) = s.strip_prefix('{') {
        loop {
            let left = use_tree(rest, prefix, out).trim_start();
            // Something that is no path: step over it.
            rest = match left.len() == rest.len() {
                true => left
                    .get(left.chars().next().map_or(0, char::len_utf8)..)
                    .unwrap_or(""),
                false => left,
            };
            if let Some(r) = rest.strip_prefix(',') {
                rest = r.trim_start();
            }
            if let Some(r) = rest.strip_prefix('}') {
                return r;
            }
            if rest.is_empty() {
                return rest;
            }
        }
    }
    let end = s.find(|c: char| !is_ident(c)).unwrap_or(s.len());
    if end == 0 {
        // `*` or something that is not a path: the prefix itself.
        out.push(prefix.to_vec());
        return s.strip_prefix('*').unwrap_or(s);
    }
    let mut path = prefix.to_vec();
    match &s[..end] {
        "self" => {}
        "super" => {
            path.pop();
        }
        ident => path.push(ident.to_owned()),
    }
    let rest = &s[end..];
    if let Some(r) = rest.strip_prefix("::") {
        return use_tree(r, &path, out);
    }
    out.push(path);
    // `path as alias`: the alias is no path.
    match rest.trim_start().strip_prefix("as ") {
        Some(r) => {
            let r = r.trim_start();
            &r[r.find(|c: char| !is_ident(c)).unwrap_or(r.len())..]
        }
        None => rest,
    }
}

/// Every path into the crate that `src` (the file of module `module`, whose child modules are
/// `children`) names: `crate::…`, `super::…`, `self::…`, and `child::…` relative to it.
fn crate_paths(module: &str, children: &[&str], src: &str) -> Vec<Vec<String>> {
    let code = strip_comments(src);
    let own: Vec<String> = module
        .split("::")
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let at_start = code[..i].chars().next_back().is_none_or(|c| !is_ident(c))
            && !code[..i].ends_with("::");
        let child = || {
            children
                .iter()
                .any(|c| rest.starts_with(c) && rest[c.len()..].starts_with("::"))
        };
        let base = if !at_start {
            None
        } else if let Some(r) = rest.strip_prefix("crate::") {
            Some((r, Vec::new()))
        } else if rest.starts_with("super::") || rest.starts_with("self::") || child() {
            Some((rest, own.clone()))
        } else {
            None
        };
        match base {
            Some((r, prefix)) => {
                let left = use_tree(r, &prefix, &mut out);
                i = code.len() - left.len();
            }
            None => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    out
}

/// Module graph: for each module, the modules it uses (the longest module prefix of each path;
/// an item of the crate root counts as the root).
fn graph(files: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<&str> = files.keys().map(String::as_str).collect();
    let mut g = BTreeMap::new();
    for (module, src) in files {
        let children: Vec<&str> = modules
            .iter()
            .filter_map(|m| match module.is_empty() {
                true => Some(*m),
                false => m.strip_prefix(module.as_str())?.strip_prefix("::"),
            })
            .filter(|c| !c.is_empty() && !c.contains("::"))
            .collect();
        let mut uses = BTreeSet::new();
        for path in crate_paths(module, &children, src) {
            let target = (0..=path.len())
                .rev()
                .map(|n| path[..n].join("::"))
                .find(|p| modules.contains(p.as_str()))
                .unwrap_or_default();
            if &target != module {
                uses.insert(target);
            }
        }
        g.insert(module.clone(), uses);
    }
    g
}

/// A cycle of the graph, as the modules on it, if there is one.
fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(pos) = stack.iter().position(|s| s == n) {
            let mut cycle = stack[pos..].to_vec();
            cycle.push(n.to_owned());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_owned());
        for next in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, g, done, stack) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for n in g.keys() {
        if let Some(c) = visit(n, g, &mut done, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

fn sources(dir: &Path, root: &Path, out: &mut BTreeMap<String, String>) {
    for entry in std::fs::read_dir(dir).expect("list src") {
        let path = entry.expect("src entry").path();
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).expect("under src");
            let src = std::fs::read_to_string(&path).expect("read source");
            out.insert(module_of(rel), src);
        }
    }
}

fn name(m: &str) -> &str {
    if m.is_empty() { "(crate root)" } else { m }
}

#[test]
fn the_module_graph_of_ingest_has_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    sources(&src, &src, &mut files);
    let g = graph(&files);
    // The parser sees the graph at all: the root uses the producer, the driver the containers.
    assert!(g[""].contains("produce"), "root uses: {:?}", g[""]);
    assert!(
        g["drive"].contains("containers"),
        "drive uses: {:?}",
        g["drive"]
    );
    assert!(
        g["containers::archive"].contains("containers::mbox"),
        "archive uses: {:?}",
        g["containers::archive"]
    );
    if let Some(cycle) = find_cycle(&g) {
        let names: Vec<&str> = cycle.iter().map(|m| name(m)).collect();
        panic!("import circle between modules: {}", names.join(" -> "));
    }
}

fn files(list: &[(&str, &str)]) -> BTreeMap<String, String> {
    list.iter()
        .map(|(m, s)| (m.to_string(), s.to_string()))
        .collect()
}

#[test]
fn a_circle_is_found_through_groups_super_and_inline_paths() {
    let g = graph(&files(&[
        ("", "mod a; mod b; use crate::a::x; fn f() { b::g(); }"),
        ("a", "use crate::{b::{self, y}, c};\nfn f() {}"),
        ("b", "fn g() { crate::c::z(); }"),
        ("c", "mod d;\npub use self::d::h;"),
        ("c::d", "use super::super::a::Thing;"),
    ]));
    assert_eq!(g[""], BTreeSet::from(["a".to_string(), "b".to_string()]));
    assert_eq!(g["a"], BTreeSet::from(["b".to_string(), "c".to_string()]));
    assert_eq!(g["c::d"], BTreeSet::from(["a".to_string()]));
    assert_eq!(g["c"], BTreeSet::from(["c::d".to_string()]));
    let cycle = find_cycle(&g).expect("a -> c -> c::d -> a");
    assert_eq!(cycle, ["a", "b", "c", "c::d", "a"]);
}

#[test]
fn comments_strings_and_a_dag_are_no_circle() {
    let g = graph(&files(&[
        ("", "use crate::a::x; use crate::b::y;"),
        (
            "a",
            "//! Used by [`crate::b`] and the root.\nfn f() { let s = \"crate::b\"; }",
        ),
        ("b", "/* crate::root */ use crate::a::{self as other};"),
    ]));
    assert!(g["a"].is_empty(), "{:?}", g["a"]);
    assert_eq!(g["b"], BTreeSet::from(["a".to_string()]));
    assert_eq!(find_cycle(&g), None);
}

#[test]
fn an_item_of_the_root_used_by_a_module_closes_a_circle() {
    let g = graph(&files(&[
        ("", "use crate::a::run; pub struct Progress;"),
        ("a", "use crate::Progress;"),
    ]));
    assert_eq!(g["a"], BTreeSet::from([String::new()]));
    assert!(find_cycle(&g).is_some());
}

/// Splits `a, b::{c, d}, e` at the commas outside braces, expanding `b::{c, d}`.
fn names_list(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    let mut out = Vec::new();
    for p in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        match p.split_once("::{") {
            Some((base, inner)) => {
                for n in inner.trim_end_matches('}').split(',') {
                    out.push(format!("{base}::{}", n.trim()));
                }
            }
            None if p == "(crate root)" => out.push(String::new()),
            None => out.push(p.to_owned()),
        }
    }
    out
}

/// The module graph as the crate documentation draws it.
fn documented_graph(lib: &str) -> BTreeMap<String, BTreeSet<String>> {
    let doc: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .skip_while(|l| !l.contains("## Module graph"))
        .skip_while(|l| !l.contains("```text"))
        .skip(1)
        .take_while(|l| !l.contains("```"))
        .collect();
    let mut g = BTreeMap::new();
    for line in doc {
        match line.split_once('→') {
            Some((from, to)) => {
                for m in names_list(from) {
                    g.insert(m, names_list(to).into_iter().collect());
                }
            }
            None => {
                let leaves = line.split('(').next().unwrap_or("");
                for m in names_list(leaves) {
                    g.insert(m, BTreeSet::new());
                }
            }
        }
    }
    g
}

#[test]
fn the_crate_documentation_draws_the_module_graph_as_it_is() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    sources(&src, &src, &mut files);
    let documented = documented_graph(&files[""]);
    assert!(
        documented.len() > 5,
        "no module graph in lib.rs: {documented:?}"
    );
    assert_eq!(
        documented,
        graph(&files),
        "the module graph in the doc comment of src/lib.rs is out of date"
    );
}
