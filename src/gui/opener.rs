//! Opening a video or an image in the system's browser / viewer. Behind a trait so tests
//! can record which URL would have opened.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Why nothing opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("could not open {url}: {source}")]
    Launch { url: String, source: std::io::Error },
    /// A download folder that was there when asked for and is not any more.
    #[error("{} is gone", .0.display())]
    Gone(PathBuf),
    /// A [`RecordingOpener`] told to fail, in the test's words.
    #[error("{0}")]
    Refused(String),
}

pub trait Opener: Send + Sync {
    /// Hands the URL to the system. Called off the UI thread: launchers can block.
    fn open(&self, url: &str) -> Result<(), OpenError>;
}

/// `open::that_detached`: xdg-open / open / start, without waiting for the viewer.
#[derive(Debug, Default)]
pub struct SystemOpener;

impl Opener for SystemOpener {
    fn open(&self, url: &str) -> Result<(), OpenError> {
        open::that_detached(url).map_err(|source| OpenError::Launch {
            url: url.to_owned(),
            source,
        })
    }
}

/// Remembers the URLs instead of opening them; can be told to fail.
#[derive(Debug, Default, Clone)]
pub struct RecordingOpener {
    pub opened: Arc<Mutex<Vec<String>>>,
    pub fail_with: Option<String>,
}

impl Opener for RecordingOpener {
    fn open(&self, url: &str) -> Result<(), OpenError> {
        if let Ok(mut list) = self.opened.lock() {
            list.push(url.to_owned());
        }
        match &self.fail_with {
            Some(e) => Err(OpenError::Refused(e.clone())),
            None => Ok(()),
        }
    }
}
