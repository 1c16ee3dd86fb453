//! Helpers for the tests that run the real binary in a real window (under Xvfb in CI).
#![allow(dead_code)]

use std::process::Child;
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
