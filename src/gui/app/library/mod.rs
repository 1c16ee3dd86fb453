//! The window's library: every task the window sees finish (watched, created, or brought
//! in by Follow) is saved into the local library as it finishes, with no click, while
//! **Keep videos** is on. Tasks that arrive already finished (pasted, Load my tasks, the
//! history) are not fetched by themselves: they are offered as one "Save N finished
//! videos". At start the library's sidecars say which tasks are saved already (one sidecar
//! read and one `stat` per file, in the background); a task whose sidecar is there but
//! whose video is not shows "removed from the library" and is not fetched again by itself.
//! The demo has no library (its links never resolve).

use super::SeedanceApp;
use super::background::{Done, Job};
use crate::api::Status;
use crate::library::naming::TaskNames;
use crate::library::{Library, LibraryEvent, SaveRequest, SaveState, SavedTask};
use crate::task::TaskEntry;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// The window's handle on the library and what it last heard of each task.
#[derive(Default)]
pub struct LibrarySync {
    library: Option<Library>,
    events: Option<UnboundedReceiver<LibraryEvent>>,
    /// Each task's state as the library last told it (read while drawing, no lock).
    states: HashMap<String, SaveState>,
    /// Tasks whose sidecar was looked for (once each).
    looked: HashSet<String>,
    /// The book's revision last looked through for new succeeded tasks.
    scanned: u64,
    /// What was clicked while drawing, done after.
    wanted: Vec<Action>,
}

/// A click on the library's controls.
#[derive(Debug, Clone)]
enum Action {
    Open(PathBuf),
    ShowInFolder(PathBuf),
    Retry(String),
    SaveAll,
}

impl LibrarySync {
    /// A library at `root` whose events wake the window; `None`: no library.
    pub fn new(ctx: &egui::Context, root: Option<PathBuf>) -> Self {
        let Some(root) = root else {
            return Self::default();
        };
        let (tx, rx) = unbounded_channel();
        let ctx = ctx.clone();
        let library = Library::builder(root)
            .events(tx, Some(Arc::new(move || ctx.request_repaint())))
            .open();
        Self {
            library: Some(library),
            events: Some(rx),
            states: HashMap::new(),
            looked: HashSet::new(),
            scanned: u64::MAX,
            wanted: Vec::new(),
        }
    }

    pub fn state(&self, id: &str) -> Option<&SaveState> {
        self.states.get(id)
    }

    /// (saved, saving, bytes saved) for the status line.
    pub fn tally(&self) -> (usize, usize, u64) {
        let mut saved = 0;
        let mut saving = 0;
        let mut bytes = 0;
        for state in self.states.values() {
            match state {
                SaveState::Saved(t) => {
                    saved += 1;
                    bytes += t.video.size + t.last_frame.as_ref().map_or(0, |f| f.size);
                }
                SaveState::Saving { .. } => saving += 1,
                _ => {}
            }
        }
        (saved, saving, bytes)
    }
}

/// The short word the grid, the gallery and the details show for a library state.
pub fn describe(state: &SaveState) -> String {
    match state {
        SaveState::Saving { .. } => match state.percent() {
            Some(p) => format!("saving {p} %"),
            None => "saving…".to_owned(),
        },
        SaveState::Saved(_) => "✓ saved".to_owned(),
        SaveState::Failed { reason, .. } => format!("save failed: {reason}"),
        SaveState::Gone => "the link has expired; the video is no longer available".to_owned(),
        SaveState::Removed => "removed from the library".to_owned(),
    }
}

/// How long SeeDance's own links live after the task finished (Ark deletes them).
const LINK_LIFE: f64 = 24.0 * 3600.0;

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

