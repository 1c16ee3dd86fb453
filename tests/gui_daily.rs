//! The daily-tool parts of the window: history across restarts, search and filters,
//! multi-select with remove / undo, copy as TSV, downloads into a folder.

mod common;
#[path = "common/files.rs"]
mod files;
#[path = "common/setup.rs"]
mod setup;
#[path = "common/ui.rs"]
mod ui;

use common::{make_ids, record};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use seedance_tasks::api::Status;
use seedance_tasks::gui::{
    AnsweringDialogs, GuiOptions, ItemState, Picked, Prefs, RecordingNotifier, SeedanceApp,
    Severity,
};
use setup::Setup;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use ui::{all_answered, step_until};

impl Setup {
    fn options(&self, history: Option<&Path>) -> GuiOptions {
        let mut o = self.base_options("daily-token");
        o.history = history.map(Path::to_path_buf);
        o
    }
}

/// `len` bytes that pass as an MP4 (the fetcher checks the first box), the rest `fill`.
fn mp4(len: usize, fill: u8) -> Vec<u8> {
    let mut bytes = b"\0\0\0\x18ftypisom\0\0\x02\0".to_vec();
    bytes.resize(len, fill);
    bytes
}

#[test]
fn restart_restores_rows_and_watches_only_unfinished() {
    let s = Setup::new([1500.0, 900.0]);
    let dir = tempfile::tempdir().expect("tmp");
    let history = dir.path().join("history.json");
    let ids = make_ids(4);
    s.server.insert(record(&ids[0], "succeeded"));
    s.server.insert(record(&ids[1], "running"));
    s.server.insert(record(&ids[2], "failed"));
    {
        let mut options = s.options(Some(&history));
        options.initial_ids = ids.clone();
        let mut h = s.harness(options);
        let _enter = s.runtime.enter();
        step_until(&mut h, "answers", all_answered);
        h.state_mut().set_note(&ids[0], "best take".into());
        // The app saves a moment after a change; closing saves at once.
        h.state_mut().save_history_now();
    }
    let first_round = s.server.requests().len();
    assert!(history.exists());

    let mut h = s.harness(s.options(Some(&history)));
    let _enter = s.runtime.enter();
    step_until(&mut h, "history", |app| {
        app.book().len() == 4 && all_answered(app)
    });
    let app = h.state();
    assert_eq!(
        app.book().get(&ids[0]).map(|e| e.note.as_str()),
        Some("best take")
    );
    assert_eq!(
        app.book().get(&ids[3]).map(|e| e.status.clone()),
        Some(Status::NotFound)
    );
    // Only the running task is asked about again.
    step_until(&mut h, "the re-ask", |_| {
        s.server.requests().len() > first_round
    });
    let asked: Vec<String> = s.server.requests()[first_round..]
        .iter()
        .flat_map(|r| r.ids.clone())
        .collect();
    assert_eq!(
        asked,
        vec![ids[1].clone()],
        "finished tasks are not re-asked after a restart"
    );
}

#[test]
fn corrupt_history_is_reported_not_fatal() {
    let s = Setup::new([1500.0, 900.0]);
    let dir = tempfile::tempdir().expect("tmp");
    let history = dir.path().join("history.json");
    std::fs::write(&history, "{ not json").expect("write");
    let mut h = s.harness(s.options(Some(&history)));
    let _enter = s.runtime.enter();
    step_until(&mut h, "the report", |app| app.status_message().is_some());
    h.get_by_label_contains("The task history could not be read");
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .collect();
    assert!(aside.iter().any(|e| {
        e.file_name()
            .to_string_lossy()
            .starts_with("history.unreadable-")
    }));
}

