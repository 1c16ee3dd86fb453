//! `seedance-tasks create` as a process, against the loopback stand-in.

mod common;

use common::{TestServer, VideoFault};
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

const TOKEN: &str = "cli-create-secret-0042";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn run(base: &str, token: Option<&str>, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seedance-tasks"));
    cmd.args(args)
        .env("SEEDANCE_API_BASE", base)
        .env_remove("SEEDANCE_API_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(t) = token {
        cmd.env("SEEDANCE_API_TOKEN", t);
    }
    let out = tokio::time::timeout(Duration::from_secs(90), cmd.output())
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

const MODEL: &str = "doubao-seedance-1-0-pro-250528";

#[tokio::test]
async fn create_wait_follows_the_new_task_to_success() {
    let server = TestServer::start().await;
    server.set_video_life(Duration::from_millis(500));
    let r = run(
        &server.url(),
        Some(TOKEN),
        &[
            "create",
            "--model",
            MODEL,
            "--prompt",
            "a lighthouse in fog",
            "--wait",
            "--interval",
            "2",
            "--json",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let id = server.created_ids()[0].clone();
    assert_eq!(
        lines[0],
        json!({"id": id, "trace_id": format!("trace-{id}"),
        "prompt": "a lighthouse in fog", "model": MODEL})
    );
    assert_eq!(lines[1]["id"], json!(id));
    assert_eq!(lines[1]["status"], "succeeded", "{}", r.stdout);
    assert_eq!(server.video_bodies().len(), 1);
}

#[tokio::test]
async fn a_prompts_file_makes_one_task_per_line_with_shared_images() {
    let server = TestServer::start().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("prompts.txt");
    std::fs::write(&file, "first prompt\n\n second prompt \n").expect("write");
    let r = run(
        &server.url(),
        Some(TOKEN),
        &[
            "create",
            "--model",
            MODEL,
            "--prompts-file",
            file.to_str().expect("utf-8"),
            "--image",
            "https://e.x/a.png",
            "--image",
            "https://e.x/b.png",
            "--role",
            "reference_image",
            "--duration",
            "-1",
            "--audio",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ids = server.created_ids();
    let first_column: Vec<&str> = r
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap_or(""))
        .collect();
    assert_eq!(first_column.len(), 2);
    assert!(
        first_column
            .iter()
            .all(|id| ids.contains(&(*id).to_owned())),
        "{}",
        r.stdout
    );
    for body in server.video_bodies() {
        assert_eq!(body["content"][1]["role"], "reference_image");
        assert_eq!(body["content"][2]["role"], "last_frame");
        assert_eq!(
            (body["duration"].clone(), body["generate_audio"].clone()),
            (json!(-1), json!(true))
        );
    }
}

#[tokio::test]
async fn dry_run_prints_the_bodies_and_sends_nothing() {
    let server = TestServer::start().await;
    let r = run(
        &server.url(),
        None,
        &[
            "create",
            "--model",
            MODEL,
            "--prompt",
            "quiet",
            "--ratio",
            "1:1",
            "--dry-run",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let body: Value = serde_json::from_str(r.stdout.trim()).expect("one JSON body");
    assert_eq!(
        body,
        json!({"model": MODEL, "content": [{"type": "text", "text": "quiet"}],
        "ratio": "1:1", "async": true})
    );
    assert!(server.video_bodies().is_empty());
}

#[tokio::test]
async fn exit_codes_tell_refused_uncertain_and_bad_usage_apart() {
    let server = TestServer::start().await;
    let base = server.url();
    server.push_video_fault(VideoFault::BadRequest("prompt rejected".into()));
    let r = run(
        &base,
        Some(TOKEN),
        &["create", "--model", MODEL, "--prompt", "x"],
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("prompt rejected"), "{}", r.stderr);

    server.push_video_fault(VideoFault::ServerErrorAfterAccept);
    let r = run(
        &base,
        Some(TOKEN),
        &["create", "--model", MODEL, "--prompt", "maybe"],
    )
    .await;
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr.contains("may have been created") && r.stderr.contains("maybe"),
        "{}",
        r.stderr
    );

    server.push_video_fault(VideoFault::Unauthorized);
    let r = run(
        &base,
        Some(TOKEN),
        &["create", "--model", MODEL, "--prompt", "x"],
    )
    .await;
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(
        server.video_bodies().len(),
        3,
        "one POST each, none retried"
    );

    let r = run(&base, None, &["create", "--model", MODEL, "--prompt", "x"]).await;
    assert_eq!(r.code, 3, "no token: {}", r.stderr);

    for args in [
        &[
            "create",
            "--model",
            MODEL,
            "--prompt",
            "x",
            "--prompts-file",
            "f",
        ][..],
        &[
            "create",
            "--model",
            MODEL,
            "--prompt",
            "x",
            "--duration",
            "31",
        ],
        &[
            "create",
            "--model",
            MODEL,
            "--prompt",
            "x",
            "--role",
            "first_frame",
        ],
        &[
            "create",
            "--model",
            MODEL,
            "--prompt",
            "x",
            "--image",
            "/no/such/file.png",
        ],
        &["create", "--model", MODEL, "--prompt", ""],
    ] {
        let r = run(&base, Some(TOKEN), args).await;
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
    }
    assert_eq!(server.video_bodies().len(), 3, "bad usage sends nothing");
}

#[tokio::test]
async fn demo_create_needs_no_network() {
    let r = run(
        "http://127.0.0.1:9",
        None,
        &["--demo", "create", "--model", MODEL, "--prompt", "kite"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let id = r.stdout.split('\t').next().unwrap_or("");
    assert_eq!(id.len(), 36, "{}", r.stdout);
}
