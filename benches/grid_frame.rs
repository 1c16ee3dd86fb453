//! One frame of the task grid, headless (layout + tessellation, no GPU), with 10 000 and
//! 100 000 rows; and re-sorting 100 000 rows. Goals: ≤ 4 ms median frame, ≤ 50 ms sort.
//! Run: `cargo bench --bench grid_frame`.

use seedance_tasks::api::TaskRecord;
use seedance_tasks::book::{Column, TaskBook};
use seedance_tasks::engine::Outcome;
use seedance_tasks::gui::grid;
use serde_json::json;
use std::time::{Duration, Instant};

const STATUSES: [&str; 5] = ["succeeded", "running", "failed", "queued", "succeeded"];
const MODELS: [&str; 3] = [
    "doubao-seedance-1-0-pro-250528",
    "doubao-seedance-2-0-260128",
    "doubao-seedance-1-0-lite-t2v-250428",
];

fn book(n: usize) -> TaskBook {
    let ids: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{:08x}-0000-4000-8000-{:012x}",
                i.wrapping_mul(2654435761) as u32,
                i
            )
        })
        .collect();
    let mut book = TaskBook::new();
    book.add_ids(&ids);
    let outcomes = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let status = STATUSES[i % STATUSES.len()];
            let v = json!({
                "id": id, "trace_id": format!("trace-{i}"), "created_at": 1766329436.0 + ((i * 7919) % 100_000) as f64,
                "request": {"model": MODELS[i % 3], "content": [{"type": "text", "text": format!("Shot {i}: a paper boat drifts down a rain-soaked street at dusk, neon reflections --ratio 16:9")}]},
                "response": {"success": status != "failed", "data": {"status": status, "video_url": (status == "succeeded").then(|| format!("https://cdn.example/{id}.mp4"))},
                             "error": (status == "failed").then(|| json!({"code": "bad_request", "message": "sensitive content"}))}
            });
            (id.clone(), Outcome::Found(std::sync::Arc::new(TaskRecord::from_value(v).expect("record"))))
        })
        .collect();
    book.apply(outcomes);
    book
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

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
