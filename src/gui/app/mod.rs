//! The window's state and its `eframe::App` impl. Behaviour is split by role, one
//! `impl SeedanceApp` block per file, as rerun's viewer splits its `App`:
//!
//! | file | owns |
//! |---|---|
//! | `mod.rs` | the struct, `new`, what tests and `main` may ask, `eframe::App` |
//! | `state.rs` | its four groups: `Session`, `Services`, `Panels`, `View` |
//! | `logic.rs` | each frame (also hidden): engine events, finished background work |
//! | `background.rs` | the one holder of background jobs and their `Done` enum |
//! | `intents.rs` | panels' intents, queued while drawing and applied after |
//! | `session.rs` | the engine, its backend (a token's client or the demo), queries |
//! | `token.rs` | the token: keyring, save, forget, test, session-only |
//! | `history.rs` | `HistorySync`: loading and saving the history file |
//! | `files.rs` | exports, clipboard text, downloads and their folder |
//! | `account.rs` | "My tasks": the account's listing and Follow |
//! | `generate.rs` | creating generations: runs, their rows, "may have been created" |
//! | `library/` | the local library: saving finished videos, their states, Save N and its size, the folder, Verify library, the bar |
//! | `posters.rs` | posters: what to make them from, in the background |
//! | `media.rs` | Continue…: the last frame, prefilled into a new generation |
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
mod state;
mod token;
mod ui;

pub use intents::Undo;
pub use prefs::{PREFS_KEY, Prefs, SavedPrefs};
pub use token::KeyringProvider;

use super::attention::{Notifier, SystemNotifier};
use super::dialogs::{Dialogs, SystemDialogs};
use super::downloads::Item;
use super::opener::Opener;
use super::selection::Selection;
use super::status::StatusMessage;
use super::token::{KeyringState, TokenMessage};
use crate::api::ApiError;
use crate::book::TaskBook;
use crate::engine::EngineConfig;
use crate::secrets::{Token, TokenSource};
use crate::store;
use account::AccountSync;
use background::Background;
use generate::GenerateRun;
use history::HistorySync;
use intents::Intent;
use state::{Panels, Services, Session, View};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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
    /// The library folder when the window's choice and `SEEDANCE_LIBRARY_DIR` name none
    /// (`library::platform_root()`); `None` with neither of them: no library.
    pub library: Option<PathBuf>,
    /// `SEEDANCE_LIBRARY_DIR`: wins over the folder chosen in the window.
    pub library_env: Option<PathBuf>,
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
            library: crate::library::platform_root(),
            library_env: crate::library::env_root(),
        }
    }
}

pub struct SeedanceApp {
    ctx: egui::Context,
    session: Session,
    services: Services,
    panels: Panels,
    view: View,
    /// Intents given while drawing, applied after.
    pending: Vec<Intent>,
}

