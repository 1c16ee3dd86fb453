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
        self.backend = Some(backend.clone());
        match &self.engine {
            Some((handle, _)) => {
                handle.send(Command::SetBackend(backend));
            }
            None => {
                let (handle, events) =
                    engine::spawn(backend, self.engine_config.clone(), Some(self.notify()));
                handle.send(Command::SetWatching(self.prefs.watching));
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

    pub(super) fn stop_engine(&mut self) {
        self.backend = None;
        if let Some((handle, _)) = self.engine.take() {
            handle.send(Command::Shutdown);
        }
    }

    /// The demo is a separate session: the user's rows are set aside (never sent to the
    /// demo), and nothing of the demo is written to the history or sent to the real API.
    pub fn start_demo(&mut self) {
        if self.demo {
            return;
        }
        self.hand_history_over();
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
        self.forget(rows.iter().map(|e| e.id.clone()).collect());
        self.selection.clear();
        rows
    }

    /// Back from the demo (a real token was given): the demo rows go, the user's come back,
    /// and the history is read and written again.
    pub(super) fn leave_demo(&mut self) {
        self.demo = false;
        self.take_all_rows();
        self.book.extend(std::mem::take(&mut self.stash));
        self.history_in_step();
        self.load_history();
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
            if self.token.keyring != crate::gui::KeyringState::Checking {
                self.token.expanded = true;
            }
        }
    }

    pub(super) fn send_query(&mut self, ids: Vec<String>) {
        if let Some((handle, _)) = &self.engine {
            handle.query(ids, self.prefs.watching);
        }
    }

    /// The engine stops asking about these ids (removed from the grid).
    pub(super) fn forget(&self, ids: Vec<String>) {
        if let Some((handle, _)) = &self.engine
            && !ids.is_empty()
        {
            handle.send(Command::Forget(ids));
        }
    }

    pub(super) fn set_watching(&mut self, on: bool) {
        self.prefs.watching = on;
        if let Some((handle, _)) = &self.engine {
            handle.send(Command::SetWatching(on));
        }
        if on {
            // Tasks asked while the watch was off were not put on the watch list.
            let unfinished = self.book.unfinished_ids();
            self.send_query(unfinished);
        }
    }
}
