//! The layer rule of ARCHITECTURE.md and `src/lib.rs`, checked on the
//! source: a module uses `crate::X` (or `super::…`) only from its own layer
//! or a lower one, the emulator only the service rules, and no two files
//! import each other, directly or through others.
//!
//! The check reads `src/**/*.rs` as text: comments, string literals and
//! `#[cfg(test)]` modules are removed, then every `crate::…` and `super::…`
//! path (in `use` trees and inline) and every `use child::…` of a module's
//! own child is an edge from the file to the file of the module it names.
//! A `pub use` of a module's own child is not an edge: it is the module's
//! interface (like its `mod` lines), not something its code depends on.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers from the bottom, by top-level module.
const LAYERS: &[&[&str]] = &[
    &[
        "diag", "service", "yaml", "fs", "schema", "redact", "budget",
    ],
    &["catalog", "playbook"],
    &["validate"],
    &["plan", "pipeline"],
    &["journal", "clients", "execute", "discover", "chat"],
    &["report"],
    &["app"],
];

/// Beside the layers: may use only these top-level modules (and itself).
const BESIDE: &[(&str, &[&str])] = &[("emulator", &["service"])];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Layer(usize),
    Beside(&'static [&'static str]),
    Root,
}

fn place(top: &str) -> Place {
    if let Some(i) = LAYERS.iter().position(|l| l.contains(&top)) {
        return Place::Layer(i);
    }
    if let Some((_, allowed)) = BESIDE.iter().find(|(m, _)| *m == top) {
        return Place::Beside(allowed);
    }
    Place::Root
}

/// The source with comments, strings and char literals blanked.
fn strip(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == b'r' && matches!(b.get(i + 1), Some(b'"' | b'#')) && !ident_before(b, i) {
            // Raw string: r"…", r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(c as char);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == b'"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&b'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j;
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == b'\'' && (b.get(i + 2) == Some(&b'\'') || (b.get(i + 1) == Some(&b'\\'))) {
            // A char literal ('x', '\n', '\u{1}'); lifetimes are left alone.
            let mut j = i + 1;
            if b[j] == b'\\' {
                j += 1;
            }
            while j < b.len() && b[j] != b'\'' {
                j += 1;
            }
            out.push_str("' '");
            i = j + 1;
        } else {
            // Keep the text as it is (UTF-8 continuation bytes included).
            let len = utf8_len(c);
            out.push_str(&text[i..i + len]);
            i += len;
        }
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// Whether the path at `i` continues one before it (`x::crate::`, or the
/// second `super` of `super::super::`), so it is not a path of its own.
fn ident_before(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b':')
}

/// Removes `#[cfg(test)]` items: `mod tests { … }` and `mod tests;`.
fn drop_test_modules(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        // The item: up to its `;` or its balanced braces.
        let semi = after.find(';');
        let brace = after.find('{');
        let end = match (semi, brace) {
            (Some(s), Some(b)) if s < b => s + 1,
            (_, Some(b)) => {
                let mut depth = 0;
                let mut end = after.len();
                for (k, ch) in after[b..].char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = b + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (Some(s), None) => s + 1,
            (None, None) => after.len(),
        };
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// A source file and the module it is.
struct File {
    module: Vec<String>,
    text: String,
}

fn module_of(src: &Path, path: &Path) -> Vec<String> {
    let rel = path.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" && stem != "main" {
        parts.push(stem.to_string());
    }
    parts
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Reads the crate's files, without the test-only ones.
fn files(src: &Path) -> Vec<File> {
    let mut paths = Vec::new();
    collect(src, &mut paths);
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let module = module_of(src, &path);
        if module.last().is_some_and(|m| m == "tests") || path.ends_with("main.rs") {
            continue;
        }
        let text = drop_test_modules(&strip(&std::fs::read_to_string(&path).unwrap()));
        out.push(File { module, text });
    }
    out
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into its paths.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap().trim().to_string()];
    };
    let prefix = tree[..open].trim().trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, ch) in inner.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                prefix.to_string()
            } else {
                format!("{prefix}::{p}")
            }
        })
        .collect()
}

