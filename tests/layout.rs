//! The crate's module layout: no import cycle between modules, `auth` never imports
//! `checks` or `scan`, and the leaf parsers in `fields` import nothing from `auth`, `checks`
//! or `scan`.
//!
//! # What a module dependency is here
//!
//! A node is a source file under `src/` (a module and its file are one: `src/a/b.rs` and
//! `src/a/b/mod.rs` are the module `a::b`, `src/lib.rs` the crate root). File A depends on
//! file B when A's code names an item that B defines: in a `use` declaration (with `pub` or
//! not, every leaf of a use tree), or in a path written in the code that starts with
//! `crate::`, `super::` or `self::`. A name is followed through the `use` declarations of
//! the module it is named in (imports and `pub use` re-exports alike) to the file that
//! defines it, so `crate::Span` is a dependency on `span.rs`, not on `lib.rs`. Comments
//! (doc links included) and string literals do not count; macro bodies' `$crate` paths
//! are not read; glob imports are dependencies on the module they import from.
//!
//! One kind of reference is not a dependency: a module's root file (`lib.rs`, `mod.rs`, or
//! `a.rs` of `a/`) naming something in its own descendant modules. The root declares its
//! children, re-exports them and composes them (calls the checks it holds, say): parent and
//! children are one module seen from above, and the root is its face. Everything else
//! counts: a child using its parent's items, siblings using each other, any use across
//! subtrees. So `checks/time.rs` may use `Finding` from `checks/mod.rs`, and `checks/mod.rs`
//! may call `time::check`, but `checks/time.rs` and `checks/mailer.rs` must not use each
//! other both ways, and a re-export in `lib.rs` never closes a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path from the crate root (`["checks", "time"]`).
type ModPath = Vec<String>;

/// One source file: its module, its `use` declarations, and the crate paths in its code.
#[derive(Debug, Default)]
struct FileInfo {
    name: String,
    module: ModPath,
    /// Names brought into scope at the file's top level: name -> absolute path.
    imports: BTreeMap<String, ModPath>,
    /// Every crate path the file names, absolute (imports included).
    paths: Vec<ModPath>,
}

