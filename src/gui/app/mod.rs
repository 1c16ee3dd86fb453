//! The window's state and its `eframe::App` impl. Behaviour is split by role, one
//! `impl SeedanceApp` block per file, as rerun's viewer splits its `App`:
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | the struct, `new`, what tests and `main` may ask, `eframe::App` |
//! | `logic.rs` | each frame (also hidden): engine events, finished background work |
//! | `background.rs` | the one holder of background jobs and their `Done` enum |
//! | `intents.rs` | panels' intents, queued while drawing and applied after |
//! | `session.rs` | the engine, its backend (a token's client or the demo), queries |
//! | `token.rs` | the token: keyring, save, forget, test, session-only |
//! | `history.rs` | `HistorySync`: loading and saving the history file |
//! | `files.rs` | exports, clipboard text, downloads and their folder |
//! | `account.rs` | "My tasks": the account's listing and Follow |
//! | `generate.rs` | creating generations: runs, their rows, "may have been created" |
//! | `library.rs` | the local library: saving finished videos, their states, Save N |
//! | `ui.rs` | drawing the panels |
//! | `prefs.rs` | what is remembered across starts |

mod account;
mod background;
mod files;
mod generate;
mod history;
mod intents;
mod library;
mod logic;
mod media;
mod posters;
mod prefs;
mod session;
mod token;
mod ui;

pub use intents::Undo;
pub use prefs::{PREFS_KEY, Prefs};
pub use token::KeyringProvider;

use super::account::AccountPanel;
use super::attention::{Attention, Notifier, SystemNotifier};
use super::details::NoteEdit;
use super::dialogs::{Dialogs, SystemDialogs};
use super::downloads::{DownloadsPanel, Item};
use super::generate::GeneratePanel;
use super::input::InputPanel;
use super::opener::Opener;
use super::posters::PosterBoard;
use super::selection::Selection;
use super::status::{StatusLine, StatusMessage};
use super::token::{KeyringState, TokenMessage, TokenPanel};
use super::toolbar::Toolbar;
use crate::api::ApiError;
use crate::book::TaskBook;
use crate::engine::{Backend, EngineConfig, EngineHandle, Event};
use crate::secrets::{Keyring, Token, TokenSource};
use crate::store;
use crate::task::TaskEntry;
use account::AccountSync;
use background::Background;
use generate::GenerateRun;
use history::HistorySync;
use intents::Intent;
use logic::FailedGroups;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

pub struct GuiOptions {
    pub api_base: String,
    pub demo: bool,
    pub initial_ids: Vec<String>,
    /// `SEEDANCE_API_TOKEN`: used, never saved.
    pub env_token: Option<String>,
    pub keyring: KeyringProvider,
    pub opener: Arc<dyn Opener>,
    /// Save and folder dialogs (rfd); tests answer them.
    pub dialogs: Arc<dyn Dialogs>,
    pub engine: EngineConfig,
    /// Where the task history lives; `None` keeps nothing across restarts.
    pub history: Option<PathBuf>,
    /// Desktop notifications for tasks that finish while the window is in the background.
    pub notifications: bool,
    pub notifier: Arc<dyn Notifier>,
    /// How often Follow asks (never under 10 s: `engine::follow_interval`).
    pub follow_interval: Duration,
    /// Where posters are kept; `None` makes none.
    pub posters: Option<crate::media::PosterCache>,
    /// The library folder (`library::default_root()`); `None`: no library, nothing saved.
    pub library: Option<PathBuf>,
}

impl GuiOptions {
    pub fn new(api_base: impl Into<String>) -> Self {
        Self {
            api_base: api_base.into(),
            demo: false,
            initial_ids: Vec::new(),
            env_token: None,
            keyring: KeyringProvider::Platform,
            opener: Arc::new(super::SystemOpener),
            dialogs: Arc::new(SystemDialogs),
            engine: EngineConfig::default(),
            history: store::history_path(),
            notifications: true,
            notifier: Arc::new(SystemNotifier),
            follow_interval: crate::engine::FOLLOW_INTERVAL,
            posters: crate::media::PosterCache::platform(),
            library: crate::library::default_root(),
        }
    }
}

