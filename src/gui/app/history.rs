//! The history file's side of the window: `HistorySync` owns where it lives, whether it
//! has been read, the writer thread and what was last handed to it. Whether there is
//! something to write is not set by hand at each change: the book's generation counter
//! moves with every added, removed or changed task, and a save is due when it differs
//! from the one last saved. What is handed over is the changed tasks only (the book
//! tracks which); the whole book only when the writer asks for it (a compaction, no
//! file yet) or the file must be written again (an older layout, a file moved aside).
//! An answer that changed nothing only moves "last asked", written every ten minutes
//! and on exit. When to write is `store::SavePolicy`'s call; this file is the wiring
//! between it, the book, the writer thread and the window.

use super::SeedanceApp;
use super::background::{Done, Job};
use crate::book::TaskBook;
use crate::gui::status::Severity;
use crate::store::{self, BookState, HistoryLock, Loaded, Next, Opened, SavePolicy, Saver};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub struct HistorySync {
    /// Where the history lives (`None`: nothing is kept across restarts). Kept while the
    /// demo runs, to come back to.
    path: Option<PathBuf>,
    saver: Option<Saver>,
    /// Held while this window may write the history; another instance cannot take it.
    lock: Option<HistoryLock>,
    /// When to write and what (`store::SavePolicy`).
    policy: SavePolicy,
}

fn book_state(book: &TaskBook) -> BookState {
    BookState {
        generation: book.generation(),
        unsaved_asks: book.has_unsaved_asks(),
    }
}

impl HistorySync {
    pub fn new(path: Option<PathBuf>, demo: bool) -> Self {
        Self {
            saver: path.clone().filter(|_| !demo).map(Saver::start),
            path,
            lock: None,
            policy: SavePolicy::new(Instant::now()),
        }
    }

    pub fn is_loading(&self) -> bool {
        self.policy.is_loading()
    }

    /// Why the history is not being saved, for a banner: a failed write, or read-only.
    pub fn problem(&self) -> Option<String> {
        self.policy.problem()
    }

    fn is_due(&self, book: &TaskBook) -> bool {
        self.policy.is_due(book_state(book), Instant::now())
    }

    fn handed_over(&mut self, book: &TaskBook) {
        self.policy.handed_over(book.generation(), Instant::now());
    }

    /// Hands the writer what changed (or every task, when due) and marks it handed over.
    /// `wait`: block until it is on disk (on exit); returns whether it got there in time.
    fn hand_over(&mut self, book: &mut TaskBook, wait: Option<Duration>) -> bool {
        let Some(saver) = &self.saver else {
            return true;
        };
        let plan = self.policy.plan(wait.is_some(), Instant::now());
        let changes = book.take_changes(plan.with_asked);
        let generation = book.generation();
        let written = if plan.full {
            match wait {
                Some(t) => saver.save_and_wait(book.snapshot(), generation, t),
                None => {
                    saver.save(book.snapshot(), generation);
                    true
                }
            }
        } else if changes.is_empty() && !plan.even_if_empty {
            // Nothing the file keeps changed (a task marked timed out): nothing to write,
            // but still wait for what an earlier hand-over may be writing.
            wait.is_none_or(|t| saver.wait_idle(t))
        } else {
            match wait {
                Some(t) => saver.save_changes_and_wait(changes, generation, t),
                None => {
                    saver.save_changes(changes, generation);
                    true
                }
            }
        };
        self.handed_over(book);
        written
    }

    /// What the writer confirmed: a failure keeps the history due (and shown) until a
    /// later write succeeds; a request for every task makes that due.
    fn check_writer(&mut self) {
        let Some(saver) = &self.saver else {
            return;
        };
        // The error is that of the last write: cleared by the next one that succeeds.
        self.policy
            .writer_reported(saver.written().error, saver.wants_full());
    }
}

impl SeedanceApp {
    /// Reads the history in the background (100 000 tasks take a noticeable moment).
    pub(super) fn load_history(&mut self) {
        let Some(path) = self.services.history.path.clone() else {
            return;
        };
        if self.services.history.saver.is_none() {
            self.services.history.saver = Some(Saver::start(path.clone()));
        }
        if self.services.history.policy.is_loaded() || self.services.history.policy.is_loading() {
            return;
        }
        self.services.history.policy.start_loading();
        self.services
            .background
            .blocking(&self.ctx, Job::History, move || {
                Done::HistoryLoaded(store::open(&path))
            });
    }

    /// The history could not be read at all: the file stays as it is and nothing is
    /// written over it in this session.
    pub(super) fn on_history_crashed(&mut self) {
        self.services.history.policy.finish_loading(false);
        self.services.history.saver = None;
    }

    /// Nothing goes to the history while it is still loading (the file would lose what
    /// it holds) or during the demo (its rows are not the user's).
    fn may_write_history(&self) -> bool {
        !self.session.is_demo() && self.services.history.policy.may_write()
    }