/// Replace comments, string, byte-string, raw-string and char literals by spaces.
fn strip(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
            continue;
        }
        let prev_ident = i > 0 && ident(b[i - 1]);
        // Raw strings: r"..", r#".."#, br#".."#.
        if !prev_ident && (c == 'r' || (c == 'b' && next == Some('r'))) {
            let mut j = if c == 'b' { i + 2 } else { i + 1 };
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) == Some(&'"') {
                j += 1;
                loop {
                    match b.get(j) {
                        None => break,
                        Some('"') if (1..=hashes).all(|k| b.get(j + k) == Some(&'#')) => {
                            j += 1 + hashes;
                            break;
                        }
                        _ => j += 1,
                    }
                }
                out.push_str(" \"\" ");
                i = j;
                continue;
            }
        }
        if c == '"' || (!prev_ident && c == 'b' && next == Some('"')) {
            let mut j = if c == 'b' { i + 2 } else { i + 1 };
            while j < b.len() && b[j] != '"' {
                if b[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            out.push_str(" \"\" ");
            i = j + 1;
            continue;
        }
        if c == '\'' || (!prev_ident && c == 'b' && next == Some('\'')) {
            let q = if c == 'b' { i + 1 } else { i };
            // A char literal ('x', '\n', '\u{..}'), not a lifetime ('a).
            if b.get(q + 1) == Some(&'\\') {
                // Past the backslash and the escaped character.
                let mut j = q + 3;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
                out.push_str(" ' ");
                i = j + 1;
                continue;
            }
            if b.get(q + 2) == Some(&'\'') {
                out.push_str(" ' ");
                i = q + 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Tokens: identifiers, `::`, and single punctuation characters.
fn tokens(code: &str) -> Vec<String> {
    let b: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push(b[start..i].iter().collect());
        } else if c == ':' && b.get(i + 1) == Some(&':') {
            out.push("::".to_string());
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// One leaf of a use tree: its path as written and the name it binds (`None` for a glob).
type UseLeaf = (Vec<String>, Option<String>);

/// Parse a use tree starting at `toks[*i]`, with `prefix` from the enclosing braces.
fn use_tree(toks: &[String], i: &mut usize, prefix: &[String], out: &mut Vec<UseLeaf>) {
    let mut path = prefix.to_vec();
    loop {
        match toks.get(*i).map(String::as_str) {
            Some("{") => {
                *i += 1;
                while toks.get(*i).is_some_and(|t| t != "}") {
                    use_tree(toks, i, &path, out);
                    if toks.get(*i).is_some_and(|t| t == ",") {
                        *i += 1;
                    }
                }
                *i += 1;
                return;
            }
            Some("*") => {
                *i += 1;
                out.push((path, None));
                return;
            }
            Some("::") => *i += 1,
            Some(t) if t.chars().all(|c| c.is_alphanumeric() || c == '_') => {
                if t == "self" && !path.is_empty() && path.len() == prefix.len() {
                    // `{self, ...}`: the prefix itself.
                } else {
                    path.push(t.to_string());
                }
                *i += 1;
                if toks.get(*i).is_some_and(|t| t == "as") {
                    let alias = toks.get(*i + 1).cloned();
                    *i += 2;
                    out.push((path, alias));
                    return;
                }
                if toks.get(*i).is_none_or(|t| t != "::") {
                    let name = path.last().cloned();
                    out.push((path, name));
                    return;
                }
            }
            _ => return,
        }
    }
}

/// Read one file: its module path comes from its place under `src/`.
fn read_file(root: &Path, file: &Path, children: &BTreeSet<String>) -> FileInfo {
    let rel = file.strip_prefix(root).unwrap();
    let mut module: ModPath = rel
        .with_extension("")
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if module.last().is_some_and(|m| m == "mod" || m == "lib") {
        module.pop();
    }
    let src = std::fs::read_to_string(file).unwrap();
    analyze(&rel.display().to_string(), module, &src, children)
}

/// Absolute form of a path written in module `here` (inline modules included); `None` for
/// paths outside the crate (other crates, local names).
fn absolute(path: &[String], here: &[String], children: &BTreeSet<String>) -> Option<ModPath> {
    let first = path.first()?;
    let mut base: ModPath;
    let mut rest = path;
    match first.as_str() {
        "crate" => {
            base = Vec::new();
            rest = &path[1..];
        }
        "super" | "self" => {
            base = here.to_vec();
            while let Some(s) = rest.first() {
                match s.as_str() {
                    "super" => {
                        base.pop()?;
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        // A child module of this file, named relatively (`pub use routing::Hop`).
        name if children.contains(name) => base = here.to_vec(),
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// Read a file's text (the module it is, the child modules declared in its directory).
fn analyze(name: &str, module: ModPath, src: &str, children: &BTreeSet<String>) -> FileInfo {
    let toks = tokens(&strip(src));
    let mut info = FileInfo {
        name: name.to_string(),
        module: module.clone(),
        ..FileInfo::default()
    };
    // Inline modules (`mod tests { ... }`) change what `super` and `self` mean.
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].as_str();
        let here: ModPath = module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(n, _)| n.clone()))
            .collect();
        match t {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            "mod" if toks.get(i + 2).is_some_and(|t| t == "{") => {
                inline.push((toks[i + 1].clone(), depth));
                depth += 1;
                i += 3;
                continue;
            }
            "use" => {
                i += 1;
                let mut leaves = Vec::new();
                use_tree(&toks, &mut i, &[], &mut leaves);
                for (path, bound) in leaves {
                    let Some(abs) = absolute(&path, &here, children) else {
                        continue;
                    };
                    if let (Some(bound), true) = (bound, inline.is_empty()) {
                        info.imports.insert(bound, abs.clone());
                    }
                    info.paths.push(abs);
                }
                continue;
            }
            "crate" | "super" | "self"
                if toks.get(i + 1).is_some_and(|t| t == "::")
                    && (i == 0
                        || (toks[i - 1] != "::" && toks[i - 1] != "$" && toks[i - 1] != "in")) =>
            {
                let mut path = vec![t.to_string()];
                let mut j = i + 1;
                while toks.get(j).is_some_and(|t| t == "::")
                    && toks
                        .get(j + 1)
                        .is_some_and(|t| t.chars().all(|c| c.is_alphanumeric() || c == '_'))
                {
                    path.push(toks[j + 1].clone());
                    j += 2;
                }
                if let Some(abs) = absolute(&path, &here, children) {
                    info.paths.push(abs);
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    info
}

/// The module graph of a set of files: edges between file indices, by the rule of the
/// module documentation.
struct Graph {
    files: Vec<FileInfo>,
    edges: BTreeSet<(usize, usize)>,
}

impl Graph {
    fn new(files: Vec<FileInfo>) -> Graph {
        let by_module: BTreeMap<ModPath, usize> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.module.clone(), i))
            .collect();
        let mut edges = BTreeSet::new();
        for (from, f) in files.iter().enumerate() {
            for p in &f.paths {
                let Some(to) = resolve(&files, &by_module, p, 0) else {
                    continue;
                };
                let ancestor = files[to].module.starts_with(&f.module);
                if to != from && !ancestor {
                    edges.insert((from, to));
                }
            }
        }
        Graph { files, edges }
    }

    /// A cycle, as file names, if there is one.
    fn cycle(&self) -> Option<Vec<String>> {
        // Depth-first search with colours: 0 new, 1 on the stack, 2 done.
        let n = self.files.len();
        let mut colour = vec![0u8; n];
        let mut stack: Vec<usize> = Vec::new();
        fn visit(
            g: &Graph,
            v: usize,
            colour: &mut [u8],
            stack: &mut Vec<usize>,
        ) -> Option<Vec<String>> {
            colour[v] = 1;
            stack.push(v);
            for &(_, w) in g.edges.range((v, 0)..(v + 1, 0)) {
                if colour[w] == 1 {
                    let at = stack.iter().position(|&s| s == w).unwrap_or(0);
                    let mut c: Vec<String> = stack[at..]
                        .iter()
                        .map(|&s| g.files[s].name.clone())
                        .collect();
                    c.push(g.files[w].name.clone());
                    return Some(c);
                }
                if colour[w] == 0
                    && let Some(c) = visit(g, w, colour, stack)
                {
                    return Some(c);
                }
            }
            stack.pop();
            colour[v] = 2;
            None
        }
        (0..n).find_map(|v| {
            if colour[v] == 0 {
                visit(self, v, &mut colour, &mut stack)
            } else {
                None
            }
        })
    }

    /// Edges from files under module `from` to files under module `to`, as names.
    fn crossing(&self, from: &str, to: &[&str]) -> Vec<String> {
        self.edges
            .iter()
            .filter(|(a, b)| {
                self.files[*a].module.first().is_some_and(|m| m == from)
                    && self.files[*b]
                        .module
                        .first()
                        .is_some_and(|m| to.contains(&m.as_str()))
            })
            .map(|(a, b)| format!("{} -> {}", self.files[*a].name, self.files[*b].name))
            .collect()
    }
}

/// The file defining what an absolute path names: the deepest module of the path that is a
/// file, then through that module's imports and re-exports.
fn resolve(
    files: &[FileInfo],
    by_module: &BTreeMap<ModPath, usize>,
    path: &[String],
    hops: usize,
) -> Option<usize> {
    let k = (0..=path.len())
        .rev()
        .find(|k| by_module.contains_key(&path[..*k]))?;
    let file = by_module[&path[..k]];
    if hops < 16
        && let Some(target) = path.get(k).and_then(|n| files[file].imports.get(n))
    {
        let mut next = target.clone();
        next.extend(path[k + 1..].iter().cloned());
        if next != path {
            return resolve(files, by_module, &next, hops + 1).or(Some(file));
        }
    }
    Some(file)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The crate's own graph.
fn crate_graph() -> Graph {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    rust_files(&root, &mut paths);
    paths.sort();
    let files = paths
        .iter()
        .map(|p| {
            // The child modules a file can name relatively: the files of its directory
            // (for `mod.rs`/`lib.rs`) or of the directory named after it.
            let dir = match p.file_stem().and_then(|s| s.to_str()) {
                Some("mod" | "lib") => p.parent().map(Path::to_path_buf),
                _ => Some(p.with_extension("")),
            };
            let mut children = BTreeSet::new();
            if let Some(Ok(entries)) = dir.map(std::fs::read_dir) {
                for e in entries.flatten() {
                    let q = e.path();
                    let stem = q.file_stem().map(|s| s.to_string_lossy().into_owned());
                    if let Some(stem) = stem.filter(|s| s != "mod") {
                        children.insert(stem);
                    }
                }
            }
            read_file(&root, p, &children)
        })
        .collect();
    Graph::new(files)
}

#[test]
fn no_module_cycles() {
    let g = crate_graph();
    assert!(g.files.len() > 20, "the sources were not found");
    assert!(g.edges.len() > 20, "no dependency was read");
    if let Some(cycle) = g.cycle() {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
}

#[test]
fn auth_does_not_import_checks_or_scan() {
    let g = crate_graph();
    let bad = g.crossing("auth", &["checks", "scan"]);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn fields_is_a_leaf() {
    let g = crate_graph();
    let bad = g.crossing("fields", &["auth", "checks", "scan"]);
    assert!(bad.is_empty(), "{bad:#?}");
    // It is used by both sides.
    assert!(!g.crossing("auth", &["fields"]).is_empty());
    assert!(!g.crossing("checks", &["fields"]).is_empty());
}

// The rule itself, on small made-up crates: each check can fail.

fn graph_of(files: &[(&str, &str)]) -> Graph {
    let infos = files
        .iter()
        .map(|(path, src)| {
            let mut module: ModPath = path
                .trim_end_matches(".rs")
                .split('/')
                .map(str::to_string)
                .collect();
            if module.last().is_some_and(|m| m == "mod" || m == "lib") {
                module.pop();
            }
            // Children: the other files one level below.
            let children = files
                .iter()
                .filter_map(|(q, _)| {
                    let m: Vec<&str> = q.trim_end_matches(".rs").split('/').collect();
                    let m: Vec<&str> = m
                        .into_iter()
                        .filter(|s| *s != "mod" && *s != "lib")
                        .collect();
                    (m.len() == module.len() + 1
                        && m.starts_with(&module.iter().map(String::as_str).collect::<Vec<_>>()))
                    .then(|| m.last().unwrap().to_string())
                })
                .collect();
            analyze(path, module, src, &children)
        })
        .collect();
    Graph::new(infos)
}

#[test]
fn sibling_cycle_is_found() {
    let g = graph_of(&[
        ("lib.rs", "pub mod checks;"),
        (
            "checks/mod.rs",
            "mod a; mod b; pub struct Finding; pub fn run() { a::f(); b::g(); }",
        ),
        ("checks/a.rs", "use super::b::g; pub fn f() { g() }"),
        ("checks/b.rs", "pub fn g() { crate::checks::a::f() }"),
    ]);
    let cycle = g.cycle().expect("a <-> b");
    assert_eq!(cycle, ["checks/a.rs", "checks/b.rs", "checks/a.rs"]);
}

#[test]
fn parent_composing_children_is_no_cycle() {
    let g = graph_of(&[
        (
            "lib.rs",
            "pub mod checks; pub mod span; pub use span::Span; pub use checks::{Finding, run as check};",
        ),
        ("span.rs", "pub struct Span;"),
        (
            "checks/mod.rs",
            "mod time; pub struct Finding(crate::Span); pub fn run() { time::check() }",
        ),
        (
            "checks/time.rs",
            "use super::Finding; use crate::Span; // crate::checks::run\n\
             pub fn check() { let _ = \"crate::checks::run\"; let _: Option<crate::Finding> = None; }\n\
             #[cfg(test)] mod tests { use super::*; use crate::span; }",
        ),
    ]);
    assert_eq!(g.cycle(), None);
    // `crate::Span` and `crate::Finding` land where they are defined, through lib.rs; the
    // comment and the string do not count; lib.rs and mod.rs compose their children.
    let want: BTreeSet<String> = [
        "checks/mod.rs -> span.rs",
        "checks/time.rs -> span.rs",
        "checks/time.rs -> checks/mod.rs",
    ]
    .map(String::from)
    .into();
    assert_eq!(edge_names(&g), want);
}

fn edge_names(g: &Graph) -> BTreeSet<String> {
    g.edges
        .iter()
        .map(|(a, b)| format!("{} -> {}", g.files[*a].name, g.files[*b].name))
        .collect()
}

#[test]
fn imports_through_re_exports_are_seen() {
    let g = graph_of(&[
        (
            "lib.rs",
            "pub mod auth; pub mod checks; pub mod fields; pub use checks::Finding;",
        ),
        ("checks/mod.rs", "pub struct Finding;"),
        ("auth/mod.rs", "mod dkim;"),
        ("auth/dkim.rs", "use crate::{fields::date, Finding};"),
        ("fields/mod.rs", "pub mod date;"),
        (
            "fields/date.rs",
            "pub fn parse() { let _ = super::super::checks::Finding; }",
        ),
    ]);
    assert_eq!(
        g.crossing("auth", &["checks", "scan"]),
        ["auth/dkim.rs -> checks/mod.rs"]
    );
    assert_eq!(
        g.crossing("fields", &["checks"]),
        ["fields/date.rs -> checks/mod.rs"]
    );
    assert!(
        g.crossing("auth", &["fields"])
            .contains(&"auth/dkim.rs -> fields/date.rs".to_string())
    );
}

#[test]
fn lexing_skips_comments_strings_and_chars() {
    let code = strip(
        "a /* crate::x /* nested */ */ b // crate::y\n\"crate::z\" r#\"crate::w\"# 'c' '\\'' 'a x",
    );
    assert!(!code.contains("crate"), "{code}");
    assert!(code.contains('a') && code.contains('b') && code.contains("'a x"));
    let mut leaves = Vec::new();
    let toks = tokens("crate::a::{self as x, b::{c, d as e}, f::*};");
    use_tree(&toks, &mut 0, &[], &mut leaves);
    let got: Vec<(String, Option<String>)> =
        leaves.into_iter().map(|(p, n)| (p.join("::"), n)).collect();
    assert_eq!(
        got,
        [
            ("crate::a".to_string(), Some("x".to_string())),
            ("crate::a::b::c".to_string(), Some("c".to_string())),
            ("crate::a::b::d".to_string(), Some("e".to_string())),
            ("crate::a::f".to_string(), None),
        ]
    );
}
