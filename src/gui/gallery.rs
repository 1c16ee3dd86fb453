//! The gallery: the shown tasks as cards (poster, status, model, duration, two lines of
//! prompt, library state) in the book's order, with the grid's selection and keys. Only
//! the cards in view are laid out and asked for a poster, so 100 000 tasks cost what
//! one screen of cards costs; which textures stay loaded is the `PosterBoard`'s business.

use super::grid::GridIntent;
use super::grid_a11y;
use super::grid_keys::{self, Steps};
use super::selection::Selection;
use super::theme;
use crate::book::TaskBook;
use crate::task::{TaskEntry, unix_now};
use egui::accesskit::Role;
use egui::{Rect, Sense, Vec2, pos2, vec2};

/// The card's smallest size: small enough that a 1280 × 760 window shows at least ten
/// whole cards under the top bar and the toolbar. Cards grow to fill a line, up to
/// [`MAX_CARD_WIDTH`].
pub const CARD: Vec2 = vec2(212.0, 196.0);
pub const MAX_CARD_WIDTH: f32 = 240.0;
// The bound on a card: at most 240 × 220, also at its widest.
const _: () = assert!(card_size(MAX_CARD_WIDTH).x <= 240.0 && card_size(MAX_CARD_WIDTH).y <= 220.0);
const GAP: f32 = 8.0;
const PAD: f32 = 6.0;
/// The text under the poster: badge and model, duration and library, two lines of prompt.
const TEXT_HEIGHT: f32 = CARD.y - 2.0 * PAD - poster_size(CARD.x).y;

/// The poster's box in a card `width` wide: 16:9, the shape of most generations; other
/// shapes are fitted inside.
const fn poster_size(width: f32) -> Vec2 {
    vec2(width - 2.0 * PAD, (width - 2.0 * PAD) * 9.0 / 16.0)
}

/// A card `width` wide: its poster and the text under it.
const fn card_size(width: f32) -> Vec2 {
    vec2(width, poster_size(width).y + TEXT_HEIGHT + 2.0 * PAD)
}

/// What a card shows in its poster box.
#[derive(Debug, Clone)]
pub enum Poster {
    Ready(egui::load::SizedTexture),
    /// Being fetched or decoded.
    Loading,
    /// Tried and failed: the reason ("no poster: hevc not supported").
    Missing(String),
    /// Nothing to make one from (not succeeded, or no video).
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GalleryIntent {
    /// What the grid would ask for the same gesture (click, keys).
    Grid(GridIntent),
    /// Double click: play this task's video.
    Play(String),
    /// The card's Continue… button.
    Continue(String),
}

/// What the gallery needs from the window besides the book.
pub struct GalleryView<'a> {
    pub selection: &'a Selection,
    /// A card to bring into view this frame (the keyboard moved there).
    pub scroll_to: Option<usize>,
    /// The poster of a card in view (called for those only).
    pub poster: &'a mut dyn FnMut(&TaskEntry) -> Poster,
    /// The library's word for a task ("✓ saved", "↓ 40 %", …), when it has one.
    pub library: &'a dyn Fn(&TaskEntry) -> Option<String>,
}

/// Cards per line in a view `width` wide (at least one).
pub fn columns_for(width: f32) -> usize {
    (((width + GAP) / (CARD.x + GAP)).floor() as usize).max(1)
}

