//! Continue… fills the New generation panel with the task's model, prompt and options and
//! its last frame as the one image (`first_frame`, a data URI): the API's last-frame image
//! where there is one, else the real last frame decoded from the video a loopback server
//! serves, each from the library's saved file first (the links expire), else everything
//! but the image and the reason. From a card and from the details; in the demo from its
//! bundled clip; created only after the confirmation. New generation after a prefill is a
//! fresh form; Generate again keeps the stored Return last frame.

mod common;
#[path = "common/files.rs"]
mod files;
#[path = "common/ui.rs"]
mod ui;

use base64::Engine;
use common::{TestServer, make_ids, png, record};
use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use files::FileServer;
use seedance_tasks::api::TaskRecord;
use seedance_tasks::generate::{GenerationRequest, Role};
use seedance_tasks::gui::{RecordingOpener, SeedanceApp};
use seedance_tasks::library::{Library, SaveRequest, SaveState};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const VIDEO: &[u8] = include_bytes!("fixtures/media-h264-high-bframes.mp4");
const LAST: &[u8] = include_bytes!("fixtures/media-h264-high-bframes-frame47.png");
const PAGE: &[u8] = b"<html><body>gone</body></html>";

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

/// The video fixture's last frame, as ffmpeg wrote it.
fn is_the_videos_last_frame(frame: &image::RgbImage) {
    assert_eq!(frame.dimensions(), (320, 180));
    let reference = image::load_from_memory(LAST).expect("reference").to_rgb8();
    let mean = common::mean_difference(frame, &reference);
    assert!(mean < 8.0, "the last frame ffmpeg wrote (mean diff {mean})");
}

struct World {
    runtime: tokio::runtime::Runtime,
    api: TestServer,
    files: FileServer,
    ids: Vec<String>,
    h: Harness<'static, SeedanceApp>,
}

/// A succeeded task (5 s, a start image of its own) with these links on `files`.
fn task(files: &FileServer, id: &str, video: Option<&str>, frame: Option<&str>) -> Value {
    let mut r = record(id, "succeeded");
    r["request"]["duration"] = 5.into();
    r["request"]["content"]
        .as_array_mut()
        .expect("content")
        .push(json!({"type": "image_url", "image_url": {"url": "https://e.x/start.png"}, "role": "first_frame"}));
    let data = &mut r["response"]["data"];
    data["video_url"] = video.map_or(Value::Null, |p| files.url(p).into());
    data["last_frame_url"] = frame.map_or(Value::Null, |p| files.url(p).into());
    r
}

/// The servers with the files every test serves: a 640 × 360 last-frame image, the
/// video, and a web page in place of each.
fn servers() -> (tokio::runtime::Runtime, TestServer, FileServer) {
    let runtime = ui::runtime();
    let api = runtime.block_on(TestServer::start());
    let files = runtime.block_on(FileServer::start());
    files.put("/frame.png", png(640, 360, 40));
    files.put("/video.mp4", VIDEO.to_vec());
    files.put("/page.png", PAGE.to_vec());
    files.put("/page.mp4", PAGE.to_vec());
    (runtime, api, files)
}

/// The window with one succeeded task per pair of links (video, last-frame image), the
/// library at `library` where given.
fn world_of(links: &[(Option<&str>, Option<&str>)], library: Option<&Path>) -> World {
    let (runtime, api, files) = servers();
    let ids = make_ids(links.len());
    for (id, (video, frame)) in ids.iter().zip(links) {
        api.insert(task(&files, id, *video, *frame));
    }
    open(runtime, api, files, ids, library)
}

fn open(
    runtime: tokio::runtime::Runtime,
    api: TestServer,
    files: FileServer,
    ids: Vec<String>,
    library: Option<&Path>,
) -> World {
    let mut options = ui::options(&api.url(), "continue-token", &RecordingOpener::default());
    options.initial_ids = ids.clone();
    options.engine.watch_interval = Duration::from_secs(600);
    options.library = library.map(Path::to_path_buf);
    let mut h = ui::harness(&runtime, [1280.0, 760.0], options);
    {
        let _enter = runtime.enter();
        ui::step_until(&mut h, "answers", ui::all_answered);
    }
    World {
        runtime,
        api,
        files,
        ids,
        h,
    }
}

