//! `seedance-tasks list` as a process against the loopback stand-in's account.

mod common;

use common::TestServer;
use common::account::{ListingMode, OWNER, account_id, account_record};
use seedance_tasks::engine::{TEST_FLOOR_ENV, UNSUPPORTED_MESSAGE};
use seedance_tasks::task::unix_now;
use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const TOKEN: &str = "list-secret-token-0077";

fn command(base: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seedance-tasks"));
    cmd.args(args)
        .env("SEEDANCE_API_BASE", base)
        .env("SEEDANCE_API_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

async fn run(base: &str, args: &[&str]) -> (i32, String, String) {
    let out = tokio::time::timeout(Duration::from_secs(60), command(base, args).output())
        .await
        .expect("the binary finishes")
        .expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !stdout.contains(TOKEN) && !stderr.contains(TOKEN),
        "token leaked"
    );
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

fn ids_of(json_lines: &str) -> Vec<String> {
    json_lines
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("JSON line");
            v["id"].as_str().expect("id").to_owned()
        })
        .collect()
}

async fn account() -> (TestServer, f64) {
    let server = TestServer::start().await;
    let now = unix_now();
    server.account().populate(200, 200, 40.0, now);
    (server, now)
}

#[tokio::test]
async fn list_prints_the_accounts_tasks_newest_first() {
    let (server, now) = account().await;
    let (code, stdout, stderr) = run(&server.url(), &["list", "--json"]).await;
    assert_eq!(code, 0, "{stderr}");
    let expected = server.account().expected(now - 7.0 * 86_400.0, f64::MAX);
    assert!(!expected.is_empty());
    assert_eq!(ids_of(&stdout), expected, "the default range is 7 days");
    let first: Value = serde_json::from_str(stdout.lines().next().expect("a line")).expect("json");
    for field in ["status", "model", "created_at", "video_url", "stale"] {
        assert!(first.get(field).is_some(), "{field} missing: {first}");
    }

    let (code, stdout, _) = run(&server.url(), &["list", "--since", "2w", "--limit", "3"]).await;
    assert_eq!(code, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("STATUS"),
        "{stdout}"
    );
    assert_eq!(lines.len(), 4, "a header and the 3 newest: {stdout}");
    assert!(lines[1].starts_with(&expected[0]));
}

#[tokio::test]
async fn an_empty_range_lists_nothing_and_exits_0() {
    let (server, _) = account().await;
    let (code, stdout, _) = run(
        &server.url(),
        &[
            "list",
            "--json",
            "--from",
            "2001-01-01T00:00:00Z",
            "--to",
            "2001-01-02T00:00:00Z",
        ],
    )
    .await;
    assert_eq!((code, stdout.as_str()), (0, ""));
}

#[tokio::test]
async fn unsupported_listing_exits_4_and_says_so() {
    for mode in [
        ListingMode::Unsupported,
        ListingMode::IgnoresRange,
        ListingMode::MixesUsers,
    ] {
        let (server, _) = account().await;
        server.account().set_mode(mode);
        let (code, stdout, stderr) = run(&server.url(), &["list", "--json"]).await;
        assert_eq!(code, 4, "{mode:?}: {stderr}");
        assert_eq!(stdout, "", "{mode:?}: no partial list");
        assert!(stderr.contains(UNSUPPORTED_MESSAGE), "{mode:?}: {stderr}");
    }
}

#[tokio::test]
async fn bad_usage_exits_2() {
    let (server, _) = account().await;
    for args in [
        &["list", "--since", "91d"][..],
        &["list", "--since", "7"],
        &["list", "--from", "yesterday"],
        &["list", "--since", "1d", "--from", "2026-01-01T00:00:00Z"],
        &[
            "list",
            "--from",
            "2026-01-02T00:00:00Z",
            "--to",
            "2026-01-01T00:00:00Z",
        ],
        &["list", "--follow", "--interval", "5"],
        &["list", "--limit", "0"],
    ] {
        let (code, _, stderr) = run(&server.url(), args).await;
        assert_eq!(code, 2, "{args:?}: {stderr}");
    }
    assert_eq!(server.account().listings(), 0);
}