/// Every module path a file names: absolute segments from the crate root.
fn references(file: &File, modules: &BTreeSet<Vec<String>>) -> Vec<Vec<String>> {
    let mut paths: Vec<String> = Vec::new();
    // `use` trees (they may start with a child module's name).
    let mut rest = file.text.as_str();
    while let Some(at) = rest.find("use ") {
        let before_ok = at == 0 || !ident_before(rest.as_bytes(), at);
        let reexport =
            rest[..at].trim_end().ends_with("pub") || rest[..at].trim_end().ends_with("pub(crate)");
        let after = &rest[at + 4..];
        let end = after.find(';').unwrap_or(after.len());
        if before_ok {
            let tree = expand(&after[..end]);
            paths.extend(tree.into_iter().filter(|p| {
                // A re-export of a child: `pub use child::X`.
                let first = p.split("::").next().unwrap_or("");
                let mut child = file.module.clone();
                child.push(first.to_string());
                !(reexport && modules.contains(&child))
            }));
        }
        rest = &after[end.min(after.len())..];
    }
    // Inline paths.
    let bytes = file.text.as_bytes();
    for key in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = file.text[from..].find(key) {
            let at = from + i;
            from = at + key.len();
            if ident_before(bytes, at) {
                continue;
            }
            let end = file.text[at..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(file.text.len(), |e| at + e);
            paths.push(file.text[at..end].trim_end_matches(':').to_string());
        }
    }
    let mut out = Vec::new();
    for p in paths {
        let segs: Vec<&str> = p.split("::").filter(|s| !s.is_empty()).collect();
        let Some(first) = segs.first() else { continue };
        let mut abs: Vec<String> = match *first {
            "crate" => Vec::new(),
            "super" => {
                // Each `super` is one step up the module path.
                let mut m = file.module.clone();
                let mut i = 0;
                while segs.get(i) == Some(&"super") {
                    m.pop();
                    i += 1;
                }
                m.extend(segs[i..].iter().map(|s| s.to_string()));
                out.push(longest(modules, &m));
                continue;
            }
            "self" => file.module.clone(),
            child => {
                let mut m = file.module.clone();
                m.push(child.to_string());
                if modules.contains(&m) {
                    m.pop();
                } else {
                    continue;
                }
                m
            }
        };
        abs.extend(
            segs.iter()
                .skip(if *first == "crate" || *first == "self" {
                    1
                } else {
                    0
                })
                .map(|s| s.to_string()),
        );
        out.push(longest(modules, &abs));
    }
    out.retain(|m| !m.is_empty() && *m != file.module);
    out
}

/// The longest prefix of `path` that is a module of the crate.
fn longest(modules: &BTreeSet<Vec<String>>, path: &[String]) -> Vec<String> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
        .unwrap_or_default()
}

struct Graph {
    /// file module → modules it uses.
    edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
}

fn graph(src: &Path) -> Graph {
    let files = files(src);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| f.module.clone()).collect();
    let mut edges = BTreeMap::new();
    for f in &files {
        let refs: BTreeSet<Vec<String>> = references(f, &modules).into_iter().collect();
        edges.insert(f.module.clone(), refs);
    }
    Graph { edges }
}

/// Edges that point up the layers, or out of a module beside them.
fn violations(g: &Graph) -> Vec<String> {
    let mut bad = Vec::new();
    for (from, tos) in &g.edges {
        let Some(top) = from.first() else { continue };
        for to in tos {
            let Some(to_top) = to.first() else { continue };
            if to_top == top {
                continue;
            }
            let ok = match (place(top), place(to_top)) {
                (Place::Layer(a), Place::Layer(b)) => b <= a,
                (Place::Beside(allowed), _) => allowed.contains(&to_top.as_str()),
                (Place::Layer(_), Place::Beside(_)) => top == "app",
                (_, Place::Root) | (Place::Root, _) => false,
            };
            if !ok {
                bad.push(format!("{} uses {}", from.join("::"), to.join("::")));
            }
        }
    }
    bad
}