/// Three succeeded tasks: with a last-frame image, with only a video, with a video link
/// that answers a web page.
fn world() -> World {
    world_of(
        &[
            (Some("/video.mp4"), Some("/frame.png")),
            (Some("/video.mp4"), None),
            (Some("/page.mp4"), None),
        ],
        None,
    )
}

fn form(h: &Harness<'_, SeedanceApp>) -> GenerationRequest {
    h.state().generation_form().cloned().expect("the form")
}

/// Continue… on the task's gallery card, until the panel opens.
fn continued(h: &mut Harness<'_, SeedanceApp>, id: &str) -> GenerationRequest {
    h.get_by_label(&format!("Continue from task {id}")).click();
    ui::step_until(h, "the panel", |app| app.generation_form().is_some());
    form(h)
}

fn close_panel(h: &mut Harness<'_, SeedanceApp>) {
    h.get_by_label("Close window").click();
    ui::step_until(h, "closed", |app| app.generation_form().is_none());
}

fn gallery(h: &mut Harness<'_, SeedanceApp>) {
    h.get_by_label("Gallery").click();
    h.run_steps(2);
}

fn status(h: &Harness<'_, SeedanceApp>) -> String {
    h.state()
        .status_message()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

#[test]
fn continue_fills_the_panel_with_the_last_frame() {
    let mut w = world();
    let _enter = w.runtime.enter();
    gallery(&mut w.h);

    // The API's last-frame image, at its own size, replaces the task's own images.
    let form = continued(&mut w.h, &w.ids[0]);
    assert_eq!(form.model, "doubao-seedance-1-0-pro-250528");
    assert_eq!(form.prompt, format!("prompt of {}", w.ids[0]));
    assert_eq!(form.options.duration, Some(5));
    assert!(form.options.return_last_frame);
    assert_eq!(form.images.len(), 1, "{:?}", form.images);
    assert_eq!(form.images[0].role, Role::FirstFrame);
    assert_eq!(decoded(&form.images[0].source).dimensions(), (640, 360));
    // Said in words in the panel, not shown as megabytes of base64 in a text field.
    w.h.step();
    assert!(
        w.h.query_all_by_label_contains("an embedded PNG image, ")
            .next()
            .is_some(),
        "the image row describes the embedded frame"
    );
    close_panel(&mut w.h);

    // No last-frame image: the video's real last frame in display order, at its size.
    let form = continued(&mut w.h, &w.ids[1]);
    assert_eq!(form.images.len(), 1);
    is_the_videos_last_frame(&decoded(&form.images[0].source));
    close_panel(&mut w.h);

    // A link that answers a web page: everything but the image, and why.
    let form = continued(&mut w.h, &w.ids[2]);
    assert!(form.images.is_empty(), "{:?}", form.images);
    assert_eq!(form.prompt, format!("prompt of {}", w.ids[2]));
    let message = status(&w.h);
    assert!(
        message.starts_with("this video's last frame cannot be decoded:"),
        "{message}"
    );
}

#[test]
fn a_last_frame_link_that_answers_a_web_page_gives_way_to_the_video() {
    let mut w = world_of(
        &[
            (Some("/video.mp4"), Some("/page.png")),
            (Some("/page.mp4"), Some("/page.png")),
        ],
        None,
    );
    let _enter = w.runtime.enter();
    gallery(&mut w.h);
    let form = continued(&mut w.h, &w.ids[0]);
    assert_eq!(form.images.len(), 1, "{:?}", status(&w.h));
    assert_eq!(form.images[0].role, Role::FirstFrame);
    is_the_videos_last_frame(&decoded(&form.images[0].source));
    assert_eq!(w.files.requests("/video.mp4"), 1, "the video was fetched");
    let message = status(&w.h);
    assert!(
        message.contains("the last-frame image cannot be used: not an image"),
        "told why the image was not used: {message}"
    );
    close_panel(&mut w.h);

    // Neither the image nor the video gives a frame: the sentence.
    let form = continued(&mut w.h, &w.ids[1]);
    assert!(form.images.is_empty());
    assert!(form.options.return_last_frame);
    assert_eq!(form.options.duration, Some(5));
    let message = status(&w.h);
    assert!(
        message.starts_with("this video's last frame cannot be decoded: not an MP4 video"),
        "{message}"
    );
    assert!(
        message.contains("the last-frame image cannot be used"),
        "{message}"
    );
}

#[test]
fn the_saved_files_are_used_when_the_links_have_expired() {
    let library = tempfile::tempdir().expect("temp dir");
    let (runtime, api, files) = servers();
    let ids = make_ids(2);
    let links = [
        (Some("/video.mp4"), Some("/frame.png")),
        (Some("/video.mp4"), None),
    ];
    // Saved while the links lived, then they expire (404).
    for (id, (video, frame)) in ids.iter().zip(links) {
        let raw = task(&files, id, video, frame);
        api.insert(raw.clone());
        let record = TaskRecord::from_value(raw).expect("record");
        let saved = runtime
            .block_on(
                Library::open(library.path().to_path_buf())
                    .save(&SaveRequest::from_record(&record)),
            )
            .expect("saved");
        assert_eq!(saved.last_frame.is_some(), frame.is_some());
    }
    files.remove("/frame.png");
    files.remove("/video.mp4");
    let fetched = files.total_requests();
    let mut w = open(runtime, api, files, ids, Some(library.path()));
    let _enter = w.runtime.enter();
    let ids = w.ids.clone();
    ui::step_until(&mut w.h, "both found in the library", |app| {
        ids.iter()
            .all(|id| matches!(app.library_state(id), Some(SaveState::Saved(_))))
    });
    gallery(&mut w.h);

    let form = continued(&mut w.h, &w.ids[0]);
    assert_eq!(form.images.len(), 1, "{}", status(&w.h));
    assert_eq!(
        decoded(&form.images[0].source),
        image::load_from_memory(&png(640, 360, 40))
            .expect("png")
            .to_rgb8(),
        "the saved last-frame image, as it is"
    );
    close_panel(&mut w.h);

    let form = continued(&mut w.h, &w.ids[1]);
    assert_eq!(form.images.len(), 1, "{}", status(&w.h));
    is_the_videos_last_frame(&decoded(&form.images[0].source));
    assert_eq!(w.files.total_requests(), fetched, "no link was asked");
}

#[test]
fn continue_in_the_details_and_the_confirmation_before_creating() {
    let mut w = world();
    let _enter = w.runtime.enter();
    let id = w.ids[0].clone();
    w.h.get_by_label(&format!("prompt of {id}")).click();
    w.h.run_steps(3);
    w.h.get_by_label("Continue…").click();
    ui::step_until(&mut w.h, "the panel", |app| app.generation_form().is_some());
    let form = form(&w.h);
    assert_eq!(form.images.len(), 1);
    assert_eq!(decoded(&form.images[0].source).dimensions(), (640, 360));

    // Escape at the confirmation sends nothing.
    w.h.get_by_label("Create…").click();
    w.h.run_steps(3);
    ui::until_said(
        &mut w.h,
        "Create 1 generation with doubao-seedance-1-0-pro-250528",
    );
    w.h.key_press(Key::Escape);
    ui::step_for(&mut w.h, Duration::from_millis(300));
    assert!(w.api.video_bodies().is_empty(), "nothing after Escape");
    assert!(
        w.h.query_all_by_label_contains("Create 1 generation with")
            .next()
            .is_none(),
        "Escape closed the confirmation"
    );
    assert_eq!(w.h.state().book().len(), 3);

    // Enter confirms: exactly one POST, the frame inline as the first frame.
    w.h.get_by_label("Create…").click();
    w.h.run_steps(3);
    ui::until_said(&mut w.h, "Create 1 generation with");
    w.h.key_press(Key::Enter);
    ui::step_until(&mut w.h, "the created task", |app| app.book().len() == 4);
    ui::step_for(&mut w.h, Duration::from_millis(300));
    let bodies = w.api.video_bodies();
    assert_eq!(bodies.len(), 1, "exactly one POST");
    let body = &bodies[0];
    assert_eq!(body["return_last_frame"], json!(true));
    let images: Vec<&Value> = body["content"]
        .as_array()
        .expect("content")
        .iter()
        .filter(|c| c["type"] == "image_url")
        .collect();
    assert_eq!(images.len(), 1, "{body}");
    assert_eq!(images[0]["role"], json!("first_frame"));
    let url = images[0]["image_url"]["url"].as_str().expect("url");
    assert_eq!(decoded(url).dimensions(), (640, 360));
}

#[test]
fn the_demo_continues_from_its_bundled_clip() {
    let runtime = ui::runtime();
    let mut options = ui::options(
        "https://api.example.invalid",
        "unused",
        &RecordingOpener::default(),
    );
    options.env_token = None;
    options.demo = true;
    let mut h = ui::harness(&runtime, [1280.0, 760.0], options);
    let _enter = runtime.enter();
    ui::step_until(&mut h, "demo answers", ui::all_answered);
    let (id, prompt) = h
        .state()
        .book()
        .entries()
        .iter()
        .find(|e| e.status == seedance_tasks::api::Status::Succeeded)
        .map(|e| {
            let prompt = e.record.as_ref().and_then(|r| r.prompt.clone());
            (e.id.clone(), prompt.expect("a prompt"))
        })
        .expect("a succeeded demo task");
    h.get_by_label(&prompt.replace('\n', " ")).click();
    h.run_steps(3);
    h.get_by_label("Continue…").click();
    ui::step_until(&mut h, "the panel", |app| app.generation_form().is_some());
    let form = form(&h);
    assert!(
        !form.prompt.is_empty() && !form.model.is_empty(),
        "task {id}"
    );
    assert_eq!(form.images.len(), 1, "{}", status(&h));
    assert_eq!(form.images[0].role, Role::FirstFrame);
    let clip = seedance_tasks::media::last_frame(seedance_tasks::demo::SAMPLE_CLIP).expect("clip");
    assert_eq!(
        decoded(&form.images[0].source),
        clip,
        "the clip's last frame, lossless"
    );
}

#[test]
fn new_generation_after_generate_again_or_continue_is_a_fresh_form() {
    let (runtime, api, files) = servers();
    let ids = make_ids(3);
    for (id, stored) in ids.iter().zip([Some(false), Some(true), None]) {
        let mut r = task(&files, id, Some("/video.mp4"), Some("/frame.png"));
        if let Some(stored) = stored {
            r["request"]["return_last_frame"] = stored.into();
        }
        api.insert(r);
    }
    let mut w = open(runtime, api, files, ids, None);
    let _enter = w.runtime.enter();

    // Generate again keeps the stored Return last frame, off and on.
    for (id, stored) in w.ids.clone().iter().zip([false, true]) {
        w.h.get_by_label(&format!("prompt of {id}")).click();
        w.h.run_steps(3);
        w.h.get_by_label("Generate this again…").click();
        ui::step_until(&mut w.h, "the panel", |app| app.generation_form().is_some());
        let f = form(&w.h);
        assert_eq!(f.options.return_last_frame, stored, "task {id}");
        assert_eq!(f.prompt, format!("prompt of {id}"));
        assert_eq!(f.images.len(), 1, "Generate again copies the images");
        close_panel(&mut w.h);
    }

    // New generation after a Generate again whose value was off: a fresh form.
    w.h.get_by_label(&format!("prompt of {}", w.ids[0])).click();
    w.h.run_steps(3);
    w.h.get_by_label("Generate this again…").click();
    ui::step_until(&mut w.h, "the panel", |app| app.generation_form().is_some());
    close_panel(&mut w.h);
    w.h.get_by_label("New generation").click();
    ui::step_until(&mut w.h, "the panel", |app| app.generation_form().is_some());
    let f = form(&w.h);
    assert!(f.options.return_last_frame, "on for a fresh generation");
    assert!(f.prompt.is_empty(), "{}", f.prompt);
    assert!(f.images.is_empty());
    assert!(!f.model.is_empty(), "a model is proposed");
    close_panel(&mut w.h);

    // The same after a Continue.
    gallery(&mut w.h);
    let f = continued(&mut w.h, &w.ids[2]);
    assert_eq!(f.images.len(), 1);
    close_panel(&mut w.h);
    w.h.get_by_label("New generation").click();
    ui::step_until(&mut w.h, "the panel", |app| app.generation_form().is_some());
    let f = form(&w.h);
    assert!(f.options.return_last_frame && f.prompt.is_empty() && f.images.is_empty());

    // A draft typed into the fresh form is kept (the details, with a "Prompt" of their
    // own, closed first).
    w.h.get_by_label("Close").click();
    w.h.run_steps(2);
    w.h.get_by_label("Prompt").click();
    w.h.step();
    w.h.get_by_label("Prompt").type_text("my own idea");
    w.h.run_steps(2);
    close_panel(&mut w.h);
    w.h.get_by_label("New generation").click();
    ui::step_until(&mut w.h, "the panel", |app| app.generation_form().is_some());
    assert_eq!(form(&w.h).prompt, "my own idea");
}
