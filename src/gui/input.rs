//! The paste area: any text in, live "N ids found, M duplicates, K rejected", Query / Clear.

use crate::ids::{self, Extraction};

#[derive(Default)]
pub struct InputPanel {
    text: String,
    /// `None` when the text changed since the last extraction.
    extraction: Option<Extraction>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum InputIntent {
    Query(Vec<String>),
}

impl InputPanel {
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn set_text(&mut self, text: String) {
        self.text = text;
        self.extraction = None;
    }

    /// Re-extracts only after the text changed (a 10 MB paste costs tens of ms once, not
    /// every frame).
    pub fn extraction(&mut self) -> &Extraction {
        let text = &self.text;
        self.extraction.get_or_insert_with(|| ids::extract(text))
    }

    pub fn summary(&mut self) -> String {
        let e = self.extraction();
        let n = e.ids.len();
        format!(
            "{n} id{} found, {} duplicate{}, {} rejected",
            if n == 1 { "" } else { "s" },
            e.duplicates,
            if e.duplicates == 1 { "" } else { "s" },
            e.rejected.len()
        )
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, query_shortcut: bool) -> Option<InputIntent> {
        let mut intent = None;
        let label = ui.label("Task ids (paste any text: lines, commas, JSON, console output):");
        egui::ScrollArea::vertical()
            .id_salt("paste-scroll")
            .max_height(110.0)
            .show(ui, |ui| {
                let edit = egui::TextEdit::multiline(&mut self.text)
                    .hint_text("9462ca25-468b-45a5-9e75-6f516dedcc80\n…")
                    .desired_rows(4)
                    .desired_width(f32::INFINITY)
                    .font(egui::TextStyle::Monospace);
                if ui.add(edit).labelled_by(label.id).changed() {
                    self.extraction = None;
                }
            });
        let summary = self.summary();
        ui.horizontal(|ui| {
            let e = self.extraction();
            let has_ids = !e.ids.is_empty();
            let rejected: Vec<String> = e
                .rejected
                .iter()
                .take(30)
                .map(|r| format!("{}: {}", r.text, r.reason.describe()))
                .collect();
            let more = e.rejected.len().saturating_sub(30);
            let query = ui
                .add_enabled(has_ids, egui::Button::new("Query"))
                .on_hover_text("Ask about these ids (Ctrl+Enter)")
                .on_disabled_hover_text("No task id in the text yet");
            if (query.clicked() || (query_shortcut && has_ids))
                && let Some(e) = &self.extraction
            {
                intent = Some(InputIntent::Query(e.ids.clone()));
            }
            if ui
                .button("Clear")
                .on_hover_text("Empty the paste area")
                .clicked()
            {
                self.set_text(String::new());
            }
            let summary_label = ui.label(summary);
            if !rejected.is_empty() {
                let mut text = rejected.join("\n");
                if more > 0 {
                    text.push_str(&format!("\n… and {more} more"));
                }
                summary_label.on_hover_text(text);
            }
        });
        intent
    }
}
