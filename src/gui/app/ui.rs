//! Drawing: the panels in their places. Panels return intents, queued here and applied
//! after the frame is drawn (`intents.rs`); the book is only read while drawing.

use super::SeedanceApp;
use super::intents::Intent;
use crate::gui::details;
use crate::gui::fonts;
use crate::gui::gallery;
use crate::gui::grid;
use crate::gui::grid_keys;
use crate::gui::input::InputIntent;
use crate::gui::status::StatusLine;
use crate::gui::theme;
use crate::secrets::TokenSource;

impl SeedanceApp {
    /// Lays out every panel for one frame.
    pub(super) fn draw(&mut self, ui: &mut egui::Ui) {
        let query_shortcut = self.keyboard(ui.ctx());
        egui::Panel::top("top").show(ui, |ui| self.top_panel(ui, query_shortcut));
        egui::Panel::bottom("status").show(ui, |ui| {
            let library = self.library_summary();
            let (watching, demo) = (self.session.prefs.watching, self.session.is_demo());
            if let Some(intent) = self
                .panels
                .status
                .bar(ui, watching, demo, library.as_deref())
            {
                self.push_intent(intent);
            }
        });
        egui::Panel::bottom("library").show(ui, |ui| self.library_bar(ui));
        if self.panels.downloads.visible {
            egui::Panel::bottom("downloads")
                .resizable(true)
                .show(ui, |ui| {
                    if let Some(intent) = self.panels.downloads.ui(ui) {
                        self.push_intent(intent);
                    }
                });
        }
        if let Some(id) = self
            .view
            .selection
            .primary()
            .filter(|_| self.view.details_open)
            .map(str::to_owned)
        {
            egui::Panel::right("details")
                .resizable(true)
                .default_size(380.0)
                .min_size(260.0)
                // Long lines (the raw JSON, a long reason) must not widen the panel over
                // the grid; they wrap or scroll inside it.
                .max_size(520.0)
                .show(ui, |ui| match self.session.book.get(&id) {
                    Some(entry) => {
                        super::library::details_line(ui, &mut self.services.library, entry);
                        let poster = self.view.posters.poster(&entry.id);
                        for intent in details::show(ui, entry, poster, &mut self.panels.note) {
                            self.pending.push(intent.into());
                        }
                    }
                    // Removed meanwhile (by an undo of an add, or a clear).
                    None => self
                        .pending
                        .push(Intent::Detail(details::DetailIntent::Close)),
                });
        }
        egui::CentralPanel::default().show(ui, |ui| self.central(ui));
        self.help_window(ui.ctx());
        let run =
            (!self.session.generate.view.rows.is_empty()).then_some(&self.session.generate.view);
        let intents = self.panels.generate.ui(ui.ctx(), run);
        self.pending.extend(intents.into_iter().map(Intent::from));
    }

