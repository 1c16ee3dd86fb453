use super::attention::{self, Attention};
use super::details::{self, DetailIntent, NoteEdit};
use super::dialogs::{self, Dialogs, NO_DIALOG, Picked, SystemDialogs};
use super::downloads::{DownloadIntent, DownloadsPanel};
use super::grid::{self, GridIntent};
use super::input::{InputIntent, InputPanel};
use super::jobs;
use super::opener::Opener;
use super::selection::Selection;
use super::status::{StatusIntent, StatusLine};
use super::token::{KeyringState, Note, TokenIntent, TokenPanel};
use super::toolbar::{Toolbar, ToolbarIntent};
use crate::api::{ApiError, Client, ClientConfig, ErrorKind};
use crate::book::{Sort, TaskBook};
use crate::demo::Demo;
use crate::download::{self, DownloadJob, FileKind};
use crate::engine::{self, Backend, Command, EngineConfig, EngineHandle, Event, Notify};
use crate::export;
use crate::preview::PreviewCache;
use crate::secrets::{Keyring, SecretError, Token, TokenSource};
use crate::store::{self, Loaded, Saver};
use crate::task::TaskEntry;
use poll_promise::Promise;
use std::collections::BTreeMap;
use std::collections::HashSet;
use std::path::PathBuf;
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
    /// Save and folder dialogs (rfd); tests answer them.
    pub dialogs: Arc<dyn Dialogs>,
    pub engine: EngineConfig,
    /// Where the task history lives; `None` keeps nothing across restarts.
    pub history: Option<PathBuf>,
    /// Desktop notifications for tasks that finish while the window is in the background.
    pub notifications: bool,
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
        }
    }
}

/// Settings kept in eframe's storage (a plain file: never the token).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub sort: Sort,
    pub download_dir: Option<PathBuf>,
    pub thumbnails: bool,
    pub notifications: bool,
    pub watching: bool,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            sort: Sort::default(),
            download_dir: None,
            thumbnails: false,
            notifications: true,
            watching: true,
        }
    }
}

pub const PREFS_KEY: &str = "seedance-tasks-prefs";

/// What an undo puts back.
pub struct Undo {
    pub label: String,
    pub entries: Vec<TaskEntry>,
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
    dialogs: Arc<dyn Dialogs>,
    engine: Option<(EngineHandle, UnboundedReceiver<Event>)>,
    demo: bool,
    keyring: Option<Keyring>,
    token_job: Option<Promise<TokenJob>>,
    /// The first keyring read; apart from `token_job` so Test and "Use for this session"
    /// work while a keyring waits for its unlock prompt.
    keyring_job: Option<Promise<TokenJob>>,
    open_jobs: Vec<Promise<Result<(), String>>>,
    pub book: TaskBook,
    pub selection: Selection,
    pub input: InputPanel,
    pub token: TokenPanel,
    pub status: StatusLine,
    pub toolbar: Toolbar,
    pub downloads: DownloadsPanel,
    pub attention: Attention,
    pub undo: Option<Undo>,
    pub watching: bool,
    pub thumbnails: bool,
    pub notifications: bool,
    previews: PreviewCache,
    note: NoteEdit,
    /// Ids added before there was a token: asked as soon as there is one.
    waiting_for_token: bool,
    /// Where the history lives (kept while the demo runs, to come back to).
    history_path: Option<PathBuf>,
    /// The history has been read into the book (or there was none).
    history_loaded: bool,
    /// The user's rows, set aside while the demo runs.
    stash: Vec<TaskEntry>,
    history_job: Option<Promise<Loaded>>,
    saver: Option<Saver>,
    history_dirty: bool,
    last_save: Instant,
    /// Save dialogs, file writes and folder pickers: their outcome goes to the status line.
    file_jobs: Vec<Promise<FileJob>>,
    notify_jobs: Vec<Promise<Result<(), String>>>,
    notification_failed: bool,
    failed_cache: Option<(u64, FailedGroups)>,
}

/// Ids whose last question failed, grouped by error (shared, it is cached across frames).
type FailedGroups = Arc<Vec<(Arc<ApiError>, Vec<String>)>>;