#[test]
fn search_toggles_and_sort_compose_and_selection_acts() {
    let s = Setup::new([1500.0, 900.0]);
    let ids = make_ids(6);
    for (i, id) in ids.iter().enumerate() {
        s.server
            .insert(record(id, ["succeeded", "running", "failed"][i % 3]));
    }
    let mut options = s.options(None);
    options.initial_ids = ids.clone();
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "answers", all_answered);

    // Search by a prompt fragment.
    h.get_by_label("Search:").click();
    h.step();
    h.get_by_label("Search:")
        .type_text(&format!("prompt of {}", &ids[4][..8]));
    h.step();
    h.step();
    assert_eq!(h.state().book().ids_in_order(), vec![ids[4].clone()]);
    h.get_by_label("Clear search").click();
    h.step();
    h.step();

    // Hide the succeeded ones with their toggle; the summary shows shown/total.
    h.get_by_label("succeeded 2").click();
    h.step();
    h.step();
    let shown = h.state().book().ids_in_order();
    assert_eq!(shown.len(), 4);
    h.get_by_label_contains("0/2 succeeded");
    h.get_by_label("Sort by Status").click();
    // The click is applied after its frame; the next frame orders the rows.
    h.step();
    h.step();
    let shown = h.state().book().ids_in_order();
    let statuses: Vec<Status> = shown
        .iter()
        .filter_map(|id| h.state().book().get(id).map(|e| e.status.clone()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            Status::Failed,
            Status::Failed,
            Status::Running,
            Status::Running
        ]
    );

    // Select all shown, copy as TSV, remove, undo.
    h.get_by_label("Select all").click();
    h.step();
    assert_eq!(h.state().selection().len(), 4);
    h.get_by_label("Copy as TSV").click();
    // The text is built in the background and copied when ready.
    let start = Instant::now();
    let copied = loop {
        h.step();
        if let Some(text) = ui::copied_text(&h) {
            break text;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "copied");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(
        copied.lines().count(),
        5,
        "header + 4 selected rows:\n{copied}"
    );
    h.get_by_label("Remove").click();
    h.step();
    assert_eq!(h.state().book().len(), 2);
    h.step();
    h.get_by_label("Undo").click();
    h.step();
    assert_eq!(h.state().book().len(), 6);
    h.check_accessibility();
}

#[test]
fn downloads_go_into_the_chosen_folder() {
    let s = Setup::new([1500.0, 900.0]);
    let files = s.runtime.block_on(files::FileServer::start());
    let ids = make_ids(2);
    for id in &ids {
        files.put(&format!("/{id}.mp4"), mp4(300_000, 7));
        let mut r = record(id, "succeeded");
        r["response"]["data"]["video_url"] = serde_json::json!(files.url(&format!("/{id}.mp4")));
        r["response"]["data"]["last_frame_url"] = serde_json::json!(files.url("/missing.png"));
        s.server.insert(r);
    }
    let folder = tempfile::tempdir().expect("tmp");
    std::fs::write(
        folder.path().join(format!("{}.mp4", ids[1])),
        b"already here",
    )
    .expect("write");
    let mut options = s.options(None);
    options.initial_ids = ids.clone();
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "answers", all_answered);
    let prefs = Prefs {
        download_dir: Some(folder.path().to_path_buf()),
        ..h.state().prefs().clone()
    };
    h.state_mut().apply_prefs(prefs);
    h.get_by_label("Download…").click();
    h.run_steps(3);
    h.get_by_label("Videos and last frames").click();
    step_until(&mut h, "downloads", |app| {
        app.download_items().len() == 4
            && app
                .download_items()
                .iter()
                .all(|i| !matches!(i.state, ItemState::Queued | ItemState::Running))
    });
    let video = std::fs::read(folder.path().join(format!("{}.mp4", ids[0]))).expect("downloaded");
    assert_eq!(video.len(), 300_000);
    assert_eq!(
        std::fs::read(folder.path().join(format!("{}.mp4", ids[1]))).expect("kept"),
        b"already here"
    );
    let states: Vec<&ItemState> = h
        .state()
        .download_items()
        .iter()
        .map(|i| &i.state)
        .collect();
    assert!(states.iter().any(|s| matches!(s, ItemState::Skipped(_))));
    assert!(
        states
            .iter()
            // A 404 from a CDN is an expired link: said so, not retried.
            .filter(|s| matches!(s, ItemState::Failed(e) if e.contains("the link has expired")))
            .count()
            == 2
    );
    assert_eq!(
        h.query_all_by_label_contains("failed: the link has expired")
            .count(),
        2,
        "each failure shows its reason"
    );
    assert!(std::fs::read_dir(folder.path()).expect("dir").all(|e| {
        !e.map(|e| e.file_name().to_string_lossy().ends_with(".part"))
            .unwrap_or(false)
    }));
}

