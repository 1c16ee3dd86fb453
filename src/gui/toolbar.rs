//! Above the grid: search (Ctrl+F), status toggles with counts, the model filter, and the
//! actions on the selection (or on the shown rows when nothing is selected).

use super::theme;
use crate::book::{Filter, TaskBook};
use crate::download::FileKind;

#[derive(Default)]
pub struct Toolbar {
    pub search: String,
    pub focus_search: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ToolbarIntent {
    Filter(Filter),
    Refresh,
    Remove,
    CopyIds,
    CopyTsv,
    ExportCsv,
    ExportJson,
    Download(Vec<FileKind>),
    ChooseDownloadFolder,
    ClearFinished,
    ClearAll,
    SelectAll,
    ClearSelection,
    /// The New generation panel with these tasks' settings (one, or a list).
    GenerateAgain,
    Thumbnails(bool),
    /// The gallery (true) or the grid.
    Gallery(bool),
}

pub const SEARCH_LABEL: &str = "Search:";

impl Toolbar {
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        book: &TaskBook,
        selected: usize,
        thumbnails: bool,
        gallery: bool,
        download_dir: Option<&str>,
    ) -> Vec<ToolbarIntent> {
        let mut intents = Vec::new();
        let mut filter = book.filter().clone();
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(SEARCH_LABEL);
            let search = ui
                .add(
                    egui::TextEdit::singleline(&mut self.search)
                        .hint_text("id, prompt, model, reason, trace id (Ctrl+F)")
                        .desired_width(260.0),
                )
                .labelled_by(label.id);
            if self.focus_search {
                search.request_focus();
                self.focus_search = false;
            }
            if search.changed() {
                filter.text = self.search.clone();
            }
            if !self.search.is_empty() && ui.small_button("Clear search").clicked() {
                self.search.clear();
                filter.text.clear();
            }
            ui.separator();
            for (status, total, shown) in book.counts() {
                let word = theme::status_label(status);
                let on = !filter.hidden_statuses.contains(status.key().as_ref());
                let text = if book.filter().is_active() {
                    format!("{word} {shown}/{total}")
                } else {
                    format!("{word} {total}")
                };
                let color = theme::status_color(status, ui.visuals().dark_mode);
                let mut rich = if on {
                    egui::RichText::new(text).color(color).strong()
                } else {
                    egui::RichText::new(text).weak()
                };
                if status.is_api_word() {
                    // The API's own word, never mistaken for the app's "error".
                    rich = rich.italics();
                }
                let r = ui.selectable_label(on, rich).on_hover_text(if on {
                    "Click to hide these tasks"
                } else {
                    "Click to show these tasks"
                });
                if r.clicked() {
                    let key = status.key().into_owned();
                    if !filter.hidden_statuses.remove(&key) {
                        filter.hidden_statuses.insert(key);
                    }
                }
            }
            ui.separator();
            let models = book.models();
            let current = filter
                .model
                .clone()
                .unwrap_or_else(|| "All models".to_owned());
            egui::ComboBox::from_label("Model")
                .selected_text(current)
                .width(200.0)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut filter.model, None, "All models");
                    for m in models {
                        ui.selectable_value(&mut filter.model, Some(m.clone()), m.as_str());
                    }
                });
        });
        if &filter != book.filter() {
            intents.push(ToolbarIntent::Filter(filter));
        }

        ui.horizontal_wrapped(|ui| {
            let scope = if selected > 0 {
                format!("{selected} selected")
            } else {
                format!("all {} shown", book.shown())
            };
            ui.weak(format!("Actions on {scope}:"));
            let any = selected > 0 || book.shown() > 0;
            for (text, hint, intent) in [
                (
                    "Refresh",
                    "Ask about these tasks again",
                    ToolbarIntent::Refresh,
                ),
                (
                    "Copy ids",
                    "Copy the task ids, one per line",
                    ToolbarIntent::CopyIds,
                ),
                (
                    "Copy as TSV",
                    "Copy a table to paste into a spreadsheet",
                    ToolbarIntent::CopyTsv,
                ),
                (
                    "Export CSV…",
                    "Save as a CSV file",
                    ToolbarIntent::ExportCsv,
                ),
                (
                    "Export JSON…",
                    "Save as JSON, with the raw records",
                    ToolbarIntent::ExportJson,
                ),
                (
                    "Generate again…",
                    "New generations with these tasks' settings (e.g. select the failed ones)",
                    ToolbarIntent::GenerateAgain,
                ),
            ] {
                if ui
                    .add_enabled(any, egui::Button::new(text))
                    .on_hover_text(hint)
                    .clicked()
                {
                    intents.push(intent);
                }
            }
            ui.menu_button("Download…", |ui| {
                ui.label(match download_dir {
                    Some(d) => format!("Into {d}"),
                    None => "You will be asked for a folder".to_owned(),
                });
                let choices: [(&str, &[FileKind]); 3] = [
                    ("Videos", &[FileKind::Video]),
                    ("Last frames", &[FileKind::LastFrame]),
                    (
                        "Videos and last frames",
                        &[FileKind::Video, FileKind::LastFrame],
                    ),
                ];
                for (label, kinds) in choices {
                    if ui.button(label).clicked() {
                        intents.push(ToolbarIntent::Download(kinds.to_vec()));
                        ui.close();
                    }
                }
                if ui.button("Change folder…").clicked() {
                    intents.push(ToolbarIntent::ChooseDownloadFolder);
                    ui.close();
                }
            });
            if ui
                .add_enabled(any, egui::Button::new("Remove"))
                .on_hover_text("Remove these tasks from the list (Undo is offered)")
                .clicked()
            {
                intents.push(ToolbarIntent::Remove);
            }
            ui.separator();
            if ui
                .button("Select all")
                .on_hover_text("Select every shown task (Ctrl+A)")
                .clicked()
            {
                intents.push(ToolbarIntent::SelectAll);
            }
            if selected > 0 && ui.button("Select none").clicked() {
                intents.push(ToolbarIntent::ClearSelection);
            }
            ui.separator();
            if ui
                .button("Clear finished")
                .on_hover_text("Remove every finished task (Undo is offered)")
                .clicked()
            {
                intents.push(ToolbarIntent::ClearFinished);
            }
            if ui
                .button("Clear all")
                .on_hover_text("Remove every task (Undo is offered)")
                .clicked()
            {
                intents.push(ToolbarIntent::ClearAll);
            }
            ui.separator();
            let mut cards = gallery;
            if ui
                .toggle_value(&mut cards, "Gallery")
                .on_hover_text(
                    "Show the tasks as cards with their posters (on) or as the grid (off)",
                )
                .changed()
            {
                intents.push(ToolbarIntent::Gallery(cards));
            }
            let mut thumbs = thumbnails;
            if !gallery
                && ui
                    .checkbox(&mut thumbs, "Thumbnails")
                    .on_hover_text("Show a poster in each row")
                    .changed()
            {
                intents.push(ToolbarIntent::Thumbnails(thumbs));
            }
        });
        intents
    }
}
