//! Helpers for the window tests: step the harness until the app reaches a state.
#![allow(dead_code)]

use egui_kittest::Harness;
use seedance_tasks::gui::{GuiOptions, SeedanceApp};
use std::time::{Duration, Instant};

/// Steps until `cond` holds (the engine answers on other threads), then two more frames
/// so the UI shows it. Panics with `what` after 20 s: a hang guard, not a timing test.
pub fn step_until(
    h: &mut Harness<'_, SeedanceApp>,
    what: &str,
    cond: impl Fn(&SeedanceApp) -> bool,
) {
    let start = Instant::now();
    while !cond(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(15));
    }
    h.step();
    h.step();
}

/// Steps for `time` (for checks that something does *not* happen meanwhile).
pub fn step_for(h: &mut Harness<'_, SeedanceApp>, time: Duration) {
    let start = Instant::now();
    while start.elapsed() < time {
        h.step();
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// Every task in the book has had an answer.
pub fn all_answered(app: &SeedanceApp) -> bool {
    !app.book().is_empty() && app.book().entries().iter().all(|e| !e.awaiting)
}

/// The whole app in a kittest harness, built inside `runtime` (poll-promise needs it).
pub fn harness(
    runtime: &tokio::runtime::Runtime,
    size: [f32; 2],
    options: GuiOptions,
) -> Harness<'static, SeedanceApp> {
    let _enter = runtime.enter();
    Harness::builder()
        .with_size(size)
        .build_eframe(move |cc| SeedanceApp::new(&cc.egui_ctx, options))
}
