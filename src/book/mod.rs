//! The task book: every task the window knows, keyed by id, and the order the grid shows
//! them in. Pure (no I/O, no egui) so sorting is tested and benchmarked without a window.
//! The order is a permutation of indices, recomputed only when data or sort change.

mod changes;
mod failures;
mod haystacks;
mod sort;
mod view;

pub use failures::{FailureGroup, failure_groups};
pub use view::{Column, Filter, Sort};

use crate::api::Status;
use crate::library::SavedTask;
use crate::task::{Outcome, TaskEntry, unix_now};
use changes::Changes;
use haystacks::Haystacks;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct TaskBook {
    /// Shared, so the history writer's snapshot is a copy of pointers (measured: cloning
    /// 100 000 entries took 19 ms of the window's frame); a change to an entry the writer
    /// still holds copies that one entry (`Arc::make_mut`).
    entries: Vec<Arc<TaskEntry>>,
    /// Lower-cased "id prompt model reason trace" per entry, rebuilt when the entry
    /// changes, so a keystroke in the search box scans memory instead of formatting.
    haystacks: Haystacks,
    index: HashMap<String, usize>,
    sort: Sort,
    filter: Filter,
    /// Every index, sorted: filtering a keystroke only walks this, it never re-sorts.
    sorted: Vec<usize>,
    sorted_dirty: bool,
    totals_dirty: bool,
    order: Vec<usize>,
    order_dirty: bool,
    /// The filter `order` was made with, to narrow instead of rescanning while typing.
    applied: Filter,
    /// Derived with the order, so a frame reads them instead of scanning every task.
    counts: Vec<(Status, usize, usize)>,
    /// Each entry's place in `counts`, so counting the shown rows reads 4 bytes per row
    /// instead of visiting every entry.
    count_slots: Vec<u32>,
    models: Vec<String>,
    /// Bumped at each recompute: lets the window cache what it derives from the book.
    revision: u64,
    /// Bumped whenever a task is added, removed or changed: the history writer compares
    /// it with the one it last saved instead of being told by hand at every change.
    generation: u64,
    /// Which tasks changed since the history writer last took them.
    changes: Changes,
}

fn haystack(e: &TaskEntry) -> String {
    let r = e.record.as_deref();
    let mut s = String::with_capacity(256);
    for part in [
        Some(e.id.as_str()),
        r.and_then(|r| r.prompt.as_deref()),
        r.and_then(|r| r.model.as_deref()),
        e.trace_id(),
        Some(e.note.as_str()),
    ]
    .into_iter()
    .flatten()
    {
        s.push_str(part);
        s.push('\n');
    }
    s.push_str(&e.reason_text());
    s.to_lowercase()
}

impl TaskBook {
    pub fn new() -> Self {
        Self::default()
    }

    /// The data changed: everything derived is stale.
    fn mark_dirty(&mut self) {
        self.generation += 1;
        self.totals_dirty = true;
        self.sorted_dirty = true;
        self.order_dirty = true;
    }

    fn push(&mut self, entry: Arc<TaskEntry>) {
        self.index.insert(entry.id.clone(), self.entries.len());
        self.haystacks.push(&haystack(&entry));
        self.entries.push(entry);
    }

    /// Restores tasks (an undo, the rows set aside for the demo); ids already present are
    /// kept as they are.
    pub fn extend(&mut self, entries: Vec<TaskEntry>) {
        for e in entries {
            if !self.index.contains_key(&e.id) {
                self.changes.changed(&e.id);
                self.push(Arc::new(e));
            }
        }
        self.mark_dirty();
    }

    /// Restores tasks just read from the history: as `extend`, but they are not changes
    /// (the history holds them already). A task pasted while the history was loading
    /// keeps its row and takes what only the history knows of it, which no answer of the
    /// API brings back: the user's note and the task's saved files.
    pub fn extend_saved(&mut self, entries: Vec<TaskEntry>) {
        for e in entries {
            match self.index.get(&e.id) {
                None => self.push(Arc::new(e)),
                Some(&i) => {
                    let current = &self.entries[i];
                    let take_note = current.note.is_empty() && !e.note.is_empty();
                    let take_saved = current.saved.is_none() && e.saved.is_some();
                    if take_note || take_saved {
                        let current = Arc::make_mut(&mut self.entries[i]);
                        if take_note {
                            current.note = e.note;
                        }
                        if take_saved {
                            current.saved = e.saved;
                        }
                        self.haystacks.set(i, &haystack(&self.entries[i]));
                    }
                }
            }
        }
        self.mark_dirty();
    }

