//! What the panels asked for. Panels return intents while they draw; the app queues them
//! and applies them after drawing (as egui's `wrap_app.rs` runs its commands and rerun
//! its pending UI commands), so no panel changes the book while the frame is drawn.

use super::SeedanceApp;
use super::background::{Done, Job};
use super::files::ExportFormat;
use crate::gui::account::AccountIntent;
use crate::gui::details::DetailIntent;
use crate::gui::downloads::DownloadIntent;
use crate::gui::gallery::GalleryIntent;
use crate::gui::generate::GenerateIntent;
use crate::gui::grid::GridIntent;
use crate::gui::grid_keys::{self, GridKey};
use crate::gui::opener::OpenError;
use crate::gui::status::Severity;
use crate::gui::status::StatusIntent;
use crate::gui::token::TokenIntent;
use crate::gui::toolbar::ToolbarIntent;
use crate::task::TaskEntry;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    Query(Vec<String>),
    RefreshAll,
    StartDemo,
    FocusSearch,
    SelectAllShown,
    Undo,
    DismissUndo,
    Token(TokenIntent),
    Status(StatusIntent),
    Toolbar(ToolbarIntent),
    Grid(GridIntent),
    Gallery(GalleryIntent),
    Detail(DetailIntent),
    Download(DownloadIntent),
    Account(AccountIntent),
    Generate(GenerateIntent),
    OpenNewGeneration,
}

/// What an undo puts back.
pub struct Undo {
    pub label: String,
    pub entries: Vec<TaskEntry>,
}

impl SeedanceApp {
    pub(super) fn push_intent(&mut self, intent: impl Into<Intent>) {
        self.pending.push(intent.into());
    }

    /// Applies the intents queued while drawing, in the order they were given.
    pub(super) fn apply_pending(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        // What they changed is drawn in the next frame: ask for it now.
        self.ctx.request_repaint();
        for intent in std::mem::take(&mut self.pending) {
            // An intent may read the order another one just changed.
            self.session.book.refresh();
            self.apply(intent);
        }
    }

    fn apply(&mut self, intent: Intent) {
        match intent {
            Intent::Query(ids) => self.query(ids),
            Intent::RefreshAll => self.query(self.session.book.all_ids()),
            Intent::StartDemo => self.start_demo(),
            Intent::FocusSearch => self.panels.toolbar.focus_search = true,
            Intent::SelectAllShown => self
                .view
                .selection
                .select_all(&self.session.book.ids_in_order()),
            Intent::Undo => self.undo(),
            Intent::DismissUndo => self.session.undo = None,
            Intent::Token(i) => self.on_token_intent(i),
            Intent::Status(i) => self.on_status_intent(i),
            Intent::Toolbar(i) => self.on_toolbar_intent(i),
            Intent::Grid(i) => self.on_grid_intent(i),
            Intent::Gallery(GalleryIntent::Grid(i)) => self.on_grid_intent(i),
            Intent::Gallery(GalleryIntent::Play(id)) => {
                self.view.selection.set_current(&id);
                self.on_grid_key(GridKey::OpenVideo);
            }
            Intent::Gallery(GalleryIntent::Continue(id)) => self.continue_from(&id),
            Intent::Detail(i) => self.on_detail_intent(i),
            Intent::Download(i) => self.on_download_intent(i),
            Intent::Account(i) => self.on_account_intent(i),
            Intent::Generate(i) => self.on_generate_intent(i),
            Intent::OpenNewGeneration => self.panels.generate.open_new(),
        }
    }

    fn on_status_intent(&mut self, intent: StatusIntent) {
        match intent {
            StatusIntent::OpenTokenPanel => self.panels.token.expanded = true,
            StatusIntent::Retry(ids) => self.query(ids),
            StatusIntent::RefreshAll => self.query(self.session.book.all_ids()),
            StatusIntent::SetWatching(on) => self.set_watching(on),
            StatusIntent::DismissMessage => self.panels.status.message = None,
        }
    }