#[tokio::test]
async fn demo_lists_offline() {
    let out = Command::new(env!("CARGO_BIN_EXE_seedance-tasks"))
        .args(["--demo", "list", "--json"])
        .env_remove("SEEDANCE_API_TOKEN")
        .env("SEEDANCE_API_BASE", "http://127.0.0.1:9")
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let ids = ids_of(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(ids.len(), 11, "every demo task is within 7 days");
    assert_eq!(
        ids[0], "e8f9a0b1-c2d3-4e5f-8a6b-7c8d9e0f1a2b",
        "newest first"
    );
}

/// The process with a follow interval of 0.2 s (the 10 s floor lowered by the test hook):
/// a task created on the server after the start is printed once, and Ctrl+C exits 0.
#[tokio::test]
async fn follow_prints_a_new_task_once_and_ctrl_c_exits_0() {
    let (server, _) = account().await;
    let mut cmd = command(
        &server.url(),
        &[
            "list",
            "--since",
            "1d",
            "--json",
            "--follow",
            "--interval",
            "0.2",
        ],
    );
    cmd.env(TEST_FLOOR_ENV, "100");
    let mut child = cmd.spawn().expect("spawn");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let guard = Duration::from_secs(60);
    let following = async {
        while let Some(line) = stderr.next_line().await.expect("stderr") {
            if line.contains("following new tasks") {
                return;
            }
        }
        panic!("the process ended before following");
    };
    tokio::time::timeout(guard, following)
        .await
        .expect("follows");

    let new_id = account_id(0, 4242);
    server
        .account()
        .add(account_record(&new_id, OWNER, unix_now()));
    let mut printed = Vec::new();
    let appears = async {
        while let Some(line) = stdout.next_line().await.expect("stdout") {
            let id = ids_of(&line).remove(0);
            printed.push(id.clone());
            if id == new_id {
                return;
            }
        }
        panic!("the process ended before printing the new task");
    };
    tokio::time::timeout(guard, appears)
        .await
        .expect("the new task appears");

    // Two more questions after it appeared: neither prints it again.
    let asked = server.account().listings();
    let more = async {
        while server.account().listings() < asked + 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(guard, more)
        .await
        .expect("keeps asking");
    let pid = child.id().expect("pid").to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(signalled.success());
    let status = tokio::time::timeout(guard, child.wait())
        .await
        .expect("exits on Ctrl+C")
        .expect("status");
    assert_eq!(status.code(), Some(0));
    while let Some(line) = stdout.next_line().await.expect("stdout") {
        printed.extend(ids_of(&line));
    }
    assert_eq!(
        printed.iter().filter(|id| **id == new_id).count(),
        1,
        "{printed:?}"
    );
}

/// A token echoed by the server and split by an escape showed in `list --json` in two
/// pieces (`get` and `wait` already hid it per string).
#[tokio::test]
async fn a_token_split_by_an_escape_is_hidden_in_list_json() {
    let (server, now) = account().await;
    let (head, tail) = TOKEN.split_at(8);
    let mut record = account_record(&account_id(0, 9_999), OWNER, now - 30.0);
    record["request"]["model"] = serde_json::json!(format!("echo {head}\u{1b}[31m{tail}"));
    server.account().add(record);
    let (code, stdout, stderr) = run(&server.url(), &["list", "--json"]).await;
    assert_eq!(code, 0, "{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.contains(&account_id(0, 9_999)))
        .expect("the echoing task is listed");
    let v: Value = serde_json::from_str(line).expect("JSON line");
    let model = v["model"].as_str().expect("model");
    assert!(!model.contains(tail), "{model:?}");
    assert!(model.contains("[token hidden]"), "{model:?}");
}
