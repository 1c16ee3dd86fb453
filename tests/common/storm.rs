//! Storm mode of the API stand-in: a gateway in trouble. Every 3rd admitted request gets a
//! JSON 500, every 7th (not also a 3rd) an HTML 502, and at most `per_second` requests are
//! admitted in any one-second window; the rest get 429 with a whole-second `Retry-After`,
//! as a real gateway sends it. Rejected requests do not use up the window. A plain rate
//! limit ([`Storm::rate_limit`]) is the same window without the server errors.
#![allow(dead_code)]

use super::Fault;
use serde_json::json;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct Storm {
    per_second: usize,
    admitted_at: VecDeque<Instant>,
    admitted: u64,
    rejected: u64,
    /// Every 3rd admitted request a 500, every 7th an HTML 502.
    faults: bool,
    /// When each 429 was given.
    rejected_at: Vec<Instant>,
}

impl Storm {
    pub fn new(per_second: usize) -> Self {
        Self {
            per_second: per_second.max(1),
            admitted_at: VecDeque::new(),
            admitted: 0,
            rejected: 0,
            faults: true,
            rejected_at: Vec::new(),
        }
    }

    /// Only the limit: `per_second` requests admitted in any one-second window, the rest
    /// answered 429 with `Retry-After: 1` (the window is one second, so the whole-second
    /// wait is always 1), and every admitted request answered normally.
    pub fn rate_limit(per_second: usize) -> Self {
        Self {
            faults: false,
            ..Self::new(per_second)
        }
    }

    /// What this request gets: a fault, or `None` for the normal answer.
    pub fn judge(&mut self, now: Instant) -> Option<Fault> {
        while self
            .admitted_at
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            self.admitted_at.pop_front();
        }
        if self.admitted_at.len() >= self.per_second {
            self.rejected += 1;
            self.rejected_at.push(now);
            let free_at = self.admitted_at.front().map_or(now, |t| *t + WINDOW);
            let wait = free_at
                .saturating_duration_since(now)
                .as_secs_f64()
                .ceil()
                .max(1.0);
            return Some(Fault::rate_limited(&format!("{wait:.0}")));
        }
        self.admitted_at.push_back(now);
        self.admitted += 1;
        if !self.faults {
            None
        } else if self.admitted.is_multiple_of(3) {
            Some(Fault::status(
                500,
                json!({"success": false, "error": {"code": "api_error", "message": "storm: server error"}, "trace_id": "t-storm"}).to_string(),
            ))
        } else if self.admitted.is_multiple_of(7) {
            Some(Fault::html_502())
        } else {
            None
        }
    }

    /// When each 429 was given, in order.
    pub fn rejections(&self) -> Vec<Instant> {
        self.rejected_at.clone()
    }

    /// (admitted, rejected with 429) so far.
    pub fn counts(&self) -> (u64, u64) {
        (self.admitted, self.rejected)
    }
}
