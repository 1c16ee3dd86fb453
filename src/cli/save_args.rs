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
    pub fn root(&self) -> Option<Result<PathBuf, String>> {
        if !self.save {
            return None;
        }
        Some(
            self.library
                .clone()
                .or_else(crate::library::default_root)
                .ok_or_else(|| {
                    "no library folder: give --library DIR or set SEEDANCE_LIBRARY_DIR".into()
                }),
        )
    }
}
