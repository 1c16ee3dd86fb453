//! Files saved earlier, as the window's history recorded them: at start, one `stat` each
//! ([`Library::recognise_saved`]); on **Verify library**, every file hashed again and
//! compared with the sha256 recorded at save time, a few at a time on the blocking pool
//! ([`Library::verify_all`]). Each task's state in the library handle follows what was
//! found.

use super::presence::{self, Presence, Verified};
use super::{FileKind, Library, SaveState, SavedTask};
use std::sync::Arc;

/// Tasks hashed at once: hashing reads the disk at full speed, and two cores are enough
/// to keep one disk busy without starving the window.
pub const VERIFY_AT_ONCE: usize = 2;

/// The reason a task whose saved bytes differ from the recorded ones shows.
pub const CHANGED: &str = "changed since it was saved";

/// How one task's saved files compare with what was recorded when they were saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskVerified {
    pub id: String,
    pub video: Verified,
    /// `None`: the task has no last frame saved.
    pub last_frame: Option<Verified>,
}

/// A task's verdict, as counted in a [`VerifyReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerifyOutcome {
    Intact,
    Changed,
    Missing,
    Unreadable,
}

impl From<&Verified> for VerifyOutcome {
    fn from(v: &Verified) -> Self {
        match v {
            Verified::Intact => VerifyOutcome::Intact,
            Verified::Changed { .. } => VerifyOutcome::Changed,
            Verified::Missing => VerifyOutcome::Missing,
            Verified::Unreadable(_) => VerifyOutcome::Unreadable,
        }
    }
}

impl TaskVerified {
    /// The video's verdict, or the last frame's where the video is intact and the frame
    /// is not.
    pub fn outcome(&self) -> VerifyOutcome {
        match (VerifyOutcome::from(&self.video), &self.last_frame) {
            (VerifyOutcome::Intact, Some(frame)) => frame.into(),
            (video, _) => video,
        }
    }
}

/// What **Verify library** found: tasks counted by [`TaskVerified::outcome`], and each
/// task's files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub intact: usize,
    pub changed: usize,
    pub missing: usize,
    pub unreadable: usize,
    /// One per task verified, in the order given.
    pub tasks: Vec<TaskVerified>,
}

impl VerifyReport {
    /// "312 intact · 1 changed · 2 missing · 1 unreadable", without the counts that are
    /// zero (but for intact).
    pub fn summary(&self) -> String {
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
        parts.join(" · ")
    }

    fn count(&mut self, outcome: VerifyOutcome) {
        match outcome {
            VerifyOutcome::Intact => self.intact += 1,
            VerifyOutcome::Changed => self.changed += 1,
            VerifyOutcome::Missing => self.missing += 1,
            VerifyOutcome::Unreadable => self.unreadable += 1,
        }
    }
}

/// Why a file is not usable, as a reason ("changed since it was saved", …).
fn problem(v: &Verified) -> Option<String> {
    match v {
        Verified::Intact => None,
        Verified::Changed { .. } => Some(CHANGED.to_owned()),
        Verified::Missing => Some("removed from the library".to_owned()),
        Verified::Unreadable(why) => Some(format!("cannot be read: {why}")),
    }
}

/// The state a task takes after its files were hashed again.
fn state_after(saved: &SavedTask, found: &TaskVerified) -> SaveState {
    match &found.video {
        Verified::Intact => {}
        Verified::Missing => return SaveState::Removed,
        other => {
            return SaveState::Failed {
                reason: problem(other).unwrap_or_default(),
                // A Retry fetches the video again (see `Inner::refetch`); the collective
                // "Save N finished videos" does not overwrite the user's file by itself.
                retryable: false,
            };
        }
    }
    let mut saved = saved.clone();
    if let Some(why) = found.last_frame.as_ref().and_then(problem) {
        // The video is still good: the task stays saved, its frame is told as missing.
        saved.last_frame = None;
        saved.last_frame_error = Some(format!("last frame: {why}"));
    }
    SaveState::Saved(saved)
}

async fn verify_task(saved: &SavedTask) -> TaskVerified {
    let video = presence::verify(&saved.video).await;
    let last_frame = match &saved.last_frame {
        Some(frame) => Some(presence::verify(frame).await),
        None => None,
    };
    TaskVerified {
        id: saved.id.clone(),
        video,
        last_frame,
    }
}

