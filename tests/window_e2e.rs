//! The real binary in a real window: `seedance-tasks gui <ids>` against the loopback
//! server under an X display (Xvfb in CI, which sets SEEDANCE_REQUIRE_DISPLAY=1 so that a
//! missing display fails instead of skipping). Then SIGKILL, and a second start with no
//! arguments must bring the rows back from the history without re-asking finished tasks:
//! it asks only about the unfinished ones, and the history it saves again holds every task.
//! Takes a screenshot with ImageMagick's `import`; with SEEDANCE_UPDATE_SCREENSHOT=1 it
//! becomes assets/screenshot.png.

mod common;
#[path = "common/window.rs"]
mod window;

use common::{TestServer, make_ids, record};
use seedance_tasks::api::Status;
use seedance_tasks::store::{self, Loaded};
use seedance_tasks::task::TaskEntry;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use window::display_or_skip;

/// `wait_for` for a condition.
fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    window::wait_for(what, timeout, || cond().then_some(()));
}

fn window_ids(name: &str) -> Vec<String> {
    Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", name])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The tasks in the history file, when it can be read.
fn history(path: &Path) -> Vec<TaskEntry> {
    match store::load(path) {
        Loaded::Tasks { tasks, .. } => tasks,
        _ => Vec::new(),
    }
}

/// Ids the server was asked about since request number `since`.
fn asked_since(server: &TestServer, since: usize) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .skip(since)
        .flat_map(|r| r.ids)
        .collect()
}