pub struct SeedanceApp {
    ctx: egui::Context,
    api_base: String,
    engine_config: EngineConfig,
    opener: Arc<dyn Opener>,
    dialogs: Arc<dyn Dialogs>,
    engine: Option<(EngineHandle, UnboundedReceiver<Event>)>,
    /// What the engine talks to (the demo or a token's API), as last handed to it.
    backend: Option<Backend>,
    account: AccountSync,
    account_panel: AccountPanel,
    generate_panel: GeneratePanel,
    generate: GenerateRun,
    demo: bool,
    /// The user's rows, set aside while the demo runs.
    stash: Vec<TaskEntry>,
    keyring: Option<Keyring>,
    /// Ids added before there was a token: asked as soon as there is one.
    waiting_for_token: bool,
    background: Background,
    /// Intents given while drawing, applied after.
    pending: Vec<Intent>,
    prefs: Prefs,
    /// Off in tests and where the caller said so, whatever the saved preference says.
    notifications_allowed: bool,
    notifier: Arc<dyn Notifier>,
    history: HistorySync,
    book: TaskBook,
    selection: Selection,
    input: InputPanel,
    token: TokenPanel,
    status: StatusLine,
    toolbar: Toolbar,
    downloads: DownloadsPanel,
    attention: Attention,
    undo: Option<Undo>,
    /// What the screen shows of each task's poster, and their textures.
    posters: PosterBoard,
    poster_queue: posters::PosterQueue,
    /// The local library and each task's state in it.
    library: library::LibrarySync,
    /// The media client of Download… batches (the panel holds none).
    web: crate::download::WebClient,
    note: NoteEdit,
    failed_cache: Option<(u64, FailedGroups)>,
    /// The details panel shows the current row (closed by its Close, opened by a click
    /// or Enter on a row).
    details_open: bool,
    /// A row the keyboard moved to, brought into view in the next frame.
    scroll_to: Option<usize>,
    /// The keyboard shortcuts window (F1).
    help_open: bool,
    /// The book's generation whose prompts were checked for missing glyphs.
    font_checked: u64,
    /// The hint to install fonts was given (once a session is enough).
    font_hint_given: bool,
}

impl SeedanceApp {
    pub fn new(ctx: &egui::Context, options: GuiOptions) -> Self {
        let prefs = Prefs {
            notifications: options.notifications,
            ..Prefs::default()
        };
        let mut app = Self {
            ctx: ctx.clone(),
            api_base: options.api_base,
            engine_config: options.engine,
            opener: options.opener,
            dialogs: options.dialogs,
            engine: None,
            backend: None,
            account: AccountSync::new(options.follow_interval),
            account_panel: AccountPanel::default(),
            generate_panel: GeneratePanel::default(),
            generate: GenerateRun::default(),
            demo: false,
            stash: Vec::new(),
            keyring: None,
            waiting_for_token: false,
            background: Background::default(),
            pending: Vec::new(),
            prefs,
            notifications_allowed: options.notifications,
            notifier: options.notifier,
            history: HistorySync::new(options.history, options.demo),
            book: TaskBook::new(),
            selection: Selection::default(),
            input: InputPanel::default(),
            token: TokenPanel::default(),
            status: StatusLine::default(),
            toolbar: Toolbar::default(),
            downloads: DownloadsPanel::default(),
            attention: Attention::default(),
            undo: None,
            posters: PosterBoard::default(),
            poster_queue: posters::PosterQueue::new(options.posters),
            library: library::LibrarySync::new(ctx, options.library.filter(|_| !options.demo)),
            web: crate::download::WebClient::default(),
            note: NoteEdit::default(),
            failed_cache: None,
            details_open: true,
            scroll_to: None,
            help_open: false,
            font_checked: 0,
            font_hint_given: false,
        };
        if options.demo {
            app.start_demo();
        } else {
            app.load_history();
            if let Some(t) = options.env_token.as_deref().and_then(Token::parse) {
                app.use_token(t, TokenSource::Environment);
            }
        }
        app.open_keyring(options.keyring);
        if !options.initial_ids.is_empty() {
            app.query(options.initial_ids);
        }
        app
    }

