//! The local library: finished videos saved by themselves, verified, with their settings
//! beside them.
//!
//! Layout: `<library>/YYYY-MM/<time> <prompt>-<id8>.mp4`, its last frame as
//! `….last-frame.png` (or the image's real type) and its sidecar `….json`
//! ([`naming`], [`sidecar`]). Every file is streamed to `.part`, checked by its magic
//! bytes and length, synced and only then renamed ([`fetch`]). Library saves,
//! **Download…** batches and the window's in-memory fetches (posters, Continue's frames:
//! `preview::Fetcher`) share one process-wide limit of [`client::MEDIA_FETCHES`] at once.
//!
//! [`Library`] is the handle the CLI and the window drive: [`Library::save`] per task,
//! [`Library::state`] per task id, [`LibraryEvent`]s with bytes and totals,
//! [`Library::probe_sizes`] for what a save would fetch, and
//! [`Library::recognise_saved`] (one `stat` per file) / [`Library::verify_all`] (a hash)
//! for files saved earlier.

pub mod client;
pub mod fetch;
pub mod locks;
pub mod media;
pub mod naming;
pub mod part;
mod presence;
mod probe;
mod save;
pub mod sidecar;
mod verify;
pub mod wording;

pub use client::{MEDIA_FETCHES, WebClient, http_client, media_slots};
pub use fetch::{FetchError, RetryPolicy};
pub use presence::{Presence, Verified, recognise, recognise_blocking};
pub use probe::PROBE_TIMEOUT;
pub use save::SaveError;
pub use verify::{CHANGED, TaskVerified, VERIFY_AT_ONCE, VerifyOutcome, VerifyReport};

use crate::api::TaskRecord;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{Semaphore, mpsc};

/// Overrides the library folder (the window's choice included); the CLI's `--library`
/// overrides this.
pub const ENV_LIBRARY_DIR: &str = "SEEDANCE_LIBRARY_DIR";

/// `$SEEDANCE_LIBRARY_DIR`, else the platform's Videos folder plus `SeeDance`, else the
/// data directory plus `library`.
pub fn default_root() -> Option<PathBuf> {
    env_root().or_else(platform_root)
}

/// `$SEEDANCE_LIBRARY_DIR`, when set and not empty.
pub fn env_root() -> Option<PathBuf> {
    std::env::var_os(ENV_LIBRARY_DIR)
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}

/// The platform's Videos folder plus `SeeDance`, else the data directory plus `library`.
pub fn platform_root() -> Option<PathBuf> {
    directories::UserDirs::new()
        .and_then(|u| u.video_dir().map(|d| d.join("SeeDance")))
        .or_else(|| crate::store::data_dir().map(|d| d.join("library")))
}

/// Which output of a task a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    Video,
    LastFrame,
}

/// What saving a task needs from its record.
#[derive(Debug, Clone, PartialEq)]
pub struct SaveRequest {
    pub id: String,
    pub prompt: Option<String>,
    /// Unix seconds; names the file and its month.
    pub created_at: Option<f64>,
    pub video_url: Option<String>,
    pub last_frame_url: Option<String>,
    /// As the API sent them, for the sidecar.
    pub request: Value,
    pub response: Value,
}

impl SaveRequest {
    pub fn from_record(record: &TaskRecord) -> Self {
        let raw = record.raw();
        Self {
            id: record.id.clone(),
            prompt: record.prompt.clone(),
            created_at: record.created_at,
            video_url: record.video_url.clone(),
            last_frame_url: record.last_frame_url.clone(),
            request: raw.get("request").cloned().unwrap_or(Value::Null),
            response: raw.get("response").cloned().unwrap_or(Value::Null),
        }
    }
}

/// A file in the library, as recorded when it was saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedFile {
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
}

/// A saved task: its video, and its last frame where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedTask {
    pub id: String,
    pub video: SavedFile,
    pub last_frame: Option<SavedFile>,
    pub sidecar: Option<PathBuf>,
    /// The video is saved but its last frame is not, for this reason.
    pub last_frame_error: Option<String>,
}