pub fn show(ui: &mut egui::Ui, book: &TaskBook, view: GalleryView<'_>) -> Vec<GalleryIntent> {
    let GalleryView {
        selection,
        scroll_to,
        poster,
        library,
    } = view;
    let mut intents = Vec::new();
    let count = book.order().len();
    let columns = columns_for(ui.available_width());
    let lines = count.div_ceil(columns);
    // The line's room shared out, so that cards fill it (within their bounds).
    let width = ((ui.available_width() + GAP) / columns as f32 - GAP).clamp(CARD.x, MAX_CARD_WIDTH);
    let card = card_size(width);
    let pitch = vec2(card.x + GAP, card.y + GAP);
    let whole_lines = ((ui.available_height() + GAP) / pitch.y).floor().max(1.0) as usize;
    let now = unix_now();
    let modifiers = ui.input(|i| i.modifiers);
    let list = egui::UiBuilder::new()
        .scope_id(egui::Id::unique("task-gallery"))
        .sense(Sense::focusable_noninteractive())
        .accessibility_role(Role::List)
        .accessibility_label("Tasks");
    let scoped = ui.scope_builder(list, |ui| {
        let list_id = ui.unique_id();
        ui.ctx()
            .accesskit_node_builder(list_id, |n| n.set_size_of_set(count));
        let offset_key = list_id.with("offset");
        let mut area = egui::ScrollArea::vertical()
            .id_salt("task-gallery-scroll")
            .auto_shrink([false, false]);
        if let Some(index) = scroll_to {
            let current: f32 = ui.data(|d| d.get_temp(offset_key)).unwrap_or(0.0);
            let top = (index / columns) as f32 * pitch.y;
            let view_height = ui.available_height();
            let wanted = if top < current {
                top
            } else if top + card.y > current + view_height {
                top + card.y - view_height
            } else {
                current
            };
            area = area.vertical_scroll_offset(wanted.max(0.0));
        }
        let output = area.show_viewport(ui, |ui, viewport| {
            ui.style_mut().interaction.selectable_labels = false;
            ui.set_height((lines as f32 * pitch.y - GAP).max(0.0));
            ui.set_width(ui.available_width());
            let origin = ui.max_rect().min;
            let first = (viewport.min.y / pitch.y).floor().max(0.0) as usize;
            let last = ((viewport.max.y / pitch.y).ceil() as usize).min(lines);
            for line in first..last {
                for column in 0..columns {
                    let index = line * columns + column;
                    let Some(entry) = book.row(index) else {
                        break;
                    };
                    let min = origin + vec2(column as f32 * pitch.x, line as f32 * pitch.y);
                    let rect = Rect::from_min_size(min, card);
                    let card = Card {
                        entry,
                        index,
                        count,
                        selected: selection.contains(&entry.id),
                        now,
                        list: list_id,
                    };
                    card.show(ui, rect, poster, library, modifiers, &mut intents);
                }
            }
        });
        ui.data_mut(|d| d.insert_temp(offset_key, output.state.clamped_offset().y));
    });
    let response = scoped.response;
    grid_a11y::bounds(ui.ctx(), response.id, response.rect);
    let steps = Steps {
        vertical: columns,
        page: columns * whole_lines,
        horizontal: true,
    };
    intents.extend(
        grid_keys::focused_keys(ui, &response, steps)
            .into_iter()
            .map(|k| GalleryIntent::Grid(GridIntent::Key(k))),
    );
    let clicked = intents.iter().any(|i| {
        matches!(
            i,
            GalleryIntent::Grid(GridIntent::Click { .. }) | GalleryIntent::Play(_)
        )
    });
    if clicked {
        // A click on a card puts the keyboard there too, as in the grid.
        response.request_focus();
    }
    intents
}

struct Card<'a> {
    entry: &'a TaskEntry,
    index: usize,
    count: usize,
    selected: bool,
    now: f64,
    list: egui::Id,
}

