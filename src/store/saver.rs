//! The history's writer thread: the window hands it changes (or, now and then, a whole
//! snapshot) and never waits on the disk.

use super::HistoryWriter;
use super::journal::Change;
use crate::task::TaskEntry;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// What the window hands over.
enum Work {
    /// Every task, to write the main file whole (and start an empty journal).
    Full(Vec<Arc<TaskEntry>>),
    /// The tasks changed or removed since the last hand-over.
    Changes(Vec<Change>),
}

/// Work with the generation of the book it shows (`None`: nothing new, only the reply),
/// and who waits for the disk.
type Job = (Option<(Work, u64)>, Option<mpsc::Sender<()>>);

/// What the writer last did: the newest generation on disk, the last write's error, and
/// whether it asks for a whole snapshot (see [`HistoryWriter::wants_full`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    pub generation: u64,
    pub error: Option<String>,
    pub wants_full: bool,
    /// How many whole snapshots the thread had taken when it said `wants_full`.
    fulls_taken: u64,
}

/// Writes on a background thread; a burst of hand-overs costs one write (the thread takes
/// everything queued before writing). Writes happen in the order sent; what a write could
/// not put on disk stays with the thread and goes with the next one.
pub struct Saver {
    tx: mpsc::Sender<Job>,
    written: Arc<Mutex<Written>>,
    /// Whole snapshots handed over, to tell a request for one already answered.
    fulls_sent: std::sync::atomic::AtomicU64,
}

impl Saver {
    pub fn start(path: PathBuf) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let written = Arc::new(Mutex::new(Written::default()));
        let state = written.clone();
        let spawned = std::thread::Builder::new()
            .name("seedance-save".into())
            .spawn(move || {
                let mut writer = HistoryWriter::new(path);
                let mut generation = None;
                let mut fulls_taken = 0;
                while let Ok(job) = rx.recv() {
                    let mut replies = Vec::new();
                    let mut next = Some(job);
                    while let Some((work, reply)) = next {
                        if let Some((work, g)) = work {
                            match work {
                                Work::Full(snapshot) => {
                                    fulls_taken += 1;
                                    writer.push_full(snapshot)
                                }
                                Work::Changes(changes) => writer.push_changes(changes),
                            }
                            generation = Some(g);
                        }
                        replies.extend(reply);
                        next = rx.try_recv().ok();
                    }
                    let result = writer.write();
                    if let Ok(mut w) = state.lock() {
                        w.wants_full = writer.wants_full();
                        w.fulls_taken = fulls_taken;
                        match result {
                            Ok(()) => {
                                if writer.is_idle()
                                    && let Some(g) = generation
                                {
                                    w.generation = g;
                                }
                                w.error = None;
                            }
                            Err(e) => {
                                w.error = Some(format!(
                                    "could not save the history to {}: {e}",
                                    writer.path().display()
                                ))
                            }
                        }
                    }
                    for r in replies {
                        let _ = r.send(());
                    }
                }
            });
        if let Err(e) = spawned
            && let Ok(mut w) = written.lock()
        {
            w.error = Some(format!("could not start the history writer: {e}"));
        }
        Self {
            tx,
            written,
            fulls_sent: Default::default(),
        }
    }

    /// The writer asks for every task (no main file to append to, or a journal to
    /// compact), and no snapshot it has not seen yet is on its way.
    pub fn wants_full(&self) -> bool {
        let w = self.written();
        w.wants_full && w.fulls_taken == self.fulls_sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Hands over the changes made up to `generation`; [`Self::written`] tells when they
    /// (or newer ones) are on disk.
    pub fn save_changes(&self, changes: Vec<Change>, generation: u64) {
        let _ = self
            .tx
            .send((Some((Work::Changes(changes), generation)), None));
    }

    /// Hands over every task, at `generation`, to be written whole.
    pub fn save(&self, snapshot: Vec<Arc<TaskEntry>>, generation: u64) {
        self.fulls_sent
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let _ = self
            .tx
            .send((Some((Work::Full(snapshot), generation)), None));
    }

    /// Waits until everything sent so far is written (or `timeout` passes): for an exit
    /// with nothing new to save while an earlier write may still be running. Something a
    /// failed write left is tried once more.
    pub fn wait_idle(&self, timeout: std::time::Duration) -> bool {
        self.send_and_wait(None, timeout)
    }

    /// Hands over changes and waits until they are written (or `timeout` passes): for the
    /// save on exit.
    pub fn save_changes_and_wait(
        &self,
        changes: Vec<Change>,
        generation: u64,
        timeout: std::time::Duration,
    ) -> bool {
        self.send_and_wait(Some((Work::Changes(changes), generation)), timeout)
    }

    /// Hands over every task and waits until they are written (or `timeout` passes).
    pub fn save_and_wait(
        &self,
        snapshot: Vec<Arc<TaskEntry>>,
        generation: u64,
        timeout: std::time::Duration,
    ) -> bool {
        self.fulls_sent
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.send_and_wait(Some((Work::Full(snapshot), generation)), timeout)
    }

    fn send_and_wait(&self, work: Option<(Work, u64)>, timeout: std::time::Duration) -> bool {
        let (reply_tx, reply_rx) = mpsc::channel();
        if self.tx.send((work, Some(reply_tx))).is_err() {
            return false;
        }
        reply_rx.recv_timeout(timeout).is_ok()
    }

    /// The newest generation on disk and whether the last write failed.
    pub fn written(&self) -> Written {
        self.written.lock().map(|w| w.clone()).unwrap_or_default()
    }

    pub fn last_error(&self) -> Option<String> {
        self.written().error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::entries;
    use crate::store::{FILE_NAME, Loaded, load};

    #[test]
    fn saver_writes_the_latest_snapshot() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("sub").join(FILE_NAME);
        let saver = Saver::start(path.clone());
        let shared = |n| entries(n).into_iter().map(Arc::new).collect();
        saver.save(shared(1), 1);
        saver.save(shared(7), 2);
        let start = std::time::Instant::now();
        while !matches!(load(&path), Loaded::Tasks { tasks, .. } if tasks.len() == 7) {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(10),
                "saved"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(saver.last_error(), None);
        assert!(saver.wait_idle(std::time::Duration::from_secs(10)));
        assert_eq!(saver.written().generation, 2);
    }

    #[test]
    fn a_failed_write_is_reported_and_not_confirmed() {
        let dir = tempfile::tempdir().expect("tmp");
        // A directory where the file goes: the rename fails.
        let path = dir.path().join(FILE_NAME);
        std::fs::create_dir_all(path.join("x")).expect("dir");
        let saver = Saver::start(path.clone());
        assert!(saver.save_and_wait(
            entries(2).into_iter().map(Arc::new).collect(),
            5,
            std::time::Duration::from_secs(10)
        ));
        let written = saver.written();
        assert_eq!(written.generation, 0, "nothing confirmed");
        assert!(written.error.is_some_and(|e| e.contains("could not save")));
    }

    #[test]
    fn waiting_for_idle_waits_for_the_write_in_flight() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        let saver = Saver::start(path.clone());
        saver.save(entries(2_000).into_iter().map(Arc::new).collect(), 1);
        assert!(saver.wait_idle(std::time::Duration::from_secs(20)));
        assert!(matches!(load(&path), Loaded::Tasks { tasks, .. } if tasks.len() == 2_000));
    }
}