    fn on_toolbar_intent(&mut self, intent: ToolbarIntent) {
        match intent {
            ToolbarIntent::Filter(filter) => self.session.book.set_filter(filter),
            ToolbarIntent::Refresh => {
                let ids = self.action_targets().iter().map(|e| e.id.clone()).collect();
                self.query(ids);
            }
            ToolbarIntent::Remove => {
                let ids: HashSet<String> =
                    self.action_targets().iter().map(|e| e.id.clone()).collect();
                let removed = self.session.book.remove(&ids);
                self.remove_with_undo(removed, "tasks");
            }
            ToolbarIntent::CopyIds => {
                let ids: Vec<String> = self.action_targets().iter().map(|e| e.id.clone()).collect();
                self.ctx.copy_text(ids.join("\n"));
            }
            ToolbarIntent::CopyTsv => self.copy_tsv(),
            ToolbarIntent::ExportCsv => self.export(ExportFormat::Csv),
            ToolbarIntent::ExportJson => self.export(ExportFormat::Json),
            ToolbarIntent::Download(kinds) => self.download(&kinds),
            ToolbarIntent::ChooseDownloadFolder => self.choose_folder(Vec::new()),
            ToolbarIntent::ClearFinished => {
                let removed = self.session.book.remove_finished();
                self.remove_with_undo(removed, "finished tasks");
            }
            ToolbarIntent::ClearAll => {
                let removed = self.session.book.remove_where(|_| true);
                self.remove_with_undo(removed, "tasks");
            }
            ToolbarIntent::SelectAll => self
                .view
                .selection
                .select_all(&self.session.book.ids_in_order()),
            ToolbarIntent::ClearSelection => self.view.selection.clear(),
            ToolbarIntent::GenerateAgain => {
                let ids: Vec<String> = self.action_targets().iter().map(|e| e.id.clone()).collect();
                self.generate_again(&ids);
            }
            ToolbarIntent::Thumbnails(on) => self.session.prefs.thumbnails = on,
            ToolbarIntent::Gallery(on) => self.session.prefs.gallery = on,
        }
    }

    fn on_grid_intent(&mut self, intent: GridIntent) {
        match intent {
            GridIntent::Sort(column) => self.session.book.click_header(column),
            GridIntent::Click { id, ctrl, shift } => {
                let order = if shift {
                    self.session.book.ids_in_order()
                } else {
                    Vec::new()
                };
                self.view.selection.click(&id, ctrl, shift, &order);
                self.view.details_open = true;
            }
            GridIntent::Key(key) => self.on_grid_key(key),
            GridIntent::Open(url) => self.open_link(url),
            GridIntent::OpenVideo(id) => self.open_video(&id),
            GridIntent::Copy(text) => self.ctx.copy_text(text),
        }
    }

    fn on_detail_intent(&mut self, intent: DetailIntent) {
        match intent {
            DetailIntent::Copy(text) => self.ctx.copy_text(text),
            DetailIntent::Open(url) => self.open_link(url),
            DetailIntent::Refresh(id) => self.query(vec![id]),
            DetailIntent::SetNote(id, text) => self.set_note(&id, text),
            DetailIntent::GenerateAgain(id) => self.generate_again(&[id]),
            DetailIntent::Continue(id) => self.continue_from(&id),
            // The selection stays: the keyboard goes on from the same row.
            DetailIntent::Close => self.view.details_open = false,
        }
    }

    fn on_download_intent(&mut self, intent: DownloadIntent) {
        match intent {
            DownloadIntent::Cancel => self.panels.downloads.cancel(),
            DownloadIntent::RetryFailed => {
                let jobs = self.panels.downloads.failed_jobs();
                self.start_downloads(jobs);
            }
            DownloadIntent::Close => {
                self.panels.downloads.visible = false;
                self.panels.downloads.items.clear();
            }
            DownloadIntent::OpenFolder(dir) => self.open_folder(dir),
        }
    }

    /// A key pressed while the grid has focus: the current row is the selected one.
    fn on_grid_key(&mut self, key: GridKey) {
        // Positions, not a copy of every id: 100 000 rows must not cost 100 000 strings a
        // key press.
        let current = self
            .view
            .selection
            .current()
            .and_then(|c| self.session.book.position_of(c));
        let Some(row) = grid_keys::target(key, current, self.session.book.shown()) else {
            return;
        };
        let Some(id) = self.session.book.row(row).map(|e| e.id.clone()) else {
            return;
        };
        match key {
            GridKey::Move(_) | GridKey::Home | GridKey::End => {
                self.view.selection.set_current(&id);
                self.view.scroll_to = Some(row);
            }
            GridKey::Extend(_) => {
                // A range needs the order by id, as Shift+click does.
                self.view
                    .selection
                    .extend_to(&id, &self.session.book.ids_in_order());
                self.view.scroll_to = Some(row);
            }
            GridKey::Toggle => self.view.selection.toggle(&id),
            GridKey::OpenDetails => {
                if self.view.selection.primary() != Some(id.as_str()) {
                    self.view.selection.set_current(&id);
                }
                self.view.details_open = true;
            }
            // With a selection, the toolbar's actions act on exactly the selected rows.
            GridKey::Copy if !self.view.selection.is_empty() => {
                self.on_toolbar_intent(ToolbarIntent::CopyIds);
            }
            GridKey::Delete if !self.view.selection.is_empty() => {
                self.on_toolbar_intent(ToolbarIntent::Remove);
            }
            GridKey::Copy | GridKey::Delete => {}
            GridKey::OpenVideo => self.open_video(&id),
        }
    }