/// The state of a task whose files were looked at with one `stat` each.
fn state_found(saved: &SavedTask, video: Presence, frame: Option<Presence>) -> SaveState {
    match video {
        Presence::Present => {}
        Presence::Removed => return SaveState::Removed,
        Presence::Changed { .. } => {
            return SaveState::Failed {
                reason: CHANGED.to_owned(),
                retryable: false,
            };
        }
    }
    let mut saved = saved.clone();
    let why = match frame {
        Some(Presence::Removed) => Some("removed from the library"),
        Some(Presence::Changed { .. }) => Some(CHANGED),
        Some(Presence::Present) | None => None,
    };
    if let Some(why) = why {
        saved.last_frame = None;
        saved.last_frame_error = Some(format!("last frame: {why}"));
    }
    SaveState::Saved(saved)
}

impl Library {
    /// The window's start: which tasks its history records as saved are still there, by
    /// one `stat` per file (no file is read), on the blocking pool. Each task's state is
    /// set and returned: [`SaveState::Saved`] where the video has its recorded size (a
    /// last frame that is not is told in [`SavedTask::last_frame_error`]),
    /// [`SaveState::Removed`] where it is gone, failed with [`CHANGED`] where its size
    /// differs. Nothing is fetched.
    pub async fn recognise_saved(&self, tasks: Vec<Arc<SavedTask>>) -> Vec<(String, SaveState)> {
        let mut known = Vec::with_capacity(tasks.len() * 2);
        for task in &tasks {
            known.push((task.video.path.clone(), task.video.size));
            if let Some(frame) = &task.last_frame {
                known.push((frame.path.clone(), frame.size));
            }
        }
        let mut found = presence::recognise(known).await.into_iter();
        let mut states = Vec::with_capacity(tasks.len());
        for task in &tasks {
            let video = found.next().unwrap_or(Presence::Removed);
            let frame = task
                .last_frame
                .as_ref()
                .map(|_| found.next().unwrap_or(Presence::Removed));
            let state = state_found(task, video, frame);
            self.inner.set(&task.id, state.clone());
            states.push((task.id.clone(), state));
        }
        states
    }

    fn after_verify(&self, task: &SavedTask, verified: &TaskVerified) {
        if matches!(verified.video, Verified::Changed { .. }) {
            self.inner.refetch(&task.id, FileKind::Video);
        }
        if matches!(verified.last_frame, Some(Verified::Changed { .. })) {
            self.inner.refetch(&task.id, FileKind::LastFrame);
        }
        self.inner.set(&task.id, state_after(task, verified));
    }

    /// Hashes every file of `tasks` again ([`VERIFY_AT_ONCE`] tasks at a time, on the
    /// blocking pool) and sets each task's state: intact stays saved; a missing video is
    /// [`SaveState::Removed`]; a changed or unreadable video is failed with the reason
    /// (a Retry of a changed one fetches it again); a bad last frame leaves the task saved
    /// with [`SavedTask::last_frame_error`] saying why.
    pub async fn verify_all(&self, tasks: Vec<Arc<SavedTask>>) -> VerifyReport {
        self.verify_all_with_progress(tasks, |_, _| {}).await
    }

    /// [`Self::verify_all`], calling `progress(done, total)` after each task.
    pub async fn verify_all_with_progress(
        &self,
        tasks: Vec<Arc<SavedTask>>,
        progress: impl Fn(usize, usize) + Send + Sync,
    ) -> VerifyReport {
        let total = tasks.len();
        let mut found: Vec<Option<TaskVerified>> = vec![None; total];
        let mut running = tokio::task::JoinSet::new();
        let mut next = tasks.iter().enumerate();
        let mut done = 0;
        loop {
            while running.len() < VERIFY_AT_ONCE
                && let Some((i, task)) = next.next()
            {
                let task = task.clone();
                running.spawn(async move { (i, verify_task(&task).await) });
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            // A verification that panicked is left as `None` and reported unreadable below.
            if let Ok((i, verified)) = joined {
                // Marked as soon as known: the window shows the marks while the rest runs.
                self.after_verify(&tasks[i], &verified);
                found[i] = Some(verified);
            }
            done += 1;
            progress(done, total);
        }
        let mut report = VerifyReport::default();
        for (task, verified) in tasks.iter().zip(found) {
            let verified = verified.unwrap_or_else(|| {
                let lost = TaskVerified {
                    id: task.id.clone(),
                    video: Verified::Unreadable("the check stopped unexpectedly".to_owned()),
                    last_frame: None,
                };
                self.after_verify(task, &lost);
                lost
            });
            report.count(verified.outcome());
            report.tasks.push(verified);
        }
        report
    }
}
