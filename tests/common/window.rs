//! Helpers for the tests that run the real binary in a real window (under Xvfb in CI).
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The X display, or `None` (after saying so) when there is none and CI did not ask for
/// one with SEEDANCE_REQUIRE_DISPLAY=1.
pub fn display_or_skip() -> Option<String> {
    let required = std::env::var("SEEDANCE_REQUIRE_DISPLAY").is_ok_and(|v| v == "1");
    match std::env::var("DISPLAY") {
        Ok(d) if !d.is_empty() => Some(d),
        _ if required => panic!("SEEDANCE_REQUIRE_DISPLAY=1 but DISPLAY is not set"),
        _ => {
            eprintln!("no X display: the real-window test is skipped here, CI runs it under Xvfb");
            None
        }
    }
}

/// The app's process, killed when the test ends however it ends.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `probe` until it gives a value; panics with `what` after `timeout` (a hang
/// guard, not a timing test).
pub fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts the real binary with `args` on `display`, against the API at `api_base` with
/// `token`, its history and eframe's settings kept under `data` (never the user's).
pub fn start_app(
    display: &str,
    api_base: &str,
    token: &str,
    data: &Path,
    args: &[String],
) -> KillOnDrop {
    let child = Command::new(env!("CARGO_BIN_EXE_seedance-tasks"))
        .args(args)
        .env("DISPLAY", display)
        .env("SEEDANCE_API_BASE", api_base)
        .env("SEEDANCE_API_TOKEN", token)
        .env("SEEDANCE_DATA_DIR", data.join("seedance"))
        .env("XDG_DATA_HOME", data)
        .env("XDG_CONFIG_HOME", data)
        .env_remove("WAYLAND_DISPLAY")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the window");
    KillOnDrop(child)
}
