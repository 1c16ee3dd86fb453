//! The window's library: a watched task is saved as it finishes, with no click (the file
//! and its sidecar land in the library); a restart fetches nothing already saved; a file
//! the user deleted shows as removed and is not fetched again; tasks that arrive finished
//! are offered as one "Save N finished videos"; a created task and one Follow brings in
//! are saved too; the folder chosen in the window is used and remembered, and
//! `SEEDANCE_LIBRARY_DIR` wins over it; Verify library finds changed and missing files.

mod common;
#[path = "common/files.rs"]
mod files;
#[path = "common/ui.rs"]
mod ui;

use common::account::{OWNER, account_id, account_record};
use common::{TestServer, make_ids, record};
use egui_kittest::kittest::{NodeT, Queryable};
use files::FileServer;
use seedance_tasks::gui::{AnsweringDialogs, GuiOptions, Picked, RecordingOpener, SeedanceApp};
use seedance_tasks::library::SaveState;
use seedance_tasks::task::unix_now;
use std::path::{Path, PathBuf};
use std::sync::Arc;
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

fn options(w: &World, watch: Duration) -> GuiOptions {
    let mut options = ui::options(&w.api.url(), "library-token", &RecordingOpener::default());
    options.initial_ids = w.ids.clone();
    options.engine.watch_interval = watch;
    options.library = Some(w.library.path().to_path_buf());
    options
}

fn window(w: &World, watch: Duration) -> egui_kittest::Harness<'static, SeedanceApp> {
    ui::harness(&w.runtime, [1280.0, 760.0], options(w, watch))
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

/// A SeeDance link past its 24 h answers nothing worth asking: no `HEAD` is sent for it,
/// the offer still counts it (its save will say "gone").
#[test]
fn no_size_is_asked_for_an_expired_link() {
    let w = world(2, "succeeded");
    let two_days_ago = unix_now() - 2.0 * 86_400.0;
    let mut old = task(&w, &w.ids[0], "succeeded");
    old["finished_at"] = two_days_ago.into();
    w.api.insert(old);
    let _enter = w.runtime.enter();
    let mut h = window(&w, Duration::from_secs(600));
    ui::step_until(&mut h, "answered", ui::all_answered);
    ui::step_until(&mut h, "the offer with its size", |app| {
        app.library_offer().is_some_and(|o| o.contains('≈'))
    });
    ui::step_for(&mut h, Duration::from_millis(300));
    assert_eq!(w.files.heads(), 1, "only the live link is asked");
    let offer = h.state().library_offer().expect("offer");
    assert!(offer.starts_with("Save 2 finished videos"), "{offer}");
}

#[test]
fn tasks_that_arrive_finished_are_offered_not_fetched() {
    let w = world(3, "succeeded");
    let _enter = w.runtime.enter();
    let mut h = window(&w, Duration::from_secs(600));
    ui::step_until(&mut h, "answered", ui::all_answered);
    ui::step_until(&mut h, "the offer with its size", |app| {
        app.library_offer().is_some_and(|o| o.contains('≈'))
    });
    ui::step_for(&mut h, Duration::from_millis(300));
    assert_eq!(w.files.total_requests(), 0, "nothing fetched by itself");
    assert_eq!(w.files.heads(), 3, "one HEAD per link, once");
    let offer = h.state().library_offer().expect("offer");
    let kb = (3 * VIDEO.len()) as f64 / 1000.0;
    assert_eq!(offer, format!("Save 3 finished videos (≈ {kb:.1} kB)"));
    h.get_by_label(offer.as_str()).click();
    ui::step_until(&mut h, "all saved", |app| {
        w.ids.iter().all(|id| saved(app, id).is_some())
    });
    assert_eq!(h.state().library_offer(), None);
    h.run_steps(2);
    let kb = (3 * VIDEO.len()) as f64 / 1000.0;
    let summary = format!("Library: 3 saved · {kb:.1} kB");
    h.get_by_label(summary.as_str());
}

