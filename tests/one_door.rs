//! Only the engine calls the API, and only the engine or the api layer builds its client
//! (issue 16): a call anywhere else would pass the engine's door, its one limit on
//! requests in flight and its 429 gate. Read from the source, so that a new call site
//! fails here before it ships.

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

#[test]
fn only_the_engine_calls_the_api() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 20, "the sources were not found");
    let mut found = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(root)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        if ALLOWED.iter().any(|a| relative.starts_with(a)) {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read");
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
