//! The grid's default column widths: every column a user needs to read a failure fits a
//! 1024 px window (Status, Task id, Model, Created, Elapsed, Prompt, both Open buttons,
//! Reason), Prompt and Reason share what is left, and Trace id may scroll off to the
//! right. A narrower window scrolls sideways instead of cutting columns off.
//!
//! Only the default widths adapt: the other columns stay resizable and egui_extras keeps
//! a width the user dragged. Prompt takes the remainder of the central panel each frame,
//! while Reason's width follows the window, not the panel, so opening the details panel
//! narrows Prompt first.

use crate::book::Column;
use egui_extras::Column as Col;

/// The narrowest Prompt and Reason get before the grid scrolls sideways.
pub const MIN_TEXT: f32 = 110.0;
/// Trace id sits after Reason, off screen at the default size.
pub const TRACE_ID: f32 = 150.0;

fn fixed_width(column: Column) -> Option<f32> {
    Some(match column {
        Column::Status => 84.0,
        Column::Id => 84.0,
        Column::Model => 150.0,
        Column::Created => 122.0,
        Column::Elapsed => 62.0,
        // Open and the library's word beside it ("✓ saved", "↓ 41 %", "⚠ failed"); the
        // word is shortened with "…" (whole on hover) until the window is wide enough
        // for `video_width`.
        Column::Video => 98.0,
        Column::LastFrame => 74.0,
        Column::Prompt | Column::Reason | Column::TraceId => return None,
    })
}

/// Video takes the library's whole word beside Open from 1 100 px on.
pub fn video_width(window_width: f32) -> f32 {
    if window_width >= 1100.0 { 116.0 } else { 98.0 }
}

/// Reason grows with the window: 140 px at 1024 px, up to 360 px on a wide screen.
pub fn reason_width(window_width: f32) -> f32 {
    ((window_width - 1024.0) * 0.45 + 140.0).clamp(140.0, 360.0)
}

/// The egui_extras column for `column` in a window `window_width` wide.
pub fn column_spec(column: Column, window_width: f32) -> Col {
    match column {
        // The remainder: not resizable, so it follows the panel's width every frame.
        Column::Prompt => Col::remainder()
            .at_least(MIN_TEXT)
            .clip(true)
            .resizable(false),
        Column::Reason => Col::exact(reason_width(window_width).max(MIN_TEXT))
            .clip(true)
            .resizable(false),
        Column::TraceId => Col::exact(TRACE_ID).clip(true).resizable(false),
        Column::Video => Col::initial(video_width(window_width))
            .at_least(40.0)
            .clip(true)
            .resizable(true),
        other => Col::initial(fixed_width(other).unwrap_or(80.0))
            .at_least(40.0)
            .clip(true)
            .resizable(true),
    }
}

/// The width the table is laid out in: the visible width plus Trace id's, so the
/// remainder (Prompt) ends where Reason fills the visible part and Trace id lies beyond.
pub fn table_width(visible: f32, spacing: f32) -> f32 {
    visible + TRACE_ID + spacing
}

/// A model name without its date suffix ("doubao-seedance-1-0-pro-250528" →
/// "doubao-seedance-1-0-pro"), for a Model column too narrow for the full name.
pub fn short_model(name: &str) -> &str {
    match name.rsplit_once('-') {
        Some((head, tail))
            if !head.is_empty() && tail.len() == 6 && tail.bytes().all(|b| b.is_ascii_digit()) =>
        {
            head
        }
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_lose_only_a_date_suffix() {
        assert_eq!(
            short_model("doubao-seedance-1-0-pro-250528"),
            "doubao-seedance-1-0-pro"
        );
        assert_eq!(
            short_model("doubao-seedance-2-0-260128"),
            "doubao-seedance-2-0"
        );
        assert_eq!(short_model("my-model"), "my-model");
        assert_eq!(short_model("model-12345"), "model-12345");
        assert_eq!(short_model("-250528"), "-250528");
        assert_eq!(short_model(""), "");
    }

    #[test]
    fn reason_width_follows_the_window() {
        assert_eq!(reason_width(800.0), 140.0);
        assert_eq!(reason_width(1024.0), 140.0);
        assert!(reason_width(1280.0) > 240.0);
        assert_eq!(reason_width(4000.0), 360.0);
    }

    #[test]
    fn at_1024_the_reading_columns_leave_room_for_prompt_and_reason() {
        let fixed: f32 = Column::ALL.iter().filter_map(|&c| fixed_width(c)).sum();
        // Central panel margins, a scroll bar and the gaps between ten columns.
        let chrome = 16.0 + 12.0 + 9.0 * 8.0;
        let left = 1024.0 - chrome - fixed;
        assert!(left >= reason_width(1024.0) + MIN_TEXT, "{left}");
        assert_eq!(
            video_width(1024.0),
            fixed_width(Column::Video).unwrap_or(0.0)
        );
    }
}
