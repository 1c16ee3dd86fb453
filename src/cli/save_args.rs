//! `--save` and `--library DIR`, flattened into `get`, `wait`, `list` and `create`.

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, Args)]
pub struct SaveArgs {
    /// Save each succeeded task's video (and its last frame where there is one) into the
    /// library, verified, with a JSON sidecar of its settings; tasks already saved are not
    /// fetched again.
    #[arg(long)]
    pub save: bool,

    /// The library folder itself (nothing is appended). Default: $SEEDANCE_LIBRARY_DIR,
    /// else the Videos folder plus SeeDance.
    #[arg(long, value_name = "DIR", requires = "save")]
    pub library: Option<PathBuf>,
}

impl SaveArgs {
    /// The library to save into, when `--save` was given; `Err` when there is no folder.
    pub fn root(&self) -> Option<Result<PathBuf, NoLibrary>> {
        if !self.save {
            return None;
        }
        Some(
            self.library
                .clone()
                .or_else(crate::library::default_root)
                .ok_or(NoLibrary),
        )
    }
}

/// `--save` without a folder to save into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no library folder: give --library DIR or set SEEDANCE_LIBRARY_DIR")]
pub struct NoLibrary;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_library_only_with_save() {
        assert_eq!(SaveArgs::default().root(), None);
        let args = SaveArgs {
            save: true,
            library: Some("/lib".into()),
        };
        assert_eq!(args.root(), Some(Ok(PathBuf::from("/lib"))));
        assert_eq!(
            NoLibrary.to_string(),
            "no library folder: give --library DIR or set SEEDANCE_LIBRARY_DIR"
        );
    }
}
