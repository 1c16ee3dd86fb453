//! Following the account: asking the listing again, on a schedule, for tasks created since
//! the newest one seen, and handing back each new task once. The CLI's `list --follow`
//! and the window's "Follow my account" both ask through `EngineHandle::follow`.

use super::listing::{ListRequest, newest_first};
use crate::api::{ApiError, ListScope, TaskRecord};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// What one follow question brought that was not handed out before: the new tasks, oldest
/// first, and the new listed records that could not be read, each by id with why (so they
/// are shown as errors, not dropped); and the listing's counts of items that named no
/// task and of items past the page size, so that those are said too.
#[derive(Debug, Default)]
pub struct Followed {
    pub tasks: Vec<TaskRecord>,
    pub unreadable: Vec<(String, Arc<ApiError>)>,
    pub nameless: usize,
    pub beyond_limit: usize,
}

/// How often to ask by default: tasks take minutes, and each question is a listing call.
pub const FOLLOW_INTERVAL: Duration = Duration::from_secs(30);

/// Never more often than this (see [`min_follow_interval`] for the one exception).
pub const MIN_FOLLOW_INTERVAL: Duration = Duration::from_secs(10);

/// Each question reaches this far before the newest task seen: a task whose record the
/// API writes a little late, or a clock a little off, is still caught.
pub const FOLLOW_OVERLAP: Duration = Duration::from_secs(60);

/// The environment variable with which tests lower the floor (in milliseconds) so that a
/// follow can be watched in a second instead of a minute. Not for people: the API's rate
/// limit is per token, and the gain of asking more often is nothing.
pub const TEST_FLOOR_ENV: &str = "SEEDANCE_TEST_FOLLOW_FLOOR_MS";

/// The shortest interval allowed: [`MIN_FOLLOW_INTERVAL`], or what [`TEST_FLOOR_ENV`] says.
pub fn min_follow_interval() -> Duration {
    std::env::var(TEST_FLOOR_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(MIN_FOLLOW_INTERVAL, Duration::from_millis)
}

/// `wanted`, raised to the floor.
pub fn follow_interval(wanted: Duration) -> Duration {
    wanted.max(min_follow_interval())
}

/// What a follow has seen, and the questions it asks next.
#[derive(Debug, Clone)]
pub struct Follower {
    /// Tasks created before this are not the follow's business (Unix seconds).
    start: f64,
    /// The newest creation time seen (Unix seconds).
    newest: f64,
    /// Ids already handed out, with their creation time (to forget them once they are
    /// far behind the overlap).
    seen: HashMap<String, f64>,
    scope: ListScope,
}

impl Follower {
    /// Follows tasks created from `start` on (Unix seconds; the moment the first listing
    /// began). `already` are tasks already shown, which are never handed out again.
    pub fn new(start: f64, scope: ListScope, already: &[TaskRecord]) -> Self {
        let mut follower = Self {
            start,
            newest: start,
            seen: HashMap::new(),
            scope,
        };
        follower.remember(already);
        follower
    }

    /// Tasks already handed out elsewhere (a listing the window loaded): not new.
    pub fn remember(&mut self, records: &[TaskRecord]) {
        for r in records {
            let created = r.created_at.unwrap_or(self.newest);
            self.newest = self.newest.max(created);
            self.seen.insert(r.id.clone(), created);
        }
        let horizon = self.newest - 2.0 * FOLLOW_OVERLAP.as_secs_f64();
        self.seen.retain(|_, created| *created >= horizon);
    }

    /// The next question: from the newest task seen, minus the overlap, to now.
    pub fn request(&self) -> ListRequest {
        ListRequest {
            scope: self.scope.clone(),
            ..ListRequest::new(self.newest - FOLLOW_OVERLAP.as_secs_f64())
        }
    }

    /// Of a listing's answer, the tasks not handed out before and created since the start,
    /// oldest first; they are remembered as handed out.
    pub fn take_new(&mut self, listed: Vec<TaskRecord>) -> Vec<TaskRecord> {
        let mut fresh: Vec<TaskRecord> = listed
            .into_iter()
            .filter(|r| !self.seen.contains_key(&r.id))
            .filter(|r| r.created_at.is_none_or(|c| c >= self.start))
            .collect();
        fresh.sort_by(|a, b| newest_first(b, a));
        self.remember(&fresh);
        fresh
    }

    /// Of the listed records that could not be read, those not handed out before. They
    /// have no creation time the follow can trust: each is remembered at the newest time
    /// seen, so it is handed out once and forgotten with the tasks of that time.
    pub fn take_new_unreadable(
        &mut self,
        listed: Vec<(String, Arc<ApiError>)>,
    ) -> Vec<(String, Arc<ApiError>)> {
        let fresh: Vec<_> = listed
            .into_iter()
            .filter(|(id, _)| !self.seen.contains_key(id))
            .collect();
        for (id, _) in &fresh {
            self.seen.insert(id.clone(), self.newest);
        }
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(id: &str, created: f64) -> TaskRecord {
        TaskRecord::from_value(json!({"id": id, "created_at": created})).expect("record")
    }

    #[test]
    fn an_unreadable_record_is_handed_out_once() {
        let mut f = Follower::new(100.0, ListScope::default(), &[task("a", 150.0)]);
        let bad = |id: &str| {
            (
                id.to_owned(),
                Arc::new(ApiError::new(
                    crate::api::ErrorKind::Decode,
                    "the API's record could not be read",
                )),
            )
        };
        let first = f.take_new_unreadable(vec![bad("x")]);
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].0, "x");
        let again = f.take_new_unreadable(vec![bad("x"), bad("y")]);
        let ids: Vec<&str> = again.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["y"], "x was handed out before");
    }

    #[test]
    fn each_new_task_is_handed_out_once_oldest_first() {
        let mut f = Follower::new(1000.0, ListScope::default(), &[task("old", 990.0)]);
        assert_eq!(f.request().created_from, 940.0);
        let new = f.take_new(vec![
            task("b", 1020.0),
            task("old", 990.0),
            task("a", 1010.0),
        ]);
        let ids: Vec<&str> = new.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(f.request().created_from, 960.0);
        assert!(
            f.take_new(vec![task("a", 1010.0), task("b", 1020.0)])
                .is_empty()
        );
        // Created before the follow started and not shown: not the follow's business.
        assert!(f.take_new(vec![task("before", 999.0)]).is_empty());
    }

    #[test]
    fn the_floor_holds() {
        if std::env::var_os(TEST_FLOOR_ENV).is_none() {
            assert_eq!(follow_interval(Duration::from_secs(1)), MIN_FOLLOW_INTERVAL);
            assert_eq!(follow_interval(FOLLOW_INTERVAL), FOLLOW_INTERVAL);
        }
    }
}
