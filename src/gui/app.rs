use super::details::{self, DetailIntent};
use super::grid::{self, GridIntent};
use super::input::{InputIntent, InputPanel};
use super::jobs;
use super::opener::Opener;
use super::status::{StatusIntent, StatusLine};
use super::token::{KeyringState, Note, TokenIntent, TokenPanel};
use crate::api::{ApiError, Client, ClientConfig, ErrorKind};
use crate::book::TaskBook;
use crate::demo::Demo;
use crate::engine::{self, Backend, Command, EngineConfig, EngineHandle, Event, Notify};
use crate::secrets::{Keyring, SecretError, Token, TokenSource};
use poll_promise::Promise;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedReceiver;

/// Where the window finds the keyring.
pub enum KeyringProvider {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    Platform,
    /// A given store or failure, for tests (`Keyring::mock()`) and machines without one.
    Given(Result<Keyring, SecretError>),
}

impl KeyringProvider {
    fn open(self) -> Result<Keyring, SecretError> {
        match self {
            Self::Platform => Keyring::platform(),
            Self::Given(k) => k,
        }
    }
}

pub struct GuiOptions {
    pub api_base: String,
    pub demo: bool,
    pub initial_ids: Vec<String>,
    /// `SEEDANCE_API_TOKEN`: used, never saved.
    pub env_token: Option<String>,
    pub keyring: KeyringProvider,
    pub opener: Arc<dyn Opener>,
    pub engine: EngineConfig,
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
            engine: EngineConfig::default(),
        }
    }
}

enum TokenJob {
    Loaded(
        Result<Keyring, SecretError>,
        Result<Option<Token>, SecretError>,
    ),
    Saved(Token, Result<(), SecretError>),
    Forgotten(Result<(), SecretError>),
    Tested(Result<String, ApiError>),
}

/// A task id used by Test: a valid UUID no task has, so the call is cheap and harmless.
const PROBE_ID: &str = "00000000-0000-4000-8000-000000000000";

pub struct SeedanceApp {
    ctx: egui::Context,
    api_base: String,
    engine_config: EngineConfig,
    opener: Arc<dyn Opener>,
    engine: Option<(EngineHandle, UnboundedReceiver<Event>)>,
    demo: bool,
    keyring: Option<Keyring>,
    token_job: Option<Promise<TokenJob>>,
    open_jobs: Vec<Promise<Result<(), String>>>,
    pub book: TaskBook,
    pub selected: Option<String>,
    pub input: InputPanel,
    pub token: TokenPanel,
    pub status: StatusLine,
    pub watching: bool,
    /// Ids added before there was a token: asked as soon as there is one.
    waiting_for_token: bool,
}

