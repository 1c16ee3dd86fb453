//! Which tasks changed since the history writer last took them, so a write costs the
//! changed tasks and not the whole book.

use crate::api::{ApiError, Status, TaskRecord};
use crate::store::Change;
use crate::task::TaskEntry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

#[derive(Debug, Default)]
pub(super) struct Changes {
    /// Added, changed or removed (the book tells which by whether it still holds the id).
    changed: HashSet<String>,
    /// Asked again with an unchanged answer: only "last asked" moved.
    asked: HashSet<String>,
}

/// What the history keeps of a task besides its id, note and "last asked": cheap to take
/// (shared pointers) before an answer is applied.
pub(super) struct Saved {
    status: Status,
    record: Option<Arc<TaskRecord>>,
    error: Option<Arc<ApiError>>,
}

impl Saved {
    pub(super) fn of(e: &TaskEntry) -> Self {
        Self {
            status: e.status.clone(),
            record: e.record.clone(),
            error: e.error.clone(),
        }
    }

    fn same_as(&self, e: &TaskEntry) -> bool {
        let same_record = match (&self.record, &e.record) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
            (None, None) => true,
            _ => false,
        };
        // The fields of an error the history stores; a new trace id alone is no change.
        let same_error = match (&self.error, &e.error) {
            (Some(a), Some(b)) => {
                Arc::ptr_eq(a, b)
                    || (a.code == b.code
                        && a.message == b.message
                        && a.http_status == b.http_status)
            }
            (None, None) => true,
            _ => false,
        };
        self.status == e.status && same_record && same_error
    }
}

impl Changes {
    pub(super) fn changed(&mut self, id: &str) {
        self.asked.remove(id);
        self.changed.insert(id.to_owned());
    }

    /// Records an answer for `id`; returns whether it changed what the history keeps.
    pub(super) fn compare(&mut self, id: &str, before: &Saved, now: &TaskEntry) -> bool {
        if before.same_as(now) {
            if !self.changed.contains(id) {
                self.asked.insert(id.to_owned());
            }
            false
        } else {
            self.changed(id);
            true
        }
    }

    pub(super) fn has_asks(&self) -> bool {
        !self.asked.is_empty()
    }

    /// The changes in a stable order: removals, then tasks in the book's order.
    pub(super) fn take(
        &mut self,
        with_asked: bool,
        index: &HashMap<String, usize>,
        entries: &[Arc<TaskEntry>],
    ) -> Vec<Change> {
        let mut ids = std::mem::take(&mut self.changed);
        if with_asked {
            ids.extend(std::mem::take(&mut self.asked));
        }
        let mut removed = Vec::new();
        let mut present = Vec::new();
        for id in ids {
            match index.get(&id) {
                Some(&i) => present.push(i),
                None => removed.push(id),
            }
        }
        removed.sort();
        present.sort_unstable();
        removed
            .into_iter()
            .map(Change::Removed)
            .chain(
                present
                    .into_iter()
                    .filter_map(|i| entries.get(i).cloned())
                    .map(Change::Upsert),
            )
            .collect()
    }
}
