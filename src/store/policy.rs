//! When the window hands the history to the writer: the save policy, with no file, thread
//! or book in it. The caller tells it the book's generation counter, whether "last asked"
//! times are waiting and what the writer confirmed, with the current time; it answers
//! whether a write is due, how long to wait for it, and what goes (the changed tasks or
//! every task, with or without the "last asked" times).
//!
//! A save is due when the book's generation differs from the one last handed over, when
//! every task must be written again (an older layout, a file moved aside, a writer asking
//! for it), after a failed write, or when "last asked" times have waited
//! [`ASKED_EVERY`]. Due saves go at most every [`SAVE_EVERY`], every [`RETRY_EVERY`]
//! after a failure. Nothing is due while the file is loading or the history is read-only.

use std::mem;
use std::time::{Duration, Instant};

/// At most one snapshot a second goes to the writer thread: a burst of answers costs one
/// write, and the encoding happens on that thread.
pub const SAVE_EVERY: Duration = Duration::from_secs(1);

/// After a failed write, the next try waits this long (the disk may stay full a while).
pub const RETRY_EVERY: Duration = Duration::from_secs(5);

/// "Last asked" times of tasks whose answers did not change are written at most this
/// often (and on exit): they are worth keeping, not worth a write a second.
pub const ASKED_EVERY: Duration = Duration::from_secs(600);

/// What the book tells the policy at each decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookState {
    /// The book's generation counter: moves with every added, removed or changed task.
    pub generation: u64,
    /// Some tasks have "last asked" times not written yet.
    pub unsaved_asks: bool,
}

/// What [`SavePolicy::next`] advises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Nothing to write (or writing is not allowed now).
    Idle,
    /// A write is due but not yet allowed: ask again after this long.
    WaitFor(Duration),
    /// Hand over now (take a [`Plan`] with [`SavePolicy::plan`]).
    Write,
}

/// What one hand-over carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Every task, not only the changed ones.
    pub full: bool,
    /// With the "last asked" times waiting to be written.
    pub with_asked: bool,
    /// Send even an empty set of changes: after a failed write it makes the writer try
    /// again.
    pub even_if_empty: bool,
}

#[derive(Debug)]
pub struct SavePolicy {
    /// The file is being read in the background.
    loading: bool,
    /// The file has been read into the book (or there was none).
    loaded: bool,
    /// Why this window does not write the history (another instance has it, or the file
    /// could not be read and must not be replaced).
    read_only: Option<String>,
    /// The book's generation last handed to the writer.
    sent_generation: u64,
    /// Write every task, even if the book did not change (an older layout to heal, a file
    /// moved aside, a journal to compact).
    force: bool,
    /// No history file yet: the first hand-over writes every task.
    fresh: bool,
    last_save: Instant,
    /// When "last asked" times were last handed over.
    last_asked_save: Instant,
    /// The last write failed: shown until a write succeeds, and tried again.
    failed: Option<String>,
}

impl SavePolicy {
    pub fn new(now: Instant) -> Self {
        Self {
            loading: false,
            loaded: false,
            read_only: None,
            sent_generation: 0,
            force: false,
            fresh: false,
            last_save: now,
            last_asked_save: now,
            failed: None,
        }
    }

    pub fn is_loading(&self) -> bool {
        self.loading
    }

    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// The file is being read: nothing may be written until it is in the book.
    pub fn start_loading(&mut self) {
        self.loading = true;
    }

    /// The read ended (`into_book`: its tasks went into the book; false when the demo
    /// holds the grid or the read failed).
    pub fn finish_loading(&mut self, into_book: bool) {
        self.loading = false;
        self.loaded = into_book;
    }

    /// This window must not write the history, for this reason (a sentence fragment).
    pub fn set_read_only(&mut self, why: String) {
        self.read_only = Some(why);
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only.is_some()
    }

    /// No history file yet: the first hand-over writes every task.
    pub fn no_file_yet(&mut self) {
        self.fresh = true;
    }

    /// Every task must be written again (an older layout, a file moved aside).
    pub fn write_all(&mut self) {
        self.force = true;
    }

    /// The book now holds exactly what was last written (a file just read, the demo
    /// ended): its generation is not a change.
    pub fn in_step(&mut self, generation: u64) {
        self.sent_generation = generation;
    }

