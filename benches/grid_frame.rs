//! One frame of the task grid, headless (layout + tessellation, no GPU), with 10 000 and
//! 100 000 rows; and re-sorting 100 000 rows. Goals: ≤ 4 ms median frame, ≤ 50 ms sort.
//! Run: `cargo bench --bench grid_frame`.

#[path = "common/frames.rs"]
mod frames;

use frames::{book, median, ms};
use seedance_tasks::book::Column;
use seedance_tasks::gui::grid;
use std::time::Instant;

/// `screen_reader`: AccessKit on, as when a screen reader is running (the table, row and
/// cell nodes are then built every frame).
fn frames(n: usize, screen_reader: bool) {
    let mut book = book(n);
    let ctx = egui::Context::default();
    if screen_reader {
        ctx.enable_accesskit();
    }
    let selection = seedance_tasks::gui::Selection::default();
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1400.0, 800.0),
        )),
        ..Default::default()
    };
    let mut times = Vec::new();
    for i in 0..60 {
        let start = Instant::now();
        let output = ctx.run_ui(input(), |ui| {
            // What the window does each frame: refresh, then draw from `&book`.
            book.refresh();
            egui::CentralPanel::default().show(ui, |ui| {
                let view = grid::GridView {
                    selection: &selection,
                    thumbnails: None,
                    scroll_to: None,
                    library: &|_| None,
                    saved_file: &|_| None,
                };
                grid::show(ui, &book, view);
            });
        });
        let _meshes = ctx.tessellate(output.shapes, output.pixels_per_point);
        // The first frames build font atlases and caches: warm-up, not steady state.
        if i >= 10 {
            times.push(start.elapsed());
        }
    }
    let max = times.iter().max().copied().unwrap_or_default();
    println!(
        "grid frame, {n} rows{}: median {:.2} ms, max {:.2} ms (goal ≤ 4 ms median)",
        if screen_reader { ", AccessKit on" } else { "" },
        ms(median(times)),
        ms(max)
    );
}

fn sorts(n: usize) {
    let mut book = book(n);
    for column in [
        Column::Status,
        Column::Created,
        Column::Prompt,
        Column::Reason,
        Column::Elapsed,
    ] {
        let mut times = Vec::new();
        for _ in 0..7 {
            book.click_header(column);
            let start = Instant::now();
            book.refresh();
            times.push(start.elapsed());
        }
        println!(
            "sort {n} rows by {:?}: median {:.1} ms (goal ≤ 50 ms)",
            column,
            ms(median(times))
        );
    }
}

fn main() {
    frames(10_000, false);
    frames(10_000, true);
    frames(100_000, false);
    frames(100_000, true);
    sorts(100_000);
}