#[test]
fn a_created_task_is_saved_as_it_finishes() {
    let w = world(0, "succeeded");
    let _enter = w.runtime.enter();
    let mut h = window(&w, Duration::from_millis(200));
    ui::step_until(&mut h, "the token in use", |app| app.has_backend());
    h.get_by_label("New generation").click();
    h.run_steps(3);
    h.get_by_label("Prompt").click();
    h.step();
    h.get_by_label("Prompt").type_text("一艘纸船顺着雨水漂下");
    h.run_steps(2);
    h.get_by_label("Create…").click();
    h.run_steps(3);
    h.key_press(egui::Key::Enter);
    ui::step_until(&mut h, "the created task", |app| app.book().len() == 1);
    let id = w.api.created_ids()[0].clone();
    ui::step_for(&mut h, Duration::from_millis(300));
    assert_eq!(w.files.total_requests(), 0, "nothing fetched while queued");
    w.api.insert(task(&w, &id, "succeeded"));
    ui::step_until(&mut h, "the created video saved", |app| {
        saved(app, &id).is_some()
    });
    let video = saved(h.state(), &id).expect("saved");
    assert_eq!(std::fs::read(&video).expect("the saved file"), VIDEO);
}

#[test]
fn a_task_follow_brings_in_finished_is_saved() {
    let w = world(0, "succeeded");
    let _enter = w.runtime.enter();
    let mut h = window(&w, Duration::from_secs(600));
    ui::step_until(&mut h, "the token in use", |app| app.has_backend());
    let id = account_id(0, 77);
    let mut r = account_record(&id, OWNER, unix_now());
    r["response"]["data"]["video_url"] = w.files.url("/video.mp4").into();
    r["response"]["data"]["last_frame_url"] = serde_json::Value::Null;
    w.api.account().add(r);
    h.get_by_label("Follow my account").click();
    ui::step_until(&mut h, "the followed video saved", |app| {
        saved(app, &id).is_some()
    });
    assert_eq!(
        std::fs::read(saved(h.state(), &id).expect("saved")).expect("file"),
        VIDEO
    );
}

#[test]
fn the_folder_chosen_in_the_window_is_used_and_remembered_and_the_environment_wins() {
    let w = world(1, "running");
    let _enter = w.runtime.enter();
    let id = w.ids[0].clone();
    let chosen = tempfile::tempdir().expect("temp dir");
    let mut opts = options(&w, Duration::from_millis(200));
    opts.dialogs = Arc::new(AnsweringDialogs::new(
        Picked::Chosen(chosen.path().to_path_buf()),
        None,
    ));
    let mut h = ui::harness(&w.runtime, [1280.0, 760.0], opts);
    assert_eq!(h.state().library_root(), Some(w.library.path()));
    h.get_by_label("Change folder…").click();
    ui::step_until(&mut h, "the folder chosen", |app| {
        app.library_root() == Some(chosen.path())
    });
    assert_eq!(
        h.state().prefs().library_dir.as_deref(),
        Some(chosen.path()),
        "remembered with the preferences"
    );
    w.api.insert(task(&w, &id, "succeeded"));
    ui::step_until(&mut h, "saved", |app| saved(app, &id).is_some());
    let video = saved(h.state(), &id).expect("saved");
    assert!(video.starts_with(chosen.path()), "{}", video.display());
    let prefs = h.state().saved_prefs();
    drop(h);

    // The next start reads the choice back.
    let mut h = window(&w, Duration::from_secs(600));
    h.state_mut().restore(prefs.clone());
    assert_eq!(h.state().library_root(), Some(chosen.path()));
    ui::step_until(&mut h, "known as saved", |app| saved(app, &id).is_some());
    drop(h);

    // SEEDANCE_LIBRARY_DIR wins over the choice, and the button says so.
    let env = tempfile::tempdir().expect("temp dir");
    let mut opts = options(&w, Duration::from_secs(600));
    opts.library_env = Some(env.path().to_path_buf());
    let mut h = ui::harness(&w.runtime, [1280.0, 760.0], opts);
    h.state_mut().restore(prefs);
    h.run_steps(2);
    assert_eq!(h.state().library_root(), Some(env.path()));
    assert!(
        h.get_by_label("Change folder…")
            .accesskit_node()
            .is_disabled()
    );
}

