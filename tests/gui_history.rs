//! The window and its history file when things go wrong: a second window, a write that
//! fails, a file from a newer version. Through kittest, against the loopback server.

mod common;
#[path = "common/setup.rs"]
mod setup;
#[path = "common/ui.rs"]
mod ui;

use common::{make_ids, record};
use egui_kittest::kittest::Queryable;
use seedance_tasks::gui::GuiOptions;
use seedance_tasks::store;
use setup::Setup;
use std::path::Path;
use ui::{all_answered, step_until};

impl Setup {
    fn options(&self, history: &Path, ids: &[String]) -> GuiOptions {
        let mut o = self.base_options("history-token");
        o.history = Some(history.to_path_buf());
        o.initial_ids = ids.to_vec();
        o
    }
}

fn saved_tasks(path: &Path) -> Option<usize> {
    store::load_readonly(path)
}

#[test]
fn a_second_window_reads_the_history_but_never_writes_it() {
    let s = Setup::new([1280.0, 760.0]);
    let dir = tempfile::tempdir().expect("tmp");
    let history = dir.path().join("history.json");
    let ids = make_ids(3);
    for id in &ids {
        s.server.insert(record(id, "succeeded"));
    }
    let mut first = s.harness(s.options(&history, &ids[..2]));
    let _enter = s.runtime.enter();
    step_until(&mut first, "the first window's answers", all_answered);
    first.state_mut().save_history_now();
    assert_eq!(saved_tasks(&history), Some(2));

    let mut second = s.harness(s.options(&history, &ids[2..]));
    step_until(&mut second, "the second window's rows", |app| {
        app.book().len() == 3 && all_answered(app)
    });
    let problem = second.state().history_problem().unwrap_or_default();
    assert!(
        problem.contains("another SeeDance Tasks window"),
        "{problem}"
    );
    second.get_by_label_contains("read-only in this window");
    second.state_mut().save_history_now();
    assert_eq!(
        saved_tasks(&history),
        Some(2),
        "the second window wrote nothing"
    );
    assert_eq!(first.state().history_problem(), None);
}

#[test]
fn a_failed_save_is_shown_and_retried_until_it_succeeds() {
    let s = Setup::new([1280.0, 760.0]);
    let dir = tempfile::tempdir().expect("tmp");
    let history = dir.path().join("history.json");
    let ids = make_ids(2);
    for id in &ids {
        s.server.insert(record(id, "succeeded"));
    }
    let mut h = s.harness(s.options(&history, &ids[..1]));
    let _enter = s.runtime.enter();
    step_until(&mut h, "answers", all_answered);
    h.state_mut().save_history_now();
    // A directory where the file goes: the next write cannot rename onto it.
    std::fs::remove_file(&history).expect("remove");
    std::fs::create_dir(&history).expect("block");
    h.state_mut().query(vec![ids[1].clone()]);
    step_until(&mut h, "the failure banner", |app| {
        app.history_problem()
            .is_some_and(|p| p.contains("not saved"))
    });
    h.get_by_label_contains("The task history is not saved");
    std::fs::remove_dir(&history).expect("unblock");
    step_until(&mut h, "a write that succeeds", |app| {
        app.history_problem().is_none()
    });
    assert_eq!(
        saved_tasks(&history),
        Some(2),
        "the change was not forgotten"
    );
}

#[test]
fn a_history_from_a_newer_version_is_left_alone() {
    let s = Setup::new([1280.0, 760.0]);
    let dir = tempfile::tempdir().expect("tmp");
    let history = dir.path().join("history.json");
    let newer = br#"{"version": 99, "tasks": [{"id": "from-the-future"}]}"#;
    std::fs::write(&history, newer).expect("write");
    let ids = make_ids(1);
    s.server.insert(record(&ids[0], "succeeded"));
    let mut h = s.harness(s.options(&history, &ids));
    let _enter = s.runtime.enter();
    step_until(&mut h, "answers", all_answered);
    step_until(&mut h, "the reason", |app| app.history_problem().is_some());
    let problem = h.state().history_problem().unwrap_or_default();
    assert!(problem.contains("newer version"), "{problem}");
    h.state_mut().save_history_now();
    assert_eq!(std::fs::read(&history).expect("still there"), newer);
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        2,
        "history.json and its lock, nothing moved aside"
    );
}

/// What eframe's settings file would hold: every key the app saves.
#[derive(Default)]
struct Settings(std::collections::HashMap<String, String>);