    /// Hands a snapshot to the writer when the book changed, at most once a second.
    pub(super) fn save_history_if_due(&mut self) {
        self.services.history.check_writer();
        if self.session.is_demo() {
            return;
        }
        match self
            .services
            .history
            .policy
            .next(book_state(&self.session.book), Instant::now())
        {
            Next::Idle => {}
            Next::WaitFor(wait) => self
                .ctx
                .request_repaint_after(wait + Duration::from_millis(50)),
            Next::Write => {
                self.services
                    .history
                    .hand_over(&mut self.session.book, None);
            }
        }
    }

    /// The last real state goes to the writer without waiting for the disk (the demo is
    /// about to take the grid). The writer stays: one thread keeps the writes in order.
    pub(super) fn hand_history_over(&mut self) {
        if self.may_write_history() && self.services.history.is_due(&self.session.book) {
            self.services
                .history
                .hand_over(&mut self.session.book, None);
        }
        self.services.history.handed_over(&self.session.book);
    }

    /// The demo ends: what the book holds now is the user's saved state, not a change.
    pub(super) fn history_in_step(&mut self) {
        self.services
            .history
            .policy
            .in_step(self.session.book.generation());
        self.session.book.take_changes(true);
    }

    /// Writes the history now and waits for it (on exit). Goes through the writer thread
    /// so an older snapshot still being written cannot land after this one; with nothing
    /// to write it still waits for that one (also one handed over as the demo started),
    /// or the exit would cut it off.
    ///
    /// "Last asked" times not written yet go too.
    pub fn save_history_now(&mut self) {
        if self.services.history.saver.is_none() {
            return;
        }
        let timeout = Duration::from_secs(10);
        self.services.history.check_writer();
        let write = self.may_write_history()
            && (self.services.history.is_due(&self.session.book)
                || self.session.book.has_unsaved_asks());
        let mut saved = if write {
            self.services
                .history
                .hand_over(&mut self.session.book, Some(timeout))
        } else {
            self.services
                .history
                .saver
                .as_ref()
                .is_some_and(|s| s.wait_idle(timeout))
        };
        // The changes could not be appended (no file yet this build can extend): every
        // task, now, or they would be lost.
        if write
            && self
                .services
                .history
                .saver
                .as_ref()
                .is_some_and(Saver::wants_full)
        {
            self.services.history.policy.write_all();
            saved = self
                .services
                .history
                .hand_over(&mut self.session.book, Some(timeout));
        }
        if !saved {
            eprintln!("warning: the history may not have been saved before exit");
        }
        if let Some(e) = self
            .services
            .history
            .saver
            .as_ref()
            .and_then(Saver::last_error)
        {
            eprintln!("error: {e}");
        }
    }

    pub(super) fn on_history_loaded(&mut self, opened: Opened) {
        let Opened { loaded, lock, busy } = opened;
        self.services
            .history
            .policy
            .finish_loading(!self.session.is_demo());
        self.services.history.lock = lock;
        if busy {
            self.services.history.policy.set_read_only(
                "another SeeDance Tasks window is using it, and that one saves it".into(),
            );
        }
        if self.session.is_demo() {
            // The demo started while the history was loading: keep the two apart (the file
            // is untouched and comes back on the next normal start).
            return;
        }
        let before = self.session.book.generation();
        match loaded {
            Loaded::Missing => self.services.history.policy.no_file_yet(),
            Loaded::Tasks { tasks, rewrite } => {
                // Tasks pasted before the history arrived stay as they are (and are the
                // only changes to write).
                let pasted_meanwhile = self.services.history.policy.changed_since_sent(before);
                self.session.book.extend_saved(tasks);
                if !pasted_meanwhile {
                    // What was just read is what the file holds: nothing new to write.
                    self.services
                        .history
                        .policy
                        .in_step(self.session.book.generation());
                }
                // Once in this build's layout, the next start loads it fast.
                if rewrite {
                    self.services.history.policy.write_all();
                }
                // Finished tasks are not asked again; unfinished ones are watched again.
                let unfinished = self.session.book.unfinished_ids();
                if !unfinished.is_empty() {
                    self.query(unfinished);
                }
            }
            Loaded::MovedAside { reason, moved_to } => {
                self.panels.status.say(
                    Severity::Error,
                    format!(
                        "The task history could not be read ({reason}); it was kept as {}.",
                        moved_to.display()
                    ),
                );
                self.services.history.policy.write_all();
            }
            Loaded::Unreadable { reason } => {
                // Never replaced: the file may be fine for a newer version or after the
                // permission is fixed.
                self.services
                    .history
                    .policy
                    .set_read_only(format!("{reason}; it is left as it is"));
            }
        }
    }
}
