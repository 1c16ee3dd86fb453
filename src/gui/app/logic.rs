//! Every frame, also while the window is hidden (`eframe::App::logic`): engine events,
//! finished background work, download progress and the history tick. Named `logic_impl`
//! so it is not confused with `eframe::App::logic`, which calls it.

use super::SeedanceApp;
use super::background::{Done, Job};
use crate::api::{ErrorKind, Status};
use crate::book::{FailureGroup, failure_groups};
use crate::engine::Event;
use crate::gui::status::Severity;
use crate::task::Outcome;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Ids whose last question failed, grouped by error (shared: cached across frames).
pub type FailedGroups = Arc<Vec<FailureGroup>>;

impl SeedanceApp {
    pub(super) fn logic_impl(&mut self) {
        let mut events = Vec::new();
        if let Some((_, rx)) = &mut self.services.engine {
            while let Ok(event) = rx.try_recv() {
                events.push(event);
            }
        }
        for event in events {
            self.on_event(event);
        }
        for done in self.services.background.take_finished() {
            self.on_done(done);
        }
        self.library_tick();
        self.panels.downloads.poll();
        self.posters_tick();
        self.follow_if_due();
        self.poll_generate();
        self.save_history_if_due();
    }

    /// The one place where finished background work is handled.
    fn on_done(&mut self, done: Done) {
        match done {
            Done::KeyringOpened { keyring, token } => self.on_keyring_opened(keyring, token),
            Done::TokenSaved { token, result } => self.on_token_saved(token, result),
            Done::TokenForgotten(result) => self.on_token_forgotten(result),
            Done::TokenTested(result) => self.on_token_tested(result),
            Done::HistoryLoaded(loaded) => self.on_history_loaded(loaded),
            Done::Opened(Ok(())) => {}
            Done::Opened(Err(e)) => self.panels.status.say(Severity::Error, e),
            Done::Notified(Ok(())) => {}
            Done::Notified(Err(e)) => {
                // Said once, as information: a machine without a notification service
                // stays so, and with Notify unticked (and remembered) later starts say
                // nothing.
                if self.session.prefs.notifications {
                    self.session.prefs.notifications = false;
                    self.panels.status.say(Severity::Info, e);
                }
            }
            Done::Exported(result) => self.on_exported(result),
            Done::PosterMade { id, result } => self.on_poster_made(&id, result),
            Done::PosterLoaded { id, image } => self.on_poster_loaded(&id, image),
            Done::ContinueReady(continuation) => self.on_continue_ready(*continuation),
            Done::CopyReady(text) => self.ctx.copy_text(text),
            Done::FolderChosen { folder, then } => self.on_folder_chosen(folder, then),
            Done::NoFolder => self.on_no_folder(),
            Done::Listed(result) => self.on_listed(result),
            Done::ImagePicked { index, picked } => self.on_image_picked(index, picked),
            Done::SheetRead(text) => self.on_sheet_read(text),
            Done::FoundCreated { prompt, found } => self.on_found_created(prompt, found),
            Done::Followed { follower, result } => self.on_followed(*follower, result),
            Done::LibrarySaved { id, state } => self.on_library_saved(&id, state),
            Done::LibraryFound(found) => self.on_library_found(found),
            Done::LibraryFolder(picked) => self.on_library_folder(picked),
            Done::LibrarySizes(sizes) => self.on_library_sizes(sizes),
            Done::LibraryVerified(found) => self.on_library_verified(found),
            Done::Crashed { job, message } => {
                match job {
                    Job::History => self.on_history_crashed(),
                    Job::Token => self.panels.token.busy = None,
                    Job::Listing => self.on_listing_crashed(),
                    Job::Poster => self.on_poster_crashed(),
                    Job::Library => self.on_library_crashed(),
                    Job::Continue => self.on_continue_crashed(&message),
                    _ => {}
                }
                self.panels.status.say(
                    Severity::Error,
                    format!(
                        "Something went wrong {}: {message}. Please report this.",
                        job.describe()
                    ),
                );
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::Results(outcomes) => {
                let success: HashSet<String> = outcomes
                    .iter()
                    .filter(
                        |(_, o)| matches!(o, Outcome::Found(r) if r.status == Status::Succeeded),
                    )
                    .map(|(id, _)| id.clone())
                    .collect();
                let finished = self.session.book.apply(outcomes);
                let focused = self.ctx.input(|i| i.viewport().focused.unwrap_or(true));
                let summary: Vec<(String, bool)> = finished
                    .into_iter()
                    .map(|id| (id.clone(), success.contains(&id)))
                    .collect();
                let saved: Vec<String> = summary
                    .iter()
                    .filter(|(_, ok)| *ok)
                    .map(|(id, _)| id.clone())
                    .collect();
                self.library_finished(&saved);
                if let Some(text) = self
                    .view
                    .attention
                    .on_finished(&self.ctx, &summary, focused)
                    && self.session.prefs.notifications
                {
                    let notifier = self.services.notifier.clone();
                    self.services
                        .background
                        .blocking(&self.ctx, Job::Notify, move || {
                            Done::Notified(notifier.notify(&text))
                        });
                }
            }
            Event::Retrying { wait, error, .. } => {
                let what = if error.kind == ErrorKind::RateLimited {
                    error.waiting_reason().to_owned()
                } else {
                    format!("{} ({})", error.waiting_reason(), error.message)
                };
                self.panels.status.retry = Some((Instant::now(), wait, what));
                self.ctx.request_repaint_after(Duration::from_millis(250));
            }
            Event::Halted(error) => {
                if error.is_auth() {
                    self.panels.token.expanded = true;
                }
                self.session.halted = Some(error);
            }
            Event::WatchExpired(ids) => self.session.book.mark_timed_out(&ids),
            Event::Activity(a) => self.panels.status.activity = a,
        }
    }

    /// Tasks whose last question failed for a reason a retry may fix, grouped by error.
    /// Recomputed only when the book changed (a scan of every task is too much per frame).
    pub(super) fn failed_batches(&mut self) -> FailedGroups {
        if let Some((revision, cached)) = &self.view.failed_cache
            && *revision == self.session.book.revision()
        {
            return cached.clone();
        }
        let groups = Arc::new(failure_groups(self.session.book.entries()));
        self.view.failed_cache = Some((self.session.book.revision(), groups.clone()));
        groups
    }
}
