//! The window's library: a watched task is saved as it finishes, with no click (the file
//! and its sidecar land in the library); a restart fetches nothing already saved; a file
//! the user deleted shows as removed and is not fetched again; tasks that arrive finished
//! are offered as one "Save N finished videos".

mod common;
#[path = "common/files.rs"]
mod files;
#[path = "common/ui.rs"]
mod ui;

use common::{TestServer, make_ids, record};
use egui_kittest::kittest::Queryable;
use files::FileServer;
use seedance_tasks::gui::{RecordingOpener, SeedanceApp};
use seedance_tasks::library::SaveState;
use std::path::{Path, PathBuf};
use std::time::Duration;

const VIDEO: &[u8] = include_bytes!("fixtures/media-h264-high-bframes.mp4");

struct World {
    runtime: tokio::runtime::Runtime,
    api: TestServer,
    files: FileServer,
    ids: Vec<String>,
    library: tempfile::TempDir,
}

fn world(n: usize, status: &str) -> World {
    let runtime = ui::runtime();
    let api = runtime.block_on(TestServer::start());
    let files = runtime.block_on(FileServer::start());
    files.put("/video.mp4", VIDEO.to_vec());
    let ids = make_ids(n);
    let w = World {
        runtime,
        api,
        files,
        ids,
        library: tempfile::tempdir().expect("temp dir"),
    };
    for id in &w.ids {
        w.api.insert(task(&w, id, status));
    }
    w
}

fn task(w: &World, id: &str, status: &str) -> serde_json::Value {
    let mut r = record(id, status);
    if status == "succeeded" {
        r["response"]["data"]["video_url"] = w.files.url("/video.mp4").into();
    }
    r["response"]["data"]["last_frame_url"] = serde_json::Value::Null;
    r
}

fn window(w: &World, watch: Duration) -> egui_kittest::Harness<'static, SeedanceApp> {
    let mut options = ui::options(&w.api.url(), "library-token", &RecordingOpener::default());
    options.initial_ids = w.ids.clone();
    options.engine.watch_interval = watch;
    options.library = Some(w.library.path().to_path_buf());
    ui::harness(&w.runtime, [1280.0, 760.0], options)
}

fn saved(app: &SeedanceApp, id: &str) -> Option<PathBuf> {
    app.saved_video(id)
}

fn sidecar_of(video: &Path) -> PathBuf {
    video.with_extension("json")
}

#[test]
fn a_watched_task_is_saved_as_it_finishes_and_a_restart_fetches_nothing() {
    let w = world(1, "running");
    let _enter = w.runtime.enter();
    let id = w.ids[0].clone();
    let mut h = window(&w, Duration::from_millis(200));
    ui::step_until(&mut h, "the task watched", |app| {
        app.book().get(&id).is_some_and(|e| e.record.is_some())
    });
    assert_eq!(w.files.total_requests(), 0, "nothing fetched while running");
    w.api.insert(task(&w, &id, "succeeded"));
    ui::step_until(&mut h, "the video saved", |app| saved(app, &id).is_some());
    let video = saved(h.state(), &id).expect("saved");
    assert!(video.starts_with(w.library.path()), "{}", video.display());
    assert_eq!(std::fs::read(&video).expect("the saved file"), VIDEO);
    let sidecar: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sidecar_of(&video)).expect("sidecar"))
            .expect("sidecar json");
    assert_eq!(sidecar["id"], id.as_str());
    assert_eq!(sidecar["size"], VIDEO.len() as u64);
    let fetched = w.files.total_requests();
    assert!(fetched >= 1);
    drop(h);

    // A restart: the task arrives finished, the library knows it; nothing is fetched.
    let mut h = window(&w, Duration::from_secs(600));
    ui::step_until(&mut h, "recognised as saved", |app| {
        saved(app, &id).is_some()
    });
    ui::step_for(&mut h, Duration::from_millis(300));
    assert_eq!(w.files.total_requests(), fetched, "nothing fetched again");
    assert_eq!(saved(h.state(), &id), Some(video.clone()));
    drop(h);

    // The user deletes the video: shown as removed, not fetched again by itself.
    std::fs::remove_file(&video).expect("delete");
    let mut h = window(&w, Duration::from_secs(600));
    ui::step_until(&mut h, "shown as removed", |app| {
        matches!(app.library_state(&id), Some(SaveState::Removed))
    });
    ui::step_for(&mut h, Duration::from_millis(300));
    assert_eq!(
        w.files.total_requests(),
        fetched,
        "a removed file is not fetched"
    );
    assert!(!video.exists());
    assert_eq!(
        h.state().library_offer(),
        None,
        "removed is not offered again"
    );
}

#[test]
fn tasks_that_arrive_finished_are_offered_not_fetched() {
    let w = world(3, "succeeded");
    let _enter = w.runtime.enter();
    let mut h = window(&w, Duration::from_secs(600));
    ui::step_until(&mut h, "answered", ui::all_answered);
    ui::step_until(&mut h, "the offer", |app| app.library_offer().is_some());
    ui::step_for(&mut h, Duration::from_millis(300));
    assert_eq!(w.files.total_requests(), 0, "nothing fetched by itself");
    let offer = h.state().library_offer().expect("offer");
    assert!(offer.starts_with("Save 3 finished videos"), "{offer}");
    h.get_by_label(offer.as_str()).click();
    ui::step_until(&mut h, "all saved", |app| {
        w.ids.iter().all(|id| saved(app, id).is_some())
    });
    assert_eq!(h.state().library_offer(), None);
}
