//! The window's library: every task the window sees finish (watched, created, or brought
//! in by Follow) is saved into the local library as it finishes, with no click, while
//! **Keep videos** is on. Tasks that arrive already finished (pasted, Load my tasks, the
//! history) are not fetched by themselves: they are offered as one "Save N finished
//! videos". The history records each saved task's files; at start one `stat` per file
//! says which are still there (in the background, no file read), and tasks the history
//! does not record are looked up by their sidecar. A task whose video is gone shows
//! "removed from the library" and is not fetched again by itself.
//! The folder is the one `SEEDANCE_LIBRARY_DIR` names, else the one chosen in the window
//! (remembered with the preferences), else the platform's Videos folder plus `SeeDance`.
//! The demo saves nothing (its links never resolve).

mod bar;
mod folder;
mod overview;
mod verify;

pub(super) use bar::{card_word, details_line};
pub use folder::Roots;

use super::SeedanceApp;
use super::background::{Done, Job};
use crate::api::Status;
use crate::library::{Library, LibraryEvent, SaveRequest, SaveState, WebClient};
use crate::task::TaskEntry;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// The window's handle on the library and what it last heard of each task.
#[derive(Default)]
pub struct LibrarySync {
    library: Option<Library>,
    /// The window's one client for media links, shared with every library it opens.
    web: Option<WebClient>,
    events: Option<UnboundedReceiver<LibraryEvent>>,
    /// Where the folder comes from: the environment, the window's choice, the default.
    roots: Roots,
    /// No library whatever the roots say (the window started as the demo).
    off: bool,
    /// Each task's state as the library last told it (read while drawing, no lock).
    states: HashMap<String, SaveState>,
    /// Tasks looked up in the library, by the files the history recorded or else their
    /// sidecar (once each, per folder).
    looked: HashSet<String>,
    /// The book's revision last looked through for new succeeded tasks.
    scanned: u64,
    /// What was clicked while drawing, done after.
    wanted: Vec<Action>,
    /// Verify library, while it runs.
    verify: Option<verify::VerifyRun>,
    /// Bumped when a task's state changes kind (saving → saved), not on progress.
    states_gen: u64,
    /// Lookups of saved tasks under way (sizes wait for them).
    recognising: usize,
    overview: overview::Overview,
    sizes: overview::Sizes,
}

/// A click on the library's controls.
#[derive(Debug, Clone)]
enum Action {
    Open(PathBuf),
    ShowInFolder(PathBuf),
    Retry(String),
    SaveAll,
    ChooseFolder,
    Verify,
}

impl LibrarySync {
    /// None at all, not even at a folder chosen later (the demo's window).
    pub fn off() -> Self {
        Self {
            off: true,
            ..Self::default()
        }
    }

    /// The library at `roots.root()` whose events wake the window; none without a root.
    /// It fetches with `web`, the window's client, not one of its own.
    pub fn new(ctx: &egui::Context, roots: Roots, web: WebClient) -> Self {
        let mut sync = Self {
            roots,
            web: Some(web),
            scanned: u64::MAX,
            ..Self::default()
        };
        sync.open(ctx);
        sync
    }

    /// (Re)opens the library at the folder the roots name now. States are kept: they
    /// name files by their full paths, which stay where they were saved; tasks are looked
    /// up again in the new folder.
    fn open(&mut self, ctx: &egui::Context) {
        let Some(root) = self.roots.root().cloned() else {
            self.library = None;
            self.events = None;
            return;
        };
        if self.library.as_ref().is_some_and(|l| l.root() == root) {
            return;
        }
        let (tx, rx) = unbounded_channel();
        let ctx = ctx.clone();
        self.library = Some(
            Library::builder(root)
                .client(self.web.clone().unwrap_or_default())
                .events(tx, Some(Arc::new(move || ctx.request_repaint())))
                .open(),
        );
        self.events = Some(rx);
        self.looked.clear();
        self.scanned = u64::MAX;
    }

    pub fn state(&self, id: &str) -> Option<&SaveState> {
        self.states.get(id)
    }

    /// The task's saved video, when the library has it.
    pub fn saved_file(&self, id: &str) -> Option<PathBuf> {
        match self.states.get(id)? {
            SaveState::Saved(t) => Some(t.video.path.clone()),
            _ => None,
        }
    }

    /// Sets a task's state as the window shows it.
    fn put(&mut self, id: String, state: SaveState) {
        let same_kind = self
            .states
            .get(&id)
            .is_some_and(|old| std::mem::discriminant(old) == std::mem::discriminant(&state));
        if !same_kind {
            self.states_gen += 1;
        }
        self.states.insert(id, state);
    }
}