    /// Removes tasks; returns the removed entries (for an undo).
    pub fn remove(&mut self, ids: &HashSet<String>) -> Vec<TaskEntry> {
        self.remove_where(|e| ids.contains(&e.id))
    }

    /// Removes the finished tasks (succeeded, failed, not found, …).
    pub fn remove_finished(&mut self) -> Vec<TaskEntry> {
        self.remove_where(|e| !e.is_unfinished())
    }

    pub fn remove_where(&mut self, pred: impl Fn(&TaskEntry) -> bool) -> Vec<TaskEntry> {
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.entries)
            .into_iter()
            .partition(|e| pred(e));
        for e in &gone {
            self.changes.changed(&e.id);
        }
        self.index.clear();
        self.haystacks.clear();
        for e in kept {
            self.push(e);
        }
        self.mark_dirty();
        gone.into_iter().map(Arc::unwrap_or_clone).collect()
    }

    pub fn set_note(&mut self, id: &str, note: String) {
        if let Some(&i) = self.index.get(id) {
            Arc::make_mut(&mut self.entries[i]).note = note;
            self.changes.changed(id);
            self.haystacks.set(i, &haystack(&self.entries[i]));
            self.mark_dirty();
        }
    }

    /// Records the task's files in the local library (`None`: it is not saved any more),
    /// for the history to keep. Returns whether it changed: the same files again are not
    /// a change, so the history is not written for them.
    pub fn set_saved(&mut self, id: &str, saved: Option<Arc<SavedTask>>) -> bool {
        let Some(&i) = self.index.get(id) else {
            return false;
        };
        if self.entries[i].saved.as_deref() == saved.as_deref() {
            return false;
        }
        Arc::make_mut(&mut self.entries[i]).saved = saved;
        self.changes.changed(id);
        self.mark_dirty();
        true
    }

    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    pub fn set_filter(&mut self, filter: Filter) {
        if filter != self.filter {
            self.filter = filter;
            // Only the filter changed: the sorted order stays, no re-sort per keystroke.
            self.order_dirty = true;
        }
    }

    /// How many rows the filter lets through (as of the last `refresh()`).
    pub fn shown(&self) -> usize {
        self.order.len()
    }

    /// The models present, sorted, for the model filter (as of the last `refresh()`).
    pub fn models(&self) -> &[String] {
        &self.models
    }

    /// Changes whenever a task was added, removed or changed (what the history saves).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Changes whenever the order, counts or data were recomputed.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&TaskEntry> {
        self.index.get(id).map(|&i| &*self.entries[i])
    }

    pub fn entries(&self) -> &[Arc<TaskEntry>] {
        &self.entries
    }

    /// Every entry, for the history writer: a copy of pointers, not of the tasks.
    pub fn snapshot(&self) -> Vec<Arc<TaskEntry>> {
        self.entries.clone()
    }

    /// What changed since the last call, for the history writer: each changed task as it
    /// is now, each removed id. `with_asked`: also the tasks whose only change is when they
    /// were last asked (written lazily: an unchanged answer is not worth a write of its own).
    pub fn take_changes(&mut self, with_asked: bool) -> Vec<crate::store::Change> {
        self.changes.take(with_asked, &self.index, &self.entries)
    }

    /// Whether some task was asked again (with an unchanged answer) since its last
    /// hand-over to the history writer.
    pub fn has_unsaved_asks(&self) -> bool {
        self.changes.has_asks()
    }

    /// Adds ids not yet in the book (marked as awaiting an answer) and marks the known
    /// ones as being refreshed. Returns how many were new.
    pub fn add_ids(&mut self, ids: &[String]) -> usize {
        let mut added = 0;
        for id in ids {
            match self.index.get(id) {
                Some(&i) => Arc::make_mut(&mut self.entries[i]).awaiting = true,
                None => {
                    self.changes.changed(id);
                    self.push(Arc::new(TaskEntry::new(id.clone())));
                    added += 1;
                }
            }
        }
        if added > 0 {
            self.mark_dirty();
        }
        added
    }

    /// Records the outcomes of one batch. Ids the book does not hold (removed meanwhile)
    /// are ignored. Returns the ids whose task reached a finished state with this batch.
    ///
    /// An answer that leaves what the history keeps of a task as it was (the same record,
    /// status and error) only moves "last asked": the generation stays, so a watch of
    /// unchanged tasks does not make the history due.
    pub fn apply(&mut self, outcomes: Vec<(String, Outcome)>) -> Vec<String> {
        let mut finished = Vec::new();
        let mut changed = false;
        for (id, outcome) in outcomes {
            let Some(&i) = self.index.get(&id) else {
                continue;
            };
            let before = changes::Saved::of(&self.entries[i]);
            let entry = Arc::make_mut(&mut self.entries[i]);
            // Only a task seen unfinished counts as "finished now"; one that was already done
            // when first asked is not news.
            let was_unfinished = entry
                .record
                .as_ref()
                .is_some_and(|r| r.status.is_unfinished());
            if let Outcome::Error(e) = &outcome
                && e.stops_everything()
            {
                // A rejected token or a spent balance is one banner, not an error on every
                // row: the row keeps what it knew and waits to be asked again.
                entry.error = Some(e.clone());
                entry.awaiting = true;
                changed |= self.changes.compare(&id, &before, entry);
                self.haystacks.set(i, &haystack(entry));
                continue;
            }
            entry.apply(outcome);
            changed |= self.changes.compare(&id, &before, entry);
            // A task the API stopped knowing did not finish: no "finished" news for it.
            if was_unfinished
                && !entry.status.is_unfinished()
                && entry.record.is_some()
                && entry.vanished.is_none()
            {
                finished.push(id);
            }
            self.haystacks.set(i, &haystack(entry));
        }
        // The rows may still look different (elapsed time, a "vanished" mark): the order
        // and counts are made again either way.
        let generation = self.generation;
        self.mark_dirty();
        if !changed {
            self.generation = generation;
        }
        finished
    }

    pub fn mark_timed_out(&mut self, ids: &[String]) {
        for id in ids {
            if let Some(&i) = self.index.get(id) {
                Arc::make_mut(&mut self.entries[i]).timed_out = true;
                self.generation += 1;
            }
        }
    }

    /// Ids that have not reached a finished state (including those never answered).
    pub fn unfinished_ids(&self) -> Vec<String> {
        let now = unix_now();
        self.entries
            .iter()
            .filter(|e| e.is_unfinished())
            // A stale task (unfinished 72 h after creation) is no longer asked, also
            // after a restart or a new token.
            .filter(|e| e.record.as_ref().is_none_or(|r| !r.is_stale(now)))
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
        self.sorted_dirty = true;
    }

    pub fn set_sort(&mut self, sort: Sort) {
        self.sort = sort;
        self.sorted_dirty = true;
    }

    /// Brings the order, counts and models up to date with the data, sort and filter.
    /// The window calls it once at the start of a frame (and before applying each queued
    /// intent), so everything that draws reads the book through `&self`.
    pub fn refresh(&mut self) {
        let resorted = self.sorted_dirty;
        if self.sorted_dirty {
            self.recompute_sorted();
        }
        if self.totals_dirty {
            self.recompute_totals();
            self.totals_dirty = false;
        }
        if self.order_dirty || resorted {
            self.refilter(resorted);
            self.recompute_shown();
        }
    }

    /// The display order (indices into `entries`) as of the last [`Self::refresh`].
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// Where `id` is shown (its row), as of the last [`Self::refresh`]; `None` when it is
    /// filtered out or gone.
    pub fn position_of(&self, id: &str) -> Option<usize> {
        let index = *self.index.get(id)?;
        self.order.iter().position(|&i| i == index)
    }

    /// The entry shown at `row`, as of the last [`Self::refresh`].
    pub fn row(&self, row: usize) -> Option<&TaskEntry> {
        self.order
            .get(row)
            .and_then(|&i| self.entries.get(i))
            .map(Arc::as_ref)
    }

    /// Ids in display order, as of the last [`Self::refresh`].
    pub fn ids_in_order(&self) -> Vec<String> {
        self.order
            .iter()
            .filter_map(|&i| self.entries.get(i))
            .map(|e| e.id.clone())
            .collect()
    }

    /// Applies the filter to the sorted order. While typing (the new search text extends
    /// the old one, nothing else changed) only the rows still shown are scanned again.
    fn refilter(&mut self, resorted: bool) {
        let needle = self.filter.text.trim().to_lowercase();
        let old = self.applied.text.trim().to_lowercase();
        let narrowing = !resorted
            && self.filter.hidden_statuses == self.applied.hidden_statuses
            && self.filter.model == self.applied.model
            && needle.starts_with(&old);
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let candidates = if narrowing { &self.order } else { &self.sorted };
        // One pass over every row's text beats a search per row unless few rows are left.
        let hits = if candidates.len() > self.haystacks.len() / 8 {
            self.haystacks.matching(&finder)
        } else {
            None
        };
        let entries = &self.entries;
        let haystacks = &self.haystacks;
        let hidden = &self.filter.hidden_statuses;
        let model = self.filter.model.as_deref();
        let keep = |&i: &usize| {
            let e = &entries[i];
            (hidden.is_empty() || !hidden.contains(e.status.key().as_ref()))
                && model
                    .is_none_or(|m| e.record.as_ref().and_then(|r| r.model.as_deref()) == Some(m))
                && (needle.is_empty()
                    || match &hits {
                        Some(hits) => hits.get(i).copied().unwrap_or(false),
                        None => finder.find(haystacks.get(i)).is_some(),
                    })
        };
        self.order = candidates.iter().copied().filter(keep).collect();
        self.applied = self.filter.clone();
        self.order_dirty = false;
    }

    /// (status, total, shown) for every status present, in the summary's order (as of
    /// the last `refresh()`).
    pub fn counts(&self) -> &[(Status, usize, usize)] {
        &self.counts
    }

    /// Totals and models: these change with the data only.
    fn recompute_totals(&mut self) {
        let mut totals: HashMap<&Status, usize> = HashMap::new();
        for e in &self.entries {
            *totals.entry(&e.status).or_default() += 1;
        }
        let mut list: Vec<(Status, usize, usize)> = totals
            .into_iter()
            .map(|(s, total)| (s.clone(), total, 0))
            .collect();
        // Successes first in the summary line: it reads "12 succeeded · 3 running · 1 failed".
        list.sort_by_key(|(s, _, _)| (std::cmp::Reverse(s.rank()), s.as_str().to_owned()));
        let slot_of: HashMap<&Status, u32> = (0u32..).zip(&list).map(|(i, c)| (&c.0, i)).collect();
        self.count_slots = self
            .entries
            .iter()
            .map(|e| slot_of.get(&e.status).copied().unwrap_or(u32::MAX))
            .collect();
        self.counts = list;
        let mut models: Vec<String> = self
            .entries
            .iter()
            .filter_map(|e| e.record.as_ref()?.model.as_deref())
            .collect::<HashSet<&str>>()
            .into_iter()
            .map(str::to_owned)
            .collect();
        models.sort();
        self.models = models;
    }

    /// Shown counts: these change with the filter too. Walks the shown rows only.
    fn recompute_shown(&mut self) {
        for c in &mut self.counts {
            c.2 = 0;
        }
        for &i in &self.order {
            let slot = self.count_slots.get(i).copied().unwrap_or(u32::MAX);
            if let Some(c) = self.counts.get_mut(slot as usize) {
                c.2 += 1;
            }
        }
        self.revision += 1;
    }

    /// "12 succeeded · 3 running · 1 failed · 2 not found"; with a filter on, each count
    /// reads "shown/total".
    pub fn summary(&self) -> String {
        let filtered = self.filter.is_active();
        self.counts()
            .iter()
            .map(|(s, total, shown)| {
                let word = s.as_str().replace('_', " ");
                if filtered {
                    format!("{shown}/{total} {word}")
                } else {
                    format!("{total} {word}")
                }
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown_ids(b: &mut TaskBook) -> Vec<String> {
        b.refresh();
        b.ids_in_order()
    }
    use crate::api::TaskRecord;
    use serde_json::json;

    fn found(id: &str, status: &str, created: f64, model: &str) -> (String, Outcome) {
        let v = json!({"id": id, "created_at": created, "request": {"model": model},
                       "response": {"success": true, "data": {"status": status}}});
        (
            id.to_owned(),
            Outcome::Found(std::sync::Arc::new(
                TaskRecord::from_value(v).expect("record"),
            )),
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
        assert_eq!(shown_ids(&mut b), ["b", "e", "c", "a", "d"]);
        b.click_header(Column::Created);
        assert_eq!(
            b.sort(),
            Sort {
                column: Column::Created,
                ascending: true
            }
        );
        assert_eq!(
            shown_ids(&mut b),
            ["a", "c", "b", "e", "d"],
            "ties stable, blank last"
        );
    }

    #[test]
    fn status_sorts_by_meaning_and_flips() {
        let mut b = book();
        b.click_header(Column::Status);
        assert_eq!(shown_ids(&mut b), ["c", "d", "b", "a", "e"]);
        b.click_header(Column::Status);
        assert_eq!(shown_ids(&mut b), ["a", "e", "b", "d", "c"]);
    }

    #[test]
    fn text_columns_and_counts() {
        let mut b = book();
        b.click_header(Column::Model);
        assert_eq!(shown_ids(&mut b), ["b", "c", "a", "e", "d"]);
        assert_eq!(
            b.summary(),
            "2 succeeded · 1 running · 1 not found · 1 failed"
        );
    }

    #[test]
    fn a_snapshot_keeps_what_it_saw() {
        let mut b = book();
        let snapshot = b.snapshot();
        b.set_note("a", "later".into());
        b.apply(vec![found("b", "succeeded", 300.0, "m1")]);
        let seen = |list: &[Arc<TaskEntry>], id: &str| {
            list.iter()
                .find(|e| e.id == id)
                .map(|e| (e.note.clone(), e.status.clone()))
        };
        assert_eq!(
            seen(&snapshot, "a"),
            Some((String::new(), Status::Succeeded))
        );
        assert_eq!(seen(&snapshot, "b"), Some((String::new(), Status::Running)));
        assert_eq!(
            seen(b.entries(), "a"),
            Some(("later".into(), Status::Succeeded))
        );
        assert_eq!(
            seen(b.entries(), "b"),
            Some((String::new(), Status::Succeeded))
        );
        // Untouched entries are shared, not copied.
        assert!(Arc::ptr_eq(&snapshot[2], &b.entries()[2]));
    }

    #[test]
    fn filter_search_and_sort_compose() {
        let mut b = book();
        b.set_note("a", "Keep for the trailer".into());
        b.click_header(Column::Created);
        b.set_filter(Filter {
            model: Some("m1".into()),
            ..Filter::default()
        });
        assert_eq!(shown_ids(&mut b), ["c", "b"]);
        b.set_filter(Filter {
            text: "TRAILER".into(),
            ..Filter::default()
        });
        assert_eq!(
            shown_ids(&mut b),
            ["a"],
            "notes are searched, case-insensitively"
        );
        let mut hidden = HashSet::new();
        hidden.insert("succeeded".to_owned());
        b.set_filter(Filter {
            hidden_statuses: hidden,
            ..Filter::default()
        });
        assert_eq!(shown_ids(&mut b), ["c", "b", "d"]);
        assert_eq!(
            b.summary(),
            "0/2 succeeded · 1/1 running · 1/1 not found · 1/1 failed"
        );
        b.click_header(Column::Created);
        assert_eq!(
            shown_ids(&mut b),
            ["b", "c", "d"],
            "sorting keeps the filter"
        );
        b.set_filter(Filter {
            text: "not_found".into(),
            ..Filter::default()
        });
        assert_eq!(shown_ids(&mut b), ["d"], "the reason is searched");
        assert_eq!(b.models(), ["m1", "m2", "m3"]);
        let revision = b.revision();
        b.refresh();
        assert_eq!(
            b.revision(),
            revision,
            "nothing recomputed without a change"
        );
    }

    #[test]
    fn remove_and_restore() {
        let mut b = book();
        let gone = b.remove_finished();
        assert_eq!(gone.len(), 4);
        assert_eq!(b.all_ids(), ["b"]);
        b.extend(gone);
        assert_eq!(b.len(), 5);
        let ids: HashSet<String> = ["a".to_owned(), "e".to_owned()].into();
        assert_eq!(b.remove(&ids).len(), 2);
        assert_eq!(b.all_ids(), ["b", "c", "d"]);
        assert!(b.get("c").is_some() && b.get("a").is_none());
    }

    #[test]
    fn position_of_follows_the_shown_order() {
        let mut b = book();
        let shown = shown_ids(&mut b);
        for (row, id) in shown.iter().enumerate() {
            assert_eq!(b.position_of(id), Some(row));
            assert_eq!(b.row(row).map(|e| e.id.as_str()), Some(id.as_str()));
        }
        assert_eq!(b.position_of("nowhere"), None);
    }

    #[test]
    fn readding_refreshes_instead_of_duplicating() {
        let mut b = book();
        assert_eq!(b.add_ids(&["a".into(), "z".into(), "y".into()]), 2);
        assert_eq!(b.len(), 7);
        assert!(b.get("a").is_some_and(|e| e.awaiting));
        let finished = b.apply(vec![
            found("b", "succeeded", 300.0, "m1"),
            found("z", "queued", unix_now() - 60.0, "m"),
            // Queued since 1970: stale, no longer asked.
            found("y", "queued", 1.0, "m"),
        ]);
        assert_eq!(finished, ["b"]);
        assert_eq!(b.unfinished_ids(), ["a", "z"]);
        b.apply(vec![("gone".into(), Outcome::NotFound)]);
        assert_eq!(b.len(), 7);
    }

    fn changed_ids(changes: &[crate::store::Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| match c {
                crate::store::Change::Upsert(e) => format!("+{}", e.id),
                crate::store::Change::Removed(id) => format!("-{id}"),
            })
            .collect()
    }

    #[test]
    fn an_unchanged_answer_moves_last_asked_but_not_the_generation() {
        let mut b = book();
        b.take_changes(true);
        let generation = b.generation();
        let asked = b.get("b").and_then(|e| e.checked_at).expect("asked");
        std::thread::sleep(std::time::Duration::from_millis(5));
        // The same record again, as a watch of a running task brings it.
        b.apply(vec![found("b", "running", 300.0, "m1")]);
        assert_eq!(
            b.generation(),
            generation,
            "nothing the history keeps changed"
        );
        assert!(
            b.get("b").and_then(|e| e.checked_at) > Some(asked),
            "last asked moved"
        );
        assert!(b.has_unsaved_asks());
        assert!(b.take_changes(false).is_empty(), "not written on its own");
        assert_eq!(changed_ids(&b.take_changes(true)), ["+b"], "written lazily");
        assert!(!b.has_unsaved_asks());
        // The same error again is no change either.
        let down = || {
            Outcome::Error(Arc::new(crate::api::ApiError::new(
                crate::api::ErrorKind::Network,
                "down",
            )))
        };
        b.apply(vec![("d".into(), down())]);
        let generation = b.generation();
        b.apply(vec![("d".into(), down())]);
        assert_eq!(b.generation(), generation);
        // A real change is.
        b.apply(vec![found("b", "succeeded", 300.0, "m1")]);
        assert!(b.generation() > generation);
        assert_eq!(changed_ids(&b.take_changes(false)), ["+b", "+d"]);
    }

    #[test]
    fn changes_name_the_changed_and_removed_tasks_only() {
        let mut b = book();
        assert_eq!(b.take_changes(false).len(), 5, "the new tasks");
        assert!(b.take_changes(true).is_empty());
        b.set_note("c", "note".into());
        b.remove(&HashSet::from(["a".to_owned()]));
        b.add_ids(&["z".into(), "e".into()]);
        assert_eq!(changed_ids(&b.take_changes(false)), ["-a", "+c", "+z"]);
        // Loaded from the history: already there, not a change.
        b.extend_saved(vec![TaskEntry::new("h")]);
        assert!(b.take_changes(true).is_empty());
        b.remove(&HashSet::from(["h".to_owned()]));
        b.extend(vec![TaskEntry::new("u")]);
        let changes = changed_ids(&b.take_changes(false));
        assert!(changes.contains(&"-h".to_owned()) && changes.contains(&"+u".to_owned()));
    }

    #[test]
    fn saved_files_are_a_change_once_and_later_answers_keep_them() {
        let mut b = book();
        b.take_changes(true);
        let saved = Arc::new(crate::library::SavedTask {
            id: "e".into(),
            video: crate::library::SavedFile {
                path: "/lib/2026-12/e.mp4".into(),
                size: 10,
                sha256: "ab".repeat(32),
            },
            last_frame: None,
            sidecar: None,
            last_frame_error: None,
        });
        let generation = b.generation();
        assert!(b.set_saved("e", Some(saved.clone())));
        assert!(b.generation() > generation, "the history is due");
        assert_eq!(changed_ids(&b.take_changes(false)), ["+e"]);
        let generation = b.generation();
        assert!(
            !b.set_saved("e", Some(saved.clone())),
            "the same files again"
        );
        assert_eq!(b.generation(), generation);
        assert!(b.take_changes(true).is_empty());
        assert!(!b.set_saved("nobody", Some(saved.clone())));

        // Later answers for the same id (a refresh, a Follow, the API forgetting it) keep
        // the files.
        b.apply(vec![found("e", "succeeded", 300.0, "m3")]);
        b.apply(vec![(
            "e".into(),
            Outcome::Error(Arc::new(crate::api::ApiError::new(
                crate::api::ErrorKind::Network,
                "down",
            ))),
        )]);
        b.apply(vec![("e".into(), Outcome::NotFound)]);
        b.add_ids(&["e".into()]);
        b.mark_timed_out(&["e".into()]);
        b.set_note("e", "keep".into());
        assert_eq!(
            b.get("e").and_then(|e| e.saved.clone()),
            Some(saved.clone())
        );
        // An undo brings them back with the task.
        let removed = b.remove(&HashSet::from(["e".to_owned()]));
        b.extend(removed);
        assert_eq!(b.get("e").and_then(|e| e.saved.clone()), Some(saved));
        assert!(b.set_saved("e", None));
        assert!(b.get("e").is_some_and(|e| e.saved.is_none()));
    }

    #[test]
    fn a_task_pasted_while_the_history_loads_takes_its_note_and_saved_files() {
        let mut b = TaskBook::new();
        b.add_ids(&["p".into(), "q".into()]);
        b.set_note("q", "mine".into());
        let saved = Arc::new(crate::library::SavedTask {
            id: "p".into(),
            video: crate::library::SavedFile {
                path: "/lib/2026-12/p.mp4".into(),
                size: 10,
                sha256: "cd".repeat(32),
            },
            last_frame: None,
            sidecar: None,
            last_frame_error: None,
        });
        let mut from_history = TaskEntry::new("p");
        from_history.note = "kept in the history".into();
        from_history.saved = Some(saved.clone());
        let mut q = TaskEntry::new("q");
        q.note = "older".into();
        b.extend_saved(vec![from_history, q, TaskEntry::new("r")]);
        assert_eq!(b.len(), 3);
        let p = b.get("p").expect("p");
        assert_eq!(p.note, "kept in the history");
        assert_eq!(p.saved, Some(saved));
        assert_eq!(
            b.get("q").map(|e| e.note.as_str()),
            Some("mine"),
            "the newer note wins"
        );
        b.refresh();
        b.set_filter(Filter {
            text: "kept in the".into(),
            ..Filter::default()
        });
        b.refresh();
        assert_eq!(b.shown(), 1, "the note is searchable");
    }

    #[test]
    fn a_running_task_the_api_forgets_keeps_its_row_and_is_not_news() {
        let mut b = book();
        let finished = b.apply(vec![("b".into(), Outcome::NotFound)]);
        assert!(finished.is_empty(), "vanishing is not finishing");
        let e = b.get("b").expect("row kept");
        assert_eq!(e.status, Status::NotFound);
        assert!(e.record.is_some(), "the last record stays");
        assert!(e.vanished.is_some());
        assert!(!b.unfinished_ids().contains(&"b".to_owned()));
        let (code, message) = e.reason();
        assert_eq!(code, Some("not_found"));
        assert!(message.is_some_and(|m| m.starts_with("the API no longer knows this task")));
    }
}
