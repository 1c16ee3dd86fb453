//! Native save and folder dialogs, behind a trait so tests can answer them.
//!
//! On Linux rfd asks the XDG desktop portal and falls back to `zenity`; a desktop with
//! neither (a bare window manager, a container) gets no dialog at all, and rfd answers
//! `None`, exactly as if the user had cancelled. A `None` faster than anyone can click is
//! taken for "no dialog could be shown", and the app then says so and uses the Downloads
//! folder instead of doing nothing.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picked {
    Chosen(PathBuf),
    Cancelled,
    /// No dialog could be shown.
    Unavailable,
}

pub type DialogFuture = Pin<Box<dyn Future<Output = Picked> + Send>>;

pub trait Dialogs: Send + Sync {
    /// Asks where to save `file_name` (the suggested name) with the extension `ext`.
    fn save_file(&self, title: &str, file_name: &str, ext: &str) -> DialogFuture;
    fn pick_folder(&self, title: &str) -> DialogFuture;
    /// Asks for a file to open, of the kinds `exts` (without dots) named `kind`.
    fn pick_file(&self, title: &str, kind: &str, exts: &[&str]) -> DialogFuture;
    /// Where files go when no dialog can be shown: the user's Downloads folder, else home.
    fn fallback_dir(&self) -> Option<PathBuf> {
        let dirs = directories::UserDirs::new()?;
        Some(
            dirs.download_dir()
                .unwrap_or_else(|| dirs.home_dir())
                .to_path_buf(),
        )
    }
}

/// A person needs longer than this to cancel a dialog that did appear.
const TOO_FAST_FOR_A_PERSON: Duration = Duration::from_millis(300);

/// Only where rfd goes through the portal or zenity: elsewhere the system's own dialog
/// always shows, and a quick Escape is a cancel.
const DIALOG_MAY_BE_MISSING: bool = cfg!(all(unix, not(target_os = "macos")));

fn classify(picked: Option<PathBuf>, took: Duration) -> Picked {
    match picked {
        Some(path) => Picked::Chosen(path),
        None if DIALOG_MAY_BE_MISSING && took < TOO_FAST_FOR_A_PERSON => Picked::Unavailable,
        None => Picked::Cancelled,
    }
}

/// rfd's dialogs (XDG portal or zenity on Linux, the system's own elsewhere).
#[derive(Debug, Default)]
pub struct SystemDialogs;

impl Dialogs for SystemDialogs {
    fn save_file(&self, title: &str, file_name: &str, ext: &str) -> DialogFuture {
        let dialog = rfd::AsyncFileDialog::new()
            .set_title(title)
            .set_file_name(file_name)
            .add_filter(ext.to_uppercase(), &[ext]);
        Box::pin(async move {
            let started = Instant::now();
            let picked = dialog.save_file().await;
            classify(picked.map(|h| h.path().to_path_buf()), started.elapsed())
        })
    }

    fn pick_folder(&self, title: &str) -> DialogFuture {
        let dialog = rfd::AsyncFileDialog::new().set_title(title);
        Box::pin(async move {
            let started = Instant::now();
            let picked = dialog.pick_folder().await;
            classify(picked.map(|h| h.path().to_path_buf()), started.elapsed())
        })
    }

    fn pick_file(&self, title: &str, kind: &str, exts: &[&str]) -> DialogFuture {
        let dialog = rfd::AsyncFileDialog::new()
            .set_title(title)
            .add_filter(kind, exts);
        Box::pin(async move {
            let started = Instant::now();
            let picked = dialog.pick_file().await;
            classify(picked.map(|h| h.path().to_path_buf()), started.elapsed())
        })
    }
}

/// Gives the same answer to every dialog and remembers what was asked (tests).
#[derive(Debug, Clone)]
pub struct AnsweringDialogs {
    pub answer: Picked,
    pub fallback: Option<PathBuf>,
    /// The suggested file names and folder titles, in order.
    pub asked: Arc<Mutex<Vec<String>>>,
}

impl AnsweringDialogs {
    pub fn new(answer: Picked, fallback: Option<PathBuf>) -> Self {
        Self {
            answer,
            fallback,
            asked: Arc::default(),
        }
    }

    fn answer(&self, asked: &str) -> DialogFuture {
        if let Ok(mut list) = self.asked.lock() {
            list.push(asked.to_owned());
        }
        let answer = self.answer.clone();
        Box::pin(async move { answer })
    }
}

impl Dialogs for AnsweringDialogs {
    fn save_file(&self, _title: &str, file_name: &str, _ext: &str) -> DialogFuture {
        self.answer(file_name)
    }

    fn pick_folder(&self, title: &str) -> DialogFuture {
        self.answer(title)
    }

    fn pick_file(&self, title: &str, _kind: &str, _exts: &[&str]) -> DialogFuture {
        self.answer(title)
    }

    fn fallback_dir(&self) -> Option<PathBuf> {
        self.fallback.clone()
    }
}

/// A name in `dir` for an export made without a dialog: never an existing file.
pub fn fallback_file(dir: &std::path::Path, ext: &str) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let mut path = dir.join(format!("seedance-tasks-{stamp}.{ext}"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("seedance-tasks-{stamp}-{n}.{ext}"));
        n += 1;
    }
    path
}

/// What the status line says when no dialog could be shown.
pub const NO_DIALOG: &str = "No file dialog could be shown (this desktop has neither \
    xdg-desktop-portal nor zenity)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_none_is_no_dialog_a_slow_one_a_cancel() {
        let p = PathBuf::from("/x.csv");
        assert_eq!(classify(Some(p.clone()), Duration::ZERO), Picked::Chosen(p));
        let instant = classify(None, Duration::from_millis(5));
        if DIALOG_MAY_BE_MISSING {
            assert_eq!(instant, Picked::Unavailable);
        } else {
            assert_eq!(instant, Picked::Cancelled);
        }
        assert_eq!(classify(None, Duration::from_secs(2)), Picked::Cancelled);
    }

    #[test]
    fn fallback_names_never_overwrite() {
        let dir = tempfile::tempdir().expect("tmp");
        let first = fallback_file(dir.path(), "csv");
        std::fs::write(&first, b"x").expect("write");
        let second = fallback_file(dir.path(), "csv");
        assert_ne!(first, second);
        assert!(!second.exists());
        assert_eq!(second.extension().and_then(|e| e.to_str()), Some("csv"));
    }
}
