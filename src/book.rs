//! The task book: every task the window knows, keyed by id, and the order the grid shows
//! them in. Pure (no I/O, no egui) so sorting is tested and benchmarked without a window.
//! The order is a permutation of indices, recomputed only when data or sort change.

use crate::api::Status;
use crate::engine::Outcome;
use crate::task::{TaskEntry, unix_now};
use std::cmp::Ordering;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Status,
    Id,
    Model,
    Created,
    Elapsed,
    Prompt,
    Video,
    LastFrame,
    Reason,
    TraceId,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Column::Status,
        Column::Id,
        Column::Model,
        Column::Created,
        Column::Elapsed,
        Column::Prompt,
        Column::Video,
        Column::LastFrame,
        Column::Reason,
        Column::TraceId,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Status => "Status",
            Self::Id => "Task id",
            Self::Model => "Model",
            Self::Created => "Created",
            Self::Elapsed => "Elapsed",
            Self::Prompt => "Prompt",
            Self::Video => "Video",
            Self::LastFrame => "Last frame",
            Self::Reason => "Reason",
            Self::TraceId => "Trace id",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    pub ascending: bool,
}

impl Default for Sort {
    /// Newest first: what was just pasted is what a person looks for.
    fn default() -> Self {
        Self {
            column: Column::Created,
            ascending: false,
        }
    }
}

#[derive(Debug, Default)]
pub struct TaskBook {
    entries: Vec<TaskEntry>,
    index: HashMap<String, usize>,
    sort: Sort,
    order: Vec<usize>,
    order_dirty: bool,
}

