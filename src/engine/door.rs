//! The one door to the API for a base and a token: every request of the engine (a batch,
//! a listing page, a create, the token check) waits here for a request slot, the 429 gate
//! and the pace, so a 429 on one path holds back all of them and the requests in flight
//! never exceed the engine's concurrency.
//!
//! The pace learns the rate limit. With no 429 seen, nothing is paced (no slow start).
//! After a 429, new sends are held until every answer in flight is back; the requests
//! accepted in the window before it (as long as its `Retry-After`, at least a second) are
//! the learned limit. From then on at most that many requests go out in any window 10 %
//! longer than the limit's, `Retry-After` stays the floor of every wait, the limit is
//! raised by one no sooner than [`PROBE_AFTER`] after the last 429, and the next 429 cuts
//! it again.

use super::Backend;
use crate::api::ApiError;
use crate::api::ErrorKind;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

/// The pace's window is this much longer than the limit's: sends land a tenth of a window
/// inside the limit, so a little jitter on the way does not make a second 429.
const PACE_MARGIN: f64 = 1.1;

/// A learned limit is raised (by one request per window) no sooner than this after the
/// last 429, and then no more often than every [`PROBE_EVERY`].
pub const PROBE_AFTER: Duration = Duration::from_secs(30);
const PROBE_EVERY: Duration = Duration::from_secs(10);

/// The limit's window when the 429 names no `Retry-After`, and the shortest one.
const MIN_WINDOW: Duration = Duration::from_secs(1);
/// Longer windows than this are a misread `Retry-After`, not a rate.
const MAX_WINDOW: Duration = Duration::from_secs(60);

/// How a request was answered, as far as the pace cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The API took it (any answer that is not a 429: an error too).
    Accepted,
    /// 429, with the `Retry-After` it named.
    Limited(Option<Duration>),
    /// No answer came (the network failed): not counted among the accepted.
    NotReached,
}

impl Answer {
    /// How an API call's result counts.
    pub fn of<T>(result: &Result<T, ApiError>) -> Self {
        match result {
            Ok(_) => Self::Accepted,
            Err(e) => Self::of_error(e),
        }
    }

    pub fn of_error(e: &ApiError) -> Self {
        match e.kind {
            ErrorKind::RateLimited => Self::Limited(e.retry_after),
            ErrorKind::Network => Self::NotReached,
            _ => Self::Accepted,
        }
    }
}

/// See the module's documentation.
pub struct Door {
    backend: Backend,
    permits: Semaphore,
    pace: Mutex<Pace>,
    /// Wakes the sends held after a 429 once the answers in flight are back.
    drained: Notify,
}

