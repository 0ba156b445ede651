//! Dependencies between layers point one way (docs/ARCHITECTURE.md): a test, so that a new module
//! cannot quietly copy a leak.
//!
//! - `domain` imports no actix, diesel, `api`, `http`, `db`, `auth` or `error`;
//! - `api` (DTOs) imports neither `http` nor `db`;
//! - `auth` imports neither `http` nor `db`;
//! - `db` imports no actix, `api`, `http`, `auth` or `error`;
//! - `app` (the use cases) imports no actix and no `http`;
//! - no resource module of `http` imports another (what they share lives in `app`, `auth` or the
//!   shared `http` modules);
//! - in `app`, `convention` may call `financement` and `conseiller`, never the reverse;
//! - row locks of conventions, advisors and money are taken only by `app::locks`, in its order;
//! - the modules of `domain` import each other without a cycle.

use std::path::Path;

/// The code lines of every `.rs` file under `dir` (comments dropped), with their file and line.
fn code_lines(dir: &Path) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (index, line) in text.lines().enumerate() {
                    let code = line.split("//").next().unwrap_or("").to_owned();
                    out.push((path.display().to_string(), index + 1, code));
                }
            }
        }
    }
    out
}

fn forbidden_uses(layer: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src")
        .join(layer);
    code_lines(&root)
        .into_iter()
        .filter(|(_, _, code)| {
            forbidden.iter().any(|needle| {
                code.contains(&format!("{needle}::")) || code.contains(&format!("{needle}}}"))
            })
        })
        .map(|(file, line, code)| format!("{file}:{line}: {}", code.trim()))
        .collect()
}

#[test]
fn dependencies_point_one_way() {
    let rules: [(&str, &[&str]); 5] = [
        (
            "domain",
            &[
                "actix_web",
                "actix_http",
                "diesel",
                "crate::api",
                "crate::http",
                "crate::db",
                "crate::auth",
                "crate::error",
                "crate::app",
            ],
        ),
        ("app", &["actix_web", "actix_http", "crate::http"]),
        ("api", &["crate::http", "crate::db", "actix_web", "diesel"]),
        ("auth", &["crate::http", "crate::db", "diesel"]),
        (
            "db",
            &[
                "actix_web",
                "crate::api",
                "crate::http",
                "crate::auth",
                "crate::error",
            ],
        ),
    ];
    let mut leaks = Vec::new();
    for (layer, forbidden) in rules {
        leaks.extend(forbidden_uses(layer, forbidden));
    }
    assert!(
        leaks.is_empty(),
        "imports against the direction of the layers:\n{}",
        leaks.join("\n")
    );
}

#[test]
fn the_check_sees_a_leak() {
    // The scan itself: a line naming a forbidden path is found, a comment is not.
    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("x");
    std::fs::create_dir(&layer).unwrap();
    std::fs::write(
        layer.join("a.rs"),
        "// use crate::http::AppState;\nuse crate::http::AppState;\n",
    )
    .unwrap();
    let found: Vec<_> = code_lines(&layer)
        .into_iter()
        .filter(|(_, _, code)| code.contains("crate::http::"))
        .collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, 2);
}

fn src(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(path)
}

/// The modules of `src/http` that serve a resource (the others are shared machinery).
fn http_resource_modules() -> Vec<String> {
    const SHARED: [&str; 10] = [
        "mod",
        "operation",
        "body",
        "cache",
        "csv",
        "docs",
        "extract",
        "idempotency",
        "middleware",
        "health",
    ];
    let mut names: Vec<String> = std::fs::read_dir(src("http"))
        .unwrap()
        .filter_map(|entry| {
            let path = entry.unwrap().path();
            let stem = path.file_stem()?.to_str()?.to_owned();
            (path.extension()? == "rs" && !SHARED.contains(&stem.as_str())).then_some(stem)
        })
        .collect();
    names.sort();
    names
}

/// The lines of `file` that name one of `modules` as `super::m` or `crate::<parent>::m`.
fn mentions(file: &Path, parent: &str, modules: &[String], own: &str) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for module in modules.iter().filter(|m| m.as_str() != own) {
            let needles = [
                format!("super::{module}"),
                format!("crate::{parent}::{module}"),
                format!("{parent}::{{{module}"),
            ];
            if needles.iter().any(|needle| {
                code.match_indices(needle.as_str()).any(|(at, _)| {
                    // `super::conseiller` names the module; `super::conseillers` does not.
                    !code[at + needle.len()..]
                        .starts_with(|c: char| c.is_alphanumeric() || c == '_')
                })
            }) {
                found.push(format!("{}:{}: {}", file.display(), index + 1, code.trim()));
            }
        }
    }
    found
}

