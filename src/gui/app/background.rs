//! One holder for the window's background work. Every job (a keyring call, a token test,
//! the history load, a launcher, a save dialog, an export, a notification) is a promise of
//! one [`Done`], polled in one place and handled in one `match` (`logic.rs`). A job that
//! panics becomes [`Done::Crashed`], shown as an error, never a second panic on the UI
//! thread (poll-promise panics when a sender is dropped unfulfilled).

use super::files::ExportFailure;
use crate::api::{ApiError, TaskRecord, TokenCheck};
use crate::download::DownloadJob;
use crate::engine::{Followed, Follower, ListError, Listing};
use crate::gui::attention::NotifyError;
use crate::gui::dialogs::Picked;
use crate::gui::opener::OpenError;
use crate::secrets::{Keyring, SecretError, Token};
use crate::store::Opened;
use poll_promise::Promise;
use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

/// What a finished background job reports.
pub enum Done {
    /// The keyring was opened and read at start.
    KeyringOpened {
        keyring: Result<Keyring, SecretError>,
        token: Result<Option<Token>, SecretError>,
    },
    TokenSaved {
        token: Token,
        result: Result<(), SecretError>,
    },
    TokenForgotten(Result<(), SecretError>),
    TokenTested(Result<TokenCheck, ApiError>),
    HistoryLoaded(Opened),
    /// A launcher finished (a browser for a link, a file manager for a folder).
    Opened(Result<(), OpenError>),
    Notified(Result<(), NotifyError>),
    /// Where an export went (`None`: the dialog was cancelled).
    Exported(Result<Option<Export>, ExportFailure>),
    /// Text for the clipboard, built in the background.
    CopyReady(String),
    /// The download folder was chosen (`None`: cancelled); `then` waited for it.
    FolderChosen {
        folder: Option<ChosenFolder>,
        then: Vec<DownloadJob>,
    },
    /// No folder dialog could be shown and there is no fallback folder either.
    NoFolder,
    /// "Load my tasks" ended.
    Listed(Result<Listing, ListError>),
    /// Follow's question was answered; the follower comes back with what it saw.
    Followed {
        follower: Box<Follower>,
        result: Result<Followed, ListError>,
    },
    /// A local image was chosen (or not) for the image row `index`.
    ImagePicked {
        index: usize,
        picked: Picked,
    },
    /// A list of prompts was read from a file (`None`: the dialog was cancelled).
    SheetRead(Result<Option<String>, super::generate::SheetReadError>),
    /// The search for a generation that may have been created.
    FoundCreated {
        prompt: String,
        found: Option<Box<TaskRecord>>,
    },
    /// A poster was made or found kept (its path), or why not.
    PosterMade {
        id: String,
        result: Result<PathBuf, crate::gui::posters::NoPoster>,
    },
    /// A kept poster's pixels were read for a texture.
    PosterLoaded {
        id: String,
        image: Result<egui::ColorImage, crate::gui::posters::NoPoster>,
    },
    /// Continue…'s request, prefilled with the last frame (or why it has none).
    ContinueReady(Box<crate::generate::continue_from::Continuation>),
    /// A library save ended (the library's events told its progress).
    LibrarySaved {
        id: String,
        state: crate::library::SaveState,
    },
    /// What the library's sidecars said of the tasks loaded at start.
    LibraryFound(Vec<(String, crate::library::SaveState)>),
    /// The sizes of videos not saved yet, by task id (`None`: the link did not tell).
    LibrarySizes(std::collections::HashMap<String, Option<u64>>),
    /// The library's folder was chosen (or not).
    LibraryFolder(Picked),
    /// Verify library ended: each saved task's files as found again.
    LibraryVerified(crate::library::VerifyReport),
    /// A job panicked.
    Crashed {
        job: Job,
        message: String,
    },
}

/// Which kind of job it was: what a crash report says, and what it must undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Keyring,
    Token,
    History,
    Open,
    Notify,
    Export,
    Copy,
    Folder,
    Listing,
    File,
    Poster,
    PosterLoad,
    Continue,
    Library,
}

