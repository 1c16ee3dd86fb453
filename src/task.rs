//! What the app knows about one task id: the last record, or the outcome that stands in
//! for one (not found, an error). Shared by the CLI's output and the window's task book.

use crate::api::{ApiError, Status, TaskRecord, format_local, format_rfc3339};
use crate::library::SavedTask;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// What one round of asking found out about one id. The engine produces it; the task
/// model is what gives it meaning, so it lives here.
#[derive(Debug, Clone)]
pub enum Outcome {
    Found(Arc<TaskRecord>),
    NotFound,
    /// Asking failed after the retries (or was not attempted because querying stopped on an
    /// auth error). The error is shared by every id of the batch.
    Error(Arc<ApiError>),
}

/// The API answered "not found" for a task it had sent a record for (deleted, expired
/// from its store, or asked of another account's token). The record is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Vanished {
    /// Unix seconds of the last answer that carried the record; `None` when not known
    /// (a task loaded from the history whose last answer was an error).
    pub last_seen: Option<f64>,
    /// The reason text, made once: the reason column borrows it for 100 000 rows.
    message: String,
}

impl Vanished {
    /// Also what a history loader calls to restore the mark.
    pub fn new(last_seen: Option<f64>) -> Self {
        let message = match last_seen.and_then(format_local) {
            Some(when) => format!("the API no longer knows this task (last seen {when})"),
            None => "the API no longer knows this task".to_owned(),
        };
        Self { last_seen, message }
    }

    /// "the API no longer knows this task (last seen 2026-11-29 14:03:07)".
    pub fn message(&self) -> &str {
        &self.message
    }
}

#[derive(Debug, Clone)]
pub struct TaskEntry {
    pub id: String,
    pub status: Status,
    /// The last record the API sent; kept when a later question fails, so the row still
    /// shows what was known.
    pub record: Option<Arc<TaskRecord>>,
    /// What the user wrote about the task (kept in the history, exported).
    pub note: String,
    /// The error of the last question, if it failed.
    pub error: Option<Arc<ApiError>>,
    /// Unix seconds of the last answer.
    pub checked_at: Option<f64>,
    /// Watched past the time limit without finishing.
    pub timed_out: bool,
    /// Not asked about yet, or being asked.
    pub awaiting: bool,
    /// Unix seconds of the last answer that carried a record.
    pub seen_at: Option<f64>,
    /// Set when the API stopped knowing a task it had answered about: `status` is then
    /// `NotFound` while `record` keeps the last one (and its links).
    pub vanished: Option<Vanished>,
    /// The task's files in the local library as recorded when they were saved (kept in
    /// the history): the window counts the task saved when one `stat` shows its video at
    /// this size, without asking the library's sidecars. An answer from the API leaves it.
    pub saved: Option<Arc<SavedTask>>,
}

pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl TaskEntry {
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            status: Status::Pending,
            record: None,
            note: String::new(),
            error: None,
            checked_at: None,
            timed_out: false,
            awaiting: true,
            seen_at: None,
            vanished: None,
            saved: None,
        }
    }

    pub fn apply(&mut self, outcome: Outcome) {
        let previous_check = self.checked_at;
        let previous_error = self.error.is_some();
        self.awaiting = false;
        self.checked_at = Some(unix_now());
        match outcome {
            Outcome::Found(record) => {
                // A late answer (the watch gave up while it was in flight) keeps the mark
                // unless the task did finish.
                self.timed_out = self.timed_out && record.status.is_unfinished();
                self.status = record.status.clone();
                self.record = Some(record);
                self.error = None;
                self.seen_at = self.checked_at;
                self.vanished = None;
            }
            Outcome::NotFound => {
                self.status = Status::NotFound;
                self.error = None;
                // A task that was known is not erased: its record and links stay, marked.
                if self.record.is_some() && self.vanished.is_none() {
                    // Loaded from the history, the last check is the last sighting unless
                    // that check failed.
                    let last_seen = self.seen_at.or(previous_check.filter(|_| !previous_error));
                    self.vanished = Some(Vanished::new(last_seen));
                }
            }
            Outcome::Error(error) => {
                if self.record.is_none() {
                    self.status = Status::Error;
                }
                self.error = Some(error);
            }
        }
    }

    /// Still worth asking about: unfinished, never answered, or the last question failed
    /// before any record came (after a restart these are asked again; finished ones not).
    pub fn is_unfinished(&self) -> bool {
        self.status.is_unfinished() || self.awaiting || self.status == Status::Error
    }

    /// (code, message) of the failure: the task's own, else the error of the call.
    /// Borrowed: the reason column sorts 100 000 rows by it.
    pub fn reason(&self) -> (Option<&str>, Option<&str>) {
        // The record's own failure is older news than "the API no longer knows it".
        if let Some(v) = &self.vanished
            && self.error.is_none()
        {
            return (Some("not_found"), Some(v.message()));
        }
        if let Some(f) = self.record.as_ref().and_then(|r| r.failure.as_ref()) {
            return (f.code.as_deref(), f.message.as_deref());
        }
        if let Some(e) = &self.error {
            let code = e.code.as_deref().unwrap_or(e.kind.as_str());
            return (Some(code), Some(e.message.as_str()));
        }
        if self.status == Status::NotFound {
            return (
                Some("not_found"),
                Some("the API does not know this task id"),
            );
        }
        (None, None)
    }

    /// One line of the text shown in the grid's reason column.
    pub fn reason_text(&self) -> String {
        match self.reason() {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(x), None) | (None, Some(x)) => x.to_owned(),
            (None, None) => String::new(),
        }
    }

    pub fn trace_id(&self) -> Option<&str> {
        self.record
            .as_ref()
            .and_then(|r| r.trace_id.as_deref())
            .or_else(|| self.error.as_ref().and_then(|e| e.trace_id.as_deref()))
    }

    /// Elapsed seconds: the record's, or the time since creation for a task still running.
    pub fn elapsed(&self, now: f64) -> Option<f64> {
        let r = self.record.as_ref()?;
        r.elapsed.or_else(|| {
            if r.status.is_unfinished() {
                // Decades since creation is a broken clock, not a running task.
                r.created_at
                    .and_then(|c| crate::api::plausible_duration((now - c).max(0.0)))
            } else {
                None
            }
        })
    }

    /// The object of `--json` (and of the window's JSON export): stable field names.
    pub fn to_json(&self) -> Value {
        let r = self.record.as_deref();
        let (error_code, error_message) = self.reason();
        json!({
            "id": self.id,
            "status": self.status.as_str(),
            "model": r.and_then(|r| r.model.as_deref()),
            "created_at": r.and_then(|r| r.created_at).and_then(format_rfc3339),
            "finished_at": r.and_then(|r| r.finished_at).and_then(format_rfc3339),
            "elapsed_seconds": r.and_then(|r| r.elapsed),
            "prompt": r.and_then(|r| r.prompt.as_deref()),
            "video_url": r.and_then(|r| r.video_url.as_deref()),
            "last_frame_url": r.and_then(|r| r.last_frame_url.as_deref()),
            "error_code": error_code,
            "error_message": error_message,
            "trace_id": self.trace_id(),
            "upstream_id": r.and_then(|r| r.upstream_id.as_deref()),
            "timed_out": self.timed_out,
            "note": (!self.note.is_empty()).then_some(self.note.as_str()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorKind;

    fn record(id: &str, status: &str) -> Arc<TaskRecord> {
        let v = json!({"id": id, "response": {"success": true, "data": {
            "status": status, "video_url": format!("https://cdn.example/{id}.mp4")}}});
        Arc::new(TaskRecord::from_value(v).expect("record"))
    }

    #[test]
    fn a_task_never_seen_is_plain_not_found() {
        let mut t = TaskEntry::new("a");
        t.apply(Outcome::NotFound);
        assert_eq!(t.status, Status::NotFound);
        assert!(t.record.is_none() && t.vanished.is_none());
        assert_eq!(
            t.reason(),
            (
                Some("not_found"),
                Some("the API does not know this task id")
            )
        );
    }

    #[test]
    fn a_known_task_keeps_its_record_when_the_api_forgets_it() {
        let mut t = TaskEntry::new("a");
        t.apply(Outcome::Found(record("a", "succeeded")));
        let seen = t.seen_at.expect("seen");
        t.apply(Outcome::NotFound);
        assert_eq!(t.status, Status::NotFound);
        assert!(!t.is_unfinished(), "nothing left to wait for");
        let r = t.record.as_ref().expect("the record is kept");
        assert_eq!(r.video_url.as_deref(), Some("https://cdn.example/a.mp4"));
        let v = t.vanished.clone().expect("marked");
        assert_eq!(v.last_seen, Some(seen));
        assert!(
            v.message()
                .starts_with("the API no longer knows this task (last seen 2")
        );
        assert_eq!(t.reason(), (Some("not_found"), Some(v.message())));
        assert_eq!(t.to_json()["video_url"], "https://cdn.example/a.mp4");
        assert_eq!(t.to_json()["status"], "not_found");

        // Asked again, still gone: the first sighting date stays.
        t.apply(Outcome::NotFound);
        assert_eq!(t.vanished, Some(v));
        // Back again: the mark goes.
        t.apply(Outcome::Found(record("a", "succeeded")));
        assert_eq!(t.status, Status::Succeeded);
        assert!(t.vanished.is_none());
    }

    #[test]
    fn last_seen_of_a_task_from_the_history_is_its_last_good_check() {
        // As the history loads one: a record and when it was checked, no `seen_at`.
        let mut t = TaskEntry::new("a");
        t.record = Some(record("a", "running"));
        t.status = Status::Running;
        t.awaiting = false;
        t.checked_at = Some(1_766_329_436.0);
        t.apply(Outcome::NotFound);
        assert_eq!(
            t.vanished.as_ref().and_then(|v| v.last_seen),
            Some(1_766_329_436.0)
        );

        let mut t = TaskEntry::new("b");
        t.record = Some(record("b", "running"));
        t.checked_at = Some(1_766_329_436.0);
        t.apply(Outcome::Error(Arc::new(ApiError::new(
            ErrorKind::Network,
            "down",
        ))));
        t.apply(Outcome::NotFound);
        let v = t.vanished.expect("marked");
        assert_eq!(v.last_seen, None, "the last check failed: no date is known");
        assert_eq!(v.message(), "the API no longer knows this task");
    }
}
