//! The whole window through egui_kittest, against the loopback test server and the mock
//! keyring store. Ordering is checked in the book (off-screen virtual rows are not in the
//! accessibility tree).

mod common;
#[path = "common/setup.rs"]
mod setup;
#[path = "common/ui.rs"]
mod ui;

use common::{Fault, make_ids, record};
use egui_kittest::kittest::Queryable;
use seedance_tasks::api::Status;
use seedance_tasks::book::Column;
use seedance_tasks::gui::{GuiOptions, KeyringProvider, KeyringState, SeedanceApp};
use seedance_tasks::secrets::{Keyring, SecretError, Token, TokenSource};
use setup::Setup;
use std::time::Duration;
use ui::{all_answered, step_until};

const PASTE: &str = "Task ids (paste any text: lines, commas, JSON, console output):";

impl Setup {
    fn options(&self) -> GuiOptions {
        self.base_options("gui-test-token")
    }
}

#[test]
fn paste_query_rows_sort_and_open() {
    let s = Setup::new([1400.0, 800.0]);
    let ids = make_ids(4);
    s.server.insert(record(&ids[0], "succeeded"));
    s.server.insert(record(&ids[1], "failed"));
    s.server.insert(record(&ids[2], "running"));
    let mut h = s.harness(s.options());
    let _enter = s.runtime.enter();
    h.step();

    let text = format!(
        "generated: {}\n{}, {} {} {}",
        ids[0], ids[1], ids[2], ids[3], ids[0]
    );
    h.get_by_label(PASTE).click();
    h.step();
    h.get_by_label(PASTE).type_text(&text);
    h.step();
    h.get_by_label_contains("4 ids found, 1 duplicate, 0 rejected");
    h.get_by_label("Query").click();
    step_until(&mut h, "answers", all_answered);

    let status = |app: &SeedanceApp, id: &str| app.book().get(id).map(|e| e.status.clone());
    assert_eq!(status(h.state(), &ids[0]), Some(Status::Succeeded));
    assert_eq!(status(h.state(), &ids[1]), Some(Status::Failed));
    assert_eq!(status(h.state(), &ids[2]), Some(Status::Running));
    assert_eq!(status(h.state(), &ids[3]), Some(Status::NotFound));
    h.get_by_label_contains("1 succeeded · 1 running · 1 not found · 1 failed");
    h.get_by_label("not found");

    // Sorting: click the Status header twice.
    h.get_by_label("Sort by Status").click();
    h.step();
    h.step();
    assert_eq!(h.state().book().sort().column, Column::Status);
    assert!(h.state().book().sort().ascending);
    let order = h.state().book().ids_in_order();
    assert_eq!(
        order,
        vec![
            ids[1].clone(),
            ids[3].clone(),
            ids[2].clone(),
            ids[0].clone()
        ]
    );
    h.get_by_label("Sort by Status").click();
    h.step();
    h.step();
    let order = h.state().book().ids_in_order();
    assert_eq!(
        order,
        vec![
            ids[0].clone(),
            ids[2].clone(),
            ids[3].clone(),
            ids[1].clone()
        ]
    );

    // Open buttons: enabled with a URL, the opener gets exactly that URL.
    h.get_by_label(&format!("Open video for task {}", ids[0]))
        .click();
    h.step();
    h.get_by_label(&format!("Open last frame for task {}", ids[0]))
        .click();
    step_until(&mut h, "the opener", |_| {
        s.opener
            .opened
            .lock()
            .map(|l| l.len() == 2)
            .unwrap_or(false)
    });
    let opened = s.opener.opened.lock().expect("lock").clone();
    assert_eq!(
        opened,
        vec![
            format!("https://cdn.example/{}.mp4", ids[0]),
            format!("https://cdn.example/{}.png", ids[0])
        ]
    );

    // Re-querying the same ids refreshes rows instead of adding new ones.
    h.get_by_label("Query").click();
    step_until(&mut h, "refresh", all_answered);
    assert_eq!(h.state().book().len(), 4);
    h.check_accessibility();
}

