//! The New generation panel against the loopback stand-in of `/seedance/videos`: nothing
//! is sent before the confirmation (Enter confirms, Escape cancels), exactly one POST per
//! generation even when the answer is lost, the created task joins the grid and is
//! watched to the end, "Generate again" prefills from a stored task, and a list of
//! prompts creates each row.

mod common;
#[path = "common/ui.rs"]
mod ui;

use common::{TestServer, VideoFault, make_ids, record};
use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use seedance_tasks::api::Status;
use seedance_tasks::gui::{RecordingOpener, SeedanceApp};
use std::time::Duration;
use ui::{all_answered, step_for, step_until, until_said};

fn window(
    ids: &[String],
) -> (
    tokio::runtime::Runtime,
    TestServer,
    Harness<'static, SeedanceApp>,
) {
    window_of(ids, 4)
}

/// The window with its engine's limit on requests in flight at `concurrency`.
fn window_of(
    ids: &[String],
    concurrency: usize,
) -> (
    tokio::runtime::Runtime,
    TestServer,
    Harness<'static, SeedanceApp>,
) {
    let runtime = ui::runtime();
    let server = runtime.block_on(TestServer::start());
    let mut options = ui::options(&server.url(), "create-token", &RecordingOpener::default());
    options.engine.concurrency = concurrency;
    options.initial_ids = ids.to_vec();
    options.engine.watch_interval = Duration::from_millis(300);
    let mut h = ui::harness(&runtime, [1400.0, 900.0], options);
    {
        let _enter = runtime.enter();
        step_until(&mut h, "the token in use", |app| app.has_backend());
    }
    (runtime, server, h)
}

fn open_panel_with_prompt(h: &mut Harness<'_, SeedanceApp>, prompt: &str) {
    h.get_by_label("New generation").click();
    h.run_steps(3);
    h.get_by_label("Prompt").click();
    h.step();
    h.get_by_label("Prompt").type_text(prompt);
    h.run_steps(2);
}

fn press(h: &mut Harness<'_, SeedanceApp>, key: Key) {
    h.key_press(key);
    h.run_steps(3);
}

#[test]
fn one_generation_after_confirming_joins_the_grid_and_is_watched() {
    let (runtime, server, mut h) = window(&[]);
    let _enter = runtime.enter();
    server.set_video_life(Duration::from_millis(600));
    open_panel_with_prompt(&mut h, "一只橘猫在窗台上晒太阳");
    h.get_by_label_contains("11 / 1000 characters");
    h.get_by_label("Create…").click();
    h.run_steps(3);
    until_said(&mut h, "Create 1 generation with doubao-seedance-");
    assert!(
        server.video_bodies().is_empty(),
        "nothing before the confirmation"
    );
    press(&mut h, Key::Enter);
    step_until(&mut h, "the created task", |app| app.book().len() == 1);
    let bodies = server.video_bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["content"][0]["text"], "一只橘猫在窗台上晒太阳");
    assert_eq!(bodies[0]["async"], true);
    let id = server.created_ids()[0].clone();
    step_until(&mut h, "watched to the end", |app| {
        app.book()
            .get(&id)
            .is_some_and(|e| e.status == Status::Succeeded)
    });
    assert_eq!(server.video_bodies().len(), 1, "never sent again");
}

#[test]
fn escape_cancels_and_nothing_is_sent() {
    let (runtime, server, mut h) = window(&[]);
    let _enter = runtime.enter();
    open_panel_with_prompt(&mut h, "A quiet harbour at dawn");
    h.get_by_label("Create…").click();
    h.run_steps(3);
    until_said(&mut h, "Create 1 generation with");
    press(&mut h, Key::Escape);
    step_for(&mut h, Duration::from_millis(300));
    assert!(
        h.query_all_by_label_contains("Create 1 generation with")
            .next()
            .is_none()
    );
    assert!(server.video_bodies().is_empty());
    assert!(h.state().book().is_empty());
}