    pub fn is_demo(&self) -> bool {
        self.demo
    }

    pub fn has_backend(&self) -> bool {
        self.engine.is_some()
    }

    /// Every task in the grid, with its order as of the last frame.
    pub fn book(&self) -> &TaskBook {
        &self.book
    }

    /// Task `id`'s poster file, or why it has none; `None` while unknown or being made.
    pub fn poster(&self, id: &str) -> Option<Result<PathBuf, String>> {
        self.posters
            .state(id)
            .map(|r| r.map(std::path::Path::to_path_buf).map_err(str::to_owned))
    }

    /// The New generation panel's form, while the panel is open.
    pub fn generation_form(&self) -> Option<&crate::generate::GenerationRequest> {
        self.generate_panel
            .open
            .then_some(&self.generate_panel.request)
    }

    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    /// What the paste area holds.
    pub fn pasted_text(&self) -> &str {
        self.input.text()
    }

    pub fn token_settings_open(&self) -> bool {
        self.token.expanded
    }

    pub fn keyring_state(&self) -> &KeyringState {
        &self.token.keyring
    }

    /// The token in use and where it came from.
    pub fn token_in_use(&self) -> Option<&(Token, TokenSource)> {
        self.token.current.as_ref()
    }

    /// The token panel's last message, once no keyring or test call is running.
    pub fn token_message(&self) -> Option<&TokenMessage> {
        self.token
            .message
            .as_ref()
            .filter(|_| self.token.busy.is_none())
    }

    /// Why querying stopped (a rejected token or a used-up balance), if it did.
    pub fn halted(&self) -> Option<&ApiError> {
        self.status.halted.as_deref()
    }

    /// The status line's message (an export's path, a launcher's failure, …).
    pub fn status_message(&self) -> Option<&StatusMessage> {
        self.status.message.as_ref()
    }

    /// Why the history is not being saved (a failed write, another window, a file from a
    /// newer version), as the banner says it.
    pub fn history_problem(&self) -> Option<String> {
        self.history.problem()
    }

    /// Tasks that finished while the window was in the background, as the title shows.
    pub fn unseen_finished(&self) -> usize {
        self.attention.unseen
    }

    pub fn title_count(&self) -> usize {
        self.attention.title_count()
    }

    /// The downloads panel's files, in the order they were asked for.
    pub fn download_items(&self) -> &[Item] {
        &self.downloads.items
    }

    pub fn download_dir(&self) -> Option<&PathBuf> {
        self.prefs.download_dir.as_ref()
    }

    pub fn prefs(&self) -> &Prefs {
        &self.prefs
    }

    /// The preferences saved by an earlier run.
    pub fn apply_prefs(&mut self, prefs: Prefs) {
        let watching = prefs.watching;
        self.prefs = Prefs {
            notifications: prefs.notifications && self.notifications_allowed,
            watching: self.prefs.watching,
            ..prefs
        };
        self.book.set_sort(self.prefs.sort);
        if !watching {
            self.set_watching(false);
        }
    }
}

impl eframe::App for SeedanceApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.logic_impl();
        let focused = ctx.input(|i| i.viewport().focused.unwrap_or(true));
        self.attention.update(ctx, focused);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        // The one place the book's order and counts are brought up to date: everything
        // drawn below reads it through `&self`.
        self.book.refresh();
        self.draw(ui);
        self.apply_pending();
        if self.book.counts().iter().any(|(s, _, _)| s.is_unfinished()) {
            // The elapsed column of running tasks ticks.
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PREFS_KEY, &self.prefs);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.save_history_now();
    }
}