impl SeedanceApp {
    pub fn new(ctx: &egui::Context, options: GuiOptions) -> Self {
        let mut app = Self {
            ctx: ctx.clone(),
            api_base: options.api_base,
            engine_config: options.engine,
            opener: options.opener,
            engine: None,
            demo: false,
            keyring: None,
            token_job: None,
            open_jobs: Vec::new(),
            book: TaskBook::new(),
            selected: None,
            input: InputPanel::default(),
            token: TokenPanel::default(),
            status: StatusLine::default(),
            watching: true,
            waiting_for_token: false,
        };
        if options.demo {
            app.start_demo();
        } else if let Some(t) = options.env_token.as_deref().and_then(Token::parse) {
            app.use_token(t, TokenSource::Environment);
        }
        // The keyring is read in the background even with a token from the environment,
        // so Save and Forget know whether they can work.
        let provider = options.keyring;
        app.token.busy = Some("Reading the keyring…");
        app.token_job = Some(jobs::blocking(ctx, move || {
            let keyring = provider.open();
            let token = match &keyring {
                Ok(k) => k.get(),
                Err(e) => Err(e.clone()),
            };
            TokenJob::Loaded(keyring, token)
        }));
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

    fn notify(&self) -> Notify {
        let ctx = self.ctx.clone();
        Arc::new(move || ctx.request_repaint())
    }

    fn set_backend(&mut self, backend: Backend) {
        match &self.engine {
            Some((handle, _)) => {
                handle.send(Command::SetBackend(backend));
            }
            None => {
                let (handle, events) =
                    engine::spawn(backend, self.engine_config.clone(), Some(self.notify()));
                handle.send(Command::SetWatching(self.watching));
                self.engine = Some((handle, events));
            }
        }
        self.status.halted = None;
        if self.waiting_for_token || !self.book.is_empty() {
            self.waiting_for_token = false;
            let ids = self.book.all_ids();
            self.send_query(ids);
        }
    }

    fn use_token(&mut self, token: Token, source: TokenSource) {
        let config = ClientConfig {
            base_url: self.api_base.clone(),
            ..ClientConfig::default()
        };
        match Client::new(&config, &token) {
            Ok(client) => {
                self.demo = false;
                self.token.current = Some((token, source));
                self.set_backend(Backend::Http(client));
            }
            Err(e) => self.token.note = Some(Note::Bad(format!("{e}. {}", e.hint()))),
        }
    }

    pub fn start_demo(&mut self) {
        self.demo = true;
        self.token.expanded = false;
        self.set_backend(Backend::Demo(Arc::new(Demo::new())));
        self.query(Demo::ids());
    }

    /// New ids join the grid; known ids are refreshed, not duplicated.
    pub fn query(&mut self, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        self.book.add_ids(&ids);
        self.status.halted = None;
        if self.engine.is_some() {
            self.send_query(ids);
        } else {
            self.waiting_for_token = true;
            if self.token_job.is_none() {
                self.token.expanded = true;
            }
        }
    }

    fn send_query(&mut self, ids: Vec<String>) {
        if let Some((handle, _)) = &self.engine {
            handle.query(ids, self.watching);
        }
    }

    fn open(&mut self, url: String) {
        let opener = self.opener.clone();
        self.open_jobs
            .push(jobs::blocking(&self.ctx, move || opener.open(&url)));
    }

    /// Drains engine events and finished jobs. Runs every frame, also while hidden.
    pub fn logic(&mut self) {
        let mut events = Vec::new();
        if let Some((_, rx)) = &mut self.engine {
            while let Ok(event) = rx.try_recv() {
                events.push(event);
            }
        }
        for event in events {
            self.on_event(event);
        }
        if let Some(job) = jobs::take_ready(&mut self.token_job) {
            self.on_token_job(job);
        }
        let mut still_open = Vec::new();
        for job in self.open_jobs.drain(..) {
            match job.try_take() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => self.status.problem = Some(e),
                Err(pending) => still_open.push(pending),
            }
        }
        self.open_jobs = still_open;
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Results(outcomes) => {
                self.book.apply(outcomes);
            }
            Event::Retrying { wait, error, .. } => {
                let what = if error.kind == ErrorKind::RateLimited {
                    "rate limited".to_owned()
                } else {
                    format!("request failed ({})", error.message)
                };
                self.status.retry = Some((Instant::now(), wait, what));
                self.ctx.request_repaint_after(Duration::from_millis(250));
            }
            Event::Halted(error) => {
                if error.is_auth() {
                    self.token.expanded = true;
                }
                self.status.halted = Some(error);
            }
            Event::WatchExpired(ids) => self.book.mark_timed_out(&ids),
            Event::Activity(a) => self.status.activity = a,
        }
    }

    fn on_token_job(&mut self, job: TokenJob) {
        self.token.busy = None;
        match job {
            TokenJob::Loaded(keyring, token) => {
                match keyring {
                    Ok(k) => {
                        self.keyring = Some(k);
                        self.token.keyring = KeyringState::Ready;
                    }
                    Err(e) => self.token.keyring = KeyringState::Unavailable(e.to_string()),
                }
                match token {
                    Ok(Some(t)) if self.token.current.is_none() && !self.demo => {
                        self.use_token(t, TokenSource::Keyring);
                    }
                    Ok(_) => {}
                    Err(SecretError::Unavailable(_)) => {}
                    Err(e) => self.token.note = Some(Note::Bad(e.to_string())),
                }
                if self.token.current.is_none() && !self.demo {
                    self.token.expanded = true;
                }
            }
            TokenJob::Saved(token, result) => match result {
                Ok(()) => {
                    self.token.field.clear();
                    self.token.note = Some(Note::Good("Saved in the system keyring.".into()));
                    self.use_token(token, TokenSource::Keyring);
                }
                Err(e) => self.token.note = Some(Note::Bad(format!("Could not save: {e}"))),
            },
            TokenJob::Forgotten(result) => match result {
                Ok(()) => {
                    self.token.note = Some(Note::Info("Removed from the system keyring.".into()));
                    if matches!(self.token.current, Some((_, TokenSource::Keyring))) {
                        self.token.current = None;
                        if let Some((handle, _)) = self.engine.take() {
                            handle.send(Command::Shutdown);
                        }
                    }
                }
                Err(e) => self.token.note = Some(Note::Bad(format!("Could not remove: {e}"))),
            },
            TokenJob::Tested(result) => {
                self.token.note = Some(match result {
                    Ok(text) => Note::Good(text),
                    Err(e) if e.is_auth() => Note::Bad(format!("Invalid token: {e}")),
                    Err(e) if e.is_balance() => {
                        Note::Bad(format!("The token works but the balance is used up: {e}"))
                    }
                    Err(e) => Note::Bad(format!("Could not check: {e}")),
                });
            }
        }
    }

    fn on_token_intent(&mut self, intent: TokenIntent) {
        match intent {
            TokenIntent::Save(token) => {
                let Some(keyring) = self.keyring.clone() else {
                    return;
                };
                self.token.busy = Some("Saving…");
                self.token_job = Some(jobs::blocking(&self.ctx, move || {
                    let result = keyring.set(&token);
                    TokenJob::Saved(token, result)
                }));
            }
            TokenIntent::UseForSession(token) => {
                self.token.field.clear();
                self.token.note = Some(Note::Info("Using the token for this session only.".into()));
                self.use_token(token, TokenSource::Session);
            }
            TokenIntent::Forget => {
                let Some(keyring) = self.keyring.clone() else {
                    return;
                };
                self.token.busy = Some("Removing…");
                self.token_job = Some(jobs::blocking(&self.ctx, move || {
                    TokenJob::Forgotten(keyring.delete())
                }));
            }
            TokenIntent::Test(token) => {
                let config = ClientConfig {
                    base_url: self.api_base.clone(),
                    ..ClientConfig::default()
                };
                self.token.busy = Some("Testing…");
                self.token_job = Some(jobs::future(&self.ctx, async move {
                    let client = match Client::new(&config, &token) {
                        Ok(c) => c,
                        Err(e) => return TokenJob::Tested(Err(e)),
                    };
                    TokenJob::Tested(
                        client
                            .retrieve(PROBE_ID)
                            .await
                            .map(|_| "The token is valid.".to_owned()),
                    )
                }));
            }
            TokenIntent::StartDemo => self.start_demo(),
        }
    }

    /// Tasks whose last question failed for a reason a retry may fix, grouped by error.
    fn failed_batches(&self) -> Vec<(Arc<ApiError>, Vec<String>)> {
        let mut groups: BTreeMap<String, (Arc<ApiError>, Vec<String>)> = BTreeMap::new();
        for e in self.book.entries() {
            if let Some(err) = &e.error
                && !err.stops_everything()
                && !e.awaiting
            {
                groups
                    .entry(err.to_string())
                    .or_insert_with(|| (err.clone(), Vec::new()))
                    .1
                    .push(e.id.clone());
            }
        }
        groups.into_values().collect()
    }

    fn on_status_intent(&mut self, intent: StatusIntent) {
        match intent {
            StatusIntent::OpenTokenPanel => self.token.expanded = true,
            StatusIntent::Retry(ids) => self.query(ids),
            StatusIntent::RefreshAll => self.query(self.book.all_ids()),
            StatusIntent::SetWatching(on) => {
                self.watching = on;
                if let Some((handle, _)) = &self.engine {
                    handle.send(Command::SetWatching(on));
                }
                if on {
                    // Tasks asked while the watch was off were not put on the watch list.
                    let unfinished = self.book.unfinished_ids();
                    self.send_query(unfinished);
                }
            }
            StatusIntent::DismissProblem => self.status.problem = None,
        }
    }

    fn on_grid_intent(&mut self, intent: GridIntent) {
        match intent {
            GridIntent::Sort(column) => self.book.click_header(column),
            GridIntent::Select(id) => {
                self.selected = if self.selected.as_deref() == Some(id.as_str()) {
                    None
                } else {
                    Some(id)
                };
            }
            GridIntent::Open(url) => self.open(url),
            GridIntent::Copy(text) => self.ctx.copy_text(text),
        }
    }

    fn on_detail_intent(&mut self, intent: DetailIntent) {
        match intent {
            DetailIntent::Copy(text) => self.ctx.copy_text(text),
            DetailIntent::Open(url) => self.open(url),
            DetailIntent::Refresh(id) => self.query(vec![id]),
            DetailIntent::Close => self.selected = None,
        }
    }

    fn top_panel(&mut self, ui: &mut egui::Ui, query_shortcut: bool) {
        ui.horizontal(|ui| {
            ui.heading(super::TITLE);
            if self.demo {
                ui.label(
                    egui::RichText::new(" DEMO ")
                        .strong()
                        .color(egui::Color32::BLACK)
                        .background_color(egui::Color32::from_rgb(0xf2, 0xc9, 0x4c)),
                );
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let label = if self.token.expanded {
                    "Hide token settings"
                } else {
                    "Token settings"
                };
                if ui
                    .button(label)
                    .on_hover_text("Set, test or forget the API token")
                    .clicked()
                {
                    self.token.expanded = !self.token.expanded;
                }
                if let Some((t, source)) = &self.token.current {
                    let where_ = match source {
                        TokenSource::Environment => "environment",
                        TokenSource::Keyring => "keyring",
                        TokenSource::Session => "this session",
                    };
                    ui.weak(format!("token {} ({where_})", t.hint()));
                }
            });
        });
        if self.token.expanded {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                if let Some(intent) = self.token.ui(ui, self.demo) {
                    self.on_token_intent(intent);
                }
            });
        }
        if let Some(intent) = self.status.banner(ui) {
            self.on_status_intent(intent);
        }
        if let Some(InputIntent::Query(ids)) = self.input.ui(ui, query_shortcut) {
            self.query(ids);
        }
        ui.add_space(4.0);
    }

    fn keyboard(&mut self, ctx: &egui::Context) -> bool {
        let (refresh, query, paste) = ctx.input(|i| {
            let paste = i.events.iter().find_map(|e| match e {
                egui::Event::Paste(text) => Some(text.clone()),
                _ => None,
            });
            (
                i.key_pressed(egui::Key::F5),
                i.modifiers.command && i.key_pressed(egui::Key::Enter),
                paste,
            )
        });
        if refresh {
            self.query(self.book.all_ids());
        }
        let nothing_focused = ctx.memory(|m| m.focused().is_none());
        if let Some(text) = paste
            && nothing_focused
        {
            self.input.set_text(text);
        }
        query
    }
}