/// A task's place in the library, as the window shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveState {
    /// Being fetched: bytes of the current file and its size where known.
    Saving {
        file: FileKind,
        received: u64,
        total: Option<u64>,
    },
    Saved(SavedTask),
    Failed {
        reason: String,
        retryable: bool,
    },
    /// The link answered that the file no longer exists.
    Gone,
    /// Saved earlier, but the file is no longer where it was (the user moved or deleted it).
    Removed,
}

impl SaveState {
    /// The state a save ends in.
    pub fn after(result: &Result<SavedTask, SaveError>) -> Self {
        match result {
            Ok(saved) => Self::Saved(saved.clone()),
            Err(e) if e.gone => Self::Gone,
            Err(e) => Self::Failed {
                reason: e.reason.clone(),
                retryable: e.retryable,
            },
        }
    }

    /// `saving n %` where the size is known.
    pub fn percent(&self) -> Option<u8> {
        match self {
            SaveState::Saving {
                received,
                total: Some(total),
                ..
            } if *total > 0 => Some(((received.saturating_mul(100)) / total).min(100) as u8),
            _ => None,
        }
    }
}

/// What the library tells its watcher (the window): each change of a task's state, and
/// progress throttled to about ten a second per file (the last byte is reported where the
/// size is known).
#[derive(Debug, Clone, PartialEq)]
pub enum LibraryEvent {
    Progress {
        id: String,
        file: FileKind,
        received: u64,
        total: Option<u64>,
    },
    State {
        id: String,
        state: SaveState,
    },
}

type Notify = Arc<dyn Fn() + Send + Sync>;

pub(crate) struct Inner {
    root: PathBuf,
    client: reqwest::Client,
    slots: Arc<Semaphore>,
    retry: RetryPolicy,
    probe_timeout: std::time::Duration,
    states: Mutex<HashMap<String, SaveState>>,
    /// Files found changed by a verify: the next save of their task fetches them again
    /// instead of trusting the size on disk.
    refetch: Mutex<HashSet<(String, FileKind)>>,
    events: Option<mpsc::UnboundedSender<LibraryEvent>>,
    notify: Option<Notify>,
}

impl Inner {
    fn refetch(&self, id: &str, kind: FileKind) {
        self.refetch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((id.to_owned(), kind));
    }

    /// Whether the next save of `id` must fetch this file again.
    fn must_refetch(&self, id: &str, kind: FileKind) -> bool {
        self.refetch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&(id.to_owned(), kind))
    }

    /// The task's files were saved again: nothing left to fetch anew.
    fn refetched(&self, id: &str) {
        let mut refetch = self.refetch.lock().unwrap_or_else(PoisonError::into_inner);
        refetch.remove(&(id.to_owned(), FileKind::Video));
        refetch.remove(&(id.to_owned(), FileKind::LastFrame));
    }

    fn set(&self, id: &str, state: SaveState) {
        let changed = {
            let mut states = self.states.lock().unwrap_or_else(PoisonError::into_inner);
            let old = states.insert(id.to_owned(), state.clone());
            old.as_ref() != Some(&state)
        };
        if changed {
            self.send(LibraryEvent::State {
                id: id.to_owned(),
                state,
            });
        }
    }

    fn progress(&self, id: &str, file: FileKind, received: u64, total: Option<u64>) {
        self.states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                id.to_owned(),
                SaveState::Saving {
                    file,
                    received,
                    total,
                },
            );
        self.send(LibraryEvent::Progress {
            id: id.to_owned(),
            file,
            received,
            total,
        });
    }

    fn send(&self, event: LibraryEvent) {
        if let Some(tx) = &self.events {
            // Nobody listening is no reason to stop: the files are still wanted on disk.
            let _ = tx.send(event);
        }
        if let Some(notify) = &self.notify {
            notify();
        }
    }
}

/// The library at one folder. Cheap to clone; clones share states and events. Every
/// method that touches the disk or the network is async and runs on the caller's tokio
/// runtime without blocking it (writes and hashes go to the blocking pool).
#[derive(Clone)]
pub struct Library {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("root", &self.inner.root)
            .finish_non_exhaustive()
    }
}

