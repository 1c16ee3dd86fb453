//! `seedance-tasks create --continue <TASK_ID>` as a process, against the loopback API
//! stand-in and a loopback file server: the task is asked for, its last frame (the API's
//! image, else decoded from the video) becomes the one `first_frame` image of the POST.
//! Saved files in the library are used before the links (which expire), and an image that
//! cannot be used gives way to the video.

mod common;
#[path = "common/files.rs"]
mod files;

use base64::Engine;
use common::{TestServer, make_ids, mean_difference, png, record};
use files::FileServer;
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

const TOKEN: &str = "cli-continue-secret-0042";
const VIDEO: &[u8] = include_bytes!("fixtures/media-h264-high-bframes.mp4");
const LAST: &[u8] = include_bytes!("fixtures/media-h264-high-bframes-frame47.png");
/// Not the stand-in's default model, so that a default taken from the task shows.
const MODEL: &str = "doubao-seedance-2-0-260128";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn run(base: &str, args: &[&str]) -> Run {
    // An empty library folder: the real Videos folder is never looked at.
    let library = tempfile::tempdir().expect("temp dir");
    run_in(base, library.path(), args).await
}

/// The binary with `SEEDANCE_LIBRARY_DIR` set to `library`.
async fn run_in(base: &str, library: &std::path::Path, args: &[&str]) -> Run {
    let out = tokio::time::timeout(
        Duration::from_secs(90),
        Command::new(env!("CARGO_BIN_EXE_seedance-tasks"))
            .args(args)
            .env("SEEDANCE_API_BASE", base)
            .env("SEEDANCE_API_TOKEN", TOKEN)
            .env("SEEDANCE_LIBRARY_DIR", library)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output(),
    )
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

/// A succeeded task of [`MODEL`] at 720p, 5 s, with a start image of its own.
fn task(id: &str, files: &FileServer, video: &str, frame: Option<&str>) -> Value {
    let mut r = record(id, "succeeded");
    r["request"]["model"] = json!(MODEL);
    r["request"]["resolution"] = json!("720p");
    r["request"]["duration"] = json!(5);
    r["request"]["content"]
        .as_array_mut()
        .expect("content")
        .push(json!({"type": "image_url", "image_url": {"url": "https://e.x/start.png"}, "role": "first_frame"}));
    let data = &mut r["response"]["data"];
    data["model"] = json!(MODEL);
    data["video_url"] = json!(files.url(video));
    data["last_frame_url"] = frame.map_or(Value::Null, |p| json!(files.url(p)));
    r
}

/// The one image of a POST body: its role and the image its data URI holds.
fn only_image(body: &Value) -> (String, image::RgbImage) {
    let images: Vec<&Value> = body["content"]
        .as_array()
        .expect("content")
        .iter()
        .filter(|c| c["type"] == "image_url")
        .collect();
    assert_eq!(
        images.len(),
        1,
        "the frame replaces the task's images: {body}"
    );
    let url = images[0]["image_url"]["url"].as_str().expect("url");
    let (head, data) = url.split_once(',').expect("a data URI");
    assert!(
        head.starts_with("data:image/") && head.ends_with(";base64"),
        "{head}"
    );
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64");
    let image = image::load_from_memory(&bytes).expect("an image").to_rgb8();
    (
        images[0]["role"].as_str().unwrap_or_default().to_owned(),
        image,
    )
}

fn text_of(body: &Value) -> String {
    body["content"]
        .as_array()
        .expect("content")
        .iter()
        .find(|c| c["type"] == "text")
        .and_then(|c| c["text"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn continue_sends_the_api_last_frame_image_at_its_own_size() {
    let api = TestServer::start().await;
    let files = FileServer::start().await;
    let frame = png(640, 360, 40);
    files.put("/frame.png", frame.clone());
    files.put("/video.mp4", VIDEO.to_vec());
    let id = make_ids(1).remove(0);
    api.insert(task(&id, &files, "/video.mp4", Some("/frame.png")));
    let r = run(
        &api.url(),
        &[
            "create",
            "--continue",
            &id,
            "--prompt",
            "the fox keeps running",
            "--duration",
            "10",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        api.asked_ids().contains(&id),
        "the task is asked through the API"
    );
    let bodies = api.video_bodies();
    assert_eq!(bodies.len(), 1, "one create");
    let body = &bodies[0];
    assert_eq!(body["model"], json!(MODEL), "the task's model by default");
    assert_eq!(body["return_last_frame"], json!(true));
    assert_eq!(
        body["resolution"],
        json!("720p"),
        "the task's options are kept"
    );
    assert_eq!(
        body["duration"],
        json!(10),
        "a given option replaces the task's"
    );
    assert_eq!(text_of(body), "the fox keeps running");
    let (role, image) = only_image(body);
    assert_eq!(role, "first_frame");
    assert_eq!(image.dimensions(), (640, 360));
    let sent = image::load_from_memory(&frame).expect("png").to_rgb8();
    assert_eq!(image, sent, "the API's image is sent as it is");
    assert_eq!(files.requests("/video.mp4"), 0, "no video needed");
    let created = api.created_ids();
    assert!(r.stdout.contains(&created[0]), "{}", r.stdout);
}

#[tokio::test]
async fn continue_decodes_the_video_last_frame_when_there_is_no_image() {
    let api = TestServer::start().await;
    let files = FileServer::start().await;
    files.put("/video.mp4", VIDEO.to_vec());
    let id = make_ids(1).remove(0);
    api.insert(task(&id, &files, "/video.mp4", None));
    let r = run(
        &api.url(),
        &[
            "create",
            "--continue",
            &id,
            "--prompt",
            "then it rains",
            "--json",
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bodies = api.video_bodies();
    assert_eq!(bodies.len(), 1, "one create");
    let body = &bodies[0];
    assert_eq!(body["model"], json!(MODEL));
    assert_eq!(body["return_last_frame"], json!(true));
    let (role, image) = only_image(body);
    assert_eq!(role, "first_frame");
    assert_eq!(image.dimensions(), (320, 180), "the video's own size");
    // The real last frame in display order (ffmpeg's frame 47), not the first.
    let last = image::load_from_memory(LAST).expect("png").to_rgb8();
    let diff: u64 = image
        .pixels()
        .zip(last.pixels())
        .map(|(a, b)| {
            a.0.iter()
                .zip(b.0)
                .map(|(x, y)| u64::from(x.abs_diff(y)))
                .sum::<u64>()
        })
        .sum();
    let mean = diff as f64 / f64::from(320 * 180 * 3);
    assert!(mean < 3.0, "mean difference {mean} from the last frame");
    let line: Value = serde_json::from_str(r.stdout.lines().next().expect("a line")).expect("JSON");
    assert_eq!(line["model"], json!(MODEL));
}

#[tokio::test]
async fn a_video_that_cannot_be_decoded_creates_nothing() {
    let api = TestServer::start().await;
    let files = FileServer::start().await;
    files.put("/page.mp4", b"<html><body>gone</body></html>".to_vec());
    let id = make_ids(1).remove(0);
    api.insert(task(&id, &files, "/page.mp4", None));
    let r = run(
        &api.url(),
        &["create", "--continue", &id, "--prompt", "more"],
    )
    .await;
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains("this video's last frame cannot be decoded: "),
        "{}",
        r.stderr
    );
    assert!(
        api.video_bodies().is_empty(),
        "nothing is created without the frame"
    );
}

#[tokio::test]
async fn continue_uses_the_saved_files_when_the_links_have_expired() {
    let api = TestServer::start().await;
    let files = FileServer::start().await;
    let frame = png(640, 360, 40);
    files.put("/frame.png", frame.clone());
    files.put("/video.mp4", VIDEO.to_vec());
    let ids = make_ids(2);
    api.insert(task(&ids[0], &files, "/video.mp4", Some("/frame.png")));
    api.insert(task(&ids[1], &files, "/video.mp4", None));
    // Saved by `get --save` while the links lived; then they expire (404).
    let library = tempfile::tempdir().expect("temp dir");
    let dir = library.path().display().to_string();
    let r = run_in(
        &api.url(),
        library.path(),
        &["get", "--save", "--library", &dir, &ids[0], &ids[1]],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    files.remove("/frame.png");
    files.remove("/video.mp4");
    let fetched = files.total_requests();

    // The saved last-frame image, at its own size, through SEEDANCE_LIBRARY_DIR.
    let r = run_in(
        &api.url(),
        library.path(),
        &["create", "--continue", &ids[0], "--prompt", "on"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let bodies = api.video_bodies();
    assert_eq!(bodies.len(), 1, "one create");
    let (role, image) = only_image(&bodies[0]);
    assert_eq!(role, "first_frame");
    assert_eq!(
        image,
        image::load_from_memory(&frame).expect("png").to_rgb8()
    );

    // The saved video's last frame, through --library (with --save --wait, as elsewhere).
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let r = run_in(
        &api.url(),
        elsewhere.path(),
        &[
            "create",
            "--continue",
            &ids[1],
            "--prompt",
            "on",
            "--dry-run",
            "--json",
            "--save",
            "--wait",
            "--library",
            &dir,
        ],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        files.total_requests(),
        fetched,
        "no link was asked: {}",
        r.stderr
    );
    let line: Value = serde_json::from_str(r.stdout.lines().next().expect("a line")).expect("JSON");
    let (role, image) = only_image(&line);
    assert_eq!(role, "first_frame");
    assert_eq!(image.dimensions(), (320, 180), "the video's own size");
    let last = image::load_from_memory(LAST).expect("png").to_rgb8();
    assert!(mean_difference(&image, &last) < 3.0, "the last frame");
}

#[tokio::test]
async fn a_saved_file_no_longer_there_falls_back_to_its_link() {
    let api = TestServer::start().await;
    let files = FileServer::start().await;
    let frame = png(640, 360, 40);
    files.put("/frame.png", frame.clone());
    files.put("/video.mp4", VIDEO.to_vec());
    let id = make_ids(1).remove(0);
    api.insert(task(&id, &files, "/video.mp4", Some("/frame.png")));
    let library = tempfile::tempdir().expect("temp dir");
    let r = run_in(
        &api.url(),
        library.path(),
        &["get", "--save", "--json", &id],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    let saved: Value =
        serde_json::from_str(r.stdout.lines().next().expect("a line")).expect("JSON");
    let image_path = saved["saved_last_frame"]
        .as_str()
        .map(std::path::PathBuf::from);
    let image_path = image_path.unwrap_or_else(|| panic!("the saved image's path: {saved}"));
    // The user replaces the saved image with something else of the same size.
    let len = std::fs::metadata(&image_path).expect("saved").len() as usize;
    std::fs::write(&image_path, vec![b'x'; len]).expect("overwrite");
    let before = files.requests("/frame.png");
    let r = run_in(
        &api.url(),
        library.path(),
        &["create", "--continue", &id, "--prompt", "on"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(files.requests("/frame.png"), before + 1, "the link instead");
    assert!(
        r.stderr
            .contains("note: the saved last-frame image cannot be used: not an image"),
        "{}",
        r.stderr
    );
    let (_, image) = only_image(&api.video_bodies()[0]);
    assert_eq!(
        image,
        image::load_from_memory(&frame).expect("png").to_rgb8()
    );
}

#[tokio::test]
async fn an_image_link_that_answers_a_web_page_gives_way_to_the_video() {
    let api = TestServer::start().await;
    let files = FileServer::start().await;
    files.put("/frame.png", b"<html><body>expired</body></html>".to_vec());
    files.put("/video.mp4", VIDEO.to_vec());
    files.put("/page.mp4", b"<html><body>expired</body></html>".to_vec());
    let ids = make_ids(2);
    api.insert(task(&ids[0], &files, "/video.mp4", Some("/frame.png")));
    api.insert(task(&ids[1], &files, "/page.mp4", Some("/frame.png")));
    let r = run(
        &api.url(),
        &["create", "--continue", &ids[0], "--prompt", "on"],
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("note: the last-frame image cannot be used: not an image"),
        "{}",
        r.stderr
    );
    let (role, image) = only_image(&api.video_bodies()[0]);
    assert_eq!(role, "first_frame");
    assert_eq!(image.dimensions(), (320, 180), "the video's last frame");
    let last = image::load_from_memory(LAST).expect("png").to_rgb8();
    assert!(mean_difference(&image, &last) < 3.0);

    // Neither gives a frame: the sentence, with both reasons, and nothing sent.
    let r = run(
        &api.url(),
        &["create", "--continue", &ids[1], "--prompt", "on"],
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("error: this video's last frame cannot be decoded: not an MP4 video"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("; the last-frame image cannot be used: not an image"),
        "{}",
        r.stderr
    );
    assert_eq!(api.video_bodies().len(), 1, "nothing more was created");
}

#[tokio::test]
async fn without_continue_the_model_is_still_required() {
    let r = run("http://127.0.0.1:9", &["create", "--prompt", "a fox"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--model"), "{}", r.stderr);
}