#[test]
fn running_task_turns_succeeded_under_watch() {
    let s = Setup::new([1400.0, 800.0]);
    let ids = make_ids(1);
    s.server.insert(record(&ids[0], "running"));
    let mut options = s.options();
    options.initial_ids = ids.clone();
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "first answer", all_answered);
    assert_eq!(
        h.state().book().get(&ids[0]).map(|e| e.status.clone()),
        Some(Status::Running)
    );
    s.server.insert(record(&ids[0], "succeeded"));
    step_until(&mut h, "the watch", |app| {
        app.book()
            .get(&ids[0])
            .is_some_and(|e| e.status == Status::Succeeded)
    });
    let asked = s.server.asked_ids().len();
    std::thread::sleep(Duration::from_millis(2500));
    h.step();
    assert_eq!(
        s.server.asked_ids().len(),
        asked,
        "finished tasks are not asked again"
    );
}

#[test]
fn unauthorized_shows_one_banner() {
    let s = Setup::new([1400.0, 800.0]);
    s.server.push_fault(Fault::unauthorized());
    let mut options = s.options();
    options.initial_ids = make_ids(120);
    options.engine.concurrency = 1;
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "the stop", |app| app.halted().is_some());
    assert!(
        h.state()
            .book()
            .entries()
            .iter()
            .all(|e| e.status == Status::Pending && e.awaiting),
        "rows wait for a valid token instead of each showing the error"
    );
    let banners = h
        .query_all_by_label_contains("The API rejected the token")
        .count();
    assert_eq!(banners, 1);
    assert_eq!(s.server.requests().len(), 1, "querying stopped at the 401");
    assert!(h.state().token_settings_open(), "the token panel is opened");
    h.get_by_label("Fix the token");
}

#[test]
fn network_errors_offer_a_retry() {
    let s = Setup::new([1400.0, 800.0]);
    let ids = make_ids(2);
    for id in &ids {
        s.server.insert(record(id, "succeeded"));
    }
    s.server.push_fault(Fault::html_502());
    let mut options = s.options();
    options.initial_ids = ids.clone();
    // No time to retry in: the errors reach the rows (the default keeps retrying for 60 s).
    options.engine.retry_for = Duration::ZERO;
    // Nor does the watch ask again by itself before the user presses Retry.
    options.engine.watch_interval = Duration::from_secs(600);
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "errors", all_answered);
    assert!(
        h.state()
            .book()
            .entries()
            .iter()
            .all(|e| e.status == Status::Error)
    );
    h.get_by_label_contains("2 tasks could not be asked");
    h.get_by_label("Retry").click();
    step_until(&mut h, "retry", |app| {
        app.book()
            .entries()
            .iter()
            .all(|e| e.status == Status::Succeeded)
    });
}

#[test]
fn token_save_and_forget_through_the_keyring() {
    let s = Setup::new([1400.0, 800.0]);
    let keyring = Keyring::mock().expect("mock store");
    let mut options = s.options();
    options.env_token = None;
    options.keyring = KeyringProvider::Given(Ok(keyring.clone()));
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "keyring read", |app| {
        app.keyring_state().clone() == KeyringState::Ready
    });
    assert!(
        h.state().token_settings_open(),
        "no token: the panel explains what to do"
    );
    h.get_by_label_contains("No API token yet");
    h.get_by_label("API token:").click();
    h.step();
    h.get_by_label("API token:").type_text("saved-token-9876");
    h.step();
    h.get_by_label("Save").click();
    step_until(&mut h, "save", |app| app.token_in_use().is_some());
    assert_eq!(keyring.get(), Ok(Some(Token::new("saved-token-9876"))));
    assert!(matches!(
        h.state().token_in_use(),
        Some((_, TokenSource::Keyring))
    ));
    assert!(h.state().has_backend());
    h.get_by_label("Forget").click();
    step_until(&mut h, "forget", |app| app.token_in_use().is_none());
    assert_eq!(keyring.get(), Ok(None));
}

#[test]
fn no_keyring_offers_a_session_token() {
    let s = Setup::new([1400.0, 800.0]);
    let ids = make_ids(1);
    s.server.insert(record(&ids[0], "succeeded"));
    let mut options = s.options();
    options.env_token = None;
    options.keyring =
        KeyringProvider::Given(Err(SecretError::Unavailable("no D-Bus session".into())));
    options.initial_ids = ids.clone();
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "keyring read", |app| {
        matches!(app.keyring_state().clone(), KeyringState::Unavailable(_))
    });
    h.get_by_label_contains("No system keyring is reachable");
    assert!(
        s.server.requests().is_empty(),
        "nothing asked without a token"
    );
    h.get_by_label("API token:").click();
    h.step();
    h.get_by_label("API token:").type_text("session-token");
    h.step();
    h.get_by_label("Use for this session").click();
    step_until(&mut h, "the waiting id", all_answered);
    assert!(matches!(
        h.state().token_in_use(),
        Some((_, TokenSource::Session))
    ));
    assert_eq!(
        s.server.requests()[0].authorization.as_deref(),
        Some("Bearer session-token")
    );
}

