//! The grid's keys, read only while the grid has keyboard focus (it is one Tab stop).
//! Ctrl+C arrives from a real window as a copy event, not a key press (egui turns the
//! platform's copy shortcut into `Event::Copy`); both are read.

use egui::{Event, Key};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridKey {
    /// Up/Down (±1), Page Up/Down (± a page): move the current row.
    Move(isize),
    /// Shift+Up/Down: extend the selection from its anchor.
    Extend(isize),
    Home,
    End,
    /// Space: the current row in or out of the selection.
    Toggle,
    /// Enter: open the current row's details.
    OpenDetails,
    /// Ctrl+C: copy the selected ids.
    Copy,
    /// Delete: remove the selected tasks (with Undo).
    Delete,
    /// O: open the current row's video.
    OpenVideo,
}

/// How far the arrows move in a view: the grid moves one row per Up/Down; the gallery
/// one card per Left/Right and one line of cards per Up/Down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps {
    /// Items one Up/Down moves over.
    pub vertical: usize,
    /// Items one Page Up/Down moves over.
    pub page: usize,
    /// Left/Right move one item (the gallery); the grid leaves them to its scroll area.
    pub horizontal: bool,
}

impl Steps {
    /// The grid's: one row per arrow, `page` rows per Page Up/Down.
    pub fn rows(page: usize) -> Self {
        Self {
            vertical: 1,
            page,
            horizontal: false,
        }
    }
}

/// The keys pressed this frame, in order.
pub fn read(ui: &egui::Ui, steps: Steps) -> Vec<GridKey> {
    let page = steps.page.max(1) as isize;
    let vertical = steps.vertical.max(1) as isize;
    ui.input(|i| {
        let mut keys = Vec::new();
        for event in &i.events {
            match event {
                Event::Copy => keys.push(GridKey::Copy),
                Event::Key {
                    key,
                    pressed: true,
                    modifiers,
                    ..
                } => {
                    let key = match key {
                        Key::ArrowDown if modifiers.shift => GridKey::Extend(vertical),
                        Key::ArrowUp if modifiers.shift => GridKey::Extend(-vertical),
                        Key::ArrowDown => GridKey::Move(vertical),
                        Key::ArrowUp => GridKey::Move(-vertical),
                        Key::ArrowRight if steps.horizontal && modifiers.shift => {
                            GridKey::Extend(1)
                        }
                        Key::ArrowLeft if steps.horizontal && modifiers.shift => {
                            GridKey::Extend(-1)
                        }
                        Key::ArrowRight if steps.horizontal => GridKey::Move(1),
                        Key::ArrowLeft if steps.horizontal => GridKey::Move(-1),
                        Key::PageDown => GridKey::Move(page),
                        Key::PageUp => GridKey::Move(-page),
                        Key::Home => GridKey::Home,
                        Key::End => GridKey::End,
                        Key::Space => GridKey::Toggle,
                        Key::Enter => GridKey::OpenDetails,
                        Key::Delete => GridKey::Delete,
                        Key::C if modifiers.command => GridKey::Copy,
                        Key::O if !modifiers.any() => GridKey::OpenVideo,
                        _ => continue,
                    };
                    keys.push(key);
                }
                _ => {}
            }
        }
        // Some back ends send both the key press and the copy event for one Ctrl+C.
        if keys.iter().filter(|k| **k == GridKey::Copy).count() > 1 {
            let mut seen = false;
            keys.retain(|k| *k != GridKey::Copy || !std::mem::replace(&mut seen, true));
        }
        keys
    })
}

/// The keys for a view that is one Tab stop (the grid, the gallery), read while it has
/// focus: the arrows are kept from moving the focus to another widget, a ring shows where
/// the keyboard is (a shape, not colour alone), and the keys pressed come back in order.
/// Without focus: nothing is read.
pub fn focused_keys(ui: &egui::Ui, view: &egui::Response, steps: Steps) -> Vec<GridKey> {
    if !view.has_focus() {
        return Vec::new();
    }
    ui.memory_mut(|m| {
        m.set_focus_lock_filter(
            view.id,
            egui::EventFilter {
                horizontal_arrows: true,
                vertical_arrows: true,
                tab: false,
                escape: false,
            },
        )
    });
    ui.painter().rect_stroke(
        view.rect.shrink(1.0),
        2.0,
        ui.visuals().selection.stroke,
        egui::StrokeKind::Inside,
    );
    read(ui, steps)
}

/// The row `key` moves to from `current` among `rows` rows (`None`: nothing to move to).
pub fn target(key: GridKey, current: Option<usize>, rows: usize) -> Option<usize> {
    if rows == 0 {
        return None;
    }
    let last = rows - 1;
    match key {
        GridKey::Home => Some(0),
        GridKey::End => Some(last),
        GridKey::Move(d) | GridKey::Extend(d) => Some(match current {
            None if d < 0 => last,
            None => 0,
            Some(c) => c.saturating_add_signed(d).min(last),
        }),
        _ => current.map(|c| c.min(last)),
    }
}

/// The shortcuts, as the Help window lists them and the README repeats them.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Tab", "move to the grid (and on to the next control)"),
    ("Up / Down", "move the current row"),
    ("Left / Right", "move the current card (in the gallery)"),
    ("Shift+Up / Shift+Down", "extend the selection"),
    (
        "Home / End, Page Up / Page Down",
        "first / last row, a page up / down",
    ),
    ("Space", "add or remove the current row from the selection"),
    ("Enter", "open the current row's details"),
    ("Ctrl+C", "copy the selected ids (in the grid)"),
    ("Delete", "remove the selected tasks (Undo puts them back)"),
    ("O", "open the current row's video"),
    (
        "Ctrl+V",
        "paste into the paste area (anywhere but a text field)",
    ),
    ("Ctrl+Enter", "query the pasted ids"),
    ("F5", "refresh every task"),
    ("Ctrl+F", "search"),
    ("Ctrl+A", "select every shown row"),
    ("F1", "this list"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_lists_every_shortcut() {
        let readme = include_str!("../../README.md");
        for (keys, what) in SHORTCUTS {
            assert!(readme.contains(&format!("| {keys} | {what} |")), "{keys}");
        }
    }

    #[test]
    fn targets_stay_inside_the_rows() {
        assert_eq!(target(GridKey::Move(1), None, 5), Some(0));
        assert_eq!(target(GridKey::Move(-1), None, 5), Some(4));
        assert_eq!(target(GridKey::Move(1), Some(4), 5), Some(4));
        assert_eq!(target(GridKey::Move(-1), Some(0), 5), Some(0));
        assert_eq!(target(GridKey::Move(-20), Some(3), 5), Some(0));
        assert_eq!(target(GridKey::Move(20), Some(3), 5), Some(4));
        assert_eq!(target(GridKey::Home, Some(3), 5), Some(0));
        assert_eq!(target(GridKey::End, None, 5), Some(4));
        assert_eq!(target(GridKey::Toggle, Some(9), 5), Some(4));
        assert_eq!(target(GridKey::Move(1), None, 0), None);
    }
}
