//! What the window remembers across starts, kept in eframe's storage (a plain text file:
//! never the token). One `#[serde(default)]` struct, as egui's demo app keeps its `State`
//! apart from the runtime fields: a field added later reads its default from an older
//! file. The key and the field names are those of earlier versions, so saved settings
//! survive upgrades.

use crate::book::Sort;
use std::path::PathBuf;

pub const PREFS_KEY: &str = "seedance-tasks-prefs";

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub download_dir: Option<PathBuf>,
    pub thumbnails: bool,
    /// The gallery of cards in place of the grid.
    pub gallery: bool,
    pub notifications: bool,
    pub watching: bool,
    /// "Follow my account": off until the user turns it on.
    pub follow: bool,
    /// Keep videos: save each task the window sees finish into the library.
    pub keep_videos: bool,
    /// The library folder chosen in the window (`SEEDANCE_LIBRARY_DIR` wins over it).
    pub library_dir: Option<PathBuf>,
}

/// What is written to eframe's storage: the preferences and the grid's sort order, which
/// the book holds while the window runs (so it is not kept twice). Flattened: the same
/// keys as before, `sort` beside the others.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SavedPrefs {
    #[serde(default)]
    pub sort: Sort,
    #[serde(flatten)]
    pub prefs: Prefs,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            download_dir: None,
            thumbnails: false,
            gallery: false,
            notifications: true,
            watching: true,
            follow: false,
            keep_videos: true,
            library_dir: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_file_keeps_its_fields_and_defaults_the_rest() {
        let saved = r#"{"download_dir":"/tmp/videos","thumbnails":true}"#;
        let prefs: Prefs = serde_json::from_str(saved).expect("prefs");
        assert_eq!(prefs.download_dir, Some(PathBuf::from("/tmp/videos")));
        assert!(prefs.thumbnails);
        assert!(prefs.watching && prefs.notifications);
    }

    #[test]
    fn the_sort_order_is_saved_beside_the_other_keys() {
        let saved = r#"{"sort":{"column":"Status","ascending":true},"gallery":true}"#;
        let read: SavedPrefs = serde_json::from_str(saved).expect("prefs");
        assert!(read.prefs.gallery && read.sort.ascending);
        let written = serde_json::to_value(&read).expect("json");
        assert_eq!(written["sort"]["column"], "Status");
        assert_eq!(written["gallery"], true);
        assert!(
            written.get("prefs").is_none(),
            "flattened, as older files have it"
        );
    }
}
