//! `--save` and `--library` in the CLI, against the API stand-in and a loopback CDN: the
//! JSON lines name the saved files, a second run fetches nothing, a failed save exits 5.

#[path = "common/cdn.rs"]
mod cdn;
mod common;

use cdn::{Cdn, Fault};
use common::{TestServer, make_ids, record};
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

const TOKEN: &str = "cli-secret-token-0042";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn run(base: &str, args: &[&str], env_library: Option<&Path>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_seedance-tasks"));
    cmd.args(args)
        .env("SEEDANCE_API_BASE", base)
        .env("SEEDANCE_API_TOKEN", TOKEN)
        .env_remove("SEEDANCE_LIBRARY_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = env_library {
        cmd.env("SEEDANCE_LIBRARY_DIR", dir);
    }
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("the binary finishes")
        .expect("output");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

fn mp4() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/library-testsrc.mp4"
    ))
    .expect("fixture")
}

fn png() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/library-last-frame.png"
    ))
    .expect("fixture")
}

/// A succeeded task whose links point at the CDN stand-in.
fn task_on(cdn: &Cdn, id: &str) -> Value {
    let mut r = record(id, "succeeded");
    r["response"]["data"]["video_url"] = cdn.url(&format!("/{id}.mp4")).into();
    r["response"]["data"]["last_frame_url"] = cdn.url(&format!("/{id}.png")).into();
    cdn.put(&format!("/{id}.mp4"), mp4());
    cdn.put(&format!("/{id}.png"), png());
    r
}

fn lines(r: &Run) -> Vec<Value> {
    r.stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

#[tokio::test]
async fn get_save_names_the_files_and_a_second_run_fetches_nothing() {
    let server = TestServer::start().await;
    let cdn = Cdn::start().await;
    let ids = make_ids(2);
    for id in &ids {
        server.insert(task_on(&cdn, id));
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let lib = tmp.path().join("lib");
    let lib_arg = lib.display().to_string();
    let args = [
        "get",
        "--json",
        "--save",
        "--library",
        &lib_arg,
        &ids[0],
        &ids[1],
    ];
    let first = run(&server.url(), &args, None).await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    let out = lines(&first);
    assert_eq!(out.len(), 2);
    for (line, id) in out.iter().zip(&ids) {
        assert_eq!(line["id"], id.as_str());
        let video = Path::new(line["saved_video"].as_str().expect("saved_video"));
        assert!(video.is_absolute() && video.starts_with(&lib), "{video:?}");
        assert_eq!(std::fs::read(video).expect("video"), mp4());
        let frame = Path::new(line["saved_last_frame"].as_str().expect("saved_last_frame"));
        assert_eq!(std::fs::read(frame).expect("frame"), png());
        assert!(line["save_error"].is_null());
        assert!(video.with_extension("json").exists());
    }
    assert_eq!(cdn.total_requests(), 4);

    // Again, as after a restart: the sidecars say both are saved.
    let second = run(&server.url(), &args, None).await;
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(lines(&second), out);
    assert_eq!(cdn.total_requests(), 4, "nothing fetched again");

    // The table shows the saved path in place of the link; the library comes from the
    // environment here.
    let table = run(&server.url(), &["get", "--save", &ids[0]], Some(&lib)).await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table
            .stdout
            .contains(out[0]["saved_video"].as_str().expect("path")),
        "{}",
        table.stdout
    );
    assert!(!table.stdout.contains(&cdn.url("/")), "{}", table.stdout);
}

#[tokio::test]
async fn a_failed_save_exits_5_with_its_reason() {
    let server = TestServer::start().await;
    let cdn = Cdn::start().await;
    let ids = make_ids(2);
    server.insert(task_on(&cdn, &ids[0]));
    server.insert(task_on(&cdn, &ids[1]));
    cdn.fault(&format!("/{}.mp4", ids[1]), Fault::Expired);
    let tmp = tempfile::tempdir().expect("tempdir");
    let lib_arg = tmp.path().display().to_string();
    let r = run(
        &server.url(),
        &[
            "get",
            "--json",
            "--save",
            "--library",
            &lib_arg,
            &ids[0],
            &ids[1],
        ],
        None,
    )
    .await;
    assert_eq!(r.code, 5, "{}", r.stderr);
    let out = lines(&r);
    assert!(out[0]["save_error"].is_null());
    assert!(out[0]["saved_video"].is_string());
    assert!(out[1]["saved_video"].is_null());
    assert_eq!(
        out[1]["save_error"],
        "the link has expired; the video is no longer available"
    );
    assert!(r.stderr.contains("not saved"), "{}", r.stderr);
}

#[tokio::test]
async fn library_without_save_is_a_usage_error() {
    let r = run(
        "http://127.0.0.1:9",
        &[
            "get",
            "--library",
            "/tmp/x",
            "00000000-0000-4000-8000-000000000000",
        ],
        None,
    )
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = run(
        "http://127.0.0.1:9",
        &["create", "--model", "m", "--prompt", "p", "--save"],
        None,
    )
    .await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--save needs --wait"), "{}", r.stderr);
}