impl Card<'_> {
    fn show(
        &self,
        ui: &mut egui::Ui,
        rect: Rect,
        poster: &mut dyn FnMut(&TaskEntry) -> Poster,
        library: &dyn Fn(&TaskEntry) -> Option<String>,
        modifiers: egui::Modifiers,
        intents: &mut Vec<GalleryIntent>,
    ) {
        let e = self.entry;
        let summary = grid_a11y::row_summary(e, self.now);
        let builder = egui::UiBuilder::new()
            .id_salt(("card", &e.id))
            .max_rect(rect)
            .sense(Sense::click())
            .accessibility_parent(self.list)
            .accessibility_role(Role::ListItem)
            .accessibility_label(summary);
        let scoped = ui.scope_builder(builder, |ui| {
            let visuals = ui.visuals();
            let (fill, stroke) = if self.selected {
                (
                    visuals.selection.bg_fill.gamma_multiply(0.35),
                    visuals.selection.stroke,
                )
            } else {
                (
                    visuals.faint_bg_color,
                    visuals.widgets.noninteractive.bg_stroke,
                )
            };
            ui.painter()
                .rect(rect, 6.0, fill, stroke, egui::StrokeKind::Inside);
            let inner = rect.shrink(PAD);
            let poster_rect = Rect::from_min_size(inner.min, poster_size(rect.width()));
            self.poster(ui, poster_rect, poster(e));
            let text_rect =
                Rect::from_min_max(pos2(inner.min.x, poster_rect.max.y + 4.0), inner.max);
            ui.scope_builder(egui::UiBuilder::new().max_rect(text_rect), |ui| {
                ui.spacing_mut().item_spacing.y = 2.0;
                self.text(ui, library(e), intents);
            });
        });
        let response = scoped.response;
        ui.ctx().accesskit_node_builder(response.id, |n| {
            n.set_position_in_set(self.index + 1);
            n.set_size_of_set(self.count);
            if self.selected {
                n.set_selected(true);
            }
        });
        grid_a11y::bounds(ui.ctx(), response.id, rect);
        if response.double_clicked() {
            intents.push(GalleryIntent::Play(e.id.clone()));
        } else if response.clicked() {
            intents.push(GalleryIntent::Grid(GridIntent::Click {
                id: e.id.clone(),
                ctrl: modifiers.command,
                shift: modifiers.shift,
            }));
        }
        if let Some(prompt) = e.record.as_ref().and_then(|r| r.prompt.as_deref()) {
            response.on_hover_text(prompt);
        }
    }

    fn poster(&self, ui: &mut egui::Ui, rect: Rect, poster: Poster) {
        let painter = ui.painter();
        painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
        let weak = ui.visuals().weak_text_color();
        let font = egui::TextStyle::Small.resolve(ui.style());
        match poster {
            Poster::Ready(texture) => {
                let fitted = fit(texture.size, rect);
                painter.image(
                    texture.id,
                    fitted,
                    Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
                    egui::Color32::WHITE,
                );
            }
            Poster::Loading => {
                let spinner = Rect::from_center_size(rect.center(), vec2(20.0, 20.0));
                ui.put(spinner, egui::Spinner::new());
            }
            Poster::Missing(why) => {
                let galley = painter.layout(why, font, weak, rect.width() - 12.0);
                let at = rect.center() - galley.size() / 2.0;
                painter.galley(at, galley, weak);
            }
            Poster::None => {
                // A placeholder in the status's colour, so a failed card reads at a glance
                // (its word is on the badge below: never colour alone).
                let color = theme::status_color(&self.entry.status, ui.visuals().dark_mode);
                painter.rect_filled(rect.shrink(1.0), 4.0, color.gamma_multiply(0.18));
                let word = theme::status_label(&self.entry.status);
                let galley = painter.layout_no_wrap(word, font, color);
                painter.galley(rect.center() - galley.size() / 2.0, galley, color);
            }
        }
    }

    fn text(&self, ui: &mut egui::Ui, library: Option<String>, intents: &mut Vec<GalleryIntent>) {
        let e = self.entry;
        let record = e.record.as_deref();
        ui.horizontal(|ui| {
            let stale = record.is_some_and(|r| r.is_stale(self.now));
            theme::badge(ui, &e.status, e.awaiting, stale);
            if let Some(model) = record.and_then(|r| r.model.as_deref()) {
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(super::grid_layout::short_model(model)).small(),
                    )
                    .truncate(),
                );
            }
        });
        ui.horizontal(|ui| {
            if let Some(seconds) = record.and_then(video_seconds) {
                ui.small(format!("{seconds} s"));
            }
            if let Some(word) = library {
                ui.add(egui::Label::new(egui::RichText::new(word).small().weak()).truncate());
            }
            if e.status == crate::api::Status::Succeeded {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let r = ui
                        .small_button("Continue…")
                        .on_hover_text("A new generation that starts from this video's last frame");
                    let name = format!("Continue from task {}", e.id);
                    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
                    if r.clicked() {
                        intents.push(GalleryIntent::Continue(e.id.clone()));
                    }
                });
            }
        });
        if let Some(prompt) = record.and_then(|r| r.prompt.as_deref()) {
            let mut job = egui::text::LayoutJob::simple(
                prompt.replace('\n', " "),
                egui::TextStyle::Small.resolve(ui.style()),
                ui.visuals().text_color(),
                ui.available_width(),
            );
            job.wrap.max_rows = 2;
            job.wrap.overflow_character = Some('…');
            ui.add(egui::Label::new(job).wrap());
        }
    }
}

/// The video's length the request asked for ("duration": 5 or "5"), when it says.
fn video_seconds(record: &crate::api::TaskRecord) -> Option<i64> {
    let request = record.raw().get("request")?;
    let value = request.get("duration")?;
    value
        .as_i64()
        .or_else(|| value.as_str()?.trim().parse().ok())
        .filter(|s| (1..=600).contains(s))
}

/// `size` scaled to fit inside `rect`, centred, its shape kept.
fn fit(size: Vec2, rect: Rect) -> Rect {
    if size.x <= 0.0 || size.y <= 0.0 {
        return rect;
    }
    let scale = (rect.width() / size.x).min(rect.height() / size.y);
    Rect::from_center_size(rect.center(), size * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_cards_fit_the_default_window() {
        // The central panel at 1280 × 760 with the top bar, toolbar and status line is about
        // 1260 × 470: five cards a line, two whole lines.
        assert!(columns_for(1260.0) >= 5);
        assert!(((470.0 + GAP) / (CARD.y + GAP)).floor() >= 2.0);
    }

    #[test]
    fn a_narrow_view_still_has_one_column() {
        assert_eq!(columns_for(10.0), 1);
    }

    #[test]
    fn posters_keep_their_shape() {
        let rect = Rect::from_min_size(pos2(0.0, 0.0), vec2(160.0, 90.0));
        let square = fit(vec2(100.0, 100.0), rect);
        assert!((square.width() - 90.0).abs() < 0.01 && (square.height() - 90.0).abs() < 0.01);
        assert_eq!(fit(vec2(0.0, 5.0), rect), rect);
    }
}