#[test]
fn verify_library_finds_changed_and_missing_files() {
    let w = world(3, "succeeded");
    let _enter = w.runtime.enter();
    let mut h = window(&w, Duration::from_secs(600));
    ui::step_until(&mut h, "the offer", |app| app.library_offer().is_some());
    let offer = h.state().library_offer().expect("offer");
    h.get_by_label(offer.as_str()).click();
    ui::step_until(&mut h, "all saved", |app| {
        w.ids.iter().all(|id| saved(app, id).is_some())
    });
    let changed = saved(h.state(), &w.ids[0]).expect("saved");
    let missing = saved(h.state(), &w.ids[1]).expect("saved");
    let mut bytes = std::fs::read(&changed).expect("read");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&changed, bytes).expect("write");
    std::fs::remove_file(&missing).expect("delete");
    h.get_by_label("Verify library").click();
    ui::step_until(&mut h, "verified", |app| {
        app.status_message()
            .is_some_and(|m| m.text.starts_with("Verified"))
    });
    let text = h.state().status_message().expect("message").text.clone();
    assert_eq!(
        text,
        "Verified 3 saved tasks: 1 intact · 1 changed · 1 missing."
    );
    assert!(matches!(
        h.state().library_state(&w.ids[0]),
        Some(SaveState::Failed { reason, .. }) if reason.contains("changed since it was saved")
    ));
    assert!(matches!(
        h.state().library_state(&w.ids[1]),
        Some(SaveState::Removed)
    ));
    assert!(
        saved(h.state(), &w.ids[2]).is_some(),
        "the intact one stays"
    );
    // The history no longer records the changed and the missing files as the tasks'
    // (Continue and posters read that record); the intact one keeps its record.
    let recorded = |id: &str| h.state().book().get(id).is_some_and(|e| e.saved.is_some());
    assert!(!recorded(&w.ids[0]), "changed");
    assert!(!recorded(&w.ids[1]), "missing");
    assert!(recorded(&w.ids[2]), "intact");
}

#[test]
fn the_history_knows_saved_files_by_one_stat_without_their_sidecars() {
    let w = world(1, "running");
    let _enter = w.runtime.enter();
    let id = w.ids[0].clone();
    let data = tempfile::tempdir().expect("temp dir");
    let history = data.path().join("history.json");
    let with_history = |watch| {
        let mut opts = options(&w, watch);
        opts.history = Some(history.clone());
        ui::harness(&w.runtime, [1280.0, 760.0], opts)
    };
    let mut h = with_history(Duration::from_millis(200));
    ui::step_until(&mut h, "watched", |app| {
        app.book().get(&id).is_some_and(|e| e.record.is_some())
    });
    w.api.insert(task(&w, &id, "succeeded"));
    ui::step_until(&mut h, "saved", |app| saved(app, &id).is_some());
    let video = saved(h.state(), &id).expect("saved");
    ui::step_until(&mut h, "recorded in the book", |app| {
        app.book()
            .get(&id)
            .and_then(|e| e.saved.as_ref())
            .is_some_and(|s| s.video.path == video)
    });
    // As the window does on exit.
    h.state_mut().save_history_now();
    drop(h);
    let fetched = w.files.total_requests();

    // Without its sidecar the library could not tell; the history does, by one stat.
    std::fs::remove_file(sidecar_of(&video)).expect("remove the sidecar");
    let mut h = with_history(Duration::from_secs(600));
    ui::step_until(&mut h, "known from the history", |app| {
        saved(app, &id).is_some()
    });
    assert_eq!(saved(h.state(), &id), Some(video.clone()));
    h.state_mut().save_history_now();
    drop(h);

    // The video deleted: removed, not fetched again.
    std::fs::remove_file(&video).expect("delete");
    let mut h = with_history(Duration::from_secs(600));
    ui::step_until(&mut h, "removed", |app| {
        matches!(app.library_state(&id), Some(SaveState::Removed))
    });
    ui::step_for(&mut h, Duration::from_millis(300));
    assert_eq!(w.files.total_requests(), fetched, "nothing fetched again");
}