    /// The book changed since the last hand-over (tasks pasted while the file loaded).
    pub fn changed_since_sent(&self, generation: u64) -> bool {
        generation != self.sent_generation
    }

    /// What the writer confirmed: the error of its last write (`None` once one succeeds)
    /// and whether it asks for every task (a compaction, no file it can extend).
    pub fn writer_reported(&mut self, error: Option<String>, wants_full: bool) {
        self.failed = error;
        self.force |= wants_full;
    }

    /// The last write failed and has not been redone yet.
    pub fn has_failed(&self) -> bool {
        self.failed.is_some()
    }

    /// Writing is allowed: the file is not loading, and this window may write it.
    pub fn may_write(&self) -> bool {
        !self.loading && self.read_only.is_none()
    }

    /// Something is waiting to be written (whether or not it may be written now).
    pub fn is_due(&self, book: BookState, now: Instant) -> bool {
        self.force
            || self.failed.is_some()
            || self.changed_since_sent(book.generation)
            || (book.unsaved_asks && now.duration_since(self.last_asked_save) >= ASKED_EVERY)
    }

    /// Whether to hand over now, later, or not at all.
    pub fn next(&self, book: BookState, now: Instant) -> Next {
        if !self.may_write() || !self.is_due(book, now) {
            return Next::Idle;
        }
        let every = if self.failed.is_some() {
            RETRY_EVERY
        } else {
            SAVE_EVERY
        };
        let wait = every.saturating_sub(now.duration_since(self.last_save));
        if wait.is_zero() {
            Next::Write
        } else {
            Next::WaitFor(wait)
        }
    }

    /// What a hand-over now carries (`on_exit`: the last one, which takes the "last asked"
    /// times too). Counts as the hand-over of the "last asked" times when it takes them.
    pub fn plan(&mut self, on_exit: bool, now: Instant) -> Plan {
        let full = self.force || mem::take(&mut self.fresh);
        let with_asked = full || on_exit || now.duration_since(self.last_asked_save) >= ASKED_EVERY;
        if with_asked {
            self.last_asked_save = now;
        }
        Plan {
            full,
            with_asked,
            even_if_empty: self.failed.is_some(),
        }
    }

    /// The book at `generation` went to the writer (or was let go without a write).
    pub fn handed_over(&mut self, generation: u64, now: Instant) {
        self.sent_generation = generation;
        self.force = false;
        self.last_save = now;
    }

