//! Continue… fills the New generation panel with the task's model, prompt and options and
//! its last frame as the one image (`first_frame`, a data URI): the API's last-frame image
//! where there is one, else the real last frame decoded from the video a loopback server
//! serves, else everything but the image and the reason.

mod common;
#[path = "common/files.rs"]
mod files;
#[path = "common/ui.rs"]
mod ui;

use base64::Engine;
use common::{TestServer, make_ids, png, record};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use files::FileServer;
use seedance_tasks::generate::{GenerationRequest, Role};
use seedance_tasks::gui::{RecordingOpener, SeedanceApp};
use std::time::Duration;

const VIDEO: &[u8] = include_bytes!("fixtures/media-h264-high-bframes.mp4");
const LAST: &[u8] = include_bytes!("fixtures/media-h264-high-bframes-frame47.png");

fn decoded(source: &str) -> image::RgbImage {
    let (head, data) = source.split_once(',').expect("a data URI");
    assert!(
        head.starts_with("data:image/") && head.ends_with(";base64"),
        "{head}"
    );
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64");
    image::load_from_memory(&bytes).expect("an image").to_rgb8()
}

struct World {
    runtime: tokio::runtime::Runtime,
    _api: TestServer,
    _files: FileServer,
    ids: Vec<String>,
    h: Harness<'static, SeedanceApp>,
}

/// Three succeeded tasks: with a last-frame image, with only a video, with a video link
/// that answers a web page.
fn world() -> World {
    let runtime = ui::runtime();
    let api = runtime.block_on(TestServer::start());
    let files = runtime.block_on(FileServer::start());
    files.put("/frame.png", png(640, 360, 40));
    files.put("/video.mp4", VIDEO.to_vec());
    files.put("/page.mp4", b"<html><body>gone</body></html>".to_vec());
    let ids = make_ids(3);
    let links = [
        (Some("/video.mp4"), Some("/frame.png")),
        (Some("/video.mp4"), None),
        (Some("/page.mp4"), None),
    ];
    for (id, (video, frame)) in ids.iter().zip(links) {
        let mut r = record(id, "succeeded");
        r["request"]["duration"] = 5.into();
        r["request"]["content"]
            .as_array_mut()
            .expect("content")
            .push(serde_json::json!({"type": "image_url", "image_url": {"url": "https://e.x/start.png"}, "role": "first_frame"}));
        let data = &mut r["response"]["data"];
        data["video_url"] = video.map_or(serde_json::Value::Null, |p| files.url(p).into());
        data["last_frame_url"] = frame.map_or(serde_json::Value::Null, |p| files.url(p).into());
        api.insert(r);
    }
    let mut options = ui::options(&api.url(), "continue-token", &RecordingOpener::default());
    options.initial_ids = ids.clone();
    options.engine.watch_interval = Duration::from_secs(600);
    let mut h = ui::harness(&runtime, [1280.0, 760.0], options);
    {
        let _enter = runtime.enter();
        ui::step_until(&mut h, "answers", ui::all_answered);
    }
    World {
        runtime,
        _api: api,
        _files: files,
        ids,
        h,
    }
}

fn continued(h: &mut Harness<'_, SeedanceApp>, id: &str) -> GenerationRequest {
    h.get_by_label(&format!("Continue from task {id}")).click();
    ui::step_until(h, "the panel", |app| app.generation_form().is_some());
    h.state().generation_form().cloned().expect("the form")
}

#[test]
fn continue_fills_the_panel_with_the_last_frame() {
    let mut w = world();
    let _enter = w.runtime.enter();
    w.h.get_by_label("Gallery").click();
    w.h.step();
    w.h.step();

    // The API's last-frame image, at its own size, replaces the task's own images.
    let form = continued(&mut w.h, &w.ids[0]);
    assert_eq!(form.model, "doubao-seedance-1-0-pro-250528");
    assert_eq!(form.prompt, format!("prompt of {}", w.ids[0]));
    assert_eq!(form.options.duration, Some(5));
    assert!(form.options.return_last_frame);
    assert_eq!(form.images.len(), 1, "{:?}", form.images);
    assert_eq!(form.images[0].role, Role::FirstFrame);
    assert_eq!(decoded(&form.images[0].source).dimensions(), (640, 360));
    w.h.get_by_label("Close window").click();
    w.h.step();

    // No last-frame image: the video's real last frame in display order, at its size.
    ui::step_until(&mut w.h, "closed", |app| app.generation_form().is_none());
    let form = continued(&mut w.h, &w.ids[1]);
    assert_eq!(form.images.len(), 1);
    let frame = decoded(&form.images[0].source);
    assert_eq!(frame.dimensions(), (320, 180));
    let reference = image::load_from_memory(LAST).expect("reference").to_rgb8();
    let mean = common::mean_difference(&frame, &reference);
    assert!(mean < 8.0, "the last frame ffmpeg wrote (mean diff {mean})");
    w.h.get_by_label("Close window").click();
    w.h.step();

    // A link that answers a web page: everything but the image, and why.
    ui::step_until(&mut w.h, "closed", |app| app.generation_form().is_none());
    let form = continued(&mut w.h, &w.ids[2]);
    assert!(form.images.is_empty(), "{:?}", form.images);
    assert_eq!(form.prompt, format!("prompt of {}", w.ids[2]));
    let message = w.h.state().status_message().map(|m| m.text.clone());
    let message = message.expect("a reason");
    assert!(
        message.starts_with("this video's last frame cannot be decoded:"),
        "{message}"
    );
}

#[test]
fn a_fresh_generation_asks_for_its_last_frame() {
    let mut w = world();
    let _enter = w.runtime.enter();
    w.h.get_by_label("New generation").click();
    w.h.step();
    w.h.step();
    let form = w.h.state().generation_form().cloned().expect("the form");
    assert!(
        form.options.return_last_frame,
        "on by default, so it can be continued"
    );
}