impl eframe::App for SeedanceApp {
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        SeedanceApp::logic(self);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        let query_shortcut = self.keyboard(&ctx);
        egui::Panel::top("top").show(ui, |ui| self.top_panel(ui, query_shortcut));
        egui::Panel::bottom("status").show(ui, |ui| {
            if let Some(intent) = self.status.bar(ui, self.watching, self.demo) {
                self.on_status_intent(intent);
            }
        });
        if let Some(id) = self.selected.clone() {
            egui::Panel::right("details")
                .resizable(true)
                .default_size(380.0)
                .min_size(260.0)
                .show(ui, |ui| match self.book.get(&id) {
                    Some(entry) => {
                        for intent in details::show(ui, entry) {
                            self.on_detail_intent(intent);
                        }
                    }
                    None => self.selected = None,
                });
        }
        egui::CentralPanel::default().show(ui, |ui| {
            if self.book.is_empty() {
                ui.vertical_centered(|ui| {
                    ui.add_space(40.0);
                    ui.heading("Paste task ids above and press Query.");
                    ui.label("Ids come from the SeeDance generation call (`task_id`) or the AceDataCloud console.");
                    if !self.demo && ui.button("Try the demo").clicked() {
                        self.start_demo();
                    }
                });
                return;
            }
            ui.label(egui::RichText::new(self.book.summary()).strong());
            let failed = self.failed_batches();
            if let Some(intent) = self.status.failed_batches(ui, &failed) {
                self.on_status_intent(intent);
            }
            let intents = grid::show(ui, &mut self.book, self.selected.as_deref());
            for intent in intents {
                self.on_grid_intent(intent);
            }
        });
        if self.book.entries().iter().any(|e| e.status.is_unfinished()) {
            // The elapsed column of running tasks ticks.
            ctx.request_repaint_after(Duration::from_secs(1));
        }
    }
}
