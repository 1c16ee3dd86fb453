//! The window: one file per panel, each returning the user's intent; `app/` (one file per
//! role: token, history, files, drawing, …) turns intents into engine commands and
//! background jobs. Nothing here blocks on the network, the keyring, the disk or a
//! launcher, and nothing here speaks HTTP: fetching lives in `download` and `preview`, decoding in
//! `media`.

pub mod account;
mod app;
mod attention;
mod details;
mod dialogs;
mod downloads;
pub mod fonts;
pub mod gallery;
pub mod generate;
pub mod grid;
mod grid_a11y;
pub mod grid_keys;
mod grid_layout;
mod input;
mod link_button;
mod lru;
mod opener;
pub mod posters;
mod selection;
mod status;
mod theme;
mod token;
mod toolbar;

pub use app::{GuiOptions, KeyringProvider, PREFS_KEY, Prefs, SavedPrefs, SeedanceApp, Undo};
pub use attention::{Notifier, RecordingNotifier, SystemNotifier};
pub use dialogs::{AnsweringDialogs, Dialogs, Picked, SystemDialogs};
pub use downloads::{Item, ItemState};
pub use opener::{Opener, RecordingOpener, SystemOpener};
pub use posters::PosterBoard;
pub use selection::Selection;
pub use status::{Severity, StatusMessage};
pub use token::{KeyringState, TokenMessage};

pub const TITLE: &str = "SeeDance Tasks";

/// Opens the window and runs until it is closed. Needs an entered tokio runtime.
pub fn run(options: GuiOptions) -> eframe::Result<()> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(TITLE)
        .with_app_id("seedance-tasks")
        .with_inner_size([1280.0, 760.0])
        .with_min_inner_size([720.0, 420.0]);
    match eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon-256.png")) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(e) => eprintln!("warning: the app icon could not be decoded: {e}"),
    }
    let native = eframe::NativeOptions {
        viewport,
        // Window size and position only: the token never goes into eframe's storage
        // (a plain text file).
        persist_window: true,
        // Prompts in Chinese, Japanese or Korean need installed fonts (see `fonts`).
        system_font_fallback: true,
        ..Default::default()
    };
    eframe::run_native(
        "seedance-tasks",
        native,
        Box::new(move |cc| {
            let mut app = SeedanceApp::new(&cc.egui_ctx, options);
            if let Some(prefs) = cc
                .storage
                .and_then(|s| eframe::get_value::<SavedPrefs>(s, PREFS_KEY))
            {
                app.restore(prefs);
            }
            Ok(Box::new(app))
        }),
    )
}