enum FileJob {
    /// Where the export went (`None`: the dialog was cancelled), and whether it went to
    /// the fallback folder because no dialog could be shown.
    Exported(Result<Option<(PathBuf, bool)>, String>),
    /// Text for the clipboard, built in the background.
    Copy(String),
    /// The folder picked (`None`: cancelled), whether it is the fallback one (used for
    /// these downloads only, not remembered: a later dialog may well show), and the
    /// downloads waiting for it.
    Folder(Option<PathBuf>, bool, Vec<DownloadJob>),
    /// No folder dialog could be shown and there is no fallback folder either.
    NoFolder,
}

impl SeedanceApp {
    pub fn new(ctx: &egui::Context, options: GuiOptions) -> Self {
        let mut app = Self {
            ctx: ctx.clone(),
            api_base: options.api_base,
            engine_config: options.engine,
            opener: options.opener,
            dialogs: options.dialogs,
            engine: None,
            demo: false,
            keyring: None,
            token_job: None,
            keyring_job: None,
            open_jobs: Vec::new(),
            book: TaskBook::new(),
            selection: Selection::default(),
            input: InputPanel::default(),
            token: TokenPanel::default(),
            status: StatusLine::default(),
            toolbar: Toolbar::default(),
            downloads: DownloadsPanel::default(),
            attention: Attention::default(),
            undo: None,
            watching: true,
            thumbnails: false,
            notifications: options.notifications,
            // Up to ~2.4 MB of texture each (1024 px longest side): a bound of ~100 MB.
            previews: PreviewCache::new(download::http_client(), 40),
            note: NoteEdit::default(),
            waiting_for_token: false,
            history_path: options.history.clone(),
            history_loaded: false,
            stash: Vec::new(),
            history_job: None,
            saver: options
                .history
                .clone()
                .filter(|_| !options.demo)
                .map(Saver::start),
            history_dirty: false,
            last_save: Instant::now(),
            file_jobs: Vec::new(),
            notify_jobs: Vec::new(),
            notification_failed: false,
            failed_cache: None,
        };
        if let Some(path) = options.history.filter(|_| !options.demo) {
            // Read in the background: 100 000 tasks take a noticeable moment to parse.
            app.history_job = Some(jobs::blocking(ctx, move || store::load(&path)));
        }
        if options.demo {
            app.start_demo();
        } else if let Some(t) = options.env_token.as_deref().and_then(Token::parse) {
            app.use_token(t, TokenSource::Environment);
        }
        // The keyring is read in the background even with a token from the environment,
        // so Save and Forget know whether they can work.
        let provider = options.keyring;
        app.keyring_job = Some(jobs::blocking(ctx, move || {
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
        // Only what still needs an answer: finished tasks are never re-asked on their own
        // (a new token must not cost 2 000 requests for a 100 000-task history).
        self.waiting_for_token = false;
        let ids = self.book.unfinished_ids();
        self.send_query(ids);
    }

    fn use_token(&mut self, token: Token, source: TokenSource) {
        let config = ClientConfig {
            base_url: self.api_base.clone(),
            ..ClientConfig::default()
        };
        match Client::new(&config, &token) {
            Ok(client) => {
                if self.demo {
                    self.leave_demo();
                }
                self.token.current = Some((token, source));
                self.set_backend(Backend::Http(client));
            }
            Err(e) => self.token.note = Some(Note::Bad(format!("{e}. {}", e.hint()))),
        }
    }

    /// The demo is a separate session: the user's rows are set aside (never sent to the
    /// demo), and nothing of the demo is written to the history or sent to the real API.
    pub fn start_demo(&mut self) {
        if self.demo {
            return;
        }
        // The last real state goes to the writer without waiting for the disk. The writer
        // stays: one thread keeps the writes in order, and it gets nothing during the demo.
        if self.history_dirty
            && self.may_write_history()
            && let Some(saver) = &self.saver
        {
            saver.save(self.book.snapshot());
        }
        self.history_dirty = false;
        self.stash = self.take_all_rows();
        self.demo = true;
        self.token.expanded = false;
        self.set_backend(Backend::Demo(Arc::new(Demo::new())));
        self.query(Demo::ids());
    }

    /// Empties the grid between the user's session and the demo's: the engine stops
    /// watching those ids, so no answer for one session lands in the other.
    fn take_all_rows(&mut self) -> Vec<TaskEntry> {
        let rows = self.book.remove_where(|_| true);
        if let Some((handle, _)) = &self.engine {
            handle.send(Command::Forget(rows.iter().map(|e| e.id.clone()).collect()));
        }
        self.selection.clear();
        rows
    }

    /// Back from the demo (a real token was given): the demo rows go, the user's come back,
    /// and the history is read and written again.
    fn leave_demo(&mut self) {
        self.demo = false;
        self.take_all_rows();
        self.book.extend(std::mem::take(&mut self.stash));
        if let Some(path) = self.history_path.clone() {
            if self.saver.is_none() {
                self.saver = Some(Saver::start(path.clone()));
            }
            if !self.history_loaded && self.history_job.is_none() {
                self.history_job = Some(jobs::blocking(&self.ctx, move || store::load(&path)));
            }
        }
    }

    /// New ids join the grid; known ids are refreshed, not duplicated.
    pub fn query(&mut self, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        if self.book.add_ids(&ids) > 0 {
            self.history_dirty = true;
        }
        self.status.halted = None;
        if self.engine.is_some() {
            self.send_query(ids);
        } else {
            self.waiting_for_token = true;
            if self.keyring_job.is_none() {
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

    /// Drains engine events and finished jobs, and saves the history when due. Runs every
    /// frame, also while the window is hidden.
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
        if let Some(job) = jobs::take_ready(&mut self.keyring_job) {
            self.on_token_job(job);
        }
        if let Some(loaded) = jobs::take_ready(&mut self.history_job) {
            self.on_history(loaded);
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
        let mut pending_files = Vec::new();
        for job in std::mem::take(&mut self.file_jobs) {
            match job.try_take() {
                Ok(done) => self.on_file_job(done),
                Err(pending) => pending_files.push(pending),
            }
        }
        self.file_jobs = pending_files;
        let mut pending_notes = Vec::new();
        for job in std::mem::take(&mut self.notify_jobs) {
            match job.try_take() {
                Ok(Err(e)) if !self.notification_failed => {
                    // Once is enough: a machine without a notification daemon stays so.
                    self.notification_failed = true;
                    self.status.problem = Some(e);
                }
                Ok(_) => {}
                Err(pending) => pending_notes.push(pending),
            }
        }
        self.notify_jobs = pending_notes;
        self.downloads.poll();
        self.save_history_if_due();
    }

    /// At most one snapshot a second goes to the writer thread; the write itself (and the
    /// JSON encoding) happens there.
    fn save_history_if_due(&mut self) {
        if !self.may_write_history() {
            return;
        }
        if !self.history_dirty || self.last_save.elapsed() < Duration::from_secs(1) {
            if self.history_dirty {
                self.ctx.request_repaint_after(Duration::from_millis(1100));
            }
            return;
        }
        if let Some(saver) = &self.saver {
            saver.save(self.book.snapshot());
            if let Some(e) = saver.last_error() {
                self.status.problem = Some(e);
            }
        }
        self.history_dirty = false;
        self.last_save = Instant::now();
    }

    /// The user's note on a task (kept in the history).
    pub fn set_note(&mut self, id: &str, note: String) {
        self.book.set_note(id, note);
        self.history_dirty = true;
    }

    /// Nothing goes to the history while it is still loading (the file would lose what
    /// it holds) or during the demo (its rows are not the user's).
    fn may_write_history(&self) -> bool {
        !self.demo && self.history_job.is_none()
    }

    /// Writes the history now and waits for it (on exit). Goes through the writer thread
    /// so an older snapshot still being written cannot land after this one; with nothing
    /// to write it still waits for that one (also one handed over as the demo started),
    /// or the exit would cut it off.
    pub fn save_history_now(&mut self) {
        let Some(saver) = &self.saver else {
            return;
        };
        let timeout = Duration::from_secs(10);
        let write = self.history_dirty && self.may_write_history();
        let saved = if write {
            saver.save_and_wait(self.book.snapshot(), timeout)
        } else {
            saver.wait_idle(timeout)
        };
        if !saved {
            eprintln!("warning: the history may not have been saved before exit");
        }
        if let Some(e) = saver.last_error() {
            eprintln!("error: {e}");
        }
        if write {
            self.history_dirty = false;
        }
    }

    fn on_history(&mut self, loaded: Loaded) {
        self.history_loaded = !self.demo;
        if self.demo {
            // The demo started while the history was loading: keep the two apart (the file
            // is untouched and comes back on the next normal start).
            return;
        }
        match loaded {
            Loaded::Missing => {}
            Loaded::Tasks {
                tasks: entries,
                rewrite,
            } => {
                // Tasks pasted before the history arrived stay as they are.
                self.book.extend(entries);
                // Once in this build's layout, the next start loads it fast.
                self.history_dirty |= rewrite;
                // Finished tasks are not asked again; unfinished ones are watched again.
                let unfinished = self.book.unfinished_ids();
                if !unfinished.is_empty() {
                    self.query(unfinished);
                }
            }
            Loaded::MovedAside { reason, moved_to } => {
                let where_ = moved_to.map_or_else(
                    || "it could not be moved; it will be replaced".to_owned(),
                    |p| format!("it was kept as {}", p.display()),
                );
                self.status.problem = Some(format!(
                    "The task history could not be read ({reason}); {where_}."
                ));
                self.history_dirty = true;
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Results(outcomes) => {
                let success: HashSet<String> = outcomes
                    .iter()
                    .filter(|(_, o)| matches!(o, engine::Outcome::Found(r) if r.status == crate::api::Status::Succeeded))
                    .map(|(id, _)| id.clone())
                    .collect();
                let finished = self.book.apply(outcomes);
                self.history_dirty = true;
                let focused = self.ctx.input(|i| i.viewport().focused.unwrap_or(true));
                let summary: Vec<(String, bool)> = finished
                    .into_iter()
                    .map(|id| (id.clone(), success.contains(&id)))
                    .collect();
                if let Some(text) = self.attention.on_finished(&self.ctx, &summary, focused)
                    && self.notifications
                {
                    self.notify_jobs
                        .push(jobs::blocking(&self.ctx, move || attention::notify(&text)));
                }
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
        if !matches!(job, TokenJob::Loaded(..)) {
            self.token.busy = None;
        }
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
    /// Recomputed only when the book changed (a scan of every task is too much per frame).
    fn failed_batches(&mut self) -> FailedGroups {
        if let Some((revision, cached)) = &self.failed_cache
            && *revision == self.book.revision()
        {
            return cached.clone();
        }
        let groups = Arc::new(self.compute_failed_batches());
        self.failed_cache = Some((self.book.revision(), groups.clone()));
        groups
    }

    fn compute_failed_batches(&self) -> Vec<(Arc<ApiError>, Vec<String>)> {
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
            GridIntent::Click { id, ctrl, shift } => {
                let order = if shift {
                    self.book.ids_in_order()
                } else {
                    Vec::new()
                };
                self.selection.click(&id, ctrl, shift, &order);
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
            DetailIntent::SetNote(id, text) => self.set_note(&id, text),
            DetailIntent::Close => self.selection.clear(),
        }
    }

    /// The selected tasks in display order, or every shown task when none is selected.
    pub fn action_targets(&mut self) -> Vec<&Arc<TaskEntry>> {
        let order = self.book.order().to_vec();
        let entries = self.book.entries();
        let selected = self.selection.ids();
        order
            .into_iter()
            .filter_map(|i| entries.get(i))
            .filter(|e| selected.is_empty() || selected.contains(&e.id))
            .collect()
    }

    fn remove_with_undo(&mut self, removed: Vec<TaskEntry>, what: &str) {
        if removed.is_empty() {
            return;
        }
        let ids: Vec<String> = removed.iter().map(|e| e.id.clone()).collect();
        if let Some((handle, _)) = &self.engine {
            handle.send(Command::Forget(ids));
        }
        let book = &self.book;
        self.selection.retain(|id| book.get(id).is_some());
        self.undo = Some(Undo {
            label: format!("Removed {} {what}", removed.len()),
            entries: removed,
        });
        self.history_dirty = true;
    }

    pub fn undo(&mut self) {
        if let Some(undo) = self.undo.take() {
            let unfinished: Vec<String> = undo
                .entries
                .iter()
                .filter(|e| e.is_unfinished())
                .map(|e| e.id.clone())
                .collect();
            self.book.extend(undo.entries);
            self.history_dirty = true;
            if !unfinished.is_empty() {
                self.send_query(unfinished);
            }
        }
    }

    /// Asks where to save, then builds and writes the file in the background (100 000
    /// records take a while to encode; the UI thread only copies the rows).
    fn export(&mut self, ext: &'static str) {
        let entries: Vec<Arc<TaskEntry>> = self.action_targets().into_iter().cloned().collect();
        let name = format!("seedance-tasks.{ext}");
        let dialogs = self.dialogs.clone();
        self.file_jobs.push(jobs::future(&self.ctx, async move {
            let (path, fallback) = match dialogs.save_file("Export tasks", &name, ext).await {
                Picked::Chosen(path) => (path, false),
                Picked::Cancelled => return FileJob::Exported(Ok(None)),
                Picked::Unavailable => match dialogs.fallback_dir() {
                    Some(dir) => (dialogs::fallback_file(&dir, ext), true),
                    None => {
                        return FileJob::Exported(Err(format!(
                            "{NO_DIALOG}, and there is no home folder to save in"
                        )));
                    }
                },
            };
            let written = tokio::task::spawn_blocking(move || {
                let refs: Vec<&TaskEntry> = entries.iter().map(Arc::as_ref).collect();
                let text = if ext == "csv" {
                    export::to_csv(&refs)?
                } else {
                    export::to_json(&refs)
                };
                std::fs::write(&path, text.as_bytes())
                    .map(|()| Some((path.clone(), fallback)))
                    .map_err(|e| format!("could not write {}: {e}", path.display()))
            })
            .await
            .unwrap_or_else(|e| Err(format!("the export stopped: {e}")));
            FileJob::Exported(written)
        }));
    }

    fn download_jobs(&mut self, kinds: &[FileKind]) -> Vec<DownloadJob> {
        let mut jobs = Vec::new();
        for e in self.action_targets() {
            let Some(r) = e.record.as_ref() else { continue };
            for kind in kinds {
                let url = match kind {
                    FileKind::Video => r.video_url.as_deref(),
                    FileKind::LastFrame => r.last_frame_url.as_deref(),
                };
                if let Some(url) = url {
                    jobs.push(DownloadJob {
                        task_id: e.id.clone(),
                        kind: *kind,
                        url: url.to_owned(),
                    });
                }
            }
        }
        jobs
    }

    fn start_downloads(&mut self, jobs: Vec<DownloadJob>) {
        if jobs.is_empty() {
            self.status.problem =
                Some("Nothing to download: none of these tasks has such a link yet.".into());
            return;
        }
        match self.downloads.dir.clone() {
            Some(dir) => self
                .downloads
                .start(&self.ctx, download::http_client(), dir, jobs),
            None => self.choose_folder(jobs),
        }
    }

    fn choose_folder(&mut self, then: Vec<DownloadJob>) {
        let dialogs = self.dialogs.clone();
        self.file_jobs.push(jobs::future(&self.ctx, async move {
            match dialogs.pick_folder("Download into").await {
                Picked::Chosen(dir) => FileJob::Folder(Some(dir), false, then),
                Picked::Cancelled => FileJob::Folder(None, false, then),
                Picked::Unavailable => match dialogs.fallback_dir() {
                    Some(dir) => FileJob::Folder(Some(dir.join("seedance-tasks")), true, then),
                    None => FileJob::NoFolder,
                },
            }
        }));
    }

    fn on_file_job(&mut self, job: FileJob) {
        match job {
            FileJob::Exported(Ok(Some((path, fallback)))) => {
                self.status.problem = Some(if fallback {
                    format!("{NO_DIALOG}: exported to {}", path.display())
                } else {
                    format!("Exported to {}", path.display())
                })
            }
            FileJob::Exported(Ok(None)) => {}
            FileJob::Copy(text) => self.ctx.copy_text(text),
            FileJob::Exported(Err(e)) => self.status.problem = Some(format!("Export failed: {e}")),
            FileJob::Folder(Some(dir), true, jobs) => {
                self.status.problem =
                    Some(format!("{NO_DIALOG}: downloads go to {}", dir.display()));
                if !jobs.is_empty() {
                    self.downloads
                        .start(&self.ctx, download::http_client(), dir, jobs);
                }
            }
            FileJob::Folder(Some(dir), false, jobs) => {
                self.downloads.dir = Some(dir);
                if !jobs.is_empty() {
                    self.start_downloads(jobs);
                }
            }
            FileJob::Folder(None, _, _) => {}
            FileJob::NoFolder => {
                self.status.problem = Some(format!(
                    "{NO_DIALOG}, and there is no home folder to download into"
                ))
            }
        }
    }

    fn on_toolbar_intent(&mut self, intent: ToolbarIntent) {
        match intent {
            ToolbarIntent::Filter(filter) => self.book.set_filter(filter),
            ToolbarIntent::Refresh => {
                let ids = self.action_targets().iter().map(|e| e.id.clone()).collect();
                self.query(ids);
            }
            ToolbarIntent::Remove => {
                let ids: HashSet<String> =
                    self.action_targets().iter().map(|e| e.id.clone()).collect();
                let removed = self.book.remove(&ids);
                self.remove_with_undo(removed, "tasks");
            }
            ToolbarIntent::CopyIds => {
                let ids: Vec<String> = self.action_targets().iter().map(|e| e.id.clone()).collect();
                self.ctx.copy_text(ids.join("\n"));
            }
            ToolbarIntent::CopyTsv => {
                let entries: Vec<Arc<TaskEntry>> =
                    self.action_targets().into_iter().cloned().collect();
                self.file_jobs.push(jobs::blocking(&self.ctx, move || {
                    let refs: Vec<&TaskEntry> = entries.iter().map(Arc::as_ref).collect();
                    FileJob::Copy(export::to_tsv(&refs))
                }));
            }
            ToolbarIntent::ExportCsv => self.export("csv"),
            ToolbarIntent::ExportJson => self.export("json"),
            ToolbarIntent::Download(kinds) => {
                let jobs = self.download_jobs(&kinds);
                self.start_downloads(jobs);
            }
            ToolbarIntent::ChooseDownloadFolder => self.choose_folder(Vec::new()),
            ToolbarIntent::ClearFinished => {
                let removed = self.book.remove_finished();
                self.remove_with_undo(removed, "finished tasks");
            }
            ToolbarIntent::ClearAll => {
                let removed = self.book.remove_where(|_| true);
                self.remove_with_undo(removed, "tasks");
            }
            ToolbarIntent::SelectAll => {
                let order = self.book.ids_in_order();
                self.selection.select_all(&order);
            }
            ToolbarIntent::ClearSelection => self.selection.clear(),
            ToolbarIntent::Thumbnails(on) => self.thumbnails = on,
        }
    }

    fn on_download_intent(&mut self, intent: DownloadIntent) {
        match intent {
            DownloadIntent::Cancel => self.downloads.cancel(),
            DownloadIntent::RetryFailed => {
                let jobs = self.downloads.failed_jobs();
                self.start_downloads(jobs);
            }
            DownloadIntent::Close => {
                self.downloads.visible = false;
                self.downloads.items.clear();
            }
            DownloadIntent::OpenFolder(dir) => self.open(dir.display().to_string()),
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
                let label = if self.token.expanded { "Hide token settings" } else { "Token settings" };
                if ui.button(label).on_hover_text("Set, test or forget the API token").clicked() {
                    self.token.expanded = !self.token.expanded;
                }
                ui.checkbox(&mut self.notifications, "Notify")
                    .on_hover_text("A desktop notification when tasks finish while the window is in the background");
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
        let (refresh, query, find, paste, select_all) = ctx.input(|i| {
            let paste = i.events.iter().find_map(|e| match e {
                egui::Event::Paste(text) => Some(text.clone()),
                _ => None,
            });
            (
                i.key_pressed(egui::Key::F5),
                i.modifiers.command && i.key_pressed(egui::Key::Enter),
                i.modifiers.command && i.key_pressed(egui::Key::F),
                paste,
                i.modifiers.command && i.key_pressed(egui::Key::A),
            )
        });
        if refresh {
            self.query(self.book.all_ids());
        }
        if find {
            self.toolbar.focus_search = true;
        }
        let nothing_focused = ctx.memory(|m| m.focused().is_none());
        if let Some(text) = paste
            && nothing_focused
        {
            self.input.set_text(text);
        }
        if select_all && nothing_focused {
            let order = self.book.ids_in_order();
            self.selection.select_all(&order);
        }
        query
    }

    pub fn prefs(&self) -> Prefs {
        Prefs {
            sort: self.book.sort(),
            download_dir: self.downloads.dir.clone(),
            thumbnails: self.thumbnails,
            notifications: self.notifications,
            watching: self.watching,
        }
    }

    pub fn apply_prefs(&mut self, prefs: Prefs) {
        self.book.set_sort(prefs.sort);
        self.downloads.dir = prefs.download_dir;
        self.thumbnails = prefs.thumbnails;
        self.notifications = prefs.notifications && self.notifications;
        if !prefs.watching {
            self.on_status_intent(StatusIntent::SetWatching(false));
        }
    }

    fn central(&mut self, ui: &mut egui::Ui) {
        if self.book.is_empty() {
            ui.vertical_centered(|ui| {
                ui.add_space(40.0);
                if self.history_job.is_some() {
                    ui.spinner();
                    ui.label("Loading the task history…");
                    return;
                }
                ui.heading("Paste task ids above and press Query.");
                ui.label("Ids come from the SeeDance generation call (`task_id`) or the AceDataCloud console.");
                if !self.demo && ui.button("Try the demo").clicked() {
                    self.start_demo();
                }
            });
            return;
        }
        // The order (and so the shown counts) must be current before the summary.
        self.book.order();
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new(self.book.summary()).strong());
            if self.book.filter().is_active() {
                ui.weak(format!(
                    "({} of {} shown)",
                    self.book.shown(),
                    self.book.len()
                ));
            }
        });
        let dir = self.downloads.dir.as_ref().map(|d| d.display().to_string());
        let intents = self.toolbar.ui(
            ui,
            &self.book,
            self.selection.len(),
            self.thumbnails,
            dir.as_deref(),
        );
        for intent in intents {
            self.on_toolbar_intent(intent);
        }
        if let Some(undo) = &self.undo {
            let label = undo.label.clone();
            ui.horizontal(|ui| {
                ui.label(label);
                if ui
                    .button("Undo")
                    .on_hover_text("Put the removed tasks back")
                    .clicked()
                {
                    self.undo();
                }
                if ui.small_button("Dismiss").clicked() {
                    self.undo = None;
                }
            });
        }
        let failed = self.failed_batches();
        if let Some(intent) = self.status.failed_batches(ui, &failed) {
            self.on_status_intent(intent);
        }
        let previews = self.thumbnails.then_some(&mut self.previews);
        let intents = grid::show(ui, &mut self.book, &self.selection, previews);
        for intent in intents {
            self.on_grid_intent(intent);
        }
    }
}

impl eframe::App for SeedanceApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        SeedanceApp::logic(self);
        let focused = ctx.input(|i| i.viewport().focused.unwrap_or(true));
        self.attention.update(ctx, focused);
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
        if self.downloads.visible {
            egui::Panel::bottom("downloads")
                .resizable(true)
                .show(ui, |ui| {
                    if let Some(intent) = self.downloads.ui(ui) {
                        self.on_download_intent(intent);
                    }
                });
        }
        if let Some(id) = self.selection.primary().map(|s| s.to_owned()) {
            egui::Panel::right("details")
                .resizable(true)
                .default_size(380.0)
                .min_size(260.0)
                .show(ui, |ui| match self.book.get(&id) {
                    Some(entry) => {
                        for intent in details::show(ui, entry, &mut self.previews, &mut self.note) {
                            self.on_detail_intent(intent);
                        }
                    }
                    None => self.selection.clear(),
                });
        }
        egui::CentralPanel::default().show(ui, |ui| self.central(ui));
        if self.book.counts().iter().any(|(s, _, _)| s.is_unfinished()) {
            // The elapsed column of running tasks ticks.
            ctx.request_repaint_after(Duration::from_secs(1));
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, PREFS_KEY, &self.prefs());
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.save_history_now();
    }
}