/// How a [`Library`] is put together; [`LibraryBuilder::open`] finishes it.
pub struct LibraryBuilder {
    root: PathBuf,
    /// Built at `open` when none is given (building one loads the system's certificates).
    client: Option<WebClient>,
    slots: Arc<Semaphore>,
    retry: RetryPolicy,
    probe_timeout: std::time::Duration,
    events: Option<mpsc::UnboundedSender<LibraryEvent>>,
    notify: Option<Notify>,
}

impl LibraryBuilder {
    pub fn client(mut self, client: WebClient) -> Self {
        self.client = Some(client);
        self
    }

    /// Slots other than the process-wide ones (benchmarks comparing parallelism).
    pub fn slots(mut self, slots: Arc<Semaphore>) -> Self {
        self.slots = slots;
        self
    }

    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How long [`Library::probe_size`] waits for an answer (default [`PROBE_TIMEOUT`]).
    pub fn probe_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.probe_timeout = timeout;
        self
    }

    /// Events go to `events`; `notify` is called after each (the window passes egui's
    /// request_repaint).
    pub fn events(
        mut self,
        events: mpsc::UnboundedSender<LibraryEvent>,
        notify: Option<Notify>,
    ) -> Self {
        self.events = Some(events);
        self.notify = notify;
        self
    }

    pub fn open(self) -> Library {
        Library {
            inner: Arc::new(Inner {
                root: self.root,
                client: self.client.unwrap_or_default().0,
                slots: self.slots,
                retry: self.retry,
                probe_timeout: self.probe_timeout,
                states: Mutex::default(),
                refetch: Mutex::default(),
                events: self.events,
                notify: self.notify,
            }),
        }
    }
}

impl Library {
    /// A library at `root` (created on the first save), sharing the process's media slots.
    pub fn builder(root: PathBuf) -> LibraryBuilder {
        LibraryBuilder {
            root,
            client: None,
            slots: media_slots(),
            retry: RetryPolicy::default(),
            probe_timeout: PROBE_TIMEOUT,
            events: None,
            notify: None,
        }
    }

    pub fn open(root: PathBuf) -> Library {
        Self::builder(root).open()
    }

    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    /// The task's state as this handle last saw it.
    pub fn state(&self, id: &str) -> Option<SaveState> {
        self.inner
            .states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// Marks tasks the window's history knows as saved, or removed where [`recognise`]
    /// found them missing, without asking the disk again.
    pub fn set_state(&self, id: &str, state: SaveState) {
        self.inner.set(id, state);
    }

    /// The task's files if its sidecar is in the library and they are there at their
    /// recorded sizes (the CLI's way to know a task is saved; no file is read but the
    /// sidecar).
    pub async fn find(&self, request: &SaveRequest) -> Option<SavedTask> {
        match self.look_up(request).await? {
            SaveState::Saved(saved) => Some(saved),
            _ => None,
        }
    }

    /// The task's state by its sidecar: saved when the sidecar (this task's own, found as
    /// a save names it) is there and its files are at their recorded sizes, removed when
    /// the sidecar is there but the video is not, `None` when there is no sidecar.
    pub async fn look_up(&self, request: &SaveRequest) -> Option<SaveState> {
        let (dir, names, sidecar) = save::locate(&self.inner.root, request).await;
        match save::present(&dir, &sidecar?).await {
            Some(found) => Some(SaveState::Saved(SavedTask {
                sidecar: Some(dir.join(names.sidecar())),
                ..found
            })),
            None => Some(SaveState::Removed),
        }
    }

    /// Saves the task's video and last frame (a task already saved is not fetched again)
    /// and writes its sidecar. The video's failure is the error; a last frame that failed
    /// is told in [`SavedTask::last_frame_error`].
    pub async fn save(&self, request: &SaveRequest) -> Result<SavedTask, SaveError> {
        if let Some(SaveState::Gone) = self.state(&request.id) {
            return Err(SaveError::from(FetchError::Gone {
                noun: "video",
                status: 0,
            }));
        }
        let result = save::save(&self.inner, request).await;
        if result.is_ok() {
            self.inner.refetched(&request.id);
        }
        self.inner.set(&request.id, SaveState::after(&result));
        result
    }

    /// Hashes a saved file again and compares it with what was recorded at save time.
    pub async fn verify(&self, file: &SavedFile) -> Verified {
        presence::verify(file).await
    }
}