/// Tasks with a video on the file server, answered in a fresh window with `dialogs`.
fn answered_window(
    s: &Setup,
    files: &files::FileServer,
    dialogs: AnsweringDialogs,
) -> (Vec<String>, Harness<'static, SeedanceApp>) {
    let ids = make_ids(3);
    for (i, id) in ids.iter().enumerate() {
        files.put(&format!("/{id}.mp4"), mp4(1000, i as u8));
        let mut r = record(id, "succeeded");
        r["request"]["content"][0]["text"] =
            serde_json::json!(format!("a \"quoted\", prompt\n«{i}»"));
        r["response"]["data"]["video_url"] = serde_json::json!(files.url(&format!("/{id}.mp4")));
        s.server.insert(r);
    }
    let mut options = s.options(None);
    options.initial_ids = ids.clone();
    options.dialogs = Arc::new(dialogs);
    let mut h = s.harness(options);
    step_until(&mut h, "answers", all_answered);
    (ids, h)
}

fn problem(h: &Harness<'_, SeedanceApp>) -> String {
    h.state()
        .status_message()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

#[test]
fn export_writes_where_the_dialog_says() {
    let s = Setup::new([1500.0, 900.0]);
    let files = s.runtime.block_on(files::FileServer::start());
    let out = tempfile::tempdir().expect("tmp");
    let target = out.path().join("picked.csv");
    let dialogs = AnsweringDialogs::new(Picked::Chosen(target.clone()), None);
    let asked = dialogs.asked.clone();
    let (ids, mut h) = answered_window(&s, &files, dialogs);
    let _enter = s.runtime.enter();
    h.get_by_label("Export CSV…").click();
    step_until(&mut h, "the export", |app| {
        app.status_message()
            .is_some_and(|m| m.text.starts_with("Exported to"))
    });
    assert_eq!(
        h.state().status_message().map(|m| m.severity),
        Some(Severity::Info),
        "a finished export is news, not an error"
    );
    assert_eq!(*asked.lock().expect("asked"), ["seedance-tasks.csv"]);
    let mut csv = csv::Reader::from_path(&target).expect("csv");
    let rows: Vec<csv::StringRecord> = csv.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), ids.len());
    assert!(
        rows.iter()
            .all(|r| r.iter().any(|cell| cell.contains("\"quoted\", prompt\n«")))
    );
    assert!(problem(&h).contains("picked.csv"), "{}", problem(&h));
}

#[test]
fn without_a_dialog_exports_and_downloads_go_to_the_downloads_folder() {
    let s = Setup::new([1500.0, 900.0]);
    let files = s.runtime.block_on(files::FileServer::start());
    let fallback = tempfile::tempdir().expect("tmp");
    let dialogs = AnsweringDialogs::new(Picked::Unavailable, Some(fallback.path().to_path_buf()));
    let (ids, mut h) = answered_window(&s, &files, dialogs);
    let _enter = s.runtime.enter();

    h.get_by_label("Export JSON…").click();
    step_until(&mut h, "the export", |app| {
        app.status_message()
            .is_some_and(|m| m.text.contains("exported to"))
    });
    assert!(
        problem(&h).contains("xdg-desktop-portal"),
        "{}",
        problem(&h)
    );
    let exported: Vec<_> = std::fs::read_dir(fallback.path())
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(exported.len(), 1, "{exported:?}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&exported[0]).expect("read")).expect("json");
    assert_eq!(json.as_array().map(Vec::len), Some(ids.len()));

    h.get_by_label("Download…").click();
    h.run_steps(3);
    h.get_by_label("Videos").click();
    step_until(&mut h, "downloads", |app| {
        app.download_items().len() == ids.len()
            && app
                .download_items()
                .iter()
                .all(|i| matches!(i.state, ItemState::Done(..)))
    });
    let folder = fallback.path().join("seedance-tasks");
    assert_eq!(
        h.state().download_dir().cloned(),
        None,
        "not remembered: next time, ask again"
    );
    assert!(problem(&h).contains("downloads go to"), "{}", problem(&h));
    for id in &ids {
        assert!(folder.join(format!("{id}.mp4")).is_file());
    }
}

/// The history's tasks and notes, as a restart would see them.
fn on_disk(history: &Path) -> Vec<(String, String)> {
    match seedance_tasks::store::load(history) {
        seedance_tasks::store::Loaded::Tasks { tasks, .. } => {
            tasks.into_iter().map(|t| (t.id, t.note)).collect()
        }
        _ => Vec::new(),
    }
}

#[test]
fn a_history_from_an_older_build_is_written_again_in_the_current_layout() {
    let s = Setup::new([1500.0, 900.0]);
    let dir = tempfile::tempdir().expect("tmp");
    let history = dir.path().join("history.json");
    let ids = make_ids(3);
    // Session 1's layout: the whole document on one line, raw records only.
    let tasks: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "status": "succeeded", "record": record(id, "succeeded")}))
        .collect();
    let old = serde_json::json!({"version": 1, "tasks": tasks}).to_string();
    std::fs::write(&history, &old).expect("write");
    let mut h = s.harness(s.options(Some(&history)));
    let _enter = s.runtime.enter();
    step_until(&mut h, "history", |app| app.book().len() == 3);
    step_until(&mut h, "the file rewritten one task per line", |_| {
        std::fs::read_to_string(&history).is_ok_and(|t| t.lines().count() == ids.len() + 2)
    });
    let ids_on_disk: Vec<String> = on_disk(&history).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids_on_disk, ids);
    assert!(
        s.server.requests().is_empty(),
        "finished tasks are not asked again"
    );
}

