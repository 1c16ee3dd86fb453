//! Opening a video or an image in the system's browser / viewer. Behind a trait so tests
//! can record which URL would have opened.

use std::sync::{Arc, Mutex};

pub trait Opener: Send + Sync {
    /// Hands the URL to the system. Called off the UI thread: launchers can block.
    fn open(&self, url: &str) -> Result<(), String>;
}

/// `open::that_detached`: xdg-open / open / start, without waiting for the viewer.
#[derive(Debug, Default)]
pub struct SystemOpener;

impl Opener for SystemOpener {
    fn open(&self, url: &str) -> Result<(), String> {
        open::that_detached(url).map_err(|e| format!("could not open {url}: {e}"))
    }
}

/// Remembers the URLs instead of opening them; can be told to fail.
#[derive(Debug, Default, Clone)]
pub struct RecordingOpener {
    pub opened: Arc<Mutex<Vec<String>>>,
    pub fail_with: Option<String>,
}

impl Opener for RecordingOpener {
    fn open(&self, url: &str) -> Result<(), String> {
        if let Ok(mut list) = self.opened.lock() {
            list.push(url.to_owned());
        }
        match &self.fail_with {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}
