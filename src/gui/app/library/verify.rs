//! Verify library: every saved file read again in the background and its SHA-256 compared
//! with the one recorded at save time (`Library::verify_all`). A missing video is shown as
//! removed, a changed or unreadable one as failed with the reason (Retry fetches it again
//! while its link lives); the status line gives the counts.

use super::{LibrarySync, SeedanceApp};
use crate::gui::app::background::{Done, Job};
use crate::gui::status::Severity;
use crate::library::{SaveState, SavedTask, VerifyReport};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A verification under way: how many tasks are done, of how many.
pub(super) struct VerifyRun {
    done: Arc<AtomicUsize>,
    of: usize,
}

impl LibrarySync {
    /// Tasks saved in the library, with their files.
    pub(super) fn saved_tasks(&self) -> impl Iterator<Item = &SavedTask> {
        self.states.values().filter_map(|s| match s {
            SaveState::Saved(t) => Some(t),
            _ => None,
        })
    }

    /// (tasks verified, of how many) while Verify library runs.
    pub(super) fn verifying(&self) -> Option<(usize, usize)> {
        self.verify
            .as_ref()
            .map(|v| (v.done.load(Ordering::Relaxed), v.of))
    }
}

impl SeedanceApp {
    /// Verify library: hashes every saved file again off the UI thread
    /// (`Library::verify_all`, a few at a time on the blocking pool). Each task's state
    /// comes back as a library event as soon as it is known.
    pub(super) fn library_verify(&mut self) {
        let Some(library) = self.services.library.library.clone() else {
            return;
        };
        if self.services.library.verify.is_some() {
            return;
        }
        let tasks: Vec<Arc<SavedTask>> = self
            .services
            .library
            .saved_tasks()
            .map(|t| Arc::new(t.clone()))
            .collect();
        let done = Arc::new(AtomicUsize::new(0));
        self.services.library.verify = Some(VerifyRun {
            done: done.clone(),
            of: tasks.len(),
        });
        let ctx = self.ctx.clone();
        self.services
            .background
            .future(&self.ctx, Job::Library, async move {
                let progress = move |n: usize, _of: usize| {
                    done.store(n, Ordering::Relaxed);
                    ctx.request_repaint();
                };
                Done::LibraryVerified(library.verify_all_with_progress(tasks, progress).await)
            });
    }

    pub(in crate::gui::app) fn on_library_verified(&mut self, report: VerifyReport) {
        self.services.library.verify = None;
        let all = report.tasks.len();
        let clean = report.changed + report.missing + report.unreadable == 0;
        let severity = if clean {
            Severity::Info
        } else {
            Severity::Warning
        };
        let noun = if all == 1 { "task" } else { "tasks" };
        self.panels.status.say(
            severity,
            format!("Verified {all} saved {noun}: {}.", report.summary()),
        );
    }
}