    /// The selected tasks in display order, or every shown task when none is selected.
    pub fn action_targets(&self) -> Vec<Arc<TaskEntry>> {
        let entries = self.session.book.entries();
        let selected = self.view.selection.ids();
        self.session
            .book
            .order()
            .iter()
            .filter_map(|&i| entries.get(i))
            .filter(|e| selected.is_empty() || selected.contains(&e.id))
            .cloned()
            .collect()
    }

    fn remove_with_undo(&mut self, removed: Vec<TaskEntry>, what: &str) {
        if removed.is_empty() {
            return;
        }
        self.forget(removed.iter().map(|e| e.id.clone()).collect());
        let book = &self.session.book;
        self.view.selection.retain(|id| book.get(id).is_some());
        self.session.undo = Some(Undo {
            label: format!("Removed {} {what}", removed.len()),
            entries: removed,
        });
    }

    /// Puts back what the last removal took; unfinished tasks are watched again.
    pub fn undo(&mut self) {
        if let Some(undo) = self.session.undo.take() {
            let unfinished: Vec<String> = undo
                .entries
                .iter()
                .filter(|e| e.is_unfinished())
                .map(|e| e.id.clone())
                .collect();
            self.session.book.extend(undo.entries);
            if !unfinished.is_empty() {
                self.send_query(unfinished);
            }
        }
    }

    /// The user's note on a task (kept in the history).
    pub fn set_note(&mut self, id: &str, note: String) {
        self.session.book.set_note(id, note);
    }

    /// Plays the task's video: the file saved in the library where there is one (it plays
    /// after the link has died), else the link in the browser.
    pub(super) fn open_video(&mut self, id: &str) {
        if let Some(path) = self.saved_video(id) {
            self.launch(path.display().to_string());
            return;
        }
        let video = self
            .session
            .book
            .get(id)
            .and_then(|e| e.record.as_ref()?.video_url.clone());
        match video {
            Some(url) => self.open_link(url),
            None => self
                .panels
                .status
                .say(Severity::Info, "This task has no video link yet."),
        }
    }

    /// Hands a web link to the system's browser off the UI thread (launchers can block).
    /// Anything but `http`/`https` is refused here too, whatever the button thought.
    pub(super) fn open_link(&mut self, url: String) {
        match crate::links::web_link(&url) {
            Ok(url) => self.launch(url.to_string()),
            Err(refused) => self.panels.status.say(Severity::Warning, refused.reason),
        }
    }

    /// Opens a download folder in the file manager: only one the app itself wrote into.
    pub(super) fn open_folder(&mut self, dir: PathBuf) {
        if !self.panels.downloads.wrote_into(&dir) {
            self.panels.status.say(
                Severity::Warning,
                format!("Not opened: {} is not a download folder", dir.display()),
            );
            return;
        }
        let opener = self.services.opener.clone();
        self.services
            .background
            .blocking(&self.ctx, Job::Open, move || {
                // Checked off the UI thread: a stat can hang on a network drive.
                if !dir.is_dir() {
                    return Done::Opened(Err(OpenError::Gone(dir)));
                }
                Done::Opened(opener.open(&dir.display().to_string()))
            });
    }

    fn launch(&mut self, target: String) {
        let opener = self.services.opener.clone();
        self.services
            .background
            .blocking(&self.ctx, Job::Open, move || {
                Done::Opened(opener.open(&target))
            });
    }
}

macro_rules! intent_from {
    ($($variant:ident($t:ty)),* $(,)?) => {
        $(impl From<$t> for Intent {
            fn from(i: $t) -> Self {
                Intent::$variant(i)
            }
        })*
    };
}

intent_from!(
    Token(TokenIntent),
    Status(StatusIntent),
    Toolbar(ToolbarIntent),
    Grid(GridIntent),
    Gallery(GalleryIntent),
    Detail(DetailIntent),
    Download(DownloadIntent),
    Account(AccountIntent),
    Generate(GenerateIntent),
);