impl Job {
    /// Completes "Something went wrong …".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Keyring => "reading the keyring",
            Self::Token => "with the token",
            Self::History => "reading the task history",
            Self::Open => "opening a link",
            Self::Notify => "showing a notification",
            Self::Export => "exporting",
            Self::Copy => "copying",
            Self::Folder => "choosing a folder",
            Self::Listing => "listing the account's tasks",
            Self::File => "choosing a file",
            Self::Poster => "making a poster",
            Self::PosterLoad => "showing a poster",
            Self::Continue => "getting the last frame",
            Self::Library => "saving to the library",
        }
    }
}

/// A written export.
pub struct Export {
    pub path: PathBuf,
    /// It went to the fallback folder because no dialog could be shown.
    pub fallback: bool,
}

/// A folder to download into.
pub struct ChosenFolder {
    pub dir: PathBuf,
    /// The fallback folder (no dialog could be shown): used for these downloads only,
    /// not remembered, since a later dialog may well show.
    pub fallback: bool,
}

#[derive(Default)]
pub struct Background {
    jobs: Vec<Promise<Done>>,
}

impl Background {
    /// Runs blocking work (keyring, disk, launchers) on tokio's blocking pool.
    pub fn blocking(
        &mut self,
        ctx: &egui::Context,
        job: Job,
        work: impl FnOnce() -> Done + Send + 'static,
    ) {
        let ctx = ctx.clone();
        self.jobs.push(Promise::spawn_blocking(move || {
            let done = std::panic::catch_unwind(AssertUnwindSafe(work))
                .unwrap_or_else(|panic| crashed(job, panic.as_ref()));
            // A finished promise does not wake egui by itself.
            ctx.request_repaint();
            done
        }));
    }

    /// Runs async work (dialogs, requests) on the tokio runtime.
    pub fn future(
        &mut self,
        ctx: &egui::Context,
        job: Job,
        work: impl Future<Output = Done> + Send + 'static,
    ) {
        let ctx = ctx.clone();
        self.jobs.push(Promise::spawn_async(async move {
            // A task of its own, so a panic inside arrives as a `JoinError` here.
            let done = match tokio::spawn(work).await {
                Ok(done) => done,
                Err(e) if e.is_panic() => crashed(job, e.into_panic().as_ref()),
                Err(e) => Done::Crashed {
                    job,
                    message: e.to_string(),
                },
            };
            ctx.request_repaint();
            done
        }));
    }

    /// The jobs that finished since the last call, in the order they were started.
    pub fn take_finished(&mut self) -> Vec<Done> {
        let mut finished = Vec::new();
        let mut pending = Vec::with_capacity(self.jobs.len());
        for job in self.jobs.drain(..) {
            match job.try_take() {
                Ok(done) => finished.push(done),
                Err(job) => pending.push(job),
            }
        }
        self.jobs = pending;
        finished
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.jobs.len()
    }
}

fn crashed(job: Job, panic: &(dyn Any + Send)) -> Done {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    Done::Crashed { job, message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait(bg: &mut Background) -> Vec<Done> {
        let start = Instant::now();
        loop {
            let done = bg.take_finished();
            if !done.is_empty() {
                return done;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the job never ended"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn a_panicking_job_becomes_an_error() {
        let rt = runtime();
        let _enter = rt.enter();
        let ctx = egui::Context::default();
        let mut bg = Background::default();
        bg.blocking(&ctx, Job::Copy, || panic!("boom"));
        match wait(&mut bg).pop() {
            Some(Done::Crashed { job, message }) => {
                assert_eq!(job, Job::Copy);
                assert_eq!(message, "boom");
            }
            _ => panic!("expected a crash report"),
        }
        bg.future(&ctx, Job::Export, async {
            let n: u32 = "x".parse().unwrap_or(0);
            if n == 0 {
                panic!("async {n}");
            }
            Done::NoFolder
        });
        match wait(&mut bg).pop() {
            Some(Done::Crashed { job, message }) => {
                assert_eq!(job, Job::Export);
                assert_eq!(message, "async 0");
            }
            _ => panic!("expected a crash report"),
        }
        assert_eq!(bg.len(), 0);
    }

    #[test]
    fn jobs_report_in_order_once() {
        let rt = runtime();
        let _enter = rt.enter();
        let ctx = egui::Context::default();
        let mut bg = Background::default();
        bg.blocking(&ctx, Job::Copy, || Done::CopyReady("a".into()));
        let done = wait(&mut bg);
        assert!(matches!(done.as_slice(), [Done::CopyReady(t)] if t == "a"));
        assert!(bg.take_finished().is_empty());
    }
}
