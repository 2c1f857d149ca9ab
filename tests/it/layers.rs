//! The core crate's layers: no file imports from a file that imports it back, directly or
//! through others (the arrows are drawn from the `crate::…` / `super::…` paths of each file's
//! code and from a parent's `pub use child::…`; doc comments and inline test modules do not
//! count). No exception: the composite `sum`, whose config holds `LossConfig`s, is generic over
//! its term type (`SumLossConfigOf<C>`), so it sits below the registry that instantiates it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

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

/// The module path of a source file (`losses::segmentation::overlap` for its `mod.rs`).
fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap().with_extension("");
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let parts: Vec<&str> = parts
        .iter()
        .map(String::as_str)
        .filter(|p| *p != "mod" && *p != "lib")
        .collect();
    parts.join("::")
}

/// The longest known module that is a prefix of `path` (`crate::a::b::Item` → `a::b`).
fn resolve(modules: &BTreeSet<String>, path: &str) -> String {
    let parts: Vec<&str> = path.split("::").collect();
    (0..=parts.len())
        .rev()
        .map(|k| parts[..k].join("::"))
        .find(|m| modules.contains(m))
        .unwrap_or_default()
}

/// The code of a file: no comment lines, no `#[doc …]` lines, no inline test module.
fn code(text: &str) -> String {
    // an inline test module starts at the `#[cfg(…test…)]` line above `mod tests {`
    let text = match text.find("\nmod tests {") {
        Some(at) => &text[..text[..at].rfind("#[cfg(").unwrap_or(at)],
        None => text,
    };
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            !t.starts_with("//") && !t.starts_with("#[doc")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `crate::a::b` paths in `code` (also `$crate::`).
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let tail = &rest[i + "crate::".len()..];
        let end = tail
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(tail.len());
        out.push(tail[..end].trim_end_matches(':').to_string());
        rest = &tail[end..];
    }
    out
}

#[test]
fn no_import_cycle_between_the_core_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/burn-losses-core/src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let modules: BTreeMap<String, PathBuf> = files.iter().map(|f| (module_of(&root, f), f.clone())).collect();
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, file) in &modules {
        let code = code(&std::fs::read_to_string(file).unwrap());
        let mut targets: Vec<String> = crate_paths(&code).iter().map(|p| resolve(&names, p)).collect();
        let parent = module.rsplit_once("::").map_or("", |(p, _)| p).to_string();
        for line in code.lines().filter(|l| l.starts_with("use super::")) {
            let tail = line.trim_start_matches("use super::").trim_end_matches(';');
            let items: Vec<&str> = match tail.strip_prefix('{') {
                Some(list) => list.trim_end_matches('}').split(',').collect(),
                None => vec![tail],
            };
            for item in items {
                let item = item.trim();
                let path = if parent.is_empty() {
                    item.to_string()
                } else {
                    format!("{parent}::{item}")
                };
                targets.push(resolve(&names, &path));
            }
        }
        for line in code.lines() {
            let t = line.trim_start();
            for prefix in ["pub use ", "pub(crate) use ", "use "] {
                if let Some(rest) = t.strip_prefix(prefix) {
                    let child = rest.split("::").next().unwrap_or("");
                    let child = if module.is_empty() {
                        child.to_string()
                    } else {
                        format!("{module}::{child}")
                    };
                    if names.contains(&child) {
                        targets.push(child);
                    }
                }
            }
        }
        let set = edges.entry(module.clone()).or_default();
        set.extend(targets.into_iter().filter(|t| t != module));
    }
    // every pair of files that reach each other
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(m) = stack.pop() {
            for next in edges.get(&m).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        seen
    };
    let mut cycles = Vec::new();
    for a in edges.keys() {
        for b in reach(a) {
            if a < &b && reach(&b).contains(a) {
                cycles.push(format!("`{a}` ⇄ `{b}`"));
            }
        }
    }
    assert!(
        edges.len() > 40 && edges.values().map(BTreeSet::len).sum::<usize>() > 150,
        "the import graph was not read: {edges:?}"
    );
    assert!(
        cycles.is_empty(),
        "files that import each other (directly or through others):\n{}",
        cycles.join("\n")
    );
}
