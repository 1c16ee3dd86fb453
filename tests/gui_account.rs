//! "My tasks" in the window: Load lists the account's tasks of a range into the grid,
//! an API that does not list says so (and Follow is disabled), and Follow adds a task
//! created on the server after the window started. Against the loopback account stand-in.

mod common;
#[path = "common/ui.rs"]
mod ui;

use common::TestServer;
use common::account::{ListingMode, OWNER, account_id, account_record};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use seedance_tasks::gui::{RecordingOpener, SeedanceApp};
use seedance_tasks::task::unix_now;
use ui::step_until;

const DAY: f64 = 86_400.0;

fn window() -> (
    tokio::runtime::Runtime,
    TestServer,
    Harness<'static, SeedanceApp>,
) {
    window_of(4)
}

/// The window with its engine's limit on requests in flight at `concurrency`.
fn window_of(
    concurrency: usize,
) -> (
    tokio::runtime::Runtime,
    TestServer,
    Harness<'static, SeedanceApp>,
) {
    let runtime = ui::runtime();
    let server = runtime.block_on(TestServer::start());
    let mut options = ui::options(&server.url(), "account-token", &RecordingOpener::default());
    options.engine.concurrency = concurrency;
    let mut h = ui::harness(&runtime, [1400.0, 800.0], options);
    {
        let _enter = runtime.enter();
        step_until(&mut h, "the token in use", |app| app.has_backend());
    }
    (runtime, server, h)
}

fn message(h: &Harness<'_, SeedanceApp>, part: &str) -> bool {
    h.query_all_by_label_contains(part).next().is_some()
}

/// Steps until a label containing `part` is on screen (a hang guard of 20 s).
fn until_said(h: &mut Harness<'_, SeedanceApp>, part: &str) {
    let start = std::time::Instant::now();
    while !message(h, part) {
        assert!(start.elapsed().as_secs() < 20, "never said: {part}");
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(15));
    }
}

#[test]
fn load_my_tasks_brings_the_accounts_tasks_of_the_range() {
    let (runtime, server, mut h) = window();
    let _enter = runtime.enter();
    let now = unix_now();
    server.account().populate(30, 20, 40.0, now);
    let expected = server.account().expected(now - 7.0 * DAY, now + 1.0);
    assert!(!expected.is_empty());
    h.get_by_label("Load my tasks").click();
    step_until(&mut h, "the listing", |app| {
        app.book().len() == expected.len()
    });
    until_said(&mut h, "new to the grid");
    let mut shown = h.state().book().all_ids();
    shown.sort();
    let mut want = expected.clone();
    want.sort();
    assert_eq!(shown, want, "exactly the owner's tasks of the last 7 days");
}

/// The listing asks through the window's engine: with the engine at one request in
/// flight, its pages go one at a time (a listing of its own would ask four at once).
#[test]
fn the_listing_waits_at_the_engines_door() {
    let (runtime, server, mut h) = window_of(1);
    let _enter = runtime.enter();
    let now = unix_now();
    server.account().populate(2000, 0, 40.0, now);
    server.set_latency(std::time::Duration::from_millis(30));
    let expected = server.account().expected(now - 7.0 * DAY, now + 1.0);
    assert!(expected.len() > 200, "several pages: {}", expected.len());
    h.get_by_label("Load my tasks").click();
    step_until(&mut h, "the listing", |app| {
        app.book().len() == expected.len()
    });
    until_said(&mut h, "new to the grid");
    let pages = server
        .requests()
        .iter()
        .filter(|r| r.ids.is_empty())
        .count();
    assert!(pages >= 3, "{pages} pages");
    assert_eq!(
        server.max_in_flight(),
        1,
        "one request at a time, pages included"
    );
}

#[test]
fn an_api_that_does_not_list_says_so_and_disables_follow() {
    let (runtime, server, mut h) = window();
    let _enter = runtime.enter();
    server.account().populate(5, 5, 3.0, unix_now());
    server.account().set_mode(ListingMode::Unsupported);
    h.get_by_label("Load my tasks").click();
    until_said(
        &mut h,
        "does not list tasks for this token — paste ids instead",
    );
    assert!(
        h.state().book().is_empty(),
        "nothing shown from that answer"
    );
    let follow = h.get_by_label("Follow my account");
    assert!(follow.accesskit_node().is_disabled());
    assert!(!h.state().prefs().follow);
}

#[test]
fn follow_adds_a_task_created_after_the_window_started() {
    let (runtime, server, mut h) = window();
    let _enter = runtime.enter();
    let id = account_id(0, 4242);
    server.account().add(account_record(&id, OWNER, unix_now()));
    h.get_by_label("Follow my account").click();
    step_until(&mut h, "the followed task", |app| {
        app.book().get(&id).is_some()
    });
    assert!(h.state().prefs().follow, "remembered with the preferences");
    step_until(&mut h, "its answer", |app| {
        app.book().get(&id).is_some_and(|e| e.record.is_some())
    });
}

#[test]
fn follow_pauses_while_the_token_is_rejected() {
    let runtime = ui::runtime();
    let server = runtime.block_on(TestServer::start());
    let ids = common::make_ids(1);
    server.insert(common::record(&ids[0], "running"));
    server.push_fault(common::Fault::unauthorized());
    let mut options = ui::options(&server.url(), "rejected-token", &RecordingOpener::default());
    options.initial_ids = ids;
    let mut h = ui::harness(&runtime, [1400.0, 800.0], options);
    let _enter = runtime.enter();
    step_until(&mut h, "the rejection", |app| app.halted().is_some());
    h.get_by_label("Follow my account").click();
    until_said(&mut h, "Follow paused: the API rejected the token");
    ui::step_for(&mut h, std::time::Duration::from_millis(500));
    assert_eq!(
        server.account().listings(),
        0,
        "no listing while the token is rejected"
    );
}
