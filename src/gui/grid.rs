//! The task grid: a virtual table (only visible rows are laid out), a sort button in each
//! header, a status badge with text, and Open buttons with real accessible names.

use super::gallery::Poster;
use super::grid_a11y;
use super::grid_keys::{self, GridKey};
use super::grid_layout::{self, column_spec};
use super::link_button;
use super::selection::Selection;
use super::theme;
use crate::api::format_local;
use crate::book::{Column, TaskBook};
use crate::task::{TaskEntry, unix_now};
use crate::text::format_elapsed;
use egui::Sense;
use egui_extras::{Column as Col, TableBuilder};

pub const ROW_HEIGHT: f32 = 22.0;

#[derive(Debug, Clone, PartialEq)]
pub enum GridIntent {
    Sort(Column),
    /// A row was clicked, with Ctrl/Cmd and Shift held or not.
    Click {
        id: String,
        ctrl: bool,
        shift: bool,
    },
    Open(String),
    /// The Video column's Open: the saved file where the library has it, else the link.
    OpenVideo(String),
    Copy(String),
    /// A key pressed while the grid has focus.
    Key(GridKey),
}

pub const THUMB_ROW_HEIGHT: f32 = 48.0;

fn thumbnail(ui: &mut egui::Ui, e: &TaskEntry, poster: Poster) {
    match poster {
        Poster::Loading => {
            ui.spinner();
        }
        Poster::Ready(texture) => {
            let name = format!("Poster of task {}", e.id);
            ui.add(
                egui::Image::new(texture)
                    .max_height(THUMB_ROW_HEIGHT - 4.0)
                    .alt_text(name),
            );
        }
        Poster::Missing(why) => {
            ui.weak("no poster").on_hover_text(why);
        }
        Poster::None => {}
    }
}

pub fn short_id(id: &str) -> String {
    match id.get(..8) {
        Some(head) if id.len() > 12 => format!("{head}…"),
        _ => id.to_owned(),
    }
}

/// An Open button for the task's `what` link; `Some(url)` when clicked.
fn open_button(
    ui: &mut egui::Ui,
    url: Option<&str>,
    what: &str,
    entry: &TaskEntry,
) -> Option<String> {
    let name = format!("Open {what} for task {}", entry.id);
    let target = link_button::target(url, || {
        if entry.status.is_unfinished() {
            format!(
                "No {what} yet: the task is {}",
                theme::status_label(&entry.status)
            )
        } else {
            format!("This task has no {what} link")
        }
    });
    link_button::show(ui, "Open", &name, &target, true)
}

/// The Video column's Open for a task saved in the library: it plays the local file,
/// which works after the link has died (and without one).
fn saved_open(
    ui: &mut egui::Ui,
    entry: &TaskEntry,
    path: &std::path::Path,
    intents: &mut Vec<GridIntent>,
) {
    let name = format!("Open video for task {}", entry.id);
    let response = ui
        .add(egui::Button::new("Open").small())
        .on_hover_text(format!("Play the saved file: {}", path.display()));
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
    if response.clicked() {
        intents.push(GridIntent::OpenVideo(entry.id.clone()));
    }
}

/// The full name where it fits; else the name without its date suffix (display only),
/// with the full name on hover.
fn model_label(ui: &mut egui::Ui, model: &str) {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let color = ui.visuals().text_color();
    let full = ui
        .painter()
        .layout_no_wrap(model.to_owned(), font, color)
        .size()
        .x;
    if full <= ui.available_width() {
        ui.label(model);
    } else {
        ui.add(
            egui::Label::new(grid_layout::short_model(model))
                .truncate()
                .show_tooltip_when_elided(false),
        )
        .on_hover_text(model);
    }
}

