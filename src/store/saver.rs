//! The history's writer thread: the window hands it snapshots and never waits on the disk.

use super::save;
use crate::task::TaskEntry;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// A snapshot to write (`None`: nothing new, only the reply), and who waits for the disk.
type Job = (Option<Vec<Arc<TaskEntry>>>, Option<mpsc::Sender<()>>);

/// Writes snapshots on a background thread; a burst of changes costs one write (the
/// thread always writes the newest snapshot it has). Writes happen in the order sent, so
/// the newest snapshot is always the one left on disk.
pub struct Saver {
    tx: mpsc::Sender<Job>,
    last_error: Arc<Mutex<Option<String>>>,
}

impl Saver {
    pub fn start(path: PathBuf) -> Self {
        let (tx, rx) = mpsc::channel::<Job>();
        let last_error = Arc::new(Mutex::new(None));
        let err = last_error.clone();
        let spawned = std::thread::Builder::new()
            .name("seedance-save".into())
            .spawn(move || {
                while let Ok((mut snapshot, reply)) = rx.recv() {
                    let mut replies: Vec<mpsc::Sender<()>> = reply.into_iter().collect();
                    while let Ok((newer, reply)) = rx.try_recv() {
                        snapshot = newer.or(snapshot);
                        replies.extend(reply);
                    }
                    if let Some(snapshot) = snapshot {
                        let result = save(&path, &snapshot);
                        if let Ok(mut slot) = err.lock() {
                            *slot = result.err().map(|e| {
                                format!("could not save the history to {}: {e}", path.display())
                            });
                        }
                    }
                    for r in replies {
                        let _ = r.send(());
                    }
                }
            });
        if let Err(e) = spawned
            && let Ok(mut slot) = last_error.lock()
        {
            *slot = Some(format!("could not start the history writer: {e}"));
        }
        Self { tx, last_error }
    }

    pub fn save(&self, snapshot: Vec<Arc<TaskEntry>>) {
        let _ = self.tx.send((Some(snapshot), None));
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
        timeout: std::time::Duration,
    ) -> bool {
        self.send_and_wait(Some(snapshot), timeout)
    }

    fn send_and_wait(
        &self,
        snapshot: Option<Vec<Arc<TaskEntry>>>,
        timeout: std::time::Duration,
    ) -> bool {
        let (reply_tx, reply_rx) = mpsc::channel();
        if self.tx.send((snapshot, Some(reply_tx))).is_err() {
            return false;
        }
        reply_rx.recv_timeout(timeout).is_ok()
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
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
        saver.save(shared(1));
        saver.save(shared(7));
        let start = std::time::Instant::now();
        while !matches!(load(&path), Loaded::Tasks { tasks, .. } if tasks.len() == 7) {
            assert!(
                start.elapsed() < std::time::Duration::from_secs(10),
                "saved"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(saver.last_error(), None);
    }

    #[test]
    fn waiting_for_idle_waits_for_the_write_in_flight() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join(FILE_NAME);
        let saver = Saver::start(path.clone());
        saver.save(entries(2_000).into_iter().map(Arc::new).collect());
        assert!(saver.wait_idle(std::time::Duration::from_secs(20)));
        assert!(matches!(load(&path), Loaded::Tasks { tasks, .. } if tasks.len() == 2_000));
    }
}
