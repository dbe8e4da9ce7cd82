//! Imports run one way: probe → enumerate → facts → findings → report → render (see the
//! README's "Code map"). This reads every `crate::` path in the library's sources (test
//! modules left out) and fails on an edge that points up the list, on an import cycle between
//! top-level modules, and on one between the sibling modules of a folder (e.g. text and HTML
//! renderers).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of the library and its layer: a module may import its own layer and
/// the ones below, never one above.
const LAYERS: &[(&str, u8)] = &[
    // Sans-IO codec and the IANA registry.
    ("wire", 0),
    // Typed facts: what a scan learned, no verdicts.
    ("facts", 1),
    // Sockets, hellos, handshakes.
    ("probe", 2),
    // Stages: plan probes, fold outcomes into facts.
    ("enumerate", 3),
    // Analysis: facts in, findings and verdicts out.
    ("certs", 4),
    ("policy", 4),
    ("grade", 4),
    ("simulate", 4),
    // The envelope: facts + policy result + grade.
    ("report", 5),
    // The workflow over all of the above.
    ("audit", 6),
    // Renderers read reports.
    ("render", 7),
    // Front ends over the library.
    ("client", 8),
    ("serve", 8),
    // The fuzz targets' entry points, over every parser above (doc-hidden).
    ("fuzzing", 9),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// Every `.rs` file below `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file below `src/`: `render/text/mod.rs` → ["render", "text"].
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The code of a file without its `#[cfg(test)]` modules (which may reach anywhere) and
/// without comments.
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut skipping_test_module = false;
    let mut depth = 0i32;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if skipping_test_module {
            depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            if depth <= 0 {
                skipping_test_module = false;
            }
            continue;
        }
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            let header = lines.next().unwrap_or_default();
            depth = header.matches('{').count() as i32 - header.matches('}').count() as i32;
            skipping_test_module = depth > 0;
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The first `depth` segments of every `crate::…` path in `code` (`use crate::{a, b::c}`
/// included).
fn crate_paths(code: &str, depth: usize) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| -> Vec<String> {
        s.split("::")
            .map(|p| {
                p.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .take_while(|p| !p.is_empty() && p.chars().all(|c| !c.is_ascii_uppercase()))
            .take(depth)
            .collect()
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or_default();
            for item in inner.split(',') {
                let path = ident(item.trim());
                if !path.is_empty() {
                    found.insert(path);
                }
            }
        } else {
            let path = ident(rest);
            if !path.is_empty() {
                found.insert(path);
            }
        }
    }
    found
}

/// Strongly connected components with more than one node (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        if let Some(next) = s.edges.get(v) {
            for w in next {
                if !s.index.contains_key(w.as_str()) {
                    visit(s, w);
                    let lw = s.low[w.as_str()];
                    let lv = s.low[v];
                    s.low.insert(v, lv.min(lw));
                } else if s.on_stack.contains(w.as_str()) {
                    let iw = s.index[w.as_str()];
                    let lv = s.low[v];
                    s.low.insert(v, lv.min(iw));
                }
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

struct Library {
    /// (module path of the file, file, its code)
    files: Vec<(Vec<String>, PathBuf, String)>,
}

fn library() -> Library {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    sources(&src, &mut paths);
    paths.sort();
    let files = paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (module_path(&src, &p), p, code(&text))
        })
        // The binary (main.rs and its private modules) sits above the library.
        .filter(|(m, _, _)| !m.is_empty() && m[0] != "main" && m[0] != "cli")
        .collect();
    Library { files }
}

#[test]
fn every_top_level_module_has_a_layer() {
    let lib = library();
    let unknown: BTreeSet<&str> = lib
        .files
        .iter()
        .map(|(m, _, _)| m[0].as_str())
        .filter(|m| layer(m).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "give these modules a layer in tests/it/architecture.rs (and the README's code map): {unknown:?}"
    );
}

#[test]
fn no_module_imports_one_above_it() {
    let mut wrong = Vec::new();
    for (module, file, code) in library().files {
        let Some(own) = layer(&module[0]) else {
            continue;
        };
        for path in crate_paths(&code, 1) {
            if let Some(theirs) = layer(&path[0]) {
                if theirs > own {
                    wrong.push(format!(
                        "{} ({}, layer {own}) imports crate::{} (layer {theirs})",
                        file.display(),
                        module[0],
                        path[0]
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that point up:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, _, code) in library().files {
        let from = module[0].clone();
        let entry = edges.entry(from.clone()).or_default();
        for path in crate_paths(&code, 1) {
            if path[0] != from {
                entry.insert(path[0].clone());
            }
        }
    }
    assert_eq!(cycles(&edges), Vec::<Vec<String>>::new());
}

#[test]
fn no_import_cycle_between_sibling_modules() {
    // Edges between the children of one folder (`render::text` → `render::view`), leaving out
    // the folder's own mod.rs, which declares and re-exports its children.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, _, code) in library().files {
        if module.len() < 2 {
            continue;
        }
        let from = format!("{}::{}", module[0], module[1]);
        let entry = edges.entry(from.clone()).or_default();
        let mut targets: BTreeSet<Vec<String>> = crate_paths(&code, 2);
        // `super::x` from a direct child of the folder names a sibling.
        if module.len() == 2 {
            for (i, _) in code.match_indices("super::") {
                let name: String = code[i + "super::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name.chars().all(|c| !c.is_ascii_uppercase()) {
                    targets.insert(vec![module[0].clone(), name]);
                }
            }
        }
        for t in targets {
            if t.len() == 2 && t[0] == module[0] {
                let to = format!("{}::{}", t[0], t[1]);
                if to != from {
                    entry.insert(to);
                }
            }
        }
    }
    assert_eq!(cycles(&edges), Vec::<Vec<String>>::new());
}

#[test]
fn the_checker_sees_a_cycle_and_an_upward_import() {
    // The check itself: a made-up pair of modules importing each other is a cycle, and the
    // path reader finds grouped and nested imports.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    edges.insert("a".into(), ["b".to_string()].into());
    edges.insert("b".into(), ["a".to_string()].into());
    edges.insert("c".into(), ["a".to_string()].into());
    assert_eq!(cycles(&edges), vec![vec!["a".to_string(), "b".to_string()]]);
    let paths = crate_paths(
        "use crate::{facts::TlsVersion, wire::registry};\nlet x = crate::report::TargetReport::default();",
        1,
    );
    let names: Vec<&str> = paths.iter().map(|p| p[0].as_str()).collect();
    assert_eq!(names, ["facts", "report", "wire"]);
    assert!(layer("facts") < layer("report"));
    let stripped =
        code("use crate::a;\n#[cfg(test)]\nmod tests {\n    use crate::z;\n}\nuse crate::b;\n");
    assert_eq!(stripped, "use crate::a;\nuse crate::b;\n");
}