fn cell(ui: &mut egui::Ui, column: Column, e: &TaskEntry, now: f64, intents: &mut Vec<GridIntent>) {
    let record = e.record.as_deref();
    match column {
        Column::Status => {
            let stale = record.is_some_and(|r| r.is_stale(now));
            let r = theme::badge(ui, &e.status, e.awaiting, stale);
            if e.timed_out {
                r.on_hover_text("Stopped watching: the time limit passed");
            } else if let Some(err) = &e.error {
                r.on_hover_text(format!("The last question failed: {err}"));
            }
        }
        Column::Id => {
            let label = egui::Label::new(egui::RichText::new(short_id(&e.id)).monospace())
                .sense(Sense::click());
            let r = ui
                .add(label)
                .on_hover_text(format!("{}\nClick to copy", e.id));
            if r.clicked() {
                intents.push(GridIntent::Copy(e.id.clone()));
            }
        }
        Column::Model => {
            if let Some(model) = record.and_then(|r| r.model.as_deref()) {
                model_label(ui, model);
            }
        }
        Column::Created => {
            let text = record
                .and_then(|r| r.created_at)
                .and_then(format_local)
                .unwrap_or_default();
            ui.label(text);
        }
        Column::Elapsed => {
            let text = e.elapsed(now).map(format_elapsed).unwrap_or_default();
            ui.label(text);
        }
        Column::Prompt => {
            if let Some(p) = record.and_then(|r| r.prompt.as_deref()) {
                // One tooltip, ours: the full prompt with its line breaks.
                ui.add(
                    egui::Label::new(p.replace('\n', " "))
                        .truncate()
                        .show_tooltip_when_elided(false),
                )
                .on_hover_text(p);
            }
        }
        Column::Video => {
            let url = record.and_then(|r| r.video_url.as_deref());
            if open_button(ui, url, "video", e).is_some() {
                intents.push(GridIntent::OpenVideo(e.id.clone()));
            }
        }
        Column::LastFrame => {
            let url = record.and_then(|r| r.last_frame_url.as_deref());
            if let Some(url) = open_button(ui, url, "last frame", e) {
                intents.push(GridIntent::Open(url));
            }
        }
        Column::Reason => {
            let text = e.reason_text();
            if !text.is_empty() {
                let color = ui.visuals().error_fg_color;
                ui.add(
                    egui::Label::new(egui::RichText::new(&text).color(color))
                        .truncate()
                        .show_tooltip_when_elided(false),
                )
                .on_hover_text(text);
            }
        }
        Column::TraceId => {
            if let Some(t) = e.trace_id() {
                let label = egui::Label::new(egui::RichText::new(t).monospace().small())
                    .sense(Sense::click())
                    .truncate()
                    .show_tooltip_when_elided(false);
                if ui
                    .add(label)
                    .on_hover_text(format!("{t}\nClick to copy"))
                    .clicked()
                {
                    intents.push(GridIntent::Copy(t.to_owned()));
                }
            }
        }
    }
}

/// What the grid needs from the window besides the book.
pub struct GridView<'a> {
    pub selection: &'a Selection,
    /// The thumbnail column, when on: each shown row's poster.
    pub thumbnails: Option<&'a mut dyn FnMut(&TaskEntry) -> Poster>,
    /// A row to bring into view this frame (the keyboard moved there).
    pub scroll_to: Option<usize>,
    /// Each task's word for its place in the local library ("✓ saved", "↓ 41 %"),
    /// shown beside the video's Open.
    pub library: &'a dyn Fn(&TaskEntry) -> Option<String>,
    /// The task's video file in the local library, when it is saved: Open plays it.
    pub saved_file: &'a dyn Fn(&TaskEntry) -> Option<std::path::PathBuf>,
}

