//! What the app knows about one task id: the last record, or the outcome that stands in
//! for one (not found, an error). Shared by the CLI's output and the window's task book.

use crate::api::{ApiError, Status, TaskRecord, format_rfc3339};
use crate::engine::Outcome;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

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
        }
    }

    pub fn apply(&mut self, outcome: Outcome) {
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
            }
            Outcome::NotFound => {
                self.status = Status::NotFound;
                self.record = None;
                self.error = None;
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
                r.created_at.map(|c| (now - c).max(0.0))
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
