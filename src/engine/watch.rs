use std::collections::{HashMap, HashSet};
use std::time::Duration;
use tokio::time::Instant;

use super::retry::backoff;
use crate::api::TaskRecord;

#[derive(Debug, Clone, Copy)]
struct Entry {
    since: Instant,
    due: Instant,
    /// Rounds in a row that ended in an error of the call.
    errors: u32,
}

/// The longest wait before asking again about a task whose questions keep failing.
pub const ERROR_BACKOFF_MAX: Duration = Duration::from_secs(300);

/// Which unfinished tasks to re-ask and when. Tasks that have run a long time are asked
/// less often: a 10-minute generation does not need a question every 5 seconds.
#[derive(Debug)]
pub struct WatchList {
    entries: HashMap<String, Entry>,
    interval: Duration,
    interval_max: Duration,
    timeout: Option<Duration>,
}

/// Ids due within this of the earliest one ride along in the same batch.
const COALESCE: Duration = Duration::from_millis(750);

impl WatchList {
    pub fn new(interval: Duration, interval_max: Duration, timeout: Option<Duration>) -> Self {
        Self {
            entries: HashMap::new(),
            interval,
            interval_max,
            timeout,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    pub fn contains(&self, id: &str) -> bool {
        self.entries.contains_key(id)
    }

    /// The interval for a task watched for `age`: grows linearly, doubling every two minutes.
    pub fn interval_for(&self, age: Duration) -> Duration {
        let factor = 1.0 + age.as_secs_f64() / 120.0;
        self.interval.mul_f64(factor).min(self.interval_max)
    }

    /// Schedules the next question about `id` (keeping when it was first watched).
    pub fn schedule(&mut self, id: &str, now: Instant) {
        let since = self.entries.get(id).map_or(now, |e| e.since);
        let due = now + self.interval_for(now.saturating_duration_since(since));
        self.entries.insert(
            id.to_owned(),
            Entry {
                since,
                due,
                errors: 0,
            },
        );
    }

    /// Schedules `id` again after its question failed: the wait doubles with every
    /// failure in a row (with jitter, so a whole grid does not come back at once), up to
    /// [`ERROR_BACKOFF_MAX`].
    pub fn schedule_after_error(&mut self, id: &str, now: Instant) {
        let (since, errors) = self
            .entries
            .get(id)
            .map_or((now, 0), |e| (e.since, e.errors));
        let wait = backoff(errors, self.interval.saturating_mul(2), ERROR_BACKOFF_MAX);
        let entry = Entry {
            since,
            due: now + wait,
            errors: errors.saturating_add(1),
        };
        self.entries.insert(id.to_owned(), entry);
    }

    /// Whether to go on asking about `id` after this answer: the record is live (see
    /// [`TaskRecord::is_live`]) and, when it has no creation time to grow stale by (none
    /// sent, or one read as unknown, such as the year 9999), `id` has been watched for less
    /// than [`TaskRecord::STALE_AFTER_SECONDS`]. Without that, an unfinished task of unknown
    /// age would be asked about for as long as the app runs.
    pub fn keeps_asking(&self, id: &str, record: &TaskRecord, now: Instant) -> bool {
        if !record.is_live_now() {
            return false;
        }
        record.created_at.is_some()
            || self.entries.get(id).is_none_or(|e| {
                now.saturating_duration_since(e.since).as_secs_f64()
                    <= TaskRecord::STALE_AFTER_SECONDS
            })
    }

    pub fn remove(&mut self, id: &str) {
        self.entries.remove(id);
    }

    pub fn next_due(&self) -> Option<Instant> {
        self.entries.values().map(|e| e.due).min()
    }

    /// Takes the ids that are due (and those due shortly after), in a stable order.
    pub fn take_due(&mut self, now: Instant) -> Vec<String> {
        let horizon = now + COALESCE;
        let mut due: Vec<(Instant, String)> = self
            .entries
            .iter()
            .filter(|(_, e)| e.due <= horizon)
            .map(|(id, e)| (e.since, id.clone()))
            .collect();
        due.sort();
        // Due ids stay in the list (so `contains` holds) but are pushed out until answered.
        let far = now + Duration::from_secs(24 * 3600);
        for (_, id) in &due {
            if let Some(e) = self.entries.get_mut(id) {
                e.due = far;
            }
        }
        due.into_iter().map(|(_, id)| id).collect()
    }

    /// Removes and returns the ids watched for longer than the timeout. Ids being asked
    /// right now are left alone: their answer decides.
    pub fn take_expired(&mut self, now: Instant, in_flight: &HashSet<String>) -> Vec<String> {
        let Some(limit) = self.timeout else {
            return Vec::new();
        };
        let mut expired: Vec<String> = self
            .entries
            .iter()
            .filter(|(id, e)| {
                now.saturating_duration_since(e.since) >= limit && !in_flight.contains(*id)
            })
            .map(|(id, _)| id.clone())
            .collect();
        expired.sort();
        for id in &expired {
            self.entries.remove(id);
        }
        expired
    }

    pub fn next_expiry(&self, in_flight: &HashSet<String>) -> Option<Instant> {
        let limit = self.timeout?;
        self.entries
            .iter()
            .filter(|(id, _)| !in_flight.contains(*id))
            .map(|(_, e)| e.since + limit)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_backs_off_for_long_runners() {
        let w = WatchList::new(Duration::from_secs(5), Duration::from_secs(60), None);
        assert_eq!(w.interval_for(Duration::ZERO), Duration::from_secs(5));
        assert_eq!(
            w.interval_for(Duration::from_secs(120)),
            Duration::from_secs(10)
        );
        assert_eq!(
            w.interval_for(Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn failed_questions_back_off_up_to_five_minutes() {
        let now = Instant::now();
        let mut w = WatchList::new(Duration::from_secs(5), Duration::from_secs(60), None);
        let mut waits = Vec::new();
        for _ in 0..12 {
            w.schedule_after_error("a", now);
            let due = w.next_due().expect("scheduled");
            waits.push(due - now);
        }
        // Equal jitter: each wait is between half and all of 10 s × 2^n, capped.
        for (n, wait) in waits.iter().enumerate() {
            let full = Duration::from_secs(10)
                .saturating_mul(1 << n.min(16))
                .min(ERROR_BACKOFF_MAX);
            assert!(*wait >= full / 2 && *wait <= full, "{n}: {wait:?}");
        }
        assert!(waits[11] >= ERROR_BACKOFF_MAX / 2);
        // An answer resets the streak.
        w.schedule("a", now);
        w.schedule_after_error("a", now);
        assert!(w.next_due().expect("due") - now <= Duration::from_secs(10));
    }

    #[test]
    fn due_ids_are_taken_once_and_expire() {
        let now = Instant::now();
        let mut w = WatchList::new(
            Duration::from_secs(5),
            Duration::from_secs(60),
            Some(Duration::from_secs(30)),
        );
        w.schedule("a", now);
        w.schedule("b", now + Duration::from_millis(500));
        assert!(w.take_due(now).is_empty());
        let later = now + Duration::from_secs(5);
        assert_eq!(w.take_due(later), vec!["a".to_owned(), "b".to_owned()]);
        assert!(
            w.take_due(later).is_empty(),
            "taken ids wait for their answer"
        );
        assert!(w.contains("a"));
        assert_eq!(
            w.take_expired(now + Duration::from_secs(30), &HashSet::new()),
            vec!["a".to_owned()]
        );
        assert_eq!(w.len(), 1);
    }

    /// A running task whose creation time reads as unknown (here the year 9999) used to be
    /// asked about for as long as the app ran, with no time limit set: it is now given up
    /// 72 h after it was first watched, as a known one is 72 h after its creation.
    #[test]
    fn a_task_of_unknown_age_is_not_watched_forever() {
        let running = |created_at: &str| {
            let v = serde_json::json!({"id": "a", "created_at": created_at,
                "response": {"success": true, "data": {"status": "running"}}});
            TaskRecord::from_value(v).expect("record")
        };
        let unknown = running("9999-01-01T00:00:00Z");
        assert_eq!(unknown.created_at, None);
        let recent = crate::api::format_rfc3339(crate::task::unix_now() - 60.0).expect("a time");
        let known = running(&recent);
        assert!(known.created_at.is_some());

        let mut w = WatchList::new(Duration::from_secs(5), Duration::from_secs(60), None);
        let start = Instant::now();
        assert!(w.keeps_asking("a", &unknown, start), "not watched yet");
        w.schedule("a", start);
        let hour = Duration::from_secs(3600);
        assert!(w.keeps_asking("a", &unknown, start + hour));
        assert!(!w.keeps_asking("a", &unknown, start + 73 * hour));
        assert!(
            w.keeps_asking("a", &known, start + 73 * hour),
            "its age is known"
        );
    }
}
