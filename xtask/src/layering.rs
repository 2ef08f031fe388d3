//! Which modules of a crate import which: read from the source (`use`
//! declarations and `crate::`/`super::`/`self::` paths in code, comments
//! left out), for the tests that keep the module graph free of cycles.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::Path,
};

/// Module path (`pages::household::offers`) → the modules it imports.
pub type Graph = BTreeMap<String, BTreeSet<String>>;

/// The modules of the crate whose `src` is `src` under `root` (a module path
/// such as `pages`), with their imports of each other.
pub fn graph(src: &Path, root: &str) -> Graph {
    let mut files = Vec::new();
    collect(src, &mut files);
    let mut modules = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap_or(&f).with_extension("");
        let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
            parts.pop();
        }
        let name = parts.join("::");
        if name == root || name.starts_with(&format!("{root}::")) {
            modules.insert(name, f);
        }
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let mut graph = Graph::new();
    for (name, file) in &modules {
        let code = strip(&fs::read_to_string(file).unwrap_or_default());
        let mut to = BTreeSet::new();
        for path in paths(&code) {
            if let Some(target) = resolve(&path, name, &names) {
                if target != *name
                    && !target.starts_with(&format!("{name}::"))
                    && !name.starts_with(&format!("{target}::"))
                {
                    to.insert(target);
                }
            }
        }
        graph.insert(name.clone(), to);
    }
    graph
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code without comments and without a trailing `#[cfg(test)] mod tests { … }`.
fn strip(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests {") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path the code names: each leaf of each `use` tree, and each
/// `crate::…`, `super::…` or `self::…` path elsewhere.
fn paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in code.split_inclusive('\n') {
        let t = line.trim_start();
        let t = t
            .strip_prefix("pub(crate) ")
            .or_else(|| t.strip_prefix("pub(super) "))
            .or_else(|| t.strip_prefix("pub "))
            .unwrap_or(t);
        if let Some(tree) = t.strip_prefix("use ") {
            let start = offset + (line.len() - tree.len());
            if let Some(end) = code[start..].find(';') {
                flatten(code[start..start + end].trim(), "", &mut out);
            }
        }
        offset += line.len();
    }
    let bytes = code.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            let prev = at.checked_sub(1).map(|p| bytes[p]);
            from = at + start.len();
            if prev.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':') {
                continue;
            }
            let end = code[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .map_or(code.len(), |e| at + e);
            out.push(code[at..end].trim_end_matches(':').to_string());
        }
    }
    out
}

/// The leaves of a `use` tree: `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn flatten(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree: String = tree.replace(" as ", "@").split_whitespace().collect();
    match tree.find('{') {
        None => out.push(format!("{prefix}{}", tree.split('@').next().unwrap_or(&tree))),
        Some(open) => {
            let head = format!("{prefix}{}", &tree[..open]);
            let close = tree.rfind('}').filter(|c| *c > open).unwrap_or(tree.len());
            let body = &tree[open + 1..close];
            let (mut depth, mut cur) = (0, String::new());
            for c in body.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if c == ',' && depth == 0 {
                    if !cur.is_empty() {
                        flatten(&cur, &head, out);
                    }
                    cur.clear();
                } else {
                    cur.push(c);
                }
            }
            if !cur.is_empty() {
                flatten(&cur, &head, out);
            }
        }
    }
}

/// The longest known module a path names, seen from module `me`.
fn resolve(path: &str, me: &str, names: &BTreeSet<String>) -> Option<String> {
    let full: Vec<&str> = if let Some(p) = path.strip_prefix("crate::") {
        p.split("::").collect()
    } else if path.starts_with("super::") || path.starts_with("self::") {
        let mut base: Vec<&str> = me.split("::").collect();
        let mut p = path;
        while let Some(rest) = p.strip_prefix("super::") {
            base.pop();
            p = rest;
        }
        if let Some(rest) = p.strip_prefix("self::") {
            p = rest;
        }
        base.extend(p.split("::"));
        base
    } else {
        return None;
    };
    (1..=full.len())
        .rev()
        .map(|n| full[..n].join("::"))
        .find(|c| names.contains(c))
}

/// Groups of two or more modules that import each other, directly or not
/// (Tarjan's strongly connected components).
pub fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.graph.contains_key(w) {
                continue;
            }
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                group.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                s.found.push(group);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> std::path::PathBuf {
        crate::workspace_root()
    }

    #[test]
    fn use_trees_flatten_to_their_leaves() {
        let mut out = Vec::new();
        flatten("crate::{a::{b, c as d}, e}", "", &mut out);
        assert_eq!(out, ["crate::a::b", "crate::a::c", "crate::e"]);
    }

    #[test]
    fn a_cycle_is_found_and_a_chain_is_not() {
        let g: Graph = [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a"]), ("d", vec!["a"])]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
            .collect();
        assert_eq!(cycles(&g), vec![vec!["a".to_string(), "b".into(), "c".into()]]);
    }

    #[test]
    fn web_page_modules_import_each_other_in_no_cycle() {
        let g = graph(&root().join("web/src"), "pages");
        assert!(g.len() > 30, "the page modules were not found: {g:?}");
        assert_eq!(cycles(&g), Vec::<Vec<String>>::new());
    }

    #[test]
    fn no_role_s_pages_import_another_role_s() {
        let g = graph(&root().join("web/src"), "pages");
        let role = |m: &str| m.split("::").nth(1).map(str::to_string);
        for (from, to) in &g {
            for t in to {
                let (a, b) = (role(from), role(t));
                // The statutory pages are everyone's: the council's details
                // they name (`statutory::Contact`) are what its officers edit. A
                // message as pages show it (`messages`) is the household's, its
                // officers' and the demo mailbox's.
                let shared = matches!(
                    b.as_deref(),
                    None | Some("vocabulary" | "acting" | "statutory" | "messages")
                );
                // The signed-out checker and assisted booking serve households'
                // questions and pages by design.
                let household_pages =
                    b.as_deref() == Some("household") && matches!(a.as_deref(), Some("checker" | "auth" | "assist"));
                // Signing up saves the signed-out checker's answers.
                let sign_up = a.as_deref() == Some("auth") && b.as_deref() == Some("checker");
                // The officer's reports are officer pages.
                let officer = a.as_deref() == Some("officer_reports") && b.as_deref() == Some("officer");
                assert!(
                    a == b || shared || household_pages || sign_up || officer,
                    "{from} imports {t}"
                );
            }
        }
    }

    #[test]
    fn the_gateway_s_helper_modules_import_no_object_module() {
        let g = graph(&root().join("graphql/src"), "schema");
        let leaves = [
            "schema::acting",
            "schema::ids",
            "schema::errors",
            "schema::request",
            "schema::loaders",
            "schema::pagination",
            "schema::scalars",
            "schema::geo",
        ];
        for leaf in leaves {
            let to = g.get(leaf).unwrap_or_else(|| panic!("{leaf} not found"));
            for t in to {
                assert!(leaves.contains(&t.as_str()), "{leaf} imports {t}");
            }
        }
        for group in cycles(&g) {
            for m in &group {
                assert!(!leaves.contains(&m.as_str()), "{m} is in a cycle: {group:?}");
            }
        }
    }
}
