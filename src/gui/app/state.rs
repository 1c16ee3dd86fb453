//! The four groups of the window's state, as rerun's viewer splits `App` (services and
//! handles) from `AppState` (what is being looked at). Each fact is kept in one place:
//! the panels keep what they draw with (a text field, a revealed toggle, the status
//! line's last activity), while the token in use, why querying stopped and the keyring's
//! state are the session's and the services', handed to the panels as they draw.

use super::Undo;
use super::account::AccountSync;
use super::background::Background;
use super::generate::GenerateRun;
use super::history::HistorySync;
use super::library::LibrarySync;
use super::logic::FailedGroups;
use super::posters::PosterQueue;
use super::prefs::Prefs;
use crate::api::ApiError;
use crate::book::TaskBook;
use crate::engine::{Backend, EngineConfig, EngineHandle, Event};
use crate::gui::account::AccountPanel;
use crate::gui::attention::{Attention, Notifier};
use crate::gui::details::NoteEdit;
use crate::gui::dialogs::Dialogs;
use crate::gui::downloads::DownloadsPanel;
use crate::gui::generate::GeneratePanel;
use crate::gui::input::InputPanel;
use crate::gui::opener::Opener;
use crate::gui::posters::PosterBoard;
use crate::gui::selection::Selection;
use crate::gui::status::StatusLine;
use crate::gui::token::{KeyringState, TokenPanel};
use crate::gui::toolbar::Toolbar;
use crate::secrets::{Keyring, SecretError, Token, TokenSource};
use crate::task::TaskEntry;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;

/// What this window works on: which API and token, the tasks, the user's settings.
pub(super) struct Session {
    pub api_base: String,
    /// What the engine talks to (the demo or a token's API), as last handed to it. The
    /// demo is running exactly when this is `Backend::Demo`.
    pub backend: Option<Backend>,
    /// The token in use and where it came from.
    pub token: Option<(Token, TokenSource)>,
    /// Why querying stopped (a rejected token, a used-up balance): set by
    /// `Event::Halted`, cleared by a new token or query.
    pub halted: Option<Arc<ApiError>>,
    /// Ids added before there was a token: asked as soon as there is one.
    pub waiting_for_token: bool,
    /// Every task in the grid; also the one holder of the sort order.
    pub book: TaskBook,
    /// The user's rows, set aside while the demo runs.
    pub stash: Vec<TaskEntry>,
    /// What is remembered across starts (the sort order is the book's).
    pub prefs: Prefs,
    /// Off in tests and where the caller said so, whatever the saved preference says.
    pub notifications_allowed: bool,
    pub undo: Option<Undo>,
    /// "My tasks": the account's listing and Follow.
    pub account: AccountSync,
    /// Generations being created and their rows.
    pub generate: GenerateRun,
}

impl Session {
    pub fn is_demo(&self) -> bool {
        self.backend.as_ref().is_some_and(Backend::is_demo)
    }
}

/// Handles on what runs outside the UI thread: the engine, background jobs, files,
/// launchers and dialogs.
pub(super) struct Services {
    pub engine: Option<(EngineHandle, UnboundedReceiver<Event>)>,
    pub engine_config: EngineConfig,
    /// The one holder of background jobs.
    pub background: Background,
    pub history: HistorySync,
    /// The local library and each task's state in it.
    pub library: LibrarySync,
    pub poster_queue: PosterQueue,
    /// The media client of Download… batches (the panel holds none).
    pub web: crate::download::WebClient,
    /// The system keyring: `None` while it is being opened, then the handle or why none
    /// is reachable.
    pub keyring: Option<Result<Keyring, SecretError>>,
    pub opener: Arc<dyn Opener>,
    /// Save and folder dialogs (rfd); tests answer them.
    pub dialogs: Arc<dyn Dialogs>,
    pub notifier: Arc<dyn Notifier>,
}

impl Services {
    /// The keyring's handle, once it is open.
    pub fn keyring(&self) -> Option<&Keyring> {
        self.keyring.as_ref()?.as_ref().ok()
    }

    /// What the token panel says of the keyring.
    pub fn keyring_state(&self) -> KeyringState {
        match &self.keyring {
            None => KeyringState::Checking,
            Some(Ok(_)) => KeyringState::Ready,
            Some(Err(why)) => KeyringState::Unavailable(why.to_string()),
        }
    }
}

/// The panels' own drawing state (fields being typed, what is expanded).
#[derive(Default)]
pub(super) struct Panels {
    pub account: AccountPanel,
    pub generate: GeneratePanel,
    pub input: InputPanel,
    pub token: TokenPanel,
    pub status: StatusLine,
    pub toolbar: Toolbar,
    pub downloads: DownloadsPanel,
    pub note: NoteEdit,
}

/// What the screen shows and where: the selection, what is open, the posters drawn.
pub(super) struct View {
    pub selection: Selection,
    /// The details panel shows the current row (closed by its Close, opened by a click
    /// or Enter on a row).
    pub details_open: bool,
    /// A row the keyboard moved to, brought into view in the next frame.
    pub scroll_to: Option<usize>,
    /// The keyboard shortcuts window (F1).
    pub help_open: bool,
    /// The book's generation whose prompts were checked for missing glyphs.
    pub font_checked: u64,
    /// The hint to install fonts was given (once a session is enough).
    pub font_hint_given: bool,
    pub failed_cache: Option<(u64, FailedGroups)>,
    /// What the screen shows of each task's poster, and their textures.
    pub posters: PosterBoard,
    /// The title's count of tasks that finished while the window was in the background.
    pub attention: Attention,
}

impl Default for View {
    fn default() -> Self {
        Self {
            selection: Selection::default(),
            details_open: true,
            scroll_to: None,
            help_open: false,
            font_checked: 0,
            font_hint_given: false,
            failed_cache: None,
            posters: PosterBoard::default(),
            attention: Attention::default(),
        }
    }
}
