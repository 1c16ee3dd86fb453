//! A task still unfinished 72 h after it was created is stale: `wait` asks about it once,
//! stops waiting for it and counts it as finished without success; `--json` keeps its
//! status and says `"stale": true`.

mod common;

use common::{TestServer, make_ids, record};
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

const TOKEN: &str = "stale-test-token-0042";

async fn wait_json(base: &str, ids: &[String]) -> (i32, Vec<Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_seedance-tasks"))
        .args(["wait", "--json", "--interval", "2", "--timeout", "600"])
        .args(ids)
        .env("SEEDANCE_API_BASE", base)
        .env("SEEDANCE_API_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output();
    // Only a guard against a hang: a stale task must end the wait after one answer.
    let out = tokio::time::timeout(Duration::from_secs(300), out)
        .await
        .expect("wait stops for a stale task")
        .expect("output");
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), lines, stderr)
}

fn days_ago(days: f64) -> f64 {
    seedance_tasks::task::unix_now() - days * 86_400.0
}

#[tokio::test]
async fn wait_stops_asking_a_stale_task_and_exits_1() {
    let server = TestServer::start().await;
    let ids = make_ids(2);
    for (id, status) in ids.iter().zip(["running", "Moderating"]) {
        let mut r = record(id, status);
        r["created_at"] = json!(days_ago(4.0));
        server.insert(r);
    }
    let (code, lines, stderr) = wait_json(&server.url(), &ids).await;
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(lines.len(), 2);
    for (line, status) in lines.iter().zip(["running", "Moderating"]) {
        assert_eq!(line["status"], status, "the status is kept");
        assert_eq!(line["stale"], true);
        assert_eq!(line["timed_out"], false, "not the --timeout");
    }
    let asked = server.asked_ids();
    for id in &ids {
        assert_eq!(asked.iter().filter(|a| *a == id).count(), 1, "{asked:?}");
    }
}

#[tokio::test]
async fn a_finished_task_is_never_stale() {
    let server = TestServer::start().await;
    let id = &make_ids(1)[0];
    let mut r = record(id, "succeeded");
    r["created_at"] = json!(days_ago(30.0));
    server.insert(r);
    let (code, lines, stderr) = wait_json(&server.url(), std::slice::from_ref(id)).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(lines[0]["stale"], false);
}