/// How long SeeDance's own links live after the task finished (Ark deletes them).
pub(super) const LINK_LIFE: f64 = 24.0 * 3600.0;

/// When the task's video link stops working (Unix seconds): links outside
/// `acedata.cloud` die 24 h after the task finished; AceDataCloud's own have no
/// documented end (`None`).
pub fn link_expires_at(entry: &TaskEntry) -> Option<f64> {
    let record = entry.record.as_ref()?;
    let host = url::Url::parse(record.video_url.as_deref()?)
        .ok()?
        .host_str()?
        .to_ascii_lowercase();
    let ours = host == "acedata.cloud" || host.ends_with(".acedata.cloud");
    (!ours).then_some(record.finished_at? + LINK_LIFE)
}

/// A succeeded task with a video link, as the library wants it.
fn request_of(entry: &TaskEntry) -> Option<SaveRequest> {
    let record = entry.record.as_ref()?;
    (record.status == Status::Succeeded && record.video_url.is_some())
        .then(|| SaveRequest::from_record(record))
}

impl SeedanceApp {
    /// The library's saved file for task `id`, if it is saved.
    pub fn saved_video(&self, id: &str) -> Option<PathBuf> {
        self.services.library.saved_file(id)
    }

    /// Task `id`'s library state, as the window shows it.
    pub fn library_state(&self, id: &str) -> Option<&SaveState> {
        self.services.library.state(id)
    }

    /// Each frame: the library's news, and new succeeded tasks looked up in it.
    pub(super) fn library_tick(&mut self) {
        for action in std::mem::take(&mut self.services.library.wanted) {
            match action {
                Action::Open(path) | Action::ShowInFolder(path) => {
                    let opener = self.services.opener.clone();
                    self.services
                        .background
                        .blocking(&self.ctx, Job::Open, move || {
                            Done::Opened(opener.open(&path.display().to_string()))
                        });
                }
                Action::Retry(id) => self.library_retry(&id),
                Action::SaveAll => self.library_save_all(),
                Action::ChooseFolder => self.library_choose_folder(),
                Action::Verify => self.library_verify(),
            }
        }
        if self.services.library.scanned != self.session.book.revision() {
            self.services.library.scanned = self.session.book.revision();
            self.library_recognise();
        }
        let mut news = Vec::new();
        if let Some(rx) = &mut self.services.library.events {
            while let Ok(event) = rx.try_recv() {
                news.push(event);
            }
        }
        for event in news {
            let (id, state) = match event {
                LibraryEvent::State { id, state } => (id, state),
                LibraryEvent::Progress {
                    id,
                    file,
                    received,
                    total,
                } => (
                    id,
                    SaveState::Saving {
                        file,
                        received,
                        total,
                    },
                ),
            };
            self.library_put(id, state);
        }
        self.library_probe_sizes();
        self.services.library.recount(&self.session.book);
    }

    /// Tasks the window saw finish: saved by themselves while Keep videos is on.
    pub(super) fn library_finished(&mut self, ids: &[String]) {
        if !self.session.prefs.keep_videos {
            return;
        }
        let requests: Vec<SaveRequest> = ids
            .iter()
            .filter_map(|id| self.session.book.get(id))
            .filter_map(request_of)
            .collect();
        self.library_save(requests, false);
    }

    /// Saves these tasks (`again`: also those that failed, were removed or gone before).
    /// Links that expire are started first, the soonest first.
    pub(super) fn library_save(&mut self, mut requests: Vec<SaveRequest>, again: bool) {
        let Some(library) = self.services.library.library.clone() else {
            return;
        };
        if self.session.is_demo() {
            // The demo's links never resolve: nothing of it is fetched.
            return;
        }
        let expiry = |r: &SaveRequest| {
            self.session
                .book
                .get(&r.id)
                .and_then(link_expires_at)
                .unwrap_or(f64::INFINITY)
        };
        requests.sort_by(|a, b| expiry(a).total_cmp(&expiry(b)));
        for request in requests {
            let skip = match self.services.library.states.get(&request.id) {
                None => false,
                Some(SaveState::Saved(_) | SaveState::Saving { .. }) => true,
                Some(SaveState::Failed { .. } | SaveState::Removed) => !again,
                Some(SaveState::Gone) => true,
            };
            if skip {
                continue;
            }
            let library = library.clone();
            let id = request.id.clone();
            // Shown as saving at once, before the first byte.
            self.services.library.put(
                id.clone(),
                SaveState::Saving {
                    file: crate::library::FileKind::Video,
                    received: 0,
                    total: None,
                },
            );
            self.services
                .background
                .future(&self.ctx, Job::Library, async move {
                    // The state this save ended in, carried here: the library may have
                    // moved to another folder since, and its handle no longer knows it.
                    let state = SaveState::after(&library.save(&request).await);
                    Done::LibrarySaved { id, state }
                });
        }
    }

