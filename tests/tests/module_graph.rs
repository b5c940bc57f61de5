//! The module graph of a crate's sources, read from its `crate::…` and `super::…` paths, and
//! its cycles. These tests hold `backend/src` and `xtask/src` free of them: modules that import
//! each other cannot be read, tested or split one at a time.
//!
//! A child naming its parent (`super::Store` for an `impl Store` block) is not counted: the
//! parent declares the child, so that edge is how Rust modules are built, not a cycle of
//! dependencies. Comments and `#[cfg(test)]` modules are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module name (`store::bookings::create`) → the sibling-or-other modules it names.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// Reads every `.rs` file under `src` into the graph of its modules.
fn read(src: &Path) -> std::io::Result<Graph> {
    let mut sources = BTreeMap::new();
    collect(src, src, &mut sources)?;
    let names: BTreeSet<String> = sources.keys().cloned().collect();
    let mut graph = Graph::new();
    for (name, text) in &sources {
        let parent = name.rsplit_once("::").map_or("", |(p, _)| p);
        let mut edges = BTreeSet::new();
        for path in paths(&code_of(text)) {
            let target = resolve(&path, parent, &names);
            if let Some(t) = target.filter(|t| t != name && !name.starts_with(&format!("{t}::"))) {
                edges.insert(t);
            }
        }
        graph.insert(name.clone(), edges);
    }
    Ok(graph)
}

/// The cycles of `graph`: its strongly connected parts with more than one module.
fn cycles(graph: &Graph) -> Vec<BTreeSet<String>> {
    // Kosaraju: finish order on the graph, then parts on the reversed graph.
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    for start in graph.keys() {
        visit(start, graph, &mut seen, &mut order);
    }
    let mut reversed = Graph::new();
    for (from, tos) in graph {
        for to in tos {
            reversed.entry(to.clone()).or_default().insert(from.clone());
        }
    }
    let mut assigned = BTreeSet::new();
    let mut parts = Vec::new();
    for start in order.iter().rev() {
        let mut part = Vec::new();
        visit(start, &reversed, &mut assigned, &mut part);
        if part.len() > 1 {
            parts.push(part.into_iter().collect());
        }
    }
    parts
}

fn visit(node: &str, graph: &Graph, seen: &mut BTreeSet<String>, out: &mut Vec<String>) {
    // Iterative depth-first search, pushing a node once all it reaches is done.
    if !seen.insert(node.to_owned()) {
        return;
    }
    let mut stack: Vec<(String, Vec<String>)> =
        vec![(node.to_owned(), graph.get(node).map(|s| s.iter().cloned().collect()).unwrap_or_default())];
    while let Some((current, mut next)) = stack.pop() {
        match next.pop() {
            Some(n) => {
                stack.push((current, next));
                if seen.insert(n.clone()) {
                    let children = graph.get(&n).map(|s| s.iter().cloned().collect()).unwrap_or_default();
                    stack.push((n, children));
                }
            }
            None => out.push(current),
        }
    }
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(root).map_err(std::io::Error::other)?.with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] {
                continue;
            }
            out.insert(parts.join("::"), std::fs::read_to_string(&path)?);
        }
    }
    Ok(())
}

/// The source without comment lines and without its test module (everything from
/// `#[cfg(test)]` on, which is where this project keeps them).
fn code_of(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// Every `crate::a::b` and `super::a` path in `code`, as its segments (with `crate` or
/// `super` first); a grouped import (`super::{a, b::c}`) gives one path per item.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for start in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(i) = rest.find(start) {
            let preceded = rest[..i].chars().last().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            if !preceded {
                let head = start.trim_end_matches(':').to_owned();
                tree(&rest[i + start.len()..], vec![head], &mut out);
            }
            rest = &rest[i + start.len()..];
        }
    }
    out
}

/// Reads a path's tail (`a::b`, or `{a, b::{c, d}}`) after `prefix`, adding each full path.
/// Returns how much of `text` it read.
fn tree(text: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    let mut at = 0;
    loop {
        let rest = &text[at..];
        if let Some(inner) = rest.strip_prefix('{') {
            at += 1;
            let mut offset = 0;
            loop {
                let item = &inner[offset..];
                let skipped = item.len() - item.trim_start().len();
                offset += skipped;
                if inner[offset..].starts_with('}') || offset >= inner.len() {
                    return at + offset + 1;
                }
                offset += tree(&inner[offset..], path.clone(), out);
                let after = &inner[offset..];
                let skipped = after.len() - after.trim_start().len();
                offset += skipped;
                if inner[offset..].starts_with(',') {
                    offset += 1;
                }
            }
        }
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        if name.is_empty() {
            out.push(path);
            return at;
        }
        at += name.len();
        path.push(name);
        if text[at..].starts_with("::") {
            at += 2;
        } else {
            out.push(path);
            return at;
        }
    }
}

/// The module a path names: its longest prefix that is a module.
fn resolve(path: &[String], parent: &str, names: &BTreeSet<String>) -> Option<String> {
    let (base, rest) = match path.first().map(String::as_str) {
        Some("crate") => (String::new(), &path[1..]),
        Some("super") => (parent.to_owned(), &path[1..]),
        _ => return None,
    };
    let mut best = (!base.is_empty()).then(|| base.clone());
    let mut current = base;
    for segment in rest {
        current = if current.is_empty() { segment.clone() } else { format!("{current}::{segment}") };
        if names.contains(&current) {
            best = Some(current.clone());
        } else {
            break;
        }
    }
    best
}

fn graph_of(edges: &[(&str, &[&str])]) -> Graph {
    edges.iter().map(|(a, bs)| ((*a).to_owned(), bs.iter().map(|b| (*b).to_owned()).collect())).collect()
}

#[test]
fn finds_a_cycle_and_only_that() {
    let g = graph_of(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &["a"])]);
    let found = cycles(&g);
    assert_eq!(found, vec![["a", "b", "c"].iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>()]);
    assert!(cycles(&graph_of(&[("a", &["b"]), ("b", &[]), ("c", &["a", "b"])])).is_empty());
}

#[test]
fn reads_paths_to_modules() {
    let names: BTreeSet<String> = ["store", "store::rows", "error"].iter().map(|s| (*s).to_owned()).collect();
    let path = |s: &str| s.split("::").map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(resolve(&path("crate::store::rows::BookingRow"), "", &names).as_deref(), Some("store::rows"));
    assert_eq!(resolve(&path("super::rows"), "store", &names).as_deref(), Some("store::rows"));
    assert_eq!(resolve(&path("crate::error::AppError"), "", &names).as_deref(), Some("error"));
    assert_eq!(
        paths("use super::{Store, db::{self, query}};"),
        vec![path("super::Store"), path("super::db::self"), path("super::db::query")]
    );
    assert_eq!(
        paths(&code_of("// crate::ignored\nlet x = crate::error::AppError::from(e);")),
        vec![path("crate::error::AppError::from")]
    );
}

#[test]
fn the_backend_and_xtask_have_no_module_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for src in ["backend/src", "xtask/src"] {
        let graph = read(&root.join(src)).expect("sources read");
        assert!(graph.len() > 10, "{src}: only {} modules read", graph.len());
        assert_eq!(cycles(&graph), Vec::<BTreeSet<String>>::new(), "modules of {src} that import each other");
    }
}
