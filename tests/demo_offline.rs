//! The demo is offline. The test runs a demo session in a child process whose proxy
//! variables all point at a loopback listener counting connections (reqwest sends all its
//! traffic through them), with thumbnails on, the details panel open and every Open button
//! tried: no connection is made and nothing is launched. A child process, because the
//! environment is process-wide (and setting it is `unsafe`, which the crate denies).

#[path = "common/ui.rs"]
mod ui;

use egui_kittest::kittest::Queryable;
use seedance_tasks::gui::{Prefs, RecordingOpener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use ui::{all_answered, step_for, step_until};

const CHILD: &str = "SEEDANCE_DEMO_OFFLINE_CHILD";

#[test]
fn the_demo_never_reaches_the_network() {
    let runtime = ui::runtime();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("listener");
    let proxy = format!("http://{}", listener.local_addr().expect("addr"));
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    runtime.spawn(async move {
        while listener.accept().await.is_ok() {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let mut child = std::process::Command::new(std::env::current_exe().expect("exe"));
    child.args([
        "demo_session",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        child.env(var, &proxy);
    }
    child
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env(CHILD, "1");
    let out = child.output().expect("run the demo session");
    assert!(
        out.status.success(),
        "the demo session failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "the demo session did not run"
    );
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "a connection left the demo"
    );
}

/// The session itself; run by the test above in a child process.
#[test]
#[ignore = "run by the_demo_never_reaches_the_network in a child process"]
fn demo_session() {
    assert!(
        std::env::var_os(CHILD).is_some(),
        "run through the parent test"
    );
    let runtime = ui::runtime();
    let opener = RecordingOpener::default();
    let mut options = ui::options("https://api.example.invalid", "unused", &opener);
    options.env_token = None;
    options.demo = true;
    let posters = tempfile::tempdir().expect("temp dir");
    options.posters = Some(seedance_tasks::media::PosterCache::new(posters.path()));
    let mut h = ui::harness(&runtime, [1400.0, 800.0], options);
    let _enter = runtime.enter();
    let prefs = Prefs {
        thumbnails: true,
        ..h.state().prefs().clone()
    };
    h.state_mut().apply_prefs(prefs);
    step_until(&mut h, "demo answers", all_answered);
    let prompt_of_one_with_frame = h
        .state()
        .book()
        .entries()
        .iter()
        .find(|e| {
            e.record
                .as_ref()
                .is_some_and(|r| r.last_frame_url.is_some())
        })
        .and_then(|e| e.record.as_ref()?.prompt.clone())
        .expect("a demo task with a last frame");
    // A click on the row's prompt selects the row and opens its details.
    h.get_by_label(&prompt_of_one_with_frame.replace('\n', " "))
        .click();
    step_for(&mut h, Duration::from_millis(800));
    // The poster is the one bundled with the demo, not a fetched one.
    step_until(&mut h, "the bundled poster", |app| {
        app.selection()
            .primary()
            .is_some_and(|id| app.poster(id).is_some_and(|p| p.is_ok()))
    });
    step_for(&mut h, Duration::from_millis(300));
    h.get_by_label("Poster");
    let opens: Vec<_> = h.query_all_by_label_contains("Open").collect();
    assert!(!opens.is_empty());
    for open in opens {
        open.click();
    }
    step_for(&mut h, Duration::from_millis(800));
    assert!(
        opener.opened.lock().expect("opened").is_empty(),
        "the demo launched something"
    );
}