    /// The keyboard shortcuts (F1, or Help in the top bar).
    fn help_window(&mut self, ctx: &egui::Context) {
        egui::Window::new("Keyboard shortcuts")
            .open(&mut self.view.help_open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                    for (keys, what) in grid_keys::SHORTCUTS {
                        ui.strong(*keys);
                        ui.label(*what);
                        ui.end_row();
                    }
                });
                ui.weak("The grid keys act while the grid has focus (Tab to it, or click a row).");
            });
    }

    /// Shortcuts that work wherever the focus is. Returns whether Ctrl+Enter was pressed
    /// (the paste area's Query).
    fn keyboard(&mut self, ctx: &egui::Context) -> bool {
        if ctx.input(|i| i.key_pressed(egui::Key::F1)) {
            self.view.help_open = !self.view.help_open;
        }
        let (refresh, query, find, paste, select_all) = ctx.input(|i| {
            let paste = i.events.iter().find_map(|e| match e {
                egui::Event::Paste(text) => Some(text.clone()),
                _ => None,
            });
            (
                i.key_pressed(egui::Key::F5),
                i.modifiers.command && i.key_pressed(egui::Key::Enter),
                i.modifiers.command && i.key_pressed(egui::Key::F),
                paste,
                i.modifiers.command && i.key_pressed(egui::Key::A),
            )
        });
        if refresh {
            self.push_intent(Intent::RefreshAll);
        }
        if find {
            self.push_intent(Intent::FocusSearch);
        }
        let nothing_focused = ctx.memory(|m| m.focused().is_none());
        if let Some(text) = paste
            && nothing_focused
        {
            self.panels.input.set_text(text);
        }
        if select_all && nothing_focused {
            self.push_intent(Intent::SelectAllShown);
        }
        query
    }

    fn top_panel(&mut self, ui: &mut egui::Ui, query_shortcut: bool) {
        ui.horizontal(|ui| {
            ui.heading(crate::gui::TITLE);
            if self.session.is_demo() {
                theme::demo_badge(ui);
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let label = if self.panels.token.expanded { "Hide token settings" } else { "Token settings" };
                if ui
                    .button("New generation")
                    .on_hover_text("Start SeeDance generations (spends balance)")
                    .clicked()
                {
                    self.pending.push(Intent::OpenNewGeneration);
                }
                if ui.button("Help").on_hover_text("Keyboard shortcuts (F1)").clicked() {
                    self.view.help_open = !self.view.help_open;
                }
                // The panel's own view state: toggled now, so it opens in this frame.
                if ui.button(label).on_hover_text("Set, test or forget the API token").clicked() {
                    self.panels.token.expanded = !self.panels.token.expanded;
                }
                ui.checkbox(&mut self.session.prefs.notifications, "Notify")
                    .on_hover_text("A desktop notification when tasks finish while the window is in the background");
                if let Some((t, source)) = &self.session.token {
                    let where_ = match source {
                        TokenSource::Environment => "environment",
                        TokenSource::Keyring => "keyring",
                        TokenSource::Session => "this session",
                    };
                    ui.weak(format!("{} ({where_})", t.hint()));
                }
            });
        });
        if self.panels.token.expanded {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                let keyring = self.services.keyring_state();
                let in_use = self.session.token.as_ref();
                let demo = self.session.is_demo();
                if let Some(intent) = self.panels.token.ui(ui, in_use, &keyring, demo) {
                    self.pending.push(intent.into());
                }
            });
        }
        if let Some(intent) = StatusLine::banner(ui, self.session.halted.as_deref()) {
            self.push_intent(intent);
        }
        if let Some(problem) = self.services.history.problem() {
            ui.colored_label(ui.visuals().warn_fg_color, format!("⚠ {problem}"));
        }
        if let Some(InputIntent::Query(ids)) = self.panels.input.ui(ui, query_shortcut) {
            self.push_intent(Intent::Query(ids));
        }
        self.account_ui(ui);
        ui.add_space(4.0);
    }

    fn central(&mut self, ui: &mut egui::Ui) {
        if self.session.book.is_empty() {
            ui.vertical_centered(|ui| {
                ui.add_space(40.0);
                if self.services.history.is_loading() {
                    ui.spinner();
                    ui.label("Loading the task history…");
                    return;
                }
                ui.heading("Paste task ids above and press Query.");
                ui.label("Ids come from the SeeDance generation call (`task_id`) or the AceDataCloud console.");
                if !self.session.is_demo() && ui.button("Try the demo").clicked() {
                    self.pending.push(Intent::StartDemo);
                }
            });
            return;
        }
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new(self.session.book.summary()).strong());
            if self.session.book.filter().is_active() {
                ui.weak(format!(
                    "({} of {} shown)",
                    self.session.book.shown(),
                    self.session.book.len()
                ));
            }
        });
        let dir = self
            .session
            .prefs
            .download_dir
            .as_ref()
            .map(|d| d.display().to_string());
        let intents = self.panels.toolbar.ui(
            ui,
            &self.session.book,
            self.view.selection.len(),
            self.session.prefs.thumbnails,
            self.session.prefs.gallery,
            dir.as_deref(),
        );
        self.pending.extend(intents.into_iter().map(Intent::from));
        if let Some(undo) = &self.session.undo {
            let label = undo.label.clone();
            ui.horizontal(|ui| {
                ui.label(label);
                if ui
                    .button("Undo")
                    .on_hover_text("Put the removed tasks back")
                    .clicked()
                {
                    self.pending.push(Intent::Undo);
                }
                if ui.small_button("Dismiss").clicked() {
                    self.pending.push(Intent::DismissUndo);
                }
            });
        }
        let failed = self.failed_batches();
        if let Some(intent) = self.panels.status.failed_batches(ui, &failed) {
            self.push_intent(intent);
        }
        self.check_fonts(ui);
        if self.session.prefs.gallery {
            self.gallery(ui);
            return;
        }
        let posters = &mut self.view.posters;
        let mut poster = |e: &crate::task::TaskEntry| posters.poster(&e.id);
        let thumbnails: Option<&mut dyn FnMut(&crate::task::TaskEntry) -> gallery::Poster> =
            if self.session.prefs.thumbnails {
                Some(&mut poster)
            } else {
                None
            };
        let sync = &self.services.library;
        let library = |e: &crate::task::TaskEntry| super::library::card_word(sync, &e.id);
        let saved_file = |e: &crate::task::TaskEntry| sync.saved_file(&e.id);
        let view = grid::GridView {
            selection: &self.view.selection,
            thumbnails,
            scroll_to: self.view.scroll_to.take(),
            library: &library,
            saved_file: &saved_file,
        };
        let intents = grid::show(ui, &self.session.book, view);
        self.pending.extend(intents.into_iter().map(Intent::from));
    }

    fn gallery(&mut self, ui: &mut egui::Ui) {
        let posters = &mut self.view.posters;
        let mut poster = |e: &crate::task::TaskEntry| posters.poster(&e.id);
        let sync = &self.services.library;
        let library = |e: &crate::task::TaskEntry| super::library::card_word(sync, &e.id);
        let view = gallery::GalleryView {
            selection: &self.view.selection,
            scroll_to: self.view.scroll_to.take(),
            poster: &mut poster,
            library: &library,
        };
        let intents = gallery::show(ui, &self.session.book, view);
        self.pending.extend(intents.into_iter().map(Intent::from));
    }

    /// Says once, quietly, which fonts to install when a shown prompt has characters no
    /// installed font can draw. Checks the first rows shown, and only when the book
    /// changed: each new character costs a look through the system's fonts.
    fn check_fonts(&mut self, ui: &egui::Ui) {
        if self.view.font_hint_given || self.view.font_checked == self.session.book.generation() {
            return;
        }
        self.view.font_checked = self.session.book.generation();
        let hint = (0..self.session.book.shown().min(200))
            .filter_map(|row| {
                self.session
                    .book
                    .row(row)?
                    .record
                    .as_ref()?
                    .prompt
                    .as_deref()
            })
            .filter(|p| !p.is_ascii())
            .find_map(|p| fonts::missing_glyph_hint(ui, p));
        if let Some(hint) = hint {
            self.view.font_hint_given = true;
            self.panels.status.say(crate::gui::Severity::Info, hint);
        }
    }
}
