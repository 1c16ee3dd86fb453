//! What the subcommands share about the tasks they print.

use crate::task::{TaskEntry, unix_now};

/// Unfinished 72 h after creation: no longer asked, and `wait` stops waiting for it.
pub(super) fn is_stale(t: &TaskEntry) -> bool {
    t.record.as_ref().is_some_and(|r| r.is_stale(unix_now()))
}

/// `--json`'s object, with `stale` beside the status it qualifies.
pub(super) fn json_line(t: &TaskEntry) -> serde_json::Value {
    let mut line = t.to_json();
    line["stale"] = is_stale(t).into();
    line
}
