//! Which folder the library is: `SEEDANCE_LIBRARY_DIR` wins, then the folder chosen in the
//! window (remembered in the preferences), then the platform's default. Changing it
//! saves new videos into the new folder; videos saved before stay where they are and are
//! still known by their paths.

use super::bar::{self, BarFacts};
use super::{LibrarySync, SeedanceApp};
use crate::gui::app::background::{Done, Job};
use crate::gui::dialogs::Picked;
use crate::gui::status::Severity;
use std::path::{Path, PathBuf};

/// The candidates for the library's folder, in the order they win.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roots {
    /// `SEEDANCE_LIBRARY_DIR`.
    pub env: Option<PathBuf>,
    /// Chosen in the window.
    pub chosen: Option<PathBuf>,
    /// The platform's Videos folder plus `SeeDance` (`library::platform_root`).
    pub default: Option<PathBuf>,
}

impl Roots {
    pub fn root(&self) -> Option<&PathBuf> {
        self.env
            .as_ref()
            .or(self.chosen.as_ref())
            .or(self.default.as_ref())
    }
}

impl LibrarySync {
    pub fn root(&self) -> Option<&Path> {
        self.library.as_ref().map(|l| l.root())
    }

    /// The folder chosen in the window (`None`: back to the default).
    pub(in crate::gui::app) fn set_chosen(&mut self, ctx: &egui::Context, dir: Option<PathBuf>) {
        // The demo has no library at all: a folder chosen earlier does not give it one.
        if self.off {
            return;
        }
        if self.roots.chosen != dir {
            self.roots.chosen = dir;
            self.open(ctx);
        }
    }
}

impl SeedanceApp {
    /// The library's folder, when there is a library.
    pub fn library_root(&self) -> Option<&Path> {
        self.services.library.root()
    }

    /// The preferences name a folder (read at start): the library moves there, unless
    /// `SEEDANCE_LIBRARY_DIR` names one.
    pub(in crate::gui::app) fn library_follow_prefs(&mut self) {
        let chosen = self.session.prefs.library_dir.clone();
        self.services.library.set_chosen(&self.ctx, chosen);
    }

    /// Change folder…: a folder dialog, in the background.
    pub(super) fn library_choose_folder(&mut self) {
        let dialogs = self.services.dialogs.clone();
        self.services
            .background
            .future(&self.ctx, Job::Folder, async move {
                Done::LibraryFolder(dialogs.pick_folder("Save videos into").await)
            });
    }

    pub(in crate::gui::app) fn on_library_folder(&mut self, picked: Picked) {
        match picked {
            Picked::Chosen(dir) => {
                self.session.prefs.library_dir = Some(dir.clone());
                self.services
                    .library
                    .set_chosen(&self.ctx, Some(dir.clone()));
                self.panels.status.say(
                    Severity::Info,
                    format!("New videos are saved into {}", dir.display()),
                );
            }
            Picked::Cancelled => {}
            Picked::Unavailable => self.panels.status.say(
                Severity::Warning,
                format!(
                    "No folder dialog could be shown: set {} to choose the library folder",
                    crate::library::ENV_LIBRARY_DIR
                ),
            ),
        }
    }

    /// The library's bar under the grid.
    pub(in crate::gui::app) fn library_bar(&mut self, ui: &mut egui::Ui) {
        let Some(root) = self.library_root().map(Path::to_path_buf) else {
            return;
        };
        let sync = &self.services.library;
        let facts = BarFacts {
            offer: self.library_offer(),
            from_env: sync.roots.env.is_some(),
            root,
            saved: sync.overview.saved,
            verifying: sync.verifying(),
        };
        let wanted = &mut self.services.library.wanted;
        bar::bar(ui, &mut self.session.prefs.keep_videos, &facts, wanted);
    }
}
