//! The engine and what it talks to: a token's HTTP client or the built-in demo. Queries
//! go through here; switching between the user's session and the demo keeps the two
//! sets of rows apart.

use super::SeedanceApp;
use crate::demo::Demo;
use crate::engine::{self, Backend, Command, Notify};
use crate::task::TaskEntry;
use std::sync::Arc;

impl SeedanceApp {
    fn notify(&self) -> Notify {
        let ctx = self.ctx.clone();
        Arc::new(move || ctx.request_repaint())
    }

    pub(super) fn set_backend(&mut self, backend: Backend) {
        self.session.backend = Some(backend.clone());
        match &self.services.engine {
            Some((handle, _)) => {
                handle.send(Command::SetBackend(backend));
            }
            None => {
                let (handle, events) = engine::spawn(
                    backend,
                    self.services.engine_config.clone(),
                    Some(self.notify()),
                );
                handle.send(Command::SetWatching(self.session.prefs.watching));
                self.services.engine = Some((handle, events));
            }
        }
        self.session.halted = None;
        // Only what still needs an answer: finished tasks are never re-asked on their own
        // (a new token must not cost 2 000 requests for a 100 000-task history).
        self.session.waiting_for_token = false;
        let ids = self.session.book.unfinished_ids();
        self.send_query(ids);
    }

    pub(super) fn stop_engine(&mut self) {
        self.session.backend = None;
        if let Some((handle, _)) = self.services.engine.take() {
            handle.send(Command::Shutdown);
        }
    }

    /// The demo is a separate session: the user's rows are set aside (never sent to the
    /// demo), and nothing of the demo is written to the history or sent to the real API.
    pub fn start_demo(&mut self) {
        if self.session.is_demo() {
            return;
        }
        self.hand_history_over();
        self.session.stash = self.take_all_rows();
        self.panels.token.expanded = false;
        self.set_backend(Backend::Demo(Arc::new(Demo::new())));
        self.query(Demo::ids());
    }

    /// Empties the grid between the user's session and the demo's: the engine stops
    /// watching those ids, so no answer for one session lands in the other.
    fn take_all_rows(&mut self) -> Vec<TaskEntry> {
        let rows = self.session.book.remove_where(|_| true);
        self.forget(rows.iter().map(|e| e.id.clone()).collect());
        self.view.selection.clear();
        rows
    }

    /// Back from the demo (a real token was given): the demo rows go, the user's come back,
    /// and the history is read and written again.
    pub(super) fn leave_demo(&mut self) {
        // No longer the demo's: the token's backend is handed over right after.
        self.session.backend = None;
        self.take_all_rows();
        self.session
            .book
            .extend(std::mem::take(&mut self.session.stash));
        self.history_in_step();
        self.load_history();
    }

    /// New ids join the grid; known ids are refreshed, not duplicated.
    pub fn query(&mut self, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        self.session.book.add_ids(&ids);
        self.session.halted = None;
        if self.services.engine.is_some() {
            self.send_query(ids);
        } else {
            self.session.waiting_for_token = true;
            if self.services.keyring.is_some() {
                self.panels.token.expanded = true;
            }
        }
    }

    pub(super) fn send_query(&mut self, ids: Vec<String>) {
        if let Some((handle, _)) = &self.services.engine {
            handle.query(ids, self.session.prefs.watching);
        }
    }

    /// The engine stops asking about these ids (removed from the grid).
    pub(super) fn forget(&self, ids: Vec<String>) {
        if let Some((handle, _)) = &self.services.engine
            && !ids.is_empty()
        {
            handle.send(Command::Forget(ids));
        }
    }

    pub(super) fn set_watching(&mut self, on: bool) {
        self.session.prefs.watching = on;
        if let Some((handle, _)) = &self.services.engine {
            handle.send(Command::SetWatching(on));
        }
        if on {
            // Tasks asked while the watch was off were not put on the watch list.
            let unfinished = self.session.book.unfinished_ids();
            self.send_query(unfinished);
        }
    }
}