/// Missing values sort last in both directions: a blank cell is never the "largest".
fn cmp_opt<T, F: Fn(&T, &T) -> Ordering>(a: Option<T>, b: Option<T>, asc: bool, f: F) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => {
            let o = f(&a, &b);
            if asc { o } else { o.reverse() }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn cmp_f64(a: &f64, b: &f64) -> Ordering {
    a.total_cmp(b)
}

impl TaskBook {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&TaskEntry> {
        self.index.get(id).map(|&i| &self.entries[i])
    }

    pub fn entries(&self) -> &[TaskEntry] {
        &self.entries
    }

    /// Adds ids not yet in the book (marked as awaiting an answer) and marks the known
    /// ones as being refreshed. Returns how many were new.
    pub fn add_ids(&mut self, ids: &[String]) -> usize {
        let mut added = 0;
        for id in ids {
            match self.index.get(id) {
                Some(&i) => self.entries[i].awaiting = true,
                None => {
                    self.index.insert(id.clone(), self.entries.len());
                    self.entries.push(TaskEntry::new(id.clone()));
                    added += 1;
                }
            }
        }
        if added > 0 {
            self.order_dirty = true;
        }
        added
    }

    /// Records the outcomes of one batch. Ids the book does not hold (removed meanwhile)
    /// are ignored. Returns the ids whose task reached a finished state with this batch.
    pub fn apply(&mut self, outcomes: Vec<(String, Outcome)>) -> Vec<String> {
        let mut finished = Vec::new();
        for (id, outcome) in outcomes {
            let Some(&i) = self.index.get(&id) else {
                continue;
            };
            let entry = &mut self.entries[i];
            let was_unfinished = entry.status.is_unfinished();
            entry.apply(outcome);
            if was_unfinished && !entry.status.is_unfinished() && entry.record.is_some() {
                finished.push(id);
            }
        }
        self.order_dirty = true;
        finished
    }

    pub fn mark_timed_out(&mut self, ids: &[String]) {
        for id in ids {
            if let Some(&i) = self.index.get(id) {
                self.entries[i].timed_out = true;
            }
        }
    }

    /// Ids that have not reached a finished state (including those never answered).
    pub fn unfinished_ids(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| e.is_unfinished())
            .map(|e| e.id.clone())
            .collect()
    }

    pub fn all_ids(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.id.clone()).collect()
    }

    pub fn sort(&self) -> Sort {
        self.sort
    }

    /// A click on a header: the same column flips direction, another starts ascending
    /// (descending for times, where newest / longest first is what people want).
    pub fn click_header(&mut self, column: Column) {
        self.sort = if self.sort.column == column {
            Sort {
                column,
                ascending: !self.sort.ascending,
            }
        } else {
            let ascending = !matches!(column, Column::Created | Column::Elapsed);
            Sort { column, ascending }
        };
        self.order_dirty = true;
    }

    pub fn set_sort(&mut self, sort: Sort) {
        self.sort = sort;
        self.order_dirty = true;
    }

    /// The display order (indices into `entries`), recomputed if stale.
    pub fn order(&mut self) -> &[usize] {
        if self.order_dirty || self.order.len() != self.entries.len() {
            self.recompute_order();
        }
        &self.order
    }

    /// The entry shown at `row`, after `order()` has been called this frame.
    pub fn row(&self, row: usize) -> Option<&TaskEntry> {
        self.order.get(row).and_then(|&i| self.entries.get(i))
    }

    /// Ids in display order.
    pub fn ids_in_order(&mut self) -> Vec<String> {
        self.order();
        self.order
            .iter()
            .map(|&i| self.entries[i].id.clone())
            .collect()
    }

    fn recompute_order(&mut self) {
        let entries = &self.entries;
        let Sort {
            column,
            ascending: asc,
        } = self.sort;
        let now = unix_now();
        let mut order: Vec<usize> = (0..entries.len()).collect();
        let text = |f: fn(&TaskEntry) -> Option<&str>| {
            move |a: &usize, b: &usize| {
                cmp_opt(f(&entries[*a]), f(&entries[*b]), asc, |x, y| x.cmp(y))
            }
        };
        // `sort_by` is stable: equal keys keep the order tasks were added in.
        match column {
            Column::Status => order.sort_by(|a, b| {
                let (x, y) = (&entries[*a].status, &entries[*b].status);
                let o = x
                    .rank()
                    .cmp(&y.rank())
                    .then_with(|| x.as_str().cmp(y.as_str()));
                if asc { o } else { o.reverse() }
            }),
            Column::Id => order.sort_by(|a, b| {
                let o = entries[*a].id.cmp(&entries[*b].id);
                if asc { o } else { o.reverse() }
            }),
            Column::Model => order.sort_by(text(|e| e.record.as_ref()?.model.as_deref())),
            Column::Prompt => order.sort_by(text(|e| e.record.as_ref()?.prompt.as_deref())),
            Column::TraceId => order.sort_by(text(|e| e.trace_id())),
            Column::Video => order.sort_by(text(|e| e.record.as_ref()?.video_url.as_deref())),
            Column::LastFrame => {
                order.sort_by(text(|e| e.record.as_ref()?.last_frame_url.as_deref()))
            }
            Column::Created => order.sort_by(|a, b| {
                let f = |i: &usize| entries[*i].record.as_ref().and_then(|r| r.created_at);
                cmp_opt(f(a), f(b), asc, cmp_f64)
            }),
            Column::Elapsed => {
                let keys: Vec<Option<f64>> = entries.iter().map(|e| e.elapsed(now)).collect();
                order.sort_by(|a, b| cmp_opt(keys[*a], keys[*b], asc, cmp_f64));
            }
            Column::Reason => {
                let keys: Vec<String> = entries.iter().map(TaskEntry::reason_text).collect();
                order.sort_by(|a, b| {
                    let k = |i: &usize| Some(keys[*i].as_str()).filter(|s| !s.is_empty());
                    cmp_opt(k(a), k(b), asc, |x, y| x.cmp(y))
                });
            }
        }
        self.order = order;
        self.order_dirty = false;
    }

    /// (status, count) for every status present, in the grid's status order.
    pub fn counts(&self) -> Vec<(Status, usize)> {
        let mut counts: HashMap<&Status, usize> = HashMap::new();
        for e in &self.entries {
            *counts.entry(&e.status).or_default() += 1;
        }
        let mut list: Vec<(Status, usize)> =
            counts.into_iter().map(|(s, n)| (s.clone(), n)).collect();
        // Successes first in the summary line: it reads "12 succeeded · 3 running · 1 failed".
        list.sort_by_key(|(s, _)| (std::cmp::Reverse(s.rank()), s.as_str().to_owned()));
        list
    }

    /// "12 succeeded · 3 running · 1 failed · 2 not found".
    pub fn summary(&self) -> String {
        self.counts()
            .iter()
            .map(|(s, n)| format!("{n} {}", s.as_str().replace('_', " ")))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::TaskRecord;
    use serde_json::json;

    fn found(id: &str, status: &str, created: f64, model: &str) -> (String, Outcome) {
        let v = json!({"id": id, "created_at": created, "request": {"model": model},
                       "response": {"success": true, "data": {"status": status}}});
        (
            id.to_owned(),
            Outcome::Found(Box::new(TaskRecord::from_value(v).expect("record"))),
        )
    }

    fn book() -> TaskBook {
        let mut b = TaskBook::new();
        let ids: Vec<String> = ["a", "b", "c", "d", "e"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(b.add_ids(&ids), 5);
        b.apply(vec![
            found("a", "succeeded", 100.0, "m2"),
            found("b", "running", 300.0, "m1"),
            found("c", "failed", 200.0, "m1"),
            ("d".into(), Outcome::NotFound),
            found("e", "succeeded", 300.0, "m3"),
        ]);
        b
    }

    #[test]
    fn default_sort_is_newest_first_with_blanks_last() {
        let mut b = book();
        assert_eq!(b.ids_in_order(), ["b", "e", "c", "a", "d"]);
        b.click_header(Column::Created);
        assert_eq!(
            b.sort(),
            Sort {
                column: Column::Created,
                ascending: true
            }
        );
        assert_eq!(
            b.ids_in_order(),
            ["a", "c", "b", "e", "d"],
            "ties stable, blank last"
        );
    }

    #[test]
    fn status_sorts_by_meaning_and_flips() {
        let mut b = book();
        b.click_header(Column::Status);
        assert_eq!(b.ids_in_order(), ["c", "d", "b", "a", "e"]);
        b.click_header(Column::Status);
        assert_eq!(b.ids_in_order(), ["a", "e", "b", "d", "c"]);
    }

    #[test]
    fn text_columns_and_counts() {
        let mut b = book();
        b.click_header(Column::Model);
        assert_eq!(b.ids_in_order(), ["b", "c", "a", "e", "d"]);
        assert_eq!(
            b.summary(),
            "2 succeeded · 1 running · 1 not found · 1 failed"
        );
    }

    #[test]
    fn readding_refreshes_instead_of_duplicating() {
        let mut b = book();
        assert_eq!(b.add_ids(&["a".into(), "z".into()]), 1);
        assert_eq!(b.len(), 6);
        assert!(b.get("a").is_some_and(|e| e.awaiting));
        let finished = b.apply(vec![
            found("b", "succeeded", 300.0, "m1"),
            found("z", "queued", 1.0, "m"),
        ]);
        assert_eq!(finished, ["b"]);
        assert_eq!(b.unfinished_ids(), ["a", "z"]);
        b.apply(vec![("gone".into(), Outcome::NotFound)]);
        assert_eq!(b.len(), 6);
    }
}
