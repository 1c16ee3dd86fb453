//! Helpers for the window tests: step the harness until the app reaches a state.
#![allow(dead_code)]

use egui_kittest::Harness;
use seedance_tasks::engine::EngineConfig;
use seedance_tasks::gui::{
    AnsweringDialogs, GuiOptions, KeyringProvider, Picked, RecordingOpener, SeedanceApp,
};
use seedance_tasks::secrets::Keyring;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The options every window test starts from: a token as if from the environment, the
/// mock keyring, a recording opener, dialogs that answer "cancelled" (never a real dialog
/// or a real Downloads folder from a test), no history, no poster cache, no desktop
/// notifications, a 2 s
/// watch and a fast back-off. Tests change what they are about.
pub fn options(api_base: &str, token: &str, opener: &RecordingOpener) -> GuiOptions {
    let mut o = GuiOptions::new(api_base);
    o.env_token = Some(token.into());
    o.keyring = KeyringProvider::Given(Keyring::mock());
    o.opener = Arc::new(opener.clone());
    o.dialogs = Arc::new(AnsweringDialogs::new(Picked::Cancelled, None));
    o.history = None;
    // No poster cache: a test that is about posters gives its own folder.
    o.posters = None;
    // No library: a test that is about the library gives its own folder (none writes
    // into the real Videos folder).
    o.library = None;
    o.library_env = None;
    o.notifications = false;
    o.engine = EngineConfig {
        watch_interval: Duration::from_secs(2),
        backoff_base: Duration::from_millis(20),
        ..EngineConfig::default()
    };
    o
}

/// A two-thread runtime for the engine and the background jobs.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

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
    Harness::builder().with_size(size).build_eframe(move |cc| {
        // What eframe's `system_font_fallback` does for the real window.
        seedance_tasks::gui::fonts::install(&cc.egui_ctx);
        SeedanceApp::new(&cc.egui_ctx, options)
    })
}

/// What the app put on the clipboard in the last frame, if anything.
pub fn copied_text(h: &Harness<'_, SeedanceApp>) -> Option<String> {
    h.output()
        .platform_output
        .commands
        .iter()
        .find_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
}

/// The window gains or loses the keyboard focus, as when the user switches windows.
pub fn set_window_focused(h: &mut Harness<'_, SeedanceApp>, focused: bool) {
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .focused = Some(focused);
}

/// Steps until some widget's label contains `part` (a status line, a dialog's question),
/// for up to 20 s.
pub fn until_said(h: &mut Harness<'_, SeedanceApp>, part: &str) {
    use egui_kittest::kittest::Queryable;
    let start = Instant::now();
    while h.query_all_by_label_contains(part).next().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "never said: {part}"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(15));
    }
}