#[test]
fn no_http_resource_module_imports_another() {
    let modules = http_resource_modules();
    assert!(modules.contains(&"convention".to_owned()) && modules.len() >= 10);
    let mut found = Vec::new();
    for module in &modules {
        found.extend(mentions(
            &src("http").join(format!("{module}.rs")),
            "http",
            &modules,
            module,
        ));
    }
    assert!(
        found.is_empty(),
        "an HTTP resource module imports another (move the shared rule to src/app or auth):\n{}",
        found.join("\n")
    );
}

#[test]
fn app_calls_go_from_conventions_down_to_money_and_advisors_never_back() {
    let upper = vec!["convention".to_owned()];
    let mut found = Vec::new();
    for lower in ["financement", "conseiller", "locks", "journal"] {
        found.extend(mentions(
            &src("app").join(format!("{lower}.rs")),
            "app",
            &upper,
            lower,
        ));
    }
    assert!(
        found.is_empty(),
        "app::financement, app::conseiller, app::locks and app::journal never call app::convention:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_ordered_row_locks_are_taken_by_app_locks_only() {
    const LOCKS: [&str; 7] = [
        "conventions::lock(",
        "conventions::share(",
        "conseillers::lock(",
        "lock_enveloppe(",
        "lock_engagement(",
        "lock_versement(",
        "repo::lock(",
    ];
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(src("app"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().is_some_and(|name| name != "locks.rs"))
        .collect();
    for module in ["convention", "enveloppe", "financement", "conseiller"] {
        files.push(src("http").join(format!("{module}.rs")));
    }
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (index, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if LOCKS.iter().any(|lock| code.contains(lock)) {
                found.push(format!("{}:{}: {}", file.display(), index + 1, code.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "a row lock taken outside app::locks (take it there, in the order):\n{}",
        found.join("\n")
    );
}

/// The modules of `domain` each file uses (`super::x`, `crate::domain::x`), `mod.rs` aside (it
/// declares them all).
fn domain_graph(
    dir: &Path,
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let modules: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| {
            let path = entry.unwrap().path();
            let stem = path.file_stem()?.to_str()?.to_owned();
            (path.extension()? == "rs" && stem != "mod").then_some(stem)
        })
        .collect();
    let mut graph = std::collections::BTreeMap::new();
    for module in &modules {
        let file = dir.join(format!("{module}.rs"));
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests may use any module: they are not part of the dependency graph.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let code: String = code
            .lines()
            .map(|line| line.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ");
        let mut uses = std::collections::BTreeSet::new();
        for prefix in ["super::", "crate::domain::"] {
            for (at, _) in code.match_indices(prefix) {
                let rest = &code[at + prefix.len()..];
                let names: Vec<&str> = match rest.strip_prefix('{') {
                    // `super::{a, b::X, self}`: the first segment of each item.
                    Some(list) => list[..list.find('}').unwrap_or(list.len())]
                        .split(',')
                        .map(|item| item.trim().split("::").next().unwrap_or(""))
                        .collect(),
                    None => vec![
                        rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .next()
                            .unwrap_or(""),
                    ],
                };
                uses.extend(
                    names
                        .into_iter()
                        .filter(|name| name != module && modules.iter().any(|m| m == name))
                        .map(str::to_owned),
                );
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

/// A cycle of the graph, if any (depth-first search).
fn find_cycle(
    graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = std::collections::BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn the_domain_modules_import_each_other_without_a_cycle() {
    let graph = domain_graph(&src("domain"));
    // The scan sees the real edges: the catalogue lists the codes of the modules that declare them.
    assert!(graph["catalogue"].contains("financement"), "{graph:?}");
    assert!(graph["financement"].contains("refusal"), "{graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the domain's modules import each other in a cycle: {}",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.rs"), "use super::b::X;\n").unwrap();
    std::fs::write(
        dir.path().join("b.rs"),
        "use super::{\n    c::Z,\n    refusal,\n};\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("c.rs"), "use crate::domain::a::Y;\n").unwrap();
    std::fs::write(dir.path().join("refusal.rs"), "// use super::a;\n").unwrap();
    let graph = domain_graph(dir.path());
    assert_eq!(
        find_cycle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    std::fs::write(
        dir.path().join("c.rs"),
        "#[cfg(test)]\nuse crate::domain::a::Y;\n",
    )
    .unwrap();
    assert_eq!(find_cycle(&domain_graph(dir.path())), None);
}
