//! How far `get` and `wait` are, on standard error. On a terminal one line is redrawn with
//! every answer (`answered 1200/5000`); anywhere else (a log file, a pipe, CI) a line is
//! added every few seconds (`asked 200 000 of 1 000 000`), so a long run is not silent
//! between its first line and its end, and a log does not get a line per answer.

use std::time::{Duration, Instant};

/// How often a line is added when standard error is not a terminal.
pub const LOG_EVERY: Duration = Duration::from_secs(5);

/// Milliseconds between log lines instead of [`LOG_EVERY`], for tests that cannot wait
/// seconds to see one.
pub const TEST_EVERY_ENV: &str = "SEEDANCE_TEST_PROGRESS_EVERY_MS";

fn log_every() -> Duration {
    std::env::var(TEST_EVERY_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(LOG_EVERY, Duration::from_millis)
}

#[derive(Debug)]
pub struct Progress {
    total: usize,
    terminal: bool,
    /// Redraw the terminal's line (only `get` does: `wait` prints changes instead).
    redraw: bool,
    last_logged: Instant,
    logged: usize,
    every: Duration,
}

impl Progress {
    pub fn new(total: usize, terminal: bool, redraw: bool) -> Self {
        Self {
            total,
            terminal,
            redraw,
            last_logged: Instant::now(),
            logged: 0,
            every: log_every(),
        }
    }

    /// Prints what [`Self::line`] says for `answered` ids now.
    pub fn update(&mut self, answered: usize) {
        if let Some(line) = self.line(answered, Instant::now()) {
            eprint!("{line}");
        }
    }

    /// What to print when `answered` ids have their first answer at `now`, if anything.
    pub fn line(&mut self, answered: usize, now: Instant) -> Option<String> {
        if self.terminal {
            if !self.redraw {
                return None;
            }
            let end = if answered == self.total { "\n" } else { "" };
            return Some(format!("\ranswered {answered}/{}{end}", self.total));
        }
        if answered == self.logged
            || answered == self.total
            || now.duration_since(self.last_logged) < self.every
        {
            return None;
        }
        self.last_logged = now;
        self.logged = answered;
        Some(format!(
            "asked {} of {}\n",
            grouped(answered),
            grouped(self.total)
        ))
    }
}

/// `1000000` as `1 000 000`: long counts read at a glance.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_gets_a_line_every_few_seconds() {
        let start = Instant::now();
        let mut p = Progress::new(1_000_000, false, true);
        p.last_logged = start;
        p.every = LOG_EVERY;
        assert_eq!(p.line(50, start + Duration::from_secs(1)), None, "too soon");
        assert_eq!(
            p.line(200_000, start + LOG_EVERY).as_deref(),
            Some("asked 200 000 of 1 000 000\n")
        );
        assert_eq!(
            p.line(200_050, start + LOG_EVERY + Duration::from_secs(1)),
            None
        );
        let later = start + LOG_EVERY * 2;
        assert_eq!(p.line(200_000, later), None, "nothing new");
        assert!(p.line(400_000, later).is_some());
        assert_eq!(
            p.line(1_000_000, later + LOG_EVERY),
            None,
            "the end says itself"
        );
    }

    #[test]
    fn a_terminal_line_is_redrawn_for_get_only() {
        let now = Instant::now();
        let mut get = Progress::new(3, true, true);
        assert_eq!(get.line(1, now).as_deref(), Some("\ranswered 1/3"));
        assert_eq!(get.line(3, now).as_deref(), Some("\ranswered 3/3\n"));
        let mut wait = Progress::new(3, true, false);
        assert_eq!(wait.line(1, now), None);
    }

    #[test]
    fn counts_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1 000");
        assert_eq!(grouped(1_234_567), "1 234 567");
    }
}