/// "link expires in 5 h", "link expired" for a link with an end.
fn expiry_text(expires_at: f64, now: f64) -> String {
    let left = expires_at - now;
    if left <= 0.0 {
        "the link has likely expired (24 h after the task finished)".to_owned()
    } else if left < 3600.0 {
        format!("link expires in {} min", (left / 60.0).ceil() as u64)
    } else {
        format!("link expires in {} h", (left / 3600.0).floor() as u64)
    }
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
        match self.library.state(id)? {
            SaveState::Saved(t) => Some(t.video.path.clone()),
            _ => None,
        }
    }

    /// Task `id`'s library state, as the window shows it.
    pub fn library_state(&self, id: &str) -> Option<&SaveState> {
        self.library.state(id)
    }

    /// "Save N finished videos", while there are succeeded tasks not in the library.
    pub fn library_offer(&self) -> Option<String> {
        let n = self.library_unsaved().len();
        (n > 0).then(|| {
            format!(
                "Save {n} finished {}",
                if n == 1 { "video" } else { "videos" }
            )
        })
    }

    /// The status line's library part: "312 saved · 2 saving · 4.1 GB".
    pub fn library_summary(&self) -> Option<String> {
        self.library.library.as_ref()?;
        let (saved, saving, bytes) = self.library.tally();
        let mut parts = vec![format!("{saved} saved")];
        if saving > 0 {
            parts.push(format!("{saving} saving"));
        }
        if bytes > 0 {
            parts.push(human_bytes(bytes));
        }
        Some(parts.join(" · "))
    }

    /// The library's bar: Keep videos, the summary, the Save N offer.
    pub(super) fn library_bar(&mut self, ui: &mut egui::Ui) {
        if self.library.library.is_none() {
            return;
        }
        ui.horizontal(|ui| {
            ui.checkbox(&mut self.prefs.keep_videos, "Keep videos")
                .on_hover_text("Save each task the window sees finish into the library");
            if let Some(summary) = self.library_summary() {
                ui.label(format!("Library: {summary}"));
            }
            if let Some(offer) = self.library_offer()
                && ui.button(offer).clicked()
            {
                self.library.wanted.push(Action::SaveAll);
            }
        });
    }

    /// Each frame: the library's news, and new succeeded tasks looked up in it.
    pub(super) fn library_tick(&mut self) {
        for action in std::mem::take(&mut self.library.wanted) {
            match action {
                Action::Open(path) | Action::ShowInFolder(path) => {
                    let opener = self.opener.clone();
                    self.background.blocking(&self.ctx, Job::Open, move || {
                        Done::Opened(opener.open(&path.display().to_string()))
                    });
                }
                Action::Retry(id) => self.library_retry(&id),
                Action::SaveAll => self.library_save_all(),
            }
        }
        if self.library.scanned != self.book.revision() {
            self.library.scanned = self.book.revision();
            self.library_recognise();
        }
        let Some(rx) = &mut self.library.events else {
            return;
        };
        while let Ok(event) = rx.try_recv() {
            match event {
                LibraryEvent::State { id, state } => {
                    self.library.states.insert(id, state);
                }
                LibraryEvent::Progress {
                    id,
                    file,
                    received,
                    total,
                } => {
                    self.library.states.insert(
                        id,
                        SaveState::Saving {
                            file,
                            received,
                            total,
                        },
                    );
                }
            }
        }
    }

    /// Tasks the window saw finish: saved by themselves while Keep videos is on.
    pub(super) fn library_finished(&mut self, ids: &[String]) {
        if !self.prefs.keep_videos {
            return;
        }
        let requests: Vec<SaveRequest> = ids
            .iter()
            .filter_map(|id| self.book.get(id))
            .filter_map(request_of)
            .collect();
        self.library_save(requests, false);
    }

    /// Saves these tasks (`again`: also those that failed, were removed or gone before).
    /// Links that expire are started first, the soonest first.
    pub(super) fn library_save(&mut self, mut requests: Vec<SaveRequest>, again: bool) {
        let Some(library) = self.library.library.clone() else {
            return;
        };
        let expiry = |r: &SaveRequest| {
            self.book
                .get(&r.id)
                .and_then(link_expires_at)
                .unwrap_or(f64::INFINITY)
        };
        requests.sort_by(|a, b| expiry(a).total_cmp(&expiry(b)));
        for request in requests {
            let skip = match self.library.states.get(&request.id) {
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
            self.library.states.insert(
                id.clone(),
                SaveState::Saving {
                    file: crate::library::FileKind::Video,
                    received: 0,
                    total: None,
                },
            );
            self.background.future(&self.ctx, Job::Library, async move {
                let result = library.save(&request).await.map_err(|e| e.reason);
                Done::LibrarySaved { id, result }
            });
        }
    }

    /// A save ended (its state came as an event too); a saved video is the best poster.
    pub(super) fn on_library_saved(&mut self, id: &str, result: Result<SavedTask, String>) {
        if let Some(library) = &self.library.library
            && let Some(state) = library.state(id)
        {
            self.library.states.insert(id.to_owned(), state);
        }
        if result.is_ok() {
            self.poster_saved_video(id);
        }
    }

    /// Retry on a failed save (or a removed file the user wants back).
    pub(super) fn library_retry(&mut self, id: &str) {
        if let Some(request) = self.book.get(id).and_then(request_of) {
            self.library_save(vec![request], true);
        }
    }

    /// Succeeded tasks not looked up yet (loaded from the history, pasted, listed): which
    /// are in the library already (their sidecars), which were removed from it. Nothing
    /// is fetched.
    pub(super) fn library_recognise(&mut self) {
        let Some(library) = self.library.library.clone() else {
            return;
        };
        let requests: Vec<SaveRequest> = self
            .book
            .entries()
            .iter()
            .filter(|e| {
                !self.library.states.contains_key(&e.id) && !self.library.looked.contains(&e.id)
            })
            .filter_map(|e| request_of(e))
            .collect();
        if requests.is_empty() {
            return;
        }
        self.library
            .looked
            .extend(requests.iter().map(|r| r.id.clone()));
        self.background.future(&self.ctx, Job::Library, async move {
            let mut found = Vec::with_capacity(requests.len());
            for request in &requests {
                let state = match library.find(request).await {
                    Some(saved) => Some(SaveState::Saved(saved)),
                    None => {
                        let names = TaskNames::new(
                            &request.id,
                            request.prompt.as_deref(),
                            request.created_at,
                        );
                        let sidecar = library.root().join(&names.month).join(names.sidecar());
                        tokio::fs::symlink_metadata(&sidecar)
                            .await
                            .is_ok()
                            .then_some(SaveState::Removed)
                    }
                };
                if let Some(state) = state {
                    library.set_state(&request.id, state.clone());
                    found.push((request.id.clone(), state));
                }
            }
            Done::LibraryFound(found)
        });
    }

    pub(super) fn on_library_found(&mut self, found: Vec<(String, SaveState)>) {
        for (id, state) in found {
            let saved = matches!(state, SaveState::Saved(_));
            self.library.states.insert(id.clone(), state);
            if saved {
                self.poster_saved_video(&id);
            }
        }
    }

    /// Succeeded tasks not in the library (and not removed from it or gone): what
    /// "Save N finished videos" would fetch.
    pub(super) fn library_unsaved(&self) -> Vec<SaveRequest> {
        if self.library.library.is_none() {
            return Vec::new();
        }
        self.book
            .entries()
            .iter()
            .filter(|e| match self.library.states.get(&e.id) {
                None => true,
                Some(SaveState::Failed { retryable, .. }) => *retryable,
                Some(_) => false,
            })
            .filter_map(|e| request_of(e))
            .collect()
    }

    /// "Save N finished videos".
    pub(super) fn library_save_all(&mut self) {
        let requests = self.library_unsaved();
        self.library_save(requests, true);
    }
}

