//! What a screen reader hears of the grid. egui_extras' table reaches AccessKit as a flat
//! run of labels; the grid gives it a table node (with its row and column counts), a row
//! node per visible row named with a spoken summary of the task, cells under their row,
//! and column headers that say how the grid is sorted.

use crate::api::Status;
use crate::task::TaskEntry;
use egui::accesskit::{Role, SortDirection};

/// "succeeded, task 9462ca25, doubao-seedance-1-0-pro, 1 minute 40 seconds, prompt:
/// Multiple shots…": the row read as one unit (the visible text stays as it is).
pub fn row_summary(e: &TaskEntry, now: f64) -> String {
    let record = e.record.as_deref();
    let mut parts = vec![status_words(e, now)];
    parts.push(format!("task {}", e.id.get(..8).unwrap_or(&e.id)));
    if let Some(model) = record.and_then(|r| r.model.as_deref()) {
        parts.push(super::grid_layout::short_model(model).to_owned());
    }
    if let Some(elapsed) = e.elapsed(now) {
        parts.push(spoken_duration(elapsed));
    }
    if let Some(prompt) = record.and_then(|r| r.prompt.as_deref()) {
        parts.push(format!("prompt: {}", first_words(prompt, 12)));
    }
    let reason = e.reason_text();
    if !reason.is_empty() {
        parts.push(format!("reason: {}", first_words(&reason, 16)));
    }
    parts.join(", ")
}

fn status_words(e: &TaskEntry, now: f64) -> String {
    let mut s = match &e.status {
        Status::Other(word) => format!("API status {word}"),
        other => other.label(),
    };
    if e.record.as_ref().is_some_and(|r| r.is_stale(now)) {
        s.push_str(", stale");
    }
    if e.awaiting {
        s.push_str(", being asked");
    }
    s
}

/// "45 seconds", "1 minute 40 seconds", "2 hours 3 minutes", "3 days 4 hours".
pub fn spoken_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    let unit = |n: u64, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let (big, small) = match s {
        0..=59 => return unit(s, "second"),
        60..=3599 => (unit(s / 60, "minute"), (s % 60, "second")),
        3600..=86_399 => (unit(s / 3600, "hour"), ((s % 3600) / 60, "minute")),
        _ => (unit(s / 86_400, "day"), ((s % 86_400) / 3600, "hour")),
    };
    if small.0 == 0 {
        big
    } else {
        format!("{big} {}", unit(small.0, small.1))
    }
}

fn first_words(text: &str, n: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() <= n {
        words.join(" ")
    } else {
        format!("{}…", words[..n].join(" "))
    }
}

/// Makes `id`'s node a column header that says the grid's sort order (keeps its name).
pub fn column_header(ctx: &egui::Context, id: egui::Id, sorted: Option<bool>) {
    ctx.accesskit_node_builder(id, |n| {
        n.set_role(Role::ColumnHeader);
        match sorted {
            Some(true) => n.set_sort_direction(SortDirection::Ascending),
            Some(false) => n.set_sort_direction(SortDirection::Descending),
            None => n.clear_sort_direction(),
        }
    });
}

/// The table node's counts: a screen reader says "table with 1 204 rows" even though only
/// the visible rows are laid out.
pub fn table_counts(ctx: &egui::Context, id: egui::Id, rows: usize, columns: usize) {
    ctx.accesskit_node_builder(id, |n| {
        n.set_row_count(rows);
        n.set_column_count(columns);
    });
}

/// Where a node is on screen (egui gives bounds to widgets, not to a `Ui`'s node): lets a
/// screen reader show and speak the row or cell under the pointer or in focus.
pub fn bounds(ctx: &egui::Context, id: egui::Id, rect: egui::Rect) {
    ctx.accesskit_node_builder(id, |n| {
        n.set_bounds(egui::accesskit::Rect {
            x0: rect.min.x.into(),
            y0: rect.min.y.into(),
            x1: rect.max.x.into(),
            y1: rect.max.y.into(),
        });
    });
}

/// A row node's place among all rows (header row is 0).
pub fn row_index(ctx: &egui::Context, id: egui::Id, index: usize) {
    ctx.accesskit_node_builder(id, |n| n.set_row_index(index));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_aloud() {
        assert_eq!(spoken_duration(1.0), "1 second");
        assert_eq!(spoken_duration(45.0), "45 seconds");
        assert_eq!(spoken_duration(100.0), "1 minute 40 seconds");
        assert_eq!(spoken_duration(120.0), "2 minutes");
        assert_eq!(spoken_duration(7_380.0), "2 hours 3 minutes");
        assert_eq!(spoken_duration(273_600.0), "3 days 4 hours");
    }

    #[test]
    fn long_text_is_cut_to_its_first_words() {
        assert_eq!(first_words("a b c", 12), "a b c");
        assert_eq!(first_words("a b c d", 2), "a b…");
    }
}
