//! The history's writer thread: the window hands it snapshots and never waits on the disk.

use super::save;
use crate::task::TaskEntry;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// A snapshot to write with the generation it shows (`None`: nothing new, only the
/// reply), and who waits for the disk.
type Job = (Option<(Vec<Arc<TaskEntry>>, u64)>, Option<mpsc::Sender<()>>);

/// What the writer last did: the newest generation on disk, and the last write's error.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    pub generation: u64,
    pub error: Option<String>,
}

/// Writes snapshots on a background thread; a burst of changes costs one write (the
/// thread always writes the newest snapshot it has). Writes happen in the order sent, so
/// the newest snapshot is always the one left on disk.
pub struct Saver {
    tx: mpsc::Sender<Job>,
    written: Arc<Mutex<Written>>,
}

impl Saver {
    pub fn start(path: PathBuf) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let written = Arc::new(Mutex::new(Written::default()));
        let state = written.clone();
        let spawned = std::thread::Builder::new()
            .name("seedance-save".into())
            .spawn(move || {
                while let Ok((mut snapshot, reply)) = rx.recv() {
                    let mut replies: Vec<mpsc::Sender<()>> = reply.into_iter().collect();
                    while let Ok((newer, reply)) = rx.try_recv() {
                        snapshot = newer.or(snapshot);
                        replies.extend(reply);
                    }
                    if let Some((snapshot, generation)) = snapshot {
                        let result = save(&path, &snapshot);
                        if let Ok(mut w) = state.lock() {
                            match result {
                                Ok(()) => {
                                    *w = Written {
                                        generation,
                                        error: None,
                                    }
                                }
                                Err(e) => {
                                    w.error = Some(format!(
                                        "could not save the history to {}: {e}",
                                        path.display()
                                    ))
                                }
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
        Self { tx, written }
    }

    /// Hands over a snapshot of the book at `generation`; [`Self::written`] tells when it
    /// (or a newer one) is on disk.
    pub fn save(&self, snapshot: Vec<Arc<TaskEntry>>, generation: u64) {
        let _ = self.tx.send((Some((snapshot, generation)), None));
    }

    /// Waits until every snapshot sent so far is on disk (or `timeout` passes): for an
    /// exit with nothing new to save while an earlier write may still be running.
    pub fn wait_idle(&self, timeout: std::time::Duration) -> bool {
        self.send_and_wait(None, timeout)
    }

    /// Saves and waits until it is on disk (or `timeout` passes): for the save on exit.
    pub fn save_and_wait(
        &self,
        snapshot: Vec<Arc<TaskEntry>>,
        generation: u64,
        timeout: std::time::Duration,
    ) -> bool {
        self.send_and_wait(Some((snapshot, generation)), timeout)
    }

    fn send_and_wait(
        &self,
        snapshot: Option<(Vec<Arc<TaskEntry>>, u64)>,
        timeout: std::time::Duration,
    ) -> bool {
        let (reply_tx, reply_rx) = mpsc::channel();
        if self.tx.send((snapshot, Some(reply_tx))).is_err() {
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