    /// Why the history is not being saved, for a banner: a failed write, or read-only.
    pub fn problem(&self) -> Option<String> {
        if let Some(e) = &self.failed {
            return Some(format!("The task history is not saved: {e}. Retrying."));
        }
        self.read_only
            .as_ref()
            .map(|why| format!("The task history is read-only in this window: {why}."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(generation: u64) -> BookState {
        BookState {
            generation,
            unsaved_asks: false,
        }
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn an_unchanged_book_is_not_written() {
        let t0 = Instant::now();
        let p = SavePolicy::new(t0);
        assert_eq!(p.next(book(0), t0 + secs(60)), Next::Idle);
        assert!(p.problem().is_none());
    }

    #[test]
    fn a_change_is_written_at_most_once_a_second() {
        let t0 = Instant::now();
        let mut p = SavePolicy::new(t0);
        assert_eq!(
            p.next(book(1), t0 + Duration::from_millis(300)),
            Next::WaitFor(Duration::from_millis(700))
        );
        assert_eq!(p.next(book(1), t0 + SAVE_EVERY), Next::Write);
        let plan = p.plan(false, t0 + SAVE_EVERY);
        assert_eq!(
            plan,
            Plan {
                full: false,
                with_asked: false,
                even_if_empty: false
            }
        );
        p.handed_over(1, t0 + SAVE_EVERY);
        assert_eq!(p.next(book(1), t0 + secs(30)), Next::Idle);
        // The next change waits a second from that hand-over.
        assert_eq!(
            p.next(book(2), t0 + SAVE_EVERY + Duration::from_millis(400)),
            Next::WaitFor(Duration::from_millis(600))
        );
    }

    #[test]
    fn a_failed_write_is_retried_every_five_seconds_until_one_succeeds() {
        let t0 = Instant::now();
        let mut p = SavePolicy::new(t0);
        p.handed_over(1, t0);
        p.writer_reported(Some("disk full".into()), false);
        assert_eq!(
            p.problem().as_deref(),
            Some("The task history is not saved: disk full. Retrying.")
        );
        // Due with no change in the book, but not before five seconds.
        assert_eq!(p.next(book(1), t0 + secs(1)), Next::WaitFor(secs(4)));
        assert_eq!(p.next(book(1), t0 + RETRY_EVERY), Next::Write);
        let plan = p.plan(false, t0 + RETRY_EVERY);
        assert!(
            plan.even_if_empty,
            "an empty retry still makes the writer try"
        );
        p.handed_over(1, t0 + RETRY_EVERY);
        assert_eq!(p.next(book(1), t0 + secs(6)), Next::WaitFor(secs(4)));
        p.writer_reported(None, false);
        assert!(p.problem().is_none());
        assert_eq!(p.next(book(1), t0 + secs(60)), Next::Idle);
    }

    #[test]
    fn nothing_is_written_while_loading_or_read_only() {
        let t0 = Instant::now();
        let mut p = SavePolicy::new(t0);
        p.start_loading();
        assert!(p.is_loading());
        assert_eq!(p.next(book(5), t0 + secs(10)), Next::Idle);
        assert!(p.is_due(book(5), t0 + secs(10)));
        p.finish_loading(true);
        assert!(p.is_loaded());
        assert_eq!(p.next(book(5), t0 + secs(10)), Next::Write);

        p.set_read_only("another SeeDance Tasks window is using it".into());
        assert!(!p.may_write());
        assert_eq!(p.next(book(6), t0 + secs(20)), Next::Idle);
        assert_eq!(
            p.problem().as_deref(),
            Some(
                "The task history is read-only in this window: another SeeDance Tasks \
                 window is using it."
            )
        );
        // A failed write is the more urgent banner.
        p.writer_reported(Some("disk full".into()), false);
        assert!(p.problem().is_some_and(|s| s.contains("disk full")));
    }

    #[test]
    fn the_first_hand_over_of_a_new_file_and_a_forced_one_carry_every_task() {
        let t0 = Instant::now();
        let mut p = SavePolicy::new(t0);
        p.no_file_yet();
        let plan = p.plan(false, t0 + secs(1));
        assert!(plan.full && plan.with_asked);
        p.handed_over(1, t0 + secs(1));
        assert!(!p.plan(false, t0 + secs(2)).full, "fresh counts once");

        p.write_all();
        assert_eq!(p.next(book(1), t0 + secs(3)), Next::Write);
        assert!(p.plan(false, t0 + secs(3)).full);
        p.handed_over(1, t0 + secs(3));
        assert_eq!(p.next(book(1), t0 + secs(9)), Next::Idle);

        p.writer_reported(None, true);
        assert_eq!(p.next(book(1), t0 + secs(9)), Next::Write);
    }

    #[test]
    fn last_asked_times_wait_ten_minutes_or_the_exit() {
        let t0 = Instant::now();
        let mut p = SavePolicy::new(t0);
        let asks = BookState {
            generation: 0,
            unsaved_asks: true,
        };
        assert_eq!(p.next(asks, t0 + secs(599)), Next::Idle);
        assert_eq!(p.next(asks, t0 + ASKED_EVERY), Next::Write);
        assert!(p.plan(false, t0 + ASKED_EVERY).with_asked);
        p.handed_over(0, t0 + ASKED_EVERY);
        // Taken: the next ten minutes start now.
        assert_eq!(p.next(asks, t0 + ASKED_EVERY + secs(1)), Next::Idle);
        assert!(!p.plan(false, t0 + ASKED_EVERY + secs(2)).with_asked);
        assert!(p.plan(true, t0 + ASKED_EVERY + secs(2)).with_asked);
    }

    #[test]
    fn a_book_in_step_is_not_a_change() {
        let t0 = Instant::now();
        let mut p = SavePolicy::new(t0);
        assert!(p.changed_since_sent(7));
        p.in_step(7);
        assert!(!p.changed_since_sent(7));
        assert_eq!(p.next(book(7), t0 + secs(5)), Next::Idle);
    }
}