impl eframe::Storage for Settings {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn the_settings_and_the_history_never_hold_the_token() {
    const TOKEN: &str = "sk-SETTINGSCANARY-0123456789";
    let s = Setup::new([1280.0, 760.0]);
    let dir = tempfile::tempdir().expect("tmp");
    let history = dir.path().join("history.json");
    let ids = make_ids(2);
    for id in &ids {
        s.server.insert(record(id, "succeeded"));
    }
    let mut options = s.options(&history, &ids);
    options.env_token = Some(TOKEN.into());
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "answers", all_answered);
    let mut settings = Settings::default();
    eframe::App::save(h.state_mut(), &mut settings);
    h.state_mut().save_history_now();
    assert!(
        settings.0.contains_key(seedance_tasks::gui::PREFS_KEY),
        "the preferences were saved"
    );
    for (key, value) in &settings.0 {
        assert!(!value.contains(TOKEN), "{key}: {value}");
    }
    let saved = std::fs::read_to_string(&history).expect("history");
    assert!(!saved.contains(TOKEN));
    assert!(
        s.server
            .requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))),
        "the token was in use"
    );
}

fn len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn asked(s: &Setup, id: &str) -> usize {
    s.server.asked_ids().iter().filter(|a| *a == id).count()
}

/// A watched task whose answers do not change costs no write (the main file is neither
/// rewritten nor touched, the journal does not grow); its "last asked" goes on exit, and
/// a real change lands in the journal alone and survives a restart.
#[test]
fn a_watch_of_unchanged_tasks_writes_nothing_and_a_change_writes_one_line() {
    let s = Setup::new([1280.0, 760.0]);
    let dir = tempfile::tempdir().expect("tmp");
    let history = dir.path().join("history.json");
    let journal = store::journal_path(&history);
    let ids = make_ids(3);
    s.server.insert(record(&ids[0], "running"));
    s.server.insert(record(&ids[1], "succeeded"));
    s.server.insert(record(&ids[2], "succeeded"));
    let mut h = s.harness(s.options(&history, &ids));
    let _enter = s.runtime.enter();
    step_until(&mut h, "answers", all_answered);
    h.state_mut().save_history_now();
    assert_eq!(saved_tasks(&history), Some(3));
    let main = std::fs::read(&history).expect("main file");
    let modified = std::fs::metadata(&history).and_then(|m| m.modified()).ok();
    let journal_len = len(&journal);

    // The watch asks again (every 2 s in these tests) and gets the same record.
    let before = asked(&s, &ids[0]);
    step_until(&mut h, "two more watch answers", |_| {
        asked(&s, &ids[0]) >= before + 2
    });
    ui::step_for(&mut h, std::time::Duration::from_millis(1500));
    assert_eq!(
        std::fs::read(&history).expect("main file"),
        main,
        "not rewritten"
    );
    assert_eq!(
        std::fs::metadata(&history).and_then(|m| m.modified()).ok(),
        modified,
        "not touched"
    );
    assert_eq!(len(&journal), journal_len, "nothing appended");

    // On exit, "last asked" goes to the journal, not the whole file.
    h.state_mut().save_history_now();
    assert_eq!(std::fs::read(&history).expect("main file"), main);
    let after_exit = len(&journal);
    assert!(after_exit > journal_len, "last asked written on exit");
    assert!(after_exit - journal_len < 4096, "one task's line");

    // A real change: the task finishes.
    s.server.insert(record(&ids[0], "succeeded"));
    step_until(&mut h, "the change", |app| {
        app.book()
            .get(&ids[0])
            .is_some_and(|e| e.status == seedance_tasks::api::Status::Succeeded)
    });
    step_until(&mut h, "the change in the journal", |_| {
        len(&journal) > after_exit
    });
    assert_eq!(
        std::fs::read(&history).expect("main file"),
        main,
        "only the journal grew"
    );
    h.state_mut().save_history_now();
    let checked_at = h.state().book().get(&ids[0]).and_then(|e| e.checked_at);
    drop(h);

    // A restart reads the file and replays the journal.
    let mut again = s.harness(s.options(&history, &[]));
    step_until(&mut again, "the history", |app| app.book().len() == 3);
    let task = again.state().book().get(&ids[0]).cloned().expect("task");
    assert_eq!(task.status, seedance_tasks::api::Status::Succeeded);
    assert_eq!(task.checked_at, checked_at);
}