#[test]
fn rejected_ids_are_reported() {
    let s = Setup::new([1400.0, 800.0]);
    let mut h = s.harness(s.options());
    let _enter = s.runtime.enter();
    h.step();
    h.get_by_label(PASTE).click();
    h.step();
    h.get_by_label(PASTE)
        .type_text("cgt-20251221230356-sxgt7 and 9462ca25-468b-45a5");
    h.step();
    h.get_by_label_contains("0 ids found, 0 duplicates, 2 rejected");
}

#[test]
fn demo_fills_the_grid() {
    let s = Setup::new([1400.0, 800.0]);
    let mut options = s.options();
    options.env_token = None;
    options.demo = true;
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "demo answers", all_answered);
    let app = h.state();
    assert!(app.is_demo());
    assert_eq!(app.book().len(), seedance_tasks::demo::Demo::ids().len());
    assert!(
        app.book()
            .entries()
            .iter()
            .any(|e| e.status == Status::Succeeded)
    );
    assert!(
        app.book()
            .entries()
            .iter()
            .any(|e| e.status == Status::Failed)
    );
    assert!(
        app.book()
            .entries()
            .iter()
            .any(|e| e.status == Status::NotFound)
    );
    assert!(
        h.query_all_by_label_contains("DEMO").count() >= 1,
        "the window says DEMO"
    );
    assert!(
        s.server.requests().is_empty(),
        "the demo never touches the network"
    );
    h.check_accessibility();
}

#[test]
fn ctrl_v_anywhere_pastes_into_the_paste_area() {
    let s = Setup::new([1400.0, 800.0]);
    let mut h = s.harness(s.options());
    let _enter = s.runtime.enter();
    h.step();
    let ids = make_ids(2);
    h.event(egui::Event::Paste(format!("{} {}", ids[0], ids[1])));
    h.step();
    h.step();
    assert_eq!(h.state().pasted_text(), format!("{} {}", ids[0], ids[1]));
    h.get_by_label_contains("2 ids found");
}

#[test]
fn a_failed_launch_is_shown_and_test_reports_an_invalid_token() {
    let mut s = Setup::new([1400.0, 800.0]);
    s.opener.fail_with = Some("could not open it: no browser".into());
    let ids = make_ids(1);
    s.server.insert(record(&ids[0], "succeeded"));
    let mut options = s.options();
    options.initial_ids = ids.clone();
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "answers", all_answered);
    h.get_by_label(&format!("Open video for task {}", ids[0]))
        .click();
    step_until(&mut h, "the launch", |app| app.status_message().is_some());
    h.get_by_label_contains("no browser");

    s.server.push_fault(Fault::unauthorized());
    h.get_by_label("Token settings").click();
    h.step();
    h.get_by_label("Test").click();
    step_until(&mut h, "the test", |app| app.token_message().is_some());
    h.get_by_label_contains("Invalid token");
}

/// The token test asks through the window's engine: with the engine at one request in
/// flight and a slow query on its way, the test's request waits for it (a client of its
/// own would send at once, two in flight).
#[test]
fn the_token_test_waits_at_the_engines_door() {
    let s = Setup::new([1400.0, 800.0]);
    let ids = make_ids(1);
    s.server.insert(record(&ids[0], "succeeded"));
    s.server.set_latency(std::time::Duration::from_millis(400));
    let mut options = s.options();
    options.initial_ids = ids.clone();
    options.engine.concurrency = 1;
    let mut h = s.harness(options);
    let _enter = s.runtime.enter();
    step_until(&mut h, "the query on its way", |_| {
        !s.server.requests().is_empty()
    });
    h.get_by_label("Token settings").click();
    h.step();
    h.get_by_label("Test").click();
    step_until(&mut h, "the test", |app| app.token_message().is_some());
    h.get_by_label_contains("The token is valid");
    assert_eq!(s.server.requests().len(), 2, "the query and the test");
    assert_eq!(s.server.max_in_flight(), 1, "the test waited at the door");
}
