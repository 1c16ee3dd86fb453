//! Verify library: every saved file read again in the background and its SHA-256 compared
//! with the one recorded at save time. A missing video is shown as removed, a changed or
//! unreadable one as failed with the reason (Retry fetches it again while its link
//! lives); the status line gives the counts.

use super::{LibrarySync, SeedanceApp};
use crate::gui::app::background::{Done, Job};
use crate::gui::status::Severity;
use crate::library::{SaveState, SavedTask, Verified};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A verification under way: how many tasks are done, of how many.
pub(super) struct VerifyRun {
    done: Arc<AtomicUsize>,
    of: usize,
}

/// One task's files as found again: the video's outcome and the last frame's, if any.
pub struct TaskVerified {
    pub id: String,
    pub video: Verified,
    pub last_frame: Option<Verified>,
}

impl LibrarySync {
    /// Tasks saved in the library, with their files.
    pub(super) fn saved_tasks(&self) -> impl Iterator<Item = (&String, &SavedTask)> {
        self.states.iter().filter_map(|(id, s)| match s {
            SaveState::Saved(t) => Some((id, t)),
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
    /// Verify library: hashes every saved file again, one task at a time, off the UI
    /// thread (the library hashes on the blocking pool).
    pub(super) fn library_verify(&mut self) {
        let Some(library) = self.services.library.library.clone() else {
            return;
        };
        if self.services.library.verify.is_some() {
            return;
        }
        let tasks: Vec<(String, SavedTask)> = self
            .services
            .library
            .saved_tasks()
            .map(|(id, t)| (id.clone(), t.clone()))
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
                let mut found = Vec::with_capacity(tasks.len());
                for (id, task) in tasks {
                    let video = library.verify(&task.video).await;
                    let last_frame = match &task.last_frame {
                        Some(f) => Some(library.verify(f).await),
                        None => None,
                    };
                    found.push(TaskVerified {
                        id,
                        video,
                        last_frame,
                    });
                    done.fetch_add(1, Ordering::Relaxed);
                    ctx.request_repaint();
                }
                Done::LibraryVerified(found)
            });
    }

    pub(in crate::gui::app) fn on_library_verified(&mut self, found: Vec<TaskVerified>) {
        self.services.library.verify = None;
        let mut tally = Tally::default();
        for task in found {
            let state = match (&task.video, &task.last_frame) {
                (Verified::Intact, None | Some(Verified::Intact)) => {
                    tally.intact += 1;
                    continue;
                }
                (Verified::Missing, _) => {
                    tally.missing += 1;
                    SaveState::Removed
                }
                (video, frame) => {
                    let (noun, outcome) = match video {
                        Verified::Intact => ("last frame", frame.as_ref().unwrap_or(video)),
                        _ => ("video", video),
                    };
                    let reason = match outcome {
                        Verified::Changed { size, .. } => {
                            tally.changed += 1;
                            format!(
                                "the saved {noun} changed since it was saved ({size} bytes now)"
                            )
                        }
                        Verified::Missing => {
                            tally.missing += 1;
                            format!("the saved {noun} is missing")
                        }
                        Verified::Unreadable(why) => {
                            tally.unreadable += 1;
                            format!("the saved {noun} cannot be read: {why}")
                        }
                        Verified::Intact => continue,
                    };
                    SaveState::Failed {
                        reason,
                        retryable: true,
                    }
                }
            };
            if let Some(library) = &self.services.library.library {
                library.set_state(&task.id, state.clone());
            }
            self.services.library.states.insert(task.id, state);
        }
        let severity = if tally.is_clean() {
            Severity::Info
        } else {
            Severity::Warning
        };
        self.panels.status.say(severity, tally.describe());
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    intact: usize,
    changed: usize,
    missing: usize,
    unreadable: usize,
}

impl Tally {
    fn is_clean(&self) -> bool {
        self.changed + self.missing + self.unreadable == 0
    }

    /// "Verified 312 saved videos: 310 intact, 1 changed, 1 missing."
    fn describe(&self) -> String {
        let all = self.intact + self.changed + self.missing + self.unreadable;
        let mut parts = vec![format!("{} intact", self.intact)];
        for (n, word) in [
            (self.changed, "changed"),
            (self.missing, "missing"),
            (self.unreadable, "unreadable"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {word}"));
            }
        }
        let noun = if all == 1 { "task" } else { "tasks" };
        format!("Verified {all} saved {noun}: {}.", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_names_only_what_happened() {
        let clean = Tally {
            intact: 3,
            ..Tally::default()
        };
        assert!(clean.is_clean());
        assert_eq!(clean.describe(), "Verified 3 saved tasks: 3 intact.");
        let mixed = Tally {
            intact: 310,
            changed: 1,
            missing: 1,
            unreadable: 0,
        };
        assert_eq!(
            mixed.describe(),
            "Verified 312 saved tasks: 310 intact, 1 changed, 1 missing."
        );
    }
}
