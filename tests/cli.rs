//! The binary as a process: arguments, stdin, stdout/stderr and exit codes.

mod common;

use common::{Fault, TestServer, make_ids, record};
use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

const TOKEN: &str = "cli-secret-token-0042";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect()
    }
}

async fn run(base: &str, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seedance-tasks"));
    cmd.args(args)
        .env("SEEDANCE_API_BASE", base)
        .env("SEEDANCE_API_TOKEN", TOKEN)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn the binary");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(text.as_bytes()).await.expect("write stdin");
    }
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the binary finishes")
        .expect("output");
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    };
    assert!(
        !r.stdout.contains(TOKEN) && !r.stderr.contains(TOKEN),
        "token leaked"
    );
    r
}

#[tokio::test]
async fn get_prints_json_lines_in_input_order() {
    let server = TestServer::start().await;
    let ids = make_ids(3);
    for id in &ids {
        server.insert(record(id, "succeeded"));
    }
    let text = format!("task_id: {}, {} and {}", ids[2], ids[0], ids[1]);
    let r = run(&server.url(), &["get", "--json", &text], None).await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines = r.json_lines();
    let got: Vec<&str> = lines
        .iter()
        .map(|l| l["id"].as_str().expect("id"))
        .collect();
    assert_eq!(got, vec![ids[2].as_str(), ids[0].as_str(), ids[1].as_str()]);
    let first = &lines[0];
    assert_eq!(first["status"], "succeeded");
    assert_eq!(first["model"], "doubao-seedance-1-0-pro-250528");
    assert_eq!(first["created_at"], "2025-12-21T15:03:56.091Z");
    assert_eq!(first["prompt"], format!("prompt of {}", ids[2]));
    assert!(
        first["video_url"]
            .as_str()
            .is_some_and(|u| u.ends_with(".mp4"))
    );
    assert!(
        first["last_frame_url"]
            .as_str()
            .is_some_and(|u| u.ends_with(".png"))
    );
    for key in ["error_code", "error_message"] {
        assert!(first[key].is_null(), "{key}");
    }
    assert_eq!(first["trace_id"], format!("trace-{}", ids[2]));
}

#[tokio::test]
async fn get_reads_stdin_and_prints_a_table() {
    let server = TestServer::start().await;
    let ids = make_ids(2);
    server.insert(record(&ids[0], "failed"));
    let input = format!(
        "{}\n{}\n{}\ncgt-20251221230356-sxgt7\n",
        ids[0], ids[1], ids[0]
    );
    let r = run(&server.url(), &["get"], Some(&input)).await;
    assert_eq!(r.code, 1, "a failed and a missing task: {}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "header + one row per distinct id:\n{}",
        r.stdout
    );
    assert!(lines[0].starts_with("ID") && lines[0].contains("STATUS"));
    assert!(
        lines[1].contains("failed") && lines[1].contains("OutputVideoSensitiveContentDetected")
    );
    assert!(lines[2].contains("not_found"));
    assert!(
        r.stderr.contains("cgt-20251221230356-sxgt7"),
        "rejected upstream id reported on stderr"
    );
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let server = TestServer::start().await;
    let r = run(&server.url(), &["get", "no ids in here"], None).await;
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.contains("no task id"));
    let id = &make_ids(1)[0];
    let r = run("http://example.com", &["get", id], None).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("plain http"));
    assert!(server.requests().is_empty());
    let r = run(&server.url(), &["wait", "--interval", "0.5", id], None).await;
    assert_eq!(r.code, 2);
}

#[tokio::test]
async fn rejected_token_exits_3_and_server_trouble_exits_4() {
    let server = TestServer::start().await;
    let id = &make_ids(1)[0];
    server.push_fault(Fault::unauthorized());
    let r = run(&server.url(), &["get", "--json", id], None).await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("invalid_token"));
    assert_eq!(r.json_lines()[0]["status"], "error");

    // Far more 502s than one second of retrying can use up.
    for _ in 0..100 {
        server.push_fault(Fault::html_502());
    }
    let r = run(
        &server.url(),
        &["get", "--json", "--retry-for", "1", id],
        None,
    )
    .await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(server.requests().len() > 2, "retried before giving up");
    let line = &r.json_lines()[0];
    assert_eq!(line["status"], "error");
    assert!(
        line["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("502 Bad Gateway"))
    );
}

#[tokio::test]
async fn missing_token_exits_3_with_a_hint() {
    let id = &make_ids(1)[0];
    let out = Command::new(env!("CARGO_BIN_EXE_seedance-tasks"))
        .args(["get", id])
        .env_remove("SEEDANCE_API_TOKEN")
        .env("SEEDANCE_API_BASE", "http://127.0.0.1:9")
        // No session bus: no keyring, whatever the machine has.
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SEEDANCE_API_TOKEN"), "{stderr}");
}

#[tokio::test]
async fn wait_follows_tasks_until_they_finish() {
    let server = TestServer::start().await;
    let ids = make_ids(2);
    server.insert(record(&ids[0], "running"));
    server.insert(record(&ids[1], "succeeded"));
    let s = server.clone();
    let first = ids[0].clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        s.insert(record(&first, "succeeded"));
    });
    let r = run(
        &server.url(),
        &["wait", "--json", "--interval", "2", &ids[0], &ids[1]],
        None,
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.json_lines().iter().all(|l| l["status"] == "succeeded"));
    assert!(r.stderr.contains("running → succeeded"), "{}", r.stderr);
    let asked = server.asked_ids();
    assert_eq!(asked.iter().filter(|i| **i == ids[1]).count(), 1);
}

#[tokio::test]
async fn wait_times_out_with_exit_1() {
    let server = TestServer::start().await;
    let id = &make_ids(1)[0];
    server.insert(record(id, "running"));
    let r = run(
        &server.url(),
        &["wait", "--json", "--timeout", "1", id],
        None,
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    let line = &r.json_lines()[0];
    assert_eq!(line["status"], "running");
    assert_eq!(line["timed_out"], true);
}

#[tokio::test]
async fn demo_needs_no_token_or_network() {
    let out = Command::new(env!("CARGO_BIN_EXE_seedance-tasks"))
        .args(["--demo", "get", "--json"])
        .args(seedance_tasks::demo::Demo::ids())
        .env_remove("SEEDANCE_API_TOKEN")
        .env("SEEDANCE_API_BASE", "http://example.invalid")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().count(),
        seedance_tasks::demo::Demo::ids().len()
    );
    assert_eq!(out.status.code(), Some(1), "the demo has failed tasks");
    assert!(stdout.contains("\"not_found\""));
}

#[tokio::test]
async fn a_wrong_api_base_is_an_error_for_every_id_not_not_found() {
    let server = TestServer::start().await;
    let ids = make_ids(3);
    for id in &ids {
        server.insert(record(id, "succeeded"));
    }
    let base = format!("{}/wrong-prefix", server.url());
    let mut args = vec!["get", "--json", "--api-base", base.as_str()];
    args.extend(ids.iter().map(String::as_str));
    let r = run(&server.url(), &args, None).await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    let lines = r.json_lines();
    assert_eq!(lines.len(), 3);
    for line in &lines {
        assert_eq!(line["status"], "error", "{line}");
        assert_eq!(line["error_code"], "no_api", "{line}");
    }
    // One id goes through `retrieve`, not the batch: the same answer.
    let r = run(
        &server.url(),
        &["get", "--json", "--api-base", &base, &ids[0]],
        None,
    )
    .await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(r.json_lines()[0]["status"], "error");
}
