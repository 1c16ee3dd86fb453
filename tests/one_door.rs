//! The source's structural rules, read from the source so that a breach fails here before
//! it ships:
//! - only the engine calls the API, and only the engine or the api layer builds its client
//!   (issue 16): a call anywhere else would pass the engine's door, its one limit on
//!   requests in flight and its 429 gate;
//! - panels (`src/gui/` outside `src/gui/app/`) start no work of their own;
//! - no source file is over 600 lines before its tests (issue 18): small files, one job.

use std::path::{Path, PathBuf};

/// The API's calls and the client's constructor, as they appear at a call site.
const CALLS: [&str; 7] = [
    "Client::new",
    ".retrieve(",
    ".retrieve_batch(",
    ".list_page(",
    ".create_video(",
    ".check_token(",
    "ClientConfig",
];

/// Where they may appear.
const ALLOWED: [&str; 2] = ["src/engine", "src/api"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `.rs` file under `src/`, with its path relative to the crate root.
fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 20, "the sources were not found");
    files
        .iter()
        .map(|file| {
            let relative = file
                .strip_prefix(root)
                .expect("under the root")
                .to_string_lossy()
                .replace('\\', "/");
            (relative, std::fs::read_to_string(file).expect("read"))
        })
        .collect()
}

#[test]
fn only_the_engine_calls_the_api() {
    let mut found = Vec::new();
    for (relative, text) in &sources() {
        if ALLOWED.iter().any(|a| relative.starts_with(a)) {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for call in CALLS {
                if code.contains(call) {
                    found.push(format!("{relative}:{}: {call}", n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "API calls outside src/engine and src/api (send them through the engine):\n{}",
        found.join("\n")
    );
}

/// What starts work: a panel hands an intent to the app instead (DESIGN.md's one-way flow).
const SPAWNS: [&str; 6] = [
    "tokio::spawn",
    "spawn_blocking",
    "std::thread::spawn",
    "thread::Builder",
    "Promise::spawn",
    "spawn_async",
];

#[test]
fn panels_start_no_work() {
    let mut found = Vec::new();
    for (relative, text) in &sources() {
        if !relative.starts_with("src/gui/") || relative.starts_with("src/gui/app/") {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for spawn in SPAWNS {
                if code.contains(spawn) {
                    found.push(format!("{relative}:{}: {spawn}", n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "work started from a panel (hand an intent to src/gui/app instead):\n{}",
        found.join("\n")
    );
}

#[test]
fn no_source_file_is_over_600_lines_before_its_tests() {
    let long: Vec<String> = sources()
        .iter()
        .filter_map(|(relative, text)| {
            let before = text
                .lines()
                .take_while(|line| !line.contains("#[cfg(test)]"))
                .count();
            (before > 600).then(|| format!("{relative}: {before} lines"))
        })
        .collect();
    assert!(long.is_empty(), "split these files:\n{}", long.join("\n"));
}
