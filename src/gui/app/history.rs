//! The history file's side of the window: `HistorySync` owns where it lives, whether it
//! has been read, the writer thread and what was last handed to it. Whether there is
//! something to write is not set by hand at each change: the book's generation counter
//! moves with every added, removed or changed task, and a save is due when it differs
//! from the one last saved.

use super::SeedanceApp;
use super::background::{Done, Job};
use crate::book::TaskBook;
use crate::gui::status::Severity;
use crate::store::{self, HistoryLock, Loaded, Opened, Saver};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// At most one snapshot a second goes to the writer thread: a burst of answers costs one
/// write, and the encoding happens on that thread.
const SAVE_EVERY: Duration = Duration::from_secs(1);

/// After a failed write, the next try waits this long (the disk may stay full a while).
const RETRY_EVERY: Duration = Duration::from_secs(5);

pub struct HistorySync {
    /// Where the history lives (`None`: nothing is kept across restarts). Kept while the
    /// demo runs, to come back to.
    path: Option<PathBuf>,
    /// The file is being read in the background.
    loading: bool,
    /// The file has been read into the book (or there was none).
    loaded: bool,
    saver: Option<Saver>,
    /// Held while this window may write the history; another instance cannot take it.
    lock: Option<HistoryLock>,
    /// Why this window does not write the history (another instance has it, or the file
    /// could not be read and must not be replaced).
    read_only: Option<String>,
    /// The book's generation last handed to the writer.
    sent_generation: u64,
    /// Write even if the book did not change (an older layout to heal, a file moved aside).
    force: bool,
    last_save: Instant,
    /// The last write failed: shown until a write succeeds, and tried again.
    failed: Option<String>,
}

impl HistorySync {
    pub fn new(path: Option<PathBuf>, demo: bool) -> Self {
        Self {
            saver: path.clone().filter(|_| !demo).map(Saver::start),
            path,
            loading: false,
            loaded: false,
            lock: None,
            read_only: None,
            sent_generation: 0,
            force: false,
            last_save: Instant::now(),
            failed: None,
        }
    }

    pub fn is_loading(&self) -> bool {
        self.loading
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

    fn is_due(&self, book: &TaskBook) -> bool {
        self.force || self.failed.is_some() || book.generation() != self.sent_generation
    }

    fn handed_over(&mut self, book: &TaskBook) {
        self.sent_generation = book.generation();
        self.force = false;
        self.last_save = Instant::now();
    }

    /// What the writer confirmed: a failure keeps the history due (and shown) until a
    /// later write succeeds.
    fn check_writer(&mut self) {
        let Some(saver) = &self.saver else {
            return;
        };
        // The error is that of the last write: cleared by the next one that succeeds.
        self.failed = saver.written().error;
    }
}

impl SeedanceApp {
    /// Reads the history in the background (100 000 tasks take a noticeable moment).
    pub(super) fn load_history(&mut self) {
        let Some(path) = self.history.path.clone() else {
            return;
        };
        if self.history.saver.is_none() {
            self.history.saver = Some(Saver::start(path.clone()));
        }
        if self.history.loaded || self.history.loading {
            return;
        }
        self.history.loading = true;
        self.background.blocking(&self.ctx, Job::History, move || {
            Done::HistoryLoaded(store::open(&path))
        });
    }

    /// The history could not be read at all: the file stays as it is and nothing is
    /// written over it in this session.
    pub(super) fn on_history_crashed(&mut self) {
        self.history.loading = false;
        self.history.saver = None;
    }

    /// Nothing goes to the history while it is still loading (the file would lose what
    /// it holds) or during the demo (its rows are not the user's).
    fn may_write_history(&self) -> bool {
        !self.demo && !self.history.loading && self.history.read_only.is_none()
    }

    /// Hands a snapshot to the writer when the book changed, at most once a second.
    pub(super) fn save_history_if_due(&mut self) {
        self.history.check_writer();
        if !self.may_write_history() || !self.history.is_due(&self.book) {
            return;
        }
        let every = if self.history.failed.is_some() {
            RETRY_EVERY
        } else {
            SAVE_EVERY
        };
        let wait = every.saturating_sub(self.history.last_save.elapsed());
        if !wait.is_zero() {
            self.ctx
                .request_repaint_after(wait + Duration::from_millis(50));
            return;
        }
        let Some(saver) = &self.history.saver else {
            return;
        };
        saver.save(self.book.snapshot(), self.book.generation());
        self.history.handed_over(&self.book);
    }

    /// The last real state goes to the writer without waiting for the disk (the demo is
    /// about to take the grid). The writer stays: one thread keeps the writes in order.
    pub(super) fn hand_history_over(&mut self) {
        if self.may_write_history()
            && self.history.is_due(&self.book)
            && let Some(saver) = &self.history.saver
        {
            saver.save(self.book.snapshot(), self.book.generation());
        }
        self.history.handed_over(&self.book);
    }

    /// The demo ends: what the book holds now is the user's saved state, not a change.
    pub(super) fn history_in_step(&mut self) {
        self.history.sent_generation = self.book.generation();
    }

    /// Writes the history now and waits for it (on exit). Goes through the writer thread
    /// so an older snapshot still being written cannot land after this one; with nothing
    /// to write it still waits for that one (also one handed over as the demo started),
    /// or the exit would cut it off.
    pub fn save_history_now(&mut self) {
        let Some(saver) = &self.history.saver else {
            return;
        };
        let timeout = Duration::from_secs(10);
        let write = self.may_write_history() && self.history.is_due(&self.book);
        let saved = if write {
            saver.save_and_wait(self.book.snapshot(), self.book.generation(), timeout)
        } else {
            saver.wait_idle(timeout)
        };
        if !saved {
            eprintln!("warning: the history may not have been saved before exit");
        }
        if let Some(e) = saver.last_error() {
            eprintln!("error: {e}");
        }
        if write {
            self.history.handed_over(&self.book);
        }
    }

    pub(super) fn on_history_loaded(&mut self, opened: Opened) {
        let Opened { loaded, lock, busy } = opened;
        self.history.loading = false;
        self.history.loaded = !self.demo;
        self.history.lock = lock;
        if busy {
            self.history.read_only =
                Some("another SeeDance Tasks window is using it, and that one saves it".into());
        }
        if self.demo {
            // The demo started while the history was loading: keep the two apart (the file
            // is untouched and comes back on the next normal start).
            return;
        }
        let before = self.book.generation();
        match loaded {
            Loaded::Missing => {}
            Loaded::Tasks { tasks, rewrite } => {
                // Tasks pasted before the history arrived stay as they are.
                let pasted_meanwhile = before != self.history.sent_generation;
                self.book.extend(tasks);
                if !pasted_meanwhile {
                    // What was just read is what the file holds: nothing new to write.
                    self.history.sent_generation = self.book.generation();
                }
                // Once in this build's layout, the next start loads it fast.
                self.history.force |= rewrite;
                // Finished tasks are not asked again; unfinished ones are watched again.
                let unfinished = self.book.unfinished_ids();
                if !unfinished.is_empty() {
                    self.query(unfinished);
                }
            }
            Loaded::MovedAside { reason, moved_to } => {
                self.status.say(
                    Severity::Error,
                    format!(
                        "The task history could not be read ({reason}); it was kept as {}.",
                        moved_to.display()
                    ),
                );
                self.history.force = true;
            }
            Loaded::Unreadable { reason } => {
                // Never replaced: the file may be fine for a newer version or after the
                // permission is fixed.
                self.history.read_only = Some(format!("{reason}; it is left as it is"));
            }
        }
    }
}
