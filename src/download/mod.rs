//! **Download…**: copies of finished videos and last-frame images into a folder of the
//! user's choice, named `<id>.mp4` / `<id>-last-frame.png`.
//!
//! Each file goes through the library's fetcher ([`crate::library::fetch`]): streamed to
//! `<name>.part`, verified by its magic bytes and length, resumed after a cut, synced and
//! only then renamed, so a file with the final name is whole: that is what lets a later
//! batch skip it without asking the server again.

mod batch;
mod naming;

pub use crate::library::FileKind;
pub use crate::library::client::{WebClient, http_client};

use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// One file to fetch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DownloadJob {
    pub task_id: String,
    pub kind: FileKind,
    pub url: String,
}

/// What happens to the jobs of a batch. Each job ends with exactly one of `Skipped`,
/// `Done`, `Failed` or `Cancelled`; `Finished` is the batch's last event.
/// Jobs that share a file name are fetched once: `Started` and `Progress` name the first
/// of them, and each gets its own final event.
#[derive(Debug, Clone, PartialEq)]
pub enum DownloadEvent {
    Started {
        job: DownloadJob,
        total: Option<u64>,
    },
    /// Throttled to about ten a second per job, and rising; the last one
    /// (received == the file's size) is always sent.
    Progress {
        job: DownloadJob,
        received: u64,
        total: Option<u64>,
    },
    /// The final file already exists.
    Skipped {
        job: DownloadJob,
        path: PathBuf,
    },
    Done {
        job: DownloadJob,
        path: PathBuf,
        bytes: u64,
    },
    Failed {
        job: DownloadJob,
        error: String,
    },
    Cancelled {
        job: DownloadJob,
    },
    Finished,
}

/// Handle on a running batch. Dropping it does not stop the batch; [`Downloads::cancel`] does.
pub struct Downloads {
    cancel: watch::Sender<bool>,
}

type Notify = Arc<dyn Fn() + Send + Sync>;

impl Downloads {
    /// Starts downloading on the current tokio runtime, at most `concurrency` at a time
    /// (and within the process-wide [`crate::library::MEDIA_FETCHES`]). `notify` is
    /// called after each event is sent (the GUI passes egui's request_repaint).
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn start(
        client: reqwest::Client,
        dir: PathBuf,
        jobs: Vec<DownloadJob>,
        concurrency: usize,
        notify: Option<Notify>,
    ) -> (Downloads, mpsc::UnboundedReceiver<DownloadEvent>) {
        let (cancel, cancel_rx) = watch::channel(false);
        let (tx, rx) = mpsc::unbounded_channel();
        let events = batch::Events { tx, notify };
        tokio::spawn(batch::run_batch(
            client,
            dir,
            jobs,
            concurrency.max(1),
            events,
            cancel_rx,
        ));
        (Downloads { cancel }, rx)
    }

    /// Cancels everything still running or queued; each gets `Cancelled` and its `.part`
    /// file is removed.
    pub fn cancel(&self) {
        self.cancel.send_replace(true);
    }
}

impl WebClient {
    /// Starts a batch of downloads into `dir` (see [`Downloads::start`]).
    pub fn download(
        &self,
        dir: PathBuf,
        jobs: Vec<DownloadJob>,
        concurrency: usize,
        notify: Option<Notify>,
    ) -> (Downloads, mpsc::UnboundedReceiver<DownloadEvent>) {
        Downloads::start(self.0.clone(), dir, jobs, concurrency, notify)
    }
}