impl SeedanceApp {
    pub fn new(ctx: &egui::Context, options: GuiOptions) -> Self {
        let session = Session {
            api_base: options.api_base,
            backend: None,
            token: None,
            halted: None,
            waiting_for_token: false,
            book: TaskBook::new(),
            stash: Vec::new(),
            prefs: Prefs {
                notifications: options.notifications,
                ..Prefs::default()
            },
            notifications_allowed: options.notifications,
            undo: None,
            account: AccountSync::new(options.follow_interval),
            generate: GenerateRun::default(),
        };
        // One client for media links: building one loads the system's certificates.
        let web = crate::download::WebClient::default();
        let services = Services {
            engine: None,
            engine_config: options.engine,
            background: Background::default(),
            history: HistorySync::new(options.history, options.demo),
            // The demo saves nothing: its links never resolve.
            library: if options.demo {
                library::LibrarySync::off()
            } else {
                library::LibrarySync::new(
                    ctx,
                    library::Roots {
                        env: options.library_env,
                        chosen: None,
                        default: options.library,
                    },
                    web.clone(),
                )
            },
            poster_queue: posters::PosterQueue::new(options.posters),
            web,
            keyring: None,
            opener: options.opener,
            dialogs: options.dialogs,
            notifier: options.notifier,
        };
        let mut app = Self {
            ctx: ctx.clone(),
            session,
            services,
            panels: Panels::default(),
            view: View::default(),
            pending: Vec::new(),
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
        self.session.is_demo()
    }

    pub fn has_backend(&self) -> bool {
        self.services.engine.is_some()
    }

    /// Every task in the grid, with its order as of the last frame.
    pub fn book(&self) -> &TaskBook {
        &self.session.book
    }

    /// Task `id`'s poster file, or why it has none; `None` while unknown or being made.
    pub fn poster(&self, id: &str) -> Option<Result<PathBuf, String>> {
        self.view
            .posters
            .state(id)
            .map(|r| r.map(std::path::Path::to_path_buf).map_err(str::to_owned))
    }

    /// The New generation panel's form, while the panel is open.
    pub fn generation_form(&self) -> Option<&crate::generate::GenerationRequest> {
        let panel = &self.panels.generate;
        panel.open.then_some(&panel.request)
    }

    pub fn selection(&self) -> &Selection {
        &self.view.selection
    }

    /// What the paste area holds.
    pub fn pasted_text(&self) -> &str {
        self.panels.input.text()
    }

    pub fn token_settings_open(&self) -> bool {
        self.panels.token.expanded
    }

    pub fn keyring_state(&self) -> KeyringState {
        self.services.keyring_state()
    }

    /// The token in use and where it came from.
    pub fn token_in_use(&self) -> Option<&(Token, TokenSource)> {
        self.session.token.as_ref()
    }

    /// The token panel's last message, once no keyring or test call is running.
    pub fn token_message(&self) -> Option<&TokenMessage> {
        let panel = &self.panels.token;
        panel.message.as_ref().filter(|_| panel.busy.is_none())
    }

    /// Why querying stopped (a rejected token or a used-up balance), if it did.
    pub fn halted(&self) -> Option<&ApiError> {
        self.session.halted.as_deref()
    }

    /// The status line's message (an export's path, a launcher's failure, …).
    pub fn status_message(&self) -> Option<&StatusMessage> {
        self.panels.status.message.as_ref()
    }

    /// Why the history is not being saved (a failed write, another window, a file from a
    /// newer version), as the banner says it.
    pub fn history_problem(&self) -> Option<String> {
        self.services.history.problem()
    }

    /// Tasks that finished while the window was in the background, as the title shows.
    pub fn unseen_finished(&self) -> usize {
        self.view.attention.unseen
    }

    pub fn title_count(&self) -> usize {
        self.view.attention.title_count()
    }

    /// The downloads panel's files, in the order they were asked for.
    pub fn download_items(&self) -> &[Item] {
        &self.panels.downloads.items
    }

    pub fn download_dir(&self) -> Option<&PathBuf> {
        self.session.prefs.download_dir.as_ref()
    }

    pub fn prefs(&self) -> &Prefs {
        &self.session.prefs
    }

    /// The preferences saved by an earlier run.
    pub fn apply_prefs(&mut self, prefs: Prefs) {
        let watching = prefs.watching;
        self.session.prefs = Prefs {
            notifications: prefs.notifications && self.session.notifications_allowed,
            watching: self.session.prefs.watching,
            ..prefs
        };
        if !watching {
            self.set_watching(false);
        }
        self.library_follow_prefs();
    }

    /// What an earlier run saved: the preferences and the grid's sort order.
    pub fn restore(&mut self, saved: SavedPrefs) {
        self.session.book.set_sort(saved.sort);
        self.apply_prefs(saved.prefs);
    }

    /// What is saved for the next run.
    pub fn saved_prefs(&self) -> SavedPrefs {
        SavedPrefs {
            sort: self.session.book.sort(),
            prefs: self.session.prefs.clone(),
        }
    }
}

impl eframe::App for SeedanceApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.logic_impl();
        let focused = ctx.input(|i| i.viewport().focused.unwrap_or(true));
        self.view.attention.update(ctx, focused);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        // The one place the book's order and counts are brought up to date: everything
        // drawn below reads it through `&self`.
        self.session.book.refresh();
        self.draw(ui);
        self.apply_pending();
        if self
            .session
            .book
            .counts()
            .iter()
            .any(|(s, _, _)| s.is_unfinished())
        {
            // The elapsed column of running tasks ticks.
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PREFS_KEY, &self.saved_prefs());
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.save_history_now();
    }
}
