//! The details of the selected task: every field, the full prompt, the raw JSON, copy
//! buttons and a Refresh for that one task.

use super::gallery::Poster;
use super::link_button;
use super::theme;
use crate::api::{format_local, format_rfc3339};
use crate::links;
use crate::task::{TaskEntry, unix_now};
use crate::text::format_elapsed;

#[derive(Debug, Clone, PartialEq)]
pub enum DetailIntent {
    Copy(String),
    Open(String),
    Refresh(String),
    SetNote(String, String),
    /// Open the New generation panel prefilled with this task's settings.
    GenerateAgain(String),
    /// Open it to continue from this task's last frame.
    Continue(String),
    Close,
}

/// The note being edited, for the task it belongs to.
#[derive(Debug, Default)]
pub struct NoteEdit {
    pub id: String,
    pub text: String,
}

/// The task's poster: the API's last frame, or the first frame of the video.
fn poster(ui: &mut egui::Ui, poster: Poster) {
    match poster {
        Poster::Loading => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Making the poster…");
            });
        }
        Poster::Ready(texture) => {
            let width = ui.available_width().min(480.0);
            ui.add(
                egui::Image::new(texture)
                    .max_width(width)
                    .alt_text("Poster"),
            );
        }
        Poster::Missing(why) => {
            ui.add(
                egui::Label::new(egui::RichText::new(why).color(ui.visuals().warn_fg_color)).wrap(),
            );
        }
        Poster::None => {}
    }
}

fn field(
    ui: &mut egui::Ui,
    name: &str,
    value: Option<&str>,
    copy: bool,
    intents: &mut Vec<DetailIntent>,
) {
    ui.label(egui::RichText::new(name).strong());
    ui.horizontal(|ui| match value {
        Some(v) if !v.is_empty() => {
            ui.add(egui::Label::new(v).wrap());
            if copy
                && ui
                    .small_button("Copy")
                    .on_hover_text(format!("Copy the {}", name.to_lowercase()))
                    .clicked()
            {
                intents.push(DetailIntent::Copy(v.to_owned()));
            }
        }
        _ => {
            ui.weak("—");
        }
    });
    ui.end_row();
}

pub fn show(
    ui: &mut egui::Ui,
    e: &TaskEntry,
    shown_poster: Poster,
    note: &mut NoteEdit,
) -> Vec<DetailIntent> {
    if note.id != e.id {
        note.id = e.id.clone();
        note.text = e.note.clone();
    }
    let mut intents = Vec::new();
    let r = e.record.as_deref();
    ui.horizontal(|ui| {
        ui.heading("Task");
        let stale = e.record.as_ref().is_some_and(|r| r.is_stale(unix_now()));
        theme::badge(ui, &e.status, e.awaiting, stale);
        if ui
            .button("Refresh")
            .on_hover_text("Ask about this task now")
            .clicked()
        {
            intents.push(DetailIntent::Refresh(e.id.clone()));
        }
        if ui
            .add_enabled(r.is_some(), egui::Button::new("Generate this again…"))
            .on_hover_text("A new generation with this task's model, prompt, images and options")
            .clicked()
        {
            intents.push(DetailIntent::GenerateAgain(e.id.clone()));
        }
        let succeeded = e.status == crate::api::Status::Succeeded;
        if ui
            .add_enabled(succeeded, egui::Button::new("Continue…"))
            .on_hover_text("A new generation that starts from this video's last frame")
            .on_disabled_hover_text("Only a finished video can be continued")
            .clicked()
        {
            intents.push(DetailIntent::Continue(e.id.clone()));
        }
        if ui
            .button("Close")
            .on_hover_text("Close the details")
            .clicked()
        {
            intents.push(DetailIntent::Close);
        }
    });
    // Both ways: a long JSON line scrolls inside the panel instead of widening it.
    egui::ScrollArea::both()
        .id_salt("details-scroll")
        .show(ui, |ui| {
            egui::Grid::new("details-grid")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    field(ui, "Id", Some(&e.id), true, &mut intents);
                    field(
                        ui,
                        "Model",
                        r.and_then(|r| r.model.as_deref()),
                        false,
                        &mut intents,
                    );
                    let created = r.and_then(|r| r.created_at);
                    let created_text = created.and_then(|c| {
                        Some(format!("{} ({})", format_local(c)?, format_rfc3339(c)?))
                    });
                    field(ui, "Created", created_text.as_deref(), false, &mut intents);
                    let finished = r.and_then(|r| r.finished_at).and_then(format_local);
                    field(ui, "Finished", finished.as_deref(), false, &mut intents);
                    let elapsed = e.elapsed(unix_now()).map(format_elapsed);
                    field(ui, "Elapsed", elapsed.as_deref(), false, &mut intents);
                    // As a browser's address bar shows links: a look-alike host in punycode.
                    let video = r.and_then(|r| r.video_url.as_deref()).map(links::display);
                    field(ui, "Video", video.as_deref(), true, &mut intents);
                    let frame = r
                        .and_then(|r| r.last_frame_url.as_deref())
                        .map(links::display);
                    field(ui, "Last frame", frame.as_deref(), true, &mut intents);
                    let reason = e.reason_text();
                    field(ui, "Reason", Some(&reason), true, &mut intents);
                    field(ui, "Trace id", e.trace_id(), true, &mut intents);
                    field(
                        ui,
                        "Upstream id",
                        r.and_then(|r| r.upstream_id.as_deref()),
                        true,
                        &mut intents,
                    );
                    let checked = e.checked_at.and_then(format_local);
                    field(ui, "Last asked", checked.as_deref(), false, &mut intents);
                });
            ui.horizontal(|ui| {
                for (what, url) in [
                    ("video", r.and_then(|r| r.video_url.as_deref())),
                    ("last frame", r.and_then(|r| r.last_frame_url.as_deref())),
                ] {
                    let target = link_button::target(url, || format!("No {what} link"));
                    let label = format!("Open {what}");
                    if let Some(u) = link_button::show(ui, &label, &label, &target, false) {
                        intents.push(DetailIntent::Open(u));
                    }
                }
            });
            poster(ui, shown_poster);
            let label = ui.label(egui::RichText::new("Note").strong());
            let edit = ui
                .add(
                    egui::TextEdit::multiline(&mut note.text)
                        .desired_rows(2)
                        .hint_text("Your notes about this task"),
                )
                .labelled_by(label.id);
            if edit.changed() {
                intents.push(DetailIntent::SetNote(e.id.clone(), note.text.clone()));
            }
            ui.separator();
            ui.label(egui::RichText::new("Prompt").strong());
            let prompt = r.and_then(|r| r.prompt.as_deref()).unwrap_or("—");
            ui.add(egui::Label::new(prompt).wrap().selectable(true));
            ui.separator();
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new("Raw JSON").strong());
                if let Some(r) = r {
                    let pretty = serde_json::to_string_pretty(r.raw()).unwrap_or_default();
                    if ui
                        .small_button("Copy JSON")
                        .on_hover_text("Copy the raw record")
                        .clicked()
                    {
                        intents.push(DetailIntent::Copy(pretty));
                    }
                }
            });
            if let Some(r) = r {
                let pretty = serde_json::to_string_pretty(r.raw()).unwrap_or_default();
                let label = ui.label("Record as the API sent it:");
                // A `&str` buffer: selectable and copyable, but read-only.
                ui.add(
                    egui::TextEdit::multiline(&mut pretty.as_str())
                        .code_editor()
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            } else {
                ui.weak("No record yet.");
            }
        });
    intents
}
