//! The account's tasks in the window: "Load my tasks" runs one listing in the background
//! (progress, Cancel), Follow asks every 30 s for tasks created since the newest seen.
//! Listed tasks join the grid like pasted ones: deduplicated by id, unfinished ones
//! watched, all of them in the history. A listing the API does not honour is shown as
//! that, never as a partial list, and turns Follow off.

use super::SeedanceApp;
use super::background::{Done, Job};
use crate::api::{ApiError, ListScope, TaskRecord};
use crate::engine::{
    self, Followed, Follower, ListCancel, ListError, ListEvent, ListRequest, Listing,
};
use crate::gui::account::{AccountIntent, AccountView};
use crate::gui::status::{Severity, count};
use crate::task::{Outcome, unix_now};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct AccountSync {
    /// The listing in flight: its Cancel and its progress text ("312 of 1 204").
    loading: Option<(ListCancel, Arc<Mutex<String>>)>,
    /// The follow's memory; away while its question is in flight.
    follower: Option<Follower>,
    follow_in_flight: bool,
    next_follow: Instant,
    every: Duration,
    /// The API does not list for this token (why); Follow stays off.
    unsupported: Option<String>,
    message: Option<String>,
    /// When the window started: Follow adds tasks created from then on.
    started: f64,
}

impl AccountSync {
    pub fn new(every: Duration) -> Self {
        Self {
            loading: None,
            follower: None,
            follow_in_flight: false,
            next_follow: Instant::now(),
            every: engine::follow_interval(every),
            unsupported: None,
            message: None,
            started: unix_now(),
        }
    }
}

impl SeedanceApp {
    /// The owner any known record gives, so the API is asked for this account's tasks
    /// and every answer is checked against it.
    fn list_scope(&self) -> ListScope {
        self.session
            .book
            .entries()
            .iter()
            .filter_map(|e| e.record.as_deref())
            .map(ListScope::from_record)
            .find(|s| s.user_id.is_some())
            .unwrap_or_default()
    }

    fn progress_reporter(
        &self,
        progress: Arc<Mutex<String>>,
    ) -> Arc<dyn Fn(ListEvent) + Send + Sync> {
        let ctx = self.ctx.clone();
        Arc::new(move |event| {
            if let (ListEvent::Progress(p), Ok(mut text)) = (event, progress.lock()) {
                *text = p.to_string();
            }
            ctx.request_repaint();
        })
    }

    pub(super) fn on_account_intent(&mut self, intent: AccountIntent) {
        match intent {
            AccountIntent::Load { from, to } => self.load_my_tasks(from, to),
            AccountIntent::Cancel => {
                if let Some((cancel, _)) = &self.session.account.loading {
                    cancel.cancel();
                }
            }
            AccountIntent::SetFollow(on) => {
                self.session.prefs.follow = on && self.session.account.unsupported.is_none();
                self.session.account.next_follow = Instant::now();
            }
        }
    }

    fn load_my_tasks(&mut self, from: f64, to: Option<f64>) {
        let Some(engine) = self.services.engine.as_ref().map(|(e, _)| e.clone()) else {
            self.session.account.message = Some("Set a token first (or try the demo).".into());
            self.panels.token.expanded = true;
            return;
        };
        let cancel = ListCancel::default();
        let progress = Arc::new(Mutex::new("starting".to_owned()));
        let on_event = self.progress_reporter(progress.clone());
        let request = ListRequest {
            created_to: to,
            scope: self.list_scope(),
            ..ListRequest::new(from)
        };
        let job_cancel = cancel.clone();
        self.session.account.loading = Some((cancel, progress));
        self.session.account.message = None;
        self.services
            .background
            .future(&self.ctx, Job::Listing, async move {
                Done::Listed(engine.list(request, on_event, job_cancel).await)
            });
    }

    pub(super) fn on_listed(&mut self, result: Result<Listing, ListError>) {
        self.session.account.loading = None;
        match result {
            Ok(listing) => {
                let n = listing.tasks.len();
                let scope = self.list_scope();
                let follower =
                    self.session.account.follower.get_or_insert_with(|| {
                        Follower::new(self.session.account.started, scope, &[])
                    });
                follower.remember(&listing.tasks);
                // Remembered so that Follow does not hand them out again; all of them
                // join the grid, as every readable one does.
                follower.take_new_unreadable(listing.unreadable.clone());
                let bad = listing.unreadable.len();
                let added = self.adopt(listing.tasks) + self.adopt_unreadable(listing.unreadable);
                let mut message = format!(
                    "Listed {}, {} new to the grid.",
                    count(n + bad, "task", "tasks"),
                    added
                );
                if bad > 0 {
                    message.push_str(&format!(
                        " {} could not be read (shown as errors).",
                        count(bad, "record", "records")
                    ));
                }
                message.push_str(&odd_items(listing.nameless, listing.beyond_limit));
                self.session.account.message = Some(message);
            }
            Err(e) => self.on_list_error(e),
        }
    }

    fn on_list_error(&mut self, e: ListError) {
        match &e {
            ListError::Cancelled => {
                self.session.account.message = Some("Listing cancelled.".into())
            }
            ListError::Unsupported { .. } => {
                // Never a partial list, and no following an API that does not list.
                self.session.account.unsupported = Some(e.to_string());
                self.session.account.message = Some(e.to_string());
                self.session.prefs.follow = false;
            }
            _ if e.is_token_problem() => {
                self.panels.token.expanded = true;
                self.session.account.message = Some(format!("The listing stopped: {e}"));
            }
            _ => self.session.account.message = Some(format!("The listing failed: {e}")),
        }
    }