/// The details' library line for one task: its state, and Open / Show in folder / Retry.
pub(super) fn details_line(ui: &mut egui::Ui, sync: &mut LibrarySync, entry: &TaskEntry) {
    let id = entry.id.as_str();
    let saved = matches!(sync.states.get(id), Some(SaveState::Saved(_)));
    if !saved && let Some(at) = link_expires_at(entry) {
        ui.label(expiry_text(at, crate::task::unix_now()));
    }
    let Some(state) = sync.states.get(id).cloned() else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("Library: {}", describe(&state)));
        match &state {
            SaveState::Saved(saved) => {
                if ui
                    .button("Open")
                    .on_hover_text("Play the saved file")
                    .clicked()
                {
                    sync.wanted.push(Action::Open(saved.video.path.clone()));
                }
                if let Some(dir) = saved.video.path.parent()
                    && ui.button("Show in folder").clicked()
                {
                    sync.wanted.push(Action::ShowInFolder(dir.to_path_buf()));
                }
            }
            SaveState::Failed { .. } | SaveState::Removed if ui.button("Retry").clicked() => {
                sync.wanted.push(Action::Retry(id.to_owned()));
            }
            _ => {}
        }
    });
    ui.separator();
}

/// The grid's and gallery's short word for a task's library state.
pub(super) fn card_word(sync: &LibrarySync, id: &str) -> Option<String> {
    sync.states.get(id).map(|s| match s {
        SaveState::Saved(_) => "✓ saved".to_owned(),
        SaveState::Failed { .. } => "save failed".to_owned(),
        SaveState::Gone => "gone".to_owned(),
        SaveState::Removed => "removed".to_owned(),
        saving => describe(saving),
    })
}

/// "4.1 GB", "312 MB", "80 KB".
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if value >= 100.0 || unit == 0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(4_100_000_000), "4.1 GB");
        assert_eq!(human_bytes(312_000_000), "312 MB");
        assert_eq!(human_bytes(80_000), "80 KB");
    }

    #[test]
    fn links_outside_acedata_expire_a_day_after_finishing() {
        let entry = |url: &str| {
            let mut e = TaskEntry::new("t");
            let record = crate::api::TaskRecord::from_value(serde_json::json!({
                "id": "t", "finished_at": 1766329436.0,
                "response": {"success": true, "task_id": "t",
                    "data": {"status": "succeeded", "video_url": url}}
            }));
            e.record = record.map(Arc::new);
            e
        };
        assert_eq!(
            link_expires_at(&entry("https://ark.example.com/v.mp4")),
            Some(1766329436.0 + LINK_LIFE)
        );
        assert_eq!(
            link_expires_at(&entry("https://platform.cdn.acedata.cloud/v.mp4")),
            None
        );
        assert_eq!(expiry_text(5.5 * 3600.0, 0.0), "link expires in 5 h");
    }

    #[test]
    fn saving_shows_its_percent() {
        let state = SaveState::Saving {
            file: crate::library::FileKind::Video,
            received: 41,
            total: Some(100),
        };
        assert_eq!(describe(&state), "saving 41 %");
        assert_eq!(describe(&SaveState::Removed), "removed from the library");
    }
}
