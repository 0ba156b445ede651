//! Dependencies between layers point one way (docs/ARCHITECTURE.md): a test, so that a new module
//! cannot quietly copy a leak.
//!
//! - `domain` imports no actix, diesel, `api`, `http`, `db`, `auth` or `error`;
//! - `api` (DTOs) imports neither `http` nor `db`;
//! - `auth` imports neither `http` nor `db`;
//! - `db` imports no actix, `api`, `http`, `auth` or `error`.

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
    let rules: [(&str, &[&str]); 4] = [
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
            ],
        ),
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
