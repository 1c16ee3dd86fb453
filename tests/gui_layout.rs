//! The grid fits the window: at the default size and at 1024 px every column up to
//! Reason is on screen (Trace id may lie past the edge), opening the details panel
//! narrows Prompt first, and a window narrower than the reading columns scrolls sideways
//! instead of cutting them off. Bounds as the accessibility tree reports them.

mod common;
#[path = "common/ui.rs"]
mod ui;

use common::{TestServer, make_ids, record};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use seedance_tasks::gui::{RecordingOpener, SeedanceApp};
use ui::{all_answered, step_until};

fn window(
    width: f32,
) -> (
    tokio::runtime::Runtime,
    TestServer,
    Harness<'static, SeedanceApp>,
) {
    let runtime = ui::runtime();
    let server = runtime.block_on(TestServer::start());
    let ids = make_ids(3);
    for (id, status) in ids.iter().zip(["succeeded", "failed", "succeeded"]) {
        server.insert(record(id, status));
    }
    let mut options = ui::options(&server.url(), "layout-token", &RecordingOpener::default());
    options.initial_ids = ids;
    let mut h = ui::harness(&runtime, [width, 760.0], options);
    {
        let _enter = runtime.enter();
        step_until(&mut h, "answers", all_answered);
    }
    (runtime, server, h)
}

fn header(h: &Harness<'_, SeedanceApp>, title: &str) -> egui::Rect {
    h.get_by_label(&format!("Sort by {title}")).rect()
}

const READING: [&str; 9] = [
    "Status",
    "Task id",
    "Model",
    "Created",
    "Elapsed",
    "Prompt",
    "Video",
    "Last frame",
    "Reason",
];

#[test]
fn every_reading_column_fits_at_the_default_size_and_at_1024() {
    for width in [1280.0, 1024.0] {
        let (runtime, _server, h) = window(width);
        let _enter = runtime.enter();
        for title in READING {
            let r = header(&h, title);
            assert!(
                r.min.x >= 0.0 && r.max.x <= width,
                "{title} at {r:?} is off a {width} px window"
            );
        }
        // The reason's own label (the row's summary mentions it too).
        let reason = h
            .query_all_by_label_contains("OutputVideoSensitiveContentDetected")
            .find(|n| n.accesskit_node().role() == egui::accesskit::Role::Label)
            .expect("the reason label")
            .rect();
        assert!(
            reason.min.x < width,
            "the failure reason is on screen at {width} px"
        );
    }
}

#[test]
fn the_details_panel_narrows_prompt_first() {
    let (runtime, _server, mut h) = window(1280.0);
    let _enter = runtime.enter();
    let width_of = |h: &Harness<'_, SeedanceApp>, from: &str, to: &str| {
        header(h, to).min.x - header(h, from).min.x
    };
    let prompt_before = width_of(&h, "Prompt", "Video");
    let reason_before = width_of(&h, "Reason", "Trace id");
    let first = h.state().book().ids_in_order()[0].clone();
    h.get_by_label(&format!("prompt of {first}")).click();
    h.step();
    h.step();
    h.step();
    h.get_by_label("Close");
    let prompt_after = width_of(&h, "Prompt", "Video");
    let reason_after = width_of(&h, "Reason", "Trace id");
    assert!(
        prompt_after < prompt_before - 100.0,
        "Prompt gave up the room ({prompt_before} → {prompt_after})"
    );
    assert_eq!(reason_after, reason_before, "Reason kept its width");
}

#[test]
fn a_narrow_window_scrolls_instead_of_cutting_columns() {
    let (runtime, _server, h) = window(720.0);
    let _enter = runtime.enter();
    // Every header is still laid out (some past the edge, reached by scrolling sideways),
    // and Prompt keeps its minimum width.
    for title in READING {
        header(&h, title);
    }
    let prompt = header(&h, "Prompt");
    let video = header(&h, "Video");
    assert!(
        video.min.x - prompt.min.x >= 100.0,
        "Prompt keeps a readable width"
    );
    // Nothing squeezed to fit: the grid is wider than the window, so it scrolls.
    assert!(
        header(&h, "Reason").min.x > 720.0,
        "the columns run past the edge"
    );
}