/// Every cycle between files, as one member path each (Tarjan's strongly
/// connected components of more than one file, or a file using itself).
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    let nodes: Vec<&Vec<String>> = g.edges.keys().collect();
    let index_of: BTreeMap<&Vec<String>, usize> =
        nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let adj: Vec<Vec<usize>> = nodes
        .iter()
        .map(|n| {
            g.edges[*n]
                .iter()
                .filter_map(|t| index_of.get(t).copied())
                .collect()
        })
        .collect();
    struct T<'a> {
        adj: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(t: &mut T<'_>, v: usize) {
        t.index[v] = Some(t.next);
        t.low[v] = t.next;
        t.next += 1;
        t.stack.push(v);
        t.on[v] = true;
        for &w in &t.adj[v].clone() {
            match t.index[w] {
                None => {
                    visit(t, w);
                    t.low[v] = t.low[v].min(t.low[w]);
                }
                Some(iw) if t.on[w] => t.low[v] = t.low[v].min(iw),
                _ => {}
            }
        }
        if Some(t.low[v]) == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on[w] = false;
                comp.push(w);
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                t.out.push(comp);
            }
        }
    }
    let n = nodes.len();
    let mut t = T {
        adj: &adj,
        index: vec![None; n],
        low: vec![0; n],
        on: vec![false; n],
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if t.index[v].is_none() {
            visit(&mut t, v);
        }
    }
    t.out
        .into_iter()
        .map(|c| {
            let mut names: Vec<String> = c.iter().map(|&i| nodes[i].join("::")).collect();
            names.sort();
            names
        })
        .collect()
}

fn src() -> PathBuf {
    crate::support::fixtures::root().join("src")
}

#[test]
fn no_module_uses_a_higher_layer() {
    let bad = violations(&graph(&src()));
    assert!(bad.is_empty(), "edges up the layers:\n{}", bad.join("\n"));
}

#[test]
fn no_import_cycle_between_files() {
    let found = cycles(&graph(&src()));
    assert!(
        found.is_empty(),
        "files that import each other:\n{}",
        found
            .iter()
            .map(|c| c.join(" ⇄ "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_place() {
    let g = graph(&src());
    let tops: BTreeSet<&String> = g.edges.keys().filter_map(|m| m.first()).collect();
    let placeless: Vec<&&String> = tops.iter().filter(|t| place(t) == Place::Root).collect();
    assert!(placeless.is_empty(), "modules in no layer: {placeless:?}");
}

/// The check itself: a back edge and a cycle in a small crate are found.
#[test]
fn the_check_finds_a_back_edge_and_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    let write = |p: &str, t: &str| {
        let path = src.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    };
    write("lib.rs", "pub mod diag;\npub mod plan;\n");
    // diag (layer 0) reaching up into plan (layer 3): a back edge.
    write(
        "diag/mod.rs",
        "//! uses crate::app in a comment only\npub mod a;\nuse crate::plan::Thing;\n",
    );
    write(
        "diag/a.rs",
        "use super::b;\nconst S: &str = \"crate::app::x\";\n",
    );
    write("diag/b.rs", "use super::a::X;\n");
    write(
        "plan/mod.rs",
        "use crate::diag::a;\n#[cfg(test)]\nmod tests { use crate::app::Cli; }\n",
    );
    // `super::super::` is one path to the grandparent, not also a
    // `super::` to the parent (that would be a false cycle sub ⇄ leaf).
    write("plan/sub/mod.rs", "pub mod leaf;\nuse leaf::X;\n");
    write("plan/sub/leaf.rs", "use super::super::Thing;\n");
    let g = graph(src);
    assert_eq!(violations(&g), vec!["diag uses plan".to_string()]);
    assert_eq!(
        cycles(&g),
        vec![vec!["diag::a".to_string(), "diag::b".to_string()]]
    );
}