#[test]
fn the_demo_never_reaches_the_history() {
    let s = Setup::new([1500.0, 900.0]);
    let dir = tempfile::tempdir().expect("tmp");
    let history = dir.path().join("history.json");
    let ids = make_ids(2);
    for id in &ids {
        s.server.insert(record(id, "succeeded"));
    }
    let mut options = s.options(Some(&history));
    options.initial_ids = ids.clone();
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "answers", all_answered);
    h.state_mut().set_note(&ids[0], "real".into());
    h.state_mut().start_demo();
    step_until(&mut h, "demo answers", |app| {
        app.is_demo() && all_answered(app)
    });
    // The last real state was handed to the writer as the demo started, without waiting.
    let want = vec![
        (ids[0].clone(), "real".to_owned()),
        (ids[1].clone(), String::new()),
    ];
    step_until(&mut h, "the real rows on disk", |_| {
        on_disk(&history) == want
    });
    // Well past the one-second save delay, and through the save on exit: no demo row.
    ui::step_for(&mut h, Duration::from_millis(1500));
    h.state_mut().save_history_now();
    assert_eq!(on_disk(&history), want);
}

#[test]
fn tasks_finishing_while_away_show_in_the_title() {
    let s = Setup::new([1500.0, 900.0]);
    let ids = make_ids(2);
    s.server.insert(record(&ids[0], "running"));
    s.server.insert(record(&ids[1], "succeeded"));
    let mut options = s.options(None);
    options.initial_ids = ids.clone();
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "answers", all_answered);
    assert_eq!(
        h.state().unseen_finished(),
        0,
        "tasks already done when first asked are not news"
    );
    // The window loses focus; the running task finishes.
    ui::set_window_focused(&mut h, false);
    s.server.insert(record(&ids[0], "succeeded"));
    step_until(&mut h, "the watch", |app| app.unseen_finished() == 1);
    step_until(&mut h, "the title", |app| app.title_count() == 1);
    ui::set_window_focused(&mut h, true);
    step_until(&mut h, "focus back", |app| app.title_count() == 0);
}

#[test]
fn without_a_notification_service_it_says_so_once_and_unticks_notify() {
    let s = Setup::new([1500.0, 900.0]);
    let ids = make_ids(2);
    s.server.insert(record(&ids[0], "running"));
    s.server.insert(record(&ids[1], "running"));
    let notifier = RecordingNotifier {
        fail_with: Some(
            "Desktop notifications are not available here (no service); Notify is now off.".into(),
        ),
        ..RecordingNotifier::default()
    };
    let mut options = s.options(None);
    options.initial_ids = ids.clone();
    options.notifications = true;
    options.notifier = Arc::new(notifier.clone());
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "answers", all_answered);
    assert!(h.state().prefs().notifications);
    ui::set_window_focused(&mut h, false);
    s.server.insert(record(&ids[0], "succeeded"));
    step_until(&mut h, "the failed notification", |app| {
        app.status_message().is_some()
    });
    let message = h.state().status_message().cloned().expect("said");
    assert_eq!(
        message.severity,
        Severity::Info,
        "information, not an error in red"
    );
    assert!(message.text.contains("not available"), "{}", message.text);
    assert!(
        !h.state().prefs().notifications,
        "Notify is unticked (and remembered)"
    );
    // The next finish tries no more.
    s.server.insert(record(&ids[1], "succeeded"));
    step_until(&mut h, "the second finish", |app| {
        app.unseen_finished() == 2
    });
    assert_eq!(notifier.sent.lock().expect("sent").len(), 1);
}