#[test]
fn gui_queries_ids_in_a_real_window() {
    let Some(display) = display_or_skip() else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = runtime.block_on(TestServer::start());
    let ids = make_ids(6);
    // Realistic rows: this run's screenshot is the one in the README.
    let prompts = [
        "一只橘猫在窗台上晒太阳，镜头缓慢推进，午后的光线洒在毛发上 --rs 720p",
        "Time-lapse of a city skyline from day to night, lights flicking on building by building.",
        "A crowded stadium chants while fireworks spell a band's name in the sky.",
        "A corgi in a tiny astronaut suit bounces across the moon, Earth rising behind. --ratio 16:9",
        "桜の花びらが舞う京都の路地を、自転車がゆっくり通り過ぎる。スローモーション。",
        "Cherry blossoms fall in slow motion over a quiet Kyoto street, a cyclist passes by.",
    ];
    let models = [
        "doubao-seedance-1-0-pro-250528",
        "doubao-seedance-2-0-260128",
        "doubao-seedance-1-0-lite-t2v-250428",
    ];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let statuses = [
        "succeeded",
        "running",
        "failed",
        "queued",
        "succeeded",
        "succeeded",
    ];
    for (i, id) in ids.iter().enumerate() {
        let mut r = record(id, statuses[i]);
        r["request"]["content"][0]["text"] = serde_json::json!(prompts[i]);
        r["request"]["model"] = serde_json::json!(models[i % 3]);
        r["created_at"] = serde_json::json!(now - 60.0 * (i as f64 * 7.0 + 1.0));
        if statuses[i] == "failed" {
            r["response"]["data"]["error"]["message"] = serde_json::json!(
                "The generated video may contain sensitive content; change the prompt and try again."
            );
        }
        if matches!(statuses[i], "succeeded" | "failed") {
            r["finished_at"] = serde_json::json!(now - 60.0 * (i as f64 * 7.0));
            r["elapsed"] = serde_json::json!(55.0 + i as f64 * 4.0);
        }
        server.insert(r);
    }
    let data = tempfile::tempdir().expect("temp dir");
    let start_app = |args: &[String]| {
        window::start_app(&display, &server.url(), "e2e-token", data.path(), args)
    };
    let mut args = vec!["gui".to_owned()];
    args.extend(ids.iter().cloned());
    let mut child = start_app(&args);

    wait_until("the window's requests", Duration::from_secs(60), || {
        let mut asked = server.asked_ids();
        asked.sort();
        asked.dedup();
        asked.len() == ids.len()
    });
    wait_until("the window to map", Duration::from_secs(30), || {
        !window_ids("SeeDance Tasks").is_empty()
    });
    assert!(
        child.0.try_wait().expect("status").is_none(),
        "the app is still running"
    );
    // Give it a few frames to draw the answers.
    std::thread::sleep(Duration::from_millis(1500));

    // A key press reaches the window: F5 asks about every task again.
    let before = server.requests().len();
    let window = window_ids("SeeDance Tasks").remove(0);
    let window = window.as_str();
    let key = Command::new("xdotool")
        .args([
            "windowactivate",
            "--sync",
            window,
            "key",
            "--clearmodifiers",
            "F5",
        ])
        .status();
    if key.is_ok_and(|s| s.success()) {
        wait_until("F5 to refresh", Duration::from_secs(20), || {
            server.requests().len() > before
        });
    } else {
        let key = Command::new("xdotool")
            .args(["key", "--window", window, "F5"])
            .status();
        assert!(key.is_ok_and(|s| s.success()), "xdotool works");
        wait_until("F5 to refresh", Duration::from_secs(20), || {
            server.requests().len() > before
        });
    }
    std::thread::sleep(Duration::from_millis(800));

    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("window-e2e.png");
    // The window alone (Xvfb has no compositor, so the X server holds its pixels).
    let status = Command::new("import")
        .args(["-window", window])
        .arg(&shot)
        .env("DISPLAY", &display)
        .status()
        .expect("ImageMagick's import is installed");
    assert!(status.success());
    let image = image::open(&shot).expect("a PNG").to_rgba8();
    let mut colours: Vec<[u8; 4]> = image.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() > 50,
        "the screenshot shows a drawn window ({} colours)",
        colours.len()
    );
    if std::env::var("SEEDANCE_UPDATE_SCREENSHOT").is_ok_and(|v| v == "1") {
        let dest = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/screenshot.png");
        std::fs::copy(&shot, dest).expect("update the README screenshot");
    }
    assert!(
        child.0.try_wait().expect("status").is_none(),
        "no crash during the test"
    );

    // Once every answer is in the history, the window dies without a chance to save more.
    let history_file = data.path().join("seedance").join(store::FILE_NAME);
    wait_until(
        "the answers in the history",
        Duration::from_secs(60),
        || {
            let saved = history(&history_file);
            saved.len() == ids.len() && saved.iter().all(|e| e.record.is_some())
        },
    );
    child.0.kill().expect("SIGKILL the window");
    child.0.wait().expect("reap the window");
    drop(child);

    // Meanwhile the running task finished.
    let mut done = record(&ids[1], "succeeded");
    done["created_at"] = serde_json::json!(now - 60.0);
    server.insert(done);
    let before_restart = server.requests().len();
    let unfinished = [ids[1].clone(), ids[3].clone()];
    let finished = [&ids[0], &ids[2], &ids[4], &ids[5]];

    let mut again = start_app(&["gui".to_owned()]);
    wait_until(
        "the restarted window to ask about the unfinished tasks",
        Duration::from_secs(60),
        || {
            let asked = asked_since(&server, before_restart);
            unfinished.iter().all(|id| asked.contains(id))
        },
    );
    // The rows came back: the book the restarted window saves holds every task, with the
    // new answer of the one that finished meanwhile.
    wait_until(
        "the restarted window to save the new answer",
        Duration::from_secs(60),
        || {
            history(&history_file)
                .iter()
                .any(|e| e.id == ids[1] && e.status == Status::Succeeded)
        },
    );
    let saved = history(&history_file);
    let mut saved_ids: Vec<&str> = saved.iter().map(|e| e.id.as_str()).collect();
    saved_ids.sort_unstable();
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(saved_ids, expected, "every row came back");
    let asked = asked_since(&server, before_restart);
    for id in finished {
        assert!(
            !asked.contains(id),
            "finished task {id} was asked again after the restart: {asked:?}"
        );
    }
    assert!(
        again.0.try_wait().expect("status").is_none(),
        "the restarted window is still running"
    );
}