#[test]
fn an_answer_lost_after_accepting_is_not_sent_again_and_the_task_is_found() {
    let (runtime, server, mut h) = window(&[]);
    let _enter = runtime.enter();
    server.push_video_fault(VideoFault::ServerErrorAfterAccept);
    open_panel_with_prompt(&mut h, "Lanterns drift over a river at night");
    h.get_by_label("Create…").click();
    h.run_steps(3);
    until_said(&mut h, "Create 1 generation with");
    press(&mut h, Key::Enter);
    until_said(&mut h, "may have been created — check your tasks");
    assert_eq!(server.video_bodies().len(), 1, "exactly one POST");
    // The account's recent tasks are searched for that prompt, and the task adopted.
    let id = server.created_ids()[0].clone();
    step_until(&mut h, "the adopted task", |app| {
        app.book().get(&id).is_some()
    });
    assert_eq!(server.video_bodies().len(), 1);
}

#[test]
fn generate_again_prefills_from_the_stored_task() {
    let ids = make_ids(1);
    let (runtime, server, mut h) = {
        let runtime = ui::runtime();
        let server = runtime.block_on(TestServer::start());
        let mut r = record(&ids[0], "failed");
        r["request"]["content"][0]["text"] = serde_json::json!("A fox runs through snow");
        r["request"]["resolution"] = serde_json::json!("720p");
        server.insert(r);
        let mut options = ui::options(&server.url(), "create-token", &RecordingOpener::default());
        options.initial_ids = ids.clone();
        let h = ui::harness(&runtime, [1400.0, 900.0], options);
        (runtime, server, h)
    };
    let _enter = runtime.enter();
    step_until(&mut h, "answers", all_answered);
    h.get_by_label("A fox runs through snow").click();
    h.run_steps(3);
    h.get_by_label("Generate this again…").click();
    h.run_steps(3);
    // The panel's prompt field (the details panel has a "Prompt" heading too).
    let prompt = h
        .get_all_by_label("Prompt")
        .filter(|n| n.accesskit_node().role() == egui::accesskit::Role::MultilineTextInput)
        .find_map(|n| n.accesskit_node().value())
        .expect("the prompt field");
    assert_eq!(prompt, "A fox runs through snow");
    h.get_by_label("Create…").click();
    h.run_steps(3);
    press(&mut h, Key::Enter);
    step_until(&mut h, "the second task", |app| app.book().len() == 2);
    let bodies = server.video_bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        bodies[0]["resolution"], "720p",
        "the stored options come along"
    );
}

#[test]
fn a_list_of_prompts_creates_each_row_two_at_a_time() {
    list_of_three(4, 2);
}

/// Creates ask through the window's engine: with the engine at one request in flight,
/// the two rows under way send one at a time, and the created tasks' queries share it.
#[test]
fn creates_wait_at_the_engines_door() {
    list_of_three(1, 1);
}

/// Creates three generations from a list with the engine at `concurrency`, and checks
/// that no more than `at_once` create requests were in flight.
fn list_of_three(concurrency: usize, at_once: usize) {
    let (runtime, server, mut h) = window_of(&[], concurrency);
    let _enter = runtime.enter();
    server.set_latency(Duration::from_millis(150));
    h.get_by_label("New generation").click();
    h.run_steps(3);
    h.get_by_label("A list of prompts").click();
    h.run_steps(2);
    let field = "One prompt per line, or a CSV with a prompt column:";
    h.get_by_label(field).click();
    h.step();
    h.get_by_label(field)
        .type_text("first shot\nsecond shot\nthird shot\n");
    h.run_steps(2);
    h.get_by_label("Create 3 generations…").click();
    h.run_steps(3);
    until_said(&mut h, "Create 3 generations with");
    press(&mut h, Key::Enter);
    step_until(&mut h, "three tasks", |app| app.book().len() == 3);
    until_said(&mut h, "3 of 3 done");
    assert_eq!(server.video_bodies().len(), 3);
    assert!(
        server.max_videos_in_flight() <= at_once,
        "at most {at_once} create requests at once"
    );
    assert!(
        server.max_in_flight() <= concurrency,
        "creates and queries within the engine's one limit"
    );
}