/// Lays out the visible rows only. The table is one Tab stop; while it has focus the
/// keys of `grid_keys` act on it.
pub fn show(ui: &mut egui::Ui, book: &TaskBook, view: GridView<'_>) -> Vec<GridIntent> {
    let GridView {
        selection,
        thumbnails: mut previews,
        scroll_to,
        library,
        saved_file,
    } = view;
    let mut intents = Vec::new();
    let sort = book.sort();
    let rows = book.order().len();
    let now = unix_now();
    let modifiers = ui.input(|i| i.modifiers);
    let row_height = if previews.is_some() {
        THUMB_ROW_HEIGHT
    } else {
        ROW_HEIGHT
    };
    let columns = Column::ALL.len() + usize::from(previews.is_some());
    let page = (ui.available_height() / row_height).floor().max(1.0) as usize - 1;
    let window_width = ui.ctx().content_rect().width();
    let visible = ui.available_width();
    // A row node spans the visible part of its row.
    let right = ui.max_rect().left() + visible;
    let spacing = ui.spacing().item_spacing.x;
    // The table node itself is the grid's one Tab stop. An explicit id: an automatic one
    // would change whenever a bar above the grid comes or goes, and the focus with it.
    let table = egui::UiBuilder::new()
        .scope_id(egui::Id::unique("task-grid-table"))
        .sense(Sense::focusable_noninteractive())
        .accessibility_role(egui::accesskit::Role::Table)
        .accessibility_label("Tasks");
    let scoped = ui.scope_builder(table, |ui| {
        let table_id = ui.unique_id();
        grid_a11y::table_counts(ui.ctx(), table_id, rows + 1, columns);
        // Sideways scrolling: Trace id lies past the right edge, and a window too narrow
        // for the reading columns scrolls instead of cutting them off.
        egui::ScrollArea::horizontal()
            .id_salt("task-grid-h")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.set_width(grid_layout::table_width(visible, spacing));
                // Text in a row is not selectable: a click anywhere on a row selects the
                // row (selectable labels would take the click for a text selection).
                ui.style_mut().interaction.selectable_labels = false;
                let mut table = TableBuilder::new(ui)
                    .id_salt("task-grid")
                    .striped(true)
                    .resizable(true)
                    .sense(Sense::click())
                    .auto_shrink([false, false])
                    .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
                if let Some(row) = scroll_to {
                    table = table.scroll_to_row(row, None);
                }
                if previews.is_some() {
                    table = table.column(Col::exact(84.0));
                }
                for column in Column::ALL {
                    table = table.column(column_spec(column, window_width));
                }
                table
                    .header(24.0, |mut header| {
                        let mut row_node = None;
                        if previews.is_some() {
                            header.col(|ui| {
                                let row = *row_node.get_or_insert_with(|| {
                                    row_ui(ui, table_id, "Column headers", 0, right)
                                });
                                in_cell(ui, row, egui::accesskit::Role::ColumnHeader, |ui| {
                                    ui.strong("Preview");
                                });
                            });
                        }
                        for column in Column::ALL {
                            header.col(|ui| {
                                let row = *row_node.get_or_insert_with(|| {
                                    row_ui(ui, table_id, "Column headers", 0, right)
                                });
                                in_cell(ui, row, egui::accesskit::Role::GenericContainer, |ui| {
                                    header_button(ui, column, sort, &mut intents);
                                });
                            });
                        }
                    })
                    .body(|body| {
                        body.rows(row_height, rows, |mut row| {
                            let index = row.index();
                            let Some(entry) = book.row(index) else {
                                return;
                            };
                            row.set_selected(selection.contains(&entry.id));
                            let summary = grid_a11y::row_summary(entry, now);
                            let mut row_node = None;
                            if let Some(p) = previews.as_mut() {
                                row.col(|ui| {
                                    let node = *row_node.get_or_insert_with(|| {
                                        row_ui(ui, table_id, &summary, index + 1, right)
                                    });
                                    in_cell(ui, node, egui::accesskit::Role::Cell, |ui| {
                                        ui.push_id((&entry.id, "thumb"), |ui| {
                                            thumbnail(ui, entry, p(entry))
                                        });
                                    });
                                });
                            }
                            for column in Column::ALL {
                                row.col(|ui| {
                                    let node = *row_node.get_or_insert_with(|| {
                                        row_ui(ui, table_id, &summary, index + 1, right)
                                    });
                                    in_cell(ui, node, egui::accesskit::Role::Cell, |ui| {
                                        ui.push_id((&entry.id, column.title()), |ui| {
                                            if column == Column::Video
                                                && let Some(word) = library(entry)
                                            {
                                                ui.horizontal(|ui| {
                                                    match saved_file(entry) {
                                                        Some(path) => saved_open(
                                                            ui,
                                                            entry,
                                                            &path,
                                                            &mut intents,
                                                        ),
                                                        None => cell(
                                                            ui,
                                                            column,
                                                            entry,
                                                            now,
                                                            &mut intents,
                                                        ),
                                                    }
                                                    // Cut with "…" in a narrow column,
                                                    // whole on hover.
                                                    ui.add(
                                                        egui::Label::new(
                                                            egui::RichText::new(word).weak(),
                                                        )
                                                        .truncate(),
                                                    );
                                                });
                                            } else {
                                                cell(ui, column, entry, now, &mut intents);
                                            }
                                        });
                                    });
                                });
                            }
                            if row.response().clicked() {
                                intents.push(GridIntent::Click {
                                    id: entry.id.clone(),
                                    ctrl: modifiers.command,
                                    shift: modifiers.shift,
                                });
                            }
                        });
                    });
            });
    });
    let response = scoped.response;
    grid_a11y::bounds(ui.ctx(), response.id, response.rect);
    intents.extend(
        grid_keys::focused_keys(ui, &response, grid_keys::Steps::rows(page))
            .into_iter()
            .map(GridIntent::Key),
    );
    if intents
        .iter()
        .any(|i| matches!(i, GridIntent::Click { .. }))
    {
        // A click on a row puts the keyboard there too.
        response.request_focus();
    }
    intents
}

