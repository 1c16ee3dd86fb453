//! The library's controls: the bar under the grid (Keep videos, the summary, the folder,
//! Verify library, the Save N offer), the details' line for one task, and the grid's and
//! gallery's short word. Clicks become [`Action`]s, carried out after the frame.

use super::{Action, LibrarySync, link_expires_at};
use crate::library::SaveState;
use crate::task::TaskEntry;

/// What the bar shows, gathered from the app before drawing.
pub(in crate::gui::app) struct BarFacts {
    pub offer: Option<String>,
    /// The library's folder and whether `SEEDANCE_LIBRARY_DIR` set it.
    pub root: std::path::PathBuf,
    pub from_env: bool,
    /// Saved tasks there are to verify; `Some(done, of)` while verifying.
    pub saved: usize,
    pub verifying: Option<(usize, usize)>,
}

/// The bar: Keep videos, the folder (click: show it), Change folder…, Verify library,
/// and "Save N finished videos (≈ X GB)". The summary ("312 saved · 4.1 GB") is the
/// status line's, just below.
pub(in crate::gui::app) fn bar(
    ui: &mut egui::Ui,
    keep_videos: &mut bool,
    facts: &BarFacts,
    wanted: &mut Vec<Action>,
) {
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(keep_videos, "Keep videos")
            .on_hover_text("Save each task the window sees finish into the library");
        let folder = facts.root.file_name().map_or_else(
            || facts.root.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        if ui
            .button(format!("🗁 {folder}"))
            .on_hover_text(format!("Show the library folder: {}", facts.root.display()))
            .clicked()
        {
            wanted.push(Action::ShowInFolder(facts.root.clone()));
        }
        let change = ui
            .add_enabled(!facts.from_env, egui::Button::new("Change folder…"))
            .on_hover_text("Save new videos into another folder (remembered)")
            .on_disabled_hover_text(format!(
                "{} sets the library folder",
                crate::library::ENV_LIBRARY_DIR
            ));
        if change.clicked() {
            wanted.push(Action::ChooseFolder);
        }
        match facts.verifying {
            Some((done, of)) => {
                ui.spinner();
                ui.label(format!("Verifying {done} of {of}…"));
            }
            None => {
                if ui
                    .add_enabled(facts.saved > 0, egui::Button::new("Verify library"))
                    .on_hover_text("Read every saved file again and check its SHA-256")
                    .on_disabled_hover_text("Nothing saved yet")
                    .clicked()
                {
                    wanted.push(Action::Verify);
                }
            }
        }
        if let Some(offer) = &facts.offer
            && ui.button(offer.as_str()).clicked()
        {
            wanted.push(Action::SaveAll);
        }
    });
}

/// The short word the grid, the gallery and the details show for a library state.
pub fn describe(state: &SaveState) -> String {
    match state {
        SaveState::Saving { .. } => match state.percent() {
            Some(p) => format!("saving {p} %"),
            None => "saving…".to_owned(),
        },
        SaveState::Saved(_) => "✓ saved".to_owned(),
        SaveState::Failed { reason, .. } => format!("save failed: {reason}"),
        SaveState::Gone => "the link has expired; the video is no longer available".to_owned(),
        SaveState::Removed => "removed from the library".to_owned(),
    }
}

/// "link expires in 5 h", "link expired" for a link with an end.
fn expiry_text(expires_at: f64, now: f64) -> String {
    let left = expires_at - now;
    if left <= 0.0 {
        "the link has likely expired (24 h after the task finished)".to_owned()
    } else if left < 3600.0 {
        format!("link expires in {} min", (left / 60.0).ceil() as u64)
    } else {
        format!("link expires in {} h", (left / 3600.0).floor() as u64)
    }
}

/// The details' library line for one task: its state, and Open / Show in folder / Retry.
pub(in crate::gui::app) fn details_line(
    ui: &mut egui::Ui,
    sync: &mut LibrarySync,
    entry: &TaskEntry,
) {
    let id = entry.id.as_str();
    let saved = matches!(sync.states.get(id), Some(SaveState::Saved(_)));
    if !saved && let Some(at) = link_expires_at(entry) {
        ui.label(expiry_text(at, crate::task::unix_now()));
    }
    let Some(state) = sync.states.get(id).cloned() else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("Library: {}", describe(&state)));
        match &state {
            SaveState::Saved(saved) => {
                if ui
                    .button("Open")
                    .on_hover_text("Play the saved file")
                    .clicked()
                {
                    sync.wanted.push(Action::Open(saved.video.path.clone()));
                }
                if let Some(dir) = saved.video.path.parent()
                    && ui.button("Show in folder").clicked()
                {
                    sync.wanted.push(Action::ShowInFolder(dir.to_path_buf()));
                }
            }
            SaveState::Failed { .. } | SaveState::Removed if ui.button("Retry").clicked() => {
                sync.wanted.push(Action::Retry(id.to_owned()));
            }
            _ => {}
        }
    });
    ui.separator();
}

/// The grid's and gallery's short word for a task's library state, short enough to sit
/// beside Open in the grid's Video column (the details say it in full).
pub(in crate::gui::app) fn card_word(sync: &LibrarySync, id: &str) -> Option<String> {
    sync.states.get(id).map(short_word)
}

fn short_word(state: &SaveState) -> String {
    match state {
        SaveState::Saved(_) => "✓ saved".to_owned(),
        SaveState::Saving { .. } => match state.percent() {
            Some(p) => format!("↓ {p} %"),
            None => "↓ saving".to_owned(),
        },
        SaveState::Failed { .. } => "⚠ failed".to_owned(),
        SaveState::Gone => "gone".to_owned(),
        SaveState::Removed => "removed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{LINK_LIFE, link_expires_at};
    use super::*;
    use crate::task::TaskEntry;
    use std::sync::Arc;

    #[test]
    fn links_outside_acedata_expire_a_day_after_finishing() {
        let entry = |url: &str| {
            let mut e = TaskEntry::new("t");
            let record = crate::api::TaskRecord::from_value(serde_json::json!({
                "id": "t", "finished_at": 1766329436.0,
                "response": {"success": true, "task_id": "t",
                    "data": {"status": "succeeded", "video_url": url}}
            }));
            e.record = record.map(Arc::new);
            e
        };
        assert_eq!(
            link_expires_at(&entry("https://ark.example.com/v.mp4")),
            Some(1766329436.0 + LINK_LIFE)
        );
        assert_eq!(
            link_expires_at(&entry("https://platform.cdn.acedata.cloud/v.mp4")),
            None
        );
        assert_eq!(expiry_text(5.5 * 3600.0, 0.0), "link expires in 5 h");
    }

    #[test]
    fn saving_shows_its_percent() {
        let state = SaveState::Saving {
            file: crate::library::FileKind::Video,
            received: 41,
            total: Some(100),
        };
        assert_eq!(describe(&state), "saving 41 %");
        assert_eq!(short_word(&state), "↓ 41 %");
        assert_eq!(describe(&SaveState::Removed), "removed from the library");
    }
}