    /// A save ended (its state came as an event too); a saved video is the best poster.
    pub(in crate::gui::app) fn on_library_saved(&mut self, id: &str, state: SaveState) {
        if let SaveState::Saved(task) = &state {
            // The history records the files: the next start knows them by one `stat` each.
            self.session
                .book
                .set_saved(id, Some(Arc::new(task.clone())));
            self.poster_saved_video(id);
        }
        self.library_put(id.to_owned(), state);
    }

    /// The window's state of a task's copy in the library. A copy found removed, changed
    /// or unreadable (at start, by Verify, by a failed save) is no longer the history's
    /// record of the task's files: Continue and posters read that record.
    fn library_put(&mut self, id: String, state: SaveState) {
        if matches!(state, SaveState::Removed | SaveState::Failed { .. }) {
            self.session.book.set_saved(&id, None);
        }
        self.services.library.put(id, state);
    }

    /// Retry on a failed save (or a removed file the user wants back).
    pub(super) fn library_retry(&mut self, id: &str) {
        if let Some(request) = self.session.book.get(id).and_then(request_of) {
            self.library_save(vec![request], true);
        }
    }

    /// Succeeded tasks not looked up yet (loaded from the history, pasted, listed): which
    /// are in the library already, which were removed from it. Nothing is fetched. Tasks
    /// the history records as saved cost one `stat` per file and no read; the others
    /// (saved by the CLI, or before the history recorded it) are looked up by their
    /// sidecar.
    pub(super) fn library_recognise(&mut self) {
        let Some(library) = self.services.library.library.clone() else {
            return;
        };
        if self.session.is_demo() {
            return;
        }
        let sync = &self.services.library;
        let mut known = Vec::new();
        let mut requests = Vec::new();
        for e in self.session.book.entries() {
            if sync.states.contains_key(&e.id) || sync.looked.contains(&e.id) {
                continue;
            }
            if let Some(saved) = &e.saved {
                known.push(saved.clone());
            } else if let Some(request) = request_of(e) {
                requests.push(request);
            }
        }
        if known.is_empty() && requests.is_empty() {
            return;
        }
        let sync = &mut self.services.library;
        sync.recognising += 1;
        sync.looked.extend(known.iter().map(|t| t.id.clone()));
        sync.looked.extend(requests.iter().map(|r| r.id.clone()));
        self.services
            .background
            .future(&self.ctx, Job::Library, async move {
                let mut found = library.recognise_saved(known).await;
                for request in &requests {
                    if let Some(state) = library.look_up(request).await {
                        library.set_state(&request.id, state.clone());
                        found.push((request.id.clone(), state));
                    }
                }
                Done::LibraryFound(found)
            });
    }

    pub(super) fn on_library_found(&mut self, found: Vec<(String, SaveState)>) {
        let sync = &mut self.services.library;
        sync.recognising = sync.recognising.saturating_sub(1);
        for (id, state) in found {
            if let SaveState::Saved(task) = &state {
                // Found by its sidecar: the history records it from now on, so the next
                // start needs no sidecar read.
                let recorded = self
                    .session
                    .book
                    .get(&id)
                    .is_some_and(|e| e.saved.is_some());
                if !recorded {
                    self.session
                        .book
                        .set_saved(&id, Some(Arc::new(task.clone())));
                }
                self.poster_saved_video(&id);
            }
            self.library_put(id, state);
        }
    }

    /// Succeeded tasks not in the library (and not removed from it or gone): what
    /// "Save N finished videos" would fetch.
    pub(super) fn library_unsaved(&self) -> Vec<SaveRequest> {
        if self.services.library.library.is_none() || self.session.is_demo() {
            return Vec::new();
        }
        let sync = &self.services.library;
        self.session
            .book
            .entries()
            .iter()
            .filter(|e| sync.is_unsaved(e))
            .filter_map(|e| request_of(e))
            .collect()
    }

    /// "Save N finished videos".
    pub(super) fn library_save_all(&mut self) {
        let requests = self.library_unsaved();
        self.library_save(requests, true);
    }
}