/// The row's own `Ui`, a `Row` node under the table named `label`, spanning the row.
/// Made in the row's first cell (egui_extras gives no `Ui` per row).
fn row_ui(ui: &mut egui::Ui, table: egui::Id, label: &str, index: usize, right: f32) -> egui::Id {
    let rect = egui::Rect::from_min_max(ui.max_rect().min, egui::pos2(right, ui.max_rect().max.y));
    let mut row = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(rect)
            .accessibility_parent(table)
            .accessibility_role(egui::accesskit::Role::Row)
            .accessibility_label(label),
    );
    row.expand_to_include_rect(rect);
    let id = row.unique_id();
    grid_a11y::row_index(ui.ctx(), id, index);
    grid_a11y::bounds(ui.ctx(), id, rect);
    id
}

/// A cell's contents in a `Ui` whose node sits under `row`.
fn in_cell(
    ui: &mut egui::Ui,
    row: egui::Id,
    role: egui::accesskit::Role,
    add: impl FnOnce(&mut egui::Ui),
) {
    let cell = ui.scope_builder(
        egui::UiBuilder::new()
            .accessibility_parent(row)
            .accessibility_role(role),
        add,
    );
    grid_a11y::bounds(ui.ctx(), cell.response.id, ui.max_rect());
}

fn header_button(
    ui: &mut egui::Ui,
    column: Column,
    sort: crate::book::Sort,
    intents: &mut Vec<GridIntent>,
) {
    let sorted = (sort.column == column).then_some(sort.ascending);
    let mut title = column.title().to_owned();
    match sorted {
        // The arrow shows the order; the name and the node's sort direction say it.
        Some(true) => title.push_str(" ⏶"),
        Some(false) => title.push_str(" ⏷"),
        None => {}
    }
    let r = ui.add(egui::Button::new(egui::RichText::new(title).strong()).frame(false));
    let next = if sorted == Some(true) {
        "descending"
    } else {
        "ascending"
    };
    let name = format!("Sort by {}", column.title());
    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
    grid_a11y::column_header(ui.ctx(), r.id, sorted);
    if r.on_hover_text(format!("Sort {next}")).clicked() {
        intents.push(GridIntent::Sort(column));
    }
}