    /// Listed tasks join the grid: new ids are added, known ones refreshed with the
    /// answer, unfinished ones watched. Returns how many were new.
    fn adopt(&mut self, records: Vec<TaskRecord>) -> usize {
        let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
        let added = self.session.book.add_ids(&ids);
        let outcomes = records
            .into_iter()
            .map(|r| (r.id.clone(), Outcome::Found(Arc::new(r))))
            .collect();
        self.session.book.apply(outcomes);
        let unfinished: Vec<String> = ids
            .into_iter()
            .filter(|id| self.session.book.get(id).is_some_and(|e| e.is_unfinished()))
            .collect();
        self.send_query(unfinished);
        added
    }

    /// Listed records that could not be read: each joins the grid as an error with why,
    /// the way a bad record of a batch does, and is asked on its own (the watch keeps
    /// asking an errored task, backing off, so a record the API mends is picked up).
    fn adopt_unreadable(&mut self, unreadable: Vec<(String, Arc<ApiError>)>) -> usize {
        let ids: Vec<String> = unreadable.iter().map(|(id, _)| id.clone()).collect();
        let added = self.session.book.add_ids(&ids);
        let outcomes = unreadable
            .into_iter()
            .map(|(id, e)| (id, Outcome::Error(e)))
            .collect();
        self.session.book.apply(outcomes);
        self.send_query(ids);
        added
    }

    /// The API said it does not list tasks for this token.
    pub(super) fn account_unsupported(&self) -> bool {
        self.session.account.unsupported.is_some()
    }

    /// A listing job died: nothing is in flight any more (Follow asks again later).
    pub(super) fn on_listing_crashed(&mut self) {
        self.session.account.loading = None;
        self.session.account.follow_in_flight = false;
        self.session.account.next_follow = Instant::now() + self.session.account.every;
    }

    /// Each frame: asks the follow's question when it is due.
    pub(super) fn follow_if_due(&mut self) {
        if !self.session.prefs.follow
            || self.session.account.follow_in_flight
            || self.follow_paused().is_some()
        {
            return;
        }
        let Some(engine) = self.services.engine.as_ref().map(|(e, _)| e.clone()) else {
            return;
        };
        let wait = self
            .session
            .account
            .next_follow
            .saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            self.ctx.request_repaint_after(wait);
            return;
        }
        let scope = self.list_scope();
        let started = self.session.account.started;
        let mut follower = self
            .session
            .account
            .follower
            .take()
            .unwrap_or_else(|| Follower::new(started, scope, &[]));
        let on_event = self.progress_reporter(Arc::new(Mutex::new(String::new())));
        self.session.account.follow_in_flight = true;
        self.services
            .background
            .future(&self.ctx, Job::Listing, async move {
                let result = engine
                    .follow(&mut follower, on_event, ListCancel::default())
                    .await;
                Done::Followed {
                    follower: Box::new(follower),
                    result,
                }
            });
    }

    pub(super) fn on_followed(&mut self, follower: Follower, result: Result<Followed, ListError>) {
        self.session.account.follow_in_flight = false;
        self.session.account.follower = Some(follower);
        self.session.account.next_follow = Instant::now() + self.session.account.every;
        match result {
            Ok(new)
                if new.tasks.is_empty()
                    && new.unreadable.is_empty()
                    && new.nameless == 0
                    && new.beyond_limit == 0 => {}
            Ok(new) => {
                let n = new.tasks.len();
                let bad = new.unreadable.len();
                let (nameless, beyond) = (new.nameless, new.beyond_limit);
                // Follow brings tasks in as they are made: each is saved as it finishes,
                // also one that arrives finished.
                let ids: Vec<String> = new.tasks.iter().map(|r| r.id.clone()).collect();
                self.adopt(new.tasks);
                self.adopt_unreadable(new.unreadable);
                self.library_finished(&ids);
                let mut message = format!("Follow added {}.", count(n, "new task", "new tasks"));
                if bad > 0 {
                    message.push_str(&format!(
                        " {} could not be read (shown as errors).",
                        count(bad, "new record", "new records")
                    ));
                }
                message.push_str(&odd_items(nameless, beyond));
                self.session.account.message = Some(message);
            }
            // An outage says nothing about listing: the next question covers the range.
            Err(e @ ListError::Api(_)) if !e.is_token_problem() => {
                self.panels
                    .status
                    .say(Severity::Warning, format!("Follow: {e}"));
            }
            Err(e) => self.on_list_error(e),
        }
    }

    /// Why Follow waits although it is on.
    fn follow_paused(&self) -> Option<&'static str> {
        self.session
            .halted
            .as_ref()
            .filter(|e| e.is_auth() || e.is_balance())
            .map(|_| "Follow paused: the API rejected the token")
    }

    pub(super) fn account_ui(&mut self, ui: &mut egui::Ui) {
        let progress = self
            .session
            .account
            .loading
            .as_ref()
            .and_then(|(_, p)| p.lock().ok().map(|t| t.clone()));
        let blocked = if self.session.account.unsupported.is_some() {
            Some("This API does not list tasks for this token: paste ids instead")
        } else if self.session.backend.is_none() {
            Some("Needs a token (or the demo)")
        } else {
            None
        };
        let view = AccountView {
            progress: progress.as_deref(),
            following: self.session.prefs.follow && blocked.is_none(),
            follow_blocked: blocked,
            follow_paused: self.follow_paused().filter(|_| self.session.prefs.follow),
            message: self.session.account.message.as_deref(),
        };
        if let Some(intent) = self.panels.account.ui(ui, &view) {
            self.push_intent(intent);
        }
    }
}

/// What a listing sent besides tasks, said after its counts ("" when nothing).
fn odd_items(nameless: usize, beyond_limit: usize) -> String {
    engine::left_out(nameless, beyond_limit)
        .iter()
        .map(|said| format!(" {said}."))
        .collect()
}