impl std::fmt::Debug for Door {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Door")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Door {
    pub fn new(backend: Backend, concurrency: usize) -> Self {
        Self {
            backend,
            permits: Semaphore::new(concurrency.max(1)),
            pace: Mutex::new(Pace::default()),
            drained: Notify::new(),
        }
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Sends one request when the door lets it through, and tells the pace how `judge`
    /// reads the answer. Returns the answer and how long the call itself took (the waits
    /// before it not included).
    pub async fn send<T, Fut>(
        &self,
        call: impl FnOnce() -> Fut,
        judge: impl FnOnce(&T) -> Answer,
    ) -> (T, Duration)
    where
        Fut: Future<Output = T>,
    {
        // The semaphore is never closed: a failed acquire cannot happen, and would only
        // mean one request fewer held back.
        let _permit = self.permits.acquire().await.ok();
        let sent = Sent {
            door: self,
            at: self.admit().await,
            told: false,
        };
        let answer = call().await;
        let took = sent.at.elapsed();
        sent.tell(judge(&answer));
        (answer, took)
    }

    fn answered(&self, sent: Instant, answer: Answer) {
        let ended_hold = self.lock().answered(sent, answer, Instant::now());
        if ended_hold {
            self.drained.notify_waiters();
        }
    }

    /// Waits until a request may go, and counts it as sent.
    async fn admit(&self) -> Instant {
        loop {
            let drained = self.drained.notified();
            tokio::pin!(drained);
            // Registered before the check, so a hold ending in between still wakes us.
            drained.as_mut().enable();
            let now = Instant::now();
            let decision = self.lock().admit(now);
            match decision {
                Admit::Go => return now,
                Admit::Hold => drained.await,
                Admit::At(when) => tokio::time::sleep_until(when).await,
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pace> {
        // A panic while the lock was held leaves plain numbers behind: still usable.
        self.pace.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A request on its way. One whose caller gave up on it (a cancelled listing) still
/// leaves the count of requests in flight, or a hold would wait for it forever; it may
/// have reached the API, so it counts as accepted.
struct Sent<'a> {
    door: &'a Door,
    at: Instant,
    told: bool,
}

impl Sent<'_> {
    fn tell(mut self, answer: Answer) {
        self.told = true;
        self.door.answered(self.at, answer);
    }
}

impl Drop for Sent<'_> {
    fn drop(&mut self) {
        if !self.told {
            self.door.answered(self.at, Answer::Accepted);
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Admit {
    Go,
    /// A 429 came: wait for the answers in flight.
    Hold,
    At(Instant),
}

#[derive(Debug)]
struct Hold {
    /// When the first request answered 429 in this episode was sent.
    first_sent: Instant,
    window: Duration,
}

#[derive(Debug)]
struct Pace {
    in_flight: usize,
    /// Retry-After: nothing goes before this.
    not_before: Option<Instant>,
    hold: Option<Hold>,
    /// Requests per `window` the API accepts, once a 429 has shown that there is a limit.
    limit: Option<usize>,
    window: Duration,
    /// Send times of the requests not answered 429 (in flight or accepted), oldest first.
    sent: VecDeque<Instant>,
    last_limited: Option<Instant>,
    last_probe: Option<Instant>,
}

impl Default for Pace {
    fn default() -> Self {
        Self {
            in_flight: 0,
            not_before: None,
            hold: None,
            limit: None,
            window: MIN_WINDOW,
            sent: VecDeque::new(),
            last_limited: None,
            last_probe: None,
        }
    }
}

impl Pace {
    fn pace_window(&self) -> Duration {
        self.window.mul_f64(PACE_MARGIN)
    }

    fn admit(&mut self, now: Instant) -> Admit {
        if self.hold.is_some() {
            return Admit::Hold;
        }
        if let Some(t) = self.not_before.filter(|t| *t > now) {
            return Admit::At(t);
        }
        if let Some(limit) = self.limit {
            self.probe(now);
            let limit = self.limit.unwrap_or(limit);
            let window = self.pace_window();
            let recent = self.sent.iter().rev().take_while(|t| now - **t < window);
            if recent.count() >= limit {
                // The oldest of the last `limit` sends leaves the window first.
                let oldest = self.sent[self.sent.len() - limit];
                return Admit::At(oldest + window);
            }
        }
        self.in_flight += 1;
        self.sent.push_back(now);
        Admit::Go
    }

    /// Raises the limit by one, slowly, while no 429 comes.
    fn probe(&mut self, now: Instant) {
        let quiet = self
            .last_limited
            .is_none_or(|t| now.saturating_duration_since(t) >= PROBE_AFTER);
        let due = self
            .last_probe
            .is_none_or(|t| now.saturating_duration_since(t) >= PROBE_EVERY);
        if let Some(limit) = &mut self.limit
            && quiet
            && due
        {
            *limit += 1;
            self.last_probe = Some(now);
        }
    }

    /// Returns whether a hold ended (the held sends are to be woken).
    fn answered(&mut self, sent: Instant, answer: Answer, now: Instant) -> bool {
        self.in_flight = self.in_flight.saturating_sub(1);
        match answer {
            Answer::Accepted => {}
            Answer::Limited(retry_after) => {
                // The API did not count it: it is not part of the accepted rate.
                if let Some(i) = self.sent.iter().rposition(|t| *t == sent) {
                    self.sent.remove(i);
                }
                let wait = retry_after.unwrap_or(MIN_WINDOW);
                let until = now + wait;
                self.not_before = Some(self.not_before.map_or(until, |t| t.max(until)));
                self.last_limited = Some(now);
                self.last_probe = Some(now);
                self.hold.get_or_insert(Hold {
                    first_sent: sent,
                    window: wait.clamp(MIN_WINDOW, MAX_WINDOW),
                });
            }
            Answer::NotReached => {
                if let Some(i) = self.sent.iter().rposition(|t| *t == sent) {
                    self.sent.remove(i);
                }
            }
        }
        let horizon = now.checked_sub(MAX_WINDOW.mul_f64(2.0 * PACE_MARGIN));
        while self
            .sent
            .front()
            .is_some_and(|t| horizon.is_some_and(|h| *t < h))
        {
            self.sent.pop_front();
        }
        if self.in_flight == 0
            && let Some(hold) = self.hold.take()
        {
            self.learn(&hold);
            return true;
        }
        false
    }

    /// Every answer of the episode is back: what was accepted in the window before its
    /// first 429 is the limit; a 429 at a limit already learned cuts it by one.
    fn learn(&mut self, hold: &Hold) {
        let from = hold.first_sent.checked_sub(hold.window);
        let seen = self
            .sent
            .iter()
            .filter(|t| from.is_none_or(|f| **t > f))
            .count();
        // Nothing accepted in the window says nothing about the rate (the limit's window
        // is longer, or another path used it up): Retry-After alone decides then.
        self.limit = match (self.limit, seen) {
            (None, 0) => None,
            (None, n) => Some(n),
            (Some(old), n) if n > 0 && n < old => Some(n),
            (Some(old), _) => Some(old.saturating_sub(1).max(1)),
        };
        self.window = hold.window;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[tokio::test(start_paused = true)]
    async fn no_limit_seen_nothing_is_paced() {
        let mut pace = Pace::default();
        let t0 = Instant::now();
        for _ in 0..100 {
            assert_eq!(pace.admit(t0), Admit::Go);
        }
        for _ in 0..100 {
            assert!(!pace.answered(t0, Answer::Accepted, t0 + ms(50)));
        }
        assert_eq!(pace.limit, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_holds_learns_and_paces_under_the_limit() {
        let mut pace = Pace::default();
        let t0 = Instant::now();
        // Four accepted, then four sent when they came back: all answered 429.
        for _ in 0..4 {
            assert_eq!(pace.admit(t0), Admit::Go);
        }
        for _ in 0..4 {
            pace.answered(t0, Answer::Accepted, t0 + ms(50));
        }
        let t1 = t0 + ms(50);
        for _ in 0..4 {
            assert_eq!(pace.admit(t1), Admit::Go);
        }
        let t2 = t0 + ms(60);
        assert!(!pace.answered(t1, Answer::Limited(Some(Duration::from_secs(1))), t2));
        // Held until the other three are back, whatever the time.
        assert_eq!(pace.admit(t2 + Duration::from_secs(5)), Admit::Hold);
        assert!(!pace.answered(t1, Answer::Limited(Some(Duration::from_secs(1))), t2));
        assert!(!pace.answered(t1, Answer::Limited(Some(Duration::from_secs(1))), t2));
        assert!(pace.answered(t1, Answer::Limited(Some(Duration::from_secs(1))), t2));
        assert_eq!(pace.limit, Some(4));
        // Retry-After is the floor; then four go, and the fifth waits for the window.
        assert_eq!(pace.admit(t2), Admit::At(t2 + Duration::from_secs(1)));
        let t3 = t2 + Duration::from_secs(1);
        let window = Duration::from_secs(1).mul_f64(PACE_MARGIN);
        assert_eq!(pace.admit(t3), Admit::At(t0 + window));
        let t4 = t0 + window;
        for _ in 0..4 {
            assert_eq!(pace.admit(t4), Admit::Go);
        }
        assert_eq!(pace.admit(t4), Admit::At(t4 + window));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_given_up_on_does_not_hold_the_door_forever() {
        let demo = std::sync::Arc::new(crate::demo::Demo::new());
        let door = std::sync::Arc::new(Door::new(Backend::Demo(demo), 4));
        let d = door.clone();
        let stuck = tokio::spawn(async move {
            d.send(std::future::pending::<()>, |_| Answer::Accepted)
                .await
        });
        while door.lock().in_flight == 0 {
            tokio::task::yield_now().await;
        }
        let limited = |_: &()| Answer::Limited(Some(Duration::from_secs(1)));
        door.send(|| async {}, limited).await;
        assert!(door.lock().hold.is_some(), "held while one is in flight");
        stuck.abort();
        assert!(stuck.await.is_err());
        let start = Instant::now();
        door.send(|| async {}, |_| Answer::Accepted).await;
        assert!(
            start.elapsed() >= Duration::from_millis(999),
            "Retry-After is the floor"
        );
        assert_eq!(door.lock().in_flight, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn another_429_cuts_and_quiet_time_probes_upward() {
        let mut pace = Pace {
            limit: Some(4),
            ..Pace::default()
        };
        let t0 = Instant::now();
        for _ in 0..4 {
            assert_eq!(pace.admit(t0), Admit::Go);
        }
        for _ in 0..3 {
            pace.answered(t0, Answer::Accepted, t0 + ms(10));
        }
        assert!(pace.answered(t0, Answer::Limited(None), t0 + ms(10)));
        assert_eq!(pace.limit, Some(3), "three accepted in the window");
        let later = t0 + PROBE_AFTER + ms(10);
        assert_eq!(pace.admit(later), Admit::Go);
        assert_eq!(pace.limit, Some(4), "raised once after 30 s without a 429");
        assert_eq!(pace.admit(later + ms(1)), Admit::Go);
        assert_eq!(pace.limit, Some(4), "and not again at once");
    }
}