#[test]
fn open_plays_the_saved_file_once_the_video_is_in_the_library() {
    let w = world(1, "succeeded");
    let _enter = w.runtime.enter();
    let id = w.ids[0].clone();
    let opener = RecordingOpener::default();
    let mut opts = ui::options(&w.api.url(), "library-token", &opener);
    opts.initial_ids = w.ids.clone();
    opts.library = Some(w.library.path().to_path_buf());
    let mut h = ui::harness(&w.runtime, [1280.0, 760.0], opts);
    ui::step_until(&mut h, "the offer", |app| app.library_offer().is_some());
    let label = format!("Open video for task {id}");
    h.get_by_label(label.as_str()).click();
    ui::step_until(&mut h, "opened", |_| {
        !opener.opened.lock().expect("lock").is_empty()
    });
    assert_eq!(
        opener.opened.lock().expect("lock").clone(),
        [w.files.url("/video.mp4")],
        "not saved yet: the link"
    );
    let offer = h.state().library_offer().expect("offer");
    h.get_by_label(offer.as_str()).click();
    ui::step_until(&mut h, "saved", |app| saved(app, &id).is_some());
    let video = saved(h.state(), &id).expect("saved");
    h.get_by_label(label.as_str()).click();
    ui::step_until(&mut h, "opened again", |_| {
        opener.opened.lock().expect("lock").len() == 2
    });
    assert_eq!(
        opener.opened.lock().expect("lock")[1],
        video.display().to_string(),
        "saved: the local file, which plays after the link has died"
    );
}

#[test]
fn the_demo_has_no_library_even_with_a_folder_chosen_before() {
    let w = world(0, "succeeded");
    let _enter = w.runtime.enter();
    let mut opts = options(&w, Duration::from_secs(600));
    opts.env_token = None;
    opts.demo = true;
    let mut h = ui::harness(&w.runtime, [1280.0, 760.0], opts);
    let prefs = seedance_tasks::gui::Prefs {
        library_dir: Some(w.library.path().to_path_buf()),
        ..h.state().prefs().clone()
    };
    h.state_mut().apply_prefs(prefs);
    ui::step_until(&mut h, "the demo's answers", ui::all_answered);
    assert_eq!(h.state().library_root(), None);
    assert_eq!(h.state().library_offer(), None);
    assert!(
        h.query_by_label("Change folder…").is_none(),
        "no library bar"
    );
    assert_eq!(
        std::fs::read_dir(w.library.path()).expect("dir").count(),
        0,
        "nothing written"
    );
}

#[test]
fn a_card_in_the_gallery_says_its_library_state() {
    let w = world(1, "succeeded");
    let _enter = w.runtime.enter();
    let id = w.ids[0].clone();
    let mut h = window(&w, Duration::from_secs(600));
    ui::step_until(&mut h, "the offer", |app| app.library_offer().is_some());
    h.get_by_label("Gallery").click();
    h.step();
    h.step();
    assert!(
        h.query_all_by_label("✓ saved").next().is_none(),
        "not saved yet"
    );
    let offer = h.state().library_offer().expect("offer");
    h.get_by_label(offer.as_str()).click();
    ui::step_until(&mut h, "saved", |app| saved(app, &id).is_some());
    h.step();
    assert!(
        h.query_all_by_label("✓ saved").next().is_some(),
        "the card says the video is in the library"
    );
}
